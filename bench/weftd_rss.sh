#!/usr/bin/env bash
# Benchmark: weftd's resident memory holding a generated policy of S
# services x E endpoints and R routes (goal: under 200 MB for 1,000 x 10 and
# 2,000 routes), and the time of the API apply that loads it. Starts weftd
# on a free loopback port with a temp state dir; stops it by pid.
# Usage: bench/weftd_rss.sh [BUILD_DIR] [S] [E] [R]
set -euo pipefail
build=${1:-build}; S=${2:-1000}; E=${3:-10}; R=${4:-2000}
bin=$(cd "$build/bin" && pwd)
work=$(mktemp -d /tmp/weft-bench-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin/bench_core" --services "$S" --endpoints "$E" --routes "$R" --changes 1 \
  --write-policy "$work/policy.yaml" >/dev/null
"$bin/weftd" --state "$work/state" --api 127.0.0.1:0 --ready-file "$work/addr" \
  2>"$work/weftd.log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/addr" ] && break; sleep 0.1; done
[ -s "$work/addr" ] || { cat "$work/weftd.log"; exit 1; }
export WEFT_SERVER="http://$(cat "$work/addr")"
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; }
echo "weftd idle: RSS $(rss) MB"
t0=$(date +%s%N)
"$bin/weftctl" apply -f "$work/policy.yaml" >/dev/null
t1=$(date +%s%N)
sleep 1
echo "weftd holding $S services x $E endpoints, $R routes ($(wc -c <"$work/policy.yaml") bytes of YAML):" \
     "RSS $(rss) MB (goal < 200 MB); apply over the API took $(( (t1 - t0) / 1000000 )) ms"
