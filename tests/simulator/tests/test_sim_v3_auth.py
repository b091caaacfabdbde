# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API V3 authentication: the reference_protocol.rst V3 §3 vectors, salt, tokens, accounts, permissions, codes."""

import hashlib
import json
import time

from simclient import http, wait_port
from simclient_v3 import V3Client, digest, encrypt_param, token
from whatsminer_sim import crypto

SALT = '5QAHiKMb'
TS = 1692685512
T3_PLAIN = '[{"pool":"stratum+tcp://pool:3333","worker":"worker","passwd":"x"}]'
T3_PKCS7 = 'M7c6KBuUVIiP+BnrFxPBexRUr3Zw94Ng42eBDFq02W9o7MSxcGd0EcmSwVx72paF9s8xliqcLqi00gxEFa8AzpW/A3R+69wXNkHPuGtqhA4='
T3_ZERO = 'M7c6KBuUVIiP+BnrFxPBexRUr3Zw94Ng42eBDFq02W9o7MSxcGd0EcmSwVx72paF9s8xliqcLqi00gxEFa8AzppK+S3eVv7uFsT2v6SS/5k='
T3_SPACED = 'jbAT2on1f02Fj1gIAAS6DC9GmyJQI+5CdldDO7B+qe5gI5v11cV87dUphKDvCNBXtXhmluMfGVa8yy/g4B2szLUwgQwETvQHTd0A58ln8LA='
T4_PLAIN = '{"account":"user1","new":"N3w_pass","old":"user1"}'
T4_PKCS7 = 'Fq2rlgffpoYMQbqXWFu7DLPyTxFuhTOrg+2Oj1yqAnJVWrVHV497obBHjt4Oq8mywep8Bjh7GyGnHWnNBJiD4Q=='


def test_token_vectors_t1_t2():
    dig = crypto.v3_digest('set.miner.pools', 'super', SALT, TS)
    assert dig.hex() == 'b7957365d05ec273e788a1034d1a4b0df51b295a3da79d14f46b2bf7b56e4ab3'
    assert crypto.v3_token('set.miner.pools', 'super', SALT, TS) == 't5VzZdBe'
    assert crypto.v3_token('set.miner.power_limit', 'super', SALT, TS) == '2D/i/yNJ'
    assert crypto.v3_token('set.user.change_passwd', 'super', SALT, TS) == 'C0ALb+1a'
    doc = crypto.v3_digest('set.miner.pools', 'abcdefg', 'QbVy1Ou3', TS)
    assert crypto.v3_token('set.miner.pools', 'abcdefg', 'QbVy1Ou3', TS) == 'c6jPiY5n' and doc.hex().startswith('73a8cf89')
    assert doc.hex().endswith('9d06')
    # the test client's own implementation agrees
    assert token('set.miner.pools', 'super', SALT, TS) == 't5VzZdBe'


def test_param_vectors_t3_t4():
    key = crypto.v3_digest('set.miner.pools', 'super', SALT, TS)
    assert crypto.v3_encrypt_param(key, T3_PLAIN) == T3_PKCS7
    assert crypto.v3_encrypt_param(key, T3_PLAIN, padding='zero') == T3_ZERO
    assert encrypt_param(key, T3_PLAIN) == T3_PKCS7 and encrypt_param(key, T3_PLAIN, 'zero') == T3_ZERO
    for text in (T3_PKCS7, T3_ZERO):
        assert crypto.v3_decrypt_param(key, text) == T3_PLAIN
    assert json.loads(crypto.v3_decrypt_param(key, T3_SPACED)) == json.loads(T3_PLAIN)
    key4 = crypto.v3_digest('set.user.change_passwd', 'super', SALT, TS)
    assert crypto.v3_encrypt_param(key4, T4_PLAIN) == T4_PKCS7
    assert crypto.v3_decrypt_param(key4, T4_PKCS7) == T4_PLAIN
    assert hashlib.sha256(b'x').digest() != key4


def test_t3_and_doc_vector_requests_end_to_end(v3sim, v3):
    miner = v3sim.miner(0)
    # T3's exact request (password super = the factory default): refused for the default password
    v3sim.call(setattr, miner, 'v3_salt', SALT)
    v3sim.call(miner.patch_settings, {'v3_passwords': {'super': 'super'}})
    t3 = {'cmd': 'set.miner.pools', 'ts': TS, 'token': 't5VzZdBe', 'account': 'super', 'param': T3_PKCS7}
    reply = v3.request(t3)
    assert reply['code'] == -4 and 'default password' in reply['msg']
    # the doc's inputs (password abcdefg, salt QbVy1Ou3): token c6jPiY5n, zero padding, old ts accepted
    v3sim.call(setattr, miner, 'v3_salt', 'QbVy1Ou3')
    v3sim.call(miner.patch_settings, {'v3_passwords': {'super': 'abcdefg'}})
    key = digest('set.miner.pools', 'abcdefg', 'QbVy1Ou3', TS)
    req = {'cmd': 'set.miner.pools', 'ts': TS, 'token': 'c6jPiY5n', 'account': 'super', 'param': encrypt_param(key, T3_PLAIN, 'zero')}
    assert v3.request(req) == {'code': 0, 'when': v3.request(req)['when'], 'msg': 'ok', 'desc': 'set.miner.pools'}
    assert miner.settings['pools'][0] == {'url': 'stratum+tcp://pool:3333', 'user': 'worker', 'password': 'x'}


