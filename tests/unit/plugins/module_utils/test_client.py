# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import json
import os
import struct
import time

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import crypto
from ansible_collections.minerops.whatsminer.plugins.module_utils.client import LogsResult, WhatsMinerClient, command_body, lift_sections
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    ApiError,
    Base64Error,
    CommandFailed,
    InvalidCommand,
    MinerUnreachable,
    MissingLibrary,
    OutcomeUnknown,
    ProtocolError,
    TokenError,
    TokenExhausted,
    WhatsMinerError,
    WriteApiDisabled,
    WrongPassword,
    api_error_for,
)

POOL_SECRET = 'p00l-s3cret'


def make_client(server, log=None, password='S3cr_t9x', timeout=3.0, **kwargs):
    return WhatsMinerClient(server.host, server.port, password=password, timeout=timeout, log=log, **kwargs)


def secrets_of(miner, client=None):
    key = miner.key()
    values = [miner.password, key, hashlib.sha256(key.encode()).hexdigest(), POOL_SECRET]
    values.extend(miner.tokens)  # every sign handed out
    if client is not None and client._session is not None:
        values.append(client._session.aeskey.hex())
    return [v for v in values if v]


def assert_no_secrets(texts, secrets):
    for text in texts:
        for secret in secrets:
            assert secret not in text, 'secret leaked into %r' % text


# --------------------------------------------------------------------------- reads

def test_read_plain(server, h):
    server.add(h.reply(h.envelope(131, {'api_ver': '2.0.5', 'fw_ver': '20230911.12.Rel'})))
    client = make_client(server)
    reply = client.read('get_version')
    assert reply['Msg']['api_ver'] == '2.0.5'
    assert json.loads(server.requests[0]) == {'cmd': 'get_version'}
    assert client.requests_sent == ['get_version']
    assert client.tokens_fetched == 0


def test_read_with_params_as_strings(server, h):
    server.add(h.reply(h.envelope(131, {'ip': '10.0.0.2'})))
    client = make_client(server)
    client.read('get_miner_info', info='ip,mac')
    assert json.loads(server.requests[0]) == {'cmd': 'get_miner_info', 'info': 'ip,mac'}


def test_read_repairs_reply(server, h):
    server.add(h.reply(b'{"STATUS":"S","Code":131,"Msg":{"a":"1",}}\x00'))
    assert make_client(server).read('status')['Msg'] == {'a': '1'}


@pytest.mark.parametrize('reply,exc,code', [
    ({'STATUS': 'E', 'When': 1, 'Code': 14, 'Msg': 'invalid cmd'}, InvalidCommand, 14),
    ({'STATUS': [{'STATUS': 'E', 'Code': 14, 'Msg': 'Invalid command'}]}, InvalidCommand, 14),
    ({'STATUS': 'E', 'When': 1, 'Code': 132, 'Msg': 'err'}, CommandFailed, 132),
    ({'STATUS': 'E', 'When': 1, 'Code': 999, 'Msg': 'strange'}, ApiError, 999),
])
def test_read_errors(server, h, reply, exc, code):
    server.add(h.reply(reply))
    with pytest.raises(exc) as info:
        make_client(server).read('foo')
    assert info.value.code == code and info.value.command == 'foo'
    assert info.value.host == server.host and info.value.port == server.port
    assert '%s:%d' % (server.host, server.port) in str(info.value)


def test_read_garbage_is_protocol_error(server, h):
    server.add(h.reply(b'HTTP/1.0 400 Bad Request\r\n\r\n'))
    with pytest.raises(ProtocolError) as info:
        make_client(server).read('summary')
    assert info.value.host == server.host and 'HTTP/1.0' in str(info.value)


def test_read_unreachable(closed_port):
    client = WhatsMinerClient('127.0.0.1', closed_port, timeout=1)
    with pytest.raises(MinerUnreachable):
        client.read('summary')
    assert client.requests_sent == []  # nothing was sent


def test_read_oversized(server, h):
    server.add(h.reply(b'{"a":"' + b'x' * 3000 + b'"}'))
    with pytest.raises(ProtocolError):
        make_client(server, max_reply_bytes=1000).read('summary')


