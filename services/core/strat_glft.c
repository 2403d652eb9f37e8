/*
 * strat_glft.c — "glft_mm": the asymptotic (infinite horizon) optimal
 * quotes of Gueant, Lehalle & Fernandez-Tapia (2013), "Dealing with the
 * inventory risk: a solution to the market making problem".
 *
 * Same units as avellaneda_mm (strat_as.c): q in lots of
 * quantity_per_order_usdt, distances in bp of the mid, sigma in bp per
 * sqrt(s), A per s, k per bp, gamma per bp per lot. With
 *
 *	c1 = (1/gamma) ln(1 + gamma/k)
 *	c2 = sqrt( sigma^2 gamma / (2 k A) x (1 + gamma/k)^(1 + k/gamma) )
 *
 * the optimal distances from the mid are
 *
 *	delta_bid = c1 + (2q + 1)/2 x c2	delta_ask = c1 - (2q - 1)/2 x c2
 *
 * i.e. a half spread h = c1 + c2/2 around a reservation price shifted by
 * -q c2 (the skew). Level 1 is at those distances; level i one more h out
 * each time (hftbacktest's GLFT grid spaces its levels the same way). A
 * large q can put the reducing quote through the mid: it is then clamped
 * to one tick off the far side (post-only never crosses), which is the
 * model saying "unwind now". h is at least half a tick.
 *
 * (1 + gamma/k)^(1 + k/gamma) is computed as exp((1 + k/gamma) log1p(gamma/k)):
 * it tends to e as gamma/k -> 0 instead of overflowing or losing digits.
 * Then the inventory guard (strat_inv_guard()).
 */
#include "strat.h"

#include <math.h>

static bool
strat_glft_ok(const struct strat_in *in)
{
	return in->cfg.glft.gamma > 0 && isfinite(in->cfg.glft.gamma) &&
	    in->est.sigma_bp >= 0 && isfinite(in->est.sigma_bp) &&
	    in->est.k > 0 && isfinite(in->est.k) &&
	    in->est.A > 0 && isfinite(in->est.A);
}

void
strat_glft_ladder(const struct strat_in *in, struct strat_out *out)
{
	double s = in->mkt.mid, g = in->cfg.glft.gamma, k = in->est.k;
	double c1, c2, q, h, db, da, step;
	int i;

	if (!strat_gate(in, out))
		return;
	if (!strat_glft_ok(in)) {
		out->why = STRAT_WHY_BAD_INPUT;
		return;
	}
	q = strat_inv_lots(in);
	c1 = log1p(g / k) / g;
	c2 = sqrt(in->est.sigma_bp * in->est.sigma_bp * g / (2 * k * in->est.A) *
	    exp((1 + k / g) * log1p(g / k)));
	/* half a tick at least, so our bid and ask never meet */
	h = fmax(c1 + c2 / 2, in->flt.tick / 2 / s * 1e4);
	db = h + q * c2;
	da = h - q * c2;
	step = s * h / 1e4;
	out->reservation = s * (1.0 - q * c2 / 1e4);
	out->half_spread = step;
	out->skew_bp = -q * c2;
	out->q_lots = q;
	for (i = 1; i <= in->cfg.levels; i++) {
		strat_put_rung(in, out, STRAT_BUY, i,
		    s * (1.0 - db / 1e4) - (i - 1) * step, in->cfg.qty_usdt);
		strat_put_rung(in, out, STRAT_SELL, i,
		    s * (1.0 + da / 1e4) + (i - 1) * step, in->cfg.qty_usdt);
	}
	strat_inv_guard(in, out);
}
