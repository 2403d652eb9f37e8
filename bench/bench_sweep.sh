#!/usr/bin/env bash
# bench_sweep.sh — sweep scaling: points per second of one grid run by
# `pmm-backtest sweep` on 1 job and on every core (--jobs), from the rate
# line the sweep itself prints. A figure, never a pass/fail.
#
#   bench/bench_sweep.sh [BUILD_DIR [SYNTHETIC_SECONDS [POINTS]]]
#
# Each point is a seeded synthetic backtest of SYNTHETIC_SECONDS (default
# 3600) of virtual time; POINTS (default 8) values of price_offset_percent.
set -euo pipefail

BUILD=${1:-build}
SECS=${2:-3600}
NPTS=${3:-8}
BT="$BUILD/bin/pmm-backtest"
SRC=$(cd "$(dirname "$0")/.." && pwd)
CORES=$(nproc)
[ -x "$BT" ] || { echo "bench_sweep: no $BT (build pmm-backtest first)" >&2; exit 1; }

vals=$(awk -v n="$NPTS" 'BEGIN { for (i = 1; i <= n; i++) printf "%s%.3f", (i > 1 ? "," : ""), 0.005 * i }')
T=$(mktemp -d "${TMPDIR:-/tmp}/bench_sweep.XXXXXX")
trap 'rm -rf "$T"' EXIT

# jobs -> "points/s seconds cpu-seconds-per-point" (cpu: the sweep and its
# children, user + system, from the shell's `times`: it does not grow with
# the load, so it shows what the sweep itself costs per point)
rate() {
	(
		"$BT" sweep -c "$SRC/config/config.yaml" \
			--grid "order_config.price_offset_percent=$vals" \
			--jobs "$1" --out "$T/j$1" -- --synthetic "$SECS" --seed 1 >"$T/j$1.txt"
		times >"$T/j$1.cpu"
	)
	local r s cpu
	read -r r s < <(sed -n 's/.* points in \([0-9.]*\) s (\([0-9.]*\) points\/s.*/\2 \1/p' "$T/j$1.txt")
	cpu=$(awk -v n="$NPTS" 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.3f", t / n }' "$T/j$1.cpu")
	echo "$r $s $cpu"
}

# the scaling means something only on an idle machine: say how busy it was
load=$(cut -d' ' -f1 /proc/loadavg)
read -r r1 s1 c1 < <(rate 1)
read -r rn sn cn < <(rate "$CORES")
printf 'sweep of %d points, %d s synthetic each (%s, load average %s before)\n' \
	"$NPTS" "$SECS" "$(uname -m)" "$load"
printf '  --jobs 1      %8.3f points/s  (%.2f s, %.3f CPU s a point)\n' "$r1" "$s1" "$c1"
printf '  --jobs %-5d  %8.3f points/s  (%.2f s, %.3f CPU s a point)  speed-up %.2fx on %d cores (linear: %dx)\n' \
	"$CORES" "$rn" "$sn" "$cn" "$(awk -v a="$rn" -v b="$r1" 'BEGIN { print a / b }')" "$CORES" "$CORES"
awk -v l="$load" -v c="$CORES" 'BEGIN { if (l + 0 > c / 2)
	printf "  (the machine was busy, load %s on %d cores: other work shared the cores, so the\n   speed-up is not the sweep'"'"'s; equal CPU s a point says the sweep adds nothing per point)\n", l, c }'
