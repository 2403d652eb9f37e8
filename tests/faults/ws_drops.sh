#!/usr/bin/env bash
# ws_drops.sh — WebSocket faults against a quoting tree:
#  - the market stream dropped: the market service reconnects (ws_reconnects
#    in `pmmctl status` goes up) and the ladder is whole after;
#  - the user stream muted, a fill it cannot hear, then dropped: the order
#    service reconnects, resyncs its open orders from REST, so the filled
#    rung is re-placed and nothing it counts as open is gone on the exchange,
#    and reads the fill back from the trade history into the CSV, once;
#  - both dropped at once;
#  - the listenKey expired: a new key, the stream back, the ladder whole.
# Each prints how long the recovery took.
. "$(dirname "$0")/lib.sh"
fault_tree
pass "tree up, $LEVELS levels a side: $(ours | jq -c '[.[].clientOrderId] | sort')"

# ---- market stream ---------------------------------------------------------
r0=$(status_json | jq .ws_reconnects)
t0=$(now_ns)
exch_post "/sim/fault/drop?which=market" >/dev/null || fail "drop market"
more_reconnects() { [ "$(status_json | jq .ws_reconnects)" -gt "$r0" ]; }
wait_for "the market stream reconnected" 30 more_reconnects
fresh() { status_json | jq -e '.market_stale == false and .price_age_ms < 2000'; }
wait_for "fresh prices after the market drop" 30 fresh
recovered "market WS drop" "$t0"
pass "market stream dropped: reconnected (ws_reconnects $r0 -> $(status_json | jq .ws_reconnects))"

# ---- user stream, with a fill it cannot hear -----------------------------------
# Not "drop, then trade": the bot answers a dropped user stream within
# milliseconds (risk pauses, order cancels its ladder), so a trade sent
# after the drop races that and, on a loaded machine, finds no B1 left.
# The stream is muted instead (open, answering pings, sent nothing), the
# trade fills B1 while the bot cannot hear it — checked on the exchange —
# and only then is the stream dropped: only a REST resync can tell the bot.
backs() { grep -c "order: user stream back" "$PMMD_LOG" || true; }
b0=$(backs)
exch_post /sim/pause >/dev/null || fail "pause the market"
wait_for "settled with the market paused" 30 settled
exch_pos() { exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" | jq -r '.[0].positionAmt // 0'; }
p0=$(exch_pos)
t0=$(now_ns)
exch_post "/sim/fault/mute?which=user" >/dev/null || fail "mute user"
# B1's price as it is now, traded through. The ladder is replaced every
# second, so the B1 that fills may be a newer order than the one read here
# (same price: the market is paused): which one filled is the exchange's
# word — its last trade of ours, and that order's client id.
fill_b1() {
	local o tid
	o=$(ours | jq -c --arg p "$INST-B1-" '[.[] | select(.clientOrderId | startswith($p))][0] // empty')
	[ -n "$o" ] || return 1
	b1=$(echo "$o" | jq -r .price)
	exch_post "/sim/trade?symbol=BTCUSDT&price=$b1&qty=0.01&side=SELL" >/dev/null || return 1
	awk -v a="$(exch_pos)" -v b="$p0" 'BEGIN { exit !(a - b > 0.0009) }' || return 1
	b1id=$(exch_signed GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1" | jq -r '.[0].orderId')
	b1c=$(exch_signed GET /fapi/v1/order "symbol=BTCUSDT&orderId=$b1id" | jq -r .clientOrderId)
	[[ "$b1c" == "$INST-B1-"* ]] || fail "the trade at B1's price $b1 filled $b1c, not a B1"
}
wait_for "a fill through B1 the bot cannot hear" 30 fill_b1
exch_post "/sim/fault/drop?which=user" >/dev/null || fail "drop user"
user_back() { [ "$(backs)" -gt "$b0" ]; }
wait_for "the user stream back" 30 user_back
b1_replaced() {
	ours | jq -e --arg c "$b1c" --arg p "$INST-B1-" '
	    ([.[] | select(.clientOrderId == $c)] | length) == 0 and
	    ([.[] | select(.clientOrderId | startswith($p))] | length) == 1'
}
wait_for "B1 re-placed after its fill" 30 b1_replaced
recovered "user WS drop + fill" "$t0"
pos_ok() { status_json | jq -e --argjson p0 "$p0" '.position - $p0 > 0.0009'; }
wait_for "the fill in the tree's position" 15 pos_ok
pass "user stream dropped with B1 ($b1c) filled meanwhile: re-placed, position $(status_json | jq .position)"
# the fill nobody heard: read back from the trade history into the CSV,
# once per trade, with its order named
tids=$(exch_signed GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=50" |
	jq -r --argjson o "$b1id" '.[] | select(.orderId == $o) | .id')
[ -n "$tids" ] || fail "no trade of B1 ($b1id) in userTrades"
rows_of() { grep -h ",fill," "$T"/logs/metrics-*.csv 2>/dev/null | grep "trade_id=$1\b"; }
all_read_back() {
	local t
	for t in $tids; do
		[ "$(rows_of "$t" | grep -c "client_id=$b1c .*recovered=trade_history")" -eq 1 ] || return 1
	done
}
wait_for "B1's unheard fill in the CSV" 30 all_read_back
for t in $tids; do
	[ "$(rows_of "$t" | wc -l)" -eq 1 ] || fail "trade $t written $(rows_of "$t" | wc -l) times"
done
pass "B1's fill (trade $(echo $tids)), which the muted stream never carried, read back into the CSV once"
exch_post /sim/resume >/dev/null || fail "resume the market"

# ---- both at once -----------------------------------------------------------
b0=$(backs)
r0=$(status_json | jq .ws_reconnects)
t0=$(now_ns)
exch_post "/sim/fault/drop?which=all" >/dev/null || fail "drop all"
wait_for "the user stream back" 30 user_back
wait_for "the market stream reconnected" 30 more_reconnects
no_dup_for 2
recovered "both WS dropped" "$t0"
pass "both streams dropped: back, no duplicate rung"

# ---- listenKey expiry ----------------------------------------------------------
nk() { grep -c "order: user stream: new listenKey (listenKeyExpired)" "$PMMD_LOG" || true; }
k0=$(nk)
b0=$(backs)
t0=$(now_ns)
e0=$(exch_now)
exch_post /sim/fault/expire_listenkey >/dev/null || fail "expire the listenKey"
new_key() { [ "$(nk)" -gt "$k0" ]; }
wait_for "a new listenKey after listenKeyExpired" 30 new_key
wait_for "the user stream back" 30 user_back
recovered "listenKey expiry" "$t0"
posts=$(reqs "$e0" /fapi/v1/listenKey | jq '[.[] | select(.method == "POST" and .status == 200)] | length')
[ "$posts" -ge 1 ] || fail "no POST /fapi/v1/listenKey after the expiry"
pass "listenKey expired: $posts new key(s) asked for, stream back, ladder whole"

# the tree stayed up through all of it
[ "$(status_json | jq '[.services[].restarts] | add')" = 0 ] ||
	fail "a service restarted: $(status_json | jq -c '[.services[] | {name, restarts}]')"
pass "done"
