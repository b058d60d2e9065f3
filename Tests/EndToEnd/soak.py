"""`make soak`: mixed load through the project's nginx to one AuthGate on
PostgreSQL for SOAK_SECONDS (default 600), with the responder's memory,
file descriptors and database connections sampled all along.

The load: SOAK_CLIENTS threads (default 4), each living one user's life
after another: register, log in, whoami, list pages, refresh, whoami with
the new token, an expired, a forged and a revoked token, logout of both
tokens (a quarter of the lives; the others let their tokens expire). Every
request type has the answer it must get (EXPECTED); any other status,
error code or transport error is counted as unexpected. Users get a cheap
hash (pbkdf2:sha256:1000) so the KDF does not dominate.

Before the timed run, priming fills AuthGate's bounded per-thread token
memo (see PRIME_*) until RSS stops rising, so that a cache filling up is
not mistaken for a leak; the timed run, its warm-up included, starts after.

Passing (see `verdict`):
- 0 unexpected answers, and every request type was made;
- RSS: the median of the last window (the last 10 % of the run) is less
  than 5 % above the median of the first window after warm-up (warm-up =
  the first 20 % of the run; first window = the 10 % after it);
- file descriptors other than unix sockets (files, pipes, epoll, the
  database's TCP connections) and database connections: the median
  count of the last window is no larger than the largest count of the
  first window (a leak moves the whole last window up);
- unix sockets (the listener and nginx's FastCGI connections): never more
  than nginx can hold open, the listener plus its keepalive pools
  (worker_processes x keepalive in nginx.conf) plus one per client. Their
  number moves with nginx's pools: kept connections idle here for less
  than AUTHGATE_IDLE_CONNECTION_SECONDS stay, so the count may creep up
  during a run without any leak, which "no growth" took for one.

Output (SOAK_OUT, default .soak/): soak.csv (one row per sample), soak.png
when matplotlib is installed (`make soak` installs it), summary.txt, and a
verdict line on standard output. Exit status 0 when it passes.

The responder is `authgate serve` itself (the harness's Stack), so its pid
is the process sampled; under `serve --supervise` it would be the child."""
import csv
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import requests  # noqa: E402

from harness import SECRET, Postgres, Stack  # noqa: E402
from helpers import forge  # noqa: E402

