/*
 * quoter.c — when pmm re-quotes and what each quote sends (quoter.h has
 * the rules). This is the one file to read for "why did (or didn't) pmm
 * quote then": the order service and the backtest only carry out its
 * plans. Pure: now is an argument.
 */
#include "quoter.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void
qt_init(struct quoter *q, const struct qt_config *c)
{
	memset(q, 0, sizeof(*q));
	q->c = *c;
	pxg_init(&q->pxg, &c->pxg);
	ordr_init(&q->rej, ORDR_BASE_NS, ORDR_MAX_NS);
	q->stale = true;		/* no market data yet */
	q->why = STRAT_WHY_STALE;
}

void
qt_reconfig(struct quoter *q, const struct qt_config *c)
{
	q->c = *c;
	pxg_set_config(&q->pxg, &c->pxg);
	q->next_refresh_ns = 0;		/* a new ladder now */
}

void
qt_filters(struct quoter *q, const struct bn_filters *f,
    const struct strat_filters *sf)
{
	q->flt = *f;
	q->sflt = *sf;
}

bool
qt_on_tick(struct quoter *q, double bid, double ask, int64_t now)
{
	q->bid = bid;
	q->ask = ask;
	q->have_book = true;
	q->stale = false;
	q->last_tick_ns = now;
	q->data_id++;
	return strat_mid_moved(&q->c.scfg, q->anchor, (bid + ask) / 2);
}

enum qt_due
qt_due(struct quoter *q, const struct qt_facts *f, int64_t now)
{
	/*
	 * Market says stale only after stale_after without data, and a tick
	 * always ends it here: its record may lag the tick, so a stale record
	 * alone is not enough.
	 */
	if (!q->stale && f->market_stale &&
	    now - q->last_tick_ns > q->c.stale_after_ns) {
		q->stale = true;
		q->eval_at_ns = now;
	}
	/* a pause flipped without a message: its cancels are due now */
	if (f->paused != q->paused)
		q->eval_at_ns = now;
	if (now >= q->next_refresh_ns)
		return QT_REFRESH;
	if (q->eval_at_ns != 0 && now >= q->eval_at_ns)
		return QT_EVAL;
	return QT_IDLE;
}

/*
 * The book's sanity (pxguard.c) against the mark price; a change goes
 * into the plan to be said once. True when it just became sane again.
 * An unusable or stale book is the strategy's to judge.
 */
static bool
qt_guard(struct quoter *q, double mark, int64_t now, struct qt_plan *p)
{
	char why[sizeof(q->insane_why)];
	bool was = q->insane;

	if (!q->have_book || q->stale)
		return false;
	q->insane = pxg_check(&q->pxg, q->bid, q->ask, mark, now, why,
	    sizeof(why)) != PXG_OK;
	if (q->insane && strcmp(why, q->insane_why) != 0)
		memcpy(q->insane_why, why, sizeof(why));
	if (q->insane != was) {
		p->book = q->insane ? QT_BOOK_INSANE : QT_BOOK_SANE;
		p->mid = (q->bid + q->ask) / 2;
	}
	return was && !q->insane;
}

void
qt_est_from(struct strat_est *e, const struct shm_market *m,
    const struct cfg *c)
{
	if (m->est_sigma_bp > 0 && m->est_a > 0 && m->est_k > 0) {
		e->sigma_bp = m->est_sigma_bp;
		e->A = m->est_a;
		e->k = m->est_k;
	} else {
		e->sigma_bp = c->estimator.fallback_sigma_bp;
		e->A = c->estimator.fallback_a;
		e->k = c->estimator.fallback_k;
	}
}

