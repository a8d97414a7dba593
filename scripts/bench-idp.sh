#!/usr/bin/env bash
# Token endpoint benchmark (`make bench-idp`): wrk on loopback against POST /token of `zta idp
# serve` (client_credentials, client_secret_basic, ES256 JWT, 300 s lifetime) and, in the same
# run and configured the same way, against node-oidc-provider (../shared/peers). Each server is
# pinned to core 0 and wrk to core 1; each server's peak RSS is VmHWM at the end of its run.
# It also loads bench/token_floor_server (Beast + one raw OpenSSL ES256 signature per request,
# nothing else): the ceiling any token endpoint reaches on this core.
# See docs/bench-idp.md. The last lines are the figures:
#   idp_tokens_per_s N, peer_tokens_per_s N, idp_vs_peer R, idp_p99_ms MS, peer_p99_ms MS,
#   idp_peak_rss_mb MB, peer_peak_rss_mb MB, idp_errors N, idp_non2xx N, peer_errors N,
#   peer_non2xx N, floor_tokens_per_s N, idp_vs_floor R, floor_vs_peer R
# Environment: SECS (measured seconds per server, default 10), CONNS (connections, default 16),
# WARMUP_SECS (unmeasured load first, default 2), IDP_THREADS (zta idp serve --threads; default:
# the server's own default), SKIP_PEER=1 (no peer), SKIP_FLOOR=1 (no floor), JOBS (build
# parallelism, default 1).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
BUILD_DIR=build-bench
SECS=${SECS:-10}
CONNS=${CONNS:-16}
WARMUP_SECS=${WARMUP_SECS:-2}
JOBS=${JOBS:-1}
peers_src="$root/../shared/peers"

RESOURCE=https://hotel.example/api
SCOPES="read_hotels read_rooms create_bookings"  # the peer's defaults
SCOPE=read_hotels                                # what every benchmark request asks for

for tool in wrk taskset curl node npm python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench-idp: $tool is not installed (make deps installs it)" >&2
    exit 2
  fi
done
if [[ $(nproc) -lt 2 ]]; then
  echo "bench-idp: needs 2 cores (server on core 0, wrk on core 1); this machine has $(nproc)" >&2
  exit 2
fi

# Release build of the CLI. The flags match scripts/bench.sh so both share build-bench/ without
# reconfiguring each other; only the zta CLI and the floor server are built here.
echo "=== building zta and token_floor_server (Release, $BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZTA_BUILD_TESTS=OFF \
  -DZTA_BUILD_BENCH=ON -DZTA_BUILD_FUZZ=OFF -DZTA_SANITIZE=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target zta token_floor_server | tail -n 1
zta="$root/$BUILD_DIR/zta"

work=$(mktemp -d "${TMPDIR:-/tmp}/zta-bench-idp.XXXXXX")
server_pid=""
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

# The wrk Lua script and its one-line report come from the peers' token-endpoint-bench.sh
# (read-only where it is mounted, so it runs from a copy). It pins wrk to core 1.
cp "$peers_src/token-endpoint-bench.sh" "$work/token-endpoint-bench.sh"

# Starts "$@" on core 0 with stdout to $work/$name.out, waits for its "listening on URL" line
# and sets server_pid and server_url.
start_server() {
  local name=$1
  shift
  taskset -c 0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  server_url=""
  for _ in $(seq 1 200); do
    server_url=$(sed -n 's|^listening on \(http://[^ ]*\)$|\1|p' "$work/$name.out" | head -n 1)
    [[ -n $server_url ]] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "bench-idp: $name did not start:" >&2
  cat "$work/$name.err" >&2
  exit 1
}

