# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import json
import pickle
import shutil
import subprocess

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import crypto
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import MissingLibrary, ProtocolError

# reference_protocol.rst V2.2 §2 test vectors.
PASSWORD = 'admin'
SALT = 'BQ5hoXV9'
KEY = 'RxmaDUO33TS7O26yeMHZ81'
TIME4 = '5626'
NEWSALT = 'jbzkfQls'
SIGN = 'w.BNbkCV6n1aNWgiBWLzT/'
AESKEY_HEX = '199e0a202039bb7b558db7a54697dca29cb278055b7e659a127fb844d5a2fbf6'
PLAINTEXT = '{"cmd":"set_led","param":"auto","token":"w.BNbkCV6n1aNWgiBWLzT/"}'
CIPHERTEXT = 'DFR4+qIkIuv2gyaXIWvTL2Tw2dKfz3qcBM5l5ZHU7xWuEsE3iC/TAvZarksns0iDIVhM215unMMY5HLvDIoi/AB6Zauc2Kb1KH/JtuCvOBg='


def test_vector_key():
    assert crypto.derive_key(PASSWORD, SALT) == KEY


def test_vector_sign():
    assert crypto.make_sign(KEY, TIME4, NEWSALT) == SIGN


def test_sign_uses_only_last_four_characters_of_time():
    assert crypto.make_sign(KEY, '1700005626', NEWSALT) == SIGN


def test_vector_aeskey():
    assert crypto.aes_key(KEY).hex() == AESKEY_HEX
    assert len(crypto.aes_key(KEY)) == 32


def test_vector_ciphertext():
    assert crypto.encrypt(bytes.fromhex(AESKEY_HEX), PLAINTEXT.encode()) == CIPHERTEXT


def test_ciphertext_is_one_line_base64():
    out = crypto.encrypt(bytes.fromhex(AESKEY_HEX), ('x' * 500).encode())
    assert '\n' not in out and len(base64.b64decode(out)) == 512


def test_zero_padding_only_when_needed():
    aeskey = bytes.fromhex(AESKEY_HEX)
    assert len(base64.b64decode(crypto.encrypt(aeskey, b'a' * 16))) == 16
    assert len(base64.b64decode(crypto.encrypt(aeskey, b'a' * 17))) == 32


def test_decrypt_vector_cuts_at_nul():
    assert crypto.decrypt(bytes.fromhex(AESKEY_HEX), CIPHERTEXT) == PLAINTEXT.encode()


def test_decrypt_tolerates_pkcs7_padding():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    aeskey = bytes.fromhex(AESKEY_HEX)
    text = b'{"a":1}'
    pad = 16 - len(text) % 16
    enc = Cipher(algorithms.AES(aeskey), modes.ECB()).encryptor()
    blob = base64.b64encode(enc.update(text + bytes([pad]) * pad) + enc.finalize())
    assert crypto.decrypt(aeskey, blob) == text


@pytest.mark.parametrize('bad', ['not base64!!', 'QUJD', ''])
def test_decrypt_rejects_garbage(bad):
    with pytest.raises(ProtocolError):
        crypto.decrypt(bytes.fromhex(AESKEY_HEX), bad)


def test_round_trip_unicode():
    aeskey = crypto.aes_key(KEY)
    text = json.dumps({'msg': 'h\u00e9llo \u4e16\u754c'}, ensure_ascii=False).encode()
    assert crypto.decrypt(aeskey, crypto.encrypt(aeskey, text)) == text


def test_salt_with_dot():
    key = crypto.derive_key('admin', 'ab.cd/Ef')
    assert len(key) == 22 and '$' not in key


@pytest.mark.skipif(shutil.which('openssl') is None, reason='openssl not installed')
@pytest.mark.parametrize('password,salt', [('admin', 'BQ5hoXV9'), ('s3cret_1', 'ab.cd/Ef'), ('x', 'Zz')])
def test_cross_check_openssl(password, salt):
    try:
        out = subprocess.run(['openssl', 'passwd', '-1', '-salt', salt, password], check=True,
                             capture_output=True, text=True, timeout=30).stdout.strip()
    except subprocess.CalledProcessError:
        pytest.skip('openssl passwd -1 not supported')
    assert crypto.derive_key(password, salt) == out.split('$')[3]


