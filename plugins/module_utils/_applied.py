# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The applied-settings record: idempotence for settings the V2.2 API cannot read back.

Pool passwords, temperature offset, up-frequency speed, fan-zero, power-off cooling, heat
mode, web pools, btminer init, time zone and syslog target are write-only in API V2.2. With
``record_slot`` set (one of the miner's customer messages, msg0-msg9), the collection keeps
on the miner itself a short fingerprint of what it last applied for each such setting:

    mo1;tz=3fa2c1;sl=09bd7e;...

A run compares the wanted value's fingerprint with the recorded one and sends only what
differs, then updates the record. The record lives on the miner, so it works from an
ephemeral CI runner. A setting changed behind the collection's back (web page, another
tool) is not seen: the record still says it was applied. ``reapply: true`` sends every
unreadable setting again and rewrites the record; clearing the slot does the same.

Without ``record_slot`` the module is honest: it sends the unreadable settings it is given
on every run and reports ``changed`` with a warning.

Fingerprints are 6 hex characters of SHA-256 over the value; for secrets (pool passwords)
the hash is keyed with the miner's admin password (HMAC), so the record reveals nothing
usable about them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random

from ansible_collections.minerops.whatsminer.plugins.module_utils._green import pause
from ansible_collections.minerops.whatsminer.plugins.module_utils._table import RECORD_KEYS
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure, WhatsMinerError

RECORD_PREFIX = 'mo1'
RECORD_SLOTS = tuple('msg%d' % n for n in range(10))
MAX_RECORD_LENGTH = 127

RECORD_ARGUMENT_SPEC = dict(
    record_slot=dict(type='str', choices=list(RECORD_SLOTS)),
    reapply=dict(type='bool', default=False),
)


def fingerprint(value, secret_key=None):
    text = json.dumps(value, sort_keys=True, separators=(',', ':')).encode('utf-8')
    if secret_key:
        return hmac.new(secret_key.encode('utf-8'), text, hashlib.sha256).hexdigest()[:6]
    return hashlib.sha256(text).hexdigest()[:6]


def parse_record(text):
    """``mo1;k=v;k=v`` -> {k: v}; anything else (empty, foreign text) -> None."""
    if not text or not text.startswith(RECORD_PREFIX + ';') and text != RECORD_PREFIX:
        return None
    entries = {}
    for part in text.split(';')[1:]:
        key, sep, value = part.partition('=')
        if sep and key and value:
            entries[key] = value
    return entries


def format_record(entries):
    text = ';'.join([RECORD_PREFIX] + ['%s=%s' % (key, entries[key]) for key in sorted(entries)])
    if len(text) > MAX_RECORD_LENGTH:
        raise ModuleFailure('the applied-settings record would be %d characters; a customer message holds %d' % (len(text), MAX_RECORD_LENGTH))
    return text


class AppliedRecord:
    """What the collection last applied, as recorded on the miner (or nothing without a slot)."""

    _pause = staticmethod(pause)

    def __init__(self, ctx):
        self.ctx = ctx
        self.slot = ctx.params.get('record_slot')
        self.entries = None
        self.foreign = False
        # API V3 reads most of these settings back: the miner's own value beats any record.
        self.read_back = ctx.miner.settings() or {}
        if self.slot:
            ctx.require_password('read the applied-settings record')
            self.entries = self._read(fresh=False)

    def _read(self, fresh=True):
        """The record's entries as the miner holds them now ({} for an empty slot); ``fresh=False`` may reuse the
        customer messages read since the last write (comparing, not rewriting)."""
        text = self.ctx.miner.customer_messages('keep the applied-settings record (leave record_slot unset)', fresh=fresh).get(self.slot, '')
        entries = parse_record(text)
        if entries is None:
            self.foreign = bool(text)
            if self.foreign:
                raise ModuleFailure('record_slot %s holds a customer message that is not an applied-settings record; '
                                    'choose a free slot or clear it' % self.slot)
            entries = {}
        return entries

    def _fingerprint(self, setting, value, secret):
        # Secrets are keyed with the password the miner takes, whichever option holds it.
        return fingerprint(value, self.ctx.password() if secret else None)

    def to_send(self, wanted, secret=(), warn=True):
        """The settings of ``wanted`` (name -> value, None = not managed) that must be sent.

        ``warn``: say so when settings are sent only because nothing can compare them (no record_slot).
        """
        managed = {name: value for name, value in wanted.items() if value is not None}
        readable = {name: value for name, value in managed.items() if self.read_back.get(name) is not None}
        unreadable = {name: value for name, value in managed.items() if name not in readable}
        send = [name for name, value in readable.items() if self.read_back[name] != value or self.ctx.params.get('reapply')]
        if not self.slot or self.ctx.params.get('reapply'):
            if unreadable and not self.slot and warn:
                self.ctx.warn('%s cannot be read back from this miner\'s API: sent on every run and reported as changed '
                              '(set record_slot to keep a record on the miner and skip unchanged settings)' % ', '.join(sorted(unreadable)))
            send += list(unreadable)
        else:
            send += [name for name, value in unreadable.items()
                     if self.entries.get(RECORD_KEYS[name]) != self._fingerprint(name, value, name in secret)]
        return sorted(send)

    def save(self, applied, secret=()):
        """Record the settings just applied (only when a slot is configured and something changed).

        Another run may write the record at the same time (the miner offers no compare-and-swap):
        the record is read again just before each write and only this task's own entries are
        merged into it, then read back; when another run's write has dropped them, the merge is
        repeated (at most ``RECORD_WRITE_ATTEMPTS`` times, after a short random pause). A
        concurrent change is reported as a warning.
        """
        if not self.slot or not applied:
            return
        ours = {RECORD_KEYS[name]: self._fingerprint(name, value, name in secret) for name, value in applied.items()}
        for attempt in range(RECORD_WRITE_ATTEMPTS):
            fresh = self._read()
            if attempt == 0 and fresh != self.entries:
                self.ctx.warn('the applied-settings record in %s changed while this task ran (another run on this miner?); '
                              'only this task\'s settings were merged into it' % self.slot)
            entries = dict(fresh, **ours)
            if entries != fresh:
                self.ctx.write('set_customer_msg', key=self.slot, val=format_record(entries))
            held = self._still_holds(ours, entries)
            if held is not None:
                self.entries = held
                return
            self.ctx.warn('another run wrote the applied-settings record in %s at the same time and dropped this '
                          'task\'s entries; merging them again' % self.slot)
            self._pause(random.uniform(0.05, 0.3))
        raise ModuleFailure('the applied-settings record in %s kept being rewritten by another run; the settings were '
                            'applied but are not recorded (the next run sends them again)' % self.slot)

    def _still_holds(self, ours, written):
        """The record as read back when it holds our entries, now and once more a moment later; else None.

        The second look closes most of the race with a run that read the record just before our
        write and writes its own merge just after (dropping ours): its write lands within the pause.
        """
        for check in (1, 2):
            try:
                now = self._read()
            except (WhatsMinerError, ModuleFailure) as exc:
                self.ctx.warn('the applied-settings record in %s was written but could not be read back: %s' % (self.slot, exc))
                return written
            if not all(now.get(key) == value for key, value in ours.items()):
                return None
            if check == 1:
                self._pause(random.uniform(*RECORD_SECOND_LOOK_SECONDS))
        return now


RECORD_WRITE_ATTEMPTS = 5
# The pause before the second read-back of a record just written (seconds, random within).
RECORD_SECOND_LOOK_SECONDS = (0.2, 0.5)
