# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fan-out operations over many miners from one task (whatsminer_fleet_power).

Each miner gets its own client and :class:`TaskContext` and runs the same resource function as
the per-host module (``power.ensure_power``), in a thread pool: a demand-response curtailment of
a thousand miners then takes seconds instead of a fork per host.
"""

from __future__ import annotations

import json
import os
import tempfile
import time

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import (
    CONNECTION_ARGUMENT_SPEC,
    DEFAULT_PORT,
    ModuleFailure,
    TaskContext,
    execute,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    WhatsMinerError,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils._green import map_concurrently, pause
from ansible_collections.minerops.whatsminer.plugins.module_utils._facts import read_sections, round_figure
from ansible_collections.minerops.whatsminer.plugins.module_utils._power import ensure_power, validate as validate_power


# The whatsminer_power parameters a fan-out run does not set (wait_timeout comes from the task).
_POWER_DEFAULTS = dict(
    mining=None, mode=None, power_limit=None, target_freq_percent=None, power_percent=None,
    power_percent_method='fast', restore_power_percent=False, power=None, fast_boot=None, upfreq_speed=None, wait=True,
)


def _curtailed(params):
    if params.get('power_percent') is None and params.get('power') is None:
        raise ModuleFailure('state=curtailed needs power_percent or power')
    # power percent and power targets do not restart btminer and cannot be read back: nothing to wait for
    return dict(power_percent=params.get('power_percent'), power=params.get('power'), wait=False)


def _off(params):
    if params.get('power_percent') is not None or params.get('power') is not None:
        raise ModuleFailure('state=off stops mining; power_percent and power cannot be combined with it')
    return dict(mining=False)


def _restored(params):
    if params.get('power_percent') is not None:
        raise ModuleFailure('state=restored undoes power_percent; it cannot be combined with it '
                            '(power sets the normal power target back)')
    return dict(mining=True, restore_power_percent=True)


_STATES = dict(curtailed=_curtailed, off=_off, restored=_restored)


def power_params(params):
    """The whatsminer_power parameters that bring one miner to ``params['state']``."""
    wanted = dict(_POWER_DEFAULTS, power_percent_method=params['power_percent_method'], wait_timeout=params['wait_timeout'])
    wanted.update(_STATES[params['state']](params))
    return wanted


def power_steps(params):
    """The whatsminer_power parameter sets to apply one after the other.

    Restoring with ``power`` first undoes a percent curtailment and starts mining, then sets the normal power
    target back (whatsminer_power refuses restore_power_percent and power in one task).
    """
    steps = [power_params(params)]
    if params['state'] == 'restored' and params.get('power') is not None:
        steps.append(dict(_POWER_DEFAULTS, power=params['power'], wait=False, wait_timeout=params['wait_timeout']))
    return steps


def _read_power(miner, sections=('status', 'summary')):
    """The sections read, and the power drawn, the hash rate and the mining state in them (as the facts name them)."""
    values = read_sections(miner, list(sections))
    summary, status = values.get('summary') or {}, values.get('status') or {}
    return values, dict(power_w=summary.get('power'), hashrate_ths=round_figure(summary.get('hashrate_ths')), mining=status.get('mining'))


def _watts_to_kw(values):
    return round(sum(value for value in values if value) / 1000.0, 3)


class _Schedule:
    """Start times spread evenly over the ramp: miner i may start at ``i * ramp / n``."""

    def __init__(self, count, ramp_seconds, clock=None, sleep=None):
        self._clock = clock or time.monotonic
        self._sleep = sleep or pause
        self.start = self._clock()
        self.step = float(ramp_seconds) / count if count and ramp_seconds else 0.0

    def wait_turn(self, index):
        delay = self.start + index * self.step - self._clock()
        if delay > 0:
            self._sleep(delay)


# What a per-host task would take for an option the miner's entry leaves out: the connection options' own defaults.
_CONNECTION_DEFAULTS = dict((name, spec.get('default')) for name, spec in CONNECTION_ARGUMENT_SPEC.items())


def _hostvar(variables, name, default=None):
    try:
        value = variables[name]
    except KeyError:
        return default
    return default if value is None else value


def members_from_hostvars(hosts, hostvars, password=None):
    """The fan-out miner entries of inventory ``hosts`` (the fleet_members filter, the fleet_watch EDA source).

    The address is ``ansible_host`` (else the inventory name), the port ``whatsminer_port`` (else 4028), the password
    ``whatsminer_password`` (else ``password``); ``whatsminer_api``, ``whatsminer_v3_port``, ``whatsminer_v3_account``
    and ``whatsminer_v3_password`` when set. LookupError names a host that is not in ``hostvars``.
    """
    if isinstance(hosts, str):
        hosts = [hosts]
    members = []
    for name in hosts:
        try:
            variables = hostvars[name]
        except KeyError:
            raise LookupError('%s is not in the inventory' % name)
        member = dict(name=str(name), host=str(_hostvar(variables, 'ansible_host', name)), port=int(_hostvar(variables, 'whatsminer_port', 4028)))
        secret = _hostvar(variables, 'whatsminer_password', password)
        if secret is not None:
            member['password'] = str(secret)
        for option in ('api', 'v3_port', 'v3_account', 'v3_password'):
            value = _hostvar(variables, 'whatsminer_' + option, None)
            if value is not None:
                member[option] = int(value) if option == 'v3_port' else str(value)
        members.append(member)
    return members


def connection_options(miner, params):
    return dict(host=miner['host'], port=miner.get('port') or _CONNECTION_DEFAULTS['port'],
                password=miner.get('password') or params.get('password'), timeout=params['timeout'],
                api=miner.get('api') or _CONNECTION_DEFAULTS['api'], v3_port=miner.get('v3_port') or _CONNECTION_DEFAULTS['v3_port'],
                v3_account=miner.get('v3_account') or _CONNECTION_DEFAULTS['v3_account'], v3_password=miner.get('v3_password'))


def _run_steps(connection, steps, check_mode, outcome):
    """Run the whatsminer_power steps on one miner; return its state, or None when a step failed."""
    state = {}
    for step in steps:
        result = execute(ensure_power, TaskContext(step, check_mode=check_mode, miner=connection))
        state = result.get('state') or state
        outcome.update(changed=outcome['changed'] or bool(result.get('changed')), commands=outcome['commands'] + result.get('commands', []))
        if result.get('failed'):
            outcome.update(failed=True, outcome='failed', msg=result.get('msg', ''))
            return None
    return state


def _read_after(connection, before_summary, settle):
    """The power after the change: the power logic's own read-back of a moment ago when there was no settle time."""
    fresh = connection.latest.get('summary')
    if settle <= 0 and fresh is not None and fresh is not before_summary:
        connection.remember(dict(summary=fresh))
    return _read_power(connection, ('summary',))[1]


