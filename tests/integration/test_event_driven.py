# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Event-Driven Ansible for real: ansible-rulebook runs the shipped rulebooks against the simulator.

ansible-rulebook needs a Java 17 runtime (.ci/run installs one when it is missing). Outside CI a machine without
Java skips these tests and says why; in CI (CI=true) a missing runtime fails them.
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request

import pytest

from harness import Rulebook

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, os.pardir, os.pardir))
BIN = os.path.dirname(sys.executable)
SOURCE = os.path.join(ROOT, 'extensions', 'eda', 'plugins', 'event_source', 'fleet_watch.py')
RESULTS = os.path.join(ROOT, 'build', 'eda')


def _require_rulebook():
    missing = [name for name, path in (('java', shutil.which('java')), ('ansible-rulebook', os.path.join(BIN, 'ansible-rulebook')))
               if not path or not os.path.exists(path)]
    if missing:
        if os.environ.get('CI'):
            pytest.fail('%s missing: .ci/run installs them (a Java 17 runtime, requirements-dev.txt)' % ', '.join(missing))
        pytest.skip('%s missing (install a Java 17 runtime; make venv installs ansible-rulebook)' % ', '.join(missing))


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture
def rulebook(tmp_path):
    _require_rulebook()
    started = []

    def start(name, fleet, variables, home=None):
        running = Rulebook(name, fleet.inventory, variables, str(tmp_path), home=home)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def _post(port, body, token):
    request = urllib.request.Request('http://127.0.0.1:%d/grid' % port, data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json', 'Authorization': 'Bearer %s' % token})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return None


def _record(name, figures):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name + '.json'), 'w') as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)


def test_demand_response_signal_curtails_then_restores_the_fleet(make_fleet, rulebook):
    fleet = make_fleet(miners=50)
    port, token = _free_port(), 'grid-token-for-the-test'
    running = rulebook('demand_response', fleet, dict(grid_signal_host='127.0.0.1', grid_signal_port=port, grid_signal_token=token))
    running.wait_for(lambda: _post(port, {}, 'wrong') == 401, 90, 'the webhook answering')

    # a sender without the token is refused, and nothing reaches a miner
    assert _post(port, dict(signal='curtail', power_percent=10), 'wrong') == 401
    time.sleep(1.0)
    assert all(fleet.state(miner)['power_pct_temp'] is None for miner in fleet.ids)

    sent = time.monotonic()
    assert _post(port, dict(signal='curtail', power_percent=40), token) == 200
    running.wait_for(lambda: all(fleet.state(miner)['power_pct_temp'] == 40 for miner in fleet.ids), 120, 'every miner curtailed to 40 %')
    curtailed = time.monotonic() - sent

    sent = time.monotonic()
    assert _post(port, dict(signal='restore'), token) == 200
    running.wait_for(lambda: all(fleet.state(miner)['power_pct_temp'] is None and fleet.state(miner)['mining'] for miner in fleet.ids),
                     120, 'every miner restored')
    restored = time.monotonic() - sent
    _record('demand_response', dict(miners=50, signal_to_curtailed_s=round(curtailed, 2), signal_to_restored_s=round(restored, 2)))
    print('demand response, 50 miners: signal -> curtailed %.2f s, signal -> restored %.2f s' % (curtailed, restored))
    assert 'curtailed: 50 of 50 miners, 0 failed' in running.output()


def test_self_healing_restarts_btminer_once_and_leaves_the_rest_alone(make_fleet, rulebook, tmp_path):
    fleet = make_fleet(miners=3)
    sick, hot, gone = fleet.ids
    fleet.fault(sick, 'error_code', code=2310)  # hash rate too low: a restart clears it
    fleet.fault(hot, 'overheat')  # needs a person, not a restart
    fleet.fault(gone, 'refuse')  # does not answer: nothing is sent to it
    home = tmp_path / 'home'
    home.mkdir()
    running = rulebook('self_healing', fleet, dict(fleet_inventory=fleet.inventory, fleet_watch_interval=1), home=str(home))
    running.wait_for(lambda: fleet.counts(sick).get('restart_btminer') == 1, 120, 'btminer restarted on %s' % sick)
    running.wait_for(lambda: 'PLAY RECAP' in running.output(), 60, 'heal.yml finished')

    # The error comes back after the restart: the throttle (once per miner per 30 minutes) holds the second restart.
    running.wait_for(lambda: fleet.state(sick)['online'] and not fleet.state(sick)['restarting'], 30, 'the miner back')
    fleet.clear_faults(sick)
    time.sleep(2.5)
    fleet.fault(sick, 'error_code', code=2310)
    time.sleep(4.0)
    output = running.output()
    assert fleet.counts(sick).get('restart_btminer') == 1, output[-3000:]
    assert output.count('PLAY [Heal one miner]') == 1
    for miner in (hot, gone):
        assert fleet.changes_sent(miner) == {}, miner
    assert '%s: temperature_high' % hot in output and '%s: miner_unreachable' % gone in output
    with open(str(home / '.minerops' / 'heal-ledger.json')) as handle:
        assert len(json.load(handle)) == 1


