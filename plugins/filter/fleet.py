# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the fleet roles: the miner list of a fan-out task, built from the inventory."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _get(variables, name, default=None):
    try:
        value = variables[name]
    except KeyError:
        return default
    return default if value is None else value


def fleet_members(hosts, hostvars, password=None):
    """``groups['miners'] | minerops.whatsminer.fleet_members(hostvars)`` -> [{host, port, password, name, api...}].

    The address is ``ansible_host`` (else the inventory name), the port ``whatsminer_port`` (else 4028)
    and the password ``whatsminer_password`` (else ``password``), as the per-host modules read them;
    ``whatsminer_api``, ``whatsminer_v3_port``, ``whatsminer_v3_account`` and ``whatsminer_v3_password`` when set.
    """
    if isinstance(hosts, str):
        hosts = [hosts]
    members = []
    for name in hosts:
        try:
            variables = hostvars[name]
        except KeyError:
            raise AnsibleFilterError('fleet_members: %s is not in the inventory' % name)
        member = dict(name=str(name), host=str(_get(variables, 'ansible_host', name)), port=int(_get(variables, 'whatsminer_port', 4028)))
        secret = _get(variables, 'whatsminer_password', password)
        if secret is not None:
            member['password'] = str(secret)
        for option in ('api', 'v3_port', 'v3_account', 'v3_password'):
            value = _get(variables, 'whatsminer_' + option, None)
            if value is not None:
                member[option] = int(value) if option == 'v3_port' else str(value)
        members.append(member)
    return members


class FilterModule:
    """minerops.whatsminer fleet filters."""

    def filters(self):
        return dict(fleet_members=fleet_members)
