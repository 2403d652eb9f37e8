/*
 * strat_as.c — "avellaneda_mm": Avellaneda & Stoikov (2008), "High-frequency
 * trading in a limit order book".
 *
 * With q = (position - target) in orders (lots of quantity_per_order_usdt),
 * sigma the mid's volatility (bp per sqrt(s)), k the decay of the order
 * arrival intensity lambda(delta) = A e^(-k delta) (1/bp), gamma the risk
 * aversion (1/bp per lot) and tau = T - t (s), all distances in basis
 * points of the mid:
 *
 *	reservation	r = s - q gamma sigma^2 tau
 *	spread		delta_a + delta_b = gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k)
 *
 * quoted symmetrically around r: level 1 at r -/+ h with h half the
 * spread, level i at r -/+ i h (further levels spaced by the optimal half
 * spread). h is at least half a tick, so a bid never meets our own ask.
 *
 * Horizon: infinite (tau is avellaneda_mm.horizon, constant: the usual way
 * to run AS on a market that never closes) or finite (T - t counts down
 * through cycles of that length, ending at each multiple of it since the
 * epoch, so the skew and spread shrink as a cycle ends — the paper's
 * terminal date, repeated).
 *
 * Then the inventory guard (strat_inv_guard()): the side that would grow
 * the position is cut before the soft limit whatever the model says.
 */
#include "strat.h"

#include <math.h>

#define NS_PER_S_D	1e9

/* T - t in seconds. */
static double
strat_as_tau(const struct strat_in *in)
{
	double T = in->cfg.as.horizon_s, t;

	if (!in->cfg.as.finite)
		return T;
	t = fmod((double)in->now_ns / NS_PER_S_D, T);
	if (!(t >= 0))
		t = 0;
	return T - t;
}

static bool
strat_as_ok(const struct strat_in *in)
{
	return in->cfg.as.gamma > 0 && isfinite(in->cfg.as.gamma) &&
	    in->cfg.as.horizon_s > 0 && isfinite(in->cfg.as.horizon_s) &&
	    in->est.sigma_bp >= 0 && isfinite(in->est.sigma_bp) &&
	    in->est.k > 0 && isfinite(in->est.k);
}

void
strat_as_ladder(const struct strat_in *in, struct strat_out *out)
{
	double s = in->mkt.mid, g = in->cfg.as.gamma, var, q, tau;
	double skew_bp, h_bp, r, h;
	int i;

	if (!strat_gate(in, out))
		return;
	if (!strat_as_ok(in)) {
		out->why = STRAT_WHY_BAD_INPUT;
		return;
	}
	q = strat_inv_lots(in);
	tau = strat_as_tau(in);
	var = in->est.sigma_bp * in->est.sigma_bp;
	skew_bp = -q * g * var * tau;
	h_bp = (g * var * tau + 2.0 / g * log1p(g / in->est.k)) / 2.0;
	r = s * (1.0 + skew_bp / 1e4);
	h = fmax(s * h_bp / 1e4, in->flt.tick / 2);
	out->reservation = r;
	out->half_spread = h;
	out->skew_bp = skew_bp;
	out->q_lots = q;
	for (i = 1; i <= in->cfg.levels; i++) {
		strat_put_rung(in, out, STRAT_BUY, i, r - i * h,
		    in->cfg.qty_usdt);
		strat_put_rung(in, out, STRAT_SELL, i, r + i * h,
		    in->cfg.qty_usdt);
	}
	strat_inv_guard(in, out);
}
