# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The table of the settings the collection converges (private to the collection).

Every setting a module manages is one row of :data:`SETTINGS`, in the spirit of the ``KeyInfo``
table of community.routeros: where it is read back (a normalised section, the settings only some
APIs read back, or nowhere), its range, which writes set it, whether they restart btminer, the
order in which it is applied, and its key in the applied-settings record when it cannot be read.
The convergence engine (``_engine.py``) and the applied-settings record (``_applied.py``) read it.
"""

from __future__ import annotations

import re

from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_range


class Setting:
    """One row of the settings table.

    ``read(sections)`` returns the miner's value from the normalised ``sections`` it names (None:
    unknown); a row without ``read`` is write-only on every API, except what ``Miner.settings()``
    reads back where the miner can (``record_key`` rows go through the applied-settings record).
    ``writes(value, params)`` gives the ``(command, params)`` pairs that set ``value``.
    ``order`` (a number, or a function of the value) places it in the safe order of :func:`apply`.
    ``low``/``high`` bound what any miner takes; ``limit(miner, value)`` names what this miner's model or
    API refuses within them (a message, or None). An ``action`` (true: do it) is not managed when false.
    """

    def __init__(self, name, writes, read=None, sections=(), restarts=False, low=None, high=None, record_key=None,
                 order=50, settled=False, limit=None, action=False):
        self.name = name
        self.writes = writes
        self.read = read
        self.sections = sections
        self.restarts = restarts
        self.low = low
        self.high = high
        self.record_key = record_key
        self._order = order
        self.settled = settled  # read back until it shows (power on/off), instead of waiting for a restart
        self.limit = limit
        self.action = action

    def restarts_on(self, miner, value, params):
        """Whether setting ``value`` restarts btminer on ``miner`` (some writes restart it on one API only)."""
        return self.restarts or any(command in miner.restarting_writes for command, _sent in self.writes(value, params))

    def order(self, value):
        return self._order(value) if callable(self._order) else self._order

    def check(self, value):
        if self.low is not None and value is not None and not isinstance(value, bool):
            check_range(self.name, value, self.low, self.high)


def _one(command):
    return lambda value, params: [(command, {})]


def _switch(on, off):
    return lambda value, params: [(on if value else off, {})]


def _flag(value):
    return '1' if value else '0'


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _power_limit(sections):
    limit = sections['status'].get('power_limit')
    return limit if limit is not None else sections['summary'].get('power_limit')


def _power_mode(sections):
    return _lower(sections['status'].get('power_mode') or sections['summary'].get('power_mode'))


def _restored(sections):
    """Whether no power-percent override is active: V3 reports the override (0 = none); some V2 firmware
    reports the percent it runs at (100 = none); older firmware reports neither (None)."""
    override = sections['status'].get('power_override')
    if override is not None:
        return override == 0
    percent = sections['status'].get('power_percent')
    return None if percent is None else percent == 100


def _upfreq_limit(miner, value):
    if value > miner.upfreq_speed_max:
        return 'upfreq_speed must be between 0 and %d on API %s, got %d' % (miner.upfreq_speed_max, miner.api_label, value)
    return None


def _power_percent_limit(miner, value):
    """Above 100 percent only on liquid-cooled models (hydro: M33/M53/M63..., immersion: M36/M56/M66...)."""
    if value <= 100:
        return None
    model = miner.read('version').get('model')
    if not liquid_cooled(model):
        return ('power_percent must be between 0 and 100 on this miner (model %s); up to 200 only on hydro and immersion '
                'models (M33, M36, M53, M56, M63, M66 and their variants), got %d' % (model or 'not reported', value))
    return None


def liquid_cooled(model):
    """WhatsMiner model numbers ending in 3 are hydro-cooled, in 6 immersion-cooled (M53S, M66S+...)."""
    return bool(model and re.match(r'^M[0-9][36](?![0-9])', model.upper()))


MODE_COMMANDS = dict(low='set_low_power', normal='set_normal_power', high='set_high_power')
_STATUS = ('status', 'summary')

SETTINGS = dict((row.name, row) for row in (
    # ---- power (whatsminer_power, whatsminer_fleet_power). Safe order: start mining first, settings
    # that take effect at the next start, settings that restart btminer (one at a time), run-time
    # power targets, stop mining last.
    Setting('mining', _switch('power_on', 'power_off'), read=lambda s: s['status'].get('mining'), sections=_STATUS,
            restarts=True, settled=True, order=lambda on: 0 if on else 99),
    Setting('fast_boot', _switch('enable_btminer_fast_boot', 'disable_btminer_fast_boot'),
            read=lambda s: s['summary'].get('btminer_fast_boot'), sections=_STATUS, order=lambda on: 30 if on else 10),
    Setting('upfreq_speed', lambda v, p: [('adjust_upfreq_speed', dict(upfreq_speed=str(v)))], low=0, high=10, limit=_upfreq_limit,
            read=lambda s: s['miner_info'].get('upfreq_speed'), sections=('miner_info',), record_key='us', order=20),
    Setting('power_limit', lambda v, p: [('adjust_power_limit', dict(power_limit=str(v)))], read=_power_limit,
            sections=_STATUS, restarts=True, low=0, high=99999, order=40),
    Setting('mode', lambda v, p: [(MODE_COMMANDS[v], {})], read=_power_mode, sections=_STATUS, restarts=True, order=50),
    Setting('target_freq_percent', lambda v, p: [('set_target_freq', dict(percent=str(v)))],
            read=lambda s: s['status'].get('target_freq_percent'), sections=_STATUS, restarts=True, low=-100, high=100,
            order=60),
    Setting('restore_power_percent', _one('restore_power_pct'), read=_restored, sections=_STATUS, action=True, order=70),
    Setting('power_percent', lambda v, p: [('set_power_pct' if p.get('power_percent_method', 'fast') == 'fast'
                                            else 'set_power_pct_v2', dict(percent=str(v)))], low=0, high=200,
            limit=_power_percent_limit, read=lambda s: s['status'].get('power_percent'), sections=_STATUS, order=80),
    Setting('power', lambda v, p: [('set_power', dict(power=str(v)))], low=0, high=99999, order=90),
    # ---- cooling (whatsminer_cooling)
    Setting('temp_offset', lambda v, p: [('set_temp_offset', dict(temp_offset=str(v)))], low=-30, high=0, record_key='to'),
    Setting('fan_zero_speed', lambda v, p: [('set_fan_zero_speed', dict(fan_zero_speed=_flag(v)))], record_key='fz'),
    Setting('poweroff_cool', lambda v, p: [('set_poweroff_cool', dict(poweroff_cool=_flag(v)))], record_key='pc'),
    Setting('heat_mode', lambda v, p: [('set_heat_mode', dict(mode=v))], record_key='hm'),
    # ---- system settings (whatsminer_settings)
    Setting('timezone', lambda v, p: [('set_zone', dict(timezone=v['timezone'], zonename=v['zonename']))], record_key='tz'),
    Setting('syslog', lambda v, p: [('load_log', dict(ip=v['host'], port=str(v['port']), proto=v['proto']))], record_key='sl'),
    Setting('web_pools', _switch('enable_web_pools', 'disable_web_pools'), record_key='wp'),
    Setting('mine_on_boot', _switch('enable_btminer_init', 'disable_btminer_init'), record_key='bi'),
    # ---- recorded by their own modules (pools, LED): only their record keys live here
    Setting('pool_passwords', None, record_key='pp'),
    Setting('led', None, record_key='ld'),
))

POWER_SETTINGS = ('mining', 'mode', 'power_limit', 'target_freq_percent', 'fast_boot', 'upfreq_speed',
                  'restore_power_percent', 'power_percent', 'power')
COOLING_SETTINGS = ('temp_offset', 'fan_zero_speed', 'poweroff_cool', 'heat_mode')
SYSTEM_SETTINGS = ('timezone', 'syslog', 'web_pools', 'mine_on_boot')
RECORD_KEYS = dict((row.name, row.record_key) for row in SETTINGS.values() if row.record_key)
