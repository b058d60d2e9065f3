"""The responder's sockets: a unix socket only nginx's workers can reach
(mode 0660 in a folder of nginx's group), one inherited on fd 0 from
spawn-fcgi, and the healthcheck subcommand."""
import grp
import os
import shutil
import stat
import subprocess
import tempfile
import time

import pytest
import requests

from harness import (BINARY, NGINX_GROUP, ROOT, SECRET, Nginx, connect_as, on_free_port, refused_address,
                     serve_on_tcp, socket_dir, start_logged, stop_process, wait_for_log)

def needs_root(test):
    """Marked `root`; skipped when not root (CI runs as root, so there it runs)."""
    test = pytest.mark.skipif(os.geteuid() != 0, reason="the socket layout and other users need root")(test)
    return pytest.mark.root(test)


def assert_only_nginx_reaches(sock):
    """The layout of make run and deploy/: nginx's group may connect, nobody else."""
    www = grp.getgrnam(NGINX_GROUP).gr_gid
    folder = os.path.dirname(sock)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o2750 and os.stat(folder).st_gid == www
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o660 and os.stat(sock).st_gid == www
    assert connect_as("www-data", sock) == "ok"
    assert connect_as("nobody", sock) == "EACCES"
    nginx = Nginx([f"unix:{sock}"])  # workers run as www-data (nginx.conf's `user`)
    try:
        r = requests.get(nginx.url + "/healthz", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    finally:
        nginx.stop()


@needs_root
def test_unix_socket_reached_by_nginx_only():
    parent, folder = socket_dir()
    sock = os.path.join(folder, "authgate.sock")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"unix:{sock}"}
    # "listening" is logged once the socket's mode is set (it is made 0600,
    # then widened): connecting alone could come before that.
    proc = start_logged([BINARY, "serve"], os.path.join(parent, "authgate.log"), ("listening",), cwd=parent, env=env)
    try:
        # AuthGate makes it 0660; the folder's setgid bit gives it nginx's group.
        assert_only_nginx_reaches(sock)
    finally:
        stop_process(proc)
        shutil.rmtree(parent, ignore_errors=True)
    assert proc.returncode == 0


@needs_root
def test_spawn_fcgi_script_lays_out_the_socket_for_nginx_only():
    parent, folder = socket_dir()
    os.chmod(folder, 0o755)  # the script sets the folder's mode and group itself
    sock = os.path.join(folder, "authgate.sock")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_BIN": BINARY,
           "AUTHGATE_SOCKET_DIR": folder}
    # spawn-fcgi binds, sets the mode and group, then execs AuthGate, which
    # logs the socket it inherited: by then the layout is complete.
    proc = start_logged([os.path.join(ROOT, "deploy", "spawn-fcgi.sh")], os.path.join(parent, "authgate.log"),
                        ("using inherited socket",), cwd=parent, env=env)
    try:
        assert_only_nginx_reaches(sock)
    finally:
        stop_process(proc)
        shutil.rmtree(parent, ignore_errors=True)
    assert proc.returncode == 0


def test_socket_inherited_from_spawn_fcgi_over_tcp(tmp_path):
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_BIN": BINARY}

    def spawn_on(port):
        # spawn-fcgi says "bind failed: Address already in use" on a taken port.
        return start_logged([os.path.join(ROOT, "deploy", "spawn-fcgi.sh"), "127.0.0.1", str(port)],
                            str(tmp_path / "authgate.log"), ("using inherited socket",), cwd=tmp_path,
                            env=env), port

    proc, port = on_free_port(spawn_on)
    nginx = None
    try:
        nginx = Nginx([f"127.0.0.1:{port}"])
        r = requests.get(nginx.url + "/healthz", timeout=10)
        assert r.status_code == 200
    finally:
        if nginx:
            nginx.stop()
        stop_process(proc)
    assert proc.returncode == 0


