# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TCP transport of the WhatsMiner API (reference_protocol.rst V2.2 §1 and 5).

One request per TCP connection: connect, send the bare JSON, read until the miner closes.
:class:`StreamConnection` keeps the connection open for the section 5 flows (firmware upload,
log download), where a JSON header is followed by raw payload bytes on the same connection.

Every operation runs against a :class:`Deadline`: name resolution, connect, every send and
every read take at most what is left of it, so a peer that drips one byte at a time cannot
stretch a request past its bound. ``timeout`` is that bound for one request; the API V3 link
(client_v3) uses the same primitives (:func:`send_all`, :func:`recv_some`, :func:`open_connection`).
"""

from __future__ import annotations

import collections
import errno
import hashlib
import json
import os
import select
import socket
import struct
import threading
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils._green import active as green_active, new_socket, pause, resolve as green_resolve
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    NoReply,
    ProtocolError,
    WhatsMinerError,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import to_number

DEFAULT_PORT = 4028
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_REPLY_BYTES = 1024 * 1024
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
# The longest wait for a miner's answer after the last firmware byte: it checks and writes the image first.
# MicroBT's fleet worker (MDK) waits up to five minutes, over API V2 and V3 alike.
DEFAULT_FIRMWARE_TIMEOUT = 300.0
_CHUNK = 65536
# API V3 frames: uint32 little-endian length, then that many bytes of JSON.
FRAME_HEADER = struct.Struct('<I')
# Slowest payload rate a firmware upload or log download may run at before its deadline passes.
MIN_PAYLOAD_BYTES_PER_SECOND = 16 * 1024


def payload_seconds(timeout, size):
    """The deadline for moving ``size`` payload bytes: the request timeout plus size at the slowest rate."""
    return float(timeout) + float(size) / MIN_PAYLOAD_BYTES_PER_SECOND


def _reason(exc):
    """A short reason text from a socket error (never contains payload data)."""
    if isinstance(exc, socket.gaierror):
        return 'name resolution failed: %s' % (exc.strerror or exc)
    if isinstance(exc, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(exc, ConnectionResetError):
        return 'connection reset by peer'
    if isinstance(exc, BrokenPipeError):
        return 'broken pipe'
    if getattr(exc, 'errno', None) in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return 'no route to host'
    if getattr(exc, 'strerror', None):
        return exc.strerror
    return exc.__class__.__name__


class Deadline(object):
    """An overall time limit shared by every step of one network operation (monotonic clock)."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = float(seconds)
        self._clock = clock
        self.end = clock() + self.seconds

    def remaining(self):
        return self.end - self._clock()

    def expired(self):
        return self.remaining() <= 0

    def step(self, silence, host, port, phase, detail=''):
        """The socket timeout for the next step: at most ``silence`` and what is left of the deadline."""
        left = self.remaining()
        if left <= 0:
            raise self.exceeded(host, port, phase, detail)
        return min(float(silence), left) if silence else left

    def exceeded(self, host, port, phase, detail=''):
        text = 'overall deadline'
        return MinerTimeout(host, port, self.seconds, phase=phase, detail='%s; %s' % (detail, text) if detail else text)


def _is_address(host):
    """A literal IPv4 or IPv6 address (inet_pton: a fan-out asks this thousands of times)."""
    literal = str(host).partition('%')[0]  # fe80::1%eth0: the scope is not part of the address
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, literal)
        except (OSError, ValueError):
            continue
        return True
    return False


def resolve(host, port, deadline):
    """getaddrinfo bounded by ``deadline`` (the C resolver has no timeout of its own).

    Literal addresses need no lookup; a name is resolved in a daemon thread that is abandoned
    when the deadline passes.
    """
    if _is_address(host):
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    if green_active():
        try:
            return green_resolve(host, port, deadline.remaining())
        except socket.timeout:
            raise deadline.exceeded(host, port, 'resolve')
    outcome = {}

    def lookup():
        try:
            outcome['addresses'] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            outcome['error'] = exc

    worker = threading.Thread(target=lookup, name='whatsminer-resolve', daemon=True)
    worker.start()
    worker.join(max(0.0, deadline.remaining()))
    if worker.is_alive():
        raise deadline.exceeded(host, port, 'resolve')
    if 'error' in outcome:
        raise outcome['error']
    return outcome['addresses']


