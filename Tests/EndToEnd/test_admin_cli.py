"""The admin command line end to end: `authgate migrate`, `create-user`,
`delete-user`, `revoke-user`, `gen-secret`, `check-config` and `--version`,
each run as an operator would (its own process, the responder's
configuration) against real PostgreSQL and SQLite, with what clients see
checked through nginx."""
import base64
import os
import re
import subprocess
import tempfile

import pytest

from harness import BINARY, ROOT, SECRET, Stack, refused_address, run_sql
from helpers import bearer, decode, eventually, forge, login, register
from conftest import unique

REVOKED = {"message": "Token has been revoked", "error": "token_revoked"}


def cli(stack, *args, input=None, env=None):
    """`authgate ARGS` with the stack's own configuration and folder."""
    return run_cli(*args, cwd=stack.responder.dir, env={**stack.responder.env, **(env or {})}, input=input)


def run_cli(*args, cwd, env, input=None):
    return subprocess.run([BINARY, *args], cwd=cwd, env=env, input=input, capture_output=True, text=True,
                          timeout=60)


def create(stack, username, password="s3cret-pass", email=None, **kw):
    return cli(stack, "create-user", "--username", username, "--email", email or f"{username}@example.com",
               input=password + "\n", **kw)


# --version, gen-secret ------------------------------------------------------

def test_version_is_the_one_constant():
    source = open(os.path.join(ROOT, "Sources", "AuthGateCore", "Support", "Version.swift")).read()
    version = re.search(r'current = "([^"]+)"', source).group(1)
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == version


def test_gen_secret_is_fresh_random_bytes():
    first, second = (subprocess.run([BINARY, "gen-secret"], capture_output=True, text=True, timeout=20)
                     for _ in range(2))
    assert first.returncode == second.returncode == 0
    a, b = first.stdout.strip(), second.stdout.strip()
    assert a != b
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", a)  # 32 bytes, base64url without padding
    assert len(base64.urlsafe_b64decode(a + "=")) == 32
    hexed = subprocess.run([BINARY, "gen-secret", "--encoding", "hex", "--bytes", "48"],
                           capture_output=True, text=True, timeout=20)
    assert re.fullmatch(r"[0-9a-f]{96}", hexed.stdout.strip()), hexed.stdout
    short = subprocess.run([BINARY, "gen-secret", "--bytes", "16"], capture_output=True, text=True, timeout=20)
    assert short.returncode != 0 and "32" in short.stderr


def test_a_generated_secret_signs_tokens(tmp_path):
    secret = subprocess.run([BINARY, "gen-secret"], capture_output=True, text=True, timeout=20).stdout.strip()
    s = Stack("sqlite", env={"FLASK_SECRET_KEY": secret})
    try:
        register(s, "genuser")
        token = login(s, "genuser")["access"]
        import jwt
        assert jwt.decode(token, secret, algorithms=["HS256"])["sub"] == "genuser"
    finally:
        s.stop()


# create-user -----------------------------------------------------------------

def test_created_user_logs_in_through_nginx(stack):
    name = unique("cli")
    out = create(stack, name, password="from stdin 1")
    assert out.returncode == 0, out.stderr
    assert "from stdin 1" not in out.stdout + out.stderr
    r = stack.post("/auth/login", json={"username": name, "password": "from stdin 1"})
    assert r.status_code == 200, r.text
    me = stack.get("/auth/whoami", headers=bearer(r.json()["tokens"]["access"])).json()["user_details"]
    assert me["username"] == name and me["email"] == f"{name}@example.com"
    # Hashed as register hashes: Werkzeug's format, the configured method (default scrypt).
    (stored,) = run_sql(stack, "SELECT password FROM users WHERE username = ?", (name,))[0]
    assert stored.startswith("scrypt:32768:8:1$")


