#!/usr/bin/env bash
# logger_csv.sh — the logger's daily metrics CSV from a real tree: the file
# appears with the exact header, every row has 11 columns (read with
# python3's csv module), every required metric is sampled, a SIGKILLed
# market service shows up as a died row (once), and events published while
# the logger itself is dead (its own death, then market's) are written
# once it is back. Finally log_to_csv false writes no file at all.
. "$(dirname "$0")/lib.sh"

LOGDIR="$T/logs"
write_config
# an exchange that never answers (port 9 is closed): see the nodata check
printf 'BINANCE_REST_URL=http://127.0.0.1:9\nBINANCE_WS_URL=ws://127.0.0.1:9\n' >> "$T/.env"
# a second logger death backs off for 5 s: long enough to kill market
# while the logger is certainly down
sed -i -e 's/^  backoff_initial: .*/  backoff_initial: 5/' \
	-e 's/^  backoff_max: .*/  backoff_max: 8/' "$T/config.yaml"
start_tree
wait_for "tree ready" 30 tree_ready
pass "tree ready"

# csvcheck MODE [args]: python3 reads every metrics file with the csv module
csvcheck() {
	python3 - "$LOGDIR" "$@" <<'EOF'
import csv, glob, os, sys
d, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
HEADER = ["timestamp", "instance_id", "env", "metric_name", "value", "unit",
          "symbol", "side", "level", "sub_type", "details"]
files = sorted(glob.glob(os.path.join(d, "metrics-*.csv")))
if not files:
    sys.exit("no metrics file in %s" % d)
rows = []
for f in files:
    with open(f, newline="") as fp:
        recs = list(csv.reader(fp))
    if not recs or recs[0] != HEADER:
        sys.exit("%s: first record is not the header: %r" % (f, recs[:1]))
    for i, r in enumerate(recs[1:], 2):
        if len(r) != 11:
            sys.exit("%s record %d has %d columns: %r" % (f, i, len(r), r))
        if r == HEADER:
            sys.exit("%s: a second header at record %d" % (f, i))
        rows.append(r)
def count(metric, sub=None, det=None, value=None):
    return sum(1 for r in rows if r[3] == metric
               and (sub is None or r[9] == sub)
               and (det is None or det in r[10])
               and (value is None or r[4] == value))
if mode == "samples":            # at least N samples of mid_price
    sys.exit(0 if count("mid_price") >= int(args[0]) else 1)
elif mode == "metrics":          # every name in args has rows with a unit
    missing = [m for m in args if count(m) == 0]
    if missing:
        sys.exit("missing metrics: %s" % ", ".join(missing))
    nounit = sorted({r[3] for r in rows if r[5] == ""})
    if nounit:
        sys.exit("rows without a unit: %s" % ", ".join(nounit))
    tz = [r[0] for r in rows if len(r[0]) != 29 or r[0][10] != "T"
          or r[0][23] not in "+-" or r[0][26] != ":"]
    if tz:
        sys.exit("bad timestamps: %r" % tz[:3])
elif mode == "died":             # exactly N died rows of SERVICE with PID
    svc, pid, want = args
    n = count("service_event", "died", "service=%s " % svc, pid)
    if n != int(want):
        sys.exit("%d died rows for %s pid %s, want %s" % (n, svc, pid, want))
elif mode == "nodata":           # every row of each metric: empty, "no data yet"
    bad = [r for r in rows if r[3] in args and (r[4] != "" or r[10] != "no data yet")]
    if bad:
        sys.exit("rows with a value nobody read: %r" % bad[:3])
elif mode == "ready":            # a ready row for SERVICE with PID
    svc, pid = args
    sys.exit(0 if count("service_event", "ready", "service=%s " % svc,
                        pid) >= 1 else 1)
else:
    sys.exit("unknown mode " + mode)
EOF
}

