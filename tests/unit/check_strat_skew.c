/*
 * check_strat_skew.c — skew_mm on hand-computed cases (strat_fixture.h:
 * mid 60000, 150 USDT a rung, hard limit 1000 USDT = 0.016667 BTC, soft
 * 0.8 of it = 0.013333 BTC, price_skew_percent 0.02, size_skew 0.5).
 *
 * x = position / 0.016667; r = 60000 x (1 - x x 0.0002); level k at
 * r x (1 -/+ k x 0.0001), bids down and asks up to the 0.1 tick.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_run.h"
#include "strat_fixture.h"

static void
setup(void)
{
	fx_setup("skew_mm");
}

/* Flat, skew_mm is simple_mm to the tick (simple's own example book). */
START_TEST(test_flat_is_simple)
{
	const struct strat_impl *simple = strat_find("simple_mm", NULL, 0);
	struct strat_out s;
	int i;

	in.mkt.bid = 60000.0;
	in.mkt.ask = 60000.1;
	in.mkt.mid = 60000.05;
	ck_assert_int_eq(strat_eval(simple, &in, &s), 0);
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_QUOTING);
	ck_assert_int_eq(out.n_desired, 6);
	ck_assert_int_eq(s.n_desired, 6);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(out.desired[i].side, s.desired[i].side);
		ck_assert_int_eq(out.desired[i].level, s.desired[i].level);
		ck_assert_int_eq(out.desired[i].px_ticks, s.desired[i].px_ticks);
		ck_assert_int_eq(out.desired[i].qty_steps,
		    s.desired[i].qty_steps);
	}
	ck_assert(out.reservation == 60000.05);
	ck_assert(out.skew_bp == 0);
	ck_assert_int_eq(out.n_capped, 0);
}
END_TEST

/*
 * Long 0.008 BTC: x = 0.48, r = 60000 x (1 - 0.000096) = 59994.24:
 *   B1 59994.24 x 0.9999 = 59988.240576 -> 59988.2
 *   S1 59994.24 x 1.0001 = 60000.239424 -> 60000.3
 *   B2 59982.241152 -> 59982.2   S2 60006.238848 -> 60006.3
 *   B3 59976.241728 -> 59976.2   S3 60012.238272 -> 60012.3
 * Size: bids (they grow the long) get 150 x (1 - 0.5 x 0.48) = 114 USDT:
 * 114 / 59988.2 = 0.0019 -> 0.001 BTC (60 USDT, above a 5 USDT
 * MIN_NOTIONAL); asks keep 150 -> 0.002.
 */
START_TEST(test_long_skews_down_and_shrinks_bids)
{
	in.flt.min_notional = 5;
	in.position = 0.008;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59988.2/0.001 S1 60000.3/0.002 B2 59982.2/0.001 "
	    "S2 60006.3/0.002 B3 59976.2/0.001 S3 60012.3/0.002");
	ck_assert_msg(fabs(out.reservation - 59994.24) < 1e-6, "%.9f",
	    out.reservation);
	ck_assert_msg(fabs(out.skew_bp + 0.96) < 1e-9, "%.12f", out.skew_bp);
	ck_assert_msg(fabs(out.q_lots - 3.2) < 1e-9, "%.12f", out.q_lots);
	fx_invariants();
}
END_TEST

/* Short 0.008: the mirror, r = 60005.76; asks shrink. */
START_TEST(test_short_skews_up_and_shrinks_asks)
{
	in.flt.min_notional = 5;
	in.position = -0.008;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59999.7/0.002 S1 60011.8/0.001 B2 59993.7/0.002 "
	    "S2 60017.8/0.001 B3 59987.7/0.002 S3 60023.8/0.001");
	ck_assert_msg(fabs(out.skew_bp - 0.96) < 1e-9, "%.12f", out.skew_bp);
	fx_invariants();
}
END_TEST

/*
 * At BTCUSDT's 100 USDT minimum, 114 USDT is 0.001 BTC (60 USDT): the
 * shrunk side is dropped, not bumped back to 0.002 (120 > 114).
 */
START_TEST(test_shrunk_below_min_is_dropped)
{
	in.position = 0.008;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(fx_count(STRAT_BUY), 0);
	ck_assert_int_eq(fx_count(STRAT_SELL), 3);
	ck_assert_int_eq(out.n_skipped, 3);
	fx_invariants();
}
END_TEST

/*
 * The soft limit: 0.8 x 0.016667 = 0.013333 BTC. Size skew off to see the
 * guard alone. Long 0.010: bids may add 0.003333 -> B1 0.002, B2 cut to
 * 0.001 (60 USDT, above 5), B3 dropped; two rungs capped.
 */
