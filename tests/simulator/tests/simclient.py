# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny, independent WhatsMiner V2.2 client for the simulator's tests, plus a thread-hosted simulator.

Deliberately written from reference_protocol.rst without reusing the simulator's crypto module, so
the tests check the simulator against a second reading of the spec.
"""

import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
import threading
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib.hash import md5_crypt

from whatsminer_sim.fleet import Fleet, SimConfig

SIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------- client crypto

def md5crypt(secret, salt):
    return md5_crypt.using(salt=salt).hash(secret).split('$')[3]


def aes_ecb(key, data, decrypt=False):
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def encrypt_request(aeskey, obj_or_text, padding='zero'):
    text = obj_or_text if isinstance(obj_or_text, (str, bytes)) else json.dumps(obj_or_text, separators=(',', ':'))
    data = text.encode() if isinstance(text, str) else text
    if padding == 'pkcs7':
        n = 16 - len(data) % 16
        data += bytes([n]) * n
    else:
        data += b'\0' * (-len(data) % 16)
    return {'enc': 1, 'data': base64.b64encode(aes_ecb(aeskey, data)).decode()}


def decrypt_reply(aeskey, reply):
    plain = aes_ecb(aeskey, base64.b64decode(reply['enc']), decrypt=True)
    return json.loads(plain.split(b'\0', 1)[0])


# ----------------------------------------------------------------------------- transport

def raw_request(host, port, data, timeout=5.0, chunks=None, pause=0.0):
    """Send bytes (optionally split in ``chunks`` with a pause), read until EOF."""
    if isinstance(data, str):
        data = data.encode()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        if chunks:
            step = max(1, len(data) // chunks)
            for i in range(0, len(data), step):
                sock.sendall(data[i:i + step])
                time.sleep(pause)
        else:
            sock.sendall(data)
        out = bytearray()
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return bytes(out)
            out.extend(chunk)


def request(host, port, obj, timeout=5.0):
    data = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
    raw = raw_request(host, port, data, timeout=timeout)
    return json.loads(raw.rstrip(b'\0').decode()) if raw else None


def wait_port(host, port, up=True, timeout=10.0):
    """Wait until host:port accepts connections (up) or refuses them (not up)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                state = True
        except ConnectionRefusedError:
            state = False
        except OSError:
            state = None
        if state is up:
            return True
        time.sleep(0.02)
    return False


class Session:
    """get_token once, then encrypted commands with that token."""

    def __init__(self, host, port, password='admin'):
        self.host = host
        self.port = port
        self.password = password
        self.token = None
        self.aeskey = None
        self.token_reply = None

    def login(self):
        reply = request(self.host, self.port, {'cmd': 'get_token'})
        self.token_reply = reply
        if reply.get('Code') != 134:
            raise RuntimeError('get_token failed: %r' % reply)
        msg = reply['Msg']
        key = md5crypt(self.password, msg['salt'])
        self.token = md5crypt(key + msg['time'][-4:], msg['newsalt'])
        self.aeskey = hashlib.sha256(key.encode()).digest()
        return self

    def encrypted(self, obj, padding='zero'):
        if self.token is None:
            self.login()
        return encrypt_request(self.aeskey, obj, padding)

    def decode(self, raw):
        reply = json.loads(raw.rstrip(b'\0').decode()) if raw else None
        if isinstance(reply, dict) and isinstance(reply.get('enc'), str):
            return decrypt_reply(self.aeskey, reply)
        return reply

    def send(self, cmd, padding='zero', token=None, **params):
        body = dict(params)
        body['cmd'] = cmd
        if self.token is None:
            self.login()
        body['token'] = self.token if token is None else token
        raw = raw_request(self.host, self.port, json.dumps(self.encrypted(body, padding)))
        return self.decode(raw)

    def raw_send(self, cmd, **params):
        """Like send, but return the undecoded reply bytes."""
        body = dict(params)
        body['cmd'] = cmd
        if self.token is None:
            self.login()
        body['token'] = self.token
        return raw_request(self.host, self.port, json.dumps(self.encrypted(body)))

    def read(self, cmd, **params):
        body = dict(params)
        body['cmd'] = cmd
        return request(self.host, self.port, body)


# ----------------------------------------------------------------------------- control API

def http(url, method='GET', body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b'{}')


# ----------------------------------------------------------------------------- simulator in a thread

class SimHandle:
    """Run a Fleet on its own event loop in a background thread."""

    def __init__(self, **options):
        self.config = SimConfig(**options)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fleet = self.run(self._start())
        self.stopped = False

    async def _start(self):
        fleet = Fleet(self.config)
        await fleet.start()
        return fleet

    def run(self, coro, timeout=30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, func, *args):
        """Run a plain function on the loop thread and return its result."""
        async def wrapper():
            return func(*args)
        return self.run(wrapper())

    def miner(self, index=0):
        return self.fleet.miners[index]

    def addr(self, index=0):
        miner = self.fleet.miners[index]
        return miner.host, miner.port

    def session(self, index=0, password='admin'):
        host, port = self.addr(index)
        return Session(host, port, password)

    @property
    def url(self):
        return self.fleet.control_url

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        try:
            self.run(self.fleet.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


def u32(value):
    return struct.pack('<I', value)
