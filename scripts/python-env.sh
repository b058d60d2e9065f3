#!/usr/bin/env bash
# Creates .venv with the test tools and the real Flask stack AuthGate must
# stay compatible with, at pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! cmp -s scripts/requirements-test.txt .venv/requirements-test.txt; then
    rm -rf .venv
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
    cp scripts/requirements-test.txt .venv/requirements-test.txt
fi
