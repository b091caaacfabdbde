# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The minerops.whatsminer.whatsminer inventory plugin against the simulator (ansible-inventory runs)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from ansible.errors import AnsibleParserError

from harness import Fleet, run_playbook

from ansible_collections.minerops.whatsminer.plugins.inventory.whatsminer import expand_addresses, scan

# This file's own loopback block: 127.0.200.0/24 (other suites use 127.1xx.n.x and 127.0.50-70.x).
BASE = '127.0.200'


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('inventory-fleet'))
    # 6 miners on .11-.16, mixed models
    with Fleet(miners=6, base_address='%s.11' % BASE, models=['M30S+', 'M50', 'M60', 'M63'], workdir=workdir,
               restart_seconds=0.3) as running:
        yield running


@pytest.fixture(scope='module')
def silent():
    """Three addresses that accept connections and never answer (hung devices)."""
    socks = []
    for last in (40, 41, 42):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('%s.%d' % (BASE, last), 4028))
        sock.listen(64)
        socks.append(sock)
    yield '%s.40' % BASE
    for sock in socks:
        sock.close()


def inventory(tmp_path, source, *args):
    path = tmp_path / 'site.whatsminer.yml'
    path.write_text(source)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(path)] + list(args)
    started = time.monotonic()
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=120,
                               env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    elapsed = time.monotonic() - started
    assert completed.returncode == 0, completed.stderr.decode()
    return json.loads(completed.stdout), elapsed, completed.stderr.decode()


def _hostvars(data):
    return {name: {key: (value['__ansible_unsafe'] if isinstance(value, dict) and '__ansible_unsafe' in value else value)
                   for key, value in hostvars.items()}
            for name, hostvars in data['_meta']['hostvars'].items()}


def _members(data, group):
    return set(data.get(group, {}).get('hosts', []))


def test_discovery_finds_exactly_the_miners(fleet, silent, tmp_path):
    source = '''
plugin: minerops.whatsminer.whatsminer
networks: [%s.0/24]
timeout: 1.5
''' % BASE
    data, elapsed, dummy = inventory(tmp_path, source, '--list')
    hostvars = _hostvars(data)
    addresses = {miner['host'] for miner in fleet.miners}
    assert set(hostvars) == addresses  # factory host names are shared: named by address
    assert silent not in hostvars
    assert _members(data, 'miners') == addresses
    by_model = {}
    for miner in fleet.miners:
        by_model.setdefault(miner['model'], set()).add(miner['host'])
    assert _members(data, 'model_m30s_plus') == by_model['M30S+']
    assert _members(data, 'model_m63') == by_model['M63']
    first = hostvars[fleet.miners[0]['host']]
    state = fleet.state(fleet.ids[0])
    assert first['ansible_host'] == fleet.miners[0]['host']
    assert first['whatsminer_port'] == 4028
    assert first['whatsminer_model'] == 'M30S+'
    assert first['whatsminer_firmware'] == state['firmware_version']
    assert first['whatsminer_api_version']
    assert first['whatsminer_mac'] == state['settings']['mac']
    assert first['whatsminer_serial']
    assert first['whatsminer_hostname'] == 'WhatsMiner'
    assert first['whatsminer_power_mode'] == 'normal'
    assert isinstance(first['whatsminer_hashrate_ths'], float)
    assert 'whatsminer_password' not in first
    # 254 addresses, one of them silent: about one timeout, never one per address
    assert elapsed < 1.5 + 10, elapsed


def test_silent_addresses_cost_at_most_the_timeout(silent):
    # three silent addresses and 18 closed ports: one timeout in all, not one per address
    addresses = expand_addresses(['%s.40' % BASE, '%s.41-%s.60' % (BASE, BASE)])
    started = time.monotonic()
    assert scan(addresses, 4028, 1.0, 64) == []
    assert time.monotonic() - started < 1.9


