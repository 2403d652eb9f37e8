/*
 * check_ratelimit.c — request weight and order counters, the X-MBX-*
 * header values, 429 when over, the 418 ban for clients that keep going,
 * its growth and its expiry. Time is passed in, so nothing here sleeps.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_fixture.h"
#include "check_run.h"

#define MIN_NS	(60 * 1000000000LL)
/* a minute boundary, so window arithmetic in the tests is obvious */
#define START	(1723161600LL * 1000000000LL)

static struct rl *r;

static void
setup(void)
{
	struct exch_rl_limits l;

	rl_limits_default(&l);
	r = rl_new(&l);
	ck_assert_ptr_nonnull(r);
}

static void
teardown(void)
{
	rl_free(r);
}

START_TEST(test_defaults)
{
	struct exch_rl_limits l;

	rl_limits_default(&l);
	ck_assert_int_eq(l.weight_1m, 2400);
	ck_assert_int_eq(l.orders_10s, 300);
	ck_assert_int_eq(l.orders_1m, 1200);
	ck_assert_int_eq(l.ban_first_ms, 120000);
	ck_assert_int_eq(l.ban_max_ms, 3LL * 24 * 3600 * 1000);
}
END_TEST

START_TEST(test_headers)
{
	struct exch_rl_result res;

	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 5, 0, START, &res), 0);
	ck_assert_int_eq(res.http, 200);
	ck_assert_int_eq(res.used_weight_1m, 5);
	ck_assert_int_eq(res.order_count_10s, -1);
	ck_assert_int_eq(rl_request(r, "127.0.0.1", "key1", 1, 1, START + 1000,
	    &res), 0);
	ck_assert_int_eq(res.used_weight_1m, 6);
	ck_assert_int_eq(res.order_count_10s, 1);
	ck_assert_int_eq(res.order_count_1m, 1);
	/* a batch of 5 counts 5 orders */
	rl_request(r, "127.0.0.1", "key1", 5, 5, START + 2000, &res);
	ck_assert_int_eq(res.order_count_10s, 6);
	ck_assert_int_eq(res.used_weight_1m, 11);
	/* another IP has its own weight; orders are the account's */
	rl_request(r, "10.0.0.2", "key1", 1, 1, START + 3000, &res);
	ck_assert_int_eq(res.used_weight_1m, 1);
	ck_assert_int_eq(res.order_count_10s, 7);
	/* next 10 s window: 10-s count restarts, minute count goes on */
	rl_request(r, "127.0.0.1", "key1", 1, 1, START + 10 * 1000000000LL, &res);
	ck_assert_int_eq(res.order_count_10s, 1);
	ck_assert_int_eq(res.order_count_1m, 8);
	/* next minute: weight restarts */
	rl_request(r, "127.0.0.1", NULL, 2, 0, START + MIN_NS, &res);
	ck_assert_int_eq(res.used_weight_1m, 2);
	/* peek does not count */
	rl_peek(r, "127.0.0.1", "key1", START + MIN_NS + 1, &res);
	ck_assert_int_eq(res.used_weight_1m, 2);
	ck_assert_int_eq(res.order_count_1m, 0);
	rl_peek(r, "1.2.3.4", "nobody", START, &res);
	ck_assert_int_eq(res.used_weight_1m, 0);
	ck_assert_int_eq(res.order_count_10s, 0);
}
END_TEST

START_TEST(test_weight_429)
{
	struct exch_rl_result res;
	int i;

	for (i = 0; i < 480; i++)
		ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 5, 0,
		    START + i * 1000000LL, &res), 0);
	ck_assert_int_eq(res.used_weight_1m, 2400);
	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0,
	    START + 30 * 1000000000LL, &res), -1);
	ck_assert_int_eq(res.http, 429);
	ck_assert_int_eq(res.code, -1003);
	ck_assert_str_eq(res.msg, "Too many requests; current limit is 2400 "
	    "requests per minute. Please use the websocket for live updates to "
	    "avoid polling the API.");
	ck_assert_int_eq(res.used_weight_1m, 2401);
	ck_assert_int_eq(res.retry_after_s, 30);
	/* the next minute lets it through again */
	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0, START + MIN_NS,
	    &res), 0);
	ck_assert_int_eq(res.used_weight_1m, 1);
}
END_TEST

