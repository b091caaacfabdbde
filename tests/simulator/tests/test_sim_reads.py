# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read commands: shapes, values, API 1.x shape, field quirks, telemetry."""

import json
import re
import time

from simclient import http, raw_request, request, wait_port

SUMMARY_FIELDS = ('Elapsed', 'MHS av', 'MHS 1m', 'MHS 15m', 'HS RT', 'freq_avg', 'Fan Speed In', 'Fan Speed Out', 'Power',
                  'Power Rate', 'Pool Rejected%', 'Uptime', 'Hash Stable', 'Hash Stable Cost Seconds', 'Target Freq', 'Env Temp',
                  'Power Mode', 'Factory GHS', 'Power Limit', 'Chip Temp Min', 'Chip Temp Max', 'Chip Temp Avg', 'Debug',
                  'Btminer Fast Boot')


def test_summary(make_sim):
    handle = make_sim(models=('M60',), ramp_seconds=0)
    host, port = handle.addr()
    reply = request(host, port, {'cmd': 'summary'})
    status = reply['STATUS'][0]
    assert status['STATUS'] == 'S' and status['Msg'] == 'Summary' and reply['id'] == 1
    summary = reply['SUMMARY'][0]
    for field in SUMMARY_FIELDS:
        assert field in summary, field
    assert 150e6 < summary['MHS 1m'] < 190e6  # M60 ~170 TH/s
    assert 3000 < summary['Power'] < 3800
    assert summary['Factory GHS'] == 170000
    assert summary['Btminer Fast Boot'] == 'disable'


def test_pools_devs_devdetails(sim):
    host, port = sim.addr()
    assert request(host, port, {'cmd': 'pools'})['POOLS'] == []  # empty slots are not listed
    devs = request(host, port, {'cmd': 'devs'})
    assert len(devs['DEVS']) == 3
    for field in ('Slot', 'Temperature', 'Chip Frequency', 'MHS av', 'MHS 5s', 'MHS 1m', 'MHS 15m', 'HS RT', 'Factory GHS',
                  'Upfreq Complete', 'Effective Chips', 'PCB SN', 'Chip Data'):
        assert field in devs['DEVS'][0]
    assert request(host, port, {'cmd': 'edevs'})['DEVS'][2]['Slot'] == 2
    details = request(host, port, {'cmd': 'devdetails'})
    assert details['DEVDETAILS'][0]['Model'] == 'M50_VH50'


def test_joined(sim):
    host, port = sim.addr()
    reply = request(host, port, {'cmd': 'summary+pools'})
    assert reply['summary'][0]['SUMMARY'][0]['Power Mode'] == 'Normal'
    assert reply['pools'][0]['STATUS'][0]['Msg'] == '0 Pool(s)'
    assert sim.miner().counts['summary'] == 1 and sim.miner().counts['pools'] == 1


def test_envelope_reads(sim):
    host, port = sim.addr()
    psu = request(host, port, {'cmd': 'get_psu'})['Msg']
    for field in ('name', 'hw_version', 'sw_version', 'model', 'iin', 'vin', 'pin', 'fan_speed', 'version', 'serial_no', 'vendor', 'temp0'):
        assert field in psu
    assert 20000 < int(psu['vin']) < 24000
    version = request(host, port, {'cmd': 'get_version'})['Msg']
    assert version == {'api_ver': '2.0.5', 'fw_ver': '20230619.22.REL', 'platform': 'H616', 'chip': 'K23', 'miner_type': 'M50_VH50'}
    status = request(host, port, {'cmd': 'status'})['Msg']
    assert status['btmineroff'] == 'false' and status['mineroff'] == 'false'
    assert status['FirmwareVersion'] == '20230619.22.REL'
    assert status['power_mode'] == 'Normal' and status['power_limit_set'] == '3600' and status['hash_percent'] == '0'
    info = request(host, port, {'cmd': 'get_miner_info', 'info': 'ip,mac,hostname,ledstat,proto'})['Msg']
    assert info == {'ip': host, 'mac': info['mac'], 'hostname': 'WhatsMiner', 'ledstat': 'auto', 'proto': 'dhcp'}
    assert re.match(r'^([0-9A-F]{2}:){5}[0-9A-F]{2}$', info['mac'])
    full = request(host, port, {'cmd': 'get_miner_info'})['Msg']
    assert set(full) == {'ip', 'proto', 'netmask', 'gateway', 'dns', 'hostname', 'mac', 'ledstat', 'minersn', 'powersn'}
    assert request(host, port, {'cmd': 'get_error_code'})['Msg'] == {'error_code': []}


