#!/usr/bin/env bash
# cid_clock_step.sh — client order ids stay unique when the wall clock
# steps back. An earlier run whose clock was 11 days ahead left its
# reservation (<log_directory>/.seq-<instance>-sim); this run's clock is
# "behind" it, so ids from the clock alone could repeat that run's. Every
# id this run places must be past the reservation, and the run reserves
# its own block before placing.
. "$(dirname "$0")/../faults/lib.sh"

mkdir -p "$T/logs"
now_us=$(($(date +%s%N) / 1000))
res=$((now_us + 11 * 86400 * 1000000))
echo "reserved $res" > "$T/logs/.seq-$INST-sim"
fault_tree
# seq of each of our client ids (<instance>-<B|S><level>-<seq base 36>)
seqs=$(ours | jq -r '.[].clientOrderId' | sed 's/^.*-//' |
	python3 -c 'import sys; [print(int(l.strip(), 36)) for l in sys.stdin if l.strip()]')
[ -n "$seqs" ] || fail "no orders of ours"
for s in $seqs; do
	[ "$s" -ge "$res" ] || fail "id seq $s is below the earlier run's reservation $res"
done
pass "every client id ($(echo "$seqs" | wc -l)) is past the reservation an earlier run left"
now=$(sed -n 's/^reserved //p' "$T/logs/.seq-$INST-sim")
[ "$now" -gt "$(echo "$seqs" | sort -n | tail -1)" ] || fail "reservation $now not past the ids in use"
grep -q "client ids start at the reservation of an earlier run" "$PMMD_LOG" || fail "the start past the clock is not said"
pass "this run reserved ahead of its own ids ($now)"
