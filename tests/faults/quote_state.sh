#!/usr/bin/env bash
# quote_state.sh — `pmmctl status` says whether the tree is quoting and, if
# not, why (the order service's quote_state in the segment):
#  - an exchange that does not answer: exchange_unreachable, with the phase;
#  - a quoting tree: `quoting: yes`, and {quoting: true, state: "quoting"};
#  - an operator pause: paused, with the operator's reason, then quoting
#    again after resume;
#  - order killed: order_down until it is back, then quoting.
. "$(dirname "$0")/lib.sh"

# ---- nobody answers: a port nothing listens on ---------------------------
write_config
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'BINANCE_REST_URL=http://127.0.0.1:%s\nBINANCE_WS_URL=ws://127.0.0.1:%s\n' \
	"$port" "$port" >> "$T/.env"
start_tree
qstate() { status_json | jq -r '.quoting.state'; }
unreachable() {
	status_json | jq -e '.quoting.quoting == false and
	    .quoting.state == "exchange_unreachable" and
	    (.quoting.reason | test("clock.*not reachable"))'
}
wait_for "exchange_unreachable in status" 30 unreachable
ctl status | grep -q "^quoting: no — exchange_unreachable: clock: exchange not reachable" ||
	fail "status text: $(ctl status)"
pass "unreachable exchange: $(ctl status | grep '^quoting:')"
kill -TERM "$PMMD_PID"; wait "$PMMD_PID" || true; PMMD_PID=""

# ---- a quoting tree -------------------------------------------------------------
fault_tree
quoting() {
	status_json | jq -e '.quoting.quoting == true and .quoting.state == "quoting" and
	    .quoting.reason == "" and .quoting.paused_by == [] and .quoting.since_s >= 0'
}
wait_for "quoting in status" 30 quoting
ctl status | sed -n 1p | grep -q "^quoting: yes (for [0-9.]*s, since [0-9:]*)$" || fail "line 1 of status: $(ctl status)"
pass "quoting tree: quoting: yes"

ctl pause "maintenance window" >/dev/null
paused() {
	status_json | jq -e '.quoting.quoting == false and .quoting.state == "paused" and
	    .quoting.reason == "operator: maintenance window" and
	    .quoting.paused_by == ["operator"]'
}
wait_for "paused in status" 10 paused
ctl status | grep -q "^quoting: no — paused: .*maintenance window" || fail "status text: $(ctl status)"
ctl resume >/dev/null
wait_for "quoting after resume" 10 quoting
pass "pause: paused with the reason, quoting after resume"

old=$(svc_field order pid); kill -KILL "$old"
order_back() { [ "$(svc_field order pid)" != "$old" ] && quoting; }
wait_for "order back and quoting" 60 order_back
pass "order killed: quoting again once it is back"
