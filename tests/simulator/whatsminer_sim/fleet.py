# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet of simulated miners in one asyncio process: addresses, state files, inventory, ready file."""

import asyncio
import collections
import ipaddress
import json
import logging
import os
import random
import shutil
import tempfile
from dataclasses import dataclass

from . import generations, models
from .control import start_control
from .miner import Miner
from .protocol import QUIRKS
from .state import default_settings, load_json, merge, write_json_atomic

LOG = logging.getLogger(__name__)
LOOPBACK = ipaddress.IPv4Network('127.0.0.0/8')


@dataclass
class SimConfig:
    """Fleet-wide options (the CLI flags)."""

    miners: int = 1
    models: tuple = tuple(models.DEFAULT_MODEL_CYCLE)
    base_address: str = '127.0.1.1'
    port: int = 4028
    consecutive_ports: bool = False
    state_dir: str = ''
    password: str = 'admin'
    write_api: bool = True
    factory_write_api: bool = False
    api_version: str = ''  # '' = per model; '1'/'2'; or 'M30S+=1,M50=2'
    field_quirks: str = ''  # '' none; 'all' or a comma list of protocol.QUIRKS
    restart_seconds: float = 5.0
    no_reply_probability: float = 0.5
    seed: int = None
    token_lifetime: float = 1800.0
    idle_timeout: float = 10.0
    ramp_seconds: float = 60.0
    faults: tuple = ()
    inventory: str = ''
    inventory_password: bool = False
    control_port: int = 0
    ready_file: str = ''
    # API V3 (reference_protocol.rst (V3)); every default keeps a pure V2 fleet
    api: str = ''  # '' = saved or v2; 'v2', 'v3', 'mixed', or 'M60=v3,M63=v3' / '1=v3' / 'sim-0002=v3'
    # firmware generation of V2 miners (generations.py): '' = saved or manual; a name, 'mixed', or per model/index/id
    firmware: str = ''
    v3_port: int = 4433
    v3_password: str = 'super'  # password of the V3 'super' account of miners created now
    v3_idle_timeout: float = 300.0
    v3_max_clients: int = 10
    v3_max_request: int = 64 * 1024
    v3_bad_token_code: int = -4
    v3_ts_window: float = 0.0  # 0 = ts only has to match the token
    v3_percent_number: bool = False  # accept a bare number as set.miner.power_percent percent
    v3_plain_pools: bool = False  # accept an unencrypted set.miner.pools param
    v3_v2_writes: bool = True  # V3 miners accept V2 writes (get_token + encrypted) on 4028


def usable_address(ip):
    """127.0.0.0/8 only, never an address ending in .0 or .255."""
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return addr in LOOPBACK and int(addr) & 0xFF not in (0, 255)


def allocate(base, count, port, consecutive):
    """[(host, port)] for ``count`` miners starting at ``base``."""
    if not usable_address(base):
        raise ValueError('base address %s must be in 127.0.0.0/8 and not end in .0 or .255' % base)
    if consecutive:
        if port + count - 1 > 65535:
            raise ValueError('not enough ports above %d for %d miners' % (port, count))
        return [(base, port + i) for i in range(count)]
    out = []
    addr = int(ipaddress.IPv4Address(base))
    while len(out) < count:
        ip = ipaddress.IPv4Address(addr)
        if ip not in LOOPBACK:
            raise ValueError('ran out of loopback addresses after %d miners' % len(out))
        if usable_address(str(ip)):
            out.append((str(ip), port))
        addr += 1
    return out


def parse_api_versions(spec):
    """'' -> {}; '1' -> {'*': 1}; 'M30S+=1,M50=2' -> {'M30S+': 1, 'M50': 2}."""
    out = {}
    for part in (spec or '').split(','):
        part = part.strip()
        if not part:
            continue
        if '=' in part:
            name, value = part.split('=', 1)
            out[models.get_model(name).name] = int(value)
        else:
            out['*'] = int(part)
    for value in out.values():
        if value not in (1, 2):
            raise ValueError('api version must be 1 or 2')
    return out


API_NAMES = ('v2', 'v3')


def _per_miner(spec, mixed, value_of):
    """Parse a per-miner spec: '' -> {}; 'X' -> {'*': X}; 'mixed' -> {'mixed': ``mixed``}; 'M60=X,1=X,sim-0004=X'
    -> keyed by model name, 0-based miner index or miner id. ``value_of`` checks and normalises each value."""
    out = {}
    for part in (spec or '').split(','):
        part = part.strip()
        if not part:
            continue
        if part.lower() == 'mixed':
            out['mixed'] = mixed
            continue
        key, value = '*', part
        if '=' in part:
            name, value = (p.strip() for p in part.split('=', 1))
            key = name if name.isdigit() or name.startswith('sim-') else models.get_model(name).name
        out[key] = value_of(value)
    return out


