#!/usr/bin/env bash
# Scale-out benchmark (`make bench-scale`, not part of `make test`; docs/scale.md, "Sizing"):
# wrk against POST /token (client_credentials, client_secret_basic, ES256) of
#   sqlite  one `zta idp serve` on a data folder,
#   pg      one node on PostgreSQL,
#   pg2     two nodes on that PostgreSQL behind HAProxy,
# in one run, with one agent. Every server-side process (nodes, HAProxy, PostgreSQL) is pinned
# to core 0 and wrk to core 1, so the three share the same one core: pg2_vs_pg shows what
# HAProxy and a second node cost on a core, not what a second core would add. It also reads
# each process's CPU time (utime + stime, /proc/PID/stat) to give the CPU per token of each.
# The last lines are the figures:
#   sqlite_tokens_per_s N sqlite_p99_ms MS, pg_tokens_per_s N pg_p99_ms MS,
#   pg2_tokens_per_s N pg2_p99_ms MS, pg_vs_sqlite R, pg2_vs_pg R, errors (must be 0),
#   cpu_us_per_token of node, postgres and haproxy for pg and pg2.
# Environment: SECS (measured seconds, default 10), CONNS (default 16), WARMUP_SECS (default 2),
# ZTA (binary; default: a Release build in build-bench/, made here), JOBS (build parallelism).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
SECS=${SECS:-10} CONNS=${CONNS:-16} WARMUP_SECS=${WARMUP_SECS:-2} JOBS=${JOBS:-1}
RESOURCE=https://hotel.example/api
for tool in wrk taskset haproxy curl python3; do
  command -v "$tool" >/dev/null || { echo "bench-scale: $tool is not installed (make deps)" >&2; exit 2; }
done
[[ $(nproc) -ge 2 ]] || { echo "bench-scale: needs 2 cores" >&2; exit 2; }

if [[ -z ${ZTA:-} ]]; then
  echo "=== building zta (Release, build-bench)"
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DZTA_BUILD_TESTS=OFF \
    -DZTA_BUILD_BENCH=ON -DZTA_BUILD_FUZZ=OFF -DZTA_SANITIZE=OFF >/dev/null
  cmake --build build-bench -j "$JOBS" --target zta | tail -n 1
  ZTA=$root/build-bench/zta
fi

