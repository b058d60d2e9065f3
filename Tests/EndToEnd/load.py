"""Client load for availability tests: logins (some with bodies trickled
to nginx byte by byte), whoami and users pages from several threads, every
answer recorded. Bounded: each request has a timeout, the run stops when
told or at its deadline."""
import json
import socket
import threading
import time
from collections import Counter

import requests


def trickled_post(port, path, payload, pause=0.05, timeout=30):
    """POSTs JSON to nginx a few bytes at a time; returns the status code."""
    body = json.dumps(payload).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        for i in range(0, len(body), 8):
            s.sendall(body[i:i + 8])
            time.sleep(pause)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else f"bad answer {data[:40]!r}"


class MixedLoad:
    """Runs until stop(): `logins` threads log in (right password), one
    thread trickles login bodies, `readers` threads call whoami."""

    def __init__(self, url, port, username, password, access_token, logins=3, readers=3, deadline=120):
        self.url, self.port = url, port
        self.username, self.password, self.token = username, password, access_token
        self.results = Counter()
        self.failures = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.deadline = time.time() + deadline
        self.threads = [threading.Thread(target=self._logins, daemon=True) for _ in range(logins)]
        self.threads += [threading.Thread(target=self._reads, daemon=True) for _ in range(readers)]
        self.threads.append(threading.Thread(target=self._trickles, daemon=True))

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

    def _running(self):
        return not self.stopping.is_set() and time.time() < self.deadline

    def _record(self, kind, status, expected):
        with self.lock:
            self.results[(kind, status)] += 1
            if status != expected:
                self.failures.append((kind, status, time.time()))

    def _logins(self):
        session = requests.Session()
        body = {"username": self.username, "password": self.password}
        while self._running():
            try:
                r = session.post(self.url + "/auth/login", json=body, timeout=30)
                # An overload 503 (Retry-After) from AuthGate, or nginx's own.
                status = r.status_code if r.status_code == 200 else f"{r.status_code} retry-after={r.headers.get('Retry-After')}"
            except requests.RequestException as e:
                status = type(e).__name__
            self._record("login", status, 200)

    def _reads(self):
        session = requests.Session()
        headers = {"Authorization": f"Bearer {self.token}"}
        while self._running():
            try:
                status = session.get(self.url + "/auth/whoami", headers=headers, timeout=30).status_code
            except requests.RequestException as e:
                status = type(e).__name__
            self._record("whoami", status, 200)

    def _trickles(self):
        body = {"username": self.username, "password": self.password}
        while self._running():
            try:
                status = trickled_post(self.port, "/auth/login", body)
            except OSError as e:
                status = type(e).__name__
            self._record("trickled login", status, 200)

    def total(self):
        return sum(self.results.values())
