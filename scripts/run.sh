#!/usr/bin/env bash
# Builds AuthGate and serves it behind nginx on http://127.0.0.1:8080 with
# the configuration in .env (SQLite by default). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
if [ -z "${FLASK_SECRET_KEY:-}${FLASK_JWT_SECRET_KEY:-}" ] \
   && ! grep -qE '^\s*(export\s+)?FLASK_(JWT_)?SECRET_KEY\s*=\s*\S' .env 2>/dev/null; then
    echo "FLASK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .env
    echo "run: no secret was configured; wrote a new random FLASK_SECRET_KEY to .env"
fi
mkdir -p .run/nginx
bin="$(swift build -c release --show-bin-path)/authgate"
"$bin" serve < /dev/null &
authgate=$!
stop() {
    kill -TERM "$authgate" 2>/dev/null
    nginx -p "$PWD/.run/nginx/" -c "$PWD/nginx.conf" -e stderr -s quit 2>/dev/null
    wait "$authgate" 2>/dev/null
}
trap stop EXIT
trap 'exit 0' INT TERM
nginx -p "$PWD/.run/nginx/" -c "$PWD/nginx.conf" -e stderr
echo "run: AuthGate is on http://127.0.0.1:8080 (try: curl http://127.0.0.1:8080/healthz); Ctrl-C stops it"
wait $authgate
