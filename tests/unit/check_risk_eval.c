/*
 * check_risk_eval.c — the risk decisions on a made-up clock: the position
 * limit exactly at / above / below it (long and short, by position and by
 * a mark move), the excess rounded up to the market step (a sweep proves
 * it is the smallest order that gets back inside), the flatten side and
 * cycle (cancel, fresh read, one order, fresh read), no second order while
 * one is in flight or unknown, latched vs condition pauses, resume refused
 * while the cause persists, auto resume timing, the max-loss kill switch,
 * latches restored after a restart, the fill-kept position (entry, late
 * and missed fills), the risk client ids, and what is not ours: a start-up
 * position not yet accepted is left alone, and only our own open orders
 * are cancelled.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_filters.h"
#include "risk_eval.h"
#include "shm.h"
#include "strat.h"
#include "check_run.h"

#define S(x)	((int64_t)((x) * 1e9))

static struct risk_eval		ev;
static struct risk_params	prm;
static struct risk_out		out;
static struct bn_filters	btc;
static int64_t			now;
static double			realized;

static void
mk(struct bn_filters *f, const char *step, const char *mstep,
    const char *mmin, const char *mmax)
{
	char why[128];

	bn_filters_init(f, "BTCUSDT");
	ck_assert_int_eq(bn_dec_parse("0.10", &f->tick), 0);
	ck_assert_int_eq(bn_dec_parse(step, &f->step), 0);
	ck_assert_int_eq(bn_dec_parse(step, &f->raw_min_qty), 0);
	ck_assert_int_eq(bn_dec_parse("1000", &f->raw_max_qty), 0);
	ck_assert_int_eq(bn_dec_parse("100", &f->min_notional), 0);
	if (mstep != NULL) {
		ck_assert_int_eq(bn_dec_parse(mstep, &f->mkt_step), 0);
		ck_assert_int_eq(bn_dec_parse(mmin, &f->mkt_min_qty), 0);
		ck_assert_int_eq(bn_dec_parse(mmax, &f->mkt_max_qty), 0);
	}
	f->have_price = f->have_lot = 1;
	ck_assert_int_eq(bn_filters_finish(f, why, sizeof(why)), 0);
}

/* limit 200 USDT, max loss 50, manual resume, retries from 1 s */
static void
setup(void)
{
	mk(&btc, "0.001", "0.001", "0.001", "120");
	memset(&prm, 0, sizeof(prm));
	prm.limit_usdt = 200;
	prm.max_loss_usdt = 50;
	prm.auto_resume_ns = 0;
	prm.retry_ns = S(1);
	now = S(1000);
	realized = 0;
	risk_eval_init(&ev, &prm, 0, now);
	risk_eval_set_lot(&ev, &btc);
	memset(&out, 0, sizeof(out));
}

static void
reinit(void)
{
	risk_eval_init(&ev, &prm, 0, now);
	risk_eval_set_lot(&ev, &btc);
}

static void
tickv(double mark, bool stale, bool user_ok)
{
	struct risk_view v = { .now_ns = now, .mark = mark,
	    .realized = realized, .stale = stale, .user_ok = user_ok };

	risk_eval_tick(&ev, &v, &out);
}

/* a healthy market at this mark */
static void
tick(double mark)
{
	tickv(mark, false, true);
}

static void
read_seq(uint64_t seq, double pos, double entry, double mark)
{
	struct risk_read rd = { .position = pos, .entry = entry,
	    .mark = mark };

	risk_eval_read(&ev, now, seq, &rd, &out);
}

/* A read sent and answered now. */
static void
rd(double pos, double mark)
{
	read_seq(risk_eval_read_sent(&ev), pos, mark, mark);
}

static int
count_notes(int kind, const char *sub)
{
	int i, n = 0;

	for (i = 0; i < out.n; i++)
		if ((kind < 0 || out.note[i].kind == kind) &&
		    (sub == NULL || strstr(out.note[i].text, sub) != NULL))
			n++;
	return n;
}

static void
clear_notes(void)
{
	memset(&out, 0, sizeof(out));
}

/* Walk a started cycle to the order: cancel sent and done, fresh read. */
static void
to_order(double pos, double mark)
{
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	risk_eval_sent(&ev, RISK_ACT_CANCEL_OURS);
	risk_eval_cancel_done(&ev, RISK_RES_DONE, &out);
	ck_assert(risk_eval_wants_read(&ev));
	rd(pos, mark);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_ORDER);
}

/* ---- the limit -------------------------------------------------------- */

START_TEST(test_limit_long_at_above_below)
{
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
	rd(0.003, 50000);		/* 150 USDT */
	ck_assert(!risk_eval_paused(&ev));
	rd(0.004, 50000);		/* exactly 200: inside */
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
	ck_assert_int_eq(count_notes(-1, NULL), 0);
	rd(0.005, 50000);		/* 250 */
	ck_assert(risk_eval_paused(&ev));
	ck_assert_ptr_nonnull(strstr(risk_eval_reason(&ev), "position limit"));
	ck_assert_ptr_nonnull(strstr(risk_eval_reason(&ev), "250.00 > 200.00"));
	ck_assert_int_eq(count_notes(RISK_PAUSE, "position limit"), 1);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	ck_assert_uint_eq(ev.causes, RISK_C_BIT(RISK_C_LIMIT));
}
END_TEST

