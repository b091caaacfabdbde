# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted stand-in for WhatsMinerClient: canned read replies, recorded writes."""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import TaskContext, execute
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import CONNECTION_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import InvalidCommand

OK = {'STATUS': 'S', 'When': 1700000000, 'Code': 131, 'Msg': 'API command OK', 'Description': ''}


def pools_reply(*pools):
    return {'STATUS': [{'STATUS': 'S', 'Msg': '3 Pool(s)'}],
            'POOLS': [{'POOL': n + 1, 'URL': url, 'User': user, 'Priority': n, 'Status': 'Alive'} for n, (url, user) in enumerate(pools)]}


def status_reply(mining=True, mode='Normal', limit=3600, percent=0, firmware='20240101.16.REL'):
    msg = {'mineroff': 'false' if mining else 'true', 'FirmwareVersion': firmware,
           'power_mode': mode, 'power_limit_set': str(limit), 'hash_percent': str(percent)}
    return {'STATUS': 'S', 'Code': 131, 'Msg': msg}


def summary_reply(fast_boot=False, mode='Normal', limit=3600):
    return {'STATUS': [{'STATUS': 'S', 'Msg': 'Summary'}],
            'SUMMARY': [{'MHS av': 100000000.0, 'Power': 3400, 'Power Mode': mode, 'Power Limit': limit,
                         'Btminer Fast Boot': 'enable' if fast_boot else 'disable'}]}


class FakeClient:
    host = '192.0.2.10'
    port = 4028

    def __init__(self, reads=None, on_write=None):
        self.reads = dict(reads or {})
        self.calls = []
        self.on_write = on_write

    def read(self, command, **params):
        self.calls.append(('read', command))
        reply = self.reads[command]
        return reply() if callable(reply) else reply

    def read_joined(self, *commands):
        """Like firmware that refuses joined reads: the miner then reads each section on its own."""
        raise InvalidCommand(14, 'invalid cmd', command='+'.join(commands))

    def write(self, command, restarting=False, **params):
        self.calls.append(('write', command, params))
        if self.on_write:
            self.on_write(self, command, params)
        return OK

    def check_credentials(self):
        """Check mode proves the password (a token and a read); the fake accepts it."""
        self.calls.append(('check_credentials',))

    @property
    def writes(self):
        return [call[1] for call in self.calls if call[0] == 'write']


def run(handler, client, params, check_mode=False, diff=True, module_spec=None):
    full = dict((name, spec.get('default')) for name, spec in CONNECTION_ARGUMENT_SPEC.items())
    full.update(host=client.host, password='s3cret')
    for name, spec in (module_spec or {}).items():
        full.setdefault(name, spec.get('default'))
    full.update(params)
    ctx = TaskContext(full, check_mode=check_mode, diff=diff, client_factory=lambda *args, **kwargs: client)
    return execute(handler, ctx)
