# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: start N simulated miners (default 1,000) in one process and time N concurrent ``summary`` requests.

Usage (from the repository root)::

    python tests/simulator/bench.py [--miners 1000] [--rounds 3] [--base-address 127.0.1.1] [--api v3]

With ``--api v3`` every miner is a V3 miner and each request is a V3 ``get.miner.status``
``summary`` frame on port 4433 (a new connection per request, as most V3 clients do).

Not a test: it prints the figures (start-up time, wall time of each round of concurrent
requests, failures) and exits non-zero if any request failed.
"""

import argparse
import asyncio
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


async def one_summary(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b'{"cmd":"summary"}')
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    reply = json.loads(data)
    return reply['SUMMARY'][0]['MHS 1m']


async def one_summary_v3(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        body = b'{"cmd":"get.miner.status","param":"summary"}'
        writer.write(struct.pack('<I', len(body)) + body)
        await writer.drain()
        (size,) = struct.unpack('<I', await reader.readexactly(4))
        data = await reader.readexactly(size)
    finally:
        writer.close()
    return json.loads(data)['msg']['summary']['hash-1min']


async def one_round(miners):
    start = time.perf_counter()
    results = await asyncio.gather(*((one_summary_v3(m['host'], m['v3_port']) if m.get('api') == 'v3' else one_summary(m['host'], m['port']))
                                     for m in miners), return_exceptions=True)
    elapsed = time.perf_counter() - start
    failures = [r for r in results if isinstance(r, BaseException)]
    return elapsed, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--miners', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--base-address', default='127.0.1.1')
    parser.add_argument('--api', default='v2', help='v2 (default), v3 or mixed')
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.miners * 2 + 256)), hard))
    with tempfile.TemporaryDirectory(prefix='wm-bench-') as tmp:
        ready = os.path.join(tmp, 'ready.json')
        env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get('PYTHONPATH', ''))
        cmd = [sys.executable, '-m', 'whatsminer_sim', '--miners', str(args.miners), '--base-address', args.base_address,
               '--state-dir', os.path.join(tmp, 'state'), '--ready-file', ready, '--ramp-seconds', '0', '--api', args.api]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)  # pylint: disable=consider-using-with
        try:
            while not os.path.exists(ready):
                if proc.poll() is not None:
                    print('simulator exited with %s' % proc.returncode)
                    return 1
                time.sleep(0.01)
            startup = time.perf_counter() - start
            with open(ready, encoding='utf-8') as handle:
                miners = json.load(handle)['miners']
            print('started %d miners in %.2f s (until the ready file)' % (len(miners), startup))
            failed = 0
            for i in range(args.rounds):
                elapsed, failures = asyncio.run(one_round(miners))
                failed += len(failures)
                print('round %d: %d concurrent summary requests in %.3f s (%d failed%s)' % (
                    i + 1, len(miners), elapsed, len(failures), ': %r' % failures[0] if failures else ''))
            start = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
            print('SIGTERM -> exit %d in %.2f s' % (code, time.perf_counter() - start))
            return 1 if failed or code else 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == '__main__':
    sys.exit(main())
