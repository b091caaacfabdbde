# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets (issue #7): nothing secret in the output, the recorded results or the exceptions.

Every module and every role runs at -vvvv with --diff (and in check mode), then on the
failure paths: wrong admin password, write API off, bad input that carries a secret. The
miners sit behind a small sniffing TCP proxy, so the test knows every get_token the tasks
used and can compute the derived key, every sign and the AES key itself (passlib md5_crypt,
as reference_protocol.rst V2.2 §2 says), then search for all of them, in several encodings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading

import pytest
import yaml

from harness import SIMULATOR_PATH  # pylint: disable=import-error

passlib_hash = pytest.importorskip('passlib.hash')

# Secrets reach the tasks only through variables, as they would from a vault: Ansible itself prints a failed
# task's YAML source at -vvvv, and the command line (so no -e either).
ADMIN = 'Zq7_x9Kp'
NEW_ADMIN = 'NewPw_77'
WRONG = 'Wr0ngPw1'
POOL_PASSWORD = 'PoolPw_3141'
NEW_FIRMWARE = '20991231.22.REL'


class SniffingProxy:
    """Forward 127.0.0.1:<port> to a miner, keeping every byte the miner sent."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.replies = []
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            client.close()
            return
        received = bytearray()

        def pump(source, sink, keep):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    if keep is not None:
                        keep.extend(data)
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
                    try:
                        sock.shutdown(how)
                    except OSError:
                        pass

        forward = threading.Thread(target=pump, args=(client, upstream, None), daemon=True)
        forward.start()
        pump(upstream, client, received)
        forward.join(30)
        client.close()
        upstream.close()
        with self.lock:
            self.replies.append(bytes(received))

    def close(self):
        self.listener.close()

    def token_replies(self):
        """(time, salt, newsalt) of every get_token answer that went through."""
        found = []
        with self.lock:
            replies = list(self.replies)
        for raw in replies:
            text = raw.decode('utf-8', 'replace')
            for match in re.finditer(r'"time"\s*:\s*"(\w+)"\s*,\s*"salt"\s*:\s*"([^"]+)"\s*,\s*"newsalt"\s*:\s*"([^"]+)"', text):
                found.append(match.groups())
        return found


def _md5crypt_hash(secret, salt):
    return passlib_hash.md5_crypt.using(salt=salt).hash(secret).split('$')[3]


def derived_secrets(passwords, proxies):
    """Every password, key, sign and AES key (hex and base64) that the runs could have used."""
    secrets = set(passwords)
    tokens = [token for proxy in proxies for token in proxy.token_replies()]
    assert tokens, 'no get_token went through the proxies'
    for password in passwords:
        salts = {salt for _time, salt, _newsalt in tokens}
        for salt in salts:
            key = _md5crypt_hash(password, salt)
            aeskey = hashlib.sha256(key.encode()).digest()
            secrets.update((key, aeskey.hex(), base64.b64encode(aeskey).decode(), aeskey.hex().upper()))
            for time4, token_salt, newsalt in tokens:
                if token_salt == salt:
                    secrets.add(_md5crypt_hash(key + time4[-4:], newsalt))
    return secrets, len(tokens)


def _leaks(texts, secrets):
    found = []
    for name, text in texts.items():
        for secret in secrets:
            if secret in text:
                position = text.index(secret)
                found.append((name, secret, text[max(0, position - 80):position + 40]))
    return found


TASKS = {
    'facts': ('whatsminer_facts', {}),
    'pools': ('whatsminer_pools', {'pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': 'acct.w1', 'password': '{{ pool_password }}'},
                                             {'url': 'stratum+tcp://backup.example.com:443', 'user': 'acct.w2', 'password': '{{ pool_password }}'}],
                                   'update_password': 'always'}),
    'power': ('whatsminer_power', {'mode': 'low', 'wait_timeout': 30}),
    'firmware': ('whatsminer_firmware', {'src': '{{ firmware_image }}', 'version': NEW_FIRMWARE, 'wait_timeout': 30}),
    'led': ('whatsminer_led', {'mode': 'manual', 'color': 'red', 'period': 1000, 'duration': 500, 'start': 0}),
    'network': ('whatsminer_network', {'hostname': 'rig-secret'}),
    'cooling': ('whatsminer_cooling', {'temp_offset': -5, 'record_slot': 'msg9'}),
    'settings': ('whatsminer_settings', {'timezone': 'UTC0', 'zonename': 'UTC', 'web_pools': False}),
    'customer_msg': ('whatsminer_customer_msg', {'customer_sn': 'SITE1-R1', 'messages': {'msg0': 'rack 4'}}),
    'password': ('whatsminer_password', {'new_password': '{{ new_admin_password }}'}),
    'reboot': ('whatsminer_reboot', {'target': 'btminer', 'wait_for_hashing': False, 'wait_timeout': 30}),
    'factory_reset': ('whatsminer_factory_reset', {'confirm': True}),
    'logs': ('whatsminer_logs', {'dest': '{{ logs_dir }}'}),
    'command': ('whatsminer_command', {'command': 'update_pools', 'encrypted': True,
                                       'params': {'pool1': 'stratum+tcp://p.example.com:1', 'worker1': 'w', 'passwd1': '{{ pool_password }}'}}),
    'config': ('whatsminer_config', {'pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': 'acct.w1',
                                                'password': '{{ pool_password }}'}],
                                     'pools_update_password': 'always', 'record_slot': 'msg9',
                                     'cooling': {'temp_offset': -4}, 'led': {'mode': 'auto'}}),
    'fleet_power': ('whatsminer_fleet_power', {'miners': [{'host': '{{ ansible_host }}', 'port': '{{ whatsminer_port }}',
                                                           'password': '{{ whatsminer_password }}'}],
                                               'state': 'curtailed', 'power_percent': 50}),
}
MODULES = sorted(TASKS)
BAD_INPUT = [
    ('whatsminer_pools', {'pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': 'u', 'password': '{{ pool_password }}"'}]}),
    ('whatsminer_pools', {'pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': '{{ pool_password }}\n', 'password': '{{ pool_password }}'}]}),
    ('whatsminer_password', {'new_password': '{{ pool_password }}'}),
    ('whatsminer_password', {'new_password': '{{ new_admin_password }}\n'}),
    ('whatsminer_command', {'command': 'update_pwd', 'params': {'token': '{{ whatsminer_password }}'}}),
    ('whatsminer_led', {'mode': 'auto', 'timeout': -1}),
    ('whatsminer_config', {'pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': 'u', 'password': '{{ pool_password }}"'}]}),
]


def _module_play(checks=''):
    tasks = []
    for name in MODULES:
        module, args = TASKS[name]
        tasks.append({'name': name, 'minerops.whatsminer.%s' % module: args, 'ignore_errors': True,
                      'when': "module_under_test == '%s'%s" % (name, checks)})
    return [{'hosts': 'miners', 'gather_facts': False, 'tasks': tasks}]


ROLES_PLAY = [{
    'hosts': 'miners', 'gather_facts': False, 'ignore_errors': True,
    'roles': [
        {'role': 'minerops.whatsminer.miner_config', 'vars': {
            'miner_config_pools': [{'url': 'stratum+tcp://pool.example.com:3333', 'user': 'acct.{{ inventory_hostname }}',
                                    'password': '{{ pool_password }}'}],
            'miner_config_pools_update_password': 'always',
            'miner_config_led': {'mode': 'auto'},
            'miner_config_customer_msg': {'messages': {'msg1': 'configured'}}}},
        {'role': 'minerops.whatsminer.power_curtail', 'vars': {'power_curtail_power_percent': 60}},
        {'role': 'minerops.whatsminer.fleet_report', 'vars': {'fleet_report_dir': '{{ report_dir }}'}},
        {'role': 'minerops.whatsminer.firmware_rollout', 'vars': {
            'firmware_rollout_src': '{{ firmware_image }}', 'firmware_rollout_version': NEW_FIRMWARE,
            'firmware_rollout_require_hashing': False, 'firmware_rollout_summary_file': '{{ report_dir }}/rollout.json',
            'firmware_rollout_hashrate_timeout': 20, 'firmware_rollout_hashrate_interval': 2, 'firmware_rollout_upload_timeout': 60}},
    ],
}]


def _proxied_inventory(fleet, proxies, path, extra_vars):
    """The fleet's inventory with every miner reached through its sniffing proxy."""
    with open(fleet.inventory) as handle:
        data = yaml.safe_load(handle)
    modules = dict(zip(fleet.ids, MODULES * 2))
    for group in data['all']['children']['miners']['children'].values():
        for miner_id, host_vars in group['hosts'].items():
            host_vars.update(ansible_host='127.0.0.1', whatsminer_port=proxies[miner_id].port, module_under_test=modules[miner_id])
    data['all']['children']['miners']['vars'].update(extra_vars)
    with open(path, 'w') as handle:
        yaml.safe_dump(data, handle)
    return path


