/*
 * check_ctl_history.c — pmmctl history's CSV sums (supervisor/ctl_history.c):
 * two days of hand-written CSV across a midnight file change, torn and
 * foreign lines skipped and counted, records split across feeds, quoted
 * fields, pause time and reasons, restarts, the window, --since parsing.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_history.h"
#include "check_run.h"

#define HDR "timestamp,instance_id,env,metric_name,value,unit,symbol,side,level,sub_type,details\n"
#define I ",mm,sim,"

/* Day 1 ends at 23:59:59 UTC; day 2 starts after midnight. */
static const char day1[] = HDR
    "2026-12-05T23:59:50.000+00:00" I "fill,0.002,BTC,BTCUSDT,BUY,1,maker,price=60000 fee=0.024 USDT realized_pnl=0 order_id=1 trade_id=1\n"
    "2026-12-05T23:59:51.000+00:00" I "position,0.002,BTC,BTCUSDT,,,,\n"
    "2026-12-05T23:59:52.000+00:00" I "strategy_paused,1,bool,BTCUSDT,,,operator,\"lunch, back at 2\"\n"
    "2026-12-05T23:59:53.000+00:00" I "strategy_paused,1,bool,BTCUSDT,,,operator,\"lunch, back at 2\"\n"
    "2026-12-05T23:59:54.000+00:00" I "strategy_paused,0,bool,BTCUSDT,,,,\n"
    "2026-12-05T23:59:54.500+00:00" I "strategy_paused,1,bool,BTCUSDT,,,risk,position limit: notional 1080 > 1000\n"
    "2026-12-05T23:59:55.000+00:00" I "strategy_paused,1,bool,BTCUSDT,,,risk,position limit: notional 1090 > 1000\n"
    "2026-12-05T23:59:56.000+00:00" I "strategy_paused,0,bool,BTCUSDT,,,,\n"
    "garbage that is no csv row\n"
    "a \"quote never closed, foreign\n"
    "2026-12-05T23:59:55.000+00:00" I "service_event,1221,pid,,,,died,service=market status=9 pid 1221 exited on signal 9 (Killed)\n"
    "2026-12-05T23:59:55.000+00:00" I "service_event,1222,pid,,,,died,service=risk status=0 pid 1222 exited on code 0\n"
    "2026-12-05T23:59:56.000+00:00" I "fill,0.001,BTC,BTCUSDT,SELL,1,taker,\"price=60010 fee=0.01 BNB realized_pnl=0.01\nsecond line\"\n"
    "2026-12-05T23:59:57.0";			/* torn: no line end */

static const char day2[] = HDR
    "2026-12-06T00:00:01.000+00:00" I "fill,0.003,BTC,BTCUSDT,SELL,2,maker,price=60020 fee=0.036 USDT realized_pnl=0.04 order_id=3 trade_id=3\n"
    "2026-12-06T00:00:02.000+00:00" I "position,-0.002,BTC,BTCUSDT,,,,\n"
    "2026-12-06T00:00:03.000+00:00,other,sim,fill,9,BTC,BTCUSDT,BUY,1,maker,price=1 fee=0 USDT realized_pnl=0\n"
    "2026-12-06T00:00:04.000+00:00" I "fill,0.001,BTC,BTCUSDT,BUY,1,maker,torn row repaired\n"
    "2026-12-06T00:00:05.000+00:00" I "unrealized_pnl,0.5,USDT,BTCUSDT,,,,\n"
    "2026-12-06T00:00:06.000+00:00" I "mid_price,60000,USDT,BTCUSDT,,,,\n"
    "2026-12-06T00:00:07.000+00:00" I "fill,x,BTC,BTCUSDT,BUY,1,maker,price=1\n";

