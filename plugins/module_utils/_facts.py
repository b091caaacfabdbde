# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Gather a normalised view of a miner (whatsminer_facts, the fleet report, the inventory plugin)."""

from __future__ import annotations

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import (
    format_endpoint,
    MinerTimeout,
    MinerUnreachable,
    ModuleFailure,
)
from ansible_collections.minerops.whatsminer.plugins.module_utils._miner import CUSTOMER_MSG_KEYS

# gather_subset name -> the Miner section it reads
SUBSET_SECTIONS = dict(version='version', status='status', summary='summary', pools='pools', devs='boards',
                       devdetails='devices', psu='psu', miner_info='miner_info', error_codes='error_codes',
                       customer_msg='customer_msg')
ALL_SUBSETS = tuple(SUBSET_SECTIONS)
# The V2.2 command behind each optional subset (named when a firmware does not know it).
_COMMAND_NAMES = dict(summary='summary', pools='pools', devs='devs', devdetails='devdetails', psu='get_psu',
                      miner_info='get_miner_info', error_codes='get_error_code', customer_msg='get_customer_msg')
MIN_SUBSETS = ('version', 'status')


def resolve_subsets(requested):
    """Expand ``all``/``min`` and ``!`` exclusions the way ansible.builtin.setup does.

    ``all`` leaves out ``customer_msg``: reading it costs one of the miner's 100 token slots,
    so it is only read when named.
    """
    everything = set(ALL_SUBSETS) - {'customer_msg'}
    wanted = set()
    excluded = set()
    for item in requested:
        negate = item.startswith('!')
        name = item[1:] if negate else item
        if name == 'all':
            names = everything if not negate else everything - set(MIN_SUBSETS)
        elif name == 'min':
            names = set(MIN_SUBSETS)
        elif name in SUBSET_SECTIONS:
            names = {name}
        else:
            raise ModuleFailure('gather_subset %r is not one of: %s' % (item, ', '.join(('all', 'min') + ALL_SUBSETS)))
        if negate:
            excluded |= names
        else:
            wanted |= names
    if not wanted and excluded:
        wanted = set(everything)
    wanted = (wanted - excluded) | set(MIN_SUBSETS)
    return [name for name in ALL_SUBSETS if name in wanted]


def read_sections(miner, subsets, missing=None):
    """The normalised sections of ``subsets`` (gather_subset names), in as few requests as the API allows.

    A firmware that does not know a command behind an optional subset (older firmware answers 14
    "invalid cmd") leaves that subset out: it is named in ``missing`` (a list) when one is given, else
    the error is raised. ``version`` and ``status`` are never optional.
    """
    wanted = [SUBSET_SECTIONS[name] for name in subsets]
    if missing is None:
        sections = miner.read_sections(wanted)
    else:
        sections, lacking = miner.read_offered(wanted, required=[SUBSET_SECTIONS[name] for name in MIN_SUBSETS])
        missing.extend(name for name in subsets if SUBSET_SECTIONS[name] in lacking)
    return dict((name, sections[SUBSET_SECTIONS[name]]) for name in subsets if SUBSET_SECTIONS[name] in sections)


def round_figure(value, digits=3):
    return None if value is None else round(value, digits)


def _identity(version, status, summary):
    return dict(
        model=version.get('model'),
        miner_type=version.get('miner_type'),
        api_version=version.get('api_version'),
        platform=version.get('platform'),
        chip=version.get('chip'),
        firmware_version=status.get('firmware_version') or version.get('fw_ver') or summary.get('firmware_version'),
        mining=status.get('mining'),
        mineroff_reason=status.get('mineroff_reason'),
        power_mode=status.get('power_mode') or summary.get('power_mode'),
        power_limit_w=status.get('power_limit') if status.get('power_limit') is not None else summary.get('power_limit'),
        target_freq_percent=status.get('target_freq_percent'),
    )


def _performance(summary):
    hashrate = summary.get('hashrate_ths')
    power = summary.get('power')
    return dict(
        hashrate_ths=round_figure(hashrate),
        hashrate_1m_ths=round_figure(summary.get('hashrate_1m_ths')),
        hashrate_15m_ths=round_figure(summary.get('hashrate_15m_ths')),
        factory_hashrate_ths=round_figure(summary.get('factory_ths')),
        power_w=power,
        efficiency_jth=round_figure(power / hashrate, 2) if power and hashrate else None,
        env_temp_c=summary.get('env_temp'),
        chip_temp_min_c=summary.get('chip_temp_min'),
        chip_temp_max_c=summary.get('chip_temp_max'),
        chip_temp_avg_c=summary.get('chip_temp_avg'),
        fan_in_rpm=summary.get('fan_speed_in'),
        fan_out_rpm=summary.get('fan_speed_out'),
        freq_avg_mhz=summary.get('freq_avg'),
        uptime_s=summary.get('uptime'),
        elapsed_s=summary.get('elapsed'),
        fast_boot=summary.get('btminer_fast_boot'),
        hash_stable=summary.get('hash_stable'),
    )


