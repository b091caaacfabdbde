# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_config: the whole wanted state in one task, against the fake miner.

What a user sees: changed then ok; check mode sends nothing; one diff keyed by section; every section checked before
anything is sent; a failure names its section and what the sections before it did.
"""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import _restart as restart
from ansible_collections.minerops.whatsminer.plugins.modules import whatsminer_config

from .fake_device import FakeDevice, run_task

POOLS = [dict(url='stratum+tcp://new.example:3333', user='acct.m50', password='x')]
WHOLE = dict(
    record_slot='msg9',
    settings=dict(timezone='CST-8', zonename='Asia/Shanghai'),
    cooling=dict(fan_zero_speed=False),
    pools=POOLS,
    customer_msg=dict(customer_sn='SITE-DC1'),
    led=dict(mode='manual', color='red', period=1000),
    power=dict(mining=True, mode='low'),
    network=dict(hostname='m50-new'),
)


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(restart.time, 'sleep', lambda seconds: now.__setitem__(0, now[0] + seconds))
    monkeypatch.setattr(restart.time, 'monotonic', lambda: now[0])


class CountingDevice(FakeDevice):
    """A fake miner that counts the connections (Miner views) a task opens to it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.opened = 0

    def factory(self, host, **options):
        self.opened += 1
        return super().factory(host, **options)


def _writes(device):
    return [call[1] for call in device.calls if call[0] == 'write']


def test_whole_state_changed_then_ok_over_one_connection():
    device = CountingDevice()
    first = run_task(whatsminer_config, device, **WHOLE)
    assert not first.get('failed'), first
    assert first['changed'] is True
    assert first['changed_sections'] == ['settings', 'cooling', 'pools', 'customer_msg', 'led', 'power', 'network']
    writes = _writes(device)
    # The safe order: settings and cooling, pools, customer messages, LED, power (restarts btminer), network last
    # (the applied-settings record in msg9 is written after each section that uses it).
    order = ['set_zone', 'set_fan_zero_speed', 'update_pools', 'set_customer_msg', 'set_led', 'set_low_power', 'set_hostname']
    not_record = [call[1] for call in device.calls if call[0] == 'write' and call[2].get('key') != 'msg9']
    assert [command for command in not_record if command in order] == order
    assert device.opened == 1
    assert first['sections']['power']['state']['mode'] == 'low'
    assert first['commands'] == writes
    device.calls = []
    again = run_task(whatsminer_config, device, **WHOLE)
    assert again['changed'] is False and again['changed_sections'] == [], again
    assert _writes(device) == []
    assert device.opened == 2


def test_check_mode_predicts_the_change_and_sends_nothing():
    device = FakeDevice()
    result = run_task(whatsminer_config, device, check_mode=True, **WHOLE)
    assert result['changed'] is True and not result.get('failed'), result
    assert _writes(device) == []
    assert result['commands'] == []
    assert ('check_credentials',) in device.calls
    assert run_task(whatsminer_config, device, **WHOLE)['changed'] is True


def test_one_diff_keyed_by_section_without_secrets():
    device = FakeDevice()
    result = run_task(whatsminer_config, device, check_mode=True, pools=POOLS, power=dict(mode='low'), record_slot='msg9',
                      pools_update_password='always')
    assert sorted(result['diff']['before']) == ['pools', 'power'] == sorted(result['diff']['after'])
    assert result['diff']['before']['power']['mode'] == 'normal' and result['diff']['after']['power']['mode'] == 'low'
    assert result['diff']['after']['pools']['pools'][0]['url'] == 'stratum+tcp://new.example:3333'
    assert "'x'" not in repr(result['diff']) and 'password' not in repr(result['diff']['after']['pools']['pools'][0])


@pytest.mark.parametrize('options, message', [
    (dict(network=dict(proto='static', address='192.0.2.20', netmask='255.255.255.0', gateway='10.0.0.1', dns=['192.0.2.1'])),
     'network: gateway 10.0.0.1 is outside the subnet 192.0.2.0/24'),
    (dict(power=dict(mode='turbo')), 'power: value of mode must be one of: low, normal, high, got: turbo'),
    (dict(led=dict(colour='red')), 'led has unknown options colour; allowed: color, duration, mode, period, reapply, start'),
    (dict(power=dict(power_percent=50)), 'run-time targets for demand response'),
    (dict(settings=dict(timezone='CST-8')), 'settings: parameters are required together: timezone, zonename'),
    (dict(settings=dict(timezone=True, zonename='Asia/Shanghai')), 'settings.timezone got the boolean True'),
    (dict(cooling=dict(temp_offset=5)), 'cooling: temp_offset must be between -30 and 0, got 5'),
    (dict(pools=[dict(url='http://pool.example', user='a')]), 'pools: pools[1].url must look like stratum+tcp://host:port'),
    (dict(customer_msg=dict(messages=dict(msg11='x'))), 'customer_msg: messages has unknown keys msg11'),
    (dict(customer_msg='SITE'), 'customer_msg must be a dictionary, got str'),
])
def test_every_section_is_checked_before_anything_is_sent(options, message):
    """A mistake in the last section leaves the first ones unsent, and the message names the section and the field."""
    device = FakeDevice()
    result = run_task(whatsminer_config, device, **dict(dict(pools=POOLS), **options))
    assert result.get('failed') and message in result['msg'], result
    assert result['changed'] is False and _writes(device) == []
    assert not any(call == ('read', 'pools') for call in device.calls)


