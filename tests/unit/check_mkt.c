/*
 * check_mkt.c — the market sources: the synthetic market is reproducible
 * from its seed, internally consistent (depth U/u/pu chain, book rebuilt
 * from diffs equals bookTicker) and calibrated; a bot quoting the default
 * ladder sees fills within the first minute; the replay of the real
 * recording keeps Binance's depth id chain; replay timing, speed, loop
 * and malformed lines. Everything runs on a fake clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "sim_fixture.h"
#include "check_run.h"

#define SEC	1000000000LL

/* ------------------------------------------------------------------ */
/* a market-only observer                                              */

struct obs {
	int64_t	now;
	uint64_t hash;			/* FNV over the event sequence */
	long	nbt, ntr, nagg, ndepth, nmark;
	int64_t	last_u, last_bt_u;
	bool	chain_ok, ticker_ok;
	long	chain_breaks;
	/* book rebuilt from the diffs, BTCUSDT only */
	struct ext_book rebuilt;
	double	bt_b, bt_B, bt_a, bt_A;
	bool	have_bt;
	long	rebuilt_checks, rebuilt_bad;
	double	first_mid, last_mid;
	long	raw_events;
	bool	rebuild;		/* keep the rebuilt book (synthetic) */
};

static int64_t
obs_clock(void *arg)
{
	return ((struct obs *)arg)->now;
}

static void
mix(struct obs *o, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		o->hash ^= *c++;
		o->hash *= 1099511628211ULL;
	}
}

static void
obs_market(void *arg, const struct exch_mkt_event *ev)
{
	struct obs *o = arg;
	int i;

	mix(o, &ev->type, sizeof(ev->type));
	mix(o, &ev->sym, sizeof(ev->sym));
	mix(o, &ev->E_ms, sizeof(ev->E_ms));
	if (ev->raw != NULL)
		o->raw_events++;
	if (ev->sym != 0)
		return;
	switch (ev->type) {
	case EXCH_EV_BOOK_TICKER:
		o->nbt++;
		mix(o, &ev->bt, sizeof(ev->bt));
		if (ev->bt.b >= ev->bt.a || ev->bt.u < o->last_bt_u)
			o->ticker_ok = false;
		o->last_bt_u = ev->bt.u;
		o->bt_b = ev->bt.b;
		o->bt_B = ev->bt.B;
		o->bt_a = ev->bt.a;
		o->bt_A = ev->bt.A;
		o->have_bt = true;
		o->last_mid = (ev->bt.b + ev->bt.a) / 2;
		if (o->first_mid == 0)
			o->first_mid = o->last_mid;
		break;
	case EXCH_EV_TRADE:
		o->ntr++;
		mix(o, &ev->trade, sizeof(ev->trade));
		break;
	case EXCH_EV_AGG_TRADE:
		o->nagg++;
		break;
	case EXCH_EV_MARK_PRICE:
		o->nmark++;
		mix(o, &ev->mark.p, sizeof(ev->mark.p));
		break;
	case EXCH_EV_DEPTH:
		o->ndepth++;
		mix(o, &ev->depth.U, 3 * sizeof(int64_t));
		if (o->last_u != 0 && ev->depth.pu != o->last_u) {
			o->chain_ok = false;
			o->chain_breaks++;
		}
		if (ev->depth.U > ev->depth.u)
			o->chain_ok = false;
		o->last_u = ev->depth.u;
		if (!o->rebuild)
			break;
		for (i = 0; i < ev->depth.nb; i++)
			ext_set(&o->rebuilt, BK_BID, llround(ev->depth.b[i].price * 10),
			    llround(ev->depth.b[i].qty * 1000));
		for (i = 0; i < ev->depth.na; i++)
			ext_set(&o->rebuilt, BK_ASK, llround(ev->depth.a[i].price * 10),
			    llround(ev->depth.a[i].qty * 1000));
		break;
	}
}

static struct exch *
synth_engine(struct obs *o, uint64_t seed, double vol)
{
	struct exch_opts opts;
	struct exch_cb cb = { obs_market, NULL, o };

	memset(o, 0, sizeof(*o));
	o->hash = 1469598103934665603ULL;
	o->now = T0_NS;
	o->chain_ok = o->ticker_ok = true;
	o->rebuild = true;
	ext_init(&o->rebuilt);
	exch_opts_default(&opts);
	opts.synth.seed = seed;
	if (vol > 0)
		opts.synth.vol_mult = vol;
	opts.clock = obs_clock;
	opts.clock_arg = o;
	return exch_new(&opts, &cb);
}

