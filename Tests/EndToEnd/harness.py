"""Real processes for end-to-end tests: a throwaway PostgreSQL cluster,
AuthGate responders and nginx with the project's own nginx.conf, each
stopped (with its process group) on teardown.

Every listener owns its address: a responder behind a Stack listens on a
unix socket in a folder of its own; whatever listens on TCP is started on
a candidate loopback port and, when another process took that port first
("Address already in use"), started again on another one (`on_free_port`),
so a port race cannot fail a test. Readiness is what the process itself
reports (a log line, nginx's pid file, pg_ctl -w), never a probe connect
that could reach someone else's listener."""
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

from secrets_scan import SESSION as LEAKS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("AUTHGATE_BIN", os.path.join(ROOT, ".build", "debug", "authgate"))
SECRET = "e2e-" + uuid.uuid4().hex
# Settings every responder started here gets unless its env sets them
# (conftest.py: debug logging and SQL echo, for the secrets scan).
DEFAULT_RESPONDER_ENV = {}


# Every process started here, so none outlives the run: stopped by its
# owner normally, and by this at interpreter exit whatever happened.
_started = []


def _stop_all():
    for proc in reversed(_started):
        stop_process(proc, signal.SIGKILL, timeout=5)


atexit.register(_stop_all)


def _default_signals():
    """What a terminal gives a job it starts: a test run launched as a
    background job inherits SIGINT and SIGQUIT ignored, and an ignored
    signal stays ignored across exec, so Ctrl-C tests would test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def start(cmd, **kw):
    kw.setdefault("preexec_fn", _default_signals)
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    _started.append(proc)
    return proc


# What libfcgi, nginx, spawn-fcgi and PostgreSQL all say when a port is taken.
PORT_IN_USE = "Address already in use"
# Candidate ports tried before giving up; each try is one start-up.
PORT_ATTEMPTS = 8


class PortTaken(RuntimeError):
    """Another process held the candidate port: try another one."""


def free_port():
    """A loopback port that was free a moment ago: only a candidate, another
    process may take it before ours binds it. Start listeners on it through
    `on_free_port`, which retries."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_free_port(start_on, attempts=PORT_ATTEMPTS):
    """`start_on(port)` with candidate ports until one was not taken
    (`start_on` raises PortTaken); returns what it returns."""
    for _ in range(attempts):
        try:
            return start_on(free_port())
        except PortTaken:
            continue
    raise RuntimeError(f"{attempts} candidate ports in a row were taken")


def refused_address():
    """A loopback TCP address where nothing listens, held so for as long as
    the returned socket is open: bound, never listening, so connecting is
    refused, and no other process can start listening there meanwhile."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, "127.0.0.1:%d" % sock.getsockname()[1]


def log_size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def log_since(path, offset=0):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_for_log(proc, path, *needles, offset=0, timeout=20.0):
    """Waits for a line of the log `path` (written after `offset`) holding
    every needle: what a process reports once it is ready. One that exits
    first raises PortTaken when its address was taken, else RuntimeError."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_since(path, offset)
        if any(all(n in line for n in needles) for line in text.splitlines()):
            return
        if proc.poll() is not None:
            text = log_since(path, offset)
            error = PortTaken if PORT_IN_USE in text else RuntimeError
            raise error(f"process exited with {proc.returncode} before logging {needles}:\n{text[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {needles} in {path} within {timeout} s:\n{text[-3000:]}")
        time.sleep(0.05)


def start_logged(cmd, log, ready, **kw):
    """Starts `cmd` with stdout and stderr appended to `log` and waits for
    a line holding every string of `ready`; one that fails to start is
    stopped, not leaked."""
    if "env" in kw:
        kw["env"] = {**DEFAULT_RESPONDER_ENV, **kw["env"]}
        LEAKS.add_environment(kw["env"])
    offset = log_size(log)
    with open(log, "ab") as out:
        LEAKS.watch_log(log)
        proc = start(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, **kw)
    try:
        wait_for_log(proc, log, *ready, offset=offset)
    except BaseException:
        stop_process(proc, signal.SIGKILL)
        raise
    return proc


def listening_needles(listen):
    """What AuthGate's JSON log line says once it listens on `listen`."""
    return (f'"address":"{listen}"', '"msg":"listening"')


def serve_on_tcp(cmd, env, log, port=None, **kw):
    """Starts AuthGate (`cmd`: serve, serve --supervise) on a loopback TCP
    port: ready once it logs that it listens there. Without `port`, on a
    candidate port, another one when it was taken. Returns (proc, port)."""
    def start_on(candidate):
        listen = f"127.0.0.1:{candidate}"
        proc = start_logged(cmd, log, listening_needles(listen),
                            env={**env, "AUTHGATE_LISTEN": listen}, **kw)
        return proc, candidate
    return on_free_port(start_on) if port is None else start_on(port)


