import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Postgres, Stack  # noqa: E402

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
