#!/usr/bin/env bash
# install-deps.sh — install the Debian 12 packages pmm needs, for one use:
#
#   install-deps.sh run     the shared libraries the installed programs load
#                           (a machine that got them by `cmake --install`)
#   install-deps.sh build   run + compiler, cmake and the -dev packages:
#                           what ./run.sh needs
#   install-deps.sh test    build + what the tests drive: libcheck, clang
#                           (the fuzzers and the clang build), valgrind,
#                           jq, openssl, iproute2, systemd-analyze,
#                           prometheus, chromium, debootstrap +
#                           systemd-nspawn...:
#                           what ./test.sh and .ci/run need
#
# Without an argument: test (everything). Safe to run again: only missing
# packages are installed. Needs root (or sudo) only when something is
# missing.
set -euo pipefail

# libwebsockets-evlib-uv: libwebsockets loads its libuv loop as a plugin
# (ldd does not list it; without it market and order exit at start). The
# same list as deploy/README.md's runtime line (tests/systemd checks it).
# gnuplot-nox: `pmmctl report` runs gnuplot to draw its charts (the trading
# tree itself never needs it).
RUN_PKGS=(libwebsockets17 libwebsockets-evlib-uv libmsgpackc2 libjansson4
          libcurl4 libssl3 libyaml-0-2 libsystemd0 zlib1g libuv1
          libmicrohttpd12 gnuplot-nox)
BUILD_PKGS=(build-essential cmake pkg-config
            libwebsockets-dev libmsgpack-dev libjansson-dev libcurl4-openssl-dev
            libssl-dev libyaml-dev libsystemd-dev zlib1g-dev libuv1-dev
            libmicrohttpd-dev)
TEST_PKGS=(check clang libclang-rt-14-dev valgrind
           curl jq openssl python3 procps iproute2 systemd util-linux
           prometheus                       # tests: a real scrape of /metrics
           chromium                         # tests/integration/report.sh renders the page
           debootstrap systemd-container    # tests/systemd: a real systemd in a container
           gdb)                             # gcore for tests/crash/core_secrets.sh

case "${1:-test}" in
run)	PKGS=("${RUN_PKGS[@]}") ;;
build)	PKGS=("${RUN_PKGS[@]}" "${BUILD_PKGS[@]}") ;;
test)	PKGS=("${RUN_PKGS[@]}" "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
*)	echo "usage: $0 [run|build|test]" >&2; exit 64 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing (${1:-test}): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
