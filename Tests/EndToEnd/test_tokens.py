"""Every token error of the contract, with forged tokens, on every
protected route."""
import base64
import json
import time

import pytest

from conftest import unique
from harness import run_sql
from helpers import bearer, claims_for, eventually, forge, login, register, sign_raw

INVALID = {"message": "Signature verification failed", "error": "invalid_token"}
MISSING = {"message": "Request doesn't contain valid token", "error": "authorization_header"}
EXPIRED = {"message": "Token has expired", "error": "token_expired"}

ACCESS_ROUTES = [("get", "/auth/whoami"), ("get", "/api/auth/whoami"), ("get", "/api/users/all")]
REFRESH_ROUTES = [("get", "/auth/refresh"), ("post", "/api/auth/refresh")]
ANY_ROUTES = [("get", "/auth/logout"), ("post", "/api/auth/logout")]
ALL_ROUTES = ACCESS_ROUTES + REFRESH_ROUTES + ANY_ROUTES


@pytest.fixture(scope="module")
def user(stack):
    name = unique("tok")
    assert register(stack, name).status_code == 201
    return name


def call(stack, route, headers):
    method, path = route
    return getattr(stack, method)(path, headers=headers)


def expect_401(r, body):
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json() == body


def kind_for(route):
    return "refresh" if route in REFRESH_ROUTES else "access"


@pytest.mark.parametrize("route", ALL_ROUTES)
@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Token abc", "Bearerabc"])
def test_missing_or_foreign_scheme(stack, route, header):
    headers = {} if header is None else {"Authorization": header}
    expect_401(call(stack, route, headers), MISSING)


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_scheme_name_is_case_insensitive(stack, user, route):
    token = forge(user, kind_for(route))
    r = call(stack, route, {"Authorization": "bEaReR " + token})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("route", ALL_ROUTES)
@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer not.a.token", "Bearer x"])
def test_empty_extra_or_malformed_token(stack, route, header):
    expect_401(call(stack, route, {"Authorization": header}), INVALID)


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_forgeries_are_invalid_token(stack, user, route):
    kind = kind_for(route)
    now = int(time.time())
    good = forge(user, kind)
    head, payload, sig = good.split(".")
    forgeries = {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS512 on an HS256 server": forge(user, kind, algorithm="HS512"),
        "HS384 on an HS256 server": forge(user, kind, algorithm="HS384"),
        "wrong key": forge(user, kind, key="another-secret-entirely"),
        "bad signature": f"{head}.{payload}.{sig[:10]}{'B' if sig[10] == 'A' else 'A'}{sig[11:]}",
        "payload swapped": f"{head}.{b64({'sub': user, 'type': kind, 'exp': now + 900})}.{sig}",
        "nbf in the future": forge(user, kind, nbf=now + 120),
        "iat in the future": forge(user, kind, iat=now + 120),
        "exp missing": sign_raw(claims_for(user, kind, exp=None)),
        "exp not a number": sign_raw(claims_for(user, kind, exp="tomorrow")),
        "exp a boolean": sign_raw(claims_for(user, kind, exp=True)),
        "iat not a number": sign_raw(claims_for(user, kind, iat="now")),
        "nbf not a number": sign_raw(claims_for(user, kind, nbf=[1])),
        "sub missing": sign_raw(claims_for(user, kind, sub=None)),
        "sub not a string": sign_raw(claims_for(user, kind, sub=12345)),
        "type unknown": sign_raw(claims_for(user, kind, type="id")),
        "type missing": sign_raw(claims_for(user, kind, type=None)),
        "payload not an object": sign_raw([user]),
        "alg lower-case": sign_raw(claims_for(user, kind), header={"alg": "hs256", "typ": "JWT"}),
        "forged and expired": forge(user, kind, key="another-secret-entirely", exp=now - 10),
    }
    for name, token in forgeries.items():
        r = call(stack, route, bearer(token))
        assert r.status_code == 401, name
        assert r.json() == INVALID, (name, r.json())
        assert r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_expired(stack, user, route):
    now = int(time.time())
    token = forge(user, kind_for(route), iat=now - 1000, nbf=now - 1000, exp=now - 5)
    expect_401(call(stack, route, bearer(token)), EXPIRED)


@pytest.mark.parametrize("route", ACCESS_ROUTES)
def test_refresh_token_where_access_needed(stack, user, route):
    expect_401(call(stack, route, bearer(forge(user, "refresh"))),
               {"message": "Only access tokens are allowed", "error": "wrong_token_type"})


@pytest.mark.parametrize("route", REFRESH_ROUTES)
def test_access_token_where_refresh_needed(stack, user, route):
    expect_401(call(stack, route, bearer(forge(user, "access"))),
               {"message": "Only refresh tokens are allowed", "error": "wrong_token_type"})


def test_revoked_refresh_token(stack, user):
    tokens = login(stack, user)
    assert stack.post("/auth/logout", headers=bearer(tokens["refresh"])).status_code == 200
    for route in REFRESH_ROUTES + ANY_ROUTES:
        expect_401(call(stack, route, bearer(tokens["refresh"])),
                   {"message": "Token has been revoked", "error": "token_revoked"})
    # The access token of the same login is still good.
    assert stack.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_unknown_user(stack, route):
    expect_401(call(stack, route, bearer(forge(unique("ghost"), kind_for(route)))),
               {"message": "User not found", "error": "user_not_found"})


def test_deleted_user(stack):
    name = unique("gone")
    register(stack, name)
    tokens = login(stack, name)
    run_sql(stack, "DELETE FROM users WHERE username = ?", (name,))
    # On PostgreSQL the read cache learns of a change made behind AuthGate's
    # back by NOTIFY, a moment later: await it, then every route must agree.
    assert eventually(lambda: call(stack, ACCESS_ROUTES[0], bearer(tokens["access"])).status_code == 401)
    for route, token in (*((r, tokens["access"]) for r in ACCESS_ROUTES), (REFRESH_ROUTES[0], tokens["refresh"])):
        expect_401(call(stack, route, bearer(token)), {"message": "User not found", "error": "user_not_found"})


def test_order_signature_before_expiry_before_type(stack, user):
    now = int(time.time())
    # Expired refresh token on an access route: expiry is checked before type.
    token = forge(user, "refresh", exp=now - 5)
    expect_401(stack.get("/auth/whoami", headers=bearer(token)), EXPIRED)
    # Wrong type is checked before revocation and user.
    token = forge(unique("ghost"), "refresh")
    assert stack.get("/auth/whoami", headers=bearer(token)).json()["error"] == "wrong_token_type"


def test_extra_claims_like_csrf_are_accepted(stack, user):
    token = forge(user, "access", csrf="abc", aud_extra={"x": 1})
    assert stack.get("/auth/whoami", headers=bearer(token)).status_code == 200


def test_token_check_comes_before_query_validation(stack):
    r = stack.get("/api/users/all?page=abc")
    assert r.status_code == 401 and r.json() == MISSING
