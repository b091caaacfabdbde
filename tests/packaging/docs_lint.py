# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run `antsibull-docs lint-collection-docs --plugin-docs` (make docs-lint), minus one false alarm.

antsibull-docs renders each plugin's RST from a copy of the collection in a fresh temporary
directory (/tmp/antsibull-docs-XXXXXXXX) and rstchecks it. The random part of that name ends with
an underscore about once in 37 runs, and docutils then reads the path as a hyperlink reference:
'Unknown target name: "antsibull-docs-XXXXXXX"' for every plugin. Those lines say nothing about our
docs; every other message fails the check.
"""

from __future__ import annotations

import re
import subprocess
import sys

FALSE_ALARM = re.compile(r'Unknown target name: "antsibull-docs-[a-z0-9_]+"')


def main(argv):
    command = ['antsibull-docs', 'lint-collection-docs', '--plugin-docs'] + argv
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    kept, dropped = [], 0
    for line in completed.stdout.splitlines():
        if FALSE_ALARM.search(line):
            dropped += 1
        else:
            kept.append(line)
    if kept:
        print('\n'.join(kept))
    if dropped:
        print('docs-lint: ignored %d temporary-directory false alarms of antsibull-docs' % dropped)
    if completed.returncode != 0 and (kept or not dropped):
        print('docs-lint: antsibull-docs lint-collection-docs failed (exit code %d)' % completed.returncode)
        return 1
    print('docs-lint: antsibull-docs lint-collection-docs passed')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
