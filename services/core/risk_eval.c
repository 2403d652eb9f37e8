/*
 * risk_eval.c — the risk decisions (see risk_eval.h): the fill-kept
 * position, the pause causes and their latches, and the flatten cycle.
 * Pure: every input arrives as an argument, every effect leaves as a note
 * or as the request risk_eval_next() names.
 */
#include "risk_eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shm.h"
#include "strat.h"

#define RISK_QTY_EPS	1e-12	/* below any step: float noise, not a qty */
#define RISK_LIMIT_TOL	1e-9	/* relative: exactly at the limit is inside */
#define RISK_SEQ_SPACE	UINT64_C(131621703842267136)	/* 36^11 */
#define RISK_SEQ_DIGITS	11
#define RISK_INST_MAX	20

/* ---- the fill-kept position ------------------------------------------- */

/* Add d (signed) at price to the position; entry is the average cost. */
static void
book_apply(double *pos, double *entry, double d, double price)
{
	double np = *pos + d;

	if (fabs(*pos) < RISK_QTY_EPS || (*pos > 0) == (d > 0))
		*entry = (fabs(*pos) * *entry + fabs(d) * price) / fabs(np);
	else if (fabs(np) < RISK_QTY_EPS)
		*entry = 0;
	else if ((np > 0) != (*pos > 0))
		*entry = price;		/* flipped: the rest opened here */
	/* a reduction leaves the entry of what remains unchanged */
	*pos = fabs(np) < RISK_QTY_EPS ? 0 : np;
}

void
risk_book_fill(struct risk_book *b, int side, double qty, double price,
    double realized_pnl, int64_t trade_ms)
{
	double d = side == 0 ? qty : -qty;

	b->fills++;
	if (isfinite(realized_pnl))
		b->realized += realized_pnl;
	if (!(qty > 0) || !isfinite(qty) || !(price > 0) || !isfinite(price))
		return;
	if (b->have_read && trade_ms != 0 && trade_ms <= b->read_ms) {
		b->late += d;		/* the last read has it already */
		return;
	}
	book_apply(&b->pos, &b->entry, d, price);
	if (b->n_recent < RISK_BOOK_RECENT) {
		b->recent[b->n_recent].d = d;
		b->recent[b->n_recent].price = price;
		b->recent[b->n_recent].ms = trade_ms;
		b->n_recent++;
	} else
		b->recent_lost = true;
}

double
risk_book_read(struct risk_book *b, double pos, double entry,
    int64_t update_ms)
{
	double missed = 0, after = 0, local = b->pos;
	int i;

	if (b->gap_known)
		missed = b->read_gap - b->late;
	b->pos = pos;
	b->entry = fabs(pos) < RISK_QTY_EPS ? 0 : entry;
	/* fills that reached us while the read was on its way but happened
	 * after the exchange's snapshot are not in it: keep them */
	for (i = 0; i < b->n_recent; i++) {
		if (b->recent[i].ms != 0 && b->recent[i].ms <= update_ms)
			continue;
		after += b->recent[i].d;
		book_apply(&b->pos, &b->entry, b->recent[i].d,
		    b->recent[i].price);
	}
	b->read_gap = pos - (local - after);
	/* the first read finds what an earlier run left: not a missed fill */
	b->gap_known = b->have_read && !b->recent_lost;
	b->late = 0;
	b->n_recent = 0;
	b->recent_lost = false;
	b->read_ms = update_ms;
	b->have_read = true;
	return fabs(missed) < RISK_QTY_EPS ? 0 : missed;
}

/* ---- notes ------------------------------------------------------------ */

