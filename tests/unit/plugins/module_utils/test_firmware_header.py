# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The combined firmware image header (V3 section 7.1) at each of its bounds: sizes, counts, offsets, names."""

from __future__ import annotations

import struct

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import WhatsMinerError
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import (
    FW_HEADER_SIZE,
    FW_MAX_PACKAGES,
    FW_RECORD_SIZE,
    FW_RECORDS_OFFSET,
    choose_package,
    parse_firmware_header,
)


def header(records, data_size=None):
    """A header holding ``records`` [(chiptype, platform, offset, size)]; data_size defaults to the packages' total."""
    head = bytearray(FW_HEADER_SIZE)
    total = sum(size for dummy, dummy, dummy, size in records) if data_size is None else data_size
    struct.pack_into('<6I', head, 0, 1, 2, 3, 4, total, len(records))
    for index, (chiptype, platform, offset, size) in enumerate(records):
        base = FW_RECORDS_OFFSET + index * FW_RECORD_SIZE
        head[base:base + 16] = chiptype.encode().ljust(16, b'\0')
        head[base + 16:base + 32] = platform.encode().ljust(16, b'\0')
        struct.pack_into('<II', head, base + 32, offset, size)
    return bytes(head)


TWO = [('h616', 'H616-plat', FW_HEADER_SIZE, 100), ('h6os', 'H6', FW_HEADER_SIZE + 100, 50)]
FILE = FW_HEADER_SIZE + 150


def test_each_record_is_read_from_its_own_place():
    assert parse_firmware_header(header(TWO), FILE) == [
        {'chiptype': 'h616', 'platform': 'H616-plat', 'offset': FW_HEADER_SIZE, 'size': 100},
        {'chiptype': 'h6os', 'platform': 'H6', 'offset': FW_HEADER_SIZE + 100, 'size': 50},
    ]


def test_names_stop_at_the_first_nul_and_keep_sixteen_characters():
    head = header([('abcdefghijklmnop', 'x\0junk', FW_HEADER_SIZE, 1)])
    assert parse_firmware_header(head, FW_HEADER_SIZE + 1)[0]['chiptype'] == 'abcdefghijklmnop'
    assert parse_firmware_header(head, FW_HEADER_SIZE + 1)[0]['platform'] == 'x'


def test_a_full_width_platform_ends_where_its_field_ends():
    """Sixteen characters and no NUL: the offset that follows (here 0x41 'A' in its low byte) is not part of the name."""
    head = header([('h616', 'P' * 16, 0x41, 1)])
    assert parse_firmware_header(head, 0x42 + FW_HEADER_SIZE)[0]['platform'] == 'P' * 16


@pytest.mark.parametrize('head_size, file_size, found', [
    (FW_HEADER_SIZE, FILE, True),
    (FW_HEADER_SIZE - 1, FILE, False),       # a head shorter than the header
])
def test_the_head_must_hold_the_whole_header(head_size, file_size, found):
    assert (parse_firmware_header(header(TWO)[:head_size], file_size) is not None) is found


def test_a_file_smaller_than_the_header_is_no_image():
    head = header([('h616', 'p', 0, 0)], data_size=0)
    assert parse_firmware_header(head, FW_HEADER_SIZE) is not None
    assert parse_firmware_header(head, FW_HEADER_SIZE - 1) is None
    assert parse_firmware_header(None, FILE) is None


@pytest.mark.parametrize('count, found', [(0, False), (1, True), (FW_MAX_PACKAGES, True), (FW_MAX_PACKAGES + 1, False)])
def test_the_package_count_is_one_to_sixty_four(count, found):
    records = [('c%d' % n, 'p', FW_HEADER_SIZE, 0) for n in range(min(count, FW_MAX_PACKAGES))]
    head = bytearray(header(records, data_size=0) if records else header([], data_size=0))
    struct.pack_into('<I', head, 20, count)
    assert (parse_firmware_header(bytes(head), FW_HEADER_SIZE) is not None) is found


@pytest.mark.parametrize('data_size, found', [(150, True), (151, False), (0, True)])
def test_header_and_data_must_fit_in_the_file(data_size, found):
    assert (parse_firmware_header(header(TWO, data_size=data_size), FILE) is not None) is found


@pytest.mark.parametrize('last_size, found', [(50, True), (51, False)])
def test_every_package_must_end_inside_the_file(last_size, found):
    records = [TWO[0], TWO[1][:3] + (last_size,)]
    assert (parse_firmware_header(header(records, data_size=150), FILE) is not None) is found


def test_a_platform_the_image_lacks_is_refused_naming_what_it_has():
    with pytest.raises(WhatsMinerError) as info:
        choose_package([{'chiptype': 'h616'}, {'chiptype': 'h6os'}], 'H3')
    assert 'no package for platform h3 (it has: h616, h6os); nothing was sent' in str(info.value)
    with pytest.raises(WhatsMinerError) as info:
        choose_package([], None)
    assert 'no package for platform (unknown) (it has: none)' in str(info.value)


def test_the_manual_header_is_6812_bytes_and_may_come_with_more():
    """V3 section 7.1 in its own numbers (not this module's constants): 6812 bytes of header, records from byte 24."""
    head = bytearray(6812 + 100)
    struct.pack_into('<6I', head, 0, 0, 0, 0, 0, 0, 1)
    head[24:28] = b'h616'
    struct.pack_into('<II', head, 24 + 32, 6812, 0)
    assert parse_firmware_header(bytes(head), 6812)[0]['chiptype'] == 'h616'       # more than the header: fine
    assert parse_firmware_header(bytes(head[:6812]), 6812)[0]['offset'] == 6812
    assert parse_firmware_header(bytes(head[:6811]), 6812) is None