START_TEST(test_orders_429)
{
	struct exch_rl_result res;
	int i;

	for (i = 0; i < 300; i++)
		ck_assert_int_eq(rl_request(r, "127.0.0.1", "key1", 0, 1,
		    START + i * 1000000LL, &res), 0);
	ck_assert_int_eq(rl_request(r, "127.0.0.1", "key1", 0, 1,
	    START + 5 * 1000000000LL, &res), -1);
	ck_assert_int_eq(res.http, 429);
	ck_assert_int_eq(res.code, -1015);
	ck_assert_str_eq(res.msg, "Too many new orders; current limit is 300 "
	    "orders per TEN_SECONDS.");
	ck_assert_int_eq(res.retry_after_s, 5);
	/* another account is not affected */
	ck_assert_int_eq(rl_request(r, "127.0.0.1", "key2", 0, 1,
	    START + 5 * 1000000000LL, &res), 0);
	/* per minute: 1200 over four 10-s windows, the 1201st is refused */
	for (i = 1; i < 4; i++) {
		int k;

		for (k = 0; k < 300; k++)
			rl_request(r, "10.0.0.9", "key3", 0, 1,
			    START + i * 10 * 1000000000LL + k, &res);
	}
	for (i = 0; i < 300; i++)
		rl_request(r, "10.0.0.8", "key3", 0, 1,
		    START + 40 * 1000000000LL + i, &res);
	ck_assert_int_eq(res.order_count_1m, 1200);
	ck_assert_int_eq(rl_request(r, "10.0.0.7", "key3", 0, 1,
	    START + 50 * 1000000000LL, &res), -1);
	ck_assert_str_eq(res.msg, "Too many new orders; current limit is 1200 "
	    "orders per MINUTE.");
}
END_TEST

/* Keep hammering after 429: 418 and a ban that ends, then grows. */
START_TEST(test_ban)
{
	struct exch_rl_result res;
	int64_t t = START, until;
	int i, n418 = 0;

	for (i = 0; i < 2400; i++)
		rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res);
	/* 10 refusals are tolerated, the 11th bans */
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res), -1);
		ck_assert_int_eq(res.http, 429);
	}
	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res), -1);
	ck_assert_int_eq(res.http, 418);
	ck_assert_int_eq(res.code, -1003);
	until = t / 1000000 + 120000;
	ck_assert_int_eq(res.banned_until_ms, until);
	{
		char want[256];

		snprintf(want, sizeof(want), "Way too many requests; IP(127.0.0.1) "
		    "banned until %lld. Please use the websocket for live updates "
		    "to avoid bans.", (long long)until);
		ck_assert_str_eq(res.msg, want);
	}
	ck_assert_int_eq(res.retry_after_s, 120);
	/* banned across the minute boundary, for any weight */
	for (i = 0; i < 5; i++) {
		t += 20 * 1000000000LL;
		if (rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res) == -1 &&
		    res.http == 418)
			n418++;
	}
	ck_assert_int_eq(n418, 5);	/* up to t0 + 100 s */
	rl_peek(r, "127.0.0.1", NULL, t, &res);
	ck_assert_int_eq(res.http, 418);
	/* other IPs are fine */
	ck_assert_int_eq(rl_request(r, "127.0.0.2", NULL, 1, 0, t, &res), 0);
	/* expired after 2 minutes */
	t = START + 121 * 1000000000LL;
	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res), 0);
	ck_assert_int_eq(res.http, 200);
	/* a repeat offender gets 4 minutes */
	for (i = 0; i < 2400 + 11; i++)
		rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res);
	ck_assert_int_eq(res.http, 418);
	ck_assert_int_eq(res.banned_until_ms, t / 1000000 + 240000);
	/* reset forgets everything */
	rl_reset(r);
	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res), 0);
}
END_TEST

/* A client that slows down after a 429 is not banned. */
START_TEST(test_no_ban_when_backing_off)
{
	struct exch_rl_result res;
	int64_t t = START;
	int m, i;

	for (m = 0; m < 5; m++) {
		for (i = 0; i < 2405; i++)
			rl_request(r, "127.0.0.1", NULL, 1, 0, t + i, &res);
		ck_assert_int_eq(res.http, 429);
		t += MIN_NS;
	}
	ck_assert_int_eq(rl_request(r, "127.0.0.1", NULL, 1, 0, t, &res), 0);
}
END_TEST

/* Many distinct clients: the table grows and forgets idle ones. */
START_TEST(test_many_clients)
{
	struct exch_rl_result res;
	char ip[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		ck_assert_int_eq(rl_request(r, ip, NULL, 3, 0, START + i, &res), 0);
		ck_assert_int_eq(res.used_weight_1m, 3);
	}
	rl_request(r, "10.0.7.1", NULL, 3, 0, START + 9000, &res);
	ck_assert_int_eq(res.used_weight_1m, 6);
	/* much later everything is new again */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "11.%d.%d.1", i / 256, i % 256);
		rl_request(r, ip, NULL, 1, 0, START + 20 * MIN_NS + i, &res);
	}
	rl_request(r, "10.0.7.1", NULL, 3, 0, START + 20 * MIN_NS, &res);
	ck_assert_int_eq(res.used_weight_1m, 3);
}
END_TEST

/* The engine owns one configured from its options. */
START_TEST(test_engine_rl)
{
	struct tfix *f = tfix_new();
	struct exch_rl_result res;

	ck_assert_ptr_nonnull(exch_rl(f->ex));
	rl_request(exch_rl(f->ex), "127.0.0.1", "key1", 1, 1, f->now, &res);
	ck_assert_int_eq(res.order_count_1m, 1);
	tfix_free(f);
}
END_TEST

static Suite *
rl_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_weight_429);
	tcase_add_test(tc, test_orders_429);
	tcase_add_test(tc, test_ban);
	tcase_add_test(tc, test_no_ban_when_backing_off);
	tcase_add_test(tc, test_many_clients);
	tcase_add_test(tc, test_engine_rl);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(rl_suite());
}
