"""Real processes for end-to-end tests: a throwaway PostgreSQL cluster,
AuthGate responders and nginx with the project's own nginx.conf, each on a
free loopback port, each stopped (with its process group) on teardown."""
import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("AUTHGATE_BIN", os.path.join(ROOT, ".build", "debug", "authgate"))
SECRET = "e2e-" + uuid.uuid4().hex


# Every process started here, so none outlives the run: stopped by its
# owner normally, and by this at interpreter exit whatever happened.
_started = []


def _stop_all():
    for proc in reversed(_started):
        stop_process(proc, signal.SIGKILL, timeout=5)


atexit.register(_stop_all)


def start(cmd, **kw):
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    _started.append(proc)
    return proc


def started_or_stopped(proc, port):
    """Waits for `port`; a process that never listens is stopped, not leaked."""
    try:
        wait_for_port(port, proc=proc)
    except Exception:
        stop_process(proc, signal.SIGKILL)
        raise


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} not listening")


def wait_for_unix_socket(path, timeout=20.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(path)
                return
            except OSError:
                time.sleep(0.05)
    raise TimeoutError(f"{path} not listening")


def stop_process(proc, sig=signal.SIGTERM, timeout=10.0):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def pg_bindir():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    if out.returncode == 0 and os.path.exists(os.path.join(out.stdout.strip(), "initdb")):
        return out.stdout.strip()
    for version in ("17", "16", "15"):
        d = f"/usr/lib/postgresql/{version}/bin"
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    raise RuntimeError("initdb not found")


class Postgres:
    """A cluster in a temp dir owned by `postgres` (it refuses root)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="authgate-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.bindir = pg_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        atexit.register(self.destroy)
        self._run("initdb", "-D", self.data, "-E", "UTF8", "--locale=C", "-A", "trust", "-U", "postgres")
        self.start()

    def _cmd(self, *args):
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def _run(self, *args):
        subprocess.run(self._cmd(*args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")

    def start(self):
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off",
                  "start")

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def psql(self, sql, db="postgres"):
        out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                              "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout

    def new_database(self):
        name = "ag_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name}")
        return name, f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self):
        if not os.path.exists(self.dir):
            return
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


# nginx.conf's upstream, and the group of its `user` (its workers).
UPSTREAM = "server unix:/run/authgate/authgate.sock;"
NGINX_GROUP = "www-data"


def socket_dir():
    """A folder laid out as `make run` and deploy/ lay out /run/authgate:
    mode 2750, group www-data, so a socket made in it gets nginx's group.
    Its parent (returned first; the caller removes it) lets nginx traverse."""
    parent = tempfile.mkdtemp(prefix="authgate-sock-")
    os.chmod(parent, 0o755)
    folder = os.path.join(parent, "authgate")
    subprocess.run(["install", "-d", "-m", "2750", "-g", NGINX_GROUP, folder], check=True)
    return parent, folder


def connect_as(user, path):
    """Connects to the unix socket `path` as local `user`: "ok" or the errno name."""
    code = ("import errno, socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "try:\n    s.connect(sys.argv[1]); print('ok')\n"
            "except OSError as e:\n    print(errno.errorcode.get(e.errno, e.errno))\n")
    out = subprocess.run(["runuser", "-u", user, "--", "/usr/bin/python3", "-c", code, path],
                         capture_output=True, text=True, timeout=30, cwd="/")
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def nginx_config(http_port, upstreams, source=None, replace=None):
    """A project nginx configuration with only its addresses changed: the
    listen port, and either the single upstream server or `replace` pairs."""
    text = open(source or os.path.join(ROOT, "nginx.conf")).read()
    assert "listen 127.0.0.1:8080;" in text
    text = text.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{http_port};")
    if replace:
        for old, new in replace.items():
            assert old in text
            text = text.replace(old, new)
        return text
    assert UPSTREAM in text
    servers = "\n        ".join(f"server {u};" for u in upstreams)
    return text.replace(UPSTREAM, servers)


class Nginx:
    def __init__(self, upstreams, edit=lambda text: text, source=None, replace=None):
        self.dir = tempfile.mkdtemp(prefix="authgate-nginx-")
        os.chmod(self.dir, 0o755)  # nginx workers run as www-data
        self.port = free_port()
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(edit(nginx_config(self.port, upstreams, source, replace)))
        self.proc = start(["nginx", "-p", self.dir + "/", "-c", self.conf, "-e", "stderr", "-g", "daemon off;"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started_or_stopped(self.proc, self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop_process(self.proc, signal.SIGQUIT)
        shutil.rmtree(self.dir, ignore_errors=True)


class Responder:
    """One `authgate serve` process in its own working directory, on a free
    loopback port or on the unix socket `unix_socket`."""

    def __init__(self, database_uri=None, env=None, workdir=None, unix_socket=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="authgate-run-")
        self.port = free_port()
        self.unix_socket = unix_socket
        listen = f"unix:{unix_socket}" if unix_socket else f"127.0.0.1:{self.port}"
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
                    "AUTHGATE_LISTEN": listen}
        if database_uri:
            self.env["FLASK_SQLALCHEMY_DATABASE_URI"] = database_uri
        self.env.update(env or {})
        self.log = os.path.join(self.dir, "authgate.log")
        self.start()

    def start(self):
        self.logfile = open(self.log, "ab")
        self.proc = start([BINARY, "serve"], cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL,
                          stdout=self.logfile, stderr=subprocess.STDOUT)
        if self.unix_socket:
            try:
                wait_for_unix_socket(self.unix_socket, proc=self.proc)
            except Exception:
                stop_process(self.proc, signal.SIGKILL)
                raise
        else:
            started_or_stopped(self.proc, self.port)

    @property
    def address(self):
        return f"unix:{self.unix_socket}" if self.unix_socket else f"127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        stop_process(self.proc, sig)
        self.logfile.close()

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Stack:
    """AuthGate behind nginx on one database: what a client sees."""

    def __init__(self, backend, postgres=None, env=None, database_uri=None, workdir=None):
        self.backend = backend
        self.postgres = postgres
        if database_uri is None and backend == "postgres":
            self.dbname, database_uri = postgres.new_database()
        self.responder = Responder(database_uri, env=env, workdir=workdir)
        try:
            self.nginx = Nginx([self.responder.address])
        except Exception:
            self.responder.stop()
            raise
        self.url = self.nginx.url
        self.http = requests.Session()

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.get(self.url + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.post(self.url + path, **kw)

    def stop(self):
        self.nginx.stop()
        self.responder.stop()


def run_sql(stack, sql, params=()):
    """Reads or changes the stack's database directly (not through AuthGate)."""
    if stack.backend == "sqlite":
        import sqlite3
        path = os.path.join(stack.responder.dir, "instance", "db.sqlite")
        with sqlite3.connect(path) as conn:
            rows = conn.execute(sql, params).fetchall()
        conn.close()
        return rows
    import psycopg2
    conn = psycopg2.connect(host="127.0.0.1", port=stack.postgres.port, user="postgres", dbname=stack.dbname)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()
