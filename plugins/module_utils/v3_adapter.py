# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Let every resource function drive an API V3 miner unchanged.

The resource functions (pools.py, power.py, ...) speak in V2.2 terms: ``read('status')``,
``write('set_low_power')``. ``V3Miner`` offers the same interface as ``WhatsMinerClient``
over a ``WhatsMinerV3Client``: each V2.2 read is answered from the V3 read commands and
shaped like the V2.2 reply (so the one set of normalisers serves both APIs), each V2.2 write
is translated to its V3 ``set.*`` command. The V3 originals are kept under ``V3`` in each
reply for the facts' ``raw`` section.

V3 can also read back settings V2.2 cannot; ``read_write_only_settings()`` gives them in the
collection's own terms so that applied.py compares against the miner instead of a record.
Choices where PROTOCOL-V3.md leaves facts open are marked UNCONFIRMED.
"""

from __future__ import annotations

import contextlib

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import InvalidCommand
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies_v3 import v3_settings

API_V3 = 'v3'

_POWER_MODES = ('low', 'normal', 'high')
# V2.2 names the hydro heat modes anti-icing/heating; V3 anti-freezing/heating/normal.
_HEAT_MODE_TO_V3 = {'anti-icing': 'anti-freezing', 'heating': 'heating', 'normal': 'normal'}
_HEAT_MODE_FROM_V3 = {'anti-freezing': 'anti-icing', 'heating': 'heating', 'normal': 'normal', '': None}


def _ok(msg, v3=None):
    reply = {'STATUS': 'S', 'Code': 131, 'Msg': msg, 'Description': ''}
    if v3 is not None:
        reply['V3'] = v3
    return reply


def _cgminer(section, rows, v3=None):
    reply = {'STATUS': [{'STATUS': 'S', 'Code': 131, 'Msg': section.title()}], section: rows}
    if v3 is not None:
        reply['V3'] = v3
    return reply


def _th_to_mhs(value):
    try:
        return float(value) * 1e6
    except (TypeError, ValueError):
        return None


def _th_to_ghs(value):
    try:
        return float(value) * 1e3
    except (TypeError, ValueError):
        return None


def _flag(value):
    return '1' if str(value) in ('1', 'true', 'True') else '0'


class V3Miner:
    """A ``WhatsMinerClient``-compatible view of an API V3 miner."""

    api = API_V3

    def __init__(self, client):
        self.v3 = client
        self.host = client.host
        self.port = client.port
        self.requests_sent = client.requests_sent
        self._snapshot = None

    @property
    def writes_sent(self):
        return self.v3.writes_sent

    @contextlib.contextmanager
    def snapshot(self):
        """Within the block, each V3 read is sent once and its answer reused (one facts gathering)."""
        if self._snapshot is not None:  # already inside one
            yield self
            return
        self._snapshot = {}
        try:
            yield self
        finally:
            self._snapshot = None

    def _get(self, cmd, param=None):
        if self._snapshot is None:
            return self.v3.get(cmd, param)
        key = (cmd, param)
        if key not in self._snapshot:
            self._snapshot[key] = self.v3.get(cmd, param)
        return self._snapshot[key]

    # ------------------------------------------------------------------ reads

    def _info(self, section=None):
        # In a snapshot the whole device info is read once; otherwise only the section asked for.
        msg = self._get('get.device.info', None if self._snapshot is not None else section)
        if section:
            return (msg.get(section) if isinstance(msg, dict) else None) or {}
        return msg or {}

    def _setting(self):
        return self._get('get.miner.setting') or {}

    def _status(self, param):
        msg = self._get('get.miner.status', param) or {}
        return msg.get(param) if isinstance(msg, dict) else None

    def read(self, cmd, **params):
        reader = getattr(self, '_read_' + cmd, None)
        if reader is None:
            raise InvalidCommand(14, 'no API V3 equivalent for the V2.2 read %s' % cmd, command=cmd, host=self.host, port=self.port)
        return reader(**params)

    def read_joined(self, *cmds):
        reply = {'STATUS': [{'STATUS': 'S', 'Code': 131}]}
        for cmd in cmds:
            part = self.read(cmd)
            reply.update({key: value for key, value in part.items() if key != 'STATUS'})
        return reply

    def _read_get_version(self):
        system, miner = self._info('system'), self._info('miner')
        return _ok({'api_ver': system.get('api'), 'fw_ver': system.get('fwversion'), 'platform': system.get('platform'),
                    'chip': None, 'miner_type': miner.get('type')}, v3=dict(system=system))

    def _read_status(self):
        miner, setting = self._info('miner'), self._setting()
        system = self._info('system')
        limit = miner.get('power-limit-set')
        if limit in (None, ''):
            limit = setting.get('power-limit')  # never configured: the effective limit (UNCONFIRMED)
        working = str(miner.get('working', 'true')).lower() == 'true'
        return _ok({'mineroff': 'false' if working else 'true', 'FirmwareVersion': system.get('fwversion'),
                    'power_mode': str(setting.get('power-mode') or '').title() or None, 'power_limit_set': limit,
                    'hash_percent': miner.get('hash-percent') if miner.get('hash-percent') not in (None, '') else setting.get('target-freq')},
                   v3=dict(miner=miner, setting=setting))

    def _read_summary(self):
        summary, setting = self._status('summary') or {}, self._setting()
        row = {
            'Elapsed': summary.get('elapsed'), 'Uptime': summary.get('bootup-time'),
            'MHS av': _th_to_mhs(summary.get('hash-average')), 'MHS 1m': _th_to_mhs(summary.get('hash-1min')),
            'MHS 15m': _th_to_mhs(summary.get('hash-15min')), 'HS RT': _th_to_mhs(summary.get('hash-realtime')),
            'Factory GHS': _th_to_ghs(summary.get('factory-hash')), 'freq_avg': summary.get('freq-avg'),
            'Target Freq': summary.get('target-freq'), 'Power': summary.get('power-realtime'),
            'Power Rate': summary.get('power-rate'), 'Power Limit': summary.get('power-limit'),
            'Env Temp': summary.get('environment-temperature'), 'Chip Temp Min': summary.get('chip-temp-min'),
            'Chip Temp Max': summary.get('chip-temp-max'), 'Chip Temp Avg': summary.get('chip-temp-avg'),
            'Fan Speed In': summary.get('fan-speed-in'), 'Fan Speed Out': summary.get('fan-speed-out'),
            'Power Mode': str(setting.get('power-mode') or '').title() or None,
            'Btminer Fast Boot': setting.get('fast-boot'), 'Upfreq Complete': summary.get('up-freq-finish'),
        }
        return _cgminer('SUMMARY', [row], v3=dict(summary=summary, setting=setting))

    def _read_pools(self):
        pools = self._status('pools') or []
        rows = []
        for index, pool in enumerate(sorted(pools, key=lambda p: (p.get('pool-priority', p.get('id', 0)), p.get('id', 0)))):
            rows.append({'POOL': pool.get('id', index + 1), 'URL': pool.get('url'), 'User': pool.get('account'),
                         'Status': pool.get('status'), 'Priority': index, 'Stratum Active': pool.get('stratum-active'),
                         'Last Share Time': pool.get('last-share-time')})
        return _cgminer('POOLS', rows, v3=pools)

    def _read_devs(self):
        boards = self._status('edevs') or []
        rows = [{'Slot': board.get('slot', board.get('id')), 'MHS av': _th_to_mhs(board.get('hash-average')),
                 'Factory GHS': _th_to_ghs(board.get('factory-hash')), 'Chip Frequency': board.get('freq'),
                 'Effective Chips': board.get('effective-chips'), 'Chip Temp Min': board.get('chip-temp-min'),
                 'Chip Temp Max': board.get('chip-temp-max'), 'Chip Temp Avg': board.get('chip-temp-avg'),
                 'Temperature': board.get('chip-temp-avg'), 'Status': board.get('status')} for board in boards]
        return _cgminer('DEVS', rows, v3=boards)

    _read_edevs = _read_devs

    def _read_devdetails(self):
        miner = self._info('miner')
        boards = self._status('edevs') or []
        rows = [{'DEVDETAILS': n, 'Name': 'SM', 'ID': board.get('id', n), 'Driver': 'bitmicro', 'Model': miner.get('type')}
                for n, board in enumerate(boards)]
        return _cgminer('DEVDETAILS', rows, v3=dict(miner=miner))

    def _read_get_psu(self):
        power = self._info('power')
        iin = power.get('iin')
        vin = power.get('vin')
        try:
            iin = float(iin) * 1000  # A -> mA as V2.2 reports it
        except (TypeError, ValueError):
            iin = None
        try:
            vin = float(vin) * 100  # V -> units of 10 mV as V2.2 reports it
        except (TypeError, ValueError):
            vin = None
        return _ok({'name': power.get('type'), 'model': power.get('model'), 'hw_version': power.get('hwversion'),
                    'sw_version': power.get('swversion'), 'iin': iin, 'vin': vin, 'pin': power.get('pin'),
                    'fan_speed': power.get('fanspeed'), 'temp0': power.get('temp0'), 'serial_no': power.get('sn'),
                    'vendor': power.get('vendor')}, v3=power)

    def _read_get_miner_info(self, info=None):
        network, system, miner = self._info('network'), self._info('system'), self._info('miner')
        values = {'ip': network.get('ip'), 'proto': network.get('proto'), 'netmask': network.get('netmask'),
                  'gateway': network.get('gateway'), 'dns': network.get('dns'), 'hostname': network.get('hostname'),
                  'mac': network.get('mac'), 'ledstat': system.get('ledstatus'), 'minersn': miner.get('miner-sn'),
                  'powersn': self._info('power').get('sn')}
        wanted = [name.strip() for name in (info or '').split(',') if name.strip()] or list(values)
        return _ok({name: values.get(name) for name in wanted}, v3=dict(network=network))

    def _read_get_error_code(self):
        codes = self._info('error-code')
        if isinstance(codes, dict):
            codes = codes.get('error-code', [])
        pairs = [{key: value for key, value in entry.items() if key != 'reason'} for entry in codes or [] if isinstance(entry, dict)]
        return _ok({'error_code': pairs}, v3=codes)

    # ------------------------------------------------------------------ writes

    def write(self, cmd, restarting=False, **params):
        if cmd == 'get_customer_msg':
            # A token read in V2.2; V3 reads it without a token.
            return _ok(self.v3.get('get.device.custom_data') or {})
        command, param = self._translate(cmd, params)
        msg = self.v3.set(command, param, restarting=restarting)
        return _ok(msg)

    def write_restarting(self, cmd, **params):
        return self.write(cmd, restarting=True, **params)

    def _translate(self, cmd, params):
        """V2.2 write command and parameters -> (V3 command, param)."""
        simple = {
            'power_on': ('set.miner.service', 'start'),
            'power_off': ('set.miner.service', 'stop'),
            'restart_btminer': ('set.miner.service', 'restart'),
            'enable_btminer_init': ('set.miner.service', 'enable'),
            'disable_btminer_init': ('set.miner.service', 'disable'),
            'set_low_power': ('set.miner.power_mode', 'low'),
            'set_normal_power': ('set.miner.power_mode', 'normal'),
            'set_high_power': ('set.miner.power_mode', 'high'),
            'enable_btminer_fast_boot': ('set.miner.fastboot', 'enable'),
            'disable_btminer_fast_boot': ('set.miner.fastboot', 'disable'),
            'enable_web_pools': ('set.system.webpools', 'enable'),
            'disable_web_pools': ('set.system.webpools', 'disable'),
            'reboot': ('set.system.reboot', None),
            'factory_reset': ('set.system.factory_reset', None),
            # V3 has no "restore": an override of 100 percent (UNCONFIRMED) ends the curtailment.
            'restore_power_pct': ('set.miner.power_percent', {'percent': '100', 'mode': 'fast'}),
        }
        if cmd in simple:
            return simple[cmd]
        if cmd == 'update_pools':
            pools = [{'pool': params['pool%d' % n], 'worker': params['worker%d' % n], 'passwd': params['passwd%d' % n]}
                     for n in (1, 2, 3) if params.get('pool%d' % n)]
            return 'set.miner.pools', pools
        if cmd == 'adjust_power_limit':
            return 'set.miner.power_limit', int(params['power_limit'])
        if cmd == 'set_target_freq':
            return 'set.miner.target_freq', int(params['percent'])
        if cmd in ('set_power_pct', 'set_power_pct_v2'):
            return 'set.miner.power_percent', {'percent': str(params['percent']), 'mode': 'fast' if cmd == 'set_power_pct' else 'normal'}
        if cmd == 'set_power':
            return 'set.miner.power', int(params['power'])
        if cmd == 'adjust_upfreq_speed':
            return 'set.miner.upfreq_speed', int(params['upfreq_speed'])
        if cmd == 'set_led':
            if params.get('param') == 'auto':
                return 'set.system.led', 'auto'
            return 'set.system.led', [{'color': params['color'], 'period': int(params['period']),
                                       'duration': int(params['duration']), 'start': int(params['start'])}]
        if cmd == 'net_config':
            if params.get('param') == 'dhcp':
                return 'set.system.net_config', 'dhcp'
            return 'set.system.net_config', {'ip': params['ip'], 'netmask': params['mask'], 'gateway': params['gate'], 'dns': params.get('dns', '')}
        if cmd == 'set_hostname':
            return 'set.system.hostname', {'hostname': params['hostname']}
        if cmd == 'set_zone':
            return 'set.system.timezone', {'timezone': params['timezone'], 'zonename': params['zonename']}
        if cmd == 'load_log':
            return 'set.log.upload', {'ip': params['ip'], 'port': str(params['port']), 'proto': params['proto']}
        if cmd == 'set_temp_offset':
            return 'set.fan.temp_offset', int(params['temp_offset'])
        if cmd == 'set_fan_zero_speed':
            return 'set.fan.zero_speed', int(_flag(params['fan_zero_speed']))
        if cmd == 'set_poweroff_cool':
            return 'set.fan.poweroff_cool', int(_flag(params['poweroff_cool']))
        if cmd == 'set_heat_mode':
            return 'set.miner.heat_mode', _HEAT_MODE_TO_V3.get(params['mode'], params['mode'])
        if cmd == 'set_customer_msg':
            return 'set.device.custom_data', {'key': params['key'], 'value': params['val']}
        if cmd == 'update_pwd':
            return 'set.user.change_passwd', {'account': self.v3.account, 'new': params['new'], 'old': params['old']}
        raise InvalidCommand(14, 'no API V3 equivalent for the V2.2 command %s' % cmd, command=cmd, host=self.host, port=self.port)

    def verify_credentials(self):
        """Prove the password with a write that changes nothing (V3 has no authenticated read)."""
        current = self.v3.get('get.device.custom_data') or {}
        self.v3.set('set.device.custom_data', {'key': 'CustomerSn', 'value': current.get('CustomerSn', '')})

    def upload_firmware(self, path_or_bytes):
        return self.v3.upload_firmware(path_or_bytes)

    def download_logs(self, dest_path):
        return self.v3.download_logs(dest_path)

    def close(self):
        self.v3.close()

    # ------------------------------------------------------------------ read-back V2.2 lacks

    def read_write_only_settings(self):
        """The settings V2.2 cannot read back, in the collection's terms (None: not readable on this firmware)."""
        values = v3_settings(*[self._get(cmd) for cmd in ('get.miner.setting', 'get.fan.setting', 'get.system.setting', 'get.device.info')])
        log = values.get('log_upload')
        if log:
            syslog = dict(host=log.get('ip'), port=int(log['port']) if log.get('port') not in (None, '') else None, proto=log.get('proto'))
        elif values.get('log_upload_enabled') is False:
            syslog = dict(host='', port=0, proto='')  # remote syslog off is a value too
        else:
            syslog = None
        timezone = None
        if values.get('timezone'):
            timezone = dict(timezone=values['timezone'], zonename=values.get('zonename'))
        return dict(
            temp_offset=values.get('fan_temp_offset'),
            fan_zero_speed=values.get('fan_zero_speed'),
            poweroff_cool=values.get('fan_poweroff_cool'),
            heat_mode=_HEAT_MODE_FROM_V3.get(values.get('heat_mode') or '', values.get('heat_mode')),
            timezone=timezone,
            syslog=syslog,
            web_pools=values.get('web_pools'),
            upfreq_speed=values.get('upfreq_speed'),
        )
