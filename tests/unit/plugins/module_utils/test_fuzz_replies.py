# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fuzzing the reply path (issue #7): decoder, repairs, normalizers, header scanner, decryption.

Extends test_replies_properties.py: whatever a miner (or anything listening on 4028) sends,
the client raises nothing but the typed ProtocolError, never loses or changes valid JSON, and
the functions that turn replies into facts never crash on a well-formed but unexpected reply.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import crypto, replies
from ansible_collections.minerops.whatsminer.plugins.module_utils.client import lift_sections
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ProtocolError
from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import open_miner
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import InvalidCommand
from ansible_collections.minerops.whatsminer.plugins.module_utils._facts import ALL_SUBSETS, build_view, read_sections
from ansible_collections.minerops.whatsminer.plugins.module_utils.transport import JsonEndScanner

hypothesis = pytest.importorskip('hypothesis')
st = pytest.importorskip('hypothesis.strategies')
try:
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), 'hypothesis-minerops-whatsminer'))
except ImportError:  # pragma: no cover
    pass
given = hypothesis.given
settings = hypothesis.settings

# JSON values as a miner could send them: unicode, escapes, big and small numbers, deep-ish nesting.
KEYS = st.sampled_from(['STATUS', 'Code', 'Msg', 'When', 'Description', 'SUMMARY', 'POOLS', 'DEVS', 'error_code', 'MHS av',
                        'Power', 'Power Mode', 'Firmware Version', 'time', 'salt', 'newsalt', 'enc', 'ip', 'hostname']) | st.text(max_size=12)
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=24)
           | st.sampled_from(['inf', 'nan', '-inf', '', ' 12 ', '1e400', "'20210322.22.REL'", 'S', 'E', '131', '0x1f']))
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
                      max_leaves=40)
OBJECTS = st.dictionaries(KEYS, VALUES, max_size=10)


def _sample_replies():
    """Replies shaped like the simulator's (and real miners') answers."""
    when = 1732400000
    return [
        {'STATUS': 'S', 'When': when, 'Code': 131, 'Msg': 'API command OK', 'Description': ''},
        {'STATUS': 'E', 'When': when, 'Code': 135, 'Msg': 'check token err', 'Description': ''},
        {'STATUS': 'S', 'When': when, 'Code': 134, 'Msg': {'time': '5626', 'salt': 'BQ5hoXV9', 'newsalt': 'jbzkfQls'}, 'Description': ''},
        {'STATUS': [{'STATUS': 'S', 'When': when, 'Code': 11, 'Msg': 'Summary', 'Description': ''}],
         'SUMMARY': [{'Elapsed': 100, 'MHS av': 1.2e8, 'Power': 3400, 'Power Mode': 'Normal', 'Power Rate': 'inf'}], 'id': 1},
        {'STATUS': [{'STATUS': 'S', 'Msg': '1 Pool(s)'}], 'POOLS': [{'POOL': 0, 'URL': 'stratum+tcp://p:1', 'User': 'u', 'Pool Stale%': 'nan'}]},
        {'STATUS': 'S', 'Code': 131, 'Msg': {'error_code': [{'329': '2022-01-17 11:28:11'}, {'110': '2022-01-17 11:29:00'}]}},
        {'STATUS': 'S', 'Code': 131, 'Msg': {'api_ver': '2.0.5', 'fw_ver': '20230619.22.REL', 'platform': 'H6', 'chip': 'K88'}},
        {'STATUS': 'S', 'Code': 131, 'Msg': {'ip': '10.0.0.5', 'proto': 'dhcp', 'hostname': 'WhatsMiner', 'ledstat': 'auto'}},
    ]


SAMPLES = st.sampled_from(_sample_replies())


def _parse_or_protocol_error(raw):
    try:
        value = replies.parse_reply(raw)
    except ProtocolError as exc:
        assert str(exc)  # a message, never empty
        return None
    assert isinstance(value, dict)
    return value


