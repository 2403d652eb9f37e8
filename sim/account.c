/*
 * account.c — balances, one-way positions, margin and PnL of an account.
 *
 * The model is Binance's cross margin in one-way mode, with USDT as the
 * only asset:
 * - A fill at price p of q (signed) adds to the position when it has the
 *   position's sign (entry price becomes the quantity-weighted average),
 *   otherwise it closes up to |position| and realizes (p - entry) x closed
 *   x sign; what is left over opens the other way at p (a flip). Realized
 *   PnL and the commission go to the wallet at once.
 * - Position initial margin = |amount| x mark / leverage.
 * - Open-order initial margin per symbol: the buy side counts only the
 *   buy quantity beyond what would close a short (and likewise for sells),
 *   at the orders' prices, divided by leverage; the larger of the two
 *   sides is the symbol's order margin (one side or the other fills
 *   first, Binance charges the worse one).
 * - availableBalance = wallet + unrealized PnL - position IM - order IM.
 *   A new order is refused with -2019 when it would make that negative.
 * - Maintenance margin = notional x the bracket's rate - its cum amount.
 * - liquidationPrice (approximate, for display): the mark price of this
 *   symbol at which the margin balance would equal the maintenance margin,
 *   holding the other symbols' PnL and maintenance fixed — Binance's
 *   cross-margin one-way formula. No liquidation is ever performed.
 * - breakEvenPrice (approximate): the price at which closing pays back the
 *   opening and closing commissions at the taker rate:
 *   long entry x (1 + f) / (1 - f), short entry x (1 - f) / (1 + f).
 * - Funding (exch.c says when): a position pays amount x mark x rate to
 *   the wallet (longs pay when the rate is positive, shorts receive),
 *   rounded to 8 decimals as Binance's wallet and income history show it,
 *   so the payments a client adds up from the stream equal the sum of the
 *   income records.
 *
 * The account's history (its fills for GET /fapi/v1/userTrades, its
 * closed orders for GET /fapi/v1/order and /fapi/v1/allOrders) is kept in
 * bounded rings at the end of this file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_int.h"

#define RING_FIRST	64	/* elements of a ring's first allocation */

static inline int
sgn(int64_t v)
{
	return (v > 0) - (v < 0);
}

static inline double
mark_or_entry(const struct acct_pos *p, const struct acct_sym *s)
{
	return s->mark > 0 ? s->mark : p->entry;
}

double
acct_fill(struct exch_account *a, int sym, const struct acct_sym *s,
    int64_t q, double price, double fee)
{
	struct acct_pos *p = &a->pos[sym];
	double step = s->spec->step_size, realized = 0;
	int64_t amt = p->amt, closed;

	if (q == 0)
		return 0;
	if (amt == 0 || sgn(amt) == sgn(q)) {
		int64_t n = llabs(amt) + llabs(q);

		p->entry = (p->entry * (double)llabs(amt) + price * (double)llabs(q)) /
		    (double)n;
	} else {
		closed = llabs(q) < llabs(amt) ? llabs(q) : llabs(amt);
		realized = (price - p->entry) * (double)closed * step * sgn(amt);
		if (amt + q == 0)
			p->entry = 0;
		else if (sgn(amt + q) != sgn(amt))
			p->entry = price;	/* flipped: the rest opened at p */
	}
	p->amt = amt + q;
	p->cum_realized += realized;
	a->wallet += realized - fee;
	return realized;
}

double
acct_funding(struct exch_account *a, int sym, const struct acct_sym *s,
    double rate)
{
	const struct acct_pos *p = &a->pos[sym];
	double pay;

	if (p->amt == 0 || s->mark <= 0)
		return 0;
	pay = -(double)p->amt * s->spec->step_size * s->mark * rate;
	pay = round(pay * 1e8) / 1e8;
	if (pay == 0)
		return 0;	/* also turns a -0 into 0 */
	a->wallet += pay;
	return pay;
}

double
acct_position_im(const struct acct_pos *p, const struct acct_sym *s)
{
	if (p->amt == 0 || p->leverage <= 0)
		return 0;
	return (double)llabs(p->amt) * s->spec->step_size * mark_or_entry(p, s) /
	    p->leverage;
}

