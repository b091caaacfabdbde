# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read, compare and apply the power state of a miner (whatsminer_power)."""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import READ_SETTINGS
from ansible_collections.minerops.whatsminer.plugins.module_utils.applied import AppliedRecord
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils.restart import send_restarting
from ansible_collections.minerops.whatsminer.plugins.module_utils.validation import check_range

MODE_COMMANDS = dict(low='set_low_power', normal='set_normal_power', high='set_high_power')

# Settings the V2.2 API reports back, and the ones it does not (sent whenever asked for).
READABLE = ('mining', 'mode', 'power_limit', 'target_freq_percent', 'fast_boot')
UNREADABLE = ('power_percent', 'power', 'upfreq_speed', 'restore_power_percent')


def validate(params):
    check_range('power_limit', params.get('power_limit'), 0, 99999)
    check_range('target_freq_percent', params.get('target_freq_percent'), -100, 100)
    check_range('power_percent', params.get('power_percent'), 0, 100)
    check_range('power', params.get('power'), 0, 99999)
    check_range('upfreq_speed', params.get('upfreq_speed'), 0, 9)
    if params.get('fast_boot') and (params.get('upfreq_speed') or 0) > 0:
        raise ModuleFailure('fast_boot=true cannot be combined with upfreq_speed > 0 (the miner refuses it); set upfreq_speed to 0')
    if params.get('restore_power_percent') and (params.get('power_percent') is not None or params.get('power') is not None):
        raise ModuleFailure('restore_power_percent undoes power_percent/power; it cannot be combined with them')
    if params.get('mining') is False and any(params.get(option) is not None for option in ('power_percent', 'power')):
        raise ModuleFailure('power_percent and power need the miner to be mining; they cannot be combined with mining=false')


def read_power_state(miner):
    """The readable power settings, from ``status`` and ``summary``."""
    sections = miner.read_sections(('status', 'summary'))
    status, summary = sections['status'], sections['summary']
    power_mode = status.get('power_mode') or summary.get('power_mode')
    power_limit = status.get('power_limit')
    if power_limit is None:
        power_limit = summary.get('power_limit')
    return dict(
        mining=status.get('mining'),
        mode=power_mode.lower() if isinstance(power_mode, str) else power_mode,
        power_limit=power_limit,
        target_freq_percent=status.get('target_freq_percent'),
        fast_boot=summary.get('btminer_fast_boot'),
    )


def wanted_state(before, params):
    after = dict(before)
    for option in READABLE:
        if params.get(option) is not None:
            after[option] = params[option]
    return after


def _apply_restarting(ctx, result, command, wait, settled=None, **command_params):
    outcome = send_restarting(ctx, command, wait, ctx.params['wait_timeout'], settled=settled, **command_params)
    if not outcome['replied']:
        result['no_reply'].append(command)
    if wait:
        result['restart_seconds'] = round(result['restart_seconds'] + outcome['waited'], 1)
    else:
        result['pending_restart'] = True


def ensure_power(ctx):
    """Module entry point for whatsminer_power."""
    params = ctx.params
    validate(params)
    ctx.require_password('change power settings')
    wait = params['wait']
    before = read_power_state(ctx.miner)
    after = wanted_state(before, params)
    restarting = [option for option in ('mode', 'power_limit', 'target_freq_percent') if after[option] != before[option]]
    if not wait and (len(restarting) > 1 or (restarting and after['mining'] != before['mining'])):
        raise ModuleFailure('%s each restart the miner; with wait=false only one restarting change can be made per task '
                            '(use wait=true or separate tasks)' % ', '.join(restarting + (['mining'] if after['mining'] != before['mining'] else [])))
    unverified = [option for option in UNREADABLE if params.get(option) not in (None, False)]
    upfreq = dict(upfreq_speed=params.get('upfreq_speed'))
    can_compare = params.get('record_slot') or ctx.miner.can(READ_SETTINGS)
    record = AppliedRecord(ctx) if can_compare and params.get('upfreq_speed') is not None else None
    if record is not None and not record.to_send(upfreq):
        unverified.remove('upfreq_speed')  # the record shows it applied
    changed = before != after or bool(unverified)
    result = dict(changed=changed, state=after, pending_restart=False, restart_seconds=0.0, no_reply=[], unverified=unverified)
    if unverified:
        ctx.warn('%s cannot be read back from the WhatsMiner API V2.2: sent on every run and reported as changed'
                 % ', '.join(unverified))
    if ctx.diff:
        result['diff'] = dict(before=dict(before), after=dict(after, **{option: params[option] for option in unverified}))
    if not changed or ctx.check_mode:
        return result

    # Safe order: start mining first, settings that take effect at the next start, settings that
    # restart btminer (one at a time, waiting for each), run-time power targets, stop mining last.
    if after['mining'] and not before['mining']:
        _apply_restarting(ctx, result, 'power_on', wait, settled=lambda: read_power_state(ctx.miner)['mining'] is True)
    if after['fast_boot'] != before['fast_boot'] and not after['fast_boot']:
        ctx.write('disable_btminer_fast_boot')
    if 'upfreq_speed' in unverified:
        ctx.write('adjust_upfreq_speed', upfreq_speed=str(params['upfreq_speed']))
        if record is not None:
            record.save(upfreq)
    if after['fast_boot'] != before['fast_boot'] and after['fast_boot']:
        ctx.write('enable_btminer_fast_boot')
    if after['power_limit'] != before['power_limit']:
        _apply_restarting(ctx, result, 'adjust_power_limit', wait, power_limit=str(after['power_limit']))
    if after['mode'] != before['mode']:
        _apply_restarting(ctx, result, MODE_COMMANDS[after['mode']], wait)
    if after['target_freq_percent'] != before['target_freq_percent']:
        _apply_restarting(ctx, result, 'set_target_freq', wait, percent=str(after['target_freq_percent']))
    if params.get('restore_power_percent'):
        ctx.write('restore_power_pct')
    if params.get('power_percent') is not None:
        command = 'set_power_pct' if params['power_percent_method'] == 'fast' else 'set_power_pct_v2'
        ctx.write(command, percent=str(params['power_percent']))
    if params.get('power') is not None:
        ctx.write('set_power', power=str(params['power']))
    if before['mining'] and after['mining'] is False:
        _apply_restarting(ctx, result, 'power_off', wait, settled=lambda: read_power_state(ctx.miner)['mining'] is False)

    if wait:
        current = read_power_state(ctx.miner)
        mismatched = sorted(option for option in READABLE if current[option] != after[option])
        if mismatched:
            raise ModuleFailure('the miner reports %s after the change; wanted %s'
                                % (', '.join('%s=%r' % (o, current[o]) for o in mismatched),
                                   ', '.join('%s=%r' % (o, after[o]) for o in mismatched)),
                                state=current)
        result['state'] = current
    return result
