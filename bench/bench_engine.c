/*
 * bench_engine.c — add + cancel operations per second of the matching
 * engine on one core, printed beside a baseline: the same number of
 * operations on a trivial array (append, remove by swapping with the
 * last), which is about the least work an order store can do.
 *
 * usage: bench_engine [operations (4000000)] [resting orders (1000)]
 *
 * Three figures:
 *  - book:   the client order book alone (book.c): a node from the pool,
 *            the orderId and clientOrderId hashes, the price level FIFO;
 *  - engine: exch_order_place + exch_order_cancel through the whole API
 *            (filters, margin, account lists, ORDER_TRADE_UPDATE events to
 *            a callback that drops them), orders resting, never crossing;
 *  - baseline: the trivial array.
 * Each keeps `resting` orders in the book on random prices within 100
 * ticks of the mid (bids below, asks above) and alternates one add with
 * one cancel of a random resting order. An operation is one add or one
 * cancel. Nothing here is a pass/fail: it prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exch.h"
#include "sim_int.h"
#include "timeutil.h"

#define MID	600000		/* ticks: 60000.0 */

struct plain { int64_t id, px, qty; int side; };

static double
secs_since(int64_t t0)
{
	return (double)(now_mono_ns() - t0) / 1e9;
}

static int64_t
rand_px(struct rng *r, int *side)
{
	*side = (int)(rng_next(r) & 1);
	return *side == BK_BID ? MID - 1 - (int64_t)(rng_next(r) % 100) :
	    MID + 1 + (int64_t)(rng_next(r) % 100);
}

static double
bench_baseline(long ops, int resting)
{
	struct plain *v = calloc((size_t)resting + 1, sizeof(*v));
	struct rng r;
	int64_t t0, id = 0, sum = 0;
	long i;
	int n = 0, side;
	double dt;

	rng_seed(&r, 1);
	for (n = 0; n < resting; n++) {
		v[n].id = ++id;
		v[n].px = rand_px(&r, &v[n].side);
	}
	t0 = now_mono_ns();
	for (i = 0; i < ops; i += 2) {
		int k;

		v[n].id = ++id;
		v[n].px = rand_px(&r, &side);
		v[n].side = side;
		v[n].qty = 1;
		n++;
		k = (int)(rng_next(&r) % (uint64_t)n);
		sum += v[k].id;
		v[k] = v[--n];
	}
	dt = secs_since(t0);
	free(v);
	if (sum == 42)
		printf(" ");	/* keep the loop from being optimised away */
	return ops / dt;
}

static double
bench_book(long ops, int resting)
{
	struct book *b = book_new((uint32_t)resting * 2);
	int64_t *ids = calloc((size_t)resting + 1, sizeof(*ids));
	struct rng r;
	int64_t t0, id = 0;
	long i;
	int n, side;
	double dt;

	rng_seed(&r, 1);
	for (n = 0; n < resting + 1; n++) {
		struct bk_order *o = book_alloc(b);

		o->id = ids[n] = ++id;
		o->px = rand_px(&r, &side);
		o->side = (uint8_t)side;
		o->qty = o->orig = 1;
		snprintf(o->cid, sizeof(o->cid), "c%lld", (long long)id);
		book_insert(b, o);
	}
	n = resting;
	book_remove(b, book_find(b, ids[n]));	/* slot n is the free one */
	t0 = now_mono_ns();
	for (i = 0; i < ops; i += 2) {
		struct bk_order *o = book_alloc(b);
		int k;

		o->id = ids[n] = ++id;
		o->px = rand_px(&r, &side);
		o->side = (uint8_t)side;
		o->qty = o->orig = 1;
		/* a client id as the bot sends one */
		memcpy(o->cid, "pmm-", 4);
		o->cid[4] = (char)('a' + (id & 15));
		o->cid[5] = (char)('a' + ((id >> 4) & 15));
		o->cid[6] = (char)('a' + ((id >> 8) & 15));
		o->cid[7] = (char)('a' + ((id >> 12) & 15));
		o->cid[8] = (char)('a' + ((id >> 16) & 15));
		o->cid[9] = (char)('a' + ((id >> 20) & 15));
		o->cid[10] = '\0';
		book_insert(b, o);
		n++;
		k = (int)(rng_next(&r) % (uint64_t)n);
		book_remove(b, book_find(b, ids[k]));
		ids[k] = ids[--n];
	}
	dt = secs_since(t0);
	if (book_count(b) != (uint32_t)resting)
		printf("book: wrong count %u\n", book_count(b));
	book_free(b);
	free(ids);
	return ops / dt;
}

