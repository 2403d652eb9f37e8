#!/usr/bin/env bash
# shm_two_trees.sh — two trees with one instance name never share a segment.
#
# The lock that allows one pmmd per instance lives in the runtime directory,
# so a second tree with the same instance_id and another PMM_RUNTIME_DIR is
# allowed to start. Its state segment must be its own: named after the
# runtime directory, it neither unlinks the first tree's segment nor hands
# it to the first tree's services when they restart. Each tree quotes
# against its own pmm-exchange (manual books at 60000 and at 30000); after
# the first tree's market and risk services restart (they attach by name),
# each tree must still see only its own market, for several seconds.
# Failed before the fix: the restarted market of tree 1 wrote 60000 into
# tree 2's segment, whose mid then read 60000 instead of 30000.
. "$(dirname "$0")/../integration/lib.sh"
for tool in jq curl; do
	command -v "$tool" >/dev/null || fail "missing $tool"
done

T2="$T/two"
P2=""
EXB_PID=""
two_cleanup() {
	local rc=$?
	set +e
	[ -z "$P2" ] || { kill -TERM "$P2" 2>/dev/null; wait "$P2" 2>/dev/null; }
	[ -z "$EXB_PID" ] || kill -KILL "$EXB_PID" 2>/dev/null
	[ -z "$EXCH_PID" ] || kill -KILL "$EXCH_PID" 2>/dev/null
	if [ $rc -ne 0 ] && [ -f "$T2/pmmd.log" ]; then
		echo "---- tree 2 pmmd log (last 30 lines) ----"; tail -n 30 "$T2/pmmd.log"
	fi
	(exit $rc)
	cleanup
}
trap two_cleanup EXIT

book() {	# book PORT MID: a pinned one-level book around MID
	curl -sf -X POST "http://127.0.0.1:$1/sim/book?symbol=BTCUSDT&bid=$2&ask=$(awk -v m="$2" 'BEGIN { printf "%.1f", m + 0.1 }')&qty=5" \
		>/dev/null
}
st1() { status_json; }
st2() { PMM_RUNTIME_DIR="$T2/run" "$PMMCTL" status --json 2>/dev/null; }
# mid_is JSON MID: the tree's mid is within 1 of MID
mid_is() { echo "$1" | jq -e --argjson m "$2" '.mid_price != null and ((.mid_price - $m) | fabs) < 1' >/dev/null; }
# sees N PORT MID: tree N shows MID (the book is re-sent: a manual exchange
# streams a bookTicker only when the book changes)
sees() {
	local j
	book "$2" "$3" || return 1
	if [ "$1" = 1 ]; then j=$(st1); else j=$(st2); fi
	mid_is "$j" "$3"
}

# tree 1: exchange A at 60000
# (an account for write_config's key: a refused key stops a tree with 78)
exch_start --manual --config "$(exch_accounts)"
book "$EXCH_PORT" 60000
write_config "market_stale_after: 3600"
exch_env
start_tree
wait_for "tree 1 ready" 30 tree_ready
wait_for "tree 1 sees 60000" 30 sees 1 "$EXCH_PORT" 60000

# tree 2: same instance, its own runtime dir, logs and exchange B at 30000
mkdir -p "$T2"
"$EXCH_BIN" --port 0 --port-file "$T2/port" --manual --config "$T/accounts" \
	>>"$T2/exchange.log" 2>&1 &
EXB_PID=$!
wait_for "exchange B listening" 30 test -s "$T2/port"
EXB_PORT=$(cat "$T2/port")
wait_for "exchange B answering" 30 curl -sf "http://127.0.0.1:$EXB_PORT/fapi/v1/ping"
book "$EXB_PORT" 30000
sed "s|log_directory: .*|log_directory: $T2/logs|" "$T/config.yaml" > "$T2/config.yaml"
sed "s|:$EXCH_PORT|:$EXB_PORT|g" "$T/.env" > "$T2/.env"
chmod 600 "$T2/.env"
PMM_RUNTIME_DIR="$T2/run" "$PMMD" -c "$T2/config.yaml" -e "$T2/.env" >"$T2/pmmd.log" 2>&1 &
P2=$!
wait_for "tree 2 ready" 30 bash -c "PMM_RUNTIME_DIR='$T2/run' '$PMMCTL' status --json | jq -e .tree_ready"
wait_for "tree 2 sees 30000" 30 sees 2 "$EXB_PORT" 30000
kill -0 "$PMMD_PID" || fail "tree 1's pmmd died when tree 2 started"
pass "two trees of instance t$$ run side by side"

n=$(ls /dev/shm | grep -c "^pmm-t$$-$(id -u)" || true)
[ "$n" -eq 2 ] || fail "expected two segments for instance t$$, found $n: $(ls /dev/shm | grep "pmm-t$$" | tr '\n' ' ')"
s1=$(st1 | jq -r .segment.name); s2=$(st2 | jq -r .segment.name)
[ "$s1" != "$s2" ] || fail "both trees report segment $s1"
pass "each tree has its own segment ($s1, $s2)"

# tree 1's services restart and attach the segment by name again
for svc in market risk; do
	old=$(st1 | jq -r --arg n "$svc" '.services[] | select(.name==$n) | .pid')
	ctl debug crash "$svc" >/dev/null || fail "debug crash $svc"
	wait_for "tree 1 $svc back" 30 bash -c "'$PMMCTL' status --json | jq -e --arg n $svc --argjson o $old \
	    '.tree_ready and (.services[] | select(.name==\$n) | .pid != \$o and .state == \"ready\")'"
done
# tree 1's market streams again (its restarted copy publishes 60000)
wait_for "tree 1 sees 60000 again" 30 sees 1 "$EXCH_PORT" 60000

# each tree keeps seeing its own market only
end=$((SECONDS + 4))
while [ $SECONDS -lt $end ]; do
	a=$(st1) && b=$(st2) || fail "status failed"
	mid_is "$a" 60000 || fail "tree 1 reads another market: mid $(echo "$a" | jq .mid_price)"
	mid_is "$b" 30000 || fail "tree 2 reads another market: mid $(echo "$b" | jq .mid_price)"
	sleep 0.2
done
pass "after restarts each tree still reads only its own market"
