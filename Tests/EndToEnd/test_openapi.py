"""docs/openapi.yaml against the live service: schemathesis (its CLI)
generates requests for every operation of the spec, valid and invalid,
sends them through real nginx to the real responder, and checks each
answer's status, media type, headers and body against the spec.

Bounded: a fixed number of examples per operation, one worker, a fixed
seed (the same requests on every run, so a failure reproduces), and a
timeout on the whole run."""
import collections
import json
import os
import subprocess
import sys
import tempfile

import yaml

from conftest import unique
from harness import ROOT
from helpers import login, register

SPEC = os.path.join(ROOT, "docs", "openapi.yaml")
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_headers_conformance", "response_schema_conformance"])
MAX_EXAMPLES = 50
SEED = 20250901
RUN_TIMEOUT = 240
# Their success needs a current TOTP code (or a recovery code) or a passkey
# that only an enrolled user has, or passkeys turned on (this stack has them
# off: 501): test_mfa.py and test_passkeys.py get those answers; here their
# error answers are checked against the spec.
NEEDS_A_SECOND_FACTOR = {f"{method} {prefix}{path}" for prefix in ("/auth", "/api/auth")
                         for method, path in (("POST", "/login/mfa"), ("POST", "/mfa/totp/confirm"),
                                              ("DELETE", "/mfa/totp"), ("DELETE", "/mfa/webauthn"),
                                              ("POST", "/login/mfa/webauthn"),
                                              ("POST", "/mfa/webauthn/register"),
                                              ("POST", "/mfa/webauthn/register/finish"),
                                              ("POST", "/login/passkey"), ("POST", "/login/passkey/finish"))}
BROWSER_PATHS = [prefix + page for prefix in ("/auth", "/api/auth") for page in ("/sign-in", "/sign-out", "/refresh-session")]


def spec_for(stack, workdir):
    """The spec, less the browser pages (HTML, tested elsewhere); every
    other operation and header is checked as the spec says. Returns (spec
    path, extra CLI args)."""
    spec = yaml.safe_load(open(SPEC))
    extra = []
    # The browser pages of cookie mode (tag `browser`: HTML forms, 404 with
    # cookie mode off, as on this stack) are exercised by test_cookie_mode.py
    # and test_browser.py; schemathesis checks the JSON API.
    for path in BROWSER_PATHS:
        extra += ["--exclude-path", path]
    path = os.path.join(workdir, "openapi.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(spec, f)
    return path, extra


def operations(spec):
    """Every "METHOD /path" of the spec (its path items are references)."""
    labels = set()
    for path, item in spec["paths"].items():
        name = item["$ref"].removeprefix("#/components/pathItems/")
        for method in spec["components"]["pathItems"][name]:
            labels.add(f"{method.upper()} {path}")
    return labels


def statuses_by_operation(events_path):
    """{"POST /auth/login": {400, 200, ...}} from schemathesis' NDJSON events."""
    seen = collections.defaultdict(set)
    with open(events_path) as f:
        for line in f:
            finished = json.loads(line).get("ScenarioFinished")
            if not finished:
                continue
            # A skipped scenario (no example to send) records no interactions.
            for interaction in finished["recorder"].get("interactions", {}).values():
                if interaction.get("response"):
                    seen[finished["recorder"]["label"]].add(interaction["response"]["status_code"])
    return seen


def test_live_service_conforms_to_openapi_spec(stack):
    name = unique("oas")
    assert register(stack, name).status_code == 201
    tokens = login(stack, name)
    # The spec's login example logs in: its user exists (the hooks make
    # each use of the register example a new user).
    example = yaml.safe_load(open(SPEC))["components"]["pathItems"]["Register"]["post"]["requestBody"]
    assert register(stack, **example["content"]["application/json"]["example"]).status_code in (201, 409)
    with tempfile.TemporaryDirectory(prefix="authgate-openapi-") as workdir:
        spec, extra = spec_for(stack, workdir)
        env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__),
               "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "AUTHGATE_OPENAPI_SPEC": SPEC,
               "AUTHGATE_OPENAPI_URL": stack.url,
               "AUTHGATE_OPENAPI_ACCESS": tokens["access"], "AUTHGATE_OPENAPI_REFRESH": tokens["refresh"]}
        cmd = [SCHEMATHESIS, "run", spec, "--url", stack.url, "--checks", CHECKS,
               "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
               "--phases", "examples,coverage,fuzzing", "--generation-database", "none",
               "--request-timeout", "30", "--no-color",
               "--report", "ndjson", "--report-ndjson-path", os.path.join(workdir, "events.ndjson"), *extra]
        # Run in the temp folder: no report or cache lands in the repository.
        out = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        report = out.stdout + out.stderr
        assert out.returncode == 0, report[-20000:]
        seen = statuses_by_operation(os.path.join(workdir, "events.ndjson"))
    # It really ran: every operation of the spec (less the excluded ones)
    # was tested, and each got at least one success answer, so the success
    # bodies and headers were checked too, not only the errors.
    expected = {label for label in operations(yaml.safe_load(open(SPEC))) if label.split(" ", 1)[1] not in extra}
    assert set(seen) == expected, (sorted(expected - set(seen)), sorted(set(seen) - expected))
    no_success = sorted(label for label, codes in seen.items()
                        if label not in NEEDS_A_SECOND_FACTOR and not any(200 <= c < 300 for c in codes))
    assert not no_success, {label: sorted(seen[label]) for label in no_success}
