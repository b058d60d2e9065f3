#!/usr/bin/env bash
# Writes the secrets docker-compose.yml mounts (secrets/, git-ignored, the
# folder 0700) and compose.env (AuthGate's non-secret settings), each only
# where it does not exist yet. A compose.env from before secrets/ existed
# held the secrets itself: they are moved into secrets/ (the database
# volume keeps its password) and compose.env is rewritten without them.
set -euo pipefail
cd "$(dirname "$0")/.."
rand() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
old() { [ -f compose.env ] && sed -n "s/^$1=//p" compose.env | tail -1 || true; }

umask 077
mkdir -p secrets
chmod 700 secrets
pw=$(old POSTGRES_PASSWORD)
key=$(old FLASK_SECRET_KEY)
[ -n "$pw" ] || pw=$(rand)
[ -n "$key" ] || key=$(rand)$(rand)
wrote=no
secret() {  # name value: 0644 inside the 0700 folder, so the containers' users can read it
    [ -s "secrets/$1" ] && return 0
    printf '%s\n' "$2" > "secrets/$1"
    chmod 644 "secrets/$1"
    wrote=yes
}
if [ ! -s secrets/postgres_password ]; then
    secret postgres_password "$pw"
    rm -f secrets/database_uri  # it holds the password: written with it
fi
pw=$(cat secrets/postgres_password)
secret database_uri "postgresql://authgate:$pw@postgres:5432/authgate"
secret jwt_secret_key "$key"

if [ ! -f compose.env ] || grep -qE '^(POSTGRES_PASSWORD|FLASK_SECRET_KEY|FLASK_SQLALCHEMY_DATABASE_URI)=' compose.env; then
    [ -f compose.env ] && mv compose.env compose.env.old
    cat > compose.env <<ENV
# AuthGate's settings for docker-compose (see README): no secrets here,
# they are files in secrets/.
ENV
    [ -f compose.env.old ] && grep -vE '^(POSTGRES_[A-Z]+|FLASK_SECRET_KEY|FLASK_SQLALCHEMY_DATABASE_URI)=' compose.env.old >> compose.env || true
    rm -f compose.env.old
    wrote=yes
fi
[ "$wrote" = yes ] && echo "compose-env: wrote secrets/ and compose.env" || true
