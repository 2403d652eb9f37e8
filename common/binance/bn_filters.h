/*
 * bn_filters.h — a symbol's exchange filters (from GET /fapi/v1/exchangeInfo)
 * and exact price/quantity arithmetic on them.
 *
 * Prices and quantities that go to the exchange are kept as integer counts
 * of ticks (tickSize) and steps (stepSize), never as doubles: a double price
 * is converted ONCE, with a rounding direction (bids down, asks up), and a
 * count is formatted back to the decimal string Binance expects without any
 * float arithmetic. A decimal such as "0.10" is held as units × 10^-dp with
 * trailing zeros dropped (1 × 10^-1), so tick 0.10 formats as "60000.1".
 *
 * Conversion from a double treats a value within BN_SNAP_TICKS of a tick
 * (or step) multiple as that multiple, so 60000.09999999 floors to 60000.1
 * rather than 60000.0: float noise is far below a millionth of a tick, and
 * no real price is meant to sit that close to a tick without being on it.
 */
#ifndef PMM_BN_FILTERS_H
#define PMM_BN_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#define BN_DEC_MAXDP	18	/* decimals a filter value may carry */
#define BN_SNAP_TICKS	1e-6	/* tolerance of double -> count, in counts */
#define BN_NUMLEN	48	/* room for any formatted price or quantity */
/* Price rise over the checked price that bn_filters_check_size() warns of. */
#define BN_SIZE_PRICE_MARGIN	0.10

/* An exact non-negative decimal: units × 10^-dp, trailing zeros dropped. */
struct bn_dec {
	int64_t	units;
	int	dp;
};

struct bn_filters {
	char		symbol[32];
	int		price_precision;	/* pricePrecision (display) */
	int		qty_precision;		/* quantityPrecision */

	struct bn_dec	tick;			/* PRICE_FILTER tickSize */
	int64_t		min_price_ticks;	/* 0 = no lower bound */
	int64_t		max_price_ticks;	/* 0 = no upper bound */

	struct bn_dec	step;			/* LOT_SIZE stepSize */
	int64_t		min_qty_steps;
	int64_t		max_qty_steps;		/* 0 = no bound */

	struct bn_dec	mkt_step;		/* MARKET_LOT_SIZE */
	struct bn_dec	mkt_min_qty;
	struct bn_dec	mkt_max_qty;

	struct bn_dec	min_notional;		/* MIN_NOTIONAL notional */
	int		max_num_orders;		/* MAX_NUM_ORDERS, 0 = none */
	double		pct_up, pct_down;	/* PERCENT_PRICE, 0 = none */

	/* Raw filter values as parsed, applied by bn_filters_finish(). */
	struct bn_dec	raw_min_price, raw_max_price;
	struct bn_dec	raw_min_qty, raw_max_qty;
	int		have_price, have_lot;
};

/*
 * Parse a decimal string ("0.0010", "10", "5.0") exactly. No sign, no
 * exponent, at most BN_DEC_MAXDP decimals and 18 significant digits.
 * Returns 0 or -1.
 */
int	bn_dec_parse(const char *s, struct bn_dec *d);
/* Parse a string of len bytes (need not be NUL-terminated). */
int	bn_dec_parsen(const char *s, size_t len, struct bn_dec *d);
/* Format d exactly, with exactly d->dp decimals ("0.1", "100"). */
int	bn_dec_fmt(const struct bn_dec *d, char *buf, size_t len);
double	bn_dec_double(const struct bn_dec *d);

/* Zero f and name it; then set the filters, then bn_filters_finish(). */
void	bn_filters_init(struct bn_filters *f, const char *symbol);
/* Check what is set is usable (tick, step > 0) and derive the bounds. */
int	bn_filters_finish(struct bn_filters *f, char *why, size_t whylen);

/* Double -> tick count. Bids use floor, asks ceil; -1 on a bad price. */
int64_t	bn_price_ticks_floor(const struct bn_filters *f, double px);
int64_t	bn_price_ticks_ceil(const struct bn_filters *f, double px);
int64_t	bn_price_ticks_round(const struct bn_filters *f, double px);
/* Exact decimal string -> tick count; -1 if not a multiple of the tick. */
int64_t	bn_price_ticks_str(const struct bn_filters *f, const char *s);
double	bn_price_double(const struct bn_filters *f, int64_t ticks);
/* "60000.1" with the tick's decimals; -1 if buf is too small. */
int	bn_fmt_price(const struct bn_filters *f, int64_t ticks, char *buf,
	    size_t len);

int64_t	bn_qty_steps_floor(const struct bn_filters *f, double qty);
int64_t	bn_qty_steps_ceil(const struct bn_filters *f, double qty);
int64_t	bn_qty_steps_str(const struct bn_filters *f, const char *s);
double	bn_qty_double(const struct bn_filters *f, int64_t steps);
int	bn_fmt_qty(const struct bn_filters *f, int64_t steps, char *buf,
	    size_t len);

/*
 * 1 when ticks × steps meets MIN_NOTIONAL exactly (no float), else 0.
 */
int	bn_notional_ok(const struct bn_filters *f, int64_t price_ticks,
	    int64_t qty_steps);

/*
 * The quantity (in steps) of an order of `usdt` notional at price_ticks:
 * the SMALLEST step count whose notional is >= usdt, raised to the smallest
 * count that satisfies MIN_NOTIONAL and LOT_SIZE minQty. So the notional
 * placed is never below what was asked nor below the exchange's minimum,
 * and exceeds the ask by less than one step's notional (unless a minimum
 * forced it up). Returns -1 when the result would exceed LOT_SIZE maxQty
 * or the inputs are bad.
 */
int64_t	bn_qty_for_notional(const struct bn_filters *f, double usdt,
	    int64_t price_ticks);

/* 1 when price is inside PERCENT_PRICE around mark (or no filter), else 0. */
int	bn_price_in_band(const struct bn_filters *f, int64_t price_ticks,
	    double mark);

/*
 * Check a configured order size (quantity_per_order_usdt) and ladder
 * (levels per side) against the filters at price `px`:
 *  - usdt below MIN_NOTIONAL: the exchange would refuse every order;
 *  - usdt below minQty × px: every order would be raised to minQty, so the
 *    real size would exceed the configured one;
 *  - usdt / px above maxQty: no order could carry it;
 *  - 2 × levels above MAX_NUM_ORDERS.
 * Returns -1 with msg naming the filter and the smallest (or largest) value
 * that works at px, e.g. "quantity_per_order_usdt 10 is below BTCUSDT's
 * MIN_NOTIONAL filter (100 USDT); the smallest value that works at price
 * 60000.0 is 100". Returns 1 with a warning in msg when usdt works at px
 * but stops working if the price rises BN_SIZE_PRICE_MARGIN (minQty × price
 * grows with the price; MIN_NOTIONAL does not); 0 when all is well.
 */
int	bn_filters_check_size(const struct bn_filters *f, double usdt,
	    int levels, double px, char *msg, size_t len);

#endif
