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


def forge(sub="nobody", kind="access", key=SECRET, algorithm="HS256", **overrides):
    now = int(time.time())
    claims = {"fresh": False, "iat": now, "jti": str(uuid.uuid4()), "type": kind, "sub": sub,
              "nbf": now, "exp": now + 900}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=algorithm)


def decode(token):
    return jwt.decode(token, SECRET, algorithms=["HS256"])
