# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import math
import random

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import replies
from ansible_collections.minerops.whatsminer.plugins.module_utils._error_codes import DECODE_RULE, ERROR_CODE_TABLE, SOURCE
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ProtocolError
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import (
    decode_error_codes,
    describe_error_code,
    envelope_status,
    load_error_code_table,
    normalize_devdetails,
    normalize_devs,
    normalize_miner_info,
    normalize_pools,
    normalize_psu,
    normalize_status,
    normalize_summary,
    normalize_version,
    parse_reply,
    parse_reply_ex,
    to_bool,
    to_number,
)

# --------------------------------------------------------------------------- valid replies

VALID = [
    b'{"STATUS":"S","When":1700000000,"Code":131,"Msg":"API command OK","Description":""}',
    b'{"STATUS":[{"STATUS":"S","Msg":"Summary"}],"SUMMARY":[{"Elapsed":100,"MHS av":1.5e8,"Power":3200}]}',
    b'{"a":"x\\ny","b":"\\u00e9\\"q\\"","c":[1,2.5,-3e-2,true,false,null],"d":{}}',
    b'  {"nested":{"deep":[[[{"k":"v"}]]]}}  \n',
    b'{"STATUS":"S","Msg":{"error_code":[{"329":"2022-01-17 11:28:11"}]}}',
    b'{"inf":"inf","nan":"nan","comma":",}","bracket":"],","colon":":"}',
    b'{"dup":1,"dup":2}',
    b'{"big":123456789012345678901234567890,"f":1.0,"e":1E5}',
    '{"unicode":"\u4e16\u754c","esc":"\\\\"}'.encode('utf-8'),
    b'{"Firmware Version":"\'20210322.22.REL\'"}',
    b'{"NaN_float":NaN,"inf_float":Infinity}',  # Python's json accepts these: keep json.loads' answer
]


