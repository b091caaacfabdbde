#!/usr/bin/env bash
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Packaging smoke test, run by `make galaxy-build` after the tarball was installed into $INSTALLED:
# start two simulated miners, prove Ansible resolves the collection from $INSTALLED only, and run
# tests/packaging/smoke.yml against the simulated miners with nothing but the installed copy.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${BIN:-$repo/.venv/bin}
INSTALLED=${INSTALLED:-$repo/build/installed}
WORK=${WORK:-$repo/build/packaging}
FQCN=minerops.whatsminer

if [ ! -d "$repo/tests/simulator/whatsminer_sim" ]; then
  echo "SKIPPED: packaging smoke playbook: tests/simulator/whatsminer_sim is missing (the simulator has not landed yet)"
  exit 0
fi

rm -rf "$WORK" && mkdir -p "$WORK/state"
PYTHONPATH="$repo/tests/simulator" "$BIN/python" -m whatsminer_sim --miners 2 --base-address 127.0.70.1 \
  --inventory "$WORK/inventory.yml" --inventory-password --ready-file "$WORK/ready.json" \
  --state-dir "$WORK/state" --restart-seconds 1 > "$WORK/simulator.log" 2>&1 &
sim=$!
stop_simulator() {
  kill -TERM "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
}
trap stop_simulator EXIT

for _ in $(seq 1 150); do
  [ -s "$WORK/ready.json" ] && break
  if ! kill -0 "$sim" 2>/dev/null; then
    echo "The simulator exited before it was ready:"; cat "$WORK/simulator.log"; exit 1
  fi
  sleep 0.2
done
if [ ! -s "$WORK/ready.json" ]; then
  echo "The simulator was not ready after 30 s:"; cat "$WORK/simulator.log"; exit 1
fi

# Only the installed copy is visible: no PYTHONPATH, no sys.path scan, and a working directory
# outside the repository (so no playbook-adjacent or ./ansible_collections lookup finds the source).
cd "$WORK"
export ANSIBLE_COLLECTIONS_PATH="$INSTALLED" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_HOST_KEY_CHECKING=False
unset PYTHONPATH

"$BIN/ansible-doc" --json -t module "$FQCN.whatsminer_facts" > "$WORK/facts-doc.json"
"$BIN/python" - "$WORK/facts-doc.json" "$INSTALLED" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
filename = os.path.realpath(doc['minerops.whatsminer.whatsminer_facts']['doc']['filename'])
installed = os.path.realpath(sys.argv[2])
if not filename.startswith(installed + os.sep):
    sys.exit('whatsminer_facts resolves to %s, not to the installed copy under %s' % (filename, installed))
print('whatsminer_facts resolves to the installed copy: %s' % filename)
PY

"$BIN/ansible-playbook" -i "$WORK/inventory.yml" "$here/smoke.yml"
echo "packaging smoke test: the installed collection ran against 2 simulated miners"
