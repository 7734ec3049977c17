#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests: a fresh data folder in a temp dir, listening
# on 127.0.0.1 on a free port (never 5432, so a cluster that Debian's package started on its own
# does not matter), its socket in the data folder, trust authentication, run as the unprivileged
# `postgres` user (initdb and the server refuse root). Installs nothing: .ci/run installs Debian's
# `postgresql` package.
#
# Usage (in .ci/run):
#   eval "$(bash .ci/postgres.sh)"
#   trap 'bash .ci/postgres.sh stop "$NEWSLETTER_TEST_POSTGRES_DIR"' EXIT
# Prints `export NEWSLETTER_TEST_POSTGRES_URL=postgresql://newsletter@127.0.0.1:PORT/postgres` and
# `export NEWSLETTER_TEST_POSTGRES_DIR=…` on stdout; everything else goes to stderr.
set -euo pipefail

USER_NAME="newsletter"

# initdb and pg_ctl: on PATH (e.g. /usr/local/bin), else Debian's versioned folder, newest first.
find_bin() {
  local name="$1" found
  if found="$(command -v "$name" 2>/dev/null)"; then
    echo "$found"
    return 0
  fi
  for found in $(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V -r); do
    echo "$found"
    return 0
  done
  echo "postgres.sh: $name not found on PATH nor under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
  return 1
}

# Run as the unprivileged postgres user when we are root; as ourselves otherwise.
as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ "${1:-}" = "stop" ]; then
  DIR="${2:?usage: postgres.sh stop DIR}"
  PG_CTL="$(find_bin pg_ctl)"
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_server_user "$PG_CTL" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  exit 0
fi

INITDB="$(find_bin initdb)"
PG_CTL="$(find_bin pg_ctl)"

DIR="$(mktemp -d "${TMPDIR:-/tmp}/newsletter-pg.XXXXXX")"
started=""
trap '[ -n "$started" ] || rm -rf "$DIR"' EXIT
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "postgres.sh: no 'postgres' user (apt-get install postgresql)" >&2; exit 1; }
  chown postgres: "$DIR"
fi

# A free port, asked of the kernel; a race with another process taking it is retried below.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_server_user "$INITDB" -D "$DIR/data" -A trust -U "$USER_NAME" -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 || {
  echo "postgres.sh: initdb failed:" >&2
  cat "$DIR/initdb.log" >&2
  exit 1
}

for _ in 1 2 3; do
  PORT="$(free_port)"
  if as_server_user "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" \
    -o "-h 127.0.0.1 -p $PORT -k $DIR/data -c fsync=off -c max_connections=200" -w -t 60 start >&2; then
    started=1
    echo "postgres.sh: PostgreSQL listens on 127.0.0.1:$PORT (data in $DIR)" >&2
    echo "export NEWSLETTER_TEST_POSTGRES_URL=postgresql://$USER_NAME@127.0.0.1:$PORT/postgres"
    echo "export NEWSLETTER_TEST_POSTGRES_DIR=$DIR"
    exit 0
  fi
done
echo "postgres.sh: PostgreSQL did not start; see below" >&2
tail -n 20 "$DIR/server.log" >&2 || true
exit 1
