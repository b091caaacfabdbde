# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One interface to a miner, whichever API it speaks (private to the collection).

Resource code (pools, power, facts...) sees a :class:`Miner`: normalised *sections* read with
:meth:`Miner.read` (the same keys and units on every API, see ``replies.py``), writes named by the
collection's write vocabulary (the V2.2 command names, translated once per API), streams, and
*capabilities*: what this miner can do that another cannot (``Miner.can``). It never asks which
API it talks to. ``Miner.raw`` keeps what the miner really sent for each section read.

Each API's replies are mapped exactly once: V2.2 by ``replies.normalize_*``, V3 by
``replies_v3.v3_*``. :func:`open_miner` resolves credentials and the API (``auto`` probes the V3
port once) for modules, the inventory plugin and the fan-out alike.
"""

from __future__ import annotations

import contextlib
import re

from ansible_collections.minerops.whatsminer.plugins.module_utils._green import pause
from ansible_collections.minerops.whatsminer.plugins.module_utils import replies, replies_v3
from ansible_collections.minerops.whatsminer.plugins.module_utils.client import WhatsMinerClient
from ansible_collections.minerops.whatsminer.plugins.module_utils.client_v3 import WhatsMinerV3Client
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    InvalidCommand,
    MinerUnreachable,
    ModuleFailure,
    NoReply,
    NotReported,
    Unsupported,
    V3CommandFailed,
    V3PortBusy,
    WhatsMinerError,
)

DEFAULT_V2_PORT = 4028
DEFAULT_V3_PORT = 4433
# How long to wait for the API V3 port when telling V3 from V2 miners (api=auto).
DETECT_TIMEOUT = 2.0

SECTIONS = ('version', 'status', 'summary', 'pools', 'boards', 'devices', 'psu', 'miner_info', 'error_codes', 'customer_msg')
MINER_INFO_FIELDS = 'ip,proto,netmask,gateway,dns,hostname,mac,ledstat,minersn,powersn'
CUSTOMER_MSG_KEYS = ['CustomerSn'] + ['msg%d' % n for n in range(10)]

# Capabilities (Miner.can):
# read_settings            the settings V2.2 cannot read back (fans, time zone, syslog, heat mode,
#                          web pools, upfreq speed) are read from the miner (Miner.settings)
# check_without_write      a password is proven without writing anything (V2.2: token + get_customer_msg)
# free_customer_msg        reading the customer messages costs no token
# native_commands          API V3 commands (get.* / set.*) can be sent as they are
READ_SETTINGS = 'read_settings'
CHECK_WITHOUT_WRITE = 'check_without_write'
FREE_CUSTOMER_MSG = 'free_customer_msg'
NATIVE_COMMANDS = 'native_commands'


class Miner:
    """A miner behind one API. Subclasses map that API's replies and writes."""

    api = None
    capabilities = frozenset()
    # The admin password this API takes, and the options that hold the current one (first set wins).
    password_pattern = None
    password_rule = ''
    password_options = ('password',)
    api_label = None
    # Writes (in the collection's vocabulary) that restart btminer on this API though not on every API.
    restarting_writes = frozenset()
    upfreq_speed_max = 9

    def __init__(self, client):
        self.client = client
        self.host = client.host
        self.port = client.port
        self.raw = {}
        # The last value read from the miner for each section (remembered values do not count).
        self.latest = {}
        self._remembered = {}
        self._snapshot = None
        self._customer_messages = None

    def can(self, capability):
        return capability in self.capabilities

    @property
    def writes_sent(self):
        return getattr(self.client, 'writes_sent', None)

    @property
    def requests_sent(self):
        return self.client.requests_sent

    # ------------------------------------------------------------------ reads

    def read(self, section):
        """The normalised ``section`` (one of SECTIONS); what the miner sent goes to ``raw[section]``."""
        if section in self._remembered:
            return self._remembered.pop(section)
        if section not in SECTIONS:
            raise ValueError('unknown miner section %r' % section)
        value = getattr(self, '_read_' + section)()
        self.latest[section] = value
        return value

    def read_sections(self, sections):
        """Several sections at once, in as few requests as the API allows: ``{section: normalised}``."""
        with self.snapshot():
            return dict((section, self.read(section)) for section in sections)

    def read_offered(self, sections, required=(), lacking=InvalidCommand):
        """``(found, missing)``: the sections in as few requests as the API allows, leaving out (in ``missing``) each
        one whose command this firmware lacks (``lacking`` raised: older firmware answers 14 "invalid cmd"), unless
        it is ``required``."""
        try:
            return self.read_sections(sections), []
        except lacking:
            pass
        found, missing = {}, []
        for section in sections:
            try:
                found[section] = self.read(section)
            except lacking:
                if section in required:
                    raise
                missing.append(section)
        return found, missing

    def remember(self, values):
        """The next read of each section in ``values`` returns that value (read a moment ago) instead of asking again."""
        self._remembered.update(values)

    @contextlib.contextmanager
    def snapshot(self):
        """Within the block, a request whose answer serves several sections is sent once."""
        if self._snapshot is not None:
            yield self
            return
        self._snapshot = {}
        try:
            yield self
        finally:
            self._snapshot = None

    def _cached(self, key, request):
        if self._snapshot is None:
            return request()
        if key not in self._snapshot:
            self._snapshot[key] = request()
        return self._snapshot[key]

    def settings(self):
        """Settings V2.2 cannot read back, in the collection's terms; None without the read_settings capability."""
        return None

    def customer_messages(self, purpose='read the customer messages', fresh=False):
        """The customer message slots as ``{key: text}``; ModuleFailure naming the firmware when it has none.

        The slots read since this miner's last write are reused (the sections of whatsminer_config each compare with
        the applied-settings record); ``fresh`` reads them again (a record about to be rewritten).
        """
        sent = self.writes_sent
        if not fresh and sent is not None and self._customer_messages is not None and self._customer_messages[0] == sent:
            return dict(self._customer_messages[1])
        try:
            messages = self.read('customer_msg')
        except InvalidCommand:
            raise ModuleFailure('this miner (%s) does not answer get_customer_msg (firmware before the 2025 V2.2 manual): '
                                'it cannot %s; nothing was sent' % (self.firmware_label(), purpose))
        # Keyed by the write count after the read (API V2.2 counts get_customer_msg itself as a write).
        self._customer_messages = (self.writes_sent, dict(messages))
        return messages

    def firmware_label(self):
        """``firmware <version>, API <version>`` as the miner reports them (for messages)."""
        version = self.latest.get('version') or self.read('version')
        return 'firmware %s, API %s' % (version.get('fw_ver'), version.get('api_version'))

    # ------------------------------------------------------------------ writes and streams

    def write(self, command, restarting=False, **params):
        """Send a write named in the collection's write vocabulary (the V2.2 command names)."""
        raise NotImplementedError

    def check_credentials(self):
        """Prove the password (without a write where ``check_without_write``); WrongPassword when it fails."""
        raise NotImplementedError

    def upload_firmware(self, path):
        return self.client.upload_firmware(path)

    def download_logs(self, dest_path):
        return self.client.download_logs(dest_path)

    def close(self):
        self.client.close()


