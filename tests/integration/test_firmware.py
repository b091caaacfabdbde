# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_firmware against the simulator: upload once, verify, refuse bad images, never resend."""

from __future__ import annotations

import os
import subprocess
import sys

from harness import SIMULATOR_PATH

NEW_VERSION = '20261101.22.REL'

PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: firmware
      minerops.whatsminer.whatsminer_firmware:
        src: %s
        version: %s
        wait_timeout: 60
'''


def make_image(tmp_path, name, *args):
    path = str(tmp_path / name)
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--out', path] + list(args), check=True,
                   env=dict(os.environ, PYTHONPATH=SIMULATOR_PATH), stdout=subprocess.DEVNULL)
    return path


def test_upgrade_changed_then_ok(make_fleet, playbook, tmp_path):
    fleet = make_fleet(miners=1, models=['M50'])
    old = fleet.state(fleet.ids[0])['firmware_version']
    image = make_image(tmp_path, 'm50.bin', '--model', 'M50', '--version', NEW_VERSION)

    check = playbook(fleet, PLAY % (image, NEW_VERSION), check=True, diff=True)
    assert check.returncode == 0, check.output
    assert check.result('firmware')['changed'] is True
    assert fleet.state(fleet.ids[0])['firmware_version'] == old
    assert fleet.counts(fleet.ids[0]).get('update_firmware', 0) == 0

    first = playbook(fleet, PLAY % (image, NEW_VERSION))
    assert first.returncode == 0, first.output
    result = first.result('firmware')
    assert result['changed'] is True
    assert (result['previous_version'], result['version']) == (old, NEW_VERSION)
    assert fleet.state(fleet.ids[0])['firmware_version'] == NEW_VERSION
    assert fleet.counts(fleet.ids[0])['update_firmware'] == 1

    second = playbook(fleet, PLAY % (image, NEW_VERSION))
    assert second.returncode == 0, second.output
    assert second.result('firmware')['changed'] is False
    assert fleet.counts(fleet.ids[0])['update_firmware'] == 1


def test_wrong_model_and_corrupt_images_are_reported_old_version_kept(make_fleet, playbook, tmp_path):
    fleet = make_fleet(miners=1, models=['M50'])
    old = fleet.state(fleet.ids[0])['firmware_version']
    images = [make_image(tmp_path, 'wrong.bin', '--model', 'M30S+', '--version', NEW_VERSION),
              make_image(tmp_path, 'corrupt.bin', '--model', 'M50', '--version', NEW_VERSION, '--corrupt')]
    for count, image in enumerate(images, start=1):
        run = playbook(fleet, PLAY % (image, NEW_VERSION))
        assert run.returncode != 0
        result = run.result('firmware')
        assert result['changed'] is False  # the miner answered: it refused the image and changed nothing
        assert fleet.miners[0]['host'] in result['msg']
        assert fleet.state(fleet.ids[0])['firmware_version'] == old
        assert fleet.counts(fleet.ids[0])['update_firmware'] == count


def test_bad_src_refused_before_touching_the_miner(fleet, playbook, tmp_path):
    empty = tmp_path / 'empty.bin'
    empty.write_bytes(b'')
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    for src, message in ((str(tmp_path / 'missing.bin'), 'could not find'), (str(empty), 'is empty')):
        run = playbook(fleet, PLAY % (src, NEW_VERSION), limit=miner)
        assert run.returncode != 0
        assert message in run.result('firmware')['msg'], run.result('firmware')['msg']
    assert fleet.counts(miner) == before
