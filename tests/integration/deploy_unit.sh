#!/usr/bin/env bash
# deploy_unit.sh — what `cmake --install` lays down, and the systemd unit:
#  - a staged install (DESTDIR, prefix /usr/local) has pmmd, pmmctl, the four
#    pmm-<service> programs beside pmmd, pmm-exchange, the unit with
#    ExecStart at the installed pmmd, and the config examples in /etc/pmm;
#  - installing again keeps an edited /etc/pmm/config.yaml;
#  - `systemd-analyze verify` finds nothing to say about the unit (run on a
#    copy whose paths point into the staging tree: verify checks that the
#    binaries exist, and --root would also look for systemd's own units
#    inside the stage);
#  - `systemd-analyze security --offline` rates the unit: the exposure score
#    is printed, never asserted (it is a figure, not a pass mark);
#  - a rehearsal of the unit without systemd (not PID 1 here): in a private
#    mount namespace where / is read-only (ProtectSystem=strict), only
#    /run/pmm, /var/lib/pmm and /dev/shm are writable (fresh tmpfs each) and
#    /proc shows only the processes of the same user (ProtectProc, ProcSubset),
#    ExecStart's command line (paths into the stage) runs as an unprivileged
#    user (nobody, no new privileges) in WorkingDirectory=/var/lib/pmm with
#    PMM_RUNTIME_DIR and XDG_RUNTIME_DIR unset: the tree gets ready and
#    quotes against pmm-exchange, `pmmctl -c <config> status` run by root
#    finds it in /run/pmm/simple_mm, the CSV lands in /var/lib/pmm/logs,
#    SIGTERM stops it with exit 0.
# Each part is skipped, with a message, without what it needs (cmake;
# systemd-analyze; root with unshare -m and setpriv).
. "$(dirname "$0")/lib.sh"
exch_trap

command -v cmake >/dev/null || { echo "skipped: no cmake"; exit 0; }

STAGE="$T/stage"
PREFIX=/usr/local
DESTDIR="$STAGE" cmake --install "$PMM_BIN" --prefix "$PREFIX" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "cmake --install failed"; }

for p in pmmd pmmctl pmm-market pmm-order pmm-risk pmm-logger pmm-exchange; do
	[ -x "$STAGE$PREFIX/bin/$p" ] || fail "$PREFIX/bin/$p not installed"
done
UNIT="$STAGE$PREFIX/lib/systemd/system/pmmd.service"
[ -f "$UNIT" ] || fail "$PREFIX/lib/systemd/system/pmmd.service not installed"
for f in config.yaml testnet.yaml .env.example; do
	[ -f "$STAGE/etc/pmm/$f" ] || fail "/etc/pmm/$f not installed"
done
[ ! -e "$STAGE/etc/pmm/.env" ] || fail "install must not create /etc/pmm/.env"
pass "cmake --install: 7 programs in $PREFIX/bin, the unit, /etc/pmm examples"

grep -qx "ExecStart=$PREFIX/bin/pmmd -c /etc/pmm/config.yaml -e /etc/pmm/.env" "$UNIT" ||
	fail "ExecStart is not the installed pmmd: $(grep ^ExecStart "$UNIT")"
# no .env yet: refused, naming the file the operator has to create
set +e; out=$("$STAGE$PREFIX/bin/pmmd" -n -c "$STAGE/etc/pmm/config.yaml" \
	-e "$STAGE/etc/pmm/.env" 2>&1); rc=$?; set -e
[ $rc = 78 ] && echo "$out" | grep -q "/etc/pmm/.env: cannot read: No such file" ||
	fail "pmmd -n without /etc/pmm/.env: exit $rc: $out"
install -m 600 "$STAGE/etc/pmm/.env.example" "$STAGE/etc/pmm/.env"
"$STAGE$PREFIX/bin/pmmd" -n -c "$STAGE/etc/pmm/config.yaml" -e "$STAGE/etc/pmm/.env" >/dev/null ||
	fail "the installed config.yaml does not validate with .env.example's keys"
rm -f "$STAGE/etc/pmm/.env"
pass "ExecStart runs $PREFIX/bin/pmmd on /etc/pmm; without its .env: exit 78; the installed config validates"

