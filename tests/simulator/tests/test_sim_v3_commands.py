# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API V3 commands: every read and write, their errors, and the state shared with the V2 port."""

import json
import time

import pytest

from simclient import Session, http, request
from simclient_v3 import V3Client
from whatsminer_sim import api_v3

# reference_protocol.rst V3 §8: key sets of the recorded replies
DEVICE_INFO_KEYS = {
    'network': {'ip', 'proto', 'netmask', 'dns', 'mac', 'gateway', 'hostname'},
    'miner': {'working', 'type', 'hash-board', 'detect-hash-rate', 'cointype', 'pool-strategy', 'heatmode', 'hash-percent',
              'chipdata0', 'chipdata1', 'chipdata2', 'fast-boot', 'board-num', 'pcbsn0', 'pcbsn1', 'pcbsn2', 'miner-sn',
              'power-limit-set', 'UpfreqSpeed', 'web-pool', 'permission'},
    'system': {'api', 'platform', 'fwversion', 'control-board-version', 'apiswitch', 'ledstatus'},
    'power': {'type', 'mode', 'hwversion', 'swversion', 'model', 'iin', 'vin', 'vout', 'pin', 'fanspeed', 'temp0', 'sn', 'vendor'},
}
SUMMARY_KEYS = {'elapsed', 'bootup-time', 'freq-avg', 'target-freq', 'factory-hash', 'hash-average', 'hash-1min', 'hash-15min',
                'hash-realtime', 'power-rate', 'power-5min', 'power-realtime', 'environment-temperature', 'board-temperature',
                'chip-temp-min', 'chip-temp-avg', 'chip-temp-max', 'power-limit', 'up-freq-finish', 'fan-speed-in', 'fan-speed-out'}
EDEV_KEYS = {'chip-temp-avg', 'chip-temp-max', 'chip-temp-min', 'effective-chips', 'factory-hash', 'freq', 'hash-average',
             'hash-realtime', 'id', 'status'}


def ok(reply, desc):
    assert reply == {'code': 0, 'when': reply.get('when'), 'msg': 'ok', 'desc': desc}, reply
    return True


def test_command_count():
    assert len(api_v3.READ_COMMANDS) == 8 and len(api_v3.WRITE_COMMANDS) == 31


def test_device_info_shape_and_sections(v3sim, v3):
    msg = v3.read('get.device.info')['msg']
    assert list(msg) == ['network', 'miner', 'system', 'power', 'salt', 'error-code']
    for section, keys in DEVICE_INFO_KEYS.items():
        assert keys <= set(msg[section]), (section, keys - set(msg[section]))
    assert msg['miner']['working'] == 'true' and msg['miner']['type'] == 'M50_VH50' and msg['miner']['web-pool'] == 1
    assert msg['miner']['permission'] == 'super=255 user1=0 user2=0 user3=0'
    assert msg['system']['api'].startswith('3.') and msg['system']['fwversion'] == '20250915.22.Rel2'
    assert isinstance(msg['power']['iin'], float) and isinstance(msg['power']['pin'], int) and msg['error-code'] == []
    assert msg['network']['ip'] == v3sim.miner(0).host
    for section in ('miner', 'system', 'power', 'network', 'salt', 'error-code'):
        assert list(v3.read('get.device.info', section)['msg']) == [section]
    assert list(v3.read('get.device.info', 'miner,system')['msg']) == ['miner', 'system']
    assert v3.read('get.device.info', 'bogus')['code'] == -2
    http(v3sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'fan_failure'})
    errors = v3.read('get.device.info', 'error-code')['msg']['error-code']
    assert [list(e)[0] for e in errors] == ['110', '111'] and all('reason' in e for e in errors)


