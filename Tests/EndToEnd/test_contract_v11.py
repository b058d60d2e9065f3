"""Contract v1.1 through real nginx and the real responder: /livez, the
nosniff and no-store headers, HEAD and OPTIONS as Flask answers them,
per_page beyond 64 bits, `crit` headers, a jti too long to store, and
stored scrypt hashes beyond Werkzeug's own limits."""
import socket
import time

import pytest
from flask import Flask
from werkzeug.security import check_password_hash, generate_password_hash

from conftest import unique
from harness import Postgres, Stack, run_sql
from helpers import bearer, claims_for, login, register, sign_raw

INVALID = {"message": "Signature verification failed", "error": "invalid_token"}

# The contract's route table (API.md v1.1): path -> methods.
ROUTES = {"/healthz": ["GET"], "/livez": ["GET"], "/api/users/all": ["GET"]}
for _prefix in ("/auth", "/api/auth"):
    ROUTES.update({_prefix + "/register": ["POST"], _prefix + "/login": ["POST"],
                   _prefix + "/refresh": ["GET", "POST"], _prefix + "/whoami": ["GET"],
                   _prefix + "/logout": ["GET", "POST"]})


@pytest.fixture(scope="module")
def s():
    stack = Stack("sqlite")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def user(s):
    name = unique("v11")
    assert register(s, name).status_code == 201
    return name


@pytest.fixture(scope="module")
def flask_client():
    """The same route table served by the real Flask: what HEAD, OPTIONS
    and 405 looked like before AuthGate."""
    app = Flask(__name__)
    for i, (path, methods) in enumerate(ROUTES.items()):
        app.add_url_rule(path, f"r{i}", lambda: ({"ok": True}, 200), methods=methods)
    return app.test_client()


def raw(stack, request_line, headers=(), timeout=10):
    """One request on its own connection; returns (status line, headers, body bytes)."""
    host, port = stack.url.removeprefix("http://").split(":")
    lines = [request_line, f"Host: {host}", "Connection: close", *headers, "", ""]
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall("\r\n".join(lines).encode())
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed.setdefault(name.strip().lower(), []).append(value.strip())
    return status, parsed, body


def comparable(headers):
    """Headers that must match between GET and HEAD (not the per-connection
    or per-request ones)."""
    return {k: v for k, v in headers.items() if k not in ("date", "connection", "x-request-id")}


# /livez ------------------------------------------------------------------

def test_livez_is_ok(s):
    r = s.get("/livez")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert r.headers["Content-Type"] == "application/json"


def test_livez_answers_while_the_database_is_down():
    pg = Postgres()
    stack = None
    try:
        stack = Stack("postgres", postgres=pg)
        assert stack.get("/healthz").status_code == 200
        pg.stop()
        assert stack.get("/healthz").status_code == 503  # the outage is seen
        for _ in range(5):
            r = stack.get("/livez")
            assert (r.status_code, r.json()) == (200, {"status": "ok"})
    finally:
        if stack:
            stack.stop()
        pg.destroy()


# Headers -----------------------------------------------------------------

def test_every_authgate_answer_says_nosniff_once(s, user):
    tokens = login(s, user)
    answers = [
        s.get("/livez"), s.get("/healthz"),
        s.post("/auth/register", json={"username": unique(), "email": f"{unique()}@x.io", "password": "123456"}),
        s.post("/auth/login", json={"username": user, "password": "wrong!"}),
        s.get("/auth/whoami", headers=bearer(tokens["access"])),
        s.get("/auth/whoami"),
        s.get("/no/such/path"), s.get("/auth/login"),
        s.post("/auth/login", data="x", headers={"Content-Type": "text/plain"}),
        s.http.options(s.url + "/auth/login"), s.http.head(s.url + "/auth/whoami"),
    ]
    assert sorted({r.status_code for r in answers}) == [200, 201, 400, 401, 404, 405, 415]
    for r in answers:
        # requests joins repeated headers with ", ": equality means exactly once.
        assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.request.method, r.url, r.status_code)


