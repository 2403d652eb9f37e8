/*
 * estim.c — rolling estimates of sigma, A and k for the model-based
 * strategies (see estim.h for what each means and the warm-up).
 *
 * Cost: a mid is a comparison and a store, except at a sample boundary
 * (once per sample_interval): one return into a ring with running sums,
 * and the A/k fit over EST_BINS points. A trade is a division and two
 * counter increments. Nothing grows: the window is a ring of returns and
 * EST_SLICES slices of depth counts, the oldest slice subtracted whole as
 * the window rolls past it.
 */
#include "estim.h"

#include <math.h>
#include <string.h>

#define EST_NS	1e9

static void
est_reset(struct est *e)
{
	struct est_config c = e->c;
	int n_max = e->n_max;
	int64_t slice_ns = e->slice_ns;

	memset(e, 0, sizeof(*e));
	e->c = c;
	e->n_max = n_max;
	e->slice_ns = slice_ns;
	e->r.sigma_bp = c.sigma_bp;
	e->r.A = c.A;
	e->r.k = c.k;
}

void
est_config_from_cfg(struct est_config *ec, const struct cfg *c)
{
	memset(ec, 0, sizeof(*ec));
	ec->live = c->estimator.live;
	ec->window_s = c->estimator.window;
	ec->sample_s = c->estimator.sample_interval;
	ec->depth_step_bp = c->estimator.depth_step_bp;
	ec->min_trades = c->estimator.min_trades;
	ec->sigma_bp = c->estimator.fallback_sigma_bp;
	ec->A = c->estimator.fallback_a;
	ec->k = c->estimator.fallback_k;
}

int
est_init(struct est *e, const struct est_config *c)
{
	double n = c->window_s / c->sample_s;

	memset(e, 0, sizeof(*e));
	if (!(c->window_s > 0) || !(c->sample_s > 0) ||
	    !(c->depth_step_bp > 0) || !(c->sigma_bp > 0) || !(c->A > 0) ||
	    !(c->k > 0) || !isfinite(n) || n < 2)
		return -1;
	e->c = *c;
	e->n_max = n > EST_MAX_SAMPLES ? EST_MAX_SAMPLES : (int)n;
	/* completed slices cover the window; the filling one is extra */
	e->slice_ns = (int64_t)(c->window_s * EST_NS / (EST_SLICES - 1));
	est_reset(e);
	return 0;
}

/* ---- sigma -------------------------------------------------------------- */

static void
est_push_return(struct est *e, double r)
{
	int i, j;

	if (e->r_n == e->n_max) {
		double old = e->ret[e->r_head];

		e->r_sum -= old;
		e->r_sq -= old * old;
	} else
		e->r_n++;
	e->ret[e->r_head] = r;
	e->r_head = (e->r_head + 1) % e->n_max;
	e->r_sum += r;
	e->r_sq += r * r;
	/* running sums drift by rounding: recompute them once a window */
	if (++e->r_since_exact >= e->n_max) {
		e->r_since_exact = 0;
		e->r_sum = e->r_sq = 0;
		for (i = 0, j = e->r_head; i < e->r_n; i++) {
			j = (j + e->n_max - 1) % e->n_max;
			e->r_sum += e->ret[j];
			e->r_sq += e->ret[j] * e->ret[j];
		}
	}
}

static void
est_sigma(struct est *e)
{
	double n = e->r_n, var;

	e->r.n_returns = (uint32_t)e->r_n;
	e->r.sigma_live = false;
	e->r.sigma_bp = e->c.sigma_bp;
	if (!e->c.live || e->r_n < EST_MIN_RETURNS)
		return;
	var = (e->r_sq - e->r_sum * e->r_sum / n) / (n - 1);
	if (!(var >= 0))
		var = 0;
	e->r.sigma_bp = sqrt(var / e->c.sample_s);
	e->r.sigma_live = true;
}

/* ---- A and k ------------------------------------------------------------ */

/* Move the trade window on to now: completed slices beyond the window
 * are subtracted and reused. */
static void
est_roll(struct est *e, int64_t now)
{
	int i, n = 0;

	while (now - e->s_start_ns >= e->slice_ns && n++ < EST_SLICES) {
		e->s_head = (e->s_head + 1) % EST_SLICES;
		for (i = 0; i < EST_BINS; i++)
			e->total[i] -= e->slice[e->s_head][i];
		e->total_n -= e->slice_n[e->s_head];
		memset(e->slice[e->s_head], 0, sizeof(e->slice[0]));
		e->slice_n[e->s_head] = 0;
		e->s_start_ns += e->slice_ns;
		if (e->s_full < EST_SLICES - 1)
			e->s_full++;
	}
	if (now - e->s_start_ns >= e->slice_ns)	/* a gap past the window */
		e->s_start_ns = now;
}