SUMMARY_ROW = {'Elapsed': 10, 'MHS av': 100000000.0, 'Power Mode': 'Normal'}
POOL_ROW = {'POOL': 1, 'URL': 'stratum+tcp://p:3333', 'User': 'u.w', 'Priority': 0}


@pytest.mark.parametrize('reply', [
    {'STATUS': [{'STATUS': 'S'}], 'SUMMARY': [SUMMARY_ROW], 'POOLS': [POOL_ROW]},
    {'summary': [{'STATUS': [{'STATUS': 'S'}], 'SUMMARY': [SUMMARY_ROW]}],
     'pools': [{'STATUS': [{'STATUS': 'S'}], 'POOLS': [POOL_ROW]}], 'id': 1},
    {'STATUS': 'S', 'Code': 131, 'Msg': {'SUMMARY': [SUMMARY_ROW], 'POOLS': [POOL_ROW]}},
    {'STATUS': 'S', 'Code': 131, 'Msg': SUMMARY_ROW, 'POOLS': [POOL_ROW]},
    {'STATUS': [{'STATUS': 'S'}], 'Msg': [SUMMARY_ROW], 'POOLS': [POOL_ROW]},
])
def test_read_joined_layouts(server, h, reply):
    server.add(h.reply(reply))
    client = make_client(server)
    got = client.read_joined('summary', 'pools')
    assert json.loads(server.requests[0]) == {'cmd': 'summary+pools'}
    assert client.requests_sent == ['summary+pools']
    assert got['SUMMARY'] == [SUMMARY_ROW] and got['POOLS'] == [POOL_ROW]


def test_read_joined_sub_error(server, h):
    server.add(h.reply({'summary': [{'STATUS': [{'STATUS': 'E', 'Code': 14, 'Msg': 'bad'}]}], 'id': 1}))
    with pytest.raises(InvalidCommand):
        make_client(server).read_joined('summary', 'pools')


def test_lift_sections_keeps_original():
    reply = {'STATUS': 'S', 'Msg': {'SUMMARY': [1]}}
    lifted = lift_sections(reply, ('summary',))
    assert lifted['SUMMARY'] == [1] and 'SUMMARY' not in reply


# --------------------------------------------------------------------------- writes

def test_write_token_and_encryption(server, h, miner):
    server.add(miner.get_token(), miner.encrypted(h.envelope(131, 'API command OK')))
    client = make_client(server)
    assert client.writes_sent == 0
    reply = client.write('set_led', param='auto')
    assert reply['Code'] == 131 and reply['Msg'] == 'API command OK'
    assert client.requests_sent == ['get_token', 'set_led'] and client.writes_sent == 1
    request = miner.decrypted[0]
    assert request['cmd'] == 'set_led' and request['param'] == 'auto' and request['token'] in miner.tokens
    assert list(request) == ['cmd', 'param', 'token']
    outer = json.loads(server.requests[1])
    assert set(outer) == {'enc', 'data'} and outer['enc'] == 1 and '\n' not in outer['data']


def test_one_token_per_client(server, h, miner):
    server.add(miner.get_token(), miner.encrypted(), miner.encrypted(), miner.encrypted())
    client = make_client(server)
    for dummy in range(3):
        client.write('enable_web_pools')
    assert client.tokens_fetched == 1
    assert client.requests_sent == ['get_token'] + ['enable_web_pools'] * 3
    assert len(set(r['token'] for r in miner.decrypted)) == 1


def test_param_types(server, h, miner):
    server.add(miner.get_token(), miner.encrypted(), miner.encrypted(), miner.encrypted())
    client = make_client(server)
    client.write('set_led', color='red', period=60, duration=20, start=0)
    client.write('update_pools', pool1='stratum+tcp://a:1', worker1='w', passwd1=POOL_SECRET, pool2=None, percent=5)
    client.write('set_poweroff_cool', poweroff_cool=True, dns=['1.1.1.1', '8.8.8.8'], f=3.0)
    led, pools, cool = miner.decrypted
    assert led == {'cmd': 'set_led', 'color': 'red', 'period': 60, 'duration': 20, 'start': 0, 'token': led['token']}
    assert pools['passwd1'] == POOL_SECRET and pools['percent'] == '5' and 'pool2' not in pools
    assert cool['poweroff_cool'] == '1' and cool['dns'] == '1.1.1.1 8.8.8.8' and cool['f'] == '3'


