# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: a simulated site of mixed models, end to end with the fleet playbooks.

1. start 50 simulated WhatsMiners (M30S+, M50, M60, M63) on 127.0.220.x;
2. discover them with the minerops.whatsminer.whatsminer inventory plugin (no static inventory);
3. configure them with playbooks/site.yml (changes), then again (no change: asserted); change one miner behind the
   repository's back and find it with playbooks/drift.yml (check mode; it exits non-zero on drift);
4. curtail to 50 % with playbooks/curtail.yml (fan-out) and restore with playbooks/restore.yml;
5. write the fleet report with playbooks/report.yml and print its path; stop the simulator.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

from harness import Fleet, use_example_group_vars  # noqa: E402 pylint: disable=wrong-import-position

MINERS = int(os.environ.get('DEMO_MINERS', '50'))
BASE = os.environ.get('DEMO_BASE', '127.0.220.1')
NETWORK = os.environ.get('DEMO_NETWORK', '127.0.220.0/24')
MODELS = ['M30S+', 'M50', 'M60', 'M63']
# Every other simulated miner speaks API V3 (2024+ firmware), with its own super password; half of the
# others run the 2025 V2.2 firmware generation (Msg envelopes, pools applied at the next btminer start), the
# rest the manual's reading. The older generations (2021, 2023) lack get_customer_msg, which the site's
# record_slot settings need: site.yml refuses those there by design (docs: reference_firmware_support).
V3_PASSWORD = 'Dem0_v3'
FIRMWARE = ','.join('%d=2025' % index for index in range(0, MINERS, 4))
RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def ansible(tool, *args, **kwargs):
    command = [os.path.join(os.path.dirname(sys.executable), tool)] + list(args)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_DISPLAY_SKIPPED_HOSTS='False')
    started = time.monotonic()
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    output = completed.stdout.decode('utf-8', 'replace')
    if completed.returncode not in kwargs.get('ok_codes', (0,)):
        sys.stdout.write(output[-6000:])
        raise SystemExit('%s %s failed with exit code %d' % (tool, ' '.join(args[-1:]), completed.returncode))
    return output, time.monotonic() - started


def playbook(inventory, name, *extra):
    output, elapsed = ansible('ansible-playbook', '-i', inventory, '--forks', '50', *(list(extra) + [os.path.join(REPO, 'playbooks', name)]))
    recap = [row for row in RECAP.findall(output) if row[0] != 'localhost']  # the inventory check runs on localhost
    changed = sum(int(row[2]) for row in recap)
    failed = sum(int(row[4]) + int(row[3]) for row in recap)
    return output, elapsed, changed, failed, len(recap)


def _plain(value):
    """A host variable as ansible-inventory --list prints it (unsafe text comes wrapped)."""
    return value.get('__ansible_unsafe', value) if isinstance(value, dict) else value


def show_messages(output, task):
    """Print the debug messages of ``task`` from the output."""
    block = output.split('TASK [%s]' % task, 1)
    if len(block) < 2:
        return
    for match in re.finditer(r'"msg": "(.*)"', block[1].split('TASK [', 1)[0]):
        print('   ' + match.group(1).replace('\\n', ' '))


def writes(fleet, miner):
    """The commands that change something a miner has received (API V3 reads, get.*, left out)."""
    return dict((name, count) for name, count in fleet.changes_sent(miner).items() if not name.startswith('get.'))


