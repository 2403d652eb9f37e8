/*
 * check_mdfeed.c — the market service's feed logic: bookTicker frames
 * (combined and raw, real recorded ones from the shared data when present)
 * into the record and the TICK, markPrice into the mark, malformed frames
 * dropped and counted without touching the record, another symbol
 * ignored, duplicate ids around a rollover dropped, the stale flag, the
 * reconnect counter carried over from an earlier instance.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdfeed.h"
#include "timeutil.h"
#include "check_run.h"

#define EXAMPLES	PMM_SHARED_DATA "/examples.json"
#define T0		(1000 * NS_PER_S)	/* monotonic */
#define R0		1723161256400000000LL	/* realtime: E + 87 ms */

static struct mdfeed	f;
static struct pmm_tick	t;

static const char book1[] = "{\"stream\":\"btcusdt@bookTicker\",\"data\":{"
    "\"e\":\"bookTicker\",\"u\":5123107839020,\"s\":\"BTCUSDT\",\"b\":"
    "\"61800.20\",\"B\":\"2.507\",\"a\":\"61800.30\",\"A\":\"2.510\",\"T\":"
    "1723161256313,\"E\":1723161256313}}";

static int
book(const char *s, int64_t now)
{
	return mdf_on_book(&f, s, strlen(s), R0, now, &t);
}

static int
mark(const char *s)
{
	return mdf_on_mark(&f, s, strlen(s), T0);
}

static void
setup(void)
{
	memset(&t, 0, sizeof(t));
	mdf_init(&f, "btcusdt", 5, NULL);
}

START_TEST(test_book_fills_record_and_tick)
{
	ck_assert_str_eq(f.symbol, "BTCUSDT");
	ck_assert_uint_eq(f.rec.stale, 1);	/* nothing yet */
	ck_assert_int_eq(book(book1, T0), 1);
	ck_assert(t.bid == 61800.2 && t.ask == 61800.3);
	ck_assert(t.bid_qty == 2.507 && t.ask_qty == 2.51);
	ck_assert_int_eq(t.exch_ts_ns, 1723161256313LL * NS_PER_MS);
	ck_assert_int_eq(t.recv_ts_ns, R0);
	ck_assert_uint_eq(t.update_id, 5123107839020ULL);
	ck_assert(f.rec.bid == t.bid && f.rec.ask == t.ask);
	ck_assert(fabs(f.rec.mid - 61800.25) < 1e-9);
	ck_assert_int_eq(f.rec.exch_ts_ns, t.exch_ts_ns);
	ck_assert_int_eq(f.rec.recv_ts_ns, R0);
	ck_assert_uint_eq(f.rec.update_id, t.update_id);
	ck_assert_uint_eq(f.rec.updates, 1);
	ck_assert(fabs(f.rec.md_latency_ms - 87.0) < 1e-6);
	ck_assert_uint_eq(f.rec.stale, 0);
	ck_assert_uint_eq(f.st.books, 1);
}
END_TEST

START_TEST(test_raw_frame)
{
	ck_assert_int_eq(book("{\"e\":\"bookTicker\",\"u\":7,\"E\":1,\"T\":1,"
	    "\"s\":\"BTCUSDT\",\"b\":\"100.5\",\"B\":\"1\",\"a\":\"101\",\"A\":"
	    "\"2\"}", T0), 1);
	ck_assert(f.rec.bid == 100.5 && f.rec.ask == 101);
	ck_assert_uint_eq(f.rec.update_id, 7);
}
END_TEST

