/*
 * bt_run.c — one backtest run: the engine, the virtual clock, the market
 * service's part (the record it publishes, the TICK), the logger's part
 * (one metrics sample per virtual second, one row per event, through the
 * real logrow.c and csvlog.c) and the loop that hands out what is due.
 * bt_int.h says how the pieces fit.
 *
 * The loop: the next thing due is the earliest of the engine's next
 * market event, the queue's head, the services' loop timers (100 ms, or
 * the order service's own deadline) and the logger's second. Ties go in
 * that order, so a run is a function of its inputs alone.
 */
#include "bt_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logrow.h"
#include "sim_int.h"

#include "bt_stats.h"

#define BT_ACCT_KEY	"pmm-backtest"
#define BT_ACCT_USDT_X	1.0	/* wallet = initial_capital */

void
bt_run_defaults(struct bt_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	bt_lat_defaults(&o->lat);
	o->seed = 1;
	o->queue = EXCH_QUEUE_PESSIMISTIC;
	o->queue_power = 2;
	(void)exch_fee_tier(0, &o->maker_fee, &o->taker_fee);	/* VIP 0 */
}

void
bt_fail(struct bt *b, const char *fmt, ...)
{
	va_list ap;

	if (b->failed)
		return;
	b->failed = true;
	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
}

/* ---- exchange records as the services parse them ---------------------- */

static enum bn_status
bt_bn_status(enum exch_status s)
{
	switch (s) {
	case EXCH_ST_NEW:		return BN_ST_NEW;
	case EXCH_ST_PARTIALLY_FILLED:	return BN_ST_PARTIALLY_FILLED;
	case EXCH_ST_FILLED:		return BN_ST_FILLED;
	case EXCH_ST_CANCELED:		return BN_ST_CANCELED;
	case EXCH_ST_EXPIRED:		return BN_ST_EXPIRED;
	case EXCH_ST_EXPIRED_IN_MATCH:	return BN_ST_EXPIRED_IN_MATCH;
	}
	return BN_ST_UNKNOWN;
}

static enum bn_exec
bt_bn_exec(enum exch_exec x)
{
	switch (x) {
	case EXCH_X_NEW:	return BN_EX_NEW;
	case EXCH_X_CANCELED:	return BN_EX_CANCELED;
	case EXCH_X_CALCULATED:	return BN_EX_CALCULATED;
	case EXCH_X_EXPIRED:	return BN_EX_EXPIRED;
	case EXCH_X_TRADE:	return BN_EX_TRADE;
	case EXCH_X_AMENDMENT:	return BN_EX_AMENDMENT;
	}
	return BN_EX_UNKNOWN;
}

void
bt_bn_order(const struct exch_order *o, struct bn_order *out)
{
	memset(out, 0, sizeof(*out));
	out->orderId = o->order_id;
	snprintf(out->symbol, sizeof(out->symbol), "%s", o->symbol);
	snprintf(out->clientOrderId, sizeof(out->clientOrderId), "%s",
	    o->client_id);
	out->status = bt_bn_status(o->status);
	snprintf(out->status_str, sizeof(out->status_str), "%s",
	    exch_status_str(o->status));
	out->side = o->side == EXCH_BUY ? BN_SIDE_BUY : BN_SIDE_SELL;
	snprintf(out->type, sizeof(out->type), "%s", exch_otype_str(o->type));
	snprintf(out->origType, sizeof(out->origType), "%s", out->type);
	snprintf(out->timeInForce, sizeof(out->timeInForce), "%s",
	    exch_tif_str(o->tif));
	snprintf(out->positionSide, sizeof(out->positionSide), "BOTH");
	out->price = o->price;
	out->origQty = o->orig_qty;
	out->executedQty = out->cumQty = o->executed_qty;
	out->cumQuote = o->cum_quote;
	out->avgPrice = o->avg_price;
	out->reduceOnly = o->reduce_only;
	out->updateTime = o->update_time_ms;
}

