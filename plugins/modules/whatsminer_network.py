#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_network
short_description: Manage the network settings of a WhatsMiner (DHCP or static address, DNS, host name)
version_added: 0.1.0
description:
  - Reads the network settings back with C(get_miner_info) and sends C(net_config) (or C(set_hostname) when only the
    host name differs) only when they differ.
  - Inconsistent input is refused before anything is sent - a gateway outside the subnet, a non-contiguous netmask,
    the network or broadcast address as the miner's address.
  - C(net_config) restarts the miner's network and the miner may not reply. With O(wait=true) the module waits for
    the miner - at its new address when the address changes - and reads the settings back there. RV(address) is the
    address the miner answers at; carry on with it in the play (see the examples).
  - Switching from a static address to DHCP gives the miner an address the module cannot know. With O(dhcp_address)
    (the address your DHCP server reserves for the miner's MAC) the module waits for the miner there and reads the
    settings back. Without it the module does not wait at the old address - it reports the change with a warning,
    RV(address) null and the miner's RV(mac), so it can be found again (inventory plugin, DHCP leases).
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Reads the settings and reports what would change.
  diff_mode:
    support: full
    details: Shows the network settings before and after.
  idempotent:
    support: full
    details: The network settings are read back and compared.
options:
  proto:
    description: V(dhcp), or V(static) with O(address), O(netmask), O(gateway) and O(dns).
    type: str
    choices: [dhcp, static]
  address:
    description: Static IPv4 address of the miner.
    type: str
  netmask:
    description: Netmask, for example V(255.255.255.0).
    type: str
  gateway:
    description: Default gateway; must be inside the subnet of O(address).
    type: str
  dns:
    description: DNS servers (IPv4 addresses, 1 to 3). Required with O(proto=static).
    type: list
    elements: str
    default: []
  hostname:
    description: Host name of the miner (letters, digits, hyphens; at most 63).
    type: str
  dhcp_address:
    description:
      - With O(proto=dhcp), the IPv4 address the miner is expected to get from DHCP (a reservation for its MAC).
      - The module then waits for the miner at this address after a switch from a static address.
    type: str
  wait:
    description: Wait for the miner after C(net_config) and read the settings back (at the new address).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the miner after C(net_config).
    type: int
    default: 300
'''

EXAMPLES = r'''
- name: Give the miner its planned static address
  minerops.whatsminer.whatsminer_network:
    proto: static
    address: "{{ planned_ip }}"
    netmask: 255.255.255.0
    gateway: 10.20.0.1
    dns: [10.20.0.2]
    hostname: "{{ inventory_hostname }}"
  register: net

- name: Talk to the miner at its new address from now on
  ansible.builtin.set_fact:
    ansible_host: "{{ net.address }}"
'''

RETURN = r'''
address:
  description:
    - The address the miner answers at after the task.
    - Null after a switch to DHCP without O(dhcp_address) (the module cannot know the new address).
  returned: success
  type: str
  sample: 10.20.0.31
mac:
  description: The miner's MAC address, to find it again after a switch to DHCP.
  returned: when a switch from a static address to DHCP was sent
  type: str
  sample: C6:07:20:00:00:01
moved:
  description: Whether the miner moved to a new address.
  returned: success
  type: bool
  sample: true
pending_restart:
  description:
    - True with O(wait=false) after C(net_config) was sent, when the new DHCP address is unknown, and when the firmware
      accepted a new host name but applies it only at the next network restart (the task then warns).
  returned: success
  type: bool
  sample: false
restart_seconds:
  description: Seconds until the miner answered again.
  returned: when net_config was sent with O(wait=true)
  type: float
  sample: 12.5
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [net_config]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._network import NETWORK_SPEC, ensure_network as run


def argument_spec():
    return with_connection_options(NETWORK_SPEC)


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
