# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API V3 command set (reference_protocol.rst V3 §2 to 5) over a :class:`~.miner.Miner`.

``handle(miner, body)`` turns the JSON body of one frame into a :class:`Reply3`; the
listener (``server_v3``) does the framing, the binary flows, pushes and restarts. The
miner's settings are the same ones the V2.2 front end (``api_v2``) reads and writes.
"""

# pylint: disable=unbalanced-tuple-unpacking  # _obj() returns one value per name asked for

import base64
import ipaddress
import json
import re
import time

from . import api_v2, crypto, models
from .state import CUSTOMER_KEYS, EMPTY_POOLS, V3_ACCOUNTS, V3_USERS, v3_factory_values

CODE_OK = 0
CODE_FAIL = -1
CODE_INVALID_CMD = -2
CODE_INVALID_JSON = -3
CODE_NO_PERMISSION = -4
CODE_OUT_OF_MEMORY = -5

MSG_INVALID_CMD = 'invalid command'
MSG_INVALID_JSON = 'invalid json'
MSG_NO_PERMISSION = 'no permission'
MSG_PARAM_NULL = 'param item is null'

DEVICE_SECTIONS = ('network', 'miner', 'system', 'power', 'salt', 'error-code')
STATUS_SECTIONS = ('summary', 'pools', 'edevs')
COINTYPES = ('BTC', 'BCH', 'BSV', 'DCR', 'HC', 'DGB', 'SHA256')
# V3 heat-mode names -> the stored (V2.2) names, and back
HEAT_MODES_IN = {'normal': 'normal', 'heating': 'heating', 'anti-freezing': 'anti-icing', 'anti-icing': 'anti-icing'}
HEAT_MODES_OUT = {'normal': 'normal', 'heating': 'heating', 'anti-icing': 'anti-freezing'}
PASSWORD_RE = re.compile(r'^[\x21-\x7e]{1,32}$')
HOSTNAME_RE = api_v2.HOSTNAME_RE
MAX_HISTORY_SPAN = 24 * 3600
HISTORY_STEP = 300
MAX_REPORT_GAP = 285

# A few reasons for the error codes the simulator's faults raise (MicroBT's list).
ERROR_REASONS = {
    110: 'Intake fan speed error.', 111: 'Exhaust fan speed error.', 350: 'Environment temperature too high.',
    530: 'Hashboard slot 0 not found.', 600: 'Environment temperature too high, stop mining.',
    2010: 'All pools are disconnected.', 2020: 'Pool 0 connection failed.', 2310: 'Hashrate is too low.',
}


class V3Error(Exception):
    """A request refused with a V3 code and a short text."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class Reply3:
    """What to send back for one V3 request.

    ``obj`` None means "send nothing". ``restart`` ('btminer' or 'board') asks the listener
    to restart the miner after replying. ``stream`` is 'logs' (raw bytes follow the frame),
    'firmware' (the client uploads an image next) or 'report' (start/stop pushes every
    ``gap`` seconds).
    """

    def __init__(self, cmd, obj, restart=None, stream=None, payload=b'', gap=0):
        self.cmd = cmd
        self.obj = obj
        self.restart = restart
        self.stream = stream
        self.payload = payload
        self.gap = gap


def envelope(code, msg, cmd, when=None):
    return {'code': code, 'when': int(time.time()) if when is None else when, 'msg': msg, 'desc': cmd}


def ok(cmd, msg='ok', **kwargs):
    return Reply3(cmd, envelope(CODE_OK, msg, cmd), **kwargs)


def error(miner, cmd, code, msg):
    miner.count('errors')
    return Reply3(cmd, envelope(code, msg, cmd))


# ---------------------------------------------------------------------------- parameters

def _parsed(value):
    """An object or array sent as a JSON string is used parsed (the MicroBT demo does that)."""
    if isinstance(value, str) and value.strip()[:1] in ('{', '['):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _required(value, name):
    if value is None:
        raise V3Error(CODE_INVALID_JSON, '%s item is null' % name)
    return value


def _obj(param, *names, required=True):
    """The named items of an object parameter, as a tuple (missing -> -3 when required)."""
    param = _parsed(param)
    if param is None:
        raise V3Error(CODE_INVALID_JSON, MSG_PARAM_NULL)
    if not isinstance(param, dict):
        raise V3Error(CODE_FAIL, 'param must be an object with %s' % ', '.join(names))
    out = []
    for name in names:
        value = param.get(name)
        if required:
            _required(value, name)
        out.append(value)
    return tuple(out)


def _int(value, name, low, high):
    _required(value, name)
    if isinstance(value, bool):
        raise V3Error(CODE_FAIL, 'invalid %s: not a number' % name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r'\s*[+-]?\d{1,12}\s*', value):
        value = int(value)
    if not isinstance(value, int):
        raise V3Error(CODE_FAIL, 'invalid %s: not an integer' % name)
    if not low <= value <= high:
        raise V3Error(CODE_FAIL, 'invalid %s: %d out of range %d..%d' % (name, value, low, high))
    return value


