#!/usr/bin/env bash
# sim_orders.sh — trading on pmm-exchange over real HTTP and WebSocket:
# place, query, cancel, batch place/cancel, cancel-all, countdownCancelAll,
# the order errors (-4116, -5022, -4014, -4164, -2011, -2019, -1102), a
# fill that moves the position, and the user data events for it.
# The market is driven by hand (--manual + /sim/book, /sim/trade) so every
# fill is deterministic.
. "$(dirname "$0")/sim_lib.inc"

start_exchange --manual
adm /sim/book "symbol=BTCUSDT&bid=60000.0&ask=60000.1&qty=5"
check "manual book set" [ "$STATUS" = 200 ]
req GET /fapi/v1/ticker/bookTicker "symbol=BTCUSDT"
check "bookTicker shows the manual book" \
    [ "$(jqb '.bidPrice + " " + .askPrice')" = "60000.00 60000.10" ]

# user data stream first, so it sees every event
kreq POST /fapi/v1/listenKey
LK=$(jqb .listenKey)
"$WSC" -n 0 -t 30 "$WS/private/ws?listenKey=$LK&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE" \
    >"$TMP/user.txt" 2>&1 &
"$WSC" -n 0 -t 30 "$WS/ws/$LK" >"$TMP/user_legacy.txt" 2>&1 &
# as Binance's own connector does: connect to /private, then SUBSCRIBE the key
"$WSC" -n 0 -t 30 -s "{\"method\":\"SUBSCRIBE\",\"params\":[\"$LK\"],\"id\":1}" \
    "$WS/private/stream?streams=" >"$TMP/user_sub.txt" 2>&1 &
poll "user streams connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 3'"
poll "SUBSCRIBE <listenKey> on /private answered" 10 grep -q '"result":null,"id":1' "$TMP/user_sub.txt"

# --- place / query / cancel ------------------------------------------------------
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=59000.0&newClientOrderId=t-1"
check "LIMIT GTC placed" [ "$STATUS" = 200 -a "$(jqb .status)" = NEW ]
check "order response: strings and numbers as Binance" \
    [ "$(jqb '(.orderId|type)+(.price|type)+(.origQty|type)+(.reduceOnly|type)+(.updateTime|type)')" = numberstringstringbooleannumber ]
check "order response carries the clientOrderId" [ "$(jqb .clientOrderId)" = t-1 ]
check "X-MBX-ORDER-COUNT-10S on an order response" [ -n "$(hdr x-mbx-order-count-10s)" ]
check "X-MBX-ORDER-COUNT-1M on an order response" [ -n "$(hdr x-mbx-order-count-1m)" ]
ID1=$(jqb .orderId)
sreq GET /fapi/v1/order "symbol=BTCUSDT&orderId=$ID1"
check "query by orderId" [ "$STATUS" = 200 -a "$(jqb .status)" = NEW -a "$(jqb .clientOrderId)" = t-1 ]
sreq GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=t-1"
check "query by origClientOrderId" [ "$(jqb .orderId)" = "$ID1" ]
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=59000.0&newClientOrderId=t-1"
check "duplicate clientOrderId: -4116" expect_err 400 -4116
sreq GET /fapi/v1/openOrders "symbol=BTCUSDT"
check "openOrders has it" [ "$(jqb 'length')" = 1 -a "$(jqb '.[0].orderId')" = "$ID1" ]
sreq PUT /fapi/v1/order "symbol=BTCUSDT&orderId=$ID1&side=BUY&quantity=0.020&price=58999.0"
check "modify: same id, new price and quantity" [ "$STATUS" = 200 -a "$(jqb .orderId)" = "$ID1" -a "$(jqb .price)" = 58999.00 -a "$(jqb .origQty)" = 0.020 ]
sreq PUT /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=t-1&side=BUY&quantity=0.020&price=58999.0"
check "modify to the same values: -5027" expect_err 400 -5027
sreq PUT /fapi/v1/order "symbol=BTCUSDT&orderId=$ID1&side=BUY&quantity=0.020"
check "modify without a price: -1102" expect_err 400 -1102
sreq DELETE /fapi/v1/order "symbol=BTCUSDT&orderId=$ID1"
check "cancel" [ "$STATUS" = 200 -a "$(jqb .status)" = CANCELED ]
sreq DELETE /fapi/v1/order "symbol=BTCUSDT&orderId=$ID1"
check "cancel again: -2011" expect_err 400 -2011
sreq DELETE /fapi/v1/order "symbol=BTCUSDT"
check "cancel without an id: -1102" expect_err 400 -1102
sreq GET /fapi/v1/order "symbol=BTCUSDT&orderId=999999999"
check "query an unknown order: -2013" expect_err 400 -2013

# --- order errors -------------------------------------------------------------------
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.010&price=60000.1"
check "post-only that would take: -5022" expect_err 400 -5022
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=59000.05"
check "price off the tick: -4014" expect_err 400 -4014
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59000.0"
check "notional below 100: -4164" expect_err 400 -4164
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=50&price=59000.0"
check "far more than the margin: -2019" expect_err 400 -2019
sreq POST /fapi/v1/order "symbol=BTCUSDT&type=LIMIT&timeInForce=GTC&quantity=0.01&price=59000.0"
check "no side: -1102" expect_err 400 -1102
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=UP&type=LIMIT&timeInForce=GTC&quantity=0.01&price=59000.0"
check "bad side: -1117" expect_err 400 -1117
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=5x"
check "malformed price: -1100" expect_err 400 -1100
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=59000&newClientOrderId=bad%20id"
check "bad clientOrderId: -1100" expect_err 400 -1100

