"""A person with a browser, for real: headless Chromium (browser.py)
through the project's nginx and the forward-auth recipe, with cookie mode
on (docs/browser-sessions.md), on SQLite and PostgreSQL. A gated page
sends the browser to the sign-in page and back; the session survives a
reload, serves a second tab, renews an expired access cookie by itself,
and ends in every tab on sign-out; an unsafe return address never leaves
the site; another site's forms can neither sign the person out nor sign
them in; a wrong password gets one message with status 400 on a page
without console errors or policy violations. The compose demo's page
(deploy/compose/nginx.conf, run here as test_forward_auth.py runs it)
greets the signed-in user and signs them out.

The run writes PNGs of the sign-in page and of the signed-in pages to
$AUTHGATE_SCREENSHOTS, else to `screenshots/` in pytest's temp dir."""
import base64
import html
import json
import os
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from browser import Browser
from conftest import BACKENDS, unique
from forward_auth_stack import ForwardAuthStack
from harness import BINARY, Nginx, Responder, private_socket_dir
from helpers import bearer, eventually, register
from test_forward_auth import compose_nginx_conf

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COOKIE_MODE = {"FLASK_JWT_TOKEN_LOCATION": '["headers", "cookies"]'}
PASSWORD = "correct horse 42"
SESSION_COOKIES = {"access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token"}
REFUSED = "Invalid username or password."
# Return addresses that must never be followed: other hosts, written as a
# browser would resolve them (scheme-relative, a backslash, a tab that
# browsers drop, user info), and other schemes.
UNSAFE_RD = ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
             "javascript:alert(1)", "http://127.0.0.1.evil.example/", "https://127.0.0.1@evil.example/",
             "///evil.example"]
# Relative, so followed, but each names a page of AuthGate's own that
# takes an unsafe return address in turn: the browser must stay on the site.
CHAINED_RD = ["/auth/refresh-session?rd=" + quote("//evil.example/", safe=""),
              "/auth/sign-in?rd=" + quote("https://evil.example/", safe="")]


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = os.environ.get("AUTHGATE_SCREENSHOTS") or str(tmp_path_factory.getbasetemp() / "screenshots")
    os.makedirs(folder, exist_ok=True)
    return folder


def gate_for(request, backend, env=None):
    pg = request.getfixturevalue("postgres") if backend == "postgres" else None
    return ForwardAuthStack(backend, postgres=pg, env={**COOKIE_MODE, **(env or {})})


@pytest.fixture(scope="module", params=BACKENDS)
def gate(request):
    """nginx with the recipe (/app/ is gated, the echo upstream behind it)
    and AuthGate in cookie mode, the default 15-minute access tokens."""
    s = gate_for(request, request.param)
    yield s
    s.stop()


@pytest.fixture
def browser(request, screenshots):
    """A fresh Chromium; when the test failed, a PNG and the HTML of what
    its current tab showed are kept beside the screenshots."""
    b = Browser()
    failed = request.session.testsfailed
    yield b
    try:
        if request.session.testsfailed > failed:  # the call's report is in by now
            name = "failed-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
            b.screenshot(os.path.join(screenshots, name + ".png"))
            with open(os.path.join(screenshots, name + ".html"), "w") as f:
                f.write(f"<!-- {b.url} -->\n" + b.driver.page_source)
    finally:
        b.quit()


@pytest.fixture
def user(gate):
    name = unique("web")
    assert register(gate, name, password=PASSWORD).status_code == 201
    return name


class OtherSite:
    """Another site (127.0.0.2: another host, so another origin and another
    site for the browser than nginx's 127.0.0.1) whose page posts a form to
    AuthGate as soon as it loads, as a forged form would:
    `/post?action=URL&field=value...`."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                action = query.pop("action", [""])[0]
                inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v[0])}">'
                                 for k, v in query.items())
                body = (f'<!doctype html><title>Win a prize</title>'
                        f'<body onload="document.forms[0].submit()">'
                        f'<form method="post" action="{html.escape(action)}">{inputs}</form>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.2:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, action, **fields):
        return self.url + "/post?" + urlencode({"action": action, **fields})

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def other_site():
    site = OtherSite()
    yield site
    site.stop()


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def claims(token):
    """A JWT's payload, unverified (the tests only compare times)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def identity(b):
    """What the echo upstream received: (X-Auth-User, X-Auth-User-Id, path)."""
    echo = b.json()
    headers = {k.lower(): v for k, v in echo["headers"]}
    return headers.get("x-auth-user"), headers.get("x-auth-user-id"), echo["path"]


