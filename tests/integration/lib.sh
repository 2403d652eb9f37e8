# lib.sh — shared helpers for the integration scripts (sourced, not run).
#
# Each script gets its own temporary directory with a config, a .env and a
# runtime directory, so scripts can run in parallel and leave nothing
# behind. Waiting is always "poll until a condition holds, or fail after a
# generous deadline": no test depends on how fast the machine is.

set -euo pipefail

: "${PMM_BIN:?PMM_BIN must point at the build directory}"
: "${PMM_SRC:?PMM_SRC must point at the source directory}"
PMMD="$PMM_BIN/bin/pmmd"
PMMCTL="$PMM_BIN/bin/pmmctl"

T=$(mktemp -d "${TMPDIR:-/tmp}/pmm-test.XXXXXX")
export PMM_RUNTIME_DIR="$T/run"
PMMD_PID=""
PMMD_LOG="$T/pmmd.log"

cleanup() {
	local rc=$?
	if [ -n "$PMMD_PID" ] && kill -0 "$PMMD_PID" 2>/dev/null; then
		kill -TERM "$PMMD_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$PMMD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PMMD_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -f "$PMMD_LOG" ]; then
		echo "---- pmmd log (last 60 lines) ----"; tail -n 60 "$PMMD_LOG"
	fi
	rm -rf "$T"
	# a SIGKILLed pmmd cannot remove its state segment
	rm -f "/dev/shm/pmm-t$$-$(id -u)"-*
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# write_config [extra yaml lines...]: a small valid config for the tree.
write_config() {
	{
		echo "instance_id: t$$"
		echo "symbol: BTCUSDT"
		echo "logging:"
		echo "  log_directory: $T/logs"
		echo "  log_level: info"
		echo "supervisor:"
		echo "  heartbeat_interval: 0.2"
		echo "  heartbeat_timeout: 2"
		echo "  backoff_initial: 0.1"
		echo "  backoff_max: 1"
		for l in "$@"; do echo "$l"; done
	} > "$T/config.yaml"
	# Nothing listens on port 1: a tree without exch_env must not reach
	# whatever exchange runs on the machine's default port (a key it does
	# not know stops the tree with 78). exch_env's lines come later and win.
	printf 'EXCHANGE_ENV=sim\nBINANCE_API_KEY=testkey\nBINANCE_SECRET_KEY=testsecret\n%s\n%s\n' \
		"BINANCE_REST_URL=http://127.0.0.1:1" "BINANCE_WS_URL=ws://127.0.0.1:1" > "$T/.env"
	chmod 600 "$T/.env"
}

start_tree() {
	"$PMMD" -c "$T/config.yaml" -e "$T/.env" >"$PMMD_LOG" 2>&1 &
	PMMD_PID=$!
}

# as_terminal_job CMD...: exec CMD as a terminal starts a job: the leader
# of a process group (its own session here) with SIGINT and SIGQUIT at
# their defaults — a script's `cmd &` would inherit them ignored, and a
# shell cannot trap a signal ignored on entry. `kill -INT -- -$!` is then
# the terminal's Ctrl-C. Only as `as_terminal_job CMD... &`: it execs, so
# that $! is the job's pid and process group.
as_terminal_job() {
	exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

ctl() { "$PMMCTL" "$@"; }
status_json() { "$PMMCTL" status --json 2>/dev/null; }

# wait_for DESC SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
	local desc=$1 secs=$2; shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for: $desc"
		sleep 0.05
	done
}

tree_ready() { status_json | jq -e '.tree_ready == true' ; }
svc_field() { status_json | jq -r --arg n "$1" ".services[] | select(.name==\$n) | .$2"; }

# ---- pmm-exchange beside the tree ----------------------------------------
# For scripts that need market data: exch_start runs pmm-exchange on a
# port the kernel picks (remembered, so a restart comes back on the same
# one), exch_env points the tree's .env at it, exch_trap makes the exit
# trap stop it too.
EXCH_BIN="$PMM_BIN/bin/pmm-exchange"
EXCH_PID=""
EXCH_PORT=""
EXCH_LOG="$T/exchange.log"

# exch_start [pmm-exchange options...]
exch_start() {
	local pf="$T/exchange.port"
	[ -x "$EXCH_BIN" ] || fail "no $EXCH_BIN (build it first)"
	rm -f "$pf"
	"$EXCH_BIN" --port "${EXCH_PORT:-0}" --port-file "$pf" "$@" \
		>>"$EXCH_LOG" 2>&1 &
	EXCH_PID=$!
	wait_for "pmm-exchange listening" 30 test -s "$pf"
	EXCH_PORT=$(cat "$pf")
	wait_for "pmm-exchange answering" 30 \
		curl -sf "http://127.0.0.1:$EXCH_PORT/fapi/v1/ping"
}

exch_stop() {
	[ -n "$EXCH_PID" ] || return 0
	kill -TERM "$EXCH_PID" 2>/dev/null || true
	wait "$EXCH_PID" 2>/dev/null || true
	EXCH_PID=""
}

# exch_env: after write_config and exch_start.
exch_env() {
	printf 'BINANCE_REST_URL=http://127.0.0.1:%s\nBINANCE_WS_URL=ws://127.0.0.1:%s\n' \
		"$EXCH_PORT" "$EXCH_PORT" >> "$T/.env"
}

exch_trap() {
	# set +e: the (exit $rc) that hands cleanup the status must not end
	# the trap before cleanup runs
	trap 'rc=$?; set +e; [ -z "$EXCH_PID" ] || kill -KILL "$EXCH_PID" 2>/dev/null
	    if [ $rc -ne 0 ] && [ -f "$EXCH_LOG" ]; then
		echo "---- pmm-exchange log (last 20 lines) ----"; tail -n 20 "$EXCH_LOG"
	    fi; (exit $rc); cleanup' EXIT
}

# ---- a pinned book ---------------------------------------------------------
# A synthetic market fills the ladder whenever it likes: a test that waits
# for "quoting" races it (two fills can cross a small position limit before
# the first poll). For such steps start the exchange --manual and pin the
# book: nothing trades unless the script says so (/sim/trade, /sim/mid).
# exch_pin BID ASK: the outside book, one level a side of 5 BTC.
exch_pin() {
	exch_post "/sim/book?symbol=BTCUSDT&bid=$1&ask=$2&qty=5" >/dev/null ||
		fail "pin the book at $1/$2"
}
# exch_ticker: a pinned book is published once; a tree whose
# market_stale_after must see updates gets it again every 0.2 s (POST
# /sim/tick) while this script lives, through exchange restarts on the
# same port. A stall under load only delays: the stale pause clears itself.
exch_ticker() {
	( while kill -0 $$ 2>/dev/null; do
		curl -s -o /dev/null -X POST "http://127.0.0.1:$EXCH_PORT/sim/tick" || true
		sleep 0.2
	  done ) >/dev/null 2>&1 &
}

# exch_get PATH: GET from the exchange (REST or /sim), body on stdout.
exch_get() { curl -sf "http://127.0.0.1:$EXCH_PORT$1"; }
exch_post() { curl -sf -X POST "http://127.0.0.1:$EXCH_PORT$1"; }

# ---- signed requests to pmm-exchange -------------------------------------
# For scripts that check the exchange's view of the tree's account:
# exch_accounts writes an accounts file (pass it as exch_start --config) with
# the key write_config puts in .env; exch_signed sends a SIGNED request with
# it, as any Binance client would (HMAC-SHA256 by openssl).
EXCH_KEY=testkey
EXCH_SECRET=testsecret

exch_accounts() {
	printf 'account %s %s 100000\n' "$EXCH_KEY" "$EXCH_SECRET" > "$T/accounts"
	echo "$T/accounts"
}

# exch_signed METHOD PATH [QUERY]: body on stdout; fails on an HTTP error.
exch_signed() {
	local m=$1 p=$2 q=${3:-} sig
	q="${q:+$q&}timestamp=$(date +%s%3N)"
	sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac "$EXCH_SECRET" | sed 's/^.*= //')
	curl -sf -X "$m" -H "X-MBX-APIKEY: $EXCH_KEY" \
		"http://127.0.0.1:$EXCH_PORT$p?$q&signature=$sig"
}
