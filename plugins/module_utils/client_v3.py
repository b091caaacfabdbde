# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""WhatsMiner API V3 client (TCP 4433, reference_protocol.rst (V3)): framed JSON, salt + token writes, binary flows.

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

import collections
import hashlib
import json
import os
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils import crypto
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    V3_ENABLE_WRITES_HINT,
    MinerTimeout,
    MinerUnreachable,
    MissingLibrary,
    NoReply,
    OutcomeUnknown,
    ProtocolError,
    V3InvalidCommand,
    V3PermissionDenied,
    V3WrongPassword,
    WhatsMinerError,
    format_endpoint,
    v3_error_for,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies_v3 import json_type, parse_envelope, reply_code
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import (
    DEFAULT_FIRMWARE_TIMEOUT,
    DEFAULT_MAX_REPLY_BYTES,
    FRAME_HEADER,
    FW_HEADER_SIZE,
    ClientBase,
    FrameLink,
    choose_package,
    LogsResult,
    announced_length,
    encode_frame,
    parse_firmware_header,
    payload_seconds,
    read_head,
    stream_to_file,
)

DEFAULT_V3_PORT = 4433
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_FIRMWARE_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_LOG_BYTES = 1024 * 1024 * 1024
# The miner closes a connection idle for 300 s; reopen before that rather than race it.
IDLE_RECONNECT_SECONDS = 240.0

ACCOUNTS = ('super', 'user1', 'user2', 'user3')

# reference_protocol.rst V3 §3.4: exactly these two commands encrypt their parameter.
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

_FILE_CHUNK = 256 * 1024


