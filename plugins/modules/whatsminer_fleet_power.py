#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_fleet_power
short_description: Curtail, stop or restore the power of many WhatsMiners at once from one task (demand response)
version_added: 0.1.0
description:
  - Drives every miner of O(miners) concurrently from a single task on the controller, instead of
    one task per host. Grid demand-response programs give seconds to minutes; a thousand miners are curtailed and
    read back in seconds.
  - Each miner's requests run at the wire's pace on one event loop (the C(greenlet) package, in the collection's
    requirements; without it, a thread pool). Per miner, curtailing over API V2.2 takes four requests - C(summary+status)
    (power drawn and mining state, one joined read), C(get_token), the write, and C(summary) (the power read back).
    Every request has its own deadline (O(timeout)); a miner that does not answer costs its own time, not the fleet's.
  - On long runs a progress line is shown every five seconds.
  - For each miner it reads the power draw, applies the same logic as M(minerops.whatsminer.whatsminer_power)
    (safe order, restarts awaited), reads the power draw back and reports the outcome. A miner that fails or cannot
    be reached does not stop the others; it is reported in RV(miners) and counted in RV(summary).
  - V(curtailed) runs the miners at O(power_percent) of their normal power (C(set_power_pct), or C(set_power_pct_v2)
    with O(power_percent_method=normal)) or at the power target O(power) in watts (C(set_power)).
  - V(off) stops mining (C(power_off)); V(restored) undoes a percent curtailment (C(restore_power_pct)), starts mining
    again when it was stopped (C(power_on)) and, when O(power) is given, sets that normal power target back.
  - O(ramp_seconds) staggers the miners evenly over a ramp, so that the load changes gradually.
  - Power percent and power targets cannot be read back from the WhatsMiner API V2.2, so every run sends them and
    reports C(changed); the measured power draw before and after is the read-back.
  - Build O(miners) from the inventory, for example with the C(minerops.whatsminer.power_curtail) role in fan-out
    mode, and run the task once (C(run_once) or a play on C(localhost)).
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details: Reads every miner's power and reports what would be sent; nothing is sent.
  diff_mode:
    support: none
    details: The task reports no diff.
  idempotent:
    support: partial
    details: Stopping and starting mining are read back; power percent and power targets cannot be read back and are sent on every run.
