#!/bin/bash
# The Debian package (docs/packaging.md): built with CPack from this build
# tree, installed into the real system with `dpkg -i` (root only: CI runs
# as root), then weftd and weftctl from /usr/bin print their versions, the
# weft user, unit, man pages, completion and conffile are in place, and
# `dpkg --purge` removes it all again (also when a check fails).
# Exit 77 (skipped) when not root or without dpkg. Usage: BUILD_DIR
set -u
build=$1
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
command -v dpkg >/dev/null && command -v cpack >/dev/null || { echo "no dpkg/cpack: skipped"; exit 77; }
if dpkg -s weft >/dev/null 2>&1; then
	echo "a weft package is installed already: not touching it, skipped"
	exit 77
fi
tmp=$(mktemp -d)
installed=
cleanup() {
	[ -n "$installed" ] && dpkg --purge weft >/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp" >"$tmp/cpack.log" 2>&1 ||
	fail "cpack: $(tail -n 20 "$tmp/cpack.log")"
deb=$(ls "$tmp"/weft_*.deb) || fail "no .deb in $tmp"
dpkg-deb -f "$deb" Depends | grep -q libjansson || fail "no shared library dependencies"
installed=1
dpkg -i "$deb" || fail "dpkg -i"

/usr/bin/weftd --version | grep -E '^weftd [0-9.]+ \(commit ' || fail "weftd --version"
/usr/bin/weftctl --version | grep -E '^weftctl [0-9.]+ \(commit ' || fail "weftctl --version"
getent passwd weft >/dev/null || fail "no weft user"
for f in /usr/lib/systemd/system/weftd.service /usr/share/man/man8/weftd.8 \
	/usr/share/man/man1/weftctl.1 /usr/share/bash-completion/completions/weftctl \
	/etc/weft/weftd.conf; do
	[ -s "$f" ] || fail "missing $f"
done
grep -q '^complete .*weftctl' /usr/share/bash-completion/completions/weftctl ||
	fail "completion script has no complete line"
dpkg-query -W -f='${Conffiles}' weft | grep -q /etc/weft/weftd.conf || fail "weftd.conf not a conffile"
# The packaged config is valid for the packaged weftd: the file is read
# first, so only with a valid file does the bad flag's own error show.
/usr/bin/weftd --config /etc/weft/weftd.conf --txn-mode bogus 2>&1 | grep -q -- '--txn-mode' ||
	fail "packaged weftd.conf does not parse"

dpkg --purge weft || fail "dpkg --purge"
installed=
[ -e /usr/bin/weftd ] && fail "/usr/bin/weftd still there after purge"
[ -e /etc/weft/weftd.conf ] && fail "/etc/weft/weftd.conf still there after purge"
echo ok
