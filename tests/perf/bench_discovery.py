# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery benchmark (`make bench-discovery`): the minerops.whatsminer.whatsminer inventory plugin scans a /16
of loopback addresses (65,534 hosts) holding 1,000 simulated miners.

Prints the wall time of ``ansible-inventory --list`` (what a user waits for; goal <= 30 s) with its peak
memory, and of the scan alone. Not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('BENCH_MINERS', '1000'))
NETWORK = os.environ.get('BENCH_NETWORK', '127.20.0.0/16')
FIRST = os.environ.get('BENCH_FIRST', '127.20.0.1')
CONCURRENCY = int(os.environ.get('BENCH_CONCURRENCY', '256'))
TIMEOUT = float(os.environ.get('BENCH_TIMEOUT', '2'))


def _plain(value):
    return value.get('__ansible_unsafe') if isinstance(value, dict) else value


def main():
    workdir = tempfile.mkdtemp(prefix='whatsminer-bench-discovery-')
    source = os.path.join(workdir, 'bench.whatsminer.yml')
    with open(source, 'w') as handle:
        handle.write('plugin: minerops.whatsminer.whatsminer\nnetworks: [%s]\ntimeout: %s\nconcurrency: %d\n'
                     % (NETWORK, TIMEOUT, CONCURRENCY))
    with Fleet(miners=MINERS, base_address=FIRST, workdir=workdir, models=['M30S+', 'M50', 'M60', 'M63']) as fleet:
        from ansible_collections.minerops.whatsminer.plugins.inventory.whatsminer import expand_addresses, scan
        addresses = expand_addresses([NETWORK])
        started = time.monotonic()
        found = scan(addresses, 4028, TIMEOUT, CONCURRENCY)
        scan_time = time.monotonic() - started

        started = time.monotonic()
        completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', source, '--list'],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        cli_time = time.monotonic() - started
        if completed.returncode != 0:
            raise SystemExit(completed.stderr.decode())
        hosts = json.loads(completed.stdout)['_meta']['hostvars']
        expected = {miner['host'] for miner in fleet.miners}
    if {_plain(hv['ansible_host']) for hv in hosts.values()} != expected or len(found) != MINERS:
        raise SystemExit('discovery found %d/%d hosts, expected exactly the %d miners' % (len(hosts), len(found), MINERS))
    print('network=%s addresses=%d miners=%d concurrency=%d timeout=%gs' % (NETWORK, len(addresses), MINERS, CONCURRENCY, TIMEOUT))
    print('scan (plugin scan function):        %6.2f s, this process at most %d MiB'
          % (scan_time, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
    print('ansible-inventory --list (end to end): %6.2f s, %d hosts, at most %d MiB (goal <= 30 s)'
          % (cli_time, len(hosts), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))


if __name__ == '__main__':
    main()
