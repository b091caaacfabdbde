# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restarting commands, net_config moves, persistence across simulator restarts."""

import json
import socket
import time

import pytest

from simclient import Session, http, raw_request, request, wait_port

RESTARTING = [
    ('reboot', {}), ('restart_btminer', {}), ('set_low_power', {}), ('set_normal_power', {}), ('set_high_power', {}),
    ('power_off', {}), ('set_target_freq', {'percent': '10'}), ('adjust_power_limit', {'power_limit': '3000'}),
    ('net_config', {'param': 'dhcp'}), ('factory_reset', {}),
]


def refused(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


@pytest.mark.parametrize('cmd,params', RESTARTING)
def test_restarting_command_goes_away_and_comes_back(make_sim, cmd, params):
    handle = make_sim(restart_seconds=0.4)
    host, port = handle.addr()
    s = handle.session()
    reply = s.send(cmd, **params)
    assert reply['Code'] == 131
    assert refused(host, port)
    assert not http(handle.url + '/miners/sim-0001')[1]['online']
    assert wait_port(host, port, up=True, timeout=5)
    assert http(handle.url + '/miners/sim-0001')[1]['online']
    summary = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
    assert summary['Elapsed'] <= 1


def test_restart_keeps_state_and_clears_tokens(make_sim):
    handle = make_sim(restart_seconds=0.3, ramp_seconds=2)
    host, port = handle.addr()
    s = handle.session()
    assert s.send('set_low_power')['Code'] == 131
    assert wait_port(host, port, up=True)
    assert s.read('summary')['SUMMARY'][0]['Power Mode'] == 'Low'
    assert s.read('status')['Msg']['power_mode'] == 'Low'
    assert s.send('set_led', param='auto')['Code'] == 135  # tokens live in btminer's memory
    s.login()
    assert s.send('adjust_power_limit', power_limit='2500')['Code'] == 131
    assert wait_port(host, port, up=True)
    first = s.read('summary')['SUMMARY'][0]
    assert first['Power Limit'] == 2500 and s.read('status')['Msg']['power_limit_set'] == '2500'
    time.sleep(0.5)
    assert s.read('summary')['SUMMARY'][0]['MHS 1m'] > first['MHS 1m']  # ramping


def test_reboot_resets_uptime_restart_btminer_does_not(make_sim):
    handle = make_sim(restart_seconds=0.3)
    host, port = handle.addr()
    s = handle.session()
    assert s.send('restart_btminer')['Code'] == 131
    assert wait_port(host, port, up=True)
    summary = s.read('summary')['SUMMARY'][0]
    assert summary['Uptime'] >= 1 and summary['Elapsed'] < 1
    s.login()
    assert s.send('reboot')['Code'] == 131
    assert wait_port(host, port, up=True)
    assert s.read('summary')['SUMMARY'][0]['Uptime'] < 1


def test_no_reply_probability(make_sim):
    handle = make_sim(no_reply_probability=1.0)
    host, port = handle.addr()
    s = handle.session().login()
    assert s.raw_send('reboot') == b''
    assert wait_port(host, port, up=True)
    assert http(handle.url + '/miners/sim-0001')[1]['settings']['boot_count'] == 1
    s.login()
    assert s.send('set_led', param='auto')['Code'] == 131  # non-restarting commands always answer


def test_target_freq_read_back(make_sim):
    handle = make_sim()
    host, port = handle.addr()
    s = handle.session()
    assert s.send('set_target_freq', percent='-15')['Code'] == 131
    assert wait_port(host, port, up=True)
    assert s.read('status')['Msg']['hash_percent'] == '-15'


def test_net_config_moves_miner(make_sim):
    handle = make_sim(restart_seconds=0.3)
    host, port = handle.addr()
    new_ip = host.rsplit('.', 1)[0] + '.77'
    s = handle.session()
    reply = s.send('net_config', ip=new_ip, mask='255.255.255.0', gate=host.rsplit('.', 1)[0] + '.254',
                   dns='1.1.1.1 8.8.8.8', host='moved-miner')
    assert reply['Code'] == 131
    assert wait_port(new_ip, port, up=True)
    assert refused(host, port)
    listing = http(handle.url + '/miners')[1]
    assert listing[0]['host'] == new_ip and listing[0]['online']
    info = request(new_ip, port, {'cmd': 'get_miner_info', 'info': 'ip,proto,netmask,gateway,dns,hostname'})['Msg']
    assert info == {'ip': new_ip, 'proto': 'static', 'netmask': '255.255.255.0', 'gateway': host.rsplit('.', 1)[0] + '.254',
                    'dns': '1.1.1.1 8.8.8.8', 'hostname': 'moved-miner'}
    assert http(handle.url + '/miners/%s:%d' % (new_ip, port))[1]['id'] == 'sim-0001'
    # back to DHCP: the miner returns to its original address
    s2 = Session(new_ip, port).login()
    assert s2.send('net_config', param='dhcp')['Code'] == 131
    assert wait_port(host, port, up=True)
    assert request(host, port, {'cmd': 'get_miner_info', 'info': 'proto'})['Msg'] == {'proto': 'dhcp'}


def test_net_config_non_loopback_stays_put(make_sim):
    handle = make_sim(restart_seconds=0.3)
    host, port = handle.addr()
    s = handle.session()
    assert s.send('net_config', ip='192.168.1.50', mask='255.255.255.0', gate='192.168.1.1', dns='192.168.1.1')['Code'] == 131
    assert wait_port(host, port, up=True)
    assert request(host, port, {'cmd': 'get_miner_info', 'info': 'ip'})['Msg'] == {'ip': '192.168.1.50'}


def test_factory_reset(make_sim):
    handle = make_sim(restart_seconds=0.3, write_api=True)
    host, port = handle.addr()
    s = handle.session()
    assert s.send('update_pools', pool1='stratum+tcp://p:1', worker1='w')['Code'] == 131
    assert s.send('set_hostname', hostname='custom')['Code'] == 131
    assert s.send('update_pwd', old='admin', new='other')['Code'] == 131
    s = Session(host, port, 'other')
    assert s.send('factory_reset')['Code'] == 131
    assert wait_port(host, port, up=True)
    st = http(handle.url + '/miners/sim-0001')[1]
    assert st['password'] == 'admin' and st['settings']['hostname'] == 'WhatsMiner'
    assert st['settings']['write_api'] is False  # as a real factory reset
    assert st['settings']['pools'][0]['url'] == 'stratum+tcp://p:1'


def test_persistence_across_simulator_restart(make_sim, tmp_path):
    state_dir = str(tmp_path / 'persist')
    first = make_sim(state_dir=state_dir, miners=2, models=('M30S+', 'M63'))
    base = first.config.base_address
    host, port = first.addr(1)
    s = first.session(1)
    assert s.send('update_pools', pool1='stratum+tcp://a:3333', worker1='u.1', passwd1='secret')['Code'] == 131
    assert s.send('set_heat_mode', mode='heating')['Code'] == 131
    assert s.send('update_pwd', old='admin', new='pw2')['Code'] == 131
    s = Session(host, port, 'pw2')
    assert s.send('set_customer_msg', key='msg0', val='hello')['Code'] == 131
    first.stop()
    assert refused(host, port)
    second = make_sim(state_dir=state_dir, miners=2, models=('M50',), base_address=base)
    assert second.miner(1).profile.name == 'M63'  # the state file wins over --models
    st = http(second.url + '/miners/sim-0002')[1]
    assert st['password'] == 'pw2' and st['settings']['heat_mode'] == 'heating'
    assert st['settings']['pools'][0] == {'url': 'stratum+tcp://a:3333', 'user': 'u.1', 'password': 'secret'}
    s = Session(host, port, 'pw2')
    assert s.send('get_customer_msg')['Msg']['msg0'] == 'hello'
    assert raw_request(host, port, '{"cmd":"pools"}')


def test_state_file_written_atomically(make_sim, tmp_path):
    handle = make_sim(state_dir=str(tmp_path / 'atomic'))
    handle.session().send('set_hostname', hostname='atomic')
    files = sorted(p.name for p in (tmp_path / 'atomic').iterdir())
    assert files == ['sim-0001.json']
    assert json.loads((tmp_path / 'atomic' / 'sim-0001.json').read_text())['hostname'] == 'atomic'


def test_btminer_init_disabled_comes_back_idle(make_sim):
    handle = make_sim(ramp_seconds=0)
    host, port = handle.addr()
    s = handle.session()
    assert s.send('disable_btminer_init')['Code'] == 131
    assert s.read('status')['Msg']['btmineroff'] == 'false'  # effective at the next start
    assert s.send('reboot')['Code'] == 131
    assert wait_port(host, port, up=True)
    status = s.read('status')['Msg']
    assert status['btmineroff'] == 'true' and status['mineroff_reason'] == 'btminer init disabled'
    assert s.read('summary')['SUMMARY'][0]['MHS 1m'] == 0
    s.login()
    assert s.send('power_on')['Code'] == 131
    assert s.read('summary')['SUMMARY'][0]['MHS 1m'] > 0


def test_power_modes_move_hashrate(make_sim):
    handle = make_sim(models=('M60',), ramp_seconds=0, restart_seconds=0.2)
    host, port = handle.addr()
    figures = {}
    for cmd, mode in (('set_low_power', 'Low'), ('set_high_power', 'High'), ('set_normal_power', 'Normal')):
        assert handle.session().send(cmd)['Code'] == 131
        assert wait_port(host, port, up=True)
        summary = request(host, port, {'cmd': 'summary'})['SUMMARY'][0]
        assert summary['Power Mode'] == mode
        figures[mode] = (summary['MHS 1m'], summary['Power'])
    assert figures['Low'][0] < figures['Normal'][0] < figures['High'][0]
    assert figures['Low'][1] < figures['Normal'][1] < figures['High'][1]
