#!/usr/bin/env bash
# tree_restart.sh — start the tree, SIGKILL each service in turn and check
# from `pmmctl status --json` that each came back with a new pid, a counted
# restart and its death recorded; SIGSTOP one (a hang) and check the
# watchdog replaces it; then stop the tree in order.
. "$(dirname "$0")/lib.sh"

write_config
start_tree
wait_for "tree ready" 30 tree_ready
pass "tree ready"

st=$(status_json)
[ "$(echo "$st" | jq '.services | length')" = 4 ] || fail "want 4 services"
# position: a number once the exchange said it, null (not 0) before that
echo "$st" | jq -e '.strategy_paused == false and has("position") and ((.position|type) == "number" or .position == null) and has("mark_price")' >/dev/null \
	|| fail "status lacks strategy_paused/position/mark_price: $st"

for svc in market order risk logger; do
	old=$(svc_field "$svc" pid)
	r0=$(svc_field "$svc" restarts)
	[ "$old" -gt 0 ] || fail "$svc has no pid"
	kill -KILL "$old"
	respawned() {
		local s; s=$(status_json) || return 1
		echo "$s" | jq -e --arg n "$svc" --argjson old "$old" --argjson r "$r0" \
			'.services[] | select(.name==$n) | .pid != $old and .pid > 0 and .state == "ready" and .restarts == $r + 1' 
	}
	wait_for "$svc back after SIGKILL" 30 respawned
	kill -0 "$old" 2>/dev/null && fail "old $svc pid $old still alive"
	svc_field "$svc" last_exit | grep -q "signal 9" || fail "$svc last_exit does not say signal 9"
	grep -q "$svc (pid $old) exited on signal 9" "$PMMD_LOG" || fail "death of $svc not logged with its signal"
	pass "$svc: SIGKILL -> new pid $(svc_field "$svc" pid), restarts $(svc_field "$svc" restarts)"
	wait_for "tree ready again" 30 tree_ready
done

# A hung service is a crashed service.
old=$(svc_field risk pid)
kill -STOP "$old"
hung_replaced() { [ "$(svc_field risk pid)" != "$old" ] && [ "$(svc_field risk state)" = ready ]; }
wait_for "hung risk replaced" 30 hung_replaced
grep -q "risk (pid $old) hung" "$PMMD_LOG" || fail "hang not logged"
pass "SIGSTOPped risk killed by the watchdog and replaced"

# Orderly stop: order first, logger last, exit 0.
pids=$(status_json | jq -r '.services[].pid')
kill -TERM "$PMMD_PID"
wait "$PMMD_PID"; rc=$?
PMMD_PID=""
[ $rc -eq 0 ] || fail "pmmd exited $rc on SIGTERM"
order_line=$(grep -n "stopping order" "$PMMD_LOG" | head -1 | cut -d: -f1)
logger_line=$(grep -n "stopping logger" "$PMMD_LOG" | head -1 | cut -d: -f1)
[ -n "$order_line" ] && [ -n "$logger_line" ] && [ "$order_line" -lt "$logger_line" ] \
	|| fail "order must be stopped before logger"
for p in $pids; do kill -0 "$p" 2>/dev/null && fail "service pid $p outlived pmmd"; done
pass "SIGTERM stopped the tree in order, exit 0"
