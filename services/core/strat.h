/*
 * strat.h — the quoting decision as a pure function.
 *
 *	(market snapshot, position, open orders, config, filters)
 *	    -> desired ladder (side, level, price, quantity)
 *	    -> diff against the open orders: keep / cancel / place
 *
 * No I/O, no globals, no allocation: the caller passes a strat_in and a
 * strat_out it owns, so the same call serves the order service, a backtest
 * and the unit tests. A strategy only computes the ladder (its "ladder"
 * function, one file each, chosen by strategy_name through strat_find());
 * the diff and the client order ids are shared by every strategy.
 *
 * Prices are integer ticks and quantities integer steps of the symbol's
 * filters, so the order service compares, keeps and formats them exactly;
 * the doubles beside them are for display and arithmetic only.
 */
#ifndef PMM_STRAT_H
#define PMM_STRAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "msg.h"
#include "shm.h"

#define STRAT_MAX_LEVELS	20			/* per side (cfg bound) */
#define STRAT_MAX_QUOTES	(2 * STRAT_MAX_LEVELS)
#define STRAT_MAX_OPEN		SHM_MAX_ORDERS
#define STRAT_INSTANCE_MAX	20	/* instance_id chars (cfg bound) */
#define STRAT_CID_MAX		36	/* Binance newClientOrderId limit */
#define STRAT_SEQ_DIGITS	11	/* base-36 digits left for the seq */

enum strat_side { STRAT_BUY = 0, STRAT_SELL = 1 };	/* as shm_order_rec */

/* Where an open order is in its life, as the order service knows it. */
enum strat_ostate {
	STRAT_OS_PENDING = 0,	/* sent, not acknowledged yet */
	STRAT_OS_OPEN,		/* resting on the book */
	STRAT_OS_CANCELING,	/* cancel sent: no longer ours to decide */
};

/* Why the ladder is what it is. */
enum strat_why {
	STRAT_WHY_QUOTING = 0,
	STRAT_WHY_PAUSED,	/* config.paused (risk or operator) */
	STRAT_WHY_STALE,	/* market.stale */
	STRAT_WHY_BAD_BOOK,	/* bid/ask/mid missing, not finite or crossed */
	STRAT_WHY_BAD_INPUT,	/* a caller bug: see strat_eval() */
};

struct strat_market {
	double	 bid, ask;	/* best bid and ask */
	double	 mid;		/* the price the ladder is built around */
	bool	 stale;		/* no update for market_stale_after */
};

/* Exchange filters of the symbol (exchangeInfo). */
struct strat_filters {
	double	 tick;		/* PRICE_FILTER tickSize */
	double	 step;		/* LOT_SIZE stepSize */
	double	 min_qty;	/* LOT_SIZE minQty */
	double	 min_notional;	/* MIN_NOTIONAL notional, quote currency */
};

/*
 * Inventory, for the strategies that manage it (simple_mm ignores it).
 * The hard limit is risk's (initial_capital x max_net_position_ratio,
 * in USDT of notional); the ladder keeps its worst case — every resting
 * order on the side that grows the position filled — inside soft_ratio of
 * it, so risk's flatten stays the last resort (strat_inv_guard()).
 */
struct strat_inv_config {
	double		 limit_usdt;		/* the hard limit; 0 = none */
	double		 target_usdt;		/* inventory target, signed */
	double		 soft_ratio;		/* (0, 1): of limit_usdt */
};

/* skew_mm (strat_skew.c) */
struct strat_skew_config {
	double		 price_skew_pct;	/* ladder shift at |x| = 1 */
	double		 size_skew;		/* 0..1: growing side x (1-s|x|) */
};

/* avellaneda_mm (strat_as.c) */
struct strat_as_config {
	double		 gamma;			/* risk aversion, 1/bp per lot */
	double		 horizon_s;		/* T - t, or the cycle T */
	bool		 finite;		/* T - t runs down each cycle */
};

