"""The UserStore contract (Tests/AuthGateStoreTests/UserStoreContractTests.swift)
on a real PostgreSQL: the unit tests run it on the memory store and SQLite;
given a throwaway database, they add PostgreSQL."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_store_contract_holds_on_postgresql(postgres):
    _, uri = postgres.new_database()
    run = subprocess.run(["swift", "test", "--filter", "UserStoreContractTests"], cwd=ROOT,
                         env={**os.environ, "AUTHGATE_TEST_POSTGRES_URI": uri},
                         capture_output=True, text=True, timeout=1200)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    # Every contract test ran on three backends: memory, SQLite and PostgreSQL.
    cases = [line for line in out.splitlines() if "✔ Test " in line and "test cases passed" in line]
    assert len(cases) >= 10 and all("with 3 test cases" in line for line in cases), out[-4000:]
