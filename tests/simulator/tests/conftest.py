# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pytest setup for the simulator's own tests: make ``whatsminer_sim`` and ``simclient`` importable."""

import itertools
import os
import sys
import warnings

import pytest

# passlib (1.7) imports the stdlib crypt module, deprecated since Python 3.11: not our concern here
warnings.filterwarnings('ignore', message=".*'crypt' is deprecated", category=DeprecationWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_ROOT = os.path.dirname(HERE)
for path in (SIM_ROOT, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from simclient import SimHandle  # noqa: E402  pylint: disable=wrong-import-position

# Each simulator a test starts gets its own 127.x.y.1 block so tests never collide.
_BLOCKS = itertools.count(1)


def next_base():
    n = next(_BLOCKS)
    return '127.%d.%d.1' % (60 + (os.getpid() % 60), n % 250 + 1)


@pytest.fixture
def make_sim(tmp_path):
    """Factory: make_sim(miners=1, **SimConfig fields) -> running SimHandle (stopped at teardown)."""
    handles = []

    def factory(**options):
        options.setdefault('base_address', next_base())
        options.setdefault('state_dir', str(tmp_path / ('state%d' % len(handles))))
        options.setdefault('restart_seconds', 0.3)
        options.setdefault('no_reply_probability', 0.0)
        options.setdefault('seed', 1)
        handle = SimHandle(**options)
        handles.append(handle)
        return handle

    yield factory
    for handle in handles:
        handle.stop()


@pytest.fixture
def sim(make_sim):
    """One M50 miner, write API on, password admin."""
    return make_sim(models=('M50',))


@pytest.fixture
def v3sim(make_sim):
    """One M50 API V3 miner (V3 on 4433 + reduced V2 on 4028), super password pw1, writes on."""
    return make_sim(models=('M50',), api='v3', v3_password='pw1')


@pytest.fixture
def v3(v3sim):
    """A V3Client (super/pw1) connected to ``v3sim``'s first miner."""
    from simclient_v3 import V3Client  # pylint: disable=import-outside-toplevel
    miner = v3sim.miner(0)
    client = V3Client(miner.host, miner.v3_port, 'super', 'pw1')
    yield client
    client.close()
