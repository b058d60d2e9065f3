"""The responder's sockets: a unix socket (mode 0660) and a listening socket
inherited on fd 0 from spawn-fcgi."""
import os
import shutil
import stat
import subprocess
import tempfile
import time

import pytest
import requests

from harness import BINARY, SECRET, Nginx, free_port, start, stop_process, wait_for_port


def test_unix_socket_listener():
    # pytest's tmp_path sits below 0700 folders that nginx's workers cannot traverse.
    tmp_path = tempfile.mkdtemp(prefix="authgate-unix-")
    os.chmod(tmp_path, 0o755)
    sock = os.path.join(tmp_path, "authgate.sock")
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"unix:{sock}"}
    proc = start([BINARY, "serve"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = None
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            proc.wait(0.05) if proc.poll() is not None else __import__("time").sleep(0.05)
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o660
        # nginx workers run as nobody: give the socket's group to nogroup for this test.
        shutil.chown(sock, group="nogroup")
        nginx = Nginx([f"unix:{sock}"])
        r = requests.get(nginx.url + "/healthz", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    finally:
        if nginx:
            nginx.stop()
        stop_process(proc)
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.skipif(shutil.which("spawn-fcgi") is None, reason="spawn-fcgi not installed")
def test_socket_inherited_from_spawn_fcgi(tmp_path):
    port = free_port()
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET}
    proc = start(["spawn-fcgi", "-n", "-a", "127.0.0.1", "-p", str(port), "--", BINARY, "serve"],
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
    env = {"PATH": os.environ["PATH"], "FLASK_SECRET_KEY": SECRET, "AUTHGATE_LISTEN": f"unix:{sock}",
           "AUTHGATE_SOCKET_MODE": "0666"}
    proc = start([BINARY, "serve"], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o666
    finally:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)
