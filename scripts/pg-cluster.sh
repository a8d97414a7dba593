#!/usr/bin/env bash
# A throwaway PostgreSQL cluster (Debian's postgresql, 15 on Debian 12) for tests, benchmarks and
# scripts/scale-up.sh. No TCP port: the server listens on a Unix socket in its own temporary
# folder, so parallel runs never collide. Run as root, the server runs as the `postgres` user.
#
#   pg-cluster.sh start STATE_DIR [--fast]   initdb + start; prints the store URL of database zta
#   pg-cluster.sh stop STATE_DIR             stops the server and removes its folder
#   pg-cluster.sh restart STATE_DIR          stops and starts it again (fault tests)
#   pg-cluster.sh halt STATE_DIR             stops the server, keeping its data (start resumes)
#   pg-cluster.sh url STATE_DIR              prints the URL again
#
# STATE_DIR keeps `socket_dir` (where the cluster lives) and `url`. --fast turns fsync off: for
# tests only, where a crash of the machine may lose the throwaway data.
set -euo pipefail

usage() { echo "usage: $0 start|stop|restart|halt|url STATE_DIR [--fast]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1 state=$2 fast=${3:-}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
  echo "pg-cluster: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 3
fi

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$state"
  local dir
  if [[ -f $state/socket_dir && -d $(cat "$state/socket_dir")/data ]]; then
    dir=$(cat "$state/socket_dir")
  else
    dir=$(mktemp -d /tmp/zta-pg.XXXXXX)
    chmod 0755 "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres "$dir"; fi
    as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "$dir" >"$state/socket_dir"
  fi
  # A new cluster has no WAL segments to recycle yet: each new 16 MB segment would be zero-filled
  # and fsynced while commits wait (100 ms stalls every few seconds under the audit's write
  # load). wal_init_zero=off only extends the file; durability is the same (docs/scale.md).
  local extra="-c listen_addresses= -c max_connections=200 -c wal_init_zero=off"
  if [[ $fast == --fast || -f $dir/fast ]]; then
    extra+=" -c fsync=off -c full_page_writes=off"
    touch "$dir/fast"
  fi
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -p 5432 $extra" start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
  if ! as_pg "$bindir/psql" -h "$dir" -p 5432 -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'zta'" postgres | grep -q 1; then
    as_pg "$bindir/createdb" -h "$dir" -p 5432 -U postgres zta
  fi
  echo "postgresql://postgres@/zta?host=$dir&port=5432" | tee "$state/url"
}

stop() {
  [[ -f $state/socket_dir ]] || return 0
  local dir
  dir=$(cat "$state/socket_dir")
  if [[ -d $dir/data ]]; then
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ ${1:-} == remove ]]; then
    rm -rf "$dir"
    rm -f "$state/socket_dir" "$state/url"
  fi
}

case $cmd in
  start) start ;;
  stop) stop remove ;;
  restart) stop; start >/dev/null ;;
  halt) stop ;;
  url) cat "$state/url" ;;
  *) usage ;;
esac
