#!/usr/bin/env bash
# The whole test suite: unit tests (swift test), then end-to-end tests that
# start their own PostgreSQL cluster, nginx and responders (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/check-swift.sh test
scripts/install-deps.sh test
# The docs name only files, types and settings that exist, and document
# every setting the code reads; the Swift sources keep one layout.
python3 scripts/check-docs.py
scripts/check-format.sh
swift build
# The committed fuzz corpus through every fuzz target, without the fuzzer
# runtime (docs/fuzzing.md): a second, and each past finding stays fixed.
"$(swift build --show-bin-path)/authgate-fuzz" all Fuzz/corpus
swift test
scripts/python-env.sh
AUTHGATE_BIN="$(swift build --show-bin-path)/authgate" .venv/bin/python -m pytest -q Tests/EndToEnd "$@"
