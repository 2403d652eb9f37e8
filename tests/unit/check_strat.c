/*
 * check_strat.c — the quoting strategy as a pure function: level prices on
 * every kind of tick with bids rounded down and asks up (exact expected
 * values, worked out in the comments), quantities against minQty and
 * MIN_NOTIONAL, the client order id scheme, replace vs tolerance diffs,
 * pause/stale/bad book -> cancel everything, clamping and bad input.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_filters.h"
#include "strat.h"
#include "check_run.h"

static const struct strat_impl	*impl;
static struct strat_in		 in;
static struct strat_out		 out;
static struct strat_order	 ords[STRAT_MAX_OPEN + 1];

/* BTCUSDT-like: tick 0.1, step 0.001, minQty 0.001, MIN_NOTIONAL 100. */
static void
setup(void)
{
	char err[256];

	impl = strat_find("simple_mm", err, sizeof(err));
	ck_assert_ptr_nonnull(impl);
	memset(&in, 0, sizeof(in));
	memset(&out, 0xa5, sizeof(out));	/* eval must set every count */
	memset(ords, 0, sizeof(ords));
	in.mkt.bid = 60000.0;
	in.mkt.ask = 60000.1;
	in.mkt.mid = 60000.05;
	in.cfg.levels = 3;
	in.cfg.qty_usdt = 150;
	in.cfg.offset_pct = 0.01;
	in.cfg.refresh_mode = CFG_REFRESH_REPLACE;
	in.cfg.tolerance_pct = 0.005;
	in.flt.tick = 0.1;
	in.flt.step = 0.001;
	in.flt.min_qty = 0.001;
	in.flt.min_notional = 100;
	in.instance = "simple_mm";
	in.next_seq = 1000;
	in.refresh = true;
	in.open = ords;
}

static const struct strat_quote *
rung(int side, int level)
{
	int i;

	for (i = 0; i < out.n_desired; i++)
		if (out.desired[i].side == side && out.desired[i].level == level)
			return &out.desired[i];
	return NULL;
}

static void
assert_px(const struct strat_quote *q, double tick, const char *want)
{
	char buf[64];

	ck_assert_ptr_nonnull(q);
	ck_assert_int_gt(strat_fmt(buf, sizeof(buf), q->px_ticks, tick), 0);
	ck_assert_msg(strcmp(buf, want) == 0, "%s%d: got %s, want %s",
	    q->side == STRAT_BUY ? "B" : "S", q->level, buf, want);
}

/* An open order sitting on the rung (side, level) moved by dticks. */
static void
add_open(int side, int level, int64_t px_ticks, int state)
{
	struct strat_order *o = &ords[in.n_open++];

	o->side = (uint8_t)side;
	o->level = (uint8_t)level;
	o->px_ticks = px_ticks;
	o->qty_steps = 2;
	o->state = (uint8_t)state;
	strat_cid_make(o->client_id, sizeof(o->client_id), in.instance, side,
	    level, (uint64_t)in.n_open);
}

static bool
in_list(const int *list, int n, int idx)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == idx)
			return true;
	return false;
}

/* ---- level prices -------------------------------------------------------- */

/*
 * The example. mid 60000.05, offset 0.01 %, tick 0.1:
 *   B1 = 60000.05 x 0.9999 = 59994.049995 -> down -> 59994.0
 *   S1 = 60000.05 x 1.0001 = 60006.050005 -> up   -> 60006.1
 *   B2 = 60000.05 x 0.9998 = 59988.04999  -> 59988.0
 *   S2 = 60000.05 x 1.0002 = 60012.05001  -> 60012.1
 *   B3 = 60000.05 x 0.9997 = 59982.049985 -> 59982.0
 *   S3 = 60000.05 x 1.0003 = 60018.050015 -> 60018.1
 * quantity: 150 / 59994.0 = 0.0025003 -> down to 0.002 (119.99 USDT >= 100).
 */
START_TEST(test_example_ladder)
{
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_QUOTING);
	ck_assert_int_eq(out.n_desired, 6);
	assert_px(rung(STRAT_BUY, 1), 0.1, "59994.0");
	assert_px(rung(STRAT_SELL, 1), 0.1, "60006.1");
	assert_px(rung(STRAT_BUY, 2), 0.1, "59988.0");
	assert_px(rung(STRAT_SELL, 2), 0.1, "60012.1");
	assert_px(rung(STRAT_BUY, 3), 0.1, "59982.0");
	assert_px(rung(STRAT_SELL, 3), 0.1, "60018.1");
	ck_assert_int_eq(rung(STRAT_BUY, 1)->qty_steps, 2);
	ck_assert(fabs(rung(STRAT_BUY, 1)->qty - 0.002) < 1e-12);
	ck_assert(fabs(rung(STRAT_BUY, 1)->price - 59994.0) < 1e-6);
	/* innermost first: B1 S1 B2 S2 B3 S3 */
	ck_assert_int_eq(out.desired[0].side, STRAT_BUY);
	ck_assert_int_eq(out.desired[0].level, 1);
	ck_assert_int_eq(out.desired[1].side, STRAT_SELL);
	ck_assert_int_eq(out.desired[1].level, 1);
	ck_assert_int_eq(out.desired[5].level, 3);
	ck_assert_int_eq(out.n_skipped, 0);
	ck_assert_int_eq(out.n_clamped, 0);
}
END_TEST

struct px_case {
	double		 mid, offset;
	int		 level;
	double		 tick;
	const char	*bid, *ask;
};