def test_password_file_and_configured_hash_method(stack, tmp_path):
    name = unique("file")
    secret_file = tmp_path / "pw"
    secret_file.write_text("file password\n")
    secret_file.chmod(0o600)
    out = cli(stack, "create-user", "--username", name, "--email", f"{name}@example.com",
              "--password-file", str(secret_file), env={"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    assert out.returncode == 0, out.stderr
    (stored,) = run_sql(stack, "SELECT password FROM users WHERE username = ?", (name,))[0]
    assert stored.startswith("pbkdf2:sha256:1000$")
    from werkzeug.security import check_password_hash
    assert check_password_hash(stored, "file password")
    assert stack.post("/auth/login", json={"username": name, "password": "file password"}).status_code == 200


def test_the_password_is_never_taken_from_the_command_line(stack):
    out = cli(stack, "create-user", "--username", unique(), "--email", "x@example.com", "--password", "123456")
    assert out.returncode != 0
    out = cli(stack, "create-user", "--username", unique(), "--email", "y@example.com", input="")
    assert out.returncode == 1 and "password" in out.stderr


def test_duplicates_and_invalid_fields_are_refused_clearly(stack):
    name = unique("dup")
    assert create(stack, name).returncode == 0
    again = create(stack, name, email=f"other-{name}@example.com")
    assert again.returncode == 1 and f"a user named {name} already exists" in again.stderr
    email = create(stack, unique("dup"), email=f"{name.upper()}@EXAMPLE.com")
    assert email.returncode == 1 and "already registered" in email.stderr
    bad_name = create(stack, "has space")
    assert bad_name.returncode == 1 and "username" in bad_name.stderr
    bad_email = create(stack, unique(), email="no-at-sign")
    assert bad_email.returncode == 1 and "email" in bad_email.stderr
    short = create(stack, unique(), password="12345")
    assert short.returncode == 1 and "password" in short.stderr
    assert run_sql(stack, "SELECT count(*) FROM users WHERE username = ?", (name,))[0][0] == 1


# delete-user -----------------------------------------------------------------

def test_deleted_users_tokens_are_revoked(stack):
    name = unique("del")
    register(stack, name)
    tokens = login(stack, name)
    out = cli(stack, "delete-user", name)
    assert out.returncode == 0, out.stderr
    assert "revoked" in out.stdout
    for token, path in ((tokens["access"], "/auth/whoami"), (tokens["refresh"], "/auth/refresh")):
        r = stack.get(path, headers=bearer(token))
        assert r.status_code == 401 and r.json() == REVOKED
    missing = cli(stack, "delete-user", name)
    assert missing.returncode == 1 and f"no user named {name}" in missing.stderr


def test_delete_keeps_old_tokens_out_of_a_reregistered_name_without_any_flag(stack):
    name = unique("reuse")
    register(stack, name)
    old = login(stack, name)
    assert cli(stack, "delete-user", name).returncode == 0
    assert register(stack, name).status_code == 201  # a stranger takes the name
    for token, path in ((old["access"], "/auth/whoami"), (old["refresh"], "/auth/refresh")):
        r = stack.get(path, headers=bearer(token))
        assert r.status_code == 401 and r.json() == REVOKED, (path, r.text)
    # The command returned after the not-before: the new owner's tokens work at once.
    assert stack.get("/auth/whoami", headers=bearer(login(stack, name)["access"])).status_code == 200
    # The former flag is still accepted (it is what delete-user always does now).
    again = unique("flag")
    register(stack, again)
    assert cli(stack, "delete-user", "--revoke-tokens", again).returncode == 0


# revoke-user -----------------------------------------------------------------

def test_revoke_user_refuses_earlier_tokens_and_keeps_later_ones(stack):
    name, other = unique("rev"), unique("keep")
    register(stack, name)
    register(stack, other)
    before = login(stack, name)
    bystander = login(stack, other)["access"]
    assert stack.get("/auth/whoami", headers=bearer(before["access"])).status_code == 200
    out = cli(stack, "revoke-user", name)
    assert out.returncode == 0, out.stderr
    for token, path in ((before["access"], "/auth/whoami"), (before["refresh"], "/auth/refresh"),
                        (before["access"], "/api/users/all")):
        r = stack.get(path, headers=bearer(token))
        assert r.status_code == 401 and r.json() == REVOKED, (path, r.text)
        assert r.headers["WWW-Authenticate"] == "Bearer"
    # The command returns once a new token cannot share a second with the
    # revocation: one issued now works at once.
    after = login(stack, name)
    assert stack.get("/auth/whoami", headers=bearer(after["access"])).status_code == 200
    assert stack.get("/auth/refresh", headers=bearer(after["refresh"])).status_code == 200
    assert stack.get("/auth/whoami", headers=bearer(bystander)).status_code == 200
    missing = cli(stack, "revoke-user", unique("ghost"))
    assert missing.returncode == 1 and "no user named" in missing.stderr and "--force" in missing.stderr


def test_revoke_user_force_covers_a_name_with_no_user(stack):
    """A user removed by SQL (or by the Flask application) left tokens
    behind; --force refuses them before the name is registered again."""
    name = unique("gone")
    register(stack, name)
    old = login(stack, name)["access"]
    run_sql(stack, "DELETE FROM users WHERE username = ?", (name,))
    out = cli(stack, "revoke-user", "--force", name)
    assert out.returncode == 0, out.stderr
    assert register(stack, name).status_code == 201
    r = stack.get("/auth/whoami", headers=bearer(old))
    assert r.status_code == 401 and r.json() == REVOKED
    assert stack.get("/auth/whoami", headers=bearer(login(stack, name)["access"])).status_code == 200


def test_revoke_user_second_boundary(stack):
    """iat is whole seconds: not_before is the first second after the
    revocation; iat = not_before - 1 is refused, iat = not_before accepted."""
    name = unique("edge")
    register(stack, name)
    out = cli(stack, "revoke-user", name)
    assert out.returncode == 0, out.stderr
    ((not_before,),) = run_sql(stack, "SELECT not_before FROM authgate_user_revocations WHERE username = ?", (name,))
    assert f"iat < {not_before}" in out.stdout
    refused = forge(name, iat=not_before - 1, nbf=not_before - 1, exp=not_before + 900)
    accepted = forge(name, iat=not_before, nbf=not_before, exp=not_before + 900)
    r = stack.get("/auth/whoami", headers=bearer(refused))
    assert r.status_code == 401 and r.json() == REVOKED
    assert stack.get("/auth/whoami", headers=bearer(accepted)).status_code == 200
    # A second revoke moves it forward, never back.
    assert cli(stack, "revoke-user", name).returncode == 0
    ((later,),) = run_sql(stack, "SELECT not_before FROM authgate_user_revocations WHERE username = ?", (name,))
    assert later > not_before
    assert stack.get("/auth/whoami", headers=bearer(accepted)).status_code == 401


def test_contract_order_revocation_before_user(stack):
    """A token refused by the not-before stays token_revoked once its user is
    gone (revocation is checked before the user); a later one is user_not_found."""
    name = unique("order")
    register(stack, name)
    old = login(stack, name)["access"]
    assert cli(stack, "revoke-user", name).returncode == 0
    assert cli(stack, "delete-user", name).returncode == 0
    assert stack.get("/auth/whoami", headers=bearer(old)).json() == REVOKED
    # One issued after the delete's not-before (no user has the name now).
    ((not_before,),) = run_sql(stack, "SELECT not_before FROM authgate_user_revocations WHERE username = ?", (name,))
    later = stack.get("/auth/whoami", headers=bearer(forge(name, iat=not_before, nbf=not_before,
                                                              exp=not_before + 900)))
    assert later.json() == {"message": "User not found", "error": "user_not_found"}


@pytest.fixture
def pg_pair(postgres):
    """Two responders (each behind its own nginx) on one PostgreSQL database."""
    dbname, uri = postgres.new_database()
    a = Stack("postgres", postgres=postgres, database_uri=uri)
    b = Stack("postgres", postgres=postgres, database_uri=uri)
    a.dbname = b.dbname = dbname
    yield a, b
    a.stop()
    b.stop()


def test_revoke_user_applies_on_every_responder(pg_pair):
    a, b = pg_pair
    register(a, "everywhere")
    tokens = login(a, "everywhere")
    for s in (a, b):  # both read caches are on and hold the user
        assert eventually(lambda: "read cache on" in s.responder.log_text())
        assert s.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200
    assert cli(a, "revoke-user", "everywhere").returncode == 0
    for s in (a, b):
        assert eventually(lambda: s.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 401)
        assert s.get("/auth/whoami", headers=bearer(tokens["access"])).json() == REVOKED
    # An operator's undo straight in the table is seen too (the listener reads it again).
    run_sql(a, "DELETE FROM authgate_user_revocations WHERE username = ?", ("everywhere",))
    for s in (a, b):
        assert eventually(lambda: s.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200)


# migrate -----------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """(backend, env, folder, list_tables) for a database nothing has touched."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET}
    if request.param == "sqlite":
        path = tmp_path / "instance" / "db.sqlite"

        def tables():
            if not path.exists():
                return None
            import sqlite3
            with sqlite3.connect(path) as conn:
                return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        return "sqlite", env, str(tmp_path), tables
    pg = request.getfixturevalue("postgres")
    dbname, uri = pg.new_database()
    env["FLASK_SQLALCHEMY_DATABASE_URI"] = uri

    def tables():
        return sorted(pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", db=dbname).split())
    tables.psql = lambda sql: pg.psql(sql, db=dbname)
    return "postgres", env, str(tmp_path), tables


def test_migrate_status_dry_run_and_apply(empty_database):
    backend, env, cwd, tables = empty_database
    before = tables()
    status = run_cli("migrate", "status", cwd=cwd, env=env)
    assert status.returncode == 1, status.stderr
    assert "recorded version 0" in status.stdout and "this build 6" in status.stdout
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env)
    assert dry.returncode == 0, dry.stderr
    for table in ("users", "token_blocklist", "authgate_user_revocations", "authgate_refresh_families",
                  "authgate_username_keys", "authgate_user_groups", "authgate_mfa_totp", "authgate_mfa_recovery",
                  "authgate_mfa_webauthn"):
        assert f"CREATE TABLE IF NOT EXISTS {table}" in dry.stdout
    assert tables() == before  # nothing was created (no SQLite file either)
    assert run_cli("migrate", "status", cwd=cwd, env=env).returncode == 1
    applied = run_cli("migrate", "apply", cwd=cwd, env=env)
    assert applied.returncode == 0, applied.stderr
    assert "current" in applied.stdout
    assert {"users", "token_blocklist", "authgate_user_revocations", "authgate_refresh_families",
            "authgate_username_keys", "authgate_user_groups", "authgate_mfa_totp", "authgate_mfa_recovery",
            "authgate_mfa_webauthn"} <= set(tables())
    status = run_cli("migrate", "status", cwd=cwd, env=env)
    assert status.returncode == 0 and "recorded version 6, this build 6: current" in status.stdout
    assert "nothing to run" in run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env).stdout
    if backend == "sqlite":
        assert os.stat(os.path.join(cwd, "instance", "db.sqlite")).st_mode & 0o077 == 0


def migrated_database(postgres):
    """A new PostgreSQL database migrated by `authgate migrate apply`:
    (its name, the command's environment, a working folder)."""
    dbname, uri = postgres.new_database()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
           "FLASK_SQLALCHEMY_DATABASE_URI": uri}
    cwd = tempfile.mkdtemp(prefix="authgate-migrate-")
    assert run_cli("migrate", "apply", cwd=cwd, env=env).returncode == 0
    return dbname, env, cwd


