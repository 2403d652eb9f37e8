#!/usr/bin/env bash
# bad_keys.sh — keys and files that cannot work stop pmm with exit 78 and one
# clear line, before anything is placed, instead of a tree that reads ready
# and retries for ever (issue 12, item 4):
#  - an env file named with -e that does not exist: pmmd -n, pmmd, pmmctl;
#  - no keys (the default .env absent, or a file without them, and none in
#    the environment): refused before a request reaches the exchange;
#  - an API key pmm-exchange does not know (-2015), a wrong secret (-1022):
#    the tree stops with 78 in bounded time, one line names the setting and
#    the exchange's answer (never the value), pmmd's last line says it was a
#    configuration refusal, and nothing was placed;
#  - an exchange with nothing listening, and one that drops every
#    connection: retried with backoff (a few connections in 10 s), the tree
#    up, fewer than 100 log lines in 10 s.
. "$(dirname "$0")/../integration/lib.sh"
exch_trap
for tool in jq curl python3; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done
unset BINANCE_API_KEY BINANCE_SECRET_KEY EXCHANGE_ENV BINANCE_REST_URL BINANCE_WS_URL

write_config
exch_start --config "$(exch_accounts)" --seed 7
EXCH_URLS=$(printf 'BINANCE_REST_URL=http://127.0.0.1:%s\nBINANCE_WS_URL=ws://127.0.0.1:%s\n' \
	"$EXCH_PORT" "$EXCH_PORT")

# env_file NAME LINES...: a .env (mode 600) in $T
env_file() {
	local f="$T/$1"; shift
	printf '%s\n' "$@" > "$f"
	chmod 600 "$f"
	echo "$f"
}

# run_pmmd SECS ARGS...: pmmd in the background until it exits; its status
# in RC, its output in PMMD_LOG. Fails when it still runs after SECS.
run_pmmd() {
	local secs=$1 deadline; shift
	deadline=$((SECONDS + secs))
	"$PMMD" "$@" >"$PMMD_LOG" 2>&1 &
	PMMD_PID=$!
	while kill -0 "$PMMD_PID" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "pmmd $* still runs after ${secs}s" \
		    "($(wc -l <"$PMMD_LOG") lines logged)"
		sleep 0.1
	done
	RC=0
	wait "$PMMD_PID" || RC=$?
	PMMD_PID=""
}

# the exchange's CLOCK_REALTIME, for /sim/requests?since=
exch_now() { exch_get "/sim/requests?limit=0" | jq .now_ns; }
# requests the exchange received since $1 (ns), optionally on path $2
nreq() { exch_get "/sim/requests?since=$1${2:+&path=$2}&limit=100000" | jq '.requests | length'; }
lines() { wc -l <"$PMMD_LOG"; }

# ---- an env file named with -e that is not there ---------------------------------
MISSING="$T/missing.env"
set +e; out=$("$PMMD" -n -c "$T/config.yaml" -e "$MISSING" 2>&1); rc=$?; set -e
[ $rc -eq 78 ] || fail "pmmd -n -e missing.env: exit $rc, want 78: $out"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "pmmd -n: want one line: $out"
echo "$out" | grep -q "^<3>pmmd: $MISSING: cannot read: No such file or directory\$" ||
	fail "pmmd -n: the line must name the file and the error: $out"
pass "pmmd -n -e missing.env: exit 78, $out"

t0=$(exch_now)
run_pmmd 20 -c "$T/config.yaml" -e "$MISSING"
[ $RC -eq 78 ] || fail "pmmd -e missing.env: exit $RC, want 78"
[ "$(lines)" -eq 1 ] || fail "pmmd -e missing.env: $(lines) lines, want 1"
[ "$(nreq "$t0")" -eq 0 ] || fail "the exchange was asked before the config was refused"
pass "pmmd -e missing.env: exit 78 before touching the exchange"

set +e; out=$("$PMMCTL" -e "$MISSING" -i "t$$" status 2>&1); rc=$?; set -e
[ $rc -eq 78 ] || fail "pmmctl -e missing.env: exit $rc, want 78: $out"
[ "$out" = "pmmctl: $MISSING: cannot read: No such file or directory" ] ||
	fail "pmmctl: $out"
