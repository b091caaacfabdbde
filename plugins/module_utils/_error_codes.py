# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MicroBT's WhatsMiner error-code table, as a Python literal (module_utils cannot read data files).

Generated from shared/data/whatsminer_error_codes.json. Source of the data:
MicroBT 'Whatsminer Error Code Description' (2021-04-06, 2021-09-30), as transcribed in the
pyasic project (pyasic/data/error_codes/whatsminer.py, Copyright 2022 Upstream Data Inc,
Apache License 2.0).
"""

from __future__ import annotations

SOURCE = (
    "MicroBT 'Whatsminer Error Code Description' (2021-04-06, 2021-09-30), as transcribed in the pyasic project "
    '(pyasic/data/error_codes/whatsminer.py, Copyright 2022 Upstream Data Inc, Apache License 2.0).'
)

DECODE_RULE = (
    "Let s = str(code). If len(s) == 6 and s[0] != '1': type = int(s[:2]), subtype = int(s[2]), value = int(s[3:])."
    ' Otherwise: type = int(s[:-2]), subtype = int(s[-2]), value = int(s[-1]). Look up table[type][subtype][value].'
    " Where table[type][subtype] has key 'n', its text is a template with {n} = value. Where table[type] has key "
    "'n' (no exact subtype), use table[type]['n'][value], or its 'c' template with {n} = subtype (slot) and {c} = "
    'value (chip). Anything else is unknown.'
)

ERROR_CODE_TABLE = {
    "1": {
        "0": {
            "0": "Fan unknown."
        },
        "1": {
            "0": "Intake fan speed error.",
            "1": "Exhaust fan speed error."
        },
        "2": {
            "0": "Intake fan speed error.  Fan speed deviates by more than 2000.",
            "1": "Exhaust fan speed error.  Fan speed deviates by more than 2000."
        },
        "3": {
            "0": "Intake fan speed error.  Fan speed deviates by more than 3000.",
            "1": "Exhaust fan speed error.  Fan speed deviates by more than 3000."
        },
        "4": {
            "0": "Fan speed too high."
        }
    },
    "2": {
        "0": {
            "0": "Power probing error.  No power found.",
            "1": "Power supply and configuration file don't match.",
            "2": "Power output voltage error.",
            "3": "Power protecting due to high environment temperature.",
            "4": "Power current protecting due to high environment temperature.",
            "5": "Power current error.",
            "6": "Power input low voltage error.",
            "7": "Power input current protecting due to bad power input.",
            "8": "Power power error.",
            "9": "Power voltage offset error."
        },
        "1": {
            "0": "Power error.",
            "1": "Power iout error, please reboot.",
            "2": "Power vout error, reach vout border. Border: [1150, 1500]",
            "3": "Power input voltage and current do not match power output.",
            "4": "Power pin did not change.",
            "5": "Power vout set error.",
            "6": "Power remained unchanged for a long time.",
            "7": "Power set enable error.",
            "8": "Power input voltage is lower than 230V for high power mode.",
            "9": "Power input current is incorrect."
        },
        "3": {
            "3": "Power output high temperature protection error.",
            "4": "Power output high temperature protection error.",
            "5": "Power output high temperature protection error.",
            "6": "Power output high current protection error.",
            "7": "Power output high current protection error.",
            "8": "Power output high current protection error.",
            "9": "Power output high voltage protection error."
        },
        "4": {
            "0": "Power output low voltage protection error.",
            "1": "Power output current imbalance error.",
            "3": "Power input high temperature protection error.",
            "4": "Power input high temperature protection error.",
            "5": "Power input high temperature protection error.",
            "6": "Power input high voltage protection error.",
            "7": "Power input high voltage protection error.",
            "8": "Power input high current protection error.",
            "9": "Power input high current protection error."
        },
        "5": {
            "0": "Power input low voltage protection error.",
            "1": "Power input low voltage protection error.",
            "3": "Power supply fan error.",
            "4": "Power supply fan error.",
            "5": "Power output high power protection error.",
            "6": "Power output high power protection error.",
            "7": "Input over current protection of power supply on primary side."
        },
        "6": {
            "3": "Power communication warning.",
            "4": "Power communication error.",
            "5": "Power unknown error.",
            "6": "Power unknown error.",
            "7": "Power watchdog protection.",
            "8": "Power output high current protection.",
            "9": "Power input high current protection."
        },
        "7": {
            "0": "Power input high voltage protection.",
            "1": "Power input low voltage protection.",
            "2": "Excessive power supply output warning.",
            "3": "Power input too high warning.",
            "4": "Power fan warning.",
            "5": "Power high temperature warning.",
            "6": "Power unknown error.",
            "7": "Power unknown error.",
            "8": "Power unknown error.",
            "9": "Power unknown error."
        },
        "8": {
            "0": "Power unknown error.",
            "1": "Power vendor status 1 bit 0 error.",
            "2": "Power vendor status 1 bit 1 error.",
            "3": "Power vendor status 1 bit 2 error.",
            "4": "Power vendor status 1 bit 3 error.",
            "5": "Power vendor status 1 bit 4 error.",
            "6": "Power vendor status 1 bit 5 error.",
            "7": "Power vendor status 1 bit 6 error.",
            "8": "Power vendor status 1 bit 7 error.",
            "9": "Power vendor status 2 bit 0 error."
        },
        "9": {
            "0": "Power vendor status 2 bit 1 error.",
            "1": "Power vendor status 2 bit 2 error.",
            "2": "Power vendor status 2 bit 3 error.",
            "3": "Power vendor status 2 bit 4 error.",
            "4": "Power vendor status 2 bit 5 error.",
            "5": "Power vendor status 2 bit 6 error.",
            "6": "Power vendor status 2 bit 7 error."
        }
    },
    "3": {
        "0": {
            "n": "Slot {n} temperature sensor detection error."
        },
        "2": {
            "n": "Slot {n} temperature reading error.",
            "9": "Control board temperature sensor communication error."
        },
        "5": {
            "n": "Slot {n} temperature protecting."
        },
        "6": {
            "0": "Hashboard high temperature error.",
            "1": "Hashboard high temperature error.",
            "2": "Hashboard high temperature error.",
            "3": "Hashboard high temperature error."
        },
        "7": {
            "0": "The environment temperature fluctuates too much."
        },
        "8": {
            "0": "Humidity sensor not found.",
            "1": "Humidity sensor read error.",
            "2": "Humidity sensor read error.",
            "3": "Humidity sensor protecting."
        }
    },
    "4": {
        "0": {
            "0": "Eeprom unknown error."
        },
        "1": {
            "n": "Slot {n} eeprom detection error."
        },
        "2": {
            "n": "Slot {n} eeprom parsing error."
        },
        "3": {
            "n": "Slot {n} chip bin type error."
        },
        "4": {
            "n": "Slot {n} eeprom chip number X error."
        },
        "5": {
            "n": "Slot {n} eeprom xfer error."
        }
    },
    "5": {
        "0": {
            "0": "Board unknown error."
        },
        "1": {
            "n": "Slot {n} miner type error."
        },
        "2": {
            "n": "Slot {n} bin type error."
        },
        "3": {
            "n": "Slot {n} not found."
        },
        "4": {
            "n": "Slot {n} error reading chip id."
        },
        "5": {
            "n": "Slot {n} has bad chips."
        },
        "6": {
            "n": "Slot {n} loss of balance error."
        },
        "7": {
            "n": "Slot {n} xfer error chip."
        },
        "8": {
            "n": "Slot {n} reset error."
        },
        "9": {
            "n": "Slot {n} frequency too low."
        }
    },
    "6": {
        "0": {
            "0": "Environment temperature is too high."
        },
        "1": {
            "0": "Environment temperature is too high for high performance mode."
        }
    },
    "7": {
        "0": {
            "0": "MAC address invalid",
            "1": "Control board no support chip."
        },
        "1": {
            "0": "Control board rebooted as an exception.",
            "1": "Control board rebooted as exception and cpufreq reduced, please upgrade the firmware",
            "2": "Control board rebooted as an exception.",
            "3": "The network is unstable, change time.",
            "4": "Unknown error."
        },
        "2": {
            "n": "Control board slot {n} frame error."
        }
    },
    "8": {
        "0": {
            "0": "CGMiner checksum error.",
            "1": "System monitor checksum error.",
            "2": "Remote daemon checksum error."
        },
        "1": {
            "0": "Air to liquid PCB serial # does not match."
        }
    },
    "9": {
        "0": {
            "0": "Unknown error.",
            "1": "Power rate error.",
            "2": "Unknown error."
        }
    },
    "20": {
        "0": {
            "0": "No pool information configured."
        },
        "1": {
            "0": "All pools are disabled."
        },
        "2": {
            "n": "Pool {n} connection failed."
        },
        "3": {
            "0": "High rejection rate on pool."
        },
        "4": {
            "0": "The pool does not support asicboost mode."
        }
    },
    "21": {
        "1": {
            "n": "Slot {n} factory test step failed."
        }
    },
    "23": {
        "1": {
            "0": "Hashrate is too low."
        },
        "2": {
            "0": "Hashrate is too low."
        },
        "3": {
            "0": "Hashrate loss is too high."
        },
        "4": {
            "0": "Hashrate loss is too high."
        },
        "5": {
            "0": "Hashrate loss."
        }
    },
    "50": {
        "1": {
            "n": "Slot {n} chip voltage too low."
        },
        "2": {
            "n": "Slot {n} chip voltage changed."
        },
        "3": {
            "n": "Slot {n} chip temperature difference is too large."
        },
        "4": {
            "n": "Slot {n} chip hottest temperature difference is too large."
        },
        "5": {
            "n": "Slot {n} stopped hashing, chips temperature protecting."
        },
        "7": {
            "n": "Slot {n} water velocity is abnormal."
        },
        "8": {
            "0": "Chip temp calibration failed, please restore factory settings."
        },
        "9": {
            "n": "Slot {n} chip temp calibration check no balance."
        }
    },
    "51": {
        "1": {
            "n": "Slot {n} frequency up timeout."
        },
        "2": {
            "n": "Slot {n} too many CRC errors."
        },
        "3": {
            "n": "Slot {n} unstable."
        },
        "7": {
            "n": "Slot {n} frequency up timeout."
        }
    },
    "52": {
        "n": {
            "c": "Slot {n} chip {c} error nonce."
        }
    },
    "53": {
        "n": {
            "c": "Slot {n} chip {c} too few nonce."
        }
    },
    "54": {
        "n": {
            "c": "Slot {n} chip {c} temp protected."
        }
    },
    "55": {
        "n": {
            "c": "Slot {n} chip {c} has been reset."
        }
    },
    "56": {
        "n": {
            "c": "Slot {n} chip {c} zero nonce."
        }
    },
    "80": {
        "0": {
            "0": "The tool version is too low, please update."
        },
        "1": {
            "0": "Low freq."
        },
        "2": {
            "0": "Low hashrate."
        },
        "3": {
            "5": "High env temp."
        }
    },
    "81": {
        "0": {
            "0": "Chip data error."
        }
    },
    "82": {
        "0": {
            "0": "Power version error."
        },
        "1": {
            "0": "Miner type error."
        },
        "2": {
            "0": "Version info error."
        }
    },
    "83": {
        "0": {
            "0": "Empty level error."
        }
    },
    "84": {
        "0": {
            "0": "Old firmware."
        },
        "1": {
            "0": "Software version error."
        }
    },
    "85": {
        "n": {
            "0": "Hashrate substandard L{n}.",
            "1": "Power consumption substandard L{n}.",
            "2": "Fan speed substandard L{n}.",
            "3": "Fan speed substandard L{n}.",
            "4": "Voltage substandard L{n}."
        }
    },
    "86": {
        "0": {
            "0": "Missing product serial #."
        },
        "1": {
            "0": "Missing product type."
        },
        "2": {
            "0": "Missing miner serial #.",
            "1": "Wrong miner serial # length."
        },
        "3": {
            "0": "Missing power serial #.",
            "1": "Wrong power serial #.",
            "2": "Fault miner serial #."
        },
        "4": {
            "0": "Missing power model.",
            "1": "Wrong power model name.",
            "2": "Wrong power model vout.",
            "3": "Wrong power model rate.",
            "4": "Wrong power model format."
        },
        "5": {
            "0": "Wrong hash board struct."
        },
        "6": {
            "0": "Wrong miner cooling type."
        },
        "7": {
            "0": "Missing PCB serial #."
        }
    },
    "87": {
        "0": {
            "0": "Miner power mismatch."
        }
    },
    "90": {
        "0": {
            "0": "Process error, exited with signal: 3."
        },
        "1": {
            "0": "Process error, exited with signal: 3."
        }
    },
    "99": {
        "9": {
            "9": "Miner unknown error."
        }
    },
    "1000": {
        "0": {
            "0": "Security library error, please upgrade firmware",
            "1": "/antiv/signature illegal.",
            "2": "/antiv/dig/init.d illegal.",
            "3": "/antiv/dig/pf_partial.dig illegal."
        }
    },
    "1001": {
        "0": {
            "0": "Security BTMiner removed, please upgrade firmware."
        }
    },
    "1100": {
        "0": {
            "0": "Security illegal file, please upgrade firmware.",
            "1": "Security virus 0001 is removed, please upgrade firmware."
        }
    }
}
