# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every minerops.whatsminer module shares: the connection options, the task context
handed to each resource's read/compare/apply function, and the turn of typed errors into
task results.

The same resource function runs in two flavours: inside the action plugin, in the Ansible
worker process (the fast, normal path), and through the module's own ``main()`` when the
module is executed as a plain module (for example with ``delegate_to``).
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import (
    CHECK_WITHOUT_WRITE,
    DEFAULT_V3_PORT,
    choose_api,
    open_miner,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    MinerTimeout,
    MinerUnreachable,
    ModuleFailure,
    OutcomeUnknown,
    Unsupported,
    WhatsMinerError,
    format_endpoint,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils._validation import (
    MAX_TIMEOUT,
    check_hostname,
    check_seconds,
    check_time_options,
)

DEFAULT_PORT = 4028
DEFAULT_TIMEOUT = 10.0
V3_ACCOUNTS = ['super', 'user1', 'user2', 'user3']
# Host fact remembering the API that api=auto found, so one probe serves the whole play.
DETECTED_API_FACT = 'whatsminer_detected_api'

CONNECTION_ARGUMENT_SPEC = dict(
    host=dict(type='str'),
    port=dict(type='int', default=DEFAULT_PORT),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['WHATSMINER_PASSWORD'])),
    timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    api=dict(type='str', choices=['auto', 'v2', 'v3'], default='auto'),
    v3_port=dict(type='int', default=DEFAULT_V3_PORT),
    v3_account=dict(type='str', choices=V3_ACCOUNTS, default='super'),
    v3_password=dict(type='str', no_log=True, fallback=(env_fallback, ['WHATSMINER_V3_PASSWORD'])),
)

# Host variables the action plugin reads when the task does not set the option itself.
HOST_VARIABLES = dict(
    port='whatsminer_port',
    password='whatsminer_password',
    timeout='whatsminer_timeout',
    api='whatsminer_api',
    v3_port='whatsminer_v3_port',
    v3_account='whatsminer_v3_account',
    v3_password='whatsminer_v3_password',
    record_slot='whatsminer_record_slot',
)


def with_connection_options(spec):
    """Return ``spec`` extended by the shared connection options."""
    full = dict(CONNECTION_ARGUMENT_SPEC)
    full.update(spec)
    return full


