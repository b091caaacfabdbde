# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API V3 listener (port 4433 style): length-prefixed frames on persistent connections.

Each frame is a little-endian uint32 length followed by that many bytes of JSON
(reference_protocol.rst V3 §1). A zero length is a heartbeat: accepted silently. One
connection carries any number of requests, answered in order; it is closed after
``--v3-idle-timeout`` seconds of silence, above ``--v3-max-request`` bytes, and when the
miner restarts. The eleventh concurrent client is accepted and closed at once.
"""

import asyncio
import logging
import struct

from . import api_v3, firmware
from . import protocol as P
from .server import GARBAGE, MAX_FIRMWARE, _abort, _skip_reply

LOG = logging.getLogger(__name__)

# what _send tells the connection loop
SENT = None
CLOSE = 'close'
ABORT = 'abort'


def frame(obj):
    """One V3 frame: <uint32 LE length><compact JSON>."""
    data = P.dumps(obj).encode('utf-8')
    return struct.pack('<I', len(data)) + data


class Conn:
    """One open V3 connection (for the client limit, restarts and report pushes)."""

    def __init__(self, writer):
        self.writer = writer
        self.report_task = None

    def stop_report(self):
        if self.report_task is not None:
            self.report_task.cancel()
            self.report_task = None

    def close(self):
        self.stop_report()
        try:
            self.writer.close()
        except (ConnectionError, OSError, RuntimeError):
            pass


async def listen_v3(miner, host, port):
    """Start the V3 listener for ``miner``; return the asyncio.Server."""
    async def on_connect(reader, writer):
        await handle_connection(miner, reader, writer)
    return await asyncio.start_server(on_connect, host, port, backlog=256, reuse_address=True)


async def handle_connection(miner, reader, writer):
    fleet = miner.fleet
    task = asyncio.current_task()
    fleet.conn_tasks.add(task)
    conn = Conn(writer)
    aborted = False
    try:
        if len(miner.v3_conns) >= int(miner.config.v3_max_clients):
            miner.count('v3_clients_refused')  # accepted, then closed at once without a reply
            return
        miner.v3_conns.add(conn)
        miner.count('connections')
        aborted = await _serve(miner, conn, reader, writer)
    except (ConnectionError, OSError, asyncio.IncompleteReadError):
        pass
    except asyncio.CancelledError:
        aborted = True
        _abort(writer)
    except Exception:  # pylint: disable=broad-except  # a bug must not kill the listener
        LOG.exception('%s: error while serving a V3 connection', miner.id)
    finally:
        miner.v3_conns.discard(conn)
        conn.stop_report()
        fleet.conn_tasks.discard(task)
        if not aborted:
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass


async def _read_frame(miner, reader):
    """The body of the next non-heartbeat frame, or None when the connection should end."""
    cfg = miner.config
    while True:
        try:
            head = await asyncio.wait_for(reader.readexactly(4), float(cfg.v3_idle_timeout))
        except asyncio.TimeoutError:
            miner.count('idle_timeouts')
            return None
        except asyncio.IncompleteReadError:
            return None
        (size,) = struct.unpack('<I', head)
        if size == 0:
            miner.count('heartbeats')
            continue
        if size > int(cfg.v3_max_request):
            miner.count('bad_requests')
            miner.count('oversized_requests')
            return None
        try:
            return await asyncio.wait_for(reader.readexactly(size), float(cfg.v3_idle_timeout))
        except asyncio.TimeoutError:
            miner.count('idle_timeouts')
            return None
        except asyncio.IncompleteReadError:
            return None


async def _serve(miner, conn, reader, writer):
    """The request loop; return True when the connection was aborted (nothing left to close)."""
    if miner.take_fault('stall'):
        while await reader.read(65536):
            pass
        return False
    while True:
        body = await _read_frame(miner, reader)
        if body is None:
            return False
        fault = miner.take_fault('latency')
        if fault:
            await asyncio.sleep(float(fault.get('seconds', 1.0)))
        reply = api_v3.handle(miner, body)
        if reply.restart:
            state = SENT
            if not _skip_reply(miner):
                state = await _send(miner, writer, reply.obj)
            miner.restart(reply.restart)
            return state == ABORT
        state = await _send(miner, writer, reply.obj)
        if state is not SENT:
            return state == ABORT
        if reply.stream == 'logs' and reply.payload:
            writer.write(reply.payload)  # raw bytes, no frame: the length was in the reply
            await writer.drain()
        elif reply.stream == 'report':
            _start_report(miner, conn, reply.gap)
        elif reply.stream == 'firmware':
            state = await _firmware(miner, reader, writer)
            if state is not SENT:
                return state == ABORT


async def _send(miner, writer, obj):
    """Write one frame, applying the output faults; SENT, CLOSE (end the connection) or ABORT (reset)."""
    if obj is None:
        return SENT
    data = frame(obj)
    if miner.take_fault('garbage'):
        writer.write(GARBAGE)
        await writer.drain()
        return CLOSE
    if miner.take_fault('truncated'):
        writer.write(data[:max(1, len(data) // 2)])
        await writer.drain()
        return CLOSE
    if miner.take_fault('reset'):
        writer.write(data[:max(1, len(data) // 2)])
        await writer.drain()
        await asyncio.sleep(0.02)
        _abort(writer)
        return ABORT
    writer.write(data)
    await writer.drain()
    return SENT


def _start_report(miner, conn, gap):
    """set.miner.report: push a summary frame every ``gap`` seconds on this connection (0 stops)."""
    conn.stop_report()
    if gap <= 0:
        return

    async def push():
        while True:
            await asyncio.sleep(gap)
            if conn.writer.is_closing():
                return
            miner.count('reports_pushed')
            conn.writer.write(frame(api_v3.report_frame(miner)))
            await conn.writer.drain()

    conn.report_task = miner.fleet.schedule(push())


async def _firmware(miner, reader, writer):
    """After "ready": <uint32 LE size><image> from the client, then a final frame and a reboot."""
    cmd = 'set.system.update_firmware'
    timeout = float(miner.config.v3_idle_timeout)
    try:
        head = await asyncio.wait_for(reader.readexactly(4), timeout)
        (size,) = struct.unpack('<I', head)
        if size > MAX_FIRMWARE:
            miner.count('firmware_rejected')
            await _send(miner, writer, api_v3.envelope(api_v3.CODE_FAIL, 'firmware too large', cmd))
            return CLOSE
        chunks = bytearray()
        while len(chunks) < size:
            chunk = await asyncio.wait_for(reader.read(min(1 << 20, size - len(chunks))), timeout)
            if not chunk:
                raise EOFError
            chunks.extend(chunk)
    except (EOFError, asyncio.IncompleteReadError, asyncio.TimeoutError):
        miner.count('firmware_cut')
        LOG.info('%s: V3 firmware upload cut off; keeping %s', miner.id, miner.settings['firmware_version'])
        return CLOSE
    try:
        header = firmware.parse_image(bytes(chunks))
        firmware.check_for_model(header, miner.profile.family)
    except firmware.FirmwareError as exc:
        miner.count('firmware_rejected')
        miner.count('errors')
        return await _send(miner, writer, api_v3.envelope(api_v3.CODE_FAIL, 'upgrade failed: %s' % exc, cmd))
    miner.count('firmware_accepted')
    state = SENT
    if not _skip_reply(miner):
        state = await _send(miner, writer, api_v3.envelope(api_v3.CODE_OK, 'ok', cmd))
    miner.restart('board', new_firmware=header['version'])
    return ABORT if state == ABORT else CLOSE
