# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stream readers (JSON header, exact payload, raw V3 payload) over a socket that hands out scripted chunks:
every byte counted once, the rest kept for the next read, an early close named with its counts."""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import NoReply, ProtocolError
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import Deadline, FrameLink, StreamConnection, Transport


class ScriptedSocket:
    """recv() returns the next chunk (b'' once they are all gone; an exception instance is raised)."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)
        self.timeouts = []
        self.closed = False

    def settimeout(self, seconds):
        self.timeouts.append(seconds)

    def recv(self, size):
        if not self.chunks:
            return b''
        chunk = self.chunks.pop(0)
        if isinstance(chunk, BaseException):
            raise chunk
        return chunk

    def close(self):
        self.closed = True


def stream(*chunks):
    return StreamConnection(ScriptedSocket(*chunks), Transport('192.0.2.7', 4028, timeout=2), 'upgrade', Deadline(5))


def link(*chunks):
    return FrameLink(ScriptedSocket(*chunks), '192.0.2.7', 4433, 2, 1 << 20, clock=lambda: 0.0)


def test_read_exact_takes_buffered_bytes_first_then_keeps_the_surplus():
    conn = stream(b'{"a":1}PAY', b'LOADtail')
    assert conn.read_header() == b'{"a":1}'
    assert conn.buffered == b'PAY'
    assert conn.read_exact(7) == b'PAYLOAD'
    assert conn.buffered == b'tail'
    assert conn.read_exact(4) == b'tail'
    assert conn.buffered == b''
    assert conn.bytes_received == 18


def test_read_exact_with_a_buffer_longer_than_asked():
    conn = stream(b'{}0123456789')
    conn.read_header()
    assert conn.read_exact(4) == b'0123'
    assert conn.buffered == b'456789'


def test_read_exact_streams_to_a_sink_and_returns_the_count():
    conn = stream(b'{}ab', b'cd', b'efgh')
    conn.read_header()
    got = []
    assert conn.read_exact(6, sink=got.append) == 6
    assert b''.join(got) == b'abcdef' and got[0] == b'ab'
    assert conn.buffered == b'gh'


def test_read_exact_names_what_arrived_when_the_peer_closes_early():
    conn = stream(b'{}abc', b'de')
    conn.read_header()
    with pytest.raises(ProtocolError) as info:
        conn.read_exact(10)
    assert info.value.received == 5
    assert 'after 5 of 10 payload bytes' in str(info.value)


def test_read_exact_of_nothing_reads_nothing():
    conn = stream(b'never read')
    assert conn.read_exact(0) == b''
    assert conn._sock.chunks == [b'never read']  # pylint: disable=protected-access


def test_read_header_across_chunks_and_a_brace_inside_a_string():
    conn = stream(b'{"msg":"a}', b'b","n":', b'2}rest')
    assert conn.read_header() == b'{"msg":"a}b","n":2}'
    assert conn.buffered == b'rest'


def test_read_header_closed_before_anything_is_no_reply():
    with pytest.raises(NoReply):
        stream().read_header()


def test_read_header_closed_inside_the_header_is_a_protocol_error():
    with pytest.raises(ProtocolError) as info:
        stream(b'{"msg":').read_header()
    assert 'inside the reply header' in str(info.value)


@pytest.mark.parametrize('limit, found', [(9, True), (8, False)])
def test_read_header_limit(limit, found):
    conn = stream(b'{"k":"ab"', b'}')  # 9 bytes, then the closing brace
    if found:
        assert conn.read_header(max_bytes=limit) == b'{"k":"ab"}'
    else:
        with pytest.raises(ProtocolError, match='exceeds 8 bytes'):
            conn.read_header(max_bytes=limit)


def test_read_raw_takes_buffered_bytes_first():
    frame = link(b'CDEFGH')
    frame.decoder.feed(b'AB')
    got = []
    assert frame.read_raw(6, got.append) == 6
    assert got == [b'AB', b'CDEF']
    assert frame.decoder.take(10) == b'GH'


def test_read_raw_surplus_goes_back_to_the_decoder():
    frame = link(b'abcdef\x02\x00\x00\x00{}')
    got = []
    assert frame.read_raw(4, got.append) == 4
    assert got == [b'abcd']
    assert frame.decoder.take(100) == b'ef\x02\x00\x00\x00{}'


def test_read_raw_exactly_what_arrived():
    frame = link(b'abcd', b'efgh')
    got = []
    assert frame.read_raw(8, got.append) == 8
    assert got == [b'abcd', b'efgh'] and frame.decoder.take(10) == b''


def test_read_raw_names_the_counts_when_the_peer_closes_early():
    frame = link(b'abc')
    with pytest.raises(ProtocolError, match='after 3 of 8 bytes'):
        frame.read_raw(8, lambda chunk: None)


def test_read_raw_of_nothing_reads_nothing():
    frame = link(b'untouched')
    assert frame.read_raw(0, lambda chunk: None) == 0
    assert frame.sock.chunks == [b'untouched']


def test_a_reset_before_the_first_payload_byte_is_an_early_close_not_a_silent_miner():
    conn = stream(b'{}', ConnectionResetError())
    conn.read_header()
    with pytest.raises(ProtocolError) as info:
        conn.read_exact(5)
    assert info.value.received == 0 and 'after 0 of 5 payload bytes' in str(info.value)
