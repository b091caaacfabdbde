# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every declarative module on every simulated firmware generation: changed then ok, or a clear refusal.

One fleet holds a miner of each generation (tests/simulator/whatsminer_sim/generations.py): 2021 (API
1.x), 2023 (API 2.0.x, no customer messages), 2025 (the Msg envelope, pools applied at the next btminer
start), the manual's own reading, and an API V3 miner. Each task runs twice over all of them. A refusal
must come before anything is sent and name the firmware; anything else must change on the first run and
report ok on the second.
"""

from __future__ import annotations

import pytest

V3_PASSWORD = 'Super_v3'
GENERATIONS = {'sim-0001': '2021', 'sim-0002': '2023', 'sim-0003': '2025', 'sim-0004': 'manual', 'sim-0005': 'v3'}
FLEET_ARGS = ['--firmware', '0=2021,1=2023,2=2025,3=manual', '--api', '4=v3', '--v3-password', V3_PASSWORD]

PLAY = '''
- hosts: miners
  gather_facts: false
  vars:
    whatsminer_v3_password: %s
  tasks:
    - name: task
      minerops.whatsminer.%%s:
        %%s
''' % V3_PASSWORD

NO_RECORD = frozenset(('2021', '2023'))  # no get_customer_msg before the 2025 V2.2 manual
# module -> (task options, generations that must refuse it, a word the refusal names)
MATRIX = {
    'pools': ('pools:\n          - url: stratum+tcp://gen.example:3333\n            user: acct.gen', (), None),
    'power': ('mode: low', ('2021',), 'cannot be read back'),
    'led': ('mode: manual\n        color: green\n        period: 1000\n        record_slot: msg9', ('2021',) + tuple(NO_RECORD), None),
    'network': ('hostname: gen-{{ inventory_hostname }}', ('2021',), 'does not know get_miner_info'),
    'cooling': ('temp_offset: -4\n        record_slot: msg9', tuple(NO_RECORD), 'get_customer_msg'),
    'settings': ('web_pools: false\n        record_slot: msg9', tuple(NO_RECORD), 'get_customer_msg'),
    'customer_msg': ('customer_sn: gen-{{ inventory_hostname }}', tuple(NO_RECORD), 'get_customer_msg'),
    # The whole state in one task: a section this firmware refuses stops the task before the pools are sent.
    'config': ('pools:\n          - url: stratum+tcp://config.example:3333\n            user: acct.config\n        led:\n          mode: auto\n'
               '        customer_msg:\n          customer_sn: config-{{ inventory_hostname }}', tuple(NO_RECORD), 'nothing was sent'),
}


@pytest.fixture(scope='module')
def generations_fleet(tmp_path_factory):
    from harness import Fleet  # pylint: disable=import-error
    fleet = Fleet(miners=5, models=['M50'], base_address='127.%d.251.1' % (100 + __import__('os').getpid() % 100),
                  workdir=str(tmp_path_factory.mktemp('generations')), extra_args=FLEET_ARGS)
    fleet.start()
    yield fleet
    fleet.stop()


@pytest.mark.parametrize('module', sorted(MATRIX))
def test_every_module_on_every_generation(generations_fleet, playbook, module):
    fleet = generations_fleet
    options, refusing, word = MATRIX[module]
    play = PLAY % ('whatsminer_' + module, options)
    sent_before = {miner: fleet.changes_sent(miner) for miner in fleet.ids}
    first = playbook(fleet, play)
    second = playbook(fleet, play)
    outcome = {}
    for miner, generation in GENERATIONS.items():
        one, two = first.result('task', miner), second.result('task', miner)
        failed = (first.failed('task')[miner], second.failed('task')[miner])
        if generation in refusing:
            assert failed == (True, True), (module, generation, one)
            assert 'firmware' in one['msg'] and (word is None or word in one['msg']), (module, generation, one['msg'])
            outcome[generation] = 'refused'
        else:
            assert not failed[0] and one['changed'] is True, (module, generation, one)
            assert not failed[1] and two['changed'] is False, (module, generation, two)
            outcome[generation] = 'changed, then ok'
    for miner, generation in GENERATIONS.items():
        if generation in refusing:
            assert fleet.changes_sent(miner) == sent_before[miner], 'a refusal sent something: %s on %s' % (module, generation)
    print('%s: %s' % (module, outcome))


def test_facts_gather_what_each_generation_offers_and_warn_for_the_rest(generations_fleet, playbook):
    run = playbook(generations_fleet, PLAY % ('whatsminer_facts', 'gather_subset: [all, customer_msg]'))
    assert run.returncode == 0, run.output[-3000:]
    old = run.result('task', 'sim-0001')
    facts = old['ansible_facts']['whatsminer']
    assert facts['model'] == 'M50' and facts['api_version'].startswith('1.') and facts['hashrate_ths'] is not None
    assert sorted(facts['missing_subsets']) == ['customer_msg', 'devdetails', 'error_codes', 'miner_info']
    assert all('firmware 2021' in warning for warning in old['warnings'] if 'gather_subset' in warning)
    new = run.result('task', 'sim-0003')['ansible_facts']['whatsminer']
    assert new['missing_subsets'] == [] and len(new['boards']) == 3 and new['pools'] is not None
    assert run.result('task', 'sim-0002')['ansible_facts']['whatsminer']['missing_subsets'] == ['customer_msg']


def test_run_time_settings_are_compared_where_the_firmware_reports_them(generations_fleet, playbook):
    """2025 firmware reports power_pct (status) and upfreq_speed (get_miner_info): ok on the second run. Where
    a firmware does not, power_percent is sent on every run and says so (upfreq_speed needs record_slot)."""
    play = PLAY % ('whatsminer_power', 'power_percent: 80')
    first, second = playbook(generations_fleet, play), playbook(generations_fleet, play)
    assert first.result('task', 'sim-0003')['changed'] is True
    assert second.result('task', 'sim-0003')['changed'] is False and second.result('task', 'sim-0003')['unverified'] == []
    for miner in ('sim-0002', 'sim-0004'):
        again = second.result('task', miner)
        assert again['changed'] is True and again['unverified'] == ['power_percent']
        assert 'cannot be read back' in ' '.join(again['warnings'])


def test_restore_power_percent_ends_the_override_on_every_generation(generations_fleet, playbook):
    """After power_percent: V2.2 sends restore_power_pct (compared where 2025 firmware reports power_pct, sent every
    run elsewhere); V3 has no such command and restarts btminer (the override is not saved), then reads 0: ok."""
    fleet = generations_fleet
    assert playbook(fleet, PLAY % ('whatsminer_power', 'power_percent: 70')).returncode == 0
    restore = PLAY % ('whatsminer_power', 'restore_power_percent: true')
    v3_before = fleet.changes_sent('sim-0005')
    first, second = playbook(fleet, restore), playbook(fleet, restore)
    assert first.returncode == 0 and second.returncode == 0, first.output[-3000:] + second.output[-3000:]
    v3_sent = dict((name, count - v3_before.get(name, 0)) for name, count in fleet.changes_sent('sim-0005').items()
                   if name.startswith('set.') and count > v3_before.get(name, 0))
    assert v3_sent == {'set.miner.service': 1}, v3_sent
    assert fleet.state('sim-0005')['power_pct_temp'] is None
    assert first.result('task', 'sim-0005')['changed'] is True and first.result('task', 'sim-0005')['restart_seconds'] > 0
    assert first.changed('task')['sim-0003'] is True
    for miner in ('sim-0003', 'sim-0005'):
        assert second.result('task', miner)['changed'] is False, second.result('task', miner)
    for miner in ('sim-0002', 'sim-0004'):
        assert second.result('task', miner)['changed'] is True and second.result('task', miner)['unverified'] == ['restore_power_percent']


def test_ranges_that_depend_on_the_api_and_model_are_refused_before_sending(generations_fleet, playbook):
    """upfreq_speed 10 exists on API V3 only; power_percent above 100 on hydro and immersion models only (M50: air)."""
    fleet = generations_fleet
    sent_before = {miner: fleet.changes_sent(miner) for miner in fleet.ids}
    upfreq = playbook(fleet, PLAY % ('whatsminer_power', 'upfreq_speed: 10'))
    for miner, generation in GENERATIONS.items():
        if generation == 'v3':
            assert upfreq.changed('task')[miner] is True, upfreq.result('task', miner)
        else:
            assert 'upfreq_speed must be between 0 and 9 on API V2.2, got 10' in upfreq.result('task', miner)['msg']
            assert fleet.changes_sent(miner) == sent_before[miner]
    percent = playbook(fleet, PLAY % ('whatsminer_power', 'power_percent: 150'))
    for miner in GENERATIONS:
        assert 'between 0 and 100 on this miner (model M50)' in percent.result('task', miner)['msg'], percent.result('task', miner)
    reset = playbook(fleet, PLAY % ('whatsminer_power', 'upfreq_speed: 0'))
    assert reset.returncode == 0, reset.output[-3000:]


@pytest.mark.parametrize('api', ['v2', 'v3'])
def test_hydro_models_run_above_100_percent(make_fleet, playbook, api):
    extra = ['--api', 'v3', '--v3-password', V3_PASSWORD] if api == 'v3' else []
    fleet = make_fleet(miners=1, models=['M63'], extra_args=extra)
    run = playbook(fleet, PLAY % ('whatsminer_power', 'power_percent: 150'))
    assert run.returncode == 0 and run.changed('task')[fleet.ids[0]] is True, run.output[-3000:]
    assert fleet.state(fleet.ids[0])['power_pct_temp'] == 150


IMPERATIVE = {
    # module -> (options, changed on every run)
    'command': ('command: get_version', False),
    'reboot': ('target: btminer\n        wait_for_hashing: false', True),
    'logs': ('dest: %s\n        name: "{{ inventory_hostname }}"', True),
}


@pytest.mark.parametrize('module', sorted(IMPERATIVE))
def test_imperative_modules_on_every_generation(generations_fleet, playbook, tmp_path, module):
    options, always_changed = IMPERATIVE[module]
    play = PLAY % ('whatsminer_' + module, options % tmp_path if '%s' in options else options)
    for attempt in (1, 2):
        run = playbook(generations_fleet, play)
        changed = run.changed('task')
        if module == 'command':
            # a V2.2 read on an API V3 miner: refused, naming what to send instead (no reply rebuilt by the collection)
            assert run.failed('task')['sim-0005'] and 'API V3 command' in run.result('task', 'sim-0005')['msg']
            del changed['sim-0005']
        else:
            assert run.returncode == 0, run.output[-3000:]
        assert set(changed.values()) == {always_changed}, (module, attempt)


def test_fleet_power_off_then_restored_on_every_generation(generations_fleet, playbook):
    """One fan-out task over every generation: off, off again (ok), restored."""
    miners = ''.join('\n          - {host: %s, port: %s, api: %s, password: admin, v3_password: %s}'
                     % (m['host'], m['port'], 'v3' if m.get('api') == 'v3' else 'v2', V3_PASSWORD)
                     for m in generations_fleet.miners)
    play = '''
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: task
      minerops.whatsminer.whatsminer_fleet_power:
        state: "%s"
        settle_seconds: 0
        miners:%s
'''
    off = playbook(generations_fleet, play % ('off', miners))
    assert off.returncode == 0, off.output[-3000:]
    assert [m['changed'] for m in off.result('task')['miners']] == [True] * len(GENERATIONS)
    again = playbook(generations_fleet, play % ('off', miners))
    assert [m['changed'] for m in again.result('task')['miners']] == [False] * len(GENERATIONS), again.result('task')
    back = playbook(generations_fleet, play % ('restored', miners))
    assert back.returncode == 0 and all(m['mining'] for m in back.result('task')['miners']), back.result('task')


@pytest.mark.parametrize('api', ['v2', 'v3'])
@pytest.mark.parametrize('module, options, words', [
    ('pools', 'pools:\n          - url: stratum+tcp://ignored.example:3333\n            user: acct.x', 'still reports other pools'),
    ('power', 'mode: high', "after the change; wanted mode='high'"),
])
def test_a_miner_that_acknowledges_a_write_and_ignores_it_fails_the_task(make_fleet, playbook, api, module, options, words):
    """The simulator's ignore_write fault: OK, and nothing changes. The read-back catches it: failed and changed."""
    extra = ['--api', 'v3', '--v3-password', V3_PASSWORD] if api == 'v3' else []
    fleet = make_fleet(miners=1, models=['M50'], extra_args=extra)
    miner = fleet.ids[0]
    fleet.fault(miner, 'ignore_write', count=1)
    run = playbook(fleet, PLAY % ('whatsminer_' + module, options))
    result = run.result('task', miner)
    assert run.failed('task')[miner] and result['changed'] is True, result
    assert words in result['msg'], result['msg']


