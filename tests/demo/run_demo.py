# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: start a simulated fleet of mixed models, run playbooks/demo.yml twice, stop the fleet."""

from __future__ import annotations

import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('DEMO_MINERS', '20'))


def ansible_playbook(inventory, playbook, *extra):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory,
               os.path.join(REPO, 'playbooks', playbook), '--forks', '25'] + list(extra)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False')
    started = time.monotonic()
    completed = subprocess.run(command, env=env, check=False)
    if completed.returncode != 0:
        raise SystemExit('ansible-playbook %s failed with exit code %d' % (playbook, completed.returncode))
    return time.monotonic() - started


def main():
    workdir = os.path.join(REPO, 'build', 'demo')
    os.makedirs(workdir, exist_ok=True)
    print('== Starting %d simulated WhatsMiners (M30S+, M50, M60, M63) on 127.0.50.x:4028' % MINERS)
    with Fleet(miners=MINERS, base_address='127.0.50.1', models=['M30S+', 'M50', 'M60', 'M63'],
               workdir=workdir, restart_seconds=1, no_reply_probability=0.5) as fleet:
        print('   inventory: %s' % fleet.inventory)
        print('== First run: the fleet is configured (expect changed)')
        first = ansible_playbook(fleet.inventory, 'demo.yml')
        print('== Second run: nothing to change for pools and power mode (expect ok)')
        second = ansible_playbook(fleet.inventory, 'demo.yml', '--diff')
        print('== Done: first run %.1f s, second run %.1f s; simulator stopped.' % (first, second))


if __name__ == '__main__':
    main()
