"""Prometheus metrics through real nginx: nginx.conf's loopback-only
metrics server serves AuthGate's /metrics with values that move with the
traffic; the public server answers /metrics 404 JSON whatever a client
sends, because only the metrics server sets the AUTHGATE_METRICS FastCGI
parameter and a client's headers reach AuthGate as HTTP_*."""
import concurrent.futures
import os
import re
import shutil

import pytest
import requests

from conftest import unique
from harness import ROOT, Nginx, Responder, private_socket_dir
from helpers import bearer, eventually, login, register

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset of label pairs): value} of a text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        samples[(m.group(1), frozenset(LABEL.findall(m.group(2) or "")))] = float(m.group(3))
    return samples


def scrape(stack):
    r = requests.get(stack.nginx.metrics_url + "/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(r.text)


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def moves_to(stack, expected, name, **labels):
    """Waits for the sample to reach `expected` (AuthGate counts right after
    it answers, so the client may be first); returns the last scrape."""
    last = {}

    def reached():
        last.update(scrape(stack))
        return value(last, name, **labels) == expected
    assert eventually(reached), (name, labels, expected, value(last, name, **labels))
    return last


def test_metrics_are_served_on_the_loopback_server_and_move_with_requests(stack):
    name = unique("metrics")
    before = scrape(stack)
    assert register(stack, name).status_code == 201
    login(stack, name)
    assert stack.get("/auth/whoami", headers=bearer("not-a-token")).status_code == 401
    assert stack.get("/no/such/path").status_code == 404

    for route, status in [("/auth/register", "201"), ("/auth/login", "200"), ("/auth/whoami", "401"),
                          ("unmatched", "404")]:
        after = moves_to(stack, value(before, "authgate_requests_total", route=route, status=status) + 1,
                         "authgate_requests_total", route=route, status=status)
    histogram = "authgate_request_duration_seconds"
    count = value(after, histogram + "_count", route="/auth/login")
    assert count == value(before, histogram + "_count", route="/auth/login") + 1
    assert value(after, histogram + "_bucket", route="/auth/login", le="+Inf") == count
    assert value(after, histogram + "_sum", route="/auth/login") > value(before, histogram + "_sum", route="/auth/login")
    # Scrapes count too, under a route of their own.
    assert value(after, "authgate_requests_total", route="/metrics", status="200") >= 1
    # The transport's gauges: 16 workers (the scrape's own is busy), the KDF pool idle.
    assert value(after, "authgate_threads", kind="worker") == 16
    assert value(after, "authgate_threads", kind="kdf") >= 1
    assert value(after, "authgate_threads_busy", kind="worker") >= 1
    assert value(after, "authgate_kdf_queue_depth") == 0
    assert ("authgate_kdf_rejections_total", frozenset({("reason", "queue_full")})) in after


def test_the_public_server_answers_404_json_for_metrics_whatever_the_client_sends(stack):
    spoofs = [{}, {"Authgate-Metrics": "1"}, {"AUTHGATE_METRICS": "1"}, {"X-Authgate-Metrics": "1"},
              {"Fastcgi-Param": "AUTHGATE_METRICS 1"}]
    for headers in spoofs:
        for path in ("/metrics", "/metrics?AUTHGATE_METRICS=1", "/metrics/"):
            r = stack.get(path, headers=headers)
            assert r.status_code == 404, (path, headers, r.text)
            assert r.headers["Content-Type"] == "application/json"
            assert r.json() == {"error": "Not found"}
            assert "authgate_" not in r.text
    r = stack.http.head(stack.url + "/metrics", headers={"Authgate-Metrics": "1"}, timeout=30)
    assert r.status_code == 404 and r.text == ""


def test_the_metrics_server_serves_nothing_else(stack):
    for path in ("/auth/login", "/healthz", "/", "/_authgate/error/404"):
        r = requests.get(stack.nginx.metrics_url + path, timeout=30)
        assert r.status_code == 404 and r.json() == {"error": "Not found"}, (path, r.text)
    r = requests.post(stack.nginx.metrics_url + "/metrics", timeout=30)
    assert r.status_code == 405 and r.headers["Content-Type"] == "application/json"
    r = requests.head(stack.nginx.metrics_url + "/metrics", timeout=30)
    assert r.status_code == 200 and r.text == ""


@pytest.mark.parametrize("conf", ["nginx.conf", "deploy/compose/nginx.conf", "deploy/nginx-upstream.conf"])
def test_only_the_loopback_metrics_server_sets_the_parameter(conf):
    """In every shipped configuration the parameter is set in one server
    block, which listens on 127.0.0.1 only and denies other peers."""
    text = open(os.path.join(ROOT, conf)).read()
    blocks = re.split(r"\n    server \{", text)
    setting = [b for b in blocks if "fastcgi_param AUTHGATE_METRICS 1;" in b]
    assert len(setting) == 1
    block = setting[0]
    assert block.startswith("  # metrics: loopback only")
    listens = re.findall(r"^\s*listen\s+([^;\s]+)", block, re.M)
    assert listens and all(l.startswith("127.0.0.1:") for l in listens), listens
    assert "allow 127.0.0.1;" in block and "deny all;" in block
    # Not in the http block either, where every server would inherit it.
    directives = "\n".join(l for l in text.splitlines() if not l.strip().startswith("#"))
    assert directives.count("AUTHGATE_METRICS") == block.count("fastcgi_param AUTHGATE_METRICS 1;")


def test_kdf_rejections_are_counted(make_stack):
    s = make_stack("sqlite", env={"AUTHGATE_KDF_THREADS": "1", "AUTHGATE_KDF_WAIT_SECONDS": "1"})
    user = unique("reject")
    assert register(s, user).status_code == 201

    def attempt(_):
        return s.post("/auth/login", json={"username": user, "password": "wrong-password"}).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    rejected = statuses.count(503)
    assert rejected and set(statuses) <= {400, 503}, statuses

    def counted():
        m = scrape(s)
        return (value(m, "authgate_kdf_rejections_total", reason="queue_full")
                + value(m, "authgate_kdf_rejections_total", reason="deadline")) == rejected \
            and value(m, "authgate_requests_total", route="/auth/login", status="503") == rejected
    assert eventually(counted, seconds=15)
    assert value(scrape(s), "authgate_kdf_queue_depth") == 0


def test_postgres_read_cache_and_reconnects_are_reported(make_stack):
    s = make_stack("postgres")
    moves_to(s, 1, "authgate_read_cache_enabled")
    name = unique("cache")
    assert register(s, name).status_code == 201
    tokens = login(s, name)
    before = scrape(s)
    for _ in range(3):
        assert s.get("/auth/whoami", headers=bearer(tokens["access"])).status_code == 200

    def looked_up(m, kind, *results):
        return sum(value(m, "authgate_read_cache_lookups_total", kind=kind, result=r) for r in results)
    after = moves_to(s, looked_up(before, "revocation", "hit") + 3, "authgate_read_cache_lookups_total",
                     kind="revocation", result="hit")
    assert looked_up(after, "user", "hit", "miss") == looked_up(before, "user", "hit", "miss") + 3
    assert looked_up(after, "user", "hit") >= looked_up(before, "user", "hit") + 2
    assert value(after, "authgate_read_cache_entries", kind="users") >= 1

    # The server drops every connection of this database: the store's are
    # opened again on their next use, the listener's at once.
    store = value(after, "authgate_db_reconnects_total", connection="store")
    listener = value(after, "authgate_db_reconnects_total", connection="listener")
    s.postgres.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{s.dbname}'")

    def reconnected():
        assert s.get("/healthz").status_code in (200, 503)
        m = scrape(s)
        return (value(m, "authgate_db_reconnects_total", connection="store") > store
                and value(m, "authgate_db_reconnects_total", connection="listener") > listener
                and value(m, "authgate_read_cache_enabled") == 1)
    assert eventually(reconnected, seconds=20)


def test_two_responders_are_scraped_each_on_its_own_path(postgres):
    """deploy/nginx-upstream.conf: /metrics/a and /metrics/b reach one
    responder each, and each counts only the requests it answered."""
    _, uri = postgres.new_database()
    parent, sockets = private_socket_dir()
    a = Responder(uri, unix_socket=os.path.join(sockets, "a.sock"))
    b = Responder(uri, unix_socket=os.path.join(sockets, "b.sock"))
    nginx = Nginx([], source=os.path.join(ROOT, "deploy", "nginx-upstream.conf"),
                  replace={"unix:/run/authgate/a.sock": a.address, "unix:/run/authgate/b.sock": b.address})
    try:
        for _ in range(6):
            assert requests.get(nginx.url + "/livez", timeout=30).status_code == 200

        def livez(path):
            r = requests.get(nginx.metrics_url + path, timeout=30)
            assert r.status_code == 200, r.text
            return value(parse(r.text), "authgate_requests_total", route="/livez", status="200")
        # Round robin over two responders: 6 in all, each its share.
        assert eventually(lambda: livez("/metrics/a") + livez("/metrics/b") == 6)
        assert livez("/metrics/a") >= 1 and livez("/metrics/b") >= 1
        assert requests.get(nginx.metrics_url + "/metrics", timeout=30).status_code == 404
    finally:
        nginx.stop()
        a.stop()
        b.stop()
        shutil.rmtree(parent, ignore_errors=True)
