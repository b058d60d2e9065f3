"""The forward-auth scenario of `make bench`: a protected
location, nginx -> auth_request -> AuthGate's /auth/verify -> a trivial
upstream (an nginx server that returns 200), side by side with the same
location whose auth_request goes to the trivial C libfcgi responder.
Both locations include deploy/forward-auth/authgate-protect.conf and
send their subrequest with the recipe's FastCGI parameters; only the
responder differs. Targets: >= 0.8x the ceiling's req/s, p99 <= 2x its p99,
with the token in the Authorization header and, in cookie mode (the bench's
responder has FLASK_JWT_TOKEN_LOCATION with cookies), in the access cookie
a signed-in browser sends."""
import os
import re

import requests

from harness import ROOT, Nginx, free_port

RECIPE = os.path.join(ROOT, "deploy", "forward-auth")
TARGET_RATIO = 0.8
TARGET_P99_FACTOR = 2.0
AUTHGATE_PATH = "/__fa/authgate/page"
CEILING_PATH = "/__fa/ceiling/page"


def ceiling_verify_location():
    """The recipe's verify location, with the ceiling as its responder."""
    with open(os.path.join(RECIPE, "authgate-verify.conf")) as f:
        block = re.search(r"^location ~ \^/_authgate/verify.*?^\}$", f.read(), re.S | re.M).group(0)
    return (block.replace("^/_authgate/verify", "^/__fa_ceiling_verify", 1)
            .replace("fastcgi_pass authgate;", "fastcgi_pass fcgi_ceiling;"))


def nginx_edit(ceiling_address):
    """Adds the recipe, the two protected locations, the ceiling's
    upstream and the trivial upstream (a server of this nginx on a port of
    its own, chosen again whenever the harness starts nginx again)."""
    def edit(text):
        upstream_port = free_port()
        locations = f"""
        include {RECIPE}/authgate-verify.conf;
{ceiling_verify_location()}
        location /__fa/authgate/ {{
            auth_request /_authgate/verify;
            include {RECIPE}/authgate-protect.conf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://fa_upstream;
        }}
        location /__fa/ceiling/ {{
            auth_request /__fa_ceiling_verify;
            include {RECIPE}/authgate-protect.conf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://fa_upstream;
        }}
"""
        text = text.replace("        location / {", locations + "        location / {", 1)
        upstreams = (f"    upstream fcgi_ceiling {{\n        server {ceiling_address};\n        keepalive 4;\n    }}\n\n"
                     f"    upstream fa_upstream {{\n        server 127.0.0.1:{upstream_port};\n        keepalive 16;\n    }}\n\n"
                     f"    server {{\n        listen 127.0.0.1:{upstream_port};\n        access_log off;\n"
                     f"        location / {{ return 200 'ok'; }}\n    }}\n\n")
        return text.replace("    upstream authgate {", upstreams + "    upstream authgate {", 1)
    return edit


def run(authgate, token, ceiling_address, wrk, verdict):
    """Measures both locations through one nginx; prints the table and the
    PASS/FAIL line. `wrk(url, script, env)` and `verdict(ok)` are bench.py's."""
    nginx = Nginx([authgate.address], edit=nginx_edit(ceiling_address))
    try:
        auth = {"TOKEN": token}
        for path in (AUTHGATE_PATH, CEILING_PATH):
            r = requests.get(nginx.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert r.status_code == 200 and r.text == "ok", (path, r.status_code, r.text)
        assert requests.get(nginx.url + AUTHGATE_PATH, timeout=30).status_code == 401
        r = requests.get(nginx.url + AUTHGATE_PATH, headers={"Cookie": f"access_token_cookie={token}"}, timeout=30)
        assert r.status_code == 200 and r.text == "ok", ("cookie", r.status_code, r.text)
        ceiling = wrk(nginx.url + CEILING_PATH, "get_auth.lua", auth)
        gated = wrk(nginx.url + AUTHGATE_PATH, "get_auth.lua", auth)
        cookie = wrk(nginx.url + AUTHGATE_PATH, "get_cookie.lua", auth)
    finally:
        nginx.stop()
    results = []
    for name, r in (("header", gated), ("cookie", cookie)):
        ratio = r["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
        p99_factor = r["p99"] / ceiling["p99"] if ceiling["p99"] else float("inf")
        bad = r["non2xx"] + r["errors"] + ceiling["non2xx"] + ceiling["errors"]
        results.append((name, ratio, p99_factor, bad))
    print()
    print("Forward auth: a protected location (auth_request, deploy/forward-auth/) in front of an nginx "
          "`return 200` upstream; the same location with auth_request to the C libfcgi responder beside it. "
          f"Targets: >= {TARGET_RATIO}x its req/s, p99 <= {TARGET_P99_FACTOR:.0f}x its p99.")
    print()
    print("| auth_request to | req/s | p50 ms | p99 ms | non-2xx+errors |")
    print("|---|---|---|---|---|")
    for name, r in (("C libfcgi responder (ceiling)", ceiling), ("AuthGate /auth/verify, header token", gated),
                    ("AuthGate /auth/verify, cookie token", cookie)):
        print(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx'] + r['errors']} |")
    print()
    for name, ratio, p99_factor, bad in results:
        print(f"- forward auth ({name}): {ratio:.2f}x the ceiling's req/s "
              f"{verdict(ratio >= TARGET_RATIO and bad == 0)}; "
              f"p99 {p99_factor:.2f}x the ceiling's {verdict(p99_factor <= TARGET_P99_FACTOR)}")
    return results
