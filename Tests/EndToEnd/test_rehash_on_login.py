"""AUTHGATE_REHASH_ON_LOGIN: a stored hash weaker than
FLASK_PASSWORD_HASH_METHOD is replaced on a successful login, in a form
Werkzeug reads; off by default, when adopted rows stay byte-identical."""
import uuid

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from conftest import BACKENDS, unique
from harness import run_sql


def add_flask_user(stack, username, password):
    """A row as the Flask application wrote it, with an old, cheap hash."""
    stored = generate_password_hash(password, method="pbkdf2:sha256:1000")
    run_sql(stack, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            (str(uuid.uuid4()), username, f"{username}@example.com", stored))
    return stored


def stored_hash(stack, username):
    return run_sql(stack, "SELECT password FROM users WHERE username = ?", (username,))[0][0]


def log_in(stack, username, password):
    return stack.post("/auth/login", json={"username": username, "password": password})


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_weak_hash_is_upgraded_to_the_configured_scrypt(make_stack, backend):
    stack = make_stack(backend, env={"AUTHGATE_REHASH_ON_LOGIN": "true"})  # method: scrypt (default)
    user, password = unique("legacy"), "flask-era-pw"
    old = add_flask_user(stack, user, password)
    assert log_in(stack, user, "wrong-password").status_code == 400
    assert stored_hash(stack, user) == old  # a failed login changes nothing
    r = log_in(stack, user, password)
    assert r.status_code == 200, r.text
    new = stored_hash(stack, user)
    assert new != old and new.startswith("scrypt:32768:8:1$")
    assert check_password_hash(new, password)  # Werkzeug reads what AuthGate wrote
    assert not check_password_hash(new, "wrong-password")
    # Logging in again works and finds nothing left to upgrade.
    assert log_in(stack, user, password).status_code == 200
    assert stored_hash(stack, user) == new
    # Nothing else in the row changed.
    assert run_sql(stack, "SELECT username, email FROM users WHERE username = ?", (user,)) == [
        (user, f"{user}@example.com")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stronger_or_equal_hash_is_left_alone(make_stack, backend):
    stack = make_stack(backend, env={"AUTHGATE_REHASH_ON_LOGIN": "true",
                                     "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    user = unique("strong")
    stored = generate_password_hash("pw-123456", method="pbkdf2:sha256:2000")
    run_sql(stack, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            (str(uuid.uuid4()), user, f"{user}@example.com", stored))
    assert log_in(stack, user, "pw-123456").status_code == 200
    assert stored_hash(stack, user) == stored


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("stored_method, configured", [
    ("scrypt:32768:8:1", "pbkdf2:sha256:1000"),         # scrypt is never traded for PBKDF2
    ("pbkdf2:sha512:2000", "pbkdf2:sha256:2000"),       # SHA-512 costs more per iteration
    ("scrypt:65536:8:1", "scrypt:32768:8:4"),           # more work configured, but less memory: kept
])
def test_a_configured_method_that_is_not_stronger_never_rewrites_a_row(make_stack, backend, stored_method,
                                                                        configured):
    stack = make_stack(backend, env={"AUTHGATE_REHASH_ON_LOGIN": "true", "FLASK_PASSWORD_HASH_METHOD": configured})
    user = unique("nodown")
    stored = generate_password_hash("pw-123456", method=stored_method)
    run_sql(stack, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            (str(uuid.uuid4()), user, f"{user}@example.com", stored))
    assert log_in(stack, user, "pw-123456").status_code == 200
    assert stored_hash(stack, user) == stored


def test_off_by_default_an_adopted_row_stays_byte_identical(stack):
    user, password = unique("adopted"), "flask-era-pw"
    old = add_flask_user(stack, user, password)
    for _ in range(2):
        assert log_in(stack, user, password).status_code == 200
    assert stored_hash(stack, user) == old