def test_migrate_from_version_1_adds_only_the_new_tables(postgres):
    dbname, env, cwd = migrated_database(postgres)
    # What a version-1 database looks like: none of the new tables, version 1.
    postgres.psql("DROP TABLE authgate_user_revocations, authgate_refresh_families, authgate_login_failures; "
                  "UPDATE authgate_schema SET version = 1", db=dbname)
    status = run_cli("migrate", "status", cwd=cwd, env=env)
    assert status.returncode == 1 and "recorded version 1" in status.stdout
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env).stdout
    assert "authgate_user_revocations" in dry and "CREATE TRIGGER authgate_user_revocations_changed" in dry
    assert "CREATE TRIGGER authgate_users_changed" not in dry  # present already: not made again
    assert "ADD COLUMN" not in dry
    assert postgres.psql("SELECT to_regclass('authgate_user_revocations') IS NULL", db=dbname).strip() == "t"
    assert run_cli("migrate", "apply", cwd=cwd, env=env).returncode == 0
    assert run_cli("migrate", "status", cwd=cwd, env=env).returncode == 0


def test_migrate_from_version_4_adds_the_groups_table_and_its_trigger(postgres):
    dbname, env, cwd = migrated_database(postgres)
    # What a version-4 database looks like: no groups table (its trigger goes with it).
    postgres.psql("DROP TABLE authgate_user_groups; DROP FUNCTION authgate_notify_user_groups(); "
                  "UPDATE authgate_schema SET version = 4", db=dbname)
    status = run_cli("migrate", "status", cwd=cwd, env=env)
    assert status.returncode == 1 and "recorded version 4, this build 6" in status.stdout
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env).stdout
    assert "CREATE TABLE IF NOT EXISTS authgate_user_groups" in dry
    assert "CREATE TRIGGER authgate_user_groups_changed" in dry
    assert "CREATE TRIGGER authgate_users_changed" not in dry and "ADD COLUMN" not in dry
    assert run_cli("migrate", "apply", cwd=cwd, env=env).returncode == 0
    assert run_cli("migrate", "status", cwd=cwd, env=env).returncode == 0
    assert postgres.psql("SELECT count(*) FROM pg_trigger WHERE tgname = 'authgate_user_groups_changed'",
                         db=dbname).strip() == "1"


