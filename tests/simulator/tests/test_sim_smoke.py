# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Quick end-to-end smoke test."""

from simclient import request


def test_summary_and_token(sim):
    host, port = sim.addr()
    reply = request(host, port, {'cmd': 'summary'})
    assert reply['STATUS'][0]['STATUS'] == 'S'
    assert reply['SUMMARY'][0]['Power Mode'] == 'Normal'
    session = sim.session().login()
    reply = session.send('set_led', param='auto')
    assert reply['Code'] == 131, reply
