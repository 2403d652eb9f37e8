/*
 * bt_stats.h — the backtest's summary: what a run earned, why, at what
 * risk, and how hard it pushed the exchange's rate limits.
 *
 * A pure module (no clock, no I/O but the two writers, which take a
 * FILE *). The driver feeds it the virtual run as it goes, in time order:
 * mids, placements, fills, funding, state samples and requests; then
 * bts_finish() computes the summary. Memory is bounded except for the
 * fills still inside the longest markout horizon (60 s): a run of days with
 * millions of mid samples keeps only running sums and the current minute,
 * second and day.
 *
 * Conventions. Times are ns (the virtual clock, UTC epoch). Prices in
 * quote currency per base unit, quantities in base units (> 0; the side
 * says which way). Money is quote currency (USDT): fees > 0 are paid, < 0
 * a rebate; funding > 0 is received, < 0 paid (Binance's FUNDING_FEE
 * income sign). Timestamps must not decrease; an earlier one is taken as
 * the latest seen (the figures stay defined, the order is the driver's
 * bug). The run starts flat (position 0). Undefined figures are NaN in the
 * struct, null in JSON and "-" in text; never inf.
 *
 * PnL decomposition (q_i = signed fill qty, + buy / - sell; p_i its price;
 * m_i the mid at the fill = the latest mid sample with ts <= fill ts, or
 * p_i when no mid was seen yet; M = the last mid sample; f_i its fee;
 * F_j the funding payments):
 *   spread capture  S = sum_i q_i * (m_i - p_i)    buying under the mid
 *   inventory PnL   I = sum_i q_i * (M - m_i)      the mid's move on what
 *                                                  each fill left us holding
 *   fees            C = -sum_i f_i
 *   funding         D = sum_j F_j
 *   net             N = S + I + C + D
 * N is the mark-to-market change of equity: cash (-sum q_i p_i - sum f_i +
 * sum F_j) plus the final position sum q_i valued at M. The four parts add
 * up to N by construction (N is computed as their sum).
 *
 * Equity at time t: capital + cash(t) + position(t) * mid(t). It is marked
 * at every mid sample, fill and funding payment; drawdown is measured on
 * those marks, returns on its value at the close of each UTC minute / day.
 */
#ifndef PMM_BT_STATS_H
#define PMM_BT_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What the backtest writes into its --out DIR (and sweep reads back). */
#define BTS_SUMMARY_JSON	"summary.json"
#define BTS_SUMMARY_TEXT	"summary.txt"

#define BTS_MAX_LEVELS		20	/* per side: STRAT_MAX_LEVELS */
#define BTS_NHORIZONS		3	/* markouts at +1 s, +10 s, +60 s */

/* Binance USD-M limits (shared/docs/binance-usdm-futures.md). */
#define BTS_LIMIT_WEIGHT_1M	2400	/* request weight per minute, per IP */
#define BTS_LIMIT_ORDERS_1M	1200	/* orders per minute, per account */
#define BTS_LIMIT_ORDERS_10S	300	/* orders per 10 s, per account */

/* Annualisation: crypto trades every minute of every day. */
#define BTS_MINUTES_PER_YEAR	525600.0	/* 365 * 1440 */
#define BTS_DAYS_PER_YEAR	365.0

enum bts_side { BTS_BUY = 0, BTS_SELL = 1 };	/* as enum strat_side */

struct bts_fill {
	int64_t		 ts_ns;
	int		 side;		/* enum bts_side */
	int		 level;		/* 1..BTS_MAX_LEVELS; 0 = not a ladder
					   order (risk's flatten, unknown) */
	double		 price;
	double		 qty;		/* base, > 0 */
	double		 fee;		/* quote; > 0 paid, < 0 rebate */
	bool		 maker;
};

/* Markout at one horizon: the mid's move after each fill, signed for the
 * fill's side, so < 0 = the market moved against us (adverse selection):
 *   bp    = s * (mid(t + h) - m) / m * 1e4
 *   quote = s * (mid(t + h) - m) * qty
 * s = +1 buy / -1 sell, m = the mid at the fill, mid(t + h) = the latest
 * mid sample at or before t + h. Averaged over the fills whose horizon
 * ends by the end of the run; the others (and fills before the first mid
 * sample, which have no m) are counted in `excluded`. */
struct bts_markout {
	int64_t		 horizon_ns;
	uint64_t	 n;
	uint64_t	 excluded;
	double		 mean_bp;	/* NaN when n == 0 */
	double		 mean_quote;	/* NaN when n == 0 */
	double		 sum_quote;	/* 0 when n == 0 */
};

/* Placements and fills per level; [enum bts_side]. A partly filled order
 * counts each of its fills, so a rate can pass 1. */
struct bts_level {
	uint64_t	 placed[2];
	uint64_t	 fills[2];
	double		 fill_rate;	/* (fills) / (placed), both sides;
					   NaN when nothing was placed */
};

