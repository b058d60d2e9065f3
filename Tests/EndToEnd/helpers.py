"""Shared steps of the API tests: register, log in, forge tokens."""
import time
import uuid

import jwt

from harness import SECRET

JSON = {"Content-Type": "application/json"}


def register(stack, username, password="123456", email=None, prefix="/auth"):
    email = email or f"{username}@example.com"
    return stack.post(prefix + "/register", json={"username": username, "email": email, "password": password})


def login(stack, username, password="123456", prefix="/auth"):
    r = stack.post(prefix + "/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["tokens"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def forge(subject="nobody", kind="access", key=SECRET, algorithm="HS256", **overrides):
    """A token signed by PyJWT, as the Flask side would sign it."""
    return jwt.encode(claims_for(subject, kind, **overrides), key, algorithm=algorithm)


def decode(token):
    return jwt.decode(token, SECRET, algorithms=["HS256"])


def sign_raw(claims, key=SECRET, header=None):
    """HS256 over any claims, bypassing PyJWT's own checks on what it encodes."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def claims_for(subject, kind="access", **overrides):
    now = int(time.time())
    claims = {"fresh": False, "iat": now, "jti": str(uuid.uuid4()), "type": kind, "sub": subject,
              "nbf": now, "exp": now + 900}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def eventually(check, seconds=10.0):
    """Polls `check` until it is true or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