def test_password_rotation_on_every_generation(generations_fleet, playbook):
    """Changed, then ok (the new password already opens the miner), then back. Firmware without get_customer_msg
    proves a password by the encrypted request it decrypts (14 "invalid cmd" comes after decryption)."""
    fleet = generations_fleet
    rotate = PLAY % ('whatsminer_password', 'new_password: Rot8x')
    first, second = playbook(fleet, rotate), playbook(fleet, rotate)
    for miner, generation in GENERATIONS.items():
        assert not first.failed('task')[miner] and first.result('task', miner)['password_changed'] is True, (generation, first.result('task', miner))
        assert second.result('task', miner)['changed'] is False, (generation, second.result('task', miner))
    back = PLAY % ('whatsminer_password', 'password: Rot8x\n        v3_password: Rot8x\n        new_password: "{{ %s }}"'
                   % "'%s' if inventory_hostname == 'sim-0005' else 'admin'" % V3_PASSWORD)
    restored = playbook(fleet, back)
    assert restored.returncode == 0 and set(restored.changed('task').values()) == {True}, restored.output[-3000:]


def test_firmware_then_factory_reset_on_every_generation(make_fleet, playbook, tmp_path):
    """An upgrade changes, then is ok, on every generation; a factory reset (always a change) is accepted by each."""
    from test_firmware import NEW_VERSION, make_image  # pylint: disable=import-error
    fleet = make_fleet(miners=5, models=['M50'], extra_args=FLEET_ARGS)
    image = make_image(tmp_path, 'm50.bin', '--model', 'M50', '--version', NEW_VERSION)
    upgrade = PLAY % ('whatsminer_firmware', 'src: %s\n        version: %s\n        wait_timeout: 60' % (image, NEW_VERSION))
    first, second = playbook(fleet, upgrade), playbook(fleet, upgrade)
    assert first.returncode == 0 and second.returncode == 0, first.output[-3000:] + second.output[-3000:]
    assert set(first.changed('task').values()) == {True} and set(second.changed('task').values()) == {False}
    assert all(fleet.state(miner)['firmware_version'] == NEW_VERSION for miner in fleet.ids)
    reset = playbook(fleet, PLAY % ('whatsminer_factory_reset', 'confirm: true'))
    assert reset.returncode == 0 and set(reset.changed('task').values()) == {True}, reset.output[-3000:]


