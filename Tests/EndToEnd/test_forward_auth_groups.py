"""Groups and per-location rules through real nginx with the forward-auth
recipe (deploy/forward-auth/, docs/forward-auth.md), on SQLite and
PostgreSQL: `auth_request /_authgate/verify/allowed_groups=...`, the
X-Auth-User-Groups and X-Auth-User-Email headers the application sees,
memberships changed with the admin CLI, and the `groups` token claim."""
import json
import urllib.parse

import pytest

from conftest import unique
from forward_auth_stack import LOCATIONS, ForwardAuthStack, received, user
from harness import run_sql
from helpers import bearer, decode, eventually, forge, login, register
from test_admin_cli import cli

FORBIDDEN = {"message": "User is not in an allowed group", "error": "forbidden"}
MISSING = {"message": "Request doesn't contain valid token", "error": "authorization_header"}
GROUP_LOCATIONS = {
    **LOCATIONS,
    "/grafana/": "/_authgate/verify/allowed_groups=ops",
    "/staff/": "/_authgate/verify/allowed_groups=db.admins,qa-1,ops",
    "/fresh-ops/": "/_authgate/verify/allowed_groups=ops&fresh=1",
    "/bad-groups/": "/_authgate/verify/allowed_groups=ops,,dev",
}
IDENTITY = ("x-auth-user", "x-auth-user-id", "x-auth-user-groups", "x-auth-user-email", "x-auth-amr")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def ga(request):
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = ForwardAuthStack(request.param, postgres=pg, locations=GROUP_LOCATIONS)
    if pg:  # the read cache on: group reads come from memory, kept current by NOTIFY
        assert eventually(lambda: "read cache on" in s.responder.log_text())
    yield s
    s.stop()


def identity(headers):
    """Every received header that reads as one of AuthGate's identity
    headers to a CGI-style application (underscores count as dashes)."""
    return sorted((k, v) for k, v in headers if k.replace("_", "-") in IDENTITY)


def assert_forbidden(s, r, before):
    assert r.status_code == 403, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == FORBIDDEN
    assert "X-Auth-Error" not in r.headers and "WWW-Authenticate" not in r.headers
    assert s.upstream.count == before, "the upstream was reached"


def test_a_user_outside_the_locations_groups_gets_authgates_403_json(ga):
    _, _, tokens = user(ga)
    auth = bearer(tokens["access"])
    before = ga.upstream.count
    for method in ("GET", "POST", "DELETE"):
        assert_forbidden(ga, ga.request(method, "/grafana/d/1", headers=auth), before)
    head = ga.request("HEAD", "/grafana/", headers=auth)
    assert head.status_code == 403 and head.content == b""
    # Where no group is required the same token passes.
    assert ga.get("/app/", headers=auth).status_code == 200
    # Token errors come first: no token is the 401, not the 403.
    r = ga.get("/grafana/")
    assert r.status_code == 401 and r.json() == MISSING


def test_a_member_passes_and_the_upstream_sees_its_groups_and_email(ga):
    name, uid, tokens = user(ga)
    for group in ("ops", "Admins", "dev.team"):
        assert cli(ga, "add-to-group", name, group).returncode == 0
    auth = bearer(tokens["access"])
    expected = [("x-auth-user", name), ("x-auth-user-email", f"{name}@example.com"),
                ("x-auth-user-groups", "Admins,dev.team,ops"), ("x-auth-user-id", uid)]
    assert eventually(lambda: ga.get("/grafana/", headers=auth).status_code == 200)
    for path in ("/grafana/x?y=1", "/staff/", "/app/"):
        assert identity(received(ga.get(path, headers=auth))) == expected, path
    # Requirements combine: fresh=1 still applies to a member.
    refreshed = ga.post("/auth/refresh", headers=bearer(tokens["refresh"])).json()["access_token"]
    r = ga.get("/fresh-ops/", headers=bearer(refreshed))
    assert r.status_code == 401 and r.json()["error"] == "fresh_token_required"
    assert ga.get("/fresh-ops/", headers=auth).status_code == 200