def test_command_body_rejects_mappings():
    with pytest.raises(TypeError):
        command_body('x', {'a': {'b': 1}})
    with pytest.raises(TypeError):
        command_body('set_led', {'period': True})


def test_token_refused_135_retried_once(server, h, miner):
    def expire_then(handler):
        def wrapped(conn, srv):
            miner.tokens.clear()
            handler(conn, srv)
        return wrapped
    server.add(miner.get_token(), expire_then(miner.encrypted()), miner.get_token(), miner.encrypted())
    client = make_client(server)
    assert client.write('set_led', param='auto')['Code'] == 131
    assert client.requests_sent == ['get_token', 'set_led', 'get_token', 'set_led']
    assert client.tokens_fetched == 2


def test_token_refused_twice_raises_token_error(server, h, miner):
    refuse = h.reply(h.envelope(135, 'check token err'))
    server.add(miner.get_token(), refuse, miner.get_token(), refuse)
    client = make_client(server)
    with pytest.raises(TokenError) as info:
        client.write('set_led', param='auto')
    assert info.value.code == 135
    assert client.requests_sent == ['get_token', 'set_led', 'get_token', 'set_led']
    assert server.connections == 4


def test_token_exhausted_136(server, h):
    server.add(h.reply(h.envelope(136, 'over max connect')))
    client = make_client(server)
    with pytest.raises(TokenExhausted) as info:
        client.write('set_led', param='auto')
    text = str(info.value)
    assert '100' in text and '32 per client IP' in text and '30 minutes' in text and 'fewer writing tasks' in text
    assert client.requests_sent == ['get_token']


def test_wrong_password_23(server, h, miner):
    server.add(miner.get_token(), h.reply(h.envelope(23, 'enc json load err')))
    client = make_client(server)
    with pytest.raises(WrongPassword) as info:
        client.write('set_led', param='auto')
    assert 'wrong admin password or undecryptable request' in str(info.value)
    assert server.connections == 2  # not retried
    assert_no_secrets([str(info.value), repr(info.value), repr(client)], secrets_of(miner, client))


@pytest.mark.parametrize('code, msg, proven', [(14, 'invalid cmd', True), (23, 'enc json load err', False)])
def test_check_credentials_on_firmware_without_get_customer_msg(server, h, miner, code, msg, proven):
    """14 comes only after the miner decrypted the request (the right password); 23 is the wrong one."""
    server.add(miner.get_token(), miner.encrypted(plain_error=h.envelope(code, msg)))
    client = make_client(server)
    if proven:
        client.check_credentials()
    else:
        with pytest.raises(WrongPassword):
            client.check_credentials()
    assert client.requests_sent == ['get_token', 'get_customer_msg']


def test_write_api_disabled_45(server, h, miner):
    server.add(miner.get_token(), miner.encrypted(plain_error=h.envelope(45, "can't access write cmd")))
    with pytest.raises(WriteApiDisabled) as info:
        make_client(server).write('set_led', param='auto')
    text = str(info.value)
    assert 'WhatsMinerTool' in text and 'Miner API' in text and 'default admin password' in text


def test_base64_error_137(server, h, miner):
    server.add(miner.get_token(), h.reply(h.envelope(137, 'base64 decode err')))
    with pytest.raises(Base64Error):
        make_client(server).write('set_led', param='auto')


@pytest.mark.parametrize('restarting', [False, True])
def test_no_reply_is_outcome_unknown_never_resent(server, h, miner, restarting):
    server.add(miner.get_token(), h.close_without_reply)
    client = make_client(server)
    with pytest.raises(OutcomeUnknown) as info:
        client.write('reboot', restarting=restarting)
    assert info.value.command == 'reboot'
    text = str(info.value)
    assert 'may or may not have been applied' in text and 'read the setting back' in text
    assert client.requests_sent == ['get_token', 'reboot']
    time.sleep(0.1)
    assert server.connections == 2


