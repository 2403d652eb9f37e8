#!/usr/bin/env bash
# deploy_unit.sh — what `cmake --install` lays down, and the systemd unit:
#  - a staged install (DESTDIR, prefix /usr/local) has pmmd, pmmctl, the four
#    pmm-<service> programs beside pmmd, pmm-exchange, the unit with
#    ExecStart at the installed pmmd, and the config examples in /etc/pmm;
#  - installing again keeps an edited /etc/pmm/config.yaml;
#  - `systemd-analyze verify` finds nothing to say about the unit (run on a
#    copy whose paths point into the staging tree: verify checks that the
#    binaries exist, and --root would also look for systemd's own units and
#    /bin/kill inside the stage);
#  - `systemd-analyze security --offline` rates the unit: the exposure score
#    is printed, never asserted (it is a figure, not a pass mark).
# Skipped, with a message, without cmake or systemd-analyze.
. "$(dirname "$0")/lib.sh"

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
"$STAGE$PREFIX/bin/pmmd" -n -c "$STAGE/etc/pmm/config.yaml" -e "$STAGE/etc/pmm/.env" >/dev/null ||
	fail "the installed config.yaml does not validate"
pass "ExecStart runs $PREFIX/bin/pmmd on /etc/pmm; the installed config validates"

# a second install (an upgrade) keeps the operator's config
echo "# edited by the operator" >> "$STAGE/etc/pmm/config.yaml"
DESTDIR="$STAGE" cmake --install "$PMM_BIN" --prefix "$PREFIX" >"$T/install2.log" 2>&1 ||
	{ cat "$T/install2.log"; fail "second cmake --install failed"; }
tail -n 1 "$STAGE/etc/pmm/config.yaml" | grep -q "edited by the operator" ||
	fail "a second install overwrote /etc/pmm/config.yaml"
pass "reinstall keeps an existing /etc/pmm/config.yaml"

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
