# lib.sh — shared helpers for the crash-injection scripts (sourced, not run).
#
# Builds on ../integration/lib.sh (temporary directory, tree start/stop,
# pmm-exchange beside it, signed requests) and adds what every crash
# scenario checks from the exchange's side: our open orders, the ladder's
# shape (one live order per side and level, nothing else of ours), the
# position against its limit, and the metrics CSV (no torn line, a row per
# death). Timing figures are printed, never asserted.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

for tool in jq curl openssl python3; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

INST="t$$"
CRASH_LEVELS=3
CRASH_QTY_USDT=150
CRASH_CAPITAL=100000
CRASH_RATIO=1

# crash_config [extra yaml lines...]: a trading tree against pmm-exchange.
# Extra lines land in the supervisor section first (write_config ends it
# there), so "  max_deaths: N" style lines may be passed directly.
crash_config() {
	write_config "$@" \
		"market_stale_after: 3600" \
		"initial_capital: $CRASH_CAPITAL" \
		"max_net_position_ratio: $CRASH_RATIO" \
		"risk:" \
		"  max_loss_usdt: 0" \
		"order_config:" \
		"  levels: $CRASH_LEVELS" \
		"  quantity_per_order_usdt: $CRASH_QTY_USDT" \
		"  price_offset_percent: 0.01" \
		"  refresh_mode: replace" \
		"refresh_config:" \
		"  orderbook_refresh_interval: 1"
	exch_env
}

# crash_exchange [pmm-exchange options...]: the exchange, with our account
crash_exchange() {
	exch_trap
	exch_start --config "$(exch_accounts)" "$@"
}

now_ns() { date +%s%N; }
# ms_since NS: milliseconds from NS to now
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }

# ours: the open orders of this instance on the exchange (JSON array)
ours() {
	exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" |
		jq -c --arg p "$INST-" '[.[] | select(.clientOrderId | startswith($p))]'
}
n_ours() { ours | jq length; }
no_orders() { [ "$(n_ours)" -eq 0 ]; }

# rungs JSON: [{rung:"B1", cid:...}] from our client ids
# <instance>-<B|S><level>-<seq>
RUNG_JQ='[.[] | {cid: .clientOrderId, side, price: (.price | tonumber),
    rung: (.clientOrderId | ltrimstr($p + "-") | split("-")[0])}]'

# dup_rungs JSON: the rungs that hold more than one live order
dup_rungs() {
	echo "$1" | jq -c --arg p "$INST" "$RUNG_JQ"' | group_by(.rung) |
	    map(select(length > 1) | {rung: .[0].rung, cids: map(.cid)})'
}

# ladder_ok JSON [LEVELS]: exactly one order per rung B1..BN, S1..SN, nothing
# else of ours, sides matching the ids, every bid below every ask
ladder_ok() {
	echo "$1" | jq -e --arg p "$INST" --argjson n "${2:-$CRASH_LEVELS}" "$RUNG_JQ"' |
	    ([range(1; $n + 1) | ("B" + tostring), ("S" + tostring)] | sort) as $want |
	    (map(.rung) | sort) == $want and
	    all(.[]; (.rung[0:1] == "B") == (.side == "BUY")) and
	    ([.[] | select(.side == "BUY") | .price] | max) <
	    ([.[] | select(.side == "SELL") | .price] | min)' >/dev/null
}

# position: our BTCUSDT position on the exchange, and its limit in BTC
# (max_net_position_ratio x initial_capital at the mark) plus one order
position() {
	exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" |
		jq -c '[.[] | select(.symbol == "BTCUSDT")][0] |
		    {pos: (.positionAmt | tonumber), mark: (.markPrice | tonumber)}'
}
position_within_limit() {
	position | jq -e --argjson cap "$CRASH_CAPITAL" --argjson r "$CRASH_RATIO" \
	    --argjson q "$CRASH_QTY_USDT" '(.pos | fabs) * .mark <= $cap * $r + $q * 1.01' \
	    >/dev/null
}

# svc_back SVC OLDPID: a new pid, ready, and the whole tree ready
svc_back() {
	status_json | jq -e --arg n "$1" --argjson old "$2" '.tree_ready and
	    (.services[] | select(.name == $n) | .pid != $old and .pid > 0 and
	     .state == "ready")' >/dev/null
}

# csv_check: every metrics CSV parses into rows of 11 fields and ends with
# a newline (a torn line would do neither); prints the row count
csv_check() {
	python3 - "$T"/logs/metrics-*.csv <<'PY'
import csv, sys
rows = 0
for path in sys.argv[1:]:
    data = open(path, newline="").read()
    if data and not data.endswith("\n"):
        sys.exit(f"{path}: last line torn: {data.splitlines()[-1]!r}")
    for i, row in enumerate(csv.reader(data.splitlines()), 1):
        if len(row) != 11:
            sys.exit(f"{path}:{i}: {len(row)} fields: {row!r}")
        rows += 1
print(rows)
PY
}

# csv_died PID: the service_event row of PID's death, if the CSV holds it
# (grep reads the files itself: with pipefail an early grep -q exit would
# fail the pipeline through its writer's SIGPIPE)
csv_died() {
	grep -h ",service_event,$1,pid,,,,died," "$T"/logs/metrics-*.csv 2>/dev/null
}

# exch_trade_ids: every trade id of our account on BTCUSDT, one per line,
# paged through GET /fapi/v1/userTrades as the order service pages it
exch_trade_ids() {
	local from=1 page n
	while :; do
		page=$(exch_signed GET /fapi/v1/userTrades \
		    "symbol=BTCUSDT&fromId=$from&limit=1000") || return 1
		echo "$page" | jq -r '.[].id'
		n=$(echo "$page" | jq length)
		[ "$n" -eq 1000 ] || break
		from=$(( $(echo "$page" | jq '.[-1].id') + 1 ))
	done
}

# csv_trade_ids: the trade id of every fill row in the CSV, one per line
# (a fill published twice appears twice)
csv_trade_ids() {
	grep -ho ',fill,.*trade_id=[0-9]*' "$T"/logs/metrics-*.csv 2>/dev/null |
		sed 's/.*trade_id=//'
}

# fills_accounted: the CSV holds exactly one fill row per exchange trade;
# says what is missing or repeated otherwise (into FILLS_WHY)
fills_accounted() {
	local ex csv
	ex=$(exch_trade_ids | sort -n) || return 1
	csv=$(csv_trade_ids | sort -n)
	FILLS_EXCH=$(printf '%s' "$ex" | grep -c . || true)
	FILLS_WHY="missing: $(comm -23 <(echo "$ex") <(echo "$csv" | uniq) | tr '\n' ' ')"
	FILLS_WHY+="; repeated: $(echo "$csv" | uniq -d | tr '\n' ' ')"
	FILLS_WHY+="; unknown: $(comm -13 <(echo "$ex") <(echo "$csv" | uniq) | tr '\n' ' ')"
	[ "$ex" = "$csv" ]
}
