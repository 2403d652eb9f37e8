#!/usr/bin/env bash
# trade_e2e.sh — the whole tree quoting against a real pmm-exchange, checked
# from the exchange's side (signed GET openOrders / positionRisk, the
# /sim/requests log):
#  - with the book pinned (market paused, POST /sim/book) the ladder is 3
#    bids and 3 asks at exactly the prices the strategy's rounding gives
#    (bids down, asks up to the tick) around the pinned mid;
#  - a new pinned mid is followed within a refresh (1 s here);
#  - a 503 whose order did execute is resolved by asking the exchange
#    (GET order by origClientOrderId): no second ladder, no blind resend;
#  - a trade through level 1 fills it: positionRisk and `pmmctl status`
#    show the position, the fill is in the metrics CSV;
#  - pmmctl pause leaves no order of ours on the exchange; resume brings
#    the ladder back;
#  - orders of an earlier run (pmmd and children SIGKILLed; the countdown is
#    long) are cancelled at start, a foreign order is left alone, and no
#    second ladder appears;
#  - pmmd SIGTERM leaves no order of ours;
#  - quantity_per_order_usdt 10 makes pmmd exit 78 naming MIN_NOTIONAL.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl openssl python3; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

# The exchange is down when the tree starts: readiness must not wait for it,
# and the order service must neither crash-loop nor quote until it is back.
exch_start --config "$(exch_accounts)" --seed 11
exch_stop
write_config \
	"market_stale_after: 3600" \
	"initial_capital: 100000" \
	"max_net_position_ratio: 1" \
	"risk:" \
	"  max_loss_usdt: 0" \
	"order_config:" \
	"  levels: 3" \
	"  quantity_per_order_usdt: 150" \
	"  price_offset_percent: 0.01" \
	"  refresh_mode: replace" \
	"refresh_config:" \
	"  orderbook_refresh_interval: 1" \
	"exchange:" \
	"  countdown_cancel_ms: 60000"
exch_env
start_tree
wait_for "tree ready without the exchange" 30 tree_ready
opid=$(svc_field order pid)
wait_for "the order service retrying with backoff" 15 \
	grep -q "exchange start-up: clock failed" "$PMMD_LOG"
sleep 2
[ "$(svc_field order pid)" = "$opid" ] && [ "$(svc_field order restarts)" = 0 ] &&
	[ "$(svc_field order state)" = ready ] || fail "order did not stay up without the exchange"
pass "exchange down: tree ready, order (pid $opid) up and not quoting"
exch_start --config "$T/accounts" --seed 11

INST="t$$"
# ours: the open orders of the symbol this instance placed, as JSON
ours() {
	exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
		jq -c --arg p "$INST-" '[.[] | select(.clientOrderId | startswith($p))]'
}
n_ours() { ours | jq length; }

# ladder_json MID [LEVELS]: the expected ladder around MID, exact decimal
# arithmetic (bid k floored, ask k ceiled to the 0.1 tick at k x 0.01 %).
ladder_json() {
	python3 - "$1" "${2:-3}" <<'EOF'
import json, sys
from decimal import Decimal, ROUND_FLOOR, ROUND_CEILING
mid, tick = Decimal(sys.argv[1]), Decimal("0.1")
out = []
for k in range(1, int(sys.argv[2]) + 1):
    d = Decimal(k) * Decimal("0.0001")
    b = (mid * (1 - d) / tick).to_integral_value(ROUND_FLOOR) * tick
    a = (mid * (1 + d) / tick).to_integral_value(ROUND_CEILING) * tick
    out += [{"side": "BUY", "level": k, "price": str(b)},
            {"side": "SELL", "level": k, "price": str(a)}]
print(json.dumps(out))
EOF
}

# ladder_is MID [LEVELS]: exactly one order of ours per rung, at the
# expected price, GTX, and nothing else of ours.
ladder_is() {
	local want got
	want=$(ladder_json "$1" "${2:-3}")
	got=$(ours) || return 1
	jq -en --argjson w "$want" --argjson g "$got" --arg p "$INST" '
	    ($g | length) == ($w | length) and
	    all($w[]; . as $r | [$g[] | select(.side == $r.side and
	        (.clientOrderId | test("^" + $p + "-" + ($r.side[0:1]) +
	         ($r.level | tostring) + "-")))] as $m |
	        ($m | length) == 1 and ($m[0].price | tonumber) ==
	        ($r.price | tonumber) and $m[0].timeInForce == "GTX" and
	        $m[0].type == "LIMIT")'
}

# pin BID ASK: a frozen market with this top of book
pin() {
	exch_post /sim/pause >/dev/null || fail "pause the market"
	exch_post "/sim/book?symbol=BTCUSDT&bid=$1&ask=$2" >/dev/null ||
		fail "set the book"
}