@settings(max_examples=300, deadline=None, database=None)
@given(OBJECTS, st.sampled_from(['', '\x00', '\n', '\r\n', ' \x00', '\x00\x00']), st.booleans(), st.booleans())
def test_valid_json_round_trips_with_any_framing(obj, tail, as_bytes, ascii_only):
    """Valid JSON comes back exactly as json.loads gives it, whatever NULs or newlines follow it."""
    text = json.dumps(obj, ensure_ascii=ascii_only) + tail
    assert replies.parse_reply(text.encode('utf-8') if as_bytes else text) == json.loads(json.dumps(obj))


@settings(max_examples=250, deadline=None, database=None)
@given(SAMPLES, st.data())
def test_mutated_replies_only_protocol_error(sample, data):
    """Cut, spliced, byte-flipped and garbage-prefixed replies: a dict or ProtocolError, nothing else."""
    raw = bytearray(json.dumps(sample, separators=(',', ':')).encode())
    for _step in range(data.draw(st.integers(min_value=1, max_value=4))):
        action = data.draw(st.sampled_from(['cut', 'flip', 'insert', 'delete', 'prefix']))
        position = data.draw(st.integers(min_value=0, max_value=max(0, len(raw) - 1)))
        if action == 'cut':
            del raw[position:]
        elif action == 'flip' and raw:
            raw[position] ^= data.draw(st.integers(min_value=1, max_value=255))
        elif action == 'insert':
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=6) | st.sampled_from([b',', b'}', b'"', b'\\', b'\x00', b',}']))
        elif action == 'delete' and raw:
            del raw[position]
        elif action == 'prefix':
            raw[0:0] = data.draw(st.sampled_from([b'\x00', b'\xef\xbb\xbf', b'HTTP/1.1 200 OK\r\n\r\n', b' ']))
    _parse_or_protocol_error(bytes(raw))


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet='{}[]":,0123456789.eE+-tfnaulrsSE \\\n\x00', max_size=80))
def test_json_alphabet_soup_only_protocol_error(text):
    _parse_or_protocol_error(text.encode())


@pytest.mark.parametrize('raw', [
    b'[' * 100000, b'{"a":' * 50000, b'{"a":' + b'[' * 5000 + b']' * 5000 + b'}', b'"' * 100000, b'{"a":"' + b'\\' * 99999,
    b'{"a":1e999999}', b'{"a":-}', b'{' + b'"k":1,' * 20000 + b'}', b'\x00' * 1000, b'{"a":"\xff\xfe"}', b'{"a":"\\ud800"}',
])
def test_hostile_replies_only_protocol_error(raw):
    _parse_or_protocol_error(raw)


@settings(max_examples=300, deadline=None, database=None)
@given(OBJECTS)
@hypothesis.example({'\u00b2': None})  # found by this test: str.isdigit() is true for it, int() refuses it
@hypothesis.example({'error_code': ['\u0663\u0662\u0669']})
def test_normalizers_never_crash_on_unexpected_shapes(obj):
    """Whatever well-formed JSON comes back, turning it into facts never raises."""
    for reply in (obj, {'Msg': obj}, {'SUMMARY': [obj]}, {'POOLS': [obj, obj]}, {'DEVS': [obj]}, {'STATUS': [obj], 'SUMMARY': obj}):
        replies.envelope_status(reply)
        for normalize in (replies.normalize_summary, replies.normalize_pools, replies.normalize_devs, replies.normalize_devdetails,
                          replies.normalize_psu, replies.normalize_version, replies.normalize_status, replies.normalize_miner_info):
            normalize(reply)
        lift_sections(reply, ('summary', 'pools', 'edevs'))
        replies.decode_error_codes(reply.get('Msg') if isinstance(reply.get('Msg'), dict) else reply)


@settings(max_examples=200, deadline=None, database=None)
@given(SCALARS | VALUES)
def test_value_converters_never_crash(value):
    number = replies.to_number(value)
    assert number is None or isinstance(number, (int, float))
    assert replies.to_bool(value) in (True, False, None)


