# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_fleet_power over several fake miners: what each state sends, the figures the summary adds up,
the ramp, the settle time and the input refused before any miner is touched."""

from __future__ import annotations

import json

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import _fleet as fleet
from ansible_collections.minerops.whatsminer.plugins.module_utils import _restart as restart
from ansible_collections.minerops.whatsminer.plugins.modules import whatsminer_fleet_power

from . import fake_device
from .fake_device import FakeDevice, run_task

WATTS = (3400, 3300, 3500)


SLEPT = []


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    """One clock for the whole module (restart waits, ramp, settle): a sleep moves it on and is recorded in SLEPT."""
    now = [1000.0]
    SLEPT[:] = []

    def sleep(seconds):
        SLEPT.append(seconds)
        now[0] += seconds
    monkeypatch.setattr(restart.time, 'sleep', sleep)
    monkeypatch.setattr(restart.time, 'monotonic', lambda: now[0])


@pytest.fixture
def curtailing(monkeypatch):
    """set_power_pct scales the power a miner reports (the fake's own effect table lacks it)."""
    def scale(device, params):
        device.sections['summary']['power'] = device.watts * int(params['percent']) // 100
    monkeypatch.setitem(fake_device.EFFECTS, 'set_power_pct', scale)


def _devices(count=3, **kwargs):
    devices = {}
    for n in range(count):
        device = FakeDevice(**kwargs)
        device.watts = WATTS[n % len(WATTS)]
        device.sections['summary']['power'] = device.watts
        devices['192.0.2.%d' % (n + 1)] = device
    return devices


def _run(devices, check_mode=False, **params):
    first = next(iter(devices.values()))
    miners = params.pop('miners') if 'miners' in params else [dict(host=host, api='v2') for host in devices]
    params.setdefault('settle_seconds', 0)
    return run_task(whatsminer_fleet_power, first, check_mode, miners=miners,
                    handler=lambda ctx: whatsminer_fleet_power.run(ctx, lambda host, **options: devices[host].factory(host, **options)),
                    **params)


def test_curtailed_sends_the_percent_and_adds_up_the_power(curtailing):
    devices = _devices()
    result = _run(devices, state='curtailed', power_percent=50)
    assert not result.get('failed') and result['changed'] is True, result
    assert [device.writes for device in devices.values()] == [['set_power_pct']] * 3
    summary = result['summary']
    assert (summary['total'], summary['ok'], summary['changed'], summary['failed'], summary['unreachable']) == (3, 3, 3, 0, 0)
    assert summary['power_before_kw'] == 10.2 and summary['power_after_kw'] == 5.1 and summary['shed_kw'] == 5.1
    assert summary['failed_percent'] == 0.0 and summary['elapsed_s'] == 0.0  # nothing waited: the fake clock did not move
    by_host = dict((m['host'], m) for m in result['miners'])
    assert by_host['192.0.2.2']['power_before_w'] == 3300 and by_host['192.0.2.2']['power_after_w'] == 1650
    assert by_host['192.0.2.2']['shed_w'] == 1650 and by_host['192.0.2.2']['outcome'] == 'curtailed'
    assert by_host['192.0.2.2']['commands'] == ['set_power_pct'] and by_host['192.0.2.2']['mining'] is True


def test_check_mode_sends_nothing_and_reports_the_power_unchanged(curtailing):
    devices = _devices()
    result = _run(devices, check_mode=True, state='curtailed', power_percent=50)
    assert result['changed'] is True and all(device.writes == [] for device in devices.values())
    assert {m['outcome'] for m in result['miners']} == {'would be curtailed'}
    assert result['summary']['power_after_kw'] == result['summary']['power_before_kw'] == 10.2
    assert result['summary']['shed_kw'] == 0.0 and {m['shed_w'] for m in result['miners']} == {0}


def test_restored_with_power_undoes_the_percent_then_sets_the_target():
    devices = _devices(count=1)
    result = _run(devices, state='restored', power=3000)
    assert not result.get('failed'), result
    assert devices['192.0.2.1'].writes == ['restore_power_pct', 'set_power']
    assert result['miners'][0]['outcome'] == 'restored'


def test_an_unreachable_miner_is_counted_apart_from_a_failed_one(curtailing):
    devices = _devices(count=4)
    devices['192.0.2.3'].down = 10 ** 6
    devices['192.0.2.4'].password = 'another'  # answers, refuses the password
    result = _run(devices, state='curtailed', power_percent=50, max_fail_percentage=60)
    summary = result['summary']
    assert (summary['failed'], summary['unreachable'], summary['ok'], summary['failed_percent']) == (2, 1, 2, 50.0)
    assert summary['power_before_kw'] == 6.7 and summary['power_after_kw'] == 3.35  # the two that worked
    outcomes = dict((m['host'], m['outcome']) for m in result['miners'])
    assert outcomes == {'192.0.2.1': 'curtailed', '192.0.2.2': 'curtailed', '192.0.2.3': 'unreachable', '192.0.2.4': 'failed'}


def test_the_ramp_spreads_the_starts_evenly():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds
    schedule = fleet._Schedule(4, 8, clock=lambda: now[0], sleep=sleep)
    for index in range(4):
        schedule.wait_turn(index)
    assert slept == [2.0, 2.0, 2.0]  # the first starts at once, then one every 8 / 4 seconds
    assert fleet._Schedule(4, 0, clock=lambda: 0.0).step == 0.0


def test_settle_seconds_waits_before_the_power_is_read_back(monkeypatch, curtailing):
    slept = []
    monkeypatch.setattr(fleet.time, 'sleep', slept.append)
    devices = _devices(count=1)
    result = _run(devices, state='curtailed', power_percent=50, settle_seconds=30)
    assert len(slept) == 1 and 29 < slept[0] <= 30
    assert result['miners'][0]['power_after_w'] == 1700
    slept[:] = []
    _run(_devices(count=1), state='curtailed', power_percent=50, settle_seconds=0)
    assert slept == []


@pytest.mark.parametrize('params, words', [
    (dict(state='curtailed'), 'state=curtailed needs power_percent or power'),
    (dict(state='off', power_percent=50), 'state=off stops mining'),
    (dict(state='restored', power_percent=50), 'state=restored undoes power_percent'),
    (dict(state='off', concurrency=0), 'concurrency must be at least 1'),
    (dict(state='off', wait_timeout=0), 'wait_timeout must be a number of seconds between 1 and 86400, got 0'),
    (dict(state='off', ramp_seconds=-1), 'ramp_seconds and settle_seconds must not be negative'),
    (dict(state='off', settle_seconds=-1), 'ramp_seconds and settle_seconds must not be negative'),
    (dict(state='off', timeout=0), 'timeout must be a number of seconds between 0.001 and 3600, got 0'),
    (dict(state='off', miners=[dict(host='192.0.2.1'), dict(host='192.0.2.1', port=4028)]), 'miners[2]: 192.0.2.1:4028 is listed twice'),
])
def test_bad_input_is_refused_before_any_miner_is_touched(params, words):
    devices = _devices(count=1)
    result = _run(devices, **params)
    assert result['failed'] is True and words in result['msg'], result
    assert devices['192.0.2.1'].calls == []


def test_the_same_host_on_two_ports_is_two_miners():
    devices = _devices(count=1)
    result = _run(devices, state='off', miners=[dict(host='192.0.2.1', api='v2'), dict(host='192.0.2.1', port=4029, api='v2')])
    assert result['summary']['total'] == 2


def test_limits_at_their_edges_are_accepted():
    devices = _devices(count=1)
    result = _run(devices, state='off', concurrency=1, max_fail_percentage=100, ramp_seconds=0)
    assert not result.get('failed') and result['summary']['ok'] == 1, result
    assert not _run(_devices(count=1), state='off', max_fail_percentage=0).get('failed')


def test_a_miners_own_password_beats_the_tasks():
    devices = _devices(count=2)
    devices['192.0.2.2'].password = 'own'
    miners = [dict(host='192.0.2.1', api='v2'), dict(host='192.0.2.2', api='v2', password='own')]
    result = _run(devices, state='off', miners=miners)
    assert not result.get('failed') and result['summary']['ok'] == 2, result


def test_a_miner_without_any_password_is_refused_before_any_is_touched():
    devices = _devices(count=2)
    miners = [dict(host='192.0.2.1', api='v2', name='rack1-a'), dict(host='192.0.2.2', api='v2', name='rack1-b')]
    result = _run(devices, state='off', miners=miners, password=None)
    assert result['failed'] is True and 'missing for rack1-a, rack1-b' in result['msg'], result
    assert all(device.calls == [] for device in devices.values())
    assert 'missing for rack1-a' in _run(_devices(count=2), check_mode=True, state='off', miners=miners, password=None)['msg']


def test_the_power_after_is_the_power_logics_own_read_back_unless_it_settles(monkeypatch, curtailing):
    """Without settle time the summary read a moment ago serves; with it, the miner is asked again."""
    monkeypatch.setattr(fleet.time, 'sleep', lambda seconds: None)
    quick, settled = _devices(count=1), _devices(count=1)
    _run(quick, state='off')
    _run(settled, state='off', settle_seconds=5)
    reads = [[call for call in next(iter(d.values())).calls if call == ('read', 'summary')] for d in (quick, settled)]
    assert len(reads[1]) == len(reads[0]) + 1


def test_a_power_that_cannot_be_read_after_the_change_is_said(monkeypatch):
    devices = _devices(count=1)
    monkeypatch.setitem(fake_device.EFFECTS, 'set_power_pct', lambda device, params: setattr(device, 'down', 10 ** 6))
    result = _run(devices, state='curtailed', power_percent=50)
    miner = result['miners'][0]
    assert miner['changed'] is True and miner['failed'] is False and miner['outcome'] == 'curtailed'
    assert miner['msg'].startswith('changed, but the power could not be read back') and miner['power_after_w'] is None
    assert miner['shed_w'] is None


def test_failures_within_the_limit_warn_and_do_not_fail_the_task():
    devices = _devices(count=4)
    devices['192.0.2.4'].down = 10 ** 6
    result = _run(devices, state='off', max_fail_percentage=60)
    assert not result.get('failed') and 'within max_fail_percentage 60' in ' '.join(result['warnings']), result


def test_restored_changes_when_only_its_first_step_does():
    devices = _devices(count=1)
    device = devices['192.0.2.1']
    device.sections['status']['mining'] = False
    result = _run(devices, state='restored', power=3000)
    assert result['changed'] is True and result['miners'][0]['changed'] is True
    assert device.writes == ['power_on', 'restore_power_pct', 'set_power'] and result['miners'][0]['mining'] is True


def test_the_refusal_lists_at_most_ten_miners_without_a_password():
    devices = _devices(count=1)
    miners = [dict(host='192.0.2.%d' % n, api='v2', name='m%02d' % n) for n in range(1, 13)]
    message = _run(devices, state='off', miners=miners, password=None)['msg']
    assert 'm10' in message and 'm11' not in message


def test_curtailed_to_a_power_target_sends_it_once():
    devices = _devices(count=1)
    result = _run(devices, state='curtailed', power=2500)
    assert not result.get('failed') and devices['192.0.2.1'].writes == ['set_power'], result


def test_a_ramp_is_accepted_and_spreads_the_miners(monkeypatch):
    slept = []
    monkeypatch.setattr(fleet.time, 'sleep', slept.append)
    result = _run(_devices(count=2), state='off', ramp_seconds=4, concurrency=1)
    assert not result.get('failed') and result['summary']['ok'] == 2, result
    assert slept and max(slept) <= 2.0


def test_the_summary_rounds_and_counts_as_documented():
    devices = _devices(count=6)
    devices['192.0.2.1'].sections['summary']['power'] = 1234.5678
    devices['192.0.2.4'].down = devices['192.0.2.5'].down = 10 ** 6
    devices['192.0.2.6'].password = 'another'
    summary = _run(devices, state='off', max_fail_percentage=100)['summary']
    assert (summary['failed'], summary['unreachable'], summary['failed_percent']) == (3, 2, 50.0)
    assert summary['power_before_kw'] == round((1234.5678 + 3300 + 3500) / 1000.0, 3) == 8.035
    one_of_three = _devices(count=3)
    one_of_three['192.0.2.3'].down = 10 ** 6
    assert _run(one_of_three, state='off', max_fail_percentage=100)['summary']['failed_percent'] == 33.3
    empty = _run(_devices(count=1), state='off', miners=[{'host': '192.0.2.1', 'api': 'v2'}][:0])
    assert empty['summary']['failed_percent'] == 0.0 and empty['summary']['total'] == 0


def test_settle_time_already_spent_on_a_restart_is_not_slept_again():
    _run(_devices(count=1), state='curtailed', power_percent=50, settle_seconds=0.5)
    assert SLEPT == [0.5]
    SLEPT[:] = []
    _run(_devices(count=1), state='off', settle_seconds=0.5)
    assert SLEPT and min(SLEPT) > 0 and sum(SLEPT) >= 0.5  # the power-off wait spent the settle time: no negative sleep


def test_an_empty_fleet_with_a_ramp_is_fine():
    result = _run(_devices(count=1), state='off', miners=[], ramp_seconds=5)
    assert not result.get('failed') and result['summary']['total'] == 0, result


def test_a_short_ramp_still_spaces_the_miners():
    _run(_devices(count=2), state='curtailed', power_percent=50, ramp_seconds=1, concurrency=1)
    assert 0.5 in SLEPT


def test_a_short_settle_time_reads_the_power_again():
    quick = _devices(count=1)
    _run(quick, state='off')
    spent = sum(SLEPT)  # what the power-off wait took on the fake clock
    settled = _devices(count=1)
    _run(settled, state='off', settle_seconds=spent + 0.5)
    reads = [len([c for c in next(iter(d.values())).calls if c == ('read', 'summary')]) for d in (quick, settled)]
    assert reads[1] == reads[0] + 1


def test_outcomes_carry_the_miners_names():
    devices = _devices(count=2)
    result = _run(devices, state='off', miners=[dict(host='192.0.2.1', api='v2', name='rack7-a'), dict(host='192.0.2.2', api='v2')])
    assert [m['name'] for m in result['miners']] == ['rack7-a', '192.0.2.2']


def test_shed_per_miner_is_rounded_and_a_miner_without_power_figures_sheds_nothing(curtailing):
    devices = _devices(count=2)
    devices['192.0.2.1'].watts = 1234.5678
    devices['192.0.2.1'].sections['summary']['power'] = 1234.5678
    devices['192.0.2.2'].sections['summary']['power'] = None
    result = _run(devices, state='curtailed', power_percent=50)
    by_host = dict((m['host'], m) for m in result['miners'])
    assert by_host['192.0.2.1']['shed_w'] == round(1234.5678 - 617.0, 1) == 617.6
    assert by_host['192.0.2.2']['shed_w'] is None and not by_host['192.0.2.2']['failed']


def test_miners_that_each_carry_their_password_need_none_for_the_task():
    devices = _devices(count=2)
    miners = [dict(host=host, api='v2', password=device.password) for host, device in devices.items()]
    result = _run(devices, state='off', miners=miners, password=None)
    assert not result.get('failed') and result['summary']['ok'] == 2, result


def test_progress_is_told_at_most_every_few_seconds_and_not_at_the_end():
    from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import _Progress
    said, now = [], [100.0]
    ctx = type('Ctx', (), {'progress': staticmethod(said.append)})()
    progress = _Progress(ctx, 4, started=100.0, every=5.0, clock=lambda: now[0])
    for clock, failed in ((101.0, False), (105.5, True), (106.0, False), (111.0, False)):
        now[0] = clock
        progress(dict(failed=failed))
    assert said == ['2 of 4 miners done (1 failed) in 5.5 s']  # the last one is the task's own result


def test_progress_every_five_seconds_counts_the_failed_ones():
    from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import _Progress
    said, now = [], [100.0]
    ctx = type('Ctx', (), {'progress': staticmethod(said.append)})()
    progress = _Progress(ctx, 5, started=100.0, clock=lambda: now[0])
    for clock, failed in ((104.9, True), (105.0, True), (109.9, False), (110.0, False), (120.0, False)):
        now[0] = clock
        progress(dict(failed=failed))
    assert said == ['2 of 5 miners done (2 failed) in 5.0 s', '4 of 5 miners done (2 failed) in 10.0 s']


def test_the_summary_rounds_kilowatts_to_watts_and_seconds_to_hundredths():
    from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import summarize
    outcomes = [dict(failed=False, changed=True, outcome='changed', power_before_w=1235, power_after_w=0),
                dict(failed=True, changed=False, outcome='unreachable', power_before_w=None, power_after_w=None),
                dict(failed=True, changed=False, outcome='failed', power_before_w=None, power_after_w=None)]
    summary = summarize(outcomes, 1.23456)
    assert summary['shed_kw'] == 1.235 and summary['elapsed_s'] == 1.23
    assert summary['failed'] == 2 and summary['unreachable'] == 1 and summary['failed_percent'] == 66.7


def test_a_miner_names_only_what_differs_from_the_fleet_defaults():
    from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import connection_options
    options = connection_options(dict(host='192.0.2.9'), dict(timeout=3.0, password='fleet'))
    assert options == dict(host='192.0.2.9', port=4028, password='fleet', timeout=3.0, api='auto', v3_port=4433,
                           v3_account='super', v3_password=None)


def test_the_report_file_is_stable_readable_json(tmp_path):
    from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import write_report
    path = tmp_path / 'new' / 'dir' / 'report.json'
    write_report(str(path), {'b': 1, 'a': [1]})
    write_report(str(path), {'b': 2, 'a': [1]})  # its directory exists now
    assert path.read_text() == '{\n  "a": [\n    1\n  ],\n  "b": 2\n}\n'  # sorted and indented: diffable run to run
    assert path.stat().st_mode & 0o777 == 0o644
    assert [entry.name for entry in path.parent.iterdir()] == ['report.json']


def test_the_green_and_the_thread_fan_out_give_the_same_outcomes_in_order():
    from ansible_collections.minerops.whatsminer.plugins.module_utils._green import map_concurrently
    miners = ['a', 'b', 'c', 'd']
    seen = []
    for green in (True, False):
        seen.append(map_concurrently(lambda index: dict(name=miners[index], failed=False), range(len(miners)), 2, green=green))
    assert seen[0] == seen[1] == [dict(name=name, failed=False) for name in miners]
    assert map_concurrently(None, [], 2) == []


def test_report_file_holds_every_outcome_even_when_the_task_fails(tmp_path, curtailing):
    devices = _devices(3)
    devices['192.0.2.2'].down = True
    report = tmp_path / 'reports' / 'curtail.json'
    result = _run(devices, state='curtailed', power_percent=50, max_fail_percentage=10, report_file=str(report))
    assert result['failed'] and '1 of 3 miners failed' in result['msg']
    import json
    written = json.loads(report.read_text())
    assert written == json.loads(json.dumps(dict(miners=result['miners'], summary=result['summary'])))
    assert [miner['outcome'] for miner in written['miners']] == ['curtailed', 'unreachable', 'curtailed']
    assert [path.name for path in report.parent.iterdir()] == ['curtail.json']  # no temporary file left behind


def test_report_file_is_not_written_in_check_mode(tmp_path):
    report = tmp_path / 'curtail.json'
    result = _run(_devices(2), check_mode=True, state='curtailed', power_percent=50, report_file=str(report))
    assert not result.get('failed') and not report.exists()


def test_an_unwritable_report_file_fails_the_task_and_keeps_the_outcomes(tmp_path, curtailing):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result = _run(_devices(2), state='curtailed', power_percent=50, report_file=str(blocker / 'curtail.json'))
    assert result['failed'] and result['msg'] == 'report_file: cannot write %s: File exists' % (blocker / 'curtail.json')
    assert [miner['outcome'] for miner in result['miners']] == ['curtailed', 'curtailed']


def test_a_report_that_cannot_be_written_whole_leaves_the_old_one(tmp_path):
    from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import write_report
    path = tmp_path / 'report.json'
    write_report(str(path), {'summary': 'yesterday'})
    with pytest.raises(TypeError):
        write_report(str(path), {'summary': object()})  # not JSON: fails half-way through writing
    assert json.loads(path.read_text()) == {'summary': 'yesterday'}
    assert [entry.name for entry in tmp_path.iterdir()] == ['report.json']


def test_the_cycle_collector_is_spaced_during_a_fan_out_and_restored_after():
    import gc
    from ansible_collections.minerops.whatsminer.plugins.module_utils import _green
    if not _green.available():
        pytest.skip('greenlet is not installed: the thread pool fallback leaves the collector alone')
    before, seen = gc.get_threshold(), []
    _green.map_concurrently(lambda index: seen.append((gc.get_threshold()[0], gc.get_freeze_count() > 0)) or {}, range(2), 2)
    assert seen == [(50000, True), (50000, True)]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
