/*
 * filters.c — symbol specifications and Binance's order filters.
 *
 * The built-in specs carry the values Binance's exchangeInfo showed for
 * the USD-M perpetuals in 2024 (BTCUSDT: tick 0.10, step 0.001, min
 * notional 100; ETHUSDT: tick 0.01, step 0.001, min notional 20; both
 * PERCENT_PRICE 1.05/0.95). Leverage brackets follow the shape of
 * GET /fapi/v1/leverageBracket for BTCUSDT (125x up to 50,000 USDT
 * notional, ...); ETHUSDT reuses that shape with its own caps. They are
 * approximations: good enough for maxNotionalValue and maintenance margin.
 *
 * flt_check() validates in the order a client meets the errors on Binance:
 * parameters present, precision (-1111), price range and tick (-4013,
 * -4002, -4014), quantity range and step (-4004, -4005, -4023), the
 * mark-price band (-4016/-4024 limit, -4131 market) and last the
 * notional (-4164). Messages are Binance's, from its error-code page or
 * from real responses (examples.json).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

/* ------------------------------------------------------------------ */
/* enum spellings                                                      */

static const char *const side_s[] = { "BUY", "SELL" };
static const char *const otype_s[] = { "LIMIT", "MARKET" };
static const char *const tif_s[] = { "GTC", "IOC", "FOK", "GTX", "GTD" };
static const char *const status_s[] = { "NEW", "PARTIALLY_FILLED", "FILLED",
	"CANCELED", "EXPIRED", "EXPIRED_IN_MATCH" };
static const char *const exec_s[] = { "NEW", "CANCELED", "CALCULATED",
	"EXPIRED", "TRADE", "AMENDMENT" };
static const char *const stp_s[] = { "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER",
	"EXPIRE_BOTH" };
static const char *const pside_s[] = { "BOTH", "LONG", "SHORT" };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
enum_str(const char *const *tab, size_t n, unsigned v)
{
	return v < n ? tab[v] : "UNKNOWN";
}

