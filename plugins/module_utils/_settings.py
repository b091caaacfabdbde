# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write-only miner settings: cooling (whatsminer_cooling) and system settings (whatsminer_settings).

None of them can be read back from API V2.2; idempotence comes from the applied-settings
record (see _applied.py).
"""

from __future__ import annotations

import re

from ansible_collections.minerops.whatsminer.plugins.module_utils._engine import converge_settings
from ansible_collections.minerops.whatsminer.plugins.module_utils._table import COOLING_SETTINGS
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_hostname, check_range, check_text

_POSIX_TZ = re.compile(r'^[A-Za-z<>+\-0-9,./:]{3,64}\Z')
_ZONE_NAME = re.compile(r'^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){0,2}\Z')

# The options of whatsminer_cooling and whatsminer_settings (without the connection and record options);
# whatsminer_config takes them as its cooling and settings sections.
COOLING_SPEC = dict(
    temp_offset=dict(type='int'),
    fan_zero_speed=dict(type='bool'),
    poweroff_cool=dict(type='bool'),
    heat_mode=dict(type='str', choices=['anti-icing', 'heating', 'normal']),
)
SETTINGS_SPEC = dict(
    timezone=dict(type='str'),
    zonename=dict(type='str'),
    syslog=dict(type='dict', options=dict(
        host=dict(type='str', required=True),
        port=dict(type='int', default=514),
        proto=dict(type='str', choices=['udp', 'tcp'], default='udp'),
    )),
    web_pools=dict(type='bool'),
    mine_on_boot=dict(type='bool'),
)
SETTINGS_SPEC_KWARGS = dict(required_together=[('timezone', 'zonename')])


def ensure_cooling(ctx):
    """Module entry point for whatsminer_cooling."""
    params = ctx.params
    wanted = {name: params.get(name) for name in COOLING_SETTINGS}
    if all(value is None for value in wanted.values()):
        raise ModuleFailure('set at least one of temp_offset, fan_zero_speed, poweroff_cool, heat_mode')
    ctx.require_password('change cooling settings')
    return converge_settings(ctx, wanted)


def validate_settings(params):
    timezone = None
    if params.get('timezone') is not None or params.get('zonename') is not None:
        if params.get('timezone') is None or params.get('zonename') is None:
            raise ModuleFailure('timezone and zonename go together (for example timezone=CST-8, zonename=Asia/Shanghai)')
        if not _POSIX_TZ.match(params['timezone']):
            raise ModuleFailure('timezone must be a POSIX TZ string such as CST-8 or UTC0, got %r' % params['timezone'])
        check_text('zonename', params['zonename'], 64, allow_empty=False)
        if not _ZONE_NAME.match(params['zonename']):
            raise ModuleFailure('zonename must be a zone name such as Asia/Shanghai, got %r' % params['zonename'])
        timezone = dict(timezone=params['timezone'], zonename=params['zonename'])
    syslog = params.get('syslog')
    if syslog is not None:
        check_hostname('syslog.host', syslog['host'])
        check_text('syslog.host', syslog['host'], 64, allow_empty=False)
        check_range('syslog.port', syslog['port'], 1, 65535)
        syslog = dict(host=syslog['host'], port=syslog['port'], proto=syslog['proto'])
    return dict(timezone=timezone, syslog=syslog, web_pools=params.get('web_pools'), mine_on_boot=params.get('mine_on_boot'))


def ensure_settings(ctx):
    """Module entry point for whatsminer_settings."""
    wanted = validate_settings(ctx.params)
    if all(value is None for value in wanted.values()):
        raise ModuleFailure('set at least one of timezone/zonename, syslog, web_pools, mine_on_boot')
    ctx.require_password('change settings')
    return converge_settings(ctx, wanted)