# ---- the ladder at exact prices --------------------------------------------
# (conditions are functions: wait_for runs them again on every poll)
have_ladder() { [ "$(n_ours)" -ge 6 ]; }
no_orders() { [ "$(n_ours)" -eq 0 ]; }
wait_for "a first ladder" 30 have_ladder
pin 61234.5 61234.7
wait_for "the ladder around the pinned mid 61234.6" 15 ladder_is 61234.6
pass "3 bids and 3 asks at exactly $(ours | jq -c '[.[] | .price] | sort')"

# ---- a refresh follows the mid -------------------------------------------------
# Moves smaller than one level's offset: the new book never crosses the old
# ladder, so nothing fills by accident and the position stays flat.
t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
pin 61237.5 61237.7
wait_for "the ladder around the new mid 61237.6" 15 ladder_is 61237.6
dels=$(exch_get "/sim/requests?since=$t0&path=/fapi/v1/batchOrders" |
	jq '[.requests[] | select(.method == "DELETE")] | length')
[ "$dels" -ge 1 ] || fail "no batch cancel for the refresh"
pass "refresh: the ladder moved to the new mid (batch cancels: $dels)"

# ---- unknown outcomes: 503s, never a blind resend ------------------------------------
# Not executed: the user stream says nothing, so only asking the exchange
# (GET order by origClientOrderId, -2013) can free the rungs.
# t0 first: a refresh (1 s) may take the fault before the next line runs
t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
exch_post "/sim/fault/unknown?count=1&execute=false" >/dev/null || fail "fault"
pin 61240.5 61240.7
# the client ids of the batch that got the 503
lost() {
	exch_get "/sim/requests?since=$t0&path=/fapi/v1/batchOrders" |
		jq -c '[.requests[] | select(.method == "POST" and .status == 503) |
		    .params.batchOrders | fromjson[] | .newClientOrderId]'
}
have_lost() { jq -en --argjson l "$(lost)" '$l | length > 0'; }
wait_for "a batch answered 503" 15 have_lost
queried() {
	exch_get "/sim/requests?since=$t0&path=/fapi/v1/order" |
		jq -e --argjson l "$(lost)" '[.requests[] | select(.method == "GET") |
		    .params.origClientOrderId] as $q | ($l - $q) == []'
}
wait_for "every order of the 503 batch asked about" 15 queried
wait_for "the ladder around 61240.6 after the 503" 15 ladder_is 61240.6
pass "503, not executed: each of $(lost | jq length) orders asked about, the ladder re-placed"
# Executed: the orders exist; they must not be placed a second time.
exch_post "/sim/fault/unknown?count=1&execute=true" >/dev/null || fail "fault"
pin 61243.5 61243.7
wait_for "the 503 fault used" 15 \
	bash -c "curl -sf http://127.0.0.1:$EXCH_PORT/sim/state | jq -e '.fault.unknown_left == 0'"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	n=$(n_ours)
	[ "$n" -le 6 ] || fail "a second ladder after an executed 503: $(ours)"
	sleep 0.2
done
wait_for "the ladder around 61243.6 after the 503" 15 ladder_is 61243.6
pass "503, executed: never more than one order per rung"

# ---- listenKey expiry: a new key and a new stream (the fill below needs it) ---
exch_post /sim/fault/expire_listenkey >/dev/null || fail "expire the listenKey"
wait_for "a new listenKey after listenKeyExpired" 15 \
	grep -q "order: user stream: new listenKey (listenKeyExpired)" "$PMMD_LOG"
wait_for "the user stream back" 15 grep -q "order: user stream back" "$PMMD_LOG"
pass "listenKeyExpired: new listenKey, user stream back"

# ---- a fill moves the position -------------------------------------------------------
# (the synthetic market may have filled something before the book was
# pinned: the position is compared with what it was)
position() {
	exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" |
		jq '[.[] | select(.symbol == "BTCUSDT") | .positionAmt | tonumber] | add'
}
p0=$(position)
b1o=$(ours | jq -c --arg p "$INST-B1-" '.[] | select(.clientOrderId | startswith($p))')
b1=$(echo "$b1o" | jq -r .price)
[ -n "$b1" ] || fail "no B1 order"
exch_post "/sim/trade?symbol=BTCUSDT&price=$b1&qty=0.002&side=SELL" >/dev/null ||
	fail "trade through B1"
