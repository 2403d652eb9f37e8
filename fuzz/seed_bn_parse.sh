#!/usr/bin/env bash
# seed_bn_parse.sh <corpus-dir> [fuzzer] — every payload of the shared
# examples.json as a starting input for fuzz_bn_parse: once behind the byte
# of its own parser and once behind the router's (0). The byte values are
# the case labels of fuzz_bn_parse.c's switch. Skips, saying why, when the
# data or jq is missing.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
ex="${PMM_SHARED_DATA:-$src/../shared/data/binance}/examples.json"
out=${1:?usage: seed_bn_parse.sh <corpus-dir> [fuzzer]}
if [ ! -r "$ex" ]; then
	echo "seed_bn_parse: $ex absent, no seeds" >&2
	exit 0
fi
if ! command -v jq >/dev/null; then
	echo "seed_bn_parse: jq not installed, no seeds" >&2
	exit 0
fi
mkdir -p "$out"

# The parser byte for a payload name (see fuzz_bn_parse.c).
selector() {
	case $1 in
	ws_bookTicker_*) echo 1 ;;
	ws_trade_*) echo 2 ;;
	ws_aggTrade_*) echo 3 ;;
	ws_markPrice_*) echo 4 ;;
	ws_*depth*) echo 5 ;;
	ws_ORDER_TRADE_UPDATE_*) echo 6 ;;
	ws_ACCOUNT_UPDATE_*) echo 7 ;;
	ws_listenKeyExpired_*) echo 8 ;;
	ws_TRADE_LITE_*) echo 9 ;;
	ws_subscribe_response_*|ws_list_subscriptions_*) echo 10 ;;
	rest_cancel_all_*|rest_batch_place_error_*|error_*) echo 11 ;;
	rest_listenKey_DELETE_*|rest_ping_*) echo 12 ;;
	rest_time_*) echo 13 ;;
	rest_listenKey_*) echo 14 ;;
	rest_new_order_*|rest_cancel_order_*) echo 15 ;;
	rest_batch_*) echo 16 ;;
	rest_countdownCancelAll_*) echo 18 ;;
	rest_positionRisk_*) echo 19 ;;
	rest_balance_*) echo 20 ;;
	rest_leverage_*) echo 21 ;;
	rest_bookTicker_*) echo 22 ;;
	rest_depth_*) echo 23 ;;
	rest_exchangeInfo_*) echo 24 ;;
	*) echo 0 ;;
	esac
}

n=0
for name in $(jq -r 'keys[]' "$ex"); do
	body=$(jq -c --arg k "$name" '.[$k].json' "$ex")
	for sel in "$(selector "$name")" 0; do
		# shellcheck disable=SC2059
		{ printf "\\$(printf %03o "$sel")"; printf '%s' "$body"; } \
			> "$out/$sel-$name"
		n=$((n + 1))
	done
done
# a few decimals and ban messages for the string helpers
for d in 0.10 60000.1 0.00000001 999999999999999999 1.; do
	{ printf '\032'; printf '%s' "$d"; } > "$out/26-dec-$d"
	n=$((n + 1))
done
# userTrades has no recorded example: its documented element, twice
{ printf '\033'; printf '%s' '[{"buyer":false,"commission":"-0.07819010",'\
'"commissionAsset":"USDT","id":698759,"maker":false,"orderId":25851813,'\
'"price":"7819.01","qty":"0.002","quoteQty":"15.63802","realizedPnl":'\
'"-0.91539999","side":"SELL","positionSide":"SHORT","symbol":"BTCUSDT",'\
'"time":1569514978020},{"buyer":true,"commission":"0.01","commissionAsset":'\
'"USDT","id":698760,"maker":true,"orderId":25851814,"price":"7819.02",'\
'"qty":"0.001","quoteQty":"7.81902","realizedPnl":"0","side":"BUY",'\
'"positionSide":"BOTH","symbol":"BTCUSDT","time":1569514978021}]'; } \
	> "$out/27-userTrades"
n=$((n + 1))
{ printf '\031'; printf 'Way too many requests; IP banned until 1615183669840.'; } \
	> "$out/25-ban"
echo "seed_bn_parse: $((n + 1)) seeds in $out"
