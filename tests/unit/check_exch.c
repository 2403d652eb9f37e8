/*
 * check_exch.c — the engine's account history: the bounded rings it is
 * kept in, GET /fapi/v1/userTrades' selection (fromId paging, start/end
 * windows, orderId, limit, the -1128/-1127/-1130 errors) with every trade
 * equal to the ORDER_TRADE_UPDATE of its fill, and GET /fapi/v1/allOrders
 * over open and closed orders, and GET /fapi/v1/income (every change of
 * the wallet, by type, time window, limit and page). A hand-driven market
 * on a fake clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_fixture.h"
#include "check_run.h"

#define MS		1000000LL	/* ns */
#define DAY_MS		(24 * 3600 * 1000LL)

/* ------------------------------------------------------------------ */
/* the ring on its own                                                 */

START_TEST(test_ring_grows_then_wraps)
{
	struct acct_ring r;
	int i, *p;

	acct_ring_init(&r, sizeof(int), 100);
	ck_assert_ptr_null(acct_ring_at(&r, 0));
	for (i = 0; i < 250; i++) {
		p = acct_ring_push(&r);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(*p, 0);	/* handed out zeroed */
		*p = i;
		ck_assert_int_le(r.cap, 100);
	}
	ck_assert_int_eq(r.n, 100);
	ck_assert_int_eq(r.cap, 100);
	ck_assert_uint_eq(r.dropped, 150);
	/* oldest first: the newest 100 in push order */
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(*(int *)acct_ring_at(&r, i), 150 + i);
	ck_assert_ptr_null(acct_ring_at(&r, 100));
	ck_assert_ptr_null(acct_ring_at(&r, -1));
	acct_ring_free(&r);
}
END_TEST

/* Memory follows use: a few elements do not allocate the maximum. */
START_TEST(test_ring_lazy)
{
	struct acct_ring r;
	int i;

	acct_ring_init(&r, 64, 1000000);
	ck_assert_int_eq(r.cap, 0);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(acct_ring_push(&r));
	ck_assert_int_lt(r.cap, 1000);
	ck_assert_int_eq(r.n, 3);
	acct_ring_free(&r);
	acct_ring_init(&r, 8, 0);
	ck_assert_ptr_null(acct_ring_push(&r));
	acct_ring_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the engine                                                          */

static struct tfix *f;

static void
setup(void)
{
	f = tfix_new();
	tfix_book(f, 60000.0, 2, 60000.1, 2);
}

static void
teardown(void)
{
	tfix_free(f);
}

/* A taker fill of a1, buying and selling in turn so PnL is realized;
 * the clock moves a second first. */
static struct exch_order
taker_fill(int i)
{
	f->now += 1000 * MS;
	return tfix_place(f, f->a1, i % 2 ? EXCH_SELL : EXCH_BUY, EXCH_MARKET,
	    EXCH_GTC, 0.01, 0);
}

static int
trades(struct exch_hist_query *q, struct exch_trade *out, int max)
{
	struct exch_err e;
	int n;

	memset(&e, 0, sizeof(e));
	n = exch_user_trades(f->ex, f->a1, q, out, max, &e);
	ck_assert_msg(n >= 0, "userTrades: %d %s", e.code, e.msg);
	return n;
}

static int
trades_err(struct exch_hist_query *q)
{
	struct exch_trade t[4];
	struct exch_err e;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(exch_user_trades(f->ex, f->a1, q, t, 4, &e), -1);
	ck_assert_int_eq(e.http, 400);
	return e.code;
}

/* Every fill's ORDER_TRADE_UPDATE and its userTrades element agree. */
START_TEST(test_trades_equal_stream)
{
	struct exch_hist_query q;
	struct exch_trade t[64];
	struct exch_order o;
	int i, n, k = 0;

	for (i = 0; i < 6; i++)
		taker_fill(i);
	/* and a maker fill: a bid at 60000.0 behind 2 BTC, traded through */
	f->now += 1000 * MS;
	o = tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.02, 59999.9);
	f->now += 500 * MS;		/* the fill's time is not the order's */
	ck_assert_int_eq(exch_ext_trade(f->ex, 0, 59999.8, 0.5, true), 0);
	exch_hist_query_init(&q, "BTCUSDT");
	n = trades(&q, t, 64);
	ck_assert_int_eq(n, 7);
	for (i = 0; i < f->nuser; i++) {
		const struct exch_order_update *u = &f->user[i].ou;

		if (f->user[i].type != EXCH_EV_ORDER_UPDATE ||
		    u->x != EXCH_X_TRADE)
			continue;
		ck_assert_int_lt(k, n);
		ck_assert_int_eq(t[k].id, u->trade_id);
		ck_assert_int_eq(t[k].order_id, u->o.order_id);
		ck_assert(t[k].price == u->last_price);
		ck_assert(t[k].qty == u->last_qty);
		ck_assert(t[k].commission == u->commission);
		ck_assert(t[k].realized_pnl == u->realized_pnl);
		ck_assert_int_eq(t[k].maker, u->maker);
		ck_assert_int_eq(t[k].time_ms, f->user[i].T_ms);
		ck_assert_int_eq(t[k].side, u->o.side);
		ck_assert_str_eq(t[k].symbol, "BTCUSDT");
		ck_assert_near(t[k].quote_qty, t[k].price * t[k].qty, 1e-9);
		k++;
	}
	ck_assert_int_eq(k, n);
	/* the maker fill is last, and some sell realized PnL */
	ck_assert(t[6].maker);
	ck_assert_int_eq(t[6].order_id, o.order_id);
	ck_assert_near(t[6].price, 59999.9, 1e-9);
	ck_assert_int_eq(t[6].time_ms, o.time_ms + 500);
	ck_assert(t[1].realized_pnl != 0);
	/* ids rise */
	for (i = 1; i < n; i++)
		ck_assert_int_gt(t[i].id, t[i - 1].id);
	/* the other account has none */
	{
		struct exch_err e;

		ck_assert_int_eq(exch_user_trades(f->ex, f->a2, &q, t, 64, &e),
		    0);
	}
}
END_TEST

