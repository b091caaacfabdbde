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
import math
import re

from ansible_collections.minerops.whatsminer.plugins.module_utils.errors import ModuleFailure

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
    """A DNS host name (RFC 1123 labels, a fully qualified trailing dot allowed) or an IP address."""
    name = value[:-1] if isinstance(value, str) and value.endswith('.') and len(value) > 1 else value
    if is_ip_address(value) or _HOSTNAME.match(name or ''):
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


# The longest a single request (timeout) or a wait (wait_timeout) may be asked to last, in seconds.
MAX_TIMEOUT = 3600
MAX_WAIT_TIMEOUT = 86400
# Options every module shares that bound time: name -> (lowest, highest).
TIME_OPTIONS = dict(timeout=(0.001, MAX_TIMEOUT), wait_timeout=(1, MAX_WAIT_TIMEOUT))


def check_seconds(option, value, low, high):
    """A finite number of seconds in [low, high] (``inf``, ``nan`` and ``1e308`` are refused)."""
    if value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise ModuleFailure('%s must be a number of seconds between %g and %g, got %s' % (option, low, high, value))
    return value


def check_time_options(params):
    """Refuse out-of-range timeouts before anything is sent (a negative wait must not follow a restart)."""
    for option, (low, high) in TIME_OPTIONS.items():
        if option in params:
            check_seconds(option, params[option], low, high)


def _refuse_boolean(label, value):
    if isinstance(value, bool):
        raise ModuleFailure('%s got the boolean %s, not text: YAML reads yes/no/true/false/on/off as booleans; '
                            'quote the value' % (label, value))


def _text_items(name, label, option, value, free_form):
    """``(label, item)`` for the text items of a list or free dict option (no sub-options) not in ``free_form``."""
    if option.get('options'):
        return []
    if option.get('type') == 'list' and option.get('elements', 'str') == 'str' and isinstance(value, list):
        return [('%s[%d]' % (label, index), item) for index, item in enumerate(value, start=1)]
    if option.get('type') == 'dict' and isinstance(value, dict) and name not in free_form:
        return [('%s.%s' % (label, key), item) for key, item in value.items()]
    return []


def _sub_arguments(label, option, value):
    """``(prefix, arguments)`` for each set of sub-options inside ``value`` (a dict, or a list of dicts)."""
    if not option.get('options'):
        return []
    if isinstance(value, dict):
        return [(label + '.', value)]
    if isinstance(value, list):
        return [('%s[%d].' % (label, index), item) for index, item in enumerate(value, start=1) if isinstance(item, dict)]
    return []


def plain(value):
    """``value`` made of plain dict, list, str, int, float, bool and None.

    Ansible 2.19 hands task arguments over as tagged subclasses of these types; validating them copies them deeply,
    which costs more than the miner's whole converge. Other types are left as they are (the validation names them).
    """
    if isinstance(value, dict):
        return dict((plain(key), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def refuse_yaml_booleans(spec, args, where='', free_form=()):
    """Refuse booleans given for text options, nested ones included, naming the option.

    YAML reads ``no``, ``yes``, ``on``, ``off``, ``true`` and ``false`` as booleans; Ansible would
    then turn them into the text "False"/"True" (a pool password ``no`` sent as "False").
    ``free_form``: dict options whose values are not all text (a module's ``FREE_FORM_OPTIONS``).
    """
    for name, option in spec.items():
        value = args.get(name) if isinstance(args, dict) else None
        label = where + name
        if option.get('type', 'str') == 'str':
            _refuse_boolean(label, value)
        for item_label, item in _text_items(name, label, option, value, free_form):
            _refuse_boolean(item_label, item)
        for prefix, arguments in _sub_arguments(label, option, value):
            refuse_yaml_booleans(option['options'], arguments, prefix, free_form)
