"""deploy/: the systemd units verify and keep the socket nginx's only;
two responders behind the upstream example keep answering while one of
them stops."""
import concurrent.futures
import os
import shutil
import subprocess
import threading
import time

import requests

from harness import BINARY, ROOT, Nginx, Responder, socket_dir
from helpers import bearer, login, register

DEPLOY = os.path.join(ROOT, "deploy")
UNITS = ("authgate.socket", "authgate.service")


def unit_settings(name):
    """`Key=value` lines of a unit, as {key: [values]} (keys may repeat)."""
    settings = {}
    for line in open(os.path.join(DEPLOY, "systemd", name)):
        line = line.strip()
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def verify_problems(folder, edit=lambda text: text):
    """What `systemd-analyze verify` says about the units (copied to `folder`)."""
    folder.mkdir(exist_ok=True)
    for unit in UNITS:
        text = open(os.path.join(DEPLOY, "systemd", unit)).read()
        # verify checks that ExecStart exists: point it at the built binary.
        (folder / unit).write_text(edit(text.replace("/usr/local/bin/authgate", BINARY)))
    out = subprocess.run(["systemd-analyze", "verify", *(str(folder / u) for u in UNITS)],
                         capture_output=True, text=True, timeout=60)
    return [l for l in out.stderr.splitlines()
            if "authgate" in l and "Documentation" not in l and "EnvironmentFile" not in l]


def test_systemd_units_verify(tmp_path):
    assert verify_problems(tmp_path / "units") == []
    # The same check reports a broken setting, so a clean verify means something.
    broken = verify_problems(tmp_path / "broken", lambda t: t.replace("Restart=on-failure", "Restart=sometimes"))
    assert any("Restart" in l or "restart" in l for l in broken), broken


def test_systemd_socket_is_nginx_only_and_a_crash_restarts():
    socket_unit = unit_settings("authgate.socket")
    assert socket_unit["ListenStream"] == ["/run/authgate/authgate.sock"]
    assert socket_unit["SocketGroup"] == ["www-data"] and socket_unit["SocketMode"] == ["0660"]
    assert socket_unit["DirectoryMode"] == ["0750"]
    # systemd cannot give the folder a group: ExecStartPre makes it first.
    assert socket_unit["ExecStartPre"] == ["/usr/bin/install -d -o root -g www-data -m 0750 /run/authgate"]
    service = unit_settings("authgate.service")
    assert service["Restart"] == ["on-failure"]
    for name in UNITS:
        assert "0666" not in open(os.path.join(DEPLOY, "systemd", name)).read()


def test_service_unit_is_hardened():
    text = open(os.path.join(DEPLOY, "systemd", "authgate.service")).read()
    for setting in ("DynamicUser=yes", "StateDirectory=authgate", "ProtectSystem=strict", "NoNewPrivileges=yes",
                    "PrivateTmp=yes", "UnsetEnvironment=AUTHGATE_LISTEN", "KillSignal=SIGTERM"):
        assert setting in text


def test_failover_between_two_responders(postgres):
    _, uri = postgres.new_database()
    parent, sockets = socket_dir()
    a = Responder(uri, unix_socket=os.path.join(sockets, "a.sock"))
    b = Responder(uri, unix_socket=os.path.join(sockets, "b.sock"))
    nginx = Nginx([], source=os.path.join(DEPLOY, "nginx-upstream.conf"),
                  replace={"unix:/run/authgate/a.sock": a.address, "unix:/run/authgate/b.sock": b.address})
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

        def answered(count, timeout=60):
            """Waits for `count` answers in all (load really ran), bounded."""
            deadline = time.monotonic() + timeout
            while len(results) < count:
                assert time.monotonic() < deadline and not any(f.done() for f in futures), len(results)
                time.sleep(0.02)

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(hammer) for _ in range(8)]
            try:
                answered(50)  # both responders are serving under load
                a.stop()
                assert a.proc.returncode == 0
                answered(len(results) + 100)  # then b alone
            finally:
                stop.set()
            for f in futures:
                f.result()
        assert len(results) > 150
        assert set(results) == {200}, {s: results.count(s) for s in set(results)}
        # The survivor serves alone, including writes.
        assert register(c, "after-failover").status_code == 201
    finally:
        nginx.stop()
        a.stop()
        b.stop()
        shutil.rmtree(parent, ignore_errors=True)


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
    marked = {"pid", "error_log", "access_log", "listen", "client_body_temp_path", "fastcgi_temp_path",
              "proxy_temp_path", "uwsgi_temp_path", "scgi_temp_path"}
    assert compose == [l for l in top if l.split()[0] not in marked or l.endswith("{")]
