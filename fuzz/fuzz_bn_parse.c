/*
 * fuzz_bn_parse.c — libFuzzer target over every Binance payload parser.
 *
 * The first byte picks the parser (modulo the table size), the rest is the
 * payload. Any bytes must be refused with a reason or accepted, without a
 * crash, leak, or read outside them. What an accepted exchangeInfo yields
 * is pushed through the filter arithmetic too, and decimal strings through
 * bn_dec_parsen, so the exact-decimal code is fuzzed with the parser.
 *
 * Seed corpus: fuzz/seed_bn_parse.sh <dir> writes every payload of
 * ../shared/data/binance/examples.json with its parser's byte in front.
 *	fuzz/seed_bn_parse.sh corpus && ./fuzz_bn_parse -max_total_time=60 corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bn_filters.h"
#include "bn_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Static: struct bn_event holds a 32 KB book. */
static union {
	struct bn_event			ev;
	struct bn_depth			depth;
	struct bn_order_update		ou;
	struct bn_account_update	au;
	struct bn_batch			batch;
	struct bn_order			orders[8];
	struct bn_position		pos[8];
	struct bn_user_trade		ut[8];
	struct bn_balance		bal[8];
	struct bn_exchange_info		ei;
	struct bn_book_ticker		bt;
	struct bn_trade			tr;
	struct bn_agg_trade		agg;
	struct bn_mark_price		mark;
	struct bn_listen_key_expired	lke;
	struct bn_trade_lite		tl;
	struct bn_ws_result		res;
	struct bn_error			err;
	struct bn_countdown		cd;
	struct bn_leverage		lev;
	char				key[BN_KEYLEN];
	int64_t				ms;
} o;

/* Arithmetic on filters that parsed: none of it may misbehave. */
static void
exercise_filters(const struct bn_filters *f)
{
	char	buf[BN_NUMLEN], msg[512];
	int64_t	t;

	t = bn_price_ticks_floor(f, 60000.1);
	bn_fmt_price(f, t, buf, sizeof(buf));
	bn_price_ticks_str(f, buf);
	bn_price_ticks_ceil(f, 0.3);
	bn_qty_steps_ceil(f, 0.0031);
	bn_fmt_qty(f, f->min_qty_steps, buf, sizeof(buf));
	bn_qty_for_notional(f, 150, t > 0 ? t : 1);
	bn_notional_ok(f, t, f->max_qty_steps);
	bn_price_in_band(f, t, 60000);
	bn_filters_check_size(f, 10, 3, 60000, msg, sizeof(msg));
	bn_filters_check_size(f, 1e9, 500, 0.5, msg, sizeof(msg));
}

static void
fuzz_dec(const char *p, size_t n)
{
	struct bn_dec	d;
	char		buf[BN_NUMLEN];

	if (bn_dec_parsen(p, n, &d) == 0) {
		if (bn_dec_fmt(&d, buf, sizeof(buf)) != 0)
			abort();	/* a parsed decimal always formats */
		bn_dec_double(&d);
	}
}

/* NUL-terminated copy for the string helpers. */
static void
fuzz_str(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return;
	memcpy(s, p, n);
	s[n] = '\0';
	bn_parse_ban_until(s);
	bn_side_from_str(s);
	bn_status_from_str(s);
	bn_exec_from_str(s);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_why	 w;
	const char	*p;
	size_t		 n;
	int		 cnt;

	if (size < 1)
		return 0;
	p = (const char *)data + 1;
	n = size - 1;
	switch (data[0] % 28) {
	case 0: bn_parse_event(p, n, &o.ev, &w); break;
	case 1: bn_parse_book_ticker(p, n, &o.bt, &w); break;
	case 2: bn_parse_trade(p, n, &o.tr, &w); break;
	case 3: bn_parse_agg_trade(p, n, &o.agg, &w); break;
	case 4: bn_parse_mark_price(p, n, &o.mark, &w); break;
	case 5: bn_parse_depth(p, n, &o.depth, &w); break;
	case 6: bn_parse_order_update(p, n, &o.ou, &w); break;
	case 7: bn_parse_account_update(p, n, &o.au, &w); break;
	case 8: bn_parse_listen_key_expired(p, n, &o.lke, &w); break;
	case 9: bn_parse_trade_lite(p, n, &o.tl, &w); break;
	case 10: bn_parse_ws_result(p, n, &o.res, &w); break;
	case 11:
		if (bn_parse_error(p, n, &o.err, &w) == 0)
			bn_error_is_success(&o.err);
		break;
	case 12: bn_parse_empty(p, n, &w); break;
	case 13: bn_parse_server_time(p, n, &o.ms, &w); break;
	case 14: bn_parse_listen_key(p, n, o.key, sizeof(o.key), &w); break;
	case 15: bn_parse_order(p, n, &o.orders[0], &w); break;
	case 16: bn_parse_batch(p, n, &o.batch, &w); break;
	case 17: bn_parse_orders(p, n, o.orders, 8, &cnt, &w); break;
	case 18: bn_parse_countdown(p, n, &o.cd, &w); break;
	case 19: bn_parse_positions(p, n, o.pos, 8, &cnt, &w); break;
	case 20: bn_parse_balances(p, n, o.bal, 8, &cnt, &w); break;
	case 21: bn_parse_leverage(p, n, &o.lev, &w); break;
	case 22: bn_parse_rest_book_ticker(p, n, "BTCUSDT", &o.bt, &w); break;
	case 23: bn_parse_rest_depth(p, n, &o.depth, &w); break;
	case 24:
		/* the example's symbol, and the one pmm trades by default */
		if (bn_parse_exchange_info(p, n, "BLZUSDT", &o.ei, &w) == 0)
			exercise_filters(&o.ei.f);
		if (bn_parse_exchange_info(p, n, "BTCUSDT", &o.ei, &w) == 0)
			exercise_filters(&o.ei.f);
		break;
	case 25: fuzz_str(p, n); break;
	case 26: fuzz_dec(p, n); break;
	case 27: bn_parse_user_trades(p, n, o.ut, 8, &cnt, &w); break;
	}
	return 0;
}
