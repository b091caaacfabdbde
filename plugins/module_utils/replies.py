# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Decoding, repair and normalisation of WhatsMiner API replies (reference_protocol.rst V2.2 §4).

``parse_reply`` first tries ``json.loads``; only when that fails does it repair the field
quirks of real miners (trailing NUL, ``,}``, raw newlines in strings, missing commas,
bare ``inf``/``nan``, truncated replies, the get_error_code ``["329":"..."]`` form).

The ``normalize_*`` functions map API 1.x and 2.x key variants to one snake_case view.
Units: hash rates in TH/s (keys ending ``_ths``), power in W, temperatures in degrees C,
fan speeds in RPM, power rate in J/TH, frequencies in MHz, durations in seconds.
Numbers that arrive as strings are converted; ``"inf"``/``"nan"``/empty become ``None``.
"""

from __future__ import annotations

import json
import math
import re

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ProtocolError

_MAX_DEPTH = 200


# ---------------------------------------------------------------------------
# parse_reply
# ---------------------------------------------------------------------------

class _Lenient(object):
    """A forgiving recursive-descent JSON reader that builds Python values directly.

    ``repairs`` collects the names of the repairs it had to make.
    """

    _WS = ' \t\r\n\x00\ufeff'
    _NUMBER_RE = re.compile(r'-?(?:\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?')
    _BARE_RE = re.compile(r'[A-Za-z_+\-.0-9]+')
    _NONFINITE = ('inf', '-inf', '+inf', 'infinity', '-infinity', '+infinity', 'nan', '-nan')

    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.n = len(text)
        self.repairs = []
        self.depth = 0

    def note(self, what):
        if what not in self.repairs:
            self.repairs.append(what)

    def skip_ws(self):
        text = self.text
        while self.pos < self.n and text[self.pos] in self._WS:
            self.pos += 1

    def peek(self):
        self.skip_ws()
        if self.pos < self.n:
            return self.text[self.pos]
        return ''

    def parse_document(self):
        start = self.text.find('{')
        first = self.text.lstrip(self._WS)[:1]
        if start < 0 or first == '[':
            raise ProtocolError('reply is not a JSON object', raw=self.text)
        if self.text[:start].strip(self._WS):
            self.note('leading garbage')
        self.pos = start
        value = self.parse_value()
        if self.peek():
            self.note('trailing garbage')
        return value

    def parse_value(self):
        c = self.peek()
        if c == '{':
            return self.parse_container(True)
        if c == '[':
            return self.parse_container(False)
        if c == '"':
            return self.parse_string()
        if c == '':
            raise _Truncated()
        return self.parse_bare()

    def parse_container(self, is_object):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ProtocolError('reply nests deeper than %d levels' % _MAX_DEPTH, raw=self.text)
        self.pos += 1
        closer, wrong = ('}', ']') if is_object else (']', '}')
        result = {} if is_object else []
        expect_comma = False
        while True:
            c = self.peek()
            if c == '':
                self.note('truncated reply closed')
                break
            if c == ',':
                if not expect_comma:
                    self.note('extra comma')
                self.pos += 1
                expect_comma = False
                if self.peek() in ('}', ']'):
                    self.note('trailing comma')
                continue
            if c == closer:
                self.pos += 1
                break
            if c == wrong:
                self.note('mismatched bracket')
                self.pos += 1
                break
            if c == ':':
                self.note('stray colon')
                self.pos += 1
                continue
            if expect_comma:
                self.note('missing comma')
            try:
                if is_object:
                    if not self._object_member(result):
                        break
                else:
                    self._array_element(result)
            except _Truncated:
                self.note('truncated reply closed')
                break
            expect_comma = True
        self.depth -= 1
        return result

    def _object_member(self, result):
        c = self.peek()
        if c == '"':
            key = self.parse_string()
        elif c in ('{', '['):
            self.note('value without key dropped')
            self.parse_value()
            return True
        else:
            key = self.parse_bare(as_key=True)
            if not isinstance(key, str):
                key = json.dumps(key)
            self.note('unquoted key')
        if self.peek() == ':':
            self.pos += 1
        else:
            c = self.peek()
            if c in ('', '}'):
                if c == '':
                    raise _Truncated()
                self.note('key without value dropped')
                return True
            self.note('missing colon')
        result[key] = self.parse_value()
        return True

    def _array_element(self, result):
        value = self.parse_value()
        if isinstance(value, str) and self.peek() == ':':
            # get_error_code's ["329":"2022-01-17 11:28:11", ...] -> [{"329": "..."}, ...]
            self.note('key/value pairs in a list')
            self.pos += 1
            result.append({value: self.parse_value()})
            return
        result.append(value)

    def parse_string(self):
        text = self.text
        start = self.pos + 1
        i = start
        raw_ctrl = False
        while i < self.n:
            ch = text[i]
            if ch == '\\':
                i += 2
                continue
            if ch == '"':
                break
            if ch < ' ':
                raw_ctrl = True
            i += 1
        else:
            # Cut short inside a string: the value is incomplete, drop it.
            self.pos = self.n
            raise _Truncated()
        body = text[start:i]
        self.pos = i + 1
        if raw_ctrl:
            self.note('raw control character in string')
        return self._decode_string(body)

    def _decode_string(self, body):
        if '\\' not in body:
            return body
        try:
            return json.loads('"%s"' % body, strict=False)
        except ValueError:
            self.note('bad escape')
            # Keep invalid escapes literally, decode the valid ones.
            fixed = re.sub(r'\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})', r'\\\\', body)
            if fixed.endswith('\\') and not fixed.endswith('\\\\'):
                fixed += '\\'
            try:
                return json.loads('"%s"' % fixed, strict=False)
            except ValueError:
                return body

    def parse_bare(self, as_key=False):
        m = self._BARE_RE.match(self.text, self.pos)
        if not m:
            ch = self.text[self.pos]
            self.note('unexpected character skipped')
            self.pos += 1
            if as_key:
                return ch
            return self.parse_value()
        word = m.group(0)
        self.pos = m.end()
        if self.pos >= self.n:
            # A bare value running into the end of the text may be cut short: drop it.
            raise _Truncated()
        if as_key:
            return word
        low = word.lower()
        if low == 'true':
            return True
        if low == 'false':
            return False
        if low in ('null', 'none'):
            return None
        if low in self._NONFINITE:
            self.note('bare inf/nan')
            return None
        if self._NUMBER_RE.fullmatch(word):
            try:
                return json.loads(word)
            except ValueError:
                # e.g. a leading zero ("01"): still a number.
                self.note('non-JSON number')
                return float(word) if ('.' in word or 'e' in low) else int(word)
        try:
            value = float(word)
        except ValueError:
            self.note('bare word as string')
            return word
        self.note('non-JSON number')
        if math.isnan(value) or math.isinf(value):
            return None
        return value


class _Truncated(Exception):
    pass


def parse_reply_ex(raw):
    """Like :func:`parse_reply` but return ``(reply, repairs)``; ``repairs`` lists what was fixed."""
    if raw is None:
        raise ProtocolError('empty reply')
    try:
        value = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        pass
    else:
        if isinstance(value, dict):
            return value, []
        raise ProtocolError('reply is not a JSON object', raw=raw)
    if isinstance(raw, (bytes, bytearray)):
        text = bytes(raw).decode('utf-8', 'replace')
    else:
        text = str(raw)
    repairs = []
    nul = text.find('\x00')
    if nul >= 0:
        text = text[:nul]
        repairs.append('trailing NUL')
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            if isinstance(value, dict):
                return value, repairs
    if not text.strip():
        raise ProtocolError('empty reply')
    parser = _Lenient(text)
    try:
        value = parser.parse_document()
    except _Truncated:
        raise ProtocolError('reply is cut short', raw=text)
    except RecursionError:
        raise ProtocolError('reply nests too deeply', raw=text)
    if not isinstance(value, dict):
        raise ProtocolError('reply is not a JSON object', raw=text)
    return value, repairs + parser.repairs


def parse_reply(raw_bytes):
    """Decode a reply (bytes or str) into a dict; repair the field quirks; raise ProtocolError if hopeless.

    Valid JSON objects come out exactly as ``json.loads`` gives them.
    """
    return parse_reply_ex(raw_bytes)[0]


# ---------------------------------------------------------------------------
# Envelope
# ---------------------------------------------------------------------------

_ERROR_CODES = frozenset((14, 23, 45, 132, 135, 136, 137))


def _to_int(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            return int(float(str(value).strip()))
        except (TypeError, ValueError, OverflowError):
            return None


def envelope_status(reply):
    """Return ``(ok, code, msg)`` for both envelope shapes.

    * ``{"STATUS":"S"|"E", "Code":..., "Msg":...}``
    * cgminer style ``{"STATUS":[{"STATUS":"S", "Code":..., "Msg":"..."}], "SUMMARY":[...]}``

    ``code`` is an int or None; ``msg`` is the ``Msg`` value as received (string or object).
    """
    if not isinstance(reply, dict):
        return False, None, 'reply is not a JSON object'
    status = reply.get('STATUS')
    code = reply.get('Code')
    msg = reply.get('Msg')
    if isinstance(status, list):
        first = status[0] if status and isinstance(status[0], dict) else {}
        status = first.get('STATUS')
        if code is None:
            code = first.get('Code')
        if msg is None or 'Msg' in first:
            msg = first.get('Msg', msg)
    elif isinstance(status, dict):
        code = status.get('Code', code)
        msg = status.get('Msg', msg)
        status = status.get('STATUS')
    code = _to_int(code) if code is not None else None
    if isinstance(status, str) and status.strip():
        ok = status.strip().upper()[0] in ('S', 'I', 'W')
    else:
        ok = code not in _ERROR_CODES
    if ok and code in _ERROR_CODES:
        ok = False
    return ok, code, msg


# ---------------------------------------------------------------------------
# Helpers for normalisers
# ---------------------------------------------------------------------------

_CANON_RE = re.compile(r'[\s_\-%]+')
# Canonical spellings of the key sets seen (one per firmware layout): a fan-out reads thousands of replies
# with the same keys, so each key set is canonicalised once. Bounded: hostile peers cannot grow it for ever.
_INDEXES = {}
_MAX_INDEXES = 256


def _canon(key):
    return _CANON_RE.sub('', str(key)).lower()


def _index(data):
    """``{canonical key: first key of data with that spelling}`` for ``data``'s key set."""
    keys = tuple(data)
    index = _INDEXES.get(keys)
    if index is None:
        index = {}
        for key in keys:
            index.setdefault(_canon(key), key)
        if len(_INDEXES) >= _MAX_INDEXES:
            _INDEXES.clear()
        _INDEXES[keys] = index
    return index


