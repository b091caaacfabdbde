# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The miners' TCP listeners (API V2.2 on port 4028 style): framing, streams, faults."""

import asyncio
import logging
import socket
import struct

from . import api_v2, crypto, firmware
from . import protocol as P

LOG = logging.getLogger(__name__)

MAX_FIRMWARE = 256 * 1024 * 1024
GARBAGE = b'<html><body>502 Bad Gateway</body></html>\r\n\xff\xfe\x00garbage'


async def listen(miner, host, port):
    """Start listening for ``miner``; return the asyncio.Server."""
    async def on_connect(reader, writer):
        await handle_connection(miner, reader, writer)
    return await asyncio.start_server(on_connect, host, port, backlog=256, reuse_address=True)


async def handle_connection(miner, reader, writer):
    """Serve one connection: one request, one reply (or stream), then close."""
    fleet = miner.fleet
    task = asyncio.current_task()
    fleet.conn_tasks.add(task)
    aborted = False
    try:
        aborted = await _serve(miner, reader, writer)
    except (ConnectionError, OSError, asyncio.IncompleteReadError):
        pass
    except asyncio.CancelledError:
        aborted = True
        _abort(writer)
    except Exception:  # pylint: disable=broad-except  # a bug must not kill the listener
        LOG.exception('%s: error while serving a connection', miner.id)
    finally:
        fleet.conn_tasks.discard(task)
        if not aborted:
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass


def _abort(writer):
    """Close with a TCP RST (SO_LINGER 0) rather than a FIN."""
    sock = writer.get_extra_info('socket')
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    except OSError:
        pass
    writer.transport.abort()


async def _read_request(miner, reader):
    """Read until one JSON text is complete; return (request bytes, bytes after it) or None."""
    scanner = P.FrameScanner()
    while True:
        try:
            chunk = await asyncio.wait_for(reader.read(16384), miner.config.idle_timeout)
        except asyncio.TimeoutError:
            miner.count('idle_timeouts')
            return None
        if not chunk:
            return None
        end = scanner.feed(chunk)
        if (end or len(scanner.buf)) > P.MAX_REQUEST:
            miner.count('bad_requests')
            miner.count('oversized_requests')
            return None
        if end is not None:
            return bytes(scanner.buf[:end]), bytes(scanner.buf[end:])


async def _serve(miner, reader, writer):
    """Return True when the connection was aborted (nothing left to close)."""
    miner.count('connections')
    if miner.take_fault('stall'):
        # accept, never answer: hold the connection until the client gives up
        while await reader.read(65536):
            pass
        return False
    got = await _read_request(miner, reader)
    if got is None:
        return False
    data, rest = got
    fault = miner.take_fault('latency')
    if fault:
        await asyncio.sleep(float(fault.get('seconds', 1.0)))
    reply = api_v2.handle(miner, data)
    if reply.stream == 'firmware':
        return await _firmware(miner, reader, writer, reply, rest)
    if reply.stream == 'logs':
        if await _send(miner, writer, reply):
            return True
        if reply.payload:
            await asyncio.sleep(0.01)
            writer.write(reply.payload)
            await writer.drain()
        return False
    if reply.restart:
        aborted = False
        if not _skip_reply(miner, reply):
            aborted = await _send(miner, writer, reply)
        miner.restart(reply.restart)
        return aborted
    return await _send(miner, writer, reply)


def _skip_reply(miner, reply=None):
    """A restarting command may close without a reply, unless the client asked for the reply first (respbefore)."""
    if miner.take_fault('no_reply'):
        return True
    return not getattr(reply, 'respbefore', False) and miner.rng.random() < miner.config.no_reply_probability


def encode_reply(miner, reply):
    text = P.serialize(reply.cmd, reply.obj, miner.quirks)
    if reply.encrypt:
        text = P.dumps({'enc': crypto.encrypt(reply.key or miner.key()[2], text)})
    return text.encode('utf-8')


async def _send(miner, writer, reply):
    """Write a reply, applying the output faults; return True if the connection was reset."""
    if reply.obj is None:
        return False
    data = encode_reply(miner, reply)
    if miner.take_fault('garbage'):
        data = GARBAGE
    elif miner.take_fault('truncated'):
        data = data[:max(1, len(data) // 2)]
    elif miner.take_fault('reset'):
        writer.write(data[:max(1, len(data) // 2)])
        await writer.drain()
        await asyncio.sleep(0.02)
        _abort(writer)
        return True
    writer.write(data)
    await writer.drain()
    return False


async def _firmware(miner, reader, writer, reply, rest):
    """update_firmware: 'ready', then <u32 LE size><image> from the client, then verify and reboot."""
    if await _send(miner, writer, reply):
        return True
    buf = bytearray(rest)
    key = reply.key

    async def need(count):
        while len(buf) < count:
            chunk = await asyncio.wait_for(reader.read(1 << 20), miner.config.idle_timeout)
            if not chunk:
                raise EOFError
            buf.extend(chunk)

    try:
        await need(4)
        (size,) = struct.unpack('<I', bytes(buf[:4]))
        if size > MAX_FIRMWARE:
            miner.count('firmware_rejected')
            await _send(miner, writer, api_v2.error_reply(miner, 'update_firmware', P.CODE_CMD_ERROR, 'firmware too large'))
            return False
        await need(4 + size)
    except (EOFError, asyncio.TimeoutError):
        miner.count('firmware_cut')
        LOG.info('%s: firmware upload cut off after %d bytes; keeping %s', miner.id, len(buf), miner.settings['firmware_version'])
        return False
    image = bytes(buf[4:4 + size])
    try:
        header = firmware.parse_image(image)
        firmware.check_for_model(header, miner.profile.family)
    except firmware.FirmwareError as exc:
        miner.count('firmware_rejected')
        await _send(miner, writer, api_v2.error_reply(miner, 'update_firmware', P.CODE_CMD_ERROR, 'upgrade failed: %s' % exc))
        return False
    miner.count('firmware_accepted')
    aborted = False
    if not _skip_reply(miner):
        done = api_v2.ok_reply(miner, 'update_firmware')
        done.key = key
        aborted = await _send(miner, writer, done)
    miner.restart('board', new_firmware=header['version'])
    return aborted