pos_is() {
	jq -en --argjson p "$(position)" --argjson p0 "$p0" '(($p - $p0 - 0.002) | fabs) < 1e-9'
}
wait_for "positionRisk up 0.002 after the fill" 15 pos_is
p1=$(position)
status_pos() {
	status_json | jq -e --argjson p "$p1" '((.position - $p) | fabs) < 1e-9'
}
wait_for "pmmctl status position $p1" 15 status_pos
# the fill rows of B1 at its price (one per trade: the exchange may split
# it) add up. By rung and price, not by client id: in replace mode a
# refresh may swap the B1 read above for a new one at the same price
# before the trade arrives, and the trade then fills that one.
fill_row() {
	cat "$T"/logs/metrics-*.csv | grep ",fill," | grep "client_id=$INST-B1-" |
		awk -F, -v px="$b1" '$8 == "BUY" && $9 == 1 && $10 == "maker" {
		    split($11, d, " "); sub("price=", "", d[1])
		    if (d[1] + 0 == px + 0) q += $5 }
		    END { exit !(q > 0.0019999 && q < 0.0020001) }'
}
wait_for "the fill in the metrics CSV" 15 fill_row
pass "trade through B1 at $b1: position $p0 -> $p1 on the exchange and in status, fill logged"

# ---- pause and resume ------------------------------------------------------------------
ctl pause "e2e" >/dev/null || fail "pmmctl pause"
wait_for "no orders of ours while paused" 15 no_orders
sleep 1.5	# a refresh interval later: still none
[ "$(n_ours)" -eq 0 ] || fail "orders placed while paused: $(ours)"
pass "paused: no open orders on the exchange"
ctl resume >/dev/null || fail "pmmctl resume"
wait_for "the ladder back after resume" 15 ladder_is 61243.6
pass "resumed: the ladder is back"

# ---- orders of an earlier run are cancelled at start ----------------------------------------
exch_signed POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=50000.0&newClientOrderId=foreign-1" >/dev/null ||
	fail "a foreign order"
wait_for "the ladder before the kill" 15 ladder_is 61243.6
children=$(status_json | jq -r '.services[].pid')
# pmmd stopped first: it must not restart them, nor its death SIGTERM them
# (a SIGTERMed order service cancels its orders, which is not this test)
kill -STOP "$PMMD_PID"
kill -KILL $children
kill -KILL "$PMMD_PID"
{ wait "$PMMD_PID"; } 2>/dev/null || true
for p in $PMMD_PID $children; do
	wait_for "pid $p gone" 10 bash -c "! kill -0 $p"
done
PMMD_PID=""
# what the dead tree left, read once it is dead: read before the kill, a
# refresh (1 s, replace) could still swap the whole ladder
old=$(ours | jq -c '[.[].clientOrderId] | sort')
[ "$(n_ours)" -eq 6 ] || fail "the killed tree's orders are not on the exchange: $(ours)"
t0=$(exch_get /sim/requests?limit=1 | jq .now_ns)
start_tree
wait_for "tree ready again" 30 tree_ready
gone() {
	exch_post /sim/tick >/dev/null	# the frozen book, to the new market service
	ours | jq -e --argjson o "$old" '[.[].clientOrderId] - $o | length == 6' >/dev/null &&
		ours | jq -e --argjson o "$old" '[.[].clientOrderId] as $n | ($o - $n) == $o' >/dev/null
}
wait_for "a new ladder, none of the old orders left" 30 gone
ladder_is 61243.6 >/dev/null || fail "not exactly one ladder after the restart: $(ours)"
exch_get "/sim/requests?since=$t0&path=/fapi/v1/batchOrders" |
	jq -e --argjson o "$old" '[.requests[] | select(.method == "DELETE") |
	    .params.origClientOrderIdList | fromjson[]] as $c | ($o - $c) == []' >/dev/null ||
	fail "the old orders were not cancelled by client id"
exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
	jq -e '[.[] | select(.clientOrderId == "foreign-1")] | length == 1' >/dev/null ||
	fail "the foreign order was touched"
grep -q "reconcile: cancelling 6 orders left by an earlier run" "$PMMD_LOG" ||
	fail "no reconcile line in the log"
pass "restart after SIGKILL: the 6 old orders cancelled, foreign order untouched, one ladder"

# ---- the metrics CSV -------------------------------------------------------------------
csv=$(ls "$T"/logs/metrics-*.csv | head -1)
head -1 "$csv" | grep -qx "timestamp,instance_id,env,metric_name,value,unit,symbol,side,level,sub_type,details" ||
	fail "CSV header: $(head -1 "$csv")"
for m in orders_placed orders_canceled open_orders order_rtt_ms user_stream_up order_event; do
	grep -q ",$m," "$csv" || fail "no $m rows in the CSV"
done
grep -Eq ",user_stream_up,1,bool," "$csv" || fail "user_stream_up never 1"
pass "CSV: header and the order service's metric and event rows"

