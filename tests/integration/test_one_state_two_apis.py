# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One simulated miner's state read over API V2.2 and over API V3: the Miner interface gives the same sections.

The simulator answers both APIs from the same state (its reply builders are called in-process,
no sockets), so every difference left is a difference in the collection's two mappings.
"""

from __future__ import annotations

import pytest

from whatsminer_sim import api_v2, api_v3
from whatsminer_sim.fleet import Fleet, SimConfig

from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import open_miner
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import InvalidCommand

SECTIONS = ('version', 'status', 'summary', 'pools', 'boards', 'devices', 'psu', 'miner_info', 'error_codes', 'customer_msg')
# What only one API carries (None on the other), or what differs by nature (the API version itself).
ONE_API_ONLY = dict(
    version={'api_version', 'api_major', 'chip'},
    status={'mineroff_reason', 'mineroff_time', 'power_override'},
    summary={'upfreq_complete', 'target_freq', 'hashrate_5s_ths', 'hashrate_5m_ths', 'pool_rejected_pct', 'pool_stale_pct',
             'accepted', 'rejected', 'hash_stable',
             'hash_stable_cost_seconds', 'hash_percent', 'error_code_count', 'firmware_version', 'mac',
             'board_temperatures', 'power_5min', 'debug', 'uptime', 'elapsed', 'temperature'},
    pools={'quota', 'getworks', 'accepted', 'rejected', 'discarded', 'stale', 'get_failures', 'remote_failures', 'last_share_time',
           'stratum_url', 'stratum_difficulty', 'pool_rejected_pct', 'pool_stale_pct', 'bad_work', 'index', 'stratum_active'},
    boards={'enabled', 'hashrate_5s_ths', 'hashrate_1m_ths', 'hashrate_15m_ths', 'upfreq_complete', 'pcb_sn', 'chip_data', 'status'},
    devices={'kernel', 'name', 'driver'},
    psu={'version', 'vout', 'mode', 'liquid_temperature', 'fan_speed'},
    error_codes={'reason'},
)
# Live values (hash rates, temperatures, power): read a moment apart, equal within this share.
RELATIVE = 0.05


class _V2:
    """Reads of the simulated miner as its V2.2 port answers them."""

    api = 'v2'
    host = '127.0.0.1'
    port = 4028

    def __init__(self, sim):
        self.sim = sim
        self.requests_sent = []

    def read(self, command, **params):
        return api_v2.do_read(self.sim, command, dict(cmd=command, **params))

    def read_joined(self, *commands):
        raise InvalidCommand(14, 'one at a time here')

    def write(self, command, restarting=False, **params):
        assert command == 'get_customer_msg'
        return {'STATUS': 'S', 'Code': 131, 'Msg': dict(self.sim.settings.get('customer_msg') or {})}


class _V3:
    """Reads of the same miner as its V3 port answers them."""

    api = 'v3'
    host = '127.0.0.1'
    port = 4433

    def __init__(self, sim):
        self.sim = sim
        self.requests_sent = []

    def get(self, command, param=None):
        reply = api_v3.READ_COMMANDS[command](self.sim, command, param)
        assert reply.obj['code'] == 0, reply.obj
        return reply.obj['msg']


def _close(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= RELATIVE * max(abs(a), abs(b), 1)
    return a == b


def _differences(section, v2, v3):
    rows_v2 = v2 if isinstance(v2, list) else [v2]
    rows_v3 = v3 if isinstance(v3, list) else [v3]
    if len(rows_v2) != len(rows_v3):
        return ['%s: %d rows over V2.2, %d over V3' % (section, len(rows_v2), len(rows_v3))]
    found = []
    for position, (a, b) in enumerate(zip(rows_v2, rows_v3)):
        if not isinstance(a, dict):
            found += [] if a == b else ['%s[%d]: %r != %r' % (section, position, a, b)]
            continue
        for key in sorted(set(a) | set(b)):
            if key in ONE_API_ONLY.get(section, ()):
                continue
            if not _close(a.get(key), b.get(key)):
                found.append('%s[%d].%s: V2.2 %r, V3 %r' % (section, position, key, a.get(key), b.get(key)))
    return found


@pytest.mark.parametrize('model', ['M50', 'M60'])
def test_one_state_reads_the_same_over_v2_and_v3(tmp_path, model):
    fleet = Fleet(SimConfig(miners=1, models=(model,), state_dir=str(tmp_path), seed=7, ramp_seconds=0))
    fleet.build()
    sim = fleet.miners[0]
    sim.settings['customer_msg'] = dict(sim.settings.get('customer_msg') or {}, msg3='rack 4')
    sim.settings['pools'] = [dict(url='stratum+tcp://a.example:3333', user='acct.1', passwd='x'),
                             dict(url='stratum+tcp://b.example:443', user='acct.1', passwd='x'), dict(url='', user='', passwd='')]
    v2 = open_miner(None, '127.0.0.1', {}, client=_V2(sim)).read_sections(SECTIONS)
    v3 = open_miner(None, '127.0.0.1', {}, client=_V3(sim)).read_sections(SECTIONS)
    found = []
    for section in SECTIONS:
        found += _differences(section, v2[section], v3[section])
    assert not found, '\n'.join(found)
    assert v2['summary']['hashrate_ths'] and v2['pools'] and v2['boards']  # something real was compared
