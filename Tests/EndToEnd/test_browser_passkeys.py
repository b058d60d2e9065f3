"""Passkeys with a real browser: headless Chromium's WebAuthn virtual
authenticator (through Selenium and chromedriver) registers a passkey with
AuthGate's creation options and signs a login's challenge with it, through
nginx, on SQLite and PostgreSQL. The page is AuthGate's own origin
(http://localhost:PORT, the one insecure origin browsers allow WebAuthn
on); the test hands the options to `navigator.credentials` and posts the
browser's answers, so what AuthGate checks is exactly what Chromium made."""
import time

import jwt
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions

from browser import Browser
from conftest import BACKENDS, unique
from harness import SECRET
from soft_authenticator import passkey_stack
from helpers import bearer, register

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# base64url both ways, and the two ceremonies, as a page's script would run them.
HELPERS = """
const bytes = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
const text = buf => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const withIds = list => (list || []).map(c => ({...c, id: bytes(c.id)}));
"""
CREATE = HELPERS + """
const [options, done] = arguments;
const pk = options.publicKey;
pk.challenge = bytes(pk.challenge);
pk.user.id = bytes(pk.user.id);
pk.excludeCredentials = withIds(pk.excludeCredentials);
navigator.credentials.create({publicKey: pk}).then(c => done({id: c.id, type: c.type, response: {
    clientDataJSON: text(c.response.clientDataJSON), attestationObject: text(c.response.attestationObject)}}),
  e => done({error: String(e)}));
"""
GET = HELPERS + """
const [options, done] = arguments;
const pk = options.publicKey;
pk.challenge = bytes(pk.challenge);
pk.allowCredentials = withIds(pk.allowCredentials);
navigator.credentials.get({publicKey: pk}).then(c => done({id: c.id, type: c.type, response: {
    clientDataJSON: text(c.response.clientDataJSON), authenticatorData: text(c.response.authenticatorData),
    signature: text(c.response.signature)}}), e => done({error: String(e)}));
"""


COOKIE_MODE = {"FLASK_JWT_TOKEN_LOCATION": '["headers", "cookies"]'}


@pytest.fixture(scope="module", params=BACKENDS)
def s(request):
    """Passkeys on, and cookie mode for the sign-in page."""
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    stack = passkey_stack(request.param, postgres=pg, env=COOKIE_MODE)
    yield stack
    stack.stop()


def chromium_with_authenticator(discoverable):
    """Chromium with a virtual authenticator: a plain security key, or one
    that keeps discoverable credentials (a passkey that signs in alone)."""
    browser = Browser()
    options = VirtualAuthenticatorOptions()
    options.protocol = Protocol.CTAP2
    options.transport = Transport.USB
    options.has_resident_key = discoverable
    options.has_user_verification = True
    options.is_user_consenting = True
    options.is_user_verified = True
    browser.driver.add_virtual_authenticator(options)
    return browser


@pytest.fixture
def chromium():
    browser = chromium_with_authenticator(discoverable=False)
    yield browser
    browser.quit()


@pytest.fixture
def chromium_discoverable():
    browser = chromium_with_authenticator(discoverable=True)
    yield browser
    browser.quit()


def with_chromium_passkey(s, chromium):
    """A new user whose passkey lives in Chromium's virtual authenticator:
    (name, an API session)."""
    name = unique("chrome")
    assert register(s, name).status_code == 201
    http = requests.Session()
    login = http.post(s.origin + "/auth/login", json={"username": name, "password": "123456"}, timeout=30)
    access = login.json()["tokens"]["access"]
    # Revocation counts whole seconds (iat < not-before): a token of the
    # very second of the enrolment would survive it.
    time.sleep(1.1)
    # A page of AuthGate's origin, for the browser's WebAuthn calls.
    chromium.open(s.origin + "/livez")
    options = http.post(s.origin + "/auth/mfa/webauthn/register", headers=bearer(access), timeout=30).json()
    credential = chromium.driver.execute_async_script(CREATE, options)
    assert "error" not in credential, credential
    done = http.post(s.origin + "/auth/mfa/webauthn/register/finish", headers=bearer(access), timeout=30,
                     json={"state": options["state"], "credential": credential})
    assert done.status_code == 200, done.text
    # A first factor ends the older sessions and hands out a pair that says so.
    assert jwt.decode(done.json()["tokens"]["access"], SECRET, algorithms=["HS256"])["amr"] == ["pwd", "hwk"]
    assert http.get(s.origin + "/auth/whoami", headers=bearer(access), timeout=30).json()["error"] == "token_revoked"
    return name, requests.Session()


def test_chromium_registers_a_passkey_and_signs_in_with_it(s, chromium):
    name, http = with_chromium_passkey(s, chromium)

    refused = http.post(s.origin + "/auth/login", json={"username": name, "password": "123456"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["methods"] == ["webauthn"], refused.text
    token = refused.json()["mfa_token"]
    request_options = http.post(s.origin + "/auth/login/mfa/webauthn", json={"mfa_token": token}, timeout=30).json()
    assertion = chromium.driver.execute_async_script(GET, request_options)
    assert "error" not in assertion, assertion
    signed_in = http.post(s.origin + "/auth/login/mfa", json={"mfa_token": token, "webauthn": assertion}, timeout=30)
    assert signed_in.status_code == 200, signed_in.text
    claims = jwt.decode(signed_in.json()["tokens"]["access"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == name and claims["amr"] == ["pwd", "hwk"]
    # The same answer again is refused: its challenge was used up.
    again = http.post(s.origin + "/auth/login/mfa", json={"mfa_token": token, "webauthn": assertion}, timeout=30)
    assert again.status_code == 401


def test_the_sign_in_page_signs_in_with_a_passkey(s, chromium):
    name, _ = with_chromium_passkey(s, chromium)
    chromium.open(s.origin + "/auth/sign-in?rd=/livez")
    chromium.sign_in(name, "123456")
    # The second step: no code field (no TOTP), a passkey button.
    assert chromium.path() == "/auth/sign-in" and not chromium.driver.find_elements(By.ID, "code")
    assert chromium.csp_violations() == []  # the page's own script is allowed by its hash
    chromium.submit_and_wait(chromium.driver.find_element(By.ID, "passkey-button"))
    assert chromium.path() == "/livez", chromium.page_excerpt()
    access = chromium.driver.get_cookie("access_token_cookie")["value"]
    assert jwt.decode(access, SECRET, algorithms=["HS256"])["amr"] == ["pwd", "hwk"]


def test_the_sign_in_page_signs_in_with_a_passkey_alone(s, chromium_discoverable):
    chromium = chromium_discoverable
    name, _ = with_chromium_passkey(s, chromium)
    # Registration asked for a discoverable passkey, and this authenticator keeps one.
    assert chromium.driver.get_credentials()[0].is_resident_credential
    chromium.open(s.origin + "/auth/sign-in?rd=/livez")
    assert chromium.csp_violations() == []
    chromium.submit_and_wait(chromium.driver.find_element(By.ID, "passkey-button"))
    assert chromium.path() == "/livez", chromium.page_excerpt()
    access = chromium.driver.get_cookie("access_token_cookie")["value"]
    claims = jwt.decode(access, SECRET, algorithms=["HS256"])
    assert claims["sub"] == name and claims["amr"] == ["hwk", "user"]
