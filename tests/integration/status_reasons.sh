#!/usr/bin/env bash
# status_reasons.sh — `pmmctl status --json` says "not quoting" with the
# right state and reason, and quoting again once the cause is gone, for the
# causes no other script holds status to (quote_state.sh: an unreachable
# exchange and an operator pause; bad_keys.sh: an exchange gone while
# quoting; price_sanity.sh: book_insane; reject_storm.sh: reject_backoff):
#  - a rate-limit ban (418): rate_limit_hold while the ban lasts;
#  - a stale feed (the pinned book's ticks stop): paused by risk, "market
#    data stale"; it clears itself;
#  - a position over the limit (a MARKET buy on the account): paused by
#    risk, "position limit", latched until `pmmctl resume`;
#  - a loss beyond max_loss_usdt (the book drops under a long position):
#    paused by risk, "max loss", and the operator's pause beside it says both.
# (An API key the exchange refuses, -2015, stops the tree with exit 78 and
# one line naming the key (bad_keys.sh): there is no running tree to ask.
# Risk's user-stream cause is not here: pmm-exchange has no fault that
# keeps the user stream down for a known time — an expired key and a
# dropped connection come back in 0.2 s — and a test must not race that.)
# The book is pinned (--manual, kept fresh by a ticker this script starts
# and stops): nothing fills but what the script trades.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl openssl; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

exch_start --manual --config "$(exch_accounts)"
exch_pin 60000.0 60000.2
exch_ticker
TICKER=$!
# limit 1000 x 0.5 = 500 USDT; one 150 USDT order a side
write_config "initial_capital: 1000" "max_net_position_ratio: 0.5" \
	"market_stale_after: 2" \
	"refresh_config:" "  risk_check_interval: 0.5" \
	"  orderbook_refresh_interval: 1" \
	"order_config:" "  levels: 1" "  quantity_per_order_usdt: 150" \
	"  price_offset_percent: 0.05" \
	"risk:" "  max_loss_usdt: 0" "  auto_resume_after: 0"
exch_env
start_tree
wait_for "tree ready" 30 tree_ready

q() { status_json | jq -c .quoting; }
# state STATE REASON-REGEX [PAUSED_BY-JSON]: status says not quoting, why
state() {
	status_json | jq -e --arg s "$1" --arg r "$2" --argjson by "${3:-null}" '
	    .quoting.quoting == false and .quoting.state == $s and
	    (.quoting.reason | test($r)) and .quoting.since_s >= 0 and
	    ($by == null or .quoting.paused_by == $by)' >/dev/null
}
quoting() { status_json | jq -e '.quoting.quoting == true and .quoting.state == "quoting" and .open_orders == 2' >/dev/null; }
line1() { ctl status | sed -n 1p; }
wait_for "quoting" 60 quoting
pass "quoting: $(line1)"

# ---- a rate-limit ban -------------------------------------------------------
# the next Binance request (risk's position poll, at the latest) is banned
# for 10 s, shared by the services; a moved book makes the order service
# want to re-quote, and its governor holds it
exch_post "/sim/fault/burst?count=1&status=418&secs=10" >/dev/null || fail "burst"
banned() { [ "$(exch_get /sim/state | jq .fault.burst_left)" = 0 ]; }
wait_for "the 418 answered" 30 banned
exch_pin 60010.0 60010.2
wait_for "rate_limit_hold" 30 state rate_limit_hold "rate-limit governor holds"
line1 | grep -q "^quoting: no — rate_limit_hold: rate-limit governor holds quoting requests (for " ||
	fail "status text: $(line1)"
pass "418 ban: $(line1)"
wait_for "quoting after the ban" 60 quoting
pass "ban over: quoting again"

# ---- a stale feed -----------------------------------------------------------
kill "$TICKER"; wait "$TICKER" 2>/dev/null || true
wait_for "paused for stale market data" 30 state paused '^risk: market data stale$' '["risk"]'
status_json | jq -e '.market_stale == true' >/dev/null || fail "market_stale false: $(q)"
pass "stale feed: $(line1)"
exch_ticker
TICKER=$!
wait_for "quoting once the feed is fresh" 60 quoting
pass "fresh again: quoting, no operator action"

# ---- a position over the limit --------------------------------------------
exch_signed POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01" >/dev/null ||
	fail "market buy"
wait_for "paused for the position limit" 30 state paused '^risk: position limit' '["risk"]'
line1 | grep -q "^quoting: no — paused: risk: position limit" || fail "status text: $(line1)"
pass "position limit: $(line1)"
inside() { exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" | jq -e '.[0] | (.notional | tonumber | fabs) <= 500' >/dev/null; }
wait_for "risk back inside the limit" 30 inside
sleep 1	# a latch holds with the cause gone: the state stays, it does not flap
state paused '^risk: position limit' '["risk"]' || fail "the latch let go by itself: $(q)"
ctl resume >/dev/null || fail "resume"
wait_for "quoting after resume" 60 quoting
pass "resume: quoting again"

# ---- a loss beyond max_loss_usdt, with an operator pause beside it ----------
ctl pause "before the drop" >/dev/null
none_open() { status_json | jq -e '.open_orders == 0' >/dev/null; }
wait_for "the ladder cancelled" 30 none_open
wait_for "paused by the operator" 30 state paused '^operator: before the drop$' '["operator"]'
sed -i 's/^  max_loss_usdt: .*/  max_loss_usdt: 3/' "$T/config.yaml"
ctl reload >/dev/null || fail "reload"
wait_for "max loss 3 taken by risk" 10 grep -q "risk: .*max loss 0.00 -> 3.00 USDT" "$PMMD_LOG"
long() { exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" | jq -e '.[0] | (.positionAmt | tonumber) > 0.003' >/dev/null; }
long || exch_signed POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.004" >/dev/null
wait_for "a long position" 10 long
exch_pin 58000.0 58000.2		# -2000 x >0.003 BTC: a loss over 6 USDT
wait_for "paused by risk and the operator" 30 state paused \
	'^risk: max loss.*; operator: before the drop$' '["risk","operator"]'
pass "max loss + operator: $(line1)"
ctl resume >/dev/null || true
wait_for "the operator's pause gone, risk's latch kept" 30 state paused '^risk: max loss' '["risk"]'
pass "max loss: $(line1)"
