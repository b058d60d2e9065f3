"""The protected users list: defaults, limits, metadata and stable order."""
import pytest

from conftest import BACKENDS
from harness import run_sql
from helpers import bearer, login, register


@pytest.fixture(scope="module", params=BACKENDS)
def listed(request):
    """A fresh database with seven users registered in a known order."""
    from harness import Stack
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = Stack(request.param, postgres=pg)
    names = [f"list{i}" for i in range(7)]
    for n in names:
        assert register(s, n).status_code == 201
    s.token = login(s, names[0])["access"]
    s.names = names
    yield s
    s.stop()


def page(s, query=""):
    return s.get("/api/users/all" + query, headers=bearer(s.token))


def test_defaults_are_page_1_of_3(listed):
    r = page(listed)
    assert r.status_code == 200
    body = r.json()
    assert [u["username"] for u in body["users"]] == listed.names[:3]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 3, 7, 3)
    assert all(set(u) == {"id", "username", "email"} for u in body["users"])


def test_pages_walk_the_registration_order(listed):
    seen = []
    for p in (1, 2, 3):
        seen += [u["username"] for u in page(listed, f"?page={p}&per_page=3").json()["users"]]
    assert seen == listed.names


def test_order_is_stable_for_equal_timestamps(listed):
    # Same created_at for everyone: insertion order must still decide.
    run_sql(listed, "UPDATE users SET created_at = (SELECT min(created_at) FROM users)")
    body = page(listed, "?per_page=100").json()
    assert [u["username"] for u in body["users"]] == listed.names


# Contract v1.1: a per_page too large for 64 bits is above 100 too.
@pytest.mark.parametrize("per_page,served", [("100", 100), ("101", 100), ("99999999999999999999", 100), ("1", 1)])
def test_per_page_limits(listed, per_page, served):
    r = page(listed, f"?per_page={per_page}")
    assert r.status_code == 200 and r.json()["per_page"] == served


@pytest.mark.parametrize("name", ["page", "per_page"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "", "1.5", "+1", " 1", "١"])
def test_bad_values_are_400_naming_the_parameter(listed, name, value):
    r = page(listed, f"?{name}={value}")
    assert r.status_code == 400, (name, value, r.text)
    assert name in r.json()["error"]


def test_page_past_the_end_is_empty(listed):
    body = page(listed, "?page=50").json()
    assert body["users"] == [] and body["total"] == 7 and body["page"] == 50


def test_huge_page_is_past_the_end_or_400_beyond_64_bits(listed):
    """The contract allows either for a page too large for 64 bits;
    AuthGate answers 400 naming `page` there, and an empty page below."""
    r = page(listed, "?page=9223372036854775807&per_page=100")
    assert r.status_code == 200 and r.json()["users"] == [], r.text
    for value in ("9223372036854775808", "1" + "0" * 40):
        r = page(listed, f"?page={value}&per_page=100")
        assert r.status_code == 400 and "page" in r.json()["error"], (value, r.text)
    assert listed.get("/healthz").status_code == 200


def test_repeated_parameter_uses_the_first(listed):
    assert page(listed, "?per_page=2&per_page=5").json()["per_page"] == 2
