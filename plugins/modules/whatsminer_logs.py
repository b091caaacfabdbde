#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_logs
short_description: Download the logs of a WhatsMiner to the controller
version_added: 0.1.0
description:
  - Streams the miner's log archive (a gzip tarball, C(download_logs)) into O(dest) on the controller, one file per
    miner named after the host and the UTC time, and returns its size and SHA-256 checksum.
  - The received length is checked against the length the miner announced; a partial download is removed.
  - A miner without logs (it announces a length of 0) fails the task with a clear message.
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: Reports the path the archive would be written to; nothing is downloaded.
  diff_mode:
    support: none
    details: The task reports no diff.
  idempotent:
    support: none
    details: The archive is downloaded on every run.
options:
  dest:
    description: Existing directory on the controller for the archive.
    type: path
    required: true
  name:
    description: Name used in the file name instead of the miner's address (for example V("{{ inventory_hostname }}")).
    type: str
'''

EXAMPLES = r'''
- name: Collect logs from the failing miners
  minerops.whatsminer.whatsminer_logs:
    dest: /srv/miner-logs
    name: "{{ inventory_hostname }}"
'''

RETURN = r'''
path:
  description: Path of the archive on the controller.
  returned: success
  type: str
  sample: /srv/miner-logs/rig01-20261124T120000Z.tar.gz
size:
  description: Size of the archive in bytes.
  returned: when downloaded
  type: int
  sample: 183422
checksum:
  description: SHA-256 of the archive (hex).
  returned: when downloaded
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
commands:
  description: Names of the API write commands sent.
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._operations import download_logs as run


def argument_spec():
    return with_connection_options(dict(
        dest=dict(type='path', required=True),
        name=dict(type='str'),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
