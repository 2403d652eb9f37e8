/*
 * check_bt_queue.c — the backtest's virtual clock (backtest/bt_queue.c)
 * and its latency model (backtest/bt_lat.c): events come out in time
 * order and, at one instant, in the order they were pushed; a channel
 * never lets a later message overtake an earlier one; a decision taken at
 * t reaches the book at t + entry and its answer the strategy at
 * t + entry + response; the recorded feed latency loses the recorder's
 * clock offset; a measured distribution is drawn from, seeded.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bt_lat.h"
#include "bt_queue.h"
#include "check_run.h"

#define MS	1000000LL

static void
push(struct bt_queue *q, int64_t t, int kind)
{
	struct bt_ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.t = t;
	ev.kind = kind;
	ck_assert_int_eq(btq_push(q, &ev), 0);
}

START_TEST(test_time_order)
{
	struct bt_queue q;
	struct bt_ev ev;
	struct rng r;
	int64_t last = INT64_MIN;
	int i, n = 0;

	btq_init(&q);
	rng_seed(&r, 42);
	for (i = 0; i < 10000; i++)
		push(&q, (int64_t)(rng_next(&r) % 1000), i);
	ck_assert_int_eq(btq_len(&q), 10000);
	while (btq_pop(&q, &ev)) {
		ck_assert(ev.t >= last);
		last = ev.t;
		n++;
	}
	ck_assert_int_eq(n, 10000);
	ck_assert_int_eq(btq_next(&q), INT64_MAX);
	btq_free(&q);
}
END_TEST

START_TEST(test_ties_in_push_order)
{
	struct bt_queue q;
	struct bt_ev ev;
	int i;

	btq_init(&q);
	push(&q, 5, 100);
	for (i = 0; i < 50; i++)
		push(&q, 3, i);
	push(&q, 1, 200);
	ck_assert_int_eq(btq_next(&q), 1);
	ck_assert(btq_pop(&q, &ev));
	ck_assert_int_eq(ev.kind, 200);
	for (i = 0; i < 50; i++) {
		ck_assert(btq_pop(&q, &ev));
		ck_assert_int_eq(ev.t, 3);
		ck_assert_int_eq(ev.kind, i);
	}
	ck_assert(btq_pop(&q, &ev));
	ck_assert_int_eq(ev.kind, 100);
	ck_assert(!btq_pop(&q, &ev));
	btq_free(&q);
}
END_TEST

/* One connection: a fast message sent after a slow one waits for it. */
START_TEST(test_channel_keeps_order)
{
	struct bt_chan c = { 0 };

	ck_assert_int_eq(btc_arrival(&c, 100, 50), 150);
	ck_assert_int_eq(btc_arrival(&c, 110, 10), 150);	/* not 120 */
	ck_assert_int_eq(btc_arrival(&c, 200, 10), 210);
	ck_assert_int_eq(btc_arrival(&c, 300, -5), 300);	/* never early */
}
END_TEST

/*
 * The round trip as the run schedules it: decide at t, push the request
 * for t + entry, there push the answer for (t + entry) + response. A
 * market event pushed meanwhile for a time in between comes out between.
 */
START_TEST(test_round_trip)
{
	struct bt_lat_opts o;
	struct bt_lat l;
	struct bt_queue q;
	struct bt_ev ev;
	char err[256];
	int64_t t = 1000 * MS, entry, resp;

	bt_lat_defaults(&o);
	ck_assert_int_eq(bt_lat_parse(&o, "entry=5,response=7", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), 0);
	btq_init(&q);
	entry = bt_lat_entry(&l);
	ck_assert_int_eq(entry, 5 * MS);
	push(&q, t + entry, 1);			/* the request */
	push(&q, t + 6 * MS, 2);		/* a tick on its way */
	ck_assert(btq_pop(&q, &ev));
	ck_assert_int_eq(ev.kind, 1);
	ck_assert_int_eq(ev.t, t + 5 * MS);	/* at the book */
	resp = bt_lat_response(&l);
	push(&q, ev.t + resp, 3);		/* the answer */
	ck_assert(btq_pop(&q, &ev));
	ck_assert_int_eq(ev.kind, 2);
	ck_assert(btq_pop(&q, &ev));
	ck_assert_int_eq(ev.kind, 3);
	ck_assert_int_eq(ev.t, t + 12 * MS);	/* at the strategy */
	btq_free(&q);
	bt_lat_free(&l);
}
END_TEST