def user_id(stack, access):
    r = stack.get("/auth/whoami", headers=bearer(access))
    assert r.status_code == 200, r.text
    return r.json()["user_details"]["id"]


def token_error(stack, path, token, method="GET"):
    """The API's answer to `token` in the Authorization header: None when
    accepted, else its error name."""
    r = stack.http.request(method, stack.url + path, headers=bearer(token), timeout=30)
    return None if r.status_code == 200 else r.json().get("error")


def signed_in(b, stack, target, name):
    """Opens the gated `target`, signs in on the page it lands on, and
    checks it is back on `target` with the upstream seeing `name`."""
    b.open(stack.url + target)
    assert b.on_sign_in_page(), b.url
    b.sign_in(name, PASSWORD)
    assert origin(b.url) == stack.url and b.path() == target, b.url
    assert identity(b)[0] == name
    return b


def unexpected_console(entries, allowed_statuses=()):
    """Console entries but the favicon's 404 (the page has none; nginx
    answers AuthGate's JSON 404) and the document's own expected status."""
    out = []
    for level, message in entries:
        if "/favicon.ico - Failed to load resource" in message:
            continue
        if any(f"Failed to load resource: the server responded with a status of {s} " in message
               for s in allowed_statuses):
            continue
        out.append((level, message))
    return out


def test_a_gated_page_sends_the_browser_to_sign_in_and_back_to_it(gate, user, browser, screenshots):
    target = "/app/reports/q3?year=2026&team=a%20b"
    browser.open(gate.url + target)
    assert browser.on_sign_in_page() and browser.status() == 200, browser.url
    assert browser.query() == {"rd": target}
    assert browser.driver.find_element(By.NAME, "rd").get_attribute("value") == target
    browser.screenshot(os.path.join(screenshots, f"{gate.backend}-sign-in.png"))

    browser.sign_in(user, PASSWORD)
    assert origin(browser.url) == gate.url and browser.path() == target, browser.url
    assert browser.status() == 200
    cookies = browser.cookies()
    assert SESSION_COOKIES <= set(cookies), sorted(cookies)
    name, uid, path = identity(browser)
    assert (name, path) == (user, target)
    assert uid == user_id(gate, cookies["access_token_cookie"]["value"])
    # Tokens only where scripts cannot read them; CSRF values where the
    # site's own scripts can; all of them end with the browser session.
    hidden = {"access_token_cookie", "refresh_token_cookie", "authgate_signin"}
    for cookie in cookies.values():
        assert cookie["httpOnly"] == (cookie["name"] in hidden), cookie["name"]
        assert "expiry" not in cookie, cookie
    browser.screenshot(os.path.join(screenshots, f"{gate.backend}-signed-in.png"))

    browser.reload()
    assert browser.path() == target and identity(browser) == (user, uid, target)
    assert browser.cookies()["access_token_cookie"]["value"] == cookies["access_token_cookie"]["value"]
    # Another gated page of the site: no sign-in page on the way.
    browser.open(gate.url + "/app/elsewhere")
    assert browser.path() == "/app/elsewhere" and identity(browser)[0] == user


