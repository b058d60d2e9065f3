"""Forward auth through real nginx (contract v1.2, docs/forward-auth.md):
protected locations as deploy/forward-auth/ builds them, in front of an
upstream that reports the headers it received, on SQLite and PostgreSQL."""
import json
import os
import re
import shutil
import time
import urllib.parse

import pytest
import requests

from conftest import unique
from forward_auth_stack import RECIPE, ForwardAuthStack, received, user
from harness import ROOT, Nginx, Responder, free_port, private_socket_dir, run_sql
from helpers import bearer, decode, eventually, forge

COOKIE = "ag_token"
MISSING = {"message": "Request doesn't contain valid token", "error": "authorization_header"}
INVALID = {"message": "Signature verification failed", "error": "invalid_token"}
EXPIRED = {"message": "Token has expired", "error": "token_expired"}
ACCESS_ONLY = {"message": "Only access tokens are allowed", "error": "wrong_token_type"}
REVOKED = {"message": "Token has been revoked", "error": "token_revoked"}
USER_NOT_FOUND = {"message": "User not found", "error": "user_not_found"}
FRESH = {"message": "Fresh token required", "error": "fresh_token_required"}
IDENTITY = ("x-auth-user", "x-auth-user-id")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fa(request):
    """The recipe with the cookie source on (it changes nothing for
    requests without the cookie)."""
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = ForwardAuthStack(request.param, postgres=pg, env={"AUTHGATE_VERIFY_COOKIE": COOKIE})
    yield s
    s.stop()


def identity(headers):
    """Every received header that reads as an identity header to a CGI-style
    application (underscores count as dashes)."""
    return sorted((k, v) for k, v in headers if k.replace("_", "-") in IDENTITY)


def assert_refused(s, r, body, before):
    assert r.status_code == 401, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers.get("WWW-Authenticate") == "Bearer"
    assert r.json() == body
    assert "X-Auth-Error" not in r.headers and "X-Auth-User" not in r.headers
    assert s.upstream.count == before, "the upstream was reached"


def test_a_valid_token_reaches_the_upstream_with_its_identity(fa):
    name, uid, tokens = user(fa)
    r = fa.get("/app/page?x=1", headers=bearer(tokens["access"]))
    assert r.json()["path"] == "/app/page?x=1"
    assert identity(received(r)) == [("x-auth-user", name), ("x-auth-user-id", uid)]
    # HEAD too, and the other prefix of the route (directly, as any client may).
    assert fa.request("HEAD", "/app/page", headers=bearer(tokens["access"])).status_code == 200
    direct = fa.get("/api/auth/verify", headers=bearer(tokens["access"]))
    assert direct.status_code == 200 and direct.content == b"" and direct.headers["X-Auth-User"] == name


@pytest.mark.parametrize("case", ["missing", "other scheme", "malformed", "forged", "expired", "refresh"])
def test_refusals_are_authgates_own_401_json(fa, case):
    name, _, tokens = user(fa)
    now = int(time.time())
    headers, body = {
        "missing": ({}, MISSING),
        "other scheme": ({"Authorization": "Basic dXNlcjpwYXNz"}, MISSING),
        "malformed": (bearer("not.a.token"), INVALID),
        "forged": (bearer(forge(name, key="another-secret")), INVALID),
        "expired": (bearer(forge(name, iat=now - 1000, nbf=now - 1000, exp=now - 10)), EXPIRED),
        "refresh": (bearer(tokens["refresh"]), ACCESS_ONLY),
    }[case]
    before = fa.upstream.count
    for method in ("GET", "POST", "DELETE"):
        assert_refused(fa, fa.request(method, "/app/x", headers=headers), body, before)
    head = fa.request("HEAD", "/app/x", headers=headers)
    assert head.status_code == 401 and head.headers["WWW-Authenticate"] == "Bearer" and head.content == b""


def test_logout_takes_effect_on_the_next_request(fa):
    _, _, tokens = user(fa)
    auth = bearer(tokens["access"])
    assert fa.get("/app/", headers=auth).status_code == 200
    assert fa.post("/auth/logout", headers=auth).status_code == 200
    before = fa.upstream.count
    assert_refused(fa, fa.get("/app/", headers=auth), REVOKED, before)


