/*
 * check_bt_stats.c — the backtest summary on runs computed by hand: every
 * figure of one small run, the PnL parts adding up to the mark-to-market,
 * markout signs and exclusions, Sharpe/Sortino on a known series,
 * drawdown, rate-limit windows, an empty run, and the writers (NaN as "-"
 * and null, the same bytes twice).
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt_stats.h"
#include "check_run.h"

#define NS	1000000000LL
/* 2024-08-09 00:00:00 UTC: a day (and minute) boundary */
#define T0	(1722038400LL * NS)
#define AT(s)	(T0 + (int64_t)llround((s) * 1e9))

#define ck_close(got, want) ck_assert_msg(fabs((got) - (want)) < 1e-9, \
	"%s = %.12g, want %.12g", #got, (double)(got), (double)(want))

static void
fill(struct bts *b, double t, int side, int level, double px, double qty,
    double fee, bool maker)
{
	struct bts_fill f = { AT(t), side, level, px, qty, fee, maker };

	bts_fill(b, &f);
}

/*
 * The hand-computed run. Capital 1000, from T0 to T0 + 90 s.
 *   t   event                          position  equity
 *   0   mid 100; place B1 S1 B2 S2; request w5 o4
 *   5   buy 2 @ 99.9 L1 maker fee .02    2   1000-199.8+200-.02   = 1000.18
 *   6   mid 99.8                         2   1000-199.8+199.6-.02 =  999.78
 *  10   state pos 2 at-limit
 *  12   request w1 o0 (a cancel)
 *  15   sell 1 @ 100 L1 maker fee .01    1   1000-99.8+99.8-.03   =  999.97
 *  15   request w1 o1
 *  20   mid 100.2; place B1              1                          1000.37
 *  30   funding -0.05                    1                          1000.32
 *  40   sell .5 @ 100.1 L0 taker fee .025 .5 1000-49.75+50.1-.105 = 1000.245
 *  45   state pos 0 paused
 *  50   mid 100.5                        .5                         1000.395
 *  65   request w1 o1
 * Spread S = 2(100-99.9) - 1(99.8-100) - .5(100.2-100.1) = .2+.2-.05 = .35
 * Inventory I = 2(100.5-100) - 1(100.5-99.8) - .5(100.5-100.2)
 *             = 1 - .7 - .15 = .15
 * Fees -.055, funding -.05: net .395 = 1000.395 - 1000.
 */
static struct bts *
hand_run(void)
{
	struct bts *b = bts_new(1000, T0);

	ck_assert_ptr_nonnull(b);
	bts_mid(b, AT(0), 100);
	bts_place(b, AT(0), BTS_BUY, 1);
	bts_place(b, AT(0), BTS_SELL, 1);
	bts_place(b, AT(0), BTS_BUY, 2);
	bts_place(b, AT(0), BTS_SELL, 2);
	bts_request(b, AT(0), 5, 4);
	fill(b, 5, BTS_BUY, 1, 99.9, 2, 0.02, true);
	bts_mid(b, AT(6), 99.8);
	bts_state(b, AT(10), 2, false, true);
	bts_request(b, AT(12), 1, 0);
	fill(b, 15, BTS_SELL, 1, 100.0, 1, 0.01, true);
	bts_request(b, AT(15), 1, 1);
	bts_mid(b, AT(20), 100.2);
	bts_place(b, AT(20), BTS_BUY, 1);
	bts_funding(b, AT(30), -0.05);
	fill(b, 40, BTS_SELL, 0, 100.1, 0.5, 0.025, false);
	bts_state(b, AT(45), 0, true, false);
	bts_mid(b, AT(50), 100.5);
	bts_request(b, AT(65), 1, 1);
	return b;
}

START_TEST(test_pnl_parts)
{
	struct bts *b = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));

	ck_close(s->spread_pnl, 0.35);
	ck_close(s->inventory_pnl, 0.15);
	ck_close(s->fees_pnl, -0.055);
	ck_close(s->funding_pnl, -0.05);
	ck_close(s->net_pnl, 0.395);
	/* the parts add up exactly: net is their sum */
	ck_assert(s->net_pnl == s->spread_pnl + s->inventory_pnl +
	    s->fees_pnl + s->funding_pnl);
	ck_close(s->equity_end, 1000.395);
	ck_close(s->return_pct, 0.0395);
	ck_close(s->final_position, 0.5);
	ck_close(s->last_mid, 100.5);
	ck_assert_uint_eq(s->fundings, 1);
	ck_assert_int_eq(s->start_ns, T0);
	ck_assert_int_eq(s->end_ns, AT(90));
	ck_close(s->duration_s, 90);
	ck_assert_uint_eq(bts_ignored(b), 0);
	bts_free(b);
}
END_TEST

