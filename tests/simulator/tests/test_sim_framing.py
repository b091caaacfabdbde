# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Framing: JSON-delimited requests, key variants, size cap, idle timeout, bad input."""

import json
import socket
import time

from simclient import raw_request, request
from whatsminer_sim.protocol import FrameScanner


def test_scanner():
    s = FrameScanner()
    assert s.feed(b'  {"cmd":"su') is None
    assert s.feed(b'mmary","x":"}{\\"]"') is None
    end = s.feed(b'}trailing')
    assert json.loads(bytes(s.buf[:end])) == {'cmd': 'summary', 'x': '}{"]'}
    s = FrameScanner()
    assert s.feed(b'hello') == 1 and s.invalid


def test_split_request_and_key_variants(sim):
    host, port = sim.addr()
    raw = raw_request(host, port, '{ "command" : "status" }', chunks=5, pause=0.02)
    reply = json.loads(raw)
    assert reply['Code'] == 131 and reply['Msg']['FirmwareVersion']
    reply = request(host, port, '{\n  "param": null,\n  "cmd":"get_version"\n}')
    assert reply['Msg']['api_ver'] == '2.0.5'


def test_bad_requests(sim):
    host, port = sim.addr()
    assert request(host, port, '{"cmd": "nope"}')['Code'] == 14
    assert request(host, port, '{"cmd": "nope"}')['Msg'] == 'invalid cmd'
    assert request(host, port, '{"foo": 1}')['Code'] == 14
    assert request(host, port, '[1, 2]')['Code'] == 14
    reply = request(host, port, '{"cmd": summary}')
    assert reply['Code'] == 23 and reply['STATUS'] == 'E'
    assert request(host, port, 'hello')['Code'] == 23
    assert request(host, port, '{"cmd":"summary+nope"}')['Code'] == 14
    # writes must be encrypted
    assert request(host, port, {'cmd': 'reboot'})['Code'] == 45
    counts = sim.miner().counts
    assert counts['bad_requests'] >= 6


def test_oversized_request_closed(sim):
    host, port = sim.addr()
    data = b'{"cmd":"summary","pad":"' + b'x' * (70 * 1024)
    with socket.create_connection((host, port), timeout=5) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass
        try:
            assert sock.recv(100) == b''
        except ConnectionResetError:
            pass


def test_idle_timeout(make_sim):
    handle = make_sim(idle_timeout=0.3)
    host, port = handle.addr()
    with socket.create_connection((host, port), timeout=5) as sock:
        start = time.time()
        sock.sendall(b'{"cmd":')
        assert sock.recv(100) == b''
        assert 0.2 < time.time() - start < 3


def test_when_and_description(sim):
    host, port = sim.addr()
    reply = request(host, port, {'cmd': 'get_psu'})
    assert abs(reply['When'] - time.time()) < 5 and reply['Description'] == ''
