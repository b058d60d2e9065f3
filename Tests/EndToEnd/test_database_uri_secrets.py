"""The database password in FLASK_SQLALCHEMY_DATABASE_URI appears in no
output of any command: a URI libpq could not parse is refused at start-up
in AuthGate's own words (naming the variable, never quoting the value; libpq
would quote the bad part, sometimes the whole URI), and what libpq says
about a database it cannot reach is redacted. Run for real: the built
binary, each command that opens the database."""
import os
import socket
import subprocess

import pytest

from harness import BINARY, free_port, refused_address

SECRET = "k" * 32

# Each holds a password (the second item) that libpq would have quoted back.
MALFORMED = [
    ("postgresql://u:S3cr%t!pw-81@127.0.0.1:1/db", "S3cr%t!pw-81"),
    ("postgresql://u@127.0.0.1:1/db?password=Hunter-82%2", "Hunter-82"),
    ("postgresql://u:TopSecret-83@[::1/db", "TopSecret-83"),
    ("postgresql://u:TopSecret-84@[::1]x/db", "TopSecret-84"),
    ("postgresql://u:p%00Secret-85@127.0.0.1:1/db", "Secret-85"),
    ("postgresql://u@127.0.0.1:1/db?sslmode=disable&Secret-86", "Secret-86"),
    ("postgresql://u:pa/Secret-87@127.0.0.1:1/db", "Secret-87"),
    ("postgres://u:p@Secret-88@127.0.0.1:1/db", "Secret-88"),
]

# Every command that reads the configuration and opens the database.
COMMANDS = [
    ["serve"],
    ["migrate", "status"],
    ["migrate", "apply"],
    ["migrate", "apply", "--dry-run"],
    ["create-user", "--username", "someone", "--email", "someone@example.com"],
    ["healthcheck"],
    ["check-config"],
]


def run(args, uri, cwd, listen="unix:/nonexistent/authgate.sock"):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_SECRET_KEY": SECRET,
           "FLASK_SQLALCHEMY_DATABASE_URI": uri, "AUTHGATE_LISTEN": listen, "FLASK_DEBUG": "1"}
    return subprocess.run([BINARY, *args], cwd=cwd, env=env, input="user-password-1\n", capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("uri,password", MALFORMED, ids=[f"uri{i}" for i in range(len(MALFORMED))])
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_malformed_uri_is_refused_without_showing_it(args, uri, password, tmp_path):
    out = run(args, uri, str(tmp_path))
    text = out.stdout + out.stderr
    assert out.returncode == 2, text
    assert "configuration error: FLASK_SQLALCHEMY_DATABASE_URI:" in out.stderr, text
    assert password not in text and uri not in text, text
    assert "postgres" not in out.stderr.split("FLASK_SQLALCHEMY_DATABASE_URI:", 1)[1], text


def test_a_well_formed_uri_to_an_unreachable_server_is_never_shown(tmp_path):
    """What libpq says about a server it cannot reach (refused) passes
    through the redaction too; the password of either place is absent."""
    held, address = refused_address()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # so that healthcheck gets as far as the database
    listen = "127.0.0.1:%d" % listener.getsockname()[1]
    uri = f"postgresql://admin:userinfo-pw-89@{address}/db?password=query-pw-90&sslmode=disable"
    try:
        for args in COMMANDS:
            # serve listens itself (and stops: the database is out of reach).
            where = "127.0.0.1:%d" % free_port() if args == ["serve"] else listen
            out = run(args, uri, str(tmp_path), listen=where)
            text = out.stdout + out.stderr
            assert out.returncode == 1, (args, text)
            assert "userinfo-pw-89" not in text and "query-pw-90" not in text, (args, text)
            assert "Connection refused" in text or "unreachable" in text, (args, text)
    finally:
        listener.close()
        held.close()
