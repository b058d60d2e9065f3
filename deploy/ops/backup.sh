#!/usr/bin/env bash
# Backs up AuthGate's database while the service keeps serving:
#   deploy/ops/backup.sh [-d DATABASE_URI] OUTPUT
# The database is the -d URI, else FLASK_SQLALCHEMY_DATABASE_URI (the
# environment, then ./.env), else AuthGate's default sqlite:///db.sqlite
# (instance/db.sqlite under the current directory): run it where AuthGate
# runs. OUTPUT is written whole or not at all (a partial file is removed).
# - SQLite (WAL mode): `VACUUM INTO`, one consistent snapshot taken inside a
#   read transaction, so writers go on meanwhile; checked with
#   PRAGMA integrity_check. OUTPUT is a plain SQLite database file.
# - PostgreSQL: pg_dump in its custom format (one consistent snapshot; the
#   whole database: users, token_blocklist, AuthGate's own tables, triggers),
#   checked by listing it with pg_restore. pg_dump must be at least the
#   server's major version.
# Secrets: the password never appears in an argument (visible in ps) or in
# what this prints.
set -euo pipefail
. "$(dirname "$0")/database-uri.sh"

usage() { echo "usage: $0 [-d DATABASE_URI] OUTPUT" >&2; exit 2; }
given=""
while getopts "d:" opt; do
    case $opt in d) given=$OPTARG ;; *) usage ;; esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
out=$1
[ ! -e "$out" ] || { echo "backup: $out exists; name a new file" >&2; exit 1; }

uri=$(database_uri "$given")
kind=$(database_kind "$uri")
work=$(mktemp -d "${TMPDIR:-/tmp}/authgate-backup.XXXXXX")
partial="$out.partial.$$"
cleanup() { rm -rf "$work"; rm -f "$partial"; }
trap cleanup EXIT
umask 077  # a backup holds every password hash

case $kind in
sqlite)
    db=$(sqlite_path "$uri")
    [ -f "$db" ] || { echo "backup: no SQLite database at $db" >&2; exit 1; }
    # SQL string literal: quotes doubled.
    target=${partial//\'/\'\'}
    sqlite3 -bail -cmd ".timeout 20000" "$db" "VACUUM INTO '$target';"
    check=$(sqlite3 "$partial" "PRAGMA integrity_check;")
    [ "$check" = ok ] || { echo "backup: the copy fails integrity_check: $check" >&2; exit 1; }
    what="SQLite $db"
    ;;
postgres)
    pg_split "$uri"
    pg_passfile "$work"
    pg_dump --format=custom --no-owner --no-privileges --file "$partial" --dbname "$PG_URI"
    pg_restore --list "$partial" > /dev/null
    what="PostgreSQL ${PG_URI%%\?*}"
    ;;
esac

mv "$partial" "$out"
echo "backup: $what -> $out ($(wc -c < "$out") bytes)"