START_TEST(test_limit_short_at_above_below)
{
	tick(50000);
	rd(-0.004, 50000);
	ck_assert(!risk_eval_paused(&ev));
	rd(-0.0041, 50000);		/* 205 */
	ck_assert(risk_eval_paused(&ev));
	to_order(-0.0041, 50000);
	ck_assert_int_eq(ev.fl_side, 0);	/* short: BUY back */
	ck_assert_int_eq(ev.fl_steps, 1);	/* 0.0001 rounded up */
	ck_assert_int_eq(count_notes(RISK_FLATTEN, "BUY 0.001 of 0.0041"), 1);
}
END_TEST

/* The exchange's position inside, then the mark moves it out. */
START_TEST(test_limit_by_mark_move)
{
	tick(50000);
	rd(0.004, 50000);
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
	tick(50000.1);			/* 200.0004 */
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_PAUSE, "position limit"), 1);
	to_order(0.004, 50000.1);
	ck_assert_int_eq(ev.fl_side, 1);
	ck_assert_int_eq(ev.fl_steps, 1);
}
END_TEST

/* A stale market's mark is not used: the exchange's read is newer. */
START_TEST(test_limit_stale_uses_read_mark)
{
	tick(40000);
	tickv(40000, true, true);
	rd(0.0045, 50000);	/* 225 at the read's mark; 180 at 40000 */
	ck_assert(ev.causes & RISK_C_BIT(RISK_C_LIMIT));
}
END_TEST

/* Limits are judged on reads only: no read, no limit pause. */
START_TEST(test_no_read_no_limit)
{
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	ck_assert(!risk_eval_wants_read(&ev));
}
END_TEST

/* ---- sizing ----------------------------------------------------------- */