def test_migrate_from_version_5_adds_only_the_second_factor_tables(postgres):
    dbname, env, cwd = migrated_database(postgres)
    postgres.psql("DROP TABLE authgate_mfa_totp, authgate_mfa_recovery, authgate_mfa_webauthn; "
                  "UPDATE authgate_schema SET version = 5",
                  db=dbname)
    status = run_cli("migrate", "status", cwd=cwd, env=env)
    assert status.returncode == 1 and "recorded version 5, this build 6" in status.stdout
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env).stdout
    assert "CREATE TABLE IF NOT EXISTS authgate_mfa_totp" in dry
    assert "CREATE TABLE IF NOT EXISTS authgate_mfa_recovery" in dry
    assert "CREATE TABLE IF NOT EXISTS authgate_mfa_webauthn" in dry
    assert "CREATE TRIGGER" not in dry and "ADD COLUMN" not in dry
    assert run_cli("migrate", "apply", cwd=cwd, env=env).returncode == 0
    assert run_cli("migrate", "status", cwd=cwd, env=env).returncode == 0
    assert postgres.psql("SELECT to_regclass('authgate_mfa_totp') IS NOT NULL", db=dbname).strip() == "t"


def test_migrate_dry_run_on_a_flask_table_changes_no_row(postgres):
    dbname, uri = postgres.new_database()
    postgres.psql("CREATE TABLE users (id VARCHAR NOT NULL, username VARCHAR NOT NULL, email VARCHAR NOT NULL, "
                  "password TEXT NOT NULL, PRIMARY KEY (id)); "
                  "INSERT INTO users VALUES ('1', 'flask', 'f@example.com', 'pbkdf2:sha256:1000$a$b')", db=dbname)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
           "FLASK_SQLALCHEMY_DATABASE_URI": uri}
    cwd = tempfile.mkdtemp(prefix="authgate-migrate-")
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "ALTER TABLE users ADD COLUMN created_at" in dry.stdout
    columns = postgres.psql("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' "
                            "ORDER BY ordinal_position", db=dbname).split()
    assert columns == ["id", "username", "email", "password"]


