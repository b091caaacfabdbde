# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every minerops.whatsminer module."""

    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address (IPv4, IPv6 or host name) of the miner's API.
      - When the task targets the miner itself (a play on the miners' inventory hosts), this defaults to the host's
        C(ansible_host), falling back to C(inventory_hostname). It is only required when the module
        is run outside its action plugin, for example with C(delegate_to).
    type: str
  port:
    description:
      - TCP port of the WhatsMiner API V2.2.
      - Defaults to the host variable C(whatsminer_port) when set, else C(4028).
    type: int
    default: 4028
  password:
    description:
      - Admin password of the miner, needed for every write and for reads that need a token
        (for example customer messages). Store it with Ansible Vault.
      - Defaults to the host variable C(whatsminer_password), then to the environment variable
        E(WHATSMINER_PASSWORD) on the controller.
      - Never shown in output, diffs, logs or error messages.
    type: str
  timeout:
    description:
      - Seconds to wait for the miner to accept a connection and for each reply.
      - Defaults to the host variable C(whatsminer_timeout) when set.
    type: float
    default: 10
notes:
  - The task runs on the Ansible controller and talks to the miner over TCP; nothing runs on the miner
    and no SSH connection is made. Target the miners directly (a play on the miners' inventory hosts);
    no C(delegate_to) and no C(connection=local) is needed.
  - Writes require the miner's write API to be enabled in WhatsMinerTool (after the default admin
    password has been changed); otherwise the miner answers code 45 and the task fails with a message
    saying so.
requirements:
  - cryptography
  - passlib
'''
