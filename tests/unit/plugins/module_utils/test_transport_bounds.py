# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The transport's numbers and edges as a user meets them: the manual's port and limits, which deadline an error
names, what its message says was received, which address is tried next, what a dead connection reports."""

from __future__ import annotations

import errno
import inspect
import select
import socket
import threading

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import transport as transport_module
from ansible_collections.minerops.whatsminer.plugins.module_utils.client import WhatsMinerClient
from ansible_collections.minerops.whatsminer.plugins.module_utils.client_v3 import WhatsMinerV3Client
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import MinerTimeout, MinerUnreachable, ProtocolError
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import (
    HEARTBEAT,
    Deadline,
    FrameDecoder,
    FrameLink,
    StreamConnection,
    Transport,
    dumps,
    open_connection,
    payload_seconds,
    resolve,
)

from .test_transport_streams import ScriptedSocket, link, stream


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# ---------------------------------------------------------------------------- the manual's numbers


def test_the_v2_api_listens_on_4028_unless_told():
    assert Transport('192.0.2.7').port == 4028


def test_a_payload_may_move_at_16_kib_per_second_after_the_request_timeout():
    assert payload_seconds(10, 16 * 1024 * 50) == pytest.approx(60.0)
    assert payload_seconds(3, 0) == pytest.approx(3.0)


@pytest.mark.parametrize('client_class', [WhatsMinerClient, WhatsMinerV3Client])
def test_the_final_firmware_answer_is_awaited_five_minutes_by_default(client_class):
    """MicroBT's fleet worker waits five minutes for the verdict on an image; whatsminer_firmware documents it."""
    assert inspect.signature(client_class.upload_firmware).parameters['timeout'].default == 300


def test_a_stream_header_may_reach_64_kib():
    body = b'{"a":"' + b'x' * (64 * 1024 - 6)
    assert len(body) == 65536
    conn = stream(body, b'"}tail')
    assert conn.read_header() == body + b'"}'
    assert conn.buffered == b'tail'


def test_a_stream_header_over_64_kib_is_refused_with_its_limit():
    conn = stream(b'{"a":"' + b'x' * (64 * 1024 - 5), b'"}')
    with pytest.raises(ProtocolError) as info:
        conn.read_header()
    assert 'reply header exceeds 65536 bytes' in str(info.value)


@pytest.mark.parametrize('size, refused', [(10, False), (11, True)])
def test_a_reply_may_be_exactly_its_limit(size, refused):
    conn = stream(b'x' * size)
    if refused:
        with pytest.raises(ProtocolError, match='exceeds the limit of 10 bytes'):
            conn.read_to_eof(max_bytes=10)
    else:
        assert conn.read_to_eof(max_bytes=10) == b'x' * 10


def test_text_goes_on_the_wire_as_utf8_as_typed():
    assert dumps({'worker': 'ferme-é'}) == '{"worker":"ferme-é"}'.encode('utf-8')


# ---------------------------------------------------------------------------- deadlines and the messages they give


def test_a_fresh_deadline_has_not_expired():
    clock = FakeClock()
    deadline = Deadline(2, clock=clock)
    assert not deadline.expired()
    clock.now += 1.5
    assert not deadline.expired()
    clock.now += 0.5
    assert deadline.expired()


def test_a_deadline_long_past_refuses_the_next_step():
    clock = FakeClock()
    deadline = Deadline(2, clock=clock)
    clock.now += 7
    with pytest.raises(MinerTimeout) as info:
        deadline.step(5, '192.0.2.7', 4028, 'read')
    assert info.value.seconds == 2


def test_the_overall_deadline_is_named_after_what_was_received():
    assert str(Deadline(2).exceeded('192.0.2.7', 4028, 'read', '5 bytes received')).endswith('(5 bytes received; overall deadline)')
    assert str(Deadline(2).exceeded('192.0.2.7', 4028, 'read')).endswith('(overall deadline)')


@pytest.mark.parametrize('chunks, detail', [
    ((socket.timeout(),), '(nothing received)'),
    ((b'{"a":', socket.timeout()), '(5 bytes received)'),
])
def test_a_silent_stream_says_how_much_had_arrived(chunks, detail):
    with pytest.raises(MinerTimeout) as info:
        stream(*chunks).read_header()
    assert str(info.value).endswith(detail)


@pytest.mark.parametrize('chunks, detail', [
    ((socket.timeout(),), '(nothing received)'),
    ((b'\x05\x00\x00\x00ab', socket.timeout()), '(6 bytes of the reply received)'),
])
def test_a_silent_v3_link_says_how_much_had_arrived(chunks, detail):
    with pytest.raises(MinerTimeout) as info:
        link(*chunks).read_frame('get.device.info')
    assert str(info.value).endswith(detail)


class StallingSender(ScriptedSocket):
    """Takes the first send whole, then times out."""

    def send(self, data):
        if getattr(self, 'sent', None) is None:
            self.sent = len(data)
            return len(data)
        raise socket.timeout('timed out')


