/*
 * exch.c — the engine object of pmm-exchange: ties the symbol specs and
 * filters, the client books, the accounts, the market source and the rate
 * limiter together behind exch.h.
 *
 * Flow of an order: validate (symbol, position side, time in force,
 * client id, filters, open-order limit, reduce-only, post-only, FOK,
 * margin) -> create (NEW event) -> match as taker (book.c) -> rest the
 * remainder or expire it. Flow of the market: the source (synthetic or
 * replay) calls the mkt_sink below; each event updates the outside book,
 * is published through on_market, and then runs the fill model on the
 * resting client orders. Every fill goes through fill_hook(), which does
 * the accounting (account.c) and publishes ORDER_TRADE_UPDATE and
 * ACCOUNT_UPDATE through on_user.
 *
 * Orders never leave the book from inside a callback of the matcher:
 * work that would (reduce-only orders made void by a position change)
 * is queued and done once the matcher has returned.
 *
 * Funding: at every multiple of funding_interval_ms since the epoch on
 * the engine clock (00:00, 08:00 and 16:00 UTC by default) each position
 * pays or receives its funding at the mark price (account.c), before any
 * market event stamped at or after that instant is applied: a position
 * opened by an event exactly at the boundary does not pay it. The timer
 * runs on market time (the events' stamps; the clock itself when the
 * market keeps real time), so a max-speed replay settles on the
 * recording's timeline, and a clock that jumps several intervals settles
 * each of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_int.h"
#include "timeutil.h"

#define CLIENT_TRADE_BASE	900000000000LL	/* client fills' trade ids */
#define GTD_MIN_AHEAD_MS	600000LL
#define GTD_MAX_MS		253402300799000LL
#define FUNDING_EVERY_MS	(8 * 3600 * 1000LL)

struct exch_sym {
	struct exch_symbol_spec spec;
	struct book *book;
	struct ext_book ext;
	struct synth *synth;
	double	mark;
	int64_t	mark_ms;
	double	rate;			/* funding rate in force */
	bool	rec_mark;		/* the recording publishes our marks */
	double	rec_index, rec_settle;	/* its i and P */
	struct exch_last_trade last;
	int64_t	agg_id;
	int64_t	client_trade_id;
	int64_t	manual_u;		/* update ids of exch_ext_book() */
	int	gtd_count;
};

struct exch {
	struct exch_opts o;
	struct exch_cb cb;
	int	nsyms;
	struct exch_sym sym[EXCH_SYM_MAX];
	struct acct_sym asym[EXCH_SYM_MAX];
	int	nacct;
	struct exch_account *acct[EXCH_ACCT_MAX];
	struct replay *replay;
	int64_t	replay_start_ns;	/* engine time it was opened */
	bool	replay_end_logged;
	struct rl *rl;
	int64_t	next_order_id;
	uint64_t cid_seq;
	int64_t	ev_ns;			/* time of the event being processed */
	int64_t	mark_due_ns;		/* next markPrice (market time) */
	int64_t	funding_due_ns;		/* next funding settlement */
	int64_t	funding_iv_ns;
	int	nemitted;		/* market events in this exch_step */
	/* reduce-only orders to re-check once matching is over */
	int	ro_pending[EXCH_ACCT_MAX * EXCH_SYM_MAX][2];
	int	nro;
	/* scratch for converting levels to doubles */
	struct exch_level *lvbuf[2];
	int	lvcap;
};

/* the engine and the symbol a matcher callback works for */
struct hook_ctx {
	struct exch *ex;
	int	sym;
};

static void account_update(struct exch *, struct exch_account *, int sym,
	    const char *reason, double bc);

/* ------------------------------------------------------------------ */
/* time                                                                */

int64_t
exch_now_ns(const struct exch *ex)
{
	if (ex->o.clock != NULL)
		return ex->o.clock(ex->o.clock_arg);
	return now_real_ns();
}

int64_t
exch_now_ms(const struct exch *ex)
{
	return exch_now_ns(ex) / NS_PER_MS;
}

/* Time stamped on events: the market event being processed, or now. */
static int64_t
ev_ms(const struct exch *ex)
{
	return (ex->ev_ns != 0 ? ex->ev_ns : exch_now_ns(ex)) / NS_PER_MS;
}

/* ------------------------------------------------------------------ */
/* options                                                             */

void
exch_opts_default(struct exch_opts *o)
{
	memset(o, 0, sizeof(*o));
	exch_opts_add_symbol(o, "BTCUSDT");
	exch_opts_add_symbol(o, "ETHUSDT");
	o->queue_model = EXCH_QUEUE_PESSIMISTIC;
	o->queue_power = 2;
	exch_opts_fee_tier(o, 0);
	o->funding_rate = 0.0001;
	o->funding_interval_ms = FUNDING_EVERY_MS;
	o->market = EXCH_MKT_SYNTH;
	o->synth.seed = 1;
	o->synth.vol_mult = 2.5;
	o->synth.depth_levels = 20;
	o->synth.depth_interval_ms = 100;
	o->synth.mark_interval_ms = 1000;
	o->replay.speed = 1;
	o->replay.max_batch = 1024;
	rl_limits_default(&o->rl);
	o->first_order_id = 4000000001LL;
	o->closed_keep = 100000;
	o->trades_keep = 100000;
	o->income_keep = 200000;
	o->max_orders = 4096;
}

/*
 * Binance USD-M futures regular fee schedule, USDT-margined contracts,
 * without the BNB discount: VIP 0..9 maker / taker in percent
 * 0.0200/0.0500, 0.0160/0.0400, 0.0140/0.0350, 0.0120/0.0320,
 * 0.0100/0.0300, 0.0080/0.0270, 0.0060/0.0250, 0.0040/0.0220,
 * 0.0020/0.0200, 0.0000/0.0170. Source: binance.com/en/fee/futureFee
 * as quoted by zb-binance.com's "VIP futures" table and babianfox.com
 * (VIP 0..6), read 2026-12-06.
 */
static const double fee_tiers[EXCH_FEE_TIERS][2] = {
	{ 0.000200, 0.000500 }, { 0.000160, 0.000400 },
	{ 0.000140, 0.000350 }, { 0.000120, 0.000320 },
	{ 0.000100, 0.000300 }, { 0.000080, 0.000270 },
	{ 0.000060, 0.000250 }, { 0.000040, 0.000220 },
	{ 0.000020, 0.000200 }, { 0.000000, 0.000170 },
};

int
exch_fee_tier(int tier, double *maker, double *taker)
{
	if (tier < 0 || tier >= EXCH_FEE_TIERS)
		return -1;
	*maker = fee_tiers[tier][0];
	*taker = fee_tiers[tier][1];
	return 0;
}

int
exch_opts_fee_tier(struct exch_opts *o, int tier)
{
	return exch_fee_tier(tier, &o->maker_fee, &o->taker_fee);
}

int
exch_opts_add_symbol(struct exch_opts *o, const char *symbol)
{
	const struct exch_symbol_spec *s = exch_spec_builtin(symbol);

	if (s == NULL || o->nsymbols >= EXCH_SYM_MAX)
		return -1;
	o->symbols[o->nsymbols++] = *s;
	return 0;
}

int
exch_opts_add_account(struct exch_opts *o, const char *api_key,
    const char *secret, double usdt)
{
	struct exch_account_opts *a;

	if (o->naccounts >= EXCH_ACCT_MAX || strlen(api_key) >= EXCH_KEYLEN ||
	    strlen(secret) >= EXCH_KEYLEN || api_key[0] == '\0')
		return -1;
	a = &o->accounts[o->naccounts++];
	snprintf(a->api_key, sizeof(a->api_key), "%s", api_key);
	snprintf(a->secret, sizeof(a->secret), "%s", secret);
	a->usdt = usdt;
	a->leverage = 20;
	return 0;
}

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static inline double
px_of(const struct exch_sym *s, int64_t ticks)
{
	return (double)ticks * s->spec.tick_size;
}

static inline double
qty_of(const struct exch_sym *s, int64_t lots)
{
	return (double)lots * s->spec.step_size;
}

static struct exch_sym *
sym_by_name(struct exch *ex, const char *name, int *idx,
    struct exch_err *e)
{
	int i = name != NULL ? exch_symbol_index(ex, name) : -1;

	if (i < 0) {
		if (name == NULL || name[0] == '\0')
			exch_err_set(e, 400, -1102, "Mandatory parameter 'symbol' "
			    "was not sent, was empty/null, or malformed.");
		else
			exch_err_set(e, 400, -1121, "Invalid symbol.");
		return NULL;
	}
	if (idx != NULL)
		*idx = i;
	return &ex->sym[i];
}

static void
order_export(const struct exch_sym *s, const struct bk_order *o,
    struct exch_order *out)
{
	memset(out, 0, sizeof(*out));
	out->order_id = o->id;
	snprintf(out->client_id, sizeof(out->client_id), "%s", o->cid);
	snprintf(out->symbol, sizeof(out->symbol), "%s", s->spec.symbol);
	out->side = o->side;
	out->type = o->type;
	out->tif = o->tif;
	out->status = o->status;
	out->stp = o->stp;
	out->pside = EXCH_PS_BOTH;
	out->price = px_of(s, o->px);
	out->orig_qty = qty_of(s, o->orig);
	out->executed_qty = qty_of(s, o->exec);
	out->cum_quote = o->cum_quote;
	out->avg_price = o->exec > 0 ? o->cum_quote / qty_of(s, o->exec) : 0;
	out->reduce_only = (o->flags & BK_F_REDUCE) != 0;
	out->time_ms = o->time_ms;
	out->update_time_ms = o->update_ms;
	out->good_till_ms = o->tif == EXCH_GTD ? o->gtd_ms : 0;
	out->price_precision = s->spec.price_precision;
	out->qty_precision = s->spec.qty_precision;
}

/* The order left the book: its owner keeps it for queries. */
static void
closed_record(struct exch *ex, int sym, const struct bk_order *o)
{
	struct acct_closed *c = acct_ring_push(&ex->acct[o->acct]->closed);

	if (c == NULL)
		return;
	order_export(&ex->sym[sym], o, &c->o);
	c->sym = sym;
}

/* A fill of o, exactly as its ORDER_TRADE_UPDATE says it. */
static void
trade_record(struct exch *ex, int sym, const struct bk_order *o,
    int64_t trade_id, int64_t lots, int64_t px, double fee, bool maker,
    double rp)
{
	struct acct_trade *t = acct_ring_push(&ex->acct[o->acct]->trades);

	if (t == NULL)
		return;
	t->id = trade_id;
	t->order_id = o->id;
	t->time_ms = o->update_ms;
	t->px = px;
	t->lots = lots;
	t->commission = fee;
	t->rp = rp;
	t->sym = (uint8_t)sym;
	t->side = o->side;
	t->maker = maker;
}

/* A change of a's wallet for GET /fapi/v1/income (amount 0: none). */
static void
income_record(struct exch_account *a, enum exch_income_type type, int sym,
    double amount, int64_t time_ms, int64_t trade_id)
{
	struct acct_income *r;

	if (amount == 0 || (r = acct_ring_push(&a->income)) == NULL)
		return;
	r->tran_id = ++a->income_seq;
	r->time_ms = time_ms;
	r->trade_id = trade_id;
	r->income = amount;
	r->type = (uint8_t)type;
	r->sym = (int8_t)sym;
}

