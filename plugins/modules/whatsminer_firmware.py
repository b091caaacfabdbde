#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_firmware
short_description: Upgrade (or downgrade) the firmware of a WhatsMiner
version_added: 0.1.0
description:
  - Reads the firmware version the miner runs (C(status), else C(get_version)). When it already is
    O(version), nothing is uploaded.
  - Otherwise uploads O(src) with the C(update_firmware) stream, waits for the miner to flash and reboot,
    and reads the version back. The task fails with the version the miner runs when it does not match.
  - An upload is never resent. When the connection is lost during the upload its outcome is unknown;
    the module waits for the miner and reads the version back before it reports anything.
  - A combined MicroBT image (packages for several platforms behind a 6812-byte header) is reduced to the
    package for the miner's platform, over API V2.2 and API V3 alike; an image without it is refused before
    anything is sent.
  - After the last byte the miner checks and writes the image before it answers; the module waits up to five
    minutes for that answer (as MicroBT's own fleet worker does), whatever O(timeout) is.
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Reads the version and reports the would-be upgrade; nothing is uploaded.
  diff_mode:
    support: full
    details: Shows the firmware version before and after.
  idempotent:
    support: full
    details: Nothing is uploaded when the miner already runs the wanted version.
options:
  src:
    description:
      - Path of the firmware image on the controller. A relative path is looked up in the role's or
        playbook's C(files/) directory.
      - Checked before the miner is touched - it must exist, be readable, non-empty and at most 512 MiB.
    type: path
    required: true
  version:
    description:
      - The firmware version the image installs, as the miner reports it (for example V(20250101.22.REL)).
      - Needed for idempotence - the image's version cannot be learned from the miner before it is installed.
    type: str
    required: true
  wait:
    description: Wait for the miner to reboot into the new firmware and verify the version.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the miner to answer again after the upload.
    type: int
    default: 900
'''

EXAMPLES = r'''
# In a play on the miners, with serial: 10 to roll out ten miners at a time
# (see the minerops.whatsminer.firmware_rollout role for canary, batches and checks):
- name: Upgrade firmware
  minerops.whatsminer.whatsminer_firmware:
    src: firmware/M50-20250101.22.REL.bin
    version: 20250101.22.REL
'''

RETURN = r'''
version:
  description: The firmware version the miner runs after the task (null with O(wait=false) after an upload).
  returned: success
  type: str
  sample: 20250101.22.REL
previous_version:
  description: The firmware version before the task.
  returned: always
  type: str
  sample: 20240101.16.REL
image_bytes:
  description: Size of the image in bytes.
  returned: success
  type: int
  sample: 104857600
restart_seconds:
  description: Seconds from the upload until the miner answered again.
  returned: when an image was uploaded and O(wait=true)
  type: float
  sample: 95.0
pending_restart:
  description: True when O(wait=false) and an image was uploaded.
  returned: when an image was uploaded and O(wait=false)
  type: bool
  sample: true
outcome_unknown:
  description: True when the connection was lost during the upload and the result was not (yet) read back.
  returned: when an image was uploaded
  type: bool
  sample: false
commands:
  description: Names of the API write commands sent to the miner.
  returned: always
  type: list
  elements: str
  sample: [update_firmware]
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._firmware import ensure_firmware as run


def argument_spec():
    return with_connection_options(dict(
        src=dict(type='path', required=True),
        version=dict(type='str', required=True),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=900),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