# ---------------------------------------------------------------------- API V2.2

# section -> (V2.2 read command, its parameters, normaliser of the reply)
_V2_READS = dict(
    version=('get_version', {}, replies.normalize_version),
    status=('status', {}, replies.normalize_status),
    summary=('summary', {}, replies.normalize_summary),
    pools=('pools', {}, replies.normalize_pools),
    boards=('devs', {}, replies.normalize_devs),
    devices=('devdetails', {}, replies.normalize_devdetails),
    psu=('get_psu', {}, replies.normalize_psu),
    miner_info=('get_miner_info', dict(info=MINER_INFO_FIELDS), replies.normalize_miner_info),
    error_codes=('get_error_code', {}, replies.normalize_error_codes),
)
# Writes every public client sends with "respbefore": the miner answers before it stops or reboots.
RESPOND_BEFORE = ('power_off', 'reboot')
# cgminer-style reads one request can carry together ("summary+pools"; reference_protocol.rst V2.2 §1).
_V2_JOINABLE = (('summary', 'pools'), ('summary', 'status'), ('boards', 'devices'))


class V2Miner(Miner):
    """A miner spoken to over API V2.2 (TCP 4028)."""

    api = 'v2'
    api_label = 'V2.2'
    capabilities = frozenset([CHECK_WITHOUT_WRITE])
    password_pattern = re.compile(r'^[A-Za-z0-9_]{1,8}\Z')
    password_rule = '1 to 8 letters, digits or underscores (the miner accepts nothing else)'

    def _reply(self, section):
        command, params, normalise = _V2_READS[section]
        try:
            reply = self.client.read(command, **params)
        except InvalidCommand as exc:
            if section == 'version' or getattr(exc, 'code', None) != 14:
                raise
            version = self.latest.get('version') or self.read('version')
            if not version.get('api_version'):
                raise  # no V2.2 API version: maybe V3 firmware's reduced V2 port (the task says what to set)
            raise Unsupported(14, exc.api_msg, command=command, host=self.host, port=self.port,
                              hint='this miner (%s) does not know %s' % (self.firmware_label(), command))
        self.raw[section] = reply
        return normalise(reply)

    def _read_customer_msg(self):
        # A token read in V2.2: it goes through the encrypted channel.
        reply = self.client.write('get_customer_msg')
        self.raw['customer_msg'] = reply
        msg = reply.get('Msg') if isinstance(reply, dict) else None
        return msg if isinstance(msg, dict) else {}

    def read_sections(self, sections):
        result = {}
        for first, second in _V2_JOINABLE:
            pair = (first, second)
            if all(section in sections and section not in result and section not in self._remembered for section in pair):
                result.update(self._read_joined(first, second))
        for section in sections:
            if section not in result:
                result[section] = self.read(section)
        return dict((section, result[section]) for section in sections)

    def _read_joined(self, first, second):
        try:
            joined = self.client.read_joined(_V2_READS[first][0], _V2_READS[second][0])
        except InvalidCommand:
            return {}  # firmware that refuses joined reads: read them one by one
        result = {}
        for section in (first, second):
            command = _V2_READS[section][0]
            part = joined.get(command)
            if isinstance(part, list) and part and isinstance(part[0], dict):
                reply = part[0]  # cgminer's joined layout: each command's whole reply (any envelope) under its name
            else:
                reply = {'STATUS': joined.get('STATUS'), command.upper(): joined.get(command.upper(), [])}
            self.raw[section] = reply
            result[section] = self.latest[section] = _V2_READS[section][2](reply)
        return result

    def write(self, command, restarting=False, **params):
        if command in RESPOND_BEFORE:
            params.setdefault('respbefore', 'true')
        return self.client.write(command, restarting=restarting, **params)

    def check_credentials(self):
        self.client.check_credentials()

    def command(self, command, params=None, write=False, restarting=False):
        """A raw V2.2 command (whatsminer_command): its reply as the miner sent it."""
        if write:
            return self.client.write(command, restarting=restarting, **(params or {}))
        return self.client.read(command, **(params or {}))


