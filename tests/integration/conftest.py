# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: a simulated fleet per test (own loopback /24) and a playbook runner."""

from __future__ import annotations

import itertools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Fleet, run_playbook  # noqa: E402 pylint: disable=wrong-import-position

# Each fleet gets its own 127.<session>.<n>.0/24 so tests never share an address.
_SESSION_OCTET = 100 + os.getpid() % 100
_NETWORKS = itertools.count(1)


@pytest.fixture
def make_fleet(tmp_path):
    fleets = []

    def factory(miners=1, **kwargs):
        network = next(_NETWORKS) % 250 + 1
        workdir = tmp_path / ('fleet%d' % len(fleets))
        workdir.mkdir()
        fleet = Fleet(miners=miners, base_address='127.%d.%d.1' % (_SESSION_OCTET, network), workdir=str(workdir), **kwargs)
        fleets.append(fleet)
        return fleet.start()

    yield factory
    for fleet in fleets:
        fleet.stop()


@pytest.fixture
def fleet(make_fleet):
    return make_fleet(miners=2)


@pytest.fixture
def playbook(tmp_path):
    def runner(fleet, text, **kwargs):
        return run_playbook(text, fleet.inventory, str(tmp_path), **kwargs)
    return runner
