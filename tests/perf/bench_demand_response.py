# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench-eda`: from a grid signal to a curtailed fleet, through Event-Driven Ansible, against its floor.

One simulator serves N V2.2 miners (BENCH_SIZE, default 1000). Timed in the same run, twice each, medians shown:

(a) floor - ``ansible-playbook curtail.yml`` started by hand: what the rulebook's action runs;
(b) rulebook - ansible-rulebook runs the demand_response rulebook; from the POST of {"signal": "curtail"} to its webhook
    until the playbook it started has finished (every miner curtailed and read back), then checked on the simulator.

The difference is what Event-Driven Ansible adds: the webhook, the rules engine and ansible-runner. Not a timed test.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet, Rulebook, run_playbook  # noqa: E402 pylint: disable=wrong-import-position

SIZE = int(os.environ.get('BENCH_SIZE', '1000'))
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '2'))
TOKEN = 'bench-token'


def _post(port, body):
    request = urllib.request.Request('http://127.0.0.1:%d/grid' % port, data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json', 'Authorization': 'Bearer ' + TOKEN})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status


def _curtailed(fleet, percent):
    return sum(1 for miner in fleet.control('GET', '/miners') if fleet.state(miner['id'])['power_pct_temp'] == percent)


def floor(fleet, workdir, percent):
    started = time.monotonic()
    run = run_playbook(os.path.join(REPO, 'playbooks', 'curtail.yml'), fleet.inventory, workdir,
                       extra_vars=dict(power_curtail_power_percent=percent))
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit('curtail.yml failed:\n' + run.output[-3000:])
    return elapsed


def through_rulebook(rulebook, port, percent):
    finished = rulebook.output().count('PLAY RECAP')
    started = time.monotonic()
    _post(port, dict(signal='curtail', power_percent=percent))
    rulebook.wait_for(lambda: rulebook.output().count('PLAY RECAP') > finished, 300, 'curtail.yml run by the rulebook')
    return time.monotonic() - started


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    workdir = tempfile.mkdtemp(prefix='whatsminer-bench-eda-')
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    fleet = Fleet(miners=SIZE, base_address='127.18.0.1', workdir=workdir).start(timeout=600)
    rulebook = Rulebook('demand_response', fleet.inventory, dict(grid_signal_host='127.0.0.1', grid_signal_port=port,
                                                                 grid_signal_token=TOKEN), workdir)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _post(port, dict(signal='none'))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit('the rulebook did not start:\n' + rulebook.output()[-3000:])
                time.sleep(0.3)
        floors, events = [], []
        for index in range(ROUNDS):
            floors.append(floor(fleet, workdir, 40 + index))
            events.append(through_rulebook(rulebook, port, 30 + index))
            curtailed = _curtailed(fleet, 30 + index)
            if curtailed != SIZE:
                raise SystemExit('%d of %d miners curtailed after the rulebook run' % (curtailed, SIZE))
    finally:
        rulebook.stop()
        fleet.stop()
    median_floor, median_event = statistics.median(floors), statistics.median(events)
    print('demand response over %d simulated V2.2 miners (%d CPUs), medians of %d rounds' % (SIZE, os.cpu_count(), ROUNDS))
    print('  curtail.yml by hand (floor)          %6.2f s   %s' % (median_floor, ', '.join('%.2f' % f for f in floors)))
    print('  grid signal -> fleet curtailed (EDA) %6.2f s   %s' % (median_event, ', '.join('%.2f' % e for e in events)))
    print('  what Event-Driven Ansible adds       %+6.2f s' % (median_event - median_floor))
    os.makedirs(os.path.join(REPO, 'build', 'eda'), exist_ok=True)
    with open(os.path.join(REPO, 'build', 'eda', 'bench-demand-response-%d.json' % SIZE), 'w') as handle:
        json.dump(dict(miners=SIZE, floor_s=floors, signal_to_curtailed_s=events), handle, indent=2)


if __name__ == '__main__':
    main()