/* An ORDER_TRADE_UPDATE as bn_parse_event() would have filled it. */
static void
bt_bn_update(const struct exch_user_event *ev, struct bn_order_update *u)
{
	const struct exch_order_update *x = &ev->ou;

	memset(u, 0, sizeof(*u));
	u->E = ev->E_ms;
	u->T = ev->T_ms;
	snprintf(u->s, sizeof(u->s), "%s", x->o.symbol);
	snprintf(u->c, sizeof(u->c), "%s", x->o.client_id);
	u->side = x->o.side == EXCH_BUY ? BN_SIDE_BUY : BN_SIDE_SELL;
	snprintf(u->o, sizeof(u->o), "%s", exch_otype_str(x->o.type));
	snprintf(u->ot, sizeof(u->ot), "%s", u->o);
	snprintf(u->f, sizeof(u->f), "%s", exch_tif_str(x->o.tif));
	u->q = x->o.orig_qty;
	u->p = x->o.price;
	u->ap = x->o.avg_price;
	u->x = bt_bn_exec(x->x);
	u->X = bt_bn_status(x->o.status);
	snprintf(u->x_str, sizeof(u->x_str), "%s", exch_exec_str(x->x));
	snprintf(u->X_str, sizeof(u->X_str), "%s",
	    exch_status_str(x->o.status));
	u->i = x->o.order_id;
	u->l = x->last_qty;
	u->z = x->o.executed_qty;
	u->L = x->last_price;
	snprintf(u->N, sizeof(u->N), "%s", x->commission_asset != NULL ?
	    x->commission_asset : "");
	u->n = x->commission;
	u->trade_T = ev->T_ms;
	u->t = x->trade_id;
	u->b = x->bids_notional;
	u->a = x->asks_notional;
	u->m = x->maker;
	u->R = x->o.reduce_only;
	snprintf(u->ps, sizeof(u->ps), "BOTH");
	snprintf(u->wt, sizeof(u->wt), "CONTRACT_PRICE");
	u->rp = x->realized_pnl;
}

/* An ACCOUNT_UPDATE as bn_parse_event() would have filled it. */
static void
bt_bn_account(const struct exch_user_event *ev, struct bn_account_update *a)
{
	const struct exch_account_update *x = &ev->au;
	int i;

	memset(a, 0, sizeof(*a));
	a->E = ev->E_ms;
	a->T = ev->T_ms;
	snprintf(a->m, sizeof(a->m), "%s", x->reason);
	for (i = 0; i < x->nbal && a->nB < BN_ACCT_MAX; i++, a->nB++) {
		snprintf(a->B[i].a, sizeof(a->B[i].a), "%s", x->bal[i].asset);
		a->B[i].wb = x->bal[i].wb;
		a->B[i].cw = x->bal[i].cw;
		a->B[i].bc = x->bal[i].bc;
	}
	for (i = 0; i < x->npos && a->nP < BN_ACCT_MAX; i++, a->nP++) {
		snprintf(a->P[i].s, sizeof(a->P[i].s), "%s", x->pos[i].symbol);
		a->P[i].pa = x->pos[i].pa;
		a->P[i].ep = x->pos[i].ep;
		a->P[i].bep = x->pos[i].bep;
		a->P[i].cr = x->pos[i].cr;
		a->P[i].up = x->pos[i].up;
		snprintf(a->P[i].mt, sizeof(a->P[i].mt), "cross");
		snprintf(a->P[i].ps, sizeof(a->P[i].ps), "BOTH");
	}
}

/* ---- the engine's callbacks: what leaves the exchange ----------------- */

static void
bt_push(struct bt *b, int64_t t, int kind, void *p)
{
	struct bt_ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.t = t;
	ev.kind = kind;
	ev.u.p = p;
	if (btq_push(&b->q, &ev) == -1) {
		free(p);
		bt_fail(b, "out of memory (event queue)");
	}
}

