#!/usr/bin/env bash
# backtest.sh — pmm-backtest end to end:
#  - the shared BTCUSDT recording (skipped, saying so, when absent) and the
#    synthetic market: two runs of the same input and seed give
#    byte-identical output files; the gzip recording and its binary form
#    (convert) give the same metrics CSV;
#  - the CSV is the live logger's (header, 11 columns, its metric names);
#    the report (pmmctl report's page and charts) is made of it, with the
#    summary on the page;
#  - latency: a request's round trip is entry + response (order_rtt_ms);
#  - bad input: a missing recording, one that is not a recording, a
#    truncated gzip, an unknown --set key, a bad value: a clear message
#    naming the file/line/key, a non-zero exit (78 for the config), and
#    nothing half-written in --out.
. "$(dirname "$0")/lib.sh"

BT="$PMM_BIN/bin/pmm-backtest"
CFG="$PMM_SRC/config/config.yaml"
REC="${PMM_SHARED_DATA:-$PMM_SRC/../shared/data/binance}/btcusdt_20240808.gz"

# expect_fail RC PATTERN cmd...: exits RC, says PATTERN on stderr
expect_fail() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$T/err"; fail "$* exited $rc, not $want"; }
	grep -q -- "$pat" "$T/err" || { cat "$T/err"; fail "$*: no '$pat'"; }
}

# the CSV reads like a live session's
check_csv() {
	local f
	f=$(ls "$1"/metrics-*.csv)
	[ "$(head -1 "$f")" = "timestamp,instance_id,env,metric_name,value,unit,symbol,side,level,sub_type,details" ] ||
		fail "$f: not the logger's header"
	for m in mid_price position realized_pnl open_orders fills order_rtt_ms strategy_paused; do
		grep -q ",$m," "$f" || fail "$f: no $m rows"
	done
	# 11 fields a row (details may hold quoted commas: count with a parser)
	python3 - "$f" <<'PY' || fail "$f: a row without 11 fields"
import csv, sys
for row in csv.reader(open(sys.argv[1])):
    assert len(row) == 11, row
PY
}

# ---- synthetic: determinism and latency -------------------------------
"$BT" -c "$CFG" --synthetic 120 --seed 5 --latency entry=5,response=7,feed=2 \
	--out "$T/s1" >"$T/s1.txt" || fail "synthetic run"
"$BT" -c "$CFG" --synthetic 120 --seed 5 --latency entry=5,response=7,feed=2 \
	--out "$T/s2" >/dev/null || fail "synthetic run 2"
diff -r "$T/s1" "$T/s2" >/dev/null || fail "two runs of one input differ: $(diff -rq "$T/s1" "$T/s2")"
check_csv "$T/s1"
if command -v gnuplot >/dev/null; then
	grep -q "Backtest summary" "$T/s1/report/index.html" || fail "no summary on the report page"
	for p in mid position pnl; do
		[ -s "$T/s1/report/$p.png" ] || fail "the report has no $p.png"
	done
	grep -q "the page $T/s1/report/index.html" "$T/s1.txt" || fail "stdout does not say where the page is"
else
	echo "report not checked: gnuplot is absent"
fi
grep -q "fills" "$T/s1.txt" || fail "no summary on stdout"
grep -q "report .*$T/s1" "$T/s1.txt" || fail "stdout does not say where the report is"
# every request took entry + response, on the virtual clock
rtt=$(grep ',order_rtt_ms,' "$T/s1"/metrics-*.csv | cut -d, -f5 | sort -u | grep -v '^$')
[ "$rtt" = "12" ] || fail "order_rtt_ms is '$rtt', not entry + response = 12"
pass "synthetic: identical bytes twice, the logger's CSV, round trip = entry + response"

# another seed is another market
"$BT" -c "$CFG" --synthetic 120 --seed 6 --out "$T/s3" >/dev/null || fail "seed 6"
! cmp -s "$T"/s1/metrics-*.csv "$T"/s3/metrics-*.csv || fail "seed 6 gave seed 5's run"
# an earlier output is replaced whole
"$BT" -c "$CFG" --synthetic 30 --seed 5 --out "$T/s3" >/dev/null || fail "rerun into s3"
[ "$(ls "$T"/s3/metrics-*.csv | wc -l)" = 1 ] || fail "s3 holds more than one run"
pass "another seed, another market; an earlier output is replaced"

# funding reaches the order service (a funding_fee row each payment, on the
# position it held) and the summary, and they agree
"$BT" -c "$CFG" --synthetic 10900 --seed 3 --funding rate=0.001,interval=3600 \
	--out "$T/f1" >/dev/null || fail "funding run"
rows=$(grep -c ',funding_fee,' "$T"/f1/metrics-*.csv || true)
[ "$rows" -ge 1 ] || fail "no funding_fee rows in the CSV"
csv_sum=$(grep ',funding_fee,' "$T"/f1/metrics-*.csv | cut -d, -f5 |
	python3 -c 'import sys; print(sum(float(x) for x in sys.stdin))')
