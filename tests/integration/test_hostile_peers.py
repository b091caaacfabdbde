# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad peers (issue #14): every module, the inventory plugin and the fan-out end within their bounds.

The hostile-peer kit (tests/hostile/peers.py) plays devices that drip, stream endlessly, nest
deeply, send wrong types or garbage, close unanswered, or keep the V3 client slots busy. Every
module runs against every one of them, on API V2.2 and V3, in-process and timed: each run must
fail with a message that names the peer, within a bound derived from its timeout, and must not
claim a change that never reached the miner. A summary of the longest runs is written to
``$HOSTILE_REPORT`` (default build/hostile-report.json) for the closing note.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

from harness import REPO, SIMULATOR_PATH, run_playbook  # pylint: disable=import-error
from test_reliability_faults import NEW_FIRMWARE, TASKS, _run_in_process, _substitute  # pylint: disable=import-error

sys.path.insert(0, os.path.join(REPO, 'tests', 'hostile'))
from peers import HostilePeer  # noqa: E402 pylint: disable=import-error,wrong-import-position

TIMEOUT = 1.0
WAIT_TIMEOUT = 3
# Longest a task may take against a hostile peer: a few requests' worth of timeout, never open-ended.
BOUND = 3 * TIMEOUT + 1.5

V2_BEHAVIOURS = ('drip', 'endless', 'garbage', 'close', 'deep', 'wrong_types')
V3_BEHAVIOURS = V2_BEHAVIOURS + ('busy',)
CASES = [(api, behaviour) for api, behaviours in (('v2', V2_BEHAVIOURS), ('v3', V3_BEHAVIOURS)) for behaviour in behaviours]
# Words from the failure messages that show the cause was understood (never a Python error).
PYTHON_ERRORS = ('Traceback', 'object has no attribute', 'maximum recursion', 'unsupported operand', 'NoneType',
                 'KeyError', 'TypeError', 'is not subscriptable')


def _image(workdir):
    image = os.path.join(workdir, 'M50-%s.bin' % NEW_FIRMWARE)
    env = dict(os.environ, PYTHONPATH=SIMULATOR_PATH + os.pathsep + os.environ.get('PYTHONPATH', ''))
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version', NEW_FIRMWARE,
                    '--out', image], env=env, check=True, stdout=subprocess.DEVNULL)
    return image


def _task_args(module, peer, api, variables):
    name, args = TASKS[module]
    substitutions = dict(variables, miner_host=peer.host, miner_port=peer.port, miner_password='admin')
    args = _substitute(json.loads(json.dumps(args)), substitutions)
    if 'wait_timeout' in args:
        args['wait_timeout'] = WAIT_TIMEOUT
    connection = dict(host=peer.host, password='admin', timeout=TIMEOUT, api=api)
    connection.update(port=peer.port) if api == 'v2' else connection.update(v3_port=peer.port, v3_password='NotFactory1')
    if module == 'fleet_power':
        args['miners'] = [dict(host=peer.host, port=peer.port if api == 'v2' else 4028, api=api, v3_port=peer.port,
                               v3_password='NotFactory1')]
        args.update(timeout=TIMEOUT, password='admin', max_fail_percentage=0)
        return name, args
    args.update(connection)
    return name, args


