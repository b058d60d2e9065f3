"""schemathesis hooks for test_openapi.py (loaded through SCHEMATHESIS_HOOKS):
each generated request carries the token its operation takes, so the
success answers are exercised too, not only the 401s.

One fixed header for every operation would not do: a logout revokes the
token it is given, and every later request would be a 401 token_revoked.
Logout gets a fresh access token each time, bought with the refresh
token (no key derivation, unlike a login).

The spec's register example is one user: sent as is under both prefixes
it would be a 201 once and a 409 after. Each send of it registers a new
user instead, so each register operation's 201 is checked too."""
import os
import uuid

import requests
import schemathesis
import yaml

URL = os.environ["AUTHGATE_OPENAPI_URL"]
ACCESS = os.environ["AUTHGATE_OPENAPI_ACCESS"]
REFRESH = os.environ["AUTHGATE_OPENAPI_REFRESH"]
with open(os.environ["AUTHGATE_OPENAPI_SPEC"]) as _f:
    REGISTER_EXAMPLE = (yaml.safe_load(_f)["components"]["pathItems"]["Register"]["post"]
                        ["requestBody"]["content"]["application/json"]["example"])


def fresh_access():
    r = requests.post(URL + "/auth/refresh", headers={"Authorization": f"Bearer {REFRESH}"}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


def token_for(path):
    if path.endswith("/refresh"):
        return REFRESH
    if path.endswith("/logout"):
        return fresh_access()
    return ACCESS


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() == "OPTIONS":
        return
    if case.path.endswith("/register") and case.body == REGISTER_EXAMPLE:
        tag = uuid.uuid4().hex[:10]
        case.body = {**case.body, "username": f"ex{tag}", "email": f"ex{tag}@example.com"}
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token_for(case.path)}"}
