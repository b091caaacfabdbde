# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""List a collection tarball and fail on junk or on missing essentials (make galaxy-dist)."""

from __future__ import annotations

import sys
import tarfile

# Path components that must never ship.
JUNK_DIRS = {'.venv', 'build', '.git', '__pycache__', '.pytest_cache', '.hypothesis', '.tox', '.mypy_cache', '.ci'}
JUNK_FILES = {'importer_result.json', '.DS_Store'}
JUNK_SUFFIXES = ('.pyc', '.pyo', '.tar.gz', '.orig', '.rej', '.swp', '~')
JUNK_PREFIXES = ('tests/output/',)
REQUIRED = (
    'MANIFEST.json',
    'FILES.json',
    'README.md',
    'meta/runtime.yml',
    'meta/execution-environment.yml',
    'requirements.txt',
    'plugins/modules/whatsminer_facts.py',
    'changelogs/changelog.yaml',
    'docs/docsite/extra-docs.yml',
)


def main(path):
    with tarfile.open(path, 'r:gz') as tar:
        members = tar.getmembers()
    names = [m.name[2:] if m.name.startswith('./') else m.name for m in members]
    problems = []
    for member, name in zip(members, names):
        parts = name.split('/')
        if (JUNK_DIRS.intersection(parts) or parts[-1] in JUNK_FILES or name.endswith(JUNK_SUFFIXES)
                or name.startswith(JUNK_PREFIXES)):
            problems.append('junk in the tarball: %s' % name)
        if member.issym() or member.islnk():
            problems.append('link in the tarball: %s -> %s' % (name, member.linkname))
        if name.startswith('/') or '..' in parts:
            problems.append('unsafe path in the tarball: %s' % name)
    for name in REQUIRED:
        if name not in names:
            problems.append('missing from the tarball: %s' % name)
    files = [m for m in members if m.isfile()]
    size = sum(m.size for m in files)
    top = sorted({n.split('/')[0] for n in names if n})
    print('%s: %d files, %d bytes unpacked; top level: %s' % (path, len(files), size, ' '.join(top)))
    if problems:
        print('\n'.join(problems))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
