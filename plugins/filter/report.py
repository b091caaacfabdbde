# Copyright (c) 2026 minerops.whatsminer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the fleet_report role: rows from gathered facts, a self-contained HTML report, CSV."""

from __future__ import annotations

import csv
import html
import io
import json
import time

COLUMNS = (
    ('name', 'Miner'), ('host', 'Address'), ('reachable', 'Reachable'), ('model', 'Model'), ('api', 'API'), ('firmware', 'Firmware'),
    ('mining', 'Mining'), ('power_mode', 'Power mode'), ('hashrate_ths', 'Hashrate TH/s'),
    ('factory_hashrate_ths', 'Factory TH/s'), ('power_w', 'Power W'), ('efficiency_jth', 'J/TH'),
    ('env_temp_c', 'Env degC'), ('chip_temp_avg_c', 'Chip avg degC'), ('chip_temp_max_c', 'Chip max degC'),
    ('fan_in_rpm', 'Fan in RPM'), ('fan_out_rpm', 'Fan out RPM'), ('uptime_s', 'Uptime s'), ('pool', 'Active pool'),
    ('hostname', 'Host name'), ('mac', 'MAC'), ('serial', 'Serial'), ('error_count', 'Errors'), ('error', 'Error (or why unreachable)'),
)


def _facts(variables):
    try:
        facts = variables['ansible_facts']
    except KeyError:
        facts = {}
    view = facts.get('whatsminer') if isinstance(facts, dict) else None
    if view is None:
        try:
            view = variables['whatsminer']
        except KeyError:
            view = None
    return view if isinstance(view, dict) else None


def _host_view(variables):
    """The host's whatsminer facts; the error the fleet_report role kept when it answered with one; else unreachable."""
    view = _facts(variables)
    if view is None and variables.get('fleet_report_error'):
        # It answered, with an error (the fleet_report role keeps the message): reachable, not unreadable silence.
        view = dict(reachable=True, host=variables.get('ansible_host'), error=variables['fleet_report_error'])
    return view or dict(reachable=False, error='no facts gathered')


def _board_rows(view):
    return [dict(slot=b.get('slot'), hashrate_ths=b.get('hashrate_ths'), factory_hashrate_ths=b.get('factory_hashrate_ths'),
                 chip_temp_max_c=b.get('chip_temp_max_c'), temperature_c=b.get('temperature_c'))
            for b in view.get('boards') or [] if isinstance(b, dict)]


def report_rows(hosts, hostvars):
    """One flat row per host from the ``whatsminer`` facts gathered by whatsminer_facts (unreachable included)."""
    rows = []
    for name in hosts:
        variables = hostvars[name]
        view = _host_view(variables)
        network = view.get('network') or {}
        pools = view.get('pools') or []
        active = [p for p in pools if p.get('stratum_active')] or [p for p in pools if p.get('status') == 'Alive']
        errors = view.get('error_codes') or []
        try:
            model = view.get('model') or variables['whatsminer_model']
        except KeyError:
            model = None
        rows.append(dict(
            name=str(name),
            host=view.get('host'),
            reachable=bool(view.get('reachable')),
            model=model or 'unknown',
            api=view.get('api'),
            firmware=view.get('firmware_version'),
            mining=view.get('mining'),
            power_mode=view.get('power_mode'),
            hashrate_ths=view.get('hashrate_ths'),
            factory_hashrate_ths=view.get('factory_hashrate_ths'),
            power_w=view.get('power_w'),
            efficiency_jth=view.get('efficiency_jth'),
            env_temp_c=view.get('env_temp_c'),
            chip_temp_avg_c=view.get('chip_temp_avg_c'),
            chip_temp_max_c=view.get('chip_temp_max_c'),
            fan_in_rpm=view.get('fan_in_rpm'),
            fan_out_rpm=view.get('fan_out_rpm'),
            uptime_s=view.get('uptime_s'),
            pool=active[0].get('url') if active else None,
            hostname=network.get('hostname'),
            mac=network.get('mac'),
            serial=view.get('serial_number'),
            boards=_board_rows(view),
            error_count=len(errors),
            errors=[dict(code=e.get('code'), component=e.get('component'), description=e.get('description'), time=e.get('time'))
                    for e in errors],
            error=view.get('error'),
        ))
    return rows


