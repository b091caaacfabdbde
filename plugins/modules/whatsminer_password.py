#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_password
short_description: Rotate the admin password of a WhatsMiner
version_added: 0.1.0
description:
  - Changes the admin password with C(update_pwd). Idempotent - when O(new_password) already opens the miner,
    nothing is sent.
  - Both passwords are checked before any write is sent and never shown. API V2.2 admin passwords are 1 to 8 letters,
    digits or underscores; API V3 account passwords (no documented rule) 1 to 32 printable ASCII characters without
    spaces.
  - Afterwards the new password is verified to work; from then on it is the one to use (update your vault).
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Tells whether the password would be changed; nothing is sent.
  diff_mode:
    support: none
    details: The task reports no diff.
  idempotent:
    support: full
    details: The new password is tried first; nothing is sent when it already works.
options:
  new_password:
    description: The new admin password. API V2.2 - 1 to 8 letters, digits or underscores; API V3 - 1 to 32 printable ASCII characters without spaces.
    type: str
    required: true
notes:
  - Fleet rotation with vault - keep the old password in C(whatsminer_password) and the new one in a second vaulted
    variable, run this module with O(new_password) set from it, then swap the variables in the vault. A rerun after a
    partial failure is safe - miners already on the new password report C(ok).
'''

EXAMPLES = r'''
- name: Rotate the admin password (both values from the vault)
  minerops.whatsminer.whatsminer_password:
    password: "{{ vault_whatsminer_password_old }}"
    new_password: "{{ vault_whatsminer_password_new }}"
'''

RETURN = r'''
password_changed:
  description: Whether the password was changed by this task.
  returned: success
  type: bool
  sample: true
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [update_pwd]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._password import ensure_password as run


def argument_spec():
    return with_connection_options(dict(
        new_password=dict(type='str', required=True, no_log=True),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