static void
bt_on_market(void *arg, const struct exch_mkt_event *e)
{
	struct bt *b = arg;
	struct bt_ev ev;
	int64_t now = b->now, lat;

	b->res->mkt_events++;
	if (e->sym != b->sym)
		return;
	if (e->type != EXCH_EV_BOOK_TICKER && e->type != EXCH_EV_MARK_PRICE &&
	    (e->type != EXCH_EV_AGG_TRADE || !b->est_on ||
	    !b->c->estimator.live))
		return;		/* what the market service subscribes to */
	memset(&ev, 0, sizeof(ev));
	if (e->type == EXCH_EV_AGG_TRADE) {
		/* its own connection live; the feed's latency here */
		lat = bt_lat_feed(&b->lat, 0, 0);
		ev.kind = BT_EV_TRADE;
		ev.u.trade.price = e->agg.p;
		ev.u.trade.buyer_maker = e->agg.m;
	} else if (e->type == EXCH_EV_BOOK_TICKER) {
		if (b->stats != NULL)
			bts_mid(b->stats, now, (e->bt.b + e->bt.a) / 2);
		lat = bt_lat_feed(&b->lat, e->rec_recv_ns, e->rec_E_ms);
		ev.kind = BT_EV_TICK;
		ev.u.tick.bid = e->bt.b;
		ev.u.tick.bidq = e->bt.B;
		ev.u.tick.ask = e->bt.a;
		ev.u.tick.askq = e->bt.A;
		ev.u.tick.exch_ns = now;
		ev.u.tick.u = e->bt.u;
	} else {
		lat = bt_lat_feed(&b->lat, 0, 0);
		ev.kind = BT_EV_MARK;
		ev.u.mark.price = e->mark.p;
	}
	/* one WebSocket: in the order sent */
	ev.t = btc_arrival(&b->feed, now, lat);
	if (btq_push(&b->q, &ev) == -1)
		bt_fail(b, "out of memory (event queue)");
}

static void
bt_on_user(void *arg, const struct exch_user_event *e)
{
	struct bt *b = arg;
	struct bt_user *u;

	if (e->acct != b->acct || e->type == EXCH_EV_ACCOUNT_CONFIG)
		return;
	if (e->type == EXCH_EV_ORDER_UPDATE &&
	    strcmp(e->ou.o.symbol, b->spec->symbol) != 0)
		return;
	/* funding is paid at its instant on the exchange: PnL then */
	if (e->type == EXCH_EV_ACCOUNT_UPDATE && b->stats != NULL &&
	    strcmp(e->au.reason, "FUNDING_FEE") == 0 && e->au.nbal > 0) {
		bts_funding(b->stats, b->now, e->au.bal[0].bc);
		b->res->fundings++;
		b->res->funding += e->au.bal[0].bc;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		bt_fail(b, "out of memory");
		return;
	}
	if (e->type == EXCH_EV_ORDER_UPDATE)
		bt_bn_update(e, &u->ou);
	else {
		u->account = true;
		bt_bn_account(e, &u->au);
	}
	bt_push(b, btc_arrival(&b->user, b->now, bt_lat_response(&b->lat)),
	    BT_EV_USER, u);
}

/* ---- requests --------------------------------------------------------- */

void
bt_send(struct bt *b, struct bt_req *r, int weight, int orders)
{
	r->sent_ns = b->now;
	b->res->requests++;
	if (b->stats != NULL)
		bts_request(b->stats, b->now, weight, orders);
	bt_push(b, b->now + bt_lat_entry(&b->lat), BT_EV_REQ, r);
}

static void
bt_item_err(struct bt_item *it, const struct exch_err *e)
{
	it->is_error = true;
	it->code = e->code;
	snprintf(it->msg, sizeof(it->msg), "%s", e->msg);
}

/* POST batchOrders: each post-only LIMIT as the wire side would place it. */
static void
bt_exch_place(struct bt *b, struct bt_req *r)
{
	struct exch_order_req q;
	struct exch_order out;
	struct exch_err e;
	int i;

	for (i = 0; i < r->n; i++) {
		memset(&q, 0, sizeof(q));
		q.symbol = b->spec->symbol;
		q.side = r->q[i].side == STRAT_SELL ? EXCH_SELL : EXCH_BUY;
		q.type = EXCH_LIMIT;
		q.tif = EXCH_GTX;
		q.tif_set = true;
		q.quantity = r->q[i].qty;
		q.price = r->q[i].price;
		q.client_id = r->q[i].client_id;
		if (exch_order_place(b->ex, b->acct, &q, &out, &e) == -1)
			bt_item_err(&r->item[i], &e);
		else
			bt_bn_order(&out, &r->item[i].order);
	}
}

