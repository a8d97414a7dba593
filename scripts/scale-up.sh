#!/usr/bin/env bash
# Several `zta idp serve` nodes on one throwaway PostgreSQL cluster behind HAProxy, on free
# loopback ports (docs/scale.md). Prints the issuer URL and runs until Ctrl-C (or SIGTERM), then
# stops every process and removes the cluster.
#
#   scripts/scale-up.sh [--nodes N] [--state DIR] [--zta PATH] [-- serve flags...]
#
# --nodes N   idp nodes (default 2)
# --state DIR where the nodes' audit logs, logs and the files below go (default: a temporary
#             folder, removed at the end). When everything answers it holds: `issuer` (the
#             HAProxy URL), `store_url`, `nodes` (one "NAME URL PID" line per node), `ready`.
# --zta PATH  the zta binary (default build/zta)
# Flags after -- go to every `zta idp serve` (e.g. --threads 1).
#
# The key encryption key is ZTA_IDP_KEY_ENCRYPTION_KEY when set, else a random one for this run
# (never printed). Requires Debian's postgresql and haproxy (make deps installs both).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nodes=2 state="" zta="$root/build/zta"
serve_flags=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --state) state=$2; shift 2 ;;
    --zta) zta=$2; shift 2 ;;
    --) shift; serve_flags=("$@"); break ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "scale-up: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $nodes =~ ^[1-9][0-9]*$ ]] || { echo "scale-up: --nodes takes a positive number" >&2; exit 2; }
for tool in haproxy curl python3; do
  command -v "$tool" >/dev/null || { echo "scale-up: $tool is not installed (make deps)" >&2; exit 2; }
done
[[ -x $zta ]] || { echo "scale-up: $zta not found (make build, or --zta PATH)" >&2; exit 2; }

own_state=0
if [[ -z $state ]]; then state=$(mktemp -d /tmp/zta-scale.XXXXXX); own_state=1; fi
mkdir -p "$state"
rm -f "$state/ready" "$state/nodes"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash "$root/scripts/pg-cluster.sh" stop "$state/pg" || true
  rm -f "$state/ready"
  if [[ $own_state == 1 ]]; then rm -rf "$state"; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_healthy() {  # URL: up to 30 s for /healthz to answer 200
  for _ in $(seq 1 300); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1/healthz") == 200 ]] && return 0
    sleep 0.1
  done
  echo "scale-up: $1 did not become healthy" >&2
  return 1
}

store_url=$(bash "$root/scripts/pg-cluster.sh" start "$state/pg")
echo "$store_url" >"$state/store_url"
if [[ -z ${ZTA_IDP_KEY_ENCRYPTION_KEY:-} ]]; then
  ZTA_IDP_KEY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64 -w0)
  echo "scale-up: using a random key encryption key for this run" >&2
fi
export ZTA_IDP_KEY_ENCRYPTION_KEY
"$zta" idp --store "$store_url" migrate >/dev/null
# The first signing key, made once before the nodes start (not by each node at once).
"$zta" idp --store "$store_url" --data "$state/admin" --node-id admin keys list >/dev/null

lb_port=$(free_port)
issuer="http://127.0.0.1:$lb_port"
servers=""
for i in $(seq 1 "$nodes"); do
  port=$(free_port)
  "$zta" idp --store "$store_url" --data "$state/node$i" --node-id "node$i" serve \
    --listen "127.0.0.1:$port" \
    --issuer "$issuer" "${serve_flags[@]}" >"$state/node$i.out" 2>"$state/node$i.err" &
  pids+=($!)
  echo "node$i http://127.0.0.1:$port $!" >>"$state/nodes"
  servers+="  server node$i 127.0.0.1:$port check"$'\n'
done
for i in $(seq 1 "$nodes"); do
  wait_healthy "$(sed -n "${i}p" "$state/nodes" | cut -d' ' -f2)"
done

# The example's settings with this run's servers in place of its two examples.
sed '/^  # servers$/,$d' "$root/examples/scale/haproxy.cfg" >"$state/haproxy.cfg"
printf '%s' "$servers" >>"$state/haproxy.cfg"
ZTA_LB_PORT=$lb_port haproxy -q -db -f "$state/haproxy.cfg" >"$state/haproxy.log" 2>&1 &
pids+=($!)
wait_healthy "$issuer"
echo "$issuer" >"$state/issuer"
touch "$state/ready"
echo "issuer $issuer ($nodes nodes behind HAProxy; store $store_url)"
echo "Ctrl-C stops them all."
while true; do sleep 3600 & wait $! || true; done
