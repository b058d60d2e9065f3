"""deploy/: the systemd units verify, and two responders behind the
upstream example keep answering while one of them stops."""
import concurrent.futures
import os
import shutil
import subprocess
import threading
import time

import pytest
import requests

from harness import BINARY, ROOT, Nginx, Responder
from helpers import bearer, login, register

DEPLOY = os.path.join(ROOT, "deploy")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    for unit in ("authgate.socket", "authgate.service"):
        text = open(os.path.join(DEPLOY, "systemd", unit)).read()
        # verify checks that ExecStart exists: point it at the built binary.
        (tmp_path / unit).write_text(text.replace("/usr/local/bin/authgate", BINARY))
    out = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "authgate.socket"),
                          str(tmp_path / "authgate.service")], capture_output=True, text=True)
    problems = [l for l in out.stderr.splitlines()
                if "authgate" in l and "Documentation" not in l and "EnvironmentFile" not in l]
    assert out.returncode == 0 or not problems, out.stderr
    assert not problems, problems


def test_service_unit_is_hardened():
    text = open(os.path.join(DEPLOY, "systemd", "authgate.service")).read()
    for setting in ("DynamicUser=yes", "StateDirectory=authgate", "ProtectSystem=strict", "NoNewPrivileges=yes",
                    "PrivateTmp=yes", "UnsetEnvironment=AUTHGATE_LISTEN", "KillSignal=SIGTERM"):
        assert setting in text


def test_failover_between_two_responders(postgres):
    _, uri = postgres.new_database()
    a, b = Responder(uri), Responder(uri)
    nginx = Nginx([], source=os.path.join(DEPLOY, "nginx-upstream.conf"),
                  replace={"127.0.0.1:9001": a.address, "127.0.0.1:9002": b.address})
    try:
        class Client:
            url = nginx.url
            http = requests.Session()
            def post(self, path, **kw): return self.http.post(self.url + path, timeout=30, **kw)
            def get(self, path, **kw): return self.http.get(self.url + path, timeout=30, **kw)
        c = Client()
        assert register(c, "failover").status_code == 201
        token = login(c, "failover")["access"]
        results, stop = [], threading.Event()

        def hammer():
            s = requests.Session()
            while not stop.is_set():
                r = s.get(nginx.url + "/auth/whoami", headers=bearer(token), timeout=30)
                results.append(r.status_code)

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(hammer) for _ in range(8)]
            time.sleep(1.0)
            a.stop()
            assert a.proc.returncode == 0
            time.sleep(2.0)
            stop.set()
            for f in futures:
                f.result()
        assert len(results) > 100
        assert set(results) == {200}, {s: results.count(s) for s in set(results)}
        # The survivor serves alone, including writes.
        assert register(c, "after-failover").status_code == 201
    finally:
        nginx.stop()
        a.stop()
        b.stop()


def test_compose_nginx_differs_from_top_level_only_where_marked():
    def meaningful(path, drop_marked):
        lines = []
        for line in open(path):
            stripped = line.strip()
            if not stripped or stripped.startswith("#") or (drop_marked and "# compose:" in line):
                continue
            lines.append(stripped)
        return lines
    compose = meaningful(os.path.join(DEPLOY, "compose", "nginx.conf"), True)
    top = meaningful(os.path.join(ROOT, "nginx.conf"), False)
    marked = {"pid", "error_log", "listen", "server", "client_body_temp_path", "fastcgi_temp_path",
              "proxy_temp_path", "uwsgi_temp_path", "scgi_temp_path"}
    assert compose == [l for l in top if l.split()[0] not in marked or l.endswith("{")]
