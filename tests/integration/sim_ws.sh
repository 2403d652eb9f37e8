#!/usr/bin/env bash
# sim_ws.sh — pmm-exchange's market WebSocket streams over loopback: raw and
# combined, routed (/public, /market) and legacy paths, SUBSCRIBE /
# UNSUBSCRIBE / LIST_SUBSCRIPTIONS and their errors, the 10 messages/s
# limit, server pings, the diff-depth chain against the REST snapshot,
# dropped connections, and the 24 h limit (shortened with --ws-max-age).
. "$(dirname "$0")/sim_lib.inc"

start_exchange --synthetic --seed 3 --ws-ping 1 --ws-timeout 3 --ws-max-age 4

out=$("$WSC" -n 3 -t 15 "$WS/public/ws/btcusdt@bookTicker")
check "raw /public/ws/<s>@bookTicker: 3 frames" [ $? = 0 -a "$(printf '%s\n' "$out" | wc -l)" = 3 ]
check "bookTicker keys in Binance's order (e,u,s,b,B,a,A,T,E)" \
    [ "$(printf '%s\n' "$out" | head -1 | jq -c 'keys_unsorted')" = '["e","u","s","b","B","a","A","T","E"]' ]
check "bookTicker prices are strings" [ "$(printf '%s\n' "$out" | head -1 | jq -r '.b|type')" = string ]

out=$("$WSC" -n 2 -t 15 "$WS/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker")
check "legacy combined /stream?streams=: {stream,data} frames" \
    [ "$(printf '%s\n' "$out" | head -1 | jq -r '(.stream|test("usdt@bookTicker")) and (.data.e=="bookTicker")')" = true ]

out=$("$WSC" -n 1 -t 15 "$WS/market/stream?streams=btcusdt@markPrice@1s")
check "/market combined markPrice@1s" [ "$(printf '%s\n' "$out" | jq -r '.data.e')" = markPriceUpdate ]
check "markPriceUpdate keys" \
    [ "$(printf '%s\n' "$out" | jq -c '.data|keys_unsorted')" = '["e","E","s","p","P","i","r","T"]' ]

out=$("$WSC" -n 1 -t 20 "$WS/market/ws/btcusdt@aggTrade")
check "/market aggTrade" [ "$(printf '%s\n' "$out" | jq -r '.e + " " + (.p|type)')" = "aggTrade string" ]
out=$("$WSC" -n 1 -t 20 "$WS/public/ws/btcusdt@trade")
check "/public trade with X MARKET" [ "$(printf '%s\n' "$out" | jq -r '.e + " " + .X')" = "trade MARKET" ]

out=$("$WSC" -n 2 -t 15 "$WS/public/ws/btcusdt@depth5@100ms")
check "partial depth5@100ms: 5 levels a side at most" \
    [ "$(printf '%s\n' "$out" | head -1 | jq -r '(.e=="depthUpdate") and (.b|length <= 5) and (.a|length > 0)')" = true ]

# a stream on the wrong route is accepted and silently never delivered
out=$("$WSC" -n 0 -t 3 -i 500 -s '{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@markPrice@1s"],"id":7}' \
    -s '{"method":"LIST_SUBSCRIPTIONS","id":8}' "$WS/public/ws")
check "SUBSCRIBE aggTrade on /public: accepted" \
    [ "$(printf '%s\n' "$out" | jq -c 'select(.id==7)')" = '{"result":null,"id":7}' ]
check "... listed" [ "$(printf '%s\n' "$out" | jq -c 'select(.id==8) | .result | length')" = 2 ]
check "... but nothing delivered" bash -c "! printf '%s\n' '$out' | grep -q '\"e\":'"
out=$("$WSC" -n 0 -t 3 "$WS/market/ws/btcusdt@bookTicker")
check "bookTicker on /market: nothing delivered" [ -z "$out" ]

# --- live subscription management ---------------------------------------------------
out=$("$WSC" -n 0 -t 3 -i 300 \
    -s '{"method":"SUBSCRIBE","params":["btcusdt@bookTicker","ethusdt@depth@100ms"],"id":1}' \
    -s '{"method":"LIST_SUBSCRIPTIONS","id":2}' \
    -s '{"method":"UNSUBSCRIBE","params":["ethusdt@depth@100ms"],"id":3}' \
    -s '{"method":"LIST_SUBSCRIPTIONS","id":4}' "$WS/ws" | grep '"id"')
check "SUBSCRIBE answers {result:null,id:1}" \
    [ "$(printf '%s\n' "$out" | jq -c 'select(.id==1)')" = '{"result":null,"id":1}' ]
check "LIST_SUBSCRIPTIONS lists both" \
    [ "$(printf '%s\n' "$out" | jq -c 'select(.id==2) | .result | sort')" = '["btcusdt@bookTicker","ethusdt@depth@100ms"]' ]
check "after UNSUBSCRIBE one is left" \
    [ "$(printf '%s\n' "$out" | jq -c 'select(.id==4) | .result')" = '["btcusdt@bookTicker"]' ]