def on_same_port(start_on, port, what):
    """A restart on the port clients know, which was this process's a
    moment ago: waits out a transient holder (a client's ephemeral port),
    bounded in tries and time."""
    for _ in range(PORT_ATTEMPTS):
        try:
            return start_on(port)
        except PortTaken:
            time.sleep(1)
    raise RuntimeError(f"{what}: port {port} stayed taken for {PORT_ATTEMPTS} tries")


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

    def __init__(self, listen_addresses=("127.0.0.1",), hba=()):
        """`listen_addresses` and `hba` (pg_hba.conf lines added) let hosts
        in network namespaces of their own reach it (test_two_hosts.py)."""
        self.dir = tempfile.mkdtemp(prefix="authgate-pg-")
        self.listen_addresses = ",".join(listen_addresses)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")
        self.port = None
        self.bindir = pg_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        atexit.register(self.destroy)
        self._run("initdb", "-D", self.data, "-E", "UTF8", "--locale=C", "-A", "trust", "-U", "postgres")
        if hba:
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
                f.write("".join(line + "\n" for line in hba))
        self.start()

    def _cmd(self, *args):
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def _run(self, *args):
        subprocess.run(self._cmd(*args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")

    def start(self):
        """The first start takes a port nobody holds; a restart keeps its
        port (databases' URIs name it)."""
        if self.port is None:
            self.port = on_free_port(self._start_on)
        else:
            on_same_port(self._start_on, self.port, "PostgreSQL restart")

    def _start_on(self, port):
        offset = log_size(self.log)
        try:
            self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o",
                      f"-p {port} -k {self.dir} -c listen_addresses={self.listen_addresses} -c max_connections=200 -c fsync=off",
                      "start")
        except subprocess.CalledProcessError as e:
            text = log_since(self.log, offset)
            raise (PortTaken if PORT_IN_USE in text else RuntimeError)(
                f"pg_ctl start on port {port} failed: {e.stderr!r}\n{text[-3000:]}") from None
        return port

    def pid(self):
        """The postmaster's pid."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

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
# nginx.conf's loopback-only metrics server.
METRICS_LISTEN = "listen 127.0.0.1:9145;"
NGINX_GROUP = "www-data"


def private_socket_dir():
    """A folder for a responder's unix socket that nginx's workers may
    reach (the layout of socket_dir() as root; as another user nginx's
    workers are that user). Returns (parent to remove, folder)."""
    if os.geteuid() == 0:
        return socket_dir()
    parent = tempfile.mkdtemp(prefix="authgate-sock-")
    folder = os.path.join(parent, "authgate")
    os.mkdir(folder, 0o700)
    return parent, folder


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


def nginx_config(http_port, upstreams, source=None, replace=None, metrics_port=None):
    """A project nginx configuration with only its addresses changed: the
    listen ports (the metrics server's too, where it has one), and either
    the single upstream server or `replace` pairs."""
    text = open(source or os.path.join(ROOT, "nginx.conf")).read()
    assert "listen 127.0.0.1:8080;" in text
    text = text.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{http_port};")
    if metrics_port is not None:
        text = text.replace(METRICS_LISTEN, f"listen 127.0.0.1:{metrics_port};")
    if replace:
        for old, new in replace.items():
            assert old in text
            text = text.replace(old, new)
        return text
    assert UPSTREAM in text
    servers = "\n        ".join(f"server {u};" for u in upstreams)
    return text.replace(UPSTREAM, servers)


class Nginx:
    """nginx on a loopback port of its own: nginx cannot report a port 0,
    so it is started on a candidate port and again on another one when
    that was taken."""

    def __init__(self, upstreams, edit=lambda text: text, source=None, replace=None, prefix=()):
        """`prefix`: a command that runs nginx (`ip netns exec NAME`)."""
        self.prefix = list(prefix)
        self.dir = tempfile.mkdtemp(prefix="authgate-nginx-")
        os.chmod(self.dir, 0o755)  # nginx workers run as www-data
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.stderr = os.path.join(self.dir, "stderr.log")
        # nginx.conf's access log (relative to the prefix, this folder).
        self.access_log = os.path.join(self.dir, "access.log")

        def config(port):
            # A candidate for the metrics server too: a start that finds
            # either port taken is made again on two others.
            self.metrics_port = free_port()
            return edit(nginx_config(port, upstreams, source, replace, metrics_port=self.metrics_port))
        try:
            self.proc, self.port = on_free_port(lambda port: self._start_on(port, config(port)))
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        LEAKS.watch_logs_in(self.dir)
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}"

    def _start_on(self, port, text):
        # nginx writes its pid file once it listens (after every bind).
        assert "pid nginx.pid;" in text
        pidfile = os.path.join(self.dir, "nginx.pid")
        with open(self.conf, "w") as f:
            f.write(text)
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        offset = log_size(self.stderr)
        with open(self.stderr, "ab") as err:
            proc = start([*self.prefix, "nginx", "-p", self.dir + "/", "-c", self.conf, "-e", "stderr", "-g", "daemon off;"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 20
        while not (os.path.exists(pidfile) and os.path.getsize(pidfile) > 0):
            if proc.poll() is not None:
                text = log_since(self.stderr, offset)
                raise (PortTaken if PORT_IN_USE in text else RuntimeError)(
                    f"nginx exited with {proc.returncode}:\n{text[-3000:]}")
            if time.monotonic() > deadline:
                stop_process(proc, signal.SIGKILL)
                raise TimeoutError(f"nginx wrote no pid file within 20 s:\n{log_since(self.stderr, offset)[-3000:]}")
            time.sleep(0.05)
        return proc, port

    def stop(self):
        stop_process(self.proc, signal.SIGQUIT)
        LEAKS.watch_logs_in(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)


class Responder:
    """One `authgate serve` process in its own working directory, on the
    unix socket `unix_socket` or else on a loopback TCP port of its own
    (kept across restarts: nginx knows it). Ready once it logs that it
    listens, which it does after setting a unix socket's mode."""

    def __init__(self, database_uri=None, env=None, workdir=None, unix_socket=None, prefix=()):
        """`prefix`: a command that runs it (`ip netns exec NAME`)."""
        self.prefix = list(prefix)
        self.dir = workdir or tempfile.mkdtemp(prefix="authgate-run-")
        self.port = None
        self.unix_socket = unix_socket
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET}
        if unix_socket:
            self.env["AUTHGATE_LISTEN"] = f"unix:{unix_socket}"
        if database_uri:
            self.env["FLASK_SQLALCHEMY_DATABASE_URI"] = database_uri
        self.env.update(env or {})
        self.log = os.path.join(self.dir, "authgate.log")
        self.start()

    def start(self):
        cmd, kw = [*self.prefix, BINARY, "serve"], {"cwd": self.dir}
        if self.unix_socket:
            self.proc = start_logged(cmd, self.log, listening_needles(self.env['AUTHGATE_LISTEN']),
                                     env=self.env, **kw)
            return
        start_on = lambda port: serve_on_tcp(cmd, self.env, self.log, port=port, **kw)
        if self.port is None:
            self.proc, self.port = on_free_port(start_on)
        else:
            self.proc, _ = on_same_port(start_on, self.port, "responder restart")
        self.env["AUTHGATE_LISTEN"] = f"127.0.0.1:{self.port}"

    @property
    def address(self):
        return f"unix:{self.unix_socket}" if self.unix_socket else f"127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        stop_process(self.proc, sig)

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Stack:
    """AuthGate behind nginx on one database: what a client sees."""

    def __init__(self, backend, postgres=None, env=None, database_uri=None, workdir=None, nginx_edit=None):
        """`nginx_edit`: a change to the project's nginx.conf (a recipe's
        include lines), as `Nginx(edit=...)` takes it."""
        self.backend = backend
        self.postgres = postgres
        if database_uri is None and backend == "postgres":
            self.dbname, database_uri = postgres.new_database()
        elif backend == "postgres":
            self.dbname = database_uri.rsplit("/", 1)[1]
        # The shipped layout: nginx reaches the responder on a unix socket
        # in a folder of its own (no port to race for).
        self.socket_parent, folder = private_socket_dir()
        try:
            self.responder = Responder(database_uri, env=env, workdir=workdir,
                                       unix_socket=os.path.join(folder, "authgate.sock"))
        except BaseException:
            shutil.rmtree(self.socket_parent, ignore_errors=True)
            raise
        try:
            self.nginx = Nginx([self.responder.address], edit=nginx_edit or (lambda text: text))
        except BaseException:
            self.responder.stop()
            shutil.rmtree(self.socket_parent, ignore_errors=True)
            raise
        self.url = self.nginx.url
        self.http = requests.Session()

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.get(self.url + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.post(self.url + path, **kw)

    def delete(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.delete(self.url + path, **kw)

    def stop(self):
        self.nginx.stop()
        self.responder.stop()
        shutil.rmtree(self.socket_parent, ignore_errors=True)


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
