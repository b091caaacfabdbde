# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue #14 through ansible-playbook: concurrent runs, static -> DHCP, one API probe per play, YAML booleans."""

from __future__ import annotations

import concurrent.futures
import os
import sys

from harness import REPO  # pylint: disable=import-error

sys.path.insert(0, os.path.join(REPO, 'tests', 'hostile'))
from peers import HostilePeer  # noqa: E402 pylint: disable=import-error,wrong-import-position

COOLING = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: cooling
      minerops.whatsminer.whatsminer_cooling:
        temp_offset: %d
        record_slot: msg9
'''

SETTINGS = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: settings
      minerops.whatsminer.whatsminer_settings:
        timezone: %s
        zonename: %s
        record_slot: msg9
'''


def test_two_runs_at_once_on_the_same_miners_keep_every_record_entry(make_fleet, playbook):
    """Two playbooks managing different write-only settings of the same miners, started together, three rounds."""
    fleet = make_fleet(miners=4)
    rounds = ((-5, 'UTC0', 'UTC'), (-10, 'CET-1CEST', 'Europe/Berlin'), (-7, 'EST5EDT', 'America/New_York'))
    for offset, timezone, zonename in rounds:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            cooling = pool.submit(playbook, fleet, COOLING % offset)
            settings = pool.submit(playbook, fleet, SETTINGS % (timezone, zonename))
            runs = [cooling.result(), settings.result()]
        assert all(run.returncode == 0 for run in runs), [run.output[-2000:] for run in runs]
        for miner in fleet.ids:
            state = fleet.state(miner)['settings']
            assert state['temp_offset'] == offset and state['timezone'] == timezone, (miner, state)
        # The record holds both runs' entries: run alone now, each reports ok and sends nothing.
        for text in (COOLING % offset, SETTINGS % (timezone, zonename)):
            before = {miner: fleet.changes_sent(miner) for miner in fleet.ids}
            again = playbook(fleet, text)
            assert again.returncode == 0, again.output
            assert not any(entry['result']['changed'] for entry in again.results), again.output[-3000:]
            assert {miner: fleet.changes_sent(miner) for miner in fleet.ids} == before


NETWORK = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: network
      minerops.whatsminer.whatsminer_network:
        %s
      register: net
'''


def _static(fleet, playbook):
    old = fleet.miners[0]['host']
    prefix = old.rsplit('.', 1)[0]
    options = 'proto: static\n        address: %s.88\n        netmask: 255.255.255.0\n        gateway: %s.254\n        dns: [%s.254]' % (prefix, prefix, prefix)
    run = playbook(fleet, NETWORK % options)
    assert run.returncode == 0, run.output
    return old, '%s.88' % prefix


def test_static_to_dhcp_follows_the_declared_dhcp_address(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    home, static = _static(fleet, playbook)
    run = playbook(fleet, NETWORK % ('proto: dhcp\n        dhcp_address: %s\n        wait_timeout: 30' % home),
                   extra_vars=dict(ansible_host=static))
    assert run.returncode == 0, run.output
    result = run.result('network')
    assert result['changed'] is True and result['moved'] is True and result['address'] == home
    assert fleet.state(fleet.ids[0])['settings']['network']['proto'] == 'dhcp'


def test_static_to_dhcp_without_an_address_does_not_wait_at_the_old_one(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    dummy, static = _static(fleet, playbook)
    run = playbook(fleet, NETWORK % 'proto: dhcp\n        wait_timeout: 120', extra_vars=dict(ansible_host=static))
    assert run.returncode == 0, run.output
    result = run.result('network')
    assert result['changed'] is True and result['address'] is None and result['mac']
    assert 'takes its address from DHCP' in ' '.join(result.get('warnings', []))
    assert fleet.state(fleet.ids[0])['settings']['network']['proto'] == 'dhcp'


THREE_TASKS = '''
- hosts: miners
  gather_facts: false
  tasks:
    - minerops.whatsminer.whatsminer_facts:
        api: auto
    - minerops.whatsminer.whatsminer_led:
        mode: auto
        api: auto
    - minerops.whatsminer.whatsminer_facts:
        gather_subset: [min]
'''


def test_api_auto_probes_once_per_host_and_play(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    miner = fleet.miners[0]
    # A V3 port that never answers in time: each probe costs the whole detect timeout.
    with HostilePeer('drip', api='v3', host=miner['host'], port=4433, step=0.5) as slow:
        run = playbook(fleet, THREE_TASKS, extra_vars=dict(whatsminer_timeout=1))
    assert run.returncode == 0, run.output
    assert slow.connections == 1, 'the V3 port was probed %d times in one play' % slow.connections


def test_yaml_booleans_are_refused_for_text_options(fleet, playbook):
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    run = playbook(fleet, '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: pools
      minerops.whatsminer.whatsminer_pools:
        pools:
          - url: stratum+tcp://pool.example.com:3333
            user: acct.w1
            password: no
''', limit=miner)
    assert run.returncode != 0
    msg = run.result('pools')['msg']
    assert 'pools[1].password' in msg and 'boolean' in msg and 'quote' in msg
    assert fleet.counts(miner) == before
