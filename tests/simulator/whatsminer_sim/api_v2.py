# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The V2.2 command set (reference_protocol.rst V2.2 §3 to 6) over a :class:`~.miner.Miner`.

``handle(miner, data)`` turns one request text into a :class:`Reply`; the listener does
the socket work (serialising, encrypting, streams, faults, restarts).
"""

import ipaddress
import json
import re
import time

from . import crypto, generations, models
from . import protocol as P
from .state import CUSTOMER_KEYS, EMPTY_POOLS

READ_COMMANDS = ('summary', 'pools', 'edevs', 'devs', 'devdetails', 'get_psu', 'get_version', 'get_token', 'status',
                 'get_miner_info', 'get_error_code')

MINER_INFO_FIELDS = ('ip', 'proto', 'netmask', 'gateway', 'dns', 'hostname', 'mac', 'ledstat', 'minersn', 'powersn')
PASSWORD_RE = re.compile(r'^[A-Za-z0-9_]{1,8}$')
HOSTNAME_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,62})$')
HEAT_MODES = ('anti-icing', 'heating', 'normal')


class CmdError(Exception):
    """A command refused with a code and Msg (plain-text error reply)."""

    def __init__(self, msg, code=P.CODE_CMD_ERROR):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class Reply:
    """What to send back for one request.

    ``obj`` None means "send nothing, just close". ``restart`` ('btminer' or 'board') asks
    the listener to restart the miner after replying (the reply may then be dropped).
    ``stream`` is 'firmware' or 'logs' for the two commands that keep the connection.
    """

    def __init__(self, cmd, obj, encrypt=False, restart=None, stream=None, payload=b''):
        self.key = None  # AES key of an encrypted reply: the one the request was decrypted with
        self.cmd = cmd
        self.obj = obj
        self.encrypt = encrypt
        self.restart = restart
        self.stream = stream
        self.payload = payload
        # "respbefore": "true" (sent with power_off and reboot by every public client): answer, then act
        self.respbefore = False


# ---------------------------------------------------------------------------- helpers

def _desc(miner):
    return P.API_V1_DESCRIPTION if miner.api_version == 1 else ''


def now_int():
    return int(time.time())


def _raw_param(req, name, single):
    if name in req:
        return req[name]
    param = req.get('param')
    if isinstance(param, dict):
        return param.get(name)
    if isinstance(param, str) and param.startswith('{'):
        try:
            parsed = json.loads(param)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed.get(name)
    if single and param is not None:
        return param
    return None


def str_param(req, name, single=False, required=True, max_len=None):
    value = _raw_param(req, name, single)
    if value is None:
        if required:
            raise CmdError('missing parameter %s' % name)
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CmdError('invalid %s: must be a string' % name)
    value = str(value)
    if max_len is not None and len(value) > max_len:
        raise CmdError('invalid %s: longer than %d characters' % (name, max_len))
    return value


def int_param(req, name, low, high, single=False):
    value = _raw_param(req, name, single)
    if value is None:
        raise CmdError('missing parameter %s' % name)
    if isinstance(value, bool):
        raise CmdError('invalid %s: not an integer' % name)
    if isinstance(value, float):
        if not value.is_integer():
            raise CmdError('invalid %s: not an integer' % name)
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r'[+-]?\d{1,9}', text):
            raise CmdError('invalid %s: %r is not an integer' % (name, value))
        value = int(text)
    if not isinstance(value, int):
        raise CmdError('invalid %s: not an integer' % name)
    if not low <= value <= high:
        raise CmdError('invalid %s: %d out of range %d..%d' % (name, value, low, high))
    return value


def flag_param(req, name):
    value = str_param(req, name, single=True)
    if value.strip() not in ('0', '1'):
        raise CmdError('invalid %s: must be "0" or "1"' % name)
    return value.strip() == '1'


def ipv4(value, name):
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError as exc:
        raise CmdError('invalid %s: %r is not an IPv4 address' % (name, value)) from exc


def air_only(miner, cmd):
    if miner.profile.hydro:
        raise CmdError('%s is not supported on hydro-cooled %s' % (cmd, miner.profile.name))


def ok_reply(miner, cmd, restart=None, msg=P.MSG_OK):
    return Reply(cmd, P.ok(msg, now_int(), _desc(miner)), encrypt=True, restart=restart)


# ---------------------------------------------------------------------------- reads

def _fmt(value, digits=2):
    return round(float(value), digits)


def _shares(elapsed, ths):
    """Accepted shares since btminer started: about one a minute per TH/s."""
    return int(elapsed * ths / 60)


def summary_items(miner, now):
    s = miner.settings
    ths, watts, dummy = miner.output(now)
    mhs = ths * 1e6
    elapsed = miner.elapsed(now)
    tmin, tmax, tavg = miner.chip_temps(now, watts)
    fan_in, fan_out = miner.fans(now, watts)
    freq = miner.freq_mhz()
    accepted = _shares(elapsed, ths)
    return [{
        'Elapsed': elapsed,
        'MHS av': _fmt(mhs * (0.998 if elapsed else 0)),
        'MHS 5s': _fmt(mhs * 1.003),
        'MHS 1m': _fmt(mhs * 1.001),
        'MHS 5m': _fmt(mhs),
        'MHS 15m': _fmt(mhs * 0.999),
        'HS RT': _fmt(mhs),
        'Accepted': accepted,
        'Rejected': accepted // 500,
        'Total MH': _fmt(mhs * elapsed, 0),
        'Temperature': tavg,
        'freq_avg': freq,
        'Fan Speed In': fan_in,
        'Fan Speed Out': fan_out,
        'Power': int(watts),
        'Power Rate': _fmt(watts / ths if ths else 0.0),
        'Pool Rejected%': 0.2 if accepted else 0.0,
        'Pool Stale%': 0.0,
        'Last getwork': int(now) if miner.mining else 0,
        'Uptime': miner.uptime(now),
        'Security Mode': 0,
        'Hash Stable': miner.ramp(now) >= 1.0,
        'Hash Stable Cost Seconds': int(min(elapsed, miner.config.ramp_seconds)),
        'Hash Deviation%': _fmt(0.1 * models.wave(now, 31, miner.phase)),
        'Target Freq': freq,
        'Target MHS': _fmt(mhs / max(miner.ramp(now), 0.01) if ths else 0),
        'Env Temp': miner.env_temp(now),
        'Power Mode': s.get('power_mode', 'Normal'),
        'Factory GHS': int(miner.profile.nominal_ths * 1000),
        'Power Limit': int(s.get('power_limit', 0)),
        'Chip Temp Min': tmin,
        'Chip Temp Max': tmax,
        'Chip Temp Avg': tavg,
        'Debug': '-0.0_100.0_%d' % int(s.get('power_limit', 0)),
        'Btminer Fast Boot': 'enable' if s.get('fast_boot') else 'disable',
    }]


def pools_items(miner, now):
    items = []
    elapsed = miner.elapsed(now)
    ths, dummy, dummy = miner.output(now)
    dead = miner.has_fault('pool_down')
    active_done = False
    for i, pool in enumerate(miner.settings.get('pools', EMPTY_POOLS)):
        if not pool.get('url'):
            continue
        alive = not dead and miner.mining
        active = alive and not active_done
        active_done = active_done or active
        accepted = _shares(elapsed, ths) if active else 0
        url = pool['url']
        items.append({
            'POOL': i, 'URL': url, 'Status': 'Alive' if alive else 'Dead', 'Priority': i, 'Quota': 1, 'Long Poll': 'N',
            'Getworks': elapsed // 30 + 1 if alive else 0, 'Accepted': accepted, 'Rejected': accepted // 500, 'Works': accepted * 4,
            'Discarded': accepted // 20, 'Stale': 0, 'Get Failures': 0 if alive else 3, 'Remote Failures': 0, 'User': pool.get('user', ''),
            'Last Share Time': int(now) - 2 if accepted else 0, 'Diff1 Shares': accepted * 65536,
            'Proxy Type': '', 'Proxy': '', 'Difficulty Accepted': float(accepted * 65536), 'Difficulty Rejected': float(accepted // 500 * 65536),
            'Difficulty Stale': 0.0, 'Last Share Difficulty': 65536.0 if accepted else 0.0, 'Work Difficulty': 65536.0,
            'Has Stratum': 1, 'Stratum Active': active, 'Stratum URL': re.sub(r'^[a-z0-9+.-]+://', '', url).split(':')[0] if active else '',
            'Stratum Difficulty': 65536.0, 'Best Share': accepted * 131072, 'Pool Rejected%': 0.2 if accepted else 0.0,
            'Pool Stale%': 0.0, 'Bad Work': 0, 'Current Block Height': 870000 + int(now) // 600 % 10000, 'Current Block Version': 536870916,
        })
    return items


def devs_items(miner, now):
    ths, watts, shares = miner.output(now)
    tmin, tmax, tavg = miner.chip_temps(now, watts)
    fan_in, fan_out = miner.fans(now, watts)
    freq = miner.freq_mhz()
    boards = miner.board_temps(now, watts, shares)
    items = []
    for slot, share in enumerate(shares):
        board_mhs = ths * share * 1e6 * (1 + 0.01 * models.wave(now, 23 + slot, miner.phase + slot))
        items.append({
            'ASC': slot, 'Name': 'SM', 'ID': slot, 'Slot': slot, 'Enabled': 'Y', 'Status': 'Alive' if share else 'Dead',
            'Temperature': boards[slot],
            'Chip Frequency': freq if share else 0, 'Fan Speed In': fan_in, 'Fan Speed Out': fan_out,
            'MHS av': _fmt(board_mhs), 'MHS 5s': _fmt(board_mhs), 'MHS 1m': _fmt(board_mhs), 'MHS 5m': _fmt(board_mhs),
            'MHS 15m': _fmt(board_mhs), 'HS RT': _fmt(board_mhs),
            'Factory GHS': int(miner.profile.nominal_ths * 1000 / miner.profile.boards),
            'Upfreq Complete': 1 if miner.ramp(now) >= 1 else 0,
            'Effective Chips': miner.profile.chips_per_board if share else 0,
            'PCB SN': 'HEM%s%02d%06d' % (miner.profile.family[1], slot, miner.index + 1),
            'Chip Data': '%s_%s' % (miner.profile.chip, 'K32-A' if miner.profile.family == 'M6X' else 'BINV01'),
            'Chip Temp Min': tmin if share else 0, 'Chip Temp Max': tmax if share else 0, 'Chip Temp Avg': tavg if share else 0,
            'chip_vol_diff': 8,
        })
    return items


def devdetails_items(miner, _now):
    return [{'DEVDETAILS': i, 'Name': 'SM', 'ID': i, 'Driver': 'bitmicro', 'Kernel': '', 'Model': miner.profile.miner_type}
            for i in range(miner.profile.boards)]


CGMINER_BUILDERS = {'summary': summary_items, 'pools': pools_items, 'edevs': devs_items, 'devs': devs_items,
                    'devdetails': devdetails_items}


def read_psu(miner, now, _req):
    _ths, watts, dummy = miner.output(now)
    vin = 225.0 + 2 * models.wave(now, 97, miner.phase)
    pout = watts
    pin = pout / 0.95
    return {
        'name': miner.profile.psu_model, 'hw_version': 'V01.00', 'sw_version': 'V01.00.V01.03', 'model': miner.profile.psu_model,
        'iin': str(int(pin / vin * 1000)), 'vin': str(int(vin * 100)), 'pin': str(int(pin)),
        'fan_speed': str(0 if miner.profile.hydro else int(5500 + 600 * pout / miner.profile.nominal_w)),
        'version': '%s-V01.00' % miner.profile.psu_model, 'serial_no': miner.settings.get('powersn', ''), 'vendor': '1',
        'temp0': str(round(miner.env_temp(now) + 12 * pout / miner.profile.nominal_w, 1)),
    }


def read_version(miner, _now, _req):
    return {'api_ver': P.API_V1_DESCRIPTION if miner.api_version == 1 else P.API_V2_VERSION,
            'fw_ver': miner.settings['firmware_version'], 'platform': miner.profile.platform, 'chip': miner.profile.chip,
            'miner_type': miner.profile.miner_type}


def read_status(miner, _now, _req):
    s = miner.settings
    off = 'false' if miner.mining else 'true'
    if miner.api_version == 1:
        return {'btmineroff': off, 'Firmware Version': "'%s'" % s['firmware_version']}
    reason = ''
    if not miner.mining:
        reason = 'power off' if not s.get('power_on', True) else 'btminer init disabled'
    return {
        'btmineroff': off, 'mineroff': off, 'mineroff_reason': reason,
        'mineroff_time': '' if miner.mining else time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(miner.btminer_start)),
        'FirmwareVersion': s['firmware_version'], 'power_mode': s.get('power_mode', 'Normal'),
        'power_limit_set': str(s.get('power_limit', 0)), 'hash_percent': str(s.get('target_freq', 0)),
    }


def read_miner_info(miner, _now, req):
    info = _raw_param(req, 'info', True)
    if info is None:
        wanted = list(MINER_INFO_FIELDS)
    elif isinstance(info, str):
        wanted = [w.strip() for w in info.split(',') if w.strip()]
    else:
        raise CmdError('invalid info: must be a comma-separated string', P.CODE_INVALID_CMD)
    s = miner.settings
    net = s.get('network', {})
    static = net.get('proto') == 'static'
    led = s.get('led', {})
    values = {
        'ip': net.get('ip') if static else miner.host,
        'proto': 'static' if static else 'dhcp',
        'netmask': net.get('netmask') if static else '255.0.0.0',
        'gateway': net.get('gateway') if static else '127.0.0.1',
        'dns': net.get('dns') if static else '127.0.0.53',
        'hostname': s.get('hostname', ''),
        'mac': s.get('mac', ''),
        'ledstat': 'auto' if led.get('mode', 'auto') == 'auto' else 'manual',
        'minersn': s.get('minersn', ''),
        'powersn': s.get('powersn', ''),
    }
    return {k: values[k] for k in wanted if k in values}


def read_error_code(miner, _now, _req):
    return {'error_code': [{str(code): time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(t))} for code, t in miner.error_codes()]}


ENVELOPE_READS = {'get_psu': read_psu, 'get_version': read_version, 'status': read_status, 'get_miner_info': read_miner_info,
                  'get_error_code': read_error_code}


# ---------------------------------------------------------------------------- V2 on V3 firmware (reference_protocol.rst V3 §6.2)

# What a V3 miner still answers on the V2 port; everything else is "invalid cmd".
V3_KEPT_READS = ('summary', 'pools', 'edevs', 'devs', 'devdetails', 'get_psu', 'get_version')
V3_SUMMARY_DROPPED = ('Chip Temp Min', 'Chip Temp Max', 'Chip Temp Avg', 'Btminer Fast Boot', 'Debug')
V3_DEVS_DROPPED = ('Temperature', 'Chip Temp Min', 'Chip Temp Max', 'Chip Temp Avg')


def v3_compat_reads(miner):
    """The V2 reads a V3 miner answers (get_token only while V2 writes are allowed)."""
    if miner.config.v3_v2_writes:
        return V3_KEPT_READS + ('get_token',)
    return V3_KEPT_READS


def _v3_reduce(cmd, items):
    """The reduced field set of V2 reads on V3 firmware."""
    if cmd == 'summary':
        return [{k: v for k, v in item.items() if k not in V3_SUMMARY_DROPPED} for item in items]
    if cmd in ('edevs', 'devs'):
        # board temperatures gone; per-board hash rates in TH/s where MH/s is expected
        return [{k: (round(v / 1e6, 3) if k.startswith(('MHS', 'HS ')) else v) for k, v in item.items() if k not in V3_DEVS_DROPPED}
                for item in items]
    if cmd == 'devdetails':
        return [{k: v for k, v in item.items() if k != 'Model'} for item in items]
    return items


def _generation_summary(miner, generation, items):
    """The summary row as this firmware generation reports it: fields dropped, errors as ``Error Code N`` keys."""
    rows = [{k: v for k, v in item.items() if k not in generation.summary_dropped} for item in items]
    if generation.errors_in_summary:
        for row in rows:
            row.update(('Error Code %d' % n, code) for n, (code, dummy) in enumerate(miner.error_codes()))
    return rows


def _runtime_fields(miner, cmd):
    """What firmware that reports its run-time settings adds (MicroBT's worker and Tether's read them)."""
    s = miner.settings
    if cmd == 'status':
        percent = miner.power_pct_temp if miner.power_pct_temp is not None else s.get('power_pct', 100)
        return {'power_pct': str(percent), 'fast_hash': 'false'}
    if cmd == 'get_miner_info':
        return {'upfreq_speed': str(s.get('upfreq_speed', 0))}
    return {}


def known_commands(miner, commands):
    """The commands of ``commands`` this miner's firmware knows."""
    missing = miner.generation.missing
    return tuple(cmd for cmd in commands if cmd not in missing)


