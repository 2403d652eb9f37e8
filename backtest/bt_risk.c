/*
 * bt_risk.c — the risk service's side of a backtest: risk.c's work
 * without its sockets. Every decision is risk_eval.c's (limit, max loss,
 * latches, the flatten cycle: cancel ours, a fresh read, one reduce-only
 * MARKET order, another read) and risk_book's (the position between two
 * reads); this file reads the segment the way risk.c does, sends what
 * risk_eval asks for through the virtual clock, and hands the answers
 * back, in the order risk.c does (risk_after: notes, record, actions).
 */
#include "bt_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt_stats.h"

#define BT_RISK_READ_WEIGHT	5	/* GET positionRisk */
#define BT_RISK_CANCEL_BATCH	10

static void	bt_risk_act(struct bt *b);

void
bt_risk_publish(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	struct shm_risk *k = &rs->rk;

	/* the virtual clock stands for the wall clock */
	risk_record_fill(k, &rs->book, rs->have_pos, rs->mark, &rs->ev,
	    b->now);
	SHM_PUBLISH(&b->st->risk, k);
}

/* One RISK_ACTION to logger and order. */
static void
bt_risk_action(struct bt *b, uint8_t kind, const char *text)
{
	struct bt_risk *rs = &b->rs;
	double pos = rs->ev.have_read ? rs->ev.rd.position : rs->book.pos;
	struct pmm_msg m;

	memset(&m, 0, sizeof(m));
	m.u.risk.kind = kind;
	m.u.risk.position = pos;
	m.u.risk.notional = pos * rs->ev.mark;
	m.u.risk.limit = rs->ev.p.limit_usdt;
	msg_text(m.u.risk.text, sizeof(m.u.risk.text), text);
	rs->rk.actions++;
	bt_log_msg(b, PMM_MSG_RISK_ACTION, &m);
	bt_order_risk_action(b);
}

/* risk.c's risk_after: the record first, then the actions, then what the
 * cycle wants sent. */
static void
bt_risk_after(struct bt *b, const struct risk_out *o)
{
	int i;

	bt_risk_publish(b);
	for (i = 0; i < o->n; i++)
		if (o->note[i].kind != RISK_NOTE_LOG)
			bt_risk_action(b, o->note[i].kind, o->note[i].text);
	bt_risk_act(b);
}

static struct bt_req *
bt_risk_req(struct bt *b, enum bt_req_kind kind)
{
	struct bt_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		bt_fail(b, "out of memory");
	else
		r->kind = kind;
	return r;
}

/* ---- reads ------------------------------------------------------------ */

static void
bt_risk_read(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	bool due = b->now >= rs->read_at || risk_eval_wants_read(&rs->ev);
	struct bt_req *r;

	if (rs->read_busy || !due || (r = bt_risk_req(b, BT_RQ_POS)) == NULL)
		return;
	rs->read_busy = true;
	rs->read_seq = risk_eval_read_sent(&rs->ev);
	rs->read_at = b->now + (int64_t)(b->c->refresh.risk_check_interval *
	    NS_PER_S_BT);
	bt_send(b, r, BT_RISK_READ_WEIGHT, 0);
}

static void
bt_risk_read_done(struct bt *b, const struct bt_req *r)
{
	struct bt_risk *rs = &b->rs;
	struct risk_read rd;
	struct risk_out o;

	rs->read_busy = false;
	if (r->item[0].is_error)
		return;		/* cannot happen on our own symbol */
	memset(&rd, 0, sizeof(rd));
	rd.position = r->pos.position_amt;
	rd.entry = r->pos.entry_price;
	rd.mark = r->pos.mark_price;
	(void)risk_book_read(&rs->book, rd.position, rd.entry,
	    r->pos.update_time_ms);
	rs->have_pos = true;
	rs->rk.last_check_ns = b->now;
	rs->rk.checks++;
	rs->rk.wallet_balance = r->wallet;
	if (rs->mark <= 0 && rd.mark > 0)
		rs->mark = rd.mark;
	memset(&o, 0, sizeof(o));
	risk_eval_read(&rs->ev, b->now, rs->read_seq, &rd, &o);
	bt_risk_after(b, &o);
}

/* ---- the flatten cycle ------------------------------------------------ */

static enum risk_result
bt_risk_worse(enum risk_result a, enum risk_result x)
{
	if (a == RISK_RES_UNKNOWN || x == RISK_RES_UNKNOWN)
		return RISK_RES_UNKNOWN;
	return a == RISK_RES_NOT_DONE || x == RISK_RES_NOT_DONE ?
	    RISK_RES_NOT_DONE : RISK_RES_DONE;
}

static void
bt_risk_sweep_done(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	struct risk_out o;

	memset(&o, 0, sizeof(o));
	risk_eval_cancel_done(&rs->ev, rs->sweep_res, &o);
	bt_risk_after(b, &o);
}