for _section in _V2_READS:
    setattr(V2Miner, '_read_' + _section, lambda self, _name=_section: self._reply(_name))


# ---------------------------------------------------------------------- API V3

_POWER_MODE_WRITES = dict(set_low_power='low', set_normal_power='normal', set_high_power='high')
# V2.2 names the hydro heat modes anti-icing/heating; V3 anti-freezing/heating/normal.
HEAT_MODE_TO_V3 = {'anti-icing': 'anti-freezing', 'heating': 'heating', 'normal': 'normal'}
HEAT_MODE_FROM_V3 = {'anti-freezing': 'anti-icing', 'heating': 'heating', 'normal': 'normal', '': None}


def _switch(value):
    return 1 if str(value) in ('1', 'true', 'True') else 0


def _pools_param(p):
    return [{'pool': p['pool%d' % n], 'worker': p['worker%d' % n], 'passwd': p['passwd%d' % n]}
            for n in (1, 2, 3) if p.get('pool%d' % n)]


def _led_param(p):
    if p.get('param') == 'auto':
        return 'auto'
    return [{'color': p['color'], 'period': int(p['period']), 'duration': int(p['duration']), 'start': int(p['start'])}]


def _net_param(p):
    if p.get('param') == 'dhcp':
        return 'dhcp'
    return {'ip': p['ip'], 'netmask': p['mask'], 'gateway': p['gate'], 'dns': p.get('dns', '')}