@pytest.mark.parametrize('raw', VALID)
def test_valid_replies_unchanged(raw):
    value, repairs = parse_reply_ex(raw)
    expected = json.loads(raw)
    assert repairs == []
    assert json.dumps(value, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert value.__class__ is dict


def test_valid_str_input():
    assert parse_reply('{"a": 1}') == {'a': 1}


def test_floats_and_ints_keep_types():
    value = parse_reply(b'{"i":1,"f":1.0}')
    assert value['i'].__class__ is int and value['f'].__class__ is float


# --------------------------------------------------------------------------- repairs

REPAIRS = [
    # (raw, expected, repair name)
    (b'{"STATUS":"S","Code":131}\x00', {'STATUS': 'S', 'Code': 131}, 'trailing NUL'),
    (b'{"a":1}\x00\x00garbage', {'a': 1}, 'trailing NUL'),
    (b'{"a":1,}', {'a': 1}, 'trailing comma'),
    (b'{"a":[1,2,],"b":{"c":3,},}', {'a': [1, 2], 'b': {'c': 3}}, 'trailing comma'),
    (b'{"a":"line1\nline2\r\tx"}', {'a': 'line1\nline2\r\tx'}, 'raw control character in string'),
    (b'{"name":"PSU","fan_speed":"7000""temp0":"41.5","vin":"22500"}',
     {'name': 'PSU', 'fan_speed': '7000', 'temp0': '41.5', 'vin': '22500'}, 'missing comma'),
    (b'{"a":inf,"b":nan,"c":-inf,"d":[1,inf]}', {'a': None, 'b': None, 'c': None, 'd': [1, None]}, 'bare inf/nan'),
    (b'{"Msg":{"error_code":["329":"2022-01-17 11:28:11"]}}',
     {'Msg': {'error_code': [{'329': '2022-01-17 11:28:11'}]}}, 'key/value pairs in a list'),
    (b'{"Msg":{"error_code":["329":"2022-01-17 11:28:11","2010":"2022-01-17 11:28:12"]}}',
     {'Msg': {'error_code': [{'329': '2022-01-17 11:28:11'}, {'2010': '2022-01-17 11:28:12'}]}}, 'key/value pairs in a list'),
    (b'{"STATUS":"S","Msg":{"error_code":[{"111":"2022-01-01 00:00:00"},{"5204":"2022-01-01 00:00:01"},{"2010":"2022',
     {'STATUS': 'S', 'Msg': {'error_code': [{'111': '2022-01-01 00:00:00'}, {'5204': '2022-01-01 00:00:01'}, {}]}},
     'truncated reply closed'),
    (b'{"a":{"b":[1,2', {'a': {'b': [1]}}, 'truncated reply closed'),
    (b'{"a":1,"b":tr', {'a': 1}, 'truncated reply closed'),
    (b'{"a":1,"b"', {'a': 1}, 'truncated reply closed'),
    (b'{"a":"x\\qy"}', {'a': 'x\\qy'}, 'bad escape'),
    (b'{"a":[1 2 3]}', {'a': [1, 2, 3]}, 'missing comma'),
    (b'{"a":[1,2}', {'a': [1, 2]}, 'mismatched bracket'),
    (b'junk{"a":1}', {'a': 1}, 'leading garbage'),
    (b'{"a":1}}', {'a': 1}, 'trailing garbage'),
    (b'{"a":1,,"b":2}', {'a': 1, 'b': 2}, 'extra comma'),
    (b'{a:1}', {'a': 1}, 'unquoted key'),
]


@pytest.mark.parametrize('raw,expected,repair', REPAIRS)
def test_repairs(raw, expected, repair):
    with pytest.raises(ValueError):
        json.loads(raw)
    value, repairs = parse_reply_ex(raw)
    assert value == expected
    assert repair in repairs


def test_nul_then_valid_is_json_loads():
    assert parse_reply_ex(b'{"a":"b"}\x00')[0] == {'a': 'b'}


def test_quoted_inf_nan_kept_by_parser_and_nulled_by_normalisers():
    reply = parse_reply(b'{"Msg":{"temp0":"nan","pin":"inf","iin":"1200"}}')
    assert reply['Msg']['temp0'] == 'nan'
    psu = normalize_psu(reply)
    assert psu['temp0'] is None and psu['pin'] is None and psu['iin'] == 1200


def test_repaired_numbers_keep_json_types():
    value = parse_reply(b'{"i":1,"f":2.5,"e":1e3,"neg":-4,}')
    assert value == {'i': 1, 'f': 2.5, 'e': 1000.0, 'neg': -4}
    assert value['i'].__class__ is int and value['e'].__class__ is float


@pytest.mark.parametrize('raw', [b'', b'   ', b'\x00', b'no json here', b'[1,2,3]', b'"str"', b'42', None, b'[{"a":1}'])
def test_hopeless_raise_protocol_error(raw):
    with pytest.raises(ProtocolError):
        parse_reply(raw)


def test_deep_nesting_is_protocol_error():
    with pytest.raises(ProtocolError):
        parse_reply(b'{"a":' + b'[' * 5000)
    with pytest.raises(ProtocolError):
        parse_reply(b'{"a":' + b'[' * 100000 + b']' * 100000 + b'}')


def test_protocol_error_excerpt_is_short_and_secret_free():
    raw = b'garbage {"token":"w.BNbkCV6n1aNWgiBWLzT/","passwd1":"poolsecret"' + b'x' * 1000
    raw = raw.replace(b'{', b'')
    with pytest.raises(ProtocolError) as info:
        parse_reply(raw)
    text = str(info.value)
    assert 'poolsecret' not in text and 'w.BNbkCV6n1aNWgiBWLzT/' not in text
    assert len(text) < 300


def test_invalid_utf8_is_replaced():
    value = parse_reply(b'{"a":"\xff\xfe",}')
    assert value == {'a': '\ufffd\ufffd'}


def test_random_garbage_only_protocol_errors():
    rng = random.Random(1234)
    alphabet = b'{}[]",:\\ \n\x00abc123.-einfnaINF'
    seeds = VALID + [r[0] for r in REPAIRS]
    for dummy in range(3000):
        base = bytearray(rng.choice(seeds))
        for dummy2 in range(rng.randint(1, 4)):
            op = rng.randint(0, 2)
            pos = rng.randint(0, len(base))
            if op == 0:
                base[pos:pos] = bytes([rng.choice(alphabet)])
            elif op == 1 and base:
                del base[min(pos, len(base) - 1)]
            else:
                base = base[:pos]
        try:
            value = parse_reply(bytes(base))
        except ProtocolError:
            continue
        assert isinstance(value, dict)


# --------------------------------------------------------------------------- envelope

@pytest.mark.parametrize('reply,expected', [
    ({'STATUS': 'S', 'Code': 131, 'Msg': 'API command OK'}, (True, 131, 'API command OK')),
    ({'STATUS': 'E', 'Code': 14, 'Msg': 'invalid cmd'}, (False, 14, 'invalid cmd')),
    ({'STATUS': 'E', 'Code': '135', 'Msg': 'check token err'}, (False, 135, 'check token err')),
    ({'STATUS': [{'STATUS': 'S', 'Msg': 'Summary'}], 'SUMMARY': []}, (True, None, 'Summary')),
    ({'STATUS': [{'STATUS': 'E', 'Code': 14, 'Msg': 'Invalid command'}]}, (False, 14, 'Invalid command')),
    ({'STATUS': [{'STATUS': 'W', 'Msg': 'warn'}]}, (True, None, 'warn')),
    ({'Code': 136, 'Msg': 'over max connect'}, (False, 136, 'over max connect')),
    ({'Code': 131, 'Msg': {'a': 1}}, (True, 131, {'a': 1})),
    ({'SUMMARY': []}, (True, None, None)),
    ({'STATUS': 'S', 'Code': 45}, (False, 45, None)),
])
def test_envelope_status(reply, expected):
    assert envelope_status(reply) == expected


def test_envelope_not_dict():
    assert envelope_status([1])[0] is False


# --------------------------------------------------------------------------- helpers

@pytest.mark.parametrize('value,expected', [
    ('12', 12), ('12.5', 12.5), (' 7 ', 7), ('inf', None), ('nan', None), ('-inf', None), ('NaN', None),
    ('', None), (None, None), (True, None), (3, 3), (float('nan'), None), (float('inf'), None), ('45%', 45),
    ("'3'", 3), ('3200 W', 3200.0), ('abc', None), ('1e3', 1000.0),
])
def test_to_number(value, expected):
    assert to_number(value) == expected


@pytest.mark.parametrize('value,expected', [
    ('true', True), ('false', False), ('enable', True), ('disable', False), ('1', True), ('0', False),
    (True, True), (0, False), ('maybe', None), (None, None), ('', None), ("'false'", False),
])
def test_to_bool(value, expected):
    assert to_bool(value) is expected


# --------------------------------------------------------------------------- normalisers

SUMMARY_V2 = {
    'STATUS': [{'STATUS': 'S', 'Msg': 'Summary'}],
    'SUMMARY': [{
        'Elapsed': 5000, 'MHS av': 100123456.78, 'MHS 5s': 99000000.0, 'MHS 1m': 100000000.0,
        'MHS 15m': 100500000.0, 'HS RT': 100200000.0, 'Accepted': 10, 'Rejected': 1, 'Temperature': 70.5,
        'freq_avg': 600, 'Fan Speed In': 4200, 'Fan Speed Out': 4300, 'Power': 3400, 'Power Rate': 33.96,
        'Pool Rejected%': 0.5, 'Pool Stale%': 0.0, 'Uptime': 6000, 'Hash Stable': True,
        'Hash Stable Cost Seconds': 900, 'Target Freq': 580, 'Env Temp': 25.0, 'Power Mode': 'Normal',
        'Factory GHS': 100000, 'Power Limit': 3600, 'Chip Temp Min': 60.0, 'Chip Temp Max': 85.0,
        'Chip Temp Avg': 75.0, 'Debug': '-0.0_100.0_430', 'Btminer Fast Boot': 'disable',
        'Upfreq Complete': 1, 'Firmware Version': "'20230911.12.Rel'", 'MAC': 'C4:11:04:01:02:03',
    }],
}


def test_normalize_summary_v2():
    s = normalize_summary(SUMMARY_V2)
    assert s['elapsed'] == 5000 and s['uptime'] == 6000
    assert s['hashrate_ths'] == pytest.approx(100.12345678)
    assert s['hashrate_5s_ths'] == pytest.approx(99.0)
    assert s['hashrate_1m_ths'] == pytest.approx(100.0)
    assert s['hashrate_15m_ths'] == pytest.approx(100.5)
    assert s['hashrate_rt_ths'] == pytest.approx(100.2)
    assert s['factory_ths'] == pytest.approx(100.0)
    assert s['power'] == 3400 and s['power_limit'] == 3600 and s['power_rate'] == 33.96
    assert s['power_mode'] == 'normal'
    assert s['fan_speed_in'] == 4200 and s['fan_speed_out'] == 4300
    assert s['env_temp'] == 25.0 and s['chip_temp_max'] == 85.0 and s['temperature'] == 70.5
    assert s['hash_stable'] is True and s['btminer_fast_boot'] is False and s['upfreq_complete'] is True
    assert s['firmware_version'] == '20230911.12.Rel'
    assert s['target_freq'] == 580 and s['freq_avg'] == 600
    assert s['pool_rejected_pct'] == 0.5 and s['accepted'] == 10


def test_normalize_summary_strings_and_variants():
    reply = {'SUMMARY': [{'elapsed': '5000', 'mhs_av': '50000000', 'power': 'nan', 'power_mode': 'High',
                          'fan_speed_in': 'inf', 'btminer_fast_boot': 'enable', 'factory_ghs': '50000'}]}
    s = normalize_summary(reply)
    assert s['elapsed'] == 5000 and s['hashrate_ths'] == pytest.approx(50.0)
    assert s['power'] is None and s['fan_speed_in'] is None
    assert s['power_mode'] == 'high' and s['btminer_fast_boot'] is True and s['factory_ths'] == 50.0


def test_normalize_summary_under_msg():
    s = normalize_summary({'STATUS': 'S', 'Code': 131, 'Msg': {'Elapsed': 3, 'MHS av': 1e6, 'Power Mode': 'Low'}})
    assert s['elapsed'] == 3 and s['hashrate_ths'] == 1.0 and s['power_mode'] == 'low'
    s = normalize_summary({'Msg': {'SUMMARY': [{'Elapsed': 4}]}})
    assert s['elapsed'] == 4


def test_normalize_summary_empty():
    s = normalize_summary({})
    assert s['hashrate_ths'] is None and s['power_mode'] is None


POOLS = {
    'STATUS': [{'STATUS': 'S', 'Msg': '3 Pool(s)'}],
    'POOLS': [
        {'POOL': 1, 'URL': 'stratum+tcp://pool.example:3333', 'Status': 'Alive', 'Priority': 0, 'Quota': 1,
         'Getworks': 10, 'Accepted': 100, 'Rejected': 2, 'Discarded': 5, 'Stale': 0, 'Get Failures': 0,
         'Remote Failures': 0, 'User': 'acct.worker1', 'Last Share Time': 1700000000, 'Stratum Active': True,
         'Stratum URL': 'pool.example', 'Stratum Difficulty': 65536.0, 'Pool Rejected%': 1.96,
         'Pool Stale%': 0.0, 'Bad Work': 0},
        {'POOL': '2', 'URL': 'stratum+tcp://backup.example:443', 'Status': 'Dead', 'Priority': '1',
         'User': 'acct.worker1', 'Stratum Active': 'false', 'Accepted': '0'},
    ],
}


def test_normalize_pools():
    pools = normalize_pools(POOLS)
    assert len(pools) == 2
    p = pools[0]
    assert p['index'] == 1 and p['url'] == 'stratum+tcp://pool.example:3333' and p['user'] == 'acct.worker1'
    assert p['status'] == 'Alive' and p['priority'] == 0 and p['accepted'] == 100 and p['rejected'] == 2
    assert p['stratum_active'] is True and p['stratum_difficulty'] == 65536.0 and p['pool_rejected_pct'] == 1.96
    q = pools[1]
    assert q['index'] == 2 and q['priority'] == 1 and q['stratum_active'] is False and q['accepted'] == 0
    assert q['rejected'] is None
    assert not any('pass' in key for key in p)


def test_normalize_pools_empty():
    assert normalize_pools({'STATUS': 'E'}) == []
    assert normalize_pools({'Msg': {'POOLS': [{'URL': 'u'}]}})[0]['url'] == 'u'


DEVS = {
    'STATUS': [{'STATUS': 'S', 'Msg': '3 ASC(s)'}],
    'DEVS': [
        {'ASC': 0, 'Slot': 0, 'Enabled': 'Y', 'Status': 'Alive', 'Temperature': 72.5, 'Chip Frequency': 590,
         'MHS av': 33000000.0, 'MHS 5s': 32000000.0, 'MHS 1m': 33100000.0, 'MHS 15m': 33200000.0,
         'HS RT': 33050000.0, 'Factory GHS': 34000, 'Upfreq Complete': 1, 'Effective Chips': 111,
         'PCB SN': 'PCBSN000001', 'Chip Data': 'K88Z', 'Chip Temp Min': 65.0, 'Chip Temp Max': 80.0,
         'Chip Temp Avg': 73.0},
        {'ASC': '1', 'Temperature': 'nan', 'Chip Frequency': '590', 'MHS av': '0', 'Effective Chips': '0'},
    ],
}


def test_normalize_devs():
    boards = normalize_devs(DEVS)
    b = boards[0]
    assert b['slot'] == 0 and b['temperature'] == 72.5 and b['chip_frequency'] == 590
    assert b['hashrate_ths'] == pytest.approx(33.0) and b['factory_ths'] == pytest.approx(34.0)
    assert b['effective_chips'] == 111 and b['pcb_sn'] == 'PCBSN000001' and b['upfreq_complete'] is True
    assert b['chip_temp_max'] == 80.0 and b['enabled'] is True and b['hashrate_rt_ths'] == pytest.approx(33.05)
    c = boards[1]
    assert c['slot'] == 1 and c['temperature'] is None and c['hashrate_ths'] == 0 and c['effective_chips'] == 0


def test_normalize_devs_edevs_name():
    assert normalize_devs({'DEVS': {'Slot': 2}})[0]['slot'] == 2


def test_normalize_devdetails():
    reply = {'STATUS': [{'STATUS': 'S'}], 'DEVDETAILS': [
        {'DEVDETAILS': 0, 'Name': 'SM', 'ID': 0, 'Driver': 'bitmicro', 'Kernel': '', 'Model': 'M30S+.VE40'}]}
    assert normalize_devdetails(reply) == [
        {'index': 0, 'name': 'SM', 'id': 0, 'driver': 'bitmicro', 'kernel': '', 'model': 'M30S+.VE40'}]


def test_normalize_psu_vender_and_units():
    reply = parse_reply(b'{"STATUS":"S","When":1,"Code":131,"Msg":{"name":"P222B","hw_version":"V01.00",'
                        b'"sw_version":"V01.00.V01.03","model":"P222B","iin":"8687","vin":"22600","pin":"3258",'
                        b'"fan_speed":"6960","version":"V01.00","serial_no":"0123","vender":"2"'
                        b'"temp0":"41.0"},"Description":""}')
    psu = normalize_psu(reply)
    assert psu == {'name': 'P222B', 'hw_version': 'V01.00', 'sw_version': 'V01.00.V01.03', 'model': 'P222B',
                   'iin': 8687, 'vin': 226.0, 'pin': 3258, 'fan_speed': 6960, 'version': 'V01.00',
                   'serial_no': '0123', 'vendor': '2', 'temp0': 41.0}


def test_normalize_psu_vendor_spelling():
    assert normalize_psu({'Msg': {'vendor': 'X', 'vin': 23000}})['vendor'] == 'X'
    assert normalize_psu({'Msg': {'vin': 23000}})['vin'] == 230.0


@pytest.mark.parametrize('api_ver,version,major', [
    ('whatsminer v1.4.0', '1.4.0', 1), ('2.0.5', '2.0.5', 2), ('WhatsMiner V2.0.3', '2.0.3', 2)])
def test_normalize_version(api_ver, version, major):
    reply = {'STATUS': 'S', 'Msg': {'api_ver': api_ver, 'fw_ver': '20230911.12.Rel', 'platform': 'H6OS',
                                    'chip': 'K88Z', 'miner_type': 'M50S++_VK30'}}
    v = normalize_version(reply)
    assert v == {'api_version': version, 'api_major': major, 'fw_ver': '20230911.12.Rel', 'platform': 'H6OS',
                 'chip': 'K88Z', 'miner_type': 'M50S++_VK30', 'model': 'M50S++'}


def test_normalize_version_from_description():
    v = normalize_version({'STATUS': 'S', 'Msg': {'fw_ver': "'20210322.22.REL'"}, 'Description': 'whatsminer v1.4.0'})
    assert v['api_version'] == '1.4.0' and v['api_major'] == 1 and v['fw_ver'] == '20210322.22.REL'
    assert v['model'] is None


def test_normalize_status_v1():
    reply = parse_reply(b'{"STATUS":"S","When":1,"Code":131,"Msg":{"btmineroff":"false",'
                        b'"Firmware Version":"\'20210322.22.REL\'"},"Description":"whatsminer v1.4.0"}')
    assert normalize_status(reply) == {
        'mining': True, 'mineroff_reason': None, 'mineroff_time': None, 'firmware_version': '20210322.22.REL',
        'power_mode': None, 'power_limit': None, 'target_freq_percent': None, 'power_percent': None, 'fast_hash': None}


def test_normalize_status_v2():
    reply = {'STATUS': 'S', 'Code': 131, 'Msg': {
        'mineroff': 'true', 'mineroff_reason': 'power_off cmd', 'mineroff_time': '2024-01-01 00:00:00',
        'FirmwareVersion': "'20230911.12.Rel'", 'power_mode': 'High', 'power_limit_set': '3600', 'hash_percent': '-10'}}
    assert normalize_status(reply) == {
        'mining': False, 'mineroff_reason': 'power_off cmd', 'mineroff_time': '2024-01-01 00:00:00',
        'firmware_version': '20230911.12.Rel', 'power_mode': 'high', 'power_limit': 3600, 'target_freq_percent': -10,
        'power_percent': None, 'fast_hash': None}


def test_normalize_status_unknown_mining():
    assert normalize_status({'Msg': {}})['mining'] is None


def test_normalize_miner_info():
    reply = {'STATUS': 'S', 'Msg': {'ip': '192.168.1.10', 'proto': 'static', 'netmask': '255.255.255.0',
                                    'gateway': '192.168.1.1', 'dns': '1.1.1.1 8.8.8.8', 'hostname': 'WhatsMiner',
                                    'mac': 'C4:11:04:01:02:03', 'ledstat': 'auto', 'minersn': 'MSN1', 'powersn': 'PSN1'}}
    assert normalize_miner_info(reply) == {
        'ip': '192.168.1.10', 'proto': 'static', 'netmask': '255.255.255.0', 'gateway': '192.168.1.1',
        'dns': ['1.1.1.1', '8.8.8.8'], 'hostname': 'WhatsMiner', 'mac': 'C4:11:04:01:02:03', 'led_state': 'auto',
        'miner_sn': 'MSN1', 'psu_sn': 'PSN1', 'upfreq_speed': None}


def test_normalize_miner_info_dns_forms():
    assert normalize_miner_info({'Msg': {'dns': '1.1.1.1,8.8.8.8'}})['dns'] == ['1.1.1.1', '8.8.8.8']
    assert normalize_miner_info({'Msg': {'dns': ['1.1.1.1']}})['dns'] == ['1.1.1.1']
    assert normalize_miner_info({'Msg': {}})['dns'] is None


# --------------------------------------------------------------------------- error codes

def test_table_copy_matches_shared_json():
    import os
    path = '/work/shared/data/whatsminer_error_codes.json'
    if not os.path.exists(path):
        pytest.skip('shared data not present')
    with open(path) as handle:
        data = json.load(handle)
    assert ERROR_CODE_TABLE == data['table'] and SOURCE == data['source'] and DECODE_RULE == data['decode_rule']
    assert load_error_code_table() is ERROR_CODE_TABLE
    assert 'pyasic' in SOURCE and 'Apache' in SOURCE


@pytest.mark.parametrize('code,text', [
    (110, 'Intake fan speed error.'),
    (111, 'Exhaust fan speed error.'),
    (329, 'Control board temperature sensor communication error.'),
    (320, 'Slot 0 temperature reading error.'),
    (322, 'Slot 2 temperature reading error.'),
    (2010, 'All pools are disabled.'),
    (2021, 'Pool 1 connection failed.'),
    (532, 'Slot 2 not found.'),
    (5302, 'Slot 0 chip 2 too few nonce.'),
    (520123, 'Slot 0 chip 123 error nonce.'),
    (532045, 'Slot 2 chip 45 too few nonce.'),
    (5030, 'Slot 0 chip temperature difference is too large.'),
    (8521, 'Power consumption substandard L2.'),
    (100001, '/antiv/signature illegal.'),
    (110001, 'Security virus 0001 is removed, please upgrade firmware.'),
    (9999, 'Miner unknown error.'),
    (12345, 'unknown'),
    (777, 'unknown'),
    ('abc', 'unknown'),
    (5, 'unknown'),
])
def test_describe_error_code(code, text):
    assert describe_error_code(code) == text


EXPECTED_329 = {'code': 329, 'time': '2022-01-17 11:28:11', 'type': 3, 'subtype': 2, 'value': 9,
                'component': 'temperature sensor',
                'description': 'Control board temperature sensor communication error.'}


@pytest.mark.parametrize('field', [
    [{'329': '2022-01-17 11:28:11'}],
    {'329': '2022-01-17 11:28:11'},
    '["329":"2022-01-17 11:28:11"]',
    {'STATUS': 'S', 'Msg': {'error_code': [{'329': '2022-01-17 11:28:11'}]}},
    parse_reply(b'{"STATUS":"S","Msg":{"error_code":["329":"2022-01-17 11:28:11"]}}'),
    {'error_code': {'329': '2022-01-17 11:28:11'}},
    [['329', '2022-01-17 11:28:11']],
])
def test_decode_error_codes_forms(field):
    assert decode_error_codes(field) == [EXPECTED_329]


def test_decode_error_codes_many_and_unknown():
    decoded = decode_error_codes([{'110': 't1'}, {'5204': 't2'}, {'42424': 't3'}, {'X1': 't4'}])
    assert [d['code'] for d in decoded] == [110, 5204, 42424, 'X1']
    assert decoded[0]['component'] == 'fan'
    assert decoded[1]['description'] == 'Slot 0 chip 4 error nonce.' and decoded[1]['component'] == 'chip'
    assert decoded[2]['description'] == 'unknown'
    assert decoded[3]['description'] == 'unknown' and decoded[3]['component'] == 'unknown'


def test_decode_error_codes_empty():
    assert decode_error_codes(None) == []
    assert decode_error_codes([]) == []
    assert decode_error_codes({}) == []
    assert decode_error_codes('') == []


def test_decode_error_codes_custom_table():
    assert decode_error_codes({'110': 't'}, {'1': {'1': {'0': 'custom'}}})[0]['description'] == 'custom'


def test_no_math_nan_in_normalised_output():
    reply = {'SUMMARY': [{'Power': float('nan'), 'MHS av': float('inf')}]}
    s = normalize_summary(reply)
    assert s['power'] is None and s['hashrate_ths'] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in s.values())


