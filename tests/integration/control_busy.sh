#!/usr/bin/env bash
# control_busy.sh — idle and half-sent control connections block nobody.
#
# 12 clients connect to pmmd.sock and stay silent, 4 more send half a
# request and stop; then 50 `pmmctl status` run at once, twice. Every one of
# them must answer (exit 0, valid JSON), none may die of SIGPIPE; pmmd drops
# the idle clients after its request timeout. Then a client that sends a
# request and never reads the answer, and one that floods bytes without a
# newline: pmmd stays responsive. Failed before the fix: with 8 idle
# clients every pmmctl got "bad answer from pmmd" (or SIGPIPE).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "missing python3"
write_config
start_tree
wait_for "tree ready" 30 tree_ready
SOCK="$PMM_RUNTIME_DIR/pmmd.sock"

# hold N connections open: N-4 silent, 4 with half a request; prints READY
python3 - "$SOCK" 16 > "$T/idle.out" 2>&1 <<'PY' &
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
conns = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        if i % 4 == 0:
            s.sendall(b"sta")	# half a request, no newline
    except OSError:
        pass
    conns.append(s)
print("READY", flush=True)
time.sleep(60)
PY
IDLE_PID=$!
trap 'rc=$?; kill $IDLE_PID 2>/dev/null || true; (exit $rc); cleanup' EXIT
wait_for "idle clients connected" 10 grep -q READY "$T/idle.out"

run_50() {
	local i ok=0 bad=0
	for i in $(seq 50); do
		( "$PMMCTL" status --json > "$T/st.$i" 2> "$T/err.$i"; echo $? > "$T/rc.$i" ) &
	done
	wait_all_50
	for i in $(seq 50); do
		if [ "$(cat "$T/rc.$i")" = 0 ] && jq -e .ok "$T/st.$i" >/dev/null 2>&1; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			# on stderr: stdout is the count the caller reads
			[ $bad -gt 3 ] || echo "  pmmctl $i: rc $(cat "$T/rc.$i"): $(head -c 200 "$T/err.$i")" >&2
		fi
	done
	echo "$ok"
}
wait_all_50() {
	local deadline=$((SECONDS + 60)) i
	for i in $(seq 50); do
		while [ ! -s "$T/rc.$i" ]; do
			[ $SECONDS -lt $deadline ] || fail "pmmctl $i did not finish in 60 s"
			sleep 0.05
		done
	done
}

ok=$(run_50 | tail -n 1)
[ "$ok" = 50 ] || { run_50 >/dev/null; fail "only $ok of 50 concurrent pmmctl status answered"; }
pass "16 idle/half-sent clients, then 50 concurrent pmmctl status: all 50 answered"
rm -f "$T"/rc.* "$T"/st.* "$T"/err.*
ok=$(run_50 | tail -n 1)
[ "$ok" = 50 ] || fail "second round: only $ok of 50 answered"
pass "and again: 50 of 50"

# the idle ones are gone after the request timeout (their sockets see EOF)
kill "$IDLE_PID" 2>/dev/null || true
python3 - "$SOCK" <<'PY' || fail "an idle client was not dropped"
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(20)
t0 = time.time()
assert s.recv(100) == b"", "idle connection got data"
print("  idle connection closed by pmmd after %.1f s" % (time.time() - t0))
PY
pass "an idle client is dropped"

# a client that never reads its answer, and one flooding a line without end
python3 - "$SOCK" <<'PY' &
import socket, sys, time
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
a.connect(sys.argv[1])
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
try:
    for _ in range(20):
        a.sendall(b"config\n")
except OSError:
    pass
b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
b.connect(sys.argv[1])
try:
    b.sendall(b"x" * 100000)
except OSError:
    pass
time.sleep(10)
PY
SLOW=$!
sleep 0.5
for i in $(seq 5); do
	status_json | jq -e .ok >/dev/null || fail "status failed next to a non-reading client"
done
kill $SLOW 2>/dev/null || true
pass "a client that does not read, and one without a newline, block nobody"
kill -0 "$PMMD_PID" || fail "pmmd died"
