# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Firmware generations: how real WhatsMiner firmware of a given era differs from the V2.2 manual.

A miner's ``generation`` setting (``--firmware``, per model/index/id like ``--api``) picks one; the
default, ``manual``, answers as the 2025 V2.2 manual reads. Each generation rests on public evidence
from real fleets (the sources are named in the simulator README, "Firmware generations"):

* ``2021``: API 1.x (``whatsminer v1.4.0``). ``status`` holds ``btmineroff`` and a quoted ``Firmware
  Version`` only; the summary has no fast-boot field and reports errors as ``Error Code N`` keys; no
  ``get_error_code`` (API 2.0.1+), ``get_miner_info``, ``devdetails`` or ``get_customer_msg``.
* ``2023``: API 2.0.x with cgminer envelopes; ``hash_percent`` left empty, no fast-boot field in the
  summary, no ``get_customer_msg`` (it first appears in the 2025 manual).
* ``2025``: API 2.0.5+: the cgminer reads come in the custom envelope ``{"STATUS": "S", "Code": 131,
  "Msg": [rows]}`` (``Msg`` = the summary row for summary), and ``update_pools`` is applied only when
  btminer next restarts.
"""

import dataclasses

NAMES = ('manual', '2021', '2023', '2025')


@dataclasses.dataclass(frozen=True)
class Generation:
    name: str
    # firmware version of a miner born in this generation (None: the model's)
    firmware_version: str = None
    api_version: int = 2
    # V2 commands this firmware does not know (answered 14 "invalid cmd")
    missing: tuple = ()
    # summary fields it does not report
    summary_dropped: tuple = ()
    # status fields it leaves empty
    status_blank: tuple = ()
    errors_in_summary: bool = False
    msg_envelope: bool = False
    pools_after_restart: bool = False
    # reports settings V2.2 calls write-only: upfreq_speed in get_miner_info, power_pct and fast_hash in status
    reports_runtime: bool = False


GENERATIONS = {
    'manual': Generation('manual'),
    '2021': Generation('2021', firmware_version='20210322.22.REL', api_version=1,
                       missing=('get_error_code', 'get_miner_info', 'devdetails', 'get_customer_msg'),
                       summary_dropped=('Btminer Fast Boot', 'Debug', 'Power Limit', 'Chip Temp Min', 'Chip Temp Max',
                                        'Chip Temp Avg', 'Factory GHS', 'Power Mode'),
                       errors_in_summary=True),
    '2023': Generation('2023', firmware_version='20230619.22.REL', missing=('get_customer_msg',), summary_dropped=('Btminer Fast Boot',),
                       status_blank=('hash_percent',)),
    '2025': Generation('2025', firmware_version='20250214.22.REL', msg_envelope=True, pools_after_restart=True,
                       reports_runtime=True),
}


def get(name):
    """The Generation called ``name`` ('' means manual)."""
    try:
        return GENERATIONS[name or 'manual']
    except KeyError:
        raise ValueError('unknown firmware generation %r (known: %s)' % (name, ', '.join(NAMES))) from None


def envelope(cmd, items, when, description):
    """The 2025 custom envelope of a cgminer read: ``Msg`` is the list of rows, the summary row itself for summary."""
    msg = items[0] if cmd == 'summary' and len(items) == 1 else items
    return {'STATUS': 'S', 'When': when, 'Code': 131, 'Msg': msg, 'Description': description}
