"""Signing keys through real nginx: a kid on every token, EdDSA, ES256 and
RS256 both ways with PyJWT and Flask-JWT-Extended, the JWKS document, and
rotations done as docs/keys.md says (edit the settings, SIGHUP the
supervisor as `make reload` does)."""
import base64
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from conftest import unique
from flask_app import create_app
from harness import BINARY, SECRET, Nginx, serve_on_tcp, stop_process
from helpers import bearer, claims_for, login, register

ALGORITHMS = ["EdDSA", "ES256", "RS256"]
JWKS = "/.well-known/jwks.json"


def new_private_key(algorithm):
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(key):
    """RFC 7638, computed here from the key's numbers (not from AuthGate's JWK)."""
    public = key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        members = {"crv": "Ed25519", "kty": "OKP", "x": b64(raw)}
    elif isinstance(public, ec.EllipticCurvePublicKey):
        n = public.public_numbers()
        members = {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")), "y": b64(n.y.to_bytes(32, "big"))}
    else:
        n = public.public_numbers()
        members = {"e": b64(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")), "kty": "RSA",
                   "n": b64(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"))}
    return b64(hashlib.sha256(json.dumps(members, sort_keys=True, separators=(",", ":")).encode()).digest())


def write_secret(folder, name, text):
    path = os.path.join(folder, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)
    return path


def header(token):
    return jwt.get_unverified_header(token)


def error_of(response):
    return response.status_code, response.json().get("error")


def whoami(client, token):
    return client.get("/auth/whoami", headers=bearer(token))


@pytest.fixture
def key_dir():
    d = tempfile.mkdtemp(prefix="authgate-keys-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_hs256_tokens_name_their_key_and_the_key_set_is_empty(stack):
    name = unique("kid")
    register(stack, name)
    tokens = login(stack, name)
    kid = header(tokens["access"])["kid"]
    assert header(tokens["refresh"])["kid"] == kid and header(tokens["access"])["alg"] == "HS256"
    assert SECRET not in kid and len(kid) == 16
    r = stack.get(JWKS)
    assert (r.status_code, r.json()) == (200, {"keys": []})
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.headers["Content-Type"].startswith("application/json")
    assert SECRET not in r.text
    # A kid that names no key is a hint only: a Flask app that adds its own
    # kid (additional_headers_loader) signs tokens AuthGate accepts on every
    # token route, while one signed with another key is still refused.
    foreign = jwt.encode(claims_for(name), SECRET, algorithm="HS256", headers={"kid": "flask-key-1"})
    assert whoami(stack, foreign).status_code == 200
    assert stack.get("/api/users/all", headers={"Authorization": f"Bearer {foreign}"}).status_code == 200
    assert stack.get("/auth/verify", headers={"Authorization": f"Bearer {foreign}"}).status_code == 200
    foreign_refresh = jwt.encode(claims_for(name, kind="refresh"), SECRET, algorithm="HS256",
                                 headers={"kid": "flask-key-1"})
    assert stack.post("/auth/refresh", headers={"Authorization": f"Bearer {foreign_refresh}"}).status_code == 200
    other_key = jwt.encode(claims_for(name), "another-secret-of-32-bytes-or-more!", algorithm="HS256",
                           headers={"kid": "flask-key-1"})
    assert error_of(whoami(stack, other_key)) == (401, "invalid_token")
    # The Flask service's tokens carry no kid and still pass.
    assert whoami(stack, jwt.encode(claims_for(name), SECRET, algorithm="HS256")).status_code == 200


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_asymmetric_tokens_both_ways_with_flask_jwt_extended_and_pyjwt(make_stack, key_dir, algorithm):
    key = new_private_key(algorithm)
    s = make_stack("sqlite", env={"FLASK_JWT_ALGORITHM": algorithm,
                                  "FLASK_JWT_PRIVATE_KEY_FILE": write_secret(key_dir, "private.pem", private_pem(key)),
                                  "FLASK_JWT_PUBLIC_KEY_FILE": write_secret(key_dir, "public.pem", public_pem(key))})
    flask = create_app(SECRET, JWT_ALGORITHM=algorithm, JWT_PRIVATE_KEY=private_pem(key),
                       JWT_PUBLIC_KEY=public_pem(key)).test_client()
    name = unique("asym")
    register(s, name)
    tokens = login(s, name)
    assert header(tokens["access"]) == {"alg": algorithm, "kid": thumbprint(key), "typ": "JWT"}

    # AuthGate's tokens pass Flask-JWT-Extended configured with the same keys.
    r = flask.get("/protected", headers=bearer(tokens["access"]))
    assert (r.status_code, r.json) == (200, {"identity": name, "type": "access", "fresh": True})
    assert flask.get("/refresh-protected", headers=bearer(tokens["refresh"])).json == {"identity": name, "type": "refresh"}

    # Flask-JWT-Extended's tokens (no kid) pass AuthGate.
    issued = flask.get(f"/issue/{name}").json
    assert "kid" not in header(issued["access"])
    assert whoami(s, issued["access"]).json()["user_details"]["username"] == name
    refreshed = s.post("/auth/refresh", headers=bearer(issued["refresh"]))
    assert refreshed.status_code == 200 and header(refreshed.json()["access_token"])["kid"] == thumbprint(key)

    # The key set verifies AuthGate's tokens in PyJWT, through nginx.
    r = s.get(JWKS)
    assert r.headers["Cache-Control"] == "public, max-age=300"
    [jwk] = r.json()["keys"]
    assert (jwk["kid"], jwk["alg"], jwk["use"]) == (thumbprint(key), algorithm, "sig")
    assert "d" not in jwk and "p" not in jwk
    client = jwt.PyJWKClient(s.url + JWKS)
    signing_key = client.get_signing_key_from_jwt(tokens["access"])
    assert jwt.decode(tokens["access"], signing_key.key, algorithms=[algorithm])["sub"] == name
    assert jwt.decode(tokens["access"], jwt.PyJWK(jwk).key, algorithms=[algorithm])["sub"] == name

    # Pinned: an HMAC token is refused, whether keyed with the public key's
    # PEM (the algorithm confusion attack) or with FLASK_SECRET_KEY.
    body = claims_for(name)
    for secret in (public_pem(key).encode(), SECRET.encode()):
        for extra in ({}, {"kid": thumbprint(key)}):
            forged = forge_hs256(body, secret, extra)
            assert error_of(whoami(s, forged)) == (401, "invalid_token")
    # Another key pair of the same type: refused.
    stranger = jwt.encode(body, new_private_key(algorithm), algorithm=algorithm)
    assert error_of(whoami(s, stranger)) == (401, "invalid_token")


def forge_hs256(claims, secret, extra_header):
    """HS256 with any bytes as the key (PyJWT refuses a PEM as an HMAC key)."""
    import hmac
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", **extra_header}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{b64(signature)}"


class Supervised:
    """`authgate serve --supervise` in a working directory whose `.env` the
    test rewrites, behind nginx; `reload()` is `make reload` (SIGHUP) and
    returns once the new responder took over and the old one is gone."""

    def __init__(self, workdir, dotenv):
        self.dir = workdir
        self.log = os.path.join(workdir, "authgate.log")
        self.write_env(dotenv)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self.proc, port = serve_on_tcp([BINARY, "serve", "--supervise"], env, self.log, cwd=workdir)
        self.takeovers = 0
        try:
            self.wait_for_log("responder accepting", 1)
            self.nginx = Nginx([f"127.0.0.1:{port}"])
        except BaseException:
            stop_process(self.proc)
            raise
        self.url = self.nginx.url
        self.http = requests.Session()

    def write_env(self, text):
        write_secret(self.dir, ".env", text)

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for_log(self, text, count, timeout=30):
        deadline = time.monotonic() + timeout
        while self.log_text().count(text) < count:
            assert self.proc.poll() is None, self.log_text()[-3000:]
            assert time.monotonic() < deadline, f"no {count}x {text!r}:\n{self.log_text()[-3000:]}"
            time.sleep(0.05)

    def reload(self, dotenv):
        self.write_env(dotenv)
        self.proc.send_signal(signal.SIGHUP)
        self.takeovers += 1
        self.wait_for_log("old one draining", self.takeovers)
        deadline = time.monotonic() + 30
        while len(children(self.proc.pid)) != 1:
            assert time.monotonic() < deadline, "the old responder never finished draining"
            time.sleep(0.05)

    def get(self, path, **kw):
        return self.http.get(self.url + path, timeout=30, **kw)

    def post(self, path, **kw):
        return self.http.post(self.url + path, timeout=30, **kw)

    def stop(self):
        self.nginx.stop()
        stop_process(self.proc)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except FileNotFoundError:
        return []


@pytest.fixture
def supervised(key_dir):
    made = []

    def make(dotenv):
        s = Supervised(key_dir, dotenv)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def test_hs256_rotation_keeps_old_and_flask_tokens_until_the_previous_key_is_dropped(supervised, key_dir):
    old_key, new_key = "old-" + os.urandom(16).hex(), "new-" + os.urandom(16).hex()
    write_secret(key_dir, "jwt.key", old_key + "\n")
    s = supervised("FLASK_JWT_SECRET_KEY_FILE=jwt.key\n")
    name = unique("rot")
    assert register(s, name).status_code == 201
    before = login(s, name)
    old_kid = header(before["access"])["kid"]
    flask_old = create_app(old_key).test_client().get(f"/issue/{name}").json  # no kid
    assert whoami(s, flask_old["access"]).status_code == 200

    # Rotate (docs/keys.md): the current key becomes a previous one, a new key signs.
    write_secret(key_dir, "previous.keys", old_key + "\n")
    write_secret(key_dir, "jwt.key", new_key + "\n")
    s.reload("FLASK_JWT_SECRET_KEY_FILE=jwt.key\nAUTHGATE_JWT_PREVIOUS_SECRET_KEYS_FILE=previous.keys\n")
    assert whoami(s, before["access"]).status_code == 200
    assert whoami(s, flask_old["access"]).status_code == 200
    refreshed = s.post("/auth/refresh", headers=bearer(before["refresh"]))
    assert refreshed.status_code == 200
    new_kid = header(refreshed.json()["access_token"])["kid"]
    after = login(s, name)
    assert new_kid != old_kid and header(after["access"])["kid"] == new_kid
    # The new tokens are the new key's: Flask configured with it accepts them.
    flask_new = create_app(new_key).test_client()
    assert flask_new.get("/protected", headers=bearer(after["access"])).status_code == 200
    assert whoami(s, flask_new.get(f"/issue/{name}").json["access"]).status_code == 200

    # After the refresh lifetime the previous key is dropped: its tokens die.
    s.reload("FLASK_JWT_SECRET_KEY_FILE=jwt.key\n")
    for token in (before["access"], before["refresh"], flask_old["access"]):
        r = s.post("/auth/refresh", headers=bearer(token)) if token == before["refresh"] else whoami(s, token)
        assert error_of(r) == (401, "invalid_token")
    assert whoami(s, after["access"]).status_code == 200
    assert old_key not in s.log_text() and new_key not in s.log_text()


def test_moving_from_hs256_to_eddsa_then_to_es256(supervised, key_dir):
    """HS256 (the Flask era) to a key pair, then one key pair to the next:
    each old token verifies while its key is listed as previous, and the
    key set publishes exactly the public keys configured."""
    hmac_key = "flask-era-" + os.urandom(16).hex()
    ed, es = new_private_key("EdDSA"), new_private_key("ES256")
    write_secret(key_dir, "hmac.key", hmac_key)
    write_secret(key_dir, "ed.pem", private_pem(ed))
    write_secret(key_dir, "es.pem", private_pem(es))
    write_secret(key_dir, "previous-public.pem", public_pem(ed))
    s = supervised("FLASK_JWT_SECRET_KEY_FILE=hmac.key\n")
    name = unique("mig")
    assert register(s, name).status_code == 201
    hs = login(s, name)
    assert s.get(JWKS).json() == {"keys": []}

    s.reload("FLASK_JWT_ALGORITHM=EdDSA\nFLASK_JWT_PRIVATE_KEY_FILE=ed.pem\n"
             "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS_FILE=hmac.key\n")
    eddsa = login(s, name)
    assert header(eddsa["access"]) == {"alg": "EdDSA", "kid": thumbprint(ed), "typ": "JWT"}
    assert whoami(s, hs["access"]).status_code == 200
    assert [k["kid"] for k in s.get(JWKS).json()["keys"]] == [thumbprint(ed)]

    s.reload("FLASK_JWT_ALGORITHM=ES256\nFLASK_JWT_PRIVATE_KEY_FILE=es.pem\n"
             "AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS_FILE=previous-public.pem\n")
    es256 = login(s, name)
    assert header(es256["access"])["kid"] == thumbprint(es)
    assert whoami(s, eddsa["access"]).status_code == 200
    assert error_of(whoami(s, hs["access"])) == (401, "invalid_token")  # HMAC key dropped
    keys = s.get(JWKS).json()["keys"]
    assert [(k["kid"], k["alg"]) for k in keys] == [(thumbprint(es), "ES256"), (thumbprint(ed), "EdDSA")]
    # An external verifier with the key set accepts both generations.
    client = jwt.PyJWKClient(s.url + JWKS)
    for token, alg in ((es256["access"], "ES256"), (eddsa["access"], "EdDSA")):
        assert jwt.decode(token, client.get_signing_key_from_jwt(token).key, algorithms=[alg])["sub"] == name

    s.reload("FLASK_JWT_ALGORITHM=ES256\nFLASK_JWT_PRIVATE_KEY_FILE=es.pem\n")
    assert error_of(whoami(s, eddsa["access"])) == (401, "invalid_token")
    assert [k["kid"] for k in s.get(JWKS).json()["keys"]] == [thumbprint(es)]


def test_a_reload_with_a_key_that_does_not_load_keeps_the_old_responder(supervised, key_dir):
    write_secret(key_dir, "jwt.key", "kept-" + os.urandom(16).hex())
    s = supervised("FLASK_JWT_SECRET_KEY_FILE=jwt.key\n")
    name = unique("bad")
    assert register(s, name).status_code == 201
    token = login(s, name)["access"]
    write_secret(key_dir, "broken.pem", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    s.write_env("FLASK_JWT_ALGORITHM=EdDSA\nFLASK_JWT_PRIVATE_KEY_FILE=broken.pem\n")
    s.proc.send_signal(signal.SIGHUP)
    s.wait_for_log("new responder did not start", 1)
    assert "FLASK_JWT_PRIVATE_KEY_FILE" in s.log_text()
    # The old responder, with the old key, still serves.
    assert whoami(s, token).status_code == 200
    assert header(login(s, name)["access"])["alg"] == "HS256"
