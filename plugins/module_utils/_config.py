# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A miner's whole wanted state in one task (whatsminer_config).

Each section takes the options of one resource module and runs that module's own read/compare/apply
function, so the per-resource modules and this one share every line of logic. What one task adds:

- every section is validated before anything is read or sent (a bad network section does not leave
  the pools changed and the network untouched);
- the sections share one connection to the miner: one API probe, one token (API V2.2), one password
  proof in check mode, where seven tasks fetched up to seven;
- the sections run in a safe order: settings and cooling (no restart), pools (before any restart, so
  that mining resumes on the right pools), customer messages, LED, power (may restart btminer),
  network last (may move the miner);
- one diff and one result keyed by section; a failure names the section and what was applied before it.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.minerops.whatsminer.plugins.module_utils._applied import RECORD_ARGUMENT_SPEC
from ansible_collections.minerops.whatsminer.plugins.module_utils._customer_msg import (
    CUSTOMER_MSG_SPEC, ensure_customer_msg, wanted_messages)
from ansible_collections.minerops.whatsminer.plugins.module_utils._led import LED_SPEC, ensure_led, validate_led
from ansible_collections.minerops.whatsminer.plugins.module_utils._network import NETWORK_SPEC, ensure_network, validate_network
from ansible_collections.minerops.whatsminer.plugins.module_utils._pools import POOLS_SPEC, ensure_pools, settle_pending_pools, validate_pools
from ansible_collections.minerops.whatsminer.plugins.module_utils._power import POWER_SPEC, POWER_SPEC_KWARGS, ensure_power, validate
from ansible_collections.minerops.whatsminer.plugins.module_utils._settings import (
    COOLING_SPEC, SETTINGS_SPEC, SETTINGS_SPEC_KWARGS, ensure_cooling, ensure_settings, validate_settings)
from ansible_collections.minerops.whatsminer.plugins.module_utils._table import COOLING_SETTINGS, SETTINGS
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import refuse_yaml_booleans
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure, WhatsMinerError

# Options of the resource modules that whatsminer_config sets once for all sections.
SHARED = ('record_slot', 'wait', 'wait_timeout')
# Power options that are run-time targets (demand response), not configuration: refused in the power section.
RUN_TIME_POWER = ('power_percent', 'power_percent_method', 'power', 'restore_power_percent')
# A section's own reapply (no default): unset, the task's reapply applies.
_REAPPLY = dict(reapply=dict(type='bool'))


def _section_spec(spec, leave_out=(), reapply=True):
    options = dict((name, option) for name, option in spec.items() if name not in SHARED and name not in leave_out)
    if reapply:
        options.update(_REAPPLY)
    return options


def _check_cooling(params):
    for name in COOLING_SETTINGS:
        SETTINGS[name].check(params.get(name))


class Section:
    """One part of the wanted state: its options (a resource module's), their checks and the function that converges it."""

    def __init__(self, name, spec, ensure, check, spec_kwargs=None, options_key=None):
        self.name = name
        self.spec = spec
        self.ensure = ensure
        self.check = check
        self.spec_kwargs = spec_kwargs or {}
        # The section's value is one option of the resource module (pools: the list), not its options.
        self.options_key = options_key

    def arguments(self, value):
        return {self.options_key: value} if self.options_key else dict(value)


SECTIONS = (
    Section('settings', _section_spec(SETTINGS_SPEC), ensure_settings, validate_settings, SETTINGS_SPEC_KWARGS),
    Section('cooling', _section_spec(COOLING_SPEC), ensure_cooling, _check_cooling),
    Section('pools', _section_spec(POOLS_SPEC, leave_out=('update_password',), reapply=False), ensure_pools,
            lambda params: validate_pools(params['pools']), options_key='pools'),
    Section('customer_msg', _section_spec(CUSTOMER_MSG_SPEC, reapply=False), ensure_customer_msg, wanted_messages),
    # Unlike whatsminer_led, the section's mode defaults to auto (the miner_config role always did so).
    Section('led', _section_spec(dict(LED_SPEC, mode=dict(LED_SPEC['mode'], required=False, default='auto'))), ensure_led, validate_led),
    Section('power', _section_spec(POWER_SPEC, leave_out=RUN_TIME_POWER), ensure_power, validate, POWER_SPEC_KWARGS),
    Section('network', _section_spec(NETWORK_SPEC, reapply=False), ensure_network, validate_network),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)
