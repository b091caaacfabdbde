# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Commands after which the miner restarts, and waiting for it to come back.

Real miners often close the connection without a reply to such a command (reference_protocol.rst V2.2 §4).
The outcome is then unknown: we never resend, we wait for the miner to answer again and
let the caller read the setting back.
"""

from __future__ import annotations

import time

from ansible_collections.minerops.whatsminer.plugins.module_utils._green import pause
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    ModuleFailure,
    OutcomeUnknown,
    ProtocolError,
)

DOWN_GRACE_SECONDS = 10.0
POLL_INTERVAL = 1.0
_DOWN_ERRORS = (MinerUnreachable, MinerTimeout, ProtocolError)


def is_answering(miner):
    """True when the miner answers a cheap read command."""
    try:
        miner.read('version')
    except _DOWN_ERRORS:
        return False
    return True


def wait_for_restart(miner, timeout, went_down=False, down_grace=DOWN_GRACE_SECONDS, interval=POLL_INTERVAL):
    """Wait until the miner has gone down (or ``down_grace`` passed) and answers again.

    Returns the seconds waited. Raises ModuleFailure when it does not answer within ``timeout``.
    """
    start = time.monotonic()
    deadline = start + timeout
    down_deadline = start + down_grace
    while not went_down and time.monotonic() < down_deadline:
        if not is_answering(miner):
            went_down = True
            break
        pause(min(interval, 0.5))
    while True:
        if is_answering(miner):
            return round(time.monotonic() - start, 1)
        if time.monotonic() >= deadline:
            raise ModuleFailure('the miner %s:%s did not answer again within %g s after restarting' % (miner.host, miner.port, timeout))
        pause(interval)


def wait_until(miner, settled, timeout, what, interval=POLL_INTERVAL):
    """Poll ``settled()`` (a read-back) until it is true, tolerating a miner that is restarting."""
    start = time.monotonic()
    while True:
        try:
            if settled():
                return round(time.monotonic() - start, 1)
        except _DOWN_ERRORS:
            pass
        if time.monotonic() - start >= timeout:
            raise ModuleFailure('the miner %s:%s did not reach %s within %g s' % (miner.host, miner.port, what, timeout))
        pause(interval)


def send_restarting(ctx, command, wait, wait_timeout, settled=None, **params):
    """Send a restarting command; with ``wait`` wait until the miner answers again.

    ``settled``, when given, is a read-back predicate polled instead of waiting for the
    miner to go down and come back (for power_on/power_off, which may not restart the API).

    Returns a dict with ``replied`` (False when the connection closed without a reply) and
    ``waited`` seconds (None when not waiting).
    """
    replied = True
    try:
        ctx.write_restarting(command, **params)
    except OutcomeUnknown:
        replied = False
    waited = None
    if wait and settled is not None:
        waited = wait_until(ctx.miner, settled, wait_timeout, 'the state asked by %s' % command)
    elif wait:
        waited = wait_for_restart(ctx.miner, wait_timeout, went_down=not replied)
    return dict(replied=replied, waited=waited)