# --- batch ---------------------------------------------------------------------------
batch='[{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTC","quantity":"0.010","price":"59000.0","newClientOrderId":"b-1"},{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTX","quantity":"0.010","price":"60000.1"},{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","timeInForce":"GTC","quantity":"0.010","price":"61000.0","newClientOrderId":"b-3"}]'
enc=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=''))" "$batch")
sreq_body POST /fapi/v1/batchOrders "batchOrders=$enc"
check "batch: HTTP 200 with one result per order" [ "$STATUS" = 200 -a "$(jqb length)" = 3 ]
check "batch: results in request order, the middle one -5022" \
    [ "$(jqb '[.[0].clientOrderId, (.[1].code|tostring), .[2].clientOrderId] | join(",")')" = "b-1,-5022,b-3" ]
B1=$(jqb '.[0].orderId'); B3=$(jqb '.[2].orderId')
six=$(python3 -c "import json; print(json.dumps([json.loads('$(printf '%s' "$batch" | jq -c '.[0]')')]*6))")
enc=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=''))" "$six")
sreq_body POST /fapi/v1/batchOrders "batchOrders=$enc"
check "batch of 6 is refused" [ "$STATUS" = 400 ]
sreq DELETE /fapi/v1/batchOrders "symbol=BTCUSDT&orderIdList=%5B$B1,$B3,12345%5D"
check "batch cancel by orderIdList: per-element results" \
    [ "$(jqb '[.[0].status, .[1].status, (.[2].code|tostring)] | join(",")')" = "CANCELED,CANCELED,-2011" ]

# --- cancel all and the dead man's switch ----------------------------------------------
for p in 58000.0 58100.0 58200.0; do
	sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=$p"
done
sreq GET /fapi/v1/openOrders ""
check "three open orders" [ "$(jqb length)" = 3 ]
sreq DELETE /fapi/v1/allOpenOrders "symbol=BTCUSDT"
check "allOpenOrders: code 200 body" \
    [ "$STATUS" = 200 -a "$(jqb .code)" = 200 -a "$(jqb .msg)" = "The operation of cancel all open order is done." ]
sreq GET /fapi/v1/openOrders "symbol=BTCUSDT"
check "no open orders left" [ "$(jqb length)" = 0 ]
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=58000.0"
sreq POST /fapi/v1/countdownCancelAll "symbol=BTCUSDT&countdownTime=1000"
check "countdownCancelAll response" \
    [ "$STATUS" = 200 -a "$(jqb .symbol)" = BTCUSDT -a "$(jqb .countdownTime)" = 1000 ]
open_count() { sreq GET /fapi/v1/openOrders "symbol=BTCUSDT"; [ "$(jqb length)" = "$1" ]; }
poll "countdownCancelAll removed the order" 15 open_count 0

# --- a fill --------------------------------------------------------------------------------
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=60000.0&newClientOrderId=fill-1"
FID=$(jqb .orderId)
adm /sim/trade "symbol=BTCUSDT&price=59990.0&qty=1&side=SELL"
filled() { sreq GET /fapi/v1/order "symbol=BTCUSDT&orderId=$FID"; [ "$(jqb .status)" = FILLED ]; }
poll "the resting bid fills when the market trades through it" 10 filled
sreq GET /fapi/v3/positionRisk "symbol=BTCUSDT"
check "position is +0.010" [ "$(jqb '.[0].positionAmt')" = "0.010" ]
sreq GET /fapi/v2/positionRisk "symbol=BTCUSDT"
check "positionRisk v2 entryPrice 60000" \
    python3 -c "import sys; sys.exit(abs(float(sys.argv[1]) - 60000) > 1e-6)" "$(jqb '.[0].entryPrice')"
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010&newOrderRespType=RESULT&reduceOnly=true"
check "MARKET reduce-only RESULT is FILLED" [ "$STATUS" = 200 -a "$(jqb .status)" = FILLED ]

has_event() { grep -q "$1" "$2"; }
poll "ORDER_TRADE_UPDATE NEW for the fill order" 10 has_event '"c":"fill-1","S":"BUY".*"x":"NEW"' "$TMP/user.txt"
poll "ORDER_TRADE_UPDATE TRADE/FILLED arrives" 10 has_event '"c":"fill-1".*"x":"TRADE","X":"FILLED"' "$TMP/user.txt"
poll "ACCOUNT_UPDATE arrives" 10 has_event '"e":"ACCOUNT_UPDATE"' "$TMP/user.txt"
poll "the legacy /ws/<listenKey> stream gets them too" 10 has_event '"c":"fill-1"' "$TMP/user_legacy.txt"
poll "a subscribed listenKey gets them, combined" 10 has_event "\"stream\":\"$LK\",\"data\":{\"e\":\"ORDER_TRADE_UPDATE\"" "$TMP/user_sub.txt"
check "ORDER_TRADE_UPDATE keys in Binance's order" python3 - "$TMP/user.txt" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    try: ev = json.loads(line)
    except ValueError: continue
    if ev.get("e") == "ORDER_TRADE_UPDATE":
        keys = list(ev["o"].keys())
        want = ["s","c","S","o","f","q","p","ap","sp","x","X","i","l","z","L","N","n","T","t","b","a","m","R","wt","ot","ps","cp","rp","pP","si","ss","V","pm","gtd"]
        sys.exit(0 if keys == want and list(ev.keys()) == ["e","E","T","o"] else 1)
sys.exit(1)
EOF
finish
