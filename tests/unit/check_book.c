/*
 * check_book.c — the client order book and the fill model: the book's
 * own structure (ids, client ids, price-time order, growth), then the
 * matching of client orders against the outside market through the
 * engine with a hand-driven market and a fake clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_fixture.h"
#include "check_run.h"

/* ------------------------------------------------------------------ */
/* the data structure                                                  */

static struct bk_order *
add(struct book *b, int64_t id, int side, int64_t px, int64_t qty,
    unsigned acct)
{
	struct bk_order *o = book_alloc(b);

	ck_assert_ptr_nonnull(o);
	o->id = id;
	o->side = (uint8_t)side;
	o->px = px;
	o->qty = o->orig = qty;
	o->acct = (uint16_t)acct;
	snprintf(o->cid, sizeof(o->cid), "c%lld", (long long)id);
	ck_assert_int_eq(book_insert(b, o), 0);
	return o;
}

START_TEST(test_book_priority)
{
	struct book *b = book_new(16);
	struct bk_order *o;
	int64_t want[] = { 3, 1, 4, 2 };	/* 101 first, then 100 by time */
	int i = 0;

	add(b, 1, BK_BID, 100, 5, 0);
	add(b, 2, BK_BID, 99, 5, 0);
	add(b, 3, BK_BID, 101, 5, 0);
	add(b, 4, BK_BID, 100, 5, 1);
	for (o = book_best(b, BK_BID); o != NULL; o = book_next(b, o))
		ck_assert_int_eq(o->id, want[i++]);
	ck_assert_int_eq(i, 4);
	ck_assert_int_eq(book_level(b, BK_BID, 100)->qty, 10);
	ck_assert_int_eq(book_level(b, BK_BID, 100)->n, 2);
	/* asks: lowest first */
	add(b, 5, BK_ASK, 105, 1, 0);
	add(b, 6, BK_ASK, 103, 1, 0);
	ck_assert_int_eq(book_best(b, BK_ASK)->id, 6);
	ck_assert_int_eq(book_count(b), 6);
	book_free(b);
}
END_TEST

START_TEST(test_book_find_remove)
{
	struct book *b = book_new(16);
	struct bk_order *o;

	add(b, 10, BK_BID, 100, 5, 0);
	add(b, 11, BK_BID, 100, 3, 0);
	add(b, 12, BK_BID, 100, 2, 1);
	ck_assert_int_eq(book_find(b, 11)->id, 11);
	ck_assert_ptr_null(book_find(b, 99));
	ck_assert_int_eq(book_find_cid(b, 0, "c11")->id, 11);
	/* client ids belong to an account */
	ck_assert_ptr_null(book_find_cid(b, 1, "c11"));
	book_remove(b, book_find(b, 11));
	ck_assert_ptr_null(book_find(b, 11));
	ck_assert_ptr_null(book_find_cid(b, 0, "c11"));
	ck_assert_int_eq(book_level(b, BK_BID, 100)->qty, 7);
	o = book_best(b, BK_BID);
	ck_assert_int_eq(o->id, 10);
	ck_assert_int_eq(book_next(b, o)->id, 12);
	book_remove(b, book_find(b, 10));
	book_remove(b, book_find(b, 12));
	ck_assert_ptr_null(book_level(b, BK_BID, 100));
	ck_assert_ptr_null(book_best(b, BK_BID));
	ck_assert_int_eq(book_count(b), 0);
	book_free(b);
}
END_TEST

