#!/usr/bin/env bash
# run_sh.sh — ./run.sh as a newcomer meets it, in a copy of the checkout
# (run.sh, config/, a build/ that is this build; RUN_SETUP=0: nothing is
# installed or built):
#  1. its port taken by another exchange: run.sh says so, starts its own on
#     a free port, and its tree trades there, not on the other one;
#  2. its instance taken by another tree: run.sh says so and what to do,
#     exits non-zero, and never shows the other tree's status as its own;
#  3. Ctrl-C (SIGINT to run.sh's process group, as a terminal sends it):
#     the tree stops first, its cancels answered by run.sh's exchange, which
#     stops last. The exchange is started --manual (RUN_EXCHANGE_ARGS) with
#     a pinned book: nothing fills, the ladder is whole at the signal.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl python3; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

# a run.sh left running by a failure is stopped as Ctrl-C would
PGID=""
eval "orig_$(declare -f cleanup)"
cleanup() {
	local rc=$?
	if [ -n "$PGID" ] && kill -0 "$PGID" 2>/dev/null; then
		kill -TERM "$PGID" 2>/dev/null
		for _ in $(seq 300); do kill -0 "$PGID" 2>/dev/null || break; sleep 0.1; done
	fi
	(exit $rc)
	orig_cleanup
}

INST="t$$"
SRC="$T/src"
mkdir -p "$SRC/config"
cp "$PMM_SRC/run.sh" "$SRC/"
cp "$PMM_SRC/config/.env.example" "$SRC/config/"
ln -s "$PMM_BIN" "$SRC/build"
# the shipped config as this test's own instance, without stale pauses (a
# pinned book publishes nothing)
sed -e "s/^instance_id: .*/instance_id: $INST/" \
    -e "s/^market_stale_after: .*/market_stale_after: 3600/" \
    "$PMM_SRC/config/config.yaml" >"$SRC/config/config.yaml"
grep -q "^instance_id: $INST$" "$SRC/config/config.yaml" || fail "config copy"

# the other exchange, holding the port run.sh will ask for
exch_start
OTHER=$EXCH_PORT
t0=$(exch_get "/sim/requests?limit=0" | jq .now_ns)
export RUN_SETUP=0 RUN_PORT=$OTHER

# ---- 1. the port taken ----------------------------------------------------------
rc=0
RUN_SECONDS=3 "$SRC/run.sh" >"$T/run1.out" 2>&1 || rc=$?
show1() { echo "---- run.sh ----"; cat "$T/run1.out"; }
[ $rc = 0 ] || { show1; fail "run.sh exited $rc with its port taken"; }
grep -q "run.sh: 127.0.0.1:$OTHER is in use" "$T/run1.out" ||
	{ show1; fail "run.sh did not say its port is in use"; }
grep -qi "cannot listen on 127.0.0.1:$OTHER: address already in use" "$SRC/logs/pmm-exchange.log" ||
	{ cat "$SRC/logs/pmm-exchange.log"; fail "pmm-exchange did not say the address is in use"; }
