#!/bin/sh
# Golden tests of weftctl import (docs/northbound.md). For every input
# NAME.yaml below this directory: NAME.golden is the expected output (and
# `weftctl validate` must accept it), or NAME.err the expected refusals on
# stderr with exit 1; NAME.partial.golden, when present, the output with
# --allow-partial. Importing twice must give the same text.
# usage: run.sh WEFTCTL [--update]
set -u
ctl=$1
update=${2:-}
cd "$(dirname "$0")" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
	if [ "$update" = --update ]; then
		cp "$3" "$2"
	elif ! diff -u "$2" "$3"; then
		echo "FAIL: $1 differs from $2"
		fail=1
	fi
}
for in in */*.yaml; do
	base=${in%.yaml}
	"$ctl" import -f "$in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -f "$base.err" ] || [ "$update" = --update ] && [ $rc -ne 0 ]; then
		[ $rc -eq 1 ] || { echo "FAIL: $in: exit $rc, expected 1"; fail=1; }
		check "$in" "$base.err" "$tmp/err"
	else
		[ $rc -eq 0 ] || { echo "FAIL: $in: exit $rc"; cat "$tmp/err"; fail=1; continue; }
		check "$in" "$base.golden" "$tmp/out"
		"$ctl" import -f "$in" >"$tmp/again" 2>/dev/null
		cmp -s "$tmp/out" "$tmp/again" || { echo "FAIL: $in: second import differs"; fail=1; }
		"$ctl" validate "$tmp/out" >"$tmp/valid" 2>&1 ||
			{ echo "FAIL: $in: weftctl validate refused the output"; cat "$tmp/valid"; fail=1; }
		"$ctl" import -o json -f "$in" >"$tmp/out.yaml" 2>/dev/null &&
			"$ctl" validate "$tmp/out.yaml" >/dev/null 2>&1 ||
			{ echo "FAIL: $in: -o json output is not valid"; fail=1; }
	fi
	if [ -f "$base.partial.golden" ] || { [ "$update" = --update ] && [ $rc -ne 0 ] && [ "${base#bad/refused}" != "$base" ]; }; then
		"$ctl" import --allow-partial -f "$in" >"$tmp/partial" 2>/dev/null ||
			{ echo "FAIL: $in: --allow-partial failed"; fail=1; }
		check "$in" "$base.partial.golden" "$tmp/partial"
		"$ctl" validate "$tmp/partial" >/dev/null 2>&1 ||
			{ echo "FAIL: $in: --allow-partial output is not valid"; fail=1; }
	fi
done
# docs/northbound.md's field tables are generated from the code.
doc=../../docs/northbound.md
sed -n '/^<!-- generated/,/^<!-- end generated/p' "$doc" | sed '1d;$d' >"$tmp/doc"
"$ctl" import --field-tables >"$tmp/tables"
cmp -s "$tmp/doc" "$tmp/tables" ||
	{ echo "FAIL: $doc field tables differ from weftctl import --field-tables"; fail=1; }
[ $fail -eq 0 ] && echo "northbound golden tests passed"
exit $fail
