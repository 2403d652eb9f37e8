#!/usr/bin/env bash
# kill_mid_batch.sh — SIGKILL the order service in the middle of a batch
# placement, repeated a few times. The exchange's latency fault holds every
# response 1.5 s, so when a POST /fapi/v1/batchOrders shows up in the
# exchange's request log (it is executed on receipt) its sender is still
# waiting for the answer: that is when the kill lands. Checked afterwards
# from the exchange's side:
#  - the request log shows the batch was received and executed (status 200);
#  - the new order service cancels its orders as an earlier run's (none of
#    the batch's ids is live once the ladder is back);
#  - no side+level ever has two live orders after the restart, and the
#    ladder settles to one order a rung, counted alike by pmmctl status.
. "$(dirname "$0")/lib.sh"

crash_exchange --seed 8
crash_config "  max_deaths: 1000" "  death_window: 1"
start_tree
wait_for "tree ready" 30 tree_ready
settled_any() { ladder_ok "$(ours)"; }
wait_for "a first ladder" 30 settled_any

# batch_cids SINCE: the client ids of the POST batchOrders received since
batch_cids() {
	exch_get "/sim/requests?since=$1&path=/fapi/v1/batchOrders" |
		jq -c '[.requests[] | select(.method == "POST") |
		    .params.batchOrders | fromjson[] | .newClientOrderId]'
}
batch_seen() { [ "$(batch_cids "$1" | jq length)" -gt 0 ]; }
settled() {
	local o
	o=$(ours) || return 1
	ladder_ok "$o" && echo "$o" | jq -e --argjson b "$1" \
	    '([.[].clientOrderId] - $b) | length == '"$((2 * CRASH_LEVELS))" >/dev/null &&
	    [ "$(status_json | jq .open_orders)" -eq $((2 * CRASH_LEVELS)) ]
}

dups=0
for round in 1 2 3; do
	before=$(ours | jq -c '[.[].clientOrderId]')
	exch_post "/sim/fault/latency?ms=1500" >/dev/null || fail "latency fault"
	t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
	pid=$(svc_field order pid)
	wait_for "round $round: a batch placement on the wire" 15 batch_seen "$t0"
	kill -KILL "$pid"
	tk=$(now_ns)
	exch_post "/sim/fault/latency?ms=0" >/dev/null || fail "clear latency"
	batch=$(batch_cids "$t0")
	exch_get "/sim/requests?since=$t0&path=/fapi/v1/batchOrders" |
		jq -e '[.requests[] | select(.method == "POST")] | length > 0 and
		    all(.status == 200)' >/dev/null ||
		fail "round $round: the batch was not executed"
	wait_for "round $round: order back" 30 svc_back order "$pid"
	# no rung doubled at any moment until the ladder is settled
	deadline=$((SECONDS + 30))
	until settled "$(jq -cn --argjson a "$before" --argjson b "$batch" '$a + $b')"; do
		[ $SECONDS -lt $deadline ] || fail "round $round: no settled ladder: $(ours)"
		d=$(dup_rungs "$(ours)")
		if [ "$d" != "[]" ]; then
			dups=$((dups + 1))
			echo "# round $round: two live orders on a rung: $d"
		fi
		sleep 0.05
	done
	echo "$(ours)" | jq -e --argjson b "$batch" '[.[].clientOrderId] - ($b) |
	    length == '"$((2 * CRASH_LEVELS))" >/dev/null || fail "round $round: a batch order outlived the kill"
	pass "round $round: killed order $pid with batch $(echo "$batch" | jq -c .) in flight; ladder settled after $(ms_since "$tk") ms, none of the batch left"
done
grep -q "reconcile: cancelling" "$PMMD_LOG" || fail "no reconcile after the kills"
[ "$dups" -eq 0 ] || fail "$dups snapshots with a doubled rung after a kill"
echo "# FIGURE duplicate orders seen after a mid-batch kill: $dups"
exch_stop
pass "done"