/* Many orders: the pool and both hash tables grow, lookups stay right. */
START_TEST(test_book_grow)
{
	struct book *b = book_new(4);
	int64_t i;

	for (i = 1; i <= 20000; i++)
		add(b, i, (int)(i & 1), 1000 + i % 97, 1, (unsigned)(i % 3));
	ck_assert_int_eq(book_count(b), 20000);
	for (i = 1; i <= 20000; i += 2)
		book_remove(b, book_find(b, i));
	for (i = 1; i <= 20000; i++) {
		struct bk_order *o = book_find(b, i);
		char cid[16];

		snprintf(cid, sizeof(cid), "c%lld", (long long)i);
		if (i % 2) {
			ck_assert_ptr_null(o);
			ck_assert_ptr_null(book_find_cid(b, (unsigned)(i % 3), cid));
		} else {
			ck_assert_ptr_nonnull(o);
			ck_assert_int_eq(o->id, i);
			ck_assert_ptr_eq(book_find_cid(b, (unsigned)(i % 3), cid), o);
		}
	}
	ck_assert_int_eq(book_count(b), 10000);
	book_free(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the fill model through the engine                                   */

static struct tfix *f;

static void
setup(void)
{
	f = tfix_new();
	/* outside: bid 60000.0 x 2, ask 60000.1 x 2, then 1 BTC a tick */
	tfix_book(f, 60000.0, 2, 60000.1, 2);
}

static void
teardown(void)
{
	tfix_free(f);
}

START_TEST(test_rest_no_fill)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59990);

	ck_assert_int_eq(o.status, EXCH_ST_NEW);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, "BTCUSDT"), 1);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_NEW), 1);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_TRADE), 0);
}
END_TEST

/* Better price first, then time: a sell trade reaches 59999.9 before
 * 59999.8, and the earlier order before the later at the same price. */
START_TEST(test_price_time_priority)
{
	struct exch_order a = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59999.8);
	struct exch_order b = tfix_place(f, f->a2, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59999.9);
	struct exch_order c = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59999.9);
	struct exch_order q;
	struct exch_err e;

	/* a sell trade at 59999.7 (through all three) for 0.015 */
	ck_assert_int_eq(exch_ext_trade(f->ex, 0, 59999.7, 0.015, true), 0);
	ck_assert_int_eq(exch_order_query(f->ex, f->a2, "BTCUSDT", b.order_id,
	    NULL, &q, &e), 0);
	ck_assert_int_eq(q.status, EXCH_ST_FILLED);
	ck_assert_int_eq(exch_order_query(f->ex, f->a1, "BTCUSDT", c.order_id,
	    NULL, &q, &e), 0);
	ck_assert_int_eq(q.status, EXCH_ST_PARTIALLY_FILLED);
	ck_assert_near(q.executed_qty, 0.005, 1e-12);
	ck_assert_int_eq(exch_order_query(f->ex, f->a1, "BTCUSDT", a.order_id,
	    NULL, &q, &e), 0);
	ck_assert_int_eq(q.status, EXCH_ST_NEW);
	/* fills are at the client's own price, as maker */
	ck_assert_near(tfix_last_ou(f, f->a1, EXCH_X_TRADE)->last_price,
	    59999.9, 1e-9);
	ck_assert(tfix_last_ou(f, f->a1, EXCH_X_TRADE)->maker);
}
END_TEST

/* Partial fills by trade size, and the queue ahead at the client's price. */
START_TEST(test_partial_fill_queue)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.5, 60000.0);	/* joins behind 2 BTC outside */
	struct exch_order q;
	struct exch_err e;

	ck_assert_int_eq(o.status, EXCH_ST_NEW);
	/* 1.5 BTC trades at 60000.0: all of it goes to the queue ahead */
	exch_ext_trade(f->ex, 0, 60000.0, 1.5, true);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0, 1e-12);
	/* 0.7 more: 0.5 finishes the queue, 0.2 fills us */
	exch_ext_trade(f->ex, 0, 60000.0, 0.7, true);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.2, 1e-12);
	ck_assert_int_eq(q.status, EXCH_ST_PARTIALLY_FILLED);
	/* a buy trade does not touch bids */
	exch_ext_trade(f->ex, 0, 60000.1, 5, false);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.2, 1e-12);
	/* a trade of 0.1 now fills 0.1 */
	exch_ext_trade(f->ex, 0, 60000.0, 0.1, true);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.3, 1e-12);
	ck_assert_near(tfix_pos(f, f->a1), 0.3, 1e-12);
}
END_TEST

/* The queue ahead shrinks with the outside level (cancels ahead). */
START_TEST(test_queue_shrinks_with_level)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT,
	    EXCH_GTC, 0.1, 60000.1);	/* behind 2 BTC */
	struct exch_order q;
	struct exch_err e;

	tfix_book(f, 60000.0, 2, 60000.1, 0.3);	/* level shrank to 0.3 */
	exch_ext_trade(f->ex, 0, 60000.1, 0.35, false);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.05, 1e-12);
}
END_TEST