START_TEST(test_parse)
{
	struct bt_lat_opts o;
	char err[256];

	bt_lat_defaults(&o);
	ck_assert_int_eq(bt_lat_parse(&o, "feed=2.5", err, sizeof(err)), 0);
	ck_assert(!o.feed_recorded);
	ck_assert(o.feed_ms == 2.5);
	ck_assert_int_eq(bt_lat_parse(&o, "feed=recorded,entry=0", err,
	    sizeof(err)), 0);
	ck_assert(o.feed_recorded);
	ck_assert(o.entry_ms == 0);
	ck_assert_int_eq(bt_lat_parse(&o, "entry=-1", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "entry=MS"));
	ck_assert_int_eq(bt_lat_parse(&o, "wire=3", err, sizeof(err)), -1);
	ck_assert_int_eq(bt_lat_parse(&o, "entry=1e9", err, sizeof(err)), -1);
	ck_assert_int_eq(bt_lat_parse(&o, "entry", err, sizeof(err)), -1);
}
END_TEST

/* recv - E with the recorder's clock 1.27 s behind: the offset goes, the
 * differences stay, and the smallest so far is the reference. */
START_TEST(test_feed_recorded)
{
	struct bt_lat_opts o;
	struct bt_lat l;
	char err[64];
	int64_t e = 1723161256299LL;

	bt_lat_defaults(&o);
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), 0);
	/* recv = E - 1270 ms + 3 ms */
	ck_assert_int_eq(bt_lat_feed(&l, (e - 1267) * MS, e), 0);
	ck_assert_int_eq(bt_lat_feed(&l, (e + 10 - 1262) * MS, e + 10),
	    5 * MS);
	/* a faster line lowers the reference from then on */
	ck_assert_int_eq(bt_lat_feed(&l, (e + 20 - 1268) * MS, e + 20), 0);
	ck_assert_int_eq(bt_lat_feed(&l, (e + 30 - 1262) * MS, e + 30),
	    6 * MS);
	/* no recorded times: the constant */
	ck_assert_int_eq(bt_lat_feed(&l, 0, 0), 1 * MS);
	bt_lat_free(&l);
}
END_TEST

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

START_TEST(test_distribution_file)
{
	struct bt_lat_opts o;
	struct bt_lat l, l2;
	char path[] = "/tmp/check_bt_lat.XXXXXX", err[512];
	int fd = mkstemp(path), i;
	int64_t e, r, seen3 = 0, seen9 = 0;

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(path, "# entry response\n3 4\n\n9 10  # slow\n");
	bt_lat_defaults(&o);
	snprintf(o.file, sizeof(o.file), "%s", path);
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(bt_lat_init(&l2, &o, err, sizeof(err)), 0);
	for (i = 0; i < 200; i++) {
		e = bt_lat_entry(&l);
		r = bt_lat_response(&l);
		ck_assert(e == 3 * MS || e == 9 * MS);
		ck_assert(r == 4 * MS || r == 10 * MS);
		seen3 += e == 3 * MS;
		seen9 += e == 9 * MS;
		/* the same seed draws the same sequence */
		ck_assert_int_eq(bt_lat_entry(&l2), e);
		ck_assert_int_eq(bt_lat_response(&l2), r);
	}
	ck_assert(seen3 > 50 && seen9 > 50);
	bt_lat_free(&l);
	bt_lat_free(&l2);
	/* a round trip alone is half each way */
	write_file(path, "8\n");
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(bt_lat_entry(&l), 4 * MS);
	ck_assert_int_eq(bt_lat_response(&l), 4 * MS);
	bt_lat_free(&l);
	/* a bad line is named */
	write_file(path, "1 2\n3 x\n");
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":2:"));
	/* the live logger's CSV: its order_rtt_ms samples, half each way */
	write_file(path, "timestamp,instance_id,env,metric_name,value,unit,"
	    "symbol,side,level,sub_type,details\n"
	    "2026-01-01T00:00:00.000+00:00,a,sim,order_rtt_ms,6,ms,BTCUSDT,,,,"
	    "last REST round trip\n"
	    "2026-01-01T00:00:00.000+00:00,a,sim,fill,0.002,BTC,BTCUSDT,BUY,1,"
	    "maker,\"price=1, fee=2\"\n"
	    "2026-01-01T00:00:01.000+00:00,a,sim,order_rtt_ms,,ms,BTCUSDT,,,,"
	    "no data yet\n");
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(bt_lat_entry(&l), 3 * MS);
	ck_assert_int_eq(bt_lat_response(&l), 3 * MS);
	bt_lat_free(&l);
	write_file(path, "# nothing\n");
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no latencies"));
	unlink(path);
	ck_assert_int_eq(bt_lat_init(&l, &o, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bt_queue");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_time_order);
	tcase_add_test(tc, test_ties_in_push_order);
	tcase_add_test(tc, test_channel_keeps_order);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_feed_recorded);
	tcase_add_test(tc, test_distribution_file);
	suite_add_tcase(s, tc);
	return check_run(s);
}
