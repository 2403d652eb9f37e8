/*
 * strat_skew.c — "skew_mm": simple_mm's ladder, leaning against inventory.
 *
 * x = (position - target) / hard limit, in [-1, 1] (strat_inv_ratio()).
 *
 *  - Price skew: the whole ladder is built around
 *	r = mid x (1 - x x price_skew_percent / 100)
 *    instead of the mid, so a long book's asks come closer (it sells
 *    sooner) and its bids move away (it buys later); short, the mirror.
 *  - Size skew (Hummingbot's inventory skew, one-sided): the side that
 *    would take the position further from the target quotes
 *	quantity_per_order_usdt x (1 - size_skew x |x|)
 *    and the other side the full amount — the configured amount stays a
 *    ceiling, never a target to overshoot. A rung shrunk below the
 *    exchange's minimum is dropped rather than bumped up a step: a side
 *    meant to fade does fade.
 *  - The inventory guard (strat_inv_guard()) comes last: whatever the
 *    skews say, the resting orders of the growing side, all filled, keep
 *    |position| inside inventory.soft_limit_ratio of the hard limit.
 *
 * Level k: bid r x (1 - k x offset/100) rounded down, ask r x (1 + k x
 * offset/100) rounded up, post-only clamped (strat_put_rung()). At x = 0
 * and no position this is simple_mm's ladder to the tick.
 */
#include "strat.h"

#include <math.h>

/* qty_usdt of the side that grows |position - target|, shrunk. */
static double
strat_skew_size(const struct strat_in *in, int side, double x)
{
	double s = in->cfg.skew.size_skew;
	bool grows = (side == STRAT_BUY && x > 0) ||
	    (side == STRAT_SELL && x < 0);

	return grows ? in->cfg.qty_usdt * (1.0 - s * fabs(x)) : in->cfg.qty_usdt;
}

/* The growing side's shrunk rung: dropped, not bumped, below the minimum. */
static void
strat_skew_rung(const struct strat_in *in, struct strat_out *out, int side,
    int level, double px, double usdt)
{
	int n = out->n_desired;
	struct strat_quote *q;

	strat_put_rung(in, out, side, level, px, usdt);
	if (out->n_desired == n || usdt >= in->cfg.qty_usdt)
		return;
	q = &out->desired[n];
	if (q->qty * q->price > usdt * (1 + 1e-12) || q->qty_steps <= 0) {
		out->n_desired = n;
		out->n_skipped++;
	}
}

void
strat_skew_ladder(const struct strat_in *in, struct strat_out *out)
{
	double x, r, d, off = in->cfg.offset_pct / 100.0;
	int k;

	if (!strat_gate(in, out))
		return;
	x = strat_inv_ratio(in);
	r = in->mkt.mid * (1.0 - x * in->cfg.skew.price_skew_pct / 100.0);
	out->reservation = r;
	out->half_spread = r * off;
	out->skew_bp = (r - in->mkt.mid) / in->mkt.mid * 1e4;
	out->q_lots = strat_inv_lots(in);
	for (k = 1; k <= in->cfg.levels; k++) {
		d = k * off;
		strat_skew_rung(in, out, STRAT_BUY, k, r * (1.0 - d),
		    strat_skew_size(in, STRAT_BUY, x));
		strat_skew_rung(in, out, STRAT_SELL, k, r * (1.0 + d),
		    strat_skew_size(in, STRAT_SELL, x));
	}
	strat_inv_guard(in, out);
}