def test_a_user_with_no_group_reaches_open_locations_with_no_groups_header(ga):
    name, _, tokens = user(ga)
    got = dict(identity(received(ga.get("/app/", headers=bearer(tokens["access"])))))
    assert "x-auth-user-groups" not in got  # an empty value: nginx sends no header
    assert got["x-auth-user-email"] == f"{name}@example.com"


def test_an_email_a_header_cannot_hold_is_percent_encoded(ga):
    name = unique("mail")
    email = f'{name}"q,x@example.com'
    assert register(ga, name, email=email).status_code == 201
    tokens = login(ga, name)
    got = dict(identity(received(ga.get("/app/", headers=bearer(tokens["access"])))))
    assert got["x-auth-user-email"] == f"{name}%22q%2Cx@example.com"
    assert urllib.parse.unquote(got["x-auth-user-email"]) == email


def test_the_upstream_learns_how_the_login_proved_who_it_was(ga):
    """X-Auth-AMR is the token's `amr` (a second-factor login's `pwd,otp`),
    for an application that asks for the second factor on some pages only;
    a token without one (a password login, a Flask app's) sends none."""
    name, _, tokens = user(ga)
    assert "x-auth-amr" not in dict(identity(received(ga.get("/app/", headers=bearer(tokens["access"])))))
    for amr, header in ((["pwd", "otp"], "pwd,otp"), (["hwk", "user"], "hwk,user"), (["pwd", "x,y"], "pwd,x%2Cy")):
        got = dict(identity(received(ga.get("/app/", headers=bearer(forge(name, amr=amr))))))
        assert got["x-auth-amr"] == header and got["x-auth-user"] == name


SPOOFS = [("X-Auth-User-Groups", "ops"), ("x-auth-user-groups", "admins"), ("X-AUTH-USER-GROUPS", "root"),
          ("X_Auth_User_Groups", "under"), ("X-Auth-User_Groups", "mixed"), ("X-Auth-User-Email", "boss@corp"),
          ("X_Auth_User_Email", "under@corp"), ("X-Auth-AMR", "pwd,otp"), ("x-auth-amr", "hwk"),
          ("X_Auth_AMR", "otp"), ("X-Auth-Request-Groups", "ops"), ("Remote-Groups", "ops"),
          ("Remote-Email", "boss@corp")]


def test_identity_headers_sent_by_the_client_never_reach_the_upstream(ga):
    name, uid, tokens = user(ga)
    # No group: the client's X-Auth-User-Groups must not stand in for the empty value.
    status, _, body = ga.raw("GET", "/app/spoof", [("Authorization", f"Bearer {tokens['access']}")] + SPOOFS)
    assert status == 200
    got = [(k.lower(), v) for k, v in json.loads(body)["headers"]]
    assert identity(got) == [("x-auth-user", name), ("x-auth-user-email", f"{name}@example.com"),
                             ("x-auth-user-id", uid)], got
    assert not {k for k, _ in got} & {"x-auth-request-groups", "remote-groups", "remote-email"}, got
    # A spoofed group never opens a location either.
    status, _, body = ga.raw("GET", "/grafana/", [("Authorization", f"Bearer {tokens['access']}")] + SPOOFS)
    assert status == 403 and json.loads(body) == FORBIDDEN
    # With a group, the value is AuthGate's alone.
    assert cli(ga, "add-to-group", name, "qa-1").returncode == 0
    auth = [("Authorization", f"Bearer {tokens['access']}")]
    assert eventually(lambda: ga.raw("GET", "/staff/", auth)[0] == 200)
    status, _, body = ga.raw("GET", "/staff/", auth + SPOOFS)
    got = [(k.lower(), v) for k, v in json.loads(body)["headers"]]
    assert status == 200 and dict(identity(got))["x-auth-user-groups"] == "qa-1"
    assert len(identity(got)) == 4, got


