#!/usr/bin/env bash
# sd_notify.sh — pmmd's side of Type=notify and WatchdogSec, without systemd.
#
# systemd is not PID 1 here, so a small listener stands in for it: a Unix
# datagram socket in NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID set the
# way systemd sets them, and every message recorded with the sender's pid
# (SO_PASSCRED). Readiness is made to wait on purpose: pmmd is copied into
# a directory of its own with wrappers for the four services, and the
# logger's wrapper waits for a gate file before it execs the real logger.
# Checked:
#  - WATCHDOG=1 pings arrive while the tree is starting and keep arriving;
#  - no READY=1 while three services are ready and the logger is held;
#  - READY=1 once the gate opens, with every service ready (tree_ready);
#  - STOPPING=1 on SIGTERM, after READY=1, and pmmd exits 0;
#  - every message comes from pmmd's own pid (NotifyAccess=main would drop
#    anything a service sent);
#  - every line pmmd and the services wrote to stderr (not a terminal, as
#    under systemd) starts with a syslog priority "<N>", so journald keeps
#    each line's level — a refused config included ("<3>").
# Skipped when pmmd was built without libsystemd.
. "$(dirname "$0")/lib.sh"
exch_trap
command -v python3 >/dev/null || fail "missing python3"
command -v jq >/dev/null || fail "missing jq"
# ldd's whole output first: a grep -q that quits early would SIGPIPE ldd
# and, under pipefail, fail the test into a skip
if ! grep -q libsystemd <<<"$(ldd "$PMMD" 2>/dev/null)"; then
	echo "skipped: pmmd was built without libsystemd (no sd_notify)"
	exit 0
fi

# ---- the stand-in for systemd's notify socket ------------------------------
NSOCK="$T/notify.sock"
NLOG="$T/notify.log"
python3 - "$NSOCK" "$NLOG" "$$" <<'EOF' &
import os, socket, struct, sys
path, out, parent = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
s.settimeout(1.0)
with open(out, "a", buffering=1) as f:
    while True:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            try:
                os.kill(parent, 0)      # the test is gone: so are we
            except OSError:
                break
            continue
        pid = -1
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        for line in data.decode(errors="replace").splitlines():
            f.write("%d %s\n" % (pid, line))
EOF
wait_for "notify socket" 10 test -S "$NSOCK"

# ---- pmmd beside wrapped services -----------------------------------------
# pmmd execs pmm-<service> from the directory of its own executable
# (/proc/self/exe, so a copy, not a symlink).
B="$T/bin"
mkdir -p "$B"
cp "$PMMD" "$B/pmmd"
GATE="$T/logger.gate"
for s in market order risk logger; do
	{
		echo '#!/bin/sh'
		[ "$s" = logger ] &&
			echo "while [ ! -e '$GATE' ]; do sleep 0.05; done"
		echo "exec '$PMM_BIN/bin/pmm-$s' \"\$@\""
	} > "$B/pmm-$s"
	chmod +x "$B/pmm-$s"
done

exch_start --config "$(exch_accounts)" --seed 5
# the logger may wait at the gate for as long as the test needs
write_config
sed -i 's/^supervisor:$/supervisor:\n  ready_timeout: 600/' "$T/config.yaml"
exch_env

WD_USEC=600000		# pings every 0.2 s
(
	export NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=$WD_USEC WATCHDOG_PID=$BASHPID
	exec "$B/pmmd" -c "$T/config.yaml" -e "$T/.env"
) >"$PMMD_LOG" 2>&1 &
PMMD_PID=$!
SUP_PID=$PMMD_PID	# the subshell exec'd: this is pmmd's pid, as MAINPID

n_msg() { grep -c " $1\$" "$NLOG" 2>/dev/null || true; }
at_least() { [ "$(n_msg "$1")" -ge "$2" ]; }	# at_least MSG COUNT
three_ready() {
	status_json | jq -e '.tree_ready == false and
	    ([.services[] | select(.state == "ready") | .name] | sort) ==
	    ["market", "order", "risk"] and
	    (.services[] | select(.name == "logger") | .state) == "starting"'
}

wait_for "market, order, risk ready; logger held at the gate" 60 three_ready
p0=$(n_msg WATCHDOG=1)
wait_for "watchdog pings while starting" 30 at_least WATCHDOG=1 $((p0 + 3))
[ "$(n_msg READY=1)" = 0 ] || fail "READY=1 sent while the logger is not ready"
three_ready >/dev/null || fail "the tree changed while the logger was held"
pass "not ready yet: 3 of 4 services ready, $(n_msg WATCHDOG=1) pings, no READY=1"

touch "$GATE"
wait_for "READY=1" 60 at_least READY=1 1
tree_ready >/dev/null || fail "READY=1 sent but status says the tree is not ready"
[ "$(status_json | jq '[.services[] | select(.state == "ready")] | length')" = 4 ] ||
	fail "READY=1 but not every service is ready"
grep -q " STATUS=all services ready$" "$NLOG" || fail "no STATUS= with READY=1"
pass "READY=1 once the logger is ready too (tree_ready, all four ready)"

p1=$(n_msg WATCHDOG=1)
wait_for "watchdog pings after READY=1" 30 at_least WATCHDOG=1 $((p1 + 5))
pass "watchdog pings keep coming ($p1 -> $(n_msg WATCHDOG=1))"

kill -TERM "$PMMD_PID"
rc=0
wait "$PMMD_PID" || rc=$?
PMMD_PID=""
[ "$rc" = 0 ] || fail "pmmd exited $rc on SIGTERM"
wait_for "STOPPING=1" 10 at_least STOPPING=1 1
ready_line=$(grep -n " READY=1$" "$NLOG" | head -n 1 | cut -d: -f1)
stop_line=$(grep -n " STOPPING=1$" "$NLOG" | head -n 1 | cut -d: -f1)
[ "$stop_line" -gt "$ready_line" ] || fail "STOPPING=1 before READY=1"
pass "SIGTERM: STOPPING=1, pmmd exited 0"

others=$(awk -v p="$SUP_PID" '$1 != p' "$NLOG" | head -n 3)
[ -z "$others" ] || fail "messages from another pid than pmmd's ($SUP_PID): $others"
pass "all $(wc -l < "$NLOG") notifications came from pmmd itself (pid $SUP_PID)"

unprefixed=$(grep -v '^<[0-7]>' "$PMMD_LOG" | head -n 3 || true)	# none: grep exits 1
[ -z "$unprefixed" ] || fail "stderr lines without a priority prefix: $unprefixed"
grep -q '^<6>' "$PMMD_LOG" ||
	fail "no info lines in the log"
printf 'order_config:\n  levles: 3\n' >> "$T/config.yaml"
rc=0
"$B/pmmd" -c "$T/config.yaml" -e "$T/.env" 2>"$T/refused.log" || rc=$?
[ "$rc" = 78 ] || fail "a bad config should exit 78, got $rc"
grep -q '^<3>pmmd: .*levles' "$T/refused.log" ||
	fail "a refused config is not logged as an error: $(cat "$T/refused.log")"
pass "stderr: all $(wc -l < "$PMMD_LOG") lines carry a syslog priority; a refused config is <3>"
