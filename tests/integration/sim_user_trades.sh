#!/usr/bin/env bash
# sim_user_trades.sh — the account's history on pmm-exchange over real
# HTTP: GET /fapi/v1/userTrades returns each fill with the id, price,
# qty, commission, realizedPnl, maker flag and time its ORDER_TRADE_UPDATE
# carried on the user stream; fromId pages through them; the -1128/-1127/
# -1130 errors; weight 5, the request log and faults like any signed GET;
# GET /fapi/v1/allOrders lists filled, canceled and open orders with their
# clientOrderId. The market is driven by hand (--manual, /sim/trade) so
# every fill is deterministic.
. "$(dirname "$0")/sim_lib.inc"

start_exchange --manual
adm /sim/book "symbol=BTCUSDT&bid=60000.0&ask=60000.1&qty=5"
check "manual book set" [ "$STATUS" = 200 ]

kreq POST /fapi/v1/listenKey
LK=$(jqb .listenKey)
"$WSC" -n 0 -t 60 "$WS/private/ws?listenKey=$LK&events=ORDER_TRADE_UPDATE" \
    >"$TMP/user.txt" 2>&1 &
poll "user stream connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 1'"

# --- fills: maker (two partial), taker, and a canceled order ----------------
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=60000.0&newClientOrderId=ut-maker"
check "resting bid placed" [ "$STATUS" = 200 -a "$(jqb .status)" = NEW ]
MAKER=$(jqb .orderId)
adm /sim/trade "symbol=BTCUSDT&price=59990.0&qty=0.004&side=SELL"
adm /sim/trade "symbol=BTCUSDT&price=59990.0&qty=1&side=SELL"
sreq GET /fapi/v1/order "symbol=BTCUSDT&orderId=$MAKER"
check "the bid filled in two trades" [ "$(jqb .status)" = FILLED ]
adm /sim/book "symbol=BTCUSDT&bid=60010.0&ask=60010.1&qty=5"
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010&newOrderRespType=RESULT&newClientOrderId=ut-taker"
check "MARKET sell filled" [ "$(jqb .status)" = FILLED ]
TAKER=$(jqb .orderId)
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=59000.0&newClientOrderId=ut-cxl"
CXL=$(jqb .orderId)
sreq DELETE /fapi/v1/order "symbol=BTCUSDT&orderId=$CXL"
check "order canceled" [ "$(jqb .status)" = CANCELED ]
# eight more taker fills, alternating sides, for paging
for i in 1 2 3 4 5 6 7 8; do
	side=BUY; [ $((i % 2)) = 0 ] && side=SELL
	sreq POST /fapi/v1/order "symbol=BTCUSDT&side=$side&type=MARKET&quantity=0.010&newClientOrderId=ut-m$i"
done
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=59500.0&newClientOrderId=ut-open"
OPEN=$(jqb .orderId)
NFILLS=11
n_trade_events() { [ "$(grep -c '"x":"TRADE"' "$TMP/user.txt")" -ge "$NFILLS" ]; }
poll "the stream carried all $NFILLS fills" 10 n_trade_events

# --- userTrades equals the stream ------------------------------------------------
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1000"
check "userTrades: HTTP 200, one element per fill" [ "$STATUS" = 200 -a "$(jqb length)" = "$NFILLS" ]
printf '%s' "$BODY" >"$TMP/trades.json"
check "userTrades element: Binance's fields, order and types" python3 - "$TMP/trades.json" <<'EOF'
import json, sys
want = [("buyer", bool), ("commission", str), ("commissionAsset", str),
        ("id", int), ("maker", bool), ("orderId", int), ("price", str),
        ("qty", str), ("quoteQty", str), ("realizedPnl", str),
        ("side", str), ("positionSide", str), ("symbol", str),
        ("time", int)]
for t in json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p):
    if [k for k, _ in t] != [k for k, _ in want]:
        print("   keys", [k for k, _ in t]); sys.exit(1)
    for (k, v), (_, ty) in zip(t, want):
        if type(v) is not ty:
            print("   type of", k, type(v)); sys.exit(1)
EOF
check "every trade is its ORDER_TRADE_UPDATE: t, i, L, l, n, rp, m, T, S" \
    python3 - "$TMP/trades.json" "$TMP/user.txt" <<'EOF'