static void __attribute__((format(printf, 4, 5)))
note(struct risk_out *o, uint8_t kind, bool warn, const char *fmt, ...)
{
	struct risk_note *n;
	va_list ap;

	if (o == NULL)
		return;
	if (o->n == RISK_NOTES_MAX) {
		o->dropped++;
		return;
	}
	n = &o->note[o->n++];
	n->kind = kind;
	n->warn = warn;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* ---- what the last read and the mark say ------------------------------ */

static const char *const cause_names[RISK_C_COUNT] = {
	[RISK_C_MAX_LOSS] = "max loss",
	[RISK_C_LIMIT] = "position limit",
	[RISK_C_STALE] = "market data stale",
	[RISK_C_USER_STREAM] = "user data stream down",
	[RISK_C_OPERATOR] = "operator",
};

const char *
risk_cause_name(enum risk_cause c)
{
	return (unsigned)c < RISK_C_COUNT ? cause_names[c] : "?";
}

static bool
flat(double pos)
{
	return fabs(pos) < RISK_QTY_EPS;
}

static double
ev_notional(const struct risk_eval *ev)
{
	return fabs(ev->rd.position) * ev->mark;
}

/* Can the limit be judged at all (a read and a price)? */
static bool
ev_judgeable(const struct risk_eval *ev)
{
	return ev->have_read && (ev->mark > 0 || flat(ev->rd.position));
}

static bool
ev_over_limit(const struct risk_eval *ev)
{
	return ev_judgeable(ev) && ev_notional(ev) >
	    ev->p.limit_usdt * (1 + RISK_LIMIT_TOL);
}

static double
ev_pnl(const struct risk_eval *ev)
{
	if (flat(ev->rd.position))
		return ev->realized;
	return ev->realized + ev->rd.position * (ev->mark - ev->rd.entry);
}

static bool
ev_over_loss(const struct risk_eval *ev)
{
	return ev->p.max_loss_usdt > 0 && ev_judgeable(ev) &&
	    ev_pnl(ev) < -ev->p.max_loss_usdt;
}

bool
risk_eval_cause_gone(const struct risk_eval *ev, enum risk_cause c)
{
	switch (c) {
	case RISK_C_LIMIT:
		return ev->fl == RISK_FL_IDLE && ev_judgeable(ev) &&
		    !ev_over_limit(ev);
	case RISK_C_MAX_LOSS:
		return ev->fl == RISK_FL_IDLE && (ev->p.max_loss_usdt <= 0 ||
		    (ev_judgeable(ev) && !ev_over_loss(ev)));
	case RISK_C_STALE:
	case RISK_C_USER_STREAM:
		return !(ev->conds & RISK_C_BIT(c));
	default:
		return false;	/* only pmmctl resume ends an operator pause */
	}
}

/* Why a latch cannot be cleared yet, for the refusal's log line. */
static void
ev_still(const struct risk_eval *ev, enum risk_cause c, char *buf,
    size_t len)
{
	if (ev->fl != RISK_FL_IDLE)
		snprintf(buf, len, "a flatten is in progress");
	else if (!ev_judgeable(ev))
		snprintf(buf, len, "no position read and mark price yet");
	else if (c == RISK_C_LIMIT)
		snprintf(buf, len, "notional %.2f is still above the limit "
		    "%.2f USDT", ev_notional(ev), ev->p.limit_usdt);
	else
		snprintf(buf, len, "pnl %.2f is still below -%.2f USDT "
		    "(raise risk.max_loss_usdt to accept it)", ev_pnl(ev),
		    ev->p.max_loss_usdt);
}

/* ---- causes ----------------------------------------------------------- */

static void
cause_set(struct risk_eval *ev, enum risk_cause c, uint8_t kind,
    struct risk_out *o, const char *why)
{
	snprintf(ev->why[c], sizeof(ev->why[c]), "%s", why);
	if (ev->causes & RISK_C_BIT(c))
		return;
	ev->causes |= RISK_C_BIT(c);
	ev->since[c] = ev->now_ns;
	note(o, kind, c <= RISK_C_LIMIT, "%s", ev->why[c]);
}

static void
cause_clear(struct risk_eval *ev, enum risk_cause c, struct risk_out *o,
    const char *how)
{
	if (!(ev->causes & RISK_C_BIT(c)))
		return;
	ev->causes &= ~RISK_C_BIT(c);
	ev->why[c][0] = '\0';
	if (ev->causes == 0)
		note(o, RISK_RESUME, false, "resumed: %s cleared (%s)",
		    risk_cause_name(c), how);
	else
		note(o, RISK_NOTE_LOG, false, "%s cleared (%s); still paused: "
		    "%s", risk_cause_name(c), how, risk_eval_reason(ev));
}

static void
ev_condition(struct risk_eval *ev, enum risk_cause c, bool on,
    struct risk_out *o)
{
	if (on) {
		ev->conds |= RISK_C_BIT(c);
		cause_set(ev, c, RISK_PAUSE, o, risk_cause_name(c));
	} else {
		ev->conds &= ~RISK_C_BIT(c);
		cause_clear(ev, c, o, "the condition is gone");
	}
}

static void
ev_triggers(struct risk_eval *ev, struct risk_out *o)
{
	char why[PMM_TEXT_MAX];

	/* a position nobody accepted yet is not ours to judge (see .h) */
	if (ev->pos_unchecked)
		return;
	if (!(ev->causes & RISK_C_BIT(RISK_C_MAX_LOSS)) && ev_over_loss(ev)) {
		snprintf(why, sizeof(why), "max loss: pnl %.2f below -%.2f "
		    "USDT, closing the whole position", ev_pnl(ev),
		    ev->p.max_loss_usdt);
		cause_set(ev, RISK_C_MAX_LOSS, RISK_KILL, o, why);
	}
	if (!(ev->causes & RISK_C_BIT(RISK_C_LIMIT)) && ev_over_limit(ev)) {
		snprintf(why, sizeof(why), "position limit: notional %.2f > "
		    "%.2f USDT (position %.8g at %.2f)", ev_notional(ev),
		    ev->p.limit_usdt, ev->rd.position, ev->mark);
		cause_set(ev, RISK_C_LIMIT, RISK_PAUSE, o, why);
	}
}

static void
ev_auto_resume(struct risk_eval *ev, struct risk_out *o)
{
	char how[64];
	int c;

	if (ev->p.auto_resume_ns <= 0)
		return;
	for (c = 0; c < RISK_C_COUNT; c++) {
		if (!(RISK_LATCHED & ev->causes & RISK_C_BIT(c)) ||
		    ev->now_ns - ev->since[c] < ev->p.auto_resume_ns ||
		    !risk_eval_cause_gone(ev, c))
			continue;
		snprintf(how, sizeof(how), "auto resume after %.0f s",
		    ev->p.auto_resume_ns / 1e9);
		cause_clear(ev, c, o, how);
	}
}

/* ---- the flatten cycle ------------------------------------------------ */

static bool
ev_needs_close(const struct risk_eval *ev)
{
	if (!ev->have_read)
		return false;
	if ((ev->causes & RISK_C_BIT(RISK_C_MAX_LOSS)) &&
	    !flat(ev->rd.position))
		return true;
	return ev_over_limit(ev);
}

static void
ev_maybe_start(struct risk_eval *ev)
{
	if (ev->fl != RISK_FL_IDLE || ev->now_ns < ev->retry_at ||
	    ev->pos_unchecked ||
	    !ev_needs_close(ev))
		return;
	ev->fl = RISK_FL_CANCEL;
	ev->cycles++;
}

static int64_t
ev_backoff(const struct risk_eval *ev, int k)
{
	return ev->p.retry_ns << (k < RISK_RETRY_MAX_SHIFT ? k :
	    RISK_RETRY_MAX_SHIFT);
}

/* A fresh read after the cancel: size the order, or find nothing to do. */
static void
ev_decide(struct risk_eval *ev, struct risk_out *o)
{
	char q[BN_NUMLEN], all[BN_NUMLEN];
	int64_t steps;

	ev->fl = RISK_FL_IDLE;
	ev->fl_kill = (ev->causes & RISK_C_BIT(RISK_C_MAX_LOSS)) != 0;
	if (!ev->have_lot) {
		note(o, RISK_NOTE_LOG, true, "cannot size the flatten order: "
		    "no exchange filters yet; retrying");
		ev->retry_at = ev->now_ns + ev_backoff(ev, ev->retries++);
		return;
	}
	steps = ev->fl_kill ? risk_close_steps(&ev->lot, ev->rd.position) :
	    risk_excess_steps(&ev->lot, ev->rd.position, ev->mark,
	    ev->p.limit_usdt);
	if (steps <= 0) {
		note(o, RISK_NOTE_LOG, false, "nothing to close: position "
		    "%.8g is within the limit", ev->rd.position);
		return;
	}
	ev->fl = RISK_FL_ORDER;
	ev->fl_side = ev->rd.position > 0 ? 1 : 0;
	ev->fl_steps = steps;
	if (bn_fmt_qty(&ev->lot, steps, q, sizeof(q)) == -1)
		snprintf(q, sizeof(q), "%lld steps", (long long)steps);
	snprintf(all, sizeof(all), "%.8g", fabs(ev->rd.position));
	note(o, RISK_FLATTEN, true, "flatten: %s %s of %s reduce-only MARKET "
	    "(%s)", ev->fl_side ? "SELL" : "BUY", q, all, ev->fl_kill ?
	    "max loss: all of it" : "back inside the limit");
}

/* The order's fate is known (or given up on): wait for a newer read. */
static void
ev_settle(struct risk_eval *ev, bool executed, struct risk_out *o)
{
	int64_t wait;

	ev->fl = RISK_FL_SETTLE;
	ev->fresh_after = ev->reads_sent;
	if (executed) {
		ev->retries = 0;
		return;
	}
	wait = ev_backoff(ev, ev->retries++);
	ev->retry_at = ev->now_ns + wait;
	note(o, RISK_NOTE_LOG, true, "flatten order not executed; next "
	    "attempt in %.1f s at the earliest", wait / 1e9);
}

/* ---- entry points ----------------------------------------------------- */

void
risk_eval_init(struct risk_eval *ev, const struct risk_params *p,
    unsigned restored, int64_t now_ns)
{
	int c;

	memset(ev, 0, sizeof(*ev));
	ev->p = *p;
	ev->now_ns = now_ns;
	for (c = 0; c < RISK_C_COUNT; c++) {
		if (!(restored & RISK_LATCHED & RISK_C_BIT(c)))
			continue;
		ev->causes |= RISK_C_BIT(c);
		ev->since[c] = now_ns;
		snprintf(ev->why[c], sizeof(ev->why[c]), "%s (latched before "
		    "a restart of the risk service)", risk_cause_name(c));
	}
}

void
risk_eval_set_params(struct risk_eval *ev, const struct risk_params *p)
{
	ev->p = *p;
}

void
risk_eval_set_lot(struct risk_eval *ev, const struct bn_filters *f)
{
	risk_market_lot(f, &ev->lot);
	ev->have_lot = true;
}

void
risk_eval_tick(struct risk_eval *ev, const struct risk_view *v,
    struct risk_out *o)
{
	ev->now_ns = v->now_ns;
	ev->realized = v->realized;
	ev->pos_unchecked = v->pos_unchecked;
	/* a stale market's mark is old: the exchange's last answer is newer */
	ev->view_mark = !v->stale && v->mark > 0 ? v->mark : 0;
	if (ev->view_mark > 0)
		ev->mark = ev->view_mark;
	else if (ev->have_read && ev->rd.mark > 0)
		ev->mark = ev->rd.mark;
	/* a feed that never came up since start pauses nothing (see .h) */
	if (!v->stale)
		ev->armed |= RISK_C_BIT(RISK_C_STALE);
	if (v->user_ok)
		ev->armed |= RISK_C_BIT(RISK_C_USER_STREAM);
	ev_condition(ev, RISK_C_STALE, v->stale &&
	    (ev->armed & RISK_C_BIT(RISK_C_STALE)), o);
	ev_condition(ev, RISK_C_USER_STREAM, !v->user_ok &&
	    (ev->armed & RISK_C_BIT(RISK_C_USER_STREAM)), o);
	ev_triggers(ev, o);
	ev_auto_resume(ev, o);
	ev_maybe_start(ev);
}

void
risk_eval_operator(struct risk_eval *ev, int64_t now_ns, bool pause,
    const char *reason, struct risk_out *o)
{
	char why[PMM_TEXT_MAX], still[PMM_TEXT_MAX];
	int c;

	ev->now_ns = now_ns;
	if (pause) {
		snprintf(why, sizeof(why), "operator: %s", reason != NULL &&
		    *reason ? reason : "paused");
		cause_set(ev, RISK_C_OPERATOR, RISK_PAUSE, o, why);
		return;
	}
	cause_clear(ev, RISK_C_OPERATOR, o, "pmmctl resume");
	for (c = 0; c < RISK_C_COUNT; c++) {
		if (!(ev->causes & RISK_C_BIT(c)))
			continue;
		if (!(RISK_LATCHED & RISK_C_BIT(c))) {
			note(o, RISK_NOTE_LOG, false, "resume: still paused "
			    "while %s (clears by itself)", risk_cause_name(c));
		} else if (risk_eval_cause_gone(ev, c))
			cause_clear(ev, c, o, "pmmctl resume");
		else {
			ev_still(ev, c, still, sizeof(still));
			note(o, RISK_NOTE_LOG, true, "resume refused for "
			    "%s: %s", risk_cause_name(c), still);
		}
	}
}

uint64_t
risk_eval_read_sent(struct risk_eval *ev)
{
	return ++ev->reads_sent;
}

void
risk_eval_read(struct risk_eval *ev, int64_t now_ns, uint64_t seq,
    const struct risk_read *rd, struct risk_out *o)
{
	ev->now_ns = now_ns;
	ev->have_read = true;
	ev->rd = *rd;
	if (ev->view_mark > 0)
		ev->mark = ev->view_mark;
	else if (rd->mark > 0)
		ev->mark = rd->mark;
	ev_triggers(ev, o);
	if (seq > ev->fresh_after) {
		if (ev->fl == RISK_FL_READ)
			ev_decide(ev, o);
		else if (ev->fl == RISK_FL_SETTLE)
			ev->fl = RISK_FL_IDLE;
	}
	ev_maybe_start(ev);
}

bool
risk_eval_wants_read(const struct risk_eval *ev)
{
	return ev->fl == RISK_FL_READ || ev->fl == RISK_FL_SETTLE;
}

enum risk_act
risk_eval_next(const struct risk_eval *ev, int64_t now_ns)
{
	switch (ev->fl) {
	case RISK_FL_CANCEL:
		return RISK_ACT_CANCEL_OURS;
	case RISK_FL_ORDER:
		return RISK_ACT_ORDER;
	case RISK_FL_QUERY:
		return now_ns >= ev->query_at ? RISK_ACT_QUERY : RISK_ACT_NONE;
	default:
		return RISK_ACT_NONE;
	}
}

void
risk_eval_sent(struct risk_eval *ev, enum risk_act a)
{
	if (a == RISK_ACT_CANCEL_OURS && ev->fl == RISK_FL_CANCEL)
		ev->fl = RISK_FL_CANCELING;
	else if (a == RISK_ACT_ORDER && ev->fl == RISK_FL_ORDER) {
		ev->fl = RISK_FL_ORDERING;
		ev->orders++;
	} else if (a == RISK_ACT_QUERY && ev->fl == RISK_FL_QUERY)
		ev->fl = RISK_FL_QUERYING;
}

void
risk_eval_cancel_done(struct risk_eval *ev, enum risk_result r,
    struct risk_out *o)
{
	if (ev->fl != RISK_FL_CANCELING)
		return;
	/* go on either way: a paused order service cancels its own, and
	 * reduce-only cannot grow the position */
	if (r != RISK_RES_DONE)
		note(o, RISK_NOTE_LOG, true, "cancel of our open orders %s; "
		    "closing the position anyway", r == RISK_RES_UNKNOWN ?
		    "has an unknown outcome" : "failed");
	ev->fl = RISK_FL_READ;
	ev->fresh_after = ev->reads_sent;
}

void
risk_eval_order_done(struct risk_eval *ev, int64_t now_ns,
    enum risk_result r, struct risk_out *o)
{
	if (ev->fl != RISK_FL_ORDERING)
		return;
	ev->now_ns = now_ns;
	if (r == RISK_RES_UNKNOWN) {
		note(o, RISK_NOTE_LOG, true, "flatten order outcome unknown: "
		    "asking the exchange, not resending");
		ev->fl = RISK_FL_QUERY;
		ev->query_at = now_ns;
		return;
	}
	ev_settle(ev, r == RISK_RES_DONE, o);
}

void
risk_eval_query_done(struct risk_eval *ev, int64_t now_ns,
    enum risk_result r, struct risk_out *o)
{
	if (ev->fl != RISK_FL_QUERYING)
		return;
	ev->now_ns = now_ns;
	if (r == RISK_RES_UNKNOWN) {
		ev->fl = RISK_FL_QUERY;
		ev->query_at = now_ns + ev->p.retry_ns;
		return;
	}
	ev_settle(ev, r == RISK_RES_DONE, o);
}

bool
risk_eval_paused(const struct risk_eval *ev)
{
	return ev->causes != 0;
}

const char *
risk_eval_reason(const struct risk_eval *ev)
{
	int c;

	for (c = 0; c < RISK_C_COUNT; c++)
		if (ev->causes & RISK_C_BIT(c))
			return ev->why[c];
	return "";
}

/* ---- arithmetic ------------------------------------------------------- */

void
risk_market_lot(const struct bn_filters *f, struct bn_filters *out)
{
	int64_t n;

	*out = *f;
	if (f->mkt_step.units <= 0)
		return;
	out->step = f->mkt_step;
	out->min_qty_steps = 1;
	if (f->mkt_min_qty.units > 0 && (n = bn_qty_steps_ceil(out,
	    bn_dec_double(&f->mkt_min_qty))) > 0)
		out->min_qty_steps = n;
	out->max_qty_steps = 0;
	if (f->mkt_max_qty.units > 0 && (n = bn_qty_steps_floor(out,
	    bn_dec_double(&f->mkt_max_qty))) > 0)
		out->max_qty_steps = n;
}

/* At least the minimum, at most the position (rounded up) and the max. */
static int64_t
lot_bound(const struct bn_filters *f, int64_t steps, double abs_pos)
{
	int64_t all = bn_qty_steps_ceil(f, abs_pos);

	if (all <= 0)
		return 0;
	if (steps < f->min_qty_steps)
		steps = f->min_qty_steps;
	if (steps > all)
		steps = all;
	if (f->max_qty_steps > 0 && steps > f->max_qty_steps)
		steps = f->max_qty_steps;
	return steps;
}

int64_t
risk_excess_steps(const struct bn_filters *f, double position, double mark,
    double limit)
{
	double a = fabs(position);
	int64_t steps;

	if (f->step.units <= 0 || !isfinite(a) || !(mark > 0) ||
	    !isfinite(mark) || !(limit >= 0) || !isfinite(limit) ||
	    a * mark <= limit * (1 + RISK_LIMIT_TOL))
		return 0;
	if ((steps = bn_qty_steps_ceil(f, a - limit / mark)) <= 0)
		return 0;
	return lot_bound(f, steps, a);
}

int64_t
risk_close_steps(const struct bn_filters *f, double position)
{
	double a = fabs(position);

	if (f->step.units <= 0 || !isfinite(a) || a < RISK_QTY_EPS)
		return 0;
	return lot_bound(f, bn_qty_steps_ceil(f, a), a);
}

static bool
risk_inst_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > RISK_INST_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

int
risk_cid_make(char *buf, size_t len, const char *instance, uint64_t seq)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char digits[RISK_SEQ_DIGITS + 1];
	int n = RISK_SEQ_DIGITS;

	if (!risk_inst_ok(instance))
		return -1;
	seq %= RISK_SEQ_SPACE;
	digits[n] = '\0';
	do {
		digits[--n] = b36[seq % 36];
		seq /= 36;
	} while (seq != 0);
	n = snprintf(buf, len, "%s-X-%s", instance, digits + n);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

bool
risk_cid_is(const char *cid, const char *instance)
{
	size_t il, n, i;

	if (cid == NULL || !risk_inst_ok(instance))
		return false;
	il = strlen(instance);
	if (strncmp(cid, instance, il) != 0 || strncmp(cid + il, "-X-", 3))
		return false;
	cid += il + 3;
	if ((n = strlen(cid)) < 1 || n > RISK_SEQ_DIGITS)
		return false;
	for (i = 0; i < n; i++)
		if (!((cid[i] >= '0' && cid[i] <= '9') ||
		    (cid[i] >= 'a' && cid[i] <= 'z')))
			return false;
	return true;
}

int
risk_own_orders(const struct bn_order *os, int n, const char *instance,
    char cids[][PMM_ID_MAX], int cap, int *others)
{
	int i, ours = 0;

	*others = 0;
	for (i = 0; i < n; i++) {
		if (!strat_cid_ours(os[i].clientOrderId, instance) &&
		    !risk_cid_is(os[i].clientOrderId, instance)) {
			(*others)++;
			continue;
		}
		if (ours < cap)
			snprintf(cids[ours], PMM_ID_MAX, "%s",
			    os[i].clientOrderId);
		ours++;
	}
	return ours;
}

void
risk_record_fill(struct shm_risk *k, const struct risk_book *book,
    bool have_pos, double mark, const struct risk_eval *ev, int64_t now_real)
{
	bool was = k->paused != 0, now = risk_eval_paused(ev);

	k->position = have_pos ? book->pos : NAN;
	k->entry_price = have_pos ? book->entry : NAN;
	k->mark_price = mark > 0 ? mark : NAN;
	k->position_notional = k->position * k->mark_price;
	k->unrealized_pnl = book->pos == 0 && have_pos ? 0 :
	    k->position * (k->mark_price - k->entry_price);
	k->realized_pnl = book->realized;
	k->paused = now;
	k->pause_causes = ev->causes;
	snprintf(k->pause_reason, sizeof(k->pause_reason), "%s",
	    risk_eval_reason(ev));
	if (now != was)
		k->paused_since_ns = now ? now_real : 0;
}
