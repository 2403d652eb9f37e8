#!/usr/bin/env bash
# run.sh — set everything up and run the main job: the local exchange
# (pmm-exchange, synthetic BTCUSDT market on 127.0.0.1:18080) and the pmmd
# tree trading against it with config/config.yaml, in the foreground.
# Ctrl-C stops both (pmmd cancels its orders first).
# RUN_SECONDS=N stops after N seconds (handy for a smoke run).
set -euo pipefail
cd "$(dirname "$0")"

deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

if [ ! -f .env ]; then
	cp config/.env.example .env	# the local exchange's demo account
	echo "created .env from config/.env.example"
fi
chmod 600 .env
build/bin/pmmd -n -c config/config.yaml -e .env >/dev/null

# pmmctl finds the tree the same way pmmd does; give it a place it can use.
if [ -z "${PMM_RUNTIME_DIR:-}" ] && [ -z "${XDG_RUNTIME_DIR:-}" ] && [ ! -w /run ]; then
	export PMM_RUNTIME_DIR="/tmp/pmm-$(id -u)"
	echo "runtime dir: $PMM_RUNTIME_DIR (export it for pmmctl)"
fi

mkdir -p logs
build/bin/pmm-exchange --port 18080 >logs/pmm-exchange.log 2>&1 &
EXCH=$!
PMMD=""
stop() {
	[ -n "$PMMD" ] && kill -TERM "$PMMD" 2>/dev/null && wait "$PMMD" 2>/dev/null
	kill -TERM "$EXCH" 2>/dev/null; wait "$EXCH" 2>/dev/null
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do
	curl -sf http://127.0.0.1:18080/fapi/v1/ping >/dev/null && break
	kill -0 "$EXCH" 2>/dev/null || { cat logs/pmm-exchange.log; exit 1; }
	sleep 0.1
done
echo "pmm-exchange up on 127.0.0.1:18080 (log: logs/pmm-exchange.log)"
echo "in another terminal:  build/bin/pmmctl status"

build/bin/pmmd -c config/config.yaml -e .env &
PMMD=$!
if [ -n "${RUN_SECONDS:-}" ]; then
	sleep "$RUN_SECONDS"
	build/bin/pmmctl status || true
	exit 0
fi
wait "$PMMD"