/* Every kind of tick; worked by hand, see each line. */
static const struct px_case px_cases[] = {
	/* 60000.05 x 0.9999 = 59994.049995 -> 59994.04; x 1.0001 =
	   60006.050005 -> 60006.06 */
	{ 60000.05, 0.01, 1, 0.01, "59994.04", "60006.06" },
	/* 3000.0005 x 0.9995 = 2998.50049975 -> 2998.500; x 1.0005 =
	   3001.50050025 -> 3001.501 */
	{ 3000.0005, 0.05, 1, 0.001, "2998.500", "3001.501" },
	/* 60000.5 x 0.9998 = 59988.4999 -> 59988; x 1.0002 = 60012.5001
	   -> 60013 */
	{ 60000.5, 0.01, 2, 1, "59988", "60013" },
	/* 60005 x 0.999 = 59944.995 -> 59940; x 1.001 = 60065.005 -> 60070 */
	{ 60005, 0.1, 1, 10, "59940", "60070" },
	/* 100.3 x 0.99 = 99.297 -> 99.0; x 1.01 = 101.303 -> 101.5 */
	{ 100.3, 1, 1, 0.5, "99.0", "101.5" },
	/* 50.1 x 0.995 = 49.8495 -> 49.75; x 1.005 = 50.3505 -> 50.50 */
	{ 50.1, 0.5, 1, 0.25, "49.75", "50.50" },
	/* 1.23456 x 0.997 = 1.23085632 -> 1.2308; x 1.003 = 1.23826368
	   -> 1.2383 */
	{ 1.23456, 0.1, 3, 0.0001, "1.2308", "1.2383" },
	/* 0.123456 x 0.998 = 0.123209088 -> 0.12320; x 1.002 =
	   0.123702912 -> 0.12371 */
	{ 0.123456, 0.2, 1, 0.00001, "0.12320", "0.12371" },
	/* 87654.3 x 0.9875 = 86558.62125 -> 86558.6; x 1.0125 =
	   88749.97875 -> 88750.0 */
	{ 87654.3, 0.25, 5, 0.1, "86558.6", "88750.0" },
	/* Exactly on the grid: 100 x 0.99 = 99 and 100 x 1.01 = 101 in
	   decimals, 98.99999999999999 / 101.00000000000001 in binary —
	   must not lose a whole tick either way. */
	{ 100, 1, 1, 1, "99", "101" },
	/* 100 x 0.97 = 97.0, 100 x 1.03 = 103.0 */
	{ 100, 1, 3, 0.1, "97.0", "103.0" },
	/* 60000 x 0.9999 = 59994.0 exactly, x 1.0001 = 60006.0 exactly */
	{ 60000, 0.01, 1, 0.1, "59994.0", "60006.0" },
};

START_TEST(test_tick_table)
{
	const struct px_case *c = &px_cases[_i];

	in.flt.tick = c->tick;
	in.flt.step = 0.00001;
	in.flt.min_qty = 0;
	in.flt.min_notional = 0;
	in.cfg.levels = c->level;
	in.cfg.offset_pct = c->offset;
	/* a book wide enough that no clamping applies */
	in.mkt.mid = c->mid;
	in.mkt.bid = c->mid * 0.5;
	in.mkt.ask = c->mid * 1.5;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	assert_px(rung(STRAT_BUY, c->level), c->tick, c->bid);
	assert_px(rung(STRAT_SELL, c->level), c->tick, c->ask);
	ck_assert_int_eq(out.n_clamped, 0);
}
END_TEST

/* Cheap deterministic generator so the sweep is reproducible. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Sweep: for many mids, offsets and ticks, every bid is the largest grid
 * price <= the exact (long double) level price and every ask the smallest
 * grid price >= it, bids < best ask, asks > best bid, and every rung meets
 * minQty and MIN_NOTIONAL without overshooting qty_usdt by more than a step.
 */
START_TEST(test_sweep_rounding_and_qty)
{
	static const double ticks[] = { 0.1, 0.01, 0.001, 1, 10, 0.5, 0.25,
	    0.0001, 0.00001 };
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	long double raw, slack;
	const struct strat_quote *q;
	double tick, px, notional;
	int t, n, i;

	in.cfg.levels = 5;
	in.flt.step = 0.001;
	in.flt.min_qty = 0.001;
	in.flt.min_notional = 5;
	for (t = 0; t < (int)(sizeof(ticks) / sizeof(ticks[0])); t++) {
		tick = ticks[t];
		in.flt.tick = tick;
		for (n = 0; n < 2000; n++) {
			double base = 1000 + (double)(rnd(&s) % 9000000);
			int64_t bt = (int64_t)(base / tick);

			in.mkt.bid = (double)bt * tick;
			in.mkt.ask = (double)(bt + 1 + (int64_t)(rnd(&s) % 5)) *
			    tick;
			in.mkt.mid = (in.mkt.bid + in.mkt.ask) / 2;
			in.cfg.offset_pct = 0.001 + (double)(rnd(&s) % 1000) /
			    1000.0;
			in.cfg.qty_usdt = 5 + (double)(rnd(&s) % 10000);
			ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
			ck_assert_int_eq(out.n_clamped, 0);
			for (i = 0; i < out.n_desired; i++) {
				q = &out.desired[i];
				raw = (long double)in.mkt.mid * (1.0L +
				    (q->side == STRAT_BUY ? -1 : 1) * q->level *
				    (long double)in.cfg.offset_pct / 100.0L);
				px = (double)q->px_ticks * tick;
				/* within this of a grid point either neighbour is fine */
				slack = raw * 1e-12L;
				if (q->side == STRAT_BUY) {
					ck_assert(px <= raw + slack);
					ck_assert(raw - px < tick);
					ck_assert(px < in.mkt.ask);
				} else {
					ck_assert(px >= raw - slack);
					ck_assert(px - raw < tick);
					ck_assert(px > in.mkt.bid);
				}
				notional = q->qty * px;
				ck_assert(q->qty >= in.flt.min_qty - 1e-12);
				ck_assert(notional >= in.flt.min_notional - 1e-9);
				ck_assert(notional <= fmax(in.cfg.qty_usdt,
				    in.flt.min_notional) +
				    (in.flt.step + 1e-12) * px);
			}
		}
	}
}
END_TEST

