# lib.sh — a real systemd in a container, for the unit tests (sourced, not run).
#
# The unit is tested under the systemd it is written for: a Debian root
# file system (debootstrap, the host's release, the packages below), booted
# with systemd-nspawn so that systemd is the container's PID 1, driven with
# `nsenter … systemctl`. The container shares the host's network, so the
# tree inside reaches a pmm-exchange the test runs on the host's loopback.
#
# The root file system is built once and cached outside the clone in
# /var/cache/pmm-nspawn-root-<hash of release, packages, recipe> (debootstrap
# takes minutes); each test boots its own copy-on-write view of it (an
# overlay in the test's directory), so the cache is never written to. A
# machine without the cache builds it (under a lock: parallel runs build it
# once). The exit trap always powers the container off, kills it if it does
# not go, and unmounts the overlay, before lib.sh's own cleanup.
. "$(dirname "$0")/../integration/lib.sh"

# in_ct CMD...: run CMD in the container (all its namespaces), with a clean
# environment as a root shell there would have it.
CT_PID=""		# the container's PID 1 (systemd), as the host sees it
NSPAWN_PID=""
CT_ROOT="$T/root"
CT_LOG="$T/nspawn.log"
CT_MOUNTED=""
in_ct() {
	nsenter -t "$CT_PID" -a -- /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 HOME=/root "$@"
}

# ct_skip WHY: this machine cannot run the container. In CI (CI=true) a
# missing tool is a failure: deploy/install-deps.sh installs them.
ct_skip() {
	echo "skipped: $*"
	exit 0
}

# ct_check_host: root, the tools, a kernel that lets nspawn boot.
ct_check_host() {
	local t
	[ "$(id -u)" = 0 ] || ct_skip "needs root (debootstrap, systemd-nspawn)"
	for t in debootstrap systemd-nspawn nsenter jq curl; do
		if ! command -v "$t" >/dev/null; then
			[ "${CI:-}" != true ] || fail "missing $t (deploy/install-deps.sh installs it)"
			ct_skip "missing $t (deploy/install-deps.sh installs it)"
		fi
	done
	# the programs are copied into the container: a sanitizer build needs
	# its runtime there too (the plain build runs this test)
	if grep -q '^PMM_SANITIZE:BOOL=ON' "$PMM_BIN/CMakeCache.txt" 2>/dev/null; then
		ct_skip "sanitizer build (the container has no libasan; the plain build runs this test)"
	fi
	# nspawn needs PID, mount, IPC and UTS namespaces
	unshare -pmiuf --mount-proc true 2>/dev/null ||
		ct_skip "the kernel does not allow PID/mount/IPC/UTS namespaces here"
}

