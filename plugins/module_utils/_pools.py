# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read, compare and apply a miner's pool list (update_pools)."""

from __future__ import annotations

import re
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils._green import pause
from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import AppliedRecord
from ansible_collections.minerops.whatsminer.plugins.module_utils._engine import converge
from ansible_collections.minerops.whatsminer.plugins.module_utils._restart import send_restarting
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_hostname, check_text

POOL_SLOTS = 3
URL_SCHEMES = ('stratum+tcp', 'stratum+ssl', 'stratum+tls', 'stratum2+tcp', 'stratum2+ssl')
MAX_URL_LENGTH = 255
MAX_USER_LENGTH = 127
MAX_PASSWORD_LENGTH = 127
_URL = re.compile(r'^(?P<scheme>[a-z0-9+]+)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]]+):(?P<port>[0-9]{1,5})/?\Z')

# How long to wait for the pool list to show an update_pools (firmware reloads it in the background).
READBACK_SECONDS = 10.0
# How long before concluding the firmware applies pools only when btminer next starts (and restarting it).
PENDING_SECONDS = 5.0
RESTART_WAIT_SECONDS = 300

# The options of whatsminer_pools (without the connection and record options).
POOLS_SPEC = dict(
    pools=dict(type='list', elements='dict', required=True, options=dict(
        url=dict(type='str', required=True),
        user=dict(type='str', required=True),
        password=dict(type='str', default='', no_log=True),
    )),
    update_password=dict(type='str', choices=['on_change', 'always'], default='on_change', no_log=False),
)


_CREDENTIALS = re.compile(r'^(?P<scheme>[^:/]*://)(?P<userinfo>[^@/]*)@')


def _without_credentials(url):
    """The URL as it may be shown: ``user:password@`` (never accepted, never echoed) masked."""
    return _CREDENTIALS.sub(lambda m: m.group('scheme') + '********@', url)


def validate_pools(pools):
    """Check the wanted pool list before anything is sent; return it normalised."""
    if not pools:
        raise ModuleFailure('pools must list between 1 and %d pools' % POOL_SLOTS)
    if len(pools) > POOL_SLOTS:
        raise ModuleFailure('pools lists %d pools; a WhatsMiner has %d pool slots' % (len(pools), POOL_SLOTS))
    wanted = []
    for index, pool in enumerate(pools, start=1):
        where = 'pools[%d]' % index
        url = check_text(where + '.url', pool['url'], MAX_URL_LENGTH, allow_empty=False)
        match = _URL.match(url)
        if not match or match.group('scheme') not in URL_SCHEMES:
            raise ModuleFailure('%s.url must look like stratum+tcp://host:port (schemes: %s), got %r'
                                % (where, ', '.join(URL_SCHEMES), _without_credentials(url)))
        host = match.group('host')
        if not host.startswith('['):
            check_hostname(where + '.url host', host)
        if not 1 <= int(match.group('port')) <= 65535:
            raise ModuleFailure('%s.url port must be between 1 and 65535, got %s' % (where, match.group('port')))
        user = check_text(where + '.user', pool['user'], MAX_USER_LENGTH, allow_empty=False)
        password = check_text(where + '.password', pool.get('password') or '', MAX_PASSWORD_LENGTH)
        wanted.append(dict(url=url, user=user, password=password))
    urls = [pool['url'] + ' ' + pool['user'] for pool in wanted]
    if len(set(urls)) != len(urls):
        raise ModuleFailure('pools lists the same url and user twice')
    return wanted


def read_pools(miner):
    """The configured pools in priority order, as ``[{url, user}]`` (passwords cannot be read)."""
    pools = miner.read('pools')
    pools = sorted(pools, key=lambda pool: (pool.get('priority') if pool.get('priority') is not None else 99, pool.get('index') or 0))
    return [dict(url=pool.get('url') or '', user=pool.get('user') or '') for pool in pools if pool.get('url')]