START_TEST(test_excess_table)
{
	static const struct {
		double pos, mark, limit;
		int64_t steps;
	} c[] = {
		{ 0.005, 50000, 200, 1 },	/* exactly one step over */
		{ -0.005, 50000, 200, 1 },
		{ 0.009, 60000, 200, 6 },	/* 0.00567 -> 0.006 */
		{ 0.004, 50000, 200, 0 },	/* at the limit */
		{ 0.003, 50000, 200, 0 },
		{ 0.0041, 50000, 200, 1 },	/* a fraction of a step up */
		{ 1.0, 60000, 0, 1000 },	/* limit 0: all of it */
		{ 0.5, 0, 200, 0 },		/* no mark */
		{ 0.5, NAN, 200, 0 },
		{ NAN, 60000, 200, 0 },
		{ 0.5, 60000, -1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_msg(risk_excess_steps(&btc, c[i].pos, c[i].mark,
		    c[i].limit) == c[i].steps, "case %zu: %lld", i,
		    (long long)risk_excess_steps(&btc, c[i].pos, c[i].mark,
		    c[i].limit));
}
END_TEST

/* Every position of 1..3000 steps at several marks: the order is the
 * smallest whole step count that gets back inside. */
START_TEST(test_excess_sweep_minimal)
{
	static const double marks[] = { 59999.9, 60000, 61234.5, 87000.3,
	    10000.1 };
	static const double limits[] = { 200, 1000, 333.33 };
	double mark, limit, pos, rest;
	int i, j, k;
	int64_t s;

	for (i = 0; i < 5; i++)
		for (j = 0; j < 3; j++)
			for (k = 1; k <= 3000; k++) {
				mark = marks[i];
				limit = limits[j];
				pos = (k % 2 ? 1 : -1) * k * 0.001;
				s = risk_excess_steps(&btc, pos, mark, limit);
				if (fabs(pos) * mark <= limit) {
					ck_assert_int_eq(s, 0);
					continue;
				}
				ck_assert(s >= 1 && s <= k);
				rest = (k - s) * 0.001;
				ck_assert_msg(rest * mark <= limit + 1e-6,
				    "pos %g mark %g: %lld steps leave %g",
				    pos, mark, (long long)s, rest * mark);
				ck_assert_msg(s == 1 || (k - s + 1) * 0.001 *
				    mark > limit, "pos %g mark %g: %lld not "
				    "minimal", pos, mark, (long long)s);
			}
}
END_TEST

/* MARKET_LOT_SIZE wins over LOT_SIZE, with its min and max. */
START_TEST(test_excess_market_lot)
{
	struct bn_filters f, lot;

	mk(&f, "0.001", "0.01", "0.02", "0.5");
	risk_market_lot(&f, &lot);
	/* 0.005 over at 50000/200 -> 0.001 -> one 0.01 step -> min 0.02 */
	ck_assert_int_eq(risk_excess_steps(&lot, 0.025, 50000, 1000), 2);
	/* 0.0123 over -> 2 steps of 0.01 */
	ck_assert_int_eq(risk_excess_steps(&lot, 0.0523, 50000, 2000), 2);
	/* capped at maxQty 0.5 = 50 steps; the rest waits for a cycle */
	ck_assert_int_eq(risk_excess_steps(&lot, 2.0, 50000, 1000), 50);
	/* never more than the position, rounded up */
	ck_assert_int_eq(risk_close_steps(&lot, 0.013), 2);
	ck_assert_int_eq(risk_close_steps(&lot, 0), 0);
	/* without MARKET_LOT_SIZE the LOT_SIZE step is used */
	mk(&f, "0.001", NULL, NULL, NULL);
	risk_market_lot(&f, &lot);
	ck_assert_int_eq(risk_excess_steps(&lot, 0.025, 50000, 1000), 5);
	ck_assert_int_eq(risk_close_steps(&lot, -0.025), 25);
}
END_TEST

/* ---- the flatten cycle ------------------------------------------------ */

START_TEST(test_cycle_long)
{
	uint64_t early;

	tick(50000);
	rd(0.009, 50000);		/* 450: over by 0.005 */
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	risk_eval_sent(&ev, RISK_ACT_CANCEL_OURS);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	/* a periodic read while the cancel is out decides nothing */
	early = risk_eval_read_sent(&ev);
	read_seq(early, 0.009, 50000, 50000);
	ck_assert_int_eq(ev.fl, RISK_FL_CANCELING);
	/* a read sent before the cancel completed is not fresh */
	early = risk_eval_read_sent(&ev);
	risk_eval_cancel_done(&ev, RISK_RES_DONE, &out);
	read_seq(early, 0.009, 50000, 50000);
	ck_assert_int_eq(ev.fl, RISK_FL_READ);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	/* the fresh read sizes the order from what the exchange says now */
	rd(0.010, 50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_ORDER);
	ck_assert_int_eq(ev.fl_side, 1);
	ck_assert_int_eq(ev.fl_steps, 6);
	ck_assert_int_eq(count_notes(RISK_FLATTEN, "SELL 0.006 of 0.01"), 1);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	ck_assert_uint_eq(ev.orders, 1);
	/* in flight: reads and ticks send nothing else */
	rd(0.010, 50000);
	tick(50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	early = risk_eval_read_sent(&ev);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	ck_assert(risk_eval_wants_read(&ev));
	read_seq(early, 0.010, 50000, 50000);	/* older than the fill */
	ck_assert_int_eq(ev.fl, RISK_FL_SETTLE);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	rd(0.004, 50000);
	ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
	ck_assert(!risk_eval_wants_read(&ev));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	ck_assert_uint_eq(ev.orders, 1);
	ck_assert_uint_eq(ev.cycles, 1);
	/* latched: back inside, still paused */
	ck_assert(risk_eval_paused(&ev));
}
END_TEST

/* The position came back inside between the cancel and the read. */
START_TEST(test_cycle_nothing_to_do)
{
	tick(50000);
	rd(0.005, 50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	risk_eval_sent(&ev, RISK_ACT_CANCEL_OURS);
	risk_eval_cancel_done(&ev, RISK_RES_UNKNOWN, &out);
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG, "unknown outcome"), 1);
	rd(0.004, 50000);
	ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	ck_assert_int_eq(count_notes(RISK_FLATTEN, NULL), 0);
	ck_assert_uint_eq(ev.orders, 0);
}
END_TEST

/* An unknown outcome is asked for, never resent. */
START_TEST(test_unknown_queries_not_resends)
{
	int i;

	tick(50000);
	rd(0.006, 50000);
	to_order(0.006, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_UNKNOWN, &out);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_QUERY);
	risk_eval_sent(&ev, RISK_ACT_QUERY);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	/* the query fails too: ask again after retry_ns, still no order */
	risk_eval_query_done(&ev, now, RISK_RES_UNKNOWN, &out);
	for (i = 0; i < 10; i++) {
		rd(0.006, 50000);
		tick(50000);
		ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
		now += S(0.09);
	}
	now += S(0.2);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_QUERY);
	risk_eval_sent(&ev, RISK_ACT_QUERY);
	risk_eval_query_done(&ev, now, RISK_RES_DONE, &out);
	ck_assert_int_eq(ev.fl, RISK_FL_SETTLE);
	rd(0.004, 50000);
	ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
	ck_assert_uint_eq(ev.orders, 1);
}
END_TEST

/* Not executed (refused, or the query says it does not exist): the next
 * cycle waits retry_ns, doubling. */