_new_socket = new_socket  # a GreenSocket inside a fan-out's green task; replaced by tests that fake connect errors


def open_connection(host, port, deadline, connect_timeout=None):
    """Resolve and connect within ``deadline``; map errors to MinerUnreachable/MinerTimeout."""
    try:
        addresses = resolve(host, port, deadline)
    except (OSError, UnicodeError) as exc:
        raise MinerUnreachable(host, port, _reason(exc))
    error = None
    for family, kind, proto, dummy, address in addresses:
        sock = _new_socket(family, kind, proto)
        try:
            sock.settimeout(deadline.step(connect_timeout, host, port, 'connect'))
            sock.connect(address)
        except socket.timeout:
            sock.close()
            seconds = connect_timeout if connect_timeout and not deadline.expired() else deadline.seconds
            raise MinerTimeout(host, port, seconds, phase='connect')
        except MinerTimeout:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            error = exc
            continue
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        except (OSError, AttributeError):
            pass
        return sock
    raise MinerUnreachable(host, port, _reason(error) if error is not None else 'no address found')


def _silence_timeout(deadline, silence, host, port, phase, detail):
    """The MinerTimeout for a socket timeout: the deadline's if it is spent, else the silence's."""
    if deadline.expired():
        return deadline.exceeded(host, port, phase, detail)
    return MinerTimeout(host, port, silence, phase=phase, detail=detail)


def send_all(sock, data, deadline, silence, host, port, detail=''):
    """Send all of ``data`` before ``deadline`` (each send waits at most ``silence``)."""
    view = memoryview(data)
    while view:
        try:
            sock.settimeout(deadline.step(silence, host, port, 'send', detail))
            sent = sock.send(view)
        except socket.timeout:
            raise _silence_timeout(deadline, silence, host, port, 'send', detail)
        except OSError as exc:
            raise MinerUnreachable(host, port, 'connection lost while sending: %s' % _reason(exc), phase='send')
        view = view[sent:]


def recv_some(sock, deadline, silence, host, port, detail=''):
    """One recv before ``deadline`` (waiting at most ``silence``); b'' at EOF.

    A reset raises ConnectionResetError for the caller to interpret.
    """
    try:
        sock.settimeout(deadline.step(silence, host, port, 'read', detail))
        return sock.recv(_CHUNK)
    except socket.timeout:
        raise _silence_timeout(deadline, silence, host, port, 'read', detail)
    except ConnectionResetError:
        raise
    except OSError as exc:
        raise MinerUnreachable(host, port, 'connection lost while reading: %s' % _reason(exc), phase='read')


class JsonEndScanner(object):
    """Incrementally find where the first JSON object/array of a byte stream ends.

    Feed bytes with :meth:`feed`; it returns the offset (in all bytes fed so far) just after
    the closing bracket, or None while incomplete. Leading whitespace and NUL bytes are skipped.
    Strings and escapes are honoured, so brackets inside strings do not count.
    """

    def __init__(self):
        self._pos = 0
        self._depth = 0  # 0: the opening bracket has not come yet
        self._in_string = False
        self._escape = False
        self.end = None

    def feed(self, buf):
        """``buf`` is the whole buffer so far (bytes); scanning resumes where it stopped. None while incomplete."""
        if self.end is not None:
            return self.end
        for offset in range(self._pos, len(buf)):
            c = buf[offset]
            if not self._depth:
                if c in (0x20, 0x09, 0x0a, 0x0d, 0x00):
                    continue
                if c not in (0x7b, 0x5b):  # { [
                    raise ProtocolError('reply header does not start with a JSON object', raw=bytes(buf))
                self._depth = 1
                continue
            if self._in_string:
                if self._escape:
                    self._escape = False
                elif c == 0x5c:  # backslash
                    self._escape = True
                elif c == 0x22:
                    self._in_string = False
                continue
            if c == 0x22:
                self._in_string = True
            elif c in (0x7b, 0x5b):
                self._depth += 1
            elif c in (0x7d, 0x5d):
                self._depth -= 1
                if not self._depth:
                    self.end = self._pos = offset + 1
                    return self.end
        self._pos = len(buf)
        return None


