/*
 * strat.c — what every strategy shares: the registry (strategy_name ->
 * ladder function), input validation, the diff of a desired ladder against
 * the open orders (keep / cancel / place), tick/step rounding and the
 * client order id scheme. Pure functions only: no I/O, no globals that
 * change, no allocation.
 */
#include "strat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_filters.h"

/* Append-only; a new strategy is one file and one line here. */
static const struct strat_impl strat_table[] = {
	{ "simple_mm", "N levels each side of mid at k x offset",
	    strat_simple_ladder },
	{ "skew_mm", "the simple ladder shifted and sized against inventory",
	    strat_skew_ladder },
	{ "avellaneda_mm", "Avellaneda-Stoikov quotes around the reservation "
	    "price", strat_as_ladder },
	{ "glft_mm", "Gueant-Lehalle-Fernandez-Tapia asymptotic quotes",
	    strat_glft_ladder },
};
#define STRAT_NIMPL	(sizeof(strat_table) / sizeof(strat_table[0]))

/* Relative slack below which a value counts as on the grid. */
#define STRAT_GRID_EPS	1e-13

void
strat_names(char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < STRAT_NIMPL; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    strat_table[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

const struct strat_impl *
strat_find(const char *name, char *err, size_t errlen)
{
	char names[256];
	size_t i;

	for (i = 0; name != NULL && i < STRAT_NIMPL; i++)
		if (strcmp(strat_table[i].name, name) == 0)
			return &strat_table[i];
	strat_names(names, sizeof(names));
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "unknown strategy_name \"%.64s\"; "
		    "known: %s", name ? name : "", names);
	return NULL;
}

const char *
strat_why_name(enum strat_why why)
{
	switch (why) {
	case STRAT_WHY_QUOTING:		return "quoting";
	case STRAT_WHY_PAUSED:		return "paused";
	case STRAT_WHY_STALE:		return "stale market";
	case STRAT_WHY_BAD_BOOK:	return "bad book";
	case STRAT_WHY_BAD_INPUT:	return "bad input";
	}
	return "?";
}

/* ---- rounding ---------------------------------------------------------- */

static double
strat_grid_eps(double v)
{
	return STRAT_GRID_EPS * fmax(1.0, fabs(v));
}

/* floor/ceil results as int64 without undefined behaviour: NaN is 0 and
 * anything past 2^53 (no longer exact anyway) is pinned there. */
static int64_t
strat_to_i64(double v)
{
	if (isnan(v))
		return 0;
	if (v > 9007199254740992.0)
		return INT64_C(9007199254740992);
	if (v < -9007199254740992.0)
		return -INT64_C(9007199254740992);
	return (int64_t)v;
}

int64_t
strat_ticks_down(double px, double tick)
{
	double v = px / tick;

	return strat_to_i64(floor(v + strat_grid_eps(v)));
}

int64_t
strat_ticks_up(double px, double tick)
{
	double v = px / tick;

	return strat_to_i64(ceil(v - strat_grid_eps(v)));
}

int64_t
strat_ticks_near(double px, double tick)
{
	return strat_to_i64(round(px / tick));
}

/* unit as m x 10^-d with integer m, d <= 12; -1 if it is not decimal. */
static int
strat_decimal(double unit, int64_t *m, int *d)
{
	double x, p = 1.0;
	int i;

	if (!(unit > 0) || !isfinite(unit))
		return -1;
	for (i = 0; i <= 12; i++, p *= 10.0) {
		x = unit * p;
		if (x > 9e15)
			return -1;
		if (fabs(x - (double)llround(x)) <= 1e-9 * x) {
			*m = llround(x);
			*d = i;
			return 0;
		}
	}
	return -1;
}

int
strat_fmt(char *buf, size_t len, int64_t n, double unit)
{
	int64_t m, v, scale = 1;
	uint64_t a;
	int d, i, r;

	if (strat_decimal(unit, &m, &d) == -1 ||
	    __builtin_mul_overflow(n, m, &v))
		return -1;
	for (i = 0; i < d; i++)
		scale *= 10;
	a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	if (d == 0)
		r = snprintf(buf, len, "%s%llu", v < 0 ? "-" : "",
		    (unsigned long long)a);
	else
		r = snprintf(buf, len, "%s%llu.%0*llu", v < 0 ? "-" : "",
		    (unsigned long long)(a / (uint64_t)scale), d,
		    (unsigned long long)(a % (uint64_t)scale));
	return (r < 0 || (size_t)r >= len) ? -1 : r;
}

/* ---- client order ids --------------------------------------------------- */

static const char strat_b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static bool
strat_id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool
strat_instance_ok(const char *instance)
{
	size_t i;

	if (instance == NULL || instance[0] == '\0')
		return false;
	for (i = 0; instance[i] != '\0'; i++)
		if (i >= STRAT_INSTANCE_MAX || !strat_id_char(instance[i]))
			return false;
	return true;
}

/* 36^11, the seq space that keeps the id within 36 chars. */
#define STRAT_SEQ_SPACE	UINT64_C(131621703842267136)

int
strat_cid_make(char *buf, size_t len, const char *instance, int side,
    int level, uint64_t seq)
{
	char digits[STRAT_SEQ_DIGITS];
	size_t r;
	int n = 0;

	if (len < STRAT_CID_MAX + 1 || !strat_instance_ok(instance) ||
	    (side != STRAT_BUY && side != STRAT_SELL) || level < 1 ||
	    level > 99)
		return -1;
	seq %= STRAT_SEQ_SPACE;
	do {
		digits[n++] = strat_b36[seq % 36];
		seq /= 36;
	} while (seq != 0);
	/* by hand, not snprintf: this runs for every order placed */
	r = strlen(instance);
	memcpy(buf, instance, r);
	buf[r++] = '-';
	buf[r++] = side == STRAT_BUY ? 'B' : 'S';
	if (level >= 10)
		buf[r++] = (char)('0' + level / 10);
	buf[r++] = (char)('0' + level % 10);
	buf[r++] = '-';
	while (n > 0)
		buf[r++] = digits[--n];
	buf[r] = '\0';
	return (int)r;
}

static int
strat_b36_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return -1;
}