/*
 * The queue models on worked examples (lots): front = queue ahead, seen =
 * the level before, qty = after, no trade between (cancels).
 */
START_TEST(test_queue_model_examples)
{
	/* pessimistic: only as far as the level shrank below us */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PESSIMISTIC, 2, 5, 10, 3),
	    3);
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PESSIMISTIC, 2, 2, 10, 6),
	    2);
	/* n = 1: cancels spread evenly: 2 ahead of 10, 5 cancelled -> 1 */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 1, 2, 10, 5), 1);
	/* 4 ahead, 6 behind, 5 cancelled: n = 1 -> 2 of them ahead */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 1, 4, 10, 5), 2);
	/* n = 2: 16 / (16 + 36) x 5 = 1.54 -> 2 ahead */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 4, 10, 5), 2);
	/* n = 2 near the front: 4 / (4 + 64) x 5 = 0.29 -> none ahead */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 2, 10, 5), 2);
	/* n = 3, 400 ahead, 600 behind, 500 cancelled: 64/(64+216) x 500 =
	 * 114.3 -> 114 */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 3, 400, 1000, 500),
	    286);
	/* more cancelled than was behind: the excess was ahead at least;
	 * 8 ahead, 2 behind, 6 cancelled: 6 x 64/68 = 5.6 -> 6 ahead */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 8, 10, 4), 2);
	/* 1 ahead, 9 behind, all 10 gone: 1 ahead at least -> 0 */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 1, 10, 0), 0);
	/* at the front, or a level that grew: nothing moves */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 0, 10, 5), 0);
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 3, 5, 9), 3);
	/* never more ahead than the level holds */
	ck_assert_int_eq(book_queue_after(EXCH_QUEUE_PROB, 2, 9, 9, 3), 3);
}
END_TEST

/*
 * The same market under both models: an order joins behind 2 BTC, 1 BTC
 * joins behind it, then 1 BTC is cancelled (no trade). Pessimistic: all of
 * it was behind us (2 still ahead). Probabilistic n = 2: 4/(4+1) of it was
 * ahead (0.8): 1.2 ahead, so a 1.3 BTC trade fills 0.1 of ours.
 */
static double
fill_after_cancels(enum exch_queue model)
{
	struct exch_opts opts;
	struct tfix *g = calloc(1, sizeof(*g));
	struct exch_order o, q;
	struct exch_err e;
	double done;

	ck_assert_ptr_nonnull(g);
	g->now = T0_NS;
	tfix_opts(g, &opts);
	opts.queue_model = model;
	opts.queue_power = 2;
	tfix_start_opts(g, &opts);
	tfix_book(g, 60000.0, 2, 60000.1, 2);
	o = tfix_place(g, g->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.5, 60000.0);
	tfix_book(g, 60000.0, 3, 60000.1, 2);	/* 1 BTC joins behind */
	tfix_book(g, 60000.0, 2, 60000.1, 2);	/* 1 BTC cancelled */
	exch_ext_trade(g->ex, 0, 60000.0, 1.3, true);
	exch_order_query(g->ex, g->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	done = q.executed_qty;
	tfix_free(g);
	return done;
}

START_TEST(test_queue_models_in_engine)
{
	ck_assert_near(fill_after_cancels(EXCH_QUEUE_PESSIMISTIC), 0, 1e-12);
	ck_assert_near(fill_after_cancels(EXCH_QUEUE_PROB), 0.1, 1e-12);
}
END_TEST

/* A trade at our price shrinks the level too: not counted as a cancel. */
START_TEST(test_queue_trade_not_a_cancel)
{
	struct exch_opts opts;
	struct exch_order o, q;
	struct exch_err e;

	tfix_free(f);
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->now = T0_NS;
	tfix_opts(f, &opts);
	opts.queue_model = EXCH_QUEUE_PROB;
	tfix_start_opts(f, &opts);
	tfix_book(f, 60000.0, 2, 60000.1, 2);
	o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.5, 60000.0);
	tfix_book(f, 60000.0, 3, 60000.1, 2);	/* 1 behind us */
	exch_ext_trade(f->ex, 0, 60000.0, 1.5, true);	/* 0.5 ahead left */
	/* the book then shows the trade: 3 - 1.5 = 1.5, no cancel at all */
	tfix_book(f, 60000.0, 1.5, 60000.1, 2);
	exch_ext_trade(f->ex, 0, 60000.0, 0.5, true);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0, 1e-12);	/* still 0 ahead... */
	exch_ext_trade(f->ex, 0, 60000.0, 0.2, true);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.2, 1e-12);	/* ...then ours */
}
END_TEST