double
acct_order_im(const struct acct_pos *p, const struct acct_sym *s)
{
	int64_t lng = p->amt > 0 ? p->amt : 0, sht = p->amt < 0 ? -p->amt : 0;
	int64_t bopen = p->buy_lots - sht, sopen = p->sell_lots - lng;
	double bn = 0, sn = 0;

	(void)s;
	if (p->leverage <= 0)
		return 0;
	if (bopen > 0 && p->buy_lots > 0)
		bn = p->buy_notional * (double)bopen / (double)p->buy_lots;
	if (sopen > 0 && p->sell_lots > 0)
		sn = p->sell_notional * (double)sopen / (double)p->sell_lots;
	return fmax(bn, sn) / p->leverage;
}

double
acct_upnl(const struct acct_pos *p, const struct acct_sym *s)
{
	if (p->amt == 0 || s->mark <= 0)
		return 0;
	return (double)p->amt * s->spec->step_size * (s->mark - p->entry);
}

static double
maint_margin(const struct acct_pos *p, const struct acct_sym *s)
{
	double notional = (double)llabs(p->amt) * s->spec->step_size *
	    mark_or_entry(p, s);
	const struct exch_bracket *br = exch_spec_bracket(s->spec, notional);

	if (p->amt == 0 || br == NULL)
		return 0;
	return notional * br->maint_margin_ratio - br->cum;
}

void
acct_order_add(struct acct_pos *p, int side, int64_t lots, double notional)
{
	if (side == EXCH_BUY) {
		p->buy_lots += lots;
		p->buy_notional += notional;
	} else {
		p->sell_lots += lots;
		p->sell_notional += notional;
	}
}

void
acct_order_sub(struct acct_pos *p, int side, int64_t lots, double notional)
{
	acct_order_add(p, side, -lots, -notional);
	/* keep float dust from leaving a phantom margin behind */
	if (p->buy_lots == 0)
		p->buy_notional = 0;
	if (p->sell_lots == 0)
		p->sell_notional = 0;
}

double
acct_available(const struct exch_account *a, const struct acct_sym *syms,
    int nsyms)
{
	double v = a->wallet;
	int i;

	for (i = 0; i < nsyms; i++) {
		const struct acct_pos *p = &a->pos[i];

		v += acct_upnl(p, &syms[i]) - acct_position_im(p, &syms[i]) -
		    acct_order_im(p, &syms[i]);
	}
	return v;
}

double
acct_break_even(const struct acct_pos *p, double f)
{
	if (p->amt > 0)
		return p->entry * (1 + f) / (1 - f);
	if (p->amt < 0)
		return p->entry * (1 - f) / (1 + f);
	return 0;
}

double
acct_liq_price(const struct exch_account *a, int sym,
    const struct acct_sym *syms, int nsyms)
{
	const struct acct_pos *p = &a->pos[sym];
	const struct acct_sym *s = &syms[sym];
	double qty, notional, w, lp;
	const struct exch_bracket *br;
	int i;

	if (p->amt == 0)
		return 0;
	qty = (double)p->amt * s->spec->step_size;	/* signed */
	notional = fabs(qty) * mark_or_entry(p, s);
	br = exch_spec_bracket(s->spec, notional);
	if (br == NULL)
		return 0;
	w = a->wallet + br->cum;
	for (i = 0; i < nsyms; i++)
		if (i != sym)
			w += acct_upnl(&a->pos[i], &syms[i]) -
			    maint_margin(&a->pos[i], &syms[i]);
	lp = (w - qty * p->entry) / (fabs(qty) * br->maint_margin_ratio - qty);
	return lp > 0 ? lp : 0;
}

void
acct_position(const struct exch_account *a, int sym,
    const struct acct_sym *syms, int nsyms, double taker_fee,
    struct exch_position *out)
{
	const struct acct_pos *p = &a->pos[sym];
	const struct acct_sym *s = &syms[sym];