static void
bt_exch_cancel(struct bt *b, struct bt_req *r)
{
	struct exch_order out;
	struct exch_err e;
	int i;

	for (i = 0; i < r->n; i++)
		if (exch_order_cancel(b->ex, b->acct, b->spec->symbol, 0,
		    r->cids[i], &out, &e) == -1)
			bt_item_err(&r->item[i], &e);
		else
			bt_bn_order(&out, &r->item[i].order);
}

/* GET openOrders, and which are ours (risk.c's risk_list_cb). */
static void
bt_exch_open(struct bt *b, struct bt_req *r)
{
	struct exch_order *os;
	struct bn_order *bo;
	struct exch_err e;
	int n, i;

	os = calloc(BT_RISK_OPEN_MAX, sizeof(*os));
	bo = calloc(BT_RISK_OPEN_MAX, sizeof(*bo));
	r->open = calloc(BT_RISK_OPEN_MAX, sizeof(*r->open));
	if (os == NULL || bo == NULL || r->open == NULL) {
		free(os);
		free(bo);
		bt_fail(b, "out of memory");
		return;
	}
	n = exch_open_orders(b->ex, b->acct, b->spec->symbol, os,
	    BT_RISK_OPEN_MAX, &e);
	if (n < 0) {
		bt_item_err(&r->item[0], &e);
		n = 0;
	}
	for (i = 0; i < n; i++)
		bt_bn_order(&os[i], &bo[i]);
	r->n_open = risk_own_orders(bo, n, b->c->instance_id, r->open,
	    BT_RISK_OPEN_MAX, &r->others);
	if (r->n_open > BT_RISK_OPEN_MAX)
		r->n_open = BT_RISK_OPEN_MAX;
	free(os);
	free(bo);
}

static void
bt_exch_market(struct bt *b, struct bt_req *r)
{
	struct exch_order_req q;
	struct exch_order out;
	struct exch_err e;

	memset(&q, 0, sizeof(q));
	q.symbol = b->spec->symbol;
	q.side = r->side ? EXCH_SELL : EXCH_BUY;
	q.type = EXCH_MARKET;
	q.quantity = r->qty;
	q.reduce_only = true;
	q.client_id = r->cids[0];
	if (exch_order_place(b->ex, b->acct, &q, &out, &e) == -1)
		bt_item_err(&r->item[0], &e);
	else
		bt_bn_order(&out, &r->item[0].order);
}

/* The engine takes a request (at now = sent + entry). */
static void
bt_exch(struct bt *b, struct bt_req *r)
{
	struct exch_account_info ai;
	struct exch_order out;
	struct exch_err e;

	switch (r->kind) {
	case BT_RQ_PLACE:
		bt_exch_place(b, r);
		break;
	case BT_RQ_CANCEL:
	case BT_RQ_RCANCEL:
		bt_exch_cancel(b, r);
		break;
	case BT_RQ_POS:
		if (exch_position(b->ex, b->acct, b->spec->symbol, &r->pos,
		    &e) == -1)
			bt_item_err(&r->item[0], &e);
		exch_account_info(b->ex, b->acct, &ai);
		r->wallet = ai.total_wallet_balance;
		break;
	case BT_RQ_OPEN:
		bt_exch_open(b, r);
		break;
	case BT_RQ_MARKET:
		bt_exch_market(b, r);
		break;
	case BT_RQ_QUERY:
		if (exch_order_query(b->ex, b->acct, b->spec->symbol, 0,
		    r->cids[0], &out, &e) == -1)
			bt_item_err(&r->item[0], &e);
		else
			bt_bn_order(&out, &r->item[0].order);
		break;
	}
	/* the answer, on its way back */
	bt_push(b, b->now + bt_lat_response(&b->lat), BT_EV_ANSWER, r);
}

