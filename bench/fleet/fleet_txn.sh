#!/usr/bin/env bash
# Benchmark (issue 6): a one-endpoint change as ONE atomic transaction
# across 1 F5 (f5sim over HTTPS, every service of a generated policy of
# S services x E endpoints), N NETCONF devices (ncsim, one service each,
# confirmed commit) and P proxies (xdsfleet over ADS), plus the generated
# policy's file device. Prints the initial sync, then the change: the
# transaction's duration and per-phase timings from /v1/transactions, the
# time until every proxy ACKed the new endpoints, and apply -> everything
# converged. Figures are printed, not asserted.
# Usage: bench/fleet/fleet_txn.sh [BUILD_DIR] [S] [E] [N] [P]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}; S=${2:-1000}; E=${3:-10}; N=${4:-20}; P=${5:-1000}
bin=$(cd "$build/bin" && pwd)
py=/usr/bin/python3
work=$(mktemp -d /tmp/weft-bench-fleet-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

mkdir -p "$work/policy" "$work/files"
"$bin/bench_core" --services "$S" --endpoints "$E" --routes 0 --changes 1 \
  --write-policy "$work/gen-all.yaml" >/dev/null
# Without the generator's file device: the devices measured are the F5, the
# NETCONF devices and the proxies.
$py - "$work/gen-all.yaml" "$work/policy/gen.yaml" <<'PY'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
open(sys.argv[2], "w").write("\n---\n".join(d for d in docs if "kind: Device" not in d))
PY
echo "f5-secret" >"$work/f5.pass"; echo "nc-secret" >"$work/nc.pass"
chmod 600 "$work/f5.pass" "$work/nc.pass"

f5port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/f5.key" -out "$work/f5.crt" 2>/dev/null
"$bin/f5sim" --listen "127.0.0.1:$f5port" --user "admin:f5-secret" --cert "$work/f5.crt" \
  --key "$work/f5.key" >"$work/f5sim.log" 2>&1 &
pids+=($!)
ncport=$(free_port)
"$bin/ncsim" --devices "$N" --ssh-base-port "$ncport" --auth-user "admin:nc-secret" \
  --models models/yang --workers 4 >"$work/ncsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q "ncsim: ready" "$work/ncsim.log" && break; sleep 0.1; done
hostkey=$(grep -o 'hostkey SHA256:[^ ]*' "$work/ncsim.log" | cut -d' ' -f2)

{
  cat <<YAML
apiVersion: weft/v1
kind: Device
metadata: {name: bigip}
spec:
  type: f5
  connection: {address: 127.0.0.1, port: $f5port, username: admin,
               credentials: {file: $work/f5.pass}, tls: {caFile: $work/f5.crt}, timeout: 60s}
  scope: {namespaces: [default]}
  options: {partition: bench}
  pushGroup: 2
YAML
  for i in $(seq 0 $((N - 1))); do
    printf -- '---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: nc-%02d}\nspec:\n' "$i"
    printf '  type: netconf\n  connection: {address: 127.0.0.1, port: %d, username: admin,\n' $((ncport + i))
    printf '    credentials: {file: %s}, hostKey: "%s", timeout: 30s}\n' "$work/nc.pass" "$hostkey"
    printf '  scope: {services: [svc-%05d]}\n  options: {commit: confirmed, confirmTimeout: 60s}\n  pushGroup: 1\n' "$i"
  done
} >"$work/policy/devices.yaml"

xdsport=$(free_port)
"$bin/weftd" --state "$work/state" --api 127.0.0.1:0 --ready-file "$work/api.addr" \
  --file-root "$work/files" --txn-mode atomic --quiet-ms 20 --reconcile-ms 0 \
  --xds "127.0.0.1:$xdsport" 2>"$work/weftd.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/api.addr" ] && break; sleep 0.1; done
export WEFT_SERVER="http://$(cat "$work/api.addr")"