def _num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _per_model(rows):
    models = {}
    for row in rows:
        entry = models.setdefault(row['model'], dict(model=row['model'], miners=0, reachable=0, mining=0, hashrate_ths=0.0,
                                                     power_w=0.0, errors=0, temps=[]))
        entry['miners'] += 1
        entry['errors'] += row['error_count']
        if row['reachable']:
            entry['reachable'] += 1
            entry['mining'] += 1 if row['mining'] else 0
            entry['hashrate_ths'] += _num(row['hashrate_ths']) or 0.0
            entry['power_w'] += _num(row['power_w']) or 0.0
            if _num(row['chip_temp_max_c']) is not None:
                entry['temps'].append(_num(row['chip_temp_max_c']))
    result = []
    for model in sorted(models):
        entry = models[model]
        entry['efficiency_jth'] = round(entry['power_w'] / entry['hashrate_ths'], 2) if entry['hashrate_ths'] else None
        entry['chip_temp_max_c'] = max(entry['temps']) if entry['temps'] else None
        entry['chip_temp_avg_max_c'] = round(sum(entry['temps']) / len(entry['temps']), 1) if entry['temps'] else None
        del entry['temps']
        entry['hashrate_ths'] = round(entry['hashrate_ths'], 2)
        entry['power_kw'] = round(entry.pop('power_w') / 1000.0, 2)
        result.append(entry)
    return result


def _totals(rows):
    reachable = [r for r in rows if r['reachable']]
    hashrate = sum(_num(r['hashrate_ths']) or 0.0 for r in reachable)
    power = sum(_num(r['power_w']) or 0.0 for r in reachable)
    return dict(miners=len(rows), reachable=len(reachable), unreachable=len(rows) - len(reachable),
                mining=sum(1 for r in reachable if r['mining']), hashrate_ths=round(hashrate, 2), power_kw=round(power / 1000.0, 2),
                efficiency_jth=round(power / hashrate, 2) if hashrate else None,
                errors=sum(r['error_count'] for r in rows))


def _error_table(rows):
    codes = {}
    for row in rows:
        for error in row['errors']:
            fresh = dict(code=error['code'], component=error['component'], description=error['description'], miners=[])
            entry = codes.setdefault(str(error['code']), fresh)
            entry['miners'].append(row['name'])
    return sorted(codes.values(), key=lambda e: (-len(e['miners']), str(e['code'])))


def _esc(value):
    if value is None:
        return ''
    if isinstance(value, float):
        value = '%g' % round(value, 2)
    return html.escape(str(value), quote=True)


PALETTE = ('#2f6fab', '#e07b39', '#3a9d5d', '#b8483e', '#7d5ba6', '#8c6d31', '#c2477f', '#5f6b73')


def svg_bars(title, items, unit, width=560, bar_height=22):
    """A horizontal bar chart: ``items`` is [(label, value)]."""
    items = [(label, _num(value)) for label, value in items]
    items = [(label, value) for label, value in items if value is not None]
    if not items:
        return '<p class="empty">%s: no data</p>' % _esc(title)
    top = max(value for _label, value in items) or 1.0
    label_w, pad = 150, 6
    height = 30 + len(items) * (bar_height + pad)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d">' % (width, height, width, height),
             '<title>%s</title>' % _esc(title),
             '<text x="0" y="16" class="ct">%s</text>' % _esc(title)]
    span = width - label_w - 90
    for index, (label, value) in enumerate(items):
        y = 26 + index * (bar_height + pad)
        length = max(1, int(span * value / top)) if value > 0 else 0
        parts.append('<text x="%d" y="%d" text-anchor="end" class="cl">%s</text>' % (label_w - 6, y + bar_height - 6, _esc(label)))
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>' % (label_w, y, length, bar_height, PALETTE[index % len(PALETTE)]))
        parts.append('<text x="%d" y="%d" class="cv">%s %s</text>' % (label_w + length + 4, y + bar_height - 6, _esc(round(value, 2)), _esc(unit)))
    parts.append('</svg>')
    return ''.join(parts)


