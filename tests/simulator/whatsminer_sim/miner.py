# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One simulated miner: settings, runtime state, tokens, faults, restarts and telemetry.

The protocol layer (``api_v2``) validates requests and calls into this class; the
listener (``server``) owns the sockets. Keeping the miner protocol-neutral leaves room
for an API V3 front end on port 4433 over the same state later.
"""

import asyncio
import copy
import io
import json
import logging
import tarfile
import time

from . import crypto, generations, models
from .server import listen
from .server_v3 import listen_v3
from .protocol import QUIRKS
from .state import factory_values, merge, write_json_atomic

LOG = logging.getLogger(__name__)

FAULT_KINDS = (
    'latency', 'refuse', 'reset', 'garbage', 'truncated', 'stall', 'token_exhaustion', 'stale_token',
    'reboot', 'no_reply', 'write_api_off', 'wrong_password', 'ignore_write', 'clamp', 'apply_after_restart',
    'fan_failure', 'overheat', 'hashboard_failure', 'pool_down', 'error_code',
)

# Error codes that the telemetry faults raise (see shared/data/whatsminer_error_codes.json).
FAULT_ERROR_CODES = {
    'fan_failure': [110, 111],
    'overheat': [600, 350],
    'hashboard_failure': [530, 2310],
    'pool_down': [2010, 2020],
}

MAX_TOKENS = 100


def _clamped(value):
    """What a clamping firmware keeps of a numeric setting: 90 percent of a positive value (pools, text: as sent)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value * 9 // 10
    return value


class Token:
    """One get_token slot: the sign it accepts and when it expires."""

    __slots__ = ('sign', 'expires')

    def __init__(self, sign, expires):
        self.sign = sign
        self.expires = expires


