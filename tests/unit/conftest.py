# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small scripted TCP server on 127.0.0.1 for transport and client tests.

Each accepted connection is served by the next handler of the script. Handlers get a
:class:`Conn` with helpers to read one JSON request, send bytes, close or reset.
A :class:`FakeMiner` implements get_token and the encryption of reference_protocol.rst V2.2 §2
independently of the code under test (hashlib/passlib/cryptography directly).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time

import pytest


class Conn(object):
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b''
        sock.settimeout(10)

    def read_request(self):
        """Read one JSON request (the client sends no terminator); return its bytes."""
        decoder = json.JSONDecoder()
        while True:
            text = self.buffer.decode('utf-8', 'replace')
            try:
                dummy, end = decoder.raw_decode(text.lstrip())
            except ValueError:
                end = None
            if end is not None:
                consumed = len(text) - len(text.lstrip()) + end
                raw = self.buffer[:consumed]
                self.buffer = self.buffer[consumed:]
                return raw
            chunk = self.sock.recv(65536)
            if not chunk:
                return self.buffer
            self.buffer += chunk

    def read_exact(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, data):
        if isinstance(data, str):
            data = data.encode('utf-8')
        self.sock.sendall(data)

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.sock.close()


class ScriptedServer(object):
    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.host = '127.0.0.1'
        self.script = []
        self.requests = []   # raw request bytes per connection (as read by handlers)
        self.errors = []
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def add(self, *handlers):
        self.script.extend(handlers)
        return self

    def _serve(self):
        self.listener.settimeout(0.05)
        while not self._stop:
            try:
                sock, dummy = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            conn = Conn(sock)
            if not self.script:
                self.errors.append('unexpected connection #%d' % self.connections)
                sock.close()
                continue
            handler = self.script.pop(0)
            try:
                handler(conn, self)
            except Exception as exc:  # pylint: disable=broad-except
                self.errors.append('%s: %s' % (exc.__class__.__name__, exc))
            finally:
                try:
                    conn.sock.close()
                except OSError:
                    pass

    def close(self):
        self._stop = True
        self.thread.join(5)
        self.listener.close()


# ----------------------------------------------------------------- handler factories

def reply(data, record=True):
    """Read one request, send ``data`` (bytes/str/dict), close."""
    def handler(conn, server):
        raw = conn.read_request()
        if record:
            server.requests.append(raw)
        payload = data
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        conn.send(payload)
    return handler


def close_without_reply(conn, server):
    server.requests.append(conn.read_request())


def reset_without_reply(conn, server):
    server.requests.append(conn.read_request())
    conn.reset()


def stall(seconds, then=b''):
    def handler(conn, server):
        server.requests.append(conn.read_request())
        time.sleep(seconds)
        if then:
            conn.send(then)
    return handler


def chunks(parts, delay=0.02):
    def handler(conn, server):
        server.requests.append(conn.read_request())
        for part in parts:
            conn.send(part)
            time.sleep(delay)
    return handler


def envelope(code=131, msg='API command OK', status=None, when=1700000000):
    if status is None:
        status = 'S' if code in (131, 133, 134) else 'E'
    return {'STATUS': status, 'When': when, 'Code': code, 'Msg': msg, 'Description': ''}


# ----------------------------------------------------------------- fake miner crypto (independent)

def _md5crypt_tail(secret, salt):
    from passlib.hash import md5_crypt
    return md5_crypt.using(salt=salt).hash(secret).split('$')[3]


def _aes(key_bytes):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    return Cipher(algorithms.AES(key_bytes), modes.ECB())


class FakeMiner(object):
    """Token bookkeeping and encryption like a miner; handlers for the scripted server."""

    def __init__(self, password='S3cr_t9x', salt='BQ5hoXV9'):
        self.password = password
        self.salt = salt
        self.counter = 0
        self.tokens = {}          # sign -> aeskey
        self.decrypted = []       # decrypted request dicts (for assertions)

    def key(self, password=None):
        return _md5crypt_tail(password or self.password, self.salt)

    def get_token(self, time4=None, newsalt=None):
        def handler(conn, server):
            raw = conn.read_request()
            server.requests.append(raw)
            assert json.loads(raw.decode()) == {'cmd': 'get_token'}, raw
            self.counter += 1
            t4 = time4 or '%04d' % (5626 + self.counter)
            ns = newsalt or 'nS%06d' % self.counter
            key = self.key()
            sign = _md5crypt_tail(key + t4, ns)
            self.tokens[sign] = hashlib.sha256(key.encode()).digest()
            conn.send(json.dumps(envelope(134, {'time': t4, 'salt': self.salt, 'newsalt': ns})))
        return handler

    def encrypt(self, aeskey, obj):
        text = json.dumps(obj).encode()
        text += b'\x00' * (-len(text) % 16)
        enc = _aes(aeskey).encryptor()
        return base64.b64encode(enc.update(text) + enc.finalize()).decode()

    def decrypt_request(self, raw):
        """Return (request dict, aeskey) or raise AssertionError."""
        outer = json.loads(raw.decode())
        assert outer.get('enc') == 1 and isinstance(outer.get('data'), str), outer
        key_bytes = hashlib.sha256(self.key().encode()).digest()
        dec = _aes(key_bytes).decryptor()
        plain = dec.update(base64.b64decode(outer['data'])) + dec.finalize()
        request = json.loads(plain.rstrip(b'\x00').decode())
        self.decrypted.append(request)
        return request, key_bytes

    def encrypted(self, reply_obj=None, plain_error=None, check_token=True, header_only=False):
        """Handler: decrypt the request; answer ``reply_obj`` encrypted or ``plain_error`` in plain text."""
        def handler(conn, server):
            raw = conn.read_request()
            server.requests.append(raw)
            request, aeskey = self.decrypt_request(raw)
            if check_token and request.get('token') not in self.tokens:
                conn.send(json.dumps(envelope(135, 'check token err')))
                return
            if plain_error is not None:
                conn.send(json.dumps(plain_error))
                return
            conn.send(json.dumps({'enc': self.encrypt(aeskey, reply_obj or envelope())}))
        return handler


@pytest.fixture
def server():
    srv = ScriptedServer()
    yield srv
    srv.close()
    assert not srv.errors, srv.errors


@pytest.fixture
def miner():
    return FakeMiner()


@pytest.fixture
def closed_port():
    """A loopback port with nothing listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Helpers(object):
    reply = staticmethod(reply)
    close_without_reply = staticmethod(close_without_reply)
    reset_without_reply = staticmethod(reset_without_reply)
    stall = staticmethod(stall)
    chunks = staticmethod(chunks)
    envelope = staticmethod(envelope)
    Conn = Conn


@pytest.fixture
def h():
    return Helpers
