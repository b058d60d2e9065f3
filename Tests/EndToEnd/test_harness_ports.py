"""The harness's own promise: a port taken by another process between the
harness choosing it and a listener binding it cannot fail a test. The
first candidate offered here is a port this test holds; nginx, a TCP
responder and PostgreSQL must each end up on another one, and serve."""
import itertools
import socket

import pytest
import requests

import harness


@pytest.fixture
def taken_first(monkeypatch):
    """Makes the harness's first candidate port one that is listened on
    (as another process's would be); later candidates are real ones."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    taken = held.getsockname()[1]
    real = harness.free_port
    candidates = itertools.chain([taken], iter(real, None))
    monkeypatch.setattr(harness, "free_port", lambda: next(candidates))
    yield taken
    held.close()


def test_nginx_moves_to_another_port_when_its_first_is_taken(taken_first):
    held, address = harness.refused_address()
    nginx = harness.Nginx([address])
    try:
        assert nginx.port != taken_first
        assert harness.PORT_IN_USE in open(nginx.stderr).read()  # the first try met the taken port
        r = requests.get(nginx.url + "/healthz", timeout=30)
        assert (r.status_code, r.json()) == (503, {"error": "Service unavailable"})
    finally:
        nginx.stop()
        held.close()


def test_a_tcp_responder_moves_to_another_port_when_its_first_is_taken(taken_first):
    responder = harness.Responder()
    try:
        assert responder.port != taken_first
        log = responder.log_text()
        assert harness.PORT_IN_USE in log
        assert harness.listening_needles(f"127.0.0.1:{responder.port}")[0] in log
        nginx = harness.Nginx([responder.address])
        try:
            assert requests.get(nginx.url + "/healthz", timeout=30).status_code == 200
        finally:
            nginx.stop()
    finally:
        responder.stop()


def test_postgres_moves_to_another_port_when_its_first_is_taken(taken_first):
    pg = harness.Postgres()
    try:
        assert pg.port != taken_first
        assert harness.PORT_IN_USE in open(pg.log).read()
        assert pg.psql("SELECT 1").strip() == "1"
    finally:
        pg.destroy()
