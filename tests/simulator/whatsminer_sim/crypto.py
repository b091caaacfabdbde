# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cryptography of the V2.2 API (reference_protocol.rst V2.2 §2): md5-crypt keys, signs, AES-256-ECB."""

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib.hash import md5_crypt

# Alphabet of md5-crypt salts (the "./0-9A-Za-z" crypt alphabet).
SALT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

# The salt real miners hand out for the factory password.
FACTORY_PASSWORD = 'admin'
FACTORY_SALT = 'BQ5hoXV9'


# Without a backend on the base class, passlib detects it again for each using() subclass: twice the cost of a hash,
# which a simulator serving thousands of miners pays on every get_token.
md5_crypt.set_backend(md5_crypt.get_backend())


def md5crypt_hash(secret, salt):
    """Return the hash part (after the third ``$``) of ``$1$salt$hash``."""
    full = md5_crypt.using(salt=salt).hash(secret)
    return full.split('$', 3)[3]


def salt_for_password(password):
    """Stable salt for a password.

    Real miners keep one salt per password; the factory password's salt is known. For
    other passwords any stable 8-character crypt salt will do, so derive one from the
    password itself (it may contain ``.`` and ``/``, which clients must survive).
    """
    if password == FACTORY_PASSWORD:
        return FACTORY_SALT
    digest = hashlib.sha256(('whatsminer-sim-salt:' + password).encode('utf-8')).digest()
    return ''.join(SALT_ALPHABET[b % 64] for b in digest[:8])


def new_salt(rng=None):
    """A fresh random 8-character crypt salt (used as ``newsalt``)."""
    if rng is None:
        return ''.join(secrets.choice(SALT_ALPHABET) for dummy in range(8))
    return ''.join(rng.choice(SALT_ALPHABET) for dummy in range(8))


def make_key(password, salt):
    """key = md5-crypt(password, salt), hash part."""
    return md5crypt_hash(password, salt)


def make_sign(key, time_str, newsalt):
    """sign = md5-crypt(key + last four characters of time, newsalt), hash part."""
    return md5crypt_hash(key + str(time_str)[-4:], newsalt)


def aes_key(key):
    """aeskey = sha256(key): the 32 raw digest bytes."""
    return hashlib.sha256(key.encode('utf-8')).digest()


def _cipher(aeskey):
    return Cipher(algorithms.AES(aeskey), modes.ECB())  # nosec - ECB is what the protocol uses


def zero_pad(data):
    """Pad with NUL bytes to a multiple of 16 (nothing added when already aligned)."""
    rest = len(data) % 16
    return data + b'\0' * (16 - rest) if rest else data


def pkcs7_pad(data):
    """PKCS#7 padding (always adds 1..16 bytes)."""
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


def unpad(data):
    """Remove PKCS#7 padding if present and valid, else cut at the first NUL byte.

    A JSON text never ends with a byte in 0x01..0x10, so a valid-looking PKCS#7 tail is
    unambiguous; otherwise the plaintext was zero-padded.
    """
    if data:
        n = data[-1]
        if 1 <= n <= 16 and len(data) >= n and data[-n:] == bytes([n]) * n:
            return data[:-n]
    return data.split(b'\0', 1)[0]


def encrypt(aeskey, plaintext, padding='zero'):
    """AES-256-ECB encrypt ``plaintext`` (bytes or str) and return the base64 text."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode('utf-8')
    padded = pkcs7_pad(plaintext) if padding == 'pkcs7' else zero_pad(plaintext)
    enc = _cipher(aeskey).encryptor()
    return base64.b64encode(enc.update(padded) + enc.finalize()).decode('ascii')


def decrypt_raw(aeskey, ciphertext):
    """AES-256-ECB decrypt raw bytes (length must be a multiple of 16); padding left in place."""
    dec = _cipher(aeskey).decryptor()
    return dec.update(ciphertext) + dec.finalize()


def b64decode_strict(text):
    """Decode base64, tolerating missing padding and embedded whitespace; raise ValueError on junk."""
    if not isinstance(text, str):
        raise ValueError('data is not a string')
    cleaned = ''.join(text.split())
    cleaned += '=' * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from exc


# ---------------------------------------------------------------------------- API V3 (reference_protocol.rst V3 §3)

def v3_digest(cmd, password, salt, ts):
    """sha256(cmd + password + salt + str(ts)): the 32 raw bytes (token source and AES key)."""
    return hashlib.sha256(('%s%s%s%s' % (cmd, password, salt, ts)).encode('utf-8')).digest()


def v3_token(cmd, password, salt, ts):
    """The 8-character V3 token: the first 8 characters of base64(v3_digest)."""
    return base64.b64encode(v3_digest(cmd, password, salt, ts)).decode('ascii')[:8]


def v3_salt(rng=None):
    """A fresh 8-character alphanumeric V3 salt."""
    alphabet = SALT_ALPHABET[2:]
    if rng is None:
        return ''.join(secrets.choice(alphabet) for dummy in range(8))
    return ''.join(rng.choice(alphabet) for dummy in range(8))


def v3_encrypt_param(digest, plaintext, padding='pkcs7'):
    """AES-256-ECB with key = digest, base64 text (what clients put in ``param``)."""
    return encrypt(digest, plaintext, padding=padding)


def v3_decrypt_param(digest, text):
    """Decrypt a V3 ``param``: base64, AES-256-ECB, strip PKCS#7 or trailing NULs; return the text.

    Raise ValueError when it cannot be decrypted or is not UTF-8.
    """
    raw = b64decode_strict(text)
    if not raw or len(raw) % 16:
        raise ValueError('ciphertext length %d is not a multiple of 16' % len(raw))
    plain = decrypt_raw(digest, raw)
    if plain:
        n = plain[-1]
        if 1 <= n <= 16 and plain[-n:] == bytes([n]) * n:
            plain = plain[:-n]
        else:
            plain = plain.rstrip(b'\0')
    return plain.decode('utf-8')
