"""deploy/ops/backup.sh and deploy/ops/restore.sh end to end, on SQLite (WAL) and
PostgreSQL: users registered through nginx, a backup taken while
registrations keep arriving, a restore into a fresh database, and a new
stack on it where the same users log in with the same passwords and a
token revoked before the backup stays revoked."""
import os
import stat
import subprocess
import tempfile
import threading

import pytest

from conftest import BACKENDS, unique
from harness import ROOT, run_sql
from helpers import bearer, login, register

BACKUP = os.path.join(ROOT, "deploy", "ops", "backup.sh")
RESTORE = os.path.join(ROOT, "deploy", "ops", "restore.sh")
PASSWORDS = ["123456", "pässwörd ünïcode", "with:colon\\backslash'quote\"", "x" * 200]


def run(script, *args, cwd, env=None):
    out = subprocess.run([script, *args], cwd=cwd, env={**os.environ, **(env or {})},
                         capture_output=True, text=True, timeout=120)
    return out


class Writer:
    """Registers users until stopped (bounded in count): the service is
    busy writing while the backup runs."""

    def __init__(self, stack, limit=200):
        self.stack, self.limit = stack, limit
        self.names = []
        self.stop = threading.Event()
        self.started = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        for _ in range(self.limit):
            if self.stop.is_set():
                return
            name = unique("bw")
            r = register(self.stack, name)
            if r.status_code != 201:
                self.errors.append((r.status_code, r.text))
                return
            self.names.append(name)
            if len(self.names) >= 2:
                self.started.set()

    def finish(self):
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        assert not self.errors, self.errors


