"""Memory a user would notice: concurrent logins hold at most one scrypt
buffer per core, and an idle responder gives them back."""
import concurrent.futures
import os
import re
import time

import pytest

from helpers import register


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


@pytest.mark.slow
def test_login_load_holds_one_scrypt_buffer_per_core_then_shrinks(make_stack):
    s = make_stack("sqlite")
    register(s, "mem")
    pid = s.responder.proc.pid
    resting = rss_mib(pid)
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: s.post("/auth/login", json={"username": "mem", "password": "123456"}).status_code,
                                 range(24)))
    assert statuses == [200] * 24
    loaded = rss_mib(pid)
    cores = os.cpu_count() or 1
    assert loaded - resting < cores * 32 + 16, (resting, loaded)
    deadline = time.time() + 20
    while rss_mib(pid) > resting + 16 and time.time() < deadline:
        time.sleep(0.5)
    assert rss_mib(pid) <= resting + 16, (resting, loaded, rss_mib(pid))
