"""`make bench`: AuthGate (release) behind the project's nginx on a
throwaway PostgreSQL, measured with wrk side by side with two ceilings in
the same run: nginx answering by itself, and a trivial C libfcgi responder;
then reads under a wrong-password login flood, and the users page as the
table grows. Prints markdown tables; asserts nothing about timing (the flood
and forward-auth scenarios print PASS/FAIL beside their targets).
BENCH_ONLY=forward_auth, shipped or flood runs that scenario alone (on
1,000 users loaded by SQL: no registration phase).
AUTHGATE_BIN names a release binary already built (no build is run);
without it `swift build -c release` builds .build/release/authgate."""
import hashlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "EndToEnd"))
sys.path.insert(0, HERE)
PREBUILT = "AUTHGATE_BIN" in os.environ
os.environ.setdefault("AUTHGATE_BIN", os.path.join(ROOT, ".build", "release", "authgate"))

import requests  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from harness import Nginx, Postgres, Responder, free_port, start, stop_process  # noqa: E402
from cpu_usage import CpuMeter  # noqa: E402
from login_flood import LoginFlood  # noqa: E402
import forward_auth  # noqa: E402
import shipped  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "10s")
SCALE_DURATION = os.environ.get("BENCH_SCALE_DURATION", "5s")
SCALES = [int(x) for x in os.environ.get("BENCH_SCALES", "1000,100000,1000000").split(",")]
# Concurrent connections of each wrong-password flood on /auth/login.
FLOODS = [int(x) for x in os.environ.get("BENCH_FLOODS", "64,256").split(",")]
THREADS = "16"
# One scenario alone: "forward_auth", "shipped" or "flood"; empty runs them all.
ONLY = os.environ.get("BENCH_ONLY", "")
SCENARIOS = ("forward_auth", "shipped", "flood")
# The targets for reads under a login flood (docs/operations.md).
TARGET_RATIO = 0.6
TARGET_P99_MS = 50.0
TARGET_FLOOD_ANSWER_S = 30.0


