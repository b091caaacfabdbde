# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module against a fake Miner, in community.hrobot style: a "changes" and an "idempotent" test
per module, each also in check mode, each naming the exact calls the miner receives.

In check mode a change is only predicted: the miner gets the same reads plus the password proof
(``check_credentials``, API V2.2), never a write.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import _restart as restart
from ansible_collections.minerops.whatsminer.plugins.modules import (
    whatsminer_command,
    whatsminer_cooling,
    whatsminer_customer_msg,
    whatsminer_factory_reset,
    whatsminer_facts,
    whatsminer_firmware,
    whatsminer_fleet_power,
    whatsminer_led,
    whatsminer_logs,
    whatsminer_network,
    whatsminer_password,
    whatsminer_pools,
    whatsminer_power,
    whatsminer_reboot,
    whatsminer_settings,
)

from .fake_device import HOST, FakeDevice, run_task

CHECK = [False, True]
PROOF = [('check_credentials',)]


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    """Waits and read-back polls run on a clock of their own: a sleep moves it on, nothing really waits."""
    now = [1000.0]
    monkeypatch.setattr(restart.time, 'sleep', lambda seconds: now.__setitem__(0, now[0] + seconds))
    monkeypatch.setattr(restart.time, 'monotonic', lambda: now[0])


def _expect(device, check_mode, reads, writes):
    """The calls of a change: in check mode the reads and the password proof, else the reads and writes."""
    assert device.calls == (reads + PROOF if check_mode else reads + writes)


# ---------------------------------------------------------------------------- pools

POOLS = [dict(url='stratum+tcp://pool.example:3333', user='acct.m50', password='x')]
NEW_POOLS = [dict(url='stratum+tcp://new.example:3333', user='acct.m50', password='x'),
             dict(url='stratum+tcp://pool.example:3333', user='acct.m50', password='x')]


@pytest.mark.parametrize('check_mode', CHECK)
def test_pools_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_pools, device, check_mode, pools=NEW_POOLS)
    assert result['changed'] is True and not result.get('failed'), result
    write = ('write', 'update_pools', dict(pool1='stratum+tcp://new.example:3333', worker1='acct.m50', passwd1='x',
                                           pool2='stratum+tcp://pool.example:3333', worker2='acct.m50', passwd2='x',
                                           pool3='', worker3='', passwd3=''))
    _expect(device, check_mode, [('read', 'pools')], [write, ('read', 'pools')])
    assert result['diff']['after']['pools'][0]['url'] == 'stratum+tcp://new.example:3333'


@pytest.mark.parametrize('check_mode', CHECK)
def test_pools_idempotent(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_pools, device, check_mode, pools=POOLS)
    assert result['changed'] is False
    assert device.calls == [('read', 'pools')]


def test_pools_order_is_compared():
    device = FakeDevice()
    run_task(whatsminer_pools, device, pools=NEW_POOLS)
    result = run_task(whatsminer_pools, device, pools=list(reversed(NEW_POOLS)))
    assert result['changed'] is True
    assert [pool['url'] for pool in device.sections['pools']] == ['stratum+tcp://pool.example:3333', 'stratum+tcp://new.example:3333']


# ---------------------------------------------------------------------------- power

STATUS_READS = [('read', 'status'), ('read', 'summary')]


@pytest.mark.parametrize('check_mode', CHECK)
def test_power_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_power, device, check_mode, mode='low')
    assert result['changed'] is True and not result.get('failed'), result
    restart_wait = [('read', 'version'), ('read', 'version')]  # goes down, answers again
    _expect(device, check_mode, STATUS_READS, [('write', 'set_low_power', {})] + restart_wait + STATUS_READS)
    assert result['diff'] == dict(before=dict(mining=True, mode='normal', power_limit=3600, target_freq_percent=0, fast_boot=False),
                                  after=dict(mining=True, mode='low', power_limit=3600, target_freq_percent=0, fast_boot=False))