/* Each bad frame is dropped, counted, and leaves the record alone. */
START_TEST(test_malformed_dropped)
{
	static const char *bad[] = {
		"",
		"not json",
		"{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"e\":\"bookT",
		"[1,2,3]",
		"{\"e\":\"bookTicker\",\"E\":1,\"s\":\"BTCUSDT\",\"b\":\"1\","
		    "\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",		/* no u */
		"{\"e\":\"bookTicker\",\"u\":\"x\",\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"abc\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"1.5x\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"nan\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"1e999\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"-1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"3\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",	/* crossed */
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"0\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":7,"
		    "\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"1\",\"B\":\"-1\",\"a\":\"2\",\"A\":\"1\"}",
		"{\"e\":\"bookTicker\",\"u\":8,\"E\":1,\"s\":\"BTCUSDT\","
		    "\"b\":\"0x1p3\",\"B\":\"1\",\"a\":\"20\",\"A\":\"1\"}",
	};
	struct shm_market before;
	size_t i;

	ck_assert_int_eq(book(book1, T0), 1);
	before = f.rec;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(book(bad[i], T0 + (int64_t)i) == 0, "accepted %s",
		    bad[i]);
		ck_assert_uint_eq(f.st.malformed, i + 1);
	}
	ck_assert_int_eq(memcmp(&before, &f.rec, sizeof(before)), 0);
	ck_assert_uint_eq(f.st.books, 1);
	/* one line logged, the rest only counted until a minute passed */
	ck_assert_uint_eq(f.bad_unlogged, sizeof(bad) / sizeof(bad[0]) - 1);
	ck_assert_int_eq(book("x", T0 + 61 * NS_PER_S), 0);
	ck_assert_uint_eq(f.bad_unlogged, 0);
}
END_TEST

START_TEST(test_other_symbol_ignored)
{
	ck_assert_int_eq(book("{\"e\":\"bookTicker\",\"u\":9,\"E\":1,\"s\":"
	    "\"ETHUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}", T0),
	    0);
	ck_assert_uint_eq(f.st.other, 1);
	ck_assert_uint_eq(f.st.malformed, 0);
	ck_assert_uint_eq(f.rec.updates, 0);
	ck_assert_uint_eq(f.rec.stale, 1);
}
END_TEST

/*
 * Around a rollover both connections deliver the same updates: ids not
 * newer than the last one are dropped until a newer one arrives. Outside
 * a rollover ids may go back (a restarted exchange starts over).
 */
START_TEST(test_rollover_duplicates)
{
	char older[512], newer[512];

	snprintf(older, sizeof(older), "%s", book1);
	memcpy(strstr(older, "5123107839020"), "5123107839019", 13);
	snprintf(newer, sizeof(newer), "%s", book1);
	memcpy(strstr(newer, "5123107839020"), "5123107839021", 13);
	ck_assert_int_eq(book(book1, T0), 1);
	mdf_rollover(&f);
	ck_assert_int_eq(book(book1, T0), 0);
	ck_assert_int_eq(book(older, T0), 0);
	ck_assert_uint_eq(f.st.dups, 2);
	ck_assert_uint_eq(f.rec.updates, 1);
	ck_assert_int_eq(book(newer, T0), 1);
	/* overlap over: an id going back is applied again */
	ck_assert_int_eq(book(older, T0), 1);
	ck_assert_uint_eq(f.rec.update_id, 5123107839019ULL);
	ck_assert_uint_eq(f.rec.updates, 3);
	ck_assert_uint_eq(f.st.dups, 2);
}
END_TEST

START_TEST(test_mark_price)
{
	ck_assert_int_eq(mark("{\"stream\":\"btcusdt@markPrice@1s\","
	    "\"data\":{\"e\":\"markPriceUpdate\",\"E\":1680652800010,\"s\":"
	    "\"BTCUSDT\",\"p\":\"28155.10000000\",\"P\":\"28141.4\",\"i\":"
	    "\"28165.0\",\"r\":\"0.00002760\",\"T\":1680652800000}}"), 1);
	ck_assert(f.rec.mark_price == 28155.1);
	ck_assert_uint_eq(f.st.marks, 1);
	ck_assert_int_eq(mark("{\"e\":\"markPriceUpdate\",\"E\":1,"
	    "\"s\":\"BTCUSDT\",\"p\":\"0\"}"), 0);
	ck_assert_int_eq(mark("{\"e\":\"markPriceUpdate\"}"), 0);
	ck_assert_int_eq(mark("{\"e\":\"markPriceUpdate\",\"E\":1,"
	    "\"s\":\"ETHUSDT\",\"p\":\"5\"}"), 0);
	ck_assert_uint_eq(f.st.other, 1);
	ck_assert_uint_eq(f.st.malformed, 2);
	ck_assert(f.rec.mark_price == 28155.1);
	/* the mark does not make a stale feed fresh */
	ck_assert_uint_eq(f.rec.stale, 1);
}
END_TEST

