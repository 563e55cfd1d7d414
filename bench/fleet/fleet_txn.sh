#!/usr/bin/env bash
# Benchmark (issue 6): a one-endpoint change as ONE atomic transaction
# across 1 F5 (f5sim over HTTPS), N NETCONF devices (ncsim, one service
# each, confirmed commit) and P proxies (xdsfleet over ADS).
#
# The policy: S services x E endpoints (bench_core's generator, one port and
# two subsets per service, so 3 pools each), all of them served to the
# proxies. The F5 Device is scoped (spec.scope.services) to the first
# services that make exactly F5_POOLS pools (default 1,000): F5_POOLS / 3
# services with their 3 pools, plus, when F5_POOLS is not a multiple of 3,
# one more service whose subsets the script trims to give the remainder
# (1,000 = 333 x 3 + 1: svc-00333 keeps one pool, no subsets). nc-XX is
# scoped to svc-000XX. The changed endpoint belongs to svc-00000, which the
# F5, nc-00 and every proxy hold.
#
# Prints the initial sync, then the change, broken into parts:
#   apply -> stored         `weftctl apply` returned (decode, validate, store)
#   stored -> txn start     debounce + compile until the transaction began
#   transaction             plan / prepare / apply / confirm (from
#                           /v1/transactions), the three slowest plans
#   commit -> proxies ACK   every proxy ACKed the new endpoints (xdsfleet)
# and for the NETCONF devices what ncsim logged during the change: RPCs,
# new sessions and get-schema requests (a reconnect shows up there).
# Figures are printed, not asserted. Environment: F5_POOLS (default 1000),
# BENCH_KEEP=1 keeps the work directory, NCSIM_VERBOSE=1, BENCH_TRACE=1
# samples weftd's thread stacks (gdb) during the apply into the work dir.
# Usage: bench/fleet/fleet_txn.sh [BUILD_DIR] [S] [E] [N] [P]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}; S=${2:-1000}; E=${3:-10}; N=${4:-20}; P=${5:-1000}
F5_POOLS=${F5_POOLS:-1000}
bin=$(cd "$build/bin" && pwd)
py=/usr/bin/python3
work=$(mktemp -d /tmp/weft-bench-fleet-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${BENCH_KEEP:-}" ]; then echo "work dir kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

mkdir -p "$work/policy" "$work/files"
"$bin/bench_core" --services "$S" --endpoints "$E" --routes 0 --changes 1 \
  --write-policy "$work/gen-all.yaml" >/dev/null
# Without the generator's file device: the devices measured are the F5, the
# NETCONF devices and the proxies. The F5's share: F5_POOLS pools (see the
# top); its scope list goes to f5-scope.txt.
$py - "$work/gen-all.yaml" "$work/policy/gen.yaml" "$F5_POOLS" "$work/f5-scope.txt" <<'PY'
import re, sys
docs = [d for d in open(sys.argv[1]).read().split("\n---\n") if "kind: Device" not in d]
pools = int(sys.argv[3])
full, rest = divmod(pools, 3)
names = ["svc-%05d" % i for i in range(full + (1 if rest else 0))]
if rest:
    trim = names[-1]
    for k, d in enumerate(docs):
        if "kind: Service" in d and ("name: %s\n" % trim) in d:
            # rest 1: no subsets (one pool); rest 2: only subset v1 (two pools)
            keep = "" if rest == 1 else "  subsets:\n  - name: v1\n    labels:\n      version: v1\n"
            docs[k] = re.sub(r"  subsets:\n(  - .*\n|    .*\n|      .*\n)*", keep, d + "\n").rstrip("\n")
open(sys.argv[2], "w").write("\n---\n".join(docs))
open(sys.argv[4], "w").write(", ".join(names))
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
nccontrol=$(free_port)
"$bin/ncsim" --devices "$N" --ssh-base-port "$ncport" --auth-user "admin:nc-secret" \
  --control "127.0.0.1:$nccontrol" \
  --models models/yang --workers 4 ${NCSIM_VERBOSE:+--verbose} >"$work/ncsim.log" 2>&1 &
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
  scope: {services: [$(cat "$work/f5-scope.txt")]}
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
weftd_pid=$!
pids+=($weftd_pid)
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

echo "setup: $S services x $E endpoints (all to the proxies); 1 F5 (scoped to $F5_POOLS pools), $N NETCONF devices (one service each), $P proxies"
echo "load before: $(cut -d" " -f1-3 /proc/loadavg)"
t0=$(now_ms)
"$bin/weftctl" apply -f "$work/policy" >/dev/null
rev=$(head_rev)
txn=$(txn_of "$rev")
t1=$(now_ms)
echo "initial sync: revision $rev $(echo "$txn" | $py -c 'import json,sys; t=json.load(sys.stdin); print(t["outcome"], "in", t["duration_ms"], "ms", t["phases_ms"], ("cause: " + t["cause"]) if t.get("cause") else "")') (apply -> committed $((t1 - t0)) ms)"
curl -s --cacert "$work/f5.crt" "https://127.0.0.1:$f5port/sim/state" | $py -c '
import json,sys
s=json.load(sys.stdin); pools=[o for o in json.dumps(s).split("\"kind\": \"tm:ltm:pool:poolstate\"")]
print("the F5 holds", len(pools) - 1, "pools")' 2>/dev/null || true

# The proxies connect and take the full config first.
next_rev=$((rev + 1))
"$bin/xdsfleet" --server "127.0.0.1:$xdsport" --clients "$P" --channels 8 --threads 2 \
  --mode sotw --node-prefix bench --types cds,eds --until-types eds --until-version "$next_rev" \
  --mark-file "$work/mark" --duration 1200 --json >"$work/fleet.json" 2>"$work/fleet.log" &
fleet=$!
pids+=($fleet)
# (Under load 1,000 proxies take minutes to connect and take the first
# config: the waits are long, and end when xdsfleet is gone.)
fleet_alive() {
  kill -0 "$fleet" 2>/dev/null && return 0
  echo "xdsfleet exited early ($(tail -1 "$work/fleet.log")); measuring the devices only"
  return 1
}
n=0; acked=0
for _ in $(seq 1 1200); do
  fleet_alive || break
  n=$(curl -s "$WEFT_SERVER/v1/status" | $py -c 'import json,sys; x=json.load(sys.stdin).get("xds") or {}; print(x.get("streams", 0))' 2>/dev/null || echo 0)
  [ "$n" -ge "$P" ] && break
  sleep 0.1
done
# ...and wait until every proxy ACKed the endpoints of the current revision.
for _ in $(seq 1 2400); do
  fleet_alive || break
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
# What the NETCONF devices held before the change: their live sessions,
# and an empty RPC log.
nc_ctl() { curl -s -X "$1" "http://127.0.0.1:$nccontrol$2"; }
for i in $(seq 0 $((N - 1))); do nc_ctl DELETE "/devices/$i/log" >/dev/null; done
nc_ctl GET /devices >"$work/nc-before.json"
date +%s.%N >"$work/mark"
if [ -n "${BENCH_TRACE:-}" ]; then # where weftd's threads are during the apply
  (for k in 1 2 3; do sleep 0.4; gdb -p "$weftd_pid" -batch -ex "thread apply all bt 12" \
     >"$work/stacks-$k.txt" 2>&1; done) &
fi
t0=$(now_ms)
"$bin/weftctl" apply --atomic -f "$work/change.yaml" >/dev/null
t_stored=$(now_ms)
txn=$(txn_of "$next_rev")
t1=$(now_ms)
wait "$fleet" || true
t2=$(now_ms)
for i in $(seq 0 $((N - 1))); do nc_ctl GET "/devices/$i/log"; echo; done >"$work/nc-logs.jsonl"
echo "one-endpoint change, revision $next_rev, one atomic transaction (load: $(cut -d" " -f1-3 /proc/loadavg)):"
echo "$txn" >"$work/txn.json"
$py - "$work/txn.json" "$work/fleet.json" "$work/nc-before.json" "$work/nc-logs.jsonl" \
  "$t0" "$t_stored" "$t1" "$t2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t0, t_stored, t1, t2 = (int(x) for x in sys.argv[5:9])
start, dur = t["started_ms"], t["duration_ms"]
commit = start + dur
ops = {d["name"]: d["ops"] for d in t["devices"] if d["ops"]}
print("  apply -> stored (weftctl apply returned):     %5d ms" % (t_stored - t0))
print("  stored -> transaction start (debounce+compile): %5d ms" % (start - t_stored))
print("  transaction: %s in %d ms; phases (ms): %s" % (t["outcome"], dur, t["phases_ms"]))
print("    devices changed: %d of %d; ops: %s" % (len(ops), len(t["devices"]), ops))
slow = sorted(t["devices"], key=lambda d: -d.get("phases_ms", {}).get("plan", 0))[:3]
print("    slowest plans (ms):", {d["name"]: d.get("phases_ms", {}).get("plan") for d in slow})
print("  apply -> transaction committed:                %5d ms (goal: under 1 s end to end)" % (commit - t0))
print("  (the script saw the record after %d ms: it polls weftctl)" % (t1 - t0))
try:
    r = json.load(open(sys.argv[2]))
    u = r.get("until", {}); eds = r.get("types", {}).get("eds", {}).get("latency_ms", {})
    conv = u.get("converged_ms")
    print("  commit -> every proxy ACKed:                   %5s ms (%s of %s proxies; EDS latency p50 %s, p99 %s ms after apply)"
          % (int(conv - (commit - t0)) if conv is not None else "?", u.get("reached"), u.get("expected"),
             eds.get("p50"), eds.get("p99")))
    if conv is not None:
        print("  apply -> every device and proxy converged:     %5d ms" % max(conv, commit - t0))
except Exception:
    print("  proxies: no xdsfleet report")
before = {d["index"]: set(d["sessions"]) for d in json.load(open(sys.argv[3]))}
rpcs = schemas = new_sessions = 0
for i, line in enumerate(l for l in open(sys.argv[4]) if l.strip()):
    entries = json.loads(line).get("entries", [])
    rpcs += len(entries)
    schemas += sum(1 for e in entries if e["op"] == "get-schema")
    new_sessions += len({e["session_id"] for e in entries} - before.get(i, set()))
print("  NETCONF during the change: %d RPCs, %d new sessions, %d get-schema" % (rpcs, new_sessions, schemas))
PY
