/*
 * check_mkt_bin.c — the binary form of a recording (sim/mkt_bin.c) and
 * the replay's reading of it (sim/mkt_replay.c): a converted file
 * delivers exactly the events, times and ids its gzip source does; a
 * damaged one (truncated, a bad record) is refused naming the record; a
 * gzip file cut short fails the replay instead of ending the market;
 * recordings in a row share one timeline; the recorded receive and
 * exchange times reach the sink's caller.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "bt_convert.h"
#include "check_run.h"
#include "log.h"
#include "sim_int.h"

#define T0	1723161255030314667LL

/* What a sink saw, flattened so two replays compare with memcmp. */
struct seen {
	int	 type;
	int64_t	 t, a, b, c, d, e;
	int64_t	 recv, E;
	int64_t	 lv[8];
};

struct rec {
	struct replay	*r;
	struct seen	 ev[64];
	int		 n;
};

static void
seen_times(struct rec *x, struct seen *s)
{
	replay_line_times(x->r, &s->recv, &s->E);
}

static void
k_bt(void *arg, int sym, int64_t t, int64_t u, int64_t bid, int64_t bidq,
    int64_t ask, int64_t askq, const char *raw, size_t len)
{
	struct rec *x = arg;
	struct seen *s = &x->ev[x->n++];

	(void)sym; (void)raw; (void)len;
	memset(s, 0, sizeof(*s));
	*s = (struct seen){ 1, t, u, bid, bidq, ask, askq, 0, 0, { 0 } };
	seen_times(x, s);
}

static void
k_trade(void *arg, int sym, int64_t t, int64_t id, int64_t px, int64_t lots,
    bool bm, const char *raw, size_t len)
{
	struct rec *x = arg;
	struct seen *s = &x->ev[x->n++];

	(void)sym; (void)raw; (void)len;
	memset(s, 0, sizeof(*s));
	*s = (struct seen){ 2, t, id, px, lots, bm, 0, 0, 0, { 0 } };
	seen_times(x, s);
}

static void
k_depth(void *arg, int sym, int64_t t, int64_t U, int64_t u, int64_t pu,
    const struct ext_level *b, int nb, const struct ext_level *a, int na,
    bool snap, const char *raw, size_t len)
{
	struct rec *x = arg;
	struct seen *s = &x->ev[x->n++];
	int i, k = 0;

	(void)sym; (void)raw; (void)len;
	memset(s, 0, sizeof(*s));
	*s = (struct seen){ snap ? 4 : 3, t, U, u, pu, nb, na, 0, 0, { 0 } };
	for (i = 0; i < nb && k < 8; i++) {
		s->lv[k++] = b[i].px;
		s->lv[k++] = b[i].qty;
	}
	for (i = 0; i < na && k < 8; i++) {
		s->lv[k++] = a[i].px;
		s->lv[k++] = a[i].qty;
	}
	seen_times(x, s);
}

static void
k_mark(void *arg, int sym, int64_t t, double p, double i, double P, double r,
    int64_t T, const char *raw, size_t len)
{
	struct rec *x = arg;
	struct seen *s = &x->ev[x->n++];

	(void)sym; (void)raw; (void)len;
	memset(s, 0, sizeof(*s));
	/* the doubles as micro-units: exact for these values */
	*s = (struct seen){ 5, t, (int64_t)(p * 1e6), (int64_t)(i * 1e6),
	    (int64_t)(P * 1e6), (int64_t)(r * 1e9), T, 0, 0, { 0 } };
	seen_times(x, s);
}

