#!/usr/bin/env bash
# hang.sh — SIGSTOP each service of a trading tree in turn (a hang: alive,
# silent). The watchdog (heartbeat_timeout 2 s) must kill and replace it:
# a new pid, ready, the hang logged and recorded in the CSV (the
# service_event "died" row marked "(hung)"), the stopped pid gone, and from the exchange's side one complete
# ladder again with none of the orders live before the hang. A hung order
# service cannot cancel anything; its replacement must clean up.
# Printed: time from SIGSTOP to the settled ladder.
. "$(dirname "$0")/lib.sh"

crash_exchange --seed 6
crash_config "  max_deaths: 1000" "  death_window: 1"
start_tree
wait_for "tree ready" 30 tree_ready
settled_any() { ladder_ok "$(ours)"; }
wait_for "a first ladder" 30 settled_any

settled() {
	local o
	o=$(ours) || return 1
	ladder_ok "$o" && echo "$o" | jq -e --argjson b "$1" \
	    '([.[].clientOrderId] - $b) | length == '"$((2 * CRASH_LEVELS))" >/dev/null &&
	    [ "$(status_json | jq .open_orders)" -eq $((2 * CRASH_LEVELS)) ]
}
# pmmd records a hang as the death the watchdog caused, marked "(hung)"
csv_hung() {
	case $(csv_died "$1") in *"(hung)"*) ;; *) return 1 ;; esac
}

for svc in order market risk logger; do
	pid=$(svc_field "$svc" pid)
	before=$(ours | jq -c '[.[].clientOrderId]')
	t0=$(now_ns)
	kill -STOP "$pid"
	wait_for "hung $svc ($pid) replaced" 30 svc_back "$svc" "$pid"
	wait_for "the stopped $svc ($pid) gone" 10 bash -c "! kill -0 $pid"
	wait_for "a settled ladder after the $svc hang" 30 settled "$before"
	ms=$(ms_since "$t0")
	grep -q "$svc (pid $pid) hung" "$PMMD_LOG" || fail "the $svc hang not logged"
	wait_for "the $svc hang in the CSV" 15 csv_hung "$pid"
	pass "SIGSTOPped $svc ($pid): killed by the watchdog, replaced, ladder settled"
	echo "# FIGURE $svc SIGSTOP -> settled ladder: $ms ms (heartbeat_timeout 2 s)"
done
rows=$(csv_check) || fail "CSV: $rows"
pass "CSV: $rows rows, none torn"
exch_stop
pass "done"
