#!/usr/bin/env bash
# `make fuzz` (docs/fuzzing.md): builds authgate-fuzz with libFuzzer and
# AddressSanitizer in .build-fuzz, runs each target for FUZZ_SECONDS over
# its committed corpus (Fuzz/corpus/<target>, only read) plus the inputs
# found so far (.build-fuzz/corpus/<target>), and writes a report of
# executions, crashes, corpus size and speed per target. Exits 1 when any
# target crashed, hung or leaked; the input is in .build-fuzz/artifacts/.
#   FUZZ_SECONDS   seconds per target (default 300)
#   FUZZ_TARGETS   targets to run (default: all seven)
#   FUZZ_RUNS      stop a target after this many executions instead (0: no limit)
#   FUZZ_NO_BUILD  1: use the binary already built
# `scripts/fuzz.sh merge` folds the inputs found into the committed corpus,
# minimized (-merge=1): the seeds (seed-*) stay, a found input stays only
# if it reaches a code edge nothing before it reached.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=.build-fuzz
SECONDS_EACH=${FUZZ_SECONDS:-300}
TARGETS=${FUZZ_TARGETS:-"json jwt query dotenv werkzeug fcgi webauthn"}
RUNS=${FUZZ_RUNS:-0}
BIN=$SCRATCH/release/authgate-fuzz
REPORT=$SCRATCH/report.txt

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    scripts/check-swift.sh fuzz
    # lld: gold fails on libFuzzer's main beside SwiftPM's --defsym main=.
    swift build -c release --scratch-path "$SCRATCH" --product authgate-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
        -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
fi

# A trap is reported by libFuzzer with Swift's message ("Fatal error: ...");
# Swift's own backtracer would read memory ASan flags and bury it.
export SWIFT_BACKTRACE=enable=no

# Leaks are findings too, but for the fixtures' key rings (Fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Options every run shares: one process (the machine is shared), a hang
# of 10 s is a finding, the dictionary if the target has one.
options() {
    local target=$1
    printf '%s\n' -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "-artifact_prefix=$SCRATCH/artifacts/$target/"
    if [ -f "Fuzz/dict/$target.dict" ]; then printf '%s\n' "-dict=Fuzz/dict/$target.dict"; fi
}

if [ "${1:-}" = merge ]; then
    for target in $TARGETS; do
        merged=$SCRATCH/merge/$target
        rm -rf "$merged" && mkdir -p "$merged" "$SCRATCH/corpus/$target" "$SCRATCH/artifacts/$target"
        cp Fuzz/corpus/"$target"/seed-* "$merged"/
        mapfile -t opts < <(options "$target")
        log=$SCRATCH/merge-$target.log
        # Edges only (-use_counters=0): a committed corpus several times smaller.
        "$BIN" "$target" "${opts[@]}" -merge=1 -use_counters=0 "$merged" "Fuzz/corpus/$target" "$SCRATCH/corpus/$target" > "$log" 2>&1
        # The committed corpus is replaced only after a merge that ran to its end.
        if ! grep -q '^MERGE-OUTER: [0-9]* new files' "$log" || grep -q '^usage:' "$log"; then
            echo "merge: $target failed, corpus kept (see $log)" >&2
            exit 1
        fi
        rm -rf "Fuzz/corpus/$target" && mv "$merged" "Fuzz/corpus/$target"
        echo "merge: $target: $(ls "Fuzz/corpus/$target" | wc -l) inputs ($(du -sk --apparent-size "Fuzz/corpus/$target" | cut -f1) KiB)"
    done
    exit 0
fi

: > "$REPORT"
printf '%-9s %12s %9s %8s %7s %6s %s\n' target executions exec/s corpus cov crash result | tee -a "$REPORT"
failed=0
for target in $TARGETS; do
    mkdir -p "$SCRATCH/corpus/$target" "$SCRATCH/artifacts/$target"
    log=$SCRATCH/fuzz-$target.log
    mapfile -t opts < <(options "$target")
    if [ "$RUNS" -gt 0 ]; then opts+=("-runs=$RUNS"); fi
    touch "$log.start"
    status=0
    "$BIN" "$target" "${opts[@]}" -max_total_time="$SECONDS_EACH" \
        "$SCRATCH/corpus/$target" "Fuzz/corpus/$target" > "$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    corpus=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<< "$last")
    coverage=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<< "$last")
    crashes=$(find "$SCRATCH/artifacts/$target" -type f -newer "$log.start" 2>/dev/null | wc -l)
    result=ok
    if [ "$status" -ne 0 ]; then result="FAILED (exit $status, see $log)"; failed=1; fi
    printf '%-9s %12s %9s %8s %7s %6s %s\n' "$target" "${executions:-?}" "${speed:-?}" "${corpus:-?}" \
        "${coverage:-?}" "$crashes" "$result" | tee -a "$REPORT"
done
echo "report: $REPORT (FUZZ_SECONDS=$SECONDS_EACH per target; logs: $SCRATCH/fuzz-<target>.log)"
exit "$failed"
