# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The miner's LED (whatsminer_led): auto or a manual blink pattern.

get_miner_info's ``ledstat`` tells auto from manual; the manual pattern itself (colour,
period, duration, start) cannot be read back and goes through the applied-settings record.
"""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import AppliedRecord
from ansible_collections.minerops.whatsminer.plugins.module_utils._engine import converge
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_range

MAX_MS = 100000

# The options of whatsminer_led (without the connection and record options).
LED_SPEC = dict(
    mode=dict(type='str', choices=['auto', 'manual'], required=True),
    color=dict(type='str', choices=['red', 'green']),
    period=dict(type='int'),
    duration=dict(type='int'),
    start=dict(type='int'),
)


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
    """Module entry point for whatsminer_led.

    The mode is read back; a manual pattern cannot be, so it counts as the miner's when the applied-settings
    record shows it applied (without a record it is sent again whenever mode=manual is asked).
    """
    pattern = validate_led(ctx.params)
    ctx.require_password('set the LED')
    before = dict(mode=read_led_mode(ctx.miner))
    after = dict(mode=ctx.params['mode'], **(pattern or {}))
    record = AppliedRecord(ctx) if pattern is not None else None
    if record is not None and before['mode'] == 'manual' and not record.to_send(dict(led=pattern)):
        before.update(pattern)

    def apply():
        if pattern is None:
            ctx.write('set_led', param='auto')
        else:
            ctx.write('set_led', color=pattern['color'], period=pattern['period'], duration=pattern['duration'], start=pattern['start'])
            record.save(dict(led=pattern))
        result['mode'] = read_led_mode(ctx.miner)

    result = dict(mode=after['mode'] if before != after else before['mode'])
    return converge(ctx, before, after, apply, result=result)
