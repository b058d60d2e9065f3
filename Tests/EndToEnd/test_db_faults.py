"""The database and the read cache under faults: a PostgreSQL restart, a
change listener whose connection goes half-open, missing triggers, start-up
beside long transactions, and revocations kept for exp + leeway."""
import datetime
import os
import select
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import requests

from harness import Stack, run_sql
from helpers import bearer, eventually, forge, login, register


def log_has(stack, text):
    return text in stack.responder.log_text()


def pg_connect(postgres, dbname):
    return psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname=dbname)


def utc_text(epoch):
    """A timestamp as both databases store it (UTC, microseconds)."""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


# -- a PostgreSQL restart ----------------------------------------------------

def test_requests_after_a_database_restart_answer_normally(postgres):
    dbname, uri = postgres.new_database()
    s = Stack("postgres", postgres=postgres, database_uri=uri, env={"AUTHGATE_THREADS": "16"})
    try:
        # Warm every worker: enough parallel requests that all 16 have a
        # connection, seen from the server's side.
        with ThreadPoolExecutor(64) as pool:
            warm = list(pool.map(lambda _: requests.get(s.url + "/healthz", timeout=30).status_code, range(256)))
        assert set(warm) == {200}

        def worker_connections():
            return int(postgres.psql("SELECT count(*) FROM pg_stat_activity "
                                     f"WHERE datname = '{dbname}' AND application_name = 'authgate'").strip())
        assert eventually(lambda: worker_connections() >= 16, seconds=10), worker_connections()

        postgres.stop()
        postgres.start()

        # Nothing has run since the restart: every worker holds a dead
        # connection. Each request comes on a new HTTP connection.
        names = [f"restart{uuid.uuid4().hex[:8]}" for _ in range(16)]
        with ThreadPoolExecutor(32) as pool:
            registrations = [pool.submit(requests.post, s.url + "/auth/register", timeout=30,
                                         json={"username": n, "email": f"{n}@example.com", "password": "123456"})
                             for n in names]
            health = [pool.submit(requests.get, s.url + "/healthz", timeout=30) for _ in range(16)]
            registered = [f.result() for f in registrations]
            checked = [f.result() for f in health]
        assert [r.status_code for r in registered] == [201] * 16, [r.text for r in registered]
        assert [r.status_code for r in checked] == [200] * 16, [r.text for r in checked]
        assert all(r.json()["database"] == "ok" for r in checked)
    finally:
        s.stop()


# -- a half-open listener ----------------------------------------------------

class StallingProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL. `stall_listeners()`
    makes it stop forwarding, in both directions, every connection that
    has sent LISTEN -- AuthGate's change listener and nothing else -- while
    keeping its sockets open: a half-open connection as a dead NAT or
    firewall leaves it. The kernel still acknowledges what the listener
    sends, so TCP keepalives cannot see this; only a heartbeat can. The
    workers' connections keep working, so requests still reach the database."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.stalling = threading.Event()
        self.stalling_all = threading.Event()
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.sockets = []
        self.listeners_seen = 0
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def stall_listeners(self):
        self.stalling.set()

    def stall_all(self):
        """Every connection that sends anything from now on stalls: a
        server that accepts bytes and never answers."""
        self.stalling_all.set()

    def forward_new_listeners(self):
        """Connections stalled so far stay stalled; new ones are forwarded."""
        self.stalling.clear()

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            t = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            t.start()
            self.threads.append(t)

    def _pump(self, client, upstream):
        listener = stalled = False
        while not self.closed.is_set():
            if stalled:
                time.sleep(0.1)  # read nothing, forward nothing, close nothing
                continue
            ready, _, _ = select.select([client, upstream], [], [], 0.2)
            for sock in ready:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    client.close()
                    upstream.close()
                    return
                if sock is client and b"LISTEN " in data and not listener:
                    listener = True
                    with self.lock:
                        self.listeners_seen += 1
                if (listener and self.stalling.is_set()) or self.stalling_all.is_set():
                    stalled = True
                    break
                (upstream if sock is client else client).sendall(data)

    def close(self):
        self.closed.set()
        self.server.close()
        for t in self.threads:
            t.join(timeout=5)
        with self.lock:
            for sock in self.sockets:
                sock.close()


