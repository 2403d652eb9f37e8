/*
 * check_strat_as.c — avellaneda_mm on hand-computed cases
 * (strat_fixture.h: mid 60000, sigma 2 bp/sqrt(s), k 1/bp, gamma 0.1,
 * horizon 1 s, one order = 0.0025 BTC so q = position / 0.0025).
 *
 *   half spread h = (gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k)) / 2
 *                 = (0.1 x 4 x 1 + 20 x ln 1.1) / 2
 *                 = (0.4 + 1.9062036) / 2 = 1.1531018 bp = 6.9186108 USDT
 *   skew          = -q gamma sigma^2 tau = -0.4 q bp
 *   level i       = r -/+ i h, bids down and asks up to the 0.1 tick
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_run.h"
#include "strat_fixture.h"

static void
setup(void)
{
	fx_setup("avellaneda_mm");
}

/*
 * q = 0: r = 60000
 *   B1 59993.0813892 -> 59993.0   S1 60006.9186108 -> 60007.0
 *   B2 59986.1627784 -> 59986.1   S2 60013.8372216 -> 60013.9
 *   B3 59979.2441676 -> 59979.2   S3 60020.7558324 -> 60020.8
 */
START_TEST(test_flat)
{
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_QUOTING);
	FX_LADDER("B1 59993.0/0.002 S1 60007.0/0.002 B2 59986.1/0.002 "
	    "S2 60013.9/0.002 B3 59979.2/0.002 S3 60020.8/0.002");
	ck_assert(out.reservation == 60000.0);
	ck_assert_msg(fabs(out.half_spread - 6.9186108) < 1e-6, "%.9f",
	    out.half_spread);
	ck_assert(fabs(out.skew_bp) < 1e-12);
	fx_invariants();
}
END_TEST

/*
 * Long 0.005 (q = 2): skew -0.8 bp, r = 60000 x (1 - 0.00008) = 59995.2
 *   B1 59988.2813892 -> 59988.2   S1 60002.1186108 -> 60002.2
 *   B2 59981.3627784 -> 59981.3   S2 60009.0372216 -> 60009.1
 *   B3 59974.4441676 -> 59974.4   S3 60015.9558324 -> 60016.0
 */
START_TEST(test_long)
{
	in.position = 0.005;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59988.2/0.002 S1 60002.2/0.002 B2 59981.3/0.002 "
	    "S2 60009.1/0.002 B3 59974.4/0.002 S3 60016.0/0.002");
	ck_assert_msg(fabs(out.q_lots - 2) < 1e-9, "%.12f", out.q_lots);
	ck_assert_msg(fabs(out.skew_bp + 0.8) < 1e-9, "%.12f", out.skew_bp);
	ck_assert_msg(fabs(out.reservation - 59995.2) < 1e-6, "%.9f",
	    out.reservation);
	fx_invariants();
}
END_TEST

/* Short 0.005 (q = -2): r = 60004.8, the mirror. */
START_TEST(test_short)
{
	in.position = -0.005;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59997.8/0.002 S1 60011.8/0.002 B2 59990.9/0.002 "
	    "S2 60018.7/0.002 B3 59984.0/0.002 S3 60025.6/0.002");
	ck_assert_msg(fabs(out.skew_bp - 0.8) < 1e-9, "%.12f", out.skew_bp);
	fx_invariants();
}
END_TEST

/*
 * Finite horizon of 10 s at t = 1007.5 s: tau = 10 - 7.5 = 2.5 s.
 *   h = (0.1 x 4 x 2.5 + 1.9062036) / 2 = 1.4531018 bp = 8.7186108
 *   q = 2: skew -2.0 bp, r = 59988.0
 *   B1 59979.2813892 -> 59979.2   S1 59996.7186108: below the best bid
 *   59999.9 -> clamped to 60000.0
 *   B2 59970.5627784 -> 59970.5   S2 60005.4372216 -> 60005.5
 *   B3 59961.8441676 -> 59961.8   S3 60014.1558324 -> 60014.2
 * The infinite horizon ignores the clock.
 */