/* fromId pages: each id once, in order, however the pages fall. */
START_TEST(test_trades_from_id_paging)
{
	struct exch_hist_query q;
	struct exch_trade all[64], page[7];
	int i, n, got = 0;
	int64_t from;

	for (i = 0; i < 40; i++)
		taker_fill(i);
	exch_hist_query_init(&q, "BTCUSDT");
	q.limit = 1000;
	ck_assert_int_eq(trades(&q, all, 64), 40);
	/* a first run learns the newest id with limit=1 */
	q.limit = 1;
	ck_assert_int_eq(trades(&q, page, 7), 1);
	ck_assert_int_eq(page[0].id, all[39].id);
	from = all[0].id;
	q.limit = 7;
	do {
		q.from_id = from;
		n = trades(&q, page, 7);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(page[i].id, all[got].id);
			got++;
		}
		if (n > 0)
			from = page[n - 1].id + 1;
	} while (n == 7);
	ck_assert_int_eq(got, 40);
	/* fromId in the middle; and past the end */
	q.from_id = all[25].id;
	q.limit = 3;
	ck_assert_int_eq(trades(&q, page, 7), 3);
	ck_assert_int_eq(page[0].id, all[25].id);
	ck_assert_int_eq(page[2].id, all[27].id);
	q.from_id = all[39].id + 1;
	ck_assert_int_eq(trades(&q, page, 7), 0);
	/* without fromId: the most recent limit, ascending */
	exch_hist_query_init(&q, "BTCUSDT");
	q.limit = 5;
	ck_assert_int_eq(trades(&q, page, 7), 5);
	ck_assert_int_eq(page[0].id, all[35].id);
	ck_assert_int_eq(page[4].id, all[39].id);
}
END_TEST