bool
qt_model(struct shm_orders *r, const struct qt_facts *f,
    const struct qt_plan *p, const struct cfg *c)
{
	const struct strat_out *o = &p->out;

	r->m_gamma = strcmp(c->strategy_name, "avellaneda_mm") == 0 ?
	    c->avellaneda.gamma : strcmp(c->strategy_name, "glft_mm") == 0 ?
	    c->glft.gamma : NAN;
	r->m_sigma_bp = f->est.sigma_bp;
	r->m_a = f->est.A;
	r->m_k = f->est.k;
	r->m_reservation = o->reservation;
	r->m_half_spread = o->half_spread;
	r->m_skew_bp = o->skew_bp;
	r->m_q_lots = o->q_lots;
	return p->refresh || p->pl.n_place > 0;
}

static void
qt_strat_in(const struct quoter *q, const struct qt_facts *f,
    const struct ord_book *b, struct strat_order *open, bool refresh,
    struct strat_in *in)
{
	memset(in, 0, sizeof(*in));
	in->mkt.bid = q->have_book ? q->bid : 0;
	in->mkt.ask = q->have_book ? q->ask : 0;
	in->mkt.mid = q->have_book ? (q->bid + q->ask) / 2 : 0;
	/* an insane book is quoted like no book: everything cancelled */
	in->mkt.stale = q->stale || !q->have_book || q->insane;
	in->position = f->position;
	in->n_open = ord_to_strat(b, q->sflt.step, open, STRAT_MAX_OPEN);
	in->open = open;
	in->cfg = q->c.scfg;
	in->cfg.paused = f->paused;
	in->flt = q->sflt;
	in->est = f->est;
	in->now_ns = f->real_ns;
	in->instance = q->c.instance;
	in->next_seq = q->next_seq;
	in->refresh = refresh;
}

/* Orders still standing on the book for the strategy (not cancelling). */
static int
qt_live(const struct strat_order *open, int n)
{
	int i, live = 0;

	for (i = 0; i < n; i++)
		if (open[i].state != STRAT_OS_CANCELING)
			live++;
	return live;
}

/*
 * Drop from the plan the rungs the exchange just rejected post-only at
 * the same price, when no newer market data has come since (or their
 * backoff runs), and any price outside PERCENT_PRICE (the exchange would
 * refuse it); look again when a backoff ends. Returns the rungs held.
 */
static int
qt_place_filter(struct quoter *q, double mark, struct qt_plan *p,
    int64_t now)
{
	const struct strat_quote *sq;
	int64_t next;
	int i, k = 0, held = 0;

	p->out_of_band = 0;
	p->first_oob = -1;
	for (i = 0; i < p->pl.n_place; i++) {
		sq = &p->out.place[p->pl.place[i]];
		if (!ordr_may_place(&q->rej, sq->side, sq->level,
		    sq->px_ticks, q->data_id, now))
			held++;
		else if (bn_price_in_band(&q->flt, sq->px_ticks, mark))
			p->pl.place[k++] = p->pl.place[i];
		else {
			q->out_of_band++;
			if (p->out_of_band++ == 0)
				p->first_oob = p->pl.place[i];
		}
	}
	p->pl.n_place = k;
	if (held > 0 && (next = ordr_next_ns(&q->rej, now)) != 0 &&
	    (q->eval_at_ns == 0 || next < q->eval_at_ns))
		q->eval_at_ns = next;
	return held;
}

void
qt_eval(struct quoter *q, const struct qt_facts *f, const struct ord_book *b,
    bool refresh, int64_t now, struct qt_plan *p)
{
	struct strat_order open[STRAT_MAX_OPEN];
	struct strat_in in;

	p->book = QT_BOOK_SAME;
	p->mid = 0;
	if (f->paused != q->paused) {
		q->paused = f->paused;
		refresh = !f->paused;	/* resume: a whole new ladder */
	}
	snprintf(q->pause_why, sizeof(q->pause_why), "%s",
	    f->paused && f->pause_why != NULL ? f->pause_why : "");
	if (qt_guard(q, f->mark_price, now, p))
		refresh = true;		/* sane again: a whole new ladder */
	qt_strat_in(q, f, b, open, refresh, &in);
	strat_eval(q->c.impl, &in, &p->out);
	q->next_seq = p->out.next_seq;
	q->why = p->out.why;
	q->anchor = ord_anchor(q->anchor, in.mkt.mid,
	    p->out.why == STRAT_WHY_QUOTING, refresh, qt_live(open, in.n_open));
	if (refresh)
		q->next_refresh_ns = now + q->c.refresh_ns;
	q->eval_at_ns = 0;
	ord_plan_make(b, &p->out, now, &p->pl);
	/* blind without the user stream: no new orders until it is back */
	if (!f->stream_up)
		p->pl.n_place = 0;
	q->held = qt_place_filter(q, f->mark_price, p, now);
	p->refresh = refresh;
	p->state = qt_state(q, f->stream_up, f->unreachable, p->reason,
	    sizeof(p->reason));
}

