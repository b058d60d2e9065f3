"""Raw FastCGI fuzzing of a TCP-configured responder run under
`serve --supervise`: each malformed case is sent straight to the socket
(no nginx), and afterwards a well-formed request must be answered again
within a bounded time while the supervisor stays up. A case that kills the
responder child (e.g. SIGABRT inside Debian's libfcgi, whose CVE-2025-23016
patch misses a sum overflow, or its GET_VALUES stack buffer overrun) is
reported with its signal and a warning, not failed: the supervisor
restarting it is the behaviour under test. A child that survives such a
case is ended before the next one, whose verdict its corrupt heap would
otherwise decide. The report, one line per case,
is printed at the end of the module and written to a file."""
import glob
import json
import os
import random
import signal
import socket
import struct
import subprocess
import time
import warnings

import pytest

import fastcgi_raw as fcgi
from harness import BINARY, SECRET, serve_on_tcp, stop_process

# Short on purpose: a case that holds its connection costs this much.
CASE_TIMEOUT = 1.0
# A restarted child needs the supervisor's back-off (0.4 s) plus its start-up.
RECOVERY_TIMEOUT = 15.0
# One probe; also what a case that must be answered waits: on a loaded
# machine an answer can take longer than what a held case costs.
PROBE_ATTEMPT_TIMEOUT = 5.0


def json_log_lines(text):
    """AuthGate's log lines (one JSON object each); anything else is skipped."""
    lines = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            lines.append(value)
    return lines


