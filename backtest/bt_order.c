/*
 * bt_order.c — the order service's side of a backtest: order.c's work
 * without its sockets. The decisions are the trading core's: the strategy
 * (strat_eval), the request plan (ord_plan_make), the order table and its
 * PENDING/OPEN/CANCELING life (ord_book.c's ord_on_*), the reject memory
 * (ord_rej.c), book sanity (pxguard.c), the fill ledger's duplicate check
 * and tally (ord_fills.c). This file only carries them out: requests go
 * on the virtual clock's queue (bt_send) instead of over REST, and answers
 * and user-stream events come back from it.
 */
#include "bt_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qstate.h"
#include "quoter.h"

#include "bt_stats.h"

/* ---- the shm record and the bus --------------------------------------- */

void
bt_order_publish(struct bt *b)
{
	struct bt_order *od = &b->od;

	ord_to_shm(&od->book, &od->rec);
	od->rec.placed = od->cnt.placed;
	od->rec.canceled = od->cnt.canceled;
	od->rec.fills = od->cnt.fills;
	od->rec.rejects = od->cnt.rejects;
	od->rec.listen_key_ok = 1;
	od->rec.pos_checked = 1;
	od->rec.reject_rate = ordr_rate_per_s(&od->rej_rate, b->now);
	SHM_PUBLISH(&b->st->orders, &od->rec);
}

/* What a table change means outside the table (order.c's order_apply). */
static void
bt_order_apply(struct bt *b, struct ord_effect *e)
{
	struct bt_order *od = &b->od;
	struct pmm_msg m;

	if (e->has_fill && ordf_stream_fill(&od->fl, e->fill.trade_id)) {
		memset(&m, 0, sizeof(m));
		m.u.fill = e->fill;
		/* FILL to risk and logger */
		bt_risk_fill(b, &e->fill);
		bt_log_msg(b, PMM_MSG_FILL, &m);
		ordf_tally(&od->rec.tally, &e->fill, b->c->symbol);
		if (b->stats != NULL) {
			struct bts_fill f = {
				.ts_ns = b->now, .side = e->fill.side,
				.level = e->fill.level, .price = e->fill.price,
				.qty = e->fill.qty, .fee = e->fill.fee,
				.maker = e->fill.maker,
			};
			bts_fill(b->stats, &f);
		}
	}
	if (e->has_event) {
		memset(&m, 0, sizeof(m));
		m.u.order = e->ev;
		bt_log_msg(b, PMM_MSG_ORDER_EVENT, &m);
		if (b->stats != NULL && e->ev.kind == ORD_PLACED)
			bts_place(b->stats, b->now, e->ev.side, e->ev.level);
	}
	/* a stray is an order of ours not in the table: a backtest starts
	 * with none, so there is nothing to cancel */
	if (e->changed)
		qt_table_changed(&od->q, b->now);
	memset(e, 0, sizeof(*e));
}

/* ---- sending ---------------------------------------------------------- */

static void
bt_send_cancels(struct bt *b, const struct ord_plan *pl)
{
	struct bt_order *od = &b->od;
	struct bt_req *r;
	struct ord *o;
	int i, k, len;

	for (i = 0; i < pl->n_cancel; i += len) {
		len = ord_batch_len(pl->n_cancel, i, ORD_CANCEL_BATCH);
		if ((r = calloc(1, sizeof(*r))) == NULL) {
			bt_fail(b, "out of memory");
			return;
		}
		r->kind = BT_RQ_CANCEL;
		r->n = len;
		for (k = 0; k < len; k++) {
			o = &od->book.o[pl->cancel[i + k]];
			snprintf(r->cids[k], PMM_ID_MAX, "%s", o->cid);
			ord_cancel_sent(o, b->now);
		}
		bt_send(b, r, 1, 0);
	}
}

static void
bt_send_places(struct bt *b, const struct strat_out *out,
    const struct ord_plan *pl)
{
	struct bt_order *od = &b->od;
	struct bt_req *r;
	int i, k, len;

	for (i = 0; i < pl->n_place; i += len) {
		len = ord_batch_len(pl->n_place, i, ORD_PLACE_BATCH);
		if ((r = calloc(1, sizeof(*r))) == NULL) {
			bt_fail(b, "out of memory");
			return;
		}
		r->kind = BT_RQ_PLACE;
		r->n = len;
		r->data_id = od->q.data_id;
		for (k = 0; k < len; k++) {
			r->q[k] = out->place[pl->place[i + k]];
			snprintf(r->cids[k], PMM_ID_MAX, "%s",
			    r->q[k].client_id);
			ord_add(&od->book, &r->q[k], b->now);
		}
		od->rec.last_order_ns = b->now;
		bt_send(b, r, 5, len);
	}
}