START_TEST(test_not_done_backs_off)
{
	int64_t waits[] = { S(1), S(2), S(4) };
	int i;

	tick(50000);
	rd(0.006, 50000);
	for (i = 0; i < 3; i++) {
		to_order(0.006, 50000);
		risk_eval_sent(&ev, RISK_ACT_ORDER);
		if (i == 1) {
			risk_eval_order_done(&ev, now, RISK_RES_UNKNOWN, &out);
			risk_eval_sent(&ev, risk_eval_next(&ev, now));
			risk_eval_query_done(&ev, now, RISK_RES_NOT_DONE,
			    &out);
		} else
			risk_eval_order_done(&ev, now, RISK_RES_NOT_DONE,
			    &out);
		rd(0.006, 50000);		/* fresh, still over */
		ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
		now += waits[i] - 1;
		tick(50000);
		ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
		now += 1;
		tick(50000);
		ck_assert_int_eq(risk_eval_next(&ev, now),
		    RISK_ACT_CANCEL_OURS);
	}
	ck_assert_uint_eq(ev.orders, 3);
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG, "not executed"), 3);
}
END_TEST

/* No filters yet: pause and cancel, but no order until they arrive. */
START_TEST(test_no_lot_no_order)
{
	risk_eval_init(&ev, &prm, 0, now);
	tick(50000);
	rd(0.006, 50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	risk_eval_sent(&ev, RISK_ACT_CANCEL_OURS);
	risk_eval_cancel_done(&ev, RISK_RES_DONE, &out);
	rd(0.006, 50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG, "no exchange filters"), 1);
	risk_eval_set_lot(&ev, &btc);
	now += S(1);
	tick(50000);
	to_order(0.006, 50000);
	ck_assert_int_eq(ev.fl_steps, 2);
}
END_TEST

/* ---- pauses and resume ------------------------------------------------ */

START_TEST(test_condition_pauses_clear_themselves)
{
	tick(50000);
	tickv(50000, true, true);
	ck_assert(risk_eval_paused(&ev));
	ck_assert_str_eq(risk_eval_reason(&ev), "market data stale");
	ck_assert_int_eq(count_notes(RISK_PAUSE, "market data stale"), 1);
	tickv(50000, true, true);	/* no second note while it lasts */
	ck_assert_int_eq(count_notes(RISK_PAUSE, NULL), 1);
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_RESUME, NULL), 1);
	clear_notes();
	tickv(50000, false, false);
	ck_assert_str_eq(risk_eval_reason(&ev), "user data stream down");
	ck_assert_int_eq(count_notes(RISK_PAUSE, "user data stream"), 1);
	tickv(50000, true, false);	/* both: stale is named first */
	ck_assert_str_eq(risk_eval_reason(&ev), "market data stale");
	tickv(50000, false, false);
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_RESUME, NULL), 0);
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG, "still paused"), 1);
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_RESUME, NULL), 1);
}
END_TEST

/* A feed pauses only once it has been up: at start-up nothing has
 * arrived yet (and the order service does not quote without it). */
START_TEST(test_startup_feeds_not_up_yet)
{
	int i;

	for (i = 0; i < 100; i++) {
		tickv(0, true, false);
		now += S(1);
	}
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(-1, NULL), 0);
	tickv(50000, false, false);	/* the market came: armed */
	ck_assert(!risk_eval_paused(&ev));
	tickv(50000, true, false);
	ck_assert_str_eq(risk_eval_reason(&ev), "market data stale");
	tickv(50000, false, false);
	ck_assert(!risk_eval_paused(&ev));
	tick(50000);			/* the user stream came: armed */
	tickv(50000, false, false);
	ck_assert_str_eq(risk_eval_reason(&ev), "user data stream down");
	/* re-armed from scratch by a restart of the service */
	reinit();
	tickv(50000, true, false);
	ck_assert(!risk_eval_paused(&ev));
}
END_TEST

START_TEST(test_latched_needs_resume)
{
	tick(50000);
	rd(0.005, 50000);
	to_order(0.005, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	/* resume while the order is out: refused, and says why */
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG,
	    "resume refused for position limit: a flatten is in progress"), 1);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	rd(0.004, 50000);
	/* inside and idle, but latched: hours later still paused */
	now += S(36000);
	tick(50000);
	ck_assert(risk_eval_paused(&ev));
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_RESUME, "pmmctl resume"), 1);
}
END_TEST

START_TEST(test_resume_refused_while_over)
{
	tick(50000);
	rd(0.006, 50000);
	to_order(0.006, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_NOT_DONE, &out);
	rd(0.006, 50000);		/* idle, waiting to retry, still over */
	ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG,
	    "notional 300.00 is still above the limit 200.00"), 1);
}
END_TEST

/* The operator cannot clear a condition; it clears itself later. */
START_TEST(test_resume_with_condition)
{
	tick(50000);
	tickv(50000, true, true);
	risk_eval_operator(&ev, now, true, "lunch", &out);
	ck_assert_str_eq(risk_eval_reason(&ev), "market data stale");
	ck_assert(ev.causes & RISK_C_BIT(RISK_C_OPERATOR));
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(!(ev.causes & RISK_C_BIT(RISK_C_OPERATOR)));
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG,
	    "still paused while market data stale"), 1);
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
}
END_TEST