/* glft_mm (strat_glft.c) */
struct strat_glft_config {
	double		 gamma;			/* risk aversion, 1/bp per lot */
};

struct strat_config {
	int		 levels;		/* 1..STRAT_MAX_LEVELS per side */
	double		 qty_usdt;		/* quantity_per_order_usdt */
	double		 offset_pct;		/* price_offset_percent */
	enum cfg_refresh refresh_mode;
	double		 tolerance_pct;		/* refresh_tolerance_percent */
	bool		 paused;		/* risk or operator pause */
	/* the inventory-aware strategies (zero for simple_mm is fine) */
	struct strat_inv_config	 inv;
	struct strat_skew_config skew;
	struct strat_as_config	 as;
	struct strat_glft_config glft;
};

/*
 * Market parameters for the model-based strategies (estim.c estimates
 * them live; the configured fallbacks until it is ready). Distances are in
 * basis points of the mid, so one set of figures fits any symbol.
 */
struct strat_est {
	double		 sigma_bp;	/* volatility, bp of mid per sqrt(s) */
	double		 A;		/* order arrivals at the mid, per s */
	double		 k;		/* their decay with depth, 1/bp */
};

/* An order the order service has out; ours (see strat_cid_parse()). */
struct strat_order {
	char		 client_id[PMM_ID_MAX];
	uint8_t		 side;		/* enum strat_side */
	uint8_t		 level;		/* 1..levels; anything else is cancelled */
	uint8_t		 state;		/* enum strat_ostate */
	int64_t		 px_ticks;
	int64_t		 qty_steps;	/* remaining quantity */
};

/* One rung of the ladder; in out.place it also has its client id. */
struct strat_quote {
	uint8_t		 side, level;
	int64_t		 px_ticks, qty_steps;
	double		 price, qty;	/* px_ticks * tick, qty_steps * step */
	char		 client_id[PMM_ID_MAX];	/* place[] only */
};

struct strat_in {
	struct strat_market	 mkt;
	double			 position;	/* signed base qty (skew strategies) */
	const struct strat_order *open;		/* n_open orders, may be NULL if 0 */
	int			 n_open;	/* 0..STRAT_MAX_OPEN */
	struct strat_config	 cfg;
	struct strat_filters	 flt;
	struct strat_est	 est;		/* avellaneda_mm, glft_mm */
	int64_t			 now_ns;	/* realtime: a finite horizon */
	const char		*instance;	/* instance_id, for client ids */
	uint64_t		 next_seq;	/* first seq for new client ids */
	/*
	 * true: a refresh (the timer fired, or strat_mid_moved() said so) —
	 * refresh_mode decides what is kept. false: only fill gaps — keep
	 * every order still on its rung, place missing rungs, cancel strays.
	 */
	bool			 refresh;
};

struct strat_out {
	enum strat_why		 why;
	int			 n_desired;
	struct strat_quote	 desired[STRAT_MAX_QUOTES];
	int			 n_keep;		/* indices into in->open */
	int			 keep[STRAT_MAX_OPEN];
	int			 n_cancel;		/* indices into in->open */
	int			 cancel[STRAT_MAX_OPEN];
	int			 n_place;
	struct strat_quote	 place[STRAT_MAX_QUOTES];
	int			 n_skipped;	/* rungs dropped: price <= 0 or
						   below minQty/minNotional */
	int			 n_clamped;	/* rungs moved off the far side */
	int			 n_capped;	/* rungs cut or dropped to keep
						   the position inside the soft
						   limit (strat_inv_guard) */
	/* what the quotes were built around, for status and the CSV; the
	 * inventory-aware strategies set them, NaN otherwise */
	double			 reservation;	/* price the ladder centres on */
	double			 half_spread;	/* price units, level 1 */
	double			 skew_bp;	/* reservation - mid, bp of mid */
	double			 q_lots;	/* (position - target) / order */
	uint64_t		 next_seq;	/* store it for the next call */
};

