#!/usr/bin/env bash
# Builds AuthGate and serves it behind nginx on http://127.0.0.1:8080 with
# the configuration in .env (SQLite by default). Ctrl-C (SIGINT to the whole
# terminal group) or SIGTERM stops both and exits 0. The responder's pid is
# in .run/authgate.pid (`make reload` sends it SIGHUP: a graceful restart).
#
# Only nginx reaches AuthGate: the FastCGI socket is a unix socket in a
# folder only nginx's workers may enter (mode 2750, the group of nginx.conf's
# `user`, so the socket AuthGate makes 0660 gets that group). Running as
# another user than root, nginx's workers are that user and the folder 0700.
#
# Environment: AUTHGATE_HTTP_PORT (8080); AUTHGATE_METRICS_PORT (9145, the
# loopback-only Prometheus server of nginx.conf); AUTHGATE_SOCKET_DIR, a folder of
# its own (/run/authgate as root, else .run/authgate); AUTHGATE_LISTEN=host:port
# to use TCP instead; AUTHGATE_BIN to serve that binary without installing
# or building anything.
set -euo pipefail
cd "$(dirname "$0")/.."
# The one thing apt cannot install: said before anything is installed.
[ -n "${AUTHGATE_BIN:-}" ] || scripts/check-swift.sh run

authgate="" nginx="" sock=""
pidfile=.run/authgate.pid
if [ -s "$pidfile" ] && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" = authgate ]; then
    echo "run: AuthGate is already running (pid $(cat "$pidfile")); stop that one first" >&2
    exit 1
fi

# Stops both children (SIGTERM drains AuthGate, SIGQUIT lets nginx finish
# its requests), each within 30 s. Runs on every exit; under `set -e` one
# failing `kill` would abort it, so errors are off, and a second Ctrl-C
# must not cut it short.
stop() {
    set +e
    trap '' INT TERM HUP
    [ -n "$authgate" ] && kill -TERM "$authgate" 2>/dev/null
    [ -n "$nginx" ] && kill -QUIT "$nginx" 2>/dev/null
    for pid in $authgate $nginx; do
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "run: pid $pid did not stop within 30 s; killing it" >&2
            pkill -KILL -P "$pid"
            kill -KILL "$pid"
        fi
        wait "$pid" 2>/dev/null
    done
    rm -f "$pidfile"
    [ -n "$sock" ] && rm -f "$sock"
}
trap stop EXIT
trap 'exit 0' INT TERM
trap 'exit 129' HUP

port=${AUTHGATE_HTTP_PORT:-8080}
[[ $port =~ ^[0-9]+$ ]] || { echo "run: AUTHGATE_HTTP_PORT must be a port number" >&2; exit 1; }
metrics_port=${AUTHGATE_METRICS_PORT:-9145}
[[ $metrics_port =~ ^[0-9]+$ ]] || { echo "run: AUTHGATE_METRICS_PORT must be a port number" >&2; exit 1; }

if [ -n "${AUTHGATE_BIN:-}" ]; then
    bin=$AUTHGATE_BIN
else
    scripts/install-deps.sh run
    swift build -c release --product authgate
    bin="$(swift build -c release --show-bin-path)/authgate"
fi

