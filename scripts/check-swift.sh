#!/usr/bin/env bash
# Checks for the one thing apt cannot install: a Swift 6 toolchain on PATH.
# Run before anything is installed or built, so a machine without Swift
# learns it at once instead of after the apt packages.
#   scripts/check-swift.sh NAME    NAME prefixes the message (run, test, ...)
set -uo pipefail
name=${1:-check-swift}
tested=6.3.1  # what the build and the tests are run with
advice="AuthGate needs a Swift 6 toolchain (tested with $tested); apt cannot install it.
Get it from https://swift.org/install (Linux, Debian 12: the tarball or swiftly),
put its usr/bin on PATH (e.g. export PATH=/opt/swift/usr/bin:\$PATH) and run this again."
if ! command -v swift >/dev/null 2>&1; then
    printf '%s: no Swift toolchain: `swift` is not on PATH.\n%s\n' "$name" "$advice" >&2
    exit 1
fi
version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9]*\)\..*/\1/p' | head -n 1)
if [ -z "$version" ] || [ "$version" -lt 6 ]; then
    found=$(swift --version 2>&1 | head -n 1)
    printf '%s: found %s at %s, not Swift 6.\n%s\n' "$name" "${found:-an unknown swift}" "$(command -v swift)" "$advice" >&2
    exit 1
fi