def test_a_deleted_user_is_refused(fa):
    name, _, tokens = user(fa)
    auth = bearer(tokens["access"])
    assert fa.get("/app/", headers=auth).status_code == 200
    run_sql(fa, "DELETE FROM users WHERE username = ?", (name,))
    # PostgreSQL: the read cache hears of a row deleted behind its back by NOTIFY.
    assert eventually(lambda: fa.get("/app/", headers=auth).status_code == 401)
    assert_refused(fa, fa.get("/app/", headers=auth), USER_NOT_FOUND, fa.upstream.count)


def test_fresh_requires_a_token_from_a_login(fa):
    name, _, tokens = user(fa)
    refreshed = fa.post("/auth/refresh", headers=bearer(tokens["refresh"])).json()["access_token"]
    assert decode(tokens["access"])["fresh"] is True and decode(refreshed)["fresh"] is False
    assert identity(received(fa.get("/fresh/", headers=bearer(tokens["access"]))))[0] == ("x-auth-user", name)
    assert_refused(fa, fa.get("/fresh/", headers=bearer(refreshed)), FRESH, fa.upstream.count)
    # The same token is good where freshness is not asked for.
    assert fa.get("/app/", headers=bearer(refreshed)).status_code == 200
    # Token errors come first.
    assert_refused(fa, fa.get("/fresh/", headers=bearer(tokens["refresh"])), ACCESS_ONLY, fa.upstream.count)


def test_max_age_refuses_older_tokens_the_same_way(fa):
    name, _, _ = user(fa)
    now = int(time.time())
    old = forge(name, fresh=True, iat=now - 120, nbf=now - 120, exp=now + 600)
    recent = forge(name, fresh=False, iat=now - 5, nbf=now - 5, exp=now + 600)
    assert_refused(fa, fa.get("/recent/", headers=bearer(old)), FRESH, fa.upstream.count)
    assert fa.get("/recent/", headers=bearer(recent)).status_code == 200
    assert fa.get("/app/", headers=bearer(old)).status_code == 200
    # Both requirements: each must hold.
    assert_refused(fa, fa.get("/fresh-recent/", headers=bearer(recent)), FRESH, fa.upstream.count)
    assert_refused(fa, fa.get("/fresh-recent/", headers=bearer(old)), FRESH, fa.upstream.count)
    fresh_recent = forge(name, fresh=True, iat=now - 5, nbf=now - 5, exp=now + 600)
    assert fa.get("/fresh-recent/", headers=bearer(fresh_recent)).status_code == 200


def test_a_bad_requirement_in_the_location_is_a_json_500(fa):
    _, _, tokens = user(fa)
    before = fa.upstream.count
    for headers in ({}, bearer(tokens["access"])):
        r = fa.get("/misconfigured/", headers=headers)
        assert r.status_code == 500 and r.json() == {"error": "Internal server error"}
    assert fa.upstream.count == before
    # AuthGate's answer names the parameter (nginx logs the status).
    r = fa.get("/auth/verify?max_age=soon", headers=bearer(tokens["access"]))
    assert r.status_code == 400 and "max_age" in r.json()["error"]


def test_a_clients_query_never_sets_requirements(fa):
    _, _, tokens = user(fa)
    r = fa.get("/app/?fresh=bogus&max_age=-1", headers=bearer(tokens["access"]))
    assert r.status_code == 200 and r.json()["path"] == "/app/?fresh=bogus&max_age=-1"


SPOOFS = [("X-Auth-User", "admin"), ("x-auth-user", "root"), ("X-AUTH-USER-ID", "1"), ("x-Auth-User-Id", "2"),
          ("X_Auth_User", "under"), ("X-Auth_User", "mixed"), ("X_Auth_User_Id", "3"), ("X-Auth-User_Id", "4"),
          ("X-Auth-User", ""), ("Remote-User", "admin"), ("X-Forwarded-User", "admin"), ("X-Auth-Error", "x")]