def test_error_codes_from_faults(sim):
    host, port = sim.addr()
    assert http(sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'fan_failure'})[0] == 200
    assert http(sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'error_code', 'code': 8410})[0] == 200
    codes = request(host, port, {'cmd': 'get_error_code'})['Msg']['error_code']
    assert sorted(int(list(c)[0]) for c in codes) == [110, 111, 8410]
    assert re.match(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', list(codes[0].values())[0])
    assert request(host, port, {'cmd': 'summary'})['SUMMARY'][0]['Fan Speed In'] == 0
    http(sim.url + '/miners/sim-0001/faults', 'DELETE')
    assert request(host, port, {'cmd': 'get_error_code'})['Msg']['error_code'] == []


def test_hashboard_and_pool_faults(make_sim):
    handle = make_sim(models=('M30S+',), ramp_seconds=0)
    host, port = handle.addr()
    http(handle.url + '/miners/sim-0001/faults', 'POST', {'kind': 'hashboard_failure'})
    devs = request(host, port, {'cmd': 'devs'})['DEVS']
    assert devs[0]['MHS av'] == 0 and devs[1]['MHS av'] > 0
    summary = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    assert 55e6 < summary['MHS 1m'] < 75e6


def test_telemetry_moves_and_ramps(make_sim):
    handle = make_sim(models=('M50',), ramp_seconds=2, restart_seconds=0.1)
    host, port = handle.addr()
    running = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    assert running['Elapsed'] > 3600 and running['Hash Stable'] is True and running['MHS 1m'] > 110e6
    assert handle.session().send('restart_btminer')['Code'] == 131
    assert wait_port(host, port, up=True)
    first = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    time.sleep(0.6)
    second = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    assert second['MHS 1m'] > first['MHS 1m']  # ramping up after start
    assert first['Hash Stable'] is False
    assert second['Elapsed'] >= first['Elapsed']


def test_api_v1_shape(make_sim):
    handle = make_sim(models=('M30S+',), api_version='1')
    host, port = handle.addr()
    status = request(host, port, {'cmd': 'status'})
    assert status['Description'] == 'whatsminer v1.4.0'
    assert status['Msg'] == {'btmineroff': 'false', 'Firmware Version': "'20220916.22.REL'"}
    assert request(host, port, {'cmd': 'get_version'})['Msg']['api_ver'] == 'whatsminer v1.4.0'


def test_api_version_per_model(make_sim):
    handle = make_sim(miners=2, models=('M30S+', 'M50'), api_version='M30S+=1')
    assert request(*handle.addr(0), {'cmd': 'status'})['Description'] == 'whatsminer v1.4.0'
    assert request(*handle.addr(1), {'cmd': 'status'})['Description'] == ''
    http(handle.url + '/miners/sim-0002/state', 'PATCH', {'api_version': 1})
    assert 'Firmware Version' in request(*handle.addr(1), {'cmd': 'status'})['Msg']


def test_field_quirks(make_sim):
    handle = make_sim(models=('M50',), field_quirks='all')
    host, port = handle.addr()
    http(handle.url + '/miners/sim-0001/faults', 'POST', {'kind': 'error_code', 'code': 329})
    raw = raw_request(host, port, '{"cmd":"summary"}')
    assert raw.endswith(b'\0') and b',}]' in raw and b'"inf"' in raw
    summary = json.loads(raw.rstrip(b'\0').decode().replace(',}', '}'))['SUMMARY'][0]
    assert isinstance(summary['Elapsed'], str)
    psu = raw_request(host, port, '{"cmd":"get_psu"}').decode()
    assert '"vender"' in psu and '""temp0"' in psu
    err = raw_request(host, port, '{"cmd":"get_error_code"}').decode()
    assert re.search(r'"error_code":\["329":"[^"]+"\]', err)
    version = raw_request(host, port, '{"cmd":"get_version"}').decode()
    assert '\n' in version
    # quirks are per miner and can be switched off
    http(handle.url + '/miners/sim-0001/state', 'PATCH', {'quirks': []})
    assert request(host, port, {'cmd': 'get_psu'})['Msg']['vendor'] == '1'


def test_encrypted_read(sim):
    session = sim.session().login()
    reply = session.send('summary')
    assert reply['SUMMARY'][0]['Power Mode'] == 'Normal'
    reply = session.send('get_miner_info', info='mac')
    assert list(reply['Msg']) == ['mac']


def test_encrypted_read_error_is_plain(sim):
    session = sim.session().login()
    http(sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'token_exhaustion'})
    raw = session.raw_send('get_token')
    assert json.loads(raw)['Code'] == 136
    raw = session.raw_send('get_miner_info', info=['ip'])
    assert json.loads(raw)['Code'] == 14