/* startTime, endTime, both, the 7-day default, and orderId. */
START_TEST(test_trades_time_and_order)
{
	struct exch_hist_query q;
	struct exch_trade all[64], t[64];
	struct exch_order o;
	int i, n;

	for (i = 0; i < 10; i++)
		taker_fill(i);			/* 10 fills, a second apart */
	f->now += 8 * DAY_MS * MS;		/* a week and a day later */
	for (i = 10; i < 20; i++)
		o = taker_fill(i);
	exch_hist_query_init(&q, "BTCUSDT");
	q.from_id = 0;
	q.limit = 1000;
	ck_assert_int_eq(trades(&q, all, 64), 20);
	/* no bounds: only the last 7 days */
	exch_hist_query_init(&q, "BTCUSDT");
	n = trades(&q, t, 64);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(t[0].id, all[10].id);
	/* startTime alone: 7 days from it, the first limit */
	q.start_ms = all[2].time_ms;
	q.limit = 3;
	n = trades(&q, t, 64);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(t[0].id, all[2].id);
	q.limit = 500;
	ck_assert_int_eq(trades(&q, t, 64), 8);	/* not the later week */
	/* endTime alone: the last limit at or before it */
	exch_hist_query_init(&q, "BTCUSDT");
	q.end_ms = all[6].time_ms;
	q.limit = 2;
	n = trades(&q, t, 64);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(t[0].id, all[5].id);
	ck_assert_int_eq(t[1].id, all[6].id);
	/* both, inclusive */
	exch_hist_query_init(&q, "BTCUSDT");
	q.start_ms = all[12].time_ms;
	q.end_ms = all[14].time_ms;
	n = trades(&q, t, 64);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(t[0].id, all[12].id);
	ck_assert_int_eq(t[2].id, all[14].id);
	/* exactly 7 days is allowed */
	q.end_ms = q.start_ms + 7 * DAY_MS;
	ck_assert_int_eq(trades(&q, t, 64), 8);
	/* orderId: that order's fills only */
	exch_hist_query_init(&q, "BTCUSDT");
	q.order_id = o.order_id;
	n = trades(&q, t, 64);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(t[0].order_id, o.order_id);
	ck_assert_int_eq(t[0].id, all[19].id);
	/* max smaller than limit caps the answer */
	exch_hist_query_init(&q, "BTCUSDT");
	q.limit = 1000;
	ck_assert_int_eq(trades(&q, t, 4), 4);
}
END_TEST

START_TEST(test_trades_errors)
{
	struct exch_hist_query q;
	struct exch_trade t[4];
	struct exch_err e;

	taker_fill(0);
	exch_hist_query_init(&q, "BTCUSDT");
	q.from_id = 1;
	q.start_ms = 1;
	ck_assert_int_eq(trades_err(&q), -1128);
	q.start_ms = -1;
	q.end_ms = T0_NS / MS;
	ck_assert_int_eq(trades_err(&q), -1128);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(exch_user_trades(f->ex, f->a1, &q, t, 4, &e), -1);
	ck_assert_str_eq(e.msg, "Combination of optional parameters invalid.");
	exch_hist_query_init(&q, "BTCUSDT");
	q.start_ms = T0_NS / MS;
	q.end_ms = q.start_ms + 7 * DAY_MS + 1;
	ck_assert_int_eq(trades_err(&q), -1127);
	memset(&e, 0, sizeof(e));
	exch_user_trades(f->ex, f->a1, &q, t, 4, &e);
	ck_assert_str_eq(e.msg, "More than 7 days between startTime and "
	    "endTime.");
	exch_hist_query_init(&q, "BTCUSDT");
	q.limit = 0;
	ck_assert_int_eq(trades_err(&q), -1130);
	q.limit = 1001;
	ck_assert_int_eq(trades_err(&q), -1130);
	q.limit = 1000;
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(exch_user_trades(f->ex, f->a1, &q, t, 4, &e), 1);
	exch_hist_query_init(&q, "XRPUSDT");
	ck_assert_int_eq(trades_err(&q), -1121);
	exch_hist_query_init(&q, NULL);
	ck_assert_int_eq(trades_err(&q), -1102);
}
END_TEST

/* The history is bounded: the newest trades_keep fills stay. */
START_TEST(test_trades_bounded)
{
	struct exch_hist_query q;
	struct exch_trade t[64];
	struct exch_opts o;
	int i;

	tfix_free(f);
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->now = T0_NS;
	tfix_opts(f, &o);
	o.trades_keep = 16;
	tfix_start_opts(f, &o);
	tfix_book(f, 60000.0, 2, 60000.1, 2);
	for (i = 0; i < 50; i++)
		taker_fill(i);
	ck_assert_int_eq(f->a1->trades.n, 16);
	ck_assert_int_eq(f->a1->trades.cap, 16);
	exch_hist_query_init(&q, "BTCUSDT");
	q.from_id = 0;
	q.limit = 1000;
	ck_assert_int_eq(trades(&q, t, 64), 16);
	/* the newest: the last one is the last stream fill */
	ck_assert_int_eq(t[15].id,
	    tfix_last_ou(f, f->a1, EXCH_X_TRADE)->trade_id);
	for (i = 1; i < 16; i++)
		ck_assert_int_eq(t[i].id, t[i - 1].id + 1);
}
END_TEST