/* ---- the quoting decision: the quoter's -------------------------------- */

/* Risk's flag as order.c reads it from the segment (a backtest has no
 * operator); why gets whose and the reason. The record risk published
 * last is rs.rk itself (bt_risk_publish copies it into the segment
 * whole): read in place, without the segment's checksummed copy, as
 * this runs on every tick. */
static bool
bt_paused(struct bt *b, char *why, size_t len)
{
	const struct shm_risk *rk = &b->rs.rk;

	why[0] = '\0';
	if (!rk->paused)
		return false;
	snprintf(why, len, "risk: %.*s", (int)sizeof(rk->pause_reason),
	    rk->pause_reason);
	return true;
}

/* What the service knows now (order.c's order_facts). The market's
 * record is read as market keeps it: published at every update. */
static void
bt_facts(struct bt *b, struct qt_facts *f, char *why, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->paused = bt_paused(b, why, len);
	f->pause_why = why;
	f->market_stale = b->mk.updates == 0 || b->now - b->mk.recv_ts_ns >
	    (int64_t)(b->c->market.stale_after * NS_PER_S_BT);
	f->mark_price = b->mk.mark_price;
	f->stream_up = true;
	f->unreachable = NULL;
	f->position = b->od.position;
	qt_est_from(&f->est, &b->mk, b->c);
	f->real_ns = b->now;	/* the virtual clock is the wall clock */
}

/* The book's sanity changed: one ORDER_EVENT row. */
static void
bt_event_book(struct bt *b, const struct qt_plan *p)
{
	struct pmm_msg m;

	qt_book_event(&b->od.q, p, &m);
	bt_log_msg(b, PMM_MSG_ORDER_EVENT, &m);
}

/* The config against the filters at the first price (exit 78 live). */
static int
bt_check_config(struct bt *b, double mid)
{
	struct bt_order *od = &b->od;
	char msg[512];

	if (bn_filters_check_size(&b->flt, b->c->order.quantity_per_order_usdt,
	    b->c->order.levels, mid, msg, sizeof(msg)) == -1 ||
	    strat_check(&od->q.c.scfg, &b->sflt, mid, msg, sizeof(msg)) == -1) {
		bt_fail(b, "%s", msg);
		return -1;
	}
	od->checked = true;
	return 0;
}

/* Evaluate (quoter.c decides) and send what the plan asks for: cancels
 * first, then places (order.c's order_quote). */
static void
bt_quote(struct bt *b, bool refresh)
{
	struct bt_order *od = &b->od;
	struct qt_plan *p = &od->plan;
	struct qt_facts f;
	char why[QS_REASON_LEN + 64];

	if (b->failed)
		return;
	if (!od->checked && od->q.have_book &&
	    bt_check_config(b, (od->q.bid + od->q.ask) / 2) == -1)
		return;
	bt_facts(b, &f, why, sizeof(why));
	qt_eval(&od->q, &f, &od->book, refresh, b->now, p);
	qt_model(&od->rec, &f, p, b->c);
	if (p->book != QT_BOOK_SAME)
		bt_event_book(b, p);
	if (od->rec.quote_state != (uint32_t)p->state)
		od->rec.quote_since_ns = b->now;
	od->rec.quote_state = (uint32_t)p->state;
	snprintf(od->rec.quote_reason, sizeof(od->rec.quote_reason), "%s",
	    p->reason);
	if (p->pl.n_cancel > 0)
		bt_send_cancels(b, &p->pl);
	if (p->pl.n_place > 0)
		bt_send_places(b, &p->out, &p->pl);
}

void
bt_order_tick(struct bt *b, double bid, double ask)
{
	bt_quote(b, qt_on_tick(&b->od.q, bid, ask, b->now));
}

void
bt_order_risk_action(struct bt *b)
{
	bt_quote(b, false);
}

/* The loop timer (order.c's order_running): the quoter says what is due. */
void
bt_order_turn(struct bt *b)
{
	char why[QS_REASON_LEN + 64];
	struct qt_facts f;

	bt_facts(b, &f, why, sizeof(why));
	switch (qt_due(&b->od.q, &f, b->now)) {
	case QT_REFRESH:
		bt_quote(b, true);
		break;
	case QT_EVAL:
		bt_quote(b, false);
		break;
	default:
		break;
	}
}

int64_t
bt_order_due(const struct bt *b)
{
	int64_t t = qt_next_ns(&b->od.q);

	/* due already: the timer's next turn, never the same instant twice */
	return t > b->now ? t : b->now + 1;
}

