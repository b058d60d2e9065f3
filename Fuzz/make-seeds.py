#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz corpus (Fuzz/corpus/<target>/seed-*)
with the reference implementations AuthGate must stay compatible with:
tokens from PyJWT (Flask-JWT-Extended's claims), hashes from Werkzeug.
The keys and the time are Fuzz/AuthGateFuzz/FuzzFixtures.swift's, so the
tokens verify there. Run from the project root with the test venv:
    scripts/python-env.sh && .venv/bin/python Fuzz/make-seeds.py
then `make fuzz-merge` folds the seeds into the minimized corpus."""
import base64
import hashlib
import hmac
import json
import os
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization
from werkzeug.security import generate_password_hash

NOW = 1_700_000_100
HMAC_SECRET = "fuzz-hmac-secret-0123456789abcdef0123456789"
PREVIOUS_HMAC_SECRET = "fuzz-previous-hmac-secret-0123456789abcdef"
ED25519_PRIVATE = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIBxeAAdO9fEQmPHecL/7KTuLdWGlc/N3QcVMp9d9dUwu
-----END PRIVATE KEY-----
"""
ALICE = "00000000-0000-4000-8000-000000000001"
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hmac_kid(secret: str) -> str:
    return b64url(hmac.new(secret.encode(), b"AuthGate JWT key id v1", hashlib.sha256).digest()[:12])


def ed25519_kid(private_key) -> str:
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(members.encode()).digest())


def claims(kind="access", sub="alice", jti="f1e2d3c4-0000-4000-8000-00000000000a", **extra):
    body = {"fresh": False, "iat": NOW, "jti": jti, "type": kind, "sub": sub, "nbf": NOW, "exp": NOW + 900}
    if kind == "refresh":
        body["exp"] = NOW + 2_592_000
        body["fam"] = "0f0e0d0c-0000-4000-8000-00000000000b"
    body.update(extra)
    return body


def tokens():
    ed_key = serialization.load_pem_private_key(ED25519_PRIVATE, password=None)
    kid = hmac_kid(HMAC_SECRET)
    out = {
        "hs256-access-kid": jwt.encode(claims(), HMAC_SECRET, "HS256", headers={"kid": kid}),
        "hs256-access-flask": jwt.encode(claims(fresh=True), HMAC_SECRET, "HS256"),
        "hs256-refresh": jwt.encode(claims("refresh", jti="r1"), HMAC_SECRET, "HS256", headers={"kid": kid}),
        "hs256-previous-key": jwt.encode(claims(), PREVIOUS_HMAC_SECRET, "HS256",
                                         headers={"kid": hmac_kid(PREVIOUS_HMAC_SECRET)}),
        "eddsa-kid": jwt.encode(claims(), ed_key, "EdDSA", headers={"kid": ed25519_kid(ed_key)}),
        "eddsa-no-kid": jwt.encode(claims(fresh=NOW + 60), ed_key, "EdDSA"),
        "expired": jwt.encode(claims(exp=NOW - 1), HMAC_SECRET, "HS256"),
        "hs512-unconfigured": jwt.encode(claims(), HMAC_SECRET, "HS512"),
        "crit": jwt.encode(claims(), HMAC_SECRET, "HS256", headers={"crit": ["exp"]}),
    }
    header = b64url(b'{"alg":"none","typ":"JWT"}')
    out["alg-none"] = header + "." + b64url(json.dumps(claims()).encode()) + "."
    good = out["hs256-access-kid"]
    out["bad-signature"] = good[:-2] + ("AA" if not good.endswith("AA") else "BA")
    return out


def fcgi(params, body=b""):
    """FCGI_PARAMS content (FastCGI's name-value encoding), `00 00`, the body."""
    def length(n):
        return bytes([n]) if n < 0x80 else (n | 0x80000000).to_bytes(4, "big")
    out = b""
    for name, value in params:
        name, value = name.encode(), value if isinstance(value, bytes) else value.encode()
        out += length(len(name)) + length(len(value)) + name + value
    return out + b"\x00\x00" + body


def nginx_request(method, uri, body=b"", token=None, content_type="application/json", request_id="a1b2c3"):
    """The params nginx.conf sends, then the request headers as HTTP_*."""
    path, _, query = uri.partition("?")
    params = [("REQUEST_METHOD", method), ("QUERY_STRING", query),
              ("CONTENT_TYPE", content_type if body else ""), ("CONTENT_LENGTH", str(len(body)) if body else ""),
              ("DOCUMENT_URI", path), ("REQUEST_URI", uri), ("SERVER_PROTOCOL", "HTTP/1.1"),
              ("REMOTE_ADDR", "127.0.0.1"), ("REQUEST_ID", request_id), ("HTTP_HOST", "127.0.0.1:8080")]
    if token:
        params.append(("HTTP_AUTHORIZATION", "Bearer " + token))
    return fcgi(params, body)


