"""AuthGate behind nginx with the forward-auth recipe (deploy/forward-auth/)
included as docs/forward-auth.md tells operators to: the project's
nginx.conf, its main server including authgate-verify.conf, and protected
locations that include authgate-protect.conf and proxy to an upstream
that records the headers it was sent."""
import http.client
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import unique
from harness import ROOT, Stack
from helpers import bearer, login, register

RECIPE = os.path.join(ROOT, "deploy", "forward-auth")
# path prefix -> the auth_request URI of its location.
LOCATIONS = {
    "/app/": "/_authgate/verify",
    "/fresh/": "/_authgate/verify/fresh=1",
    "/recent/": "/_authgate/verify/max_age=60",
    "/fresh-recent/": "/_authgate/verify/fresh=1&max_age=60",
    "/misconfigured/": "/_authgate/verify/max_age=soon",
    "/ops/": "/_authgate/verify/allowed_groups=ops",
}


class EchoUpstream:
    """The protected application: answers 200 with what it received
    (method, path, headers as sent, in order, duplicates kept, body length)
    as JSON, and counts the requests that reached it."""

    def __init__(self):
        owner = self
        self.count = 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body_len = len(self.rfile.read(length)) if length else 0
                with owner.lock:
                    owner.count += 1
                out = json.dumps({"method": self.command, "path": self.path, "body_len": body_len,
                                  "headers": [[k, v] for k, v in self.headers.items()]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def protected_locations(upstream, locations=LOCATIONS):
    """The test's protected locations, each as the docs write one."""
    out = []
    for prefix, uri in locations.items():
        out.append(f"""
        location {prefix} {{
            auth_request {uri};
            include {RECIPE}/authgate-protect.conf;
            proxy_pass {upstream};
        }}""")
    return "".join(out) + "\n"


def include_recipe(upstream, locations=LOCATIONS):
    def edit(text):
        anchor = "        location / {"
        assert anchor in text
        extra = f"        include {RECIPE}/authgate-verify.conf;\n" + protected_locations(upstream, locations) + "\n"
        return text.replace(anchor, extra + anchor, 1)
    return edit


class ForwardAuthStack(Stack):
    """One responder, nginx with the recipe, and the echo upstream.
    `locations`: path prefix -> auth_request URI (default LOCATIONS);
    `database_uri`: a PostgreSQL database another stack shares."""

    def __init__(self, backend, postgres=None, env=None, locations=LOCATIONS, database_uri=None):
        self.upstream = EchoUpstream()
        try:
            super().__init__(backend, postgres,
                             env={"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **(env or {})},
                             database_uri=database_uri,
                             nginx_edit=include_recipe(f"http://127.0.0.1:{self.upstream.port}", locations))
        except BaseException:
            self.upstream.stop()
            raise

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.request(method, self.url + path, **kw)

    def raw(self, method, path, headers, body=None):
        """A request with headers exactly as listed (repeats and any
        spelling kept): (status, headers, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            conn.close()

    def stop(self):
        super().stop()
        self.upstream.stop()


def user(s, name=None):
    """A registered user: (name, id, tokens from a login)."""
    name = name or unique("fa")
    assert register(s, name).status_code == 201
    tokens = login(s, name)
    uid = s.get("/auth/whoami", headers=bearer(tokens["access"])).json()["user_details"]["id"]
    return name, uid, tokens


def received(r):
    """The headers the upstream got, as (lower-case name, value)."""
    assert r.status_code == 200, r.text
    return [(k.lower(), v) for k, v in r.json()["headers"]]
