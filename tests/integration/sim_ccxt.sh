#!/usr/bin/env bash
# sim_ccxt.sh — a third-party Binance client, ccxt (REST and ccxt.pro
# WebSocket), trades on pmm-exchange with only its base URLs changed.
# Needs node and ccxt: set PMM_CCXT_DIR to a directory where
# `npm install ccxt` was run; skipped (with a message) otherwise.
. "$(dirname "$0")/sim_lib.inc"

export NODE_PATH="${PMM_CCXT_DIR:-}/node_modules${NODE_PATH:+:$NODE_PATH}"
if ! command -v node >/dev/null || ! node -e "require('ccxt')" 2>/dev/null; then
	echo "skipped: node with ccxt not found (set PMM_CCXT_DIR)"
	finish
fi
start_exchange --synthetic --seed 5
node "$(dirname "$0")/sim_ccxt.js" "$PORT"
rc=$?
check "ccxt binanceusdm works against pmm-exchange" [ "$rc" = 0 ]
finish
