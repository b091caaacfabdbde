# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Imperative operations: reboot, factory reset, log download and the raw command escape hatch."""

from __future__ import annotations

import os
import re
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import NATIVE_COMMANDS
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure, OutcomeUnknown
from ansible_collections.minerops.whatsminer.plugins.module_utils._restart import send_restarting, wait_until

REBOOT_COMMANDS = dict(system='reboot', btminer='restart_btminer')

# Commands the escape hatch may send as plain reads; everything else goes encrypted with a token.
READ_COMMANDS = ('summary', 'pools', 'edevs', 'devs', 'devdetails', 'get_psu', 'get_version', 'status',
                 'get_miner_info', 'get_error_code', 'get_token')
STREAM_COMMANDS = ('update_firmware', 'download_logs')
_COMMAND = re.compile(r'^[a-z][a-z0-9_]{1,40}(\+[a-z][a-z0-9_]{1,40})?\Z')
_V3_COMMAND = re.compile(r'^(get|set)\.[a-z]+\.[a-z_]{1,40}\Z')


def is_hashing(miner):
    summary = miner.read('summary')
    return bool(summary.get('hashrate_ths'))


def reboot(ctx):
    """Module entry point for whatsminer_reboot."""
    params = ctx.params
    command = REBOOT_COMMANDS[params['target']]
    ctx.require_password(command)
    if ctx.check_mode:
        ctx.would_write()
        return dict(changed=True, rebooted=False)
    started = time.monotonic()
    outcome = send_restarting(ctx, command, True, params['wait_timeout'])
    result = dict(changed=True, rebooted=True, replied=outcome['replied'])
    if params['wait_for_hashing']:
        remaining = max(1.0, params['wait_timeout'] - (time.monotonic() - started))
        wait_until(ctx.miner, lambda: is_hashing(ctx.miner), remaining, 'hashing again')
    result['downtime_seconds'] = round(time.monotonic() - started, 1)
    return result


def factory_reset(ctx):
    """Module entry point for whatsminer_factory_reset."""
    if not ctx.params['confirm']:
        raise ModuleFailure('factory_reset erases network, passwords, permissions and power settings; set confirm=true to do it')
    ctx.require_password('factory_reset')
    if ctx.check_mode:
        ctx.would_write()
        return dict(changed=True)
    outcome = send_restarting(ctx, 'factory_reset', False, 0)
    return dict(changed=True, replied=outcome['replied'],
                msg='factory reset sent; the miner comes back with factory network settings and the default admin password')


def download_logs(ctx):
    """Module entry point for whatsminer_logs."""
    dest = ctx.params['dest']
    if not os.path.isdir(dest):
        raise ModuleFailure('dest %s is not a directory on the controller' % dest)
    if not os.access(dest, os.W_OK):
        raise ModuleFailure('dest %s is not writable' % dest)
    ctx.require_password('download logs')
    safe_host = re.sub(r'[^A-Za-z0-9_.-]', '_', str(ctx.params.get('name') or ctx.host))
    path = os.path.join(dest, '%s-%s.tar.gz' % (safe_host, time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())))
    if ctx.check_mode:
        return dict(changed=False, path=path)
    length, checksum = ctx.miner.download_logs(path)
    if not length:
        raise ModuleFailure('the miner has no logs to download (it answered logfilelen 0)')
    return dict(changed=True, path=path, size=length, checksum=checksum)


def raw_v3_command(ctx, command):
    """An API V3 command (``get.*`` / ``set.*``): ``params`` is its ``param`` (or ``params.param`` itself)."""
    params = ctx.params['params'] or {}
    param = params['param'] if set(params) == {'param'} else (params or None)
    miner = ctx.miner
    if not miner.can(NATIVE_COMMANDS):
        raise ModuleFailure('%s is an API V3 command and %s:%s speaks API V2.2 (set api=v3 if it is a V3 miner)'
                            % (command, ctx.host, ctx.port))
    if command.startswith('get.'):
        return dict(changed=False, reply=miner.command(command, param))
    if command in ('set.system.update_firmware', 'get.log.download'):
        raise ModuleFailure('%s is a stream; use the whatsminer_firmware or whatsminer_logs module' % command)
    if ctx.check_mode:
        return dict(changed=True, reply=None)
    ctx.require_password('send %s' % command)
    try:
        reply = ctx.send(command, lambda: miner.command(command, param, write=True, restarting=ctx.params['restarting']))
    except OutcomeUnknown:
        if not ctx.params['restarting']:
            raise
        ctx.warn('%s: the miner closed the connection without a reply (usual for restarting commands); read the setting back' % command)
        return dict(changed=True, reply=None, replied=False)
    return dict(changed=True, reply=reply, replied=True)


def raw_command(ctx):
    """Module entry point for whatsminer_command."""
    params = ctx.params
    command = params['command']
    if _V3_COMMAND.match(command):
        return raw_v3_command(ctx, command)
    if not _COMMAND.match(command):
        raise ModuleFailure('command must be a WhatsMiner API command name (lower case letters, digits, underscores), got %r' % command)
    if command in STREAM_COMMANDS:
        raise ModuleFailure('%s is a stream; use minerops.whatsminer.whatsminer_%s'
                            % (command, 'firmware' if command == 'update_firmware' else 'logs'))
    command_params = {key: value if isinstance(value, (int, bool)) else str(value) for key, value in (params['params'] or {}).items()}
    for key in command_params:
        if not re.match(r'^[A-Za-z][A-Za-z0-9_]{0,31}\Z', key) or key in ('cmd', 'command', 'token'):
            raise ModuleFailure('params key %r is not allowed' % key)
    is_read = all(part in READ_COMMANDS for part in command.split('+')) and not params['encrypted']
    if is_read:
        return dict(changed=False, reply=ctx.miner.command(command, command_params))
    if ctx.check_mode:
        ctx.would_write()
        return dict(changed=True, reply=None)
    ctx.require_password('send %s' % command)
    try:
        reply = ctx.send(command, lambda: ctx.miner.command(command, command_params, write=True, restarting=params['restarting']))
    except OutcomeUnknown:
        if not params['restarting']:
            raise
        ctx.warn('%s: the miner closed the connection without a reply (usual for restarting commands); read the setting back' % command)
        return dict(changed=True, reply=None, replied=False)
    return dict(changed=command != 'get_customer_msg', reply=reply, replied=True)