	memset(out, 0, sizeof(*out));
	snprintf(out->symbol, sizeof(out->symbol), "%s", s->spec->symbol);
	out->position_amt = (double)p->amt * s->spec->step_size;
	out->entry_price = p->entry;
	out->break_even_price = acct_break_even(p, taker_fee);
	out->mark_price = s->mark;
	out->unrealized_pnl = acct_upnl(p, s);
	out->liquidation_price = acct_liq_price(a, sym, syms, nsyms);
	out->leverage = p->leverage;
	out->max_notional = exch_spec_max_notional(s->spec, p->leverage);
	out->notional = out->position_amt * s->mark;
	out->position_initial_margin = acct_position_im(p, s);
	out->open_order_initial_margin = acct_order_im(p, s);
	out->initial_margin = out->position_initial_margin +
	    out->open_order_initial_margin;
	out->maint_margin = maint_margin(p, s);
	out->cum_realized_pnl = p->cum_realized;
	out->update_time_ms = p->update_ms;
	out->price_precision = s->spec->price_precision;
}

void
acct_info(const struct exch_account *a, const struct acct_sym *syms,
    int nsyms, struct exch_account_info *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->total_wallet_balance = a->wallet;
	for (i = 0; i < nsyms; i++) {
		const struct acct_pos *p = &a->pos[i];

		out->total_unrealized_profit += acct_upnl(p, &syms[i]);
		out->total_position_initial_margin += acct_position_im(p, &syms[i]);
		out->total_open_order_initial_margin += acct_order_im(p, &syms[i]);
		out->total_maint_margin += maint_margin(p, &syms[i]);
	}
	out->total_initial_margin = out->total_position_initial_margin +
	    out->total_open_order_initial_margin;
	out->total_margin_balance = a->wallet + out->total_unrealized_profit;
	out->total_cross_wallet_balance = a->wallet;
	out->total_cross_un_pnl = out->total_unrealized_profit;
	out->available_balance = out->total_margin_balance -
	    out->total_initial_margin;
	out->max_withdraw_amount = fmax(0, fmin(a->wallet,
	    out->available_balance));
	out->update_time_ms = a->update_ms;
}

/* ------------------------------------------------------------------ */
/* bounded history rings                                               */

void
acct_ring_init(struct acct_ring *r, size_t esz, int max)
{
	memset(r, 0, sizeof(*r));
	r->esz = esz;
	r->max = max > 0 ? max : 0;
}

void
acct_ring_free(struct acct_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->n = r->head = 0;
}

/*
 * Double the allocation while under max. The ring only wraps once it is
 * full at its final size, so until then its elements start at slot 0 and
 * a realloc keeps them in order. On ENOMEM the ring stops growing and
 * wraps at the size it has.
 */
static void
ring_grow(struct acct_ring *r)
{
	int ncap = r->cap == 0 ? RING_FIRST : r->cap * 2;
	unsigned char *nb;

	if (ncap > r->max || ncap < r->cap)
		ncap = r->max;
	nb = realloc(r->buf, (size_t)ncap * r->esz);
	if (nb == NULL) {
		log_warnx("%s: out of memory at %d elements: keeping the newest "
		    "%d only", __func__, r->cap, r->cap);
		r->max = r->cap;
		return;
	}
	r->buf = nb;
	r->cap = ncap;
}

void *
acct_ring_push(struct acct_ring *r)
{
	unsigned char *slot;

	if (r->n == r->cap && r->cap < r->max)
		ring_grow(r);
	if (r->cap == 0)
		return NULL;
	if (r->n < r->cap) {
		slot = r->buf + (size_t)((r->head + r->n) % r->cap) * r->esz;
		r->n++;
	} else {
		slot = r->buf + (size_t)r->head * r->esz;
		r->head = (r->head + 1) % r->cap;
		r->dropped++;
	}
	memset(slot, 0, r->esz);
	return slot;
}

void *
acct_ring_at(const struct acct_ring *r, int i)
{
	if (i < 0 || i >= r->n)
		return NULL;
	return r->buf + (size_t)((r->head + i) % r->cap) * r->esz;
}
