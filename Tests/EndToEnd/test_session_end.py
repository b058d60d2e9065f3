"""Sessions that end when they should, through nginx on SQLite and
PostgreSQL: with token families on (refresh rotation, or
AUTHGATE_LOGOUT_SCOPE=session) a reuse or a logout ends every access and
refresh token of the login, on every responder; HEAD never rotates or
revokes; with every new setting off, logout ends one token as Flask does."""
import threading

import pytest
import requests
from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, jwt_required

from conftest import unique
from harness import SECRET
from helpers import bearer, decode, eventually, login, register
from test_refresh_rotation import rotating, rotating_pair  # noqa: F401 (fixtures)

REVOKED = {"message": "Token has been revoked", "error": "token_revoked"}
SESSION_NO_ROTATION = {"AUTHGATE_LOGOUT_SCOPE": "session"}
ACCESS_ROUTES = ["/auth/whoami", "/api/users/all", "/auth/verify"]


def refresh(stack, token, method="POST"):
    return stack.http.request(method, stack.url + "/auth/refresh", headers=bearer(token), timeout=30)


def access_refused(stack, token):
    """Every access route refuses `token` as revoked (verify: its 401)."""
    for path in ACCESS_ROUTES:
        r = stack.get(path, headers=bearer(token))
        if r.status_code != 401:
            return False
        if path != "/auth/verify" and r.json() != REVOKED:
            return False
    return True


def test_reuse_refuses_the_logins_access_tokens_on_every_route(rotating):
    name = unique("thief")
    register(rotating, name)
    tokens = login(rotating, name)
    first, stolen = tokens["access"], tokens["refresh"]
    assert decode(first)["fam"] == decode(stolen)["fam"]
    r = refresh(rotating, stolen)
    second, successor = r.json()["access_token"], r.json()["refresh_token"]
    assert decode(second)["fam"] == decode(stolen)["fam"]
    for path in ACCESS_ROUTES:
        assert rotating.get(path, headers=bearer(second)).status_code == 200, path
    other = login(rotating, name)  # another login of the same user
    assert refresh(rotating, stolen).json() == REVOKED  # the reuse
    assert access_refused(rotating, first) and access_refused(rotating, second)
    assert refresh(rotating, successor).json() == REVOKED
    assert rotating.post("/auth/logout", headers=bearer(second)).json() == REVOKED
    assert rotating.get("/auth/whoami", headers=bearer(other["access"])).status_code == 200
    assert refresh(rotating, other["refresh"]).status_code == 200


@pytest.mark.parametrize("which", ["access", "refresh"])
def test_logout_with_either_token_ends_the_whole_login(rotating, which):
    name = unique("out")
    register(rotating, name)
    tokens = login(rotating, name)
    renewed = refresh(rotating, tokens["refresh"]).json()
    other = login(rotating, name)
    presented = tokens["access"] if which == "access" else renewed["refresh_token"]
    r = rotating.get("/auth/logout", headers=bearer(presented))
    assert r.status_code == 200 and r.json() == {"message": f"{which} token revoked successfully"}
    assert access_refused(rotating, tokens["access"]) and access_refused(rotating, renewed["access_token"])
    assert refresh(rotating, renewed["refresh_token"]).json() == REVOKED
    assert rotating.get("/auth/whoami", headers=bearer(other["access"])).status_code == 200


def test_head_refresh_never_loses_a_session(rotating):
    name = unique("head")
    register(rotating, name)
    token = login(rotating, name)["refresh"]
    for _ in range(3):  # a prefetcher or a probe, repeatedly
        r = refresh(rotating, token, method="HEAD")
        assert r.status_code == 200 and r.content == b"" and r.headers["Cache-Control"] == "no-store"
    r = refresh(rotating, token, method="GET")  # the client itself: its token still rotates
    assert r.status_code == 200, r.text
    successor = r.json()["refresh_token"]
    # HEAD with the rotated token answers what GET would (401) and is not taken for theft.
    assert refresh(rotating, token, method="HEAD").status_code == 401
    assert refresh(rotating, successor).status_code == 200


def test_head_logout_revokes_nothing(rotating):
    name = unique("headout")
    register(rotating, name)
    tokens = login(rotating, name)
    for token in tokens.values():
        r = rotating.http.head(rotating.url + "/auth/logout", headers=bearer(token), timeout=30)
        assert r.status_code == 200 and r.content == b""
    assert rotating.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200
    assert refresh(rotating, tokens["refresh"]).status_code == 200


