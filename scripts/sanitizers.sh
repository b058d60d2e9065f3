#!/usr/bin/env bash
# The end-to-end suite against a responder built with a sanitizer; any
# sanitizer report fails the run (Tests/EndToEnd/sanitizer_reports.py).
#   scripts/sanitizers.sh asan|tsan [--short] [pytest arguments...]
# asan: AddressSanitizer + LeakSanitizer, build in .build-asan;
# tsan: ThreadSanitizer, build in .build-tsan. --short runs the CI subset
# (SHORT_TESTS below) instead of every test file. Reports go to a folder of
# this run, .run/sanitizers/<kind>-<time>/, which stays when it holds any.
# See docs/sanitizers.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

kind=${1:-}
case "$kind" in
    asan) sanitizer=address ;;
    tsan) sanitizer=thread ;;
    *) echo "usage: scripts/sanitizers.sh asan|tsan [--short] [pytest arguments...]" >&2; exit 2 ;;
esac
shift
short=0
if [ "${1:-}" = "--short" ]; then short=1; shift; fi

# The CI subset: the files that go through the places to watch: the read
# cache and its LISTEN/NOTIFY listener (test_read_cache), the scrypt arena
# and the KDF pool under a login flood (test_availability), the
# worker/acceptor hand-off and re-exec (test_restarts), tokens and the
# metrics handles and histogram (test_tokens, test_metrics), and every
# request through the JSON log handler (test_auth_api).
SHORT_TESTS=(test_auth_api.py test_tokens.py test_read_cache.py test_availability.py
             test_restarts.py test_metrics.py)

scripts/check-swift.sh "$kind"
scripts/install-deps.sh test
scratch=.build-$kind
swift build --sanitize="$sanitizer" --scratch-path "$scratch"
bin="$(swift build --sanitize="$sanitizer" --scratch-path "$scratch" --show-bin-path)/authgate"
scripts/python-env.sh

run_dir="$root/.run/sanitizers/$kind-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$run_dir"
chmod 1777 "$run_dir"  # processes the tests start as other users may report too
supp="$root/scripts/sanitizers"
# halt_on_error: the first report ends the process (ASan always does);
# log_path: every report is a file in run_dir, which the test run checks.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$run_dir/asan"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="halt_on_error=1:log_path=$run_dir/tsan:suppressions=$supp/tsan.supp:print_suppressions=0"
export AUTHGATE_SANITIZER="$sanitizer" AUTHGATE_SANITIZER_LOG_DIR="$run_dir"

# Test paths given (Tests/...) replace the selection; other arguments go to pytest.
named=0
for arg in "$@"; do case "$arg" in Tests/*) named=1 ;; esac; done
if [ "$named" = 0 ] && [ "$short" = 1 ]; then
    set -- "${SHORT_TESTS[@]/#/Tests/EndToEnd/}" "$@"
elif [ "$named" = 0 ]; then
    set -- Tests/EndToEnd "$@"
fi
echo "sanitizers: $kind: $bin; reports go to $run_dir"
started=$(date +%s)
status=0
AUTHGATE_BIN="$bin" .venv/bin/python -m pytest -q -rfEs "$@" || status=$?
echo "sanitizers: $kind: pytest exit $status after $(( $(date +%s) - started )) s;" \
     "$(find "$run_dir" -type f | wc -l) report file(s) in $run_dir"
if [ -z "$(ls -A "$run_dir")" ]; then rmdir "$run_dir"; fi
exit "$status"
