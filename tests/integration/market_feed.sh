#!/usr/bin/env bash
# market_feed.sh — the market service against a real pmm-exchange: prices
# flow into `pmmctl status`, and with the exchange's book frozen they are
# exactly its REST bookTicker; a new book shows up (updates advance); a
# server-side drop of the WebSockets raises ws_reconnects and prices come
# back; the exchange going away marks the market stale without the service
# being restarted, and its return makes it fresh again; a reload changes
# market_stale_after.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

exch_start --config "$(exch_accounts)"
write_config "market_stale_after: 1"
exch_env
start_tree
wait_for "tree ready" 30 tree_ready
pass "tree ready with the exchange on port $EXCH_PORT"

jst() { status_json | jq -e "$@"; }
fresh() {
	jst '.market_stale == false and (.mid_price | type) == "number" and
	    (.price_age_ms | type) == "number" and .price_age_ms >= 0'
}
wait_for "market data flowing" 30 fresh
pass "prices flowing: mid $(status_json | jq .mid_price), age $(status_json | jq .price_age_ms) ms"

# same_book: status shows exactly the exchange's top of book, mid between.
same_book() {
	local rest st
	rest=$(exch_get "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT") || return 1
	st=$(status_json) || return 1
	jq -en --argjson r "$rest" --argjson s "$st" '
	    ($r.bidPrice | tonumber) == $s.best_bid and
	    ($r.askPrice | tonumber) == $s.best_ask and
	    ((($s.best_bid + $s.best_ask) / 2 - $s.mid_price) | fabs) < 1e-6'
}
# set_book BID ASK: a frozen market with this top of book.
set_book() {
	exch_post /sim/pause >/dev/null || fail "pause the market"
	exch_post "/sim/book?symbol=BTCUSDT&bid=$1&ask=$2" >/dev/null ||
		fail "set the book"
}
mid_is() { jst --argjson m "$1" '((.mid_price - $m) | fabs) < 1e-6' >/dev/null; }

set_book 50000.0 50000.2
wait_for "status equal to the exchange's book" 10 same_book
mid_is 50000.1 || fail "mid $(status_json | jq .mid_price), want 50000.1"
set_book 50100.0 50100.4
wait_for "the new book in status" 10 same_book
mid_is 50100.2 || fail "mid $(status_json | jq .mid_price), want 50100.2"
pass "status equals GET /fapi/v1/ticker/bookTicker, and follows a new book"
exch_post /sim/resume >/dev/null
wait_for "data flowing again" 30 fresh

# A server-side drop: both streams reconnect, prices come back.
r0=$(status_json | jq -e .ws_reconnects) || fail "no ws_reconnects in status"
dropped=$(exch_post "/sim/fault/drop?which=market" | jq .dropped)
[ "$dropped" -ge 2 ] || fail "the exchange dropped $dropped sockets, want 2"
reconnected() { jst --argjson r "$r0" '.ws_reconnects >= $r + 2'; }
wait_for "ws_reconnects up by 2" 30 reconnected
set_book 50200.0 50200.2
wait_for "prices after the reconnect" 10 same_book
mid_is 50200.1 || fail "mid $(status_json | jq .mid_price) after the reconnect"
exch_post /sim/resume >/dev/null
wait_for "data flowing after the drop" 30 fresh
pass "drop: ws_reconnects $r0 -> $(status_json | jq .ws_reconnects), prices resumed"

# The exchange goes away: stale, the service itself untouched.
mpid=$(svc_field market pid)
exch_stop
wait_for "market_stale true" 30 jst '.market_stale == true'
[ "$(svc_field market pid)" = "$mpid" ] || fail "market was restarted"
[ "$(svc_field market state)" = ready ] || fail "market not ready while stale"
jst '.tree_ready == true' >/dev/null || fail "tree not ready while stale"
pass "exchange down: market_stale true, market still ready (pid $mpid)"

exch_start --config "$T/accounts"
wait_for "fresh after the exchange came back" 60 fresh
[ "$(svc_field market pid)" = "$mpid" ] || fail "market was restarted"
pass "exchange back on port $EXCH_PORT: market_stale false"

# Reload: a new market_stale_after is taken.
sed -i 's/^market_stale_after: .*/market_stale_after: 3/' "$T/config.yaml"
ctl reload >/dev/null || fail "reload"
wait_for "reload applied by market" 10 \
	grep -q "market_stale_after 1.0 s -> 3.0 s" "$PMMD_LOG"
pass "reload: market_stale_after 1 -> 3"

malformed=$(grep -c "malformed" "$PMMD_LOG" || true)
[ "$malformed" -eq 0 ] || fail "$malformed malformed-frame lines from a clean exchange"
ctl stop >/dev/null
wait_for "pmmd exits" 30 bash -c "! kill -0 $PMMD_PID"
exch_stop
pass "stopped"
