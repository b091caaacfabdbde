#!/usr/bin/env python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make mutation`: mutation testing of the convergence engine, the crypto, the transport and the fan-out.

Cosmic Ray (a maintained mutation tester) mutates one file in place and runs a test command per mutant;
that fits the collection's layout (modules imported as ansible_collections.minerops.whatsminer...), which
the copy-into-mutants/ approach of mutmut 3 does not. Each target runs in a copy of the tracked files of
its own, against the fast unit tests that exercise it, two sessions at a time. It prints the score per
module and every surviving mutant (file:line, operator), and writes build/mutation/report.json.

    python tests/mutation/run_mutation.py [--shards=N] [target ...]      targets: engine crypto transport fanout

``--shards=N`` splits each target's mutants into N sessions (trees of their own), two running at a time.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(REPO, 'build', 'mutation')
BIN = os.path.dirname(sys.executable)
UNIT = 'tests/unit/plugins/'
TARGETS = {
    # name: (file, the unit tests that exercise it)
    'engine': ('plugins/module_utils/_engine.py', [UNIT + 'modules/test_every_module.py', UNIT + 'modules/test_power.py',
                                                   UNIT + 'modules/test_pools.py']),
    'crypto': ('plugins/module_utils/crypto.py', [UNIT + 'module_utils/test_crypto.py', UNIT + 'module_utils/test_client.py',
                                                  UNIT + 'module_utils/test_client_v3.py']),
    'transport': ('plugins/module_utils/transport.py', [UNIT + 'module_utils/test_transport_bounds.py', UNIT + 'module_utils/test_firmware_header.py',
                                                        UNIT + 'module_utils/test_transport_streams.py', UNIT + 'module_utils/test_transport.py',
                                                        UNIT + 'module_utils/test_client.py',
                                                        UNIT + 'module_utils/test_client_v3.py']),
    'fanout': ('plugins/module_utils/_fleet.py', [UNIT + 'modules/test_fleet_power.py', UNIT + 'modules/test_every_module.py',
                                                  UNIT + 'module_utils/test_fuzz_bad_input.py']),
}
# Operators left out: replacing "%" (here: string formatting of messages) and the bitwise, shift, power and
# floor-division variants of each arithmetic operator multiply the mutants without telling more.
EXCLUDED_OPERATORS = [r'core/ReplaceBinaryOperator_Mod_.*', r'core/ReplaceBinaryOperator_.*_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|FloorDiv|Mod)$']
CONFIG = '''[cosmic-ray]
module-path = "{module}"
timeout = 60.0
excluded-modules = []
test-command = "{python} -m pytest -x -q -p no:cacheprovider -p no:warnings {tests}"

[cosmic-ray.distributor]
name = "local"

[cosmic-ray.filters.operators-filter]
exclude-operators = {excluded}
'''


def tree_for(name):
    """A copy of the tracked files, importable as ansible_collections.minerops.whatsminer (mutated in place)."""
    root = os.path.join(WORK, name)
    collection = os.path.join(root, 'ansible_collections', 'minerops', 'whatsminer')
    shutil.rmtree(root, ignore_errors=True)
    files = subprocess.run(['git', 'ls-files'], cwd=REPO, stdout=subprocess.PIPE, check=True).stdout.decode().split('\n')
    for path in filter(None, files):
        if not os.path.isfile(os.path.join(REPO, path)):
            continue
        os.makedirs(os.path.dirname(os.path.join(collection, path)), exist_ok=True)
        shutil.copy2(os.path.join(REPO, path), os.path.join(collection, path))
    return root, collection