# The dictionary sections hold booleans as well as text: each is checked against its own module's options instead.
FREE_FORM_OPTIONS = tuple(section.name for section in SECTIONS if not section.options_key)


def _given(params, section):
    """A section left out, null or empty is not managed."""
    value = params.get(section.name)
    return value is not None and len(value) > 0


def _validate_section(section, value):
    """The section's options checked against its resource module's argument spec; errors name the section."""
    if not isinstance(value, (dict, list)):
        raise ModuleFailure('%s must be a %s, got %s' % (section.name, 'list' if section.options_key else 'dictionary',
                                                         type(value).__name__))
    arguments = section.arguments(value)
    refuse_yaml_booleans(section.spec, arguments, where=section.name + '.')
    validation = ArgumentSpecValidator(section.spec, **section.spec_kwargs).validate(arguments)
    if validation.error_messages:
        messages = []
        for error in validation.errors:
            if isinstance(error, UnsupportedError):
                unknown = sorted(set(arguments) - set(section.spec))
                messages.append('%s has unknown options %s; allowed: %s' % (
                    section.name, ', '.join(unknown), ', '.join(sorted(section.spec))) + _run_time_hint(section, unknown))
            else:
                messages.append('%s: %s' % (section.name, error.msg))
        raise ModuleFailure('; '.join(messages))
    return validation.validated_parameters


def _run_time_hint(section, unknown):
    if section.name == 'power' and set(unknown) & set(RUN_TIME_POWER):
        return (' (power_percent, power and restore_power_percent are run-time targets for demand response: set them '
                'with minerops.whatsminer.whatsminer_power or whatsminer_fleet_power)')
    return ''


def section_params(ctx, section, options):
    """The parameters ``section.ensure`` takes: the section's options, the connection and the shared options."""
    params = dict((name, ctx.params.get(name)) for name in ctx.params if name not in SECTION_NAMES)
    params.update(options)
    params.update(wait=True, update_password=ctx.params.get('pools_update_password') or 'on_change')
    if options.get('reapply') is None:
        params['reapply'] = bool(ctx.params.get('reapply'))
    return params


def wanted_sections(ctx):
    """``[(section, params)]`` for each managed section, all checked before anything is read or sent."""
    wanted = []
    for section in SECTIONS:
        if not _given(ctx.params, section):
            continue
        options = _validate_section(section, ctx.params[section.name])
        params = section_params(ctx, section, options)
        try:
            section.check(params)
        except ModuleFailure as exc:
            raise ModuleFailure('%s: %s' % (section.name, exc.msg))
        wanted.append((section, params))
    return wanted


def ensure_config(ctx):
    """Module entry point for whatsminer_config.

    Every section is first run in check mode: each reads and compares what it manages, and whatever this miner
    refuses (a command its firmware lacks, a setting it cannot read back, a value out of its model's range) fails
    the task before anything is sent. Only the sections that differ then run for real, in order. A task that finds
    nothing to change costs the reads alone.
    """
    wanted = wanted_sections(ctx)
    if not wanted:
        # The miner_config role passes every part, empty ones included: nothing to do is not an error, but say so.
        ctx.warn('no section is set (%s): nothing to converge, the miner was not contacted' % ', '.join(SECTION_NAMES))
        return dict(changed=False, changed_sections=[], sections={})
    ctx.require_password('converge the miner\'s configuration')
    with ctx.miner.snapshot():
        # Nothing is written in this pass: a request whose answer serves several sections (API V3) is sent once.
        results, warnings = _run_sections(ctx, wanted, check_mode=True)
    differing = [(section, params) for section, params in wanted if results[section.name].get('changed')]
    if differing and not ctx.check_mode:
        power = dict((section.name, params) for section, params in differing).get('power')
        if power is not None and results['power'].get('restarting') and power.get('mining') is not False:
            # The power change restarts btminer (and mines on): pools that this firmware applies only at the next
            # start wait for it instead of a restart of their own (one restart, not two).
            differing = [(section, dict(params, restart_follows=True) if section.name == 'pools' else params)
                         for section, params in differing]
        applied, applied_warnings = _run_sections(ctx, differing)
        results.update(applied)
        warnings.update(applied_warnings)
        _settle_pending_pools(ctx, differing, results, warnings)
    for section, params in wanted:
        ctx.warnings.extend(warnings[section.name])
    return _outcome(ctx, [section.name for section, params in wanted], results)


