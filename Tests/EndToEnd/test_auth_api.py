"""Every route of the contract through nginx, on SQLite and PostgreSQL."""
import concurrent.futures
import time

import pytest

from conftest import BACKENDS, unique
from harness import run_sql
from helpers import JSON, bearer, decode, forge, login, register

PREFIXES = ["/auth", "/api/auth"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_register_login_whoami_refresh_logout(stack, prefix):
    name = unique()
    r = register(stack, name, prefix=prefix)
    assert (r.status_code, r.json()) == (201, {"message": "User created"})

    r = stack.post(prefix + "/login", json={"username": name, "password": "123456"})
    assert r.status_code == 200
    body = r.json()
    assert body["message"] == "Logged in"
    access, refresh = body["tokens"]["access"], body["tokens"]["refresh"]
    claims = decode(access)
    assert claims["sub"] == name and claims["type"] == "access" and claims["fresh"] is True
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"]
    assert set(claims) == {"sub", "type", "fresh", "jti", "iat", "nbf", "exp"}
    rclaims = decode(refresh)
    assert rclaims["type"] == "refresh" and rclaims["exp"] - rclaims["iat"] == 2592000

    r = stack.get(prefix + "/whoami", headers=bearer(access))
    assert r.status_code == 200
    details = r.json()["user_details"]
    assert r.json()["message"] == "message"
    assert details["username"] == name and details["email"] == f"{name}@example.com"
    assert set(details) == {"id", "username", "email"}

    for method in ("get", "post"):
        r = getattr(stack, method)(prefix + "/refresh", headers=bearer(refresh))
        assert r.status_code == 200
        new = decode(r.json()["access_token"])
        assert new["type"] == "access" and new["fresh"] is False and new["sub"] == name

    r = stack.post(prefix + "/logout", headers=bearer(access))
    assert (r.status_code, r.json()) == (200, {"message": "access token revoked successfully"})
    r = stack.get(prefix + "/logout", headers=bearer(refresh))
    assert (r.status_code, r.json()) == (200, {"message": "refresh token revoked successfully"})
    r = stack.get(prefix + "/whoami", headers=bearer(access))
    assert r.status_code == 401
    assert r.json() == {"message": "Token has been revoked", "error": "token_revoked"}
    assert stack.get(prefix + "/refresh", headers=bearer(refresh)).json()["error"] == "token_revoked"


def test_user_objects_never_carry_the_password(stack):
    name = unique()
    register(stack, name)
    tokens = login(stack, name)
    for path in ("/auth/whoami", "/api/users/all?per_page=100"):
        text = stack.get(path, headers=bearer(tokens["access"])).text
        assert "password" not in text and "scrypt" not in text


def test_duplicate_username_is_409(stack):
    name = unique()
    assert register(stack, name).status_code == 201
    r = register(stack, name, email=unique() + "@x.io")
    assert (r.status_code, r.json()) == (409, {"error": "User already exists"})


def test_duplicate_email_ignoring_ascii_case_is_409(stack):
    name = unique()
    assert register(stack, name, email=f"{name}@Example.COM").status_code == 201
    r = register(stack, unique(), email=f"{name.upper()}@example.com")
    assert (r.status_code, r.json()) == (409, {"error": "Email already registered"})


def test_email_case_folding_is_ascii_only(stack):
    base = unique()
    assert register(stack, unique(), email=f"{base}É@x.io").status_code == 201
    assert register(stack, unique(), email=f"{base}é@x.io").status_code == 201


def test_username_and_email_both_taken_answers_username(stack):
    name = unique()
    register(stack, name)
    r = register(stack, name, email=f"{name}@example.com")
    assert r.json() == {"error": "User already exists"}


def test_usernames_are_bytes_not_canonical_equivalents(stack):
    base = unique()
    nfc, nfd = base + "\u00e9", base + "e\u0301"
    assert register(stack, nfc).status_code == 201
    assert register(stack, nfd, email=unique() + "@x.io").status_code == 201
    assert decode(login(stack, nfd)["access"])["sub"] == nfd
    assert decode(login(stack, nfc)["access"])["sub"] == nfc


def test_usernames_are_case_sensitive(stack):
    name = unique("case")
    assert register(stack, name).status_code == 201
    assert register(stack, name.upper(), email=unique() + "@x.io").status_code == 201


@pytest.mark.parametrize("field,value", [
    ("username", None), ("username", 5), ("username", ""), ("username", "a b"), ("username", "a\u00a0b"),
    ("username", "a\u2003b"), ("username", "a\u0085b"), ("username", "a\tb"), ("username", "a\u0000b"),
    ("username", "x" * 81), ("username", ["a"]), ("username", "\ud800"),
    ("email", None), ("email", "no-at"), ("email", "a@b@c"), ("email", "@x.io"), ("email", "a@"),
    ("email", "a b@x.io"), ("email", "a@x.io\n"), ("email", "a" * 250 + "@x.io"), ("email", True),
    ("email", "\udc00@x.io"),
    ("password", None), ("password", "12345"), ("password", "é" * 513), ("password", 123456),
    ("password", "\ud800\ud800\ud800\ud800\ud800\ud800"),
])
def test_register_validation_names_the_field(stack, field, value):
    body = {"username": unique(), "email": unique() + "@x.io", "password": "123456"}
    body[field] = value
    r = stack.post("/auth/register", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]


def test_register_missing_field_names_it(stack):
    r = stack.post("/auth/register", json={"username": unique(), "password": "123456"})
    assert r.status_code == 400 and "email" in r.json()["error"]


def test_register_boundaries_pass(stack):
    name = "é" * 80  # 80 characters, 160 bytes
    r = stack.post("/auth/register", json={"username": name + unique()[:0], "email": "b" * 240 + "@" + unique()[:13],
                                           "password": "é" * 512})
    assert r.status_code in (201, 409), r.text
    assert register(stack, unique(), password="123456").status_code == 201


def test_sql_looking_strings_are_stored_literally(stack):
    name = unique("x');DROP/**/TABLE/**/users;--")
    assert register(stack, name, email=f"{unique()}'--@x.io").status_code == 201
    tokens = login(stack, name)
    assert stack.get("/auth/whoami", headers=bearer(tokens["access"])).json()["user_details"]["username"] == name
    assert stack.get("/healthz").status_code == 200


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'["username"]', b"null", b"42", b'"str"', b"\xff\xfe{}", b'{"username": "\xff"}',
    b"\xef\xbb\xbf{}", b"[" * 60000, b'{"a":' * 5000, b'{"username": "a"', b"{}",
], ids=lambda b: repr(b[:12]))
def test_garbage_bodies_are_400_and_server_keeps_answering(stack, body):
    for path in ("/auth/register", "/auth/login"):
        r = stack.post(path, data=body, headers=JSON)
        assert r.status_code == 400, (path, body[:20], r.status_code, r.text[:100])
        assert "error" in r.json()
    assert stack.get("/healthz").status_code == 200