# The collection's write vocabulary -> (V3 command, param from the write's parameters).
V3_WRITES = dict(
    power_on=('set.miner.service', lambda p: 'start'),
    power_off=('set.miner.service', lambda p: 'stop'),
    restart_btminer=('set.miner.service', lambda p: 'restart'),
    enable_btminer_init=('set.miner.service', lambda p: 'enable'),
    disable_btminer_init=('set.miner.service', lambda p: 'disable'),
    enable_btminer_fast_boot=('set.miner.fastboot', lambda p: 'enable'),
    disable_btminer_fast_boot=('set.miner.fastboot', lambda p: 'disable'),
    enable_web_pools=('set.system.webpools', lambda p: 'enable'),
    disable_web_pools=('set.system.webpools', lambda p: 'disable'),
    reboot=('set.system.reboot', lambda p: None),
    factory_reset=('set.system.factory_reset', lambda p: None),
    # V3 has no "restore": the override is not saved, so restarting btminer ends it (power-percent reads 0 again).
    restore_power_pct=('set.miner.service', lambda p: 'restart'),
    set_power_pct=('set.miner.power_percent', lambda p: {'percent': str(p['percent']), 'mode': 'fast'}),
    set_power_pct_v2=('set.miner.power_percent', lambda p: {'percent': str(p['percent']), 'mode': 'normal'}),
    update_pools=('set.miner.pools', _pools_param),
    adjust_power_limit=('set.miner.power_limit', lambda p: int(p['power_limit'])),
    set_target_freq=('set.miner.target_freq', lambda p: int(p['percent'])),
    set_power=('set.miner.power', lambda p: int(p['power'])),
    adjust_upfreq_speed=('set.miner.upfreq_speed', lambda p: int(p['upfreq_speed'])),
    set_led=('set.system.led', _led_param),
    net_config=('set.system.net_config', _net_param),
    set_hostname=('set.system.hostname', lambda p: {'hostname': p['hostname']}),
    set_zone=('set.system.timezone', lambda p: {'timezone': p['timezone'], 'zonename': p['zonename']}),
    load_log=('set.log.upload', lambda p: {'ip': p['ip'], 'port': str(p['port']), 'proto': p['proto']}),
    set_temp_offset=('set.fan.temp_offset', lambda p: int(p['temp_offset'])),
    set_fan_zero_speed=('set.fan.zero_speed', lambda p: _switch(p['fan_zero_speed'])),
    set_poweroff_cool=('set.fan.poweroff_cool', lambda p: _switch(p['poweroff_cool'])),
    set_heat_mode=('set.miner.heat_mode', lambda p: HEAT_MODE_TO_V3.get(p['mode'], p['mode'])),
    set_customer_msg=('set.device.custom_data', lambda p: {'key': p['key'], 'value': p['val']}),
)
V3_WRITES.update((name, ('set.miner.power_mode', lambda p, _mode=mode: _mode)) for name, mode in _POWER_MODE_WRITES.items())
_V3_SETTING_READS = ('get.miner.setting', 'get.fan.setting', 'get.system.setting', 'get.device.info')