@pytest.mark.parametrize('check_mode', CHECK)
def test_power_idempotent(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_power, device, check_mode, mode='normal', power_limit=3600, fast_boot=False)
    assert result['changed'] is False
    assert device.calls == STATUS_READS


def test_power_safe_order_starts_first_and_restarts_one_at_a_time():
    device = FakeDevice(status=dict(FakeDevice().sections['status'], mining=False))
    result = run_task(whatsminer_power, device, mining=True, mode='high', power_limit=3000, fast_boot=True, power_percent=90)
    assert not result.get('failed'), result
    assert device.writes == ['power_on', 'enable_btminer_fast_boot', 'adjust_power_limit', 'set_high_power', 'set_power_pct']
    assert result['unverified'] == ['power_percent']


# ---------------------------------------------------------------------------- cooling and settings (write-only on V2.2)

@pytest.mark.parametrize('check_mode', CHECK)
def test_cooling_changes_without_a_record_every_run(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_cooling, device, check_mode, temp_offset=-5)
    assert result['changed'] is True
    _expect(device, check_mode, [], [('write', 'set_temp_offset', dict(temp_offset='-5'))])
    assert 'cannot be read back' in ' '.join(result['warnings'])


@pytest.mark.parametrize('check_mode', CHECK)
def test_cooling_idempotent_through_the_record(check_mode):
    device = FakeDevice()
    first = run_task(whatsminer_cooling, device, temp_offset=-5, record_slot='msg9')
    assert first['changed'] is True and device.sections['customer_msg']['msg9'].startswith('mo1;to=')
    device.calls = []
    result = run_task(whatsminer_cooling, device, check_mode, temp_offset=-5, record_slot='msg9')
    assert result['changed'] is False
    assert device.calls == [('read', 'customer_msg')]


@pytest.mark.parametrize('check_mode', CHECK)
def test_cooling_on_v3_compares_with_the_miner(check_mode):
    device = FakeDevice(api='v3')
    assert run_task(whatsminer_cooling, device, check_mode, temp_offset=0)['changed'] is False
    result = run_task(whatsminer_cooling, device, check_mode, temp_offset=-5)
    assert result['changed'] is True and result['diff']['before'] == dict(temp_offset=0)
    assert device.writes == ([] if check_mode else ['set_temp_offset'])


@pytest.mark.parametrize('check_mode', CHECK)
def test_settings_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_settings, device, check_mode, web_pools=False, timezone='CET-1CEST', zonename='Europe/Berlin')
    assert result['changed'] is True
    _expect(device, check_mode, [], [('write', 'set_zone', dict(timezone='CET-1CEST', zonename='Europe/Berlin')),
                                     ('write', 'disable_web_pools', {})])


@pytest.mark.parametrize('check_mode', CHECK)
def test_settings_idempotent_through_the_record(check_mode):
    device = FakeDevice()
    run_task(whatsminer_settings, device, web_pools=False, record_slot='msg8')
    device.calls = []
    result = run_task(whatsminer_settings, device, check_mode, web_pools=False, record_slot='msg8')
    assert result['changed'] is False
    assert device.calls == [('read', 'customer_msg')]


# ---------------------------------------------------------------------------- LED

@pytest.mark.parametrize('check_mode', CHECK)
def test_led_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_led, device, check_mode, mode='manual', color='red', period=1000)
    assert result['changed'] is True
    _expect(device, check_mode, [('read', 'miner_info')],
            [('write', 'set_led', dict(color='red', period=1000, duration=500, start=0)), ('read', 'miner_info')])


@pytest.mark.parametrize('check_mode', CHECK)
def test_led_idempotent(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_led, device, check_mode, mode='auto')
    assert result['changed'] is False
    assert device.calls == [('read', 'miner_info')]


# ---------------------------------------------------------------------------- network

@pytest.mark.parametrize('check_mode', CHECK)
def test_network_hostname_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_network, device, check_mode, hostname='m50-02')
    assert result['changed'] is True and not result.get('failed'), result
    _expect(device, check_mode, [('read', 'miner_info')],
            [('write', 'set_hostname', dict(hostname='m50-02')), ('read', 'miner_info')])