def test_miner_status(v3):
    assert v3.read('get.miner.status') == {'code': 0, 'when': v3.read('get.fan.setting')['when'], 'msg': {}, 'desc': 'get.miner.status'}
    summary = v3.read('get.miner.status', 'summary')['msg']['summary']
    assert set(summary) == SUMMARY_KEYS and 100 < summary['hash-realtime'] < 140 and len(summary['board-temperature']) == 3
    edevs = v3.read('get.miner.status', 'edevs')['msg']['edevs']
    assert len(edevs) == 3 and EDEV_KEYS <= set(edevs[0]) and edevs[0]['hash-average'] < 60
    # no pools yet: an empty list
    assert v3.read('get.miner.status', 'pools')['msg'] == {'pools': []}
    msg = v3.read('get.miner.status', 'summary+pools+edevs')['msg']
    assert list(msg) == ['summary', 'pools', 'edevs']
    assert v3.read('get.miner.status', 'summary+bogus')['code'] == -2
    assert v3.read('get.miner.status', 7)['code'] == -2
    # idle miner: pools alone fails, summary+pools leaves the pools out
    assert ok(v3.write('set.miner.service', 'stop'), 'set.miner.service')
    assert v3.read('get.miner.status', 'pools')['code'] == -1
    msg = v3.read('get.miner.status', 'summary+pools')['msg']
    assert list(msg) == ['summary'] and msg['summary']['hash-realtime'] == 0
    assert v3.read('get.device.info', 'miner')['msg']['miner']['working'] == 'false'
    assert ok(v3.write('set.miner.service', 'start'), 'set.miner.service')
    assert v3.read('get.device.info', 'miner')['msg']['miner']['working'] == 'true'


def test_pools_roundtrip_and_shared_with_v2(v3sim, v3):
    miner = v3sim.miner(0)
    pools = [{'pool': 'stratum+tcp://a.example:3333', 'worker': 'acct.w1', 'passwd': 'x'},
             {'pool': 'stratum+tcp://b.example:3333', 'worker': 'acct.w2', 'passwd': 'y'}]
    assert ok(v3.write('set.miner.pools', pools, encrypt=True), 'set.miner.pools')
    got = v3.read('get.miner.status', 'pools')['msg']['pools']
    assert [(p['id'], p['url'], p['account'], p['stratum-active']) for p in got] == [
        (1, 'stratum+tcp://a.example:3333', 'acct.w1', True), (2, 'stratum+tcp://b.example:3333', 'acct.w2', False)]
    assert all('passwd' not in p and 'Accepted' not in p for p in got)
    # V2 port of the same miner: the same pools, with share counts
    v2 = request(miner.host, miner.port, {'cmd': 'pools'})['POOLS']
    assert [p['URL'] for p in v2] == ['stratum+tcp://a.example:3333', 'stratum+tcp://b.example:3333'] and 'Accepted' in v2[0]
    # V2 write, V3 read
    session = Session(miner.host, miner.port, 'admin')
    assert session.send('update_pools', pool1='stratum+tcp://c.example:1', worker1='c.1', passwd1='z')['Code'] == 131
    assert [p['url'] for p in v3.read('get.miner.status', 'pools')['msg']['pools']] == ['stratum+tcp://c.example:1']
    # errors: plain (unencrypted) list, too many, bad shapes
    assert v3.write('set.miner.pools', pools)['code'] == -1
    assert v3.write('set.miner.pools', pools * 2, encrypt=True)['code'] == -1
    assert v3.write('set.miner.pools', [{'pool': 'has space', 'worker': 'w'}], encrypt=True)['code'] == -1
    assert v3.write('set.miner.pools', [{'pool': '', 'worker': 'w'}], encrypt=True)['code'] == -1
    assert v3.write('set.miner.pools', 'bm90IGFlcw==')['code'] == -1
    assert v3.write('set.miner.pools', None)['code'] == -3
    assert miner.settings['pools'][0]['url'] == 'stratum+tcp://c.example:1'


def test_plain_pools_selectable(make_sim):
    sim = make_sim(models=('M50',), api='v3', v3_password='pw1', v3_plain_pools=True)
    miner = sim.miner(0)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        assert ok(client.write('set.miner.pools', [{'pool': 'stratum+tcp://p:1', 'worker': 'w', 'passwd': 'x'}]), 'set.miner.pools')
    assert miner.settings['pools'][0]['url'] == 'stratum+tcp://p:1'