# a second install (an upgrade) keeps the operator's config
echo "# edited by the operator" >> "$STAGE/etc/pmm/config.yaml"
DESTDIR="$STAGE" cmake --install "$PMM_BIN" --prefix "$PREFIX" >"$T/install2.log" 2>&1 ||
	{ cat "$T/install2.log"; fail "second cmake --install failed"; }
tail -n 1 "$STAGE/etc/pmm/config.yaml" | grep -q "edited by the operator" ||
	fail "a second install overwrote /etc/pmm/config.yaml"
pass "reinstall keeps an existing /etc/pmm/config.yaml"

# ---- the unit rehearsed without systemd ------------------------------------
# rehearse_inner CMD CTL OUT: runs inside `unshare -m`; everything it prints
# goes to OUT, opened before / turns read-only.
rehearse_inner() {
	local cmd=$1 ctl=$2 pid rc st i ready=0 quoting=0
	set -eu
	# a machine that does not let us build this is a skip, not a failure
	{ mount --make-rprivate / &&
	  mount -t tmpfs -o mode=0755 tmpfs /run &&
	  mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
	  mount -t tmpfs -o mode=0755 tmpfs /var/lib &&
	  mkdir -m 0700 /run/pmm /var/lib/pmm &&
	  chown 65534:65534 /run/pmm /var/lib/pmm; } ||
		{ echo "cannot mount tmpfs in a mount namespace"; exit 3; }
	# ProtectProc=invisible, ProcSubset=pid (kernels from 5.8)
	mount -t proc -o subset=pid,hidepid=invisible proc /proc 2>/dev/null ||
		echo "note: no proc subset=pid here; /proc left as it is"
	mount -o remount,bind,ro / ||
		{ echo "cannot remount / read-only in a mount namespace"; exit 3; }
	if touch /etc/pmm-rehearsal 2>/dev/null; then
		rm -f /etc/pmm-rehearsal
		echo "cannot make / read-only"; exit 3
	fi
	unset PMM_RUNTIME_DIR XDG_RUNTIME_DIR
	cd /var/lib/pmm
	# word splitting wanted: the unit's command line. Its log joins OUT
	# (lines "<N>name: ..."): nothing can be created once / is read-only.
	# shellcheck disable=SC2086
	setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
		$cmd 2>&1 &
	pid=$!
	for i in $(seq 600); do
		st=$($ctl status --json 2>/dev/null || true)
		[ -n "$st" ] && echo "$st" | jq -e .tree_ready >/dev/null && ready=1
		if [ $ready = 1 ] && echo "$st" | jq -e '.open_orders > 0' >/dev/null; then
			quoting=1; break
		fi
		sleep 0.1
	done
	echo "ready=$ready quoting=$quoting"
	$ctl status || true
	stat -c 'rundir %U %a %n' /run/pmm/simple_mm /run/pmm/simple_mm/pmmd.sock || true
	ls /var/lib/pmm/logs/metrics-*.csv 2>/dev/null | sed 's/^/csv /' || true
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	echo "pmmd stopped rc=$rc"
}