def do_read(miner, cmd, req):
    """One read command's reply dict (no token needed)."""
    now = time.time()
    when = int(now)
    generation = miner.generation
    if cmd in CGMINER_BUILDERS:
        items = CGMINER_BUILDERS[cmd](miner, now)
        if miner.api == 'v3':
            items = _v3_reduce(cmd, items)
        if cmd == 'summary':
            items = _generation_summary(miner, generation, items)
        if generation.msg_envelope:
            return generations.envelope(cmd, items, when, _desc(miner))
        return P.cgminer_reply(cmd, items, when, _desc(miner))
    if cmd == 'get_token':
        issued = None if miner.take_fault('token_exhaustion') else miner.issue_token(when)
        if issued is None:
            return P.error(P.CODE_TOKEN_MAX, P.MSG_TOKEN_MAX, when, _desc(miner))
        time4, salt, newsalt = issued
        return P.ok({'time': time4, 'salt': salt, 'newsalt': newsalt}, when, _desc(miner), code=P.CODE_TOKEN_OK)
    try:
        msg = ENVELOPE_READS[cmd](miner, now, req)
        msg.update((field, '') for field in generation.status_blank if cmd == 'status' and field in msg)
        if generation.reports_runtime:
            msg.update(_runtime_fields(miner, cmd))
        if miner.api == 'v3' and cmd == 'get_version':
            msg = {k: v for k, v in msg.items() if k != 'api_ver'}  # V3 firmware leaves api_ver out
        return P.ok(msg, when, _desc(miner))
    except CmdError as exc:
        return P.error(exc.code, exc.msg, when, _desc(miner))