def main():
    started = time.monotonic()
    workdir = os.path.join(REPO, 'build', 'demo')
    shutil.rmtree(os.path.join(workdir, 'state'), ignore_errors=True)  # a factory-fresh fleet on every run
    os.makedirs(workdir, exist_ok=True)
    source = os.path.join(workdir, 'demo.whatsminer.yml')
    with open(source, 'w') as handle:
        handle.write('# Written by tests/demo/run_demo.py\nplugin: minerops.whatsminer.whatsminer\nnetworks: [%s]\ntimeout: 2\n'
                     'password: admin\ncompose:\n  whatsminer_v3_password: \"\'%s\'\"\n'
                     'keyed_groups:\n  - key: whatsminer_firmware\n    prefix: firmware\n  - key: whatsminer_api\n    prefix: api\n'
                     % (NETWORK, V3_PASSWORD))
    # The site's settings come from the inventory, as an operator's would: the example group_vars beside it.
    use_example_group_vars(workdir)
    report_dir = os.path.join(workdir, 'reports')
    print('== Starting %d simulated WhatsMiners (%s; every other one on API V3, a quarter on 2025 V2.2 firmware) on %s'
          % (MINERS, ', '.join(MODELS), NETWORK))
    fleet = Fleet(miners=MINERS, base_address=BASE, models=MODELS, workdir=workdir, restart_seconds=1, no_reply_probability=0.5,
                  extra_args=['--ramp-seconds', '2', '--api', 'mixed', '--v3-password', V3_PASSWORD, '--firmware', FIRMWARE])
    with fleet:
        print('== Discovery: inventory plugin minerops.whatsminer.whatsminer scans %s' % NETWORK)
        output, elapsed = ansible('ansible-inventory', '-i', source, '--list')
        hosts = json.loads(output[output.index('{'):])['_meta']['hostvars']
        models = {}
        for hostvars in hosts.values():
            model = _plain(hostvars['whatsminer_model'])
            models[model] = models.get(model, 0) + 1
        print('   found %d miners in %.1f s: %s' % (len(hosts), elapsed, ', '.join('%d x %s' % (n, m) for m, n in sorted(models.items()))))
        firmware = {}
        for hostvars in hosts.values():
            label = '%s API %s' % (_plain(hostvars.get('whatsminer_firmware')), _plain(hostvars.get('whatsminer_api_version')))
            firmware[label] = firmware.get(label, 0) + 1
        print('   firmware: %s' % ', '.join('%d x %s' % (n, label) for label, n in sorted(firmware.items())))
        if len(hosts) != MINERS:
            raise SystemExit('discovery found %d miners, %d are running' % (len(hosts), MINERS))

        print('== site.yml, first run: the fleet is configured (pools, power, LED, settings, cooling, customer messages)')
        dummy, elapsed, changed, failed, count = playbook(source, 'site.yml')
        print('   %d hosts, changed=%d, failed=%d, %.1f s' % (count, changed, failed, elapsed))
        if not changed or failed:
            raise SystemExit('the first site.yml run should change the fleet without failures')

        print('== site.yml, second run: nothing left to change')
        dummy, elapsed, changed, failed, count = playbook(source, 'site.yml')
        print('   %d hosts, changed=%d, failed=%d, %.1f s' % (count, changed, failed, elapsed))
        if changed or failed:
            raise SystemExit('the second site.yml run reported changed=%d failed=%d; expected changed=0' % (changed, failed))

        drifted = fleet.miners[0]['host']  # discovery names the miners by address
        print('== drift.yml: %s switched to high power behind the repository\'s back; the drift check finds it' % drifted)
        fleet.patch(fleet.ids[0], {'power_mode': 'High'})
        sent = [writes(fleet, miner) for miner in fleet.ids]
        output, elapsed = ansible('ansible-playbook', '-i', source, '--forks', '50', os.path.join(REPO, 'playbooks', 'drift.yml'),
                                  ok_codes=(2,))
        summary = output.split('TASK [Show which miners differ and in what]', 1)[-1].split('TASK [', 1)[0]
        for line in re.findall(r'^ {8}"(.*)",?$', summary, re.M):
            print('   ' + line)
        print('   exit code 2 (drift: a scheduled CI job alerts), nothing sent, %.1f s' % elapsed)
        if '%s: power' % drifted not in summary:
            raise SystemExit('drift.yml did not name %s' % drifted)
        now = [writes(fleet, miner) for miner in fleet.ids]
        if now != sent:
            raise SystemExit('drift.yml sent a change to a miner: %s' % [(miner, before, after) for miner, before, after
                                                                         in zip(fleet.ids, sent, now) if before != after][:3])

        print('== curtail.yml: demand response, every miner to 50 % from one fan-out task')
        output, elapsed, dummy, failed, dummy = playbook(source, 'curtail.yml', '-e', 'power_curtail_power_percent=50')
        show_messages(output, 'minerops.whatsminer.power_curtail : Show the outcome')
        print('   playbook %.1f s' % elapsed)

        print('== restore.yml: back to full power')
        output, elapsed, dummy, failed, dummy = playbook(source, 'restore.yml')
        show_messages(output, 'minerops.whatsminer.power_curtail : Show the outcome')
        print('   playbook %.1f s' % elapsed)

        print('== report.yml: fleet report (HTML with charts, CSV, JSON)')
        output, elapsed, dummy, failed, dummy = playbook(source, 'report.yml', '-e', 'fleet_report_dir=%s' % report_dir)
        show_messages(output, 'minerops.whatsminer.fleet_report : Show where the report is')
        print('   playbook %.1f s' % elapsed)
    print('== Simulator stopped. Report: %s' % os.path.join(report_dir, 'whatsminer-fleet.html'))
    print('== Demo done in %.1f s' % (time.monotonic() - started))


if __name__ == '__main__':
    main()
