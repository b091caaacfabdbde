#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_command
short_description: Send any WhatsMiner API command (escape hatch)
version_added: 0.1.0
description:
  - Sends one API command with its parameters and returns the decoded reply.
  - Read commands (C(summary), C(pools), C(edevs), C(devs), C(devdetails), C(get_psu), C(get_version), C(status),
    C(get_miner_info), C(get_error_code); two joined with C(+)) are sent in plain text and report C(ok).
    Every other command is sent encrypted with a token and reports C(changed) (C(get_customer_msg) excepted).
  - On API V3 miners the V2.2 command names above are translated to their V3 equivalents; V3's own commands
    (C(get.device.info), C(set.miner.report), ...) can be sent as they are - then O(params) is the command's C(param)
    object, or the value of its C(param) key when that is the only key (a string, number or list). C(get.*) commands report
    C(ok), C(set.*) commands C(changed).
  - Prefer the declarative modules - this one cannot be idempotent. The streams C(update_firmware) and
    C(download_logs) are refused; use M(minerops.whatsminer.whatsminer_firmware) and M(minerops.whatsminer.whatsminer_logs).
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Read commands run; write commands are not sent and report C(changed).
  diff_mode:
    support: none
    details: The task reports no diff.
  idempotent:
    support: none
    details: Write commands are sent on every run; read commands change nothing.
options:
  command:
    description: The API command name, for example V(summary) or V(set_led) (V2.2 names), or V(get.device.info) (API V3).
    type: str
    required: true
  params:
    description: The command's parameters; values are sent as strings except integers and booleans.
    type: dict
    default: {}
  encrypted:
    description: Send a read command encrypted (with a token) instead of in plain text.
    type: bool
    default: false
  restarting:
    description: The command restarts the miner; a closed connection without reply is then expected and reported as RV(replied=false).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Read the PSU
  minerops.whatsminer.whatsminer_command:
    command: get_psu
  register: psu

- name: Read an API V3 miner's system section
  minerops.whatsminer.whatsminer_command:
    command: get.device.info
    params: {param: system}

- name: Blink the LED red
  minerops.whatsminer.whatsminer_command:
    command: set_led
    params: {color: red, period: 1000, duration: 500, start: 0}
'''

RETURN = r'''
reply:
  description: The decoded reply (null in check mode for write commands, or without a reply).
  returned: success
  type: dict
  sample: {STATUS: S, Code: 131, Msg: API command OK}
replied:
  description: Whether the miner replied to a write command.
  returned: when a write command was sent
  type: bool
  sample: true
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [set_led]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._operations import raw_command as run

# Its params go to the miner as given and may hold booleans (see refuse_yaml_booleans).
FREE_FORM_OPTIONS = ('params',)


def argument_spec():
    return with_connection_options(dict(
        command=dict(type='str', required=True),
        params=dict(type='dict', default={}),
        encrypted=dict(type='bool', default=False),
        restarting=dict(type='bool', default=False),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