def _settle_pending_pools(ctx, applied, results, warnings):
    """Read back the pools left for the power section's restart (restarting btminer once more if they do not show)."""
    if not results.get('pools', {}).get('pending_restart'):
        return
    params = [params for section, params in applied if section.name == 'pools'][0]
    try:
        results['pools'].update(ctx.run_section('pools', settle_pending_pools, params, warnings['pools']))
    except ModuleFailure as exc:
        _keep_warnings(ctx, warnings)
        raise ModuleFailure('pools: %s (read back after the power section restarted btminer)' % exc.msg,
                            sections=_without_diffs(results), failed_section='pools', **exc.details)


def _run_sections(ctx, wanted, check_mode=False):
    """``(results, warnings)`` of each section of ``wanted`` run in order; a failure names its section."""
    results, warnings = {}, {}
    for section, params in wanted:
        warnings[section.name] = []
        try:
            results[section.name] = ctx.run_section(section.name, section.ensure, params, warnings[section.name], check_mode)
        except ModuleFailure as exc:
            _keep_warnings(ctx, warnings)
            raise ModuleFailure(_failed_in(section.name, exc.msg, results, check_mode), sections=_without_diffs(results),
                                failed_section=section.name, **exc.details)
        except WhatsMinerError as exc:
            _keep_warnings(ctx, warnings)
            # The error keeps its type (unreachable, API code, outcome unknown); execute() adds where it happened.
            exc.section_failure = dict(prefix=section.name + ': ', suffix='; ' + _applied_before(results, check_mode),
                                       sections=_without_diffs(results), failed_section=section.name)
            raise
    return results, warnings


def _keep_warnings(ctx, warnings):
    for section_warnings in warnings.values():
        ctx.warnings.extend(section_warnings)


def _without_diffs(results):
    return dict((name, dict((key, value) for key, value in result.items() if key != 'diff')) for name, result in results.items())


def _outcome(ctx, names, results):
    changed = [name for name in names if results[name].get('changed')]
    outcome = dict(changed=bool(changed), changed_sections=changed, sections=_without_diffs(results))
    if ctx.diff:
        diffs = dict((name, results[name]['diff']) for name in names if results[name].get('diff') is not None)
        outcome['diff'] = dict(before=dict((name, diff['before']) for name, diff in diffs.items()),
                               after=dict((name, diff['after']) for name, diff in diffs.items()))
    return outcome


def _applied_before(results, checking=False):
    """What a failed section leaves behind: the sections that ran before it, and that the later ones did not run."""
    if checking:
        return 'nothing was sent (every section is checked against the miner before any is applied)'
    changed = [done for done, result in results.items() if result.get('changed')]
    pending = ''.join('; %s accepted but applied only when btminer next starts' % done
                      for done, result in results.items() if result.get('pending_restart'))
    if changed:
        applied = 'sections applied before it: %s (changed: %s)%s' % (', '.join(results), ', '.join(changed), pending)
    elif results:
        applied = 'sections before it were already as wanted: %s' % ', '.join(results)
    else:
        applied = 'it was the first section'
    return applied + '; later sections were not run'


def _failed_in(name, msg, results, checking=False):
    if checking and msg.endswith('; nothing was sent'):
        msg = msg[:-len('; nothing was sent')]
    return '%s: %s; %s' % (name, msg, _applied_before(results, checking))


def argument_spec():
    """whatsminer_config's own options (the connection options are added by the module)."""
    return dict(
        settings=dict(type='dict'),
        cooling=dict(type='dict'),
        # The pool list is declared whole here so that its passwords are known secrets from the start.
        pools=dict(POOLS_SPEC['pools'], required=False),
        pools_update_password=POOLS_SPEC['update_password'],
        customer_msg=dict(type='dict'),
        led=dict(type='dict'),
        power=dict(type='dict'),
        network=dict(type='dict'),
        record_slot=RECORD_ARGUMENT_SPEC['record_slot'],
        reapply=RECORD_ARGUMENT_SPEC['reapply'],
        wait_timeout=dict(type='int', default=300),
    )
