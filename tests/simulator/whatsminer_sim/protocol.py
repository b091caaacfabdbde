# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Framing and reply shapes of the V2.2 API (reference_protocol.rst V2.2 §1, 2 and 4)."""

import json
import re

MAX_REQUEST = 64 * 1024

# Reply codes and the Msg texts real miners send with them.
CODE_INVALID_CMD = 14
CODE_JSON = 23
CODE_NO_WRITE = 45
CODE_OK = 131
CODE_CMD_ERROR = 132
CODE_TOKEN_OK = 134
CODE_TOKEN_BAD = 135
CODE_TOKEN_MAX = 136
CODE_BASE64 = 137

MSG_INVALID_CMD = 'invalid cmd'
MSG_JSON = 'json load err'
MSG_ENC_JSON = 'enc json load err'
MSG_NO_WRITE = "can't access write cmd"
MSG_OK = 'API command OK'
MSG_TOKEN_BAD = 'check token err'
MSG_TOKEN_MAX = 'over max connect'
MSG_BASE64 = 'base64 decode err'

API_V1_DESCRIPTION = 'whatsminer v1.4.0'
API_V2_VERSION = '2.0.5'

# cgminer-style reads: command -> (section name, STATUS code, Msg text or template)
CGMINER_SECTIONS = {
    'summary': ('SUMMARY', 11, 'Summary'),
    'pools': ('POOLS', 7, '{n} Pool(s)'),
    'edevs': ('DEVS', 9, '{n} ASC(s)'),
    'devs': ('DEVS', 9, '{n} ASC(s)'),
    'devdetails': ('DEVDETAILS', 69, 'Device Details'),
}


class FrameScanner:
    """Find the end of one JSON object in a byte stream, without a delimiter.

    The V2 API has no framing: the request ends where its JSON text ends. The scanner
    tracks nesting depth outside strings (with escapes) and reports the end offset of
    the first complete top-level value. It never needs the whole text twice, so feeding
    it byte chunks as they arrive costs O(n).
    """

    def __init__(self):
        self.buf = bytearray()
        self._pos = 0
        self._depth = 0
        self._in_str = False
        self._esc = False
        self._started = False
        self.invalid = False

    def feed(self, data):
        """Add bytes; return the end offset of the complete value, or None if incomplete."""
        self.buf.extend(data)
        buf = self.buf
        while self._pos < len(buf):
            ch = buf[self._pos]
            self._pos += 1
            if not self._started:
                if ch in b' \t\r\n\x00':
                    continue
                if ch not in b'{[':
                    self.invalid = True
                    return self._pos
                self._started = True
                self._depth = 1
                continue
            if self._in_str:
                if self._esc:
                    self._esc = False
                elif ch == 0x5C:  # backslash
                    self._esc = True
                elif ch == 0x22:
                    self._in_str = False
                continue
            if ch == 0x22:
                self._in_str = True
            elif ch in b'{[':
                self._depth += 1
            elif ch in b'}]':
                self._depth -= 1
                if self._depth == 0:
                    return self._pos
        return None


def envelope(status, code, msg, when, description=''):
    """The common reply envelope."""
    return {'STATUS': status, 'When': when, 'Code': code, 'Msg': msg, 'Description': description}


def ok(msg, when, description='', code=CODE_OK):
    return envelope('S', code, msg, when, description)


def error(code, msg, when, description=''):
    return envelope('E', code, msg, when, description)


def cgminer_reply(cmd, items, when, description=''):
    """``{"STATUS":[{...}], "<SECTION>":[...], "id":1}`` as cgminer-style firmware answers."""
    section, code, msg = CGMINER_SECTIONS[cmd]
    status = {'STATUS': 'S', 'When': when, 'Code': code, 'Msg': msg.format(n=len(items)), 'Description': description}
    return {'STATUS': [status], section: items, 'id': 1}


def dumps(obj):
    """Compact JSON, as btminer prints it."""
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False)


# ---------------------------------------------------------------------------
# Field quirks (reference_protocol.rst V2.2 §4, the **(field)** list). Each is applied to the
# serialised text of a reply so that clients' repair code gets exercised.

QUIRKS = ('nul', 'trailing_comma', 'inf', 'str_numbers', 'psu', 'error_code', 'newline')


def _stringify_numbers(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_stringify_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _stringify_numbers(v) for k, v in value.items()}
    return value


def serialize(cmd, reply, quirks=frozenset()):
    """Serialise a reply dict to text, applying the enabled field quirks for ``cmd``."""
    if not quirks:
        return dumps(reply)
    reply = json.loads(json.dumps(reply))  # private copy
    if 'str_numbers' in quirks:
        for section in ('SUMMARY', 'DEVS', 'POOLS'):
            if section in reply:
                reply[section] = _stringify_numbers(reply[section])
    if 'inf' in quirks:
        if reply.get('SUMMARY'):
            reply['SUMMARY'][0]['Power Rate'] = 'inf'
        if reply.get('POOLS'):
            reply['POOLS'][0]['Pool Stale%'] = 'nan'
    if 'psu' in quirks and cmd == 'get_psu' and isinstance(reply.get('Msg'), dict) and 'vendor' in reply['Msg']:
        msg = reply['Msg']
        reply['Msg'] = {('vender' if k == 'vendor' else k): v for k, v in msg.items()}
    text = dumps(reply)
    if 'psu' in quirks and cmd == 'get_psu':
        text = text.replace(',"temp0"', '"temp0"', 1)
    if 'error_code' in quirks and cmd == 'get_error_code':
        # the manual's own, invalid, sample: "error_code":["329":"2022-01-17 11:28:11"]
        text = re.sub(r'\{("\d+":"[^"]*")\}', r'\1', text)
    if 'newline' in quirks and cmd == 'get_version':
        text = text.replace('"platform":"', '"platform":"\n', 1)
    if 'trailing_comma' in quirks:
        if '}],"id"' in text:
            text = text.replace('}],"id"', ',}],"id"', 1)
        elif '},"Description"' in text:
            text = text.replace('},"Description"', ',},"Description"', 1)
    if 'nul' in quirks:
        text += '\0'
    return text
