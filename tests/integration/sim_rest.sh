#!/usr/bin/env bash
# sim_rest.sh — pmm-exchange's REST surface over real HTTP on loopback:
# public endpoints, the signed-request rules and their errors (-1021,
# -1022, -2014, -2015, -1102, -1100, -1121), query/body signing, the
# X-MBX-* headers, keep-alive, listenKey, and abuse that must not crash it.
. "$(dirname "$0")/sim_lib.inc"

start_exchange --synthetic --seed 7

# --- public -------------------------------------------------------------
req GET /fapi/v1/ping
check "ping is {}" [ "$STATUS" = 200 -a "$BODY" = "{}" ]
check "Content-Type is application/json" \
    [ "$(hdr content-type | cut -d';' -f1)" = application/json ]
check "X-MBX-USED-WEIGHT-1M on a public response" [ -n "$(hdr x-mbx-used-weight-1m)" ]

req GET /fapi/v1/time
t=$(now_ms)
check "time: serverTime is a number near now" \
    [ "$(jqb '.serverTime | type')" = number -a $(( $(jqb .serverTime) - t )) -lt 5000 \
      -a $(( t - $(jqb .serverTime) )) -lt 5000 ]

req GET /fapi/v1/exchangeInfo
check "exchangeInfo lists BTCUSDT and ETHUSDT" \
    [ "$(jqb '[.symbols[].symbol] | sort | join(",")')" = "BTCUSDT,ETHUSDT" ]
check "exchangeInfo has rateLimits REQUEST_WEIGHT 2400" \
    [ "$(jqb '.rateLimits[] | select(.rateLimitType=="REQUEST_WEIGHT") | .limit')" = 2400 ]
check "PRICE_FILTER tickSize is a string" \
    [ "$(jqb '.symbols[] | select(.symbol=="BTCUSDT") | .filters[] | select(.filterType=="PRICE_FILTER") | .tickSize | type')" = string ]
check "filters: LOT_SIZE, MIN_NOTIONAL, PERCENT_PRICE, MAX_NUM_ORDERS present" \
    [ "$(jqb '[.symbols[0].filters[].filterType] | map(select(.=="LOT_SIZE" or .=="MIN_NOTIONAL" or .=="PERCENT_PRICE" or .=="MAX_NUM_ORDERS")) | length')" = 4 ]

poll "depth has both sides once the market runs" 10 \
    bash -c "curl -s '$BASE/fapi/v1/depth?symbol=BTCUSDT&limit=5' | jq -e '(.bids|length)>0 and (.asks|length)>0'"
req GET /fapi/v1/depth "symbol=BTCUSDT&limit=5"
check "depth: lastUpdateId, E, T and string levels" \
    [ "$(jqb '(.lastUpdateId|type)+(.E|type)+(.bids[0][0]|type)+(.asks[0][1]|type)')" = numbernumberstringstring ]
check "depth: at most 5 levels" [ "$(jqb '.bids|length')" -le 5 ]
check "depth: best bid below best ask" \
    python3 -c "import sys,json; d=json.loads(sys.argv[1]); sys.exit(not float(d['bids'][0][0]) < float(d['asks'][0][0]))" "$BODY"
req GET /fapi/v1/depth "symbol=BTCUSDT&limit=7"
check "depth: bad limit is -1130" expect_err 400 -1130
req GET /fapi/v1/depth "symbol=NOPE"
check "depth: unknown symbol is -1121" expect_err 400 -1121
req GET /fapi/v1/depth
check "depth: missing symbol is -1102" expect_err 400 -1102

req GET /fapi/v1/ticker/bookTicker "symbol=BTCUSDT"
check "bookTicker fields" \
    [ "$(jqb '[.symbol,(.bidPrice|type),(.askQty|type),(.time|type)]|join(",")')" = "BTCUSDT,string,string,number" ]
