#!/usr/bin/env bash
# pmmctl_cli.sh — pmmctl as an operator types it: it finds the tree from the
# config's instance even after the file on disk was broken (so `status`
# works and `reload` shows pmmd's own refusal), names an unknown command or
# option instead of ignoring it, and `pmmd -n` names every environment value
# a YAML key shadows.
. "$(dirname "$0")/lib.sh"

write_config
# Find the tree the way an operator's shell does: from the config, through
# $XDG_RUNTIME_DIR, not from a PMM_RUNTIME_DIR that skips the config.
unset PMM_RUNTIME_DIR
export XDG_RUNTIME_DIR="$T/xdg"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
ctlc() { "$PMMCTL" -c "$T/config.yaml" -e "$T/.env" "$@"; }

# -n names the environment value the YAML file overrides.
echo "order_config:" >> "$T/config.yaml"
echo "  levels: 3" >> "$T/config.yaml"
out=$(PMM_ORDER_CONFIG_LEVELS=5 "$PMMD" -n -c "$T/config.yaml" -e "$T/.env" 2>&1)
echo "$out" | grep -q "PMM_ORDER_CONFIG_LEVELS=5 from the environment is shadowed by $T/config.yaml:[0-9]*: order_config.levels" \
	|| fail "-n should name the shadowed environment value: $out"
echo "$out" | grep -q "order_config.levels = 3  (yaml, shadows environment PMM_ORDER_CONFIG_LEVELS)" \
	|| fail "-n should mark the shadowing key: $out"
out=$("$PMMD" -n -c "$T/config.yaml" -e "$T/.env" 2>&1)
echo "$out" | grep -q "shadow" && fail "-n warned with nothing shadowed: $out"
pass "pmmd -n names the environment value a YAML key shadows"

start_tree
wait_for "tree ready" 30 sh -c "\"$PMMCTL\" -c \"$T/config.yaml\" -e \"$T/.env\" status --json 2>/dev/null | jq -e '.tree_ready == true'"

# Typos are named, with the likely word; nothing is silently ignored.
set +e
msg=$(ctlc stauts 2>&1); rc=$?
[ $rc -eq 64 ] && echo "$msg" | grep -q 'unknown command "stauts" (did you mean "status"?)' \
	|| fail "pmmctl stauts: rc $rc: $msg"
msg=$(ctlc status --jsn 2>&1); rc=$?
[ $rc -eq 64 ] && echo "$msg" | grep -q 'unknown option "--jsn"' \
	|| fail "pmmctl status --jsn: rc $rc: $msg"
msg=$(ctlc --jsn status 2>&1); rc=$?
[ $rc -eq 64 ] && echo "$msg" | grep -q 'unknown option "--jsn"' \
	|| fail "pmmctl --jsn status: rc $rc: $msg"
msg=$(ctlc resume now 2>&1); rc=$?
[ $rc -eq 64 ] && echo "$msg" | grep -q 'resume: takes no argument, got "now"' \
	|| fail "pmmctl resume now: rc $rc: $msg"
set -e
# (has, not == true: a service restarted by a loaded machine's heartbeat
# timeout is no failure of pmmctl's)
ctlc status --json | jq -e 'has("tree_ready") and has("services")' >/dev/null || fail "status --json after the command"
pass "unknown commands and options are named, with a suggestion"

# The file on disk breaks after start: the tree stays reachable.
cp "$T/config.yaml" "$T/good.yaml"
printf 'risk:\n  max_los_usdt: 5\n' >> "$T/config.yaml"
set +e; out=$(ctlc status 2>"$T/err"); rc=$?; set -e
[ $rc -eq 0 ] || fail "status with a broken config on disk: rc $rc: $(cat "$T/err")"
echo "$out" | grep -q "^order " || fail "status table: $out"
grep -q "note: .*config.yaml:[0-9]*: unknown key \"max_los_usdt\"" "$T/err" \
	|| fail "status should say the file on disk is broken: $(cat "$T/err")"
set +e; msg=$(ctlc reload 2>&1); rc=$?; set -e
[ $rc -eq 1 ] || fail "reload of a broken file should fail (1), got $rc: $msg"
echo "$msg" | grep -q "pmmctl: reload failed, keeping the old config: .*max_los_usdt" \
	|| fail "reload should show pmmd's refusal: $msg"
grep -q "reload failed, keeping the old config" "$PMMD_LOG" || fail "pmmd never saw the reload"
# Even YAML that no longer parses: the top-level instance_id still finds it.
printf 'order_config: [\n' >> "$T/config.yaml"
ctlc status --json | jq -e 'has("tree_ready") and has("services")' >/dev/null || fail "status with unparsable YAML"
cp "$T/good.yaml" "$T/config.yaml"
ctlc reload | grep -q "config reloaded" || fail "reload of the repaired file"
pass "a config broken on disk: status still works, reload shows pmmd's refusal"
