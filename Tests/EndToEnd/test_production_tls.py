"""deploy/production/nginx-tls.conf for real: nginx with the recipe (and
its included snippets, the CORS one and the limit_req recipe switched on)
on loopback ports, a self-signed certificate made for the run, a real
responder behind it, and curl as the client: HTTP/2 over TLS, the security
headers, JSON errors (405 with Allow), request ids and the JSON access
log, the loopback metrics server, the real client address from a trusted
proxy, CORS, and a login through it. And the recipe's snippets are
nginx.conf's own directives, so the two cannot drift apart."""
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
SNIPPETS = ("authgate-errors.conf", "authgate-fastcgi.conf", "authgate-cors.conf", "authgate-http.conf",
            "authgate-metrics.conf")
# deploy/ recipes, installed beside nginx-tls.conf under these names (README).
SHARED = {"authgate-real-ip.conf": os.path.join(ROOT, "deploy", "nginx-real-ip.conf"),
          "authgate-limit-req.conf": os.path.join(ROOT, "deploy", "nginx-limit-req.conf")}
METRICS_LISTEN = "listen 127.0.0.1:9145;"
ORIGIN = "https://app.example.test"
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


def recipe_for_test(text, https_port, http_port, folder, upstream):
    """The recipe with only its addresses and paths changed (and CORS and
    the rate limit on); each replaced line must be there, so the recipe
    cannot drift from what is tested. authgate-real-ip.conf trusts loopback
    as shipped: curl, on loopback, plays the proxy."""
    edits = [
        ("pid /run/nginx.pid;", "pid nginx.pid;"),
        ("error_log /var/log/nginx/error.log warn;", "error_log error.log warn;"),
        ("access_log /var/log/nginx/authgate.access.log authgate_json", "access_log access.log authgate_json"),
        ("server unix:/run/authgate/authgate.sock;", f"server {upstream};"),
        ("# include authgate-limit-req.conf;", "include authgate-limit-req.conf;"),
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
    def __init__(self, upstream, metrics_port):
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
            if name == "authgate-metrics.conf":
                assert text.count(METRICS_LISTEN) == 1
                text = text.replace(METRICS_LISTEN, f"listen 127.0.0.1:{metrics_port};")
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        for name, source in SHARED.items():
            shutil.copy(source, os.path.join(self.dir, name))
        self.metrics_port = metrics_port
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

    def access_lines(self):
        """The access log's records: one JSON object per line."""
        return [json.loads(line) for line in self.access_log().split("\n") if line.strip()]

    def config_test(self):
        """`nginx -t` on the configuration this nginx runs."""
        return subprocess.run(["nginx", "-t", "-p", self.dir + "/", "-c", os.path.join(self.dir, "nginx-tls.conf"),
                               "-e", "stderr"], capture_output=True, text=True, timeout=60)

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
        nginx = TLSNginx(stack.responder.address, free_port())
        yield stack, nginx, f"https://127.0.0.1:{nginx.https_port}"
    finally:
        if nginx:
            nginx.stop()
        stack.stop()


def assert_security_headers(answer):
    for name, value in SECURITY_HEADERS.items():
        assert answer.one(name) == value, (name, answer.headers)


def logged(nginx, request_id):
    """The access log's line(s) of `request_id`, once nginx has flushed
    its buffered log (at least every second)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [l for l in nginx.access_lines() if l["request_id"] == request_id]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


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


@pytest.mark.parametrize("method,path,allow", [
    ("TRACE", "/auth/login", "POST, OPTIONS"),
    ("TRACE", "/api/auth/refresh", "GET, HEAD, POST, OPTIONS"),
    ("TRACE", "/.well-known/jwks.json", "GET, HEAD, OPTIONS"),
    ("TRACE", "/no/such/path", None),
])
def test_nginx_own_405_carries_allow_and_unknown_paths_are_404(site, method, path, allow):
    _, _, url = site
    r = curl(url + path, "-X", method, "--http1.1")
    if allow is None:
        assert (r.status, r.json()) == (404, {"error": "Not found"}) and not r.all("allow")
    else:
        assert (r.status, r.json()) == (405, {"error": "Method not allowed"}) and r.one("allow") == allow
    assert_security_headers(r)
    # AuthGate's own 405 keeps its one Allow.
    r = curl(url + "/auth/login", "-X", "DELETE")
    assert r.status == 405 and r.one("allow") == "POST, OPTIONS"


def test_request_ids_and_the_json_access_log(site):
    _, nginx, url = site
    sent = unique("rid") + ".A_b-1"
    r = curl(url + "/healthz?password=not-logged", "-H", f"X-Request-ID: {sent}")
    assert r.status == 200 and r.one("x-request-id") == sent
    [line] = logged(nginx, sent)
    assert (line["method"], line["path"], line["status"], line["upstream_status"]) == ("GET", "/healthz", 200, "200")
    assert "not-logged" not in nginx.access_log()
    # A malformed id is replaced by nginx's own, on errors too.
    r = curl(url + "/no/such/path", "-H", "X-Request-ID: has space")
    assert r.status == 404 and re.match(r"^[0-9a-f]{32}$", r.one("x-request-id")), r.headers
    assert logged(nginx, r.one("x-request-id"))[0]["status"] == 404


def test_metrics_are_served_on_loopback_only(site):
    _, nginx, url = site
    r = curl(f"http://127.0.0.1:{nginx.metrics_port}/metrics")
    assert r.status == 200 and b"authgate_requests_total" in r.body
    assert re.match(r"^[0-9a-f]{32}$", r.one("x-request-id"))
    # The public server does not have them: an unknown path like any other.
    r = curl(url + "/metrics")
    assert (r.status, r.json()) == (404, {"error": "Not found"})
    r = curl(f"http://127.0.0.1:{nginx.metrics_port}/other")
    assert (r.status, r.json()) == (404, {"error": "Not found"})


def test_the_recipe_combines_with_the_rate_limit(site):
    # The running configuration includes deploy/nginx-limit-req.conf (the
    # fixture switches it on); nginx accepts the combination...
    _, nginx, url = site
    checked = nginx.config_test()
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    assert "include authgate-limit-req.conf;" in open(os.path.join(nginx.dir, "nginx-tls.conf")).read()
    # ... and a counted request (POST login) goes through it to AuthGate.
    r = curl(url + "/auth/login", "-H", "Content-Type: application/json", "--data-binary", "{}")
    assert r.status == 400 and r.json()["error"] != "Too many requests"


def test_real_ip_settings_live_in_one_file_only():
    """nginx refuses a second real_ip_header: the recipes can only be
    combined when one file holds them (deploy/nginx-real-ip.conf)."""
    realip = re.compile(r"^\s*(set_real_ip_from|real_ip_header|real_ip_recursive)\s", re.M)
    holders = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .build, .venv, .git
        for name in files:
            if name.endswith(".conf"):
                path = os.path.join(folder, name)
                if realip.search(open(path, errors="replace").read()):
                    holders.append(os.path.relpath(path, ROOT))
    assert holders == [os.path.join("deploy", "nginx-real-ip.conf")], holders


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
    r = curl(url + "/livez?ignored", "-H", "X-Forwarded-For: 198.51.100.1, 203.0.113.7", "-H", f"X-Request-ID: {marker}")
    assert r.one("x-request-id") == marker
    [line] = logged(nginx, marker)
    assert line["remote_addr"] == "203.0.113.7", line


def test_cors_for_the_allowed_origin_only(site):
    _, _, url = site
    preflight = ["-X", "OPTIONS", "-H", "Access-Control-Request-Method: POST",
                 "-H", "Access-Control-Request-Headers: authorization, content-type"]
    r = curl(url + "/auth/login", "-H", f"Origin: {ORIGIN}", *preflight)
    assert r.status == 204 and r.body == b""
    assert r.one("access-control-allow-origin") == ORIGIN
    assert r.one("access-control-allow-methods") == "GET, POST, DELETE, OPTIONS"
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


def nginx_tokens(text):
    """nginx's words, quoted strings (kept with their quotes), `{`, `}` and
    `;`, without comments."""
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif c in "{};":
            tokens.append(c)
            i += 1
        elif c in "'\"":
            end = i + 1
            while text[end] != c:
                end += 2 if text[end] == "\\" else 1
            tokens.append(text[i:end + 1])
            i = end + 1
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in "{};":
                end += 1
            tokens.append(text[i:end])
            i = end
    return tokens


def parse_nginx(path):
    """A configuration as a list of (name, args, block or None), with the
    files it includes (relative to its folder, or the installed names of
    SHARED) read in their place."""
    folder = os.path.dirname(path)

    def block(tokens):
        items, words = [], []
        while tokens:
            t = tokens.pop(0)
            if t == ";":
                if words[0] == "include":
                    name = words[1]
                    items += parse_nginx(SHARED.get(name, os.path.join(folder, name)))
                else:
                    items.append((words[0], tuple(words[1:]), None))
                words = []
            elif t == "{":
                items.append((words[0], tuple(words[1:]), block(tokens)))
                words = []
            elif t == "}":
                return items
            else:
                words.append(t)
        return items
    return block(nginx_tokens(open(path).read()))


def find(items, name, *args):
    return [i for i in items if i[0] == name and i[1][:len(args)] == args]


def server(http, listen_prefix):
    """The one `server` block of `http` with a `listen` starting so."""
    [found] = [b for _, _, b in find(http, "server")
               if any(a[0].startswith(listen_prefix) for _, a, _ in find(b, "listen"))]
    return found


def test_snippets_match_the_top_level_nginx_conf():
    """The recipe (with its includes read in) has nginx.conf's own
    definitions: request-id and Allow maps, log format, add_headers, JSON
    error pages, FastCGI settings, the metrics server. A change to one
    without the other fails here."""
    [main_http] = [b for _, _, b in find(parse_nginx(os.path.join(ROOT, "nginx.conf")), "http")]
    [tls_http] = [b for _, _, b in find(parse_nginx(os.path.join(RECIPE, "nginx-tls.conf")), "http")]
    # http level: every map and the log format, identical.
    for name in ("map", "log_format"):
        assert find(tls_http, name) == find(main_http, name), name
    assert len(find(main_http, "map")) >= 4
    [access_log] = find(tls_http, "access_log")
    assert access_log[1][1:] == find(main_http, "access_log")[0][1][1:]  # format and buffering; the path differs
    # The public server and the TLS one.
    main, tls = server(main_http, "127.0.0.1:8080"), server(tls_http, "443")
    assert set(find(main, "add_header")) <= set(find(tls, "add_header"))
    assert find(tls, "error_page") == find(main, "error_page") and len(find(main, "error_page")) >= 12
    assert find(tls, "default_type") == find(main, "default_type")
    errors = lambda items: [i for i in find(items, "location", "=") if i[1][1].startswith("/_authgate/error/")]
    # The recipe's 413 location also lifts the body cap (HTTP/2, see there).
    tls_errors = [(n, a, [d for d in b if d != ("client_max_body_size", ("0",), None)]) for n, a, b in errors(tls)]
    assert tls_errors == errors(main) and len(errors(main)) >= 13
    [(_, _, main_root)] = find(main, "location", "/")
    [(_, _, tls_root)] = find(tls, "location", "/")
    assert tls_root == main_root
    # The metrics server, as a whole.
    assert server(tls_http, "127.0.0.1:9145") == server(main_http, "127.0.0.1:9145")