big=$(python3 -c "
import json
names = ['%s@%s' % (s, k) for s in ('btcusdt', 'ethusdt') for k in ('bookTicker', 'trade', 'depth', 'depth@100ms', 'depth5', 'depth20@500ms')]
print(json.dumps({'method': 'SUBSCRIBE', 'params': names * 30, 'id': 11}))")
out=$("$WSC" -n 0 -t 3 -i 500 -s "$big" -s '{"method":"LIST_SUBSCRIPTIONS","id":12}' "$WS/ws" | grep '"id"')
check "a ${#big}-byte SUBSCRIBE (many pieces) is answered" \
    [ "$(printf '%s\n' "$out" | jq -c 'select(.id==11)')" = '{"result":null,"id":11}' ]
check "... and its 12 distinct streams are listed once each" \
    [ "$(printf '%s\n' "$out" | jq -c 'select(.id==12) | .result | length')" = 12 ]

out=$("$WSC" -n 1 -t 5 -s '{"method":"SUBSCRIBE","params":["nosuch@thing"],"id":5}' "$WS/ws")
check "unknown stream: error code 2" [ "$(printf '%s\n' "$out" | jq -r '.error.code')" = 2 ]
out=$("$WSC" -n 1 -t 5 -s 'not json' "$WS/ws")
check "bad JSON: error code 3" [ "$(printf '%s\n' "$out" | jq -r '.error.code')" = 3 ]
out=$("$WSC" -n 1 -t 5 -s '{"method":"FLY","id":6}' "$WS/ws")
check "unknown method: error code 2" [ "$(printf '%s\n' "$out" | jq -r '.error.code')" = 2 ]
out=$("$WSC" -n 2 -t 5 -s '{"method":"SET_PROPERTY","params":["combined",true],"id":8}' \
    -s '{"method":"GET_PROPERTY","params":["combined"],"id":9}' "$WS/ws")
check "SET/GET_PROPERTY combined" [ "$(printf '%s\n' "$out" | jq -c 'select(.id==9)')" = '{"result":true,"id":9}' ]

msgs=()
for i in $(seq 1 15); do msgs+=(-s "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":$i}"); done
out=$("$WSC" -n 100 -t 10 "${msgs[@]}" "$WS/ws")
check "more than 10 messages/s: disconnected" bash -c "printf '%s\n' '$out' | grep -q CLOSED"

code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$BASE/nowhere/ws")
check "an unknown WebSocket path is refused" [ "$code" != 101 ]
out=$("$WSC" -n 1 -t 5 -s '{"method":"SUBSCRIBE","params":["nosuchlistenkey"],"id":4}' "$WS/private/stream?streams=")
check "/private without a key connects; an unknown key is an invalid stream" \
    [ "$(printf '%s\n' "$out" | jq -r '.error.code')" = 2 ]

# --- diff depth chain vs the REST snapshot -----------------------------------------------
"$WSC" -n 25 -t 30 "$WS/public/ws/btcusdt@depth@100ms" >"$TMP/diff.txt" &
dpid=$!
sleep 1
curl -s "$BASE/fapi/v1/depth?symbol=BTCUSDT&limit=1000" >"$TMP/snap.json"
wait $dpid
check "diff depth: U/u/pu chain bridges the snapshot" python3 - "$TMP/snap.json" "$TMP/diff.txt" <<'EOF'
import json, sys
snap = json.load(open(sys.argv[1]))
lu = snap["lastUpdateId"]
evs = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
assert len(evs) >= 10, len(evs)
for a, b in zip(evs, evs[1:]):
    assert b["pu"] == a["u"], ("broken chain", a["u"], b["pu"])
    assert b["U"] > a["u"] or b["U"] >= a["U"]
live = [e for e in evs if e["u"] >= lu]
assert live, "no event after the snapshot"
first = live[0]
# Binance futures: the first event to apply has U <= lastUpdateId <= u
assert first["U"] <= lu <= first["u"], (first["U"], lu, first["u"])
EOF

# --- ping / pong, idle timeout ---------------------------------------------------------------
check "server pings; a client that never pongs is dropped" python3 - "$PORT" <<'EOF'
import base64, os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /public/ws/btcusdt@depth5@500ms HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
assert b" 101 " in buf.split(b"\r\n")[0]
buf = buf.split(b"\r\n\r\n", 1)[1]
s.settimeout(1)
seen_ping = closed = False
end = time.time() + 20
while time.time() < end and not closed:
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    if not d:
        closed = True
        break
    buf += d
    while len(buf) >= 2:
        op, n = buf[0] & 0x0f, buf[1] & 0x7f
        h = 2
        if n == 126: h, n = 4, int.from_bytes(buf[2:4], "big")
        elif n == 127: h, n = 10, int.from_bytes(buf[2:10], "big")
        if len(buf) < h + n: break
        buf = buf[h + n:]
        if op == 9: seen_ping = True
        if op == 8: closed = True
sys.exit(0 if seen_ping and closed else 1)
EOF

# --- drop fault and the connection age limit ---------------------------------------------------
"$WSC" -n 100000 -t 30 -q "$WS/public/ws/btcusdt@bookTicker" >"$TMP/drop.txt" &
wpid=$!
poll "subscriber connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 1'"
adm /sim/fault/drop "which=market"
check "drop fault answers with the count" [ "$(jqb .dropped)" -ge 1 ]
wait $wpid
check "the dropped client saw its connection closed" [ $? = 1 ]

"$WSC" -n 100000 -t 30 -q "$WS/public/ws/btcusdt@bookTicker" >"$TMP/age.txt"
check "a connection older than --ws-max-age is closed by the server" [ $? = 1 ]

req GET /fapi/v1/ping
check "still serving" [ "$STATUS" = 200 ]

# --strict-routes: unrouted paths carry /public data only, as Binance's now
stop_exchange
start_exchange --synthetic --seed 3 --strict-routes
out=$("$WSC" -n 1 -t 10 "$WS/ws/btcusdt@bookTicker")
check "strict: legacy /ws still carries bookTicker" [ "$(printf '%s\n' "$out" | jq -r .e)" = bookTicker ]
out=$("$WSC" -n 0 -t 3 "$WS/ws/btcusdt@markPrice@1s")
check "strict: legacy /ws no longer carries markPrice" [ -z "$out" ]
finish
