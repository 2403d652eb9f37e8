/*
 * check_bn_filters.c — exact tick/step arithmetic: decimal parsing and
 * formatting, bid-down/ask-up rounding over many prices for every tick size
 * of the real exchangeInfo example plus the common ones, round trips, the
 * notional maths, and the start-up message for a too-small order size.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bn_filters.h"
#include "check_run.h"

#define EXAMPLES	PMM_SHARED_DATA "/examples.json"
#define MAXTICKS	64

static void
mk(struct bn_filters *f, const char *sym, const char *tick, const char *step,
    const char *minqty, const char *maxqty, const char *notional)
{
	char why[128];

	bn_filters_init(f, sym);
	ck_assert_int_eq(bn_dec_parse(tick, &f->tick), 0);
	ck_assert_int_eq(bn_dec_parse(step, &f->step), 0);
	ck_assert_int_eq(bn_dec_parse(minqty, &f->raw_min_qty), 0);
	ck_assert_int_eq(bn_dec_parse(maxqty, &f->raw_max_qty), 0);
	ck_assert_int_eq(bn_dec_parse(notional, &f->min_notional), 0);
	f->have_price = f->have_lot = 1;
	ck_assert_int_eq(bn_filters_finish(f, why, sizeof(why)), 0);
}

static void
mk_btc(struct bn_filters *f)
{
	mk(f, "BTCUSDT", "0.10", "0.001", "0.001", "1000", "100");
}

START_TEST(test_dec_parse)
{
	static const struct { const char *s; int64_t u; int dp; } ok[] = {
		{ "0.10", 1, 1 }, { "10", 10, 0 }, { "0.0001", 1, 4 },
		{ "5.0", 5, 0 }, { "0", 0, 0 }, { "0.00000000", 0, 0 },
		{ "60000.1", 600001, 1 }, { "1.", 1, 0 }, { ".5", 5, 1 },
		{ "28155.10000000", 281551, 1 }, { "007", 7, 0 },
		{ "0.000000000000000001", 1, 18 },
		{ "999999999999999999", 999999999999999999LL, 0 },
	};
	static const char *bad[] = { "", ".", "1e5", "-1", "+1", "1.2.3",
	    "0x10", " 1", "1 ", "1,5", "1234567890123456789",
	    "0.0000000000000000001", "nan", "inf" };
	struct bn_dec	d;
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(bn_dec_parse(ok[i].s, &d) == 0, "%s", ok[i].s);
		ck_assert_msg(d.units == ok[i].u && d.dp == ok[i].dp,
		    "%s -> %lld e-%d", ok[i].s, (long long)d.units, d.dp);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bn_dec_parse(bad[i], &d) == -1, "'%s'", bad[i]);
	ck_assert_int_eq(bn_dec_parse(NULL, &d), -1);
	/* parsen stops at len: "12" of "123" */
	ck_assert_int_eq(bn_dec_parsen("123", 2, &d), 0);
	ck_assert_int_eq(d.units, 12);
}
END_TEST

