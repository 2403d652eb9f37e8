/*
 * bn_filters.c — exact decimal arithmetic on a symbol's exchange filters:
 * prices as tick counts, quantities as step counts, notional checks in
 * 128-bit integers, and the start-up check of a configured order size.
 */
#include "bn_filters.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

typedef __int128 i128;
#define I128_MAX	((i128)(((unsigned __int128)1 << 127) - 1))
#define USDT_DP		8	/* a configured USDT amount, as units of 1e-8 */

static const double pow10d[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18
};

/* 10^n as a 128-bit integer, n <= 38. */
static i128
pow10q(int n)
{
	i128 p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/* a × b for non-negative a, b, saturating at I128_MAX instead of wrapping. */
static i128
mulsat(i128 a, i128 b)
{
	if (a == 0 || b == 0)
		return 0;
	if (a > I128_MAX / b)
		return I128_MAX;
	return a * b;
}

int
bn_dec_parsen(const char *s, size_t len, struct bn_dec *d)
{
	int64_t	 u = 0;
	size_t	 i;
	int	 dp = -1, ndig = 0, sig = 0, c;

	d->units = 0;
	d->dp = 0;
	if (s == NULL || len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.' && dp == -1) {
			dp = 0;
			continue;
		}
		if (c < '0' || c > '9')
			return -1;
		ndig++;
		if (dp >= 0)
			dp++;
		if (u == 0 && c == '0') {
			/* leading zeros carry no significance */
		} else if (++sig > 18)
			return -1;
		u = u * 10 + (c - '0');
	}
	if (ndig == 0 || dp > BN_DEC_MAXDP)
		return -1;
	if (dp < 0)
		dp = 0;
	while (dp > 0 && u % 10 == 0) {
		u /= 10;
		dp--;
	}
	d->units = u;
	d->dp = dp;
	return 0;
}

int
bn_dec_parse(const char *s, struct bn_dec *d)
{
	return bn_dec_parsen(s, s == NULL ? 0 : strlen(s), d);
}

/* Format units × 10^-dp for units >= 0 held in 128 bits. */
static int
fmt_units(i128 units, int dp, char *buf, size_t len)
{
	char	 tmp[64];
	int	 n = 0, i, w = 0;

	if (units < 0 || len == 0)
		return -1;
	do {
		tmp[n++] = (char)('0' + (int)(units % 10));
		units /= 10;
	} while (units > 0 && n < (int)sizeof(tmp) - 1);
	while (n <= dp)
		tmp[n++] = '0';
	for (i = n - 1; i >= 0; i--) {
		if ((size_t)w + 2 >= len)
			return -1;
		buf[w++] = tmp[i];
		if (i == dp && dp > 0)
			buf[w++] = '.';
	}
	buf[w] = '\0';
	return 0;
}

int
bn_dec_fmt(const struct bn_dec *d, char *buf, size_t len)
{
	return fmt_units(d->units, d->dp, buf, len);
}

double
bn_dec_double(const struct bn_dec *d)
{
	return (double)d->units / pow10d[d->dp];
}

void
bn_filters_init(struct bn_filters *f, const char *symbol)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->symbol, sizeof(f->symbol), "%s", symbol ? symbol : "");
}