def test_a_second_tab_shares_the_session_and_sign_out_ends_it_in_every_tab(gate, user, browser):
    signed_in(browser, gate, "/app/one", user)
    first = browser.driver.current_window_handle
    second = browser.new_tab(gate.url + "/app/two")
    assert browser.path() == "/app/two" and identity(browser)[0] == user  # no sign-in page in the new tab
    cookies = browser.cookies()
    access, refresh = cookies["access_token_cookie"]["value"], cookies["refresh_token_cookie"]["value"]

    browser.sign_out_here()
    assert browser.on_sign_in_page() and browser.query() == {"signed_out": "1"}, browser.url
    assert browser.notice() == "You are signed out."
    assert not SESSION_COOKIES & set(browser.cookies()), sorted(browser.cookies())

    browser.switch_to(first).reload()
    assert browser.on_sign_in_page() and browser.query() == {"rd": "/app/one"}, browser.url
    browser.switch_to(second).open(gate.url + "/app/two")
    assert browser.on_sign_in_page() and browser.query() == {"rd": "/app/two"}, browser.url
    # Revoked, not only forgotten by the browser.
    assert token_error(gate, "/auth/whoami", access) == "token_revoked"
    assert token_error(gate, "/auth/refresh", refresh, "POST") == "token_revoked"

    # The person can sign in again from either tab.
    browser.sign_in(user, PASSWORD)
    assert browser.path() == "/app/two" and identity(browser)[0] == user


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_expired_access_cookie_is_renewed_without_signing_in_again(request, backend, browser):
    stack = gate_for(request, backend, {"FLASK_JWT_ACCESS_TOKEN_EXPIRES": "3"})
    try:
        name = unique("expiry")
        assert register(stack, name, password=PASSWORD).status_code == 201
        signed_in(browser, stack, "/app/live?page=2", name)
        first = browser.driver.current_window_handle
        old = browser.cookies()
        old_access = old["access_token_cookie"]["value"]
        second = browser.new_tab(stack.url + "/app/other")
        assert identity(browser)[0] == name

        time.sleep(max(0.0, claims(old_access)["exp"] - time.time()) + 1.5)
        assert token_error(stack, "/auth/whoami", old_access) == "token_expired"
        bounces = access_log_paths(stack).count("/auth/refresh-session")
        browser.switch_to(first).reload()
        assert origin(browser.url) == stack.url and browser.path() == "/app/live?page=2", browser.url
        assert identity(browser)[0] == name
        new = browser.cookies()
        new_access = new["access_token_cookie"]["value"]
        assert new_access != old_access
        assert claims(new_access)["exp"] > claims(old_access)["exp"] and claims(new_access)["sub"] == name
        assert new["csrf_access_token"]["value"] != old["csrf_access_token"]["value"]
        # It went through the bounce (a real answer of AuthGate's sets the
        # cookie); nginx writes its access log within a second.
        assert eventually(lambda: access_log_paths(stack).count("/auth/refresh-session") > bounces), \
            access_log_paths(stack)

        # The other tab goes on with the renewed session, and signs out
        # with the CSRF value of the renewed token (read when it posts).
        browser.switch_to(second).reload()
        assert browser.path() == "/app/other" and identity(browser)[0] == name
        browser.sign_out_here()
        assert browser.on_sign_in_page() and browser.notice() == "You are signed out.", browser.url
        browser.switch_to(first).reload()
        assert browser.on_sign_in_page(), browser.url
    finally:
        stack.stop()


def access_log_paths(stack):
    """The paths nginx has logged so far (its JSON access log, written
    in buffers at least every second), in order."""
    nginx_log = stack.nginx.access_log
    if not os.path.exists(nginx_log):
        return []
    with open(nginx_log) as f:
        return [json.loads(line)["path"] for line in f if line.strip()]


def test_an_unsafe_return_address_never_leaves_the_site(gate, user, browser):
    for rd in UNSAFE_RD:
        browser.open(gate.url + "/auth/sign-in?rd=" + quote(rd, safe=""))
        assert browser.driver.find_element(By.NAME, "rd").get_attribute("value") == "/", rd
        browser.sign_in(user, PASSWORD)
        assert origin(browser.url) == gate.url and browser.path() == "/", (rd, browser.url)
        with pytest.raises(NoAlertPresentException):
            browser.driver.switch_to.alert.text
    for rd in CHAINED_RD:
        browser.open(gate.url + "/auth/sign-in?rd=" + quote(rd, safe=""))
        browser.sign_in(user, PASSWORD)
        assert origin(browser.url) == gate.url, (rd, browser.url)
        if browser.on_sign_in_page():  # the form again, returning to `/`
            assert browser.driver.find_element(By.NAME, "rd").get_attribute("value") == "/", rd
        else:
            assert browser.path() == "/", (rd, browser.url)
    # A gated address that would be another host as a return address
    # (`//app/x` is http://app/x): nginx gates it as /app/x, AuthGate
    # returns to `/` instead.
    browser.driver.delete_all_cookies()
    browser.open(gate.url + "//app/x")
    assert browser.on_sign_in_page() and browser.query() == {"rd": "/"}, browser.url
    browser.sign_in(user, PASSWORD)
    assert origin(browser.url) == gate.url and browser.path() == "/", browser.url