class Transport(object):
    """Connection factory for one miner endpoint.

    ``timeout`` bounds one whole request: name resolution, connect, sending and the last byte
    of the reply (a :class:`Deadline` per request). ``connect_timeout`` (default ``timeout``)
    bounds the connect step alone.
    """

    def __init__(self, host, port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT, connect_timeout=None,
                 max_reply_bytes=DEFAULT_MAX_REPLY_BYTES, log=None):
        self.host = host
        self.port = int(port)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout) if connect_timeout is not None else self.timeout
        self.max_reply_bytes = int(max_reply_bytes)
        self._log = log

    def _debug(self, line):
        if self._log is not None:
            self._log(line)

    def deadline(self, seconds=None):
        """A new :class:`Deadline` of ``seconds`` (default: the request timeout)."""
        return Deadline(self.timeout if seconds is None else seconds)

    def connect(self, deadline=None):
        """Open a TCP connection (IPv4, IPv6 or host name) within ``deadline`` (default: a new one)."""
        return open_connection(self.host, self.port, deadline or self.deadline(), self.connect_timeout)

    def request(self, payload, command=None):
        """Send ``payload`` (bytes) on a new connection, read until the miner closes, return the reply bytes.

        Raises :class:`NoReply` (phase-less ProtocolError) when the miner closes or resets the
        connection without sending a byte, :class:`MinerTimeout` (``phase='read'``) when the
        reply does not come in time, :class:`ProtocolError` when it exceeds ``max_reply_bytes``.
        """
        conn = self.open_stream(command)
        try:
            conn.send(payload)
            return conn.read_to_eof(self.max_reply_bytes)
        finally:
            conn.close()

    def open_stream(self, command=None, deadline=None):
        """Return a connected :class:`StreamConnection`; ``deadline`` (default: one request's) bounds it all.

        Section 5 flows move to a longer deadline for their payload with :meth:`StreamConnection.set_deadline`.
        """
        deadline = deadline or self.deadline()
        sock = self.connect(deadline)
        self._debug('connected to %s:%s%s' % (self.host, self.port, ' for %s' % command if command else ''))
        return StreamConnection(sock, self, command, deadline)


class StreamConnection(object):
    """One open connection: send, read a JSON header, read/write payload."""

    def __init__(self, sock, transport, command=None, deadline=None):
        self._sock = sock
        self.deadline = deadline or transport.deadline()
        self.transport = transport
        self.host = transport.host
        self.port = transport.port
        self.command = command
        self._buffer = b''
        self.bytes_sent = 0
        self.bytes_received = 0
        self._silence = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def set_deadline(self, seconds, silence=None):
        """Give the rest of this flow (a payload, the final answer) a deadline of its own; ``silence``: the longest
        quiet spell allowed within it (default: the transport's timeout)."""
        self.deadline = Deadline(seconds)
        self._silence = silence

    def send(self, data):
        """Send all of ``data``; errors become MinerTimeout(phase='send') / MinerUnreachable(phase='send')."""
        send_all(self._sock, data, self.deadline, self.transport.timeout, self.host, self.port,
                 '%d bytes sent before' % self.bytes_sent if self.bytes_sent else '')
        self.bytes_sent += len(data)

    def _recv(self, received_so_far):
        """One recv; returns b'' at EOF (a reset counts as EOF once this connection has received bytes).

        ``received_so_far``: what the caller's read holds already, for the timeout message.
        """
        try:
            detail = '%d bytes received' % received_so_far if received_so_far else 'nothing received'
            chunk = recv_some(self._sock, self.deadline, self._silence or self.transport.timeout, self.host, self.port, detail)
        except ConnectionResetError:
            if self.bytes_received:
                return b''
            raise NoReply(self.host, self.port, self.command)
        self.bytes_received += len(chunk)
        return chunk

    def read_to_eof(self, max_bytes=DEFAULT_MAX_REPLY_BYTES):
        """Read until the peer closes; return all bytes (buffered bytes first)."""
        data = bytearray(self._buffer)
        self._buffer = b''
        while True:
            chunk = self._recv(len(data))
            if not chunk:
                break
            data += chunk
            if len(data) > max_bytes:
                raise ProtocolError('reply exceeds the limit of %d bytes' % max_bytes, self.host, self.port, raw=data)
        if not data:
            raise NoReply(self.host, self.port, self.command)
        self.transport._debug('received %d bytes' % len(data))
        return bytes(data)

    def read_header(self, max_bytes=DEFAULT_MAX_HEADER_BYTES):
        """Read until one complete JSON header has arrived; return its bytes.

        Bytes after the header (payload that came in the same read) stay buffered for
        :meth:`read_exact` / :meth:`read_to_eof`.
        """
        scanner = JsonEndScanner()
        data = bytearray(self._buffer)
        self._buffer = b''
        while True:
            try:
                end = scanner.feed(data)
            except ProtocolError as exc:
                raise exc.with_endpoint(self.host, self.port)
            if end is not None:
                self._buffer = bytes(data[end:])
                return bytes(data[:end])
            if len(data) > max_bytes:
                raise ProtocolError('reply header exceeds %d bytes' % max_bytes, self.host, self.port, raw=data)
            chunk = self._recv(len(data))
            if not chunk:
                if not data:
                    raise NoReply(self.host, self.port, self.command)
                raise ProtocolError('connection closed inside the reply header', self.host, self.port, raw=data)
            data += chunk

    @property
    def buffered(self):
        """Bytes already received after the header and not yet consumed."""
        return self._buffer

    def read_exact(self, length, sink=None):
        """Read exactly ``length`` payload bytes (buffered bytes first).

        With ``sink`` (a callable taking bytes) the data is streamed and the count returned;
        without, the bytes are returned. Raises ProtocolError if the peer closes early.
        """
        parts = []
        received = 0

        def _take(chunk):
            if sink is not None:
                sink(chunk)
            else:
                parts.append(chunk)

        if self._buffer:
            head = self._buffer[:length]
            self._buffer = self._buffer[length:]
            received += len(head)
            _take(head)
        while received < length:
            chunk = self._recv(received)
            if not chunk:
                err = ProtocolError('connection closed after %d of %d payload bytes' % (received, length), self.host, self.port)
                err.received = received
                raise err
            want = length - received
            self._buffer = chunk[want:]  # bytes past the payload stay for the next read
            chunk = chunk[:want]
            received += len(chunk)
            _take(chunk)
        return received if sink is not None else b''.join(parts)