def test_module_has_no_hidden_state():
    # parse_reply is a pure function: same input, same output
    raw = b'{"a":[1,2,],}'
    assert replies.parse_reply(raw) == replies.parse_reply(raw)


def test_normalisers_accept_cgminer_joined_reply():
    joined = {
        'summary': [{'STATUS': [{'STATUS': 'S', 'Msg': 'Summary'}], 'SUMMARY': [{'Elapsed': 7, 'MHS av': 2e6}], 'id': 1}],
        'pools': [{'STATUS': [{'STATUS': 'S'}], 'POOLS': [{'POOL': 1, 'URL': 'stratum+tcp://a:1', 'User': 'u'}], 'id': 1}],
        'id': 1,
    }
    assert normalize_summary(joined)['elapsed'] == 7 and normalize_summary(joined)['hashrate_ths'] == 2.0
    assert normalize_pools(joined)[0]['url'] == 'stratum+tcp://a:1'
    assert normalize_devs(joined) == []


@pytest.mark.parametrize('text', [':-', '"-"', '"329 330"', '[":"]'])
def test_decode_error_codes_odd_strings(text):
    reply = parse_reply(('{"Msg":{"error_code":%s}}' % text).encode())
    decoded = decode_error_codes(reply)
    assert isinstance(decoded, list)
    decode_error_codes(text)