START_TEST(test_dec_fmt)
{
	struct bn_dec	d;
	char		buf[BN_NUMLEN];

	d.units = 5;
	d.dp = 3;
	ck_assert_int_eq(bn_dec_fmt(&d, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0.005");
	d.units = 123456;
	d.dp = 2;
	bn_dec_fmt(&d, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1234.56");
	d.units = 0;
	d.dp = 0;
	bn_dec_fmt(&d, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0");
	/* a buffer too small is refused, not overrun */
	d.units = 123456;
	ck_assert_int_eq(bn_dec_fmt(&d, buf, 4), -1);
}
END_TEST

START_TEST(test_fmt_price)
{
	struct bn_filters	f;
	char			buf[BN_NUMLEN];

	mk_btc(&f);
	bn_fmt_price(&f, 600001, buf, sizeof(buf));
	ck_assert_str_eq(buf, "60000.1");
	bn_fmt_price(&f, 600000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "60000.0");
	bn_fmt_price(&f, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.0");
	ck_assert_int_eq(bn_fmt_price(&f, -1, buf, sizeof(buf)), -1);
	bn_fmt_qty(&f, 3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.003");
	bn_fmt_qty(&f, 12345, buf, sizeof(buf));
	ck_assert_str_eq(buf, "12.345");

	mk(&f, "X", "0.5", "1", "1", "0", "0");
	bn_fmt_price(&f, 3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5");
	bn_fmt_price(&f, 4, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2.0");
	mk(&f, "X", "10", "1", "1", "0", "0");
	bn_fmt_price(&f, 6001, buf, sizeof(buf));
	ck_assert_str_eq(buf, "60010");
	mk(&f, "X", "0.0001", "1", "1", "0", "0");
	bn_fmt_price(&f, 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.0001");
}
END_TEST

/* The float noise the brief names: 60000.1 computed as 60000.09999999. */
START_TEST(test_float_noise)
{
	struct bn_filters	f;

	mk_btc(&f);
	ck_assert_int_eq(bn_price_ticks_floor(&f, 60000.09999999), 600001);
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 60000.10000001), 600001);
	ck_assert_int_eq(bn_price_ticks_floor(&f, 60000.1), 600001);
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 60000.1), 600001);
	ck_assert_int_eq(bn_price_ticks_floor(&f, 0.1 + 0.2), 3);
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 0.1 + 0.2), 3);
	/* a real half tick still rounds by side */
	ck_assert_int_eq(bn_price_ticks_floor(&f, 60000.15), 600001);
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 60000.15), 600002);
	ck_assert_int_eq(bn_price_ticks_floor(&f, 60000.1999), 600001);
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 60000.1001), 600002);
	/* 1.1 × 3 = 3.3000000000000003 is 33 ticks both ways */
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 1.1 * 3), 33);
	ck_assert_int_eq(bn_qty_steps_floor(&f, 0.001 * 3), 3);
	ck_assert_int_eq(bn_qty_steps_ceil(&f, 0.0031), 4);
	/* unusable inputs */
	ck_assert_int_eq(bn_price_ticks_floor(&f, NAN), -1);
	ck_assert_int_eq(bn_price_ticks_floor(&f, INFINITY), -1);
	ck_assert_int_eq(bn_price_ticks_floor(&f, -1), -1);
	ck_assert_int_eq(bn_price_ticks_ceil(&f, 1e300), -1);
}
END_TEST

START_TEST(test_ticks_str)
{
	struct bn_filters f;

	mk_btc(&f);
	ck_assert_int_eq(bn_price_ticks_str(&f, "60000.10"), 600001);
	ck_assert_int_eq(bn_price_ticks_str(&f, "60000"), 600000);
	ck_assert_int_eq(bn_price_ticks_str(&f, "60000.15"), -1);
	ck_assert_int_eq(bn_price_ticks_str(&f, "abc"), -1);
	ck_assert_int_eq(bn_qty_steps_str(&f, "0.003"), 3);
	ck_assert_int_eq(bn_qty_steps_str(&f, "0.0035"), -1);
	mk(&f, "X", "0.5", "1", "1", "0", "0");
	ck_assert_int_eq(bn_price_ticks_str(&f, "2.5"), 5);
	ck_assert_int_eq(bn_price_ticks_str(&f, "2.6"), -1);
}
END_TEST

/* Every tickSize in the example exchangeInfo, by walking the JSON. */
static void
collect_ticks(json_t *j, char ticks[][24], int *n)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if (strcmp(k, "tickSize") == 0 && json_is_string(v) &&
			    *n < MAXTICKS)
				snprintf(ticks[(*n)++], 24, "%s",
				    json_string_value(v));
			else
				collect_ticks(v, ticks, n);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			collect_ticks(v, ticks, n);
	}
}

/* A cheap deterministic generator so failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
check_tick(const char *tick)
{
	struct bn_filters	 f;
	char			 buf[BN_NUMLEN];
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL;
	double			 px, t, lo, hi;
	int64_t			 k, b, a;
	int			 i;

	mk(&f, "T", tick, "0.001", "0.001", "0", "0");
	t = bn_dec_double(&f.tick);
	for (i = 0; i < 20000; i++) {
		/* arbitrary prices: bid <= px <= ask, at most one tick apart */
		px = t * (double)(rnd(&seed) % 2000000) +
		    t * (double)(rnd(&seed) % 1000) / 1000.0;
		b = bn_price_ticks_floor(&f, px);
		a = bn_price_ticks_ceil(&f, px);
		ck_assert_msg(b >= 0 && a >= b && a - b <= 1,
		    "tick %s px %.12g: %lld %lld", tick, px, (long long)b,
		    (long long)a);
		lo = bn_price_double(&f, b);
		hi = bn_price_double(&f, a);
		ck_assert_msg(lo <= px * (1 + 1e-12) && hi >= px * (1 - 1e-12),
		    "tick %s px %.12g -> [%.12g, %.12g]", tick, px, lo, hi);

		/* exact multiples, however the double got there */
		k = (int64_t)(rnd(&seed) % 5000000);
		px = (double)k * t;
		ck_assert_msg(bn_price_ticks_floor(&f, px) == k &&
		    bn_price_ticks_ceil(&f, px) == k,
		    "tick %s k %lld px %.17g", tick, (long long)k, px);
		/* format -> string -> count and -> strtod -> count */
		ck_assert_int_eq(bn_fmt_price(&f, k, buf, sizeof(buf)), 0);
		ck_assert_msg(bn_price_ticks_str(&f, buf) == k, "%s %s", tick,
		    buf);
		px = strtod(buf, NULL);
		ck_assert_msg(bn_price_ticks_floor(&f, px) == k &&
		    bn_price_ticks_ceil(&f, px) == k, "%s %s", tick, buf);
	}
}