import json, sys
trades = json.load(open(sys.argv[1]))
fills = []
for line in open(sys.argv[2]):
    try: ev = json.loads(line)
    except ValueError: continue
    if ev.get("e") == "ORDER_TRADE_UPDATE" and ev["o"]["x"] == "TRADE":
        fills.append(ev["o"])
if len(fills) != len(trades):
    print("   %d fills on the stream, %d trades" % (len(fills), len(trades)))
    sys.exit(1)
for t, o in zip(trades, fills):
    got = (t["id"], t["orderId"], t["price"], t["qty"], t["commission"],
           t["realizedPnl"], t["maker"], t["time"], t["side"], t["buyer"],
           t["symbol"], t["commissionAsset"])
    want = (o["t"], o["i"], o["L"], o["l"], o["n"], o["rp"], o["m"], o["T"],
            o["S"], o["S"] == "BUY", o["s"], o["N"])
    if got != want:
        print("   trade", got, "\n   stream", want); sys.exit(1)
ids = [t["id"] for t in trades]
sys.exit(0 if ids == sorted(ids) and len(set(ids)) == len(ids) else 1)
EOF
check "the maker fills are maker, at the bid's price" \
    [ "$(jq -r --argjson o "$MAKER" '[.[] | select(.orderId == $o) | "\(.maker) \(.price) \(.qty)"] | join(",")' "$TMP/trades.json")" = "true 60000.00 0.004,true 60000.00 0.006" ]
check "the taker sell realized 10 x 0.01 and paid the taker fee" \
    [ "$(jq -r --argjson o "$TAKER" '.[] | select(.orderId == $o) | "\(.maker) \(.side) \(.buyer) \(.realizedPnl) \(.commission) \(.quoteQty)"' "$TMP/trades.json")" = "false SELL false 0.10000000 0.30005000 600.10000" ]
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&orderId=$MAKER"
check "orderId: that order's two fills only" \
    [ "$(jqb "[.[] | .orderId] | unique | length")" = 1 -a "$(jqb length)" = 2 ]

# --- first run and paging, as the order service does ---------------------------------
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1"
check "limit=1 without fromId: the newest trade" \
    [ "$(jqb '.[0].id')" = "$(jq '.[-1].id' "$TMP/trades.json")" ]
from=$(jq '.[0].id' "$TMP/trades.json")
: >"$TMP/paged"
for page in 1 2 3 4 5 6; do
	sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&fromId=$from&limit=3"
	[ "$STATUS" = 200 ] || break
	jqb '.[].id' >>"$TMP/paged"
	[ "$(jqb length)" = 3 ] || break
	from=$(( $(jqb '.[-1].id') + 1 ))
done
check "fromId pages of 3 return every id once, in order" \
    [ "$(cat "$TMP/paged")" = "$(jq '.[].id' "$TMP/trades.json")" ]
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=4"
check "without fromId: the 4 most recent, ascending" \
    [ "$(jqb '[.[].id] | map(tostring) | join(",")')" = "$(jq -r '[.[-4:][].id] | map(tostring) | join(",")' "$TMP/trades.json")" ]
T0=$(jq '.[0].time' "$TMP/trades.json")
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&startTime=$T0&limit=2"
check "startTime: the first trades from then" \
    [ "$(jqb '.[0].id')" = "$(jq '.[0].id' "$TMP/trades.json")" -a "$(jqb length)" = 2 ]

# --- errors ----------------------------------------------------------------------------
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&fromId=1&startTime=$T0"
check "fromId with startTime: -1128" expect_err 400 -1128
check "-1128 message" [ "$(jqb .msg)" = "Combination of optional parameters invalid." ]
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&fromId=1&endTime=$T0"
check "fromId with endTime: -1128" expect_err 400 -1128
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&startTime=$T0&endTime=$((T0 + 8 * 86400000))"
check "8 days between startTime and endTime: -1127" expect_err 400 -1127
check "-1127 message" [ "$(jqb .msg)" = "More than 7 days between startTime and endTime." ]
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1001"
check "limit 1001: -1130" expect_err 400 -1130
check "-1130 message as the sim's depth says it" \
    [ "$(jqb .msg)" = "Data sent for paramter 'limit' is not valid." ]
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=0"
check "limit 0: -1130" expect_err 400 -1130
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&fromId=x1"
check "malformed fromId: -1100" expect_err 400 -1100
sreq GET /fapi/v1/userTrades ""
check "no symbol: -1102" expect_err 400 -1102
req GET /fapi/v1/userTrades "symbol=BTCUSDT"
check "unsigned: refused" [ "$STATUS" = 401 -o "$STATUS" = 400 ]

