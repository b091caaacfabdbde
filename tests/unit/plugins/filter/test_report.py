# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's comparison with the previous report, its heat map and its escaping of what miners sent."""

from __future__ import annotations

import json

import pytest

from ansible_collections.minerops.whatsminer.plugins.filter.report import report_changes, report_data, report_html, report_rows


def view(name, reachable=True, hashrate=100.0, codes=(), boards=None, model='M50'):
    if not reachable:
        return dict(reachable=False, host='192.0.2.9', error='connection refused')
    return dict(reachable=True, host='192.0.2.1', model=model, hashrate_ths=hashrate, power_w=3000, chip_temp_max_c=80,
                error_codes=[dict(code=code, component='c', description='d%s' % code) for code in codes],
                boards=boards if boards is not None else [dict(slot=0, hashrate_ths=hashrate / 2, factory_hashrate_ths=60,
                                                               chip_temp_max_c=80), dict(slot=1, hashrate_ths=hashrate / 2,
                                                                                         factory_hashrate_ths=60, chip_temp_max_c=90)])


def rows(views):
    return report_rows(list(views), dict((name, dict(ansible_facts=dict(whatsminer=v))) for name, v in views.items()))


def test_changes_name_lost_back_added_gone_new_errors_and_moved_hash_rate():
    before = report_data(rows(dict(a=view('a'), b=view('b', reachable=False), c=view('c'), d=view('d', codes=[110]))), generated='yesterday')
    now = rows(dict(a=view('a', reachable=False), b=view('b'), c=view('c', hashrate=90.0), d=view('d', codes=[110, 530]), e=view('e')))
    changes = report_changes(now, before)
    assert changes['compared'] and 'yesterday' in changes['note']
    assert (changes['lost'], changes['back'], changes['added'], changes['removed']) == (['a'], ['b'], ['e'], [])
    assert [(e['name'], e['code']) for e in changes['new_errors']] == [('d', 530)]
    assert changes['moved'] == [dict(name='c', before=100.0, after=90.0, percent=-10.0)]
    assert changes['hashrate_before_ths'] == 300.0


@pytest.mark.parametrize('previous, why', [
    (None, 'No previous report'), ('', 'No previous report'), ('{not json', 'not JSON'), ('[1, 2]', 'not a fleet report'),
    (dict(miners=[dict(name=1)]), 'not a fleet report'), (dict(miners='x'), 'not a fleet report'),
])
def test_a_missing_or_unreadable_previous_report_compares_with_nothing(previous, why):
    changes = report_changes(rows(dict(a=view('a'))), previous)
    assert not changes['compared'] and why in changes['note']
    assert why in report_html(rows(dict(a=view('a'))), previous=previous)


def test_the_previous_report_can_be_its_json_text():
    before = json.dumps(report_data(rows(dict(a=view('a'))), generated='monday'))
    assert report_changes(rows(dict(a=view('a', reachable=False))), before)['lost'] == ['a']


def test_what_miners_sent_is_escaped_everywhere():
    hostile = '<script>alert(1)</script>'
    page = report_html(rows({hostile: view(hostile, boards=[dict(slot=hostile, hashrate_ths=1, factory_hashrate_ths=2, chip_temp_max_c=70)],
                                           model=hostile)}),
                       previous=dict(generated=hostile, miners=[dict(name=hostile, reachable=False)]))
    assert hostile not in page
    assert page.count('<script>') == 1  # the report's own table script only (the data block is application/json)


def test_the_heat_map_colours_each_board_and_the_histograms_label_their_axes():
    page = report_html(rows(dict(a=view('a'), b=view('b', hashrate=20.0))))
    assert page.count('title="slot 0"') == 2 and page.count('title="slot 1"') == 2
    assert 'Slot 1 chip max' in page and 'background:hsl(' in page
    assert 'Hottest chip of the miner (degC)' in page and '>Miners</text>' in page
    assert 'No hashboard data' in report_html(rows(dict(a=view('a', boards=[]))))
