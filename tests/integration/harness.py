# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the simulated fleet, talk to its control API and run ansible-playbook against it.

Used by the integration tests, `make demo` and `make bench`. It drives the simulator as a
separate process through its CLI and HTTP control interface only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE_GROUP_VARS = os.path.join(REPO, 'playbooks', 'inventories', 'example', 'group_vars')
SIMULATOR_PATH = os.path.join(REPO, 'tests', 'simulator')
CALLBACKS = os.path.join(REPO, 'tests', 'integration', 'callback_plugins')


# Commands that change nothing on the miner (and the simulator's own totals).
NOT_CHANGES = frozenset((
    'summary', 'pools', 'edevs', 'devs', 'devdetails', 'get_psu', 'get_version', 'status', 'get_miner_info',
    'get_error_code', 'get_token', 'get_customer_msg', 'summary+pools',
    # the simulator's own totals
    'reads', 'writes', 'writes_ok', 'errors', 'bad_requests', 'connections', 'idle_timeouts', 'oversized_requests',
    'firmware_rejected', 'firmware_cut', 'firmware_accepted',
))


def stop_process(process, seconds):
    """SIGTERM ``process`` if it still runs, and SIGKILL it when it has not ended ``seconds`` later."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Fleet:
    """A running simulator process serving ``miners`` WhatsMiners on loopback."""

    def __init__(self, miners=1, base_address='127.0.1.1', models=None, password='admin', workdir=None,
                 extra_args=(), restart_seconds=0.5, no_reply_probability=0.5, inventory_password=True):
        self.workdir = workdir or tempfile.mkdtemp(prefix='whatsminer-fleet-')
        self.state_dir = os.path.join(self.workdir, 'state')
        self.inventory = os.path.join(self.workdir, 'inventory.yml')
        self.ready_file = os.path.join(self.workdir, 'ready.json')
        self.password = password
        args = [sys.executable, '-m', 'whatsminer_sim', '--miners', str(miners), '--base-address', base_address,
                '--state-dir', self.state_dir, '--inventory', self.inventory, '--ready-file', self.ready_file,
                '--password', password, '--restart-seconds', str(restart_seconds),
                '--no-reply-probability', str(no_reply_probability), '--seed', '1']
        if models:
            args += ['--models', ','.join(models)]
        if inventory_password:
            args += ['--inventory-password']
        self.args = args + list(extra_args)
        self.process = None
        self.info = None

    def start(self, timeout=30.0):
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        env = dict(os.environ, PYTHONPATH=SIMULATOR_PATH + os.pathsep + os.environ.get('PYTHONPATH', ''))
        self.log = open(os.path.join(self.workdir, 'simulator.log'), 'ab')
        self.process = subprocess.Popen(self.args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.ready_file):
            if self.process.poll() is not None:
                raise RuntimeError('simulator exited with %s; see %s/simulator.log' % (self.process.returncode, self.workdir))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('simulator did not become ready in %g s' % timeout)
            time.sleep(0.05)
        with open(self.ready_file) as handle:
            self.info = json.load(handle)
        return self

    def stop(self):
        if self.process:
            stop_process(self.process, 15)
        if getattr(self, 'log', None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def miners(self):
        return self.info['miners']

    @property
    def ids(self):
        return [miner['id'] for miner in self.miners]

    # control API
    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.info['control_url'] + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def state(self, miner_id):
        return self.control('GET', '/miners/%s' % miner_id)

    def counts(self, miner_id):
        return self.state(miner_id)['counts']

    def writes(self, miner_id):
        return self.counts(miner_id).get('writes', 0)

    def changes_sent(self, miner_id):
        """Counts of the commands that change something (reads, tokens and get_customer_msg left out)."""
        return {name: count for name, count in self.counts(miner_id).items()
                if name not in NOT_CHANGES and count}

    def patch(self, miner_id, settings):
        return self.control('PATCH', '/miners/%s/state' % miner_id, settings)

    def fault(self, miner_id, kind, **params):
        return self.control('POST', '/miners/%s/faults' % miner_id, dict(params, kind=kind))

    def clear_faults(self, miner_id):
        return self.control('DELETE', '/miners/%s/faults' % miner_id)


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, output, recorded results."""

    def __init__(self, returncode, output, results):
        self.returncode = returncode
        self.output = output
        self.results = results

    def for_task(self, task_name):
        return [entry for entry in self.results if entry['task'] == task_name]

    def result(self, task_name, host=None):
        entries = [entry for entry in self.for_task(task_name) if host is None or entry['host'] == host]
        assert entries, 'no result for task %r (host %r); output:\n%s' % (task_name, host, self.output[-4000:])
        return entries[0]['result']

    def changed(self, task_name):
        return {entry['host']: bool(entry['result'].get('changed')) for entry in self.for_task(task_name)}

    def failed(self, task_name):
        """Hosts the task failed on; a miner nothing answers at counts (Ansible reports it unreachable)."""
        return {entry['host']: entry['status'] in ('failed', 'unreachable') for entry in self.for_task(task_name)}

    def unreachable(self, task_name):
        return {entry['host']: entry['status'] == 'unreachable' for entry in self.for_task(task_name)}


