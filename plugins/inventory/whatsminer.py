# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: whatsminer
short_description: Discover WhatsMiner ASIC miners by scanning networks for their API
version_added: 0.1.0
author:
  - minerops.whatsminer contributors (@minerops)
description:
  - Scans IPv4 networks, address ranges and single addresses concurrently for the WhatsMiner API (TCP 4028 by default)
    and adds every miner that answers as an inventory host.
  - A miner is identified by its API, with read commands only (C(get_version), C(status), C(summary),
    C(get_miner_info)); no password is needed and nothing is written.
  - Closed ports are skipped at once; a silent address (no answer, or a listener that never replies) costs at most
    O(timeout) seconds, and addresses are probed O(concurrency) at a time, never one after the other.
  - Every miner is put in the group C(miners) - the group the collection's playbooks, roles and examples target - and
    in a group per model (C(model_m30s_plus), C(model_m50), ...) that is a child of C(miners), as in the example static
    inventory. C(group_vars/model_m50.yml) then applies to both kinds of inventory and beats C(group_vars/miners.yml).
  - The per-model groups exist already; a O(keyed_groups) entry on C(whatsminer_model) would duplicate them under
    Ansible's own spelling (C(model_M30S_) beside C(model_m30s_plus)).
  - Values a miner reports are marked unsafe (never templated). A miner whose O(hostname_from) value is not a plain DNS
    name is named by its address, with a warning; a device whose answers cannot be read is skipped, with a warning.
  - Host variables set - C(ansible_host), C(whatsminer_port), C(whatsminer_api) (V(v2) or V(v3), which the modules
    then speak without probing), C(whatsminer_v3_port) (V3 miners), C(whatsminer_model), C(whatsminer_miner_type),
    C(whatsminer_firmware), C(whatsminer_api_version), C(whatsminer_mac), C(whatsminer_serial), C(whatsminer_hostname),
    C(whatsminer_power_mode), C(whatsminer_hashrate_ths), C(whatsminer_power_w) and C(whatsminer_mining). They can be
    used in O(compose), O(groups) and O(keyed_groups).
  - The source file name must end with C(.whatsminer.yml) or C(.whatsminer.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
requirements:
  - cryptography
  - passlib
  - greenlet (optional; without it a thread pool, slower)
options:
  plugin:
    description: Marks the file as a source of this plugin.
    required: true
    type: str
    choices: [minerops.whatsminer.whatsminer, whatsminer]
  networks:
    description:
      - What to scan. Each item is an IPv4 network in CIDR notation (V(10.10.0.0/22)), a range of addresses
        (V(10.10.1.10-10.10.1.99), or the short form V(10.10.1.10-99)) or a single address.
      - Network and broadcast addresses of a CIDR of /30 or larger are skipped.
    type: list
    elements: str
    required: true
  exclude:
    description: Addresses not to scan, in the same forms as O(networks).
    type: list
    elements: str
    default: []
  port:
    description: TCP port of the WhatsMiner API V2.2 (which V3 firmware also answers, reduced).
    type: int
    default: 4028
  v3_port:
    description: TCP port of the WhatsMiner API V3, asked to tell V3 miners from V2 ones.
    type: int
    default: 4433
  detect_api:
    description: Ask each miner's API V3 port and record C(whatsminer_api). When V(false), every miner is recorded as V(v2).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for an address to accept a connection and for each reply.
      - A silent address costs at most this long (all addresses are probed concurrently).
    type: float
    default: 3.0
  concurrency:
    description: How many addresses are probed at the same time (on one event loop; threads without the greenlet package).
    type: int
    default: 256
  max_addresses:
    description: Refuse to scan more addresses than this (a guard against a mistyped prefix such as V(/8)).
    type: int
    default: 65536
  hostname_from:
    description:
      - What names the inventory host.
      - V(hostname) uses the miner's host name, V(serial) its serial number, V(mac) its MAC address (lower case,
        colons replaced by dashes), V(address) its IP address.
      - When the chosen value is empty or shared by several miners (factory host names often are), those miners are
        named by their address instead, with a warning.
      - V(address) is the default because it never changes by itself; with V(hostname), a miner named by its address
        while it has the factory host name takes its new name once one is set, and C(host_vars/<address>.yml) then
        stops applying to it.
    type: str
    choices: [address, hostname, serial, mac]
    default: address
  password:
    description:
      - Admin password of the discovered miners. Discovery itself never needs it (it only reads).
      - When set, it is given to every discovered host as the host variable C(whatsminer_password), so that the
        collection's modules can write. It is never stored in the inventory cache. Prefer C(group_vars) with
        Ansible Vault; this option exists for sites where one password is shared by all miners.
    type: str
  group_prefix:
    description: Prefix of the per-model groups.
    type: str
    default: model_
  expected:
    description:
      - Addresses, in the same forms as O(networks), where a miner must be. An expected address where no miner answers
        is still added to the inventory - in C(miners) and C(miners_missing), with C(whatsminer_missing=true) - so the
        playbooks and the fleet report list it as unreachable instead of leaving it out.
    type: list
    elements: str
    default: []
  known_miners_file:
    description:
      - A JSON file on the controller in which discovery remembers every miner it finds (address, port, name, model,
        MAC, serial, when last seen). A remembered miner that no longer answers is added like an O(expected) one, with
        C(whatsminer_last_seen). Delete its entry from the file to forget a miner that was retired.
    type: path
