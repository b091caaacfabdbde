# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake Miner for module unit tests: normalised sections, recorded calls, writes that change the state.

``FakeDevice`` is the miner (its state, its admin password, every call made to it); each task
opens ``FakeMiner`` views of it through the task's client factory, with the password the task
gives. Calls are recorded as ``('read', section)``, ``('write', command, params)``,
``('check_credentials',)``, ``('upload_firmware',)``, ``('download_logs',)``,
``('command', command, params, write)``. A restarting write makes the next read fail once (the
miner restarting), so the modules' restart waits run without sleeping.

Real firmware does not always do what it acknowledges: commands in ``FakeDevice.ignore`` are
answered OK and change nothing; commands in ``FakeDevice.lose_reply`` are applied but their reply
never comes (``OutcomeUnknown``).
"""

from __future__ import annotations

import copy
import hashlib

from ansible_collections.minerops.whatsminer.plugins.module_utils import replies
from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import V2Miner, V3Miner, Miner
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import CONNECTION_ARGUMENT_SPEC, TaskContext, execute
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import MinerUnreachable, OutcomeUnknown, Unsupported, WrongPassword

HOST = '192.0.2.10'
FIRMWARE = '20240101.16.REL'


def default_sections():
    """What a healthy M50 reports, through the real V2.2 normalisers (every key present)."""
    ok = {'STATUS': 'S', 'Code': 131}
    return dict(
        version=replies.normalize_version(dict(ok, Msg={'api_ver': '2.0.5', 'fw_ver': FIRMWARE, 'platform': 'H6OS',
                                                        'chip': 'K62', 'miner_type': 'M50_VH50'})),
        status=replies.normalize_status(dict(ok, Msg={'mineroff': 'false', 'FirmwareVersion': FIRMWARE, 'power_mode': 'Normal',
                                                      'power_limit_set': '3600', 'hash_percent': '0'})),
        summary=replies.normalize_summary({'SUMMARY': [{'MHS av': 100e6, 'Power': 3400, 'Power Mode': 'Normal', 'Power Limit': 3600,
                                                        'Btminer Fast Boot': 'disable', 'Chip Temp Max': 80}]}),
        pools=replies.normalize_pools({'POOLS': [{'POOL': 1, 'URL': 'stratum+tcp://pool.example:3333', 'User': 'acct.m50',
                                                  'Priority': 0, 'Status': 'Alive'}]}),
        boards=replies.normalize_devs({'DEVS': [{'Slot': n, 'MHS av': 33e6, 'Temperature': 70} for n in range(3)]}),
        devices=replies.normalize_devdetails({'DEVDETAILS': [{'DEVDETAILS': n, 'Name': 'SM', 'ID': n} for n in range(3)]}),
        psu=replies.normalize_psu(dict(ok, Msg={'name': 'P221B', 'iin': '15000', 'vin': '22000', 'pin': '3400'})),
        miner_info=replies.normalize_miner_info(dict(ok, Msg={'ip': HOST, 'proto': 'dhcp', 'netmask': '255.255.255.0',
                                                              'gateway': '192.0.2.1', 'dns': '192.0.2.1', 'hostname': 'm50-01',
                                                              'mac': 'C4:11:04:00:00:01', 'ledstat': 'auto'})),
        error_codes=[],
        customer_msg=dict([('msg%d' % n, '') for n in range(10)], CustomerSn=''),
    )


def _pools_from(params):
    return [dict(index=n - 1, url=params['pool%d' % n], user=params['worker%d' % n], priority=n - 1, status='Alive')
            for n in (1, 2, 3) if params.get('pool%d' % n)]


def _set(section, key, value):
    def effect(device, params):
        device.sections[section][key] = value(params) if callable(value) else value
    return effect


def _power(mode):
    def effect(device, params):
        device.sections['status']['power_mode'] = device.sections['summary']['power_mode'] = mode
    return effect


def _read_back(device, **values):
    if device.settings is not None:
        device.settings.update(values)


def _net_config(device, params):
    info = device.sections['miner_info']
    if params.get('param') == 'dhcp':
        info['proto'] = 'dhcp'
    else:
        info.update(proto='static', ip=params['ip'], netmask=params['mask'], gateway=params['gate'], dns=params['dns'].split(),
                    hostname=params.get('host') or info['hostname'])


# What each write does to the fake miner (writes not listed change nothing it reports).
EFFECTS = dict(
    update_pools=lambda device, params: device.sections.update(pools=_pools_from(params)),
    set_low_power=_power('low'),
    set_normal_power=_power('normal'),
    set_high_power=_power('high'),
    adjust_power_limit=_set('status', 'power_limit', lambda p: int(p['power_limit'])),
    set_target_freq=_set('status', 'target_freq_percent', lambda p: int(p['percent'])),
    power_on=_set('status', 'mining', True),
    power_off=_set('status', 'mining', False),
    enable_btminer_fast_boot=_set('summary', 'btminer_fast_boot', True),
    disable_btminer_fast_boot=_set('summary', 'btminer_fast_boot', False),
    set_led=_set('miner_info', 'led_state', lambda p: 'auto' if p.get('param') == 'auto' else 'manual'),
    set_hostname=_set('miner_info', 'hostname', lambda p: p['hostname']),
    net_config=_net_config,
    set_customer_msg=lambda device, params: device.sections['customer_msg'].update({params['key']: params['val']}),
    update_pwd=lambda device, params: setattr(device, 'password', params['new']),
    # settings an API V3 miner reads back (Miner.settings())
    set_temp_offset=lambda device, params: _read_back(device, temp_offset=int(params['temp_offset'])),
    set_fan_zero_speed=lambda device, params: _read_back(device, fan_zero_speed=params['fan_zero_speed'] == '1'),
    set_poweroff_cool=lambda device, params: _read_back(device, poweroff_cool=params['poweroff_cool'] == '1'),
    # a new string object, as a reply parsed from the wire would be
    set_heat_mode=lambda device, params: _read_back(device, heat_mode=params['mode'].encode().decode()),
    set_zone=lambda device, params: _read_back(device, timezone=dict(timezone=params['timezone'], zonename=params['zonename'])),
    enable_web_pools=lambda device, params: _read_back(device, web_pools=True),
    disable_web_pools=lambda device, params: _read_back(device, web_pools=False),
)
RESTARTING = ('set_low_power', 'set_normal_power', 'set_high_power', 'adjust_power_limit', 'set_target_freq',
              'power_on', 'power_off', 'reboot', 'restart_btminer', 'factory_reset', 'net_config')


class FakeDevice:
    """The fake miner itself: what it reports, its password, and every call made to it."""

    def __init__(self, api='v2', password='s3cret', next_firmware='20250101.16.REL', **sections):
        self.api = api
        self.password = password
        self.next_firmware = next_firmware
        self.sections = default_sections()
        self.sections.update(copy.deepcopy(sections))
        self.calls = []
        self.down = 0
        self.ignore = set()
        # commands answered OK but applied only at the next restart (2025 firmware's update_pools), and the restarts
        self.defer = set()
        self.deferred = []
        self.restarts = []
        self.lose_reply = set()
        self.unsupported = set()  # sections whose command this firmware lacks (14 "invalid cmd")
        self.settings = None if api == 'v2' else dict(temp_offset=0, fan_zero_speed=False, poweroff_cool=True,
                                                      heat_mode='normal', timezone=None, syslog=None, web_pools=True,
                                                      upfreq_speed=0)

    def factory(self, host, password=None, v3_password=None, **_options):
        """A view with the password the task gives this miner's API (V3: v3_password first)."""
        return FakeMiner(self, (v3_password or password) if self.api == 'v3' else password)

    @property
    def writes(self):
        return [call[1] for call in self.calls if call[0] == 'write']

    def read(self, section):
        self.calls.append(('read', section))
        if section in self.unsupported:
            raise Unsupported(14, 'invalid cmd', command=section, host=HOST, port=4028)
        if self.down:
            self.down -= 1
            raise MinerUnreachable(HOST, 4028, 'restarting')
        return copy.deepcopy(self.sections[section])