static void
run(struct exch *ex, struct obs *o, double secs)
{
	int64_t end = o->now + (int64_t)(secs * SEC);

	while (o->now < end) {
		o->now += 100 * 1000000LL;
		ck_assert_int_ge(exch_step(ex, o->now), 0);
	}
}

/* ------------------------------------------------------------------ */
/* synthetic                                                           */

START_TEST(test_synth_reproducible)
{
	struct obs a, b, c;
	struct exch *ea = synth_engine(&a, 42, 0);
	struct exch *eb = synth_engine(&b, 42, 0);
	struct exch *ec = synth_engine(&c, 43, 0);

	ck_assert_ptr_nonnull(ea);
	run(ea, &a, 60);
	run(eb, &b, 60);
	run(ec, &c, 60);
	ck_assert_int_gt(a.nbt, 1000);
	ck_assert_int_eq(a.nbt, b.nbt);
	ck_assert_int_eq(a.ntr, b.ntr);
	ck_assert_uint_eq(a.hash, b.hash);
	ck_assert_uint_ne(a.hash, c.hash);
	/* both symbols are generated, independently */
	{
		struct exch_top t;

		ck_assert_int_eq(exch_book_top(ea, 1, &t), 0);
		ck_assert(t.bid > 2000 && t.bid < 3200);	/* ETHUSDT ~2600 */
	}
	exch_free(ea);
	exch_free(eb);
	exch_free(ec);
	ext_free(&a.rebuilt);
	ext_free(&b.rebuilt);
	ext_free(&c.rebuilt);
}
END_TEST

/* Stepping in small or big increments gives the same market. */
START_TEST(test_synth_step_independent)
{
	struct obs a, b;
	struct exch *ea = synth_engine(&a, 5, 0);
	struct exch *eb = synth_engine(&b, 5, 0);
	int i;

	run(ea, &a, 30);
	for (i = 0; i < 3; i++) {
		b.now += 10 * SEC;
		exch_step(eb, b.now);
	}
	ck_assert_uint_eq(a.hash, b.hash);
	exch_free(ea);
	exch_free(eb);
	ext_free(&a.rebuilt);
	ext_free(&b.rebuilt);
}
END_TEST

/* After a long stall the market skips ahead instead of bursting. */
START_TEST(test_synth_stall)
{
	struct obs o;
	struct exch *ex = synth_engine(&o, 9, 0);
	long before;

	run(ex, &o, 2);
	before = o.nbt;
	o.now += 120 * SEC;
	ck_assert_int_ge(exch_step(ex, o.now), 0);
	ck_assert_int_lt(o.nbt - before, 50);
	run(ex, &o, 2);
	ck_assert_int_gt(o.nbt - before, 200);	/* and goes on normally */
	ck_assert(o.chain_ok);
	exch_free(ex);
	ext_free(&o.rebuilt);
}
END_TEST

/*
 * A client that rebuilds the book from the diffs agrees with bookTicker
 * at every diff, the U/u/pu chain has no gap, the book never crosses.
 */
START_TEST(test_synth_consistent)
{
	struct obs o;
	struct exch *ex = synth_engine(&o, 7, 0);
	int64_t end = o.now + 120 * SEC;

	while (o.now < end) {
		int64_t b, bq, a, aq;

		o.now += 100 * 1000000LL;	/* = the depth interval */
		exch_step(ex, o.now);
		if (!o.have_bt || !ext_best(&o.rebuilt, BK_BID, &b, &bq) ||
		    !ext_best(&o.rebuilt, BK_ASK, &a, &aq))
			continue;
		o.rebuilt_checks++;
		if (b != llround(o.bt_b * 10) || a != llround(o.bt_a * 10) ||
		    bq != llround(o.bt_B * 1000) || aq != llround(o.bt_A * 1000))
			o.rebuilt_bad++;
	}
	ck_assert(o.chain_ok);
	ck_assert(o.ticker_ok);
	ck_assert_int_gt(o.ndepth, 1000);
	ck_assert_int_gt(o.rebuilt_checks, 1000);
	ck_assert_int_eq(o.rebuilt_bad, 0);
	/* bookTicker u is never behind the depth stream */
	ck_assert_int_ge(o.last_bt_u, o.last_u);
	ck_assert_int_eq(o.nagg, o.ntr);
	ck_assert_int_ge(o.nmark, 119);
	exch_free(ex);
	ext_free(&o.rebuilt);
}
END_TEST

