#!/usr/bin/env bash
# funding.sh — funding end to end: pmm-exchange pays funding every 3 s
# (--funding-interval 3, rate 0.05 %) on a pinned manual book, the whole
# pmmd tree holds a long position it got through its own ladder, and then
# - the exchange's GET /fapi/v1/income (FUNDING_FEE) and `pmmctl status
#   --json`'s since_start.funding agree, paid (< 0) for a long, with one
#   payment each, and status' net PnL takes it in (realized + unrealized −
#   fees + funding);
# - the text status prints the figure (not '-');
# - the CSV has one funding_fee row per payment and `pmmctl history`
#   sums them to the same figure;
# - the logger's /metrics says the same (pmm_funding_fee_quote).
# On the old code pmm-exchange refuses --funding-interval and status says
# funding null: this script fails there.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl openssl; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done
INST="t$$"

exch_start --manual --config "$(exch_accounts)" --funding-interval 3 \
	--funding-rate 0.0005
exch_pin 60000.0 60000.2
exch_ticker
write_config "initial_capital: 100000" "max_net_position_ratio: 1" \
	"market_stale_after: 5" \
	"risk:" "  max_loss_usdt: 0" \
	"order_config:" "  levels: 2" "  quantity_per_order_usdt: 150" \
	"  price_offset_percent: 0.05" \
	"refresh_config:" "  orderbook_refresh_interval: 1" \
	"metrics:" "  enabled: true" "  port: 0"
exch_env
start_tree
wait_for "tree ready" 30 tree_ready
wait_for "metrics.addr" 30 test -s "$PMM_RUNTIME_DIR/metrics.addr"
METRICS=$(cat "$PMM_RUNTIME_DIR/metrics.addr")
quoting() { status_json | jq -e '.open_orders >= 2 and .strategy_paused == false'; }
wait_for "quoting on the pinned book" 30 quoting

# an outside seller sweeps our bids: the tree is long from here on
exch_post "/sim/trade?symbol=BTCUSDT&price=59000.0&qty=5&side=SELL" >/dev/null ||
	fail "/sim/trade"
long() { status_json | jq -e '.position > 0'; }
wait_for "the tree holds a long position" 30 long
pass "long $(status_json | jq .position) BTC"

income() { exch_signed GET /fapi/v1/income "incomeType=FUNDING_FEE&symbol=BTCUSDT&limit=1000"; }
paid_twice() { [ "$(income | jq length)" -ge 2 ]; }
wait_for "two funding payments on the exchange" 30 paid_twice

# status and the exchange agree (read both until no payment falls between)
agree() {
	local inc st
	inc=$(income) && st=$(status_json) || return 1
	jq -en --argjson i "$inc" --argjson s "$st" '
	    ([$i[] | .income | tonumber] | add) as $sum |
	    ($s.since_start) as $x |
	    ($i | length) >= 2 and
	    (($x.funding - $sum) | fabs) < 1e-9 and $x.funding < 0 and
	    $x.funding_payments == ($i | length) and
	    (($x.net_pnl - ($x.realized_pnl + $x.unrealized_pnl - $x.fees +
	        $x.funding)) | fabs) < 1e-9'
}
wait_for "status since_start.funding = the exchange's FUNDING_FEE income" 30 agree
st=$(status_json)
pass "funding $(echo "$st" | jq .since_start.funding) USDT in $(echo "$st" | jq .since_start.funding_payments) payments, net $(echo "$st" | jq .since_start.net_pnl)"

# each payment: -position x mark x 0.0005 at the exchange's mark
one=$(income | jq -r '.[0].income')
pos=$(exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" | jq -r '.[0].positionAmt')
mark=$(exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" | jq -r '.[0].markPrice')
jq -en --arg o "$one" --arg p "$pos" --arg m "$mark" '
    (($o | tonumber) + ($p | tonumber) * ($m | tonumber) * 0.0005 | fabs) < 1e-8' \
    >/dev/null || fail "payment $one is not -$pos x $mark x 0.0005"

txt=$(ctl status)
echo "$txt" | grep -E "^PnL USDT +fees [0-9.]+, funding -0\.[0-9]{4}, " ||
	fail "text status: no funding figure: $(echo "$txt" | grep ^PnL)"

# the CSV: one funding_fee row per payment, the history sums them; and the
# logger's Prometheus gauge
csv_agree() {
	local st h rows prom
	st=$(status_json) || return 1
	rows=$(cat "$T"/logs/metrics-*.csv | grep -c ",funding_fee,")
	h=$("$PMMCTL" -i "$INST" history -d "$T/logs" --json) || return 1
	prom=$(curl -sf "$METRICS" |
	    sed -n 's/^pmm_funding_fee_quote{[^}]*} //p')
	jq -en --argjson s "$st" --argjson h "$h" --arg r "$rows" --arg p "$prom" '
	    ($s.since_start) as $x |
	    ($r | tonumber) == $x.funding_payments and
	    (($h.funding - $x.funding) | fabs) < 1e-9 and
	    (($p | tonumber) - $x.funding | fabs) < 1e-9'
}
wait_for "CSV rows, history and /metrics = status' funding" 30 csv_agree
grep -m1 ",funding_fee," "$T"/logs/metrics-*.csv
pass "CSV, history and /metrics agree: $("$PMMCTL" -i "$INST" history -d "$T/logs" | grep '^PnL')"
