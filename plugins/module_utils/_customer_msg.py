# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Customer messages (whatsminer_customer_msg): CustomerSn and msg0-msg9, read back with get_customer_msg."""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_PREFIX
from ansible_collections.minerops.whatsminer.plugins.module_utils._engine import converge
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import check_text

MESSAGE_KEYS = ['CustomerSn'] + ['msg%d' % n for n in range(10)]
MAX_LENGTH = 127

# The options of whatsminer_customer_msg (without the connection options).
CUSTOMER_MSG_SPEC = dict(
    customer_sn=dict(type='str'),
    messages=dict(type='dict', default={}),
    exclusive=dict(type='bool', default=False),
    record_slot=dict(type='str'),
)


def wanted_messages(params):
    """The messages to set (key -> text), checked before anything is sent."""
    unknown = sorted(set(params.get('messages') or {}) - set(MESSAGE_KEYS))
    if unknown:
        raise ModuleFailure('messages has unknown keys %s; allowed: %s' % (', '.join(unknown), ', '.join(MESSAGE_KEYS)))
    given = dict(params.get('messages') or {})
    if params.get('customer_sn') is not None:
        given['CustomerSn'] = params['customer_sn']
    wanted = dict((key, check_text('messages.%s' % key, str(value), MAX_LENGTH, allow_spaces=True))
                  for key, value in given.items() if value is not None)
    if params.get('record_slot') in wanted:
        raise ModuleFailure('%s is the applied-settings record_slot; manage it with the other modules, not as a message'
                            % params['record_slot'])
    if params['exclusive']:
        for key in MESSAGE_KEYS:
            if key != params.get('record_slot'):
                wanted.setdefault(key, '')
    if not wanted:
        raise ModuleFailure('set customer_sn or messages')
    return wanted


def ensure_customer_msg(ctx):
    """Module entry point for whatsminer_customer_msg."""
    params = ctx.params
    wanted = wanted_messages(params)
    ctx.require_password('read and write customer messages')
    current = ctx.miner.customer_messages()
    for key, value in wanted.items():
        if current.get(key, '').startswith(RECORD_PREFIX + ';') and value != current.get(key):
            raise ModuleFailure('%s holds an applied-settings record of this collection; it is not overwritten as a message' % key)
    before = {key: current.get(key, '') for key in sorted(wanted)}
    after = {key: wanted[key] for key in sorted(wanted)}

    def apply():
        for key in sorted(wanted):
            if before[key] != after[key]:
                ctx.write('set_customer_msg', key=key, val=after[key])

    result = converge(ctx, before, after, apply)
    result['messages'] = dict(current, **after) if result['changed'] else current
    return result
