#!/usr/bin/env bash
# control_text.sh — a pause reason with terminal escapes, control bytes and
# invalid UTF-8 reaches no log line, CSV row or status raw: pmmd makes it
# printable where it enters. And the metrics CSV, which shows PnL and
# balances, is 0640 in a log directory pmmd's logger made 0750.
# Failed before the fix: the escape bytes were in the log and the CSV, and
# the CSV was 0644 in a 0755 directory.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "missing python3"
umask 022	# as a login shell or run.sh would have it
write_config
start_tree
wait_for "tree ready" 30 tree_ready

# ESC [31m, ESC ] title BEL, a C1 CSI, an invalid byte, a lone continuation
ctl pause $'\e[31mred\e]0;pwned\a csi\xc2\x9b x\xff\x80 end' >/dev/null || fail "pause refused"
want='?[31mred?]0;pwned? csi? x?? end'
got=$(status_json | jq -r .pause_reason)
case "$got" in *"$want") ;; *) fail "status pause_reason: $(printf '%q' "$got"), want ...$want" ;; esac
pass "status shows the reason made printable: $want"

in_csv() { grep -qsF -- "$want" "$T"/logs/metrics-*.csv; }
wait_for "the reason in the CSV" 30 in_csv
wait_for "the reason in the log" 10 grep -qF -- "$want" "$PMMD_LOG"
python3 - "$PMMD_LOG" "$T"/logs/metrics-*.csv <<'PY' || fail "raw bytes reached a log or CSV"
import re, sys
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        sys.exit(f"{path}: invalid UTF-8 at byte {e.start}: {data[e.start-20:e.start+5]!r}")
    # log lines are "<N>svc: ..." (journald priority): nothing else below 0x20
    bad = re.search(r"[\x00-\x09\x0b-\x1f\x7f\x80-\x9f]", text)
    if bad and not (path.endswith(".csv") and bad.group() == "\r"):
        sys.exit(f"{path}: control character {bad.group()!r} near {text[max(0, bad.start()-30):bad.start()+10]!r}")
print("  log and CSV: valid UTF-8, no control characters")
PY
pass "the log and the CSV hold the printable reason only"
ctl resume >/dev/null || fail "resume"

csv=$(ls "$T"/logs/metrics-*.csv | head -n 1)
mode=$(stat -c %a "$csv")
[ "$mode" = 640 ] || fail "$csv has mode $mode, want 640"
dmode=$(stat -c %a "$T/logs")
[ "$dmode" = 750 ] || fail "$T/logs has mode $dmode, want 750"
pass "the CSV is 0640, its directory 0750 (umask 022)"
