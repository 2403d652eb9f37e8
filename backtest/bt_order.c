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

#include "qstate.h"

#if PMM_BT_STATS
#include "bt_stats.h"
#endif

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
#if PMM_BT_STATS
		if (b->stats != NULL) {
			struct bts_fill f = {
				.ts_ns = b->now, .side = e->fill.side,
				.level = e->fill.level, .price = e->fill.price,
				.qty = e->fill.qty, .fee = e->fill.fee,
				.maker = e->fill.maker,
			};
			bts_fill(b->stats, &f);
		}
#endif
	}
	if (e->has_event) {
		memset(&m, 0, sizeof(m));
		m.u.order = e->ev;
		bt_log_msg(b, PMM_MSG_ORDER_EVENT, &m);
#if PMM_BT_STATS
		if (b->stats != NULL && e->ev.kind == ORD_PLACED)
			bts_place(b->stats, b->now, e->ev.side, e->ev.level);
#endif
	}
	/* a stray is an order of ours not in the table: a backtest starts
	 * with none, so there is nothing to cancel */
	if (e->changed && od->eval_at_ns == 0)
		od->eval_at_ns = b->now;
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
		r->data_id = od->data_id;
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

/* ---- the quoting decision ---------------------------------------------
 *
 * WHEN to quote, as order.c decides it (order_quote, order_running and
 * the TICK handler). This block is the one the quoter module
 * (services/core/quoter.c) replaces: the rest of the file only carries
 * out what it decides.
 */

static bool
bt_paused(struct bt *b, char *why, size_t len)
{
	struct shm_risk rk;

	why[0] = '\0';
	if (SHM_SNAPSHOT(&b->st->risk, &rk) == 0 && rk.paused) {
		snprintf(why, len, "risk: %.*s", (int)sizeof(rk.pause_reason),
		    rk.pause_reason);
		return true;
	}
	return false;
}

static bool
bt_guard(struct bt *b)
{
	struct bt_order *od = &b->od;
	char why[sizeof(od->insane_why)];
	bool was = od->insane;
	struct pmm_msg m;

	if (!od->have_book || od->stale)
		return false;
	od->insane = pxg_check(&od->pxg, od->bid, od->ask, b->mk.mark_price,
	    b->now, why, sizeof(why)) != PXG_OK;
	if (od->insane)
		memcpy(od->insane_why, why, sizeof(why));
	if (od->insane != was) {
		memset(&m, 0, sizeof(m));
		m.u.order.kind = od->insane ? ORD_BOOK_INSANE : ORD_BOOK_SANE;
		m.u.order.side = UINT8_MAX;
		m.u.order.price = (od->bid + od->ask) / 2;
		snprintf(m.u.order.text, sizeof(m.u.order.text), "%s",
		    od->insane ? why : "");
		bt_log_msg(b, PMM_MSG_ORDER_EVENT, &m);
	}
	return was && !od->insane;
}

/* Rejected rungs held, prices outside PERCENT_PRICE dropped. */
static int
bt_place_filter(struct bt *b, const struct strat_out *out, struct ord_plan *pl)
{
	struct bt_order *od = &b->od;
	const struct strat_quote *q;
	int64_t next;
	int i, k = 0, held = 0;

	for (i = 0; i < pl->n_place; i++) {
		q = &out->place[pl->place[i]];
		if (!ordr_may_place(&od->rej, q->side, q->level, q->px_ticks,
		    od->data_id, b->now))
			held++;
		else if (bn_price_in_band(&b->flt, q->px_ticks,
		    b->mk.mark_price))
			pl->place[k++] = pl->place[i];
		else
			od->out_of_band++;
	}
	pl->n_place = k;
	if (held > 0 && (next = ordr_next_ns(&od->rej, b->now)) != 0 &&
	    (od->eval_at_ns == 0 || next < od->eval_at_ns))
		od->eval_at_ns = next;
	return held;
}

static int
bt_live(const struct strat_order *open, int n)
{
	int i, live = 0;

	for (i = 0; i < n; i++)
		if (open[i].state != STRAT_OS_CANCELING)
			live++;
	return live;
}

/* The config against the filters at the first price (exit 78 live). */
static int
bt_check_config(struct bt *b, double mid)
{
	struct bt_order *od = &b->od;
	char msg[512];

	if (bn_filters_check_size(&b->flt, b->c->order.quantity_per_order_usdt,
	    b->c->order.levels, mid, msg, sizeof(msg)) == -1 ||
	    strat_check(&od->scfg, &b->sflt, mid, msg, sizeof(msg)) == -1) {
		bt_fail(b, "%s", msg);
		return -1;
	}
	od->checked = true;
	return 0;
}

