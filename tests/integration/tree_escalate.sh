#!/usr/bin/env bash
# tree_escalate.sh — a service that keeps crashing: restarts with backoff,
# then escalation stops the whole tree and pmmd exits non-zero (2).
# The crashes come from inside the service (pmmctl debug crash), the way
# a real fault would, and each death is logged with its signal.
. "$(dirname "$0")/lib.sh"

write_config "  max_deaths: 3" "  death_window: 120"
start_tree
wait_for "tree ready" 30 tree_ready

for i in 1 2; do
	old=$(svc_field order pid)
	ctl debug crash order >/dev/null || fail "debug crash refused"
	back() { [ "$(svc_field order pid)" != "$old" ] && [ "$(svc_field order state)" = ready ]; }
	wait_for "order back after crash $i" 30 back
	[ "$(svc_field order restarts)" = "$i" ] || fail "restarts should be $i"
	grep -q "order (pid $old) exited on signal 11" "$PMMD_LOG" || fail "crash $i not logged with SIGSEGV"
	pass "crash $i: restarted (restarts=$i)"
done
grep -q "order restarts in 0.10 s" "$PMMD_LOG" || fail "second restart should back off 0.1 s"
pass "second restart backed off"

pids=$(status_json | jq -r '.services[].pid')
ctl debug crash order >/dev/null || fail "debug crash refused"
set +e
wait "$PMMD_PID"; rc=$?
set -e
PMMD_PID=""
[ $rc -eq 2 ] || fail "pmmd should exit 2 after escalation, got $rc"
grep -q "order died 3 times in 120 s: escalating" "$PMMD_LOG" || fail "escalation not logged"
for p in $pids; do kill -0 "$p" 2>/dev/null && fail "service pid $p outlived the escalation"; done
pass "third death escalated: tree stopped, pmmd exit 2"