# ---- reload: two levels a side ------------------------------------------------------------
sed -i 's/^  levels: 3/  levels: 2/' "$T/config.yaml"
ctl reload >/dev/null || fail "pmmctl reload"
two_levels() {
	ours | jq -e --arg p "$INST" 'length == 4 and
	    ([.[].clientOrderId | capture("^" + $p + "-(?<r>[BS][12])-").r] | unique | length) == 4'
}
wait_for "a ladder of two levels after the reload" 15 two_levels
pass "reload: levels 3 -> 2, four orders on the exchange"

# ---- refresh_mode tolerance: only a move beyond the tolerance re-quotes ----------------------
sed -i -e 's/^  refresh_mode: replace/  refresh_mode: tolerance\n  refresh_tolerance_percent: 0.005/' \
	-e 's/^  orderbook_refresh_interval: 1$/  orderbook_refresh_interval: 3600/' "$T/config.yaml"
ctl reload >/dev/null || fail "pmmctl reload"
reloads() { [ "$(grep -c "order: config reloaded" "$PMMD_LOG")" -ge 2 ]; }
wait_for "the second reload taken by order" 15 reloads
wait_for "the two-level ladder around 61243.6" 15 ladder_is 61243.6 2
sleep 1
cids=$(ours | jq -c '[.[].clientOrderId] | sort')
pin 61244.5 61244.7	# 1 USDT: inside 0.005 % (3.06 USDT)
sleep 1.5
[ "$(ours | jq -c '[.[].clientOrderId] | sort')" = "$cids" ] ||
	fail "a move inside the tolerance re-quoted: $(ours)"
pin 61248.5 61248.7	# 5 USDT from the ladder's mid: beyond it
wait_for "the ladder following a move beyond the tolerance" 15 ladder_is 61248.6 2
pass "tolerance: a 1 USDT move kept the orders, a 5 USDT move re-quoted at once (no timer)"

# ---- SIGTERM cancels everything of ours ----------------------------------------------------
kill -TERM "$PMMD_PID"
wait "$PMMD_PID" || fail "pmmd exited $? on SIGTERM"
PMMD_PID=""
[ "$(n_ours)" -eq 0 ] || fail "orders left after SIGTERM: $(ours)"
exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
	jq -e '[.[] | select(.clientOrderId == "foreign-1")] | length == 1' >/dev/null ||
	fail "the foreign order was cancelled on stop"
grep -Eq "order: stopped: the exchange confirmed all [0-9]+ orders of ours gone" "$PMMD_LOG" ||
	fail "no stop line from the order service saying its cancels were answered: $(grep 'order: stopped' "$PMMD_LOG")"
pass "pmmd SIGTERM: no order of ours left, the foreign one untouched"

# ---- a size the exchange refuses: exit 78 ----------------------------------------------------
sed -i 's/^  quantity_per_order_usdt: .*/  quantity_per_order_usdt: 10/' "$T/config.yaml"
start_tree
set +e
wait "$PMMD_PID"; rc=$?
set -e
PMMD_PID=""
[ $rc -eq 78 ] || fail "pmmd exited $rc with quantity_per_order_usdt 10, want 78"
grep "order:" "$PMMD_LOG" | grep -q "MIN_NOTIONAL" ||
	fail "no message naming MIN_NOTIONAL from the order service"
msgs=$(grep -c "MIN_NOTIONAL" "$PMMD_LOG" || true)
[ "$msgs" -eq 1 ] || fail "$msgs lines name MIN_NOTIONAL, want one"
pass "quantity_per_order_usdt 10: exit 78 after one line: $(grep -m1 MIN_NOTIONAL "$PMMD_LOG" | sed 's/^<[0-9]>//')"
# pmmd's last line says it was the configuration, not a crash loop
last=$(grep -v '^\s*$' "$PMMD_LOG" | tail -n 1 | sed 's/^<[0-9]>//')
case "$last" in
"pmmd: stopped: order refused the configuration"*"exit 78") ;;
*) fail "pmmd's last line after a refused order size: '$last'" ;;
esac
grep -q "escalation" "$PMMD_LOG" && fail "a refused config reported as an escalation: $(grep escalation "$PMMD_LOG")"
pass "last line: $last"
[ "$(n_ours)" -eq 0 ] || fail "orders placed with a refused config"

# ---- an unknown strategy: exit 78 with the names that exist ---------------------------------
sed -i -e 's/^  quantity_per_order_usdt: .*/  quantity_per_order_usdt: 150/' "$T/config.yaml"
echo "strategy_name: no_such_mm" >> "$T/config.yaml"
start_tree
set +e
wait "$PMMD_PID"; rc=$?
set -e
PMMD_PID=""
[ $rc -eq 78 ] || fail "pmmd exited $rc with an unknown strategy, want 78"
grep -q 'order: unknown strategy_name "no_such_mm"; known: simple_mm' "$PMMD_LOG" ||
	fail "no strategy message from the order service"
pass "strategy_name no_such_mm: exit 78, the known names listed"
exch_stop
pass "done"
