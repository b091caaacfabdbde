# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The attributes every minerops.whatsminer module documents; each module gives its support and details."""

    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the miner.
  diff_mode:
    description: Returns details on what has changed (or would change in C(check_mode)) when run with C(--diff).
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second run reports no change.
      - Settings the miner's API cannot read back break this unless the module records them on the miner (C(record_slot)).
'''

    ACTIONGROUP = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/minerops.whatsminer.whatsminer) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - minerops.whatsminer.whatsminer
'''