/* "<B|S><1..99>" between two dashes. */
static int
strat_cid_rung(const char *p, size_t n, struct strat_cid *out)
{
	if (n < 2 || n > 3 || (p[0] != 'B' && p[0] != 'S') ||
	    p[1] < '1' || p[1] > '9' || (n == 3 && (p[2] < '0' || p[2] > '9')))
		return -1;
	out->side = p[0] == 'B' ? STRAT_BUY : STRAT_SELL;
	out->level = (uint8_t)(n == 2 ? p[1] - '0' :
	    (p[1] - '0') * 10 + p[2] - '0');
	return 0;
}

int
strat_cid_parse(const char *cid, struct strat_cid *out)
{
	const char *d2, *d1;
	size_t len, i;
	int v;

	if (cid == NULL || (len = strlen(cid)) == 0 || len > STRAT_CID_MAX)
		return -1;
	if ((d2 = strrchr(cid, '-')) == NULL || d2 == cid)
		return -1;
	for (d1 = d2 - 1; d1 > cid && *d1 != '-'; d1--)
		;
	if (*d1 != '-' || d1 == cid)
		return -1;
	/* seq: 1..11 base-36 digits, no leading zero unless it is "0" */
	len = strlen(d2 + 1);
	if (len < 1 || len > STRAT_SEQ_DIGITS || (len > 1 && d2[1] == '0'))
		return -1;
	out->seq = 0;
	for (i = 0; i < len; i++) {
		if ((v = strat_b36_val(d2[1 + i])) == -1)
			return -1;
		out->seq = out->seq * 36 + (uint64_t)v;
	}
	if (strat_cid_rung(d1 + 1, (size_t)(d2 - d1 - 1), out) == -1)
		return -1;
	len = (size_t)(d1 - cid);
	if (len > STRAT_INSTANCE_MAX)
		return -1;
	memcpy(out->instance, cid, len);
	out->instance[len] = '\0';
	return strat_instance_ok(out->instance) ? 0 : -1;
}

bool
strat_cid_ours(const char *cid, const char *instance)
{
	struct strat_cid c;

	return instance != NULL && strat_cid_parse(cid, &c) == 0 &&
	    strcmp(c.instance, instance) == 0;
}

uint64_t
strat_seq_seed(int64_t real_ns)
{
	return real_ns > 0 ? (uint64_t)real_ns / 1000 : 0;
}

uint64_t
strat_seq_start(int64_t real_ns, uint64_t reserved)
{
	uint64_t clock = strat_seq_seed(real_ns);

	return clock > reserved ? clock : reserved;
}

uint64_t
strat_seq_reserve(uint64_t next_seq, uint64_t reserved)
{
	if (reserved > next_seq && reserved - next_seq > STRAT_SEQ_BLOCK / 2)
		return 0;
	return next_seq + STRAT_SEQ_BLOCK;
}