# The responder's settings: a cheap hash for the soak's own users, and the
# production log level (debug logging would measure the logger).
SOAK_ENV = {"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "FLASK_DEBUG": "0", "FLASK_SQLALCHEMY_ECHO": "0"}
WARM_UP = 0.20       # of the run, not judged
WINDOW = 0.10        # of the run: the first window (after warm-up) and the last one
RSS_LIMIT = 0.05     # growth of the median RSS from the first window to the last
MIN_WINDOW_SAMPLES = 3
# Lives that end with a logout; the others let their tokens expire, as most
# sessions do. Each logout adds two revocations that AuthGate keeps in
# memory until the token would have expired (30 days by default).
LOGOUT_SHARE = 0.25
# Priming, before the timed run: AuthGate's bounded caches filled, so that
# filling them is not mistaken for a leak. Each worker thread memoises the
# payloads of up to 1024 verified tokens (~1.1 KiB each: ~18 MiB for 16
# threads); priming sends fresh validly signed tokens of an unknown user
# until RSS stops rising (10 s within 0.5 %), for at most PRIME_MAX_SECONDS.
PRIME_MAX_SECONDS = 180
PRIME_STEADY_SECONDS = 10
PRIME_STEADY_GROWTH = 0.005

# Each request type: the statuses it may get and, for a 401, its error code.
EXPECTED = {
    "register": ({201}, None),
    "login": ({200}, None),
    "login wrong password": ({400}, None),
    "whoami": ({200}, None),
    "list": ({200}, None),
    "refresh": ({200}, None),
    "whoami refreshed": ({200}, None),
    "whoami expired": ({401}, "token_expired"),
    "whoami forged": ({401}, "invalid_token"),
    "refresh forged": ({401}, "invalid_token"),
    "logout access": ({200}, None),
    "whoami revoked": ({401}, "token_revoked"),
    "logout refresh": ({200}, None),
    "refresh revoked": ({401}, "token_revoked"),
}
PRIME_EXPECTED = ({401}, "user_not_found")
CSV_FIELDS = ["t_s", "rss_kib", "fds", "unix_sockets", "db_connections", "requests_done", "unexpected",
              "cached_revocations"]
# nginx.conf: worker_processes 2, keepalive 32 (each worker's pool of idle upstream connections).
NGINX_KEPT_CONNECTIONS = 2 * 32


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def open_fds(pid):
    """(descriptors other than unix sockets, unix sockets) of `pid`."""
    with open("/proc/net/unix") as f:
        unix = {line.split()[6] for line in list(f)[1:] if len(line.split()) >= 7}
    other = sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:[") and target[len("socket:["):-1] in unix:
            sockets += 1
        else:
            other += 1
    return other, sockets


class Load:
    """The client threads and what they saw."""

    def __init__(self, url, clients, deadline):
        self.url = url
        self.deadline = deadline
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.counts = Counter()       # (type, status) -> n
        self.done = 0
        self.unexpected = 0
        self.examples = []            # the first unexpected answers
        self.run_id = uuid.uuid4().hex[:8]
        self.priming = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)

    def running(self):
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _call(self, session, kind, method, path, token=None, **kw):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            r = session.request(method, self.url + path, headers=headers, timeout=30, **kw)
            status, body = r.status_code, r.text
        except requests.RequestException as e:
            r, status, body = None, type(e).__name__, ""
        statuses, error = PRIME_EXPECTED if kind == "prime" else EXPECTED[kind]
        ok = status in statuses
        if ok and error is not None:
            try:
                ok = r.json().get("error") == error
            except ValueError:
                ok = False
        with self.lock:
            self.done += 1
            self.counts[(kind, status)] += 1
            if not ok:
                self.unexpected += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{kind}: {status} {body[:160]!r}")
        return r if ok else None

    def _client(self, index):
        session = requests.Session()
        rng = random.Random(f"{self.run_id}-{index}")
        lives = 0
        while self.priming.is_set() and self.running():
            self._call(session, "prime", "GET", "/auth/whoami", token=forge("soak-nobody", key=SECRET))
        while self.running():
            lives += 1
            self._life(session, rng, f"soak{self.run_id}c{index}n{lives}")

    def _life(self, session, rng, name):
        """One user's life; stops between requests once the run is over.
        A request that got an unexpected answer ends the life (its token
        may be missing)."""
        password = "soak-" + uuid.uuid4().hex
        go = self.running

        if not go() or not self._call(session, "register", "POST", "/auth/register",
                                      json={"username": name, "email": f"{name}@soak.example", "password": password}):
            return
        if rng.random() < 0.1 and go():
            self._call(session, "login wrong password", "POST", "/auth/login",
                       json={"username": name, "password": "wrong-" + password})
        r = go() and self._call(session, "login", "POST", "/auth/login", json={"username": name, "password": password})
        if not r:
            return
        tokens = r.json()["tokens"]
        access, refresh = tokens["access"], tokens["refresh"]
        for _ in range(rng.randint(2, 6)):
            if go():
                self._call(session, "whoami", "GET", "/auth/whoami", token=access)
        for _ in range(rng.randint(1, 3)):
            if go():
                self._call(session, "list", "GET",
                           f"/api/users/all?page={rng.randint(1, 5)}&per_page={rng.choice((3, 10, 50, 100))}",
                           token=access)
        r = go() and self._call(session, "refresh", "POST", "/auth/refresh", token=refresh)
        if not r:
            return
        fresh_access = r.json()["access_token"]
        if go():
            self._call(session, "whoami refreshed", "GET", "/auth/whoami", token=fresh_access)
        now = int(time.time())
        if go():
            expired = forge(name, exp=now - 120, iat=now - 1000, nbf=now - 1000, key=SECRET)
            self._call(session, "whoami expired", "GET", "/auth/whoami", token=expired)
        if go():
            self._call(session, "whoami forged", "GET", "/auth/whoami", token=forge(name, key="not-the-key"))
        if go():
            self._call(session, "refresh forged", "POST", "/auth/refresh",
                       token=forge(name, kind="refresh", key="not-the-key"))
        if rng.random() >= LOGOUT_SHARE:
            return
        if go() and self._call(session, "logout access", "POST", "/auth/logout", token=access) and go():
            self._call(session, "whoami revoked", "GET", "/auth/whoami", token=access)
        if go() and self._call(session, "logout refresh", "POST", "/auth/logout", token=refresh) and go():
            self._call(session, "refresh revoked", "POST", "/auth/refresh", token=refresh)


class Sampler:
    """Samples the responder every `interval` seconds until stopped."""

    def __init__(self, stack, load, interval, started):
        self.stack, self.load, self.interval, self.started = stack, load, interval, started
        self.rows = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.errors = []
        import psycopg2
        # The maintenance database, not the soak's: this connection is not counted.
        self.db = psycopg2.connect(host="127.0.0.1", port=stack.postgres.port, user="postgres", dbname="postgres")
        self.db.autocommit = True

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(30)
        self.sample()  # the end of the run
        self.db.close()

    def _run(self):
        while not self.stopping.wait(self.interval):
            self.sample()

    def sample(self):
        pid = self.stack.responder.proc.pid
        try:
            with self.db.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.stack.dbname,))
                connections = cur.fetchone()[0]
            fds, unix_sockets = open_fds(pid)
            row = {"t_s": round(time.monotonic() - self.started, 1), "rss_kib": rss_kib(pid), "fds": fds,
                   "unix_sockets": unix_sockets,
                   "db_connections": connections, "requests_done": self.load.done,
                   "unexpected": self.load.unexpected, "cached_revocations": self._cached_revocations()}
        except Exception as e:  # a dead responder or database: reported, and the verdict fails
            self.errors.append(f"sample at {time.monotonic() - self.started:.0f} s: {type(e).__name__}: {e}")
            return
        self.rows.append(row)

    def _cached_revocations(self):
        text = requests.get(self.stack.nginx.metrics_url + "/metrics", timeout=10).text
        m = re.search(r'^authgate_read_cache_entries\{kind="revocations"\} (\d+)', text, re.M)
        return int(m.group(1)) if m else ""


