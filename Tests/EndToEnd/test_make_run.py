"""`make run` (scripts/run.sh) for real, in a copy of the project: Ctrl-C
(SIGINT to the whole process group, as a terminal sends it) or SIGTERM to
the group stops AuthGate and nginx every time and exits 0, and the next run
works; only nginx's workers can reach the FastCGI socket; .env is 0600."""
import grp
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest
import requests

from harness import (BINARY, NGINX_GROUP, PORT_ATTEMPTS, PORT_IN_USE, ROOT, connect_as, free_port, start,
                     stop_process)

# How long the load runs between reloads: a duration, not a wait for an
# event (the load itself records every answer). Reloads land at random
# points of the requests in flight.
LOAD_PHASE = 1.5

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="the socket layout and other users need root")]


@pytest.fixture
def project():
    """run.sh, nginx.conf and the Makefile in a throwaway folder: .env,
    .run/ and instance/ are its own."""
    root = tempfile.mkdtemp(prefix="authgate-make-run-")
    os.chmod(root, 0o755)  # nginx's workers (www-data) reach the socket below it
    os.mkdir(os.path.join(root, "scripts"))
    shutil.copy2(os.path.join(ROOT, "scripts", "run.sh"), os.path.join(root, "scripts"))
    for name in ("nginx.conf", "Makefile"):
        shutil.copy2(os.path.join(ROOT, name), root)
    yield root
    shutil.rmtree(root, ignore_errors=True)


