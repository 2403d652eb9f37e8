#!/usr/bin/env bash
# run.sh — set everything up and run the main job: the local exchange
# (pmm-exchange, synthetic BTCUSDT market on 127.0.0.1:18080, or on a free
# port when that one is taken) and the pmmd tree trading against it with
# config/config.yaml, in the foreground.
#
# Ctrl-C stops the tree first — the order service cancels its orders, the
# logger writes the last rows — and then the exchange: both run in sessions
# of their own, so the terminal's SIGINT reaches only this script.
#
# Environment:
#   RUN_SECONDS=N  stop after N seconds, printing the status first (a smoke run)
#   RUN_PORT=N     the local exchange's port (default 18080)
#   RUN_EXCHANGE_ARGS="..."  more pmm-exchange options, e.g. "--seed 7" or
#                  "--replay FILE --speed 1" (docs/SIM.md)
#   RUN_SETUP=0    neither install packages nor build: use build/bin as it is
#                  (tests/integration/run_sh.sh)
set -euo pipefail
cd "$(dirname "$0")"
PORT=${RUN_PORT:-18080}
CONFIG=config/config.yaml
say() { echo "run.sh: $*"; }

if [ "${RUN_SETUP:-1}" != 0 ]; then
	deploy/install-deps.sh build
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	# only what runs here: the tests and benchmarks are test.sh's
	cmake --build build -j"$(nproc)" --target programs
fi

if [ ! -f .env ]; then
	cp config/.env.example .env	# the local exchange's demo account
	say "created .env from config/.env.example"
fi
chmod 600 .env
effective=$(build/bin/pmmd -n -c "$CONFIG" -e .env) ||
	{ rc=$?; say "fix $CONFIG or .env as pmmd says above"; exit $rc; }
instance=$(sed -n 's/^instance_id = \(.*\)  (.*)$/\1/p' <<<"$effective")

# pmmctl finds the tree the same way pmmd does; give it a place it can use.
if [ -z "${PMM_RUNTIME_DIR:-}" ] && [ -z "${XDG_RUNTIME_DIR:-}" ] && [ ! -w /run ]; then
	export PMM_RUNTIME_DIR="/tmp/pmm-$(id -u)"
	say "runtime dir: $PMM_RUNTIME_DIR (export it for pmmctl)"
fi

mkdir -p logs
EXCH_LOG=logs/pmm-exchange.log
PORT_FILE=$(mktemp "${TMPDIR:-/tmp}/pmm-exchange-port.XXXXXX")
: >"$EXCH_LOG"
EXCH=""
PMMD=""

# stop: the tree first (it cancels with the exchange still there), then
# the exchange. A second Ctrl-C does not cut the tree's stop short.
stop() {
	trap 'say "still stopping the tree (it cancels its orders first)"' INT TERM
	if [ -n "$PMMD" ]; then
		kill -TERM "$PMMD" 2>/dev/null || true
		while kill -0 "$PMMD" 2>/dev/null; do wait "$PMMD" 2>/dev/null || true; done
	fi
	if [ -n "$EXCH" ]; then
		kill -TERM "$EXCH" 2>/dev/null || true
		while kill -0 "$EXCH" 2>/dev/null; do wait "$EXCH" 2>/dev/null || true; done
	fi
	rm -f "$PORT_FILE"
}
trap stop EXIT
trap 'exit 130' INT TERM

# exch_start PORT: 0 once it listens (its port in PORT_FILE), 1 if it exited
exch_start() {
	: >"$PORT_FILE"
	# shellcheck disable=SC2086 # RUN_EXCHANGE_ARGS: words wanted
	setsid build/bin/pmm-exchange --port "$1" --port-file "$PORT_FILE" \
		${RUN_EXCHANGE_ARGS:-} </dev/null >>"$EXCH_LOG" 2>&1 &
	EXCH=$!
	until [ -s "$PORT_FILE" ]; do
		if ! kill -0 "$EXCH" 2>/dev/null; then
			wait "$EXCH" 2>/dev/null || true
			EXCH=""
			return 1
		fi
		sleep 0.1
	done
}