/*
 * A strategy: fills out->desired (and out->why, n_skipped, n_clamped)
 * from in; never touches the diff fields. in is already validated.
 */
typedef void (*strat_ladder_fn)(const struct strat_in *in,
	    struct strat_out *out);

struct strat_impl {
	const char	*name;		/* strategy_name */
	const char	*about;		/* one line for error messages/docs */
	strat_ladder_fn	 ladder;
};

/* The strategies, one file each (strat_<name>.c). */
void		 strat_simple_ladder(const struct strat_in *in,
		    struct strat_out *out);
void		 strat_skew_ladder(const struct strat_in *in,
		    struct strat_out *out);
void		 strat_as_ladder(const struct strat_in *in,
		    struct strat_out *out);
void		 strat_glft_ladder(const struct strat_in *in,
		    struct strat_out *out);

/*
 * Helpers the inventory-aware strategies share (strat.c).
 *
 * strat_gate: paused, stale and an unusable book set out->why and return
 * false, exactly as simple_mm judges them.
 */
bool		 strat_gate(const struct strat_in *in, struct strat_out *out);
/*
 * One rung at price px for qty_usdt: a bid rounded down, an ask up, moved
 * off the far side of the book (a bid at most best ask - 1 tick, an ask at
 * least best bid + 1: post-only never crosses; counted in n_clamped), its
 * quantity by strat_qty_steps(); dropped (n_skipped) when the price is not
 * positive or the quantity cannot be placed.
 */
void		 strat_put_rung(const struct strat_in *in, struct strat_out *out,
		    int side, int level, double px, double qty_usdt);
/* (position - target) in orders of qty_usdt at mid: the q of the models. */
double		 strat_inv_lots(const struct strat_in *in);
/* (position - target) / the hard limit in base, cut to [-1, 1]; 0 when
 * there is no limit. */
double		 strat_inv_ratio(const struct strat_in *in);
/*
 * The inventory guarantee, applied last: walking each side innermost
 * first, the rungs that would grow the position are cut (to whole steps)
 * or dropped once everything resting on that side, filled, would take
 * |position| past soft_ratio x the hard limit. At or past it only the
 * reducing side quotes. Counted in n_capped.
 */
void		 strat_inv_guard(const struct strat_in *in, struct strat_out *out);

/* The implementation named by strategy_name; NULL and err listing the
 * known names when there is none. */
const struct strat_impl *strat_find(const char *name, char *err,
		    size_t errlen);
/* Known names, comma separated, into buf. */
void		 strat_names(char *buf, size_t len);

/*
 * The whole decision. Returns 0; or -1 for a caller bug (NULL, n_open out
 * of range, levels out of 1..STRAT_MAX_LEVELS, filters <= 0, bad instance)
 * with why = STRAT_WHY_BAD_INPUT — and even then out is a safe diff:
 * desired empty, every live order in cancel. Paused, stale or a bad book
 * are not errors: 0 with an empty ladder and everything cancelled.
 * Orders in STRAT_OS_CANCELING are neither kept nor cancelled again.
 */
int		 strat_eval(const struct strat_impl *impl,
		    const struct strat_in *in, struct strat_out *out);
const char	*strat_why_name(enum strat_why why);

/* refresh_mode tolerance: has mid moved more than tolerance_pct from the
 * mid of the last quote, so the ladder is re-quoted without waiting for
 * the timer? Always false in replace mode or before a first quote. */
bool		 strat_mid_moved(const struct strat_config *c, double last_mid,
		    double mid);

/*
 * Start-up check of config against filters at a price: -1 with a message
 * naming the filter and the smallest quantity_per_order_usdt that works
 * when a level could never be placed.
 */
int		 strat_check(const struct strat_config *c,
		    const struct strat_filters *f, double mid, char *err,
		    size_t errlen);
