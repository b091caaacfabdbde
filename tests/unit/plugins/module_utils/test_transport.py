# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    NoReply,
    ProtocolError,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils import transport as transport_module
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import JsonEndScanner, Transport

REQ = b'{"cmd":"summary"}'


def test_request_reads_until_close(server, h):
    server.add(h.reply(b'{"STATUS":"S","Code":131}'))
    t = Transport(server.host, server.port, timeout=5)
    assert t.request(REQ) == b'{"STATUS":"S","Code":131}'
    assert server.requests == [REQ]


def test_request_partial_reads(server, h):
    parts = [b'{"STA', b'TUS":"S",', b'"Code":1', b'31}']
    server.add(h.chunks(parts, delay=0.05))
    assert Transport(server.host, server.port, timeout=5).request(REQ) == b''.join(parts)


def test_request_host_name(server, h):
    server.add(h.reply(b'{}'))
    assert Transport('localhost', server.port, timeout=5).request(REQ) == b'{}'


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip('no IPv6')
    try:
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.bind(('::1', 0))
    except OSError:
        pytest.skip('no IPv6 loopback')
    listener.listen(1)
    port = listener.getsockname()[1]
    import threading

    def serve():
        conn, dummy = listener.accept()
        conn.recv(100)
        conn.sendall(b'{"ok":1}')
        conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert Transport('::1', port, timeout=5).request(REQ) == b'{"ok":1}'
    finally:
        thread.join(5)
        listener.close()


def test_connection_refused(closed_port):
    with pytest.raises(MinerUnreachable) as info:
        Transport('127.0.0.1', closed_port, timeout=2).request(REQ)
    text = str(info.value)
    assert '127.0.0.1:%d' % closed_port in text and 'refused' in text
    assert info.value.host == '127.0.0.1' and info.value.port == closed_port


class _FailingSocket(object):
    """A socket whose connect raises ``error`` (no packet leaves the machine)."""

    error = OSError('connect failed')

    def __init__(self, *args):
        pass

    def settimeout(self, seconds):
        self.timeout = seconds

    def connect(self, address):
        raise self.error

    def close(self):
        pass


def _fail_connect(monkeypatch, error):
    failing = type('Failing', (_FailingSocket,), {'error': error})
    monkeypatch.setattr(transport_module, '_new_socket', failing)


def test_dns_failure(monkeypatch):
    # No real DNS query: the resolver failure is simulated.
    def fake_getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    monkeypatch.setattr(socket, 'getaddrinfo', fake_getaddrinfo)
    with pytest.raises(MinerUnreachable) as info:
        Transport('no-such-host.invalid', 4028, timeout=2).request(REQ)
    assert 'no-such-host.invalid:4028' in str(info.value) and 'name resolution' in str(info.value)


def test_no_route(monkeypatch):
    import errno

    _fail_connect(monkeypatch, OSError(errno.EHOSTUNREACH, 'No route to host'))
    with pytest.raises(MinerUnreachable) as info:
        Transport('127.0.0.9', 4028, timeout=2).request(REQ)
    assert 'no route to host' in str(info.value) and '127.0.0.9:4028' in str(info.value)


def test_ipv6_endpoint_format():
    err = MinerUnreachable('fe80::1', 4028, 'connection refused')
    assert '[fe80::1]:4028' in str(err)


def test_connect_timeout(monkeypatch):
    _fail_connect(monkeypatch, socket.timeout('timed out'))
    with pytest.raises(MinerTimeout) as info:
        Transport('127.0.0.1', 4028, timeout=3).request(REQ)
    assert info.value.phase == 'connect'
    assert '3 s' in str(info.value) and '127.0.0.1:4028' in str(info.value)


def test_read_timeout(server, h):
    server.add(h.stall(1.0))
    start = time.monotonic()
    with pytest.raises(MinerTimeout) as info:
        Transport(server.host, server.port, timeout=0.3).request(REQ)
    assert time.monotonic() - start < 0.9
    assert info.value.phase == 'read' and '0.3 s' in str(info.value)
    assert '%s:%d' % (server.host, server.port) in str(info.value)


def test_eof_without_bytes_is_noreply(server, h):
    server.add(h.close_without_reply)
    with pytest.raises(NoReply) as info:
        Transport(server.host, server.port, timeout=5).request(REQ, command='reboot')
    assert isinstance(info.value, ProtocolError)
    assert 'reboot' in str(info.value)


def test_reset_without_bytes_is_noreply(server, h):
    server.add(h.reset_without_reply)
    with pytest.raises(NoReply):
        Transport(server.host, server.port, timeout=5).request(REQ)


