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

from harness import (BINARY, NGINX_GROUP, ROOT, SECRET, Nginx, connect_as, free_port, socket_dir, start,
                     stop_process, wait_for_port, wait_for_unix_socket)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the socket layout and other users need root")


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
    proc = start([BINARY, "serve"], cwd=parent, env=env, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_unix_socket(sock, proc=proc)
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
    proc = start([os.path.join(ROOT, "deploy", "spawn-fcgi.sh")], cwd=parent, env=env,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_unix_socket(sock, proc=proc)
        assert_only_nginx_reaches(sock)
    finally:
        stop_process(proc)
        shutil.rmtree(parent, ignore_errors=True)
    assert proc.returncode == 0


def test_socket_inherited_from_spawn_fcgi_over_tcp(tmp_path):
    port = free_port()
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_BIN": BINARY}
    proc = start([os.path.join(ROOT, "deploy", "spawn-fcgi.sh"), "127.0.0.1", str(port)],
                 cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = None
    try:
        wait_for_port(port, proc=proc)
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
    env["AUTHGATE_LISTEN"] = f"127.0.0.1:{free_port()}"
    down = subprocess.run([BINARY, "healthcheck"], cwd=stack.responder.dir, env=env, capture_output=True, timeout=30)
    assert down.returncode == 1
    assert b"listener" in down.stderr


def test_socket_mode_is_configurable():
    tmp = tempfile.mkdtemp(prefix="authgate-mode-")
    sock = os.path.join(tmp, "a.sock")
    log = os.path.join(tmp, "log")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"unix:{sock}",
           "AUTHGATE_SOCKET_MODE": "0600"}
    with open(log, "wb") as out:
        proc = start([BINARY, "serve"], cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out,
                     stderr=subprocess.STDOUT)
    try:
        # "listening" is logged once the mode is set.
        deadline = time.time() + 20
        while b"listening" not in open(log, "rb").read():
            assert time.time() < deadline and proc.poll() is None, open(log, "rb").read()
            time.sleep(0.05)
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
        assert out.returncode == 1
        assert b"other users must not reach the socket" in out.stderr
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
    port = free_port()
    log = os.path.join(tmp, "log")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"127.0.0.1:{port}"}
    with open(log, "wb") as out:
        proc = start([BINARY, "serve"], cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out,
                     stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc)
        time.sleep(0.5)  # the probe's connection is closed and every worker is back in poll
        in_use = len(os.listdir(f"/proc/{proc.pid}/fd"))
        before = resource.prlimit(proc.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (in_use, before[1]))
        client = sockets.create_connection(("127.0.0.1", port), timeout=20)
        client.sendall(_fcgi_get("/healthz"))
        deadline = time.time() + 20
        while b"accept failed" not in open(log, "rb").read():
            assert time.time() < deadline, open(log, "rb").read()[-2000:]
            time.sleep(0.05)
        time.sleep(1)
        # Backed off: a loop retrying at once would have logged thousands of lines by now.
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


def _fcgi_get(path):
    """One FastCGI GET request (responder role, no keep-alive)."""
    import struct

    def record(kind, content):
        return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content

    def pair(name, value):
        return bytes([len(name), len(value)]) + name + value

    params = pair(b"REQUEST_METHOD", b"GET") + pair(b"DOCUMENT_URI", path.encode()) + pair(b"QUERY_STRING", b"")
    return (record(1, struct.pack(">HB5x", 1, 0)) + record(4, params) + record(4, b"") + record(5, b""))
