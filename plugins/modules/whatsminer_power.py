#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_power
short_description: Manage the power state of a WhatsMiner (mining on/off, power mode, limits, targets)
version_added: 0.1.0
description:
  - Declares the power settings of one miner. Each option left unset is left alone.
  - O(mining), O(mode), O(power_limit), O(target_freq_percent) and O(fast_boot) are read back from the
    miner (C(status) and C(summary)) and only sent when they differ.
  - O(power_percent), O(power), O(upfreq_speed) and O(restore_power_percent) cannot be read back from the
    WhatsMiner API V2.2 as the manual describes it. When set they are sent on every run, the task reports
    C(changed), lists them under RV(unverified) and warns - except O(upfreq_speed) with O(record_slot) set,
    which is compared with the applied-settings record kept on the miner. Where the firmware does report
    them (API V3; 2025 V2.2 firmware reports C(power_pct) and C(upfreq_speed)) they are compared like the others.
  - Ranges that depend on the miner are checked after reading it and before anything is sent - O(power_percent)
    above 100 only on hydro and immersion models, O(upfreq_speed) 10 only on API V3.
  - Changing O(mode), O(power_limit) or O(target_freq_percent) restarts the mining process, and the miner
    often closes the connection without a reply. The module then never resends. With O(wait=true) it
    waits until the miner answers again and reads the setting back, failing clearly when it does not match
    or the miner does not come back within O(wait_timeout).
  - Settings are applied in a safe order - start mining, fast boot and up-frequency speed (effective at the
    next start), power limit, power mode, target frequency (each restart awaited), power percent or power
    target, and stop mining last.
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
    details: Reads the power state and reports what would change; nothing is sent.
  diff_mode:
    support: full
    details: Shows the readable power settings before and after, plus the unreadable ones that would be sent.
  idempotent:
    support: partial
    details: Mining, mode, power limit, target frequency and fast boot are read back; power percent, power and upfreq speed are write-only.
options:
  mining:
    description:
      - V(true) to mine (C(power_on)), V(false) to stop mining and power the hashboards off (C(power_off)).
    type: bool
  mode:
    description: Power mode (C(set_low_power), C(set_normal_power), C(set_high_power)); restarts btminer.
    type: str
    choices: [low, normal, high]
  power_limit:
    description: Power limit in watts (C(adjust_power_limit), 0 to 99999); restarts btminer.
    type: int
  target_freq_percent:
    description: Target frequency relative to normal mode, -100 to 100 percent (C(set_target_freq)); restarts btminer.
    type: int
  power_percent:
    description:
      - Run at this percent of the normal power - 0 to 100, up to 200 on hydro and immersion models
        (model numbers ending in 3 or 6 - M53, M56, M63, M66 and their S/S+/S++ variants). Not saved by the
        miner - a reboot ends it.
    type: int
  power_percent_method:
    description:
      - V(fast) uses C(set_power_pct) (fast, approximate, meant for temporary curtailment);
        V(normal) uses C(set_power_pct_v2) (normal mode, takes minutes to settle).
    type: str
    choices: [fast, normal]
    default: fast
  restore_power_percent:
    description:
      - Undo O(power_percent) and O(power) (C(restore_power_pct) on API V2.2; sent every run when true unless the
        firmware reports its power percent).
      - API V3 has no such command - the module reads C(power-percent) and, when an override is active, restarts
        btminer (C(set.miner.service restart)), which ends it because the override is not saved; mining resumes
        once btminer has started. With no override active nothing is sent.
    type: bool
    default: false
  power:
    description: Power target in watts (C(set_power)). Cannot be read back (sent every run).
    type: int
  fast_boot:
    description: Enable or disable btminer fast boot (effective at the next start). Cannot be combined with O(upfreq_speed) above 0.
    type: bool
  upfreq_speed:
    description:
      - Up-frequency speed, 0 (normal) to 9 (fastest) on API V2.2, 0 to 10 on API V3 (C(adjust_upfreq_speed)).
      - Cannot be read back over API V2.2 except on 2025 firmware (sent every run otherwise).
    type: int
  wait:
    description:
      - Wait for the miner to come back after a restarting change and read the new state back.
      - With V(false) the module returns right after sending, with RV(pending_restart=true); only one
        restarting change can be made per task then.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the miner after each restarting change.
    type: int
    default: 300
'''

EXAMPLES = r'''
- name: Run the fleet in low power mode with a power limit
  minerops.whatsminer.whatsminer_power:
    mode: low
    power_limit: 3000

- name: Curtail to 50 percent quickly (demand response)
  minerops.whatsminer.whatsminer_power:
    power_percent: 50
    power_percent_method: fast

- name: Restore full power after curtailment
  minerops.whatsminer.whatsminer_power:
    restore_power_percent: true

- name: Stop mining
  minerops.whatsminer.whatsminer_power:
    mining: false
'''

RETURN = r'''
state:
  description: The readable power settings after the task (in check mode, as they would be).
  returned: success
  type: dict
  contains:
    mining:
      description: Whether the miner is mining.
      type: bool
      sample: true
    mode:
      description: Power mode.
      type: str
      sample: normal
    power_limit:
      description: Power limit in watts.
      type: int
      sample: 3600
    target_freq_percent:
      description: Target frequency percent.
      type: int
      sample: 0
    fast_boot:
      description: Whether btminer fast boot is enabled.
      type: bool
      sample: false
unverified:
  description: Options that were sent although they cannot be read back from the API.
  returned: success
  type: list
  elements: str
  sample: [power_percent]
restarting:
  description: The settings sent (in check mode, that would be sent) whose change restarts btminer, in the order sent.
  returned: success
  type: list
  elements: str
  sample: [mode]
pending_restart:
  description: With O(wait=false), true when the miner is restarting and the new state was not read back.
  returned: success
  type: bool
  sample: false
restart_seconds:
  description: Seconds spent waiting for the miner to come back after restarting changes.
  returned: success
  type: float
  sample: 42.5
no_reply:
  description: Commands the miner closed the connection on without replying (normal for restarting commands; the state was read back).
  returned: success
  type: list
  elements: str
  sample: [set_low_power]
commands:
  description: Names of the API write commands sent to the miner (never their parameters).
  returned: always
  type: list
  elements: str
  sample: [set_low_power]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._power import POWER_SPEC, POWER_SPEC_KWARGS as SPEC_KWARGS, ensure_power as run


def argument_spec():
    return with_connection_options(dict(POWER_SPEC, **RECORD_ARGUMENT_SPEC))


def main():
    run_module(argument_spec(), run, **SPEC_KWARGS)


if __name__ == '__main__':
    main()
