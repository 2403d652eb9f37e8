/*
 * estim.h — live estimates of the market parameters the model-based
 * strategies need (avellaneda_mm, glft_mm), from market data alone.
 * Pure: no I/O, no clock (every call takes its time), no allocation.
 *
 *  sigma  the mid's volatility in bp per sqrt(s): the standard deviation
 *         of the mid's returns (bp) over sample_interval steps, on a
 *         rolling window, divided by sqrt(sample_interval).
 *  A, k   the order arrival intensity lambda(delta) = A e^(-k delta) of
 *         the models, delta in bp from the mid: each trade's "arrival
 *         depth" is how far beyond the mid of the start of its sample
 *         interval it traded, on the side it hit (a sell that hits bids
 *         at 0.7 bp under that mid would have filled our bid at any delta
 *         <= 0.7). lambda(delta_j) = trades at depth >= delta_j per
 *         second, on a grid delta_j = j x depth_step_bp over the rolling
 *         window; ln lambda = ln A - k delta fitted by least squares
 *         weighted by the counts (a Poisson count n has a log with
 *         variance ~1/n). The idea of hftbacktest's GLFT example and
 *         Hummingbot's trading-intensity indicator, in one pass per trade.
 *
 * Warm-up: until EST_MIN_RETURNS returns are in the window, sigma is the
 * configured fallback; until min_trades trades are in the window and the
 * fit has EST_MIN_POINTS depths with trades and a positive k, A and k are
 * the fallbacks. est_get() says which are live. A gap in the mids longer
 * than the window (a dead feed) starts the warm-up over.
 */
#ifndef PMM_ESTIM_H
#define PMM_ESTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "shm.h"

#define EST_MAX_SAMPLES	3600	/* returns in the window, at most */
#define EST_SLICES	16	/* the trade window rolls in slices */
#define EST_BINS	40	/* depth grid points */
#define EST_MIN_RETURNS	30
#define EST_MIN_POINTS	3

struct est_config {
	bool	 live;			/* false: the fallbacks, always */
	double	 window_s;		/* 10..3600 */
	double	 sample_s;		/* 0.1..60 */
	double	 depth_step_bp;		/* grid of the intensity fit */
	int	 min_trades;
	double	 sigma_bp, A, k;	/* fallbacks */
};

struct est_result {
	double		 sigma_bp, A, k;
	bool		 sigma_live, ak_live;
	uint32_t	 n_returns;	/* in the window */
	uint32_t	 n_trades;	/* in the window */
};

struct est {
	struct est_config c;
	int		 n_max;		/* returns that fit the window */
	/* sigma */
	double		 ret[EST_MAX_SAMPLES];	/* ring of returns, bp */
	int		 r_head, r_n;
	double		 r_sum, r_sq;		/* running sums over the ring */
	int		 r_since_exact;		/* updates since recomputed */
	double		 last_mid;		/* the newest mid */
	double		 ref_mid;		/* mid at the last boundary */
	int64_t		 next_ns;		/* next sample boundary */
	bool		 started;
	/* A, k: per-slice counts of arrival depths, and their sum */
	uint32_t	 slice[EST_SLICES][EST_BINS];
	uint32_t	 slice_n[EST_SLICES];	/* trades, any depth */
	uint32_t	 total[EST_BINS];
	uint32_t	 total_n;
	int		 s_head;		/* the slice being filled */
	int		 s_full;		/* completed slices kept */
	int64_t		 slice_ns;		/* slice length */
	int64_t		 s_start_ns;		/* start of the current slice */
	struct est_result r;			/* as of the last boundary */
};

/* The estimator.* keys of a loaded config. */
void	est_config_from_cfg(struct est_config *ec, const struct cfg *c);
/* -1 when c is unusable (the config validates it first). */
int	est_init(struct est *e, const struct est_config *c);
/* A new mid at now_ns (any clock, only differences are used). */
void	est_mid(struct est *e, int64_t now_ns, double mid);
/*
 * A trade at price, buyer_maker true when the aggressor sold (it hit the
 * bids). Trades before the first mid are ignored.
 */
void	est_trade(struct est *e, int64_t now_ns, double price,
	    bool buyer_maker);
/* The estimates as of the last sample boundary (fallbacks filled in). */
const struct est_result *est_get(const struct est *e);

/* The estimates into the market record (est_* fields): 1 if they
 * changed (publish it), 0 if not. */
int	est_publish(const struct est *e, struct shm_market *m);

/* The fit itself, exported for the tests: x[i] depths, n[i] counts over
 * span_s seconds; 0 with A, k, or -1 with too few points or k <= 0. */
int	est_fit(const double *x, const double *n, int npts, double span_s,
	    double *A, double *k);

#endif