rehearse() {
	local cmd ctl out="$T/rehearse.log" rc=0
	cmd=$(sed -n 's/^ExecStart=//p' "$UNIT" |
		sed "s#$PREFIX/bin/#$STAGE$PREFIX/bin/#; s#/etc/pmm/#$STAGE/etc/pmm/#g")
	ctl="$STAGE$PREFIX/bin/pmmctl -c $STAGE/etc/pmm/config.yaml"
	# .env.example holds pmm-exchange's demo keys: the operator's .env is
	# that file pointed at this test's exchange, owned by the service user
	{
		cat "$STAGE/etc/pmm/.env.example"
		printf 'BINANCE_REST_URL=http://127.0.0.1:%s\nBINANCE_WS_URL=ws://127.0.0.1:%s\n' \
			"$EXCH_PORT" "$EXCH_PORT"
	} > "$STAGE/etc/pmm/.env"
	chown 65534:65534 "$STAGE/etc/pmm/.env"
	chmod 600 "$STAGE/etc/pmm/.env"
	chmod 755 "$T"		# nobody reaches the staged programs
	unshare -m bash -c "$(declare -f rehearse_inner); rehearse_inner '$cmd' '$ctl'" \
		>"$out" 2>&1 || rc=$?
	rm -f "$STAGE/etc/pmm/.env"
	if [ $rc = 3 ]; then
		echo "skipped (rehearsal): $(tail -n 1 "$out")"
		return 0
	fi
	bad() { echo "---- rehearsal ----"; tail -n 80 "$out"; fail "rehearsal: $*"; }
	[ $rc = 0 ] || bad "exited $rc"
	grep -q "^ready=1 quoting=1$" "$out" || bad "the installed tree did not get ready and quote"
	grep -q "^rundir nobody 700 /run/pmm/simple_mm$" "$out" &&
		grep -q "^rundir nobody [0-7]* /run/pmm/simple_mm/pmmd.sock$" "$out" ||
		bad "the runtime directory is not /run/pmm/simple_mm of the service user"
	grep -q "^csv /var/lib/pmm/logs/metrics-" "$out" || bad "no CSV in /var/lib/pmm/logs"
	grep -q "^pmmd stopped rc=0$" "$out" || bad "pmmd did not exit 0 on SIGTERM"
	pass "rehearsal: read-only /, user nobody: ready, quoting; pmmctl finds" \
		"/run/pmm/simple_mm; CSV in /var/lib/pmm/logs; SIGTERM, exit 0"
}

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null ||
    ! unshare -m true 2>/dev/null; then
	echo "skipped (rehearsal): needs root, unshare -m and setpriv"
else
	# a pinned book: the shipped config's 1000 USDT limit would pause a
	# tree the synthetic market fills fast, racing the quoting check
	exch_start --manual
	exch_pin 60000.0 60000.2
	exch_ticker
	rehearse
fi

# ---- systemd-analyze ------------------------------------------------------
if ! command -v systemd-analyze >/dev/null; then
	echo "skipped: no systemd-analyze (verify and security not run)"
	exit 0
fi
for key in "Type=notify" "NotifyAccess=main" "Restart=on-failure" "WatchdogSec=" \
    "RuntimeDirectory=pmm" "NoNewPrivileges=yes" "ProtectSystem=strict" \
    "ProtectHome=yes" "PrivateTmp=yes" "RestartPreventExitStatus=78"; do
	grep -q "^$key" "$UNIT" || fail "unit lacks $key"
done
# WatchdogSec well above pmmd's ping period (WatchdogSec/3, a loop turn <= 0.1 s)
wd=$(sed -n 's/^WatchdogSec=\([0-9]*\)$/\1/p' "$UNIT")
[ -n "$wd" ] && [ "$wd" -ge 5 ] || fail "WatchdogSec=$wd: want whole seconds >= 5"

VUNIT="$T/verify/pmmd.service"
mkdir -p "$T/verify"
sed "s#$PREFIX/bin/#$STAGE$PREFIX/bin/#g" "$UNIT" > "$VUNIT"
# verify also loads what the unit pulls in (network-online.target, ...): only
# lines about pmmd.service count, but any of those fails the test
if ! (cd "$T/verify" && systemd-analyze verify --man=no "$VUNIT") >"$T/verify.log" 2>&1; then
	cat "$T/verify.log"; fail "systemd-analyze verify failed"
fi
if grep -i "pmmd" "$T/verify.log"; then
	fail "systemd-analyze verify has something to say about pmmd.service"
fi
pass "systemd-analyze verify: no errors, no warnings"

if systemd-analyze security --help 2>&1 | grep -q -- "--offline"; then
	systemd-analyze security --offline=yes --no-pager "$VUNIT" >"$T/security.log" 2>&1 || true
	score=$(grep -o "Overall exposure level for pmmd.service: .*" "$T/security.log" || true)
	[ -n "$score" ] || { cat "$T/security.log"; fail "systemd-analyze security printed no score"; }
	echo "# systemd-analyze security --offline=yes pmmd.service"
	grep "✗" "$T/security.log" | sed 's/^/#   /' || true
	echo "# $score"
	pass "systemd-analyze security rated the unit (figure above, not asserted)"
else
	echo "skipped: this systemd-analyze has no security --offline"
fi
