# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_watch EDA source's logic: change-only events, untrusted text made inert, its arguments checked."""

from __future__ import annotations

import asyncio
import json
import os
import runpy

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import _watch
from ansible_collections.minerops.whatsminer.plugins.module_utils._watch import Watch, WatchArgumentError, inert, watch_from_args

SOURCE = os.path.join(os.path.dirname(__file__), *([os.pardir] * 4), 'extensions', 'eda', 'plugins', 'event_source', 'fleet_watch.py')


def reading(name='m1', reachable=True, codes=None, hashrate=100.0, nominal=100.0, temp=70.0, pools=None, mining=True, uptime=5000.0):
    if not reachable:
        return dict(name=name, host='192.0.2.1', port=4028, reachable=False, unreachable=True, error='connection refused')
    return dict(name=name, host='192.0.2.1', port=4028, reachable=True, unreachable=False, error=None, mining=mining,
                hashrate_ths=hashrate, nominal_ths=nominal, uptime_s=uptime, chip_temp_max_c=temp, codes=codes or {},
                pools=[dict(priority=0, url='stratum+tcp://pool:3333', alive=True)] if pools is None else pools)


def kinds(events):
    return [e['whatsminer']['event'] for e in events]


@pytest.fixture
def watch():
    return Watch([], clock=lambda: 1000.0)


def test_a_healthy_miner_says_nothing_and_keeps_saying_nothing(watch):
    assert watch.update(reading()) == []
    assert watch.update(reading()) == []


def test_each_change_is_one_event_not_one_per_poll(watch):
    watch.update(reading())
    hot = watch.update(reading(temp=97.0))
    assert kinds(hot) == ['temperature_high']
    assert hot[0]['whatsminer']['figures']['chip_temp_max_c'] == 97.0
    assert watch.update(reading(temp=98.0)) == []
    assert kinds(watch.update(reading(temp=80.0))) == ['temperature_ok']


def test_a_new_error_code_is_named_with_whether_a_restart_clears_it(watch):
    watch.update(reading())
    events = watch.update(reading(codes={2310: 'Hashrate is too low.', 600: 'Environment temperature is too high.'}))
    assert kinds(events) == ['error_code_new', 'error_code_new']
    details = dict((e['whatsminer']['detail']['code'], e['whatsminer']['detail']['recoverable']) for e in events)
    assert details == {600: False, 2310: True}
    assert watch.update(reading(codes={2310: 'Hashrate is too low.', 600: 'x'})) == []
    cleared = watch.update(reading(codes={600: 'x'}))
    assert kinds(cleared) == ['error_code_cleared'] and cleared[0]['whatsminer']['detail'] == {'code': 2310}


def test_codes_present_at_start_are_new_to_the_watch(watch):
    assert kinds(watch.update(reading(codes={2310: 'Hashrate is too low.'}))) == ['error_code_new']


def test_unreachable_once_then_back_without_repeating_the_codes_it_had(watch):
    watch.update(reading(codes={2310: 'low'}))
    down = watch.update(reading(reachable=False))
    assert kinds(down) == ['miner_unreachable']
    assert down[0]['whatsminer']['detail'] == {'error': 'connection refused', 'answered': False}
    assert watch.update(reading(reachable=False)) == []
    assert kinds(watch.update(reading(codes={2310: 'low'}))) == ['miner_back']


def test_a_miner_unreachable_from_the_start_is_reported(watch):
    assert kinds(watch.update(reading(reachable=False))) == ['miner_unreachable']


def test_hashrate_low_against_the_nominal_share_after_warm_up(watch):
    watch.update(reading())
    assert kinds(watch.update(reading(hashrate=79.0))) == ['hashrate_low']
    assert kinds(watch.update(reading(hashrate=95.0))) == ['hashrate_ok']
    # a miner just restarted ramps up: not judged; one told to stop mining (curtailment) is not under-performing
    assert watch.update(reading(name='m2', hashrate=10.0, uptime=60.0)) == []
    assert watch.update(reading(name='m3', hashrate=0.0, mining=False)) == []


def test_pools_dead_and_alive(watch):
    watch.update(reading())
    dead = watch.update(reading(pools=[dict(priority=0, url='stratum+tcp://a:3333', alive=False)]))
    assert kinds(dead) == ['pool_dead']
    assert dead[0]['whatsminer']['figures']['pools'][0]['url'] == 'stratum+tcp://a:3333'
    assert kinds(watch.update(reading())) == ['pool_alive']


@pytest.mark.parametrize('text', ['{{ lookup("pipe", "id") }}', '{% raw %}', '{#', '{{{{', 'a{\x00{b'])
def test_miner_text_never_reaches_a_playbook_as_a_template(text):
    safe = inert(text)
    assert '{{' not in safe and '{%' not in safe and '{#' not in safe
    assert all(ch.isprintable() for ch in safe)


def test_miner_text_is_cut_short():
    assert len(inert('x' * 5000)) == 200
    assert inert(None) is None


