# lib.sh — shared helpers for the exchange fault scripts (sourced, not run).
#
# Each script runs a whole tree against its own pmm-exchange, injects
# faults through the exchange's /sim/fault API and judges recovery from the
# exchange's side (signed openOrders, the /sim/requests log) and from
# `pmmctl status --json`. The recovery times are printed, never asserted:
# they depend on the machine. Waits poll with generous deadlines.
. "$(dirname "$0")/../integration/lib.sh"
exch_trap
for tool in jq curl openssl python3; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

INST="t$$"
LEVELS=2

# fault_tree [extra yaml...]: the exchange and a tree quoting LEVELS a side
# (1 s refresh, a long countdown, no risk stops), ladder up.
fault_tree() {
	exch_start --config "$(exch_accounts)" --seed 7
	write_config \
		"market_stale_after: 3600" \
		"initial_capital: 100000" \
		"max_net_position_ratio: 1" \
		"risk:" \
		"  max_loss_usdt: 0" \
		"order_config:" \
		"  levels: $LEVELS" \
		"  quantity_per_order_usdt: 150" \
		"  price_offset_percent: 0.05" \
		"  refresh_mode: replace" \
		"refresh_config:" \
		"  orderbook_refresh_interval: 1" \
		"exchange:" \
		"  countdown_cancel_ms: 60000" \
		"$@"
	exch_env
	start_tree
	wait_for "tree ready" 30 tree_ready
	wait_for "a first ladder" 30 settled
}

# ours: the open orders this instance has on the exchange, as JSON
ours() {
	exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
		jq -c --arg p "$INST-" '[.[] | select(.clientOrderId | startswith($p))]'
}

# ladder_ok [JSON]: exactly LEVELS x 2 orders of ours, one per side+level
# (client ids are <instance>-<B|S><level>-<seq>).
ladder_ok() {
	local got=${1:-}
	[ -n "$got" ] || got=$(ours) || return 1
	jq -en --argjson g "$got" --arg p "$INST" --argjson n "$LEVELS" '
	    [$g[].clientOrderId | capture("^" + $p + "-(?<r>[BS][0-9]+)-").r] as $r |
	    ($g | length) == $n * 2 and ($r | length) == $n * 2 and
	    ($r | unique | length) == $n * 2 and
	    ($r | all(.[1:] | tonumber | . >= 1 and . <= $n))'
}

# tracked_ok [JSON]: the tree counts as open exactly what the exchange has.
tracked_ok() {
	local got=${1:-} st
	[ -n "$got" ] || got=$(ours) || return 1
	st=$(status_json) || return 1
	jq -en --argjson g "$got" --argjson s "$st" '$s.open_orders == ($g | length)'
}

# settled: the ladder is whole and tracked, twice in a row 0.3 s apart (an
# in-flight replace can look whole for one poll).
settled() {
	local a
	a=$(ours) && ladder_ok "$a" && tracked_ok "$a" || return 1
	sleep 0.3
	a=$(ours) && ladder_ok "$a" && tracked_ok "$a"
}

# pin_book: stop the exchange's market and wait for a settled ladder; the
# top of book is then only what move_book sets.
pin_book() {
	local bt
	exch_post /sim/pause >/dev/null || fail "pause the market"
	wait_for "settled with the market paused" 30 settled
	bt=$(exch_get "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT") || fail "bookTicker"
	BID=$(echo "$bt" | jq -r .bidPrice)
	ASK=$(echo "$bt" | jq -r .askPrice)
}

# move_book DELTA: the pinned top of book DELTA USDT from the last one (small
# moves: the new book never crosses the ladder, nothing fills). Computed
# without asking the exchange: a burst must hit the bot, not this script.
move_book() {
	BID=$(python3 -c "print('%.1f' % (float('$BID') + $1))")
	ASK=$(python3 -c "print('%.1f' % (float('$ASK') + $1))")
	exch_post "/sim/book?symbol=BTCUSDT&bid=$BID&ask=$ASK" >/dev/null || fail "set the book"
}

cids() { ours | jq -c '[.[].clientOrderId] | sort'; }
# all_new OLD: settled, and none of OLD's orders left (the ladder moved)
all_new() {
	settled && cids | jq -e --argjson o "$1" '. - $o == . and length > 0' >/dev/null
}

# two_per_rung: some side+level has two live orders of ours (a duplicate).
two_per_rung() {
	ours | jq -e --arg p "$INST" '[.[].clientOrderId |
	    capture("^" + $p + "-(?<r>[BS][0-9]+)-").r] |
	    (length) != (unique | length)' >/dev/null
}

now_ns() { date +%s%N; }
# exch_now: the exchange's CLOCK_REALTIME, for /sim/requests?since=
exch_now() { exch_get "/sim/requests?limit=0" | jq .now_ns; }

# recovered NAME T0_NS [DEADLINE_S]: wait until settled, print the time
# from T0 (the injection) to recovery.
recovered() {
	local name=$1 t0=$2 secs=${3:-30} t1
	wait_for "$name: ladder back and tracked" "$secs" settled
	t1=$(now_ns)
	printf 'RECOVERY %-28s %6.2f s  (%d orders live, %s tracked)\n' "$name" \
	    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" \
	    "$(ours | jq length)" "$(status_json | jq .open_orders)"
}

# no_dup_for SECONDS: sample the exchange and fail on any duplicate rung.
no_dup_for() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt "$end" ]; do
		! two_per_rung || fail "two live orders on one rung: $(ours)"
		sleep 0.2
	done
}

# reqs SINCE_NS [PATH]: the exchange's request log since then (JSON array)
reqs() {
	exch_get "/sim/requests?since=$1${2:+&path=$2}&limit=100000" | jq -c .requests
}

# exch_signed METHOD PATH [QUERY]: as the integration one, but timestamped
# EXCH_SKEW_MS ahead (the skew injected), so this script's checks still work
# while the clock-skew fault makes the bot's requests -1021. (Not by asking
# GET /fapi/v1/time: the bot's resync must be the only one in the log.)
EXCH_SKEW_MS=0
exch_signed() {
	local m=$1 p=$2 q=${3:-} sig ts
	ts=$(($(date +%s%3N) + EXCH_SKEW_MS))
	q="${q:+$q&}timestamp=$ts"
	sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac "$EXCH_SECRET" | sed 's/^.*= //')
	curl -sf -X "$m" -H "X-MBX-APIKEY: $EXCH_KEY" \
		"http://127.0.0.1:$EXCH_PORT$p?$q&signature=$sig"
}

known_bug() { echo "KNOWN BUG: $*"; }
