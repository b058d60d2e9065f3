"""A wrong-password flood on POST /auth/login for `make bench`: N keep-alive
connections, each sending its next request as soon as the last one is
answered. Unlike wrk it keeps every request's status and latency, and it
waits for the requests still in flight when it is stopped, so "every flood
request answered within 30 s" counts all of them."""
import asyncio
import json
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

# Longer than the 30 s target, so a late answer is measured, not cut off.
ANSWER_TIMEOUT = 60.0
# However the caller behaves, a flood ends (seconds).
MAX_SECONDS = 900.0


class FloodResult:
    def __init__(self):
        self.sent = 0
        self.statuses = Counter()
        self.unanswered = 0  # no answer within ANSWER_TIMEOUT
        self.failed = 0  # connect refused/reset, malformed answer
        self.bare_503 = 0  # 503 without Retry-After: nginx's, not AuthGate's overload answer
        self.latencies = []
        self.finished = False
        self.client_cpu = 0.0  # CPU seconds this client used: it shares the cores with the server

    @property
    def answered(self):
        return sum(self.statuses.values())

    @property
    def max_latency(self):
        return max(self.latencies, default=0.0)

    def count(self, status):
        return self.statuses.get(status, 0)

    @property
    def overloaded(self):
        """AuthGate's own overload answers: 503 with Retry-After."""
        return self.count(503) - self.bare_503

    @property
    def other(self):
        """Answers that are neither the wrong-password 400 nor AuthGate's 503."""
        return self.answered - self.count(400) - self.overloaded


async def _read_response(reader):
    """Status, whether it had Retry-After and whether the connection stays
    open; reads the whole body."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed before answering")
    status = int(status_line.split()[1])
    length, chunked, close, retry_after = 0, False, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value
        elif name == "connection":
            close = "close" in value
        elif name == "retry-after":
            retry_after = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, retry_after, not close


async def _connection(host, port, request, stop, result):
    reader = writer = None
    try:
        while not stop.is_set():
            if writer is None:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), ANSWER_TIMEOUT)
                except (OSError, asyncio.TimeoutError):
                    result.failed += 1
                    await asyncio.sleep(0.1)
                    continue
            result.sent += 1
            started = time.monotonic()
            try:
                writer.write(request)
                status, retry_after, keep = await asyncio.wait_for(_read_response(reader), ANSWER_TIMEOUT)
            except asyncio.TimeoutError:
                result.unanswered += 1
                keep = False
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                result.failed += 1
                keep = False
            else:
                result.latencies.append(time.monotonic() - started)
                result.statuses[status] += 1
                if status == 503 and not retry_after:
                    result.bare_503 += 1
            if not keep:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _flood(url, username, connections, stop, result):
    parts = urlsplit(url)
    body = json.dumps({"username": username, "password": "wrong-password"}).encode()
    request = (f"POST /auth/login HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    await asyncio.wait_for(
        asyncio.gather(*(_connection(parts.hostname, parts.port, request, stop, result) for _ in range(connections))),
        MAX_SECONDS + ANSWER_TIMEOUT)


class LoginFlood:
    """Starts flooding on `start()` in a thread of its own; `stop()` stops
    sending, waits for the requests in flight and returns the FloodResult."""

    def __init__(self, url, username, connections):
        self.connections = connections
        self.result = FloodResult()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, username), daemon=True)
        self._timer = threading.Timer(MAX_SECONDS, self._stop.set)

    def _run(self, url, username):
        try:
            asyncio.run(_flood(url, username, self.connections, self._stop, self.result))
        finally:
            self.result.client_cpu = time.thread_time()

    def start(self):
        self._timer.start()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._timer.cancel()
        self._thread.join(ANSWER_TIMEOUT + 30)
        # Still running only if a connection outlived every timeout: its
        # request is neither answered nor counted as unanswered yet.
        self.result.finished = not self._thread.is_alive()
        return self.result
