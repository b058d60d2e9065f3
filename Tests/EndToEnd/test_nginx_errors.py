"""Every answer nginx gives itself is JSON with the right status and one
`X-Content-Type-Options: nosniff`: the project's nginx.conf in front of a
real responder (SQLite), driven with raw sockets so that requests no HTTP
library would send (bad request lines, `%00`, `HTTP/9.9`) are sent as is.
Behaviour noted here is nginx 1.22's (Debian 12)."""
import json
import os
import socket
import threading
import time

import pytest

from harness import ROOT, Nginx, Stack, refused_address

TIMEOUT = 10.0
BODY_CAP = 65536


@pytest.fixture(scope="module")
def stack():
    """One SQLite stack for this file (conftest's runs on both backends):
    what nginx answers does not depend on the database."""
    s = Stack("sqlite")
    yield s
    s.stop()


# --- raw HTTP -------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(lower-case name, value)], repeats kept
        self.body = body

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]


def _read_exactly(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def _read_line(sock, buf):
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed inside a chunked body")
        buf += chunk
    line, rest = buf.split(b"\r\n", 1)
    return line, rest


def read_response(sock, head_request=False):
    """One HTTP/1.x response from `sock`, or None when the server closed the
    connection without sending a byte. The body is read by its length, not
    to EOF: after an error nginx keeps the connection open a while (lingering
    close) to drain what the client is still sending."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            if not buf:
                return None
            raise AssertionError(f"connection closed inside the headers: {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    assert version == "HTTP/1.1", lines[0]
    headers = []
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers.append((name.strip().lower(), value.strip()))
    response = Response(int(status), headers, b"")
    lengths = response.all("content-length")
    if head_request or response.status in (204, 304):
        return response
    if lengths:
        response.body = _read_exactly(sock, rest, int(lengths[0]))[:int(lengths[0])]
    elif response.all("transfer-encoding") == ["chunked"]:
        body = b""
        while True:
            size_line, rest = _read_line(sock, rest)
            size = int(size_line.split(b";")[0], 16)
            rest = _read_exactly(sock, rest, size + 2)
            if size == 0:
                break
            body, rest = body + rest[:size], rest[size + 2:]
        response.body = body
    else:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        response.body = rest
    return response


def exchange(port, *parts, head_request=False):
    """Sends `parts` in order on a fresh connection and reads one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        for part in parts:
            sock.sendall(part)
        return read_response(sock, head_request)


def get(port, target, extra=b"", method=b"GET"):
    return exchange(port, method + b" " + target + b" HTTP/1.1\r\nHost: authgate\r\n" + extra
                    + b"Connection: close\r\n\r\n", head_request=method == b"HEAD")


def assert_nosniff_once(response):
    assert response.all("x-content-type-options") == ["nosniff"], response.headers


def assert_json_error(response, status):
    assert response is not None, "closed without an answer"
    assert response.status == status, (response.status, response.body)
    assert response.all("content-type") == ["application/json"], response.headers
    body = json.loads(response.body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert_nosniff_once(response)
    return body


# --- edited copies of the configuration -----------------------------------

def insert_after(anchor, addition):
    """An `edit` for Nginx: `addition` right after the one `anchor` line."""
    def edit(text):
        assert text.count(anchor) == 1, anchor
        return text.replace(anchor, anchor + addition)
    return edit


def insert_before(anchor, addition):
    def edit(text):
        assert text.count(anchor) == 1, anchor
        return text.replace(anchor, addition + anchor)
    return edit


def chain(*edits):
    def edit(text):
        for e in edits:
            text = e(text)
        return text
    return edit


IN_HTTP = "    server {\n"  # what goes just before it is in the http block
IN_SERVER = "        default_type application/json;\n"
IN_LOCATION = "            fastcgi_keep_conn on;\n"  # location /, the one to AuthGate


class FakeUpstream:
    """A loopback listener where AuthGate would be; `handle(conn, stopped)`
    serves each connection on its own thread until it returns or the
    upstream is closed."""

    def __init__(self, handle):
        self.handle = handle
        self.stopped = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn):
        with conn:
            conn.settimeout(TIMEOUT)
            try:
                self.handle(conn, self.stopped)
            except OSError:
                pass

    def close(self):
        self.stopped.set()
        self.sock.close()
        for t in list(self.threads):
            t.join(TIMEOUT)


def fastcgi_answer(stdout):
    """A handler answering each FastCGI request on the connection with
    `stdout` (CGI headers, blank line, body), as a responder would."""
    def handle(conn, stopped):
        buf = b""
        while not stopped.is_set():
            while len(buf) < 8:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            _, kind, request_id, length, padding = (buf[0], buf[1], int.from_bytes(buf[2:4], "big"),
                                                    int.from_bytes(buf[4:6], "big"), buf[6])
            while len(buf) < 8 + length + padding:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            buf = buf[8 + length + padding:]
            if kind == 5 and length == 0:  # the empty FCGI_STDIN record: the request is complete
                def record(kind, content):
                    return bytes([1, kind]) + request_id.to_bytes(2, "big") + len(content).to_bytes(2, "big") \
                        + b"\0\0" + content
                conn.sendall(record(6, stdout) + record(6, b"") + record(3, b"\0" * 8))
    return handle


# --- 400: the request line or the headers cannot be used ------------------

@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"get /healthz HTTP/1.1\r\nHost: authgate\r\n\r\n",
    b"GET /auth/%00 HTTP/1.1\r\nHost: authgate\r\n\r\n",
    b"GET /healthz%zz HTTP/1.1\r\nHost: authgate\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: authgate\r\n\r\n",
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    b"GET /heal\x00thz HTTP/1.1\r\nHost: authgate\r\n\r\n",
    b"GET /../../etc/passwd HTTP/1.1\r\nHost: authgate\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS ClientHello
], ids=["not-a-request-line", "lowercase-method", "percent-00", "percent-zz", "options-star", "connect",
        "nul-byte", "above-root", "http2-preface", "tls-hello"])
