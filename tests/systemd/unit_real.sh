#!/usr/bin/env bash
# unit_real.sh — deploy/pmmd.service under a real systemd (PID 1 of a
# systemd-nspawn container, see lib.sh), installed the way the README's
# Deployment steps say, trading against a pmm-exchange on the host's
# loopback. Checked:
#  - the README's steps, each run as written (they are matched against the
#    README, so the test fails when the README changes without it): cmake
#    --install (DESTDIR = the container), useradd, the config and .env,
#    `pmmd -n` as pmm, daemon-reload, `enable --now`, `pmmctl status`;
#    the runtime libraries are deploy/README.md's apt-get line;
#  - Type=notify: `systemctl start` returns with every service ready; a
#    --no-block start is never seen active before the tree is ready;
#  - `systemctl reload` has applied a good config when it returns; on a bad
#    one it fails while the unit stays active with the same main PID, the
#    old config kept, the journal and the unit's status text saying why;
#  - a killed service is restarted by pmmd: main PID and NRestarts unchanged;
#  - escalation (a service crashed max_deaths times: exit 2) makes systemd
#    restart the unit; a refused config (exit 78: an order size below the
#    exchange's minimum) does not — the unit stays failed;
#  - a SIGSTOPped pmmd misses the watchdog: systemd kills and restarts it,
#    and the dead tree's quotes go (countdown, reconciliation): the exchange
#    ends up holding exactly the new tree's ladder;
#  - `systemctl stop` leaves no open order on the exchange;
#  - journald keeps each line's priority (info, warning, error), so
#    `journalctl -p err` shows why the tree stopped and nothing less;
#  - `systemd-analyze security pmmd` is at most the exposure documented in
#    deploy/README.md.
# Skipped (saying why) without root or where the kernel cannot run nspawn,
# and for a sanitizer build.
. "$(dirname "$0")/lib.sh"
ct_trap
ct_check_host

# install-deps.sh's run group (when it has one) is for the same machine as
# deploy/README.md's runtime line: it must hold every package of that line
if grep -q '^RUN_PKGS=(' "$PMM_SRC/deploy/install-deps.sh"; then
	run_pkgs=$(bash -c '. <(sed -n "/^RUN_PKGS=(/,/)/p" "$1"); printf "%s\n" "${RUN_PKGS[@]}"' _ \
		"$PMM_SRC/deploy/install-deps.sh" | sort -u)
	lacking=$(comm -23 <(ct_runtime_pkgs | sort -u) <(echo "$run_pkgs"))
	[ -z "$lacking" ] || fail "deploy/install-deps.sh run lacks" $lacking \
		"(deploy/README.md's runtime line, which this test installs and runs on)"
fi

T0=$SECONDS
ct_rootfs
ct_view
ct_boot
pass "systemd $(in_ct systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') booted in a container"

