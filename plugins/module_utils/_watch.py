# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Watch a fleet for what an operator acts on (the Event-Driven Ansible source ``fleet_watch``).

One poll reads every miner once over the fan-out engine (status, summary, pools, error codes: read-only
commands, no token on API V2.2), each miner bounded by the transport's deadlines. :class:`Watch` keeps the
last reading per miner and turns the next one into events *on change only* (a miner that stays too hot is
one ``temperature_high``, not one per poll), so a rulebook acts once per transition.

Everything in an event that the miner sent is untrusted: numbers are numbers, codes are integers, and text
(a pool URL, an error message) is cut short and cannot be a Jinja2 template when a rulebook passes the event
to a playbook as extra vars (see :func:`inert`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import TaskContext
from ansible_collections.minerops.whatsminer.plugins.module_utils._facts import read_sections, round_figure
from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import connection_options, members_from_hostvars
from ansible_collections.minerops.whatsminer.plugins.module_utils._green import map_concurrently
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import MinerTimeout, MinerUnreachable, WhatsMinerError
from ansible_collections.minerops.whatsminer.plugins.module_utils.replies import to_number

WATCH_SUBSETS = ('status', 'summary', 'pools', 'error_codes')

# Error codes that restarting btminer is known to clear (the process lost a board, a pool or its hash rate);
# anything about power, fans, temperature or hardware needs a person, not a restart loop.
RECOVERABLE_CODES = (
    2010,  # all pools are disabled
    2020, 2021, 2022, 2023,  # pool N connection failed
    2310, 2320, 2330, 2340, 2350,  # hash rate too low / loss
    530, 531, 532, 533,  # slot N not found
    540, 541, 542, 543,  # slot N error reading chip id
    580, 581, 582, 583,  # slot N reset error
    900, 901,  # process error, exited with a signal
)

WATCH_DEFAULTS = dict(
    interval=30.0,  # seconds between the starts of two polls
    timeout=5.0,  # per-request deadline of each miner
    concurrency=200,
    hashrate_min_share=0.8,  # hashrate_low below this share of the nominal hash rate
    chip_temp_max_c=95.0,  # temperature_high at or above this chip temperature
    warmup_seconds=900.0,  # no hashrate_low in the first minutes after btminer starts
    recoverable_codes=RECOVERABLE_CODES,
)

_TEXT_LIMIT = 200


def inert(value, limit=_TEXT_LIMIT):
    """Text from a miner made safe to hand to a playbook: at most ``limit`` characters, printable, and never a
    Jinja2 expression, statement or comment (a ``{`` followed by ``{``, ``%`` or ``#`` gets a space between)."""
    if value is None:
        return None
    text = ''.join(ch if ch.isprintable() else ' ' for ch in str(value)[:limit])
    for opening in ('{{', '{%', '{#'):
        while opening in text:
            text = text.replace(opening, opening[0] + ' ' + opening[1])
    return text


def _code(value):
    """An error code: an integer (or integral text), never a boolean or a fraction; else None."""
    number = to_number(value)
    return number if isinstance(number, int) else None


def observe(member, options, client_factory=None):
    """One miner's reading: ``{reachable, mining, hashrate_ths, nominal_ths, uptime_s, chip_temp_max_c, codes, pools}``.

    ``member`` is a fan-out miner entry (name, host, port, password...). A miner that does not answer, or answers
    with something unreadable, is ``reachable: False`` with the reason; this never raises for one miner.
    """
    params = connection_options(member, options)
    reading = dict(name=member.get('name') or member['host'], host=params['host'], port=params['port'])
    try:
        miner = TaskContext(params, client_factory=client_factory).open_miner()
        missing = []
        sections = read_sections(miner, list(WATCH_SUBSETS), missing)
    except WhatsMinerError as exc:
        reading.update(reachable=False, unreachable=isinstance(exc, (MinerUnreachable, MinerTimeout)), error=inert(exc))
        return reading
    summary = sections.get('summary') or {}
    status = sections.get('status') or {}
    codes = sections.get('error_codes')
    if codes is None:
        codes = summary.get('error_codes') or []  # older firmware reports them in summary
    nominal = to_number(member.get('nominal_ths')) or to_number(summary.get('factory_ths'))
    reading.update(
        reachable=True, unreachable=False, error=None,
        mining=status.get('mining') if isinstance(status.get('mining'), bool) else None,
        hashrate_ths=round_figure(to_number(summary.get('hashrate_ths'))),
        nominal_ths=round_figure(nominal),
        uptime_s=to_number(summary.get('elapsed')) if summary.get('elapsed') is not None else to_number(summary.get('uptime')),
        chip_temp_max_c=to_number(summary.get('chip_temp_max')),
        codes=dict((code, inert(entry.get('description'))) for code, entry in
                   ((_code(entry.get('code')), entry) for entry in codes if isinstance(entry, dict)) if code is not None),
        pools=[dict(priority=_code(pool.get('priority')), url=inert(pool.get('url')), alive=pool.get('status') == 'Alive')
               for pool in (sections.get('pools') or []) if isinstance(pool, dict)],
    )
    return reading


def _flag(old, new, name):
    """'on' when flag ``name`` turned on, 'off' when it turned off, else None (unknown counts as unchanged)."""
    before = old.get(name) if old else None
    after = new.get(name)
    if after is None or before == after:
        return None
    return 'on' if after else 'off' if before is not None else None


def judge(reading, options):
    """The conditions of one reading: hashrate_low, temperature_high, pool_dead (True, False or None = unknown)."""
    if not reading['reachable']:
        return {}
    share = options['hashrate_min_share']
    hashrate, nominal = reading['hashrate_ths'], reading['nominal_ths']
    low = None
    if reading['mining'] is False:
        low = False  # a miner told to stop (curtailment) is not under-performing
    elif hashrate is not None and nominal and (reading['uptime_s'] is None or reading['uptime_s'] >= options['warmup_seconds']):
        low = hashrate < share * nominal
    temperature = reading['chip_temp_max_c']
    pools = reading['pools']
    return dict(hashrate_low=low,
                temperature_high=None if temperature is None else temperature >= options['chip_temp_max_c'],
                pool_dead=(not any(pool['alive'] for pool in pools)) if pools else None)


_CONDITIONS = (('hashrate_low', 'hashrate_low', 'hashrate_ok'), ('temperature_high', 'temperature_high', 'temperature_ok'),
               ('pool_dead', 'pool_dead', 'pool_alive'))


class Watch:
    """The fleet's last known state, and the events that tell how the next poll differs from it."""

    def __init__(self, members, options=None, client_factory=None, clock=time.time):
        self.members = list(members)
        self.options = dict(WATCH_DEFAULTS, **(options or {}))
        self.recoverable = frozenset(int(code) for code in self.options['recoverable_codes'])
        self.client_factory = client_factory
        self.clock = clock
        self.state = {}  # name -> (reading, conditions)

    def poll(self):
        """Read every miner once (bounded) and return the events of what changed, in the fleet's order."""
        readings = map_concurrently(lambda member: observe(member, self.options, self.client_factory), self.members,
                                    int(self.options['concurrency']), green=self.client_factory is None)
        events = []
        for reading in readings:
            events.extend(self.update(reading))
        return events

    def update(self, reading):
        """The events of one miner's new reading (and remember it)."""
        name = reading['name']
        old_reading, old_conditions = self.state.get(name, (None, {}))
        conditions = judge(reading, self.options)
        self.state[name] = (reading if reading['reachable'] else dict(old_reading or {}, reachable=False), conditions or old_conditions)
        if not reading['reachable']:
            if old_reading is None or old_reading.get('reachable'):
                return [self._event('miner_unreachable', reading, error=reading['error'], answered=not reading['unreachable'])]
            return []
        events = []
        if old_reading is not None and not old_reading.get('reachable'):
            events.append(self._event('miner_back', reading))
        before = (old_reading or {}).get('codes') or {}
        for code in sorted(set(reading['codes']) - set(before)):
            events.append(self._event('error_code_new', reading, code=code, description=reading['codes'][code],
                                      recoverable=code in self.recoverable))
        if old_reading is not None and old_reading.get('codes') is not None:
            for code in sorted(set(before) - set(reading['codes'])):
                events.append(self._event('error_code_cleared', reading, code=code))
        for condition, on, off in _CONDITIONS:
            turn = _flag(old_conditions, conditions, condition)
            if turn == 'on':
                events.append(self._event(on, reading))
            elif turn == 'off':
                events.append(self._event(off, reading))
        return events

    def _event(self, kind, reading, **detail):
        figures = dict((key, reading.get(key)) for key in ('mining', 'hashrate_ths', 'nominal_ths', 'chip_temp_max_c'))
        if reading.get('pools') is not None:
            figures['pools'] = reading['pools']
        return dict(whatsminer=dict(event=kind, miner=reading['name'], host=reading['host'], port=reading['port'],
                                    time=round(self.clock(), 3), detail=detail, figures=figures))


class WatchArgumentError(ValueError):
    """A fleet_watch argument is wrong (the message names it and what it accepts)."""


_NUMBERS = dict(interval=(float, 1.0, 86400.0), timeout=(float, 0.1, 300.0), concurrency=(int, 1, 10000),
                hashrate_min_share=(float, 0.0, 1.0), warmup_seconds=(float, 0.0, 86400.0), chip_temp_max_c=(float, 30.0, 150.0),
                polls=(int, 0, 10 ** 9))
_KNOWN = set(_NUMBERS) | {'miners', 'inventory', 'group', 'password', 'v3_password', 'recoverable_codes'}


def _numbers(args):
    options = {}
    for name, (kind, low, high) in _NUMBERS.items():
        value = args.get(name)
        if value is None:
            continue
        try:
            number = kind(value)
            if isinstance(value, bool) or (kind is int and number != float(value)):
                raise ValueError(value)
        except (TypeError, ValueError):
            raise WatchArgumentError('fleet_watch: %s must be a%s number between %s and %s, got %r'
                                     % (name, 'n integer' if kind is int else '', low, high, value))
        if not low <= number <= high:
            raise WatchArgumentError('fleet_watch: %s must be between %s and %s, got %s' % (name, low, high, value))
        options[name] = number
    return options


def _members(args, run=None):
    miners, inventory = args.get('miners'), args.get('inventory')
    if bool(miners) == bool(inventory):
        raise WatchArgumentError('fleet_watch: give either miners (a list) or inventory (a path), not %s'
                                 % ('both' if miners else 'neither'))
    if inventory:
        return inventory_members(inventory, args.get('group') or 'miners', run=run)
    if not isinstance(miners, list):
        raise WatchArgumentError('fleet_watch: miners must be a list of addresses or dicts with host, got %s' % type(miners).__name__)
    members = []
    for position, miner in enumerate(miners):
        entry = dict(host=miner) if isinstance(miner, str) else miner
        if not isinstance(entry, dict) or not isinstance(entry.get('host'), str) or not entry['host']:
            raise WatchArgumentError('fleet_watch: miners[%d] must be an address or a dict with host' % position)
        members.append(dict(entry))
    return members


def _inventory_listing(path, run=None):
    """``ansible-inventory --list`` of ``path`` as a dict (bounded: 120 s), the rulebook's own ansible-inventory first."""
    beside = os.path.join(os.path.dirname(sys.executable), 'ansible-inventory')
    command = [beside if os.path.exists(beside) else 'ansible-inventory', '-i', path, '--list']
    try:
        listing = json.loads((run or subprocess.check_output)(command, stderr=subprocess.STDOUT, timeout=120))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise WatchArgumentError('fleet_watch: cannot read inventory %s: %s' % (path, inert(getattr(exc, 'output', None) or exc, 400)))
    if not isinstance(listing, dict):
        raise WatchArgumentError('fleet_watch: cannot read inventory %s: ansible-inventory did not list groups' % path)
    return listing


def _group_hosts(listing, group):
    """The hosts of ``group`` and of its children, each once, in the inventory's order."""
    hosts, seen_hosts, pending, seen_groups = [], set(), [group], set()
    while pending:
        name = pending.pop(0)
        if name in seen_groups:
            continue
        seen_groups.add(name)
        entry = listing.get(name) or {}
        for host in entry.get('hosts') or []:
            if host not in seen_hosts:
                seen_hosts.add(host)
                hosts.append(host)
        pending.extend(entry.get('children') or [])
    return hosts


def inventory_members(path, group, run=None):
    """The miners of ``group`` in the inventory at ``path``, as fan-out entries; a templated value is refused."""
    listing = _inventory_listing(path, run)
    hosts = _group_hosts(listing, group)
    if not hosts:
        raise WatchArgumentError('fleet_watch: inventory %s has no host in group %s' % (path, group))
    hostvars = (listing.get('_meta') or {}).get('hostvars') or {}
    members = members_from_hostvars(hosts, dict((host, hostvars.get(host) or {}) for host in hosts))
    for member in members:
        nominal = (hostvars.get(member['name']) or {}).get('whatsminer_nominal_ths')
        if nominal is not None:
            member['nominal_ths'] = nominal
        templated = [key for key, value in member.items() if isinstance(value, str) and ('{{' in value or '{%' in value)]
        if templated:
            raise WatchArgumentError('fleet_watch: %s: the %s in inventory %s is a template, which fleet_watch does not render; '
                                     'set a plain value (or give the password option)' % (member['name'], templated[0], path))
    return members


def watch_from_args(args, run=None, client_factory=None):
    """(Watch, interval, polls) from the source's arguments; WatchArgumentError names a wrong one before anything is read."""
    args = dict(args or {})
    args.pop('eda_feedback_queue', None)
    unknown = sorted(set(args) - _KNOWN)
    if unknown:
        raise WatchArgumentError('fleet_watch: unknown option %s; allowed: %s' % (', '.join(unknown), ', '.join(sorted(_KNOWN))))
    options = _numbers(args)
    codes = args.get('recoverable_codes')
    if codes is not None:
        if not isinstance(codes, list) or any(_code(code) is None for code in codes):
            raise WatchArgumentError('fleet_watch: recoverable_codes must be a list of error codes (integers), got %r' % (codes,))
        options['recoverable_codes'] = [_code(code) for code in codes]
    members = _members(args, run=run)
    for member in members:
        if args.get('password') and not member.get('password'):
            member['password'] = args['password']
        if args.get('v3_password') and not member.get('v3_password'):
            member['v3_password'] = args['v3_password']
    interval = options.pop('interval', WATCH_DEFAULTS['interval'])
    polls = options.pop('polls', 0)
    return Watch(members, options, client_factory=client_factory), interval, polls
