# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the collection's one synchronous implementation of each miner's logic on an asyncio loop (private).

A fleet-wide task drives thousands of miners. Threads pay for a thread per miner in flight and for the
GIL handing over between them; an asyncio rewrite of every resource would be a second copy of the
logic. Instead each miner's ordinary code (the same functions the per-host modules run) runs in a
greenlet, and the transport's sockets (``transport.open_connection``) become :class:`GreenSocket`:
each connect, send and recv hands control to the event loop until the socket is ready, then resumes
the greenlet. Sleeps in restart waits and ramps go through :func:`pause` and yield to the loop too.

This is the pattern SQLAlchemy uses to run its synchronous core under asyncio; the ``greenlet``
package (a small, long-maintained C extension) is what makes it possible. Without it, :func:`available`
is False and the fan-out falls back to a thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    from greenlet import getcurrent, greenlet
except ImportError:  # pragma: no cover - exercised by the fallback test through available()
    greenlet = getcurrent = None

_MARK = 'whatsminer_green_task'


def available():
    return greenlet is not None


def active():
    """True inside a greenlet started by :func:`run_all` (its sockets and sleeps go through the loop)."""
    return getcurrent is not None and getattr(getcurrent(), _MARK, False)


def wait(awaitable):
    """Wait for ``awaitable`` on the event loop from synchronous code running in a green task."""
    return getcurrent().parent.switch(awaitable)


def pause(seconds):
    """``time.sleep`` that lets the other miners of a fan-out run meanwhile."""
    if active():
        wait(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


# asyncio.timeout (Python 3.11+) bounds an await without the task wait_for creates.
_timeout = getattr(asyncio, 'timeout', None)


async def _bounded(awaitable, seconds):
    if seconds is None:
        return await awaitable
    try:
        if _timeout is not None:
            async with _timeout(seconds):
                return await awaitable
        return await asyncio.wait_for(awaitable, seconds)
    except asyncio.TimeoutError:
        raise socket.timeout('timed out')


def resolve(host, port, seconds):
    """getaddrinfo on the loop's resolver threads, bounded by ``seconds`` (socket.timeout past them)."""
    return wait(_bounded(asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), max(0.0, seconds)))


class GreenSocket(object):
    """The part of the socket API the transport uses, each blocking call served by the event loop.

    The timeout of ``settimeout`` bounds each call as it does on a blocking socket; the transport's
    deadlines work unchanged.
    """

    def __init__(self, family, kind, proto):
        self._sock = socket.socket(family, kind, proto)
        self._sock.setblocking(False)
        self._timeout = None
        self._loop = asyncio.get_running_loop()

    def settimeout(self, seconds):
        self._timeout = seconds

    def setsockopt(self, *args):
        self._sock.setsockopt(*args)

    def fileno(self):
        return self._sock.fileno()

    def connect(self, address):
        wait(_bounded(self._loop.sock_connect(self._sock, address), self._timeout))

    def send(self, data):
        try:
            sent = self._sock.send(data)  # the usual case: room in the send buffer, no need to wait
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < len(data):
            wait(_bounded(self._loop.sock_sendall(self._sock, data[sent:]), self._timeout))
        return len(data)

    def recv(self, size):
        try:
            return self._sock.recv(size)  # bytes already there: no round through the loop
        except (BlockingIOError, InterruptedError):
            return wait(_bounded(self._loop.sock_recv(self._sock, size), self._timeout))

    def close(self):
        self._sock.close()


def new_socket(family, kind, proto):
    """A socket for the transport: a :class:`GreenSocket` inside a green task, else a plain one."""
    if active():
        return GreenSocket(family, kind, proto)
    return socket.socket(family, kind, proto)


async def _drive(function, args):
    """Run ``function(*args)`` in a greenlet, awaiting each awaitable it hands over with :func:`wait`."""
    task = greenlet(function, parent=getcurrent())
    setattr(task, _MARK, True)
    request = task.switch(*args)
    while not task.dead:
        try:
            value = await request
        except BaseException as exc:  # pylint: disable=broad-except
            request = task.throw(exc)
        else:
            request = task.switch(value)
    return request


def run_all(function, items, concurrency, on_done=None):
    """``[function(item) for item in items]`` with at most ``concurrency`` in flight, on one event loop.

    ``concurrency`` workers take the items in turn, so memory stays bounded by the concurrency, not by the
    number of items (a discovery of a /16 is 65,534 of them). ``function`` never raises for one item's
    failure (it reports it in its result); ``on_done(result)`` is called as each finishes (progress).
    """
    items = list(items)
    results = [None] * len(items)
    queue = iter(enumerate(items))

    async def worker():
        for index, item in queue:
            results[index] = await _drive(function, (item,))
            if on_done is not None:
                on_done(results[index])

    async def main():
        await asyncio.gather(*(worker() for dummy in range(max(1, min(concurrency, len(items))))))

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    return results


@contextlib.contextmanager
def _collections_spaced():
    """Keep Python's cycle collector off what existed before the run, and run it less often meanwhile.

    An Ansible worker inherits the whole inventory; each full collection would walk all of it again while
    thousands of miners are driven (measured: 18 % of a 10,000-miner run). Frozen objects are left alone
    (gc.freeze), new garbage is still collected, only in larger batches.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def map_concurrently(function, items, concurrency, on_done=None, green=True):
    """``[function(item) for item in items]``, ``concurrency`` at a time, in order: green tasks on one event loop
    when the greenlet package is there (requests at the wire's pace), else a thread pool (also for test doubles
    that have no sockets: ``green=False``). The fan-out and discovery both run through here.
    """
    items = list(items)
    if not items:
        return []
    workers = max(1, min(concurrency, len(items)))
    if green and available():
        with _collections_spaced():
            return run_all(function, items, workers, on_done=on_done)
    results = [None] * len(items)
    lock = threading.Lock()

    def work(index):
        result = function(items[index])
        with lock:
            results[index] = result
            if on_done is not None:
                on_done(result)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix='whatsminer-fan-out') as pool:
        list(pool.map(work, range(len(items))))
    return results
