# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: append every task result as one JSON line to $RECORD_RESULTS_FILE."""

from __future__ import annotations

DOCUMENTATION = r'''
name: record_results
type: aggregate
short_description: Record task results as JSON lines for the integration tests
description:
  - Writes one JSON object per task and host to the file named by the RECORD_RESULTS_FILE environment variable.
options: {}
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record_results'
    CALLBACK_NEEDS_ENABLED = True

    _task_started = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started = time.monotonic()

    def _record(self, result, status):
        path = os.environ.get('RECORD_RESULTS_FILE')
        if not path:
            return
        entry = dict(
            host=result._host.get_name(),
            task=result._task.get_name(),
            action=result._task.action,
            status=status,
            result=self._clean(result._result),
            # Seconds since the task started (benchmarks: a task's own wall time).
            elapsed=time.monotonic() - self._task_started if self._task_started is not None else None,
        )
        with open(path, 'a') as handle:
            handle.write(json.dumps(entry, default=str) + '\n')

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')