options:
  miners:
    description: The miners to drive.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Address of the miner's API.
        type: str
        required: true
      port:
        description: TCP port of the miner's API.
        type: int
        default: 4028
      password:
        description: Admin password of this miner; defaults to O(password).
        type: str
      name:
        description: Name of the miner in the results (for example its C(inventory_hostname)); defaults to O(miners[].host).
        type: str
      api:
        description: API of this miner (see the per-host modules' O(minerops.whatsminer.whatsminer_power#module:api)).
        type: str
        choices: [auto, v2, v3]
        default: auto
      v3_port:
        description: API V3 port of this miner.
        type: int
        default: 4433
      v3_account:
        description: API V3 account to write with.
        type: str
        choices: [super, user1, user2, user3]
        default: super
      v3_password:
        description: API V3 password of this miner; defaults to its O(miners[].password).
        type: str
  state:
    description: What to do to every miner.
    type: str
    required: true
    choices: [curtailed, 'off', restored]
  power_percent:
    description: With O(state=curtailed), the percent of the normal power to run at (0 to 100; up to 200 on hydro and immersion models).
    type: int
  power_percent_method:
    description:
      - V(fast) uses C(set_power_pct) (fast, meant for temporary curtailment); V(normal) uses C(set_power_pct_v2).
    type: str
    choices: [fast, normal]
    default: fast
  power:
    description:
      - With O(state=curtailed), the power target in watts (C(set_power)).
      - With O(state=restored), the normal power target to set back after a power target curtailment.
    type: int
  password:
    description:
      - Admin password of the miners that do not set their own (O(miners[].password)).
      - Defaults to the environment variable E(WHATSMINER_PASSWORD) on the controller.
    type: str
  timeout:
    description: Seconds to wait for each miner to accept a connection and for each reply.
    type: float
    default: 10
  concurrency:
    description: How many miners are driven at the same time.
    type: int
    default: 128
  ramp_seconds:
    description: Spread the starts evenly over this many seconds (V(0) drives every miner at once).
    type: float
    default: 0
  settle_seconds:
    description: Seconds after a miner's change before its power is read back (real miners take a few seconds to settle).
    type: float
    default: 0
  wait_timeout:
    description: Seconds to wait for a miner to come back after stopping or starting mining (these restart btminer).
    type: int
    default: 300
  max_fail_percentage:
    description:
      - The task fails when more than this percent of the miners failed or were unreachable. The others are driven
        regardless; set V(100) to never fail the task and inspect RV(summary) instead.
    type: float
    default: 0
  report_file:
    description:
      - When set, the outcome (RV(miners) and RV(summary)) is also written there as JSON, on the host the task runs on
        (the controller), before the task fails for O(max_fail_percentage). The directory is created when missing; the
        file is replaced whole, never left half written. Not written in check mode.
    type: path
notes:
  - The task runs on the Ansible controller and talks to the miners over TCP; nothing runs on the miners.
  - Writes require the miners' write API to be enabled in WhatsMinerTool.
seealso:
  - module: minerops.whatsminer.whatsminer_power
requirements:
  - cryptography
  - passlib
  - greenlet (optional; without it a thread pool, slower)
'''

EXAMPLES = r'''
- name: List the miners of the inventory once (the power_curtail role does this for you)
  ansible.builtin.set_fact:
    whatsminer_fleet: >-
      {{ whatsminer_fleet | default([]) + [{'host': hostvars[item].ansible_host | default(item), 'name': item,
         'port': hostvars[item].whatsminer_port | default(4028), 'password': hostvars[item].whatsminer_password}] }}
  loop: "{{ groups['miners'] }}"
  run_once: true

- name: Shed load - run the whole site at 50 percent within seconds
  minerops.whatsminer.whatsminer_fleet_power:
    miners: "{{ whatsminer_fleet }}"
    state: curtailed
    power_percent: 50
  run_once: true

- name: Stop mining on a list of miners, staggered over two minutes
  minerops.whatsminer.whatsminer_fleet_power:
    miners:
      - {host: 10.20.0.11, name: rack1-01}
      - {host: 10.20.0.12, name: rack1-02}
    state: 'off'
    ramp_seconds: 120
    max_fail_percentage: 5
  delegate_to: localhost
  run_once: true

- name: Restore full power
  minerops.whatsminer.whatsminer_fleet_power:
    miners: "{{ whatsminer_fleet }}"
    state: restored
  run_once: true
'''

RETURN = r'''
miners:
  description: One outcome per miner, in the order of O(miners).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The miner's name (O(miners[].name), else its address).
      type: str
      sample: rack1-01
    host:
      description: Address of the miner.
      type: str
      sample: 10.20.0.11
    port:
      description: Port of the miner's API.
      type: int
      sample: 4028
    outcome:
      description: V(curtailed), V(off), V(restored) (V(would be ...) in check mode), V(unreachable) or V(failed).
      type: str
      sample: curtailed
    failed:
      description: Whether this miner failed or could not be reached.
      type: bool
      sample: false
    changed:
      description: Whether something was (or in check mode would be) sent to this miner.
      type: bool
      sample: true
    msg:
      description: Why the miner failed, or a note; empty when all went well.
      type: str
      sample: ''
    commands:
      description: Names of the API write commands sent to this miner.
      type: list
      elements: str
      sample: [set_power_pct]
    power_before_w:
      description: Power draw read before the change, in watts.
      type: float
      sample: 3412.0
    power_after_w:
      description: Power draw read back after the change, in watts.
      type: float
      sample: 1706.0
    shed_w:
      description: Power shed by this miner (before minus after), in watts.
      type: float
      sample: 1706.0
    hashrate_before_ths:
      description: Hashrate before the change in TH/s.
      type: float
      sample: 120.1
    hashrate_after_ths:
      description: Hashrate after the change in TH/s.
      type: float
      sample: 60.2
    mining:
      description: Whether the miner mines after the change.
      type: bool
      sample: true
summary:
  description: Totals over the fleet.
  returned: always
  type: dict
  contains:
    total:
      description: Number of miners.
      type: int
      sample: 1000
    ok:
      description: Miners that reached the wanted state.
      type: int
      sample: 998
    changed:
      description: Miners something was sent to.
      type: int
      sample: 998
    failed:
      description: Miners that failed or were unreachable.
      type: int
      sample: 2
    unreachable:
      description: Miners that could not be reached.
      type: int
      sample: 2
    failed_percent:
      description: Percent of the miners that failed.
      type: float
      sample: 0.2
    power_before_kw:
      description: Power draw of the miners that succeeded, before, in kW.
      type: float
      sample: 3400.5
    power_after_kw:
      description: Power draw of the miners that succeeded, read back after, in kW.
      type: float
      sample: 1700.2
    shed_kw:
      description: Power shed, in kW (negative when restoring).
      type: float
      sample: 1700.3
    elapsed_s:
      description: Wall time of the fan-out in seconds.
      type: float
      sample: 4.2
commands:
  description: Always empty; the commands sent are listed per miner in RV(miners).
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible.module_utils.basic import env_fallback

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module
from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import fleet_power as run

SPEC_KWARGS = dict(
    mutually_exclusive=[('power_percent', 'power')],
)


def argument_spec():
    return dict(
        miners=dict(type='list', elements='dict', required=True, options=dict(
            host=dict(type='str', required=True),
            port=dict(type='int', default=4028),
            password=dict(type='str', no_log=True),
            name=dict(type='str'),
            api=dict(type='str', choices=['auto', 'v2', 'v3'], default='auto'),
            v3_port=dict(type='int', default=4433),
            v3_account=dict(type='str', choices=['super', 'user1', 'user2', 'user3'], default='super'),
            v3_password=dict(type='str', no_log=True),
        )),
        state=dict(type='str', required=True, choices=['curtailed', 'off', 'restored']),
        power_percent=dict(type='int'),
        power_percent_method=dict(type='str', choices=['fast', 'normal'], default='fast'),
        power=dict(type='int'),
        password=dict(type='str', no_log=True, fallback=(env_fallback, ['WHATSMINER_PASSWORD'])),
        timeout=dict(type='float', default=10.0),
        concurrency=dict(type='int', default=128),
        ramp_seconds=dict(type='float', default=0.0),
        settle_seconds=dict(type='float', default=0.0),
        wait_timeout=dict(type='int', default=300),
        max_fail_percentage=dict(type='float', default=0.0),
        report_file=dict(type='path'),
    )


def main():
    run_module(argument_spec(), run, **SPEC_KWARGS)


if __name__ == '__main__':
    main()
