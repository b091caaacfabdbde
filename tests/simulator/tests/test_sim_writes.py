# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write commands: happy paths, validation errors, tokens, encryption errors."""

import json
import time

import pytest

from simclient import Session, encrypt_request, http, raw_request, request, wait_port


def state(handle, mid='sim-0001'):
    return http(handle.url + '/miners/' + mid)[1]


def test_update_pools_and_read_back(sim):
    s = sim.session()
    reply = s.send('update_pools', pool1='stratum+tcp://pool.example:3333', worker1='acct.w1', passwd1='x',
                   pool2='', worker2='', passwd2='', pool3='stratum+tcp://backup.example:443', worker3='acct.w3', passwd3='p3')
    assert reply['Code'] == 131 and reply['Msg'] == 'API command OK'
    pools = s.read('pools')['POOLS']
    assert [(p['URL'], p['User']) for p in pools] == [('stratum+tcp://pool.example:3333', 'acct.w1'),
                                                      ('stratum+tcp://backup.example:443', 'acct.w3')]
    assert 'passwd' not in json.dumps(pools).lower()
    settings = state(sim)['settings']
    assert settings['pools'][2]['password'] == 'p3' and settings['pools'][1]['url'] == ''
    assert s.send('update_pools', pool1='has space', worker1='w')['Code'] == 132
    assert s.send('update_pools', pool1='', worker1='orphan')['Code'] == 132
    assert s.send('update_pools')['Code'] == 131  # all slots empty is allowed
    assert s.read('pools')['POOLS'] == []


@pytest.mark.parametrize('cmd,params,key,value', [
    ('set_target_freq', {'percent': '-20'}, 'target_freq', -20),
    ('adjust_power_limit', {'power_limit': '3000'}, 'power_limit', 3000),
    ('set_temp_offset', {'temp_offset': '-10'}, 'temp_offset', -10),
    ('adjust_upfreq_speed', {'upfreq_speed': '5'}, 'upfreq_speed', 5),
    ('set_poweroff_cool', {'poweroff_cool': '1'}, 'poweroff_cool', True),
    ('set_fan_zero_speed', {'fan_zero_speed': '1'}, 'fan_zero_speed', True),
    ('set_power_pct_v2', {'percent': '80'}, 'power_pct', 80),
    ('set_power', {'power': '2500'}, 'power_target', 2500),
    ('set_hostname', {'hostname': 'rack-01-miner'}, 'hostname', 'rack-01-miner'),
    ('disable_web_pools', {}, 'web_pools', False),
    ('disable_btminer_init', {}, 'btminer_init', False),
    ('enable_btminer_fast_boot', {}, 'fast_boot', True),
])
def test_setting_commands(sim, cmd, params, key, value):
    reply = sim.session().send(cmd, **params)
    assert reply['Code'] == 131, reply
    assert state(sim)['settings'][key] == value