/* Trade-through: a trade at a worse price fills without queueing. */
START_TEST(test_trade_through)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT,
	    EXCH_GTC, 0.1, 60000.1);
	struct exch_order q;
	struct exch_err e;

	exch_ext_trade(f->ex, 0, 60000.2, 0.04, false);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.04, 1e-12);
	ck_assert_near(tfix_last_ou(f, f->a1, EXCH_X_TRADE)->last_price,
	    60000.1, 1e-9);
	/* a trade below our ask does not reach it */
	exch_ext_trade(f->ex, 0, 60000.0, 1, false);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_near(q.executed_qty, 0.04, 1e-12);
}
END_TEST

/* The outside ask dropping to our bid fills it completely at our price. */
START_TEST(test_fill_on_cross)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.25, 59999.5);
	const struct exch_order_update *u;
	struct exch_order q;
	struct exch_err e;

	tfix_book(f, 59999.0, 1, 59999.6, 1);	/* not yet */
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_int_eq(q.status, EXCH_ST_NEW);
	tfix_book(f, 59999.0, 1, 59999.5, 0.01);	/* ask at our bid */
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &q, &e);
	ck_assert_int_eq(q.status, EXCH_ST_FILLED);
	ck_assert_near(q.executed_qty, 0.25, 1e-12);
	u = tfix_last_ou(f, f->a1, EXCH_X_TRADE);
	ck_assert_near(u->last_price, 59999.5, 1e-9);
	ck_assert(u->maker);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
}
END_TEST

START_TEST(test_gtx_reject)
{
	struct exch_order_req r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTX,
	    0.01, 60000.1);
	const char *msg = tfix_reject(f, f->a1, &r, -5022);
	struct exch_order o;

	ck_assert_str_eq(msg, "Due to the order could not be executed as maker, "
	    "the Post Only order will be rejected. The order will not be "
	    "recorded in the order history");
	/* nothing created, nothing sent */
	ck_assert_int_eq(f->nuser, 0);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
	/* one tick better is fine, and rests */
	o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTX, 0.01, 60000.0);
	ck_assert_int_eq(o.status, EXCH_ST_NEW);
	ck_assert_int_eq(o.tif, EXCH_GTX);
}
END_TEST

START_TEST(test_ioc)
{
	/* 2 BTC at 60000.1, 1 at 60000.2: IOC for 3.5 up to 60000.2 */
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_IOC, 3.5, 60000.2);

	ck_assert_int_eq(o.status, EXCH_ST_EXPIRED);
	ck_assert_near(o.executed_qty, 3.0, 1e-12);
	ck_assert_near(o.avg_price, (2 * 60000.1 + 60000.2) / 3, 1e-6);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_TRADE), 2);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_EXPIRED), 1);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
	/* an IOC that cannot trade expires with nothing */
	o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_IOC, 0.01, 59000);
	ck_assert_int_eq(o.status, EXCH_ST_EXPIRED);
	ck_assert_near(o.executed_qty, 0, 1e-12);
}
END_TEST

START_TEST(test_fok)
{
	struct exch_order_req r = tfix_req(EXCH_SELL, EXCH_LIMIT, EXCH_FOK,
	    3.5, 59999.9);	/* only 2 + 1 down to 59999.9 */
	struct exch_order o;

	ck_assert_str_eq(tfix_reject(f, f->a1, &r, -5021), "Due to the order "
	    "could not be filled immediately, the FOK order has been rejected.");
	ck_assert_int_eq(f->nuser, 0);
	o = tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT, EXCH_FOK, 3.0, 59999.9);
	ck_assert_int_eq(o.status, EXCH_ST_FILLED);
	ck_assert_near(o.executed_qty, 3.0, 1e-12);
	ck_assert_near(tfix_pos(f, f->a1), -3.0, 1e-12);
}
END_TEST

