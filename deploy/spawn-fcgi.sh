#!/usr/bin/env bash
# Starts AuthGate under spawn-fcgi: spawn-fcgi binds the socket and passes
# it on fd 0 (the FastCGI convention), which AuthGate uses when
# AUTHGATE_LISTEN is unset. Run from the folder holding .env.
#   deploy/spawn-fcgi.sh [address] [port]      (default 127.0.0.1 9000)
set -euo pipefail
address=${1:-127.0.0.1}
port=${2:-9000}
bin=${AUTHGATE_BIN:-authgate}
unset AUTHGATE_LISTEN
exec spawn-fcgi -n -a "$address" -p "$port" -- "$(command -v "$bin")" serve
