#!/usr/bin/env bash
# risk_foreign.sh — what is not pmm's is left alone (issue 12, item 3).
#
# The account on pmm-exchange holds 0.002 BTC and a manual GTC order
# ("manual-keep-1", not this instance's client id prefix) before the tree
# first starts; the position limit (1000 x 0.1 = 100 USDT) is below that
# position's ~120 USDT.
#  1. adopt_position off (the default): the tree refuses the position it
#     did not leave — pmmd exits 78 after one line that says what to do —
#     and nothing is touched: the manual order is still open, the position
#     unchanged, no cancel-all, no order of ours ever sent.
#  2. risk.adopt_position: true: the tree takes the position over; risk
#     closes only the excess over the limit (one step, 0.001) with its own
#     reduce-only MARKET order, cancels nothing that is not ours (no
#     allOpenOrders), the flatten's fill has its CSV fill row, the manual
#     order is still there, and once the latch clears it quotes.
#  3. a plain restart without adopt_position: the position this instance
#     left is its own, so it is not refused; the manual order survives the
#     order service's stop sweep, and the countdownCancelAll that would
#     take it with ours is disarmed by the clean stop.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl openssl; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done
INST="t$$"

exch_start --config "$(exch_accounts)" --seed 7
exch_pos() {
	exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" |
		jq '[.[] | select(.symbol == "BTCUSDT") | .positionAmt | tonumber] | add // 0'
}
manual_open() {
	exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
		jq -e '[.[] | select(.clientOrderId == "manual-keep-1")] | length == 1'
}

# ---- the account before pmm ever ran -----------------------------------------------------
ans=$(exch_signed POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002") ||
	fail "seed the position"
seeded() { [ "$(exch_pos)" = 0.002 ]; }
wait_for "the seeded position ($ans)" 30 seeded
mid=$(exch_get "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT" | jq '(.bidPrice | tonumber)')
px=$(jq -n --argjson m "$mid" '$m * 0.95 | floor')
ans=$(exch_signed POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=$px&newClientOrderId=manual-keep-1") ||
	fail "place the manual order"
manual_open >/dev/null || fail "the manual order is not open: $ans"
pass "account before pmm: position 0.002 BTC, manual GTC BUY at $px"

write_config "initial_capital: 1000" "max_net_position_ratio: 0.1" \
	"refresh_config:" "  risk_check_interval: 0.5" \
	"  orderbook_refresh_interval: 1" \
	"risk:" "  max_loss_usdt: 0" "  auto_resume_after: 1" \
	"order_config:" "  levels: 1" "  quantity_per_order_usdt: 150" \
	"exchange:" "  countdown_cancel_ms: 5000"
exch_env

# ---- 1. refused --------------------------------------------------------------------------------
t0=$(exch_get /sim/requests?limit=0 | jq .now_ns)
start_tree
# the old code cancelled everything and sold within milliseconds: stop
# waiting at whichever comes first
touched() { ! manual_open || [ "$(exch_pos)" != 0.002 ]; }
over() { ! kill -0 "$PMMD_PID" 2>/dev/null || touched; }
wait_for "pmmd to refuse (or the account touched)" 60 over
manual_open >/dev/null || fail "the manual order was cancelled: $(exch_signed GET /fapi/v1/openOrders symbol=BTCUSDT)"
[ "$(exch_pos)" = 0.002 ] || fail "the position was changed to $(exch_pos)"
set +e
wait "$PMMD_PID"; rc=$?
set -e
PMMD_PID=""
[ $rc -eq 78 ] || fail "pmmd exited $rc with a position it did not leave, want 78"
lines=$(grep -c "position .* this instance did not leave" "$PMMD_LOG" || true)
[ "$lines" -eq 1 ] || fail "$lines refusal lines, want exactly one"
line=$(grep -m1 "this instance did not leave" "$PMMD_LOG" | sed 's/^<[0-9]>//')
echo "$line" | grep -q "adopt_position" || fail "the refusal does not say how to adopt: $line"
reqs=$(exch_get "/sim/requests?since=$t0&limit=100000")
# nothing that changes the account: no order, no cancel, no leverage; only
# the listenKey, and the countdown turned off by pmmd's cancel-only run
# once nothing of ours is open (armed, it would cancel the manual order)
echo "$reqs" | jq -e '[.requests[] | select(.method != "GET" and
    .path != "/fapi/v1/listenKey" and (.path != "/fapi/v1/countdownCancelAll" or
    .params.countdownTime != "0"))] | length == 0' >/dev/null ||
	fail "the account was acted on: $(echo "$reqs" | jq -c '[.requests[] | select(.method != "GET") | {method, path}]')"