START_TEST(test_operator_pause)
{
	tick(50000);
	risk_eval_operator(&ev, now, true, "lunch", &out);
	ck_assert_str_eq(risk_eval_reason(&ev), "operator: lunch");
	ck_assert_int_eq(count_notes(RISK_PAUSE, "operator: lunch"), 1);
	/* a breach on top is named first */
	rd(0.005, 50000);
	ck_assert_ptr_nonnull(strstr(risk_eval_reason(&ev), "position limit"));
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(risk_eval_paused(&ev));	/* limit latched, cycle on */
	ck_assert(!(ev.causes & RISK_C_BIT(RISK_C_OPERATOR)));
	/* an operator pause does not time out */
	clear_notes();
	risk_eval_operator(&ev, now, true, "", &out);
	ck_assert_int_eq(count_notes(RISK_PAUSE, "operator: paused"), 1);
}
END_TEST

START_TEST(test_auto_resume_timing)
{
	int64_t t0;

	prm.auto_resume_ns = S(60);
	reinit();
	tick(50000);
	t0 = now;
	rd(0.005, 50000);
	now += S(1);
	to_order(0.005, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	rd(0.004, 50000);
	now = t0 + S(60) - 1;
	tick(50000);
	ck_assert(risk_eval_paused(&ev));
	now = t0 + S(60);
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_RESUME, "auto resume after 60 s"),
	    1);
}
END_TEST

/* The time has come but the cause is still there: wait until it goes. */
START_TEST(test_auto_resume_waits_for_cause)
{
	int64_t t0;

	prm.auto_resume_ns = S(60);
	reinit();
	tick(50000);
	t0 = now;
	rd(0.006, 50000);
	to_order(0.006, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_NOT_DONE, &out);
	rd(0.006, 50000);
	now = t0 + S(61);
	tick(50000);		/* a new cycle starts instead */
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	to_order(0.006, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	tick(50000);
	ck_assert(risk_eval_paused(&ev));	/* not re-read yet */
	rd(0.004, 50000);
	tick(50000);
	ck_assert(!risk_eval_paused(&ev));
}
END_TEST

START_TEST(test_manual_only_never_auto)
{
	tick(50000);
	rd(0.005, 50000);
	to_order(0.005, 50000);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	rd(0.0, 50000);
	now += S(86400 * 30);
	tick(50000);
	ck_assert(risk_eval_paused(&ev));
}
END_TEST

/* ---- max loss --------------------------------------------------------- */

START_TEST(test_max_loss_long)
{
	realized = -30;
	tick(40000);
	/* long 0.002 from 50000 at 40000: -20, total exactly -50: not below */
	read_seq(risk_eval_read_sent(&ev), 0.002, 50000, 40000);
	ck_assert(!risk_eval_paused(&ev));
	tick(39999);
	ck_assert(ev.causes & RISK_C_BIT(RISK_C_MAX_LOSS));
	ck_assert_ptr_nonnull(strstr(risk_eval_reason(&ev), "max loss"));
	ck_assert_int_eq(count_notes(RISK_KILL, "max loss: pnl -50.00"), 1);
	/* the whole position, though it is well inside the limit */
	ck_assert(!(ev.causes & RISK_C_BIT(RISK_C_LIMIT)));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	risk_eval_sent(&ev, RISK_ACT_CANCEL_OURS);
	risk_eval_cancel_done(&ev, RISK_RES_DONE, &out);
	read_seq(risk_eval_read_sent(&ev), 0.002, 50000, 39999);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_ORDER);
	ck_assert(ev.fl_kill);
	ck_assert_int_eq(ev.fl_side, 1);
	ck_assert_int_eq(ev.fl_steps, 2);
	ck_assert_int_eq(count_notes(RISK_FLATTEN, "all of it"), 1);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	realized = -50.002;
	tick(39999);
	read_seq(risk_eval_read_sent(&ev), 0, 0, 39999);
	ck_assert_int_eq(ev.fl, RISK_FL_IDLE);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	/* flat, but the loss is real: resume refused, auto resume too */
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG,
	    "resume refused for max loss: pnl -50.00 is still below"), 1);
	/* the operator accepts the loss: a larger max_loss_usdt, resume */
	prm.max_loss_usdt = 100;
	risk_eval_set_params(&ev, &prm);
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(!risk_eval_paused(&ev));
}
END_TEST

START_TEST(test_max_loss_short_and_off)
{
	tick(60000);
	read_seq(risk_eval_read_sent(&ev), -0.003, 50000, 60000);
	/* short 0.003 from 50000 at 60000: -30 */
	ck_assert(!risk_eval_paused(&ev));
	realized = -20.01;
	tick(60000);
	ck_assert(ev.causes & RISK_C_BIT(RISK_C_MAX_LOSS));
	to_order(-0.003, 60000);
	ck_assert_int_eq(ev.fl_side, 0);
	ck_assert_int_eq(ev.fl_steps, 3);
	/* max_loss_usdt 0 turns it off */
	prm.max_loss_usdt = 0;
	realized = -1e6;
	reinit();
	tick(60000);
	rd(0.001, 60000);
	ck_assert(!risk_eval_paused(&ev));
}
END_TEST

