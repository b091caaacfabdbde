# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: whatsminer_facts versus ansible.builtin.debug over the same simulated miners.

Prints both wall times and their ratio (goal: <= 1.5). Not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet, run_playbook  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('BENCH_MINERS', '200'))
FORKS = int(os.environ.get('BENCH_FORKS', '50'))
SUBSET = os.environ.get('BENCH_SUBSET', 'all')
API = os.environ.get('BENCH_API', 'v2')  # v2, v3 or mixed simulated miners

FACTS = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [%s]
'''

DEBUG = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: debug
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}"
'''


def timed(fleet, text, workdir):
    started = time.monotonic()
    run = run_playbook(text, fleet.inventory, workdir, forks=FORKS)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit('playbook failed:\n' + run.output[-3000:])
    return elapsed, len(run.results)


def main():
    workdir = tempfile.mkdtemp(prefix='whatsminer-bench-')
    extra = [] if API == 'v2' else ['--api', API, '--v3-password', 'Bench_v3']
    with Fleet(miners=MINERS, base_address='127.0.60.1', workdir=workdir, extra_args=extra) as fleet:
        debug_time, debug_count = timed(fleet, DEBUG, workdir)
        facts_time, facts_count = timed(fleet, FACTS % SUBSET, workdir)
    print('miners=%d (API %s) forks=%d gather_subset=%s' % (MINERS, API, FORKS, SUBSET))
    print('ansible.builtin.debug:           %6.2f s (%d results)' % (debug_time, debug_count))
    print('minerops.whatsminer.whatsminer_facts: %6.2f s (%d results)' % (facts_time, facts_count))
    print('ratio facts/debug: %.2f (goal <= 1.5)' % (facts_time / debug_time))


if __name__ == '__main__':
    main()
