# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API V3 framing: length prefixes, persistent connections, heartbeats, caps, client limit, envelopes."""

import json
import socket
import struct
import time

import pytest

from simclient import http
from simclient_v3 import V3Client, frame


def test_worked_bytes_and_envelope(v3):
    # reference_protocol.rst V3 §1.2: the spaced form is 43 bytes (2b 00 00 00), the compact one 40 (28 00 00 00)
    spaced = json.dumps({'cmd': 'get.device.info', 'param': 'salt'}).encode()
    compact = json.dumps({'cmd': 'get.device.info', 'param': 'salt'}, separators=(',', ':')).encode()
    assert frame(spaced)[:4] == b'\x2b\x00\x00\x00' and frame(compact)[:4] == b'\x28\x00\x00\x00'
    for data in (spaced, compact):
        v3.send_raw(frame(data))
        head = v3.recv_exact(4)
        body = v3.recv_exact(struct.unpack('<I', head)[0])
        assert b' ' not in body  # compact replies
        reply = json.loads(body)
        assert list(reply) == ['code', 'when', 'msg', 'desc']
        assert reply['code'] == 0 and reply['desc'] == 'get.device.info' and list(reply['msg']) == ['salt']
        assert abs(reply['when'] - time.time()) < 5


def test_persistent_connection_many_requests(v3sim, v3):
    for i in range(30):
        assert v3.read('get.miner.setting' if i % 2 else 'get.fan.setting')['code'] == 0
    assert v3.write('set.miner.fast_hash', 1)['code'] == 0
    assert v3.read('get.miner.setting')['msg']['fast-hash'] == 'enable'
    state = http(v3sim.url + '/miners/sim-0001')[1]
    assert state['counts']['connections'] == 1 and state['counts']['get.miner.setting'] == 16
    assert state['counts']['set.miner.fast_hash'] == 1 and state['counts']['writes_ok'] == 1
    assert state['api'] == 'v3' and state['v3_connections'] == 1 and state['v3_port'] == v3.port


def test_split_frames_and_two_requests_in_one_read(v3):
    data = frame({'cmd': 'get.fan.setting'})
    for byte in data:  # one byte at a time, the length prefix too
        v3.send_raw(bytes([byte]))
        time.sleep(0.002)
    assert v3.recv_frame()['desc'] == 'get.fan.setting'
    v3.send_raw(frame({'cmd': 'get.system.setting'}) + frame({'cmd': 'get.miner.setting'}) + frame({'cmd': 'get.fan.setting'}))
    assert [v3.recv_frame()['desc'] for dummy in range(3)] == ['get.system.setting', 'get.miner.setting', 'get.fan.setting']


def test_heartbeat_is_silent(v3sim, v3):
    v3.send_raw(b'\0\0\0\0' * 3)
    v3.sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        v3.sock.recv(1)  # no answer to a heartbeat
    v3.sock.settimeout(5)
    v3.send_raw(b'\0\0\0\0' + frame({'cmd': 'get.fan.setting'}))
    assert v3.recv_frame()['code'] == 0
    assert http(v3sim.url + '/miners/sim-0001')[1]['counts']['heartbeats'] == 4


def test_oversize_and_v2_style_request_close(v3sim):
    miner = v3sim.miner(0)
    with V3Client(miner.host, miner.v3_port) as client:
        client.send_raw(struct.pack('<I', 64 * 1024 + 1))
        assert client.closed()
    with V3Client(miner.host, miner.v3_port) as client:
        client.send_raw(b'{"cmd":"summary"}')  # V2 framing: "{\"cm" read as a huge length
        assert client.closed()
    counts = http(v3sim.url + '/miners/sim-0001')[1]['counts']
    assert counts['oversized_requests'] == 2
    # exactly at the cap is fine (the body is then not JSON)
    with V3Client(miner.host, miner.v3_port) as client:
        client.send_raw(struct.pack('<I', 64 * 1024) + b' ' * (64 * 1024))
        assert client.recv_frame()['code'] == -1


def test_error_codes_of_the_envelope(v3):
    for body in (b'not json', b'{"cmd": ', b'\xff\xfe'):
        v3.send_raw(frame(body))
        reply = v3.recv_frame()
        assert reply == {'code': -1, 'when': reply['when'], 'msg': 'invalid json', 'desc': ''}
    v3.send_raw(frame(b'[1, 2]'))
    assert v3.recv_frame()['code'] == -1
    reply = v3.request({'param': 'salt'})
    assert reply['code'] == -3 and reply['desc'] == ''
    reply = v3.request({'cmd': 'set.system.apiswitch', 'param': 1})
    assert reply['code'] == -2 and reply['msg'] == 'invalid command' and reply['desc'] == 'set.system.apiswitch'
    for cmd in ('get.miner.report', 'get.psu.command', 'set.shell.debug', 'set.miner.mode', 'get.version', 'summary'):
        reply = v3.read(cmd)
        assert reply == {'code': -2, 'when': reply['when'], 'msg': 'invalid command', 'desc': cmd}
    # unknown extra keys and "param": null are ignored
    assert v3.request({'cmd': 'get.fan.setting', 'param': None, 'extra': [1]})['code'] == 0
    # the connection survived every error
    assert v3.read('get.device.info', 'salt')['code'] == 0


def test_eleventh_client_closed_at_once(v3sim):
    miner = v3sim.miner(0)
    clients = [V3Client(miner.host, miner.v3_port) for dummy in range(10)]
    try:
        for client in clients:
            assert client.read('get.fan.setting')['code'] == 0
        with V3Client(miner.host, miner.v3_port) as extra:
            assert extra.closed()
        clients.pop().close()
        time.sleep(0.1)
        with V3Client(miner.host, miner.v3_port) as extra:
            assert extra.read('get.fan.setting')['code'] == 0
    finally:
        for client in clients:
            client.close()
    assert http(v3sim.url + '/miners/sim-0001')[1]['counts']['v3_clients_refused'] == 1


def test_idle_timeout(make_sim):
    sim = make_sim(models=('M50',), api='v3', v3_idle_timeout=0.4)
    miner = sim.miner(0)
    with V3Client(miner.host, miner.v3_port) as client:
        assert client.read('get.fan.setting')['code'] == 0
        time.sleep(0.25)
        client.send_raw(b'\0\0\0\0')  # a heartbeat resets the idle timer
        time.sleep(0.25)
        assert client.read('get.fan.setting')['code'] == 0
        assert client.closed(wait=2)
    assert http(sim.url + '/miners/sim-0001')[1]['counts']['idle_timeouts'] == 1


def test_garbage_and_reset_faults(v3sim):
    miner = v3sim.miner(0)
    http(v3sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'truncated', 'count': 1})
    with V3Client(miner.host, miner.v3_port) as client:
        client.send_raw(frame({'cmd': 'get.device.info'}))
        head = client.recv_exact(4)
        try:
            client.recv_exact(struct.unpack('<I', head)[0])
        except EOFError:
            pass
        else:
            raise AssertionError('not truncated')
    with V3Client(miner.host, miner.v3_port) as client:
        assert client.read('get.fan.setting')['code'] == 0
