# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Typed exceptions of the WhatsMiner API client.

Every exception carries ``host`` and ``port`` (``None`` when not tied to a miner) and a
message that never contains a secret (admin password, key, sign, AES key, pool password).
``str(exc)`` is ``"<host>:<port>: <message>"`` when the host is known.
"""

from __future__ import annotations

import json
import re


class ModuleFailure(Exception):
    """A failure the resource logic detected itself (bad input, miner in an unexpected state).

    ``details`` are returned with the failed result (never put secrets there).
    """

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


def format_endpoint(host, port):
    """Return ``host:port`` (``[v6addr]:port`` for IPv6 literals)."""
    if host is None:
        return ''
    host = str(host)
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    if port is None:
        return host
    return '%s:%s' % (host, port)


# Keys whose values must never be shown, whatever their spelling.
_SECRET_VALUE_RE = re.compile(
    r'("(?:token|sign|key|aeskey|pass(?:wd|word)?\d*|pwd|old|new|salt|newsalt|enc|data)"\s*:\s*)"(?:[^"\\]|\\.)*"?',
    re.IGNORECASE,
)
_NON_PRINTABLE_RE = re.compile(r'[^\x20-\x7e]')


def safe_excerpt(raw, limit=120):
    """Return a short, printable, secret-free excerpt of a reply for error messages.

    Values of keys that could hold secrets (token, passwd*, key, sign, enc/data blobs...)
    are replaced by ``"***"``; non-printable characters are shown as ``?``.
    """
    if raw is None:
        return ''
    if isinstance(raw, (bytes, bytearray)):
        text = bytes(raw[:limit * 4]).decode('utf-8', 'replace')
    else:
        text = str(raw)[:limit * 4]
    text = _SECRET_VALUE_RE.sub(r'\1"***"', text)
    text = _NON_PRINTABLE_RE.sub('?', text)
    if len(text) > limit:
        text = text[:limit] + '...'
    return text


class WhatsMinerError(Exception):
    """Base class of all client errors."""

    def __init__(self, message, host=None, port=None):
        super(WhatsMinerError, self).__init__(message)
        self.message = message
        self.host = host
        self.port = port

    def __str__(self):
        if self.host is not None:
            return '%s: %s' % (format_endpoint(self.host, self.port), self.message)
        return self.message

    def with_endpoint(self, host, port):
        """Fill in host/port when not yet known; return self (for ``raise exc.with_endpoint(...)``)."""
        if self.host is None:
            self.host = host
            self.port = port
        return self


class MinerUnreachable(WhatsMinerError):
    """Connection refused, no route to host, DNS failure, ..."""

    def __init__(self, host, port, reason='', phase='connect'):
        self.reason = reason
        self.phase = phase
        message = 'cannot reach the miner API at %s' % format_endpoint(host, port)
        if reason:
            message += ' (%s)' % reason
        super(MinerUnreachable, self).__init__(message, host, port)

    def __str__(self):
        # The message already names host:port.
        return self.message


class MinerTimeout(WhatsMinerError):
    """A time limit passed (``phase`` is ``resolve``, ``connect``, ``read``, ``send`` or ``wait``)."""

    def __init__(self, host, port, seconds, phase='read', detail=''):
        self.seconds = seconds
        self.phase = phase
        what = {
            'resolve': 'resolving the name of',
            'connect': 'connecting to',
            'read': 'waiting for a reply from',
            'send': 'sending to',
            'wait': 'waiting for the miner API to answer at',
        }.get(phase, 'talking to')
        message = 'timed out after %s s %s %s' % (_fmt_seconds(seconds), what, format_endpoint(host, port))
        if detail:
            message += ' (%s)' % detail
        super(MinerTimeout, self).__init__(message, host, port)

    def __str__(self):
        return self.message


def _fmt_seconds(seconds):
    try:
        return ('%.3f' % float(seconds)).rstrip('0').rstrip('.')
    except (TypeError, ValueError):
        return str(seconds)


class ProtocolError(WhatsMinerError):
    """Unparseable, unexpected or oversized reply. ``excerpt`` is short and secret-free."""

    def __init__(self, message, host=None, port=None, raw=None):
        self.excerpt = safe_excerpt(raw) if raw is not None else None
        if self.excerpt:
            message = '%s; reply starts: %s' % (message, self.excerpt)
        super(ProtocolError, self).__init__(message, host, port)


class NoReply(ProtocolError):
    """The miner closed (or reset) the connection without sending a single byte.

    For a write command the client turns this into :class:`OutcomeUnknown`.
    """

    def __init__(self, host=None, port=None, command=None):
        self.command = command
        message = 'the miner closed the connection without a reply'
        if command:
            message += ' to %s' % command
        super(NoReply, self).__init__(message, host, port)


class ApiError(WhatsMinerError):
    """The miner answered with an error envelope (``STATUS`` "E")."""

    default_hint = ''

    def __init__(self, code, api_msg, command=None, host=None, port=None, hint=None):
        self.code = code
        self.api_msg = api_msg
        self.command = command
        hint = self.default_hint if hint is None else hint
        message = '%s failed: API error %s' % (command or 'command', code if code is not None else '(no code)')
        if api_msg:
            message += ' "%s"' % safe_excerpt(api_msg, 200)
        if hint:
            message += ': %s' % hint
        super(ApiError, self).__init__(message, host, port)


class InvalidCommand(ApiError):
    """Code 14: invalid API command or data."""
    default_hint = 'invalid API command or data (unknown to this firmware, or a parameter out of range)'


class WrongPassword(ApiError):
    """Code 23: the miner could not decrypt the request."""
    default_hint = ('wrong admin password or undecryptable request (the miner could not decrypt it '
                    'with the key derived from the configured admin password)')


class WriteApiDisabled(ApiError):
    """Code 45: write API not enabled."""
    default_hint = ('permission denied: the write API is not enabled on this miner. Enable it in '
                    'WhatsMinerTool: change the default admin password (admin), then switch on '
                    '"Miner API" (API writes) for this miner')


class CommandFailed(ApiError):
    """Code 132: the miner refused or failed the command."""
    default_hint = 'the miner reported that the command failed'


class TokenError(ApiError):
    """Code 135: token stale or wrong."""
    default_hint = 'the miner rejected the token (stale or wrong) even after fetching a new one'


class TokenExhausted(ApiError):
    """Code 136: token over max times."""
    default_hint = ('the miner has no token left for this client: the V2.2 manual allows 100 tokens, older firmware '
                    '32 per client IP (16 IPs), each kept 30 minutes; every task that writes costs one. Wait for '
                    'tokens to expire, and run fewer writing tasks per miner (one whatsminer task per run and miner '
                    'where you can)')


class Base64Error(ApiError):
    """Code 137: base64 decode error."""
    default_hint = 'the miner could not base64-decode the encrypted request'


_API_ERRORS = {
    14: InvalidCommand,
    23: WrongPassword,
    45: WriteApiDisabled,
    132: CommandFailed,
    135: TokenError,
    136: TokenExhausted,
    137: Base64Error,
}


def api_error_for(code, msg, command=None, host=None, port=None):
    """Return (not raise) the :class:`ApiError` subclass instance for ``code``."""
    try:
        icode = int(code)
    except (TypeError, ValueError):
        icode = None
    cls = _API_ERRORS.get(icode, ApiError)
    if icode is None and msg and 'write cmd' in str(msg):
        # "can't access write cmd" arrives on some firmware without a usable code.
        cls = WriteApiDisabled
    if not isinstance(msg, str) and msg is not None:
        msg = str(msg)
    return cls(icode if icode is not None else code, msg, command, host, port)


class OutcomeUnknown(WhatsMinerError):
    """A write command was sent but no (complete) reply arrived: it may or may not have been applied."""

    def __init__(self, command, host=None, port=None, reason=''):
        self.command = command
        self.reason = reason
        message = ('no reply to %s%s: the command may or may not have been applied. Wait for the miner '
                   'to answer again and read the setting back; never resend it blindly'
                   % (command, ' (%s)' % reason if reason else ''))
        super(OutcomeUnknown, self).__init__(message, host, port)


class MissingLibrary(WhatsMinerError):
    """A required Python library is not installed on the host running the client."""

    def __init__(self, library, pip_name=None, import_error=None):
        self.library = library
        self.pip_name = pip_name or library
        self.import_error = import_error
        message = ('the Python library %s is required for the WhatsMiner write API but cannot be imported; '
                   'install it with: pip install %s' % (library, self.pip_name))
        super(MissingLibrary, self).__init__(message)


# ---------------------------------------------------------------------------
# Errors (V3 status codes, section 2.3)
# ---------------------------------------------------------------------------

V3_ENABLE_WRITES_HINT = (
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

    default_hint = 'no permission: ' + V3_ENABLE_WRITES_HINT


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


V3_MAX_CLIENTS = 10


class Unsupported(InvalidCommand):
    """A command this miner's firmware does not know (older firmware answers 14 "invalid cmd"); names the firmware."""


class NotReported(InvalidCommand):
    """The miner knows the command but cannot report this section in its current state (API V3 pools while not mining)."""


class V3PortBusy(MinerUnreachable):
    """The V3 port accepted the connection and closed it without answering: its client slots are full."""

    def __init__(self, host, port):
        super(V3PortBusy, self).__init__(
            host, port, 'the API V3 port accepted the connection and closed it without answering: its %d client '
            'connections are probably all in use (another tool or run); try again later, or set api: v3 to '
            'wait for it, or api: v2 for the reduced V2 API' % V3_MAX_CLIENTS)
