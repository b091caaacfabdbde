# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: ``python -m whatsminer_sim [options]`` and ``python -m whatsminer_sim make-firmware ...``."""

import argparse
import asyncio
import logging
import os
import resource
import signal
import sys

from . import firmware, models
from .fleet import Fleet, SimConfig

LOG = logging.getLogger('whatsminer_sim')


def _on_off(text):
    value = text.strip().lower()
    if value in ('on', 'true', 'yes', '1'):
        return True
    if value in ('off', 'false', 'no', '0'):
        return False
    raise argparse.ArgumentTypeError('expected on or off, got %r' % text)


def _probability(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError('a probability is between 0 and 1')
    return value


def _models(text):
    names = [n for n in (p.strip() for p in text.split(',')) if n]
    try:
        return tuple(models.get_model(n).name for n in names)
    except KeyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m whatsminer_sim',
        description='Simulate WhatsMiner miners (API V2.2, TCP) on loopback addresses, with a JSON control API.',
        epilog='Build a firmware image: python -m whatsminer_sim make-firmware --model M50 --version 20250101.22.REL --out FILE')
    add = parser.add_argument
    add('--miners', type=int, default=1, help='number of miners (default 1)')
    add('--models', type=_models, default=tuple(models.DEFAULT_MODEL_CYCLE),
        help='comma list of models cycled over the miners (known: %s; default M30S+,M50,M60)' % ','.join(models.MODELS))
    add('--base-address', default='127.0.1.1', help='address of the first miner; miner i gets base+i (default 127.0.1.1)')
    add('--port', type=int, default=4028, help='API port (default 4028)')
    add('--consecutive-ports', action='store_true', help='all miners on --base-address, ports port..port+N-1')
    add('--state-dir', default='', help='directory of the per-miner JSON state files (default: a fresh temp dir)')
    add('--password', default='admin', help='admin password of new miners (default admin)')
    add('--write-api', type=_on_off, default=True, help='write API switch of new miners: on|off (default on)')
    add('--factory-write-api', type=_on_off, default=False, help='write API switch after factory_reset (default off, as real miners)')
    add('--api-version', default='', help='emulate API 1.x or 2.x: "1", "2", or per model "M30S+=1,M50=2" (default 2)')
    add('--field-quirks', nargs='?', const='all', default='',
        help='emit field quirks: "all" (when given without value) or a comma list of nul,trailing_comma,inf,str_numbers,psu,error_code,newline')
    add('--inventory', default='', help='write an Ansible YAML inventory of the miners to this path')
    add('--inventory-password', action='store_true', help='also put whatsminer_password in the inventory')
    add('--control-port', type=int, default=0, help='HTTP control API port on 127.0.0.1 (default 0: pick a free one)')
    add('--ready-file', default='', help='write this JSON file once everything listens')
    add('--restart-seconds', type=float, default=5.0, help='seconds a miner is unreachable after a restart (default 5)')
    add('--no-reply-probability', type=_probability, default=0.5,
        help='probability that a restarting command closes without a reply (default 0.5)')
    add('--ramp-seconds', type=float, default=60.0, help='seconds for the hashrate to reach nominal after a start (default 60)')
    add('--seed', type=int, default=None, help='random seed (deterministic replies-or-not, salts, noise)')
    add('--token-lifetime', type=float, default=1800.0, help='token lifetime in seconds (default 1800)')
    add('--idle-timeout', type=float, default=10.0, help='drop a connection that sent no complete request after this many seconds (default 10)')
    add('--fault', action='append', default=[], metavar='KIND[:ARG]',
        help='fault applied to every miner at start (repeatable); ARG is seconds for latency/refuse, code for error_code, else count')
    add('--api', default='',
        help='API of the miners: v2 (default), v3 (V3 on --v3-port plus a reduced V2), mixed (every other miner V3), '
             'or per model/index/id: "M60=v3,M63=v3", "1=v3", "sim-0002=v3"')
    add('--firmware', default='',
        help='firmware generation of V2 miners: manual (default), 2021, 2023, 2025, mixed (cycled), or per model/index/id '
             '"M30S+=2021,1=2025" (see README, Firmware generations)')
    add('--v3-port', type=int, default=4433, help='API V3 port (default 4433; with --consecutive-ports the first of N)')
    add('--v3-password', default='super',
        help='password of the V3 "super" account of new V3 miners (default super, the factory default: writes then answer -4)')
    add('--v3-idle-timeout', type=float, default=300.0, help='close an idle V3 connection after this many seconds (default 300)')
    add('--v3-max-clients', type=int, default=10, help='concurrent V3 connections per miner (default 10; the next is closed at once)')
    add('--v3-max-request', type=int, default=64 * 1024, help='largest V3 request frame; a longer one closes the connection (default 65536)')
    add('--v3-bad-token-code', type=int, choices=(-4, -1), default=-4, help='V3 code for a wrong token: -4 (default) or -1')
    add('--v3-ts-window', type=float, default=0.0, help='refuse V3 writes whose ts is further than S seconds from now (default 0: off)')
    add('--v3-percent-number', type=_on_off, default=False,
        help='accept a bare number as set.miner.power_percent "percent" (default off: -1 "percent must be a string")')
    add('--v3-plain-pools', type=_on_off, default=False, help='accept an unencrypted set.miner.pools param (default off: -1)')
    add('--v3-v2-writes', type=_on_off, default=True, help='V3 miners accept V2 writes on the V2 port (default on)')
    add('-v', '--verbose', action='count', default=0, help='more logging (repeat for debug)')
    return parser


