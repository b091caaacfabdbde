"""Quick end-to-end smoke test."""

from simclient import request


def test_summary_and_token(sim):
    host, port = sim.addr()
    reply = request(host, port, {'cmd': 'summary'})
    assert reply['STATUS'][0]['STATUS'] == 'S'
    assert reply['SUMMARY'][0]['Power Mode'] == 'Normal'
    session = sim.session().login()
    reply = session.send('set_led', param='auto')
    assert reply['Code'] == 131, reply