/* ---- quantity ------------------------------------------------------------ */

/*
 * The rule the README states: an order is worth at most
 * quantity_per_order_usdt — the largest multiple of the step whose notional
 * at the rung's price does not exceed it — unless that is below minQty or
 * MIN_NOTIONAL, when it is the one step more that reaches them.
 */
START_TEST(test_qty_at_most_configured)
{
	/* the README's example: 150 USDT at 60000.0 is 0.002 BTC, 120 USDT */
	ck_assert_int_eq(strat_qty_steps(150, 600000, &in.flt), 2);
	for (int64_t px = 300000; px <= 1200000; px += 9973) {
		for (double usdt = 100; usdt <= 1000; usdt += 7.5) {
			double p = (double)px * in.flt.tick;
			int64_t n = strat_qty_steps(usdt, px, &in.flt);
			double v = (double)n * in.flt.step * p;

			ck_assert_int_gt(n, 0);
			if (v > usdt + 1e-9) {
				/* raised: one step less is under the minimum */
				ck_assert((double)(n - 1) * in.flt.step * p <
				    in.flt.min_notional - 1e-9);
			} else {
				/* at most usdt, and the closest below it */
				ck_assert((double)(n + 1) * in.flt.step * p >
				    usdt - 1e-9);
			}
		}
	}
}
END_TEST

START_TEST(test_qty_rounding)
{
	/* 150 / 59994.0 = 0.0025003 -> 0.002 (119.99 USDT) */
	ck_assert_int_eq(strat_qty_steps(150, 599940, &in.flt), 2);
	/* 100 / 60000.0 = 0.00167 -> 0.001 is 60 USDT < 100 -> 0.002 */
	ck_assert_int_eq(strat_qty_steps(100, 600000, &in.flt), 2);
	/* 100 / 50000.0 = 0.002 exactly -> 0.002 (exactly 100 USDT ok) */
	ck_assert_int_eq(strat_qty_steps(100, 500000, &in.flt), 2);
	/* 250 / 30000.0 = 0.008333 -> 0.008 (240 USDT) */
	ck_assert_int_eq(strat_qty_steps(250, 300000, &in.flt), 8);
	/* 10 USDT can never reach MIN_NOTIONAL 100: rung impossible */
	ck_assert_int_eq(strat_qty_steps(10, 600000, &in.flt), 0);
	/* minQty 0.01 at 60000: 100 USDT -> 0.001 -> 0.002 < 0.01 -> none */
	in.flt.min_qty = 0.01;
	in.flt.min_notional = 5;
	ck_assert_int_eq(strat_qty_steps(100, 600000, &in.flt), 0);
	/* 590 USDT -> 0.00983 -> 0.009 < minQty -> one step up = 0.010 */
	ck_assert_int_eq(strat_qty_steps(590, 600000, &in.flt), 10);
	ck_assert_int_eq(strat_qty_steps(0, 600000, &in.flt), 0);
	ck_assert_int_eq(strat_qty_steps(100, 0, &in.flt), 0);
}
END_TEST

START_TEST(test_below_min_notional_skips_and_check_says_so)
{
	char err[256];

	in.cfg.qty_usdt = 10;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_desired, 0);
	ck_assert_int_eq(out.n_skipped, 6);
	ck_assert_int_eq(strat_check(&in.cfg, &in.flt, 60000, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "MIN_NOTIONAL") != NULL &&
	    strstr(err, "at least 100") != NULL, "%s", err);
	in.cfg.qty_usdt = 150;
	ck_assert_int_eq(strat_check(&in.cfg, &in.flt, 60000, err,
	    sizeof(err)), 0);
	/* minQty 0.01 at ~60018: needs about 601 USDT */
	in.flt.min_qty = 0.01;
	ck_assert_int_eq(strat_check(&in.cfg, &in.flt, 60000, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "minQty") != NULL &&
	    strstr(err, "at least 601") != NULL, "%s", err);
}
END_TEST

/* A huge offset pushes deep bids to or below zero: dropped, asks stay. */
START_TEST(test_nonpositive_bids_dropped)
{
	in.cfg.offset_pct = 50;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_ptr_nonnull(rung(STRAT_BUY, 1));
	ck_assert_ptr_null(rung(STRAT_BUY, 2));	/* x 0.0 */
	ck_assert_ptr_null(rung(STRAT_BUY, 3));	/* x -0.5 */
	ck_assert_ptr_nonnull(rung(STRAT_SELL, 3));
	ck_assert_int_eq(out.n_skipped, 2);
	ck_assert_int_eq(out.n_desired, 4);
}
END_TEST

/* ---- clamping ------------------------------------------------------------ */

/* A mid above the book (another mid source): bid 100.899 -> 100.8 would
 * take the 100.1 ask; it is pulled to 100.0 (best ask - 1 tick). */
START_TEST(test_clamp_mid_above_book)
{
	in.flt.min_notional = 0;
	in.mkt.bid = 100.0;
	in.mkt.ask = 100.1;
	in.mkt.mid = 101.0;
	in.cfg.offset_pct = 0.1;
	in.cfg.levels = 1;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	assert_px(rung(STRAT_BUY, 1), 0.1, "100.0");
	/* 101 x 1.001 = 101.101 -> 101.2, above the bid: untouched */
	assert_px(rung(STRAT_SELL, 1), 0.1, "101.2");
	ck_assert_int_eq(out.n_clamped, 1);
}
END_TEST

/* A mid below the book: ask 98.901 -> 99.0 would take the 100.0 bid; it
 * is pulled to 100.1 (best bid + 1 tick). */
