# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Normalisation of WhatsMiner API V3 replies (reference_protocol.rst V3 §4 and 5).

The ``v3_*`` functions take the ``msg`` of a V3 reply (or the whole ``{"code", "msg", ...}``
envelope) and return the same snake_case keys as the V2 normalisers in ``replies.py``
(``normalize_summary``, ``normalize_status``, ...), so callers need not know the API.
Keys V3 cannot fill are ``None``. Units as in ``replies.py``: TH/s, W, degrees C, RPM, MHz, s.

:func:`v3_settings` gathers what V3 can read back and V2.2 cannot (fan settings, time zone,
NTP, remote syslog, heat mode, web pools, power percent, ...), from the replies of
``get.miner.setting``, ``get.fan.setting``, ``get.system.setting`` and ``get.device.info``.
"""

from __future__ import annotations

import json
import re

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ProtocolError
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import (
    _lookup,
    _num,
    _power_mode,
    _scaled,
    _text,
    decode_error_codes,
    dns_servers,
    parse_reply,
    to_bool,
    to_number,
)


def _unwrap(msg):
    """``msg`` of a whole reply envelope, or ``msg`` itself; ``{}`` for anything but a dict."""
    if isinstance(msg, dict) and 'code' in msg and 'msg' in msg:
        msg = msg['msg']
    return msg if isinstance(msg, dict) else {}


def _part(msg, name):
    """A section of ``msg`` (``summary``, ``miner``, ``system``...), or ``msg`` itself when it is that section."""
    data = _unwrap(msg)
    value = data.get(name)
    if isinstance(value, dict):
        return value
    return data


def _blank_none(value):
    """Text, with ``""`` (V3's "never set") as None."""
    text = _text(value)
    return text or None


def _status_word(value):
    """A pool's or board's status as V2.2 spells it ("alive" -> "Alive")."""
    text = _text(value)
    return text.capitalize() if text else text


def _max_of(values):
    numbers = [to_number(v) for v in values] if isinstance(values, list) else []
    numbers = [n for n in numbers if n is not None]
    return max(numbers) if numbers else None


def _numbers(values):
    if not isinstance(values, list):
        return None
    return [to_number(v) for v in values]


# ---------------------------------------------------------------------------
# get.miner.status
# ---------------------------------------------------------------------------

def v3_summary(msg, setting=None):
    """``get.miner.status`` ``summary`` (and optionally ``get.miner.setting``) -> the keys of ``normalize_summary``.

    ``hashrate_ths`` is ``hash-average``, ``hashrate_rt_ths`` ``hash-realtime`` (both TH/s
    already); ``temperature`` is the hottest board; ``power`` is ``power-realtime``. Keys V3
    has no source for (accepted, rejected, 5 s/5 min rates, hash_stable...) are None. Extra
    keys: ``board_temperatures`` (list, C) and ``power_5min`` (W).
    """
    data = _part(msg, 'summary')
    setting = _unwrap(setting)
    boards = _lookup(data, 'board-temperature', 'board-tempurature')
    return {
        'elapsed': _num(data, 'elapsed'),
        'uptime': _num(data, 'bootup-time'),
        'hashrate_ths': _num(data, 'hash-average'),
        'hashrate_5s_ths': None,
        'hashrate_1m_ths': _num(data, 'hash-1min'),
        'hashrate_5m_ths': None,
        'hashrate_15m_ths': _num(data, 'hash-15min'),
        'hashrate_rt_ths': _num(data, 'hash-realtime'),
        'factory_ths': _num(data, 'factory-hash'),
        'freq_avg': _num(data, 'freq-avg'),
        # V3's summary target-freq is the target frequency percent, not V2.2's "Target Freq" in MHz.
        'target_freq': None,
        'fan_speed_in': _num(data, 'fan-speed-in'),
        'fan_speed_out': _num(data, 'fan-speed-out'),
        'power': _num(data, 'power-realtime'),
        'power_rate': _num(data, 'power-rate'),
        'power_limit': _num(data, 'power-limit'),
        'power_mode': _power_mode(_first(_lookup(data, 'power-mode'), _lookup(setting, 'power-mode'))),
        'pool_rejected_pct': None,
        'pool_stale_pct': None,
        'accepted': None,
        'rejected': None,
        'temperature': _max_of(boards),
        'env_temp': _num(data, 'environment-temperature', 'environment-tempurature'),
        'chip_temp_min': _num(data, 'chip-temp-min'),
        'chip_temp_max': _num(data, 'chip-temp-max'),
        'chip_temp_avg': _num(data, 'chip-temp-avg'),
        'hash_stable': None,
        'hash_stable_cost_seconds': None,
        'upfreq_complete': to_bool(_lookup(data, 'up-freq-finish')),
        'btminer_fast_boot': to_bool(_lookup(setting, 'fast-boot')),
        'debug': _text(_lookup(data, 'Debug')) or None,
        'error_codes': None,
        'hash_percent': None,
        'error_code_count': None,
        'firmware_version': None,
        'mac': None,
        'board_temperatures': _numbers(boards),
        'power_5min': _num(data, 'power-5min'),
    }


def v3_pools(msg):
    """``get.miner.status`` ``pools`` -> the list of ``normalize_pools``, ordered by ``id``.

    ``user`` is the pool ``account`` (worker). ``index`` is the miner's ``id`` (else the
    position); ``priority`` is ``pool-priority`` (else the position). Share counts are only
    filled when the firmware sends them (V3 usually does not); there is never a password.
    """
    data = _unwrap(msg)
    rows = data.get('pools') if isinstance(data.get('pools'), list) else None
    if rows is None and isinstance(msg, list):
        rows = msg
    rows = [row for row in (rows or []) if isinstance(row, dict)]
    result = []
    for position, row in enumerate(rows):
        ident = _num(row, 'id')
        priority = _num(row, 'pool-priority')
        result.append({
            'index': ident if ident is not None else position,
            'url': _text(_lookup(row, 'url')),
            'user': _text(_lookup(row, 'account', 'user', 'worker')),
            'status': _status_word(_lookup(row, 'status')),
            'priority': priority if priority is not None else position,
            'quota': None,
            'getworks': None,
            'accepted': _num(row, 'accepted'),
            'rejected': _num(row, 'rejected'),
            'discarded': None,
            'stale': _num(row, 'stale'),
            'get_failures': None,
            'remote_failures': None,
            'last_share_time': _num(row, 'last-share-time'),
            'stratum_active': to_bool(_lookup(row, 'stratum-active')),
            'stratum_url': None,
            'stratum_difficulty': _num(row, 'stratum-diff'),
            'pool_rejected_pct': _num(row, 'reject-rate'),
            'pool_stale_pct': None,
            'bad_work': None,
        })
    if all(p['index'] is not None for p in result):
        result.sort(key=lambda p: (not isinstance(p['index'], (int, float)), p['index']))
    return result


def v3_devs(msg, summary=None):
    """``get.miner.status`` ``edevs`` -> the list of ``normalize_devs`` (one dict per hash board).

    A board's ``temperature`` is its entry in the summary's ``board-temperature`` (V3 reports board
    temperatures there only; never the chip average).
    """
    data = _unwrap(msg)
    temperatures = _numbers(_lookup(_part(summary, 'summary'), 'board-temperature', 'board-tempurature')) or []
    rows = data.get('edevs') if isinstance(data.get('edevs'), list) else (msg if isinstance(msg, list) else [])
    result = []
    for position, row in enumerate(row for row in rows if isinstance(row, dict)):
        slot = _num(row, 'slot')
        if slot is None:
            slot = _num(row, 'id')
        result.append({
            'slot': slot,
            'status': _status_word(_lookup(row, 'status')),
            'enabled': None,
            'temperature': temperatures[position] if position < len(temperatures) else None,
            'chip_frequency': _num(row, 'freq'),
            'hashrate_ths': _num(row, 'hash-average'),
            'hashrate_5s_ths': None,
            'hashrate_1m_ths': None,
            'hashrate_15m_ths': None,
            'hashrate_rt_ths': _num(row, 'hash-realtime'),
            'factory_ths': _num(row, 'factory-hash'),
            'upfreq_complete': None,
            'effective_chips': _num(row, 'effective-chips'),
            'pcb_sn': None,
            'chip_data': None,
            'chip_temp_min': _num(row, 'chip-temp-min'),
            'chip_temp_max': _num(row, 'chip-temp-max'),
            'chip_temp_avg': _num(row, 'chip-temp-avg'),
        })
    return result


def v3_devdetails(msg, info=None):
    """``get.miner.status`` ``edevs`` (and ``get.device.info``) -> the list of ``normalize_devdetails``."""
    data = _unwrap(msg)
    rows = data.get('edevs') if isinstance(data.get('edevs'), list) else []
    model = _blank_none(_lookup(_part(info, 'miner'), 'type'))
    result = []
    for position, row in enumerate(row for row in rows if isinstance(row, dict)):
        ident = _num(row, 'id')
        result.append({'index': position, 'name': 'SM', 'id': ident if ident is not None else position,
                       'driver': 'bitmicro', 'kernel': None, 'model': model})
    return result


# ---------------------------------------------------------------------------
# get.device.info
# ---------------------------------------------------------------------------

_API_VERSION_RE = re.compile(r'(\d+(?:\.\d+)+)')


def v3_version(msg):
    """``get.device.info`` -> the keys of ``normalize_version`` (api_version "3.0.2", api_major 3, ...).

    ``chip`` has no V3 source and is None.
    """
    system = _part(msg, 'system')
    miner = _part(msg, 'miner')
    api = _text(_lookup(system, 'api'))
    api_version = None
    if api:
        m = _API_VERSION_RE.search(api)
        api_version = m.group(1) if m else api
    api_major = None
    if api_version:
        api_major = to_number(api_version.split('.')[0])
    miner_type = _blank_none(_lookup(miner, 'type'))
    return {
        'api_version': api_version,
        'api_major': api_major if isinstance(api_major, int) else None,
        'fw_ver': _blank_none(_lookup(system, 'fwversion')),
        'platform': _blank_none(_lookup(system, 'platform')),
        'chip': None,
        'miner_type': miner_type,
        'model': miner_type.split('_')[0] if miner_type else None,
    }


def v3_status(msg, setting=None):
    """``get.device.info`` (and optionally ``get.miner.setting``) -> the keys of ``normalize_status``.

    ``mining`` is ``miner.working``; ``power_limit`` the configured ``miner.power-limit-set``
    (None when never set); ``target_freq_percent`` is ``miner.hash-percent``; ``power_mode``
    comes from ``get.miner.setting`` ``power-mode`` when given (V3 has no other source), and so does
    the extra key ``power_override``: the active power-percent override, 0 when none.
    """
    miner = _part(msg, 'miner')
    system = _part(msg, 'system')
    working = to_bool(_lookup(miner, 'working'))
    setting = _unwrap(setting)
    return {
        'mining': working,
        'mineroff_reason': None,
        'mineroff_time': None,
        'firmware_version': _blank_none(_lookup(system, 'fwversion')),
        'power_mode': _power_mode(_lookup(setting, 'power-mode')),
        # Never configured: the effective limit and target frequency of get.miner.setting (UNCONFIRMED).
        'power_limit': _first(_num(miner, 'power-limit-set'), _num(setting, 'power-limit')),
        'target_freq_percent': _first(_num(miner, 'hash-percent'), _num(setting, 'target-freq')),
        'power_percent': None,
        'power_override': _num(setting, 'power-percent'),
        'fast_hash': None,
    }


def v3_miner_info(msg):
    """``get.device.info`` -> the keys of ``normalize_miner_info`` (network, LED state, serial numbers)."""
    network = _part(msg, 'network')
    system = _part(msg, 'system')
    miner = _part(msg, 'miner')
    power = _part(msg, 'power')
    dns_list = dns_servers(_lookup(network, 'dns'))
    return {
        'ip': _blank_none(_lookup(network, 'ip')),
        'proto': _blank_none(_lookup(network, 'proto')),
        'netmask': _blank_none(_lookup(network, 'netmask')),
        'gateway': _blank_none(_lookup(network, 'gateway')),
        'dns': dns_list,
        'hostname': _blank_none(_lookup(network, 'hostname')),
        'mac': _blank_none(_lookup(network, 'mac')),
        'led_state': _blank_none(_lookup(system, 'ledstatus')),
        'miner_sn': _blank_none(_lookup(miner, 'miner-sn')),
        'psu_sn': _blank_none(_lookup(power, 'sn')),
        'upfreq_speed': None,  # V3 reads it with the settings (get.miner.setting)
    }


def v3_psu(msg):
    """``get.device.info`` ``power`` -> the keys of ``normalize_psu``.

    V3 sends ``iin`` in A (converted to mA like V2's ``iin``), ``vin`` in V, ``vout`` in
    units of 10 mV (extra key ``vout``, in V), ``pin`` in W, ``fanspeed`` in RPM.
    ``name`` is the PSU ``type``. Extra keys: ``vout``, ``mode``, ``liquid_temperature``.
    """
    power = _part(msg, 'power')
    iin = _num(power, 'iin')
    return {
        'name': _blank_none(_lookup(power, 'type')),
        'hw_version': _blank_none(_lookup(power, 'hwversion')),
        'sw_version': _blank_none(_lookup(power, 'swversion')),
        'model': _blank_none(_lookup(power, 'model')),
        'iin': None if iin is None else round(iin * 1000),
        'vin': _num(power, 'vin'),
        'pin': _num(power, 'pin'),
        'fan_speed': _num(power, 'fanspeed'),
        'version': None,
        'serial_no': _blank_none(_lookup(power, 'sn')),
        'vendor': _blank_none(_lookup(power, 'vendor')),
        'temp0': _num(power, 'temp0'),
        'vout': _scaled(_num(power, 'vout'), 0.01, 4),
        'mode': _blank_none(_lookup(power, 'mode')),
        'liquid_temperature': _num(power, 'liquid-temperature'),
    }


def v3_error_codes(msg, table=None):
    """``get.device.info`` ``error-code`` -> the list of ``decode_error_codes`` plus ``reason`` (API 3.0.1+)."""
    data = _unwrap(msg)
    entries = data.get('error-code') if 'error-code' in data else msg
    if not isinstance(entries, list):
        return []
    result = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        reason = _blank_none(entry.get('reason'))
        for code, when in entry.items():
            if code == 'reason':
                continue
            for decoded in decode_error_codes([{code: when}], table):
                decoded['reason'] = reason
                result.append(decoded)
    return result


# ---------------------------------------------------------------------------
# Settings V3 can read back (section 5)
# ---------------------------------------------------------------------------

_COMMAND_KEYS = ('get.miner.setting', 'get.fan.setting', 'get.system.setting', 'get.device.info')


def _is_device_info(msg):
    return any(isinstance(msg.get(k), dict) for k in ('miner', 'system', 'network', 'power'))


def _merge(msgs):
    """``(settings, device_info)``: the flat merge of the setting replies, and the device-info sections."""
    flat = {}
    device = {}
    pending = []
    for msg in msgs:
        if isinstance(msg, dict) and any(k in msg for k in _COMMAND_KEYS):
            pending.extend(msg[k] for k in _COMMAND_KEYS if k in msg)
        else:
            pending.append(msg)
    for msg in pending:
        msg = _unwrap(msg)
        if _is_device_info(msg):
            device.update(msg)
        else:
            flat.update(msg)
    return flat, device


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def v3_settings(*msgs):
    """Settings from the ``msg`` of ``get.miner.setting``, ``get.fan.setting``, ``get.system.setting``
    and ``get.device.info`` (any of them, in any order, or one dict keyed by those command names).

    Keys (None when the replies given do not carry the value):

    * power: ``power_limit`` (effective W), ``power_limit_set`` (configured W; None = default),
      ``power_mode`` ("low"/"normal"/"high"), ``power`` (``set.miner.power`` W), ``power_percent``
      (0 = no override; lost on reboot), ``target_freq``, ``upfreq_speed``;
    * switches (bool): ``fast_boot``, ``fast_hash``, ``fast_mining``, ``web_pools``, ``api_switch``,
      ``mining``; ``heat_mode`` ("normal"/"heating"/"anti-freezing");
    * fans: ``fan_poweroff_cool``, ``fan_zero_speed`` (bool), ``fan_temp_offset`` (C, -30..0);
    * system: ``timezone``, ``zonename``, ``ntp_servers`` (list), ``hostname``,
      ``time_randomized`` ({start, stop}), ``log_upload`` ({ip, port, proto} or None when off)
      and ``log_upload_enabled`` (False when ``get.system.setting`` has no ``log-upload``);
    * device: ``led_mode``, ``cointype``, ``permission``, ``btrom_worker_suffix``.
    """
    data, device = _merge(msgs)
    miner = device.get('miner') if isinstance(device.get('miner'), dict) else {}
    system = device.get('system') if isinstance(device.get('system'), dict) else {}
    network = device.get('network') if isinstance(device.get('network'), dict) else {}
    has_system_setting = any(k in data for k in ('timezone', 'zonename', 'ntp-server', 'time-randomized', 'log-upload'))

    log_upload = data.get('log-upload')
    log_upload_enabled = None
    if isinstance(log_upload, dict):
        log_upload = {
            'ip': _blank_none(_lookup(log_upload, 'ip')),
            'port': _blank_none(_lookup(log_upload, 'port')),
            'proto': _blank_none(_lookup(log_upload, 'proto')),
        }
        log_upload_enabled = bool(log_upload['ip'])
        if not log_upload_enabled:
            log_upload = None
    else:
        log_upload = None
        if has_system_setting:
            log_upload_enabled = False

    ntp = data.get('ntp-server')
    if isinstance(ntp, str):
        ntp = [x for x in re.split(r'[\s,]+', ntp) if x]
    elif isinstance(ntp, list):
        ntp = [str(x).strip() for x in ntp if str(x).strip()]
    else:
        ntp = None

    randomized = data.get('time-randomized')
    if isinstance(randomized, dict):
        randomized = {'start': _num(randomized, 'start'), 'stop': _num(randomized, 'stop')}
    else:
        randomized = None

    heat_mode = _blank_none(data.get('heat-mode'))
    if heat_mode is None:
        heat_mode = _blank_none(miner.get('heatmode'))

    return {
        'power_limit': _num(data, 'power-limit'),
        'power_limit_set': _num(miner, 'power-limit-set'),
        'power_mode': _power_mode(data.get('power-mode')),
        'power': _num(data, 'power'),
        'power_percent': _num(data, 'power-percent'),
        'target_freq': _num(data, 'target-freq'),
        'upfreq_speed': _first(_num(data, 'upfreq-speed'), _num(miner, 'UpfreqSpeed')),
        'fast_boot': _first(to_bool(data.get('fast-boot')), to_bool(_blank_none(miner.get('fast-boot')))),
        'fast_hash': to_bool(data.get('fast-hash')),
        'fast_mining': to_bool(data.get('fast-mining')),
        'heat_mode': heat_mode.lower() if heat_mode else None,
        'fan_poweroff_cool': to_bool(data.get('fan-poweroff-cool')),
        'fan_zero_speed': to_bool(data.get('fan-zero-speed')),
        'fan_temp_offset': _num(data, 'fan-temp-offset'),
        'timezone': _blank_none(data.get('timezone')),
        'zonename': _blank_none(data.get('zonename')),
        'ntp_servers': ntp,
        'hostname': _first(_blank_none(data.get('hostname')), _blank_none(network.get('hostname'))),
        'web_pools': _first(to_bool(data.get('web-pool')), to_bool(miner.get('web-pool'))),
        'time_randomized': randomized,
        'log_upload': log_upload,
        'log_upload_enabled': log_upload_enabled,
        'led_mode': _blank_none(system.get('ledstatus')),
        'api_switch': to_bool(system.get('apiswitch')),
        'mining': to_bool(miner.get('working')),
        'cointype': _blank_none(miner.get('cointype')),
        'permission': _blank_none(miner.get('permission')),
        'btrom_worker_suffix': _blank_none(data.get('btrom-worker-suffix')),
    }


# ---------------------------------------------------------------------------
# The reply envelope (reference_protocol.rst V3 §2)
# ---------------------------------------------------------------------------

def parse_envelope(raw, host=None, port=None):
    """A V3 reply frame's JSON: the envelope ``{"code", "msg", ...}``, or ProtocolError naming host:port."""
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


def json_type(value):
    """The JSON name of a decoded value's type (for messages about replies of the wrong shape)."""
    for kind, name in ((bool, 'boolean'), (str, 'string'), ((int, float), 'number'), (list, 'array'), (dict, 'object')):
        if isinstance(value, kind):
            return name
    return 'null'


def reply_code(reply):
    code = reply.get('code')
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    number = to_number(code)
    return number if isinstance(number, int) else None
