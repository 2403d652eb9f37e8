#!/usr/bin/env bash
# sim_ws_drop_stress.sh — pmm-exchange keeps serving while its WebSocket
# sessions are dropped under it again and again: reconnecting user data and
# market clients, drops of market/user/all sessions mixed with fills,
# order churn and second drops while the first ones are still closing.
# After each drop: REST still answers, every client is back on a new
# connection and receives events on it. Then the mute fault (a session
# that stays open but is sent nothing until it is dropped), a reader that
# stops reading (closed as a slow consumer while the market runs on for
# the others), and at the end SIGTERM stops the exchange with exit 0.
#
# Iterations are bounded (ITER, default 12); no timing is asserted, every
# wait is a poll with a generous deadline.
. "$(dirname "$0")/sim_lib.inc"

ITER=${ITER:-12}
NUSER=3		# reconnecting user data stream clients
NMKT=3		# reconnecting market stream clients

start_exchange --synthetic --seed 5 --ws-ping 1
kreq POST /fapi/v1/listenKey
LK=$(jqb .listenKey)
check "a listenKey" [ -n "$LK" -a "$LK" != null ]

# client NAME URL: reconnect forever, a "# conn" line before each
# connection, then every frame; some connections end by the client's own
# close (-t) so client-initiated closes mix with the server's.
LOOPS=""
client() {
	local name=$1 url=$2
	(
		while kill -0 "$EXCH_PID" 2>/dev/null; do
			echo "# conn"
			"$WSC" -n 0 -t $((4 + RANDOM % 5)) "$url" 2>/dev/null
			sleep 0.05
		done
	) >"$TMP/$name.out" 2>&1 &
	LOOPS="$LOOPS $!"
}
for i in $(seq $NUSER); do
	case $((i % 3)) in
	0) client "u$i" "$WS/private/ws?listenKey=$LK" ;;
	1) client "u$i" "$WS/ws/$LK" ;;
	2) client "u$i" "$WS/stream?streams=$LK/btcusdt@bookTicker" ;;
	esac
done
client m1 "$WS/stream?streams=btcusdt@bookTicker/btcusdt@depth@100ms/btcusdt@depth5@100ms/btcusdt@trade"
client m2 "$WS/public/ws/btcusdt@bookTicker"
client m3 "$WS/market/stream?streams=btcusdt@markPrice@1s/btcusdt@aggTrade"

lines() { wc -l <"$TMP/$1.out"; }
# fresh NAME FROM PATTERN NEWCONN: after line FROM, a frame matching
# PATTERN — with NEWCONN=1 on a connection opened after FROM
fresh() {
	awk -v from="$2" -v pat="$3" -v c="$((1 - $4))" '
	    NR > from && /^# conn/ { c = 1 }
	    NR > from && c && $0 ~ pat { ok = 1 } END { exit !ok }' "$TMP/$1.out"
}
bid() { curl -s -m 10 "$BASE/fapi/v1/ticker/bookTicker?symbol=BTCUSDT" | jq -r .bidPrice; }
# churn: one order placed and every order cancelled (two user events)
churn() {
	local px
	px=$(python3 -c "print('%.1f' % (float('$(bid)') - 50))")
	sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=$px"
	sreq DELETE /fapi/v1/allOpenOrders "symbol=BTCUSDT"
}
# all_fresh [WHICH]: since mark_all, every client receives again, the
# ones WHICH dropped (market|user|all) on a new connection
all_fresh() {
	local i n=0 nu=0 nm=0
	case ${1:-} in user) nu=1 ;; market) nm=1 ;; all) nu=1 nm=1 ;; esac
	for i in $(seq $NUSER); do
		fresh "u$i" "${FROM[u$i]}" ORDER_TRADE_UPDATE $nu || n=$((n + 1))
	done
	for i in $(seq $NMKT); do
		fresh "m$i" "${FROM[m$i]}" '^\{' $nm || n=$((n + 1))
	done
	[ "$n" = 0 ] && return 0
	churn >/dev/null 2>&1
	return 1
}
declare -A FROM
mark_all() { local c; for c in $(seq $NUSER); do FROM[u$c]=$(lines "u$c"); done
	for c in $(seq $NMKT); do FROM[m$c]=$(lines "m$c"); done; }

mark_all
poll "every client connected and receiving" 60 all_fresh all

# --- drops while the exchange is busy with the sessions -----------------------------------
bad_ping=0
for it in $(seq "$ITER"); do
	case $((it % 3)) in 0) which=user ;; 1) which=market ;; 2) which=all ;; esac
	b=$(bid)
	sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=$b"
	mark_all
	curl -s -m 10 -X POST "$BASE/sim/fault/drop?which=$which" >/dev/null
	# a fill for sessions being closed, then a second drop before they are
	# through our bid (a dollar lower), so no outside queue is ahead of it
	curl -s -m 10 -X POST "$BASE/sim/trade?symbol=BTCUSDT&price=$(python3 -c "print('%.1f' % (float('$b') - 1))")&qty=0.01&side=SELL" >/dev/null
	[ $((it % 2)) = 0 ] && curl -s -m 10 -X POST "$BASE/sim/fault/drop?which=all" >/dev/null
	curl -s -m 10 "$BASE/sim/state" >/dev/null
	curl -sf -m 30 "$BASE/fapi/v1/ping" >/dev/null || bad_ping=$((bad_ping + 1))
	sreq DELETE /fapi/v1/allOpenOrders "symbol=BTCUSDT"
	# a second drop of all: every client must come back
	[ $((it % 2)) = 0 ] && which=all
	poll "drop $it ($which): the dropped clients back on new connections, all receiving" \
	    60 all_fresh "$which"
