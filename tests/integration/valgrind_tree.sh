#!/usr/bin/env bash
# valgrind_tree.sh — the whole tree under valgrind's memcheck, trading.
#
# pmmd runs under valgrind with --trace-children=yes, so every service it
# forks and execs runs under valgrind too (one log per process; valgrind
# answers readlink(/proc/self/exe) with the client's path, so pmmd still
# finds the services beside itself). The tree quotes against pmm-exchange
# for VG_SECONDS (25 by default) with a reload, a pause, a resume and a
# SIGKILLed risk service (restarted by pmmd) in between, then stops on
# SIGTERM. The WebSocket URL names its host (localhost), so the streams'
# host name lookups (threads of their own) run under valgrind as well. Asserted, for pmmd and each of the four services (the killed
# risk process has no summary: its replacement's log is the one read):
#  - the process exited by itself (its log has the heap summary);
#  - no "definitely lost" block and no error of any kind (invalid read or
#    write, uninitialised value, bad free...): ERROR SUMMARY 0;
#  - no service but the killed one was restarted, and pmmd exits 0.
# "Possibly lost" and "still reachable" blocks are not errors (libraries
# keep some until exit); definite leaks inside a library would go in
# deploy/valgrind.supp, each with a comment (none is needed today).
# valgrind is slow: heartbeat and ready timeouts are raised accordingly, and
# it runs niced so that tests beside it under ctest -j keep their timing.
# Skipped for a sanitizer build (ASan and valgrind do not mix) or without
# valgrind.
. "$(dirname "$0")/lib.sh"
exch_trap

command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 0; }
if grep -Eq '^PMM_(SANITIZE|FUZZ):BOOL=ON' "$PMM_BIN/CMakeCache.txt" 2>/dev/null; then
	echo "skipped: $PMM_BIN is a sanitizer build (valgrind runs the plain build)"
	exit 0
fi
command -v jq >/dev/null || fail "missing jq"

VG_SECONDS=${VG_SECONDS:-25}
VG="$T/vg"
mkdir -p "$VG"

exch_start --config "$(exch_accounts)" --seed 7 --volatility 5
write_config			# for .env; the config itself is this one:
cat > "$T/config.yaml" <<EOF
instance_id: t$$
symbol: BTCUSDT
initial_capital: 100000
max_net_position_ratio: 1
market_stale_after: 3600
logging:
  log_directory: $T/logs
  log_level: info
risk:
  max_loss_usdt: 0
order_config:
  levels: 2
  price_offset_percent: 0.01
refresh_config:
  orderbook_refresh_interval: 1
supervisor:
  heartbeat_interval: 0.5
  heartbeat_timeout: 120
  ready_timeout: 300
  stop_timeout: 120
EOF
exch_env
# the streams by host name: market's and order's lookup threads run too
sed -i "s|^BINANCE_WS_URL=ws://127.0.0.1:|BINANCE_WS_URL=ws://localhost:|" "$T/.env"
grep -q "^BINANCE_WS_URL=ws://localhost:" "$T/.env" || fail "no host name in the WS URL"

supp=()
[ -s "$PMM_SRC/deploy/valgrind.supp" ] && supp=(--suppressions="$PMM_SRC/deploy/valgrind.supp")
nice -n 10 valgrind --trace-children=yes --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
	"${supp[@]}" --log-file="$VG/%p.%n.log" \
	"$PMMD" -c "$T/config.yaml" -e "$T/.env" >"$PMMD_LOG" 2>&1 &
PMMD_PID=$!

wait_for "the tree ready under valgrind" 300 tree_ready
quoting() { status_json | jq -e '.open_orders > 0'; }
wait_for "orders on the exchange" 120 quoting
grep -q "user: connected to ws://localhost:" "$PMMD_LOG" ||
	fail "the user stream did not connect by host name"
pass "tree ready and quoting under valgrind (streams connected to ws://localhost)"

half=$((VG_SECONDS / 2))
sleep "$half"
ctl reload >/dev/null || fail "pmmctl reload failed"
ctl pause "valgrind test" >/dev/null || fail "pmmctl pause failed"
paused() { status_json | jq -e '.strategy_paused == true'; }
wait_for "paused" 60 paused
ctl resume >/dev/null || fail "pmmctl resume failed"
wait_for "quoting again after resume" 120 quoting
# a restart: pmmd's reaping and respawning, the others' bus reconnecting
rpid=$(svc_field risk pid)
kill -KILL "$rpid"
risk_back() { [ "$(svc_field risk restarts)" = 1 ] && [ "$(svc_field risk state)" = ready ]; }
wait_for "risk restarted and ready" 300 risk_back
sleep $((VG_SECONDS - half))
st=$(status_json)
echo "# after ${VG_SECONDS}s: position $(jq -r .position <<<"$st"), open orders $(jq -r .open_orders <<<"$st")," \
	"fill rows in the CSV: $(cat "$T"/logs/*.csv 2>/dev/null | grep -c ',fill,' || true)"
restarts=$(jq -c '[.services[] | [.name, .restarts]]' <<<"$st")
[ "$restarts" = '[["market",0],["order",0],["risk",1],["logger",0]]' ] ||
	fail "unexpected restarts under valgrind: $(jq -c '[.services[] | {name, restarts, last_exit}]' <<<"$st")"
pass "traded ${VG_SECONDS}s with a reload, a pause, a resume and risk SIGKILLed (restarted once); nothing else restarted"

kill -TERM "$PMMD_PID"
rc=0
deadline=$((SECONDS + 300))
while kill -0 "$PMMD_PID" 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "pmmd did not stop within 300 s of SIGTERM"
	sleep 0.2
done
wait "$PMMD_PID" || rc=$?
PMMD_PID=""
# (judged after the logs below are shown: a failure must say what valgrind saw)

# One log per process that ran to its end. A forked child's log before its
# exec has no summary (the exec replaces that valgrind); the exec'd
# service writes its own log.
bad=0
seen=""
for f in "$VG"/*.log; do
	grep -q "HEAP SUMMARY" "$f" || continue
	prog=$(sed -n 's/^==[0-9]*== Command: \([^ ]*\).*/\1/p' "$f" | head -n 1)
	prog=${prog##*/}
	seen="$seen $prog"
	lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d ,)
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d ,)
	echo "# $prog: definitely lost ${lost:-0} bytes, $errs errors," \
		"$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$f") allocations"
	if [ "${lost:-0}" != 0 ] || [ "$errs" != 0 ] ||
	    grep -Eq "Invalid (read|write|free)|uninitialised|Mismatched free" "$f"; then
		echo "---- $f ----"; cat "$f"
		bad=1
	fi
done
[ $bad = 0 ] || fail "valgrind found leaks or errors (logs above)"
grep -q "exited on code 99" "$PMMD_LOG" && fail "a service exited with valgrind's error code: $(grep 'exited on code 99' "$PMMD_LOG")"
[ "$rc" = 0 ] || fail "pmmd exited $rc (99: valgrind found errors in pmmd)"
pass "SIGTERM: the tree stopped, pmmd exited 0"
for p in pmmd pmm-market pmm-order pmm-risk pmm-logger; do
	case " $seen " in *" $p "*) ;; *) fail "no valgrind summary for $p (ran: $seen)" ;; esac
done
pass "valgrind: no definite leak, no error in pmmd and the four services"
