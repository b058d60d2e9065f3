"""Request logs through real nginx and AuthGate: nginx writes one JSON line
per request and AuthGate one (logger `authgate.request`) with the same
request id, which every answer carries as X-Request-ID (a client's own is
kept only when well-formed); AuthGate's audit lines record register, login
success and failure, logout and throttling with the username. And no log
line or error body ever holds a password, a token, the signing key or the
database password, with FLASK_DEBUG and FLASK_SQLALCHEMY_ECHO on."""
import concurrent.futures
import json
import os
import re
import subprocess
import uuid

import pytest
import requests

from conftest import unique
from harness import BINARY
from helpers import bearer, eventually, forge, register
from secrets_scan import Matcher

NGINX_ID = re.compile(r"^[0-9a-f]{32}$")


def json_lines(text):
    """Every non-empty finished line, parsed: each must be one JSON object.
    Lines end at "\n" only, as for a log shipper: str.splitlines() also
    splits at U+2028, U+0085 and others, which a username may hold (AuthGate
    escapes them, test_log_escaping.py). The text after the last newline is
    a line still being written (a write(2) that crosses a page boundary is
    seen in parts), not one yet."""
    lines = []
    for line in text.split("\n")[:-1]:
        if line.strip():
            value = json.loads(line)
            assert isinstance(value, dict), line
            lines.append(value)
    return lines


def authgate_lines(stack, **match):
    return [l for l in json_lines(stack.responder.log_text()) if all(l.get(k) == v for k, v in match.items())]


def access_lines(stack, **match):
    try:
        with open(stack.nginx.access_log) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return [l for l in json_lines(text) if all(l.get(k) == v for k, v in match.items())]


def logged(stack, request_id):
    """AuthGate's request line and nginx's access line of `request_id`
    (nginx flushes its buffered log within a second): one each."""
    assert eventually(lambda: access_lines(stack, request_id=request_id), seconds=10), request_id
    assert eventually(lambda: authgate_lines(stack, **{"request.id": request_id})), request_id
    ours = authgate_lines(stack, logger="authgate.request", **{"request.id": request_id})
    theirs = access_lines(stack, request_id=request_id)
    assert len(ours) == 1 and len(theirs) == 1, (ours, theirs)
    return ours[0], theirs[0]


def test_a_well_formed_request_id_is_kept_end_to_end(stack):
    sent = "trace-" + uuid.uuid4().hex[:12] + ".A_b-1"
    r = stack.get("/healthz", headers={"X-Request-ID": sent})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == sent
    ours, theirs = logged(stack, sent)
    assert ours["route"] == "/healthz" and ours["status"] == 200 and ours["method"] == "GET"
    assert isinstance(ours["duration_ms"], (int, float)) and ours["duration_ms"] >= 0
    # The harness runs at debug (FLASK_DEBUG): the request line is a debug line.
    assert ours["level"] == "debug" and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ours["ts"])
    assert theirs["status"] == 200 and theirs["path"] == "/healthz" and theirs["method"] == "GET"
    assert theirs["upstream_status"] == "200"
    assert float(theirs["upstream_response_time"]) >= 0 and theirs["request_time"] >= 0


@pytest.mark.parametrize("request_log", [None, "true"])
def test_nginx_access_line_is_the_request_log_unless_asked(make_stack, request_log):
    """At the default level AuthGate writes no line per request (nginx's
    access line is the request log; audit events and errors stay);
    AUTHGATE_REQUEST_LOG=true writes its own at info, with the same id."""
    env = {"FLASK_DEBUG": "0", "FLASK_SQLALCHEMY_ECHO": "0"}
    if request_log:
        env["AUTHGATE_REQUEST_LOG"] = request_log
    s = make_stack("sqlite", env=env)
    sent = "quiet-" + uuid.uuid4().hex[:12]
    assert s.get("/healthz", headers={"X-Request-ID": sent}).status_code == 200
    name = unique("quiet")
    assert register(s, name).status_code == 201
    assert eventually(lambda: access_lines(s, request_id=sent), seconds=10)
    # Lines are written within a second (buffered): wait for the audit line.
    assert eventually(lambda: authgate_lines(s, logger="authgate.audit", event="register"), seconds=10)
    ours = authgate_lines(s, logger="authgate.request", **{"request.id": sent})
    if request_log:
        assert len(ours) == 1 and ours[0]["level"] == "info"
    else:
        assert ours == [] and not authgate_lines(s, logger="authgate.request")


