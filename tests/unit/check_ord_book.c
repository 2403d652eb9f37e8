/*
 * check_ord_book.c — the order service's table of its own orders
 * (services/core/ord_book.c): every transition from REST answers and
 * user-stream events, in both arrival orders (they race), each order
 * announced and counted once, fills for anyone's trades (level 0 for
 * orders not ours), the unknown-outcome resolution (never a blind
 * resend: the rung stays busy until the exchange says what happened),
 * strays, and the views the strategy and the state segment get.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ord.h"
#include "timeutil.h"
#include "check_run.h"

#define INST	"ordt"
#define T0	(100 * NS_PER_S)
#define R0	1700000000000000000LL

static struct ord_book		b;
static struct ord_counts	c;
static struct ord_effect	e;

static void
setup(void)
{
	ord_book_init(&b);
	memset(&c, 0, sizeof(c));
	memset(&e, 0, sizeof(e));
}

/* A PENDING order for rung side/level at px ticks, 2 steps. */
static struct ord *
add(int side, int level, int64_t px, uint64_t seq)
{
	struct strat_quote q;

	memset(&q, 0, sizeof(q));
	q.side = (uint8_t)side;
	q.level = (uint8_t)level;
	q.px_ticks = px;
	q.qty_steps = 2;
	q.price = px / 10.0;
	q.qty = 0.002;
	ck_assert_int_gt(strat_cid_make(q.client_id, sizeof(q.client_id), INST,
	    side, level, seq), 0);
	return ord_add(&b, &q, R0);
}

static struct bn_order
ans(const char *cid, enum bn_status st, double executed)
{
	struct bn_order o;

	memset(&o, 0, sizeof(o));
	snprintf(o.clientOrderId, sizeof(o.clientOrderId), "%s", cid);
	o.orderId = 4000000001;
	o.status = st;
	o.executedQty = executed;
	snprintf(o.status_str, sizeof(o.status_str), "%s",
	    st == BN_ST_NEW ? "NEW" : st == BN_ST_CANCELED ? "CANCELED" :
	    st == BN_ST_FILLED ? "FILLED" : st == BN_ST_EXPIRED ? "EXPIRED" :
	    "OTHER");
	return o;
}

static struct bn_order_update
upd(const char *cid, enum bn_exec x, enum bn_status st, double l, double z)
{
	struct bn_order_update u;

	memset(&u, 0, sizeof(u));
	snprintf(u.s, sizeof(u.s), "BTCUSDT");
	snprintf(u.c, sizeof(u.c), "%s", cid);
	u.side = strstr(cid, "-S") != NULL ? BN_SIDE_SELL : BN_SIDE_BUY;
	u.x = x;
	u.X = st;
	u.i = 4000000001;
	u.l = l;
	u.z = z;
	u.L = 59994.0;
	u.n = 0.012;
	snprintf(u.N, sizeof(u.N), "USDT");
	u.m = 1;
	u.rp = 0.5;
	u.T = 1700000000123;
	u.trade_T = 1700000000120;
	return u;
}

START_TEST(test_rest_ack_then_stream)
{
	struct ord *o = add(STRAT_BUY, 1, 599940, 1);
	struct bn_order a = ans(o->cid, BN_ST_NEW, 0);
	struct bn_order_update u = upd(o->cid, BN_EX_NEW, BN_ST_NEW, 0, 0);
	char cid[PMM_ID_MAX];

	snprintf(cid, sizeof(cid), "%s", o->cid);
	ck_assert_int_eq(o->state, ORD_PENDING);
	ck_assert(ord_rung_pending(&b, STRAT_BUY, 1));
	ck_assert(!ord_rung_pending(&b, STRAT_SELL, 1));
	ord_on_place_ok(&b, &a, R0 + 1, &c, &e);
	o = ord_find(&b, cid);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->state, ORD_OPEN);
	ck_assert_int_eq(o->order_id, 4000000001);
	ck_assert(e.changed && e.has_event && !e.has_fill);
	ck_assert_int_eq(e.ev.kind, ORD_PLACED);
	ck_assert_str_eq(e.ev.client_id, cid);
	ck_assert_int_eq(e.ev.level, 1);
	ck_assert_uint_eq(c.placed, 1);
	ck_assert(!ord_rung_pending(&b, STRAT_BUY, 1));
	/* the stream's NEW after the answer: nothing new to say */
	memset(&e, 0, sizeof(e));
	ord_on_update(&b, &u, INST, R0 + 2, &c, &e);
	ck_assert(!e.has_event && !e.stray);
	ck_assert_uint_eq(c.placed, 1);
	ck_assert_int_eq(b.n, 1);
}
END_TEST

