# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Admin password rotation (whatsminer_password) with update_pwd."""

from __future__ import annotations

import re

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import WrongPassword

_PASSWORD = re.compile(r'^[A-Za-z0-9_]{1,8}\Z')
# API V3 documents no rule; printable ASCII without spaces, at most 32, is what every known client sends.
_V3_PASSWORD = re.compile(r'^[\x21-\x7e]{1,32}\Z')


def check_password(option, value, api='v2'):
    if api == 'v3':
        if not isinstance(value, str) or not _V3_PASSWORD.match(value):
            raise ModuleFailure('%s must be 1 to 32 printable ASCII characters without spaces (API V3 account password)' % option)
        return
    if not value or not _PASSWORD.match(value):
        raise ModuleFailure('%s must be 1 to 8 letters, digits or underscores (the miner accepts nothing else)' % option)


def password_works(ctx, password):
    """Whether ``password`` opens the write channel: ask for a token and read the customer messages."""
    probe = ctx.make_client(password=password)
    # API V3 proves a password only with a write that changes nothing; V2.2 with a token and a read.
    verify = getattr(probe, 'verify_credentials', None) or probe.check_credentials
    try:
        verify()
    except WrongPassword:
        return False
    return True


def ensure_password(ctx):
    """Module entry point for whatsminer_password (the admin password; on API V3 the v3_account's)."""
    params = ctx.params
    new = params['new_password']
    # API V3 keeps its account passwords apart from the V2.2 admin password (v3_password, else password).
    api = ctx.api()
    current = (params.get('v3_password') or params.get('password')) if api == 'v3' else params.get('password')
    check_password('new_password', new, api)
    if not current:
        raise ModuleFailure('password (the current admin password) is required to change it')
    check_password('v3_password' if api == 'v3' and params.get('v3_password') else 'password', current, api)
    if password_works(ctx, new):
        return dict(changed=False, password_changed=False, msg='the new password is already the admin password')
    if not password_works(ctx, current):
        raise ModuleFailure('neither the current password nor new_password is accepted by the miner; nothing was sent')
    if ctx.check_mode:
        return dict(changed=True, password_changed=False)
    ctx.write('update_pwd', old=current, new=new)
    if not password_works(ctx, new):
        raise ModuleFailure('the miner accepted update_pwd but the new password does not work; the old one may still be in force')
    return dict(changed=True, password_changed=True, msg='the admin password was changed; use the new password from now on')