/* A limit flatten is under way when the loss stop fires: the next cycle
 * closes everything. */
START_TEST(test_max_loss_during_limit_cycle)
{
	tick(50000);
	read_seq(risk_eval_read_sent(&ev), 0.006, 50000, 50000);
	to_order(0.006, 50000);
	ck_assert_int_eq(ev.fl_steps, 2);
	risk_eval_sent(&ev, RISK_ACT_ORDER);
	realized = -100;
	tick(50000);
	ck_assert(ev.causes & RISK_C_BIT(RISK_C_MAX_LOSS));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	risk_eval_order_done(&ev, now, RISK_RES_DONE, &out);
	read_seq(risk_eval_read_sent(&ev), 0.004, 50000, 50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	to_order(0.004, 50000);
	ck_assert(ev.fl_kill);
	ck_assert_int_eq(ev.fl_steps, 4);
	ck_assert_str_eq(risk_eval_reason(&ev) + 0,
	    ev.why[RISK_C_MAX_LOSS]);
}
END_TEST

/* ---- restart ---------------------------------------------------------- */

START_TEST(test_restart_restores_latches)
{
	unsigned bits = RISK_C_BIT(RISK_C_LIMIT) | RISK_C_BIT(RISK_C_STALE) |
	    RISK_C_BIT(RISK_C_OPERATOR);

	risk_eval_init(&ev, &prm, bits, now);
	ck_assert_uint_eq(ev.causes, RISK_C_BIT(RISK_C_LIMIT));
	ck_assert_ptr_nonnull(strstr(risk_eval_reason(&ev), "position limit"));
	tick(50000);
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(risk_eval_paused(&ev));	/* nothing read yet */
	ck_assert_int_eq(count_notes(RISK_NOTE_LOG, "no position read"), 1);
	rd(0.001, 50000);
	risk_eval_operator(&ev, now, false, "", &out);
	ck_assert(!risk_eval_paused(&ev));
}
END_TEST

/* ---- the fill-kept position ------------------------------------------- */

START_TEST(test_book_entry_and_realized)
{
	struct risk_book b;

	memset(&b, 0, sizeof(b));
	risk_book_fill(&b, 0, 0.002, 100, 0, 0);
	risk_book_fill(&b, 0, 0.002, 200, 0, 0);
	ck_assert_double_eq_tol(b.pos, 0.004, 1e-12);
	ck_assert_double_eq_tol(b.entry, 150, 1e-9);
	risk_book_fill(&b, 1, 0.001, 300, 0.15, 0);	/* reduce */
	ck_assert_double_eq_tol(b.pos, 0.003, 1e-12);
	ck_assert_double_eq_tol(b.entry, 150, 1e-9);
	risk_book_fill(&b, 1, 0.005, 120, -0.09, 0);	/* flip */
	ck_assert_double_eq_tol(b.pos, -0.002, 1e-12);
	ck_assert_double_eq_tol(b.entry, 120, 1e-9);
	risk_book_fill(&b, 0, 0.002, 110, 0.02, 0);	/* flat */
	ck_assert(b.pos == 0);
	ck_assert(b.entry == 0);
	ck_assert_double_eq_tol(b.realized, 0.08, 1e-12);
	ck_assert_uint_eq(b.fills, 5);
	/* nonsense is counted, not applied */
	risk_book_fill(&b, 0, NAN, 100, 0, 0);
	risk_book_fill(&b, 0, 0.001, -1, 0, 0);
	ck_assert(b.pos == 0);
}
END_TEST

/* A fill the read already has (trade time <= updateTime) arriving after
 * it is not counted twice, and is not reported as missed. */
START_TEST(test_book_late_fill)
{
	struct risk_book b;

	memset(&b, 0, sizeof(b));
	risk_book_read(&b, 0, 0, 0);
	risk_book_fill(&b, 0, 0.001, 100, 0, 1000);
	ck_assert(risk_book_read(&b, 0.002, 100, 2000) == 0);
	risk_book_fill(&b, 0, 0.001, 100, 0, 2000);	/* late */
	ck_assert_double_eq_tol(b.pos, 0.002, 1e-12);
	risk_book_fill(&b, 0, 0.001, 100, 0, 2001);	/* new */
	ck_assert_double_eq_tol(b.pos, 0.003, 1e-12);
	ck_assert(risk_book_read(&b, 0.003, 100, 2001) == 0);
	ck_assert(risk_book_read(&b, 0.003, 100, 2001) == 0);
}
END_TEST

/* A fill that never came shows up one read later, with its size. */
START_TEST(test_book_missed_fill)
{
	struct risk_book b;

	memset(&b, 0, sizeof(b));
	risk_book_read(&b, 0, 0, 0);
	risk_book_fill(&b, 1, 0.001, 100, 0, 1000);
	ck_assert(risk_book_read(&b, -0.003, 100, 1500) == 0);
	ck_assert_double_eq_tol(b.pos, -0.003, 1e-12);
	ck_assert_double_eq_tol(risk_book_read(&b, -0.003, 100, 1500),
	    -0.002, 1e-12);
	ck_assert(risk_book_read(&b, -0.003, 100, 1500) == 0);
}
END_TEST

/* A fill that reached us while the read was out but happened after the
 * exchange's snapshot is kept on top of the read, and is not missed. */
START_TEST(test_book_fill_during_read)
{
	struct risk_book b;

	memset(&b, 0, sizeof(b));
	risk_book_read(&b, 0.002, 100, 1000);
	risk_book_fill(&b, 0, 0.001, 130, 0, 1200);
	ck_assert(risk_book_read(&b, 0.002, 100, 1100) == 0);
	ck_assert_double_eq_tol(b.pos, 0.003, 1e-12);
	ck_assert_double_eq_tol(b.entry, 110, 1e-9);
	ck_assert(risk_book_read(&b, 0.003, 110, 1200) == 0);
}
END_TEST

/* ---- client ids ------------------------------------------------------- */

START_TEST(test_cid)
{
	char buf[64], inst[21];
	struct strat_cid sc;
	int n;

	n = risk_cid_make(buf, sizeof(buf), "simple_mm", 36 * 36 + 35);
	ck_assert_int_eq(n, 15);
	ck_assert_str_eq(buf, "simple_mm-X-10z");
	ck_assert(risk_cid_is(buf, "simple_mm"));
	ck_assert(!risk_cid_is(buf, "simple"));
	ck_assert(!strat_cid_ours(buf, "simple_mm"));
	ck_assert_int_eq(strat_cid_parse(buf, &sc), -1);
	/* the order service's ids are not ours */
	ck_assert(strat_cid_make(buf, sizeof(buf), "simple_mm", STRAT_BUY, 1,
	    12345) > 0);
	ck_assert(!risk_cid_is(buf, "simple_mm"));
	/* the longest: 20-char instance, 11 digits = 34 <= 36 */
	memset(inst, 'a', 20);
	inst[20] = '\0';
	n = risk_cid_make(buf, sizeof(buf), inst, UINT64_MAX);
	ck_assert_int_le(n, 36);
	ck_assert(risk_cid_is(buf, inst));
	ck_assert_int_eq(risk_cid_make(buf, 10, inst, 1), -1);
	ck_assert_int_eq(risk_cid_make(buf, sizeof(buf), "a b", 1), -1);
	ck_assert_int_eq(risk_cid_make(buf, sizeof(buf), "", 1), -1);
	ck_assert(!risk_cid_is("simple_mm-X-", "simple_mm"));
	ck_assert(!risk_cid_is("simple_mm-X-A1", "simple_mm"));
	ck_assert_int_eq(risk_cid_make(buf, sizeof(buf), "i", 0), 5);
	ck_assert_str_eq(buf, "i-X-0");
}
END_TEST

/* ---- what is not ours -------------------------------------------------- */

/* Before the order service accepted the start-up position, nothing is
 * judged or closed; once accepted, the cycle runs as always. */
START_TEST(test_unchecked_position_untouched)
{
	struct risk_view v = { .now_ns = now, .mark = 50000, .user_ok = true,
	    .pos_unchecked = true };

	risk_eval_tick(&ev, &v, &out);
	rd(0.01, 50000);		/* 500 USDT, limit 200 */
	ck_assert(!risk_eval_paused(&ev));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	ck_assert_int_eq(count_notes(-1, NULL), 0);
	now += S(5);
	v.now_ns = now;
	risk_eval_tick(&ev, &v, &out);
	rd(0.01, 50000);
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_NONE);
	/* accepted (or adopted): the same position is now ours to limit */
	tick(50000);
	ck_assert(risk_eval_paused(&ev));
	ck_assert_int_eq(risk_eval_next(&ev, now), RISK_ACT_CANCEL_OURS);
	to_order(0.01, 50000);
	ck_assert_int_eq(ev.fl_steps, 6);	/* 0.01 - 200 / 50000 */
}
END_TEST