def test_healthcheck_subcommand(stack):
    env = dict(stack.responder.env)
    ok = subprocess.run([BINARY, "healthcheck"], cwd=stack.responder.dir, env=env, capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    held, env["AUTHGATE_LISTEN"] = refused_address()
    with held:
        down = subprocess.run([BINARY, "healthcheck"], cwd=stack.responder.dir, env=env, capture_output=True,
                              timeout=30)
    assert down.returncode == 1
    assert b"listener" in down.stderr


@pytest.mark.parametrize("source", ["environment", ".env"])
def test_socket_mode_is_configurable(source):
    tmp = tempfile.mkdtemp(prefix="authgate-mode-")
    sock = os.path.join(tmp, "a.sock")
    log = os.path.join(tmp, "log")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"unix:{sock}"}
    if source == ".env":
        with open(os.path.join(tmp, ".env"), "w") as f:
            f.write("AUTHGATE_SOCKET_MODE=0600\n")
    else:
        env["AUTHGATE_SOCKET_MODE"] = "0600"
    # "listening" is logged once the mode is set.
    proc = start_logged([BINARY, "serve"], log, ("listening",), cwd=tmp, env=env)
    try:
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    finally:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("mode", ["0666", "0662", "0604"])
def test_a_socket_mode_open_to_other_users_is_refused(mode):
    tmp = tempfile.mkdtemp(prefix="authgate-mode-")
    sock = os.path.join(tmp, "a.sock")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"unix:{sock}",
           "AUTHGATE_SOCKET_MODE": mode}
    try:
        out = subprocess.run([BINARY, "serve"], cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=30)
        # A configuration error, as every other: exit status 2.
        assert out.returncode == 2
        assert b"AUTHGATE_SOCKET_MODE" in out.stderr and b"other users must not reach the socket" in out.stderr
        assert not os.path.exists(sock)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_failing_accept_is_logged_and_backed_off_and_serving_resumes():
    """Out of file descriptors (EMFILE): accept fails while the connection
    stays queued. AuthGate must log it, pause instead of spinning, and
    serve the queued connection once a descriptor is free again."""
    import resource
    import socket as sockets

    tmp = tempfile.mkdtemp(prefix="authgate-emfile-")
    log = os.path.join(tmp, "log")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET}
    # Ready by its own log, not by a probe connection: no connection of
    # ours is open while its descriptors are counted.
    proc, port = serve_on_tcp([BINARY, "serve"], env, log, cwd=tmp)
    try:
        wait_for_log(proc, log, "authgate serving")
        in_use = settled_fd_count(proc.pid)
        before = resource.prlimit(proc.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (in_use, before[1]))
        client = sockets.create_connection(("127.0.0.1", port), timeout=20)
        client.sendall(_fcgi_get("/healthz"))
        wait_for_log(proc, log, "accept failed")
        # A rate needs a time window: a loop retrying at once would log
        # thousands of lines in this second; the back-off logs a few (40 is
        # far above what it does, so a slow machine cannot fail this).
        time.sleep(1)
        failures = open(log, "rb").read().count(b"accept failed")
        assert 1 <= failures <= 40, failures
        assert proc.poll() is None
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, before)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = client.recv(4096)
            assert chunk, answer
            answer += chunk
        assert b"Status: 200" in answer, answer
        client.close()
    finally:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    assert proc.returncode == 0


def settled_fd_count(pid, samples=10, timeout=20.0):
    """The process's open descriptors once the count has stayed the same
    for `samples` reads in a row: its worker threads open their database
    connections after it logs that it is serving."""
    deadline = time.monotonic() + timeout
    last, same = None, 0
    while time.monotonic() < deadline:
        count = len(os.listdir(f"/proc/{pid}/fd"))
        same = same + 1 if count == last else 0
        if same >= samples:
            return count
        last = count
        time.sleep(0.05)
    raise AssertionError(f"descriptors of {pid} never settled (last {last})")


def _fcgi_get(path):
    """One FastCGI GET request (responder role, no keep-alive)."""
    import struct

    def record(kind, content):
        return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content

    def pair(name, value):
        return bytes([len(name), len(value)]) + name + value

    params = pair(b"REQUEST_METHOD", b"GET") + pair(b"DOCUMENT_URI", path.encode()) + pair(b"QUERY_STRING", b"")
    return (record(1, struct.pack(">HB5x", 1, 0)) + record(4, params) + record(4, b"") + record(5, b""))
