#!/usr/bin/env bash
# Idle CPU of weftd with a connected xDS fleet: starts weftd --xds on a
# free loopback port with a small policy, connects xdsfleet with N proxies
# (default 10000), waits until weftd reports them all connected, then reads
# weftd's utime+stime from /proc/PID/stat over S seconds (default 30) of no
# change. Prints "idle_cpu proxies=N seconds=S cpu_s=X pct=Y". Every process
# started is stopped by its pid. Usage: idle_cpu.sh [N] [S]  (BIN=build/bin)
set -euo pipefail
N=${1:-10000}
S=${2:-30}
BIN=${BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
D=$(mktemp -d /tmp/weft-idle-XXXXXX)
WPID= FPID=
cleanup() {
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null || true
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$D/policy"
for i in 0 1 2 3 4; do
	cat >"$D/policy/s$i.yaml" <<Y
apiVersion: weft/v1
kind: Service
metadata: {name: svc$i}
spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.$((i + 1)), port: 8080}]}
Y
done
XPORT=$(free_port)
"$BIN/weftd" --state "$D/state" --api 127.0.0.1:0 --ready-file "$D/ready" \
	--policy "$D/policy" --xds "127.0.0.1:$XPORT" --reconcile-ms 0 2>"$D/weftd.log" &
WPID=$!
for _ in $(seq 150); do [ -s "$D/ready" ] && break; sleep 0.1; done
[ -s "$D/ready" ] || { cat "$D/weftd.log"; exit 1; }
API=$(cat "$D/ready")
"$BIN/xdsfleet" --server "127.0.0.1:$XPORT" --clients "$N" --channels 20 --threads 2 \
	--types lds,rds,cds,eds --duration $((S + 300)) >"$D/fleet.log" 2>&1 &
FPID=$!
connected=0
for _ in $(seq 1200); do
	connected=$(curl -s "http://$API/metrics" | awk '/^weft_xds_connected_proxies /{print $2}')
	[ "${connected:-0}" -ge "$N" ] 2>/dev/null && break
	sleep 0.25
done
[ "${connected:-0}" -ge "$N" ] || { echo "only ${connected:-0} of $N proxies connected"; exit 1; }
sleep 5 # initial pushes and ACKs settle
ticks() { awk '{print $14 + $15}' "/proc/$WPID/stat"; }
t0=$(ticks)
sleep "$S"
t1=$(ticks)
hz=$(getconf CLK_TCK)
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$S" -v n="$N" \
	'BEGIN { c = (b - a) / hz; printf "idle_cpu proxies=%d seconds=%d cpu_s=%.2f pct=%.1f\n", n, s, c, 100 * c / s }'