# ---------------------------------------------------------------------------- writes

def w_update_pools(miner, cmd, req):
    pools = []
    for i in (1, 2, 3):
        url = str_param(req, 'pool%d' % i, required=False, max_len=255) or ''
        user = str_param(req, 'worker%d' % i, required=False, max_len=255) or ''
        password = str_param(req, 'passwd%d' % i, required=False, max_len=255) or ''
        if any(c.isspace() for c in url + user):
            raise CmdError('invalid pool%d: spaces are not allowed' % i)
        if not url and user:
            raise CmdError('invalid pool%d: worker without pool url' % i)
        pools.append({'url': url.strip(), 'user': user, 'password': password})
    if miner.generation.pools_after_restart:
        miner.apply_settings({'pending_pools': pools})  # accepted now, applied when btminer next starts
    else:
        miner.apply_settings({'pools': pools})
    return ok_reply(miner, cmd)


def w_restart_btminer(miner, cmd, _req):
    return ok_reply(miner, cmd, restart='btminer')


def w_power_off(miner, cmd, _req):
    miner.power_off()
    return ok_reply(miner, cmd, restart='btminer')


def w_power_on(miner, cmd, _req):
    miner.power_on()
    return ok_reply(miner, cmd)


def w_set_led(miner, cmd, req):
    param = req.get('param')
    if param == 'auto':
        miner.apply_settings({'led': {'mode': 'auto', 'color': '', 'period': 0, 'duration': 0, 'start': 0}})
        return ok_reply(miner, cmd)
    if isinstance(param, str) and not param.startswith('{'):
        raise CmdError('invalid param: must be "auto" or color/period/duration/start')
    color = str_param(req, 'color')
    if color not in ('red', 'green'):
        raise CmdError('invalid color: must be "red" or "green"')
    period = int_param(req, 'period', 0, 100000)
    duration = int_param(req, 'duration', 0, 100000)
    start = int_param(req, 'start', 0, 100000)
    if duration > period:
        raise CmdError('invalid duration: longer than period')
    miner.apply_settings({'led': {'mode': 'manual', 'color': color, 'period': period, 'duration': duration, 'start': start}})
    return ok_reply(miner, cmd)


