#!/usr/bin/env bash
# seed_sim.sh <corpus-dir> <fuzzer> — a valid request for every endpoint
# pmm-exchange serves (from its routing tables) and a few broken ones as
# the starting corpus for fuzz_sim (the fuzzer writes them itself).
set -euo pipefail
PMM_FUZZ_SEEDS="$1" "$2"
