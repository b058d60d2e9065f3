"""Secrets never leak: every secret the end-to-end tests handle is looked
for in every log the harness writes and in every error body a test sees.

What counts as a secret, collected while the tests run:
- passwords the tests send (a "password" in a JSON body or a query),
- tokens AuthGate issued (login and refresh bodies): their signature,
  which is what makes a token usable (header and claims are public),
- TOTP secrets and recovery codes AuthGate gave out (docs/mfa.md),
- signing keys and database passwords the harness gives a responder.

Where they must never appear: each responder's log (its standard error),
each nginx error, access and standard-error log, and every 4xx/5xx answer
(body and headers). A password may appear in the request a test sends;
a token in the login or refresh answer that issues it; nowhere else.

One Aho-Corasick pass per text, however many secrets (thousands: every
login of the suite issues two tokens). The report names the file, the line
and the kind of secret, never the secret."""
import bisect
import json
import os
import re
import shutil
import tempfile
import threading
import urllib.parse

# Shorter values are not secrets worth the name (AuthGate refuses passwords
# under 6 characters) and would match by chance.
MIN_LENGTH = 6
# Below this length a value counts only as a whole word: "123456" inside a
# 32-digit request id is chance, `"password":"123456"` is a leak.
WHOLE_WORD_BELOW = 16
# What responders started by the test harness log with (harness.py).
DEBUG_LOGGING = {"FLASK_DEBUG": "1", "FLASK_SQLALCHEMY_ECHO": "1"}
# Environment variables whose value is a secret (a *_FILE twin is read).
SECRET_VARIABLES = ("FLASK_SECRET_KEY", "FLASK_JWT_SECRET_KEY", "FLASK_JWT_PRIVATE_KEY",
                    "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS")
PEM_LINE = re.compile(r"^[A-Za-z0-9+/=]{16,}$")


def _word_char(c):
    """Part of the same word as a short secret beside it: letters, digits
    and what joins them in ids, numbers and tokens (0.123456, a-123456)."""
    return c.isalnum() or c in "_.-"


class Matcher:
    """Finds any of `secrets` ({value: kind}) in a text in one pass."""

    def __init__(self, secrets):
        import ahocorasick  # pyahocorasick, scripts/requirements-test.txt
        self.automaton = ahocorasick.Automaton()
        for value, kind in secrets.items():
            if len(value) >= MIN_LENGTH:
                self.automaton.add_word(value, (len(value), kind))
        self.size = len(self.automaton)
        if self.size:
            self.automaton.make_automaton()

    def find(self, text):
        """[(offset, kind)] of every occurrence."""
        if not self.size:
            return []
        hits = []
        for end, (length, kind) in self.automaton.iter(text):
            start = end - length + 1
            if length < WHOLE_WORD_BELOW and (
                    (start > 0 and _word_char(text[start - 1])) or
                    (end + 1 < len(text) and _word_char(text[end + 1]))):
                continue
            hits.append((start, kind))
        return hits

    def lines(self, text):
        """[(line number from 1, kind)], one per line and kind."""
        hits = self.find(text)
        if not hits:
            return []
        newlines = [m.start() for m in re.finditer("\n", text)]
        found = {(bisect.bisect_left(newlines, offset) + 1, kind) for offset, kind in hits}
        return sorted(found)


def token_secret(token):
    """What of a compact JWS is secret: its signature (a token contains
    it, so finding the signature finds the token too)."""
    parts = token.split(".")
    return parts[2] if len(parts) == 3 and len(parts[2]) >= MIN_LENGTH else token