class TaskContext:
    """Everything a resource function needs: validated parameters, check/diff flags, a client.

    Writes go through :meth:`write` so that check mode is enforced in one place and the
    result can list the commands that were sent (names only, never parameters).
    """

    def __init__(self, params, check_mode=False, diff=False, resolve_path=None, client_factory=None, miner=None):
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []
        # Where a long fan-out reports how far it has gone (the action plugin shows it; None: nowhere).
        self.progress = None
        self.commands_sent = []
        self.writes_applied = 0
        self._resolve_path = resolve_path
        self._client_factory = client_factory
        self._miner = miner
        self._api = None
        # Set when this task detected the API (api: auto); the action plugin keeps it as a host fact
        # so later tasks of the play skip the probe. 'auto' asks them to detect again (new firmware).
        self.detected_api = None

    @property
    def host(self):
        return self.params['host']

    @property
    def port(self):
        return self.params['port']

    @property
    def miner(self):
        """This task's :class:`Miner` (opened at first use)."""
        if self._miner is None:
            self._miner = self.open_miner()
        return self._miner

    def open_miner(self, password=None, host=None):
        """A new :class:`Miner` for this task's miner; ``password`` (to prove another one) and ``host`` (a new address) replace the task's."""
        options = dict(self.params)
        if password is not None:
            options.update(password=password, v3_password=password)
        if host is not None:
            options.update(host=host)
        host = options.get('host')
        if not host:
            raise ModuleFailure('host is required: set the host option, or target the miner with ansible_host set')
        if not 1 <= options['port'] <= 65535:
            raise ModuleFailure('port must be between 1 and 65535, got %s' % options['port'])
        check_seconds('timeout', options['timeout'], 0.001, MAX_TIMEOUT)
        check_hostname('host', host)
        if self._client_factory is not None:
            client = self._client_factory(host, port=options['port'], password=options.get('password'), timeout=options['timeout'],
                                          v3_password=options.get('v3_password'))
            return open_miner(None, host, options, client=client)
        return open_miner(self._choose_api(host), host, options)

    def _choose_api(self, host):
        """``v2`` or ``v3``, decided once per task; ``api: auto`` probes the V3 port (see _miner.choose_api)."""
        if self._api is None:
            wanted = self.params.get('api') or 'v2'
            self._api = choose_api(wanted, host, self.params.get('v3_port'), self.params['timeout'])
            if wanted == 'auto':
                self.detected_api = self._api
        return self._api

    def password(self):
        """The password this task's miner takes (API V3: v3_password, else password); the one precedence rule."""
        return next((self.params.get(name) for name in self.miner.password_options if self.params.get(name)), None)

    def require_password(self, why):
        if not self.params.get('password') and not self.params.get('v3_password'):
            raise ModuleFailure(
                'password is required to %s: set the password option, the whatsminer_password host variable '
                'or the WHATSMINER_PASSWORD environment variable' % why)

    def write(self, command, **params):
        """Send a write command; refuse in check mode (a bug guard, the caller must not ask)."""
        return self._send_write(command, False, params)

    def write_restarting(self, command, **params):
        """Send a command after which the miner restarts; no reply raises OutcomeUnknown."""
        return self._send_write(command, True, params)

    def _send_write(self, command, restarting, params):
        if self.check_mode:
            raise AssertionError('write %s attempted in check mode' % command)
        self.require_password('send %s' % command)
        miner = self.miner
        return self.send(command, lambda: miner.write(command, restarting=restarting, **params))

    def send(self, command, request):
        """Run ``request()``, one write; ``command`` counts as sent once its request left whole.

        The clients count the write requests that went out (``writes_sent``). A failure before that
        (no token or salt, connection refused) sent nothing: the command then neither appears in
        ``commands`` nor makes the task ``changed``. A client that cannot tell counts as sent.
        """
        miner = self.miner
        sent_before = miner.writes_sent
        try:
            reply = request()
        except WhatsMinerError:
            if sent_before is None or miner.writes_sent != sent_before:
                self.commands_sent.append(command)
            raise
        self.commands_sent.append(command)
        self.writes_applied += 1
        return reply

    def would_write(self):
        """Check mode: a write would be sent without reading first; open the miner so that the run proves the password."""
        self.miner.can(CHECK_WITHOUT_WRITE)

    def warn(self, message):
        self.warnings.append(message)

    def run_section(self, name, ensure, params, warnings, check_mode=False):
        """Run ``ensure`` (a resource function) with ``params`` on this task's miner, as one section of a larger task.

        The section shares the miner (one connection setup, one token) and this task's record of the commands
        sent; it runs in check mode when this task does or ``check_mode`` is true. Its warnings, prefixed with its
        name, go to ``warnings`` (the caller keeps them per section).
        """
        section = TaskContext(params, check_mode=self.check_mode or check_mode, diff=self.diff, resolve_path=self._resolve_path,
                              client_factory=self._client_factory, miner=self.miner)
        section.commands_sent = self.commands_sent
        section.progress = self.progress
        try:
            return ensure(section)
        finally:
            self.writes_applied += section.writes_applied
            warnings.extend('%s: %s' % (name, warning) for warning in section.warnings)

    def controller_path(self, path):
        """Resolve a path on the controller (role files/, playbook dir) in the action flavour."""
        if self._resolve_path is None:
            return path
        return self._resolve_path(path)


