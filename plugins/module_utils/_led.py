# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The miner's LED (whatsminer_led): auto or a manual blink pattern.

get_miner_info's ``ledstat`` tells auto from manual; the manual pattern itself (colour,
period, duration, start) cannot be read back and goes through the applied-settings record.
"""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import AppliedRecord
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_range

MAX_MS = 100000


def read_led_mode(miner):
    state = (miner.read('miner_info').get('led_state') or '').lower()
    return 'auto' if state in ('', 'auto') else 'manual'


def validate_led(params):
    if params['mode'] == 'auto':
        extra = [name for name in ('color', 'period', 'duration', 'start') if params.get(name) is not None]
        if extra:
            raise ModuleFailure('%s only apply to mode=manual' % ', '.join(extra))
        return None
    if params.get('color') is None or params.get('period') is None:
        raise ModuleFailure('mode=manual needs color and period (duration and start default to period/2 and 0)')
    period = check_range('period', params['period'], 1, MAX_MS)
    duration = params['duration'] if params.get('duration') is not None else period // 2
    start = params['start'] if params.get('start') is not None else 0
    check_range('duration', duration, 0, MAX_MS)
    check_range('start', start, 0, MAX_MS)
    if duration > period:
        raise ModuleFailure('duration (%d ms) must not be longer than period (%d ms)' % (duration, period))
    if start >= period:
        raise ModuleFailure('start (%d ms) must be shorter than period (%d ms)' % (start, period))
    return dict(color=params['color'], period=period, duration=duration, start=start)


def ensure_led(ctx):
    """Module entry point for whatsminer_led."""
    pattern = validate_led(ctx.params)
    wanted_mode = ctx.params['mode']
    ctx.require_password('set the LED')
    before_mode = read_led_mode(ctx.miner)
    record = AppliedRecord(ctx) if wanted_mode == 'manual' else None
    if wanted_mode == 'auto':
        send = before_mode != 'auto'
    elif before_mode != 'manual':
        send = True
    else:
        send = bool(record.to_send(dict(led=pattern)))
    result = dict(changed=send, mode=wanted_mode if send or ctx.check_mode else before_mode)
    if ctx.diff:
        result['diff'] = dict(before=dict(mode=before_mode), after=dict(mode=wanted_mode, **(pattern or {})))
    if send and not ctx.check_mode:
        if pattern is None:
            ctx.write('set_led', param='auto')
        else:
            ctx.write('set_led', color=pattern['color'], period=pattern['period'], duration=pattern['duration'], start=pattern['start'])
            record.save(dict(led=pattern))
        result['mode'] = read_led_mode(ctx.miner)
    return result
