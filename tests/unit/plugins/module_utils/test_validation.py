# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input checks of issue #14: host names, seconds, YAML booleans, V3 password rule."""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import V2Miner, V3Miner
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._password import check_password
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import (
    check_hostname,
    check_seconds,
    refuse_yaml_booleans,
)
from ansible_collections.minerops.whatsminer.plugins.modules.whatsminer_customer_msg import argument_spec as customer_msg_spec
from ansible_collections.minerops.whatsminer.plugins.modules.whatsminer_pools import argument_spec as pools_spec


@pytest.mark.parametrize('name', ['miner01.site.example.', 'miner01.site.example', 'rig-1', '10.0.0.1', '::1'])
def test_host_names_accepted(name):
    assert check_hostname('host', name) == name


@pytest.mark.parametrize('name', ['.', 'a..b', 'rig_1', 'rig 1', '-rig', 'rig.example..'])
def test_host_names_refused(name):
    with pytest.raises(ModuleFailure) as info:
        check_hostname('host', name)
    assert info.value.msg.startswith('host must be')


@pytest.mark.parametrize('value', [float('inf'), float('-inf'), float('nan'), 1e308, 0, -1, 3601, True, '5'])
def test_seconds_refused(value):
    with pytest.raises(ModuleFailure) as info:
        check_seconds('timeout', value, 0.001, 3600)
    assert 'timeout must be a number of seconds between 0.001 and 3600' in info.value.msg


@pytest.mark.parametrize('value', [0.001, 1, 10.5, 3600])
def test_seconds_accepted(value):
    assert check_seconds('timeout', value, 0.001, 3600) == value


def test_booleans_refused_in_nested_text_options():
    args = dict(pools=[dict(url='stratum+tcp://a:1', user='u', password='x'), dict(url='stratum+tcp://b:1', user='u', password=False)])
    with pytest.raises(ModuleFailure) as info:
        refuse_yaml_booleans(pools_spec(), args)
    assert info.value.msg.startswith('pools[2].password got the boolean False')
    with pytest.raises(ModuleFailure) as info:
        refuse_yaml_booleans(customer_msg_spec(), dict(messages=dict(msg0=True)))
    assert 'messages.msg0' in info.value.msg
    refuse_yaml_booleans(pools_spec(), dict(pools=[dict(url='stratum+tcp://a:1', user='u', password='no')]))


def test_password_rules_per_api():
    check_password('new_password', 'Abc_1234', V2Miner)
    with pytest.raises(ModuleFailure):
        check_password('new_password', 'Abcdefghi_12', V2Miner)
    check_password('new_password', 'Abcdefghi_12!#', V3Miner)
    for bad in ('', 'has space', 'x' * 33, 'caf\u00e9'):
        with pytest.raises(ModuleFailure) as info:
            check_password('new_password', bad, V3Miner)
        assert 'API V3' in info.value.msg