@pytest.mark.parametrize('cmd,params', [
    ('set_target_freq', {'percent': '101'}),
    ('set_target_freq', {'percent': '-101'}),
    ('set_target_freq', {'percent': 'ten'}),
    ('set_target_freq', {}),
    ('adjust_power_limit', {'power_limit': '100000'}),
    ('adjust_power_limit', {'power_limit': '-1'}),
    ('set_temp_offset', {'temp_offset': '1'}),
    ('set_temp_offset', {'temp_offset': '-31'}),
    ('adjust_upfreq_speed', {'upfreq_speed': '10'}),
    ('set_power_pct', {'percent': '101'}),
    ('set_power', {'power': '-5'}),
    ('set_power', {}),
    ('adjust_upfreq_speed', {}),
    ('set_heat_mode', {}),
    ('set_customer_msg', {'key': 'msg1'}),
    ('set_power_pct_v2', {'percent': '-1'}),
    ('set_poweroff_cool', {'poweroff_cool': '2'}),
    ('set_fan_zero_speed', {'fan_zero_speed': 'yes'}),
    ('set_led', {'param': 'blink'}),
    ('set_led', {'color': 'blue', 'period': 100, 'duration': 50, 'start': 0}),
    ('set_led', {'color': 'red', 'period': 100, 'duration': 500, 'start': 0}),
    ('set_hostname', {'hostname': 'bad name!'}),
    ('set_zone', {'timezone': 'CST-8'}),
    ('load_log', {'ip': '10.0.0.999', 'port': '514', 'proto': 'udp'}),
    ('load_log', {'ip': '10.0.0.9', 'port': '70000', 'proto': 'udp'}),
    ('load_log', {'ip': '10.0.0.9', 'port': '514', 'proto': 'http'}),
    ('set_customer_msg', {'key': 'msg10', 'val': 'x'}),
    ('set_customer_msg', {'key': 'msg1', 'val': 'x' * 128}),
    ('set_heat_mode', {'mode': 'heating'}),  # air-cooled M50
    ('net_config', {'ip': '127.9.9.9', 'mask': '255.0.0.0'}),
    ('net_config', {'ip': '127.9.9.9', 'mask': '255.0.255.0', 'gate': '127.0.0.1'}),
    ('net_config', {'param': 'static'}),
    ('update_pwd', {'old': 'wrong', 'new': 'abc'}),
    ('update_pwd', {'old': 'admin', 'new': 'toolong123'}),
    ('update_pwd', {'old': 'admin', 'new': 'bad-char'}),
])
def test_validation_errors(sim, cmd, params):
    before = state(sim)['settings']
    reply = sim.session().send(cmd, **params)
    assert reply['STATUS'] == 'E' and reply['Code'] == 132, reply
    assert reply['Msg'] and isinstance(reply['Msg'], str)
    assert state(sim)['settings'] == before
    assert state(sim)['online']


def test_led(sim):
    s = sim.session()
    assert s.send('set_led', color='red', period=1000, duration=500, start=0)['Code'] == 131
    assert s.read('get_miner_info', info='ledstat')['Msg'] == {'ledstat': 'manual'}
    assert state(sim)['settings']['led'] == {'mode': 'manual', 'color': 'red', 'period': 1000, 'duration': 500, 'start': 0}
    assert s.send('set_led', param='auto')['Code'] == 131
    assert s.read('get_miner_info', info='ledstat')['Msg'] == {'ledstat': 'auto'}


def test_power_pct_and_restore(make_sim):
    handle = make_sim(models=('M50',), ramp_seconds=0)
    s = handle.session()
    full = s.read('summary')['SUMMARY'][0]['Power']
    assert s.send('set_power_pct', percent='50')['Code'] == 131
    half = s.read('summary')['SUMMARY'][0]['Power']
    assert half < full * 0.6
    assert state(handle)['power_pct_temp'] == 50
    assert s.send('restore_power_pct')['Code'] == 131
    assert s.read('summary')['SUMMARY'][0]['Power'] > full * 0.95


def test_zone_syslog_web_pools_init_customer(sim):
    s = sim.session()
    assert s.send('set_zone', timezone='CET-1CEST', zonename='Europe/Paris')['Code'] == 131
    assert s.send('load_log', ip='10.1.2.3', port='514', proto='udp')['Code'] == 131
    assert s.send('enable_web_pools')['Code'] == 131
    assert s.send('enable_btminer_init')['Code'] == 131
    assert s.send('set_customer_msg', key='CustomerSn', val='ACME-42')['Code'] == 131
    assert s.send('set_customer_msg', key='msg3', val='rack 7')['Code'] == 131
    msgs = s.send('get_customer_msg')['Msg']
    assert msgs['CustomerSn'] == 'ACME-42' and msgs['msg3'] == 'rack 7' and msgs['msg0'] == ''
    settings = state(sim)['settings']
    assert settings['timezone'] == 'CET-1CEST' and settings['zonename'] == 'Europe/Paris'
    assert settings['syslog'] == {'ip': '10.1.2.3', 'port': 514, 'proto': 'udp'}
    # get_customer_msg needs a token: plain text is refused
    assert s.read('get_customer_msg')['Code'] == 45


