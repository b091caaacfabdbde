# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documentation stays true (issue #18): every code block of README.md and the guides runs, or says why not.

Each guide gets a project directory of its own, laid out as its blocks say: a block whose first line is
``# group_vars/<name>.yml`` (or ``# inventory/...``) becomes that file of the inventory, a block named
``# <file>.yml`` becomes that playbook, a block of tasks runs inside a play on ``miners``. The inventory is
the guide's own inventory block where it has one, else a small one with the host and group names the guides
use (``rig01``, ``rig17``, ``site_a``, ``model_m50``...); only the addresses are the simulator's. The guide's
commands (``$ ansible-playbook -i inventory/ ...``) then run in that directory, verbatim but for a vault
password file in place of an interactive prompt. Blocks that cannot run here are listed in ``NOT_RUN`` with
the reason, and a test fails for any block that is neither run nor listed.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from harness import REPO, SIMULATOR_PATH, Fleet  # pylint: disable=import-error

DOCS = sorted(glob.glob(os.path.join(REPO, 'docs', 'docsite', 'rst', 'guide_*.rst')))
README = os.path.join(REPO, 'README.md')

# (document, first line of the block) -> why it does not run in the tests
NOT_RUN = {
    ('README.md', 'make demo    # builds .venv, starts 50 simulated miners (V2 and V3), discovers, configures twice, curtails, restores, reports'):
        'the README set-up commands: CI runs make test itself, make demo is the demo (tests/demo/run_demo.py)',
    ('guide_getting_started.rst', '$ ansible-galaxy collection install minerops.whatsminer'):
        'installs from Galaxy, which this build machine cannot reach; make check builds, installs and smoke-tests the artifact',
    ('guide_getting_started.rst', '$ ansible-galaxy collection build --output-path dist .'):
        'make check (mk/ecosystem.mk galaxy-build) runs this build and installs the artifact into a fresh path',
    ('guide_getting_started.rst', "$ ansible-vault encrypt_string --vault-id site_a@prompt 'Rig_2026' --name whatsminer_password"):
        'asks for a vault password on a terminal; test_operator_first_day encrypts with a password file the same way',
    ('guide_getting_started.rst', '# inventory/group_vars/site_a.yml'):
        'shows the shape of a vaulted value (its ciphertext is elided); the tests write real vaulted group_vars',
    ('README.md', 'miners:'):
        'shows the shape of a vaulted value (its ciphertext is elided); guide_getting_started\'s inventory block runs',
    ('guide_event_driven.rst', '$ ansible-rulebook -r minerops.whatsminer.demand_response -i inventory/ --vars grid-signal.yml'):
        'a long-running listener and a POST to it: test_event_driven runs this rulebook and posts these signals',
    ('guide_ci_simulator.rst', '# .github/workflows/playbooks.yml'):
        'a GitHub Actions workflow: it runs ci/playbooks.sh, which runs here (test_ci_guide_script_runs_verbatim)',
    ('guide_ci_simulator.rst', '$ PYTHONPATH=tests/simulator python -m whatsminer_sim --miners 5 --inventory inv.yml \\'):
        'interactive fault injection through the control API; tests/simulator/tests covers each call and fault kind',
}
SIMULATED_HOSTS = ('rig01', 'rig02', 'rig17', 'rig51')


def _rst_blocks(path):
    lines = open(path).read().split('\n')
    blocks, index = [], 0
    while index < len(lines):
        match = re.match(r'^(\s*)\.\. code-block::\s*(\S+)', lines[index])
        index += 1
        if not match:
            continue
        indent, lang = len(match.group(1)), match.group(2)
        while index < len(lines) and not lines[index].strip():
            index += 1
        body = []
        while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent):
            body.append(lines[index])
            index += 1
        while body and not body[-1].strip():
            body.pop()
        pad = min(len(line) - len(line.lstrip()) for line in body if line.strip())
        blocks.append((lang, '\n'.join(line[pad:] for line in body) + '\n'))
    return blocks


