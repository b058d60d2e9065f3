import os
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import secrets_scan  # noqa: E402
from harness import Postgres, Stack  # noqa: E402

# The whole suite runs with debug logging and SQL echo on (a test that sets
# either keeps its own value), so the secrets scan sees the most there is.
harness.DEFAULT_RESPONDER_ENV.update(secrets_scan.DEBUG_LOGGING)

# Sanitizer runs (scripts/sanitizers.sh): any report fails the run.
pytest_plugins = ["sanitizer_reports"]

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres():
    pg = Postgres()
    yield pg
    pg.destroy()


@pytest.fixture(scope="session", params=BACKENDS)
def stack(request):
    """One shared stack per backend; tests use unique usernames."""
    pg = request.getfixturevalue("postgres") if request.param == "postgres" else None
    s = Stack(request.param, postgres=pg)
    yield s
    s.stop()


@pytest.fixture
def make_stack(request):
    """Fresh stacks (own database) for tests that need an empty table."""
    made = []

    def make(backend, **kw):
        pg = request.getfixturevalue("postgres") if backend == "postgres" else None
        s = Stack(backend, postgres=pg, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def unique(prefix="u"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session", autouse=True)
def secrets_never_leak(request):
    """After the last test: no password, token, key or database password
    in any log the harness wrote or any error answer a test received
    (secrets_scan.py). Set up first, so torn down after every stack."""
    watch = secrets_scan.SESSION
    watch.start()
    yield
    watch.stop()
    started = time.monotonic()
    result = watch.scan()
    result.seconds = time.monotonic() - started
    request.config.stash[SCAN_RESULT] = result
    if result.findings:
        pytest.fail("secrets scan of the whole session (not of this test alone): " + result.report(),
                    pytrace=False)
    watch.discard_archive()


SCAN_RESULT = pytest.StashKey()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With AUTHGATE_SKIPS=fail (CI sets it), a skipped test fails unless it
    is marked `skip_allowed(reason=...)`: a check that silently stops
    running on a fresh machine is a check that cannot fail."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or os.environ.get("AUTHGATE_SKIPS") != "fail" or hasattr(report, "wasxfail"):
        return
    if item.get_closest_marker("skip_allowed") is None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped without skip_allowed while AUTHGATE_SKIPS=fail: {reason}"


def pytest_terminal_summary(terminalreporter, config):
    result = config.stash.get(SCAN_RESULT, None)
    if result is not None:
        terminalreporter.write_line(result.summary())