def _power_mode(mode):
    def handler(miner, cmd, _req):
        miner.apply_settings({'power_mode': mode})
        return ok_reply(miner, cmd, restart='btminer')
    return handler


def w_reboot(miner, cmd, _req):
    return ok_reply(miner, cmd, restart='board')


def w_factory_reset(miner, cmd, _req):
    miner.factory_reset()
    return ok_reply(miner, cmd, restart='board')


def w_update_pwd(miner, cmd, req):
    old = str_param(req, 'old')
    new = str_param(req, 'new')
    if old != miner.settings['password']:
        raise CmdError('old password error')
    if len(new.encode('utf-8')) > 8 or not PASSWORD_RE.match(new):
        raise CmdError('invalid new password: 1 to 8 letters, digits or underscores')
    miner.apply_settings({'password': new})
    miner.tokens = []
    return ok_reply(miner, cmd)  # encrypted with the old key: the dispatcher keeps the request's key


def w_net_config(miner, cmd, req):
    param = req.get('param')
    if param == 'dhcp':
        miner.apply_settings({'network': {'proto': 'dhcp', 'ip': '', 'netmask': '', 'gateway': '', 'dns': ''}})
        return ok_reply(miner, cmd, restart='board')
    if param is not None and not isinstance(param, dict):
        raise CmdError('invalid param: must be "dhcp" or ip/mask/gate/dns/host')
    ip = ipv4(str_param(req, 'ip'), 'ip')
    mask = ipv4(str_param(req, 'mask'), 'mask')
    try:
        ipaddress.IPv4Network('0.0.0.0/%s' % mask)
    except ValueError as exc:
        raise CmdError('invalid mask: %s is not a netmask' % mask) from exc
    gate = ipv4(str_param(req, 'gate'), 'gate')
    dns_text = str_param(req, 'dns', required=False) or ''
    dns = ' '.join(ipv4(d, 'dns') for d in dns_text.split())
    host = str_param(req, 'host', required=False)
    values = {'network': {'proto': 'static', 'ip': ip, 'netmask': mask, 'gateway': gate, 'dns': dns}}
    if host:
        if not HOSTNAME_RE.match(host):
            raise CmdError('invalid host: letters, digits and hyphens, at most 63')
        values['hostname'] = host
    miner.apply_settings(values)
    return ok_reply(miner, cmd, restart='board')


