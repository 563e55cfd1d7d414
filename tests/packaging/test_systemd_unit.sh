#!/bin/bash
# packaging/weftd.service: `systemd-analyze verify` must accept it without a
# single warning (verify exits 0 on unknown keys and bad values, so any
# output fails the test), the sandbox directives the package promises must
# be there, and the offline security exposure must stay at 2.0 or below.
# Exit 77 (skipped) without systemd-analyze. Usage: UNIT WEFTD
set -u
unit=$1 weftd=$2
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify checks that ExecStart's binary exists: point it at the build's.
sed "s#/usr/bin/weftd#$weftd#" "$unit" >"$tmp/weftd.service"
out=$(systemd-analyze verify --man=no "$tmp/weftd.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "systemd-analyze verify (rc $rc):"
	echo "$out"
	exit 1
fi
for want in User=weft Group=weft StateDirectory=weft NoNewPrivileges=yes ProtectSystem=strict \
	ProtectHome=yes PrivateTmp=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	'^CapabilityBoundingSet=$' 'ExecStart=/usr/bin/weftd --config /etc/weft/weftd.conf'; do
	grep -q -- "$want" "$unit" || { echo "missing in $unit: $want"; exit 1; }
done
if ! systemd-analyze security --offline=yes --man=no --threshold=20 "$tmp/weftd.service" \
	>"$tmp/security" 2>&1; then
	echo "exposure above 2.0:"
	tail -n 5 "$tmp/security"
	exit 1
fi
tail -n 1 "$tmp/security"
echo "ok"