def use_example_group_vars(inventory_dir):
    """Copy the example inventory's group_vars beside an inventory, as an operator starting from it would."""
    shutil.copytree(EXAMPLE_GROUP_VARS, os.path.join(inventory_dir, 'group_vars'), dirs_exist_ok=True)


def run_playbook(playbook, inventory, workdir, extra_vars=None, check=False, diff=False, verbosity=0, forks=20,
                 limit=None, env=None, extra_args=()):
    """Run ansible-playbook (``playbook`` is a path or YAML text) and return a PlaybookRun."""
    if '\n' in playbook:
        fd, path = tempfile.mkstemp(suffix='.yml', dir=workdir)
        with os.fdopen(fd, 'w') as handle:
            handle.write(playbook)
        playbook = path
    fd, record = tempfile.mkstemp(suffix='.jsonl', dir=workdir)
    os.close(fd)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory, playbook,
               '--forks', str(forks)]
    if extra_vars:
        command += ['-e', json.dumps(extra_vars)]
    if check:
        command.append('--check')
    if diff:
        command.append('--diff')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    if limit:
        command += ['--limit', limit]
    command += list(extra_args)
    run_env = dict(os.environ)
    run_env.update(
        RECORD_RESULTS_FILE=record,
        ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
        ANSIBLE_CALLBACKS_ENABLED='record_results',
        ANSIBLE_HOST_KEY_CHECKING='False',
        ANSIBLE_RETRY_FILES_ENABLED='False',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_LOCALHOST_WARNING='False',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
    )
    run_env.update(env or {})
    completed = subprocess.run(command, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, check=False)
    results = []
    with open(record) as handle:
        for line in handle:
            results.append(json.loads(line))
    output = completed.stdout.decode('utf-8', 'replace')
    # A result Ansible's own callbacks cannot show (a diff that is not a dict, say) is a defect of ours.
    assert 'Callback dispatch' not in output, output
    return PlaybookRun(completed.returncode, output, results)


class Rulebook:
    """ansible-rulebook running one of the collection's rulebooks (``-r minerops.whatsminer.<name>``), its output in a log file."""

    def __init__(self, name, inventory, variables, workdir, home=None):
        self.log_path = os.path.join(workdir, '%s.log' % name)
        vars_file = os.path.join(workdir, '%s-vars.json' % name)
        with open(vars_file, 'w') as handle:
            json.dump(variables, handle)
        collections = os.path.abspath(os.environ['ANSIBLE_COLLECTIONS_PATH'].split(os.pathsep)[0])
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_COLLECTIONS_PATH=collections,
                   ANSIBLE_NOCOLOR='1', HOME=home or os.environ.get('HOME', workdir))
        self.log = open(self.log_path, 'w')
        bin_dir = os.path.dirname(sys.executable)
        self.process = subprocess.Popen([os.path.join(bin_dir, 'ansible-rulebook'), '-r', 'minerops.whatsminer.' + name, '-i', inventory,
                                         '--vars', vars_file, '-v'], stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=workdir)

    def output(self):
        self.log.flush()
        with open(self.log_path) as handle:
            return handle.read()

    def wait_for(self, predicate, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return
            assert self.process.poll() is None, 'ansible-rulebook exited:\n' + self.output()[-3000:]
            time.sleep(0.2)
        raise AssertionError('%s not within %s s; ansible-rulebook said:\n%s' % (what, seconds, self.output()[-3000:]))

    def stop(self):
        stop_process(self.process, 20)
        self.log.close()
