# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator's first day (issue #18): the shipped playbooks on the operator's own inventory and settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import yaml

from harness import REPO, run_playbook  # pylint: disable=import-error

PLAYBOOKS = os.path.join(REPO, 'playbooks')
V3_PASSWORD = 'Sup3r_pw'
OWN_POOL = 'stratum+tcp://own-pool.example.net:4444'


def _own_inventory(fleet, tmp_path, group_vars, password=True):
    """The simulator's inventory in a directory of the operator's own, with their own group_vars/miners.yml."""
    inventory = tmp_path / 'inventory'
    inventory.mkdir(exist_ok=True)
    shutil.copy(fleet.inventory, str(inventory / 'hosts.yml'))
    (inventory / 'group_vars').mkdir(exist_ok=True)
    values = dict(group_vars)
    if password:
        values.setdefault('whatsminer_password', 'admin')
    (inventory / 'group_vars' / 'miners.yml').write_text(yaml.safe_dump(values))
    return str(inventory / 'hosts.yml')


def test_the_operators_own_group_vars_are_what_site_yml_applies(make_fleet, tmp_path):
    fleet = make_fleet(miners=2)
    inventory = _own_inventory(fleet, tmp_path, dict(
        whatsminer_record_slot='msg9',
        miner_config_pools=[dict(url=OWN_POOL, user='own.{{ inventory_hostname }}', password='x')],
        miner_config_settings=dict(timezone='UTC0', zonename='UTC')))
    site = os.path.join(PLAYBOOKS, 'site.yml')
    check = run_playbook(site, inventory, str(tmp_path), check=True, diff=True)
    assert check.returncode == 0, check.output
    assert OWN_POOL in check.output and 'pool.example.com' not in check.output and 'Asia/Shanghai' not in check.output
    run = run_playbook(site, inventory, str(tmp_path))
    assert run.returncode == 0, run.output
    for miner in fleet.ids:
        settings = fleet.state(miner)['settings']
        assert settings['pools'][0]['url'] == OWN_POOL and settings['timezone'] == 'UTC0'
    again = run_playbook(site, inventory, str(tmp_path))
    assert not any(entry['result'].get('changed') for entry in again.results), again.output


def test_a_play_that_matches_no_miner_fails_loudly(make_fleet, tmp_path):
    fleet = make_fleet(miners=1)
    with open(fleet.inventory) as handle:
        data = yaml.safe_load(handle)
    data['all']['children'] = {'rigs': data['all']['children'].pop('miners')}  # the operator's own group name
    inventory = tmp_path / 'rigs.yml'
    inventory.write_text(yaml.safe_dump(data))
    for name in ('site.yml', 'drift.yml', 'curtail.yml', 'restore.yml', 'report.yml', 'firmware.yml'):
        run = run_playbook(os.path.join(PLAYBOOKS, name), str(inventory), str(tmp_path))
        assert run.returncode != 0, (name, run.output)
        assert "No host is in group 'miners'" in run.output, (name, run.output)
    assert fleet.changes_sent(fleet.ids[0]) == {}


def _vault(tmp_path, value, name):
    secret = tmp_path / 'vault-pass'
    secret.write_text('correct horse battery staple\n')
    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-vault'), 'encrypt_string',
                                '--vault-password-file', str(secret), value, '--name', name],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    return completed.stdout.decode(), str(secret)


def test_vaulted_passwords_work_for_v2_and_v3_miners(make_fleet, tmp_path):
    """A vaulted whatsminer_v3_password used to fail every task on ansible-core 2.16 and 2.18 (compat smoke run)."""
    fleet = make_fleet(miners=2, models=['M50', 'M60'], extra_args=['--api', 'mixed', '--v3-password', V3_PASSWORD])
    inventory = tmp_path / 'inventory'
    inventory.mkdir()
    shutil.copy(fleet.inventory, str(inventory / 'hosts.yml'))
    (inventory / 'group_vars').mkdir()
    v2_secret, vault_file = _vault(tmp_path, 'admin', 'whatsminer_password')
    v3_secret, dummy = _vault(tmp_path, V3_PASSWORD, 'whatsminer_v3_password')
    (inventory / 'group_vars' / 'miners.yml').write_text('---\n' + v2_secret + '\n' + v3_secret + '\n')
    run = run_playbook('''
- hosts: miners
  gather_facts: false
  tasks:
    - name: led
      minerops.whatsminer.whatsminer_led:
        mode: manual
        color: red
        period: 1000
        duration: 500
        record_slot: msg9
''', str(inventory / 'hosts.yml'), str(tmp_path), extra_args=['--vault-password-file', vault_file])
    assert run.returncode == 0, run.output
    assert all(entry['result']['changed'] for entry in run.for_task('led'))
    assert all(fleet.state(miner)['settings']['led']['mode'] == 'manual' for miner in fleet.ids)
    assert V3_PASSWORD not in run.output