static const char *lines[] = {
	"1723161255030314667 {\"stream\":\"btcusdt@depth@0ms\",\"data\":"
	"{\"e\":\"depthUpdate\",\"E\":1723161256299,\"T\":1723161256298,"
	"\"s\":\"BTCUSDT\",\"U\":10,\"u\":12,\"pu\":9,\"b\":[[\"60000.10\","
	"\"1.000\"],[\"59999.00\",\"0.500\"]],\"a\":[[\"60001.00\",\"2.000\"],"
	"[\"60002.00\",\"0.000\"]]}}",
	"1723161255130314667 {\"stream\":\"btcusdt@bookTicker\",\"data\":"
	"{\"e\":\"bookTicker\",\"u\":13,\"s\":\"BTCUSDT\",\"b\":\"60000.10\","
	"\"B\":\"1.000\",\"a\":\"60000.20\",\"A\":\"0.300\",\"T\":"
	"1723161256399,\"E\":1723161256400}}",
	"1723161255230314667 {\"stream\":\"btcusdt@trade\",\"data\":"
	"{\"e\":\"trade\",\"E\":1723161256500,\"T\":1723161256499,\"s\":"
	"\"BTCUSDT\",\"t\":77,\"p\":\"60000.20\",\"q\":\"0.010\",\"X\":"
	"\"MARKET\",\"m\":true}}",
	"1723161255330314667 {\"lastUpdateId\":11,\"E\":1723161256600,"
	"\"bids\":[[\"59990.00\",\"3.000\"]],\"asks\":[[\"60010.00\","
	"\"4.000\"]]}",
	"1723161255380314667 {\"stream\":\"btcusdt@markPrice@1s\",\"data\":"
	"{\"e\":\"markPriceUpdate\",\"E\":1723161256650,\"s\":\"BTCUSDT\","
	"\"p\":\"60000.15\",\"i\":\"60001.00\",\"P\":\"60002.00\",\"r\":"
	"\"-0.00010000\",\"T\":1723190400000}}",
	"1723161255430314667 {\"stream\":\"btcusdt@bookTicker\",\"data\":"
	"{\"e\":\"bookTicker\",\"u\":14,\"s\":\"BTCUSDT\",\"b\":\"60000.00\","
	"\"B\":\"2.000\",\"a\":\"60000.30\",\"A\":\"0.100\",\"T\":"
	"1723161256699,\"E\":1723161256700}}",
};
#define NLINES	(int)(sizeof(lines) / sizeof(lines[0]))

static void
write_gz(const char *path, int copies)
{
	gzFile gz = gzopen(path, "wb");
	int i, c;

	ck_assert_ptr_nonnull(gz);
	for (c = 0; c < copies; c++)
		for (i = 0; i < NLINES; i++) {
			gzputs(gz, lines[i]);
			gzputs(gz, "\n");
		}
	gzclose(gz);
}

static struct replay *
open_replay(const char *path, struct exch_opts *o)
{
	exch_opts_default(o);
	snprintf(o->replay.path, sizeof(o->replay.path), "%s", path);
	o->replay.speed = 1;
	return replay_open(&o->replay, o->symbols, o->nsymbols, 5000);
}

static void
play(const char *path, struct rec *x)
{
	struct exch_opts o;
	struct mkt_sink k = { x, k_bt, k_trade, k_depth, k_mark };

	memset(x, 0, sizeof(*x));
	x->r = open_replay(path, &o);
	ck_assert_ptr_nonnull(x->r);
	while (replay_step(x->r, &k) == 0)
		;
	ck_assert(replay_done(x->r));
	replay_close(x->r);
}

static char gzp[64], binp[80];

static void
setup(void)
{
	int fd;

	log_init("check_mkt_bin", LOG_LVL_ERROR);
	snprintf(gzp, sizeof(gzp), "/tmp/check_mkt_bin.XXXXXX");
	fd = mkstemp(gzp);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(binp, sizeof(binp), "%s.bin", gzp);
	write_gz(gzp, 1);
}

static void
teardown(void)
{
	unlink(gzp);
	unlink(binp);
}

START_TEST(test_same_events)
{
	struct bt_convert_stats st;
	struct rec a, b;
	char err[512];
	int i;

	ck_assert_int_eq(bt_convert(gzp, binp, &st, err, sizeof(err)), 0);
	ck_assert_int_eq(st.lines, NLINES);
	ck_assert_int_eq(st.events, NLINES);
	/* 6 event records, 1 + 1 level records after the two depths */
	ck_assert_int_eq(st.records, 8);
	ck_assert(mkb_is_binary(binp));
	ck_assert(!mkb_is_binary(gzp));
	play(gzp, &a);
	play(binp, &b);
	ck_assert_int_eq(a.n, NLINES);
	ck_assert_int_eq(b.n, a.n);
	for (i = 0; i < a.n; i++)
		ck_assert_msg(memcmp(&a.ev[i], &b.ev[i], sizeof(a.ev[i])) == 0,
		    "event %d differs", i);
	/* the timeline starts at the replay's start, spacing kept */
	ck_assert_int_eq(a.ev[0].t, 5000);
	ck_assert_int_eq(a.ev[1].t, 5000 + 100000000);
	/* the recorded clocks: receive ns and the exchange's E */
	ck_assert_int_eq(a.ev[0].recv, T0);
	ck_assert_int_eq(a.ev[0].E, 1723161256299LL);
	ck_assert_int_eq(a.ev[2].E, 1723161256500LL);
	ck_assert_int_eq(a.ev[2].d, 1);		/* buyer maker */
	ck_assert_int_eq(a.ev[3].type, 4);	/* snapshot */
	ck_assert_int_eq(a.ev[0].lv[0], 600001);	/* 60000.10 in ticks */
	ck_assert_int_eq(a.ev[0].lv[1], 1000);		/* 1.000 in lots */
	ck_assert_int_eq(a.ev[4].type, 5);	/* markPrice, funding rate */
	ck_assert_int_eq(a.ev[4].d, -100000);
	ck_assert_int_eq(a.ev[4].c, 60002000000LL);
	ck_assert_int_eq(a.ev[4].e, 1723190400000LL);
}
END_TEST

