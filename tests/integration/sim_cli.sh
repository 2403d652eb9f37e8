#!/usr/bin/env bash
# sim_cli.sh — pmm-exchange's command line and what it says (issue 13):
# --help names every option, a bad value names its option and what is
# valid, a file that is not a recording is refused (and the real one
# accepted), the end of a replay is logged once with its counts, a busy
# port is named as such and exits at once, and /sim/state lists the open
# orders themselves, not only their count.
. "$(dirname "$0")/sim_lib.inc"

# --- --help ---------------------------------------------------------------
"$EXCH" --help >"$TMP/help"
for opt in --port --log-level --list-endpoints --speed --replay --manual; do
	check "--help describes $opt" grep -q -- "^  $opt" "$TMP/help"
done
check "--help says which replay speeds suit trading" grep -q "trading" "$TMP/help"

# --- bad values name their option -------------------------------------------
"$EXCH" --speed 0 >/dev/null 2>"$TMP/err"; rc=$?
check "--speed 0 exits 2 (got $rc)" [ "$rc" = 2 ]
check "--speed 0 names the option, the value and what is valid: $(cat "$TMP/err")" \
    grep -q -- "--speed: bad value '0': a speed from 0.001 to 1000000 (1 = real time) or 'max'" "$TMP/err"
"$EXCH" --port 99999 >/dev/null 2>"$TMP/err"
check "--port 99999 names --port" grep -q -- "--port: bad value '99999'" "$TMP/err"

# --- --replay of what is not a recording ---------------------------------------
t0=$(date +%s)
timeout 20 "$EXCH" --port 0 --replay "$PMM_SRC/README.md" >/dev/null 2>"$TMP/err"; rc=$?
check "--replay README.md exits non-zero at once (rc $rc, $(( $(date +%s) - t0 )) s)" \
    [ "$rc" != 0 -a "$rc" != 124 ]
check "--replay README.md names the file and what is wrong: $(tail -1 "$TMP/err")" \
    grep -q "replay $PMM_SRC/README.md: not gzip JSON lines of Binance stream frames" "$TMP/err"
printf '' | gzip >"$TMP/empty.gz"
timeout 20 "$EXCH" --port 0 --replay "$TMP/empty.gz" >/dev/null 2>"$TMP/err"; rc=$?
check "an empty gzip is refused too (rc $rc)" [ "$rc" != 0 -a "$rc" != 124 ]

# --- the real recording: accepted, and its end logged once ------------------------
FILE="${PMM_SHARED_DATA:-$PMM_SRC/../shared/data/binance}/btcusdt_20240808.gz"
if [ -r "$FILE" ]; then
	start_exchange --replay "$FILE" --speed max
	poll "the end of the replay is logged" 120 grep -q "replay $FILE ended" "$TMP/exch.err"
	check "logged once, with events, lines and durations: $(grep ended "$TMP/exch.err")" \
	    [ "$(grep -c "replay $FILE ended: [1-9][0-9]* events from [0-9]* lines (0 malformed, dropped), [0-9.]* s of recording in [0-9.]* s" "$TMP/exch.err")" = 1 ]
	req GET /sim/state
	check "/sim/state says market_done" [ "$(jqb .market_done)" = true ]
	req GET /fapi/v1/ticker/bookTicker "symbol=BTCUSDT"
	check "the replayed book is a real one, not 0.00/0.00" \
	    python3 -c "import sys; sys.exit(not float('$(jqb .bidPrice)') > 1000)"
	sleep 0.5
	check "still logged once after more steps" [ "$(grep -c "ended:" "$TMP/exch.err")" = 1 ]
	stop_exchange
else
	echo "skipped (real recording): $FILE is absent"
fi

# --- /sim/state lists open orders ------------------------------------------------
start_exchange --manual
adm /sim/book "symbol=BTCUSDT&bid=60000&ask=60001&qty=1"
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=59000&newClientOrderId=cli-b1"
oid=$(jqb .orderId)
check "order placed" [ "$STATUS" = 200 ]
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.003&price=61000&newClientOrderId=cli-s1"
req GET /sim/state
check "/sim/state: openOrders 2 and the orders listed" \
    [ "$(jqb '.accounts[0].openOrders')" = 2 -a "$(jqb '.accounts[0].orders | length')" = 2 ]
check "each order: id, client id, symbol, side, price, qty, filled, time" \
    [ "$(jqb '.accounts[0].orders[] | select(.clientOrderId == "cli-b1") |
        [.orderId, .symbol, .side, .price, .origQty, .executedQty, (.time | type)] | map(tostring) | join(" ")')" \
      = "$oid BTCUSDT BUY 59000.00 0.002 0.000 number" ]

# --- a busy port ----------------------------------------------------------------
t0=$(date +%s%N)
timeout 20 "$EXCH" --port "$PORT" --manual >/dev/null 2>"$TMP/busy.err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a second exchange on the busy port exits non-zero (rc $rc) within 5 s (${ms} ms)" \
    [ "$rc" != 0 -a "$rc" != 124 -a "$ms" -lt 5000 ]
check "and says why: $(grep -v '^\[' "$TMP/busy.err" | tail -1)" \
    grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" "$TMP/busy.err"
req GET /fapi/v1/ping
check "the first exchange is untouched" [ "$STATUS" = 200 ]
stop_exchange
finish
