#!/usr/bin/env bash
# crash_loop.sh — a service that crash-loops (SIGSEGV from inside, by
# `pmmctl debug crash`) while the tree trades: each death logged with its
# signal, restarts backed off, and the third death in the window escalates:
# the tree stops, pmmd exits 2, and no order of ours stays on the exchange.
#  - market looping: the order service is stopped first and cancels its
#    orders itself, so none is left the moment pmmd has exited;
#  - order looping: the dead order service cannot cancel anything and pmmd
#    sends nothing to the exchange, so what is true is that the exchange's
#    countdownCancelAll (5 s here, renewed by the order service while it
#    ran) removes them; a new pmmd then reconciles and quotes one ladder.
# Printed: time from pmmd's exit to no order of ours.
. "$(dirname "$0")/lib.sh"

crash_exchange --seed 9
crash_config "  max_deaths: 3" "  death_window: 120" \
	"exchange:" "  countdown_cancel_ms: 5000"
settled_any() { ladder_ok "$(ours)"; }

# loop SVC: crash SVC until pmmd escalates; leaves pmmd's exit code in rc
loop() {
	local svc=$1 i old
	for i in 1 2; do
		old=$(svc_field "$svc" pid)
		ctl debug crash "$svc" >/dev/null || fail "debug crash $svc refused"
		wait_for "$svc back after crash $i" 30 svc_back "$svc" "$old"
		grep -q "$svc (pid $old) exited on signal 11" "$PMMD_LOG" ||
			fail "crash $i of $svc not logged with SIGSEGV"
		wait_for "a ladder after crash $i of $svc" 30 settled_any
	done
	grep -q "$svc restarts in 0.10 s" "$PMMD_LOG" ||
		fail "the second restart of $svc was not backed off"
	pass "$svc: 2 crashes, each logged with signal 11, the second restart backed off"
	pids=$(status_json | jq -r '.services[].pid')
	[ "$(n_ours)" -gt 0 ] || fail "no orders of ours before the escalation"
	ctl debug crash "$svc" >/dev/null || fail "debug crash $svc refused"
	set +e
	wait "$PMMD_PID"; rc=$?
	set -e
	PMMD_PID=""
	[ $rc -eq 2 ] || fail "pmmd exited $rc after $svc escalated, want 2"
	grep -q "$svc died 3 times in 120 s: escalating" "$PMMD_LOG" ||
		fail "the escalation of $svc not logged"
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && fail "pid $p outlived the escalation"
	done
	return 0
}

# ---- market loops: order cancels on the way out ---------------------------------
start_tree
wait_for "tree ready" 30 tree_ready
wait_for "a first ladder" 30 settled_any
loop market
left=$(n_ours)
[ "$left" -eq 0 ] || fail "$left orders of ours left after market escalated: $(ours)"
grep -Eq "order: stopped: (the exchange confirmed all [0-9]+ orders of ours gone|no order of ours was open)" "$PMMD_LOG" ||
	fail "the order service did not cancel on the way out"
pass "market escalated: pmmd exit 2, every service gone, no order of ours left"

# ---- order loops: a cancel-only run cleans up, the next start quotes -----------------
: > "$PMMD_LOG"
start_tree
wait_for "tree ready" 30 tree_ready
wait_for "a first ladder" 30 settled_any
exch_get /sim/requests?path=/fapi/v1/countdownCancelAll\&since=0 |
	jq -e '[.requests[] | select(.status == 200 and
	    .params.countdownTime == "5000")] | length > 0' >/dev/null ||
	fail "no countdownCancelAll 5000 sent"
loop order
left=$(n_ours)
# pmmd runs the order service once more, only to cancel: nothing is left
# for the countdown to do
[ "$left" -eq 0 ] || fail "$left orders of ours left after order escalated: $(ours)"
grep -q "order failed: starting it once more to cancel its orders" "$PMMD_LOG" ||
	fail "no cancel-only run of the order service"
grep -Eq "order: stopped: the exchange confirmed all [1-9][0-9]* orders of ours gone" "$PMMD_LOG" ||
	fail "the cancel-only run did not cancel"
echo "# FIGURE order escalated: $left orders of ours left at pmmd's exit (cancel-only run; countdown 5000 ms as the fallback)"
pass "order escalated: pmmd exit 2, a cancel-only run emptied the book"
start_tree
wait_for "tree ready after the escalation" 30 tree_ready
wait_for "one ladder from a new pmmd" 30 settled_any
pass "a new pmmd quotes one ladder"
exch_stop
pass "done"
