"""Secrets from files (FLASK_*_FILE) and systemd credentials
($CREDENTIALS_DIRECTORY), through nginx: one source per secret, warnings
for short HMAC keys and files others may read, never a secret in a log."""
import os
import re
import shutil
import tempfile

import jwt
import pytest

from conftest import unique
from harness import ROOT, SECRET, Responder
from helpers import bearer, login, register
from test_deploy import verify_problems

UNIT = os.path.join(ROOT, "deploy", "systemd", "authgate.service")


@pytest.fixture
def secret_dir():
    d = tempfile.mkdtemp(prefix="authgate-secrets-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write(folder, name, text, mode=0o600):
    path = os.path.join(folder, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def key():
    return "file-key-" + os.urandom(20).hex()


def signed_with(stack, secret):
    """Registers and logs in a user; the access token's subject, read with `secret`."""
    name = unique("sec")
    assert register(stack, name).status_code == 201
    token = login(stack, name)["access"]
    assert stack.get("/auth/whoami", headers=bearer(token)).status_code == 200
    return jwt.decode(token, secret, algorithms=["HS256"])["sub"] == name


def warnings(stack):
    return [line for line in stack.responder.log_text().splitlines() if "configuration:" in line]


def unit_credentials():
    """The credential names deploy/systemd/authgate.service offers (commented examples)."""
    return re.findall(r"^#?LoadCredential=([a-z_]+):", open(UNIT).read(), re.M)


def test_the_jwt_key_from_a_file_signs(make_stack, secret_dir):
    secret = key()
    s = make_stack("sqlite", env={"FLASK_JWT_SECRET_KEY_FILE": write(secret_dir, "jwt", secret + "\n")})
    assert signed_with(s, secret)  # one trailing newline dropped; FLASK_SECRET_KEY not used
    with pytest.raises(jwt.InvalidSignatureError):
        signed_with(s, SECRET)
    assert warnings(s) == []
    assert secret not in s.responder.log_text()


def test_the_app_secret_from_a_file_signs(make_stack, secret_dir):
    secret = key()
    s = make_stack("sqlite", env={"FLASK_SECRET_KEY": "", "FLASK_SECRET_KEY_FILE": write(secret_dir, "app", secret)})
    assert signed_with(s, secret)


@pytest.mark.parametrize("variable", ["FLASK_JWT_SECRET_KEY", "FLASK_SECRET_KEY"])
def test_a_variable_and_its_file_both_set_refuse_to_start_naming_both(secret_dir, variable):
    secret = key()
    workdir = tempfile.mkdtemp(prefix="authgate-run-")
    try:
        with pytest.raises(RuntimeError):
            Responder(env={variable: secret, variable + "_FILE": write(secret_dir, "k", secret)}, workdir=workdir,
                      unix_socket=os.path.join(workdir, "authgate.sock"))
        log = open(os.path.join(workdir, "authgate.log")).read()
        assert f"{variable} and {variable}_FILE are both set" in log
        assert secret not in log
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_systemd_credentials_named_in_the_unit_are_read(make_stack, secret_dir):
    assert {"flask_jwt_secret_key", "flask_sqlalchemy_database_uri"} <= set(unit_credentials())
    secret = key()
    credentials = os.path.join(secret_dir, "credentials")
    os.mkdir(credentials, 0o700)
    database = os.path.join(secret_dir, "from-credential.sqlite")
    write(credentials, "flask_jwt_secret_key", secret + "\n", mode=0o400)
    write(credentials, "flask_sqlalchemy_database_uri", f"sqlite:///{database}\n", mode=0o400)
    s = make_stack("sqlite", env={"CREDENTIALS_DIRECTORY": credentials})
    assert signed_with(s, secret)
    assert os.path.exists(database)  # the URI came from the credential too
    assert warnings(s) == []


def test_the_unit_with_its_credentials_enabled_verifies(tmp_path):
    enable = lambda text: text.replace("#LoadCredential=", "LoadCredential=")
    assert len(unit_credentials()) >= 2
    assert verify_problems(tmp_path / "units", enable) == []
    # The same check refuses a malformed credential line: a clean verify means something.
    broken = lambda text: enable(text).replace("LoadCredential=flask_jwt_secret_key:", "LoadCredential=../x:", 1)
    assert verify_problems(tmp_path / "broken", broken) != []


def test_a_secret_file_others_can_read_works_with_a_warning(make_stack, secret_dir):
    secret = key()
    path = write(secret_dir, "open", secret, mode=0o644)
    s = make_stack("sqlite", env={"FLASK_JWT_SECRET_KEY_FILE": path})
    assert signed_with(s, secret)
    [warning] = warnings(s)
    assert "FLASK_JWT_SECRET_KEY_FILE" in warning and path in warning and "0644" in warning
    assert secret not in s.responder.log_text()


def test_a_short_hmac_key_works_with_a_warning(make_stack):
    short = "short-" + os.urandom(4).hex()
    s = make_stack("sqlite", env={"FLASK_SECRET_KEY": short})
    assert signed_with(s, short)
    [warning] = warnings(s)
    assert "FLASK_SECRET_KEY" in warning and "32 bytes" in warning
    assert short not in s.responder.log_text()
