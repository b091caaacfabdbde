# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API V3 restarts, binary flows (firmware upload, log download), report pushes, and V3 fleets from the CLI."""

import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import time

import pytest

from simclient import SIM_ROOT, http, request, wait_port
from simclient_v3 import V3Client, frame
from whatsminer_sim import firmware

RESTARTING = [
    ('set.system.reboot', None, 'board'), ('set.system.net_config', 'dhcp', 'board'), ('set.miner.power_limit', 3000, 'btminer'),
    ('set.miner.target_freq', -10, 'btminer'), ('set.miner.service', 'restart', 'btminer'), ('set.system.factory_reset', None, 'board'),
]


def refused(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


@pytest.mark.parametrize('cmd,param,kind', RESTARTING)
def test_restarting_writes_drop_the_link(make_sim, cmd, param, kind):
    sim = make_sim(models=('M50',), api='v3', v3_password='pw1', restart_seconds=0.4)
    miner = sim.miner(0)
    uptime = request(miner.host, miner.port, {'cmd': 'summary'})['SUMMARY'][0]['Uptime']
    bystander = V3Client(miner.host, miner.v3_port)
    assert bystander.read('get.fan.setting')['code'] == 0
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        reply = client.write(cmd, param)
        assert reply == {'code': 0, 'when': reply['when'], 'msg': 'ok', 'desc': cmd}
        assert client.closed()
    assert bystander.closed()
    bystander.close()
    assert refused(miner.host, miner.v3_port) and refused(miner.host, miner.port)
    assert wait_port(miner.host, miner.v3_port, up=True, timeout=5)
    with V3Client(miner.host, miner.v3_port) as client:
        summary = client.read('get.miner.status', 'summary')['msg']['summary']
        assert summary['elapsed'] <= 1
        assert (summary['bootup-time'] <= 1) == (kind == 'board') or uptime <= 1
        if cmd == 'set.miner.power_limit':
            assert client.read('get.device.info', 'miner')['msg']['miner']['power-limit-set'] == '3000'
            assert client.read('get.miner.setting')['msg']['power-limit'] == 3000
            assert request(miner.host, miner.port, {'cmd': 'summary'})['SUMMARY'][0]['Power Limit'] == 3000
        if cmd == 'set.miner.target_freq':
            assert client.read('get.miner.setting')['msg']['target-freq'] == -10
            assert client.read('get.device.info', 'miner')['msg']['miner']['hash-percent'] == '-10'
        if cmd == 'set.system.factory_reset':
            # passwords, API switch (off), pools back to the factory
            assert client.read('get.device.info', 'system')['msg']['system']['apiswitch'] == '0'
            assert miner.settings['v3_passwords']['super'] == 'super'
    assert http(sim.url + '/miners/sim-0001')[1]['online']


def test_restart_reply_may_be_dropped(make_sim):
    sim = make_sim(models=('M60',), api='v3', v3_password='pw1', no_reply_probability=1.0)
    miner = sim.miner(0)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        client.send_raw(frame(client.write_request('set.system.reboot')))
        assert client.closed()
    assert miner.restarting or wait_port(miner.host, miner.v3_port, up=True)


def test_net_config_moves_both_ports(make_sim):
    sim = make_sim(models=('M50',), api='v3', v3_password='pw1')
    miner = sim.miner(0)
    home = miner.host
    new_ip = home.rsplit('.', 1)[0] + '.77'
    with V3Client(home, miner.v3_port, 'super', 'pw1') as client:
        net = {'ip': new_ip, 'netmask': '255.255.255.0', 'gateway': '127.0.0.1', 'dns': '127.0.0.53'}
        assert client.write('set.system.net_config', net)['code'] == 0
    assert wait_port(new_ip, miner.v3_port, up=True) and wait_port(new_ip, miner.port, up=True)
    with V3Client(new_ip, miner.v3_port, 'super', 'pw1') as client:
        network = client.read('get.device.info', 'network')['msg']['network']
        assert network['ip'] == new_ip and network['proto'] == 'static' and network['netmask'] == '255.255.255.0'
        assert client.write('set.system.net_config', {'ip': 'nope', 'netmask': '255.0.0.0', 'gateway': '127.0.0.1'})['code'] == -1
        assert client.write('set.system.net_config', '{"ip": "127.0.0.9"}')['code'] == -3  # netmask missing
        assert client.write('set.system.net_config', 'dhcp')['code'] == 0
    assert wait_port(home, miner.v3_port, up=True)
    assert refused(new_ip, miner.v3_port)


def _upload(client, image, cut_at=None):
    reply = client.write('set.system.update_firmware')
    assert reply == {'code': 0, 'when': reply['when'], 'msg': 'ready', 'desc': 'set.system.update_firmware'}
    data = struct.pack('<I', len(image)) + image
    if cut_at is not None:
        client.send_raw(data[:cut_at])
        client.sock.shutdown(socket.SHUT_WR)
        return None
    client.send_raw(data)
    return client.recv_frame()


def test_firmware_upload(make_sim):
    sim = make_sim(models=('M50', 'M60'), miners=2, api='v3', v3_password='pw1')
    miner = sim.miner(0)
    good = firmware.build_image('M5X', '20260101.22.Rel3', model='M50', payload_size=200000)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        reply = _upload(client, firmware.build_image('M6X', '20260101.22.Rel3'))
        assert reply['code'] == -1 and 'M6X' in reply['msg'] and reply['desc'] == 'set.system.update_firmware'
        reply = _upload(client, firmware.build_image('M5X', '20260101.22.Rel3', corrupt=True))  # same connection
        assert reply['code'] == -1 and 'checksum' in reply['msg']
        reply = _upload(client, good)
        assert reply == {'code': 0, 'when': reply['when'], 'msg': 'ok', 'desc': 'set.system.update_firmware'}
        assert client.closed()
    assert refused(miner.host, miner.v3_port)
    assert wait_port(miner.host, miner.v3_port, up=True)
    with V3Client(miner.host, miner.v3_port) as client:
        assert client.read('get.device.info', 'system')['msg']['system']['fwversion'] == '20260101.22.Rel3'
    assert request(miner.host, miner.port, {'cmd': 'get_version'})['Msg']['fw_ver'] == '20260101.22.Rel3'
    counts = http(sim.url + '/miners/sim-0001')[1]['counts']
    assert counts['firmware_rejected'] == 2 and counts['firmware_accepted'] == 1
    # a cut-off upload changes nothing; a wrong token never gets "ready"
    other = sim.miner(1)
    with V3Client(other.host, other.v3_port, 'super', 'pw1') as client:
        assert _upload(client, good, cut_at=1000) is None
        assert client.closed()
    with V3Client(other.host, other.v3_port, 'super', 'bad') as client:
        assert client.write('set.system.update_firmware')['code'] == -4
        assert client.read('get.fan.setting')['code'] == 0
    assert other.settings['firmware_version'] == '20250915.22.Rel2'
    assert http(sim.url + '/miners/sim-0002')[1]['counts']['firmware_cut'] == 1


def test_log_download(v3sim, v3):
    v3.send_raw(frame({'cmd': 'get.log.download'}))
    header = v3.recv_frame()
    assert header['code'] == 0 and header['desc'] == 'get.log.download' and list(header['msg']) == ['logsize']
    size = int(header['msg']['logsize'])
    data = v3.recv_exact(size)
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
        assert 'log/btminer.log' in tar.getnames()
    # the connection stays usable after the raw bytes
    assert v3.read('get.fan.setting')['code'] == 0
    http(v3sim.url + '/miners/sim-0001/empty-logs', 'POST', {})
    assert v3.read('get.log.download')['msg'] == {'logsize': '0'}
    assert v3.read('get.fan.setting')['code'] == 0


def test_report_push(v3):
    assert v3.write('set.miner.report', {'gap': 1})['code'] == 0
    push = v3.recv_frame()
    assert push['desc'] == 'get.miner.report' and push['code'] == 0 and 'hash-realtime' in push['msg']['summary']
    assert v3.write('set.miner.report', {'gap': 0})['code'] == 0
    v3.sock.settimeout(1.5)
    with pytest.raises(socket.timeout):
        v3.recv_frame()
    v3.sock.settimeout(5)
    assert v3.write('set.miner.report', {'gap': 286})['code'] == -1
    assert v3.write('set.miner.report', {})['code'] == -3


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = SIM_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _wait_file(path, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                return json.load(handle)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError('no ready file')


def test_mixed_fleet_from_the_cli(tmp_path):
    ready = tmp_path / 'ready.json'
    inventory = tmp_path / 'inventory.yml'
    base = '127.%d.252.1' % (os.getpid() % 200 + 20)
    cmd = [sys.executable, '-m', 'whatsminer_sim', '--miners', '4', '--models', 'M50,M60', '--base-address', base, '--api', 'mixed',
           '--v3-password', 'fleetv3', '--state-dir', str(tmp_path / 'state'), '--ready-file', str(ready), '--inventory', str(inventory),
           '--inventory-password', '--seed', '3']
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # pylint: disable=consider-using-with
    try:
        info = _wait_file(str(ready), proc)
        miners = info['miners']
        assert [m.get('api', 'v2') for m in miners] == ['v2', 'v3', 'v2', 'v3'] and miners[1]['v3_port'] == 4433
        assert refused(miners[0]['host'], 4433)
        with V3Client(miners[1]['host'], 4433, 'super', 'fleetv3') as client:
            assert client.write('set.system.hostname', {'hostname': 'mixed-v3'})['code'] == 0
        listing = http(info['control_url'] + '/miners')[1]
        assert [m['api'] for m in listing] == ['v2', 'v3', 'v2', 'v3']
        yaml = pytest.importorskip('yaml')
        inv = yaml.safe_load(inventory.read_text())
        groups = inv['all']['children']['miners']['children']
        v3host = groups['model_m60']['hosts']['sim-0002']
        assert v3host['whatsminer_api'] == 'v3' and v3host['whatsminer_v3_password'] == 'fleetv3'
        assert groups['model_m50']['hosts']['sim-0001']['whatsminer_api'] == 'v2'
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    saved = json.loads((tmp_path / 'state' / 'sim-0002.json').read_text())
    assert saved['api'] == 'v3' and saved['hostname'] == 'mixed-v3' and saved['v3_passwords']['super'] == 'fleetv3'
    # per-model spec
    proc = subprocess.run([sys.executable, '-m', 'whatsminer_sim', '--api', 'M60=v4'], env=_env(), capture_output=True, text=True,
                          timeout=20, check=False)
    assert proc.returncode != 0 and 'v2 or v3' in proc.stderr


def test_api_spec_per_model_index_and_id(make_sim):
    sim = make_sim(miners=4, models=('M30S+', 'M50', 'M60', 'M63'), api='M60=v3,M63=v3,0=v3,sim-0002=v3')
    assert [m.api for m in sim.fleet.miners] == ['v3', 'v3', 'v3', 'v3']
    sim2 = make_sim(miners=3, models=('M50', 'M63'), api='M63=v3')
    assert [m.api for m in sim2.fleet.miners] == ['v2', 'v3', 'v2']


def test_switch_api_through_the_control_api(sim):
    miner = sim.miner(0)
    assert refused(miner.host, miner.v3_port)
    http(sim.url + '/miners/sim-0001/state', 'PATCH', {'api': 'v3'})
    assert wait_port(miner.host, miner.v3_port, up=True)
    assert request(miner.host, miner.port, {'cmd': 'status'})['Code'] == 14
    http(sim.url + '/miners/sim-0001/state', 'PATCH', {'api': 'v2'})
    assert wait_port(miner.host, miner.v3_port, up=False)
    assert request(miner.host, miner.port, {'cmd': 'status'})['Code'] == 131


def test_refuse_fault_and_control_reboot(v3sim, v3):
    miner = v3sim.miner(0)
    assert v3.read('get.fan.setting')['code'] == 0
    http(v3sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'refuse'})
    assert refused(miner.host, miner.v3_port) and refused(miner.host, miner.port)
    assert v3.read('get.fan.setting')['code'] == 0  # open connections carry on
    http(v3sim.url + '/miners/sim-0001/faults', 'DELETE')
    assert wait_port(miner.host, miner.v3_port, up=True)
    http(v3sim.url + '/miners/sim-0001/reboot', 'POST', {})
    assert v3.closed()
    assert wait_port(miner.host, miner.v3_port, up=True)


def test_consecutive_v3_ports(make_sim):
    sim = make_sim(miners=3, models=('M50',), api='v3', consecutive_ports=True, port=15028, v3_port=15433)
    assert [(m.port, m.v3_port) for m in sim.fleet.miners] == [(15028, 15433), (15029, 15434), (15030, 15435)]
    for miner in sim.fleet.miners:
        with V3Client(miner.host, miner.v3_port) as client:
            assert client.read('get.device.info', 'miner')['code'] == 0
