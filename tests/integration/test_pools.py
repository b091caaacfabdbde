# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_pools against the simulator, through real ansible-playbook runs."""

from __future__ import annotations

POOL_PASSWORD = 'poolSecret77'

PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: pools
      minerops.whatsminer.whatsminer_pools:
        pools:
          - url: stratum+tcp://pool.example.com:3333
            user: "acct.{{ inventory_hostname }}"
            password: %s
          - url: stratum+tcp://backup.example.com:443
            user: acct.backup
''' % POOL_PASSWORD


def _pool_urls(state):
    return [(pool['url'], pool['user']) for pool in state['settings']['pools'] if pool['url']]


def test_changed_then_ok_and_miner_updated(fleet, playbook):
    first = playbook(fleet, PLAY)
    assert first.returncode == 0, first.output
    assert set(first.changed('pools').values()) == {True}
    for miner_id in fleet.ids:
        assert _pool_urls(fleet.state(miner_id)) == [
            ('stratum+tcp://pool.example.com:3333', 'acct.%s' % miner_id),
            ('stratum+tcp://backup.example.com:443', 'acct.backup'),
        ]
        assert fleet.state(miner_id)['settings']['pools'][0]['password'] == POOL_PASSWORD
        assert fleet.state(miner_id)['settings']['pools'][2]['url'] == ''
    writes = {miner_id: fleet.writes(miner_id) for miner_id in fleet.ids}

    second = playbook(fleet, PLAY)
    assert second.returncode == 0, second.output
    assert set(second.changed('pools').values()) == {False}
    assert {miner_id: fleet.writes(miner_id) for miner_id in fleet.ids} == writes
    assert second.result('pools', fleet.ids[0])['commands'] == []


def test_check_mode_changes_nothing(fleet, playbook):
    before = fleet.state(fleet.ids[0])['settings']['pools']
    run = playbook(fleet, PLAY, check=True, diff=True)
    assert run.returncode == 0, run.output
    assert set(run.changed('pools').values()) == {True}
    assert fleet.state(fleet.ids[0])['settings']['pools'] == before
    assert fleet.writes(fleet.ids[0]) == 0


def test_diff_shows_pools_never_passwords(fleet, playbook):
    run = playbook(fleet, PLAY, diff=True, verbosity=4)
    assert run.returncode == 0, run.output
    assert "+            \"url\": \"stratum+tcp://backup.example.com:443\"" in run.output, run.output
    assert 'Callback dispatch' not in run.output
    assert POOL_PASSWORD not in run.output
    assert fleet.password not in [word.strip('"\',') for word in run.output.split()]
    for entry in run.results:
        assert POOL_PASSWORD not in str(entry['result'])


def test_update_password_always_resends(fleet, playbook):
    playbook(fleet, PLAY)
    always = PLAY.replace('password: %s' % POOL_PASSWORD, 'password: newPass1') + '        update_password: always\n'
    run = playbook(fleet, always)
    assert run.returncode == 0, run.output
    assert set(run.changed('pools').values()) == {True}
    assert fleet.state(fleet.ids[0])['settings']['pools'][0]['password'] == 'newPass1'


def test_bad_input_refused_before_any_request(fleet, playbook):
    bad_urls = ['http://pool.example.com:3333', 'stratum+tcp://pool.example.com', 'stratum+tcp://po"ol:3333',
                'stratum+tcp://pool.example.com:99999', 'stratum+tcp://p\u00f6ol.example.com:3333']
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    for url in bad_urls:
        play = PLAY.replace('stratum+tcp://pool.example.com:3333', url)
        run = playbook(fleet, play, limit=miner)
        assert run.returncode != 0
        assert 'pools[1].url' in run.result('pools')['msg'], run.result('pools')['msg']
    too_many = PLAY + ''.join('          - {url: "stratum+tcp://p%d.example.com:1", user: u}\n' % n for n in range(2))
    run = playbook(fleet, too_many, limit=miner)
    assert 'pool slots' in run.result('pools')['msg']
    assert fleet.counts(miner) == before


def test_wrong_password_and_write_api_off(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    run = playbook(fleet, PLAY, extra_vars=dict(whatsminer_password='wrong1'))
    assert run.returncode != 0
    assert 'wrong admin password' in run.result('pools')['msg']
    assert 'wrong1' not in run.output

    off = make_fleet(miners=1, extra_args=['--write-api', 'off'])
    run = playbook(off, PLAY)
    assert run.returncode != 0
    assert 'WhatsMinerTool' in run.result('pools')['msg']


def test_unreachable_miner_fails_clearly(fleet, playbook):
    fleet.fault(fleet.ids[0], 'refuse')
    run = playbook(fleet, PLAY)
    assert run.failed('pools')[fleet.ids[0]]
    host = fleet.miners[0]['host']
    assert host in run.result('pools', fleet.ids[0])['msg']
    assert not run.failed('pools')[fleet.ids[1]]