def test_reset_is_outcome_unknown(server, h, miner):
    server.add(miner.get_token(), h.reset_without_reply)
    with pytest.raises(OutcomeUnknown):
        make_client(server).write_restarting('power_off')


def test_read_timeout_after_write_is_outcome_unknown(server, h, miner):
    server.add(miner.get_token(), h.stall(1.0))
    client = make_client(server, timeout=0.3)
    with pytest.raises(OutcomeUnknown) as info:
        client.write('set_target_freq', restarting=True, percent=-10)
    assert 'no reply within' in str(info.value)


def test_garbled_reply_restarting_vs_not(server, h, miner):
    server.add(miner.get_token(), h.reply(b'\x01\x02garbage'), h.reply(b'\x01\x02garbage'))
    client = make_client(server)
    with pytest.raises(OutcomeUnknown):
        client.write('restart_btminer', restarting=True)
    with pytest.raises(ProtocolError):
        client.write('set_led', param='auto')


def test_encrypted_reply_with_enc_key(server, h, miner):
    payload = h.envelope(131, {'CustomerSn': 'SN-1', 'msg0': 'hello'})
    server.add(miner.get_token(), miner.encrypted(payload))
    client = make_client(server)
    assert client.get_customer_msg() == {'CustomerSn': 'SN-1', 'msg0': 'hello'}
    assert client.requests_sent == ['get_token', 'get_customer_msg']


def test_undecryptable_encrypted_reply(server, h, miner):
    server.add(miner.get_token(), h.reply(b'{"enc":"!!!notbase64"}'))
    with pytest.raises(ProtocolError) as info:
        make_client(server).write('set_led', param='auto')
    assert info.value.host == server.host


def test_write_without_password(server):
    client = make_client(server, password=None)
    with pytest.raises(WhatsMinerError) as info:
        client.write('set_led', param='auto')
    assert 'password' in str(info.value)
    assert client.requests_sent == []


def test_missing_library(server, monkeypatch):
    monkeypatch.setattr(crypto, 'HAS_CRYPTOGRAPHY', False)
    with pytest.raises(MissingLibrary) as info:
        make_client(server).write('set_led', param='auto')
    assert 'pip install cryptography' in str(info.value)


def test_invalidate_token_and_set_password(server, h, miner):
    new_miner_password = 'newpw_1'
    server.add(miner.get_token(), miner.encrypted(), miner.get_token(), miner.encrypted())
    client = make_client(server)
    client.write('set_led', param='auto')
    client.invalidate_token()
    client.write('set_led', param='auto')
    assert client.tokens_fetched == 2
    assert not client.has_token or client.tokens_fetched == 2
    client.set_password(new_miner_password)
    assert not client.has_token and client.has_password


def test_change_password(server, h, miner):
    def switch_password(conn, srv):
        miner.encrypted()(conn, srv)
        miner.password = 'n3w_pw'
    server.add(miner.get_token(), switch_password, miner.get_token(), miner.encrypted())
    client = make_client(server)
    client.change_password('n3w_pw')
    assert miner.decrypted[0]['cmd'] == 'update_pwd'
    assert miner.decrypted[0]['old'] == 'S3cr_t9x' and miner.decrypted[0]['new'] == 'n3w_pw'
    client.write('set_led', param='auto')  # decrypts only with the new password's key
    assert client.tokens_fetched == 2
    with pytest.raises(ValueError):
        client.change_password('too-long-password')


def test_secrets_never_in_errors_reprs_logs(server, h, miner):
    lines = []
    server.add(miner.get_token(),
               miner.encrypted(),
               h.reply(h.envelope(132, 'command error')),
               h.close_without_reply,
               h.reply(b'\x00garbage {"token":"x"'))
    client = make_client(server, log=lines.append)
    texts = []
    client.write('update_pools', pool1='stratum+tcp://a:1', worker1='w', passwd1=POOL_SECRET)
    for exc_type in (CommandFailed, OutcomeUnknown, ProtocolError):
        with pytest.raises(exc_type) as info:
            client.write('update_pools', pool1='stratum+tcp://a:1', worker1='w', passwd1=POOL_SECRET)
        texts.extend([str(info.value), repr(info.value), str(info.value.args)])
    texts.extend([repr(client), str(client), repr(client._session), str(client.requests_sent)])
    texts.extend(lines)
    assert lines, 'the log callable got no lines'
    assert_no_secrets(texts, secrets_of(miner, client))
    assert client.requests_sent == ['get_token'] + ['update_pools'] * 4