def test_fast_boot_vs_upfreq(sim):
    s = sim.session()
    assert s.send('adjust_upfreq_speed', upfreq_speed='3')['Code'] == 131
    assert s.send('enable_btminer_fast_boot')['Code'] == 132
    assert s.send('adjust_upfreq_speed', upfreq_speed='0')['Code'] == 131
    assert s.send('enable_btminer_fast_boot')['Code'] == 131
    assert s.read('summary')['SUMMARY'][0]['Btminer Fast Boot'] == 'enable'
    assert s.send('adjust_upfreq_speed', upfreq_speed='1')['Code'] == 132
    assert s.send('disable_btminer_fast_boot')['Code'] == 131
    assert s.read('summary')['SUMMARY'][0]['Btminer Fast Boot'] == 'disable'


def test_heat_mode_hydro(make_sim):
    handle = make_sim(models=('M63',))
    s = handle.session()
    assert s.send('set_heat_mode', mode='anti-icing')['Code'] == 131
    assert state(handle)['settings']['heat_mode'] == 'anti-icing'
    assert s.send('set_heat_mode', mode='boil')['Code'] == 132
    assert s.send('set_temp_offset', temp_offset='-5')['Code'] == 132  # air-cooled only
    assert s.send('set_fan_zero_speed', fan_zero_speed='1')['Code'] == 132
    assert s.read('summary')['SUMMARY'][0]['Fan Speed In'] == 0


def test_update_pwd(sim):
    s = sim.session()
    assert s.send('update_pwd', old='admin', new='n3w_pw')['Code'] == 131  # reply decrypts with the old key
    assert state(sim)['password'] == 'n3w_pw'
    assert state(sim)['live_tokens'] == 0
    host, port = sim.addr()
    # the old password no longer decrypts: 23 "enc json load err", in plain text
    old = Session(host, port, 'admin').login()
    reply = old.send('set_led', param='auto')
    assert reply['Code'] == 23 and reply['Msg'] == 'enc json load err'
    new = Session(host, port, 'n3w_pw').login()
    assert new.token_reply['Msg']['salt'] != 'BQ5hoXV9'
    assert new.send('set_led', param='auto')['Code'] == 131


def test_token_errors(sim):
    s = sim.session().login()
    reply = s.send('set_led', param='auto', token='AAAAAAAAAAAAAAAAAAAAAA')
    assert reply == {'STATUS': 'E', 'When': reply['When'], 'Code': 135, 'Msg': 'check token err', 'Description': ''}
    body = {'cmd': 'set_led', 'param': 'auto'}  # no token at all
    host, port = sim.addr()
    assert request(host, port, encrypt_request(s.aeskey, body))['Code'] == 135


def test_token_limit_and_expiry(make_sim):
    handle = make_sim(token_lifetime=1.5)
    host, port = handle.addr()
    codes = [request(host, port, {'cmd': 'get_token'})['Code'] for dummy in range(101)]
    assert codes[:100] == [134] * 100
    last = request(host, port, {'cmd': 'get_token'})
    assert last['Code'] == 136 and last['Msg'] == 'over max connect'
    assert state(handle)['live_tokens'] == 100
    time.sleep(1.6)
    s = handle.session().login()
    assert s.send('set_led', param='auto')['Code'] == 131
    time.sleep(1.6)
    assert s.send('set_led', param='auto')['Code'] == 135  # expired


def test_token_fields(sim):
    host, port = sim.addr()
    first = request(host, port, {'cmd': 'get_token'})
    second = request(host, port, {'cmd': 'get_token'})
    assert first['Msg']['salt'] == 'BQ5hoXV9' == second['Msg']['salt']
    assert first['Msg']['newsalt'] != second['Msg']['newsalt']
    assert first['Msg']['time'] == str(first['When'])[-4:]
    assert first['Code'] == 134 and first['STATUS'] == 'S'


