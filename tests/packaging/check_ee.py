# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the build context that `ansible-builder create` wrote (make ee)."""

from __future__ import annotations

import os
import sys


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def main(context):
    problems = []
    containerfile = read(os.path.join(context, 'Containerfile'))
    build = os.path.join(context, '_build')
    for needle in ('_build/requirements.txt', 'requirements.yml', 'ansible-galaxy collection install',
                   'introspect', 'ansible-core==2.19.14', 'FROM '):
        if needle not in containerfile:
            problems.append('Containerfile does not mention %s' % needle)
    python_reqs = read(os.path.join(build, 'requirements.txt'))
    for package in ('cryptography', 'passlib'):
        if package not in python_reqs:
            problems.append('_build/requirements.txt does not list %s' % package)
    galaxy_reqs = read(os.path.join(build, 'requirements.yml'))
    if 'minerops-whatsminer.tar.gz' not in galaxy_reqs:
        problems.append('_build/requirements.yml does not install the collection tarball')
    tarball = os.path.join(build, 'src', 'minerops-whatsminer.tar.gz')
    if not os.path.isfile(tarball):
        problems.append('the collection tarball was not copied into the context (%s)' % tarball)
    if problems:
        print('\n'.join(problems))
        return 1
    print('ee: %s/Containerfile installs ansible-core, cryptography, passlib and the collection tarball' % context)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