'''

EXAMPLES = r'''
# site.whatsminer.yml - scan two racks and a few spare addresses
plugin: minerops.whatsminer.whatsminer
networks:
  - 10.20.0.0/22
  - 10.20.8.10-10.20.8.60
  - 10.20.9.5
exclude:
  - 10.20.0.1
timeout: 2
concurrency: 256
hostname_from: hostname

# Constructable: groups, keyed groups and composed variables from what discovery found
compose:
  whatsminer_site: "'dc1'"
keyed_groups:
  - key: whatsminer_firmware
    prefix: firmware
  - key: whatsminer_power_mode | lower
    prefix: power
groups:
  hydro: whatsminer_model in ['M63', 'M33S++', 'M53']
  underperforming: (whatsminer_hashrate_ths | float) < 80

# Cache the scan for ten minutes (ansible.builtin.jsonfile needs a cache directory)
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/whatsminer-inventory
cache_timeout: 600
'''

import ipaddress
import json
import os
import re
import tempfile
import time

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.minerops.whatsminer.plugins.module_utils._green import map_concurrently
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    ModuleFailure,
    WhatsMinerError,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import detect_api, open_miner
from ansible_collections.minerops.whatsminer.plugins.module_utils._facts import build_view, read_sections
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import MAX_TIMEOUT, check_seconds

# The group every miner is in: the one name the playbooks, roles and docs use.
GROUP = 'miners'
# Expected or remembered miners that did not answer this discovery (also in GROUP).
MISSING_GROUP = 'miners_missing'
KNOWN_FIELDS = ('address', 'port', 'model', 'mac', 'serial', 'hostname', 'api')


def load_known_miners(path):
    """``{"address:port": record}`` from the known-miners file; {} when it does not exist yet."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise AnsibleParserError('known_miners_file %s cannot be read: %s' % (path, exc))
    records = data.get('miners') if isinstance(data, dict) else None
    if not isinstance(records, dict):
        raise AnsibleParserError('known_miners_file %s does not hold {"miners": {...}}' % path)
    return dict((key, record) for key, record in records.items() if isinstance(record, dict) and record.get('address'))


def save_known_miners(path, known, miners, names, now=None):
    """Record the miners just found (last seen now) beside the remembered ones; written atomically."""
    seen = now or time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    records = dict(known)
    for miner in miners:
        record = dict((field, miner.get(field)) for field in KNOWN_FIELDS)
        record.update(name=names.get((miner['address'], miner['port'])), last_seen=seen)
        records['%s:%d' % (miner['address'], miner['port'])] = record
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix='.known-miners-')
    with os.fdopen(handle, 'w') as output:
        json.dump(dict(miners=records), output, indent=1, sort_keys=True)
    os.replace(temporary, path)


SCAN_SECTIONS = ('version', 'status', 'summary', 'miner_info')
_RANGE_RE = re.compile(r'^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$')


def expand_addresses(items, option='networks'):
    """CIDRs, ranges and single addresses -> ordered list of unique ipaddress.IPv4Address."""
    seen = set()
    addresses = []
    for item in items or []:
        text = str(item).strip()
        try:
            match = _RANGE_RE.match(text)
            if match:
                first = ipaddress.IPv4Address(match.group(1))
                last_text = match.group(2)
                if '.' not in last_text:
                    last_text = '.'.join(str(first).split('.')[:3] + [last_text])
                last = ipaddress.IPv4Address(last_text)
                if last < first:
                    raise ValueError('the range ends before it starts')
                block = (ipaddress.IPv4Address(n) for n in range(int(first), int(last) + 1))
            elif '/' in text:
                network = ipaddress.IPv4Network(text, strict=False)
                block = network.hosts() if network.prefixlen < 31 else iter(network)
            else:
                block = [ipaddress.IPv4Address(text)]
        except ValueError as exc:
            raise AnsibleParserError('%s: %r is not an IPv4 network, range or address: %s' % (option, text, exc))
        for address in block:
            if address not in seen:
                seen.add(address)
                addresses.append(address)
    return addresses


def model_group(model, prefix='model_'):
    """``M30S+`` -> ``model_m30s_plus`` (the simulator's and the static example inventory's names)."""
    slug = str(model).lower().replace('+', '_plus')
    slug = re.sub(r'[^a-z0-9]+', '_', slug)
    return prefix + re.sub(r'_+', '_', slug).strip('_')


def probe(address, port, timeout, client_factory=None, v3_port=None):
    """Identify a WhatsMiner at ``address``: a dict of what discovery reports, or None.

    The first request (get_version) decides: no connection, silence, or a reply that is not the
    WhatsMiner API means no miner. The other sections are best effort. With ``v3_port`` the
    miner's API V3 port is asked too, to record which API the modules should speak.
    """
    client = client_factory(address, port=port, timeout=timeout) if client_factory is not None else None
    miner = open_miner('v2', address, dict(port=port, timeout=timeout), client=client)
    try:
        sections = read_sections(miner, ['version'])
    except WhatsMinerError:
        return None
    view = build_view(sections, address, port)
    if not view.get('model') and not view.get('api_version'):
        return None
    for section in SCAN_SECTIONS[1:]:
        try:
            sections.update(read_sections(miner, [section]))
        except (MinerUnreachable, MinerTimeout):
            break
        except WhatsMinerError:
            continue
    view = build_view(sections, address, port)
    network = view.get('network') or {}
    api, v3_version = 'v2', None
    if v3_port:
        # A V3 port that accepts and closes at once listens: its client slots are just full right now.
        api, v3_version = detect_api(address, v3_port, timeout, busy_is_v3=True)
    return dict(
        api=api,
        v3_port=v3_port if api == 'v3' else None,
        address=address,
        port=port,
        model=view.get('model'),
        miner_type=view.get('miner_type'),
        firmware=view.get('firmware_version'),
        api_version=v3_version or view.get('api_version'),  # a V3 miner's V2 port is a reduced one
        mac=network.get('mac'),
        serial=view.get('serial_number'),
        hostname=network.get('hostname'),
        power_mode=view.get('power_mode'),
        hashrate_ths=view.get('hashrate_ths'),
        power_w=view.get('power_w'),
        mining=view.get('mining'),
    )


def _probe_or_skip(address, port, timeout, client_factory, v3_port):
    """``(miner or None, None)``, or ``(None, reason)`` for a device whose answers broke the probe."""
    try:
        return probe(address, port, timeout, client_factory, v3_port), None
    except Exception as exc:  # pylint: disable=broad-except
        # A broken or hostile device must not take the real miners of the scan down with it.
        return None, '%s: %s' % (address, exc) if address in str(exc) else '%s:%s: %s' % (address, port, exc)


def scan(addresses, port, timeout, concurrency, client_factory=None, v3_port=None, skipped=None):
    """Probe every address concurrently; return the miners found, in address order.

    Devices whose answers could not be read are left out; ``skipped`` (a list) receives why.
    Every request is bounded by ``timeout`` as a whole, so one slow device cannot stall the scan.
    """
    if not addresses:
        return []
    # ``concurrency`` probes in flight, memory bounded by the concurrency (a /16 is 65,534 addresses).
    found = map_concurrently(lambda address: _probe_or_skip(str(address), port, timeout, client_factory, v3_port),
                             addresses, int(concurrency), green=client_factory is None)
    if skipped is not None:
        skipped.extend(reason for dummy, reason in found if reason)
    return [miner for miner, dummy in found if miner]


# A host name taken from what a miner says must be a plain DNS-style label sequence: anything else
# (spaces, quotes, braces of a template) is refused and the miner is named by its address instead.
_SAFE_NAME_RE = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$')


def host_name(miner, source):
    """The inventory host name from ``source``, or None when the miner sent nothing usable (then: its address)."""
    if source == 'address':
        return miner['address']
    value = miner.get(source)
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if source == 'mac':
        value = value.lower().replace(':', '-')
    return value if _SAFE_NAME_RE.match(value) else None


HOST_VARS = (
    ('whatsminer_api', 'api'),
    ('whatsminer_v3_port', 'v3_port'),
    ('whatsminer_model', 'model'),
    ('whatsminer_miner_type', 'miner_type'),
    ('whatsminer_firmware', 'firmware'),
    ('whatsminer_api_version', 'api_version'),
    ('whatsminer_mac', 'mac'),
    ('whatsminer_serial', 'serial'),
    ('whatsminer_hostname', 'hostname'),
    ('whatsminer_power_mode', 'power_mode'),
    ('whatsminer_hashrate_ths', 'hashrate_ths'),
    ('whatsminer_power_w', 'power_w'),
    ('whatsminer_mining', 'mining'),
)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Scan networks for WhatsMiners and add them to the inventory."""

    NAME = 'minerops.whatsminer.whatsminer'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('.whatsminer.yml', '.whatsminer.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        miners = None
        if use_cache:
            try:
                miners = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if miners is None:
            miners = self._discover()
        if update_cache:
            self._cache[cache_key] = miners
        self._populate(miners)
        self._populate_missing(miners)

    def _discover(self):
        addresses = expand_addresses(self.get_option('networks'), 'networks')
        excluded = set(expand_addresses(self.get_option('exclude'), 'exclude'))
        addresses = [address for address in addresses if address not in excluded]
        limit = self.get_option('max_addresses')
        if len(addresses) > limit:
            raise AnsibleParserError('networks cover %d addresses, more than max_addresses=%d; '
                                     'narrow the networks or raise max_addresses' % (len(addresses), limit))
        timeout = float(self.get_option('timeout'))
        concurrency = self.get_option('concurrency')
        try:
            check_seconds('timeout', timeout, 0.001, MAX_TIMEOUT)  # the modules' own bounds
        except ModuleFailure as exc:
            raise AnsibleParserError(exc.msg)
        if concurrency < 1:
            raise AnsibleParserError('concurrency must be at least 1')
        self.display.vvv('whatsminer inventory: probing %d addresses, %d at a time' % (len(addresses), concurrency))
        v3_port = self.get_option('v3_port') if self.get_option('detect_api') else None
        skipped = []
        miners = scan(addresses, int(self.get_option('port')), timeout, int(concurrency), v3_port=v3_port, skipped=skipped)
        for reason in skipped:
            self.display.warning('whatsminer inventory: skipped a device whose answers could not be read: %s' % reason)
        return miners

    def _add_miner(self, name, address, port, model):
        """A host in GROUP (and its model group, a child of GROUP) with the connection variables."""
        host = self.inventory.add_host(name, group=GROUP)
        self.inventory.set_variable(host, 'ansible_host', address)
        self.inventory.set_variable(host, 'whatsminer_port', port)
        if self.get_option('password'):
            self.inventory.set_variable(host, 'whatsminer_password', self.get_option('password'))
        if model:
            # A child of the miners group: model_<model> group_vars then beat the fleet-wide ones.
            group = self.inventory.add_group(model_group(model, self.get_option('group_prefix')))
            self.inventory.add_child(GROUP, group)
            self.inventory.add_child(group, host)
        return host

    def _populate_missing(self, miners):
        """Add the expected and the remembered miners that did not answer, so that they are seen missing."""
        found = set((miner['address'], miner['port']) for miner in miners)
        port = int(self.get_option('port'))
        known_file = self.get_option('known_miners_file')
        known = load_known_miners(known_file) if known_file else {}
        missing = {}
        for address in expand_addresses(self.get_option('expected'), 'expected'):
            key = (str(address), port)
            if key not in found:
                missing[key] = known.get('%s:%d' % key) or dict(address=str(address), port=port)
        for record in known.values():
            key = (record.get('address'), record.get('port'))
            if key not in found:
                missing.setdefault(key, record)
        if known_file:
            save_known_miners(known_file, known, miners, self._host_names)
        if not missing:
            return
        self.inventory.add_group(MISSING_GROUP)
        for (address, port), record in sorted(missing.items()):
            name = record.get('name') if isinstance(record.get('name'), str) and _SAFE_NAME_RE.match(record.get('name')) else address
            host = self._add_miner(name, address, port, record.get('model'))
            self.inventory.add_child(MISSING_GROUP, host)
            self.inventory.set_variable(host, 'whatsminer_missing', True)
            for variable in ('last_seen', 'model', 'mac', 'serial', 'api'):
                self.inventory.set_variable(host, 'whatsminer_%s' % variable, wrap_var(record.get(variable)))
        self.display.warning('whatsminer inventory: %d expected or remembered miners did not answer: %s (group %s)'
                             % (len(missing), ', '.join('%s:%d' % key for key in sorted(missing)[:20]), MISSING_GROUP))

    def _names(self, miners):
        source = self.get_option('hostname_from')
        names = [host_name(miner, source) for miner in miners]
        for name, miner in zip(names, miners):
            if name is None and miner.get(source):
                self.display.warning('whatsminer inventory: the miner at %s reports a %s that is not a valid host name; '
                                     'it is named by its address' % (miner['address'], source))
        counts = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        shared = sorted(name for name, count in counts.items() if name and count > 1)
        if shared:
            # Factory host names are shared by every miner: expected, not worth a warning.
            report = self.display.v if source == 'hostname' else self.display.warning
            report('whatsminer inventory: %s %s shared by several miners; those are named by their address'
                   % (source, ', '.join(shared)))
        return [name if name and counts[name] == 1 else miner['address'] for name, miner in zip(names, miners)]

    def _populate(self, miners):
        strict = self.get_option('strict')
        self.inventory.add_group(GROUP)
        self._host_names = {}
        for name, miner in zip(self._names(miners), miners):
            self._host_names[(miner['address'], miner['port'])] = name
            host = self._add_miner(name, miner['address'], miner['port'], miner.get('model'))
            for variable, key in HOST_VARS:
                # What a miner sends is data, never a template: marked unsafe on every ansible-core.
                self.inventory.set_variable(host, variable, wrap_var(miner.get(key)))
            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option('compose'), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, host, strict=strict)