/* ---- answers and events ---------------------------------------------- */

static void
bt_rej_note(struct bt *b, const char *cid, int code, uint64_t data_id)
{
	struct bt_order *od = &b->od;
	struct ord *o = ord_find(&od->book, cid);

	if (o == NULL)
		return;
	qt_on_placed(&od->q, o->side, o->level, o->px_ticks, code, data_id,
	    b->now);
	if (code != 0)
		ordr_rate_add(&od->rej_rate, b->now, 1);
}

void
bt_order_answer(struct bt *b, struct bt_req *r)
{
	struct bt_order *od = &b->od;
	struct ord_effect e;
	int i;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < r->n; i++) {
		const struct bt_item *it = &r->item[i];

		if (r->kind == BT_RQ_PLACE) {
			bt_rej_note(b, r->cids[i], it->is_error ? it->code : 0,
			    r->data_id);
			if (it->is_error)
				ord_on_place_err(&od->book, r->cids[i],
				    it->code, it->msg, &od->cnt, &e);
			else
				ord_on_place_ok(&od->book, &it->order, b->now,
				    &od->cnt, &e);
		} else if (it->is_error)
			ord_on_cancel_err(&od->book, r->cids[i], it->code,
			    it->msg, b->now, &e);
		else
			ord_on_cancel_ok(&od->book, &it->order, b->now,
			    &od->cnt, &e);
		bt_order_apply(b, &e);
	}
	od->rec.order_rtt_ms = (double)(b->now - r->sent_ns) / 1e6;
	shm_lat_record(&od->rec.rest_rtt, od->rec.order_rtt_ms / 1e3);
}

/* order.c's order_on_account: funding counted on the position held
 * before this update (a FUNDING row), then the position. */
static void
bt_order_account(struct bt *b, const struct bn_account_update *au)
{
	struct bt_order *od = &b->od;
	struct pmm_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	if (ordf_funding(&od->rec.tally, au, b->c->symbol, od->position,
	    &m.u.funding))
		bt_log_msg(b, PMM_MSG_FUNDING, &m);
	for (i = 0; i < au->nP; i++)
		if (strcasecmp(au->P[i].s, b->c->symbol) == 0 &&
		    (au->P[i].ps[0] == '\0' || strcmp(au->P[i].ps, "BOTH") == 0))
			od->position = au->P[i].pa;
}

void
bt_order_user(struct bt *b, const struct bt_user *u)
{
	struct bt_order *od = &b->od;
	struct ord_effect e;

	if (u->account) {
		bt_order_account(b, &u->au);
		return;
	}
	memset(&e, 0, sizeof(e));
	ord_on_update(&od->book, &u->ou, b->c->instance_id, b->now, &od->cnt,
	    &e);
	bt_order_apply(b, &e);
}

/* ---- set-up ----------------------------------------------------------- */

int
bt_order_init(struct bt *b)
{
	struct bt_order *od = &b->od;
	const struct cfg *c = b->c;
	struct qt_config qc;
	char why[256];

	/* order.c's order_qt_config */
	memset(&qc, 0, sizeof(qc));
	if ((qc.impl = strat_find(c->strategy_name, why, sizeof(why))) ==
	    NULL) {
		bt_fail(b, "%s", why);
		return -1;
	}
	qc.instance = c->instance_id;
	strat_config_from_cfg(&qc.scfg, c, false);
	qc.pxg.max_spread_pct = c->order.max_spread_percent;
	qc.pxg.max_mark_dev_pct = c->order.max_mark_deviation_percent;
	qc.pxg.max_jump_pct = c->order.max_mid_jump_percent;
	qc.pxg.jump_window_ns = (int64_t)(c->order.mid_jump_window *
	    NS_PER_S_BT);
	qc.refresh_ns = (int64_t)(c->refresh.orderbook_refresh_interval *
	    NS_PER_S_BT);
	qc.stale_after_ns = (int64_t)(c->market.stale_after * NS_PER_S_BT);
	qt_init(&od->q, &qc);
	qt_filters(&od->q, &b->flt, &b->sflt);
	/* client ids from the start's microseconds, as the service does */
	od->q.next_seq = strat_seq_start(b->start_ns, 0);
	ord_book_init(&od->book);
	ordf_init(&od->fl);
	od->rec.rate_limit_weight = -1;
	od->rec.tick_size = b->spec->tick_size;
	od->rec.step_size = b->spec->step_size;
	return 0;
}

void
bt_order_free(struct bt *b)
{
	ordf_free(&b->od.fl);
}
