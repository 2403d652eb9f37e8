/*
 * check_ord_sched.c — the order service's periodic requests
 * (services/core/ord_sched.c) on a fake clock: countdownCancelAll renewed every
 * countdown/3 counted from when the renewal left, never twice in flight,
 * a failure retried after a second (sooner than the period), "off" (0)
 * sent exactly once; a new countdown on reload due at once; the listenKey
 * keepalive every interval and retried after a failure.
 */
#include <check.h>
#include <stdint.h>

#include "ord.h"
#include "timeutil.h"
#include "check_run.h"

#define T0	(1000 * NS_PER_S)

START_TEST(test_countdown_renewal)
{
	struct ord_countdown cd;
	int64_t period = 10000 * NS_PER_MS / 3;

	ord_cd_init(&cd, 10000);
	ck_assert_int_eq(ord_cd_period_ns(10000), period);
	ck_assert(ord_cd_due(&cd, T0));
	ord_cd_sent(&cd, T0);
	ck_assert(!ord_cd_due(&cd, T0 + 100 * NS_PER_S));	/* in flight */
	ord_cd_done(&cd, T0 + 50 * NS_PER_MS, true);
	/* from when it left: the exchange restarted its clock then */
	ck_assert_int_eq(ord_cd_next(&cd), T0 + period);
	ck_assert(!ord_cd_due(&cd, T0 + period - 1));
	ck_assert(ord_cd_due(&cd, T0 + period));
	/* a lost renewal still leaves two more before the countdown ends */
	ck_assert_int_lt(3 * period, 10000 * NS_PER_MS + 1);
	ord_cd_sent(&cd, T0 + period);
	ord_cd_done(&cd, T0 + period + 5 * NS_PER_S, false);
	ck_assert_int_eq(ord_cd_next(&cd), T0 + period + 5 * NS_PER_S +
	    ORD_CD_RETRY_NS);
}
END_TEST

START_TEST(test_countdown_short_retry)
{
	struct ord_countdown cd;

	/* a period shorter than the retry: retry at the period */
	ord_cd_init(&cd, 1500);
	ord_cd_sent(&cd, T0);
	ord_cd_done(&cd, T0, false);
	ck_assert_int_eq(ord_cd_next(&cd), T0 + 500 * NS_PER_MS);
}
END_TEST

START_TEST(test_countdown_off)
{
	struct ord_countdown cd;

	ord_cd_init(&cd, 0);
	ck_assert_int_eq(ord_cd_period_ns(0), 0);
	ck_assert(ord_cd_due(&cd, T0));
	ord_cd_sent(&cd, T0);
	ord_cd_done(&cd, T0, false);
	ck_assert(!ord_cd_due(&cd, T0 + ORD_CD_RETRY_NS - 1));
	ck_assert(ord_cd_due(&cd, T0 + ORD_CD_RETRY_NS));
	ord_cd_sent(&cd, T0 + ORD_CD_RETRY_NS);
	ord_cd_done(&cd, T0 + ORD_CD_RETRY_NS, true);
	ck_assert(!ord_cd_due(&cd, INT64_MAX - 1));
	ck_assert_int_eq(ord_cd_next(&cd), INT64_MAX);
	/* reload turns it on: due at once */
	ord_cd_set(&cd, 5000);
	ck_assert(ord_cd_due(&cd, T0 + 2 * ORD_CD_RETRY_NS));
	/* a reload while a renewal is in flight keeps it in flight */
	ord_cd_sent(&cd, T0);
	ord_cd_set(&cd, 6000);
	ck_assert(!ord_cd_due(&cd, T0 + 1));
	ord_cd_done(&cd, T0 + 1, true);
	ck_assert_int_eq(ord_cd_next(&cd), T0 + 2000 * NS_PER_MS);
}
END_TEST

START_TEST(test_listen_key)
{
	struct ord_lk k;

	ord_lk_init(&k, 1800, T0);
	ck_assert(!ord_lk_due(&k, T0 + 1799 * NS_PER_S));
	ck_assert(ord_lk_due(&k, T0 + 1800 * NS_PER_S));
	ord_lk_sent(&k);
	ck_assert(!ord_lk_due(&k, T0 + 9999 * NS_PER_S));
	ord_lk_done(&k, T0 + 1800 * NS_PER_S, false);
	ck_assert(ord_lk_due(&k, T0 + 1800 * NS_PER_S + ORD_LK_RETRY_NS));
	ord_lk_sent(&k);
	ord_lk_done(&k, T0 + 1810 * NS_PER_S, true);
	ck_assert(!ord_lk_due(&k, T0 + 3609 * NS_PER_S));
	ck_assert(ord_lk_due(&k, T0 + 3610 * NS_PER_S));
}
END_TEST

static Suite *
ord_sched_suite(void)
{
	Suite *s = suite_create("ord_sched");
	TCase *tc = tcase_create("sched");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_countdown_renewal);
	tcase_add_test(tc, test_countdown_short_retry);
	tcase_add_test(tc, test_countdown_off);
	tcase_add_test(tc, test_listen_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ord_sched_suite());
}