PG_SCHEMA = """
SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
           || coalesce(column_default, '') || ' ' || is_nullable
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'trigger ' || tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'comment ' || obj_description(oid, 'pg_class') FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND obj_description(oid, 'pg_class') IS NOT NULL) AS s(x)
"""


def flask_database(request, backend):
    """A users table made by the Flask application (db.create_all()), with
    a user; returns (env, folder, schema(), raw bytes() or None)."""
    from flask_app import add_user, create_app
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET}
    workdir = tempfile.mkdtemp(prefix="authgate-flaskdb-")
    if backend == "sqlite":
        uri, path = "sqlite:///db.sqlite", os.path.join(workdir, "instance", "db.sqlite")
    else:
        pg = request.getfixturevalue("postgres")
        dbname, uri = pg.new_database()
        env["FLASK_SQLALCHEMY_DATABASE_URI"] = uri
        uri = uri.replace("postgresql://", "postgresql+psycopg2://")
    app = create_app(SECRET, uri, instance_path=os.path.join(workdir, "instance"))
    with app.app_context():
        app.db.create_all()
    add_user(app, "flask_user", "flask@example.com", "123456", method="pbkdf2:sha256:1000")
    with app.app_context():
        app.db.engine.dispose()  # no connection of Flask's left open
    if backend == "sqlite":
        def schema():
            import sqlite3
            with sqlite3.connect(path) as conn:
                rows = conn.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY 1, 2").fetchall()
                return rows + conn.execute("PRAGMA user_version").fetchall()

        def raw():
            with open(path, "rb") as f:
                return f.read()
        schema.run = lambda script: __import__("sqlite3").connect(path).executescript(script).connection.close()
        return env, workdir, schema, raw
    schema = lambda: pg.psql(PG_SCHEMA, db=dbname)
    schema.run = lambda script: pg.psql(script, db=dbname)
    schema.uri = env["FLASK_SQLALCHEMY_DATABASE_URI"]
    return env, workdir, schema, None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrate_dry_run_on_a_flask_table_prints_exactly_what_apply_does(request, backend):
    """Two databases the Flask application made alike: the dry run's output
    run by hand on one gives the schema `migrate apply` gives the other."""
    env_a, cwd_a, schema_a, _ = flask_database(request, backend)
    env_b, cwd_b, schema_b, _ = flask_database(request, backend)
    assert schema_a() == schema_b()
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd_a, env=env_a)
    assert dry.returncode == 0, dry.stderr
    assert "ALTER TABLE users ADD COLUMN created_at" in dry.stdout
    assert run_cli("migrate", "apply", cwd=cwd_a, env=env_a).returncode == 0
    schema_b.run(dry.stdout)
    assert schema_b() == schema_a()
    assert run_cli("migrate", "status", cwd=cwd_b, env=env_b).returncode == 0  # what it ran is a current schema