START_TEST(test_clamp_mid_below_book)
{
	in.flt.min_notional = 0;
	in.mkt.bid = 100.0;
	in.mkt.ask = 100.2;
	in.mkt.mid = 99.0;
	in.cfg.offset_pct = 0.1;
	in.cfg.levels = 1;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	assert_px(rung(STRAT_SELL, 1), 0.1, "100.1");
	/* 99 x 0.999 = 98.901 -> 98.9 */
	assert_px(rung(STRAT_BUY, 1), 0.1, "98.9");
	ck_assert_int_eq(out.n_clamped, 1);
}
END_TEST

/* An offset inside a wide spread needs no clamp: 100.5 x 0.9999 =
 * 100.48995 -> 100.4, x 1.0001 = 100.51005 -> 100.6. */
START_TEST(test_offset_inside_spread_not_clamped)
{
	in.flt.min_notional = 0;
	in.mkt.bid = 100.0;
	in.mkt.ask = 101.0;
	in.mkt.mid = 100.5;
	in.cfg.levels = 1;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	assert_px(rung(STRAT_BUY, 1), 0.1, "100.4");
	assert_px(rung(STRAT_SELL, 1), 0.1, "100.6");
	ck_assert_int_eq(out.n_clamped, 0);
}
END_TEST

/* ---- pause, stale, bad book ---------------------------------------------- */

static void
assert_cancel_all(enum strat_why why)
{
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, why);
	ck_assert_int_eq(out.n_desired, 0);
	ck_assert_int_eq(out.n_place, 0);
	ck_assert_int_eq(out.n_keep, 0);
	/* every live order cancelled; the one already cancelling left be */
	ck_assert_int_eq(out.n_cancel, 3);
	ck_assert(in_list(out.cancel, out.n_cancel, 0));
	ck_assert(in_list(out.cancel, out.n_cancel, 1));
	ck_assert(in_list(out.cancel, out.n_cancel, 3));
	ck_assert_uint_eq(out.next_seq, in.next_seq);
}

static void
open_some(void)
{
	add_open(STRAT_BUY, 1, 599940, STRAT_OS_OPEN);
	add_open(STRAT_SELL, 1, 600061, STRAT_OS_PENDING);
	add_open(STRAT_BUY, 2, 599880, STRAT_OS_CANCELING);
	add_open(STRAT_SELL, 2, 600121, STRAT_OS_OPEN);
}

START_TEST(test_paused_cancels_all)
{
	open_some();
	in.cfg.paused = true;
	in.refresh = false;
	assert_cancel_all(STRAT_WHY_PAUSED);
}
END_TEST

START_TEST(test_stale_cancels_all)
{
	open_some();
	in.mkt.stale = true;
	assert_cancel_all(STRAT_WHY_STALE);
}
END_TEST

START_TEST(test_bad_book_cancels_all)
{
	open_some();
	in.mkt.bid = 60000.2;			/* crossed */
	assert_cancel_all(STRAT_WHY_BAD_BOOK);
	in.mkt.bid = in.mkt.ask;		/* locked */
	assert_cancel_all(STRAT_WHY_BAD_BOOK);
	in.mkt.bid = 60000.0;
	in.mkt.mid = NAN;
	assert_cancel_all(STRAT_WHY_BAD_BOOK);
	in.mkt.mid = 0;
	assert_cancel_all(STRAT_WHY_BAD_BOOK);
	in.mkt.mid = 60000.05;
	in.mkt.ask = INFINITY;
	assert_cancel_all(STRAT_WHY_BAD_BOOK);
}
END_TEST

START_TEST(test_bad_input_is_safe)
{
	open_some();
	in.cfg.levels = 0;
	ck_assert_int_eq(strat_eval(impl, &in, &out), -1);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	ck_assert_int_eq(out.n_desired + out.n_place + out.n_keep, 0);
	ck_assert_int_eq(out.n_cancel, 3);
	in.cfg.levels = STRAT_MAX_LEVELS + 1;
	ck_assert_int_eq(strat_eval(impl, &in, &out), -1);
	in.cfg.levels = 3;
	in.flt.tick = 0;
	ck_assert_int_eq(strat_eval(impl, &in, &out), -1);
	in.flt.tick = 0.1;
	in.flt.step = NAN;
	ck_assert_int_eq(strat_eval(impl, &in, &out), -1);
	in.flt.step = 0.001;
	in.instance = "bad id";
	ck_assert_int_eq(strat_eval(impl, &in, &out), -1);
	in.instance = "simple_mm";
	in.n_open = STRAT_MAX_OPEN + 1;
	ck_assert_int_eq(strat_eval(impl, &in, &out), -1);
	ck_assert_int_eq(out.n_cancel, 0);	/* count not trusted */
	in.n_open = 4;
	ck_assert_int_eq(strat_eval(NULL, &in, &out), -1);
	ck_assert_int_eq(strat_eval(impl, NULL, &out), -1);
	ck_assert_int_eq(strat_eval(impl, &in, NULL), -1);
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
}
END_TEST

/* ---- diffs --------------------------------------------------------------- */

/* Orders exactly where the ladder wants them, for the tolerance tests. */
static void
open_ladder(void)
{
	int i;

	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	for (i = 0; i < out.n_desired; i++)
		add_open(out.desired[i].side, out.desired[i].level,
		    out.desired[i].px_ticks, STRAT_OS_OPEN);
}

START_TEST(test_replace_refresh_cancels_and_places_all)
{
	int i;

	open_ladder();
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_keep, 0);
	ck_assert_int_eq(out.n_cancel, 6);
	ck_assert_int_eq(out.n_place, 6);
	for (i = 0; i < 6; i++) {
		struct strat_cid c;

		ck_assert_int_eq(strat_cid_parse(out.place[i].client_id, &c),
		    0);
		ck_assert_uint_eq(c.seq, 1000 + (uint64_t)i);
		ck_assert_int_eq(c.side, out.place[i].side);
		ck_assert_int_eq(c.level, out.place[i].level);
		ck_assert_str_eq(c.instance, "simple_mm");
	}
	ck_assert_uint_eq(out.next_seq, 1006);
}
END_TEST