class WhatsMinerV3Client(ClientBase):
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
        super(WhatsMinerV3Client, self).__init__(host, port, password, timeout, max_reply_bytes, log, connect_timeout)
        self.account = account
        self._link = None
        self._salt = None
        self._recent_tokens = collections.deque(maxlen=16)
        self.salts_fetched = 0
        self.connections_opened = 0
        self.idle_reconnect_seconds = IDLE_RECONNECT_SECONDS
        # Injectable for tests.
        self._time = time.time

    def __repr__(self):
        return '<WhatsMinerV3Client %s account=%s password=%s salt=%s>' % (
            format_endpoint(self.host, self.port), self.account,
            'set' if self._password is not None else 'unset', 'cached' if self._salt is not None else 'none')

    # ------------------------------------------------------------------ connection

    @property
    def connected(self):
        return self._link is not None

    def close(self):
        """Close the connection (the next request opens a new one)."""
        if self._link is not None:
            self._link.close()
            self._link = None
            self._debug('closed the connection to %s' % format_endpoint(self.host, self.port))

    def _open(self, deadline=None):
        sock = self._transport.connect(deadline)
        self.connections_opened += 1
        self._link = FrameLink(sock, self.host, self.port, self.timeout, self.max_reply_bytes, self._clock)
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

    def _reply_failure(self, exc, cmd, write, restarting):
        """The error to raise when the reply to ``cmd`` did not come whole (the link is closed then).

        A write whose request went out may have been applied: its fate is unknown.
        """
        self.close()
        if not write:
            return exc
        if isinstance(exc, NoReply):
            return OutcomeUnknown(cmd, self.host, self.port, 'connection closed without a reply')
        if isinstance(exc, MinerTimeout):
            return OutcomeUnknown(cmd, self.host, self.port, 'no reply within %s s' % exc.seconds)
        if isinstance(exc, MinerUnreachable):
            return OutcomeUnknown(cmd, self.host, self.port, 'connection lost while waiting for the reply')
        if restarting:
            return OutcomeUnknown(cmd, self.host, self.port, 'incomplete reply (%s)' % exc.message)
        return exc

    def _decoded(self, raw, cmd, write, restarting):
        try:
            return parse_envelope(raw, self.host, self.port)
        except ProtocolError as exc:
            if write and restarting:
                self.close()
                raise OutcomeUnknown(cmd, self.host, self.port, 'unreadable reply (%s)' % exc.message)
            raise

    def _exchange(self, cmd, payload, write=False, restarting=False, kind='read'):
        """Send one framed request, return the parsed reply envelope.

        A read is resent once on a new connection when a reused connection turns out closed.
        A write whose request went out but got no reply raises :class:`OutcomeUnknown`.
        """
        for attempt in (1, 2):
            link, reused = self._link_for_request(self._transport.deadline())
            first_on_reused = reused and attempt == 1
            try:
                link.send(payload)
            except (MinerUnreachable, MinerTimeout) as exc:
                self.close()
                if first_on_reused and isinstance(exc, MinerUnreachable):
                    # The miner had closed the connection: nothing was processed; reopen once.
                    self._debug('connection closed by the miner before %s; reconnecting once' % cmd)
                    continue
                raise
            self._record(cmd, kind)
            if write:
                self.writes_sent += 1
            try:
                raw = link.read_frame(cmd)
            except (MinerTimeout, MinerUnreachable, ProtocolError) as exc:
                if first_on_reused and not write and isinstance(exc, NoReply):
                    self.close()
                    self._debug('connection closed by the miner without answering %s; resending once' % cmd)
                    continue
                raise self._reply_failure(exc, cmd, write, restarting)
            self._debug('<- %s: %d bytes' % (cmd, len(raw)))
            return self._decoded(raw, cmd, write, restarting)
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
        code = reply_code(reply)
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
                                % (cmd, 'missing' if msg is None else 'a JSON %s' % json_type(msg)), self.host, self.port)
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
        digest = crypto.token_digest(cmd, self._password, salt, ts)
        token = crypto.token_from_digest(digest)
        self._recent_tokens.append(token)
        body = {'cmd': cmd, 'ts': ts, 'token': token, 'account': self.account}
        if cmd in ENCRYPTED_COMMANDS:
            if param is None:
                raise ValueError('%s needs a parameter' % cmd)
            body['param'] = crypto.encrypt_param(digest, param)
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
            code = reply_code(reply)
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
            hint = ('no permission: the API write switch of this miner is off (system.apiswitch 0). ' + V3_ENABLE_WRITES_HINT)
            return V3PermissionDenied(code, msg, cmd, self.host, self.port, hint=hint)
        if self._password == self.account:
            # The factory password is the account name: the account is not named here, or masking the
            # password (no_log) would garble the message.
            hint = ('no permission: the API V3 account still has its factory default password (the account name); '
                    'change it first (WhatsMinerTool or the web UI), then use the new one. ') + V3_ENABLE_WRITES_HINT
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

    # ------------------------------------------------------------------ log download (section 7.2)

    def download_logs(self, dest_path, max_bytes=DEFAULT_MAX_LOG_BYTES):
        """``get.log.download``: write the log archive (.tgz) to ``dest_path``; return ``LogsResult``.

        ``logsize`` "0" returns ``LogsResult(0, None)`` and writes no file. The file is written
        to ``dest_path + '.part'`` and renamed when complete. The connection is closed afterwards.
        """
        cmd = 'get.log.download'
        try:
            reply = self._exchange(cmd, encode_frame({'cmd': cmd}))
            code = reply_code(reply)
            if code != 0:
                raise v3_error_for(code if code is not None else reply.get('code'), self._scrub(reply.get('msg')), cmd,
                                   self.host, self.port)
            length = announced_length(reply, reply.get('msg'), 'logsize', cmd, max_bytes, self.host, self.port)
            if length == 0:
                self._debug('get.log.download: the miner has no logs (logsize 0)')
                return LogsResult(0, None)
            link = self._link
            link.begin(payload_seconds(self.timeout, length))
            result = stream_to_file(dest_path, length, lambda sink: link.read_raw(length, sink, cmd))
            self._debug('get.log.download: %d bytes written' % length)
            return result
        finally:
            # Whether the miner keeps the connection after the binary tail is UNCONFIRMED: close it.
            self.close()

    # ------------------------------------------------------------------ firmware upload (section 7.1)

    def _firmware_package(self, header, file_size, platform):
        """The package of a combined image for the miner's platform; None for a plain image."""
        packages = parse_firmware_header(header, file_size)
        if packages is None:
            return None
        if platform is None:
            system = self.get('get.device.info', 'system')
            platform = system.get('system', {}).get('platform') if isinstance(system, dict) else None
            if not platform:
                raise ProtocolError('get.device.info system: no platform to choose the firmware package', self.host, self.port)
        return choose_package(packages, platform, self.host, self.port)

    def _send_image(self, link, image, start, size):
        """Send ``size`` bytes of ``image`` (bytes, or an open file) from ``start``; return their SHA-256."""
        cmd = 'set.system.update_firmware'
        digest = hashlib.sha256()
        sent = 0
        try:
            if not isinstance(image, bytes):
                image.seek(start)
            link.begin(payload_seconds(self.timeout, size))
            link.send(FRAME_HEADER.pack(size))
            while sent < size:
                want = min(_FILE_CHUNK, size - sent)
                chunk = image[start + sent:start + sent + want] if isinstance(image, bytes) else image.read(want)
                if not chunk:
                    raise OutcomeUnknown(cmd, self.host, self.port, 'the file shrank while it was sent (%d of %d bytes)' % (sent, size))
                digest.update(chunk)
                link.send(chunk)
                sent += len(chunk)
        except (MinerUnreachable, MinerTimeout) as exc:
            raise OutcomeUnknown(cmd, self.host, self.port, 'connection lost after %d of %d firmware bytes (%s)' % (sent, size, exc.message))
        return digest

    def _final_answer(self, link, size, timeout):
        cmd = 'set.system.update_firmware'
        try:
            link.begin(timeout)
            return parse_envelope(link.read_frame(cmd, timeout=timeout), self.host, self.port)
        except NoReply:
            raise OutcomeUnknown(cmd, self.host, self.port, 'all %d bytes sent, then the connection closed without an answer' % size)
        except (MinerUnreachable, MinerTimeout, ProtocolError) as exc:
            raise OutcomeUnknown(cmd, self.host, self.port, 'all %d bytes sent, then %s' % (size, exc.message))

    def _ready_for_firmware(self):
        cmd = 'set.system.update_firmware'
        try:
            reply = self._write(cmd, None, False)
        except OutcomeUnknown as exc:
            # No firmware byte has been sent yet: nothing was applied.
            raise ProtocolError('%s: no "ready" from the miner (%s); no firmware byte was sent' % (cmd, exc.reason), self.host, self.port)
        msg = reply.get('msg')
        if not (isinstance(msg, str) and msg.strip().lower() == 'ready'):
            self.close()
            self._salt = None
            raise ProtocolError('%s: expected msg "ready"' % cmd, self.host, self.port, raw=json.dumps(reply)[:120])

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
        in_memory = isinstance(path_or_bytes, (bytes, bytearray, memoryview))
        source = None if in_memory else os.fspath(path_or_bytes)
        data = bytes(path_or_bytes) if in_memory else None
        file_size = len(data) if in_memory else os.path.getsize(source)
        header = data[:FW_HEADER_SIZE] if in_memory else read_head(source, FW_HEADER_SIZE)
        package = self._firmware_package(header, file_size, platform)
        start, size = (package['offset'], package['size']) if package else (0, file_size)
        if size <= 0 or size >= 2 ** 32:
            raise ValueError('firmware size must be between 1 byte and 4 GiB')
        if size > max_bytes:
            raise ValueError('the firmware image (%d bytes) exceeds the limit of %d bytes' % (size, max_bytes))
        self._ready_for_firmware()
        link = self._link
        try:
            self._debug('set.system.update_firmware: miner ready, sending %d bytes' % size)
            if in_memory:
                digest = self._send_image(link, data, start, size)
            else:
                with open(source, 'rb') as handle:
                    digest = self._send_image(link, handle, start, size)
            after = self._final_answer(link, size, timeout)
        finally:
            self.close()
            self._salt = None
        code = reply_code(after)
        if code != 0:
            raise v3_error_for(code if code is not None else after.get('code'), self._scrub(after.get('msg')),
                               'set.system.update_firmware', self.host, self.port)
        return {'size': size, 'sha256': digest.hexdigest(), 'package': package['chiptype'] if package else None,
                'reply': after}


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
