# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The convergence engine (private to the collection), driven by the settings table of ``_table.py``.

:func:`plan` reads what the rows need once and decides what to send; :func:`apply` sends it in the
table's safe order (restarting writes one at a time, waiting for each); :func:`verify` reads the
readable rows back. :func:`converge` is the check/diff discipline the list-shaped resources
(pools, network, customer messages) use directly.
"""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils._table import SETTINGS
from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import AppliedRecord
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure, Unsupported
from ansible_collections.minerops.whatsminer.plugins.module_utils._restart import send_restarting


def converge(ctx, before, after, apply, result=None):
    """The check/diff discipline: compare, apply only when different and not in check mode.

    ``result`` (updated in place and returned) may be filled by ``apply`` as it goes.
    """
    result = result if result is not None else {}
    changed = before != after
    if changed and not ctx.check_mode:
        apply()
    result['changed'] = changed
    if ctx.diff:
        result['diff'] = dict(before=before, after=after)
    return result


def _managed(row, value):
    """None leaves a setting alone; False too for an action (restore_power_percent), not for a switch."""
    if value is None:
        return False
    return value is not False or not row.action


class Plan:
    """What :func:`plan` found: the values read, the values wanted, and what to send in which order."""

    def __init__(self, wanted, before, send, unverified, record, current, restarting):
        self.wanted = wanted
        self.restarting = restarting  # the names in ``send`` that restart btminer on this miner
        self.before = before
        self.current = current
        self.send = send
        self.unverified = unverified
        self.record = record


def read_values(miner, names):
    """The values of the readable rows among ``names``, read with as few requests as the miner allows."""
    rows = [SETTINGS[name] for name in names if SETTINGS[name].read is not None]
    needed = []
    for row in rows:
        needed.extend(section for section in row.sections if section not in needed)
    # A section this firmware lacks (get_miner_info before API 2.0): its settings are not reported.
    sections = miner.read_offered(needed, lacking=Unsupported)[0] if needed else {}
    return dict((row.name, row.read(sections) if all(section in sections for section in row.sections) else None) for row in rows)


def _compare_with_record(ctx, managed, before, send, secret):
    """Add to ``send`` the unreadable settings the miner's read-back or the record shows as different.

    Returns the record (None when no such setting is managed) and the names it could compare.
    """
    recorded = dict((name, value) for name, value in managed.items() if name not in before and SETTINGS[name].record_key)
    if not recorded:
        return None, set()
    record = AppliedRecord(ctx)
    send += record.to_send(recorded, secret, warn=False)
    return record, set(name for name in recorded if record.slot or record.read_back.get(name) is not None)


def check_wanted(ctx, wanted):
    """The managed settings of ``wanted``, their ranges checked, then what this miner's model or API refuses within
    them (before anything is sent)."""
    managed = dict((name, value) for name, value in wanted.items() if _managed(SETTINGS[name], value))
    for name, value in managed.items():
        SETTINGS[name].check(value)
    refused = [SETTINGS[name].limit(ctx.miner, value) for name, value in sorted(managed.items())
               if SETTINGS[name].limit is not None and not isinstance(value, bool)]
    refused = [message for message in refused if message]
    if refused:
        raise ModuleFailure('; '.join(refused) + '; nothing was sent')
    return managed


def _refuse_blind_restarts(ctx, before, restarting):
    """A setting that restarts btminer but that this firmware does not report would restart it on every run,
    never verified: refuse it before anything is sent, naming the firmware."""
    blind = sorted(name for name in restarting if SETTINGS[name].read is not None and name not in before)
    if not blind:
        return
    version = ctx.miner.read('version')
    # Only a miner that says which firmware it runs is taken at its word; an unreadable reply is not a firmware trait.
    if version.get('fw_ver') and version.get('api_version'):
        raise ModuleFailure('%s cannot be read back from this miner (firmware %s, API %s): each change restarts btminer, so it '
                            'would be sent and restart the miner on every run without ever being verified; nothing was sent'
                            % (', '.join(blind), version.get('fw_ver'), version.get('api_version')))


def _warn_unverified(ctx, unverified):
    if unverified:
        hint = (' (set record_slot to keep a record on the miner and skip unchanged settings)'
                if any(SETTINGS[name].record_key for name in unverified) else '')
        ctx.warn('%s cannot be read back from this miner\'s API: sent on every run and reported as changed%s'
                 % (', '.join(sorted(unverified)), hint))


def plan(ctx, wanted, secret=(), report=()):
    """Decide what to send for ``wanted`` (setting name -> value; None = not managed).

    ``report``: readable settings read in the same requests for the caller (``Plan.current``), managed or not.

    Readable rows are compared with the miner; rows the miner reads back through ``Miner.settings()``
    or whose record_key the applied-settings record holds are compared with those; the others
    (``unverified``: run-time power targets) are sent whenever they are given.
    """
    managed = check_wanted(ctx, wanted)
    current = read_values(ctx.miner, list(managed) + [name for name in report if name not in managed])
    # A readable setting the firmware leaves out (older firmware) is compared like a write-only one.
    before = dict((name, value) for name, value in current.items() if name in managed and value is not None)
    restarting = [name for name, value in managed.items() if SETTINGS[name].restarts_on(ctx.miner, value, ctx.params)]
    _refuse_blind_restarts(ctx, before, restarting)
    send = [name for name, value in managed.items() if name in before and before[name] != value]
    record, compared = _compare_with_record(ctx, managed, before, send, secret)
    unverified = [name for name in managed if name not in before and name not in compared]
    send += [name for name in unverified if name not in send]
    send.sort(key=lambda name: (SETTINGS[name].order(managed[name]), name))
    _warn_unverified(ctx, unverified)
    return Plan(managed, before, send, unverified, record, current, [name for name in send if name in restarting])


def apply(ctx, plan_, wait=True, wait_timeout=300, result=None, secret=()):
    """Send ``plan_.send`` in the table's order; record what went through. Returns restart facts in ``result``."""
    result = result if result is not None else {}
    result.setdefault('pending_restart', False)
    result.setdefault('restart_seconds', 0.0)
    result.setdefault('no_reply', [])
    recorded = {}
    try:
        for name in plan_.send:
            _send_setting(ctx, SETTINGS[name], plan_.wanted[name], name in plan_.restarting, wait, wait_timeout, result)
            if plan_.record is not None and SETTINGS[name].record_key and name not in plan_.before:
                recorded[name] = plan_.wanted[name]
    finally:
        # Record what did go through, even when a later setting failed.
        if plan_.record is not None:
            plan_.record.save(recorded, secret)
    return result


