"""Refresh-token rotation with reuse detection (AUTHGATE_REFRESH_ROTATION),
through nginx on SQLite and PostgreSQL: off by default (refresh answers an
access token only, as Flask-JWT-Extended); on, refresh also answers a new
refresh token of the login's family and revokes the one presented, and a
revoked one presented again revokes the whole family."""
import hashlib
import threading
import time

import pytest

from harness import Stack
from helpers import bearer, decode, eventually, login, register
from conftest import unique

REVOKED = {"message": "Token has been revoked", "error": "token_revoked"}
EXPIRED = {"message": "Token has expired", "error": "token_expired"}
FLASK_CLAIMS = {"fresh", "iat", "jti", "type", "sub", "nbf", "exp"}
THIRTY_DAYS = 30 * 86400  # FLASK_JWT_REFRESH_TOKEN_EXPIRES's default, and so the family's
ROTATION = {"AUTHGATE_REFRESH_ROTATION": "true"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def rotating(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = Stack(request.param, postgres=pg, env=ROTATION)
    yield s
    s.stop()


def refresh(stack, token):
    return stack.post("/auth/refresh", headers=bearer(token))


def test_off_by_default_refresh_is_as_flask(stack):
    name = unique("plain")
    register(stack, name)
    tokens = login(stack, name)
    assert set(decode(tokens["refresh"])) == FLASK_CLAIMS  # no fam, no auth_time
    for _ in range(2):  # the same refresh token keeps working
        r = refresh(stack, tokens["refresh"])
        assert r.status_code == 200 and set(r.json()) == {"access_token"}


def test_refresh_rotates_and_the_old_token_is_revoked(rotating):
    name = unique("rot")
    register(rotating, name)
    first = login(rotating, name)["refresh"]
    family = decode(first)["fam"]
    r = refresh(rotating, first)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"access_token", "refresh_token"}
    assert r.headers["Cache-Control"] == "no-store"
    second = r.json()["refresh_token"]
    claims = decode(second)
    assert claims["fam"] == family and claims["type"] == "refresh" and claims["sub"] == name
    assert claims["jti"] != decode(first)["jti"]
    access = decode(r.json()["access_token"])
    assert access["fresh"] is False and access["fam"] == family  # the login's, so ending the login ends it
    assert rotating.get("/auth/whoami", headers=bearer(r.json()["access_token"])).status_code == 200
    # A chain: each successor works once.
    third = refresh(rotating, second).json()["refresh_token"]
    assert decode(third)["fam"] == family
    assert refresh(rotating, third).status_code == 200


def test_reuse_revokes_the_whole_family(rotating):
    name = unique("reuse")
    register(rotating, name)
    stolen = login(rotating, name)["refresh"]
    family = decode(stolen)["fam"]
    successor = refresh(rotating, stolen).json()["refresh_token"]
    other_login = login(rotating, name)["refresh"]  # another family of the same user
    offset = len(rotating.responder.log_text())
    r = refresh(rotating, stolen)  # reuse
    assert r.status_code == 401 and r.json() == REVOKED
    r = refresh(rotating, successor)
    assert r.status_code == 401 and r.json() == REVOKED
    assert refresh(rotating, other_login).status_code == 200
    log = rotating.responder.log_text()[offset:]
    warning = [line for line in log.splitlines() if "family is revoked" in line]
    assert warning and name in warning[0] and family in warning[0]
    assert stolen not in log and successor not in log


def test_logout_of_a_rotated_token_still_works(rotating):
    name = unique("out")
    register(rotating, name)
    current = refresh(rotating, login(rotating, name)["refresh"]).json()["refresh_token"]
    r = rotating.post("/auth/logout", headers=bearer(current))
    assert r.status_code == 200 and r.json() == {"message": "refresh token revoked successfully"}
    assert refresh(rotating, current).json() == REVOKED


def test_concurrent_refreshes_with_one_token_exactly_one_wins(rotating):
    name = unique("race")
    register(rotating, name)
    token = login(rotating, name)["refresh"]
    count = 8
    barrier = threading.Barrier(count, timeout=30)
    results = [None] * count

    def one(i):
        import requests
        with requests.Session() as session:
            barrier.wait()
            results[i] = session.post(rotating.url + "/auth/refresh", headers=bearer(token), timeout=30)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [401] * (count - 1), statuses
    assert all(r.json() == REVOKED for r in results if r.status_code == 401)


def test_a_token_from_before_rotation_is_rotated_into_a_family_its_reuse_revokes(rotating):
    """A refresh token with no `fam` (issued with rotation off, or by Flask)
    continues under a family named after its jti: an attacker who refreshes
    it first gets a successor that the rightful client's later use of the
    old token revokes."""
    from helpers import forge
    name = unique("legacy")
    register(rotating, name)
    legacy = forge(name, kind="refresh")
    r = refresh(rotating, legacy)  # the attacker's copy, first
    assert r.status_code == 200, r.text
    stolen_successor = r.json()["refresh_token"]
    claims = decode(stolen_successor)
    assert claims["fam"] == "j:" + hashlib.sha256(decode(legacy)["jti"].encode()).hexdigest()
    assert claims["auth_time"] == decode(legacy)["iat"]  # the login time known: the token's issue
    offset = len(rotating.responder.log_text())
    assert refresh(rotating, legacy).json() == REVOKED  # the rightful client, later: a reuse
    assert refresh(rotating, stolen_successor).json() == REVOKED
    log = rotating.responder.log_text()[offset:]
    assert any("family is revoked" in line and claims["fam"] in line for line in log.splitlines())


def test_rotation_never_extends_a_login_past_its_lifetime(rotating):
    name = unique("life")
    register(rotating, name)
    first = login(rotating, name)["refresh"]
    login_claims = decode(first)
    assert login_claims["auth_time"] == login_claims["iat"]
    successor = decode(refresh(rotating, first).json()["refresh_token"])
    # Renewed, but only up to the login's deadline (login time + 30 days).
    assert successor["auth_time"] == login_claims["auth_time"]
    assert successor["exp"] == login_claims["auth_time"] + THIRTY_DAYS
    # A token of a family whose login is older than that is refused, whatever its own exp.
    from helpers import forge
    now = int(time.time())
    old_login = forge(name, kind="refresh", fam="f-" + unique(), auth_time=now - THIRTY_DAYS - 5)
    r = refresh(rotating, old_login)
    assert r.status_code == 401 and r.json() == EXPIRED


@pytest.fixture
def rotating_pair(postgres):
    dbname, uri = postgres.new_database()
    a = Stack("postgres", postgres=postgres, database_uri=uri, env=ROTATION)
    b = Stack("postgres", postgres=postgres, database_uri=uri, env=ROTATION)
    yield a, b
    a.stop()
    b.stop()


def test_reuse_on_one_responder_revokes_the_family_on_the_other(rotating_pair):
    a, b = rotating_pair
    for s in (a, b):
        assert eventually(lambda: "read cache on" in s.responder.log_text())
    register(a, "pair")
    stolen = login(a, "pair")["refresh"]
    successor = refresh(a, stolen).json()["refresh_token"]
    marker = login(a, "pair")["access"]
    assert a.get("/auth/whoami", headers=bearer(marker)).status_code == 200
    assert b.post("/auth/refresh", headers=bearer(stolen)).json() == REVOKED  # reuse, seen at b
    # a's cache learns of the family through NOTIFY, not by reading the
    # table. Notifications arrive in commit order: once a sees a logout
    # made at b after the reuse, it has seen the family too. (Refreshing
    # in a loop would prove nothing: a success revokes the token it used.)
    assert b.post("/auth/logout", headers=bearer(marker)).status_code == 200
    assert eventually(lambda: a.get("/auth/whoami", headers=bearer(marker)).status_code == 401)
    assert refresh(a, successor).json() == REVOKED