def main():
    toks = tokens()
    register = b'{"username":"bob","email":"bob@example.com","password":"123456"}'
    login = b'{"username":"alice","password":"123456"}'
    seeds = {
        "json": {
            "register": register,
            "login": login,
            "escapes": '{"username":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/","x":[true,false,null]}'.encode(),
            "lone-surrogate": b'{"username":"\\ud800","password":"p"}',
            "numbers": b'[0,-0,1.5e+300,-2E-5,123456789012345678901234567890,0.1]',
            "nested": b'{"a":{"b":[[[{"c":[]}]]]},"a":1}',
            "deep": b"[" * 64 + b"]" * 64,
            "utf8": '{"username":"ünïcödé 名前","password":"🔑"}'.encode(),
            "whitespace": b' \r\n\t{ "username" : "alice" , "password" : 123 } \n',
        },
        "jwt": {name: tok.encode() for name, tok in toks.items()},
        "query": {
            "page": b"page=2&per_page=10",
            "escapes": b"page=%32&per_page=1%30&name=a+b%20c",
            "malformed": b"%zz=%4&&=v&k=&%%41",
            "repeated": b"page=1&page=2&per_page=100000000000000000000",
            "utf8": b"q=%F0%9F%98%80&r=%FF%FE&s=\xc3\xa9",
        },
        "dotenv": {
            "flask": b"# AuthGate / Flask settings\nFLASK_SECRET_KEY=change-me\nFLASK_SQLALCHEMY_DATABASE_URI=sqlite:///db.sqlite\n"
                     b"FLASK_JWT_ACCESS_TOKEN_EXPIRES=900\nFLASK_PASSWORD_HASH_METHOD=scrypt:32768:8:1\n",
            "postgres": b"export FLASK_SQLALCHEMY_DATABASE_URI='postgresql://authgate:s3cret@127.0.0.1:5432/authgate?sslmode=disable'\n"
                        b"AUTHGATE_THREADS=16\nAUTHGATE_LISTEN=unix:/run/authgate/authgate.sock\nAUTHGATE_REHASH_ON_LOGIN=true\n",
            "quoting": b"A='x # not a comment ${HOME} \\n'\nB=\"line1\\nline2 \\\"q\\\"\"\nC=\"multi\nline\"\nD=value # trailing\nE=val#ue\n",
            "expansion": b"BASE=db\nURI=sqlite:///${BASE}.sqlite\nX=${MISSING:-fallback}\nH=${HOME}\nJUSTAKEY\n",
            "crlf": b"A=1\r\nB=2\r\nexport\tC = three  \r\n",
            "keys": b"FLASK_JWT_ALGORITHM=EdDSA\nFLASK_JWT_PRIVATE_KEY=\"" + ED25519_PRIVATE + b"\"\n",
            "policies": b"AUTHGATE_REGISTRATION=closed\nAUTHGATE_REGISTRATION_EMAIL_DOMAINS=example.com,example.org\n"
                        b"AUTHGATE_KDF_THREADS=2\nFLASK_JWT_DECODE_LEEWAY=5\n",
        },
        "werkzeug": {
            "pbkdf2-sha256": generate_password_hash("123456", "pbkdf2:sha256:50").encode(),
            "pbkdf2-sha512": generate_password_hash("123456", "pbkdf2:sha512:20").encode(),
            "scrypt-small": generate_password_hash("123456", "scrypt:128:1:1").encode(),
            "scrypt-p2": generate_password_hash("123456", "scrypt:16:2:2").encode(),
            "scrypt-default": generate_password_hash("123456").encode(),
            "pbkdf2-default": generate_password_hash("123456", "pbkdf2").encode(),
            "methods": b"scrypt:32768:8:1",
            "method-pbkdf2": b"pbkdf2:sha256:600000",
        },
        "fcgi": {
            "register": nginx_request("POST", "/auth/register", register),
            "login": nginx_request("POST", "/api/auth/login", login),
            "login-wrong": nginx_request("POST", "/auth/login", b'{"username":"alice","password":"wrong"}'),
            "whoami": nginx_request("GET", "/auth/whoami", token=toks["hs256-access-kid"]),
            "whoami-eddsa": nginx_request("GET", "/auth/whoami", token=toks["eddsa-kid"]),
            "refresh": nginx_request("POST", "/auth/refresh", token=toks["hs256-refresh"]),
            "logout": nginx_request("GET", "/api/auth/logout", token=toks["hs256-access-flask"]),
            "users": nginx_request("GET", "/api/users/all?page=1&per_page=2", token=toks["hs256-access-kid"]),
            "healthz": nginx_request("HEAD", "/healthz"),
            "jwks": nginx_request("GET", "/.well-known/jwks.json"),
            "options": nginx_request("OPTIONS", "/auth/login"),
            "not-allowed": nginx_request("DELETE", "/auth/login"),
            "too-large": fcgi([("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/auth/login"), ("CONTENT_LENGTH", "65537")]),
            "media-type": nginx_request("POST", "/auth/login", login, content_type="text/plain"),
            "request-uri-only": fcgi([("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/livez?x=1")]),
        },
    }
    for target, files in seeds.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / f"seed-{name}").write_bytes(data)
    print("seeds written under", os.path.relpath(CORPUS))


if __name__ == "__main__":
    main()
