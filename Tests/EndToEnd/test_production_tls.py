"""deploy/production/nginx-tls.conf for real: nginx with the recipe (and
its included snippets, the CORS one switched on) on loopback ports, a
self-signed certificate made for the run, a real responder behind it, and
curl as the client: HTTP/2 over TLS, the security headers, JSON errors, the
real client address from a trusted proxy, CORS, and a login through it."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import unique
from harness import ROOT, PORT_IN_USE, PortTaken, Stack, free_port, log_since, log_size, on_free_port, start, \
    stop_process

RECIPE = os.path.join(ROOT, "deploy", "production")
SNIPPETS = ("authgate-errors.conf", "authgate-fastcgi.conf", "authgate-cors.conf")
ORIGIN = "https://app.example.test"
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


def recipe_for_test(text, https_port, http_port, folder, upstream):
    """The recipe with only its addresses and paths changed (and CORS on,
    for ORIGIN); each replaced line must be there, so the recipe cannot
    drift from what is tested."""
    edits = [
        ("pid /run/nginx.pid;", "pid nginx.pid;"),
        ("error_log /var/log/nginx/error.log warn;", "error_log error.log warn;"),
        ("access_log /var/log/nginx/authgate.access.log;", "access_log access.log;"),
        ("server unix:/run/authgate/authgate.sock;", f"server {upstream};"),
        ("set_real_ip_from 192.0.2.10;", "set_real_ip_from 127.0.0.1;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/ssl/authgate/fullchain.pem", os.path.join(folder, "cert.pem")),
        ("/etc/ssl/authgate/privkey.pem", os.path.join(folder, "key.pem")),
        ("root /var/www/acme;", f"root {folder}/acme;"),
        ("# include authgate-cors.conf;", "include authgate-cors.conf;"),
    ]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


class TLSNginx:
    def __init__(self, upstream):
        self.dir = tempfile.mkdtemp(prefix="authgate-tls-")
        os.chmod(self.dir, 0o755)  # workers run as www-data
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", os.path.join(self.dir, "key.pem"), "-out", os.path.join(self.dir, "cert.pem")],
                       check=True, capture_output=True, timeout=60)
        os.chmod(os.path.join(self.dir, "key.pem"), 0o600)
        for name in SNIPPETS:
            text = open(os.path.join(RECIPE, name)).read()
            if name == "authgate-cors.conf":
                assert '"https://app.example.com"' in text
                text = text.replace('"https://app.example.com"', f'"{ORIGIN}"')
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.stderr = os.path.join(self.dir, "stderr.log")
        self.recipe = open(os.path.join(RECIPE, "nginx-tls.conf")).read()
        self.upstream = upstream
        try:
            self.proc, self.https_port, self.http_port = on_free_port(self._start_on)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _start_on(self, https_port):
        http_port = free_port()
        conf = os.path.join(self.dir, "nginx-tls.conf")
        with open(conf, "w") as f:
            f.write(recipe_for_test(self.recipe, https_port, http_port, self.dir, self.upstream))
        pidfile = os.path.join(self.dir, "nginx.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        offset = log_size(self.stderr)
        with open(self.stderr, "ab") as err:
            proc = start(["nginx", "-p", self.dir + "/", "-c", conf, "-e", "stderr", "-g", "daemon off;"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 20
        while not (os.path.exists(pidfile) and os.path.getsize(pidfile) > 0):
            if proc.poll() is not None:
                text = log_since(self.stderr, offset)
                raise (PortTaken if PORT_IN_USE in text else RuntimeError)(f"nginx exited:\n{text[-3000:]}")
            if time.monotonic() > deadline:
                stop_process(proc, signal.SIGKILL)
                raise TimeoutError(f"nginx wrote no pid file:\n{log_since(self.stderr, offset)[-3000:]}")
            time.sleep(0.05)
        return proc, https_port, http_port

    def access_log(self):
        return log_since(os.path.join(self.dir, "access.log"))

    def stop(self):
        stop_process(self.proc, signal.SIGQUIT)
        shutil.rmtree(self.dir, ignore_errors=True)


class Answer:
    def __init__(self, status, version, headers, body, tls):
        self.status, self.version, self.headers, self.body, self.tls = status, version, headers, body, tls

    def all(self, name):
        return [v for n, v in self.headers if n == name]

    def one(self, name):
        values = self.all(name)
        assert len(values) == 1, (name, self.headers)
        return values[0]

    def json(self):
        return json.loads(self.body)


def curl(url, *args):
    """One request with curl (HTTP/2 when the server offers it); the last
    response's status, HTTP version, headers (lower-case names, repeats
    kept), body and the TLS version from curl's trace."""
    with tempfile.TemporaryDirectory() as d:
        head, body = os.path.join(d, "head"), os.path.join(d, "body")
        out = subprocess.run(["curl", "--http2", "-k", "-sS", "-v", "--max-time", "20", "-D", head, "-o", body,
                              "-w", "%{http_code} %{http_version}", *args, url],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr[-2000:]
        status, version = out.stdout.split()
        headers = []
        for line in open(head, encoding="latin-1").read().splitlines()[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers.append((name.strip().lower(), value.strip()))
        tls = re.search(r"SSL connection using (TLSv[0-9.]+)", out.stderr)
        return Answer(int(status), version, headers, open(body, "rb").read(), tls and tls.group(1))


@pytest.fixture(scope="module")
def site():
    stack = Stack("sqlite")
    nginx = None
    try:
        nginx = TLSNginx(stack.responder.address)
        yield stack, nginx, f"https://127.0.0.1:{nginx.https_port}"
    finally:
        if nginx:
            nginx.stop()
        stack.stop()


def assert_security_headers(answer):
    for name, value in SECURITY_HEADERS.items():
        assert answer.one(name) == value, (name, answer.headers)


def test_http2_over_tls_with_security_headers(site):
    _, _, url = site
    r = curl(url + "/livez")
    assert (r.status, r.version, r.json()) == (200, "2", {"status": "ok"})
    assert r.tls == "TLSv1.3"
    assert r.one("content-type") == "application/json"
    assert_security_headers(r)
    # TLS 1.2 still served (older clients), over HTTP/2 too.
    r = curl(url + "/healthz", "--tls-max", "1.2")
    assert (r.status, r.version, r.tls) == (200, "2", "TLSv1.2")


def test_register_login_whoami_through_tls(site):
    _, _, url = site
    name = unique("tls")
    json_body = ["-H", "Content-Type: application/json", "--data-binary"]
    r = curl(url + "/auth/register", *json_body,
             json.dumps({"username": name, "email": f"{name}@example.com", "password": "123456"}))
    assert (r.status, r.json()) == (201, {"message": "User created"})
    r = curl(url + "/api/auth/login", *json_body, json.dumps({"username": name, "password": "123456"}))
    assert r.status == 200 and r.version == "2" and r.one("cache-control") == "no-store"
    assert_security_headers(r)
    access = r.json()["tokens"]["access"]
    r = curl(url + "/auth/whoami", "-H", f"Authorization: Bearer {access}")
    assert r.status == 200 and r.json()["user_details"]["username"] == name
    r = curl(url + "/auth/whoami")
    assert r.status == 401 and r.one("www-authenticate") == "Bearer"
    assert r.json()["error"] == "authorization_header"
    assert_security_headers(r)


@pytest.mark.parametrize("args,status,error", [
    ([], 404, "Not found"),
    (["-X", "DELETE"], 405, "Method not allowed"),
    (["-H", "Content-Type: application/json", "--data-binary", "x" * 65537], 413, "Request body too large"),
])
def test_errors_are_json_with_the_security_headers(site, args, status, error):
    _, _, url = site
    path = "/no/such/path" if status == 404 else "/auth/login"
    r = curl(url + path, *args)
    assert (r.status, r.json()) == (status, {"error": error})
    assert r.one("content-type") == "application/json"
    assert_security_headers(r)


def test_plain_http_is_refused_in_json(site):
    _, nginx, _ = site
    r = curl(f"http://127.0.0.1:{nginx.http_port}/auth/login", "-H", "Content-Type: application/json",
             "--data-binary", "{}")
    assert (r.status, r.json()) == (403, {"error": "HTTPS required"})
    assert r.one("x-content-type-options") == "nosniff"
    assert "strict-transport-security" not in dict(r.headers)  # HSTS only means something over HTTPS


def test_real_client_address_comes_from_the_trusted_proxy_only(site):
    _, nginx, url = site
    marker = unique("realip")
    # The proxy (127.0.0.1, trusted) appends what it saw; whatever the client
    # wrote before that is the client's own claim and is not believed.
    curl(url + f"/livez?{marker}", "-H", "X-Forwarded-For: 198.51.100.1, 203.0.113.7")
    deadline = time.monotonic() + 10
    while marker not in nginx.access_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    [line] = [line for line in nginx.access_log().splitlines() if marker in line]
    assert line.split()[0] == "203.0.113.7", line


def test_cors_for_the_allowed_origin_only(site):
    _, _, url = site
    preflight = ["-X", "OPTIONS", "-H", "Access-Control-Request-Method: POST",
                 "-H", "Access-Control-Request-Headers: authorization, content-type"]
    r = curl(url + "/auth/login", "-H", f"Origin: {ORIGIN}", *preflight)
    assert r.status == 204 and r.body == b""
    assert r.one("access-control-allow-origin") == ORIGIN
    assert r.one("access-control-allow-methods") == "GET, POST, OPTIONS"
    assert r.one("access-control-allow-headers") == "Authorization, Content-Type"
    assert r.one("vary") == "Origin"
    assert_security_headers(r)

    # Another origin gets no CORS header: its preflight reaches AuthGate,
    # which answers OPTIONS as always (200 with Allow).
    r = curl(url + "/auth/login", "-H", "Origin: https://evil.example", *preflight)
    assert r.status == 200 and r.one("allow") == "POST, OPTIONS"
    assert not [n for n, _ in r.headers if n.startswith("access-control-")], r.headers

    r = curl(url + "/livez", "-H", f"Origin: {ORIGIN}")
    assert r.status == 200 and r.one("access-control-allow-origin") == ORIGIN
    assert "X-Request-ID" in r.one("access-control-expose-headers")
    assert_security_headers(r)
    for origin in ("https://evil.example", "null", ORIGIN + ".evil.example"):
        r = curl(url + "/livez", "-H", f"Origin: {origin}")
        assert not [n for n, _ in r.headers if n.startswith("access-control-")], (origin, r.headers)
    # Never credentials, never a wildcard.
    r = curl(url + "/livez", "-H", f"Origin: {ORIGIN}")
    assert not r.all("access-control-allow-credentials") and "*" not in r.one("access-control-allow-origin")


def test_plain_options_without_origin_still_reaches_authgate(site):
    _, _, url = site
    r = curl(url + "/auth/refresh", "-X", "OPTIONS")
    assert r.status == 200 and r.one("allow") == "GET, HEAD, POST, OPTIONS"


def directives(text, keep):
    """The directive lines of an nginx config that `keep` selects, with
    comments dropped and spaces normalised."""
    lines = (re.sub(r"\s+", " ", line.split("#", 1)[0]).strip() for line in text.splitlines())
    return sorted(line for line in lines if line and keep(line))


def test_snippets_match_the_top_level_nginx_conf():
    """The recipe's includes carry nginx.conf's own JSON error pages and
    FastCGI settings: a change to one without the other fails here."""
    main = open(os.path.join(ROOT, "nginx.conf")).read()
    errors = open(os.path.join(RECIPE, "authgate-errors.conf")).read()
    fastcgi = open(os.path.join(RECIPE, "authgate-fastcgi.conf")).read()
    is_error_page = lambda line: line.startswith(("error_page ", "location = /_authgate/error/"))
    # The recipe's 413 location also lifts the body cap (HTTP/2, see there).
    errors = errors.replace("internal; client_max_body_size 0; return 413", "internal; return 413")
    assert directives(errors, is_error_page) == directives(main, is_error_page)
    assert len(directives(errors, is_error_page)) >= 20
    is_fastcgi = lambda line: line.startswith("fastcgi_") and not line.startswith("fastcgi_temp_path")
    assert directives(fastcgi, is_fastcgi) == directives(main, is_fastcgi)
    assert "default_type application/json;" in directives(errors, lambda line: line.startswith("default_type"))