@pytest.mark.parametrize('check_mode', CHECK)
def test_network_idempotent(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_network, device, check_mode, proto='dhcp', hostname='m50-01')
    assert result['changed'] is False
    assert device.calls == [('read', 'miner_info')]


# ---------------------------------------------------------------------------- customer messages

@pytest.mark.parametrize('check_mode', CHECK)
def test_customer_msg_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_customer_msg, device, check_mode, customer_sn='RACK-7')
    assert result['changed'] is True
    _expect(device, check_mode, [('read', 'customer_msg')], [('write', 'set_customer_msg', dict(key='CustomerSn', val='RACK-7'))])


@pytest.mark.parametrize('check_mode', CHECK)
def test_customer_msg_idempotent(check_mode):
    device = FakeDevice()
    device.sections['customer_msg']['msg1'] = 'row 4'
    result = run_task(whatsminer_customer_msg, device, check_mode, messages=dict(msg1='row 4'))
    assert result['changed'] is False
    assert device.calls == [('read', 'customer_msg')]


# ---------------------------------------------------------------------------- password

@pytest.mark.parametrize('check_mode', CHECK)
def test_password_changes(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_password, device, check_mode, new_password='N3w_pw')
    assert result['changed'] is True and not result.get('failed'), result
    proofs = [('check_credentials',), ('check_credentials',)]  # the new one (refused), then the current one
    writes = [('write', 'update_pwd', dict(old='s3cret', new='N3w_pw')), ('check_credentials',)]
    assert device.calls == (proofs + PROOF if check_mode else proofs + writes)
    assert device.password == ('s3cret' if check_mode else 'N3w_pw')


@pytest.mark.parametrize('check_mode', CHECK)
def test_password_idempotent(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_password, device, check_mode, new_password='s3cret')
    assert result['changed'] is False
    assert device.calls == [('check_credentials',)]


def test_wrong_password_fails_clearly_and_sends_nothing():
    device = FakeDevice()
    result = run_task(whatsminer_pools, device, pools=NEW_POOLS, password='wrong')
    assert result['failed'] is True and 'wrong admin password' in result['msg']
    assert device.sections['pools'][0]['url'] == 'stratum+tcp://pool.example:3333'


# ---------------------------------------------------------------------------- firmware

@pytest.fixture
def image(tmp_path):
    path = tmp_path / 'M50-20250101.16.REL.bin'
    path.write_bytes(b'\x00' * 4096)
    return str(path)


@pytest.mark.parametrize('check_mode', CHECK)
def test_firmware_changes(check_mode, image):
    device = FakeDevice()
    result = run_task(whatsminer_firmware, device, check_mode, src=image, version='20250101.16.REL')
    assert result['changed'] is True and not result.get('failed'), result
    restart_wait = [('read', 'version'), ('read', 'version')]
    _expect(device, check_mode, [('read', 'status')], [('upload_firmware',)] + restart_wait + [('read', 'status')])


@pytest.mark.parametrize('check_mode', CHECK)
def test_firmware_idempotent(check_mode, image):
    device = FakeDevice()
    result = run_task(whatsminer_firmware, device, check_mode, src=image, version='20240101.16.REL')
    assert result['changed'] is False
    assert device.calls == [('read', 'status')]


# ---------------------------------------------------------------------------- fleet power

def _fleet(device, check_mode, **params):
    miners = [dict(host=HOST, api=device.api)]
    return run_task(whatsminer_fleet_power, device, check_mode, handler=lambda ctx: whatsminer_fleet_power.run(ctx, device.factory),
                    miners=miners, settle_seconds=0, **params)


