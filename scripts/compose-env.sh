#!/usr/bin/env bash
# Writes compose.env (git-ignored) with fresh secrets for docker-compose,
# unless one exists.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f compose.env ] && exit 0
rand() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
pw=$(rand)
umask 077
cat > compose.env <<ENV
POSTGRES_USER=authgate
POSTGRES_DB=authgate
POSTGRES_PASSWORD=$pw
FLASK_SQLALCHEMY_DATABASE_URI=postgresql://authgate:$pw@postgres:5432/authgate
FLASK_SECRET_KEY=$(rand)$(rand)
ENV
echo "compose-env: wrote compose.env with fresh secrets"
