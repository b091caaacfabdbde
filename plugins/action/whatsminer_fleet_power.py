# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run whatsminer_fleet_power in the Ansible worker process.

Unlike the per-miner modules, the task does not target one miner: the miners come from the
``miners`` option, so no host variables are filled in.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.minerops.whatsminer.plugins.module_utils.common import TaskContext, execute
from ansible_collections.minerops.whatsminer.plugins.modules import whatsminer_fleet_power as module


class ActionModule(ActionBase):
    """Validate the arguments against the module's spec and fan out from the controller."""

    _requires_connection = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        del tmp
        validator = ArgumentSpecValidator(module.argument_spec(), **module.SPEC_KWARGS)
        validation = validator.validate(dict(self._task.args))
        no_log_values = validation._no_log_values
        if validation.error_messages:
            result.update(failed=True, changed=False, msg='; '.join(validation.error_messages))
            return remove_values(result, no_log_values)
        ctx = TaskContext(validation.validated_parameters, check_mode=bool(self._task.check_mode))
        result.update(execute(module.run, ctx))
        return remove_values(result, no_log_values)
