#!/usr/bin/env bash
# Fails when a Swift file departs from the layout in .swift-format (4-space
# indentation, 120 columns). `scripts/check-format.sh --fix` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Package.swift Sources Tests Fuzz)
if [ "${1:-}" = --fix ]; then
    exec swift format format --in-place --recursive "${paths[@]}"
fi
swift format lint --strict --recursive "${paths[@]}" \
    || { echo "check-format: run scripts/check-format.sh --fix" >&2; exit 1; }
echo "check-format: every Swift file follows .swift-format"
