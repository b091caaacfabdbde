# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Firmware upgrades (whatsminer_firmware): compare versions, upload once, verify after reboot."""

from __future__ import annotations

import os

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure, OutcomeUnknown
from ansible_collections.minerops.whatsminer.plugins.module_utils._restart import wait_for_restart
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_text

MAX_IMAGE_BYTES = 512 * 1024 * 1024
# A miner flashes before it reboots: allow a long quiet period before it goes down.
FLASH_GRACE_SECONDS = 120.0


def check_image(path):
    """Refuse a missing, empty or absurdly large image before the miner is touched."""
    if not os.path.isfile(path):
        raise ModuleFailure('src %s is not a file on the controller' % path)
    size = os.path.getsize(path)
    if size == 0:
        raise ModuleFailure('src %s is empty' % path)
    if size > MAX_IMAGE_BYTES:
        raise ModuleFailure('src %s is %d bytes; firmware images are at most %d bytes' % (path, size, MAX_IMAGE_BYTES))
    if not os.access(path, os.R_OK):
        raise ModuleFailure('src %s is not readable' % path)
    return size


def read_firmware_version(miner):
    version = miner.read('status').get('firmware_version')
    if not version:
        version = miner.read('version').get('fw_ver')
    return version


def ensure_firmware(ctx):
    """Module entry point for whatsminer_firmware."""
    params = ctx.params
    wanted = check_text('version', params['version'], 64, allow_empty=False)
    path = ctx.controller_path(params['src'])
    size = check_image(path)
    ctx.require_password('upload firmware')
    before = read_firmware_version(ctx.miner)
    result = dict(changed=before != wanted, version=wanted, previous_version=before, image_bytes=size)
    if ctx.diff:
        result['diff'] = dict(before=dict(firmware_version=before), after=dict(firmware_version=wanted))
    if not result['changed'] or ctx.check_mode:
        return result

    ctx.detected_api = 'auto'  # new firmware may speak another API: later tasks detect it again
    outcome_unknown = False
    try:
        ctx.send('update_firmware', lambda: ctx.miner.upload_firmware(path))
    except OutcomeUnknown:
        # Connection lost after (part of) the image went out: never resend, read back first.
        outcome_unknown = True
    if not params['wait']:
        result.update(pending_restart=True, outcome_unknown=outcome_unknown, version=None)
        return result
    result['restart_seconds'] = wait_for_restart(ctx.miner, params['wait_timeout'], went_down=outcome_unknown,
                                                 down_grace=FLASH_GRACE_SECONDS)
    current = read_firmware_version(ctx.miner)
    if current != wanted:
        raise ModuleFailure('after the upload the miner runs firmware %s, not %s%s; the image was not installed '
                            '(it was not resent)' % (current, wanted, ' (the upload connection was lost)' if outcome_unknown else ''),
                            version=current, previous_version=before)
    result.update(version=current, outcome_unknown=False)
    return result
