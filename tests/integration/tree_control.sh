#!/usr/bin/env bash
# tree_control.sh — pmmd -n, bad config refusal, pmmctl pause/resume/
# reload/config, one pmmd per instance, and children that do not outlive
# a SIGKILLed supervisor.
. "$(dirname "$0")/lib.sh"

write_config
secret=testsecret

# pmmd -n validates, prints sources, masks secrets, exits 0.
out=$("$PMMD" -n -c "$T/config.yaml" -e "$T/.env")
echo "$out" | grep -q "symbol = BTCUSDT  (yaml)" || fail "-n should show symbol from yaml: $out"
echo "$out" | grep -q "(default)" || fail "-n should show defaults"
echo "$out" | grep -q "$secret" && fail "-n printed the secret"
pass "pmmd -n prints the effective config with sources, secret masked"

# A bad config: exit 78, the message names file, line and key; nothing starts.
cp "$T/config.yaml" "$T/good.yaml"
printf 'order_config:\n  levles: 3\n' >> "$T/config.yaml"
set +e; msg=$("$PMMD" -c "$T/config.yaml" -e "$T/.env" 2>&1); rc=$?; set -e
[ $rc -eq 78 ] || fail "bad config should exit 78, got $rc"
echo "$msg" | grep -q "config.yaml:[0-9]*.*levles.*did you mean.*levels" || fail "unhelpful message: $msg"
[ -e "$PMM_RUNTIME_DIR/pmmd.sock" ] && fail "bad config must not create the runtime"
pass "bad config refused with exit 78: $msg"
cp "$T/good.yaml" "$T/config.yaml"

start_tree
wait_for "tree ready" 30 tree_ready
[ "$(stat -c %a "$PMM_RUNTIME_DIR")" = 700 ] || fail "runtime dir must be 0700"

# A second pmmd for the same instance is refused.
set +e; "$PMMD" -c "$T/config.yaml" -e "$T/.env" >"$T/second.log" 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "second pmmd should refuse to start"
grep -q "another pmmd is running" "$T/second.log" || fail "second pmmd: $(cat "$T/second.log")"
pass "one pmmd per instance"

# pause / resume, visible in status and surviving a risk restart.
ctl pause "maintenance window" >/dev/null
paused() { status_json | jq -e '.strategy_paused == true and (.pause_reason | test("maintenance window"))'; }
wait_for "paused" 10 paused
old=$(svc_field risk pid); kill -KILL "$old"
risk_back() { [ "$(svc_field risk pid)" != "$old" ] && [ "$(svc_field risk state)" = ready ]; }
wait_for "risk back" 30 risk_back
paused >/dev/null || fail "pause lost across a risk restart"
ctl resume >/dev/null
resumed() { status_json | jq -e '.strategy_paused == false'; }
wait_for "resumed" 10 resumed
pass "pause/resume, and a pause survives a risk restart"

# pmmctl config shows the running config; the text table renders.
ctl config | grep -q "instance_id = t$$" || fail "pmmctl config"
ctl config | grep -q "$secret" && fail "pmmctl config printed the secret"
ctl status | grep -q "^order " || fail "pmmctl status table"
pass "pmmctl config and status"

# reload: a bad file is refused with a message and the old config stays;
# a good one is applied (log level visible in pmmctl config).
printf 'leverage: 500\n' >> "$T/config.yaml"
set +e; msg=$(ctl reload 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "bad reload should fail"
echo "$msg" | grep -q "leverage.*1..125" || fail "bad reload message: $msg"
grep -q "keeping the old config" "$PMMD_LOG" || fail "bad reload not logged"
cp "$T/good.yaml" "$T/config.yaml"; sed -i 's/log_level: info/log_level: debug/' "$T/config.yaml"
kill -HUP "$PMMD_PID"
reloaded() { ctl config | grep -q "log_level = debug"; }
wait_for "SIGHUP reload" 10 reloaded
tree_ready >/dev/null || fail "tree not ready after reload"
pass "reload: bad config kept the old one, SIGHUP applied the new one"

# SIGKILL pmmd: every child stops on its own.
pids=$(status_json | jq -r '.services[].pid')
kill -KILL "$PMMD_PID"; wait "$PMMD_PID" 2>/dev/null || true; PMMD_PID=""
gone() { for p in $pids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
wait_for "children gone after pmmd SIGKILL" 15 gone
pass "children stop when pmmd dies"
