"""A raw FastCGI client for fuzzing: builds records byte by byte (well
formed or deliberately not) and reads back whatever a responder answers
within a deadline, without ever trusting what it receives."""
import socket
import struct
import time

VERSION = 1
HEADER_LEN = 8

BEGIN_REQUEST = 1
ABORT_REQUEST = 2
END_REQUEST = 3
PARAMS = 4
STDIN = 5
STDOUT = 6
STDERR = 7
DATA = 8
GET_VALUES = 9
GET_VALUES_RESULT = 10
UNKNOWN_TYPE = 11

RESPONDER = 1
KEEP_CONN = 1

# FCGI_EndRequestBody.protocolStatus
PROTOCOL_STATUS = {0: "request-complete", 1: "cant-mpx-conn", 2: "overloaded", 3: "unknown-role"}


def record(rtype, content=b"", request_id=1, version=VERSION, declared_length=None, padding=None):
    """One record. `declared_length` and `padding` (bytes announced, zero
    bytes sent) may lie about what follows, for malformed cases."""
    length = len(content) if declared_length is None else declared_length
    pad_len = len(padding) if isinstance(padding, bytes) else (padding or 0)
    pad_bytes = padding if isinstance(padding, bytes) else b"\0" * pad_len
    return struct.pack(">BBHHBB", version, rtype, request_id, length, pad_len, 0) + content + pad_bytes


def length_bytes(n):
    """A name-value length: one byte below 128, else four with the high bit."""
    return bytes([n]) if n < 0x80 else struct.pack(">I", n | 0x80000000)


def pair(name, value):
    name = name.encode() if isinstance(name, str) else name
    value = value.encode() if isinstance(value, str) else value
    return length_bytes(len(name)) + length_bytes(len(value)) + name + value


def pairs(params):
    return b"".join(pair(k, v) for k, v in params.items())


def begin(role=RESPONDER, flags=0, request_id=1, version=VERSION):
    return record(BEGIN_REQUEST, struct.pack(">HB5x", role, flags), request_id, version)


def stream(rtype, data, request_id=1):
    """A stream in records of at most 65535 bytes, then its empty end record."""
    chunks = [data[i:i + 0xFFFF] for i in range(0, len(data), 0xFFFF)]
    return b"".join(record(rtype, c, request_id) for c in chunks) + record(rtype, b"", request_id)


def health_params(path="/healthz", method="GET", **extra):
    params = {"REQUEST_METHOD": method, "DOCUMENT_URI": path, "REQUEST_URI": path, "QUERY_STRING": "",
              "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": "", "REMOTE_ADDR": "127.0.0.1"}
    params.update(extra)
    return params


def request(params=None, body=b"", request_id=1, flags=0):
    """A complete, well-formed responder request."""
    params = health_params() if params is None else params
    return (begin(flags=flags, request_id=request_id) + stream(PARAMS, pairs(params), request_id)
            + stream(STDIN, body, request_id))


class Answer:
    """What came back: records parsed as far as they are well formed, and
    how the exchange ended (`end`: ended / closed / reset / timeout)."""

    def __init__(self, raw, end, elapsed):
        self.raw = raw
        self.end = end
        self.elapsed = elapsed
        self.records = []
        self.garbled = False
        i = 0
        while i + HEADER_LEN <= len(raw):
            version, rtype, rid, length, pad, _ = struct.unpack(">BBHHBB", raw[i:i + HEADER_LEN])
            if version != VERSION or i + HEADER_LEN + length + pad > len(raw):
                self.garbled = True
                break
            self.records.append((rtype, rid, raw[i + HEADER_LEN:i + HEADER_LEN + length]))
            i += HEADER_LEN + length + pad

    @property
    def stdout(self):
        return b"".join(c for t, _, c in self.records if t == STDOUT)

    @property
    def status(self):
        """The HTTP status of the first answer, or None."""
        for line in self.stdout.split(b"\r\n"):
            if line.lower().startswith(b"status:"):
                try:
                    return int(line.split()[1])
                except (IndexError, ValueError):
                    return None
            if not line:
                break
        return None

    def summary(self):
        parts = []
        if self.status is not None:
            parts.append(f"status {self.status}")
        for rtype, _, content in self.records:
            if rtype == END_REQUEST and len(content) >= 5:
                parts.append("end-request " + PROTOCOL_STATUS.get(content[4], f"protocol-status-{content[4]}"))
            elif rtype == UNKNOWN_TYPE and content:
                parts.append(f"unknown-type {content[0]}")
            elif rtype == GET_VALUES_RESULT:
                parts.append("get-values-result")
        if self.garbled:
            parts.append("garbled reply")
        parts.append(self.end)
        return ", ".join(parts)


def exchange(port, data, timeout=1.0, half_close=False, keep_open=False, chunks=None, pause=0.0):
    """Sends `data` (or `chunks`, `pause` seconds apart), then reads until
    the answer ends, the responder closes, or `timeout` passes. With
    `keep_open` the socket is returned open as well, for a caller that
    checks the service while this connection is still held."""
    start = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    raw = b""
    end = "timeout"
    try:
        try:
            for chunk in chunks if chunks is not None else [data]:
                sock.sendall(chunk)
                if pause:
                    time.sleep(pause)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except ConnectionError:
            end = "reset while sending"
        except socket.timeout:  # the responder stopped reading
            end = "timeout while sending"
        deadline = start + timeout + (pause * len(chunks) if chunks else 0)
        while end == "timeout":
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                got = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionError:
                end = "reset"
                break
            if not got:
                end = "closed"
                break
            raw += got
            # A refusal of one request (cant-mpx-conn) may precede the answer.
            if any(t == END_REQUEST and c[4:5] == b"\0" for t, _, c in Answer(raw, "", 0).records):
                end = "ended"
    except BaseException:
        sock.close()
        raise
    if not keep_open:
        sock.close()
    answer = Answer(raw, end, time.monotonic() - start)
    return (answer, sock) if keep_open else answer
