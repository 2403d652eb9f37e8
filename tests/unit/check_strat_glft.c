/*
 * check_strat_glft.c — glft_mm on hand-computed cases (strat_fixture.h:
 * mid 60000, sigma 2 bp/sqrt(s), A 20/s, k 1/bp, gamma 0.1, q = position /
 * 0.0025 BTC).
 *
 *   c1 = (1/gamma) ln(1 + gamma/k) = 10 ln 1.1 = 0.9531018 bp
 *   c2 = sqrt(sigma^2 gamma / (2 k A) x (1 + gamma/k)^(1 + k/gamma))
 *      = sqrt(4 x 0.1 / 40 x 1.1^11) = sqrt(0.01 x 2.8531167) = 0.1689117 bp
 *   h  = c1 + c2/2 = 1.0375577 bp = 6.2253459 USDT (also the level spacing)
 *   delta_bid = h + q c2, delta_ask = h - q c2
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_run.h"
#include "strat_fixture.h"

static void
setup(void)
{
	fx_setup("glft_mm");
}

/*
 * q = 0: B1 60000 - 6.2253459 = 59993.7746541 -> 59993.7, S1 60006.2253
 * -> 60006.3; B2 59987.549 -> 59987.5, S2 60012.451 -> 60012.5; B3
 * 59981.324 -> 59981.3, S3 60018.676 -> 60018.7.
 */
START_TEST(test_flat)
{
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_QUOTING);
	FX_LADDER("B1 59993.7/0.002 S1 60006.3/0.002 B2 59987.5/0.002 "
	    "S2 60012.5/0.002 B3 59981.3/0.002 S3 60018.7/0.002");
	ck_assert_msg(fabs(out.half_spread - 6.2253459) < 1e-6, "%.9f",
	    out.half_spread);
	ck_assert(fabs(out.skew_bp) < 1e-12);
	fx_invariants();
}
END_TEST

/*
 * q = 2: delta_bid = 1.3753811 bp (8.2522865), delta_ask = 0.6997342 bp
 * (4.1984054); B1 59991.7477 -> 59991.7, S1 60004.1984 -> 60004.2, then
 * 6.2253459 further each level: B2 59985.522 -> 59985.5, S2 60010.424 ->
 * 60010.5, B3 59979.297 -> 59979.2, S3 60016.649 -> 60016.7.
 * skew = -q c2 = -0.3378234 bp.
 */
START_TEST(test_long)
{
	in.position = 0.005;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59991.7/0.002 S1 60004.2/0.002 B2 59985.5/0.002 "
	    "S2 60010.5/0.002 B3 59979.2/0.002 S3 60016.7/0.002");
	ck_assert_msg(fabs(out.skew_bp + 0.3378234) < 1e-6, "%.9f",
	    out.skew_bp);
	fx_invariants();
}
END_TEST

START_TEST(test_short)
{
	in.position = -0.005;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59995.8/0.002 S1 60008.3/0.002 B2 59989.5/0.002 "
	    "S2 60014.5/0.002 B3 59983.3/0.002 S3 60020.8/0.002");
	ck_assert_msg(fabs(out.skew_bp - 0.3378234) < 1e-6, "%.9f",
	    out.skew_bp);
	fx_invariants();
}
END_TEST

/*
 * A = 1 makes c2 = sqrt(4 x 0.1 / 2 x 2.8531167) = 0.7553961 bp and h =
 * 1.3307999 bp (7.9847992). Long 0.0125 (q = 5): delta_ask = 1.3307999 -
 * 3.7769807 = -2.4461809 bp: S1 59985.3229 is through the best bid and
 * clamped to 60000.0, S2 59993.3077 too, S3 60001.2925 -> 60001.3. Bids:
 * 0.0125 + 0.002 > 0.013333, so the guard leaves none.
 */
START_TEST(test_unwind_through_mid_clamped)
{
	in.est.A = 1;
	in.position = 0.0125;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("S1 60000.0/0.002 S2 60000.0/0.002 S3 60001.3/0.002");
	ck_assert_int_eq(out.n_clamped, 2);
	ck_assert_int_ge(out.n_capped, 1);
	fx_invariants();
}
END_TEST

START_TEST(test_at_limit)
{
	in.position = 0.0134;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(fx_count(STRAT_BUY), 0);
	ck_assert_int_ge(fx_count(STRAT_SELL), 1);
	fx_invariants();
	in.position = -0.0134;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(fx_count(STRAT_SELL), 0);
	ck_assert_int_ge(fx_count(STRAT_BUY), 1);
	fx_invariants();
}
END_TEST

/*
 * gamma/k -> 0 (k 1e6): c1 -> 1/k, (1 + gamma/k)^(1 + k/gamma) -> e: the
 * result stays finite; c1 + c2/2 is then below half a tick (0.0083 bp),
 * so h is held at 0.05 and our bid stays below our ask.
 */
START_TEST(test_limits_and_min_spread)
{
	in.est.k = 1e6;
	in.mkt.bid = 59990.0;
	in.mkt.ask = 60010.0;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert(isfinite(out.half_spread));
	ck_assert(fabs(out.half_spread - 0.05) < 1e-9);
	ck_assert_int_gt(fx_rung(STRAT_SELL, 1)->px_ticks,
	    fx_rung(STRAT_BUY, 1)->px_ticks);
	fx_invariants();
}
END_TEST

START_TEST(test_bad_parameters)
{
	in.est.A = 0;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	ck_assert_int_eq(out.n_desired, 0);
	in.est.A = INFINITY;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	in.est.A = 20;
	in.cfg.glft.gamma = -1;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	in.cfg.glft.gamma = 0.1;
	in.mkt.stale = true;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_STALE);
}
END_TEST

/* Min notional: 150 USDT is 0.002 everywhere; 50 cannot be placed. */
START_TEST(test_invariants_sweep)
{
	int i;

	for (i = -30; i <= 30; i++) {
		in.position = 0.0007 * i;
		ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
		fx_invariants();
	}
	in.position = 0;
	in.cfg.qty_usdt = 50;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.n_desired, 0);
	ck_assert_int_eq(out.n_skipped, 6);
}
END_TEST

static Suite *
glft_suite(void)
{
	Suite *s = suite_create("strat_glft");
	TCase *tc = tcase_create("glft_mm");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flat);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_short);
	tcase_add_test(tc, test_unwind_through_mid_clamped);
	tcase_add_test(tc, test_at_limit);
	tcase_add_test(tc, test_limits_and_min_spread);
	tcase_add_test(tc, test_bad_parameters);
	tcase_add_test(tc, test_invariants_sweep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(glft_suite());
}
