# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""WhatsMiner API V2.2 client (reference_protocol.rst): plain reads, token-encrypted writes, streams.

Secrets (admin password, key, sign, AES key, pool passwords in parameters) never appear in
exceptions, reprs or log lines; ``requests_sent`` lists command names only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct

from ansible_collections.minerops.whatsminer.plugins.module_utils.crypto import TokenCredentials, require_libraries
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    InvalidCommand,
    MinerTimeout,
    MinerUnreachable,
    NoReply,
    OutcomeUnknown,
    ProtocolError,
    WhatsMinerError,
    api_error_for,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import (
    envelope_status,
    parse_reply,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import (
    DEFAULT_FIRMWARE_TIMEOUT,
    DEFAULT_MAX_REPLY_BYTES,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    FW_HEADER_SIZE,
    ClientBase,
    LogsResult,
    announced_length,
    choose_package,
    parse_firmware_header,
    payload_seconds,
    read_head,
    stream_to_file,
)

# Commands that restart btminer or the control board (reference_protocol.rst V2.2 §4, field note).
RESTARTING_COMMANDS = frozenset((
    'reboot', 'restart_btminer', 'power_off', 'power_on', 'set_low_power', 'set_normal_power',
    'set_high_power', 'net_config', 'set_target_freq', 'adjust_power_limit', 'factory_reset',
))

# Parameters the manual types as numbers (sent as JSON integers); every other value is a string.
_INT_PARAMS = {
    'set_led': frozenset(('period', 'duration', 'start')),
}

_PASSWORD_RE = re.compile(r'^[A-Za-z0-9_]{1,8}\Z')
_FILE_CHUNK = 256 * 1024
DEFAULT_MAX_LOG_BYTES = 1024 * 1024 * 1024


def _param_value(cmd, name, value):
    if name in _INT_PARAMS.get(cmd, ()):
        if isinstance(value, bool):
            raise TypeError('parameter %s of %s must be an integer' % (name, cmd))
        return int(value)
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ' '.join(str(v) for v in value)
    if isinstance(value, dict):
        raise TypeError('parameter %s of %s cannot be a mapping' % (name, cmd))
    return str(value)


def command_body(cmd, params):
    """The request object: ``{"cmd": cmd, <params as strings (set_led numbers as ints)>}``; None values dropped."""
    body = {'cmd': cmd}
    for name, value in params.items():
        if value is None:
            continue
        body[name] = _param_value(cmd, name, value)
    return body


def _dumps(body):
    return json.dumps(body, separators=(',', ':'), ensure_ascii=True).encode('ascii')


_PRINTABLE_OBJECT = re.compile(rb'^\{[\x09\x0a\x0d\x20-\x7e]*\}\s*$')


def _decrypted_reply(plain, command):
    """A decrypted reply, parsed strictly: under a wrong key the plaintext is noise, never "repaired" into a reply.

    Only printable text that is one JSON object from its first to its last byte gets the field repairs of
    parse_reply (real firmware's quirks); anything else is a ProtocolError.
    """
    try:
        reply = json.loads(plain.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if not _PRINTABLE_OBJECT.match(plain):
            raise ProtocolError('the encrypted reply to %s does not decrypt to JSON (a wrong admin password, or a '
                                'corrupted reply)' % command)
        reply = parse_reply(plain)
    if not isinstance(reply, dict):
        raise ProtocolError('the encrypted reply to %s decrypts to JSON that is not an object' % command)
    return reply


def _msg_object(reply):
    """A reply's ``Msg``; firmware that sends it as JSON text gets it parsed (None when that fails)."""
    msg = reply.get('Msg')
    if isinstance(msg, str):
        try:
            return parse_reply(msg)
        except ProtocolError:
            return None
    return msg


class WhatsMinerClient(ClientBase):
    """API V2.2 client for one miner (TCP 4028): plain reads, token-encrypted writes, one connection per request."""

    def __init__(self, host, port=DEFAULT_PORT, password=None, timeout=DEFAULT_TIMEOUT,
                 max_reply_bytes=DEFAULT_MAX_REPLY_BYTES, log=None, connect_timeout=None):
        super(WhatsMinerClient, self).__init__(host, port, password, timeout, max_reply_bytes, log, connect_timeout)
        self._session = None
        self.tokens_fetched = 0

    def __repr__(self):
        return '<WhatsMinerClient %s:%s password=%s token=%s>' % (
            self.host, self.port, 'set' if self._password is not None else 'unset',
            'cached' if self._session is not None else 'none')

    # ------------------------------------------------------------------ helpers

    @property
    def has_token(self):
        return self._session is not None

    def _exchange(self, name, payload, encrypted=False):
        conn = self._transport.open_stream(name)
        try:
            self._record(name, 'encrypted' if encrypted else 'plain')
            conn.send(payload)
            if encrypted:
                self.writes_sent += 1
            raw = conn.read_to_eof(self._transport.max_reply_bytes)
        finally:
            conn.close()
        self._debug('<- %s: %d bytes' % (name, len(raw)))
        return raw

    def _decode(self, raw, command, session=None):
        """Parse a reply; decrypt ``{"enc":"<base64>"}`` with ``session``."""
        try:
            reply = parse_reply(raw)
            enc = reply.get('enc')
            if isinstance(enc, str) and enc:
                if session is None:
                    raise ProtocolError('encrypted reply to %s, but no token is in use' % command)
                reply = _decrypted_reply(session.decrypt_reply(enc), command)
        except ProtocolError as exc:
            raise exc.with_endpoint(self.host, self.port)
        return reply

    def _error(self, reply, command):
        ok, code, msg = envelope_status(reply)
        if ok:
            return None
        if not isinstance(msg, str) and msg is not None:
            msg = json.dumps(msg, sort_keys=True)[:200]
        return api_error_for(code, msg, command, self.host, self.port)

    # ------------------------------------------------------------------ reads

    def read(self, cmd, **params):
        """Send a read command in plain text; return the parsed reply dict.

        Raises ApiError subclasses on error envelopes, MinerUnreachable, MinerTimeout, ProtocolError.
        """
        raw = self._exchange(cmd, _dumps(command_body(cmd, params)))
        reply = self._decode(raw, cmd)
        err = self._error(reply, cmd)
        if err is not None:
            raise err
        return reply

    def read_joined(self, *cmds):
        """One request for several read commands (``"summary+pools"``); return the reply.

        Sections that newer firmware puts under ``Msg`` are lifted to the top level, so the
        reply always has ``SUMMARY``/``POOLS``/... keys for the sections the miner sent.
        """
        if not cmds:
            raise ValueError('read_joined needs at least one command')
        name = '+'.join(cmds)
        reply = self.read(name)
        for cmd in cmds:
            sub = reply.get(cmd)
            if isinstance(sub, list) and sub and isinstance(sub[0], dict) and 'STATUS' in sub[0]:
                err = self._error(sub[0], cmd)
                if err is not None:
                    raise err
        return lift_sections(reply, cmds)

    # ------------------------------------------------------------------ token

    def _ensure_session(self):
        if self._session is not None:
            return self._session
        if self._password is None:
            raise WhatsMinerError('an admin password is required for write commands', self.host, self.port)
        require_libraries()
        msg = _msg_object(self.read('get_token'))
        try:
            session = TokenCredentials.from_token_reply(self._password, msg)
        except ProtocolError as exc:
            raise exc.with_endpoint(self.host, self.port)
        self.tokens_fetched += 1
        self._session = session
        self._debug('token fetched (%d so far by this client)' % self.tokens_fetched)
        return session

    def invalidate_token(self):
        """Forget the cached token; the next write fetches a new one (needed after update_pwd)."""
        self._session = None

    def set_password(self, new):
        """Switch to another admin password (e.g. after update_pwd); drops the cached token."""
        self._password = new
        self._session = None

    # ------------------------------------------------------------------ writes

    def write(self, cmd, restarting=False, **params):
        """Send a writable command encrypted with the client's token; return the decrypted reply.

        One token per client, fetched lazily and reused. On Code 135 (token refused) a new token
        is fetched and the command resent once. After the request was sent, a connection closed
        without reply, a reset or a read timeout raise :class:`OutcomeUnknown` (never resent).
        With ``restarting=True`` (commands that restart btminer or the board) an incomplete or
        garbled reply also raises OutcomeUnknown.
        """
        body = command_body(cmd, params)
        for attempt in (1, 2):
            session = self._ensure_session()
            payload = session.encrypt_command(body)
            try:
                raw = self._exchange(cmd, payload, encrypted=True)
            except NoReply:
                raise OutcomeUnknown(cmd, self.host, self.port, 'connection closed without a reply')
            except MinerTimeout as exc:
                if exc.phase == 'read':
                    raise OutcomeUnknown(cmd, self.host, self.port, 'no reply within %s s' % exc.seconds)
                raise
            except MinerUnreachable as exc:
                if exc.phase == 'read':
                    raise OutcomeUnknown(cmd, self.host, self.port, 'connection lost while waiting for the reply')
                raise
            try:
                reply = self._decode(raw, cmd, session)
            except ProtocolError as exc:
                if restarting:
                    raise OutcomeUnknown(cmd, self.host, self.port, 'incomplete reply (%s)' % exc.message)
                raise
            if envelope_status(reply)[0]:
                return reply
            self._refused(reply, cmd, attempt)
        raise AssertionError('unreachable')  # pragma: no cover

    def _refused(self, reply, cmd, attempt):
        """An error reply to a token request: a stale token (135) on the first attempt is dropped so the
        caller resends once with a new one; anything else raises the typed error."""
        if envelope_status(reply)[1] == 135 and attempt == 1:
            self._debug('token refused (135): fetching a new one and resending %s once' % cmd)
            self._session = None
            return
        raise self._error(reply, cmd)

    def write_restarting(self, cmd, **params):
        """``write(cmd, restarting=True, **params)``."""
        return self.write(cmd, restarting=True, **params)

    def get_customer_msg(self):
        """Return get_customer_msg's ``Msg`` (CustomerSn, msg0..msg9), a dict (needs the token)."""
        msg = _msg_object(self.write('get_customer_msg'))
        return msg if isinstance(msg, dict) else {}

    def check_credentials(self):
        """Prove the admin password and the write switch without changing anything (a token and get_customer_msg).

        Firmware before the 2025 V2.2 manual lacks get_customer_msg and answers 14 "invalid cmd" - only once it has
        decrypted the request, which takes the key of the right password (a wrong one gets 23 "enc json load err").
        """
        try:
            self.get_customer_msg()
        except InvalidCommand as exc:
            if exc.code != 14:
                raise

    def change_password(self, new):
        """update_pwd from the current admin password to ``new``; switch this client to ``new``."""
        if not isinstance(new, str) or not _PASSWORD_RE.match(new):
            raise ValueError('the new admin password must be 1-8 letters, digits or underscores')
        if self._password is None:
            raise WhatsMinerError('an admin password is required for write commands', self.host, self.port)
        reply = self.write('update_pwd', old=self._password, new=new)
        self.set_password(new)
        return reply

    # ------------------------------------------------------------------ streams

    def _stream_command(self, cmd):
        """Open a connection, send ``cmd`` encrypted, read the JSON header; retry once on 135.

        Returns (connection, reply) with the connection still open.
        """
        for attempt in (1, 2):
            session = self._ensure_session()
            payload = session.encrypt_command(command_body(cmd, {}))
            conn = self._transport.open_stream(cmd)
            try:
                self._record(cmd, 'encrypted')
                conn.send(payload)
                self.writes_sent += 1
                header = conn.read_header()
                reply = self._decode(header, cmd, session)
            except BaseException:
                conn.close()
                raise
            if envelope_status(reply)[0]:
                return conn, reply
            conn.close()
            self._refused(reply, cmd, attempt)
        raise AssertionError('unreachable')  # pragma: no cover

    def upload_firmware(self, path_or_bytes, timeout=DEFAULT_FIRMWARE_TIMEOUT):
        """Upload a firmware image (reference_protocol.rst V2.2 §5).

        Sends update_firmware encrypted, waits for Msg "ready" (plain or encrypted, possibly
        split), then sends the size as a 4-byte little-endian integer and the image on the same
        connection. Returns ``{'size', 'sha256', 'reply'}`` when the miner acknowledged the image;
        raises the ApiError subclass when it refused it (nothing applied), and
        :class:`OutcomeUnknown` when the connection was lost while or after sending or the miner
        closed without a (readable) answer: then read the firmware version back, never resend blindly.
        Before "ready" nothing has been sent, so errors there are ordinary errors. ``timeout`` bounds the wait
        for the final answer, which comes once the miner has checked and written the image (minutes).
        """
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)
            size = len(data)
            source = None
        else:
            source = os.fspath(path_or_bytes)
            size = os.path.getsize(source)
            data = None
        start, size, package = self._firmware_package(data, source, size)
        if size <= 0 or size >= 2 ** 32:
            raise ValueError('firmware size must be between 1 byte and 4 GiB')
        conn, reply = self._stream_command('update_firmware')
        digest = hashlib.sha256()
        sent = 0
        try:
            msg = reply.get('Msg')
            if not (isinstance(msg, str) and msg.strip().lower() == 'ready'):
                raise ProtocolError('update_firmware: expected Msg "ready"', self.host, self.port,
                                    raw=json.dumps(reply)[:120])
            self._debug('update_firmware: miner ready, sending %d bytes' % size)
            handle = open(source, 'rb') if source is not None else None
            try:
                if handle is not None:
                    handle.seek(start)
                conn.set_deadline(payload_seconds(self.timeout, size))
                conn.send(struct.pack('<I', size))
                while sent < size:
                    if handle is not None:
                        chunk = handle.read(min(_FILE_CHUNK, size - sent))
                        if not chunk:
                            raise OutcomeUnknown('update_firmware', self.host, self.port,
                                                 'the file shrank while it was sent (%d of %d bytes)' % (sent, size))
                    else:
                        chunk = data[start + sent:start + sent + min(_FILE_CHUNK, size - sent)]
                    digest.update(chunk)
                    conn.send(chunk)
                    sent += len(chunk)
            except (MinerUnreachable, MinerTimeout) as exc:
                raise OutcomeUnknown('update_firmware', self.host, self.port,
                                     'connection lost after %d of %d firmware bytes (%s)' % (sent, size, exc.message))
            finally:
                if handle is not None:
                    handle.close()
            try:
                final = max(self.timeout, timeout)
                conn.set_deadline(final, silence=final)
                tail = conn.read_to_eof(DEFAULT_MAX_REPLY_BYTES)
            except NoReply:
                raise OutcomeUnknown('update_firmware', self.host, self.port,
                                     'all %d bytes sent, then the connection closed without an answer' % size)
            except (MinerUnreachable, MinerTimeout, ProtocolError) as exc:
                raise OutcomeUnknown('update_firmware', self.host, self.port,
                                     'all %d bytes sent, then %s' % (size, exc.message))
        finally:
            conn.close()
        try:
            after = self._decode(tail, 'update_firmware', self._session)
        except ProtocolError as exc:
            raise OutcomeUnknown('update_firmware', self.host, self.port,
                                 'all %d bytes sent, unreadable answer (%s)' % (size, exc.message))
        err = self._error(after, 'update_firmware')
        if err is not None:
            raise err
        return {'size': size, 'sha256': digest.hexdigest(), 'package': package['chiptype'] if package else None, 'reply': after}

    def _firmware_package(self, data, source, file_size):
        """``(start, size, package)`` of what to upload: a combined MicroBT image is reduced to the package for the
        miner's platform (get_version), as MicroBT's own fleet worker does over API V2 too; other files go whole."""
        header = data[:FW_HEADER_SIZE] if data is not None else read_head(source, FW_HEADER_SIZE)
        packages = parse_firmware_header(header, file_size)
        if packages is None:
            return 0, file_size, None
        version = _msg_object(self.read('get_version'))
        platform = version.get('platform') if isinstance(version, dict) else None
        package = choose_package(packages, platform, self.host, self.port)
        return package['offset'], package['size'], package

    def download_logs(self, dest_path, max_bytes=DEFAULT_MAX_LOG_BYTES):
        """Download the miner's log archive to ``dest_path``; return ``LogsResult(length, sha256_hex)``.

        ``logfilelen`` "0" returns ``LogsResult(0, None)`` and writes no file. The received
        length is verified; the file is written to ``dest_path + '.part'`` then renamed.
        """
        conn, reply = self._stream_command('download_logs')
        try:
            length = announced_length(reply, _msg_object(reply), 'logfilelen', 'download_logs', max_bytes, self.host, self.port)
            if length == 0:
                self._debug('download_logs: the miner has no logs (logfilelen 0)')
                return LogsResult(0, None)
            conn.set_deadline(payload_seconds(self.timeout, length))
            result = stream_to_file(dest_path, length, lambda sink: conn.read_exact(length, sink))
            self._debug('download_logs: %d bytes written' % length)
            return result
        finally:
            conn.close()


def _section_sources(reply, cmds):
    """The dicts that may hold sections: the reply, each command's entry (cgminer layout), ``Msg``."""
    sources = [reply]
    for cmd in cmds:
        sub = reply.get(cmd)
        if sub is None:
            sub = reply.get(str(cmd).lower())
        if isinstance(sub, list) and sub and isinstance(sub[0], dict):
            sub = sub[0]
        if isinstance(sub, dict):
            sources.append(sub)
    if isinstance(reply.get('Msg'), dict):
        sources.append(reply['Msg'])
    return sources


def _summary_rows(msg):
    """Newer firmware's summary row(s) straight under ``Msg``, or None."""
    if isinstance(msg, dict) and _looks_like_summary(msg):
        return [msg]
    if isinstance(msg, list):
        rows = [row for row in msg if isinstance(row, dict)]
        if rows and _looks_like_summary(rows[0]):
            return rows
    return None


def lift_sections(reply, cmds=()):
    """Give a joined reply (``summary+pools``) top-level ``SUMMARY``/``POOLS``/... sections.

    Handles the three layouts seen: sections at the top level; cgminer's
    ``{"summary": [{"STATUS": [...], "SUMMARY": [...]}], "pools": [...], "id": 1}``; and newer
    firmware's sections under ``Msg`` (``{"SUMMARY": [...]}``, or the summary row itself, or a
    list of summary rows). Returns a new dict; the original keys are kept.
    """
    if not isinstance(reply, dict):
        return reply
    result = dict(reply)
    for source in _section_sources(reply, cmds):
        for key, value in source.items():
            name = str(key).upper()
            if name in _SECTIONS and name not in result and (name == key or source is not reply):
                result[name] = value if isinstance(value, list) else [value]
    if 'SUMMARY' in [str(c).upper() for c in cmds] and 'SUMMARY' not in result:
        rows = _summary_rows(reply.get('Msg'))
        if rows is not None:
            result['SUMMARY'] = rows
    if 'EDEVS' in result and 'DEVS' not in result:
        result['DEVS'] = result['EDEVS']
    return result


_SECTIONS = frozenset(('SUMMARY', 'POOLS', 'DEVS', 'EDEVS', 'DEVDETAILS'))


def _looks_like_summary(data):
    keys = set(re.sub(r'[\s_]+', '', str(k)).lower() for k in data)
    return bool(keys & set(('elapsed', 'mhsav', 'mhs1m', 'hsrt', 'uptime', 'powermode')))