def test_api_error_for_mapping():
    assert api_error_for(14, 'x').__class__ is InvalidCommand
    assert api_error_for('23', 'x').__class__ is WrongPassword
    assert api_error_for(45, 'x').__class__ is WriteApiDisabled
    assert api_error_for(132, 'x').__class__ is CommandFailed
    assert api_error_for(135, 'x').__class__ is TokenError
    assert api_error_for(136, 'x').__class__ is TokenExhausted
    assert api_error_for(137, 'x').__class__ is Base64Error
    assert api_error_for(None, "can't access write cmd").__class__ is WriteApiDisabled
    err = api_error_for(500, 'boom', 'cmd', 'h', 1)
    assert err.__class__ is ApiError and err.code == 500 and err.api_msg == 'boom' and str(err).startswith('h:1: ')


# --------------------------------------------------------------------------- waits

class FakeClock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


# --------------------------------------------------------------------------- firmware upload

def firmware_miner(miner, encrypted_ready=True, split=False, after=None, cut_after=None, sent_hook=None, flash_seconds=0):
    """update_firmware handler: ready, then <u32 size><bytes>; ``after``: reply sent ``flash_seconds`` after the image."""
    def handler(conn, server):
        raw = conn.read_request()
        server.requests.append(raw)
        request, aeskey = miner.decrypt_request(raw)
        assert request['cmd'] == 'update_firmware' and request['token'] in miner.tokens
        ready = {'STATUS': 'S', 'When': 1, 'Code': 131, 'Msg': 'ready', 'Description': ''}
        data = json.dumps({'enc': miner.encrypt(aeskey, ready)} if encrypted_ready else ready).encode()
        if split:
            for i in range(0, len(data), 7):
                conn.send(data[i:i + 7])
                time.sleep(0.005)
        else:
            conn.send(data)
        if cut_after is not None:
            conn.read_exact(cut_after)
            conn.reset()
            return
        (size,) = struct.unpack('<I', conn.read_exact(4))
        image = conn.read_exact(size)
        server.requests.append(image)
        time.sleep(flash_seconds)
        if after is not None:
            conn.send(json.dumps({'enc': miner.encrypt(aeskey, after)}) if after.get('STATUS') == 'S' else json.dumps(after))
    return handler


IMAGE = bytes(range(256)) * 1000  # 256000 bytes


@pytest.mark.parametrize('encrypted_ready,split', [(True, False), (True, True), (False, False), (False, True)])
def test_upload_firmware(server, h, miner, encrypted_ready, split):
    server.add(miner.get_token(), firmware_miner(miner, encrypted_ready, split, after=h.envelope(131)))
    client = make_client(server)
    result = client.upload_firmware(IMAGE)
    assert result['size'] == len(IMAGE) and result['sha256'] == hashlib.sha256(IMAGE).hexdigest()
    assert result['reply']['Code'] == 131
    assert server.requests[-1] == IMAGE
    assert client.requests_sent == ['get_token', 'update_firmware']


def test_upload_firmware_waits_for_the_final_answer_longer_than_a_read(server, h, miner):
    """The miner checks and writes the image before it answers: that wait is the upload's own bound, not ``timeout``."""
    server.add(miner.get_token(), firmware_miner(miner, after=h.envelope(131), flash_seconds=0.6))
    assert make_client(server, timeout=0.2).upload_firmware(IMAGE)['reply']['Code'] == 131


def test_upload_firmware_final_wait_is_bounded(server, h, miner):
    server.add(miner.get_token(), firmware_miner(miner, after=h.envelope(131), flash_seconds=1.2))
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown):
        make_client(server, timeout=0.2).upload_firmware(IMAGE, timeout=0.5)
    assert time.monotonic() - started < 1.1