@pytest.mark.parametrize('check_mode', CHECK)
def test_fleet_power_off_changes(check_mode):
    device = FakeDevice()
    result = _fleet(device, check_mode, state='off')
    assert result['changed'] is True and not result.get('failed'), result
    settled = [('read', 'status')] + STATUS_READS  # down once, then shows mining off
    # then the power logic's read-back, whose summary also serves the power drawn after the change
    writes = [('write', 'power_off', {})] + settled + STATUS_READS
    _expect(device, check_mode, STATUS_READS, writes)
    assert result['miners'][0]['outcome'] == ('would be off' if check_mode else 'off')


@pytest.mark.parametrize('check_mode', CHECK)
def test_fleet_power_off_idempotent(check_mode):
    device = FakeDevice(status=dict(FakeDevice().sections['status'], mining=False))
    result = _fleet(device, check_mode, state='off')
    assert result['changed'] is False
    assert device.calls == STATUS_READS + [('read', 'summary')] * (0 if check_mode else 1)


# ---------------------------------------------------------------------------- facts (read only)

@pytest.mark.parametrize('check_mode', CHECK)
def test_facts_read_every_section_once_and_change_nothing(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_facts, device, check_mode, gather_subset=['all'])
    assert result['changed'] is False
    assert device.calls == [('read', section) for section in ('version', 'status', 'summary', 'pools', 'boards', 'devices',
                                                              'psu', 'miner_info', 'error_codes')]
    facts = result['ansible_facts']['whatsminer']
    assert facts['model'] == 'M50' and facts['hashrate_ths'] == 100.0 and len(facts['boards']) == 3


# ---------------------------------------------------------------------------- imperative modules: always a change

@pytest.mark.parametrize('check_mode', CHECK)
def test_reboot_changes_every_time(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_reboot, device, check_mode, target='btminer', wait_for_hashing=False)
    assert result['changed'] is True and not result.get('failed'), result
    _expect(device, check_mode, [], [('write', 'restart_btminer', {}), ('read', 'version'), ('read', 'version')])


@pytest.mark.parametrize('check_mode', CHECK)
def test_factory_reset_needs_confirm_and_changes_every_time(check_mode):
    device = FakeDevice()
    refused = run_task(whatsminer_factory_reset, device, check_mode, confirm=False)
    assert refused['failed'] is True and device.calls == []
    result = run_task(whatsminer_factory_reset, device, check_mode, confirm=True)
    assert result['changed'] is True
    _expect(device, check_mode, [], [('write', 'factory_reset', {})])


@pytest.mark.parametrize('check_mode', CHECK)
def test_logs_download_every_time(check_mode, tmp_path):
    device = FakeDevice()
    result = run_task(whatsminer_logs, device, check_mode, dest=str(tmp_path))
    assert result['changed'] is (not check_mode)
    assert device.calls == ([] if check_mode else [('download_logs',)])
    assert os.path.exists(result['path']) is (not check_mode)


@pytest.mark.parametrize('check_mode', CHECK)
def test_command_write_changes_read_does_not(check_mode):
    device = FakeDevice()
    read = run_task(whatsminer_command, device, check_mode, command='summary')
    assert read['changed'] is False and device.calls == [('command', 'summary', {}, False)]
    device.calls = []
    write = run_task(whatsminer_command, device, check_mode, command='set_led', params=dict(param='auto'))
    assert write['changed'] is True
    _expect(device, check_mode, [], [('command', 'set_led', dict(param='auto'), True)])


@pytest.mark.parametrize('api, options', [('v2', dict(password='s3cret')),
                                          ('v3', dict(password=None, v3_password='s3cret'))])
def test_the_pool_password_record_is_keyed_with_the_password_the_miner_takes(api, options):
    from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import fingerprint, parse_record
    device = FakeDevice(api=api)
    result = run_task(whatsminer_pools, device, pools=NEW_POOLS, record_slot='msg9', **options)
    assert not result.get('failed'), result
    recorded = parse_record(device.sections['customer_msg']['msg9'])['pp']
    assert recorded == fingerprint(['x', 'x'], 's3cret')
    assert recorded not in (fingerprint(['x', 'x']), fingerprint(['x', 'x'], 'other'))


# ---------------------------------------------------------------------------- a miner that says yes and does nothing

