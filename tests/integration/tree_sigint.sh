#!/usr/bin/env bash
# tree_sigint.sh — Ctrl-C in a terminal: SIGINT to the whole foreground
# process group, here a wrapper shell and the pmmd it started (the wrapper
# leads its group, as a terminal's job does: as_terminal_job in lib.sh). pmmd alone must take
# it: the services are in sessions of their own, and pmmd stops them in
# order — order first, whose cancels the exchange answers (its request log)
# and the logger still writes (CSV), logger last. No order is left.
# The book is pinned (--manual, POST /sim/book): nothing fills, so the
# ladder is whole when the signal comes.
. "$(dirname "$0")/lib.sh"
exch_trap
for tool in jq curl openssl python3; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

exch_start --manual --config "$(exch_accounts)"
exch_post "/sim/book?symbol=BTCUSDT&bid=60000.0&ask=60000.2&qty=5" >/dev/null ||
	fail "set the book"
write_config "market_stale_after: 3600" \
	"order_config:" "  levels: 2" "  quantity_per_order_usdt: 150"
exch_env

# the wrapper is the process group's leader; pmmd and its services are
# started by it, so before the fix they were all in its group
as_terminal_job bash -c "\"$PMMD\" -c \"$T/config.yaml\" -e \"$T/.env\" & echo \$! >\"$T/pmmd.pid\"; wait" \
	>"$PMMD_LOG" 2>&1 &
PGID=$!
wait_for "pmmd started" 10 test -s "$T/pmmd.pid"
PMMD_PID=$(cat "$T/pmmd.pid")
[ "$(ps -o pgid= -p "$PMMD_PID" | tr -d ' ')" = "$PGID" ] ||
	fail "pmmd is not in the wrapper's process group $PGID"
wait_for "tree ready" 30 tree_ready
# a manual book is published when set: tick until the tree has seen it
has_mid() { exch_post /sim/tick >/dev/null; status_json | jq -e '.mid_price | type == "number"'; }
wait_for "the pinned book in status" 30 has_mid

ours() {
	exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
		jq -c --arg p "t$$-" '[.[] | select(.clientOrderId | startswith($p)) | .clientOrderId] | sort'
}
ladder() { ours | jq -e 'length == 4'; }
wait_for "the ladder of 4 orders" 30 ladder
cids=$(ours)
for s in market order risk logger; do
	pid=$(svc_field "$s" pid)
	[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" != "$PGID" ] ||
		fail "$s (pid $pid) is in the terminal's process group $PGID"
done
pass "tree quoting $cids; no service in the terminal's process group"

t0=$(exch_get "/sim/requests?limit=0" | jq .now_ns)
kill -INT -- "-$PGID"
wait_for "pmmd exits" 60 bash -c "! kill -0 $PMMD_PID"
wait "$PGID" 2>/dev/null || true
PMMD_PID=""

grep -E "^(<[0-9]>)?(order|risk|market|logger): signal 2, stopping" "$PMMD_LOG" &&
	fail "services took the terminal's SIGINT themselves"
order=$(grep -nE "pmmd: stopping (order|risk|market|logger) " "$PMMD_LOG" |
	sed -E 's/^.*stopping ([a-z]+) .*$/\1/' | tr '\n' ' ')
[ "$order" = "order risk market logger " ] ||
	fail "stop order: '$order', want order risk market logger"
pass "SIGINT to the process group: pmmd stopped $order"

# the cancels: asked after the signal, answered by the exchange
answered() {
	exch_get "/sim/requests?since=$t0&path=/fapi/v1/batchOrders" |
		jq -c '[.requests[] | select(.method == "DELETE") |
		    {status, ids: (.params.origClientOrderIdList | fromjson)}]'
}
a=$(answered)
echo "$a" | jq -e --argjson c "$cids" 'length >= 1 and all(.[]; .status == 200) and
    ([.[].ids[]] | sort) == $c' >/dev/null ||
	fail "the stop's cancels at the exchange: $a, want all of $cids answered 200"
[ "$(ours)" = "[]" ] || fail "orders left on the exchange: $(ours)"
grep -qE "order: stopped: the exchange confirmed all 4 orders of ours gone" "$PMMD_LOG" ||
	fail "order's stop line: $(grep 'order: stopped' "$PMMD_LOG")"
pass "the exchange answered the cancels of $cids (200); none left"

# ... and the logger, stopped last, wrote them
for c in $(echo "$cids" | jq -r '.[]'); do
	grep -h ',order_event,' "$T"/logs/metrics-*.csv | grep ',canceled,' |
		grep -q "client_id=$c\b" || fail "no canceled row for $c in the CSV"
done
pass "CSV: a canceled row for each of the 4 orders"