/* ---- config ------------------------------------------------------------- */

void
strat_config_from_cfg(struct strat_config *sc, const struct cfg *c,
    bool paused)
{
	memset(sc, 0, sizeof(*sc));
	sc->levels = c->order.levels;
	sc->qty_usdt = c->order.quantity_per_order_usdt;
	sc->offset_pct = c->order.price_offset_percent;
	sc->refresh_mode = c->order.refresh_mode;
	sc->tolerance_pct = c->order.refresh_tolerance_percent;
	sc->paused = paused;
	sc->inv.limit_usdt = c->initial_capital * c->max_net_position_ratio;
	sc->inv.target_usdt = c->inventory.target_usdt;
	sc->inv.soft_ratio = c->inventory.soft_limit_ratio;
	sc->skew.price_skew_pct = c->skew.price_skew_percent;
	sc->skew.size_skew = c->skew.size_skew;
	sc->as.gamma = c->avellaneda.gamma;
	sc->as.horizon_s = c->avellaneda.horizon;
	sc->as.finite = c->avellaneda.horizon_mode == CFG_HORIZON_FINITE;
	sc->glft.gamma = c->glft.gamma;
}

int
strat_filters_from_bn(struct strat_filters *sf, const struct bn_filters *f)
{
	memset(sf, 0, sizeof(*sf));
	if (f->tick.units <= 0 || f->step.units <= 0)
		return -1;
	sf->tick = bn_dec_double(&f->tick);
	sf->step = bn_dec_double(&f->step);
	sf->min_qty = bn_qty_double(f, f->min_qty_steps);
	sf->min_notional = bn_dec_double(&f->min_notional);
	return 0;
}

bool
strat_mid_moved(const struct strat_config *c, double last_mid, double mid)
{
	if (c->refresh_mode != CFG_REFRESH_TOLERANCE || !(last_mid > 0) ||
	    !isfinite(mid))
		return false;
	return fabs(mid - last_mid) / last_mid * 100.0 > c->tolerance_pct;
}

static bool
strat_filters_ok(const struct strat_filters *f)
{
	return f->tick > 0 && isfinite(f->tick) && f->step > 0 &&
	    isfinite(f->step) && f->min_qty >= 0 && isfinite(f->min_qty) &&
	    f->min_notional >= 0 && isfinite(f->min_notional);
}

static bool
strat_qty_ok(int64_t steps, int64_t px_ticks, const struct strat_filters *f)
{
	double qty = (double)steps * f->step;

	return qty >= f->min_qty * (1 - STRAT_GRID_EPS) &&
	    qty * (double)px_ticks * f->tick >=
	    f->min_notional * (1 - STRAT_GRID_EPS);
}

int64_t
strat_qty_steps(double qty_usdt, int64_t px_ticks,
    const struct strat_filters *f)
{
	double px = (double)px_ticks * f->tick;
	int64_t steps;

	if (!(px > 0) || !(qty_usdt > 0))
		return 0;
	steps = strat_ticks_down(qty_usdt / px, f->step);
	if (strat_qty_ok(steps, px_ticks, f))
		return steps;
	steps++;
	return strat_qty_ok(steps, px_ticks, f) ? steps : 0;
}

int
strat_check(const struct strat_config *c, const struct strat_filters *f,
    double mid, char *err, size_t errlen)
{
	double hi, need;
	int k;

	if (!strat_filters_ok(f) || !(mid > 0) || !isfinite(mid)) {
		snprintf(err, errlen, "no usable exchange filters or price");
		return -1;
	}
	for (k = 1; k <= c->levels; k++) {
		double d = k * c->offset_pct / 100.0;

		if (strat_qty_steps(c->qty_usdt, strat_ticks_up(mid * (1 + d),
		    f->tick), f) == 0 || (d < 1 && strat_qty_steps(c->qty_usdt,
		    strat_ticks_down(mid * (1 - d), f->tick), f) == 0))
			break;
	}
	if (k > c->levels)
		return 0;
	/* the dearest rung needs the most USDT to reach minQty */
	hi = mid * (1.0 + c->levels * c->offset_pct / 100.0);
	need = fmax(f->min_notional, f->min_qty * hi);
	snprintf(err, errlen, "quantity_per_order_usdt %g cannot be placed at "
	    "price %g (%s is %g): use at least %g", c->qty_usdt, mid,
	    c->qty_usdt < f->min_notional ? "MIN_NOTIONAL" : "LOT_SIZE minQty",
	    c->qty_usdt < f->min_notional ? f->min_notional : f->min_qty,
	    ceil(need));
	return -1;
}

