# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistent per-miner settings: defaults, factory values, atomic JSON files."""

import copy
import json
import os
import tempfile

STATE_VERSION = 1

EMPTY_POOLS = [{'url': '', 'user': '', 'password': ''} for dummy in range(3)]
CUSTOMER_KEYS = ('CustomerSn',) + tuple('msg%d' % i for i in range(10))
V3_ACCOUNTS = ('super', 'user1', 'user2', 'user3')
V3_USERS = ('user1', 'user2', 'user3')
DEFAULT_NTP = ['0.cn.pool.ntp.org', '0.openwrt.pool.ntp.org', '0.asia.pool.ntp.org', '0.pool.ntp.org']


def v3_factory_passwords():
    """API V3 accounts ship with the account name as password (super/super, user1/user1...)."""
    return {name: name for name in V3_ACCOUNTS}


def v3_factory_permissions():
    """user1..user3 may run no set.* command until super grants some."""
    return {name: [] for name in V3_USERS}


def default_settings(profile, mid, index, password='admin', write_api=True, host='127.0.0.1', port=4028):
    """A new miner as it leaves the (simulated) factory, plus the fleet's start options."""
    return {
        'state_version': STATE_VERSION,
        'id': mid,
        'model': profile.name,
        'password': password,
        'write_api': bool(write_api),
        'api_version': profile.api_version,
        'quirks': [],
        'firmware_version': profile.firmware,
        'home_host': host,
        'port': port,
        'pools': copy.deepcopy(EMPTY_POOLS),
        'power_on': True,
        'power_mode': 'Normal',
        'power_limit': profile.max_power_limit,
        'target_freq': 0,
        'power_pct': 100,
        'power_target': 0,
        'fast_boot': False,
        'web_pools': True,
        'btminer_init': True,
        'upfreq_speed': 0,
        'temp_offset': 0,
        'poweroff_cool': False,
        'fan_zero_speed': False,
        'heat_mode': 'normal',
        'timezone': 'CST-8',
        'zonename': 'Asia/Shanghai',
        'syslog': {'ip': '', 'port': 0, 'proto': ''},
        'hostname': 'WhatsMiner',
        'network': {'proto': 'dhcp', 'ip': '', 'netmask': '', 'gateway': '', 'dns': ''},
        'led': {'mode': 'auto', 'color': '', 'period': 0, 'duration': 0, 'start': 0},
        'customer_msg': {k: '' for k in CUSTOMER_KEYS},
        'mac': 'C6:07:20:%02X:%02X:%02X' % ((index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF),
        'minersn': 'HTM3%s%08d' % (profile.family[1], index + 1),
        'powersn': 'ZPF%s%08d' % (profile.psu_model[-2:], index + 1),
        'boot_count': 0,
        # API V3 (port 4433); the fields below are only used by V3 miners
        'api': 'v2',
        'v3_passwords': v3_factory_passwords(),
        'v3_permissions': v3_factory_permissions(),
        'fast_hash': False,
        'cointype': 'BTC',
        'ntp_servers': list(DEFAULT_NTP),
        'time_randomized': {'start': 0, 'stop': 0},
    }


def factory_values(profile, factory_write_api):
    """Settings that factory_reset puts back (network, password, permissions, power)."""
    return {
        'password': 'admin',
        'write_api': bool(factory_write_api),
        'network': {'proto': 'dhcp', 'ip': '', 'netmask': '', 'gateway': '', 'dns': ''},
        'hostname': 'WhatsMiner',
        'power_on': True,
        'power_mode': 'Normal',
        'power_limit': profile.max_power_limit,
        'target_freq': 0,
        'power_pct': 100,
        'power_target': 0,
        'fast_boot': False,
        'upfreq_speed': 0,
        'temp_offset': 0,
        'poweroff_cool': False,
        'fan_zero_speed': False,
        'heat_mode': 'normal',
        'btminer_init': True,
    }


def v3_factory_values(profile, factory_write_api):
    """What the V3 set.system.factory_reset puts back: the V2 factory values plus the V3
    passwords and permissions, the web-pool switch and an empty pool list (reference_protocol.rst V3 §3.3)."""
    values = factory_values(profile, factory_write_api)
    values.update({
        'v3_passwords': v3_factory_passwords(),
        'v3_permissions': v3_factory_permissions(),
        'web_pools': True,
        'pools': copy.deepcopy(EMPTY_POOLS),
        'fast_hash': False,
    })
    return values


def merge(base, patch):
    """Deep-merge ``patch`` into ``base`` in place (dicts merge, everything else replaces)."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def write_json_atomic(path, data):
    """Write JSON to ``path`` via a temporary file in the same directory and os.replace."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.json', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.write('\n')
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_json(path):
    """Return the JSON in ``path``, or None if missing or unreadable."""
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