@pytest.mark.parametrize("prefix", ["/auth", "/api/auth"])
def test_token_responses_are_no_store(s, user, prefix):
    r = s.post(prefix + "/login", json={"username": user, "password": "123456"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    refresh = r.json()["tokens"]["refresh"]
    for method in ("GET", "POST"):
        r = s.http.request(method, s.url + prefix + "/refresh", headers=bearer(refresh), timeout=30)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"


# HEAD --------------------------------------------------------------------

@pytest.mark.parametrize("path,authorized", [("/auth/whoami", True), ("/auth/whoami", False),
                                             ("/api/users/all?per_page=2", True), ("/livez", False),
                                             ("/healthz", False), ("/api/auth/refresh", False)])
def test_head_answers_like_get_without_a_body(s, user, path, authorized):
    extra = [f"Authorization: Bearer {login(s, user)['access']}"] if authorized else []
    get_status, get_headers, get_body = raw(s, f"GET {path} HTTP/1.1", extra)
    head_status, head_headers, head_body = raw(s, f"HEAD {path} HTTP/1.1", extra)
    assert head_status == get_status
    assert comparable(head_headers) == comparable(get_headers)
    assert head_headers["content-length"] == [str(len(get_body))] and len(get_body) > 0
    assert head_body == b""


def test_head_matches_flask(s, flask_client):
    for path, methods in ROUTES.items():
        r = s.http.head(s.url + path, timeout=30)
        expected = flask_client.head(path)
        if "GET" in methods:
            assert r.status_code != 405, path  # answered as GET (401, 200, ...)
        else:
            assert r.status_code == expected.status_code == 405, path
            assert set(r.headers["Allow"].split(", ")) == set(expected.headers["Allow"].split(", "))


# OPTIONS -----------------------------------------------------------------

def test_options_answers_200_with_allow_as_flask(s, flask_client):
    for path in ROUTES:
        status, headers, body = raw(s, f"OPTIONS {path} HTTP/1.1")
        expected = flask_client.options(path)
        assert status.startswith("HTTP/1.1 200"), (path, status)
        assert body == b"" and headers["content-length"] == ["0"], path
        [allow] = headers["allow"]
        assert set(allow.split(", ")) == set(expected.headers["Allow"].split(", ")), path
        assert allow.split(", ")[-1] == "OPTIONS"


def test_405_allow_lists_head_and_options_as_flask(s, flask_client):
    for path, methods in ROUTES.items():
        method = "DELETE" if "POST" in methods else "POST"
        r = s.http.request(method, s.url + path, timeout=30)
        expected = flask_client.open(path, method=method)
        assert r.status_code == expected.status_code == 405, path
        assert r.json() == {"error": "Method not allowed"}
        assert set(r.headers["Allow"].split(", ")) == set(expected.headers["Allow"].split(", ")), path


def test_fixed_allow_order(s):
    assert s.http.options(s.url + "/auth/refresh").headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert s.http.options(s.url + "/auth/whoami").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert s.http.options(s.url + "/auth/login").headers["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST", "DELETE", "PUT"])
def test_unknown_path_is_404_for_every_method(s, method):
    r = s.http.request(method, s.url + "/auth/nope", timeout=30)
    assert r.status_code == 404
    if method != "HEAD":
        assert r.json() == {"error": "Not found"}


# per_page ----------------------------------------------------------------

@pytest.mark.parametrize("value", ["99999999999999999999", "18446744073709551616", "9" * 300])
def test_per_page_beyond_64_bits_is_served_as_100(s, user, value):
    r = s.get(f"/api/users/all?per_page={value}", headers=bearer(login(s, user)["access"]))
    assert r.status_code == 200 and r.json()["per_page"] == 100


def test_page_beyond_64_bits_is_400_naming_page(s, user):
    r = s.get("/api/users/all?page=99999999999999999999", headers=bearer(login(s, user)["access"]))
    assert r.status_code == 400 and "page" in r.json()["error"]


# Tokens ------------------------------------------------------------------

@pytest.mark.parametrize("crit", [["exp"], ["b64"], [], "exp"])
def test_crit_header_is_invalid_token_everywhere(s, user, crit):
    access = sign_raw(claims_for(user, "access"), header={"alg": "HS256", "typ": "JWT", "crit": crit})
    refresh = sign_raw(claims_for(user, "refresh"), header={"alg": "HS256", "typ": "JWT", "crit": crit})
    for method, path, token in [("GET", "/auth/whoami", access), ("POST", "/auth/refresh", refresh),
                                ("POST", "/auth/logout", access), ("GET", "/api/users/all", access)]:
        r = s.http.request(method, s.url + path, headers=bearer(token), timeout=30)
        assert (r.status_code, r.json()) == (401, INVALID), (method, path)
    # The same header without crit is fine: the refusal is crit's alone.
    plain = sign_raw(claims_for(user, "access"), header={"alg": "HS256", "typ": "JWT"})
    assert s.get("/auth/whoami", headers=bearer(plain)).status_code == 200


def check_jti_limits(stack, name):
    """A 3,000-character jti is refused on every route, never a 500, and a
    jti at the limit (1,024 bytes) logs out for good."""
    for kind, method, path in [("access", "GET", "/auth/whoami"), ("access", "POST", "/auth/logout"),
                               ("refresh", "GET", "/auth/logout"), ("refresh", "POST", "/auth/refresh")]:
        token = sign_raw(claims_for(name, kind, jti="j" * 3000))
        r = stack.http.request(method, stack.url + path, headers=bearer(token), timeout=30)
        assert (r.status_code, r.json()) == (401, INVALID), (kind, method, path)
    token = sign_raw(claims_for(name, "access", jti="abc\x00def"))
    assert stack.post("/auth/logout", headers=bearer(token)).json() == INVALID
    # Random characters: nothing for PostgreSQL's compression to shrink.
    longest = (unique("j") * 200)[:1024]
    token = sign_raw(claims_for(name, "access", jti=longest))
    assert stack.get("/auth/whoami", headers=bearer(token)).status_code == 200
    assert stack.post("/auth/logout", headers=bearer(token)).status_code == 200
    r = stack.get("/auth/whoami", headers=bearer(token))
    assert (r.status_code, r.json()["error"]) == (401, "token_revoked")


def test_long_jti_on_sqlite(s, user):
    check_jti_limits(s, user)


def test_long_jti_on_postgres(make_stack):
    stack = make_stack("postgres")
    assert register(stack, "longjti").status_code == 201
    check_jti_limits(stack, "longjti")
    assert "unexpected error" not in stack.responder.log_text()


# Stored hashes -----------------------------------------------------------

def test_hash_beyond_werkzeugs_cap_fails_like_a_wrong_password(s):
    name = unique("hostile")
    assert register(s, name).status_code == 201
    # 132*N*r*p just over INT_MAX: the real Werkzeug cannot check it either.
    hostile = "scrypt:16384:8:125$abcdefghijklmnop$" + "0" * 128
    with pytest.raises(ValueError):
        check_password_hash(hostile, "123456")
    run_sql(s, "UPDATE users SET password = ? WHERE username = ?", (hostile, name))
    r = s.post("/auth/login", json={"username": name, "password": "123456"})
    assert (r.status_code, r.json()) == (400, {"error": "Invalid username or password"})
    assert "beyond Werkzeug's limits" in s.responder.log_text()


@pytest.mark.parametrize("method", ["scrypt:128:1:1", "scrypt:2:1:64", "scrypt:65536:2:1"])
def test_werkzeug_hashes_at_the_edge_of_the_cap_log_in(s, method):
    name = unique("edge")
    assert register(s, name).status_code == 201
    run_sql(s, "UPDATE users SET password = ? WHERE username = ?",
            (generate_password_hash("123456", method=method), name))
    assert login(s, name)["access"]
