#!/usr/bin/env bash
# layers.sh — the three parts stay apart (docs/ARCHITECTURE.md, "Parts"):
#   * pmm-logger, which never talks to the exchange, links neither libcurl,
#     OpenSSL nor libwebsockets, and carries no function of the Binance
#     client (bn_*);
#   * the trading core (libpmm_core.a) and the exchange's rules
#     (libpmm_bnproto.a) call no network library, no clock, no file or
#     socket function: what they decide is a function of their arguments,
#     which is what lets pmm-backtest run them on a virtual clock.
# Read from the built objects (readelf, nm), so a new #include or call that
# crosses a line fails here, not in a code review.
source "$(dirname "$0")/lib.sh"

for tool in readelf nm; do
	command -v $tool >/dev/null || fail "$tool not installed (binutils)"
done

logger="$PMM_BIN/bin/pmm-logger"
[ -x "$logger" ] || fail "no $logger"
needed=$(readelf -d "$logger" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
for lib in libcurl libcrypto libssl libwebsockets libuv; do
	if grep -q "^$lib" <<<"$needed"; then
		fail "pmm-logger links $lib: $(tr '\n' ' ' <<<"$needed")"
	fi
done
pass "pmm-logger links none of libcurl, OpenSSL, libwebsockets, libuv"
nbn=$(nm "$logger" | grep -c ' [TtWw] bn_' || true)
[ "$nbn" -eq 0 ] || fail "pmm-logger carries $nbn bn_* functions"
pass "pmm-logger carries no bn_* function"

# every undefined symbol of a pure library is checked against what I/O,
# clocks, randomness and the network libraries are called
forbidden='^(curl_|lws_|uv_|EVP_|HMAC|SSL_|OPENSSL_|clock_gettime$|gettimeofday$|time$|rand$|random$|srand|getrandom$|socket$|connect$|send$|recv$|sendto$|recvfrom$|read$|write$|open$|open64$|openat$|fopen|fwrite$|fread$|fprintf$|printf$|puts$|epoll_|poll$|getenv$|sleep$|usleep$|nanosleep$|log_(err|warn|info|debug))'
for lib in services/core/libpmm_core.a common/binance/libpmm_bnproto.a; do
	a="$PMM_BIN/$lib"
	[ -f "$a" ] || fail "no $a"
	bad=$(nm -u "$a" | awk '{print $NF}' | sort -u | grep -E "$forbidden" || true)
	[ -z "$bad" ] || fail "$lib calls $(tr '\n' ' ' <<<"$bad")"
	pass "$(basename "$a") calls no clock, I/O or network function"
done