req GET /fapi/v1/ticker/bookTicker
check "bookTicker without symbol is an array of all" [ "$(jqb 'length')" = 2 ]

req GET /fapi/v1/ticker/price "symbol=ETHUSDT"
check "ticker/price: symbol, price string, time" \
    [ "$(jqb '.symbol + " " + (.price|type) + " " + (.time|type)')" = "ETHUSDT string number" ]

req GET /fapi/v1/nothing
check "unknown path is 404" [ "$STATUS" = 404 ]

# --- signed requests ----------------------------------------------------
sreq GET /fapi/v2/balance ""
check "balance (signed, query) is 200 with 10000 USDT" \
    [ "$STATUS" = 200 -a "$(jqb '.[0].asset + " " + .[0].balance')" = "USDT 10000.00000000" ]
check "balance numbers are strings" [ "$(jqb '.[0].availableBalance | type')" = string ]

q="timestamp=$(now_ms)"
req GET /fapi/v2/balance "$q&signature=$(sign "$q")"
check "no API key: -2014" expect_err 401 -2014
req GET /fapi/v2/balance "$q&signature=$(sign "$q")" "" -H "X-MBX-APIKEY: bad key!"
check "malformed API key: -2014" expect_err 401 -2014
req GET /fapi/v2/balance "$q&signature=$(sign "$q")" "" -H "X-MBX-APIKEY: abcDEF0123456789"
check "unknown API key: -2015" expect_err 401 -2015
req GET /fapi/v2/balance "$q&signature=$(sign "$q" wrongsecret)" "" -H "X-MBX-APIKEY: $KEY"
check "wrong signature: -1022" expect_err 400 -1022
check "-1022 message is Binance's" [ "$(jqb .msg)" = "Signature for this request is not valid." ]
req GET /fapi/v2/balance "$q" "" -H "X-MBX-APIKEY: $KEY"
check "missing signature: -1102" expect_err 400 -1102
q2="recvWindow=5000"
req GET /fapi/v2/balance "$q2&signature=$(sign "$q2")" "" -H "X-MBX-APIKEY: $KEY"
check "missing timestamp: -1102" expect_err 400 -1102
old="timestamp=$(( $(now_ms) - 20000 ))"
req GET /fapi/v2/balance "$old&signature=$(sign "$old")" "" -H "X-MBX-APIKEY: $KEY"
check "stale timestamp: -1021" expect_err 400 -1021
old="timestamp=$(( $(now_ms) - 20000 ))&recvWindow=60000"
req GET /fapi/v2/balance "$old&signature=$(sign "$old")" "" -H "X-MBX-APIKEY: $KEY"
check "the same timestamp inside a 60 s recvWindow is accepted" [ "$STATUS" = 200 ]
fut="timestamp=$(( $(now_ms) + 5000 ))"
req GET /fapi/v2/balance "$fut&signature=$(sign "$fut")" "" -H "X-MBX-APIKEY: $KEY"
check "timestamp 5 s ahead: -1021" expect_err 400 -1021
bad="timestamp=12ab"
req GET /fapi/v2/balance "$bad&signature=$(sign "$bad")" "" -H "X-MBX-APIKEY: $KEY"
check "malformed timestamp: -1100" expect_err 400 -1100