static int
all_orders(struct exch_account *a, struct exch_hist_query *q,
    struct exch_order *out, int max)
{
	struct exch_err e;
	int n;

	memset(&e, 0, sizeof(e));
	n = exch_all_orders(f->ex, a, q, out, max, &e);
	ck_assert_msg(n >= 0, "allOrders: %d %s", e.code, e.msg);
	return n;
}

static struct exch_order
place_cid(struct exch_account *a, enum exch_otype type, enum exch_tif tif,
    double price, const char *cid)
{
	struct exch_order_req r = tfix_req(EXCH_BUY, type, tif, 0.01, price);
	struct exch_order o;
	struct exch_err e;

	r.client_id = cid;
	f->now += 1000 * MS;
	memset(&e, 0, sizeof(e));
	if (exch_order_place(f->ex, a, &r, &o, &e) != 0)
		ck_abort_msg("place failed: %d %s", e.code, e.msg);
	return o;
}

/* Open, filled, canceled and expired orders, by id, with client ids. */
START_TEST(test_all_orders)
{
	struct exch_hist_query q;
	struct exch_order v[16], filled, canceled, open, expired, other, c;
	struct exch_err e;
	int n;

	filled = place_cid(f->a1, EXCH_MARKET, EXCH_GTC, 0, "pmm-filled");
	canceled = place_cid(f->a1, EXCH_LIMIT, EXCH_GTC, 59000, "pmm-cxl");
	open = place_cid(f->a1, EXCH_LIMIT, EXCH_GTC, 59001, "pmm-open");
	expired = place_cid(f->a1, EXCH_LIMIT, EXCH_IOC, 59002, "pmm-ioc");
	other = place_cid(f->a2, EXCH_LIMIT, EXCH_GTC, 59003, "pmm-other");
	ck_assert_int_eq(exch_order_cancel(f->ex, f->a1, "BTCUSDT",
	    canceled.order_id, NULL, &c, &e), 0);
	exch_hist_query_init(&q, "BTCUSDT");
	n = all_orders(f->a1, &q, v, 16);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(v[0].order_id, filled.order_id);
	ck_assert_str_eq(v[0].client_id, "pmm-filled");
	ck_assert_int_eq(v[0].status, EXCH_ST_FILLED);
	ck_assert_int_eq(v[1].order_id, canceled.order_id);
	ck_assert_str_eq(v[1].client_id, "pmm-cxl");
	ck_assert_int_eq(v[1].status, EXCH_ST_CANCELED);
	ck_assert_int_eq(v[2].order_id, open.order_id);
	ck_assert_int_eq(v[2].status, EXCH_ST_NEW);
	ck_assert_int_eq(v[3].order_id, expired.order_id);
	ck_assert_int_eq(v[3].status, EXCH_ST_EXPIRED);
	/* the other account sees only its own */
	ck_assert_int_eq(all_orders(f->a2, &q, v, 16), 1);
	ck_assert_int_eq(v[0].order_id, other.order_id);
	/* orderId: ids >= it, ascending, the first limit */
	q.from_id = canceled.order_id;
	q.limit = 2;
	ck_assert_int_eq(all_orders(f->a1, &q, v, 16), 2);
	ck_assert_int_eq(v[0].order_id, canceled.order_id);
	ck_assert_int_eq(v[1].order_id, open.order_id);
	/* no orderId: the most recent limit */
	exch_hist_query_init(&q, "BTCUSDT");
	q.limit = 2;
	ck_assert_int_eq(all_orders(f->a1, &q, v, 16), 2);
	ck_assert_int_eq(v[0].order_id, open.order_id);
	ck_assert_int_eq(v[1].order_id, expired.order_id);
	/* a time window on creation */
	exch_hist_query_init(&q, "BTCUSDT");
	q.start_ms = canceled.time_ms;
	q.end_ms = open.time_ms;
	ck_assert_int_eq(all_orders(f->a1, &q, v, 16), 2);
	q.end_ms = q.start_ms + 8 * DAY_MS;
	ck_assert_int_eq(exch_all_orders(f->ex, f->a1, &q, v, 16, &e), -1);
	ck_assert_int_eq(e.code, -1127);
	exch_hist_query_init(&q, "BTCUSDT");
	q.limit = 1001;
	ck_assert_int_eq(exch_all_orders(f->ex, f->a1, &q, v, 16, &e), -1);
	ck_assert_int_eq(e.code, -1130);
}
END_TEST