/* DELETE batchOrders for the next (up to) 10 of ours. */
static void
bt_risk_batch(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	struct bt_req *r;
	int k, len = rs->sweep_n - rs->sweep_i;

	if (len > BT_RISK_CANCEL_BATCH)
		len = BT_RISK_CANCEL_BATCH;
	if ((r = bt_risk_req(b, BT_RQ_RCANCEL)) == NULL)
		return;
	r->n = len;
	for (k = 0; k < len; k++)
		snprintf(r->cids[k], PMM_ID_MAX, "%s", rs->sweep[rs->sweep_i +
		    k]);
	rs->act_busy = true;
	bt_send(b, r, 1, 0);
}

static void
bt_risk_open_done(struct bt *b, struct bt_req *r)
{
	struct bt_risk *rs = &b->rs;
	int i;

	rs->act_busy = false;
	rs->sweep_res = r->item[0].is_error ? RISK_RES_NOT_DONE :
	    RISK_RES_DONE;
	rs->sweep_n = r->n_open;
	rs->sweep_i = 0;
	rs->sweep_others = r->others;
	for (i = 0; i < r->n_open; i++)
		memcpy(rs->sweep[i], r->open[i], PMM_ID_MAX);
	if (rs->sweep_n > 0) {
		bt_risk_batch(b);
		return;
	}
	bt_risk_sweep_done(b);
}

static void
bt_risk_cancel_done(struct bt *b, struct bt_req *r)
{
	struct bt_risk *rs = &b->rs;
	enum risk_result res = RISK_RES_DONE;
	int i;

	rs->act_busy = false;
	for (i = 0; i < r->n; i++)
		if (r->item[i].is_error && r->item[i].code != -2011 &&
		    r->item[i].code != -2013)
			res = RISK_RES_NOT_DONE;
	rs->sweep_res = bt_risk_worse(rs->sweep_res, res);
	rs->sweep_i += r->n;
	if (rs->sweep_i < rs->sweep_n) {
		bt_risk_batch(b);
		return;
	}
	bt_risk_sweep_done(b);
}

static void
bt_risk_note(struct bt *b, const char *fmt, const char *cid,
    const struct bt_item *it)
{
	char text[PMM_TEXT_MAX * 2];

	if (it->is_error)
		snprintf(text, sizeof(text), "flatten order %s refused: %d %s",
		    cid, it->code, it->msg);
	else
		snprintf(text, sizeof(text), fmt, cid, it->order.status_str,
		    it->order.executedQty, it->order.avgPrice);
	bt_risk_action(b, RISK_FLATTEN, text);
}

static void
bt_risk_market_done(struct bt *b, struct bt_req *r)
{
	struct bt_risk *rs = &b->rs;
	struct risk_out o;

	rs->act_busy = false;
	bt_risk_note(b, "flatten order %s: %s %.8g at %.2f", rs->cid,
	    &r->item[0]);
	memset(&o, 0, sizeof(o));
	risk_eval_order_done(&rs->ev, b->now, r->item[0].is_error ?
	    RISK_RES_NOT_DONE : RISK_RES_DONE, &o);
	bt_risk_after(b, &o);
}

static void
bt_risk_query_done(struct bt *b, struct bt_req *r)
{
	struct bt_risk *rs = &b->rs;
	enum risk_result res = RISK_RES_UNKNOWN;
	struct risk_out o;

	rs->act_busy = false;
	if (!r->item[0].is_error) {
		res = RISK_RES_DONE;
		bt_risk_note(b, "flatten order %s found: %s %.8g at %.2f",
		    rs->cid, &r->item[0]);
	} else if (r->item[0].code == -2013)
		res = RISK_RES_NOT_DONE;
	memset(&o, 0, sizeof(o));
	risk_eval_query_done(&rs->ev, b->now, res, &o);
	bt_risk_after(b, &o);
}

/* Send what the cycle wants now (risk.c's risk_act). */
static void
bt_risk_act(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	enum risk_act a = risk_eval_next(&rs->ev, b->now);
	char qty[BN_NUMLEN];
	struct bt_req *r;

	if (a == RISK_ACT_NONE || rs->act_busy || b->failed)
		return;
	if (a == RISK_ACT_CANCEL_OURS) {
		if ((r = bt_risk_req(b, BT_RQ_OPEN)) == NULL)
			return;
		bt_send(b, r, 1, 0);
	} else if (a == RISK_ACT_ORDER) {
		if (risk_cid_make(rs->cid, sizeof(rs->cid), b->c->instance_id,
		    ++rs->cid_seq) == -1 || bn_fmt_qty(&rs->ev.lot,
		    rs->ev.fl_steps, qty, sizeof(qty)) == -1) {
			bt_fail(b, "cannot build the flatten order (instance "
			    "id %s)", b->c->instance_id);
			return;
		}
		if ((r = bt_risk_req(b, BT_RQ_MARKET)) == NULL)
			return;
		r->n = 1;
		snprintf(r->cids[0], PMM_ID_MAX, "%s", rs->cid);
		r->side = rs->ev.fl_side;
		r->qty = strtod(qty, NULL);
		bt_send(b, r, 1, 1);
	} else if (a == RISK_ACT_QUERY) {
		if ((r = bt_risk_req(b, BT_RQ_QUERY)) == NULL)
			return;
		r->n = 1;
		snprintf(r->cids[0], PMM_ID_MAX, "%s", rs->cid);
		bt_send(b, r, 1, 0);
	}
	rs->act_busy = true;
	risk_eval_sent(&rs->ev, a);
}

