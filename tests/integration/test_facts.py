# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_facts against the simulator: normalised view, subsets, API 1.x/2.x, unreachable miners."""

from __future__ import annotations

PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        gather_subset: %s
        fail_on_unreachable: %s
'''


def test_full_view_for_mixed_models(make_fleet, playbook):
    fleet = make_fleet(miners=4, models=['M30S+', 'M50', 'M60', 'M63'])
    run = playbook(fleet, PLAY % ('[all]', 'true'))
    assert run.returncode == 0, run.output
    for miner in fleet.miners:
        facts = run.result('facts', miner['id'])['ansible_facts']['whatsminer']
        assert facts['reachable'] is True
        assert facts['model'] == miner['model']
        assert facts['firmware_version'] == fleet.state(miner['id'])['firmware_version']
        assert facts['network']['ip'] == miner['host']
        assert facts['power_mode'] == 'normal'
        assert facts['mining'] is True
        assert facts['hashrate_ths'] > 0 and facts['power_w'] > 0
        assert abs(facts['efficiency_jth'] / (facts['power_w'] / facts['hashrate_ths']) - 1) < 0.01
        assert len(facts['boards']) == 3
        assert facts['psu']['input_power_w'] > 0
        assert 'customer_msg' not in facts  # only when named: it costs a token slot
        assert set(facts['raw']) == set(facts['gathered_subsets'])
        assert run.result('facts', miner['id'])['changed'] is False


def test_subsets_and_exclusions(fleet, playbook):
    run = playbook(fleet, PLAY % ("['summary', '!psu']", 'true'))
    assert run.returncode == 0, run.output
    facts = run.result('facts', fleet.ids[0])['ansible_facts']['whatsminer']
    assert facts['gathered_subsets'] == ['version', 'status', 'summary']
    assert 'psu' not in facts and 'pools' not in facts
    bad = playbook(fleet, PLAY % ("['sumary']", 'true'))
    assert bad.returncode != 0
    assert "gather_subset 'sumary' is not one of" in bad.result('facts', fleet.ids[0])['msg']


def test_api_1x_and_quirky_firmware_give_the_same_view(make_fleet, playbook):
    old = make_fleet(miners=1, models=['M30S+'], extra_args=['--api-version', '1', '--field-quirks'])
    new = make_fleet(miners=1, models=['M30S+'])
    views = []
    for fleet in (old, new):
        run = playbook(fleet, PLAY % ("['all', '!error_codes']", 'true'))
        assert run.returncode == 0, run.output
        views.append(run.result('facts')['ansible_facts']['whatsminer'])
    assert views[0]['api_version'].startswith('1.')
    assert views[1]['api_version'].startswith('2.')
    for key in ('model', 'firmware_version', 'mining', 'power_mode', 'power_limit_w'):
        assert views[0][key] == views[1][key], key
    assert views[0]['psu']['vendor'] is not None


def test_error_codes_decoded(fleet, playbook):
    fleet.fault(fleet.ids[0], 'error_code', code=530)
    run = playbook(fleet, PLAY % ("['error_codes']", 'true'))
    codes = run.result('facts', fleet.ids[0])['ansible_facts']['whatsminer']['error_codes']
    assert any(entry['code'] == 530 and entry['description'] != 'unknown' for entry in codes), codes


def test_unreachable(fleet, playbook):
    fleet.fault(fleet.ids[0], 'refuse')
    strict = playbook(fleet, PLAY % ('[min]', 'true'))
    assert strict.failed('facts') == {fleet.ids[0]: True, fleet.ids[1]: False}
    assert strict.unreachable('facts') == {fleet.ids[0]: True, fleet.ids[1]: False}  # PLAY RECAP: unreachable=1
    assert 'unreachable=1' in strict.output
    assert fleet.miners[0]['host'] in strict.result('facts', fleet.ids[0])['msg']
    lenient = playbook(fleet, PLAY % ('[min]', 'false'))
    assert lenient.returncode == 0, lenient.output
    facts = lenient.result('facts', fleet.ids[0])['ansible_facts']['whatsminer']
    assert facts['reachable'] is False and facts['error']
