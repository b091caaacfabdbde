# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml and curtail.yml through ansible-runner, the engine inside AWX / Automation Platform: what AWX records
(job events, artifacts) is what an operator sees there, and holds no secret."""

from __future__ import annotations

import json
import os
import sys

import pytest

from harness import REPO, use_example_group_vars

ansible_runner = pytest.importorskip('ansible_runner')

PASSWORD = 'Runner-Admin-Pw-7f3a'


def _run(tmp_path, fleet, playbook, extravars=None):
    private = tmp_path / ('runner-%s-%d' % (playbook.replace('.yml', ''), len(list(tmp_path.iterdir()))))
    private.mkdir()
    collections = os.path.abspath(os.environ['ANSIBLE_COLLECTIONS_PATH'].split(os.pathsep)[0])
    result = ansible_runner.run(private_data_dir=str(private), playbook=os.path.join(REPO, 'playbooks', playbook),
                                inventory=fleet.inventory, extravars=extravars or {}, quiet=True,
                                envvars=dict(ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1',
                                             PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')))
    events = list(result.events)
    return result, events


def _artifacts_text(result):
    texts = []
    for folder, _dirs, files in os.walk(result.config.artifact_dir):
        for name in files:
            with open(os.path.join(folder, name), errors='replace') as handle:
                texts.append(handle.read())
    return '\n'.join(texts)


def _ok_results(events, action):
    return [e['event_data'] for e in events if e['event'] == 'runner_on_ok' and e['event_data'].get('task_action') == action]


def test_site_through_ansible_runner_changes_then_nothing(make_fleet, tmp_path):
    fleet = make_fleet(miners=3, password=PASSWORD)
    use_example_group_vars(os.path.dirname(fleet.inventory))
    first, events = _run(tmp_path, fleet, 'site.yml')
    assert (first.status, first.rc) == ('successful', 0), first.stdout.read()
    converged = _ok_results(events, 'minerops.whatsminer.whatsminer_config')
    assert sorted(e['host'] for e in converged) == sorted(fleet.ids)
    assert all(e['res']['changed'] for e in converged)
    stats = [e for e in events if e['event'] == 'playbook_on_stats'][0]['event_data']
    assert sorted(stats['changed']) == sorted(fleet.ids) and not stats['failures'] and not stats['dark']
    # the artifacts AWX keeps: the exit code, the status, the stdout, one file per job event
    artifacts = first.config.artifact_dir
    with open(os.path.join(artifacts, 'rc')) as handle:
        assert handle.read().strip() == '0'
    with open(os.path.join(artifacts, 'status')) as handle:
        assert handle.read().strip() == 'successful'
    assert len(os.listdir(os.path.join(artifacts, 'job_events'))) == len(events)
    text = _artifacts_text(first)
    assert 'Converge the miner' in text
    assert PASSWORD not in text  # the admin password is in the inventory; never in what AWX records

    second, events = _run(tmp_path, fleet, 'site.yml')
    assert (second.status, second.rc) == ('successful', 0)
    stats = [e for e in events if e['event'] == 'playbook_on_stats'][0]['event_data']
    assert not stats['changed'], stats['changed']


def test_curtail_through_ansible_runner_is_one_fan_out_event(make_fleet, tmp_path):
    fleet = make_fleet(miners=6, password=PASSWORD)
    result, events = _run(tmp_path, fleet, 'curtail.yml', dict(power_curtail_power_percent=30))
    assert (result.status, result.rc) == ('successful', 0), result.stdout.read()
    fan_out = _ok_results(events, 'minerops.whatsminer.whatsminer_fleet_power')
    assert len(fan_out) == 1  # one job event for the whole fleet, not one per miner
    outcome = fan_out[0]['res']
    assert outcome['summary']['total'] == 6 and outcome['summary']['failed'] == 0
    assert sorted(m['name'] for m in outcome['miners']) == sorted(fleet.ids)
    assert all(fleet.state(miner)['power_pct_temp'] == 30 for miner in fleet.ids)
    text = _artifacts_text(result)
    assert PASSWORD not in text
    assert json.dumps(outcome['summary']['shed_kw']) in text
