# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crypto test vectors of reference_protocol.rst V2.2 §2, salts, padding, firmware image format."""

import pytest

from whatsminer_sim import crypto, firmware

VECTOR_PLAIN = '{"cmd":"set_led","param":"auto","token":"w.BNbkCV6n1aNWgiBWLzT/"}'
VECTOR_B64 = 'DFR4+qIkIuv2gyaXIWvTL2Tw2dKfz3qcBM5l5ZHU7xWuEsE3iC/TAvZarksns0iDIVhM215unMMY5HLvDIoi/AB6Zauc2Kb1KH/JtuCvOBg='


def test_vectors():
    key = crypto.make_key('admin', 'BQ5hoXV9')
    assert key == 'RxmaDUO33TS7O26yeMHZ81'
    assert crypto.make_sign(key, '5626', 'jbzkfQls') == 'w.BNbkCV6n1aNWgiBWLzT/'
    assert crypto.make_sign(key, '1700005626', 'jbzkfQls') == 'w.BNbkCV6n1aNWgiBWLzT/'  # last four only
    aeskey = crypto.aes_key(key)
    assert aeskey.hex() == '199e0a202039bb7b558db7a54697dca29cb278055b7e659a127fb844d5a2fbf6'
    assert crypto.encrypt(aeskey, VECTOR_PLAIN) == VECTOR_B64
    raw = crypto.decrypt_raw(aeskey, crypto.b64decode_strict(VECTOR_B64))
    assert crypto.unpad(raw).decode() == VECTOR_PLAIN


def test_salts():
    assert crypto.salt_for_password('admin') == 'BQ5hoXV9'
    salt = crypto.salt_for_password('s3cret_1')
    assert salt == crypto.salt_for_password('s3cret_1')
    assert len(salt) == 8 and all(c in crypto.SALT_ALPHABET for c in salt)
    assert salt != crypto.salt_for_password('other')
    assert len({crypto.new_salt() for dummy in range(20)}) == 20


@pytest.mark.parametrize('length', [0, 1, 15, 16, 17, 31, 32])
def test_padding_round_trip(length):
    data = b'{' + b'x' * max(0, length - 2) + b'}' if length >= 2 else b'{}'[:length]
    aeskey = crypto.aes_key('k')
    for mode in ('zero', 'pkcs7'):
        enc = crypto.encrypt(aeskey, data, padding=mode)
        assert crypto.unpad(crypto.decrypt_raw(aeskey, crypto.b64decode_strict(enc))) == data


def test_b64_errors():
    with pytest.raises(ValueError):
        crypto.b64decode_strict('not base64 !!')
    with pytest.raises(ValueError):
        crypto.b64decode_strict(None)
    assert crypto.b64decode_strict('YWJj') == b'abc'
    assert crypto.b64decode_strict('YWI') == b'ab'  # missing padding tolerated


def test_firmware_format():
    image = firmware.build_image('M5X', '20250101.22.REL', model='M50')
    header = firmware.parse_image(image)
    assert header['version'] == '20250101.22.REL' and header['family'] == 'M5X'
    firmware.check_for_model(header, 'M5X')
    with pytest.raises(firmware.FirmwareError) as err:
        firmware.check_for_model(header, 'M3X')
    assert err.value.reason == 'model'
    with pytest.raises(firmware.FirmwareError) as err:
        firmware.parse_image(firmware.build_image('M5X', '20250101.22.REL', corrupt=True))
    assert err.value.reason == 'checksum'
    with pytest.raises(firmware.FirmwareError) as err:
        firmware.parse_image(image[:-100])
    assert err.value.reason == 'truncated'
    with pytest.raises(firmware.FirmwareError) as err:
        firmware.parse_image(b'GARBAGE!' + image[8:])
    assert err.value.reason == 'format'
    with pytest.raises(firmware.FirmwareError):
        firmware.parse_image(image + b'x')