static int
enum_parse(const char *const *tab, size_t n, const char *s, int *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(tab[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

const char *exch_side_str(enum exch_side v) { return enum_str(side_s, NELEM(side_s), v); }
const char *exch_otype_str(enum exch_otype v) { return enum_str(otype_s, NELEM(otype_s), v); }
const char *exch_tif_str(enum exch_tif v) { return enum_str(tif_s, NELEM(tif_s), v); }
const char *exch_status_str(enum exch_status v) { return enum_str(status_s, NELEM(status_s), v); }
const char *exch_exec_str(enum exch_exec v) { return enum_str(exec_s, NELEM(exec_s), v); }
const char *exch_stp_str(enum exch_stp v) { return enum_str(stp_s, NELEM(stp_s), v); }
const char *exch_pside_str(enum exch_pside v) { return enum_str(pside_s, NELEM(pside_s), v); }

#define PARSER(name, type, tab)						\
int									\
name(const char *s, type *out)						\
{									\
	int v;								\
									\
	if (enum_parse(tab, NELEM(tab), s, &v) == -1)			\
		return -1;						\
	*out = (type)v;							\
	return 0;							\
}
PARSER(exch_side_parse, enum exch_side, side_s)
PARSER(exch_otype_parse, enum exch_otype, otype_s)
PARSER(exch_tif_parse, enum exch_tif, tif_s)
PARSER(exch_stp_parse, enum exch_stp, stp_s)
PARSER(exch_pside_parse, enum exch_pside, pside_s)

/* ------------------------------------------------------------------ */
/* errors and formatting                                               */

int
exch_err_set(struct exch_err *e, int http, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->http = http;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
exch_fmt(char *buf, size_t len, double v, int precision)
{
	/* -0.00 looks like a bug to a reader of the JSON */
	if (fabs(v) < 0.5 * pow(10, -precision))
		v = 0;
	return snprintf(buf, len, "%.*f", precision, v);
}

int
flt_decimals(double v)
{
	double scaled, p = 1;
	int d;

	v = fabs(v);
	for (d = 0; d <= 16; d++, p *= 10) {
		scaled = v * p;
		if (fabs(scaled - nearbyint(scaled)) <= 1e-9 * fmax(1.0, scaled))
			return d;
	}
	return 17;
}

bool
flt_to_units(double v, double size, int64_t *units)
{
	double q = v / size;
	int64_t n = llround(q);

	if (fabs((double)n - q) > 1e-9 * fmax(1.0, fabs(q)))
		return false;
	*units = n;
	return true;
}

/* Print a filter value the way exchangeInfo does ("100", "5.0" -> "5"). */
static void
fmt_plain(char *buf, size_t len, double v)
{
	exch_fmt(buf, len, v, flt_decimals(v));
}

/* ------------------------------------------------------------------ */
/* built-in specs                                                      */

/*
 * { initial leverage, notional floor, cap, maintenance rate, cum }. cum is
 * the maintenance amount that makes the tiers continuous:
 * cum[i] = cum[i-1] + floor[i] x (rate[i] - rate[i-1]).
 */
#define BTC_BRACKETS {							\
	{ 125, 0, 50000, 0.004, 0 },					\
	{ 100, 50000, 600000, 0.005, 50 },				\
	{ 75, 600000, 3000000, 0.0065, 950 },				\
	{ 50, 3000000, 12000000, 0.01, 11450 },				\
	{ 25, 12000000, 70000000, 0.02, 131450 },			\
	{ 20, 70000000, 100000000, 0.025, 481450 },			\
	{ 10, 100000000, 230000000, 0.05, 2981450 },			\
	{ 5, 230000000, 480000000, 0.1, 14481450 },			\
	{ 4, 480000000, 600000000, 0.125, 26481450 },			\
	{ 3, 600000000, 800000000, 0.15, 41481450 },			\
	{ 2, 800000000, 1200000000, 0.25, 121481450 },			\
	{ 1, 1200000000, 1800000000, 0.5, 421481450 },			\
}
#define ETH_BRACKETS {							\
	{ 125, 0, 50000, 0.004, 0 },					\
	{ 100, 50000, 600000, 0.005, 50 },				\
	{ 75, 600000, 3000000, 0.0065, 950 },				\
	{ 50, 3000000, 12000000, 0.01, 11450 },				\
	{ 25, 12000000, 50000000, 0.02, 131450 },			\
	{ 20, 50000000, 65000000, 0.025, 381450 },			\
	{ 10, 65000000, 150000000, 0.05, 2006450 },			\
	{ 5, 150000000, 320000000, 0.1, 9506450 },			\
	{ 4, 320000000, 400000000, 0.125, 17506450 },			\
	{ 3, 400000000, 530000000, 0.15, 27506450 },			\
	{ 2, 530000000, 800000000, 0.25, 80506450 },			\
	{ 1, 800000000, 1200000000, 0.5, 280506450 },			\
}

static const struct exch_symbol_spec spec_btc = {
	.symbol = "BTCUSDT", .base = "BTC", .quote = "USDT",
	.price_precision = 2, .qty_precision = 3,
	.tick_size = 0.10, .min_price = 556.80, .max_price = 4529764,
	.step_size = 0.001, .min_qty = 0.001, .max_qty = 1000,
	.mkt_step_size = 0.001, .mkt_min_qty = 0.001, .mkt_max_qty = 120,
	.max_num_orders = 200, .max_num_algo_orders = 10,
	.min_notional = 100,
	.pct_up = 1.05, .pct_down = 0.95, .pct_decimal = 4,
	.maint_margin_pct = 2.5, .required_margin_pct = 5.0,
	.liquidation_fee = 0.0125, .market_take_bound = 0.05,
	.trigger_protect = 0.05,
	.onboard_date_ms = 1569398400000LL, .delivery_date_ms = 4133404800000LL,
	.nbrackets = 12, .brackets = BTC_BRACKETS,
	.start_price = 60000,
};

static const struct exch_symbol_spec spec_eth = {
	.symbol = "ETHUSDT", .base = "ETH", .quote = "USDT",
	.price_precision = 2, .qty_precision = 3,
	.tick_size = 0.01, .min_price = 39.86, .max_price = 306177,
	.step_size = 0.001, .min_qty = 0.001, .max_qty = 10000,
	.mkt_step_size = 0.001, .mkt_min_qty = 0.001, .mkt_max_qty = 2000,
	.max_num_orders = 200, .max_num_algo_orders = 10,
	.min_notional = 20,
	.pct_up = 1.05, .pct_down = 0.95, .pct_decimal = 4,
	.maint_margin_pct = 2.5, .required_margin_pct = 5.0,
	.liquidation_fee = 0.0125, .market_take_bound = 0.05,
	.trigger_protect = 0.05,
	.onboard_date_ms = 1569398400000LL, .delivery_date_ms = 4133404800000LL,
	.nbrackets = 12, .brackets = ETH_BRACKETS,
	.start_price = 2600,
};

const struct exch_symbol_spec *
exch_spec_builtin(const char *symbol)
{
	if (symbol == NULL)
		return NULL;
	if (strcmp(symbol, "BTCUSDT") == 0)
		return &spec_btc;
	if (strcmp(symbol, "ETHUSDT") == 0)
		return &spec_eth;
	return NULL;
}

double
exch_spec_max_notional(const struct exch_symbol_spec *s, int leverage)
{
	double cap = 0;
	int i;

	/* the highest tier whose leverage still allows this leverage */
	for (i = 0; i < s->nbrackets; i++)
		if (s->brackets[i].initial_leverage >= leverage)
			cap = s->brackets[i].notional_cap;
	return cap;
}

const struct exch_bracket *
exch_spec_bracket(const struct exch_symbol_spec *s, double notional)
{
	int i;

	notional = fabs(notional);
	for (i = 0; i < s->nbrackets; i++)
		if (notional < s->brackets[i].notional_cap)
			return &s->brackets[i];
	return s->nbrackets > 0 ? &s->brackets[s->nbrackets - 1] : NULL;
}

/* ------------------------------------------------------------------ */
/* checks                                                              */

bool
flt_cid_valid(const char *cid)
{
	size_t n = strlen(cid);
	size_t i;

	if (n < 1 || n > 36)
		return false;
	for (i = 0; i < n; i++) {
		char c = cid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == ':' ||
		    c == '/' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
check_price(const struct exch_symbol_spec *s, double price, int64_t *px,
    struct exch_err *e)
{
	if (price < 0)
		return exch_err_set(e, 400, -4001, "Price less than 0.");
	if (price == 0)
		return exch_err_set(e, 400, -1102, "Mandatory parameter 'price' "
		    "was not sent, was empty/null, or malformed.");
	if (flt_decimals(price) > s->price_precision)
		return exch_err_set(e, 400, -1111,
		    "Precision is over the maximum defined for this asset.");
	if (price < s->min_price - s->tick_size * 1e-6)
		return exch_err_set(e, 400, -4013, "Price less than min price.");
	if (price > s->max_price + s->tick_size * 1e-6)
		return exch_err_set(e, 400, -4002, "Price greater than max price.");
	if (!flt_to_units(price, s->tick_size, px))
		return exch_err_set(e, 400, -4014, "Price not increased by tick size.");
	return 0;
}

static int
check_qty(const struct exch_symbol_spec *s, const struct flt_order *o,
    int64_t *lots, struct exch_err *e)
{
	bool mkt = o->type == EXCH_MARKET;
	double step = mkt ? s->mkt_step_size : s->step_size;
	double minq = mkt ? s->mkt_min_qty : s->min_qty;
	double maxq = mkt ? s->mkt_max_qty : s->max_qty;
	int64_t steps;

	if (o->qty < 0)
		return exch_err_set(e, 400, -4003, "Quantity less than zero.");
	if (o->qty == 0)
		return exch_err_set(e, 400, -1102, "Mandatory parameter "
		    "'quantity' was not sent, was empty/null, or malformed.");
	if (flt_decimals(o->qty) > s->qty_precision)
		return exch_err_set(e, 400, -1111,
		    "Precision is over the maximum defined for this asset.");
	if (o->qty < minq - step * 1e-6)
		return exch_err_set(e, 400, -4004, "Quantity less than min quantity.");
	if (o->qty > maxq + step * 1e-6)
		return exch_err_set(e, 400, -4005,
		    "Quantity greater than max quantity.");
	if (!flt_to_units(o->qty, step, &steps))
		return exch_err_set(e, 400, -4023, "Qty not increased by step size.");
	/* the engine counts in LOT_SIZE steps; a coarser market step is a
	 * whole number of them */
	if (!flt_to_units(o->qty, s->step_size, lots))
		return exch_err_set(e, 400, -4023, "Qty not increased by step size.");
	return 0;
}

static int
check_percent(const struct exch_symbol_spec *s, const struct flt_order *o,
    struct exch_err *e)
{
	char buf[64];
	double cap;

	if (o->mark <= 0)
		return 0;
	if (o->type == EXCH_MARKET) {
		double best = o->best_opposite;

		if (best > 0 && ((o->side == EXCH_BUY && best > o->mark * s->pct_up) ||
		    (o->side == EXCH_SELL && best < o->mark * s->pct_down)))
			return exch_err_set(e, 400, -4131, "The counterparty's "
			    "best price does not meet the PERCENT_PRICE filter limit");
		return 0;
	}
	if (o->side == EXCH_BUY) {
		cap = floor(o->mark * s->pct_up / s->tick_size + 1e-9) * s->tick_size;
		if (o->price > cap + s->tick_size * 1e-6) {
			exch_fmt(buf, sizeof(buf), cap, s->price_precision);
			return exch_err_set(e, 400, -4016,
			    "Limit price can't be higher than %s.", buf);
		}
	} else {
		cap = ceil(o->mark * s->pct_down / s->tick_size - 1e-9) * s->tick_size;
		if (o->price < cap - s->tick_size * 1e-6) {
			exch_fmt(buf, sizeof(buf), cap, s->price_precision);
			return exch_err_set(e, 400, -4024,
			    "Limit price can't be lower than %s.", buf);
		}
	}
	return 0;
}

static int
check_notional(const struct exch_symbol_spec *s, const struct flt_order *o,
    struct exch_err *e)
{
	char buf[64];
	double ref = o->price;

	if (o->reduce_only)
		return 0;
	if (o->type == EXCH_MARKET)
		ref = o->last_price > 0 ? o->last_price : o->mark;
	if (ref <= 0)
		return 0;
	if (ref * o->qty < s->min_notional - 1e-9) {
		fmt_plain(buf, sizeof(buf), s->min_notional);
		return exch_err_set(e, 400, -4164, "Order's notional must be no "
		    "smaller than %s (unless you choose reduce only)", buf);
	}
	return 0;
}

int
flt_check(const struct exch_symbol_spec *s, const struct flt_order *o,
    int64_t *px, int64_t *lots, struct exch_err *e)
{
	*px = 0;
	if (o->type == EXCH_LIMIT) {
		if (o->qty == 0)
			return check_qty(s, o, lots, e);
		if (check_price(s, o->price, px, e) == -1)
			return -1;
	} else if (o->price != 0) {
		return exch_err_set(e, 400, -1106,
		    "Parameter 'price' sent when not required.");
	}
	if (check_qty(s, o, lots, e) == -1)
		return -1;
	if (check_percent(s, o, e) == -1)
		return -1;
	return check_notional(s, o, e);
}