static int64_t fake_now = 1723161600000000000LL;

static int64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void
drop_user(void *arg, const struct exch_user_event *ev)
{
	(*(long *)arg) += ev->type;
}

static double
bench_engine(long ops, int resting)
{
	struct exch_opts o;
	long events = 0;
	struct exch_cb cb = { NULL, drop_user, &events };
	struct exch *ex;
	struct exch_account *a;
	struct exch_level bid = { 59999.9, 5 }, ask = { 60000.1, 5 };
	int64_t *ids = calloc((size_t)resting + 1, sizeof(*ids));
	struct exch_order_req req;
	struct exch_order out;
	struct exch_err e;
	struct rng r;
	int64_t t0;
	long i, fails = 0;
	int n, side;
	double dt;

	exch_opts_default(&o);
	o.nsymbols = 0;
	exch_opts_add_symbol(&o, "BTCUSDT");
	o.symbols[0].max_num_orders = resting + 10;
	o.market = EXCH_MKT_MANUAL;
	o.clock = fake_clock;
	exch_opts_add_account(&o, "bench", "secret", 1e12);
	ex = exch_new(&o, &cb);
	a = exch_account_by_key(ex, "bench");
	exch_ext_book(ex, 0, &bid, 1, &ask, 1);
	exch_ext_mark(ex, 0, 60000);
	memset(&req, 0, sizeof(req));
	req.symbol = "BTCUSDT";
	req.type = EXCH_LIMIT;
	req.tif = EXCH_GTC;
	req.tif_set = true;
	req.quantity = 0.002;
	rng_seed(&r, 1);
	for (n = 0; n < resting; n++) {
		req.price = (double)rand_px(&r, &side) / 10;
		req.side = side == BK_BID ? EXCH_BUY : EXCH_SELL;
		exch_order_place(ex, a, &req, &out, &e);
		ids[n] = out.order_id;
	}
	t0 = now_mono_ns();
	for (i = 0; i < ops; i += 2) {
		int k;

		req.price = (double)rand_px(&r, &side) / 10;
		req.side = side == BK_BID ? EXCH_BUY : EXCH_SELL;
		if (exch_order_place(ex, a, &req, &out, &e) != 0) {
			fails++;
			continue;
		}
		ids[n++] = out.order_id;
		k = (int)(rng_next(&r) % (uint64_t)n);
		if (exch_order_cancel(ex, a, "BTCUSDT", ids[k], NULL, NULL, &e) != 0)
			fails++;
		ids[k] = ids[--n];
	}
	dt = secs_since(t0);
	if (fails > 0)
		printf("engine: %ld operations failed (%d %s)\n", fails, e.code,
		    e.msg);
	exch_free(ex);
	free(ids);
	return ops / dt;
}

int
main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 4000000;
	int resting = argc > 2 ? atoi(argv[2]) : 1000;
	double base, book, eng;

	if (ops < 2 || resting < 1) {
		fprintf(stderr, "usage: bench_engine [operations] [resting]\n");
		return 2;
	}
	base = bench_baseline(ops, resting);
	book = bench_book(ops, resting);
	eng = bench_engine(ops, resting);
	printf("add+cancel, %ld operations, %d resting orders, one core\n", ops,
	    resting);
	printf("%-34s %14.0f ops/s\n", "baseline (array append/swap-remove)",
	    base);
	printf("%-34s %14.0f ops/s  (%.1fx baseline time)\n",
	    "book (book.c)", book, base / book);
	printf("%-34s %14.0f ops/s  (%.1fx baseline time)\n",
	    "engine (exch_order_place/cancel)", eng, base / eng);
	return 0;
}
