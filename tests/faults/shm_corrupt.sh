#!/usr/bin/env bash
# shm_corrupt.sh — stray writes into a quoting tree's state segment.
#
# shm_poke writes the active copy of a section in place, without the
# checksum its writer would store. Each time: the readers refuse the copy
# (no service acts on it), pmmd logs what it found and has the section
# rewritten, status names the corrupt section while it is, and the ladder
# keeps quoting (or comes back). The cases:
#  - the operator pause flag set in pmmd's procs section (the issue: order
#    cancelled everything and stopped quoting, silently, status "running");
#  - risk's heartbeat record with a 6351628675370622222 ms rate-limit hold
#    (the issue: every request of order held for ever, an overflow);
#  - risk's section filled with random bytes, including its pause flag;
#  - order's own section filled with random bytes.
. "$(dirname "$0")/lib.sh"
POKE="$PMM_BIN/tests/shm_poke"
[ -x "$POKE" ] || fail "no $POKE (build it first)"
fault_tree
pin_book
SEG=$(status_json | jq -r .segment.name)
[ -n "$SEG" ] && [ "$SEG" != null ] || fail "status names no segment"

# full_for SECONDS: the whole ladder stays live on the exchange, sampled
full_for() {
	local end=$((SECONDS + $1)) n
	while [ $SECONDS -lt "$end" ]; do
		n=$(ours | jq length)
		[ "$n" -eq $((LEVELS * 2)) ] || fail "$n orders live, want $((LEVELS * 2)): $(ours)"
		sleep 0.1
	done
}
not_paused() { status_json | jq -e '.strategy_paused == false' >/dev/null; }
seg_whole() { status_json | jq -e '.segment.corrupt == []' >/dev/null; }
logged() { grep -q -- "$1" "$PMMD_LOG"; }
# svc_back_ready SVC OLDPID: a new pid, ready
svc_back_ready() {
	status_json | jq -e --arg n "$1" --argjson o "$2" '.services[] |
	    select(.name == $n) | .pid != $o and .state == "ready"' >/dev/null
}
# moves_on: the ladder follows a new mid (nothing holds order's requests)
moves_on() {
	local old
	old=$(cids)
	move_book 3
	wait_for "$1: a new ladder" 30 all_new "$old"
}

# ---- the operator pause flag -----------------------------------------------
"$POKE" "$SEG" procs pause >/dev/null || fail "poke procs"
full_for 2
wait_for "pmmd's repair logged" 10 logged "procs section corrupt; pmmd rewrote it"
not_paused || fail "status says paused after a poked flag"
seg_whole || fail "segment still corrupt: $(status_json | jq -c .segment)"
moves_on "after the procs poke"
pass "a poked operator pause: refused, logged, rewritten by pmmd, the ladder untouched"

# ---- an absurd rate-limit hold in risk's heartbeat record --------------------
# risk is stopped first so that it cannot rewrite its record at its next
# heartbeat: the hold stays until pmmd kills the silent risk and a new one
# starts -- which used to continue from the poked record, hold included.
rpid=$(status_json | jq '.services[] | select(.name == "risk") | .pid')
kill -STOP "$rpid"
"$POKE" "$SEG" hb-risk hold >/dev/null || fail "poke hb-risk"
moves_on "after the hold poke"
kill -CONT "$rpid" 2>/dev/null || true
wait_for "hb[risk] whole again" 30 seg_whole
wait_for "the corrupt hb[risk] logged" 10 logged "hb\[risk\] section"
wait_for "the tree ready" 30 tree_ready
full_for 1
pass "a poked 6351628675370622222 ms hold: refused, logged, the ladder kept moving"

# ---- risk's pause flag, risk silent ------------------------------------------
# (risk stopped: it would rewrite its section at its next check)
rpid=$(status_json | jq '.services[] | select(.name == "risk") | .pid')
kill -STOP "$rpid"
"$POKE" "$SEG" risk pause >/dev/null || fail "poke risk"
full_for 1
wait_for "the corrupt risk section logged" 10 logged "risk section corrupt; waiting"
kill -CONT "$rpid" 2>/dev/null || true
wait_for "risk section rewritten" 30 seg_whole
wait_for "not paused" 30 not_paused
wait_for "the tree ready" 30 tree_ready
moves_on "after the risk poke"
pass "risk's pause flag poked: refused, logged, rewritten; quoting on"

# ---- risk's section, random bytes (risk rewrites it at its next check) ---------
"$POKE" "$SEG" risk random >/dev/null || fail "poke risk"
full_for 1
wait_for "risk section rewritten" 30 seg_whole
moves_on "after the risk poke"
pass "risk's section overwritten: never used; quoting on"

# ---- order's own section, random bytes -----------------------------------------
"$POKE" "$SEG" orders random >/dev/null || fail "poke orders"
wait_for "the corrupt orders section logged" 10 logged "orders section"
wait_for "orders section rewritten" 30 seg_whole
moves_on "after the orders poke"
wait_for "the ladder whole and tracked" 30 settled
pass "order's section overwritten: refused, logged, rewritten; quoting on"

# ---- market's section, random bytes, the book pinned ------------------------------
# market writes its section on each book update and the book is pinned: it
# does not rewrite it by itself, so pmmd restarts it. Meanwhile risk reads
# no trusted price (stale) and quoting stops; it comes back with the book.
mpid=$(status_json | jq '.services[] | select(.name == "market") | .pid')
"$POKE" "$SEG" market random >/dev/null || fail "poke market"
wait_for "pmmd saw the corrupt market section" 10 logged "market section corrupt; waiting"
wait_for "pmmd restarts market" 10 logged "market section still corrupt after"
wait_for "market section rewritten" 30 seg_whole
wait_for "market whole again, logged" 10 logged "market section is whole again"
wait_for "a new market" 30 svc_back_ready market "$mpid"
old=$(cids)
move_book 3
wait_for "quoting back after the market poke" 30 all_new "$old"
pass "market's section overwritten: pmmd restarted market, it rewrote it; quoting back"

reps=$(status_json | jq .segment.repairs)
echo "segment repairs by pmmd: $reps; corrupt reads: $(status_json | jq .segment.corrupt_reads)"
grep -E "state segment" "$PMMD_LOG" | sed 's/^/  /' | head -20
