# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The miner's network settings (whatsminer_network): DHCP or static address, DNS, host name.

net_config restarts the miner's network; with a new static address the miner answers
there afterwards, and the module follows it.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.minerops.whatsminer.plugins.module_utils._engine import converge
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._restart import send_restarting, wait_for_restart, wait_until
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_text

_HOSTNAME = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z')
NETWORK_FIELDS = 'ip,proto,netmask,gateway,dns,hostname'

# The options of whatsminer_network (without the connection options).
NETWORK_SPEC = dict(
    proto=dict(type='str', choices=['dhcp', 'static']),
    address=dict(type='str'),
    netmask=dict(type='str'),
    gateway=dict(type='str'),
    dns=dict(type='list', elements='str', default=[]),
    hostname=dict(type='str'),
    dhcp_address=dict(type='str'),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=300),
)


def _ipv4(option, value):
    try:
        return ipaddress.IPv4Address(value)
    except (ipaddress.AddressValueError, ValueError):
        raise ModuleFailure('%s must be an IPv4 address, got %r' % (option, value))


def validate_network(params):
    """Return the wanted settings, refusing inconsistent input before anything is sent."""
    wanted = {}
    if params.get('hostname') is not None:
        check_text('hostname', params['hostname'], 63, allow_empty=False)
        if not _HOSTNAME.match(params['hostname']):
            raise ModuleFailure('hostname must be 1 to 63 letters, digits and hyphens (no dots), got %r' % params['hostname'])
        wanted['hostname'] = params['hostname']
    proto = params.get('proto')
    if proto is None:
        if any(params.get(name) for name in ('address', 'netmask', 'gateway', 'dns')):
            raise ModuleFailure('address, netmask, gateway and dns need proto=static')
        return wanted
    wanted['proto'] = proto
    if params.get('dhcp_address') and proto != 'dhcp':
        raise ModuleFailure('dhcp_address is the address expected from DHCP; it only applies to proto=dhcp')
    if proto == 'dhcp':
        if any(params.get(name) for name in ('address', 'netmask', 'gateway', 'dns')):
            raise ModuleFailure('address, netmask, gateway and dns are set by DHCP; they only apply to proto=static')
        if params.get('dhcp_address'):
            _ipv4('dhcp_address', params['dhcp_address'])
        return wanted
    wanted.update(_validate_static(params))
    return wanted


def _validate_static(params):
    """The static address settings, refused when they do not fit together."""
    missing = [name for name in ('address', 'netmask', 'gateway') if not params.get(name)]
    if missing:
        raise ModuleFailure('proto=static needs %s' % ', '.join(missing))
    address = _ipv4('address', params['address'])
    _ipv4('netmask', params['netmask'])
    try:
        network = ipaddress.IPv4Network('%s/%s' % (address, params['netmask']), strict=False)
    except ValueError:
        raise ModuleFailure('netmask %s is not a valid netmask (contiguous ones, for example 255.255.255.0)' % params['netmask'])
    if network.prefixlen < 8 or network.prefixlen > 30:
        raise ModuleFailure('netmask %s gives a /%d network; use /8 to /30' % (params['netmask'], network.prefixlen))
    if address in (network.network_address, network.broadcast_address):
        raise ModuleFailure('address %s is the network or broadcast address of %s' % (address, network))
    gateway = _ipv4('gateway', params['gateway'])
    if gateway not in network:
        raise ModuleFailure('gateway %s is outside the subnet %s of address %s' % (gateway, network, address))
    if gateway == address:
        raise ModuleFailure('gateway must not be the miner\'s own address')
    dns = [str(_ipv4('dns', server)) for server in params.get('dns') or []]
    if not dns:
        # A static address without a DNS server leaves the miner unable to resolve its pools (MicroBT's own worker refuses it).
        raise ModuleFailure('proto=static needs dns (1 to 3 server addresses): without one the miner cannot resolve its pool host names')
    if len(dns) > 3:
        raise ModuleFailure('dns lists %d servers; at most 3 are allowed' % len(dns))
    return dict(ip=str(address), netmask=params['netmask'], gateway=str(gateway), dns=dns)


def read_network(miner):
    info = miner.read('miner_info')
    return dict(proto=(info.get('proto') or '').lower() or None, ip=info.get('ip'), netmask=info.get('netmask'),
                gateway=info.get('gateway'), dns=info.get('dns') or [], hostname=info.get('hostname'), mac=info.get('mac'))