class Run:
    """run.sh (or `make run`) in its own process group, as a terminal runs
    it, on candidate ports: `serving()` starts it again on others when
    nginx (or a TCP AuthGate, `tcp=True`) found its port taken."""

    def __init__(self, project, command=("scripts/run.sh",), tcp=False, **env):
        self.project, self.command, self.tcp, self.extra_env = project, command, tcp, env
        self.sock_dir = os.path.join(project, "sock")
        self.log = os.path.join(project, "run.log")
        self._start()

    def _start(self):
        self.port = free_port()
        self.env = {"PATH": os.environ["PATH"], "AUTHGATE_BIN": BINARY, "AUTHGATE_HTTP_PORT": str(self.port),
                    "AUTHGATE_METRICS_PORT": str(free_port()), "AUTHGATE_SOCKET_DIR": self.sock_dir,
                    **self.extra_env}
        if self.tcp:
            self.env["AUTHGATE_LISTEN"] = f"127.0.0.1:{free_port()}"
        self.offset = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        with open(self.log, "ab") as log:
            self.proc = start(list(self.command), cwd=self.project, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=log, stderr=subprocess.STDOUT)
        self.pgid = self.proc.pid  # start() makes it a session and group leader

    def output(self):
        """What this run (the last start) wrote."""
        with open(self.log, "rb") as f:
            f.seek(self.offset)
            return f.read().decode("utf-8", "replace")

    def serving(self, timeout=60):
        """Waits until it serves; a start that failed only because a port
        was taken is made again on other ports (bounded). Returns self."""
        for _ in range(PORT_ATTEMPTS):
            try:
                self.wait_serving(timeout)
                return self
            except AssertionError:
                if self.proc.poll() is None or PORT_IN_USE not in self.output():
                    raise
                assert group_members(self.pgid) == [], self.output()
                self._start()
        raise AssertionError(f"{PORT_ATTEMPTS} candidate ports in a row were taken:\n{self.output()}")

    def nginx_is_ours(self):
        """nginx wrote its pid file (it listens) and is of this run: the
        port answers for us, not for whoever else may hold it."""
        try:
            with open(os.path.join(self.project, ".run", "nginx", "nginx.pid")) as f:
                return os.getpgid(int(f.read())) == self.pgid
        except (OSError, ValueError):
            return False

    def wait_serving(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"run.sh exited {self.proc.returncode}:\n{self.output()}"
            if not self.nginx_is_ours():
                time.sleep(0.1)
                continue
            try:
                r = requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
                if r.status_code == 200:
                    return r
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"not serving within {timeout} s:\n{self.output()}")

    def authgate_pid(self):
        with open(os.path.join(self.project, ".run", "authgate.pid")) as f:
            return int(f.read())

    def signal_group(self, sig, timeout=60):
        os.killpg(self.pgid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop_process(self.proc, signal.SIGKILL)
            raise AssertionError(f"run.sh still running {timeout} s after {sig!r}:\n{self.output()}")


def group_members(pgid):
    """Processes still in the process group (run.sh's children stay in it)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def assert_all_stopped(run):
    # nginx and AuthGate were in the group: none left means their ports are
    # closed. (Connecting to the port to see it refused could reach
    # another process that took the port since.)
    assert group_members(run.pgid) == [], run.output()
    assert not os.path.exists(os.path.join(run.project, ".run", "authgate.pid"))
    assert not os.path.exists(os.path.join(run.sock_dir, "authgate.sock"))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_signal_to_the_group_stops_everything_and_exits_0_three_times(project, sig):
    env_file = os.path.join(project, ".env")
    for attempt in range(3):
        if attempt == 1:
            os.chmod(env_file, 0o644)  # run.sh tightens a .env others can read
        run = Run(project).serving()
        # .env: written on the first run with a fresh secret, never readable by others.
        assert mode(env_file) == 0o600
        pid = run.authgate_pid()
        assert os.readlink(f"/proc/{pid}/exe") == os.path.realpath(BINARY)
        assert os.getpgid(pid) == run.pgid
        assert run.signal_group(sig) == 0, run.output()
        assert_all_stopped(run)
    with open(env_file) as f:
        assert f.read().count("FLASK_SECRET_KEY=") == 1


def test_only_nginx_workers_reach_the_socket(project):
    run = Run(project).serving()  # through nginx: its workers (www-data) connect
    try:
        sock = os.path.join(run.sock_dir, "authgate.sock")
        www = grp.getgrnam(NGINX_GROUP).gr_gid
        assert mode(run.sock_dir) == 0o2750 and os.stat(run.sock_dir).st_gid == www
        assert stat.S_ISSOCK(os.stat(sock).st_mode)
        assert mode(sock) == 0o660 and os.stat(sock).st_gid == www
        assert connect_as("www-data", sock) == "ok"
        assert connect_as("nobody", sock) == "EACCES"
        # A second run in the same folder refuses and leaves the first alone.
        again = subprocess.run(["scripts/run.sh"], cwd=project, env=run.env, capture_output=True, text=True,
                               timeout=60)
        assert again.returncode == 1 and "already running" in again.stderr
        assert run.wait_serving().status_code == 200
    finally:
        assert run.signal_group(signal.SIGINT) == 0
    assert_all_stopped(run)


def test_tcp_only_when_asked_for(project):
    run = Run(project, tcp=True).serving()
    listen = run.env["AUTHGATE_LISTEN"]
    try:
        assert f"server {listen};" in open(os.path.join(project, ".run", "nginx", "nginx.conf")).read()
        assert not os.path.exists(run.sock_dir)
    finally:
        assert run.signal_group(signal.SIGINT) == 0
    assert_all_stopped(run)


def test_make_run_ctrl_c_leaves_nothing_behind_and_runs_again(project):
    for _ in range(2):
        run = Run(project, command=("make", "-s", "run")).serving()
        # make itself reports a Ctrl-C as an interrupt (it re-raises SIGINT
        # once its recipe has finished); run.sh below it stopped everything.
        assert run.signal_group(signal.SIGINT) == -signal.SIGINT
        assert_all_stopped(run)


def test_make_reload_restarts_gracefully_under_load_failing_no_request(project):
    from load import MixedLoad

    run = Run(project).serving()
    try:
        url = f"http://127.0.0.1:{run.port}"
        user = "reload-" + os.urandom(4).hex()
        assert requests.post(url + "/auth/register", json={"username": user, "email": f"{user}@x.io",
                                                           "password": "123456"}, timeout=30).status_code == 201
        token = requests.post(url + "/auth/login", json={"username": user, "password": "123456"},
                              timeout=30).json()["tokens"]["access"]
        pid = run.authgate_pid()
        with MixedLoad(url, run.port, user, "123456", token) as load:
            for i in range(3):
                time.sleep(LOAD_PHASE)
                subprocess.run(["make", "-s", "reload"], cwd=project, env=run.env, check=True, timeout=30)
                deadline = time.time() + 30
                while run.output().count("old one draining") < i + 1:
                    assert time.time() < deadline, run.output()
                    time.sleep(0.05)
            time.sleep(LOAD_PHASE)
        assert load.failures == [], (load.failures[:10], dict(load.results))
        assert {kind for kind, _ in load.results} == {"login", "whoami", "trickled login"}
        assert run.authgate_pid() == pid  # make run kept watching the same process
    finally:
        assert run.signal_group(signal.SIGINT) == 0, run.output()
    assert_all_stopped(run)