def test_oversized_reply(server, h):
    server.add(h.reply(b'{"a":"' + b'x' * 5000 + b'"}'))
    with pytest.raises(ProtocolError) as info:
        Transport(server.host, server.port, timeout=5, max_reply_bytes=1000).request(REQ)
    assert 'exceeds' in str(info.value) and len(str(info.value)) < 400


def test_default_reply_cap_is_one_mib():
    assert Transport('127.0.0.1').max_reply_bytes == 1024 * 1024
    assert Transport('127.0.0.1').timeout == 10.0


# --------------------------------------------------------------------------- header scanner

@pytest.mark.parametrize('data,end', [
    (b'{"a":1}', 7),
    (b'  \x00{"a":"}"}xyz', 12),
    (b'{"a":"\\"}"}rest', 11),
    (b'{"a":[{"b":{}}]}\x1f\x8b', 16),
    (b'[1,2]x', 5),
    (b'{"a":', None),
    (b'', None),
    (b'{"":"}"}', 8),  # an empty string first: no escape is pending when a string opens
    (b'\t\r\n{}', 5),
    (b'{"a":"\\\\"}x', 10),  # an escaped backslash ends the escape: the next quote closes the string
    (b'{"a":"x\\"y"}', 12),  # an escaped quote does not close the string: the one after y does
    (b'{"!":1}}', 7),  # "!" sorts below the quote character: still just a string
    (b'{"a":{}}', 8),
    (b'{"}":"{"}', 9),
])
def test_json_end_scanner(data, end):
    assert JsonEndScanner().feed(data) == end


def test_json_end_scanner_incremental():
    full = b'{"enc":"abc{}def"}PAYLOAD'
    for split in range(1, len(full)):
        scanner = JsonEndScanner()
        first = scanner.feed(full[:split])
        end = first if first is not None else scanner.feed(full)
        assert end == 18 and full[end:] == b'PAYLOAD'


def test_json_end_scanner_rejects_non_json():
    with pytest.raises(ProtocolError):
        JsonEndScanner().feed(b'HTTP/1.1 400')


# --------------------------------------------------------------------------- streams

HEADER = b'{"STATUS":"S","Code":131,"Msg":{"logfilelen":"10"}}'


def _stream_server(parts, delay=0.03, expect_payload=0):
    def handler(conn, server):
        server.requests.append(conn.read_request())
        for part in parts:
            conn.send(part)
            time.sleep(delay)
        if expect_payload:
            server.requests.append(conn.read_exact(expect_payload))
    return handler


def test_header_and_payload_in_one_read(server):
    server.add(_stream_server([HEADER + b'0123456789']))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        assert conn.read_header() == HEADER
        assert conn.read_exact(10) == b'0123456789'


def test_header_split_and_payload_split(server):
    server.add(_stream_server([HEADER[:5], HEADER[5:20], HEADER[20:] + b'012', b'3456', b'789']))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        assert conn.read_header() == HEADER
        got = []
        assert conn.read_exact(10, got.append) == 10
        assert b''.join(got) == b'0123456789'


def test_payload_short_raises(server):
    server.add(_stream_server([HEADER + b'01234']))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        conn.read_header()
        with pytest.raises(ProtocolError) as info:
            conn.read_exact(10)
        assert info.value.received == 5


def test_payload_extra_bytes_stay_buffered(server):
    server.add(_stream_server([HEADER + b'0123456789EXTRA']))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        conn.read_header()
        assert conn.read_exact(10) == b'0123456789'
        assert conn.read_to_eof() == b'EXTRA'


def test_header_eof_inside(server):
    server.add(_stream_server([HEADER[:10]]))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        with pytest.raises(ProtocolError) as info:
            conn.read_header()
        assert not isinstance(info.value, NoReply)


def test_header_no_bytes(server, h):
    server.add(h.close_without_reply)
    with Transport(server.host, server.port, timeout=5).open_stream('update_firmware') as conn:
        conn.send(REQ)
        with pytest.raises(NoReply):
            conn.read_header()


def test_header_too_big(server):
    server.add(_stream_server([b'{"a":"' + b'x' * 3000]))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        with pytest.raises(ProtocolError):
            conn.read_header(max_bytes=1000)


def test_upload_on_same_connection(server):
    ready = b'{"STATUS":"S","Code":131,"Msg":"ready"}'
    server.add(_stream_server([ready], expect_payload=4 + 6))
    with Transport(server.host, server.port, timeout=5).open_stream() as conn:
        conn.send(REQ)
        assert conn.read_header() == ready
        conn.send(b'\x06\x00\x00\x00abcdef')
        assert conn.bytes_sent == len(REQ) + 10
    time.sleep(0.2)
    assert server.requests[-1] == b'\x06\x00\x00\x00abcdef'


