# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TCP transport of the WhatsMiner API (PROTOCOL.md sections 1 and 5).

One request per TCP connection: connect, send the bare JSON, read until the miner closes.
:class:`StreamConnection` keeps the connection open for the section 5 flows (firmware upload,
log download), where a JSON header is followed by raw payload bytes on the same connection.
"""

from __future__ import annotations

import errno
import socket

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    NoReply,
    ProtocolError,
)

DEFAULT_PORT = 4028
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_REPLY_BYTES = 1024 * 1024
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
_CHUNK = 65536


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


class JsonEndScanner(object):
    """Incrementally find where the first JSON object/array of a byte stream ends.

    Feed bytes with :meth:`feed`; it returns the offset (in all bytes fed so far) just after
    the closing bracket, or -1 while incomplete. Leading whitespace and NUL bytes are skipped.
    Strings and escapes are honoured, so brackets inside strings do not count.
    """

    def __init__(self):
        self._pos = 0
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._started = False
        self.end = -1

    def feed(self, buf):
        """``buf`` is the whole buffer so far (bytes); scanning resumes where it stopped."""
        if self.end >= 0:
            return self.end
        i = self._pos
        n = len(buf)
        while i < n:
            c = buf[i]
            i += 1
            if not self._started:
                if c in (0x20, 0x09, 0x0a, 0x0d, 0x00):
                    continue
                if c not in (0x7b, 0x5b):  # { [
                    raise ProtocolError('reply header does not start with a JSON object', raw=bytes(buf[:120]))
                self._started = True
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
                if self._depth == 0:
                    self.end = i
                    self._pos = i
                    return i
        self._pos = i
        return -1


class Transport(object):
    """Connection factory for one miner endpoint.

    ``timeout`` is the read timeout (longest silence while waiting for bytes);
    ``connect_timeout`` defaults to ``timeout``.
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

    def connect(self):
        """Open a TCP connection (IPv4, IPv6 or host name); map errors to MinerUnreachable/MinerTimeout."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except socket.timeout:
            raise MinerTimeout(self.host, self.port, self.connect_timeout, phase='connect')
        except (OSError, UnicodeError) as exc:
            raise MinerUnreachable(self.host, self.port, _reason(exc))
        sock.settimeout(self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        return sock

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

    def open_stream(self, command=None):
        """Return a connected :class:`StreamConnection` for a section 5 flow."""
        sock = self.connect()
        self._debug('connected to %s:%s%s' % (self.host, self.port, ' for %s' % command if command else ''))
        return StreamConnection(sock, self, command)


class StreamConnection(object):
    """One open connection: send, read a JSON header, read/write payload."""

    def __init__(self, sock, transport, command=None):
        self._sock = sock
        self.transport = transport
        self.host = transport.host
        self.port = transport.port
        self.command = command
        self._buffer = b''
        self.bytes_sent = 0
        self.bytes_received = 0

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

    def settimeout(self, seconds):
        self._sock.settimeout(seconds)

    def send(self, data):
        """Send all of ``data``; errors become MinerTimeout(phase='send') / MinerUnreachable(phase='send')."""
        try:
            self._sock.sendall(data)
        except socket.timeout:
            raise MinerTimeout(self.host, self.port, self.transport.timeout, phase='send',
                               detail='%d bytes sent before' % self.bytes_sent)
        except OSError as exc:
            raise MinerUnreachable(self.host, self.port, 'connection lost while sending: %s' % _reason(exc), phase='send')
        self.bytes_sent += len(data)

    def _recv(self, received_so_far):
        """One recv; returns b'' at EOF (a reset counts as EOF once bytes were received)."""
        try:
            chunk = self._sock.recv(_CHUNK)
        except socket.timeout:
            detail = '%d bytes received' % received_so_far if received_so_far else 'nothing received'
            raise MinerTimeout(self.host, self.port, self.transport.timeout, phase='read', detail=detail)
        except ConnectionResetError:
            if received_so_far:
                return b''
            raise NoReply(self.host, self.port, self.command)
        except OSError as exc:
            raise MinerUnreachable(self.host, self.port, 'connection lost while reading: %s' % _reason(exc), phase='read')
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
                raise ProtocolError('reply exceeds the limit of %d bytes' % max_bytes, self.host, self.port, raw=bytes(data[:120]))
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
            if end >= 0:
                self._buffer = bytes(data[end:])
                return bytes(data[:end])
            if len(data) > max_bytes:
                raise ProtocolError('reply header exceeds %d bytes' % max_bytes, self.host, self.port, raw=bytes(data[:120]))
            chunk = self._recv(len(data))
            if not chunk:
                if not data:
                    raise NoReply(self.host, self.port, self.command)
                raise ProtocolError('connection closed inside the reply header', self.host, self.port, raw=bytes(data[:120]))
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
            chunk = self._recv(received or 1)
            if not chunk:
                err = ProtocolError('connection closed after %d of %d payload bytes' % (received, length), self.host, self.port)
                err.received = received
                raise err
            want = length - received
            if len(chunk) > want:
                self._buffer = chunk[want:]
                chunk = chunk[:want]
            received += len(chunk)
            _take(chunk)
        return received if sink is not None else b''.join(parts)
