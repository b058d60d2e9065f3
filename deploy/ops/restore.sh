#!/usr/bin/env bash
# Restores a backup made by deploy/ops/backup.sh:
#   deploy/ops/restore.sh [-d DATABASE_URI] [--replace] BACKUP
# The database is found as backup.sh finds it. Stop AuthGate first
# (systemctl stop authgate, docker compose stop authgate): its PostgreSQL
# read cache learns of changes through triggers that a restore does not fire.
# Without --replace the target must be empty (a new SQLite file, or a
# PostgreSQL database with no `users` table); nothing is overwritten.
# With --replace:
# - SQLite: the current file is first copied beside itself
#   (db.sqlite.before-restore-TIMESTAMP), then overwritten;
# - PostgreSQL: AuthGate's objects are dropped and recreated
#   (pg_restore --clean) in one transaction: any failure changes nothing.
set -euo pipefail
. "$(dirname "$0")/database-uri.sh"

usage() { echo "usage: $0 [-d DATABASE_URI] [--replace] BACKUP" >&2; exit 2; }
given="" replace=0 args=()
while [ $# -gt 0 ]; do
    case $1 in
        -d) [ $# -ge 2 ] || usage; given=$2; shift 2 ;;
        --replace) replace=1; shift ;;
        -*) usage ;;
        *) args+=("$1"); shift ;;
    esac
done
[ ${#args[@]} -eq 1 ] || usage
backup=${args[0]}
[ -f "$backup" ] || { echo "restore: no backup file $backup" >&2; exit 1; }

uri=$(database_uri "$given")
kind=$(database_kind "$uri")
work=$(mktemp -d "${TMPDIR:-/tmp}/authgate-restore.XXXXXX")
trap 'rm -rf "$work"' EXIT

case $kind in
sqlite)
    db=$(sqlite_path "$uri")
    # sqlite3's dot-commands take quoted file names: refuse quotes in them.
    case "$backup$db" in *[\'\"]*|*$'\n'*) echo "restore: quotes or newlines in a file name" >&2; exit 1 ;; esac
    check=$(sqlite3 "$backup" "PRAGMA integrity_check;" 2>&1) || true
    [ "$check" = ok ] || { echo "restore: $backup is not a sound SQLite database: $check" >&2; exit 1; }
    if [ -s "$db" ]; then
        [ $replace -eq 1 ] || { echo "restore: $db exists; --replace to overwrite it (a copy is kept)" >&2; exit 1; }
        keep="$db.before-restore-$(date +%Y%m%dT%H%M%S)"
        (umask 077 && sqlite3 -bail -cmd ".timeout 20000" "$db" ".backup '$keep'")
        echo "restore: kept the current database as $keep"
    fi
    mkdir -p "$(dirname "$db")"
    # The backup API copies page by page through the target's own journal
    # (WAL included), so no stale -wal or -shm file can outlive the restore.
    (umask 077 && sqlite3 -bail -cmd ".timeout 20000" "$db" ".restore '$backup'")
    check=$(sqlite3 "$db" "PRAGMA integrity_check;")
    [ "$check" = ok ] || { echo "restore: integrity_check after restore: $check" >&2; exit 1; }
    what="SQLite $db"
    ;;
postgres)
    pg_split "$uri"
    pg_passfile "$work"
    pg_restore --list "$backup" > /dev/null
    clean=()
    if [ $replace -eq 1 ]; then
        clean=(--clean --if-exists)
    elif [ -n "$(psql -X -q -t -A -v ON_ERROR_STOP=1 --dbname "$PG_URI" -c "SELECT to_regclass('users')")" ]; then
        echo "restore: the database already has a users table; --replace to overwrite it" >&2
        exit 1
    fi
    pg_restore --no-owner --no-privileges --exit-on-error --single-transaction "${clean[@]}" \
        --dbname "$PG_URI" "$backup"
    what="PostgreSQL ${PG_URI%%\?*}"
    ;;
esac

echo "restore: $backup -> $what"