def window(rows, start, end):
    return [r for r in rows if start <= r["t_s"] < end]


def slope_per_minute(rows, field):
    if len(rows) < 2:
        return 0.0
    xs, ys = [r["t_s"] for r in rows], [r[field] for r in rows]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def verdict(rows, load, seconds, errors=(), rss_limit=RSS_LIMIT, clients=4):
    """(passed, figures, reasons)."""
    warm = seconds * WARM_UP
    first = window(rows, warm, warm + seconds * WINDOW)
    last = window(rows, seconds * (1 - WINDOW), float("inf"))
    reasons = list(errors)
    figures = {"requests": load.done, "unexpected": load.unexpected, "samples": len(rows),
               "rate": load.done / seconds if seconds else 0}
    if len(first) < MIN_WINDOW_SAMPLES or len(last) < MIN_WINDOW_SAMPLES:
        reasons.append(f"too few samples: {len(first)} in the first window, {len(last)} in the last")
        return False, figures, reasons
    rss_first = statistics.median(r["rss_kib"] for r in first)
    rss_last = statistics.median(r["rss_kib"] for r in last)
    figures.update(
        rss_first=rss_first, rss_last=rss_last, rss_growth=(rss_last - rss_first) / rss_first,
        rss_slope=slope_per_minute([r for r in rows if r["t_s"] >= warm], "rss_kib"),
        fds_first=max(r["fds"] for r in first), fds_last=statistics.median(r["fds"] for r in last),
        unix_sockets_max=max(r["unix_sockets"] for r in rows), unix_sockets_bound=1 + NGINX_KEPT_CONNECTIONS + clients,
        db_first=max(r["db_connections"] for r in first),
        db_last=statistics.median(r["db_connections"] for r in last))
    if load.unexpected:
        reasons.append(f"{load.unexpected} unexpected answers, e.g. {load.examples[:5]}")
    missing = [kind for kind in EXPECTED if not any(k == kind for k, _ in load.counts)]
    if missing:
        reasons.append(f"request types never made: {missing}")
    if figures["rss_growth"] >= rss_limit:
        reasons.append(f"RSS grew {figures['rss_growth']:.1%} (limit {rss_limit:.0%})")
    if figures["fds_last"] > figures["fds_first"]:
        reasons.append(f"open file descriptors (not unix sockets) grew: {figures['fds_first']} -> {figures['fds_last']}")
    if figures["unix_sockets_max"] > figures["unix_sockets_bound"]:
        reasons.append(f"unix sockets reached {figures['unix_sockets_max']}: more than nginx can hold open "
                       f"({figures['unix_sockets_bound']})")
    if figures["db_last"] > figures["db_first"]:
        reasons.append(f"database connections grew: {figures['db_first']} -> {figures['db_last']}")
    return not reasons, figures, reasons


def verdict_line(passed, figures, reasons, seconds):
    f = figures
    text = (f"soak: {'PASS' if passed else 'FAIL'} {seconds:.0f} s, {f['requests']} requests "
            f"({f['rate']:.0f}/s), {f['unexpected']} unexpected")
    if "rss_first" in f:
        text += (f"; RSS {f['rss_first']:.0f} -> {f['rss_last']:.0f} KiB ({f['rss_growth']:+.2%}, slope "
                 f"{f['rss_slope']:+.0f} KiB/min after warm-up); unix sockets max {f.get('unix_sockets_max')} "
                 f"(bound {f.get('unix_sockets_bound')}); other fds first-window max {f['fds_first']}, last-window "
                 f"median {f['fds_last']:g}; db connections {f['db_first']}, {f['db_last']:g}")
    return text + ("" if passed else "; FAILED: " + "; ".join(reasons))


