"""The opt-in login throttle (AUTHGATE_LOGIN_THROTTLE), end to end through
nginx with the deploy/ limit_req recipe (its real-IP settings decide the
client address AuthGate counts by), on SQLite and PostgreSQL."""
import pytest

from conftest import BACKENDS, unique
from harness import log_size, log_since, run_sql
from helpers import eventually, register
from recipe_stack import RecipeStack, client_address, from_address

MAX_FAILURES = 3
WINDOW = 60
THROTTLE = {"AUTHGATE_LOGIN_THROTTLE": "true", "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES": str(MAX_FAILURES),
            "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": str(WINDOW)}
INVALID = {"error": "Invalid username or password"}
THROTTLED = {"error": "Too many failed login attempts"}


@pytest.fixture(scope="module", params=BACKENDS)
def throttled(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = RecipeStack(request.param, postgres=pg, env=THROTTLE)
    yield s
    s.stop()


def attempt(stack, username, password, address):
    return stack.post("/auth/login", json={"username": username, "password": password},
                      headers=from_address(address))


def failures(stack, username):
    return sorted(run_sql(stack, "SELECT address, failures FROM authgate_login_failures WHERE username = ?",
                          (username,)))


def assert_throttled(r):
    assert r.status_code == 429, r.text
    assert r.json() == THROTTLED
    assert r.headers["Content-Type"] == "application/json"
    assert 1 <= int(r.headers["Retry-After"]) <= WINDOW


def test_max_failures_then_429_with_retry_after_even_for_the_right_password(throttled):
    user, address = unique("thr"), client_address()
    assert register(throttled, user).status_code == 201
    for _ in range(MAX_FAILURES):
        r = attempt(throttled, user, "wrong-password", address)
        assert r.status_code == 400 and r.json() == INVALID
    assert failures(throttled, user) == [(address, MAX_FAILURES)]
    assert_throttled(attempt(throttled, user, "123456", address))
    assert_throttled(attempt(throttled, user, "wrong-password", address))
    # Refused attempts are not counted: the throttle never extends itself.
    assert failures(throttled, user) == [(address, MAX_FAILURES)]


def test_an_attacker_elsewhere_cannot_lock_the_user_out(throttled):
    user, attacker, office = unique("victim"), client_address(), client_address()
    assert register(throttled, user).status_code == 201
    answers = [attempt(throttled, user, f"guess-{i}", attacker).status_code for i in range(MAX_FAILURES + 5)]
    assert answers == [400] * MAX_FAILURES + [429] * 5
    r = attempt(throttled, user, "123456", office)
    assert r.status_code == 200, r.text
    assert "tokens" in r.json()
    # The attacker is still refused, even with the password now.
    assert_throttled(attempt(throttled, user, "123456", attacker))


def comparable(r):
    """What a client could compare between two answers: status, body and
    every header but the clock's (Date, and Retry-After, which counts down
    and is compared apart) and the per-request X-Request-ID (checked apart)."""
    headers = {k.lower(): v for k, v in r.headers.items()
               if k.lower() not in ("date", "retry-after", "x-request-id")}
    return r.status_code, r.content, headers


def test_unknown_users_and_wrong_passwords_get_identical_answers_and_counting(throttled):
    real, ghost = unique("real"), unique("ghost")
    assert register(throttled, real).status_code == 201
    real_address, ghost_address = client_address(), client_address()
    real_answers, ghost_answers = [], []
    for _ in range(MAX_FAILURES + 2):  # interleaved: both sequences see the same moments
        ghost_answers.append(attempt(throttled, ghost, "wrong-password", ghost_address))
        real_answers.append(attempt(throttled, real, "wrong-password", real_address))
    assert [comparable(r) for r in ghost_answers] == [comparable(r) for r in real_answers]
    # Every answer has its own request id (nginx makes one per request).
    ids = [r.headers.get("X-Request-ID") for r in ghost_answers + real_answers]
    assert all(ids) and len(set(ids)) == len(ids)
    assert [r.status_code for r in real_answers] == [400] * MAX_FAILURES + [429] * 2
    for g, r in zip(ghost_answers, real_answers):
        assert ("Retry-After" in g.headers) == ("Retry-After" in r.headers)
        if "Retry-After" in r.headers:  # counted from windows opened a moment apart
            assert abs(int(g.headers["Retry-After"]) - int(r.headers["Retry-After"])) <= 1
    assert failures(throttled, ghost) == [(ghost_address, MAX_FAILURES)]
    assert failures(throttled, real) == [(real_address, MAX_FAILURES)]


def test_a_success_clears_the_counter(throttled):
    user, address = unique("clear"), client_address()
    assert register(throttled, user).status_code == 201
    for _ in range(MAX_FAILURES - 1):
        assert attempt(throttled, user, "wrong-password", address).status_code == 400
    assert attempt(throttled, user, "123456", address).status_code == 200
    assert failures(throttled, user) == []
    for _ in range(MAX_FAILURES - 1):
        assert attempt(throttled, user, "wrong-password", address).status_code == 400
    assert attempt(throttled, user, "123456", address).status_code == 200


def test_a_closed_window_lets_the_pair_try_again(throttled):
    user, address = unique("window"), client_address()
    assert register(throttled, user).status_code == 201
    for _ in range(MAX_FAILURES):
        attempt(throttled, user, "wrong-password", address)
    assert_throttled(attempt(throttled, user, "123456", address))
    # As if the window had opened WINDOW seconds ago (no sleeping in tests).
    run_sql(throttled, "UPDATE authgate_login_failures SET window_started_at = window_started_at - ? WHERE username = ?",
            (WINDOW, user))
    assert attempt(throttled, user, "wrong-password", address).status_code == 400
    assert failures(throttled, user) == [(address, 1)]  # a new window
    assert attempt(throttled, user, "123456", address).status_code == 200


def test_a_throttled_attempt_is_logged_with_username_and_address_only(throttled):
    user, address = unique("audit"), client_address()
    assert register(throttled, user).status_code == 201
    log, offset = throttled.responder.log, log_size(throttled.responder.log)
    for _ in range(MAX_FAILURES):
        attempt(throttled, user, "wrong-password", address)
    assert_throttled(attempt(throttled, user, "Sup3r-Secret-Guess", address))

    def throttled_lines():
        # This user's: lines of earlier tests may still arrive after the
        # offset (log lines are buffered for up to a second).
        return [line for line in log_since(log, offset).splitlines() if "login throttled" in line and user in line]

    # Log lines below warning are written within a second (buffered).
    assert eventually(throttled_lines, seconds=5), log_since(log, offset)[-2000:]
    text = log_since(log, offset)
    lines = throttled_lines()
    assert len(lines) == 1, text[-2000:]
    assert user in lines[0] and address in lines[0]
    assert "Sup3r-Secret-Guess" not in text and "wrong-password" not in text


def ipv6_slash64():
    """A random /64 of the documentation prefix, as "2001:db8:X:Y:"."""
    import random
    return "2001:db8:%x:%x:" % (random.randrange(1, 0xffff), random.randrange(1, 0xffff))


def test_ipv6_addresses_are_counted_by_their_slash64(throttled):
    """One subscriber normally holds a whole /64: trying from another
    address of it does not start a new count."""
    user, prefix = unique("v6"), ipv6_slash64()
    assert register(throttled, user).status_code == 201
    for host in range(1, MAX_FAILURES + 1):
        assert attempt(throttled, user, "wrong-password", f"{prefix}:{host}").status_code == 400
    assert_throttled(attempt(throttled, user, "123456", f"{prefix}abcd:1:2:3"))
    assert failures(throttled, user) == [(f"{prefix}:/64", MAX_FAILURES)]
    r = attempt(throttled, user, "123456", f"{ipv6_slash64()}:1")  # another /64
    assert r.status_code == 200, r.text


def test_no_client_address_is_refused_not_counted_as_one_client():
    """nginx configured without REMOTE_ADDR: every client would share one
    count. Logins answer a JSON 500 and the log names the fix."""
    def without_address(text):
        line = "fastcgi_param REMOTE_ADDR     $remote_addr;"
        assert line in text
        return text.replace(line, 'fastcgi_param REMOTE_ADDR     "";')
    s = RecipeStack("sqlite", env=THROTTLE, edit=without_address)
    try:
        user = unique("noaddr")
        assert register(s, user).status_code == 201
        for password in ("wrong-password", "123456"):
            r = s.post("/auth/login", json={"username": user, "password": password})
            assert r.status_code == 500 and r.json() == {"error": "Internal server error"}, r.text
        assert run_sql(s, "SELECT count(*) FROM authgate_login_failures")[0][0] == 0
        assert "fastcgi_param REMOTE_ADDR" in s.responder.log_text()
    finally:
        s.stop()


def test_the_throttle_is_shared_by_responders_on_one_postgresql(postgres):
    dbname, uri = postgres.new_database()
    a = RecipeStack("postgres", postgres=postgres, env=THROTTLE, database_uri=uri)
    try:
        b = RecipeStack("postgres", postgres=postgres, env=THROTTLE, database_uri=uri)
        try:
            user, address = unique("shared"), client_address()
            assert register(a, user).status_code == 201
            for _ in range(MAX_FAILURES):
                assert attempt(a, user, "wrong-password", address).status_code == 400
            assert_throttled(attempt(b, user, "123456", address))
            assert attempt(b, user, "123456", client_address()).status_code == 200
            # A success through b clears what a counted, for the pair it was counted for.
            other = client_address()
            assert attempt(a, user, "wrong-password", other).status_code == 400
            assert attempt(b, user, "123456", other).status_code == 200
            assert failures(a, user) == [(address, MAX_FAILURES)]
        finally:
            b.stop()
    finally:
        a.stop()


def test_off_by_default_twenty_wrong_passwords_then_the_right_one_logs_in(stack):
    """The default stack (no AUTHGATE_LOGIN_THROTTLE): the drop-in answers."""
    user = unique("dropin")
    assert register(stack, user).status_code == 201
    for _ in range(20):
        r = stack.post("/auth/login", json={"username": user, "password": "wrong-password"})
        assert r.status_code == 400 and r.json() == INVALID
    r = stack.post("/auth/login", json={"username": user, "password": "123456"})
    assert r.status_code == 200, r.text
    # No login failure counted (the table also holds the always-on
    # second-factor limit's rows, keyed by user id, of other tests).
    assert run_sql(stack, "SELECT count(*) FROM authgate_login_failures WHERE address <> 'second-factor'")[0][0] == 0
