#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_led
short_description: Manage the LED of a WhatsMiner (auto, or a manual blink pattern to find a machine)
version_added: 0.1.0
description:
  - Sets the LED to V(auto) (status display) or to a manual blink pattern with C(set_led).
  - The mode (auto or manual) is read back from C(get_miner_info) (C(ledstat)); the manual pattern itself cannot be
    read back, so with the miner already in manual mode a pattern is only compared through the applied-settings
    record (O(record_slot)); without it the pattern is sent again and the task reports C(changed).
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
    details: Reads the LED mode and reports what would change.
  diff_mode:
    support: full
    details: Shows the LED mode before and the wanted mode and pattern after.
  idempotent:
    support: partial
    details: The LED mode is read back; a pattern is write-only and needs O(record_slot) (or API V3) to be compared.
options:
  mode:
    description: V(auto) for the normal status display, V(manual) for a blink pattern.
    type: str
    choices: [auto, manual]
    required: true
  color:
    description: LED colour in manual mode.
    type: str
    choices: [red, green]
  period:
    description: Blink period in milliseconds (1 to 100000); required in manual mode.
    type: int
  duration:
    description: How long the LED is lit in each period, in milliseconds; at most O(period). Defaults to half the period.
    type: int
  start:
    description: Offset of the lit time in each period, in milliseconds; less than O(period). Defaults to 0.
    type: int
'''

EXAMPLES = r'''
- name: Blink the LED of the miner to be replaced
  minerops.whatsminer.whatsminer_led:
    mode: manual
    color: red
    period: 1000
    duration: 500

- name: Back to normal
  minerops.whatsminer.whatsminer_led:
    mode: auto
'''

RETURN = r'''
mode:
  description: The LED mode the miner reports after the task (in check mode, the wanted mode).
  returned: success
  type: str
  sample: manual
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [set_led]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._led import LED_SPEC, ensure_led as run


def argument_spec():
    return with_connection_options(dict(LED_SPEC, **RECORD_ARGUMENT_SPEC))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