def test_migrate_status_and_dry_run_leave_a_flask_sqlite_file_as_it_was(request):
    """Not one byte changes: no table, no column, and the journal mode stays
    Flask's (a read-write open would switch the file to WAL for good)."""
    env, cwd, schema, raw = flask_database(request, "sqlite")
    before = raw()
    assert before[18:20] == b"\x01\x01"  # rollback journal, as Flask left it
    assert run_cli("migrate", "status", cwd=cwd, env=env).returncode == 1
    dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env)
    assert dry.returncode == 0, dry.stderr
    assert raw() == before
    assert not os.path.exists(os.path.join(cwd, "instance", "db.sqlite-wal"))


def test_migrate_dry_run_takes_no_exclusive_lock_on_a_flask_table(request):
    """A reader holds users (ACCESS SHARE) in an open transaction: adding a
    column would wait for it. The dry run does not: it only reads."""
    import psycopg2
    env, cwd, schema, _ = flask_database(request, "postgres")
    before = schema()
    reader = psycopg2.connect(schema.uri)
    try:
        reader.cursor().execute("SELECT count(*) FROM users")  # the transaction stays open
        dry = run_cli("migrate", "apply", "--dry-run", cwd=cwd, env=env)
        assert dry.returncode == 0, dry.stderr
        assert "ALTER TABLE users ADD COLUMN seq bigserial" in dry.stdout
        assert run_cli("migrate", "status", cwd=cwd, env=env).returncode == 1
    finally:
        reader.close()
    assert schema() == before


def test_admin_commands_on_a_database_that_is_not_migrated(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET}
    out = run_cli("revoke-user", "someone", cwd=str(tmp_path), env=env)
    assert out.returncode == 1 and "authgate migrate apply" in out.stderr
    assert not (tmp_path / "instance" / "db.sqlite").exists()


# check-config ----------------------------------------------------------------

def test_check_config_reaches_the_database(stack):
    out = cli(stack, "check-config")
    assert out.returncode == 0, out.stderr
    assert "database: reachable" in out.stdout
    assert "this build 6: current" in out.stdout


def test_check_config_unreachable_database_fails_without_the_password(tmp_path):
    held, address = refused_address()
    with held:
        uri = f"postgresql://admin:pw-in-userinfo-91@{address}/db?password=pw-in-query-37&sslmode=disable"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
               "FLASK_SQLALCHEMY_DATABASE_URI": uri}
        out = run_cli("check-config", cwd=str(tmp_path), env=env)
    assert out.returncode == 1
    assert "unreachable" in out.stdout
    text = out.stdout + out.stderr
    assert "pw-in-userinfo-91" not in text and "pw-in-query-37" not in text
    assert SECRET not in text


def test_check_config_refuses_a_uri_libpq_would_quote(tmp_path):
    """A URI libpq cannot parse would be quoted back in its error: AuthGate
    refuses it first, naming the variable (test_database_uri_secrets.py
    covers every command)."""
    uri = "postgresql://admin:bad%zzsecret-55@127.0.0.1:1/db"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
           "FLASK_SQLALCHEMY_DATABASE_URI": uri}
    out = run_cli("check-config", cwd=str(tmp_path), env=env)
    assert out.returncode == 2 and "FLASK_SQLALCHEMY_DATABASE_URI" in out.stderr
    assert "secret-55" not in out.stdout + out.stderr