def w_download_logs(miner, cmd, _req):
    data = miner.log_archive()
    msg = {'logfilelen': str(len(data))}
    return Reply(cmd, P.ok(msg, now_int(), _desc(miner)), encrypt=True, stream='logs', payload=data)


def w_update_firmware(miner, cmd, _req):
    return Reply(cmd, P.ok('ready', now_int(), _desc(miner)), encrypt=True, stream='firmware')


def w_set_target_freq(miner, cmd, req):
    percent = int_param(req, 'percent', -100, 100, single=True)
    miner.apply_settings({'target_freq': percent})
    return ok_reply(miner, cmd, restart='btminer')


def _fast_boot(enable):
    def handler(miner, cmd, _req):
        if enable and int(miner.settings.get('upfreq_speed', 0)) > 0:
            raise CmdError('fast boot cannot be enabled while upfreq speed is %s (set it to 0 first)' % miner.settings['upfreq_speed'])
        miner.apply_settings({'fast_boot': enable})
        return ok_reply(miner, cmd)
    return handler


def _switch(name, value):
    def handler(miner, cmd, _req):
        miner.apply_settings({name: value})
        return ok_reply(miner, cmd)
    return handler


def w_set_hostname(miner, cmd, req):
    hostname = str_param(req, 'hostname', single=True)
    if not HOSTNAME_RE.match(hostname):
        raise CmdError('invalid hostname: letters, digits and hyphens, at most 63')
    miner.apply_settings({'hostname': hostname})
    return ok_reply(miner, cmd)


