#!/bin/bash
# weftd --config FILE (docs/weftd.md): unknown, repeated and malformed keys
# and bad values fail with exit 2 naming FILE:LINE; a valid file starts
# weftd, and a flag on the command line overrides the file's value (the
# ready file named on the command line is written, the file's is not).
# Usage: WEFTD
set -u
weftd=$1
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect_error CONTENT MESSAGE: weftd --config with CONTENT exits 2 and
# prints MESSAGE on stderr.
expect_error() {
	printf '%b' "$1" >"$tmp/bad.conf"
	"$weftd" --config "$tmp/bad.conf" 2>"$tmp/err" >/dev/null
	local rc=$?
	[ $rc -eq 2 ] || fail "rc $rc (want 2) for: $1"
	grep -qF -- "$2" "$tmp/err" || fail "no '$2' in: $(head -n 2 "$tmp/err")"
}
expect_error "# comment\nstate = $tmp/s\n\nbogus = 1\n" "$tmp/bad.conf:4: unknown key 'bogus'"
expect_error "state = $tmp/s\nstate = $tmp/t\n" "$tmp/bad.conf:2: key 'state' given twice"
expect_error "state $tmp/s\n" "$tmp/bad.conf:1: expected 'key = value'"
expect_error "state =\n" "$tmp/bad.conf:1: key 'state' has no value"
expect_error "state = $tmp/s\ntxn-mode = sometimes\n" \
	"$tmp/bad.conf:2: --txn-mode: expected atomic or independent, got 'sometimes'"
expect_error "version = 1\n" "$tmp/bad.conf:1: unknown key 'version'"
expect_error "config = $tmp/other\n" "$tmp/bad.conf:1: unknown key 'config'"
"$weftd" --config "$tmp/missing.conf" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "missing.conf" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"

# A value from the file is used: no --state on the command line.
cat >"$tmp/weftd.conf" <<CONF
# weftd settings
state = $tmp/state
api = 127.0.0.1:0
  ready-file = $tmp/ready-from-file
log-level = warn
CONF
mkdir "$tmp/state"
"$weftd" --config "$tmp/weftd.conf" --ready-file "$tmp/ready-from-flag" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
	[ -s "$tmp/ready-from-flag" ] && break
	kill -0 "$pid" 2>/dev/null || fail "weftd exited: $(cat "$tmp/log")"
	sleep 0.05
done
[ -s "$tmp/ready-from-flag" ] || fail "no ready file from the flag after 10s"
[ -e "$tmp/ready-from-file" ] && fail "the file's ready-file was used over the flag"
ls "$tmp/state" | grep -q . || fail "state directory from the file unused"
kill "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "weftd exit $rc after SIGTERM: $(cat "$tmp/log")"
echo ok
