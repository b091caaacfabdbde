# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_power against the simulator: restarts awaited, read back, idempotent."""

from __future__ import annotations

import time

PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: power
      minerops.whatsminer.whatsminer_power:
        mode: low
        power_limit: 3000
        target_freq_percent: -10
        fast_boot: true
'''


def test_changed_then_ok_with_restarts(fleet, playbook):
    first = playbook(fleet, PLAY, diff=True)
    assert first.returncode == 0, first.output
    result = first.result('power', fleet.ids[0])
    assert result['changed'] is True
    assert result['commands'] == ['enable_btminer_fast_boot', 'adjust_power_limit', 'set_low_power', 'set_target_freq']
    assert result['state'] == dict(mining=True, mode='low', power_limit=3000, target_freq_percent=-10, fast_boot=True)
    settings = fleet.state(fleet.ids[0])['settings']
    assert (settings['power_mode'], settings['power_limit'], settings['target_freq'], settings['fast_boot']) == ('Low', 3000, -10, True)

    second = playbook(fleet, PLAY)
    assert second.returncode == 0, second.output
    assert set(second.changed('power').values()) == {False}


def test_check_mode_changes_nothing(fleet, playbook):
    before = fleet.state(fleet.ids[0])['settings']
    run = playbook(fleet, PLAY, check=True, diff=True)
    assert run.returncode == 0, run.output
    assert set(run.changed('power').values()) == {True}
    assert fleet.state(fleet.ids[0])['settings'] == before
    assert fleet.changes_sent(fleet.ids[0]) == {}
    assert "+    \"mode\": \"low\"" in run.output or '"mode": "low"' in run.output


def test_stop_and_start_mining(fleet, playbook):
    stop = playbook(fleet, PLAY.replace('mode: low\n        power_limit: 3000\n        target_freq_percent: -10\n        fast_boot: true', 'mining: false'))
    assert stop.returncode == 0, stop.output
    assert fleet.state(fleet.ids[0])['mining'] is False
    start = playbook(fleet, PLAY.replace('mode: low\n        power_limit: 3000\n        target_freq_percent: -10\n        fast_boot: true', 'mining: true'))
    assert start.returncode == 0, start.output
    assert start.result('power', fleet.ids[0])['commands'] == ['power_on']
    assert fleet.state(fleet.ids[0])['mining'] is True


def test_unreadable_power_percent_is_honest(fleet, playbook):
    play = PLAY.replace('mode: low\n        power_limit: 3000\n        target_freq_percent: -10\n        fast_boot: true', 'power_percent: 50')
    for _run in range(2):
        run = playbook(fleet, play)
        assert run.returncode == 0, run.output
        result = run.result('power', fleet.ids[0])
        assert result['changed'] is True
        assert result['unverified'] == ['power_percent']
        assert 'cannot be read back' in ' '.join(result['warnings'])


def test_wait_false_returns_pending_restart(make_fleet, playbook):
    fleet = make_fleet(miners=1, restart_seconds=3)
    play = PLAY.replace('mode: low\n        power_limit: 3000\n        target_freq_percent: -10\n        fast_boot: true', 'mode: high\n        wait: false')
    started = time.monotonic()
    run = playbook(fleet, play)
    assert run.returncode == 0, run.output
    assert time.monotonic() - started < 10
    result = run.result('power')
    assert result['pending_restart'] is True
    assert result['changed'] is True


def test_bad_input_refused_before_any_request(fleet, playbook):
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    for option in ('power_limit: 100000', 'target_freq_percent: 101', 'power_percent: -1', 'upfreq_speed: 10',
                   'mode: turbo', 'fast_boot: true\n        upfreq_speed: 2'):
        play = PLAY.replace('mode: low\n        power_limit: 3000\n        target_freq_percent: -10\n        fast_boot: true', option)
        run = playbook(fleet, play, limit=miner)
        assert run.returncode != 0
        assert option.split(':', maxsplit=1)[0] in run.result('power')['msg'], run.result('power')['msg']
    assert fleet.counts(miner) == before