START_TEST(test_own_orders_only)
{
	static const char *const ids[] = {
		"pmm-B1-abc",		/* the ladder's */
		"manual-keep-1",	/* a person's */
		"pmm-X-k3",		/* risk's */
		"pmm-2-S1-abc",		/* instance "pmm-2" */
		"pmm-B1-",		/* not a whole id */
		"web_AbC123",
		"pmm-S3-zz",
		"",
	};
	struct bn_order os[8];
	char cids[2][PMM_ID_MAX];
	int i, n, others;

	memset(os, 0, sizeof(os));
	for (i = 0; i < 8; i++)
		snprintf(os[i].clientOrderId, sizeof(os[i].clientOrderId),
		    "%s", ids[i]);
	n = risk_own_orders(os, 8, "pmm", cids, 2, &others);
	ck_assert_int_eq(n, 3);		/* more than fit: counted */
	ck_assert_int_eq(others, 5);
	ck_assert_str_eq(cids[0], "pmm-B1-abc");
	ck_assert_str_eq(cids[1], "pmm-X-k3");
	ck_assert_int_eq(risk_own_orders(os, 0, "pmm", cids, 2, &others), 0);
	ck_assert_int_eq(others, 0);
	ck_assert_int_eq(risk_own_orders(os, 8, "manual", cids, 2, &others),
	    0);
	ck_assert_int_eq(others, 8);
}
END_TEST