class V3Miner(Miner):
    """A miner spoken to over API V3 (TCP 4433): reads with ``get.*``, writes with ``set.*``."""

    api = 'v3'
    api_label = 'V3'
    capabilities = frozenset([READ_SETTINGS, FREE_CUSTOMER_MSG, NATIVE_COMMANDS])
    restarting_writes = frozenset(['restore_power_pct'])
    upfreq_speed_max = 10  # V3 section 19; V2.2 takes 0 to 9
    # API V3 documents no rule; printable ASCII without spaces, at most 32, is what every known client sends.
    password_pattern = re.compile(r'^[\x21-\x7e]{1,32}\Z')
    password_rule = '1 to 32 printable ASCII characters without spaces (API V3 account password)'
    password_options = ('v3_password', 'password')

    def _get(self, command, param=None):
        return self._cached((command, param), lambda: self.client.get(command, param))

    def _info(self):
        # The whole device info in one request: every section of it serves several of ours.
        info = self._get('get.device.info')
        return info if isinstance(info, dict) else {}

    def _miner_status(self, part):
        msg = self._get('get.miner.status', part)
        return msg if isinstance(msg, dict) else {}

    def _setting(self):
        msg = self._get('get.miner.setting')
        return msg if isinstance(msg, dict) else {}

    def _keep(self, section, **sent):
        self.raw[section] = sent

    def _read_version(self):
        info = self._info()
        self._keep('version', **{'get.device.info': info})
        return replies_v3.v3_version(info)

    def _read_status(self):
        info, setting = self._info(), self._setting()
        self._keep('status', **{'get.device.info': info, 'get.miner.setting': setting})
        return replies_v3.v3_status(info, setting)

    def _read_summary(self):
        summary, setting = self._miner_status('summary'), self._setting()
        self._keep('summary', **{'get.miner.status': summary, 'get.miner.setting': setting})
        return replies_v3.v3_summary(summary, setting)

    def _read_pools(self):
        try:
            pools = self._miner_status('pools')
        except V3CommandFailed:
            # A miner that is not mining answers the pools read with -1; MicroBT's worker asks summary+pools then,
            # which leaves the pools out while btminer is stopped.
            joined = self.client.get('get.miner.status', 'summary+pools')
            if not isinstance(joined, dict) or 'pools' not in joined:
                raise NotReported(-1, 'btminer is not running', command='get.miner.status pools', host=self.host, port=self.port,
                                  hint='API V3 firmware reports its pools only while it mines: start mining first '
                                       '(whatsminer_power mining: true), then read or set the pools')
            pools = {'pools': joined['pools']}
        self._keep('pools', **{'get.miner.status': pools})
        return replies_v3.v3_pools(pools)

    def _read_boards(self):
        edevs = self._miner_status('edevs')
        summary = self._miner_status('summary')
        self._keep('boards', **{'get.miner.status': dict(edevs, **summary)})
        return replies_v3.v3_devs(edevs, summary)

    def _read_devices(self):
        edevs, info = self._miner_status('edevs'), self._info()
        self._keep('devices', **{'get.miner.status': edevs})
        return replies_v3.v3_devdetails(edevs, info)

    def _read_psu(self):
        info = self._info()
        self._keep('psu', **{'get.device.info': {'power': info.get('power')}})
        return replies_v3.v3_psu(info)

    def _read_miner_info(self):
        info = self._info()
        self._keep('miner_info', **{'get.device.info': info})
        return replies_v3.v3_miner_info(info)

    def _read_error_codes(self):
        info = self._info()
        self._keep('error_codes', **{'get.device.info': {'error-code': info.get('error-code')}})
        return replies_v3.v3_error_codes(info)

    def _read_customer_msg(self):
        msg = self._get('get.device.custom_data')
        self._keep('customer_msg', **{'get.device.custom_data': msg})
        return msg if isinstance(msg, dict) else {}

    def read_sections(self, sections):
        with self.snapshot():
            if len([s for s in sections if s in ('summary', 'pools', 'boards', 'devices')]) > 1:
                self._prefetch_status(sections)
            return dict((section, self.read(section)) for section in sections)

    def _prefetch_status(self, sections):
        """One get.miner.status carries several parts (``summary+pools+edevs``)."""
        parts = [part for part, wanted in (('summary', ('summary', 'boards')), ('pools', ('pools',)),
                                           ('edevs', ('boards', 'devices'))) if any(s in sections for s in wanted)]
        joined = self.client.get('get.miner.status', '+'.join(parts))
        joined = joined if isinstance(joined, dict) else {}
        for part in parts:
            self._snapshot[('get.miner.status', part)] = {part: joined.get(part)} if part in joined else {}

    def settings(self):
        with self.snapshot():
            values = replies_v3.v3_settings(*[self._get(command) for command in _V3_SETTING_READS])
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
            heat_mode=HEAT_MODE_FROM_V3.get(values.get('heat_mode') or '', values.get('heat_mode')),
            timezone=timezone,
            syslog=syslog,
            web_pools=values.get('web_pools'),
            upfreq_speed=values.get('upfreq_speed'),
        )

    def write(self, command, restarting=False, **params):
        if command == 'update_pwd':
            return self.client.set('set.user.change_passwd', {'account': self.client.account, 'new': params['new'], 'old': params['old']})
        if command not in V3_WRITES:
            raise InvalidCommand(14, 'no API V3 equivalent for the write %s' % command, command=command, host=self.host, port=self.port)
        v3_command, param = V3_WRITES[command]
        return self.client.set(v3_command, param(params), restarting=restarting)

    def check_credentials(self):
        """V3 has no authenticated read: the password is proven with a write that changes nothing."""
        current = self.client.get('get.device.custom_data') or {}
        self.client.set('set.device.custom_data', {'key': 'CustomerSn', 'value': current.get('CustomerSn', '')})

    def command(self, command, params=None, write=False, restarting=False):
        """A raw command (whatsminer_command): a V3 one (``get.*``/``set.*``, ``params`` is its param) as the
        miner answered it; a V2.2 write of the collection's vocabulary as its V3 equivalent."""
        if command.startswith(('get.', 'set.')):
            if write:
                return self.client.set_reply(command, params, restarting=restarting)
            return self.client.get_reply(command, params)
        if command == 'get_customer_msg':
            return self.client.get_reply('get.device.custom_data')  # a token read in V2.2, a plain read in V3
        if write and command in V3_WRITES:
            return self.write(command, restarting=restarting, **(params or {}))
        raise InvalidCommand(14, 'no API V3 equivalent for the V2.2 command %s; send its API V3 command (get.* or set.*)'
                             % command, command=command, host=self.host, port=self.port)