def drive_miner(index, miner, params, check_mode, schedule, client_factory=None):
    """Bring one miner to the wanted state; return its outcome (never raises for a miner's failure)."""
    conn = connection_options(miner, params)
    outcome = dict(name=miner.get('name') or conn['host'], host=conn['host'], port=conn['port'], changed=False, failed=False,
                   outcome=None, msg='', commands=[], power_before_w=None, power_after_w=None, shed_w=None,
                   hashrate_before_ths=None, hashrate_after_ths=None, mining=None)
    schedule.wait_turn(index)
    started = time.monotonic()
    steps = [dict(step, **conn) for step in power_steps(params)]
    connection = TaskContext(steps[0], client_factory=client_factory).open_miner()
    try:
        sections, before = _read_power(connection)
    except WhatsMinerError as exc:
        outcome.update(failed=True, outcome='unreachable' if isinstance(exc, (MinerUnreachable, MinerTimeout)) else 'failed', msg=str(exc))
        return outcome
    outcome.update(power_before_w=before['power_w'], hashrate_before_ths=before['hashrate_ths'], mining=before['mining'])
    # The power logic starts from the sections read a moment ago instead of asking the miner again.
    connection.remember(sections)
    state = _run_steps(connection, steps, check_mode, outcome)
    if state is None:
        return outcome
    outcome['outcome'] = 'would be ' + params['state'] if check_mode else params['state']
    if check_mode:
        outcome.update(power_after_w=before['power_w'], hashrate_after_ths=before['hashrate_ths'])
    else:
        settle = params['settle_seconds'] - (time.monotonic() - started)
        if settle > 0:
            pause(settle)
        try:
            after = _read_after(connection, sections['summary'], settle)
        except WhatsMinerError as exc:
            outcome['msg'] = 'changed, but the power could not be read back: %s' % exc
            return outcome
        outcome.update(power_after_w=after['power_w'], hashrate_after_ths=after['hashrate_ths'],
                       mining=state.get('mining', before['mining']))
    if outcome['power_before_w'] is not None and outcome['power_after_w'] is not None:
        outcome['shed_w'] = round(outcome['power_before_w'] - outcome['power_after_w'], 1)
    return outcome


class _Progress:
    """Tells the operator how far a long fan-out has gone, at most every ``every`` seconds (ctx.progress)."""

    def __init__(self, ctx, total, started, every=5.0, clock=None):
        self._say = ctx.progress
        self._clock = clock or time.monotonic
        self.total, self.started, self.every = total, started, every
        self.done = self.failed = 0
        self._next = started + every

    def __call__(self, outcome):
        self.done += 1
        self.failed += 1 if outcome['failed'] else 0
        now = self._clock()
        if self._say is not None and now >= self._next and self.done < self.total:
            self._next = now + self.every
            self._say('%d of %d miners done (%d failed) in %.1f s' % (self.done, self.total, self.failed, now - self.started))


