#!/usr/bin/env bash
# seed_msg.sh <corpus-dir> <fuzzer> — valid frames of every bus message
# type as the starting corpus for fuzz_msg (the fuzzer writes them itself).
set -euo pipefail
PMM_FUZZ_SEEDS="$1" "$2"