def test_token_credentials_from_reply_and_repr_hides_secrets():
    creds = crypto.TokenCredentials.from_token_reply(PASSWORD, {'time': TIME4, 'salt': SALT, 'newsalt': NEWSALT})
    assert creds.key == KEY and creds.sign == SIGN and creds.aeskey.hex() == AESKEY_HEX
    for text in (repr(creds), str(creds)):
        for secret in (PASSWORD, KEY, SIGN, AESKEY_HEX, repr(creds.aeskey)):
            assert secret not in text
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    assert crypto.Session is crypto.TokenCredentials


def test_encrypt_command_matches_vector():
    creds = crypto.TokenCredentials.from_token_reply(PASSWORD, {'time': TIME4, 'salt': SALT, 'newsalt': NEWSALT})
    wire = creds.encrypt_command({'cmd': 'set_led', 'param': 'auto'})
    assert json.loads(wire) == {'enc': 1, 'data': CIPHERTEXT}


@pytest.mark.parametrize('msg', [None, 'x', {'time': '1'}, {'salt': 'a', 'newsalt': 'b'}])
def test_token_reply_missing_fields(msg):
    with pytest.raises(ProtocolError):
        crypto.TokenCredentials.from_token_reply(PASSWORD, msg)


def test_bad_salt_is_protocol_error_without_password():
    with pytest.raises(ProtocolError) as info:
        crypto.derive_key('topsecret', 'bad salt!$')
    assert 'topsecret' not in str(info.value)


def test_a_bad_salt_is_quoted_up_to_sixteen_characters():
    with pytest.raises(ProtocolError) as info:
        crypto.make_sign('key', '1234', 'bad salt! 0123456789abcdef')
    assert "unusable md5-crypt salt ('bad salt! 012345')" in str(info.value)


def test_a_fleet_derives_each_password_and_salt_once(monkeypatch):
    """Miners sharing a password share its salt: the V2.2 key (an md5-crypt) is derived once per process."""
    calls = []
    real = crypto._md5_crypt_hash
    monkeypatch.setattr(crypto, '_md5_crypt_hash', lambda secret, salt: calls.append(salt) or real(secret, salt))
    crypto._derived_key.cache_clear()
    keys = [crypto.derive_key('fleet-pass', salt) for salt in ('BQ5hoXV9', 'BQ5hoXV9', 'Zz', 'BQ5hoXV9')]
    assert calls == ['BQ5hoXV9', 'Zz']
    assert keys[0] == keys[1] == keys[3] != keys[2]


def test_missing_libraries(monkeypatch):
    monkeypatch.setattr(crypto, 'HAS_PASSLIB', False)
    with pytest.raises(MissingLibrary) as info:
        crypto.derive_key(PASSWORD, SALT)
    assert 'pip install passlib' in str(info.value)
    monkeypatch.setattr(crypto, 'HAS_PASSLIB', True)
    monkeypatch.setattr(crypto, 'HAS_CRYPTOGRAPHY', False)
    with pytest.raises(MissingLibrary) as info:
        crypto.encrypt(bytes(32), b'x')
    assert 'pip install cryptography' in str(info.value)
    with pytest.raises(MissingLibrary):
        crypto.require_libraries()


