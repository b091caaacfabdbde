#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_config
short_description: Converge a WhatsMiner's whole configuration in one task (settings, cooling, pools, messages, LED, power, network)
version_added: 0.1.0
description:
  - The one-task form of the resource modules. Each section takes the options of one resource module and is converged
    by that module's own code - read back, compared, only what differs is sent, read back again.
  - Every section is checked before anything is sent, so a mistake in one section (a gateway outside the subnet, an
    unknown option) leaves the miner untouched.
  - The sections share one connection to the miner - one API probe and, on API V2.2, one token for the whole task
    (seven separate tasks fetch up to seven). A miner keeps its tokens for 30 minutes and older firmware holds only
    32 per client address; a fleet repository whose CI and drift checks run every few minutes needs this form.
  - "Sections run in a safe order: O(settings) and O(cooling) (no restart), O(pools) (before any restart, so that
    mining resumes on the right pools), O(customer_msg), O(led), O(power) (may restart btminer), O(network) last
    (may move the miner to another address)."
  - Firmware that applies C(update_pools) only when btminer next starts (2025 V2.2) gets btminer restarted once for the
    pools by M(minerops.whatsminer.whatsminer_pools). Here, when the O(power) section restarts btminer anyway, the pools
    wait for that restart and are read back after it - one restart, not two.
  - A section left out, null or empty is not managed; with none set the task does nothing and warns. A failure names
    its section, what the sections before it changed, and that the later sections were not run.
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
  - minerops.whatsminer.record
attributes:
  check_mode:
    support: full
    details:
      - Reads every section and reports what would be sent; nothing is written. On API V2.2 the password and the write
        switch are proved once (a token and C(get_customer_msg)), as the real run would need them.
  diff_mode:
    support: full
    details: One diff over the whole configuration, keyed by section.
  idempotent:
    support: full
    details:
      - As each section's module - read back where the API can, else through O(record_slot).
options:
  settings:
    description:
      - The options of M(minerops.whatsminer.whatsminer_settings) - V(timezone) and V(zonename), V(syslog), V(web_pools),
        V(mine_on_boot) - and V(reapply) for this section only.
    type: dict
  cooling:
    description:
      - The options of M(minerops.whatsminer.whatsminer_cooling) - V(temp_offset), V(fan_zero_speed), V(poweroff_cool),
        V(heat_mode) - and V(reapply) for this section only.
    type: dict
  pools:
    description:
      - The wanted pools in priority order, as O(minerops.whatsminer.whatsminer_pools#module:pools).
    type: list
    elements: dict
    suboptions:
      url:
        description: Pool address, for example V(stratum+tcp://pool.example.com:3333).
        type: str
        required: true
      user:
        description: Worker name (account and worker, for example V(account.rig01)). At most 127 bytes.
        type: str
        required: true
      password:
        description: Worker password; many pools accept any value such as V(x). At most 127 bytes. Never shown.
        type: str
        default: ''
  pools_update_password:
    description: As O(minerops.whatsminer.whatsminer_pools#module:update_password).
    type: str
    choices: [on_change, always]
    default: on_change
  customer_msg:
    description:
      - The options of M(minerops.whatsminer.whatsminer_customer_msg) - V(customer_sn), V(messages), V(exclusive).
      - With V(exclusive=true) the O(record_slot) is left alone.
    type: dict
  led:
    description:
      - The options of M(minerops.whatsminer.whatsminer_led) - V(mode) (V(auto) when left out), V(color), V(period),
        V(duration), V(start) - and V(reapply) for this section only.
    type: dict
  power:
    description:
      - The configuration options of M(minerops.whatsminer.whatsminer_power) - V(mining), V(mode), V(power_limit),
        V(target_freq_percent), V(fast_boot), V(upfreq_speed) - and V(reapply) for this section only.
      - The run-time targets V(power_percent), V(power) and V(restore_power_percent) belong to demand response
        (M(minerops.whatsminer.whatsminer_power), M(minerops.whatsminer.whatsminer_fleet_power)) and are refused here.
      - The task waits for the miner after each change that restarts btminer (up to O(wait_timeout)).
    type: dict
  network:
    description:
      - The options of M(minerops.whatsminer.whatsminer_network) - V(proto), V(address), V(netmask), V(gateway), V(dns),
        V(hostname), V(dhcp_address). Applied last; the task waits for the miner at its new address.
    type: dict
  wait_timeout:
    description: Seconds to wait for the miner after each change that restarts btminer or its network.
    type: int
    default: 300
notes:
  - "Tokens (API V2.2): a task that changes nothing, or changes nothing that restarts btminer, fetches at most one token.
    btminer forgets its tokens when it restarts, so a write after a restart (the applied-settings record, a network
    change after a power mode change) fetches one more."
  - The per-resource modules remain; this module runs exactly their code. Use them for one-off changes, this one for the
    repository's whole wanted state (the role C(minerops.whatsminer.miner_config) applies the inventory's wanted state
    with it; the playbook C(drift.yml) checks it).
seealso:
  - module: minerops.whatsminer.whatsminer_pools
  - module: minerops.whatsminer.whatsminer_power
  - module: minerops.whatsminer.whatsminer_settings
'''

EXAMPLES = r'''
- name: Converge each miner to the repository's wanted state
  minerops.whatsminer.whatsminer_config:
    record_slot: msg9
    settings:
      timezone: CST-8
      zonename: Asia/Shanghai
    cooling:
      fan_zero_speed: false
    pools:
      - url: stratum+tcp://pool.example.com:3333
        user: "acct.{{ inventory_hostname }}"
        password: x
    customer_msg:
      customer_sn: SITE-DC1
    led:
      mode: auto
    power:
      mining: true
      mode: normal

- name: Drift check - what differs, changing nothing
  minerops.whatsminer.whatsminer_config:
    pools: "{{ miner_config_pools }}"
    power: "{{ miner_config_power }}"
  check_mode: true
  diff: true
  register: drift
'''

RETURN = r'''
changed_sections:
  description: The sections that changed (in check mode, that would change), in the order they ran.
  returned: success
  type: list
  elements: str
  sample: [pools, power]
sections:
  description:
    - Each managed section's result, as its resource module returns it (without C(diff), which is merged into the
      task's diff, and C(commands), which is the task's).
    - The pools section's C(pending_restart) is true only when a failure stopped the task between pools that wait for
      the power section's btminer restart and that restart.
    - When a section fails, the results of the sections that ran before it.
  returned: success, and when a section failed
  type: dict
  sample: {pools: {changed: true, pools: [{url: "stratum+tcp://pool.example.com:3333", user: acct.m50}], restarted: false}}
failed_section:
  description: The section that failed.
  returned: failed
  type: str
  sample: network
commands:
  description: Names of the API write commands sent, all sections together.
  returned: always
  type: list
  elements: str
  sample: [update_pools, set_normal_power]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._config import FREE_FORM_OPTIONS, argument_spec as config_spec, ensure_config as run  # noqa: F401 pylint: disable=unused-import


def argument_spec():
    return with_connection_options(config_spec())


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