def wrk(url, script=None, env=None, duration=DURATION):
    cmd = ["wrk", "-t2", "-c32", "-d" + duration, "--timeout", "10s", "--latency"]
    if script:
        cmd += ["-s", os.path.join(HERE, script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env={**os.environ, **(env or {})},
                         timeout=120).stdout
    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency(50), "p99": latency(99),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": sum(int(x) for x in errors.groups()) if errors else 0}


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def ceiling_responder(address, body_bytes, workdir, threads=THREADS):
    binary = os.path.join(workdir, "fcgi_ceiling")
    subprocess.run(["cc", "-O2", "-o", binary, os.path.join(HERE, "fcgi_ceiling.c"), "-lfcgi", "-lpthread"],
                   check=True)
    return start([binary, address, str(threads), str(body_bytes)], stdin=subprocess.DEVNULL)


def with_ceilings(body):
    escaped = body.replace("'", "\\'")
    def edit(text):
        extra = f"""
        location = /__nginx_ceiling {{ return 200 '{escaped}'; }}
        location = /__fcgi_ceiling {{
            fastcgi_pass fcgi_ceiling;
            fastcgi_keep_conn on;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param DOCUMENT_URI $document_uri;
        }}
"""
        text = text.replace("        location / {", extra + "        location / {", 1)
        upstream = "    upstream fcgi_ceiling {\n        server __CEILING__;\n        keepalive 4;\n    }\n\n"
        return text.replace("    upstream authgate {", upstream + "    upstream authgate {", 1)
    return edit


def scrypt_seconds():
    samples = []
    for _ in range(9):
        start = time.perf_counter()
        hashlib.scrypt(b"123456", salt=b"abcdefghijklmnop", n=32768, r=8, p=1, maxmem=132 * 32768 * 8, dklen=64)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def usable_cores():
    """The cores this process may run on (CPU affinity), not the host's count."""
    return len(os.sched_getaffinity(0))


def verdict(ok):
    return "PASS" if ok else "FAIL"


READS = [("GET /auth/whoami", "/auth/whoami"),
         ("GET /api/users/all (page 1, 3 per page)", "/api/users/all?page=1&per_page=3")]


def reads_under_login_flood(url, auth, username, meter):
    """whoami and the users page unloaded, then while N connections post a
    wrong password for an existing user to /auth/login, for each N in FLOODS."""
    meter.start()
    unloaded = {name: wrk(url + path, "get_auth.lua", auth) for name, path in READS}
    cpu = [("none", meter.stop().cores)]
    levels = []
    for connections in FLOODS:
        meter.start()
        flood = LoginFlood(url, username, connections).start()
        started = time.monotonic()
        time.sleep(2)  # the key-derivation queue fills before the reads are measured
        loaded = {name: wrk(url + path, "get_auth.lua", auth) for name, path in READS}
        sending = time.monotonic() - started
        # Returns once every request in flight is answered (or timed out).
        result = flood.stop()
        meter.stop()
        cpu.append((f"{connections} conns", {**meter.cores, "flood client": result.client_cpu / meter.wall}))
        levels.append((connections, sending, loaded, result))
        time.sleep(1)

    print()
    print(f"Reads under login flood: wrk -t2 -c32 -d{DURATION} per read, through nginx, while a second client "
          f"keeps N keep-alive connections posting a wrong password for {username!r} to /auth/login "
          f"(each sends again as soon as it is answered). AuthGate defaults: KDF threads = usable cores, "
          f"KDF wait 20 s. Targets: reads >= {TARGET_RATIO}x unloaded with no errors, p99 <= {TARGET_P99_MS:.0f} ms; "
          f"every flood request answered (400, or 503 with Retry-After) within {TARGET_FLOOD_ANSWER_S:.0f} s.")
    print()
    print("| flood | read | req/s | vs unloaded | p99 ms | non-2xx+errors |")
    print("|---|---|---|---|---|---|")
    for name, _ in READS:
        r = unloaded[name]
        print(f"| none | {name} | {r['rps']:,.0f} | 1.00x | {r['p99']:.2f} | {r['non2xx'] + r['errors']} |")
    for connections, _, loaded, _ in levels:
        for name, _ in READS:
            r, base = loaded[name], unloaded[name]
            ratio = r["rps"] / base["rps"] if base["rps"] else 0.0
            bad = r["non2xx"] + r["errors"]
            print(f"| {connections} conns | {name} | {r['rps']:,.0f} | {ratio:.2f}x {verdict(ratio >= TARGET_RATIO and bad == 0)} | "
                  f"{r['p99']:.2f} {verdict(r['p99'] <= TARGET_P99_MS)} | {bad} |")
    print()
    print("| flood | seconds sending | requests sent | 400 | 503 + Retry-After | other answers | "
          "unanswered in 60 s | connect/read errors | max latency s | all answered <= 30 s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for connections, sending, _, f in levels:
        ok = (f.finished and f.answered == f.sent and f.other == 0 and f.failed == 0
              and f.max_latency <= TARGET_FLOOD_ANSWER_S)
        others = ", ".join(f"{n} x {s}" for s, n in sorted(f.statuses.items()) if s not in (400, 503))
        if f.bare_503:
            others = ", ".join(x for x in (others, f"{f.bare_503} x 503 without Retry-After") if x)
        print(f"| {connections} conns | {sending:.1f} | {f.sent:,} | {f.count(400):,} | {f.overloaded:,} | "
              f"{f.other:,}{' (' + others + ')' if others else ''} | {f.unanswered:,} | {f.failed:,} | "
              f"{f.max_latency:.2f} | {verdict(ok)} |")
    print()
    parts = list(cpu[-1][1])
    print(f"Cores used on average per phase (of {usable_cores()}; the flood phases include the 2 s warm-up and the drain):")
    print()
    print("| flood | " + " | ".join(parts) + " | total |")
    print("|---|" + "---|" * (len(parts) + 1))
    for name, cores in cpu:
        print(f"| {name} | " + " | ".join(f"{cores[p]:.2f}" if p in cores else "-" for p in parts)
              + f" | {sum(cores.values()):.2f} |")


def row(name, r, ceilings):
    ratios = " | ".join(f"{r['rps'] / c['rps']:.2f}x" if c["rps"] else "-" for c in ceilings)
    return (f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx'] + r['errors']} | {ratios} |")


def bulk_load(pg, dbname, total, password_hash):
    have = int(pg.psql("SELECT count(*) FROM users", db=dbname).strip())
    if total <= have:
        return
    pg.psql(f"""INSERT INTO users (id, username, email, password, created_at)
                SELECT md5(random()::text || g)::uuid::text, 'bulk' || g, 'bulk' || g || '@bench.io',
                       '{password_hash}', timestamp '2030-01-01' + g * interval '1 microsecond'
                FROM generate_series({have + 1}, {total}) AS g""", db=dbname)
    pg.psql("ANALYZE users", db=dbname)


def header():
    print()
    print(f"wrk -t2 -c32 -d{DURATION} --timeout 10s through nginx; AuthGate {THREADS} threads on PostgreSQL; "
          f"{usable_cores()} cores shared by all; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def scenario_only(pg, dbname, uri, authgate, started, workdir):
    """BENCH_ONLY: 1,000 users loaded by SQL (bulk1..bulk1000, password
    123456), a token of bulk1, then the one scenario."""
    bulk_load(pg, dbname, 1000, generate_password_hash("123456"))
    probe = Nginx([authgate.address])
    started.append(probe)
    user = {"username": "bulk1", "password": "123456"}
    token = requests.post(probe.url + "/auth/login", json=user, timeout=60).json()["tokens"]["access"]
    page_body = requests.get(probe.url + "/api/users/all?page=1&per_page=3", timeout=60,
                             headers={"Authorization": f"Bearer {token}"}).text
    probe.stop()
    started.remove(probe)
    ceiling_port = free_port()
    # The forward-auth subrequest's answer carries no body: a 2-byte ceiling.
    body_bytes = 2 if ONLY == "forward_auth" else len(page_body.encode())
    threads = shipped.CEILING_THREADS if ONLY == "shipped" else THREADS
    started.append(ceiling_responder(f"127.0.0.1:{ceiling_port}", body_bytes, workdir, threads))
    time.sleep(0.5)
    header()
    if ONLY == "forward_auth":
        forward_auth.run(authgate, token, f"127.0.0.1:{ceiling_port}", wrk, verdict)
    elif ONLY == "shipped":
        shipped_port = free_port()
        started.append(ceiling_responder(f"127.0.0.1:{shipped_port}", len(page_body.encode()), workdir,
                                         shipped.CEILING_THREADS))
        shipped.run(uri, token, f"127.0.0.1:{shipped_port}", with_ceilings, page_body, wrk, verdict)
    else:
        nginx = Nginx([authgate.address])
        started.append(nginx)
        reads_under_login_flood(nginx.url, {"TOKEN": token}, "bulk1",
                                CpuMeter(authgate.proc.pid, nginx.proc.pid, pg.pid()))


def main():
    if not PREBUILT:
        subprocess.run(["swift", "build", "-c", "release", "--product", "authgate"], cwd=ROOT, check=True)
    pg = Postgres()
    started = []
    workdir = tempfile.mkdtemp(prefix="authgate-bench-")
    try:
        dbname, uri = pg.new_database()
        # Cookie mode on, so the forward-auth scenario can measure a cookie
        # token too; header tokens work as before.
        authgate = Responder(uri, env={"AUTHGATE_THREADS": THREADS,
                                       "FLASK_JWT_TOKEN_LOCATION": '["headers", "cookies"]'})
        started.append(authgate)
        if ONLY:
            if ONLY not in SCENARIOS:
                raise SystemExit(f"BENCH_ONLY: unknown scenario {ONLY!r} (known: {', '.join(SCENARIOS)})")
            scenario_only(pg, dbname, uri, authgate, started, workdir)
            return
        idle_rss = rss_kib(authgate.proc.pid)
        # Register 1,000 users through the API (bounded by scrypt: ~1 min).
        probe = Nginx([authgate.address])
        started.append(probe)
        session = requests.Session()
        def reg(i):
            return requests.post(probe.url + "/auth/register", timeout=60,
                                 json={"username": f"user{i}", "email": f"user{i}@bench.io", "password": "123456"}).status_code
        t0 = time.time()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(reg, range(1000)))
        register_seconds = time.time() - t0
        assert statuses.count(201) == 1000, {s: statuses.count(s) for s in set(statuses)}
        token = session.post(probe.url + "/auth/login", json={"username": "user0", "password": "123456"}).json()["tokens"]["access"]
        page_body = session.get(probe.url + "/api/users/all?page=1&per_page=3", headers={"Authorization": f"Bearer {token}"}).text
        probe.stop()
        started.remove(probe)

        ceiling_port = free_port()
        ceiling = ceiling_responder(f"127.0.0.1:{ceiling_port}", len(page_body.encode()), workdir)
        started.append(ceiling)
        edit = with_ceilings(page_body)
        nginx = Nginx([authgate.address], edit=lambda t: edit(t).replace("__CEILING__", f"127.0.0.1:{ceiling_port}"))
        started.append(nginx)
        time.sleep(0.5)
        auth = {"TOKEN": token}
        results = {}
        results["nginx return 200 (ceiling)"] = wrk(nginx.url + "/__nginx_ceiling")
        results["C libfcgi responder (FastCGI ceiling)"] = wrk(nginx.url + "/__fcgi_ceiling")
        results["GET /api/users/all (page 1, 3 per page)"] = wrk(nginx.url + "/api/users/all?page=1&per_page=3", "get_auth.lua", auth)
        results["GET /auth/whoami"] = wrk(nginx.url + "/auth/whoami", "get_auth.lua", auth)
        rss_before_kdf = rss_kib(authgate.proc.pid)
        results["POST /auth/login"] = wrk(nginx.url + "/auth/login", "login.lua", {"BENCH_USER": "user1", "BENCH_PASSWORD": "123456"})
        results["POST /auth/register"] = wrk(nginx.url + "/auth/register", "register.lua", {"BENCH_PREFIX": "w" + uuid.uuid4().hex[:6]})
        after_rss = rss_kib(authgate.proc.pid)
        peak_rss = rss_kib(authgate.proc.pid, "VmHWM")

        time.sleep(2)  # let requests still queued behind the KDF drain before the next runs
        hash_s = scrypt_seconds()
        cores = usable_cores()
        kdf_limit = cores / hash_s
        ceilings = [results["nginx return 200 (ceiling)"], results["C libfcgi responder (FastCGI ceiling)"]]
        print()
        print(f"wrk -t2 -c32 -d{DURATION} --timeout 10s through nginx; AuthGate {THREADS} threads on PostgreSQL; "
              f"{cores} cores shared by all; page body {len(page_body.encode())} bytes")
        print()
        print("| scenario | req/s | p50 ms | p99 ms | non-2xx+errors | vs nginx return | vs FastCGI ceiling |")
        print("|---|---|---|---|---|---|---|")
        for name, r in results.items():
            print(row(name, r, ceilings))
        print()
        print(f"- one scrypt:32768:8:1 hash: {hash_s * 1000:.1f} ms; KDF limit = {cores} cores / that = {kdf_limit:.1f}/s")
        print(f"- login: {results['POST /auth/login']['rps'] / kdf_limit:.2f}x the KDF limit; "
              f"register: {results['POST /auth/register']['rps'] / kdf_limit:.2f}x")
        print(f"- AuthGate RSS: {idle_rss / 1024:.1f} MiB at idle (fresh), {rss_before_kdf / 1024:.1f} MiB after the read loads, "
              f"{after_rss / 1024:.1f} MiB after login/register load, peak {peak_rss / 1024:.1f} MiB "
              f"(scrypt buffer 32 MiB; {cores} cores)")
        print(f"- registering the first 1,000 users through the API took {register_seconds:.1f} s")
        # The auth_request subrequest's answer carries no body: a 2-byte ceiling (its minimum).
        fa_ceiling_port = free_port()
        started.append(ceiling_responder(f"127.0.0.1:{fa_ceiling_port}", 2, workdir))
        forward_auth.run(authgate, token, f"127.0.0.1:{fa_ceiling_port}", wrk, verdict)
        shipped_port = free_port()
        started.append(ceiling_responder(f"127.0.0.1:{shipped_port}", len(page_body.encode()), workdir,
                                         shipped.CEILING_THREADS))
        shipped.run(uri, token, f"127.0.0.1:{shipped_port}", with_ceilings, page_body, wrk, verdict)

        reads_under_login_flood(nginx.url, auth, "user1", CpuMeter(authgate.proc.pid, nginx.proc.pid, pg.pid()))

        # Scale: the users page as the table grows (bulk-loaded, one precomputed hash).
        password_hash = generate_password_hash("123456")
        print()
        print(f"Users page as the table grows (wrk -d{SCALE_DURATION}, per_page 3):")
        print()
        print("| users | page 1 req/s | page 1 p99 ms | last page req/s | last page p99 ms | page 1 vs 1,000 users |")
        print("|---|---|---|---|---|---|")
        first = None
        for total in SCALES:
            bulk_load(pg, dbname, total, password_hash)
            last_page = (total + 2) // 3
            p1 = wrk(nginx.url + "/api/users/all?page=1&per_page=3", "get_auth.lua", auth, SCALE_DURATION)
            pl = wrk(nginx.url + f"/api/users/all?page={last_page}&per_page=3", "get_auth.lua", auth, SCALE_DURATION)
            first = first or p1["rps"]
            print(f"| {total:,} | {p1['rps']:,.0f} | {p1['p99']:.2f} | {pl['rps']:,.0f} | {pl['p99']:.2f} | "
                  f"{p1['rps'] / first:.2f}x |")
    finally:
        for proc in reversed(started):
            if hasattr(proc, "stop"):
                proc.stop()
            else:
                stop_process(proc)
        pg.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    # A SIGTERM (a `timeout`, a CI runner) unwinds like Ctrl-C, so `main`'s
    # cleanup stops what it started: a C ceiling responder left behind
    # keeps the caller's output pipe open, and its port, for good.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    main()
