"""`make up` / `make down` (scripts/compose.sh) as far as a machine with no
reachable registry can take them: the real Makefile and scripts in a copy
of the repository's files, with a stand-in `docker` on PATH that records
what it is asked and a loopback HTTP server standing in for the stack's
nginx. The real stack itself is exercised by `make compose-test`."""
import http.server
import os
import shutil
import stat
import subprocess
import threading

import pytest

from harness import ROOT

FILES = ["Makefile", "docker-compose.yml", "scripts/compose.sh", "scripts/compose-env.sh"]

DOCKER_STUB = """#!/bin/sh
# Records every call; `docker compose version` succeeds (the plugin is there).
echo "$*" >> "$DOCKER_LOG"
exit 0
"""


@pytest.fixture
def repo(tmp_path):
    for name in FILES:
        os.makedirs(tmp_path / os.path.dirname(name), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), tmp_path / name)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "docker").write_text(DOCKER_STUB)
    (stubs / "docker").chmod(0o755)
    return tmp_path


class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/healthz"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok", "database": "ok"}' if ok else b'{"error": "Not found"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def nginx_standin():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def make(repo, target, port, wait="20"):
    env = {**os.environ, "PATH": f"{repo / 'stubs'}:{os.environ['PATH']}", "DOCKER_LOG": str(repo / "docker.log"),
           "AUTHGATE_HTTP_PORT": str(port), "AUTHGATE_UP_WAIT": wait}
    return subprocess.run(["make", "-s", "--no-print-directory", target], cwd=repo, env=env, capture_output=True, text=True, timeout=60)


def calls(repo):
    return (repo / "docker.log").read_text().splitlines()


def test_make_up_builds_starts_and_waits_for_healthz(repo, nginx_standin):
    out = make(repo, "up", nginx_standin)
    assert out.returncode == 0, out.stderr
    assert calls(repo) == ["compose version", "compose up -d --build"]
    assert f"http://127.0.0.1:{nginx_standin}" in out.stdout
    folder = repo / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    secrets = {name: (folder / name).read_text() for name in ("postgres_password", "jwt_secret_key", "database_uri")}
    assert all(value.strip() for value in secrets.values())
    assert secrets["postgres_password"].strip() in secrets["database_uri"]
    # Nothing secret on the terminal, nor in the non-secret settings file.
    for value in (secrets["postgres_password"].strip(), secrets["jwt_secret_key"].strip()):
        assert value not in out.stdout + out.stderr + (repo / "compose.env").read_text()
    # A second `make up` keeps the secrets (the database was made with them).
    assert make(repo, "up", nginx_standin).returncode == 0
    assert {name: (folder / name).read_text() for name in secrets} == secrets


def test_make_up_fails_when_nothing_answers(repo):
    import socket
    with socket.socket() as held:  # a port where nothing listens
        held.bind(("127.0.0.1", 0))
        out = make(repo, "up", held.getsockname()[1], wait="2")
    assert out.returncode != 0
    assert "/healthz did not answer 200 within 2s" in out.stderr


def test_make_down_keeps_the_data(repo, nginx_standin):
    out = make(repo, "down", nginx_standin)
    assert out.returncode == 0, out.stderr
    assert calls(repo) == ["compose version", "compose down"]


def test_make_n_up_names_the_script():
    out = subprocess.run(["make", "-n", "--no-print-directory", "up"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "scripts/compose.sh up"


@pytest.mark.docker
@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose is not installed (scripts/install-deps.sh test installs it)")
def test_compose_file_is_valid(tmp_path):
    """docker-compose's own check of the file `make up` starts (it reads
    compose.env, so a throwaway one stands beside a copy)."""
    shutil.copy2(os.path.join(ROOT, "docker-compose.yml"), tmp_path / "docker-compose.yml")
    (tmp_path / "compose.env").write_text("POSTGRES_USER=a\nPOSTGRES_DB=a\nPOSTGRES_PASSWORD=x\n")
    out = subprocess.run(["docker-compose", "config", "--services"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.split()) == ["authgate", "nginx", "postgres"]
