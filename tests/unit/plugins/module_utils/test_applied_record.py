# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The applied-settings record under concurrent runs: re-read before writing, merge only our keys."""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import (
    AppliedRecord,
    fingerprint,
    format_record,
    parse_record,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import TaskContext

OK = {'STATUS': 'S', 'Code': 131, 'Msg': 'API command OK'}


class RecordMiner(object):
    """Customer messages on a fake miner; ``between`` runs before each get_customer_msg (another run's write)."""

    host = '127.0.0.1'
    port = 4028

    def __init__(self, messages=None):
        self.messages = dict(messages or {})
        self.between = []
        self.writes = []

    def write(self, command, restarting=False, **params):
        if command == 'get_customer_msg':
            if self.between:
                self.between.pop(0)(self)
            return {'STATUS': 'S', 'Code': 131, 'Msg': dict(self.messages)}
        assert command == 'set_customer_msg'
        self.writes.append(params)
        self.messages[params['key']] = params['val']
        return OK


def _ctx(miner, **params):
    full = dict(host=miner.host, port=4028, password='s3cret', timeout=5, record_slot='msg9', reapply=False)
    full.update(params)
    return TaskContext(full, client_factory=lambda *args, **kwargs: miner)


def _other_run_records(**entries):
    def write(miner):
        record = parse_record(miner.messages.get('msg9', '')) or {}
        record.update(entries)
        miner.messages['msg9'] = format_record(record)
    return write


def test_save_merges_into_the_fresh_record_not_the_stale_copy():
    miner = RecordMiner({'msg9': format_record({'to': fingerprint(-5)})})
    record = AppliedRecord(_ctx(miner))            # this run read to=-5 ...
    miner.between.append(_other_run_records(to=fingerprint(-10)))  # ... another run then applied -10
    record.save({'timezone': 'UTC0'})
    entries = parse_record(miner.messages['msg9'])
    assert entries['to'] == fingerprint(-10), 'a stale copy of another run\'s entry was written back'
    assert entries['tz'] == fingerprint('UTC0')
    assert any('changed while this task ran' in w for w in record.ctx.warnings)


def test_save_without_concurrency_warns_nothing_and_writes_once():
    miner = RecordMiner()
    record = AppliedRecord(_ctx(miner))
    record.save({'temp_offset': -5})
    assert len(miner.writes) == 1
    assert parse_record(miner.messages['msg9']) == {'to': fingerprint(-5)}
    assert record.ctx.warnings == []


def _overwrite_with(**entries):
    """Another run that read the record before this one wrote it, and now writes back its own copy."""
    def write(miner):
        miner.messages['msg9'] = format_record(entries)
    return write


def test_entries_dropped_by_a_concurrent_write_are_merged_again(monkeypatch):
    monkeypatch.setattr(AppliedRecord, '_pause', staticmethod(lambda seconds: None))
    miner = RecordMiner()
    record = AppliedRecord(_ctx(miner))
    # fresh read, then (after our write) the other run's stale copy lands before our read-back
    miner.between.extend([lambda m: None, _overwrite_with(to=fingerprint(-10))])
    record.save({'timezone': 'UTC0'})
    assert parse_record(miner.messages['msg9']) == {'to': fingerprint(-10), 'tz': fingerprint('UTC0')}
    assert len(miner.writes) == 2
    assert any('dropped this task' in w for w in record.ctx.warnings)


def test_a_record_that_keeps_being_rewritten_fails_clearly(monkeypatch):
    monkeypatch.setattr(AppliedRecord, '_pause', staticmethod(lambda seconds: None))
    miner = RecordMiner()
    record = AppliedRecord(_ctx(miner))
    miner.between.extend([lambda m: None] + [_overwrite_with(to=fingerprint(-10)), lambda m: None] * 5)
    with pytest.raises(ModuleFailure) as info:
        record.save({'timezone': 'UTC0'})
    assert 'not recorded' in info.value.msg


def test_save_refuses_a_slot_taken_meanwhile_by_a_customer_message():
    miner = RecordMiner()
    record = AppliedRecord(_ctx(miner))
    miner.between.append(lambda m: m.messages.update(msg9='rack 4 shelf 2'))
    with pytest.raises(ModuleFailure) as info:
        record.save({'timezone': 'UTC0'})
    assert 'not an applied-settings record' in info.value.msg
    assert miner.messages['msg9'] == 'rack 4 shelf 2' and miner.writes == []
