# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options of modules that manage settings the WhatsMiner API V2.2 cannot read back."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
    details: Reports what would be sent; nothing is written (the applied-settings record is only read).
  diff_mode:
    support: full
    details: Shows the wanted values against the miner's where it reads them back, else against what the record says was applied.
options:
  record_slot:
    description:
      - Customer message slot (V(msg0) to V(msg9)) in which the collection records, on the miner itself, a
        fingerprint of each write-only setting it applied. Later runs compare against it and send only what
        differs, so a second run reports C(ok) and sends nothing, even from an ephemeral CI runner.
      - The slot must be free or already hold such a record (it starts with C(mo1;)); the task fails
        otherwise rather than overwrite a customer message.
      - Without it, write-only settings given to the task are sent on every run and the task reports
        C(changed) with a warning - never C(ok) on a guess.
      - Defaults to the host variable C(whatsminer_record_slot) when set.
      - A setting changed behind the collection's back (miner web page, other tools) is not detected, because
        the record still says it was applied; use O(reapply=true), or clear the slot, to send it again.
    type: str
    choices: [msg0, msg1, msg2, msg3, msg4, msg5, msg6, msg7, msg8, msg9]
  reapply:
    description:
      - Send every write-only setting given to the task, whatever the record says, and rewrite the record.
    type: bool
    default: false
notes:
  - On API V2.2, reading the record needs a token, and a miner keeps at most 100 tokens for 30 minutes; each task that
    reads it uses one. A playbook of four such tasks can run about 25 times in 30 minutes against the same miners
    before they answer "over max connect" (code 136); the task then fails with that explanation and nothing is sent.
    API V3 has no such limit.
  - Fingerprints are 6 hexadecimal characters of SHA-256 over the value; for secrets (pool passwords) the hash is
    keyed with the admin password, so the record reveals nothing usable. Rotating the admin password therefore
    makes the next run send pool passwords once more.
  - Runs at the same time on one miner (two playbooks, or two tasks managing different settings) do not overwrite
    each other's entries - the record is read again just before it is written and only the task's own settings are
    merged into it. What remains - two runs applying the same setting at once cannot both be right (the last write
    wins on the miner, the record may name the other value); a change seen in the record while the task ran, or right
    after it wrote it, is reported as a warning. Run again, or with O(reapply=true), to settle it.
'''