def test_salt_stable_per_boot_new_after_reboot(v3sim, v3):
    salt = v3.get_salt()
    assert len(salt) == 8 and salt.isalnum()
    assert v3.read('get.device.info')['msg']['salt'] == salt
    assert v3.get_salt() == salt
    assert v3.write('set.system.reboot')['code'] == 0
    miner = v3sim.miner(0)
    assert wait_port(miner.host, miner.v3_port, up=False) and wait_port(miner.host, miner.v3_port, up=True)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as again:
        assert again.get_salt() != salt
        # a write with the old salt fails; the fresh salt works
        assert again.write('set.miner.fast_hash', 1, tok=token('set.miner.fast_hash', 'pw1', salt, 5))['code'] == -4
        assert again.write('set.miner.fast_hash', 1)['code'] == 0


def test_token_checks(v3sim, v3):
    v3.get_salt()
    assert v3.write('set.miner.fast_hash', 1, tok='AAAAAAAA')['code'] == -4
    assert v3.write('set.miner.fast_hash', 1, password='wrong')['code'] == -4
    # the token binds cmd and ts
    good = v3.write_request('set.miner.fast_hash', 1)
    good['ts'] += 1
    assert v3.request(good)['code'] == -4
    other = v3.write_request('set.miner.fast_hash', 1)
    other['cmd'] = 'set.miner.fast_hash'
    assert v3.request(other)['code'] == 0
    # any ts is fine by default (no freshness window), a ts sent as digits too
    assert v3.write('set.miner.fast_hash', 0, ts=419304089)['code'] == 0
    req = v3.write_request('set.miner.fast_hash', 1)
    req['ts'] = str(req['ts'])
    assert v3.request(req)['code'] == 0
    # missing token, ts or account; unknown or deprecated account
    for drop in ('token', 'ts', 'account'):
        req = v3.write_request('set.miner.fast_hash', 1)
        del req[drop]
        assert v3.request(req)['code'] == -4, drop
    for account in ('admin', 'root', None):
        req = v3.write_request('set.miner.fast_hash', 1)
        req['account'] = account
        assert v3.request(req)['code'] == -4
    assert v3sim.miner(0).settings['fast_hash'] is True


def test_bad_token_code_and_ts_window(make_sim):
    sim = make_sim(models=('M60',), api='v3', v3_password='pw1', v3_bad_token_code=-1, v3_ts_window=60)
    miner = sim.miner(0)
    with V3Client(miner.host, miner.v3_port, 'super', 'pw1') as client:
        assert client.write('set.miner.fast_hash', 1, tok='AAAAAAAA')['code'] == -1
        assert client.write('set.miner.fast_hash', 1, ts=int(time.time()) - 600)['code'] == -4
        assert client.write('set.miner.fast_hash', 1)['code'] == 0


def test_write_switch_off_and_default_password(make_sim):
    sim = make_sim(models=('M50',), api='v3', write_api=False)  # factory: super/super, switch off
    miner = sim.miner(0)
    with V3Client(miner.host, miner.v3_port, 'super', 'super') as client:
        info = client.read('get.device.info', 'system')['msg']['system']
        assert info['apiswitch'] == '0'
        reply = client.write('set.miner.power_mode', 'low')
        assert reply['code'] == -4 and 'switch' in reply['msg'] and reply['desc'] == 'set.miner.power_mode'
        # reads stay open
        assert client.read('get.miner.setting')['code'] == 0
        http(sim.url + '/miners/sim-0001/state', 'PATCH', {'write_api': True})
        assert client.read('get.device.info', 'system')['msg']['system']['apiswitch'] == '1'
        reply = client.write('set.miner.power_mode', 'low')
        assert reply['code'] == -4 and 'default password' in reply['msg']
        # change_passwd works with the default password (the only way out), then writes work
        reply = client.write('set.user.change_passwd', {'account': 'super', 'old': 'super', 'new': 'S3cret'}, encrypt=True)
        assert reply == {'code': 0, 'when': reply['when'], 'msg': 'ok', 'desc': 'set.user.change_passwd'}
        assert client.write('set.miner.power_mode', 'low')['code'] == -4
        client.password = 'S3cret'
        assert client.write('set.miner.power_mode', 'low')['code'] == 0
        # the write_api_off fault is the same switch
        http(sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'write_api_off'})
        assert client.write('set.miner.power_mode', 'high')['code'] == -4
        assert client.read('get.device.info', 'system')['msg']['system']['apiswitch'] == '0'
    assert miner.settings['power_mode'] == 'Low' and miner.settings['v3_passwords']['super'] == 'S3cret'


