"""The read path answers from memory on PostgreSQL; these check it stays
correct when the change comes from another responder process or straight
from the database (a Flask app, an operator)."""
import uuid

import pytest

from harness import Stack, run_sql
from helpers import bearer, eventually, login, register


@pytest.fixture
def pair(postgres):
    """Two responders (each behind its own nginx) on one database."""
    dbname, uri = postgres.new_database()
    a = Stack("postgres", postgres=postgres, database_uri=uri)
    b = Stack("postgres", postgres=postgres, database_uri=uri)
    a.dbname = b.dbname = dbname
    yield a, b
    a.stop()
    b.stop()


# `eventually` (helpers): without a notification the other process never
# sees a change (its cache stays on while its listener is healthy), so any
# bound tells delivery from its absence: 10 s is slack for a loaded machine.


def test_logout_in_one_process_revokes_in_the_other(pair):
    a, b = pair
    register(a, "alice")
    tokens = login(a, "alice")
    assert b.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200  # now cached in b
    assert a.post("/auth/logout", headers=bearer(tokens["access"])).status_code == 200
    revoked = eventually(lambda: b.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 401)
    assert revoked, "b still accepts a token revoked in a"
    assert b.get("/auth/whoami", headers=bearer(tokens["access"])).json()["error"] == "token_revoked"


def test_registration_in_one_process_shows_in_the_others_list(pair):
    a, b = pair
    register(a, "first")
    token = login(a, "first")["access"]
    assert b.get("/api/users/all", headers=bearer(token)).json()["total"] == 1
    register(a, "second")
    assert eventually(lambda: b.get("/api/users/all", headers=bearer(token)).json()["total"] == 2)
    names = [u["username"] for u in b.get("/api/users/all", headers=bearer(token)).json()["users"]]
    assert names == ["first", "second"]


def test_rows_written_straight_to_the_database_are_seen(pair):
    a, _ = pair
    register(a, "reader")
    token = login(a, "reader")["access"]
    assert a.get("/api/users/all", headers=bearer(token)).json()["total"] == 1
    run_sql(a, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            (str(uuid.uuid4()), "from-flask", "flask@example.com", "scrypt:32768:8:1$x$00"))
    assert eventually(lambda: a.get("/api/users/all", headers=bearer(token)).json()["total"] == 2)
    run_sql(a, "DELETE FROM users WHERE username = ?", ("reader",))
    assert eventually(lambda: a.get("/auth/whoami", headers=bearer(token)).status_code == 401)
    assert a.get("/auth/whoami", headers=bearer(token)).json()["error"] == "user_not_found"


def test_revocation_written_straight_to_the_database_is_seen(pair):
    a, b = pair
    register(a, "direct")
    tokens = login(a, "direct")
    from helpers import decode
    jti = decode(tokens["access"])["jti"]
    assert b.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200
    run_sql(b, "INSERT INTO token_blocklist (jti, type, created_at, expires_at) VALUES "
               "(?, 'access', now(), now() + interval '1 hour')", (jti,))
    assert eventually(lambda: b.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 401)


def test_revocations_survive_a_database_restart(pair, postgres):
    a, b = pair
    register(a, "restart")
    tokens = login(a, "restart")
    assert a.post("/auth/logout", headers=bearer(tokens["access"])).status_code == 200
    postgres.stop()
    try:
        # While the database is down nothing is answered from memory.
        assert eventually(lambda: b.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 503)
    finally:
        postgres.start()
    assert eventually(lambda: b.get("/healthz").status_code == 200, seconds=20)
    r = b.get("/auth/whoami", headers=bearer(tokens["access"]))
    assert r.status_code == 401 and r.json()["error"] == "token_revoked"