def summarize(outcomes, elapsed):
    failed = [o for o in outcomes if o['failed']]
    done = [o for o in outcomes if not o['failed']]
    return dict(
        total=len(outcomes),
        ok=len(done),
        changed=sum(1 for o in outcomes if o['changed']),
        failed=len(failed),
        unreachable=sum(1 for o in failed if o['outcome'] == 'unreachable'),
        failed_percent=round(100.0 * len(failed) / len(outcomes), 1) if outcomes else 0.0,
        power_before_kw=_watts_to_kw(o['power_before_w'] for o in done),
        power_after_kw=_watts_to_kw(o['power_after_w'] for o in done),
        shed_kw=round(_watts_to_kw(o['power_before_w'] for o in done) - _watts_to_kw(o['power_after_w'] for o in done), 3),
        elapsed_s=round(elapsed, 2),
    )


def validate_fleet(params):
    """Refuse bad input before any miner is touched (check mode too: whatsminer_power needs the password either way)."""
    for step in power_steps(params):
        validate_power(step)  # bad combinations and out-of-range values
    # timeout and wait_timeout are checked with every module's time options (_validation.TIME_OPTIONS)
    if params['concurrency'] < 1:
        raise ModuleFailure('concurrency must be at least 1')
    if params.get('max_fail_percentage') is not None and not 0 <= params['max_fail_percentage'] <= 100:
        raise ModuleFailure('max_fail_percentage must be between 0 and 100, got %s' % params['max_fail_percentage'])
    report = params.get('report_file')
    if report and (os.path.isdir(report) or report.endswith(os.sep)):
        raise ModuleFailure('report_file must name a file, not a directory: %s' % report)
    if params['ramp_seconds'] < 0 or params['settle_seconds'] < 0:
        raise ModuleFailure('ramp_seconds and settle_seconds must not be negative')
    seen = set()
    for position, miner in enumerate(params['miners']):
        key = (miner['host'], miner.get('port') or DEFAULT_PORT)
        if key in seen:
            raise ModuleFailure('miners[%d]: %s:%s is listed twice' % (position + 1, key[0], key[1]))
        seen.add(key)
    missing = [m.get('name') or m['host'] for m in params['miners']
               if not (m.get('password') or m.get('v3_password') or params.get('password'))]
    if missing:
        raise ModuleFailure('password is required to change power settings; missing for %s' % ', '.join(missing[:10]))


def _judge(ctx, params, outcomes, summary, result):
    """Fail the task when more miners failed than max_fail_percentage allows; else warn about them."""
    if not summary['failed']:
        return
    names = ', '.join('%s (%s)' % (o['name'], o['outcome']) for o in outcomes if o['failed'])
    if summary['failed_percent'] > params['max_fail_percentage']:
        result.update(failed=True, msg='%d of %d miners failed (%.1f%% > max_fail_percentage %g): %s'
                      % (summary['failed'], summary['total'], summary['failed_percent'], params['max_fail_percentage'], names))
    else:
        ctx.warn('%d of %d miners failed (within max_fail_percentage %g): %s'
                 % (summary['failed'], summary['total'], params['max_fail_percentage'], names))


def fleet_power(ctx, client_factory=None):
    """Module entry point for whatsminer_fleet_power."""
    params = ctx.params
    validate_fleet(params)
    miners = params['miners']
    started = time.monotonic()
    schedule = _Schedule(len(miners), params['ramp_seconds'])
    outcomes = map_concurrently(lambda index: drive_miner(index, miners[index], params, ctx.check_mode, schedule, client_factory),
                                range(len(miners)), params['concurrency'], on_done=_Progress(ctx, len(miners), started),
                                green=client_factory is None)
    summary = summarize(outcomes, time.monotonic() - started)
    result = dict(changed=bool(summary['changed']), miners=outcomes, summary=summary)
    _judge(ctx, params, outcomes, summary, result)
    if params.get('report_file') and not ctx.check_mode:
        try:
            write_report(params['report_file'], dict(miners=outcomes, summary=summary))
        except OSError as exc:
            # The miners were driven: their outcomes stay in the result, the task fails saying the file is missing.
            problem = 'report_file: cannot write %s: %s' % (params['report_file'], exc.strerror or exc)
            result.update(failed=True, msg='; '.join(part for part in (result.get('msg'), problem) if part))
    return result


def write_report(path, outcome):
    """Write ``outcome`` as JSON to ``path`` whole: a reader never sees half a report, a failure leaves the old one."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix='.whatsminer-report-', dir=directory)
    try:
        with os.fdopen(handle, 'w') as out:
            json.dump(outcome, out, indent=2, sort_keys=True)
            out.write('\n')
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