static void
bt_answer(struct bt *b, struct bt_req *r)
{
	if (r->kind == BT_RQ_PLACE || r->kind == BT_RQ_CANCEL)
		bt_order_answer(b, r);
	else
		bt_risk_answer(b, r);
	free(r->open);
	free(r);
}

/* ---- the market service ----------------------------------------------- */

static void
bt_tick(struct bt *b, const struct bt_ev *ev)
{
	struct shm_market *m = &b->mk;

	m->bid = ev->u.tick.bid;
	m->bid_qty = ev->u.tick.bidq;
	m->ask = ev->u.tick.ask;
	m->ask_qty = ev->u.tick.askq;
	m->mid = (m->bid + m->ask) / 2;
	m->exch_ts_ns = ev->u.tick.exch_ns;
	m->recv_ts_ns = b->now;
	m->update_id = (uint64_t)ev->u.tick.u;
	m->updates++;
	m->stale = 0;
	m->md_latency_ms = (double)(b->now - ev->u.tick.exch_ns) / 1e6;
	shm_lat_record(&m->md_latency, m->md_latency_ms / 1e3);
	if (b->est_on) {
		est_mid(&b->est, b->now, m->mid);
		est_publish(&b->est, m);
	}
	/* market publishes after the TICK; nobody reads it in between here */
	bt_order_tick(b, m->bid, m->ask);
}

/* market_stale_after without a book update: market says stale. */
static void
bt_market_publish(struct bt *b)
{
	if (b->mk.updates > 0 && b->now - b->mk.recv_ts_ns >
	    (int64_t)(b->c->market.stale_after * NS_PER_S_BT))
		b->mk.stale = 1;
	if (b->mk.updates == 0)
		b->mk.stale = 1;
	SHM_PUBLISH(&b->st->market, &b->mk);
}

/* ---- the logger ------------------------------------------------------- */

void
bt_log_msg(struct bt *b, int type, const struct pmm_msg *m)
{
	struct pmm_msg c = *m;

	if (b->csv == NULL)
		return;
	c.env.type = (uint8_t)type;
	c.env.ts_ns = b->now;
	b->self.events++;
	if (logrow_event(b->csv, b->c, &c, b->now) == -1)
		bt_fail(b, "%s: cannot write the metrics CSV", b->o->out_dir);
}

static void
bt_sample(struct bt *b)
{
	bt_market_publish(b);
	bt_order_publish(b);
	bt_risk_publish(b);
	if (b->csv != NULL && logrow_sample(b->csv, b->c, b->st, &b->self,
	    b->now) == -1)
		bt_fail(b, "%s: cannot write the metrics CSV", b->o->out_dir);
	if (b->csv != NULL && csvlog_flush(b->csv) == -1)
		bt_fail(b, "%s: cannot write the metrics CSV", b->o->out_dir);
}

/* pmmd's section: every service up, as a running tree shows it. */
static void
bt_procs(struct bt *b)
{
	struct shm_procs p;
	int i;

	memset(&p, 0, sizeof(p));
	p.tree_ready = 1;
	p.sup_started_ns = b->start_ns;
	for (i = 0; i < SVC_COUNT; i++) {
		snprintf(p.p[i].name, sizeof(p.p[i].name), "%s", svc_name(i));
		p.p[i].state = PROC_READY;
		p.p[i].started_ns = p.p[i].ready_ns = b->start_ns;
	}
	SHM_PUBLISH(&b->st->procs, &p);
}

/* ---- set-up ----------------------------------------------------------- */

static int64_t
bt_clock(void *arg)
{
	const struct bt *b = arg;

	return b->now;
}