def _api_name(value):
    value = value.lower()
    if value not in API_NAMES:
        raise ValueError('api must be v2 or v3, got %r' % value)
    return value


def parse_api(spec):
    """'' -> {}; 'v3' -> {'*': 'v3'}; 'mixed' -> {'mixed': 'v3'}; 'M60=v3,1=v3,sim-0004=v3' -> per model/index/id."""
    return _per_miner(spec, 'v3', _api_name)


def api_for(apis, index, mid, model):
    """The API of one miner from a parse_api() result, or None when the spec does not say."""
    for key in (mid, str(index), model):
        if key in apis:
            return apis[key]
    if 'mixed' in apis:
        return 'v3' if index % 2 == 1 else 'v2'
    return apis.get('*')


def parse_firmware(spec):
    """'' -> {}; '2021' -> {'*': '2021'}; 'mixed' -> cycle the generations; 'M30S+=2021,1=2025' -> per model/index/id."""
    return _per_miner(spec, True, lambda value: generations.get(value).name)


def firmware_for(firmwares, index, mid, model):
    """The firmware generation of one miner from a parse_firmware() result, or None when the spec does not say."""
    for key in (mid, str(index), model):
        if key in firmwares:
            return firmwares[key]
    if firmwares.get('mixed'):
        return generations.NAMES[index % len(generations.NAMES)]
    return firmwares.get('*')


def parse_fault(text):
    """'latency:0.5' -> {'kind': 'latency', 'seconds': 0.5}; 'garbage:3' -> count 3; 'error_code:110' -> code."""
    kind, dummy, arg = text.partition(':')
    fault = {'kind': kind.strip()}
    if arg:
        if fault['kind'] in ('latency', 'refuse'):
            fault['seconds'] = float(arg)
        elif fault['kind'] == 'error_code':
            fault['code'] = int(arg)
        else:
            fault['count'] = int(arg)
    return fault


