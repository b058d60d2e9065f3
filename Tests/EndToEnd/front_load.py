"""Clients of a load balancer for the two-host test, each a thread:
readers alternate whoami and a users page (idempotent GETs), loggers-in
log in, registrars register new users. Every answer is recorded with when
it was asked and answered and which upstream(s) served it (the front's
X-Upstream-Addr). Bounded: each request has a timeout, the run stops when
told or at its deadline."""
import threading
import time
import uuid
from dataclasses import dataclass

import requests

READS = ("whoami", "users")
EXPECTED = {"whoami": 200, "users": 200, "login": 200, "register": 201}


@dataclass
class Record:
    kind: str
    started: float   # time.monotonic()
    ended: float
    status: object   # the HTTP status, or the exception's name
    upstreams: tuple  # addresses that served it, in the order tried
    username: str = ""

    @property
    def ok(self):
        return self.status == EXPECTED[self.kind]


class FrontLoad:
    def __init__(self, url, token, username, password, readers=2, logins=0, registrars=0,
                 read_pause=0.02, login_pause=0.25, register_pause=0.05, deadline=600):
        self.url, self.token = url, token
        self.username, self.password = username, password
        self.read_pause, self.login_pause, self.register_pause = read_pause, login_pause, register_pause
        self.records = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + deadline
        self.threads = [threading.Thread(target=self._reads, daemon=True) for _ in range(readers)]
        self.threads += [threading.Thread(target=self._logins, daemon=True) for _ in range(logins)]
        self.threads += [threading.Thread(target=self._registers, daemon=True) for _ in range(registrars)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)
        assert not any(t.is_alive() for t in self.threads), "a load thread did not stop within 60 s"

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def _running(self):
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _session(self):
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: straight to the front
        return session

    def _call(self, session, kind, method, path, username="", **kw):
        started = time.monotonic()
        try:
            r = session.request(method, self.url + path, timeout=30, **kw)
            status = r.status_code
            upstreams = tuple(a for a in r.headers.get("X-Upstream-Addr", "").split(", ") if a)
        except requests.RequestException as e:
            status, upstreams = type(e).__name__, ()
        with self.lock:
            self.records.append(Record(kind, started, time.monotonic(), status, upstreams, username))
        return status

    def _reads(self):
        session, headers = self._session(), {"Authorization": f"Bearer {self.token}"}
        while self._running():
            self._call(session, "whoami", "GET", "/auth/whoami", headers=headers)
            self._call(session, "users", "GET", "/api/users/all?per_page=5", headers=headers)
            self.stopping.wait(self.read_pause)

    def _logins(self):
        session, body = self._session(), {"username": self.username, "password": self.password}
        while self._running():
            self._call(session, "login", "POST", "/auth/login", json=body)
            self.stopping.wait(self.login_pause)

    def _registers(self):
        session = self._session()
        while self._running():
            name = "ld" + uuid.uuid4().hex[:12]
            self._call(session, "register", "POST", "/auth/register", username=name,
                       json={"username": name, "email": f"{name}@example.com", "password": "123456"})
            self.stopping.wait(self.register_pause)
