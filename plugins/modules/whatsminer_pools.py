#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_pools
short_description: Manage the mining pools of a WhatsMiner
version_added: 0.1.0
description:
  - Declares the ordered list of mining pools (one to three) of a WhatsMiner and applies it with the
    C(update_pools) API command only when the miner reports something else.
  - The pool list is read back with the C(pools) command and compared by URL and user, in priority order.
  - Pool passwords cannot be read back from the WhatsMiner API V2.2. With O(update_password=on_change)
    (the default) a password change alone is not detected, unless O(record_slot) is set - the module then keeps
    a keyed fingerprint of the passwords it sent on the miner and sends them again when they differ. Use
    O(update_password=always) to send the passwords on every run (the task then always reports a change).
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
    details: Reads the pools and reports what would change without sending C(update_pools).
  diff_mode:
    support: full
    details: Shows the pool URLs and users before and after. Passwords are never shown.
  idempotent:
    support: partial
    details: Pool URLs and users are read back; pool passwords cannot be, and are compared through O(record_slot) when set.
options:
  pools:
    description:
      - The wanted pools in priority order (the first is the main pool).
      - Slots not listed are sent empty, so the miner ends up with exactly these pools.
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description:
          - Pool address, for example V(stratum+tcp://pool.example.com:3333).
          - Schemes accepted are C(stratum+tcp), C(stratum+ssl), C(stratum+tls), C(stratum2+tcp) and C(stratum2+ssl); the port is required.
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
  update_password:
    description:
      - V(on_change) sends the pool passwords only when the URLs or users differ.
      - V(always) sends the whole list, passwords included, on every run and reports C(changed).
    type: str
    choices: [on_change, always]
    default: on_change
'''

EXAMPLES = r'''
# In a play on the miners (hosts: miners, gather_facts: false):
- name: Point every miner at the site pools
  minerops.whatsminer.whatsminer_pools:
    pools:
      - url: stratum+tcp://pool.example.com:3333
        user: "acct.{{ inventory_hostname }}"
        password: x
      - url: stratum+tcp://backup.example.com:3333
        user: "acct.{{ inventory_hostname }}"
        password: x

- name: Re-send the pool passwords too (they cannot be read back)
  minerops.whatsminer.whatsminer_pools:
    pools:
      - url: stratum+tcp://pool.example.com:3333
        user: acct.rig01
        password: "{{ vault_pool_password }}"
    update_password: always
'''

RETURN = r'''
pools:
  description: The pools the miner reports after the task (in check mode, the pools it would report), in priority order.
  returned: success
  type: list
  elements: dict
  contains:
    url:
      description: Pool URL.
      type: str
      sample: stratum+tcp://pool.example.com:3333
    user:
      description: Worker name.
      type: str
      sample: acct.rig01
restarted:
  description:
    - Whether btminer was restarted to apply the pools. Some firmware (2025 V2.2) accepts C(update_pools) but applies
      it only when btminer next starts; when the pools do not show within a few seconds, the module restarts btminer
      once (C(restart_btminer), as MicroBT's own fleet worker does) and reads them back.
  returned: success
  type: bool
  sample: false
password_updated:
  description: Whether the pool passwords were sent (they cannot be read back to verify them).
  returned: success
  type: bool
  sample: false
commands:
  description: Names of the API write commands sent to the miner (never their parameters).
  returned: always
  type: list
  elements: str
  sample: [update_pools]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._pools import POOLS_SPEC, ensure_pools as run


def argument_spec():
    return with_connection_options(dict(POOLS_SPEC, **RECORD_ARGUMENT_SPEC))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
