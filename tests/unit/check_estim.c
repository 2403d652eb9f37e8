/*
 * check_estim.c — the live estimators on synthetic data with known
 * parameters (a seeded generator, so every run is the same):
 *
 *  - sigma: a random walk of the mid with 2 bp per sqrt(s), moving every
 *    0.25 s; the estimate over a 600 s window is within 10 % of 2 (the
 *    standard error of a standard deviation from 600 returns is ~3 %).
 *  - A, k: trades as a Poisson process of rate A = 5/s whose depth beyond
 *    the mid is exponential with rate k = 0.8/bp — then the rate of
 *    trades at depth >= delta is exactly A e^(-k delta); over 600 s (3000
 *    trades) both come back within 10 %.
 *  - the warm-up (fallbacks until 30 returns / min_trades trades), a feed
 *    gap that starts it over, the window forgetting old trades, and a
 *    config the estimator refuses.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "estim.h"

#define NS	1000000000LL

static struct est e;	/* large: off the stack */

static uint64_t rng_s;

static double
rng_u(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return ((rng_s >> 11) + 0.5) / 9007199254740992.0;
}

static double
rng_normal(void)
{
	return sqrt(-2 * log(rng_u())) * cos(2 * M_PI * rng_u());
}

static struct est_config
cfg(void)
{
	struct est_config c = {
		.live = true, .window_s = 600, .sample_s = 1,
		.depth_step_bp = 0.25, .min_trades = 100,
		.sigma_bp = 7, .A = 33, .k = 3,
	};

	return c;
}

/* A mid walking sigma_bp per sqrt(s), moving every dt seconds. */
static void
walk(double sigma_bp, double dt, double seconds, int64_t *t, double *mid)
{
	int i, n = (int)(seconds / dt);

	for (i = 0; i < n; i++) {
		*mid *= 1 + sigma_bp * sqrt(dt) * rng_normal() / 1e4;
		*t += (int64_t)(dt * NS);
		est_mid(&e, *t, *mid);
	}
}

START_TEST(test_sigma_recovered)
{
	struct est_config c = cfg();
	double mid = 60000, got;
	int64_t t = 1000 * NS;
	static const double samples[] = { 1, 0.5, 2 };
	size_t i;

	for (i = 0; i < 3; i++) {
		rng_s = 0x9e3779b97f4a7c15ULL + i;
		c.sample_s = samples[i];
		c.window_s = 600 * samples[i];	/* 600 returns each */
		ck_assert_int_eq(est_init(&e, &c), 0);
		est_mid(&e, t, mid);
		walk(2.0, 0.25, c.window_s + 5, &t, &mid);
		got = est_get(&e)->sigma_bp;
		ck_assert(est_get(&e)->sigma_live);
		ck_assert_msg(fabs(got - 2.0) < 0.2, "sample %g s: sigma %g",
		    c.sample_s, got);
	}
}
END_TEST

/* Trades at exponential depth: rate of depth >= d is A e^(-k d). */
static void
trades(double A, double k, double seconds, int64_t *t, double mid)
{
	double next = 0, now = 0, d;
	bool sell;

	while (now < seconds) {
		/* the mid, unchanged, every 100 ms: the sample boundaries */
		while (next <= now) {
			est_mid(&e, *t + (int64_t)(next * NS), mid);
			next += 0.1;
		}
		now += -log(rng_u()) / A;
		d = -log(rng_u()) / k;
		sell = rng_u() < 0.5;
		est_trade(&e, *t + (int64_t)(now * NS), sell ?
		    mid * (1 - d / 1e4) : mid * (1 + d / 1e4), sell);
	}
	*t += (int64_t)(seconds * NS);
	est_mid(&e, *t, mid);
}

START_TEST(test_intensity_recovered)
{
	struct est_config c = cfg();
	const struct est_result *r;
	int64_t t = 5 * NS;

	rng_s = 42;
	ck_assert_int_eq(est_init(&e, &c), 0);
	trades(5.0, 0.8, 600, &t, 60000);
	r = est_get(&e);
	ck_assert(r->ak_live);
	ck_assert_msg(fabs(r->A - 5.0) < 0.5 && fabs(r->k - 0.8) < 0.08,
	    "A %g k %g from %u trades", r->A, r->k, r->n_trades);
	/* another market: A 40/s, k 2.5/bp */
	rng_s = 7;
	ck_assert_int_eq(est_init(&e, &c), 0);
	trades(40.0, 2.5, 600, &t, 60000);
	r = est_get(&e);
	ck_assert_msg(fabs(r->A - 40) < 4 && fabs(r->k - 2.5) < 0.25,
	    "A %g k %g from %u trades", r->A, r->k, r->n_trades);
}
END_TEST