def _flag(value, name):
    return _int(value, name, 0, 1) == 1


def _enum(value, name, allowed):
    _required(value, name)
    if not isinstance(value, str) or value not in allowed:
        raise V3Error(CODE_INVALID_CMD, 'invalid %s: must be one of %s' % (name, ', '.join(allowed)))
    return value


def _text(value, name, max_len=255):
    _required(value, name)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise V3Error(CODE_FAIL, 'invalid %s: must be a string' % name)
    value = str(value)
    if len(value.encode('utf-8')) > max_len:
        raise V3Error(CODE_FAIL, 'invalid %s: longer than %d bytes' % (name, max_len))
    return value


def _ipv4(value, name):
    try:
        return str(ipaddress.IPv4Address(_text(value, name).strip()))
    except ValueError as exc:
        raise V3Error(CODE_FAIL, 'invalid %s: not an IPv4 address' % name) from exc


def _air_only(miner, cmd):
    if miner.profile.hydro:
        raise V3Error(CODE_FAIL, '%s is only supported on air-cooled miners, not %s' % (cmd, miner.profile.name))


# ---------------------------------------------------------------------------- read helpers

def effective_power_limit(miner):
    """min(configured limit, the model's limit); 0 = not limited by the user."""
    limit = int(miner.settings.get('power_limit', 0) or 0)
    top = miner.profile.max_power_limit
    return top if limit <= 0 else min(limit, top)


def power_percent(miner):
    if miner.power_pct_temp is not None:
        return int(miner.power_pct_temp)
    pct = int(miner.settings.get('power_pct', 100))
    return 0 if pct == 100 else pct


def permission_text(miner):
    perms = miner.settings.get('v3_permissions', {})
    parts = ['super=255']
    for user in V3_USERS:
        granted = perms.get(user) or []
        parts.append('%s=%d' % (user, 255 if len(granted) >= len(WRITE_COMMANDS) else len(granted)))
    return ' '.join(parts)


def _board_ths(miner):
    return miner.profile.nominal_ths / miner.profile.boards


def section_network(miner, now):
    info = api_v2.read_miner_info(miner, now, {})
    return {'ip': info['ip'], 'proto': info['proto'], 'netmask': info['netmask'], 'dns': info['dns'], 'mac': info['mac'],
            'gateway': info['gateway'], 'hostname': info['hostname']}


def section_miner(miner, _now):
    s = miner.settings
    profile = miner.profile
    board = models.V3_HASH_BOARD.get(profile.family, 'H50')
    out = {
        'working': 'true' if miner.mining and not miner.restarting else 'false',
        'type': profile.miner_type,
        'hash-board': board,
        'detect-hash-rate': ':'.join(str(int(_board_ths(miner) * 1000)) for dummy in range(profile.boards)),
        'cointype': s.get('cointype', 'BTC'),
        'pool-strategy': 'FAILOVER',
        'heatmode': HEAT_MODES_OUT.get(s.get('heat_mode', 'normal'), 'normal') if profile.hydro else '',
        'hash-percent': str(s.get('target_freq', 0)) if int(s.get('target_freq', 0)) else '',
    }
    if profile.hydro:
        out['eeprom-liquid-cooling'] = '0-0-0'
    for i in range(profile.boards):
        out['chipdata%d' % i] = '%s-%08d BINVE2-%07d' % (profile.chip, miner.index + 1, i)
    out.update({'fast-boot': 'enable' if s.get('fast_boot') else 'disable', 'board-num': str(profile.boards)})
    for i in range(profile.boards):
        out['pcbsn%d' % i] = 'HEM%s%02d%06d' % (profile.family[1], i, miner.index + 1)
    out.update({
        'miner-sn': s.get('minersn', ''),
        'power-limit-set': str(s.get('power_limit', '')),
        'web-pool': 1 if s.get('web_pools', True) else 0,
        'UpfreqSpeed': str(s.get('upfreq_speed', 0)),
        'permission': permission_text(miner),
    })
    return out


def section_system(miner, _now):
    s = miner.settings
    led = s.get('led', {})
    return {
        'api': models.V3_API_VERSION, 'platform': miner.profile.platform, 'fwversion': s['firmware_version'],
        'control-board-version': 'CB6V10',
        'apiswitch': '1' if s.get('write_api', True) and not miner.has_fault('write_api_off') else '0',
        'ledstatus': 'auto' if led.get('mode', 'auto') == 'auto' else 'manual',
    }


