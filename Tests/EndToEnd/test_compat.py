"""Compatibility with the real Werkzeug, PyJWT, Flask-SQLAlchemy and
Flask-JWT-Extended, both directions."""
import os
import tempfile
import uuid

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from conftest import BACKENDS, unique
from flask_app import add_user, all_rows, create_app
from harness import SECRET, Responder, Stack, run_sql
from helpers import bearer, decode, login, register


def insert_user(stack, username, password_hash):
    run_sql(stack, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            (str(uuid.uuid4()), username, f"{username}@example.com", password_hash))


@pytest.mark.parametrize("method", [None, "pbkdf2:sha256", "pbkdf2:sha512:10000", "scrypt:16384:8:1"])
def test_werkzeug_hashes_log_in(stack, method):
    name = unique("wz")
    pw = "pässwörd-" + name
    insert_user(stack, name, generate_password_hash(pw, method=method) if method else generate_password_hash(pw))
    assert decode(login(stack, name, pw)["access"])["sub"] == name
    r = stack.post("/auth/login", json={"username": name, "password": pw + "x"})
    assert r.status_code == 400


def test_unreadable_stored_hash_fails_like_a_wrong_password(stack):
    name = unique("bad")
    insert_user(stack, name, "md5$abc$0123")
    r = stack.post("/auth/login", json={"username": name, "password": "123456"})
    assert (r.status_code, r.json()) == (400, {"error": "Invalid username or password"})
    assert "unknown format" in stack.responder.log_text()


def test_authgate_hashes_pass_werkzeug(stack):
    name = unique()
    register(stack, name, password="sécret-1")
    [(stored,)] = run_sql(stack, "SELECT password FROM users WHERE username = ?", (name,))
    assert stored.startswith("scrypt:32768:8:1$")
    assert check_password_hash(stored, "sécret-1")
    assert not check_password_hash(stored, "sécret-2")


@pytest.mark.parametrize("backend", BACKENDS)
def test_configured_pbkdf2_hashes_pass_werkzeug(make_stack, backend):
    s = make_stack(backend, env={"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha512:20000"})
    register(s, "pb")
    [(stored,)] = run_sql(s, "SELECT password FROM users WHERE username = ?", ("pb",))
    assert stored.startswith("pbkdf2:sha512:20000$")
    assert check_password_hash(stored, "123456")


def test_authgate_tokens_pass_flask_jwt_extended(stack):
    app = create_app(SECRET)
    client = app.test_client()
    name = unique()
    register(stack, name)
    tokens = login(stack, name)
    r = client.get("/protected", headers=bearer(tokens["access"]))
    assert r.status_code == 200, r.json
    assert r.json == {"identity": name, "type": "access", "fresh": True}
    r = client.get("/refresh-protected", headers=bearer(tokens["refresh"]))
    assert r.json == {"identity": name, "type": "refresh"}
    refreshed = stack.post("/auth/refresh", headers=bearer(tokens["refresh"])).json()["access_token"]
    assert client.get("/protected", headers=bearer(refreshed)).json == {"identity": name, "type": "access", "fresh": False}


def test_flask_jwt_extended_tokens_pass_authgate(stack):
    app = create_app(SECRET)
    name = unique()
    register(stack, name)
    issued = app.test_client().get(f"/issue/{name}").json
    r = stack.get("/auth/whoami", headers=bearer(issued["access"]))
    assert r.status_code == 200 and r.json()["user_details"]["username"] == name
    r = stack.post("/api/auth/refresh", headers=bearer(issued["refresh"]))
    assert r.status_code == 200
    assert decode(r.json()["access_token"])["sub"] == name
    r = stack.post("/auth/logout", headers=bearer(issued["access"]))
    assert r.json() == {"message": "access token revoked successfully"}


def test_flask_tokens_with_another_secret_are_refused(stack):
    app = create_app("not-the-same-secret")
    issued = app.test_client().get("/issue/alice").json
    assert stack.get("/auth/whoami", headers=bearer(issued["access"])).json()["error"] == "invalid_token"


def flask_made_database(request, backend):
    """An empty users table made by the Flask app's db.create_all(), in a
    fresh working directory; returns (app, uri, workdir, postgres)."""
    postgres = request.getfixturevalue("postgres") if backend == "postgres" else None
    workdir = tempfile.mkdtemp(prefix="authgate-flaskdb-")
    if backend == "sqlite":
        uri = "sqlite:///db.sqlite"
    else:
        uri = postgres.new_database()[1].replace("postgresql://", "postgresql+psycopg2://")
    app = create_app(SECRET, uri, instance_path=os.path.join(workdir, "instance"))
    with app.app_context():
        app.db.create_all()
    return app, uri, workdir, postgres


@pytest.mark.parametrize("backend", BACKENDS)
def test_adopts_a_database_made_by_flask(request, backend):
    app, uri, workdir, postgres = flask_made_database(request, backend)
    add_user(app, "flask_scrypt", "one@example.com", "123456")
    add_user(app, "flask_pbkdf2", "two@example.com", "abcdef", method="pbkdf2:sha256")
    before = all_rows(app)

    s = Stack(backend, postgres=postgres, database_uri=uri, workdir=workdir)
    if backend == "postgres":
        s.dbname = uri.rsplit("/", 1)[1]
    try:
        # Flask's users log in unchanged.
        assert decode(login(s, "flask_scrypt", "123456")["access"])["sub"] == "flask_scrypt"
        token = login(s, "flask_pbkdf2", "abcdef")["access"]
        # A new registration lands after the adopted rows, which come first.
        assert register(s, "native", email="three@example.com").status_code == 201
        body = s.get("/api/users/all?per_page=10", headers=bearer(token)).json()
        names = [u["username"] for u in body["users"]]
        assert sorted(names[:2]) == ["flask_pbkdf2", "flask_scrypt"] and names[2] == "native"
        assert body["total"] == 3
        # Uniqueness now holds on the adopted table.
        assert register(s, "flask_scrypt", email="x@example.com").status_code == 409
        assert register(s, "other", email="ONE@example.com").status_code == 409
        # The old rows are untouched; Flask still reads the table and AuthGate's hash.
        after = all_rows(app)
        assert [r for r in after if r[1] != "native"] == before
        with app.app_context():
            native = app.User.query.filter_by(username="native").one()
            assert native.check_password("123456")
            adopted_created = [row[0] for row in run_sql(
                s, "SELECT created_at FROM users WHERE username IN ('flask_scrypt', 'flask_pbkdf2')")]
            assert adopted_created == [None, None]
        # Flask can still add users after adoption, and AuthGate sees them.
        add_user(app, "flask_later", "later@example.com", "123456")
        assert login(s, "flask_later")["access"]
    finally:
        s.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_refuses_to_adopt_duplicates_and_changes_nothing(request, backend):
    app, uri, workdir, _ = flask_made_database(request, backend)
    add_user(app, "twin", "a@example.com", "123456")
    add_user(app, "twin", "b@example.com", "123456")
    add_user(app, "solo", "Same@Example.com", "123456")
    add_user(app, "solo2", "same@example.com", "123456")
    before = all_rows(app)
    with pytest.raises(RuntimeError):
        Responder(uri, workdir=workdir)
    log = open(os.path.join(workdir, "authgate.log")).read()
    assert "twin" in log and "same@example.com" in log
    assert all_rows(app) == before
    with app.app_context():
        columns = [c["name"] for c in app.db.inspect(app.db.engine).get_columns("users")]
    assert columns == ["id", "username", "email", "password"]
