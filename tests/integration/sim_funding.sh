#!/usr/bin/env bash
# sim_funding.sh — funding and fee tiers on pmm-exchange over real HTTP and
# WebSocket: with --funding-interval 2 a long position pays
# 0.010 x mark x 0.0001 every 2 s as ACCOUNT_UPDATE "m":"FUNDING_FEE"
# (balance only, bc = the payment), GET /fapi/v1/income lists the same
# payments (and each fill's COMMISSION), the wallet moves by their sum,
# premiumIndex and the markPrice stream carry the rate and the next
# funding time on the 2 s grid,
# --fee-tier 3 gives Binance's VIP 3 fees in commissionRate and on the
# fills, and bad option values and income parameters are refused clearly.
# The market is a pinned manual book, so every figure is exact.
. "$(dirname "$0")/sim_lib.inc"

# --- bad options: a clear message, exit 2 -------------------------------------
for bad_opt in "--fee-tier 10" "--fee-tier 1.5" "--funding-interval 0" \
    "--funding-interval 2.5" "--maker-fee 0.5" "--funding-rate x"; do
	# shellcheck disable=SC2086
	"$EXCH" --port 0 $bad_opt >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	check "refused: $bad_opt (exit $rc, names the option)" \
	    bash -c "[ $rc = 2 ] && grep -q -- '${bad_opt%% *}: bad value' '$TMP/bad.err'"
done

start_exchange --manual --funding-interval 2 --fee-tier 3
adm /sim/book "symbol=BTCUSDT&bid=60000.0&ask=60000.1&qty=5"
check "manual book set" [ "$STATUS" = 200 ]

sreq GET /fapi/v1/commissionRate "symbol=BTCUSDT"
check "commissionRate is VIP 3: 0.012 % / 0.032 %" \
    [ "$(jqb .makerCommissionRate)" = 0.00012 -a "$(jqb .takerCommissionRate)" = 0.00032 ]

kreq POST /fapi/v1/listenKey
LK=$(jqb .listenKey)
"$WSC" -n 0 -t 60 "$WS/private/ws?listenKey=$LK&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE" \
    >"$TMP/user.txt" 2>&1 &
poll "user stream connected" 10 bash -c "curl -s $BASE/sim/state | jq -e '.ws_sessions >= 1'"

sreq GET /fapi/v2/account ""
W0=$(jqb .totalWalletBalance)
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newOrderRespType=RESULT"
check "MARKET buy 0.010 filled" [ "$(jqb .status)" = FILLED ]

n_funding() { [ "$(grep -c '"m":"FUNDING_FEE"' "$TMP/user.txt")" -ge "$1" ]; }
poll "three FUNDING_FEE updates on the user stream" 20 n_funding 3

sreq GET /fapi/v1/income "incomeType=FUNDING_FEE&limit=1000"
check "income FUNDING_FEE: HTTP 200" [ "$STATUS" = 200 ]
printf '%s' "$BODY" >"$TMP/income.json"
sreq GET /fapi/v1/income "limit=1000"
printf '%s' "$BODY" >"$TMP/all.json"
sreq GET /fapi/v2/account ""
printf '%s' "$BODY" >"$TMP/account.json"
check "each payment: -0.010 x 60000.05 x 0.0001, on the 2 s grid, the stream's bc" \
    python3 - "$TMP/income.json" "$TMP/user.txt" <<'EOF'
import json, sys
inc = json.load(open(sys.argv[1]))
ups = []
for line in open(sys.argv[2]):
    try: ev = json.loads(line)
    except ValueError: continue
    if ev.get("e") == "ACCOUNT_UPDATE" and ev["a"]["m"] == "FUNDING_FEE":
        ups.append(ev)
keys = ["symbol", "incomeType", "income", "asset", "info", "time", "tranId", "tradeId"]
if not inc or len(ups) < len(inc) - 1:
    print("   %d records, %d stream updates" % (len(inc), len(ups))); sys.exit(1)
