# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WhatsMiner simulator: an independent implementation of the MicroBT WhatsMiner API V2.2.

It serves any number of simulated miners from one asyncio process, for testing the
``minerops.whatsminer`` collection and playbooks without hardware. It deliberately shares
no code with the collection (``plugins/``): it is a second, independent reading of the
protocol, so that a misunderstanding in one does not hide in the other.
"""

__version__ = '1.0.0'
