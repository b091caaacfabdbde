# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the connection options come from: host vars, module_defaults groups, environment, task; and main()."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from harness import REPO

FACTS = '''
- hosts: miners
  gather_facts: false
  %s
  tasks:
    - name: facts
      minerops.whatsminer.whatsminer_facts:
        gather_subset: [min, customer_msg]
        %s
'''


def _no_password_inventory(fleet, tmp_path):
    path = tmp_path / 'inventory-no-password.yml'
    with open(fleet.inventory) as source:
        text = source.read()
    path.write_text('\n'.join(line for line in text.splitlines() if 'whatsminer_password' not in line) + '\n')
    return str(path)


def test_password_from_module_defaults_group(fleet, playbook, tmp_path):
    from harness import run_playbook
    inventory = _no_password_inventory(fleet, tmp_path)
    play = FACTS % ("module_defaults:\n    group/minerops.whatsminer.whatsminer:\n      password: admin", '')
    run = run_playbook(play, inventory, str(tmp_path))
    assert run.returncode == 0, run.output
    assert 'customer_msg' in run.result('facts', fleet.ids[0])['ansible_facts']['whatsminer']


def test_password_from_environment(fleet, tmp_path):
    from harness import run_playbook
    inventory = _no_password_inventory(fleet, tmp_path)
    without = run_playbook(FACTS % ('', ''), inventory, str(tmp_path))
    assert without.returncode != 0
    assert 'password is required to read the customer_msg subset' in without.result('facts', fleet.ids[0])['msg']
    run = run_playbook(FACTS % ('', ''), inventory, str(tmp_path), env=dict(WHATSMINER_PASSWORD='admin'))
    assert run.returncode == 0, run.output
    assert 'customer_msg' in run.result('facts', fleet.ids[0])['ansible_facts']['whatsminer']


def test_task_options_override_host_vars(fleet, playbook):
    other = fleet.miners[1]
    run = playbook(fleet, FACTS % ('', 'host: %s\n        port: %d' % (other['host'], other['port'])), limit=fleet.ids[0])
    assert run.returncode == 0, run.output
    assert run.result('facts')['ansible_facts']['whatsminer']['host'] == other['host']


def test_wrong_port_from_host_vars_names_the_endpoint(fleet, playbook):
    run = playbook(fleet, FACTS % ('', 'timeout: 2'), extra_vars=dict(whatsminer_port=4999), limit=fleet.ids[0])
    assert run.returncode != 0
    assert '%s:4999' % fleet.miners[0]['host'] in run.result('facts')['msg']


def test_module_main_works_without_the_action_plugin(fleet, tmp_path):
    """The module file's main() (AnsiballZ path, e.g. ansible-doc examples run elsewhere) runs the same code."""
    args = tmp_path / 'args.json'
    miner = fleet.miners[0]
    module_args = dict(host=miner['host'], port=miner['port'], password='admin', gather_subset=['min'])
    args.write_text(json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args)))
    module = os.path.join(REPO, 'plugins', 'modules', 'whatsminer_facts.py')
    completed = subprocess.run([sys.executable, module, str(args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                               env=dict(os.environ))
    result = json.loads(completed.stdout)
    assert result['ansible_facts']['whatsminer']['model'] == miner['model'], completed.stderr
    assert 'admin' not in completed.stdout.decode().replace('"password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"', '')
