# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read, compare and apply the power state of a miner (whatsminer_power)."""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._engine import apply, plan, read_values, verify
from ansible_collections.minerops.whatsminer.plugins.module_utils._table import POWER_SETTINGS, SETTINGS
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure

# Settings the miner reports back, and run-time targets it does not (sent whenever asked for).
READABLE = ('mining', 'mode', 'power_limit', 'target_freq_percent', 'fast_boot')

# The options of whatsminer_power (without the connection and record options).
POWER_SPEC = dict(
    mining=dict(type='bool'),
    mode=dict(type='str', choices=['low', 'normal', 'high']),
    power_limit=dict(type='int'),
    target_freq_percent=dict(type='int'),
    power_percent=dict(type='int'),
    power_percent_method=dict(type='str', choices=['fast', 'normal'], default='fast'),
    restore_power_percent=dict(type='bool', default=False),
    power=dict(type='int'),
    fast_boot=dict(type='bool'),
    upfreq_speed=dict(type='int'),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=300),
)
POWER_SPEC_KWARGS = dict(mutually_exclusive=[('power_percent', 'power')])


def validate(params):
    """Ranges come from the settings table; these are the combinations the miner refuses."""
    for name in POWER_SETTINGS:
        SETTINGS[name].check(params.get(name))
    if params.get('fast_boot') and (params.get('upfreq_speed') or 0) > 0:
        raise ModuleFailure('fast_boot=true cannot be combined with upfreq_speed > 0 (the miner refuses it); set upfreq_speed to 0')
    if params.get('restore_power_percent') and (params.get('power_percent') is not None or params.get('power') is not None):
        raise ModuleFailure('restore_power_percent undoes power_percent/power; it cannot be combined with them')
    if params.get('mining') is False and any(params.get(option) is not None for option in ('power_percent', 'power')):
        raise ModuleFailure('power_percent and power need the miner to be mining; they cannot be combined with mining=false')


def read_power_state(miner):
    """The readable power settings (from ``status`` and ``summary``)."""
    return read_values(miner, READABLE)


def _refuse_restarts_without_wait(plan_):
    restarting = plan_.restarting
    if len(restarting) > 1:
        raise ModuleFailure('%s each restart the miner; with wait=false only one restarting change can be made per task '
                            '(use wait=true or separate tasks)' % ', '.join(restarting))


def ensure_power(ctx):
    """Module entry point for whatsminer_power."""
    params = ctx.params
    validate(params)
    ctx.require_password('change power settings')
    plan_ = plan(ctx, dict((name, params.get(name)) for name in POWER_SETTINGS), report=READABLE)
    if not params['wait']:
        _refuse_restarts_without_wait(plan_)
    before = plan_.current
    after = dict(before, **dict((name, plan_.wanted[name]) for name in READABLE if name in plan_.wanted))
    result = dict(changed=bool(plan_.send), state=after, pending_restart=False, restart_seconds=0.0, no_reply=[],
                  unverified=plan_.unverified, restarting=list(plan_.restarting))
    if ctx.diff:
        result['diff'] = dict(before=dict(before), after=dict(after, **{name: params[name] for name in plan_.unverified}))
    if not plan_.send or ctx.check_mode:
        return result
    apply(ctx, plan_, wait=params['wait'], wait_timeout=params['wait_timeout'], result=result)
    if params['wait']:
        result['state'] = dict(after, **verify(ctx, plan_))
    return result
