# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's firmware image format.

Layout (all integers little-endian)::

    offset 0        8 bytes   magic  b"WMSIMFW1"
    offset 8        4 bytes   H = length of the JSON header
    offset 12       H bytes   JSON header, UTF-8:
                              {"format": 1, "family": "M5X", "model": "M50",
                               "version": "20250101.22.REL", "payload_size": N,
                               "created": <unix int>}
    offset 12+H     N bytes   payload (opaque; the builder writes filler)
    offset 12+H+N   32 bytes  sha256 of every byte before it (magic .. end of payload)

A miner accepts an image when the magic, the lengths and the sha256 check out and the
header ``family`` equals its own model family. Anything else is refused and the running
firmware is kept.
"""

import hashlib
import json
import re
import struct
import time

MAGIC = b'WMSIMFW1'
DIGEST_SIZE = 32
MAX_HEADER = 64 * 1024
VERSION_RE = re.compile(r'^\d{8}\.\d{2}(\.\d{2})?\.(REL|Rel|Rel\d|REL\d|TEST|DBG)$')


class FirmwareError(ValueError):
    """An image that a miner must refuse; ``reason`` is a short machine-friendly word."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def build_image(family, version, model='', payload_size=4096, corrupt=False, created=None):
    """Return the bytes of an image. ``corrupt`` flips a payload byte after signing."""
    header = {
        'format': 1,
        'family': family,
        'model': model,
        'version': version,
        'payload_size': payload_size,
        'created': int(time.time() if created is None else created),
    }
    hbytes = json.dumps(header, sort_keys=True).encode('utf-8')
    seed = hashlib.sha256(('%s/%s' % (family, version)).encode('utf-8')).digest()
    payload = (seed * (payload_size // len(seed) + 1))[:payload_size]
    body = MAGIC + struct.pack('<I', len(hbytes)) + hbytes + payload
    image = bytearray(body + hashlib.sha256(body).digest())
    if corrupt:
        pos = 12 + len(hbytes) + (payload_size // 2 if payload_size else 0)
        image[pos] ^= 0xFF
    return bytes(image)


def parse_image(data):
    """Check an image and return its header dict; raise FirmwareError if it is unusable."""
    if len(data) < 12 + DIGEST_SIZE or data[:8] != MAGIC:
        raise FirmwareError('format', 'not a firmware image (bad magic)')
    (hlen,) = struct.unpack('<I', data[8:12])
    if hlen > MAX_HEADER or 12 + hlen + DIGEST_SIZE > len(data):
        raise FirmwareError('truncated', 'firmware image truncated (header)')
    try:
        header = json.loads(data[12:12 + hlen].decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FirmwareError('format', 'firmware header unreadable: %s' % exc) from exc
    if not isinstance(header, dict) or not isinstance(header.get('payload_size'), int):
        raise FirmwareError('format', 'firmware header incomplete')
    end = 12 + hlen + header['payload_size']
    if len(data) < end + DIGEST_SIZE:
        raise FirmwareError('truncated', 'firmware image truncated (payload)')
    if len(data) > end + DIGEST_SIZE:
        raise FirmwareError('format', 'firmware image has trailing bytes')
    if hashlib.sha256(data[:end]).digest() != data[end:end + DIGEST_SIZE]:
        raise FirmwareError('checksum', 'firmware checksum mismatch')
    version = header.get('version')
    if not isinstance(version, str) or not version or len(version) > 64:
        raise FirmwareError('format', 'firmware version missing')
    if not isinstance(header.get('family'), str):
        raise FirmwareError('format', 'firmware family missing')
    return header


def check_for_model(header, family):
    """Raise FirmwareError unless the image is made for ``family``."""
    if header.get('family', '').upper() != family.upper():
        raise FirmwareError('model', 'firmware is for %s, this miner is %s' % (header.get('family'), family))