# ---------------------------------------------------------------------------
# API V3 framing (reference_protocol.rst V3 §1.2)
# ---------------------------------------------------------------------------

def dumps(body):
    """Compact JSON bytes of a request body."""
    return json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def encode_frame(body):
    """``uint32 LE length`` + JSON bytes; ``body`` is a dict/list or already-encoded bytes/str."""
    if isinstance(body, str):
        data = body.encode('utf-8')
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    else:
        data = dumps(body)
    return FRAME_HEADER.pack(len(data)) + data


HEARTBEAT = FRAME_HEADER.pack(0)


class FrameDecoder(object):
    """Split a byte stream into frames. Zero-length (heartbeat) frames are skipped and counted.

    :meth:`feed` adds bytes; :meth:`next_frame` returns the next complete frame body or None.
    A length above ``max_bytes`` raises :class:`ProtocolError` (the stream cannot be resynchronised).
    """

    def __init__(self, max_bytes=DEFAULT_MAX_REPLY_BYTES):
        self.max_bytes = int(max_bytes)
        self._buf = bytearray()
        self.heartbeats = 0

    def feed(self, data):
        self._buf += data

    @property
    def pending(self):
        """Bytes received but not yet returned as frames."""
        return len(self._buf)

    def next_frame(self):
        head = FRAME_HEADER.size
        while True:
            if len(self._buf) < head:
                return None
            (length,) = FRAME_HEADER.unpack_from(self._buf, 0)
            if not length:
                del self._buf[:head]
                self.heartbeats += 1
                continue
            if length > self.max_bytes:
                raise ProtocolError('reply frame announces %d bytes, over the limit of %d bytes' % (length, self.max_bytes),
                                    raw=bytes(self._buf[head:]))
            if len(self._buf) < head + length:
                return None
            body = bytes(self._buf[head:head + length])
            del self._buf[:head + length]
            return body

    def take(self, n):
        """Remove and return up to ``n`` raw (unframed) bytes from the buffer."""
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data


