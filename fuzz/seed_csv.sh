#!/usr/bin/env bash
# seed_csv.sh <corpus-dir> <fuzzer> — metrics CSV rows as the logger
# writes them (a sample, a fill, a pause, a quoted reason) as the
# starting corpus for fuzz_csv.
set -euo pipefail
d=$1
h='timestamp,instance,env,metric,value,unit,symbol,side,level,status,details'
printf '%s\n%s\n%s\n' "$h" \
	'2026-12-06T11:19:04.107+00:00,t1,sim,mid_price,61800.05,USDT,BTCUSDT,,,,' \
	'2026-12-06T11:19:05.731+00:00,t1,sim,fill,0.002,BTC,BTCUSDT,SELL,1,maker,price=61806.3 fee=0.02472252 USDT realized_pnl=0 order_id=4000000002 client_id=t1-S1-hotqen4s8a' \
	> "$d/seed-fill.csv"
printf '%s\n%s\n%s' "$h" \
	'2026-12-06T11:20:00.000+01:00,t1,sim,strategy_paused,1,bool,BTCUSDT,,,operator,"a ""quoted"", reason"' \
	'2026-12-06T11:20:01.000+01:00,t1,sim,position,-0.004,BTC,BTCUSDT,,,,' \
	> "$d/seed-pause-torn.csv"
printf '1h\n%s\n' "$h" > "$d/seed-since.csv"
