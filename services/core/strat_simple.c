/*
 * strat_simple.c — "simple_mm": a symmetric ladder around the mid.
 *
 * Level k (1..levels) bids at mid x (1 - k x offset/100) rounded DOWN to the
 * tick and asks at mid x (1 + k x offset/100) rounded UP, each for
 * qty_usdt / price rounded DOWN to the step — never worth more than
 * qty_usdt unless the exchange's minimum needs one step more (see
 * strat_qty_steps()). Rungs come
 * out innermost first (B1, S1, B2, S2, ...) so a caller short of rate
 * limit places what matters most first.
 *
 * Clamping: a post-only bid at or above the best ask (or ask at or below
 * the best bid) would be rejected (-5022). With mid between bid and ask and
 * the rounding above this cannot happen; it can when the mid given is
 * outside the book (another mid source, a book that moved). Such a bid is
 * pulled down to best ask - 1 tick and such an ask up to best bid + 1 tick,
 * and counted in n_clamped. A crossed or locked book (bid >= ask) is not
 * quoted at all. A rung whose bid would be at or below zero is dropped.
 */
#include "strat.h"

#include <math.h>

static bool
strat_simple_book_ok(const struct strat_market *m)
{
	return isfinite(m->bid) && isfinite(m->ask) && isfinite(m->mid) &&
	    m->bid > 0 && m->ask > 0 && m->mid > 0 && m->bid < m->ask;
}

static void
strat_simple_rung(const struct strat_in *in, struct strat_out *out,
    int side, int level, int64_t px_ticks)
{
	struct strat_quote *q;
	int64_t steps;

	if (px_ticks <= 0 ||
	    (steps = strat_qty_steps(in->cfg.qty_usdt, px_ticks, &in->flt)) == 0) {
		out->n_skipped++;
		return;
	}
	q = &out->desired[out->n_desired++];
	q->side = (uint8_t)side;
	q->level = (uint8_t)level;
	q->px_ticks = px_ticks;
	q->qty_steps = steps;
	q->price = (double)px_ticks * in->flt.tick;
	q->qty = (double)steps * in->flt.step;
	q->client_id[0] = '\0';
}

void
strat_simple_ladder(const struct strat_in *in, struct strat_out *out)
{
	const struct strat_market *m = &in->mkt;
	int64_t best_bid, best_ask, b, a;
	double d;
	int k;

	if (in->cfg.paused) {
		out->why = STRAT_WHY_PAUSED;
		return;
	}
	if (m->stale) {
		out->why = STRAT_WHY_STALE;
		return;
	}
	if (!strat_simple_book_ok(m)) {
		out->why = STRAT_WHY_BAD_BOOK;
		return;
	}
	best_bid = strat_ticks_near(m->bid, in->flt.tick);
	best_ask = strat_ticks_near(m->ask, in->flt.tick);
	for (k = 1; k <= in->cfg.levels; k++) {
		d = k * in->cfg.offset_pct / 100.0;
		b = strat_ticks_down(m->mid * (1.0 - d), in->flt.tick);
		a = strat_ticks_up(m->mid * (1.0 + d), in->flt.tick);
		if (b > best_ask - 1) {
			b = best_ask - 1;
			out->n_clamped++;
		}
		if (a < best_bid + 1) {
			a = best_bid + 1;
			out->n_clamped++;
		}
		strat_simple_rung(in, out, STRAT_BUY, k, b);
		strat_simple_rung(in, out, STRAT_SELL, k, a);
	}
}
