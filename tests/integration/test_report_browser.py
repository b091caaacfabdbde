# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report as the operator opens it every morning: in a real (headless) Chromium, after a second run.

Chromium comes from the distribution (.ci/run installs it when missing). Outside CI a machine without it skips these
tests and says why; in CI (CI=true) a missing browser fails them. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import json
import os

import pytest

from harness import REPO, run_playbook
from browser import Page, find_chromium

SCREENSHOTS = os.path.join(REPO, 'build', 'screenshots')


@pytest.fixture(scope='module')
def chromium():
    binary = find_chromium()
    if binary is None:
        if os.environ.get('CI'):
            pytest.fail('Chromium is missing: .ci/run installs it (apt-get install chromium)')
        pytest.skip('Chromium is missing (apt-get install chromium)')
    return binary


def _report(fleet, tmp_path, out):
    run = run_playbook(os.path.join(REPO, 'playbooks', 'report.yml'), fleet.inventory, str(tmp_path),
                       extra_vars=dict(fleet_report_dir=str(out), fleet_report_timeout=2))
    assert run.returncode == 0, run.output
    return out / 'whatsminer-fleet.html'


@pytest.fixture(scope='module')
def two_days(tmp_path_factory, chromium):
    """A fleet reported on twice: yesterday all well but one miner down, today one lost, one back, new errors."""
    import harness
    workdir = tmp_path_factory.mktemp('report-fleet')
    with harness.Fleet(miners=8, base_address='127.0.62.1', workdir=str(workdir)) as fleet:
        ids = fleet.ids
        fleet.fault(ids[7], 'refuse')
        out = workdir / 'reports'
        _report(fleet, workdir, out)
        yesterday = json.loads((out / 'whatsminer-fleet.json').read_text())
        fleet.clear_faults(ids[7])
        fleet.fault(ids[0], 'refuse')
        fleet.fault(ids[1], 'hashboard_failure')
        fleet.fault(ids[2], 'overheat')
        page = _report(fleet, workdir, out)
        yield dict(ids=ids, page=str(page), yesterday=yesterday, today=json.loads((out / 'whatsminer-fleet.json').read_text()))


def test_the_report_renders_without_errors_and_is_not_blank(two_days, chromium):
    from PIL import Image
    with Page(chromium) as page:
        page.open(two_days['page'])
        assert page.evaluate("document.body.getAttribute('data-ready')") == 'true'
        assert page.errors() == []
        shot = page.screenshot(os.path.join(SCREENSHOTS, 'fleet-report.png'))
    image = Image.open(shot).convert('RGB')
    width, height = image.size
    assert width >= 1000 and height >= 1500, image.size
    small = image.resize((width // 4, height // 4))
    pixels = list(small.get_flattened_data() if hasattr(small, "get_flattened_data") else small.getdata())
    not_white = sum(1 for pixel in pixels if sum(pixel) < 720)
    assert len(set(pixels)) > 100 and not_white > len(pixels) // 20, 'the screenshot is nearly blank'


def test_the_miner_table_sorts_and_filters(two_days, chromium):
    ids = two_days['ids']
    with Page(chromium) as page:
        page.open(two_days['page'])
        column = page.evaluate("Array.prototype.map.call(document.querySelectorAll('table.miners th'), function (h) "
                               "{ return h.textContent; }).indexOf('Hashrate TH/s')")
        assert column > 0
        values = ("Array.prototype.map.call(document.querySelectorAll('table.miners tbody tr'), function (r) "
                  "{ return r.cells[%d].textContent; })" % column)
        page.evaluate("document.querySelectorAll('table.miners th')[%d].click()" % column)
        ascending = [float(v) for v in page.evaluate(values) if v]
        assert ascending == sorted(ascending) and len(ascending) == 7  # the unreachable miner has none: last
        page.evaluate("document.querySelectorAll('table.miners th')[%d].click()" % column)
        descending = [float(v) for v in page.evaluate(values) if v]
        assert descending == sorted(descending, reverse=True)
        assert page.evaluate("document.querySelectorAll('table.miners th')[%d].getAttribute('aria-sort')" % column) == 'descending'

        page.evaluate("var f = document.getElementById('miner-filter'); f.value = %s; f.dispatchEvent(new Event('input'))"
                      % json.dumps(ids[0]))
        visible = page.evaluate("Array.prototype.filter.call(document.querySelectorAll('table.miners tbody tr'), function (r) "
                                "{ return r.style.display !== 'none'; }).map(function (r) { return r.cells[0].textContent; })")
        assert visible == [ids[0]]
        assert page.evaluate("document.getElementById('miner-count').textContent") == '1 of 8 miners'
        page.screenshot(os.path.join(SCREENSHOTS, 'fleet-report-filtered.png'))
        assert page.errors() == []


def test_the_report_says_what_changed_since_yesterday(two_days, chromium):
    ids = two_days['ids']
    with Page(chromium) as page:
        page.open(two_days['page'])
        section = page.evaluate("(function () { var h = Array.prototype.filter.call(document.querySelectorAll('h2'), function (x) "
                                "{ return x.textContent === 'Since the previous report'; })[0]; var text = ''; "
                                "for (var n = h.nextElementSibling; n && n.tagName !== 'H2'; n = n.nextElementSibling) "
                                "{ text += n.innerText + '\\n'; } return text; })()")
    assert 'Compared with the report of %s' % two_days['yesterday']['generated'] in section
    lost = [line for line in section.split('\n') if line.startswith('Miners lost')][0]
    back = [line for line in section.split('\n') if line.startswith('Miners back')][0]
    assert ids[0] in lost and ids[7] not in lost
    assert ids[7] in back
    assert 'New error codes' in section
    for miner in (ids[1], ids[2]):
        assert miner in section
    assert ids[3] not in section  # nothing changed there


def test_the_hashboard_heat_map_shows_each_board(two_days, chromium):
    today = two_days['today']
    boards = sum(len(m['boards']) for m in today['miners'] if m['reachable'])
    assert boards >= 7 * 3
    with Page(chromium) as page:
        page.open(two_days['page'])
        cells = page.evaluate("document.querySelectorAll('table.heat tbody td[title]').length")
        coloured = page.evaluate("Array.prototype.filter.call(document.querySelectorAll('table.heat tbody td[title]'), "
                                 "function (c) { return c.style.background !== ''; }).length")
        first = page.evaluate("document.querySelector('table.heat tbody tr td').textContent")
        labels = page.evaluate("Array.prototype.map.call(document.querySelectorAll('svg text.ca'), function (t) { return t.textContent; })")
    assert cells >= boards and coloured >= boards
    assert first == two_days['ids'][2]  # the overheating miner comes first
    assert 'Hottest chip of the miner (degC)' in labels and 'Miners' in labels
