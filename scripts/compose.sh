#!/usr/bin/env bash
# `make up` / `make down`: the docker-compose stack (PostgreSQL, AuthGate
# built from the Dockerfile, nginx) on http://127.0.0.1:${AUTHGATE_HTTP_PORT:-8080},
# on a machine whose Docker can pull the official images.
#   scripts/compose.sh up     compose.env with fresh secrets the first time
#                             (scripts/compose-env.sh), `up -d --build`, then
#                             waits until nginx answers /healthz with 200
#                             (AUTHGATE_UP_WAIT seconds, default 180)
#   scripts/compose.sh down   stops and removes the containers; the database
#                             volume stays (`docker compose down -v` drops it)
# `docker compose` (the plugin) when there is one, else docker-compose.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    echo "compose: needs Docker with the compose plugin (docker compose), or docker-compose" >&2
    exit 1
fi

case ${1:-} in
up)
    scripts/compose-env.sh
    "${compose[@]}" up -d --build
    port=${AUTHGATE_HTTP_PORT:-8080}
    wait=${AUTHGATE_UP_WAIT:-180}
    url="http://127.0.0.1:$port/healthz"
    deadline=$((SECONDS + wait))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)" = 200 ]; do
        if [ $SECONDS -ge $deadline ]; then
            echo "compose: $url did not answer 200 within ${wait}s; see \`${compose[*]} ps\` and \`${compose[*]} logs\`" >&2
            exit 1
        fi
        sleep 1
    done
    echo "compose: AuthGate serves on http://127.0.0.1:$port (make down stops it)"
    ;;
down)
    "${compose[@]}" down
    ;;
*)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
