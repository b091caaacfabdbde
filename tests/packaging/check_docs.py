# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the hand-written docs against the code (make docs-lint).

- every guide in docs/docsite/rst/ is listed in docs/docsite/extra-docs.yml and the other way round;
- the API command map names every module, inventory plugin and role that exists, and marks none of
  them "planned";
- when the workspace's PROTOCOL.md is beside the repository (../shared/PROTOCOL.md), the map names
  every command of its sections 3 to 5.
"""

from __future__ import annotations

import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCSITE = os.path.join(REPO, 'docs', 'docsite')
MAP = os.path.join(DOCSITE, 'rst', 'guide_api_command_map.rst')
FQCN = 'minerops.whatsminer'


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def plugin_names(kind):
    folder = os.path.join(REPO, 'plugins', kind)
    if not os.path.isdir(folder):
        return []
    return sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and not name.startswith('_'))


def role_names():
    folder = os.path.join(REPO, 'roles')
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder) if os.path.isdir(os.path.join(folder, name, 'tasks')))


def table_rows(text):
    """The rows of the list-tables of an rst text, each as its joined text."""
    rows, current = [], None
    for line in text.splitlines():
        if re.match(r'^\s*\* - ', line):
            if current is not None:
                rows.append(current)
            current = line
        elif current is not None and (line.startswith('    ') or line.strip().startswith('- ')):
            current += ' ' + line.strip()
        elif current is not None and line.strip() == '':
            continue
        elif current is not None:
            rows.append(current)
            current = None
    if current is not None:
        rows.append(current)
    return rows


def protocol_commands():
    path = os.path.join(os.path.dirname(REPO), 'shared', 'PROTOCOL.md')
    if not os.path.isfile(path):
        return None
    commands, section = set(), None
    for line in read(path).splitlines():
        heading = re.match(r'^## (\d+)\.', line)
        if heading:
            section = int(heading.group(1))
            continue
        if section in (3, 4) and line.startswith('| ') and not line.startswith('| Command') and not line.startswith('|---'):
            first = line.split('|')[1]
            commands.update(re.findall(r'\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b(?:summary|pools|edevs|devs|devdetails|status|reboot)\b', first))
        if section == 5:
            commands.update(re.findall(r'\*\*([a-z_]+)\*\*', line))
    return commands


def main():
    problems = []
    listed = set()
    for section in yaml.safe_load(read(os.path.join(DOCSITE, 'extra-docs.yml')))['sections']:
        listed.update(section.get('toctree', []))
    present = {name[:-4] for name in os.listdir(os.path.join(DOCSITE, 'rst')) if name.endswith('.rst')}
    for name in sorted(present - listed):
        problems.append('docs/docsite/rst/%s.rst is not listed in docs/docsite/extra-docs.yml' % name)
    for name in sorted(listed - present):
        problems.append('docs/docsite/extra-docs.yml lists %s, which has no docs/docsite/rst/%s.rst' % (name, name))

    text = read(MAP)
    rows = table_rows(text)
    existing = {name: 'module' for name in plugin_names('modules')}
    existing.update({name: 'role' for name in role_names()})
    for name, kind in sorted(existing.items()):
        if '``%s``' % name not in text and '%s.%s' % (FQCN, name) not in text:
            problems.append('the command map does not name the %s %s.%s' % (kind, FQCN, name))
    for name in plugin_names('inventory'):
        if '%s.%s' % (FQCN, name) not in text:
            problems.append('the command map does not name the inventory plugin %s.%s' % (FQCN, name))
    for row in rows:
        if 'planned' not in row:
            continue
        first_cell = row.split(' - ')[1] if ' - ' in row else row
        for name in re.findall(r'(?:%s\.)?(\w+)' % re.escape(FQCN), first_cell.replace('``', ' ')):
            if name in existing:
                problems.append('the command map marks %s as planned, but the %s exists: update the map' % (name, existing[name]))
        for name in re.findall(r'``(whatsminer_\w+|\w+)``', row):
            if name in existing and re.search(r'``%s``\s*\(planned\)' % re.escape(name), row):
                problems.append('the command map marks %s as planned, but the %s exists: update the map' % (name, existing[name]))

    commands = protocol_commands()
    if commands is None:
        print('check_docs: ../shared/PROTOCOL.md not found; command coverage not checked')
    else:
        for command in sorted(commands):
            if '``%s``' % command not in text:
                problems.append('the command map does not name the API command %s (PROTOCOL.md)' % command)
        print('check_docs: the command map covers the %d commands of PROTOCOL.md sections 3 to 5' % len(commands))

    if problems:
        print('\n'.join(problems))
        return 1
    print('check_docs: %d guides listed; the command map names %d modules/roles and the inventory plugin'
          % (len(present), len(existing)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
