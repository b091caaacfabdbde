# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet roles and playbooks (site, curtail, restore, firmware, report) against the simulator."""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys

import pytest

from harness import REPO, Fleet, run_playbook, use_example_group_vars

PLAYBOOKS = os.path.join(REPO, 'playbooks')
# This file's own loopback block: 127.0.204.0 - 127.0.211.255, 16 addresses per fleet.
_SLOTS = itertools.count()


@pytest.fixture
def make_fleet(tmp_path):
    fleets = []

    def factory(miners, models=('M30S+', 'M50', 'M60', 'M63'), **kwargs):
        slot = next(_SLOTS) % 120
        base = '127.0.%d.%d' % (204 + slot // 15, 1 + (slot % 15) * 16)
        workdir = tmp_path / ('fleet%d' % len(fleets))
        workdir.mkdir()
        fleet = Fleet(miners=miners, base_address=base, models=list(models), workdir=str(workdir), restart_seconds=0.3,
                      extra_args=['--ramp-seconds', '0.5'], **kwargs)
        fleets.append(fleet)
        return fleet.start()

    yield factory
    for fleet in fleets:
        fleet.stop()


def play(fleet, tmp_path, name, extra_vars=None, **kwargs):
    use_example_group_vars(os.path.dirname(fleet.inventory))
    return run_playbook(os.path.join(PLAYBOOKS, name), fleet.inventory, str(tmp_path), extra_vars=extra_vars, **kwargs)


PER_HOST = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: Per host
      ansible.builtin.include_role:
        name: minerops.whatsminer.power_curtail
        tasks_from: per_host
      vars:
        power_curtail_state: %s
'''


def curtail_play(fleet, tmp_path, name, extra_vars, fan_out):
    """curtail.yml / restore.yml (one fan-out task), or the role's per_host entry point in a play of its own."""
    if fan_out:
        return play(fleet, tmp_path, name, extra_vars)
    state = 'restored' if name == 'restore.yml' else extra_vars.pop('curtail_state', 'curtailed')
    use_example_group_vars(os.path.dirname(fleet.inventory))
    return run_playbook(PER_HOST % state, fleet.inventory, str(tmp_path), extra_vars=extra_vars)


def changed_count(run):
    return sum(1 for entry in run.results if entry['result'].get('changed'))


def tokens(fleet):
    """get_token requests each miner has received (counted by the simulator)."""
    return dict((miner, fleet.counts(miner).get('get_token', 0)) for miner in fleet.ids)


def tokens_used(fleet, before):
    return dict((miner, count - before[miner]) for miner, count in tokens(fleet).items())


def test_site_changes_then_nothing(make_fleet, tmp_path):
    """One task per miner and at most one token per miner per run (older firmware keeps 32 per client for 30 minutes)."""
    fleet = make_fleet(4)
    before = tokens(fleet)
    first = play(fleet, tmp_path, 'site.yml')
    assert first.returncode == 0, first.output
    assert changed_count(first) == 4
    assert tokens_used(fleet, before) == dict((miner, 1) for miner in fleet.ids)
    sections = first.result("minerops.whatsminer.miner_config : Converge the miner's configuration", fleet.ids[0])['changed_sections']
    assert sections == ['settings', 'cooling', 'pools', 'customer_msg', 'power'], sections
    before, sent = tokens(fleet), dict((miner, fleet.changes_sent(miner)) for miner in fleet.ids)
    second = play(fleet, tmp_path, 'site.yml')
    assert second.returncode == 0, second.output
    assert changed_count(second) == 0, [e for e in second.results if e['result'].get('changed')]
    assert tokens_used(fleet, before) == dict((miner, 1) for miner in fleet.ids)
    assert dict((miner, fleet.changes_sent(miner)) for miner in fleet.ids) == sent
    states = {miner['model']: fleet.state(miner['id']) for miner in fleet.miners}
    # group_vars/model_m30s_plus.yml: low power; the others normal
    assert states['M30S+']['settings']['power_mode'] == 'Low'
    assert states['M50']['settings']['power_mode'] == 'Normal'
    for state in states.values():
        assert state['settings']['pools'][0]['url'] == 'stratum+tcp://pool.example.com:3333'
        assert state['settings']['timezone'] == 'CST-8'


def test_drift_check_names_what_differs_and_fails_the_job(make_fleet, tmp_path):
    fleet = make_fleet(4)
    assert play(fleet, tmp_path, 'site.yml').returncode == 0
    clean = play(fleet, tmp_path, 'drift.yml')
    assert clean.returncode == 0, clean.output
    assert '0 of 4 miners differ from the repository, 0 could not be checked' in clean.output
    m50 = [miner['id'] for miner in fleet.miners if miner['model'] == 'M50'][0]
    fleet.patch(m50, {'power_mode': 'High'})  # changed behind the repository's back (web page, another tool)
    fleet.fault(fleet.ids[0], 'refuse')
    before, sent = tokens(fleet), dict((miner, fleet.changes_sent(miner)) for miner in fleet.ids)
    drift = play(fleet, tmp_path, 'drift.yml', diff=True)
    assert drift.returncode != 0, drift.output
    assert '1 of 4 miners differ from the repository, 1 could not be checked' in drift.output
    assert '%s: power' % m50 in drift.output
    assert '%s: not checked (failed or unreachable)' % fleet.ids[0] in drift.output
    assert '"mode": "high"' in drift.output and '"mode": "normal"' in drift.output  # the diff
    assert dict((miner, fleet.changes_sent(miner)) for miner in fleet.ids) == sent
    assert all(count <= 1 for count in tokens_used(fleet, before).values())
    assert fleet.state(m50)['settings']['power_mode'] == 'High'


def _outcome(path):
    with open(path) as handle:
        return json.load(handle)


@pytest.mark.parametrize('fan_out', [True, False], ids=['fan-out', 'per-host'])
def test_curtail_with_unreachable_miners_then_restore(make_fleet, tmp_path, fan_out):
    fleet = make_fleet(5)
    down = fleet.ids[1:3]
    for miner_id in down:
        fleet.fault(miner_id, 'refuse')
    report = str(tmp_path / 'curtail.json')
    run = curtail_play(fleet, tmp_path, 'curtail.yml', dict(power_curtail_power_percent=40, power_curtail_report_file=report,
                                                            power_curtail_timeout=2), fan_out)
    assert run.returncode == 0, run.output
    outcome = _outcome(report)
    by_name = {miner['name']: miner for miner in outcome['miners']}
    assert set(by_name) == set(fleet.ids)
    for miner_id in fleet.ids:
        if miner_id in down:
            assert by_name[miner_id]['outcome'] == 'unreachable'
            assert by_name[miner_id]['failed']
        else:
            assert by_name[miner_id]['outcome'] == 'curtailed', by_name[miner_id]
            assert fleet.state(miner_id)['power_pct_temp'] == 40
            assert float(by_name[miner_id]['shed_w']) > 0
    summary = outcome['summary']
    assert (int(summary['ok']), int(summary['unreachable']), int(summary['total'])) == (3, 2, 5)
    assert float(summary['shed_kw']) > 0
    assert 'unreachable' in run.output and '2 failed' in run.output

    for miner_id in down:
        fleet.clear_faults(miner_id)
    restore = curtail_play(fleet, tmp_path, 'restore.yml', {}, fan_out)
    assert restore.returncode == 0, restore.output
    for miner_id in fleet.ids:
        assert fleet.state(miner_id)['power_pct_temp'] is None
        assert fleet.state(miner_id)['mining']


def test_curtail_costs_the_same_tasks_for_three_miners_as_for_twelve(make_fleet, tmp_path):
    """O(1) tasks per play: the role runs once for the play, never once per host (its argument check included)."""
    counts = []
    for size in (3, 12):
        fleet = make_fleet(size)
        run = play(fleet, tmp_path, 'curtail.yml', dict(power_curtail_power_percent=60))
        assert run.returncode == 0, run.output
        counts.append(sorted((entry['host'] == fleet.ids[0] or entry['host'] == 'localhost', entry['task']) for entry in run.results))
        assert all(fleet.state(miner_id)['power_pct_temp'] == 60 for miner_id in fleet.ids)
    assert counts[0] == counts[1]
    # the inventory check, the include of the role, its argument check, the fan-out, the summary line
    assert len(counts[0]) == 5, counts[0]
    assert all(first for first, dummy in counts[0])


def test_curtail_threshold_fails_the_play_but_others_are_curtailed(make_fleet, tmp_path):
    fleet = make_fleet(4)
    fleet.fault(fleet.ids[0], 'refuse')
    run = play(fleet, tmp_path, 'curtail.yml', dict(power_curtail_max_fail_percentage=10, power_curtail_timeout=2))
    assert run.returncode != 0
    assert '1 of 4 miners failed' in run.output
    assert all(fleet.state(miner_id)['power_pct_temp'] == 50 for miner_id in fleet.ids[1:])


def test_off_and_restore_fan_out(make_fleet, tmp_path):
    fleet = make_fleet(3)
    run = play(fleet, tmp_path, 'curtail.yml', dict(curtail_state='off', power_curtail_ramp_seconds=1))
    assert run.returncode == 0, run.output
    assert not any(fleet.state(miner_id)['mining'] for miner_id in fleet.ids)
    run = play(fleet, tmp_path, 'restore.yml')
    assert run.returncode == 0, run.output
    assert all(fleet.state(miner_id)['mining'] for miner_id in fleet.ids)


def test_fleet_power_check_mode_and_secrets(make_fleet, tmp_path):
    fleet = make_fleet(2)
    run = play(fleet, tmp_path, 'curtail.yml', check=True, verbosity=3)
    assert run.returncode == 0, run.output
    assert all(fleet.writes(miner_id) == 0 for miner_id in fleet.ids)
    assert 'would be curtailed' in json.dumps(run.results)
    assert '"admin"' not in run.output
    bad = run_playbook('''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: bad
      minerops.whatsminer.whatsminer_fleet_power:
        miners: [{host: 127.0.0.1}, {host: 127.0.0.1}]
        state: curtailed
        power_percent: 10
        password: x
''', fleet.inventory, str(tmp_path))
    assert 'listed twice' in bad.result('bad')['msg']


def test_report_lists_unreachable_and_errors(make_fleet, tmp_path):
    fleet = make_fleet(4)
    fleet.fault(fleet.ids[0], 'refuse')
    fleet.fault(fleet.ids[1], 'fan_failure')
    out = tmp_path / 'reports'
    run = play(fleet, tmp_path, 'report.yml', dict(fleet_report_dir=str(out), fleet_report_timeout=2))
    assert run.returncode == 0, run.output
    page = (out / 'whatsminer-fleet.html').read_text()
    assert page.startswith('<!DOCTYPE html>') and page.count('<svg') >= 6
    assert 'src=' not in page and 'href=' not in page and '<link' not in page
    assert fleet.ids[0] in page and 'Unreachable miners (1)' in page
    data = json.loads((out / 'whatsminer-fleet.json').read_text())
    assert data['totals']['miners'] == 4 and data['totals']['unreachable'] == 1
    assert {str(e['code']) for e in data['error_codes']} >= {'110', '111'}
    assert all(e['description'] for e in data['error_codes'])
    with open(out / 'whatsminer-fleet.csv') as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert {row['model'] for row in rows if row['reachable'] == 'True'} == {'M50', 'M60', 'M63'}


def _image(tmp_path, family=None):
    path = str(tmp_path / 'm50.bin')
    command = [sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version', '20250101.22.REL', '--out', path]
    if family:
        command += ['--family', family]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return path


def test_firmware_rollout_stops_when_miners_reject_the_image(make_fleet, tmp_path):
    # canary (M50) passes; the second batch holds an M60, which refuses an M5X image: the rollout stops there
    # (the play runs the hosts in inventory order: model_m50 then model_m60)
    fleet = make_fleet(6, models=('M50', 'M50', 'M60', 'M60', 'M60', 'M60'))
    summary_file = str(tmp_path / 'rollout.json')
    run = play(fleet, tmp_path, 'firmware.yml', dict(firmware_rollout_src=_image(tmp_path), firmware_rollout_version='20250101.22.REL',
                                                     firmware_batches=[1, 2, 3], firmware_rollout_hashrate_interval=1,
                                                     firmware_rollout_summary_file=summary_file))
    assert run.returncode != 0
    assert 'Rollout stopped' in run.output
    versions = [fleet.state(miner_id)['firmware_version'] for miner_id in fleet.ids]
    assert versions[:2] == ['20250101.22.REL'] * 2
    assert versions[2] != '20250101.22.REL'
    assert all(version != '20250101.22.REL' for version in versions[3:])  # never started
    assert all(fleet.writes(miner_id) == 0 for miner_id in fleet.ids[3:])
    summary = _outcome(summary_file)
    assert summary['failed_miners'] == [fleet.ids[2]]
    assert int(summary['upgraded']) == 2 and int(summary['pending']) == 3
    assert 'firmware is for M5X' in summary['miners'][fleet.ids[2]]['msg']


def test_firmware_rollout_canary_then_batches_then_current(make_fleet, tmp_path):
    fleet = make_fleet(4, models=('M50', 'M60'))
    variables = dict(firmware_rollout_src=_image(tmp_path), firmware_rollout_version='20250101.22.REL',
                     firmware_rollout_models=['M50'], firmware_rollout_hashrate_interval=1)
    run = play(fleet, tmp_path, 'firmware.yml', variables)
    assert run.returncode == 0, run.output
    assert '2 upgraded, 0 already current, 2 skipped, 0 failed, 0 not done yet' in run.output
    for miner in fleet.miners:
        upgraded = fleet.state(miner['id'])['firmware_version'] == '20250101.22.REL'
        assert upgraded == (miner['model'] == 'M50')
    again = play(fleet, tmp_path, 'firmware.yml', variables)
    assert again.returncode == 0, again.output
    assert '0 upgraded, 2 already current, 2 skipped' in again.output
    assert changed_count(again) == 0


def test_discovered_fleet_gets_its_model_group_vars(make_fleet, tmp_path):
    fleet = make_fleet(4)
    first, last = fleet.miners[0]['host'], fleet.miners[-1]['host']
    source = tmp_path / 'site.whatsminer.yml'
    source.write_text('plugin: minerops.whatsminer.whatsminer\nnetworks: [%s-%s]\ntimeout: 1\npassword: admin\n' % (first, last))
    use_example_group_vars(str(tmp_path))
    run = run_playbook(os.path.join(PLAYBOOKS, 'site.yml'), str(source), str(tmp_path))
    assert run.returncode == 0, run.output
    assert {entry['host'] for entry in run.results if entry['host'] != 'localhost'} == {miner['host'] for miner in fleet.miners}
    for miner in fleet.miners:
        mode = fleet.state(miner['id'])['settings']['power_mode']
        assert mode == ('Low' if miner['model'] == 'M30S+' else 'Normal'), (miner, mode)


@pytest.mark.parametrize('fan_out', [True, False], ids=['fan-out', 'per-host'])
def test_curtail_to_a_power_target_and_back(make_fleet, tmp_path, fan_out):
    fleet = make_fleet(2, models=('M50',))
    run = curtail_play(fleet, tmp_path, 'curtail.yml', dict(power_curtail_power=1500), fan_out)
    assert run.returncode == 0, run.output
    assert all(fleet.state(miner_id)['settings']['power_target'] == 1500 for miner_id in fleet.ids)
    assert all(fleet.state(miner_id)['power_w'] < 1600 for miner_id in fleet.ids)
    run = curtail_play(fleet, tmp_path, 'restore.yml', dict(power_curtail_power=3600), fan_out)
    assert run.returncode == 0, run.output
    assert all(fleet.state(miner_id)['settings']['power_target'] == 3600 for miner_id in fleet.ids)


def test_firmware_rollout_precheck_leaves_a_stopped_miner_alone(make_fleet, tmp_path):
    fleet = make_fleet(2, models=('M50',))
    fleet.patch(fleet.ids[1], {'power_on': False})
    run_playbook('''
- hosts: miners
  gather_facts: false
  tasks:
    - name: off
      minerops.whatsminer.whatsminer_power:
        mining: false
      when: inventory_hostname == "%s"
''' % fleet.ids[1], fleet.inventory, str(tmp_path))
    run = play(fleet, tmp_path, 'firmware.yml', dict(firmware_rollout_src=_image(tmp_path), firmware_rollout_version='20250101.22.REL',
                                                     firmware_rollout_hashrate_interval=1, firmware_rollout_max_fail_percentage=50))
    assert run.returncode == 0, run.output
    assert 'pre-check failed' in run.output
    assert fleet.state(fleet.ids[0])['firmware_version'] == '20250101.22.REL'
    assert fleet.state(fleet.ids[1])['firmware_version'] != '20250101.22.REL'
    assert 'update_firmware' not in json.dumps(fleet.counts(fleet.ids[1]))