/* Risk's published record, as the service and the backtest both fill it:
 * NaN before the exchange said a position, 0 unrealized when flat, the
 * parts by hand when long, and the pause's start when the flag flips. */
START_TEST(test_record_fill)
{
	struct shm_risk k;
	struct risk_book bk;
	struct risk_eval ev;

	memset(&k, 0, sizeof(k));
	memset(&bk, 0, sizeof(bk));
	memset(&ev, 0, sizeof(ev));
	risk_record_fill(&k, &bk, false, 0, &ev, 111);
	ck_assert(isnan(k.position) && isnan(k.entry_price) &&
	    isnan(k.mark_price) && isnan(k.unrealized_pnl));
	ck_assert_int_eq(k.paused, 0);
	risk_record_fill(&k, &bk, true, 60000, &ev, 222);
	ck_assert(k.position == 0 && k.unrealized_pnl == 0);
	bk.pos = 0.01;
	bk.entry = 60000;
	bk.realized = -0.5;
	ev.causes = 1;			/* any cause pauses */
	risk_record_fill(&k, &bk, true, 60100, &ev, 333);
	ck_assert_double_eq_tol(k.position_notional, 601, 1e-9);
	ck_assert_double_eq_tol(k.unrealized_pnl, 1.0, 1e-9);
	ck_assert_double_eq_tol(k.realized_pnl, -0.5, 1e-12);
	ck_assert_int_eq(k.paused, 1);
	ck_assert_int_eq(k.paused_since_ns, 333);
	risk_record_fill(&k, &bk, true, 60100, &ev, 444);
	ck_assert_int_eq(k.paused_since_ns, 333);	/* still the start */
	ev.causes = 0;
	risk_record_fill(&k, &bk, true, 60100, &ev, 555);
	ck_assert_int_eq(k.paused, 0);
	ck_assert_int_eq(k.paused_since_ns, 0);
}
END_TEST

static Suite *
risk_suite(void)
{
	Suite *s = suite_create("risk_eval");
	TCase *tc;

	tc = tcase_create("limit");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_limit_long_at_above_below);
	tcase_add_test(tc, test_limit_short_at_above_below);
	tcase_add_test(tc, test_limit_by_mark_move);
	tcase_add_test(tc, test_limit_stale_uses_read_mark);
	tcase_add_test(tc, test_no_read_no_limit);
	tcase_add_test(tc, test_excess_table);
	tcase_add_test(tc, test_excess_sweep_minimal);
	tcase_add_test(tc, test_excess_market_lot);
	suite_add_tcase(s, tc);

	tc = tcase_create("flatten");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cycle_long);
	tcase_add_test(tc, test_cycle_nothing_to_do);
	tcase_add_test(tc, test_unknown_queries_not_resends);
	tcase_add_test(tc, test_not_done_backs_off);
	tcase_add_test(tc, test_no_lot_no_order);
	tcase_add_test(tc, test_unchecked_position_untouched);
	tcase_add_test(tc, test_own_orders_only);
	tcase_add_test(tc, test_record_fill);
	suite_add_tcase(s, tc);

	tc = tcase_create("pause");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_condition_pauses_clear_themselves);
	tcase_add_test(tc, test_startup_feeds_not_up_yet);
	tcase_add_test(tc, test_latched_needs_resume);
	tcase_add_test(tc, test_resume_refused_while_over);
	tcase_add_test(tc, test_resume_with_condition);
	tcase_add_test(tc, test_operator_pause);
	tcase_add_test(tc, test_auto_resume_timing);
	tcase_add_test(tc, test_auto_resume_waits_for_cause);
	tcase_add_test(tc, test_manual_only_never_auto);
	tcase_add_test(tc, test_max_loss_long);
	tcase_add_test(tc, test_max_loss_short_and_off);
	tcase_add_test(tc, test_max_loss_during_limit_cycle);
	tcase_add_test(tc, test_restart_restores_latches);
	suite_add_tcase(s, tc);

	tc = tcase_create("book");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_book_entry_and_realized);
	tcase_add_test(tc, test_book_late_fill);
	tcase_add_test(tc, test_book_missed_fill);
	tcase_add_test(tc, test_book_fill_during_read);
	tcase_add_test(tc, test_cid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(risk_suite());
}
