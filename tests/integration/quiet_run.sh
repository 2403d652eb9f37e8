#!/usr/bin/env bash
# quiet_run.sh — a warning must mean something is wrong. An ordinary run
# (quote, get filled, stop with SIGTERM) and a second run against a fresh
# local exchange (trade ids start again, as after every ./run.sh) write no
# warning or error line at all: no "trade ids went backwards", no
# "subscriber lost" on the way out.
. "$(dirname "$0")/../faults/lib.sh"

# warnings FILE: the warning/error lines (priority 0..4) pmmd and its
# children wrote, whatever the tty
warnings() { grep -E '^<[0-4]>|warning' "$1" || true; }

# fill_once N: pin the book, move it through our bids, wait for the Nth
# fill row in the CSV
fill_once() {
	pin_book
	move_book -200
	fills() { [ "$(cat "$T"/logs/metrics-*.csv | grep -c ',fill,')" -ge "$1" ]; }
	wait_for "fill $1 in the CSV" 30 fills "$1"
}

fault_tree
fill_once 1
kill -TERM "$PMMD_PID"; wait "$PMMD_PID" || fail "pmmd exited non-zero on SIGTERM"
PMMD_PID=""
w=$(warnings "$PMMD_LOG")
[ -z "$w" ] || fail "an ordinary run and stop wrote warnings:
$w"
pass "quote, fill, stop: no warning"

# A fresh exchange (new trade ids) under the same log directory and ledger.
exch_stop
EXCH_PORT=""
exch_start --config "$(exch_accounts)" --seed 8
sed -i -E '/^BINANCE_(REST|WS)_URL=/d' "$T/.env"; exch_env
mv "$PMMD_LOG" "$T/pmmd-1.log"
start_tree
wait_for "tree ready" 30 tree_ready
wait_for "a ladder on the new exchange" 30 settled
fill_once 2
kill -TERM "$PMMD_PID"; wait "$PMMD_PID" || fail "pmmd exited non-zero on SIGTERM"
PMMD_PID=""
w=$(warnings "$PMMD_LOG")
[ -z "$w" ] || fail "a run against a fresh exchange wrote warnings:
$w"
grep -q "trade ids restarted" "$PMMD_LOG" || fail "the ledger reset is not said at all"
pass "a fresh local exchange: the ledger restart is said, without a warning"