def _md_blocks(path):
    text = open(path).read()
    blocks = []
    for match in re.finditer(r'^( *)```(\w*)\n(.*?)^\1```', text, re.S | re.M):
        pad = len(match.group(1))
        blocks.append((match.group(2), ''.join(line[pad:] + '\n' for line in match.group(3).rstrip('\n').split('\n'))))
    return blocks


def all_blocks():
    found = [('README.md', lang, body) for lang, body in _md_blocks(README)]
    for path in DOCS:
        found += [(os.path.basename(path), lang, body) for lang, body in _rst_blocks(path)]
    return found


def first_line(body):
    return body.split('\n', 1)[0].strip()


def kind(lang, body):
    """What a block is: playbook, tasks, group_vars, inventory, discovery, commands, or script."""
    head = first_line(body)
    if lang in ('console',):
        return 'commands'
    if lang in ('bash', 'sh'):
        return 'script'
    if lang != 'yaml':
        return lang
    data = yaml.safe_load(body)
    if re.match(r'^# (inventory/)?group_vars/', head):
        return 'group_vars'
    if isinstance(data, dict) and data.get('plugin'):
        return 'discovery'
    if isinstance(data, dict):
        return 'inventory'
    if isinstance(data, list) and all(isinstance(item, dict) and 'hosts' in item for item in data):
        return 'playbook'
    return 'tasks'


class Project(object):
    """One guide's project directory against a simulated fleet whose hosts carry the guide's names."""

    def __init__(self, guide, blocks, fleet, root):
        self.guide, self.fleet, self.root = guide, fleet, root
        self.inventory = os.path.join(root, 'inventory')
        os.makedirs(os.path.join(self.inventory, 'group_vars'))
        self.vault_file = os.path.join(root, 'vault-pass')
        with open(self.vault_file, 'w') as handle:
            handle.write('not a secret\n')
        self.addresses = [miner['host'] for miner in fleet.miners]
        self.playbooks = {}
        self.ran = []
        own_inventory = None
        for lang, body in blocks:
            what = kind(lang, body)
            head = first_line(body)
            if what == 'group_vars':
                name = head.split('group_vars/', 1)[1]
                self._write(os.path.join(self.inventory, 'group_vars', name), body, append=True)
                self.ran.append(head)
            elif what == 'inventory':
                own_inventory = body
            elif what == 'playbook':
                name = head[2:].split()[0] if re.match(r'^# [\w.-]+\.yml', head) else 'block%d.yml' % len(self.playbooks)
                self.playbooks[name] = body
                self._write(os.path.join(root, name), body)
        self._write_inventory(own_inventory)

    @staticmethod
    def _write(path, text, append=False):
        """Write ``text``; with ``append``, after what a previous block of the same file wrote."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        earlier = append and os.path.exists(path)
        with open(path, 'a' if earlier else 'w') as handle:
            handle.write('\n' + text if earlier else text)

    def _write_inventory(self, own):
        """The guide's own static inventory with the simulator's addresses, else one with the guides' names."""
        if own is not None:
            data = yaml.safe_load(own)
            hosts = iter(self.addresses)

            def readdress(node):
                for value in (node or {}).values():
                    if isinstance(value, dict):
                        if 'ansible_host' in value:
                            value['ansible_host'] = next(hosts)
                            value.pop('whatsminer_port', None)  # one port for all simulated miners
                        else:
                            readdress(value)
            readdress(data)
            self.ran.append(first_line(own))
        else:
            members = dict((name, dict(ansible_host=address)) for name, address in zip(SIMULATED_HOSTS, self.addresses))
            data = dict(miners=dict(children=dict(
                site_a=dict(hosts=dict((name, members[name]) for name in SIMULATED_HOSTS[:3])),
                site_b=dict(hosts={SIMULATED_HOSTS[3]: members[SIMULATED_HOSTS[3]]}),
                model_m50=dict(hosts=dict((name, {}) for name in SIMULATED_HOSTS[:3])),
            )))
        with open(os.path.join(self.inventory, 'hosts.yml'), 'w') as handle:
            yaml.safe_dump(data, handle)

    def run_commands(self, body):
        """Each ``$ ansible-playbook`` / ``$ ansible-inventory`` line of a console block, in the project directory."""
        results = []
        for command in re.findall(r'^\$ (.+(?:\\\n.+)*)', body, re.M):
            command = command.replace('\\\n', ' ').split('  #', 1)[0]
            argv = shlex.split(command)
            argv = ['--vault-password-file' if arg == '--ask-vault-pass' else arg for arg in argv]
            if '--vault-password-file' in argv:
                argv.insert(argv.index('--vault-password-file') + 1, self.vault_file)
            argv[0] = os.path.join(os.path.dirname(sys.executable), argv[0])
            results.append((command, self._exec(argv)))
        return results

    def _exec(self, argv):
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', WHATSMINER_PASSWORD='admin', SITE_A_MINER_PASSWORD='admin')
        completed = subprocess.run(argv, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=600, check=False)
        return completed.returncode, completed.stdout.decode('utf-8', 'replace')

    def run_playbook(self, name, extra=()):
        return self._exec([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'inventory/', name]
                          + list(extra))