def svg_histogram(title, values, unit, axis_label, bins=10, width=560, height=230):
    """A vertical histogram of ``values``, its axes labelled: ``axis_label`` (``unit``) across, miners up."""
    values = [v for v in (_num(x) for x in values) if v is not None]
    if not values:
        return '<p class="empty">%s: no data</p>' % _esc(title)
    low, high = min(values), max(values)
    if high == low:
        high = low + 1.0
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / step))] += 1
    top = max(counts)
    left, bottom, chart_h = 46, height - 46, height - 76
    bar_w = (width - left - 10) / float(bins)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d">' % (width, height, width, height),
             '<title>%s</title>' % _esc(title),
             '<text x="0" y="16" class="ct">%s</text>' % _esc(title)]
    for index, count in enumerate(counts):
        bar_h = int(chart_h * count / top) if top else 0
        x = left + index * bar_w
        parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s-%s %s: %d</title></rect>'
                     % (x + 1, bottom - bar_h, bar_w - 2, bar_h, PALETTE[0], _esc(round(low + index * step, 1)),
                        _esc(round(low + (index + 1) * step, 1)), _esc(unit), count))
        if count:
            parts.append('<text x="%.1f" y="%d" text-anchor="middle" class="cv">%d</text>' % (x + bar_w / 2, bottom - bar_h - 3, count))
    parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>' % (left, bottom, width - 10, bottom))
    parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>' % (left, bottom, left, bottom - chart_h))
    for index in range(0, bins + 1, 2):
        anchor = 'start' if index == 0 else 'end' if index == bins else 'middle'
        parts.append('<text x="%.1f" y="%d" text-anchor="%s" class="cl">%s</text>'
                     % (left + index * bar_w, bottom + 14, anchor, _esc(round(low + index * step, 1))))
    parts.append('<text x="%d" y="%d" text-anchor="end" class="cl">%d</text>' % (left - 4, bottom - chart_h + 4, top))
    parts.append('<text x="%d" y="%d" text-anchor="end" class="cl">0</text>' % (left - 4, bottom))
    parts.append('<text x="%.1f" y="%d" text-anchor="middle" class="ca">%s (%s)</text>'
                 % (left + (width - left - 10) / 2.0, height - 8, _esc(axis_label), _esc(unit)))
    parts.append('<text transform="translate(12 %d) rotate(-90)" text-anchor="middle" class="ca">Miners</text>' % (bottom - chart_h / 2))
    parts.append('</svg>')
    return ''.join(parts)