def test_cache_turns_off_within_5_s_when_its_listener_goes_half_open(postgres):
    dbname, direct_uri = postgres.new_database()
    proxy = StallingProxy(postgres.port)
    stacks = []
    try:
        a = Stack("postgres", postgres=postgres, database_uri=f"postgresql://postgres@127.0.0.1:{proxy.port}/{dbname}")
        stacks.append(a)
        b = Stack("postgres", postgres=postgres, database_uri=direct_uri)
        stacks.append(b)
        register(b, "halfopen")
        tokens = login(b, "halfopen")
        assert eventually(lambda: log_has(a, "read cache on"), seconds=10)
        listeners_before = proxy.listeners_seen
        assert listeners_before >= 1  # a's listener really goes through the proxy
        # a answers from its cache now (the user and the revocation set).
        assert a.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200

        proxy.stall_listeners()
        stalled_at = time.monotonic()
        # Revoked through another process, straight on the database: a
        # learns of it only through its (now silent) listener or the database.
        assert b.post("/auth/logout", headers=bearer(tokens["access"])).status_code == 200
        refused = eventually(lambda: a.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 401,
                             seconds=5 - (time.monotonic() - stalled_at))
        took = time.monotonic() - stalled_at
        # A bound that is the requirement itself (the cache off within 5 s of
        # losing the listener); the design takes about 3 s (a 1 s heartbeat
        # answered within 2 s), the rest is slack.
        assert refused, "a still accepts a token revoked 5 s ago: its cache stayed on behind a half-open listener"
        assert took <= 5.0
        r = a.get("/auth/whoami", headers=bearer(tokens["access"]))
        assert r.status_code == 401 and r.json()["error"] == "token_revoked"
        assert log_has(a, "read cache off: listener lost")
        print(f"cache off and revocation seen {took:.2f} s after the listener went half-open")

        # While stalled, a new listener cannot get through either: still off.
        assert eventually(lambda: proxy.listeners_seen > listeners_before, seconds=10)
        assert a.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 401
        # Once the path works again the cache comes back on, with the revocation.
        proxy.forward_new_listeners()
        assert eventually(lambda: a.responder.log_text().count("read cache on") >= 2, seconds=15)
        r = a.get("/auth/whoami", headers=bearer(tokens["access"]))
        assert r.status_code == 401 and r.json()["error"] == "token_revoked"
    finally:
        for s in stacks:
            s.stop()
        proxy.close()


@pytest.mark.slow
def test_a_silent_database_holds_no_worker_past_the_statement_deadline(postgres):
    """A database that takes the bytes and never answers (TCP sees nothing
    wrong): each request that needs it is a JSON 503 within the 5 s
    statement deadline (plus one reconnect's 3 s), not a hung worker."""
    dbname, _ = postgres.new_database()
    proxy = StallingProxy(postgres.port)
    s = None
    try:
        s = Stack("postgres", postgres=postgres, database_uri=f"postgresql://postgres@127.0.0.1:{proxy.port}/{dbname}",
                  env={"AUTHGATE_THREADS": "2"})
        assert s.get("/healthz").status_code == 200
        proxy.stall_all()
        for round_ in range(2):  # the second round finds the workers free again
            started = time.monotonic()
            answers = []

            def probe():
                answers.append(s.http.get(s.url + "/healthz", timeout=60))

            probes = [threading.Thread(target=probe) for _ in range(2)]  # one per worker thread
            for t in probes:
                t.start()
            for t in probes:
                t.join(60)
            took = time.monotonic() - started
            assert [r.status_code for r in answers] == [503, 503], [r.text for r in answers]
            assert all(r.json()["error"] == "Service unavailable" for r in answers)
            # A 5 s deadline, then one reconnect bounded by its 3 s connect
            # timeout: a hung worker would hold its probe for the full 60 s.
            assert took < 15, (round_, took)
        assert "no answer from the server within 5" in s.responder.log_text()
    finally:
        if s:
            s.stop()
        proxy.close()