void
bt_risk_answer(struct bt *b, struct bt_req *r)
{
	switch (r->kind) {
	case BT_RQ_POS:
		bt_risk_read_done(b, r);
		break;
	case BT_RQ_OPEN:
		bt_risk_open_done(b, r);
		break;
	case BT_RQ_RCANCEL:
		bt_risk_cancel_done(b, r);
		break;
	case BT_RQ_MARKET:
		bt_risk_market_done(b, r);
		break;
	case BT_RQ_QUERY:
		bt_risk_query_done(b, r);
		break;
	default:
		break;
	}
}

/* ---- the loop --------------------------------------------------------- */

/* risk.c's risk_look: what the market and orders sections say. */
static void
bt_risk_look(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	struct shm_market mk;
	struct shm_orders od;

	if (SHM_SNAPSHOT(&b->st->market, &mk) != 0)
		rs->stale = true;
	else {
		rs->stale = mk.stale || mk.recv_ts_ns == 0 || !(mk.mid > 0);
		if (mk.mark_price > 0 || mk.mid > 0)
			rs->mark = mk.mark_price > 0 ? mk.mark_price : mk.mid;
	}
	if (SHM_SNAPSHOT(&b->st->orders, &od) != 0) {
		rs->user_ok = false;
		rs->pos_unchecked = true;
	} else {
		rs->user_ok = od.listen_key_ok;
		rs->pos_unchecked = !od.pos_checked;
	}
}

static bool
bt_risk_at_limit(const struct bt *b)
{
	const struct bt_risk *rs = &b->rs;

	return (rs->ev.causes & RISK_C_BIT(RISK_C_LIMIT)) != 0 ||
	    (rs->mark > 0 && fabs(rs->book.pos) * rs->mark >=
	    rs->ev.p.limit_usdt);
}

void
bt_risk_turn(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	struct risk_view v;
	struct risk_out o;

	bt_risk_look(b);
	memset(&v, 0, sizeof(v));
	v.now_ns = b->now;
	v.mark = rs->mark;
	v.realized = rs->book.realized;
	v.stale = rs->stale;
	v.user_ok = rs->user_ok;
	v.pos_unchecked = rs->pos_unchecked;
	memset(&o, 0, sizeof(o));
	risk_eval_tick(&rs->ev, &v, &o);
	bt_risk_after(b, &o);
	bt_risk_read(b);
	if (b->stats != NULL)
		bts_state(b->stats, b->now, rs->book.pos,
		    risk_eval_paused(&rs->ev), bt_risk_at_limit(b));
}

/* Every fill on the account, ours included (risk.c's risk_on_fill). */
void
bt_risk_fill(struct bt *b, const struct pmm_fill *f)
{
	struct bt_risk *rs = &b->rs;

	risk_book_fill(&rs->book, f->side, f->qty, f->price, f->realized_pnl,
	    f->trade_ts_ns / NS_PER_MS_BT);
	/* looks over the limit: ask the exchange now */
	if (rs->mark > 0 && fabs(rs->book.pos) * rs->mark >
	    rs->ev.p.limit_usdt)
		rs->read_at = 0;
	bt_risk_publish(b);
}

void
bt_risk_init(struct bt *b)
{
	struct bt_risk *rs = &b->rs;
	struct risk_params p;
	struct risk_out o;

	memset(&p, 0, sizeof(p));
	p.limit_usdt = b->c->initial_capital * b->c->max_net_position_ratio;
	p.max_loss_usdt = b->c->risk.max_loss_usdt;
	p.auto_resume_ns = (int64_t)(b->c->risk.auto_resume_after *
	    NS_PER_S_BT);
	p.retry_ns = (int64_t)(b->c->refresh.risk_check_interval *
	    NS_PER_S_BT);
	rs->rk.wallet_balance = NAN;
	rs->stale = true;
	rs->pos_unchecked = true;
	rs->cid_seq = (uint64_t)(b->start_ns / 1000);
	rs->read_at = b->now;
	if ((rs->sweep = calloc(BT_RISK_OPEN_MAX, sizeof(*rs->sweep))) == NULL)
		bt_fail(b, "out of memory");
	risk_eval_init(&rs->ev, &p, 0, b->now);
	risk_eval_set_lot(&rs->ev, &b->flt);
	memset(&o, 0, sizeof(o));
	bt_risk_after(b, &o);
}

void
bt_risk_free(struct bt *b)
{
	free(b->rs.sweep);
	b->rs.sweep = NULL;
}
