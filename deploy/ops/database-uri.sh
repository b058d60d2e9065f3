# Sourced by deploy/ops/backup.sh and deploy/ops/restore.sh: which database
# AuthGate uses, resolved as AuthGate resolves FLASK_SQLALCHEMY_DATABASE_URI.
# Never prints a password.

# The URI: the -d argument, else FLASK_SQLALCHEMY_DATABASE_URI from the
# environment, else from ./.env (a plain KEY=value line), else AuthGate's
# default.
database_uri() {
    local given=$1 line
    if [ -n "$given" ]; then printf '%s\n' "$given"; return; fi
    if [ -n "${FLASK_SQLALCHEMY_DATABASE_URI:-}" ]; then printf '%s\n' "$FLASK_SQLALCHEMY_DATABASE_URI"; return; fi
    if [ -f .env ] && line=$(grep -E '^[[:space:]]*(export[[:space:]]+)?FLASK_SQLALCHEMY_DATABASE_URI=' .env | tail -n 1); then
        line=${line#*=}
        line=${line%\"}; line=${line#\"}; line=${line%\'}; line=${line#\'}
        printf '%s\n' "$line"
        return
    fi
    printf '%s\n' "sqlite:///db.sqlite"
}

# "sqlite" or "postgres", or fails naming the scheme it does not know.
database_kind() {
    case $1 in
        sqlite:*) echo sqlite ;;
        postgres://*|postgresql://*|postgresql+*://*) echo postgres ;;
        *) echo "unsupported database URI scheme: ${1%%:*}" >&2; return 1 ;;
    esac
}

# The file of a sqlite: URI, as Flask-SQLAlchemy 3 resolves it:
# sqlite:////abs/path is /abs/path, sqlite:///rel is instance/rel under the
# current directory. A query string is dropped.
sqlite_path() {
    local rest=${1#sqlite://}
    rest=${rest%%\?*}
    case $rest in
        ""|/|/:memory:) echo "an in-memory SQLite database has nothing to back up" >&2; return 1 ;;
        //*) printf '%s\n' "${rest#/}" ;;
        /*) printf '%s/instance/%s\n' "$PWD" "${rest#/}" ;;
        *) echo "not a sqlite:/// URI" >&2; return 1 ;;
    esac
}

# Splits a PostgreSQL URI into one libpq accepts with no password in it
# (PG_URI, safe to pass as an argument: arguments are visible to every
# local user in ps) and the password (PG_PASSWORD, decoded), taken from
# the user part or a password= query parameter.
pg_split() {
    local uri=$1 scheme rest user="" query="" kept="" param value
    PG_PASSWORD=""
    if [[ ! $uri =~ ^(postgres|postgresql)(\+[A-Za-z0-9_]+)?://(.*)$ ]]; then
        echo "not a PostgreSQL URI" >&2; return 1
    fi
    rest=${BASH_REMATCH[3]}
    if [[ $rest =~ ^([^@/?]*)@(.*)$ ]]; then
        user=${BASH_REMATCH[1]}
        rest=${BASH_REMATCH[2]}
        if [[ $user == *:* ]]; then
            PG_PASSWORD=${user#*:}
            user=${user%%:*}
        fi
    fi
    if [[ $rest == *\?* ]]; then
        query=${rest#*\?}
        rest=${rest%%\?*}
        local IFS='&'
        for param in $query; do
            if [[ $param == password=* ]]; then
                PG_PASSWORD=${param#password=}
            elif [ -n "$param" ]; then
                kept=${kept:+$kept&}$param
            fi
        done
    fi
    # Percent-decoding, as libpq decodes the URI's parts (backslashes kept
    # as they are: printf %b would read them as escapes).
    value=${PG_PASSWORD//\\/\\\\}
    PG_PASSWORD=$(printf '%b' "${value//%/\\x}")
    PG_URI="postgresql://${user:+$user@}$rest${kept:+?$kept}"
}

# Writes a libpq password file for PG_PASSWORD into the folder $1 and
# exports PGPASSFILE: the password reaches pg_dump and pg_restore without
# being an argument or an environment variable.
pg_passfile() {
    local file=$1/pgpass escaped
    [ -n "$PG_PASSWORD" ] || return 0
    escaped=${PG_PASSWORD//\\/\\\\}
    escaped=${escaped//:/\\:}
    (umask 077 && printf '*:*:*:*:%s\n' "$escaped" > "$file")
    export PGPASSFILE=$file
}
