# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin's second line of defence: a secret the task was given never leaves in its result.

(That what miners send is never templated is tested end to end on every supported ansible-core, in
tests/integration/test_hostile_peers.py.)"""

from __future__ import annotations

from unittest import mock

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import with_connection_options
from ansible_collections.minerops.whatsminer.plugins.plugin_utils.action import WhatsMinerActionModule


class LeakyModule:
    """A module whose resource function (wrongly) puts the admin password and a pool password in its result."""

    @staticmethod
    def argument_spec():
        return with_connection_options(dict(pool_password=dict(type='str', no_log=True)))

    @staticmethod
    def run(ctx):
        return dict(changed=False, msg='echo %s / %s' % (ctx.params['password'], ctx.params['pool_password']),
                    nested=dict(value=ctx.params['password']))


def _run(args, task_vars=None):
    task = mock.MagicMock(args=args, check_mode=False, diff=False, async_val=0, action='minerops.whatsminer.leaky')
    action = type('LeakyAction', (WhatsMinerActionModule,), dict(MODULE=LeakyModule, TARGETS_MINER=False))(
        task, mock.MagicMock(), mock.MagicMock(), loader=mock.MagicMock(), templar=mock.MagicMock(), shared_loader_obj=None)
    return action.run(task_vars=task_vars or {})


def test_secrets_given_to_the_task_are_masked_in_its_result():
    result = _run(dict(host='192.0.2.10', password='Adm1n_pw', pool_password='p00l-secret'))
    text = repr(result)
    assert 'Adm1n_pw' not in text and 'p00l-secret' not in text, text
    assert result['msg'] == 'echo ******** / ********'
    assert result['nested']['value'] != 'Adm1n_pw'


def test_short_values_are_not_masked_everywhere():
    """A one- or two-character pool password is no secret; masking it would garble every word holding it."""
    result = _run(dict(host='192.0.2.10', password='Adm1n_pw', pool_password='x'))
    assert result['msg'] == 'echo ******** / x'