START_TEST(test_drawdown_and_returns)
{
	struct bts *b = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));

	/* peak 1000.18 at t 5, trough 999.78 at t 6 */
	ck_close(s->max_dd, 0.4);
	ck_close(s->max_dd_pct, 0.4 / 1000.18 * 100);
	ck_close(s->ret_over_dd, 0.395 / 0.4);
	/* minutes [0,60) and [60,90): returns .000395 and 0; mean = r/2,
	 * sample stdev = r/sqrt 2: Sharpe = sqrt(2)/2 * sqrt(525600) */
	ck_assert_uint_eq(s->n_ret_1m, 2);
	ck_assert_msg(fabs(s->sharpe_1m - sqrt(262800.0)) < 1e-6,
	    "sharpe_1m %.9g", s->sharpe_1m);
	ck_assert(isnan(s->sortino_1m));	/* no losing minute */
	ck_assert_uint_eq(s->n_ret_1d, 1);
	ck_assert(isnan(s->sharpe_1d));
	ck_assert(isnan(s->sortino_1d));
	bts_free(b);
}
END_TEST

START_TEST(test_trading_and_levels)
{
	struct bts *b = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));

	ck_assert_uint_eq(s->fills, 3);
	ck_assert_uint_eq(s->maker_fills, 2);
	ck_close(s->volume_base, 3.5);
	ck_close(s->volume_quote, 199.8 + 100 + 50.05);
	ck_close(s->maker_share_pct, 299.8 / 349.85 * 100);
	ck_assert_int_eq(s->levels, 2);
	ck_assert_uint_eq(s->level[1].placed[BTS_BUY], 2);
	ck_assert_uint_eq(s->level[1].placed[BTS_SELL], 1);
	ck_assert_uint_eq(s->level[1].fills[BTS_BUY], 1);
	ck_assert_uint_eq(s->level[1].fills[BTS_SELL], 1);
	ck_close(s->level[1].fill_rate, 2.0 / 3.0);
	ck_close(s->level[2].fill_rate, 0);
	ck_assert_uint_eq(s->level[0].fills[BTS_SELL], 1);
	ck_assert(isnan(s->level[0].fill_rate));	/* never placed */
	bts_free(b);
}
END_TEST

START_TEST(test_inventory_time)
{
	struct bts *b = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));

	/* fills: |pos| 0 for 5 s, 2 for 10 s, 1 for 25 s, .5 for 50 s; the
	 * state samples' own positions (2, 0) do not count. Flags: at the
	 * limit from t 10 to 45, paused from 45 to 90. */
	ck_close(s->avg_abs_pos, (2.0 * 10 + 1 * 25 + 0.5 * 50) / 90);
	ck_close(s->max_abs_pos, 2);
	ck_close(s->at_limit_s, 35);
	ck_close(s->at_limit_pct, 35.0 / 90 * 100);
	ck_close(s->paused_s, 45);
	ck_close(s->paused_pct, 50);
	bts_free(b);
}
END_TEST

START_TEST(test_requests)
{
	struct bts *b = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));

	ck_assert_uint_eq(s->requests, 4);
	ck_assert_uint_eq(s->orders, 6);
	ck_assert_uint_eq(s->weight_total, 8);
	ck_close(s->weight_1m_max, 7);		/* minute [0,60) */
	ck_close(s->weight_1m_mean, 8 / 1.5);	/* per minute of 90 s */
	ck_close(s->orders_1m_max, 5);
	ck_close(s->orders_1m_mean, 4);
	ck_close(s->orders_10s_max, 4);		/* [0,10) */
	ck_assert_uint_eq(s->windows_over_limit, 0);
	bts_free(b);
}
END_TEST

/* Binance counts in fixed windows: 301 orders in one 10 s window and 2401
 * weight in one minute are over; the same spread over two windows is not. */
