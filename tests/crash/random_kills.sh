#!/usr/bin/env bash
# random_kills.sh — SIGKILL the services of a trading tree at random moments,
# seeded (PMM_CRASH_SEED) so a failing run can be repeated exactly, at least
# 50 kills a run (PMM_CRASH_KILLS). After each kill, checked from the
# exchange's side and from `pmmctl status --json`:
#  - the service is back (new pid, ready) and the tree is ready;
#  - the ladder is settled: exactly one live order per side and level
#    (B1..B3, S1..S3), nothing else of ours, none of the orders that were live
#    before the kill (no orphan), and the order service counts as many open
#    orders as the exchange holds (none lost track of);
#  - the position on the exchange is within its limit plus one order.
# At the end: the CSV has no torn line and a service_event "died" row for
# every killed pid — the logger's own deaths included, which pmmd publishes
# while the logger is down — and exactly one fill row per trade the exchange
# made for us, those made while the order service was dead included.
# Printed, not asserted: the time from an order kill to a complete new
# ladder (by the exchange's request log), and rung overlaps seen while a
# replace was in flight (a cancel and its placement race on the wire).
# The supervisor is set so kills never escalate: a one-second death window.
. "$(dirname "$0")/lib.sh"

SEED=${PMM_CRASH_SEED:-20261124}
KILLS=${PMM_CRASH_KILLS:-52}
RANDOM=$SEED
echo "# seed $SEED, $KILLS kills (PMM_CRASH_SEED=$SEED repeats this run)"

crash_exchange --seed 5
crash_config "  max_deaths: 1000" "  death_window: 1"
start_tree
wait_for "tree ready" 30 tree_ready
settled_any() { ladder_ok "$(ours)"; }
wait_for "a first ladder" 30 settled_any
pass "tree ready, first ladder: $(ours | jq -c '[.[].clientOrderId] | sort')"

SVCS=(market order risk logger)
declare -A killed_n=()
killed_pids=()
killed_what=()
order_ms=()
overlaps=0
samples=0

# settled BEFORE: the ladder complete, none of BEFORE's ids left, status
# agreeing on the count; counts overlapping rungs seen on the way
settled() {
	local o d
	o=$(ours) || return 1
	samples=$((samples + 1))
	d=$(dup_rungs "$o")
	if [ "$d" != "[]" ]; then
		overlaps=$((overlaps + 1))
		return 1
	fi
	ladder_ok "$o" || return 1
	echo "$o" | jq -e --argjson b "$1" '([.[].clientOrderId] - $b) |
	    length == (2 * '"$CRASH_LEVELS"')' >/dev/null || return 1
	[ "$(status_json | jq .open_orders)" -eq $((2 * CRASH_LEVELS)) ]
}

# ladder_back_ms TX: by the exchange's clock, from TX (just before a kill) to
# the answer of the last placement among the orders live now (the settled
# ladder): when the ladder was whole again. Not this script's polling.
ladder_back_ms() {
	exch_get "/sim/requests?since=$1&path=/fapi/v1/batchOrders&limit=100000" |
		jq --argjson live "$(ours | jq -c '[.[].clientOrderId]')" --argjson t0 "$1" '
		    [.requests[] | select(.method == "POST") |
		     select(any(.params.batchOrders | fromjson[]; .newClientOrderId as $c |
		         $live | index($c))) | .done_ns] |
		    if length > 0 then (max - $t0) / 1e6 | floor else -1 end'
}

