#!/usr/bin/env bash
# Installs what AuthGate needs on Debian 12, only what is missing:
# the C libraries it links, nginx, PostgreSQL (tests), wrk and spawn-fcgi.
set -euo pipefail
packages=(libfcgi-dev libfcgi-bin libpq-dev libssl-dev libsqlite3-dev pkg-config
          nginx postgresql postgresql-client wrk spawn-fcgi curl ca-certificates systemd)
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
# --compose: what the docker-compose test needs too.
[ "${1:-}" = "--compose" ] && packages+=(docker.io docker-compose debootstrap iptables iproute2)
missing=()
for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's nginx package starts a system nginx on :80 where it can; AuthGate's
# nginx runs from its own prefix and needs none of it.
