#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_customer_msg
short_description: Manage the customer messages of a WhatsMiner (CustomerSn, msg0 to msg9)
version_added: 0.1.0
description:
  - Declares the customer serial number and free-text messages stored on the miner, reads them back with
    C(get_customer_msg) and sends C(set_customer_msg) only for the ones that differ.
  - Reading customer messages needs the admin password (the read is encrypted).
  - A slot that holds this collection's applied-settings record (see O(record_slot)) is never overwritten.
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Reads the messages and reports what would change.
  diff_mode:
    support: full
    details: Shows the managed messages before and after.
  idempotent:
    support: full
    details: The messages are read back and compared.
options:
  customer_sn:
    description: The customer serial number (C(CustomerSn)), at most 127 characters.
    type: str
  messages:
    description:
      - Messages by key (V(CustomerSn), V(msg0) to V(msg9)), each at most 127 printable ASCII characters.
      - Keys not listed are left alone unless O(exclusive=true).
    type: dict
    default: {}
  exclusive:
    description: Clear every message not listed (except the O(record_slot)).
    type: bool
    default: false
  record_slot:
    description: The slot used by the other modules for the applied-settings record; refused as a message key here.
    type: str
'''

EXAMPLES = r'''
- name: Label each miner with its rack position
  minerops.whatsminer.whatsminer_customer_msg:
    customer_sn: "SITE1-{{ inventory_hostname }}"
    messages:
      msg0: "rack {{ rack }} shelf {{ shelf }}"
'''

RETURN = r'''
messages:
  description: All customer messages after the task (in check mode, as they would be).
  returned: success
  type: dict
  sample: {CustomerSn: SITE1-rig01, msg0: rack 4 shelf 2, msg1: ''}
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: [set_customer_msg]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._customer_msg import CUSTOMER_MSG_SPEC, ensure_customer_msg as run


def argument_spec():
    return with_connection_options(CUSTOMER_MSG_SPEC)


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
