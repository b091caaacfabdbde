#!/usr/bin/env python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make mutation`: mutation testing of the convergence engine, the crypto, the transport and the fan-out.

Cosmic Ray (a maintained mutation tester) mutates one file in place and runs a test command per mutant;
that fits the collection's layout (modules imported as ansible_collections.minerops.whatsminer...), which
the copy-into-mutants/ approach of mutmut 3 does not. Each target runs in a copy of the tracked files of
its own, against the fast unit tests that exercise it, two targets at a time. It prints the score per
module and every surviving mutant (file:line, operator), and writes build/mutation/report.json.

    python tests/mutation/run_mutation.py [target ...]      targets: engine crypto transport fanout
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
    'transport': ('plugins/module_utils/transport.py', [UNIT + 'module_utils/test_transport.py', UNIT + 'module_utils/test_client.py',
                                                        UNIT + 'module_utils/test_client_v3.py']),
    'fanout': ('plugins/module_utils/_fleet.py', [UNIT + 'modules/test_every_module.py', UNIT + 'module_utils/test_fuzz_bad_input.py']),
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


def run_target(name):
    path, tests = TARGETS[name]
    root, collection = tree_for(name)
    config = os.path.join(root, 'cosmic-ray.toml')
    session = os.path.join(root, 'session.sqlite')
    with open(config, 'w') as handle:
        handle.write(CONFIG.format(module=os.path.join(collection, path), python=sys.executable, tests=' '.join(tests),
                                   excluded=json.dumps(EXCLUDED_OPERATORS)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.path.join(collection, 'tests', 'simulator')]),
               ANSIBLE_COLLECTIONS_PATH=root, PYTHONDONTWRITEBYTECODE='1')
    started = time.monotonic()
    for command in (['cosmic-ray', 'init', config, session], ['cr-filter-operators', session, config],
                    ['cosmic-ray', 'baseline', config], ['cosmic-ray', 'exec', config, session]):
        completed = subprocess.run([os.path.join(BIN, command[0])] + command[1:], cwd=collection, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        if completed.returncode != 0:
            raise SystemExit('%s failed for %s:\n%s' % (' '.join(command), name, completed.stdout.decode()[-3000:]))
    return name, path, survivors_of(session), time.monotonic() - started


def survivors_of(session):
    """(killed, total, [survivor description]) from a Cosmic Ray session (its own SQLite tables)."""
    db = sqlite3.connect(session)
    rows = db.execute('SELECT s.operator_name, s.start_pos_row, s.definition_name, r.test_outcome, r.worker_outcome '
                      'FROM mutation_specs s JOIN work_results r ON r.job_id = s.job_id').fetchall()
    skipped = db.execute('SELECT COUNT(*) FROM work_results WHERE worker_outcome = "SKIPPED"').fetchone()[0]
    db.close()
    counted = [row for row in rows if row[4] != 'SKIPPED']
    survived = sorted((row for row in counted if row[3] == 'SURVIVED'), key=lambda row: row[1])
    return dict(total=len(counted), killed=len(counted) - len(survived), skipped=skipped,
                survivors=['line %d (%s): %s' % (row[1], row[2] or 'module', row[0]) for row in survived])


def main(names):
    names = names or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        raise SystemExit('unknown target(s) %s; known: %s' % (', '.join(unknown), ', '.join(TARGETS)))
    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_target, names))
    report = {}
    total = killed = 0
    for name, path, outcome, seconds in results:
        total += outcome['total']
        killed += outcome['killed']
        score = 100.0 * outcome['killed'] / outcome['total'] if outcome['total'] else 100.0
        report[name] = dict(outcome, file=path, score=round(score, 1), seconds=round(seconds))
        print('%-10s %-40s %4d/%-4d killed  %5.1f %%  (%d s)' % (name, path, outcome['killed'], outcome['total'], score, seconds))
        for survivor in outcome['survivors']:
            print('    survived: %s' % survivor)
    score = 100.0 * killed / total if total else 100.0
    print('overall: %d/%d killed, %.1f %% in %.0f s' % (killed, total, score, time.monotonic() - started))
    with open(os.path.join(WORK, 'report.json'), 'w') as handle:
        json.dump(dict(report, overall=dict(killed=killed, total=total, score=round(score, 1))), handle, indent=1)


if __name__ == '__main__':
    main(sys.argv[1:])
