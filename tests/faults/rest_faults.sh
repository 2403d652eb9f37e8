#!/usr/bin/env bash
# rest_faults.sh — REST faults against a quoting tree, the market paused and
# the book moved by hand so that every re-quote is one we asked for:
#  - a burst of 5xx: the requests that failed are retried, the ladder
#    follows the new mid;
#  - 503 "unknown" on placement, not executed and executed: every order of
#    the 503 batch is asked about (GET order by origClientOrderId), never
#    placed twice, the ladder whole after;
#  - a latency spike (1.5 s on every response) while the mid moves: never
#    two live orders on one rung, the ladder whole once it is over;
#  - the clock skewed beyond recvWindow: a -1021, then GET /fapi/v1/time,
#    then orders accepted again.
# Each prints how long the recovery took.
. "$(dirname "$0")/lib.sh"
fault_tree
pin_book
moved() {
	local name=$1 t0=$2 old=$3
	wait_for "$name: a new ladder" 30 all_new "$old"
	recovered "$name" "$t0"
}

# ---- a 5xx burst -------------------------------------------------------------
for st in 500 502 503; do
	old=$(cids)
	e0=$(exch_now)
	t0=$(now_ns)
	exch_post "/sim/fault/burst?count=4&status=$st" >/dev/null || fail "burst"
	move_book 3
	sleep 1		# the bot's re-quote meets the burst, not this script's polls
	moved "burst of 4 x HTTP $st" "$t0" "$old"
	n=$(reqs "$e0" | jq --argjson s "$st" '[.[] | select(.status == $s)] | length')
	[ "$n" -eq 4 ] || fail "$n requests got the $st burst, want 4"
	nb=$(reqs "$e0" | jq --argjson s "$st" '[.[] | select(.status == $s and
	    .path != "/fapi/v1/openOrders" and .path != "/fapi/v1/time")] | length')
	pass "4 x HTTP $st ($nb on the bot's placements/cancels): absorbed, the ladder followed the mid"
done

# ---- 503 unknown outcome ---------------------------------------------------------
# the client ids of the placements answered 503 since $1
lost() {
	reqs "$1" | jq -c '[.[] | select(.method == "POST" and .status == 503) |
	    if .path == "/fapi/v1/batchOrders" then
	        (.params.batchOrders | fromjson[] | .newClientOrderId)
	    else .params.newClientOrderId end]'
}
queried() {
	reqs "$1" /fapi/v1/order | jq -e --argjson l "$(lost "$1")" '
	    [.[] | select(.method == "GET") | .params.origClientOrderId] as $q |
	    ($l | length) > 0 and ($l - $q) == []'
}
for ex in false true; do
	old=$(cids)
	e0=$(exch_now)
	t0=$(now_ns)
	exch_post "/sim/fault/unknown?count=1&execute=$ex" >/dev/null || fail "fault"
	move_book 3
	# not executed: only asking can free the rungs; executed: the user
	# stream's NEW may tell first. Either way an order the bot lost track
	# of would leave more than one ladder (settled checks exactly one,
	# and as many as the tree counts).
	[ "$ex" = true ] || wait_for "every order of the 503 placement asked about" 30 queried "$e0"
	no_dup_for 2
	moved "503 unknown, execute=$ex" "$t0" "$old"
	how=$(queried "$e0" >/dev/null && echo "asked about" || echo "learned from the user stream")
	pass "503 unknown (executed: $ex): $(lost "$e0" | jq length) orders $how, none duplicated, none orphaned"
done

# ---- latency spike -----------------------------------------------------------------
old=$(cids)
exch_post "/sim/fault/latency?ms=1500" >/dev/null || fail "latency"
move_book 3
no_dup_for 4
move_book -2
no_dup_for 3
t0=$(now_ns)
exch_post "/sim/fault/latency?ms=0" >/dev/null || fail "latency off"
no_dup_for 2
moved "latency 1.5 s for 7 s (from its end)" "$t0" "$old"
pass "latency spike: never two orders on a rung, the ladder whole after"

# ---- clock skew beyond recvWindow -------------------------------------------------------
old=$(cids)
syncs() { grep -c "timestamp refused (-1021): syncing the clock" "$PMMD_LOG" || true; }
s0=$(syncs)
e0=$(exch_now)
t0=$(now_ns)
exch_post "/sim/fault/skew?ms=-20000" >/dev/null || fail "skew"
EXCH_SKEW_MS=-20000
move_book 3
synced() { [ "$(syncs)" -gt "$s0" ]; }
wait_for "a -1021 and a resync" 30 synced
moved "clock skew -20 s" "$t0" "$old"
# from the exchange's log: a signed request refused (400), then a GET
# /fapi/v1/time, then an accepted placement
order_seq() {
	reqs "$e0" | jq -e '
	    (map(select(.status == 400 and (.params.timestamp != null))) | first | .recv_ns) as $r |
	    (map(select(.path == "/fapi/v1/time" and .recv_ns > $r)) | first | .recv_ns) as $t |
	    $r != null and $t != null and
	    (map(select((.path == "/fapi/v1/batchOrders" or .path == "/fapi/v1/order") and
	        .method == "POST" and .status == 200 and .recv_ns > $t)) | length) > 0'
}
order_seq >/dev/null || fail "no -1021 -> time -> accepted order sequence: $(reqs "$e0" | jq -c '[.[] | [.method, .path, .status]]')"
exch_post "/sim/fault/skew?ms=0" >/dev/null || fail "skew off"
EXCH_SKEW_MS=0
pass "clock skew: -1021, GET /fapi/v1/time, then orders accepted"

[ "$(status_json | jq '[.services[].restarts] | add')" = 0 ] ||
	fail "a service restarted: $(status_json | jq -c '[.services[] | {name, restarts}]')"
pass "done"