def test_pools_acknowledged_but_ignored_fail_after_the_read_back():
    device = FakeDevice()
    device.ignore.add('update_pools')
    result = run_task(whatsminer_pools, device, pools=NEW_POOLS)
    assert result['failed'] is True and result['changed'] is True
    assert 'still reports other pools' in result['msg']


def test_power_acknowledged_but_ignored_fails_after_the_read_back():
    device = FakeDevice()
    device.ignore.add('set_low_power')
    result = run_task(whatsminer_power, device, mode='low')
    assert result['failed'] is True and result['changed'] is True
    assert "mode='normal' after the change; wanted mode='low'" in result['msg']


def test_cooling_acknowledged_but_ignored_fails_where_the_miner_reads_it_back():
    device = FakeDevice(api='v3')
    device.ignore.add('set_temp_offset')
    result = run_task(whatsminer_cooling, device, temp_offset=-5)
    assert result['failed'] is True and result['changed'] is True
    assert 'acknowledged temp_offset but reports temp_offset=0 after the change; wanted temp_offset=-5' in result['msg']


def test_a_plain_write_whose_reply_is_lost_is_changed_and_unknown():
    device = FakeDevice()
    device.lose_reply.add('set_customer_msg')
    result = run_task(whatsminer_customer_msg, device, customer_sn='RACK-7')
    assert result['failed'] is True and result['changed'] is True and result['outcome_unknown'] is True
    assert result['commands'] == ['set_customer_msg']


def test_a_hostname_applied_at_the_next_network_restart_is_pending_not_failed():
    device = FakeDevice()
    device.ignore.add('set_hostname')
    result = run_task(whatsminer_network, device, hostname='m50-02')
    assert not result.get('failed') and result['changed'] is True and result['pending_restart'] is True, result
    assert 'next network restart' in ' '.join(result['warnings'])


def test_static_to_dhcp_with_a_new_hostname_sets_the_hostname_first():
    info = dict(FakeDevice().sections['miner_info'], proto='static')
    device = FakeDevice(miner_info=info)
    result = run_task(whatsminer_network, device, proto='dhcp', hostname='m50-02', dhcp_address=HOST)
    assert not result.get('failed') and result['changed'] is True, result
    assert device.writes == ['set_hostname', 'net_config']


@pytest.mark.parametrize('limit, fails', [(25, False), (24.9, True), (0, True)])
def test_fleet_power_fails_the_task_only_beyond_its_max_fail_percentage(limit, fails):
    """One miner of four unreachable = 25 percent failed: within a limit of 25, beyond 24.9 and 0."""
    devices = dict(('10.0.0.%d' % n, FakeDevice()) for n in range(1, 5))
    devices['10.0.0.4'].down = 10 ** 6
    miners = [dict(host=host, api='v2') for host in devices]
    result = run_task(whatsminer_fleet_power, devices['10.0.0.1'], False, miners=miners, settle_seconds=0, state='off',
                      max_fail_percentage=limit,
                      handler=lambda ctx: whatsminer_fleet_power.run(ctx, lambda host, **options: devices[host].factory(host, **options)))
    assert result['summary']['failed'] == 1 and result['summary']['total'] == 4, result['summary']
    assert bool(result.get('failed')) is fails, result
    if fails:
        assert '1 of 4 miners failed (25.0%% > max_fail_percentage %g)' % limit in result['msg']
    else:
        assert 'within max_fail_percentage 25' in ' '.join(result['warnings'])
    assert all(device.writes == ['power_off'] for host, device in devices.items() if host != '10.0.0.4')


# ---------------------------------------------------------------------------- the convergence engine's bookkeeping

def test_power_reports_each_restart_waited_for(monkeypatch):
    device = FakeDevice()
    monkeypatch.setattr(restart, 'wait_for_restart', lambda *args, **kwargs: setattr(device, 'down', 0) or 1.26)
    result = run_task(whatsminer_power, device, mode='low', power_limit=3000)
    assert not result.get('failed'), result
    assert result['pending_restart'] is False and result['no_reply'] == []
    assert result['restart_seconds'] == 2.6  # two restarts of 1.26 s, added up to a tenth of a second each time