class Miner:
    """A simulated WhatsMiner."""

    def __init__(self, fleet, index, profile, settings, state_path):
        self.fleet = fleet
        self.config = fleet.config
        self.index = index
        self.id = settings['id']
        self.profile = profile
        self.settings = settings
        self.state_path = state_path
        self.rng = fleet.rng_for(index)
        # a fleet starts as if it had been running for a while: hashing at full rate, with a
        # plausible uptime; only restarts ramp up from zero
        now = time.time()
        self.boot_time = now - self.rng.uniform(3600, 3 * 86400)
        self.btminer_start = self.boot_time + 45
        self.mining = self.mines_at_start()
        self.power_pct_temp = None
        self.tokens = []
        self.counts = {}
        self.faults = []
        self.logs_empty = False
        self.online = False
        self.restarting = False
        self.host = self._bind_host()
        self.port = int(settings.get('port', self.config.port))
        self.server = None  # asyncio.Server while listening
        # API V3 (port 4433): a second listener over the same settings, persistent connections
        self.v3_port = int(settings.get('v3_port', getattr(self.config, 'v3_port', 4433)))
        self.v3_server = None
        self.v3_conns = set()
        self.v3_salt = crypto.v3_salt(self.rng)  # one per boot
        self._key_cache = (None, None, None, None)
        self.phase = self.rng.random() * 6.28

    # ------------------------------------------------------------------ state

    def _bind_host(self):
        net = self.settings.get('network', {})
        if net.get('proto') == 'static' and self.fleet.can_use_address(net.get('ip', '')):
            return net['ip']
        return self.settings['home_host']

    def save(self):
        """Persist the settings (atomic replace)."""
        if self.state_path:
            write_json_atomic(self.state_path, self.settings)

    def mines_at_start(self):
        """btminer mines after a start when the hashboards are on and btminer init is enabled."""
        return bool(self.settings.get('power_on', True)) and bool(self.settings.get('btminer_init', True))

    def patch_settings(self, patch):
        """Merge a control-API patch into the settings (someone changed the miner behind our back)."""
        old_password = self.settings.get('password')
        old_api = self.api
        merge(self.settings, patch)
        if self.settings.get('password') != old_password:
            self.tokens = []
        if self.api != old_api and self.server is not None:
            if self.api == 'v3':
                self.fleet.schedule(self.start_listening())
            else:
                self._close_v3()
        if 'power_on' in patch or 'btminer_init' in patch:
            self.mining = self.mines_at_start()
        self.save()

    @property
    def api(self):
        """'v3' for a miner on 2024+ firmware (V3 on 4433, a reduced V2 on 4028), else 'v2'."""
        return 'v3' if str(self.settings.get('api', 'v2')).lower() == 'v3' else 'v2'

    @property
    def generation(self):
        """The firmware generation this miner answers as (generations.py; 'manual' by default)."""
        return generations.get(self.settings.get('generation', ''))

    @property
    def api_version(self):
        if self.generation.api_version == 1:
            return 1
        try:
            return int(self.settings.get('api_version', 2))
        except (TypeError, ValueError):
            return 2

    @property
    def quirks(self):
        quirks = self.settings.get('quirks') or []
        if quirks is True or quirks == 'all' or (isinstance(quirks, list) and 'all' in quirks):
            return frozenset(QUIRKS)
        return frozenset(quirks) if isinstance(quirks, list) else frozenset()

    def count(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1

    # ------------------------------------------------------------------ crypto / tokens

    def key(self):
        """(salt, key, aeskey) of the current password, cached (md5-crypt is slow in pure Python)."""
        password = self.settings['password']
        if self._key_cache[0] != password:
            salt = crypto.salt_for_password(password)
            key = crypto.make_key(password, salt)
            self._key_cache = (password, salt, key, crypto.aes_key(key))
        return self._key_cache[1:]

    def live_tokens(self, now=None):
        now = time.time() if now is None else now
        self.tokens = [t for t in self.tokens if t.expires > now]
        return self.tokens

    def issue_token(self, when):
        """Create a token slot; return (time4, salt, newsalt) or None when all slots are taken."""
        if len(self.live_tokens()) >= MAX_TOKENS:
            return None
        salt, key, _aes = self.key()
        time4 = str(when)[-4:]
        newsalt = crypto.new_salt(self.rng)
        sign = crypto.make_sign(key, time4, newsalt)
        self.tokens.append(Token(sign, time.time() + self.config.token_lifetime))
        return time4, salt, newsalt

    def check_token(self, token):
        return isinstance(token, str) and any(t.sign == token for t in self.live_tokens())

    # ------------------------------------------------------------------ faults

    def add_fault(self, spec):
        """Add a fault; ``spec`` is {"kind": K, "count": N?, "seconds": S?, "code": C?}."""
        kind = spec.get('kind')
        if kind not in FAULT_KINDS:
            raise ValueError('unknown fault kind %r (known: %s)' % (kind, ', '.join(FAULT_KINDS)))
        fault = {'kind': kind}
        for name in ('count', 'seconds', 'code'):
            if spec.get(name) is not None:
                value = spec[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError('%s must be a number' % name)
                fault[name] = value
        if kind == 'reboot':
            self.restart('board')
            return fault
        if kind == 'error_code' and 'code' not in fault:
            raise ValueError('error_code fault needs "code"')
        if kind == 'refuse':
            if 'seconds' in fault:
                fault['until'] = time.time() + float(fault['seconds'])
                asyncio.get_running_loop().call_later(float(fault['seconds']) + 0.01, self._refuse_expired)
            self.faults.append(fault)
            self._close_listener()
            return fault
        fault['since'] = time.time()  # the date get_error_code shows
        self.faults.append(fault)
        return fault

    def _refuse_expired(self):
        now = time.time()
        self.faults = [f for f in self.faults if not (f['kind'] == 'refuse' and f.get('until', now + 1) <= now)]
        if not self.has_fault('refuse') and not self.restarting:
            self.fleet.schedule(self.start_listening())

    def clear_faults(self):
        had_refuse = self.has_fault('refuse')
        self.faults = []
        if had_refuse and not self.restarting:
            self.fleet.schedule(self.start_listening())

    def has_fault(self, kind):
        return any(f['kind'] == kind for f in self.faults)

    def take_fault(self, kind):
        """Return the active fault of ``kind`` (consuming one of its ``count``), or None."""
        for fault in self.faults:
            if fault['kind'] != kind:
                continue
            if 'count' in fault:
                fault['count'] -= 1
                if fault['count'] <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    @staticmethod
    def _fault_codes(fault):
        if fault['kind'] == 'error_code':
            return [int(fault['code'])]
        return FAULT_ERROR_CODES.get(fault['kind'], [])

    def error_codes(self):
        """Active error codes with the time they appeared: [(code, unix time)], from the faults."""
        codes = {}
        for fault in self.faults:
            for code in self._fault_codes(fault):
                codes.setdefault(code, fault.get('since', 0))
        return sorted(codes.items())

    # ------------------------------------------------------------------ listening and restarts

    async def start_listening(self):
        """Bind the miner's address; False if it cannot.

        A static address (net_config) that cannot be bound, e.g. because another miner
        has it, falls back to the miner's original address so the miner stays reachable.
        """
        if self.has_fault('refuse'):
            return self.server is not None
        if self.server is not None:
            return await self._start_v3()
        try:
            self.server = await listen(self, self.host, self.port)
        except OSError as exc:
            if self.host == self.settings['home_host']:
                LOG.error('%s: cannot listen on %s:%s: %s', self.id, self.host, self.port, exc)
                self.online = False
                return False
            LOG.warning('%s: cannot listen on %s:%s (%s); staying on %s', self.id, self.host, self.port, exc,
                        self.settings['home_host'])
            self.host = self.settings['home_host']
            return await self.start_listening()
        started = await self._start_v3()
        self.online = self.server is not None
        return started

    async def _start_v3(self):
        """The V3 listener on the same address (V3 miners only)."""
        if self.api != 'v3' or self.v3_server is not None:
            return True
        try:
            self.v3_server = await listen_v3(self, self.host, self.v3_port)
        except OSError as exc:
            LOG.error('%s: cannot listen (V3) on %s:%s: %s', self.id, self.host, self.v3_port, exc)
            if self.host == self.settings['home_host']:
                return False
            self._close_listener()
            self.host = self.settings['home_host']
            return await self.start_listening()
        return True

    def _close_v3(self, connections=True):
        server, self.v3_server = self.v3_server, None
        if server is not None:
            server.close()
        if connections:
            for conn in list(self.v3_conns):
                conn.close()

    def _close_listener(self):
        """Stop accepting at once: the next connect is refused (open connections carry on)."""
        server, self.server = self.server, None
        self.online = False
        if server is not None:
            server.close()
        self._close_v3(connections=False)

    async def stop_listening(self):
        self._close_listener()

    def restart(self, kind='btminer', new_firmware=None):
        """Go unreachable for --restart-seconds, then come back (``kind`` 'btminer' or 'board')."""
        if self.restarting:
            return
        self.restarting = True
        self.mining = False
        self.settings['boot_count'] = int(self.settings.get('boot_count', 0)) + 1
        if new_firmware:
            self.settings['firmware_version'] = new_firmware
        self.save()
        self._close_listener()  # at once, so that the next connect is refused deterministically
        self._close_v3()  # a restart drops every open V3 connection
        self.tokens = []  # they live in btminer's memory
        self.fleet.schedule(self._restart(kind))

    async def _restart(self, kind):
        await asyncio.sleep(self.config.restart_seconds)
        if self.fleet.stopping:
            return
        now = time.time()
        if kind == 'board':
            self.boot_time = now
            self.v3_salt = crypto.v3_salt(self.rng)  # a new boot, a new salt
        self.btminer_start = now
        self.power_pct_temp = None
        if self.settings.get('pending_pools') is not None:
            # firmware that applies update_pools when btminer next starts (generation 2025)
            self.settings['pools'] = self.settings.pop('pending_pools')
        self.settings.update(self.settings.pop('pending_settings', None) or {})  # fault apply_after_restart
        self.mining = self.mines_at_start()
        old_host = self.host
        self.host = self._bind_host()
        self.restarting = False
        await self.start_listening()
        if self.host != old_host:
            LOG.info('%s: moved %s -> %s', self.id, old_host, self.host)
            self.fleet.miner_moved(self)

    # ------------------------------------------------------------------ commands (protocol-neutral)

    def apply_settings(self, values):
        """Store what a write set. Faults ``clamp`` and ``apply_after_restart`` model firmware that acknowledges a
        write and keeps something else, or keeps it for later; customer messages (the collection's record) are exempt."""
        values = copy.deepcopy(values)
        if 'customer_msg' not in values:
            if self.take_fault('clamp'):
                values = dict((name, _clamped(value)) for name, value in values.items())
            if self.take_fault('apply_after_restart'):
                self.settings.setdefault('pending_settings', {}).update(values)
                self.save()
                return
        self.settings.update(values)
        self.save()

    def power_off(self):
        self.settings['power_on'] = False
        self.mining = False
        self.save()

    def power_on(self):
        """Hashboards on and mining; the hashrate ramps up from zero."""
        self.settings['power_on'] = True
        if not self.mining:
            self.mining = True
            self.btminer_start = time.time()
        self.save()

    def factory_reset(self):
        merge(self.settings, factory_values(self.profile, self.config.factory_write_api))
        self.power_pct_temp = None
        self.save()

    # ------------------------------------------------------------------ telemetry

    def ramp(self, now):
        """0..1: how far the hashrate has climbed since btminer started."""
        seconds = self.config.ramp_seconds / (3.0 if self.settings.get('fast_boot') else 1.0)
        if seconds <= 0:
            return 1.0
        return max(0.0, min(1.0, (now - self.btminer_start) / seconds))

    def output(self, now=None):
        """Current (TH/s, W, board shares), with a little noise."""
        now = time.time() if now is None else now
        settings = dict(self.settings)
        settings['power_pct_temp'] = self.power_pct_temp
        failed = 1 if self.has_fault('hashboard_failure') else 0
        ths, watts, shares = models.compute_output(self.profile, settings, mining=self.mining and not self.restarting,
                                                   ramp=self.ramp(now), failed_boards=failed)
        if ths > 0:
            ths *= 1 + 0.01 * models.wave(now, 37, self.phase) + self.rng.uniform(-0.004, 0.004)
            watts *= 1 + 0.004 * models.wave(now, 53, self.phase)
        return ths, watts, shares

    def env_temp(self, now):
        base = 30.0 if self.profile.hydro else 26.0
        if self.has_fault('overheat'):
            base += 22
        return round(base + 2.5 * models.wave(now, 600, self.phase), 2)

    def chip_temps(self, now, watts):
        """(min, max, avg) chip temperature in degC, following power."""
        load = max(0.0, watts - models.IDLE_POWER_W) / self.profile.nominal_w
        avg = self.env_temp(now) + 45 * load + 1.5 * models.wave(now, 41, self.phase)
        if self.has_fault('overheat'):
            avg += 25
        return round(avg - 6, 2), round(avg + 7, 2), round(avg, 2)

    def board_temps(self, now, watts, shares):
        """Each hash board's temperature in degC (some 20 below its chips' average, as real boards report;
        the room's for a dead board). Both APIs report these same values."""
        tavg = self.chip_temps(now, watts)[2]
        return [round(tavg - 20 + slot, 1) if share else round(self.env_temp(now), 1) for slot, share in enumerate(shares)]

    def fans(self, now, watts):
        """(in, out) fan RPM; hydro models have no fans; fan-zero lets idle fans stop."""
        if self.profile.hydro:
            return 0, 0
        load = max(0.0, watts - models.IDLE_POWER_W) / self.profile.nominal_w
        if load == 0 and self.settings.get('fan_zero_speed'):
            return 0, 0
        rpm = int(self.profile.fan_rpm * (0.35 + 0.6 * load) + 60 * models.wave(now, 29, self.phase))
        fan_in, fan_out = rpm, rpm + 120
        if self.has_fault('fan_failure'):
            fan_in = 0
        return max(0, fan_in), max(0, fan_out)

    def freq_mhz(self):
        """Chip frequency: the model's, moved by the target-frequency percent; 0 when not mining."""
        if not self.mining:
            return 0
        return int(self.profile.freq_mhz * (1 + int(self.settings.get('target_freq', 0)) / 100.0))

    def elapsed(self, now):
        return 0 if self.restarting else int(now - self.btminer_start)

    def uptime(self, now):
        return int(now - self.boot_time)

    # ------------------------------------------------------------------ logs

    def log_archive(self):
        """A real gzip tarball of simulated logs (empty bytes if logs were emptied)."""
        if self.logs_empty:
            return b''
        now = time.time()
        ths, watts, dummy = self.output(now)
        lines = []
        start = int(self.btminer_start)
        for i in range(40):
            stamp = time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(start + i * 5))
            lines.append('%s btminer[%d]: board %d: freq %d MHz, hashrate %.2f TH/s' % (
                stamp, 1200 + self.index, i % 3, self.profile.freq_mhz, ths / 3))
        boot = time.strftime('%b %d %H:%M:%S', time.gmtime(self.boot_time))
        messages = ['%s kernel: WhatsMiner %s boot #%d' % (boot, self.profile.name, self.settings.get('boot_count', 0))]
        status = {'id': self.id, 'model': self.profile.name, 'firmware': self.settings['firmware_version'],
                  'power_w': round(watts, 1), 'errors': [c for c, _t in self.error_codes()]}
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w:gz') as tar:
            for name, text in (('log/btminer.log', '\n'.join(lines) + '\n'),
                               ('log/messages', '\n'.join(messages) + '\n'),
                               ('log/miner_status.json', json.dumps(status, indent=1) + '\n')):
                data = text.encode('utf-8')
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = int(now)
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    # ------------------------------------------------------------------ control view

    def describe(self):
        data = {'id': self.id, 'host': self.host, 'port': self.port, 'model': self.profile.name, 'online': self.online,
                'api': self.api}
        if self.api == 'v3':
            data['v3_port'] = self.v3_port
        return data

    def full_state(self):
        now = time.time()
        ths, watts, dummy = self.output(now)
        data = self.describe()
        data.update({
            'settings': copy.deepcopy(self.settings),
            'password': self.settings['password'],
            'firmware_version': self.settings['firmware_version'],
            'power_state': 'on' if self.settings.get('power_on') else 'off',
            'mining': self.mining and not self.restarting,
            'restarting': self.restarting,
            'power_pct_temp': self.power_pct_temp,
            'counts': dict(self.counts),
            'live_tokens': len(self.live_tokens(now)),
            'faults': copy.deepcopy(self.faults),
            'error_codes': [c for c, _t in self.error_codes()],
            'logs_empty': self.logs_empty,
            'hashrate_ths': round(ths, 3),
            'power_w': round(watts, 1),
            'uptime': self.uptime(now),
            'elapsed': self.elapsed(now),
            'cooling': self.profile.cooling,
            'family': self.profile.family,
            'v3_salt': self.v3_salt,
            'v3_connections': len(self.v3_conns),
        })
        data['counts'].setdefault('reads', 0)
        data['counts'].setdefault('writes', 0)
        data['counts'].setdefault('bad_requests', 0)
        return data
