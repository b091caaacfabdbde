# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module against API V3 miners (and mixed fleets): same options, same results, V3 read-back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness import SIMULATOR_PATH

V3_PASSWORD = 'Sup3r_pw'
V3 = ['--api', 'v3', '--v3-password', V3_PASSWORD]

CONFIGURE = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: pools
      minerops.whatsminer.whatsminer_pools:
        pools:
          - {url: "stratum+tcp://pool.example.com:3333", user: "acct.{{ inventory_hostname }}", password: x}
    - name: power
      minerops.whatsminer.whatsminer_power:
        mode: low
        power_limit: 3000
        fast_boot: true
    - name: settings
      minerops.whatsminer.whatsminer_settings:
        timezone: UTC0
        zonename: UTC
        syslog: {host: 10.9.8.7, port: 5514, proto: tcp}
        web_pools: false
    - name: cooling
      minerops.whatsminer.whatsminer_cooling:
        temp_offset: -6
        fan_zero_speed: true
    - name: led
      minerops.whatsminer.whatsminer_led:
        mode: manual
        color: green
        period: 800
        record_slot: msg9
    - name: network
      minerops.whatsminer.whatsminer_network:
        hostname: "rig-{{ inventory_hostname }}"
    - name: customer_msg
      minerops.whatsminer.whatsminer_customer_msg:
        customer_sn: "SN-{{ inventory_hostname }}"
'''

TASKS = ('pools', 'power', 'settings', 'cooling', 'led', 'network', 'customer_msg')


def test_configure_v3_changed_then_ok_without_a_record(make_fleet, playbook):
    fleet = make_fleet(miners=2, models=['M50', 'M60'], extra_args=V3)
    first = playbook(fleet, CONFIGURE, diff=True)
    assert first.returncode == 0, first.output
    for task in TASKS:
        assert set(first.changed(task).values()) == {True}, task
    for miner in fleet.ids:
        settings = fleet.state(miner)['settings']
        assert settings['pools'][0]['url'] == 'stratum+tcp://pool.example.com:3333'
        assert (settings['power_mode'], settings['power_limit'], settings['fast_boot']) == ('Low', 3000, True)
        assert (settings['timezone'], settings['web_pools'], settings['temp_offset'], settings['fan_zero_speed']) == ('UTC0', False, -6, True)
        assert settings['hostname'] == 'rig-%s' % miner
        assert settings['customer_msg']['CustomerSn'] == 'SN-%s' % miner

    second = playbook(fleet, CONFIGURE)
    assert second.returncode == 0, second.output
    for task in TASKS:
        assert set(second.changed(task).values()) == {False}, task
    # settings and cooling were compared with the miner's own values, not a record
    assert not any('cannot be read back' in ' '.join(entry['result'].get('warnings', [])) for entry in second.for_task('settings'))

    check = playbook(fleet, CONFIGURE.replace('temp_offset: -6', 'temp_offset: -2'), check=True, diff=True)
    assert check.result('cooling', fleet.ids[0])['changed'] is True
    assert fleet.state(fleet.ids[0])['settings']['temp_offset'] == -6


def test_v3_sees_changes_behind_its_back(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'], extra_args=V3)
    assert playbook(fleet, CONFIGURE).returncode == 0
    fleet.patch(fleet.ids[0], {'timezone': 'CST-8', 'zonename': 'Asia/Shanghai', 'temp_offset': 0})
    run = playbook(fleet, CONFIGURE)
    assert run.result('settings')['changed'] is True and run.result('settings')['sent'] == ['timezone']
    assert run.result('cooling')['sent'] == ['temp_offset']
    assert fleet.state(fleet.ids[0])['settings']['timezone'] == 'UTC0'


def test_mixed_fleet_gives_the_same_facts(make_fleet, playbook):
    fleet = make_fleet(miners=2, models=['M60', 'M60'], extra_args=['--api', 'mixed', '--v3-password', V3_PASSWORD])
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
''')
    assert run.returncode == 0, run.output
    views = {miner: run.result('facts', miner)['ansible_facts']['whatsminer'] for miner in fleet.ids}
    apis = sorted(view['api'] for view in views.values())
    assert apis == ['v2', 'v3']
    common = set.intersection(*(set(view) for view in views.values())) - {'raw', 'gathered_subsets'}
    for key in ('model', 'mining', 'power_mode', 'power_limit_w', 'firmware_version', 'pools', 'network'):
        assert key in common
    for view in views.values():
        assert view['model'] == 'M60' and view['hashrate_ths'] > 0 and view['power_w'] > 0
        assert len(view['boards']) == 3 and view['psu']['input_power_w'] > 0


@pytest.mark.parametrize('api', ['v3', 'auto'])
def test_operations_on_v3(make_fleet, playbook, tmp_path, api):
    fleet = make_fleet(miners=1, models=['M50'], extra_args=V3, restart_seconds=1)
    image = str(tmp_path / 'fw.bin')
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version', '20261201.30.REL', '--out', image],
                   check=True, env=dict(os.environ, PYTHONPATH=SIMULATOR_PATH), stdout=subprocess.DEVNULL)
    logs = tmp_path / 'logs'
    logs.mkdir()
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  module_defaults:
    group/minerops.whatsminer.whatsminer:
      api: %s
  tasks:
    - name: firmware
      minerops.whatsminer.whatsminer_firmware: {src: %s, version: 20261201.30.REL, wait_timeout: 60}
    - name: logs
      minerops.whatsminer.whatsminer_logs: {dest: %s}
    - name: reboot
      minerops.whatsminer.whatsminer_reboot: {target: btminer, wait_for_hashing: false, wait_timeout: 60}
    - name: stop
      minerops.whatsminer.whatsminer_power: {mining: false}
    - name: start
      minerops.whatsminer.whatsminer_power: {mining: true}
