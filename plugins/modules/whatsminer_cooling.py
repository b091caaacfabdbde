#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_cooling
short_description: Manage the cooling settings of a WhatsMiner (temperature offset, fans, heat mode)
version_added: 0.1.0
description:
  - Sets the temperature offset, fan-zero speed and power-off cooling of air-cooled miners, and the heat mode of
    hydro-cooled miners.
  - None of these settings can be read back from the WhatsMiner API V2.2. Use O(record_slot) for idempotent runs;
    without it every setting given is sent on every run and the task reports C(changed).
  - O(temp_offset), O(fan_zero_speed) and O(poweroff_cool) apply to air-cooled models (for example M30S+, M50, M60);
    O(heat_mode) applies to hydro-cooled models (for example M33, M53, M63). A miner of the other kind answers an
    error, which the task reports with the miner's message.
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
  - minerops.whatsminer.record
attributes:
  idempotent:
    support: partial
    details:
      - With O(record_slot) (or on API V3, which reads these settings back) a second run sends nothing.
      - Without it the settings are sent again and reported as changed.
options:
  temp_offset:
    description: Temperature offset in degrees Celsius, -30 to 0 (C(set_temp_offset)); effective at the next start. Air-cooled only.
    type: int
  fan_zero_speed:
    description: Allow the fans to stop (C(set_fan_zero_speed)). Air-cooled only.
    type: bool
  poweroff_cool:
    description: Keep the fans cooling after power-off (C(set_poweroff_cool)). Air-cooled only.
    type: bool
  heat_mode:
    description:
      - Heat mode of hydro-cooled miners (C(set_heat_mode)); V(normal) leaves the anti-icing and heating modes.
    type: str
    choices: [anti-icing, heating, normal]
'''

EXAMPLES = r'''
- name: Cooling for the cold site, recorded in msg9 for idempotent CI runs
  minerops.whatsminer.whatsminer_cooling:
    temp_offset: -5
    poweroff_cool: true
    record_slot: msg9
'''

RETURN = r'''
sent:
  description: The settings sent to the miner by this run.
  returned: success
  type: list
  elements: str
  sample: [temp_offset]
would_send:
  description: The settings that differ from the record (in check mode, what would be sent).
  returned: success
  type: list
  elements: str
  sample: [temp_offset]
recorded:
  description: Whether an applied-settings record was used.
  returned: success
  type: bool
  sample: true
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [set_temp_offset, set_customer_msg]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._settings import COOLING_SPEC, ensure_cooling as run


def argument_spec():
    return with_connection_options(dict(COOLING_SPEC, **RECORD_ARGUMENT_SPEC))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
