#!/usr/bin/env bash
# The docker-compose stack for real: a private Docker engine, base images
# made with debootstrap, local stand-ins tagged with the official image
# names (no registry is reachable here), then the very docker-compose.yml
# and Dockerfile users get. Registers, logs in, checks that only nginx's
# workers reach the FastCGI socket, restarts containers, crashes authgate
# and waits for its restart policy to bring it back, checks the data
# survived, and removes every daemon, bridge and firewall rule it added.
# Built images stay in /var/lib/authgate-compose as a cache. Every wait is
# bounded and no check depends on timing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/check-swift.sh compose-test
scripts/install-deps.sh --compose
scripts/compose-env.sh

state=${AUTHGATE_COMPOSE_STATE:-/var/lib/authgate-compose}
run=$(mktemp -d /tmp/authgate-compose.XXXXXX)
mkdir -p "$state"
export DOCKER_HOST="unix://$run/docker.sock"
project=authgate-ci
compose() { docker-compose -p "$project" "$@"; }

iptables-save > "$run/iptables.v4" 2>/dev/null || true
ip6tables-save > "$run/iptables.v6" 2>/dev/null || true
had_bridge=no
ip link show docker0 >/dev/null 2>&1 && had_bridge=yes

cleanup() {
    set +e
    if [ -S "$run/docker.sock" ]; then
        compose down -v --remove-orphans >/dev/null 2>&1
        docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
    fi
    if [ -n "${dockerd_pid:-}" ]; then
        kill "$dockerd_pid" 2>/dev/null
        for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    fi
    pkill -f "containerd.*$run" 2>/dev/null
    [ "$had_bridge" = no ] && ip link delete docker0 2>/dev/null
    [ -s "$run/iptables.v4" ] && iptables-restore < "$run/iptables.v4"
    [ -s "$run/iptables.v6" ] && ip6tables-restore < "$run/iptables.v6"
    rm -rf "$run"
}
trap cleanup EXIT

echo "compose-test: starting a private Docker engine"
dockerd --data-root "$state/docker" --exec-root "$run/exec" --pidfile "$run/dockerd.pid" \
        -H "$DOCKER_HOST" > "$run/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
docker info >/dev/null || { cat "$run/dockerd.log"; exit 1; }