def test_identity_headers_sent_by_the_client_never_reach_the_upstream(fa):
    name, uid, tokens = user(fa)
    headers = [("Authorization", f"Bearer {tokens['access']}")] + SPOOFS
    status, _, body = fa.raw("GET", "/app/spoof", headers)
    assert status == 200
    got = [(k.lower(), v) for k, v in json.loads(body)["headers"]]
    assert identity(got) == [("x-auth-user", name), ("x-auth-user-id", uid)]
    names = {k for k, _ in got}
    assert not names & {"remote-user", "x-forwarded-user", "x-auth-error"}, got
    # Without a token nothing reaches it at all, spoofed headers or not.
    before = fa.upstream.count
    status, _, _ = fa.raw("GET", "/app/spoof", SPOOFS)
    assert status == 401 and fa.upstream.count == before


def test_a_username_a_header_cannot_hold_is_percent_encoded(fa):
    name = "J\u00f6rg\u2603" + unique("")  # registration allows it
    _, uid, tokens = user(fa, name)
    got = dict(identity(received(fa.get("/app/", headers=bearer(tokens["access"])))))
    assert got["x-auth-user"] == urllib.parse.quote(name, safe="!#$&'()*+/:<=>?@[]^`{|}~")
    assert urllib.parse.unquote(got["x-auth-user"]) == name and got["x-auth-user-id"] == uid


def test_list_and_quoting_syntax_in_a_username_is_percent_encoded(fa):
    """`,` `"` `;` and `\\` are what list-splitting and quoted-string header
    parsers read as syntax, `+` a space to form decoders: a name holding them reaches the application as
    one opaque token; a plain name passes as it is."""
    suffix = unique("")
    name = 'a,b"c;d\\e+f' + suffix
    _, _, tokens = user(fa, name)
    got = dict(identity(received(fa.get("/app/", headers=bearer(tokens["access"])))))
    assert got["x-auth-user"] == "a%2Cb%22c%3Bd%5Ce%2Bf" + suffix
    assert not set(got["x-auth-user"]) & set(',";\\+')
    assert urllib.parse.unquote(got["x-auth-user"]) == name
    plain = "alice" + suffix
    _, _, tokens = user(fa, plain)
    assert dict(identity(received(fa.get("/app/", headers=bearer(tokens["access"])))))["x-auth-user"] == plain


def test_the_internal_locations_are_not_reachable_from_outside(fa):
    _, _, tokens = user(fa)
    for path in ("/_authgate/verify", "/_authgate/verify/fresh=1", "/_authgate/forward-auth/401",
                 "/_authgate/forward-auth/500"):
        r = fa.get(path, headers=bearer(tokens["access"]))
        assert r.status_code == 404 and r.json() == {"error": "Not found"}, path


def test_the_cookie_serves_get_and_head_only(fa):
    name, uid, tokens = user(fa)
    cookie = {"Cookie": f"theme=dark; {COOKIE}={tokens['access']}"}
    assert identity(received(fa.get("/app/", headers=cookie))) == [("x-auth-user", name), ("x-auth-user-id", uid)]
    assert fa.request("HEAD", "/app/", headers=cookie).status_code == 200
    # A state-changing request must carry the header: a cookie rides along cross-site.
    before = fa.upstream.count
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert_refused(fa, fa.request(method, "/app/", headers=cookie, data=b"x" * 1000), MISSING, before)
    r = fa.post("/app/", headers={**cookie, **bearer(tokens["access"])}, data=b"x" * 10000)
    assert r.status_code == 200 and r.json()["body_len"] == 10000 and r.json()["method"] == "POST"
    # The header wins when present, even a wrong one.
    assert_refused(fa, fa.get("/app/", headers={**cookie, "Authorization": "Basic eDp5"}), MISSING, fa.upstream.count)
    # Every token rule applies to it.
    assert_refused(fa, fa.get("/app/", headers={"Cookie": f"{COOKIE}={tokens['refresh']}"}), ACCESS_ONLY,
                   fa.upstream.count)
    assert_refused(fa, fa.get("/fresh/", headers={"Cookie": f"{COOKIE}=" + fa.post(
        "/auth/refresh", headers=bearer(tokens["refresh"])).json()["access_token"]}), FRESH, fa.upstream.count)
    assert fa.post("/auth/logout", headers=bearer(tokens["access"])).status_code == 200
    assert_refused(fa, fa.get("/app/", headers=cookie), REVOKED, fa.upstream.count)


