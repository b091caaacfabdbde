# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection through the control API, one test per kind."""

import json
import socket
import time

import pytest

from simclient import http, raw_request, request, wait_port


def add(handle, **fault):
    status, body = http(handle.url + '/miners/sim-0001/faults', 'POST', fault)
    assert status == 200, body
    return body


def test_latency(sim):
    host, port = sim.addr()
    add(sim, kind='latency', seconds=0.4, count=1)
    start = time.time()
    assert request(host, port, {'cmd': 'summary'})
    assert time.time() - start >= 0.35
    start = time.time()
    request(host, port, {'cmd': 'summary'})
    assert time.time() - start < 0.3  # count exhausted


def test_refuse_and_clear(sim):
    host, port = sim.addr()
    add(sim, kind='refuse')
    assert wait_port(host, port, up=False, timeout=2)
    assert http(sim.url + '/miners')[1][0]['online'] is False
    http(sim.url + '/miners/sim-0001/faults', 'DELETE')
    assert wait_port(host, port, up=True, timeout=2)


def test_refuse_for_seconds(sim):
    host, port = sim.addr()
    add(sim, kind='refuse', seconds=0.3)
    assert wait_port(host, port, up=False, timeout=2)
    assert wait_port(host, port, up=True, timeout=3)


def test_reset(sim):
    host, port = sim.addr()
    add(sim, kind='reset', count=1)
    try:
        raw = raw_request(host, port, '{"cmd":"summary"}')
    except ConnectionResetError:
        raw = None
    if raw is not None:  # the half reply may be read before the RST arrives: it is not valid JSON
        with pytest.raises(ValueError):
            json.loads(raw)
    assert http(sim.url + '/miners/sim-0001')[1]['faults'] == []
    assert request(host, port, {'cmd': 'summary'})['SUMMARY']


def test_garbage(sim):
    host, port = sim.addr()
    add(sim, kind='garbage', count=1)
    raw = raw_request(host, port, '{"cmd":"status"}')
    with pytest.raises(ValueError):
        json.loads(raw)
    assert request(host, port, {'cmd': 'status'})['Code'] == 131


def test_truncated(sim):
    host, port = sim.addr()
    add(sim, kind='truncated', count=2)
    raw = raw_request(host, port, '{"cmd":"summary"}')
    full = raw_request(host, port, '{"cmd":"summary"}')
    assert raw and full and raw.startswith(b'{"STATUS"')
    with pytest.raises(ValueError):
        json.loads(raw)
    assert request(host, port, {'cmd': 'summary'})['SUMMARY']


def test_stall(sim):
    host, port = sim.addr()
    add(sim, kind='stall', count=1)
    with socket.create_connection((host, port), timeout=0.5) as sock:
        sock.sendall(b'{"cmd":"summary"}')
        with pytest.raises(socket.timeout):
            sock.recv(100)
    assert request(host, port, {'cmd': 'summary'})['SUMMARY']


def test_token_exhaustion(sim):
    host, port = sim.addr()
    add(sim, kind='token_exhaustion', count=1)
    reply = request(host, port, {'cmd': 'get_token'})
    assert reply['Code'] == 136 and reply['Msg'] == 'over max connect'
    assert request(host, port, {'cmd': 'get_token'})['Code'] == 134


def test_stale_token(sim):
    s = sim.session().login()
    add(sim, kind='stale_token', count=2)
    assert s.send('set_led', param='auto')['Code'] == 135
    assert s.send('set_led', param='auto')['Code'] == 135
    assert s.send('set_led', param='auto')['Code'] == 131


def test_reboot_fault(sim):
    host, port = sim.addr()
    add(sim, kind='reboot')
    assert wait_port(host, port, up=False, timeout=2)
    assert wait_port(host, port, up=True, timeout=5)
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['boot_count'] == 1
    assert http(sim.url + '/miners/sim-0001')[1]['faults'] == []


def test_no_reply(sim):
    host, port = sim.addr()
    s = sim.session().login()
    add(sim, kind='no_reply', count=1)
    assert s.raw_send('set_high_power') == b''
    assert wait_port(host, port, up=True)
    assert s.read('status')['Msg']['power_mode'] == 'High'  # applied despite no reply


