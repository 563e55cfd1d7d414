#!/usr/bin/env bash
# Installs the Debian packages weft builds, tests and demos with (Debian 12,
# as root). Quick when everything is already there: only missing packages
# are installed, and `apt-get update` runs only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev git
  libyaml-dev libjansson-dev libsqlite3-dev libmicrohttpd-dev
  libcurl4-openssl-dev libssl-dev libcmocka-dev
  libgrpc-dev protobuf-c-compiler libprotobuf-c-dev protobuf-compiler
  libssh2-1-dev libnetconf2-dev libssh-dev libyang2-dev libyang2-tools
  netconfd yangcli python3-ncclient python3-grpcio openssh-server openssl
  etcd-server etcd-client curl procps haproxy
  dpkg-dev systemd groff-base man-db
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