pass "pmmctl -e missing.env: exit 78, one line"

# ---- no keys -------------------------------------------------------------------------------
# the default .env absent and nothing in the environment: pmmd in a directory
# without a .env, no -e
mkdir "$T/nodotenv"
cp "$T/config.yaml" "$T/nodotenv/config.yaml"
set +e; out=$(cd "$T/nodotenv" && "$PMMD" -n 2>&1 -c config.yaml); rc=$?; set -e
[ $rc -eq 78 ] || fail "no .env, no keys: exit $rc, want 78: $out"
echo "$out" | grep -q "BINANCE_API_KEY is not set (no file $T/nodotenv/.env, nor in the environment)" ||
	fail "no .env: $out"
pass "no .env and no keys in the environment: exit 78, $(echo "$out" | cut -c1-80)…"
(cd "$T/nodotenv" && BINANCE_API_KEY=$EXCH_KEY BINANCE_SECRET_KEY=$EXCH_SECRET \
	"$PMMD" -n -c config.yaml >/dev/null) || fail "keys in the environment alone must do"
pass "no .env, keys in the environment: valid"

# a file without the secret, started for real: refused before any request
f=$(env_file nosecret.env "EXCHANGE_ENV=sim" "BINANCE_API_KEY=$EXCH_KEY" "$EXCH_URLS")
t0=$(exch_now)
run_pmmd 20 -c "$T/config.yaml" -e "$f"
[ $RC -eq 78 ] || fail "no secret: exit $RC, want 78"
grep -q "BINANCE_SECRET_KEY is not set (not in $f, nor in the environment)" "$PMMD_LOG" ||
	fail "no secret: $(cat "$PMMD_LOG")"
[ "$(nreq "$t0")" -eq 0 ] || fail "the exchange was asked without a secret"
pass "no BINANCE_SECRET_KEY: exit 78 before touching the exchange"

# ---- keys the exchange refuses -------------------------------------------------------------
# refused NAME SETTING CODE KEY SECRET
refused() {
	local name=$1 setting=$2 code=$3 key=$4 secret=$5 f t0 t1 n last
	f=$(env_file "$name.env" "EXCHANGE_ENV=sim" "BINANCE_API_KEY=$key" \
		"BINANCE_SECRET_KEY=$secret" "$EXCH_URLS")
	t0=$(exch_now)
	t1=$(date +%s%N)
	run_pmmd 60 -c "$T/config.yaml" -e "$f"
	[ $RC -eq 78 ] || fail "$name: exit $RC, want 78"
	n=$(grep -c "refused $setting: .* code $code: " "$PMMD_LOG" || true)
	[ "$n" -eq 1 ] || fail "$name: $n lines name $setting and code $code, want 1"
	last=$(tail -n 1 "$PMMD_LOG")
	echo "$last" | grep -q "^<3>pmmd: stopped: .* refused the configuration" ||
		fail "$name: pmmd's last line: $last"
	! grep -qF -e "$key" -e "$secret" "$PMMD_LOG" || fail "$name: a key value was logged"
	[ "$(nreq "$t0" /fapi/v1/batchOrders)" -eq 0 ] &&
	[ "$(nreq "$t0" /fapi/v1/order)" -eq 0 ] || fail "$name: orders were sent"
	[ "$(lines)" -lt 100 ] || fail "$name: $(lines) lines"
	printf 'ok - %s: exit 78 in %.1f s, %d lines; %s\n' "$name" \
	    "$(awk -v a="$t1" -v b="$(date +%s%N)" 'BEGIN { print (b - a) / 1e9 }')" \
	    "$(lines)" "$(grep "refused $setting" "$PMMD_LOG" | cut -c1-160)"
}
refused "unknown API key" BINANCE_API_KEY -2015 "nosuchkey$$" "$EXCH_SECRET"
refused "wrong secret" BINANCE_SECRET_KEY -1022 "$EXCH_KEY" "wrongsecret$$"