struct bts_summary {
	/* the run */
	int64_t		 start_ns, end_ns;
	double		 duration_s;
	double		 capital;		/* initial capital, quote */

	/* PnL, quote currency (see the decomposition above) */
	double		 net_pnl;
	double		 spread_pnl;
	double		 inventory_pnl;
	double		 fees_pnl;		/* -fees paid */
	double		 funding_pnl;
	double		 return_pct;		/* net / capital * 100 */
	double		 equity_end;		/* capital + net */
	double		 final_position;	/* sum of signed fill qty */
	double		 last_mid;		/* NaN when no mid was seen */
	uint64_t	 fundings;		/* funding payments */

	/* Risk-adjusted: simple returns of equity between closes of UTC
	 * minutes (days); the first bucket starts from the capital at
	 * start_ns, the first and last may be partial, a window without
	 * events returns 0. Risk-free rate 0.
	 * Sharpe  = mean / sample stdev (n - 1) * sqrt(periods per year)
	 * Sortino = mean / sqrt(sum(min(r, 0)^2) / n) * sqrt(periods per year)
	 * NaN when n < 2 or the denominator is 0. */
	uint64_t	 n_ret_1m, n_ret_1d;
	double		 sharpe_1m, sortino_1m;	/* * sqrt(525600) */
	double		 sharpe_1d, sortino_1d;	/* * sqrt(365) */

	/* drawdown: the largest fall of equity from its running peak (the
	 * peak starts at the capital); abs and % of that peak, each its own
	 * maximum */
	double		 max_dd;
	double		 max_dd_pct;
	double		 ret_over_dd;		/* net / max_dd; NaN if max_dd 0 */

	/* trading */
	uint64_t	 fills, maker_fills;
	double		 volume_base, volume_quote;
	double		 maker_share_pct;	/* maker quote vol / quote vol */
	int		 levels;		/* highest level seen (placed or
						   filled), 0..BTS_MAX_LEVELS */
	struct bts_level level[BTS_MAX_LEVELS + 1];	/* [0] = not ladder */

	/* |position| from the fills (exact between state samples), time-
	 * weighted over the run; the flags from the state samples: each holds
	 * until the next (or the end), nothing is paused before the first */
	double		 avg_abs_pos;		/* time-weighted */
	double		 max_abs_pos;
	double		 at_limit_s, at_limit_pct;
	double		 paused_s, paused_pct;	/* % of duration_s */

	/* requests, in fixed UTC windows as Binance counts them */
	uint64_t	 requests, orders;
	uint64_t	 weight_total;
	double		 weight_1m_max, weight_1m_mean;	/* mean = per minute
							   of duration */
	double		 orders_1m_max, orders_1m_mean;
	double		 orders_10s_max;
	uint64_t	 windows_over_limit;	/* 1-min and 10-s windows over
						   any limit above */

	struct bts_markout markout[BTS_NHORIZONS];
};

struct bts;	/* opaque: the running sums */

/* capital > 0 (quote). start_ns = the start of virtual time, or 0 for the
 * first event fed. NULL when out of memory or capital is not > 0. */
struct bts	*bts_new(double capital, int64_t start_ns);
void		 bts_free(struct bts *);

/* Feeding, in time order. Non-finite or non-positive prices/mids and
 * quantities are ignored (and counted in bts_ignored()); a level outside
 * 0..BTS_MAX_LEVELS counts as 0. */
void	bts_mid(struct bts *, int64_t ts_ns, double mid);
void	bts_place(struct bts *, int64_t ts_ns, int side, int level);
void	bts_fill(struct bts *, const struct bts_fill *);
void	bts_funding(struct bts *, int64_t ts_ns, double amount);
/* `position` is the driver's view, not used by the figures (they use the
 * fills' own position, exact between samples); kept so a driver can feed
 * its state as it is. */
void	bts_state(struct bts *, int64_t ts_ns, double position, bool paused,
	    bool at_limit);
/* One REST request of `weight`, which placed `orders` orders (a batch of
 * 5 is weight 5, orders 5; a cancel is weight 1, orders 0). */
void	bts_request(struct bts *, int64_t ts_ns, int weight, int orders);
uint64_t bts_ignored(const struct bts *);

/* Close the run at end_ns (>= the last event) and compute the summary;
 * after it, feeding is ignored. The summary lives as long as the bts. */
const struct bts_summary *bts_finish(struct bts *, int64_t end_ns);

/* Writers: 0, or -1 on a write error. The text is an aligned table for a
 * human; the JSON has a stable key order and deterministic numbers (the
 * same summary gives the same bytes), NaN as null. */
int	bts_write_text(const struct bts_summary *, FILE *);
int	bts_write_json(const struct bts_summary *, FILE *);

#endif
