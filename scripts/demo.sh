#!/usr/bin/env bash
# weft's main job, end to end on one machine: installs what is missing,
# builds, then starts
#   - f5sim   an F5 BIG-IP (iControl REST over HTTPS, its own CA),
#   - ncsim   two NETCONF devices over SSH (one candidate + confirmed
#             commit, one writable-running), host key pinned,
#   - weftd   the controller, atomic transactions across every device,
#             serving xDS (ADS) to
#   - xdsfleet 100 simulated Envoy-style proxies (ADS clients),
# applies the example policy (examples/policy: a canary, rate limits, an
# allow-list, mTLS, a gateway) plus the devices above and two file devices,
# prints the per-device status, then shifts both canaries and shows the
# change reach every device with its timing, the per-device plan it cost,
# and the transaction record. Everything started is stopped by pid on exit;
# everything written lives in a temp directory that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
bin=$root/build/bin
py=/usr/bin/python3

work=$(mktemp -d /tmp/weft-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; cat "$1"; return 1; }

mkdir -p "$work/policy" "$work/secrets" "$work/files" "$work/ncsim"
cp examples/policy/*.yaml "$work/policy/"
umask 077
echo "f5-demo-secret" > "$work/secrets/f5.pass"
echo "nc-demo-secret" > "$work/secrets/nc.pass"
umask 022

# --- the simulated hardware --------------------------------------------------
f5port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/f5.key" -out "$work/f5.crt" 2>/dev/null
"$bin/f5sim" --listen "127.0.0.1:$f5port" --user "admin:f5-demo-secret" \
  --cert "$work/f5.crt" --key "$work/f5.key" >"$work/f5sim.log" 2>&1 &
pids+=($!)
ncport=$(free_port); ncctl=$(free_port)
"$bin/ncsim" --devices 2 --ssh-base-port "$ncport" --auth-user "admin:nc-demo-secret" \
  --writable-running-devices 1 --control "127.0.0.1:$ncctl" --models models/yang \
  --state-dir "$work/ncsim" >"$work/ncsim.log" 2>&1 &
pids+=($!)
wait_for "$work/ncsim.log" "ncsim: ready"
hostkey=$(grep -o 'hostkey SHA256:[^ ]*' "$work/ncsim.log" | cut -d' ' -f2)
for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$f5port/" -o /dev/null && break; sleep 0.1; done

cat > "$work/policy/fleet.yaml" <<YAML
# The demo's hardware: one BIG-IP (f5sim) for the edge, two NETCONF load
# balancers (ncsim) for the edge and the Diameter charging service.
apiVersion: weft/v1
kind: Device
metadata: {name: bigip-edge, namespace: infra}
spec:
  type: f5
  connection:
    address: 127.0.0.1
    port: $f5port
    username: admin
    credentials: {file: $work/secrets/f5.pass}
    tls: {caFile: $work/f5.crt}
  scope: {gateways: [shop/edge]}
  options: {partition: shop}
  pushGroup: 2
---
apiVersion: weft/v1
kind: Device
metadata: {name: lb-a, namespace: infra}
spec:
  type: netconf
  connection:
    address: 127.0.0.1
    port: $ncport
    username: admin
    credentials: {file: $work/secrets/nc.pass}
    hostKey: "$hostkey"
  scope: {gateways: [shop/edge], services: [shop/charging]}
  options: {commit: confirmed, confirmTimeout: 30s}
  pushGroup: 3
---
apiVersion: weft/v1
kind: Device
metadata: {name: lb-b, namespace: infra}
spec:
  type: netconf
  connection:
    address: 127.0.0.1
    port: $((ncport + 1))
    username: admin
    credentials: {file: $work/secrets/nc.pass}
    hostKey: "$hostkey"
  scope: {gateways: [shop/edge], services: [shop/charging]}
  options: {commit: running}
  pushGroup: 3
YAML

# --- the controller ---------------------------------------------------------
xdsport=$(free_port)
"$bin/weftd" --state "$work/state" --api 127.0.0.1:0 --ready-file "$work/api.addr" \
  --file-root "$work/files" --txn-mode atomic --quiet-ms 50 --xds "127.0.0.1:$xdsport" \
  2>"$work/weftd.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/api.addr" ] && break; sleep 0.1; done
[ -s "$work/api.addr" ] || { echo "weftd did not start:"; cat "$work/weftd.log"; exit 1; }
export WEFT_SERVER="http://$(cat "$work/api.addr")"
echo "weftd      $WEFT_SERVER (atomic transactions; state in $work/state)"
echo "f5sim      https://127.0.0.1:$f5port (BIG-IP iControl REST)"
echo "ncsim      ssh 127.0.0.1:$ncport-$((ncport + 1)) (NETCONF; host key $hostkey)"
echo "xds        127.0.0.1:$xdsport (ADS, state of the world and delta)"

head_rev() { "$bin/weftctl" -o json history --limit 1 | $py -c 'import json,sys; print(json.load(sys.stdin)["head"])'; }
wait_in_sync() {
  for _ in $(seq 1 300); do
    if "$bin/weftctl" -o json status | $py -c '
import json,sys
s=json.load(sys.stdin); rev=int(sys.argv[1])
ok=s["devices"] and all(d["revision"]>=rev and d["state"]=="in-sync" for d in s["devices"])
sys.exit(0 if ok else 1)' "$1"; then return 0; fi
    sleep 0.05
  done
  return 1
}

echo
echo "== weftctl validate"
"$bin/weftctl" validate "$work/policy"
echo
echo "== weftctl apply -f policy/  (services, routes, policies, gateway, 5 devices)"
"$bin/weftctl" apply -f "$work/policy" | tail -1
rev=$(head_rev)
wait_in_sync "$rev" || echo "(not every device is in sync yet: see the status below)"
echo
echo "== weftctl status"
"$bin/weftctl" status

echo
f5calls() { curl -s "https://127.0.0.1:$f5port/sim/counters" --cacert "$work/f5.crt" | \
  $py -c 'import json,sys; print(json.load(sys.stdin).get("total", 0))' || echo 0; }
f5before=$(f5calls)
# 100 proxies follow the mesh over ADS; they report when every one of them
# has ACKed the routes of the revision the shift will create.
next_rev=$(( $(head_rev) + 1 ))
"$bin/xdsfleet" --server "127.0.0.1:$xdsport" --clients 100 --channels 4 --mode sotw \
  --node-prefix sidecar --types lds,rds,cds,eds --until-types rds --until-version "$next_rev" \
  --mark-file "$work/mark" --duration 60 --json >"$work/fleet.json" 2>"$work/fleet.log" &
fleet=$!
pids+=($fleet)
sleep 1
echo "== shift the canaries: edge frontend v2 10% -> 50%, mesh reviews v2 20% -> 50%"
$py - "$work/policy/routes.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("weight: 90", "weight: 50").replace("weight: 10", "weight: 50")
s = s.replace("weight: 80", "weight: 50").replace("weight: 20", "weight: 50")
open(p, "w").write(s)
PY
echo
echo "== weftctl plan -f policy/  (the dry run: what each device would receive)"
"$bin/weftctl" plan -f "$work/policy"
start=$(date +%s%N)
date +%s.%N >"$work/mark"
"$bin/weftctl" apply -f "$work/policy" | tail -1
rev=$(head_rev)
if wait_in_sync "$rev"; then synced=yes; else synced=no; fi
end=$(date +%s%N)
echo
"$bin/weftctl" status
echo
if [ $synced = yes ]; then
  echo "revision $rev reached every device in $(( (end - start) / 1000000 )) ms (apply -> all devices in-sync, one atomic transaction)"
else
  echo "revision $rev did not reach every device: see the status above"
fi
wait "$fleet" || true
$py - "$work/fleet.json" "$rev" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print("xdsfleet: no report (see its log)"); sys.exit(0)
u = r.get("until", {})
rds = r.get("types", {}).get("rds", {}).get("latency_ms", {})
if u.get("converged"):
    print("%d of %d proxies ACKed the routes of revision %s %d ms after the change (p50 %s ms, p99 %s ms)"
          % (u.get("reached", 0), u.get("expected", 0), sys.argv[2], u.get("converged_ms", -1),
             rds.get("p50"), rds.get("p99")))
else:
    print("proxies: %s of %s reached revision %s" % (u.get("reached"), u.get("expected"), sys.argv[2]))
PY
echo
echo "== weftctl transactions"
"$bin/weftctl" transactions
echo
echo "the canary shift cost the BIG-IP $(( $(f5calls) - f5before )) REST calls, dry run included (f5sim's counters)"
