"""Restarts drop nothing: a socket held by a parent (systemd's socket
activation) survives three restarts under load, `serve --supervise`
restarts gracefully on SIGHUP under the same load, and brings a crashed
responder back."""
import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from harness import BINARY, SECRET, Nginx, serve_on_tcp, start, stop_process
from helpers import login, register
from load import MixedLoad

RESTARTS = 3
# How long the load runs between restarts: a duration, not a wait for an
# event (the load itself records every answer). Restarts land at random
# points of the requests in flight.
LOAD_PHASE = 1.5


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def wait_until(predicate, timeout, what, log=None):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() >= deadline:
            tail = open(log, "rb").read()[-3000:].decode("utf-8", "replace") if log else ""
            raise AssertionError(f"{what}\n{tail}")
        time.sleep(0.05)


def log_count(path, text):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").count(text)


def assert_no_failures(load):
    assert load.failures == [], (load.failures[:10], dict(load.results))
    kinds = {kind for kind, _ in load.results}
    assert kinds == {"login", "whoami", "trickled login"}, dict(load.results)
    assert load.total() >= 100, dict(load.results)


@pytest.fixture
def socket_dir():
    # nginx's workers must be able to enter it (pytest's tmp_path is 0700).
    d = tempfile.mkdtemp(prefix="authgate-sock-")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["rm", "-rf", d])


def test_three_restarts_with_the_socket_held_by_the_parent_fail_no_request(postgres, socket_dir):
    """Plays systemd: this process binds and holds the unix socket and
    starts AuthGate with LISTEN_FDS/LISTEN_PID, then restarts it (stop,
    then start, as `systemctl restart` does) three times under load."""
    _, uri = postgres.new_database()
    path = os.path.join(socket_dir, "authgate.sock")
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    held.bind(path)
    os.chmod(path, 0o666)  # test only: nginx's workers run as another user
    held.listen(1024)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
           "FLASK_SQLALCHEMY_DATABASE_URI": uri, "HELD_FD": str(held.fileno())}
    log = os.path.join(socket_dir, "authgate.log")

    def spawn():
        with open(log, "ab") as out:
            # fd 3 and LISTEN_PID of the exec'd process itself, as systemd passes them.
            return start(["bash", "-c", 'exec 3<&"$HELD_FD"; LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" serve',
                          BINARY], env=env, pass_fds=(held.fileno(),), stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT)

    proc = spawn()
    nginx = Nginx([f"unix:{path}"])
    try:
        wait_until(lambda: log_count(log, "authgate serving") == 1, 20, "first responder did not start", log=log)
        import requests
        url = nginx.url
        user = "restart-" + os.urandom(4).hex()
        assert requests.post(url + "/auth/register", json={"username": user, "email": f"{user}@x.io",
                                                           "password": "123456"}, timeout=30).status_code == 201
        token = requests.post(url + "/auth/login", json={"username": user, "password": "123456"},
                              timeout=30).json()["tokens"]["access"]
        with MixedLoad(url, nginx.port, user, "123456", token) as load:
            for i in range(RESTARTS):
                time.sleep(LOAD_PHASE)
                stop_process(proc, signal.SIGTERM, timeout=30)
                assert proc.returncode == 0
                proc = spawn()
                wait_until(lambda: log_count(log, "authgate serving") == i + 2, 20, "responder did not restart", log=log)
            time.sleep(LOAD_PHASE)
        assert_no_failures(load)
        assert log_count(log, "using socket from systemd") == RESTARTS + 1
    finally:
        nginx.stop()
        stop_process(proc)
        held.close()


@pytest.fixture
def supervised(postgres, socket_dir):
    _, uri = postgres.new_database()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
           "FLASK_SQLALCHEMY_DATABASE_URI": uri}
    log = os.path.join(socket_dir, "authgate.log")
    # The supervisor logs "listening" once it holds the port.
    proc, port = serve_on_tcp([BINARY, "serve", "--supervise"], env, log)
    nginx = None
    try:
        wait_until(lambda: log_count(log, "responder accepting") == 1, 20, "responder did not start", log=log)
        nginx = Nginx([f"127.0.0.1:{port}"])
        yield proc, nginx, log
    finally:
        if nginx:
            nginx.stop()
        stop_process(proc)


def test_sighup_restarts_gracefully_under_load_failing_no_request(supervised):
    proc, nginx, log = supervised
    import requests
    user = "hup-" + os.urandom(4).hex()
    assert requests.post(nginx.url + "/auth/register", json={"username": user, "email": f"{user}@x.io",
                                                             "password": "123456"}, timeout=30).status_code == 201
    token = requests.post(nginx.url + "/auth/login", json={"username": user, "password": "123456"},
                          timeout=30).json()["tokens"]["access"]
    seen = set(children(proc.pid))
    assert len(seen) == 1
    with MixedLoad(nginx.url, nginx.port, user, "123456", token) as load:
        for i in range(RESTARTS):
            time.sleep(LOAD_PHASE)
            proc.send_signal(signal.SIGHUP)
            wait_until(lambda: log_count(log, "old one draining") == i + 1, 30, "new responder never took over", log=log)
            wait_until(lambda: len(children(proc.pid)) == 1, 30, "old responder never finished draining")
            seen |= set(children(proc.pid))
        time.sleep(LOAD_PHASE)
    assert_no_failures(load)
    assert len(seen) == RESTARTS + 1  # a new responder process each time
    assert proc.poll() is None  # the supervisor's pid never changed
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_a_crashed_responder_is_started_again(supervised):
    proc, nginx, log = supervised
    import requests
    [child] = children(proc.pid)
    os.kill(child, signal.SIGKILL)
    wait_until(lambda: log_count(log, "responder exited unexpectedly") == 1, 10, "crash not noticed", log=log)
    wait_until(lambda: log_count(log, "responder accepting") == 2, 20, "responder not started again", log=log)
    assert requests.get(nginx.url + "/healthz", timeout=10).status_code == 200
    assert children(proc.pid) != [child]


def test_ctrl_c_to_the_process_group_stops_supervisor_and_responder(supervised):
    proc, nginx, log = supervised
    [child] = children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    assert proc.wait(timeout=30) == 0
    wait_until(lambda: not os.path.exists(f"/proc/{child}"), 10, "responder outlived its supervisor")