def _lookup(data, *names):
    """Value of the first of ``names`` present in ``data``, comparing keys case- and space/underscore-insensitively."""
    if not isinstance(data, dict):
        return None
    for name in names:
        if name in data:
            return data[name]
    index = _index(data)
    for name in names:
        key = index.get(_canon(name))
        if key is not None:
            return data[key]
    return None


_NULL_STRINGS = frozenset(('', 'inf', '-inf', '+inf', 'infinity', '-infinity', 'nan', '-nan', 'none', 'null', 'n/a', 'na', '-', '--'))


def to_number(value):
    """Convert a number or numeric string to int/float; inf/nan/empty/unparseable -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if (math.isnan(value) or math.isinf(value)) else value
    text = str(value).strip().strip("'").strip()
    if text.endswith('%'):
        text = text[:-1].strip()
    if text.lower() in _NULL_STRINGS:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        m = re.match(r'^\s*(-?\d+(?:\.\d+)?)\s*[A-Za-z/]+\s*$', text)
        if not m:
            return None
        number = float(m.group(1))
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def _num(data, *names):
    return to_number(_lookup(data, *names))


def _scaled(value, factor, digits=6):
    if value is None:
        return None
    return round(value * factor, digits)


def to_bool(value):
    """true/false, "true"/"false", "1"/"0", "yes"/"no", "enable(d)"/"disable(d)", "on"/"off" -> bool; else None."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().strip("'").lower()
    if text in ('true', '1', 'yes', 'y', 'on', 'enable', 'enabled'):
        return True
    if text in ('false', '0', 'no', 'n', 'off', 'disable', 'disabled', ''):
        return False if text else None
    return None