/* Between refreshes (refresh false) a replace ladder only fills gaps. */
START_TEST(test_gap_fill)
{
	add_open(STRAT_BUY, 1, 599940, STRAT_OS_OPEN);		/* 0 on B1 */
	add_open(STRAT_SELL, 1, 600000, STRAT_OS_PENDING);	/* 1 off */
	add_open(STRAT_BUY, 2, 599000, STRAT_OS_OPEN);		/* 2 far */
	add_open(STRAT_BUY, 1, 599930, STRAT_OS_OPEN);		/* 3 dup */
	add_open(STRAT_SELL, 7, 610000, STRAT_OS_OPEN);		/* 4 stray */
	add_open(STRAT_BUY, 3, 599820, STRAT_OS_CANCELING);	/* 5 going */
	in.refresh = false;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_keep, 3);
	ck_assert(in_list(out.keep, out.n_keep, 0));
	ck_assert(in_list(out.keep, out.n_keep, 1));
	ck_assert(in_list(out.keep, out.n_keep, 2));
	ck_assert_int_eq(out.n_cancel, 2);
	ck_assert(in_list(out.cancel, out.n_cancel, 3));
	ck_assert(in_list(out.cancel, out.n_cancel, 4));
	/* S2, B3 (its order is being cancelled), S3 */
	ck_assert_int_eq(out.n_place, 3);
	ck_assert_int_eq(out.place[0].side, STRAT_SELL);
	ck_assert_int_eq(out.place[0].level, 2);
	ck_assert_int_eq(out.place[1].side, STRAT_BUY);
	ck_assert_int_eq(out.place[1].level, 3);
	ck_assert_uint_eq(out.next_seq, 1003);
}
END_TEST

/*
 * Tolerance 0.005 %: B1's target 59994.0 allows 2.9997 USDT = 29 ticks,
 * S1's 60006.1 allows 3.0003 = 30 ticks; B2's 59988.0 allows 2.9994.
 */
START_TEST(test_tolerance_keeps_close_orders)
{
	in.cfg.refresh_mode = CFG_REFRESH_TOLERANCE;
	add_open(STRAT_BUY, 1, 599940 - 29, STRAT_OS_OPEN);	/* keep */
	add_open(STRAT_SELL, 1, 600061 + 30, STRAT_OS_OPEN);	/* keep */
	add_open(STRAT_BUY, 2, 599880 + 30, STRAT_OS_OPEN);	/* 3.0 > */
	add_open(STRAT_SELL, 2, 600121, STRAT_OS_PENDING);	/* keep */
	add_open(STRAT_SELL, 3, 600181 - 31, STRAT_OS_OPEN);	/* 3.1 > */
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_keep, 3);
	ck_assert(in_list(out.keep, out.n_keep, 0));
	ck_assert(in_list(out.keep, out.n_keep, 1));
	ck_assert(in_list(out.keep, out.n_keep, 3));
	ck_assert_int_eq(out.n_cancel, 2);
	ck_assert(in_list(out.cancel, out.n_cancel, 2));
	ck_assert(in_list(out.cancel, out.n_cancel, 4));
	ck_assert_int_eq(out.n_place, 3);	/* B2, B3, S3 */
	ck_assert_int_eq(out.place[0].side, STRAT_BUY);
	ck_assert_int_eq(out.place[0].level, 2);
	ck_assert_int_eq(out.place[0].px_ticks, 599880);
}
END_TEST

/* Right at the tolerance edge: mid 100, offset 1 %, tick 0.01 -> B1 99.00;
 * 1 % of 99 = 0.99 = 99 ticks is kept, 100 ticks is not. */
START_TEST(test_tolerance_edge)
{
	in.cfg.refresh_mode = CFG_REFRESH_TOLERANCE;
	in.cfg.tolerance_pct = 1;
	in.cfg.offset_pct = 1;
	in.cfg.levels = 1;
	in.flt.tick = 0.01;
	in.flt.min_notional = 0;
	in.mkt.bid = 99.99;
	in.mkt.ask = 100.01;
	in.mkt.mid = 100;
	add_open(STRAT_BUY, 1, 9900 + 99, STRAT_OS_OPEN);
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(rung(STRAT_BUY, 1)->px_ticks, 9900);
	ck_assert_int_eq(out.n_keep, 1);
	ords[0].px_ticks = 9900 + 100;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_keep, 0);
	ck_assert_int_eq(out.n_cancel, 1);
}
END_TEST

/* Two orders on one rung, both within tolerance: the closer one stays. */
START_TEST(test_tolerance_duplicate_keeps_closest)
{
	in.cfg.refresh_mode = CFG_REFRESH_TOLERANCE;
	in.cfg.levels = 1;
	add_open(STRAT_BUY, 1, 599940 - 10, STRAT_OS_OPEN);
	add_open(STRAT_BUY, 1, 599940 - 2, STRAT_OS_OPEN);
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_keep, 1);
	ck_assert_int_eq(out.keep[0], 1);
	ck_assert_int_eq(out.n_cancel, 1);
	ck_assert_int_eq(out.cancel[0], 0);
	ck_assert_int_eq(out.n_place, 1);	/* S1 */
}
END_TEST

/* Fewer levels after a reload: the outer rungs' orders are cancelled. */
START_TEST(test_fewer_levels_cancel_outer)
{
	in.cfg.refresh_mode = CFG_REFRESH_TOLERANCE;
	open_ladder();
	in.cfg.levels = 1;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_keep, 2);
	ck_assert_int_eq(out.n_cancel, 4);
	ck_assert_int_eq(out.n_place, 0);
}
END_TEST