@pytest.mark.parametrize('api', ['v2', 'v3'])
@pytest.mark.parametrize('fault, module, options, words', [
    # numbers kept at 90 percent: the read-back catches it
    ('clamp', 'power', 'power_limit: 3000', "after the change; wanted power_limit=3000"),
    # pools applied only when btminer next starts: the module restarts it once, then verifies
    ('apply_after_restart', 'pools', 'pools:\n          - url: stratum+tcp://later.example:3333\n            user: acct.x', None),
    # a setting kept for later where the miner reads it back (V3): failed, naming it; V2.2 cannot read it back (warned)
    ('apply_after_restart', 'cooling', 'temp_offset: -6', 'acknowledged temp_offset but reports'),
])
def test_a_miner_that_clamps_or_defers_a_write_is_caught(make_fleet, playbook, api, fault, module, options, words):
    extra = ['--api', 'v3', '--v3-password', V3_PASSWORD] if api == 'v3' else []
    fleet = make_fleet(miners=1, models=['M50'], extra_args=extra)
    miner = fleet.ids[0]
    fleet.fault(miner, fault, count=1)
    run = playbook(fleet, PLAY % ('whatsminer_' + module, options))
    result = run.result('task', miner)
    assert result['changed'] is True, result
    if module == 'pools':
        assert not run.failed('task')[miner] and result['restarted'] is True, result
        again = playbook(fleet, PLAY % ('whatsminer_' + module, options))
        assert again.result('task', miner)['changed'] is False, again.result('task', miner)
    elif module == 'cooling' and api == 'v2':
        assert not run.failed('task')[miner] and 'cannot be read back' in ' '.join(result['warnings']), result
    else:
        assert run.failed('task')[miner] and words in result['msg'], result