/* MARKET walks the outside depth level by level at the outside prices. */
START_TEST(test_market_walks_book)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET,
	    EXCH_GTC, 4.5, 0);
	const struct exch_order_update *u;

	/* 2 @ 60000.1, 1 @ .2, 1 @ .3, 0.5 @ .4 */
	ck_assert_int_eq(o.status, EXCH_ST_FILLED);
	ck_assert_near(o.avg_price, (2 * 60000.1 + 60000.2 + 60000.3 +
	    0.5 * 60000.4) / 4.5, 1e-6);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_TRADE), 4);
	u = tfix_last_ou(f, f->a1, EXCH_X_TRADE);
	ck_assert_near(u->last_price, 60000.4, 1e-9);
	ck_assert_near(u->last_qty, 0.5, 1e-12);
	ck_assert(!u->maker);
	ck_assert_int_eq(o.type, EXCH_MARKET);
	/* the outside book is not moved by us */
	{
		struct exch_top t;

		ck_assert_int_eq(exch_book_top(f->ex, 0, &t), 0);
		ck_assert_near(t.ask, 60000.1, 1e-9);
		ck_assert_near(t.ask_qty, 2, 1e-12);
	}
}
END_TEST

/* A MARKET order bigger than the whole book fills what there is. */
START_TEST(test_market_exhausts_book)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_SELL, EXCH_MARKET,
	    EXCH_GTC, 7.0, 0);

	ck_assert_int_eq(o.status, EXCH_ST_EXPIRED);
	ck_assert_near(o.executed_qty, 6.0, 1e-12);
}
END_TEST

/* Client orders of different accounts trade with each other. */
START_TEST(test_client_vs_client)
{
	struct exch_order m = tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT,
	    EXCH_GTC, 0.1, 60000.05 + 0.05);	/* joins the outside ask */
	struct exch_order t;

	(void)m;
	/* a2 buys 2.05 at 60000.1: 2 outside first (time priority), then a1 */
	t = tfix_place(f, f->a2, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 2.05, 60000.1);
	ck_assert_int_eq(t.status, EXCH_ST_FILLED);
	ck_assert_near(tfix_pos(f, f->a1), -0.05, 1e-12);
	ck_assert_near(tfix_pos(f, f->a2), 2.05, 1e-12);
	ck_assert(tfix_last_ou(f, f->a1, EXCH_X_TRADE)->maker);
	ck_assert(!tfix_last_ou(f, f->a2, EXCH_X_TRADE)->maker);
}
END_TEST

/* Self-trade prevention EXPIRE_TAKER vs the default NONE. */
START_TEST(test_stp)
{
	struct exch_order_req r;
	struct exch_order o;
	struct exch_err e;

	tfix_book(f, 59990.0, 1, 60010.0, 1);
	tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.01, 60000);
	r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 60000);
	r.stp = EXCH_STP_EXPIRE_TAKER;
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	ck_assert_int_eq(o.status, EXCH_ST_EXPIRED_IN_MATCH);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 1);
	/* NONE: trades with itself; position stays flat, fees are paid */
	o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 60000);
	ck_assert_int_eq(o.status, EXCH_ST_FILLED);
	ck_assert_near(tfix_pos(f, f->a1), 0, 1e-12);
}
END_TEST

START_TEST(test_duplicate_cid)
{
	struct exch_order_req r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01,
	    59000);
	struct exch_order o;
	struct exch_err e;

	r.client_id = "pmm-1-abc";
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	ck_assert_str_eq(o.client_id, "pmm-1-abc");
	ck_assert_str_eq(tfix_reject(f, f->a1, &r, -4116),
	    "ClientOrderId is duplicated.");
	/* another account may use it */
	ck_assert_int_eq(exch_order_place(f->ex, f->a2, &r, &o, &e), 0);
	/* free again once the order is closed */
	ck_assert_int_eq(exch_order_cancel(f->ex, f->a1, "BTCUSDT", 0,
	    "pmm-1-abc", &o, &e), 0);
	ck_assert_int_eq(o.status, EXCH_ST_CANCELED);
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	r.client_id = "bad id!";
	tfix_reject(f, f->a1, &r, -4015);
	/* generated ids are unique and valid */
	r.client_id = NULL;
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	ck_assert(flt_cid_valid(o.client_id));
}
END_TEST

