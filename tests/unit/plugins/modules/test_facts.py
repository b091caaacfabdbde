# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_facts: subset resolution and the normalised view."""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import open_miner
from ansible_collections.minerops.whatsminer.plugins.module_utils._facts import build_view, read_sections, resolve_subsets

from .fake_miner import FakeClient

ALL_BUT_MSG = ['version', 'status', 'summary', 'pools', 'devs', 'devdetails', 'psu', 'miner_info', 'error_codes']


@pytest.mark.parametrize('requested, expected', [
    (['all'], ALL_BUT_MSG),
    (['all', 'customer_msg'], ALL_BUT_MSG + ['customer_msg']),
    (['min'], ['version', 'status']),
    (['!all'], ['version', 'status']),
    (['summary'], ['version', 'status', 'summary']),
    (['all', '!error_codes', '!devs'], [s for s in ALL_BUT_MSG if s not in ('error_codes', 'devs')]),
    (['!psu'], [s for s in ALL_BUT_MSG if s != 'psu']),
])
def test_resolve_subsets(requested, expected):
    assert resolve_subsets(requested) == expected


def test_unknown_subset_names_the_choices():
    with pytest.raises(Exception) as info:
        resolve_subsets(['sumary'])
    assert 'sumary' in str(info.value) and 'summary' in str(info.value)


def test_view_is_the_same_for_api_1_and_2():
    v1 = dict(
        get_version={'STATUS': 'S', 'Code': 131, 'Msg': {'api_ver': 'whatsminer v1.4.0', 'fw_ver': '20210322.22.REL', 'miner_type': 'M30S+_VE40'}},
        status={'STATUS': 'S', 'Code': 131, 'Msg': {'btmineroff': 'false', 'Firmware Version': "'20210322.22.REL'"}},
        summary={'STATUS': [{'STATUS': 'S'}], 'SUMMARY': [{'MHS av': '100000000', 'Power': '3400', 'Power Mode': 'Normal'}]},
    )
    v2 = dict(
        get_version={'STATUS': 'S', 'Code': 131, 'Msg': {'api_ver': '2.0.5', 'fw_ver': '20210322.22.REL', 'miner_type': 'M30S+_VE40'}},
        status={'STATUS': 'S', 'Code': 131, 'Msg': {'mineroff': 'false', 'FirmwareVersion': '20210322.22.REL', 'power_mode': 'Normal'}},
        summary={'STATUS': [{'STATUS': 'S'}], 'SUMMARY': [{'MHS av': 100000000.0, 'Power': 3400, 'Power Mode': 'Normal'}]},
    )
    views = []
    for reads in (v1, v2):
        miner = open_miner(None, 'h', {}, client=FakeClient(reads=reads))
        views.append(build_view(read_sections(miner, ['version', 'status', 'summary']), 'h', 4028))
    for view in views:
        del view['api_version']
    assert views[0] == views[1]
    assert views[0]['model'] == 'M30S+'
    assert views[0]['firmware_version'] == '20210322.22.REL'
    assert views[0]['hashrate_ths'] == 100.0
    assert views[0]['efficiency_jth'] == 34.0
    assert views[0]['mining'] is True