# ct_mirror: the Debian mirror the host's apt uses (deb822 or one-line
# sources), else deb.debian.org; PMM_DEBIAN_MIRROR overrides.
ct_mirror() {
	local m=""
	if [ -n "${PMM_DEBIAN_MIRROR:-}" ]; then
		echo "$PMM_DEBIAN_MIRROR"; return
	fi
	m=$(awk -v rel="$1" '
	    /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) s = 1 }
	    /^$/ { if (s && uri != "") { print uri; exit } uri = ""; s = 0 }
	    END { if (s && uri != "") print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$m" ] || m=$(awk -v rel="$1" '$1 == "deb" && $0 ~ " " rel " " {
	    for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
	    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# ct_runtime_pkgs: the libraries the installed programs need, exactly as
# deploy/README.md tells the operator to install them (one line there).
ct_runtime_pkgs() {
	local line
	line=$(grep '^sudo apt-get install ' "$PMM_SRC/deploy/README.md") ||
		fail "deploy/README.md has no 'sudo apt-get install' line for the runtime libraries"
	[ "$(echo "$line" | wc -l)" = 1 ] || fail "deploy/README.md: more than one 'sudo apt-get install' line"
	echo "$line" | sed 's/^sudo apt-get install //; s/--[a-z-]*//g' | tr -s ' ' '\n' | grep . | sort
}

# ct_rootfs: the cached root file system (built when absent); its path in
# CT_CACHE. The key covers what goes in it: release, packages, this recipe.
CT_RECIPE=1		# bump when the preparation below changes
ct_rootfs() {
	local rel pkgs key tmp mirror t0
	rel=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$rel" ] || fail "no VERSION_CODENAME in /etc/os-release"
	# systemd as PID 1, D-Bus for systemctl, sudo for the README's steps
	pkgs=$( { printf '%s\n' systemd systemd-sysv dbus sudo; ct_runtime_pkgs; } | sort -u | paste -sd, -)
	key=$(printf '%s\n' "$rel" "$pkgs" "$CT_RECIPE" | sha256sum | cut -c1-16)
	CT_CACHE="${PMM_NSPAWN_CACHE:-/var/cache}/pmm-nspawn-root-$key"
	mkdir -p "$(dirname "$CT_CACHE")"
	exec 8>"$CT_CACHE.lock"
	flock 8
	if [ ! -x "$CT_CACHE/lib/systemd/systemd" ]; then
		mirror=$(ct_mirror "$rel")
		tmp="$CT_CACHE.tmp"
		rm -rf "$tmp" "$CT_CACHE"	# a half-built one from an interrupted run
		echo "# building the container's root file system ($rel from $mirror," \
			"cached in $CT_CACHE)"
		t0=$SECONDS
		debootstrap --variant=minbase --include="$pkgs" "$rel" "$tmp" "$mirror" \
			>"$T/debootstrap.log" 2>&1 ||
			{ tail -n 30 "$T/debootstrap.log"; rm -rf "$tmp"; fail "debootstrap failed"; }
		# a name of its own that resolves (sudo asks), no login prompt on
		# the console, no package caches in the cache
		echo pmm-ct > "$tmp/etc/hostname"
		printf '127.0.0.1\tlocalhost\n127.0.1.1\tpmm-ct\n::1\tlocalhost\n' > "$tmp/etc/hosts"
		ln -sf /dev/null "$tmp/etc/systemd/system/console-getty.service"
		rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
		mv "$tmp" "$CT_CACHE"
		echo "# root file system built in $((SECONDS - t0)) s"
	fi
	# held shared while the test runs: a newer key's build may prune this
	# cache only when no test uses it
	flock -s 8
	ct_prune
}

# ct_prune: remove the caches of other keys (older package lists) that no
# running test holds.
ct_prune() {
	local l d
	for l in "$(dirname "$CT_CACHE")"/pmm-nspawn-root-*.lock; do
		[ -e "$l" ] && [ "$l" != "$CT_CACHE.lock" ] || continue
		d=${l%.lock}
		exec 9>"$l"
		if flock -n -x 9; then
			echo "# removing an unused root file system: $d"
			rm -rf "$d" "$d.tmp" "$l"
		fi
		exec 9>&-
	done
}

# ct_view: the test's writable view of the cache in CT_ROOT (an overlay;
# a copy where overlays cannot be mounted).
ct_view() {
	mkdir -p "$T/ovl/upper" "$T/ovl/work" "$CT_ROOT"
	if mount -t overlay overlay -o "lowerdir=$CT_CACHE,upperdir=$T/ovl/upper,workdir=$T/ovl/work" \
	    "$CT_ROOT" 2>/dev/null; then
		CT_MOUNTED=1
	else
		echo "# no overlay mount here: copying the root file system"
		cp -a "$CT_CACHE/." "$CT_ROOT/"
	fi
}

# ct_boot: systemd-nspawn boots the view; returns once systemd says the
# system is up (running, or degraded: named).
ct_boot() {
	local st
	CT_NAME="pmm-$$"
	systemd-nspawn -D "$CT_ROOT" --machine="$CT_NAME" --register=no --keep-unit \
		--console=read-only -b >"$CT_LOG" 2>&1 </dev/null &
	NSPAWN_PID=$!
	ct_guard
	wait_for "the container's systemd to start" 120 ct_find_init
	echo "$CT_PID" > "$T/ct.init"
	wait_for "the container to finish booting" 180 ct_booted
	st=$(in_ct systemctl is-system-running 2>/dev/null || true)
	if [ "$st" != running ]; then
		echo "# container is $st:"; in_ct systemctl --failed --no-pager --plain | sed 's/^/#   /'
	fi
}
ct_find_init() {
	kill -0 "$NSPAWN_PID" 2>/dev/null || { tail -n 20 "$CT_LOG"; fail "systemd-nspawn exited"; }
	CT_PID=$(pgrep -P "$NSPAWN_PID" -x systemd | head -n 1)
	[ -n "$CT_PID" ]
}
ct_booted() {
	case $(in_ct systemctl is-system-running 2>/dev/null) in
	running|degraded) return 0 ;;
	*) return 1 ;;
	esac
}