txn_of() { # revision -> the transaction record (JSON), polled
  for _ in $(seq 1 1200); do
    out=$("$bin/weftctl" -o json transactions | $py -c '
import json,sys
for t in json.load(sys.stdin)["transactions"]:
    if t["revision"] == int(sys.argv[1]): print(json.dumps(t)); break' "$1")
    [ -n "$out" ] && { echo "$out"; return 0; }
    sleep 0.05
  done
  return 1
}
head_rev() { "$bin/weftctl" -o json history --limit 1 | $py -c 'import json,sys; print(json.load(sys.stdin)["head"])'; }

echo "setup: $S services x $E endpoints; 1 F5 (all services), $N NETCONF devices (one service each), $P proxies"
t0=$(now_ms)
"$bin/weftctl" apply -f "$work/policy" >/dev/null
rev=$(head_rev)
txn=$(txn_of "$rev")
t1=$(now_ms)
echo "initial sync: revision $rev $(echo "$txn" | $py -c 'import json,sys; t=json.load(sys.stdin); print(t["outcome"], "in", t["duration_ms"], "ms", t["phases_ms"])') (apply -> committed $((t1 - t0)) ms)"
curl -s --cacert "$work/f5.crt" "https://127.0.0.1:$f5port/sim/state" | $py -c '
import json,sys
s=json.load(sys.stdin); pools=[o for o in json.dumps(s).split("\"kind\": \"tm:ltm:pool:poolstate\"")]
print("the F5 holds", len(pools) - 1, "pools")' 2>/dev/null || true

# The proxies connect and take the full config first.
next_rev=$((rev + 1))
"$bin/xdsfleet" --server "127.0.0.1:$xdsport" --clients "$P" --channels 8 --threads 2 \
  --mode sotw --node-prefix bench --types cds,eds --until-types eds --until-version "$next_rev" \
  --mark-file "$work/mark" --duration 300 --json >"$work/fleet.json" 2>"$work/fleet.log" &
fleet=$!
pids+=($fleet)
for _ in $(seq 1 600); do
  n=$(curl -s "$WEFT_SERVER/v1/status" | $py -c 'import json,sys; x=json.load(sys.stdin).get("xds") or {}; print(x.get("streams", 0))' 2>/dev/null || echo 0)
  [ "$n" -ge "$P" ] && break
  sleep 0.1
done
# ...and wait until every proxy ACKed the endpoints of the current revision.
for _ in $(seq 1 1200); do
  acked=$(curl -s "$WEFT_SERVER/v1/status" | $py -c '
import json,sys
x = json.load(sys.stdin).get("xds") or {}
rev = int(sys.argv[1])
print(sum(1 for p in x.get("proxies", [])
          if int((p.get("types", {}).get("eds") or {}).get("version_acked") or 0) >= rev))' "$rev" 2>/dev/null || echo 0)
  [ "$acked" -ge "$P" ] && break
  sleep 0.25
done
echo "proxies connected: $n; with the initial config ACKed: $acked"

# The change: one endpoint of svc-00000 (on the F5, on nc-00, in every proxy's EDS).
# The change is sent as an operator would: the one Service document.
$py - "$work/policy/gen.yaml" "$work/change.yaml" <<'PY'
import sys
for d in open(sys.argv[1]).read().split("\n---\n"):
    if "kind: Service" in d and "name: svc-00000\n" in d:
        open(sys.argv[2], "w").write(d.replace("- address: 10.0.0.1\n", "- address: 10.200.0.1\n"))
PY
date +%s.%N >"$work/mark"
t0=$(now_ms)
"$bin/weftctl" apply --atomic -f "$work/change.yaml" >/dev/null
txn=$(txn_of "$next_rev")
t1=$(now_ms)
wait "$fleet" || true
t2=$(now_ms)
echo "one-endpoint change, revision $next_rev, one atomic transaction:"
echo "$txn" | $py -c '
import json,sys
t=json.load(sys.stdin)
ops={d["name"]: d["ops"] for d in t["devices"] if d["ops"]}
print("  transaction:", t["outcome"], "in", t["duration_ms"], "ms; phases (ms):", t["phases_ms"])
print("  devices changed:", len(ops), "of", len(t["devices"]), "; ops:", ops)
slow = sorted(t["devices"], key=lambda d: -d.get("phases_ms", {}).get("plan", 0))[:3]
print("  slowest plans (ms):", {d["name"]: d.get("phases_ms", {}).get("plan") for d in slow})'
echo "  apply -> transaction committed (seen by weftctl): $((t1 - t0)) ms (goal: under 1 s end to end)"
$py - "$work/fleet.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print("  proxies: no xdsfleet report"); sys.exit(0)
u = r.get("until", {}); eds = r.get("types", {}).get("eds", {}).get("latency_ms", {})
print("  proxies: %s of %s ACKed the new endpoints, converged %s ms after the change; EDS latency p50 %s ms, p99 %s ms"
      % (u.get("reached"), u.get("expected"), u.get("converged_ms"), eds.get("p50"), eds.get("p99")))
PY
echo "  apply -> every device and proxy converged: $((t2 - t0)) ms"
