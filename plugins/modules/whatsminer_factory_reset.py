#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_factory_reset
short_description: Reset a WhatsMiner to factory settings
version_added: 0.1.0
description:
  - Sends C(factory_reset) - network, passwords, permissions and power settings go back to factory values.
    The miner may come back at another address (DHCP) with the default admin password and the write API off.
  - Refuses to do anything unless O(confirm=true).
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
    details: The reset is sent on every run.
options:
  confirm:
    description: Must be V(true); protects against a reset by mistake.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Reset a miner before returning it
  minerops.whatsminer.whatsminer_factory_reset:
    confirm: true
'''

RETURN = r'''
replied:
  description: Whether the miner replied before resetting.
  returned: when the command was sent
  type: bool
  sample: true
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [factory_reset]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._operations import factory_reset as run


def argument_spec():
    return with_connection_options(dict(
        confirm=dict(type='bool', default=False),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
