#!/usr/bin/env bash
# rate_limits.sh — the exchange's rate-limit answers against a quoting tree
# (short Retry-After / ban lengths through the burst's secs=, so the test
# does not wait Binance's 60 s / 2 min):
#  - a 429 storm: after each 429 the bot sends nothing until its Retry-After
#    is over (from /sim/requests), so it never earns a 418; the ladder is
#    whole after;
#  - a 418 ban: no request at all from the bot reaches the exchange until
#    the ban ends, then it quotes again.
# While a fault is on, this script sends no Binance request of its own (it
# sleeps), so every request in the log is the bot's.
. "$(dirname "$0")/lib.sh"
fault_tree
pin_book
burst_left() { exch_get /sim/state | jq .fault.burst_left; }

# ---- 429 storm ----------------------------------------------------------------
RA=3
old=$(cids)
e0=$(exch_now)
t0=$(now_ns)
exch_post "/sim/fault/burst?count=3&status=429&secs=$RA" >/dev/null || fail "burst"
move_book 3
used_up() { [ "$(burst_left)" = 0 ]; }	# /sim calls are not Binance requests
wait_for "the three 429s used" 60 used_up
sleep $((RA + 1))
wait_for "429 storm: a new ladder" 30 all_new "$old"
recovered "429 storm (3 x Retry-After $RA s)" "$t0"
log=$(reqs "$e0")
n418=$(echo "$log" | jq '[.[] | select(.status == 418)] | length')
[ "$n418" -eq 0 ] || fail "$n418 requests answered 418 after the 429s"
# After each 429, nothing until its Retry-After is over: from the process
# that got it, and from the whole bot, which shares the IP's weight and ban
# (the services share their holds through the state segment). In steady state
# positionRisk is the risk service's poll, everything else the order
# service's.
# (The window starts 10 ms after the answer left: requests already in
# flight beside the refused one are not a failure to back off.)
inside() {	# inside JSON STATUS SECS SAME(true|false): per 429/418, the
		# requests inside its window (from the same process or any)
	echo "$1" | jq -c --argjson st "$2" --argjson s "$3" --argjson same "$4" '
	    def who: if .path == "/fapi/v2/positionRisk" then "risk" else "order" end;
	    . as $all | map(select(.status == $st)) |
	    map(. as $x | [$all[] | select(.recv_ns > $x.done_ns + 10000000 and
	        .recv_ns < $x.done_ns + $s * 1000000000 - 100000000 and
	        (($same | not) or (who == ($x | who))))] | length)'
}
same=$(inside "$log" 429 "$RA" true)
any=$(inside "$log" 429 "$RA" false)
[ "$(echo "$same" | jq length)" -eq 3 ] || fail "want 3 x 429 in the log: $same"
echo "$same" | jq -e 'all(. == 0)' >/dev/null ||
	fail "a process sent inside its own Retry-After (per 429: $same): $(echo "$log" | jq -c '[.[] | [.recv_ns, .method, .path, .status]]')"
echo "$any" | jq -e 'all(. == 0)' >/dev/null ||
	fail "429 storm: the other service sent inside a Retry-After (per 429: $any): $(echo "$log" | jq -c '[.[] | [.recv_ns, .method, .path, .status]]')"
pass "429 storm: the whole bot silent for Retry-After after each of the 3 x 429, never a 418"

# ---- 418 ban --------------------------------------------------------------------
BAN=5
old=$(cids)
e0=$(exch_now)
t0=$(now_ns)
exch_post "/sim/fault/burst?count=1&status=418&secs=$BAN" >/dev/null || fail "burst"
move_book -3
wait_for "the 418 used" 60 used_up
sleep $((BAN + 1))
wait_for "418 ban: a new ladder" 30 all_new "$old"
recovered "418 ban ($BAN s)" "$t0"
log=$(reqs "$e0")
same=$(inside "$log" 418 "$BAN" true)
any=$(inside "$log" 418 "$BAN" false)
[ "$(echo "$same" | jq length)" -eq 1 ] || fail "want one 418 in the log: $same"
[ "$same" = "[0]" ] ||
	fail "the banned process sent during the ban: $(echo "$log" | jq -c '[.[] | [.recv_ns, .method, .path, .status]]')"
[ "$any" = "[0]" ] ||
	fail "418 ban: $(echo "$any" | jq '.[0]') requests from the other service during the ban"
after=$(echo "$log" | jq '(map(select(.status == 418)) | first | .recv_ns) as $x |
    [.[] | select(.recv_ns > $x and .status == 200 and .method == "POST" and
        (.path == "/fapi/v1/batchOrders" or .path == "/fapi/v1/order"))] | length')
[ "$after" -ge 1 ] || fail "no placement after the ban"
pass "418 ban: no request from any service for $BAN s, then $after placement(s), ladder whole"

[ "$(status_json | jq '[.services[].restarts] | add')" = 0 ] ||
	fail "a service restarted: $(status_json | jq -c '[.services[] | {name, restarts}]')"
pass "done"