def test_power_without_wait_reports_the_restart_pending():
    device = FakeDevice()
    result = run_task(whatsminer_power, device, mode='low', wait=False)
    assert result['pending_restart'] is True and result['restart_seconds'] == 0.0 and result['changed'] is True
    assert device.writes == ['set_low_power']


def test_power_names_a_restarting_write_whose_reply_was_lost():
    device = FakeDevice()
    device.lose_reply.add('set_low_power')
    result = run_task(whatsminer_power, device, mode='low')
    assert not result.get('failed') and result['no_reply'] == ['set_low_power'], result
    assert result['state']['mode'] == 'low'


def test_a_restarting_setting_the_firmware_does_not_report_is_refused_before_sending():
    device = FakeDevice()
    device.sections['status']['power_mode'] = device.sections['summary']['power_mode'] = None
    result = run_task(whatsminer_power, device, mode='low')
    assert result['failed'] is True and 'mode cannot be read back from this miner (firmware 20240101.16.REL, API 2.0.5)' in result['msg']
    assert device.writes == []
    device.sections['version']['api_version'] = None  # a miner that does not say which API it runs is not judged by it
    assert run_task(whatsminer_power, device, mode='low')['commands'] == ['set_low_power']


def test_power_with_a_record_records_only_what_it_cannot_read_back():
    device = FakeDevice()
    result = run_task(whatsminer_power, device, mode='low', upfreq_speed=3, record_slot='msg7')
    assert not result.get('failed'), result
    record = device.sections['customer_msg']['msg7']
    assert record.startswith('mo1;') and 'us=' in record and record.count('=') == 1


def test_settings_unreadable_without_a_record_warn_once():
    result = run_task(whatsminer_cooling, FakeDevice(), temp_offset=-5)
    assert len([w for w in result['warnings'] if 'cannot be read back' in w]) == 1


@pytest.mark.parametrize('check_mode', CHECK)
def test_settings_result_says_what_was_and_would_be_sent(check_mode):
    device = FakeDevice()
    result = run_task(whatsminer_cooling, device, check_mode, temp_offset=-5, fan_zero_speed=True, record_slot='msg9')
    assert result['would_send'] == ['fan_zero_speed', 'temp_offset'] and result['recorded'] is True
    assert result['sent'] == ([] if check_mode else ['fan_zero_speed', 'temp_offset'])
    assert run_task(whatsminer_cooling, FakeDevice(), check_mode, temp_offset=-5)['recorded'] is False


def test_settings_diff_before_says_where_the_value_comes_from():
    device = FakeDevice()
    run_task(whatsminer_cooling, device, temp_offset=-5, record_slot='msg9')
    result = run_task(whatsminer_cooling, device, temp_offset=-5, fan_zero_speed=True, record_slot='msg9')
    assert result['diff']['before'] == dict(temp_offset='(as recorded)', fan_zero_speed='(unknown: not readable)')
    without = run_task(whatsminer_cooling, FakeDevice(), temp_offset=-5)
    assert without['diff']['before'] == dict(temp_offset='(unknown: not readable)')
    v3 = run_task(whatsminer_cooling, FakeDevice(api='v3'), temp_offset=-5)
    assert v3['diff']['before'] == dict(temp_offset=0)


def test_a_switch_acknowledged_but_ignored_fails_where_the_miner_reads_it_back():
    device = FakeDevice(api='v3')
    device.ignore.add('set_fan_zero_speed')
    result = run_task(whatsminer_cooling, device, fan_zero_speed=True)
    assert result['failed'] is True and 'reports fan_zero_speed=False after the change; wanted fan_zero_speed=True' in result['msg']


