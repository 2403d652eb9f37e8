/*
 * ord_book.c — the order service's table of its own orders and the state
 * machine that keeps it true.
 *
 *	(strategy place) -> PENDING -(REST ack / stream NEW)-> OPEN
 *	OPEN -(cancel sent)-> CANCELING -(REST ok / stream CANCELED)-> gone
 *	any -(stream FILLED, EXPIRED, REJECTED, CANCELED)-> gone
 *	timeout or 503 -> "unknown" (state kept) -(GET order)-> OPEN | gone
 *
 * REST answers and user-stream events race (they arrive over different
 * connections), so every transition is idempotent: an answer about an
 * order no longer in the table is ignored, a second "gone" is a no-op,
 * and each order is announced (PLACED) and counted once. The table is
 * the truth the strategy diff is computed against; counters and bus
 * messages are side effects returned in an ord_effect, so the tests see
 * them without a bus.
 */
#include "ord.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"

void
ord_book_init(struct ord_book *b)
{
	memset(b, 0, sizeof(*b));
}

struct ord *
ord_find(struct ord_book *b, const char *cid)
{
	int i;

	if (cid == NULL || cid[0] == '\0')
		return NULL;
	for (i = 0; i < b->n; i++)
		if (strcmp(b->o[i].cid, cid) == 0)
			return &b->o[i];
	return NULL;
}

struct ord *
ord_add(struct ord_book *b, const struct strat_quote *q, int64_t now_real_ns)
{
	struct ord *o;

	if (b->n >= ORD_MAX)
		return NULL;
	o = &b->o[b->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->cid, sizeof(o->cid), "%s", q->client_id);
	o->side = q->side;
	o->level = q->level;
	o->state = ORD_PENDING;
	o->px_ticks = q->px_ticks;
	o->qty_steps = q->qty_steps;
	o->price = q->price;
	o->qty = q->qty;
	o->changed_real_ns = now_real_ns;
	return o;
}

/* Keeps the order of the rest: the shm record lists them as placed. */
void
ord_remove(struct ord_book *b, struct ord *o)
{
	int i = (int)(o - b->o);

	if (i < 0 || i >= b->n)
		return;
	memmove(&b->o[i], &b->o[i + 1], (size_t)(b->n - i - 1) * sizeof(*o));
	b->n--;
}

int
ord_count_state(const struct ord_book *b, enum ord_state st)
{
	int i, n = 0;

	for (i = 0; i < b->n; i++)
		if (b->o[i].state == st)
			n++;
	return n;
}

bool
ord_rung_pending(const struct ord_book *b, int side, int level)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (b->o[i].side == side && b->o[i].level == level &&
		    (b->o[i].state == ORD_PENDING || b->o[i].unknown))
			return true;
	return false;
}

/* ---- effects -------------------------------------------------------------- */

static void
ord_event(struct ord_effect *e, enum pmm_order_kind kind, const struct ord *o,
    int code, const char *text)
{
	struct pmm_order_event *ev = &e->ev;

	memset(ev, 0, sizeof(*ev));
	e->has_event = true;
	ev->kind = (uint8_t)kind;
	snprintf(ev->client_id, sizeof(ev->client_id), "%s", o->cid);
	ev->side = o->side;
	ev->level = o->level;
	ev->price = o->price;
	ev->qty = o->qty;
	ev->code = code;
	msg_text(ev->text, sizeof(ev->text), text != NULL ? text : "");
}

/* Accepted by the exchange: say so once. */
static void
ord_announce(struct ord *o, struct ord_counts *c, struct ord_effect *e)
{
	if (o->announced)
		return;
	o->announced = true;
	c->placed++;
	ord_event(e, ORD_PLACED, o, 0, "");
}

static void
ord_gone(struct ord_book *b, struct ord *o, struct ord_effect *e)
{
	ord_remove(b, o);
	e->changed = true;
}

static void
ord_canceled(struct ord_book *b, struct ord *o, struct ord_counts *c,
    struct ord_effect *e)
{
	c->canceled++;
	ord_event(e, ORD_CANCELED, o, 0, "");
	ord_gone(b, o, e);
}