def _table(headers, rows, css=''):
    out = ['<table class="%s"><thead><tr>' % css]
    out += ['<th>%s</th>' % _esc(h) for h in headers]
    out.append('</tr></thead><tbody>')
    for row in rows:
        out.append('<tr>' + ''.join('<td>%s</td>' % cell for cell in row) + '</tr>')
    out.append('</tbody></table>')
    return ''.join(out)


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:12px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left}
th{background:#f3f5f7;position:sticky;top:0}tr.down td{background:#fbe9e7}
table.miners th{cursor:pointer;user-select:none}table.miners th[aria-sort=ascending]::after{content:" \\25B2"}
table.miners th[aria-sort=descending]::after{content:" \\25BC"}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}.charts{display:flex;flex-wrap:wrap;gap:18px}
.ct{font-size:13px;font-weight:600}.cl{font-size:11px;fill:#444}.cv{font-size:11px;fill:#222}.ca{font-size:11px;fill:#222;font-style:italic}
.empty{color:#888}.controls{margin:8px 0}.controls input{font-size:13px;padding:3px 6px;width:320px}
table.heat td{text-align:center;min-width:70px}table.heat td.miner{text-align:left}
.up{color:#1b7a3a}.down-text{color:#b8483e}
"""

# Sorting and filtering of the miner table: plain DOM, no library, nothing fetched.
SCRIPT = """
(function () {
  var table = document.querySelector('table.miners');
  var filter = document.getElementById('miner-filter');
  var shown = document.getElementById('miner-count');
  if (!table || !filter) { return; }
  var body = table.tBodies[0];
  function key(cell) {
    var text = cell.textContent.trim();
    var number = Number(text);
    return text !== '' && !isNaN(number) ? number : text.toLowerCase();
  }
  function count() {
    var visible = 0;
    Array.prototype.forEach.call(body.rows, function (row) { if (row.style.display !== 'none') { visible += 1; } });
    shown.textContent = visible + ' of ' + body.rows.length + ' miners';
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    header.addEventListener('click', function () {
      var ascending = header.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute('aria-sort'); });
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[column]), y = key(b.cells[column]);
        if (x === y) { return 0; }
        if (x === '') { return 1; }
        if (y === '') { return -1; }
        var before = typeof x === typeof y ? x < y : typeof x === 'number';
        return (before ? -1 : 1) * (ascending ? 1 : -1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  filter.addEventListener('input', function () {
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    Array.prototype.forEach.call(body.rows, function (row) {
      var text = row.textContent.toLowerCase();
      row.style.display = words.every(function (word) { return text.indexOf(word) >= 0; }) ? '' : 'none';
    });
    count();
  });
  count();
  document.body.setAttribute('data-ready', 'true');
})();
"""


def _cards(totals):
    cards = [('Miners', totals['miners']), ('Reachable', totals['reachable']), ('Unreachable', totals['unreachable']),
             ('Mining', totals['mining']), ('Hashrate', '%s TH/s' % _esc(totals['hashrate_ths'])),
             ('Power', '%s kW' % _esc(totals['power_kw'])), ('Efficiency', '%s J/TH' % _esc(totals['efficiency_jth'])),
             ('Error codes', totals['errors'])]
    return '<div class="cards">' + ''.join('<div class="card">%s<b>%s</b></div>' % (_esc(k), v if isinstance(v, str) else _esc(v))
                                           for k, v in cards) + '</div>'


def _models_section(models, reachable, errors):
    return ''.join([
        '<h2>Per model</h2>',
        _table(['Model', 'Miners', 'Reachable', 'Mining', 'Hashrate TH/s', 'Power kW', 'J/TH', 'Chip max degC (avg of max)',
                'Chip max degC (hottest)', 'Error codes'],
               [[_esc(m['model']), _esc(m['miners']), _esc(m['reachable']), _esc(m['mining']), _esc(m['hashrate_ths']),
                 _esc(m['power_kw']), _esc(m['efficiency_jth']), _esc(m['chip_temp_avg_max_c']), _esc(m['chip_temp_max_c']),
                 _esc(m['errors'])] for m in models]),
        '<div class="charts">',
        svg_bars('Hashrate per model', [(m['model'], m['hashrate_ths']) for m in models], 'TH/s'),
        svg_bars('Power per model', [(m['model'], m['power_kw']) for m in models], 'kW'),
        svg_bars('Efficiency per model', [(m['model'], m['efficiency_jth']) for m in models], 'J/TH'),
        svg_bars('Miners per model', [(m['model'], m['miners']) for m in models], ''),
        svg_histogram('Chip temperature (max per miner)', [r['chip_temp_max_c'] for r in reachable], 'degC', 'Hottest chip of the miner'),
        svg_histogram('Efficiency per miner', [r['efficiency_jth'] for r in reachable], 'J/TH', 'Power per hash rate'),
        svg_histogram('Hashrate per miner', [r['hashrate_ths'] for r in reachable], 'TH/s', 'Hash rate'),
        svg_bars('Error codes (miners affected)', [(str(e['code']), len(e['miners'])) for e in errors[:12]], 'miners'),
        '</div>',
    ])


def _errors_section(errors, rows):
    out = ['<h2>Error codes</h2>']
    if errors:
        out.append(_table(['Code', 'Component', 'Description', 'Miners'],
                          [[_esc(e['code']), _esc(e['component']), _esc(e['description']), _esc(', '.join(e['miners']))] for e in errors]))
    else:
        out.append('<p>No error codes reported.</p>')
    down = [r for r in rows if not r['reachable']]
    out.append('<h2>Unreachable miners (%d)</h2>' % len(down))
    if down:
        out.append(_table(['Miner', 'Address', 'Reason'], [[_esc(r['name']), _esc(r['host']), _esc(r['error'])] for r in down]))
    else:
        out.append('<p>Every miner answered.</p>')
    return ''.join(out)


def _heat(value, low, high):
    """A background colour from blue (``low``) through yellow to red (``high``)."""
    share = min(1.0, max(0.0, (value - low) / float(high - low)))
    hue = int(220 - 220 * share)
    return 'background:hsl(%d,75%%,%d%%)' % (hue, 80 if 60 < hue < 200 else 72)


HEAT_ROWS = 500


def _board_cells(row, slots):
    """Two heat-map cells per slot: the board's hottest chip, and its hash rate coloured by its share of the factory figure."""
    boards = dict((b.get('slot'), b) for b in row['boards'])
    cells = []
    for slot in slots:
        board = boards.get(slot) or {}
        temp, rate, factory = _num(board.get('chip_temp_max_c')), _num(board.get('hashrate_ths')), _num(board.get('factory_hashrate_ths'))
        share = rate / factory if rate is not None and factory else None
        cells.append('<td style="%s" title="slot %s">%s</td>' % ('' if temp is None else _heat(temp, 50, 100), _esc(slot),
                                                                 '' if temp is None else '%s&#176;C' % _esc(temp)))
        cells.append('<td style="%s">%s</td>' % ('' if share is None else _heat(1.1 - share, 0.1, 0.5),
                                                 '' if rate is None else '%s TH/s' % _esc(rate)))
    return ''.join(cells)


def _boards_section(rows):
    """Hashboards x miners: the hottest chip of each board and its share of the factory hash rate, as heat maps."""
    miners = [r for r in rows if r['reachable'] and r.get('boards')]
    out = ['<h2>Hashboards</h2>']
    if not miners:
        return out[0] + '<p class="empty">No hashboard data (gather the devs subset: fleet_report_gather_subset).</p>'
    miners.sort(key=lambda r: -max(_num(b.get('chip_temp_max_c')) or 0.0 for b in r['boards']))
    slots = sorted(set(b['slot'] for r in miners for b in r['boards'] if b.get('slot') is not None), key=lambda s: _num(s) or 0)
    body = ''.join('<tr><td class="miner">%s</td>%s</tr>' % (_esc(row['name']), _board_cells(row, slots)) for row in miners[:HEAT_ROWS])
    headers = ''.join('<th>Slot %s chip max</th><th>Slot %s hash rate</th>' % (_esc(s), _esc(s)) for s in slots)
    out.append('<p>Hottest miners first; chip temperature blue (50&#176;C) to red (100&#176;C), hash rate red when a board '
               'gives less than 60 %% of its factory figure.%s</p>'
               % ('' if len(miners) <= HEAT_ROWS else ' The %d hottest of %d miners are shown.' % (HEAT_ROWS, len(miners))))
    out.append('<table class="heat"><thead><tr><th>Miner</th>%s</tr></thead><tbody>%s</tbody></table>' % (headers, body))
    return ''.join(out)


def _previous_rows(previous):
    """The miner rows of the previous report (its JSON document or text), or None with the reason it cannot be read."""
    if previous is None or previous == '':
        return None, 'No previous report to compare with.'
    if isinstance(previous, (str, bytes)):
        try:
            previous = json.loads(previous)
        except ValueError:
            return None, 'The previous report could not be read (not JSON); nothing to compare with.'
    miners = previous.get('miners') if isinstance(previous, dict) else None
    if not isinstance(miners, list) or not all(isinstance(m, dict) and isinstance(m.get('name'), str) for m in miners):
        return None, 'The previous report is not a fleet report document; nothing to compare with.'
    return dict((m['name'], m) for m in miners), 'Compared with the report of %s.' % previous.get('generated', 'an unknown time')


def report_changes(rows, previous, moved_percent=5.0):
    """What changed since ``previous`` (the previous JSON document): miners lost, back, added, gone; new error codes;
    hash rate moved by more than ``moved_percent`` per miner, and in all."""
    before, note = _previous_rows(previous)
    if before is None:
        return dict(compared=False, note=note)
    now = dict((r['name'], r) for r in rows)
    changes = dict(compared=True, note=note, added=sorted(set(now) - set(before)), removed=sorted(set(before) - set(now)),
                   lost=[], back=[], new_errors=[], moved=[])
    for name in sorted(set(now) & set(before)):
        old, new = before[name], now[name]
        if bool(old.get('reachable')) != bool(new['reachable']):
            changes['back' if new['reachable'] else 'lost'].append(name)
        old_codes = set(str(e.get('code')) for e in old.get('errors') or [] if isinstance(e, dict))
        for error in new['errors']:
            if str(error['code']) not in old_codes:
                changes['new_errors'].append(dict(name=name, code=error['code'], description=error['description']))
        was, is_now = _num(old.get('hashrate_ths')), _num(new['hashrate_ths'])
        if was and is_now is not None and abs(is_now - was) * 100.0 / was >= moved_percent:
            changes['moved'].append(dict(name=name, before=was, after=is_now, percent=round((is_now - was) * 100.0 / was, 1)))
    changes['hashrate_before_ths'] = round(sum(_num(m.get('hashrate_ths')) or 0.0 for m in before.values() if m.get('reachable')), 2)
    changes['hashrate_after_ths'] = _totals(rows)['hashrate_ths']
    return changes


def _changes_section(changes):
    out = ['<h2>Since the previous report</h2>', '<p>%s</p>' % _esc(changes['note'])]
    if not changes['compared']:
        return ''.join(out)
    was, now = changes['hashrate_before_ths'], changes['hashrate_after_ths']
    out.append('<p>Fleet hash rate %s TH/s &#8594; %s TH/s (<span class="%s">%+.2f TH/s</span>).</p>'
               % (_esc(was), _esc(now), 'up' if now >= was else 'down-text', now - was))
    lines = [('Miners lost (answered before, not now)', changes['lost']), ('Miners back', changes['back']),
             ('New in the inventory', changes['added']), ('Gone from the inventory', changes['removed'])]
    out.append(_table(['What', 'Count', 'Miners'], [[_esc(what), _esc(len(names)), _esc(', '.join(names))] for what, names in lines]))
    if changes['new_errors']:
        out.append('<h3>New error codes</h3>')
        out.append(_table(['Miner', 'Code', 'Description'], [[_esc(e['name']), _esc(e['code']), _esc(e['description'])]
                                                             for e in changes['new_errors']]))
    if changes['moved']:
        out.append('<h3>Hash rate moved</h3>')
        out.append(_table(['Miner', 'Before TH/s', 'Now TH/s', 'Change %'],
                          [[_esc(m['name']), _esc(m['before']), _esc(m['after']), _esc(m['percent'])]
                           for m in sorted(changes['moved'], key=lambda m: m['percent'])]))
    return ''.join(out)


def _miners_section(rows):
    body = []
    for row in rows:
        cells = ''.join('<td>%s</td>' % _esc(row[key]) for key, _label in COLUMNS)
        body.append('<tr%s>%s</tr>' % ('' if row['reachable'] else ' class="down"', cells))
    headers = ''.join('<th scope="col">%s</th>' % _esc(label) for _key, label in COLUMNS)
    return ('<h2>Miners</h2><div class="controls"><input id="miner-filter" type="search" placeholder="Filter: model, address, error..." '
            'aria-label="Filter the miners"> <span id="miner-count">%d miners</span> (click a column to sort)</div>'
            '<table class="miners"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (len(rows), headers, ''.join(body)))


def _script_json(data):
    """JSON safe inside a script element: no markup character survives (a model name could hold ``<script>``)."""
    return json.dumps(data, sort_keys=True).replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')


def report_html(rows, title='WhatsMiner fleet report', generated=None, previous=None):
    """A self-contained HTML page (inline CSS, SVG and script, no external resource); ``previous`` is the previous
    report's JSON document (or its text) to show what changed since."""
    generated = generated or time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())
    totals = _totals(rows)
    models = _per_model(rows)
    errors = _error_table(rows)
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head><body>'
           % (_esc(title), STYLE),
           '<h1>%s</h1><p>Generated %s from %d miners.</p>' % (_esc(title), _esc(generated), len(rows)),
           _cards(totals),
           _changes_section(report_changes(rows, previous)),
           _models_section(models, [r for r in rows if r['reachable']], errors),
           _errors_section(errors, rows),
           _boards_section(rows),
           _miners_section(rows),
           '<script type="application/json" id="fleet-data">%s</script>'
           % _script_json(dict(totals=totals, models=models)),
           '<script>%s</script>' % SCRIPT,
           '</body></html>\n']
    return ''.join(out)


def report_csv(rows):
    """One CSV line per miner (the columns of the HTML miner table, plus the error codes)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow([key for key, _label in COLUMNS] + ['error_codes'])
    for row in rows:
        writer.writerow(['' if row[key] is None else row[key] for key, _label in COLUMNS]
                        + [' '.join(str(e['code']) for e in row['errors'])])
    return buf.getvalue()


def report_data(rows, title='WhatsMiner fleet report', generated=None):
    """The JSON document: totals, per-model figures, decoded error codes and the rows."""
    return dict(title=title, generated=generated or time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()),
                totals=_totals(rows), models=_per_model(rows), error_codes=_error_table(rows), miners=rows)


class FilterModule:
    """minerops.whatsminer report filters."""

    def filters(self):
        return dict(report_rows=report_rows, report_html=report_html, report_csv=report_csv, report_data=report_data,
                    report_changes=report_changes)
