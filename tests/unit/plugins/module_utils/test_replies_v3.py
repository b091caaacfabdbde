# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""V3 normalisers against the recorded replies of reference_protocol.rst V3 §8."""

from __future__ import annotations

import json

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import (
    normalize_devs,
    normalize_miner_info,
    normalize_pools,
    normalize_psu,
    normalize_status,
    normalize_summary,
    normalize_version,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies_v3 import (
    v3_devs,
    v3_error_codes,
    v3_miner_info,
    v3_pools,
    v3_psu,
    v3_settings,
    v3_status,
    v3_summary,
    v3_version,
)

# 8.1 get.device.info (M50_VH84, fw 20250915.16.Rel2, api 3.0.2), compacted.
DEVICE_INFO = json.loads(
    '{"code":0,"when":1761111204,"msg":{"network":{"ip":"10.10.10.**","proto":"dhcp","netmask":"255.255.255.0",'
    '"dns":"10.10.10.**","mac":"**:**:**:**:**:**","gateway":"10.10.10.*","hostname":"WhatsMiner"},"miner":'
    '{"working":"true","type":"M50_VH84","hash-board":"H84","detect-hash-rate":"40***:41***:40***","cointype":'
    '"BTC/BCH/BSV","pool-strategy":"FAILOVER","heatmode":"","hash-percent":"","chipdata0":"H3LA03-******** '
    'BINVE2-*******","chipdata1":"H3LA03-******** BINVE2-*******","chipdata2":"H3LA03-******** BINVE2-*******",'
    '"fast-boot":"disable","board-num":"3","pcbsn0":"HHM**X*F******X*****","pcbsn1":"HHM**X*F******X*****",'
    '"pcbsn2":"HHM**X*F******X*****","miner-sn":"HTM**X**KU*****************A*****","power-limit-set":"",'
    '"UpfreqSpeed":"","web-pool":1,"permission":"super=255 user1=0 user2=0 user3=0"},"system":{"api":"3.0.2",'
    '"platform":"H616","fwversion":"20250915.16.Rel2","control-board-version":"CB6V10","apiswitch":"1",'
    '"ledstatus":"auto"},"power":{"type":"P221B","mode":"1","hwversion":"V00.**","swversion":"V02.**.V02.**",'
    '"model":"P221B","iin":15.43,"vin":231.5,"vout":1222,"pin":3573,"fanspeed":4992,"temp0":79,"sn":'
    '"A****G**********","vendor":"7"},"salt":"I*D*C***","error-code":[]},"desc":"get.device.info"}')

# 8.2 get.system.setting
SYSTEM_SETTING = json.loads(
    '{"code":0,"when":1766168299,"msg":{"web-pool":1,"timezone":"CST-8","zonename":"Asia/Shanghai","hostname":'
    '"WhatsMiner","time-randomized":{"start":0,"stop":0},"ntp-server":["0.cn.pool.ntp.org","0.openwrt.pool.ntp.org",'
    '"0.asia.pool.ntp.org","0.pool.ntp.org"]},"desc":"get.system.setting"}')

# 8.3 get.miner.status summary (doc example)
SUMMARY = json.loads(
    '{"code":0,"when":1692685476,"msg":{"summary":{"elapsed":1074,"bootup-time":1175,"freq-avg":788,"target-freq":0,'
    '"factory-hash":101.366,"hash-average":101.847,"hash-1min":102.072,"hash-15min":101.847,"hash-realtime":101.847,'
    '"power-rate":31.886,"power-5min":3247.641,"power-realtime":3268,"environment-temperature":34.8,'
    '"board-temperature":[69.6,70.1,72.3],"chip-temp-min":83.2,"chip-temp-avg":92.9,"chip-temp-max":100.3,'
    '"power-limit":3500,"up-freq-finish":1,"fan-speed-in":4980,"fan-speed-out":5070}},"desc":"get.miner.status"}')

# 8.4 get.miner.status pools (asic-rs fixture)
POOLS = json.loads(
    '{"code":0,"desc":"get.miner.status","msg":{"pools":[{"account":"asic-rs.test","pool-priority":0,"status":"alive",'
    '"stratum-active":true,"url":"stratum+tcp://btc.example.pool:3333"},{"account":"asic-rs.test","pool-priority":1,'
    '"status":"alive","stratum-active":false,"url":"stratum+tcp://btc2.example.pool:3333"},{"account":"asic-rs.test",'
    '"pool-priority":2,"status":"alive","stratum-active":false,"url":"stratum+tcp://btc3.example.pool:3333"}]},'
    '"when":1773869570}')

# 8.5 get.miner.status edevs (asic-rs fixture)
EDEVS = json.loads(
    '{"code":0,"desc":"get.miner.status","msg":{"edevs":[{"chip-temp-avg":74.0,"chip-temp-max":80.0,"chip-temp-min":68.0,'
    '"effective-chips":75,"factory-hash":60.35,"freq":625.0,"hash-average":57.1,"hash-realtime":57.2,"id":0,"status":'
    '"alive"},{"chip-temp-avg":75.0,"chip-temp-max":82.0,"chip-temp-min":69.0,"effective-chips":75,"factory-hash":60.35,'
    '"freq":625.0,"hash-average":56.8,"hash-realtime":57.0,"id":1,"status":"alive"},{"chip-temp-avg":76.0,'
    '"chip-temp-max":81.0,"chip-temp-min":70.0,"effective-chips":75,"factory-hash":60.35,"freq":625.0,'
    '"hash-average":56.9,"hash-realtime":57.1,"id":2,"status":"alive"}]},"when":1773869570}')

# 8.6 error-code member
ERROR_CODES = json.loads('{"error-code":[{"264":"2026-05-23 09:19:10","reason":"Power xfer error. code: 0xffffffffc0000000"}]}')

# get.miner.setting (keys of section 4.1; values as the doc types them)
MINER_SETTING = {
    'power-limit': 3300, 'upfreq-speed': 4, 'power-mode': 'normal', 'fast-boot': 'enable', 'fast-hash': 'disable',
    'heat-mode': 'normal', 'target-freq': -10, 'fast-mining': 'disable', 'power': 3200, 'power-percent': 0,
    'btrom-worker-suffix': '',
}
FAN_SETTING = {'fan-poweroff-cool': 1, 'fan-zero-speed': 0, 'fan-temp-offset': -5}


@pytest.mark.parametrize('v3_func, v2_func, sample', [
    (v3_summary, normalize_summary, SUMMARY),
    (v3_status, normalize_status, DEVICE_INFO),
    (v3_version, normalize_version, DEVICE_INFO),
    (v3_miner_info, normalize_miner_info, DEVICE_INFO),
    (v3_psu, normalize_psu, DEVICE_INFO),
])
def test_same_keys_as_v2(v3_func, v2_func, sample):
    assert set(v2_func({})) <= set(v3_func(sample))
    assert set(v2_func({})) <= set(v3_func({}))


def test_list_normalisers_same_keys():
    assert set(normalize_pools({'POOLS': [{}]})[0]) == set(v3_pools(POOLS)[0])
    assert set(normalize_devs({'DEVS': [{}]})[0]) == set(v3_devs(EDEVS)[0])


def test_summary():
    s = v3_summary(SUMMARY)
    assert s == v3_summary(SUMMARY['msg']) == v3_summary(SUMMARY['msg']['summary'])
    assert s['elapsed'] == 1074 and s['uptime'] == 1175
    assert s['hashrate_ths'] == 101.847 and s['hashrate_1m_ths'] == 102.072 and s['hashrate_15m_ths'] == 101.847
    assert s['hashrate_rt_ths'] == 101.847 and s['factory_ths'] == 101.366
    assert s['freq_avg'] == 788 and s['target_freq'] is None  # V3's target-freq is a percent, not MHz
    assert s['power'] == 3268 and s['power_rate'] == 31.886 and s['power_limit'] == 3500 and s['power_5min'] == 3247.641
    assert s['fan_speed_in'] == 4980 and s['fan_speed_out'] == 5070
    assert s['temperature'] == 72.3 and s['board_temperatures'] == [69.6, 70.1, 72.3] and s['env_temp'] == 34.8
    assert (s['chip_temp_min'], s['chip_temp_avg'], s['chip_temp_max']) == (83.2, 92.9, 100.3)
    assert s['upfreq_complete'] is True
    assert s['accepted'] is None and s['power_mode'] is None and s['hashrate_5s_ths'] is None


def test_summary_third_party_spelling_and_strings():
    s = v3_summary({'summary': {'environment-tempurature': '30.5', 'board-tempurature': ['60', 'nan'], 'elapsed': '12'}})
    assert s['env_temp'] == 30.5 and s['temperature'] == 60 and s['elapsed'] == 12


def test_pools():
    pools = v3_pools(POOLS)
    assert [p['url'] for p in pools] == ['stratum+tcp://btc.example.pool:3333', 'stratum+tcp://btc2.example.pool:3333',
                                         'stratum+tcp://btc3.example.pool:3333']
    assert [p['priority'] for p in pools] == [0, 1, 2]
    assert pools[0]['user'] == 'asic-rs.test' and pools[0]['status'] == 'Alive'  # as V2.2 spells it
    assert pools[0]['stratum_active'] is True and pools[1]['stratum_active'] is False
    assert pools[0]['accepted'] is None
    assert all('passwd' not in p and 'password' not in p for p in pools)


def test_pools_ordered_by_id_with_optional_fields():
    msg = {'pools': [
        {'id': 2, 'url': 'b', 'account': 'w2', 'reject-rate': 0.5, 'last-share-time': 1700000000, 'accepted': 7},
        {'id': 1, 'url': 'a', 'account': 'w1'},
    ]}
    pools = v3_pools(msg)
    assert [p['url'] for p in pools] == ['a', 'b']
    assert pools[1]['pool_rejected_pct'] == 0.5 and pools[1]['last_share_time'] == 1700000000 and pools[1]['accepted'] == 7
    assert v3_pools({}) == [] and v3_pools({'code': -1, 'msg': 'fail'}) == []


def test_devs():
    devs = v3_devs(EDEVS)
    assert [d['slot'] for d in devs] == [0, 1, 2]
    assert devs[0]['hashrate_ths'] == 57.1 and devs[0]['hashrate_rt_ths'] == 57.2 and devs[0]['factory_ths'] == 60.35
    assert devs[0]['chip_frequency'] == 625.0 and devs[0]['effective_chips'] == 75
    assert (devs[2]['chip_temp_min'], devs[2]['chip_temp_avg'], devs[2]['chip_temp_max']) == (70.0, 76.0, 81.0)


def test_version():
    assert v3_version(DEVICE_INFO) == {
        'api_version': '3.0.2', 'api_major': 3, 'fw_ver': '20250915.16.Rel2', 'platform': 'H616', 'chip': None,
        'miner_type': 'M50_VH84', 'model': 'M50',
    }
    assert v3_version({'system': {'api': '3.0.5'}})['api_major'] == 3


def test_status():
    status = v3_status(DEVICE_INFO)
    assert status == {
        'mining': True, 'mineroff_reason': None, 'mineroff_time': None, 'firmware_version': '20250915.16.Rel2',
        'power_mode': None, 'power_limit': None, 'target_freq_percent': None, 'power_percent': None, 'fast_hash': None, 'power_override': None,
    }
    info = json.loads(json.dumps(DEVICE_INFO['msg']))
    info['miner'].update({'working': 'false', 'power-limit-set': '3000', 'hash-percent': '-10'})
    status = v3_status(info, {'power-mode': 'low', 'power-percent': 60})
    assert status['mining'] is False and status['power_limit'] == 3000 and status['target_freq_percent'] == -10
    assert status['power_mode'] == 'low' and status['power_override'] == 60


def test_miner_info():
    assert v3_miner_info(DEVICE_INFO) == {
        'ip': '10.10.10.**', 'proto': 'dhcp', 'netmask': '255.255.255.0', 'gateway': '10.10.10.*',
        'dns': ['10.10.10.**'], 'hostname': 'WhatsMiner', 'mac': '**:**:**:**:**:**', 'led_state': 'auto',
        'miner_sn': 'HTM**X**KU*****************A*****', 'psu_sn': 'A****G**********', 'upfreq_speed': None,
    }
    assert v3_miner_info({'network': {'dns': '1.1.1.1 8.8.8.8'}})['dns'] == ['1.1.1.1', '8.8.8.8']


def test_psu():
    psu = v3_psu(DEVICE_INFO)
    assert psu['name'] == 'P221B' and psu['model'] == 'P221B' and psu['hw_version'] == 'V00.**'
    assert psu['iin'] == 15430 and psu['vin'] == 231.5 and psu['vout'] == 12.22 and psu['pin'] == 3573
    assert psu['fan_speed'] == 4992 and psu['temp0'] == 79 and psu['serial_no'] == 'A****G**********'
    assert psu['vendor'] == '7' and psu['mode'] == '1' and psu['version'] is None


def test_error_codes():
    table = {'2': {'6': {'4': 'power transfer error'}}}
    codes = v3_error_codes(ERROR_CODES, table)
    assert codes == [{
        'code': 264, 'time': '2026-05-23 09:19:10', 'type': 2, 'subtype': 6, 'value': 4, 'component': 'power supply',
        'description': 'power transfer error', 'reason': 'Power xfer error. code: 0xffffffffc0000000',
    }]
    assert v3_error_codes(DEVICE_INFO) == []
    assert v3_error_codes({'error-code': [{'110': '2024-01-01 00:00:00'}]}, table)[0]['reason'] is None


def test_settings_all_sources():
    settings = v3_settings(MINER_SETTING, FAN_SETTING, SYSTEM_SETTING, DEVICE_INFO)
    assert settings == v3_settings({'get.miner.setting': MINER_SETTING, 'get.fan.setting': FAN_SETTING,
                                    'get.system.setting': SYSTEM_SETTING, 'get.device.info': DEVICE_INFO})
    assert settings == v3_settings(DEVICE_INFO['msg'], SYSTEM_SETTING['msg'], FAN_SETTING, MINER_SETTING)
    assert settings == {
        'power_limit': 3300, 'power_limit_set': None, 'power_mode': 'normal', 'power': 3200, 'power_percent': 0,
        'target_freq': -10, 'upfreq_speed': 4, 'fast_boot': True, 'fast_hash': False, 'fast_mining': False,
        'heat_mode': 'normal', 'fan_poweroff_cool': True, 'fan_zero_speed': False, 'fan_temp_offset': -5,
        'timezone': 'CST-8', 'zonename': 'Asia/Shanghai',
        'ntp_servers': ['0.cn.pool.ntp.org', '0.openwrt.pool.ntp.org', '0.asia.pool.ntp.org', '0.pool.ntp.org'],
        'hostname': 'WhatsMiner', 'web_pools': True, 'time_randomized': {'start': 0, 'stop': 0},
        'log_upload': None, 'log_upload_enabled': False, 'led_mode': 'auto', 'api_switch': True, 'mining': True,
        'cointype': 'BTC/BCH/BSV', 'permission': 'super=255 user1=0 user2=0 user3=0', 'btrom_worker_suffix': None,
    }


def test_settings_device_info_only_and_empty():
    settings = v3_settings(DEVICE_INFO)
    assert settings['fast_boot'] is False          # miner.fast-boot "disable"
    assert settings['web_pools'] is True and settings['hostname'] == 'WhatsMiner'
    assert settings['heat_mode'] is None and settings['upfreq_speed'] is None and settings['power_limit_set'] is None
    assert settings['log_upload_enabled'] is None  # unknown without get.system.setting
    assert settings['power'] is None               # the PSU section is not set.miner.power
    assert all(value is None for value in v3_settings().values())


def test_settings_log_upload_and_strings():
    settings = v3_settings({'log-upload': {'ip': '10.0.0.9', 'port': '514', 'proto': 'udp'}, 'timezone': 'UTC',
                            'ntp-server': 'a.example, b.example', 'fan-temp-offset': '-10', 'heat-mode': 'Anti-Freezing'})
    assert settings['log_upload'] == {'ip': '10.0.0.9', 'port': '514', 'proto': 'udp'}
    assert settings['log_upload_enabled'] is True
    assert settings['ntp_servers'] == ['a.example', 'b.example'] and settings['fan_temp_offset'] == -10
    assert settings['heat_mode'] == 'anti-freezing'
    off = v3_settings({'log-upload': {'ip': '', 'port': '', 'proto': 'udp'}, 'timezone': 'UTC'})
    assert off['log_upload'] is None and off['log_upload_enabled'] is False
    info = json.loads(json.dumps(DEVICE_INFO['msg']))
    info['miner'].update({'power-limit-set': '3100', 'heatmode': 'heating', 'UpfreqSpeed': '3'})
    settings = v3_settings(info)
    assert settings['power_limit_set'] == 3100 and settings['heat_mode'] == 'heating' and settings['upfreq_speed'] == 3