@pytest.fixture
def sniffed(make_fleet, tmp_path):
    """A fleet with the distinctive admin password, each miner behind a proxy; yields a runner."""
    created = []
    image = str(tmp_path / 'firmware.bin')
    env = dict(os.environ, PYTHONPATH=SIMULATOR_PATH + os.pathsep + os.environ.get('PYTHONPATH', ''))
    subprocess.run([sys.executable, '-m', 'whatsminer_sim', 'make-firmware', '--model', 'M50', '--version', NEW_FIRMWARE, '--out', image],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    (tmp_path / 'logs').mkdir()
    (tmp_path / 'reports').mkdir()

    def start(miners, extra_args=()):
        fleet = make_fleet(miners=miners, password=ADMIN, models=['M50'], extra_args=list(extra_args), no_reply_probability=0.5)
        proxies = {miner['id']: SniffingProxy((miner['host'], miner['port'])) for miner in fleet.miners}
        created.extend(proxies.values())
        variables = dict(firmware_image=image, logs_dir=str(tmp_path / 'logs'), report_dir=str(tmp_path / 'reports'),
                         pool_password=POOL_PASSWORD, new_admin_password=NEW_ADMIN)
        inventory = _proxied_inventory(fleet, proxies, str(tmp_path / ('inventory-%d.yml' % len(created))), variables)
        wrong = _proxied_inventory(fleet, proxies, str(tmp_path / ('inventory-%d-wrong.yml' % len(created))),
                                   dict(variables, whatsminer_password=WRONG))
        return fleet, proxies, (inventory, wrong)

    yield start, tmp_path
    for proxy in created:
        proxy.close()


def _texts(runs, tmp_path):
    texts = {}
    for label, run in runs.items():
        texts['%s output' % label] = run.output
        texts['%s results' % label] = json.dumps(run.results)
    for folder in ('reports', 'logs'):
        for name in os.listdir(str(tmp_path / folder)):
            with open(str(tmp_path / folder / name), 'rb') as handle:
                texts['%s/%s' % (folder, name)] = handle.read().decode('latin-1')
    return texts


def test_no_secret_anywhere(sniffed, playbook_runner):
    start, tmp_path = sniffed
    fleet, proxies, (inventory, wrong_inventory) = start(len(MODULES))
    off_fleet, off_proxies, (off_inventory, _unused) = start(4, extra_args=['--write-api', 'off'])
    runs = {}
    runs['modules -vvvv --diff'] = playbook_runner(yaml.safe_dump(_module_play()), inventory, verbosity=4, diff=True)
    runs['modules check'] = playbook_runner(yaml.safe_dump(_module_play()), inventory, verbosity=4, diff=True, check=True)
    # on miners whose admin password is still ADMIN and write API still on (customer_msg, facts, firmware)
    role_hosts = ','.join(fleet.ids[MODULES.index(name)] for name in ('customer_msg', 'facts', 'logs'))
    runs['roles -vvvv --diff'] = playbook_runner(yaml.safe_dump(ROLES_PLAY), inventory, verbosity=4, diff=True, limit=role_hosts)
    runs['wrong password'] = playbook_runner(yaml.safe_dump(_module_play()), wrong_inventory, verbosity=4, diff=True)
    runs['write api off'] = playbook_runner(yaml.safe_dump(_module_play() + ROLES_PLAY), off_inventory, verbosity=4, diff=True)
    bad = [{'hosts': 'miners', 'gather_facts': False, 'tasks': [
        {'name': 'bad %d' % index, 'minerops.whatsminer.%s' % module: args, 'ignore_errors': True} for index, (module, args) in enumerate(BAD_INPUT)]}]
    runs['bad input'] = playbook_runner(yaml.safe_dump(bad), off_inventory, verbosity=4, diff=True, limit='sim-0001')

    # the runs did what they should, else finding nothing proves nothing
    main = runs['modules -vvvv --diff']
    assert {entry['task'] for entry in main.results if entry['status'] == 'ok'} >= {'facts', 'pools', 'led', 'customer_msg', 'password'}, main.output[-3000:]
    assert fleet.state(fleet.ids[MODULES.index('pools')])['settings']['pools'][0]['password'] == POOL_PASSWORD
    assert any('wrong admin password' in (entry['result'].get('msg') or '') for entry in runs['wrong password'].results)
    assert any('WhatsMinerTool' in (entry['result'].get('msg') or '') for entry in runs['write api off'].results)
    assert all(entry['status'] == 'failed' for entry in runs['bad input'].results) and len(runs['bad input'].results) == len(BAD_INPUT)
    assert 'rig-secret' in main.output and 'task path:' in main.output  # the -vvvv output is really there
    roles = runs['roles -vvvv --diff']
    assert any(entry['action'].endswith('whatsminer_config') and entry['status'] == 'ok' for entry in roles.results), roles.output[-3000:]

    secrets, tokens = derived_secrets([ADMIN, NEW_ADMIN, WRONG, POOL_PASSWORD], list(proxies.values()) + list(off_proxies.values()))
    assert tokens >= 20 and len(secrets) > 4 * tokens
    leaks = _leaks(_texts(runs, tmp_path), secrets)
    assert not leaks, leaks[:5]
    del off_fleet


@pytest.fixture
def playbook_runner(tmp_path):
    from harness import run_playbook  # pylint: disable=import-error

    def runner(text, inventory, **kwargs):
        # a task that hangs is killed (and then fails the assertions on the results)
        return run_playbook(text, inventory, str(tmp_path), env={'ANSIBLE_TASK_TIMEOUT': '120'}, **kwargs)
    return runner
