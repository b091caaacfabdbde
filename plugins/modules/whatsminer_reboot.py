#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_reboot
short_description: Reboot a WhatsMiner or restart its mining process
version_added: 0.1.0
description:
  - Sends C(reboot) (the control board) or C(restart_btminer) (the mining process only), waits until the miner
    answers again and, with O(wait_for_hashing=true), until it hashes again, and returns the downtime.
  - The miner often closes the connection without replying to these commands; that is expected and not an error.
  - Always reports C(changed) (it is an action, not a state).
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Reports C(changed) without sending anything.
  diff_mode:
    support: none
    details: The task reports no diff.
  idempotent:
    support: none
    details: The reboot (or btminer restart) is sent on every run.
options:
  target:
    description: V(system) reboots the control board, V(btminer) restarts the mining process.
    type: str
    choices: [system, btminer]
    default: system
  wait_for_hashing:
    description: After the miner answers again, also wait until it reports a hashrate above zero.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the miner to answer (and hash) again.
    type: int
    default: 600
'''

EXAMPLES = r'''
- name: Reboot the miners one rack at a time
  minerops.whatsminer.whatsminer_reboot:
    target: system
'''

RETURN = r'''
rebooted:
  description: Whether the restart command was sent (false in check mode).
  returned: success
  type: bool
  sample: true
replied:
  description: Whether the miner replied before restarting.
  returned: when the command was sent
  type: bool
  sample: false
downtime_seconds:
  description: Seconds from the command until the miner answered (and hashed) again.
  returned: when the command was sent
  type: float
  sample: 48.2
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [reboot]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._operations import reboot as run


def argument_spec():
    return with_connection_options(dict(
        target=dict(type='str', choices=['system', 'btminer'], default='system'),
        wait_for_hashing=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=600),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