START_TEST(test_rate_limit_windows)
{
	struct bts *b = bts_new(1000, T0);
	const struct bts_summary *s;
	int i;

	for (i = 0; i < 301; i++)
		bts_request(b, AT(1 + i * 0.01), 1, 1);	/* [0,10) */
	bts_request(b, AT(30), 2100, 0);		/* minute 0: 2401 */
	for (i = 0; i < 300; i++)			/* 150 + 150 */
		bts_request(b, AT(65 + i * 0.02), 1, 1);
	s = bts_finish(b, AT(120));
	ck_close(s->orders_10s_max, 301);
	ck_close(s->weight_1m_max, 2401);
	ck_close(s->orders_1m_max, 301);
	/* the 10 s window of 301 orders and minute 0 (2401 weight) */
	ck_assert_uint_eq(s->windows_over_limit, 2);
	bts_free(b);
}
END_TEST

/*
 * Markouts of the hand run (end 90 s). Buy 2 at t 5 (mid 100); sell 1 at
 * t 15 (mid 99.8); sell .5 at t 40 (mid 100.2).
 *  +1 s : t 6 -> 99.8 (the sample at 6 counts): buy -20 bp, -0.4
 *         t 16 -> 99.8: 0;  t 41 -> 100.2: 0
 *  +10 s: t 15 -> 99.8: buy -20 bp, -0.4
 *         t 25 -> 100.2: sell -(0.4/99.8) = -40.08 bp, -0.4
 *         t 50 -> 100.5: sell -(0.3/100.2) = -29.94 bp, -0.15
 *  +60 s: t 65 -> 100.5: buy +50 bp, +1.0
 *         t 75 -> 100.5: sell -(0.7/99.8) = -70.14 bp, -0.7
 *         t 100 > 90: excluded
 * Negative = the mid went against the fill (adverse selection).
 */
START_TEST(test_markouts)
{
	struct bts *b = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));
	const struct bts_markout *m = s->markout;

	ck_assert_int_eq(m[0].horizon_ns, 1 * NS);
	ck_assert_int_eq(m[1].horizon_ns, 10 * NS);
	ck_assert_int_eq(m[2].horizon_ns, 60 * NS);
	ck_assert_uint_eq(m[0].n, 3);
	ck_assert_uint_eq(m[0].excluded, 0);
	ck_close(m[0].mean_bp, -20.0 / 3);
	ck_close(m[0].mean_quote, -0.4 / 3);
	ck_assert_uint_eq(m[1].n, 3);
	ck_close(m[1].mean_bp, (-20 - 0.4 / 99.8 * 1e4 - 0.3 / 100.2 * 1e4) / 3);
	ck_close(m[1].mean_quote, -0.95 / 3);
	ck_close(m[1].sum_quote, -0.95);
	ck_assert_uint_eq(m[2].n, 2);
	ck_assert_uint_eq(m[2].excluded, 1);
	ck_close(m[2].mean_bp, (50 - 0.7 / 99.8 * 1e4) / 2);
	ck_close(m[2].mean_quote, 0.15);
	bts_free(b);
}
END_TEST

/* A sell the market then rallies through is adverse (< 0); a buy it
 * rallies through is favourable (> 0). */
START_TEST(test_markout_signs)
{
	struct bts *b = bts_new(1000, T0);
	const struct bts_summary *s;

	bts_mid(b, AT(0), 200);
	fill(b, 0, BTS_SELL, 1, 200, 1, 0, true);
	fill(b, 0, BTS_BUY, 1, 200, 3, 0, true);
	bts_mid(b, AT(0.5), 202);
	s = bts_finish(b, AT(2));
	/* sell: -100 bp, -2; buy: +100 bp, +6 */
	ck_assert_uint_eq(s->markout[0].n, 2);
	ck_close(s->markout[0].mean_bp, 0);
	ck_close(s->markout[0].sum_quote, 4);
	ck_assert_uint_eq(s->markout[1].excluded, 2);
	ck_assert_uint_eq(s->markout[2].excluded, 2);
	ck_assert(isnan(s->markout[1].mean_bp));
	bts_free(b);

	b = bts_new(1000, T0);
	bts_mid(b, AT(0), 200);
	fill(b, 0, BTS_SELL, 1, 200, 1, 0, true);
	bts_mid(b, AT(0.5), 202);
	s = bts_finish(b, AT(2));
	ck_close(s->markout[0].mean_bp, -100);
	ck_close(s->markout[0].mean_quote, -2);
	bts_free(b);
}
END_TEST

