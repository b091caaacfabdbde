# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Curtailment benchmark: 1,000 simulated miners curtailed to 50 % and read back.

Fan-out (one whatsminer_fleet_power task driving every miner from a thread pool) next to the
per-host path (whatsminer_power then whatsminer_facts on every host, ``--forks`` at a time).
Prints the wall times of the ansible-playbook runs. Not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet, run_playbook  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('BENCH_MINERS', '1000'))
FORKS = int(os.environ.get('BENCH_FORKS', '50'))
BASE = os.environ.get('BENCH_BASE', '127.0.216.1')

FAN_OUT = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: fan-out
      minerops.whatsminer.whatsminer_fleet_power:
        miners: "{{ ansible_play_hosts | minerops.whatsminer.fleet_members(hostvars) }}"
        state: %s
        power_percent: %s
      run_once: true
'''

PER_HOST = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: curtail
      minerops.whatsminer.whatsminer_power:
        power_percent: 50
    - name: read back
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [summary]
'''


def timed(fleet, text, workdir):
    started = time.monotonic()
    run = run_playbook(text, fleet.inventory, workdir, forks=FORKS)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit('playbook failed:\n' + run.output[-3000:])
    return elapsed, run


def main():
    workdir = tempfile.mkdtemp(prefix='whatsminer-bench-curtail-')
    fleet = Fleet(miners=MINERS, base_address=BASE, workdir=workdir, models=['M30S+', 'M50', 'M60', 'M63']).start(timeout=120)
    try:
        fan_time, fan = timed(fleet, FAN_OUT % ('curtailed', 50), workdir)
        summary = fan.result('fan-out')['summary']
        restore_time = timed(fleet, FAN_OUT % ('restored', '"{{ omit }}"'), workdir)[0]
        host_time, per_host = timed(fleet, PER_HOST, workdir)
        curtailed = sum(1 for miner_id in fleet.ids[:50] if fleet.state(miner_id)['power_pct_temp'] == 50)
    finally:
        fleet.stop()
    print('miners=%d forks=%d (per-host path)' % (MINERS, FORKS))
    print('fan-out whatsminer_fleet_power, curtail + read back: %6.2f s playbook, %5.2f s in the task; '
          '%d ok, %d failed, %.1f kW -> %.1f kW (%.1f kW shed)'
          % (fan_time, summary['elapsed_s'], summary['ok'], summary['failed'], summary['power_before_kw'],
             summary['power_after_kw'], summary['shed_kw']))
    print('fan-out restore:                                      %6.2f s playbook' % restore_time)
    print('per-host whatsminer_power + whatsminer_facts:         %6.2f s playbook (%d results; sample: %d/50 curtailed)'
          % (host_time, len(per_host.results), curtailed))
    print('speed-up fan-out vs per-host: %.1fx' % (host_time / fan_time))


if __name__ == '__main__':
    main()
