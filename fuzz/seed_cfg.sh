#!/usr/bin/env bash
# seed_cfg.sh <corpus-dir> <fuzzer> — the shipped configs (with and without
# a .env part) as the starting corpus for fuzz_cfg.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
for f in "$src"/config/*.yaml; do
	cp "$f" "$1/$(basename "$f")"
	{ cat "$f"; printf '\0'; cat "$src/config/.env.example"; } > "$1/$(basename "$f").env"
done
