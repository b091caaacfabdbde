# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property tests of parse_reply (skipped when hypothesis is not installed)."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ProtocolError
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import decode_error_codes, parse_reply, parse_reply_ex

hypothesis = pytest.importorskip('hypothesis')
st = pytest.importorskip('hypothesis.strategies')
try:
    # Keep hypothesis' cache out of the work tree.
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), 'hypothesis-minerops-whatsminer'))
except ImportError:  # pragma: no cover
    pass
given = hypothesis.given
settings = hypothesis.settings

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
                           max_leaves=30)
JSON_OBJECTS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=8)


@settings(max_examples=150, deadline=None, database=None)
@given(JSON_OBJECTS, st.booleans(), st.booleans())
def test_valid_json_round_trips_unchanged(obj, ascii_only, indent):
    text = json.dumps(obj, ensure_ascii=ascii_only, indent=2 if indent else None)
    value, repairs = parse_reply_ex(text.encode('utf-8'))
    assert repairs == []
    assert value == obj


@settings(max_examples=150, deadline=None, database=None)
@given(JSON_OBJECTS)
def test_trailing_nul_and_commas_are_repaired_without_loss(obj):
    text = json.dumps(obj, separators=(',', ':'))
    broken = text.replace('}', ',}').replace('{,}', '{}').replace(']', ',]').replace('[,]', '[]')
    # Only replace outside strings is hard to guarantee here: check when no string contains brackets.
    if any(ch in json.dumps(list(_strings(obj))) for ch in '{}[],'):
        return
    assert parse_reply(broken.encode() + b'\x00') == obj


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=500, deadline=None, database=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_protocol_error(raw):
    try:
        value = parse_reply(raw)
    except ProtocolError:
        return
    assert isinstance(value, dict)


@settings(max_examples=200, deadline=None, database=None)
@given(JSON_OBJECTS, st.integers(min_value=0, max_value=400))
def test_truncated_valid_json_only_protocol_error(obj, cut):
    raw = json.dumps(obj).encode()[:cut]
    try:
        value = parse_reply(raw)
    except ProtocolError:
        return
    assert isinstance(value, dict)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet='{}[]":,0123456789 -', max_size=60))
def test_error_code_decoding_never_crashes(text):
    try:
        reply = parse_reply(('{"Msg":{"error_code":%s}}' % text).encode())
    except ProtocolError:
        return
    for item in decode_error_codes(reply):
        assert set(item) == {'code', 'time', 'type', 'subtype', 'value', 'component', 'description'}
