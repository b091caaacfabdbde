# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings the V2.2 API cannot read back: the applied-settings record across runs and behind the module's back."""

from __future__ import annotations

PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: settings
      minerops.whatsminer.whatsminer_settings:
        timezone: UTC0
        zonename: UTC
        syslog: {host: 10.9.8.7, port: 5514, proto: tcp}
        web_pools: false
        mine_on_boot: true
        %s
    - name: cooling
      minerops.whatsminer.whatsminer_cooling:
        temp_offset: -7
        fan_zero_speed: true
        poweroff_cool: true
        %s
'''

WITH_RECORD = PLAY % ('record_slot: msg9', 'record_slot: msg9')
WITHOUT_RECORD = PLAY % ('', '')


def _applied(state):
    settings = state['settings']
    return dict(timezone=settings['timezone'], zonename=settings['zonename'], syslog=settings['syslog'],
                web_pools=settings['web_pools'], btminer_init=settings['btminer_init'], temp_offset=settings['temp_offset'],
                fan_zero_speed=settings['fan_zero_speed'], poweroff_cool=settings['poweroff_cool'])


EXPECTED = dict(timezone='UTC0', zonename='UTC', syslog=dict(ip='10.9.8.7', port=5514, proto='tcp'), web_pools=False,
                btminer_init=True, temp_offset=-7, fan_zero_speed=True, poweroff_cool=True)


def test_record_gives_changed_then_ok_with_no_write(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'])
    miner = fleet.ids[0]
    first = playbook(fleet, WITH_RECORD)
    assert first.returncode == 0, first.output
    assert first.result('settings')['changed'] and first.result('cooling')['changed']
    state = fleet.state(miner)
    assert _applied(state) == EXPECTED
    assert state['settings']['customer_msg']['msg9'].startswith('mo1;')
    sent = fleet.changes_sent(miner)

    second = playbook(fleet, WITH_RECORD, diff=True)
    assert second.returncode == 0, second.output
    assert not second.result('settings')['changed'] and not second.result('cooling')['changed']
    assert fleet.changes_sent(miner) == sent  # not one write on the second run

    # A fresh controller (CI runner) sees the same: the record lives on the miner.
    third = playbook(fleet, WITH_RECORD, check=True)
    assert not third.result('settings')['changed']


def test_change_behind_the_back_needs_reapply(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'])
    miner = fleet.ids[0]
    assert playbook(fleet, WITH_RECORD).returncode == 0
    fleet.patch(miner, {'timezone': 'CST-8', 'zonename': 'Asia/Shanghai'})
    unseen = playbook(fleet, WITH_RECORD)
    assert not unseen.result('settings')['changed']  # documented: the record cannot see it
    assert fleet.state(miner)['settings']['timezone'] == 'CST-8'
    forced = playbook(fleet, WITH_RECORD.replace('record_slot: msg9', 'record_slot: msg9\n        reapply: true', 1))
    assert forced.result('settings')['changed'] is True
    assert fleet.state(miner)['settings']['timezone'] == 'UTC0'


def test_changed_value_is_sent_alone(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'])
    assert playbook(fleet, WITH_RECORD).returncode == 0
    run = playbook(fleet, WITH_RECORD.replace('temp_offset: -7', 'temp_offset: -3'))
    assert run.result('cooling')['sent'] == ['temp_offset']
    assert run.result('cooling')['commands'] == ['set_temp_offset', 'set_customer_msg']
    assert not run.result('settings')['changed']
    assert fleet.state(fleet.ids[0])['settings']['temp_offset'] == -3


def test_without_record_every_run_is_honestly_changed(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'])
    for _run in range(2):
        run = playbook(fleet, WITHOUT_RECORD)
        assert run.returncode == 0, run.output
        for task in ('settings', 'cooling'):
            assert run.result(task)['changed'] is True
            assert 'cannot be read back' in ' '.join(run.result(task)['warnings'])
    assert _applied(fleet.state(fleet.ids[0])) == EXPECTED


def test_check_mode_writes_nothing(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'])
    before = fleet.state(fleet.ids[0])['settings']
    run = playbook(fleet, WITH_RECORD, check=True, diff=True)
    assert run.returncode == 0, run.output
    assert run.result('settings')['changed'] is True
    assert fleet.state(fleet.ids[0])['settings'] == before


def test_foreign_slot_is_not_overwritten(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M50'])
    fleet.patch(fleet.ids[0], {'customer_msg': dict(fleet.state(fleet.ids[0])['settings']['customer_msg'], msg9='rack 7')})
    run = playbook(fleet, WITH_RECORD)
    assert run.returncode != 0
    assert 'not an applied-settings record' in run.result('settings')['msg']
    assert fleet.state(fleet.ids[0])['settings']['customer_msg']['msg9'] == 'rack 7'


def test_heat_mode_on_air_cooled_miner_fails_with_the_miners_reason(make_fleet, playbook):
    fleet = make_fleet(miners=2, models=['M50', 'M63'])
    play = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: heat
      minerops.whatsminer.whatsminer_cooling:
        heat_mode: anti-icing
'''
    run = playbook(fleet, play)
    assert run.failed('heat') == {fleet.ids[0]: True, fleet.ids[1]: False}
    assert 'hydro' in run.result('heat', fleet.ids[0])['msg']
    assert fleet.state(fleet.ids[1])['settings']['heat_mode'] == 'anti-icing'


def test_bad_input_refused_before_any_request(fleet, playbook):
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    bad = ['temp_offset: 5', 'temp_offset: -31', 'heat_mode: boil', 'record_slot: msg10']
    for option in bad:
        run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: cooling
      minerops.whatsminer.whatsminer_cooling:
        %s
''' % option, limit=miner)
        assert run.returncode != 0
        assert option.split(':', maxsplit=1)[0] in run.result('cooling')['msg']
    for option in ('timezone: "UTC0; reboot"\n        zonename: UTC', 'timezone: UTC0', 'syslog: {host: "a b"}', 'syslog: {host: x.example, port: 70000}'):
        run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: settings
      minerops.whatsminer.whatsminer_settings:
        %s
''' % option, limit=miner)
        assert run.returncode != 0, option
    assert fleet.counts(miner) == before


def test_pool_passwords_and_upfreq_speed_through_the_record(make_fleet, playbook):
    fleet = make_fleet(miners=1, models=['M60'])
    miner = fleet.ids[0]
    play = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: pools
      minerops.whatsminer.whatsminer_pools:
        pools:
          - {url: "stratum+tcp://pool.example.com:3333", user: acct.w1, password: "%s"}
        record_slot: msg8
    - name: power
      minerops.whatsminer.whatsminer_power:
        upfreq_speed: %d
        record_slot: msg8
'''
    first = playbook(fleet, play % ('PwOne_1', 3))
    assert first.returncode == 0, first.output
    assert first.result('pools')['changed'] and first.result('power')['changed']
    second = playbook(fleet, play % ('PwOne_1', 3))
    assert not second.result('pools')['changed'] and not second.result('power')['changed']
    assert second.result('power')['unverified'] == []
    third = playbook(fleet, play % ('PwTwo_2', 3))
    assert third.result('pools')['changed'] is True and not third.result('power')['changed']
    settings = fleet.state(miner)['settings']
    assert settings['pools'][0]['password'] == 'PwTwo_2'
    assert 'PwOne_1' not in settings['customer_msg']['msg8'] and 'PwTwo_2' not in settings['customer_msg']['msg8']
    assert settings['upfreq_speed'] == 3
    assert 'PwTwo_2' not in third.output
