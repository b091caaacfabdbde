# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench-site`: site.yml and drift.yml over simulated miners against the floor, one ansible.builtin.debug task.

Runs, on one fleet with the example inventory's group_vars: site.yml once (first run: changes), then
``BENCH_ROUNDS`` rounds of the debug floor, site.yml (no change) and drift.yml (no drift), side by side so that the
machine's ups and downs hit all three alike. Prints the median of each, its ratio to the floor's median (goal for
the no-change site.yml: <= 2) and the get_token requests each miner received per run, counted by the simulator
(goal: <= 1 per V2.2 miner per run). Not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from bench_facts import DEBUG  # noqa: E402 pylint: disable=wrong-import-position
from harness import Fleet, run_playbook, use_example_group_vars  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('BENCH_MINERS', '200'))
FORKS = int(os.environ.get('BENCH_FORKS', '50'))
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))

# The same wanted state as one task per resource module (the miner_config role before whatsminer_config).
PER_RESOURCE = '''
- hosts: miners
  gather_facts: false
  vars:
    miner_config_wait_timeout: 300
    miner_config_pools_update_password: on_change
    miner_config_network: {}
  tasks:
    - name: Apply the settings
      minerops.whatsminer.whatsminer_settings:
        timezone: "{{ miner_config_settings.timezone | default(omit) }}"
        zonename: "{{ miner_config_settings.zonename | default(omit) }}"
        syslog: "{{ miner_config_settings.syslog | default(omit) }}"
        web_pools: "{{ miner_config_settings.web_pools | default(omit) }}"
        mine_on_boot: "{{ miner_config_settings.mine_on_boot | default(omit) }}"
        reapply: "{{ miner_config_settings.reapply | default(omit) }}"
      when: miner_config_settings | length > 0

    - name: Apply the cooling settings
      minerops.whatsminer.whatsminer_cooling:
        temp_offset: "{{ miner_config_cooling.temp_offset | default(omit) }}"
        fan_zero_speed: "{{ miner_config_cooling.fan_zero_speed | default(omit) }}"
        poweroff_cool: "{{ miner_config_cooling.poweroff_cool | default(omit) }}"
        heat_mode: "{{ miner_config_cooling.heat_mode | default(omit) }}"
        reapply: "{{ miner_config_cooling.reapply | default(omit) }}"
      when: miner_config_cooling | length > 0

    - name: Apply the pools
      minerops.whatsminer.whatsminer_pools:
        pools: "{{ miner_config_pools }}"
        update_password: "{{ miner_config_pools_update_password }}"
      when: miner_config_pools | length > 0

    - name: Apply the customer messages
      minerops.whatsminer.whatsminer_customer_msg:
        customer_sn: "{{ miner_config_customer_msg.customer_sn | default(omit) }}"
        messages: "{{ miner_config_customer_msg.messages | default(omit) }}"
        exclusive: "{{ miner_config_customer_msg.exclusive | default(omit) }}"
      when: miner_config_customer_msg | length > 0

    - name: Apply the LED settings
      minerops.whatsminer.whatsminer_led:
        mode: "{{ miner_config_led.mode | default('auto') }}"
        color: "{{ miner_config_led.color | default(omit) }}"
        period: "{{ miner_config_led.period | default(omit) }}"
        duration: "{{ miner_config_led.duration | default(omit) }}"
        start: "{{ miner_config_led.start | default(omit) }}"
        reapply: "{{ miner_config_led.reapply | default(omit) }}"
      when: miner_config_led | length > 0

    - name: Apply the power settings
      minerops.whatsminer.whatsminer_power:
        mining: "{{ miner_config_power.mining | default(omit) }}"
        mode: "{{ miner_config_power.mode | default(omit) }}"
        power_limit: "{{ miner_config_power.power_limit | default(omit) }}"
        target_freq_percent: "{{ miner_config_power.target_freq_percent | default(omit) }}"
        fast_boot: "{{ miner_config_power.fast_boot | default(omit) }}"
        upfreq_speed: "{{ miner_config_power.upfreq_speed | default(omit) }}"
        wait: true
        wait_timeout: "{{ miner_config_wait_timeout }}"
      when: miner_config_power | length > 0

    - name: Apply the network settings
      minerops.whatsminer.whatsminer_network:
        proto: "{{ miner_config_network.proto | default(omit) }}"
        address: "{{ miner_config_network.address | default(omit) }}"
        netmask: "{{ miner_config_network.netmask | default(omit) }}"
        gateway: "{{ miner_config_network.gateway | default(omit) }}"
        dns: "{{ miner_config_network.dns | default(omit) }}"
        hostname: "{{ miner_config_network.hostname | default(omit) }}"
        wait: true
        wait_timeout: "{{ miner_config_wait_timeout }}"
      when: miner_config_network | length > 0
'''


def tokens(fleet):
    return dict((miner, fleet.counts(miner).get('get_token', 0)) for miner in fleet.ids)


def timed(fleet, playbook, workdir, expect_rc=0):
    before = tokens(fleet)
    started = time.monotonic()
    run = run_playbook(playbook, fleet.inventory, workdir, forks=FORKS)
    elapsed = time.monotonic() - started
    if run.returncode != expect_rc:
        raise SystemExit('%s exited %d:\n%s' % (playbook[:60], run.returncode, run.output[-3000:]))
    after = tokens(fleet)
    used = [after[miner] - before[miner] for miner in fleet.ids]
    return elapsed, max(used), sum(used)


def median(runs):
    """The run of median time (with its token counts)."""
    return sorted(runs)[len(runs) // 2]


def main():
    workdir = tempfile.mkdtemp(prefix='whatsminer-bench-site-')
    playbooks = os.path.join(REPO, 'playbooks')
    with Fleet(miners=MINERS, base_address='127.0.62.1', models=['M30S+', 'M50', 'M60', 'M63'], workdir=workdir,
               restart_seconds=0.3) as fleet:
        use_example_group_vars(os.path.dirname(fleet.inventory))
        first = timed(fleet, os.path.join(playbooks, 'site.yml'), workdir)
        runs = dict(floor=[], site=[], drift=[], per_resource=[])
        for _round in range(ROUNDS):
            runs['floor'].append(timed(fleet, DEBUG, workdir))
            runs['site'].append(timed(fleet, os.path.join(playbooks, 'site.yml'), workdir))
            runs['drift'].append(timed(fleet, os.path.join(playbooks, 'drift.yml'), workdir))
            runs['per_resource'].append(timed(fleet, PER_RESOURCE, workdir))
    rows = [('ansible.builtin.debug (floor)',) + median(runs['floor']), ('site.yml, first run',) + first,
            ('site.yml, no change',) + median(runs['site']), ('drift.yml, no drift',) + median(runs['drift']),
            ('7 per-resource tasks, no change',) + median(runs['per_resource'])]
    floor = rows[0][1]
    print('miners=%d (API V2.2) forks=%d, median of %d rounds (first run: once)' % (MINERS, FORKS, ROUNDS))
    print('%-32s %8s %8s %16s' % ('run', 'seconds', 'x floor', 'get_token/miner'))
    for name, seconds, most, total in rows:
        print('%-32s %8.2f %8.2f %9d max (%d in all)' % (name, seconds, seconds / floor, most, total))
    print('goals: site.yml no change <= 2.0 x floor; <= 1 get_token per miner per run')


if __name__ == '__main__':
    main()