START_TEST(test_damaged_binary)
{
	struct bt_convert_stats st;
	struct exch_opts o;
	struct rec x;
	struct mkt_sink k = { &x, k_bt, k_trade, k_depth, k_mark };
	char err[512];
	FILE *fp;
	long len;
	int rc;

	ck_assert_int_eq(bt_convert(gzp, binp, &st, err, sizeof(err)), 0);
	/* a bad type in the third record (the trade, after depth+levels) */
	fp = fopen(binp, "r+b");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, MKB_HEADER_SIZE + 3 * MKB_REC_SIZE + 16, SEEK_SET);
	fputc(9, fp);
	fclose(fp);
	memset(&x, 0, sizeof(x));
	x.r = open_replay(binp, &o);
	ck_assert_ptr_nonnull(x.r);
	while ((rc = replay_step(x.r, &k)) == 0)
		;
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(x.n, 2);	/* what came before it */
	/* said once: then the market has ended (a server does not spin) */
	ck_assert(replay_done(x.r));
	ck_assert_int_eq(replay_step(x.r, &k), 1);
	replay_close(x.r);
	/* truncated: refused at open */
	ck_assert_int_eq(bt_convert(gzp, binp, &st, err, sizeof(err)), 0);
	fp = fopen(binp, "rb");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fclose(fp);
	ck_assert_int_eq(truncate(binp, len - 10), 0);
	ck_assert_ptr_null(open_replay(binp, &o));
}
END_TEST

/* A gzip cut short fails the replay: the market does not just end. */
START_TEST(test_truncated_gzip)
{
	struct bt_convert_stats st;
	struct exch_opts o;
	struct rec x;
	struct mkt_sink k = { &x, k_bt, k_trade, k_depth, k_mark };
	char err[512];
	FILE *fp;
	long len;
	int rc;

	write_gz(gzp, 12);
	fp = fopen(gzp, "rb");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fclose(fp);
	ck_assert_int_eq(truncate(gzp, len - 30), 0);
	memset(&x, 0, sizeof(x));
	x.r = open_replay(gzp, &o);
	ck_assert_ptr_nonnull(x.r);
	while ((rc = replay_step(x.r, &k)) == 0 && x.n < 60)
		;
	ck_assert_int_eq(rc, -1);
	replay_close(x.r);
	/* convert refuses it too, and leaves nothing behind */
	ck_assert_int_eq(bt_convert(gzp, binp, &st, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, gzp));
	ck_assert_int_eq(access(binp, F_OK), -1);
}
END_TEST

/* Two recordings in a row: one timeline, never going back. */
START_TEST(test_chain)
{
	struct exch_opts o;
	struct rec x;
	struct mkt_sink k = { &x, k_bt, k_trade, k_depth, k_mark };
	struct bt_convert_stats st;
	char err[512];
	int i;

	ck_assert_int_eq(bt_convert(gzp, binp, &st, err, sizeof(err)), 0);
	memset(&x, 0, sizeof(x));
	x.r = open_replay(gzp, &o);
	while (replay_step(x.r, &k) == 0)
		;
	ck_assert(replay_done(x.r));
	/* the same file again: it was recorded before what was played */
	ck_assert_int_eq(replay_chain(x.r, binp), 0);
	ck_assert(!replay_done(x.r));
	while (replay_step(x.r, &k) == 0)
		;
	ck_assert_int_eq(x.n, 2 * NLINES);
	for (i = 1; i < x.n; i++)
		ck_assert(x.ev[i].t > x.ev[i - 1].t);
	/* spacing inside the second file is its own */
	ck_assert_int_eq(x.ev[NLINES + 1].t - x.ev[NLINES].t, 100000000);
	ck_assert_int_eq(replay_chain(x.r, "/nonexistent.gz"), -1);
	replay_close(x.r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mkt_bin");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_same_events);
	tcase_add_test(tc, test_damaged_binary);
	tcase_add_test(tc, test_truncated_gzip);
	tcase_add_test(tc, test_chain);
	suite_add_tcase(s, tc);
	return check_run(s);
}