@pytest.mark.parametrize("backend", BACKENDS)
def test_backup_while_serving_then_restore_into_a_fresh_database(request, make_stack, backend, tmp_path):
    source = make_stack(backend)
    users = {unique("bk"): password for password in PASSWORDS}
    for name, password in users.items():
        assert register(source, name, password=password).status_code == 201
    first = next(iter(users))
    revoked = login(source, first, users[first])
    assert source.post("/auth/logout", headers=bearer(revoked["access"])).status_code == 200
    kept = login(source, first, users[first])

    writer = Writer(source)
    assert writer.started.wait(60), writer.errors
    archive = str(tmp_path / f"authgate-{backend}.backup")
    if backend == "sqlite":
        # Run where AuthGate runs: the default URI is instance/db.sqlite there.
        out = run(BACKUP, archive, cwd=source.responder.dir, env={"FLASK_SQLALCHEMY_DATABASE_URI": ""})
    else:
        out = run(BACKUP, archive, cwd=str(tmp_path),
                  env={"FLASK_SQLALCHEMY_DATABASE_URI": source.responder.env["FLASK_SQLALCHEMY_DATABASE_URI"]})
    writer.finish()
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600  # it holds every password hash

    # A fresh database: a new working directory, or a new PostgreSQL database.
    if backend == "sqlite":
        workdir = tempfile.mkdtemp(prefix="authgate-restored-")
        out = run(RESTORE, archive, cwd=workdir, env={"FLASK_SQLALCHEMY_DATABASE_URI": ""})
        assert out.returncode == 0, out.stderr
        target = make_stack("sqlite", workdir=workdir)
    else:
        dbname, uri = request.getfixturevalue("postgres").new_database()
        out = run(RESTORE, "-d", uri, archive, cwd=str(tmp_path))
        assert out.returncode == 0, out.stderr
        target = make_stack("postgres", database_uri=uri)
        target.dbname = dbname  # for run_sql: the harness names only databases it made itself

    for name, password in users.items():
        tokens = login(target, name, password)
        r = target.get("/auth/whoami", headers=bearer(tokens["access"]))
        assert r.status_code == 200 and r.json()["user_details"]["username"] == name
        r = target.post("/auth/login", json={"username": name, "password": password + "x"})
        assert r.status_code == 400
    # Revocations came along; tokens issued before the backup still work.
    r = target.get("/auth/whoami", headers=bearer(revoked["access"]))
    assert (r.status_code, r.json()["error"]) == (401, "token_revoked")
    assert target.get("/auth/whoami", headers=bearer(kept["access"])).status_code == 200
    # One snapshot: whole rows, a count between before and after the writes.
    restored = {row[0] for row in run_sql(target, "SELECT username FROM users")}
    assert set(users) <= restored
    written = restored - set(users)
    assert written <= set(writer.names) and len(written) >= 2  # the writer had written 2 before
    # The users a writer registered before the snapshot are a prefix of its list.
    assert set(writer.names[:len(written)]) == written
    newest = writer.names[len(written) - 1]
    assert login(target, newest)["access"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_refuses_to_overwrite_without_replace(request, make_stack, backend, tmp_path):
    source = make_stack(backend)
    name = unique("ow")
    assert register(source, name).status_code == 201
    archive = str(tmp_path / "a.backup")
    if backend == "sqlite":
        cwd, env = source.responder.dir, {"FLASK_SQLALCHEMY_DATABASE_URI": ""}
    else:
        cwd, env = str(tmp_path), {"FLASK_SQLALCHEMY_DATABASE_URI": source.responder.env["FLASK_SQLALCHEMY_DATABASE_URI"]}
    assert run(BACKUP, archive, cwd=cwd, env=env).returncode == 0
    # A second backup never overwrites the first.
    out = run(BACKUP, archive, cwd=cwd, env=env)
    assert out.returncode == 1 and "exists" in out.stderr

    later = unique("later")
    assert register(source, later).status_code == 201
    out = run(RESTORE, archive, cwd=cwd, env=env)
    assert out.returncode == 1 and "--replace" in out.stderr
    assert {later} <= {row[0] for row in run_sql(source, "SELECT username FROM users")}

    # --replace, with AuthGate stopped as the procedure says.
    source.responder.stop()
    out = run(RESTORE, "--replace", archive, cwd=cwd, env=env)
    assert out.returncode == 0, out.stderr
    names = {row[0] for row in run_sql(source, "SELECT username FROM users")}
    assert name in names and later not in names
    if backend == "sqlite":
        kept = [f for f in os.listdir(os.path.join(cwd, "instance")) if ".before-restore-" in f]
        assert len(kept) == 1


@pytest.mark.parametrize("uri,expected,password", [
    ("postgresql://u:p%40ss%3Aw%5Crd@db:5432/auth", "postgresql://u@db:5432/auth", "p@ss:w\\rd"),
    ("postgres://u@db/auth?sslmode=require&password=s%26cret", "postgresql://u@db/auth?sslmode=require", "s&cret"),
    ("postgresql+psycopg2://bob:a+b@db/x", "postgresql://bob@db/x", "a+b"),
    ("postgresql://db/x", "postgresql://db/x", ""),
])
def test_password_is_taken_out_of_the_uri(uri, expected, password):
    out = subprocess.run(["bash", "-c", '. deploy/ops/database-uri.sh && pg_split "$1" && printf "%s\\n%s" "$PG_URI" "$PG_PASSWORD"',
                          "x", uri], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n", 1) == [expected, password]


@pytest.mark.parametrize("uri,path", [
    ("sqlite:///db.sqlite", "{cwd}/instance/db.sqlite"),
    ("sqlite:///sub/x.db?timeout=5", "{cwd}/instance/sub/x.db"),
    ("sqlite:////var/lib/authgate/a.db", "/var/lib/authgate/a.db"),
])
def test_sqlite_uri_resolves_as_authgate_does(uri, path, tmp_path):
    out = subprocess.run(["bash", "-c", f'. {ROOT}/deploy/ops/database-uri.sh && sqlite_path "$1"', "x", uri],
                         cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == path.format(cwd=tmp_path)