def test_the_cookie_is_off_by_default_and_an_outage_is_a_json_503():
    s = ForwardAuthStack("sqlite")
    try:
        name, uid, tokens = user(s)
        before = s.upstream.count
        assert_refused(s, s.get("/app/", headers={"Cookie": f"{COOKIE}={tokens['access']}"}), MISSING, before)
        assert identity(received(s.get("/app/", headers=bearer(tokens["access"])))) == [
            ("x-auth-user", name), ("x-auth-user-id", uid)]
        # AuthGate out of reach: the outage it would answer itself, as JSON.
        s.responder.stop()
        r = s.get("/app/", headers=bearer(tokens["access"]))
        assert r.status_code == 503 and r.json() == {"error": "Service unavailable"}
    finally:
        s.stop()


def test_nginx_logs_no_warning_about_the_recipe(fa):
    # Every variable the recipe reads is set before it is read (no
    # "using uninitialized variable" line per request).
    _, _, tokens = user(fa)
    for headers in ({}, bearer(tokens["access"])):
        for path in ("/app/", "/fresh/", "/recent/"):
            fa.get(path, headers=headers)
    with open(f"{fa.nginx.dir}/error.log") as f:
        lines = [l for l in f if "[warn]" in l or "[error]" in l]
    # Set aside: the location with a bad requirement (its expected line),
    # and nginx's resend of a request on a kept connection that a KDF
    # thread closed after a login or register (test_request_logs.py).
    lines = [l for l in lines if "auth request unexpected status: 400" not in l
             and "upstream prematurely closed connection while reading response header from upstream" not in l]
    assert lines == [], "".join(lines)


def compose_nginx_conf(local):
    """deploy/compose/nginx.conf for this host: the addresses and paths its
    `compose:` lines give for the container, here; everything else as
    shipped, the demo included. `local` is the harness's edit of the
    top-level nginx.conf, whose ports (main, then metrics) it reuses."""
    main_port, metrics_port = re.findall(r"listen 127\.0\.0\.1:(\d+);", local)[:2]
    upstream = re.search(r"upstream authgate \{\n\s*(server [^;]+;)", local).group(1)
    demo_port = free_port()  # chosen again whenever the harness starts nginx again
    text = open(os.path.join(ROOT, "deploy", "compose", "nginx.conf")).read()
    for old, new in {"pid /tmp/nginx.pid;": "pid nginx.pid;", "error_log stderr warn;": "error_log error.log warn;",
                     "/tmp/": "", "access_log /dev/stdout": "access_log access.log",
                     "listen 8080;": f"listen 127.0.0.1:{main_port};",
                     "listen 127.0.0.1:9145;": f"listen 127.0.0.1:{metrics_port};",
                     "127.0.0.1:8081": f"127.0.0.1:{demo_port}",
                     "server unix:/run/authgate/authgate.sock;": upstream,
                     "/etc/nginx/authgate/": RECIPE + "/"}.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_the_compose_demo_lets_only_authgates_users_in():
    parent, folder = private_socket_dir()
    responder = nginx = None
    try:
        responder = Responder(env={"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                              unix_socket=os.path.join(folder, "authgate.sock"))
        nginx = Nginx([responder.address], edit=compose_nginx_conf)
        url = nginx.url
        name = unique("demo")
        assert requests.post(url + "/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                          "password": "123456"}, timeout=30).status_code == 201
        tokens = requests.post(url + "/auth/login", json={"username": name, "password": "123456"}, timeout=30).json()["tokens"]
        uid = requests.get(url + "/auth/whoami", headers=bearer(tokens["access"]), timeout=30).json()["user_details"]["id"]
        r = requests.get(url + "/demo/", headers={**bearer(tokens["access"]), "X-Auth-User": "admin"}, timeout=30)
        assert r.status_code == 200 and r.text == f"Hello {name} (id {uid}): AuthGate let you in.\n"
        r = requests.get(url + "/demo/", headers={"X-Auth-User": "admin"}, timeout=30)
        assert r.status_code == 401 and r.json() == MISSING and r.headers["WWW-Authenticate"] == "Bearer"
    finally:
        if nginx:
            nginx.stop()
        if responder:
            responder.stop()
        shutil.rmtree(parent, ignore_errors=True)
