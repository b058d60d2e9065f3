"""Kept FastCGI connections (nginx's `fastcgi_keep_conn on`) wait in the
responder's park, not in a thread each: many idle ones leave every worker
free, each is served again when it sends its next request, the park is
capped, idle ones are closed after a timeout, and a drain closes idle ones
while answering a request already sent on one."""
import signal
import socket
import time

import pytest

import fastcgi_raw as fcgi
from harness import Responder, stop_process

THREADS = 2


def ask(sock, timeout=5.0):
    """One keep-connection request on an open socket; the answer's status,
    or 'closed' / 'timeout'."""
    sock.settimeout(timeout)
    try:
        sock.sendall(fcgi.request(flags=fcgi.KEEP_CONN))
    except OSError:
        return "closed"
    raw = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionError:
            return "closed"
        if not got:
            return "closed"
        raw += got
        answer = fcgi.Answer(raw, "", 0)
        if any(t == fcgi.END_REQUEST for t, _, _ in answer.records):
            return answer.status
    return "timeout"


def kept(port, count, settle=0.0):
    """`count` connections, each answered once and left open. `settle`:
    seconds to let each be parked (the answer leaves before its worker
    parks the connection) before the next one is opened."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        socks.append(sock)
        assert ask(sock) == 200
        time.sleep(settle)
    return socks


def closed_by_peer(sock, wait=0.5):
    """True once the responder has closed `sock` (EOF or reset)."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionError:
        return True


@pytest.fixture
def responder(request):
    env = {"AUTHGATE_THREADS": str(THREADS), **getattr(request, "param", {})}
    r = Responder(env=env)
    yield r
    r.stop()


def test_idle_kept_connections_hold_no_thread(responder):
    """Ten times as many idle kept connections as threads: a new one is
    still answered at once, and every kept one again when it asks."""
    socks = kept(responder.port, 10 * THREADS)
    try:
        started = time.monotonic()
        assert fcgi.exchange(responder.port, fcgi.request(), timeout=5).status == 200
        assert time.monotonic() - started < 2
        assert [ask(s) for s in reversed(socks)] == [200] * len(socks)
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("responder", [{"AUTHGATE_MAX_IDLE_CONNECTIONS": "3"}], indirect=True)
def test_the_park_is_capped(responder):
    """Past the cap a connection is closed after its answer, not parked."""
    socks = kept(responder.port, 5, settle=0.2)
    try:
        closed = [closed_by_peer(s) for s in socks]
        assert closed == [False, False, False, True, True]
        assert [ask(s) for s in socks[:3]] == [200] * 3
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("responder", [{"AUTHGATE_IDLE_CONNECTION_SECONDS": "1"}], indirect=True)
def test_idle_connections_are_closed_after_the_timeout(responder):
    idle, busy = kept(responder.port, 2)
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert ask(busy) == 200  # used: never idle for a second
            time.sleep(0.3)
        assert closed_by_peer(idle, wait=0.1)
        assert not closed_by_peer(busy, wait=0.1)
    finally:
        idle.close()
        busy.close()


def test_drain_answers_a_request_sent_on_a_kept_connection_and_closes_idle_ones(responder):
    idle, asking = kept(responder.port, 2)
    try:
        body = b'{"username": "nobody", "password": "x"}'
        asking.sendall(fcgi.request(fcgi.health_params(path="/auth/login", method="POST",
                                                       CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body))),
                                    body=body, flags=fcgi.KEEP_CONN))
        time.sleep(0.05)  # the park has it before the drain begins
        started = time.monotonic()
        responder.proc.send_signal(signal.SIGTERM)
        raw = b""
        asking.settimeout(10)
        while not any(t == fcgi.END_REQUEST for t, _, _ in fcgi.Answer(raw, "", 0).records):
            got = asking.recv(65536)
            assert got, "closed before its answer"
            raw += got
        assert fcgi.Answer(raw, "", 0).status == 400  # a wrong password, derived and answered
        assert closed_by_peer(idle, wait=5)
        responder.proc.wait(timeout=10)
        assert responder.proc.returncode == 0
        # The idle connections, still open on this side, did not hold it.
        assert time.monotonic() - started < 5
    finally:
        idle.close()
        asking.close()
        stop_process(responder.proc)


def gauge(port, name):
    """One gauge from the responder's /metrics (as nginx's metrics server asks)."""
    answer = fcgi.exchange(port, fcgi.request(fcgi.health_params(path="/metrics", AUTHGATE_METRICS="1")), timeout=5)
    assert answer.status == 200, answer.summary()
    for line in answer.stdout.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_the_gauges_tell_idle_kept_connections_from_new_silent_ones(responder):
    socks = kept(responder.port, 3, settle=0.2)
    silent = [socket.create_connection(("127.0.0.1", responder.port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.3)
        assert gauge(responder.port, "authgate_connections_parked") == 3
        assert gauge(responder.port, "authgate_connections_new") == 2
    finally:
        for s in socks + silent:
            s.close()