START_TEST(test_tick_sizes)
{
	static const char *common[] = { "0.1", "0.01", "0.001", "0.0001",
	    "1", "10", "0.5", "0.10", "0.00001", "0.0000001", "0.25" };
	char	 ticks[MAXTICKS][24];
	json_t	*j;
	int	 n = 0, i;

	if (access(EXAMPLES, R_OK) == 0 &&
	    (j = json_load_file(EXAMPLES, 0, NULL)) != NULL) {
		collect_ticks(j, ticks, &n);
		json_decref(j);
		ck_assert_msg(n > 0, "no tickSize in %s", EXAMPLES);
	} else
		fprintf(stderr, "check_bn_filters: %s absent, testing the "
		    "common tick sizes only\n", EXAMPLES);
	for (i = 0; i < n; i++)
		check_tick(ticks[i]);
	for (i = 0; i < (int)(sizeof(common) / sizeof(common[0])); i++)
		check_tick(common[i]);
}
END_TEST

START_TEST(test_notional)
{
	struct bn_filters f;

	mk_btc(&f);
	ck_assert_int_eq(bn_notional_ok(&f, 600000, 2), 1);	/* 120 */
	ck_assert_int_eq(bn_notional_ok(&f, 600000, 1), 0);	/* 60 */
	ck_assert_int_eq(bn_notional_ok(&f, 500000, 2), 1);	/* 100 exactly */
	ck_assert_int_eq(bn_notional_ok(&f, 499999, 2), 0);	/* 99.9998 */
	ck_assert_int_eq(bn_notional_ok(&f, -1, 2), 0);
}
END_TEST

START_TEST(test_qty_for_notional)
{
	struct bn_filters	f;
	int64_t			p = 600000;	/* 60000.0 */

	mk_btc(&f);
	/* 150 USDT: 0.002 is 120 (short), 0.003 is 180: the smallest >= */
	ck_assert_int_eq(bn_qty_for_notional(&f, 150, p), 3);
	ck_assert_int_eq(bn_qty_for_notional(&f, 120, p), 2);	/* exact */
	ck_assert_int_eq(bn_qty_for_notional(&f, 120.000001, p), 3);
	/* 10 USDT is raised to MIN_NOTIONAL 100: 0.002 */
	ck_assert_int_eq(bn_qty_for_notional(&f, 10, p), 2);
	/* at 50000, 0.002 is exactly 100 */
	ck_assert_int_eq(bn_qty_for_notional(&f, 10, 500000), 2);
	/* every result meets MIN_NOTIONAL and is the smallest that does */
	for (p = 100000; p < 1200000; p += 7919) {
		int64_t n = bn_qty_for_notional(&f, 1, p);

		ck_assert(bn_notional_ok(&f, p, n));
		ck_assert(n == 1 || !bn_notional_ok(&f, p, n - 1));
	}
	/* more than maxQty (1000) cannot be placed */
	ck_assert_int_eq(bn_qty_for_notional(&f, 1e9, 600000), -1);
	ck_assert_int_eq(bn_qty_for_notional(&f, NAN, 600000), -1);
	ck_assert_int_eq(bn_qty_for_notional(&f, -5, 600000), -1);
	ck_assert_int_eq(bn_qty_for_notional(&f, 150, 0), -1);
	/* minQty bigger than the notional asks for */
	mk(&f, "BLZUSDT", "0.0001", "1", "1", "10000000", "5.0");
	ck_assert_int_eq(bn_qty_for_notional(&f, 0.01, 1000), 50);
	mk(&f, "X", "0.1", "0.01", "0.05", "0", "0");
	ck_assert_int_eq(bn_qty_for_notional(&f, 0.01, 10), 5);
}
END_TEST