def test_miner_settings_writes_and_readback(v3sim, v3):
    miner = v3sim.miner(0)
    steps = [
        ('set.miner.power_mode', 'low'), ('set.miner.power', 3100), ('set.miner.fast_hash', 1), ('set.miner.cointype', {'cointype': 'BCH'}),
        ('set.miner.upfreq_speed', 7),
    ]
    for cmd, param in steps:
        assert ok(v3.write(cmd, param), cmd)
    setting = v3.read('get.miner.setting')['msg']
    assert setting['power-mode'] == 'low' and setting['power'] == 3100 and setting['fast-hash'] == 'enable'
    assert setting['upfreq-speed'] == 7 and setting['power-limit'] == 3600 and setting['power-percent'] == 0
    assert v3.read('get.device.info', 'miner')['msg']['miner']['cointype'] == 'BCH'
    # fast boot and upfreq speed exclude each other (as on V2)
    assert v3.write('set.miner.fastboot', 'enable')['code'] == -1
    assert ok(v3.write('set.miner.upfreq_speed', '0'), 'set.miner.upfreq_speed')
    assert ok(v3.write('set.miner.fastboot', 'enable'), 'set.miner.fastboot')
    assert v3.read('get.miner.setting')['msg']['fast-boot'] == 'enable'
    # V2 reads of the same settings
    summary = request(miner.host, miner.port, {'cmd': 'summary'})['SUMMARY'][0]
    assert summary['Power Mode'] == 'Low'
    # power percent: a string by default; volatile
    assert ok(v3.write('set.miner.power_percent', {'percent': '90', 'mode': 'fast'}), 'set.miner.power_percent')
    assert v3.read('get.miner.setting')['msg']['power-percent'] == 90
    assert v3.write('set.miner.power_percent', {'percent': 90, 'mode': 'fast'})['code'] == -1
    assert v3.write('set.miner.power_percent', '{"percent": "80", "mode": "normal"}')['code'] == 0  # object as a JSON string
    assert v3.write('set.miner.power_percent', {'percent': '101', 'mode': 'fast'})['code'] == -1
    assert v3.write('set.miner.power_percent', {'percent': '50', 'mode': 'slow'})['code'] == -2
    assert v3.write('set.miner.power_percent', {'mode': 'fast'})['code'] == -3
    # range and enum errors
    assert v3.write('set.miner.power_mode', 'turbo')['code'] == -2
    assert v3.write('set.miner.upfreq_speed', 11)['code'] == -1
    assert v3.write('set.miner.fast_hash', 'yes')['code'] == -1
    assert v3.write('set.miner.cointype', {'cointype': 'ETH'})['code'] == -2
    assert v3.write('set.miner.power', -1)['code'] == -1
    assert v3.write('set.miner.power', None)['code'] == -3
    assert v3.write('set.miner.heat_mode', 'heating')['code'] == -1  # air-cooled
    # restore_setting puts the miner settings back, not the pools or the network
    assert ok(v3.write('set.miner.restore_setting'), 'set.miner.restore_setting')
    setting = v3.read('get.miner.setting')['msg']
    assert setting['power-mode'] == 'normal' and setting['fast-boot'] == 'disable' and setting['power'] == 0
    assert setting['power-percent'] == 0 and setting['fast-hash'] == 'disable'


def test_power_percent_number_selectable(make_sim):
    sim = make_sim(models=('M63',), api='v3', v3_password='pw1', v3_percent_number=True)
    miner = sim.miner(0)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        assert client.write('set.miner.power_percent', {'percent': 150, 'mode': 'normal'})['code'] == 0
        assert client.read('get.miner.setting')['msg']['power-percent'] == 150
        # hydro: heat mode, positive target frequency; no fan commands
        assert ok(client.write('set.miner.heat_mode', 'anti-freezing'), 'set.miner.heat_mode')
        assert client.read('get.miner.setting')['msg']['heat-mode'] == 'anti-freezing'
        assert client.read('get.device.info', 'miner')['msg']['miner']['heatmode'] == 'anti-freezing'
        assert client.write('set.fan.zero_speed', 1)['code'] == -1
        assert client.read('get.device.info', 'power')['msg']['power']['fanspeed'] == 0
    assert miner.settings['heat_mode'] == 'anti-icing'  # the V2 name of the same mode