class Fleet:
    """All miners of one simulator process."""

    def __init__(self, config):
        self.config = config
        self.miners = []
        self.by_id = {}
        self.tasks = set()
        self.conn_tasks = set()
        self.stopping = False
        self.stopped = asyncio.Event()
        self.control = None
        self.control_url = ''
        self.own_state_dir = False
        if not config.state_dir:
            config.state_dir = tempfile.mkdtemp(prefix='whatsminer-sim-')
            self.own_state_dir = True
        os.makedirs(config.state_dir, exist_ok=True)

    # ------------------------------------------------------------------ helpers used by miners

    def rng_for(self, index):
        if self.config.seed is None:
            return random.Random()
        return random.Random(self.config.seed * 1000003 + index)

    def schedule(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def can_use_address(self, ip):
        return usable_address(ip)

    def miner_moved(self, _miner):
        """A miner came back (maybe elsewhere): refresh the ready file."""
        if not self.stopping:
            self.write_ready_file()

    def get(self, ident):
        """Find a miner by id (``sim-0001``) or ``host:port``."""
        if ident in self.by_id:
            return self.by_id[ident]
        for miner in self.miners:
            if '%s:%s' % (miner.host, miner.port) == ident:
                return miner
        return None

    # ------------------------------------------------------------------ building

    def build(self):
        cfg = self.config
        cycle = [models.get_model(m).name for m in cfg.models] or list(models.DEFAULT_MODEL_CYCLE)
        api_versions = parse_api_versions(cfg.api_version)
        apis = parse_api(cfg.api)
        firmwares = parse_firmware(cfg.firmware)
        quirks = [q.strip() for q in (cfg.field_quirks or '').split(',') if q.strip()]
        for index, (host, port) in enumerate(allocate(cfg.base_address, cfg.miners, cfg.port, cfg.consecutive_ports)):
            mid = 'sim-%04d' % (index + 1)
            path = os.path.join(cfg.state_dir, mid + '.json')
            saved = load_json(path)
            model_name = cycle[index % len(cycle)]
            if saved and saved.get('model') in models.MODELS:
                model_name = saved['model']
            profile = models.MODELS[model_name]
            settings = default_settings(profile, mid, index, cfg.password, cfg.write_api, host, port)
            if saved:
                merge(settings, saved)
            settings.update({'id': mid, 'model': profile.name, 'home_host': host, 'port': port})
            generation = firmware_for(firmwares, index, mid, profile.name)
            if generation is not None:
                settings['generation'] = generation
                if not saved and generations.get(generation).firmware_version:
                    settings['firmware_version'] = generations.get(generation).firmware_version
            api = api_for(apis, index, mid, profile.name)
            if api is not None:
                settings['api'] = api
            if settings.get('api') == 'v3':
                settings['v3_port'] = cfg.v3_port + (index if cfg.consecutive_ports else 0)
                if not saved:
                    # a miner born a V3 miner: 2025 firmware and the fleet's super password
                    settings['firmware_version'] = models.V3_FIRMWARE[profile.cooling]
                    settings['v3_passwords']['super'] = cfg.v3_password
            if profile.name in api_versions or '*' in api_versions:
                settings['api_version'] = api_versions.get(profile.name, api_versions.get('*'))
            if quirks:
                unknown = set(quirks) - set(QUIRKS) - {'all'}
                if unknown:
                    raise ValueError('unknown field quirk(s) %s (known: %s)' % (', '.join(sorted(unknown)), ', '.join(QUIRKS)))
                settings['quirks'] = list(QUIRKS) if 'all' in quirks else quirks
            miner = Miner(self, index, profile, settings, path)
            self.miners.append(miner)
            self.by_id[mid] = miner

    async def start(self):
        """Build, listen, start the control server, write inventory and ready file."""
        self.build()
        for miner in self.miners:
            miner.save()
            for text in self.config.faults:
                miner.add_fault(parse_fault(text))
        results = await asyncio.gather(*(m.start_listening() for m in self.miners))
        failed = [m.id for m, ok in zip(self.miners, results) if not ok and not m.has_fault('refuse')]
        if failed:
            raise OSError('could not listen for %d miner(s): %s' % (len(failed), ', '.join(failed[:5])))
        self.control = await start_control(self, self.config.control_port)
        port = self.control.sockets[0].getsockname()[1]
        self.control_url = 'http://127.0.0.1:%d' % port
        if self.config.inventory:
            self.write_inventory(self.config.inventory)
        self.write_ready_file()

    async def stop(self):
        """Close every socket, cancel what is running, flush state."""
        if self.stopping:
            return
        self.stopping = True
        if self.control is not None:
            self.control.close()
        for miner in self.miners:
            await miner.stop_listening()
        for task in list(self.tasks) + list(self.conn_tasks):
            if task is not asyncio.current_task():
                task.cancel()
        pending = [t for t in list(self.tasks) + list(self.conn_tasks) if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=2)
        if self.own_state_dir:
            # nobody asked to keep it: a default temp state dir goes away with the process
            shutil.rmtree(self.config.state_dir, ignore_errors=True)
        else:
            for miner in self.miners:
                miner.save()
        self.stopped.set()

    def request_stop(self):
        self.schedule(self.stop())

    # ------------------------------------------------------------------ files

    def listing(self):
        return [m.describe() for m in self.miners]

    def write_ready_file(self):
        if not self.config.ready_file:
            return
        write_json_atomic(self.config.ready_file, {
            'control_url': self.control_url,
            'miners': [self._ready_entry(m) for m in self.miners],
            'pid': os.getpid(),
            'state_dir': self.config.state_dir,
        })

    @staticmethod
    def _ready_entry(miner):
        entry = {'id': miner.id, 'host': miner.host, 'port': miner.port, 'model': miner.profile.name}
        if miner.api == 'v3':
            entry.update({'api': 'v3', 'v3_port': miner.v3_port})
        return entry

    def inventory_text(self):
        lines = ['# Written by the WhatsMiner simulator (tests/simulator). Do not edit.', 'all:', '  children:', '    miners:']
        password = None
        if self.config.inventory_password:
            # the most common password goes in the group; miners that differ get their own
            counter = collections.Counter(m.settings['password'] for m in self.miners)
            password = counter.most_common(1)[0][0] if counter else self.config.password
            lines += ['      vars:', '        whatsminer_password: %s' % _yaml_str(password)]
        lines.append('      children:')
        groups = {}
        for miner in self.miners:
            groups.setdefault(miner.profile.group, []).append(miner)
        for group in sorted(groups):
            lines += ['        %s:' % group, '          hosts:']
            for miner in groups[group]:
                lines += ['            %s:' % miner.id,
                          '              ansible_host: %s' % miner.host,
                          '              whatsminer_port: %d' % miner.port,
                          '              whatsminer_api: %s' % miner.api]
                if password is not None and miner.settings['password'] != password:
                    lines.append('              whatsminer_password: %s' % _yaml_str(miner.settings['password']))
                if miner.api == 'v3':
                    lines.append('              whatsminer_v3_port: %d' % miner.v3_port)
                    if password is not None:
                        lines += ['              whatsminer_v3_account: super',
                                  '              whatsminer_v3_password: %s' % _yaml_str(miner.settings['v3_passwords']['super'])]
        return '\n'.join(lines) + '\n'

    def write_inventory(self, path):
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=directory)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(self.inventory_text())
        os.replace(tmp, path)


def _yaml_str(value):
    """Quote a string for YAML (double quotes, JSON escaping is valid YAML)."""
    return json.dumps(value)
