#!/usr/bin/env bash
# install-deps.sh — install what pmm needs to build and test from Debian 12's
# packages. Safe to run again: apt-get skips what is already there. Needs
# root (or sudo) only when something is missing.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libwebsockets-dev libmsgpack-dev libjansson-dev libcurl4-openssl-dev
      libssl-dev libyaml-dev libsystemd-dev zlib1g-dev libuv1-dev check
      libmicrohttpd-dev prometheus
      clang libclang-rt-14-dev valgrind
      curl jq openssl python3 procps iproute2 systemd
      debootstrap systemd-container   # tests/systemd: a real systemd in a container
      gdb)   # gdb: gcore for tests/crash/core_secrets.sh

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