for r, u in zip(inc, ups):
    if list(r) != keys or r["income"] != "-0.06000005" or r["symbol"] != "BTCUSDT":
        print("   record", r); sys.exit(1)
    if r["time"] % 2000 != 0 or u["E"] != r["time"] or u["a"]["P"] != []:
        print("   time", r["time"], "update", u); sys.exit(1)
    if u["a"]["B"][0]["bc"] != r["income"]:
        print("   bc", u["a"]["B"][0], "income", r["income"]); sys.exit(1)
EOF
check "the wallet moved by the sum of the income records" \
    python3 - "$W0" "$TMP/all.json" "$TMP/account.json" <<'EOF'
import json, sys
from decimal import Decimal
w0 = Decimal(sys.argv[1])
recs = json.load(open(sys.argv[2]))
acct = json.load(open(sys.argv[3]))
kinds = sorted(set(r["incomeType"] for r in recs))
if kinds != ["COMMISSION", "FUNDING_FEE"]:
    print("   kinds", kinds); sys.exit(1)
com = [r for r in recs if r["incomeType"] == "COMMISSION"]
# VIP 3 taker: 0.010 x 60000.1 x 0.00032 = 0.19200032
if len(com) != 1 or com[0]["income"] != "-0.19200032" or com[0]["tradeId"] == "":
    print("   commission", com); sys.exit(1)
total = w0 + sum(Decimal(r["income"]) for r in recs)
if abs(total - Decimal(acct["totalWalletBalance"])) > Decimal("0.00000002"):
    print("   wallet", acct["totalWalletBalance"], "want", total); sys.exit(1)
EOF

req GET /fapi/v1/premiumIndex "symbol=BTCUSDT"
check "premiumIndex: lastFundingRate 0.0001, nextFundingTime on the 2 s grid ahead" \
    bash -c "[ '$(jqb .lastFundingRate)' = 0.00010000 ] &&
	[ \$(( $(jqb .nextFundingTime) % 2000 )) = 0 ] &&
	[ $(jqb .nextFundingTime) -gt $(jqb .time) ]"

# --- bad income parameters ---------------------------------------------------------
sreq GET /fapi/v1/income "incomeType=FUNDING"
check "unknown incomeType: -1100" expect_err 400 -1100
sreq GET /fapi/v1/income "limit=0"
check "limit 0: -1130" expect_err 400 -1130
sreq GET /fapi/v1/income "symbol=NOPE"
check "unknown symbol: -1121" expect_err 400 -1121
sreq GET /fapi/v1/income "startTime=abc"
check "startTime not a number: -1100" expect_err 400 -1100
check "income weighs 30" [ "$(hdr X-MBX-USED-WEIGHT-1M)" -ge 30 ]

# --- flat pays nothing ---------------------------------------------------------------
sreq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010"
sleep 0.2
sreq GET /fapi/v1/income "incomeType=FUNDING_FEE&limit=1000"
N1=$(jqb length)
sleep 4.5
sreq GET /fapi/v1/income "incomeType=FUNDING_FEE&limit=1000"
check "flat: no funding over two more intervals" [ "$(jqb length)" = "$N1" ]

stop_exchange

# --- the synthetic market's markPrice stream carries the rate and T ----------------
start_exchange --funding-interval 2 --funding-rate -0.00025 --taker-fee 0.0004 \
    --fee-tier 9
sreq GET /fapi/v1/commissionRate "symbol=BTCUSDT"
check "--taker-fee overrides the tier whatever the order: maker 0 (VIP 9), taker 0.0004" \
    [ "$(jqb .makerCommissionRate)" = 0 -a "$(jqb .takerCommissionRate)" = 0.0004 ]
out=$("$WSC" -n 3 -t 15 "$WS/market/ws/btcusdt@markPrice@1s")
check "markPrice: r is --funding-rate, T the next 2 s boundary after E" \
    python3 - "$out" <<'EOF'
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
if len(lines) < 3:
    print("   frames:", lines); sys.exit(1)
for m in lines:
    if m["r"] != "-0.00025000" or m["T"] % 2000 or not 0 < m["T"] - m["E"] <= 2000:
        print("   frame", m); sys.exit(1)
EOF
stop_exchange
finish
