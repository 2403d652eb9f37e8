#!/usr/bin/env bash
# strategies.sh — skew_mm, avellaneda_mm and glft_mm in a whole tree against
# pmm-exchange, each with a fresh exchange and a pinned book (--manual:
# nothing trades but what this script trades, so the figures are exact):
#  1. the strategy quotes both sides (levels 2), and `pmmctl status`
#     shows its model: strategy, gamma (the model-based two), sigma, A, k,
#     reservation price, half spread, skew, q;
#  2. an outside seller fills our best bid: the position goes long, and
#     the next ladder leans against it: skew < 0, q > 0, and our best bid
#     lower than before the fill while the book has not moved;
#  3. skew_mm runs with the live estimator: the trade reached the market
#     service's aggTrade stream (est_trades counts it) and sigma / A / k
#     are still the fallbacks (warming up) — as the status says;
#  4. pmm-backtest, the shipped config, 5 virtual minutes of the seeded
#     synthetic market (live estimates fed by its aggTrades): each
#     inventory-aware strategy fills both sides and is never paused nor at
#     the limit, where simple_mm spends part of the run paused at it (the
#     issue's complaint, measured the same way); the backtest's CSV has
#     the model rows and the live estimates.
# The text status shows the model line too.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

jst() { status_json | jq -e "$@"; }
# try_for SECONDS CMD...: like wait_for, but a timeout is an answer
try_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}
# b1: the price of our level-1 bid from the status' ladder, or fail
b1() { status_json | jq -er '[.ladder[] | select(.side == "BUY" and .level == 1)][0].price'; }
both_sides() {
	jst '([.ladder[] | select(.side == "BUY")] | length) == 2 and
	    ([.ladder[] | select(.side == "SELL")] | length) == 2 and
	    (.model.reservation_price | type) == "number"'
}

# run_one STRATEGY LIVE [yaml...]
run_one() {
	local s=$1 live=$2 p0 p1 qty m
	shift 2
	exch_start --manual --config "$(exch_accounts)"
	exch_pin 60000.0 60000.2
	# bookTickers every 0.2 s (the same port across the exchanges)
	[ -n "${TICKER:-}" ] || { exch_ticker; TICKER=1; }
	write_config "strategy_name: $s" "initial_capital: 5000" \
		"max_net_position_ratio: 0.2" "market_stale_after: 3600" \
		"order_config:" "  levels: 2" "  quantity_per_order_usdt: 150" \
		"refresh_config:" "  orderbook_refresh_interval: 1" \
		"risk:" "  max_loss_usdt: 0" \
		"estimator:" "  live: $live" "$@"
	exch_env
	start_tree
	wait_for "$s: tree ready" 30 tree_ready
	try_for 60 both_sides || { ctl status; fail "$s: not quoting both sides"; }
	m=$(status_json | jq -c .model)
	pass "$s quotes both sides; model $m"
	echo "$m" | jq -e --arg s "$s" '.strategy == $s and
	    (.sigma_bp | type) == "number" and (.A | type) == "number" and
	    (.k | type) == "number" and (.half_spread > 0) and
	    (.skew_bp | fabs) < 1e-9 and .q_orders == 0' >/dev/null ||
		fail "$s: model before any fill: $m"
	if [ "$s" != skew_mm ]; then
		echo "$m" | jq -e '.gamma > 0' >/dev/null || fail "$s: no gamma: $m"
	fi
	ctl status | grep -q "^model    $s  gamma" || fail "$s: no model line in the text status"
	p0=$(b1) || fail "$s: no level-1 bid"
	qty=$(status_json | jq -r '[.ladder[] | select(.side == "BUY" and .level == 1)][0].qty')
	# the outside bid (5 BTC at 60000.0) goes first, then ours at p0
	exch_post "/sim/trade?symbol=BTCUSDT&price=$p0&qty=$(jq -n "5 + $qty")&side=SELL" >/dev/null ||
		fail "$s: /sim/trade"
	exch_pin 60000.0 60000.2	# the outside bid back, the book unmoved
	leaning() {
		jst --argjson p0 "$p0" '.position > 0 and .model.skew_bp < 0 and
		    .model.q_orders > 0 and
		    ([.ladder[] | select(.side == "BUY" and .level == 1)][0].price
		    < $p0)'
	}
	wait_for "$s: the ladder leans against the long position" 60 leaning
	p1=$(b1)
	m=$(status_json | jq -c '{position, skew: .model.skew_bp, q: .model.q_orders, reservation: .model.reservation_price}')
	pass "$s after a fill: best bid $p0 -> $p1, $m"
	if [ "$live" = true ]; then
		heard() {
			jst '.model.est_trades >= 1 and .model.sigma_live == false and
			    .model.ak_live == false'
		}
		try_for 30 heard || fail "$s: estimator: $(status_json | jq -c .model)"
		pass "$s: the trade reached the estimator (aggTrade), still warming up: $(status_json | jq -c '.model | {est_trades, est_returns, sigma_live, ak_live}')"
	fi
	ctl stop >/dev/null || fail "$s: pmmctl stop"
	wait_for "$s: pmmd gone" 30 bash -c "! kill -0 $PMMD_PID 2>/dev/null"
	wait "$PMMD_PID" 2>/dev/null || true
	PMMD_PID=""
	exch_stop
	rm -rf "$T/logs" "$T/run"	# the next strategy starts on a fresh exchange
}

run_one skew_mm true
run_one avellaneda_mm false
run_one glft_mm false
pass "all three strategies in a tree"

BT="$PMM_BIN/bin/pmm-backtest"
[ -x "$BT" ] || fail "no $BT"
for s in simple_mm skew_mm avellaneda_mm glft_mm; do
	"$BT" -c "$PMM_SRC/config/config.yaml" --synthetic 300 --seed 5 \
		--set strategy_name=$s --set instance_id=bt --out "$T/bt-$s" \
		--quiet || fail "pmm-backtest $s"
	f=$(jq -c '{fills, paused_pct, at_limit_s, max_abs_pos, net_pnl,
	    bids: ([.levels[].bid_fills] | add), asks: ([.levels[].ask_fills] | add)}' \
		"$T/bt-$s/summary.json")
	if [ $s = simple_mm ]; then
		echo "$f" | jq -e '.paused_pct > 0' >/dev/null ||
			fail "simple_mm was expected to pause at the limit: $f"
	else
		echo "$f" | jq -e '.paused_pct == 0 and .at_limit_s == 0 and
		    .bids > 0 and .asks > 0' >/dev/null ||
			fail "$s in the backtest: $f"
		# its CSV has the model and the live estimates, as a tree's
		grep -q ',reservation_price,[0-9]' "$T/bt-$s"/metrics-*.csv &&
			grep -q ',est_sigma,[0-9.]*,bp_per_sqrt_s,BTCUSDT,,,live,' \
			"$T/bt-$s"/metrics-*.csv ||
			fail "$s: no model or live estimate rows in the backtest's CSV"
	fi
	pass "backtest $s: $f"
done