class FakeMiner(Miner):
    """One task's view of a FakeDevice, with the password the task gave."""

    writes_sent = 0

    def __init__(self, device, password):
        self.device = device
        self.given = password
        self.writes_sent = 0
        kind = V3Miner if device.api == 'v3' else V2Miner
        self.api = kind.api
        self.capabilities = kind.capabilities
        self.password_pattern = kind.password_pattern
        self.password_rule = kind.password_rule
        self.password_options = kind.password_options
        self.api_label, self.restarting_writes, self.upfreq_speed_max = kind.api_label, kind.restarting_writes, kind.upfreq_speed_max
        self.host = HOST
        self.port = 4433 if device.api == 'v3' else 4028
        self.raw = {}
        self.latest = {}
        self._remembered = {}
        self._snapshot = None
        self._customer_messages = None

    def __getattr__(self, name):
        if name.startswith('_read_'):
            return lambda: self.device.read(name[len('_read_'):])
        raise AttributeError(name)

    @property
    def requests_sent(self):
        return [call[1] for call in self.device.calls if len(call) > 1]

    def _authorised(self):
        if self.given != self.device.password:
            raise WrongPassword(23, 'can\'t decrypt', host=self.host, port=self.port)

    def settings(self):
        return copy.deepcopy(self.device.settings) if self.can('read_settings') else None

    def write(self, command, restarting=False, **params):
        self._authorised()
        self.device.calls.append(('write', command, params))
        self.writes_sent += 1
        if command in self.device.defer:
            self.device.deferred.append((command, params))
        elif command not in self.device.ignore:
            EFFECTS.get(command, lambda device, params: None)(self.device, params)
        if restarting or command in RESTARTING:
            self.device.down = 1
            self.device.restarts.append(command)
            for deferred, deferred_params in self.device.deferred:
                EFFECTS.get(deferred, lambda device, params: None)(self.device, deferred_params)
            self.device.deferred = []
        if command in self.device.lose_reply:
            raise OutcomeUnknown(command, self.host, self.port, 'connection closed without a reply')
        return {'STATUS': 'S', 'Code': 131, 'Msg': 'ok'}

    def check_credentials(self):
        self.device.calls.append(('check_credentials',))
        self._authorised()

    def upload_firmware(self, path):
        self._authorised()
        self.device.calls.append(('upload_firmware',))
        self.writes_sent += 1
        self.device.sections['status']['firmware_version'] = self.device.next_firmware
        self.device.down = 1

    def download_logs(self, dest_path):
        self._authorised()
        self.device.calls.append(('download_logs',))
        data = b'\x1f\x8b fake log archive'
        with open(dest_path, 'wb') as handle:
            handle.write(data)
        return len(data), hashlib.sha256(data).hexdigest()

    def command(self, command, params=None, write=False, restarting=False):
        if write:
            self._authorised()
            self.writes_sent += 1
        self.device.calls.append(('command', command, params or {}, write))
        return {'STATUS': 'S', 'Code': 131, 'Msg': {'echo': command}}

    def close(self):
        pass


def task_params(module, device, **params):
    """The module's parameters with their defaults, the task's miner and password."""
    full = dict((name, spec.get('default')) for name, spec in CONNECTION_ARGUMENT_SPEC.items())
    for name, spec in module.argument_spec().items():
        full.setdefault(name, spec.get('default'))
    full.update(host=HOST, password=device.password, api=device.api)
    full.update(params)
    return full


def run_task(module, device, check_mode=False, diff=True, handler=None, **params):
    """Run one task of ``module`` (its ``run``) against ``device``; return the task result."""
    ctx = TaskContext(task_params(module, device, **params), check_mode=check_mode, diff=diff, client_factory=device.factory)
    return execute(handler or module.run, ctx)
