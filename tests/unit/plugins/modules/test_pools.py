# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""whatsminer_pools compare/apply logic, in hrobot style pairs: changes / idempotent, each in check mode."""

from __future__ import annotations

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils._pools import ensure_pools, update_pools_params
from ansible_collections.minerops.whatsminer.plugins.modules.whatsminer_pools import argument_spec

from .fake_miner import FakeClient, pools_reply, run

WANTED = [dict(url='stratum+tcp://a.example:3333', user='acct.r1', password='pw1')]


def _client(current):
    client = FakeClient(reads={'pools': pools_reply(*current)})

    def apply(fake, command, params):
        fake.reads['pools'] = pools_reply(*[(params['pool%d' % n], params['worker%d' % n]) for n in (1, 2, 3) if params['pool%d' % n]])
    client.on_write = apply
    return client


@pytest.mark.parametrize('check_mode', [False, True])
def test_changes(check_mode):
    client = _client([('stratum+tcp://old.example:1', 'acct.r1')])
    result = run(ensure_pools, client, dict(pools=WANTED), check_mode=check_mode, module_spec=argument_spec())
    assert result['changed'] is True
    assert result['diff']['before'] == dict(pools=[dict(url='stratum+tcp://old.example:1', user='acct.r1')])
    assert result['diff']['after'] == dict(pools=[dict(url='stratum+tcp://a.example:3333', user='acct.r1')])
    assert client.writes == ([] if check_mode else ['update_pools'])
    assert result['commands'] == client.writes


@pytest.mark.parametrize('check_mode', [False, True])
def test_idempotent(check_mode):
    client = _client([('stratum+tcp://a.example:3333', 'acct.r1')])
    result = run(ensure_pools, client, dict(pools=WANTED), check_mode=check_mode, module_spec=argument_spec())
    assert result['changed'] is False
    assert client.writes == []


def test_always_resends_passwords():
    client = _client([('stratum+tcp://a.example:3333', 'acct.r1')])
    result = run(ensure_pools, client, dict(pools=WANTED, update_password='always'), module_spec=argument_spec())
    assert result['changed'] is True
    assert client.writes == ['update_pools']
    assert 'pw1' not in str(result)


def test_unused_slots_sent_empty_never_null():
    params = update_pools_params([dict(url='u', user='w', password='p')])
    assert params == dict(pool1='u', worker1='w', passwd1='p', pool2='', worker2='', passwd2='', pool3='', worker3='', passwd3='')


@pytest.mark.parametrize('pools, message', [
    ([], 'between 1 and 3'),
    ([dict(url='stratum+tcp://a:1', user='u', password='')] * 4, 'pool slots'),
    ([dict(url='http://a.example:1', user='u', password='')], 'pools[1].url'),
    ([dict(url='stratum+tcp://a.example', user='u', password='')], 'pools[1].url'),
    ([dict(url='stratum+tcp://a.example:0', user='u', password='')], 'port'),
    ([dict(url='stratum+tcp://a.example:1', user='', password='')], 'pools[1].user'),
    ([dict(url='stratum+tcp://a.example:1', user='u"x', password='')], 'pools[1].user'),
    ([dict(url='stratum+tcp://a.example:1', user='u\nx', password='')], 'pools[1].user'),
    ([dict(url='stratum+tcp://a.example:1', user='u', password='p' * 200)], 'pools[1].password'),
    ([dict(url='stratum+tcp://a.example:1', user='u', password=''), dict(url='stratum+tcp://a.example:1', user='u', password='')], 'twice'),
])
def test_bad_input_refused_before_any_request(pools, message):
    client = _client([])
    result = run(ensure_pools, client, dict(pools=pools), module_spec=argument_spec())
    assert result['failed'] is True
    assert message in result['msg']
    assert client.calls == []


def test_unverifiable_password_without_record_warns():
    # The same pools are on the miner: the password given cannot be checked, and the task says so.
    client = _client([('stratum+tcp://a.example:3333', 'acct.r1')])
    result = run(ensure_pools, client, dict(pools=WANTED), module_spec=argument_spec())
    assert result['changed'] is False and client.writes == []
    assert any('pool passwords cannot be read back' in w for w in result['warnings'])
    no_password = [dict(WANTED[0], password='')]
    quiet = run(ensure_pools, _client([('stratum+tcp://a.example:3333', 'acct.r1')]), dict(pools=no_password),
                module_spec=argument_spec())
    assert not quiet.get('warnings')


def test_url_with_credentials_refused_without_echoing_them():
    client = _client([])
    pools = [dict(url='stratum+tcp://acct:Secr3tPw@pool.example.com:3333', user='acct.r1', password='x')]
    result = run(ensure_pools, client, dict(pools=pools), module_spec=argument_spec())
    assert result['failed'] and 'pools[1].url' in result['msg']
    assert 'Secr3tPw' not in str(result) and 'acct:' not in result['msg']
    assert client.calls == []