/* The calibrated figures hold (one seed, so these are exact properties of
 * the generator; bench_synth prints the full comparison). */
START_TEST(test_synth_calibrated)
{
	struct obs o;
	struct exch *ex = synth_engine(&o, 1, 1.0);
	double secs = 1800;

	run(ex, &o, secs);
	ck_assert_msg(o.nbt / secs > 170 && o.nbt / secs < 215,
	    "bookTicker %.1f/s", o.nbt / secs);
	ck_assert_msg(o.ntr / secs > 50 && o.ntr / secs < 75, "trades %.1f/s",
	    o.ntr / secs);
	/* the price wanders but stays near where it started */
	ck_assert(fabs(o.last_mid / o.first_mid - 1) < 0.05);
	exch_free(ex);
	ext_free(&o.rebuilt);
}
END_TEST

/* ------------------------------------------------------------------ */
/* a newcomer's first minute                                           */

struct bot {
	int64_t	now;
	int	fills;
	int64_t	first_fill_ns;
};

static int64_t
bot_clock(void *arg)
{
	return ((struct bot *)arg)->now;
}

static void
bot_user(void *arg, const struct exch_user_event *ev)
{
	struct bot *b = arg;

	if (ev->type == EXCH_EV_ORDER_UPDATE && ev->ou.x == EXCH_X_TRADE) {
		if (b->fills++ == 0)
			b->first_fill_ns = b->now;
	}
}

/*
 * The default config: 3 levels each side at 0.01 % steps from the mid,
 * 150 USDT each, replaced every 5 s, on the default synthetic market.
 * Returns seconds to the first fill (or 999).
 */
static double
first_fill(uint64_t seed, int *fills_in_60s)
{
	struct bot b = { T0_NS, 0, 0 };
	struct exch_cb cb = { NULL, bot_user, &b };
	struct exch_opts o;
	struct exch *ex;
	struct exch_account *a;
	struct exch_err e;
	int t, lv;

	exch_opts_default(&o);
	o.synth.seed = seed;
	o.clock = bot_clock;
	o.clock_arg = &b;
	exch_opts_add_account(&o, "bot", "s", 5000);
	ex = exch_new(&o, &cb);
	ck_assert_ptr_nonnull(ex);
	a = exch_account_by_key(ex, "bot");
	for (t = 0; t < 600; t++) {		/* 100 ms steps, 60 s */
		b.now += 100 * 1000000LL;
		exch_step(ex, b.now);
		if (t % 50 == 0) {
			struct exch_top top;
			double mid;

			exch_order_cancel_all(ex, a, "BTCUSDT", &e);
			ck_assert_int_eq(exch_book_top(ex, 0, &top), 0);
			mid = (top.bid + top.ask) / 2;
			for (lv = 1; lv <= 3; lv++) {
				struct exch_order_req r;
				struct exch_order out;

				memset(&r, 0, sizeof(r));
				r.symbol = "BTCUSDT";
				r.type = EXCH_LIMIT;
				r.tif = EXCH_GTC;
				r.tif_set = true;
				r.quantity = 0.003;
				r.side = EXCH_BUY;
				r.price = floor(mid * (1 - lv * 0.0001) * 10) / 10;
				exch_order_place(ex, a, &r, &out, &e);
				r.side = EXCH_SELL;
				r.price = ceil(mid * (1 + lv * 0.0001) * 10) / 10;
				exch_order_place(ex, a, &r, &out, &e);
			}
		}
	}
	*fills_in_60s = b.fills;
	exch_free(ex);
	return b.fills > 0 ? (double)(b.first_fill_ns - T0_NS) / SEC : 999;
}

START_TEST(test_newcomer_sees_fills)
{
	int seed, fills, total = 0;

	for (seed = 1; seed <= 5; seed++) {
		double t = first_fill((uint64_t)seed, &fills);

		ck_assert_msg(t < 60, "seed %d: first fill after %.1f s", seed, t);
		total += fills;
	}
	/* several fills a minute, not one lucky one */
	ck_assert_int_ge(total, 5 * 3);
}
END_TEST

