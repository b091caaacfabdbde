# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input (issue #7): every module option, out-of-range, wrong-type, too-long and injection-shaped.

Each case goes the way the action plugin goes (argument spec validation, then the module's
handler through ``execute`` with a TaskContext) with a client factory that records every
use: a refused value must fail with a message naming the option, and the factory must never
have been asked for a client (nothing was sent). Property tests then throw generated unsafe
text at every free-text option.
"""

from __future__ import annotations

import importlib
import os
import tempfile

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import TaskContext, execute

hypothesis = pytest.importorskip('hypothesis')
st = pytest.importorskip('hypothesis.strategies')
try:
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), 'hypothesis-minerops-whatsminer'))
except ImportError:  # pragma: no cover
    pass

INJECT = '","cmd":"reboot'
# One per process: two test runs side by side (make mutation runs two) must not delete each other's file.
FIRMWARE = os.path.join(tempfile.gettempdir(), 'minerops-fuzz-firmware-%d.bin' % os.getpid())
LOGS_DIR = tempfile.gettempdir()

# module -> minimal valid arguments (connection options added by run_task)
VALID = {
    'whatsminer_facts': {},
    'whatsminer_pools': {'pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': 'acct.w1', 'password': 'x'}]},
    'whatsminer_power': {'mode': 'low'},
    'whatsminer_firmware': {'src': FIRMWARE, 'version': '20250101.22.REL'},
    'whatsminer_led': {'mode': 'manual', 'color': 'red', 'period': 1000, 'duration': 500, 'start': 0},
    'whatsminer_network': {'proto': 'static', 'address': '10.20.0.31', 'netmask': '255.255.255.0', 'gateway': '10.20.0.1',
                           'dns': ['10.20.0.2'], 'hostname': 'rig01'},
    'whatsminer_cooling': {'temp_offset': -5},
    'whatsminer_settings': {'timezone': 'UTC0', 'zonename': 'UTC'},
    'whatsminer_customer_msg': {'customer_sn': 'SITE1-R1', 'messages': {'msg0': 'rack 4'}},
    'whatsminer_password': {'new_password': 'NewPw_77'},
    'whatsminer_reboot': {'target': 'system'},
    'whatsminer_factory_reset': {'confirm': True},
    'whatsminer_logs': {'dest': LOGS_DIR},
    'whatsminer_command': {'command': 'set_led', 'params': {'param': 'auto'}},
    'whatsminer_fleet_power': {'miners': [{'host': '192.0.2.11', 'name': 'rig01'}, {'host': '192.0.2.12'}], 'state': 'curtailed',
                               'power_percent': 50},
}


def _pool(**override):
    pool = {'url': 'stratum+tcp://pool.example.com:3333', 'user': 'acct.w1', 'password': 'x'}
    pool.update(override)
    return {'pools': [pool]}


# (module, arguments replacing/adding to VALID, option the message must name)
CASES = [
    # connection options, every module takes them: checked on two modules
    ('whatsminer_led', {'port': 0}, 'port'),
    ('whatsminer_led', {'port': 65536}, 'port'),
    ('whatsminer_led', {'port': -1}, 'port'),
    ('whatsminer_led', {'port': 'http'}, 'port'),
    ('whatsminer_led', {'port': [4028]}, 'port'),
    ('whatsminer_led', {'timeout': 0}, 'timeout'),
    ('whatsminer_led', {'timeout': -2}, 'timeout'),
    ('whatsminer_led', {'timeout': 'soon'}, 'timeout'),
    ('whatsminer_facts', {'api': 'v4'}, 'api'),
    ('whatsminer_facts', {'api': 'v2"'}, 'api'),
    ('whatsminer_facts', {'v3_account': 'root'}, 'v3_account'),
    ('whatsminer_facts', {'v3_account': INJECT}, 'v3_account'),
    ('whatsminer_facts', {'v3_port': 'https'}, 'v3_port'),
    # facts
    ('whatsminer_facts', {'gather_subset': ['bogus']}, 'gather_subset'),
    ('whatsminer_facts', {'gather_subset': ['summary"']}, 'gather_subset'),
    ('whatsminer_facts', {'gather_subset': [INJECT]}, 'gather_subset'),
    ('whatsminer_facts', {'gather_subset': ['summary\n']}, 'gather_subset'),
    ('whatsminer_facts', {'gather_subset': ['x' * 500]}, 'gather_subset'),
    ('whatsminer_facts', {'fail_on_unreachable': 'perhaps'}, 'fail_on_unreachable'),
    # pools
    ('whatsminer_pools', {'pools': []}, 'pools'),
    ('whatsminer_pools', {'pools': 'stratum+tcp://pool.example.com:3333'}, 'pools'),
    ('whatsminer_pools', {'pools': [_pool()['pools'][0]] * 2}, 'pools'),
    ('whatsminer_pools', {'pools': [dict(_pool()['pools'][0], user='u%d' % n) for n in range(4)]}, 'pools'),
    ('whatsminer_pools', _pool(url='http://pool.example.com:3333'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://pool.example.com'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://pool.example.com:0'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://pool.example.com:65536'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://po"ol.example.com:3333'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://pool.example.com:3333' + INJECT), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://pool.example.com:3333\n'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://p\u00f6ol.example.com:3333'), 'url'),
    ('whatsminer_pools', _pool(url='stratum+tcp://%s.example.com:3333' % ('a' * 300)), 'url'),
    ('whatsminer_pools', _pool(url=3333), 'url'),
    ('whatsminer_pools', _pool(user='acct"w1'), 'user'),
    ('whatsminer_pools', _pool(user=INJECT), 'user'),
    ('whatsminer_pools', _pool(user='acct\nw1'), 'user'),
    ('whatsminer_pools', _pool(user='acct w1'), 'user'),
    ('whatsminer_pools', _pool(user='\u00e4cct'), 'user'),
    ('whatsminer_pools', _pool(user='a' * 300), 'user'),
    ('whatsminer_pools', _pool(user='acct\\w1'), 'user'),
    ('whatsminer_pools', _pool(password='pw"x'), 'password'),
    ('whatsminer_pools', _pool(password=INJECT), 'password'),
    ('whatsminer_pools', _pool(password='pw\nx'), 'password'),
    ('whatsminer_pools', _pool(password='p\u00e4ss'), 'password'),
    ('whatsminer_pools', _pool(password='p' * 300), 'password'),
    ('whatsminer_pools', {'update_password': 'sometimes'}, 'update_password'),
    ('whatsminer_pools', {'record_slot': 'msg10'}, 'record_slot'),
    ('whatsminer_pools', {'record_slot': 'msg9' + INJECT}, 'record_slot'),
    ('whatsminer_pools', {'reapply': 'again'}, 'reapply'),
    # power
    ('whatsminer_power', {'mode': 'turbo'}, 'mode'),
    ('whatsminer_power', {'mode': 'low"'}, 'mode'),
    ('whatsminer_power', {'mining': 'perhaps'}, 'mining'),
    ('whatsminer_power', {'power_limit': -1}, 'power_limit'),
    ('whatsminer_power', {'power_limit': 100000}, 'power_limit'),
    ('whatsminer_power', {'power_limit': 'max'}, 'power_limit'),
    ('whatsminer_power', {'power_limit': '3000' + INJECT}, 'power_limit'),
    ('whatsminer_power', {'target_freq_percent': -101}, 'target_freq_percent'),
    ('whatsminer_power', {'target_freq_percent': 101}, 'target_freq_percent'),
    ('whatsminer_power', {'target_freq_percent': 'ten'}, 'target_freq_percent'),
    ('whatsminer_power', {'mode': None, 'power_percent': -1}, 'power_percent'),
    ('whatsminer_power', {'mode': None, 'power_percent': 201}, 'power_percent'),
    ('whatsminer_power', {'mode': None, 'power_percent': 50, 'power_percent_method': 'slow'}, 'power_percent_method'),
    ('whatsminer_power', {'mode': None, 'power': -1}, 'power'),
    ('whatsminer_power', {'mode': None, 'power': 100000}, 'power'),
    ('whatsminer_power', {'upfreq_speed': -1}, 'upfreq_speed'),
    ('whatsminer_power', {'upfreq_speed': 10}, 'upfreq_speed'),
    ('whatsminer_power', {'fast_boot': 'yes please'}, 'fast_boot'),
    ('whatsminer_power', {'fast_boot': True, 'upfreq_speed': 3}, 'upfreq_speed'),
    ('whatsminer_power', {'restore_power_percent': True, 'power_percent': 50}, 'restore_power_percent'),
    ('whatsminer_power', {'mining': False, 'power_percent': 50}, 'power_percent'),
    ('whatsminer_power', {'wait_timeout': 'long'}, 'wait_timeout'),
    ('whatsminer_power', {'wait': 'sometimes'}, 'wait'),
    ('whatsminer_power', {'record_slot': 'msg10'}, 'record_slot'),
    ('whatsminer_power', {'reapply': 'again'}, 'reapply'),
    # firmware
    ('whatsminer_firmware', {'src': '/nonexistent/firmware.bin'}, 'src'),
    ('whatsminer_firmware', {'src': LOGS_DIR}, 'src'),
    ('whatsminer_firmware', {'version': '2025"0101'}, 'version'),
    ('whatsminer_firmware', {'version': INJECT}, 'version'),
    ('whatsminer_firmware', {'version': '20250101.22.REL\n'}, 'version'),
    ('whatsminer_firmware', {'version': '20250101.22.R\u00c9L'}, 'version'),
    ('whatsminer_firmware', {'version': '2' * 300}, 'version'),
    ('whatsminer_firmware', {'wait': 'maybe'}, 'wait'),
    ('whatsminer_firmware', {'wait_timeout': 'forever'}, 'wait_timeout'),
    # led
    ('whatsminer_led', {'mode': 'blink'}, 'mode'),
    ('whatsminer_led', {'color': 'blue'}, 'color'),
    ('whatsminer_led', {'color': 'red"'}, 'color'),
    ('whatsminer_led', {'period': -1}, 'period'),
    ('whatsminer_led', {'period': 'fast'}, 'period'),
    ('whatsminer_led', {'period': 10 ** 12}, 'period'),
    ('whatsminer_led', {'duration': -1}, 'duration'),
    ('whatsminer_led', {'duration': 2000}, 'duration'),
    ('whatsminer_led', {'start': -1}, 'start'),
    ('whatsminer_led', {'start': 1000}, 'start'),
    ('whatsminer_led', {'start': '0' + INJECT}, 'start'),
    ('whatsminer_led', {'mode': 'auto', 'color': 'red'}, 'color'),
    ('whatsminer_led', {'record_slot': 'msg10'}, 'record_slot'),
    ('whatsminer_led', {'reapply': 'again'}, 'reapply'),
    # network
    ('whatsminer_network', {'proto': 'ppp'}, 'proto'),
    ('whatsminer_network', {'dhcp_address': '10.20.0.40'}, 'dhcp_address'),
    ('whatsminer_network', {'proto': 'dhcp', 'address': None, 'netmask': None, 'gateway': None, 'dns': [],
                            'dhcp_address': '10.20.0.300'}, 'dhcp_address'),
    ('whatsminer_led', {'timeout': float('inf')}, 'timeout'),
    ('whatsminer_led', {'timeout': 1e308}, 'timeout'),
    ('whatsminer_led', {'timeout': float('nan')}, 'timeout'),
    ('whatsminer_reboot', {'wait_timeout': -5}, 'wait_timeout'),
    ('whatsminer_network', {'wait_timeout': 0}, 'wait_timeout'),
    ('whatsminer_network', {'address': '300.1.1.1'}, 'address'),
    ('whatsminer_network', {'address': '10.20.0.31"'}, 'address'),
    ('whatsminer_network', {'address': '10.20.0.31' + INJECT}, 'address'),
    ('whatsminer_network', {'address': '10.20.0.31\n'}, 'address'),
    ('whatsminer_network', {'address': 'fe80::1'}, 'address'),
    ('whatsminer_network', {'address': 1}, 'address'),
    ('whatsminer_network', {'netmask': '255.0.255.0'}, 'netmask'),
    ('whatsminer_network', {'netmask': '255.255.255.255'}, 'netmask'),
    ('whatsminer_network', {'netmask': 'x' * 300}, 'netmask'),
    ('whatsminer_network', {'gateway': '10.30.0.1'}, 'gateway'),
    ('whatsminer_network', {'gateway': '10.20.0.1"'}, 'gateway'),
    ('whatsminer_network', {'dns': ['10.20.0.2"']}, 'dns'),
    ('whatsminer_network', {'dns': [INJECT]}, 'dns'),
    ('whatsminer_network', {'dns': ['10.20.0.2', '10.20.0.3', '10.20.0.4', '10.20.0.5']}, 'dns'),
    ('whatsminer_network', {'hostname': 'rig 01'}, 'hostname'),
    ('whatsminer_network', {'hostname': 'rig"01'}, 'hostname'),
    ('whatsminer_network', {'hostname': INJECT}, 'hostname'),
    ('whatsminer_network', {'hostname': 'rig\n01'}, 'hostname'),
    ('whatsminer_network', {'hostname': 'r\u00efg01'}, 'hostname'),
    ('whatsminer_network', {'hostname': 'r' * 64}, 'hostname'),
    ('whatsminer_network', {'hostname': '-rig'}, 'hostname'),
    ('whatsminer_network', {'proto': 'dhcp', 'address': '10.20.0.31', 'netmask': None, 'gateway': None, 'dns': []}, 'address'),
    ('whatsminer_network', {'wait_timeout': 'long'}, 'wait_timeout'),
    ('whatsminer_network', {'wait': 'maybe'}, 'wait'),
    # cooling
    ('whatsminer_cooling', {'temp_offset': -31}, 'temp_offset'),
    ('whatsminer_cooling', {'temp_offset': 1}, 'temp_offset'),
    ('whatsminer_cooling', {'temp_offset': 'cold'}, 'temp_offset'),
    ('whatsminer_cooling', {'temp_offset': '-5' + INJECT}, 'temp_offset'),
    ('whatsminer_cooling', {'fan_zero_speed': 'spin'}, 'fan_zero_speed'),
    ('whatsminer_cooling', {'poweroff_cool': 'chill'}, 'poweroff_cool'),
    ('whatsminer_cooling', {'heat_mode': 'boil'}, 'heat_mode'),
    ('whatsminer_cooling', {'heat_mode': 'heating"'}, 'heat_mode'),
    ('whatsminer_cooling', {'record_slot': 'msg10'}, 'record_slot'),
    ('whatsminer_cooling', {'record_slot': 'msg9"'}, 'record_slot'),
    ('whatsminer_cooling', {'record_slot': INJECT}, 'record_slot'),
    ('whatsminer_cooling', {'reapply': 'again'}, 'reapply'),
    # settings
    ('whatsminer_settings', {'timezone': 'UTC"0'}, 'timezone'),
    ('whatsminer_settings', {'timezone': INJECT}, 'timezone'),
    ('whatsminer_settings', {'timezone': 'UTC0\n'}, 'timezone'),
    ('whatsminer_settings', {'timezone': 'UTC\u00b10'}, 'timezone'),
    ('whatsminer_settings', {'timezone': 'U' * 300}, 'timezone'),
    ('whatsminer_settings', {'zonename': 'Asia/"Shanghai'}, 'zonename'),
    ('whatsminer_settings', {'zonename': INJECT}, 'zonename'),
    ('whatsminer_settings', {'zonename': 'Asia/Shanghai\n'}, 'zonename'),
    ('whatsminer_settings', {'zonename': 'Asia/\u4e0a\u6d77'}, 'zonename'),
    ('whatsminer_settings', {'zonename': None}, 'zonename'),
    ('whatsminer_settings', {'syslog': {'host': 'log"host'}}, 'host'),
    ('whatsminer_settings', {'syslog': {'host': INJECT}}, 'host'),
    ('whatsminer_settings', {'syslog': {'host': 'loghost\n'}}, 'host'),
    ('whatsminer_settings', {'syslog': {'host': '10.20.0.5', 'port': 0}}, 'port'),
    ('whatsminer_settings', {'syslog': {'host': '10.20.0.5', 'port': 65536}}, 'port'),
    ('whatsminer_settings', {'syslog': {'host': '10.20.0.5', 'port': 'syslog'}}, 'port'),
    ('whatsminer_settings', {'syslog': {'host': '10.20.0.5', 'proto': 'icmp'}}, 'proto'),
    ('whatsminer_settings', {'syslog': '10.20.0.5:514'}, 'syslog'),
    ('whatsminer_settings', {'web_pools': 'sure'}, 'web_pools'),
    ('whatsminer_settings', {'mine_on_boot': 'sure'}, 'mine_on_boot'),
    ('whatsminer_settings', {'record_slot': 'msg10'}, 'record_slot'),
    ('whatsminer_settings', {'reapply': 'again'}, 'reapply'),
    # customer messages
    ('whatsminer_customer_msg', {'customer_sn': 'SITE1"R1'}, 'CustomerSn'),
    ('whatsminer_customer_msg', {'customer_sn': INJECT}, 'CustomerSn'),
    ('whatsminer_customer_msg', {'customer_sn': 'SITE1\nR1'}, 'CustomerSn'),
    ('whatsminer_customer_msg', {'customer_sn': 'S\u00efTE1'}, 'CustomerSn'),
    ('whatsminer_customer_msg', {'customer_sn': 'S' * 128}, 'CustomerSn'),
    ('whatsminer_customer_msg', {'customer_sn': 'SITE1\\R1'}, 'CustomerSn'),
    ('whatsminer_customer_msg', {'messages': {'msg10': 'x'}}, 'messages'),
    ('whatsminer_customer_msg', {'messages': {'cmd': 'reboot'}}, 'messages'),
    ('whatsminer_customer_msg', {'messages': {'msg0': 'rack "4"'}}, 'msg0'),
    ('whatsminer_customer_msg', {'messages': {'msg0': INJECT}}, 'msg0'),
    ('whatsminer_customer_msg', {'messages': {'msg1': 'rack\n4'}}, 'msg1'),
    ('whatsminer_customer_msg', {'messages': {'msg2': 'r\u00e4ck 4'}}, 'msg2'),
    ('whatsminer_customer_msg', {'messages': {'msg3': 'r' * 128}}, 'msg3'),
    ('whatsminer_customer_msg', {'messages': {'msg4': 'rack\t4'}}, 'msg4'),
    ('whatsminer_customer_msg', {'exclusive': 'all'}, 'exclusive'),
    ('whatsminer_customer_msg', {'record_slot': 'msg0'}, 'msg0'),
    # password
    ('whatsminer_password', {'new_password': 'TooLongPw9'}, 'new_password'),
    ('whatsminer_password', {'new_password': 'Pw"7'}, 'new_password'),
    ('whatsminer_password', {'new_password': INJECT}, 'new_password'),
    ('whatsminer_password', {'new_password': 'Pw\n7'}, 'new_password'),
    ('whatsminer_password', {'new_password': 'P\u00e4ss'}, 'new_password'),
    ('whatsminer_password', {'new_password': 'Pw 7'}, 'new_password'),
    ('whatsminer_password', {'new_password': ''}, 'new_password'),
    # reboot, factory reset, logs
    ('whatsminer_reboot', {'target': 'everything'}, 'target'),
    ('whatsminer_reboot', {'target': 'system"'}, 'target'),
    ('whatsminer_reboot', {'wait_for_hashing': 'sure'}, 'wait_for_hashing'),
    ('whatsminer_reboot', {'wait_timeout': 'long'}, 'wait_timeout'),
    ('whatsminer_factory_reset', {'confirm': False}, 'confirm'),
    ('whatsminer_factory_reset', {'confirm': 'please'}, 'confirm'),
    ('whatsminer_logs', {'dest': '/nonexistent/logs'}, 'dest'),
    ('whatsminer_logs', {'dest': FIRMWARE}, 'dest'),
    # raw command
    ('whatsminer_command', {'command': 'set_led"'}, 'command'),
    ('whatsminer_command', {'command': INJECT}, 'command'),
    ('whatsminer_command', {'command': 'reboot\n'}, 'command'),
    ('whatsminer_command', {'command': 'REBOOT'}, 'command'),
    ('whatsminer_command', {'command': 'reboot;ls'}, 'command'),
    ('whatsminer_command', {'command': 'r\u00e9boot'}, 'command'),
    ('whatsminer_command', {'command': 'update_firmware'}, 'update_firmware'),
    ('whatsminer_command', {'command': 'download_logs'}, 'download_logs'),
    ('whatsminer_command', {'params': {'token': 'x'}}, 'params'),
    ('whatsminer_command', {'params': {'cmd': 'reboot'}}, 'params'),
    ('whatsminer_command', {'params': {'command': 'reboot'}}, 'params'),
    ('whatsminer_command', {'params': {'pa"ram': 'auto'}}, 'params'),
    ('whatsminer_command', {'params': {INJECT: 'auto'}}, 'params'),
    ('whatsminer_command', {'params': ['param', 'auto']}, 'params'),
    ('whatsminer_command', {'encrypted': 'sure'}, 'encrypted'),
    ('whatsminer_command', {'restarting': 'sure'}, 'restarting'),
    # fleet power (one task for many miners)
    ('whatsminer_fleet_power', {'miners': '192.0.2.11'}, 'miners'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11'}, {'host': '192.0.2.11'}]}, 'listed twice'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'port': -1}]}, 'port'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'port': 65536}]}, 'port'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'port': 'api'}]}, 'port'),
    ('whatsminer_fleet_power', {'miners': [{'name': 'rig01'}]}, 'host'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'api': 'v4'}]}, 'api'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'v3_port': 'tls'}]}, 'v3_port'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'v3_account': 'root'}]}, 'v3_account'),
    ('whatsminer_fleet_power', {'report_file': '/'}, 'report_file'),
    ('whatsminer_fleet_power', {'report_file': '/tmp/reports/'}, 'report_file'),
    ('whatsminer_facts', {'host': '127.0.0.1"'}, 'host'),
    ('whatsminer_facts', {'host': INJECT}, 'host'),
    ('whatsminer_facts', {'host': 'miner 1'}, 'host'),
    ('whatsminer_facts', {'host': 'miner\n1'}, 'host'),
    ('whatsminer_facts', {'host': 'a' * 300}, 'host'),
    ('whatsminer_fleet_power', {'miners': [{'host': 'rig 01'}]}, 'host'),
    ('whatsminer_password', {'password': 'Old"pw'}, 'password'),
    ('whatsminer_password', {'password': 'OldPassword9'}, 'password'),
    ('whatsminer_settings', {'zonename': 'A/' + 'b' * 300}, 'zonename'),
    ('whatsminer_fleet_power', {'wait_timeout': 0}, 'wait_timeout'),
    ('whatsminer_fleet_power', {'max_fail_percentage': -1}, 'max_fail_percentage'),
    ('whatsminer_fleet_power', {'max_fail_percentage': 101}, 'max_fail_percentage'),
    ('whatsminer_fleet_power', {'miners': [{'host': '192.0.2.11', 'password': 'x', 'name': 'r', 'extra': 1}]}, 'extra'),
    ('whatsminer_fleet_power', {'state': 'melted'}, 'state'),
    ('whatsminer_fleet_power', {'state': 'curtailed"'}, 'state'),
    ('whatsminer_fleet_power', {'power_percent': -1}, 'power_percent'),
    ('whatsminer_fleet_power', {'power_percent': 201}, 'power_percent'),
    ('whatsminer_fleet_power', {'power_percent': 'half'}, 'power_percent'),
    ('whatsminer_fleet_power', {'power_percent': None}, 'power_percent'),
    ('whatsminer_fleet_power', {'state': 'off'}, 'power_percent'),
    ('whatsminer_fleet_power', {'power_percent': None, 'power': -1}, 'power'),
    ('whatsminer_fleet_power', {'power_percent_method': 'slow'}, 'power_percent_method'),
    ('whatsminer_fleet_power', {'concurrency': 0}, 'concurrency'),
    ('whatsminer_fleet_power', {'concurrency': 'many'}, 'concurrency'),
    ('whatsminer_fleet_power', {'ramp_seconds': -1}, 'ramp_seconds'),
    ('whatsminer_fleet_power', {'settle_seconds': -1}, 'settle_seconds'),
    ('whatsminer_fleet_power', {'timeout': 0}, 'timeout'),
    ('whatsminer_fleet_power', {'timeout': 'soon'}, 'timeout'),
    ('whatsminer_fleet_power', {'wait_timeout': 'long'}, 'wait_timeout'),
    ('whatsminer_fleet_power', {'password': None, 'miners': [{'host': '192.0.2.11'}]}, 'password'),
]


# Known gaps (reported in issue #7, not fixed here): the value reaches the network before it is refused.
# host: never sent to the miner (only resolved and connected to), so no injection, but not validated either;
# password of whatsminer_password: the new password is probed first, the current one validated afterwards;
# zonename: no length limit (the miner refuses long ones after the request);
# fleet_power: wait_timeout and max_fail_percentage are not range-checked (each miner is read first).
KNOWN_GAPS = [
]


class RequestAttempted(Exception):
    """Raised by the fake client: the task was about to send a request to the miner."""


class FakeClient:
    """Stands in for WhatsMinerClient: attributes are fine, every method call is a request."""

    def __init__(self, host, port=4028, password=None, timeout=10.0, **_options):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.has_password = password is not None
        self.has_token = False
        self.requests_sent = []

    def __getattr__(self, name):
        def request(*_args, **_kwargs):
            raise RequestAttempted('%s:%s %s' % (self.host, self.port, name))
        return request


class RecordingFactory:
    """A client factory that hands out FakeClients and records what was attempted."""

    def __init__(self):
        self.calls = []

    def __call__(self, host, **options):
        self.calls.append((host, sorted(options)))
        return FakeClient(host, **options)


def run_task(module_name, args):
    """What the action plugin does: validate the arguments, then run the handler through execute()."""
    module = importlib.import_module('ansible_collections.minerops.whatsminer.plugins.modules.' + module_name)
    spec = module.argument_spec()
    full = dict(host='192.0.2.10', password='Zq7_x9Kp') if 'host' in spec else dict(password='Zq7_x9Kp')
    full.update(args)
    full = {key: value for key, value in full.items() if value is not None}
    validation = ArgumentSpecValidator(spec, **getattr(module, 'SPEC_KWARGS', {})).validate(full)
    factory = RecordingFactory()
    if validation.error_messages:
        return dict(failed=True, msg='; '.join(validation.error_messages)), factory
    ctx = TaskContext(validation.validated_parameters, client_factory=factory)
    handler = module.run
    if module_name == 'whatsminer_fleet_power':
        def handler(ctx):
            return module.run(ctx, client_factory=factory)
    try:
        return execute(handler, ctx), factory
    except RequestAttempted as exc:
        return dict(request_attempted=True, msg='a request would have been sent: %s' % exc), factory


@pytest.fixture(scope='module', autouse=True)
def firmware_file():
    with open(FIRMWARE, 'wb') as handle:
        handle.write(b'WMSIMFW1' + b'\0' * 64)
    yield FIRMWARE
    os.unlink(FIRMWARE)


def _case_id(case):
    module, args, option = case
    text = repr(args)
    return '%s-%s-%s' % (module.replace('whatsminer_', ''), option, ''.join(c if c.isalnum() else '_' for c in text)[:40])


@pytest.mark.parametrize('module,args,option', CASES, ids=[_case_id(case) for case in CASES])
def test_bad_input_refused_before_any_request(module, args, option):
    task_args = dict(VALID[module])
    task_args.update(args)
    result, factory = run_task(module, task_args)
    assert result.get('failed') is True, 'accepted %r for %s: %r' % (args, module, result)
    assert not result.get('request_attempted'), 'a request would have been sent for %r' % (args,)
    assert option in result['msg'], 'the message does not name %s: %s' % (option, result['msg'])
    assert result.get('changed') in (None, False), result
    assert 'Traceback' not in result['msg']


@pytest.mark.xfail(strict=True, reason='known gap: validated only after a request (see KNOWN_GAPS)')
@pytest.mark.parametrize('module,args,option', KNOWN_GAPS, ids=[_case_id(case) for case in KNOWN_GAPS])
def test_known_gaps(module, args, option):
    test_bad_input_refused_before_any_request(module, args, option)


@pytest.mark.parametrize('module', sorted(VALID))
def test_valid_baseline_reaches_the_miner(module):
    """The baselines are valid: each one asks for a client (else the table above proves nothing)."""
    result, factory = run_task(module, VALID[module])
    assert factory.calls, (module, result)
    assert result.get('request_attempted') is True or 'a request would have been sent' in str(result), result


def test_table_covers_every_option_of_every_module():
    """Every module option (connection options once) has at least one bad value above."""
    named = {}
    for module, args, _option in CASES + KNOWN_GAPS:
        named.setdefault(module, set()).update(args)
        for value in args.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                named[module].update(value[0])
            elif isinstance(value, dict):
                named[module].update(value)
    connection = {'host', 'port', 'password', 'timeout', 'api', 'v3_port', 'v3_account', 'v3_password'}
    for module in VALID:
        spec = importlib.import_module('ansible_collections.minerops.whatsminer.plugins.modules.' + module).argument_spec()
        options = set(spec) - connection
        for name, option in spec.items():
            options.update(option.get('options') or {})
        missing = options - named.get(module, set())
        if module == 'whatsminer_logs':
            missing.discard('name')  # only part of the local file name, sanitised there, never sent
        missing.discard('v3_password')  # any text is a valid API V3 password (it is hashed, never stored as text)
        assert not missing, (module, sorted(missing))
    assert connection - {'v3_password'} <= set().union(*named.values())


# --------------------------------------------------------------------------- generated text

# Text with at least one character the miner cannot store safely: quote, backslash, control, non-ASCII.
UNSAFE_CHARS = st.sampled_from(['"', '\\', '\n', '\r', '\t', '\0', '\x7f', '\u00e9', '\u4e2d', '\U0001f600', '\u2028'])
SAFE_TEXT = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e, blacklist_characters='"\\'), max_size=12)
UNSAFE_TEXT = st.builds(lambda head, bad, tail: head + bad + tail, SAFE_TEXT, UNSAFE_CHARS, SAFE_TEXT)

# (module, builder of arguments from one text value, option named in the message)
TEXT_OPTIONS = [
    ('whatsminer_pools', lambda text: _pool(user=text), 'user'),
    ('whatsminer_pools', lambda text: _pool(password=text), 'password'),
    ('whatsminer_pools', lambda text: _pool(url='stratum+tcp://%s:3333' % text), 'url'),
    ('whatsminer_customer_msg', lambda text: {'customer_sn': text}, 'CustomerSn'),
    ('whatsminer_customer_msg', lambda text: {'messages': {'msg5': text}}, 'msg5'),
    ('whatsminer_settings', lambda text: {'timezone': text}, 'timezone'),
    ('whatsminer_settings', lambda text: {'zonename': 'Asia/' + text}, 'zonename'),
    ('whatsminer_settings', lambda text: {'syslog': {'host': text}}, 'host'),
    ('whatsminer_network', lambda text: {'hostname': text}, 'hostname'),
    ('whatsminer_network', lambda text: {'address': text}, 'address'),
    ('whatsminer_firmware', lambda text: {'version': text}, 'version'),
    ('whatsminer_password', lambda text: {'new_password': text}, 'new_password'),
    ('whatsminer_command', lambda text: {'command': text}, 'command'),
    ('whatsminer_cooling', lambda text: {'record_slot': text}, 'record_slot'),
]


@hypothesis.settings(max_examples=60, deadline=None, database=None)
@hypothesis.given(UNSAFE_TEXT, st.sampled_from(range(len(TEXT_OPTIONS))))
def test_generated_unsafe_text_is_refused(text, index):
    module, build, option = TEXT_OPTIONS[index]
    task_args = dict(VALID[module])
    task_args.update(build(text))
    result, factory = run_task(module, task_args)
    assert result.get('failed') is True, (module, option, text, result)
    assert not result.get('request_attempted'), (module, option, text)
    assert option in result['msg'], (option, result['msg'])


@hypothesis.settings(max_examples=40, deadline=None, database=None)
@hypothesis.given(st.integers(), st.sampled_from([
    ('whatsminer_power', 'power_limit', 0, 99999), ('whatsminer_power', 'target_freq_percent', -100, 100),
    ('whatsminer_power', 'upfreq_speed', 0, 9), ('whatsminer_cooling', 'temp_offset', -30, 0),
    ('whatsminer_led', 'period', 1, 10 ** 6), ('whatsminer_led', 'port', 1, 65535),
]))
def test_generated_numbers_outside_their_range_are_refused(number, case):
    module, option, low, high = case
    hypothesis.assume(not low <= number <= high)
    task_args = dict(VALID[module])
    task_args[option] = number
    if option == 'period':
        task_args.update(duration=None, start=None)
    result, factory = run_task(module, task_args)
    assert result.get('failed') is True, (module, option, number, result)
    assert not result.get('request_attempted')
    assert option in result['msg'], result['msg']