port=$(sed -n 's/^pmm-exchange up on 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/run1.out")
[ -n "$port" ] && [ "$port" != "$OTHER" ] ||
	{ show1; fail "run.sh's exchange port: '$port' (the taken one: $OTHER)"; }
grep -q "run.sh: the tree is ready" "$T/run1.out" &&
	grep -Eq "^instance $INST .* ready$" "$T/run1.out" ||
	{ show1; fail "no ready tree of $INST in run.sh's output"; }
n=$(exch_get "/sim/requests?since=$t0" | jq '[.requests[] | select(.path | startswith("/fapi"))] | length')
[ "$n" = 0 ] || fail "the tree sent $n requests to the other exchange on $OTHER"
curl -s "http://127.0.0.1:$port/fapi/v1/ping" >/dev/null &&
	fail "run.sh's exchange on $port still answers after run.sh exited"
"$PMMCTL" -i "$INST" status >/dev/null 2>&1 && fail "run.sh's tree still runs after it exited"
pass "port $OTHER taken: run.sh said so, ran on $port, its tree never asked $OTHER, all stopped"

# ---- 2. the instance taken ------------------------------------------------------
write_config		# instance t$$ as well: the other tree
start_tree
other_up() { "$PMMCTL" -i "$INST" status; }
wait_for "the other tree of $INST" 30 other_up
rc=0
RUN_SECONDS=30 "$SRC/run.sh" >"$T/run2.out" 2>&1 || rc=$?
show2() { echo "---- run.sh ----"; cat "$T/run2.out"; }
[ $rc != 0 ] || { show2; fail "run.sh exited 0 with its instance taken"; }
grep -q "run.sh: another tree of instance $INST is running" "$T/run2.out" &&
	grep -q "pmmctl -i $INST stop" "$T/run2.out" ||
	{ show2; fail "run.sh did not say another tree runs and how to stop it"; }
grep -q "pmmd pid $PMMD_PID" "$T/run2.out" && { show2; fail "run.sh showed the other tree's status"; }
grep -q "the tree is ready" "$T/run2.out" && { show2; fail "run.sh called the other tree its own"; }
port=$(sed -n 's/^pmm-exchange up on 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/run2.out")
curl -s "http://127.0.0.1:$port/fapi/v1/ping" >/dev/null &&
	fail "run.sh's exchange on $port still answers after run.sh exited"
kill -0 "$PMMD_PID" || fail "the other tree died"
pass "instance $INST taken: run.sh exit $rc: $(grep 'another tree' "$T/run2.out")"
kill -TERM "$PMMD_PID"
wait "$PMMD_PID" || true
PMMD_PID=""

# ---- 3. Ctrl-C ----------------------------------------------------------------------
: >"$SRC/logs/pmm-exchange.log"
RUN_EXCHANGE_ARGS=--manual as_terminal_job "$SRC/run.sh" >"$T/run3.out" 2>&1 &
PGID=$!
show3() { echo "---- run.sh ----"; cat "$T/run3.out"; }
port_line() { grep -q "^pmm-exchange up on" "$T/run3.out"; }
wait_for "run.sh's exchange" 30 port_line
port=$(sed -n 's/^pmm-exchange up on 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/run3.out")
curl -sf -X POST "http://127.0.0.1:$port/sim/book?symbol=BTCUSDT&bid=60000.0&ask=60000.2&qty=5" \
	>/dev/null || fail "set the book"
ready_line() { grep -q "run.sh: the tree is ready" "$T/run3.out"; }
wait_for "run.sh's tree ready" 60 ready_line
# a manual book is published when set: tick until the tree quotes on it
ladder() {
	curl -sf -X POST "http://127.0.0.1:$port/sim/tick" >/dev/null
	"$PMMCTL" -i "$INST" status --json | jq -e '.open_orders == 6'
}
wait_for "the ladder of 6 on run.sh's exchange" 30 ladder
kill -INT -- "-$PGID"
wait_for "run.sh exits after SIGINT" 90 bash -c "! kill -0 $PGID"
rc=0
wait "$PGID" || rc=$?
PGID=""
[ $rc = 130 ] || { show3; fail "run.sh exited $rc on SIGINT, want 130"; }
grep -E "^(<[0-9]>)?(order|risk|market|logger|pmm-exchange): signal 2[,:]" "$T/run3.out" \
	"$SRC/logs/pmm-exchange.log" && { show3; fail "a child took the terminal's SIGINT"; }
order=$(grep -E "pmmd: stopping (order|risk|market|logger) " "$T/run3.out" |
	sed -E 's/^.*stopping ([a-z]+) .*$/\1/' | tr '\n' ' ')
[ "$order" = "order risk market logger " ] || { show3; fail "stop order: '$order'"; }
grep -q "order: stopped: the exchange confirmed all 6 orders of ours gone" "$T/run3.out" ||
	{ show3; fail "the order service's cancels were not all answered"; }
n=$(grep -h ',order_event,' "$SRC"/logs/metrics-*.csv | grep -c ',canceled,' || true)
[ "$n" -ge 6 ] || fail "$n canceled rows in the CSV, want the 6 of the stop"
"$PMMCTL" -i "$INST" status >/dev/null 2>&1 && fail "the tree still runs"
curl -s "http://127.0.0.1:$port/fapi/v1/ping" >/dev/null && fail "the exchange still runs"
pass "Ctrl-C: run.sh exit 130, tree stopped ($order) with its exchange up: 6 cancels answered, in the CSV; then the exchange"