def test_fleet_watch_reports_changes_of_real_miners_once(make_fleet):
    fleet = make_fleet(miners=3)
    first, second, third = fleet.ids
    source = runpy.run_path(SOURCE)
    members = [dict(name=m['id'], host=m['host'], port=m['port']) for m in fleet.miners]

    def poll(args):
        queue = asyncio.Queue()
        asyncio.run(source['main'](queue, dict(args, miners=members, polls=1, interval=1, timeout=2)))
        return sorted((e['whatsminer']['miner'], e['whatsminer']['event']) for e in (queue.get_nowait() for dummy in range(queue.qsize())))

    watch_args = dict()
    assert poll(watch_args) == []
    fleet.fault(first, 'error_code', code=2310)
    fleet.fault(second, 'refuse')
    started = time.monotonic()
    assert poll(watch_args) == [(first, 'error_code_new'), (second, 'miner_unreachable')]
    assert time.monotonic() - started < 10
    # the simulator counted reads only: watching sends nothing that changes a miner
    for miner in (first, third):
        assert fleet.changes_sent(miner) == {}


def test_a_hostile_pool_url_reaches_the_rulebook_inert(make_fleet):
    fleet = make_fleet(miners=1)
    miner = fleet.ids[0]
    fleet.patch(miner, dict(pools=[dict(url="stratum+tcp://{{ lookup('pipe', 'touch /tmp/pwned') }}:3333", user='u', password='')]))
    fleet.fault(miner, 'pool_down')
    source = runpy.run_path(SOURCE)
    queue = asyncio.Queue()
    asyncio.run(source['main'](queue, dict(miners=[dict(host=fleet.miners[0]['host'], port=fleet.miners[0]['port'])], polls=1, interval=1)))
    events = [queue.get_nowait() for dummy in range(queue.qsize())]
    text = json.dumps(events)
    assert 'pool_dead' in text and 'lookup' in text
    assert '{{' not in text and '{%' not in text


def test_heal_playbook_sends_nothing_unless_it_should(make_fleet, tmp_path):
    from harness import run_playbook
    fleet = make_fleet(miners=3)
    sick, well, gone = fleet.ids
    fleet.fault(sick, 'error_code', code=2310)
    fleet.fault(gone, 'refuse')
    home = tmp_path / 'home'
    (home / '.minerops').mkdir(parents=True)
    heal = os.path.join(ROOT, 'playbooks', 'heal.yml')

    def run(miner, code=2310, **extra):
        return run_playbook(heal, fleet.inventory, str(tmp_path), extra_vars=dict(extra, heal_miner=miner, heal_code=code),
                            env=dict(HOME=str(home)))

    for bad in (dict(miner='all'), dict(miner='miners'), dict(miner=sick, code='23; reboot')):
        refused = run(**bad)
        assert refused.returncode != 0 and 'heal.yml heals one miner of group' in refused.output, refused.output
    for miner, why in ((well, 'it does not report error 2310'), (gone, 'does not answer')):
        left = run(miner)
        assert left.returncode == 0 and '%s: %s; nothing sent' % (miner, why) in left.output, left.output
    assert all(fleet.changes_sent(miner) == {} for miner in fleet.ids)

    # the fleet-wide budget spent by restarts a moment ago: the sick miner is left as it is, saying why
    with open(str(home / '.minerops' / 'heal-ledger.json'), 'w') as handle:
        json.dump([time.time() - 60] * 3, handle)
    spent = run(sick, heal_max_per_hour=3)
    assert spent.returncode != 0 and '3 miners were restarted in the last hour, heal_max_per_hour is 3' in spent.output
    assert fleet.changes_sent(sick) == {}
    healed = run(sick, heal_max_per_hour=4)
    assert healed.returncode == 0, healed.output
    assert fleet.counts(sick).get('restart_btminer') == 1
    with open(str(home / '.minerops' / 'heal-ledger.json')) as handle:
        assert len(json.load(handle)) == 4
