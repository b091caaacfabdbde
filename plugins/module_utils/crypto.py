# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Token derivation and AES-256-ECB encryption of the WhatsMiner API V2.2 (reference_protocol.rst V2.2 §2).

key    = md5-crypt(password, salt), hash part after the third ``$``
sign   = md5-crypt(key + time[-4:], newsalt), hash part after the third ``$``
aeskey = sha256(key) (32 raw bytes)
request: zero-padded plaintext, AES-256-ECB, base64 on one line.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import time
import traceback

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import MissingLibrary, ProtocolError

try:
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

try:
    from passlib.hash import md5_crypt
except ImportError:
    HAS_PASSLIB = False
    PASSLIB_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PASSLIB = True
    PASSLIB_IMPORT_ERROR = None


def require_libraries():
    """Raise :class:`MissingLibrary` unless cryptography and passlib are importable."""
    if not HAS_PASSLIB:
        raise MissingLibrary('passlib', 'passlib', PASSLIB_IMPORT_ERROR)
    if not HAS_CRYPTOGRAPHY:
        raise MissingLibrary('cryptography', 'cryptography', CRYPTOGRAPHY_IMPORT_ERROR)


@functools.lru_cache(maxsize=None)
def _load_md5_crypt_backend():
    """Give passlib's md5_crypt its backend once per process (the cache makes later calls free).

    Until the base class has one, every ``md5_crypt.using(salt=...)`` subclass detects the backend again on its first
    hash: that doubles the cost of each key and sign (measured 0.36 -> 0.18 ms), which a fan-out pays per miner.
    """
    md5_crypt.set_backend(md5_crypt.get_backend())


def _md5_crypt_hash(secret, salt):
    if not HAS_PASSLIB:
        raise MissingLibrary('passlib', 'passlib', PASSLIB_IMPORT_ERROR)
    _load_md5_crypt_backend()
    salt = str(salt)
    try:
        full = md5_crypt.using(salt=salt).hash(secret)
    except (ValueError, TypeError):
        # Never echo the secret; the salt comes from the miner and is not secret.
        raise ProtocolError('the miner sent an unusable md5-crypt salt (%r)' % salt[:16])
    parts = full.split('$')
    # "$1$<salt>$<hash>" -> ['', '1', salt, hash]
    if len(parts) < 4:
        raise ProtocolError('unexpected md5-crypt output')
    return parts[3]


def derive_key(password, salt):
    """``key = md5-crypt(password, salt)``, only the part after the third ``$``."""
    if password is None:
        raise ValueError('an admin password is required to derive the API key')
    if not HAS_PASSLIB:
        raise MissingLibrary('passlib', 'passlib', PASSLIB_IMPORT_ERROR)
    return _derived_key(str(password), str(salt))


@functools.lru_cache(maxsize=64)
def _derived_key(password, salt):
    """Miners with one password share its salt: a fleet-wide task derives each key once (kept in this process only)."""
    return _md5_crypt_hash(password, salt)


def make_sign(key, time4, newsalt):
    """``sign = md5-crypt(key + time[-4:], newsalt)``, only the part after the third ``$``."""
    return _md5_crypt_hash(key + str(time4)[-4:], newsalt)


def aes_key(key):
    """``sha256(key)``: the 32 raw bytes used as the AES-256 key."""
    if isinstance(key, str):
        key = key.encode('utf-8')
    return hashlib.sha256(key).digest()


def _cipher(aeskey):
    if not HAS_CRYPTOGRAPHY:
        raise MissingLibrary('cryptography', 'cryptography', CRYPTOGRAPHY_IMPORT_ERROR)
    return Cipher(algorithms.AES(aeskey), modes.ECB(), backend=default_backend())  # nosec - the protocol mandates ECB


def warm_up():
    """Load OpenSSL's AES (about 8 ms the first time in a process) and passlib's md5-crypt backend once.

    The action plugins call it in the controller before Ansible forks a worker per task and host, so that every
    worker inherits it loaded instead of paying for it again.
    """
    if HAS_CRYPTOGRAPHY:
        encrypt(b'\0' * 32, b'')
    if HAS_PASSLIB:
        _load_md5_crypt_backend()


def encrypt(aeskey, plaintext_bytes):
    """Zero-pad ``plaintext_bytes`` to a multiple of 16, AES-256-ECB encrypt, return one-line base64 text."""
    if isinstance(plaintext_bytes, str):
        plaintext_bytes = plaintext_bytes.encode('utf-8')
    data = bytes(plaintext_bytes)
    if len(data) % 16:
        data += b'\x00' * (16 - len(data) % 16)
    encryptor = _cipher(aeskey).encryptor()
    cipher = encryptor.update(data) + encryptor.finalize()
    return base64.b64encode(cipher).decode('ascii')