for i in $(seq "$KILLS"); do
	svc=${SVCS[$((RANDOM % 4))]}
	# a random moment: 0-1.5 s into a 1 s refresh cycle
	sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
	[ $((RANDOM % 2)) -eq 0 ] || sleep 0.5
	pid=$(svc_field "$svc" pid)
	[ "$pid" -gt 0 ] || fail "kill $i: $svc has no pid"
	before=$(ours | jq -c '[.[].clientOrderId]')
	t0=$(now_ns)
	tx=$(exch_get "/sim/requests?limit=0" | jq .now_ns)	# the exchange's clock
	kill -KILL "$pid"
	killed_pids+=("$pid")
	killed_what+=("kill $i: $svc $pid")
	killed_n[$svc]=$(( ${killed_n[$svc]:-0} + 1 ))
	wait_for "kill $i: $svc back after SIGKILL of $pid" 30 svc_back "$svc" "$pid"
	deadline=$((SECONDS + 30))
	until settled "$before"; do
		[ $SECONDS -lt $deadline ] || fail "kill $i ($svc $pid): no settled ladder; ours: $(ours)"
		sleep 0.02
	done
	ms=$(ms_since "$t0")
	[ "$svc" = order ] && order_ms+=("$(ladder_back_ms "$tx")")
	position_within_limit || fail "kill $i: position beyond the limit: $(position)"
	grep -q "$svc (pid $pid) exited on signal 9" "$PMMD_LOG" ||
		fail "kill $i: the death of $svc $pid not logged with its signal"
	echo "# kill $i: $svc pid $pid, ladder settled after $ms ms"
done
pass "$KILLS kills survived (market ${killed_n[market]:-0}, order ${killed_n[order]:-0}, risk ${killed_n[risk]:-0}, logger ${killed_n[logger]:-0})"

# the logger's rows: every death recorded, no torn line
missing_died() {
	local k
	for k in "${!killed_pids[@]}"; do
		csv_died "${killed_pids[$k]}" >/dev/null || echo "${killed_what[$k]}"
	done
}
csv_all_died() { [ -z "$(missing_died)" ]; }
deadline=$((SECONDS + 30))
until csv_all_died; do
	[ $SECONDS -lt $deadline ] || fail "no died row in the CSV for: $(missing_died | tr '\n' ';')"
	sleep 0.2
done
rows=$(csv_check) || fail "CSV: $rows"
pass "CSV: $rows rows, none torn, a died row for each of the ${#killed_pids[@]} kills"

# fills: after a pause (no order of ours left, so no new fill), the CSV
# holds exactly one fill row per trade the exchange made for us — those made
# while the order service or its user stream was down included (read back
# from the trade history), none written twice
ctl pause >/dev/null || fail "pmmctl pause"
wait_for "no order of ours while paused" 30 no_orders
deadline=$((SECONDS + 30))
until fills_accounted; do
	[ $SECONDS -lt $deadline ] || fail "CSV fill rows against the exchange's trades: $FILLS_WHY"
	sleep 0.5
done
recovered=$(grep -h ',fill,' "$T"/logs/metrics-*.csv | grep -c 'recovered=trade_history' || true)
pass "fills: one CSV row for each of the exchange's $FILLS_EXCH trades ($recovered read back after nobody heard them)"

kill -TERM "$PMMD_PID"
wait "$PMMD_PID" || fail "pmmd exited $? on SIGTERM"
PMMD_PID=""
no_orders || fail "orders left after SIGTERM: $(ours)"
pass "SIGTERM after the run: no order of ours left"

sorted=$(printf '%s\n' "${order_ms[@]}" | sort -n)
n=${#order_ms[@]}
if [ "$n" -gt 0 ]; then
	echo "# FIGURE order SIGKILL -> complete new ladder, by the exchange's clock (ms, n=$n, backoff_initial 0.1 s):" \
	    "min $(echo "$sorted" | head -1) median $(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")" \
	    "max $(echo "$sorted" | tail -1)"
fi
echo "# FIGURE kills survived: $KILLS; orders lost track of: 0; duplicate orders at settle: 0"
echo "# FIGURE fills: $FILLS_EXCH trades, $FILLS_EXCH CSV rows, $recovered of them read back from the trade history"
echo "# FIGURE rung overlaps sampled while a replace was in flight: $overlaps of $samples snapshots"
exch_stop
pass "done"