/* The filters as order and risk read them from exchangeInfo. */
static int
bt_filters(struct bt *b)
{
	const struct exch_symbol_spec *s = b->spec;
	struct bn_filters *f = &b->flt;
	char buf[64], why[256];

	bn_filters_init(f, s->symbol);
	f->price_precision = s->price_precision;
	f->qty_precision = s->qty_precision;
#define BT_DEC(field, v, prec)						\
	do {								\
		exch_fmt(buf, sizeof(buf), (v), (prec));		\
		if (bn_dec_parse(buf, &f->field) == -1)			\
			goto bad;					\
	} while (0)
	BT_DEC(tick, s->tick_size, 10);
	BT_DEC(raw_min_price, s->min_price, 10);
	BT_DEC(raw_max_price, s->max_price, 10);
	BT_DEC(step, s->step_size, 10);
	BT_DEC(raw_min_qty, s->min_qty, 10);
	BT_DEC(raw_max_qty, s->max_qty, 10);
	BT_DEC(mkt_step, s->mkt_step_size, 10);
	BT_DEC(mkt_min_qty, s->mkt_min_qty, 10);
	BT_DEC(mkt_max_qty, s->mkt_max_qty, 10);
	BT_DEC(min_notional, s->min_notional, 10);
#undef BT_DEC
	f->have_price = f->have_lot = 1;
	f->max_num_orders = s->max_num_orders;
	f->pct_up = s->pct_up;
	f->pct_down = s->pct_down;
	if (bn_filters_finish(f, why, sizeof(why)) == -1) {
		bt_fail(b, "%s", why);
		return -1;
	}
	if (strat_filters_from_bn(&b->sflt, f) == -1) {
		bt_fail(b, "%s: unusable filters", s->symbol);
		return -1;
	}
	return 0;
bad:
	bt_fail(b, "%s: cannot count in its filters", s->symbol);
	return -1;
}

/* The first receive time of a recording, to start the clock there. */
static int
bt_first_ns(struct bt *b, const char *path, int64_t *t0)
{
	struct exch_opts o;
	struct exch *ex;

	/* a throwaway engine on the file: it opens, probes and checks it */
	exch_opts_default(&o);
	o.nsymbols = 0;
	if (exch_opts_add_symbol(&o, b->c->symbol) == -1) {
		bt_fail(b, "symbol %s: the exchange does not list it",
		    b->c->symbol);
		return -1;
	}
	o.market = EXCH_MKT_REPLAY;
	snprintf(o.replay.path, sizeof(o.replay.path), "%s", path);
	o.clock = bt_clock;
	o.clock_arg = b;
	if ((ex = exch_new(&o, NULL)) == NULL) {
		bt_fail(b, "%s: not a usable recording of %s (see above)", path,
		    b->c->symbol);
		return -1;
	}
	*t0 = exch_replay_first_ns(ex);
	exch_free(ex);
	return 0;
}

static int
bt_engine(struct bt *b)
{
	struct exch_opts o;
	struct exch_cb cb = { bt_on_market, bt_on_user, b };
	int64_t t0 = BT_SYNTH_START_NS;

	exch_opts_default(&o);
	o.nsymbols = 0;
	if (exch_opts_add_symbol(&o, b->c->symbol) == -1) {
		bt_fail(b, "symbol %s: the exchange does not list it (%s)",
		    b->c->symbol, "BTCUSDT, ETHUSDT");
		return -1;
	}
	if (exch_opts_add_account(&o, BT_ACCT_KEY, BT_ACCT_KEY,
	    b->c->initial_capital * BT_ACCT_USDT_X) == -1) {
		bt_fail(b, "cannot make the account");
		return -1;
	}
	o.accounts[0].leverage = b->c->leverage;
	o.queue_model = b->o->queue;
	o.queue_power = b->o->queue_power;
	o.maker_fee = b->o->maker_fee;
	o.taker_fee = b->o->taker_fee;
	if (b->o->funding_rate_set)
		o.funding_rate = b->o->funding_rate;
	if (b->o->funding_interval_s > 0)
		o.funding_interval_ms = (int64_t)(b->o->funding_interval_s *
		    1000);
	o.synth.seed = b->o->seed;
	if (b->o->nfiles > 0) {
		if (bt_first_ns(b, b->o->files[0], &t0) == -1)
			return -1;
		o.market = EXCH_MKT_REPLAY;
		snprintf(o.replay.path, sizeof(o.replay.path), "%s",
		    b->o->files[0]);
		o.replay.speed = 1;	/* each line due at its own time */
		b->next_file = 1;
	} else
		o.market = EXCH_MKT_SYNTH;
	o.clock = bt_clock;
	o.clock_arg = b;
	b->now = b->start_ns = t0;
	if ((b->ex = exch_new(&o, &cb)) == NULL) {
		bt_fail(b, "%s: the exchange refused to start (see above)",
		    b->o->nfiles > 0 ? b->o->files[0] : "synthetic market");
		return -1;
	}
	b->acct = exch_account_by_key(b->ex, BT_ACCT_KEY);
	b->sym = exch_symbol_index(b->ex, b->c->symbol);
	b->spec = exch_symbol(b->ex, b->sym);
	if (b->o->nfiles == 0)
		b->end_ns = t0 + (int64_t)(b->o->synth_s * NS_PER_S_BT);
	else
		b->end_ns = INT64_MAX;	/* the recordings' end */
	return bt_filters(b);
}

