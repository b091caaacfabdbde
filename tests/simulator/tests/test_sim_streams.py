# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""update_firmware and download_logs streams (reference_protocol.rst V2.2 §5)."""

import io
import json
import socket
import tarfile
import time

from simclient import http, u32, wait_port
from whatsminer_sim import firmware


def _open_stream(session, cmd):
    """Send an encrypted stream command; return (socket, header reply, bytes after the header)."""
    if session.token is None:
        session.login()
    body = {'cmd': cmd, 'token': session.token}
    sock = socket.create_connection((session.host, session.port), timeout=5)
    sock.sendall(json.dumps(session.encrypted(body)).encode())
    buf = b''
    decoder = json.JSONDecoder()
    while True:
        chunk = sock.recv(65536)
        assert chunk, 'closed before the header'
        buf += chunk
        try:
            header, end = decoder.raw_decode(buf.decode('latin-1'))
        except ValueError:
            continue
        return sock, session.decode(buf[:end]), buf[end:]


def _read_all(sock, initial=b''):
    out = bytearray(initial)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(out)
        out.extend(chunk)


def _upload(session, image, cut_at=None):
    sock, header, _rest = _open_stream(session, 'update_firmware')
    assert header['Code'] == 131 and header['Msg'] == 'ready'
    data = u32(len(image)) + image
    if cut_at is not None:
        sock.sendall(data[:cut_at])
        sock.close()
        return None
    sock.sendall(data)
    raw = _read_all(sock)
    sock.close()
    return session.decode(raw)


def version(handle):
    return http(handle.url + '/miners/sim-0001')[1]['firmware_version']


def test_firmware_accepted(make_sim):
    handle = make_sim(models=('M50',), restart_seconds=0.3)
    host, port = handle.addr()
    image = firmware.build_image('M5X', '20250101.22.REL', model='M50', payload_size=200000)
    reply = _upload(handle.session(), image)
    assert reply['Code'] == 131
    assert wait_port(host, port, up=True)
    s = handle.session()
    assert s.read('get_version')['Msg']['fw_ver'] == '20250101.22.REL'
    assert s.read('status')['Msg']['FirmwareVersion'] == '20250101.22.REL'
    assert http(handle.url + '/miners/sim-0001')[1]['counts']['firmware_accepted'] == 1


def test_firmware_rejected_corrupt_wrong_model_truncated(make_sim):
    handle = make_sim(models=('M50',))
    old = version(handle)
    for image, word in ((firmware.build_image('M5X', '20250101.22.REL', corrupt=True), 'checksum'),
                        (firmware.build_image('M3X', '20250101.22.REL'), 'M3X'),
                        (firmware.build_image('M5X', '20250101.22.REL')[:-50], 'truncated'),
                        (b'not a firmware image at all, sorry' * 3, 'magic')):
        reply = _upload(handle.session(), image)
        assert reply['STATUS'] == 'E' and reply['Code'] == 132, reply
        assert word in reply['Msg']
        assert version(handle) == old
        assert http(handle.url + '/miners/sim-0001')[1]['online']


def test_firmware_upload_cut_off(make_sim):
    handle = make_sim(models=('M50',), idle_timeout=1)
    old = version(handle)
    image = firmware.build_image('M5X', '20250101.22.REL', payload_size=100000)
    _upload(handle.session(), image, cut_at=5000)
    deadline = time.time() + 3
    while time.time() < deadline and 'firmware_cut' not in http(handle.url + '/miners/sim-0001')[1]['counts']:
        time.sleep(0.05)
    st = http(handle.url + '/miners/sim-0001')[1]
    assert st['counts']['firmware_cut'] == 1 and st['firmware_version'] == old and st['online']


def test_firmware_image_sent_with_header_early(make_sim):
    """The size and image may arrive before the client read 'ready' (same TCP segment as the command)."""
    handle = make_sim(models=('M30S+',), restart_seconds=0.2)
    s = handle.session().login()
    image = firmware.build_image('M3X', '20250202.22.REL')
    body = json.dumps(s.encrypted({'cmd': 'update_firmware', 'token': s.token})).encode()
    with socket.create_connection(handle.addr(), timeout=5) as sock:
        sock.sendall(body + u32(len(image)) + image)
        raw = _read_all(sock)
    assert b'"enc"' in raw
    assert wait_port(*handle.addr(), up=True)
    assert version(handle) == '20250202.22.REL'


def test_download_logs(sim):
    s = sim.session()
    sock, header, rest = _open_stream(s, 'download_logs')
    size = int(header['Msg']['logfilelen'])
    assert size > 100
    data = _read_all(sock, rest)
    sock.close()
    assert len(data) == size
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
        names = tar.getnames()
        assert 'log/btminer.log' in names
        assert b'btminer' in tar.extractfile('log/btminer.log').read()


def test_download_logs_empty(sim):
    assert http(sim.url + '/miners/sim-0001/empty-logs', 'POST', {})[1]['logs_empty'] is True
    s = sim.session()
    sock, header, rest = _open_stream(s, 'download_logs')
    assert header['Msg'] == {'logfilelen': '0'}
    assert _read_all(sock, rest) == b''
    sock.close()
    http(sim.url + '/miners/sim-0001/empty-logs', 'POST', {'empty': False})
    sock, header, rest = _open_stream(s, 'download_logs')
    assert int(header['Msg']['logfilelen']) > 0
    sock.close()
