"""Odds and ends: parameter styles, control API fleet-wide endpoints, inventory details, independence."""

import ast
import os

from simclient import SIM_ROOT, http, request


def test_param_styles(sim):
    s = sim.session()
    # single-parameter commands also accept the value under "param", or a nested object
    assert s.send('set_power_pct_v2', param='55')['Code'] == 131
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['power_pct'] == 55
    assert s.send('set_led', param={'color': 'green', 'period': '600', 'duration': '300', 'start': '0'})['Code'] == 131
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['led']['color'] == 'green'
    assert s.send('set_hostname', param='{"hostname": "nested"}')['Code'] == 131
    assert http(sim.url + '/miners/sim-0001')[1]['settings']['hostname'] == 'nested'
    assert s.send('set_power_pct_v2', percent=70)['Code'] == 131  # a JSON number works too
    assert s.send('set_power_pct_v2', percent=7.5)['Code'] == 132


def test_control_fleet_wide(make_sim):
    handle = make_sim(miners=3)
    assert http(handle.url + '/health')[1]['miners'] == 3
    assert http(handle.url + '/state', 'PATCH', {'hostname': 'everyone'})[0] == 200
    assert {request(*handle.addr(i), {'cmd': 'get_miner_info', 'info': 'hostname'})['Msg']['hostname'] for i in range(3)} == {'everyone'}
    assert http(handle.url + '/reset-counts', 'POST', {})[0] == 200
    assert all(http(handle.url + '/miners/sim-000%d' % i)[1]['counts']['reads'] == 0 for i in (1, 2, 3))
    host, port = handle.addr(1)
    assert http(handle.url + '/miners/%s:%d' % (host, port))[1]['id'] == 'sim-0002'
    assert http(handle.url + '/miners/sim-0001/state', 'PATCH', {})[0] == 200
    assert http(handle.url + '/miners/sim-0001/faults', 'POST', {'kind': 'latency', 'seconds': 'soon'})[0] == 400
    assert http(handle.url + '/miners/sim-0001/faults', 'PUT', {})[0] in (404, 405)


def test_inventory_with_differing_passwords(make_sim, tmp_path):
    inventory = tmp_path / 'inv.yml'
    handle = make_sim(miners=3, models=('M63',), inventory=str(inventory), inventory_password=True)
    text = inventory.read_text()
    assert 'model_m63:' in text and text.count('ansible_host') == 3 and 'whatsminer_password: "admin"' in text
    handle.session(2).send('update_pwd', old='admin', new='other')
    handle.fleet.write_inventory(str(inventory))
    text = inventory.read_text()
    assert 'whatsminer_password: "admin"' in text and 'whatsminer_password: "other"' in text


def test_simulator_imports_nothing_from_the_collection():
    """The simulator is an independent implementation: no import of plugins/ or a miner client."""
    allowed = {'asyncio', 'argparse', 'base64', 'collections', 'copy', 'dataclasses', 'hashlib', 'http', 'io', 'ipaddress', 'json',
               'logging', 'math', 'os', 'random', 're', 'resource', 'secrets', 'shutil', 'signal', 'socket', 'struct', 'sys',
               'tarfile', 'tempfile', 'time', 'cryptography', 'passlib'}
    package = os.path.join(SIM_ROOT, 'whatsminer_sim')
    for name in os.listdir(package):
        if not name.endswith('.py'):
            continue
        with open(os.path.join(package, name), encoding='utf-8') as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split('.')[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [node.module.split('.')[0]]
            else:
                continue
            for root in roots:
                assert root in allowed, '%s imports %s' % (name, root)


def test_cgminer_status_v1_description(make_sim):
    handle = make_sim(api_version='1')
    reply = request(*handle.addr(), {'cmd': 'summary'})
    assert reply['STATUS'][0]['Description'] == 'whatsminer v1.4.0'
