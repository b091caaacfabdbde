# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_power compare/apply logic: ordering, unreadable settings, validation."""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import _restart as restart
from ansible_collections.minerops.whatsminer.plugins.module_utils._power import ensure_power
from ansible_collections.minerops.whatsminer.plugins.modules.whatsminer_power import argument_spec

from .fake_miner import FakeClient, status_reply, summary_reply, run

MODE_NAMES = dict(set_low_power='Low', set_normal_power='Normal', set_high_power='High')


class Miner:
    """Just enough state for the read-back after each write."""

    def __init__(self, mining=True, mode='Normal', limit=3600, percent=0, fast_boot=False, miner_type='M50_VH50'):
        self.state = dict(mining=mining, mode=mode, limit=limit, percent=percent, fast_boot=fast_boot)
        self.client = FakeClient(reads={
            'status': lambda: status_reply(self.state['mining'], self.state['mode'], self.state['limit'], self.state['percent']),
            'summary': lambda: summary_reply(self.state['fast_boot'], self.state['mode'], self.state['limit']),
            'get_version': {'STATUS': 'S', 'Code': 131, 'Msg': {'fw_ver': 'x', 'miner_type': miner_type}},
        }, on_write=self.apply)

    def apply(self, client, command, params):
        if command in MODE_NAMES:
            self.state['mode'] = MODE_NAMES[command]
        elif command == 'adjust_power_limit':
            self.state['limit'] = int(params['power_limit'])
        elif command == 'set_target_freq':
            self.state['percent'] = int(params['percent'])
        elif command in ('power_on', 'power_off'):
            self.state['mining'] = command == 'power_on'
        elif command.endswith('btminer_fast_boot'):
            self.state['fast_boot'] = command.startswith('enable')


@pytest.fixture(autouse=True)
def no_restart_wait(monkeypatch):
    monkeypatch.setattr(restart, 'wait_for_restart', lambda *args, **kwargs: 1.0)


def _run(miner, check_mode=False, **params):
    return run(ensure_power, miner.client, params, check_mode=check_mode, module_spec=argument_spec())


@pytest.mark.parametrize('check_mode', [False, True])
def test_changes_in_safe_order(check_mode):
    miner = Miner(mining=False)
    result = _run(miner, check_mode=check_mode, mining=True, mode='low', power_limit=3000, fast_boot=True)
    assert result['changed'] is True
    expected = ['power_on', 'enable_btminer_fast_boot', 'adjust_power_limit', 'set_low_power']
    assert miner.client.writes == ([] if check_mode else expected)
    assert result['diff']['before']['mode'] == 'normal'
    assert result['diff']['after']['mode'] == 'low'
    if not check_mode:
        assert result['state'] == dict(mining=True, mode='low', power_limit=3000, target_freq_percent=0, fast_boot=True)


@pytest.mark.parametrize('check_mode', [False, True])
def test_idempotent(check_mode):
    miner = Miner()
    result = _run(miner, check_mode=check_mode, mining=True, mode='normal', power_limit=3600, target_freq_percent=0, fast_boot=False)
    assert result['changed'] is False
    assert miner.client.writes == []


def test_stop_mining_is_last():
    miner = Miner()
    result = _run(miner, mining=False, target_freq_percent=-10)
    assert miner.client.writes == ['set_target_freq', 'power_off']
    assert result['state']['mining'] is False


def test_unreadable_settings_are_sent_and_reported():
    miner = Miner()
    result = _run(miner, power_percent=50)
    assert result['changed'] is True
    assert result['unverified'] == ['power_percent']
    assert miner.client.writes == ['set_power_pct']
    assert any('cannot be read back' in warning for warning in result['warnings'])
    assert _run(Miner(), power_percent=50, power_percent_method='normal')['commands'] == ['set_power_pct_v2']


def test_wait_false_refuses_two_restarts():
    miner = Miner()
    result = _run(miner, wait=False, mode='low', power_limit=3000)
    assert result['failed'] is True
    assert 'wait=false' in result['msg']
    assert miner.client.writes == []


@pytest.mark.parametrize('params, message', [
    (dict(power_limit=100000), 'power_limit must be between 0 and 99999'),
    (dict(target_freq_percent=-101), 'target_freq_percent must be between -100 and 100'),
    (dict(power_percent=201), 'power_percent must be between 0 and 200'),
    (dict(upfreq_speed=10), 'upfreq_speed must be between 0 and 9'),
    (dict(fast_boot=True, upfreq_speed=3), 'fast_boot=true cannot be combined'),
    (dict(restore_power_percent=True, power_percent=5), 'restore_power_percent'),
])
def test_bad_input_refused_before_any_request(params, message):
    miner = Miner()
    result = _run(miner, **params)
    assert result['failed'] is True
    assert message in result['msg']
    assert miner.client.calls == []


@pytest.mark.parametrize('miner_type, allowed', [('M50_VH50', False), ('M30S++_VE40', False), ('M60S+_VK30', False),
                                                 ('M63_VK30', True), ('M53S_VH30', True), ('M66S+_VK30', True),
                                                 ('M56S++_VH20', True), ('M33S++_VG40', True), ('', False)])
def test_power_percent_above_100_only_on_liquid_cooled_models(miner_type, allowed):
    miner = Miner(miner_type=miner_type)
    result = _run(miner, power_percent=150)
    if allowed:
        assert miner.client.writes == ['set_power_pct']
        return
    assert result['failed'] is True
    assert 'power_percent must be between 0 and 100 on this miner (model %s)' % (miner_type.split('_')[0] or 'not reported') in result['msg']
    assert 'nothing was sent' in result['msg']
    assert miner.client.writes == []


def test_power_percent_up_to_100_needs_no_model():
    miner = Miner(miner_type='')
    _run(miner, power_percent=100)
    assert miner.client.writes == ['set_power_pct']
    assert ('read', 'get_version') not in miner.client.calls
