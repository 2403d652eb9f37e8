/*
 * check_ord_rej.c — the per-rung memory of post-only rejects
 * (services/core/ord_rej.c) on a fake clock: a rejected price waits for newer
 * market data, another price or another rung does not; repeated rejects
 * back off 250 ms, 500 ms, 1 s, ... capped; an accept forgets it all.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "ord_rej.h"
#include "timeutil.h"
#include "check_run.h"

#define T0	(1000 * NS_PER_S)
#define MS	NS_PER_MS

START_TEST(test_fresh_rungs_may_place)
{
	struct ordr g;

	ordr_init(&g, 250 * MS, 10 * NS_PER_S);
	ck_assert(ordr_may_place(&g, STRAT_BUY, 1, 600000, 1, T0));
	ck_assert(ordr_may_place(&g, STRAT_SELL, 3, 600000, 1, T0));
	ck_assert_int_eq(ordr_next_ns(&g, T0), 0);
}
END_TEST

START_TEST(test_same_price_waits_for_data)
{
	struct ordr g;

	ordr_init(&g, 250 * MS, 10 * NS_PER_S);
	ordr_on_reject(&g, STRAT_SELL, 1, 600301, 7, T0);
	/* the first reject has no time backoff: only the data matters */
	ck_assert(!ordr_may_place(&g, STRAT_SELL, 1, 600301, 7, T0));
	ck_assert(!ordr_may_place(&g, STRAT_SELL, 1, 600301, 7,
	    T0 + 3600 * NS_PER_S));
	/* older data (a reordered tick) is not newer */
	ck_assert(!ordr_may_place(&g, STRAT_SELL, 1, 600301, 6, T0));
	ck_assert(ordr_may_place(&g, STRAT_SELL, 1, 600301, 8, T0));
	/* another price, another rung, the other side: free */
	ck_assert(ordr_may_place(&g, STRAT_SELL, 1, 600302, 7, T0));
	ck_assert(ordr_may_place(&g, STRAT_SELL, 2, 600301, 7, T0));
	ck_assert(ordr_may_place(&g, STRAT_BUY, 1, 600301, 7, T0));
	ck_assert_int_eq(ordr_next_ns(&g, T0), 0);
}
END_TEST

START_TEST(test_repeats_back_off)
{
	struct ordr g;
	int64_t t = T0;
	/* 2nd, 3rd, ... reject in a row: 250 ms doubling, capped at 2 s */
	static const int64_t want[] = { 250, 500, 1000, 2000, 2000 };
	unsigned i;

	ordr_init(&g, 250 * MS, 2 * NS_PER_S);
	ordr_on_reject(&g, STRAT_BUY, 2, 100, 1, t);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* new data and a new price each time: only time holds it */
		ordr_on_reject(&g, STRAT_BUY, 2, 101 + i, 2 + i, t);
		ck_assert_int_eq(ordr_next_ns(&g, t), t + want[i] * MS);
		ck_assert(!ordr_may_place(&g, STRAT_BUY, 2, 200, 99,
		    t + want[i] * MS - 1));
		ck_assert(ordr_may_place(&g, STRAT_BUY, 2, 200, 99,
		    t + want[i] * MS));
		/* the other rungs are not held by this one */
		ck_assert(ordr_may_place(&g, STRAT_BUY, 1, 200, 99, t));
		t += want[i] * MS;
	}
	ck_assert_int_eq(ordr_next_ns(&g, t), 0);
}
END_TEST

START_TEST(test_accept_forgets)
{
	struct ordr g;

	ordr_init(&g, 250 * MS, 10 * NS_PER_S);
	ordr_on_reject(&g, STRAT_SELL, 1, 50, 1, T0);
	ordr_on_reject(&g, STRAT_SELL, 1, 50, 2, T0);
	ordr_on_reject(&g, STRAT_SELL, 1, 50, 3, T0);	/* 500 ms */
	ck_assert(!ordr_may_place(&g, STRAT_SELL, 1, 51, 4, T0));
	ordr_on_accept(&g, STRAT_SELL, 1);
	ck_assert(ordr_may_place(&g, STRAT_SELL, 1, 50, 3, T0));
	/* the streak starts over: one reject, no time backoff */
	ordr_on_reject(&g, STRAT_SELL, 1, 50, 3, T0);
	ck_assert_int_eq(ordr_next_ns(&g, T0), 0);
	ck_assert(ordr_may_place(&g, STRAT_SELL, 1, 50, 4, T0));
}
END_TEST

START_TEST(test_out_of_range)
{
	struct ordr g;

	ordr_init(&g, 0, 0);	/* defaults */
	ck_assert_int_eq(g.base_ns, ORDR_BASE_NS);
	ck_assert_int_ge(g.max_ns, g.base_ns);
	/* level 0 (risk's flatten) and bad sides are never remembered */
	ordr_on_reject(&g, STRAT_BUY, 0, 1, 1, T0);
	ordr_on_reject(&g, 2, 1, 1, 1, T0);
	ordr_on_reject(&g, STRAT_BUY, STRAT_MAX_LEVELS + 1, 1, 1, T0);
	ordr_on_accept(&g, -1, 1);
	ck_assert(ordr_may_place(&g, STRAT_BUY, 0, 1, 1, T0));
	ck_assert(ordr_may_place(&g, 2, 1, 1, 1, T0));
	ck_assert(ordr_may_place(&g, STRAT_BUY, 1, 1, 1, T0));
	ordr_on_reject(&g, STRAT_SELL, STRAT_MAX_LEVELS, 1, 1, T0);
	ck_assert(!ordr_may_place(&g, STRAT_SELL, STRAT_MAX_LEVELS, 1, 1, T0));
}
END_TEST

START_TEST(test_rate)
{
	struct ordr_rate r;

	memset(&r, 0, sizeof(r));
	ck_assert(ordr_rate_per_s(&r, T0) == 0);
	ordr_rate_add(&r, T0, 3);
	ordr_rate_add(&r, T0 + 999 * MS, 2);
	ordr_rate_add(&r, T0 + 4 * NS_PER_S, 5);
	/* 10 rejects in the last 10 s: 1 a second */
	ck_assert(ordr_rate_per_s(&r, T0 + 4 * NS_PER_S) == 1.0);
	ck_assert(ordr_rate_per_s(&r, T0 + 9 * NS_PER_S) == 1.0);
	/* the first second leaves the window */
	ck_assert(ordr_rate_per_s(&r, T0 + 10 * NS_PER_S) == 0.5);
	/* a bucket reused ten seconds later starts from zero */
	ordr_rate_add(&r, T0 + 10 * NS_PER_S, 1);
	ck_assert(ordr_rate_per_s(&r, T0 + 10 * NS_PER_S) == 0.6);
	ck_assert(ordr_rate_per_s(&r, T0 + 20 * NS_PER_S) == 0);
}
END_TEST

static Suite *
ord_rej_suite(void)
{
	Suite *s = suite_create("ord_rej");
	TCase *tc = tcase_create("rej");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fresh_rungs_may_place);
	tcase_add_test(tc, test_same_price_waits_for_data);
	tcase_add_test(tc, test_repeats_back_off);
	tcase_add_test(tc, test_accept_forgets);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_rate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ord_rej_suite());
}