@pytest.fixture(scope='module')
def matrix():
    """Every module against every hostile peer (each run its own peer), in parallel; {(api, behaviour, module): ...}."""
    workdir = tempfile.mkdtemp(prefix='whatsminer-hostile-')
    logs_dir = os.path.join(workdir, 'logs')
    os.makedirs(logs_dir)
    variables = dict(firmware_image=_image(workdir), logs_dir=logs_dir, new_address='127.0.0.200', new_gateway='127.0.0.254')
    peers, runs = [], {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
        for api, behaviour in CASES:
            for module in sorted(TASKS):
                peer = HostilePeer(behaviour, api=api, step=0.2).start()
                peers.append(peer)
                name, args = _task_args(module, peer, api, variables)
                runs[(api, behaviour, module)] = (pool.submit(_run_in_process, name, args), peer)
        outcome = {key: (future.result(), peer) for key, (future, peer) in runs.items()}
    for peer in peers:
        peer.stop()
    report = {}
    for (api, behaviour, module), ((entry, seconds), dummy) in outcome.items():
        slowest = report.setdefault('%s %s' % (api, behaviour), dict(longest_s=0.0, module=None, runs=0))
        slowest['runs'] += 1
        if seconds > slowest['longest_s']:
            slowest.update(longest_s=round(seconds, 2), module=module)
    path = os.environ.get('HOSTILE_REPORT') or os.path.join(REPO, 'build', 'hostile-report.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        json.dump(dict(timeout_s=TIMEOUT, bound_s=BOUND, runs=len(outcome), peers=report), handle, indent=2, sort_keys=True)
    return outcome


@pytest.mark.parametrize('api,behaviour', CASES)
def test_every_module_ends_within_its_bound(matrix, api, behaviour):
    for module in sorted(TASKS):
        (entry, seconds), peer = matrix[(api, behaviour, module)]
        result = entry['result']
        where = '%s %s %s: %s' % (api, behaviour, module, result.get('msg'))
        assert seconds <= BOUND, '%s took %.1f s (bound %.1f s)' % (where, seconds, BOUND)
        assert entry['status'] == 'failed', where
        msg = str(result.get('msg'))
        assert not any(word in msg for word in PYTHON_ERRORS), where
        if module != 'fleet_power':
            assert '%s:%d' % (peer.host, peer.port) in msg, where
        # Nothing a hostile peer does lets a write through: no write may be claimed.
        assert not result.get('changed'), where
        assert result.get('commands', []) == [], where
        assert peer.connections, '%s: the peer saw no connection (the test did not reach it)' % where


def test_auto_api_does_not_take_a_busy_v3_port_for_v2(make_fleet):
    fleet = make_fleet(miners=1)
    miner = fleet.miners[0]
    with HostilePeer('busy', api='v3', host=miner['host'], port=4433) as busy:
        args = dict(host=miner['host'], port=miner['port'], password='admin', timeout=TIMEOUT, api='auto',
                    v3_port=busy.port, mode='auto')
        (entry, seconds) = _run_in_process('whatsminer_led', args)
    assert entry['status'] == 'failed', entry
    assert 'client connections are probably all in use' in entry['result']['msg']
    assert fleet.counts(miner['id']).get('get_token', 0) == 0, 'the V2 port was written to'
    assert seconds < 2 * TIMEOUT + 1


def test_auto_api_on_a_dripping_v3_port_is_bounded(make_fleet):
    fleet = make_fleet(miners=1)
    miner = fleet.miners[0]
    with HostilePeer('drip', api='v3', host=miner['host'], port=4433) as drip:
        args = dict(host=miner['host'], port=miner['port'], timeout=TIMEOUT, api='auto', v3_port=drip.port)
        (entry, seconds) = _run_in_process('whatsminer_facts', args)
    # The V3 probe gives up within its bound; the miner's V2 port then answers.
    assert entry['status'] == 'ok', entry
    assert seconds < BOUND


def _fleet_miner(make_fleet):
    fleet = make_fleet(miners=1)
    return fleet, fleet.miners[0]


@pytest.mark.parametrize('behaviour', ['close', 'garbage', 'wrong_types', 'drip'])
def test_a_failed_token_reports_no_change(make_fleet, behaviour):
    fleet, miner = _fleet_miner(make_fleet)
    upstream = (miner['host'], miner['port'])
    with HostilePeer(behaviour, targets={'get_token'}, upstream=upstream) as peer:
        (entry, seconds) = _run_in_process('whatsminer_pools', dict(
            host=peer.host, port=peer.port, password='admin', timeout=TIMEOUT, api='v2',
            pools=[dict(url='stratum+tcp://pool.example.com:3333', user='acct.w1', password='x')]))
    result = entry['result']
    assert entry['status'] == 'failed' and seconds <= BOUND, (entry, seconds)
    assert result['changed'] is False and result['commands'] == [], result
    assert 'pools' in peer.requests and 'get_token' in peer.requests
    assert fleet.changes_sent(miner['id']) == {}


def test_a_write_whose_reply_drips_is_reported_changed_within_the_bound(make_fleet):
    fleet, miner = _fleet_miner(make_fleet)
    with HostilePeer('drip', targets={'encrypted'}, upstream=(miner['host'], miner['port'])) as peer:
        (entry, seconds) = _run_in_process('whatsminer_led', dict(
            host=peer.host, port=peer.port, password='admin', timeout=TIMEOUT, api='v2',
            mode='manual', color='red', period=1000, duration=500, start=0))
    result = entry['result']
    assert seconds <= BOUND, seconds
    assert entry['status'] == 'failed' and result['changed'] is True and result.get('outcome_unknown'), result
    assert result['commands'] == ['set_led']


def test_fan_out_returns_a_result_for_every_miner_when_one_drips(make_fleet):
    fleet = make_fleet(miners=3)
    miners = [dict(host=m['host'], port=m['port'], api='v2') for m in fleet.miners]
    with HostilePeer('drip') as drip:
        miners.append(dict(host=drip.host, port=drip.port, api='v2', name='dripping'))
        (entry, seconds) = _run_in_process('whatsminer_fleet_power', dict(
            miners=miners, password='admin', timeout=TIMEOUT, state='curtailed', power_percent=50, max_fail_percentage=10))
    result = entry['result']
    assert seconds <= BOUND + 1, seconds
    assert entry['status'] == 'failed' and 'max_fail_percentage' in result['msg'], result
    assert result['summary']['total'] == 4 and result['summary']['failed'] == 1
    outcomes = {m['name']: m for m in result['miners']}
    assert outcomes['dripping']['failed'] and 'timed out' in outcomes['dripping']['msg']
    assert sum(1 for m in result['miners'] if m['changed']) == 3


def test_discovery_skips_hostile_devices_and_keeps_the_miners(make_fleet, tmp_path):
    fleet = make_fleet(miners=2)
    base = fleet.miners[0]['host'].rsplit('.', 1)[0]
    peers = [HostilePeer(behaviour, host='%s.%d' % (base, 50 + n), port=4028, step=0.2).start()
             for n, behaviour in enumerate(('drip', 'endless', 'deep', 'wrong_types', 'garbage'))]
    peers.append(HostilePeer('deep', api='v3', host='%s.%d' % (base, fleet_index(fleet, 0)), port=4433).start())
    try:
        source = tmp_path / 'scan.whatsminer.yml'
        source.write_text('plugin: minerops.whatsminer.whatsminer\nnetworks: [%s.1-%s.60]\ntimeout: %s\nconcurrency: 64\n'
                          % (base, base, TIMEOUT))
        started = time.monotonic()
        completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(source),
                                    '--list'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=120,
                                   env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
        elapsed = time.monotonic() - started
    finally:
        for peer in peers:
            peer.stop()
    assert completed.returncode == 0, completed.stderr.decode()
    hosts = json.loads(completed.stdout)['miners']['hosts']
    assert sorted(hosts) == sorted(m['host'] for m in fleet.miners), hosts
    assert elapsed < 6 * TIMEOUT + 10, elapsed


def fleet_index(fleet, index):
    return int(fleet.miners[index]['host'].rsplit('.', 1)[1])


INJECTION = "{{ lookup('pipe', 'touch %s') }}"


def test_miner_strings_are_never_templated(make_fleet, tmp_path):
    """A device that answers with template text in its fields must not run anything on the controller."""
    fleet = make_fleet(miners=2)
    marker = tmp_path / 'templated'
    payload = INJECTION % marker
    fleet.patch(fleet.ids[0], {'firmware_version': payload, 'hostname': payload, 'minersn': payload,
                               'customer_msg': {'CustomerSn': payload}})
    base = fleet.miners[0]['host'].rsplit('.', 1)[0]
    source = tmp_path / 'site.whatsminer.yml'
    source.write_text('\n'.join([
        'plugin: minerops.whatsminer.whatsminer',
        'networks: [%s.1-%s.20]' % (base, base),
        'hostname_from: hostname',
        'password: admin',
        'keyed_groups:',
        '  - key: whatsminer_firmware',
        '    prefix: firmware',
        '  - key: whatsminer_serial',
        '    prefix: serial',
        'compose:',
        '  firmware_copy: whatsminer_firmware',
        '  serial_copy: whatsminer_serial ~ "-"',
        'groups:',
        '  odd: whatsminer_hostname is search("lookup")',
        '']))
    binary = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1')
    for args in (['--graph'], ['--list']):
        completed = subprocess.run([os.path.join(binary, 'ansible-inventory'), '-i', str(source)] + args,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=120, env=env)
        assert completed.returncode == 0, completed.stderr.decode()
        assert not marker.exists(), 'ansible-inventory %s ran a command sent by a miner' % args[0]
    listing = json.loads(subprocess.run([os.path.join(binary, 'ansible-inventory'), '-i', str(source), '--list'],
                                        stdout=subprocess.PIPE, check=True, timeout=120, env=env).stdout)
    assert fleet.miners[0]['host'] in listing['_meta']['hostvars'], 'the miner with a template host name must be named by its address'
    run = run_playbook('\n'.join([
        '- hosts: miners',
        '  gather_facts: false',
        '  tasks:',
        '    - minerops.whatsminer.whatsminer_facts:',
        '        gather_subset: [all]',
        '      register: gathered',
        '    - ansible.builtin.debug:',
        '        msg: "{{ inventory_hostname }} {{ whatsminer_firmware }} {{ firmware_copy }} {{ serial_copy }}"',
        '    - ansible.builtin.debug:',
        '        msg: "{{ gathered.ansible_facts.whatsminer.firmware_version }} {{ gathered | to_json }}"',
        '    - ansible.builtin.set_fact:',
        '        seen: "{{ gathered.ansible_facts.whatsminer }}"',
        '    - ansible.builtin.debug:',
        '        msg: "{{ seen }}"',
        '']), str(source), str(tmp_path))
    assert run.returncode == 0, run.output[-3000:]
    assert not marker.exists(), 'a play ran a command sent by a miner'