def section_power(miner, now):
    psu = api_v2.read_psu(miner, now, {})
    out = {
        'type': psu['name'], 'mode': '1', 'hwversion': psu['hw_version'], 'swversion': psu['sw_version'],
        'model': miner.profile.psu_model,
        'iin': round(int(psu['iin']) / 1000.0, 2), 'vin': round(int(psu['vin']) / 100.0, 1), 'vout': 1222,
        'pin': int(psu['pin']), 'fanspeed': int(psu['fan_speed']), 'temp0': int(float(psu['temp0'])),
        'sn': psu['serial_no'], 'vendor': psu['vendor'],
    }
    if miner.profile.hydro:
        out['liquid-temperature'] = round(miner.env_temp(now) + 8, 1)
    return out


def section_errors(miner, _now):
    return [{str(code): time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(when)), 'reason': ERROR_REASONS.get(code, 'Error %d.' % code)}
            for code, when in miner.error_codes()]


DEVICE_BUILDERS = {
    'network': section_network, 'miner': section_miner, 'system': section_system, 'power': section_power,
    'salt': lambda miner, now: miner.v3_salt, 'error-code': section_errors,
}


def r_device_info(miner, cmd, param):
    now = time.time()
    if param in (None, ''):
        wanted = list(DEVICE_SECTIONS)
    elif isinstance(param, str):
        wanted = [w.strip() for w in re.split(r'[,+]', param) if w.strip()]
    else:
        raise V3Error(CODE_INVALID_CMD, 'invalid param: a section name')
    if not wanted or any(w not in DEVICE_SECTIONS for w in wanted):
        raise V3Error(CODE_INVALID_CMD, 'invalid param: sections are %s' % ', '.join(DEVICE_SECTIONS))
    return ok(cmd, {name: DEVICE_BUILDERS[name](miner, now) for name in wanted})


def status_summary(miner, now):
    s = miner.settings
    ths, watts, shares = miner.output(now)
    tmin, tmax, tavg = miner.chip_temps(now, watts)
    fan_in, fan_out = miner.fans(now, watts)
    live = [share for share in shares if share]
    return {
        'elapsed': miner.elapsed(now), 'bootup-time': miner.uptime(now), 'freq-avg': miner.freq_mhz(),
        'target-freq': int(s.get('target_freq', 0)), 'factory-hash': round(miner.profile.nominal_ths, 3),
        'hash-average': round(ths * 0.998, 3), 'hash-1min': round(ths * 1.001, 3), 'hash-15min': round(ths * 0.999, 3),
        'hash-realtime': round(ths, 3), 'power-rate': round(watts / ths, 3) if ths else 0.0,
        'power-5min': round(watts * 0.999, 3), 'power-realtime': int(watts),
        'environment-temperature': miner.env_temp(now),
        'board-temperature': miner.board_temps(now, watts, shares),
        'chip-temp-min': tmin if live else 0.0, 'chip-temp-avg': tavg if live else 0.0, 'chip-temp-max': tmax if live else 0.0,
        'power-limit': effective_power_limit(miner), 'up-freq-finish': 1 if miner.ramp(now) >= 1.0 and miner.mining else 0,
        'fan-speed-in': fan_in, 'fan-speed-out': fan_out,
    }


def status_pools(miner, now):
    ths, dummy, dummy = miner.output(now)
    dead = miner.has_fault('pool_down')
    items = []
    active_done = False
    for i, pool in enumerate(miner.settings.get('pools', EMPTY_POOLS)):
        if not pool.get('url'):
            continue
        alive = not dead and miner.mining
        active = alive and not active_done
        active_done = active_done or active
        items.append({
            'id': i + 1, 'url': pool['url'], 'status': 'alive' if alive else 'dead', 'account': pool.get('user', ''),
            'stratum-active': active, 'reject-rate': 0.2 if active and ths else 0.0,
            'last-share-time': int(now) - 2 if active and ths else 0, 'pool-priority': i,
        })
    return items


def status_edevs(miner, now):
    ths, watts, shares = miner.output(now)
    tmin, tmax, tavg = miner.chip_temps(now, watts)
    freq = miner.freq_mhz()
    items = []
    for slot, share in enumerate(shares):
        board = ths * share * (1 + 0.01 * models.wave(now, 23 + slot, miner.phase + slot))
        items.append({
            'id': slot, 'slot': slot, 'hash-average': round(board * 0.998, 3), 'hash-realtime': round(board, 3),
            'factory-hash': round(_board_ths(miner), 3), 'freq': float(freq if share else 0),
            'effective-chips': miner.profile.chips_per_board if share else 0,
            'chip-temp-min': tmin if share else 0.0, 'chip-temp-avg': tavg if share else 0.0, 'chip-temp-max': tmax if share else 0.0,
            'status': 'alive' if share else 'dead',
        })
    return items


STATUS_BUILDERS = {'summary': status_summary, 'pools': status_pools, 'edevs': status_edevs}