@pytest.mark.parametrize('options, unsupported, message', [
    (dict(power=dict(upfreq_speed=10)), (), 'power: upfreq_speed must be between 0 and 9 on API V2.2, got 10'),
    (dict(led=dict(mode='manual', color='red', period=1000)), ('miner_info',), 'led: '),
    (dict(customer_msg=dict(customer_sn='SITE')), ('customer_msg',), 'customer_msg: this miner (firmware'),
])
def test_what_this_miner_refuses_fails_the_task_before_any_section_is_sent(options, unsupported, message):
    """Every section is read and compared first: a later section this firmware refuses leaves the pools unsent."""
    device = FakeDevice()
    device.unsupported.update(unsupported)
    result = run_task(whatsminer_config, device, **dict(dict(pools=POOLS), **options))
    assert result.get('failed') and message in result['msg'], result
    assert result['msg'].endswith('nothing was sent (every section is checked against the miner before any is applied)')
    assert result['changed'] is False and _writes(device) == []
    assert ('read', 'pools') in device.calls


def test_a_failing_section_names_itself_and_what_came_before():
    device = FakeDevice()
    device.ignore.add('set_low_power')  # acknowledged, never applied: the read-back catches it
    result = run_task(whatsminer_config, device, pools=POOLS, power=dict(mode='low'), network=dict(hostname='m50-new'))
    assert result.get('failed') and result['failed_section'] == 'power', result
    assert result['msg'].startswith('192.0.2.10:4028: power: the miner reports mode=')
    assert 'sections applied before it: pools (changed: pools); later sections were not run' in result['msg']
    assert result['changed'] is True and result['sections']['pools']['changed'] is True
    assert 'set_hostname' not in _writes(device)


def test_an_error_of_the_miner_in_a_section_keeps_its_type_and_names_the_section():
    device = FakeDevice()
    device.lose_reply.add('set_led')
    result = run_task(whatsminer_config, device, pools=POOLS, led=dict(mode='manual', color='red', period=1000))
    assert result.get('failed') and result['outcome_unknown'] is True and result['changed'] is True
    assert result['msg'].startswith('led: ') and result['failed_section'] == 'led'
    assert 'sections applied before it: pools (changed: pools)' in result['msg']


def test_warnings_name_their_section():
    device = FakeDevice()
    result = run_task(whatsminer_config, device, cooling=dict(temp_offset=-5))
    assert result['changed'] is True
    assert any(warning.startswith('cooling: temp_offset cannot be read back') for warning in result['warnings']), result


def test_nothing_set_contacts_no_miner_and_says_so():
    device = CountingDevice()
    result = run_task(whatsminer_config, device, settings={}, pools=[], led=None)
    assert result['changed'] is False and not result.get('failed')
    assert 'nothing to converge' in result['warnings'][0]
    assert device.opened == 0 and device.calls == []


def test_led_mode_defaults_to_auto_in_the_section():
    device = FakeDevice()
    device.sections['miner_info']['led_state'] = 'manual'
    result = run_task(whatsminer_config, device, led=dict())
    assert result['changed'] is False, 'an empty section is not managed'
    result = run_task(whatsminer_config, device, led=dict(reapply=False))
    assert result['changed'] is True and _writes(device) == ['set_led']


def test_reapply_of_the_task_reaches_each_section_unless_the_section_sets_its_own():
    device = FakeDevice()
    first = run_task(whatsminer_config, device, record_slot='msg9', cooling=dict(fan_zero_speed=True))
    assert first['changed'] is True
    assert run_task(whatsminer_config, device, record_slot='msg9', cooling=dict(fan_zero_speed=True))['changed'] is False
    assert run_task(whatsminer_config, device, record_slot='msg9', reapply=True, cooling=dict(fan_zero_speed=True))['changed'] is True
    assert run_task(whatsminer_config, device, record_slot='msg9', reapply=True,
                    cooling=dict(fan_zero_speed=True, reapply=False))['changed'] is False


def test_customer_messages_are_read_once_until_a_write():
    """Three sections compare with the record and one with the messages: one get_customer_msg when nothing changes."""
    device = FakeDevice()
    options = dict(record_slot='msg9', settings=dict(web_pools=False), cooling=dict(fan_zero_speed=False),
                   customer_msg=dict(customer_sn='SITE'))
    assert run_task(whatsminer_config, device, **options)['changed'] is True
    device.calls = []
    assert run_task(whatsminer_config, device, **options)['changed'] is False
    assert device.calls.count(('read', 'customer_msg')) == 1


def test_pools_applied_at_the_next_start_wait_for_the_power_change_one_restart_not_two():
    device = FakeDevice()
    device.defer.add('update_pools')
    result = run_task(whatsminer_config, device, pools=POOLS, power=dict(mode='low'))
    assert not result.get('failed') and result['changed'] is True, result
    assert device.restarts == ['set_low_power']
    assert result['sections']['pools']['pending_restart'] is False and result['sections']['pools']['restarted'] is False
    assert any(warning.startswith('pools: ') and 'the power change of this task' in warning for warning in result['warnings'])
    assert run_task(whatsminer_config, device, pools=POOLS, power=dict(mode='low'))['changed'] is False


def test_pools_applied_at_the_next_start_restart_btminer_themselves_without_a_power_restart():
    device = FakeDevice()
    device.defer.add('update_pools')
    result = run_task(whatsminer_config, device, pools=POOLS, power=dict(fast_boot=True))
    assert not result.get('failed'), result
    assert device.restarts == ['restart_btminer']
    assert result['sections']['pools']['restarted'] is True


def test_pools_do_not_wait_for_a_power_off_which_never_starts_btminer_again():
    device = FakeDevice()
    device.defer.add('update_pools')
    result = run_task(whatsminer_config, device, pools=POOLS, power=dict(mining=False))
    assert not result.get('failed'), result
    assert device.restarts == ['restart_btminer', 'power_off']
    assert result['sections']['pools']['restarted'] is True
