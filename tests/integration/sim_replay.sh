#!/usr/bin/env bash
# sim_replay.sh — replaying the recorded BTCUSDT file through pmm-exchange
# at maximum speed: every recorded bookTicker and trade reaches a
# WebSocket subscriber, in order, with the recorded prices, quantities and
# update ids; the diff-depth chain is the recorded one. Skipped (with a
# message) when the recording is absent.
. "$(dirname "$0")/sim_lib.inc"

FILE="${PMM_SHARED_DATA:-$PMM_SRC/../shared/data/binance}/btcusdt_20240808.gz"
if [ ! -r "$FILE" ]; then
	echo "skipped: $FILE is absent"
	finish
fi
zcat "$FILE" | grep -m1 '"btcusdt@bookTicker"' | cut -d' ' -f2- >"$TMP/first_bt.json"
zcat "$FILE" | grep -m1 '"btcusdt@depth@0ms"' | cut -d' ' -f2- >"$TMP/first_depth.json"
nbt=$(zcat "$FILE" | grep -c '"btcusdt@bookTicker"')
ntr=$(zcat "$FILE" | grep -c '"btcusdt@trade"')

start_exchange --replay "$FILE" --speed max --paused
"$WSC" -n "$nbt" -t 120 "$WS/public/ws/btcusdt@bookTicker" >"$TMP/bt.txt" &
p1=$!
"$WSC" -n "$ntr" -t 120 -q "$WS/public/stream?streams=btcusdt@trade" >"$TMP/tr.txt" &
p2=$!
"$WSC" -n 3 -t 120 "$WS/public/ws/btcusdt@depth@0ms" >"$TMP/depth.txt" &
p3=$!
poll "three subscribers connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 3'"
adm /sim/resume
check "resume" [ "$STATUS" = 200 ]
wait $p1; r1=$?
wait $p2; r2=$?
wait $p3
check "all $nbt recorded bookTickers delivered" [ "$r1" = 0 -a "$(wc -l <"$TMP/bt.txt")" = "$nbt" ]
check "all $ntr recorded trades delivered" [ "$r2" = 0 -a "$(cat "$TMP/tr.txt")" = "$ntr" ]
check "first bookTicker carries the recorded u, prices and quantities" \
    [ "$(head -1 "$TMP/bt.txt" | jq -c '[.u,.b,.B,.a,.A]')" = "$(jq -c '.data | [.u,.b,.B,.a,.A]' "$TMP/first_bt.json")" ]
check "bookTicker update ids increase" \
    bash -c "jq -r .u '$TMP/bt.txt' | sort -c -n -u"
check "first diff depth has the recorded U, u, pu" \
    [ "$(head -1 "$TMP/depth.txt" | jq -c '[.U,.u,.pu]')" = "$(jq -c '.data | [.U,.u,.pu]' "$TMP/first_depth.json")" ]
check "first diff depth has the recorded levels" \
    [ "$(head -1 "$TMP/depth.txt" | jq -c '[(.b|length),(.a|length)]')" = "$(jq -c '.data | [(.b|length),(.a|length)]' "$TMP/first_depth.json")" ]
check "diff depth chain: pu = previous u" python3 - "$TMP/depth.txt" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
sys.exit(not (len(ev) == 3 and all(b["pu"] == a["u"] for a, b in zip(ev, ev[1:]))))
PY
done_() { curl -s "$BASE/sim/state" | jq -e '.market_done == true'; }
poll "the replay reports its end" 30 done_
req GET /fapi/v1/ping
check "still serving after the replay" [ "$STATUS" = 200 ]
finish