def r_miner_status(miner, cmd, param):
    if param in (None, ''):
        return ok(cmd, {})
    if not isinstance(param, str):
        raise V3Error(CODE_INVALID_CMD, 'invalid param: summary, pools, edevs joined with +')
    wanted = [w.strip() for w in param.split('+') if w.strip()]
    if not wanted or any(w not in STATUS_SECTIONS for w in wanted):
        raise V3Error(CODE_INVALID_CMD, 'invalid param: summary, pools, edevs joined with +')
    now = time.time()
    idle = not miner.mining or miner.restarting
    if idle and wanted == ['pools']:
        raise V3Error(CODE_FAIL, 'btminer is not running')
    msg = {}
    for name in wanted:
        if name == 'pools' and idle:
            continue  # "summary+pools" on an idle miner leaves the pools out
        msg[name] = STATUS_BUILDERS[name](miner, now)
    return ok(cmd, msg)


def miner_setting(miner):
    s = miner.settings
    return {
        'power-limit': effective_power_limit(miner), 'upfreq-speed': int(s.get('upfreq_speed', 0)),
        'power-mode': str(s.get('power_mode', 'Normal')).lower(), 'fast-boot': 'enable' if s.get('fast_boot') else 'disable',
        'fast-hash': 'enable' if s.get('fast_hash') else 'disable',
        'heat-mode': HEAT_MODES_OUT.get(s.get('heat_mode', 'normal'), 'normal'), 'target-freq': int(s.get('target_freq', 0)),
        'fast-mining': 'disable', 'power': int(s.get('power_target', 0) or 0), 'power-percent': power_percent(miner),
        'btrom-worker-suffix': '',
    }


def r_miner_setting(miner, cmd, _param):
    return ok(cmd, miner_setting(miner))


def r_fan_setting(miner, cmd, _param):
    s = miner.settings
    return ok(cmd, {'fan-poweroff-cool': 1 if s.get('poweroff_cool') else 0, 'fan-zero-speed': 1 if s.get('fan_zero_speed') else 0,
                    'fan-temp-offset': int(s.get('temp_offset', 0))})


def system_setting(miner):
    s = miner.settings
    out = {'web-pool': 1 if s.get('web_pools', True) else 0, 'timezone': s.get('timezone', 'CST-8'),
           'zonename': s.get('zonename', 'Asia/Shanghai'), 'hostname': s.get('hostname', 'WhatsMiner')}
    syslog = s.get('syslog') or {}
    if syslog.get('ip'):
        out['log-upload'] = {'ip': syslog['ip'], 'port': str(syslog.get('port', '')), 'proto': syslog.get('proto', 'udp')}
    randomized = s.get('time_randomized') or {}
    out['time-randomized'] = {'start': int(randomized.get('start', 0)), 'stop': int(randomized.get('stop', 0))}
    out['ntp-server'] = list(s.get('ntp_servers') or [])
    return out


def r_system_setting(miner, cmd, _param):
    return ok(cmd, system_setting(miner))


def r_custom_data(miner, cmd, _param):
    msgs = miner.settings.get('customer_msg', {})
    return ok(cmd, {k: msgs.get(k, '') for k in CUSTOMER_KEYS})


def r_history(miner, cmd, param):
    begin, end = _obj(param, 'begin', 'end')
    begin = _int(begin, 'begin', 0, 2 ** 31)
    end = _int(end, 'end', 0, 2 ** 31)
    if end < begin or end - begin > MAX_HISTORY_SPAN:
        raise V3Error(CODE_FAIL, 'invalid range: end - begin must be 0..%d seconds' % MAX_HISTORY_SPAN)
    now = time.time()
    records = []
    start = begin - begin % HISTORY_STEP + (HISTORY_STEP if begin % HISTORY_STEP else 0)
    for stamp in range(start, min(end, int(now)) + 1, HISTORY_STEP):
        if stamp < miner.boot_time:
            continue
        ths, watts, dummy = miner.output(stamp)
        records.append('%d,%.2f,%d,%.1f' % (stamp, ths, int(watts), miner.env_temp(stamp)))
    return ok(cmd, {'Data': ' '.join(records)})


def r_log_download(miner, cmd, _param):
    data = miner.log_archive()
    return ok(cmd, {'logsize': str(len(data))}, stream='logs', payload=data)


READ_COMMANDS = {
    'get.device.info': r_device_info,
    'get.device.custom_data': r_custom_data,
    'get.fan.setting': r_fan_setting,
    'get.log.download': r_log_download,
    'get.miner.history': r_history,
    'get.miner.setting': r_miner_setting,
    'get.miner.status': r_miner_status,
    'get.system.setting': r_system_setting,
}


# ---------------------------------------------------------------------------- writes

class Ctx:
    """The checked write request: its account and the AES key/token digest."""

    def __init__(self, account, digest):
        self.account = account
        self.digest = digest