def _text(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    return str(value)


def _unquote(value):
    """Strip whitespace and the single quotes API 1.x/2.x wrap firmware versions in."""
    value = _text(value)
    if value is None:
        return None
    while len(value) >= 2 and value[0] == value[-1] and value[0] in ('"', "'"):
        value = value[1:-1].strip()
    return value.strip("'")


def _msg(reply):
    """The ``Msg`` payload of a reply (or the reply itself when already unwrapped)."""
    if isinstance(reply, dict) and isinstance(reply.get('Msg'), dict):
        return reply['Msg']
    return reply if isinstance(reply, dict) else {}


def _rows(value):
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    return []


def _section(reply, name, _depth=0):
    """Rows of a cgminer-style section (``SUMMARY``, ``POOLS``, ``DEVS``...), wherever the firmware put them.

    Looks at the top level, under ``Msg``, and inside cgminer's joined replies
    (``{"summary": [{"STATUS": [...], "SUMMARY": [...]}], ...}``).
    """
    if isinstance(reply, list):
        return _rows(reply)
    if not isinstance(reply, dict) or _depth > 3:
        return []
    containers = [reply]
    if isinstance(reply.get('Msg'), dict):
        containers.append(reply['Msg'])
    for container in containers:
        if name in container:
            return _rows(container[name])
    for container in containers:
        for key, value in container.items():
            if str(key).upper() != name:
                continue
            rows = _rows(value)
            if rows and 'STATUS' in rows[0]:
                # a joined reply: {"summary": [<whole summary reply>]}
                return _section(rows[0], name, _depth + 1)
            return rows
    if isinstance(reply.get('STATUS'), str) and 'Msg' in reply:
        # API 2.0.5+ firmware: the custom envelope around a cgminer read, Msg = the rows (the summary row itself)
        return _rows(reply['Msg'])
    return []


def _mhs_to_ths(value):
    return _scaled(value, 1e-6)


def _ghs_to_ths(value):
    return _scaled(value, 1e-3)


def _power_mode(value):
    text = _text(value)
    if not text:
        return None
    low = text.lower()
    for mode in ('low', 'normal', 'high'):
        if low.startswith(mode):
            return mode
    return low


# ---------------------------------------------------------------------------
# Normalisers
# ---------------------------------------------------------------------------

def normalize_summary(reply):
    """SUMMARY[0] (or the summary under ``Msg`` of newer firmware) -> dict.

    Keys: elapsed, uptime (s); hashrate_ths, hashrate_5s_ths, hashrate_1m_ths, hashrate_5m_ths,
    hashrate_15m_ths, hashrate_rt_ths, factory_ths (TH/s); freq_avg, target_freq (MHz);
    fan_speed_in, fan_speed_out (RPM); power, power_limit (W); power_rate (J/TH);
    pool_rejected_pct, pool_stale_pct; temperature, env_temp, chip_temp_min, chip_temp_max,
    chip_temp_avg (C); power_mode ("low"/"normal"/"high"); hash_stable, btminer_fast_boot,
    upfreq_complete (bool); debug (text); hash_stable_cost_seconds; accepted, rejected;
    firmware_version, mac; error_code_count; hash_percent; error_codes (API 1.x ``Error Code N``
    keys, decoded like get_error_code; None when absent).
    """
    rows = _section(reply, 'SUMMARY')
    if rows:
        data = rows[0]
    else:
        data = _msg(reply)
    return {
        'elapsed': _num(data, 'Elapsed'),
        'uptime': _num(data, 'Uptime'),
        'hashrate_ths': _mhs_to_ths(_num(data, 'MHS av')),
        'hashrate_5s_ths': _mhs_to_ths(_num(data, 'MHS 5s')),
        'hashrate_1m_ths': _mhs_to_ths(_num(data, 'MHS 1m')),
        'hashrate_5m_ths': _mhs_to_ths(_num(data, 'MHS 5m')),
        'hashrate_15m_ths': _mhs_to_ths(_num(data, 'MHS 15m')),
        'hashrate_rt_ths': _mhs_to_ths(_num(data, 'HS RT')),
        'factory_ths': _ghs_to_ths(_num(data, 'Factory GHS')),
        'freq_avg': _num(data, 'freq_avg'),
        'target_freq': _num(data, 'Target Freq'),
        'fan_speed_in': _num(data, 'Fan Speed In'),
        'fan_speed_out': _num(data, 'Fan Speed Out'),
        'power': _num(data, 'Power'),
        'power_rate': _num(data, 'Power Rate'),
        'power_limit': _num(data, 'Power Limit'),
        'power_mode': _power_mode(_lookup(data, 'Power Mode')),
        'pool_rejected_pct': _num(data, 'Pool Rejected%'),
        'pool_stale_pct': _num(data, 'Pool Stale%'),
        'accepted': _num(data, 'Accepted'),
        'rejected': _num(data, 'Rejected'),
        'temperature': _num(data, 'Temperature'),
        'env_temp': _num(data, 'Env Temp'),
        'chip_temp_min': _num(data, 'Chip Temp Min'),
        'chip_temp_max': _num(data, 'Chip Temp Max'),
        'chip_temp_avg': _num(data, 'Chip Temp Avg'),
        'hash_stable': to_bool(_lookup(data, 'Hash Stable')),
        'hash_stable_cost_seconds': _num(data, 'Hash Stable Cost Seconds'),
        'upfreq_complete': to_bool(_lookup(data, 'Upfreq Complete')),
        'btminer_fast_boot': to_bool(_lookup(data, 'Btminer Fast Boot')),
        'debug': _text(_lookup(data, 'Debug')) or None,  # text such as "-0.0_100.0_3600", not a switch
        'hash_percent': _num(data, 'Hash Percent'),
        'error_code_count': _num(data, 'Error Code Count'),
        'firmware_version': _unquote(_lookup(data, 'Firmware Version', 'FirmwareVersion')),
        'mac': _text(_lookup(data, 'MAC')),
        'error_codes': _summary_error_codes(data),
    }


_SUMMARY_ERROR_KEY = re.compile(r'^Error Code \d+$')


def _summary_error_codes(data):
    """API 1.x firmware reports its errors in summary as ``Error Code 0``, ``Error Code 1``... (None when it does not)."""
    codes = [value for key, value in sorted(data.items()) if _SUMMARY_ERROR_KEY.match(str(key)) and value not in (None, '')]
    return decode_error_codes([{str(code): None} for code in codes]) if codes else None


def normalize_pools(reply):
    """POOLS[] -> list of dicts (index, url, user, status, priority, quota, accepted, rejected, ...).

    Pool passwords are never part of the reply. Order is the miner's.
    """
    result = []
    for row in _section(reply, 'POOLS'):
        result.append({
            'index': _num(row, 'POOL'),
            'url': _text(_lookup(row, 'URL')),
            'user': _text(_lookup(row, 'User')),
            'status': _text(_lookup(row, 'Status')),
            'priority': _num(row, 'Priority'),
            'quota': _num(row, 'Quota'),
            'getworks': _num(row, 'Getworks'),
            'accepted': _num(row, 'Accepted'),
            'rejected': _num(row, 'Rejected'),
            'discarded': _num(row, 'Discarded'),
            'stale': _num(row, 'Stale'),
            'get_failures': _num(row, 'Get Failures'),
            'remote_failures': _num(row, 'Remote Failures'),
            'last_share_time': _num(row, 'Last Share Time'),
            'stratum_active': to_bool(_lookup(row, 'Stratum Active')),
            'stratum_url': _text(_lookup(row, 'Stratum URL')),
            'stratum_difficulty': _num(row, 'Stratum Difficulty'),
            'pool_rejected_pct': _num(row, 'Pool Rejected%'),
            'pool_stale_pct': _num(row, 'Pool Stale%'),
            'bad_work': _num(row, 'Bad Work'),
        })
    return result


def normalize_devs(reply):
    """DEVS[] (edevs/devs) -> list per hash board.

    Keys: slot, temperature (C), chip_frequency (MHz), hashrate_ths, hashrate_5s_ths,
    hashrate_1m_ths, hashrate_15m_ths, hashrate_rt_ths, factory_ths (TH/s), upfreq_complete,
    effective_chips, pcb_sn, chip_data, chip_temp_min/max/avg (C), status, enabled.
    """
    result = []
    for row in _section(reply, 'DEVS'):
        slot = _num(row, 'Slot')
        if slot is None:
            slot = _num(row, 'ASC', 'ID')
        result.append({
            'slot': slot,
            'status': _text(_lookup(row, 'Status')),
            'enabled': to_bool(_lookup(row, 'Enabled')),
            'temperature': _num(row, 'Temperature'),
            'chip_frequency': _num(row, 'Chip Frequency'),
            'hashrate_ths': _mhs_to_ths(_num(row, 'MHS av')),
            'hashrate_5s_ths': _mhs_to_ths(_num(row, 'MHS 5s')),
            'hashrate_1m_ths': _mhs_to_ths(_num(row, 'MHS 1m')),
            'hashrate_15m_ths': _mhs_to_ths(_num(row, 'MHS 15m')),
            'hashrate_rt_ths': _mhs_to_ths(_num(row, 'HS RT')),
            'factory_ths': _ghs_to_ths(_num(row, 'Factory GHS')),
            'upfreq_complete': to_bool(_lookup(row, 'Upfreq Complete')),
            'effective_chips': _num(row, 'Effective Chips'),
            'pcb_sn': _text(_lookup(row, 'PCB SN')),
            'chip_data': _text(_lookup(row, 'Chip Data')),
            'chip_temp_min': _num(row, 'Chip Temp Min'),
            'chip_temp_max': _num(row, 'Chip Temp Max'),
            'chip_temp_avg': _num(row, 'Chip Temp Avg'),
        })
    return result


def normalize_devdetails(reply):
    """DEVDETAILS[] -> list of {index, name, id, driver, kernel, model}."""
    result = []
    for row in _section(reply, 'DEVDETAILS'):
        result.append({
            'index': _num(row, 'DEVDETAILS'),
            'name': _text(_lookup(row, 'Name')),
            'id': _num(row, 'ID'),
            'driver': _text(_lookup(row, 'Driver')),
            'kernel': _text(_lookup(row, 'Kernel')),
            'model': _text(_lookup(row, 'Model')),
        })
    return result


def normalize_psu(reply):
    """get_psu ``Msg`` -> dict.

    Keys: name, hw_version, sw_version, model, iin (mA), vin (V; the API sends units of 10 mV),
    pin (W), fan_speed (RPM), version, serial_no, vendor (also from ``vender``), temp0 (C).
    """
    data = _msg(reply)
    vin = _num(data, 'vin')
    return {
        'name': _text(_lookup(data, 'name')),
        'hw_version': _text(_lookup(data, 'hw_version')),
        'sw_version': _text(_lookup(data, 'sw_version')),
        'model': _text(_lookup(data, 'model')),
        'iin': _num(data, 'iin'),
        'vin': _scaled(vin, 0.01, 4),
        'pin': _num(data, 'pin'),
        'fan_speed': _num(data, 'fan_speed'),
        'version': _text(_lookup(data, 'version')),
        'serial_no': _text(_lookup(data, 'serial_no')),
        'vendor': _text(_lookup(data, 'vendor', 'vender')),
        'temp0': _num(data, 'temp0'),
    }


_API_VERSION_RE = re.compile(r'(\d+(?:\.\d+)+)')


def normalize_version(reply):
    """get_version -> {api_version, api_major, fw_ver, platform, chip, miner_type, model}.

    ``api_ver`` is "whatsminer v1.4.0" on API 1.x and "2.0.5" on 2.x; ``api_version`` is the
    bare number. ``model`` is ``miner_type`` up to the first ``_`` ("M30S+_VE40" -> "M30S+").
    """
    data = _msg(reply)
    api_ver = _text(_lookup(data, 'api_ver'))
    if not api_ver and isinstance(reply, dict):
        description = _text(reply.get('Description'))
        if description and 'whatsminer' in description.lower():
            api_ver = description
    api_version = None
    if api_ver:
        m = _API_VERSION_RE.search(api_ver)
        api_version = m.group(1) if m else api_ver
    api_major = None
    if api_version:
        api_major = _to_int(api_version.split('.')[0])
    miner_type = _text(_lookup(data, 'miner_type'))
    model = miner_type.split('_')[0] if miner_type else None
    return {
        'api_version': api_version,
        'api_major': api_major,
        'fw_ver': _unquote(_lookup(data, 'fw_ver')),
        'platform': _text(_lookup(data, 'platform')),
        'chip': _text(_lookup(data, 'chip')),
        'miner_type': miner_type,
        'model': model,
    }


def normalize_status(reply):
    """status -> {mining, mineroff_reason, mineroff_time, firmware_version, power_mode, power_limit, target_freq_percent}.

    API 1.x: ``btmineroff`` and ``Firmware Version`` ("'20210322.22.REL'");
    API 2.x: ``mineroff``, ``mineroff_reason``, ``mineroff_time``, ``FirmwareVersion``,
    ``power_mode``, ``power_limit_set``, ``hash_percent``.
    """
    data = _msg(reply)
    off = to_bool(_lookup(data, 'mineroff', 'btmineroff'))
    return {
        'mining': None if off is None else not off,
        'mineroff_reason': _text(_lookup(data, 'mineroff_reason')) or None,
        'mineroff_time': _text(_lookup(data, 'mineroff_time')) or None,
        'firmware_version': _unquote(_lookup(data, 'FirmwareVersion', 'Firmware Version')),
        'power_mode': _power_mode(_lookup(data, 'power_mode')),
        'power_limit': _num(data, 'power_limit_set', 'power_limit'),
        'target_freq_percent': _num(data, 'hash_percent'),
        # some firmware reports these although V2.2 calls them write-only
        'power_percent': _num(data, 'power_pct'),
        'fast_hash': to_bool(_lookup(data, 'fast_hash')),
    }


def dns_servers(dns):
    """The DNS field as a list: a list already, or text separated by spaces, commas or semicolons."""
    if isinstance(dns, list):
        return [str(x).strip() for x in dns if str(x).strip()]
    if dns is None:
        return None
    return [x for x in re.split(r'[\s,;]+', str(dns)) if x]


def normalize_miner_info(reply):
    """get_miner_info -> {ip, proto, netmask, gateway, dns (list), hostname, mac, led_state, miner_sn, psu_sn, upfreq_speed}."""
    data = _msg(reply)
    dns_list = dns_servers(_lookup(data, 'dns'))
    return {
        'ip': _text(_lookup(data, 'ip')),
        'proto': _text(_lookup(data, 'proto')),
        'netmask': _text(_lookup(data, 'netmask')),
        'gateway': _text(_lookup(data, 'gateway')),
        'dns': dns_list,
        'hostname': _text(_lookup(data, 'hostname')),
        'mac': _text(_lookup(data, 'mac')),
        'led_state': _text(_lookup(data, 'ledstat', 'led_state', 'ledstate')),
        'miner_sn': _text(_lookup(data, 'minersn', 'miner_sn')),
        'psu_sn': _text(_lookup(data, 'powersn', 'power_sn', 'psu_sn')),
        # some firmware reports it although V2.2 calls it write-only (the manual's own sample: ut_speed)
        'upfreq_speed': _num(data, 'upfreq_speed', 'ut_speed'),
    }


# ---------------------------------------------------------------------------
# Error codes
# ---------------------------------------------------------------------------

def load_error_code_table():
    """MicroBT's error-code table (see ``_error_codes.py`` for its source and licence)."""
    from ansible_collections.minerops.whatsminer.plugins.module_utils._error_codes import ERROR_CODE_TABLE
    return ERROR_CODE_TABLE


_COMPONENTS = (
    ((1, 1), 'fan'),
    ((2, 2), 'power supply'),
    ((3, 3), 'temperature sensor'),
    ((4, 4), 'eeprom'),
    ((5, 5), 'hash board'),
    ((6, 6), 'environment'),
    ((7, 7), 'control board'),
    ((8, 8), 'firmware'),
    ((9, 9), 'miner'),
    ((20, 20), 'pool'),
    ((21, 21), 'hash board'),
    ((23, 23), 'hash rate'),
    ((50, 51), 'hash board'),
    ((52, 56), 'chip'),
    ((80, 87), 'configuration'),
    ((90, 90), 'process'),
    ((99, 99), 'miner'),
    ((1000, 1100), 'security'),
)


def _component(err_type):
    if err_type is None:
        return 'unknown'
    for (low, high), name in _COMPONENTS:
        if low <= err_type <= high:
            return name
    return 'unknown'


def split_error_code(code):
    """(type, subtype, value) by MicroBT's decoding rule, or (None, None, None)."""
    s = str(code).strip()
    if not re.match(r'[0-9]+\Z', s) or len(s) < 2:  # str.isdigit() also accepts digits such as '\u00b2' that int() refuses
        return None, None, None
    if len(s) == 6 and s[0] != '1':
        return int(s[:2]), int(s[2]), int(s[3:])
    if len(s) < 3:
        return None, int(s[-2]), int(s[-1])
    return int(s[:-2]), int(s[-2]), int(s[-1])


def describe_error_code(code, table=None):
    """Text for one code by the rule in ``whatsminer_error_codes.json``; ``"unknown"`` when not in the table."""
    if table is None:
        table = load_error_code_table()
    err_type, subtype, value = split_error_code(code)
    if err_type is None:
        return 'unknown'
    by_type = table.get(str(err_type))
    if not isinstance(by_type, dict):
        return 'unknown'
    by_sub = by_type.get(str(subtype))
    if isinstance(by_sub, dict):
        if str(value) in by_sub:
            return by_sub[str(value)]
        if 'n' in by_sub:
            return by_sub['n'].replace('{n}', str(value))
        return 'unknown'
    generic = by_type.get('n')
    if isinstance(generic, dict):
        if str(value) in generic:
            return generic[str(value)].replace('{n}', str(subtype))
        if 'c' in generic:
            return generic['c'].replace('{n}', str(subtype)).replace('{c}', str(value))
    return 'unknown'


def _error_pairs_of_dict(field, depth):
    if 'error_code' in field or 'Msg' in field:
        inner = field.get('error_code')
        if inner is None and isinstance(field.get('Msg'), dict):
            inner = field['Msg'].get('error_code')
        yield from _error_pairs(inner, depth + 1)
        return
    for code, when in field.items():
        yield code, when


def _error_pairs_of_list(field, depth):
    for item in field:
        if isinstance(item, dict):
            yield from _error_pairs(item, depth + 1)
        elif isinstance(item, (list, tuple)) and item:
            yield item[0], item[1] if len(item) > 1 else None
        elif item is not None:
            yield item, None


def _numbers_in(text):
    for code in re.findall(r'\d+', text):
        yield code, None


def _error_pairs_of_text(field, depth):
    text = field.strip()
    if not text:
        return
    try:
        value = parse_reply('{"error_code":%s}' % text)
    except ProtocolError:
        yield from _numbers_in(text)
        return
    inner = value.get('error_code')
    if isinstance(inner, str):
        yield from _numbers_in(inner)  # not a structure after all: take the numbers in it
        return
    yield from _error_pairs(inner, depth + 1)


def _error_pairs(field, _depth=0):
    """Yield (code, time) from any of the get_error_code forms."""
    if field is None or _depth > 8:
        return
    if isinstance(field, dict):
        yield from _error_pairs_of_dict(field, _depth)
    elif isinstance(field, (list, tuple)):
        yield from _error_pairs_of_list(field, _depth)
    elif isinstance(field, str):
        yield from _error_pairs_of_text(field, _depth)
    else:
        yield field, None


def decode_error_codes(error_code_field, table=None):
    """Decode get_error_code's ``error_code`` (any form, or the whole reply) into a list of dicts.

    Each: {code (int, or the raw text when not numeric), time, type, subtype, value, component,
    description}; codes missing from MicroBT's table are described as ``"unknown"``.
    """
    if table is None:
        table = load_error_code_table()
    result = []
    for code, when in _error_pairs(error_code_field):
        code_text = str(code).strip()
        err_type, subtype, value = split_error_code(code_text)
        result.append({
            'code': int(code_text) if re.match(r'[0-9]+\Z', code_text) else code_text,
            'time': _text(when) or None,
            'type': err_type,
            'subtype': subtype,
            'value': value,
            'component': _component(err_type),
            'description': describe_error_code(code_text, table),
        })
    return result


def normalize_error_codes(reply, table=None):
    """get_error_code -> the list of :func:`decode_error_codes` (its ``Msg.error_code``, any form)."""
    field = reply.get('Msg', {}) if isinstance(reply, dict) else {}
    return decode_error_codes(field.get('error_code') if isinstance(field, dict) else field, table)
