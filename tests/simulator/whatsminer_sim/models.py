# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Miner model profiles and the telemetry they produce.

Figures are nominal values of the public spec sheets, rounded; they only need to be
plausible and to move the right way when settings change.
"""

import math
import re
from dataclasses import dataclass, field

# Hash and power factors of the three power modes, relative to Normal.
POWER_MODES = {
    'Low': {'hash': 0.85, 'power': 0.78},
    'Normal': {'hash': 1.0, 'power': 1.0},
    'High': {'hash': 1.12, 'power': 1.20},
}

# Power drawn by the control board and fans when the hashboards are off.
IDLE_POWER_W = 18


@dataclass(frozen=True)
class ModelProfile:
    """Static description of one miner model."""

    name: str
    family: str  # firmware family: an image for one family is refused by another
    cooling: str  # 'air' or 'hydro'
    nominal_ths: float
    nominal_w: int
    miner_type: str  # get_version miner_type / devdetails Model
    chip: str
    platform: str
    firmware: str  # factory firmware version
    psu_model: str
    chips_per_board: int
    freq_mhz: int
    fan_rpm: int  # nominal fan speed (air); 0 for hydro
    max_power_limit: int
    boards: int = 3
    api_version: int = 2
    extra: dict = field(default_factory=dict)

    @property
    def group(self):
        """Ansible inventory group name, e.g. ``model_m30s_plus``."""
        return 'model_' + model_slug(self.name)

    @property
    def hydro(self):
        return self.cooling == 'hydro'


def model_slug(name):
    """``M30S+`` -> ``m30s_plus``; ``M30S++`` -> ``m30s_plus_plus``."""
    slug = name.lower().replace('+', '_plus')
    slug = re.sub(r'[^a-z0-9]+', '_', slug)
    return re.sub(r'_+', '_', slug).strip('_')


MODELS = {
    'M30S+': ModelProfile(
        name='M30S+', family='M3X', cooling='air', nominal_ths=100.0, nominal_w=3400,
        miner_type='M30S+_VE40', chip='K210', platform='H6OS', firmware='20220916.22.REL',
        psu_model='P221B', chips_per_board=111, freq_mhz=600, fan_rpm=6300, max_power_limit=3600),
    'M50': ModelProfile(
        name='M50', family='M5X', cooling='air', nominal_ths=120.0, nominal_w=3300,
        miner_type='M50_VH50', chip='K23', platform='H616', firmware='20230619.22.REL',
        psu_model='P221C', chips_per_board=105, freq_mhz=580, fan_rpm=6000, max_power_limit=3600),
    'M60': ModelProfile(
        name='M60', family='M6X', cooling='air', nominal_ths=170.0, nominal_w=3400,
        miner_type='M60_VK10', chip='K32', platform='H616', firmware='20240418.22.REL',
        psu_model='P222B', chips_per_board=120, freq_mhz=560, fan_rpm=5800, max_power_limit=3800),
    'M63': ModelProfile(
        name='M63', family='M6X', cooling='hydro', nominal_ths=390.0, nominal_w=7200,
        miner_type='M63_VK30', chip='K32', platform='H616', firmware='20240418.16.REL',
        psu_model='P661', chips_per_board=192, freq_mhz=540, fan_rpm=0, max_power_limit=8000),
}

DEFAULT_MODEL_CYCLE = ['M30S+', 'M50', 'M60']

# Factory firmware of miners created as API V3 miners (2025 builds: pyasic and asic-rs
# pick V3 from a get_version fw_ver dated 2024-11-01 or later), and the V3 API version.
V3_FIRMWARE = {'air': '20250915.22.Rel2', 'hydro': '20250915.16.Rel2'}
V3_API_VERSION = '3.0.3'
# V3 miner type strings (get.device.info miner.type) and board names
V3_HASH_BOARD = {'M3X': 'V40', 'M5X': 'H50', 'M6X': 'K10'}


def get_model(name):
    """Look a model up, case-insensitively; raise KeyError with the known names."""
    for key, profile in MODELS.items():
        if key.lower() == name.strip().lower():
            return profile
    raise KeyError('unknown model %r (known: %s)' % (name, ', '.join(MODELS)))


def wave(now, period, phase):
    """A slow, smooth oscillation in [-1, 1] so that telemetry moves between polls."""
    return math.sin(2 * math.pi * (now / period) + phase)


def compute_output(profile, settings, *, mining, ramp, failed_boards=0):
    """Return (hash TH/s, power W, per-board share list) for the current settings.

    ``ramp`` is 0..1 (hashrate climbing after a start); ``failed_boards`` boards produce nothing.
    """
    if not mining:
        return 0.0, float(IDLE_POWER_W), [0.0] * profile.boards
    mode = POWER_MODES.get(settings.get('power_mode', 'Normal'), POWER_MODES['Normal'])
    freq = 1.0 + int(settings.get('target_freq', 0)) / 100.0
    hash_factor = mode['hash'] * freq
    power_factor = mode['power'] * freq
    pct = settings.get('power_pct_temp')
    if pct is None:
        pct = settings.get('power_pct', 100)
    pct = max(0, min(100, int(pct))) / 100.0
    hash_factor *= pct
    power_factor *= pct
    power = profile.nominal_w * power_factor
    caps = []
    limit = int(settings.get('power_limit', 0) or 0)
    if limit > 0:
        caps.append(limit)
    target = int(settings.get('power_target', 0) or 0)
    if target > 0:
        caps.append(target)
    if caps and power > min(caps):
        scale = min(caps) / power if power else 0.0
        hash_factor *= scale
        power_factor *= scale
    ths = profile.nominal_ths * hash_factor * ramp
    power = IDLE_POWER_W + (profile.nominal_w * power_factor - IDLE_POWER_W) * (0.25 + 0.75 * ramp)
    live = max(0, profile.boards - failed_boards)
    if live == 0:
        return 0.0, float(IDLE_POWER_W), [0.0] * profile.boards
    share = [0.0 if i < failed_boards else 1.0 / profile.boards for i in range(profile.boards)]
    ths *= live / profile.boards
    power = IDLE_POWER_W + (power - IDLE_POWER_W) * live / profile.boards
    return ths, power, share