def test_every_block_is_run_or_says_why_not():
    runnable = ('playbook', 'tasks', 'group_vars', 'inventory', 'discovery', 'commands', 'script')
    listed = set(NOT_RUN)
    for document, lang, body in all_blocks():
        key = (document, first_line(body))
        if key in listed:
            listed.discard(key)
            continue
        assert kind(lang, body) in runnable, '%s: a %s block nobody runs: %s' % (document, lang, key[1])
    assert not listed, 'NOT_RUN names blocks the docs no longer have: %s' % sorted(listed)


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('docs-fleet'))
    with Fleet(miners=4, base_address='127.0.61.1', models=['M50'], workdir=workdir, restart_seconds=0.3,
               extra_args=['--ramp-seconds', '0.5']) as running:
        yield running


def _guide_blocks(guide):
    return [(lang, body) for document, lang, body in all_blocks()
            if document == guide and (document, first_line(body)) not in NOT_RUN]


def _image(project):
    path = os.path.join(project.root, 'files', 'firmware', 'M50-20250101.22.REL.bin')
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version',
                    '20250101.22.REL', '--out', path], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, PYTHONPATH=SIMULATOR_PATH))


def _run_guide(guide, fleet, tmp_path):
    blocks = _guide_blocks(guide)
    project = Project(guide, blocks, fleet, str(tmp_path / 'project'))
    _image(project)
    outcomes = []
    for lang, body in blocks:
        what = kind(lang, body)
        head = first_line(body)
        commands = '\n'.join(text for block_lang, text in blocks if block_lang == 'console')
        run_by_a_command = re.search(r'^\$ ansible-playbook .*%s' % re.escape(_name_of(project, body)), commands, re.M) \
            if what == 'playbook' else None
        if what == 'playbook' and not run_by_a_command:
            extra = re.findall(r'-e (\S+)', head)
            outcomes.append((head, project.run_playbook(_name_of(project, body), sum((['-e', e] for e in extra), []))))
        elif what == 'tasks':
            play = [dict(name='Tasks from %s' % guide, hosts='miners', gather_facts=False, tasks=yaml.safe_load(body))]
            path = os.path.join(project.root, 'tasks-%d.yml' % len(outcomes))
            with open(path, 'w') as handle:
                yaml.safe_dump(play, handle)
            outcomes.append((head, project.run_playbook(os.path.basename(path))))
        elif what == 'commands':
            outcomes += project.run_commands(body)
        elif what == 'discovery':
            data = yaml.safe_load(body)
            data.update(networks=['%s-%s' % (project.addresses[0], project.addresses[-1])], exclude=[], timeout=1)
            source = os.path.join(project.root, 'discovered.whatsminer.yml')
            with open(source, 'w') as handle:
                yaml.safe_dump(data, handle)
            outcomes.append((head, project._exec([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'),
                                                  '-i', source, '--list'])))
    return project, outcomes