START_TEST(test_finite_horizon)
{
	in.position = 0.005;
	in.cfg.as.horizon_s = 10;
	in.cfg.as.finite = true;
	in.now_ns = 1007500000000LL;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	FX_LADDER("B1 59979.2/0.002 S1 60000.0/0.002 B2 59970.5/0.002 "
	    "S2 60005.5/0.002 B3 59961.8/0.002 S3 60014.2/0.002");
	ck_assert_int_eq(out.n_clamped, 1);
	ck_assert_msg(fabs(out.skew_bp + 2.0) < 1e-9, "%.12f", out.skew_bp);
	fx_invariants();
	/* at the end of the cycle tau -> 0: the inventory term vanishes */
	in.now_ns = 1009999999999LL;
	strat_eval(impl, &in, &out);
	ck_assert_msg(fabs(out.skew_bp) < 1e-6, "%.12f", out.skew_bp);
	in.cfg.as.finite = false;
	in.now_ns = 0;
	strat_eval(impl, &in, &out);
	ck_assert_msg(fabs(out.skew_bp + 8.0) < 1e-9, "%.12f", out.skew_bp);
}
END_TEST

/* Past the soft limit (0.013333 BTC) only the reducing side quotes. */
START_TEST(test_at_limit)
{
	in.position = 0.0134;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(fx_count(STRAT_BUY), 0);
	ck_assert_int_eq(fx_count(STRAT_SELL), 3);
	fx_invariants();
	in.position = -0.017;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(fx_count(STRAT_SELL), 0);
	ck_assert_int_eq(fx_count(STRAT_BUY), 3);
	fx_invariants();
	/* 0.010 long: bids may add 0.003333: B1 0.002, B2 cut to 0.001 =
	 * 60 USDT < 100 -> dropped, B3 dropped */
	in.position = 0.010;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(fx_count(STRAT_BUY), 1);
	ck_assert_int_eq(out.n_capped, 2);
	fx_invariants();
}
END_TEST

/*
 * A tiny spread never puts our bid on our ask: gamma large, k huge ->
 * h tends to 0 and is held at half a tick; and quantities meet
 * MIN_NOTIONAL (0.002 BTC = 120 USDT for 150).
 */
START_TEST(test_min_spread_and_notional)
{
	in.est.sigma_bp = 0;
	in.est.k = 1e9;
	in.mkt.bid = 59990.0;
	in.mkt.ask = 60010.0;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert(out.half_spread == 0.05);
	ck_assert_int_gt(fx_rung(STRAT_SELL, 1)->px_ticks,
	    fx_rung(STRAT_BUY, 1)->px_ticks);
	fx_invariants();
	in.cfg.qty_usdt = 50;	/* 0.0008 -> 0.001 = 60 < 100: every rung
				   dropped */
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.n_desired, 0);
	ck_assert_int_eq(out.n_skipped, 6);
}
END_TEST

/* Unusable estimates are a caller bug: nothing is quoted. */
START_TEST(test_bad_parameters)
{
	in.est.k = 0;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	ck_assert_int_eq(out.n_desired, 0);
	in.est.k = 1;
	in.est.sigma_bp = NAN;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	in.est.sigma_bp = 2;
	in.cfg.as.gamma = 0;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_BAD_INPUT);
	in.cfg.as.gamma = 0.1;
	in.cfg.paused = true;
	strat_eval(impl, &in, &out);
	ck_assert_int_eq(out.why, STRAT_WHY_PAUSED);
}
END_TEST

/* Many inventories: every ladder keeps the guarantees. */
START_TEST(test_invariants_sweep)
{
	int i;

	for (i = -30; i <= 30; i++) {
		in.position = 0.0007 * i;
		ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
		ck_assert_int_eq(out.why, STRAT_WHY_QUOTING);
		fx_invariants();
	}
}
END_TEST

static Suite *
as_suite(void)
{
	Suite *s = suite_create("strat_as");
	TCase *tc = tcase_create("avellaneda_mm");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_flat);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_short);
	tcase_add_test(tc, test_finite_horizon);
	tcase_add_test(tc, test_at_limit);
	tcase_add_test(tc, test_min_spread_and_notional);
	tcase_add_test(tc, test_bad_parameters);
	tcase_add_test(tc, test_invariants_sweep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(as_suite());
}