START_TEST(test_mid_moved)
{
	struct strat_config c = in.cfg;

	c.refresh_mode = CFG_REFRESH_TOLERANCE;
	/* 0.005 % of 60000 is 3.0 */
	ck_assert(strat_mid_moved(&c, 60000, 60003.1));
	ck_assert(strat_mid_moved(&c, 60000, 59996.9));
	ck_assert(!strat_mid_moved(&c, 60000, 60002.9));
	ck_assert(!strat_mid_moved(&c, 60000, 60000));
	ck_assert(!strat_mid_moved(&c, 0, 60000));	/* never quoted */
	ck_assert(!strat_mid_moved(&c, 60000, NAN));
	c.refresh_mode = CFG_REFRESH_REPLACE;
	ck_assert(!strat_mid_moved(&c, 60000, 61000));
}
END_TEST

/* Same input, same output, input untouched: a pure function. */
START_TEST(test_pure)
{
	static struct strat_out o2;
	struct strat_in copy;
	struct strat_order ocopy[8];

	open_some();
	in.cfg.refresh_mode = CFG_REFRESH_TOLERANCE;
	copy = in;
	memcpy(ocopy, ords, sizeof(ocopy));
	memset(&o2, 0, sizeof(o2));
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(strat_eval(impl, &in, &o2), 0);
	ck_assert_int_eq(memcmp(&out, &o2, sizeof(out)), 0);
	ck_assert_int_eq(memcmp(&copy, &in, sizeof(in)), 0);
	ck_assert_int_eq(memcmp(ocopy, ords, sizeof(ocopy)), 0);
}
END_TEST

/* ---- client order ids ---------------------------------------------------- */

static bool
binance_cid_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 36)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr(".:/_-", s[i]) != NULL))
			return false;
	return true;
}

START_TEST(test_cid_exact)
{
	char buf[64];

	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf), "simple_mm",
	    STRAT_BUY, 1, 36), 15);
	ck_assert_str_eq(buf, "simple_mm-B1-10");
	strat_cid_make(buf, sizeof(buf), "mm", STRAT_SELL, 20, 0);
	ck_assert_str_eq(buf, "mm-S20-0");
	/* a run started at 1700000000.123456789 s seeds 1700000000123456 */
	ck_assert_uint_eq(strat_seq_seed(1700000000123456789LL),
	    1700000000123456ULL);
	strat_cid_make(buf, sizeof(buf), "mm", STRAT_BUY, 3,
	    strat_seq_seed(1700000000123456789LL));
	ck_assert_str_eq(buf, "mm-B3-gqll7vdgzk");
}
END_TEST

/*
 * A clock stepped back: the next run starts at the earlier run's
 * reservation, not at the (smaller) clock, and reservations are renewed
 * half a block before they run out.
 */
START_TEST(test_seq_across_clock_step)
{
	int64_t t = 1700000000123456789LL;		/* seeds 1700000000123456 */
	uint64_t r;

	/* a first run: nothing reserved, the clock decides */
	ck_assert_uint_eq(strat_seq_start(t, 0), 1700000000123456ULL);
	/* it reserves a block at once, then nothing until half is used */
	r = strat_seq_reserve(1700000000123456ULL, 0);
	ck_assert_uint_eq(r, 1700000000123456ULL + STRAT_SEQ_BLOCK);
	ck_assert_uint_eq(strat_seq_reserve(1700000000123456ULL + 1000, r), 0);
	ck_assert_uint_eq(strat_seq_reserve(r - STRAT_SEQ_BLOCK / 2, r),
	    r - STRAT_SEQ_BLOCK / 2 + STRAT_SEQ_BLOCK);
	/* the clock steps back an hour: the next run starts at r, above
	 * every id the first run could have used */
	ck_assert_uint_eq(strat_seq_start(t - 3600LL * 1000000000, r), r);
	/* the clock ahead of the reservation again: the clock */
	ck_assert_uint_eq(strat_seq_start(t + 3600LL * 1000000000, r),
	    1700000000123456ULL + 3600000000ULL);
}
END_TEST

/* The longest instance and level with the largest seq still fit in 36,
 * and seq wraps modulo 36^11 rather than growing past it. */
START_TEST(test_cid_longest_fits)
{
	const char *inst = "ABCDEFGHIJ_klmnop-89";	/* 20 chars */
	uint64_t seqs[] = { 0, 35, 36, 78364164095ULL, 131621703842267135ULL,
	    131621703842267136ULL, UINT64_MAX };
	char buf[64];
	struct strat_cid c;
	int i, n;

	for (i = 0; i < (int)(sizeof(seqs) / sizeof(seqs[0])); i++) {
		n = strat_cid_make(buf, sizeof(buf), inst, STRAT_SELL, 99,
		    seqs[i]);
		ck_assert_int_gt(n, 0);
		ck_assert_int_le(n, STRAT_CID_MAX);
		ck_assert_int_eq((int)strlen(buf), n);
		ck_assert_msg(binance_cid_ok(buf), "%s", buf);
		ck_assert_int_eq(strat_cid_parse(buf, &c), 0);
		ck_assert_uint_eq(c.seq, seqs[i] % 131621703842267136ULL);
	}
	strat_cid_make(buf, sizeof(buf), inst, STRAT_SELL, 99, UINT64_MAX);
	ck_assert_str_eq(buf, "ABCDEFGHIJ_klmnop-89-S99-5e11264sgsf");
	ck_assert_int_eq((int)strlen(buf), 36);
	/* 36^11 - 1 is the last seq: eleven z */
	strat_cid_make(buf, sizeof(buf), inst, STRAT_BUY, 1,
	    131621703842267135ULL);
	ck_assert_str_eq(buf, "ABCDEFGHIJ_klmnop-89-B1-zzzzzzzzzzz");
}
END_TEST