manual_open >/dev/null || fail "the manual order went during the stop"
pass "refused with exit 78 and one line: $line"
pass "manual order still open, position still $(exch_pos), no order, cancel or leverage sent"

# ---- 2. adopted ----------------------------------------------------------------------------------
sed -i 's/^  max_loss_usdt: 0$/  max_loss_usdt: 0\n  adopt_position: true/' "$T/config.yaml"
grep -q "adopt_position: true" "$T/config.yaml" || fail "config edit"
t0=$(exch_get /sim/requests?limit=0 | jq .now_ns)
start_tree
wait_for "tree ready" 30 tree_ready
grep -q "adopt" "$PMMD_LOG" || true
excess_closed() { [ "$(exch_pos)" = 0.001 ]; }
wait_for "the excess closed (0.002 -> 0.001)" 60 excess_closed
pass "adopted: position $(exch_pos) after the flatten ($(grep -m1 'adopt' "$PMMD_LOG" | sed 's/^<[0-9]>//'))"
flattens=$(exch_get "/sim/requests?since=$t0&path=/fapi/v1/order&limit=100000" | jq -c --arg p "$INST-X-" '
    [.requests[] | select(.method == "POST" and (.params.newClientOrderId // "" | startswith($p)))]')
echo "$flattens" | jq -e 'length == 1 and .[0].params.quantity == "0.001" and
    .[0].params.reduceOnly == "true" and .[0].params.side == "SELL"' >/dev/null ||
	fail "want one reduce-only SELL 0.001 of risk's: $flattens"
cid=$(echo "$flattens" | jq -r '.[0].params.newClientOrderId')
n=$(exch_get "/sim/requests?since=$t0&path=/fapi/v1/allOpenOrders&limit=100000" | jq '.requests | length')
[ "$n" -eq 0 ] || fail "$n allOpenOrders requests"
manual_open >/dev/null || fail "the manual order was cancelled by the flatten"
fill_row() { cat "$T"/logs/metrics-*.csv 2>/dev/null | grep ',fill,' | grep -q "client_id=$cid"; }
wait_for "the flatten's fill row in the CSV" 30 fill_row
pass "flatten $cid: SELL 0.001 reduce-only, no cancel-all, manual order open, CSV: $(cat "$T"/logs/metrics-*.csv | grep ',fill,' | grep "client_id=$cid" | cut -c1-160)"
quoting() { status_json | jq -e '.strategy_paused == false and .open_orders > 0'; }
wait_for "quoting after the latch cleared" 60 quoting
manual_open >/dev/null || fail "the manual order went while quoting"
pass "quoting: $(status_json | jq -c '{strategy_paused, position, open_orders}'), manual order open"

# the flatten's fill reached risk like any other: no "a fill did not
# reach risk" once the exchange's position is read again after it
sleep 3
grep "differed from the one kept from fills" "$PMMD_LOG" &&
	fail "risk missed the flatten's own fill"
ctl stop >/dev/null
wait_for "pmmd exits" 30 bash -c "! kill -0 $PMMD_PID"
PMMD_PID=""
manual_open >/dev/null || fail "the manual order was cancelled on stop"
n=$(exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" | jq --arg p "$INST-" '[.[] | select(.clientOrderId | startswith($p))] | length')
[ "$n" -eq 0 ] || fail "$n orders of ours left after stop"
pass "stopped: none of ours left, the manual order untouched"

# ---- 3. a plain restart takes back what it left ------------------------------------------------
left=$(exch_pos)
sed -i '/adopt_position: true/d' "$T/config.yaml"
start_tree
wait_for "tree ready" 30 tree_ready
wait_for "quoting after a restart" 60 quoting
grep -q "this instance did not leave" "$PMMD_LOG" && fail "refused its own position: $(grep 'did not leave' "$PMMD_LOG" | tail -1)"
pass "restart without adopt_position: position $left is ours, quoting"
ctl stop >/dev/null
wait_for "pmmd exits" 30 bash -c "! kill -0 $PMMD_PID"
PMMD_PID=""
manual_open >/dev/null || fail "the manual order was cancelled"
# the dead man's switch cancels every order of the symbol when it fires:
# a clean stop that left nothing of ours open disarms it
sleep 6
manual_open >/dev/null || fail "the manual order was cancelled after the stop (countdownCancelAll left armed)"
exch_get "/sim/requests?path=/fapi/v1/countdownCancelAll&limit=100000" |
	jq -e '.requests[-1].params.countdownTime == "0"' >/dev/null ||
	fail "the last countdownCancelAll did not disarm it"
exch_stop
pass "stopped; the countdown disarmed, the manual order still open after it would have fired"