/* exch_synth_set_mid moves the market at once and fills what it crosses. */
START_TEST(test_set_mid)
{
	struct obs o;
	struct exch *ex = synth_engine(&o, 3, 0);
	struct exch_account *a = exch_account_add(ex, "k", "s", 100000);
	struct exch_order_req r;
	struct exch_order out;
	struct exch_err e;
	struct exch_top t;

	run(ex, &o, 1);
	memset(&r, 0, sizeof(r));
	r.symbol = "BTCUSDT";
	r.side = EXCH_SELL;
	r.type = EXCH_LIMIT;
	r.tif = EXCH_GTC;
	r.tif_set = true;
	r.quantity = 0.01;
	exch_book_top(ex, 0, &t);
	r.price = floor(t.ask) + 50;
	ck_assert_int_eq(exch_order_place(ex, a, &r, &out, &e), 0);
	ck_assert_int_eq(out.status, EXCH_ST_NEW);
	ck_assert_int_eq(exch_synth_set_mid(ex, 0, r.price + 100), 0);
	ck_assert_int_eq(exch_book_top(ex, 0, &t), 0);
	ck_assert_near(t.bid, r.price + 100, 1e-6);
	ck_assert_int_eq(exch_order_query(ex, a, "BTCUSDT", out.order_id, NULL,
	    &out, &e), 0);
	ck_assert_int_eq(out.status, EXCH_ST_FILLED);
	/* the generator goes on from there */
	run(ex, &o, 5);
	exch_book_top(ex, 0, &t);
	ck_assert(fabs(t.bid - (r.price + 100)) < 200);
	ck_assert(o.chain_ok);
	exch_free(ex);
	ext_free(&o.rebuilt);
}
END_TEST

/* ------------------------------------------------------------------ */
/* replay                                                              */

static struct exch *
replay_engine(struct obs *o, const char *path, double speed, bool loop)
{
	struct exch_opts opts;
	struct exch_cb cb = { obs_market, NULL, o };

	memset(o, 0, sizeof(*o));
	o->now = T0_NS;
	o->chain_ok = o->ticker_ok = true;
	ext_init(&o->rebuilt);
	exch_opts_default(&opts);
	opts.market = EXCH_MKT_REPLAY;
	snprintf(opts.replay.path, sizeof(opts.replay.path), "%s", path);
	opts.replay.speed = speed;
	opts.replay.loop = loop;
	opts.clock = obs_clock;
	opts.clock_arg = o;
	return exch_new(&opts, &cb);
}

START_TEST(test_replay_real_file)
{
	const char *path = PMM_SHARED_DATA "/btcusdt_20240808.gz";
	struct obs o;
	struct exch *ex;
	struct exch_level b[20], a[20];
	struct exch_top t;
	int nb, na, steps = 0;
	int64_t luid;
	uint64_t lines, bad;

	if (access(path, R_OK) != 0) {
		fprintf(stderr, "check_mkt: %s absent, real replay test skipped\n",
		    path);
		return;
	}
	ex = replay_engine(&o, path, 0, false);
	ck_assert_ptr_nonnull(ex);
	while (!exch_market_done(ex) && steps++ < 1000000) {
		ck_assert_int_eq(exch_next_due_ns(ex), 0);	/* max speed */
		ck_assert_int_ge(exch_step(ex, o.now), 0);
	}
	ck_assert(exch_market_done(ex));
	/* batches of max_batch lines per call */
	ck_assert_int_ge(steps, 93954 / 1024);
	ck_assert_int_eq(o.nbt, 66089);
	ck_assert_int_eq(o.ntr, 21313);
	ck_assert_int_eq(o.ndepth, 6551);
	ck_assert_int_eq(o.raw_events, 66089 + 21313 + 6551);
	/* the recorded diff stream is gap-free; we kept its ids */
	ck_assert_msg(o.chain_ok, "%ld breaks in the depth chain", o.chain_breaks);
	ck_assert(o.ticker_ok);
	ck_assert_int_eq(exch_depth(ex, 0, 20, b, &nb, a, &na, &luid), 0);
	ck_assert_int_eq(luid, o.last_u);
	ck_assert_int_eq(nb, 20);
	ck_assert(b[0].price < a[0].price);
	ck_assert_int_eq(exch_book_top(ex, 0, &t), 0);
	ck_assert_near(t.bid, o.bt_b, 1e-9);
	ck_assert(t.bid < t.ask);
	/* marks on the recording's own timeline: one a second, 345 s */
	ck_assert_int_ge(o.nmark, 340);
	ck_assert_int_le(o.nmark, 350);
	{
		struct exch_mark m;

		ck_assert_int_eq(exch_mark_get(ex, 0, &m), 0);
		ck_assert(m.mark > 50000 && m.mark < 70000);
	}
	(void)lines;
	(void)bad;
	exch_free(ex);
	ext_free(&o.rebuilt);
}
END_TEST