def update_pools_params(wanted):
    """update_pools always carries all three slots; unused ones are sent empty, never null."""
    params = {}
    for slot in range(1, POOL_SLOTS + 1):
        pool = wanted[slot - 1] if slot <= len(wanted) else dict(url='', user='', password='')
        params['pool%d' % slot] = pool['url']
        params['worker%d' % slot] = pool['user']
        params['passwd%d' % slot] = pool['password']
    return params


def ensure_pools(ctx):
    """Module entry point for whatsminer_pools."""
    wanted = validate_pools(ctx.params['pools'])
    ctx.require_password('update pools')
    before = read_pools(ctx.miner)
    after = [dict(url=pool['url'], user=pool['user']) for pool in wanted]
    passwords = dict(pool_passwords=[pool['password'] for pool in wanted])
    record = AppliedRecord(ctx)
    force = ctx.params['update_password'] == 'always' or (record.slot is not None and bool(record.to_send(passwords, secret=('pool_passwords',))))
    if force and before == after:
        # Passwords cannot be read back: they are sent because asked to, or because the record differs.
        after_for_diff = [dict(pool, password='(re-sent)') for pool in after]
        before_for_diff = [dict(pool, password='(unknown)') for pool in before]
    else:
        after_for_diff, before_for_diff = after, before

    def apply():
        ctx.write('update_pools', **update_pools_params(wanted))
        restarted = apply_pending_pools(ctx, after, restart_follows=ctx.params.get('restart_follows'))
        result['restarted'] = bool(restarted)
        if restarted is None:
            result['pending_restart'] = True  # whatsminer_config settles it after its power section
        record.save(passwords, secret=('pool_passwords',))

    if before == after and not force and record.slot is None and any(pool['password'] for pool in wanted):
        ctx.warn('pool passwords cannot be read back: a changed pool password is not seen without record_slot, and '
                 'this task reports ok without knowing whether the miner has the passwords given (set record_slot, '
                 'or update_password: always to send them)')
    # A diff's before/after must be dicts (or text) for Ansible's diff callback.
    result = dict(pools=after, restarted=False)
    result = converge(ctx, dict(pools=before_for_diff), dict(pools=after_for_diff), apply, result=result)
    if not result['changed']:
        result['pools'] = before
    result['password_updated'] = result['changed']
    return result


def apply_pending_pools(ctx, expected, restart_follows=False):
    """Wait for the pools to show; firmware that applies update_pools only when btminer next starts (as MicroBT's
    own fleet worker assumes) gets btminer restarted once, then the pools are read back. True when it restarted.

    ``restart_follows``: a later part of the task restarts btminer anyway (whatsminer_config's power section), so
    pools still pending are left for that restart (None; :func:`settle_pending_pools` reads them back after it).
    """
    try:
        wait_for_pools(ctx.miner, expected, seconds=PENDING_SECONDS)
        return False
    except ModuleFailure:
        pass
    pending = ('the miner accepted update_pools but kept its old pools for %g s: this firmware applies pools when btminer '
               'next starts' % PENDING_SECONDS)
    if restart_follows:
        ctx.warn(pending + ', which the power change of this task does; they are read back after it')
        return None
    ctx.warn(pending + ', so btminer was restarted')
    send_restarting(ctx, 'restart_btminer', True, RESTART_WAIT_SECONDS)
    wait_for_pools(ctx.miner, expected)
    return True


def settle_pending_pools(ctx):
    """Pools left for a later btminer restart (``pending_restart``): read them back now, restarting btminer once
    more if they still do not show. Returns the pools section's result update."""
    expected = [dict(url=pool['url'], user=pool['user']) for pool in validate_pools(ctx.params['pools'])]
    restarted = apply_pending_pools(ctx, expected)
    return dict(pending_restart=False, restarted=restarted, pools=expected)


def wait_for_pools(miner, expected, seconds=READBACK_SECONDS, interval=0.5):
    deadline = time.monotonic() + seconds
    while True:
        current = read_pools(miner)
        if current == expected:
            return current
        if time.monotonic() >= deadline:
            raise ModuleFailure('the miner accepted update_pools but still reports other pools after %g s' % seconds,
                                pools=current)
        pause(interval)
