"""What a client sends cannot forge or split AuthGate's log lines: with
AUTHGATE_LOG_FORMAT=text every control character, U+0085, U+2028 and
U+2029 in a username is escaped, so every line is a record AuthGate wrote;
in the JSON format those are escaped as \\uXXXX, so even a reader that
splits lines as Python's str.splitlines() does gets whole JSON objects;
and a REQUEST_ID that is not a plain token (sent by something other than
the shipped nginx.conf) is replaced by AuthGate's own id."""
import json
import os
import re
import shutil
import uuid
from types import SimpleNamespace

import pytest
import requests

import fastcgi_raw as fcgi
from harness import BINARY, Nginx, Responder, private_socket_dir, start_logged
from helpers import eventually

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|notice|warning|error|critical) "
                       r"authgate[a-z.]*: ")
# What a username may carry to fake a line of its own (or to drive a terminal).
BREAKERS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1e", "\x85", "\u2028", "\u2029", "\x1b[2J", "\x7f", "\x9b"]


def forged_username(breaker):
    return "eve" + breaker + "2026-01-01T00:00:00.000Z critical authgate: [FORGED] " + uuid.uuid4().hex[:8]


def log_in_as(stack, username):
    r = stack.post("/auth/login", json={"username": username, "password": "wrong-password"},
                   headers={"X-Request-ID": "esc-" + uuid.uuid4().hex[:16]})
    assert r.status_code == 400, r.text
    return r.headers["X-Request-ID"]


class TextResponder(Responder):
    """A responder logging text: ready at its text "listening" line (the
    harness waits for the JSON one)."""

    def start(self):
        listen = self.env["AUTHGATE_LISTEN"]
        self.proc = start_logged([BINARY, "serve"], self.log, ("listening", f"address={listen}"),
                                 env=self.env, cwd=self.dir)


@pytest.fixture(scope="module")
def text_stack():
    parent, folder = private_socket_dir()
    responder = nginx = None
    try:
        responder = TextResponder(env={"AUTHGATE_LOG_FORMAT": "text"},
                                  unix_socket=os.path.join(folder, "authgate.sock"))
        nginx = Nginx([responder.address])
        http = requests.Session()
        yield SimpleNamespace(responder=responder, nginx=nginx,
                              post=lambda path, **kw: http.post(nginx.url + path, timeout=30, **kw))
    finally:
        if nginx:
            nginx.stop()
        if responder:
            responder.stop()
        shutil.rmtree(parent, ignore_errors=True)


def test_text_log_lines_cannot_be_forged(text_stack):
    ids = {breaker: log_in_as(text_stack, forged_username(breaker)) for breaker in BREAKERS}
    last = list(ids.values())[-1]
    assert eventually(lambda: f"request.id={last} " in text_stack.responder.log_text())
    text = text_stack.responder.log_text()
    # Split both ways: "\n" (a log shipper) and every line break Python knows.
    for lines in (text.split("\n")[:-1], text.splitlines()):
        # The forged text stays inside the username field of a real line.
        forged = [l for l in lines if "[FORGED]" in l]
        assert len(forged) == len(BREAKERS), forged
        assert all(re.search(r' username="eve\\[^ "]+2026-01-01T00:00:00\.000Z critical authgate: \[FORGED\] [0-9a-f]{8}"', l)
                   for l in forged), forged
        for line in lines:
            assert TEXT_LINE.match(line), repr(line)
            assert "\x1b" not in line and "\x7f" not in line and "\x9b" not in line, repr(line)
    for breaker, request_id in ids.items():
        [audit] = [l for l in text.split("\n") if f"request.id={request_id} " in l and "authgate.audit" in l]
        assert "event=login.failure" in audit and "[FORGED]" in audit, audit


@pytest.mark.parametrize("breaker", ["\x85", "\u2028", "\u2029", "\x1c", "\n"])
def test_json_log_lines_survive_python_splitlines(stack, breaker):
    name = forged_username(breaker)
    request_id = log_in_as(stack, name)
    assert eventually(lambda: request_id in stack.responder.log_text())
    text = stack.responder.log_text()
    raw = [l for l in text.split("\n") if request_id in l]
    assert raw and all(breaker not in l for l in raw), raw
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    audit = [r for r in records if r.get("request.id") == request_id and r.get("logger") == "authgate.audit"]
    assert [r["username"] for r in audit] == [name]


@pytest.fixture(scope="module")
def direct():
    """A responder on a loopback port, reached without nginx, as any
    FastCGI client could."""
    r = Responder(env={"FLASK_JWT_SECRET_KEY": "j" * 32})
    yield r
    r.stop()


def request_lines(responder):
    """AuthGate's request lines so far, in order (this module's responder
    serves only the requests its tests send, one at a time)."""
    records = [json.loads(line) for line in responder.log_text().split("\n") if line.strip()]
    return [r for r in records if r.get("logger") == "authgate.request"]


def send(responder, request_id, path):
    before = len(request_lines(responder))
    answer = fcgi.exchange(responder.port, fcgi.request(fcgi.health_params(path=path, REQUEST_ID=request_id)),
                           timeout=10)
    assert eventually(lambda: len(request_lines(responder)) == before + 1)
    return answer, request_lines(responder)[before]


@pytest.mark.parametrize("sent", ["bad id", "line\nbreak", "x" * 65, "u\u2028v", "", "quote\"d", "ü"])
def test_a_request_id_that_is_not_a_plain_token_is_replaced(direct, sent):
    answer, line = send(direct, sent, "/livez")
    assert answer.status == 200, answer.summary()
    # The worker's own id: "<worker>-<served>".
    assert re.match(r"^\d+-\d+$", line["request.id"]), line


def test_a_plain_request_id_is_kept(direct):
    sent = "direct-" + uuid.uuid4().hex[:12] + "." + "_-"
    answer, line = send(direct, sent, "/livez")
    assert answer.status == 200 and line["request.id"] == sent, (answer.summary(), line)