class LeakWatch:
    """The session's secrets, logs and error bodies; inactive (every call
    a no-op) until `start`, so the harness outside pytest (make bench,
    make soak) collects nothing."""

    def __init__(self):
        self.active = False
        self.lock = threading.Lock()
        self.secrets = {}      # value -> kind
        self.public = set()    # usernames and emails the tests sent
        self.logs = {}         # (device, inode) -> (kept path, original path, test)
        self.bodies = []       # (where, text)
        self.archive = None
        self._send = None

    # --- collecting -------------------------------------------------------

    def start(self):
        import requests
        self.active = True
        self.archive = tempfile.mkdtemp(prefix="authgate-leakscan-")
        self._send = requests.Session.send
        watch, send = self, self._send

        def observed_send(session, request, **kw):
            watch.saw_request(request)
            response = send(session, request, **kw)
            watch.saw_response(request, response, streamed=kw.get("stream", False))
            return response
        requests.Session.send = observed_send

    def stop(self):
        if self._send is not None:
            import requests
            requests.Session.send = self._send
            self._send = None
        self.active = False

    def add(self, kind, value):
        if not self.active or not isinstance(value, str) or len(value) < MIN_LENGTH:
            return
        with self.lock:
            self.secrets.setdefault(value, kind)

    def add_environment(self, env):
        """The secrets a responder is configured with: keys (also from a
        *_FILE) and the database URI's passwords."""
        if not self.active or not env:
            return
        for name in SECRET_VARIABLES:
            values = [env.get(name)]
            path = env.get(name + "_FILE")
            if path:
                try:
                    with open(path, errors="replace") as f:
                        values.append(f.read())
                except OSError:
                    pass  # a test of a missing or unreadable file
            for value in filter(None, values):
                for piece in self._key_pieces(name, value):
                    self.add(f"key ({name})", piece)
        uri = env.get("FLASK_SQLALCHEMY_DATABASE_URI", "")
        if uri.startswith(("postgres://", "postgresql")):
            parsed = urllib.parse.urlsplit(uri)
            self.add("database password", urllib.parse.unquote(parsed.password or ""))
            for value in urllib.parse.parse_qs(parsed.query).get("password", []):
                self.add("database password", value)

    @staticmethod
    def _key_pieces(name, value):
        if "-----BEGIN" in value:  # a PEM key: each base64 line is secret
            return [line.strip() for line in value.splitlines() if PEM_LINE.match(line.strip())]
        if name == "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS":
            return [v.strip() for v in re.split(r"[,\n]", value) if v.strip()]
        return [value.strip()]

    def watch_log(self, path):
        """A log to scan at the end: hard-linked into the archive at once,
        so it outlives the folder its owner removes on stop."""
        if not self.active:
            return
        try:
            st = os.stat(path)
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        with self.lock:
            if key in self.logs:
                return
            kept = os.path.join(self.archive, f"{len(self.logs):05d}-{os.path.basename(path)}")
            try:
                os.link(path, kept)
            except OSError:
                kept = path  # another file system: scanned if still there
            self.logs[key] = (kept, path, test)

    def watch_logs_in(self, folder):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return
        for name in names:
            if name.endswith(".log"):
                self.watch_log(os.path.join(folder, name))

    def saw_request(self, request):
        if not self.active:
            return
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8", "replace")
        if isinstance(body, bytes) and body[:1] == b"{" and len(body) < 200_000:
            try:
                payload = json.loads(body)
            except (ValueError, RecursionError):  # tests send garbage and 10,000-deep nesting
                payload = None
            if isinstance(payload, dict):
                self.add("password", payload.get("password"))
                for field in ("username", "email"):
                    if isinstance(payload.get(field), str):
                        with self.lock:
                            self.public.add(payload[field])
        query = urllib.parse.urlsplit(request.url or "").query
        for value in urllib.parse.parse_qs(query).get("password", []):
            self.add("password", value)

    def saw_response(self, request, response, streamed):
        if not self.active or streamed:
            return
        status = response.status_code
        if status >= 400:
            head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
            path = urllib.parse.urlsplit(request.url or "").path
            with self.lock:
                self.bodies.append((f"{request.method} {path} -> {status} in {test}",
                                    response.text + "\n" + head))
            return
        if "json" not in response.headers.get("Content-Type", "") or len(response.content) > 200_000:
            return
        try:
            payload = response.json()
        except (ValueError, RecursionError):
            return
        if not isinstance(payload, dict):
            return
        tokens = payload.get("tokens") if isinstance(payload.get("tokens"), dict) else {}
        for kind, token in (("access token", tokens.get("access")), ("refresh token", tokens.get("refresh")),
                            ("access token", payload.get("access_token")),
                            ("refresh token", payload.get("refresh_token"))):
            if isinstance(token, str):
                self.add(kind, token_secret(token))
        self.add("TOTP secret", payload.get("secret"))
        for code in payload.get("recovery_codes") or []:
            self.add("recovery code", code)

    # --- scanning ---------------------------------------------------------

    def scan(self):
        """Every watched log and error body against every secret."""
        with self.lock:
            secrets = dict(self.secrets)
            public = "\n".join(self.public)
            logs = list(self.logs.values())
            bodies = list(self.bodies)
        # A password a test also sent as a username or an email can be in
        # the audit log as that: not a leak anyone could tell apart.
        ambiguous = {kind for _, kind in Matcher({v: v for v, k in secrets.items() if k == "password"})
                     .find(public)} if public else set()
        for value in ambiguous:
            secrets.pop(value, None)
        matcher = Matcher(secrets)
        findings, scanned_bytes, missing = [], 0, []
        for kept, original, test in logs:
            try:
                with open(kept, "rb") as f:
                    data = f.read()
            except OSError:
                missing.append(original)
                continue
            scanned_bytes += len(data)
            for line, kind in matcher.lines(data.decode("utf-8", "replace")):
                findings.append((kept, line, f"{kept}:{line} (was {original}, started in {test}): {kind}"))
        if bodies:
            joined = "\n\0\n".join(text for _, text in bodies)
            starts, offset = [], 0
            for _, text in bodies:
                starts.append(offset)
                offset += len(text) + 3
            for offset, kind in matcher.find(joined):
                where = bodies[bisect.bisect_right(starts, offset) - 1][0]
                findings.append(("~", offset, f"error answer {where}: {kind}"))
        return ScanResult(findings=[text for *_, text in sorted(set(findings))], files=len(logs), missing=missing,
                          scanned_bytes=scanned_bytes, secrets=matcher.size, ambiguous=len(ambiguous),
                          bodies=len(bodies), archive=self.archive)

    def discard_archive(self):
        if self.archive:
            shutil.rmtree(self.archive, ignore_errors=True)


class ScanResult:
    def __init__(self, **fields):
        self.__dict__.update(fields)
        self.seconds = 0.0

    def summary(self):
        return (f"secrets scan: {self.secrets} secrets ({self.ambiguous} passwords also sent as a username or "
                f"email left out) in {self.files} log files ({self.scanned_bytes / 2**20:.1f} MiB) and "
                f"{self.bodies} error answers: {len(self.findings)} found, {self.seconds:.2f} s"
                + (f"; {len(self.missing)} logs gone before the scan" if self.missing else ""))

    def report(self):
        lines = [f"a secret was found where it must never be ({len(self.findings)} places; "
                 f"logs kept in {self.archive}):"]
        lines += [f"  {f}" for f in self.findings[:200]]
        if len(self.findings) > 200:
            lines.append(f"  ... and {len(self.findings) - 200} more")
        return "\n".join(lines)


# The one watch of a pytest session (conftest starts it).
SESSION = LeakWatch()
