# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input checks run before anything is sent to a miner.

The miner's firmware stores these values in shell-edited configuration files and answers
vaguely (or not at all) when given odd text, so we refuse anything outside a conservative
character set with a message that names the option and what is allowed.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.minerops.whatsminer.plugins.module_utils.common import ModuleFailure

# Printable ASCII without quotes, backslash and whitespace.
_SAFE_TEXT = re.compile(r'^[!#-\[\]-~]*\Z')
_HOSTNAME = re.compile(r'^(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z')
_SAFE_DESCRIPTION = 'printable ASCII without spaces, quotes or backslashes'


def check_text(option, value, max_length, allow_spaces=False, allow_empty=True):
    """Refuse text the miner could misread: non-ASCII, control characters, quotes, backslashes."""
    if value is None:
        return value
    if not value and not allow_empty:
        raise ModuleFailure('%s must not be empty' % option)
    if len(value.encode('utf-8')) > max_length:
        raise ModuleFailure('%s is %d bytes long; at most %d are allowed' % (option, len(value.encode('utf-8')), max_length))
    candidate = value.replace(' ', '') if allow_spaces else value
    if not _SAFE_TEXT.match(candidate):
        allowed = _SAFE_DESCRIPTION.replace('spaces, ', '') if allow_spaces else _SAFE_DESCRIPTION
        raise ModuleFailure('%s contains characters the miner cannot store safely; allowed: %s' % (option, allowed))
    return value


def check_hostname(option, value):
    """A DNS host name (RFC 1123 labels) or an IP address."""
    if is_ip_address(value) or _HOSTNAME.match(value or ''):
        return value
    raise ModuleFailure('%s must be a host name (letters, digits, hyphens, dots) or an IP address, got %r' % (option, value))


def is_ip_address(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def check_range(option, value, low, high):
    if value is not None and not low <= value <= high:
        raise ModuleFailure('%s must be between %d and %d, got %d' % (option, low, high, value))
    return value