def test_a_send_that_stalls_says_how_much_had_gone():
    conn = StreamConnection(StallingSender(), Transport('192.0.2.7', 4028, timeout=2), 'upgrade', Deadline(5))
    conn.send(b'abc')
    with pytest.raises(MinerTimeout) as info:
        conn.send(b'defg')
    assert info.value.phase == 'send' and str(info.value).endswith('(3 bytes sent before)')


def test_read_frame_and_read_raw_wait_as_long_as_told():
    """The firmware flow gives the miner's verdict a longer silence than the client's timeout."""
    frame = link(b'\x02\x00\x00\x00{}')
    frame.begin(Deadline(30))
    frame.read_frame('upgrade', timeout=7)
    assert frame.sock.timeouts == [7]
    raw = link(b'abcd')
    raw.begin(Deadline(30))
    assert raw.read_raw(4, lambda chunk: None, timeout=9) == 4
    assert raw.sock.timeouts == [9]
    default = link(b'abcd')
    default.begin(Deadline(30))
    default.read_raw(4, lambda chunk: None)
    assert default.sock.timeouts == [2]


# ---------------------------------------------------------------------------- connecting


class TimingOutSocket:
    """connect() uses up the time it is given (on a fake clock) and times out."""

    clock = None

    def __init__(self, *args):
        self.timeout = None

    def settimeout(self, seconds):
        self.timeout = seconds

    def connect(self, address):
        self.clock.now += self.timeout
        raise socket.timeout('timed out')

    def close(self):
        pass


@pytest.mark.parametrize('deadline, connect_timeout, named', [
    (5, 0.05, 0.05),    # the connect step's own limit passed first
    (0.1, None, 0.1),   # no limit of its own: the request's deadline
    (0.1, 0.5, 0.1),    # the request's deadline passed before the connect limit
])
def test_a_connect_timeout_names_the_limit_that_passed(monkeypatch, deadline, connect_timeout, named):
    clock = FakeClock()
    monkeypatch.setattr(transport_module, '_new_socket', type('Timing', (TimingOutSocket,), {'clock': clock}))
    with pytest.raises(MinerTimeout) as info:
        open_connection('127.0.0.1', 4028, Deadline(deadline, clock=clock), connect_timeout)
    assert info.value.phase == 'connect' and info.value.seconds == pytest.approx(named)


def test_the_next_address_is_tried_when_one_refuses(monkeypatch, server, h, closed_port):
    addresses = [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, '', ('127.0.0.1', closed_port)),
                 (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, '', (server.host, server.port))]
    monkeypatch.setattr(transport_module, 'resolve', lambda host, port, deadline: addresses)
    server.add(h.reply(b'{"ok":1}'))
    assert Transport('miner.example', server.port, timeout=3).request(b'{"cmd":"summary"}') == b'{"ok":1}'


def test_connections_send_small_requests_at_once():
    """TCP_NODELAY: a request is a single small write; Nagle's delay would only slow a fan-out."""
    listener = socket.create_server(('127.0.0.1', 0))
    sock = Transport('127.0.0.1', listener.getsockname()[1], timeout=3).connect()
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()
        listener.close()


class BareSocket(TimingOutSocket):
    """Connects at once; has no setsockopt at all."""

    def connect(self, address):
        self.address = address


class NoDelaySocket(BareSocket):
    """Connects at once; refuses TCP_NODELAY (some socket types have no such option)."""

    def setsockopt(self, *args):
        raise OSError(errno.ENOPROTOOPT, 'Protocol not available')


@pytest.mark.parametrize('socket_class', [BareSocket, NoDelaySocket])
def test_a_socket_without_tcp_nodelay_still_connects(monkeypatch, socket_class):
    monkeypatch.setattr(transport_module, '_new_socket', socket_class)
    sock = open_connection('127.0.0.1', 4028, Deadline(5))
    assert sock.address == ('127.0.0.1', 4028)


def test_a_green_name_lookup_that_times_out_is_the_resolve_phase(monkeypatch):
    def timed_out(host, port, seconds):
        raise socket.timeout('timed out')
    monkeypatch.setattr(transport_module, 'green_active', lambda: True)
    monkeypatch.setattr(transport_module, 'green_resolve', timed_out)
    with pytest.raises(MinerTimeout) as info:
        resolve('slow.example', 4028, Deadline(0.5))
    assert info.value.phase == 'resolve'


@pytest.mark.parametrize('command, line', [('upgrade', 'connected to 192.0.2.7:4028 for upgrade'), (None, 'connected to 192.0.2.7:4028')])
def test_the_debug_log_names_the_stream_opened(monkeypatch, command, line):
    monkeypatch.setattr(transport_module, 'open_connection', lambda *args: ScriptedSocket())
    lines = []
    Transport('192.0.2.7', 4028, timeout=2, log=lines.append).open_stream(command)
    assert lines == [line]