def _destination(ctx, wanted, current):
    """``(address, moves, to_dhcp)``: where the miner answers after the change, and whether that is elsewhere.

    Static -> DHCP: the new address is only known when the operator declares it (``dhcp_address``, a DHCP
    reservation); without it the address is None.
    """
    dhcp_address = ctx.params.get('dhcp_address')
    if wanted.get('proto') == 'static':
        return wanted['ip'], wanted['ip'] != current.get('ip'), False
    to_dhcp = wanted.get('proto') == 'dhcp' and current.get('proto') != 'dhcp'
    if to_dhcp and dhcp_address:
        return dhcp_address, dhcp_address != ctx.host, True
    return (None if to_dhcp else ctx.host), False, to_dhcp


def _net_config_params(wanted, current):
    if wanted['proto'] == 'dhcp':
        return dict(param='dhcp')
    return dict(ip=wanted['ip'], mask=wanted['netmask'], gate=wanted['gateway'], dns=' '.join(wanted['dns']),
                host=wanted.get('hostname') or current.get('hostname') or '')


# How long a new host name may take to show before it counts as pending the next network restart.
HOSTNAME_SECONDS = 10.0


def _set_hostname(ctx, hostname, result):
    """set_hostname, read back; firmware that applies it at the next network restart leaves it pending (warned)."""
    ctx.write('set_hostname', hostname=hostname)
    try:
        wait_until(ctx.miner, lambda: read_network(ctx.miner)['hostname'] == hostname,
                   min(HOSTNAME_SECONDS, ctx.params['wait_timeout']), 'hostname %s' % hostname)
    except ModuleFailure:
        result['pending_restart'] = True
        ctx.warn('the miner accepted set_hostname but still reports its old host name: this firmware applies it at the '
                 'next network restart (or reboot); until then the task reports changed')


def _apply_net_config(ctx, wanted, current, after, result):
    """Send net_config, then follow the miner to where it answers and read the settings back there."""
    address, moves, to_dhcp = _destination(ctx, wanted, current)
    if wanted['proto'] == 'dhcp' and wanted.get('hostname') and wanted['hostname'] != current.get('hostname'):
        # net_config dhcp carries no host name: set it first, the network restart of net_config applies it.
        ctx.write('set_hostname', hostname=wanted['hostname'])
    outcome = send_restarting(ctx, 'net_config', False, 0, **_net_config_params(wanted, current))
    result['replied'] = outcome['replied']
    if to_dhcp:
        result['mac'] = current.get('mac')
    if not ctx.params['wait']:
        result['pending_restart'] = True
        return
    if address is None:
        result.update(address=None, moved=None, pending_restart=True)
        ctx.warn('the miner (MAC %s) now takes its address from DHCP, which the module cannot know: it did not wait '
                 'for it. Find it with the inventory plugin or your DHCP leases, or set dhcp_address to the '
                 'address reserved for it' % (current.get('mac') or 'unknown'))
        return
    client = ctx.open_miner(host=address) if moves else ctx.miner
    result['restart_seconds'] = wait_for_restart(client, ctx.params['wait_timeout'], went_down=moves or not outcome['replied'])
    now = read_network(client)
    mismatched = [name for name in after if now.get(name) != after[name]]
    if mismatched:
        raise ModuleFailure('after net_config the miner reports %s' % ', '.join('%s=%r' % (n, now.get(n)) for n in mismatched),
                            network=now, address=client.host)
    result['moved'] = moves


def ensure_network(ctx):
    """Module entry point for whatsminer_network."""
    wanted = validate_network(ctx.params)
    if not wanted:
        raise ModuleFailure('set proto (dhcp or static with address, netmask, gateway, dns) and/or hostname')
    ctx.require_password('change network settings')
    current = read_network(ctx.miner)
    compared = sorted(wanted) if wanted.get('proto') != 'dhcp' else ['proto'] + (['hostname'] if 'hostname' in wanted else [])
    before = {name: current.get(name) for name in compared}
    after = {name: wanted[name] for name in compared}
    address, moves, dummy = _destination(ctx, wanted, current)
    result = dict(address=address if moves else ctx.host, moved=False, pending_restart=False)

    def apply():
        if all(before[name] == after[name] for name in compared if name != 'hostname'):
            _set_hostname(ctx, wanted['hostname'], result)  # only the host name differs: no network restart
        else:
            _apply_net_config(ctx, wanted, current, after, result)

    result = converge(ctx, before, after, apply, result=result)
    if not result['changed']:
        result['address'] = ctx.host
    return result