sum_pnl=$(jq -r .funding_pnl "$T/f1/summary.json")
python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(abs(a-b)>1e-6)" \
	"$csv_sum" "$sum_pnl" || fail "funding: CSV rows sum to $csv_sum, the summary says $sum_pnl"
pass "funding: $rows payments in the CSV, summing to the summary's $sum_pnl"

# ---- bad input ----------------------------------------------------------
expect_fail 1 "$T/none.gz" "$BT" -c "$CFG" --replay "$T/none.gz" --out "$T/bad"
echo "not a recording" | gzip >"$T/junk.gz"
expect_fail 1 "$T/junk.gz" "$BT" -c "$CFG" --replay "$T/junk.gz" --out "$T/bad"
expect_fail 78 "did you mean \"order_config.levels\"" \
	"$BT" -c "$CFG" --synthetic 10 --set order_config.levle=3 --out "$T/bad"
expect_fail 78 "order_config.levels: 30 is out of range" \
	"$BT" -c "$CFG" --synthetic 10 --set order_config.levels=30 --out "$T/bad"
printf 'order_config:\n  levles: 3\n' >"$T/bad.yaml"
expect_fail 78 "bad.yaml:2" "$BT" -c "$T/bad.yaml" --synthetic 10
expect_fail 2 "which market" "$BT" -c "$CFG"
expect_fail 2 "latency" "$BT" -c "$CFG" --synthetic 10 --latency entry=x
mkdir "$T/mine" && echo keep >"$T/mine/file"
expect_fail 1 "not an earlier backtest" "$BT" -c "$CFG" --synthetic 10 --out "$T/mine"
[ "$(cat "$T/mine/file")" = keep ] || fail "a foreign directory was touched"
[ ! -e "$T/bad" ] || fail "a failed run left $T/bad"
ls -a "$T" | grep -q '\.tmp-' && fail "a failed run left a temporary directory"
# interrupted: stops, exit 130, its temporary directory removed
"$BT" -c "$CFG" --synthetic 864000 --out "$T/long" >/dev/null 2>"$T/err" &
pid=$!
for _ in $(seq 600); do ls -a "$T" | grep -q '^\.long\.tmp-' && break; sleep 0.05; done
ls -a "$T" | grep -q '^\.long\.tmp-' || fail "the long run never started writing"
kill -INT $pid
rc=0; wait $pid || rc=$?
[ $rc = 130 ] || fail "an interrupted run exited $rc, not 130"
grep -q interrupted "$T/err" || fail "an interrupted run does not say so"
[ ! -e "$T/long" ] && ! ls -a "$T" | grep -q '\.tmp-' || fail "an interrupted run left output"
pass "bad input: clear messages, exit 1/2/78, nothing half-written; interrupted: 130, nothing left"

# ---- the shared recording ---------------------------------------------
if [ ! -r "$REC" ]; then
	echo "skipped (real recording): $REC is absent"
	exit 0
fi
"$BT" -c "$CFG" --replay "$REC" --out "$T/r1" >"$T/r1.txt" || fail "replay run"
"$BT" -c "$CFG" --replay "$REC" --out "$T/r2" >/dev/null || fail "replay run 2"
diff -r "$T/r1" "$T/r2" >/dev/null || fail "two runs of the recording differ: $(diff -rq "$T/r1" "$T/r2")"
check_csv "$T/r1"
fills=$(grep -c ',fill,' "$T"/r1/metrics-*.csv)
[ "$fills" -gt 10 ] || fail "only $fills fills on the recording"
"$BT" convert "$REC" "$T/btc.bin" >/dev/null || fail "convert"
"$BT" -c "$CFG" --replay "$T/btc.bin" --out "$T/r3" >/dev/null || fail "binary run"
cmp "$T"/r1/metrics-*.csv "$T"/r3/metrics-*.csv || fail "the binary form backtests differently"
pass "the recording: identical bytes twice, $fills fills; its binary form gives the same CSV"

# a truncated gzip: named with its line, nothing written
head -c 1000000 "$REC" >"$T/cut.gz"
expect_fail 1 "cut.gz: after line" "$BT" -c "$CFG" --replay "$T/cut.gz" --out "$T/cut"
[ ! -e "$T/cut" ] || fail "a truncated recording left output"
expect_fail 1 "cut.gz" "$BT" convert "$T/cut.gz" "$T/cut.bin"
[ ! -e "$T/cut.bin" ] || fail "convert left a half file"
# two files in a row play on one timeline
"$BT" -c "$CFG" --replay "$T/btc.bin" "$REC" --out "$T/r4" >"$T/r4.txt" || fail "two in a row"
span=$(awk '/^virtual time/ { print int($3) }' "$T/r4.txt")
[ "$span" -ge 689 ] || { cat "$T/r4.txt"; fail "two recordings played in $span s, not twice 344.8"; }
pass "a truncated gzip is refused with its line; recordings in a row"
