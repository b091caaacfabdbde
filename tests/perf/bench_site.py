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

from harness import Fleet, run_playbook, use_example_group_vars  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('BENCH_MINERS', '200'))
FORKS = int(os.environ.get('BENCH_FORKS', '50'))
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))

DEBUG = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: debug
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}"
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
        runs = dict(floor=[], site=[], drift=[])
        for _round in range(ROUNDS):
            runs['floor'].append(timed(fleet, DEBUG, workdir))
            runs['site'].append(timed(fleet, os.path.join(playbooks, 'site.yml'), workdir))
            runs['drift'].append(timed(fleet, os.path.join(playbooks, 'drift.yml'), workdir))
    rows = [('ansible.builtin.debug (floor)',) + median(runs['floor']), ('site.yml, first run',) + first,
            ('site.yml, no change',) + median(runs['site']), ('drift.yml, no drift',) + median(runs['drift'])]
    floor = rows[0][1]
    print('miners=%d (API V2.2) forks=%d, median of %d rounds (first run: once)' % (MINERS, FORKS, ROUNDS))
    print('%-32s %8s %8s %16s' % ('run', 'seconds', 'x floor', 'get_token/miner'))
    for name, seconds, most, total in rows:
        print('%-32s %8.2f %8.2f %9d max (%d in all)' % (name, seconds, seconds / floor, most, total))
    print('goals: site.yml no change <= 2.0 x floor; <= 1 get_token per miner per run')


if __name__ == '__main__':
    main()
