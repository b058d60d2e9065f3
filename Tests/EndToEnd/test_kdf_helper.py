"""Password hashes are derived in helper processes (`authgate kdf-helper`),
one per KDF thread, each in a session of its own at nice 10: the kernel
shares CPU between sessions first, so a derivation there waits for nginx and
the workers instead of spending the responder's share. A helper holds
nothing but its socket to the responder, has an empty environment, is
replaced when it dies (the derivation meanwhile runs in the KDF thread), and
ends with the responder (and after 10 s idle: test_memory.py)."""
import os
import signal
import time

from conftest import unique
from harness import stop_process

HELPER_NAME = "authgate-kdf"
HELPER_NICE = 10


def stat(pid):
    """(comm, state, ppid, session, user+system ticks, nice) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return comm, fields[0], int(fields[1]), int(fields[3]), int(fields[11]) + int(fields[12]), int(fields[16])


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if stat(entry)[2] == pid:
                    found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
    return found


def alive(pid):
    try:
        return stat(pid)[1] != "Z"
    except FileNotFoundError:
        return False


def helpers(stack):
    return [pid for pid in children(stack.responder.proc.pid) if alive(pid) and stat(pid)[0] == HELPER_NAME]


def wait_until_gone(pids, seconds):
    """True once no pid is in /proc any more (exited and reaped)."""
    deadline = time.monotonic() + seconds
    while any(os.path.exists(f"/proc/{pid}") for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def register_and_log_in(stack, times=1):
    user, password = unique("kdf"), "a-password-1"
    r = stack.post("/auth/register", json={"username": user, "email": f"{user}@example.com", "password": password})
    assert r.status_code == 201, r.text
    for _ in range(times):
        assert stack.post("/auth/login", json={"username": user, "password": "wrong"}).status_code == 400
        r = stack.post("/auth/login", json={"username": user, "password": password})
        assert r.status_code == 200, r.text
    return user, password


def test_derivations_run_in_helpers_of_their_own_session_at_nice_10(make_stack):
    stack = make_stack("sqlite")
    responder = stack.responder.proc.pid
    assert helpers(stack) == []  # started on the first derivation
    register_and_log_in(stack, times=3)
    found = helpers(stack)
    assert 1 <= len(found) <= 2, found  # one per KDF thread (2 cores)
    responder_session = stat(responder)[3]
    ticks = 0
    for pid in found:
        comm, _, _, session, cpu, nice = stat(pid)
        assert session == pid != responder_session  # a session (and autogroup) of its own
        assert nice == HELPER_NICE
        with open(f"/proc/{pid}/autogroup") as f:
            assert f.read().strip().endswith(f"nice {HELPER_NICE}")
        with open(f"/proc/{pid}/environ", "rb") as f:
            assert f.read() == b""  # no secret, no setting
        # /dev/null, the responder's stdout and stderr, and its socket: no
        # FastCGI connection or listening socket, no database file.
        assert set(int(fd) for fd in os.listdir(f"/proc/{pid}/fd")) == {0, 1, 2, 3}
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
        assert os.readlink(f"/proc/{pid}/fd/3").startswith("socket:")
        ticks += cpu
    # Seven scrypt derivations (about 90 ms each here) ran in the helpers.
    assert ticks >= 20, ticks


def test_a_killed_helper_is_replaced_and_logins_go_on(make_stack):
    stack = make_stack("sqlite")
    user, password = register_and_log_in(stack)
    killed = helpers(stack)
    assert killed
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    # The next derivations, meanwhile, run in the KDF threads.
    for _ in range(3):
        r = stack.post("/auth/login", json={"username": user, "password": password})
        assert r.status_code == 200, r.text
    # Reaped within a tick of the responder's 200 ms housekeeping, or by
    # the derivation that found it gone: no zombie left.
    assert wait_until_gone(killed, 2.0)
    log = stack.responder.log_text()
    assert "KDF helper exited" in log or "KDF helper stopped answering" in log
    time.sleep(1.2)  # the restart delay
    for _ in range(3):
        assert stack.post("/auth/login", json={"username": user, "password": password}).status_code == 200
    replaced = helpers(stack)
    assert replaced and not set(replaced) & set(killed)


def test_helpers_end_with_the_responder(make_stack):
    stack = make_stack("sqlite")
    register_and_log_in(stack)
    drained = helpers(stack)
    assert drained
    stack.responder.stop()  # SIGTERM: drains, ends and reaps the helpers
    assert wait_until_gone(drained, 0.0)

    stack.responder.start()
    register_and_log_in(stack)
    orphaned = helpers(stack)
    assert orphaned
    stop_process(stack.responder.proc, signal.SIGKILL)  # no drain: the kernel ends them
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in orphaned) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in orphaned)