def race(*calls):
    """Runs the calls at once (a barrier), each on its own connection; returns their answers."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results = [None] * len(calls)

    def one(i, call):
        with requests.Session() as session:
            barrier.wait()
            results[i] = call(session)

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results)
    return results


def test_reuse_racing_a_rightful_rotation_ends_every_token_of_the_login(rotating):
    url = rotating.url + "/auth/refresh"
    for trial in range(5):
        name = unique(f"race{trial}")
        register(rotating, name)
        tokens = login(rotating, name)
        r = refresh(rotating, tokens["refresh"])
        stolen, current = tokens["refresh"], r.json()["refresh_token"]
        rightful, reuse = race(lambda s: s.post(url, headers=bearer(current), timeout=30),
                               lambda s: s.post(url, headers=bearer(stolen), timeout=30))
        assert reuse.status_code == 401 and reuse.json() == REVOKED
        minted = [tokens["access"], r.json()["access_token"]]
        if rightful.status_code == 200:  # it may also have lost to the family's revocation
            minted.append(rightful.json()["access_token"])
            assert refresh(rotating, rightful.json()["refresh_token"]).json() == REVOKED, trial
        for token in minted:
            assert access_refused(rotating, token), trial


def test_logout_racing_a_refresh_ends_every_token_of_the_login(rotating):
    for trial in range(5):
        name = unique(f"lrace{trial}")
        register(rotating, name)
        tokens = login(rotating, name)
        out, renewed = race(
            lambda s: s.post(rotating.url + "/auth/logout", headers=bearer(tokens["access"]), timeout=30),
            lambda s: s.post(rotating.url + "/auth/refresh", headers=bearer(tokens["refresh"]), timeout=30))
        assert out.status_code == 200
        assert access_refused(rotating, tokens["access"])
        if renewed.status_code == 200:
            assert access_refused(rotating, renewed.json()["access_token"]), trial
            assert refresh(rotating, renewed.json()["refresh_token"]).json() == REVOKED, trial
        else:
            assert renewed.json() == REVOKED
        assert refresh(rotating, tokens["refresh"]).json() == REVOKED


# Without rotation ----------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_session_scope_without_rotation_ends_the_login(make_stack, backend):
    s = make_stack(backend, env=SESSION_NO_ROTATION)
    name = unique("scope")
    register(s, name)
    tokens = login(s, name)
    r = refresh(s, tokens["refresh"])
    assert set(r.json()) == {"access_token"}  # no rotation
    renewed = r.json()["access_token"]
    assert s.post("/auth/logout", headers=bearer(renewed)).status_code == 200
    assert access_refused(s, tokens["access"]) and access_refused(s, renewed)
    assert refresh(s, tokens["refresh"]).json() == REVOKED


def test_default_logout_ends_one_token_as_flask(stack):
    name = unique("flaskout")
    register(stack, name)
    tokens = login(stack, name)
    assert "fam" not in decode(tokens["access"]) and "fam" not in decode(tokens["refresh"])
    assert stack.post("/auth/logout", headers=bearer(tokens["access"])).status_code == 200
    assert stack.get("/auth/whoami", headers=bearer(tokens["access"])).json() == REVOKED
    r = refresh(stack, tokens["refresh"])
    assert r.status_code == 200 and "fam" not in decode(r.json()["access_token"])


def test_head_logout_and_refresh_change_nothing_by_default(stack):
    name = unique("headflask")
    register(stack, name)
    tokens = login(stack, name)
    assert stack.http.head(stack.url + "/auth/logout", headers=bearer(tokens["access"]), timeout=30).status_code == 200
    assert stack.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200


def test_flask_oracle_head_logout_revokes_there_and_authgate_differs_on_purpose(stack):
    """Flask runs a GET view for HEAD, so a Flask-JWT-Extended logout route
    served by GET revokes on HEAD: a link prefetcher logs the user out.
    AuthGate answers HEAD with the same status and head and revokes nothing."""
    app = Flask(__name__)
    app.config.update(JWT_SECRET_KEY=SECRET, TESTING=True)
    jwt_manager = JWTManager(app)
    blocklist = set()

    @jwt_manager.token_in_blocklist_loader
    def revoked(_header, payload):
        return payload["jti"] in blocklist

    @app.route("/auth/logout", methods=["GET", "POST"])
    @jwt_required(verify_type=False)
    def logout():
        blocklist.add(get_jwt()["jti"])
        return jsonify(message=f"{get_jwt()['type']} token revoked successfully")

    @app.get("/auth/whoami")
    @jwt_required()
    def whoami():
        return jsonify(ok=True)

    client = app.test_client()
    with app.app_context():
        token = create_access_token(identity="oracle")
    flask_head = client.head("/auth/logout", headers=bearer(token))
    assert flask_head.status_code == 200
    assert client.get("/auth/whoami", headers=bearer(token)).status_code == 401  # Flask revoked on HEAD

    name = unique("oracle")
    register(stack, name)
    access = login(stack, name)["access"]
    head = stack.http.head(stack.url + "/auth/logout", headers=bearer(access), timeout=30)
    assert head.status_code == flask_head.status_code
    assert stack.get("/auth/whoami", headers=bearer(access)).status_code == 200  # AuthGate did not


# Two responders ------------------------------------------------------------

def test_reuse_and_logout_at_one_responder_end_the_login_at_the_other(rotating_pair):
    a, b = rotating_pair
    for s in (a, b):
        assert eventually(lambda: "read cache on" in s.responder.log_text())
    name = unique("pair")
    register(a, name)
    # A reuse at b ends the access tokens a serves from its cache.
    tokens = login(a, name)
    successor = refresh(a, tokens["refresh"]).json()
    assert a.get("/auth/whoami", headers=bearer(successor["access_token"])).status_code == 200
    assert refresh(b, tokens["refresh"]).json() == REVOKED
    assert eventually(lambda: access_refused(a, successor["access_token"]))
    assert access_refused(a, tokens["access"])
    # A session logout at b ends a login a holds in its cache.
    other = login(a, name)
    assert a.get("/auth/whoami", headers=bearer(other["access"])).status_code == 200
    assert b.post("/auth/logout", headers=bearer(other["refresh"])).status_code == 200
    assert eventually(lambda: access_refused(a, other["access"]))
    assert refresh(a, other["refresh"]).json() == REVOKED
