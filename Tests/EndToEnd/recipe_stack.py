"""AuthGate behind nginx with deploy/nginx-limit-req.conf included, as
the recipe tells operators to: the project's nginx.conf with two
`include` lines in its http block (the recipe and nginx-real-ip.conf).
Clients pick the address nginx and AuthGate see with X-Forwarded-For
(nginx-real-ip.conf trusts loopback)."""
import os
import random

from harness import ROOT, Stack

RECIPE = os.path.join(ROOT, "deploy", "nginx-limit-req.conf")
# The trusted proxies (loopback), included beside it as the recipe says.
REAL_IP = os.path.join(ROOT, "deploy", "nginx-real-ip.conf")
# A cheap hash: these tests count answers, not derivation cost (2 shared cores).
CHEAP_HASH = {"FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def include_recipe(text):
    assert "\nhttp {\n" in text
    return text.replace("\nhttp {\n", f"\nhttp {{\n    include {REAL_IP};\n    include {RECIPE};\n", 1)


def client_address():
    """A random private address, so tests share no counter."""
    return "10.%d.%d.%d" % (random.randrange(256), random.randrange(256), random.randrange(1, 255))


def from_address(address):
    return {"X-Forwarded-For": address}


class RecipeStack(Stack):
    """One responder behind nginx with the limit_req recipe included."""

    def __init__(self, backend, postgres=None, env=None, database_uri=None, edit=lambda text: text):
        """`edit`: a further change to nginx.conf, after the include."""
        super().__init__(backend, postgres, env={**CHEAP_HASH, **(env or {})}, database_uri=database_uri,
                         nginx_edit=lambda text: edit(include_recipe(text)))