# body signing, and the query string wins over the body on a clash
b="symbol=BTCUSDT&leverage=7&timestamp=$(now_ms)"
req POST /fapi/v1/leverage "" "$b&signature=$(sign "$b")" -H "X-MBX-APIKEY: $KEY"
check "leverage signed in the body" [ "$STATUS" = 200 -a "$(jqb .leverage)" = 7 ]
check "leverage response has maxNotionalValue string" [ "$(jqb '.maxNotionalValue|type')" = string ]
qs="symbol=BTCUSDT&leverage=9"
bd="leverage=3&timestamp=$(now_ms)"
req POST /fapi/v1/leverage "$qs" "$bd&signature=$(sign "$qs$bd")" -H "X-MBX-APIKEY: $KEY"
check "query + body signed as one string; the query wins" [ "$STATUS" = 200 -a "$(jqb .leverage)" = 9 ]
# a client that %-encodes what needs no encoding still verifies
q="symbol=BTCUSDT&timestamp=$(now_ms)&recvWindow=5000"
qe=$(printf '%s' "$q" | sed 's/BTCUSDT/%42TCUSDT/')
req GET /fapi/v2/positionRisk "$qe&signature=$(sign "$qe")" "" -H "X-MBX-APIKEY: $KEY"
check "signature over the encoded bytes as sent" [ "$STATUS" = 200 ]
# a signed body, then an exactly-encoded signed query, on one connection
b="symbol=BTCUSDT&leverage=5&timestamp=$(now_ms)"
q="symbol=%42TCUSDT&timestamp=$(now_ms)"
out=$(curl -sv -H "X-MBX-APIKEY: $KEY" -d "$b&signature=$(sign "$b")" "$BASE/fapi/v1/leverage" \
    --next -H "X-MBX-APIKEY: $KEY" "$BASE/fapi/v2/positionRisk?$q&signature=$(sign "$q")" 2>&1)
check "keep-alive: body-signed POST then raw-signed GET both verify" \
    bash -c "printf '%s' '$out' | grep -q 'Re-using existing connection' &&
        printf '%s' '$out' | grep -q '\"leverage\":5' && printf '%s' '$out' | grep -q '\"symbol\":\"BTCUSDT\",\"positionAmt\"'"
sreq POST /fapi/v1/leverage "symbol=BTCUSDT&leverage=200"
check "leverage 200: -4028" expect_err 400 -4028
sreq POST /fapi/v1/leverage "symbol=XXXUSDT&leverage=5"
check "leverage on an unknown symbol: -1121" expect_err 400 -1121

sreq GET /fapi/v1/commissionRate "symbol=BTCUSDT"
check "commissionRate: maker 0.0002, taker 0.0005" \
    [ "$(jqb '.makerCommissionRate + " " + .takerCommissionRate')" = "0.0002 0.0005" ]
sreq GET /fapi/v1/positionSide/dual ""
check "positionSide/dual: one-way mode" [ "$(jqb .dualSidePosition)" = false ]
sreq GET /fapi/v1/leverageBracket "symbol=BTCUSDT"
check "leverageBracket for a symbol: one object with brackets" \
    [ "$(jqb '.symbol + " " + (.brackets[0].initialLeverage|type)')" = "BTCUSDT number" ]
sreq GET /fapi/v2/account ""
check "account v2: totalWalletBalance and assets[]" \
    [ "$STATUS" = 200 -a "$(jqb '(.totalWalletBalance|type)+(.assets|type)+(.positions|type)')" = stringarrayarray ]
sreq GET /fapi/v2/positionRisk ""
check "positionRisk v2 lists every symbol" [ "$(jqb length)" = 2 ]
check "positionRisk v2 has leverage as a string" [ "$(jqb '.[0].leverage|type')" = string ]
sreq GET /fapi/v3/positionRisk ""
check "positionRisk v3 lists only open positions (none yet)" [ "$STATUS" = 200 -a "$(jqb length)" = 0 ]

