# Shared by this folder's shell tests (sourced): counted ok/fail lines, waiting for a server's
# "listening on URL" line, and a free loopback port.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [[ -n ${2:-} ]] && echo "      $2"; return 0; }

# wait_url FILE: waits for "listening on URL" in FILE and prints URL.
wait_url() {
  for _ in $(seq 1 150); do
    local url
    url=$(sed -n 's/^listening on //p' "$1" 2>/dev/null | head -1)
    if [[ -n $url ]]; then echo "$url"; return 0; fi
    sleep 0.1
  done
  echo "interop: no 'listening on' in $1:" >&2
  cat "$1" >&2
  return 1
}
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