START_TEST(test_cancel_query)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59000);
	struct exch_order q, list[8];
	struct exch_err e;

	ck_assert_int_eq(exch_open_orders(f->ex, f->a1, "BTCUSDT", list, 8, &e), 1);
	ck_assert_int_eq(list[0].order_id, o.order_id);
	/* another account cannot see or cancel it */
	ck_assert_int_eq(exch_order_cancel(f->ex, f->a2, "BTCUSDT", o.order_id,
	    NULL, &q, &e), -1);
	ck_assert_int_eq(e.code, -2011);
	ck_assert_str_eq(e.msg, "Unknown order sent.");
	ck_assert_int_eq(exch_order_cancel(f->ex, f->a1, "BTCUSDT", o.order_id,
	    NULL, &q, &e), 0);
	ck_assert_int_eq(q.status, EXCH_ST_CANCELED);
	ck_assert_int_eq(exch_order_cancel(f->ex, f->a1, "BTCUSDT", o.order_id,
	    NULL, &q, &e), -1);
	ck_assert_int_eq(e.code, -2011);
	/* closed orders stay queryable */
	ck_assert_int_eq(exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id,
	    NULL, &q, &e), 0);
	ck_assert_int_eq(q.status, EXCH_ST_CANCELED);
	ck_assert_int_eq(exch_order_query(f->ex, f->a1, "BTCUSDT", 12345, NULL,
	    &q, &e), -1);
	ck_assert_int_eq(e.code, -2013);
	ck_assert_str_eq(e.msg, "Order does not exist.");
	ck_assert_int_eq(exch_order_query(f->ex, f->a1, "XRPUSDT", 1, NULL, &q,
	    &e), -1);
	ck_assert_int_eq(e.code, -1121);
	ck_assert_str_eq(e.msg, "Invalid symbol.");
	ck_assert_int_eq(exch_order_cancel(f->ex, f->a1, "BTCUSDT", 0, NULL, &q,
	    &e), -1);
	ck_assert_int_eq(e.code, -1102);
	/* cancel all */
	tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 59000);
	tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.01, 61000);
	tfix_place(f, f->a2, EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.01, 61000);
	ck_assert_int_eq(exch_order_cancel_all(f->ex, f->a1, "BTCUSDT", &e), 2);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a2, NULL), 1);
}
END_TEST

START_TEST(test_max_num_orders)
{
	struct exch_opts o;
	struct exch_order_req r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01,
	    59000);
	int i;

	tfix_free(f);
	f = calloc(1, sizeof(*f));
	f->now = T0_NS;
	tfix_opts(f, &o);
	o.symbols[0].max_num_orders = 5;
	tfix_start_opts(f, &o);
	tfix_book(f, 60000.0, 2, 60000.1, 2);
	for (i = 0; i < 5; i++)
		tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01,
		    59000 - i);
	ck_assert_str_eq(tfix_reject(f, f->a1, &r, -2025),
	    "Reach max open order limit.");
	/* IOC does not rest, so it is not limited; other accounts are not */
	tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_IOC, 0.01, 59000);
	tfix_place(f, f->a2, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 59000);
}
END_TEST

/* GTD orders expire at their goodTillDate as time advances. */
START_TEST(test_gtd_expiry)
{
	struct exch_order_req r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTD, 0.01,
	    59000);
	struct exch_order o;
	struct exch_err e;

	r.good_till_ms = T0_NS / 1000000 + 300000;	/* too soon */
	tfix_reject(f, f->a1, &r, -5040);
	r.good_till_ms = T0_NS / 1000000 + 700000;
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	ck_assert_int_eq(o.good_till_ms, r.good_till_ms);
	f->now = T0_NS + 699 * 1000000000LL;
	exch_step(f->ex, f->now);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 1);
	f->now = T0_NS + 700 * 1000000000LL;
	exch_step(f->ex, f->now);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
	ck_assert_int_eq(tfix_last_ou(f, f->a1, EXCH_X_EXPIRED)->o.status,
	    EXCH_ST_EXPIRED);
}
END_TEST

/* ---- modify (PUT /fapi/v1/order) --------------------------------------------- */

static int
modify(struct exch_account *a, int64_t id, enum exch_side side, double qty,
    double price, struct exch_order *out, struct exch_err *e)
{
	struct exch_modify_req r = { "BTCUSDT", id, NULL, side, qty, price };

	memset(e, 0, sizeof(*e));
	return exch_order_modify(f->ex, a, &r, out, e);
}