# .env holds the signing secret: never readable by others.
if [ -e .env ] && (( 8#$(stat -L -c %a .env) & 8#077 )); then
    chmod go= .env
    echo "run: .env was readable by other users; it is now 0600"
fi
# A key given as a file (NAME_FILE, docs/keys.md) counts: writing the
# variable as well would make AuthGate refuse to start (both set).
if [ -z "${FLASK_SECRET_KEY:-}${FLASK_JWT_SECRET_KEY:-}${FLASK_SECRET_KEY_FILE:-}${FLASK_JWT_SECRET_KEY_FILE:-}" ] \
   && ! grep -qE '^\s*(export\s+)?FLASK_(JWT_)?SECRET_KEY(_FILE)?\s*=\s*\S' .env 2>/dev/null; then
    (umask 077; echo "FLASK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .env)
    echo "run: no secret was configured; wrote a new random FLASK_SECRET_KEY to .env"
fi

mkdir -p .run/nginx
if [ -n "${AUTHGATE_LISTEN:-}" ]; then
    [[ $AUTHGATE_LISTEN != unix:* ]] || { echo "run: for a unix socket set AUTHGATE_SOCKET_DIR, not AUTHGATE_LISTEN" >&2; exit 1; }
    listen=$AUTHGATE_LISTEN
else
    default_dir=.run/authgate
    [ "$(id -u)" -ne 0 ] || default_dir=/run/authgate
    sockdir=${AUTHGATE_SOCKET_DIR:-$default_dir}
    # Its mode and group are set below: refuse a folder that holds anything else.
    if [ -d "$sockdir" ] && [ -n "$(find "$sockdir" -mindepth 1 -maxdepth 1 ! -name authgate.sock -print -quit)" ]; then
        echo "run: $sockdir holds other files; AUTHGATE_SOCKET_DIR must be a folder of its own" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        # `user NAME [GROUP];` in nginx.conf: the workers' group.
        group=$(awk '$1 == "user" { sub(/;$/, ""); print ($3 != "" ? $3 : $2); exit }' nginx.conf)
        [ -n "$group" ] || { echo "run: nginx.conf names no user" >&2; exit 1; }
        install -d -m 2750 -g "$group" "$sockdir"
    else
        install -d -m 0700 "$sockdir"
    fi
    sockdir=$(cd "$sockdir" && pwd)
    sock=$sockdir/authgate.sock
    listen=unix:$sock
fi

# nginx.conf with only its addresses changed: the HTTP and metrics ports and
# the upstream. Its access log is .run/nginx/access.log.
for line in 'listen 127.0.0.1:8080;' 'listen 127.0.0.1:9145;' 'server unix:/run/authgate/authgate.sock;'; do
    grep -qF "$line" nginx.conf || { echo "run: nginx.conf lacks \"$line\"" >&2; exit 1; }
done
sed -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
    -e "s|listen 127.0.0.1:9145;|listen 127.0.0.1:$metrics_port;|" \
    -e "s|server unix:/run/authgate/authgate.sock;|server $listen;|" nginx.conf > .run/nginx/nginx.conf

# --supervise: the pid stays the same across `make reload` (SIGHUP starts a
# new responder on the same socket and drains the old one).
AUTHGATE_LISTEN=$listen "$bin" serve --supervise < /dev/null &
authgate=$!
echo "$authgate" > "$pidfile"
rm -f .run/nginx/nginx.pid
nginx -p "$PWD/.run/nginx/" -c "$PWD/.run/nginx/nginx.conf" -e stderr -g 'daemon off;' < /dev/null &
nginx=$!

# nginx writes its pid file once it listens; AuthGate makes its socket.
for _ in $(seq 200); do
    kill -0 "$nginx" 2>/dev/null && kill -0 "$authgate" 2>/dev/null || break
    [ -s .run/nginx/nginx.pid ] && { [ -z "$sock" ] || [ -S "$sock" ]; } && break
    sleep 0.1
done
if kill -0 "$nginx" 2>/dev/null && kill -0 "$authgate" 2>/dev/null; then
    echo "run: AuthGate (pid $authgate) is on http://127.0.0.1:$port (try: curl http://127.0.0.1:$port/healthz); Ctrl-C stops it"
    echo "run: metrics on http://127.0.0.1:$metrics_port/metrics (loopback only); request log in .run/nginx/access.log (AuthGate's own per-request lines: FLASK_DEBUG or AUTHGATE_REQUEST_LOG)"
fi
# Returns when either stops by itself; its status is the script's.
wait -n "$authgate" "$nginx"