/* Exact points give exact answers; too few points or k <= 0 none. */
START_TEST(test_fit_exact)
{
	double x[5], n[5], A, k;
	int i;

	for (i = 0; i < 5; i++) {
		x[i] = 0.5 * i;
		n[i] = 120 * 3.0 * exp(-1.5 * x[i]);	/* 120 s at A = 3 */
	}
	ck_assert_int_eq(est_fit(x, n, 5, 120, &A, &k), 0);
	ck_assert_msg(fabs(A - 3) < 1e-9 && fabs(k - 1.5) < 1e-9, "%g %g",
	    A, k);
	ck_assert_int_eq(est_fit(x, n, 2, 120, &A, &k), -1);
	for (i = 0; i < 5; i++)
		n[i] = 10;		/* flat: k = 0 */
	ck_assert_int_eq(est_fit(x, n, 5, 120, &A, &k), -1);
	ck_assert_int_eq(est_fit(x, n, 5, 0, &A, &k), -1);
}
END_TEST

/*
 * Warm-up: the fallbacks (7 bp, 33/s, 3/bp) until 30 returns and 100
 * trades are in; then live values. live = false: fallbacks for ever.
 */
START_TEST(test_warm_up)
{
	struct est_config c = cfg();
	const struct est_result *r;
	double mid = 60000;
	int64_t t = 0;

	rng_s = 3;
	ck_assert_int_eq(est_init(&e, &c), 0);
	r = est_get(&e);
	ck_assert(r->sigma_bp == 7 && r->A == 33 && r->k == 3);
	ck_assert(!r->sigma_live && !r->ak_live);
	est_mid(&e, t, mid);
	walk(2.0, 0.25, 29.5, &t, &mid);	/* 29 returns */
	ck_assert_int_eq(r->n_returns, 29);
	ck_assert(!r->sigma_live && r->sigma_bp == 7);
	walk(2.0, 0.25, 1, &t, &mid);
	ck_assert_int_eq(r->n_returns, 30);
	ck_assert(r->sigma_live && r->sigma_bp != 7);
	/* 10 trades are not enough for A and k */
	trades(1.0, 1.0, 10, &t, mid);
	ck_assert(!r->ak_live && r->A == 33 && r->k == 3);
	trades(5.0, 1.0, 60, &t, mid);
	ck_assert(r->ak_live);

	c.live = false;
	ck_assert_int_eq(est_init(&e, &c), 0);
	est_mid(&e, t, mid);
	walk(2.0, 0.25, 100, &t, &mid);
	trades(5.0, 1.0, 100, &t, mid);
	r = est_get(&e);
	ck_assert(!r->sigma_live && !r->ak_live);
	ck_assert(r->sigma_bp == 7 && r->A == 33 && r->k == 3);
}
END_TEST

/* A feed gap longer than the window starts the warm-up over; trades
 * older than the window are forgotten. */
START_TEST(test_gap_and_window)
{
	struct est_config c = cfg();
	const struct est_result *r = est_get(&e);
	double mid = 60000;
	int64_t t = 0;

	c.window_s = 60;
	c.min_trades = 50;
	rng_s = 11;
	ck_assert_int_eq(est_init(&e, &c), 0);
	est_mid(&e, t, mid);
	walk(2.0, 0.25, 60, &t, &mid);
	trades(5.0, 1.0, 30, &t, mid);
	ck_assert(r->sigma_live && r->ak_live);
	/* a quiet minute and a half: no trades in the window any more */
	walk(2.0, 0.25, 90, &t, &mid);
	ck_assert_msg(r->n_trades == 0, "%u", r->n_trades);
	ck_assert(!r->ak_live && r->A == 33);
	ck_assert(r->sigma_live);
	/* the feed away for 2 minutes */
	t += 120 * NS;
	est_mid(&e, t, mid);
	ck_assert(!r->sigma_live && r->n_returns == 0);
	walk(2.0, 0.25, 2, &t, &mid);
	ck_assert_int_le(r->n_returns, 2);
}
END_TEST

START_TEST(test_bad_config_and_input)
{
	struct est_config c = cfg();

	c.sample_s = 0;
	ck_assert_int_eq(est_init(&e, &c), -1);
	c = cfg();
	c.k = -1;
	ck_assert_int_eq(est_init(&e, &c), -1);
	c = cfg();
	c.window_s = 1;		/* one sample: no variance */
	ck_assert_int_eq(est_init(&e, &c), -1);
	c = cfg();
	ck_assert_int_eq(est_init(&e, &c), 0);
	est_mid(&e, 0, NAN);
	est_mid(&e, 0, -5);
	est_trade(&e, 0, 60000, true);	/* before any mid: ignored */
	ck_assert(!e.started && e.total_n == 0);
	est_mid(&e, 0, 60000);
	est_trade(&e, 1, NAN, true);
	est_trade(&e, 1, 0, false);
	ck_assert_int_eq(e.total_n, 0);
}
END_TEST

static Suite *
estim_suite(void)
{
	Suite *s = suite_create("estim");
	TCase *tc = tcase_create("estimators");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sigma_recovered);
	tcase_add_test(tc, test_intensity_recovered);
	tcase_add_test(tc, test_fit_exact);
	tcase_add_test(tc, test_warm_up);
	tcase_add_test(tc, test_gap_and_window);
	tcase_add_test(tc, test_bad_config_and_input);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(estim_suite());
}
