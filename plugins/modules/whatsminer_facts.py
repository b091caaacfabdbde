#!/usr/bin/python
# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: whatsminer_facts
short_description: Gather facts from a WhatsMiner
version_added: 0.1.0
description:
  - Reads a WhatsMiner's state with the API's read commands and returns it as
    C(ansible_facts.whatsminer), a normalised view that is the same whatever the miner's API version
    (1.x or 2.x key spellings, numbers sent as strings and the known malformed replies are repaired).
  - Units - hashrate in TH/s, power in W, efficiency in J/TH, temperatures in degrees Celsius, fan speeds in RPM.
  - Error codes are decoded to their published meaning with MicroBT's error-code table (as transcribed by
    the pyasic project, Apache-2.0).
  - The replies as the miner sent them (after repair) are kept under C(ansible_facts.whatsminer.raw).
author:
  - minerops.whatsminer contributors (@minerops)
extends_documentation_fragment:
  - minerops.whatsminer.attributes
  - minerops.whatsminer.attributes.actiongroup
  - minerops.whatsminer.connection
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    details: The task reports no diff.
  facts:
    support: full
    description: Sets C(ansible_facts.whatsminer).
  idempotent:
    support: full
    details: The module only reads.
options:
  gather_subset:
    description:
      - Which parts to read. V(all) reads every subset except C(customer_msg), V(min) reads C(version) and
        C(status), which are always read.
      - Prefix a subset with C(!) to exclude it, for example V(!error_codes). V(!all) leaves only V(min).
      - C(summary) - hashrate, power, temperatures, fans, uptime. C(pools) - pools and share counts.
        C(devs) - per hashboard data. C(devdetails) - device list. C(psu) - power supply.
        C(version) - model, firmware, API version. C(status) - mining on/off, power mode and limit.
        C(miner_info) - network, host name, MAC, LED state, serial numbers. C(error_codes) - decoded error codes.
        C(customer_msg) - the customer messages; read only when named, because it needs the admin password and
        costs one of the miner's 100 token slots.
    type: list
    elements: str
    default: [all]
  fail_on_unreachable:
    description:
      - When V(false), an unreachable miner does not fail the task; its facts then only hold
        C(reachable) (V(false)), C(host), C(port) and C(error). Useful for fleet reports.
    type: bool
    default: true
'''

EXAMPLES = r'''
# In a play on the miners (hosts: miners, gather_facts: false):
- name: Read the miners
  minerops.whatsminer.whatsminer_facts:

- name: Show hashrate and efficiency
  ansible.builtin.debug:
    msg: "{{ ansible_facts.whatsminer.model }} {{ ansible_facts.whatsminer.hashrate_ths }} TH/s {{ ansible_facts.whatsminer.efficiency_jth }} J/TH"

- name: Only the cheap parts, and keep going when a miner is down
  minerops.whatsminer.whatsminer_facts:
    gather_subset: [summary, '!error_codes']
    fail_on_unreachable: false

- name: Also read the customer messages (costs a token slot)
  minerops.whatsminer.whatsminer_facts:
    gather_subset: [all, customer_msg]
