# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The green runtime: the ordinary transport code run on one event loop, against real loopback peers."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ansible_collections.minerops.whatsminer.plugins.module_utils import _green, transport
from ansible_collections.minerops.whatsminer.plugins.module_utils.client import WhatsMinerClient
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import MinerTimeout, MinerUnreachable

pytestmark = pytest.mark.skipif(not _green.available(), reason='greenlet is not installed')


class Peer:
    """A loopback TCP server answering each connection after ``delay`` seconds with ``reply`` (None: never)."""

    def __init__(self, reply=b'{"STATUS":"S","Code":131,"Msg":{"api_ver":"2.0.5"}}', delay=0.0):
        self.reply, self.delay = reply, delay
        self.server = socket.socket()
        self.server.bind(('127.0.0.1', 0))
        self.server.listen(512)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._open = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, dummy = self.server.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        try:
            conn.recv(4096)
            if self.reply is None:
                return  # keep the connection open and silent
            time.sleep(self.delay)
            conn.sendall(self.reply)
            conn.close()
        except OSError:
            pass

    def close(self):
        self.server.close()
        for conn in self._open:
            conn.close()


@pytest.fixture
def peer():
    peers = []

    def make(**kwargs):
        peers.append(Peer(**kwargs))
        return peers[-1]

    yield make
    for each in peers:
        each.close()


def _version(port, timeout=5.0):
    def read(dummy):
        try:
            return WhatsMinerClient('127.0.0.1', port, timeout=timeout).read('get_version')['Msg']['api_ver']
        except Exception as exc:  # pylint: disable=broad-except
            return exc
    return read


def test_the_same_client_code_reads_many_miners_on_one_thread(peer):
    server = peer()
    seen = set()

    def read(index):
        seen.add(threading.get_ident())
        assert _green.active()
        return _version(server.port)(index)

    results = _green.run_all(read, range(50), concurrency=20)
    assert results == ['2.0.5'] * 50
    assert seen == {threading.get_ident()}  # no thread per miner
    assert server.connections == 50
    assert not _green.active()


def test_slow_peers_wait_together_not_one_after_the_other(peer):
    server = peer(delay=0.3)
    started = time.monotonic()
    results = _green.run_all(_version(server.port), range(40), concurrency=40)
    elapsed = time.monotonic() - started
    assert results == ['2.0.5'] * 40
    assert elapsed < 3.0, elapsed  # 40 x 0.3 s one after the other would be 12 s


def test_a_silent_peer_ends_within_its_timeout_and_the_others_finish(peer):
    silent, answering = peer(reply=None), peer()
    started = time.monotonic()
    results = _green.run_all(lambda index: _version(silent.port if index == 0 else answering.port, timeout=0.5)(index),
                             range(5), concurrency=5)
    assert time.monotonic() - started < 2.0
    assert isinstance(results[0], MinerTimeout)
    assert results[1:] == ['2.0.5'] * 4


def test_a_closed_port_is_unreachable_at_once():
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    result = _green.run_all(_version(port), [0], concurrency=1)[0]
    assert isinstance(result, MinerUnreachable) and result.phase == 'connect'


def test_concurrency_bounds_the_miners_in_flight(peer):
    server = peer(delay=0.05)
    in_flight, most = [0], [0]

    def read(index):
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        try:
            return _version(server.port)(index)
        finally:
            in_flight[0] -= 1

    assert _green.run_all(read, range(30), concurrency=7) == ['2.0.5'] * 30
    assert most[0] == 7


def test_results_keep_the_order_of_the_items_and_progress_sees_each(peer):
    done = []
    results = _green.run_all(lambda index: (_green.pause(0.01 * (5 - index)), index)[1], range(5), concurrency=5, on_done=done.append)
    assert results == [0, 1, 2, 3, 4]
    assert sorted(done) == [0, 1, 2, 3, 4] and done != [0, 1, 2, 3, 4]  # they finished in another order


def test_pause_lets_the_others_run():
    started = time.monotonic()
    _green.run_all(lambda index: _green.pause(0.2), range(20), concurrency=20)
    assert time.monotonic() - started < 1.5  # 20 x 0.2 s one after the other would be 4 s


def test_outside_a_green_task_sockets_and_sleeps_are_the_ordinary_ones(monkeypatch):
    assert isinstance(_green.new_socket(socket.AF_INET, socket.SOCK_STREAM, 0), socket.socket)
    slept = []
    monkeypatch.setattr(time, 'sleep', slept.append)
    _green.pause(0.5)
    assert slept == [0.5]


def test_a_host_name_is_resolved_on_the_loop_within_the_deadline(peer):
    server = peer()
    result = _green.run_all(lambda index: WhatsMinerClient('localhost', server.port, timeout=5).read('get_version')['Msg']['api_ver'],
                            [0], concurrency=1)
    assert result == ['2.0.5']


def test_a_resolver_slower_than_the_deadline_times_out(monkeypatch):
    async def never(*args, **kwargs):
        import asyncio
        await asyncio.sleep(10)

    def resolve(host, port, seconds):
        return _green.wait(_green._bounded(never(), seconds))  # pylint: disable=protected-access

    monkeypatch.setattr(transport, 'green_resolve', resolve)
    started = time.monotonic()
    result = _green.run_all(lambda index: _catch(lambda: transport.open_connection('miner.invalid', 4028, transport.Deadline(0.3))),
                            [0], concurrency=1)[0]
    assert time.monotonic() - started < 2.0
    assert isinstance(result, MinerTimeout) and result.phase == 'resolve'


def _catch(function):
    try:
        return function()
    except Exception as exc:  # pylint: disable=broad-except
        return exc
