#!/usr/bin/env bash
# weft's main job, end to end on one machine: installs what is missing,
# builds, starts weftd on a free loopback port with a fresh state
# directory, applies the example policy (examples/), prints the per-device
# status, shifts the canary weight and shows the change reach every device
# with its timing. Everything it starts is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
bin=$root/build/bin

work=$(mktemp -d /tmp/weft-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# weftd runs inside the work directory: the example file devices write
# their rendered config below it (their options.directory is relative).
# examples/policy is the example policy; examples/devices holds f5, netconf
# and xds devices that need their simulators (not started by this demo).
mkdir -p "$work/policy"
cp examples/policy/*.yaml "$work/policy/"
(cd "$work" && exec "$bin/weftd" --state "$work/state" --api 127.0.0.1:0 --file-root "$work" \
   --ready-file "$work/api.addr" --quiet-ms 50 2>"$work/weftd.log") &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/api.addr" ] && break; sleep 0.1; done
[ -s "$work/api.addr" ] || { echo "weftd did not start:"; cat "$work/weftd.log"; exit 1; }
export WEFT_SERVER="http://$(cat "$work/api.addr")"
echo "weftd is serving the API on $WEFT_SERVER (state in $work/state)"

wait_in_sync() {
  local rev=$1
  for _ in $(seq 1 100); do
    if "$bin/weftctl" -o json status | python3 -c '
import json,sys
s=json.load(sys.stdin); rev=int(sys.argv[1])
ok=s["devices"] and all(d["revision"]>=rev and d["state"]=="in-sync" for d in s["devices"])
sys.exit(0 if ok else 1)' "$rev"; then return 0; fi
    sleep 0.1
  done
  return 1
}

echo
echo "== weftctl validate examples/"
"$bin/weftctl" validate "$work/policy"
echo
echo "== weftctl apply -f examples/"
"$bin/weftctl" apply -f "$work/policy"
rev=$("$bin/weftctl" -o json history --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["head"])')
wait_in_sync "$rev" || true
echo
echo "== weftctl status"
"$bin/weftctl" status

echo
echo "== shift the canary: reviews v2 from 20% to 50%"
sed -i -e 's/weight: 80/weight: 50/' -e 's/weight: 20/weight: 50/' "$work/policy/routes.yaml"
"$bin/weftctl" plan -f "$work/policy"
start=$(date +%s%N)
"$bin/weftctl" apply -f "$work/policy"
rev=$("$bin/weftctl" -o json history --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["head"])')
wait_in_sync "$rev" && end=$(date +%s%N) || end=$(date +%s%N)
echo
"$bin/weftctl" status
echo
echo "revision $rev reached every device in $(( (end - start) / 1000000 )) ms (apply -> all devices in-sync)"
echo
echo "== weftctl history"
"$bin/weftctl" history --limit 5