/* ------------------------------------------------------------------ */
/* events                                                              */

static void
emit_market(struct exch *ex, struct exch_mkt_event *ev, int sym)
{
	const struct exch_sym *s = &ex->sym[sym];

	ex->nemitted++;
	if (ex->cb.on_market == NULL)
		return;
	ev->sym = sym;
	ev->symbol = s->spec.symbol;
	ev->price_precision = s->spec.price_precision;
	ev->qty_precision = s->spec.qty_precision;
	ex->cb.on_market(ex->cb.arg, ev);
}

static void
emit_order(struct exch *ex, int sym, const struct bk_order *o,
    enum exch_exec x, int64_t lots, int64_t px, double fee, bool maker,
    double rp, int64_t trade_id)
{
	struct exch_sym *s = &ex->sym[sym];
	struct exch_account *a = ex->acct[o->acct];
	struct exch_user_event ev;

	if (ex->cb.on_user == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_ORDER_UPDATE;
	ev.acct = a;
	ev.E_ms = ev_ms(ex);
	ev.T_ms = o->update_ms;
	order_export(s, o, &ev.ou.o);
	ev.ou.x = x;
	ev.ou.last_qty = qty_of(s, lots);
	ev.ou.last_price = lots > 0 ? px_of(s, px) : 0;
	ev.ou.commission = fee;
	ev.ou.commission_asset = "USDT";
	ev.ou.trade_id = trade_id;
	ev.ou.bids_notional = a->pos[sym].buy_notional;
	ev.ou.asks_notional = a->pos[sym].sell_notional;
	ev.ou.maker = maker;
	ev.ou.realized_pnl = rp;
	ex->cb.on_user(ex->cb.arg, &ev);
}

static void
pos_update(struct exch *ex, struct exch_account *a, int sym,
    struct exch_pos_update *p)
{
	struct exch_position pos;

	acct_position(a, sym, ex->asym, ex->nsyms, ex->o.taker_fee, &pos);
	p->symbol = ex->sym[sym].spec.symbol;
	p->pa = pos.position_amt;
	p->ep = pos.entry_price;
	p->bep = pos.break_even_price;
	p->cr = pos.cum_realized_pnl;
	p->up = pos.unrealized_pnl;
	p->price_precision = pos.price_precision;
}

/* ACCOUNT_UPDATE with the balance and one symbol's position (sym < 0:
 * balance only); bc is the balance change other than PnL and fees. */
static void
account_update(struct exch *ex, struct exch_account *a, int sym,
    const char *reason, double bc)
{
	struct exch_user_event ev;

	if (ex->cb.on_user == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_ACCOUNT_UPDATE;
	ev.acct = a;
	ev.E_ms = ev_ms(ex);
	ev.T_ms = ev.E_ms;
	ev.au.reason = reason;
	ev.au.nbal = 1;
	ev.au.bal[0].asset = "USDT";
	ev.au.bal[0].wb = a->wallet;
	ev.au.bal[0].cw = a->wallet;
	ev.au.bal[0].bc = bc;
	if (sym >= 0) {
		ev.au.npos = 1;
		pos_update(ex, a, sym, &ev.au.pos[0]);
	}
	ex->cb.on_user(ex->cb.arg, &ev);
}

/* ------------------------------------------------------------------ */
/* the account's list of resting orders                                */

static void
alist_add(struct exch *ex, int sym, struct bk_order *o)
{
	struct acct_pos *p = &ex->acct[o->acct]->pos[sym];
	struct book *b = ex->sym[sym].book;

	o->aprev = BK_NIL;
	o->anext = p->ohead;
	if (p->ohead != BK_NIL)
		book_order(b, p->ohead)->aprev = o->self;
	p->ohead = o->self;
	p->open_orders++;
	acct_order_add(p, o->side, o->qty, px_of(&ex->sym[sym], o->px) *
	    qty_of(&ex->sym[sym], o->qty));
	if (o->tif == EXCH_GTD)
		ex->sym[sym].gtd_count++;
}

/* The order leaves the book (filled, canceled, expired). */
static void
alist_del(struct exch *ex, int sym, struct bk_order *o)
{
	struct acct_pos *p = &ex->acct[o->acct]->pos[sym];
	struct book *b = ex->sym[sym].book;

	if (o->aprev != BK_NIL)
		book_order(b, o->aprev)->anext = o->anext;
	else
		p->ohead = o->anext;
	if (o->anext != BK_NIL)
		book_order(b, o->anext)->aprev = o->aprev;
	o->aprev = o->anext = BK_NIL;
	p->open_orders--;
	acct_order_sub(p, o->side, o->qty, px_of(&ex->sym[sym], o->px) *
	    qty_of(&ex->sym[sym], o->qty));
	if (o->tif == EXCH_GTD)
		ex->sym[sym].gtd_count--;
}

/* End a resting order's life with status st (execution type x). */
static void
order_close(struct exch *ex, int sym, struct bk_order *o,
    enum exch_status st, enum exch_exec x)
{
	struct exch_sym *s = &ex->sym[sym];

	alist_del(ex, sym, o);
	o->status = st;
	o->update_ms = ev_ms(ex);
	emit_order(ex, sym, o, x, 0, 0, 0, false, 0, 0);
	closed_record(ex, sym, o);
	book_remove(s->book, o);
}

/* ------------------------------------------------------------------ */
/* matcher hooks                                                       */

static int64_t
cap_hook(void *arg, const struct bk_order *o, int64_t lots)
{
	struct hook_ctx *h = arg;
	int64_t amt, room;

	if (!(o->flags & BK_F_REDUCE))
		return lots;
	amt = h->ex->acct[o->acct]->pos[h->sym].amt;
	room = o->side == EXCH_BUY ? (amt < 0 ? -amt : 0) : (amt > 0 ? amt : 0);
	return lots < room ? lots : room;
}

static void
ro_queue(struct exch *ex, int acct, int sym)
{
	int i;

	for (i = 0; i < ex->nro; i++)
		if (ex->ro_pending[i][0] == acct && ex->ro_pending[i][1] == sym)
			return;
	if (ex->nro < EXCH_ACCT_MAX * EXCH_SYM_MAX) {
		ex->ro_pending[ex->nro][0] = acct;
		ex->ro_pending[ex->nro][1] = sym;
		ex->nro++;
	}
}

/* Account for one side of a fill: o traded lots at px. */
static void
fill_one(struct exch *ex, int sym, struct bk_order *o, int64_t lots,
    int64_t px, bool maker)
{
	struct exch_sym *s = &ex->sym[sym];
	struct exch_account *a = ex->acct[o->acct];
	struct acct_pos *p = &a->pos[sym];
	double price = px_of(s, px), notional = price * qty_of(s, lots);
	double fee = notional * (maker ? ex->o.maker_fee : ex->o.taker_fee);
	int64_t before = p->amt;
	int64_t tid;
	double rp;

	/* the order's margin shrinks by what filled (its qty is already down) */
	if (o->resting)
		acct_order_sub(p, o->side, lots, px_of(s, o->px) * qty_of(s, lots));
	rp = acct_fill(a, sym, &ex->asym[sym], o->side == EXCH_BUY ? lots : -lots,
	    price, fee);
	o->cum_quote += notional;
	o->status = o->qty == 0 ? EXCH_ST_FILLED : EXCH_ST_PARTIALLY_FILLED;
	o->update_ms = ev_ms(ex);
	p->update_ms = a->update_ms = o->update_ms;
	tid = ++s->client_trade_id;
	trade_record(ex, sym, o, tid, lots, px, fee, maker, rp);
	income_record(a, EXCH_INC_REALIZED_PNL, sym, rp, o->update_ms, tid);
	income_record(a, EXCH_INC_COMMISSION, sym, -fee, o->update_ms, tid);
	emit_order(ex, sym, o, EXCH_X_TRADE, lots, px, fee, maker, rp, tid);
	account_update(ex, a, sym, "ORDER", 0);
	if (o->resting && o->qty == 0) {
		/* book.c removes it after we return; unlink the rest here */
		alist_del(ex, sym, o);
		closed_record(ex, sym, o);
	}
	/* a smaller or flipped position may void reduce-only orders */
	if (p->amt == 0 || (before > 0) != (p->amt > 0) || llabs(p->amt) <
	    llabs(before))
		ro_queue(ex, o->acct, sym);
}

static void
fill_hook(void *arg, struct bk_order *maker, struct bk_order *taker,
    int64_t lots, int64_t px)
{
	struct hook_ctx *h = arg;

	if (maker != NULL)
		fill_one(h->ex, h->sym, maker, lots, px, true);
	if (taker != NULL)
		fill_one(h->ex, h->sym, taker, lots, px, false);
}

static void
stp_hook(void *arg, struct bk_order *o)
{
	struct hook_ctx *h = arg;
	struct exch *ex = h->ex;

	alist_del(ex, h->sym, o);
	o->status = EXCH_ST_EXPIRED_IN_MATCH;
	o->update_ms = ev_ms(ex);
	emit_order(ex, h->sym, o, EXCH_X_EXPIRED, 0, 0, 0, false, 0, 0);
	closed_record(ex, h->sym, o);
}

static void
hooks_init(struct exch *ex, int sym, struct hook_ctx *hc, struct bk_hooks *h)
{
	hc->ex = ex;
	hc->sym = sym;
	h->arg = hc;
	h->cap = cap_hook;
	h->fill = fill_hook;
	h->stp_expire = stp_hook;
}

/*
 * Expire reduce-only orders that can no longer reduce anything: the
 * position is flat or on their own side. (A reduce-only order larger than
 * the position stays; its fills are capped.)
 */
static void
ro_process(struct exch *ex)
{
	int i;

	for (i = 0; i < ex->nro; i++) {
		int acct = ex->ro_pending[i][0], sym = ex->ro_pending[i][1];
		struct acct_pos *p = &ex->acct[acct]->pos[sym];
		struct book *b = ex->sym[sym].book;
		uint32_t k = p->ohead;

		while (k != BK_NIL) {
			struct bk_order *o = book_order(b, k);

			k = o->anext;
			if (!(o->flags & BK_F_REDUCE))
				continue;
			if ((o->side == EXCH_BUY && p->amt >= 0) ||
			    (o->side == EXCH_SELL && p->amt <= 0))
				order_close(ex, sym, o, EXCH_ST_EXPIRED, EXCH_X_EXPIRED);
		}
	}
	ex->nro = 0;
}

/* ------------------------------------------------------------------ */
/* the market sink                                                     */

/* The first funding time after t_ns (markPrice's T). */
static int64_t
next_funding_ms(const struct exch *ex, int64_t t_ns)
{
	return (t_ns / ex->funding_iv_ns + 1) * ex->funding_iv_ns / NS_PER_MS;
}

static void
emit_mark(struct exch *ex, int sym, int64_t t_ns, const char *raw,
    size_t rawlen)
{
	struct exch_sym *s = &ex->sym[sym];
	struct exch_mkt_event ev;
	int64_t ms = t_ns / NS_PER_MS;

	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_MARK_PRICE;
	ev.E_ms = ev.T_ms = ms;
	ev.mark.p = s->mark;
	ev.mark.i = s->rec_mark ? s->rec_index : s->mark;
	ev.mark.P = s->rec_mark ? s->rec_settle : s->mark;
	ev.mark.r = s->rate;
	ev.mark.next_funding_ms = next_funding_ms(ex, t_ns);
	ev.raw = raw;
	ev.raw_len = rawlen;
	s->mark_ms = ms;
	emit_market(ex, &ev, sym);
}

/*
 * Settle the funding intervals due by t_ns: each account's position on
 * each symbol pays (or receives) at the mark and the rate in force, and
 * hears of it as ACCOUNT_UPDATE "FUNDING_FEE" with the balance only (a
 * cross-margin position, as Binance's stream sends it), stamped at the
 * funding time.
 */
/* Does any account hold a position? */
static bool
any_position(const struct exch *ex)
{
	int i, sym;

	for (i = 0; i < ex->nacct; i++)
		for (sym = 0; sym < ex->nsyms; sym++)
			if (ex->acct[i]->pos[sym].amt != 0)
				return true;
	return false;
}

static void
funding_timer(struct exch *ex, int64_t t_ns)
{
	int64_t saved = ex->ev_ns;
	int i, sym;

	/* nobody to pay: straight to the next boundary, however far the
	 * clock jumped (a backtest's first step, a short interval) */
	if (ex->funding_due_ns <= t_ns && !any_position(ex))
		ex->funding_due_ns = (t_ns / ex->funding_iv_ns + 1) *
		    ex->funding_iv_ns;
	while (ex->funding_due_ns <= t_ns) {
		ex->ev_ns = ex->funding_due_ns;
		for (sym = 0; sym < ex->nsyms; sym++)
			for (i = 0; i < ex->nacct; i++) {
				struct exch_account *a = ex->acct[i];
				double pay = acct_funding(a, sym, &ex->asym[sym],
				    ex->sym[sym].rate);

				if (pay == 0)
					continue;
				a->update_ms = ex->ev_ns / NS_PER_MS;
				income_record(a, EXCH_INC_FUNDING_FEE, sym, pay,
				    a->update_ms, 0);
				account_update(ex, a, -1, "FUNDING_FEE", pay);
			}
		ex->funding_due_ns += ex->funding_iv_ns;
	}
	ex->ev_ns = saved;
}

/* markPrice every mark_interval_ms of market time, from the mid. */
static void
mark_timer(struct exch *ex, int64_t t_ns)
{
	int64_t iv = ex->o.synth.mark_interval_ms * NS_PER_MS;
	int i;

	if (iv <= 0 || ex->o.market == EXCH_MKT_MANUAL)
		return;
	while (ex->mark_due_ns <= t_ns) {
		for (i = 0; i < ex->nsyms; i++) {
			struct exch_sym *s = &ex->sym[i];
			int64_t b, bq, a, aq;

			if (s->rec_mark || !ext_best(&s->ext, BK_BID, &b, &bq) ||
			    !ext_best(&s->ext, BK_ASK, &a, &aq))
				continue;
			s->mark = px_of(s, b + a) / 2;
			ex->asym[i].mark = s->mark;
			emit_mark(ex, i, ex->mark_due_ns, NULL, 0);
		}
		ex->mark_due_ns += iv;
	}
}

static void
first_mark(struct exch *ex, int sym)
{
	struct exch_sym *s = &ex->sym[sym];
	int64_t b, bq, a, aq;

	/* until the first markPrice, the first mid stands in for it */
	if (s->mark > 0 || !ext_best(&s->ext, BK_BID, &b, &bq) ||
	    !ext_best(&s->ext, BK_ASK, &a, &aq))
		return;
	s->mark = px_of(s, b + a) / 2;
	ex->asym[sym].mark = s->mark;
}

/* Settle funding due by now, when market time is the clock's (not in a
 * max-speed replay, whose market time runs on the recording's own). */
static void
funding_catch_up(struct exch *ex)
{
	if (ex->replay == NULL || ex->o.replay.speed > 0)
		funding_timer(ex, exch_now_ns(ex));
}

static void
run_top(struct exch *ex, int sym)
{
	struct hook_ctx hc;
	struct bk_hooks h;

	hooks_init(ex, sym, &hc, &h);
	book_on_ext_top(ex->sym[sym].book, &ex->sym[sym].ext, &h);
	ro_process(ex);
}

/* A replayed line's own receive and event times (feed latency). */
static void
rec_times(const struct exch *ex, struct exch_mkt_event *ev)
{
	if (ex->replay != NULL)
		replay_line_times(ex->replay, &ev->rec_recv_ns, &ev->rec_E_ms);
}

static void
sink_book_ticker(void *arg, int sym, int64_t t_ns, int64_t u, int64_t bid,
    int64_t bidq, int64_t ask, int64_t askq, const char *raw, size_t rawlen)
{
	struct exch *ex = arg;
	struct exch_sym *s = &ex->sym[sym];
	struct exch_mkt_event ev;

	ex->ev_ns = t_ns;
	mark_timer(ex, t_ns);
	funding_timer(ex, t_ns);
	ext_set_top(&s->ext, bid, bidq, ask, askq, u, t_ns / NS_PER_MS);
	first_mark(ex, sym);
	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_BOOK_TICKER;
	ev.E_ms = ev.T_ms = t_ns / NS_PER_MS;
	rec_times(ex, &ev);
	ev.raw = raw;
	ev.raw_len = rawlen;
	ev.bt.u = u;
	ev.bt.b = px_of(s, bid);
	ev.bt.B = qty_of(s, bidq);
	ev.bt.a = px_of(s, ask);
	ev.bt.A = qty_of(s, askq);
	emit_market(ex, &ev, sym);
	run_top(ex, sym);
}

static void
sink_trade(void *arg, int sym, int64_t t_ns, int64_t id, int64_t px,
    int64_t lots, bool buyer_maker, const char *raw, size_t rawlen)
{
	struct exch *ex = arg;
	struct exch_sym *s = &ex->sym[sym];
	struct exch_mkt_event ev;
	struct hook_ctx hc;
	struct bk_hooks h;

	ex->ev_ns = t_ns;
	mark_timer(ex, t_ns);
	funding_timer(ex, t_ns);
	s->last.price = px_of(s, px);
	s->last.qty = qty_of(s, lots);
	s->last.id = id;
	s->last.time_ms = t_ns / NS_PER_MS;
	s->last.buyer_maker = buyer_maker;
	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_TRADE;
	ev.E_ms = ev.T_ms = t_ns / NS_PER_MS;
	rec_times(ex, &ev);
	ev.raw = raw;
	ev.raw_len = rawlen;
	ev.trade.t = id;
	ev.trade.p = s->last.price;
	ev.trade.q = s->last.qty;
	ev.trade.m = buyer_maker;
	emit_market(ex, &ev, sym);
	/* one aggTrade per trade: the sources do not say which trades one
	 * taker order made */
	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_AGG_TRADE;
	ev.E_ms = ev.T_ms = t_ns / NS_PER_MS;
	ev.agg.a = ++s->agg_id;
	ev.agg.f = ev.agg.l = id;
	ev.agg.p = s->last.price;
	ev.agg.q = s->last.qty;
	ev.agg.m = buyer_maker;
	emit_market(ex, &ev, sym);
	hooks_init(ex, sym, &hc, &h);
	book_on_ext_trade(s->book, px, lots, buyer_maker, &h);
	ro_process(ex);
}

static int
lvbuf_fit(struct exch *ex, int n)
{
	int s;

	if (n <= ex->lvcap)
		return 0;
	for (s = 0; s < 2; s++) {
		struct exch_level *nb = realloc(ex->lvbuf[s],
		    (size_t)n * sizeof(*nb));

		if (nb == NULL)
			return -1;
		ex->lvbuf[s] = nb;
	}
	ex->lvcap = n;
	return 0;
}

/*
 * A REST snapshot in a recording. When it is newer than the diffs applied
 * so far it replaces the depth. Recorders fetch it after subscribing, so it
 * is usually OLDER than the diffs already seen (btcusdt_20240808: snapshot
 * 5123107852948, diffs already at 5123107856210): then it only fills in
 * levels we have not heard of, behind our best prices, since anything at
 * the top has been updated by the newer diffs.
 */
static void
snapshot_apply(struct exch_sym *s, const struct ext_level *lv[2], int n[2],
    int64_t u)
{
	int side, i;

	if (u >= s->ext.last_u) {
		s->ext.n[0] = s->ext.n[1] = 0;
		for (side = 0; side < 2; side++)
			for (i = 0; i < n[side]; i++)
				ext_set(&s->ext, side, lv[side][i].px,
				    lv[side][i].qty);
		s->ext.last_u = u;
		return;
	}
	for (side = 0; side < 2; side++) {
		int64_t best = 0;
		bool have = s->ext.n[side] > 0;

		if (have)
			best = s->ext.lv[side][s->ext.n[side] - 1].px;
		for (i = 0; i < n[side]; i++) {
			int64_t px = lv[side][i].px;
			bool behind = side == BK_BID ? px < best : px > best;

			if (have && behind && ext_qty_at_depth(&s->ext, side, px) == 0)
				ext_set(&s->ext, side, px, lv[side][i].qty);
		}
	}
}

static void
sink_depth(void *arg, int sym, int64_t t_ns, int64_t U, int64_t u, int64_t pu,
    const struct ext_level *b, int nb, const struct ext_level *a, int na,
    bool snapshot, const char *raw, size_t rawlen)
{
	struct exch *ex = arg;
	struct exch_sym *s = &ex->sym[sym];
	const struct ext_level *lv[2] = { b, a };
	int n[2] = { nb, na }, side, i;
	struct exch_mkt_event ev;

	ex->ev_ns = t_ns;
	mark_timer(ex, t_ns);
	funding_timer(ex, t_ns);
	if (snapshot) {
		snapshot_apply(s, lv, n, u);
		first_mark(ex, sym);
		return;		/* REST data: no stream carries it */
	}
	for (side = 0; side < 2; side++)
		for (i = 0; i < n[side]; i++) {
			if (ext_set(&s->ext, side, lv[side][i].px,
			    lv[side][i].qty) == -1) {
				log_warnx("%s: out of memory", __func__);
				return;
			}
			/* queues only move where a client order waits */
			if (book_level(s->book, side, lv[side][i].px) != NULL)
				book_on_ext_level(s->book, side, lv[side][i].px,
				    ext_qty_at(&s->ext, side, lv[side][i].px));
		}
	s->ext.last_u = u;
	first_mark(ex, sym);
	if (lvbuf_fit(ex, nb > na ? nb : na) == -1) {
		log_warnx("%s: out of memory", __func__);
		return;
	}
	for (side = 0; side < 2; side++)
		for (i = 0; i < n[side]; i++) {
			ex->lvbuf[side][i].price = px_of(s, lv[side][i].px);
			ex->lvbuf[side][i].qty = qty_of(s, lv[side][i].qty);
		}
	memset(&ev, 0, sizeof(ev));
	ev.type = EXCH_EV_DEPTH;
	ev.E_ms = ev.T_ms = t_ns / NS_PER_MS;
	rec_times(ex, &ev);
	ev.raw = raw;
	ev.raw_len = rawlen;
	ev.depth.U = U;
	ev.depth.u = u;
	ev.depth.pu = pu;
	ev.depth.nb = nb;
	ev.depth.na = na;
	ev.depth.b = ex->lvbuf[0];
	ev.depth.a = ex->lvbuf[1];
	emit_market(ex, &ev, sym);
	/* without a bookTicker yet, the depth is the top */
	if (!s->ext.top_valid)
		run_top(ex, sym);
}

/*
 * A recorded markPrice: from now on the recording publishes this symbol's
 * marks (the engine stops deriving them from the mid) and its r is the
 * funding rate. Its T is on the recording's clock; the funding the
 * engine settles, and the T it serves, follow the engine's own grid
 * (the same instants when the engine's clock is the recording's).
 */
static void
sink_mark(void *arg, int sym, int64_t t_ns, double p, double i, double P,
    double r, int64_t T_ms, const char *raw, size_t rawlen)
{
	struct exch *ex = arg;
	struct exch_sym *s = &ex->sym[sym];

	(void)T_ms;
	ex->ev_ns = t_ns;
	mark_timer(ex, t_ns);
	funding_timer(ex, t_ns);
	s->rec_mark = true;
	s->mark = p;
	s->rec_index = i > 0 ? i : p;
	s->rec_settle = P > 0 ? P : p;
	s->rate = r;
	ex->asym[sym].mark = p;
	emit_mark(ex, sym, t_ns, raw, rawlen);
}

static const struct mkt_sink *
sink_of(struct exch *ex, struct mkt_sink *k)
{
	k->arg = ex;
	k->book_ticker = sink_book_ticker;
	k->trade = sink_trade;
	k->depth = sink_depth;
	k->mark = sink_mark;
	return k;
}

/* ------------------------------------------------------------------ */
/* creation                                                            */

static struct exch_account *
account_new(struct exch *ex, const char *key, const char *secret,
    double usdt, int leverage)
{
	struct exch_account *a;
	int i;

	if (ex->nacct >= EXCH_ACCT_MAX || key == NULL || key[0] == '\0' ||
	    strlen(key) >= EXCH_KEYLEN || secret == NULL ||
	    strlen(secret) >= EXCH_KEYLEN || exch_account_by_key(ex, key) != NULL)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	a->id = ex->nacct;
	snprintf(a->key, sizeof(a->key), "%s", key);
	snprintf(a->secret, sizeof(a->secret), "%s", secret);
	a->wallet = usdt;
	acct_ring_init(&a->trades, sizeof(struct acct_trade),
	    ex->o.trades_keep);
	acct_ring_init(&a->closed, sizeof(struct acct_closed),
	    ex->o.closed_keep > 0 ? ex->o.closed_keep : 1);
	acct_ring_init(&a->income, sizeof(struct acct_income),
	    ex->o.income_keep);
	for (i = 0; i < EXCH_SYM_MAX; i++) {
		a->pos[i].leverage = leverage > 0 ? leverage : 20;
		a->pos[i].ohead = BK_NIL;
	}
	ex->acct[ex->nacct++] = a;
	return a;
}

static int
sym_init(struct exch *ex, int i, int64_t now)
{
	struct exch_sym *s = &ex->sym[i];

	s->spec = ex->o.symbols[i];
	if (s->spec.tick_size <= 0 || s->spec.step_size <= 0) {
		log_warnx("exchange: symbol %s: tick and step must be > 0",
		    s->spec.symbol);
		return -1;
	}
	ext_init(&s->ext);
	s->book = book_new((uint32_t)ex->o.max_orders);
	if (s->book != NULL)
		book_set_queue_model(s->book, ex->o.queue_model,
		    ex->o.queue_power);
	if (s->book == NULL) {
		log_warnx("exchange: out of memory");
		return -1;
	}
	s->client_trade_id = CLIENT_TRADE_BASE;
	s->manual_u = 1;
	s->rate = ex->o.funding_rate;
	ex->asym[i].spec = &s->spec;
	if (ex->o.market == EXCH_MKT_SYNTH) {
		s->synth = synth_new(&ex->o.synth, i, &s->spec, now);
		if (s->synth == NULL)
			return -1;
		s->mark = s->spec.start_price;
		ex->asym[i].mark = s->mark;
	}
	return 0;
}

struct exch *
exch_new(const struct exch_opts *o, const struct exch_cb *cb)
{
	struct exch *ex = calloc(1, sizeof(*ex));
	int64_t now;
	int i;

	if (ex == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	ex->o = *o;
	if (cb != NULL)
		ex->cb = *cb;
	if (ex->o.nsymbols < 1 || ex->o.nsymbols > EXCH_SYM_MAX) {
		log_warnx("exchange: need 1..%d symbols", EXCH_SYM_MAX);
		free(ex);
		return NULL;
	}
	if (ex->o.synth.mark_interval_ms <= 0)
		ex->o.synth.mark_interval_ms = 1000;
	now = exch_now_ns(ex);
	ex->nsyms = ex->o.nsymbols;
	ex->next_order_id = ex->o.first_order_id > 0 ? ex->o.first_order_id : 1;
	ex->mark_due_ns = now;
	if (ex->o.funding_interval_ms <= 0)
		ex->o.funding_interval_ms = FUNDING_EVERY_MS;
	ex->funding_iv_ns = ex->o.funding_interval_ms * NS_PER_MS;
	ex->funding_due_ns = (now / ex->funding_iv_ns + 1) * ex->funding_iv_ns;
	for (i = 0; i < ex->nsyms; i++)
		if (sym_init(ex, i, now) == -1)
			goto fail;
	for (i = 0; i < ex->o.naccounts; i++) {
		const struct exch_account_opts *a = &ex->o.accounts[i];

		if (account_new(ex, a->api_key, a->secret, a->usdt,
		    a->leverage) == NULL) {
			log_warnx("exchange: account %d: bad or duplicate key", i);
			goto fail;
		}
	}
	ex->rl = rl_new(&ex->o.rl);
	if (ex->rl == NULL)
		goto fail;
	if (ex->o.market == EXCH_MKT_REPLAY) {
		ex->replay = replay_open(&ex->o.replay, ex->o.symbols, ex->nsyms,
		    now);
		if (ex->replay == NULL)
			goto fail;
		ex->replay_start_ns = now;
	}
	return ex;
fail:
	exch_free(ex);
	return NULL;
}

void
exch_free(struct exch *ex)
{
	int i;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->nsyms; i++) {
		book_free(ex->sym[i].book);
		ext_free(&ex->sym[i].ext);
		synth_free(ex->sym[i].synth);
	}
	for (i = 0; i < ex->nacct; i++) {
		acct_ring_free(&ex->acct[i]->trades);
		acct_ring_free(&ex->acct[i]->closed);
		acct_ring_free(&ex->acct[i]->income);
		free(ex->acct[i]);
	}
	replay_close(ex->replay);
	rl_free(ex->rl);
	free(ex->lvbuf[0]);
	free(ex->lvbuf[1]);
	free(ex);
}

void
exch_set_cb(struct exch *ex, const struct exch_cb *cb)
{
	memset(&ex->cb, 0, sizeof(ex->cb));
	if (cb != NULL)
		ex->cb = *cb;
}

struct rl *
exch_rl(struct exch *ex)
{
	return ex->rl;
}

double exch_fee_maker(const struct exch *ex) { return ex->o.maker_fee; }
double exch_fee_taker(const struct exch *ex) { return ex->o.taker_fee; }

/* ------------------------------------------------------------------ */
/* symbols and accounts                                                */

int
exch_nsymbols(const struct exch *ex)
{
	return ex->nsyms;
}

int
exch_symbol_index(const struct exch *ex, const char *symbol)
{
	int i;

	for (i = 0; i < ex->nsyms; i++)
		if (strcmp(ex->sym[i].spec.symbol, symbol) == 0)
			return i;
	return -1;
}

const struct exch_symbol_spec *
exch_symbol(const struct exch *ex, int sym)
{
	if (sym < 0 || sym >= ex->nsyms)
		return NULL;
	return &ex->sym[sym].spec;
}

struct exch_account *
exch_account_by_key(struct exch *ex, const char *api_key)
{
	int i;

	if (api_key == NULL)
		return NULL;
	for (i = 0; i < ex->nacct; i++)
		if (strcmp(ex->acct[i]->key, api_key) == 0)
			return ex->acct[i];
	return NULL;
}

struct exch_account *
exch_account_at(struct exch *ex, int i)
{
	return i >= 0 && i < ex->nacct ? ex->acct[i] : NULL;
}

int
exch_naccounts(const struct exch *ex)
{
	return ex->nacct;
}

struct exch_account *
exch_account_add(struct exch *ex, const char *api_key, const char *secret,
    double usdt)
{
	return account_new(ex, api_key, secret, usdt, 20);
}

const char *exch_account_key(const struct exch_account *a) { return a->key; }
const char *exch_account_secret(const struct exch_account *a) { return a->secret; }
int exch_account_id(const struct exch_account *a) { return a->id; }

int
exch_account_deposit(struct exch *ex, struct exch_account *a, double amount)
{
	a->wallet += amount;
	a->update_ms = exch_now_ms(ex);
	income_record(a, EXCH_INC_TRANSFER, -1, amount, a->update_ms, 0);
	account_update(ex, a, -1, "DEPOSIT", amount);
	return 0;
}

/* ------------------------------------------------------------------ */
/* placing orders                                                      */

/* A Binance-looking 22-character id for orders sent without one. */
static void
make_cid(struct exch *ex, char *buf, size_t len)
{
	static const char al[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t x = ++ex->cid_seq * 0x9E3779B97F4A7C15ULL ^ 0x5DEECE66DULL;
	size_t i;

	snprintf(buf, len, "sim");
	for (i = 3; i < 22 && i + 1 < len; i++) {
		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9ULL;
		buf[i] = al[x % 62];
	}
	buf[i] = '\0';
}

static int
check_tif(struct exch *ex, const struct exch_order_req *r,
    enum exch_tif *tif, struct exch_err *e)
{
	int64_t now = exch_now_ms(ex);

	*tif = r->tif_set ? r->tif : EXCH_GTC;
	if (r->type == EXCH_LIMIT && !r->tif_set)
		return exch_err_set(e, 400, -1102, "Mandatory parameter "
		    "'timeInForce' was not sent, was empty/null, or malformed.");
	if (r->type == EXCH_MARKET)
		*tif = EXCH_GTC;	/* shown as GTC, as Binance does */
	if (*tif == EXCH_GTD && (r->good_till_ms <= now + GTD_MIN_AHEAD_MS ||
	    r->good_till_ms >= GTD_MAX_MS))
		return exch_err_set(e, 400, -5040, "The goodTillDate timestamp "
		    "must be greater than the current time plus 600 seconds and "
		    "smaller than 253402300799000 (UTC 9999-12-31 23:59:59)");
	return 0;
}

static int
check_cid(struct exch *ex, struct exch_sym *s, struct exch_account *a,
    const char *cid, struct exch_err *e)
{
	if (cid == NULL || cid[0] == '\0')
		return 0;
	if (!flt_cid_valid(cid))
		return exch_err_set(e, 400, -4015, "Client order id is not valid.");
	(void)ex;
	if (book_find_cid(s->book, (unsigned)a->id, cid) != NULL)
		return exch_err_set(e, 400, -4116, "ClientOrderId is duplicated.");
	return 0;
}

/* Margin the order would add, as if it all rested at its price. */
static int
check_margin(struct exch *ex, struct exch_account *a, int sym,
    const struct bk_order *o, double price, struct exch_err *e)
{
	struct acct_pos *p = &a->pos[sym];
	struct exch_sym *s = &ex->sym[sym];
	double before, after, avail, notional;

	if (o->flags & BK_F_REDUCE)
		return 0;
	notional = price * qty_of(s, o->qty);
	avail = acct_available(a, ex->asym, ex->nsyms);
	before = acct_order_im(p, &ex->asym[sym]);
	acct_order_add(p, o->side, o->qty, notional);
	after = acct_order_im(p, &ex->asym[sym]);
	acct_order_sub(p, o->side, o->qty, notional);
	if (after - before > avail + 1e-9)
		return exch_err_set(e, 400, -2019, "Margin is insufficient.");
	return 0;
}

static int
check_reduce_only(struct exch_account *a, int sym, const struct bk_order *o,
    struct exch_err *e)
{
	int64_t amt = a->pos[sym].amt;

	if (!(o->flags & BK_F_REDUCE))
		return 0;
	if ((o->side == EXCH_BUY && amt >= 0) || (o->side == EXCH_SELL && amt <= 0))
		return exch_err_set(e, 400, -2022, "ReduceOnly Order is rejected.");
	return 0;
}

/* How much of o its reduce-only flag lets trade now (all if not set). */
static int64_t
ro_room(struct exch *ex, int sym, const struct bk_order *o)
{
	struct hook_ctx hc = { ex, sym };

	return cap_hook(&hc, o, o->qty);
}

/* The request's own fields: position side, time in force, client id and
 * the symbol's filters. Fills o's price, quantity and flags. */
static int
check_params(struct exch *ex, struct exch_account *a, int sym,
    const struct exch_order_req *r, struct bk_order *o, struct exch_err *e)
{
	struct exch_sym *s = &ex->sym[sym];
	struct flt_order f;
	int64_t bpx = 0, bqty;
	enum exch_tif tif;

	if (r->pside != EXCH_PS_BOTH)
		return exch_err_set(e, 400, -4061, "Order's position side does "
		    "not match user's setting.");
	if (check_tif(ex, r, &tif, e) == -1 ||
	    check_cid(ex, s, a, r->client_id, e) == -1)
		return -1;
	memset(&f, 0, sizeof(f));
	f.side = r->side;
	f.type = r->type;
	f.price = r->price;
	f.qty = r->quantity;
	f.reduce_only = r->reduce_only;
	f.mark = s->mark;
	if (ext_best(&s->ext, r->side == EXCH_BUY ? BK_ASK : BK_BID, &bpx, &bqty))
		f.best_opposite = px_of(s, bpx);
	f.last_price = f.best_opposite > 0 ? f.best_opposite : s->last.price;
	if (flt_check(&s->spec, &f, &o->px, &o->qty, e) == -1)
		return -1;
	o->side = (uint8_t)r->side;
	o->type = (uint8_t)r->type;
	o->tif = (uint8_t)tif;
	o->stp = (uint8_t)r->stp;
	o->flags = r->reduce_only ? BK_F_REDUCE : 0;
	o->acct = (uint16_t)a->id;
	o->orig = o->qty;
	o->gtd_ms = tif == EXCH_GTD ? r->good_till_ms : 0;
	return 0;
}

/* Everything a client can get wrong, before anything is created. */
static int
order_validate(struct exch *ex, struct exch_account *a, int sym,
    const struct exch_order_req *r, struct bk_order *o, struct exch_err *e)
{
	struct exch_sym *s = &ex->sym[sym];
	int64_t bpx, bqty;
	double price;

	if (check_params(ex, a, sym, r, o, e) == -1 ||
	    check_reduce_only(a, sym, o, e) == -1)
		return -1;
	if (o->type == EXCH_LIMIT && o->tif != EXCH_IOC && o->tif != EXCH_FOK &&
	    a->pos[sym].open_orders >= s->spec.max_num_orders)
		return exch_err_set(e, 400, -2025, "Reach max open order limit.");
	if (o->tif == EXCH_GTX && o->type == EXCH_LIMIT &&
	    book_taker_crosses(s->book, &s->ext, o))
		return exch_err_set(e, 400, -5022, "Due to the order could not be "
		    "executed as maker, the Post Only order will be rejected. The "
		    "order will not be recorded in the order history");
	if (o->tif == EXCH_FOK && o->type == EXCH_LIMIT &&
	    (ro_room(ex, sym, o) < o->qty ||
	    book_taker_liquidity(s->book, &s->ext, o, o->qty) < o->qty))
		return exch_err_set(e, 400, -5021, "Due to the order could not be "
		    "filled immediately, the FOK order has been rejected.");
	/* a MARKET order is margined at the price it would meet first */
	price = px_of(s, o->px);
	if (o->type == EXCH_MARKET)
		price = ext_best(&s->ext, o->side == EXCH_BUY ? BK_ASK : BK_BID,
		    &bpx, &bqty) ? px_of(s, bpx) : s->mark;
	return check_margin(ex, a, sym, o, price, e);
}

/* What is left after matching: rest it, or expire it. out gets the
 * order as it ends up. */
static void
order_settle(struct exch *ex, int sym, struct bk_order *o, bool stp_expired,
    struct exch_order *out)
{
	struct exch_sym *s = &ex->sym[sym];

	if (o->qty == 0) {
		if (out != NULL)
			order_export(s, o, out);
		closed_record(ex, sym, o);
		book_release(s->book, o);
		return;
	}
	if (stp_expired || o->type == EXCH_MARKET || o->tif == EXCH_IOC ||
	    o->tif == EXCH_FOK || ro_room(ex, sym, o) == 0) {
		o->status = stp_expired ? EXCH_ST_EXPIRED_IN_MATCH : EXCH_ST_EXPIRED;
		o->update_ms = ev_ms(ex);
		emit_order(ex, sym, o, EXCH_X_EXPIRED, 0, 0, 0, false, 0, 0);
		if (out != NULL)
			order_export(s, o, out);
		closed_record(ex, sym, o);
		book_release(s->book, o);
		return;
	}
	o->queue = o->seen = book_queue_for(&s->ext, o->side, o->px);
	if (book_insert(s->book, o) == -1) {
		o->status = EXCH_ST_EXPIRED;
		emit_order(ex, sym, o, EXCH_X_EXPIRED, 0, 0, 0, false, 0, 0);
		if (out != NULL)
			order_export(s, o, out);
		closed_record(ex, sym, o);
		book_release(s->book, o);
		return;
	}
	alist_add(ex, sym, o);
	if (out != NULL)
		order_export(s, o, out);
}

int
exch_order_place(struct exch *ex, struct exch_account *a,
    const struct exch_order_req *r, struct exch_order *out,
    struct exch_err *e)
{
	struct exch_sym *s;
	struct bk_order *o;
	struct hook_ctx hc;
	struct bk_hooks h;
	int sym;
	bool stp;

	if ((s = sym_by_name(ex, r->symbol, &sym, e)) == NULL)
		return -1;
	/* a boundary passed since the last step: settle on the position
	 * held there, before this order changes it */
	funding_catch_up(ex);
	if ((o = book_alloc(s->book)) == NULL)
		return exch_err_set(e, 500, -1000, "An unknown error occured "
		    "while processing the request.");
	if (order_validate(ex, a, sym, r, o, e) == -1) {
		book_release(s->book, o);
		return -1;
	}
	o->id = ex->next_order_id++;
	if (r->client_id != NULL && r->client_id[0] != '\0')
		snprintf(o->cid, sizeof(o->cid), "%s", r->client_id);
	else
		make_cid(ex, o->cid, sizeof(o->cid));
	o->status = EXCH_ST_NEW;
	o->time_ms = o->update_ms = exch_now_ms(ex);
	ex->ev_ns = 0;
	emit_order(ex, sym, o, EXCH_X_NEW, 0, 0, 0, false, 0, 0);
	hooks_init(ex, sym, &hc, &h);
	stp = book_match_taker(s->book, &s->ext, o, &h);
	order_settle(ex, sym, o, stp, out);
	ro_process(ex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* cancel, query, list                                                 */

static struct bk_order *
find_open(struct exch_sym *s, struct exch_account *a, int64_t order_id,
    const char *cid)
{
	struct bk_order *o = NULL;

	if (order_id > 0)
		o = book_find(s->book, order_id);
	else if (cid != NULL && cid[0] != '\0')
		o = book_find_cid(s->book, (unsigned)a->id, cid);
	if (o != NULL && o->acct != a->id)
		return NULL;
	return o;
}

static int
need_id(int64_t order_id, const char *cid, struct exch_err *e)
{
	if (order_id <= 0 && (cid == NULL || cid[0] == '\0'))
		return exch_err_set(e, 400, -1102, "Param 'orderId' or "
		    "'origClientOrderId' must be sent, but both were empty/null!");
	return 0;
}

int
exch_order_cancel(struct exch *ex, struct exch_account *a, const char *symbol,
    int64_t order_id, const char *cid, struct exch_order *out,
    struct exch_err *e)
{
	struct exch_sym *s;
	struct bk_order *o;
	int sym;

	if ((s = sym_by_name(ex, symbol, &sym, e)) == NULL ||
	    need_id(order_id, cid, e) == -1)
		return -1;
	if ((o = find_open(s, a, order_id, cid)) == NULL)
		return exch_err_set(e, 400, -2011, "Unknown order sent.");
	ex->ev_ns = 0;
	alist_del(ex, sym, o);
	o->status = EXCH_ST_CANCELED;
	o->update_ms = exch_now_ms(ex);
	emit_order(ex, sym, o, EXCH_X_CANCELED, 0, 0, 0, false, 0, 0);
	if (out != NULL)
		order_export(s, o, out);
	closed_record(ex, sym, o);
	book_remove(s->book, o);
	return 0;
}

/* ------------------------------------------------------------------ */
/* modify                                                              */

#define MODIFY_MAX	10000	/* amendments of one order */

/* The amended price and quantity, through the symbol's filters. */
static int
modify_check(struct exch *ex, int sym, const struct bk_order *o,
    const struct exch_modify_req *r, int64_t *px, int64_t *lots,
    struct exch_err *e)
{
	struct exch_sym *s = &ex->sym[sym];
	struct flt_order f;
	int64_t bpx = 0, bqty;

	if (r->side != (enum exch_side)o->side)
		return exch_err_set(e, 400, -1102, "Param 'side' does not "
		    "match the order's side.");
	memset(&f, 0, sizeof(f));
	f.side = r->side;
	f.type = EXCH_LIMIT;
	f.price = r->price;
	f.qty = r->quantity;
	f.reduce_only = (o->flags & BK_F_REDUCE) != 0;
	f.mark = s->mark;
	if (ext_best(&s->ext, r->side == EXCH_BUY ? BK_ASK : BK_BID, &bpx, &bqty))
		f.best_opposite = px_of(s, bpx);
	f.last_price = f.best_opposite > 0 ? f.best_opposite : s->last.price;
	if (flt_check(&s->spec, &f, px, lots, e) == -1)
		return -1;
	if (*px == o->px && *lots == o->orig)
		return exch_err_set(e, 400, -5027, "No need to modify the order.");
	if (o->mods >= MODIFY_MAX)
		return exch_err_set(e, 400, -5026, "Exceed maximum modify order "
		    "limit.");
	return 0;
}

/* Would the amended order take? (Checked on a copy: o still rests.) */
static bool
modify_takes(struct exch_sym *s, const struct bk_order *o, int64_t px)
{
	struct bk_order t = *o;

	t.px = px;
	return book_taker_crosses(s->book, &s->ext, &t);
}

/* The margin of the amended order, with the original's taken out. */
static int
modify_margin(struct exch *ex, struct exch_account *a, int sym,
    struct bk_order *o, int64_t px, int64_t lots, struct exch_err *e)
{
	struct exch_sym *s = &ex->sym[sym];
	struct bk_order t = *o;
	int rc;

	acct_order_sub(&a->pos[sym], o->side, o->qty, px_of(s, o->px) *
	    qty_of(s, o->qty));
	t.px = px;
	t.qty = lots - o->exec;
	rc = check_margin(ex, a, sym, &t, px_of(s, px), e);
	acct_order_add(&a->pos[sym], o->side, o->qty, px_of(s, o->px) *
	    qty_of(s, o->qty));
	return rc;
}

int
exch_order_modify(struct exch *ex, struct exch_account *a,
    const struct exch_modify_req *r, struct exch_order *out,
    struct exch_err *e)
{
	struct exch_sym *s;
	struct bk_order *o;
	struct hook_ctx hc;
	struct bk_hooks h;
	int64_t px, lots;
	int sym;
	bool stp;

	if ((s = sym_by_name(ex, r->symbol, &sym, e)) == NULL ||
	    need_id(r->order_id, r->orig_client_id, e) == -1)
		return -1;
	if ((o = find_open(s, a, r->order_id, r->orig_client_id)) == NULL)
		return exch_err_set(e, 400, -2013, "Order does not exist.");
	if (modify_check(ex, sym, o, r, &px, &lots, e) == -1)
		return -1;
	ex->ev_ns = 0;
	if (lots <= o->exec || (o->tif == EXCH_GTX && modify_takes(s, o, px))) {
		/* Binance cancels it rather than refuse the request */
		if (out != NULL) {
			order_export(s, o, out);	/* before the node goes */
			out->status = EXCH_ST_CANCELED;
		}
		order_close(ex, sym, o, EXCH_ST_CANCELED, EXCH_X_CANCELED);
		return 0;
	}
	if (modify_margin(ex, a, sym, o, px, lots, e) == -1)
		return -1;
	alist_del(ex, sym, o);
	book_unlink(s->book, o);
	o->px = px;
	o->orig = lots;
	o->qty = lots - o->exec;
	o->mods++;
	o->update_ms = exch_now_ms(ex);
	emit_order(ex, sym, o, EXCH_X_AMENDMENT, 0, 0, 0, false, 0, 0);
	hooks_init(ex, sym, &hc, &h);
	stp = book_match_taker(s->book, &s->ext, o, &h);
	/* what rests goes in at the back of its level, its queue anew */
	order_settle(ex, sym, o, stp, out);
	ro_process(ex);
	return 0;
}

static int
cancel_all_sym(struct exch *ex, struct exch_account *a, int sym)
{
	struct acct_pos *p = &a->pos[sym];
	int n = 0;

	while (p->ohead != BK_NIL) {
		struct bk_order *o = book_order(ex->sym[sym].book, p->ohead);

		order_close(ex, sym, o, EXCH_ST_CANCELED, EXCH_X_CANCELED);
		n++;
	}
	return n;
}

int
exch_order_cancel_all(struct exch *ex, struct exch_account *a,
    const char *symbol, struct exch_err *e)
{
	int sym;

	if (sym_by_name(ex, symbol, &sym, e) == NULL)
		return -1;
	ex->ev_ns = 0;
	return cancel_all_sym(ex, a, sym);
}

int
exch_order_query(struct exch *ex, struct exch_account *a, const char *symbol,
    int64_t order_id, const char *cid, struct exch_order *out,
    struct exch_err *e)
{
	struct exch_sym *s;
	struct bk_order *o;
	int sym, i;

	if ((s = sym_by_name(ex, symbol, &sym, e)) == NULL ||
	    need_id(order_id, cid, e) == -1)
		return -1;
	if ((o = find_open(s, a, order_id, cid)) != NULL) {
		order_export(s, o, out);
		return 0;
	}
	/* newest first: a client id may have been reused after closing */
	for (i = a->closed.n - 1; i >= 0; i--) {
		const struct acct_closed *c = acct_ring_at(&a->closed, i);

		if (c->sym != sym)
			continue;
		if ((order_id > 0 && c->o.order_id == order_id) ||
		    (order_id <= 0 && strcmp(c->o.client_id, cid) == 0)) {
			*out = c->o;
			return 0;
		}
	}
	return exch_err_set(e, 400, -2013, "Order does not exist.");
}

int
exch_open_orders(struct exch *ex, struct exch_account *a, const char *symbol,
    struct exch_order *out, int max, struct exch_err *e)
{
	int sym, n = 0, from = 0, to = ex->nsyms;

	if (symbol != NULL) {
		if (sym_by_name(ex, symbol, &sym, e) == NULL)
			return -1;
		from = sym;
		to = sym + 1;
	}
	for (sym = from; sym < to; sym++) {
		struct exch_sym *s = &ex->sym[sym];
		uint32_t k;

		for (k = a->pos[sym].ohead; k != BK_NIL && n < max;) {
			struct bk_order *o = book_order(s->book, k);

			order_export(s, o, &out[n++]);
			k = o->anext;
		}
	}
	return n;
}

int
exch_open_order_count(struct exch *ex, struct exch_account *a,
    const char *symbol)
{
	int i, n = 0;

	for (i = 0; i < ex->nsyms; i++)
		if (symbol == NULL || strcmp(symbol, ex->sym[i].spec.symbol) == 0)
			n += a->pos[i].open_orders;
	return n;
}

/* ------------------------------------------------------------------ */
/* history: userTrades, allOrders                                      */

void
exch_hist_query_init(struct exch_hist_query *q, const char *symbol)
{
	memset(q, 0, sizeof(*q));
	q->symbol = symbol;
	q->order_id = q->from_id = q->start_ms = q->end_ms = -1;
	q->limit = 500;
}

/* Which ids and times a query selects, and from which end. */
struct hist_win {
	int64_t	from_id;		/* INT64_MIN: any */
	int64_t	lo_ms, hi_ms;		/* inclusive */
	bool	newest;			/* the last limit, not the first */
	int	limit;
};

static int
hist_window(struct exch *ex, const struct exch_hist_query *q, bool trades,
    struct hist_win *w, struct exch_err *e)
{
	bool has_s = q->start_ms >= 0, has_e = q->end_ms >= 0;

	if (q->limit < 1 || q->limit > EXCH_HIST_LIMIT_MAX)
		return exch_err_set(e, 400, -1130, "Data sent for paramter "
		    "'limit' is not valid.");
	if (trades && q->from_id >= 0 && (has_s || has_e))
		return exch_err_set(e, 400, -1128, "Combination of optional "
		    "parameters invalid.");
	if (has_s && has_e && q->end_ms - q->start_ms > EXCH_HIST_WINDOW_MS)
		return exch_err_set(e, 400, -1127, "More than 7 days between "
		    "startTime and endTime.");
	w->limit = q->limit;
	w->from_id = q->from_id >= 0 ? q->from_id : INT64_MIN;
	w->newest = !has_s && q->from_id < 0;
	w->lo_ms = INT64_MIN;
	w->hi_ms = INT64_MAX;
	if (has_s) {
		w->lo_ms = q->start_ms;
		w->hi_ms = has_e ? q->end_ms : q->start_ms + EXCH_HIST_WINDOW_MS;
	} else if (has_e) {
		w->lo_ms = q->end_ms - EXCH_HIST_WINDOW_MS;
		w->hi_ms = q->end_ms;
	} else if (q->from_id < 0) {
		w->lo_ms = exch_now_ms(ex) - EXCH_HIST_WINDOW_MS;
	}
	return 0;
}

static inline bool
hist_in(const struct hist_win *w, int64_t id, int64_t ms)
{
	return id >= w->from_id && ms >= w->lo_ms && ms <= w->hi_ms;
}

static void
trade_export(const struct exch_sym *s, const struct acct_trade *t,
    struct exch_trade *out)
{
	memset(out, 0, sizeof(*out));
	out->id = t->id;
	out->order_id = t->order_id;
	snprintf(out->symbol, sizeof(out->symbol), "%s", s->spec.symbol);
	out->side = t->side;
	out->maker = t->maker;
	out->price = px_of(s, t->px);
	out->qty = qty_of(s, t->lots);
	out->quote_qty = out->price * out->qty;
	out->commission = t->commission;
	out->realized_pnl = t->rp;
	out->time_ms = t->time_ms;
	out->price_precision = s->spec.price_precision;
	out->qty_precision = s->spec.qty_precision;
}

/*
 * The ring holds the account's fills in the order they happened, which
 * is id order within a symbol (ids count per symbol), so a scan from the
 * right end that stops at limit is already the answer.
 */
int
exch_user_trades(struct exch *ex, struct exch_account *a,
    const struct exch_hist_query *q, struct exch_trade *out, int max,
    struct exch_err *e)
{
	struct hist_win w;
	int sym, k, n = 0, lim;

	if (sym_by_name(ex, q->symbol, &sym, e) == NULL ||
	    hist_window(ex, q, true, &w, e) == -1)
		return -1;
	lim = w.limit < max ? w.limit : max;
	for (k = 0; k < a->trades.n && n < lim; k++) {
		const struct acct_trade *t = acct_ring_at(&a->trades,
		    w.newest ? a->trades.n - 1 - k : k);

		if (t->sym != sym || (q->order_id > 0 &&
		    t->order_id != q->order_id) ||
		    !hist_in(&w, t->id, t->time_ms))
			continue;
		trade_export(&ex->sym[sym], t, &out[n++]);
	}
	for (k = 0; w.newest && k < n / 2; k++) {
		struct exch_trade tmp = out[k];

		out[k] = out[n - 1 - k];
		out[n - 1 - k] = tmp;
	}
	return n;
}

/* An order to list and its id, kept side by side so sorting stays in
 * one small array instead of chasing pointers into the ring. */
struct hist_ref {
	int64_t	id;
	const struct exch_order *o;
};

static int
hist_ref_cmp(const void *x, const void *y)
{
	const struct hist_ref *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

/*
 * Closed orders sit in the ring in closing order, not id order, and the
 * open ones are elsewhere: gather what the window lets through, sort by
 * id, and take the first or the last limit.
 */
int
exch_all_orders(struct exch *ex, struct exch_account *a,
    const struct exch_hist_query *q, struct exch_order *out, int max,
    struct exch_err *e)
{
	struct hist_ref *v;
	struct exch_order *open;
	struct hist_win w;
	int sym, nopen, nv = 0, i, n, first;

	if (sym_by_name(ex, q->symbol, &sym, e) == NULL ||
	    hist_window(ex, q, false, &w, e) == -1)
		return -1;
	nopen = a->pos[sym].open_orders;
	open = calloc((size_t)nopen + 1, sizeof(*open));
	v = calloc((size_t)(a->closed.n + nopen) + 1, sizeof(*v));
	if (open == NULL || v == NULL) {
		free(open);
		free(v);
		log_warn("%s", __func__);
		return exch_err_set(e, 500, -1000, "An unknown error occured "
		    "while processing the request.");
	}
	for (i = 0; i < a->closed.n; i++) {
		const struct acct_closed *c = acct_ring_at(&a->closed, i);

		if (c->sym == sym && hist_in(&w, c->o.order_id, c->o.time_ms)) {
			v[nv].id = c->o.order_id;
			v[nv++].o = &c->o;
		}
	}
	nopen = exch_open_orders(ex, a, q->symbol, open, nopen, e);
	for (i = 0; i < nopen; i++)
		if (hist_in(&w, open[i].order_id, open[i].time_ms)) {
			v[nv].id = open[i].order_id;
			v[nv++].o = &open[i];
		}
	qsort(v, (size_t)nv, sizeof(*v), hist_ref_cmp);
	n = nv < w.limit ? nv : w.limit;
	if (n > max)
		n = max;
	first = w.newest ? nv - n : 0;
	for (i = 0; i < n; i++)
		out[i] = *v[first + i].o;
	free(open);
	free(v);
	return n;
}

/* ------------------------------------------------------------------ */
/* history: income                                                     */

static const char *const income_names[] = {
	[EXCH_INC_TRANSFER] = "TRANSFER",
	[EXCH_INC_REALIZED_PNL] = "REALIZED_PNL",
	[EXCH_INC_FUNDING_FEE] = "FUNDING_FEE",
	[EXCH_INC_COMMISSION] = "COMMISSION",
};

const char *
exch_income_type_str(enum exch_income_type t)
{
	return t < EXCH_INC_ANY ? income_names[t] : "";
}

int
exch_income_type_parse(const char *s, enum exch_income_type *out)
{
	int t;

	for (t = 0; t < EXCH_INC_ANY; t++)
		if (strcmp(s, income_names[t]) == 0) {
			*out = (enum exch_income_type)t;
			return 0;
		}
	return -1;
}

void
exch_income_query_init(struct exch_income_query *q)
{
	memset(q, 0, sizeof(*q));
	q->type = EXCH_INC_ANY;
	q->start_ms = q->end_ms = -1;
	q->limit = EXCH_INCOME_LIMIT_DEFAULT;
	q->page = 1;
}

static bool
income_match(const struct acct_income *r, int sym,
    const struct exch_income_query *q, int64_t lo, int64_t hi)
{
	return (sym < 0 || r->sym == sym) && (q->type == EXCH_INC_ANY ||
	    r->type == q->type) && r->time_ms >= lo && r->time_ms <= hi;
}

/*
 * The ring is in time order (records are made as the engine's clock
 * moves), so a scan from the old end (start_ms sent) or the new end
 * (otherwise) that stops at limit is the answer.
 */
int
exch_income(struct exch *ex, struct exch_account *a,
    const struct exch_income_query *q, struct exch_income *out, int max,
    struct exch_err *e)
{
	bool has_s = q->start_ms >= 0, has_e = q->end_ms >= 0;
	int64_t lo, hi;
	int sym = -1, k, n = 0, lim, skip;

	if (q->symbol != NULL && q->symbol[0] != '\0' &&
	    sym_by_name(ex, q->symbol, &sym, e) == NULL)
		return -1;
	if (q->limit < 1 || q->limit > EXCH_HIST_LIMIT_MAX)
		return exch_err_set(e, 400, -1130, "Data sent for paramter "
		    "'limit' is not valid.");
	if (q->page < 1 || q->page > 1000000)
		return exch_err_set(e, 400, -1130, "Data sent for paramter "
		    "'page' is not valid.");
	skip = (q->page - 1) * q->limit;
	hi = has_e ? q->end_ms : INT64_MAX;
	lo = has_s ? q->start_ms : (has_e ? q->end_ms : exch_now_ms(ex)) -
	    EXCH_HIST_WINDOW_MS;
	lim = q->limit < max ? q->limit : max;
	for (k = 0; k < a->income.n && n < lim; k++) {
		const struct acct_income *r = acct_ring_at(&a->income,
		    has_s ? k : a->income.n - 1 - k);
		struct exch_income *o = &out[n];

		if (!income_match(r, sym, q, lo, hi) || skip-- > 0)
			continue;
		memset(o, 0, sizeof(*o));
		if (r->sym >= 0)
			snprintf(o->symbol, sizeof(o->symbol), "%s",
			    ex->sym[r->sym].spec.symbol);
		o->type = (enum exch_income_type)r->type;
		o->income = r->income;
		o->time_ms = r->time_ms;
		o->tran_id = r->tran_id;
		o->trade_id = r->trade_id;
		n++;
	}
	for (k = 0; !has_s && k < n / 2; k++) {
		struct exch_income tmp = out[k];

		out[k] = out[n - 1 - k];
		out[n - 1 - k] = tmp;
	}
	return n;
}

int
exch_countdown_set(struct exch *ex, struct exch_account *a, const char *symbol,
    int64_t countdown_ms, struct exch_err *e)
{
	struct acct_pos *p;
	int sym;

	if (sym_by_name(ex, symbol, &sym, e) == NULL)
		return -1;
	if (countdown_ms < 0)
		return exch_err_set(e, 400, -1102, "Mandatory parameter "
		    "'countdownTime' was not sent, was empty/null, or malformed.");
	p = &a->pos[sym];
	p->countdown_ms = countdown_ms;
	p->countdown_deadline_ns = 0;
	if (countdown_ms > 0) {
		int64_t now = exch_now_ns(ex);

		/* a countdown past the end of int64 time never fires */
		p->countdown_deadline_ns = countdown_ms >
		    (INT64_MAX - now) / NS_PER_MS ? INT64_MAX :
		    now + countdown_ms * NS_PER_MS;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* account state                                                       */

int
exch_position(struct exch *ex, struct exch_account *a, const char *symbol,
    struct exch_position *out, struct exch_err *e)
{
	int sym;

	if (sym_by_name(ex, symbol, &sym, e) == NULL)
		return -1;
	acct_position(a, sym, ex->asym, ex->nsyms, ex->o.taker_fee, out);
	return 0;
}

int
exch_positions(struct exch *ex, struct exch_account *a,
    struct exch_position *out, int max)
{
	int i;

	for (i = 0; i < ex->nsyms && i < max; i++)
		acct_position(a, i, ex->asym, ex->nsyms, ex->o.taker_fee, &out[i]);
	return i;
}

void
exch_account_info(struct exch *ex, struct exch_account *a,
    struct exch_account_info *out)
{
	acct_info(a, ex->asym, ex->nsyms, out);
}

int
exch_leverage_set(struct exch *ex, struct exch_account *a, const char *symbol,
    int leverage, double *max_notional, struct exch_err *e)
{
	struct exch_sym *s;
	struct acct_pos *p;
	struct exch_user_event ev;
	int sym, old;
	double notional;

	if ((s = sym_by_name(ex, symbol, &sym, e)) == NULL)
		return -1;
	if (leverage < 1 || leverage > s->spec.brackets[0].initial_leverage)
		return exch_err_set(e, 400, -4028, "Leverage %d is not valid",
		    leverage);
	p = &a->pos[sym];
	notional = fabs(qty_of(s, p->amt) * (s->mark > 0 ? s->mark : p->entry));
	if (notional > exch_spec_max_notional(&s->spec, leverage))
		return exch_err_set(e, 400, -2027, "Exceeded the maximum "
		    "allowable position at current leverage.");
	old = p->leverage;
	p->leverage = leverage;
	if (acct_available(a, ex->asym, ex->nsyms) < 0 && leverage < old) {
		p->leverage = old;
		return exch_err_set(e, 400, -2028, "Leverage is smaller than "
		    "permitted: insufficient margin balance.");
	}
	if (max_notional != NULL)
		*max_notional = exch_spec_max_notional(&s->spec, leverage);
	if (ex->cb.on_user != NULL) {
		memset(&ev, 0, sizeof(ev));
		ev.type = EXCH_EV_ACCOUNT_CONFIG;
		ev.acct = a;
		ev.E_ms = ev.T_ms = exch_now_ms(ex);
		ev.cfg.symbol = s->spec.symbol;
		ev.cfg.leverage = leverage;
		ex->cb.on_user(ex->cb.arg, &ev);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* public market state                                                 */

int
exch_book_top(struct exch *ex, int sym, struct exch_top *out)
{
	struct exch_sym *s;
	int64_t b, bq, a, aq;

	if (sym < 0 || sym >= ex->nsyms)
		return -1;
	s = &ex->sym[sym];
	if (!ext_best(&s->ext, BK_BID, &b, &bq) || !ext_best(&s->ext, BK_ASK,
	    &a, &aq))
		return -1;
	out->bid = px_of(s, b);
	out->bid_qty = qty_of(s, bq);
	out->ask = px_of(s, a);
	out->ask_qty = qty_of(s, aq);
	out->update_id = s->ext.top_valid ? s->ext.top_u : s->ext.last_u;
	out->time_ms = s->ext.top_ms;
	return 0;
}

int
exch_depth(struct exch *ex, int sym, int limit, struct exch_level *bids,
    int *nb, struct exch_level *asks, int *na, int64_t *last_update_id)
{
	struct exch_sym *s;
	struct exch_level *out[2] = { bids, asks };
	int *cnt[2] = { nb, na }, side, i;

	if (sym < 0 || sym >= ex->nsyms)
		return -1;
	s = &ex->sym[sym];
	for (side = 0; side < 2; side++) {
		int n = s->ext.n[side];

		for (i = 0; i < limit && i < n; i++) {
			const struct ext_level *l = &s->ext.lv[side][n - 1 - i];

			out[side][i].price = px_of(s, l->px);
			out[side][i].qty = qty_of(s, l->qty);
		}
		*cnt[side] = i;
	}
	*last_update_id = s->ext.last_u;
	return 0;
}

int
exch_trade_last(struct exch *ex, int sym, struct exch_last_trade *out)
{
	if (sym < 0 || sym >= ex->nsyms || ex->sym[sym].last.id == 0)
		return -1;
	*out = ex->sym[sym].last;
	return 0;
}

int
exch_mark_get(struct exch *ex, int sym, struct exch_mark *out)
{
	struct exch_sym *s;

	if (sym < 0 || sym >= ex->nsyms || ex->sym[sym].mark <= 0)
		return -1;
	s = &ex->sym[sym];
	out->mark = out->index = out->est_settle = s->mark;
	if (s->rec_mark) {
		out->index = s->rec_index;
		out->est_settle = s->rec_settle;
	}
	out->funding_rate = s->rate;
	out->time_ms = s->mark_ms > 0 ? s->mark_ms : exch_now_ms(ex);
	out->next_funding_ms = next_funding_ms(ex, exch_now_ns(ex));
	return 0;
}

/* ------------------------------------------------------------------ */
/* driving the market                                                  */

static int64_t
source_next(const struct exch *ex, int *which)
{
	int64_t t = INT64_MAX;
	int i;

	*which = -1;
	if (ex->replay != NULL)
		return replay_next_ns(ex->replay);
	for (i = 0; i < ex->nsyms; i++)
		if (ex->sym[i].synth != NULL &&
		    synth_next_ns(ex->sym[i].synth) < t) {
			t = synth_next_ns(ex->sym[i].synth);
			*which = i;
		}
	return t;
}

int64_t
exch_next_due_ns(const struct exch *ex)
{
	int which, i, sym;
	int64_t t = source_next(ex, &which);

	/* the engine's own timers count too, so a quiet market still fires
	 * countdownCancelAll and markPrice on time */
	if (ex->o.market != EXCH_MKT_MANUAL && (ex->replay == NULL ||
	    ex->o.replay.speed > 0) && ex->mark_due_ns < t)
		t = ex->mark_due_ns;
	if ((ex->replay == NULL || ex->o.replay.speed > 0) &&
	    ex->funding_due_ns < t)
		t = ex->funding_due_ns;
	for (i = 0; i < ex->nacct; i++)
		for (sym = 0; sym < ex->nsyms; sym++) {
			int64_t d = ex->acct[i]->pos[sym].countdown_deadline_ns;

			if (d != 0 && d < t)
				t = d;
		}
	return t;
}

bool
exch_market_done(const struct exch *ex)
{
	return ex->replay != NULL && replay_done(ex->replay);
}

int
exch_replay_chain(struct exch *ex, const char *path)
{
	if (ex->replay == NULL || !replay_done(ex->replay))
		return -1;
	if (replay_chain(ex->replay, path) == -1)
		return -1;
	snprintf(ex->o.replay.path, sizeof(ex->o.replay.path), "%s", path);
	ex->replay_end_logged = false;
	return 0;
}

int64_t
exch_replay_first_ns(const struct exch *ex)
{
	return ex->replay != NULL ? replay_first_ns(ex->replay) : 0;
}

/* countdownCancelAll deadlines and GTD expiries due by now. */
static void
timers(struct exch *ex, int64_t now)
{
	int i, sym;

	ex->ev_ns = now;
	for (i = 0; i < ex->nacct; i++)
		for (sym = 0; sym < ex->nsyms; sym++) {
			struct acct_pos *p = &ex->acct[i]->pos[sym];

			if (p->countdown_deadline_ns == 0 ||
			    now < p->countdown_deadline_ns)
				continue;
			p->countdown_deadline_ns = 0;
			p->countdown_ms = 0;
			log_info("countdownCancelAll fired for account %d on %s",
			    i, ex->sym[sym].spec.symbol);
			cancel_all_sym(ex, ex->acct[i], sym);
		}
	for (sym = 0; sym < ex->nsyms; sym++) {
		struct exch_sym *s = &ex->sym[sym];
		uint32_t k, n;

		if (s->gtd_count == 0)
			continue;
		n = book_pool_size(s->book);
		for (k = 0; k < n; k++) {
			struct bk_order *o = book_order(s->book, k);

			if (o->resting && o->tif == EXCH_GTD &&
			    o->gtd_ms <= now / NS_PER_MS)
				order_close(ex, sym, o, EXCH_ST_EXPIRED,
				    EXCH_X_EXPIRED);
		}
	}
	ex->ev_ns = 0;
}

/*
 * A process stopped for a while (SIGSTOP, a debugger, a suspended VM)
 * would come back to minutes of synthetic market due at once; nobody
 * wants them in one burst. Skip what is older than this, once, loudly.
 */
#define SYNTH_MAX_LAG_NS	(10 * NS_PER_S)

static void
synth_catch_up(struct exch *ex, int64_t now)
{
	int i;

	for (i = 0; i < ex->nsyms; i++) {
		struct synth *sy = ex->sym[i].synth;

		if (sy != NULL && synth_next_ns(sy) < now - SYNTH_MAX_LAG_NS) {
			log_warnx("exchange: %s: market %.1f s behind, skipped ahead",
			    ex->sym[i].spec.symbol, (double)(now -
			    synth_next_ns(sy)) / NS_PER_S);
			synth_skip(sy, now);
		}
	}
	if (ex->mark_due_ns < now - SYNTH_MAX_LAG_NS)
		ex->mark_due_ns = now;
}

/*
 * Say once that the replay is over: after it the book stands still, and a
 * tree trading on it quotes into a market that no longer moves.
 */
static void
replay_end_log(struct exch *ex, int64_t now)
{
	uint64_t lines, bad;

	if (ex->replay_end_logged || !replay_done(ex->replay))
		return;
	ex->replay_end_logged = true;
	replay_stats(ex->replay, &lines, &bad);
	log_info("replay %s ended: %llu events from %llu lines (%llu "
	    "malformed, dropped), %.1f s of recording in %.1f s; the book "
	    "stands still from here", ex->o.replay.path,
	    (unsigned long long)replay_events(ex->replay),
	    (unsigned long long)lines, (unsigned long long)bad,
	    (double)replay_span_ns(ex->replay) / NS_PER_S,
	    (double)(now - ex->replay_start_ns) / NS_PER_S);
}

int
exch_step(struct exch *ex, int64_t now)
{
	struct mkt_sink k;
	int which, lines = 0;
	int64_t t;

	sink_of(ex, &k);
	ex->nemitted = 0;
	if (ex->replay == NULL)
		synth_catch_up(ex, now);
	for (;;) {
		t = source_next(ex, &which);
		if (t > now)
			break;
		if (ex->replay != NULL) {
			if (t == 0 && lines >= ex->o.replay.max_batch)
				break;
			if (replay_step(ex->replay, &k) == -1) {
				ex->ev_ns = 0;
				return -1;
			}
			lines++;
			replay_end_log(ex, now);
		} else {
			synth_step(ex->sym[which].synth, &k);
		}
	}
	ex->ev_ns = 0;
	/* marks and funding keep their cadence when the market is quiet
	 * (market time is the clock's unless a replay runs at max speed) */
	if (ex->replay == NULL || ex->o.replay.speed > 0) {
		mark_timer(ex, now);
		funding_timer(ex, now);
	}
	ex->ev_ns = 0;
	timers(ex, now);
	return ex->nemitted;
}

/* ------------------------------------------------------------------ */
/* manual outside market                                               */

/*
 * A hand-set price or quantity the core can hold: in ticks and lots it
 * must fit int64 with room to spare (a price of 1e25 would wrap llround).
 * Prices within the symbol's PRICE_FILTER maximum, quantities below 1e12.
 */
static bool
ext_sane(const struct exch_sym *s, double price, double qty)
{
	return price > 0 && price <= s->spec.max_price && qty >= 0 &&
	    qty <= 1e12;
}

int
exch_ext_book(struct exch *ex, int sym, const struct exch_level *bids, int nb,
    const struct exch_level *asks, int na)
{
	struct exch_sym *s;
	struct ext_level *lv[2] = { NULL, NULL };
	const struct exch_level *in[2] = { bids, asks };
	int n[2] = { nb, na }, side, i, k, total = 0, rc = -1;
	int64_t U;

	if (sym < 0 || sym >= ex->nsyms)
		return -1;
	s = &ex->sym[sym];
	for (k = 0; k < nb; k++)
		if (!ext_sane(s, bids[k].price, bids[k].qty))
			return -1;
	for (k = 0; k < na; k++)
		if (!ext_sane(s, asks[k].price, asks[k].qty))
			return -1;
	/* the diff: the new levels, and deletions of old ones not in it */
	for (side = 0; side < 2; side++) {
		lv[side] = calloc((size_t)(s->ext.n[side] + n[side] + 1),
		    sizeof(struct ext_level));
		if (lv[side] == NULL)
			goto out;
	}
	for (side = 0; side < 2; side++) {
		int nn = n[side], j;

		for (k = 0; k < nn; k++) {
			lv[side][k].px = llround(in[side][k].price /
			    s->spec.tick_size);
			lv[side][k].qty = llround(in[side][k].qty /
			    s->spec.step_size);
		}
		for (i = 0; i < s->ext.n[side]; i++) {
			for (j = 0; j < nn; j++)
				if (lv[side][j].px == s->ext.lv[side][i].px)
					break;
			if (j == nn) {
				lv[side][k].px = s->ext.lv[side][i].px;
				lv[side][k++].qty = 0;
			}
		}
		n[side] = k;
		total += k;
	}
	U = s->manual_u;
	s->manual_u += total > 0 ? total : 1;
	ex->ev_ns = exch_now_ns(ex);
	s->ext.top_valid = false;
	sink_depth(ex, sym, ex->ev_ns, U, s->manual_u - 1, U - 1, lv[0], n[0],
	    lv[1], n[1], false, NULL, 0);
	ext_top_from_depth(&s->ext);
	s->ext.top_u = s->manual_u - 1;
	s->ext.top_ms = ex->ev_ns / NS_PER_MS;
	{
		int64_t b = 0, bq = 0, a = 0, aq = 0;

		ext_best(&s->ext, BK_BID, &b, &bq);
		ext_best(&s->ext, BK_ASK, &a, &aq);
		sink_book_ticker(ex, sym, ex->ev_ns, s->manual_u - 1, b, bq, a, aq,
		    NULL, 0);
	}
	rc = 0;
out:
	ex->ev_ns = 0;
	free(lv[0]);
	free(lv[1]);
	return rc;
}

int
exch_ext_trade(struct exch *ex, int sym, double price, double qty,
    bool buyer_maker)
{
	struct exch_sym *s;
	int64_t id;

	if (sym < 0 || sym >= ex->nsyms || qty <= 0 ||
	    !ext_sane(&ex->sym[sym], price, qty))
		return -1;
	s = &ex->sym[sym];
	id = s->last.id + 1;
	sink_trade(ex, sym, exch_now_ns(ex), id, llround(price /
	    s->spec.tick_size), llround(qty / s->spec.step_size), buyer_maker,
	    NULL, 0);
	ex->ev_ns = 0;
	return 0;
}

int
exch_ext_mark(struct exch *ex, int sym, double mark)
{
	if (sym < 0 || sym >= ex->nsyms || mark <= 0)
		return -1;
	ex->sym[sym].mark = mark;
	ex->asym[sym].mark = mark;
	funding_catch_up(ex);
	emit_mark(ex, sym, exch_now_ns(ex), NULL, 0);
	return 0;
}

int
exch_synth_set_mid(struct exch *ex, int sym, double price)
{
	struct exch_sym *s;
	struct mkt_sink k;
	int64_t now;

	if (sym < 0 || sym >= ex->nsyms || ex->replay != NULL ||
	    !ext_sane(&ex->sym[sym], price, 0))
		return -1;
	s = &ex->sym[sym];
	now = exch_now_ns(ex);
	if (s->synth != NULL) {
		synth_set_mid(s->synth, price, now, sink_of(ex, &k));
	} else {
		/* manual: shift every level by the move of the mid */
		struct exch_level lv[2][64];
		int n[2] = { 0, 0 }, side, i;
		int64_t b, bq, a, aq, d;

		if (!ext_best(&s->ext, BK_BID, &b, &bq) ||
		    !ext_best(&s->ext, BK_ASK, &a, &aq))
			return -1;
		d = llround(price / s->spec.tick_size) - (b + a) / 2;
		for (side = 0; side < 2; side++)
			for (i = s->ext.n[side] - 1; i >= 0 && n[side] < 64; i--) {
				lv[side][n[side]].price = px_of(s,
				    s->ext.lv[side][i].px + d);
				lv[side][n[side]++].qty = qty_of(s,
				    s->ext.lv[side][i].qty);
			}
		if (exch_ext_book(ex, sym, lv[0], n[0], lv[1], n[1]) == -1)
			return -1;
	}
	ex->ev_ns = 0;
	return exch_ext_mark(ex, sym, price);
}