class Supervised:
    """`authgate serve --supervise` on a loopback TCP port, sqlite backed."""

    def __init__(self, workdir):
        self.log = os.path.join(workdir, "authgate.log")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
               "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(workdir, 'db.sqlite')}"}
        self.proc, self.port = serve_on_tcp([BINARY, "serve", "--supervise"], env, self.log, cwd=workdir)

    def children(self):
        """The supervisor's child pids (the responder, two during a restart)."""
        pid = self.proc.pid
        files = glob.glob(f"/proc/{pid}/task/*/children")
        if not files:  # kernel without CONFIG_PROC_CHILDREN
            out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
            return {int(p) for p in out.stdout.split()}
        kids = set()
        for path in files:
            try:
                with open(path) as f:
                    kids.update(int(p) for p in f.read().split())
            except OSError:  # a thread that just ended
                pass
        return kids

    def exit_status_of(self, pid):
        """How a responder child ended, from the supervisor's log line."""
        with open(self.log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for line in json_log_lines(text):
            if "exited unexpectedly" in line.get("msg", "") and line.get("pid") == str(pid):
                if str(line.get("status", "")).isdigit():
                    status = int(line["status"])
                    if status & 0x7F:
                        try:
                            return signal.Signals(status & 0x7F).name
                        except ValueError:
                            return f"signal {status & 0x7F}"
                    return f"exit {(status >> 8) & 0xFF}"
        return "unknown"

    def deaths(self, before, after):
        """'no', or 'yes (SIGABRT)' for each child gone between the two."""
        dead = sorted(before - after)
        return "no" if not dead else "yes (" + ", ".join(self.exit_status_of(p) for p in dead) + ")"

    def worker_threads(self):
        """The responder's worker count, from its start-up log line."""
        with open(self.log, "rb") as f:
            lines = json_log_lines(f.read().decode("utf-8", "replace"))
        found = [l["threads"] for l in lines if l.get("msg") == "authgate serving"]
        return int(found[-1]) if found else None

    def retire(self, pids):
        """Ends children that survived a libfcgi overflow case: its heap may
        be corrupt (the sum that wraps to 0 copies kilobytes past a tiny
        buffer) and abort later, on an unrelated case. The supervisor
        starts a clean one; the caller probes for it."""
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while time.monotonic() < deadline and self.children() & set(pids):
            time.sleep(0.05)

    def stop(self):
        stop_process(self.proc)


def probe(port):
    """A well-formed request; retried (a restarting child may close or
    reset a first connection) until it gets 200 or the bound passes.
    Returns (answer of the last attempt, seconds taken)."""
    start_time = time.monotonic()
    deadline = start_time + RECOVERY_TIMEOUT
    answer = None
    for _ in range(20):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            answer = fcgi.exchange(port, fcgi.request(), timeout=min(PROBE_ATTEMPT_TIMEOUT, left))
        except OSError as error:
            answer = fcgi.Answer(b"", f"connect failed: {error}", 0)
        if answer.status == 200:
            break
        time.sleep(0.1)
    return answer, time.monotonic() - start_time


# ---- the cases ----------------------------------------------------------

def _params(extra=None, **kw):
    return fcgi.pairs(fcgi.health_params(**kw) | (extra or {}))


def _after_begin(*records):
    return fcgi.begin() + b"".join(records)


def _name_value_lengths(name_len, value_len, data=b""):
    """A PARAMS record whose first pair announces the given lengths in the
    four-byte form, followed by `data` and the end of the stream."""
    body = struct.pack(">II", name_len | 0x80000000, value_len | 0x80000000) + data
    return _after_begin(fcgi.stream(fcgi.PARAMS, body), fcgi.stream(fcgi.STDIN, b""))


def _random_records(seed, count=12):
    """Headers with a valid version but random type, id and lengths."""
    rng = random.Random(seed)
    out = b""
    for _ in range(count):
        content = rng.randbytes(rng.randrange(0, 64))
        out += fcgi.record(rng.randrange(0, 16), content, request_id=rng.choice([0, 1, 2, 0xFFFF]),
                           declared_length=rng.choice([None, None, rng.randrange(0, 0x10000)]),
                           padding=rng.randrange(0, 8))
    return out


def _trickled(request, size):
    return [request[i:i + size] for i in range(0, len(request), size)]


# Each case: keyword arguments for `fcgi.exchange`; `half_close` defaults to
# True (the responder sees the end of the stream, so only a case that is
# meant to hold the connection costs the full timeout); `ok` marks a case
# that is valid FastCGI, oddly sent, and must be answered 200;
# `libfcgi_aborts` one that Debian 12's libfcgi answers with abort() (its
# CVE-2025-23016 patch is partial; only nginx may reach the socket): the
# supervisor must start a new child. Any other case that kills the child
# fails.
CASES = {
    # Record framing
    "version-0": dict(data=fcgi.begin(version=0) + fcgi.request()[16:]),
    "version-2": dict(data=fcgi.begin(version=2) + fcgi.request()[16:]),
    "unknown-type-99-management": dict(data=fcgi.record(99, b"x" * 8, request_id=0)),
    "unknown-type-99-in-request": dict(data=_after_begin(fcgi.record(99, b"x" * 8), fcgi.request()[16:])),
    "type-0": dict(data=fcgi.record(0, b"", request_id=1) + fcgi.request()),
    "truncated-header-eof": dict(data=fcgi.request()[:5]),
    "truncated-header-held": dict(data=fcgi.request()[:5], half_close=False),
    "content-longer-than-sent-eof": dict(
        data=_after_begin(fcgi.record(fcgi.PARAMS, _params()[:10], declared_length=1000))),
    "content-longer-than-sent-held": dict(
        data=_after_begin(fcgi.record(fcgi.PARAMS, _params()[:10], declared_length=1000)), half_close=False),
    "padding-announced-not-sent": dict(
        data=_after_begin(fcgi.record(fcgi.PARAMS, _params(), padding=255)[:-255],
                          fcgi.stream(fcgi.PARAMS, b""), fcgi.stream(fcgi.STDIN, b""))),
    "padding-garbage-bytes": dict(
        data=_after_begin(fcgi.record(fcgi.PARAMS, _params(), padding=b"\xff" * 7),
                          fcgi.stream(fcgi.PARAMS, b""), fcgi.stream(fcgi.STDIN, b"")), ok=True),
    "max-content-all-zero-pairs": dict(
        data=_after_begin(fcgi.record(fcgi.PARAMS, _params() + b"\0" * (0xFFFF - len(_params()))),
                          fcgi.stream(fcgi.PARAMS, b""), fcgi.stream(fcgi.STDIN, b""))),
    # BEGIN_REQUEST
    "begin-role-0": dict(data=fcgi.begin(role=0) + fcgi.request()[16:]),
    "begin-role-unknown-7": dict(data=fcgi.begin(role=7) + fcgi.request()[16:]),
    "begin-role-authorizer": dict(data=fcgi.begin(role=2) + fcgi.request()[16:]),
    "begin-role-filter": dict(data=fcgi.begin(role=3) + fcgi.request()[16:]),
    "begin-request-id-0": dict(data=fcgi.begin(request_id=0) + fcgi.request(request_id=0)[16:]),
    "begin-short-body": dict(data=fcgi.record(fcgi.BEGIN_REQUEST, b"\0\1\0") + fcgi.request()[16:]),
    "two-begins-same-id": dict(data=fcgi.begin() + fcgi.request()),
    "two-begins-other-id": dict(data=fcgi.begin() + fcgi.request(request_id=2)),
    "params-before-begin": dict(data=fcgi.stream(fcgi.PARAMS, _params()) + fcgi.request()),
    "stdin-before-params-end": dict(
        data=_after_begin(fcgi.record(fcgi.PARAMS, _params()), fcgi.stream(fcgi.STDIN, b"x"),
                          fcgi.stream(fcgi.PARAMS, b""))),
    "params-other-request-id": dict(
        data=_after_begin(fcgi.stream(fcgi.PARAMS, _params(), request_id=7), fcgi.stream(fcgi.STDIN, b""))),
    "abort-before-begin": dict(data=fcgi.record(fcgi.ABORT_REQUEST) + fcgi.request()),
    "abort-after-params": dict(
        data=_after_begin(fcgi.stream(fcgi.PARAMS, _params()), fcgi.record(fcgi.ABORT_REQUEST))),
    # Name-value pairs
    "name-length-huge-4-byte": dict(data=_name_value_lengths(0x7FFFFF00, 1, b"abc")),
    "lengths-at-int-max": dict(data=_name_value_lengths(0x7FFFFFFF, 0x7FFFFFFF, b"A" * 64)),
    # The CVE-2025-23016 variant: each length passes a `< INT_MAX` check,
    # their int sum + 2 is negative, so Malloc gets ~2^64 and asserts.
    "cve-two-lengths-just-under-2^31": dict(data=_name_value_lengths(0x7FFFFFF0, 0x7FFFFFF0, b"A" * 64),
                                            libfcgi_aborts=True),
    # Sum + 2 wraps to exactly 0: a 0-byte buffer, then the name is copied in.
    "cve-sum-wraps-to-zero": dict(data=_name_value_lengths(0x7FFFFFFE, 0x7FFFFFFE, b"A" * 4096),
                                  libfcgi_aborts=True),
    "lengths-past-record": dict(
        data=_after_begin(fcgi.stream(fcgi.PARAMS, b"\x64\x64" + b"N" * 10), fcgi.stream(fcgi.STDIN, b""))),
    "value-length-missing": dict(
        data=_after_begin(fcgi.stream(fcgi.PARAMS, _params() + b"\x05"), fcgi.stream(fcgi.STDIN, b""))),
    "four-byte-length-cut": dict(
        data=_after_begin(fcgi.stream(fcgi.PARAMS, _params() + b"\x80\x00"), fcgi.stream(fcgi.STDIN, b""))),
    "nul-bytes-in-names-and-values": dict(
        data=fcgi.request(fcgi.health_params() | {"REQUEST\0METHOD": "POST", "X\0": "a\0b",
                                                  "DOCUMENT_URI\0": "/auth/logout"})),
    "nul-in-document-uri": dict(data=fcgi.request(fcgi.health_params(path="/healthz\0/../auth/whoami"))),
    "no-params-at-all": dict(data=fcgi.begin() + fcgi.stream(fcgi.PARAMS, b"") + fcgi.stream(fcgi.STDIN, b"")),
    "param-value-64-kib": dict(data=fcgi.request(fcgi.health_params(HTTP_X_BIG="v" * 65536)), ok=True),
    "param-name-64-kib": dict(data=fcgi.request(fcgi.health_params() | {"N" * 65536: "v"}), ok=True),
    "params-20000-tiny": dict(
        data=fcgi.request(fcgi.health_params() | {f"P{i}": "" for i in range(20000)}), ok=True),
    # Management records. libfcgi reads on past a management record
    # before it answers one, so a well-formed request follows each.
    "get-values": dict(data=fcgi.record(
        fcgi.GET_VALUES, fcgi.pairs({"FCGI_MAX_CONNS": "", "FCGI_MAX_REQS": "", "FCGI_MPXS_CONNS": ""}),
        request_id=0) + fcgi.request(), ok=True),
    # libfcgi writes one entry per known name into a 64-byte stack buffer.
    "get-values-repeated-names": dict(data=fcgi.record(
        fcgi.GET_VALUES, fcgi.pair("FCGI_MAX_CONNS", "") * 12, request_id=0) + fcgi.request(),
        libfcgi_aborts=True),
    "get-values-garbled-pairs": dict(
        data=fcgi.record(fcgi.GET_VALUES, b"\xff\xff\xff\xff\x01", request_id=0) + fcgi.request()),
    # Body and CONTENT_LENGTH
    "body-larger-than-content-length": dict(
        data=fcgi.request(fcgi.health_params(CONTENT_LENGTH="5"), body=b"B" * 100000), ok=True),
    "content-length-negative": dict(
        data=fcgi.request(fcgi.health_params(path="/auth/login", method="POST", CONTENT_LENGTH="-5",
                                             CONTENT_TYPE="application/json"), body=b"{}")),
    "content-length-garbage": dict(
        data=fcgi.request(fcgi.health_params(path="/auth/login", method="POST", CONTENT_LENGTH="12abc",
                                             CONTENT_TYPE="application/json"), body=b"{}")),
    "content-length-beyond-64-bits": dict(
        data=fcgi.request(fcgi.health_params(path="/auth/login", method="POST",
                                             CONTENT_LENGTH="99999999999999999999999999",
                                             CONTENT_TYPE="application/json"), body=b"{}")),
    "content-length-without-body": dict(
        data=fcgi.request(fcgi.health_params(path="/auth/login", method="POST", CONTENT_LENGTH="100",
                                             CONTENT_TYPE="application/json"))),
    # Connection behaviour
    "empty-connection": dict(data=b""),
    "slowloris-held": dict(data=fcgi.request()[:3], half_close=False),
    "well-formed-trickled": dict(chunks=_trickled(fcgi.request(), 64), pause=0.02, ok=True),
    "keep-conn-then-garbage": dict(data=fcgi.request(flags=fcgi.KEEP_CONN) + b"\xde\xad\xbe\xef" * 64),
    # Seeded noise
    "random-bytes-seed-1": dict(data=random.Random(1).randbytes(512)),
    "random-bytes-seed-2": dict(data=random.Random(2).randbytes(4096)),
    "random-bytes-after-begin-seed-3": dict(data=fcgi.begin() + random.Random(3).randbytes(2048)),
    "random-records-seed-4": dict(data=_random_records(4)),
    "random-records-after-begin-seed-5": dict(data=fcgi.begin() + _random_records(5)),
}


# ---- fixtures and tests -------------------------------------------------

@pytest.fixture(scope="module")
def report(request, tmp_path_factory):
    """Collects one line per case; printed (even without -s) and written
    to a file when the module ends."""
    lines = []
    yield lines
    path = tmp_path_factory.getbasetemp() / "fastcgi_fuzz_report.txt"
    width = max((len(name) for name, _, _ in lines), default=10)
    text = [f"{'case':<{width}}  {'child died':<22}  answer"]
    text += [f"{name:<{width}}  {died:<22}  {outcome}" for name, outcome, died in lines]
    path.write_text("\n".join(text) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # Teardown output is captured (shown only on failure) unless released.
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(f"FastCGI fuzz report ({len(lines)} cases; also in {path}):")
            for line in text:
                reporter.write_line("  " + line)


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    s = Supervised(str(tmp_path_factory.mktemp("fastcgi-fuzz")))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def baseline(supervised):
    """The first responder child answers before any case is sent."""
    answer, _ = probe(supervised.port)
    assert answer.status == 200, answer.summary()


def test_well_formed_request_is_answered_200(supervised, baseline):
    answer = fcgi.exchange(supervised.port, fcgi.request(), timeout=PROBE_ATTEMPT_TIMEOUT)
    assert answer.status == 200, answer.summary()
    assert answer.end == "ended"
    assert b'"status":"ok"' in answer.stdout


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_case_leaves_service_answering(name, supervised, baseline, report):
    case = dict(CASES[name])
    must_answer = case.pop("ok", False)
    may_kill = case.pop("libfcgi_aborts", False)
    case.setdefault("half_close", True)
    before = supervised.children()
    assert before, "no responder child before the case"

    try:
        answer, held = fcgi.exchange(supervised.port, case.pop("data", b""),
                                     timeout=PROBE_ATTEMPT_TIMEOUT if must_answer else CASE_TIMEOUT,
                                     keep_open=True, **case)
    except OSError as error:
        answer, held = fcgi.Answer(b"", f"connect failed: {error}", 0), None
    try:
        # Checked while a held connection is still open: a slow client
        # must not stop the others.
        recovered, took = probe(supervised.port)
    finally:
        if held is not None:
            held.close()

    after = supervised.children()
    died = supervised.deaths(before, after)
    outcome = answer.summary() + f"; next request {recovered.summary()} after {took:.1f}s"
    if may_kill and died == "no":
        supervised.retire(after)
        recovered, took = probe(supervised.port)
        after = supervised.children()
        outcome += f"; survivor retired, next request {recovered.summary()} after {took:.1f}s"
    report.append((name, outcome, died))
    if died != "no":
        warnings.warn(f"FastCGI fuzz case {name!r} killed the responder child: {died}")
    assert died == "no" or may_kill, f"the responder child died: {died}"

    assert supervised.proc.poll() is None, f"the supervisor died (exit {supervised.proc.returncode})"
    assert recovered.status == 200, f"service did not answer within {RECOVERY_TIMEOUT}s: {recovered.summary()}"
    assert after, "no responder child after the case"
    assert answer.status is None or answer.status < 500, f"server error: {answer.summary()}"
    if must_answer:
        assert answer.status == 200, answer.summary()


def test_slow_clients_holding_every_worker(supervised, baseline, report):
    """More slow clients than worker threads, each stuck inside a record
    header. Whether a request is answered while they hold on is reported
    (a responder without a per-connection read deadline starves; only
    nginx is meant to reach the socket); once they go, it must be."""
    threads = supervised.worker_threads()
    assert threads, "no worker count in the responder's log"
    before = supervised.children()
    held = []
    try:
        for _ in range(threads + 4):
            sock = socket.create_connection(("127.0.0.1", supervised.port), timeout=CASE_TIMEOUT)
            held.append(sock)
            sock.sendall(fcgi.request()[:3])
        while_held = fcgi.exchange(supervised.port, fcgi.request(), timeout=2 * CASE_TIMEOUT)
    finally:
        for sock in held:
            sock.close()
    recovered, took = probe(supervised.port)
    died = supervised.deaths(before, supervised.children())
    outcome = (f"{len(held)} held: request meanwhile {while_held.summary()}; "
               f"after release {recovered.summary()} after {took:.1f}s")
    report.append((f"slow-clients-x{len(held)}", outcome, died))
    if while_held.status != 200:
        warnings.warn(f"{len(held)} slow clients ({threads} workers) starve the responder: {while_held.summary()}")

    assert supervised.proc.poll() is None, f"the supervisor died (exit {supervised.proc.returncode})"
    assert recovered.status == 200, f"service did not answer within {RECOVERY_TIMEOUT}s: {recovered.summary()}"