def _cosmic_ray(command, collection, env, name):
    completed = subprocess.run([os.path.join(BIN, command[0])] + command[1:], cwd=collection, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        raise SystemExit('%s failed for %s:\n%s' % (' '.join(command), name, completed.stdout.decode()[-3000:]))


def _keep_shard(session, shard, shards):
    """Leave this shard's mutants to run: the others are marked done (skipped) in this session."""
    db = sqlite3.connect(session)
    pending = [row[0] for row in db.execute('SELECT job_id FROM work_items WHERE job_id NOT IN (SELECT job_id FROM work_results) '
                                            'ORDER BY job_id')]
    others = [job for position, job in enumerate(pending) if position % shards != shard]
    db.executemany('INSERT INTO work_results (job_id, worker_outcome, output, test_outcome, diff) VALUES (?, "SKIPPED", "", NULL, "")',
                   [(job,) for job in others])
    db.commit()
    db.close()
    return set(others)


def run_shard(job):
    """One shard of one target in a tree of its own: Cosmic Ray's init, operator filter, baseline and exec."""
    name, shard, shards = job
    path, tests = TARGETS[name]
    root, collection = tree_for('%s-%d' % (name, shard))
    config = os.path.join(root, 'cosmic-ray.toml')
    session = os.path.join(root, 'session.sqlite')
    with open(config, 'w') as handle:
        handle.write(CONFIG.format(module=os.path.join(collection, path), python=sys.executable, tests=' '.join(tests),
                                   excluded=json.dumps(EXCLUDED_OPERATORS)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.path.join(collection, 'tests', 'simulator')]),
               ANSIBLE_COLLECTIONS_PATH=root, PYTHONDONTWRITEBYTECODE='1')
    started = time.monotonic()
    _cosmic_ray(['cosmic-ray', 'init', config, session], collection, env, name)
    _cosmic_ray(['cr-filter-operators', session, config], collection, env, name)
    elsewhere = _keep_shard(session, shard, shards)
    _cosmic_ray(['cosmic-ray', 'baseline', config], collection, env, name)
    _cosmic_ray(['cosmic-ray', 'exec', config, session], collection, env, name)
    return name, survivors_of(session, elsewhere), time.monotonic() - started


def survivors_of(session, elsewhere=()):
    """{killed, total, survivors} from a Cosmic Ray session (its own SQLite tables); ``elsewhere``: other shards' jobs."""
    db = sqlite3.connect(session)
    rows = db.execute('SELECT s.job_id, s.operator_name, s.start_pos_row, s.definition_name, r.test_outcome, r.worker_outcome '
                      'FROM mutation_specs s JOIN work_results r ON r.job_id = s.job_id').fetchall()
    db.close()
    counted = [row for row in rows if row[5] != 'SKIPPED' and row[0] not in elsewhere]
    survived = [row for row in counted if row[4] == 'SURVIVED']
    return dict(total=len(counted), killed=len(counted) - len(survived),
                survivors=[(row[2], '%s (%s)' % (row[3] or 'module', row[1])) for row in survived])


def main(args):
    shards = 1
    if args and args[0].startswith('--shards='):
        shards = int(args.pop(0).split('=', 1)[1])
    names = args or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        raise SystemExit('unknown target(s) %s; known: %s' % (', '.join(unknown), ', '.join(TARGETS)))
    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_shard, [(name, shard, shards) for name in names for shard in range(shards)]))
    report = {}
    for name in names:
        parts = [(outcome, seconds) for target, outcome, seconds in results if target == name]
        killed, total = sum(p[0]['killed'] for p in parts), sum(p[0]['total'] for p in parts)
        survivors = sorted(s for p in parts for s in p[0]['survivors'])
        score = 100.0 * killed / total if total else 100.0
        report[name] = dict(file=TARGETS[name][0], killed=killed, total=total, score=round(score, 1),
                            seconds=round(max(p[1] for p in parts)), survivors=['line %d: %s' % s for s in survivors])
    for name, entry in report.items():
        print('%-10s %-40s %4d/%-4d killed  %5.1f %%  (%d s)'
              % (name, entry['file'], entry['killed'], entry['total'], entry['score'], entry['seconds']))
        for survivor in entry['survivors']:
            print('    survived: %s' % survivor)
    killed, total = sum(e['killed'] for e in report.values()), sum(e['total'] for e in report.values())
    score = 100.0 * killed / total if total else 100.0
    print('overall: %d/%d killed, %.1f %% in %.0f s' % (killed, total, score, time.monotonic() - started))
    with open(os.path.join(WORK, 'report-%s.json' % '-'.join(names)), 'w') as handle:
        json.dump(dict(report, overall=dict(killed=killed, total=total, score=round(score, 1))), handle, indent=1)


if __name__ == '__main__':
    main(sys.argv[1:])