def _decrypted(miner, ctx, cmd, param):
    """The clear parameter of set.miner.pools / set.user.change_passwd."""
    if not isinstance(param, str):
        if cmd == 'set.miner.pools' and miner.config.v3_plain_pools and param is not None:
            return _parsed(param)
        if param is None:
            raise V3Error(CODE_INVALID_JSON, MSG_PARAM_NULL)
        raise V3Error(CODE_FAIL, 'param must be encrypted (AES-256-ECB, base64)')
    try:
        value = json.loads(crypto.v3_decrypt_param(ctx.digest, param))
        if isinstance(value, str):
            value = json.loads(value)  # the demo's double encoding
    except (ValueError, UnicodeDecodeError) as exc:
        raise V3Error(CODE_FAIL, 'cannot decrypt param') from exc
    return value


def _set(miner, cmd, values, **kwargs):
    miner.apply_settings(values)
    return ok(cmd, **kwargs)


def w_custom_data(miner, cmd, param, _ctx):
    key, value = _obj(param, 'key', 'value')
    key = _enum(key, 'key', CUSTOMER_KEYS)
    value = _text(value, 'value', 127)
    if not value.isprintable():
        raise V3Error(CODE_FAIL, 'invalid value: printable characters only')
    msgs = dict(miner.settings.get('customer_msg', {}))
    msgs[key] = value
    return _set(miner, cmd, {'customer_msg': msgs})


def _fan_flag(name):
    def handler(miner, cmd, param, _ctx):
        _air_only(miner, cmd)
        return _set(miner, cmd, {name: _flag(param, 'param')})
    return handler


def w_temp_offset(miner, cmd, param, _ctx):
    _air_only(miner, cmd)
    return _set(miner, cmd, {'temp_offset': _int(param, 'param', -30, 0)})


def w_log_upload(miner, cmd, param, _ctx):
    ip, port, proto = _obj(param, 'ip', 'port', 'proto')
    proto = _enum(proto, 'proto', ('tcp', 'udp'))
    if isinstance(ip, str) and not ip.strip():
        return _set(miner, cmd, {'syslog': {'ip': '', 'port': 0, 'proto': ''}})
    return _set(miner, cmd, {'syslog': {'ip': _ipv4(ip, 'ip'), 'port': _int(port, 'port', 1, 65535), 'proto': proto}})


def w_cointype(miner, cmd, param, _ctx):
    param = _parsed(param)
    value = _obj(param, 'cointype')[0] if isinstance(param, dict) or param is None else param
    return _set(miner, cmd, {'cointype': _enum(value, 'cointype', COINTYPES)})


def w_fast_hash(miner, cmd, param, _ctx):
    return _set(miner, cmd, {'fast_hash': _flag(param, 'param')})


def w_fastboot(miner, cmd, param, _ctx):
    enable = _enum(param, 'param', ('enable', 'disable')) == 'enable'
    if enable and int(miner.settings.get('upfreq_speed', 0)) > 0:
        raise V3Error(CODE_FAIL, 'fast boot cannot be enabled while upfreq speed is %s' % miner.settings['upfreq_speed'])
    return _set(miner, cmd, {'fast_boot': enable})


def w_heat_mode(miner, cmd, param, _ctx):
    mode = _enum(param, 'param', tuple(HEAT_MODES_IN))
    if not miner.profile.hydro:
        raise V3Error(CODE_FAIL, '%s is only supported on liquid-cooled miners, not %s' % (cmd, miner.profile.name))
    return _set(miner, cmd, {'heat_mode': HEAT_MODES_IN[mode]})


def w_pools(miner, cmd, param, ctx):
    pools = _decrypted(miner, ctx, cmd, param)
    if isinstance(pools, dict):
        pools = [pools]
    if not isinstance(pools, list) or not 1 <= len(pools) <= 3:
        raise V3Error(CODE_FAIL, 'pools must be a list of 1 to 3 {pool, worker, passwd}')
    out = []
    for i, pool in enumerate(pools):
        if not isinstance(pool, dict):
            raise V3Error(CODE_FAIL, 'pool %d must be an object' % (i + 1))
        url = _text(pool.get('pool', ''), 'pool')
        user = _text(pool.get('worker', ''), 'worker')
        password = _text(pool.get('passwd', ''), 'passwd')
        if any(c.isspace() for c in url + user):
            raise V3Error(CODE_FAIL, 'pool %d: spaces are not allowed' % (i + 1))
        if not url and user:
            raise V3Error(CODE_FAIL, 'pool %d: worker without pool url' % (i + 1))
        out.append({'url': url.strip(), 'user': user, 'password': password})
    while len(out) < 3:
        out.append({'url': '', 'user': '', 'password': ''})
    return _set(miner, cmd, {'pools': out})


def w_power(miner, cmd, param, _ctx):
    return _set(miner, cmd, {'power_target': _int(param, 'param', 0, 99999)})


def w_power_limit(miner, cmd, param, _ctx):
    return _set(miner, cmd, {'power_limit': _int(param, 'param', 0, 99999)}, restart='btminer')


def w_power_mode(miner, cmd, param, _ctx):
    mode = _enum(param, 'param', ('low', 'normal', 'high'))
    return _set(miner, cmd, {'power_mode': mode.capitalize()})