def test_the_2025_envelope_around_cgminer_reads():
    """API 2.0.5+ firmware: {"STATUS": "S", "Code": 131, "Msg": [rows]}, the summary row itself for summary."""
    from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import normalize_devs
    ok = {'STATUS': 'S', 'When': 1, 'Code': 131, 'Description': ''}
    pools = normalize_pools(dict(ok, Msg=[{'POOL': 1, 'URL': 'stratum+tcp://a:1', 'User': 'w', 'Priority': 0, 'Status': 'Alive'}]))
    assert [(p['url'], p['user']) for p in pools] == [('stratum+tcp://a:1', 'w')]
    assert normalize_summary(dict(ok, Msg={'MHS av': 100e6, 'Power': 3300}))['hashrate_ths'] == 100.0
    assert len(normalize_devs(dict(ok, Msg=[{'Slot': 0, 'MHS av': 1e6}, {'Slot': 1, 'MHS av': 1e6}]))) == 2
    assert normalize_pools(dict(ok, Msg=[])) == []
    joined = {'summary': [dict(ok, Msg={'MHS av': 100e6})], 'pools': [dict(ok, Msg=[{'URL': 'stratum+tcp://b:2', 'User': 'u'}])], 'id': 1}
    assert normalize_summary(joined)['hashrate_ths'] == 100.0 and normalize_pools(joined)[0]['url'] == 'stratum+tcp://b:2'


def test_settings_some_firmware_reports_although_v22_calls_them_write_only():
    """MicroBT's worker and Tether's read upfreq speed (get_miner_info, "ut_speed" in the manual's sample) and
    the power percent and fast hash (status) on the firmware that reports them."""
    assert normalize_miner_info({'Msg': {'ut_speed': '3'}})['upfreq_speed'] == 3
    status = normalize_status({'Msg': {'mineroff': 'false', 'power_pct': '80', 'fast_hash': 'true'}})
    assert status['power_percent'] == 80 and status['fast_hash'] is True
