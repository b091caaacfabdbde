# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny, independent WhatsMiner API V3 client for the simulator's tests.

Written from reference_protocol.rst (V3) without the simulator's crypto module: length-prefixed
frames on one persistent connection, salt, token base64(sha256(cmd+password+salt+ts))[:8]
and AES-256-ECB parameters (key = the same digest).
"""

import base64
import hashlib
import json
import socket
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def digest(cmd, password, salt, ts):
    return hashlib.sha256((cmd + password + salt + str(ts)).encode('utf-8')).digest()


def token(cmd, password, salt, ts):
    return base64.b64encode(digest(cmd, password, salt, ts)).decode()[:8]


def encrypt_param(key, value, padding='pkcs7'):
    text = value if isinstance(value, (str, bytes)) else json.dumps(value, separators=(',', ':'))
    data = text.encode() if isinstance(text, str) else text
    if padding == 'pkcs7':
        n = 16 - len(data) % 16
        data += bytes([n]) * n
    else:
        data += b'\0' * (-len(data) % 16)
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt_param(key, text):
    dec = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return dec.update(base64.b64decode(text)) + dec.finalize()


def frame(obj):
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack('<I', len(data)) + data


class V3Client:
    """One connection to a V3 miner; several requests on it."""

    def __init__(self, host, port, account='super', password='super', timeout=5.0):
        self.host = host
        self.port = port
        self.account = account
        self.password = password
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()
        self.salt = None

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ transport

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv_exact(self, count):
        while len(self.buf) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError('connection closed after %d of %d bytes' % (len(self.buf), count))
            self.buf.extend(chunk)
        out = bytes(self.buf[:count])
        del self.buf[:count]
        return out

    def recv_frame(self):
        while True:
            (size,) = struct.unpack('<I', self.recv_exact(4))
            if size:
                return json.loads(self.recv_exact(size))

    def closed(self, wait=2.0):
        """True when the server closes the connection (EOF or reset) within ``wait`` seconds."""
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b''
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def request(self, obj):
        self.send_raw(frame(obj))
        return self.recv_frame()

    # ------------------------------------------------------------------ commands

    def read(self, cmd, param=None, **extra):
        obj = {'cmd': cmd}
        if param is not None:
            obj['param'] = param
        obj.update(extra)
        return self.request(obj)

    def get_salt(self):
        reply = self.read('get.device.info', 'salt')
        assert reply['code'] == 0, reply
        self.salt = reply['msg']['salt']
        return self.salt

    def write_request(self, cmd, param=None, ts=None, account=None, password=None, encrypt=False, padding='pkcs7', tok=None):
        if self.salt is None:
            self.get_salt()
        ts = int(time.time()) if ts is None else ts
        password = self.password if password is None else password
        obj = {'cmd': cmd, 'ts': ts, 'token': token(cmd, password, self.salt, ts) if tok is None else tok,
               'account': self.account if account is None else account}
        if encrypt:
            obj['param'] = encrypt_param(digest(cmd, password, self.salt, ts), param, padding)
        elif param is not None:
            obj['param'] = param
        return obj

    def write(self, cmd, param=None, **kwargs):
        return self.request(self.write_request(cmd, param, **kwargs))