# ---------------------------------------------------------------------- opening a miner

_BUSY_RETRY_SECONDS = 0.5


def probe_v3(host, port=DEFAULT_V3_PORT, timeout=DETECT_TIMEOUT, log=None, sleep=pause):
    """``get.device.info system`` on the V3 port; return the API version text ("3.0.2", or "" if not given).

    Returns None when nothing V3 answers (refused, timeout, not a V3 frame, code != 0). Raises
    :class:`V3PortBusy` when the port accepts connections but closes them unanswered twice
    (half a second apart): a V3 miner whose client slots are full, never a V2 miner.
    """
    for attempt in (1, 2):
        client = WhatsMinerV3Client(host, port, timeout=timeout, log=log)
        try:
            msg = client.get('get.device.info', 'system')
        except (NoReply, MinerUnreachable) as exc:
            # Refused: nothing listens there. Accepted, then closed or reset before any answer: busy.
            if isinstance(exc, MinerUnreachable) and exc.phase == 'connect':
                return None
            if attempt == 2:
                raise V3PortBusy(host, port)
            sleep(_BUSY_RETRY_SECONDS)
            continue
        except (WhatsMinerError, OSError):
            return None
        finally:
            client.close()
        break
    system = msg.get('system')
    api = system.get('api') if isinstance(system, dict) else None
    if api is None:
        return ''
    api = str(api).strip()
    if api and not api.startswith('3'):
        return None
    return api


def detect_api(host, v3_port, timeout, busy_is_v3=False):
    """``(api, v3_version)`` found on the miner: its V3 port first (reference_protocol.rst V3 §6), the API V3 version
    it reports (None over V2.2, "" when not given).

    A V3 port that accepts and closes unanswered raises V3PortBusy (never taken for V2), unless
    ``busy_is_v3`` (discovery: something listens there, its client slots are full right now).
    """
    # Only the V3 port is probed: when it does not answer, the V2 requests that follow tell
    # whether the miner is reachable at all (and say so clearly when it is not).
    try:
        version = probe_v3(host, v3_port or DEFAULT_V3_PORT, min(DETECT_TIMEOUT, timeout))
    except V3PortBusy:
        if busy_is_v3:
            return 'v3', ''
        raise
    return ('v3' if version is not None else 'v2'), version


def choose_api(wanted, host, v3_port, timeout, busy_is_v3=False):
    """``v2`` or ``v3``: as set, or for ``auto`` found on the miner (:func:`detect_api`)."""
    if wanted in ('v2', 'v3'):
        return wanted
    return detect_api(host, v3_port, timeout, busy_is_v3)[0]


def password_for(api, options):
    """The password a miner's API wants: V3 keeps its account passwords apart (v3_password, else password)."""
    if api == 'v3':
        return options.get('v3_password') or options.get('password')
    return options.get('password')


def open_miner(api, host, options, client=None):
    """A Miner for ``host`` over ``api`` from the connection options (port, password, timeout, v3_*).

    ``client`` (tests, scripted peers) is wrapped as it is, as an API V2.2 client unless it says otherwise;
    a Miner (a test double) is used as it is.
    """
    if isinstance(client, Miner):
        return client
    if client is not None:
        return V3Miner(client) if getattr(client, 'api', 'v2') == 'v3' else V2Miner(client)
    if not host:
        raise ModuleFailure('host is required: set the host option, or target the miner with ansible_host set')
    if api == 'v3':
        return V3Miner(WhatsMinerV3Client(host, port=options.get('v3_port') or DEFAULT_V3_PORT,
                                          account=options.get('v3_account') or 'super',
                                          password=password_for(api, options), timeout=options['timeout']))
    return V2Miner(WhatsMinerClient(host, port=options.get('port') or DEFAULT_V2_PORT, password=password_for(api, options),
                                    timeout=options['timeout']))