/* Feed a file in pieces of n bytes, as pmmctl's reads may cut it. */
static void
feed(struct chist *h, const char *text, size_t n)
{
	char buf[8192];
	size_t have = 0, len = strlen(text), off = 0, used, k;

	while (off < len) {
		k = len - off < n ? len - off : n;
		memcpy(buf + have, text + off, k);
		have += k;
		off += k;
		used = chist_feed(h, buf, have);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	chist_feed_end(h, buf, have);
}

static void
both_days(struct chist *h, size_t n)
{
	chist_init(h, 0, 0, "mm");
	feed(h, day1, n);
	feed(h, day2, n);
}

START_TEST(test_two_days)
{
	struct chist h;
	size_t n = _i == 0 ? 1 << 20 : (size_t)_i;	/* whole, and cut */

	both_days(&h, n);
	ck_assert_uint_eq(h.buys, 1);
	ck_assert_uint_eq(h.sells, 2);
	ck_assert_uint_eq(h.maker, 2);
	ck_assert_double_eq_tol(h.buy_qty, 0.002, 1e-12);
	ck_assert_double_eq_tol(h.sell_qty, 0.004, 1e-12);
	ck_assert_double_eq_tol(h.buy_quote, 120, 1e-9);
	ck_assert_double_eq_tol(h.sell_quote, 60.01 + 180.06, 1e-9);
	/* the BNB fee is not USDT: counted apart */
	ck_assert_double_eq_tol(h.fees, 0.06, 1e-12);
	ck_assert_uint_eq(h.fee_other, 1);
	ck_assert_double_eq_tol(h.realized, 0.05, 1e-12);
	ck_assert_double_eq_tol(h.max_abs_pos, 0.002, 1e-12);
	ck_assert_double_eq_tol(h.last_unreal, 0.5, 1e-12);
	ck_assert_int_eq(h.have_funding, 0);
	ck_assert_uint_eq(h.restarts, 1);
	ck_assert_uint_eq(h.pauses, 2);
	ck_assert_int_eq(h.paused_ns, 3500000000LL);
	ck_assert_int_eq(h.nreasons, 2);
	ck_assert_str_eq(h.reasons[0].text, "operator: lunch, back at 2");
	ck_assert_int_eq(h.reasons[0].ns, 2000000000LL);
	/* risk's reasons grouped by cause, whatever figures they carry */
	ck_assert_str_eq(h.reasons[1].text, "risk: position limit");
	ck_assert_int_eq(h.reasons[1].ns, 1500000000LL);
	/* garbage, the open quote, the torn end of day 1, the repaired row, the bad value */
	ck_assert_uint_eq(h.skipped, 5);
	ck_assert_uint_eq(h.other_instance, 1);
	ck_assert_int_eq(h.first_ns, chist_parse_ts("2026-12-05T23:59:50.000+00:00"));
	ck_assert_int_eq(h.last_ns, chist_parse_ts("2026-12-06T00:00:07.000+00:00"));
}
END_TEST

/* The window: only day 2's rows. */
START_TEST(test_window)
{
	struct chist h;

	chist_init(&h, chist_parse_ts("2026-12-06T00:00:00.000+00:00"), 0, "");
	feed(&h, day1, 1 << 20);
	feed(&h, day2, 1 << 20);
	ck_assert_uint_eq(h.buys, 1);		/* the other instance's */
	ck_assert_uint_eq(h.sells, 1);
	ck_assert_uint_eq(h.restarts, 0);
	ck_assert(chist_file_wanted(&h, "metrics-20261206.csv"));
	ck_assert(chist_file_wanted(&h, "metrics-20261205.csv"));
	ck_assert(!chist_file_wanted(&h, "metrics-20261201.csv"));
	ck_assert(!chist_file_wanted(&h, "metrics-2026120.csv"));
	ck_assert(!chist_file_wanted(&h, "notes.txt"));
}
END_TEST

START_TEST(test_timestamps)
{
	ck_assert_int_eq(chist_parse_ts("2026-11-24T01:02:03.456+05:30"),
	    chist_parse_ts("2026-11-23T19:32:03.456+00:00"));
	ck_assert_int_eq(chist_parse_ts("1970-01-01T00:00:01.000+00:00"),
	    1000000000LL);
	ck_assert_int_lt(chist_parse_ts("2026-11-24 01:02:03"), 0);
	ck_assert_int_lt(chist_parse_ts("2026-13-24T01:02:03.456+00:00"), 0);
	ck_assert_int_lt(chist_parse_ts(""), 0);
}
END_TEST

START_TEST(test_when)
{
	int64_t now = 100000LL * 1000000000LL, t;

	ck_assert_int_eq(chist_parse_when("1h", now, &t), 0);
	ck_assert_int_eq(t, now - 3600LL * 1000000000LL);
	ck_assert_int_eq(chist_parse_when("30m", now, &t), 0);
	ck_assert_int_eq(t, now - 1800LL * 1000000000LL);
	ck_assert_int_eq(chist_parse_when("2d", now, &t), 0);
	ck_assert_int_eq(chist_parse_when("2026-12-06", now, &t), 0);
	ck_assert_int_eq(chist_parse_when("2026-12-06T08:00", now, &t), 0);
	ck_assert_int_eq(chist_parse_when("2026-12-06 08:00:30", now, &t), 0);
	ck_assert_int_eq(chist_parse_when("1x", now, &t), -1);
	ck_assert_int_eq(chist_parse_when("-1h", now, &t), -1);
	ck_assert_int_eq(chist_parse_when("yesterday", now, &t), -1);
}
END_TEST

static Suite *
ctl_history_suite(void)
{
	Suite *s = suite_create("ctl_history");
	TCase *tc = tcase_create("sums");

	tcase_add_loop_test(tc, test_two_days, 0, 1);
	tcase_add_loop_test(tc, test_two_days, 1, 40);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_when);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ctl_history_suite());
}