int
est_fit(const double *x, const double *n, int npts, double span_s,
    double *A, double *k)
{
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, y, d, slope;
	int i, used = 0;

	if (!(span_s > 0))
		return -1;
	for (i = 0; i < npts; i++) {
		if (!(n[i] >= 1))
			continue;
		y = log(n[i] / span_s);
		sw += n[i];
		sx += n[i] * x[i];
		sy += n[i] * y;
		sxx += n[i] * x[i] * x[i];
		sxy += n[i] * x[i] * y;
		used++;
	}
	d = sw * sxx - sx * sx;
	if (used < EST_MIN_POINTS || !(d > 0))
		return -1;
	slope = (sw * sxy - sx * sy) / d;
	if (!(slope < 0) || !isfinite(slope))
		return -1;
	*k = -slope;
	*A = exp((sy - slope * sx) / sw);
	return isfinite(*A) && *A > 0 ? 0 : -1;
}

static void
est_intensity(struct est *e, int64_t now)
{
	double x[EST_BINS], n[EST_BINS], cum = 0, span, A, k;
	int j;

	e->r.n_trades = e->total_n;
	e->r.ak_live = false;
	e->r.A = e->c.A;
	e->r.k = e->c.k;
	if (!e->c.live || e->total_n < (uint32_t)e->c.min_trades)
		return;
	/* trades at depth >= delta_j: cumulative from the deep end */
	for (j = EST_BINS - 1; j >= 0; j--) {
		cum += e->total[j];
		x[j] = j * e->c.depth_step_bp;
		n[j] = cum;
	}
	span = (double)e->s_full * (double)e->slice_ns / EST_NS +
	    (double)(now - e->s_start_ns) / EST_NS;
	if (est_fit(x, n, EST_BINS, span, &A, &k) == -1)
		return;
	e->r.A = A;
	e->r.k = k;
	e->r.ak_live = true;
}

/* ---- the feed ----------------------------------------------------------- */

void
est_mid(struct est *e, int64_t now, double mid)
{
	int64_t step = (int64_t)(e->c.sample_s * EST_NS);

	if (!(mid > 0) || !isfinite(mid))
		return;
	if (e->started && now - e->next_ns > (int64_t)(e->c.window_s * EST_NS))
		est_reset(e);		/* the feed was away: start over */
	if (!e->started) {
		e->started = true;
		e->last_mid = e->ref_mid = mid;
		e->next_ns = now + step;
		e->s_start_ns = now;
		return;
	}
	if (now >= e->next_ns) {
		/* the mid held still between updates: each boundary crossed
		 * sees the last one before it */
		while (now >= e->next_ns) {
			est_push_return(e, (e->last_mid - e->ref_mid) /
			    e->ref_mid * 1e4);
			e->ref_mid = e->last_mid;
			e->next_ns += step;
		}
		est_roll(e, now);
		est_sigma(e);
		est_intensity(e, now);
	}
	e->last_mid = mid;
}

void
est_trade(struct est *e, int64_t now, double price, bool buyer_maker)
{
	double d;
	int j;

	if (!e->started || !(price > 0) || !isfinite(price))
		return;
	est_roll(e, now);
	d = (buyer_maker ? e->ref_mid - price : price - e->ref_mid) /
	    e->ref_mid * 1e4;
	e->slice_n[e->s_head]++;
	e->total_n++;
	if (!(d >= 0))
		return;		/* it traded on our side of the mid: no fill */
	d /= e->c.depth_step_bp;
	j = d >= EST_BINS - 1 ? EST_BINS - 1 : (int)d;
	e->slice[e->s_head][j]++;
	e->total[j]++;
}

const struct est_result *
est_get(const struct est *e)
{
	return &e->r;
}

int
est_publish(const struct est *e, struct shm_market *m)
{
	const struct est_result *r = &e->r;

	if (m->est_sigma_bp == r->sigma_bp && m->est_a == r->A &&
	    m->est_k == r->k && m->est_trades == r->n_trades &&
	    m->est_returns == r->n_returns)
		return 0;
	m->est_sigma_bp = r->sigma_bp;
	m->est_a = r->A;
	m->est_k = r->k;
	m->est_sigma_live = r->sigma_live;
	m->est_ak_live = r->ak_live;
	m->est_returns = r->n_returns;
	m->est_trades = r->n_trades;
	return 1;
}