done
check "REST answered after every one of $ITER drops" [ "$bad_ping" = 0 ]
sreq GET /fapi/v2/positionRisk "symbol=BTCUSDT"
check "the trades through our bids filled (position > 0)" \
    python3 -c "import sys; sys.exit(not float('$(jqb '.[0].positionAmt')') > 0)"

# --- mute: open, answering pings, sent nothing until dropped ---------------------------------
for p in $LOOPS; do kill "$p" 2>/dev/null; done
wait $LOOPS 2>/dev/null
poll "the stress clients gone" 30 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions == 0'"

"$WSC" -n 0 -t 60 "$WS/private/ws?listenKey=$LK" >"$TMP/mu.out" &
mu=$!
"$WSC" -n 0 -t 60 "$WS/public/ws/btcusdt@bookTicker" >"$TMP/mm.out" &
mm=$!
poll "two sessions" 30 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions == 2'"
adm /sim/fault/mute "which=user"
check "mute answers with the count (one user session)" [ "$STATUS" = 200 -a "$(jqb .muted)" = 1 ]
"$WSC" -n 1 -t 30 "$WS/private/ws?listenKey=$LK" >"$TMP/late.out" &
late=$!
poll "a user session opened after the mute" 30 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions == 3'"
req GET /sim/state
muted0=$(jqb .ws_frames_muted)
n0=$(wc -l <"$TMP/mu.out")
churn
wait $late
check "a session opened after the mute hears the order" grep -q ORDER_TRADE_UPDATE "$TMP/late.out"
req GET /sim/state
check "the frames for the muted session were withheld (counted)" [ "$(jqb .ws_frames_muted)" -gt "$muted0" ]
check "the muted session heard nothing" [ "$(wc -l <"$TMP/mu.out")" = "$n0" ]
n1=$(wc -l <"$TMP/mm.out")
poll "the market session (not muted) still receives" 30 bash -c "[ \$(wc -l <$TMP/mm.out) -gt $n1 ]"
adm /sim/fault/drop "which=user"
check "drop ends the muted session" [ "$(jqb .dropped)" = 1 ]
wait $mu
check "the muted client saw its connection closed" [ $? = 1 ]

# the market session muted, then /sim/fault/clear lets it hear again
withheld() { curl -s "$BASE/sim/state" | jq .ws_frames_muted; }
adm /sim/fault/mute "which=market"
check "mute market: one session" [ "$(jqb .muted)" = 1 ]
w0=$(withheld)
poll "bookTickers withheld from the muted market session" 30 \
    bash -c "[ \$(curl -s $BASE/sim/state | jq .ws_frames_muted) -gt $((w0 + 20)) ]"
n2=$(wc -l <"$TMP/mm.out")
w1=$(withheld)
poll "more withheld" 30 \
    bash -c "[ \$(curl -s $BASE/sim/state | jq .ws_frames_muted) -gt $((w1 + 20)) ]"
check "the muted market session heard nothing meanwhile" [ "$(wc -l <"$TMP/mm.out")" = "$n2" ]
adm /sim/fault/clear
poll "after /sim/fault/clear it hears again" 30 bash -c "[ \$(wc -l <$TMP/mm.out) -gt $n2 ]"
adm /sim/fault/mute "which=everything"
check "mute: which is checked" [ "$STATUS" = 400 ]
kill "$mm" 2>/dev/null
wait "$mm" 2>/dev/null

# --- a reader that stops reading: closed, and the market runs on for others ----------------
# Only a --speed max replay waits for its readers; here (synthetic) the
# stuck session's queue passes half of WIRE_WS_QCAP (8192) while another
# client still gets bookTickers, then it is closed as a slow consumer.
python3 - "$PORT" <<'EOF' &
import base64, os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)	# a small window
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET /stream?streams=!bookTicker/btcusdt@depth@0ms/ethusdt@depth@0ms/"
           "btcusdt@trade/btcusdt@depth20@100ms/ethusdt@depth20@100ms HTTP/1.1\r\n"
           "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % base64.b64encode(os.urandom(16)).decode()).encode())
time.sleep(600)	# never reads
EOF
stuck=$!
poll "the stuck reader's queue past 4096 frames" 180 \
    bash -c "curl -s $BASE/sim/state | jq -e '.ws_backlog > 4096'"
out=$("$WSC" -q -n 20 -t 60 "$WS/public/ws/btcusdt@bookTicker")
check "meanwhile another client gets bookTickers (got $out of 20)" [ "$out" = 20 ]
poll "the stuck reader closed as a slow consumer" 180 \
    grep -q "closing a slow consumer" "$TMP/exch.err"
poll "its queue let go at once" 30 \
    bash -c "curl -s $BASE/sim/state | jq -e '.ws_backlog < 4096'"
kill "$stuck" 2>/dev/null
wait "$stuck" 2>/dev/null

# --- SIGTERM: a clean exit ----------------------------------------------------------------
req GET /fapi/v1/ping
check "still serving at the end" [ "$STATUS" = 200 ]
kill -TERM "$EXCH_PID"
for _ in $(seq 300); do kill -0 "$EXCH_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$EXCH_PID" 2>/dev/null; then
	bad "SIGTERM: still running after 30 s"
	kill -KILL "$EXCH_PID"
fi
wait "$EXCH_PID"
st=$?
EXCH_PID=""
check "SIGTERM: exit status 0 (got $st)" [ "$st" = 0 ]
finish