def test_observe_keeps_numbers_numbers_and_makes_text_inert():
    class Miner:
        def read_offered(self, wanted, required):
            return dict(status=dict(mining=True), summary=dict(hashrate_ths='NaN', factory_ths=100, chip_temp_max='hot', elapsed=10),
                        pools=[dict(url='{{ evil }}', status='Alive', priority=0), 'not a pool'],
                        error_codes=[dict(code='2310', description='{% x %}'), dict(code='junk'), 7]), []

    class Context:
        def __init__(self, params, client_factory=None):
            pass

        def open_miner(self):
            return Miner()

    original = _watch.TaskContext
    _watch.TaskContext = Context
    try:
        seen = _watch.observe(dict(host='192.0.2.1'), dict(_watch.WATCH_DEFAULTS))
    finally:
        _watch.TaskContext = original
    assert seen['hashrate_ths'] is None and seen['chip_temp_max_c'] is None and seen['nominal_ths'] == 100
    assert seen['codes'] == {2310: '{ % x %}'}
    assert seen['pools'] == [dict(priority=0, url='{ { evil }}', alive=True)]


@pytest.mark.parametrize('args, message', [
    ({}, 'give either miners (a list) or inventory (a path), not neither'),
    (dict(miners=['192.0.2.1'], inventory='x.yml'), 'not both'),
    (dict(miners='192.0.2.1'), 'miners must be a list'),
    (dict(miners=[dict(port=4028)]), 'miners[0] must be an address or a dict with host'),
    (dict(miners=['192.0.2.1'], interval=0), 'interval must be between 1.0 and 86400.0, got 0'),
    (dict(miners=['192.0.2.1'], concurrency='many'), 'concurrency must be an integer number'),
    (dict(miners=['192.0.2.1'], hashrate_min_share=1.5), 'hashrate_min_share must be between 0.0 and 1.0'),
    (dict(miners=['192.0.2.1'], recoverable_codes='2310'), 'recoverable_codes must be a list of error codes'),
    (dict(miners=['192.0.2.1'], colour='red'), 'unknown option colour; allowed: '),
])
def test_bad_arguments_are_named_before_anything_is_read(args, message):
    with pytest.raises(WatchArgumentError) as caught:
        watch_from_args(args)
    assert message in str(caught.value)


def test_arguments_give_the_watch_its_options():
    watch, interval, polls = watch_from_args(dict(miners=['192.0.2.1', dict(host='192.0.2.2', name='b')], interval='10', polls=3,
                                                  password='pw', recoverable_codes=[2310], eda_feedback_queue=object()))
    assert (interval, polls) == (10.0, 3)
    assert [m['host'] for m in watch.members] == ['192.0.2.1', '192.0.2.2']
    assert all(m['password'] == 'pw' for m in watch.members)
    assert watch.recoverable == frozenset([2310])


def _listing(hostvars):
    return json.dumps({'all': {'children': ['miners', 'ungrouped']}, 'miners': {'children': ['rack1']},
                       'rack1': {'hosts': sorted(hostvars)}, '_meta': {'hostvars': hostvars}}).encode()


def test_inventory_members_come_from_the_group_and_its_children():
    listing = _listing({'m1': dict(ansible_host='192.0.2.1', whatsminer_port=4029, whatsminer_nominal_ths=110),
                        'm2': dict(ansible_host='192.0.2.2', whatsminer_password='pw')})
    members = _watch.inventory_members('inv.yml', 'miners', run=lambda *a, **k: listing)
    assert members == [dict(name='m1', host='192.0.2.1', port=4029, nominal_ths=110),
                       dict(name='m2', host='192.0.2.2', port=4028, password='pw')]


def test_inventory_templates_are_refused_not_sent_as_passwords():
    listing = _listing({'m1': dict(ansible_host='192.0.2.1', whatsminer_password='{{ vault_password }}')})
    with pytest.raises(WatchArgumentError) as caught:
        _watch.inventory_members('inv.yml', 'miners', run=lambda *a, **k: listing)
    assert 'm1: the password in inventory inv.yml is a template' in str(caught.value)
    assert 'vault_password' not in str(caught.value)


def test_an_inventory_without_the_group_is_an_error():
    with pytest.raises(WatchArgumentError) as caught:
        _watch.inventory_members('inv.yml', 'miners', run=lambda *a, **k: b'{"all": {"hosts": []}}')
    assert 'has no host in group miners' in str(caught.value)


def test_the_source_polls_then_stops_and_puts_the_events_on_the_queue(monkeypatch):
    polls = []

    def poll(self):
        polls.append(1)
        return [dict(whatsminer=dict(event='pool_dead', poll=len(polls)))]

    monkeypatch.setattr(Watch, 'poll', poll)
    source = runpy.run_path(SOURCE)
    queue = asyncio.Queue()
    asyncio.run(source['main'](queue, dict(miners=['192.0.2.1'], polls=2, interval=1)))
    events = [queue.get_nowait() for dummy in range(queue.qsize())]
    assert [e['whatsminer']['poll'] for e in events] == [1, 2]


def test_the_source_refuses_bad_arguments_at_start():
    source = runpy.run_path(SOURCE)
    with pytest.raises(WatchArgumentError):
        asyncio.run(source['main'](asyncio.Queue(), dict(miners=['192.0.2.1'], timeout=-1)))