def test_change_passwd_rules(v3sim, v3):
    enc = {'encrypt': True}
    assert v3.write('set.user.change_passwd', {'account': 'super', 'old': 'nope', 'new': 'x2'}, **enc)['code'] == -1
    assert v3.write('set.user.change_passwd', {'account': 'super', 'old': 'pw1', 'new': 'has space'}, **enc)['code'] == -1
    assert v3.write('set.user.change_passwd', {'account': 'admin', 'old': 'pw1', 'new': 'x2'}, **enc)['code'] == -2
    assert v3.write('set.user.change_passwd', {'account': 'super', 'new': 'x2'}, **enc)['code'] == -3
    # not encrypted: refused
    assert v3.write('set.user.change_passwd', {'account': 'super', 'old': 'pw1', 'new': 'x2'})['code'] == -1
    assert v3.write('set.user.change_passwd', 'bm90IGVuY3J5cHRlZA==')['code'] == -1
    # zero padding and the demo's double JSON encoding are accepted
    inner = json.dumps({'account': 'user1', 'old': 'user1', 'new': 'u1pass'})
    assert v3.write('set.user.change_passwd', json.dumps(inner), encrypt=True, padding='zero')['code'] == 0
    assert v3sim.miner(0).settings['v3_passwords']['user1'] == 'u1pass'


def test_user_permissions(v3sim, v3):
    miner = v3sim.miner(0)
    assert v3.write('set.user.change_passwd', {'account': 'user2', 'old': 'user2', 'new': 'u2pass'}, encrypt=True)['code'] == 0
    with V3Client(miner.host, miner.v3_port, 'user2', 'u2pass') as user:
        assert user.read('get.miner.setting')['code'] == 0
        assert user.write('set.miner.fast_hash', 1)['code'] == -4
        assert user.write('set.user.permission', {'user': 'user2', 'permission': 'set.miner.fast_hash'})['code'] == -4
        perm = {'user': 'user2', 'permission': 'set.miner.fast_hash,set.user.change_passwd'}
        assert v3.write('set.user.permission', perm)['code'] == 0
        assert 'user2=2' in v3.read('get.device.info', 'miner')['msg']['miner']['permission']
        assert user.write('set.miner.fast_hash', 1)['code'] == 0
        assert user.write('set.miner.fast_hash', 2)['code'] == -1
        assert user.write('set.miner.power_mode', 'low')['code'] == -4
        # a user changes its own password, never another account's
        other = {'account': 'user3', 'old': 'user3', 'new': 'u3pass'}
        assert user.write('set.user.change_passwd', other, encrypt=True)['code'] == -4
        own = {'account': 'user2', 'old': 'u2pass', 'new': 'u2new'}
        assert user.write('set.user.change_passwd', own, encrypt=True)['code'] == 0
        user.password = 'u2new'
        assert user.write('set.miner.fast_hash', 0)['code'] == 0
    # a user whose password is still the factory one cannot write even with the right
    assert v3.write('set.user.permission', {'user': 'user3', 'permission': 'set.miner.fast_hash'})['code'] == 0
    with V3Client(miner.host, miner.v3_port, 'user3', 'user3') as user3:
        assert user3.write('set.miner.fast_hash', 1)['code'] == -4
    assert v3.write('set.user.permission', {'user': 'user1', 'permission': 'set.no.such'})['code'] == -2
    assert v3.write('set.user.permission', {'user': 'super', 'permission': ''})['code'] == -2
    assert v3.write('set.user.permission', {'user': 'user1'})['code'] == -3
    assert miner.settings['v3_permissions']['user2'] == ['set.miner.fast_hash', 'set.user.change_passwd']


def test_wrong_password_and_stale_token_faults(v3sim, v3):
    http(v3sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'stale_token', 'count': 1})
    assert v3.write('set.miner.fast_hash', 1)['code'] == -4
    assert v3.write('set.miner.fast_hash', 1)['code'] == 0
    http(v3sim.url + '/miners/sim-0001/faults', 'POST', {'kind': 'wrong_password'})
    assert v3.write('set.miner.fast_hash', 0)['code'] == -4
