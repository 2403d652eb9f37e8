/*
 * check_policy.c — the restart policy as a state machine: immediate first
 * restart, exponential backoff capped at the maximum, calm periods reset
 * the streak, and escalation after max_deaths deaths within the window.
 */
#include <check.h>
#include <stdlib.h>

#include "policy.h"

#define S(x)	((int64_t)((x) * 1000000000LL))
#define MS(x)	((int64_t)(x) * 1000000LL)

static struct policy p;

START_TEST(first_death_restarts_at_once)
{
	int64_t d = -1;

	policy_init(&p, 5, 60, 0.5, 30);
	ck_assert_int_eq(policy_death(&p, S(100), &d), POLICY_RESTART);
	ck_assert_int_eq(d, 0);
}
END_TEST

START_TEST(backoff_doubles_and_caps)
{
	int64_t d;
	int64_t want[] = { 0, MS(500), S(1), S(2), S(4), S(8), S(16), S(30),
	    S(30) };
	int i;

	policy_init(&p, 1000, 3600, 0.5, 30);
	for (i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
		ck_assert_int_eq(policy_death(&p, S(10 + i), &d),
		    POLICY_RESTART);
		ck_assert_msg(d == want[i], "death %d: delay %lld, want %lld",
		    i + 1, (long long)d, (long long)want[i]);
	}
}
END_TEST

START_TEST(escalates_on_nth_death_in_window)
{
	int64_t d;
	int i;

	policy_init(&p, 3, 10, 0.1, 1);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(policy_death(&p, S(1 + i), &d),
		    POLICY_RESTART);
	ck_assert_int_eq(policy_death(&p, S(3), &d), POLICY_ESCALATE);
}
END_TEST

START_TEST(deaths_outside_window_do_not_count)
{
	int64_t d;
	int i;

	policy_init(&p, 3, 10, 0.1, 1);
	/* two deaths, then each further death 6 s apart: never 3 in 10 s */
	ck_assert_int_eq(policy_death(&p, S(0), &d), POLICY_RESTART);
	ck_assert_int_eq(policy_death(&p, S(6), &d), POLICY_RESTART);
	for (i = 2; i < 20; i++)
		ck_assert_int_eq(policy_death(&p, S(6 * i), &d),
		    POLICY_RESTART);
	ck_assert_int_eq(policy_recent(&p, S(6 * 19)), 2);
	/* but a quick third one escalates */
	ck_assert_int_eq(policy_death(&p, S(6 * 19 + 1), &d), POLICY_ESCALATE);
}
END_TEST

START_TEST(calm_period_resets_backoff)
{
	int64_t d;

	policy_init(&p, 100, 10, 0.5, 30);
	policy_death(&p, S(0), &d);
	policy_death(&p, S(1), &d);
	policy_death(&p, S(2), &d);
	ck_assert_int_eq(d, S(1));
	/* a window without deaths: the next one restarts at once again */
	ck_assert_int_eq(policy_death(&p, S(20), &d), POLICY_RESTART);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(policy_death(&p, S(21), &d), POLICY_RESTART);
	ck_assert_int_eq(d, MS(500));
}
END_TEST

START_TEST(max_deaths_one_escalates_immediately)
{
	int64_t d;

	policy_init(&p, 1, 10, 0.5, 30);
	ck_assert_int_eq(policy_death(&p, S(1), &d), POLICY_ESCALATE);
}
END_TEST

START_TEST(reconfigure_keeps_tally)
{
	int64_t d;

	policy_init(&p, 10, 60, 0.5, 30);
	policy_death(&p, S(1), &d);
	policy_death(&p, S(2), &d);
	policy_configure(&p, 3, 60, 0.5, 30);
	ck_assert_int_eq(policy_death(&p, S(3), &d), POLICY_ESCALATE);
}
END_TEST

START_TEST(out_of_range_limits_are_clamped)
{
	int64_t d;

	policy_init(&p, 0, 60, 0.5, 30);
	ck_assert_int_eq(p.max_deaths, 1);
	policy_init(&p, 1000000, 60, 0.5, 30);
	ck_assert_int_eq(p.max_deaths, POLICY_TALLY_MAX);
	ck_assert_int_eq(policy_death(&p, S(1), &d), POLICY_RESTART);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, first_death_restarts_at_once);
	tcase_add_test(tc, backoff_doubles_and_caps);
	tcase_add_test(tc, escalates_on_nth_death_in_window);
	tcase_add_test(tc, deaths_outside_window_do_not_count);
	tcase_add_test(tc, calm_period_resets_backoff);
	tcase_add_test(tc, max_deaths_one_escalates_immediately);
	tcase_add_test(tc, reconfigure_keeps_tally);
	tcase_add_test(tc, out_of_range_limits_are_clamped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
