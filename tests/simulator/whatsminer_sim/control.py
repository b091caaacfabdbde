# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control API: a small JSON-over-HTTP/1.1 server on 127.0.0.1 for tests and operators.

Endpoints (ID = ``sim-0001`` or ``host:port``)::

    GET    /miners                    [{id, host, port, model, online}]
    GET    /miners/ID                 full state (settings incl. write-only ones, counts, tokens, faults)
    PATCH  /miners/ID/state           merge a JSON object into the settings
    POST   /miners/ID/faults          add a fault {"kind": K, "count"?, "seconds"?, "code"?}
    DELETE /miners/ID/faults          clear faults
    POST   /miners/ID/reset-counts    zero the request counters
    POST   /miners/ID/empty-logs      download_logs answers logfilelen "0" ({"empty": false} undoes)
    POST   /miners/ID/reboot          reboot now (same as the "reboot" fault)
    POST   /faults, DELETE /faults, POST /reset-counts, PATCH /state    the same for every miner
    GET    /health                    {"ok": true, "miners": N}
    POST   /shutdown                  stop the simulator cleanly
"""

import asyncio
import json
import logging
from http import HTTPStatus

LOG = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


class HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


async def start_control(fleet, port):
    async def on_connect(reader, writer):
        await _serve(fleet, reader, writer)
    return await asyncio.start_server(on_connect, '127.0.0.1', port, reuse_address=True)


async def _serve(fleet, reader, writer):
    try:
        method, path = '', ''
        try:
            request = await asyncio.wait_for(_read_request(reader), 30)
            if request is None:
                return
            method, path, body = request
            status, payload = route(fleet, method, path, body)
        except HttpError as exc:
            status, payload = exc.status, {'error': exc.message}
        except (ValueError, TypeError, KeyError) as exc:
            status, payload = 400, {'error': str(exc)}
        data = json.dumps(payload, indent=1, sort_keys=True).encode('utf-8') + b'\n'
        head = 'HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % (
            status, HTTPStatus(status).phrase, len(data))
        writer.write(head.encode('ascii') + data)
        await writer.drain()
        if method == 'POST' and path.rstrip('/') == '/shutdown':
            fleet.request_stop()
    except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        pass
    except Exception:  # pylint: disable=broad-except  # keep serving after a bug
        LOG.exception('control API error')
    finally:
        writer.close()


async def _read_request(reader):
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode('latin-1').split()
    if len(parts) < 2:
        return None
    method, target = parts[0].upper(), parts[1]
    length = 0
    while True:
        header = await reader.readline()
        if header in (b'\r\n', b'\n', b''):
            break
        name, dummy, value = header.decode('latin-1').partition(':')
        if name.strip().lower() == 'content-length':
            length = int(value.strip())
    if length > MAX_BODY:
        raise HttpError(413, 'body too large')
    body = await reader.readexactly(length) if length else b''
    return method, target.split('?', 1)[0], body


def _json_body(body, default=None):
    if not body.strip():
        if default is not None:
            return default
        raise HttpError(400, 'a JSON body is required')
    try:
        return json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HttpError(400, 'invalid JSON body: %s' % exc) from exc


def _object_body(body, default=None):
    data = _json_body(body, default)
    if not isinstance(data, dict):
        raise HttpError(400, 'the body must be a JSON object')
    return data


def _miner_action(miner, method, action, body):
    if action == '' and method == 'GET':
        return 200, miner.full_state()
    if action == 'state' and method == 'PATCH':
        miner.patch_settings(_object_body(body))
        return 200, miner.full_state()
    if action == 'state' and method == 'GET':
        return 200, miner.full_state()
    if action == 'faults' and method == 'POST':
        try:
            fault = miner.add_fault(_object_body(body))
        except ValueError as exc:
            raise HttpError(400, str(exc)) from exc
        return 200, {'id': miner.id, 'added': fault, 'faults': miner.faults}
    if action == 'faults' and method == 'GET':
        return 200, {'id': miner.id, 'faults': miner.faults}
    if action == 'faults' and method == 'DELETE':
        miner.clear_faults()
        return 200, {'id': miner.id, 'faults': []}
    if action == 'reset-counts' and method == 'POST':
        miner.counts = {}
        return 200, {'id': miner.id, 'counts': {}}
    if action == 'empty-logs' and method == 'POST':
        miner.logs_empty = bool(_object_body(body, {}).get('empty', True))
        return 200, {'id': miner.id, 'logs_empty': miner.logs_empty}
    if action == 'reboot' and method == 'POST':
        miner.restart('board')
        return 200, {'id': miner.id, 'restarting': True}
    raise HttpError(404 if method in ('GET', 'POST', 'PATCH', 'DELETE') else 405, 'no such endpoint: %s %s' % (method, action))


def route(fleet, method, path, body):
    """Dispatch one request; return (HTTP status, JSON payload)."""
    parts = [p for p in path.split('/') if p]
    if parts == ['health'] and method == 'GET':
        return 200, {'ok': True, 'miners': len(fleet.miners), 'control_url': fleet.control_url}
    if parts == ['shutdown'] and method == 'POST':
        return 200, {'stopping': True}
    if parts == ['miners'] and method == 'GET':
        return 200, fleet.listing()
    if parts and parts[0] == 'miners' and len(parts) in (2, 3):
        miner = fleet.get(parts[1])
        if miner is None:
            raise HttpError(404, 'no miner %r' % parts[1])
        return _miner_action(miner, method, parts[2] if len(parts) == 3 else '', body)
    if len(parts) == 1 and parts[0] in ('faults', 'reset-counts', 'state', 'empty-logs', 'reboot'):
        results = [_miner_action(m, method, parts[0], body)[1] for m in fleet.miners]
        return 200, {'miners': len(results)}
    raise HttpError(404, 'no such endpoint: %s %s' % (method, path))
