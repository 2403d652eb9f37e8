#!/usr/bin/env bash
# bt_sweep.sh — `pmm-backtest sweep` with the real program on the seeded
# synthetic market:
#  - a 2 x 2 grid on 2 jobs: four point folders, each a full backtest
#    report; sweep.csv has one row per point, sorted by the chosen figure,
#    and each row is that point's own summary.json; the table on stdout;
#  - a point is what a single run of the same command line gives (same
#    summary.json bytes);
#  - bad input: a grid with no points, a malformed --grid, an unknown
#    --sort figure, an unknown key (the backtest's own config error, shown
#    once, exit 78), an existing --out: a clear message, non-zero exit, and
#    nothing written.
. "$(dirname "$0")/lib.sh"

BT="$PMM_BIN/bin/pmm-backtest"
CFG="$PMM_SRC/config/config.yaml"
GRID_A='order_config.price_offset_percent=0.01,0.03'
GRID_B='order_config.levels=1,3'

# expect_fail RC PATTERN cmd...: exits RC, says PATTERN on stderr
expect_fail() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$T/err"; fail "$* exited $rc, not $want"; }
	grep -q -- "$pat" "$T/err" || { cat "$T/err"; fail "$*: no '$pat'"; }
}

# ---- a grid ------------------------------------------------------------
cd "$T"
"$BT" sweep -c "$CFG" --grid "$GRID_A" --grid "$GRID_B" --sort fills \
	--jobs 2 --out "$T/sw" -- --synthetic 120 --seed 3 >"$T/table" 2>"$T/err" ||
	{ cat "$T/err"; fail "sweep"; }
for p in 000 001 002 003; do
	[ -s "$T/sw/point-$p/summary.json" ] || fail "point-$p has no summary.json"
	ls "$T/sw/point-$p"/metrics-*.csv >/dev/null || fail "point-$p has no metrics CSV"
done
[ ! -e "$T/sw/point-004" ] || fail "a fifth point"
ls -d "$T"/sw.partial-* 2>/dev/null && fail "the partial folder is left"
[ "$(wc -l <"$T/sw/sweep.csv")" = 5 ] || fail "sweep.csv: not a header and 4 rows"
head -1 "$T/sw/sweep.csv" | grep -q "^rank,point,order_config.price_offset_percent,order_config.levels,net_pnl," ||
	fail "sweep.csv header: $(head -1 "$T/sw/sweep.csv")"
grep -q "points in .*points/s, 2 jobs" "$T/table" || { cat "$T/table"; fail "no rate line"; }
grep -q "sorted by fills, highest first" "$T/table" || fail "table: no order line"
# every row is its point's summary.json, and the rows are sorted by fills
python3 - "$T/sw" <<'PY' || fail "sweep.csv does not match the points' summaries"
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/sweep.csv")))
assert len(rows) == 4, rows
fills = []
for r in rows:
    s = json.load(open("%s/%s/summary.json" % (d, r["point"])))
    for k, v in s.items():
        if k in r and isinstance(v, (int, float)):
            assert abs(float(r[k]) - v) <= 1e-9 * max(1, abs(v)), (k, r[k], v)
        elif k in r and v is None:
            assert r[k] == "", (k, r[k])
    fills.append(int(r["fills"]))
assert fills == sorted(fills, reverse=True), fills
# the first key varies slowest
p = {r["point"]: (r["order_config.price_offset_percent"], r["order_config.levels"]) for r in rows}
assert p["point-000"] == ("0.01", "1") and p["point-001"] == ("0.01", "3"), p
assert p["point-002"] == ("0.03", "1") and p["point-003"] == ("0.03", "3"), p
PY
pass "a 2 x 2 grid on 2 jobs: four reports, sweep.csv sorted, rows = summaries"

# a point is the single run of the same command line
"$BT" -c "$CFG" --synthetic 120 --seed 3 --set order_config.price_offset_percent=0.03 \
	--set order_config.levels=1 --out "$T/single" --quiet || fail "single run"
cmp "$T/single/summary.json" "$T/sw/point-002/summary.json" ||
	fail "point-002 differs from the same single run"
pass "a point's summary is the single run's, byte for byte"

# ---- bad input: nothing written ----------------------------------------
expect_fail 2 "a grid with no points" "$BT" sweep -c "$CFG" --out "$T/b1"
expect_fail 2 "value 2 is empty" "$BT" sweep -c "$CFG" --grid 'order_config.levels=1,,3' --out "$T/b1"
expect_fail 2 "no '='" "$BT" sweep -c "$CFG" --grid 'order_config.levels' --out "$T/b1"
expect_fail 2 "not a figure" "$BT" sweep -c "$CFG" --grid "$GRID_B" --sort pnl --out "$T/b1"
[ ! -e "$T/b1" ] || fail "a refused sweep wrote $T/b1"
expect_fail 78 "no_such_key" "$BT" sweep -c "$CFG" --grid 'order_config.no_such_key=1,2,3,4' \
	--jobs 2 --out "$T/b2" -- --synthetic 60 --seed 1
[ "$(grep -c "no_such_key" "$T/err")" -le 2 ] || { cat "$T/err"; fail "the config error is shown more than once"; }
[ "$(grep -c "exited with status 78" "$T/err")" = 1 ] || { cat "$T/err"; fail "not one failing point"; }
[ ! -e "$T/b2" ] || fail "a failed sweep left $T/b2"
ls -d "$T"/b2.partial-* 2>/dev/null && fail "a failed sweep left its partial folder"
expect_fail 73 "exists and is not an empty folder" "$BT" sweep -c "$CFG" --grid "$GRID_B" \
	--out "$T/sw" -- --synthetic 60 --seed 1
[ "$(wc -l <"$T/sw/sweep.csv")" = 5 ] || fail "the refused sweep touched the earlier one"
pass "no points, malformed --grid, unknown figure or key, existing --out: refused, nothing written"

# ---- interrupted: the points stop, nothing is left ----------------------
"$BT" sweep -c "$CFG" --grid "$GRID_A" --grid "$GRID_B" --jobs 2 --out "$T/b4" \
	-- --synthetic 86400 --seed 1 >/dev/null 2>"$T/err" &
sw=$!
# a point has started once its (hidden, temporary) --out folder is there
started() { [ -n "$(ls -A "$T"/b4.partial-* 2>/dev/null)" ]; }
for _ in $(seq 300); do
	started && break
	sleep 0.1
done
started || fail "no point started within 30 s"
kill -TERM "$sw"
rc=0
wait "$sw" || rc=$?
[ "$rc" = 130 ] || { cat "$T/err"; fail "an interrupted sweep exited $rc, not 130"; }
grep -q "interrupted; stopping" "$T/err" || { cat "$T/err"; fail "no word of the interruption"; }
[ ! -e "$T/b4" ] || fail "an interrupted sweep left $T/b4"
compgen -G "$T/b4.partial-*" >/dev/null && fail "an interrupted sweep left its partial folder"
pgrep -f "$T/b4.partial" >/dev/null && fail "a point outlived the sweep"
pass "interrupted: its points stopped, nothing left"