@pytest.mark.parametrize("sent", ["has space", "x" * 65, "slash/in/it", "quote\"d", "ümlaut", ""])
def test_a_malformed_request_id_is_replaced_by_nginx_own(stack, sent):
    r = requests.get(stack.url + "/healthz", headers={"X-Request-ID": sent.encode()}, timeout=30)
    assert r.status_code == 200
    got = r.headers["X-Request-ID"]
    assert NGINX_ID.match(got), got
    ours, theirs = logged(stack, got)
    assert ours["route"] == "/healthz" and theirs["path"] == "/healthz"


def test_every_answer_carries_a_request_id_nginx_errors_and_unknown_paths_too(stack):
    no_header = stack.get("/healthz")
    assert NGINX_ID.match(no_header.headers["X-Request-ID"])
    unknown = stack.get("/no/such/path?password=in-the-query")
    assert unknown.status_code == 404 and NGINX_ID.match(unknown.headers["X-Request-ID"])
    ours, theirs = logged(stack, unknown.headers["X-Request-ID"])
    # The client's path is not a label; the query is never logged.
    assert ours["route"] == "unmatched" and theirs["path"] == "/no/such/path"
    too_big = stack.post("/auth/login", data=b"x" * 70_000, headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413 and NGINX_ID.match(too_big.headers["X-Request-ID"])
    # nginx answered it alone: its line, and nothing from AuthGate.
    assert eventually(lambda: access_lines(stack, request_id=too_big.headers["X-Request-ID"], status=413))
    assert not authgate_lines(stack, **{"request.id": too_big.headers["X-Request-ID"]})


def audit_events(stack, request_id):
    """The audit lines of `request_id`, once its request line is written
    (AuthGate logs right after answering, so the client may be first)."""
    assert eventually(lambda: authgate_lines(stack, logger="authgate.request", **{"request.id": request_id}))
    return [(l["event"], l.get("username"), l["status"])
            for l in authgate_lines(stack, logger="authgate.audit", **{"request.id": request_id})]


def test_register_login_logout_are_audited_with_the_username(stack):
    name = unique("audit")
    password = "pw-" + uuid.uuid4().hex

    def call(method, path, **kw):
        rid = "audit-" + uuid.uuid4().hex[:16]
        r = stack.http.request(method, stack.url + path, headers={"X-Request-ID": rid, **kw.pop("headers", {})},
                               timeout=30, **kw)
        return r, rid

    r, rid = call("POST", "/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                   "password": password})
    assert r.status_code == 201 and audit_events(stack, rid) == [("register", name, 201)]
    r, rid = call("POST", "/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                   "password": password})
    assert r.status_code == 409 and audit_events(stack, rid) == [("register.refused", name, 409)]
    r, rid = call("POST", "/api/auth/login", json={"username": name, "password": "wrong-" + password})
    assert r.status_code == 400 and audit_events(stack, rid) == [("login.failure", name, 400)]
    ghost = unique("ghost")
    r, rid = call("POST", "/auth/login", json={"username": ghost, "password": password})
    assert r.status_code == 400 and audit_events(stack, rid) == [("login.failure", ghost, 400)]
    r, rid = call("POST", "/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200 and audit_events(stack, rid) == [("login.success", name, 200)]
    tokens = r.json()["tokens"]
    r, rid = call("GET", "/auth/whoami", headers=bearer(tokens["access"]))
    assert r.status_code == 200 and audit_events(stack, rid) == []
    r, rid = call("POST", "/auth/logout", headers=bearer(tokens["refresh"]))
    assert r.status_code == 200 and audit_events(stack, rid) == [("logout", name, 200)]
    audit = [l for l in json_lines(stack.responder.log_text()) if l.get("logger") == "authgate.audit"]
    assert audit and all(l["level"] == "notice" for l in audit)
    assert password not in stack.responder.log_text()


def test_throttled_logins_are_audited(make_stack):
    s = make_stack("sqlite", env={"AUTHGATE_KDF_THREADS": "1", "AUTHGATE_KDF_WAIT_SECONDS": "1"})
    user = unique("flood")
    assert register(s, user).status_code == 201

    def attempt(i):
        rid = f"flood-{i}-{uuid.uuid4().hex[:8]}"
        r = s.post("/auth/login", json={"username": user, "password": "wrong-password"}, headers={"X-Request-ID": rid})
        return r.status_code, rid

    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(attempt, range(40)))
    throttled = {rid for status, rid in answers if status == 503}
    assert throttled, [status for status, _ in answers]

    def events():
        lines = authgate_lines(s, logger="authgate.audit")
        return {l["request.id"]: (l["event"], l.get("username"), l["status"]) for l in lines
                if l["request.id"].startswith("flood-")}
    assert eventually(lambda: len(events()) == 40, seconds=15), events()
    for status, rid in answers:
        expected = ("throttled", user, 503) if status == 503 else ("login.failure", user, 400)
        assert events()[rid] == expected


def test_log_format_is_validated_and_text_is_an_option(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": "k" * 32}
    bad = subprocess.run([BINARY, "check-config"], env={**env, "AUTHGATE_LOG_FORMAT": "xml"}, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "AUTHGATE_LOG_FORMAT" in bad.stderr
    for value in ("text", "json"):
        ok = subprocess.run([BINARY, "check-config"], env={**env, "AUTHGATE_LOG_FORMAT": value}, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0, ok.stderr


# --- no secret in any log line or error body --------------------------------

def test_no_password_token_key_or_database_password_is_ever_logged_or_answered(postgres, make_stack):
    name, uri = postgres.new_database()
    db_password = "dbpw-" + uuid.uuid4().hex
    query_password = "qpw-" + uuid.uuid4().hex
    jwt_key = "jwtkey-" + uuid.uuid4().hex
    # libpq reads both passwords (the query's wins); the trust cluster ignores them.
    secret_uri = uri.replace("postgresql://postgres@", f"postgresql://postgres:{db_password}@") \
        + f"?password={query_password}&application_name=authgate"
    s = make_stack("postgres", database_uri=secret_uri,
                   env={"FLASK_DEBUG": "1", "FLASK_SQLALCHEMY_ECHO": "1", "FLASK_JWT_SECRET_KEY": jwt_key})
    user = unique("secret")
    passwords = {k: f"{k}-{uuid.uuid4().hex}" for k in ("good", "wrong", "ghost", "short", "query", "broken")}
    bad_tokens = [forge(user, key="not-the-key-" + uuid.uuid4().hex), "garbage-" + uuid.uuid4().hex,
                  forge(user, key=jwt_key)[:-6] + "AAAAAA"]
    bodies = []

    def call(method, path, **kw):
        r = s.http.request(method, s.url + path, timeout=30, **kw)
        bodies.append(r.text + json.dumps(dict(r.headers)))
        return r

    def post_json(path, payload, **kw):
        return call("POST", path, json=payload, **kw)

    assert post_json("/auth/register", {"username": user, "email": f"{user}@example.com",
                                        "password": passwords["good"]}).status_code == 201
    assert post_json("/auth/register", {"username": unique(), "email": f"{unique()}@example.com",
                                        "password": passwords["short"][:3]}).status_code == 400
    tokens = post_json("/auth/login", {"username": user, "password": passwords["good"]}).json()["tokens"]
    assert post_json("/api/auth/login", {"username": user, "password": passwords["wrong"]}).status_code == 400
    assert post_json("/auth/login", {"username": unique(), "password": passwords["ghost"]}).status_code == 400
    assert call("POST", "/auth/login?password=" + passwords["query"],
                json={"username": user, "password": passwords["good"]}).status_code == 200
    assert call("POST", "/auth/login", data='{"username": "%s", "password": "%s"' % (user, passwords["broken"]),
                headers={"Content-Type": "application/json"}).status_code == 400
    refreshed = call("POST", "/auth/refresh", headers=bearer(tokens["refresh"])).json()["access_token"]
    assert call("GET", "/auth/whoami", headers=bearer(tokens["access"])).status_code == 200
    assert call("GET", "/api/users/all", headers=bearer(refreshed)).status_code == 200
    for bad in bad_tokens:
        assert call("GET", "/auth/whoami", headers=bearer(bad)).status_code in (401, 422)
        assert call("POST", "/auth/refresh", headers=bearer(bad)).status_code in (401, 422)
    assert call("POST", "/auth/logout", headers=bearer(tokens["access"])).status_code == 200
    assert call("POST", "/auth/logout", headers=bearer(tokens["refresh"])).status_code == 200
    assert call("POST", "/auth/refresh", headers=bearer(tokens["refresh"])).status_code == 401
    assert call("GET", "/auth/whoami", headers=bearer(tokens["access"])).status_code == 401
    last = call("GET", "/healthz")
    assert eventually(lambda: access_lines(s, request_id=last.headers["X-Request-ID"]), seconds=10)

    authgate_log = s.responder.log_text()
    nginx_logs = ""
    for entry in os.listdir(s.nginx.dir):
        if entry.endswith(".log"):
            with open(os.path.join(s.nginx.dir, entry), errors="replace") as f:
                nginx_logs += f.read()
    # One known exception, documented in docs/observability.md: a KDF
    # thread closes the kept connection after its answer, and when nginx
    # had just written the next request to it, nginx resends that request
    # and logs the resend in its error log with the request line as sent,
    # query included. Only that line is set aside; every other line of
    # every nginx log is checked.
    resent = re.compile(r"^.*\[error\].* upstream prematurely closed connection while reading response header "
                        r"from upstream, .*$", re.M)
    nginx_logs = resent.sub("", nginx_logs)
    # The settings were really on, and the URI with its passwords was used.
    lines = json_lines(authgate_log)
    assert any(l["level"] == "debug" for l in lines), "FLASK_DEBUG logs at debug"
    assert any(l["msg"] == "sql" for l in lines), "FLASK_SQLALCHEMY_ECHO logs statements"
    serving = [l for l in lines if l["msg"] == "authgate serving"]
    assert serving and serving[0]["database"].startswith("postgresql://***@") and serving[0]["database"].endswith("?***")
    assert len(access_lines(s)) >= 20 and "password" not in nginx_logs

    secrets = {"database password": db_password, "query password": query_password, "JWT key": jwt_key,
               **{f"password {k}": v for k, v in passwords.items()},
               **{f"token {k}": v for k, v in tokens.items()}, "refreshed token": refreshed,
               **{f"bad token {i}": t for i, t in enumerate(bad_tokens)}}
    # A token's signature alone is as good as the token for a forger.
    for label, token in list(secrets.items()):
        if label.startswith(("token", "refreshed", "bad token")) and token.count(".") == 2:
            secrets[label + " signature"] = token.rsplit(".", 1)[1]
    matcher = Matcher({secret: label for label, secret in secrets.items()})
    assert matcher.size == len(secrets), "every secret is long enough to be looked for"
    assert not matcher.lines(authgate_log), "in AuthGate's log"
    assert not matcher.lines(nginx_logs), "in nginx's logs"
    # Login and refresh answers carry the tokens they issue; nothing else does.
    in_bodies = {label for body in bodies for _, label in matcher.find(body)}
    assert not {label for label in in_bodies if not label.startswith(("token", "refreshed"))}, in_bodies