# ct_guard: for a test killed outright (SIGKILL: a runner's timeout), which
# runs no trap: the container's PID 1 survives a killed nspawn. A detached
# watcher waits for the test's shell to go; if the test's directory is still
# there (no cleanup ran) it kills the container and the exchange, unmounts
# and removes the directory. Double-forked, in a session of its own, so
# whoever kills the test's process tree does not find it.
ct_guard() {
	( setsid bash -c '
		is() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
		while kill -0 "$1" 2>/dev/null; do sleep 1; done
		[ -d "$2" ] || exit 0
		init=$(cat "$2/ct.init" 2>/dev/null || true)
		[ -n "$init" ] || init=$(pgrep -P "$3" -x systemd)
		! is "$init" systemd || kill -KILL "$init"
		! is "$3" systemd-nspawn || kill -KILL "$3"
		ex=$(cat "$2/exchange.pid" 2>/dev/null || true)
		! is "$ex" pmm-exchange || kill -KILL "$ex"
		for _ in 1 2 3 4 5 6 7 8 9 10; do is "$3" systemd-nspawn || break; sleep 1; done
		umount "$2/root" 2>/dev/null || umount -l "$2/root" 2>/dev/null
		rm -rf --one-file-system "$2"' _ "$$" "$T" "$NSPAWN_PID" \
		</dev/null >/dev/null 2>&1 & )
}

# ct_cleanup: power the container off (kill it after 90 s), unmount the
# view. Safe to call twice and at any stage.
ct_cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null	# nspawn: an orderly poweroff
		for _ in $(seq 900); do
			kill -0 "$NSPAWN_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$NSPAWN_PID" 2>/dev/null; then
			echo "# the container did not power off in 90 s: killing it"
			# SIGKILL to its PID 1 ends every process in its namespace
			[ -z "$CT_PID" ] || kill -KILL "$CT_PID" 2>/dev/null
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		fi
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	NSPAWN_PID=""
	if [ -n "$CT_MOUNTED" ]; then
		umount "$CT_ROOT" 2>/dev/null || umount -l "$CT_ROOT" ||
			echo "# cannot unmount $CT_ROOT"
		CT_MOUNTED=""
	fi
}

# ct_trap: the exit trap stops the exchange, then the container, then runs
# lib.sh's cleanup (which removes $T: only once nothing is mounted there).
# PMM_CT_JOURNAL=FILE keeps the container's whole journal there.
ct_trap() {
	trap 'rc=$?; set +e; [ -z "$EXCH_PID" ] || kill -KILL "$EXCH_PID" 2>/dev/null
	    if [ -n "${PMM_CT_JOURNAL:-}" ] && [ -n "$CT_PID" ] && [ -n "$NSPAWN_PID" ]; then
		in_ct journalctl --no-pager -o short-precise >"$PMM_CT_JOURNAL" 2>&1
	    fi
	    if [ $rc -ne 0 ] && [ -n "$CT_PID" ] && [ -n "$NSPAWN_PID" ]; then
		echo "---- journal of pmmd.service (last 60 lines) ----"
		in_ct journalctl -u pmmd --no-pager -n 60 2>/dev/null
	    fi
	    if [ $rc -ne 0 ] && [ -f "$EXCH_LOG" ]; then
		echo "---- pmm-exchange log (last 20 lines) ----"; tail -n 20 "$EXCH_LOG"
	    fi
	    ct_cleanup; (exit $rc); cleanup' EXIT
	# bash runs no EXIT trap when a signal ends it: make them exits
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