def test_fan_settings(v3sim, v3):
    for cmd, param in (('set.fan.poweroff_cool', 1), ('set.fan.zero_speed', '1'), ('set.fan.temp_offset', -12)):
        assert ok(v3.write(cmd, param), cmd)
    assert v3.read('get.fan.setting')['msg'] == {'fan-poweroff-cool': 1, 'fan-zero-speed': 1, 'fan-temp-offset': -12}
    assert v3.write('set.fan.temp_offset', 1)['code'] == -1
    assert v3.write('set.fan.temp_offset', -31)['code'] == -1
    assert v3.write('set.fan.zero_speed', 2)['code'] == -1
    settings = v3sim.miner(0).settings
    assert settings['poweroff_cool'] is True and settings['fan_zero_speed'] is True and settings['temp_offset'] == -12
    # written over V2, read over V3
    session = v3sim.session()
    assert session.send('set_temp_offset', temp_offset='-3')['Code'] == 131
    assert v3.read('get.fan.setting')['msg']['fan-temp-offset'] == -3


def test_system_settings(v3sim, v3):
    assert ok(v3.write('set.system.hostname', {'hostname': 'rack7-m50'}), 'set.system.hostname')
    assert ok(v3.write('set.system.timezone', {'timezone': 'CET-1CEST', 'zonename': 'Europe/Berlin'}), 'set.system.timezone')
    assert ok(v3.write('set.system.ntp_server', 'ntp1.example,ntp2.example'), 'set.system.ntp_server')
    assert ok(v3.write('set.system.time_randomized', {'start': 30, 'stop': 60}), 'set.system.time_randomized')
    assert ok(v3.write('set.system.webpools', 'disable'), 'set.system.webpools')
    assert ok(v3.write('set.log.upload', {'ip': '10.1.2.3', 'port': '514', 'proto': 'udp'}), 'set.log.upload')
    msg = v3.read('get.system.setting')['msg']
    assert msg == {'web-pool': 0, 'timezone': 'CET-1CEST', 'zonename': 'Europe/Berlin', 'hostname': 'rack7-m50',
                   'log-upload': {'ip': '10.1.2.3', 'port': '514', 'proto': 'udp'}, 'time-randomized': {'start': 30, 'stop': 60},
                   'ntp-server': ['ntp1.example', 'ntp2.example']}
    assert v3.read('get.device.info', 'network')['msg']['network']['hostname'] == 'rack7-m50'
    assert v3.read('get.device.info', 'miner')['msg']['miner']['web-pool'] == 0
    # the V2 get_miner_info is gone on V3 firmware, but the V2 state is the same
    settings = v3sim.miner(0).settings
    assert settings['hostname'] == 'rack7-m50' and settings['web_pools'] is False
    assert settings['syslog'] == {'ip': '10.1.2.3', 'port': 514, 'proto': 'udp'}
    # errors
    assert v3.write('set.system.hostname', {'hostname': 'bad name!'})['code'] == -1
    assert v3.write('set.system.hostname', {})['code'] == -3
    assert v3.write('set.system.timezone', {'timezone': 'UTC'})['code'] == -3
    assert v3.write('set.system.time_randomized', {'start': 121, 'stop': 0})['code'] == -1
    assert v3.write('set.system.webpools', 'on')['code'] == -2
    assert v3.write('set.log.upload', {'ip': 'x', 'port': '514', 'proto': 'udp'})['code'] == -1
    assert v3.write('set.log.upload', {'ip': '10.1.2.3', 'port': '514', 'proto': 'http'})['code'] == -2
    assert v3.write('set.system.ntp_server', 'bad host!')['code'] == -1
    # log upload off again
    assert ok(v3.write('set.log.upload', {'ip': '', 'port': '', 'proto': 'udp'}), 'set.log.upload')
    assert 'log-upload' not in v3.read('get.system.setting')['msg']


def test_led_and_custom_data(v3sim, v3):
    blink = [{'color': 'red', 'period': 200, 'duration': 100, 'start': 0}]
    assert ok(v3.write('set.system.led', blink), 'set.system.led')
    assert v3.read('get.device.info', 'system')['msg']['system']['ledstatus'] == 'manual'
    assert v3sim.miner(0).settings['led']['color'] == 'red'
    assert ok(v3.write('set.system.led', 'auto'), 'set.system.led')
    assert v3.read('get.device.info', 'system')['msg']['system']['ledstatus'] == 'auto'
    assert v3.write('set.system.led', [{'color': 'blue', 'period': 1, 'duration': 1, 'start': 0}])['code'] == -2
    assert v3.write('set.system.led', 'on')['code'] == -1
    assert ok(v3.write('set.device.custom_data', {'key': 'CustomerSn', 'value': 'RACK-7'}), 'set.device.custom_data')
    assert ok(v3.write('set.device.custom_data', json.dumps({'key': 'msg3', 'value': 'hello'})), 'set.device.custom_data')
    data = v3.read('get.device.custom_data')['msg']
    assert data['CustomerSn'] == 'RACK-7' and data['msg3'] == 'hello' and len(data) == 11
    assert v3.write('set.device.custom_data', {'key': 'msg10', 'value': 'x'})['code'] == -2
    assert v3.write('set.device.custom_data', {'key': 'msg1', 'value': 'x' * 128})['code'] == -1
    # the V2 get_customer_msg of the same miner sees it
    assert v3sim.session().send('get_customer_msg')['Msg']['CustomerSn'] == 'RACK-7'