def test_the_deadline_given_is_the_one_kept(monkeypatch):
    seen = []
    monkeypatch.setattr(transport_module, 'open_connection', lambda host, port, deadline, connect_timeout: seen.append(deadline) or ScriptedSocket())
    transport = Transport('192.0.2.7', 4028, timeout=2)
    given = Deadline(40)
    conn = transport.open_stream('upgrade', given)
    assert seen == [given] and conn.deadline is given
    assert StreamConnection(ScriptedSocket(), transport, 'upgrade', given).deadline is given
    fresh = StreamConnection(ScriptedSocket(), transport, 'upgrade')
    assert fresh.deadline.seconds == 2


def test_a_name_lookup_left_behind_never_keeps_the_process_alive(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(socket, 'getaddrinfo', lambda *args: release.wait(5) and [])
    try:
        with pytest.raises(MinerTimeout):
            resolve('slow.example', 4028, Deadline(0.05))
        lookups = [thread for thread in threading.enumerate() if thread.name == 'whatsminer-resolve']
        assert lookups and all(thread.daemon for thread in lookups)
    finally:
        release.set()


@pytest.mark.parametrize('host, literal', [('fe80::1%eth0', True), ('127.0.0.1', True), ('miner-1.example', False)])
def test_literal_addresses_keep_their_scope_out_of_the_check(host, literal):
    assert transport_module._is_address(host) is literal


@pytest.mark.parametrize('error, reason', [
    (socket.gaierror(socket.EAI_NONAME, 'Name or service not known'), 'name resolution failed: Name or service not known'),
    (socket.gaierror('bad name'), 'name resolution failed: bad name'),
    (OSError(errno.EPERM, 'Operation not permitted'), 'Operation not permitted'),
    (OSError(), 'OSError'),
])
def test_socket_errors_become_short_reasons(error, reason):
    assert transport_module._reason(error) == reason


def test_a_read_that_fails_outright_is_a_lost_connection():
    with pytest.raises(MinerUnreachable) as info:
        stream(OSError(errno.EBADF, 'Bad file descriptor')).read_to_eof()
    assert info.value.phase == 'read' and 'connection lost while reading: Bad file descriptor' in str(info.value)


def test_a_bad_header_names_the_miner():
    with pytest.raises(ProtocolError) as info:
        stream(b'HTTP/1.1 400 Bad Request').read_header()
    assert '192.0.2.7:4028' in str(info.value) and 'does not start with a JSON object' in str(info.value)


# ---------------------------------------------------------------------------- V3 frames and kept-alive links


def test_a_lone_heartbeat_is_consumed():
    decoder = FrameDecoder()
    decoder.feed(HEARTBEAT)
    assert decoder.next_frame() is None
    assert decoder.heartbeats == 1 and decoder.pending == 0


def test_a_frame_may_be_exactly_its_limit():
    decoder = FrameDecoder(max_bytes=4)
    decoder.feed(b'\x04\x00\x00\x00{"":}')
    assert decoder.next_frame() == b'{"":'


def test_an_oversized_frame_shows_the_start_of_its_body():
    decoder = FrameDecoder(max_bytes=10)
    decoder.feed(b'\x64\x00\x00\x00{"big":')
    with pytest.raises(ProtocolError) as info:
        decoder.next_frame()
    assert info.value.excerpt.startswith('{"big":')


def test_closing_a_link_closes_its_socket_once():
    frame = link()
    sock = frame.sock
    frame.close()
    frame.close()
    assert sock.closed and frame.sock is None and not frame.usable(60)


class FailingClose(ScriptedSocket):
    def close(self):
        self.closed = True
        raise OSError(errno.EBADF, 'Bad file descriptor')


def test_a_link_whose_close_fails_is_still_let_go():
    frame = FrameLink(FailingClose(), '192.0.2.7', 4433, 2, 1 << 20, clock=lambda: 0.0)
    frame.close()
    assert frame.sock is None


def test_a_link_holding_unread_bytes_is_not_reused():
    frame = link()
    frame.decoder.feed(b'\x01')
    assert not frame.usable(60)


def test_a_link_whose_socket_died_underneath_is_not_reused():
    ours, theirs = socket.socketpair()
    theirs.close()
    frame = FrameLink(ours, '192.0.2.7', 4433, 2, 1 << 20, clock=lambda: 0.0)
    ours.close()
    with pytest.raises(ValueError):
        select.select([ours], [], [], 0)
    assert not frame.usable(60)


def test_a_quiet_open_link_is_reused_until_it_idled_too_long():
    ours, theirs = socket.socketpair()
    clock = FakeClock()
    try:
        frame = FrameLink(ours, '192.0.2.7', 4433, 2, 1 << 20, clock=clock)
        clock.now += 60
        assert frame.usable(60)
        clock.now += 0.5
        assert not frame.usable(60)
    finally:
        ours.close()
        theirs.close()


def test_closing_a_stream_closes_its_socket_once():
    conn = stream()
    sock = conn._sock
    conn.close()
    conn.close()
    assert sock.closed


def test_whether_a_client_has_a_password():
    assert WhatsMinerClient('192.0.2.7', password=None).has_password is False
    assert WhatsMinerClient('192.0.2.7', password='x').has_password is True
