# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostile-peer kit: fake miners on loopback that misbehave the way broken or malicious devices do.

A :class:`HostilePeer` listens on one loopback address and port and speaks just enough of the
WhatsMiner API V2.2 (port 4028: one JSON request per connection) or API V3 (port 4433:
length-prefixed frames) to be taken for a miner. Each request whose command is in ``targets``
(default: every request) gets the peer's behaviour; the others are relayed byte for byte to
``upstream`` (a simulated miner), so a module can get as far as the step under test (the
token, the write) before the peer turns hostile. Encrypted V2 requests count as the command
``encrypted``.

Behaviours (``BEHAVIOURS``): ``drip`` (one byte every ``step`` seconds, for ever), ``endless``
(bytes as fast as the client takes them; on V3 an endless run of heartbeat frames), ``garbage``,
``close`` (accept, read, close without a word), ``deep`` (JSON nested 100,000 levels deep),
``wrong_types`` (every section and ``msg`` a string), ``busy`` (V3's 11th client: accepted, then
closed at once, before any request is read).

Standard library only; it never imports the collection.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import threading
import time

BEHAVIOURS = ('drip', 'endless', 'garbage', 'close', 'deep', 'wrong_types', 'busy')
_FRAME = struct.Struct('<I')


def _json_end(buf):
    """Offset just after the first complete JSON object in ``buf``, or -1 (strings and escapes honoured)."""
    depth, in_string, escape, started = 0, False, False, False
    for index, byte in enumerate(buf):
        if not started:
            if byte in b'{[':
                started, depth = True, 1
            continue
        if in_string:
            if escape:
                escape = False
            elif byte == 0x5c:
                escape = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b'{[':
            depth += 1
        elif byte in b'}]':
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


class HostilePeer(object):
    """One misbehaving miner endpoint; use as a context manager. ``port`` is known after start."""

    def __init__(self, behaviour, api='v2', targets=None, upstream=None, host='127.0.0.1', port=0, step=0.2):
        if behaviour not in BEHAVIOURS:
            raise ValueError('behaviour must be one of %s' % ', '.join(BEHAVIOURS))
        self.behaviour = behaviour
        self.api = api
        self.targets = frozenset(targets) if targets else None
        self.upstream = upstream
        self.step = step
        self.connections = 0      # connections accepted
        self.requests = []        # command names seen, in order
        self.hostile_answers = 0  # requests that got the behaviour
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(128)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._threads = []

    # ------------------------------------------------------------------ life cycle

    def start(self):
        thread = threading.Thread(target=self._accept, name='hostile-accept', daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self):
        self._stop.set()
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _accept(self):
        while not self._stop.is_set():
            try:
                ready = select.select([self._listener], [], [], 0.1)[0]
                if not ready:
                    continue
                conn, dummy = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), name='hostile-conn', daemon=True)
            thread.start()

    def _serve(self, conn):
        self.connections += 1
        try:
            with conn:
                conn.settimeout(5)
                if self.behaviour == 'busy':
                    return
                if self.api == 'v3':
                    self._serve_v3(conn)
                else:
                    self._serve_v2(conn)
        except OSError:
            pass

    def _hostile(self, cmd):
        return self.targets is None or cmd in self.targets

    # ------------------------------------------------------------------ API V2.2

    def _serve_v2(self, conn):
        buf = b''
        while _json_end(buf) < 0:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
        try:
            request = json.loads(buf[:_json_end(buf)])
        except ValueError:
            request = {}
        cmd = 'encrypted' if 'enc' in request else str(request.get('cmd'))
        self.requests.append(cmd)
        if not self._hostile(cmd):
            self._relay(conn, buf)
            return
        self.hostile_answers += 1
        self._misbehave(conn, framed=False)

    def _relay(self, conn, first):
        """Pass this connection through to the upstream miner, both ways, until either side closes."""
        upstream = socket.create_connection(self.upstream, timeout=5)
        with upstream:
            upstream.sendall(first)
            conn.settimeout(None)
            upstream.settimeout(None)
            sockets = [conn, upstream]
            while not self._stop.is_set():
                readable = select.select(sockets, [], [], 0.2)[0]
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is conn else conn).sendall(data)

    # ------------------------------------------------------------------ API V3

    def _serve_v3(self, conn):
        buf = b''
        while not self._stop.is_set():
            while len(buf) < 4 or len(buf) < 4 + _FRAME.unpack_from(buf)[0]:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            length = _FRAME.unpack_from(buf)[0]
            body, buf = buf[4:4 + length], buf[4 + length:]
            if not length:
                continue
            try:
                cmd = str(json.loads(body).get('cmd'))
            except (ValueError, AttributeError):
                cmd = 'invalid'
            self.requests.append(cmd)
            self.hostile_answers += 1
            if self._misbehave(conn, framed=True):
                return

    # ------------------------------------------------------------------ behaviours

    def _misbehave(self, conn, framed):
        """Answer with the behaviour; True when the connection is done with."""
        behaviour = self.behaviour
        if behaviour == 'close':
            return True
        if behaviour == 'drip':
            if framed:
                conn.sendall(_FRAME.pack(1000))
            while not self._stop.is_set():
                conn.sendall(b'{' if not framed else b' ')
                time.sleep(self.step)
            return True
        if behaviour == 'endless':
            data = b'\x00\x00\x00\x00' * 4096 if framed else b'{"STATUS":"S","Msg":"' + b'x' * 65536
            if not framed:
                conn.sendall(data[:22])
                data = b'x' * 65536
            while not self._stop.is_set():
                conn.sendall(data)
            return True
        if behaviour == 'garbage':
            reply = b'\xff\xfe garbage <html>'
        elif behaviour == 'deep':
            nested = b'[' * 100000 + b']' * 100000
            reply = (b'{"code":0,"msg":' if framed else b'{"STATUS":"S","Code":131,"Msg":') + nested + b'}'
        else:  # wrong_types
            reply = (b'{"code":0,"msg":"surprise","desc":"x"}' if framed else
                     b'{"STATUS":"S","When":1,"Code":131,"Msg":"surprise","SUMMARY":"x","POOLS":"y","DEVS":"z"}')
        conn.sendall(_FRAME.pack(len(reply)) + reply if framed else reply)
        return not framed