def test_pools_applied_at_the_next_start_ride_on_the_power_restart(make_fleet, playbook):
    """2025 firmware applies update_pools when btminer next starts: in one whatsminer_config task with a power mode
    change (which restarts btminer anyway) the pools wait for that restart - one restart, not two - and are read back."""
    fleet = make_fleet(miners=1, models=['M50'], extra_args=['--firmware', '0=2025'])
    miner = fleet.ids[0]
    play = PLAY % ('whatsminer_config', 'pools:\n          - url: stratum+tcp://later.example:3333\n            user: acct.x\n'
                   '        power:\n          mode: low')
    before, tokens_before = fleet.changes_sent(miner), fleet.counts(miner).get('get_token', 0)
    run = playbook(fleet, play)
    result = run.result('task', miner)
    assert not run.failed('task')[miner] and result['changed'] is True, result
    sent = dict((name, count - before.get(name, 0)) for name, count in fleet.changes_sent(miner).items())
    assert sent.get('restart_btminer', 0) == 0 and sent.get('set_low_power') == 1, sent
    assert result['sections']['pools']['restarted'] is False and result['sections']['pools']['pending_restart'] is False
    assert fleet.state(miner)['settings']['pools'][0]['url'] == 'stratum+tcp://later.example:3333'
    assert fleet.counts(miner)['get_token'] - tokens_before == 1  # no write after the restart: one token
    assert playbook(fleet, play).result('task', miner)['changed'] is False