def test_a_power_limit_kept_lower_than_asked_fails_the_read_back():
    device = FakeDevice()
    device.ignore.add('adjust_power_limit')
    result = run_task(whatsminer_power, device, power_limit=3700)
    assert result['failed'] is True and "power_limit=3600 after the change; wanted power_limit=3700" in result['msg']


@pytest.mark.parametrize('mining, command', [(False, 'power_off'), (True, 'power_on')])
def test_mining_that_never_shows_is_waited_for_then_fails(mining, command):
    device = FakeDevice(status=dict(FakeDevice().sections['status'], mining=not mining))
    device.ignore.add(command)
    result = run_task(whatsminer_power, device, mining=mining, wait_timeout=5)
    assert result['failed'] is True and 'did not reach the state asked by %s within 5 s' % command in result['msg'], result


def _options(spec, path=''):
    for name, option in spec.items():
        yield path + name, option
        for child in ('options', 'suboptions'):
            if option.get(child):
                yield from _options(option[child], path + name + '.')


def test_every_password_option_is_no_log():
    """Ansible hides a no_log option's value everywhere (logs, -vvv, callbacks); a password without it leaks."""
    import importlib
    import pkgutil
    from ansible_collections.minerops.whatsminer.plugins import modules
    checked = []
    for info in pkgutil.iter_modules(modules.__path__):
        module = importlib.import_module(modules.__name__ + '.' + info.name)
        for name, option in _options(module.argument_spec()):
            if 'password' in name.rsplit('.', 1)[-1] and option.get('type', 'str') == 'str' and not option.get('choices'):
                assert option.get('no_log') is True, '%s: %s is not no_log' % (info.name, name)
                checked.append('%s:%s' % (info.name, name))
    assert 'whatsminer_pools:pools.password' in checked and 'whatsminer_password:new_password' in checked, checked


def test_a_section_the_firmware_lacks_leaves_its_settings_unverified_not_the_others():
    device = FakeDevice()
    device.unsupported.add('miner_info')
    result = run_task(whatsminer_power, device, mode='normal', upfreq_speed=2)
    assert not result.get('failed'), result
    assert device.writes == ['adjust_upfreq_speed'] and result['unverified'] == ['upfreq_speed']


def test_a_setting_the_miner_reports_is_compared_with_the_miner_not_the_record():
    device = FakeDevice()
    device.sections['miner_info']['upfreq_speed'] = 3
    result = run_task(whatsminer_power, device, upfreq_speed=3, record_slot='msg7')
    assert result['changed'] is False and device.writes == [], result


def test_nothing_unverified_means_no_warning():
    result = run_task(whatsminer_power, FakeDevice(), mode='normal')
    assert result['changed'] is False and not result.get('warnings'), result


def test_the_unverified_warning_suggests_record_slot_only_where_it_helps():
    cooling = run_task(whatsminer_cooling, FakeDevice(), temp_offset=-5)
    assert '(set record_slot' in ' '.join(cooling['warnings'])
    power = run_task(whatsminer_power, FakeDevice(), power_percent=50)
    assert 'cannot be read back' in ' '.join(power['warnings']) and '(set record_slot' not in ' '.join(power['warnings'])


def test_a_run_time_target_is_never_written_into_the_record():
    device = FakeDevice()
    result = run_task(whatsminer_power, device, power_percent=50, upfreq_speed=2, record_slot='msg7')
    assert not result.get('failed'), result
    assert device.writes[-1] == 'set_customer_msg' and 'us=' in device.sections['customer_msg']['msg7']


def test_a_value_read_back_equal_but_not_the_same_object_is_verified():
    hydro = FakeDevice(api='v3')
    result = run_task(whatsminer_cooling, hydro, heat_mode='heating')
    assert not result.get('failed') and result['changed'] is True, result
    device = FakeDevice(api='v3')
    result = run_task(whatsminer_settings, device, timezone='CET-1CEST', zonename='Europe/Berlin')
    assert not result.get('failed') and result['changed'] is True, result
    assert run_task(whatsminer_settings, device, timezone='CET-1CEST', zonename='Europe/Berlin')['changed'] is False