/* ---- what the inventory-aware strategies share ------------------------ */

static bool
strat_book_ok(const struct strat_market *m)
{
	return isfinite(m->bid) && isfinite(m->ask) && isfinite(m->mid) &&
	    m->bid > 0 && m->ask > 0 && m->mid > 0 && m->bid < m->ask;
}

bool
strat_gate(const struct strat_in *in, struct strat_out *out)
{
	if (in->cfg.paused)
		out->why = STRAT_WHY_PAUSED;
	else if (in->mkt.stale)
		out->why = STRAT_WHY_STALE;
	else if (!strat_book_ok(&in->mkt))
		out->why = STRAT_WHY_BAD_BOOK;
	else
		return true;
	return false;
}

void
strat_put_rung(const struct strat_in *in, struct strat_out *out, int side,
    int level, double px, double qty_usdt)
{
	int64_t best_bid = strat_ticks_near(in->mkt.bid, in->flt.tick);
	int64_t best_ask = strat_ticks_near(in->mkt.ask, in->flt.tick);
	struct strat_quote *q;
	int64_t t, steps;

	if (!isfinite(px) || out->n_desired >= STRAT_MAX_QUOTES) {
		out->n_skipped++;
		return;
	}
	if (side == STRAT_BUY) {
		t = strat_ticks_down(px, in->flt.tick);
		if (t > best_ask - 1) {
			t = best_ask - 1;
			out->n_clamped++;
		}
	} else {
		t = strat_ticks_up(px, in->flt.tick);
		if (t < best_bid + 1) {
			t = best_bid + 1;
			out->n_clamped++;
		}
	}
	if (t <= 0 || (steps = strat_qty_steps(qty_usdt, t, &in->flt)) == 0) {
		out->n_skipped++;
		return;
	}
	q = &out->desired[out->n_desired++];
	q->side = (uint8_t)side;
	q->level = (uint8_t)level;
	q->px_ticks = t;
	q->qty_steps = steps;
	q->price = (double)t * in->flt.tick;
	q->qty = (double)steps * in->flt.step;
	q->client_id[0] = '\0';
}

double
strat_inv_lots(const struct strat_in *in)
{
	double lot = in->cfg.qty_usdt / in->mkt.mid;

	if (!(lot > 0) || !isfinite(lot))
		return 0;
	return (in->position - in->cfg.inv.target_usdt / in->mkt.mid) / lot;
}

double
strat_inv_ratio(const struct strat_in *in)
{
	double qmax = in->cfg.inv.limit_usdt / in->mkt.mid, x;

	if (!(qmax > 0) || !isfinite(qmax))
		return 0;
	x = (in->position - in->cfg.inv.target_usdt / in->mkt.mid) / qmax;
	return fmax(-1.0, fmin(1.0, x));
}

/*
 * Cut one side's rungs (innermost first, as the strategies emit them) to
 * room base units in all; keep[] says which survive.
 */
static void
strat_inv_side(const struct strat_in *in, struct strat_out *out, int side,
    double room, bool *keep)
{
	double used = 0, left;
	struct strat_quote *q;
	int64_t steps;
	int i;

	for (i = 0; i < out->n_desired; i++) {
		q = &out->desired[i];
		if (q->side != side)
			continue;
		left = room - used;
		if (q->qty <= left * (1 + STRAT_GRID_EPS)) {
			used += q->qty;
			continue;
		}
		out->n_capped++;
		steps = left > 0 ? strat_ticks_down(left, in->flt.step) : 0;
		if (steps <= 0 || !strat_qty_ok(steps, q->px_ticks, &in->flt)) {
			keep[i] = false;
			room = used;	/* nothing further out either */
			continue;
		}
		q->qty_steps = steps;
		q->qty = (double)steps * in->flt.step;
		used += q->qty;
	}
}

