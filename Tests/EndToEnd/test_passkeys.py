"""Passkeys (WebAuthn) as a second factor, end to end through nginx and
the real responder on SQLite and PostgreSQL, with a software
authenticator written from the specification (soft_authenticator.py):
registration, a login with a passkey (amr "hwk"), ES256, EdDSA and RS256,
replayed or cloned answers, another origin, another challenge, a broken
signature, removing one passkey, and the admin reset. Chromium's own virtual authenticator
drives the same routes in test_browser_passkeys.py."""
import time

import jwt
import pytest

from conftest import BACKENDS, unique
from harness import SECRET
from helpers import bearer, forge, register
from soft_authenticator import SoftAuthenticator, b64url, passkey_stack
from test_admin_cli import cli


@pytest.fixture(scope="module", params=BACKENDS)
def s(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    stack = passkey_stack(request.param, postgres=pg)
    yield stack
    stack.stop()


def fresh_access(stack, name):
    r = stack.post("/auth/login", json={"username": name, "password": "123456"})
    assert r.status_code == 200, r.text
    return r.json()["tokens"]["access"]


def with_passkey(stack, alg=-7):
    """A new user with a passkey: (name, authenticator)."""
    name = unique("pk")
    assert register(stack, name).status_code == 201
    access = fresh_access(stack, name)
    key = SoftAuthenticator(stack.origin, alg)
    options = stack.post("/auth/mfa/webauthn/register", headers=bearer(access))
    assert options.status_code == 200, options.text
    public_key = options.json()["publicKey"]
    assert public_key["rp"] == {"id": "localhost", "name": "AuthGate"} and public_key["attestation"] == "none"
    assert [p["alg"] for p in public_key["pubKeyCredParams"]] == [-7, -8, -257]
    done = stack.post("/auth/mfa/webauthn/register/finish", headers=bearer(access),
                      json={"state": options.json()["state"], "credential": key.create(options.json())})
    assert done.status_code == 200, done.text
    assert done.json()["id"] == b64url(key.credential_id)
    return name, key


def challenge(stack, name):
    r = stack.post("/auth/login", json={"username": name, "password": "123456"})
    assert r.status_code == 401 and r.json()["error"] == "mfa_required", r.text
    assert "webauthn" in r.json()["methods"]
    return r.json()["mfa_token"]


def passkey_options(stack, mfa_token):
    r = stack.post("/auth/login/mfa/webauthn", json={"mfa_token": mfa_token})
    assert r.status_code == 200, r.text
    return r.json()


def second_step(stack, mfa_token, assertion):
    return stack.post("/auth/login/mfa", json={"mfa_token": mfa_token, "webauthn": assertion})


@pytest.mark.parametrize("alg", [-7, -8, -257], ids=["ES256", "EdDSA", "RS256"])
def test_a_passkey_is_a_second_factor(s, alg):
    name, key = with_passkey(s, alg)
    token = challenge(s, name)
    options = passkey_options(s, token)
    assert options["publicKey"]["rpId"] == "localhost"
    assert options["publicKey"]["allowCredentials"] == [{"type": "public-key", "id": b64url(key.credential_id)}]
    r = second_step(s, token, key.get(options))
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["tokens"]["access"], SECRET, algorithms=["HS256"])
    assert claims["amr"] == ["pwd", "hwk"]
    assert s.get("/auth/verify?mfa=1", headers=bearer(r.json()["tokens"]["access"])).status_code == 200


