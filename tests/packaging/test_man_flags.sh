#!/bin/bash
# The man pages name exactly the real flags: every long option in
# `PROGRAM --help` appears in the page, and every one the page names is in
# the help (--help and --version aside, which both programs take), and the
# page renders without groff warnings. Usage: PROGRAM PAGE
set -u
prog=$1 page=$2
fail() { echo "FAIL: $*"; exit 1; }
help=$("$prog" --help 2>&1) || fail "$prog --help failed"
in_help=$(grep -oE -- '--[a-z][a-z-]*[a-z]' <<<"$help" | sort -u)
in_page=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page" | grep -v '^\.\\"' |
	grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u)
missing=$(comm -23 <(echo "$in_help") <(echo "$in_page"))
extra=$(comm -13 <(echo "$in_help") <(echo "$in_page") | grep -vxE -- '--help|--version')
[ -z "$missing" ] || fail "$page lacks: $missing"
[ -z "$extra" ] || fail "$page names flags $prog does not have: $extra"
"$prog" --version | grep -q . || fail "$prog --version printed nothing"
warn=$(LC_ALL=C groff -man -ww -z "$page" 2>&1)
[ -z "$warn" ] || fail "groff: $warn"
echo "ok: $(wc -l <<<"$in_help") flags"