def decode_frames(data, max_bytes=DEFAULT_MAX_REPLY_BYTES):
    """Return ``(frames, rest)`` for a byte string: every complete non-heartbeat frame and the leftover bytes."""
    decoder = FrameDecoder(max_bytes)
    decoder.feed(data)
    frames = []
    while True:
        frame = decoder.next_frame()
        if frame is None:
            return frames, decoder.take(decoder.pending)
        frames.append(frame)


class FrameLink(object):
    """One open TCP connection to the V3 port with its frame decoder.

    Each exchange runs against a :class:`Deadline` set by :meth:`begin` (the client's timeout);
    the firmware flow gives its final answer a longer one.
    """

    def __init__(self, sock, host, port, timeout, max_bytes, clock):
        self.sock = sock
        self.host = host
        self.port = port
        self.timeout = timeout
        self.deadline = Deadline(timeout)
        self.decoder = FrameDecoder(max_bytes)
        self._clock = clock
        self.last_used = clock()

    def begin(self, deadline):
        """Start the deadline of the next exchange: a :class:`Deadline`, or seconds."""
        self.deadline = deadline if isinstance(deadline, Deadline) else Deadline(deadline)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def usable(self, idle_limit):
        """False when the peer closed the connection, sent unsolicited bytes, or it idled too long."""
        if self.sock is None or self.decoder.pending:
            return False
        if self._clock() - self.last_used > idle_limit:
            return False
        try:
            readable = select.select([self.sock], [], [], 0)[0]
        except (OSError, ValueError):
            return False
        # Readable while idle: EOF, a reset or unsolicited data (e.g. set.miner.report pushes).
        return not readable

    def send(self, data):
        send_all(self.sock, data, self.deadline, self.timeout, self.host, self.port)
        self.last_used = self._clock()

    def _recv(self, timeout, command, partial):
        try:
            chunk = recv_some(self.sock, self.deadline, timeout, self.host, self.port,
                              '%d bytes of the reply received' % partial if partial else 'nothing received')
        except ConnectionResetError:
            chunk = b''
        self.last_used = self._clock()
        if not chunk:
            if partial:
                raise ProtocolError('the miner closed the connection inside a reply frame (%d bytes received)' % partial,
                                    self.host, self.port)
            raise NoReply(self.host, self.port, command)
        return chunk

    def read_frame(self, command=None, timeout=None):
        """Return the body of the next non-heartbeat frame."""
        timeout = self.timeout if timeout is None else timeout
        while True:
            try:
                frame = self.decoder.next_frame()
            except ProtocolError as exc:
                raise exc.with_endpoint(self.host, self.port)
            if frame is not None:
                return frame
            self.decoder.feed(self._recv(timeout, command, self.decoder.pending))

    def read_raw(self, length, sink, command=None, timeout=None):
        """Stream exactly ``length`` unframed bytes (buffered ones first) to ``sink``; return the count."""
        timeout = self.timeout if timeout is None else timeout
        received = 0
        head = self.decoder.take(length)
        if head:
            sink(head)
            received += len(head)
        while received < length:
            try:
                chunk = self._recv(timeout, command, received)
            except ProtocolError:  # NoReply too: nothing of the payload came
                raise ProtocolError('the miner closed the connection after %d of %d bytes' % (received, length),
                                    self.host, self.port)
            want = length - received
            self.decoder.feed(chunk[want:])  # bytes past the payload belong to what follows
            chunk = chunk[:want]
            sink(chunk)
            received += len(chunk)
        return received


class ClientBase(object):
    """What the API V2.2 and API V3 clients share: the endpoint, the password, the request log.

    Not thread-safe; one instance per host and task. ``timeout`` bounds each request as a whole.
    ``log`` is an optional callable receiving secret-free debug lines.
    """

    def __init__(self, host, port, password, timeout, max_reply_bytes, log, connect_timeout):
        self.host = host
        self.port = int(port)
        self.timeout = float(timeout)
        self.max_reply_bytes = int(max_reply_bytes)
        self._password = password
        self._log = log
        self._transport = Transport(host, self.port, timeout=self.timeout, connect_timeout=connect_timeout,
                                    max_reply_bytes=self.max_reply_bytes, log=log)
        self.requests_sent = []
        # Write requests that left whole; a write that failed before (token or salt, connect) never reached the miner.
        self.writes_sent = 0
        # Injectable for tests.
        self._clock = time.monotonic
        self._sleep = pause

    def __str__(self):
        return repr(self)

    def __reduce__(self):
        raise TypeError('%s cannot be pickled' % type(self).__name__)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Close what the client holds open (nothing for a client of one connection per request)."""

    @property
    def has_password(self):
        return self._password is not None

    def _debug(self, line):
        if self._log is not None:
            self._log(line)

    def _record(self, name, how):
        """``name`` goes into ``requests_sent`` (names only, never parameters)."""
        self.requests_sent.append(name)
        self._debug('-> %s (%s)' % (name, how))


LogsResult = collections.namedtuple('LogsResult', ['length', 'sha256'])
LogsResult.__doc__ = """Result of a log download: ``(length, sha256)``.