def _name_the_miner(ctx, msg):
    """Prefix ``host:port: `` to a failure found after talking to the miner, unless the message names it already."""
    miner = ctx._miner
    if miner is None:
        return msg
    host = miner.host or ctx.params.get('host')
    endpoint = format_endpoint(host, miner.port or ctx.params.get('port'))
    if not host or str(host) in msg:
        return msg
    return '%s: %s' % (endpoint, msg)


def _api_hint(ctx, exc):
    """A V2.2 command refused as unknown by a miner that may speak API V3 (2024+ firmware): say what to set."""
    if getattr(exc, 'code', None) == 14 and not isinstance(exc, Unsupported) and ctx._api == 'v2' \
            and ctx._miner is not None and ctx._miner.api == 'v2':
        return ('. If this miner runs 2024+ firmware it speaks API V3, whose V2.2 port knows only a few commands: set '
                'whatsminer_api to v3 (or auto), and whatsminer_v3_password')
    return ''


def _check_write_access(ctx):
    """Check mode: a change would need the password and the write switch; prove both without writing.

    Only where the API allows it without a write (API V2.2: a token and get_customer_msg). A wrong
    password or a write switch that is off then fails the check run as it would fail the real one.
    """
    if ctx._miner is not None and ctx._miner.can(CHECK_WITHOUT_WRITE) and (ctx.params.get('password') or ctx.params.get('v3_password')):
        ctx._miner.check_credentials()


def _in_section(exc, result):
    """A failure inside one section of whatsminer_config: say which, and what the sections before it did."""
    where = getattr(exc, 'section_failure', None)
    if where:
        result.update(msg=where['prefix'] + result['msg'] + where['suffix'], sections=where['sections'],
                      failed_section=where['failed_section'])
    return result


def execute(handler, ctx):
    """Run ``handler(ctx)`` and turn every expected failure into a clear failed result."""
    try:
        check_time_options(ctx.params)
        result = handler(ctx)
        if ctx.check_mode and result.get('changed') and not result.get('failed'):
            _check_write_access(ctx)
    except OutcomeUnknown as exc:
        # The write may have happened: never report it as unchanged.
        result = _in_section(exc, dict(failed=True, changed=True, outcome_unknown=True, msg=str(exc)))
    except WhatsMinerError as exc:
        result = _in_section(exc, dict(failed=True, msg=str(exc) + _api_hint(ctx, exc), error=type(exc).__name__))
        if isinstance(exc, (MinerUnreachable, MinerTimeout)) and exc.phase in ('resolve', 'connect') \
                and not ctx.commands_sent:
            # Nothing answers at the miner's address: Ansible's own notion of a host it cannot reach.
            result['unreachable'] = True
        code = getattr(exc, 'code', None)
        if code is not None:
            result['api_code'] = code
        if ctx.writes_applied or (ctx.commands_sent and code is None):
            # A write was applied, or went out and its fate is unknown: never claim nothing changed.
            # (An API error code means the miner answered and refused that command.)
            result['changed'] = True
    except ModuleFailure as exc:
        result = dict(exc.details)
        result.update(failed=True, msg=_name_the_miner(ctx, exc.msg))
        if ctx.commands_sent:
            result['changed'] = True
    result.setdefault('changed', False)
    result['commands'] = list(ctx.commands_sent)
    if ctx.detected_api:
        result.setdefault('ansible_facts', {})[DETECTED_API_FACT] = ctx.detected_api
    if ctx.warnings:
        result['warnings'] = list(result.get('warnings', [])) + ctx.warnings
    return result


def run_module(argument_spec, handler, **spec_kwargs):
    """``main()`` flavour: run the resource handler through AnsibleModule."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **spec_kwargs)
    ctx = TaskContext(module.params, check_mode=module.check_mode, diff=module._diff)
    result = execute(handler, ctx)
    warnings = result.pop('warnings', [])
    for warning in warnings:
        module.warn(warning)
    if result.pop('failed', False):
        msg = result.pop('msg')
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)