# ---- an exchange that is not there -----------------------------------------------------------
# quiet_for NAME URL-PORT: the tree against it for 10 s: up, few lines
quiet_for() {
	local name=$1 port=$2 f n st
	f=$(env_file "$name.env" "EXCHANGE_ENV=sim" "BINANCE_API_KEY=$EXCH_KEY" \
		"BINANCE_SECRET_KEY=$EXCH_SECRET" \
		"BINANCE_REST_URL=http://127.0.0.1:$port" "BINANCE_WS_URL=ws://127.0.0.1:$port")
	"$PMMD" -c "$T/config.yaml" -e "$f" >"$PMMD_LOG" 2>&1 &
	PMMD_PID=$!
	wait_for "$name: tree ready" 30 tree_ready
	sleep 10	# the length of the observation, not a wait for something
	kill -0 "$PMMD_PID" || fail "$name: pmmd exited"
	n=$(lines)
	# not quoting, why, and since when
	status_json | jq -e '.quoting.quoting == false and
	    .quoting.state == "exchange_unreachable" and .quoting.since_s > 5' >/dev/null ||
		fail "$name: status: $(status_json | jq -c .quoting)"
	st=$(ctl status | sed -n 1p)
	echo "$st" | grep -q "^quoting: no — exchange_unreachable: .* (for [0-9.]*s, since [0-9:]*)$" ||
		fail "$name: status text: $st"
	[ "$n" -lt 100 ] || fail "$name: $n lines in 10 s"
	kill -TERM "$PMMD_PID"
	wait "$PMMD_PID" || fail "$name: pmmd's stop exited $?"
	PMMD_PID=""
	pass "$name: the tree stays up, $n log lines in 10 s; $(echo "$st" | cut -c1-50)…$(echo "$st" | grep -o '(for .*)$')"
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
quiet_for "nothing listening" "$(free_port)"

# a listener that accepts and closes every connection, counting them (gone
# by itself after 120 s, should this script fail before it kills it)
python3 - "$T/drop.port" "$T/drop.count" >/dev/null 2>&1 <<'EOF' &
import signal, socket, sys
signal.alarm(120)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
n = 0
while True:
    c, _ = s.accept()
    c.close()
    n += 1
    open(sys.argv[2], "w").write(str(n))
EOF
DROP_PID=$!
wait_for "the dropping listener" 10 test -s "$T/drop.port"
echo 0 > "$T/drop.count"
quiet_for "every connection dropped" "$(cat "$T/drop.port")"
conns=$(cat "$T/drop.count")
kill "$DROP_PID" 2>/dev/null || true
[ "$conns" -lt 100 ] || fail "$conns connections in about 10 s: that is hammering"
pass "every connection dropped: $conns connections in ~11 s (backoff)"

# ---- the exchange goes away while the tree quotes ------------------------------------------
# quote_state names the root cause (not risk's stale-market pause that
# follows it), with since when; quoting again once the exchange is back
f=$(env_file up.env "EXCHANGE_ENV=sim" "BINANCE_API_KEY=$EXCH_KEY" \
	"BINANCE_SECRET_KEY=$EXCH_SECRET" "$EXCH_URLS")
"$PMMD" -c "$T/config.yaml" -e "$f" >"$PMMD_LOG" 2>&1 &
PMMD_PID=$!
quoting() { status_json | jq -e '.quoting.quoting == true'; }
wait_for "the tree quoting" 60 quoting
exch_stop
gone() {
	status_json | jq -e '.quoting.quoting == false and
	    .quoting.state == "exchange_unreachable" and
	    (.quoting.reason | test("not reachable")) and .quoting.since_s >= 0'
}
wait_for "exchange_unreachable while running" 30 gone
st=$(ctl status | sed -n 1p)
pass "exchange gone while quoting: $(echo "$st" | cut -c1-60)…$(echo "$st" | grep -o '(for .*)$')"
exch_start --config "$T/accounts" --seed 7
wait_for "quoting once the exchange is back" 60 quoting
pass "exchange back: quoting again"