``length == 0`` and ``sha256 is None`` mean the miner reported no logs; no file is written then.
"""


def announced_length(reply, msg, field, command, max_bytes, host, port):
    """The byte count a stream reply announces in ``msg[field]``, checked against ``max_bytes``."""
    length = to_number(msg.get(field)) if isinstance(msg, dict) else None
    if length is None or not isinstance(length, int) or length < 0:
        raise ProtocolError('%s: no usable %s in the reply' % (command, field), host, port, raw=json.dumps(reply))
    if length > max_bytes:
        raise ProtocolError('%s: %s %d exceeds the limit of %d bytes' % (command, field, length, max_bytes), host, port)
    return length


def stream_to_file(dest_path, length, read_into):
    """Write the ``length`` bytes ``read_into(sink)`` delivers to ``dest_path``; return a :data:`LogsResult`.

    The bytes go to ``dest_path + '.part'``, renamed when complete and removed on any failure.
    """
    part = '%s.part' % dest_path
    digest = hashlib.sha256()
    try:
        with open(part, 'wb') as handle:
            def sink(chunk):
                digest.update(chunk)
                handle.write(chunk)
            read_into(sink)
        os.replace(part, dest_path)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    return LogsResult(length, digest.hexdigest())


# ---------------------------------------------------------------------------
# Combined MicroBT firmware images (reference_protocol.rst V3 §7.1)
# ---------------------------------------------------------------------------

FW_HEADER_SIZE = 6812
FW_RECORDS_OFFSET = 24
FW_RECORD_SIZE = 104
FW_MAX_PACKAGES = 64


def read_head(path, n):
    """The first ``n`` bytes of the file at ``path``."""
    with open(path, 'rb') as handle:
        return handle.read(n)


def _c_string(field):
    """A fixed-width, NUL-padded name field as text (everything before the first NUL)."""
    return field.partition(b'\x00')[0].decode('ascii', 'replace')


def parse_firmware_header(head, file_size):
    """Packages of a combined MicroBT firmware image, or None when ``head`` is not such a header.

    Each package: ``{chiptype, platform, offset, size}``. The header check of V3 §7.1: at
    least 6812 bytes, a package count of at most 64, and header + data size within the file.
    """
    if head is None or len(head) < FW_HEADER_SIZE or file_size < FW_HEADER_SIZE:
        return None
    words = struct.unpack_from('<6I', head, 0)
    data_size, count = words[4], words[5]
    if count not in range(1, FW_MAX_PACKAGES + 1) or data_size + FW_HEADER_SIZE > file_size:
        return None
    packages = []
    for index in range(count):
        base = FW_RECORDS_OFFSET + index * FW_RECORD_SIZE
        chiptype = _c_string(head[base:base + 16])
        platform = _c_string(head[base + 16:base + 32])
        offset, size = struct.unpack_from('<II', head, base + 32)
        if offset + size > file_size:
            return None
        packages.append({'chiptype': chiptype, 'platform': platform, 'offset': offset, 'size': size})
    return packages


def choose_package(packages, platform, host=None, port=None):
    """The package of a combined image whose name is the miner's ``platform``; refused (nothing sent) when there is none."""
    wanted = str(platform or '').strip().lower()
    for entry in packages:
        if entry['chiptype'].lower() == wanted:
            return entry
    raise WhatsMinerError('the firmware image has no package for platform %s (it has: %s); nothing was sent'
                          % (wanted or '(unknown)', ', '.join(e['chiptype'] for e in packages) or 'none'), host, port)