def test_unusable_request_line_is_json_400(stack, request_bytes):
    # Before internal URI error pages these were HTML 500s ("empty URI in
    # redirect to named location"); none of them closes without an answer.
    assert_json_error(exchange(stack.nginx.port, request_bytes), 400)


@pytest.mark.parametrize("headers", [
    b"",  # HTTP/1.1 without Host
    b"Host: authgate\r\nHost: other\r\n",
    b"Host: a/b\r\n",
    b"Host: authgate\r\nContent-Length: abc\r\n",
    b"Host: authgate\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
], ids=["no-host", "two-hosts", "bad-host", "bad-content-length", "length-and-chunked"])
def test_unusable_headers_are_json_400(stack, headers):
    assert_json_error(exchange(stack.nginx.port, b"POST /auth/login HTTP/1.1\r\n" + headers + b"\r\n"), 400)


def test_chunked_body_on_http_1_0_is_json_400(stack):
    assert_json_error(exchange(stack.nginx.port, b"POST /auth/login HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"0\r\n\r\n"), 400)


def test_malformed_chunk_is_json_400(stack):
    assert_json_error(exchange(stack.nginx.port, b"POST /auth/login HTTP/1.1\r\nHost: authgate\r\n"
                               b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400)


def test_head_with_unusable_uri_is_400_without_body(stack):
    r = exchange(stack.nginx.port, b"HEAD /auth/%00 HTTP/1.1\r\nHost: authgate\r\n\r\n", head_request=True)
    assert r.status == 400 and r.all("content-type") == ["application/json"]
    assert_nosniff_once(r)


def test_header_line_too_large_is_json_400(stack):
    r = get(stack.nginx.port, b"/healthz", b"X-Big: " + b"a" * 9000 + b"\r\n")
    # nginx's own code is 494; clients see 400, as nginx's default page gives.
    assert assert_json_error(r, 400) == {"error": "Request header too large"}


def test_headers_too_large_in_total_are_json_400(stack):
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"a" * 7000) for i in range(6))
    assert assert_json_error(get(stack.nginx.port, b"/healthz", many), 400) == {"error": "Request header too large"}


# --- other statuses nginx decides itself -----------------------------------

# Every path AuthGate serves and the Allow its own 405 sends (Router.allowList).
ROUTE_ALLOW = {
    **{prefix + "/register": "POST, OPTIONS" for prefix in ("/auth", "/api/auth")},
    **{prefix + "/login": "POST, OPTIONS" for prefix in ("/auth", "/api/auth")},
    **{prefix + "/refresh": "GET, HEAD, POST, OPTIONS" for prefix in ("/auth", "/api/auth")},
    **{prefix + "/logout": "GET, HEAD, POST, OPTIONS" for prefix in ("/auth", "/api/auth")},
    **{prefix + "/whoami": "GET, HEAD, OPTIONS" for prefix in ("/auth", "/api/auth")},
    **{prefix + "/verify": "GET, HEAD, OPTIONS" for prefix in ("/auth", "/api/auth")},
    "/api/users/all": "GET, HEAD, OPTIONS",
    "/healthz": "GET, HEAD, OPTIONS",
    "/livez": "GET, HEAD, OPTIONS",
    "/.well-known/jwks.json": "GET, HEAD, OPTIONS",
}


@pytest.mark.parametrize("path", sorted(ROUTE_ALLOW))
def test_trace_and_connect_are_json_405_with_the_routes_allow(stack, path):
    # nginx refuses these itself, before AuthGate; its 405 says what the
    # path allows, exactly as AuthGate's own answer to OPTIONS does.
    options = get(stack.nginx.port, path.encode(), method=b"OPTIONS")
    assert options.status == 200 and options.all("allow") == [ROUTE_ALLOW[path]], options.headers
    for method, target in ((b"TRACE", path), (b"TRACE", path + "?x=1&password=q"), (b"CONNECT", path)):
        r = get(stack.nginx.port, target.encode(), method=method)
        assert assert_json_error(r, 405) == {"error": "Method not allowed"}, (method, target)
        assert r.all("allow") == [ROUTE_ALLOW[path]], (method, target, r.headers)


@pytest.mark.parametrize("target", [b"/no/such/path", b"/auth/login/", b"/auth", b"/_authgate/error/405",
                                    b"/auth/whoami/extra?q=1", b"/metrics"])
def test_trace_on_an_unknown_path_is_json_404_like_any_method(stack, target):
    r = get(stack.nginx.port, target, method=b"TRACE")
    assert assert_json_error(r, 404) == {"error": "Not found"}
    assert r.all("allow") == [], r.headers
    assert get(stack.nginx.port, target, method=b"GET").status == 404  # what any method gets there


def test_trace_on_the_metrics_server_is_json_too(stack):
    # The loopback metrics server: 405 with AuthGate's Allow for /metrics
    # (what its POST gets; a route-table row like the others, so OPTIONS is
    # listed too), 404 elsewhere; JSON either way, never HTML.
    r = get(stack.nginx.metrics_port, b"/metrics", method=b"TRACE")
    assert assert_json_error(r, 405) == {"error": "Method not allowed"} and r.all("allow") == ["GET, HEAD, OPTIONS"]
    assert get(stack.nginx.metrics_port, b"/metrics", method=b"POST").all("allow") == ["GET, HEAD, OPTIONS"]
    r = get(stack.nginx.metrics_port, b"/other", method=b"TRACE")
    assert assert_json_error(r, 404) == {"error": "Not found"} and r.all("allow") == []


def test_authgate_own_405_and_options_carry_exactly_one_allow(stack):
    # nginx adds Allow only to its own 405: AuthGate's answers keep one.
    for method, path, status in ((b"DELETE", b"/auth/login", 405), (b"PUT", b"/healthz", 405),
                                 (b"OPTIONS", b"/auth/refresh", 200), (b"POST", b"/auth/whoami", 405)):
        r = get(stack.nginx.port, path, method=method)
        assert r.status == status, (method, path, r.status)
        assert r.all("allow") == [ROUTE_ALLOW[path.decode()]], (method, path, r.headers)
        assert_nosniff_once(r)


def test_nginx_internal_error_uri_from_outside_is_json_404(stack):
    assert assert_json_error(get(stack.nginx.port, b"/_authgate/error/400"), 404) == {"error": "Not found"}


def test_query_of_9000_characters_is_json_414(stack):
    # The request line outgrows large_client_header_buffers (8k).
    r = get(stack.nginx.port, b"/healthz?" + b"q" * 9000)
    assert assert_json_error(r, 414) == {"error": "URI too long"}


def test_path_of_20000_characters_is_json_414(stack):
    assert_json_error(get(stack.nginx.port, b"/" + b"p" * 20000), 414)


def test_unknown_transfer_encoding_is_json_501(stack):
    r = exchange(stack.nginx.port, b"POST /auth/login HTTP/1.1\r\nHost: authgate\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: gzip\r\n\r\n")
    assert assert_json_error(r, 501) == {"error": "Not implemented"}


@pytest.mark.parametrize("version", [b"HTTP/9.9", b"HTTP/2.0"])
def test_unsupported_http_version_is_json_505(stack, version):
    r = exchange(stack.nginx.port, b"GET /healthz " + version + b"\r\nHost: authgate\r\n\r\n")
    assert assert_json_error(r, 505) == {"error": "HTTP version not supported"}


def test_body_over_64_kib_with_length_is_json_413(stack):
    body = b"x" * (BODY_CAP + 1)
    r = exchange(stack.nginx.port, b"POST /auth/login HTTP/1.1\r\nHost: authgate\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body), body)
    assert assert_json_error(r, 413) == {"error": "Request body too large"}


def test_body_over_64_kib_chunked_is_json_413(stack):
    first, second = b"x" * (BODY_CAP - 1), b"yy"  # 65,537 bytes in two chunks
    r = exchange(stack.nginx.port,
                 b"POST /auth/login HTTP/1.1\r\nHost: authgate\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n",
                 b"%x\r\n%s\r\n" % (len(first), first), b"%x\r\n%s\r\n0\r\n\r\n" % (len(second), second))
    assert assert_json_error(r, 413) == {"error": "Request body too large"}


def test_internal_error_is_json_500(stack):
    # Nothing in the shipped configuration makes nginx fail on its own, so a
    # copy adds a location that does; the error page is the shipped one.
    nginx = Nginx([stack.responder.address],
                  edit=insert_after(IN_SERVER, "        location = /_probe/500 { return 500; }\n"))
    try:
        r = get(nginx.port, b"/_probe/500")
        assert assert_json_error(r, 500) == {"error": "Internal server error"}
    finally:
        nginx.stop()


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_client_timeout_closes_without_an_html_answer(stack, phase):
    """nginx 1.22 logs a 408 but sends nothing: it closes the connection
    (ngx_http_finalize_request terminates on NGX_HTTP_REQUEST_TIME_OUT).
    The 408 error_page is there should a version ever answer: then it must
    be JSON. Either way the timeout is nginx's own 1 s, and it is logged."""
    nginx = Nginx([stack.responder.address],
                  edit=insert_after(IN_SERVER, "        client_header_timeout 1s;\n        client_body_timeout 1s;\n"))
    try:
        if phase == "headers":
            partial = b"POST /auth/login HTTP/1.1\r\nHost: authgate\r\n"
        else:
            partial = (b"POST /auth/login HTTP/1.1\r\nHost: authgate\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 100\r\n\r\n{\"user")
        started = time.monotonic()
        r = exchange(nginx.port, partial)  # a socket timeout (TIMEOUT) fails the test
        took = time.monotonic() - started
        if r is not None:
            assert_json_error(r, 408)
        assert 0.8 <= took < 5, f"nginx's 1 s timeout ended the request after {took:.1f} s"
        # The access log (buffered, flushed every second) records the 408.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not logged_statuses(nginx):
            time.sleep(0.2)
        assert logged_statuses(nginx) == [408]
    finally:
        nginx.stop()


def logged_statuses(nginx):
    if not os.path.exists(nginx.access_log):
        return []
    with open(nginx.access_log) as f:
        return [json.loads(line)["status"] for line in f if line.strip()]


def test_limit_req_rejection_is_json_429(stack):
    # No throttling ships; an operator who enables limit_req (with
    # limit_req_status 429, its default being 503) gets JSON from the
    # shipped error page.
    nginx = Nginx([stack.responder.address], edit=chain(
        insert_before(IN_HTTP, "    limit_req_zone $binary_remote_addr zone=per_address:1m rate=1r/m;\n"),
        insert_after(IN_LOCATION, "            limit_req zone=per_address;\n            limit_req_status 429;\n")))
    try:
        first = get(nginx.port, b"/healthz")
        assert first.status == 200, first.body
        assert assert_json_error(get(nginx.port, b"/healthz"), 429) == {"error": "Too many requests"}
    finally:
        nginx.stop()


# --- the responder cannot answer -------------------------------------------

def _behind(upstream_address, edit=lambda text: text):
    return Nginx([upstream_address], edit=edit)


def test_responder_down_is_json_503(stack):
    held, address = refused_address()  # nothing listens there: refused, 502
    nginx = _behind(address)
    try:
        assert assert_json_error(get(nginx.port, b"/healthz"), 503) == {"error": "Service unavailable"}
    finally:
        nginx.stop()
        held.close()


@pytest.mark.parametrize("reply", [b"", b"HTTP/1.1 200 OK\r\n\r\n{}"], ids=["closes-at-once", "not-fastcgi"])
def test_broken_responder_is_json_503(stack, reply):
    def handle(conn, stopped):
        conn.recv(65536)
        conn.sendall(reply)
    upstream = FakeUpstream(handle)
    nginx = _behind(upstream.address)
    try:
        assert assert_json_error(get(nginx.port, b"/healthz"), 503) == {"error": "Service unavailable"}
    finally:
        nginx.stop()
        upstream.close()


def test_responder_that_never_answers_is_json_504(stack):
    upstream = FakeUpstream(lambda conn, stopped: stopped.wait(TIMEOUT))
    nginx = _behind(upstream.address, insert_after(IN_LOCATION, "            fastcgi_read_timeout 1s;\n"))
    try:
        assert assert_json_error(get(nginx.port, b"/healthz"), 504) == {"error": "Gateway timeout"}
    finally:
        nginx.stop()
        upstream.close()


# --- AuthGate's own answers pass through ------------------------------------

def test_authgate_answer_has_nosniff_once(stack):
    # Passes with nginx's add_header alone; once AuthGate sends the header
    # too, fastcgi_hide_header keeps it to one copy.
    for target, status in ((b"/healthz", 200), (b"/no/such/path", 404)):
        r = get(stack.nginx.port, target)
        assert r.status == status and r.all("content-type") == ["application/json"]
        assert_nosniff_once(r)


def test_responder_nosniff_is_not_doubled_and_its_errors_are_kept():
    # A stand-in responder that already sends the header, and its own 503
    # with Retry-After: nginx keeps one nosniff and does not swap the body or
    # the status for its error page (fastcgi_intercept_errors stays off).
    body = b'{"error": "Service unavailable", "from": "responder"}'
    upstream = FakeUpstream(fastcgi_answer(
        b"Status: 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 2\r\n"
        b"X-Content-Type-Options: nosniff\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)))
    nginx = _behind(upstream.address)
    try:
        r = get(nginx.port, b"/auth/login", method=b"POST")
        assert (r.status, r.body, r.all("retry-after")) == (503, body, ["2"])
        assert_nosniff_once(r)
    finally:
        nginx.stop()
        upstream.close()


def test_head_and_options_reach_authgate(stack):
    # nginx forwards HEAD and OPTIONS untouched; AuthGate answers them (the
    # Allow header is AuthGate's: nginx adds one only to its own 405).
    r = get(stack.nginx.port, b"/no/such/path", method=b"HEAD")
    assert r.status == 404 and r.all("content-type") == ["application/json"]
    assert_nosniff_once(r)
    r = get(stack.nginx.port, b"/healthz", method=b"OPTIONS")
    assert "GET" in [m.strip() for m in r.all("allow")[0].split(",")], r.headers
    assert_nosniff_once(r)


# --- deploy/nginx-upstream.conf answers errors the same way ----------------

def _error_handling_lines(path):
    keys = ("error_page ", "location = /_authgate/error/", "add_header ", "fastcgi_hide_header ",
            "fastcgi_intercept_errors")
    return [line.strip() for line in open(path) if line.strip().startswith(keys)]


def test_upstream_example_has_the_same_error_pages():
    top = _error_handling_lines(os.path.join(ROOT, "nginx.conf"))
    assert len(top) > 20
    assert _error_handling_lines(os.path.join(ROOT, "deploy", "nginx-upstream.conf")) == top


def test_upstream_example_answers_json_with_both_responders_down():
    (held_a, a), (held_b, b) = refused_address(), refused_address()
    down = {"unix:/run/authgate/a.sock": a, "unix:/run/authgate/b.sock": b}
    nginx = Nginx([], source=os.path.join(ROOT, "deploy", "nginx-upstream.conf"), replace=down)
    try:
        assert assert_json_error(get(nginx.port, b"/healthz"), 503) == {"error": "Service unavailable"}
        assert_json_error(exchange(nginx.port, b"GET /auth/%00 HTTP/1.1\r\nHost: authgate\r\n\r\n"), 400)
    finally:
        nginx.stop()
        held_a.close()
        held_b.close()