# ---- the README's steps ------------------------------------------------------
# The commands of the README's Deployment block, comments dropped.
README_STEPS=$(awk '/^## Deployment/ { d = 1 } d && /^```sh/ { b = 1; next }
    b && /^```/ { exit } b' "$PMM_SRC/README.md" | sed 's/[[:space:]]*#.*$//' | grep .)
[ -n "$README_STEPS" ] || fail "no sh block in the README's Deployment section"
# step CMD: CMD is one of the README's steps, as written
step() {
	grep -qxF -- "$1" <<<"$README_STEPS" ||
		fail "the README's Deployment steps no longer say '$1': update this test with them"
}

# the build machine's steps: $PMM_BIN is that build (it has the programs)
step "deploy/install-deps.sh build"
step "cmake -S . -B build && cmake --build build -j2 --target programs"
step "sudo cmake --install build"
DESTDIR="$CT_ROOT" cmake --install "$PMM_BIN" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "cmake --install into the container failed"; }
# every library the programs link is there (deploy/README.md's apt-get line)
missing=$(in_ct sh -c 'for p in /usr/local/bin/pmm*; do ldd "$p"; done' | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | sort -u)
[ -z "$missing" ] || fail "not in the container (add their packages to deploy/README.md's apt-get line):" $missing
S="sudo useradd --system --user-group --home-dir /var/lib/pmm --shell /usr/sbin/nologin pmm"
step "$S"; in_ct $S

step "sudo cp /etc/pmm/testnet.yaml /etc/pmm/config.yaml"
in_ct sudo cp /etc/pmm/testnet.yaml /etc/pmm/config.yaml
S="sudo install -m 600 -o pmm -g pmm /etc/pmm/.env.example /etc/pmm/.env"
step "$S"; in_ct $S
# sudoedit: .env.example already says EXCHANGE_ENV=sim with the local
# exchange's demo keys; the edit points it at this test's exchange
step "sudoedit /etc/pmm/.env"
exch_start --manual
echo "$EXCH_PID" > "$T/exchange.pid"	# for lib.sh's guard
printf 'BINANCE_REST_URL=http://127.0.0.1:%s\nBINANCE_WS_URL=ws://127.0.0.1:%s\n' \
	"$EXCH_PORT" "$EXCH_PORT" | in_ct sh -c 'cat >> /etc/pmm/.env'
[ "$(in_ct stat -c '%U %G %a' /etc/pmm/.env)" = "pmm pmm 600" ] ||
	fail "/etc/pmm/.env is not pmm's, mode 600"
# a pinned book (nothing fills, nothing moves: market_stale_after stretched
# to match), and a death window no slow machine can outrun in the
# escalation step: the operator's own edits of config.yaml
exch_post "/sim/book?symbol=BTCUSDT&bid=60000&ask=60000.1" >/dev/null || fail "set the book"
in_ct sed -i -e 's/^market_stale_after: .*/market_stale_after: 3600/' \
	-e 's/^\(  death_window:\) .*/\1 600/' /etc/pmm/config.yaml
S="sudo -u pmm pmmd -n -c /etc/pmm/config.yaml -e /etc/pmm/.env"
step "$S"; in_ct $S >"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "pmmd -n refused the config"; }
grep -q "market_stale_after = 3600" "$T/check.log" || fail "pmmd -n does not show the edited config"
pass "README steps: installed, user pmm, /etc/pmm/config.yaml and .env, pmmd -n validates"

# ---- helpers -----------------------------------------------------------------
EXCH_KEY=$(sed -n 's/^BINANCE_API_KEY=//p' "$CT_ROOT/etc/pmm/.env.example")
EXCH_SECRET=$(sed -n 's/^BINANCE_SECRET_KEY=//p' "$CT_ROOT/etc/pmm/.env.example")
prop() { in_ct systemctl show pmmd -p "$1" --value; }
st() { in_ct pmmctl -i simple_mm status --json 2>/dev/null; }
# all_ready: the tree says it is ready, all four services ready
all_ready() {
	st | jq -e '.tree_ready and ([.services[] | select(.state == "ready")] | length) == 4'
}
svc_pid() { st | jq -r --arg n "$1" '.services[] | select(.name == $n and .state == "ready") | .pid'; }
cfg_text() { in_ct pmmctl -i simple_mm config --json | jq -r .text; }
# exchange side: the demo account's open orders
open_orders() { exch_signed GET /fapi/v1/openOrders "symbol=BTCUSDT" | jq length; }
# a fresh bookTicker first: the pinned book does not move, and a market
# service that (re)connected since it was set has not heard it yet
quoting() {
	exch_post /sim/tick >/dev/null && [ "$(open_orders)" -gt 0 ] &&
		st | jq -e '.open_orders > 0'
}
journal() { in_ct journalctl -u pmmd --no-pager -o cat "$@"; }
# whole outputs are captured before grep reads them: a `grep -q` that quits
# early would fail the pipeline (pipefail) on the writer's SIGPIPE
has() { grep -q -- "$2" <<<"$($1)"; }
count_lines() { grep -c -- "$1" <<<"$(journal)" || true; }
active_as() { [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$1" ] &&
	[ "$(prop MainPID)" != 0 ]; }

# ---- start: Type=notify -----------------------------------------------------
step "sudo systemctl daemon-reload"; in_ct sudo systemctl daemon-reload
step "sudo systemctl enable --now pmmd"
t=$SECONDS
in_ct sudo systemctl enable --now pmmd 2>"$T/enable.log" ||
	{ cat "$T/enable.log"; fail "systemctl enable --now pmmd failed"; }
# the moment `start` returns, the whole tree is ready
all_ready >/dev/null || { st; fail "systemctl start returned before every service was ready"; }
[ "$(prop ActiveState)/$(prop SubState)" = active/running ] || fail "unit is $(prop ActiveState)"
[ "$(prop StatusText)" = "all services ready" ] || fail "status text: $(prop StatusText)"
pass "systemctl enable --now returned in $((SECONDS - t)) s with all four services ready"
S="sudo pmmctl -c /etc/pmm/config.yaml status"
step "$S"; in_ct $S >"$T/status.txt" || { cat "$T/status.txt"; fail "$S failed"; }
grep -q "simple_mm .* ready" "$T/status.txt" || { cat "$T/status.txt"; fail "pmmctl status: not ready"; }
wait_for "the tree quoting on the exchange" 60 quoting
MAIN=$(prop MainPID)
NR=$(prop NRestarts)
pass "$S finds the tree; $(open_orders) orders on the exchange (main pid $MAIN)"

# ---- a killed service is pmmd's to restart ------------------------------------
old=$(svc_pid market)
[ -n "$old" ] || fail "no market pid"
in_ct sh -c 'kill -KILL "$1"' _ "$old"
wait_for "market restarted by pmmd" 60 eval '
	p=$(svc_pid market); [ -n "$p" ] && [ "$p" != "$old" ] && all_ready'
[ "$(prop MainPID)" = "$MAIN" ] || fail "the unit's main pid changed: systemd restarted the tree"
[ "$(prop NRestarts)" = "$NR" ] || fail "NRestarts went from $NR to $(prop NRestarts)"
[ "$(st | jq '.services[] | select(.name == "market") | .restarts')" = 1 ] ||
	fail "pmmd does not count the market's restart"
pass "SIGKILLed market (pid $old) restarted by pmmd as $(svc_pid market); main pid, NRestarts unchanged"

# ---- reload -------------------------------------------------------------------
step "sudo systemctl reload pmmd"
has cfg_text "^order_config.levels = 3 " || fail "levels is not 3 before the reload"
# systemctl reload waits for pmmd's answer: no polling after it
in_ct sed -i 's/^  levels: 3$/  levels: 2/' /etc/pmm/config.yaml
in_ct sudo systemctl reload pmmd || fail "systemctl reload pmmd failed on a good config"
has cfg_text "^order_config.levels = 2 " || fail "systemctl reload returned before the config was applied"
[[ $(prop StatusText) == "config reloaded from /etc/pmm/config.yaml" ]] || fail "status text: $(prop StatusText)"
[ "$(prop MainPID)" = "$MAIN" ] && [ "$(prop ActiveState)" = active ] || fail "unit restarted on reload"
pass "systemctl reload: levels 3 -> 2 applied when it returns, same main pid"

in_ct sed -i 's/^  levels: 2$/  levles: 2/' /etc/pmm/config.yaml
! in_ct sudo systemctl reload pmmd 2>"$T/reload.err" || fail "systemctl reload of a bad config succeeded"
grep -q "Job for pmmd.service failed" "$T/reload.err" || { cat "$T/reload.err"; fail "no job failure from systemctl"; }
REFUSAL=$(journal | grep "pmmd: reload failed, keeping the old config: .*levles" | tail -n 1)
[ -n "$REFUSAL" ] || fail "pmmd's refusal is not in the journal"
[ "$(prop MainPID)" = "$MAIN" ] && [ "$(prop ActiveState)" = active ] ||
	fail "the unit did not stay up on a refused reload"
has cfg_text "^order_config.levels = 2 " || fail "the old config was not kept"
[[ $(prop StatusText) == *levles* ]] || fail "the unit's status text does not say why: $(prop StatusText)"
pass "systemctl reload of a bad config: fails, unit up on the old config, same main pid; journal: $REFUSAL"
in_ct sed -i 's/^  levles: 2$/  levels: 2/' /etc/pmm/config.yaml
in_ct systemctl reload pmmd || fail "systemctl reload of the repaired config failed"

# ---- escalation: exit 2, systemd restarts the unit ---------------------------
max=$(cfg_text | sed -n 's/^supervisor.max_deaths = \([0-9]*\) .*/\1/p')
[ -n "$max" ] || fail "no supervisor.max_deaths in the running config"
sched=$(count_lines "Scheduled restart job")
# the SIGKILL above was the market's first death in the window
restarts() { st | jq '.services[] | select(.name == "market") | .restarts'; }
r0=$(restarts)
need=$((max - r0))
for i in $(seq "$need"); do
	wait_for "market ready before crash $i" 120 eval '[ -n "$(svc_pid market)" ]'
	in_ct pmmctl -i simple_mm debug crash market >/dev/null || fail "pmmctl debug crash market"
	[ "$i" = "$need" ] || wait_for "crash $i restarted by pmmd" 120 eval \
		'[ "$(prop MainPID)" = "$MAIN" ] && [ "$(restarts)" = $((r0 + i)) ]'
done
wait_for "systemd restarting the unit after the escalation" 120 active_as "$MAIN"
wait_for "the new tree ready" 60 all_ready
has journal "pmmd.service: Main process exited, code=exited, status=2/" ||
	fail "the journal does not show pmmd's exit 2"
[ "$(count_lines "Scheduled restart job")" = $((sched + 1)) ] || fail "no 'Scheduled restart job' from systemd"
[ "$(prop NRestarts)" = $((NR + 1)) ] || fail "NRestarts $(prop NRestarts), want $((NR + 1))"
pass "$need crashes of market (death $max in the window): pmmd exited 2, systemd restarted the unit (main pid $MAIN -> $(prop MainPID))"
MAIN=$(prop MainPID)
NR=$(prop NRestarts)

# ---- watchdog -----------------------------------------------------------------
wd=$(prop WatchdogUSec)
t=$SECONDS
in_ct sh -c 'kill -STOP "$1"' _ "$MAIN"
wait_for "systemd killing and restarting the stopped pmmd" 180 active_as "$MAIN"
wait_for "the new tree ready" 60 all_ready
has journal "pmmd.service: Watchdog timeout" || fail "no 'Watchdog timeout' in the journal"
[ "$(prop NRestarts)" = $((NR + 1)) ] || fail "NRestarts $(prop NRestarts), want $((NR + 1))"
pass "SIGSTOPped pmmd: watchdog ($wd) fired, unit restarted after $((SECONDS - t)) s (main pid $MAIN -> $(prop MainPID))"
MAIN=$(prop MainPID)

# the dead tree's quotes (its order service was SIGKILLed: no cancels) go,
# by the exchange's countdown or the new tree's reconciliation: the book
# holds exactly the new ladder
lv=$(cfg_text | sed -n 's/^order_config.levels = \([0-9]*\) .*/\1/p')
wait_for "exactly the new tree's $((2 * lv)) orders on the exchange" 90 eval \
	'quoting && [ "$(open_orders)" = $((2 * lv)) ] && st | jq -e ".open_orders == $((2 * lv))"'
pass "after the watchdog kill the exchange holds exactly the new ladder ($((2 * lv)) orders)"

# ---- a refused configuration: exit 78, no restart -----------------------------
sched=$(count_lines "Scheduled restart job")
in_ct sed -i 's/^  quantity_per_order_usdt: .*/  quantity_per_order_usdt: 50/' /etc/pmm/config.yaml
in_ct systemctl restart pmmd 2>/dev/null || true	# fails when refused before READY=1
wait_for "pmmd exiting 78" 120 eval '[ "$(prop ActiveState)" != active ] && [ "$(prop ExecMainStatus)" = 78 ]'
[ "$(prop ActiveState)/$(prop SubState)" = failed/failed ] ||
	fail "after exit 78 the unit is $(prop ActiveState)/$(prop SubState), not failed (a restart is scheduled?)"
[ "$(count_lines "Scheduled restart job")" = "$sched" ] || fail "systemd scheduled a restart after exit 78"
has journal "order refused the configuration (exit 78)" || fail "the journal does not say why"
[ "$(open_orders)" = 0 ] || fail "orders left after the refusal"
pass "order size below the minimum: exit 78, unit failed and not restarted"

# ---- start again (Type=notify seen from outside), stop: no order left --------
in_ct sed -i 's/^  quantity_per_order_usdt: .*/  quantity_per_order_usdt: 150/' /etc/pmm/config.yaml
in_ct systemctl reset-failed pmmd
in_ct systemctl start --no-block pmmd
seen_activating=0
deadline=$((SECONDS + 90))
while :; do
	a=$(prop ActiveState)
	if [ "$a" = active ]; then
		all_ready >/dev/null || { st; fail "the unit is active before every service is ready"; }
		break
	fi
	[ "$a" = activating ] && seen_activating=1
	[ $SECONDS -lt $deadline ] || fail "the unit is still $a after 90 s"
	sleep 0.05
done
pass "start --no-block: active only with every service ready (seen activating first: $seen_activating)"
wait_for "the tree quoting" 60 quoting
n=$(open_orders)
step "sudo systemctl stop pmmd"
in_ct sudo systemctl stop pmmd || fail "systemctl stop pmmd failed"
[ "$(prop ActiveState)" = inactive ] || fail "unit is $(prop ActiveState) after stop"
[ "$(prop ExecMainStatus)" = 0 ] || fail "pmmd exited $(prop ExecMainStatus) on stop"
[ "$(open_orders)" = 0 ] || fail "$(open_orders) orders left on the exchange after systemctl stop"
[ "$(exch_get /sim/state | jq '[.accounts[].openOrders] | add')" = 0 ] ||
	fail "/sim/state counts open orders after systemctl stop"
pass "systemctl stop: pmmd exited 0, none of the $n orders left on the exchange"

# ---- journald keeps the priorities --------------------------------------------
in_ct journalctl -u pmmd --no-pager -o json >"$T/journal.json"
prio() { jq -r --arg m "$1" 'select((.MESSAGE | type) == "string" and (.MESSAGE | contains($m))) | .PRIORITY' \
	"$T/journal.json" | sort -u | paste -sd, -; }
[ "$(prio "pmmd: tree ready")" = 6 ] || fail "'tree ready' has priority $(prio "pmmd: tree ready"), want 6"
[ "$(prio "pmmd: reload failed, keeping the old config: ")" = 4 ] ||
	fail "the reload refusal has priority $(prio "pmmd: reload failed, keeping the old config: "), want 4"
[ "$(prio "order refused the configuration")" = 3 ] ||
	fail "the exit-78 line has priority $(prio "order refused the configuration"), want 3"
[ "$(prio "escalating, stopping the tree")" = 3 ] ||
	fail "the escalation line has priority $(prio "escalating, stopping the tree"), want 3"
journal -p err >"$T/err.log"
grep -q "refused the configuration" "$T/err.log" && grep -q "escalating" "$T/err.log" ||
	{ cat "$T/err.log"; fail "journalctl -p err does not show why the tree stopped"; }
! grep -q "tree ready\|keeping the old config" "$T/err.log" ||
	fail "journalctl -p err shows info or warning lines"
pass "journal priorities: info 6, reload refusal 4, escalation and exit 78 3; -p err shows only those"

# ---- systemd-analyze security ---------------------------------------------------
doc=$(sed -n 's/.*`systemd-analyze security pmmd` rates the unit \([0-9.]*\).*/\1/p' "$PMM_SRC/deploy/README.md")
[ -n "$doc" ] || fail "deploy/README.md does not give the unit's exposure"
in_ct systemd-analyze security pmmd --no-pager >"$T/security.log" 2>&1 || true
got=$(sed -n 's/.*Overall exposure level for pmmd.service: \([0-9.]*\).*/\1/p' "$T/security.log")
[ -n "$got" ] || { cat "$T/security.log"; fail "systemd-analyze security printed no exposure"; }
grep "✗" "$T/security.log" | sed 's/^/#   /'
in_ct systemd-analyze security pmmd --no-pager --threshold="$(awk -v d="$doc" 'BEGIN { printf "%d", d * 10 + 0.5 }')" >/dev/null 2>&1 ||
	fail "exposure $got is above the documented $doc"
pass "systemd-analyze security pmmd: $got (documented: $doc)"
exch_stop
echo "# unit_real: $((SECONDS - T0)) s"
