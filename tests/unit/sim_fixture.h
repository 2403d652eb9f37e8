/*
 * sim_fixture.h — shared fixture for the pmm-exchange core tests: a fake
 * clock, an event recorder, and an engine with a hand-driven outside
 * market (EXCH_MKT_MANUAL) so every test is deterministic.
 */
#ifndef PMM_SIM_FIXTURE_H
#define PMM_SIM_FIXTURE_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exch.h"
#include "sim_int.h"

#define T0_NS		1723161600000000000LL	/* 2024-08-09 00:00:00 UTC */
#define REC_MAX		4096

struct tfix {
	int64_t	now;			/* the fake clock, ns */
	struct exch *ex;
	struct exch_account *a1, *a2;
	int	nmkt, nuser;
	struct exch_mkt_event mkt[REC_MAX];
	struct exch_user_event user[REC_MAX];
};

static inline int64_t
tfix_clock(void *arg)
{
	return ((struct tfix *)arg)->now;
}

static inline void
tfix_on_market(void *arg, const struct exch_mkt_event *ev)
{
	struct tfix *f = arg;

	if (f->nmkt < REC_MAX) {
		f->mkt[f->nmkt] = *ev;
		/* pointers die with the callback */
		f->mkt[f->nmkt].raw = NULL;
		if (ev->type == EXCH_EV_DEPTH)
			f->mkt[f->nmkt].depth.b = f->mkt[f->nmkt].depth.a = NULL;
		f->nmkt++;
	}
}

static inline void
tfix_on_user(void *arg, const struct exch_user_event *ev)
{
	struct tfix *f = arg;

	if (f->nuser < REC_MAX)
		f->user[f->nuser++] = *ev;
}

/* Engine options for a manual BTCUSDT market with two accounts. */
static inline void
tfix_opts(struct tfix *f, struct exch_opts *o)
{
	exch_opts_default(o);
	o->nsymbols = 0;
	exch_opts_add_symbol(o, "BTCUSDT");
	exch_opts_add_account(o, "key1", "secret1", 1000000);
	exch_opts_add_account(o, "key2", "secret2", 1000000);
	o->market = EXCH_MKT_MANUAL;
	o->clock = tfix_clock;
	o->clock_arg = f;
}

static inline void
tfix_start_opts(struct tfix *f, struct exch_opts *o)
{
	struct exch_cb cb = { tfix_on_market, tfix_on_user, f };

	f->ex = exch_new(o, &cb);
	ck_assert_ptr_nonnull(f->ex);
	f->a1 = exch_account_by_key(f->ex, "key1");
	f->a2 = exch_account_by_key(f->ex, "key2");
}

static inline struct tfix *
tfix_new(void)
{
	struct tfix *f = calloc(1, sizeof(*f));
	struct exch_opts o;

	ck_assert_ptr_nonnull(f);
	f->now = T0_NS;
	tfix_opts(f, &o);
	tfix_start_opts(f, &o);
	return f;
}

static inline void
tfix_free(struct tfix *f)
{
	exch_free(f->ex);
	free(f);
}

/* Outside book: bid/ask with sizes, plus 4 deeper levels of 1 BTC each
 * 0.1 apart; the mark is the mid. */
static inline void
tfix_book(struct tfix *f, double bid, double bq, double ask, double aq)
{
	struct exch_level b[5], a[5];
	int i;

	b[0].price = bid;
	b[0].qty = bq;
	a[0].price = ask;
	a[0].qty = aq;
	for (i = 1; i < 5; i++) {
		b[i].price = bid - 0.1 * i;
		b[i].qty = 1;
		a[i].price = ask + 0.1 * i;
		a[i].qty = 1;
	}
	ck_assert_int_eq(exch_ext_book(f->ex, 0, b, 5, a, 5), 0);
	ck_assert_int_eq(exch_ext_mark(f->ex, 0, (bid + ask) / 2), 0);
}

static inline struct exch_order_req
tfix_req(enum exch_side side, enum exch_otype type, enum exch_tif tif,
    double qty, double price)
{
	struct exch_order_req r;

	memset(&r, 0, sizeof(r));
	r.symbol = "BTCUSDT";
	r.side = side;
	r.type = type;
	r.tif = tif;
	r.tif_set = type == EXCH_LIMIT;
	r.quantity = qty;
	r.price = price;
	return r;
}

/* Place and expect success. */
static inline struct exch_order
tfix_place(struct tfix *f, struct exch_account *a, enum exch_side side,
    enum exch_otype type, enum exch_tif tif, double qty, double price)
{
	struct exch_order_req r = tfix_req(side, type, tif, qty, price);
	struct exch_order o;
	struct exch_err e;

	memset(&e, 0, sizeof(e));
	if (exch_order_place(f->ex, a, &r, &o, &e) != 0)
		ck_abort_msg("place failed: %d %s", e.code, e.msg);
	return o;
}

/* Place and expect the error code; returns the message. */
static inline const char *
tfix_reject(struct tfix *f, struct exch_account *a,
    const struct exch_order_req *r, int code)
{
	static struct exch_err e;
	struct exch_order o;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(exch_order_place(f->ex, a, r, &o, &e), -1);
	ck_assert_msg(e.code == code, "want %d, got %d %s", code, e.code, e.msg);
	return e.msg;
}

/* The last ORDER_TRADE_UPDATE for account a with execution type x. */
static inline const struct exch_order_update *
tfix_last_ou(struct tfix *f, struct exch_account *a, enum exch_exec x)
{
	int i;

	for (i = f->nuser - 1; i >= 0; i--)
		if (f->user[i].type == EXCH_EV_ORDER_UPDATE &&
		    f->user[i].acct == a && f->user[i].ou.x == x)
			return &f->user[i].ou;
	return NULL;
}

static inline int
tfix_count_ou(struct tfix *f, struct exch_account *a, enum exch_exec x)
{
	int i, n = 0;

	for (i = 0; i < f->nuser; i++)
		if (f->user[i].type == EXCH_EV_ORDER_UPDATE &&
		    f->user[i].acct == a && f->user[i].ou.x == x)
			n++;
	return n;
}

static inline double
tfix_pos(struct tfix *f, struct exch_account *a)
{
	struct exch_position p;
	struct exch_err e;

	ck_assert_int_eq(exch_position(f->ex, a, "BTCUSDT", &p, &e), 0);
	return p.position_amt;
}

#define ck_assert_near(a, b, eps) \
	ck_assert_msg(fabs((double)(a) - (double)(b)) <= (eps), \
	    "%s = %.10g, want %.10g", #a, (double)(a), (double)(b))

#endif
