# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench-curtail`: curtailing N simulated miners, against a floor measured in the same run.

For each fleet size (BENCH_SIZES, default "1000 10000") one simulator serves N V2.2 miners, and three
ways of curtailing every miner to 50 percent are timed one after the other:

(a) floor - a minimal asyncio client written here, doing exactly the requests the collection does
    per miner (``summary+status``, ``get_token``, the encrypted ``set_power_pct``, ``summary``), with
    the same concurrency, and nothing else: no validation, no result, no report;
(b) task - ``whatsminer_fleet_power`` from a one-host play (the task's own wall time, from the callback);
(c) playbook - ``ansible-playbook curtail.yml`` over the simulator's inventory, end to end, as an operator runs it.

(d) Ansible's own floor - ``ansible-playbook`` over the same inventory running one ``run_once``
    ``ansible.builtin.debug`` on the miners: what any play over that inventory costs before it does anything.

Prints one row per size and the ratios against the goals (task <= 1.2 x floor; curtail.yml <= floor + 2 s at
1,000 miners and <= 20 s at 10,000). Not a timed test: the figures depend on the machine.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import resource
import sys
import tempfile
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib.hash import md5_crypt

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet, run_playbook, use_example_group_vars  # noqa: E402 pylint: disable=wrong-import-position

SIZES = [int(size) for size in os.environ.get('BENCH_SIZES', '1000 10000').split()]
CONCURRENCY = int(os.environ.get('BENCH_CONCURRENCY', '500'))
BASE = os.environ.get('BENCH_BASE', '127.16.0.1')
PASSWORD = 'admin'

TASK = '''
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: fan-out
      minerops.whatsminer.whatsminer_fleet_power:
        miners: "{{ lookup('ansible.builtin.file', '%s') | from_json }}"
        state: curtailed
        power_percent: 50
        concurrency: %d
'''


# ---------------------------------------------------------------------------- (a) the floor


md5_crypt.set_backend(md5_crypt.get_backend())  # as the collection and the simulator do: no backend detection per hash


def _md5_crypt(secret, salt):
    return md5_crypt.using(salt=salt).hash(secret).split('$', 3)[3]


async def _ask(host, port, payload):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(payload)
        return json.loads(await reader.read())
    finally:
        writer.close()


def _encrypted(key, token, body):
    plain = json.dumps(dict(body, token=token)).encode()
    plain += b'\0' * (-len(plain) % 16)
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.ECB()).encryptor()
    return json.dumps({'enc': 1, 'data': base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()}).encode()


async def _curtail_one(miner, keys):
    host, port = miner['host'], miner['port']
    await _ask(host, port, b'{"cmd":"summary+status"}')
    token = (await _ask(host, port, b'{"cmd":"get_token"}'))['Msg']
    key = keys.get(token['salt']) or keys.setdefault(token['salt'], _md5_crypt(PASSWORD, token['salt']))
    sign = _md5_crypt(key + token['time'][-4:], token['newsalt'])
    reply = await _ask(host, port, _encrypted(key, sign, {'cmd': 'set_power_pct', 'percent': '50'}))
    await _ask(host, port, b'{"cmd":"summary"}')
    if 'enc' not in reply:
        raise RuntimeError('refused: %r' % reply)


async def _floor(miners):
    gate = asyncio.Semaphore(CONCURRENCY)
    keys = {}

    async def one(miner):
        async with gate:
            await _curtail_one(miner, keys)

    results = await asyncio.gather(*(one(miner) for miner in miners), return_exceptions=True)
    return sum(1 for result in results if isinstance(result, BaseException))


def floor(miners):
    started = time.monotonic()
    failed = asyncio.run(_floor(miners))
    return time.monotonic() - started, failed


# ---------------------------------------------------------------------------- (b) the task, (c) the playbook


def task(fleet, workdir):
    members = os.path.join(workdir, 'members.json')
    with open(members, 'w') as handle:
        json.dump([dict(host=m['host'], port=m['port'], name=m['id'], api='v2', password=PASSWORD) for m in fleet.miners], handle)
    run = run_playbook(TASK % (members, CONCURRENCY), fleet.inventory, workdir)
    if run.returncode != 0:
        raise SystemExit('task failed:\n' + run.output[-3000:])
    entry = run.for_task('fan-out')[0]
    return entry['elapsed'], entry['result']['summary']


def playbook(fleet, workdir):
    use_example_group_vars(os.path.dirname(fleet.inventory))
    started = time.monotonic()
    run = run_playbook(os.path.join(REPO, 'playbooks', 'curtail.yml'), fleet.inventory, workdir,
                       extra_vars=dict(power_curtail_concurrency=CONCURRENCY, power_curtail_power_percent=50))
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit('curtail.yml failed:\n' + run.output[-3000:])
    fan_out = [entry for entry in run.results if entry['task'].endswith('Drive every miner of the play from one task')]
    return elapsed, fan_out[0]['result']['summary']


DEBUG = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: debug
      ansible.builtin.debug:
        msg: "{{ ansible_play_hosts | length }} miners"
      run_once: true
'''


def ansible_floor(fleet, workdir):
    use_example_group_vars(os.path.dirname(fleet.inventory))
    started = time.monotonic()
    run = run_playbook(DEBUG, fleet.inventory, workdir)
    if run.returncode != 0:
        raise SystemExit('debug failed:\n' + run.output[-3000:])
    return time.monotonic() - started


def bench(size):
    workdir = tempfile.mkdtemp(prefix='whatsminer-bench-curtail-%d-' % size)
    started = time.monotonic()
    fleet = Fleet(miners=size, base_address=BASE, workdir=workdir, password=PASSWORD).start(timeout=600)
    startup = time.monotonic() - started
    try:
        floor_s, floor_failed = floor(fleet.miners)
        task_s, task_summary = task(fleet, workdir)
        book_s, book_summary = playbook(fleet, workdir)
        debug_s = ansible_floor(fleet, workdir)
        curtailed = sum(1 for miner_id in fleet.ids[:20] if fleet.state(miner_id)['power_pct_temp'] == 50)
    finally:
        fleet.stop()
    return dict(size=size, startup=startup, floor=floor_s, floor_failed=floor_failed, task=task_s, task_failed=task_summary['failed'],
                playbook=book_s, playbook_failed=book_summary['failed'], sample=curtailed, debug=debug_s)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print('curtail N simulated V2.2 miners to 50 %%, concurrency %d (%d CPUs)' % (CONCURRENCY, os.cpu_count()))
    columns = ('miners', 'floor s', 'task s', 'x floor', 'play s', '- floor', 'debug s', 'play-dbg', 'failed f/t/p, simulator start')
    print('%7s | %8s | %8s %7s | %8s %9s | %9s %9s | %s' % columns)
    for size in SIZES:
        row = bench(size)
        goal = 'goal <= floor + 2 s' if row['size'] <= 1000 else 'goal <= 20 s'
        print('%7d | %8.2f | %8.2f %6.2fx | %8.2f %+8.2fs | %9.2f %8.2fs | %d/%d/%d, %.1f s (%s; task goal <= 1.2x)' % (
            row['size'], row['floor'], row['task'], row['task'] / row['floor'], row['playbook'], row['playbook'] - row['floor'],
            row['debug'], row['playbook'] - row['debug'], row['floor_failed'], row['task_failed'], row['playbook_failed'],
            row['startup'], goal))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