static char tmpl[64];

static const char *
write_file(const char *const *lines, int n, bool gz)
{
	int fd, i;

	snprintf(tmpl, sizeof(tmpl), "/tmp/check_mkt_XXXXXX");
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	if (gz) {
		gzFile g = gzdopen(fd, "wb");

		for (i = 0; i < n; i++)
			gzprintf(g, "%s\n", lines[i]);
		gzclose(g);
	} else {
		FILE *fp = fdopen(fd, "w");

		for (i = 0; i < n; i++)
			fprintf(fp, "%s\n", lines[i]);
		fclose(fp);
	}
	return tmpl;
}

static const char *const small[] = {
	"1000000000 {\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\","
	    "\"E\":1,\"T\":1,\"s\":\"BTCUSDT\",\"U\":10,\"u\":12,\"pu\":9,"
	    "\"b\":[[\"60000.00\",\"1.000\"],[\"59999.90\",\"2.000\"]],"
	    "\"a\":[[\"60000.10\",\"1.500\"]]}}",
	"2000000000 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"e\":\"bookTicker\","
	    "\"u\":13,\"s\":\"BTCUSDT\",\"b\":\"60000.00\",\"B\":\"0.900\","
	    "\"a\":\"60000.10\",\"A\":\"1.500\",\"T\":2,\"E\":2}}",
	"3000000000 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":3,"
	    "\"T\":3,\"s\":\"BTCUSDT\",\"t\":77,\"p\":\"60000.10\",\"q\":\"0.250\","
	    "\"X\":\"MARKET\",\"m\":false}}",
};

START_TEST(test_replay_timing)
{
	struct obs o;
	struct exch *ex = replay_engine(&o, write_file(small, 3, false), 1, false);
	struct exch_last_trade lt;

	ck_assert_ptr_nonnull(ex);
	ck_assert_int_eq(exch_next_due_ns(ex), T0_NS);
	exch_step(ex, o.now);
	ck_assert_int_eq(o.ndepth, 1);
	ck_assert_int_eq(o.nbt, 0);
	o.now += SEC / 2;
	exch_step(ex, o.now);
	ck_assert_int_eq(o.nbt, 0);
	ck_assert_int_eq(exch_next_due_ns(ex), T0_NS + SEC);
	o.now = T0_NS + SEC;
	exch_step(ex, o.now);
	ck_assert_int_eq(o.nbt, 1);
	ck_assert_near(o.bt_B, 0.9, 1e-12);
	o.now = T0_NS + 2 * SEC;
	exch_step(ex, o.now);
	ck_assert_int_eq(o.ntr, 1);
	ck_assert_int_eq(exch_trade_last(ex, 0, &lt), 0);
	ck_assert_int_eq(lt.id, 77);
	ck_assert_near(lt.price, 60000.1, 1e-9);
	ck_assert(!lt.buyer_maker);
	ck_assert(exch_market_done(ex));
	/* only the markPrice timer is left */
	ck_assert_int_eq(exch_next_due_ns(ex), o.now + SEC);
	exch_free(ex);
	unlink(tmpl);

	/* 10x: the same lines 100 ms apart, from a gzip file */
	ex = replay_engine(&o, write_file(small, 3, true), 10, false);
	ck_assert_ptr_nonnull(ex);
	o.now = T0_NS + SEC / 10;
	exch_step(ex, o.now);
	ck_assert_int_eq(o.ndepth + o.nbt, 2);
	ck_assert_int_eq(o.ntr, 0);
	o.now = T0_NS + SEC / 5;
	exch_step(ex, o.now);
	ck_assert_int_eq(o.ntr, 1);
	exch_free(ex);
	unlink(tmpl);
}
END_TEST