/* An acknowledgement (REST or stream) that the order rests. */
static void
ord_resting(struct ord *o, int64_t order_id, double filled, int64_t now_real,
    struct ord_counts *c, struct ord_effect *e)
{
	if (order_id != 0)
		o->order_id = order_id;
	if (filled > o->filled)
		o->filled = filled;
	if (o->state == ORD_PENDING)
		o->state = ORD_OPEN;
	o->unknown = false;
	o->changed_real_ns = now_real;
	ord_announce(o, c, e);
	e->changed = true;
}

/* ---- placements ---------------------------------------------------------- */

void
ord_on_place_ok(struct ord_book *b, const struct bn_order *r,
    int64_t now_real_ns, struct ord_counts *c, struct ord_effect *e)
{
	struct ord *o;

	/* gone already: the user stream told us first */
	if ((o = ord_find(b, r->clientOrderId)) == NULL)
		return;
	switch (r->status) {
	case BN_ST_FILLED:
		ord_announce(o, c, e);
		ord_gone(b, o, e);
		break;
	case BN_ST_CANCELED:
		ord_announce(o, c, e);
		ord_canceled(b, o, c, e);
		break;
	case BN_ST_EXPIRED:
	case BN_ST_EXPIRED_IN_MATCH:
		/* a post-only order that would have taken, on some venues */
		ord_event(e, ORD_EXPIRED, o, 0, r->status_str);
		ord_gone(b, o, e);
		break;
	case BN_ST_REJECTED:
		c->rejects++;
		ord_event(e, ORD_REJECTED, o, 0, r->status_str);
		ord_gone(b, o, e);
		break;
	default:
		ord_resting(o, r->orderId, r->executedQty, now_real_ns, c, e);
		break;
	}
}

void
ord_on_place_err(struct ord_book *b, const char *cid, int code,
    const char *msg, struct ord_counts *c, struct ord_effect *e)
{
	struct ord *o;

	if ((o = ord_find(b, cid)) == NULL)
		return;
	c->rejects++;
	ord_event(e, ORD_REJECTED, o, code, msg);
	ord_gone(b, o, e);
}

void
ord_on_place_not_sent(struct ord_book *b, const char *cid,
    struct ord_effect *e)
{
	struct ord *o;

	if ((o = ord_find(b, cid)) != NULL && o->state == ORD_PENDING)
		ord_gone(b, o, e);
}

void
ord_on_unknown(struct ord_book *b, const char *cid, int64_t now_ns,
    struct ord_effect *e)
{
	struct ord *o;

	if ((o = ord_find(b, cid)) == NULL)
		return;
	o->unknown = true;
	o->query_at_ns = now_ns;
	e->changed = true;
}

/* ---- cancels ------------------------------------------------------------- */

void
ord_cancel_sent(struct ord *o, int64_t now_real_ns)
{
	o->state = ORD_CANCELING;
	o->changed_real_ns = now_real_ns;
}

void
ord_on_cancel_ok(struct ord_book *b, const struct bn_order *r,
    int64_t now_real_ns, struct ord_counts *c, struct ord_effect *e)
{
	struct ord *o;

	(void)now_real_ns;
	if ((o = ord_find(b, r->clientOrderId)) == NULL)
		return;
	if (r->status == BN_ST_FILLED) {
		/* filled before the cancel arrived: the stream has the fill */
		ord_gone(b, o, e);
		return;
	}
	ord_canceled(b, o, c, e);
}

/* -2011 "Unknown order sent." / -2013 "Order does not exist.": gone. */
static bool
ord_code_gone(int code)
{
	return code == -2011 || code == -2013;
}

void
ord_on_cancel_err(struct ord_book *b, const char *cid, int code,
    const char *msg, int64_t now_ns, struct ord_effect *e)
{
	struct ord *o;

	(void)msg;
	if ((o = ord_find(b, cid)) == NULL)
		return;
	if (ord_code_gone(code)) {
		ord_gone(b, o, e);
		return;
	}
	/* refused for another reason (rate limit, clock): still open, and
	 * the next evaluation may cancel it again, not at once */
	o->state = ORD_OPEN;
	o->retry_at_ns = now_ns + ORD_CANCEL_RETRY_NS;
	e->changed = true;
}