''' % (api, image, logs))
    assert run.returncode == 0, run.output
    assert fleet.state(fleet.ids[0])['firmware_version'] == '20261201.30.REL'
    assert os.path.getsize(run.result('logs')['path']) == run.result('logs')['size'] > 0
    assert run.result('stop')['state']['mining'] is False and run.result('start')['state']['mining'] is True


def test_v3_errors_are_clear(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'], extra_args=['--api', 'v3', '--v3-password', V3_PASSWORD])
    wrong = playbook(fleet, CONFIGURE, extra_vars=dict(whatsminer_v3_password='Wr0ng_pw'))
    assert wrong.returncode != 0
    assert 'password' in wrong.result('pools')['msg'] and 'Wr0ng_pw' not in wrong.output
    assert wrong.result('pools')['changed'] is False  # the miner refused it
    fleet.patch(fleet.ids[0], {'write_api': False})
    off = playbook(fleet, CONFIGURE)
    assert off.returncode != 0
    assert 'WhatsMinerTool' in off.result('pools')['msg'] or 'web' in off.result('pools')['msg']


def test_discovery_records_the_api_and_modules_use_it(make_fleet, playbook, tmp_path):
    import json
    from harness import run_playbook
    fleet = make_fleet(miners=2, models=['M50', 'M60'], extra_args=['--api', 'mixed', '--v3-password', V3_PASSWORD])
    source = tmp_path / 'site.whatsminer.yml'
    source.write_text('plugin: minerops.whatsminer.whatsminer\nnetworks: [%s]\ntimeout: 2\nhostname_from: address\n'
                      % ', '.join(miner['host'] for miner in fleet.miners))
    listing = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(source), '--list'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    hostvars = json.loads(listing.stdout)['_meta']['hostvars']

    def plain(value):
        return value.get('__ansible_unsafe') if isinstance(value, dict) else value
    assert {plain(hostvars[miner['host']]['whatsminer_api']) for miner in fleet.miners} == {'v2', 'v3'}
    # the API version is the one each miner's API reports (a V3 miner's reduced V2 port does not say)
    versions = {plain(hostvars[miner['host']]['whatsminer_api']): plain(hostvars[miner['host']]['whatsminer_api_version'])
                for miner in fleet.miners}
    assert versions['v3'].startswith('3.') and versions['v2'].startswith('2.'), versions
    group_vars = tmp_path / 'group_vars'
    group_vars.mkdir()
    (group_vars / 'all.yml').write_text('whatsminer_password: admin\nwhatsminer_v3_password: %s\n' % V3_PASSWORD)
    run = run_playbook('''
- hosts: miners
  gather_facts: false
  tasks:
    - name: pools
      minerops.whatsminer.whatsminer_pools:
        pools: [{url: "stratum+tcp://pool.example.com:3333", user: w1, password: x}]
''', str(source), str(tmp_path))
    assert run.returncode == 0, run.output
    assert set(run.changed('pools').values()) == {True}


def test_password_rotation_and_native_commands_on_v3(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'], extra_args=V3)
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: rotate
      minerops.whatsminer.whatsminer_password: {new_password: New_v3pw}
    - name: again
      minerops.whatsminer.whatsminer_password: {new_password: New_v3pw}
    - name: native
      minerops.whatsminer.whatsminer_command:
        command: get.device.info
        params: {param: system}
    - name: facts
      minerops.whatsminer.whatsminer_facts: {gather_subset: [min]}
''')
    assert run.returncode == 0, run.output
    assert run.result('rotate')['password_changed'] is True and run.result('again')['changed'] is False
    assert 'New_v3pw' not in run.output and V3_PASSWORD not in run.output
    assert run.result('native')['reply']['msg']['system']['api'].startswith('3.')
    assert run.result('facts')['ansible_facts']['whatsminer']['settings']['timezone']
    v2 = playbook(make_fleet(miners=1), '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: native
      minerops.whatsminer.whatsminer_command: {command: get.device.info}
''')
    assert 'is an API V3 command' in v2.result('native')['msg']


def test_fan_out_curtailment_and_factory_reset_on_v3(make_fleet, playbook):
    fleet = make_fleet(miners=2, models=['M50', 'M60'], extra_args=['--api', 'mixed', '--v3-password', V3_PASSWORD])
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: curtail
      minerops.whatsminer.whatsminer_fleet_power:
        miners: "{{ ansible_play_hosts | minerops.whatsminer.fleet_members(hostvars) }}"
        state: curtailed
        power_percent: 50
      run_once: true
    - name: reset
      minerops.whatsminer.whatsminer_factory_reset: {confirm: true}
      when: whatsminer_api == 'v3'
''')
    assert run.returncode == 0, run.output
    result = run.result('curtail')
    assert result['changed'] is True
    assert sorted(miner['outcome'] for miner in result['miners']) == ['curtailed', 'curtailed'], result
    v3 = [miner for miner in fleet.miners if fleet.state(miner['id'])['api'] == 'v3'][0]
    assert fleet.counts(v3['id']).get('set.system.factory_reset') == 1