def test_another_sites_form_cannot_end_the_session(gate, user, browser, other_site):
    signed_in(browser, gate, "/app/victim", user)
    before = browser.cookies()
    access = before["access_token_cookie"]["value"]
    for path in ("/auth/sign-out", "/auth/logout", "/api/auth/logout"):
        browser.open(other_site.page(gate.url + path, csrf_token="guessed", rd="/app/victim"))
        browser.wait_for(lambda b: origin(b.url) == gate.url and b.driver.find_elements(By.TAG_NAME, "pre"),
                         f"the forged post to {path} to be answered")
        assert browser.path() == path, browser.url  # answered there, not redirected
        # Refused: sign-out because the browser says the post is cross-site
        # (and the CSRF value is wrong), logout because a form cannot send
        # JSON nor the X-CSRF-TOKEN header.
        assert 400 <= browser.status() < 500, browser.page_excerpt()
        if path == "/auth/sign-out":
            assert (browser.status(), browser.json()["error"]) == (401, "csrf_missing"), browser.page_excerpt()
        assert {n: c["value"] for n, c in browser.cookies().items()} == \
            {n: c["value"] for n, c in before.items()}, path
    assert token_error(gate, "/auth/whoami", access) is None
    browser.open(gate.url + "/app/victim")
    assert browser.path() == "/app/victim" and identity(browser)[0] == user


def test_another_sites_form_cannot_sign_anyone_in(gate, browser, other_site):
    mallory = unique("mallory")
    assert register(gate, mallory, password=PASSWORD).status_code == 201
    # The attacker's own form value (with the cookie of the attacker's own
    # browser, which the victim's browser does not have).
    page = requests.get(gate.url + "/auth/sign-in", timeout=30).text
    attackers = html.unescape(page.split('name="signin_token" value="', 1)[1].split('"', 1)[0])
    # The victim has seen the sign-in page: the browser holds a form value of its own.
    browser.open(gate.url + "/app/inbox")
    assert browser.on_sign_in_page()
    for fields in ({"signin_token": attackers}, {}):
        browser.open(other_site.page(gate.url + "/auth/sign-in", username=mallory, password=PASSWORD,
                                     rd="/app/inbox", **fields))
        browser.wait_for(lambda b: origin(b.url) == gate.url and b.driver.find_elements(By.ID, "notice"),
                         "the forged sign-in to be answered")
        assert browser.status() == 403 and "came from another site" in browser.notice(), browser.page_excerpt()
        assert not SESSION_COOKIES & set(browser.cookies()), sorted(browser.cookies())
        browser.open(gate.url + "/app/inbox")
        assert browser.on_sign_in_page(), browser.url  # not signed in as the attacker


