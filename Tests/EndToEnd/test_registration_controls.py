"""AUTHGATE_REGISTRATION and AUTHGATE_REGISTRATION_EMAIL_DOMAINS through
nginx: 403 answers with the documented bodies, decided after the body is
validated and before anything is looked up or hashed."""
import pytest
from werkzeug.security import generate_password_hash

from conftest import BACKENDS, unique
from harness import run_sql
from helpers import login, register

CLOSED = {"error": "Registration is closed"}
WRONG_DOMAIN = {"error": "Registration is not open to this email domain"}


def user_count(stack):
    return run_sql(stack, "SELECT count(*) FROM users")[0][0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_closed_registration_refuses_everyone_and_existing_users_still_log_in(make_stack, backend):
    stack = make_stack(backend, env={"AUTHGATE_REGISTRATION": "closed"})
    for prefix in ("/auth", "/api/auth"):
        r = register(stack, unique("new"), prefix=prefix)
        assert r.status_code == 403 and r.json() == CLOSED
        assert r.headers["Content-Type"] == "application/json"
    # Body validation comes first: a bad body is still the 400 naming the field.
    r = stack.post("/auth/register", json={"username": "x", "email": "x@example.com"})
    assert r.status_code == 400 and "password" in r.json()["error"]
    assert user_count(stack) == 0
    # Users made another way (an operator, the Flask app) log in as before.
    run_sql(stack, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            ("id-op", "operator-made", "op@example.com", generate_password_hash("123456", "pbkdf2:sha256:1000")))
    assert login(stack, "operator-made")["access"]
    # A taken name is not revealed either: 403, not 409.
    r = register(stack, "operator-made")
    assert r.status_code == 403 and r.json() == CLOSED


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_listed_email_domains_may_register(make_stack, backend):
    stack = make_stack(backend, env={"AUTHGATE_REGISTRATION_EMAIL_DOMAINS": "example.com, Example.ORG"})
    a, b = unique("dom"), unique("dom")
    assert register(stack, a, email=f"{a}@Example.COM").status_code == 201
    assert register(stack, b, email=f"{b}@example.org").status_code == 201
    for email in ("c@sub.example.com", "c@example.net", "example.com@evil.test", "c@example.com.evil.test"):
        r = register(stack, unique("dom"), email=email)
        assert r.status_code == 403 and r.json() == WRONG_DOMAIN, email
    assert user_count(stack) == 2
    login(stack, a)


def test_open_by_default(stack):
    name = unique("open")
    assert register(stack, name, email=f"{name}@anything.test").status_code == 201