void
ord_on_cancel_not_sent(struct ord_book *b, const char *cid, int64_t now_ns,
    struct ord_effect *e)
{
	ord_on_cancel_err(b, cid, 0, "not sent", now_ns, e);
}

/* ---- unknown outcomes ------------------------------------------------------ */

enum ord_resolution
ord_resolve(int outcome, long http_status, int code, enum bn_status status)
{
	(void)http_status;
	if (outcome == BN_OUT_OK) {
		switch (status) {
		case BN_ST_NEW:
		case BN_ST_PARTIALLY_FILLED:
			return ORD_RES_OPEN;
		case BN_ST_FILLED:
		case BN_ST_CANCELED:
		case BN_ST_EXPIRED:
		case BN_ST_EXPIRED_IN_MATCH:
		case BN_ST_REJECTED:
			return ORD_RES_GONE;
		default:
			return ORD_RES_RETRY;
		}
	}
	/* the exchange does not know the order: it was never placed */
	if (outcome == BN_OUT_REJECTED && ord_code_gone(code))
		return ORD_RES_GONE;
	return ORD_RES_RETRY;
}

void
ord_on_query(struct ord_book *b, const char *cid, int outcome,
    long http_status, int code, const struct bn_order *r, int64_t now_ns,
    int64_t now_real_ns, struct ord_counts *c, struct ord_effect *e)
{
	enum ord_resolution res;
	struct ord *o;

	if ((o = ord_find(b, cid)) == NULL)
		return;
	res = ord_resolve(outcome, http_status, code,
	    r != NULL ? r->status : BN_ST_UNKNOWN);
	if (res == ORD_RES_OPEN && r == NULL)
		res = ORD_RES_RETRY;	/* an answer we could not read */
	switch (res) {
	case ORD_RES_OPEN:
		/* a cancel of unknown fate that did not happen: open again,
		 * the strategy decides anew */
		o->state = ORD_OPEN;
		ord_resting(o, r->orderId, r->executedQty, now_real_ns, c, e);
		break;
	case ORD_RES_GONE:
		if (r != NULL && r->status == BN_ST_CANCELED)
			ord_canceled(b, o, c, e);
		else
			ord_gone(b, o, e);
		break;
	case ORD_RES_RETRY:
		o->query_at_ns = now_ns + ORD_QUERY_RETRY_NS;
		break;
	}
}

int
ord_queries_due(const struct ord_book *b, int64_t now_ns,
    char cids[][PMM_ID_MAX], int cap)
{
	int i, n = 0;

	for (i = 0; i < b->n && n < cap; i++)
		if (b->o[i].unknown && b->o[i].query_at_ns <= now_ns)
			snprintf(cids[n++], PMM_ID_MAX, "%s", b->o[i].cid);
	return n;
}

void
ord_query_sent(struct ord_book *b, const char *cid, int64_t now_ns)
{
	struct ord *o;

	(void)now_ns;
	/* in flight: not due again until its answer says when */
	if ((o = ord_find(b, cid)) != NULL)
		o->query_at_ns = INT64_MAX;
}

/* ---- the user stream ------------------------------------------------------- */

static void
ord_fill(struct ord_effect *e, const struct bn_order_update *u, int level)
{
	struct pmm_fill *f = &e->fill;

	memset(f, 0, sizeof(*f));
	e->has_fill = true;
	snprintf(f->client_id, sizeof(f->client_id), "%s", u->c);
	f->order_id = u->i;
	f->side = u->side == BN_SIDE_SELL ? STRAT_SELL : STRAT_BUY;
	f->level = (uint8_t)level;
	f->price = u->L;
	f->qty = u->l;
	f->fee = u->n;
	/* an asset name longer than the field is cut, not refused */
	snprintf(f->fee_asset, sizeof(f->fee_asset), "%.*s",
	    (int)sizeof(f->fee_asset) - 1, u->N);
	f->maker = u->m != 0;
	f->realized_pnl = u->rp;
	f->trade_ts_ns = (u->trade_T != 0 ? u->trade_T : u->T) * NS_PER_MS;
	f->trade_id = u->t;
}