# --- weight, request log, faults ----------------------------------------------------------
weight_step() {	# the weight userTrades adds, on a minute that does not roll over
	local w0 w1
	req GET /fapi/v1/ping; w0=$(hdr x-mbx-used-weight-1m)
	sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1"; w1=$(hdr x-mbx-used-weight-1m)
	[ "$((w1 - w0))" = 5 ]
}
poll "userTrades weighs 5" 5 weight_step
allorders_step() {
	local w0 w1
	req GET /fapi/v1/ping; w0=$(hdr x-mbx-used-weight-1m)
	sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&limit=1"; w1=$(hdr x-mbx-used-weight-1m)
	[ "$((w1 - w0))" = 5 ]
}
poll "allOrders weighs 5" 5 allorders_step
req GET /sim/requests "path=/fapi/v1/userTrades"
check "userTrades requests are in the request log" \
    [ "$(jqb '[.requests[] | select(.method == "GET")] | length >= 10')" = true ]
adm /sim/fault/burst "count=1&status=503"
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT"
check "an error burst hits userTrades like any request" expect_err 503 -1000
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT"
check "and then it answers again" [ "$STATUS" = 200 ]

# --- allOrders -------------------------------------------------------------------------
sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&limit=1000"
check "allOrders: HTTP 200, all 12 orders" [ "$STATUS" = 200 -a "$(jqb length)" = 12 ]
check "allOrders ascending by orderId" [ "$(jqb '[.[].orderId] == ([.[].orderId] | sort)')" = true ]
status_of() { jqb ".[] | select(.clientOrderId == \"$1\") | .status"; }
check "the filled maker order, by clientOrderId" [ "$(status_of ut-maker)" = FILLED ]
check "the filled taker order" [ "$(status_of ut-taker)" = FILLED ]
check "the canceled order" [ "$(status_of ut-cxl)" = CANCELED ]
check "the open order" [ "$(status_of ut-open)" = NEW ]
check "allOrders elements are GET /fapi/v1/order's" bash -c '
	el=$(printf "%s" "$1" | jq -c ".[] | select(.orderId == $2)")
	printf "%s" "$el" | jq -e "has(\"time\") and has(\"updateTime\") and .executedQty == \"0.010\"" >/dev/null' \
    _ "$BODY" "$MAKER"
sreq GET /fapi/v1/order "symbol=BTCUSDT&orderId=$MAKER"
one=$(printf '%s' "$BODY" | jq -cS .)
sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&orderId=$MAKER&limit=1"
check "allOrders element equals GET /fapi/v1/order's" [ "$(jqb '.[0]' | jq -cS .)" = "$one" ]
sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&orderId=$CXL&limit=2"
check "orderId: from that id, ascending" \
    [ "$(jqb '.[0].clientOrderId + "," + .[1].clientOrderId')" = "ut-cxl,ut-m1" ]
sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&limit=2"
check "no orderId: the 2 most recent" \
    [ "$(jqb '.[0].clientOrderId + "," + .[1].clientOrderId')" = "ut-m8,ut-open" ]
sreq GET /fapi/v1/allOrders "symbol=ETHUSDT"
check "another symbol: none" [ "$STATUS" = 200 -a "$(jqb length)" = 0 ]
sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&limit=5000"
check "allOrders limit 5000: -1130" expect_err 400 -1130

# --- naming a missed trade's order, as the order service does ------------------------------
tid=$(jq --argjson o "$TAKER" '.[] | select(.orderId == $o) | .id' "$TMP/trades.json")
sreq GET /fapi/v1/userTrades "symbol=BTCUSDT&fromId=$tid&limit=1"
oid=$(jqb '.[0].orderId')
sreq GET /fapi/v1/allOrders "symbol=BTCUSDT&orderId=$oid&limit=1"
check "a trade's orderId names its clientOrderId through allOrders" \
    [ "$(jqb '.[0].clientOrderId')" = ut-taker ]
finish
