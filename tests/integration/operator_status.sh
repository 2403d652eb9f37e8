#!/usr/bin/env bash
# operator_status.sh — `pmmctl status` tells how trading goes, and its
# figures agree with what pmm-exchange says happened: a tree trades against
# a pinned book moved through its ladder (fills on both sides), is paused
# and resumed, and its order service is killed and restarted. Then status
# (--json and text) is held against the exchange's own account: fills,
# buys/sells, volume, fees and realized PnL from its signed userTrades,
# the position from positionRisk; the ladder from openOrders.
. "$(dirname "$0")/../faults/lib.sh"

export PMM_LOGGING_SUMMARY_INTERVAL=1	# a summary line a second
fault_tree
# flat: the exchange says entry 0, which is no entry price at all
flat_entry() { status_json | jq -e '.position == 0 and .entry_price == null'; }
wait_for "flat at the start, entry price null (not 0)" 15 flat_entry
ctl status | grep -q "^position 0\(\.0*\)\? BTC  entry -  mark " || fail "flat: entry not '-': $(ctl status | grep ^position)"
filled() { cat "$T"/logs/metrics-*.csv | grep -q ",fill,[^,]*,[^,]*,BTCUSDT,$1,"; }
pin_book
move_book -200
wait_for "our bids filled" 30 filled BUY
wait_for "a ladder around the new book" 30 settled
move_book 400
wait_for "our asks filled" 30 filled SELL
wait_for "a ladder around the new book" 30 settled
ctl pause "operator test" >/dev/null
wait_for "paused" 10 sh -c "\"$PMMCTL\" status --json | jq -e '.quoting.state == \"paused\"'"
ctl status | sed -n 1p | grep -q "^quoting: no — paused: operator: operator test (for " ||
	fail "line 1 while paused: $(ctl status)"
# two paused samples in the CSV, so history has a pause to measure
psamples() { [ "$(cat "$T"/logs/metrics-*.csv | grep -c ',strategy_paused,1,bool,BTCUSDT,,,operator,operator test$')" -ge 2 ]; }
wait_for "two paused samples in the CSV" 15 psamples
ctl resume >/dev/null
old=$(svc_field order pid); kill -KILL "$old"
order_back() { [ "$(svc_field order pid)" != "$old" ] && [ "$(svc_field order state)" = ready ]; }
wait_for "order restarted" 30 order_back
wait_for "a ladder after the restart" 30 settled