def w_power_percent(miner, cmd, param, _ctx):
    percent, mode = _obj(param, 'percent', 'mode')
    if not isinstance(percent, str) and not miner.config.v3_percent_number:
        raise V3Error(CODE_FAIL, 'percent must be a string')
    top = 200 if miner.profile.hydro else 100
    percent = _int(percent, 'percent', 0, top)
    _enum(mode, 'mode', ('fast', 'normal'))
    if not miner.profile.hydro and miner.settings.get('power_mode') == 'High':
        raise V3Error(CODE_FAIL, 'power percent needs normal or low power mode on air-cooled miners')
    miner.power_pct_temp = percent  # not saved: lost at the next restart
    return ok(cmd)


def w_report(_miner, cmd, param, _ctx):
    param = _parsed(param)
    gap = _obj(param, 'gap')[0] if isinstance(param, dict) or param is None else param
    return ok(cmd, stream='report', gap=_int(gap, 'gap', 0, MAX_REPORT_GAP))


RESTORED_SETTINGS = ('power_mode', 'power_limit', 'target_freq', 'power_pct', 'power_target', 'fast_boot', 'upfreq_speed',
                     'temp_offset', 'poweroff_cool', 'fan_zero_speed', 'heat_mode', 'fast_hash')


def w_restore_setting(miner, cmd, _param, _ctx):
    values = v3_factory_values(miner.profile, miner.config.factory_write_api)
    miner.power_pct_temp = None
    return _set(miner, cmd, {k: values[k] for k in RESTORED_SETTINGS})


def w_service(miner, cmd, param, _ctx):
    action = _enum(param, 'param', ('restart', 'start', 'stop', 'enable', 'disable'))
    if action == 'restart':
        return ok(cmd, restart='btminer')
    if action == 'start':
        miner.power_on()
    elif action == 'stop':
        miner.power_off()
    else:
        miner.apply_settings({'btminer_init': action == 'enable'})
    return ok(cmd)


def w_target_freq(miner, cmd, param, _ctx):
    percent = _int(param, 'param', -100, 100)
    if percent > 0 and not miner.profile.hydro:
        raise V3Error(CODE_FAIL, 'air-cooled miners only accept a negative target frequency')
    return _set(miner, cmd, {'target_freq': percent}, restart='btminer')


def w_upfreq_speed(miner, cmd, param, _ctx):
    speed = _int(param, 'param', 0, 10)
    if speed > 0 and miner.settings.get('fast_boot'):
        raise V3Error(CODE_FAIL, 'upfreq speed %d is not allowed while fast boot is enabled' % speed)
    return _set(miner, cmd, {'upfreq_speed': speed})


def w_factory_reset(miner, cmd, _param, _ctx):
    miner.apply_settings(v3_factory_values(miner.profile, miner.config.factory_write_api))
    miner.power_pct_temp = None
    return ok(cmd, restart='board')


def w_hostname(miner, cmd, param, _ctx):
    param = _parsed(param)
    value = _obj(param, 'hostname')[0] if isinstance(param, dict) or param is None else param
    hostname = _text(value, 'hostname', 63)
    if not HOSTNAME_RE.match(hostname):
        raise V3Error(CODE_FAIL, 'invalid hostname: letters, digits and hyphens, at most 63')
    return _set(miner, cmd, {'hostname': hostname})


def w_led(miner, cmd, param, _ctx):
    param = _parsed(param)
    if param == 'auto':
        return _set(miner, cmd, {'led': {'mode': 'auto', 'color': '', 'period': 0, 'duration': 0, 'start': 0}})
    if isinstance(param, dict):
        param = [param]
    if param is None:
        raise V3Error(CODE_INVALID_JSON, MSG_PARAM_NULL)
    if not isinstance(param, list) or not param or not all(isinstance(p, dict) for p in param):
        raise V3Error(CODE_FAIL, 'param must be "auto" or a list of {color, period, duration, start}')
    first = param[0]
    color = _enum(first.get('color'), 'color', ('red', 'green'))
    period = _int(first.get('period'), 'period', 0, 100000)
    duration = _int(first.get('duration'), 'duration', 0, 100000)
    start = _int(first.get('start'), 'start', 0, 100000)
    if duration > period:
        raise V3Error(CODE_FAIL, 'invalid duration: longer than period')
    return _set(miner, cmd, {'led': {'mode': 'manual', 'color': color, 'period': period, 'duration': duration, 'start': start}})


