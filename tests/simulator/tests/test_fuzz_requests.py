# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fuzzing the simulator's request side (issue #7): framing, parsing and every command's parameters.

Whatever arrives on port 4028 the simulated miner answers an error code (or a valid reply) or
closes the connection, never crashes, and keeps serving the next client.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import tempfile
import time

import pytest

from simclient import encrypt_request
from whatsminer_sim import api_v2, crypto
from whatsminer_sim import protocol as P

hypothesis = pytest.importorskip('hypothesis')
st = pytest.importorskip('hypothesis.strategies')
try:
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), 'hypothesis-minerops-whatsminer'))
except ImportError:  # pragma: no cover
    pass
given = hypothesis.given


def fuzz(examples):
    """Settings for a property that reuses one simulator (a function-scoped fixture) across its examples."""
    return hypothesis.settings(max_examples=examples, deadline=None, database=None,
                               suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])


KNOWN_CODES = {P.CODE_INVALID_CMD, P.CODE_JSON, P.CODE_NO_WRITE, P.CODE_OK, P.CODE_CMD_ERROR, 133, P.CODE_TOKEN_OK, P.CODE_TOKEN_BAD,
               P.CODE_TOKEN_MAX, P.CODE_BASE64}
COMMANDS = sorted(set(api_v2.READ_COMMANDS) | set(api_v2.WRITE_COMMANDS))
SAFE_WRITES = [cmd for cmd in sorted(api_v2.WRITE_COMMANDS) if cmd not in ('update_firmware', 'download_logs')]
PARAM_NAMES = st.sampled_from(['param', 'pool1', 'worker1', 'passwd1', 'percent', 'power', 'power_limit', 'upfreq_speed', 'temp_offset',
                               'color', 'period', 'duration', 'start', 'ip', 'mask', 'gate', 'dns', 'host', 'hostname', 'timezone',
                               'zonename', 'port', 'proto', 'key', 'val', 'old', 'new', 'mode', 'poweroff_cool', 'fan_zero_speed',
                               'info', 'token', 'cmd']) | st.text(max_size=8)
PARAM_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2 ** 40, max_value=2 ** 40) | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from(['auto', 'red', 'dhcp', '10.0.0.1', '255.255.255.0', '-100', '100', '0', '99999', 'tcp', 'udp', 'msg0', 'CustomerSn',
                       'stratum+tcp://p.example.com:1', '', ' ', '1e9', 'NaN', '"', '","cmd":"reboot']),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3), max_leaves=8)
REQUESTS = st.builds(lambda cmd, params, key: dict(params, **{key: cmd}),
                     st.sampled_from(COMMANDS) | st.text(max_size=12) | PARAM_VALUES,
                     st.dictionaries(PARAM_NAMES, PARAM_VALUES, max_size=6), st.sampled_from(['cmd', 'command']))


def _check_reply(reply):
    """A Reply to send (an envelope with a known code, or a cgminer-style section) or nothing (close)."""
    if reply is None or reply.obj is None:
        return None
    obj = reply.obj
    assert isinstance(obj, dict)
    status = obj.get('STATUS')
    if isinstance(status, list):
        assert status and status[0].get('STATUS') in ('S', 'E')
        return 'S'
    assert status in ('S', 'E'), obj
    assert obj.get('Code') in KNOWN_CODES, obj
    json.dumps(obj)  # serialisable as the server will
    return status


def _handle(sim, data):
    return sim.call(api_v2.handle, sim.miner(0), data)