/* ---- the loop --------------------------------------------------------- */

static void
bt_dispatch(struct bt *b, const struct bt_ev *ev)
{
	switch (ev->kind) {
	case BT_EV_TICK:
		bt_tick(b, ev);
		break;
	case BT_EV_MARK:
		b->mk.mark_price = ev->u.mark.price;
		break;
	case BT_EV_TRADE:
		est_trade(&b->est, b->now, ev->u.trade.price,
		    ev->u.trade.buyer_maker);
		est_publish(&b->est, &b->mk);
		break;
	case BT_EV_USER:
		bt_order_user(b, ev->u.p);
		free(ev->u.p);
		break;
	case BT_EV_REQ:
		bt_exch(b, ev->u.p);
		break;
	case BT_EV_ANSWER:
		bt_answer(b, ev->u.p);
		break;
	}
}

/* Replay done: the next recording, or the end of the market. */
static bool
bt_market_more(struct bt *b)
{
	if (b->o->nfiles == 0 || !exch_market_done(b->ex))
		return true;
	if (b->next_file >= b->o->nfiles)
		return false;
	if (exch_replay_chain(b->ex, b->o->files[b->next_file]) == -1) {
		bt_fail(b, "%s: not a usable recording of %s (see above)",
		    b->o->files[b->next_file], b->c->symbol);
		return false;
	}
	b->next_file++;
	return true;
}

static int
bt_loop(struct bt *b)
{
	struct bt_ev ev;
	int64_t t_mkt, t_q, t_turn, t_ord, t;

	while (!b->failed) {
		if (b->o->stop != NULL && *b->o->stop) {
			bt_fail(b, "interrupted");
			break;
		}
		if (!bt_market_more(b)) {
			if (b->failed)
				break;
			/* the last market event: run out what is on its way */
			if (b->end_ns == INT64_MAX)
				b->end_ns = b->now;
		}
		t_mkt = exch_market_done(b->ex) ? INT64_MAX :
		    exch_next_due_ns(b->ex);
		t_q = btq_next(&b->q);
		t_turn = b->next_turn_ns;
		t_ord = bt_order_due(b);
		t = t_mkt;
		if (t_q < t)
			t = t_q;
		if (t_turn < t)
			t = t_turn;
		if (t_ord < t)
			t = t_ord;
		if (b->next_sample_ns < t)
			t = b->next_sample_ns;
		if (t > b->end_ns)
			break;
		if (t > b->now)
			b->now = t;
		if (t == t_mkt) {
			if (exch_step(b->ex, b->now) == -1) {
				bt_fail(b, "%s: the recording is damaged (see "
				    "above)", b->o->nfiles > 0 ?
				    b->o->files[b->next_file - 1] : "market");
				break;
			}
		} else if (t == t_q) {
			btq_pop(&b->q, &ev);
			b->res->queue_events++;
			bt_dispatch(b, &ev);
		} else if (t == t_turn) {
			bt_market_publish(b);
			bt_order_publish(b);
			bt_risk_turn(b);
			bt_order_turn(b);
			b->next_turn_ns += BT_TURN_NS;
		} else if (t == t_ord) {
			bt_order_turn(b);
		} else {
			bt_sample(b);
			b->next_sample_ns += NS_PER_S_BT;
		}
	}
	return b->failed ? -1 : 0;
}

