# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Admin password rotation (whatsminer_password) with update_pwd."""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure, WrongPassword


def check_password(option, value, miner):
    """Refuse a password the miner's API cannot take (the rule is the Miner's ``password_rule``)."""
    if not isinstance(value, str) or not miner.password_pattern.match(value):
        raise ModuleFailure('%s must be %s' % (option, miner.password_rule))


def password_works(ctx, password):
    """Whether ``password`` opens the write channel (Miner.check_credentials, on a connection of its own)."""
    probe = ctx.open_miner(password=password)
    try:
        probe.check_credentials()
    except WrongPassword:
        return False
    return True


def ensure_password(ctx):
    """Module entry point for whatsminer_password (the admin password; on API V3 the v3_account's)."""
    params = ctx.params
    new = params['new_password']
    miner = ctx.miner
    # The options that may hold the current password, in the order this miner's API takes them.
    option = next((name for name in miner.password_options if params.get(name)), miner.password_options[-1])
    current = params.get(option)
    check_password('new_password', new, miner)
    if not current:
        raise ModuleFailure('password (the current admin password) is required to change it')
    check_password(option, current, miner)
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