def test_cli_changes_apply_to_the_next_request(ga):
    name, _, tokens = user(ga)
    auth = bearer(tokens["access"])
    assert ga.get("/grafana/", headers=auth).status_code == 403  # cached as no group on PostgreSQL
    added = cli(ga, "add-to-group", name, "ops")
    assert added.returncode == 0 and added.stdout == f"added {name} to ops\n", added.stderr
    # The responder hears of the row by NOTIFY (PostgreSQL) or reads the file (SQLite).
    assert eventually(lambda: ga.get("/grafana/", headers=auth).status_code == 200, seconds=2)
    again = cli(ga, "add-to-group", name, "ops")
    assert again.returncode == 0 and again.stdout == f"{name} is in ops already\n"
    assert cli(ga, "list-groups", name).stdout == "ops\n"
    removed = cli(ga, "remove-from-group", name, "ops")
    assert removed.returncode == 0 and removed.stdout == f"removed {name} from ops\n"
    assert eventually(lambda: ga.get("/grafana/", headers=auth).status_code == 403, seconds=2)
    assert cli(ga, "remove-from-group", name, "ops").stdout == f"{name} was not in ops\n"
    # A change made by SQL is seen too (the trigger, whoever writes).
    run_sql(ga, "INSERT INTO authgate_user_groups (user_id, group_name) SELECT id, 'ops' FROM users "
                "WHERE username = ?", (name,))
    assert eventually(lambda: ga.get("/grafana/", headers=auth).status_code == 200, seconds=2)


def test_the_cli_refuses_bad_names_and_unknown_users_and_audits_changes(ga):
    name, _, _ = user(ga)
    for bad in ("a,b", "has space", "x" * 65, ""):
        r = cli(ga, "add-to-group", name, bad)
        assert r.returncode == 1 and "not a group name" in r.stderr, (bad, r.stderr)
    r = cli(ga, "add-to-group", "nobody-" + name, "ops")
    assert r.returncode == 1 and "no user named" in r.stderr
    r = cli(ga, "add-to-group", name, "auditors")
    lines = [json.loads(l) for l in r.stderr.splitlines() if l.startswith("{")]
    audit = [l for l in lines if l.get("logger") == "authgate.audit"]
    assert len(audit) == 1, r.stderr
    assert {k: audit[0][k] for k in ("msg", "event", "username", "group")} == {
        "msg": "audit", "event": "group.add", "username": name, "group": "auditors"}
    listing = cli(ga, "list-groups")
    assert listing.returncode == 0 and "auditors\t1\n" in listing.stdout


def test_a_deleted_and_reregistered_name_inherits_no_group(ga):
    name, _, _ = user(ga)
    assert cli(ga, "add-to-group", name, "ops").returncode == 0
    assert cli(ga, "delete-user", name).returncode == 0
    _, _, tokens = user(ga, name)
    assert cli(ga, "list-groups", name).stdout == ""
    auth = bearer(tokens["access"])
    assert ga.get("/grafana/", headers=auth).status_code == 403
    assert "x-auth-user-groups" not in dict(identity(received(ga.get("/app/", headers=auth))))


def test_a_malformed_group_list_in_the_location_is_a_json_500(ga):
    _, _, tokens = user(ga)
    before = ga.upstream.count
    r = ga.get("/bad-groups/", headers=bearer(tokens["access"]))
    assert r.status_code == 500 and r.json() == {"error": "Internal server error"}
    assert ga.upstream.count == before
    r = ga.get("/auth/verify?allowed_groups=ops,,dev", headers=bearer(tokens["access"]))
    assert r.status_code == 400 and "allowed_groups" in r.json()["error"]


def test_the_403_location_is_not_reachable_from_outside(ga):
    r = ga.get("/_authgate/forward-auth/403")
    assert r.status_code == 404 and r.json() == {"error": "Not found"}