START_TEST(test_guard_cuts_growing_side)
{
	in.flt.min_notional = 5;
	in.cfg.skew.size_skew = 0;
	in.cfg.skew.price_skew_pct = 0;
	in.position = 0.010;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(fx_count(STRAT_BUY), 2);
	ck_assert_int_eq(fx_rung(STRAT_BUY, 1)->qty_steps, 2);
	ck_assert_int_eq(fx_rung(STRAT_BUY, 2)->qty_steps, 1);
	ck_assert_ptr_null(fx_rung(STRAT_BUY, 3));
	ck_assert_int_eq(fx_count(STRAT_SELL), 3);
	ck_assert_int_eq(out.n_capped, 2);
	fx_invariants();
}
END_TEST

/* Past the soft limit (and at the hard one) only the reducing side. */
START_TEST(test_at_limit_only_reducing_side)
{
	double pos[] = { 0.0134, 0.016667, 0.03 };
	size_t i;

	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		in.position = pos[i];
		ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
		ck_assert_int_eq(fx_count(STRAT_BUY), 0);
		ck_assert_int_eq(fx_count(STRAT_SELL), 3);
		fx_invariants();
		in.position = -pos[i];
		ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
		ck_assert_int_eq(fx_count(STRAT_SELL), 0);
		ck_assert_int_eq(fx_count(STRAT_BUY), 3);
		fx_invariants();
	}
}
END_TEST

/*
 * A skew through the book: price_skew 1 % at x = 0.96 puts r at 59424,
 * every ask below the best bid: each is clamped to 59999.9 + 0.1.
 */
START_TEST(test_post_only_clamp)
{
	in.cfg.skew.price_skew_pct = 1;
	in.position = 0.016;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("S1 60000.0/0.002 S2 60000.0/0.002 S3 60000.0/0.002");
	ck_assert_int_eq(out.n_clamped, 3);
	fx_invariants();
}
END_TEST

/*
 * A target of 600 USDT (0.01 BTC at 60000) held exactly: no skew, the
 * ladder is symmetric around the mid — but the guard still measures the
 * hard limit from zero: bids may add 0.003333, so B1 0.002 and B2 (cut to
 * 0.001 = 60 USDT, under 100) is dropped, B3 too.
 */
START_TEST(test_target)
{
	in.cfg.inv.target_usdt = 600;
	in.position = 0.01;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59994.0/0.002 S1 60006.0/0.002 S2 60012.0/0.002 "
	    "S3 60018.0/0.002");
	ck_assert(fabs(out.skew_bp) < 1e-9);
	fx_invariants();
}
END_TEST

/* Rounding on an off-grid reservation, and quantities at the minimum:
 * every price on the tick, bids at or below r x (1 - k off), asks at or
 * above r x (1 + k off), each within a tick (unless clamped off the far
 * side of the book); every rung >= 100 USDT. */
START_TEST(test_rounding_and_min_notional)
{
	double r, want;
	int i;

	for (i = -10; i <= 10; i++) {
		in.position = 0.0013 * i;
		ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
		fx_invariants();
		r = out.reservation;
		for (int j = 0; j < out.n_desired; j++) {
			const struct strat_quote *q = &out.desired[j];

			if (q->side == STRAT_BUY) {
				want = r * (1 - q->level * 0.0001);
				if (want < 60000.1)
					ck_assert(q->price <= want + 1e-6 &&
					    q->price > want - 0.1);
			} else {
				want = r * (1 + q->level * 0.0001);
				if (want > 59999.9)
					ck_assert(q->price >= want - 1e-6 &&
					    q->price < want + 0.1);
			}
		}
	}
}
END_TEST

START_TEST(test_paused_stale_bad_book)
{
	in.cfg.paused = true;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_PAUSED);
	ck_assert_int_eq(out.n_desired, 0);
	in.cfg.paused = false;
	in.mkt.stale = true;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_STALE);
	in.mkt.stale = false;
	in.mkt.bid = 60000.2;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_BOOK);
	ck_assert_int_eq(out.n_desired, 0);
}
END_TEST

static Suite *
skew_suite(void)
{
	Suite *s = suite_create("strat_skew");
	TCase *tc = tcase_create("skew_mm");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flat_is_simple);
	tcase_add_test(tc, test_long_skews_down_and_shrinks_bids);
	tcase_add_test(tc, test_short_skews_up_and_shrinks_asks);
	tcase_add_test(tc, test_shrunk_below_min_is_dropped);
	tcase_add_test(tc, test_guard_cuts_growing_side);
	tcase_add_test(tc, test_at_limit_only_reducing_side);
	tcase_add_test(tc, test_post_only_clamp);
	tcase_add_test(tc, test_target);
	tcase_add_test(tc, test_rounding_and_min_notional);
	tcase_add_test(tc, test_paused_stale_bad_book);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(skew_suite());
}