def test_upload_firmware_from_path(server, h, miner, tmp_path):
    path = tmp_path / 'fw.bin'
    path.write_bytes(IMAGE)
    server.add(miner.get_token(), firmware_miner(miner, after=h.envelope(131)))
    assert make_client(server).upload_firmware(str(path))['size'] == len(IMAGE)
    assert server.requests[-1] == IMAGE


def test_upload_firmware_closed_without_answer_is_outcome_unknown(server, miner):
    server.add(miner.get_token(), firmware_miner(miner))
    with pytest.raises(OutcomeUnknown) as info:
        make_client(server).upload_firmware(IMAGE)
    assert info.value.command == 'update_firmware'
    assert server.requests[-1] == IMAGE


def test_upload_firmware_connection_lost_midway(server, miner):
    big = b'\x55' * (8 * 1024 * 1024)
    server.add(miner.get_token(), firmware_miner(miner, cut_after=1000))
    with pytest.raises(OutcomeUnknown) as info:
        make_client(server).upload_firmware(big)
    assert 'update_firmware' in str(info.value)


def test_upload_firmware_refused_after_image(server, h, miner):
    server.add(miner.get_token(), firmware_miner(miner, after=h.envelope(132, 'upgrade failed: checksum')))
    with pytest.raises(CommandFailed) as info:
        make_client(server).upload_firmware(IMAGE)
    assert 'checksum' in str(info.value)


def test_upload_firmware_refused_before_ready(server, h, miner):
    server.add(miner.get_token(), miner.encrypted(plain_error=h.envelope(45, "can't access write cmd")))
    with pytest.raises(WriteApiDisabled):
        make_client(server).upload_firmware(IMAGE)


def test_upload_firmware_135_retry(server, h, miner):
    server.add(miner.get_token(), h.reply(h.envelope(135, 'check token err')), miner.get_token(),
               firmware_miner(miner, after=h.envelope(131)))
    client = make_client(server)
    assert client.upload_firmware(IMAGE)['size'] == len(IMAGE)
    assert client.requests_sent == ['get_token', 'update_firmware', 'get_token', 'update_firmware']


def test_upload_firmware_not_ready(server, h, miner):
    server.add(miner.get_token(), miner.encrypted(h.envelope(131, 'busy')))
    with pytest.raises(ProtocolError):
        make_client(server).upload_firmware(IMAGE)


def test_upload_firmware_rejects_empty(server):
    with pytest.raises(ValueError):
        make_client(server).upload_firmware(b'')


# --------------------------------------------------------------------------- logs download

LOGS = os.urandom(200000)


def logs_miner(miner, data=LOGS, encrypted=True, together=True, split=False, declared=None, plain_code=None):
    def handler(conn, server):
        raw = conn.read_request()
        server.requests.append(raw)
        request, aeskey = miner.decrypt_request(raw)
        assert request['cmd'] == 'download_logs'
        if plain_code is not None:
            conn.send(json.dumps({'STATUS': 'E', 'Code': plain_code, 'Msg': 'err'}))
            return
        length = len(data) if declared is None else declared
        header = {'STATUS': 'S', 'When': 1, 'Code': 131, 'Msg': {'logfilelen': str(length)}, 'Description': ''}
        head = json.dumps({'enc': miner.encrypt(aeskey, header)} if encrypted else header).encode()
        if together:
            blob = head + data
            if split:
                for i in range(0, len(blob), 4096):
                    conn.send(blob[i:i + 4096])
            else:
                conn.send(blob)
        else:
            conn.send(head[:10])
            time.sleep(0.01)
            conn.send(head[10:])
            time.sleep(0.01)
            conn.send(data)
    return handler


@pytest.mark.parametrize('encrypted,together,split', [
    (True, True, False), (True, True, True), (True, False, False), (False, True, False), (False, False, False)])
