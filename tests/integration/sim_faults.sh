#!/usr/bin/env bash
# sim_faults.sh — pmm-exchange's /sim admin API: added latency, error
# bursts (500/502/503/429/418), the 503 whose order was (or was not)
# placed, clock skew, forced listenKey expiry, the request record with
# receive times, /sim/state, /sim/mid and /sim/tick — and the real rate
# limits: X-MBX-USED-WEIGHT-1M growing, 429 past 2400, then 418.
. "$(dirname "$0")/sim_lib.inc"

start_exchange --synthetic --seed 11

# --- latency: a response is never earlier than the injected delay ---------------
adm /sim/fault/latency "ms=400"
check "latency set" [ "$STATUS" = 200 -a "$(jqb .fault.latency_ms)" = 400 ]
t=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/fapi/v1/ping")
check "ping answered no sooner than 400 ms" python3 -c "import sys; sys.exit(float('$t') < 0.4)"
t=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/sim/state")
adm /sim/fault/latency "ms=0"

# --- error bursts ----------------------------------------------------------------------
for st in 500 502 503; do
	adm /sim/fault/burst "count=2&status=$st"
	req GET /fapi/v1/time
	check "burst $st: first request fails with -1000" expect_err "$st" -1000
	check "burst $st: Binance's unknown-error message" \
	    [ "$(jqb .msg)" = "Unknown error, please check your request or try again later." ]
	req GET /fapi/v1/time
	check "burst $st: second request fails too" [ "$STATUS" = "$st" ]
	req GET /fapi/v1/time
	check "burst $st: then back to normal" [ "$STATUS" = 200 ]
done
adm /sim/fault/burst "count=1&status=429"
req GET /fapi/v1/ping
check "burst 429: -1003 with Retry-After" [ "$STATUS" = 429 -a "$(jqb .code)" = -1003 -a -n "$(hdr retry-after)" ]
adm /sim/fault/burst "count=1&status=418"
req GET /fapi/v1/ping
check "burst 418: -1003 banned until" [ "$STATUS" = 418 ] && check "418 message says banned" bash -c "printf '%s' '$BODY' | grep -q 'banned until'"
adm /sim/fault/burst "count=1&status=404"
check "an unsupported burst status is refused" [ "$STATUS" = 400 ]

# --- 503 unknown outcome -------------------------------------------------------------------
sreq GET /fapi/v1/openOrders "symbol=BTCUSDT"
n0=$(jqb length)
mid=$(curl -s "$BASE/fapi/v1/ticker/bookTicker?symbol=BTCUSDT" | jq -r .bidPrice)
low=$(python3 -c "print('%.1f' % (round(float('$mid') * 0.97, 1)))")
adm /sim/fault/unknown "count=1&execute=true"
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=$low&newClientOrderId=u-exec"
check "unknown+execute: HTTP 503 -1000" expect_err 503 -1000
sreq GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=u-exec"
check "... yet the order exists" [ "$STATUS" = 200 -a "$(jqb .status)" = NEW ]
adm /sim/fault/unknown "count=1&execute=false"
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=$low&newClientOrderId=u-lost"
check "unknown, not executed: HTTP 503" expect_err 503 -1000
sreq GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=u-lost"
check "... and the order does not exist (-2013)" expect_err 400 -2013
sreq DELETE /fapi/v1/allOpenOrders "symbol=BTCUSDT"

# --- clock skew ------------------------------------------------------------------------------
adm /sim/fault/skew "ms=30000"
req GET /fapi/v1/time
check "skew: serverTime is 30 s ahead" [ $(( $(jqb .serverTime) - $(now_ms) )) -ge 25000 ]
sreq GET /fapi/v2/balance ""
check "skew: a request stamped with the local clock gets -1021" expect_err 400 -1021
adm /sim/fault/skew "ms=0"
sreq GET /fapi/v2/balance ""
check "skew removed: accepted again" [ "$STATUS" = 200 ]