def decrypt(aeskey, b64):
    """Base64-decode and AES-256-ECB decrypt ``b64``; return the plaintext bytes cut at the first NUL.

    PKCS#7 padding (tolerated by miners) is removed as well. Raises :class:`ProtocolError` on
    malformed input.
    """
    if isinstance(b64, str):
        b64 = b64.encode('ascii', 'replace')
    compact = b''.join(bytes(b64).split())
    try:
        cipher = base64.b64decode(compact + b'=' * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError('encrypted reply is not valid base64')
    if not cipher or len(cipher) % 16:
        raise ProtocolError('encrypted reply has %d bytes, not a positive multiple of 16' % len(cipher))
    decryptor = _cipher(aeskey).decryptor()
    plain = decryptor.update(cipher) + decryptor.finalize()
    nul = plain.find(b'\x00')
    if nul >= 0:
        return plain[:nul]
    pad = plain[-1]
    if 1 <= pad <= 16 and len(plain) >= pad and plain[-pad:] == bytes([pad]) * pad:
        return plain[:-pad]
    return plain


class TokenCredentials(object):
    """What one ``get_token`` yields: key, sign and AES key. Its repr never shows them."""

    __slots__ = ('_key', '_sign', '_aeskey', 'time4', 'salt', 'newsalt', 'timeout', 'created')

    def __init__(self, key, sign, aeskey, time4=None, salt=None, newsalt=None, timeout=None, created=None):
        self._key = key
        self._sign = sign
        self._aeskey = aeskey
        self.time4 = time4
        self.salt = salt
        self.newsalt = newsalt
        self.timeout = timeout
        self.created = time.time() if created is None else created

    @classmethod
    def from_token_reply(cls, password, msg):
        """Build credentials from the admin password and get_token's ``Msg`` (time, salt, newsalt[, timeout])."""
        require_libraries()
        if not isinstance(msg, dict):
            raise ProtocolError('get_token reply has no time/salt/newsalt')
        try:
            time_s = str(msg['time'])
            salt = str(msg['salt'])
            newsalt = str(msg['newsalt'])
        except KeyError:
            raise ProtocolError('get_token reply lacks time, salt or newsalt')
        key = derive_key(password, salt)
        time4 = time_s[-4:]
        return cls(key, make_sign(key, time4, newsalt), aes_key(key), time4, salt, newsalt, msg.get('timeout'))

    @property
    def key(self):
        return self._key

    @property
    def sign(self):
        return self._sign

    @property
    def aeskey(self):
        return self._aeskey

    def encrypt_command(self, command_dict):
        """Return the wire bytes ``{"enc":1,"data":"<base64>"}`` for ``command_dict`` (token added)."""
        body = dict(command_dict)
        body['token'] = self._sign
        plain = json.dumps(body, separators=(',', ':'), ensure_ascii=True)
        data = encrypt(self._aeskey, plain.encode('utf-8'))
        return ('{"enc":1,"data":"%s"}' % data).encode('ascii')

    def decrypt_reply(self, b64):
        return decrypt(self._aeskey, b64)

    def __repr__(self):
        return '<TokenCredentials time=%s (key, sign and aeskey hidden)>' % (self.time4,)

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError('TokenCredentials cannot be pickled')


Session = TokenCredentials


# ---------------------------------------------------------------------------
# API V3: token and parameter encryption (reference_protocol.rst V3 §3)
# ---------------------------------------------------------------------------

def token_digest(cmd, password, salt, ts):
    """``sha256(cmd + password + salt + str(ts))``: 32 raw bytes, the token source and the AES key."""
    if password is None:
        raise ValueError('a password is required to compute an API V3 token')
    src = '%s%s%s%d' % (cmd, password, salt, int(ts))
    return hashlib.sha256(src.encode('utf-8')).digest()


def token_from_digest(digest):
    """The first 8 characters of the standard base64 of ``digest``."""
    return base64.b64encode(digest).decode('ascii')[:8]


def make_token(cmd, password, salt, ts):
    """``base64(sha256(cmd + password + salt + ts))[:8]``."""
    return token_from_digest(token_digest(cmd, password, salt, ts))


def pkcs7_pad(data, block=16):
    """PKCS#7 padding: always 1-16 bytes of value n."""
    n = block - len(data) % block
    return bytes(data) + bytes([n]) * n


def _param_plaintext(param):
    if isinstance(param, (bytes, bytearray)):
        return bytes(param)
    if isinstance(param, str):
        # Already JSON text: used as is.
        return param.encode('utf-8')
    return json.dumps(param, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def encrypt_param(digest, param):
    """AES-256-ECB encrypt the compact JSON of ``param`` with key ``digest``; PKCS#7; return base64 text.

    A ``str`` ``param`` is taken as JSON text already.
    """
    if not HAS_CRYPTOGRAPHY:
        raise MissingLibrary('cryptography', 'cryptography', CRYPTOGRAPHY_IMPORT_ERROR)
    # Padded to a multiple of 16 here, so crypto.encrypt adds no zero padding of its own.
    return encrypt(digest, pkcs7_pad(_param_plaintext(param)))


def decrypt_param(digest, b64):
    """Inverse of :func:`encrypt_param` (PKCS#7 or zero padding); return the decoded JSON value."""
    plain = decrypt(digest, b64)
    value = json.loads(plain.decode('utf-8'))
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return value