/* Hundreds of fills inside the 60 s horizon: the queue grows and wraps,
 * every markout is still the mid 1 s / 10 s / 60 s later. The mid rises
 * 0.001 every 100 ms; a buy of 1 after each sample. */
START_TEST(test_markout_queue)
{
	struct bts *b = bts_new(1000, T0);
	const struct bts_summary *s;
	int k, n = 2000;	/* 200 s */

	for (k = 0; k < n; k++) {
		bts_mid(b, AT(k * 0.1), 100 + 0.001 * k);
		fill(b, k * 0.1, BTS_BUY, 1, 100 + 0.001 * k, 1, 0, true);
	}
	s = bts_finish(b, AT((n - 1) * 0.1));
	/* a fill at sample k sees sample k + 10 (1 s), + 100, + 600 */
	ck_assert_uint_eq(s->markout[0].n, (uint64_t)n - 10);
	ck_assert_uint_eq(s->markout[0].excluded, 10);
	ck_assert_msg(fabs(s->markout[0].mean_quote - 0.01) < 1e-9, "%.12g",
	    s->markout[0].mean_quote);
	ck_assert_uint_eq(s->markout[1].n, (uint64_t)n - 100);
	ck_assert(fabs(s->markout[1].mean_quote - 0.1) < 1e-9);
	ck_assert_uint_eq(s->markout[2].n, (uint64_t)n - 600);
	ck_assert_uint_eq(s->markout[2].excluded, 600);
	ck_assert(fabs(s->markout[2].mean_quote - 0.6) < 1e-9);
	ck_assert(s->markout[2].mean_bp > 0);
	/* fills at the mid: no spread; all the gain is inventory */
	ck_close(s->spread_pnl, 0);
	ck_close(s->net_pnl, s->inventory_pnl);
	bts_free(b);
}
END_TEST

/*
 * Sharpe and Sortino on a known series. Hold 10 base from the start (a
 * buy at the mid, no fee) so equity = 1000 + 10 (mid - 100); one mid a
 * minute sets the equity at each close: 1000, 1010, 1005, 1020, 1010.
 * Minute returns r = .01, -.00495050, .01492537, -.00980392 (n = 4):
 * mean .00254274, sample stdev .01179730, downside deviation
 * sqrt((.0049505^2 + .0098039^2) / 4) = .00549145: Sharpe .00254274 /
 * .01179730 * sqrt(525600) = 156.2596, Sortino 335.6929.
 */
START_TEST(test_sharpe_sortino)
{
	static const double eq[] = { 1000, 1010, 1005, 1020, 1010 };
	double r[4], mean = 0, var = 0, down = 0;
	struct bts *b = bts_new(1000, T0);
	const struct bts_summary *s;
	int k;

	bts_mid(b, AT(0), 100);
	fill(b, 0, BTS_BUY, 1, 100, 10, 0, true);
	for (k = 1; k < 5; k++)
		bts_mid(b, AT(60 * (k - 1) + 30), 100 + (eq[k] - 1000) / 10);
	s = bts_finish(b, AT(240));
	for (k = 0; k < 4; k++) {
		r[k] = eq[k + 1] / eq[k] - 1;
		mean += r[k] / 4;
	}
	for (k = 0; k < 4; k++) {
		var += (r[k] - mean) * (r[k] - mean) / 3;
		down += r[k] < 0 ? r[k] * r[k] / 4 : 0;
	}
	ck_assert_uint_eq(s->n_ret_1m, 4);
	ck_assert(fabs(mean - 0.00254274) < 1e-8);
	ck_assert(fabs(sqrt(var) - 0.01179730) < 1e-8);
	ck_assert(fabs(sqrt(down) - 0.00549145) < 1e-8);
	ck_assert(fabs(s->sharpe_1m - mean / sqrt(var) * sqrt(525600)) < 1e-6);
	ck_assert(fabs(s->sortino_1m - mean / sqrt(down) * sqrt(525600)) < 1e-6);
	ck_assert(fabs(s->sharpe_1m - 156.2596) < 1e-3);
	ck_assert(fabs(s->sortino_1m - 335.6929) < 1e-3);
	ck_close(s->max_dd, 10);	/* 1020 -> 1010 (1010 -> 1005 is 5) */
	bts_free(b);
}
END_TEST

