"""Measures nginx keep-alive against responder threads: wrk through the
project's nginx.conf to /healthz (SQLite) for four settings, `-c32`. Run from the
project root after `swift build -c release`:
    .venv/bin/python scripts/keepalive-bench.py"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "EndToEnd"))
sys.path.insert(0, os.path.join(ROOT, "deploy", "bench"))
os.environ.setdefault("AUTHGATE_BIN", os.path.join(ROOT, ".build", "release", "authgate"))
from bench import wrk  # noqa: E402
from harness import Nginx, Responder  # noqa: E402

variants = {
 "keepalive 32, 16 threads (shipped)": (lambda t: t, {}),
 "keepalive 4, 16 threads": (lambda t: t.replace("keepalive 32;", "keepalive 4;"), {}),
 "no keepalive, 16 threads": (lambda t: t.replace("keepalive 32;", "").replace("fastcgi_keep_conn on;", "fastcgi_keep_conn off;"), {}),
 "keepalive 32, 4 threads (more kept connections than threads)": (lambda t: t, {"AUTHGATE_THREADS": "4"}),
}
for name, (edit, env) in variants.items():
    r = Responder(env=env)
    n = Nginx([r.address], edit=edit); port = n.port
    result = wrk(f"http://127.0.0.1:{port}/healthz", duration="5s")
    print(f"{name}: {result['rps']:,.0f} req/s, p99 {result['p99']:.1f} ms, non-2xx+errors {result['non2xx'] + result['errors']}",
          flush=True)
    n.stop(); r.stop()