def test_constructable_exclude_names_and_password(fleet, tmp_path):
    excluded = fleet.miners[1]['host']
    source = '''
plugin: minerops.whatsminer.whatsminer
networks: [%s.11-16, %s.17]
exclude: [%s]
timeout: 1
hostname_from: serial
password: admin
compose:
  site: "'dc1'"
groups:
  hydro: whatsminer_model == 'M63'
keyed_groups:
  - key: whatsminer_firmware
    prefix: fw
''' % (BASE, BASE, excluded)
    data = inventory(tmp_path, source, '--list')[0]
    hostvars = _hostvars(data)
    assert len(hostvars) == 5
    assert excluded not in {hv['ansible_host'] for hv in hostvars.values()}
    for name, hv in hostvars.items():
        assert name == hv['whatsminer_serial']
        assert hv['site'] == 'dc1'
        assert hv['whatsminer_password'] == 'admin'
    hydro = {hostvars[name]['ansible_host'] for name in _members(data, 'hydro')}
    assert hydro == {m['host'] for m in fleet.miners if m['model'] == 'M63' and m['host'] != excluded}
    m50 = [name for name, hv in hostvars.items() if hv['whatsminer_model'] == 'M50']
    assert set(m50) == _members(data, 'fw_' + hostvars[m50[0]]['whatsminer_firmware'].replace('.', '_'))


def test_cache_serves_the_second_run(fleet, tmp_path):
    cache_dir = tmp_path / 'cache'
    source = '''
plugin: minerops.whatsminer.whatsminer
networks: [%s.11-16]
timeout: 1
hostname_from: mac
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: %s
cache_timeout: 600
password: cachedSecret9
''' % (BASE, cache_dir)
    first = inventory(tmp_path, source, '--list')[0]
    reads = sum(fleet.counts(miner_id)['reads'] for miner_id in fleet.ids)
    second = inventory(tmp_path, source, '--list')[0]
    assert sum(fleet.counts(miner_id)['reads'] for miner_id in fleet.ids) == reads
    assert set(_hostvars(first)) == set(_hostvars(second))
    assert all(name.startswith('c6-07-20-') for name in _hostvars(first))
    assert all(hv['whatsminer_password'] == 'cachedSecret9' for hv in _hostvars(second).values())
    cached = ''.join(path.read_text() for path in cache_dir.iterdir())
    assert 'c6:07:20' in cached.lower() and 'cachedSecret9' not in cached


def test_address_forms():
    got = [str(a) for a in expand_addresses(['10.0.0.1-3', '10.0.0.2', '10.0.1.0/30', '10.0.2.8/32', '10.0.3.0/31',
                                             ' 10.0.4.1 - 10.0.4.2 '])]
    assert got == ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.1', '10.0.1.2', '10.0.2.8', '10.0.3.0', '10.0.3.1',
                   '10.0.4.1', '10.0.4.2']
    assert len(expand_addresses(['127.0.212.0/22'])) == 1022
    for bad in ('10.0.0.5-10.0.0.1', '10.0.0.300', 'pool.example.com', '10.0.0.0/33', '10.0.0.1-'):
        with pytest.raises(AnsibleParserError):
            expand_addresses([bad])


def test_bad_network_is_a_clear_error(tmp_path):
    path = tmp_path / 'bad.whatsminer.yml'
    path.write_text('plugin: minerops.whatsminer.whatsminer\nnetworks: [10.0.0.0/33]\n')
    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(path), '--list'],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, timeout=60,
                               env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_INVENTORY_UNPARSED_FAILED='1'))
    assert completed.returncode != 0
    assert '10.0.0.0/33' in completed.stdout.decode()


def test_playbook_runs_on_the_discovered_hosts(fleet, tmp_path):
    source = tmp_path / 'site.whatsminer.yml'
    source.write_text('plugin: minerops.whatsminer.whatsminer\nnetworks: [%s.11-16]\ntimeout: 1\npassword: admin\n' % BASE)
    play = '''
- hosts: model_m50
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [min]
'''
    run = run_playbook(play, str(source), str(tmp_path))
    assert run.returncode == 0, run.output
    assert set(run.changed('facts')) == {m['host'] for m in fleet.miners if m['model'] == 'M50'}
