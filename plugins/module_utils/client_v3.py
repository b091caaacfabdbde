# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""WhatsMiner API V3 client (TCP 4433, PROTOCOL-V3.md): framed JSON, salt + token writes, binary flows.

Frames in both directions are ``uint32 little-endian length`` + that many bytes of JSON.
One TCP connection carries all of a client's requests; it is reopened once when the miner
closed it between requests. Writes carry ``ts``, ``token`` and ``account``::

    digest = sha256(cmd + password + salt + str(ts))      (32 raw bytes)
    token  = base64(digest)[:8]

``set.miner.pools`` and ``set.user.change_passwd`` send their parameter AES-256-ECB encrypted
with ``digest`` as the key (PKCS#7 padding, base64). Replies are never encrypted.

Secrets (password, token, digest/AES key, encrypted parameters) never appear in exceptions,
reprs or log lines; ``requests_sent`` lists command names only.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import os
import select
import struct
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils import crypto
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    ApiError,
    CommandFailed,
    InvalidCommand,
    MinerTimeout,
    MinerUnreachable,
    MissingLibrary,
    NoReply,
    OutcomeUnknown,
    ProtocolError,
    WhatsMinerError,
    WriteApiDisabled,
    WrongPassword,
    format_endpoint,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import parse_reply, to_number
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import (
    DEFAULT_MAX_REPLY_BYTES,
    Deadline,
    Transport,
    payload_seconds,
    recv_some,
    send_all,
)

DEFAULT_V3_PORT = 4433
DEFAULT_V2_PORT = 4028
DEFAULT_TIMEOUT = 10.0
DEFAULT_DETECT_TIMEOUT = 3.0
DEFAULT_FIRMWARE_TIMEOUT = 300.0
DEFAULT_MAX_FIRMWARE_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_LOG_BYTES = 1024 * 1024 * 1024
# The miner closes a connection idle for 300 s; reopen before that rather than race it.
IDLE_RECONNECT_SECONDS = 240.0

ACCOUNTS = ('super', 'user1', 'user2', 'user3')

# PROTOCOL-V3.md section 3.4: exactly these two commands encrypt their parameter.
ENCRYPTED_COMMANDS = frozenset(('set.miner.pools', 'set.user.change_passwd'))

# Commands after which the miner may drop the link before or after replying (section 1.2).
RESTARTING_COMMANDS = frozenset((
    'set.system.reboot', 'set.system.net_config', 'set.system.factory_reset', 'set.miner.power_limit',
    'set.miner.target_freq', 'set.system.update_firmware',
))

# Commands after which the salt may change (UNCONFIRMED; section 3.1): fetch it again.
_SALT_RESETTING_COMMANDS = frozenset((
    'set.system.reboot', 'set.system.factory_reset', 'set.system.update_firmware', 'set.user.change_passwd',
))

_FRAME_HEADER = struct.Struct('<I')
_CHUNK = 65536
_FILE_CHUNK = 256 * 1024

# Combined firmware image header (section 7.1).
_FW_HEADER_SIZE = 6812
_FW_RECORDS_OFFSET = 24
_FW_RECORD_SIZE = 104
_FW_MAX_PACKAGES = 64


# ---------------------------------------------------------------------------
# Errors (V3 status codes, section 2.3)
# ---------------------------------------------------------------------------

_ENABLE_WRITES_HINT = (
    'writes on API V3 need (1) the password of the account changed from its factory default (super/super, '
    'user1/user1, ...) and (2) the "API write switch" turned on: in WhatsMinerTool select the miner and switch '
    'on the API writes ("Miner API"), or in the miner\'s web UI; the switch state reads back as '
    'get.device.info system.apiswitch. Also check the password and account used, and for user1-user3 that '
    'super granted the command with set.user.permission')


class V3ApiError(ApiError):
    """An API V3 error reply (``code`` < 0). ``code`` is the V3 code (-1 ... -5)."""

    default_hint = 'the miner refused the command (API V3)'


class V3CommandFailed(V3ApiError, CommandFailed):
    """Code -1: the command failed (bad value, wrong state; some firmware also reports a wrong token so)."""

    default_hint = ('the miner reported that the command failed (a value out of range, or the miner not in a '
                    'state to run it; on some firmware a wrong password also gives -1)')


class V3InvalidCommand(V3ApiError, InvalidCommand):
    """Code -2: unknown command, or a parameter value outside its set."""

    default_hint = ('invalid command: unknown to this firmware\'s API V3 version, or a parameter value it does '
                    'not accept')


class V3InvalidJsonItem(V3ApiError, InvalidCommand):
    """Code -3: a required item of the request is missing or null."""

    default_hint = 'invalid JSON item: a required parameter is missing or null'


class V3PermissionDenied(V3ApiError, WriteApiDisabled):
    """Code -4: no permission (write switch off, default password, wrong token or account, no right)."""

    default_hint = 'no permission: ' + _ENABLE_WRITES_HINT


class V3WrongPassword(V3ApiError, WrongPassword):
    """Code -4 (or -1) diagnosed as a wrong password for the account (write switch on, password not default)."""

    default_hint = ('the miner refused the token: the password configured for the account is wrong (the API '
                    'write switch is on and the password is not the factory default)')


class V3OutOfMemory(V3ApiError):
    """Code -5: the miner ran out of memory."""

    default_hint = 'the miner ran out of memory; retry later or reboot it'


_V3_ERRORS = {
    -1: V3CommandFailed,
    -2: V3InvalidCommand,
    -3: V3InvalidJsonItem,
    -4: V3PermissionDenied,
    -5: V3OutOfMemory,
}


def v3_error_for(code, msg, command=None, host=None, port=None, hint=None):
    """Return (not raise) the :class:`V3ApiError` subclass instance for a V3 ``code``."""
    try:
        icode = int(code)
    except (TypeError, ValueError):
        icode = None
    cls = _V3_ERRORS.get(icode, V3ApiError)
    if msg is not None and not isinstance(msg, str):
        msg = json.dumps(msg, sort_keys=True)[:200]
    return cls(icode if icode is not None else code, msg, command, host, port, hint=hint)


# ---------------------------------------------------------------------------
# Token and parameter encryption (section 3)
# ---------------------------------------------------------------------------

def token_digest(cmd, password, salt, ts):
    """``sha256(cmd + password + salt + str(ts))``: 32 raw bytes, the token source and the AES key."""
    if password is None:
        raise ValueError('a password is required to compute an API V3 token')
    src = '%s%s%s%d' % (cmd, password, salt, int(ts))
    return hashlib.sha256(src.encode('utf-8')).digest()


def token_from_digest(digest):
    """The first 8 characters of the standard base64 of ``digest``."""
    return base64.b64encode(digest).decode('ascii')[:8]


def make_token(cmd, password, salt, ts):
    """``base64(sha256(cmd + password + salt + ts))[:8]``."""
    return token_from_digest(token_digest(cmd, password, salt, ts))


def pkcs7_pad(data, block=16):
    """PKCS#7 padding: always 1-16 bytes of value n."""
    n = block - len(data) % block
    return bytes(data) + bytes([n]) * n


def _param_plaintext(param):
    if isinstance(param, (bytes, bytearray)):
        return bytes(param)
    if isinstance(param, str):
        # Already JSON text: used as is.
        return param.encode('utf-8')
    return json.dumps(param, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def encrypt_param(digest, param):
    """AES-256-ECB encrypt the compact JSON of ``param`` with key ``digest``; PKCS#7; return base64 text.

    A ``str`` ``param`` is taken as JSON text already.
    """
    if not crypto.HAS_CRYPTOGRAPHY:
        raise MissingLibrary('cryptography', 'cryptography', crypto.CRYPTOGRAPHY_IMPORT_ERROR)
    # Padded to a multiple of 16 here, so crypto.encrypt adds no zero padding of its own.
    return crypto.encrypt(digest, pkcs7_pad(_param_plaintext(param)))


def decrypt_param(digest, b64):
    """Inverse of :func:`encrypt_param` (PKCS#7 or zero padding); return the decoded JSON value."""
    plain = crypto.decrypt(digest, b64)
    value = json.loads(plain.decode('utf-8'))
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return value


# ---------------------------------------------------------------------------
# Framing (section 1.2)
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
    return _FRAME_HEADER.pack(len(data)) + data


HEARTBEAT = _FRAME_HEADER.pack(0)


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
        while True:
            if len(self._buf) < 4:
                return None
            length = _FRAME_HEADER.unpack_from(self._buf, 0)[0]
            if length == 0:
                del self._buf[:4]
                self.heartbeats += 1
                continue
            if length > self.max_bytes:
                raise ProtocolError('reply frame announces %d bytes, over the limit of %d bytes' % (length, self.max_bytes),
                                    raw=bytes(self._buf[4:64]))
            if len(self._buf) < 4 + length:
                return None
            body = bytes(self._buf[4:4 + length])
            del self._buf[:4 + length]
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


class _Link(object):
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
        self.exchanges = 0

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
                self.exchanges += 1
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
                chunk = self._recv(timeout, command, received or 1)
            except ProtocolError:
                raise ProtocolError('the miner closed the connection after %d of %d bytes' % (received, length),
                                    self.host, self.port)
            want = length - received
            if len(chunk) > want:
                self.decoder.feed(chunk[want:])
                chunk = chunk[:want]
            sink(chunk)
            received += len(chunk)
        return received


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------

def _decode_reply(raw, host=None, port=None):
    try:
        reply = json.loads(raw.decode('utf-8'))
    except RecursionError:
        raise ProtocolError('reply nests too deeply', host, port, raw=raw[:120])
    except (ValueError, UnicodeDecodeError):
        try:
            reply = parse_reply(raw)
        except ProtocolError as exc:
            raise exc.with_endpoint(host, port)
    if not isinstance(reply, dict) or 'code' not in reply:
        raise ProtocolError('reply is not an API V3 envelope (no "code")', host, port, raw=raw)
    return reply


def _json_type(value):
    """The JSON name of a decoded value's type (for messages about replies of the wrong shape)."""
    for kind, name in ((bool, 'boolean'), (str, 'string'), ((int, float), 'number'), (list, 'array'), (dict, 'object')):
        if isinstance(value, kind):
            return name
    return 'null'


def _reply_code(reply):
    code = reply.get('code')
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    number = to_number(code)
    return number if isinstance(number, int) else None


class WhatsMinerV3Client(object):
    """API V3 client for one miner. Not thread-safe; one instance per host and task.

    ``timeout`` bounds each exchange as a whole (connect, send, the whole reply frame), in seconds.
    ``log`` is an optional callable receiving secret-free debug lines. Call :meth:`close`
    (or use the client as a context manager) when done; the connection is kept open between
    requests.
    """

    def __init__(self, host, port=DEFAULT_V3_PORT, account='super', password=None, timeout=DEFAULT_TIMEOUT,
                 max_reply_bytes=DEFAULT_MAX_REPLY_BYTES, log=None, connect_timeout=None):
        if account not in ACCOUNTS:
            raise ValueError('API V3 account must be one of %s (admin is not supported by API V3)' % ', '.join(ACCOUNTS))
        self.host = host
        self.port = int(port)
        self.account = account
        self.timeout = float(timeout)
        self.max_reply_bytes = int(max_reply_bytes)
        self._password = password
        self._log = log
        self._transport = Transport(host, self.port, timeout=self.timeout, connect_timeout=connect_timeout,
                                    max_reply_bytes=self.max_reply_bytes, log=log)
        self._link = None
        self._salt = None
        self._recent_tokens = collections.deque(maxlen=16)
        self.requests_sent = []
        self.salts_fetched = 0
        self.connections_opened = 0
        # Write requests that left whole; a write that failed before (salt, connect) never reached the miner.
        self.writes_sent = 0
        self.idle_reconnect_seconds = IDLE_RECONNECT_SECONDS
        # Injectable for tests.
        self._time = time.time
        self._clock = time.monotonic
        self._sleep = time.sleep

    def __repr__(self):
        return '<WhatsMinerV3Client %s account=%s password=%s salt=%s>' % (
            format_endpoint(self.host, self.port), self.account,
            'set' if self._password is not None else 'unset', 'cached' if self._salt is not None else 'none')

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError('WhatsMinerV3Client cannot be pickled')

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ connection

    @property
    def has_password(self):
        return self._password is not None

    @property
    def connected(self):
        return self._link is not None

    def _debug(self, line):
        if self._log is not None:
            self._log(line)

    def close(self):
        """Close the connection (the next request opens a new one)."""
        if self._link is not None:
            self._link.close()
            self._link = None
            self._debug('closed the connection to %s' % format_endpoint(self.host, self.port))

    def _open(self, deadline=None):
        sock = self._transport.connect(deadline)
        self.connections_opened += 1
        self._link = _Link(sock, self.host, self.port, self.timeout, self.max_reply_bytes, self._clock)
        self._debug('connected to %s (connection %d)' % (format_endpoint(self.host, self.port), self.connections_opened))
        return self._link

    def _link_for_request(self, deadline):
        """Return ``(link, reused)``; reopen when the miner closed the connection meanwhile.

        ``deadline`` bounds the connect (if any) and the exchange that follows.
        """
        link = self._link
        if link is None or not link.usable(self.idle_reconnect_seconds):
            if link is not None:
                self._debug('the previous connection is closed or stale; reconnecting')
                self.close()
            link, reused = self._open(deadline), False
        else:
            reused = True
        link.begin(deadline)
        return link, reused

    def _record(self, cmd, kind):
        self.requests_sent.append(cmd)
        self._debug('-> %s (%s)' % (cmd, kind))

    def _exchange(self, cmd, payload, write=False, restarting=False, kind='read'):
        """Send one framed request, return the parsed reply envelope.

        A read is resent once on a new connection when a reused connection turns out closed.
        A write whose request went out but got no reply raises :class:`OutcomeUnknown`.
        """
        for attempt in (1, 2):
            link, reused = self._link_for_request(self._transport.deadline())
            try:
                link.send(payload)
            except MinerUnreachable:
                self.close()
                if reused and attempt == 1:
                    # The miner had closed the connection: nothing was processed; reopen once.
                    self._debug('connection closed by the miner before %s; reconnecting once' % cmd)
                    continue
                raise
            except MinerTimeout:
                self.close()
                raise
            self._record(cmd, kind)
            if write:
                self.writes_sent += 1
            try:
                raw = link.read_frame(cmd)
            except NoReply:
                self.close()
                if write:
                    raise OutcomeUnknown(cmd, self.host, self.port, 'connection closed without a reply')
                if reused and attempt == 1:
                    self._debug('connection closed by the miner without answering %s; resending once' % cmd)
                    continue
                raise
            except MinerTimeout as exc:
                self.close()
                if write:
                    raise OutcomeUnknown(cmd, self.host, self.port, 'no reply within %s s' % exc.seconds)
                raise
            except MinerUnreachable:
                self.close()
                if write:
                    raise OutcomeUnknown(cmd, self.host, self.port, 'connection lost while waiting for the reply')
                raise
            except ProtocolError as exc:
                self.close()
                if write and restarting:
                    raise OutcomeUnknown(cmd, self.host, self.port, 'incomplete reply (%s)' % exc.message)
                raise
            self._debug('<- %s: %d bytes' % (cmd, len(raw)))
            try:
                return _decode_reply(raw, self.host, self.port)
            except ProtocolError as exc:
                if write and restarting:
                    self.close()
                    raise OutcomeUnknown(cmd, self.host, self.port, 'unreadable reply (%s)' % exc.message)
                raise
        raise AssertionError('unreachable')  # pragma: no cover

    # ------------------------------------------------------------------ reads

    def get_reply(self, cmd, param=None):
        """Send a read command; return the whole reply envelope (``code``, ``msg``, ``desc``, ``when``)."""
        if not isinstance(cmd, str) or not cmd.startswith('get.'):
            raise ValueError('get() takes API V3 read commands (get.*), not %r' % (cmd,))
        body = {'cmd': cmd}
        if param is not None:
            body['param'] = param
        reply = self._exchange(cmd, encode_frame(body))
        code = _reply_code(reply)
        if code != 0:
            raise v3_error_for(code if code is not None else reply.get('code'), self._scrub(reply.get('msg')), cmd,
                               self.host, self.port)
        return reply

    def get(self, cmd, param=None):
        """Send a read command (``get.*``, no token); return the decoded ``msg``.

        Raises :class:`V3ApiError` subclasses for error codes, MinerUnreachable, MinerTimeout,
        NoReply, ProtocolError (also when ``msg`` is not the JSON object every V3 read answers with).
        """
        msg = self.get_reply(cmd, param).get('msg')
        if not isinstance(msg, dict):
            raise ProtocolError('%s: the reply\'s msg is %s, not the JSON object API V3 reads answer with'
                                % (cmd, 'missing' if msg is None else 'a JSON %s' % _json_type(msg)), self.host, self.port)
        return msg

    def read_settings(self):
        """Read ``get.miner.setting``, ``get.fan.setting``, ``get.system.setting`` and ``get.device.info``
        on one connection; return :func:`replies_v3.v3_settings` of them.

        A command this firmware does not know (code -2) is skipped; its keys stay None.
        """
        from ansible_collections.minerops.whatsminer.plugins.module_utils.replies_v3 import v3_settings

        msgs = {}
        for cmd in ('get.miner.setting', 'get.fan.setting', 'get.system.setting', 'get.device.info'):
            try:
                msgs[cmd] = self.get(cmd)
            except V3InvalidCommand:
                self._debug('%s: unknown to this firmware, skipped' % cmd)
        return v3_settings(msgs)

    # ------------------------------------------------------------------ salt / password

    def get_salt(self, refresh=False):
        """The miner's salt (``get.device.info`` ``salt``), fetched once per client and cached."""
        if self._salt is not None and not refresh:
            return self._salt
        msg = self.get('get.device.info', 'salt')
        salt = msg.get('salt') if isinstance(msg, dict) else None
        if not isinstance(salt, str) or not salt:
            raise ProtocolError('get.device.info salt: the reply has no salt', self.host, self.port)
        self._salt = salt
        self.salts_fetched += 1
        self._debug('salt fetched (%d so far by this client)' % self.salts_fetched)
        return salt

    def invalidate_salt(self):
        """Forget the cached salt; the next write fetches it again."""
        self._salt = None

    def set_password(self, new):
        """Use another password for the client's account from now on (e.g. after a password change)."""
        self._password = new

    # ------------------------------------------------------------------ writes

    def _write_body(self, cmd, param, salt):
        ts = int(self._time())
        digest = token_digest(cmd, self._password, salt, ts)
        token = token_from_digest(digest)
        self._recent_tokens.append(token)
        body = {'cmd': cmd, 'ts': ts, 'token': token, 'account': self.account}
        if cmd in ENCRYPTED_COMMANDS:
            if param is None:
                raise ValueError('%s needs a parameter' % cmd)
            body['param'] = encrypt_param(digest, param)
        elif param is not None:
            body['param'] = _clear_param(cmd, param)
        return body

    def _write(self, cmd, param, restarting):
        """Send a write, return ``(reply, link)`` for a code-0 reply; raise typed errors otherwise."""
        if not isinstance(cmd, str) or not cmd.startswith('set.'):
            raise ValueError('set() takes API V3 write commands (set.*), not %r' % (cmd,))
        if self._password is None:
            raise WhatsMinerError('a password for API V3 account %s is required for write commands' % self.account,
                                  self.host, self.port)
        if cmd in ENCRYPTED_COMMANDS and not crypto.HAS_CRYPTOGRAPHY:
            raise MissingLibrary('cryptography', 'cryptography', crypto.CRYPTOGRAPHY_IMPORT_ERROR)
        restarting = restarting or cmd in RESTARTING_COMMANDS or (cmd == 'set.miner.service' and param == 'restart')
        kind = 'token, encrypted param' if cmd in ENCRYPTED_COMMANDS else 'token'
        for attempt in (1, 2):
            salt = self.get_salt()
            payload = encode_frame(self._write_body(cmd, param, salt))
            reply = self._exchange(cmd, payload, write=True, restarting=restarting, kind=kind)
            code = _reply_code(reply)
            if code == 0:
                return reply
            if code in (-1, -4) and attempt == 1:
                # Possibly a stale salt (section 2.3): fetch it again; resend once only if it changed.
                try:
                    fresh = self.get_salt(refresh=True)
                except WhatsMinerError:
                    fresh = salt
                if fresh != salt:
                    self._debug('%s: code %s and the salt changed; resending once with a new token' % (cmd, code))
                    continue
            raise self._write_error(reply, cmd, code)
        raise AssertionError('unreachable')  # pragma: no cover

    def _scrub(self, msg):
        """The miner's ``msg`` with the password and recent tokens masked, should the firmware echo them."""
        if msg is not None and not isinstance(msg, str):
            msg = json.dumps(msg, sort_keys=True)[:200]
        if msg:
            for secret in [self._password] + list(self._recent_tokens):
                if secret and len(secret) >= 3:
                    msg = msg.replace(secret, '***')
        return msg

    def _write_error(self, reply, cmd, code):
        msg = self._scrub(reply.get('msg'))
        if code != -4:
            return v3_error_for(code if code is not None else reply.get('code'), msg, cmd, self.host, self.port)
        # Tell the causes of "no permission" apart with one cheap read.
        try:
            system = self.get('get.device.info', 'system')
        except WhatsMinerError:
            system = None
        switch = None
        if isinstance(system, dict) and isinstance(system.get('system'), dict):
            switch = system['system'].get('apiswitch')
        if switch is not None and str(switch).strip() in ('0', 'false', 'off', 'disable'):
            hint = ('no permission: the API write switch of this miner is off (system.apiswitch 0). ' + _ENABLE_WRITES_HINT)
            return V3PermissionDenied(code, msg, cmd, self.host, self.port, hint=hint)
        if self._password == self.account:
            # The factory password is the account name: the account is not named here, or masking the
            # password (no_log) would garble the message.
            hint = ('no permission: the API V3 account still has its factory default password (the account name); '
                    'change it first (WhatsMinerTool or the web UI), then use the new one. ') + _ENABLE_WRITES_HINT
            return V3PermissionDenied(code, msg, cmd, self.host, self.port, hint=hint)
        if switch is not None and self.account == 'super':
            hint = ('the miner refused the token: the password configured for account super is wrong '
                    '(the API write switch is on)')
            return V3WrongPassword(code, msg, cmd, self.host, self.port, hint=hint)
        if switch is not None:
            hint = ('no permission: the password configured for account %s is wrong, or super has not granted %s to '
                    '%s (set.user.permission)' % (self.account, cmd, self.account))
            return V3PermissionDenied(code, msg, cmd, self.host, self.port, hint=hint)
        return V3PermissionDenied(code, msg, cmd, self.host, self.port)

    def set_reply(self, cmd, param=None, restarting=False):
        """Like :meth:`set` but return the whole reply envelope."""
        try:
            reply = self._write(cmd, param, restarting)
        except OutcomeUnknown:
            self._salt = None
            raise
        if cmd in _SALT_RESETTING_COMMANDS:
            self._salt = None
        if cmd in ('set.system.reboot', 'set.system.factory_reset', 'set.system.net_config'):
            self.close()
        return reply

    def set(self, cmd, param=None, restarting=False):
        """Send a write command (``set.*``) with ts/token/account; return the decoded ``msg`` ("ok").

        ``set.miner.pools`` and ``set.user.change_passwd`` take the plain parameter (list/dict)
        and send it encrypted. On code -1 or -4 the salt is fetched again and the command resent
        once only if the salt changed; -4 is then diagnosed (write switch off, default password,
        wrong password). No reply after the request went out raises :class:`OutcomeUnknown` and
        is never resent. ``restarting=True`` (implied for the commands in ``RESTARTING_COMMANDS``
        and ``set.miner.service restart``) also turns a partial or unreadable reply into
        OutcomeUnknown.
        """
        return self.set_reply(cmd, param, restarting).get('msg')

    def change_password(self, new, account=None, old=None):
        """``set.user.change_passwd`` (encrypted); ``old`` defaults to the client's password.

        When ``account`` is the client's own account, the client switches to ``new``.
        """
        account = self.account if account is None else account
        if account not in ACCOUNTS:
            raise ValueError('account must be one of %s' % ', '.join(ACCOUNTS))
        if not isinstance(new, str) or not new:
            raise ValueError('the new password must be a non-empty string')
        if old is None:
            if account != self.account:
                raise ValueError('the old password of account %s is required' % account)
            old = self._password
        result = self.set('set.user.change_passwd', {'account': account, 'new': new, 'old': old})
        if account == self.account:
            self.set_password(new)
        return result

    # ------------------------------------------------------------------ waiting

    def _probe(self):
        try:
            self.get('get.device.info', 'system')
            return True
        except ApiError:
            return True
        except (MinerUnreachable, MinerTimeout, ProtocolError):
            self.close()
            return False

    def wait_until_reachable(self, timeout=300.0, interval=5.0):
        """Poll ``get.device.info system`` until the miner answers; return the seconds waited."""
        start = self._clock()
        deadline = start + timeout
        while True:
            if self._probe():
                return self._clock() - start
            now = self._clock()
            if now >= deadline:
                raise MinerTimeout(self.host, self.port, timeout, phase='wait')
            self._sleep(max(0.0, min(interval, deadline - now)))

    # ------------------------------------------------------------------ log download (section 7.2)

    def download_logs(self, dest_path, max_bytes=DEFAULT_MAX_LOG_BYTES):
        """``get.log.download``: write the log archive (.tgz) to ``dest_path``; return ``LogsResult``.

        ``logsize`` "0" returns ``LogsResult(0, None)`` and writes no file. The file is written
        to ``dest_path + '.part'`` and renamed when complete. The connection is closed afterwards.
        """
        from ansible_collections.minerops.whatsminer.plugins.module_utils.client import LogsResult

        cmd = 'get.log.download'
        part = '%s.part' % dest_path
        try:
            reply = self._exchange(cmd, encode_frame({'cmd': cmd}))
            code = _reply_code(reply)
            if code != 0:
                raise v3_error_for(code if code is not None else reply.get('code'), self._scrub(reply.get('msg')), cmd,
                                   self.host, self.port)
            msg = reply.get('msg')
            length = to_number(msg.get('logsize')) if isinstance(msg, dict) else None
            if length is None or not isinstance(length, int) or length < 0:
                raise ProtocolError('get.log.download: no usable logsize in the reply', self.host, self.port,
                                    raw=json.dumps(reply)[:120])
            if length == 0:
                self._debug('get.log.download: the miner has no logs (logsize 0)')
                return LogsResult(0, None)
            if length > max_bytes:
                raise ProtocolError('get.log.download: logsize %d exceeds the limit of %d bytes' % (length, max_bytes),
                                    self.host, self.port)
            digest = hashlib.sha256()
            link = self._link
            link.begin(payload_seconds(self.timeout, length))
            with open(part, 'wb') as handle:
                def sink(chunk):
                    digest.update(chunk)
                    handle.write(chunk)
                link.read_raw(length, sink, cmd)
            os.replace(part, dest_path)
            self._debug('get.log.download: %d bytes written' % length)
            return LogsResult(length, digest.hexdigest())
        except BaseException:
            if os.path.exists(part):
                os.unlink(part)
            raise
        finally:
            # Whether the miner keeps the connection after the binary tail is UNCONFIRMED: close it.
            self.close()

    # ------------------------------------------------------------------ firmware upload (section 7.1)

    def upload_firmware(self, path_or_bytes, platform=None, timeout=DEFAULT_FIRMWARE_TIMEOUT,
                        max_bytes=DEFAULT_MAX_FIRMWARE_BYTES):
        """``set.system.update_firmware``: upload an image; return ``{size, sha256, package, reply}``.

        A combined MicroBT image is reduced to the package for the miner's platform
        (``platform``, default ``get.device.info`` ``system.platform``); other files are sent
        whole. ``timeout`` bounds the wait for the final reply. Errors before "ready" and
        error replies are ordinary typed errors; a lost connection or missing final reply
        after the image went out raises :class:`OutcomeUnknown` (read ``system.fwversion`` back,
        never resend blindly). The connection is closed afterwards and the salt forgotten.
        """
        cmd = 'set.system.update_firmware'
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)
            source = None
            file_size = len(data)
        else:
            data = None
            source = os.fspath(path_or_bytes)
            file_size = os.path.getsize(source)
        header = data[:_FW_HEADER_SIZE] if data is not None else _read_head(source, _FW_HEADER_SIZE)
        packages = parse_firmware_header(header, file_size)
        package = None
        start, size = 0, file_size
        if packages is not None:
            if platform is None:
                system = self.get('get.device.info', 'system')
                platform = system.get('system', {}).get('platform') if isinstance(system, dict) else None
                if not platform:
                    raise ProtocolError('get.device.info system: no platform to choose the firmware package',
                                        self.host, self.port)
            wanted = str(platform).strip().lower()
            for entry in packages:
                if entry['chiptype'].lower() == wanted:
                    package = entry
                    break
            if package is None:
                raise WhatsMinerError('the firmware image has no package for platform %s (it has: %s); nothing was sent'
                                      % (wanted, ', '.join(e['chiptype'] for e in packages) or 'none'),
                                      self.host, self.port)
            start, size = package['offset'], package['size']
        if size <= 0 or size >= 2 ** 32:
            raise ValueError('firmware size must be between 1 byte and 4 GiB')
        if size > max_bytes:
            raise ValueError('the firmware image (%d bytes) exceeds the limit of %d bytes' % (size, max_bytes))
        try:
            reply = self._write(cmd, None, False)
        except OutcomeUnknown as exc:
            # No firmware byte has been sent yet: nothing was applied.
            raise ProtocolError('%s: no "ready" from the miner (%s); no firmware byte was sent' % (cmd, exc.reason),
                                self.host, self.port)
        msg = reply.get('msg')
        link = self._link
        digest = hashlib.sha256()
        sent = 0
        try:
            if not (isinstance(msg, str) and msg.strip().lower() == 'ready'):
                raise ProtocolError('set.system.update_firmware: expected msg "ready"', self.host, self.port,
                                    raw=json.dumps(reply)[:120])
            self._debug('set.system.update_firmware: miner ready, sending %d bytes' % size)
            handle = open(source, 'rb') if source is not None else None
            try:
                if handle is not None:
                    handle.seek(start)
                link.begin(payload_seconds(self.timeout, size))
                link.send(_FRAME_HEADER.pack(size))
                while sent < size:
                    want = min(_FILE_CHUNK, size - sent)
                    if handle is not None:
                        chunk = handle.read(want)
                        if not chunk:
                            raise OutcomeUnknown(cmd, self.host, self.port,
                                                 'the file shrank while it was sent (%d of %d bytes)' % (sent, size))
                    else:
                        chunk = data[start + sent:start + sent + want]
                    digest.update(chunk)
                    link.send(chunk)
                    sent += len(chunk)
            except (MinerUnreachable, MinerTimeout) as exc:
                raise OutcomeUnknown(cmd, self.host, self.port,
                                     'connection lost after %d of %d firmware bytes (%s)' % (sent, size, exc.message))
            finally:
                if handle is not None:
                    handle.close()
            try:
                link.begin(timeout)
                raw = link.read_frame(cmd, timeout=timeout)
                after = _decode_reply(raw, self.host, self.port)
            except NoReply:
                raise OutcomeUnknown(cmd, self.host, self.port,
                                     'all %d bytes sent, then the connection closed without an answer' % size)
            except (MinerUnreachable, MinerTimeout, ProtocolError) as exc:
                raise OutcomeUnknown(cmd, self.host, self.port, 'all %d bytes sent, then %s' % (size, exc.message))
        finally:
            self.close()
            self._salt = None
        code = _reply_code(after)
        if code != 0:
            raise v3_error_for(code if code is not None else after.get('code'), self._scrub(after.get('msg')), cmd,
                               self.host, self.port)
        return {'size': size, 'sha256': digest.hexdigest(), 'package': package['chiptype'] if package else None,
                'reply': after}


def _read_head(path, n):
    with open(path, 'rb') as handle:
        return handle.read(n)


def parse_firmware_header(head, file_size):
    """Packages of a combined MicroBT firmware image, or None when ``head`` is not such a header.

    Each package: ``{chiptype, platform, offset, size}``. The header check of section 7.1: at
    least 6812 bytes, a package count of at most 64, and header + data size within the file.
    """
    if head is None or len(head) < _FW_HEADER_SIZE or file_size < _FW_HEADER_SIZE:
        return None
    words = struct.unpack_from('<6I', head, 0)
    data_size, count = words[4], words[5]
    if count > _FW_MAX_PACKAGES or count == 0 or data_size + _FW_HEADER_SIZE > file_size:
        return None
    packages = []
    for index in range(count):
        base = _FW_RECORDS_OFFSET + index * _FW_RECORD_SIZE
        chiptype = head[base:base + 16].split(b'\x00', 1)[0].decode('ascii', 'replace')
        platform = head[base + 16:base + 32].split(b'\x00', 1)[0].decode('ascii', 'replace')
        offset, size = struct.unpack_from('<II', head, base + 32)
        if offset + size > file_size:
            return None
        packages.append({'chiptype': chiptype, 'platform': platform, 'offset': offset, 'size': size})
    return packages


def _clear_param(cmd, param):
    """Clear-text parameters as the firmware reads them (section 2.1)."""
    if cmd == 'set.miner.power_percent' and isinstance(param, dict) and 'percent' in param:
        # The firmware reads percent as a string although the doc says Number.
        param = dict(param)
        percent = param['percent']
        if isinstance(percent, float) and percent.is_integer():
            percent = int(percent)
        if not isinstance(percent, bool) and isinstance(percent, (int, float)):
            param['percent'] = str(percent)
    return param


# ---------------------------------------------------------------------------
# Detection (section 6.1)
# ---------------------------------------------------------------------------

V3_MAX_CLIENTS = 10
_BUSY_RETRY_SECONDS = 0.5


class V3PortBusy(MinerUnreachable):
    """The V3 port accepted the connection and closed it without answering: its client slots are full."""

    def __init__(self, host, port):
        super(V3PortBusy, self).__init__(
            host, port, 'the API V3 port accepted the connection and closed it without answering: its %d client '
            'connections are probably all in use (another tool or run); try again later, or set api: v3 to '
            'wait for it, or api: v2 for the reduced V2 API' % V3_MAX_CLIENTS)


def probe_v3(host, port=DEFAULT_V3_PORT, timeout=DEFAULT_DETECT_TIMEOUT, log=None, sleep=time.sleep):
    """``get.device.info system`` on the V3 port; return the API version text ("3.0.2", or "" if not given).

    Returns None when nothing V3 answers (refused, timeout, not a V3 frame, code != 0). Raises
    :class:`V3PortBusy` when the port accepts connections but closes them unanswered twice
    (half a second apart): a V3 miner whose client slots are full, never a V2 miner.
    """
    for attempt in (1, 2):
        client = WhatsMinerV3Client(host, port, timeout=timeout, log=log)
        try:
            msg = client.get('get.device.info', 'system')
        except (NoReply, MinerUnreachable) as exc:
            # Refused: nothing listens there. Accepted, then closed or reset before any answer: busy.
            if isinstance(exc, MinerUnreachable) and exc.phase == 'connect':
                return None
            if attempt == 2:
                raise V3PortBusy(host, port)
            sleep(_BUSY_RETRY_SECONDS)
            continue
        except (WhatsMinerError, OSError):
            return None
        finally:
            client.close()
        break
    system = msg.get('system')
    api = system.get('api') if isinstance(system, dict) else None
    if api is None:
        return ''
    api = str(api).strip()
    if api and not api.startswith('3'):
        return None
    return api


def probe_v2(host, port=DEFAULT_V2_PORT, timeout=DEFAULT_DETECT_TIMEOUT, log=None):
    """V2 ``get_version`` on 4028; True when a V2 envelope (success or API error) came back."""
    from ansible_collections.minerops.whatsminer.plugins.module_utils.client import WhatsMinerClient

    client = WhatsMinerClient(host, port, timeout=timeout, log=log)
    try:
        client.read('get_version')
    except ApiError:
        return True
    except (WhatsMinerError, OSError):
        return False
    return True


def detect_api(host, v2_port=DEFAULT_V2_PORT, v3_port=DEFAULT_V3_PORT, timeout=DEFAULT_DETECT_TIMEOUT, log=None):
    """Return ``'v3'`` or ``'v2'``: probe API V3 on ``v3_port`` first, then V2 on ``v2_port`` (section 6.1).

    V3 firmware also answers a reduced V2 API on 4028, so V3 is asked first. Raises
    :class:`MinerUnreachable` when neither answers.
    """
    if probe_v3(host, v3_port, timeout, log) is not None:
        return 'v3'
    if probe_v2(host, v2_port, timeout, log):
        return 'v2'
    raise MinerUnreachable(host, v3_port, 'neither API V3 on port %s nor API V2 on port %s answered' % (v3_port, v2_port))