def _name_of(project, body):
    return [name for name, text in project.playbooks.items() if text == body][0]


@pytest.mark.parametrize('guide', ['README.md', 'guide_getting_started.rst', 'guide_fleet_configuration.rst',
                                   'guide_curtailment.rst', 'guide_firmware_rollout.rst'])
def test_guide_blocks_run_against_the_simulator(guide, fleet, tmp_path):
    project, outcomes = _run_guide(guide, fleet, tmp_path)
    assert outcomes, 'nothing of %s ran' % guide
    for what, (returncode, output) in outcomes:
        assert returncode == 0, '%s: %s failed:\n%s' % (guide, what, output[-3000:])
        assert 'skipping: no hosts matched' not in output, '%s: %s matched no host' % (guide, what)


def test_ci_guide_script_runs_verbatim(tmp_path):
    """ci/playbooks.sh from the CI guide, with the fleet guide's role example as site.yml: it must be idempotent."""
    script = [body for document, lang, body in all_blocks() if document == 'guide_ci_simulator.rst' and lang == 'bash'][0]
    fleet_guide = _guide_blocks('guide_fleet_configuration.rst')
    for lang, body in fleet_guide:
        head = first_line(body)
        if head == '# site.yml':
            (tmp_path / 'site.yml').write_text(body)
        elif kind(lang, body) == 'group_vars':
            target = tmp_path / 'group_vars' / head.split('group_vars/', 1)[1]
            target.parent.mkdir(exist_ok=True)
            target.write_text((target.read_text() + '\n' if target.exists() else '') + body)
    (tmp_path / 'ci').mkdir()
    (tmp_path / 'ci' / 'playbooks.sh').write_text(script)
    os.symlink(os.path.join(REPO, 'tests'), str(tmp_path / 'tests'))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    completed = subprocess.run(['bash', 'ci/playbooks.sh'], cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=600, check=False)
    output = completed.stdout.decode('utf-8', 'replace')
    assert completed.returncode == 0, output[-4000:]
    second = (tmp_path / 'second-run.log').read_text()
    assert 'changed=0' in second and 'failed=0' in second and 'ok=' in second, second[-2000:]


@pytest.mark.parametrize('command', [body for document, lang, body in all_blocks()
                                     if (document, lang) in (('guide_ci_simulator.rst', 'console'), ('README.md', 'sh'))
                                     and (document, first_line(body)) not in NOT_RUN], ids=lambda body: first_line(body)[:40])
def test_simulator_commands_start_a_fleet(command, tmp_path):
    """The guides' simulator commands, verbatim (backgrounded ones are stopped once their ready file or inventory appears)."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    os.symlink(os.path.join(REPO, 'tests'), str(tmp_path / 'tests'))
    text = command.replace('\\\n', ' ')
    for line in [line.strip() for line in text.split('\n') if line.strip() and not line.startswith('#')]:
        line = line[2:] if line.startswith('$ ') else line
        # A fleet runs until stopped: started in the background, stopped once its inventory is written.
        background = line.rstrip().endswith('&') or 'whatsminer_sim --miners' in line
        line = line.rstrip().rstrip('&').replace('/tmp/sim.yml', str(tmp_path / 'sim.yml'))
        if ' &&' in line or line.startswith('ansible-playbook'):
            continue  # the README line that runs a playbook once the simulator is up: covered by the playbook tests
        process = subprocess.Popen(['bash', '-c', line], cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        if not background:
            assert process.wait(120) == 0, process.stdout.read().decode()
            continue
        inventory = re.search(r'--inventory (\S+)', line).group(1)
        deadline = 60
        while deadline > 0 and not os.path.exists(os.path.join(str(tmp_path), inventory)):
            deadline -= 0.2
            subprocess.run(['sleep', '0.2'], check=True)
        os.killpg(process.pid, 15)
        process.wait(30)
        assert os.path.exists(os.path.join(str(tmp_path), inventory)), process.stdout.read().decode()