'''

RETURN = r'''
ansible_facts:
  description: Facts set for the host.
  returned: always
  type: dict
  contains:
    whatsminer:
      description: The normalised view of the miner. Keys of subsets that were not gathered are absent.
      returned: always
      type: dict
      contains:
        reachable:
          description: Whether the miner answered. V(false) only with O(fail_on_unreachable=false).
          type: bool
          sample: true
        error:
          description: Why the miner could not be reached (only when RV(ansible_facts.whatsminer.reachable=false)).
          type: str
          returned: when the miner is unreachable
        host:
          description: Address the facts were read from.
          type: str
          sample: 10.20.0.11
        port:
          description: API port the facts were read from (4028 for API V2.2, 4433 for API V3 by default).
          type: int
          sample: 4028
        api:
          description: The API the facts were read with, V(v2) or V(v3). The view is the same for both.
          type: str
          sample: v2
        model:
          description: Miner model, for example C(M50) (from C(miner_type) up to the first underscore).
          type: str
          sample: M50
        miner_type:
          description: Full miner type as reported.
          type: str
          sample: M50_VH50
        api_version:
          description: API version number (C(1.4.0) for API 1.x firmware that reports C(whatsminer v1.4.0)).
          type: str
          sample: 2.0.5
        platform:
          description: Control board platform.
          type: str
        chip:
          description: Hash chip type.
          type: str
        firmware_version:
          description: Firmware version.
          type: str
          sample: 20240101.16.REL
        mining:
          description: Whether the miner is mining (false after C(power_off)).
          type: bool
        mineroff_reason:
          description: Why mining is off, when the firmware says (API 2.x).
          type: str
        power_mode:
          description: Power mode, V(low), V(normal) or V(high).
          type: str
        power_limit_w:
          description: Power limit in W.
          type: int
        target_freq_percent:
          description: Target frequency percent (C(hash_percent)).
          type: int
        hashrate_ths:
          description: Average hashrate in TH/s (C(MHS av)).
          type: float
        hashrate_1m_ths:
          description: 1-minute hashrate in TH/s.
          type: float
        hashrate_15m_ths:
          description: 15-minute hashrate in TH/s.
          type: float
        factory_hashrate_ths:
          description: Nominal hashrate in TH/s (C(Factory GHS)).
          type: float
        power_w:
          description: Power draw in W.
          type: int
        efficiency_jth:
          description: Energy per terahash (J/TH), power divided by hashrate; null when not hashing.
          type: float
        env_temp_c:
          description: Environment (intake) temperature in degrees Celsius.
          type: float
        chip_temp_min_c:
          description: Lowest chip temperature.
          type: float
        chip_temp_max_c:
          description: Highest chip temperature.
          type: float
        chip_temp_avg_c:
          description: Average chip temperature.
          type: float
        fan_in_rpm:
          description: Intake fan speed in RPM.
          type: int
        fan_out_rpm:
          description: Exhaust fan speed in RPM.
          type: int
        freq_avg_mhz:
          description: Average chip frequency in MHz.
          type: float
        uptime_s:
          description: Seconds since the control board started.
          type: int
        elapsed_s:
          description: Seconds since the mining process started.
          type: int
        fast_boot:
          description: Whether btminer fast boot is enabled.
          type: bool
        hash_stable:
          description: Whether the hashrate has stabilised.
          type: bool
        pools:
          description: Pools in the miner's order (C(url), C(user), C(status), C(priority), C(accepted), C(rejected), C(stratum_active)).
          type: list
          elements: dict
        boards:
          description: >-
            Per hashboard - C(slot), C(hashrate_ths), C(factory_hashrate_ths), C(temperature_c), C(chip_temp_max_c),
            C(chip_frequency_mhz), C(effective_chips), C(pcb_sn).
          type: list
          elements: dict
        devices:
          description: The C(devdetails) device list (C(index), C(name), C(id), C(driver), C(kernel), C(model)).
          type: list
          elements: dict
        psu:
          description: >-
            Power supply - C(model), C(vendor), C(serial), C(version), C(input_current_ma), C(input_voltage_v),
            C(input_power_w), C(fan_rpm), C(temperature_c).
          type: dict
        network:
          description: C(ip), C(proto) (dhcp or static), C(netmask), C(gateway), C(dns) (list), C(hostname), C(mac).
          type: dict
        led_state:
          description: LED state as reported (C(auto) or the manual setting).
          type: str
        serial_number:
          description: Miner serial number.
          type: str
        psu_serial_number:
          description: Power supply serial number.
          type: str
        error_codes:
          description: >-
            Active error codes - C(code), C(time), C(type), C(subtype), C(value), C(component) and C(description)
            (MicroBT's published meaning, or C(unknown)).
          type: list
          elements: dict
        customer_msg:
          description: The customer messages C(CustomerSn) and C(msg0) to C(msg9).
          type: dict
        settings:
          description: >-
            API V3 miners only - the settings API V2.2 cannot read back - C(temp_offset), C(fan_zero_speed),
            C(poweroff_cool), C(heat_mode), C(timezone) (C(timezone), C(zonename)), C(syslog) (C(host), C(port), C(proto)),
            C(web_pools), C(upfreq_speed).
          type: dict
          returned: when the miner speaks API V3
        gathered_subsets:
          description: The subsets that were read.
          type: list
          elements: str
        missing_subsets:
          description:
            - The subsets asked for that this miner's firmware does not answer (older firmware answers C(invalid cmd)
              to C(get_error_code), C(get_miner_info), C(devdetails) or C(get_customer_msg)); each is named in a warning.
            - On API 1.x firmware the error codes then come from the summary.
          type: list
          elements: str
          sample: [devdetails, miner_info]
        raw:
          description:
            - The replies per subset, as the miner sent them after repair of known malformations (API V3 - the V3
              replies each section was read from).
          type: dict
commands:
  description: Names of the API write commands sent (always empty; C(get_customer_msg) is an encrypted read).
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.minerops.whatsminer.plugins.module_utils._common import run_module, with_connection_options
from ansible_collections.minerops.whatsminer.plugins.module_utils._facts import gather_facts as run


def argument_spec():
    return with_connection_options(dict(
        gather_subset=dict(type='list', elements='str', default=['all']),
        fail_on_unreachable=dict(type='bool', default=True),
    ))


def main():
    run_module(argument_spec(), run)


if __name__ == '__main__':
    main()