def w_set_zone(miner, cmd, req):
    timezone = str_param(req, 'timezone', max_len=64)
    zonename = str_param(req, 'zonename', max_len=64)
    if not timezone.strip() or not zonename.strip():
        raise CmdError('invalid timezone/zonename: empty')
    miner.apply_settings({'timezone': timezone, 'zonename': zonename})
    return ok_reply(miner, cmd)


def w_load_log(miner, cmd, req):
    ip = ipv4(str_param(req, 'ip'), 'ip')
    port = int_param(req, 'port', 1, 65535)
    proto = str_param(req, 'proto')
    if proto not in ('tcp', 'udp'):
        raise CmdError('invalid proto: must be "tcp" or "udp"')
    miner.apply_settings({'syslog': {'ip': ip, 'port': port, 'proto': proto}})
    return ok_reply(miner, cmd)


def _power_pct_top(miner):
    # Hydro and immersion models accept up to 200 percent (MDK setPowerPct, Tether; FIELD-EVIDENCE item 9).
    return 200 if miner.profile.hydro else 100


def w_set_power_pct(miner, cmd, req):
    miner.power_pct_temp = int_param(req, 'percent', 0, _power_pct_top(miner), single=True)
    return ok_reply(miner, cmd)


def w_set_power_pct_v2(miner, cmd, req):
    percent = int_param(req, 'percent', 0, _power_pct_top(miner), single=True)
    miner.power_pct_temp = None
    miner.apply_settings({'power_pct': percent})
    return ok_reply(miner, cmd)


def w_set_power(miner, cmd, req):
    miner.apply_settings({'power_target': int_param(req, 'power', 0, 99999, single=True)})
    return ok_reply(miner, cmd)


def w_restore_power_pct(miner, cmd, _req):
    miner.power_pct_temp = None
    miner.apply_settings({'power_pct': 100})
    return ok_reply(miner, cmd)


def w_set_temp_offset(miner, cmd, req):
    air_only(miner, cmd)
    miner.apply_settings({'temp_offset': int_param(req, 'temp_offset', -30, 0, single=True)})
    return ok_reply(miner, cmd)


def w_adjust_power_limit(miner, cmd, req):
    miner.apply_settings({'power_limit': int_param(req, 'power_limit', 0, 99999, single=True)})
    return ok_reply(miner, cmd, restart='btminer')