def w_net_config(miner, cmd, param, _ctx):
    param = _parsed(param)
    if param == 'dhcp':
        return _set(miner, cmd, {'network': {'proto': 'dhcp', 'ip': '', 'netmask': '', 'gateway': '', 'dns': ''}}, restart='board')
    ip, netmask, gateway, dns = _obj(param, 'ip', 'netmask', 'gateway', 'dns', required=False)
    ip = _ipv4(ip, 'ip')
    netmask = _ipv4(netmask, 'netmask')
    try:
        ipaddress.IPv4Network('0.0.0.0/%s' % netmask)
    except ValueError as exc:
        raise V3Error(CODE_FAIL, 'invalid netmask') from exc
    gateway = _ipv4(gateway, 'gateway')
    dns_list = dns if isinstance(dns, list) else re.split(r'[\s,]+', str(dns or '').strip())
    dns_text = ' '.join(_ipv4(d, 'dns') for d in dns_list if str(d).strip())
    network = {'proto': 'static', 'ip': ip, 'netmask': netmask, 'gateway': gateway, 'dns': dns_text}
    return _set(miner, cmd, {'network': network}, restart='board')


def w_ntp_server(miner, cmd, param, _ctx):
    param = _parsed(param)
    _required(param, 'param')
    servers = param if isinstance(param, list) else str(param).split(',')
    servers = [str(s).strip() for s in servers if str(s).strip()]
    if not servers or any(not re.fullmatch(r'[A-Za-z0-9.-]{1,253}', s) for s in servers):
        raise V3Error(CODE_FAIL, 'invalid param: comma-separated host names')
    return _set(miner, cmd, {'ntp_servers': servers})


def w_reboot(_miner, cmd, _param, _ctx):
    return ok(cmd, restart='board')


def w_time_randomized(miner, cmd, param, _ctx):
    start, stop = _obj(param, 'start', 'stop')
    return _set(miner, cmd, {'time_randomized': {'start': _int(start, 'start', 0, 120), 'stop': _int(stop, 'stop', 0, 120)}})


def w_timezone(miner, cmd, param, _ctx):
    timezone, zonename = _obj(param, 'timezone', 'zonename')
    timezone = _text(timezone, 'timezone', 64)
    zonename = _text(zonename, 'zonename', 64)
    if not timezone.strip() or not zonename.strip():
        raise V3Error(CODE_FAIL, 'invalid timezone/zonename: empty')
    return _set(miner, cmd, {'timezone': timezone, 'zonename': zonename})


def w_update_firmware(_miner, cmd, _param, _ctx):
    return ok(cmd, 'ready', stream='firmware')


def w_webpools(miner, cmd, param, _ctx):
    return _set(miner, cmd, {'web_pools': _enum(param, 'param', ('enable', 'disable')) == 'enable'})


def w_change_passwd(miner, cmd, param, ctx):
    value = _decrypted(miner, ctx, cmd, param)
    account, new, old = _obj(value, 'account', 'new', 'old')
    account = _enum(account, 'account', V3_ACCOUNTS)
    if ctx.account not in ('super', account):
        raise V3Error(CODE_NO_PERMISSION, 'only super may change another account\'s password')
    passwords = dict(miner.settings.get('v3_passwords', {}))
    if _text(old, 'old', 64) != passwords.get(account, account):
        raise V3Error(CODE_FAIL, 'old password error')
    new = _text(new, 'new', 64)
    if not PASSWORD_RE.match(new):
        raise V3Error(CODE_FAIL, 'invalid new password: 1 to 32 printable ASCII characters, no spaces')
    passwords[account] = new
    return _set(miner, cmd, {'v3_passwords': passwords})


def w_permission(miner, cmd, param, ctx):
    if ctx.account != 'super':
        raise V3Error(CODE_NO_PERMISSION, MSG_NO_PERMISSION)
    user, permission = _obj(param, 'user', 'permission')
    user = _enum(user, 'user', V3_USERS)
    if isinstance(permission, list):
        names = [str(p).strip() for p in permission]
    else:
        names = [p.strip() for p in _text(permission, 'permission', 4096).split(',')]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in WRITE_COMMANDS or n == 'set.user.permission']
    if unknown:
        raise V3Error(CODE_INVALID_CMD, 'invalid permission: unknown command(s) %s' % ', '.join(unknown))
    perms = dict(miner.settings.get('v3_permissions', {}))
    perms[user] = sorted(set(names))
    return _set(miner, cmd, {'v3_permissions': perms})


