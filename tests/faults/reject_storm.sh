#!/usr/bin/env bash
# reject_storm.sh — a feed that lags the book must not make the order
# service hammer the exchange (issue 12, item 1).
#
# refresh_mode tolerance: a pinned book re-places nothing by itself, so
# every placement in the window is the bot's answer to the move (replace
# mode would re-place the asks once before the move, by chance of timing).
#
# The book is pinned (pmm-exchange --manual); the market feed is muted and
# the book moved 200 USDT up under the ladder: the asks fill, and every new
# ask the bot computes from the old mid is below the new best bid, so the
# exchange rejects it post-only (-5022). Judged from the exchange's request
# log over the WINDOW seconds after the move:
#  - POST batchOrders are bounded: at most MAX_BATCHES (two per refresh
#    interval plus two: one place batch per side each refresh, and the
#    re-placement of the filled rungs);
#  - a rejected ask price is sent at most once: nothing is re-sent at the
#    same price before new market data arrives;
#  - no 429/418, and protective traffic still flows: risk's positionRisk
#    never pauses for more than GAP_MAX seconds and the countdownCancelAll
#    renewal is sent;
#  - `pmmctl status` says reject_backoff, and the reject rate is in the
#    metrics CSV;
# then the feed comes back and the ladder follows the new book.
. "$(dirname "$0")/lib.sh"
LEVELS=3
WINDOW=5
MAX_BATCHES=$((2 * WINDOW + 2))
GAP_MAX=2.5

exch_start --config "$(exch_accounts)" --manual
exch_post "/sim/book?symbol=BTCUSDT&bid=60000&ask=60000.1&qty=5" >/dev/null || fail "set the book"
write_config \
	"market_stale_after: 3600" \
	"initial_capital: 100000" \
	"max_net_position_ratio: 1" \
	"risk:" \
	"  max_loss_usdt: 0" \
	"order_config:" \
	"  levels: $LEVELS" \
	"  quantity_per_order_usdt: 150" \
	"  price_offset_percent: 0.05" \
	"  refresh_mode: tolerance" \
	"refresh_config:" \
	"  orderbook_refresh_interval: 1" \
	"  risk_check_interval: 0.5" \
	"exchange:" \
	"  countdown_cancel_ms: 5000"
exch_env
start_tree
wait_for "tree ready" 30 tree_ready
# the manual book publishes a bookTicker when it is set: give the feed one
tick() { exch_post /sim/tick >/dev/null; settled; }
wait_for "a first ladder" 30 tick

e0=$(exch_now)
exch_post "/sim/fault/mute?which=market" >/dev/null || fail "mute the market feed"
exch_post "/sim/book?symbol=BTCUSDT&bid=60200&ask=60200.1&qty=5" >/dev/null || fail "move the book"
sleep "$WINDOW"
# status says why the asks are missing (no Binance request: pmmd's view)
st=$(status_json | jq -c .quoting)
log=$(reqs "$e0")
e1=$(echo "$log" | jq '.[0].recv_ns // 0')
win=$(echo "$log" | jq -c --argjson e "$e0" --argjson w "$WINDOW" \
    '[.[] | select(.recv_ns < $e + $w * 1000000000)]')

posts=$(echo "$win" | jq '[.[] | select(.method == "POST" and .path == "/fapi/v1/batchOrders")] | length')
# every SELL price sent in the window, with how often it was sent
asks=$(echo "$win" | jq -c '[.[] | select(.method == "POST" and .path == "/fapi/v1/batchOrders") |
    .params.batchOrders | fromjson[] | select(.side == "SELL") | .price] |
    group_by(.) | map({price: .[0], n: length})')
limited=$(echo "$win" | jq '[.[] | select(.status == 429 or .status == 418)] | length')
risk_ts=$(echo "$win" | jq -c '[.[] | select(.path == "/fapi/v2/positionRisk") | .recv_ns]')
gap=$(jq -n --argjson t "$risk_ts" --argjson e "$e0" --argjson w "$WINDOW" '
    ([$e] + $t + [$e + $w * 1000000000]) as $a |
    [range(1; $a | length) | ($a[.] - $a[. - 1]) / 1e9] | max')
cds=$(echo "$win" | jq '[.[] | select(.path == "/fapi/v1/countdownCancelAll")] | length')
echo "window ${WINDOW}s after the move: $posts POST batchOrders, asks sent $asks," \
    "$limited answered 429/418, positionRisk $(echo "$risk_ts" | jq length) (longest gap ${gap}s)," \
    "countdownCancelAll $cds"

[ "$posts" -le "$MAX_BATCHES" ] || fail "$posts POST batchOrders in ${WINDOW}s (bound $MAX_BATCHES): a reject storm"
echo "$asks" | jq -e 'all(.n <= 1)' >/dev/null ||
	fail "a rejected ask re-sent at the same price without new market data: $asks"
[ "$limited" -eq 0 ] || fail "$limited requests answered 429/418 in the window"
jq -en --argjson g "$gap" --argjson m "$GAP_MAX" '$g <= $m' >/dev/null ||
	fail "risk's positionRisk paused for ${gap}s (> ${GAP_MAX}s): protective traffic starved"
[ "$cds" -ge 1 ] || fail "no countdownCancelAll renewal in ${WINDOW}s (every 1.7 s wanted)"
echo "$st" | jq -e '.quoting == false and .state == "reject_backoff" and
    (.reason | test("3 rungs rejected post-only"))' >/dev/null || fail "status during the storm: $st"
pass "muted feed, book moved: $posts batches, each rejected ask price sent once, protective requests flowing"

# the reject rate is a figure of the metrics CSV
csv_rate() {
	cat "$T"/logs/metrics-*.csv | awk -F, '$4 == "reject_rate" && $5 > 0 { ok = 1 } END { exit !ok }'
}
wait_for "a reject_rate row above 0 in the CSV" 15 csv_rate
pass "reject_rate in the CSV: $(cat "$T"/logs/metrics-*.csv | grep ',reject_rate,' | awk -F, '$5 > 0' | tail -1)"

# new market data: the ladder follows the book, asks above the new bid
exch_post /sim/fault/clear >/dev/null || fail "clear"
exch_post "/sim/fault/drop?which=market" >/dev/null || fail "drop the muted feed"
above() {
	exch_post /sim/tick >/dev/null
	ours | jq -e --argjson n "$LEVELS" '[.[] | select(.side == "SELL") |
	    .price | tonumber | select(. > 60200.1)] | length == $n'
}
wait_for "the asks above the new book" 30 above
pass "feed back: $LEVELS asks above the new best bid"