def _send_setting(ctx, row, value, restarts, wait, wait_timeout, result):
    for command, params in row.writes(value, ctx.params):
        if restarts:
            _send_restarting(ctx, row, value, command, params, wait, wait_timeout, result)
        else:
            ctx.write(command, **params)


def _send_restarting(ctx, row, value, command, params, wait, wait_timeout, result):
    settled = _shows(ctx.miner, row.name, value) if row.settled else None
    outcome = send_restarting(ctx, command, wait, wait_timeout, settled=settled, **params)
    if not outcome['replied']:
        result['no_reply'].append(command)
    if wait:
        result['restart_seconds'] = round(result['restart_seconds'] + outcome['waited'], 1)
    else:
        result['pending_restart'] = True


def _shows(miner, name, value):
    """A read-back predicate: the miner reports ``value`` for setting ``name``."""
    return lambda: read_values(miner, [name])[name] == value


def verify(ctx, plan_):
    """Read the readable rows back; fail naming each one the miner does not report as wanted."""
    current = read_values(ctx.miner, plan_.before)
    mismatched = sorted(name for name in plan_.before if current[name] != plan_.wanted[name])
    if mismatched:
        raise ModuleFailure('the miner reports %s after the change; wanted %s'
                            % (', '.join('%s=%r' % (name, current[name]) for name in mismatched),
                               ', '.join('%s=%r' % (name, plan_.wanted[name]) for name in mismatched)),
                            state=current)
    return current


def _diff_value(plan_, name, value, secret):
    return '(secret)' if name in secret else value


def _diff_before(plan_, name, secret):
    if name in plan_.before:
        return _diff_value(plan_, name, plan_.before[name], secret)
    record = plan_.record
    if record is not None and record.read_back.get(name) is not None:
        return _diff_value(plan_, name, record.read_back[name], secret)
    if record is not None and record.slot and name not in plan_.send:
        return '(as recorded)'
    return '(unknown: not readable)'


def converge_settings(ctx, wanted, secret=(), result=None):
    """Converge the table settings of ``wanted`` and report them (whatsminer_cooling, whatsminer_settings).

    The diff shows the wanted values (never secrets) against the miner's value where it can be read,
    else against what the record says.
    """
    plan_ = plan(ctx, wanted, secret)
    result = dict(result or {})
    result.update(changed=bool(plan_.send), sent=list(plan_.send) if not ctx.check_mode else [], would_send=list(plan_.send),
                  recorded=bool(plan_.record is not None and plan_.record.slot))
    if ctx.diff:
        names = sorted(plan_.wanted)
        result['diff'] = dict(before=dict((name, _diff_before(plan_, name, secret)) for name in names),
                              after=dict((name, _diff_value(plan_, name, plan_.wanted[name], secret)) for name in names))
    if plan_.send and not ctx.check_mode:
        apply(ctx, plan_, secret=secret)
        _verify_read_back(ctx, plan_, secret)
    return result


def _verify_read_back(ctx, plan_, secret):
    """Read back what was sent where the miner reports it (``Miner.settings()``); fail naming what it does not show."""
    if plan_.record is None:
        return
    compared = [name for name in plan_.send if plan_.record.read_back.get(name) is not None]
    if not compared:
        return
    now = ctx.miner.settings() or {}
    mismatched = sorted(name for name in compared if now.get(name) != plan_.wanted[name])
    if mismatched:
        raise ModuleFailure('the miner acknowledged %s but reports %s after the change; wanted %s'
                            % (', '.join(mismatched),
                               ', '.join('%s=%r' % (name, _diff_value(plan_, name, now.get(name), secret)) for name in mismatched),
                               ', '.join('%s=%r' % (name, _diff_value(plan_, name, plan_.wanted[name], secret)) for name in mismatched)))
