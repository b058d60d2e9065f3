#!/usr/bin/env bash
# Installs with apt (Debian 12) what a purpose needs and is missing, after
# saying which packages:
#   scripts/install-deps.sh [run]       build and serve the SQLite default (make run, make build)
#   scripts/install-deps.sh test        that, and what the tests use (make test)
#   scripts/install-deps.sh bench       that, and what the benchmark uses (make bench)
#   scripts/install-deps.sh --compose   what the docker-compose test uses (make compose-test)
# Several purposes may be named at once. The Swift 6 toolchain is no apt
# package: scripts/check-swift.sh checks for it, the README says where to get it.
set -euo pipefail

# Building: the C libraries AuthGate links, found with pkg-config (libpq is
# linked even when the database is SQLite), and git for SwiftPM to fetch the
# Swift packages. Serving: nginx in front. (Debian's nginx package starts a
# system nginx on :80 where it can; AuthGate's runs from its own prefix.)
run=(libfcgi-dev libpq-dev libssl-dev libsqlite3-dev libicu-dev pkg-config git ca-certificates nginx)
# The Python environment of the tests and the benchmark (Debian's python3
# lacks ensurepip, hence venv, without python3-venv).
python=()
python3 -c 'import ensurepip' >/dev/null 2>&1 || python=(python3-venv)
# The tests: a throwaway PostgreSQL cluster and psql, spawn-fcgi
# (deploy/spawn-fcgi.sh), systemd-analyze (deploy/'s units), make (`make run`),
# sqlite3 (deploy/ops/backup.sh), openssl and curl (the TLS recipe's test),
# iproute2 (`ip netns`: the two-host test), chromium and chromium-driver
# (the browser tests drive Debian's headless Chromium through Selenium with
# this chromedriver: nothing is downloaded at test time), docker-compose
# (its own check of docker-compose.yml; no engine is started).
test=("${run[@]}" "${python[@]}" postgresql postgresql-client spawn-fcgi systemd make sqlite3 openssl curl iproute2
      chromium chromium-driver docker-compose)
# The benchmark: PostgreSQL, wrk, a C compiler for the trivial libfcgi responder.
bench=("${run[@]}" "${python[@]}" postgresql postgresql-client wrk gcc libc6-dev)
# The compose test: a private Docker engine and debootstrap'd base images;
# git fetches the Swift packages for the build context.
compose=(docker.io docker-compose debootstrap iptables iproute2 git ca-certificates python3)

[ $# -gt 0 ] || set -- run
packages=() names=()
for purpose in "$@"; do
    names+=("${purpose#--}")
    case $purpose in
        run) packages+=("${run[@]}") ;;
        test) packages+=("${test[@]}") ;;
        bench) packages+=("${bench[@]}") ;;
        --compose|compose) packages+=("${compose[@]}") ;;
        *) echo "usage: $0 [run|test|bench|--compose]..." >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    [[ " ${missing[*]} " == *" $p "* ]] && continue
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: everything ${names[*]} needs is installed"
    exit 0
fi
echo "install-deps: ${names[*]} needs these apt packages, installing them: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