START_TEST(test_stream_first_then_rest)
{
	struct ord *o = add(STRAT_SELL, 2, 600060, 2);
	char cid[PMM_ID_MAX];
	struct bn_order_update u;
	struct bn_order a;

	snprintf(cid, sizeof(cid), "%s", o->cid);
	u = upd(cid, BN_EX_NEW, BN_ST_NEW, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert_int_eq(ord_find(&b, cid)->state, ORD_OPEN);
	ck_assert(e.has_event && e.ev.kind == ORD_PLACED);
	ck_assert_int_eq(e.ev.side, STRAT_SELL);
	memset(&e, 0, sizeof(e));
	a = ans(cid, BN_ST_NEW, 0);
	ord_on_place_ok(&b, &a, R0, &c, &e);
	ck_assert(!e.has_event);
	ck_assert_uint_eq(c.placed, 1);
}
END_TEST

/* Filled before the REST answer came back: the late answer must not bring
 * the order back into the table. */
START_TEST(test_filled_before_answer)
{
	struct ord *o = add(STRAT_BUY, 3, 599800, 3);
	char cid[PMM_ID_MAX];
	struct bn_order_update u;
	struct bn_order a;

	snprintf(cid, sizeof(cid), "%s", o->cid);
	u = upd(cid, BN_EX_TRADE, BN_ST_FILLED, 0.002, 0.002);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert_ptr_null(ord_find(&b, cid));
	ck_assert(e.has_fill && e.changed);
	ck_assert_str_eq(e.fill.client_id, cid);
	ck_assert_int_eq(e.fill.level, 3);
	ck_assert_int_eq(e.fill.side, STRAT_BUY);
	ck_assert(e.fill.price == 59994.0 && e.fill.qty == 0.002);
	ck_assert(e.fill.fee == 0.012 && e.fill.maker && e.fill.realized_pnl == 0.5);
	ck_assert_str_eq(e.fill.fee_asset, "USDT");
	ck_assert_int_eq(e.fill.trade_ts_ns, 1700000000120LL * NS_PER_MS);
	ck_assert_uint_eq(c.fills, 1);
	memset(&e, 0, sizeof(e));
	a = ans(cid, BN_ST_NEW, 0);
	ord_on_place_ok(&b, &a, R0, &c, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert(!e.changed && !e.has_event);
}
END_TEST

START_TEST(test_partial_fill_remaining)
{
	struct ord *o = add(STRAT_SELL, 1, 600000, 4);
	struct strat_order so[ORD_MAX];
	struct bn_order_update u;

	u = upd(o->cid, BN_EX_TRADE, BN_ST_PARTIALLY_FILLED, 0.001, 0.001);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert_int_eq(b.n, 1);
	ck_assert_int_eq(b.o[0].state, ORD_OPEN);
	ck_assert(b.o[0].filled == 0.001);
	ck_assert(e.has_fill && e.fill.qty == 0.001 && e.fill.side == STRAT_SELL);
	/* the first sign of life was a trade: it was placed, say so once */
	ck_assert(e.has_event && e.ev.kind == ORD_PLACED);
	ck_assert_int_eq(ord_to_strat(&b, 0.001, so, ORD_MAX), 1);
	ck_assert_int_eq(so[0].qty_steps, 1);
	ck_assert_int_eq(so[0].state, STRAT_OS_OPEN);
	ck_assert_int_eq(so[0].px_ticks, 600000);
	memset(&e, 0, sizeof(e));
	u = upd(b.o[0].cid, BN_EX_TRADE, BN_ST_FILLED, 0.001, 0.002);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert(e.has_fill && !e.has_event);
	ck_assert_uint_eq(c.fills, 2);
	ck_assert_uint_eq(c.placed, 1);
}
END_TEST

START_TEST(test_cancel_rest_then_stream)
{
	struct ord *o = add(STRAT_BUY, 1, 599940, 5);
	char cid[PMM_ID_MAX];
	struct bn_order a = ans(o->cid, BN_ST_NEW, 0);
	struct bn_order_update u;

	snprintf(cid, sizeof(cid), "%s", o->cid);
	ord_on_place_ok(&b, &a, R0, &c, &e);
	memset(&e, 0, sizeof(e));
	ord_cancel_sent(ord_find(&b, cid), R0 + 5);
	ck_assert_int_eq(ord_find(&b, cid)->state, ORD_CANCELING);
	a = ans(cid, BN_ST_CANCELED, 0);
	ord_on_cancel_ok(&b, &a, R0, &c, &e);
	ck_assert_ptr_null(ord_find(&b, cid));
	ck_assert(e.has_event && e.ev.kind == ORD_CANCELED);
	ck_assert_uint_eq(c.canceled, 1);
	memset(&e, 0, sizeof(e));
	u = upd(cid, BN_EX_CANCELED, BN_ST_CANCELED, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert(!e.has_event && !e.stray);
	ck_assert_uint_eq(c.canceled, 1);
}
END_TEST

START_TEST(test_cancel_stream_then_rest)
{
	struct ord *o = add(STRAT_SELL, 2, 600100, 6);
	char cid[PMM_ID_MAX];
	struct bn_order_update u;
	struct bn_order a;

	snprintf(cid, sizeof(cid), "%s", o->cid);
	o->state = ORD_OPEN;
	ord_cancel_sent(o, R0);
	u = upd(cid, BN_EX_CANCELED, BN_ST_CANCELED, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert(e.has_event && e.ev.kind == ORD_CANCELED);
	memset(&e, 0, sizeof(e));
	a = ans(cid, BN_ST_CANCELED, 0);
	ord_on_cancel_ok(&b, &a, R0, &c, &e);
	ck_assert(!e.has_event);
	ck_assert_uint_eq(c.canceled, 1);
}
END_TEST

START_TEST(test_cancel_errors)
{
	struct ord *o1 = add(STRAT_BUY, 1, 599940, 7);
	struct ord *o2 = add(STRAT_BUY, 2, 599880, 8);
	char c1[PMM_ID_MAX], c2[PMM_ID_MAX];

	snprintf(c1, sizeof(c1), "%s", o1->cid);
	snprintf(c2, sizeof(c2), "%s", o2->cid);
	o1->state = o2->state = ORD_OPEN;
	ord_cancel_sent(o1, R0);
	ord_cancel_sent(o2, R0);
	/* -2011: already gone (filled, expired): drop, no event */
	ord_on_cancel_err(&b, c1, -2011, "Unknown order sent.", T0, &e);
	ck_assert_ptr_null(ord_find(&b, c1));
	ck_assert(e.changed && !e.has_event);
	ck_assert_uint_eq(c.canceled, 0);
	/* refused for another reason: open again, not retried at once */
	memset(&e, 0, sizeof(e));
	ord_on_cancel_err(&b, c2, -1015, "Too many new orders", T0, &e);
	ck_assert_int_eq(ord_find(&b, c2)->state, ORD_OPEN);
	ck_assert_int_eq(ord_find(&b, c2)->retry_at_ns,
	    T0 + ORD_CANCEL_RETRY_NS);
	ord_cancel_sent(ord_find(&b, c2), R0);
	ord_on_cancel_not_sent(&b, c2, T0, &e);
	ck_assert_int_eq(ord_find(&b, c2)->state, ORD_OPEN);
}
END_TEST

START_TEST(test_place_rejected)
{
	struct ord *o = add(STRAT_SELL, 1, 599950, 9);
	char cid[PMM_ID_MAX];

	snprintf(cid, sizeof(cid), "%s", o->cid);
	ord_on_place_err(&b, cid, -5022, "Due to the order could not be "
	    "executed as maker, the Post Only order will be rejected.", &c,
	    &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert(e.has_event && e.ev.kind == ORD_REJECTED);
	ck_assert_int_eq(e.ev.code, -5022);
	ck_assert_str_eq(e.ev.client_id, cid);
	ck_assert(strstr(e.ev.text, "Post Only") != NULL);
	ck_assert_uint_eq(c.rejects, 1);
	ck_assert_uint_eq(c.placed, 0);
	/* a second answer about it changes nothing */
	memset(&e, 0, sizeof(e));
	ord_on_place_err(&b, cid, -5022, "again", &c, &e);
	ck_assert_uint_eq(c.rejects, 1);
	ck_assert(!e.changed);
	/* never sent: it cannot exist, gone without a reject */
	o = add(STRAT_SELL, 1, 599950, 10);
	snprintf(cid, sizeof(cid), "%s", o->cid);
	ord_on_place_not_sent(&b, cid, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert_uint_eq(c.rejects, 1);
}
END_TEST

START_TEST(test_resolve_table)
{
	ck_assert_int_eq(ord_resolve(BN_OUT_OK, 200, 0, BN_ST_NEW),
	    ORD_RES_OPEN);
	ck_assert_int_eq(ord_resolve(BN_OUT_OK, 200, 0,
	    BN_ST_PARTIALLY_FILLED), ORD_RES_OPEN);
	ck_assert_int_eq(ord_resolve(BN_OUT_OK, 200, 0, BN_ST_FILLED),
	    ORD_RES_GONE);
	ck_assert_int_eq(ord_resolve(BN_OUT_OK, 200, 0, BN_ST_CANCELED),
	    ORD_RES_GONE);
	ck_assert_int_eq(ord_resolve(BN_OUT_OK, 200, 0, BN_ST_EXPIRED),
	    ORD_RES_GONE);
	ck_assert_int_eq(ord_resolve(BN_OUT_OK, 200, 0, BN_ST_UNKNOWN),
	    ORD_RES_RETRY);
	/* the exchange never heard of it: it was not placed */
	ck_assert_int_eq(ord_resolve(BN_OUT_REJECTED, 400, -2013,
	    BN_ST_UNKNOWN), ORD_RES_GONE);
	/* the question failed too: ask again, never assume */
	ck_assert_int_eq(ord_resolve(BN_OUT_REJECTED, 400, -1021,
	    BN_ST_UNKNOWN), ORD_RES_RETRY);
	ck_assert_int_eq(ord_resolve(BN_OUT_REJECTED, 429, -1003,
	    BN_ST_UNKNOWN), ORD_RES_RETRY);
	ck_assert_int_eq(ord_resolve(BN_OUT_UNKNOWN, 503, -1000,
	    BN_ST_UNKNOWN), ORD_RES_RETRY);
	ck_assert_int_eq(ord_resolve(BN_OUT_NOT_SENT, 0, 0, BN_ST_UNKNOWN),
	    ORD_RES_RETRY);
}
END_TEST

/* A timed-out placement: the rung stays busy (PENDING to the strategy),
 * the exchange is asked, and only its answer frees the rung. */
START_TEST(test_unknown_placement)
{
	struct ord *o = add(STRAT_BUY, 1, 599940, 11);
	char cid[PMM_ID_MAX], due[4][PMM_ID_MAX];
	struct strat_order so[ORD_MAX];
	struct bn_order a;

	snprintf(cid, sizeof(cid), "%s", o->cid);
	ord_on_unknown(&b, cid, T0, &e);
	ck_assert(ord_find(&b, cid)->unknown);
	ck_assert(ord_rung_pending(&b, STRAT_BUY, 1));
	ord_to_strat(&b, 0.001, so, ORD_MAX);
	ck_assert_int_eq(so[0].state, STRAT_OS_PENDING);
	ck_assert_int_eq(ord_queries_due(&b, T0 - 1, due, 4), 0);
	ck_assert_int_eq(ord_queries_due(&b, T0, due, 4), 1);
	ck_assert_str_eq(due[0], cid);
	ord_query_sent(&b, cid, T0);
	ck_assert_int_eq(ord_queries_due(&b, T0 + 100 * NS_PER_S, due, 4), 0);
	/* the question failed: asked again a second later */
	ord_on_query(&b, cid, BN_OUT_UNKNOWN, 503, -1000, NULL, T0, R0, &c,
	    &e);
	ck_assert(ord_find(&b, cid)->unknown);
	ck_assert_int_eq(ord_queries_due(&b, T0 + ORD_QUERY_RETRY_NS - 1, due,
	    4), 0);
	ck_assert_int_eq(ord_queries_due(&b, T0 + ORD_QUERY_RETRY_NS, due, 4),
	    1);
	/* it is on the book */
	memset(&e, 0, sizeof(e));
	a = ans(cid, BN_ST_NEW, 0);
	ord_on_query(&b, cid, BN_OUT_OK, 200, 0, &a, T0, R0, &c, &e);
	ck_assert(!ord_find(&b, cid)->unknown);
	ck_assert_int_eq(ord_find(&b, cid)->state, ORD_OPEN);
	ck_assert(e.has_event && e.ev.kind == ORD_PLACED);
	ck_assert_uint_eq(c.placed, 1);
	ck_assert(!ord_rung_pending(&b, STRAT_BUY, 1));
}
END_TEST

START_TEST(test_unknown_never_placed)
{
	struct ord *o = add(STRAT_SELL, 2, 600100, 12);
	char cid[PMM_ID_MAX];

	snprintf(cid, sizeof(cid), "%s", o->cid);
	ord_on_unknown(&b, cid, T0, &e);
	ord_on_query(&b, cid, BN_OUT_REJECTED, 400, -2013,
	    NULL, T0, R0, &c, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert_uint_eq(c.placed + c.rejects + c.canceled, 0);
}
END_TEST

/* A cancel of unknown fate: CANCELING stays; the answer decides. */
START_TEST(test_unknown_cancel)
{
	struct ord *o = add(STRAT_BUY, 2, 599880, 13);
	struct strat_order so[ORD_MAX];
	char cid[PMM_ID_MAX];
	struct bn_order a;

	snprintf(cid, sizeof(cid), "%s", o->cid);
	o->state = ORD_OPEN;
	o->announced = true;
	ord_cancel_sent(o, R0);
	ord_on_unknown(&b, cid, T0, &e);
	ord_to_strat(&b, 0.001, so, ORD_MAX);
	ck_assert_int_eq(so[0].state, STRAT_OS_CANCELING);
	/* still there: open again, the strategy decides anew */
	a = ans(cid, BN_ST_NEW, 0);
	ord_on_query(&b, cid, BN_OUT_OK, 200, 0, &a, T0, R0, &c, &e);
	ck_assert_int_eq(ord_find(&b, cid)->state, ORD_OPEN);
	ck_assert(!ord_find(&b, cid)->unknown);
	/* ... or cancelled after all */
	ord_cancel_sent(ord_find(&b, cid), R0);
	ord_on_unknown(&b, cid, T0, &e);
	memset(&e, 0, sizeof(e));
	a = ans(cid, BN_ST_CANCELED, 0);
	ord_on_query(&b, cid, BN_OUT_OK, 200, 0, &a, T0, R0, &c, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert(e.has_event && e.ev.kind == ORD_CANCELED);
	ck_assert_uint_eq(c.canceled, 1);
}
END_TEST

/* The risk service's MARKET flatten (not ours): a fill, level 0, side
 * from S, and the table untouched. */
START_TEST(test_foreign_fill)
{
	struct bn_order_update u;

	add(STRAT_BUY, 1, 599940, 14);
	u = upd("web_flatten_123", BN_EX_TRADE, BN_ST_FILLED, 0.004, 0.004);
	u.side = BN_SIDE_SELL;
	u.m = 0;
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert(e.has_fill && !e.has_event && !e.stray);
	ck_assert_int_eq(e.fill.level, 0);
	ck_assert_int_eq(e.fill.side, STRAT_SELL);
	ck_assert(!e.fill.maker && e.fill.qty == 0.004);
	ck_assert_str_eq(e.fill.client_id, "web_flatten_123");
	ck_assert_int_eq(b.n, 1);
	ck_assert_uint_eq(c.fills, 1);
	/* another instance's id is not ours either, even with our prefix */
	memset(&e, 0, sizeof(e));
	u = upd("ordt2-B1-1", BN_EX_NEW, BN_ST_NEW, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert(!e.stray && !e.has_event && !e.has_fill);
}
END_TEST

START_TEST(test_stray_and_expired)
{
	struct bn_order_update u;
	char cid[PMM_ID_MAX];
	struct ord *o;

	/* ours, resting, unknown to the table: to be cancelled */
	u = upd("ordt-B2-zz", BN_EX_NEW, BN_ST_NEW, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert(e.stray);
	ck_assert_str_eq(e.stray_cid, "ordt-B2-zz");
	ck_assert_int_eq(b.n, 0);
	/* expired by the exchange (e.g. its countdown): gone, said so */
	o = add(STRAT_SELL, 3, 600200, 15);
	snprintf(cid, sizeof(cid), "%s", o->cid);
	o->state = ORD_OPEN;
	memset(&e, 0, sizeof(e));
	u = upd(cid, BN_EX_EXPIRED, BN_ST_EXPIRED, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert_int_eq(b.n, 0);
	ck_assert(e.has_event && e.ev.kind == ORD_EXPIRED);
	/* an amendment is not a status change */
	o = add(STRAT_SELL, 3, 600200, 16);
	o->state = ORD_OPEN;
	snprintf(cid, sizeof(cid), "%s", o->cid);
	memset(&e, 0, sizeof(e));
	u = upd(cid, BN_EX_AMENDMENT, BN_ST_NEW, 0, 0);
	ord_on_update(&b, &u, INST, R0, &c, &e);
	ck_assert(!e.has_event && !e.changed);
}
END_TEST

START_TEST(test_views)
{
	struct shm_orders rec;
	struct ord *o;

	memset(&rec, 0xff, sizeof(rec));
	add(STRAT_BUY, 1, 599940, 17);
	o = add(STRAT_SELL, 1, 600060, 18);
	o->state = ORD_CANCELING;
	o->order_id = 42;
	o->filled = 0.001;
	ord_to_shm(&b, &rec);
	ck_assert_uint_eq(rec.n_open, 2);
	ck_assert_str_eq(rec.open[0].client_id, b.o[0].cid);
	ck_assert_int_eq(rec.open[0].status, ORD_PENDING);
	ck_assert_int_eq(rec.open[1].status, ORD_CANCELING);
	ck_assert_int_eq(rec.open[1].side, STRAT_SELL);
	ck_assert_int_eq(rec.open[1].level, 1);
	ck_assert_int_eq(rec.open[1].order_id, 42);
	ck_assert(rec.open[1].price == 60006.0 && rec.open[1].qty == 0.002);
	ck_assert(rec.open[1].filled == 0.001);
	ck_assert_int_eq(rec.open[1].ts_ns, R0);
	ck_assert_uint_eq(rec.open[2].order_id, 0);	/* cleared */
	ck_assert_int_eq(ord_count_state(&b, ORD_CANCELING), 1);
	/* removal keeps the order of the others */
	add(STRAT_BUY, 2, 599880, 19);
	ord_remove(&b, &b.o[1]);
	ck_assert_int_eq(b.n, 2);
	ck_assert_int_eq(b.o[0].level, 1);
	ck_assert_int_eq(b.o[1].level, 2);
}
END_TEST

START_TEST(test_table_full)
{
	int i;

	for (i = 0; i < ORD_MAX; i++)
		ck_assert_ptr_nonnull(add(i % 2, 1 + i % 20, 599000 + i,
		    100 + (uint64_t)i));
	ck_assert_ptr_null(add(STRAT_BUY, 1, 599000, 999));
	ck_assert_int_eq(b.n, ORD_MAX);
}
END_TEST

static Suite *
ord_book_suite(void)
{
	Suite *s = suite_create("ord_book");
	TCase *tc = tcase_create("book");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_rest_ack_then_stream);
	tcase_add_test(tc, test_stream_first_then_rest);
	tcase_add_test(tc, test_filled_before_answer);
	tcase_add_test(tc, test_partial_fill_remaining);
	tcase_add_test(tc, test_cancel_rest_then_stream);
	tcase_add_test(tc, test_cancel_stream_then_rest);
	tcase_add_test(tc, test_cancel_errors);
	tcase_add_test(tc, test_place_rejected);
	tcase_add_test(tc, test_resolve_table);
	tcase_add_test(tc, test_unknown_placement);
	tcase_add_test(tc, test_unknown_never_placed);
	tcase_add_test(tc, test_unknown_cancel);
	tcase_add_test(tc, test_foreign_fill);
	tcase_add_test(tc, test_stray_and_expired);
	tcase_add_test(tc, test_views);
	tcase_add_test(tc, test_table_full);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ord_book_suite());
}