def _image(tmp_path, version='20250101.22.REL'):
    path = str(tmp_path / 'fw' / ('M50-%s.bin' % version))  # fw/ does not exist yet: make-firmware creates it
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version', version,
                    '--out', path], check=True, stdout=subprocess.DEVNULL)
    return path


def test_firmware_check_mode_tells_who_would_be_upgraded_without_waiting(make_fleet, tmp_path):
    fleet = make_fleet(miners=2, models=['M50'])
    inventory = _own_inventory(fleet, tmp_path, {})
    variables = dict(firmware_rollout_src=_image(tmp_path), firmware_rollout_version='20250101.22.REL')
    started = time.monotonic()
    run = run_playbook(os.path.join(PLAYBOOKS, 'firmware.yml'), inventory, str(tmp_path), extra_vars=variables,
                       check=True, diff=True)
    assert run.returncode == 0, run.output
    assert time.monotonic() - started < 60
    assert 'check mode: 2 would be upgraded' in run.output
    assert all(fleet.state(miner)['firmware_version'] != '20250101.22.REL' for miner in fleet.ids)
    assert all(fleet.writes(miner) == 0 for miner in fleet.ids)


def test_firmware_rollout_never_downgrades_unless_asked(make_fleet, tmp_path):
    fleet = make_fleet(miners=1, models=['M50'])
    fleet.patch(fleet.ids[0], {'firmware_version': '20261001.22.REL'})
    inventory = _own_inventory(fleet, tmp_path, {})
    variables = dict(firmware_rollout_src=_image(tmp_path), firmware_rollout_version='20250101.22.REL')
    run = run_playbook(os.path.join(PLAYBOOKS, 'firmware.yml'), inventory, str(tmp_path), extra_vars=variables)
    assert run.returncode == 0, run.output
    assert '0 upgraded, 0 already current, 1 skipped' in run.output
    assert fleet.state(fleet.ids[0])['firmware_version'] == '20261001.22.REL' and fleet.writes(fleet.ids[0]) == 0


def _power(run):
    return {entry['host']: entry for entry in run.results if entry['task'].endswith("Converge the miner's configuration")}


def test_check_mode_fails_on_a_wrong_password_or_write_switch_off(make_fleet, tmp_path):
    fleet = make_fleet(miners=2)
    fleet.patch(fleet.ids[1], {'write_api': False})
    inventory = _own_inventory(fleet, tmp_path, dict(miner_config_power=dict(mining=True, mode='low')), password=False)
    run = run_playbook(os.path.join(PLAYBOOKS, 'site.yml'), inventory, str(tmp_path), check=True,
                       extra_vars={'whatsminer_password': 'wrong_pw'}, limit=fleet.ids[0])
    assert run.returncode != 0
    assert 'API error 23' in _power(run)[fleet.ids[0]]['result']['msg']
    run = run_playbook(os.path.join(PLAYBOOKS, 'site.yml'), inventory, str(tmp_path), check=True,
                       extra_vars={'whatsminer_password': 'admin'})
    assert run.returncode != 0
    power = _power(run)
    assert power[fleet.ids[0]]['status'] == 'ok' and power[fleet.ids[0]]['result']['changed'], run.output
    assert power[fleet.ids[1]]['status'] == 'failed' and 'API error 45' in power[fleet.ids[1]]['result']['msg']
    assert all(fleet.changes_sent(miner) == {} for miner in fleet.ids)


def test_a_stale_api_v2_on_a_v3_miner_says_what_to_set(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M60'], extra_args=['--api', 'v3', '--v3-password', V3_PASSWORD])
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [all]
        api: v2
''')
    assert run.returncode != 0
    msg = run.result('facts')['msg']
    assert 'invalid cmd' in msg.lower() and 'whatsminer_api to v3' in msg, msg


def test_a_typo_names_the_module(fleet, playbook):
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: power
      minerops.whatsminer.whatsminer_power:
        power_limt: 3000
''', limit=fleet.ids[0])
    assert run.returncode != 0
    assert run.result('power')['msg'].startswith('Unsupported parameters for (minerops.whatsminer.whatsminer_power) module: power_limt.')


def _inventory_list(source):
    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(source), '--list'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=120,
                               env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    assert completed.returncode == 0, completed.stderr.decode()
    return json.loads(completed.stdout), completed.stderr.decode()