# --- listenKey -------------------------------------------------------------
kreq POST /fapi/v1/listenKey
k1=$(jqb .listenKey)
check "listenKey POST returns a 64-char key" [ ${#k1} = 64 ]
kreq POST /fapi/v1/listenKey
check "a second POST returns the active key" [ "$(jqb .listenKey)" = "$k1" ]
kreq PUT /fapi/v1/listenKey
check "PUT extends it" [ "$STATUS" = 200 -a "$(jqb .listenKey)" = "$k1" ]
kreq DELETE /fapi/v1/listenKey
check "DELETE returns {}" [ "$STATUS" = 200 -a "$BODY" = "{}" ]
kreq PUT /fapi/v1/listenKey
check "PUT without a key: -1125" expect_err 400 -1125
req POST /fapi/v1/listenKey
check "listenKey without API key: -2014" expect_err 401 -2014

# --- keep-alive: many requests, one connection -----------------------------
urls=()
for i in $(seq 1 20); do urls+=("$BASE/fapi/v1/ping"); done
n=$(curl -sv "${urls[@]}" 2>&1 | grep -c 'Re-using existing connection')
check "20 pings over one keep-alive connection" [ "$n" -ge 19 ]
n=$(curl -sv -X POST "$BASE/fapi/v1/listenKey" -H "X-MBX-APIKEY: $KEY" -d '' \
    "$BASE/fapi/v1/listenKey" "$BASE/fapi/v1/listenKey" 2>&1 | grep -c 'Re-using existing connection')
check "POSTs with bodies keep the connection too" [ "$n" -ge 2 ]

# --- abuse ------------------------------------------------------------------
head -c 400000 /dev/zero | tr '\0' 'a' >"$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$TMP/big" \
    -H "X-MBX-APIKEY: $KEY" "$BASE/fapi/v1/order")
check "a 400 kB body is refused (413)" [ "$code" = 413 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/fapi/v1/depth?symbol=%ZZ")
check "a bad %-escape is refused, not a crash" [ "$code" != 000 ]
printf 'GARBAGE\r\n\r\n' | timeout 5 python3 -c "
import socket,sys
s=socket.create_connection(('127.0.0.1',$PORT)); s.sendall(sys.stdin.buffer.read()); s.settimeout(3)
try: s.recv(100)
except Exception: pass"
params=$(python3 -c "print('&'.join('p%d=%d' % (i, i) for i in range(80)))")
req GET /fapi/v1/ping "$params"
check "80 parameters: refused with -1101" expect_err 400 -1101
params=$(python3 -c "print('&'.join('p%d=%d' % (i, i) for i in range(3000)))")
req GET /fapi/v1/ping "$params"
check "3000 parameters: refused (the connection may just close)" [ "$STATUS" != 200 ]
req GET /fapi/v1/ping
check "still serving after the abuse" [ "$STATUS" = 200 ]

stop_exchange
check "SIGTERM: clean exit 0" [ "$EXCH_STATUS" = 0 ]
check "the secret never appears in the log" bash -c "! grep -q '$SECRET' '$TMP/exch.err' '$TMP/exch.out'"

# --- the accounts file replaces the demo account -----------------------------
K2=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01
S2=the-second-secret-value
cat >"$TMP/accounts" <<EOF2
# two accounts
account $K2 $S2 500   # a small one
account k3k3k3 s3s3s3 20000
taker_fee 0.0004
EOF2
start_exchange --manual --config "$TMP/accounts"
q="timestamp=$(now_ms)"
req GET /fapi/v2/balance "$q&signature=$(sign "$q" "$S2")" "" -H "X-MBX-APIKEY: $K2"
check "--config: the first account has 500 USDT" [ "$(jqb '.[0].balance')" = "500.00000000" ]
sreq GET /fapi/v2/balance ""
check "--config: the demo key is gone (-2015)" expect_err 401 -2015
kill -INT "$EXCH_PID"; wait "$EXCH_PID"; rc=$?; EXCH_PID=""
check "SIGINT: clean exit 0" [ "$rc" = 0 ]
printf 'account onlykey\n' >"$TMP/bad"
"$EXCH" --port 0 --config "$TMP/bad" >"$TMP/bad.out" 2>&1
check "a malformed accounts file: exit 78 naming the line" \
    [ $? = 78 ] && check "... without echoing it" bash -c "grep -q 'bad:1' '$TMP/bad.out' && ! grep -q onlykey '$TMP/bad.out'"
"$EXCH" --help | grep -q -- "--replay FILE"
check "--help describes the options" [ $? = 0 ]
finish