WRITE_COMMANDS = {
    'set.device.custom_data': w_custom_data,
    'set.fan.poweroff_cool': _fan_flag('poweroff_cool'),
    'set.fan.temp_offset': w_temp_offset,
    'set.fan.zero_speed': _fan_flag('fan_zero_speed'),
    'set.log.upload': w_log_upload,
    'set.miner.cointype': w_cointype,
    'set.miner.fast_hash': w_fast_hash,
    'set.miner.fastboot': w_fastboot,
    'set.miner.heat_mode': w_heat_mode,
    'set.miner.pools': w_pools,
    'set.miner.power': w_power,
    'set.miner.power_limit': w_power_limit,
    'set.miner.power_mode': w_power_mode,
    'set.miner.power_percent': w_power_percent,
    'set.miner.report': w_report,
    'set.miner.restore_setting': w_restore_setting,
    'set.miner.service': w_service,
    'set.miner.target_freq': w_target_freq,
    'set.miner.upfreq_speed': w_upfreq_speed,
    'set.system.factory_reset': w_factory_reset,
    'set.system.hostname': w_hostname,
    'set.system.led': w_led,
    'set.system.net_config': w_net_config,
    'set.system.ntp_server': w_ntp_server,
    'set.system.reboot': w_reboot,
    'set.system.time_randomized': w_time_randomized,
    'set.system.timezone': w_timezone,
    'set.system.update_firmware': w_update_firmware,
    'set.system.webpools': w_webpools,
    'set.user.change_passwd': w_change_passwd,
    'set.user.permission': w_permission,
}

ENCRYPTED_COMMANDS = ('set.miner.pools', 'set.user.change_passwd')
# Writes allowed while the account still has its factory password (there is no other way to change it).
DEFAULT_PASSWORD_EXEMPT = ('set.user.change_passwd',)
ALL_COMMANDS = tuple(READ_COMMANDS) + tuple(WRITE_COMMANDS)


# ---------------------------------------------------------------------------- dispatch

def _ts_value(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r'\d{1,12}', value):
        return value
    return None


def check_write(miner, cmd, req):
    """The permission checks of reference_protocol.rst V3 §3.3, in order; return a Ctx or raise V3Error."""
    cfg = miner.config
    account = req.get('account')
    token = req.get('token')
    ts = _ts_value(req.get('ts'))
    if account not in V3_ACCOUNTS or not isinstance(token, str) or ts is None:
        raise V3Error(CODE_NO_PERMISSION, MSG_NO_PERMISSION)
    passwords = miner.settings.get('v3_passwords', {})
    password = passwords.get(account, account)
    if not miner.settings.get('write_api', True) or miner.has_fault('write_api_off'):
        raise V3Error(CODE_NO_PERMISSION, 'no permission: the API write switch is off')
    if password == account and cmd not in DEFAULT_PASSWORD_EXEMPT:
        raise V3Error(CODE_NO_PERMISSION, 'no permission: change the default password of %s first' % account)
    key_password = password
    if miner.has_fault('wrong_password'):
        key_password = 'not-the-password-%s' % miner.id
    digest = crypto.v3_digest(cmd, key_password, miner.v3_salt, ts)
    expected = base64.b64encode(digest).decode('ascii')[:8]
    if miner.take_fault('stale_token') or token != expected:
        raise V3Error(int(cfg.v3_bad_token_code), 'no permission: token check failed')
    if account != 'super' and cmd != 'set.user.permission':
        allowed = (miner.settings.get('v3_permissions', {}) or {}).get(account) or []
        if cmd not in allowed:
            raise V3Error(CODE_NO_PERMISSION, 'no permission: %s may not run %s' % (account, cmd))
    window = float(cfg.v3_ts_window or 0)
    if 0 < window < abs(int(ts) - time.time()):
        raise V3Error(CODE_NO_PERMISSION, 'no permission: ts is %d s away from the miner clock' % abs(int(ts) - time.time()))
    return Ctx(account, digest)


def handle(miner, data):
    """Turn the JSON body of one frame into a Reply3."""
    try:
        req = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        miner.count('bad_requests')
        return error(miner, '', CODE_FAIL, MSG_INVALID_JSON)
    if not isinstance(req, dict):
        miner.count('bad_requests')
        return error(miner, '', CODE_FAIL, MSG_INVALID_JSON)
    cmd = req.get('cmd')
    if cmd is None:
        miner.count('bad_requests')
        return error(miner, '', CODE_INVALID_JSON, 'cmd item is null')
    if not isinstance(cmd, str) or cmd not in ALL_COMMANDS:
        miner.count('bad_requests')
        return error(miner, cmd if isinstance(cmd, str) else '', CODE_INVALID_CMD, MSG_INVALID_CMD)
    miner.count(cmd)
    param = req.get('param')
    if cmd in READ_COMMANDS:
        miner.count('reads')
        try:
            return READ_COMMANDS[cmd](miner, cmd, param)
        except V3Error as exc:
            return error(miner, cmd, exc.code, exc.msg)
    miner.count('writes')
    try:
        ctx = check_write(miner, cmd, req)
        if cmd != 'set.device.custom_data' and miner.take_fault('ignore_write'):
            return ok(cmd)  # acknowledged, and nothing changes
        reply = WRITE_COMMANDS[cmd](miner, cmd, param, ctx)
    except V3Error as exc:
        return error(miner, cmd, exc.code, exc.msg)
    miner.count('writes_ok')
    return reply


def report_frame(miner):
    """What a set.miner.report push carries: a summary status reply named get.miner.report."""
    return envelope(CODE_OK, {'summary': status_summary(miner, time.time())}, 'get.miner.report')