have() { docker image inspect "$1" >/dev/null 2>&1; }
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
if ! have debian:bookworm-slim; then
    echo "compose-test: debian:bookworm-slim from debootstrap ($mirror)"
    debootstrap --variant=minbase bookworm "$run/rootfs" "$mirror" > "$run/debootstrap.log" 2>&1 \
        || { tail -20 "$run/debootstrap.log"; exit 1; }
    rm -rf "$run/rootfs"/var/cache/apt/archives/*.deb "$run/rootfs"/var/lib/apt/lists/*
    tar -C "$run/rootfs" -c . | docker import - debian:bookworm-slim >/dev/null
    rm -rf "$run/rootfs"
fi
if ! have nginx:1.27; then
    echo "compose-test: stand-in nginx:1.27"
    docker build -q -t nginx:1.27 deploy/compose/standins/nginx >/dev/null
fi
# Built every time (its layers are cached): its entrypoint changes with the stack.
echo "compose-test: stand-in postgres:15"
docker build -q -t postgres:15 deploy/compose/standins/postgres >/dev/null
if ! have swift:6.3-bookworm; then
    toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
    echo "compose-test: stand-in swift:6.3-bookworm from $toolchain"
    docker build -q -t swift:6.3-bookworm -f - "$toolchain" < deploy/compose/standins/swift/Dockerfile >/dev/null
fi

echo "compose-test: checking the compose file and its nginx configuration"
compose config -q
docker run --rm -v "$root/deploy/compose/nginx.conf:/etc/nginx/nginx.conf:ro" \
    -v "$root/deploy/forward-auth:/etc/nginx/authgate:ro" nginx:1.27 nginx -t -q

# The build context carries the resolved packages, so the build needs no network.
swift package resolve >/dev/null
echo "compose-test: building the authgate image"
compose build -q authgate

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export AUTHGATE_HTTP_PORT=$port
echo "compose-test: up on 127.0.0.1:$port"
compose up -d
python3 Tests/Compose/compose_check.py "http://127.0.0.1:$port" register

echo "compose-test: each service holds only its own secrets"
secrets_of() { compose exec -T "$1" sh -c 'ls /run/secrets 2>/dev/null | tr "\n" " "'; }
[ "$(secrets_of postgres)" = "postgres_password " ] || { echo "postgres secrets: $(secrets_of postgres)"; exit 1; }
[ "$(secrets_of authgate)" = "database_uri jwt_secret_key " ] || { echo "authgate secrets: $(secrets_of authgate)"; exit 1; }
[ -z "$(secrets_of nginx)" ] || { echo "nginx secrets: $(secrets_of nginx)"; exit 1; }
jwt_key=$(cat secrets/jwt_secret_key)
for service in postgres nginx; do
    if compose exec -T "$service" env | grep -qF "$jwt_key"; then echo "$service sees the JWT key"; exit 1; fi
done
compose logs --no-color authgate > "$run/authgate.log"
if grep -qF "$jwt_key" "$run/authgate.log"; then echo "the JWT key is in authgate's log"; exit 1; fi

echo "compose-test: only nginx's workers reach the FastCGI socket"
layout=$(compose exec -T nginx stat -c '%A %G %n' /run/authgate /run/authgate/authgate.sock)
echo "$layout" | sed 's/^/  /'
[[ $layout == *"srw-rw---- www-data /run/authgate/authgate.sock"* ]] || { echo "socket is not 0660 www-data"; exit 1; }
# authgate's own healthcheck connects to the socket: as nginx's workers'
# user it must get through, as any other user it must not.
compose exec -T -u www-data -w / authgate authgate healthcheck \
    || { echo "www-data cannot reach the FastCGI socket"; exit 1; }
if compose exec -T -u nobody -w / authgate authgate healthcheck 2> "$run/nobody.log"; then
    echo "user nobody reached the FastCGI socket"; exit 1
fi
grep -q "listener not accepting" "$run/nobody.log" || { cat "$run/nobody.log"; exit 1; }

echo "compose-test: restarting postgres and authgate"
compose restart postgres
compose restart authgate
python3 Tests/Compose/compose_check.py "http://127.0.0.1:$port" verify
# Into a file first: `logs | grep -q` fails under pipefail when grep exits
# before docker-compose has written everything (SIGPIPE).
compose logs --no-color authgate > "$run/authgate.log"
grep -q "draining" "$run/authgate.log" && grep -q "stopped" "$run/authgate.log" \
    || { echo "authgate did not drain on SIGTERM"; tail -20 "$run/authgate.log"; exit 1; }

echo "compose-test: graceful restarts (SIGHUP) under load"
python3 Tests/Compose/compose_check.py "http://127.0.0.1:$port" reload \
    docker-compose -p "$project" kill -s HUP authgate
compose logs --no-color authgate > "$run/authgate.log"
[ "$(grep -c "old one draining" "$run/authgate.log")" -ge 3 ] \
    || { echo "authgate did not restart gracefully 3 times"; tail -20 "$run/authgate.log"; exit 1; }

echo "compose-test: crashing authgate; its restart policy must bring it back"
cid=$(compose ps -q authgate)
restarts=$(docker inspect -f '{{.RestartCount}}' "$cid")
pid=$(docker inspect -f '{{.State.Pid}}' "$cid")
# A crash is the process dying under docker: `docker kill` would count as
# a deliberate stop, which the restart policy leaves stopped.
kill -KILL "$pid"
state=""
for _ in $(seq 1 180); do
    state=$(docker inspect -f '{{.RestartCount}} {{.State.Pid}} {{.State.Health.Status}}' "$cid")
    read -r count newpid health <<< "$state"
    [ "$count" -gt "$restarts" ] && [ "$newpid" != "$pid" ] && [ "$health" = healthy ] && break
    sleep 1
done
echo "  restarts, pid, health: $state"
[ "$count" -gt "$restarts" ] && [ "$health" = healthy ] || { echo "authgate did not come back after a crash"; exit 1; }
python3 Tests/Compose/compose_check.py "http://127.0.0.1:$port" verify

compose down -v
echo "compose-test: 1 passed, 0 failed"