@fuzz(300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_answer_an_error(sim, data):
    reply = _handle(sim, data)
    assert _check_reply(reply) in ('E', None) or data.strip(b' \t\r\n\0').startswith(b'{')


@fuzz(400)
@given(REQUESTS)
def test_plain_requests_with_any_parameters(sim, request):
    try:
        data = json.dumps(request).encode()
    except (TypeError, ValueError):
        return
    status = _check_reply(_handle(sim, data))
    cmd = request.get('cmd', request.get('command'))
    if isinstance(cmd, str) and cmd.strip() in api_v2.WRITE_COMMANDS:
        assert status == 'E'  # writes only encrypted


@fuzz(200)
@given(st.one_of(st.binary(max_size=80).map(lambda blob: base64.b64encode(blob).decode()), st.text(max_size=40),
                 st.integers(), st.none(), st.lists(st.integers(), max_size=3)),
       st.sampled_from([1, '1', True, 0, None, 'x']))
def test_encrypted_garbage_answers_an_error(sim, blob, enc):
    status = _check_reply(_handle(sim, json.dumps({'enc': enc, 'data': blob}).encode()))
    assert status in ('E', None)


def _token(miner):
    """A valid token for the miner's current password (computed on the loop thread)."""
    miner.tokens = []
    time4, salt, newsalt = miner.issue_token(int(time.time()))
    key = crypto.make_key(miner.settings['password'], salt)
    return crypto.make_sign(key, time4, newsalt), miner.key()[2]


@fuzz(400)
@given(st.sampled_from(SAFE_WRITES), st.dictionaries(PARAM_NAMES, PARAM_VALUES, max_size=5), st.booleans())
def test_every_write_command_with_any_parameters(sim, cmd, params, good_token):
    """Authenticated writes with random parameters: applied (131) or refused (14/132/...), never a crash."""
    miner = sim.miner(0)
    sign, aeskey = sim.call(_token, miner)
    inner = dict(params, cmd=cmd, token=sign if good_token else str(params.get('token', 'stale')))
    try:
        data = json.dumps(encrypt_request(aeskey, inner)).encode()
    except (TypeError, ValueError):
        return
    reply = _handle(sim, data)
    status = _check_reply(reply)
    if not good_token:
        assert status == 'E' and reply.obj['Code'] in (P.CODE_TOKEN_BAD, P.CODE_JSON)
    # keep the miner usable for the next example
    sim.call(miner.patch_settings, {'password': 'admin', 'write_api': True})


@fuzz(300)
@given(st.binary(max_size=120), st.lists(st.integers(min_value=1, max_value=50), max_size=6))
def test_frame_scanner_on_any_split(data, splits):
    scanner = P.FrameScanner()
    position = 0
    for size in splits + [len(data)]:
        end = scanner.feed(data[position:position + size])
        position += size
        if end is not None:
            assert 0 < end <= len(scanner.buf)
            return


def _talk(host, port, data, timeout=5.0):
    """Send, half-close, read to EOF; return the bytes (b'' when the miner just closed)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = bytearray()
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                out.extend(chunk)
        except ConnectionResetError:
            pass
        return bytes(out)


@fuzz(80)
@given(st.binary(max_size=300) | REQUESTS.map(lambda request: json.dumps(request, default=str).encode()[:-1]))
def test_over_tcp_answer_or_close_and_keep_serving(sim, data):
    host, port = sim.addr()
    raw = _talk(host, port, data)
    if raw:
        reply = json.loads(raw.rstrip(b'\0').decode())
        assert reply.get('Code') in KNOWN_CODES or isinstance(reply.get('STATUS'), list), reply
    again = json.loads(_talk(host, port, b'{"cmd":"get_version"}').rstrip(b'\0').decode())
    assert again['Code'] == P.CODE_OK


@pytest.mark.parametrize('data', [
    b'[' * 30000 + b']' * 30000, b'{"cmd":' + b'[' * 20000 + b']' * 20000 + b'}', b'{"cmd":"' + b'a' * 70000 + b'"}',
    b'{' * 70000, b'\x00' * 70000, b'{"enc":1,"data":"' + b'A' * 60000 + b'"}', b'{"cmd":"summary"}' * 3, b'\xff\xfe{"cmd":"summary"}',
])
def test_hostile_requests_over_tcp(sim, data):
    host, port = sim.addr()
    raw = _talk(host, port, data)
    if raw:
        reply = json.loads(raw.rstrip(b'\0').decode())
        assert reply.get('Code') in KNOWN_CODES or isinstance(reply.get('STATUS'), list), reply
    assert json.loads(_talk(host, port, b'{"cmd":"get_version"}').rstrip(b'\0').decode())['Code'] == P.CODE_OK


def test_deeply_nested_request_answers_23_in_process(sim):
    reply = _handle(sim, b'[' * 30000 + b']' * 30000)
    assert reply.obj['Code'] == P.CODE_JSON
