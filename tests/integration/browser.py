# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Headless Chromium driven over the DevTools protocol: open a page, run script in it, see its errors, screenshot it.

A few dozen lines over ``websockets`` (installed with ansible-rulebook) instead of a browser-automation framework
that would download a browser of its own; Chromium comes from the distribution's packages.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

from websockets.sync.client import connect

from harness import stop_process


def find_chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One tab of a headless Chromium started for it; a context manager that stops the browser on exit."""

    def __init__(self, binary, width=1400, height=1000, timeout=30.0):
        self.profile = tempfile.mkdtemp(prefix='whatsminer-chromium-')
        self.timeout = timeout
        self.process = subprocess.Popen(
            [binary, '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
             '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1', '--user-data-dir=' + self.profile,
             '--window-size=%d,%d' % (width, height), 'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port = self._devtools_port()
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen('http://127.0.0.1:%d/json/list' % port, timeout=5) as reply:
                pages = [t for t in json.load(reply) if t.get('type') == 'page']
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.socket = connect(pages[0]['webSocketDebuggerUrl'], max_size=64 * 1024 * 1024, open_timeout=timeout)
        self.ids = itertools.count(1)
        self.events = []
        for domain in ('Page', 'Runtime', 'Log'):
            self.call(domain + '.enable')

    def _devtools_port(self):
        deadline = time.monotonic() + self.timeout
        seen = b''
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                break
            seen += line
            match = re.search(rb'DevTools listening on ws://127\.0\.0\.1:(\d+)/', line)
            if match:
                return int(match.group(1))
        self.close()
        raise RuntimeError('Chromium did not open its DevTools port: %s' % seen.decode('utf-8', 'replace')[-2000:])

    def call(self, method, **params):
        ident = next(self.ids)
        self.socket.send(json.dumps(dict(id=ident, method=method, params=params)))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get('id') == ident:
                if 'error' in message:
                    raise RuntimeError('%s: %s' % (method, message['error']))
                return message.get('result', {})
            self.events.append(message)
        raise TimeoutError(method)

    def wait_event(self, method):
        deadline = time.monotonic() + self.timeout
        while not any(e.get('method') == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic()))))

    def open(self, path):
        self.call('Page.navigate', url='file://' + os.path.abspath(path))
        self.wait_event('Page.loadEventFired')

    def evaluate(self, expression):
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise RuntimeError('%s: %s' % (expression, result['exceptionDetails']))
        return result['result'].get('value')

    def errors(self):
        """What a person would see in the console as errors: uncaught exceptions, console.error, failed loads."""
        found = []
        for event in self.events:
            method, params = event.get('method'), event.get('params', {})
            if method == 'Runtime.exceptionThrown':
                found.append(params['exceptionDetails'].get('text', 'exception'))
            elif method == 'Runtime.consoleAPICalled' and params.get('type') in ('error', 'assert'):
                found.append(' '.join(str(arg.get('value')) for arg in params.get('args', [])))
            elif method == 'Log.entryAdded' and params.get('entry', {}).get('level') == 'error':
                found.append(params['entry'].get('text'))
        return found

    def screenshot(self, path):
        size = self.evaluate('[document.documentElement.scrollWidth, document.documentElement.scrollHeight]')
        data = self.call('Page.captureScreenshot', format='png', captureBeyondViewport=True,
                         clip=dict(x=0, y=0, width=size[0], height=min(size[1], 8000), scale=1))['data']
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as handle:
            handle.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            if getattr(self, 'socket', None) is not None:
                self.socket.close()
        finally:
            stop_process(self.process, 10)
            self.process.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