work=$(mktemp -d /tmp/zta-bench-scale.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bash scripts/pg-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export ZTA_IDP_KEY_ENCRYPTION_KEY=bench-scale-key-encryption-key

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_healthy() {
  for _ in $(seq 1 300); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1/healthz") == 200 ]] && return 0
    sleep 0.1
  done
  echo "bench-scale: $1 did not become healthy" >&2; exit 1
}
cpu_ticks() {  # PIDs → their summed utime + stime, in clock ticks
  local sum=0
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    sum=$(( sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat") ))
  done
  echo "$sum"
}
postgres_pids() {  # the postmaster of this run's cluster and its children (backends included)
  local pm
  pm=$(head -n 1 "$(cat "$work/pg/socket_dir")/data/postmaster.pid")
  echo "$pm"
  pgrep -P "$pm" || true
}
field() { sed -n "s/.*\b$1 \([0-9.]*\).*/\1/p" <<<"$2"; }

# `load NAME URL PROCESS-GROUPS...`: warms up, then measures; prints the wrk line and, per
# group ("label:pid pid ..."), the CPU per token.
load() {
  local name=$1 url=$2
  shift 2
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARMUP_SECS}s" -s tests/scale/token.lua "$url/token" >/dev/null
  declare -A before
  for group in "$@"; do before[$group]=$(cpu_ticks ${group#*:}); done
  local line
  line=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" -s tests/scale/token.lua "$url/token" | tail -n 1)
  echo "$name: $line" >&2
  eval "${name}_line=\"\$line\""
  local requests tick
  requests=$(field requests "$line")
  tick=$(getconf CLK_TCK)
  for group in "$@"; do
    local used=$(( $(cpu_ticks ${group#*:}) - before[$group] ))
    echo "${name}_cpu_us_per_token_${group%%:*} $(python3 -c "print(round($used * 1e6 / $tick / max($requests, 1), 1))")"
  done
}

start_node() {  # NAME STORE-FLAGS... → sets node_url, node_pid
  local name=$1
  shift
  local port
  port=$(free_port)
  taskset -c 0 "$ZTA" idp "$@" --data "$work/$name" --node-id "$name" serve --listen "127.0.0.1:$port" \
    --issuer "$issuer" >"$work/$name.out" 2>"$work/$name.err" &
  node_pid=$!
  pids+=("$node_pid")
  node_url="http://127.0.0.1:$port"
  wait_healthy "$node_url"
}

issuer="https://idp.example"
# --- the agent, registered in both stores with the same secret is impossible (secrets are made
# by the idp), so one agent per store; the requests are the same.
"$ZTA" idp --data "$work/sqlite" resource add "$RESOURCE" --scopes "hotels:read" >/dev/null
sqlite_agent=$("$ZTA" idp --data "$work/sqlite" agent add bench --owner ops@example.com \
  --resource "$RESOURCE" --scopes hotels:read)
store=$(bash scripts/pg-cluster.sh start "$work/pg")
for p in $(postgres_pids); do taskset -a -p -c 0 "$p" >/dev/null; done
"$ZTA" idp --store "$store" migrate >/dev/null
"$ZTA" idp --store "$store" --data "$work/admin" --node-id admin resource add "$RESOURCE" --scopes "hotels:read" >/dev/null
pg_agent=$("$ZTA" idp --store "$store" --data "$work/admin" --node-id admin agent add bench --owner ops@example.com \
  --resource "$RESOURCE" --scopes hotels:read)
basic_of() {
  python3 -c 'import base64,json,sys; a=json.loads(sys.argv[1]); print(base64.b64encode((a["client_id"]+":"+a["client_secret"]).encode()).decode())' "$1"
}
export ZTA_BODY="grant_type=client_credentials&scope=hotels%3Aread"

echo "=== sqlite: one node on a data folder" >&2
export ZTA_BASIC=$(basic_of "$sqlite_agent")
start_node sqlite
load sqlite "$node_url" "node:$node_pid"
kill "$node_pid"; wait "$node_pid" 2>/dev/null || true

echo "=== pg: one node on PostgreSQL" >&2
export ZTA_BASIC=$(basic_of "$pg_agent")
start_node pg1 --store "$store"
pg1_pid=$node_pid pg1_url=$node_url
load pg "$pg1_url" "node:$pg1_pid" "postgres:$(postgres_pids | tr '\n' ' ')"

echo "=== pg2: two nodes on PostgreSQL behind HAProxy" >&2
start_node pg2 --store "$store"
pg2_pid=$node_pid
lb_port=$(free_port)
sed '/^  # servers$/,$d' examples/scale/haproxy.cfg >"$work/haproxy.cfg"
printf '  server node1 %s check\n  server node2 %s check\n' "${pg1_url#http://}" "${node_url#http://}" >>"$work/haproxy.cfg"
ZTA_LB_PORT=$lb_port taskset -c 0 haproxy -q -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
lb_pid=$!
pids+=("$lb_pid")
wait_healthy "http://127.0.0.1:$lb_port"
load pg2 "http://127.0.0.1:$lb_port" "nodes:$pg1_pid $pg2_pid" \
  "postgres:$(postgres_pids | tr '\n' ' ')" "haproxy:$lb_pid"

errors=0
for n in sqlite pg pg2; do
  line_var="${n}_line"
  line=${!line_var}
  echo "${n}_tokens_per_s $(field rps "$line") ${n}_p99_ms $(field p99_ms "$line")"
  errors=$(( errors + $(field non2xx "$line") + $(field errors "$line") ))
done
python3 - "$(field rps "$sqlite_line")" "$(field rps "$pg_line")" "$(field rps "$pg2_line")" <<'PY'
import sys
s, p, p2 = map(float, sys.argv[1:4])
print(f"pg_vs_sqlite {p / s:.2f}")
print(f"pg2_vs_pg {p2 / p:.2f}")
PY
echo "errors $errors"
[[ $errors == 0 ]] || { echo "bench-scale: errors or non-2xx answers" >&2; exit 1; }