START_TEST(test_cid_roundtrip_all_rungs)
{
	static const char *insts[] = { "a", "simple_mm", "x-B1", "mm-2",
	    "A_b-C", "01234567890123456789" };
	char buf[64];
	struct strat_cid c;
	int i, side, level;
	uint64_t seq;

	for (i = 0; i < (int)(sizeof(insts) / sizeof(insts[0])); i++)
		for (side = 0; side < 2; side++)
			for (level = 1; level <= 99; level++)
				for (seq = 0; seq < 2000000000000ULL;
				    seq = seq * 7 + 1) {
					ck_assert_int_gt(strat_cid_make(buf,
					    sizeof(buf), insts[i], side,
					    level, seq), 0);
					ck_assert(binance_cid_ok(buf));
					ck_assert_int_eq(strat_cid_parse(buf,
					    &c), 0);
					ck_assert_str_eq(c.instance, insts[i]);
					ck_assert_int_eq(c.side, side);
					ck_assert_int_eq(c.level, level);
					ck_assert_uint_eq(c.seq, seq);
					ck_assert(strat_cid_ours(buf,
					    insts[i]));
				}
}
END_TEST

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

START_TEST(test_cid_unique_across_seq)
{
	static char ids[20000][40];
	int i;

	for (i = 0; i < 20000; i++)
		strat_cid_make(ids[i], sizeof(ids[i]), "simple_mm",
		    i & 1, 1 + (i >> 1) % 3, 1700000000000000ULL + (uint64_t)i / 2);
	qsort(ids, 20000, sizeof(ids[0]), cmp_str);
	for (i = 1; i < 20000; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
}
END_TEST

START_TEST(test_cid_ours_and_refusals)
{
	static const char *bad[] = { "", "simple_mm", "simple_mm-B1",
	    "-B1-1", "simple_mm--1", "simple_mm-X1-1", "simple_mm-B0-1",
	    "simple_mm-B01-1", "simple_mm-B100-1", "simple_mm-b1-1",
	    "simple_mm-B1-", "simple_mm-B1-01", "simple_mm-B1-A",
	    "simple_mm-B1-zzzzzzzzzzzz", "a b-B1-1", "a.b-B1-1",
	    "abcdefghijklmnopqrstu-B1-1",
	    "abcdefghijklmnopqrst-B1-1234567890ab", "web_ABC123",
	    "x_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	struct strat_cid c;
	char buf[64];
	int i;

	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		ck_assert_msg(strat_cid_parse(bad[i], &c) == -1, "accepted %s",
		    bad[i]);
	ck_assert_int_eq(strat_cid_parse(NULL, &c), -1);
	/* an instance that is a prefix of another is not the other */
	ck_assert(strat_cid_ours("a-b-B1-1", "a-b"));
	ck_assert(!strat_cid_ours("a-b-B1-1", "a"));
	ck_assert(!strat_cid_ours("a-B1-1", "a-b"));
	ck_assert(!strat_cid_ours("mm2-B1-1", "mm"));
	ck_assert(!strat_cid_ours("mm-B1-1", "mm2"));
	ck_assert(!strat_cid_ours("mm-B1-1", NULL));
	/* make refuses what parse would */
	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf),
	    "abcdefghijklmnopqrstu", 0, 1, 1), -1);
	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf), "a.b", 0, 1, 1), -1);
	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf), "", 0, 1, 1), -1);
	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf), "a", 0, 0, 1), -1);
	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf), "a", 0, 100, 1), -1);
	ck_assert_int_eq(strat_cid_make(buf, sizeof(buf), "a", 2, 1, 1), -1);
	ck_assert_int_eq(strat_cid_make(buf, 36, "a", 0, 1, 1), -1);
}
END_TEST

/* ---- registry, formatting ------------------------------------------------ */

START_TEST(test_registry)
{
	char err[256], names[128];

	ck_assert_ptr_nonnull(strat_find("simple_mm", err, sizeof(err)));
	ck_assert_str_eq(strat_find("simple_mm", NULL, 0)->name, "simple_mm");
	ck_assert_ptr_null(strat_find("avellaneda", err, sizeof(err)));
	ck_assert_msg(strstr(err, "\"avellaneda\"") != NULL &&
	    strstr(err, "known: simple_mm") != NULL, "%s", err);
	ck_assert_ptr_null(strat_find(NULL, err, sizeof(err)));
	strat_names(names, sizeof(names));
	ck_assert_str_eq(names, "simple_mm, skew_mm, avellaneda_mm, glft_mm");
}
END_TEST

START_TEST(test_fmt)
{
	char buf[32];

	ck_assert_int_eq(strat_fmt(buf, sizeof(buf), 599940, 0.1), 7);
	ck_assert_str_eq(buf, "59994.0");
	strat_fmt(buf, sizeof(buf), 5, 0.5);
	ck_assert_str_eq(buf, "2.5");
	strat_fmt(buf, sizeof(buf), -3, 0.01);
	ck_assert_str_eq(buf, "-0.03");
	strat_fmt(buf, sizeof(buf), 6001, 10);
	ck_assert_str_eq(buf, "60010");
	strat_fmt(buf, sizeof(buf), 2, 0.001);
	ck_assert_str_eq(buf, "0.002");
	strat_fmt(buf, sizeof(buf), 12320, 0.00001);
	ck_assert_str_eq(buf, "0.12320");
	strat_fmt(buf, sizeof(buf), 0, 0.25);
	ck_assert_str_eq(buf, "0.00");
	ck_assert_int_eq(strat_fmt(buf, sizeof(buf), 1, 1e-13), -1);
	ck_assert_int_eq(strat_fmt(buf, sizeof(buf), 1, 0), -1);
	ck_assert_int_eq(strat_fmt(buf, 4, 599940, 0.1), -1);
	ck_assert_int_eq(strat_fmt(buf, sizeof(buf), INT64_MAX, 10), -1);
	/* ticks back from exchange text */
	ck_assert_int_eq(strat_ticks_near(59994.0, 0.1), 599940);
	ck_assert_int_eq(strat_ticks_near(0.12320, 0.00001), 12320);
	ck_assert_int_eq(strat_ticks_down(1e300, 0.1), 9007199254740992LL);
	ck_assert_int_eq(strat_ticks_up(NAN, 0.1), 0);
}
END_TEST