@pytest.mark.parametrize('param', [['abcdefghijkl'], ['abcdefghijklm']])  # 16 and 17 bytes of JSON
def test_v3_parameter_padding_is_pkcs7_with_a_whole_block_for_aligned_text(param):
    """16 bytes of JSON get a whole block of 0x10; 17 bytes get 15 bytes of 0x0f (never zero padding)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    digest = crypto.token_digest('set.miner.pools', 'pw', 'salt', 1700000000)
    plain = json.dumps(param, separators=(',', ':')).encode()
    sealed = base64.b64decode(crypto.encrypt_param(digest, param))
    opened = Cipher(algorithms.AES(digest), modes.ECB()).decryptor().update(sealed)
    pad = 16 - len(plain) % 16
    assert opened == plain + bytes([pad]) * pad
    assert len(sealed) == len(plain) + pad
    assert crypto.decrypt_param(digest, crypto.encrypt_param(digest, param)) == param


def _raw_encrypt(plain):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(bytes.fromhex(AESKEY_HEX)), modes.ECB()).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


@pytest.mark.parametrize('plain, expected', [
    (b'0123456789abcdef' + b'\x10' * 16, b'0123456789abcdef'),  # block-aligned text: a whole block of padding
    (b'{"a":1}' + b'\x09' * 9, b'{"a":1}'),
    (b'0123456789abcde\x01', b'0123456789abcde'),  # one byte of padding
    (b'0123456789abcd\x01\x02', b'0123456789abcd\x01\x02'),  # not PKCS#7: the bytes before the last differ
    (b'0123456789abcde\x11', b'0123456789abcde\x11'),  # 17 is no pad length
    (b'\x00' + b'x' * 15, b''),  # cut at the very first NUL
    (b'\x10' * 16, b''),  # a whole block of padding and nothing else
    (b'0123456789abc\x04\x04\x03', b'0123456789abc\x04\x04\x03'),  # the last byte says 3, the two before it are not 3
])
def test_decrypt_removes_only_real_pkcs7_padding(plain, expected):
    assert crypto.decrypt(bytes.fromhex(AESKEY_HEX), _raw_encrypt(plain)) == expected


def test_decrypt_takes_base64_without_padding_or_with_line_breaks():
    text = _raw_encrypt(b'{"a":1}' + b'\x09' * 9)
    assert text.endswith('==')
    unpadded = text.rstrip('=')
    assert crypto.decrypt(bytes.fromhex(AESKEY_HEX), unpadded) == b'{"a":1}'
    assert crypto.decrypt(bytes.fromhex(AESKEY_HEX), unpadded[:10] + '\n' + unpadded[10:]) == b'{"a":1}'


def test_token_credentials_keep_the_last_four_characters_of_the_time():
    creds = crypto.TokenCredentials.from_token_reply(PASSWORD, {'time': '170000' + TIME4, 'salt': SALT, 'newsalt': NEWSALT})
    assert creds.time4 == TIME4 and creds.sign == SIGN


def test_v3_parameters_are_utf8_json_and_text_that_is_not_json_stays_text():
    digest = b'k' * 32
    blob = crypto.encrypt_param(digest, {'worker': 'caf\u00e9'})
    assert crypto.decrypt(digest, blob) == '{"worker":"caf\u00e9"}'.encode('utf-8')
    assert crypto.decrypt_param(digest, crypto.encrypt_param(digest, '"hello"')) == 'hello'
    assert crypto.decrypt_param(digest, crypto.encrypt_param(digest, '"[1]"')) == [1]


def test_v2_commands_are_ascii_json():
    creds = crypto.TokenCredentials.from_token_reply(PASSWORD, {'time': TIME4, 'salt': SALT, 'newsalt': NEWSALT})
    wire = json.loads(creds.encrypt_command({'cmd': 'set_zone', 'zonename': 'Europe/Z\u00fcrich'}))
    assert b'\\u00fc' in creds.decrypt_reply(wire['data'])


def test_token_credentials_remember_when_they_were_made():
    import time
    assert crypto.TokenCredentials('k', 's', b'a', created=12.5).created == 12.5
    assert abs(crypto.TokenCredentials('k', 's', b'a').created - time.time()) < 5


def test_decrypt_refuses_characters_outside_base64_instead_of_skipping_them():
    good = _raw_encrypt(b'{"a":1}' + b'\x09' * 9)
    with pytest.raises(ProtocolError, match='not valid base64'):
        crypto.decrypt(bytes.fromhex(AESKEY_HEX), '!!!!' + good)


def test_decrypt_restores_a_single_missing_pad_character():
    text = _raw_encrypt(b'x' * 31 + b'\x01')  # 32 bytes: base64 ends with one "="
    assert text.endswith('=') and not text.endswith('==')
    assert crypto.decrypt(bytes.fromhex(AESKEY_HEX), text.rstrip('=')) == b'x' * 31