def test_a_user_outside_the_locations_group_gets_the_403_page(gate, user, browser):
    """/ops/ lets only the `ops` group in: a signed-in user outside it gets
    the recipe's 403 page (not a sign-in loop, not JSON); once an operator
    adds the user to the group, a reload gets through."""
    signed_in(browser, gate, "/app/one", user)
    browser.open(gate.url + "/ops/board")
    assert browser.status() == 403 and browser.path() == "/ops/board", browser.url
    assert "Not allowed" in browser.text() and not browser.on_sign_in_page()
    assert browser.csp_violations() == []
    added = subprocess.run([BINARY, "add-to-group", user, "ops"], cwd=gate.responder.dir, env=gate.responder.env,
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert eventually(lambda: (browser.reload(), browser.status())[1] == 200, seconds=10)
    assert identity(browser)[:1] == (user,) and browser.path() == "/ops/board"
    # An API client outside a group keeps AuthGate's JSON 403.
    outsider = unique("api")
    assert register(gate, outsider, password=PASSWORD).status_code == 201
    token = gate.post("/auth/login", json={"username": outsider, "password": PASSWORD}).json()["tokens"]["access"]
    r = gate.get("/ops/board", headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_a_wrong_password_gets_one_message_with_status_400_on_a_clean_page(gate, user, browser):
    browser.open(gate.url + "/app/x")
    assert browser.on_sign_in_page() and browser.status() == 200
    assert browser.csp_violations() == []
    assert unexpected_console(browser.console()) == []
    for name in (user, unique("nobody")):
        browser.sign_in(name, "wrong " + PASSWORD)
        assert browser.on_sign_in_page() and browser.status() == 400, browser.url
        assert browser.notice() == REFUSED
        assert browser.driver.find_element(By.ID, "username").get_attribute("value") == name
        assert browser.driver.find_element(By.ID, "password").get_attribute("value") == ""
        assert browser.driver.find_element(By.NAME, "rd").get_attribute("value") == "/app/x"
        assert not SESSION_COOKIES & set(browser.cookies())
        assert browser.csp_violations() == []
        assert unexpected_console(browser.console(), allowed_statuses=(400,)) == []
    policy = gate.get("/auth/sign-in").headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    # The form that refused keeps the way back.
    browser.sign_in(user, PASSWORD)
    assert browser.path() == "/app/x" and identity(browser)[0] == user


def test_the_compose_demo_page_greets_the_signed_in_user_and_signs_out(browser, screenshots):
    parent, folder = private_socket_dir()
    responder = nginx = None
    try:
        responder = Responder(env={"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **COOKIE_MODE},
                              unix_socket=os.path.join(folder, "authgate.sock"))
        nginx = Nginx([responder.address], edit=compose_nginx_conf)
        url = nginx.url
        name = "alice"  # a database of its own: the screenshot shows a plain name
        assert requests.post(url + "/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                          "password": PASSWORD}, timeout=30).status_code == 201
        browser.open(url + "/demo/")
        assert browser.on_sign_in_page() and browser.query() == {"rd": "/demo/"}, browser.url
        browser.screenshot(os.path.join(screenshots, "demo-sign-in.png"))
        browser.sign_in(name, PASSWORD)
        assert origin(browser.url) == url and browser.path() == "/demo/", browser.url
        assert browser.status() == 200
        access = browser.cookies()["access_token_cookie"]["value"]
        uid = requests.get(url + "/auth/whoami", headers=bearer(access), timeout=30).json()["user_details"]["id"]
        assert browser.driver.find_element(By.ID, "user").text == name
        assert browser.driver.find_element(By.ID, "user-id").text == uid
        assert browser.driver.find_element(By.NAME, "csrf_token").get_attribute("value") == \
            browser.cookies()["csrf_access_token"]["value"]
        assert browser.csp_violations() == []
        assert unexpected_console(browser.console()) == []
        browser.screenshot(os.path.join(screenshots, "demo-signed-in.png"))

        browser.submit_and_wait(browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        assert browser.on_sign_in_page() and browser.notice() == "You are signed out.", browser.url
        assert browser.query() == {"signed_out": "1", "rd": "/demo/"}
        assert not SESSION_COOKIES & set(browser.cookies())
        assert token_error_at(url, access) == "token_revoked"
        browser.sign_in(name, PASSWORD)  # and back to the demo
        assert browser.path() == "/demo/" and browser.driver.find_element(By.ID, "user").text == name

        # A name that needs HTML escaping is not put in the page (nginx
        # cannot escape it); API clients keep the line of text.
        odd = "<i>" + unique("x") + "</i>"
        assert requests.post(url + "/auth/register", json={"username": odd, "email": f"{unique()}@example.com",
                                                          "password": PASSWORD}, timeout=30).status_code == 201
        token = requests.post(url + "/auth/login", json={"username": odd, "password": PASSWORD},
                              timeout=30).json()["tokens"]["access"]
        page = requests.get(url + "/demo/", headers={**bearer(token), "Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert odd not in page.text and "(a name this page does not show)" in page.text
        text = requests.get(url + "/demo/", headers=bearer(token), timeout=30)
        assert text.headers["Content-Type"] == "text/plain" and text.text.startswith(f"Hello {odd} (id ")
    finally:
        if nginx:
            nginx.stop()
        if responder:
            responder.stop()
        shutil.rmtree(parent, ignore_errors=True)


def token_error_at(url, token):
    r = requests.get(url + "/auth/whoami", headers=bearer(token), timeout=30)
    return None if r.status_code == 200 else r.json().get("error")