void
strat_inv_guard(const struct strat_in *in, struct strat_out *out)
{
	double qmax = in->cfg.inv.limit_usdt / in->mkt.mid;
	double soft = in->cfg.inv.soft_ratio * qmax;
	bool keep[STRAT_MAX_QUOTES];
	int i, n = 0;

	if (!(qmax > 0) || !isfinite(qmax) || out->n_desired == 0)
		return;
	for (i = 0; i < out->n_desired; i++)
		keep[i] = true;
	/* a bid filled adds to the position, an ask takes from it */
	strat_inv_side(in, out, STRAT_BUY, soft - in->position, keep);
	strat_inv_side(in, out, STRAT_SELL, soft + in->position, keep);
	for (i = 0; i < out->n_desired; i++)
		if (keep[i])
			out->desired[n++] = out->desired[i];
	out->n_desired = n;
}

/* ---- the diff ----------------------------------------------------------- */

static bool
strat_in_ok(const struct strat_in *in)
{
	return in->n_open >= 0 && in->n_open <= STRAT_MAX_OPEN &&
	    (in->n_open == 0 || in->open != NULL) &&
	    in->cfg.levels >= 1 && in->cfg.levels <= STRAT_MAX_LEVELS &&
	    isfinite(in->cfg.qty_usdt) && isfinite(in->cfg.offset_pct) &&
	    strat_filters_ok(&in->flt) && strat_instance_ok(in->instance);
}

/* Within tolerance_pct of the target price? */
static bool
strat_within(const struct strat_in *in, const struct strat_quote *q,
    const struct strat_order *o)
{
	double dist = (double)llabs(o->px_ticks - q->px_ticks) * in->flt.tick;

	return dist <= q->price * in->cfg.tolerance_pct / 100.0 *
	    (1 + STRAT_GRID_EPS);
}

/*
 * The live order on q's rung closest to q's price that may stay, or -1.
 * used[] marks orders already matched to a rung.
 */
static int
strat_match(const struct strat_in *in, const struct strat_quote *q,
    const bool *used)
{
	const struct strat_order *o;
	int i, best = -1;

	if (in->refresh && in->cfg.refresh_mode == CFG_REFRESH_REPLACE)
		return -1;
	for (i = 0; i < in->n_open; i++) {
		o = &in->open[i];
		if (used[i] || o->state == STRAT_OS_CANCELING ||
		    o->side != q->side || o->level != q->level)
			continue;
		if (in->refresh && !strat_within(in, q, o))
			continue;
		if (best == -1 || llabs(o->px_ticks - q->px_ticks) <
		    llabs(in->open[best].px_ticks - q->px_ticks))
			best = i;
	}
	return best;
}

static void
strat_diff(const struct strat_in *in, struct strat_out *out)
{
	bool used[STRAT_MAX_OPEN] = { false };
	struct strat_quote *p;
	int i, k;

	for (i = 0; i < out->n_desired; i++) {
		if ((k = strat_match(in, &out->desired[i], used)) != -1) {
			used[k] = true;
			out->keep[out->n_keep++] = k;
			continue;
		}
		p = &out->place[out->n_place++];
		*p = out->desired[i];
		strat_cid_make(p->client_id, sizeof(p->client_id),
		    in->instance, p->side, p->level, out->next_seq++);
	}
	for (i = 0; i < in->n_open; i++)
		if (!used[i] && in->open[i].state != STRAT_OS_CANCELING)
			out->cancel[out->n_cancel++] = i;
}

static void
strat_out_reset(const struct strat_in *in, struct strat_out *out)
{
	out->why = STRAT_WHY_QUOTING;
	out->n_desired = out->n_keep = out->n_cancel = out->n_place = 0;
	out->n_skipped = out->n_clamped = out->n_capped = 0;
	out->reservation = out->half_spread = out->skew_bp = NAN;
	out->q_lots = NAN;
	out->next_seq = in != NULL ? in->next_seq : 0;
}

int
strat_eval(const struct strat_impl *impl, const struct strat_in *in,
    struct strat_out *out)
{
	int i;

	if (out == NULL)
		return -1;
	strat_out_reset(in, out);
	if (impl == NULL || in == NULL || !strat_in_ok(in)) {
		out->why = STRAT_WHY_BAD_INPUT;
		/* still a safe answer: cancel whatever we can see */
		if (in == NULL || in->open == NULL || in->n_open < 0 ||
		    in->n_open > STRAT_MAX_OPEN)
			return -1;	/* the count itself is not to be trusted */
		for (i = 0; i < in->n_open; i++)
			if (in->open[i].state != STRAT_OS_CANCELING)
				out->cancel[out->n_cancel++] = i;
		return -1;
	}
	impl->ladder(in, out);
	if (out->why != STRAT_WHY_QUOTING)
		out->n_desired = 0;
	strat_diff(in, out);
	return 0;
}