def _pools(pools):
    return dict(pools=[dict(url=p['url'], user=p['user'], status=p['status'], priority=p['priority'], accepted=p['accepted'],
                            rejected=p['rejected'], stratum_active=p['stratum_active']) for p in pools])


def _boards(boards):
    return dict(boards=[dict(slot=b['slot'], hashrate_ths=round_figure(b['hashrate_ths']), factory_hashrate_ths=round_figure(b['factory_ths']),
                             temperature_c=b['temperature'], chip_temp_max_c=b['chip_temp_max'],
                             chip_frequency_mhz=b['chip_frequency'], effective_chips=b['effective_chips'], pcb_sn=b['pcb_sn'])
                        for b in boards])


def _psu(psu):
    return dict(psu=dict(model=psu['model'], vendor=psu['vendor'], serial=psu['serial_no'], version=psu['version'],
                         input_current_ma=psu['iin'], input_voltage_v=psu['vin'], input_power_w=psu['pin'],
                         fan_rpm=psu['fan_speed'], temperature_c=psu['temp0']))


def _miner_info(info):
    return dict(network=dict(ip=info['ip'], proto=info['proto'], netmask=info['netmask'], gateway=info['gateway'],
                             dns=info['dns'], hostname=info['hostname'], mac=info['mac']),
                led_state=info['led_state'], serial_number=info['miner_sn'], psu_serial_number=info['psu_sn'])


# gather_subset name -> the part of the view built from its section
_VIEW_PARTS = (
    ('summary', lambda summary: _performance(summary) if summary else {}),
    ('pools', _pools),
    ('devs', _boards),
    ('devdetails', lambda devices: dict(devices=devices)),
    ('psu', _psu),
    ('miner_info', _miner_info),
    ('error_codes', lambda codes: dict(error_codes=codes)),
    ('customer_msg', lambda msg: dict(customer_msg={key: msg.get(key, '') for key in CUSTOMER_MSG_KEYS})),
)


def build_view(sections, host, port):
    """The documented, API-version-independent view of the normalised ``sections`` (by gather_subset name)."""
    view = dict(reachable=True, host=host, port=port)
    view.update(_identity(sections.get('version') or {}, sections.get('status') or {}, sections.get('summary') or {}))
    for name, part in _VIEW_PARTS:
        if name in sections:
            view.update(part(sections[name]))
    return view


# What get_version / status always report on a WhatsMiner; a reply with none of them is not one.
IDENTITY_FIELDS = ('model', 'api_version', 'firmware_version', 'mining')


def unreachable_view(host, port, exc):
    return dict(reachable=False, host=host, port=port, error=str(exc))


def gather_facts(ctx):
    """Module entry point for whatsminer_facts."""
    params = ctx.params
    subsets = resolve_subsets(params['gather_subset'])
    if 'customer_msg' in subsets:
        ctx.require_password('read the customer_msg subset')
    miner = ctx.miner
    missing = []
    try:
        with miner.snapshot():
            sections = read_sections(miner, subsets, missing)
            settings = miner.settings()
    except (MinerUnreachable, MinerTimeout) as exc:
        if params['fail_on_unreachable']:
            raise
        return dict(changed=False, ansible_facts=dict(whatsminer=unreachable_view(ctx.host, ctx.port, exc)))
    view = build_view(sections, ctx.host, miner.port)
    if all(view.get(name) is None for name in IDENTITY_FIELDS):
        # Replies came, but none carries what every WhatsMiner reports: not data to build facts on.
        raise ModuleFailure('%s answered, but its get_version and status replies carry none of %s: not a WhatsMiner API '
                            'reply this collection can read' % (format_endpoint(ctx.host, miner.port), ', '.join(IDENTITY_FIELDS)))
    view['api'] = miner.api
    gathered = [name for name in subsets if name not in missing]
    view['raw'] = dict((name, miner.raw.get(SUBSET_SECTIONS[name])) for name in gathered)
    if settings is not None:
        view['settings'] = settings  # what only API V3 can read back
    if 'error_codes' in missing and (sections.get('summary') or {}).get('error_codes'):
        view['error_codes'] = sections['summary']['error_codes']  # older firmware reports them in summary
    for name in missing:
        ctx.warn('gather_subset %s: this miner (firmware %s, API %s) does not answer %s ("invalid cmd"); left out'
                 % (name, view.get('firmware_version'), view.get('api_version'), _COMMAND_NAMES[name]))
    view['gathered_subsets'] = gathered
    view['missing_subsets'] = missing
    return dict(changed=False, ansible_facts=dict(whatsminer=view))