/*
 * The filters of the Binance client (common/binance/bn_filters.h, parsed from
 * exchangeInfo) as the strategy takes them. Counts are on the same grid:
 * a quote's px_ticks / qty_steps go straight to bn_fmt_price() /
 * bn_fmt_qty(). -1 if f has no usable tick or step.
 */
struct bn_filters;
int		 strat_filters_from_bn(struct strat_filters *sf,
		    const struct bn_filters *f);
/* The strategy inputs taken from a loaded config. */
void		 strat_config_from_cfg(struct strat_config *sc,
		    const struct cfg *c, bool paused);

/*
 * Tick/step rounding on plain doubles, so the function needs nothing but
 * numbers (backtests, tests); the grid is the one bn_filters uses. A value
 * within 1e-13 (relative) of a grid point counts as on it, so 99.0 computed
 * as 98.99999999999999 is not pushed a whole tick down.
 */
int64_t		 strat_ticks_down(double px, double tick);
int64_t		 strat_ticks_up(double px, double tick);
int64_t		 strat_ticks_near(double px, double tick);
/*
 * Steps of an order worth qty_usdt at px_ticks: rounded down to stepSize,
 * so the notional is at most qty_usdt (the README's rule: a configured
 * amount is a ceiling, not a target to overshoot); one step up when that
 * falls below minQty or minNotional; 0 when even that does not reach them
 * (the rung cannot be placed).
 */
int64_t		 strat_qty_steps(double qty_usdt, int64_t px_ticks,
		    const struct strat_filters *f);
/* Exact decimal text of n * unit (unit 0.1 -> "59994.0"); -1 if it does
 * not fit or unit has more than 12 decimals. */
int		 strat_fmt(char *buf, size_t len, int64_t n, double unit);

/*
 * Client order ids: "<instance>-<B|S><level>-<seq base 36>", at most 36
 * chars of [A-Za-z0-9_-], e.g. "simple_mm-B1-kx3j9q2p0a". The instance
 * prefix tells the order service which open orders an earlier run of this
 * instance left; side and level attribute fills. Parsed from the right,
 * so an instance id containing '-' is unambiguous.
 */
struct strat_cid {
	char		 instance[STRAT_INSTANCE_MAX + 1];
	uint8_t		 side;		/* enum strat_side */
	uint8_t		 level;		/* 1..99 */
	uint64_t	 seq;
};

/* Length written, or -1 (bad instance, level outside 1..99, len < 37).
 * seq is taken modulo 36^11 so the id always fits in 36 chars. */
int		 strat_cid_make(char *buf, size_t len, const char *instance,
		    int side, int level, uint64_t seq);
int		 strat_cid_parse(const char *cid, struct strat_cid *out);
/* Is cid one of ours (made for this instance)? */
bool		 strat_cid_ours(const char *cid, const char *instance);
/* 1..20 of [A-Za-z0-9_-]. */
bool		 strat_instance_ok(const char *instance);
/*
 * A first seq for a run: microseconds of wall time. Each run places far
 * fewer than one order per microsecond, so a later run's ids never repeat
 * an earlier run's (Binance refuses a duplicate id: -4116).
 */
uint64_t	 strat_seq_seed(int64_t real_ns);
/*
 * The wall clock can step back (NTP, a VM restored): then microseconds
 * alone could hand out an id an earlier run used. Each run therefore
 * reserves its seqs ahead, STRAT_SEQ_BLOCK at a time, in a file the next
 * run reads: a run starts past both the clock and that reservation.
 */
#define STRAT_SEQ_BLOCK	(1ULL << 20)
uint64_t	 strat_seq_start(int64_t real_ns, uint64_t reserved);
/* The reservation to write before handing out next_seq, or 0 if the
 * current one still has room (refreshed at half a block left). */
uint64_t	 strat_seq_reserve(uint64_t next_seq, uint64_t reserved);

#endif