def test_a_dead_miner_stays_in_the_inventory_and_the_report(make_fleet, tmp_path):
    """Discovery remembers the miners it found: one that stops answering is listed missing, not left out."""
    fleet = make_fleet(miners=3)
    hosts = [miner['host'] for miner in fleet.miners]
    prefix = hosts[0].rsplit('.', 1)[0]
    never_there = '%s.250' % prefix
    known = tmp_path / 'known-miners.json'
    source = tmp_path / 'site.whatsminer.yml'
    source.write_text('plugin: minerops.whatsminer.whatsminer\nnetworks: [%s.1-%s.20]\ntimeout: 1\npassword: admin\n'
                      'expected: [%s]\nknown_miners_file: %s\n' % (prefix, prefix, never_there, known))
    first, warnings = _inventory_list(source)
    assert sorted(first['miners']['hosts']) == sorted(hosts + [never_there])
    assert first['miners_missing']['hosts'] == [never_there] and 'did not answer' in ' '.join(warnings.split())
    assert sorted(json.loads(known.read_text())['miners']) == sorted('%s:4028' % host for host in hosts)

    fleet.fault(fleet.ids[1], 'refuse')
    second, warnings = _inventory_list(source)
    assert sorted(second['miners_missing']['hosts']) == sorted([hosts[1], never_there])
    dead = second['_meta']['hostvars'][hosts[1]]
    assert dead['whatsminer_missing'] is True and dead['whatsminer_last_seen'] and dead['whatsminer_model']
    run = run_playbook(os.path.join(PLAYBOOKS, 'report.yml'), str(source), str(tmp_path),
                       extra_vars=dict(fleet_report_dir=str(tmp_path / 'reports')))
    assert run.returncode == 0, run.output
    assert '4 miners (2 unreachable)' in run.output, run.output[-3000:]


def test_a_task_on_localhost_says_where_modules_belong(tmp_path):
    run = run_playbook('''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        timeout: 1
        port: 1
''', 'localhost,', str(tmp_path))
    assert run.returncode != 0
    assert 'hosts: miners' in run.result('facts')['msg']


def test_a_rerun_spends_its_canary_on_a_miner_still_to_upgrade(make_fleet, tmp_path):
    fleet = make_fleet(miners=3, models=['M50'], restart_seconds=0.3, extra_args=['--ramp-seconds', '0.5'])
    fleet.patch(fleet.ids[0], {'firmware_version': '20250101.22.REL'})  # upgraded by the run that stopped
    inventory = _own_inventory(fleet, tmp_path, {})
    variables = dict(firmware_rollout_src=_image(tmp_path), firmware_rollout_version='20250101.22.REL',
                     firmware_batches=[1, 1, 1], firmware_rollout_hashrate_interval=1)
    run = run_playbook(os.path.join(PLAYBOOKS, 'firmware.yml'), inventory, str(tmp_path), extra_vars=variables)
    assert run.returncode == 0, run.output
    batches = [entry['host'] for entry in run.results if entry['task'].endswith('Upload the firmware and wait for the reboot')]
    # The miners still to upgrade come first: the canary is one of them, the current one comes last.
    assert sorted(batches[:2]) == sorted(fleet.ids[1:]) and batches[2] == fleet.ids[0], batches
    assert '2 upgraded, 1 already current' in run.output


def test_the_report_lists_a_miner_that_answers_with_an_error_as_reachable(make_fleet, tmp_path):
    """A stale whatsminer_api: v2 on a V3 miner: the report shows it reachable, with the error and its hint."""
    fleet = make_fleet(miners=2, models=['M50', 'M60'], extra_args=['--api', 'mixed', '--v3-password', V3_PASSWORD])
    inventory = _own_inventory(fleet, tmp_path, {})
    reports = tmp_path / 'reports'
    run = run_playbook(os.path.join(PLAYBOOKS, 'report.yml'), inventory, str(tmp_path),
                       extra_vars=dict(fleet_report_dir=str(reports), whatsminer_api='v2'))
    assert run.returncode == 0, run.output
    data = json.loads((reports / 'whatsminer-fleet.json').read_text())
    rows = {row['name']: row for row in data['miners']}
    v3 = [miner['id'] for miner in fleet.miners if fleet.state(miner['id'])['settings']['api'] == 'v3'][0]
    assert rows[v3]['reachable'] is True and 'whatsminer_api to v3' in (rows[v3]['error'] or ''), rows[v3]
    assert data['totals']['unreachable'] == 0