def test_history(v3):
    now = int(time.time())
    reply = v3.read('get.miner.history', {'begin': now - 3600, 'end': now})
    records = reply['msg']['Data'].split()
    assert 10 <= len(records) <= 13 and all(len(r.split(',')) == 4 for r in records)
    assert v3.read('get.miner.history', {'begin': str(now - 600), 'end': str(now)})['code'] == 0
    assert v3.read('get.miner.history', {'begin': now - 90000, 'end': now})['code'] == -1
    assert v3.read('get.miner.history', {'begin': now})['code'] == -3
    assert v3.read('get.miner.history')['code'] == -3


@pytest.mark.parametrize('cmd', sorted(api_v3.WRITE_COMMANDS))
def test_every_write_needs_auth(v3sim, cmd):
    miner = v3sim.miner(0)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        req = client.write_request(cmd, None)
        req['token'] = 'AAAAAAAA'
        assert client.request(req)['code'] == -4
    assert miner.online and not miner.restarting


def test_reduced_v2_api(v3sim):
    miner = v3sim.miner(0)
    host, port = miner.host, miner.port
    version = request(host, port, {'cmd': 'get_version'})
    assert version['Code'] == 131 and version['Msg']['fw_ver'] == '20250915.22.Rel2' and 'api_ver' not in version['Msg']
    pools = request(host, port, {'cmd': 'pools'})
    assert pools['STATUS'][0]['STATUS'] == 'S'
    summary = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    assert 'Elapsed' in summary and 'Power' in summary and 'Fan Speed In' in summary and 'Chip Temp Avg' not in summary
    assert request(host, port, {'cmd': 'get_psu'})['Code'] == 131
    details = request(host, port, {'cmd': 'devdetails'})['DEVDETAILS']
    assert details and all('Model' not in d for d in details)
    devs = request(host, port, {'cmd': 'edevs'})['DEVS']
    assert devs and 'Temperature' not in devs[0] and devs[0]['MHS av'] < 1000  # TH/s where MH/s is expected
    for cmd in ('status', 'get_miner_info', 'get_error_code', 'summary+status'):
        assert request(host, port, {'cmd': cmd})['Code'] == 14, cmd
    assert request(host, port, {'cmd': 'summary+pools'})['summary'][0]['SUMMARY']
    # V2 writes work (a token, the V2 admin password) and land in the shared state
    session = Session(host, port, 'admin')
    assert session.send('set_zone', timezone='UTC0', zonename='UTC')['Code'] == 131
    with V3Client(host, miner.v3_port) as client:
        assert client.read('get.system.setting')['msg']['timezone'] == 'UTC0'


def test_reduced_v2_without_writes(make_sim):
    sim = make_sim(models=('M60',), api='v3', v3_v2_writes=False)
    host, port = sim.addr()
    assert request(host, port, {'cmd': 'get_token'})['Code'] == 14
    assert request(host, port, {'cmd': 'reboot'})['Code'] == 45
    assert request(host, port, {'cmd': 'get_version'})['Code'] == 131


def test_v2_miner_has_no_v3_port(sim):
    miner = sim.miner(0)
    assert miner.api == 'v2' and miner.v3_server is None
    assert request(miner.host, miner.port, {'cmd': 'status'})['Code'] == 131
    assert request(miner.host, miner.port, {'cmd': 'get_version'})['Msg']['api_ver']
    assert 'Model' in request(miner.host, miner.port, {'cmd': 'devdetails'})['DEVDETAILS'][0]
    state = http(sim.url + '/miners/sim-0001')[1]
    assert state['api'] == 'v2' and 'v3_port' not in state
