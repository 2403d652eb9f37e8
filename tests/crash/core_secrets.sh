#!/usr/bin/env bash
# core_secrets.sh — a core dump of any process of the tree must not hold
# BINANCE_SECRET_KEY: market and logger never sign and never load it, pmmd
# only learns whether it is there, and order and risk keep it in memory
# excluded from core dumps (MADV_DONTDUMP), wiped from their environment.
# Twice: the secret in the -e file, then exported in pmmd's environment
# (the file without it). Each time, once the tree trades (so order and risk
# have signed), gcore takes a core of each of the five processes and grep
# looks for the secret in it, and for the API key in those of pmmd, market
# and logger (order and risk send it in a header: libcurl holds copies of
# it we cannot exclude). Nothing is printed of either.
. "$(dirname "$0")/lib.sh"

command -v gcore >/dev/null || fail "missing gcore (Debian package gdb)"
# an AddressSanitizer build maps terabytes of shadow: gcore would take ages
if grep -qa __asan_init "$PMMD"; then
	echo "SKIP: $PMMD is an AddressSanitizer build"
	exit 0
fi

# distinctive, so a match is ours and never a coincidence
EXCH_KEY="pmmApiKey$(openssl rand -hex 16)"
EXCH_SECRET="pmmSecret$(openssl rand -hex 24)"

crash_exchange --seed 12
crash_config
# gcore stops a process for a while: no watchdog kill meanwhile
sed -i 's/^  heartbeat_timeout: .*/  heartbeat_timeout: 60/' "$T/config.yaml"
sed -i "s/^BINANCE_API_KEY=.*/BINANCE_API_KEY=$EXCH_KEY/; s/^BINANCE_SECRET_KEY=.*/BINANCE_SECRET_KEY=$EXCH_SECRET/" "$T/.env"

settled_any() { ladder_ok "$(ours)"; }
risk_signed() {
	exch_get "/sim/requests?path=/fapi/v2/positionRisk" | jq -e '.requests | length > 0'
}

# check_cores HOW: a core of each process; none may hold the secret
check_cores() {
	local how=$1 name pid core bad=0
	for name in pmmd market order risk logger; do
		if [ "$name" = pmmd ]; then pid=$PMMD_PID; else pid=$(svc_field "$name" pid); fi
		core="$T/core.$name"
		timeout 120 gcore -o "$T/core" "$pid" >/dev/null 2>&1 || fail "gcore $name ($pid)"
		mv "$T/core.$pid" "$core"
		[ -s "$core" ] || fail "no core of $name"
		if grep -qaF "$EXCH_SECRET" "$core"; then
			echo "the secret is in the core of $name ($how)" >&2
			bad=1
		fi
		# order and risk send the API key in a header: libcurl's
		# copies of it are out of our reach; the others have none
		if [ "$name" != order ] && [ "$name" != risk ] &&
		    grep -qaF "$EXCH_KEY" "$core"; then
			echo "the API key is in the core of $name ($how)" >&2
			bad=1
		fi
		rm -f "$core"
	done
	[ $bad -eq 0 ] || fail "a secret in a core dump ($how)"
	pass "no secret in the cores of pmmd, market, order, risk, logger ($how)"
}

run_tree() {
	start_tree
	wait_for "tree ready" 30 tree_ready
	wait_for "a ladder (order has signed)" 30 settled_any
	# risk signs too: its first position read is in the status
	wait_for "risk has read the position" 30 risk_signed
	check_cores "$1"
	kill -TERM "$PMMD_PID"
	wait "$PMMD_PID" || fail "pmmd exited non-zero ($1)"
	PMMD_PID=""
}

run_tree "secret in the -e file"

# the secret exported in pmmd's environment, not in the file
grep -v '^BINANCE_\(API\|SECRET\)_KEY=' "$T/.env" > "$T/env.new"
mv "$T/env.new" "$T/.env"
chmod 600 "$T/.env"
export BINANCE_API_KEY="$EXCH_KEY" BINANCE_SECRET_KEY="$EXCH_SECRET"
run_tree "secret in the environment"
unset BINANCE_API_KEY BINANCE_SECRET_KEY