def drip(step=0.05, byte=b' '):
    """A peer that answers with one byte every ``step`` seconds, for ever (until the client leaves)."""
    def handler(conn, server):
        server.requests.append(conn.read_request())
        try:
            while True:
                conn.send(byte)
                time.sleep(step)
        except OSError:
            pass
    return handler


def test_dripping_reply_ends_at_the_overall_deadline(server):
    # Each byte comes well within the timeout: only an overall deadline ends the request.
    server.add(drip(0.05))
    start = time.monotonic()
    with pytest.raises(MinerTimeout) as info:
        Transport(server.host, server.port, timeout=0.6).request(REQ)
    elapsed = time.monotonic() - start
    assert elapsed < 0.6 + 0.3, elapsed
    assert info.value.phase == 'read' and 'overall deadline' in str(info.value)


def test_dripping_stream_header_ends_at_the_deadline(server):
    server.add(drip(0.05, b'['))
    conn = Transport(server.host, server.port, timeout=0.5).open_stream('download_logs')
    start = time.monotonic()
    try:
        conn.send(REQ)
        with pytest.raises((MinerTimeout, ProtocolError)):
            conn.read_header(max_bytes=10 ** 6)
    finally:
        conn.close()
    assert time.monotonic() - start < 0.8


def test_name_resolution_is_bounded(monkeypatch):
    def slow_getaddrinfo(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror(socket.EAI_AGAIN, 'Temporary failure in name resolution')
    monkeypatch.setattr(socket, 'getaddrinfo', slow_getaddrinfo)
    start = time.monotonic()
    with pytest.raises(MinerTimeout) as info:
        Transport('slow-dns.example', 4028, timeout=0.4).request(REQ)
    assert time.monotonic() - start < 1.0
    assert info.value.phase == 'resolve' and 'resolving the name of slow-dns.example:4028' in str(info.value)


def test_literal_address_needs_no_lookup(monkeypatch, server, h):
    def no_dns(host, *args, **kwargs):
        raise AssertionError('DNS asked for %s' % host)
    original = socket.getaddrinfo
    monkeypatch.setattr(socket, 'getaddrinfo', lambda host, *a, **k: original(host, *a, **k) if a[2:] and a[-1] & socket.AI_NUMERICHOST else no_dns(host))
    server.add(h.reply(b'{"ok":1}'))
    assert Transport(server.host, server.port, timeout=2).request(REQ) == b'{"ok":1}'


def test_deadline_step():
    now = [100.0]
    deadline = transport_module.Deadline(2, clock=lambda: now[0])
    assert deadline.step(5, 'h', 1, 'read') == 2
    now[0] = 101.5
    assert deadline.step(5, 'h', 1, 'read') == pytest.approx(0.5)
    assert deadline.step(0.2, 'h', 1, 'read') == 0.2
    now[0] = 102.0
    with pytest.raises(MinerTimeout) as info:
        deadline.step(5, 'h', 1, 'send')
    assert info.value.phase == 'send' and info.value.seconds == 2


@pytest.mark.parametrize('bad', [b'x{}', b' ]', b'"a"'])
def test_json_end_scanner_refuses_what_does_not_start_an_object(bad):
    with pytest.raises(ProtocolError) as info:
        JsonEndScanner().feed(bad)
    assert 'does not start with a JSON object' in str(info.value)


@pytest.mark.parametrize('value', [None, 'twelve', -1, 1.5, [3]])
def test_announced_length_refuses_what_is_not_a_byte_count(value):
    with pytest.raises(ProtocolError) as info:
        transport_module.announced_length({'Msg': {'size': value}}, {'size': value}, 'size', 'download_logs', 100, 'h', 1)
    assert 'no usable size' in str(info.value)


def test_announced_length_takes_a_count_up_to_its_limit():
    assert transport_module.announced_length({}, {'size': '100'}, 'size', 'download_logs', 100, 'h', 1) == 100
    assert transport_module.announced_length({}, {'size': 0}, 'size', 'download_logs', 100, 'h', 1) == 0
    with pytest.raises(ProtocolError, match='exceeds the limit of 100 bytes'):
        transport_module.announced_length({}, {'size': 101}, 'size', 'download_logs', 100, 'h', 1)
    with pytest.raises(ProtocolError, match='no usable size'):
        transport_module.announced_length({}, 'not a dict', 'size', 'download_logs', 100, 'h', 1)
