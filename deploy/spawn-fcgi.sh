#!/usr/bin/env bash
# Starts AuthGate under spawn-fcgi: spawn-fcgi binds the socket and passes
# it on fd 0 (the FastCGI convention), which AuthGate uses when
# AUTHGATE_LISTEN is unset. Run from the folder holding .env.
#   deploy/spawn-fcgi.sh             unix socket /run/authgate/authgate.sock,
#                                    0660 with nginx's group (www-data), in a
#                                    folder only root and that group may enter
#   deploy/spawn-fcgi.sh HOST PORT   TCP instead, only when asked for
# AUTHGATE_SOCKET_DIR (a folder of its own) and AUTHGATE_SOCKET_GROUP
# change the folder and the group.
set -euo pipefail
bin=$(command -v "${AUTHGATE_BIN:-authgate}")
unset AUTHGATE_LISTEN
case $# in
    0) ;;
    2) exec spawn-fcgi -n -a "$1" -p "$2" -- "$bin" serve ;;
    *) echo "usage: $0 [HOST PORT]" >&2; exit 2 ;;
esac
dir=${AUTHGATE_SOCKET_DIR:-/run/authgate}
group=${AUTHGATE_SOCKET_GROUP:-www-data}
install -d -m 2750 -g "$group" "$dir"
exec spawn-fcgi -n -s "$dir/authgate.sock" -M 0660 -G "$group" -- "$bin" serve
