"""The end-to-end suite against a responder built with a sanitizer
(scripts/sanitizers.sh): makes every sanitizer report fail the run.

Active only when AUTHGATE_SANITIZER_LOG_DIR names a folder. Then:
- every process the tests start gets the sanitizer options of this run
  (ASAN_OPTIONS, TSAN_OPTIONS, ...), even one started with an `env` of
  its own (most are: the responder gets a clean environment), so its
  reports go to `log_path` in that folder and it stops at the first one;
- a report file that appears during a test fails that test, with the
  report in its output; one that appears at any other time (a session
  fixture's teardown, LeakSanitizer at a responder's exit) fails the run;
- the tests in SANITIZER_SKIPS are skipped, each for the reason given.
"""
import os
import subprocess

import pytest

LOG_DIR = os.environ.get("AUTHGATE_SANITIZER_LOG_DIR")
# address or thread: which sanitizer the responder under test was built with.
SANITIZER = os.environ.get("AUTHGATE_SANITIZER", "")
OPTION_VARIABLES = ("ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS")

# The only tests not run under a sanitizer, keyed by node id prefix (the
# test file's name on): they measure what the sanitizer itself changes, or
# crash libfcgi on purpose, where the sanitizer can only report that known
# third-party crash again. Each with its reason.
MEMORY_CEILING = "test_memory.py::test_login_load_holds_one_scrypt_buffer_per_core_then_shrinks"
# SECURITY.md ("Untrusted peers on the FastCGI socket"): Debian's libfcgi
# aborts on these records before AuthGate sees a byte; the test expects the
# child to die and the supervisor to restart it.
LIBFCGI_CRASH = "kills the child inside libfcgi on purpose (SECURITY.md, Debian's libfcgi bugs); "
LIBFCGI_CASES = {
    "test_fastcgi_fuzz.py::test_malformed_case_leaves_service_answering[cve-two-lengths-just-under-2^31]":
        LIBFCGI_CRASH + "the sanitizer's allocator reports libfcgi's Malloc of 2^64-30 bytes (glibc returns NULL)",
    "test_fastcgi_fuzz.py::test_malformed_case_leaves_service_answering[cve-sum-wraps-to-zero]":
        LIBFCGI_CRASH + "the sanitizer's allocator reports libfcgi's Malloc of 2^64-2 bytes (glibc returns NULL)",
    "test_fastcgi_fuzz.py::test_malformed_case_leaves_service_answering[get-values-repeated-names]":
        LIBFCGI_CRASH + "after libfcgi's stack-protector abort the Swift crash backtracer trips the sanitizer "
                        "(ASan: it copies the aborted thread's stack, redzones included; TSan: its clone fails a check)",
}
SANITIZER_SKIPS = {
    "address": {
        MEMORY_CEILING: "bounds RSS in MiB; ASan's shadow memory, redzones and quarantine (256 MiB of freed "
                        "blocks held back) are what it would measure",
        **LIBFCGI_CASES,
        # Not in lsan.supp: a leak per record, not a one-time allocation,
        # and libfcgi's frames cannot be told apart from AuthGate's use of it.
        "test_fastcgi_fuzz.py::test_malformed_case_leaves_service_answering[unknown-type-99-management]":
            "libfcgi answers an unknown management record itself and leaks the 48-byte parameter list it made "
            "for it (ProcessManagementRecord frees it only for GET_VALUES); LeakSanitizer reports it when the "
            "child exits. nginx never sends one (SECURITY.md: only nginx may reach the socket)",
    },
    "thread": {
        MEMORY_CEILING: "bounds RSS in MiB; TSan's shadow memory (several times the application's) is what it "
                        "would measure",
        **LIBFCGI_CASES,
    },
}


def _sanitizer_env():
    return {k: os.environ[k] for k in OPTION_VARIABLES if k in os.environ}


def _with_sanitizer_env(popen_init):
    """subprocess.Popen.__init__ that adds this run's sanitizer options to
    an explicit `env` lacking them (one without `env` inherits them)."""
    def init(self, *args, **kw):
        env = kw.get("env")
        if env is not None:
            kw["env"] = {**_sanitizer_env(), **env}
        popen_init(self, *args, **kw)
    return init


def reports():
    """The report files in the log folder: name -> size."""
    return {name: os.path.getsize(os.path.join(LOG_DIR, name)) for name in sorted(os.listdir(LOG_DIR))}


def read_reports(names):
    parts = []
    for name in names:
        with open(os.path.join(LOG_DIR, name), "rb") as f:
            parts.append(f"==== {name}\n" + f.read().decode("utf-8", "replace")[-20000:])
    return "\n".join(parts)


def pytest_configure(config):
    if not LOG_DIR:
        return
    if not os.path.isdir(LOG_DIR):
        raise pytest.UsageError(f"AUTHGATE_SANITIZER_LOG_DIR={LOG_DIR} is not a folder")
    if not _sanitizer_env():
        raise pytest.UsageError("AUTHGATE_SANITIZER_LOG_DIR is set but no ASAN_OPTIONS/TSAN_OPTIONS: "
                                "reports would not go there (run scripts/sanitizers.sh)")
    subprocess.Popen.__init__ = _with_sanitizer_env(subprocess.Popen.__init__)
    config._sanitizer_seen = {}


def pytest_collection_modifyitems(config, items):
    skips = SANITIZER_SKIPS.get(SANITIZER, {}) if LOG_DIR else {}
    for item in items:
        for prefix, reason in skips.items():
            if item.nodeid.split("/")[-1].startswith(prefix):
                why = f"under {SANITIZER} sanitizer: {reason}"
                item.add_marker(pytest.mark.skip(reason=why))
                item.add_marker(pytest.mark.skip_allowed(reason=why))


@pytest.fixture(autouse=True)
def _no_sanitizer_report(request):
    """Fails the test during which a report file appeared or grew."""
    if not LOG_DIR:
        yield
        return
    before = reports()
    yield
    after = reports()
    new = [name for name, size in after.items() if before.get(name) != size]
    request.config._sanitizer_seen.update(after)
    if new:
        pytest.fail(f"sanitizer report(s) in {LOG_DIR}:\n{read_reports(new)}", pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    """Fails the run on any report file at all, including those written
    outside a test (after the last one: a session stack's responder
    exiting) and those already failed in a test."""
    if not LOG_DIR:
        return
    found = reports()
    if found:
        unseen = [name for name, size in found.items() if session.config._sanitizer_seen.get(name) != size]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"SANITIZER: {len(found)} report file(s) in {LOG_DIR}: {', '.join(found)}", red=True)
            if unseen:
                reporter.write_line(read_reports(unseen))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