# One token request with curl: the configuration works before wrk is pointed at it.
sanity_check() {
  local name=$1 url=$2 id=$3 secret=$4 body
  body=$(curl -sS -u "$id:$secret" -d grant_type=client_credentials \
    --data-urlencode "resource=$RESOURCE" --data-urlencode "scope=$SCOPE" \
    -w '\n%{http_code}' "$url")
  if [[ ${body##*$'\n'} != 200 || $body != *'"access_token"'* ]]; then
    echo "bench-idp: $name refused the token request: $body" >&2
    exit 1
  fi
}

peak_rss_mb() {
  awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# Runs warm-up and measured wrk load; sets result (the wrk line) and rss (peak RSS, MB).
load() {
  local url=$1 id=$2 secret=$3
  if ((WARMUP_SECS > 0)); then
    SECS=$WARMUP_SECS CONNS=$CONNS bash "$work/token-endpoint-bench.sh" \
      "$url" "$id" "$secret" "$RESOURCE" "$SCOPE" >/dev/null
  fi
  result=$(SECS=$SECS CONNS=$CONNS bash "$work/token-endpoint-bench.sh" \
    "$url" "$id" "$secret" "$RESOURCE" "$SCOPE")
  rss=$(peak_rss_mb "$server_pid")
}

field() {  # field NAME "rps 1 p50_ms 2 ..." → the value after NAME
  awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$2"
}

# --- zta idp
data="$work/idp-data"
"$zta" idp --data "$data" resource add "$RESOURCE" --scopes "$SCOPES" >/dev/null
agent_json=$("$zta" idp --data "$data" agent add bench-agent --owner bench@example.com \
  --resource "$RESOURCE" --scopes "$SCOPES" 2>/dev/null)
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
idp_id=$(json_field client_id <<<"$agent_json")
idp_secret=$(json_field client_secret <<<"$agent_json")

threads_flag=()
[[ -n ${IDP_THREADS:-} ]] && threads_flag=(--threads "$IDP_THREADS")
start_server idp "$zta" idp --data "$data" serve --listen 127.0.0.1:0 "${threads_flag[@]}"
sanity_check idp "$server_url/token" "$idp_id" "$idp_secret"
echo "=== zta idp at $server_url: ${WARMUP_SECS}s warm-up, ${SECS}s measured, $CONNS connections"
load "$server_url/token" "$idp_id" "$idp_secret"
idp_line=$result
idp_rss=$rss
echo "idp:  $idp_line peak_rss_mb $idp_rss"
stop_server

# --- the floor: Beast + ES256 only (bench/token_floor_server.cc)
floor_line="rps 0 p50_ms 0 p99_ms 0 errors 0 non2xx 0"
if [[ ${SKIP_FLOOR:-0} != 1 ]]; then
  start_server floor "$root/$BUILD_DIR/bench/token_floor_server"
  sanity_check floor "$server_url/token" floor-agent unused
  # Its tokens are real: one verifies against its JWKS like any access token.
  floor_token=$(curl -sS -X POST "$server_url/token" | json_field access_token)
  if ! "$zta" jwt verify --jwks "$server_url/jwks" --iss http://127.0.0.1 \
    --aud "$RESOURCE" --typ at+jwt --alg ES256 "$floor_token" >/dev/null; then
    echo "bench-idp: token_floor_server's token does not verify" >&2
    exit 1
  fi
  echo "=== token_floor_server at $server_url: ${WARMUP_SECS}s warm-up, ${SECS}s measured, $CONNS connections"
  load "$server_url/token" floor-agent unused
  floor_line=$result
  echo "floor: $floor_line peak_rss_mb $rss"
  stop_server
fi

# --- node-oidc-provider
peer_line="rps 0 p50_ms 0 p99_ms 0 errors 0 non2xx 0"
peer_rss=0
if [[ ${SKIP_PEER:-0} != 1 ]]; then
  # npm ci into the build tree, only when missing or when the lock file changed.
  peers="$root/$BUILD_DIR/idp-bench-peers"
  mkdir -p "$peers"
  if [[ ! -d $peers/node_modules/oidc-provider ]] ||
    ! cmp -s "$peers_src/package-lock.json" "$peers/.installed-lock"; then
    cp "$peers_src/package.json" "$peers_src/package-lock.json" "$peers/"
    chmod u+w "$peers"/package*.json
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$peers_src/package-lock.json" "$peers/.installed-lock"
  fi
  cp "$peers_src/oidc-provider-server.mjs" "$peers/"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  PORT=$port RESOURCE=$RESOURCE SCOPES=$SCOPES start_server peer \
    node "$peers/oidc-provider-server.mjs"
  sanity_check peer "$server_url/token" hotel-agent secret-secret-secret-secret
  echo "=== node-oidc-provider at $server_url: ${WARMUP_SECS}s warm-up, ${SECS}s measured, $CONNS connections"
  load "$server_url/token" hotel-agent secret-secret-secret-secret
  peer_line=$result
  peer_rss=$rss
  echo "peer: $peer_line peak_rss_mb $peer_rss"
  stop_server
fi

idp_rps=$(field rps "$idp_line")
peer_rps=$(field rps "$peer_line")
ratio() {  # ratio A B → A/B with two decimals, n/a when B is 0
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
ratio=$(ratio "$idp_rps" "$peer_rps")
echo "idp_tokens_per_s $idp_rps"
echo "peer_tokens_per_s $peer_rps"
echo "idp_vs_peer $ratio"
echo "idp_p99_ms $(field p99_ms "$idp_line")"
echo "peer_p99_ms $(field p99_ms "$peer_line")"
echo "idp_peak_rss_mb $idp_rss"
echo "peer_peak_rss_mb $peer_rss"
echo "idp_errors $(field errors "$idp_line")"
echo "idp_non2xx $(field non2xx "$idp_line")"
echo "peer_errors $(field errors "$peer_line")"
echo "peer_non2xx $(field non2xx "$peer_line")"
floor_rps=$(field rps "$floor_line")
echo "floor_tokens_per_s $floor_rps"
echo "idp_vs_floor $(ratio "$idp_rps" "$floor_rps")"
echo "floor_vs_peer $(ratio "$floor_rps" "$peer_rps")"