START_TEST(test_config_from_cfg)
{
	struct cfg c;
	struct strat_config sc;

	cfg_defaults(&c);
	c.order.levels = 4;
	c.order.refresh_mode = CFG_REFRESH_TOLERANCE;
	strat_config_from_cfg(&sc, &c, true);
	ck_assert_int_eq(sc.levels, 4);
	ck_assert(sc.qty_usdt == c.order.quantity_per_order_usdt);
	ck_assert(sc.offset_pct == c.order.price_offset_percent);
	ck_assert(sc.tolerance_pct == c.order.refresh_tolerance_percent);
	ck_assert_int_eq(sc.refresh_mode, CFG_REFRESH_TOLERANCE);
	ck_assert(sc.paused);
}
END_TEST

/*
 * The Binance client's filters drive the same ladder: prices formatted by
 * bn_fmt_price() equal ours, and every rung passes its exact (integer)
 * MIN_NOTIONAL check.
 */
START_TEST(test_bn_filters_adapter)
{
	struct bn_filters f;
	char why[128], a[BN_NUMLEN], b[BN_NUMLEN];
	int i;

	bn_filters_init(&f, "BTCUSDT");
	ck_assert_int_eq(bn_dec_parse("0.10", &f.tick), 0);
	ck_assert_int_eq(bn_dec_parse("0.001", &f.step), 0);
	ck_assert_int_eq(bn_dec_parse("0.001", &f.raw_min_qty), 0);
	ck_assert_int_eq(bn_dec_parse("100", &f.min_notional), 0);
	f.have_price = f.have_lot = 1;
	ck_assert_int_eq(bn_filters_finish(&f, why, sizeof(why)), 0);
	memset(&in.flt, 0, sizeof(in.flt));
	ck_assert_int_eq(strat_filters_from_bn(&in.flt, &f), 0);
	ck_assert(in.flt.tick == 0.1 && in.flt.step == 0.001);
	ck_assert(in.flt.min_qty == 0.001 && in.flt.min_notional == 100);
	in.cfg.qty_usdt = 100;
	in.cfg.levels = 20;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.n_desired, 40);
	for (i = 0; i < out.n_desired; i++) {
		ck_assert_int_eq(bn_fmt_price(&f, out.desired[i].px_ticks, a,
		    sizeof(a)), 0);
		ck_assert_int_gt(strat_fmt(b, sizeof(b),
		    out.desired[i].px_ticks, in.flt.tick), 0);
		ck_assert_str_eq(a, b);
		ck_assert(bn_notional_ok(&f, out.desired[i].px_ticks,
		    out.desired[i].qty_steps));
	}
	assert_px(rung(STRAT_BUY, 1), 0.1, "59994.0");
	memset(&f.tick, 0, sizeof(f.tick));
	ck_assert_int_eq(strat_filters_from_bn(&in.flt, &f), -1);
}
END_TEST

static Suite *
strat_suite(void)
{
	Suite *s = suite_create("strat");
	TCase *tc;

	tc = tcase_create("prices");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_example_ladder);
	tcase_add_loop_test(tc, test_tick_table, 0,
	    (int)(sizeof(px_cases) / sizeof(px_cases[0])));
	tcase_add_test(tc, test_sweep_rounding_and_qty);
	tcase_add_test(tc, test_qty_rounding);
	tcase_add_test(tc, test_qty_at_most_configured);
	tcase_add_test(tc, test_below_min_notional_skips_and_check_says_so);
	tcase_add_test(tc, test_nonpositive_bids_dropped);
	tcase_add_test(tc, test_clamp_mid_above_book);
	tcase_add_test(tc, test_clamp_mid_below_book);
	tcase_add_test(tc, test_offset_inside_spread_not_clamped);
	tcase_add_test(tc, test_fmt);
	tcase_add_test(tc, test_bn_filters_adapter);
	suite_add_tcase(s, tc);

	tc = tcase_create("decisions");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_paused_cancels_all);
	tcase_add_test(tc, test_stale_cancels_all);
	tcase_add_test(tc, test_bad_book_cancels_all);
	tcase_add_test(tc, test_bad_input_is_safe);
	tcase_add_test(tc, test_replace_refresh_cancels_and_places_all);
	tcase_add_test(tc, test_gap_fill);
	tcase_add_test(tc, test_tolerance_keeps_close_orders);
	tcase_add_test(tc, test_tolerance_edge);
	tcase_add_test(tc, test_tolerance_duplicate_keeps_closest);
	tcase_add_test(tc, test_fewer_levels_cancel_outer);
	tcase_add_test(tc, test_mid_moved);
	tcase_add_test(tc, test_pure);
	tcase_add_test(tc, test_registry);
	tcase_add_test(tc, test_config_from_cfg);
	suite_add_tcase(s, tc);

	tc = tcase_create("client_ids");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cid_exact);
	tcase_add_test(tc, test_cid_longest_fits);
	tcase_add_test(tc, test_cid_roundtrip_all_rungs);
	tcase_add_test(tc, test_cid_unique_across_seq);
	tcase_add_test(tc, test_cid_ours_and_refusals);
	tcase_add_test(tc, test_seq_across_clock_step);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(strat_suite());
}