/* Closed orders are kept per account: another account's churn does not
 * push them out, and the ring is bounded by closed_keep. */
START_TEST(test_closed_per_account)
{
	struct exch_hist_query q;
	struct exch_order v[16], first, c;
	struct exch_opts o;
	struct exch_err e;
	char cid[32];
	int i;

	tfix_free(f);
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->now = T0_NS;
	tfix_opts(f, &o);
	o.closed_keep = 8;
	tfix_start_opts(f, &o);
	tfix_book(f, 60000.0, 2, 60000.1, 2);
	first = place_cid(f->a1, EXCH_LIMIT, EXCH_IOC, 59000, "a1-first");
	for (i = 0; i < 30; i++) {
		snprintf(cid, sizeof(cid), "a2-%d", i);
		place_cid(f->a2, EXCH_LIMIT, EXCH_IOC, 59000, cid);
	}
	ck_assert_int_eq(exch_order_query(f->ex, f->a1, "BTCUSDT",
	    first.order_id, NULL, &c, &e), 0);
	ck_assert_str_eq(c.client_id, "a1-first");
	ck_assert_int_eq(f->a2->closed.n, 8);
	exch_hist_query_init(&q, "BTCUSDT");
	ck_assert_int_eq(all_orders(f->a2, &q, v, 16), 8);
	ck_assert_str_eq(v[7].client_id, "a2-29");
	ck_assert_str_eq(v[0].client_id, "a2-22");
	/* the oldest of a2 are gone from GET /fapi/v1/order too */
	ck_assert_int_eq(exch_order_query(f->ex, f->a2, "BTCUSDT", 0, "a2-0",
	    &c, &e), -1);
	ck_assert_int_eq(e.code, -2013);
}
END_TEST

static int
income(struct exch_income_query *q, struct exch_income *out, int max)
{
	struct exch_err e;
	int n;

	memset(&e, 0, sizeof(e));
	n = exch_income(f->ex, f->a1, q, out, max, &e);
	ck_assert_msg(n >= 0, "income: %d %s", e.code, e.msg);
	return n;
}

/*
 * Income: each fill's COMMISSION (and REALIZED_PNL when not 0), each
 * funding payment and each deposit, equal to what the stream said, with
 * the wallet moving by exactly their sum.
 */
