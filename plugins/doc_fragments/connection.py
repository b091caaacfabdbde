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
      - The longest one request may take, in seconds - name resolution, connecting, sending and the whole reply,
        however slowly the miner sends it. A task's worst case is its requests times this, plus the wait where
        it waits for a restart (C(wait_timeout)). Firmware uploads and log downloads add the time their payload takes at 16 KiB/s.
      - Between 0.001 and 3600. Defaults to the host variable C(whatsminer_timeout) when set.
    type: float
    default: 10
  api:
    description:
      - Which WhatsMiner API to speak. V(v2) is the API V2.2 on O(port); V(v3) is the API V3 of 2024+ firmware on
        O(v3_port). V(auto) asks the V3 port first (V3 firmware also answers a reduced V2 API) and uses V2 when it
        does not answer.
      - Defaults to the host variable C(whatsminer_api) when set (the inventory plugin records it), which saves the probe.
      - With V(auto), the API found is kept as the host fact C(whatsminer_detected_api), so later tasks of the play do not
        probe again (a firmware upgrade asks for a new probe). A V3 port that accepts connections and closes them
        unanswered (its 10 client connections in use) fails the task rather than being taken for a V2 miner.
      - The modules accept the same options and return the same results on both APIs. Where V3 can read back a
        setting V2.2 cannot, the V3 read-back is used for idempotence.
    type: str
    choices: [auto, v2, v3]
    default: auto
  v3_port:
    description:
      - TCP port of the WhatsMiner API V3. Defaults to the host variable C(whatsminer_v3_port) when set.
    type: int
    default: 4433
  v3_account:
    description:
      - API V3 account to write with; C(super) can change everything, C(user1) to C(user3) only what C(super)
        granted them. Not used by API V2.2 (its only account is admin).
      - Defaults to the host variable C(whatsminer_v3_account) when set.
    type: str
    choices: [super, user1, user2, user3]
    default: super
  v3_password:
    description:
      - Password of O(v3_account) for API V3 miners (V3 firmware keeps it apart from the V2.2 admin password).
        When not set, O(password) is used.
      - Defaults to the host variable C(whatsminer_v3_password), then to the environment variable
        E(WHATSMINER_V3_PASSWORD). Never shown.
    type: str
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