def test_padding_variants_and_command_key(sim):
    s = sim.session().login()
    host, port = sim.addr()
    for padding in ('zero', 'pkcs7'):
        body = {'command': 'set_hostname', 'hostname': 'pad-' + padding, 'token': s.token}
        reply = s.decode(raw_request(host, port, json.dumps(encrypt_request(s.aeskey, body, padding))))
        assert reply['Code'] == 131
        assert state(sim)['settings']['hostname'] == 'pad-' + padding
    # exact multiple of 16 with zero padding (no pad bytes at all)
    text = '{"cmd":"set_hostname","hostname":"x","token":"%s"}' % s.token
    text = text[:-1] + ' ' * (-len(text) % 16) + '}'
    assert len(text) % 16 == 0
    reply = s.decode(raw_request(host, port, json.dumps(encrypt_request(s.aeskey, text))))
    assert reply['Code'] == 131


def test_encrypted_reply_shape(sim):
    s = sim.session().login()
    raw = s.raw_send('set_led', param='auto')
    outer = json.loads(raw)
    assert list(outer) == ['enc'] and isinstance(outer['enc'], str)
    assert s.decode(raw)['Code'] == 131


def test_base64_and_enc_errors(sim):
    host, port = sim.addr()
    assert request(host, port, {'enc': 1, 'data': '!!!not base64!!!'})['Code'] == 137
    reply = request(host, port, {'enc': 1, 'data': 'QUJD'})  # 3 bytes: not a block
    assert reply['Code'] == 23 and reply['Msg'] == 'enc json load err'
    s = Session(host, port, 'wrongpass').login()
    assert s.send('reboot')['Code'] == 23
    assert state(sim)['online']


def test_write_api_off(make_sim):
    handle = make_sim(write_api=False)
    s = handle.session()
    reply = s.send('set_led', param='auto')
    assert reply['Code'] == 45 and reply['Msg'] == "can't access write cmd"
    assert s.read('summary')['STATUS'][0]['STATUS'] == 'S'  # reads still work
    http(handle.url + '/miners/sim-0001/state', 'PATCH', {'write_api': True})
    assert s.send('set_led', param='auto')['Code'] == 131


def test_counts(sim):
    s = sim.session()
    s.send('set_led', param='auto')
    s.read('summary')
    s.read('nope')
    counts = state(sim)['counts']
    assert counts['set_led'] == 1 and counts['writes'] == 1 and counts['summary'] == 1
    assert counts['get_token'] == 1 and counts['reads'] == 2 and counts['bad_requests'] == 1
    assert http(sim.url + '/miners/sim-0001/reset-counts', 'POST', {})[0] == 200
    assert state(sim)['counts'] == {'reads': 0, 'writes': 0, 'bad_requests': 0}


def test_power_off_on(make_sim):
    handle = make_sim(models=('M50',), ramp_seconds=0)
    s = handle.session()
    host, port = handle.addr()
    assert s.send('power_off')['Code'] == 131
    assert wait_port(host, port, up=True)
    status = s.read('status')['Msg']
    assert status['btmineroff'] == 'true' and status['mineroff_reason'] == 'power off'
    summary = s.read('summary')['SUMMARY'][0]
    assert summary['MHS 1m'] == 0 and summary['Power'] < 100
    s.login()
    assert s.send('power_on')['Code'] == 131
    assert s.read('status')['Msg']['btmineroff'] == 'false'
    assert s.read('summary')['SUMMARY'][0]['Power'] > 1000


def test_get_customer_msg_counts_as_read(sim):
    s = sim.session()
    assert s.send('get_customer_msg')['Code'] == 131
    counts = state(sim)['counts']
    assert counts['get_customer_msg'] == 1 and counts['writes'] == 0 and counts['reads'] == 2  # get_token + get_customer_msg
