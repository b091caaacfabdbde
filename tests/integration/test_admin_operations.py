# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Customer messages, password rotation, reboot, factory reset, logs and the command escape hatch."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile


def _play(task, options):
    return '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: task
      minerops.whatsminer.%s:
        %s
''' % (task, options)


def test_customer_messages(fleet, playbook):
    miner = fleet.ids[0]
    play = _play('whatsminer_customer_msg', 'customer_sn: "SITE-{{ inventory_hostname }}"\n        messages: {msg0: "rack 4 shelf 2"}')
    first = playbook(fleet, play, diff=True)
    assert first.returncode == 0, first.output
    assert first.result('task', miner)['changed'] is True
    msgs = fleet.state(miner)['settings']['customer_msg']
    assert (msgs['CustomerSn'], msgs['msg0']) == ('SITE-%s' % miner, 'rack 4 shelf 2')
    second = playbook(fleet, play)
    assert second.result('task', miner)['changed'] is False
    too_long = playbook(fleet, _play('whatsminer_customer_msg', 'messages: {msg1: "%s"}' % ('x' * 128)), limit=miner)
    assert 'at most 127' in too_long.result('task')['msg']
    unknown = playbook(fleet, _play('whatsminer_customer_msg', 'messages: {msg10: x}'), limit=miner)
    assert 'msg10' in unknown.result('task')['msg']


def test_password_rotation(make_fleet, playbook):
    fleet = make_fleet(miners=1, password='Old_pw1')
    rotate = _play('whatsminer_password', 'new_password: New_pw2')
    check = playbook(fleet, rotate, check=True)
    assert check.result('task')['changed'] is True
    assert fleet.state(fleet.ids[0])['password'] == 'Old_pw1'
    first = playbook(fleet, rotate, verbosity=3)
    assert first.returncode == 0, first.output
    assert first.result('task')['password_changed'] is True
    assert fleet.state(fleet.ids[0])['password'] == 'New_pw2'
    assert 'New_pw2' not in first.output and 'Old_pw1' not in first.output
    # The inventory still holds the old password: the new one already works, so nothing is sent.
    second = playbook(fleet, rotate)
    assert second.returncode == 0, second.output
    assert second.result('task')['changed'] is False
    assert fleet.counts(fleet.ids[0])['update_pwd'] == 1
    bad = playbook(fleet, _play('whatsminer_password', 'new_password: "toolong123"'))
    assert 'new_password must be 1 to 8' in bad.result('task')['msg']
    bad = playbook(fleet, _play('whatsminer_password', 'new_password: "pw-1"'))
    assert 'new_password must be 1 to 8' in bad.result('task')['msg']


def test_reboot_waits_until_hashing(make_fleet, playbook):
    fleet = make_fleet(miners=1, restart_seconds=1)
    boots = fleet.state(fleet.ids[0])['settings']['boot_count']
    run = playbook(fleet, _play('whatsminer_reboot', 'target: system\n        wait_timeout: 60'))
    assert run.returncode == 0, run.output
    result = run.result('task')
    assert result['changed'] is True and result['downtime_seconds'] >= 1
    assert fleet.state(fleet.ids[0])['settings']['boot_count'] == boots + 1
    btminer = playbook(fleet, _play('whatsminer_reboot', 'target: btminer\n        wait_for_hashing: false'))
    assert btminer.result('task')['commands'] == ['restart_btminer']


def test_factory_reset_needs_confirm(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    refused = playbook(fleet, _play('whatsminer_factory_reset', 'confirm: false'))
    assert refused.returncode != 0
    assert 'confirm=true' in refused.result('task')['msg']
    assert fleet.changes_sent(fleet.ids[0]) == {}
    check = playbook(fleet, _play('whatsminer_factory_reset', 'confirm: true'), check=True)
    assert check.result('task')['changed'] is True and fleet.changes_sent(fleet.ids[0]) == {}
    done = playbook(fleet, _play('whatsminer_factory_reset', 'confirm: true'))
    assert done.returncode == 0, done.output
    assert fleet.counts(fleet.ids[0])['factory_reset'] == 1


def test_logs_download(fleet, playbook, tmp_path):
    dest = tmp_path / 'logs'
    dest.mkdir()
    run = playbook(fleet, _play('whatsminer_logs', 'dest: %s\n        name: "{{ inventory_hostname }}"' % dest))
    assert run.returncode == 0, run.output
    result = run.result('task', fleet.ids[0])
    assert os.path.basename(result['path']).startswith(fleet.ids[0] + '-')
    with open(result['path'], 'rb') as handle:
        data = handle.read()
    assert len(data) == result['size'] and hashlib.sha256(data).hexdigest() == result['checksum']
    with tarfile.open(fileobj=gzip.GzipFile(fileobj=open(result['path'], 'rb'))) as archive:
        assert archive.getnames()
    fleet.control('POST', '/miners/%s/empty-logs' % fleet.ids[1])
    empty = playbook(fleet, _play('whatsminer_logs', 'dest: %s' % dest), limit=fleet.ids[1])
    assert 'no logs' in empty.result('task')['msg']
    missing = playbook(fleet, _play('whatsminer_logs', 'dest: %s/nope' % dest), limit=fleet.ids[1])
    assert 'not a directory' in missing.result('task')['msg']


def test_command_escape_hatch(fleet, playbook):
    miner = fleet.ids[0]
    read = playbook(fleet, _play('whatsminer_command', 'command: get_psu'), limit=miner)
    assert read.result('task')['changed'] is False
    assert read.result('task')['reply']['Msg']['model']
    write = playbook(fleet, _play('whatsminer_command', 'command: set_led\n        params: {color: red, period: 1000, duration: 500, start: 0}'),
                     limit=miner)
    assert write.returncode == 0, write.output
    assert write.result('task')['changed'] is True
    assert fleet.state(miner)['settings']['led']['color'] == 'red'
    bad = playbook(fleet, _play('whatsminer_command', 'command: "summary\\",\\"cmd\\":\\"reboot"'), limit=miner)
    assert bad.returncode != 0 and 'command must be' in bad.result('task')['msg']
    stream = playbook(fleet, _play('whatsminer_command', 'command: update_firmware'), limit=miner)
    assert 'whatsminer_firmware' in stream.result('task')['msg']