def test_tokens_carry_no_groups_claim_by_default(ga):
    name, _, tokens = user(ga)
    assert cli(ga, "add-to-group", name, "ops").returncode == 0
    fresh = login(ga, name)
    renewed = ga.post("/auth/refresh", headers=bearer(fresh["refresh"])).json()["access_token"]
    for token in (fresh["access"], fresh["refresh"], renewed):
        assert "groups" not in decode(token)


def test_with_token_groups_access_tokens_carry_the_groups_at_login_and_refresh():
    s = ForwardAuthStack("sqlite", env={"AUTHGATE_TOKEN_GROUPS": "true"}, locations=GROUP_LOCATIONS)
    try:
        name, _, tokens = user(s)
        assert decode(tokens["access"])["groups"] == []
        for group in ("ops", "Admins", "dev.team"):
            assert cli(s, "add-to-group", name, group).returncode == 0
        fresh = login(s, name)
        assert decode(fresh["access"])["groups"] == ["Admins", "dev.team", "ops"]
        assert "groups" not in decode(fresh["refresh"])
        assert cli(s, "remove-from-group", name, "ops").returncode == 0
        renewed = s.post("/auth/refresh", headers=bearer(fresh["refresh"])).json()["access_token"]
        assert decode(renewed)["groups"] == ["Admins", "dev.team"]
        # The claim decides nothing: the old token still says ops, the store does not.
        r = s.get("/grafana/", headers=bearer(fresh["access"]))
        assert r.status_code == 403 and r.json() == FORBIDDEN
    finally:
        s.stop()


@pytest.fixture
def pg_pair(postgres):
    """Two responders, each behind its own nginx with the recipe, on one PostgreSQL database."""
    _, uri = postgres.new_database()
    a = ForwardAuthStack("postgres", postgres=postgres, database_uri=uri, locations=GROUP_LOCATIONS)
    try:
        b = ForwardAuthStack("postgres", postgres=postgres, database_uri=uri, locations=GROUP_LOCATIONS)
    except BaseException:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def test_cli_changes_apply_on_every_responder_sharing_postgresql(pg_pair):
    a, b = pg_pair
    for s in (a, b):
        assert eventually(lambda: "read cache on" in s.responder.log_text())
    name, _, tokens = user(a)
    auth = bearer(tokens["access"])
    for s in (a, b):  # both caches now hold "no group" for the user
        assert s.get("/grafana/", headers=auth).status_code == 403
        assert s.get("/grafana/", headers=auth).status_code == 403
    assert cli(a, "add-to-group", name, "ops").returncode == 0
    for s in (a, b):
        assert eventually(lambda: s.get("/grafana/", headers=auth).status_code == 200, seconds=2)
        got = dict(identity(received(s.get("/grafana/", headers=auth))))
        assert got["x-auth-user-groups"] == "ops"
    assert cli(b, "remove-from-group", name, "ops").returncode == 0
    for s in (a, b):
        assert eventually(lambda: s.get("/grafana/", headers=auth).status_code == 403, seconds=2)
        assert s.get("/staff/", headers=auth).json() == FORBIDDEN


def test_a_user_in_a_hundred_long_named_groups_still_passes(ga):
    # About 6.5 KB of names: more than nginx's default FastCGI header
    # buffer (4 KiB), within the recipe's 16k.
    name, uid, tokens = user(ga)
    groups = [f"g{n:03d}" + "x" * 60 for n in range(100)]
    for group in groups:
        run_sql(ga, "INSERT INTO authgate_user_groups (user_id, group_name) VALUES (?, ?)", (uid, group))
    # No verify has read this user's groups yet: nothing cached to wait out.
    got = dict(identity(received(ga.get("/app/", headers=bearer(tokens["access"])))))
    assert got["x-auth-user-groups"] == ",".join(groups)