def test_an_answer_for_another_origin_challenge_or_key_is_refused(s):
    name, key = with_passkey(s)
    token = challenge(s, name)
    r = second_step(s, token, key.get(passkey_options(s, token), origin="http://localhost:1"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_passkey"
    # The challenge of one login does not answer another's.
    old = challenge(s, name)
    stale = key.get(passkey_options(s, old))
    assert second_step(s, challenge(s, name), stale).json()["error"] == "invalid_passkey"
    # Another key under the same credential id.
    impostor = SoftAuthenticator(s.origin)
    impostor.credential_id = key.credential_id
    token = challenge(s, name)
    assert second_step(s, token, impostor.get(passkey_options(s, token))).json()["error"] == "invalid_passkey"
    # A flipped signature byte.
    token = challenge(s, name)
    answer = key.get(passkey_options(s, token))
    signature = bytearray(__import__("base64").urlsafe_b64decode(answer["response"]["signature"] + "=="))
    signature[-1] ^= 1
    answer["response"]["signature"] = b64url(bytes(signature))
    assert second_step(s, token, answer).json()["error"] == "invalid_passkey"
    # The real key still works afterwards.
    token = challenge(s, name)
    assert second_step(s, token, key.get(passkey_options(s, token))).status_code == 200


def test_a_replayed_or_cloned_answer_is_refused(s):
    name, key = with_passkey(s)
    token = challenge(s, name)
    answer = key.get(passkey_options(s, token))
    assert second_step(s, token, answer).status_code == 200
    assert second_step(s, token, answer).json()["error"] == "invalid_mfa_token"
    # A counter that does not move forward: a clone of the authenticator.
    token = challenge(s, name)
    cloned = key.get(passkey_options(s, token), counter=1)
    assert second_step(s, token, cloned).json()["error"] == "invalid_passkey"


def test_registration_refuses_a_used_state_and_a_foreign_origin(s):
    name = unique("pk")
    register(s, name)
    access = fresh_access(s, name)
    key = SoftAuthenticator(s.origin)
    options = s.post("/auth/mfa/webauthn/register", headers=bearer(access)).json()
    wrong = s.post("/auth/mfa/webauthn/register/finish", headers=bearer(access),
                   json={"state": options["state"], "credential": key.create(options, origin="https://evil.example")})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_passkey"
    again = s.post("/auth/mfa/webauthn/register/finish", headers=bearer(access),
                   json={"state": options["state"], "credential": key.create(options)})
    assert again.json()["error"] == "invalid_mfa_token"
    # A refreshed (not fresh) token cannot register.
    refresh = s.post("/auth/login", json={"username": name, "password": "123456"}).json()["tokens"]["refresh"]
    stale = s.post("/auth/refresh", headers=bearer(refresh)).json()["access_token"]
    assert s.post("/auth/mfa/webauthn/register", headers=bearer(stale)).json()["error"] == "fresh_token_required"


def test_an_rsa_key_under_2048_bits_is_refused(s):
    name = unique("pk")
    register(s, name)
    access = fresh_access(s, name)
    key = SoftAuthenticator(s.origin, -257, rsa_bits=1024)
    options = s.post("/auth/mfa/webauthn/register", headers=bearer(access)).json()
    r = s.post("/auth/mfa/webauthn/register/finish", headers=bearer(access),
               json={"state": options["state"], "credential": key.create(options)})
    assert r.status_code == 401 and r.json()["error"] == "invalid_passkey"
    assert s.post("/auth/login", json={"username": name, "password": "123456"}).status_code == 200


def test_mfa_reset_removes_passkeys(s):
    name, _ = with_passkey(s)
    assert cli(s, "mfa-reset", name).returncode == 0
    assert s.post("/auth/login", json={"username": name, "password": "123456"}).status_code == 200


def test_a_passkey_alone_signs_in_when_the_authenticator_verified_the_person(s):
    name, key = with_passkey(s)
    user_id = s.get("/auth/whoami", headers=bearer(second_step_tokens(s, name, key)["access"])).json()[
        "user_details"]["id"]
    options = s.post("/auth/login/passkey")
    assert options.status_code == 200, options.text
    assert options.json()["publicKey"]["allowCredentials"] == []
    assert options.json()["publicKey"]["userVerification"] == "required"
    state = options.json()["state"]
    answer = key.get(options.json(), verified=True, user_handle=user_id.encode())
    r = s.post("/auth/login/passkey/finish", json={"state": state, "webauthn": answer})
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["tokens"]["access"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == name and claims["amr"] == ["hwk", "user"]
    # The same answer again: its counter did not move (a replay).
    assert s.post("/auth/login/passkey/finish", json={"state": state, "webauthn": answer}).json()["error"] == \
        "invalid_passkey"
    # A good new answer to a used state: the state is single-use.
    again = key.get(options.json(), verified=True, user_handle=user_id.encode())
    assert s.post("/auth/login/passkey/finish", json={"state": state, "webauthn": again}).json()["error"] == \
        "invalid_mfa_token"
    # Junk with a free state writes nothing and uses the state up not at all.
    junk = s.post("/auth/login/passkey").json()
    assert s.post("/auth/login/passkey/finish", json={"state": junk["state"], "webauthn": {
        "id": answer["id"], "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}}
    ).json()["error"] == "invalid_passkey"
    good = key.get(junk, verified=True, user_handle=user_id.encode())
    assert s.post("/auth/login/passkey/finish", json={"state": junk["state"], "webauthn": good}).status_code == 200
    # An unverified person, or another user's handle, does not sign in.
    options = s.post("/auth/login/passkey").json()
    unverified = s.post("/auth/login/passkey/finish", json={"state": options["state"], "webauthn": key.get(options)})
    assert unverified.json()["error"] == "invalid_passkey"
    options = s.post("/auth/login/passkey").json()
    other = key.get(options, verified=True, user_handle=b"someone-else")
    assert s.post("/auth/login/passkey/finish", json={"state": options["state"], "webauthn": other}).json()[
        "error"] == "invalid_passkey"


def second_step_tokens(stack, name, key):
    token = challenge(stack, name)
    r = second_step(stack, token, key.get(passkey_options(stack, token)))
    assert r.status_code == 200, r.text
    return r.json()["tokens"]


def test_the_user_lists_their_passkeys_and_removes_one(s):
    name, key = with_passkey(s, -257)
    access = second_step_tokens(s, name, key)["access"]
    status = s.get("/auth/mfa", headers=bearer(access))
    assert status.status_code == 200, status.text
    assert status.json() == {"methods": ["webauthn"], "totp": False, "recovery_codes_left": 0,
                             "passkeys": [{"id": b64url(key.credential_id), "algorithm": "RS256"}]}
    # The password alone (a fresh token without a second factor) cannot remove it.
    password_only = forge(name, fresh=True)
    r = s.delete("/auth/mfa/webauthn", headers=bearer(password_only), json={"id": b64url(key.credential_id)})
    assert r.status_code == 401 and r.json()["error"] == "mfa_required"
    r = s.delete("/auth/mfa/webauthn", headers=bearer(access), json={"id": b64url(b"not-mine")})
    assert r.status_code == 404 and r.json()["error"] == "passkey_not_found"
    time.sleep(1.1)  # revocation counts whole seconds: `access` is from an earlier one
    r = s.delete("/auth/mfa/webauthn", headers=bearer(access), json={"id": b64url(key.credential_id)})
    assert r.status_code == 200 and r.json()["message"] == "Passkey removed", r.text
    # Sessions the key opened (a thief's too) end with it; the answer's pair goes on.
    assert s.get("/auth/whoami", headers=bearer(access)).json()["error"] == "token_revoked"
    renewed = r.json()["tokens"]["access"]
    assert jwt.decode(renewed, SECRET, algorithms=["HS256"])["amr"] == ["pwd", "hwk"]
    # Its last factor gone, the user logs in with the password again.
    assert s.post("/auth/login", json={"username": name, "password": "123456"}).status_code == 200
    assert s.get("/auth/mfa", headers=bearer(renewed)).json()["passkeys"] == []