START_TEST(test_stale_cycle)
{
	ck_assert_int_eq(book(book1, T0), 1);
	ck_assert_int_eq(mdf_stale_deadline(&f), T0 + 5 * NS_PER_S);
	ck_assert_int_eq(mdf_check_stale(&f, T0 + 5 * NS_PER_S - 1), 0);
	ck_assert_uint_eq(f.rec.stale, 0);
	ck_assert_int_eq(mdf_check_stale(&f, T0 + 5 * NS_PER_S), 1);
	ck_assert_uint_eq(f.rec.stale, 1);
	ck_assert_int_eq(mdf_check_stale(&f, T0 + 9 * NS_PER_S), 0);
	ck_assert_uint_eq(f.st.went_stale, 1);
	ck_assert_int_eq(book(book1, T0 + 10 * NS_PER_S), 1);
	ck_assert_uint_eq(f.rec.stale, 0);
	/* reload: a shorter limit applies from the last update */
	mdf_set_stale_after(&f, 1);
	ck_assert_int_eq(mdf_check_stale(&f, T0 + 11 * NS_PER_S), 1);
}
END_TEST

START_TEST(test_restart_keeps_counters)
{
	struct shm_market prev;

	memset(&prev, 0, sizeof(prev));
	prev.bid = 5;
	prev.ask = 6;
	prev.mid = 5.5;
	prev.ws_reconnects = 4;
	prev.updates = 100;
	mdf_init(&f, "BTCUSDT", 5, &prev);
	ck_assert(f.rec.mid == 5.5);
	ck_assert_uint_eq(f.rec.stale, 1);	/* old prices, not live */
	ck_assert_uint_eq(f.rec.ws_reconnects, 4);
	ck_assert_int_eq(mdf_set_reconnects(&f, 0), 0);
	ck_assert_int_eq(mdf_set_reconnects(&f, 2), 1);
	ck_assert_uint_eq(f.rec.ws_reconnects, 6);
	ck_assert_int_eq(book(book1, T0), 1);
	ck_assert_uint_eq(f.rec.updates, 101);
}
END_TEST

/* The real recorded frames from the shared data, when it is there. */
START_TEST(test_real_examples)
{
	json_t *root, *j;
	char *s;

	if (access(EXAMPLES, R_OK) != 0) {
		fprintf(stderr, "SKIP: %s absent\n", EXAMPLES);
		return;
	}
	root = json_load_file(EXAMPLES, 0, NULL);
	ck_assert_ptr_nonnull(root);
	j = json_object_get(json_object_get(root,
	    "ws_bookTicker_real_recorded_combined"), "json");
	ck_assert_ptr_nonnull(s = json_dumps(j, JSON_COMPACT));
	ck_assert_int_eq(book(s, T0), 1);
	ck_assert(f.rec.bid == 61800.2 && f.rec.ask == 61800.3);
	free(s);
	j = json_object_get(json_object_get(root,
	    "ws_markPrice_real_recorded_combined"), "json");
	ck_assert_ptr_nonnull(s = json_dumps(j, JSON_COMPACT));
	ck_assert_int_eq(mdf_on_mark(&f, s, strlen(s), T0), 1);
	ck_assert(f.rec.mark_price > 0);
	free(s);
	json_decref(root);
}
END_TEST

static Suite *
mdfeed_suite(void)
{
	Suite *s = suite_create("mdfeed");
	TCase *tc = tcase_create("feed");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_book_fills_record_and_tick);
	tcase_add_test(tc, test_raw_frame);
	tcase_add_test(tc, test_malformed_dropped);
	tcase_add_test(tc, test_other_symbol_ignored);
	tcase_add_test(tc, test_rollover_duplicates);
	tcase_add_test(tc, test_mark_price);
	tcase_add_test(tc, test_stale_cycle);
	tcase_add_test(tc, test_restart_keeps_counters);
	tcase_add_test(tc, test_real_examples);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(mdfeed_suite());
}
