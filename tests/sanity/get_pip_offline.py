# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip script that ansible-test downloads.

ansible-test bootstraps pip in its virtual environments with get-pip (24.2; 23.1.2 before
ansible-core 2.18), fetched from a
host this build machine cannot reach. It first looks for a cached copy under
~/.ansible/test/cache/get_pip_<version>.py; `make test` installs this file there (under a HOME
of its own in build/) so sanity tests work with only the package registry reachable.
"""

from __future__ import annotations

import os
import subprocess
import sys

DROPPED = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    env = dict(os.environ)
    env.pop('PIP_CONFIG_FILE', None)
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'], env=env)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--upgrade'] + args, env=env)


if __name__ == '__main__':
    main()
