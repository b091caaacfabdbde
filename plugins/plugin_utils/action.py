# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side execution of minerops.whatsminer modules.

Each module's action plugin is this class. It runs the module's resource function inside the
Ansible worker process instead of shipping the module through AnsiballZ to a Python
interpreter: the miner cannot run Python, the work is a few TCP requests, and a fleet run
then costs about what ``ansible.builtin.debug`` costs per host.

The task targets the miner itself: the address comes from ``ansible_host`` (else
``inventory_hostname``), the port, password and timeout from the host variables
``whatsminer_port``, ``whatsminer_password`` and ``whatsminer_timeout`` unless the task
or ``module_defaults`` set them.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var

# Imported here, not lazily: Ansible's linear strategy loads the action plugin class in the
# controller's main process before it forks a worker per task and host, so everything imported
# at this point is inherited by the workers instead of being imported again (about 0.1 s each).
from ansible_collections.minerops.whatsminer.plugins.module_utils import _green, _miner, client, client_v3, _validation as validation  # noqa: F401 pylint: disable=unused-import
from ansible_collections.minerops.whatsminer.plugins.module_utils.crypto import warm_up
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import plain, refuse_yaml_booleans
from ansible_collections.minerops.whatsminer.plugins.module_utils._common import (
    DETECTED_API_FACT,
    HOST_VARIABLES,
    ModuleFailure,
    TaskContext,
    execute,
)

warm_up()

display = Display()


class WhatsMinerActionModule(ActionBase):
    """Validate the task's arguments against the module's spec and run it in-process.

    Subclasses set ``MODULE``, the module file (its ``argument_spec()``, optional ``SPEC_KWARGS`` and
    ``FREE_FORM_OPTIONS``, and ``run(ctx)``). ``TARGETS_MINER = False`` is for tasks that do not address the play's host
    (fan-out modules): no connection option is then taken from host variables.
    """

    _requires_connection = False
    TRANSFERS_FILES = False
    MODULE = None
    TARGETS_MINER = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp

        module = self.MODULE
        spec = module.argument_spec()
        args = dict(self._task.args)
        if self.TARGETS_MINER:
            args = self._fill_from_host(args, task_vars, spec)
        args = plain(args)
        try:
            refuse_yaml_booleans(spec, args, free_form=getattr(module, 'FREE_FORM_OPTIONS', ()))
        except ModuleFailure as exc:
            return dict(result, failed=True, changed=False, msg=exc.msg)
        validator = ArgumentSpecValidator(spec, **getattr(module, 'SPEC_KWARGS', {}))
        validation = validator.validate(args)
        # Values of one or two characters (a pool password "x") are not masked: they are no secret,
        # and masking them would garble every word that contains them. Our results never carry
        # passwords in the first place; this is the second line of defence.
        no_log_values = set(value for value in validation._no_log_values if len(str(value)) >= 3)
        if validation.error_messages:
            messages = [
                'Unsupported parameters for (%s) module: %s' % (self._task.action, error.msg)
                if isinstance(error, UnsupportedError) else error.msg
                for error in validation.errors
            ]
            result.update(failed=True, changed=False, msg='; '.join(messages))
            return remove_values(result, no_log_values)

        ctx = TaskContext(
            validation.validated_parameters,
            check_mode=bool(self._task.check_mode),
            diff=bool(self._task.diff),
            resolve_path=self._resolve_controller_path,
        )
        ctx.progress = self._progress
        result.update(execute(module.run, ctx))
        if result.get('failed') and self.TARGETS_MINER and not self._task.args.get('host') \
                and task_vars.get('inventory_hostname') in ('localhost', '127.0.0.1', '::1'):
            result['msg'] = '%s. The task ran on localhost: the modules target the miners themselves - run them in a play on ' \
                            'the miners (hosts: miners), or set the host option' % result.get('msg', 'failed')
        if result.get('unreachable'):
            # Ansible counts a result as unreachable only when it is not also failed.
            result.pop('failed', None)
        # Results carry what miners sent (versions, host names, pool URLs): data, never templates.
        # ansible-core wraps task results too; this does not depend on it.
        return wrap_var(remove_values(result, no_log_values))

    def _progress(self, message):
        """A line on the operator's screen while the task runs (a fan-out over thousands of miners)."""
        display.display('%s: %s' % (self._task.get_name(), message))

    def _fill_from_host(self, args, task_vars, spec):
        if not args.get('host'):
            host = task_vars.get('ansible_host') or task_vars.get('inventory_hostname')
            if host:
                args['host'] = str(self._templar.template(host))
        for option, variable in HOST_VARIABLES.items():
            if option in spec and args.get(option) is None and task_vars.get(variable) is not None:
                value = self._templar.template(task_vars[variable])
                # Vaulted values arrive as vault objects, which the argument spec does not take as str.
                text = spec[option].get('type', 'str') == 'str' and not isinstance(value, bool)
                args[option] = str(value) if text else value
        detected = (task_vars.get('ansible_facts') or {}).get(DETECTED_API_FACT)
        if 'api' in spec and args.get('api') in (None, 'auto') and detected in ('v2', 'v3'):
            args['api'] = detected  # detected by an earlier task of this play
        return args

    def _resolve_controller_path(self, path):
        try:
            return self._find_needle('files', path)
        except AnsibleError as exc:
            raise ModuleFailure('could not find %s on the controller (searched files/ of the role and the playbook): %s' % (path, exc))
