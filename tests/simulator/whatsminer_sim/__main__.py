# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Entry point: ``PYTHONPATH=tests/simulator python -m whatsminer_sim``."""

import sys

from .cli import main

sys.exit(main())
