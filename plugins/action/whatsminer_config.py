# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.modules import whatsminer_config as module
from ansible_collections.minerops.whatsminer.plugins.plugin_utils.action import WhatsMinerActionModule


class ActionModule(WhatsMinerActionModule):
    MODULE = module