class _ScriptedClient:
    """Answers every request with the object given for its command (V2.2 read/write, V3 get)."""

    host = '192.0.2.10'
    port = 4028

    def __init__(self, answers, api='v2'):
        self.answers = answers
        self.api = api
        self.requests_sent = []

    def read(self, command, **params):
        return self.answers.get(command, {})

    def read_joined(self, *commands):
        raise InvalidCommand(14, 'invalid cmd')

    def write(self, command, restarting=False, **params):
        return self.answers.get(command, {})

    def get(self, command, param=None):
        return self.answers.get(command, {})


@settings(max_examples=150, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(['summary', 'pools', 'devs', 'devdetails', 'get_psu', 'get_version', 'status',
                                        'get_miner_info', 'get_error_code', 'get_customer_msg']), OBJECTS, max_size=10))
def test_facts_view_never_crashes_on_v2_replies(answers):
    miner = open_miner(None, '192.0.2.10', {}, client=_ScriptedClient(answers))
    view = build_view(read_sections(miner, list(ALL_SUBSETS)), '192.0.2.10', 4028)
    assert isinstance(view, dict)
    json.dumps(view, default=str)


@settings(max_examples=150, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(['get.device.info', 'get.miner.status', 'get.miner.setting', 'get.device.custom_data',
                                        'get.fan.setting', 'get.system.setting']), OBJECTS, max_size=6))
def test_facts_view_never_crashes_on_v3_replies(answers):
    miner = open_miner(None, '192.0.2.10', {}, client=_ScriptedClient(answers, api='v3'))
    view = build_view(read_sections(miner, list(ALL_SUBSETS)), '192.0.2.10', 4433)
    assert isinstance(view, dict)
    json.dumps(view, default=str)
    json.dumps(miner.settings(), default=str)


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=200), st.lists(st.integers(min_value=1, max_value=40), max_size=8))
def test_header_scanner_on_arbitrary_chunks(data, splits):
    """The stream header scanner: an offset or None, or ProtocolError; the offset never moves backwards."""
    scanner = JsonEndScanner()
    buf = b''
    position = 0
    for size in splits + [len(data)]:
        buf += data[position:position + size]
        position += size
        try:
            ended = scanner.feed(buf)
        except ProtocolError:
            return
        assert ended is None or 0 < ended <= len(buf)
        if ended is not None:
            assert scanner.feed(buf + b'more') == ended
            return


@settings(max_examples=300, deadline=None, database=None)
@given(SAMPLES, st.binary(max_size=64), st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=10))
def test_header_scanner_finds_the_exact_end_however_split(header, payload, splits):
    """A JSON header followed by stream bytes, split anywhere: the end is exactly after the header."""
    head = json.dumps(header, separators=(',', ':')).encode()
    data = head + payload
    scanner = JsonEndScanner()
    buf = b''
    for size in splits + [len(data)]:
        buf = data[:len(buf) + size]
        ended = scanner.feed(buf)
        if ended is not None:
            assert ended == len(head)
            return
    raise AssertionError('the header end was never found')


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=96) | st.text(max_size=96).map(lambda text: text.encode('utf-8')))
def test_decrypting_garbage_only_protocol_error(blob):
    """The {"enc": ...} of a reply: random base64 or random text never crashes the client."""
    aeskey = bytes(range(32))
    for text in (base64.b64encode(blob).decode(), blob.decode('latin-1')):
        try:
            plain = crypto.decrypt(aeskey, text)
        except ProtocolError:
            continue
        _parse_or_protocol_error(plain)


@settings(max_examples=150, deadline=None, database=None)
@given(OBJECTS)
def test_encrypted_replies_round_trip(obj):
    """What the miner encrypts (zero-padded, AES-ECB) decrypts back to the same reply."""
    aeskey = bytes(range(32))
    text = json.dumps(obj, separators=(',', ':'))
    plain = crypto.decrypt(aeskey, crypto.encrypt(aeskey, text))
    assert replies.parse_reply(plain) == json.loads(text)