def test_write_api_off_and_wrong_password(sim):
    s = sim.session().login()
    add(sim, kind='write_api_off')
    assert s.send('set_led', param='auto')['Code'] == 45
    http(sim.url + '/miners/sim-0001/faults', 'DELETE')
    add(sim, kind='wrong_password')
    assert s.send('set_led', param='auto')['Code'] == 23
    http(sim.url + '/miners/sim-0001/faults', 'DELETE')
    assert s.send('set_led', param='auto')['Code'] == 131


def test_overheat(sim):
    host, port = sim.addr()
    normal = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]['Chip Temp Max']
    add(sim, kind='overheat')
    hot = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    assert hot['Chip Temp Max'] > normal + 20 and hot['Env Temp'] > 40
    assert {'600', '350'} <= {list(c)[0] for c in request(host, port, {'cmd': 'get_error_code'})['Msg']['error_code']}


def test_pool_down(sim):
    s = sim.session()
    s.send('update_pools', pool1='stratum+tcp://a:1', worker1='w')
    add(sim, kind='pool_down')
    assert s.read('pools')['POOLS'][0]['Status'] == 'Dead'


def test_bad_fault_kind(sim):
    status, body = http(sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'meteor'})
    assert status == 400 and 'unknown fault kind' in body['error']
    assert http(sim.url + '/miners/sim-0099')[0] == 404
    assert http(sim.url + '/nope')[0] == 404


def test_fleet_wide_faults(make_sim):
    handle = make_sim(miners=3)
    assert http(handle.url + '/faults', 'POST', {'kind': 'token_exhaustion'})[0] == 200
    for i in range(3):
        assert request(*handle.addr(i), {'cmd': 'get_token'})['Code'] == 136
    assert http(handle.url + '/faults', 'DELETE')[0] == 200
    assert request(*handle.addr(2), {'cmd': 'get_token'})['Code'] == 134


def test_cli_faults_at_start(make_sim):
    handle = make_sim(faults=('stale_token:1', 'latency:0.01'))
    faults = http(handle.url + '/miners/sim-0001')[1]['faults']
    assert {f['kind'] for f in faults} == {'stale_token', 'latency'}
    s = handle.session().login()
    assert s.send('set_led', param='auto')['Code'] == 135
    assert s.send('set_led', param='auto')['Code'] == 131


def test_patch_state(sim):
    host, port = sim.addr()
    status, body = http(sim.url + '/miners/sim-0001/state', 'PATCH',
                        {'power_mode': 'High', 'pools': [{'url': 'stratum+tcp://behind:1', 'user': 'me', 'password': ''},
                                                         {'url': '', 'user': '', 'password': ''},
                                                         {'url': '', 'user': '', 'password': ''}]})
    assert status == 200 and body['settings']['power_mode'] == 'High'
    assert request(host, port, {'cmd': 'status'})['Msg']['power_mode'] == 'High'
    assert request(host, port, {'cmd': 'pools'})['POOLS'][0]['URL'] == 'stratum+tcp://behind:1'
    http(sim.url + '/miners/sim-0001/state', 'PATCH', {'password': 'behind'})
    assert sim.session(password='admin').send('set_led', param='auto')['Code'] == 23
    assert http(sim.url + '/miners/sim-0001/state', 'PATCH', [1, 2])[0] == 400


def test_clamp_keeps_less_than_was_sent(sim):
    s = sim.session().login()
    add(sim, kind='clamp', count=1)
    assert s.send('adjust_upfreq_speed', upfreq_speed='5')['Code'] == 131
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['upfreq_speed'] == 4
    assert s.send('adjust_upfreq_speed', upfreq_speed='5')['Code'] == 131  # count used up
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['upfreq_speed'] == 5


def test_apply_after_restart_keeps_the_write_until_btminer_starts(sim):
    host, port = sim.addr()
    s = sim.session().login()
    before = http(sim.url + '/miners/sim-0001')[1]['settings']['temp_offset']
    add(sim, kind='apply_after_restart', count=1)
    assert s.send('set_temp_offset', temp_offset='-7')['Code'] == 131
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['temp_offset'] == before
    s.raw_send('restart_btminer')
    assert wait_port(host, port, up=True, timeout=5)
    deadline = time.time() + 5
    while http(sim.url + '/miners/sim-0001')[1]['settings']['temp_offset'] != -7 and time.time() < deadline:
        time.sleep(0.1)
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['temp_offset'] == -7
