# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Event-Driven Ansible source: watch a WhatsMiner fleet and emit an event when a miner's state changes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Watch a WhatsMiner fleet and emit an event when a miner's state changes.
description:
  - Polls every miner of the fleet (read-only commands, no token on API V2.2) over the collection's fan-out engine,
    at most O(concurrency) miners at a time, each request bounded by O(timeout).
  - Emits an event only when something changes, so a rulebook acts once per transition, under the key C(whatsminer)
    with C(event) one of C(miner_unreachable), C(miner_back), C(error_code_new), C(error_code_cleared),
    C(hashrate_low), C(hashrate_ok), C(temperature_high), C(temperature_ok), C(pool_dead), C(pool_alive);
    C(miner), C(host), C(port), C(time), C(detail) (the error code, its description and C(recoverable)) and
    C(figures) (mining, hash rate, nominal hash rate, hottest chip, pools).
  - Text the miner sent (pool URLs, error descriptions) is cut to 200 characters and can never be a Jinja2 template
    when the rulebook hands the event to a playbook.
options:
  miners:
    description:
      - The miners to watch, each a dict as the fan-out module takes them (C(host), C(port), C(name), C(password),
        C(api), C(v3_port), C(v3_account), C(v3_password), and C(nominal_ths) to judge the hash rate against instead
        of the factory figure the miner reports), or an address.
    type: list
  inventory:
    description:
      - An Ansible inventory to take the miners from (read once at start with C(ansible-inventory)), as the fleet
        playbooks do - C(ansible_host), C(whatsminer_port), C(whatsminer_api), C(whatsminer_v3_port),
        C(whatsminer_nominal_ths). Templated or vaulted variables are not rendered; give C(password) instead.
    type: str
  group:
    description: The inventory group to watch.
    type: str
    default: miners
  password:
    description: The admin password of miners that have none of their own (API V3 needs one to read).
    type: str
  interval:
    description: Seconds between the starts of two polls.
    type: float
    default: 30
  timeout:
    description: Deadline of each request to a miner, in seconds (a miner costs at most four requests a poll).
    type: float
    default: 5
  concurrency:
    description: Miners read at the same time.
    type: int
    default: 200
  hashrate_min_share:
    description: C(hashrate_low) when a mining miner hashes below this share of its nominal hash rate.
    type: float
    default: 0.8
  warmup_seconds:
    description: No C(hashrate_low) this long after btminer starts (the hash rate ramps up).
    type: float
    default: 900
  chip_temp_max_c:
    description: C(temperature_high) when the hottest chip reaches this temperature.
    type: float
    default: 95
  recoverable_codes:
    description:
      - The error codes marked C(recoverable) (restarting btminer clears them); the default names pool, hash-rate,
        board-detection and process errors, never power, fan or temperature ones.
    type: list
  polls:
    description: Stop after this many polls (0, the default, watches until the rulebook stops).
    type: int
    default: 0
"""

EXAMPLES = r"""
- minerops.whatsminer.fleet_watch:
    inventory: /runner/inventory/site.whatsminer.yml
    interval: 30
    chip_temp_max_c: 92
"""

import asyncio
import os
import sys
from typing import Any

try:
    from ansible_collections.minerops.whatsminer.plugins.module_utils._watch import watch_from_args
except ImportError:
    # ansible-rulebook runs this file by path: put the directory that holds ansible_collections/ in reach.
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *([os.pardir] * 7))))
    from ansible_collections.minerops.whatsminer.plugins.module_utils._watch import watch_from_args  # noqa: E402


async def main(queue: asyncio.Queue[Any], args: dict[str, Any]) -> None:
    """Poll the fleet every ``interval`` seconds and put the events of what changed on ``queue``."""
    watch, interval, polls = await asyncio.to_thread(watch_from_args, args)
    loop = asyncio.get_running_loop()
    done = 0
    while True:
        started = loop.time()
        for event in await asyncio.to_thread(watch.poll):
            await queue.put(event)
        done += 1
        if polls and done >= polls:
            return
        await asyncio.sleep(max(0.0, interval - (loop.time() - started)))


if __name__ == '__main__':
    # Print the events of two polls of the miners in $WHATSMINER_WATCH (comma-separated addresses).

    class _Printer:
        @staticmethod
        async def put(event: dict[str, Any]) -> None:
            print(event)

    asyncio.run(main(_Printer(), dict(miners=os.environ.get('WHATSMINER_WATCH', '127.0.0.1').split(','), polls=2, interval=5)))