/* Equity growing 0.1 % every minute: the returns are one constant, whose
 * stdev is rounding dust: Sharpe undefined, not a huge number; Sortino
 * undefined (no losing minute). */
START_TEST(test_constant_returns)
{
	struct bts *b = bts_new(1000, T0);
	const struct bts_summary *s;
	double e = 1000;
	int k;

	bts_mid(b, AT(0), 100);
	fill(b, 0, BTS_BUY, 1, 100, 10, 0, true);	/* equity = 10 mid */
	for (k = 0; k < 30; k++) {
		e *= 1.001;
		bts_mid(b, AT(60 * k + 30), e / 10);
	}
	s = bts_finish(b, AT(30 * 60));
	ck_assert_uint_eq(s->n_ret_1m, 30);
	ck_assert_msg(isnan(s->sharpe_1m), "sharpe %g", s->sharpe_1m);
	ck_assert(isnan(s->sortino_1m));
	ck_close(s->max_dd, 0);
	bts_free(b);
}
END_TEST

/* Daily returns over three UTC days: 1000 -> 1100 -> 990 -> 1089. */
START_TEST(test_daily)
{
	struct bts *b = bts_new(1000, T0);
	const struct bts_summary *s;
	double r[3] = { 0.1, -0.1, 0.1 }, mean = 0.1 / 3, var = 0, sd;
	int k;

	bts_mid(b, AT(0), 100);
	fill(b, 0, BTS_BUY, 1, 100, 10, 0, true);	/* equity = 10 mid */
	bts_mid(b, AT(43200), 110);
	bts_mid(b, AT(86400 + 43200), 99);
	bts_mid(b, AT(2 * 86400 + 43200), 108.9);
	s = bts_finish(b, AT(3 * 86400));
	for (k = 0; k < 3; k++)
		var += (r[k] - mean) * (r[k] - mean) / 2;
	sd = sqrt(0.04 / 3);	/* deviations 1/15, -2/15, 1/15: .1154701 */
	ck_assert_uint_eq(s->n_ret_1d, 3);
	ck_assert(fabs(sqrt(var) - sd) < 1e-12);
	ck_assert(fabs(s->sharpe_1d - mean / sd * sqrt(365)) < 1e-6);
	ck_assert(fabs(s->sortino_1d - mean / sqrt(0.01 / 3) * sqrt(365)) < 1e-6);
	ck_assert_uint_eq(s->n_ret_1m, 3 * 1440);
	ck_close(s->max_dd, 110);		/* 1100 -> 990 */
	ck_close(s->max_dd_pct, 10);
	ck_close(s->net_pnl, 89);
	bts_free(b);
}
END_TEST

/* No fills, no mids: every figure zero or undefined, never inf. */
START_TEST(test_empty_run)
{
	struct bts *b = bts_new(500, T0);
	const struct bts_summary *s = bts_finish(b, AT(60));
	char *txt = NULL;
	size_t len = 0;
	FILE *fp;

	ck_close(s->net_pnl, 0);
	ck_close(s->return_pct, 0);
	ck_close(s->equity_end, 500);
	ck_close(s->max_dd, 0);
	ck_assert(isnan(s->ret_over_dd));
	ck_assert(isnan(s->sharpe_1m));
	ck_assert(isnan(s->sortino_1m));
	ck_assert(isnan(s->maker_share_pct));
	ck_assert(isnan(s->last_mid));
	ck_assert_uint_eq(s->fills, 0);
	ck_assert_uint_eq(s->n_ret_1m, 1);
	ck_close(s->avg_abs_pos, 0);
	ck_close(s->paused_pct, 0);
	ck_assert(isnan(s->markout[0].mean_bp));
	fp = open_memstream(&txt, &len);
	ck_assert_int_eq(bts_write_text(s, fp), 0);
	fclose(fp);
	ck_assert_ptr_null(strstr(txt, " inf"));
	ck_assert_ptr_null(strstr(txt, " nan"));
	ck_assert_ptr_null(strstr(txt, "-nan"));
	ck_assert_ptr_nonnull(strstr(txt, " -  "));
	free(txt);
	bts_free(b);

	/* nothing fed, no start: a zero-length run */
	b = bts_new(500, 0);
	s = bts_finish(b, AT(0));
	ck_close(s->duration_s, 0);
	ck_assert(isnan(s->avg_abs_pos));
	ck_assert(isnan(s->weight_1m_mean));
	ck_assert_uint_eq(s->n_ret_1m, 0);
	bts_free(b);
}
END_TEST