START_TEST(test_income)
{
	struct exch_income in[64];
	struct exch_income_query q;
	struct exch_trade t[8];
	struct exch_hist_query hq;
	struct exch_account_info ai;
	struct exch_err e;
	double w0, sum = 0, fees = 0, rp = 0;
	int n, i, k;

	exch_account_info(f->ex, f->a1, &ai);
	w0 = ai.total_wallet_balance;
	taker_fill(0);			/* buy 0.01: commission only */
	taker_fill(1);			/* sell 0.01: commission and PnL */
	taker_fill(0);			/* long again over 08:00 */
	f->now = T0_NS + 8 * 3600 * 1000 * MS;
	exch_step(f->ex, f->now);
	exch_account_deposit(f->ex, f->a1, 250);
	exch_income_query_init(&q);
	n = income(&q, in, 64);
	ck_assert_int_eq(n, 3 + 1 + 1 + 1);
	for (i = 0; i < n; i++) {
		sum += in[i].income;
		ck_assert_int_eq(in[i].tran_id, i + 1);
		if (i > 0)
			ck_assert_int_ge(in[i].time_ms, in[i - 1].time_ms);
	}
	exch_account_info(f->ex, f->a1, &ai);
	ck_assert_near(ai.total_wallet_balance, w0 + sum, 1e-9);
	/* the fills' records are their userTrades' commission and PnL */
	exch_hist_query_init(&hq, "BTCUSDT");
	ck_assert_int_eq(trades(&hq, t, 8), 3);
	for (k = 0; k < 3; k++) {
		fees += t[k].commission;
		rp += t[k].realized_pnl;
	}
	q.type = EXCH_INC_COMMISSION;
	ck_assert_int_eq(income(&q, in, 64), 3);
	for (i = 0, sum = 0; i < 3; i++) {
		ck_assert_str_eq(in[i].symbol, "BTCUSDT");
		ck_assert_int_eq(in[i].trade_id, t[i].id);
		ck_assert_int_eq(in[i].time_ms, t[i].time_ms);
		sum += in[i].income;
	}
	ck_assert_near(sum, -fees, 1e-12);
	q.type = EXCH_INC_REALIZED_PNL;
	ck_assert_int_eq(income(&q, in, 64), 1);
	ck_assert_near(in[0].income, rp, 1e-12);
	ck_assert(rp != 0);
	/* funding: 0.01 long x mark 60000.05 x 0.0001, at 08:00 */
	q.type = EXCH_INC_FUNDING_FEE;
	ck_assert_int_eq(income(&q, in, 64), 1);
	ck_assert(in[0].income == -0.06000005);
	ck_assert_int_eq(in[0].time_ms, T0_NS / MS + 8 * 3600 * 1000);
	ck_assert_int_eq(in[0].trade_id, 0);
	ck_assert_str_eq(exch_income_type_str(in[0].type), "FUNDING_FEE");
	q.type = EXCH_INC_TRANSFER;
	ck_assert_int_eq(income(&q, in, 64), 1);
	ck_assert_str_eq(in[0].symbol, "");
	ck_assert(in[0].income == 250);
	/* no start: the newest limit, oldest first; page 2 the ones before */
	exch_income_query_init(&q);
	q.limit = 2;
	ck_assert_int_eq(income(&q, in, 64), 2);
	ck_assert_int_eq(in[0].tran_id, 5);
	ck_assert_int_eq(in[1].tran_id, 6);
	q.page = 2;
	ck_assert_int_eq(income(&q, in, 64), 2);
	ck_assert_int_eq(in[0].tran_id, 3);
	/* with a start: the first limit from it */
	exch_income_query_init(&q);
	q.start_ms = T0_NS / MS + 2000;
	q.limit = 2;
	ck_assert_int_eq(income(&q, in, 64), 2);
	ck_assert_int_eq(in[0].time_ms, T0_NS / MS + 2000);
	q.end_ms = T0_NS / MS + 2000;
	q.limit = 100;
	ck_assert_int_eq(income(&q, in, 64), 2);	/* the sell's two */
	/* a symbol filter, and the errors */
	exch_income_query_init(&q);
	q.symbol = "BTCUSDT";
	ck_assert_int_eq(income(&q, in, 64), 5);
	q.symbol = "NOPE";
	ck_assert_int_eq(exch_income(f->ex, f->a1, &q, in, 64, &e), -1);
	ck_assert_int_eq(e.code, -1121);
	exch_income_query_init(&q);
	q.limit = 1001;
	ck_assert_int_eq(exch_income(f->ex, f->a1, &q, in, 64, &e), -1);
	ck_assert_int_eq(e.code, -1130);
	/* the other account has none */
	exch_income_query_init(&q);
	ck_assert_int_eq(exch_income(f->ex, f->a2, &q, in, 64, &e), 0);
	ck_assert_int_eq(exch_income_type_parse("FUNDING_FEE", &q.type), 0);
	ck_assert_int_eq(q.type, EXCH_INC_FUNDING_FEE);
	ck_assert_int_eq(exch_income_type_parse("funding_fee", &q.type), -1);
}
END_TEST

static Suite *
exch_suite(void)
{
	Suite *s = suite_create("exch");
	TCase *tc;

	tc = tcase_create("ring");
	tcase_add_test(tc, test_ring_grows_then_wraps);
	tcase_add_test(tc, test_ring_lazy);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("history");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_trades_equal_stream);
	tcase_add_test(tc, test_trades_from_id_paging);
	tcase_add_test(tc, test_trades_time_and_order);
	tcase_add_test(tc, test_trades_errors);
	tcase_add_test(tc, test_trades_bounded);
	tcase_add_test(tc, test_all_orders);
	tcase_add_test(tc, test_closed_per_account);
	tcase_add_test(tc, test_income);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(exch_suite());
}