static void
bt_quote(struct bt *b, bool refresh)
{
	struct bt_order *od = &b->od;
	struct strat_out *out = &od->out;
	struct strat_order open[STRAT_MAX_OPEN];
	struct strat_in in;
	struct ord_plan pl;
	char why[QS_REASON_LEN + 64];
	bool paused;

	if (b->failed)
		return;
	if (!od->checked && od->have_book &&
	    bt_check_config(b, (od->bid + od->ask) / 2) == -1)
		return;
	paused = bt_paused(b, why, sizeof(why));
	if (paused != od->was_paused) {
		od->was_paused = paused;
		refresh = !paused;	/* resume: a whole new ladder */
	}
	if (bt_guard(b))
		refresh = true;		/* sane again: a whole new ladder */
	memset(&in, 0, sizeof(in));
	in.mkt.bid = od->have_book ? od->bid : 0;
	in.mkt.ask = od->have_book ? od->ask : 0;
	in.mkt.mid = od->have_book ? (od->bid + od->ask) / 2 : 0;
	in.mkt.stale = od->stale || !od->have_book || od->insane;
	in.position = od->position;
	in.n_open = ord_to_strat(&od->book, b->sflt.step, open,
	    STRAT_MAX_OPEN);
	in.open = open;
	in.cfg = od->scfg;
	in.cfg.paused = paused;
	in.flt = b->sflt;
	in.instance = b->c->instance_id;
	in.next_seq = od->next_seq;
	in.refresh = refresh;
	strat_eval(od->impl, &in, out);
	od->next_seq = out->next_seq;
	od->last_mid = ord_anchor(od->last_mid, in.mkt.mid,
	    out->why == STRAT_WHY_QUOTING, refresh, bt_live(in.open,
	    in.n_open));
	if (refresh)
		od->next_refresh_ns = b->now + (int64_t)(b->c->refresh.
		    orderbook_refresh_interval * NS_PER_S_BT);
	od->eval_at_ns = 0;
	ord_plan_make(&od->book, out, b->now, &pl);
	od->held = bt_place_filter(b, out, &pl);
	od->rec.quote_state = paused ? QS_PAUSED : out->why ==
	    STRAT_WHY_STALE ? QS_MARKET_STALE : od->insane ? QS_BOOK_INSANE :
	    QS_QUOTING;
	if (pl.n_cancel > 0)
		bt_send_cancels(b, &pl);
	if (pl.n_place > 0)
		bt_send_places(b, out, &pl);
}

void
bt_order_tick(struct bt *b, double bid, double ask)
{
	struct bt_order *od = &b->od;

	od->bid = bid;
	od->ask = ask;
	od->have_book = true;
	od->stale = false;
	od->last_tick_ns = b->now;
	od->data_id++;
	bt_quote(b, strat_mid_moved(&od->scfg, od->last_mid,
	    (bid + ask) / 2));
}

void
bt_order_risk_action(struct bt *b)
{
	bt_quote(b, false);
}

/* order.c's order_running: stale market, a pause flip, refresh, eval. */
void
bt_order_turn(struct bt *b)
{
	struct bt_order *od = &b->od;
	char why[QS_REASON_LEN + 64];

	if (!od->stale && od->have_book && b->mk.stale && b->now -
	    od->last_tick_ns > (int64_t)(b->c->market.stale_after *
	    NS_PER_S_BT)) {
		od->stale = true;
		od->eval_at_ns = b->now;
	}
	if (bt_paused(b, why, sizeof(why)) != od->was_paused)
		od->eval_at_ns = b->now;
	if (b->now >= od->next_refresh_ns)
		bt_quote(b, true);
	else if (od->eval_at_ns != 0 && b->now >= od->eval_at_ns)
		bt_quote(b, false);
}

int64_t
bt_order_due(const struct bt *b)
{
	const struct bt_order *od = &b->od;
	int64_t t = od->next_refresh_ns;

	if (od->eval_at_ns != 0 && od->eval_at_ns < t)
		t = od->eval_at_ns;
	/* the timer looks no sooner than its next turn after now */
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
	if (code == 0)
		ordr_on_accept(&od->rej, o->side, o->level);
	else {
		if (code == -5022)
			ordr_on_reject(&od->rej, o->side, o->level,
			    o->px_ticks, data_id, b->now);
		ordr_rate_add(&od->rej_rate, b->now, 1);
	}
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

void
bt_order_user(struct bt *b, const struct bt_user *u)
{
	struct bt_order *od = &b->od;
	struct ord_effect e;

	if (u->account) {
		if (u->has_pos)
			od->position = u->position;
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
	struct pxg_config pc = {
		.max_spread_pct = b->c->order.max_spread_percent,
		.max_mark_dev_pct = b->c->order.max_mark_deviation_percent,
		.max_jump_pct = b->c->order.max_mid_jump_percent,
		.jump_window_ns = (int64_t)(b->c->order.mid_jump_window *
		    NS_PER_S_BT),
	};
	char why[256];

	if ((od->impl = strat_find(b->c->strategy_name, why,
	    sizeof(why))) == NULL) {
		bt_fail(b, "%s", why);
		return -1;
	}
	strat_config_from_cfg(&od->scfg, b->c, false);
	ord_book_init(&od->book);
	ordr_init(&od->rej, ORDR_BASE_NS, ORDR_MAX_NS);
	pxg_init(&od->pxg, &pc);
	ordf_init(&od->fl);
	od->rec.rate_limit_weight = -1;
	od->rec.tick_size = b->spec->tick_size;
	od->rec.step_size = b->spec->step_size;
	/* client ids from the start's microseconds, as the service does */
	od->next_seq = strat_seq_start(b->start_ns, 0);
	od->next_refresh_ns = 0;	/* a ladder at the first turn */
	return 0;
}

void
bt_order_free(struct bt *b)
{
	ordf_free(&b->od.fl);
}