START_TEST(test_bad_input)
{
	struct bts *b;
	const struct bts_summary *s;

	ck_assert_ptr_null(bts_new(0, T0));
	ck_assert_ptr_null(bts_new(NAN, T0));
	b = bts_new(1000, T0);
	bts_mid(b, AT(1), NAN);
	bts_mid(b, AT(1), -1);
	fill(b, 2, BTS_BUY, 1, 100, 0, 0, true);
	fill(b, 2, 7, 1, 100, 1, 0, true);
	fill(b, 2, BTS_BUY, 1, INFINITY, 1, 0, true);
	bts_request(b, AT(3), -1, 0);
	bts_place(b, AT(3), 2, 1);
	ck_assert_uint_eq(bts_ignored(b), 7);
	/* a fill before any mid: its own price marks it, no markout */
	fill(b, 4, BTS_BUY, 99, 100, 1, 0, true);	/* level 99 -> 0 */
	bts_mid(b, AT(3), 101);		/* earlier ts: taken as t 4 */
	s = bts_finish(b, AT(100));
	ck_assert_uint_eq(s->fills, 1);
	ck_assert_uint_eq(s->level[0].fills[BTS_BUY], 1);
	ck_close(s->spread_pnl, 0);
	ck_close(s->inventory_pnl, 1);
	ck_assert_uint_eq(s->markout[0].excluded, 1);
	ck_assert_uint_eq(s->markout[0].n, 0);
	/* fed after finish: ignored, the summary stands */
	bts_mid(b, AT(200), 500);
	ck_close(bts_finish(b, AT(300))->net_pnl, 1);
	bts_free(b);
}
END_TEST

static char *
to_json(const struct bts_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_int_eq(bts_write_json(s, fp), 0);
	fclose(fp);
	return buf;
}

START_TEST(test_json)
{
	struct bts *b = hand_run(), *b2 = hand_run();
	const struct bts_summary *s = bts_finish(b, AT(90));
	char *j1 = to_json(s), *j2 = to_json(bts_finish(b2, AT(90)));
	json_error_t err;
	json_t *o = json_loads(j1, 0, &err), *lv;
	const char *key;
	json_t *v;
	int i = 0;

	ck_assert_str_eq(j1, j2);	/* deterministic bytes */
	ck_assert_ptr_nonnull(o);
	ck_assert(fabs(json_real_value(json_object_get(o, "net_pnl")) -
	    0.395) < 1e-9);
	ck_assert(json_is_null(json_object_get(o, "sortino_1m")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "fills")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "markout_60s_excluded")), 1);
	lv = json_object_get(o, "levels");
	ck_assert_int_eq(json_array_size(lv), 3);	/* other, 1, 2 */
	/* stable key order: the first keys as written */
	json_object_foreach(o, key, v) {
		if (i == 0)
			ck_assert_str_eq(key, "start_ns");
		if (i == 4)
			ck_assert_str_eq(key, "net_pnl");
		i++;
	}
	(void)v;
	ck_assert_ptr_null(strstr(j1, "nan"));
	ck_assert_ptr_null(strstr(j1, "inf"));
	json_decref(o);
	free(j1);
	free(j2);
	bts_free(b);
	bts_free(b2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bt_stats");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pnl_parts);
	tcase_add_test(tc, test_drawdown_and_returns);
	tcase_add_test(tc, test_trading_and_levels);
	tcase_add_test(tc, test_inventory_time);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_rate_limit_windows);
	tcase_add_test(tc, test_markouts);
	tcase_add_test(tc, test_markout_signs);
	tcase_add_test(tc, test_markout_queue);
	tcase_add_test(tc, test_sharpe_sortino);
	tcase_add_test(tc, test_constant_returns);
	tcase_add_test(tc, test_daily);
	tcase_add_test(tc, test_empty_run);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return check_run(s);
}