static struct exch_order
query(struct exch_account *a, int64_t id)
{
	struct exch_order q;
	struct exch_err e;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(exch_order_query(f->ex, a, "BTCUSDT", id, NULL, &q,
	    &e), 0);
	return q;
}

/* An amended order goes to the back of its level: a1 was first at
 * 59999.0 (no outside liquidity there), amends its quantity, and the next
 * trade fills a2, which was second. Same id, new quantity, AMENDMENT. */
START_TEST(test_modify_requeues)
{
	struct exch_order a = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59999.0);
	struct exch_order b = tfix_place(f, f->a2, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59999.0);
	struct exch_order m;
	struct exch_err e;

	ck_assert_int_eq(modify(f->a1, a.order_id, EXCH_BUY, 0.02, 59999.0, &m,
	    &e), 0);
	ck_assert_int_eq(m.order_id, a.order_id);
	ck_assert_str_eq(m.client_id, a.client_id);
	ck_assert_int_eq(m.status, EXCH_ST_NEW);
	ck_assert_near(m.orig_qty, 0.02, 1e-12);
	ck_assert_ptr_nonnull(tfix_last_ou(f, f->a1, EXCH_X_AMENDMENT));
	ck_assert_int_eq(exch_ext_trade(f->ex, 0, 59999.0, 0.01, true), 0);
	ck_assert_int_eq(query(f->a2, b.order_id).status, EXCH_ST_FILLED);
	ck_assert_near(query(f->a1, a.order_id).executed_qty, 0, 1e-12);
	/* then a1, for its new quantity */
	ck_assert_int_eq(exch_ext_trade(f->ex, 0, 59999.0, 0.02, true), 0);
	ck_assert_int_eq(query(f->a1, a.order_id).status, EXCH_ST_FILLED);
	ck_assert_near(tfix_pos(f, f->a1), 0.02, 1e-12);
}
END_TEST

/* The queue ahead is measured anew: 0.5 at 60000.0 behind 2 BTC outside;
 * 1.5 trades (0.5 left ahead); amended, it is behind the whole level again,
 * so the 0.7 that would have filled 0.2 fills nothing. */
START_TEST(test_modify_resets_queue)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.5, 60000.0);
	struct exch_order m;
	struct exch_err e;

	exch_ext_trade(f->ex, 0, 60000.0, 1.5, true);
	ck_assert_int_eq(modify(f->a1, o.order_id, EXCH_BUY, 0.6, 60000.0, &m,
	    &e), 0);
	exch_ext_trade(f->ex, 0, 60000.0, 0.7, true);
	ck_assert_near(query(f->a1, o.order_id).executed_qty, 0, 1e-12);
}
END_TEST

/* A new price: the order rests there, and a trade at the old price no
 * longer reaches it. */
START_TEST(test_modify_price)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59999.0);
	struct exch_order m;
	struct exch_err e;

	ck_assert_int_eq(modify(f->a1, o.order_id, EXCH_BUY, 0.01, 59998.0, &m,
	    &e), 0);
	ck_assert_near(query(f->a1, o.order_id).price, 59998.0, 1e-9);
	exch_ext_trade(f->ex, 0, 59999.0, 0.01, true);
	ck_assert_near(query(f->a1, o.order_id).executed_qty, 0, 1e-12);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, "BTCUSDT"), 1);
}
END_TEST

/* Refused, the original stays as it was. */
START_TEST(test_modify_refused)
{
	struct exch_order o = tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 60001.0);
	struct exch_order m;
	struct exch_err e;

	ck_assert_int_eq(modify(f->a1, o.order_id, EXCH_SELL, 0.01, 60001.0, &m,
	    &e), -1);
	ck_assert_int_eq(e.code, -5027);		/* nothing to change */
	ck_assert_int_eq(modify(f->a1, o.order_id + 99, EXCH_SELL, 0.02,
	    60001.0, &m, &e), -1);
	ck_assert_int_eq(e.code, -2013);		/* no such order */
	ck_assert_int_eq(modify(f->a2, o.order_id, EXCH_SELL, 0.02, 60001.0,
	    &m, &e), -1);
	ck_assert_int_eq(e.code, -2013);		/* not a2's */
	ck_assert_int_eq(modify(f->a1, o.order_id, EXCH_BUY, 0.02, 60001.0, &m,
	    &e), -1);
	ck_assert_int_eq(e.code, -1102);		/* the other side */
	ck_assert_int_eq(modify(f->a1, o.order_id, EXCH_SELL, 0.02, 60001.05,
	    &m, &e), -1);
	ck_assert_int_eq(e.code, -4014);		/* off the tick */
	ck_assert_near(query(f->a1, o.order_id).price, 60001.0, 1e-9);
	ck_assert_near(query(f->a1, o.order_id).orig_qty, 0.01, 1e-12);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_AMENDMENT), 0);
}
END_TEST

