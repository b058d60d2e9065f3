"""The platform through real nginx: health, routing errors, body limits,
concurrency, database outage and SIGTERM drain ."""
import concurrent.futures
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import BACKENDS


def test_healthz_ok(stack):
    r = stack.get("/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"status": "ok", "database": "ok"}


def test_unknown_path_is_json_404(stack):
    r = stack.get("/no/such/path")
    assert r.status_code == 404
    assert r.json() == {"error": "Not found"}


# Contract v1.1: Allow lists HEAD with GET, and OPTIONS, as Flask does.
def test_wrong_method_is_405_with_allow(stack):
    r = stack.http.delete(stack.url + "/healthz")
    assert r.status_code == 405
    assert r.json() == {"error": "Method not allowed"}
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    r = stack.get("/auth/login")
    assert r.status_code == 405 and r.headers["Allow"] == "POST, OPTIONS"


def test_405_lists_every_method_of_the_path(stack):
    r = stack.http.put(stack.url + "/auth/refresh")
    assert r.status_code == 405
    assert sorted(m.strip() for m in r.headers["Allow"].split(",")) == ["GET", "HEAD", "OPTIONS", "POST"]


@pytest.mark.parametrize("chunked", [False, True])
def test_body_over_64_kib_is_json_413(stack, chunked):
    body = b"x" * 65537
    data = iter([body[:30000], body[30000:]]) if chunked else body
    r = stack.post("/auth/login", data=data, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "error" in r.json()


@pytest.mark.parametrize("chunked", [False, True])
def test_body_of_exactly_64_kib_passes_the_size_check(stack, chunked):
    body = b'{"username": "nobody", "password": "' + b"p" * (65536 - 40) + b'"}'
    body = body.ljust(65536, b" ")
    assert len(body) == 65536
    data = iter([body[:30000], body[30000:]]) if chunked else body
    r = stack.post("/auth/login", data=data, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"error": "Invalid username or password"}


def test_query_string_on_health_is_ignored(stack):
    assert stack.get("/healthz?x=1&x=2&%zz").status_code == 200


def test_500_concurrent_requests_over_32_connections(stack):
    local = threading.local()

    def one(i):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        path = "/healthz" if i % 2 == 0 else "/missing"
        r = local.s.get(stack.url + path, timeout=30)
        return path, r.status_code, r.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(one, range(500)))
    assert len(results) == 500
    for path, status, body in results:
        if path == "/healthz":
            assert (status, body) == (200, {"status": "ok", "database": "ok"})
        else:
            assert (status, body) == (404, {"error": "Not found"})


def test_healthz_503_while_postgres_is_down_then_200(make_stack, postgres):
    s = make_stack("postgres")
    assert s.get("/healthz").status_code == 200
    postgres.stop()
    try:
        r = s.get("/healthz")
        assert r.status_code == 503
        assert r.json() == {"status": "unavailable", "database": "unreachable", "error": "Service unavailable"}
        # Any route that needs the database answers 503 too, and the process lives.
        r = s.post("/auth/login", json={"username": "x", "password": "y"})
        assert r.status_code == 503 and r.json()["error"] == "Service unavailable"
        assert s.responder.proc.poll() is None
    finally:
        postgres.start()
    deadline = time.time() + 20
    while s.get("/healthz").status_code != 200:
        assert time.time() < deadline, "healthz never recovered"
        time.sleep(0.2)
    # Every worker thread reconnects, not only the one that answered.
    statuses = {s.get("/healthz").status_code for _ in range(40)}
    assert statuses == {200}


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_drains_in_flight_requests_and_exits_0(make_stack, backend):
    s = make_stack(backend)
    # A login costs one scrypt (~0.1 s) and the key derivations run one per
    # core: once the first answer is back, the other requests have been
    # read and wait for theirs, so several are in flight at SIGTERM.
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(s.post, "/auth/login", json={"username": "x", "password": "123456"})
                   for _ in range(12)]
        concurrent.futures.wait(futures, timeout=60, return_when=concurrent.futures.FIRST_COMPLETED)
        in_flight = [f for f in futures if not f.done()]
        s.responder.proc.send_signal(signal.SIGTERM)
        answers = [f.result() for f in futures]
    assert s.responder.proc.wait(timeout=15) == 0
    # Requests still being handled at SIGTERM got their real answer.
    assert in_flight, "every login was answered before SIGTERM"
    drained = [f.result() for f in in_flight if f.result().status_code == 400]
    assert drained, [f.result().status_code for f in in_flight]
    for r in answers:
        assert r.headers["Content-Type"] == "application/json"
    assert "stopped" in s.responder.log_text()


def test_sigterm_exits_promptly_with_idle_kept_connections(make_stack):
    s = make_stack("sqlite")
    for _ in range(20):  # leaves idle kept connections between nginx and the responder
        assert s.get("/healthz").status_code == 200
    started = time.time()
    s.responder.proc.send_signal(signal.SIGTERM)
    assert s.responder.proc.wait(timeout=30) == 0
    # Held open by idle connections it would wait out its 20 s drain
    # deadline; a prompt exit takes well under a second. 10 s tells the
    # two apart even on a loaded machine.
    assert time.time() - started < 10


def test_missing_secret_refuses_to_start(tmp_path):
    from harness import BINARY
    out = subprocess.run([BINARY, "serve"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "FLASK_JWT_SECRET_KEY" in out.stderr or "FLASK_SECRET_KEY" in out.stderr


def test_unparseable_setting_names_the_variable(tmp_path):
    from harness import BINARY
    out = subprocess.run([BINARY, "serve"], cwd=tmp_path, capture_output=True, text=True, timeout=20,
                         env={"PATH": "/usr/bin:/bin", "FLASK_SECRET_KEY": "s3cr3t-value",
                              "FLASK_JWT_ACCESS_TOKEN_EXPIRES": "soon"})
    assert out.returncode != 0
    assert "FLASK_JWT_ACCESS_TOKEN_EXPIRES" in out.stderr
    assert "s3cr3t-value" not in out.stderr


def test_dotenv_configures_and_environment_wins(tmp_path):
    from harness import BINARY
    (tmp_path / ".env").write_text('export FLASK_SECRET_KEY="from dotenv"  # comment\nFLASK_JWT_ALGORITHM=HS999\n')
    out = subprocess.run([BINARY, "check-config"], cwd=tmp_path, capture_output=True, text=True, timeout=20,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.returncode != 0 and "FLASK_JWT_ALGORITHM" in out.stderr
    out = subprocess.run([BINARY, "check-config"], cwd=tmp_path, capture_output=True, text=True, timeout=20,
                         env={"PATH": "/usr/bin:/bin", "FLASK_JWT_ALGORITHM": "HS512"})
    assert out.returncode == 0, out.stderr
    assert "HS512" in out.stdout
    assert "instance/db.sqlite" in out.stdout
