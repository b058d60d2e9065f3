"""Flask-JWT-Extended's cookie mode, both ways, through nginx on SQLite and
PostgreSQL: cookies and CSRF values AuthGate sets are accepted by a real
Flask app in cookie mode (the pinned Flask-JWT-Extended), and the ones
that app sets are accepted by AuthGate, on every token route; the CSRF
double submit is enforced on JWT_CSRF_METHODS; a header wins over a cookie;
with the default settings nothing of this exists."""
import re
from http.cookies import SimpleCookie

import pytest
from flask import Flask, jsonify
from flask_jwt_extended import (JWTManager, create_access_token, create_refresh_token, get_jwt_identity,
                                jwt_required, set_access_cookies, set_refresh_cookies)

from conftest import unique
from harness import SECRET, Stack
from helpers import bearer, login, register

COOKIE_MODE = {"FLASK_JWT_TOKEN_LOCATION": '["headers", "cookies"]'}
NAMES = {"access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def s(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    stack = Stack(request.param, postgres=pg, env=COOKIE_MODE)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def flask_app():
    """A Flask app in cookie mode, as its users run it: both locations,
    CSRF protection on (the default), the same secret."""
    app = Flask(__name__)
    app.config.update(JWT_SECRET_KEY=SECRET, JWT_TOKEN_LOCATION=["headers", "cookies"], TESTING=True)
    JWTManager(app)

    @app.get("/protected")
    @jwt_required()
    def protected():
        return jsonify(identity=get_jwt_identity())

    @app.post("/protected")
    @jwt_required()
    def protected_post():
        return jsonify(identity=get_jwt_identity())

    @app.post("/refresh")
    @jwt_required(refresh=True)
    def refresh():
        return jsonify(identity=get_jwt_identity())

    @app.post("/sign-in/<username>")
    def sign_in(username):
        response = jsonify(ok=True)
        set_access_cookies(response, create_access_token(identity=username))
        set_refresh_cookies(response, create_refresh_token(identity=username))
        return response

    return app


def set_cookies(response):
    """The Set-Cookie headers of a requests/werkzeug response: name -> (value, attributes line)."""
    headers = response.raw.headers.getlist("Set-Cookie") if hasattr(response, "raw") and response.raw \
        else response.headers.getlist("Set-Cookie")
    out = {}
    for line in headers:
        jar = SimpleCookie()
        jar.load(line)
        for name, morsel in jar.items():
            out[name] = (morsel.value, line)
    return out


def test_authgate_login_sets_the_cookies_flask_would(s, flask_app):
    name = unique("ck")
    register(s, name)
    r = s.post("/auth/login", json={"username": name, "password": "123456"})
    cookies = set_cookies(r)
    assert set(cookies) == NAMES
    # The attributes Flask-JWT-Extended's own set_*_cookies write with the same settings.
    flask_cookies = set_cookies(flask_app.test_client().post(f"/sign-in/{name}"))
    for cookie in NAMES:
        ours = sorted(p.strip().lower() for p in cookies[cookie][1].split(";")[1:])
        theirs = sorted(p.strip().lower() for p in flask_cookies[cookie][1].split(";")[1:])
        assert ours == theirs, cookie


def test_cookies_authgate_sets_are_accepted_by_flask(s, flask_app):
    name = unique("ag2f")
    register(s, name)
    cookies = {k: v for k, (v, _) in set_cookies(s.post("/auth/login", json={"username": name,
                                                                               "password": "123456"})).items()}
    client = flask_app.test_client()
    for key, value in cookies.items():
        client.set_cookie(key, value)
    assert client.get("/protected").json == {"identity": name}
    assert client.post("/protected").status_code == 401  # Flask: missing CSRF token
    assert client.post("/protected", headers={"X-CSRF-TOKEN": cookies["csrf_access_token"]}).json == {"identity": name}
    assert client.post("/refresh", headers={"X-CSRF-TOKEN": cookies["csrf_refresh_token"]}).json == {"identity": name}
    assert client.post("/refresh", headers={"X-CSRF-TOKEN": cookies["csrf_access_token"]}).status_code == 401


def test_cookies_flask_sets_are_accepted_by_authgate_on_every_route(s, flask_app):
    name = unique("f2ag")
    register(s, name)
    cookies = {k: v for k, (v, _) in set_cookies(flask_app.test_client().post(f"/sign-in/{name}")).items()}
    assert set(cookies) == NAMES
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    for path in ("/auth/whoami", "/api/users/all", "/auth/refresh"):
        assert s.get(path, headers={"Cookie": jar}).status_code == 200, path
    r = s.post("/auth/refresh", headers={"Cookie": jar})
    assert r.status_code == 401 and r.json() == {"message": "Missing CSRF token", "error": "csrf_missing"}
    r = s.post("/auth/refresh", headers={"Cookie": jar, "X-CSRF-TOKEN": cookies["csrf_refresh_token"]})
    assert r.status_code == 200 and set(set_cookies(r)) == {"access_token_cookie", "csrf_access_token"}
    r = s.post("/auth/logout", headers={"Cookie": jar, "X-CSRF-TOKEN": "not-the-value"})
    assert r.status_code == 401 and r.json() == {"message": "CSRF double submit tokens do not match",
                                                 "error": "csrf_mismatch"}
    r = s.post("/auth/logout", headers={"Cookie": jar, "X-CSRF-TOKEN": cookies["csrf_access_token"]})
    assert r.status_code == 200 and r.json() == {"message": "access token revoked successfully"}
    assert s.get("/auth/whoami", headers={"Cookie": jar}).json()["error"] == "token_revoked"


def test_a_header_wins_over_a_cookie(s):
    alice, bob = unique("hw-a"), unique("hw-b")
    register(s, alice)
    register(s, bob)
    jar = "; ".join(f"{k}={v}" for k, (v, _) in
                    set_cookies(s.post("/auth/login", json={"username": alice, "password": "123456"})).items())
    bob_access = login(s, bob)["access"]
    r = s.get("/auth/whoami", headers={"Cookie": jar, **bearer(bob_access)})
    assert r.json()["user_details"]["username"] == bob


def test_the_sign_in_form_signs_in_and_its_cookies_work_in_flask(s, flask_app):
    name = unique("form")
    register(s, name)
    page = s.http.get(s.url + "/auth/sign-in?rd=/somewhere", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    token = re.search(r'name="signin_token" value="([0-9a-f]+)"', page.text).group(1)
    r = s.http.post(s.url + "/auth/sign-in", allow_redirects=False, timeout=30,
                    data={"username": name, "password": "123456", "rd": "/somewhere", "signin_token": token})
    assert r.status_code == 303 and r.headers["Location"] == "/somewhere"
    client = flask_app.test_client()
    for key, (value, _) in set_cookies(r).items():
        client.set_cookie(key, value)
    assert client.get("/protected").json == {"identity": name}


def test_every_new_setting_off_means_no_cookie_and_no_page(stack):
    name = unique("off")
    register(stack, name)
    r = stack.post("/auth/login", json={"username": name, "password": "123456"})
    assert "Set-Cookie" not in r.headers
    assert "csrf" not in __import__("jwt").decode(r.json()["tokens"]["access"], SECRET, algorithms=["HS256"])
    for method, path in (("GET", "/auth/sign-in"), ("POST", "/auth/sign-out"), ("GET", "/auth/refresh-session")):
        r = stack.http.request(method, stack.url + path, timeout=30)
        assert r.status_code == 404 and r.json() == {"error": "Not found"}, path
