/*
 * check_pxguard.c — the book sanity checks (services/core/pxguard.c) on
 * hand-computed books: the tiny bid of issue 12 (spread ~200 %), a mid away
 * from the mark, a +50 % jump refused until it has held for the window, a
 * glitch that comes back, unusable books, and the limits' edges.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "pxguard.h"
#include "timeutil.h"
#include "check_run.h"

#define T0	(1000 * NS_PER_S)

static struct pxg
guard(double spread, double mark, double jump, double window_s)
{
	struct pxg_config c = { spread, mark, jump,
	    (int64_t)(window_s * NS_PER_S) };
	struct pxg g;

	pxg_init(&g, &c);
	return g;
}

START_TEST(test_sane_book)
{
	struct pxg g = guard(1, 2, 5, 10);
	char why[160];

	/* spread 0.1 / 60000.05 = 0.00017 %, mark 0.0001 % away */
	ck_assert_int_eq(pxg_check(&g, 60000, 60000.1, 60000, T0, why,
	    sizeof(why)), PXG_OK);
	ck_assert_str_eq(why, "");
	ck_assert(g.have_ref);
	ck_assert(g.ref_mid == 60000.05);
	ck_assert_int_eq(g.ref_ns, T0);
}
END_TEST

START_TEST(test_tiny_bid)
{
	struct pxg g = guard(1, 2, 5, 10);
	char why[160];

	/* mid 30000.05, spread 60000.09999999 / 30000.05 = 199.99 % */
	ck_assert_int_eq(pxg_check(&g, 0.00000001, 60000.1, 0, T0, why,
	    sizeof(why)), PXG_SPREAD);
	ck_assert_msg(strstr(why, "spread 200% > max 1%") != NULL, "%s", why);
	ck_assert(!g.have_ref);		/* a refused book is no reference */
}
END_TEST

START_TEST(test_spread_edges)
{
	struct pxg g = guard(2, 2, 5, 10);
	char why[160];

	/* bid 99, ask 101: mid 100, spread 2 % — within a 2.01 % bound,
	 * outside a 1.99 % one */
	g.c.max_spread_pct = 2.01;
	ck_assert_int_eq(pxg_check(&g, 99, 101, 0, T0, why, sizeof(why)),
	    PXG_OK);
	g.c.max_spread_pct = 1.99;
	ck_assert_int_eq(pxg_check(&g, 99, 101, 0, T0, why, sizeof(why)),
	    PXG_SPREAD);
}
END_TEST

START_TEST(test_mark)
{
	struct pxg g = guard(1, 1, 50, 10);
	char why[160];

	/* mid 59000.1 vs mark 60000: 999.9 / 60000 = 1.6665 % away */
	ck_assert_int_eq(pxg_check(&g, 59000, 59000.2, 60000, T0, why,
	    sizeof(why)), PXG_MARK);
	ck_assert_msg(strstr(why, "mid 59000.1 is 1.67% from mark 60000 > "
	    "max 1%") != NULL, "%s", why);
	g.c.max_mark_dev_pct = 1.67;
	ck_assert_int_eq(pxg_check(&g, 59000, 59000.2, 60000, T0, why,
	    sizeof(why)), PXG_OK);
	/* an unknown mark is not checked */
	g.c.max_mark_dev_pct = 0.01;
	ck_assert_int_eq(pxg_check(&g, 59000, 59000.2, 0, T0, why,
	    sizeof(why)), PXG_OK);
	ck_assert_int_eq(pxg_check(&g, 59000, 59000.2, NAN, T0, why,
	    sizeof(why)), PXG_OK);
}
END_TEST

START_TEST(test_jump_held_for_the_window)
{
	struct pxg g = guard(1, 100, 5, 10);
	char why[160];

	ck_assert_int_eq(pxg_check(&g, 60000, 60000.2, 0, T0, why,
	    sizeof(why)), PXG_OK);
	/* +50 %: 60000.1 -> 90000.15 */
	ck_assert_int_eq(pxg_check(&g, 90000.1, 90000.2, 0, T0 + NS_PER_S,
	    why, sizeof(why)), PXG_JUMP);
	ck_assert_msg(strstr(why, "mid jumped 50% (60000.1 -> 90000.15) > "
	    "max 5%") != NULL, "%s", why);
	/* still refused just before the window ends, accepted after */
	ck_assert_int_eq(pxg_check(&g, 90000.1, 90000.2, 0,
	    T0 + 10 * NS_PER_S - 1, why, sizeof(why)), PXG_JUMP);
	ck_assert_int_eq(pxg_check(&g, 90000.1, 90000.2, 0, T0 + 10 * NS_PER_S,
	    why, sizeof(why)), PXG_OK);
	ck_assert(g.ref_mid == 90000.15);
	/* and the old level is now the jump */
	ck_assert_int_eq(pxg_check(&g, 60000, 60000.2, 0, T0 + 11 * NS_PER_S,
	    why, sizeof(why)), PXG_JUMP);
}
END_TEST

START_TEST(test_glitch_comes_back)
{
	struct pxg g = guard(1, 100, 5, 10);
	char why[160];

	ck_assert_int_eq(pxg_check(&g, 60000, 60000.2, 0, T0, why,
	    sizeof(why)), PXG_OK);
	ck_assert_int_eq(pxg_check(&g, 63100, 63100.2, 0, T0 + 1, why,
	    sizeof(why)), PXG_JUMP);	/* +5.17 % */
	ck_assert_int_eq(pxg_check(&g, 62900, 62900.2, 0, T0 + 2, why,
	    sizeof(why)), PXG_OK);		/* +4.83 % */
	/* small steps move the reference: no jump is ever two steps */
	ck_assert_int_eq(pxg_check(&g, 65900, 65900.2, 0, T0 + 3, why,
	    sizeof(why)), PXG_OK);
}
END_TEST

START_TEST(test_unusable)
{
	struct pxg g = guard(1, 2, 5, 10);
	char why[160];

	ck_assert_int_eq(pxg_check(&g, 0, 60000, 0, T0, why, sizeof(why)),
	    PXG_NO_BOOK);
	ck_assert_int_eq(pxg_check(&g, 60000, 60000, 0, T0, why, sizeof(why)),
	    PXG_NO_BOOK);
	ck_assert_int_eq(pxg_check(&g, 60001, 60000, 0, T0, why, sizeof(why)),
	    PXG_NO_BOOK);
	ck_assert_int_eq(pxg_check(&g, NAN, 60000, 0, T0, why, sizeof(why)),
	    PXG_NO_BOOK);
	ck_assert_int_eq(pxg_check(&g, 60000, INFINITY, 0, T0, why,
	    sizeof(why)), PXG_NO_BOOK);
	ck_assert_msg(strstr(why, "book unusable") != NULL, "%s", why);
	ck_assert(!g.have_ref);
	ck_assert_str_eq(pxg_verdict_name(PXG_JUMP), "mid jumped");
}
END_TEST

static Suite *
pxguard_suite(void)
{
	Suite *s = suite_create("pxguard");
	TCase *tc = tcase_create("pxguard");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_sane_book);
	tcase_add_test(tc, test_tiny_bid);
	tcase_add_test(tc, test_spread_edges);
	tcase_add_test(tc, test_mark);
	tcase_add_test(tc, test_jump_held_for_the_window);
	tcase_add_test(tc, test_glitch_comes_back);
	tcase_add_test(tc, test_unusable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(pxguard_suite());
}
