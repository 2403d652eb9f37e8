/*
 * strat_fixture.h — what the strategy suites share: a BTCUSDT-like symbol
 * (tick 0.1, step 0.001, minQty 0.001, MIN_NOTIONAL 100) quoted at mid
 * 60000.0 (bid 59999.9, ask 60000.1), 3 levels of 150 USDT (one order is
 * 0.0025 BTC at the mid: q = position / 0.0025), a 1000 USDT hard limit
 * (0.016667 BTC at the mid) with the soft limit at 0.8 of it, and the
 * model parameters sigma 2 bp/sqrt(s), A 20/s, k 1/bp, gamma 0.1.
 */
#ifndef PMM_STRAT_FIXTURE_H
#define PMM_STRAT_FIXTURE_H

#include <check.h>
#include <math.h>
#include <string.h>

#include "strat.h"

static const struct strat_impl	*impl;
static struct strat_in		 in;
static struct strat_out		 out;

static void
fx_setup(const char *name)
{
	char err[256];

	impl = strat_find(name, err, sizeof(err));
	ck_assert_msg(impl != NULL, "%s", err);
	memset(&in, 0, sizeof(in));
	memset(&out, 0xa5, sizeof(out));	/* eval must set every count */
	in.mkt.bid = 59999.9;
	in.mkt.ask = 60000.1;
	in.mkt.mid = 60000.0;
	in.cfg.levels = 3;
	in.cfg.qty_usdt = 150;
	in.cfg.offset_pct = 0.01;
	in.cfg.refresh_mode = CFG_REFRESH_REPLACE;
	in.cfg.tolerance_pct = 0.005;
	in.cfg.inv.limit_usdt = 1000;
	in.cfg.inv.target_usdt = 0;
	in.cfg.inv.soft_ratio = 0.8;
	in.cfg.skew.price_skew_pct = 0.02;
	in.cfg.skew.size_skew = 0.5;
	in.cfg.as.gamma = 0.1;
	in.cfg.as.horizon_s = 1;
	in.cfg.glft.gamma = 0.1;
	in.est.sigma_bp = 2;
	in.est.A = 20;
	in.est.k = 1;
	in.flt.tick = 0.1;
	in.flt.step = 0.001;
	in.flt.min_qty = 0.001;
	in.flt.min_notional = 100;
	in.instance = "t";
	in.next_seq = 1;
	in.refresh = true;
}

static const struct strat_quote *
fx_rung(int side, int level)
{
	int i;

	for (i = 0; i < out.n_desired; i++)
		if (out.desired[i].side == side && out.desired[i].level == level)
			return &out.desired[i];
	return NULL;
}

static int
fx_count(int side)
{
	int i, n = 0;

	for (i = 0; i < out.n_desired; i++)
		n += out.desired[i].side == side;
	return n;
}

static double
fx_side_qty(int side)
{
	double q = 0;
	int i;

	for (i = 0; i < out.n_desired; i++)
		if (out.desired[i].side == side)
			q += out.desired[i].qty;
	return q;
}

/* "B1 59988.2/0.002 S1 ..." of the desired ladder, in its order. */
static void
fx_ladder(char *buf, size_t len)
{
	const struct strat_quote *q;
	char px[32], qty[32];
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < out.n_desired && off < len; i++) {
		q = &out.desired[i];
		strat_fmt(px, sizeof(px), q->px_ticks, in.flt.tick);
		strat_fmt(qty, sizeof(qty), q->qty_steps, in.flt.step);
		off += (size_t)snprintf(buf + off, len - off, "%s%c%d %s/%s",
		    i ? " " : "", q->side == STRAT_BUY ? 'B' : 'S', q->level,
		    px, qty);
	}
}

#define FX_LADDER(want) do {						\
	char got_[512];							\
	fx_ladder(got_, sizeof(got_));					\
	ck_assert_msg(strcmp(got_, (want)) == 0, "ladder\n got  %s\n want %s", \
	    got_, (want));						\
} while (0)

/*
 * What every ladder must be, whatever the strategy: on the grid with its
 * filters met, post-only (a bid below the best ask, an ask above the best
 * bid), our bids below our asks, and the side that grows the position
 * inside the soft limit when all of it fills.
 */
static void
fx_invariants(void)
{
	int64_t bb = llround(in.mkt.bid / in.flt.tick);
	int64_t ba = llround(in.mkt.ask / in.flt.tick);
	double soft = in.cfg.inv.soft_ratio * in.cfg.inv.limit_usdt /
	    in.mkt.mid, hi_bid = 0, lo_ask = INFINITY;
	const struct strat_quote *q;
	int i;

	for (i = 0; i < out.n_desired; i++) {
		q = &out.desired[i];
		ck_assert_int_gt(q->qty_steps, 0);
		ck_assert(q->qty >= in.flt.min_qty - 1e-12);
		ck_assert(q->qty * q->price >= in.flt.min_notional - 1e-9);
		ck_assert(fabs(q->price - q->px_ticks * in.flt.tick) < 1e-9);
		if (q->side == STRAT_BUY) {
			ck_assert_int_lt(q->px_ticks, ba);
			hi_bid = fmax(hi_bid, q->price);
		} else {
			ck_assert_int_gt(q->px_ticks, bb);
			lo_ask = fmin(lo_ask, q->price);
		}
	}
	ck_assert(hi_bid < lo_ask);
	if (in.cfg.inv.limit_usdt > 0) {
		ck_assert(in.position + fx_side_qty(STRAT_BUY) <=
		    fmax(soft, in.position) + 1e-12);
		ck_assert(in.position - fx_side_qty(STRAT_SELL) >=
		    fmin(-soft, in.position) - 1e-12);
	}
}

#endif
