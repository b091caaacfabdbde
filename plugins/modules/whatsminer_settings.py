#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_settings
short_description: Manage system settings of a WhatsMiner (time zone, remote syslog, web pools, mining at start-up)
version_added: 0.1.0
description:
  - Sets the time zone (C(set_zone)), the remote syslog target (C(load_log)), whether pools can be edited in the
    miner's web page (C(enable_web_pools)/C(disable_web_pools)) and whether the miner mines at start-up
    (C(enable_btminer_init)/C(disable_btminer_init)).
  - None of these settings can be read back from the WhatsMiner API V2.2. Use O(record_slot) for idempotent runs;
    without it every setting given is sent on every run and the task reports C(changed).
  - Time zone changes take effect after the miner's network restarts.
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
      - API V3 reads the time zone, remote syslog and web pools back; API V2.2 reads none of them.
      - Where they cannot be read, O(record_slot) makes a second run send nothing; without it they are sent again (C(changed)).
options:
  timezone:
    description: POSIX time zone string, for example V(CST-8) or V(UTC0). Requires O(zonename).
    type: str
  zonename:
    description: Time zone name, for example V(Asia/Shanghai). Requires O(timezone).
    type: str
  syslog:
    description: Remote rsyslog target.
    type: dict
    suboptions:
      host:
        description: IP address or host name of the syslog server.
        type: str
        required: true
      port:
        description: Port of the syslog server.
        type: int
        default: 514
      proto:
        description: Transport protocol.
        type: str
        choices: [udp, tcp]
        default: udp
  web_pools:
    description: Allow editing pools in the miner's web page.
    type: bool
  mine_on_boot:
    description: Start mining when the miner starts (btminer init).
    type: bool
'''

EXAMPLES = r'''
- name: Site settings
  minerops.whatsminer.whatsminer_settings:
    timezone: UTC0
    zonename: UTC
    syslog:
      host: 10.20.0.5
      port: 514
      proto: udp
    web_pools: false
    mine_on_boot: true
    record_slot: msg9
'''

RETURN = r'''
sent:
  description: The settings sent to the miner by this run.
  returned: success
  type: list
  elements: str
  sample: [syslog, timezone]
would_send:
  description: The settings that differ from the record (in check mode, what would be sent).
  returned: success
  type: list
  elements: str
  sample: [syslog]
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
  sample: [load_log, set_customer_msg]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._settings import SETTINGS_SPEC, SETTINGS_SPEC_KWARGS as SPEC_KWARGS, ensure_settings as run


def argument_spec():
    return with_connection_options(dict(SETTINGS_SPEC, **RECORD_ARGUMENT_SPEC))


def main():
    run_module(argument_spec(), run, **SPEC_KWARGS)


if __name__ == '__main__':
    main()
