"""Memory a user would notice: concurrent logins hold at most one scrypt
buffer per core (in the KDF helper processes), and an idle responder gives
them back: its helpers end after 10 s without a derivation."""
import concurrent.futures
import os
import re
import time

import pytest

from helpers import register


def pss_mib(pid):
    """Proportional set size: shared pages (the binary both map) counted once overall."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return int(re.search(r"^Pss:\s+(\d+)", f.read(), re.M).group(1)) / 1024


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry))
    return found


def footprint_mib(pid):
    """The responder and its KDF helpers."""
    total = pss_mib(pid)
    for child in children(pid):
        try:
            total += pss_mib(child)
        except FileNotFoundError:
            pass
    return total


@pytest.mark.slow
def test_login_load_holds_one_scrypt_buffer_per_core_then_shrinks(make_stack):
    s = make_stack("sqlite")
    pid = s.responder.proc.pid
    assert children(pid) == []
    resting = footprint_mib(pid)
    register(s, "mem")
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: s.post("/auth/login", json={"username": "mem", "password": "123456"}).status_code,
                                 range(24)))
    assert statuses == [200] * 24
    loaded = footprint_mib(pid)
    helpers = children(pid)
    cores = os.cpu_count() or 1
    assert 1 <= len(helpers) <= cores
    # A scrypt buffer and a small process per helper.
    assert loaded - resting < len(helpers) * (32 + 8) + 16, (resting, loaded)
    assert loaded - resting > len(helpers) * 16, (resting, loaded)  # the buffers were measured at all
    deadline = time.time() + 25
    while (children(pid) or footprint_mib(pid) > resting + 16) and time.time() < deadline:
        time.sleep(0.5)
    assert children(pid) == []
    assert footprint_mib(pid) <= resting + 16, (resting, loaded, footprint_mib(pid))
