"""TOTP second factors end to end through nginx and the real responder, on
SQLite and PostgreSQL, with pyotp computing the codes as an authenticator
app would (docs/mfa.md): enrolment, the two-step login, replay, recovery
codes used once, /auth/verify?mfa=1, the sign-in page's code step (plain
HTML, no script), the throttle counting wrong codes, the admin CLI, and a
user without a second factor unaffected."""
import json
import re
import time

import jwt
import pyotp
import pytest

from conftest import BACKENDS, unique
from harness import SECRET, Stack
from helpers import bearer, login, register
from recipe_stack import RecipeStack, client_address, from_address
from test_admin_cli import cli

COOKIE_MODE = {"FLASK_JWT_TOKEN_LOCATION": '["headers", "cookies"]'}
THROTTLE = {"AUTHGATE_LOGIN_THROTTLE": "true", "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES": "3",
            "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": "60"}


@pytest.fixture(scope="module", params=BACKENDS)
def s(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    stack = Stack(request.param, postgres=pg, env=COOKIE_MODE)
    yield stack
    stack.stop()


def claims(token):
    """The token's claims, verified as a Flask app sharing the secret would."""
    return jwt.decode(token, SECRET, algorithms=["HS256"])


def enrol(stack, headers=None):
    """A new user with TOTP enabled: (name, pyotp.TOTP, recovery codes)."""
    name = unique("mfa")
    assert register(stack, name).status_code == 201
    r = stack.post("/auth/login", json={"username": name, "password": "123456"}, headers=headers)
    assert r.status_code == 200, r.text
    access = r.json()["tokens"]["access"]
    begun = stack.post("/auth/mfa/totp", headers=bearer(access))
    assert begun.status_code == 200, begun.text
    body = begun.json()
    assert set(body) == {"secret", "otpauth_uri"} and begun.headers["Cache-Control"] == "no-store"
    # What an authenticator app reads from the QR code.
    parsed = pyotp.parse_uri(body["otpauth_uri"])
    assert parsed.secret == body["secret"] and parsed.name == name and parsed.issuer == "AuthGate"
    assert parsed.digits == 6 and parsed.interval == 30
    totp = pyotp.TOTP(body["secret"])
    confirmed = stack.post("/auth/mfa/totp/confirm", json={"code": totp.now()}, headers=bearer(access))
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", c) for c in codes)
    return name, totp, codes


def challenge(stack, name, headers=None):
    r = stack.post("/auth/login", json={"username": name, "password": "123456"}, headers=headers)
    assert r.status_code == 401, r.text
    body = r.json()
    assert body["error"] == "mfa_required" and body["methods"] == ["totp", "recovery_code"]
    assert "tokens" not in body and r.headers["Cache-Control"] == "no-store"
    return body["mfa_token"]


def second_step(stack, mfa_token, code, headers=None):
    return stack.post("/auth/login/mfa", json={"mfa_token": mfa_token, "code": code}, headers=headers)


def next_code(totp):
    """The next step's code: the current one was spent by the enrolment,
    and the server accepts one step of skew."""
    return totp.at(time.time() + 30)


def test_the_password_alone_no_longer_logs_in_and_a_pyotp_code_does(s):
    name, totp, _ = enrol(s)
    r = second_step(s, challenge(s, name), next_code(totp))
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Logged in"
    access, refresh = r.json()["tokens"]["access"], r.json()["tokens"]["refresh"]
    assert claims(access)["amr"] == ["pwd", "otp"] and claims(access)["fresh"] is True
    assert s.get("/auth/whoami", headers=bearer(access)).json()["user_details"]["username"] == name
    # The refreshed access token keeps the second factor.
    renewed = s.post("/auth/refresh", headers=bearer(refresh))
    assert renewed.status_code == 200, renewed.text
    assert claims(renewed.json()["access_token"])["amr"] == ["pwd", "otp"]


def test_a_code_is_accepted_once_and_a_challenge_once(s):
    name, totp, _ = enrol(s)
    code = next_code(totp)
    token = challenge(s, name)
    assert second_step(s, token, code).status_code == 200
    assert second_step(s, token, code).json()["error"] == "invalid_mfa_token"
    replay = second_step(s, challenge(s, name), code)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_mfa_code"
    # A wrong code uses the challenge up.
    token = challenge(s, name)
    assert second_step(s, token, "000000").status_code == 401
    assert second_step(s, token, totp.at(time.time() + 60)).json()["error"] == "invalid_mfa_token"
    # The challenge is no token anywhere else.
    assert s.get("/auth/whoami", headers=bearer(challenge(s, name))).json()["error"] == "invalid_token"


def test_recovery_codes_work_once_each(s):
    name, _, codes = enrol(s)
    first = second_step(s, challenge(s, name), codes[0].upper())
    assert first.status_code == 200, first.text
    assert claims(first.json()["tokens"]["access"])["amr"] == ["pwd", "otp"]
    assert second_step(s, challenge(s, name), codes[0]).json()["error"] == "invalid_mfa_code"
    assert second_step(s, challenge(s, name), codes[1].replace("-", "")).status_code == 200
    status = cli(s, "mfa-status", name)
    assert status.returncode == 0 and f"{name}: totp, 8 recovery codes left" in status.stdout


def test_verify_mfa_gates_on_the_second_factor(s):
    name, totp, codes = enrol(s)
    with_factor = second_step(s, challenge(s, name), codes[2]).json()["tokens"]["access"]
    plain_user = unique("plain")
    register(s, plain_user)
    password_only = login(s, plain_user)["access"]
    assert s.get("/auth/verify?mfa=1", headers=bearer(with_factor)).status_code == 200
    refused = s.get("/auth/verify?mfa=1", headers=bearer(password_only))
    assert refused.status_code == 401 and refused.json()["error"] == "mfa_required"
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    plain = s.get("/auth/verify", headers=bearer(password_only))
    assert plain.status_code == 200 and plain.headers.get("X-Auth-AMR", "") == ""
    assert s.get("/auth/verify", headers=bearer(with_factor)).headers["X-Auth-AMR"] == "pwd,otp"


def test_a_user_without_a_second_factor_is_unaffected(s):
    name = unique("plain")
    register(s, name)
    tokens = login(s, name)
    assert set(claims(tokens["access"])) == {"fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "exp"}
    assert cli(s, "mfa-status", name).stdout.strip() == f"{name}: none, 0 recovery codes left, 0 passkeys"


def test_removing_needs_a_fresh_token_and_a_code_then_the_password_alone_works(s):
    name, totp, codes = enrol(s)
    tokens = second_step(s, challenge(s, name), codes[0]).json()["tokens"]
    stale = s.post("/auth/refresh", headers=bearer(tokens["refresh"])).json()["access_token"]
    assert s.delete("/auth/mfa/totp", json={"code": codes[1]}, headers=bearer(stale)).status_code == 401
    assert s.delete("/auth/mfa/totp", json={"code": "000000"}, headers=bearer(tokens["access"])).status_code == 401
    time.sleep(1.1)  # revocation counts whole seconds: these tokens are from an earlier one
    removed = s.delete("/auth/mfa/totp", json={"code": codes[1]}, headers=bearer(tokens["access"]))
    assert removed.status_code == 200, removed.text
    # The sessions before the removal end; the answer's new pair goes on.
    assert s.get("/auth/whoami", headers=bearer(tokens["access"])).json()["error"] == "token_revoked"
    assert s.post("/auth/refresh", headers=bearer(tokens["refresh"])).json()["error"] == "token_revoked"
    assert claims(removed.json()["tokens"]["access"])["amr"] == ["pwd", "otp"]
    assert s.get("/auth/whoami", headers=bearer(removed.json()["tokens"]["access"])).status_code == 200
    assert "amr" not in claims(login(s, name)["access"])


def test_the_admin_cli_resets_a_second_factor_and_audits_it(s):
    name, _, _ = enrol(s)
    reset = cli(s, "mfa-reset", name)
    assert reset.returncode == 0 and f"removed the second factor of {name}" in reset.stdout
    lines = [json.loads(line) for line in reset.stderr.splitlines() if line.startswith("{")]
    audit = [line for line in lines if line.get("logger") == "authgate.audit"]
    assert [(a["event"], a["username"], a["changed"]) for a in audit] == [("mfa.reset", name, True)], reset.stderr
    assert login(s, name)["access"]
    assert cli(s, "mfa-reset", name).stdout.strip() == f"{name} had no second factor"
    assert cli(s, "mfa-reset", "nobody-" + name).returncode == 1


def test_the_sign_in_page_asks_for_a_code_without_script(s):
    name, totp, codes = enrol(s)
    session = s.http.__class__()
    page = session.get(s.url + "/auth/sign-in?rd=/after", timeout=30)
    token = re.search(r'name="signin_token" value="([0-9a-f]+)"', page.text).group(1)
    step = session.post(s.url + "/auth/sign-in", allow_redirects=False, timeout=30,
                        data={"username": name, "password": "123456", "rd": "/after", "signin_token": token})
    assert step.status_code == 200 and "access_token_cookie" not in step.headers.get("Set-Cookie", "")
    assert "<script" not in step.text and 'autocomplete="one-time-code"' in step.text
    form = re.search(r'<form method="post" action="([^"]+)"', step.text).group(1)
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', step.text).group(1)
    assert form == "/auth/sign-in/mfa"
    wrong = session.post(s.url + form, allow_redirects=False, timeout=30,
                         data={"mfa_token": mfa_token, "code": "000000", "rd": "/after", "signin_token": token})
    assert wrong.status_code == 401 and "not accepted" in wrong.text and "Set-Cookie" not in wrong.headers
    step = session.post(s.url + "/auth/sign-in", allow_redirects=False, timeout=30,
                        data={"username": name, "password": "123456", "rd": "/after", "signin_token": token})
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', step.text).group(1)
    done = session.post(s.url + form, allow_redirects=False, timeout=30,
                        data={"mfa_token": mfa_token, "code": codes[3], "rd": "/after", "signin_token": token})
    assert done.status_code == 303 and done.headers["Location"] == "/after"
    access = session.cookies.get("access_token_cookie")
    assert claims(access)["amr"] == ["pwd", "otp"]
    assert session.get(s.url + "/auth/whoami", timeout=30).json()["user_details"]["username"] == name


@pytest.fixture(scope="module", params=BACKENDS)
def throttled(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    stack = RecipeStack(request.param, postgres=pg, env=THROTTLE)
    yield stack
    stack.stop()


def test_wrong_codes_count_toward_the_login_throttle(throttled):
    address = client_address()
    headers = from_address(address)
    name, totp, codes = enrol(throttled, headers=headers)
    for _ in range(3):
        r = second_step(throttled, challenge(throttled, name, headers), "000000", headers)
        assert r.status_code == 401 and r.json()["error"] == "invalid_mfa_code"
    refused = throttled.post("/auth/login", json={"username": name, "password": "123456"}, headers=headers)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    # Another address is not held back, and a right code clears its count.
    other = from_address(client_address())
    assert second_step(throttled, challenge(throttled, name, other), codes[0], other).status_code == 200