START_TEST(test_check_size_messages)
{
	struct bn_filters	f;
	char			msg[512];

	mk_btc(&f);
	ck_assert_int_eq(bn_filters_check_size(&f, 10, 3, 60000.0, msg,
	    sizeof(msg)), -1);
	ck_assert_str_eq(msg, "quantity_per_order_usdt 10 is below BTCUSDT's "
	    "MIN_NOTIONAL filter (100 USDT); the smallest value that works at "
	    "price 60000.0 is 100");
	ck_assert_int_eq(bn_filters_check_size(&f, 150, 3, 60000.0, msg,
	    sizeof(msg)), 0);
	ck_assert_str_eq(msg, "");
	/* at 120000, minQty × price (120) beats MIN_NOTIONAL (100) */
	ck_assert_int_eq(bn_filters_check_size(&f, 10, 3, 120000.0, msg,
	    sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "MIN_NOTIONAL") && strstr(msg, "is 120"),
	    "%s", msg);
	ck_assert_int_eq(bn_filters_check_size(&f, 110, 3, 120000.0, msg,
	    sizeof(msg)), -1);
	ck_assert_str_eq(msg, "quantity_per_order_usdt 110 is below BTCUSDT's "
	    "LOT_SIZE minQty (0.001 = 120 USDT at price 120000.0), so every "
	    "order would be larger than configured; the smallest value that "
	    "works at price 120000.0 is 120");
	/* works now, but a 10 % rise would cross minQty × price */
	ck_assert_int_eq(bn_filters_check_size(&f, 125, 3, 120000.0, msg,
	    sizeof(msg)), 1);
	ck_assert_msg(strstr(msg, "LOT_SIZE minQty") && strstr(msg, "132"),
	    "%s", msg);
	/* maxQty 1000 BTC at 60000 is 60,000,000 USDT */
	ck_assert_int_eq(bn_filters_check_size(&f, 7e7, 3, 60000.0, msg,
	    sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "maxQty (1000.000)") && strstr(msg,
	    "largest value that works at price 60000.0 is 60000000"), "%s",
	    msg);
	/* MAX_NUM_ORDERS */
	f.max_num_orders = 10;
	ck_assert_int_eq(bn_filters_check_size(&f, 150, 6, 60000.0, msg,
	    sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "MAX_NUM_ORDERS filter (10)") &&
	    strstr(msg, "largest value that works is 5"), "%s", msg);
	ck_assert_int_eq(bn_filters_check_size(&f, 150, 5, 60000.0, msg,
	    sizeof(msg)), 0);
	/* a fractional minimum is rounded up to the cent */
	mk(&f, "ETHUSDT", "0.01", "0.001", "0.001", "10000", "20");
	ck_assert_int_eq(bn_filters_check_size(&f, 2, 3, 2500.006, msg,
	    sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "(20 USDT)") && strstr(msg,
	    "at price 2500.01 is 20"), "%s", msg);
	ck_assert_int_eq(bn_filters_check_size(&f, 10, 3, NAN, msg,
	    sizeof(msg)), -1);
}
END_TEST

START_TEST(test_percent_band)
{
	struct bn_filters f;

	mk_btc(&f);
	ck_assert_int_eq(bn_price_in_band(&f, 1, 60000), 1);	/* no filter */
	f.pct_up = 1.05;
	f.pct_down = 0.95;
	ck_assert_int_eq(bn_price_in_band(&f, 600000, 60000), 1);
	ck_assert_int_eq(bn_price_in_band(&f, 630000, 60000), 1);
	ck_assert_int_eq(bn_price_in_band(&f, 630001, 60000), 0);
	ck_assert_int_eq(bn_price_in_band(&f, 569999, 60000), 0);
}
END_TEST

START_TEST(test_finish_bounds)
{
	struct bn_filters	f;
	char			why[128];

	bn_filters_init(&f, "X");
	ck_assert_int_eq(bn_filters_finish(&f, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "tickSize") != NULL, "%s", why);
	mk(&f, "X", "0.1", "0.001", "0.0015", "100.0005", "0");
	/* bounds round inwards: minQty up, maxQty down */
	ck_assert_int_eq(f.min_qty_steps, 2);
	ck_assert_int_eq(f.max_qty_steps, 100000);
	f.have_lot = 0;
	ck_assert_int_eq(bn_filters_finish(&f, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "stepSize") != NULL, "%s", why);
}
END_TEST

static Suite *
filters_suite(void)
{
	Suite	*s = suite_create("bn_filters");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_dec_parse);
	tcase_add_test(tc, test_dec_fmt);
	tcase_add_test(tc, test_fmt_price);
	tcase_add_test(tc, test_float_noise);
	tcase_add_test(tc, test_ticks_str);
	tcase_add_test(tc, test_tick_sizes);
	tcase_add_test(tc, test_notional);
	tcase_add_test(tc, test_qty_for_notional);
	tcase_add_test(tc, test_check_size_messages);
	tcase_add_test(tc, test_percent_band);
	tcase_add_test(tc, test_finish_bounds);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(filters_suite());
}
