# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Firmware safety (issue #7): cut-off uploads, corrupt, truncated and wrong-model images.

One playbook run, one simulated M50 per case. Every bad upload is reported, the miner keeps its
old firmware (control API), and update_firmware is sent exactly once per task (never retried
blindly). A cut-off upload goes through a proxy that resets both sides after some kilobytes of
the image; a final answer lost after a good upload is read back, not resent.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading

import yaml

from harness import SIMULATOR_PATH, run_playbook  # pylint: disable=import-error

NEW = '20991231.22.REL'
IMAGE_BYTES = 256 * 1024
CUT_AFTER = 20000


class CuttingProxy:
    """Forward to a miner; on a connection whose client sends more than ``limit`` bytes, reset both sides there
    (``stall=True``: stop forwarding there and hold both connections open until the client gives up)."""

    def __init__(self, upstream, limit, stall=False):
        self.upstream = upstream
        self.limit = limit
        self.stall = stall
        self.cuts = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _reset(sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        sock.close()

    def _serve(self, client):
        upstream = socket.create_connection(self.upstream, timeout=30)

        def back():
            try:
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    client.sendall(data)
                client.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        replies = threading.Thread(target=back, daemon=True)
        replies.start()
        sent = 0
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    upstream.shutdown(socket.SHUT_WR)
                    break
                if sent + len(data) > self.limit:
                    upstream.sendall(data[:self.limit - sent])
                    self.cuts += 1
                    if self.stall:
                        while client.recv(65536):  # swallow the rest, forward nothing, until the client closes
                            pass
                        upstream.close()
                        client.close()
                        return
                    self._reset(upstream)
                    self._reset(client)
                    return
                upstream.sendall(data)
                sent += len(data)
        except OSError:
            pass
        replies.join(30)
        client.close()
        upstream.close()

    def close(self):
        self.listener.close()


def _image(tmp_path, name, *args):
    path = str(tmp_path / name)
    env = dict(os.environ, PYTHONPATH=SIMULATOR_PATH + os.pathsep + os.environ.get('PYTHONPATH', ''))
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version', NEW, '--size', str(IMAGE_BYTES),
                    '--out', path] + list(args), env=env, check=True, stdout=subprocess.DEVNULL)
    return path


PLAY = '''
- hosts: miners
  gather_facts: false
  tasks:
    - name: firmware
      minerops.whatsminer.whatsminer_firmware:
        src: "{{ image }}"
        version: "%s"
        timeout: 5
        wait_timeout: 30
      ignore_errors: true
''' % NEW

# case -> (words one of which the failure message holds, or None when the task must succeed)
CASES = {
    'cut_off': ('connection was lost', 'not installed'),
    'stalled': ('connection was lost', 'not installed'),
    'corrupt': ('upgrade failed', '132'),
    'truncated': ('upgrade failed', '132'),
    'wrong_model': ('upgrade failed', '132'),
    'no_final_answer': None,
    'good': None,
}


def test_firmware_safety(make_fleet, tmp_path):
    fleet = make_fleet(miners=len(CASES), models=['M50'], no_reply_probability=0.0)
    good = _image(tmp_path, 'good.bin')
    truncated = str(tmp_path / 'truncated.bin')
    with open(good, 'rb') as source, open(truncated, 'wb') as target:
        target.write(source.read()[:IMAGE_BYTES // 2])
    images = {
        'cut_off': good, 'stalled': good, 'corrupt': _image(tmp_path, 'corrupt.bin', '--corrupt'), 'truncated': truncated,
        'wrong_model': _image(tmp_path, 'wrong.bin', '--family', 'M3X'), 'no_final_answer': good, 'good': good,
    }
    cases = dict(zip(fleet.ids, CASES))
    miners = {miner['id']: miner for miner in fleet.miners}
    proxy = CuttingProxy((miners[fleet.ids[0]]['host'], miners[fleet.ids[0]]['port']), CUT_AFTER)
    stall = CuttingProxy((miners[fleet.ids[1]]['host'], miners[fleet.ids[1]]['port']), CUT_AFTER, stall=True)
    proxies = {'cut_off': proxy, 'stalled': stall}
    try:
        with open(fleet.inventory) as handle:
            data = yaml.safe_load(handle)
        for group in data['all']['children']['miners']['children'].values():
            for miner_id, host_vars in group['hosts'].items():
                host_vars['image'] = images[cases[miner_id]]
                if cases[miner_id] in proxies:
                    host_vars.update(ansible_host='127.0.0.1', whatsminer_port=proxies[cases[miner_id]].port)
        inventory = str(tmp_path / 'firmware.yml')
        with open(inventory, 'w') as handle:
            yaml.safe_dump(data, handle)
        fleet.fault(fleet.ids[list(CASES).index('no_final_answer')], 'no_reply')
        before = {miner_id: fleet.state(miner_id)['firmware_version'] for miner_id in fleet.ids}
        run = run_playbook(PLAY, inventory, str(tmp_path), forks=len(CASES))
    finally:
        proxy.close()
        stall.close()

    assert proxy.cuts == 1 and stall.cuts == 1
    for miner_id, case in cases.items():
        result = run.result('firmware', miner_id)
        state = fleet.state(miner_id)
        counts = state['counts']
        assert counts.get('update_firmware', 0) == 1, (case, counts)  # sent once, never retried blindly
        if CASES[case] is None:
            assert not run.failed('firmware')[miner_id], (case, result)
            assert result['changed'] is True and result['version'] == NEW
            assert state['firmware_version'] == NEW
            continue
        assert run.failed('firmware')[miner_id], (case, result)
        assert any(word in result['msg'] for word in CASES[case]), (case, result['msg'])
        endpoint = '127.0.0.1:%d' % proxies[case].port if case in proxies else '%s:%s' % (miners[miner_id]['host'], miners[miner_id]['port'])
        assert endpoint in result['msg'], (case, result['msg'])
        # a lost upload may have changed the miner: never "unchanged"; a refused image (code 132) changed nothing
        assert result['changed'] is (case in proxies), result
        assert state['firmware_version'] == before[miner_id], (case, state['firmware_version'])
        assert counts.get('firmware_accepted', 0) == 0, counts
        # a cut-off or stalled upload never reached the image check; the others were refused there
        assert counts.get('firmware_rejected', 0) == (0 if case in proxies else 1), (case, counts)
        assert state['settings']['boot_count'] == 0, (case, 'the miner rebooted')