wait_for "three samples in the CSV" 30 csvcheck samples 3
ls "$LOGDIR"/metrics-*.csv | grep -Eq '/metrics-[0-9]{8}\.csv$' || fail "file name"
head -n 1 "$LOGDIR"/metrics-*.csv | grep -qx \
	'timestamp,instance_id,env,metric_name,value,unit,symbol,side,level,sub_type,details' \
	|| fail "header is not exact"
csvcheck metrics mid_price spread position position_notional unrealized_pnl \
	realized_pnl wallet_balance open_orders orders_placed orders_canceled \
	fills rejects md_latency_ms order_rtt_ms ws_reconnects rate_limit_weight \
	service_restarts strategy_paused || fail "metric rows"
pass "CSV with the exact header, 11 columns everywhere, every required metric"
# No exchange answers this tree (nothing listens on port 9): what only the
# exchange can say is "no data yet" in every sample, never a 0.
csvcheck nodata wallet_balance entry_price position order_rtt_ms \
	rate_limit_weight || fail "a figure nobody read was written as a value"
pass "figures not read yet are empty with 'no data yet'"

# A service restart is recorded.
m1=$(svc_field market pid)
kill -KILL "$m1"
wait_for "market died row" 30 csvcheck died market "$m1" 1
m2_ready() { local p; p=$(svc_field market pid); [ "$p" != "$m1" ] && [ "$p" -gt 0 ] && csvcheck ready market "$p"; }
wait_for "market ready row" 30 m2_ready
pass "market SIGKILL (pid $m1): died and ready rows"

# Events while the logger is down are written when it is back.
l1=$(svc_field logger pid)
kill -KILL "$l1"
l2_up() { local p; p=$(svc_field logger pid); [ "$p" != "$l1" ] && [ "$(svc_field logger state)" = ready ]; }
wait_for "logger back after the first kill" 30 l2_up
wait_for "tree ready" 30 tree_ready
l2=$(svc_field logger pid)
kill -KILL "$l2"
logger_down() { [ "$(svc_field logger state)" = backoff ]; }
wait_for "logger in backoff" 10 logger_down
m2=$(svc_field market pid)
kill -KILL "$m2"
market_dead() { [ "$(svc_field market pid)" != "$m2" ]; }
wait_for "market death seen by pmmd" 10 market_dead
[ "$(svc_field logger state)" = backoff ] || fail "logger came back too early for the test to mean anything"
pass "market (pid $m2) killed while the logger was down"
l3_up() { local p; p=$(svc_field logger pid); [ "$p" != "$l2" ] && [ "$p" -gt 0 ] && [ "$(svc_field logger state)" = ready ]; }
wait_for "logger back after backoff" 30 l3_up
wait_for "market death row written by the new logger" 30 csvcheck died market "$m2" 1
wait_for "logger death rows" 30 csvcheck died logger "$l2" 1
csvcheck died logger "$l1" 1 || fail "first logger death not written exactly once"
wait_for "more samples" 30 csvcheck samples 8
csvcheck died market "$m1" 1 || fail "first market death now written more than once"
csvcheck died market "$m2" 1 || fail "market death while logger down not written exactly once"
csvcheck metrics mid_price || fail "CSV unreadable after the logger's SIGKILLs"
pass "logger SIGKILL: events queued by pmmd while it was down written once"

# log_to_csv false: no file.
kill -TERM "$PMMD_PID"
wait "$PMMD_PID" || fail "pmmd exited non-zero on SIGTERM"
PMMD_PID=""
LOGDIR="$T/logs-off"
sed -i -e "s|^  log_directory: .*|  log_directory: $LOGDIR\n  log_to_csv: false|" "$T/config.yaml"
start_tree
wait_for "tree ready (log_to_csv false)" 30 tree_ready
sleep 2.5
if ls "$LOGDIR"/metrics-*.csv >/dev/null 2>&1; then fail "log_to_csv false wrote a file"; fi
pass "log_to_csv false: no metrics file"
