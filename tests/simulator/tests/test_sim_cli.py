# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line: a 50-miner fleet as a subprocess, ready file, inventory, SIGTERM; make-firmware."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from simclient import SIM_ROOT, Session, http, request
from whatsminer_sim import firmware


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = SIM_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _wait_file(path, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return json.load(open(path, encoding='utf-8'))
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError('no ready file')


def test_fleet_of_50(tmp_path):
    ready = tmp_path / 'ready.json'
    inventory = tmp_path / 'inventory.yml'
    state = tmp_path / 'state'
    cmd = [sys.executable, '-m', 'whatsminer_sim', '--miners', '50', '--models', 'M30S+,M50,M60,M63',
           '--base-address', '127.%d.250.1' % (os.getpid() % 200 + 20), '--state-dir', str(state), '--ready-file', str(ready),
           '--inventory', str(inventory), '--inventory-password', '--password', 'fleetpw', '--restart-seconds', '0.5', '--seed', '7']
    start = time.time()
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        info = _wait_file(str(ready), proc)
        startup = time.time() - start
        assert startup < 10
        assert info['pid'] == proc.pid and len(info['miners']) == 50
        assert info['miners'][0] == {'id': 'sim-0001', 'host': info['miners'][0]['host'], 'port': 4028, 'model': 'M30S+'}
        assert info['miners'][3]['model'] == 'M63'
        hosts = [m['host'] for m in info['miners']]
        assert len(set(hosts)) == 50 and not any(h.endswith(('.0', '.255')) for h in hosts)
        yaml = pytest.importorskip('yaml')  # comes with ansible-core
        inv = yaml.safe_load(inventory.read_text())
        miners = inv['all']['children']['miners']
        assert miners['vars']['whatsminer_password'] == 'fleetpw'
        assert set(miners['children']) == {'model_m30s_plus', 'model_m50', 'model_m60', 'model_m63'}
        host0 = miners['children']['model_m30s_plus']['hosts']['sim-0001']
        assert host0 == {'ansible_host': hosts[0], 'whatsminer_port': 4028, 'whatsminer_api': 'v2'}
        for m in info['miners'][:50:7]:
            assert request(m['host'], m['port'], {'cmd': 'summary'})['SUMMARY'][0]['Power Mode'] == 'Normal'
        s = Session(hosts[1], 4028, 'fleetpw')
        assert s.send('set_hostname', hostname='from-cli')['Code'] == 131
        assert len(http(info['control_url'] + '/miners')[1]) == 50
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(list(state.glob('sim-*.json'))) == 50
    assert json.loads((state / 'sim-0002.json').read_text())['hostname'] == 'from-cli'
    assert not list(state.glob('.tmp-*'))


def test_shutdown_endpoint_and_consecutive_ports(tmp_path):
    ready = tmp_path / 'ready.json'
    base_port = 14028  # below the ephemeral range, on an address of our own
    base = '127.%d.251.1' % (os.getpid() % 200 + 20)
    cmd = [sys.executable, '-m', 'whatsminer_sim', '--miners', '3', '--consecutive-ports', '--base-address', base,
           '--port', str(base_port), '--ready-file', str(ready)]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        info = _wait_file(str(ready), proc)
        assert [(m['host'], m['port']) for m in info['miners']] == [(base, base_port + i) for i in range(3)]
        assert request(base, base_port + 2, {'cmd': 'get_version'})['Code'] == 131
        assert http(info['control_url'] + '/shutdown', 'POST', {})[0] == 200
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_arguments():
    proc = subprocess.run([sys.executable, '-m', 'whatsminer_sim', '--base-address', '10.0.0.1'], env=_env(),
                          capture_output=True, text=True, timeout=20, check=False)
    assert proc.returncode != 0 and '127.0.0.0/8' in proc.stderr
    proc = subprocess.run([sys.executable, '-m', 'whatsminer_sim', '--models', 'S19'], env=_env(),
                          capture_output=True, text=True, timeout=20, check=False)
    assert proc.returncode == 2 and 'unknown model' in proc.stderr


def test_make_firmware(tmp_path):
    good, bad = tmp_path / 'good.bin', tmp_path / 'bad.bin'
    for out, extra in ((good, []), (bad, ['--corrupt'])):
        proc = subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M60', '--version', '20250101.22.REL',
                               '--out', str(out)] + extra, env=_env(), capture_output=True, text=True, timeout=20, check=False)
        assert proc.returncode == 0, proc.stderr
    header = firmware.parse_image(good.read_bytes())
    assert header['family'] == 'M6X' and header['version'] == '20250101.22.REL' and header['model'] == 'M60'
    try:
        firmware.parse_image(bad.read_bytes())
    except firmware.FirmwareError as exc:
        assert exc.reason == 'checksum'
    else:
        raise AssertionError('corrupt image accepted')
