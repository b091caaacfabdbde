# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the fleet roles: the miner list of a fan-out task, built from the inventory."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.minerops.whatsminer.plugins.module_utils._fleet import members_from_hostvars


def fleet_members(hosts, hostvars, password=None):
    """``groups['miners'] | minerops.whatsminer.fleet_members(hostvars)`` -> [{host, port, password, name, api...}].

    The address is ``ansible_host`` (else the inventory name), the port ``whatsminer_port`` (else 4028)
    and the password ``whatsminer_password`` (else ``password``), as the per-host modules read them;
    ``whatsminer_api``, ``whatsminer_v3_port``, ``whatsminer_v3_account`` and ``whatsminer_v3_password`` when set.
    """
    try:
        return members_from_hostvars(hosts, hostvars, password)
    except LookupError as exc:
        raise AnsibleFilterError('fleet_members: %s' % exc.args[0])


class FilterModule:
    """minerops.whatsminer fleet filters."""

    def filters(self):
        return dict(fleet_members=fleet_members)