/* Free what is still on its way when the run ends. */
static void
bt_drain(struct bt *b)
{
	struct bt_ev ev;

	while (btq_pop(&b->q, &ev))
		if (ev.kind == BT_EV_USER || ev.kind == BT_EV_REQ ||
		    ev.kind == BT_EV_ANSWER) {
			if (ev.kind != BT_EV_USER)
				free(((struct bt_req *)ev.u.p)->open);
			free(ev.u.p);
		}
}

static void
bt_results(struct bt *b)
{
	struct bt_result *r = b->res;
	struct exch_position p;
	struct exch_account_info ai;
	struct exch_err e;
	const struct shm_fill_tally *t = &b->od.rec.tally;

	r->start_ns = b->start_ns;
	r->end_ns = b->now;
	r->placed = b->od.cnt.placed;
	r->canceled = b->od.cnt.canceled;
	r->fills = b->od.cnt.fills;
	r->rejects = b->od.cnt.rejects;
	if (exch_position(b->ex, b->acct, b->spec->symbol, &p, &e) == 0)
		r->position = p.position_amt;
	exch_account_info(b->ex, b->acct, &ai);
	r->wallet = ai.total_wallet_balance;
	r->realized = t->realized;
	r->fees = t->fees;
	r->buy_qty = t->buy_qty;
	r->sell_qty = t->sell_qty;
	r->buy_quote = t->buy_quote;
	r->sell_quote = t->sell_quote;
	if (b->csv != NULL)
		r->csv_rows = b->csv->rows;
}

int
bt_run(const struct bt_run_opts *o, struct bt_result *res, char *err,
    size_t errlen)
{
	struct bt *b;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->st = calloc(1, sizeof(*b->st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return -1;
	}
	b->o = o;
	b->c = o->cfg;
	b->res = res;
	b->err = err;
	b->errlen = errlen;
	err[0] = '\0';
	btq_init(&b->q);
	if (bt_lat_init(&b->lat, &o->lat, err, errlen) == -1)
		goto out;
	if (bt_engine(b) == -1)
		goto out;
	if (o->out_dir != NULL) {
		if ((b->csv = calloc(1, sizeof(*b->csv))) == NULL ||
		    csvlog_open(b->csv, o->out_dir) == -1) {
			bt_fail(b, "%s: cannot write the metrics CSV there",
			    o->out_dir);
			goto out;
		}
	}
	if (!o->no_stats && (b->stats = bts_new(b->c->initial_capital,
	    b->start_ns)) == NULL) {
		bt_fail(b, "out of memory");
		goto out;
	}
	{
		struct est_config ec;

		/* market's estimator, as market.c runs it */
		est_config_from_cfg(&ec, b->c);
		b->est_on = est_init(&b->est, &ec) == 0;
		if (b->est_on)
			est_publish(&b->est, &b->mk);
	}
	b->next_turn_ns = b->start_ns + BT_TURN_NS;
	b->next_sample_ns = b->start_ns + NS_PER_S_BT;
	bt_procs(b);
	if (bt_order_init(b) == -1)
		goto out;
	bt_risk_init(b);
	rc = bt_loop(b);
	if (rc == 0)
		bt_sample(b);	/* the state at the end */
	bt_results(b);
out:
	if (b->failed)
		rc = -1;
	res->stats = b->stats;
	b->stats = NULL;
	bt_drain(b);
	if (b->csv != NULL)
		csvlog_close(b->csv);
	free(b->csv);
	bt_order_free(b);
	bt_risk_free(b);
	if (b->ex != NULL)
		exch_free(b->ex);
	bt_lat_free(&b->lat);
	btq_free(&b->q);
	free(b->st);
	free(b);
	return rc;
}