static int64_t
qt_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int64_t
qt_next_ns(const struct quoter *q)
{
	return q->eval_at_ns != 0 ? qt_min(q->next_refresh_ns, q->eval_at_ns) :
	    q->next_refresh_ns;
}

void
qt_table_changed(struct quoter *q, int64_t now)
{
	if (q->eval_at_ns == 0)
		q->eval_at_ns = now;
}

void
qt_retry_at(struct quoter *q, int64_t t)
{
	if (q->eval_at_ns == 0 || q->eval_at_ns > t)
		q->eval_at_ns = t;
}

void
qt_on_placed(struct quoter *q, int side, int level, int64_t px_ticks,
    int code, uint64_t data_id, int64_t now)
{
	if (code == 0)
		ordr_on_accept(&q->rej, side, level);
	else if (code == -5022)
		ordr_on_reject(&q->rej, side, level, px_ticks, data_id, now);
}

/*
 * The first cause wins: nobody there, then a pause, then blindness, then
 * the market, then the strategy, then our own reject memory.
 */
enum quote_state
qt_state(const struct quoter *q, bool stream_up, const char *unreachable,
    char *reason, size_t len)
{
	if (unreachable != NULL) {
		snprintf(reason, len, "%s", unreachable);
		return QS_EXCHANGE_UNREACHABLE;
	}
	if (q->paused) {
		snprintf(reason, len, "%s", q->pause_why);
		return QS_PAUSED;
	}
	if (!stream_up) {
		snprintf(reason, len, "user data stream down: no new orders "
		    "until it is back");
		return QS_USER_STREAM_DOWN;
	}
	if (q->insane && !q->stale) {
		snprintf(reason, len, "%s", q->insane_why);
		return QS_BOOK_INSANE;
	}
	switch (q->why) {
	case STRAT_WHY_QUOTING:
		break;
	case STRAT_WHY_STALE:
		snprintf(reason, len, "%s", q->have_book ?
		    "market data stale" : "no market data yet");
		return QS_MARKET_STALE;
	case STRAT_WHY_BAD_BOOK:
		snprintf(reason, len, "book unusable: bid %g ask %g", q->bid,
		    q->ask);
		return QS_BOOK_INSANE;
	default:
		snprintf(reason, len, "strategy: %s", strat_why_name(q->why));
		return QS_BOOK_INSANE;
	}
	if (q->held > 0) {
		snprintf(reason, len, "%d rungs rejected post-only (-5022): "
		    "held until newer market data", q->held);
		return QS_REJECT_BACKOFF;
	}
	snprintf(reason, len, "%s", "");
	return QS_QUOTING;
}

void
qt_book_event(const struct quoter *q, const struct qt_plan *p,
    struct pmm_msg *m)
{
	bool insane = p->book == QT_BOOK_INSANE;

	memset(m, 0, sizeof(*m));
	m->u.order.kind = insane ? ORD_BOOK_INSANE : ORD_BOOK_SANE;
	m->u.order.side = UINT8_MAX;	/* neither */
	m->u.order.price = p->mid;
	snprintf(m->u.order.text, sizeof(m->u.order.text), "%s", insane ?
	    q->insane_why : "");
}