def w_adjust_upfreq_speed(miner, cmd, req):
    speed = int_param(req, 'upfreq_speed', 0, 9, single=True)
    if speed > 0 and miner.settings.get('fast_boot'):
        raise CmdError('upfreq speed %d is not allowed while btminer fast boot is enabled' % speed)
    miner.apply_settings({'upfreq_speed': speed})
    return ok_reply(miner, cmd)


def w_set_poweroff_cool(miner, cmd, req):
    air_only(miner, cmd)
    miner.apply_settings({'poweroff_cool': flag_param(req, 'poweroff_cool')})
    return ok_reply(miner, cmd)


def w_set_fan_zero_speed(miner, cmd, req):
    air_only(miner, cmd)
    miner.apply_settings({'fan_zero_speed': flag_param(req, 'fan_zero_speed')})
    return ok_reply(miner, cmd)


def w_set_heat_mode(miner, cmd, req):
    if not miner.profile.hydro:
        raise CmdError('set_heat_mode is only supported on hydro-cooled miners, not %s' % miner.profile.name)
    mode = str_param(req, 'mode', single=True)
    if mode not in HEAT_MODES:
        raise CmdError('invalid mode: must be one of %s' % ', '.join(HEAT_MODES))
    miner.apply_settings({'heat_mode': mode})
    return ok_reply(miner, cmd)


def w_set_customer_msg(miner, cmd, req):
    key = str_param(req, 'key')
    val = str_param(req, 'val', required=False)
    if val is None:
        val = str_param(req, 'value')
    if len(key) >= 128 or len(val) >= 128:
        raise CmdError('invalid key/val: must be shorter than 128 characters')
    if key not in CUSTOMER_KEYS:
        raise CmdError('invalid key: must be CustomerSn or msg0..msg9')
    msgs = dict(miner.settings.get('customer_msg', {}))
    msgs[key] = val
    miner.apply_settings({'customer_msg': msgs})
    return ok_reply(miner, cmd)


def w_get_customer_msg(miner, cmd, _req):
    msgs = miner.settings.get('customer_msg', {})
    return Reply(cmd, P.ok({k: msgs.get(k, '') for k in CUSTOMER_KEYS}, now_int(), _desc(miner)), encrypt=True)


WRITE_COMMANDS = {
    'update_pools': w_update_pools,
    'restart_btminer': w_restart_btminer,
    'power_off': w_power_off,
    'power_on': w_power_on,
    'set_led': w_set_led,
    'set_low_power': _power_mode('Low'),
    'set_normal_power': _power_mode('Normal'),
    'set_high_power': _power_mode('High'),
    'update_firmware': w_update_firmware,
    'reboot': w_reboot,
    'factory_reset': w_factory_reset,
    'update_pwd': w_update_pwd,
    'net_config': w_net_config,
    'download_logs': w_download_logs,
    'set_target_freq': w_set_target_freq,
    'enable_btminer_fast_boot': _fast_boot(True),
    'disable_btminer_fast_boot': _fast_boot(False),
    'enable_web_pools': _switch('web_pools', True),
    'disable_web_pools': _switch('web_pools', False),
    'set_hostname': w_set_hostname,
    'set_zone': w_set_zone,
    'load_log': w_load_log,
    'set_power_pct': w_set_power_pct,
    'set_power_pct_v2': w_set_power_pct_v2,
    'set_power': w_set_power,
    'restore_power_pct': w_restore_power_pct,
    'set_temp_offset': w_set_temp_offset,
    'adjust_power_limit': w_adjust_power_limit,
    'adjust_upfreq_speed': w_adjust_upfreq_speed,
    'set_poweroff_cool': w_set_poweroff_cool,
    'set_fan_zero_speed': w_set_fan_zero_speed,
    'set_heat_mode': w_set_heat_mode,
    'disable_btminer_init': _switch('btminer_init', False),
    'enable_btminer_init': _switch('btminer_init', True),
    'set_customer_msg': w_set_customer_msg,
    'get_customer_msg': w_get_customer_msg,
}

ALL_COMMANDS = tuple(READ_COMMANDS) + tuple(WRITE_COMMANDS)

# Token-protected commands that only read.
TOKEN_READS = ('get_customer_msg',)


# ---------------------------------------------------------------------------- dispatch

def error_reply(miner, cmd, code, msg):
    """A plain-text error reply (errors are never encrypted)."""
    miner.count('errors')
    return Reply(cmd, P.error(code, msg, now_int(), _desc(miner)))


def _bad(miner, cmd, code, msg):
    miner.count('bad_requests')
    return error_reply(miner, cmd, code, msg)


