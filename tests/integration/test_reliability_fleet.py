# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrency (issue #7): 100 tasks on one miner at once, and a fleet with 10 % of its miners down.

A miner keeps at most 100 tokens. 100 inventory aliases of one simulated miner, run with 100
forks, all need a token at the same moment: they stay within the limit or fail with a message
about the token slots; once the slots are used up, every further task fails that way and the
miner still holds no more than 100. In a 30-miner fleet with 3 miners refusing connections,
the run completes for the other 27 and names the 3.
"""

from __future__ import annotations

import yaml

from harness import run_playbook  # pylint: disable=import-error

ALIASES = 100

TOKEN_PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: token read
      minerops.whatsminer.whatsminer_command:
        command: get_customer_msg
        encrypted: true
        timeout: 20
'''


def _alias_inventory(fleet, path, count):
    """``count`` inventory hosts that are all the fleet's first miner."""
    miner = fleet.miners[0]
    hosts = {'alias%03d' % n: {'ansible_host': miner['host'], 'whatsminer_port': miner['port']} for n in range(count)}
    data = {'all': {'children': {'miners': {'vars': {'whatsminer_password': fleet.password}, 'hosts': hosts}}}}
    with open(path, 'w') as handle:
        yaml.safe_dump(data, handle)
    return path


def _token_failures_are_clear(run, endpoint):
    ok = failed = 0
    for entry in run.for_task('token read'):
        if entry['status'] == 'ok':
            ok += 1
            assert entry['result']['changed'] is False or entry['result'].get('replied') is True
            continue
        failed += 1
        msg = entry['result']['msg']
        assert entry['status'] == 'failed', entry
        assert endpoint in msg and '136' in msg and '100 tokens' in msg, msg
    return ok, failed


def test_100_tasks_on_one_miner_at_once(make_fleet, tmp_path):
    fleet = make_fleet(miners=1)
    miner_id = fleet.ids[0]
    endpoint = '%s:%s' % (fleet.miners[0]['host'], fleet.miners[0]['port'])
    inventory = _alias_inventory(fleet, str(tmp_path / 'aliases.yml'), ALIASES)

    first = run_playbook(TOKEN_PLAY, inventory, str(tmp_path), forks=ALIASES)
    assert len(first.for_task('token read')) == ALIASES, first.output[-3000:]
    ok, failed = _token_failures_are_clear(first, endpoint)
    state = fleet.state(miner_id)
    assert state['live_tokens'] <= 100
    # one token per task, never more: the miner handed out exactly as many as there were successes
    assert state['counts'].get('get_token', 0) == ALIASES
    assert ok == state['live_tokens'] and ok + failed == ALIASES and ok >= 90, (ok, failed, state['counts'])

    # the slots are (nearly) used up and tokens live 30 minutes: a second wave fails clearly, nothing hangs or crashes
    second = run_playbook(TOKEN_PLAY, inventory, str(tmp_path), forks=ALIASES)
    ok2, failed2 = _token_failures_are_clear(second, endpoint)
    assert ok2 + failed2 == ALIASES and ok2 <= 100 - ok and failed2 >= ALIASES - (100 - ok)
    assert fleet.state(miner_id)['live_tokens'] <= 100
    assert not [entry for entry in second.results if entry['status'] == 'unreachable']


FLEET_PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [summary, pools]
        timeout: 3
    - name: led
      minerops.whatsminer.whatsminer_led:
        mode: manual
        color: green
        period: 1000
        timeout: 3
'''


def test_fleet_with_10_percent_down(make_fleet, playbook):
    fleet = make_fleet(miners=30)
    down = fleet.ids[4:30:10]
    assert len(down) == 3
    for miner_id in down:
        fleet.fault(miner_id, 'refuse')
    run = playbook(fleet, FLEET_PLAY, forks=30)
    assert run.returncode != 0
    hosts = {miner['id']: '%s:%s' % (miner['host'], miner['port']) for miner in fleet.miners}
    for miner_id in fleet.ids:
        facts = run.result('facts', miner_id)
        if miner_id in down:
            assert run.failed('facts')[miner_id], facts
            assert hosts[miner_id] in facts['msg'] and 'cannot reach' in facts['msg'], facts['msg']
            assert miner_id not in run.changed('led')  # a failed host is not driven further
        else:
            assert not run.failed('facts')[miner_id] and not run.failed('led')[miner_id], facts
            assert run.changed('led')[miner_id] is True
            assert fleet.state(miner_id)['settings']['led']['color'] == 'green'
    for miner_id in down:
        assert fleet.state(miner_id)['settings']['led']['color'] == ''
        # PLAY RECAP counts a dead miner as unreachable, as Ansible does for any host nothing answers at
        assert any(line.startswith(miner_id) and 'unreachable=1' in line for line in run.output.splitlines()), run.output[-2500:]


def test_fleet_power_with_10_percent_down(make_fleet, tmp_path):
    fleet = make_fleet(miners=30)
    down = set(fleet.ids[4:30:10])
    for miner_id in down:
        fleet.fault(miner_id, 'refuse')
    miners = [{'host': miner['host'], 'port': miner['port'], 'name': miner['id']} for miner in fleet.miners]
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
        'name': 'fleet power', 'minerops.whatsminer.whatsminer_fleet_power': {
            'miners': miners, 'state': 'curtailed', 'power_percent': 50, 'timeout': 3, 'max_fail_percentage': 20,
            'password': fleet.password}}]}]
    inventory = str(tmp_path / 'localhost.yml')
    with open(inventory, 'w') as handle:
        yaml.safe_dump({'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}, handle)
    run = run_playbook(yaml.safe_dump(play), inventory, str(tmp_path))
    result = run.result('fleet power', 'localhost')
    assert run.failed('fleet power')['localhost'] is False, result
    assert result['summary']['total'] == 30 and result['summary']['unreachable'] == 3, result['summary']
    by_name = {item['name']: item for item in result['miners']}
    for miner_id in fleet.ids:
        if miner_id in down:
            assert by_name[miner_id]['outcome'] == 'unreachable' and 'cannot reach' in by_name[miner_id]['msg']
            assert fleet.state(miner_id)['power_pct_temp'] is None
        else:
            assert not by_name[miner_id]['failed'], by_name[miner_id]
            assert fleet.state(miner_id)['power_pct_temp'] == 50
