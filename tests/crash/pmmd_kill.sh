#!/usr/bin/env bash
# pmmd_kill.sh — SIGKILL pmmd itself while the tree trades
# (exchange.countdown_cancel_ms 5000):
#  - pmmd alone: every child stops by itself (parent-death signal, EOF on
#    its control channel) and the exchange holds no order of ours soon after;
#  - the whole tree at once (pmmd and all four services SIGKILLed, nobody
#    left to cancel): no cancel request reaches the exchange, and its
#    countdownCancelAll removes every order of ours within the countdown;
#  - each time a new pmmd starts on the leftovers (runtime dir, lock, state
#    segment), reconciles and quotes one clean ladder;
#  - a fill made while the whole tree was dead is read back from the trade
#    history by the next tree and written to the CSV once, with its order.
# Printed: time from the SIGKILL to no order of ours on the exchange.
. "$(dirname "$0")/lib.sh"

crash_exchange --seed 10
crash_config "  max_deaths: 1000" "  death_window: 1" \
	"exchange:" "  countdown_cancel_ms: 5000"
settled_any() { ladder_ok "$(ours)"; }
# fresh: one ladder, none of the ids in $1
fresh() {
	local o
	o=$(ours) || return 1
	ladder_ok "$o" && echo "$o" | jq -e --argjson b "$1" \
	    '([.[].clientOrderId] - $b) | length == '"$((2 * CRASH_LEVELS))" >/dev/null
}
gone_all() { local p; for p in $1; do ! kill -0 "$p" 2>/dev/null || return 1; done; }
# our cancels seen by the exchange since $1
cancels_since() {
	exch_get "/sim/requests?since=$1" | jq '[.requests[] | select(.method ==
	    "DELETE" and (.path | test("order|Order")))] | length'
}

start_tree
wait_for "tree ready" 30 tree_ready
wait_for "a first ladder" 30 settled_any

# ---- pmmd alone ----------------------------------------------------------------------
children=$(status_json | jq -r '.services[].pid')
before=$(ours | jq -c '[.[].clientOrderId]')
t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
tk=$(now_ns)
kill -KILL "$PMMD_PID"
{ wait "$PMMD_PID"; } 2>/dev/null || true
PMMD_PID=""
wait_for "the children of the killed pmmd gone" 15 gone_all "$children"
wait_for "no order of ours after pmmd's death" 20 no_orders
# from the exchange's clock: the kill, to the last cancel it answered
ex_ms=$(exch_get "/sim/requests?since=$t0" | jq --argjson t0 "$t0" '[.requests[] |
    select(.method == "DELETE") | .done_ns] | if length > 0 then (max - $t0) / 1e6 | floor else -1 end')
echo "# FIGURE pmmd SIGKILL (children alive to cancel) -> last cancel answered: $ex_ms ms by the exchange's clock ($(cancels_since "$t0") cancel requests; no orders seen by this script after $(ms_since "$tk") ms)"
pass "pmmd SIGKILLed: children $(echo $children) stopped, no order of ours left"
start_tree
wait_for "tree ready after pmmd's death" 30 tree_ready
wait_for "a fresh ladder from the new pmmd" 30 fresh "$before"
pass "new pmmd: one clean ladder"

# ---- the whole tree at once: the countdown alone -------------------------------------------
children=$(status_json | jq -r '.services[].pid')
wait_for "a settled ladder" 30 settled_any
# the market held still while the tree dies: the only trade on the dead
# tree's ladder is the outside one below (a moving market could take
# another order of ours first)
exch_post /sim/pause >/dev/null || fail "pause the market"
wait_for "a settled ladder with the market paused" 30 settled_any
before=$(ours | jq -c '[.[].clientOrderId]')
n=$(echo "$before" | jq length)
# pmmd stopped first, so it neither restarts nor signals the children
kill -STOP "$PMMD_PID"
tk=$(now_ns)
kill -KILL $children "$PMMD_PID"
{ wait "$PMMD_PID"; } 2>/dev/null || true
PMMD_PID=""
wait_for "the whole tree gone" 15 gone_all "$children"
# from here on nothing of the tree can send: a request it sent just
# before the kill may still arrive before this, and is not counted
t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
[ "$(n_ours)" -gt 0 ] || fail "the orders vanished at once, before any countdown"
# a fill nobody hears: an outside seller takes our best bid while the whole
# tree is dead; the next tree must read it back (its ledger is on disk)
bid=$(ours | jq -c '[.[] | select(.side == "BUY")] | max_by(.price | tonumber)')
exch_post "/sim/trade?symbol=BTCUSDT&side=SELL&price=$(echo "$bid" | jq -r .price)&qty=$(echo "$bid" | jq -r .origQty)" \
	>/dev/null || fail "outside trade"
unheard=$(exch_signed GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1" | jq -c '.[-1]')
[ "$(echo "$unheard" | jq .orderId)" = "$(echo "$bid" | jq .orderId)" ] ||
	fail "the outside trade did not fill our bid $bid: $unheard"
unheard_id=$(echo "$unheard" | jq .id)
# pmm-exchange runs countdowns on its market's clock
exch_post /sim/resume >/dev/null || fail "resume the market"
wait_for "the countdown removing every order of ours" 20 no_orders
ms=$(ms_since "$tk")
c=$(cancels_since "$t0")
[ "$c" -eq 0 ] || fail "$c cancel requests after the whole tree was killed"
echo "# FIGURE whole tree SIGKILL -> no orders (countdownCancelAll 5000 ms): $ms ms, $n orders"
pass "tree SIGKILLed: no cancel sent, the countdown removed all $n orders"
t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
ts=$(now_ns)
start_tree
wait_for "tree ready after the kill" 30 tree_ready
wait_for "a fresh ladder from the new pmmd" 30 fresh "$before"
exch_get "/sim/requests?since=$t0&path=/fapi/v1/countdownCancelAll" |
	jq -e '[.requests[] | select(.status == 200)] | length > 0' >/dev/null ||
	fail "the new order service did not arm the countdown"
pass "new pmmd: countdown armed again, one clean ladder"
recovered_row() {
	grep -h ",fill," "$T"/logs/metrics-*.csv | grep "trade_id=$unheard_id\b"
}
recovered_once() { [ "$(recovered_row | grep -c 'recovered=trade_history')" -eq 1 ]; }
wait_for "the fill made while the tree was dead, read back into the CSV" 30 recovered_once
row_ns=$(date -d "$(recovered_row | cut -d, -f1)" +%s%N)
echo "# FIGURE new pmmd started -> the fill made while the tree was dead published: $(( (row_ns - ts) / 1000000 )) ms"
[ "$(recovered_row | wc -l)" -eq 1 ] || fail "trade $unheard_id written $(recovered_row | wc -l) times"
recovered_row | grep -q "client_id=$(echo "$bid" | jq -r .clientOrderId) " ||
	fail "the read-back fill does not name its order: $(recovered_row)"
pass "the fill of trade $unheard_id, made while the tree was dead, is in the CSV once, named"
exch_stop
pass "done"