if ! exch_start "$PORT"; then
	if ! grep -qi "address already in use" "$EXCH_LOG"; then
		cat "$EXCH_LOG"
		say "pmm-exchange did not start (its log is above, in $EXCH_LOG)"
		exit 1
	fi
	say "127.0.0.1:$PORT is in use (another pmm-exchange or ./run.sh?): starting the local exchange on a free port"
	exch_start 0 || { cat "$EXCH_LOG"; say "pmm-exchange did not start"; exit 1; }
fi
PORT=$(cat "$PORT_FILE")
# the tree follows the exchange to its port, unless .env names an exchange
# of its own (testnet, live, or URLs set on purpose)
if grep -q '^EXCHANGE_ENV = sim ' <<<"$effective" &&
   grep -q '^BINANCE_REST_URL = .*(default)$' <<<"$effective" &&
   ! grep -q "^BINANCE_REST_URL = http://127.0.0.1:$PORT " <<<"$effective"; then
	export BINANCE_REST_URL="http://127.0.0.1:$PORT" BINANCE_WS_URL="ws://127.0.0.1:$PORT"
fi
echo "pmm-exchange up on 127.0.0.1:$PORT (log: $EXCH_LOG)"

# pmmd_failed RC: what its exit means and what to do
pmmd_failed() {
	case $1 in
	78) say "pmmd refused the configuration (exit 78, its reason is above): fix $CONFIG or .env and run again" ;;
	2)  say "a service kept dying and pmmd gave up (exit 2, see above)" ;;
	*)  if build/bin/pmmctl -i "$instance" status >/dev/null 2>&1; then
		say "another tree of instance $instance is running (pmmd exit $1):" \
		    "stop it with 'build/bin/pmmctl -i $instance stop'," \
		    "or give this one another instance_id in $CONFIG"
	    else
		say "pmmd exited with status $1 (see above)"
	    fi ;;
	esac
}

setsid build/bin/pmmd -c "$CONFIG" -e .env </dev/null &
PMMD=$!

# pmmd_exited RC: say what pmmd's exit status means, and exit with it
pmmd_exited() {
	PMMD=""
	[ "$1" = 0 ] && { say "the tree stopped (pmmctl stop)"; exit 0; }
	pmmd_failed "$1"
	exit "$1"
}
# pmmd_gone: if pmmd has exited, pmmd_exited
pmmd_gone() {
	local rc=0
	kill -0 "$PMMD" 2>/dev/null && return 0
	wait "$PMMD" || rc=$?
	pmmd_exited "$rc"
}
# exch_gone: the exchange died under the tree
exch_gone() {
	kill -0 "$EXCH" 2>/dev/null && return 0
	EXCH=""
	tail -n 20 "$EXCH_LOG"
	say "pmm-exchange exited (its log is above); stopping the tree"
	exit 1
}

# ready, or its own failure: never another tree's status
while :; do
	st=$(build/bin/pmmctl -i "$instance" status 2>/dev/null || true)
	[[ "$st" == *"pmmd pid $PMMD  ready"* ]] && break
	pmmd_gone
	exch_gone
	sleep 0.2
done
say "the tree is ready; in another terminal:  build/bin/pmmctl status"

if [ -n "${RUN_SECONDS:-}" ]; then
	end=$((SECONDS + RUN_SECONDS))
	while [ $SECONDS -lt $end ]; do
		pmmd_gone
		exch_gone
		sleep 0.5
	done
	build/bin/pmmctl -i "$instance" status || true
	exit 0
fi
# until one of them exits; Ctrl-C ends the wait at once (trap above)
rc=0
wait -n -p who "$PMMD" "$EXCH" || rc=$?
[ "${who:-}" = "$PMMD" ] && pmmd_exited "$rc"
EXCH=""
exch_gone
