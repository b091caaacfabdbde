# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input through real ansible-playbook runs (issue #7): refused before any request.

The bulk of the table lives in tests/unit/plugins/module_utils/test_fuzz_bad_input.py; here
one play with one task per bad value (``ignore_errors``) runs against a simulated miner, and
the simulator's request counters prove that nothing reached it.
"""

from __future__ import annotations

import yaml

INJECT = '","cmd":"reboot'
POOL = {'url': 'stratum+tcp://pool.example.com:3333', 'user': 'acct.w1'}

# (module, arguments, option the message must name)
CASES = [
    ('whatsminer_pools', {'pools': [dict(POOL, user=INJECT)]}, 'user'),
    ('whatsminer_pools', {'pools': [dict(POOL, url='stratum+tcp://pool.example.com:3333\n')]}, 'url'),
    ('whatsminer_pools', {'pools': [dict(POOL, password='p\u00e4ss')]}, 'password'),
    ('whatsminer_pools', {'pools': [dict(POOL, user='u' * 300)]}, 'user'),
    ('whatsminer_power', {'power_limit': 100000}, 'power_limit'),
    ('whatsminer_power', {'target_freq_percent': 'ten'}, 'target_freq_percent'),
    ('whatsminer_power', {'mode': 'turbo'}, 'mode'),
    ('whatsminer_led', {'mode': 'manual', 'color': 'red', 'period': -1}, 'period'),
    ('whatsminer_led', {'mode': 'manual', 'color': 'blue', 'period': 1000}, 'color'),
    ('whatsminer_network', {'hostname': INJECT}, 'hostname'),
    ('whatsminer_network', {'proto': 'static', 'address': '10.0.0.300', 'netmask': '255.255.255.0', 'gateway': '10.0.0.1'}, 'address'),
    ('whatsminer_cooling', {'temp_offset': -31}, 'temp_offset'),
    ('whatsminer_cooling', {'heat_mode': 'boil'}, 'heat_mode'),
    ('whatsminer_settings', {'timezone': 'UTC0\n', 'zonename': 'UTC'}, 'timezone'),
    ('whatsminer_settings', {'syslog': {'host': '10.0.0.5', 'port': 70000}}, 'port'),
    ('whatsminer_customer_msg', {'messages': {'msg0': INJECT}}, 'msg0'),
    ('whatsminer_customer_msg', {'messages': {'msg1': 'r' * 128}}, 'msg1'),
    ('whatsminer_customer_msg', {'messages': {'msg12': 'x'}}, 'messages'),
    ('whatsminer_password', {'new_password': 'TooLongPw9'}, 'new_password'),
    ('whatsminer_password', {'new_password': 'Pw"7'}, 'new_password'),
    ('whatsminer_reboot', {'target': 'everything'}, 'target'),
    ('whatsminer_factory_reset', {'confirm': False}, 'confirm'),
    ('whatsminer_firmware', {'src': '/nonexistent/fw.bin', 'version': '20250101.22.REL'}, 'src'),
    ('whatsminer_firmware', {'src': '/etc/hostname', 'version': INJECT}, 'version'),
    ('whatsminer_logs', {'dest': '/nonexistent/logs'}, 'dest'),
    ('whatsminer_command', {'command': 'reboot;ls'}, 'command'),
    ('whatsminer_command', {'command': 'set_led', 'params': {'token': 'x'}}, 'params'),
    ('whatsminer_facts', {'gather_subset': ['bogus']}, 'gather_subset'),
    ('whatsminer_facts', {'timeout': -1}, 'timeout'),
    ('whatsminer_led', {'mode': 'auto', 'port': 0}, 'port'),
    ('whatsminer_fleet_power', {'miners': [{'host': '{{ ansible_host }}'}], 'state': 'curtailed', 'power_percent': 201}, 'power_percent'),
]


def _play():
    tasks = []
    for index, (module, args, _option) in enumerate(CASES):
        tasks.append({'name': 'case %d' % index, 'minerops.whatsminer.%s' % module: args, 'ignore_errors': True})
    return yaml.safe_dump([{'hosts': 'miners', 'gather_facts': False, 'tasks': tasks}], sort_keys=False, allow_unicode=True)


def test_bad_input_refused_before_any_request_in_real_runs(make_fleet, playbook):
    fleet = make_fleet(miners=1)
    miner = fleet.ids[0]
    before = fleet.counts(miner)
    run = playbook(fleet, _play())
    assert fleet.counts(miner) == before, 'requests reached the miner: %s -> %s' % (before, fleet.counts(miner))
    for index, (module, args, option) in enumerate(CASES):
        entries = run.for_task('case %d' % index)
        assert entries, (module, args, run.output[-2000:])
        result = entries[0]['result']
        assert entries[0]['status'] == 'failed', (module, args, result)
        assert option in result['msg'], (module, args, result['msg'])
        assert not result.get('changed'), (module, args, result)
    assert len(run.results) == len(CASES)
