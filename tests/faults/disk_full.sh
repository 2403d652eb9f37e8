#!/usr/bin/env bash
# disk_full.sh — the log directory fills up while the tree trades, then
# space comes back. The log directory is a 2 MB tmpfs (needs root to mount;
# skipped with a message otherwise); a file of zeros fills it, two fills
# happen while it is full, then the file is removed.
#  - the logger says so, with the real errno (No space left on device), and
#    status shows the CSV rows it keeps; once there is room they are written,
#    in order, and no row is ever torn (every line of the CSV parses);
#  - the fill ledger save that failed is retried until it succeeds, so a
#    restarted order service publishes none of those fills again.
# Failed before the fix: rows lost (visible only in the CSV), a stale errno,
# torn rows ("2026-2026-12-06T..."), the ledger never saved: the fills came
# back as "recovered" after a restart.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/logs"
if ! mount -t tmpfs -o size=2m,mode=0750 tmpfs "$T/logs" 2>/dev/null; then
	echo "skipped: cannot mount a tmpfs for the log directory (needs root)"
	exit 0
fi
trap 'rc=$?; set +e; [ -z "$EXCH_PID" ] || kill -KILL "$EXCH_PID" 2>/dev/null
    if [ -n "$PMMD_PID" ]; then kill -TERM "$PMMD_PID" 2>/dev/null; wait "$PMMD_PID" 2>/dev/null; fi
    umount -l "$T/logs"; (exit $rc); cleanup' EXIT

fault_tree
pin_book
logger() { status_json | jq -c '.services[] | select(.name == "logger")'; }
logged() { grep -q -- "$1" "$PMMD_LOG"; }
pos() {
	exch_signed GET /fapi/v2/positionRisk "symbol=BTCUSDT" |
		jq '[.[] | select(.symbol == "BTCUSDT")][0].positionAmt | tonumber'
}
# fill_b1: trade through our B1 and wait for the position to move
fill_b1() {
	local o p0
	o=$(ours | jq -c --arg p "$INST-B1-" '[.[] | select(.clientOrderId | startswith($p))][0] // empty')
	[ -n "$o" ] || return 1
	p0=$(pos)
	exch_post "/sim/trade?symbol=BTCUSDT&price=$(echo "$o" | jq -r .price)&qty=0.01&side=SELL" >/dev/null || return 1
	for _ in $(seq 100); do
		awk -v a="$(pos)" -v b="$p0" 'BEGIN { exit !(a - b > 0.0009) }' && return 0
		sleep 0.1
	done
	return 1
}
# csv_check_all: every line of every CSV is a whole row of 11 fields that
# starts with a timestamp (or the header); prints the row count
csv_check_all() {
	python3 - "$T"/logs/metrics-*.csv <<'PY'
import csv, re, sys
rows = 0
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
for path in sys.argv[1:]:
    data = open(path, newline="").read()
    if data and not data.endswith("\n"):
        sys.exit(f"{path}: last line torn: {data.splitlines()[-1]!r}")
    for i, row in enumerate(csv.reader(data.splitlines()), 1):
        if len(row) != 11:
            sys.exit(f"{path}:{i}: {len(row)} fields: {row!r}")
        if row[0] != "timestamp" and not ts.match(row[0]):
            sys.exit(f"{path}:{i}: not a timestamp: {row[0]!r}")
        if "torn row repaired" in row[10]:
            sys.exit(f"{path}:{i}: a torn row: {row!r}")
        rows += 1
print(rows)
PY
}
recovered_rows() { cat "$T"/logs/metrics-*.csv | grep -c "recovered=trade_history" || true; }
wait_for "CSV rows written" 30 bash -c "ls $T/logs/metrics-*.csv >/dev/null 2>&1"
rec0=$(recovered_rows)

# ---- full -------------------------------------------------------------------------
dd if=/dev/zero of="$T/logs/filler" bs=4k 2>/dev/null || true
echo "  log directory full: $(df -k "$T/logs" | tail -n 1 | awk '{print $3 " KB used, " $4 " KB free"}')"
wait_for "the logger says why (ENOSPC)" 30 logged "metrics CSV .*write failed: No space left on device"
keeps() { logger | jq -e '.pending > 0 and .errors > 0' >/dev/null; }
wait_for "status shows the rows kept" 30 keeps
pass "disk full: logged with the right errno, status: $(logger | jq -c '{errors, lost, pending}')"
for i in 1 2; do
	wait_for "fill $i through B1" 30 fill_b1
	wait_for "ladder back after fill $i" 30 settled
done
wait_for "the ledger save failure logged" 30 logged "fill ledger .*No space left on device; retrying"
pass "two fills while full; the ledger save failed and is retried"

# ---- room again ---------------------------------------------------------------------
rm -f "$T/logs/filler"
wait_for "the CSV writable again" 30 logged "metrics CSV .* writable again"
drained() { logger | jq -e '.pending == 0' >/dev/null; }
wait_for "status: nothing kept" 30 drained
wait_for "the ledger saved" 30 logged "fill ledger .* saved again"
lost=$(logger | jq .lost)
pass "room again: kept rows written, $lost rows lost in all (counted in status)"
rows=$(csv_check_all) || fail "CSV: $rows"
pass "every CSV line parses ($rows rows), no torn row"

# ---- no fill published twice --------------------------------------------------------
fills=$(cat "$T"/logs/metrics-*.csv | grep -c ',fill,' || true)
[ "$fills" -ge 2 ] || fail "the fills made while full are not in the CSV ($fills fill rows)"
old=$(status_json | jq '.services[] | select(.name == "order") | .pid')
ctl debug crash order >/dev/null || fail "crash order"
back() { status_json | jq -e --argjson o "$old" '.tree_ready and (.services[] |
    select(.name == "order") | .pid != $o and .state == "ready")' >/dev/null; }
wait_for "order back" 30 back
wait_for "ladder back" 30 settled
sleep 2	# the catch-up runs once the user stream is up
rec1=$(recovered_rows)
[ "$rec1" = "$rec0" ] || fail "$((rec1 - rec0)) fills published again after the restart (the ledger was not saved)"
pass "a restarted order publishes none of those fills again"