/* A bound given as a decimal, as a count of `unit` (rounded inwards). */
static int64_t
dec_count(const struct bn_dec *v, const struct bn_dec *unit, int up)
{
	i128 num, den, q;

	if (v->units == 0 || unit->units <= 0)
		return 0;
	/* v / unit = v.units × 10^unit.dp / (unit.units × 10^v.dp) */
	num = mulsat(v->units, pow10q(unit->dp));
	den = mulsat(unit->units, pow10q(v->dp));
	q = num / den;
	if (up && q * den < num)
		q++;
	return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

int
bn_filters_finish(struct bn_filters *f, char *why, size_t whylen)
{
	if (!f->have_price || f->tick.units <= 0) {
		snprintf(why, whylen, "%s: no PRICE_FILTER tickSize", f->symbol);
		return -1;
	}
	if (!f->have_lot || f->step.units <= 0) {
		snprintf(why, whylen, "%s: no LOT_SIZE stepSize", f->symbol);
		return -1;
	}
	/* Bounds inwards: a price must be >= min and <= max. */
	f->min_price_ticks = dec_count(&f->raw_min_price, &f->tick, 1);
	f->max_price_ticks = dec_count(&f->raw_max_price, &f->tick, 0);
	f->min_qty_steps = dec_count(&f->raw_min_qty, &f->step, 1);
	f->max_qty_steps = dec_count(&f->raw_max_qty, &f->step, 0);
	if (f->min_qty_steps < 1)
		f->min_qty_steps = 1;
	return 0;
}

/* px / unit as a double count; -1 when px is not a usable value. */
static double
to_counts(const struct bn_dec *unit, double px)
{
	double x;

	if (!isfinite(px) || px < 0 || unit->units <= 0)
		return -1;
	x = px * pow10d[unit->dp] / (double)unit->units;
	if (x >= 9e15)		/* beyond 2^53 a count is no longer exact */
		return -1;
	return x;
}

/* A count near a whole number is that number: see BN_SNAP_TICKS. */
static int64_t
counts_round(double x, int dir)
{
	double n;

	if (x < 0)
		return -1;
	n = nearbyint(x);
	if (fabs(x - n) <= BN_SNAP_TICKS)
		return (int64_t)n;
	if (dir < 0)
		return (int64_t)floor(x);
	if (dir > 0)
		return (int64_t)ceil(x);
	return (int64_t)n;
}

int64_t
bn_price_ticks_floor(const struct bn_filters *f, double px)
{
	return counts_round(to_counts(&f->tick, px), -1);
}

int64_t
bn_price_ticks_ceil(const struct bn_filters *f, double px)
{
	return counts_round(to_counts(&f->tick, px), 1);
}

int64_t
bn_price_ticks_round(const struct bn_filters *f, double px)
{
	return counts_round(to_counts(&f->tick, px), 0);
}

int64_t
bn_qty_steps_floor(const struct bn_filters *f, double qty)
{
	return counts_round(to_counts(&f->step, qty), -1);
}

int64_t
bn_qty_steps_ceil(const struct bn_filters *f, double qty)
{
	return counts_round(to_counts(&f->step, qty), 1);
}

/* Exact string -> count of unit; -1 unless s is a whole multiple. */
static int64_t
str_counts(const struct bn_dec *unit, const char *s)
{
	struct bn_dec	v;
	i128		num, den;

	if (unit->units <= 0 || bn_dec_parse(s, &v) == -1)
		return -1;
	num = mulsat(v.units, pow10q(unit->dp));
	den = mulsat(unit->units, pow10q(v.dp));
	if (num == I128_MAX || den == I128_MAX || num % den != 0 ||
	    num / den > INT64_MAX)
		return -1;
	return (int64_t)(num / den);
}

int64_t
bn_price_ticks_str(const struct bn_filters *f, const char *s)
{
	return str_counts(&f->tick, s);
}

int64_t
bn_qty_steps_str(const struct bn_filters *f, const char *s)
{
	return str_counts(&f->step, s);
}

double
bn_price_double(const struct bn_filters *f, int64_t ticks)
{
	return (double)ticks * (double)f->tick.units / pow10d[f->tick.dp];
}

double
bn_qty_double(const struct bn_filters *f, int64_t steps)
{
	return (double)steps * (double)f->step.units / pow10d[f->step.dp];
}

static int
fmt_counts(const struct bn_dec *unit, int64_t n, char *buf, size_t len)
{
	if (n < 0 || unit->units <= 0) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return fmt_units((i128)n * unit->units, unit->dp, buf, len);
}

int
bn_fmt_price(const struct bn_filters *f, int64_t ticks, char *buf, size_t len)
{
	return fmt_counts(&f->tick, ticks, buf, len);
}

int
bn_fmt_qty(const struct bn_filters *f, int64_t steps, char *buf, size_t len)
{
	return fmt_counts(&f->step, steps, buf, len);
}

/*
 * Compare a × 10^-adp with b × 10^-bdp exactly (a, b >= 0): -1, 0 or 1.
 * Saturation only happens far beyond any real price or size.
 */
static int
cmp_scaled(i128 a, int adp, i128 b, int bdp)
{
	if (adp < bdp)
		a = mulsat(a, pow10q(bdp - adp));
	else if (bdp < adp)
		b = mulsat(b, pow10q(adp - bdp));
	return (a > b) - (a < b);
}

/* Notional of ticks × steps as units at 10^-(tick.dp + step.dp). */
static i128
notional_units(const struct bn_filters *f, int64_t ticks, int64_t steps)
{
	i128 p = (i128)ticks * f->tick.units;
	i128 q = (i128)steps * f->step.units;

	return mulsat(p, q);
}

int
bn_notional_ok(const struct bn_filters *f, int64_t price_ticks,
    int64_t qty_steps)
{
	if (price_ticks < 0 || qty_steps < 0)
		return 0;
	return cmp_scaled(notional_units(f, price_ticks, qty_steps),
	    f->tick.dp + f->step.dp, f->min_notional.units,
	    f->min_notional.dp) >= 0;
}

/* Smallest step count whose notional at price_ticks is >= v × 10^-vdp. */
static int64_t
steps_for(const struct bn_filters *f, i128 v, int vdp, int64_t price_ticks)
{
	i128	num, den, q;
	int	ndp = f->tick.dp + f->step.dp;

	/* n × (ticks·tu) × su / 10^ndp >= v / 10^vdp */
	den = mulsat((i128)price_ticks * f->tick.units, f->step.units);
	if (den <= 0)
		return -1;
	num = v;
	if (ndp > vdp)
		num = mulsat(v, pow10q(ndp - vdp));
	else if (vdp > ndp)
		den = mulsat(den, pow10q(vdp - ndp));
	if (num == I128_MAX || den == I128_MAX)
		return -1;
	q = num / den;
	if (q * den < num)
		q++;
	return q > INT64_MAX ? -1 : (int64_t)q;
}

/* A configured USDT amount as units of 10^-USDT_DP; -1 when unusable. */
static i128
usdt_units(double usdt)
{
	if (!isfinite(usdt) || usdt <= 0 || usdt > 1e12)
		return -1;
	return (i128)llround(usdt * 1e8);
}

int64_t
bn_qty_for_notional(const struct bn_filters *f, double usdt,
    int64_t price_ticks)
{
	i128	u = usdt_units(usdt);
	int64_t	n, m;

	if (u < 0 || price_ticks <= 0 || f->step.units <= 0)
		return -1;
	if ((n = steps_for(f, u, USDT_DP, price_ticks)) == -1)
		return -1;
	if (f->min_notional.units > 0) {
		m = steps_for(f, f->min_notional.units, f->min_notional.dp,
		    price_ticks);
		if (m == -1)
			return -1;
		if (m > n)
			n = m;
	}
	if (n < f->min_qty_steps)
		n = f->min_qty_steps;
	if (f->max_qty_steps > 0 && n > f->max_qty_steps)
		return -1;
	return n;
}

int
bn_price_in_band(const struct bn_filters *f, int64_t price_ticks, double mark)
{
	double px = bn_price_double(f, price_ticks);

	if (f->pct_up <= 0 || f->pct_down <= 0 || !(mark > 0))
		return 1;
	return px <= mark * f->pct_up && px >= mark * f->pct_down;
}

/* A USDT amount a person can type: rounded UP to the cent, no trailing 0s. */
static void
fmt_usdt_up(double v, char *buf, size_t len)
{
	struct bn_dec	d;
	char		tmp[BN_NUMLEN];

	d.units = (int64_t)ceil(v * 100 - 1e-6);
	d.dp = 2;
	while (d.dp > 0 && d.units % 10 == 0) {
		d.units /= 10;
		d.dp--;
	}
	if (bn_dec_fmt(&d, tmp, sizeof(tmp)) == -1)
		snprintf(tmp, sizeof(tmp), "%.2f", v);
	snprintf(buf, len, "%s", tmp);
}

/* A USDT amount rounded DOWN to the cent (for "the largest that works"). */
static void
fmt_usdt_down(double v, char *buf, size_t len)
{
	fmt_usdt_up(floor(v * 100 + 1e-6) / 100, buf, len);
}

int
bn_filters_check_size(const struct bn_filters *f, double usdt, int levels,
    double px, char *msg, size_t len)
{
	char	 pxs[BN_NUMLEN], mqs[BN_NUMLEN], a[BN_NUMLEN], b[BN_NUMLEN];
	int64_t	 ticks;
	double	 mn, mq, maxq;

	msg[0] = '\0';
	ticks = bn_price_ticks_round(f, px);
	if (ticks <= 0 || usdt_units(usdt) < 0) {
		snprintf(msg, len, "cannot check quantity_per_order_usdt %.10g at "
		    "price %g on %s", usdt, px, f->symbol);
		return -1;
	}
	bn_fmt_price(f, ticks, pxs, sizeof(pxs) - 2);
	if (strchr(pxs, '.') == NULL)	/* "60000.0": reads as a price */
		strcat(pxs, ".0");
	px = bn_price_double(f, ticks);
	mn = bn_dec_double(&f->min_notional);
	mq = bn_qty_double(f, f->min_qty_steps) * px;
	bn_fmt_qty(f, f->min_qty_steps, mqs, sizeof(mqs));
	fmt_usdt_up(mn > mq ? mn : mq, a, sizeof(a));

	if (cmp_scaled(usdt_units(usdt), USDT_DP, f->min_notional.units,
	    f->min_notional.dp) < 0) {
		fmt_usdt_up(mn, b, sizeof(b));
		snprintf(msg, len, "quantity_per_order_usdt %.10g is below %s's "
		    "MIN_NOTIONAL filter (%s USDT); the smallest value that "
		    "works at price %s is %s", usdt, f->symbol, b, pxs, a);
		return -1;
	}
	if (usdt < mq - 1e-9) {
		fmt_usdt_up(mq, b, sizeof(b));
		snprintf(msg, len, "quantity_per_order_usdt %.10g is below %s's "
		    "LOT_SIZE minQty (%s = %s USDT at price %s), so every order "
		    "would be larger than configured; the smallest value that "
		    "works at price %s is %s", usdt, f->symbol, mqs, b, pxs,
		    pxs, a);
		return -1;
	}
	if (f->max_qty_steps > 0 && bn_qty_steps_ceil(f, usdt / px) >
	    f->max_qty_steps) {
		maxq = bn_qty_double(f, f->max_qty_steps) * px;
		bn_fmt_qty(f, f->max_qty_steps, mqs, sizeof(mqs));
		fmt_usdt_down(maxq, b, sizeof(b));
		snprintf(msg, len, "quantity_per_order_usdt %.10g is above %s's "
		    "LOT_SIZE maxQty (%s); the largest value that works at "
		    "price %s is %s", usdt, f->symbol, mqs, pxs, b);
		return -1;
	}
	if (f->max_num_orders > 0 && levels > 0 &&
	    2 * levels > f->max_num_orders) {
		snprintf(msg, len, "order_config.levels %d places %d orders, "
		    "above %s's MAX_NUM_ORDERS filter (%d); the largest value "
		    "that works is %d", levels, 2 * levels, f->symbol,
		    f->max_num_orders, f->max_num_orders / 2);
		return -1;
	}
	if (usdt < mq * (1 + BN_SIZE_PRICE_MARGIN)) {
		fmt_usdt_up(mq * (1 + BN_SIZE_PRICE_MARGIN), b, sizeof(b));
		snprintf(msg, len, "quantity_per_order_usdt %.10g is within %g%% "
		    "of %s's LOT_SIZE minQty (%s) at price %s: if the price "
		    "rises that much, orders will be larger than configured; "
		    "%s would leave that margin", usdt,
		    BN_SIZE_PRICE_MARGIN * 100, f->symbol, mqs, pxs, b);
		return 1;
	}
	return 0;
}