static bool
ord_status_open(enum bn_status st)
{
	return st == BN_ST_NEW || st == BN_ST_PARTIALLY_FILLED;
}

/* The order's status after the event, for an order in the table. */
static void
ord_apply_status(struct ord_book *b, struct ord *o,
    const struct bn_order_update *u, int64_t now_real, struct ord_counts *c,
    struct ord_effect *e)
{
	switch (u->X) {
	case BN_ST_NEW:
	case BN_ST_PARTIALLY_FILLED:
		ord_resting(o, u->i, u->z, now_real, c, e);
		break;
	case BN_ST_FILLED:
		ord_gone(b, o, e);
		break;
	case BN_ST_CANCELED:
		ord_canceled(b, o, c, e);
		break;
	case BN_ST_EXPIRED:
	case BN_ST_EXPIRED_IN_MATCH:
		ord_event(e, ORD_EXPIRED, o, 0, u->x_str);
		ord_gone(b, o, e);
		break;
	case BN_ST_REJECTED:
		c->rejects++;
		ord_event(e, ORD_REJECTED, o, 0, u->x_str);
		ord_gone(b, o, e);
		break;
	default:
		break;
	}
}

void
ord_on_update(struct ord_book *b, const struct bn_order_update *u,
    const char *instance, int64_t now_real_ns, struct ord_counts *c,
    struct ord_effect *e)
{
	struct strat_cid id;
	struct ord *o;
	bool ours;

	ours = strat_cid_parse(u->c, &id) == 0 &&
	    strcmp(id.instance, instance) == 0;
	if (u->x == BN_EX_TRADE && u->l > 0) {
		ord_fill(e, u, ours ? id.level : 0);
		c->fills++;
	}
	if (!ours)
		return;
	if ((o = ord_find(b, u->c)) != NULL) {
		if (u->x != BN_EX_AMENDMENT && u->x != BN_EX_CALCULATED)
			ord_apply_status(b, o, u, now_real_ns, c, e);
		return;
	}
	/* ours, resting, and not in the table: left by an earlier run or
	 * thought never placed — it must not stay */
	if (u->x == BN_EX_NEW && ord_status_open(u->X)) {
		e->stray = true;
		snprintf(e->stray_cid, sizeof(e->stray_cid), "%s", u->c);
	}
}

/* ---- views ---------------------------------------------------------------- */

int
ord_to_strat(const struct ord_book *b, double step, struct strat_order *out,
    int cap)
{
	const struct ord *o;
	int64_t done;
	int i;

	for (i = 0; i < b->n && i < cap; i++) {
		o = &b->o[i];
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].client_id, sizeof(out[i].client_id), "%s",
		    o->cid);
		out[i].side = o->side;
		out[i].level = o->level;
		/* an unknown fate counts as in flight: keep the rung busy */
		out[i].state = o->unknown && o->state != ORD_CANCELING ?
		    STRAT_OS_PENDING : o->state;
		out[i].px_ticks = o->px_ticks;
		done = step > 0 ? llround(o->filled / step) : 0;
		out[i].qty_steps = o->qty_steps > done ? o->qty_steps - done : 0;
	}
	return i;
}

void
ord_to_shm(const struct ord_book *b, struct shm_orders *rec)
{
	struct shm_order_rec *r;
	const struct ord *o;
	int i;

	rec->n_open = (uint32_t)b->n;
	for (i = 0; i < b->n; i++) {
		o = &b->o[i];
		r = &rec->open[i];
		memset(r, 0, sizeof(*r));
		snprintf(r->client_id, sizeof(r->client_id), "%s", o->cid);
		r->order_id = o->order_id;
		r->price = o->price;
		r->qty = o->qty;
		r->filled = o->filled;
		r->side = o->side;
		r->level = o->level;
		r->status = o->state;
		r->ts_ns = o->changed_real_ns;
	}
	for (; i < SHM_MAX_ORDERS; i++)
		memset(&rec->open[i], 0, sizeof(rec->open[i]));
}
