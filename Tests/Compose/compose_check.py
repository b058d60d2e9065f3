"""Client side of the compose test, through the compose nginx:
`register` creates a user and checks it, and the /demo/ gate for API
clients and for browsers (cookie mode); `verify` (after container
restarts) checks it is still there; `reload CMD...` runs CMD (a graceful
restart) three times under logins and whoami and fails on any request
that does not get its normal answer. Standard library only."""
import html
import http.cookiejar
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = sys.argv[1]
USER = {"username": "compose-user", "email": "compose@example.com", "password": "123456"}


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Browser:
    """What a browser does that matters here, without following redirects:
    it keeps cookies, asks for HTML, and posts forms."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self.NoRedirect)

    def open(self, method, path, form=None):
        """(status, headers, body text); a 3xx is returned, not followed."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(BASE + path, data=data, method=method, headers={"Accept": "text/html"})
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)


def sign_in_location(location):
    """The rd of a Location that names the sign-in page (relative: nginx
    and AuthGate keep the browser on the host and port it used), else None."""
    parts = urllib.parse.urlsplit(location or "")
    if parts.scheme or parts.netloc or parts.path != "/auth/sign-in":
        return None
    return urllib.parse.parse_qs(parts.query).get("rd", [None])[0]


def browser_demo():
    """A browser opening /demo/ (cookie mode is on in docker-compose.yml):
    sent to the sign-in page and back to where it was going, greeted by
    the demo page, which signs it out."""
    b = Browser()
    status, headers, _ = b.open("GET", "/demo/?from=compose")
    assert status == 302 and sign_in_location(headers["Location"]) == "/demo/?from=compose", \
        (status, headers["Location"])
    status, _, page = b.open("GET", headers["Location"])
    assert status == 200 and 'name="signin_token"' in page, (status, page[:500])
    form = {"rd": "/demo/?from=compose", "username": USER["username"], "password": USER["password"],
            "signin_token": html.unescape(re.search(r'name="signin_token" value="([^"]*)"', page).group(1))}
    status, headers, _ = b.open("POST", "/auth/sign-in", form)
    assert status == 303 and headers["Location"] == "/demo/?from=compose", (status, headers["Location"])
    csrf = b.cookie("csrf_access_token")
    assert csrf and b.cookie("access_token_cookie") and b.cookie("refresh_token_cookie"), list(b.jar)
    status, headers, page = b.open("GET", "/demo/?from=compose")
    assert status == 200 and headers.get_content_type() == "text/html", (status, page[:500])
    assert f'<span id="user">{USER["username"]}</span>' in page, page
    assert f'name="csrf_token" value="{csrf}"' in page and 'action="/auth/sign-out"' in page, page
    status, headers, _ = b.open("POST", "/auth/sign-out", {"csrf_token": csrf, "rd": "/demo/"})
    assert status == 303 and headers["Location"] == "/demo/", (status, headers["Location"])
    assert b.cookie("access_token_cookie") is None, list(b.jar)
    status, headers, _ = b.open("GET", "/demo/")
    assert status == 302 and sign_in_location(headers["Location"]) == "/demo/", (status, headers["Location"])


def wait_healthy(timeout=300):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = call("GET", "/healthz")
            if last[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError) as e:
            last = repr(e)
        time.sleep(1)
    raise SystemExit(f"not healthy: {last}")


def logged_in():
    status, body = call("POST", "/auth/login", {"username": USER["username"], "password": USER["password"]})
    assert status == 200, (status, body)
    return body["tokens"]["access"]


def listed(token):
    status, body = call("GET", "/api/users/all?per_page=100", token=token)
    assert status == 200, (status, body)
    return [u["username"] for u in body["users"]]


def reload_under_load(command, restarts=3):
    token = logged_in()
    stop = threading.Event()
    results, failures, lock = [], [], threading.Lock()

    def loop(kind):
        while not stop.is_set():
            try:
                if kind == "login":
                    status, _ = call("POST", "/auth/login", {"username": USER["username"], "password": USER["password"]})
                else:
                    status, _ = call("GET", "/auth/whoami", token=token)
            except Exception as e:  # a reset or refused connection is a failure too
                status = repr(e)
            with lock:
                results.append((kind, status))
                if status != 200:
                    failures.append((kind, status))

    threads = [threading.Thread(target=loop, args=(kind,)) for kind in ("login", "login", "whoami", "whoami")]
    for t in threads:
        t.start()
    try:
        for _ in range(restarts):
            time.sleep(2)
            subprocess.run(command, check=True, timeout=60, stdout=subprocess.DEVNULL)
        time.sleep(4)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not failures, (failures[:10], len(results))
    assert len(results) >= 50, len(results)
    print(f"  {len(results)} requests during {restarts} graceful restarts, 0 failed")


wait_healthy()
if sys.argv[2] == "reload":
    reload_under_load(sys.argv[3:])
elif sys.argv[2] == "register":
    status, body = call("POST", "/auth/register", USER)
    assert (status, body) == (201, {"message": "User created"}), (status, body)
    status, body = call("GET", "/nope")
    assert (status, body) == (404, {"error": "Not found"}), (status, body)
token = logged_in()
assert USER["username"] in listed(token)
if sys.argv[2] == "register":
    # The forward-auth demo: /demo/ is let through only with a valid token,
    # and the application sees the identity AuthGate gave, not the client's.
    status, body = call("GET", "/demo/")
    assert status == 401 and body.get("error") == "authorization_header", (status, body)
    req = urllib.request.Request(BASE + "/demo/", headers={"Authorization": "Bearer " + token,
                                                         "X-Auth-User": "mallory"})
    with urllib.request.urlopen(req, timeout=30) as r:
        greeting = r.read().decode()
    assert r.status == 200 and f"Hello {USER['username']} (id " in greeting, greeting
    browser_demo()
print(f"compose check {sys.argv[2]}: ok")