def build_firmware_parser():
    parser = argparse.ArgumentParser(prog='python -m whatsminer_sim make-firmware',
                                     description='Write a firmware image in the simulator format (see README).')
    parser.add_argument('--model', required=True, help='model whose family the image is for (%s)' % ','.join(models.MODELS))
    parser.add_argument('--version', required=True, help='firmware version string, e.g. 20250101.22.REL')
    parser.add_argument('--out', required=True, help='output file')
    parser.add_argument('--family', default='', help='override the family (e.g. M5X) to build a wrong-model image')
    parser.add_argument('--size', type=int, default=4096, help='payload bytes (default 4096)')
    parser.add_argument('--corrupt', action='store_true', help='flip a payload byte after the checksum (refused by miners)')
    return parser


def make_firmware(argv):
    args = build_firmware_parser().parse_args(argv)
    try:
        profile = models.get_model(args.model)
    except KeyError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    image = firmware.build_image(args.family or profile.family, args.version, model=profile.name,
                                 payload_size=args.size, corrupt=args.corrupt)
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)  # files/firmware/ need not exist yet
    with open(args.out, 'wb') as handle:
        handle.write(image)
    print('%s: %d bytes, family %s, version %s%s' % (args.out, len(image), args.family or profile.family, args.version,
                                                     ', CORRUPT' if args.corrupt else ''))
    return 0


def config_from_args(args):
    return SimConfig(
        miners=args.miners, models=args.models, base_address=args.base_address, port=args.port,
        consecutive_ports=args.consecutive_ports, state_dir=args.state_dir, password=args.password,
        write_api=args.write_api, factory_write_api=args.factory_write_api, api_version=args.api_version,
        field_quirks=args.field_quirks, restart_seconds=args.restart_seconds, no_reply_probability=args.no_reply_probability,
        seed=args.seed, token_lifetime=args.token_lifetime, idle_timeout=args.idle_timeout, ramp_seconds=args.ramp_seconds,
        faults=tuple(args.fault), inventory=args.inventory, inventory_password=args.inventory_password,
        control_port=args.control_port, ready_file=args.ready_file, api=args.api, firmware=args.firmware, v3_port=args.v3_port,
        v3_password=args.v3_password, v3_idle_timeout=args.v3_idle_timeout, v3_max_clients=args.v3_max_clients,
        v3_max_request=args.v3_max_request, v3_bad_token_code=args.v3_bad_token_code, v3_ts_window=args.v3_ts_window,
        v3_percent_number=args.v3_percent_number, v3_plain_pools=args.v3_plain_pools, v3_v2_writes=args.v3_v2_writes)


def _raise_fd_limit(miners):
    """Each miner needs a listening socket plus one per open connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, miners * 4 + 256))
    if want > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


async def run(config):
    fleet = Fleet(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, fleet.request_stop)
    try:
        await fleet.start()
    except BaseException:
        await fleet.stop()
        raise
    LOG.info('serving %d miner(s); control API %s; state in %s', len(fleet.miners), fleet.control_url, config.state_dir)
    await fleet.stopped.wait()
    LOG.info('stopped')
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == 'make-firmware':
        return make_firmware(argv[1:])
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format='%(asctime)s %(name)s %(levelname)s %(message)s')
    if args.miners < 1:
        print('--miners must be at least 1', file=sys.stderr)
        return 2
    try:
        config = config_from_args(args)
        _raise_fd_limit(config.miners)
        return asyncio.run(run(config))
    except (OSError, ValueError) as exc:
        print('whatsminer_sim: %s' % exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