# (runs before the tree stops too; history below reads the CSV after)
# The exchange's account of it: our trades, the position.
trades() { exch_signed GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1000"; }
# agree: status' since_start sums equal the exchange's trade list
agree() {
	local st tr
	st=$(status_json) && tr=$(trades) || return 1
	jq -en --argjson s "$st" --argjson t "$tr" '
	    def near(a; b): ((a - b) | fabs) < 1e-6 * (1 + (b | fabs));
	    ($s.since_start) as $x |
	    $x.fills == ($t | length) and
	    $x.buys == ([$t[] | select(.side == "BUY")] | length) and
	    $x.sells == ([$t[] | select(.side == "SELL")] | length) and
	    near($x.buy_qty; [$t[] | select(.side == "BUY") | .qty | tonumber] | add) and
	    near($x.sell_qty; [$t[] | select(.side == "SELL") | .qty | tonumber] | add) and
	    near($x.volume_quote; [$t[] | .quoteQty | tonumber] | add) and
	    near($x.fees; [$t[] | .commission | tonumber] | add) and
	    near($x.realized_pnl; [$t[] | .realizedPnl | tonumber] | add) and
	    $x.maker_share == (([$t[] | select(.maker)] | length) / ($t | length))' >/dev/null
}
wait_for "status agrees with the exchange's userTrades" 30 agree
st=$(status_json); tr=$(trades)
nb=$(echo "$tr" | jq '[.[] | select(.side == "BUY")] | length')
ns=$(echo "$tr" | jq '[.[] | select(.side == "SELL")] | length')
[ "$nb" -gt 0 ] && [ "$ns" -gt 0 ] || fail "fills on one side only: $nb buys, $ns sells"
pos=$(exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" | jq -r '.[0].positionAmt | tonumber')
jq -en --argjson s "$st" --argjson p "$pos" '(($s.position - $p) | fabs) < 1e-9' >/dev/null ||
	fail "position: status $(echo "$st" | jq .position), exchange $pos"
echo "$st" | jq -e '.base_asset == "BTC" and .tick_size > 0 and .step_size > 0 and
    .since_start.funding == 0 and .limit_share >= 0 and
    ([.services[] | select(.name == "order") | .restarts] == [1])' >/dev/null ||
	fail "status fields: $st"
pass "status = exchange: $nb buys, $ns sells, fees $(echo "$st" | jq .since_start.fees), realized $(echo "$st" | jq .since_start.realized_pnl), position $pos"

# The ladder: each open order of ours, by price, with its distance from the mid.
lad() {
	local st o
	st=$(status_json) && o=$(ours) || return 1
	jq -en --argjson s "$st" --argjson o "$o" '
	    ([$s.ladder[] | .price] | sort) == ([$o[] | .price | tonumber] | sort) and
	    ($s.ladder | all(.age_s >= 0 and
	        ((.bp_from_mid - (.price - $s.mid_price) / $s.mid_price * 1e4) | fabs) < 0.01 and
	        ((.side == "BUY") == (.bp_from_mid < 0))))' >/dev/null
}
wait_for "the ladder in status is the exchange's openOrders" 30 lad

# The text: quoting first, then position in BTC, the ladder, since start.
txt=$(ctl status)
echo "$txt"
echo "$txt" | sed -n 1p | grep -q "^quoting: yes (for " || fail "line 1: not quoting?"
echo "$txt" | grep -q "^position -\?[0-9.]* BTC  entry " || fail "position not in BTC"
echo "$txt" | grep -qE "^ +SELL +1 +[0-9]+\.[0-9] +\+[0-9.]+ bp +0\.[0-9]{3} " || fail "no SELL 1 rung with tick-rounded price"
echo "$txt" | grep -qE "^ +BUY +1 +[0-9]+\.[0-9] +-[0-9.]+ bp " || fail "no BUY 1 rung"
echo "$txt" | grep -q "^since start  $((nb + ns)) fills ($nb buy, $ns sell), volume " || fail "since start line"
echo "$txt" | grep -q "funding 0.0000," || fail "funding not 0 (no funding time passed)"
echo "$txt" | grep -qE "[0-9]\.[0-9]{9,}" && fail "float noise in the text"
pass "status text: quoting line first, BTC position, ladder, since start"

# The summary line in the log: mid, spread, quoting, position, fills, PnL.
summary() { grep -qE "summary: mid [0-9]+\.[0-9]{2} spread [0-9]+(\.[0-9]+)? \([0-9.]+ bp\), quoting [0-9]+ orders, position -?[0-9.e-]+ BTC, fills $((nb + ns)) \($nb buy, $ns sell\), net PnL -?[0-9]+\.[0-9]{4} USDT$" "$PMMD_LOG"; }
wait_for "a summary line in the log" 15 summary
pass "log: $(grep -o 'summary: .*' "$PMMD_LOG" | tail -1)"

# history: the same trades from the CSV files, on the stopped tree.
kill -TERM "$PMMD_PID"; wait "$PMMD_PID" || fail "pmmd's stop exited $?"; PMMD_PID=""
tr=$(trades)
h=$("$PMMCTL" -i "$INST" history -d "$T/logs" --json) || fail "pmmctl history failed"
jq -en --argjson h "$h" --argjson t "$tr" '
    def near(a; b): ((a - b) | fabs) < 1e-6 * (1 + (b | fabs));
    $h.trades == ($t | length) and
    $h.buys == ([$t[] | select(.side == "BUY")] | length) and
    $h.sells == ([$t[] | select(.side == "SELL")] | length) and
    near($h.buy_qty; [$t[] | select(.side == "BUY") | .qty | tonumber] | add) and
    near($h.sell_qty; [$t[] | select(.side == "SELL") | .qty | tonumber] | add) and
    near($h.volume_quote; [$t[] | .quoteQty | tonumber] | add) and
    near($h.avg_buy_price; ([$t[] | select(.side == "BUY") | .quoteQty | tonumber] | add) /
        ([$t[] | select(.side == "BUY") | .qty | tonumber] | add)) and
    near($h.fees; [$t[] | .commission | tonumber] | add) and
    near($h.realized_pnl; [$t[] | .realizedPnl | tonumber] | add) and
    $h.maker == ([$t[] | select(.maker)] | length) and
    $h.funding == null and $h.skipped == 0 and
    $h.restarts == 1 and $h.pauses >= 1 and $h.paused_s > 0 and
    ($h.pause_reasons | map(.reason) | index("operator: operator test") != null) and
    $h.initial_capital == null' >/dev/null ||
	fail "history disagrees with the exchange: $h"
"$PMMCTL" -i "$INST" history -d "$T/logs" | tee "$T/history.txt"
grep -q "^trades   $(echo "$tr" | jq length) (" "$T/history.txt" || fail "history text: trades"
grep -q "funding n/a" "$T/history.txt" || fail "history text: funding"
# with the config: its directory and instance, and the return on capital
h=$("$PMMCTL" -c "$T/config.yaml" -e "$T/.env" history --since 1h --json) || fail "history -c"
echo "$h" | jq -e --argjson n "$(echo "$tr" | jq length)" '.trades == $n and
    .initial_capital == 100000 and (.return_pct - .net_pnl / 1000 | fabs) < 1e-9' >/dev/null ||
	fail "history with the config: $h"
pass "history (stopped tree) = exchange: $(echo "$h" | jq -c '{trades, fees, realized_pnl, net_pnl, return_pct, restarts, pauses, paused_s}')"
