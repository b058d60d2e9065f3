"""AUTHGATE_REGISTRATION_EMAIL_DOMAINS is not access control, and
docs/registration.md says so: AuthGate verifies no address, so anyone may
register any address at a listed domain, and may take a real person's
address first (who then gets 409). Proven through nginx, and the warning
is checked to be in the documentation an operator reads."""
import os
import re

from conftest import unique
from harness import ROOT


def test_an_unverified_address_at_a_listed_domain_registers_and_blocks_its_owner(make_stack):
    stack = make_stack("sqlite", env={"AUTHGATE_REGISTRATION_EMAIL_DOMAINS": "example.com"})
    address = unique("ceo") + "@example.com"
    squatter = stack.post("/auth/register", json={"username": unique("squatter"), "email": address,
                                                   "password": "123456"})
    assert squatter.status_code == 201, squatter.text  # nothing asked it to prove the mailbox
    owner = stack.post("/auth/register", json={"username": unique("owner"), "email": address.upper(),
                                                "password": "654321"})
    assert (owner.status_code, owner.json()) == (409, {"error": "Email already registered"})


def test_the_documentation_says_the_domain_list_is_not_access_control():
    text = open(os.path.join(ROOT, "docs", "registration.md")).read()
    section = text.split("## The domain list is not access control", 1)
    assert len(section) == 2, "docs/registration.md lacks the section"
    body = re.sub(r"\s+", " ", section[1].split("\n## ", 1)[0])
    assert "AuthGate does not verify e-mail addresses." in body
    assert "409" in body and "closed" in body and "create-user" in body
