"""deploy/nginx-limit-req.conf through a real nginx in front of AuthGate:
an office's burst of 100 logins from one address passes, a sustained
flood from one address gets nginx's JSON 429 while other addresses and
other routes are not counted, and X-Forwarded-For is believed only from
the trusted proxies the recipe lists."""
import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import unique
from harness import run_sql
from helpers import register
from recipe_stack import RecipeStack, client_address, from_address

# The recipe's numbers (asserted against the file, so the tests follow it).
RATE, BURST = 10, 200
NGINX_429 = {"error": "Too many requests"}


@pytest.fixture(scope="module")
def limited():
    # AuthGate's own throttle on too, only to record the address it was given.
    s = RecipeStack("sqlite", env={"AUTHGATE_LOGIN_THROTTLE": "true"})
    yield s
    s.stop()


def test_the_recipe_has_the_numbers_these_tests_assume():
    from recipe_stack import REAL_IP, RECIPE
    text = open(RECIPE).read()
    assert f"rate={RATE}r/s;" in text and f"burst={BURST} nodelay;" in text
    assert "limit_req_status 429;" in text and "real_ip_recursive on;" in open(REAL_IP).read()


def test_a_burst_of_100_concurrent_logins_from_one_address_all_pass(limited):
    user, office = unique("office"), client_address()
    assert register(limited, user).status_code == 201
    start = threading.Barrier(100, timeout=60)

    def log_in(_):
        start.wait()  # all 100 in flight together
        r = requests.post(limited.url + "/auth/login", json={"username": user, "password": "123456"},
                          headers=from_address(office), timeout=60)
        return r.status_code, r.text

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(log_in, range(100)))
    statuses = [status for status, _ in answers]
    assert statuses == [200] * 100, [a for a in answers if a[0] != 200][:3]


def test_a_sustained_flood_from_one_address_gets_json_429(limited):
    flooder, bystander = client_address(), client_address()
    sent = 3 * BURST
    began = time.monotonic()

    def post(_):
        # An empty body: AuthGate answers 400 without deriving anything.
        with requests.Session() as http:
            r = http.post(limited.url + "/auth/login", json={}, headers=from_address(flooder), timeout=60)
            return r.status_code, r.headers.get("Content-Type"), r.content

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(post, range(sent)))
    elapsed = time.monotonic() - began
    limited_answers = [a for a in answers if a[0] == 429]
    passed = [a for a in answers if a[0] != 429]
    assert {a[0] for a in passed} == {400}, {a[0] for a in passed}  # AuthGate's own answer to "{}"
    # Let through: the burst, plus what the rate refilled while the flood lasted.
    assert len(passed) <= 1 + BURST + RATE * (elapsed + 1), (len(passed), elapsed)
    assert len(limited_answers) >= sent - (1 + BURST + RATE * (elapsed + 1))
    assert limited_answers, "nothing was limited"
    for status, content_type, body in limited_answers:
        assert content_type == "application/json" and json.loads(body) == NGINX_429
    # Another address has a bucket of its own.
    assert limited.post("/auth/login", json={}, headers=from_address(bystander)).status_code == 400


def test_other_routes_are_not_counted(limited):
    address, sent = client_address(), 3 * BURST
    began = time.monotonic()

    def request(i):
        with requests.Session() as http:
            if i % 2:
                return http.get(limited.url + "/livez", headers=from_address(address), timeout=60).status_code
            return http.post(limited.url + "/auth/refresh", headers=from_address(address), timeout=60).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(request, range(sent)))
    elapsed = time.monotonic() - began
    # Had they been counted, this many in this time would have met the limit.
    assert sent > 1 + BURST + RATE * (elapsed + 1), f"too slow to tell: {elapsed:.1f} s"
    assert sorted(set(statuses)) == [200, 401]  # /livez, and /auth/refresh without a token


def recorded_address(stack, user):
    rows = run_sql(stack, "SELECT address FROM authgate_login_failures WHERE username = ?", (user,))
    return [r[0] for r in rows]


def fail_login(stack, user, headers, source="127.0.0.1"):
    """One failed login sent from the local address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.nginx.port, timeout=30, source_address=(source, 0))
    try:
        conn.request("POST", "/auth/login", body=json.dumps({"username": user, "password": "wrong-password"}),
                     headers={"Content-Type": "application/json", **headers})
        return conn.getresponse().status
    finally:
        conn.close()


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(limited):
    # From a trusted proxy (loopback): the client it names.
    user = unique("xff")
    assert fail_login(limited, user, {"X-Forwarded-For": "198.51.100.23"}) == 400
    assert recorded_address(limited, user) == ["198.51.100.23"]
    # Recursive: the rightmost address that is not a trusted proxy; what the
    # client itself wrote further left is ignored.
    user = unique("xff")
    assert fail_login(limited, user, {"X-Forwarded-For": "192.0.2.66, 198.51.100.24, 127.0.0.1"}) == 400
    assert recorded_address(limited, user) == ["198.51.100.24"]
    # From an address the recipe does not trust: its own address, whatever it claims.
    user = unique("xff")
    assert fail_login(limited, user, {"X-Forwarded-For": "198.51.100.25"}, source="127.0.0.2") == 400
    assert recorded_address(limited, user) == ["127.0.0.2"]