# --- forced listenKey expiry ----------------------------------------------------------------------
kreq POST /fapi/v1/listenKey
LK=$(jqb .listenKey)
"$WSC" -n 1 -t 15 "$WS/private/ws?listenKey=$LK" >"$TMP/exp.txt" &
wpid=$!
poll "user stream connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 1'"
adm /sim/fault/expire_listenkey
wait $wpid
check "listenKeyExpired event with the key" \
    [ "$(jq -r '.e + " " + .listenKey + " " + (.E|type)' "$TMP/exp.txt")" = "listenKeyExpired $LK string" ]
kreq PUT /fapi/v1/listenKey
check "the expired key can no longer be extended (-1125)" expect_err 400 -1125

# --- request record ------------------------------------------------------------------------------------
since=$(date +%s%N)
sreq GET /fapi/v1/openOrders "symbol=BTCUSDT"
req GET /sim/requests "since=$since"
check "requests since: the signed call is recorded" \
    [ "$(jqb '.requests | map(select(.path=="/fapi/v1/openOrders")) | length')" = 1 ]
check "recorded: method, recv_ns, params, apiKey present" \
    [ "$(jqb '.requests[0] | .method + " " + (.recv_ns|type) + " " + .params.symbol + " " + .apiKey')" = "GET number BTCUSDT present" ]
check "recorded: no signature, no key" \
    [ "$(jqb '.requests[0].params | has("signature")')" = false ] && \
    check "the API key itself is not in the record" bash -c "! printf '%s' '$BODY' | grep -q '$KEY'"
check "recv_ns is after since" [ "$(jqb '.requests[0].recv_ns')" -gt "$since" ]

# --- state, mid, tick ---------------------------------------------------------------------------------------
req GET /sim/state
check "/sim/state has books and accounts" [ "$(jqb '(.books|length)+(.accounts|length)')" = 3 ]
adm /sim/mid "symbol=BTCUSDT&price=70000"
check "/sim/mid accepted" [ "$STATUS" = 200 ]
near70k() { curl -s "$BASE/fapi/v1/ticker/bookTicker?symbol=BTCUSDT" | \
    python3 -c "import json,sys; d=json.load(sys.stdin); m=(float(d['bidPrice'])+float(d['askPrice']))/2; sys.exit(abs(m-70000)>700)"; }
poll "bookTicker mid moved to about 70000" 5 near70k
adm /sim/pause		# no market events: the only bookTicker is /sim/tick's
check "/sim/pause" [ "$STATUS" = 200 ]
"$WSC" -n 1 -t 10 "$WS/public/ws/btcusdt@bookTicker" >"$TMP/tick.txt" &
wpid=$!
poll "ticker subscriber connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 1'"
adm /sim/tick
wait $wpid
check "/sim/tick pushes a bookTicker" [ "$(jq -r .e "$TMP/tick.txt")" = bookTicker ]
adm /sim/resume

# --- real rate limits ----------------------------------------------------------------------------------------
adm /sim/ratelimit/reset
req GET /fapi/v1/ping
w1=$(hdr x-mbx-used-weight-1m)
req GET /fapi/v1/depth "symbol=BTCUSDT&limit=1000"
w2=$(hdr x-mbx-used-weight-1m)
check "weight grows by 20 for depth limit=1000" [ $((w2 - w1)) = 20 ]
# windows are aligned to the minute: keep going until the limit shows
for i in $(seq 1 400); do
	req GET /fapi/v1/depth "symbol=BTCUSDT&limit=1000"
	[ "$STATUS" = 429 ] && break
done
check "over 2400 weight: 429 -1003" expect_err 429 -1003
for i in $(seq 1 100); do
	req GET /fapi/v1/ping
	[ "$STATUS" = 418 ] && break
done
check "ignoring 429s: 418 ban" expect_err 418 -1003
adm /sim/ratelimit/reset
req GET /fapi/v1/ping
check "after a reset: allowed again" [ "$STATUS" = 200 ]
finish
