"""AUTHGATE_USERNAME_POLICY through nginx on SQLite and PostgreSQL:
`caseless` refuses a username whose NFKC case fold equals an existing
one's (409), race-safe; look-alikes already in an adopted table are
reported by check-config and never rewritten; `exact` (the default)
registers them as Flask does."""
import itertools
import threading

import pytest
import requests

from conftest import unique
from harness import Stack, run_sql
from helpers import register
from test_admin_cli import cli

CASELESS = {"AUTHGATE_USERNAME_POLICY": "caseless"}
TAKEN = {"error": "User already exists"}


def full_width(text):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in text)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def caseless(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = Stack(request.param, postgres=pg, env=CASELESS)
    yield s
    s.stop()


def test_admin_then_upper_then_full_width_gives_201_409_409(caseless):
    base = unique("admin")
    answers = [register(caseless, name, email=f"{i}-{base}@example.com")
               for i, name in enumerate([base, base.upper(), full_width(base)])]
    assert [r.status_code for r in answers] == [201, 409, 409]
    assert answers[1].json() == answers[2].json() == TAKEN
    assert [row[0] for row in run_sql(caseless, "SELECT username FROM users WHERE lower(username) = ?",
                                      (base,))] == [base]


def test_the_users_table_is_untouched_by_the_policy(caseless):
    columns = {row[0] for row in (
        run_sql(caseless, "SELECT name FROM pragma_table_info('users')") if caseless.backend == "sqlite"
        else run_sql(caseless, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"))}
    assert columns <= {"id", "username", "email", "password", "created_at", "seq"}


def test_fifty_parallel_look_alikes_register_once(caseless):
    # Letters only, so that 2^8 letter-case spellings exist to pick 49 from.
    base = "race" + "".join(chr(ord("a") + int(c, 16)) for c in unique("")[-8:])
    letters = [c for c in base if c.isalpha()]
    spellings = set()
    for flips in itertools.product([False, True], repeat=len(letters)):
        it = iter(flips)
        spellings.add("".join(c.upper() if c.isalpha() and next(it) else c for c in base))
    names = sorted(spellings)[:49] + [full_width(base)]
    assert len(names) == 50
    barrier = threading.Barrier(len(names), timeout=60)
    results = [None] * len(names)

    def one(i):
        with requests.Session() as session:
            barrier.wait()
            results[i] = session.post(caseless.url + "/auth/register", timeout=60, json={
                "username": names[i], "email": f"r{i}-{base}@example.com", "password": "123456"})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 49, statuses
    assert all(r.json() == TAKEN for r in results if r.status_code == 409)
    rows = run_sql(caseless, "SELECT count(*) FROM users WHERE email LIKE ?", (f"%-{base}@example.com",))
    assert rows[0][0] == 1


def test_look_alikes_added_behind_authgates_back_are_still_refused(caseless):
    """A row the Flask application wrote (no key yet) counts at the next registration."""
    name = unique("flaskrow")
    run_sql(caseless, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
            (unique("id"), name.upper(), f"{name}@flask.example", "x"))
    assert register(caseless, name).json() == TAKEN
    # Deleted behind AuthGate's back too: the name is free again.
    run_sql(caseless, "DELETE FROM users WHERE username = ?", (name.upper(),))
    assert register(caseless, name).status_code == 201


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_exact_is_the_default_and_registers_look_alikes_as_flask(make_stack, backend):
    s = make_stack(backend)
    base = unique("exact")
    statuses = [register(s, name, email=f"{i}-{base}@example.com").status_code
                for i, name in enumerate([base, base.upper(), full_width(base)])]
    assert statuses == [201, 201, 201]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_check_config_reports_adopted_look_alikes_and_rewrites_nothing(make_stack, backend):
    s = make_stack(backend, env=CASELESS)
    base = unique("dup")
    assert register(s, base).status_code == 201
    # Rows a Flask application made before the policy: look-alikes of each other.
    for i, name in enumerate([base.upper(), full_width(base)]):
        run_sql(s, "INSERT INTO users (id, username, email, password) VALUES (?, ?, ?, ?)",
                (f"flask-{i}-{base}", name, f"f{i}-{base}@flask.example", "x"))
    before = sorted(run_sql(s, "SELECT id, username, email, password FROM users"))
    out = cli(s, "check-config")
    assert out.returncode == 0, out.stderr
    [line] = [line for line in out.stdout.splitlines() if line.startswith("usernames:")]
    assert "1 group(s) of look-alikes" in line and f'"{base}"' in line and f'"{base.upper()}"' in line
    assert "left as they are" in line
    assert sorted(run_sql(s, "SELECT id, username, email, password FROM users")) == before
    assert register(s, base.capitalize(), email=f"new-{base}@example.com").json() == TAKEN


def test_check_config_says_when_there_are_none(make_stack):
    s = make_stack("sqlite")
    for name in ("alice", "bob"):
        assert register(s, name).status_code == 201
    out = cli(s, "check-config")
    assert out.returncode == 0, out.stderr
    assert "usernames: no look-alikes (policy exact)" in out.stdout.splitlines()