START_TEST(test_replay_loop)
{
	struct obs o;
	struct exch *ex = replay_engine(&o, write_file(small, 3, false), 0, true);
	int i;

	ck_assert_ptr_nonnull(ex);
	for (i = 0; i < 10; i++)
		exch_step(ex, o.now);
	ck_assert(!exch_market_done(ex));
	ck_assert_int_ge(o.ndepth, 3);
	/* ids keep going up across the restart */
	ck_assert(o.ticker_ok);
	ck_assert_int_gt(o.last_u, 12);
	exch_free(ex);
	unlink(tmpl);
}
END_TEST

START_TEST(test_replay_malformed)
{
	const char *const lines[] = {
		"garbage without a timestamp",
		"123 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\"",
		"124 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"e\":\"bookTicker\"}}",
		"",
		"125 {\"stream\":\"xrpusdt@trade\",\"data\":{\"e\":\"trade\",\"t\":1,"
		    "\"p\":\"1\",\"q\":\"1\"}}",
		"126 [1,2,3]",
		small[2],
	};
	struct obs o;
	struct exch *ex = replay_engine(&o, write_file(lines, 7, false), 0, false);
	int i;

	ck_assert_ptr_nonnull(ex);
	for (i = 0; i < 10 && !exch_market_done(ex); i++)
		ck_assert_int_ge(exch_step(ex, o.now), 0);
	ck_assert(exch_market_done(ex));
	ck_assert_int_eq(o.ntr, 1);	/* the good line, last */
	ck_assert_int_eq(o.nbt, 0);
	exch_free(ex);
	unlink(tmpl);
	/* a file that does not exist is an error at creation */
	ck_assert_ptr_null(replay_engine(&o, "/nonexistent/file.gz", 1, false));
}
END_TEST

/* What is not a recording is refused at start, not served as an empty
 * 0.00/0.00 book (issue 13: --replay README.md). */
START_TEST(test_replay_not_a_recording)
{
	const char *const readme[] = { "# pmm", "", "A market maker.",
	    "1723161255030314667 not json", "2024 {\"a\":1}" };
	const char *const other[] = {
		"125 {\"stream\":\"xrpusdt@trade\",\"data\":{\"e\":\"trade\","
		    "\"t\":1,\"p\":\"1\",\"q\":\"1\"}}",
	};
	struct obs o;

	ck_assert_ptr_null(replay_engine(&o, write_file(readme, 5, false), 1,
	    false));
	unlink(tmpl);
	ck_assert_ptr_null(replay_engine(&o, write_file(readme, 5, true), 1,
	    false));
	unlink(tmpl);
	ck_assert_ptr_null(replay_engine(&o, write_file(readme, 0, true), 1,
	    false));
	unlink(tmpl);
	/* frames, but of no symbol the exchange lists */
	ck_assert_ptr_null(replay_engine(&o, write_file(other, 1, true), 1,
	    false));
	unlink(tmpl);
	/* a recording is still one with a bad first line */
	{
		const char *const ok[] = { readme[0], small[1] };
		struct exch *ex = replay_engine(&o, write_file(ok, 2, true), 0,
		    false);

		ck_assert_ptr_nonnull(ex);
		while (!exch_market_done(ex))
			ck_assert_int_ge(exch_step(ex, o.now), 0);
		ck_assert_int_eq(o.nbt, 1);
		exch_free(ex);
		unlink(tmpl);
	}
}
END_TEST

static Suite *
mkt_suite(void)
{
	Suite *s = suite_create("mkt");
	TCase *tc;

	tc = tcase_create("synthetic");
	tcase_add_test(tc, test_synth_reproducible);
	tcase_add_test(tc, test_synth_step_independent);
	tcase_add_test(tc, test_synth_stall);
	tcase_add_test(tc, test_synth_consistent);
	tcase_add_test(tc, test_synth_calibrated);
	tcase_add_test(tc, test_newcomer_sees_fills);
	tcase_add_test(tc, test_set_mid);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay");
	tcase_add_test(tc, test_replay_real_file);
	tcase_add_test(tc, test_replay_timing);
	tcase_add_test(tc, test_replay_loop);
	tcase_add_test(tc, test_replay_malformed);
	tcase_add_test(tc, test_replay_not_a_recording);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(mkt_suite());
}