def test_non_json_media_type_is_415(stack):
    r = stack.post("/auth/login", data=b'{"username":"a","password":"b"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "error" in r.json()
    r = stack.post("/auth/login", data=b'{"username":"a","password":"b"}')  # no Content-Type at all
    assert r.status_code == 415


def test_media_type_is_case_insensitive_and_ignores_charset(stack):
    r = stack.post("/auth/login", data=b'{"username":"nobody","password":"b"}',
                   headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert r.status_code == 400 and r.json() == {"error": "Invalid username or password"}


def test_refresh_and_logout_ignore_their_json_body_but_not_its_media_type(stack):
    name = unique()
    register(stack, name)
    refresh = login(stack, name)["refresh"]
    r = stack.post("/auth/refresh", data=b"not json at all", headers={**bearer(refresh), **JSON})
    assert r.status_code == 200
    r = stack.post("/auth/refresh", data=b"x", headers={**bearer(refresh), "Content-Type": "text/plain"})
    assert r.status_code == 415


def test_login_failures_are_indistinguishable(stack):
    name = unique()
    register(stack, name)
    wrong = stack.post("/auth/login", json={"username": name, "password": "wrong-password"})
    unknown = stack.post("/auth/login", json={"username": unique(), "password": "wrong-password"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"error": "Invalid username or password"}


def test_unknown_user_login_costs_a_full_hash(stack):
    name = unique()
    register(stack, name)
    def timed(user):
        start = time.perf_counter()
        stack.post("/auth/login", json={"username": user, "password": "wrong-password"})
        return time.perf_counter() - start
    # Interleaved, so both see the same load on a busy machine; medians of 7.
    pairs = [(timed(name), timed(unique())) for _ in range(7)]
    known = sorted(k for k, _ in pairs)[3]
    unknown = sorted(u for _, u in pairs)[3]
    # Both pay one scrypt (tens of ms); an early return would be ~1 ms.
    assert unknown > known * 0.5, (known, unknown)


@pytest.mark.parametrize("body,field", [
    ({"password": "x"}, "username"), ({"username": None, "password": "x"}, "username"),
    ({"username": 1, "password": "x"}, "username"), ({"username": "a"}, "password"),
    ({"username": "a", "password": ["x"]}, "password"),
])
def test_login_field_errors_name_the_field(stack, body, field):
    r = stack.post("/auth/login", json=body)
    assert r.status_code == 400 and field in r.json()["error"]


def test_login_with_nul_in_username_matches_nobody(stack):
    name = unique()
    register(stack, name)
    r = stack.post("/auth/login", json={"username": name + "\u0000tail", "password": "123456"})
    assert r.status_code == 400 and r.json() == {"error": "Invalid username or password"}


def test_concurrent_registrations_of_one_username(stack):
    name = unique("race")
    def attempt(i):
        return register(stack, name, email=f"{name}{i}@x.io").status_code
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 49, statuses
    assert run_sql(stack, "SELECT count(*) FROM users WHERE username = ?", (name,)) == [(1,)]


def test_concurrent_registrations_of_one_email(stack):
    email = unique("mail") + "@x.io"
    def attempt(i):
        return register(stack, unique(), email=email.upper() if i % 2 else email).json()
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(attempt, range(20)))
    assert answers.count({"message": "User created"}) == 1
    assert answers.count({"error": "Email already registered"}) == 19