def sparkline(values, width=60):
    if not values:
        return ""
    bars = " .:-=+*#%@"
    step = max(1, len(values) // width)
    picked = values[::step]
    lo, hi = min(picked), max(picked)
    return "".join(bars[int((v - lo) / (hi - lo) * (len(bars) - 1)) if hi > lo else 0] for v in picked)


def write_outputs(out, rows, load, seconds, line):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "soak.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    summary = [line, "", "answers by request type:"]
    summary += [f"  {kind:22} {status}: {n}" for (kind, status), n in sorted(load.counts.items(), key=str)]
    for field in ("rss_kib", "fds", "unix_sockets", "db_connections", "cached_revocations"):
        values = [r[field] for r in rows if r[field] != ""]
        if values:
            summary.append(f"{field:>18} {min(values)}..{max(values)} |{sparkline(values)}|")
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    plot(out, rows, seconds)
    return summary


def plot(out, rows, seconds):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None  # summary.txt has the ASCII curves
    t = [r["t_s"] for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    axes[0].plot(t, [r["rss_kib"] / 1024 for r in rows], label="RSS (MiB)")
    axes[0].axvspan(0, seconds * WARM_UP, color="0.9", label="warm-up")
    axes[0].axvspan(seconds * WARM_UP, seconds * (WARM_UP + WINDOW), color="#d8ecd8", label="first window")
    axes[0].axvspan(seconds * (1 - WINDOW), seconds, color="#ecd8d8", label="last window")
    axes[0].set_ylabel("MiB")
    axes[0].legend(loc="lower right")
    axes[1].plot(t, [r["fds"] for r in rows], label="fds (not unix sockets)")
    axes[1].plot(t, [r["db_connections"] for r in rows], label="db connections")
    axes[1].legend(loc="lower right")
    rates = [0] + [(b["requests_done"] - a["requests_done"]) / max(b["t_s"] - a["t_s"], 1e-9)
                   for a, b in zip(rows, rows[1:])]
    axes[2].plot(t, rates, label="requests/s")
    axes[2].plot(t, [r["unexpected"] for r in rows], label="unexpected (total)")
    axes[2].set_xlabel("seconds")
    axes[2].legend(loc="lower right")
    fig.tight_layout()
    path = os.path.join(out, "soak.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def prime(stack, load):
    """Starts the load in its priming mode and returns, the load switched
    to the mix, once the responder's RSS has stopped rising."""
    pid = stack.responder.proc.pid
    load.priming.set()
    load.start()
    began = time.monotonic()
    history = [rss_kib(pid)]
    try:
        while time.monotonic() - began < PRIME_MAX_SECONDS:
            time.sleep(1)
            history.append(rss_kib(pid))
            if len(history) > PRIME_STEADY_SECONDS and \
                    max(history[-PRIME_STEADY_SECONDS:]) <= history[-PRIME_STEADY_SECONDS - 1] * (1 + PRIME_STEADY_GROWTH):
                break
    finally:
        load.priming.clear()
        with load.lock:  # the timed run counts its own requests
            primed, load.done = load.done, 0
    line = (f"primed {time.monotonic() - began:.0f} s ({primed} requests): RSS {history[0]} -> "
            f"{history[-1]} KiB")
    print("soak: " + line, flush=True)
    return line


def run(stack, seconds, out, clients=4, interval=None, rss_limit=RSS_LIMIT):
    """Runs the soak against `stack` (postgres backend); returns
    (passed, verdict line). `rss_limit`: the short form's own bound."""
    interval = interval or min(5.0, max(1.0, seconds / 120))
    load = Load(stack.url, clients, deadline=float("inf"))
    primed = prime(stack, load)
    started = time.monotonic()
    load.deadline = started + seconds
    sampler = Sampler(stack, load, interval, started)
    sampler.start()
    try:
        while load.running() and sampler.thread.is_alive():
            time.sleep(0.5)
    finally:
        load.stop()
        sampler.stop()
    passed, figures, reasons = verdict(sampler.rows, load, seconds, sampler.errors, rss_limit, clients)
    line = verdict_line(passed, figures, reasons, seconds) + f" [{primed}]"
    summary = write_outputs(out, sampler.rows, load, seconds, line)
    print("\n".join(summary[1:]))
    print(line)
    return passed, line


def main():
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    clients = int(os.environ.get("SOAK_CLIENTS", "4"))
    out = os.environ.get("SOAK_OUT", os.path.join(ROOT, ".soak"))
    pg = Postgres()
    try:
        stack = Stack("postgres", postgres=pg, env=SOAK_ENV)
        try:
            print(f"soak: {seconds:.0f} s, {clients} clients, responder pid {stack.responder.proc.pid}, "
                  f"output in {out}", flush=True)
            passed, _ = run(stack, seconds, out, clients)
        finally:
            stack.stop()
    finally:
        pg.destroy()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