/* Cancelled instead: post-only amended to a price that takes; a quantity
 * not above what already executed. A GTC amended through the book takes. */
START_TEST(test_modify_cancels_or_takes)
{
	struct exch_order g = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTX, 0.01, 59999.0);
	struct exch_order p = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.5, 60000.0);
	struct exch_order c = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT,
	    EXCH_GTC, 0.01, 59998.0);
	struct exch_order m;
	struct exch_err e;

	ck_assert_int_eq(modify(f->a1, g.order_id, EXCH_BUY, 0.01, 60000.1, &m,
	    &e), 0);
	ck_assert_int_eq(m.status, EXCH_ST_CANCELED);
	ck_assert_int_eq(query(f->a1, g.order_id).status, EXCH_ST_CANCELED);
	ck_assert_near(tfix_pos(f, f->a1), 0, 1e-12);
	/* 0.2 of p executes (behind 2 outside), then p is cut to 0.2 */
	exch_ext_trade(f->ex, 0, 60000.0, 2.2, true);
	ck_assert_near(query(f->a1, p.order_id).executed_qty, 0.2, 1e-12);
	ck_assert_int_eq(modify(f->a1, p.order_id, EXCH_BUY, 0.2, 60000.0, &m,
	    &e), 0);
	ck_assert_int_eq(query(f->a1, p.order_id).status, EXCH_ST_CANCELED);
	/* GTC through the ask: it trades 0.01 at 60000.1 as taker */
	ck_assert_int_eq(modify(f->a1, c.order_id, EXCH_BUY, 0.01, 60000.1, &m,
	    &e), 0);
	ck_assert_int_eq(m.status, EXCH_ST_FILLED);
	ck_assert_near(tfix_pos(f, f->a1), 0.21, 1e-12);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, "BTCUSDT"), 0);
}
END_TEST

static Suite *
book_suite(void)
{
	Suite *s = suite_create("book");
	TCase *tc;

	tc = tcase_create("structure");
	tcase_add_test(tc, test_book_priority);
	tcase_add_test(tc, test_book_find_remove);
	tcase_add_test(tc, test_book_grow);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("fill model");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rest_no_fill);
	tcase_add_test(tc, test_price_time_priority);
	tcase_add_test(tc, test_partial_fill_queue);
	tcase_add_test(tc, test_queue_shrinks_with_level);
	tcase_add_test(tc, test_queue_model_examples);
	tcase_add_test(tc, test_queue_models_in_engine);
	tcase_add_test(tc, test_queue_trade_not_a_cancel);
	tcase_add_test(tc, test_trade_through);
	tcase_add_test(tc, test_fill_on_cross);
	tcase_add_test(tc, test_gtx_reject);
	tcase_add_test(tc, test_ioc);
	tcase_add_test(tc, test_fok);
	tcase_add_test(tc, test_market_walks_book);
	tcase_add_test(tc, test_market_exhausts_book);
	tcase_add_test(tc, test_client_vs_client);
	tcase_add_test(tc, test_stp);
	tcase_add_test(tc, test_duplicate_cid);
	tcase_add_test(tc, test_cancel_query);
	tcase_add_test(tc, test_max_num_orders);
	tcase_add_test(tc, test_gtd_expiry);
	tcase_add_test(tc, test_modify_requeues);
	tcase_add_test(tc, test_modify_resets_queue);
	tcase_add_test(tc, test_modify_price);
	tcase_add_test(tc, test_modify_refused);
	tcase_add_test(tc, test_modify_cancels_or_takes);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(book_suite());
}