def test_download_logs(server, miner, tmp_path, encrypted, together, split):
    dest = tmp_path / 'logs.tgz'
    server.add(miner.get_token(), logs_miner(miner, encrypted=encrypted, together=together, split=split))
    client = make_client(server)
    result = client.download_logs(str(dest))
    assert isinstance(result, LogsResult) and tuple(result) == (len(LOGS), hashlib.sha256(LOGS).hexdigest())
    assert dest.read_bytes() == LOGS
    assert not os.path.exists(str(dest) + '.part')
    assert client.requests_sent == ['get_token', 'download_logs']


def test_download_logs_empty(server, miner, tmp_path):
    dest = tmp_path / 'logs.tgz'
    server.add(miner.get_token(), logs_miner(miner, data=b''))
    length, digest = make_client(server).download_logs(str(dest))
    assert length == 0 and digest is None and not dest.exists()


def test_download_logs_short(server, miner, tmp_path):
    dest = tmp_path / 'logs.tgz'
    server.add(miner.get_token(), logs_miner(miner, data=LOGS[:1000], declared=5000))
    with pytest.raises(ProtocolError) as info:
        make_client(server).download_logs(str(dest))
    assert '1000 of 5000' in str(info.value)
    assert not dest.exists() and not os.path.exists(str(dest) + '.part')


def test_download_logs_too_big(server, miner, tmp_path):
    server.add(miner.get_token(), logs_miner(miner))
    with pytest.raises(ProtocolError):
        make_client(server).download_logs(str(tmp_path / 'x'), max_bytes=100)


def test_download_logs_error(server, miner, tmp_path):
    server.add(miner.get_token(), logs_miner(miner, plain_code=45))
    with pytest.raises(WriteApiDisabled):
        make_client(server).download_logs(str(tmp_path / 'x'))


def test_a_reply_decrypted_with_a_wrong_key_never_passes_for_a_reply():
    """Under a wrong key the plaintext is noise: over many random keys none decodes as a reply (issue #13)."""
    import hashlib
    from ansible_collections.minerops.whatsminer.plugins.module_utils.client import _decrypted_reply
    from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ProtocolError
    good = crypto.encrypt(hashlib.sha256(b'right').digest(), b'{"STATUS":"S","Code":131,"Msg":{"CustomerSn":"x"}}')
    assert _decrypted_reply(crypto.decrypt(hashlib.sha256(b'right').digest(), good), 'get_customer_msg')['Code'] == 131
    accepted = 0
    for n in range(2000):
        try:
            _decrypted_reply(crypto.decrypt(hashlib.sha256(b'wrong%d' % n).digest(), good), 'get_customer_msg')
            accepted += 1
        except ProtocolError:
            pass
    assert accepted == 0


@pytest.mark.parametrize('platform, expected', [('h6os', b'H6' * 3000), ('CB1', b'CB' * 2000)])
def test_upload_firmware_sends_only_the_miners_package_of_a_combined_image(server, h, miner, tmp_path, platform, expected):
    """Like MicroBT's own worker over API V2: the package named by get_version's platform, not the whole file."""
    from .test_client_v3 import combined_image
    image = combined_image([('h6os', 'H6OS', b'H6' * 3000), ('cb1', 'CB1', b'CB' * 2000)])
    path = tmp_path / 'combined.bin'
    path.write_bytes(image)
    version = h.reply(h.envelope(131, {'api_ver': '2.0.5', 'fw_ver': '20250101.22.REL', 'platform': platform}))
    server.add(version, miner.get_token(), firmware_miner(miner, after=h.envelope(131)))
    result = make_client(server).upload_firmware(str(path))
    assert server.requests[-1] == expected
    assert result['size'] == len(expected) and result['package'] == platform.lower()


def test_upload_firmware_refuses_a_combined_image_without_the_miners_package(server, h, miner):
    from .test_client_v3 import combined_image
    from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import WhatsMinerError
    image = combined_image([('h6os', 'H6OS', b'H6' * 3000)])
    server.add(h.reply(h.envelope(131, {'platform': 'H616'})))
    client = make_client(server)
    with pytest.raises(WhatsMinerError, match='no package for platform h616'):
        client.upload_firmware(image)
    assert client.requests_sent == ['get_version']
