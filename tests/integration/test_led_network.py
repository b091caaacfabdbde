# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_led and whatsminer_network against the simulator."""

from __future__ import annotations

LED = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: led
      minerops.whatsminer.whatsminer_led:
        %s
'''


def test_led_manual_then_auto(fleet, playbook):
    miner = fleet.ids[0]
    manual = LED % 'mode: manual\n        color: red\n        period: 1000\n        duration: 400\n        record_slot: msg9'
    first = playbook(fleet, manual, diff=True)
    assert first.returncode == 0, first.output
    assert first.result('led', miner)['changed'] is True
    assert fleet.state(miner)['settings']['led'] == dict(mode='manual', color='red', period=1000, duration=400, start=0)
    assert playbook(fleet, manual).result('led', miner)['changed'] is False
    green = playbook(fleet, manual.replace('red', 'green'))
    assert green.result('led', miner)['changed'] is True
    assert fleet.state(miner)['settings']['led']['color'] == 'green'
    auto = LED % 'mode: auto'
    assert playbook(fleet, auto, check=True).result('led', miner)['changed'] is True
    assert fleet.state(miner)['settings']['led']['mode'] == 'manual'
    assert playbook(fleet, auto).result('led', miner)['changed'] is True
    assert playbook(fleet, auto).result('led', miner)['changed'] is False


def test_led_bad_input(fleet, playbook):
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    for options, message in (('mode: manual\n        color: red\n        period: 100\n        duration: 200', 'duration'),
                             ('mode: manual\n        color: red\n        period: 100\n        start: 100', 'start'),
                             ('mode: manual\n        color: blue\n        period: 100', 'color'),
                             ('mode: auto\n        color: red', 'only apply to mode=manual')):
        run = playbook(fleet, LED % options, limit=miner)
        assert run.returncode != 0
        assert message in run.result('led')['msg']
    assert fleet.counts(miner) == before


NETWORK = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: network
      minerops.whatsminer.whatsminer_network:
        %s
      register: net
    - name: follow
      ansible.builtin.set_fact:
        ansible_host: "{{ net.address }}"
    - name: facts at the new address
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [miner_info]
'''


def test_static_address_moves_the_miner_and_the_play_follows(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    old = fleet.miners[0]['host']
    new = old.rsplit('.', 1)[0] + '.77'
    gateway = old.rsplit('.', 1)[0] + '.254'
    options = 'proto: static\n        address: %s\n        netmask: 255.255.255.0\n        gateway: %s\n        dns: [%s]\n        hostname: rig-77' % (
        new, gateway, gateway)
    first = playbook(fleet, NETWORK % options)
    assert first.returncode == 0, first.output
    result = first.result('network')
    assert result['changed'] is True and result['moved'] is True and result['address'] == new
    facts = first.result('facts at the new address')['ansible_facts']['whatsminer']
    assert facts['network']['ip'] == new and facts['network']['hostname'] == 'rig-77'
    assert fleet.state(fleet.ids[0])['host'] == new

    # Second run, with ansible_host already pointing at the new address: nothing to do.
    again = playbook(fleet, NETWORK % options, extra_vars=dict(ansible_host=new))
    assert again.returncode == 0, again.output
    assert again.result('network')['changed'] is False


def test_hostname_only_uses_set_hostname(fleet, playbook):
    run = playbook(fleet, NETWORK % 'hostname: rig-a1', limit=fleet.ids[0])
    assert run.returncode == 0, run.output
    assert run.result('network')['commands'] == ['set_hostname']
    assert fleet.state(fleet.ids[0])['settings']['hostname'] == 'rig-a1'


def test_inconsistent_network_input_refused(fleet, playbook):
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    cases = (
        ('proto: static\n        address: 10.0.0.5\n        netmask: 255.255.255.0\n        gateway: 10.0.1.1', 'outside the subnet'),
        ('proto: static\n        address: 10.0.0.5\n        netmask: 255.0.255.0\n        gateway: 10.0.0.1', 'not a valid netmask'),
        ('proto: static\n        address: 10.0.0.0\n        netmask: 255.255.255.0\n        gateway: 10.0.0.1', 'network or broadcast'),
        ('proto: static\n        address: 10.0.0.5\n        netmask: 255.255.255.0', 'needs gateway'),
        ('proto: dhcp\n        address: 10.0.0.5', 'only apply to proto=static'),
        ('proto: static\n        address: 10.0.0.5\n        netmask: 255.255.255.0\n        gateway: 10.0.0.1', 'needs dns'),
        ('hostname: "rig 1"', 'hostname'),
        ('proto: static\n        address: 10.0.0.5\n        netmask: 255.255.255.0\n        gateway: 10.0.0.1\n        dns: [8.8.8.300]', 'dns'),
    )
    for options, message in cases:
        run = playbook(fleet, NETWORK % options, limit=miner)
        assert run.returncode != 0
        assert message in run.result('network')['msg'], (options, run.result('network')['msg'])
    assert fleet.counts(miner) == before