def test_cache_stays_off_while_its_triggers_are_missing(postgres):
    dbname, uri = postgres.new_database()
    s = Stack("postgres", postgres=postgres, database_uri=uri)
    s.dbname = dbname
    try:
        register(s, "untriggered")
        token = login(s, "untriggered")["access"]
        assert eventually(lambda: log_has(s, "read cache on"), seconds=10)
        run_sql(s, "DROP TRIGGER authgate_users_changed ON users")
        # The listener reconnects, finds a trigger missing and keeps the cache off.
        run_sql(s, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE datname = ? AND application_name = 'authgate-listener'", (dbname,))
        assert eventually(lambda: log_has(s, "read cache stays off"), seconds=10)
        assert s.get("/auth/whoami", headers=bearer(token)).status_code == 200  # would be cached if on
        # No trigger, so no notification: only a read from the database sees this.
        run_sql(s, "DELETE FROM users WHERE username = ?", ("untriggered",))
        r = s.get("/auth/whoami", headers=bearer(token))
        assert r.status_code == 401 and r.json()["error"] == "user_not_found"
    finally:
        s.stop()


# -- revocations live until exp + leeway ---------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_revocation_is_kept_until_exp_plus_leeway(make_stack, backend):
    s = make_stack(backend, env={"FLASK_JWT_DECODE_LEEWAY": "300"})
    register(s, "leeway")
    now = int(time.time())
    jti = str(uuid.uuid4())
    token = forge("leeway", exp=now + 2, jti=jti)
    assert s.post("/auth/logout", headers=bearer(token)).status_code == 200
    # A revocation already past exp + leeway: the purge must remove this one.
    stale = str(uuid.uuid4())
    run_sql(s, "INSERT INTO token_blocklist (jti, type, created_at, expires_at) VALUES (?, 'access', ?, ?)",
            (stale, utc_text(now - 4000), utc_text(now - 3600)))
    time.sleep(max(0.0, now + 3 - time.time()))  # the token is now expired, but within the leeway
    r = s.get("/auth/whoami", headers=bearer(token))
    assert r.status_code == 401 and r.json()["error"] == "token_revoked"

    # A restart purges at once and (PostgreSQL) reloads the cache from the table.
    s.responder.stop()
    s.responder.start()

    def stale_purged():
        return not run_sql(s, "SELECT 1 FROM token_blocklist WHERE jti = ?", (stale,))
    assert eventually(stale_purged, seconds=15), "the purge did not run"
    assert run_sql(s, "SELECT 1 FROM token_blocklist WHERE jti = ?", (jti,))
    r = s.get("/auth/whoami", headers=bearer(token))
    assert r.status_code == 401 and r.json()["error"] == "token_revoked"


# -- start-up beside long transactions -----------------------------------------

def login_within(stack, username, seconds):
    try:
        return stack.post("/auth/login", json={"username": username, "password": "123456"}, timeout=seconds)
    except requests.exceptions.Timeout:
        pytest.fail(f"no login answer within {seconds} s: start-up is stuck")


def test_start_with_a_current_schema_takes_no_lock_on_users(postgres):
    dbname, uri = postgres.new_database()
    first = Stack("postgres", postgres=postgres, database_uri=uri)
    register(first, "early")
    first.stop()
    holder = pg_connect(postgres, dbname)
    second = None
    try:
        # As pg_dump or a long report holds it.
        holder.cursor().execute("LOCK TABLE users IN ACCESS SHARE MODE")
        second = Stack("postgres", postgres=postgres, database_uri=uri)
        r = login_within(second, "early", 10)
        assert r.status_code == 200, r.text
        assert log_has(second, "database schema is current")
    finally:
        holder.rollback()
        holder.close()
        if second:
            second.stop()


def test_a_needed_migration_waits_under_lock_timeout_and_retries(postgres):
    dbname, uri = postgres.new_database()
    first = Stack("postgres", postgres=postgres, database_uri=uri)
    register(first, "older")
    first.stop()
    # As a database an AuthGate without schema versions left behind.
    postgres.psql("DROP TABLE authgate_schema; DROP TRIGGER authgate_users_changed ON users", db=dbname)
    holder = pg_connect(postgres, dbname)
    holder.cursor().execute("LOCK TABLE users IN ROW EXCLUSIVE MODE")  # a long write transaction
    workdir = tempfile.mkdtemp(prefix="authgate-run-")
    log = os.path.join(workdir, "authgate.log")
    waited = threading.Event()

    def release_once_waiting():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(log) and "migration is waiting for a lock" in open(log, errors="replace").read():
                waited.set()
                break
            time.sleep(0.05)
        holder.rollback()

    releaser = threading.Thread(target=release_once_waiting)
    releaser.start()
    second = None
    try:
        second = Stack("postgres", postgres=postgres, database_uri=uri, workdir=workdir)
        r = login_within(second, "older", 30)
        assert r.status_code == 200, r.text
    finally:
        releaser.join(timeout=35)
        holder.close()
        if second:
            second.stop()
    assert waited.is_set(), "the migration never reported waiting on the lock"
    assert postgres.psql("SELECT version FROM authgate_schema", db=dbname).strip() == "6"
    assert postgres.psql("SELECT count(*) FROM pg_trigger WHERE tgname = 'authgate_users_changed'",
                         db=dbname).strip() == "1"


def test_sqlite_start_with_a_current_schema_is_not_held_up_by_a_writer():
    workdir = tempfile.mkdtemp(prefix="authgate-run-")
    first = Stack("sqlite", workdir=workdir)
    register(first, "lite")
    first.stop()
    writer = sqlite3.connect(os.path.join(workdir, "instance", "db.sqlite"), isolation_level=None)
    second = None
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock
        second = Stack("sqlite", workdir=workdir)
        r = login_within(second, "lite", 10)
        assert r.status_code == 200, r.text
        assert log_has(second, "database schema is current")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        if second:
            second.stop()