def _read(miner, cmd, req, encrypt):
    """A read, possibly joined with ``+`` (cgminer style: one section per command)."""
    parts = cmd.split('+')
    known = v3_compat_reads(miner) if miner.api == 'v3' else known_commands(miner, READ_COMMANDS)
    if any(p not in known for p in parts):
        return _bad(miner, cmd, P.CODE_INVALID_CMD, P.MSG_INVALID_CMD)
    miner.count('reads')
    for part in parts:
        miner.count(part)
    if len(parts) == 1:
        return Reply(cmd, do_read(miner, cmd, req), encrypt=encrypt)
    joined = {part: [do_read(miner, part, req)] for part in parts}
    joined['id'] = 1
    return Reply(cmd, joined, encrypt=encrypt)


def _command_name(req):
    cmd = req.get('cmd', req.get('command'))
    return cmd.strip() if isinstance(cmd, str) else None


def handle(miner, data):
    """Turn one request (bytes of one JSON text) into a Reply."""
    try:
        req = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return _bad(miner, '', P.CODE_JSON, P.MSG_JSON)
    if not isinstance(req, dict):
        return _bad(miner, '', P.CODE_INVALID_CMD, P.MSG_INVALID_CMD)
    if 'enc' in req:
        return _encrypted(miner, req)
    cmd = _command_name(req)
    if not cmd:
        return _bad(miner, '', P.CODE_INVALID_CMD, P.MSG_INVALID_CMD)
    if cmd in WRITE_COMMANDS:
        # writable commands are only accepted encrypted
        miner.count(cmd)
        return error_reply(miner, cmd, P.CODE_NO_WRITE, P.MSG_NO_WRITE)
    return _read(miner, cmd, req, encrypt=False)


def _encrypted(miner, req):
    try:
        raw = crypto.b64decode_strict(req.get('data'))
    except ValueError:
        return _bad(miner, '', P.CODE_BASE64, P.MSG_BASE64)
    if not raw or len(raw) % 16:
        return _bad(miner, '', P.CODE_JSON, P.MSG_ENC_JSON)
    aeskey = miner.key()[2]
    if miner.has_fault('wrong_password'):
        aeskey = crypto.aes_key('not-the-password-%s' % miner.id)
    try:
        inner = json.loads(crypto.unpad(crypto.decrypt_raw(aeskey, raw)).decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _bad(miner, '', P.CODE_JSON, P.MSG_ENC_JSON)
    if not isinstance(inner, dict):
        return _bad(miner, '', P.CODE_JSON, P.MSG_ENC_JSON)
    reply = _encrypted_command(miner, inner)
    if isinstance(reply.obj, dict) and reply.obj.get('STATUS') == 'E':
        reply.encrypt = False  # errors are always plain text, even to encrypted requests
    if reply.encrypt:
        reply.key = aeskey
    return reply


def _encrypted_command(miner, inner):
    cmd = _command_name(inner)
    if not cmd:
        return _bad(miner, '', P.CODE_INVALID_CMD, P.MSG_INVALID_CMD)
    if cmd not in WRITE_COMMANDS:
        return _read(miner, cmd, inner, encrypt=True)
    if cmd in miner.generation.missing:
        return _bad(miner, cmd, P.CODE_INVALID_CMD, P.MSG_INVALID_CMD)
    miner.count(cmd)
    # get_customer_msg needs a token but changes nothing: it counts as a read
    is_write = cmd not in TOKEN_READS
    miner.count('writes' if is_write else 'reads')
    if not miner.settings.get('write_api', True) or miner.has_fault('write_api_off'):
        return error_reply(miner, cmd, P.CODE_NO_WRITE, P.MSG_NO_WRITE)
    if miner.api == 'v3' and not miner.config.v3_v2_writes:
        return error_reply(miner, cmd, P.CODE_NO_WRITE, P.MSG_NO_WRITE)
    if miner.take_fault('stale_token') or not miner.check_token(inner.get('token')):
        return error_reply(miner, cmd, P.CODE_TOKEN_BAD, P.MSG_TOKEN_BAD)
    if is_write and cmd != 'set_customer_msg' and miner.take_fault('ignore_write'):
        return ok_reply(miner, cmd)  # acknowledged, and nothing changes
    try:
        reply = WRITE_COMMANDS[cmd](miner, cmd, inner)
    except CmdError as exc:
        return error_reply(miner, cmd, exc.code, exc.msg)
    if is_write:
        miner.count('writes_ok')
    reply.respbefore = str(inner.get('respbefore', '')).lower() == 'true'
    return reply
