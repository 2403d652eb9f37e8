/*
 * risk.c — the risk service: the only writer of the "risk" section of the
 * state segment (position, PnL, the strategy pause flag and its reason).
 *
 * The decisions live in services/core/risk_eval.c; this file is the process:
 * it feeds risk_eval what the tree and the exchange say and carries out the
 * requests it makes, over one REST client (common/binance/bn_rest) in the service
 * loop.
 *
 *  - Every risk_check_interval: GET /fapi/v2/positionRisk (signed) replaces
 *    the position kept from FILL messages; a difference the fills do not
 *    explain is logged. Every RISK_BALANCE_EVERY: GET /fapi/v2/balance.
 *  - Every loop turn: the market section (stale, mark else mid) and the
 *    orders section (user data stream up) go to risk_eval, which pauses
 *    for a stale market or a dead user stream (once each has been up) and
 *    resumes when they are back; the record is published whole.
 *  - Over the position limit (or the max-loss stop): the pause is published
 *    first (shm and RISK_ACTION, so the order service stops), then risk_eval
 *    runs its flatten cycle: our open orders cancelled (GET openOrders,
 *    those with this instance's client ids, DELETE batchOrders by
 *    origClientOrderIdList, 10 at a time — never allOpenOrders, which
 *    would take manual orders on the account with it), a fresh read,
 *    one reduce-only MARKET order with a "<instance>-X-<seq>" client id,
 *    a fresh read. An order whose outcome is unknown is queried by its
 *    client id, never resent.
 *  - Nothing is judged or closed until the order service has accepted the
 *    position found at start-up (its record's pos_checked): a position
 *    this instance did not leave is the operator's, not ours to sell.
 *  - Routine reads wait for the rate-limit governor's soft limit; the
 *    cancel and the flatten order only for its hard limit.
 *  - An operator pause (pmmctl) arrives from pmmd and is restored from
 *    pmmd's procs section after a restart; latched causes are restored
 *    from our own section (pause_causes).
 *  - The exchange being unreachable does not stop the service: it is ready
 *    at once and retries with back-off.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bn_rest.h"
#include "log.h"
#include "ord.h"
#include "risk_eval.h"
#include "svc_rest.h"
#include "timeutil.h"

#define RISK_TIMER_MAX_NS	(100 * NS_PER_MS)
#define RISK_TIMER_MIN_NS	NS_PER_MS
#define RISK_BACKOFF_MAX_NS	(10 * NS_PER_S)	/* reads while it is down */
#define RISK_INFO_BACKOFF_MAX	(30 * NS_PER_S)
#define RISK_BALANCE_EVERY	(10 * NS_PER_S)	/* weight 5 each */
#define RISK_READ_WEIGHT	5
#define RISK_POS_MAX		8		/* positionRisk elements */
#define RISK_BAL_MAX		32
#define RISK_OPEN_MAX		200		/* openOrders read at once */
#define RISK_CANCEL_BATCH	10		/* DELETE batchOrders */

struct risk_ctx {
	struct svc		*s;
	struct bn_rest		*rest;
	struct risk_eval	 ev;
	struct risk_book	 book;
	struct shm_risk		 rk;		/* what we publish */
	struct bn_filters	 flt;
	bool			 have_flt;
	bool			 have_pos;	/* the exchange said it once */
	char			 quote[16];	/* USDT of BTCUSDT */

	/* what the other sections said last */
	double			 mark;
	bool			 stale, user_ok, pos_unchecked;

	/* requests: one of each kind at a time */
	bool			 info_busy, read_busy, bal_busy, act_busy;
	int64_t			 info_at, read_at, read_block, bal_at;
	int			 info_fails, read_fails;
	uint64_t		 read_seq;
	char			 cid[PMM_ID_MAX];	/* of the flatten */
	/* the cancel of our open orders: listed, then sent 10 at a time */
	char			 sweep[RISK_OPEN_MAX][PMM_ID_MAX];
	int			 sweep_n, sweep_i, sweep_others;
	enum risk_result	 sweep_res;
	bool			 sweep_listed;
	uint64_t		 cid_seq;
	uint64_t		 errors;
};

static int64_t
risk_interval_ns(const struct svc *s)
{
	return (int64_t)(s->cfg.refresh.risk_check_interval * NS_PER_S);
}

static void
risk_params(const struct cfg *c, struct risk_params *p)
{
	memset(p, 0, sizeof(*p));
	p->limit_usdt = c->initial_capital * c->max_net_position_ratio;
	p->max_loss_usdt = c->risk.max_loss_usdt;
	p->auto_resume_ns = (int64_t)(c->risk.auto_resume_after * NS_PER_S);
	p->retry_ns = (int64_t)(c->refresh.risk_check_interval * NS_PER_S);
}

/* ---- the published record and the bus --------------------------------- */

static void
risk_publish(struct risk_ctx *rc)
{
	struct shm_risk *k = &rc->rk;

	risk_record_fill(k, &rc->book, rc->have_pos, rc->mark, &rc->ev,
	    now_real_ns());
	SHM_PUBLISH(&rc->s->shm->risk, k);
}

/* One RISK_ACTION to logger and order, with the position it is about. */
static void
risk_action(struct risk_ctx *rc, uint8_t kind, const char *text)
{
	double pos = rc->ev.have_read ? rc->ev.rd.position : rc->book.pos;
	struct pmm_msg m;

	memset(&m, 0, sizeof(m));
	m.u.risk.kind = kind;
	m.u.risk.position = pos;
	m.u.risk.notional = pos * rc->ev.mark;
	m.u.risk.limit = rc->ev.p.limit_usdt;
	msg_text(m.u.risk.text, sizeof(m.u.risk.text), text);
	svc_publish(rc->s, PMM_MSG_RISK_ACTION, &m);
	rc->rk.actions++;
}

static void __attribute__((format(printf, 3, 4)))
risk_record(struct risk_ctx *rc, uint8_t kind, const char *fmt, ...)
{
	char text[PMM_TEXT_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warnx("%s", text);
	risk_action(rc, kind, text);
}

static void	risk_act(struct risk_ctx *rc, int64_t now);

/*
 * After every decision: log what risk_eval noted, publish the record, and
 * only then the RISK_ACTIONs (the order service looks at the record when
 * one arrives) and whatever the flatten cycle asks for: the pause reaches
 * the order service before any cancel or order is sent.
 */
static void
risk_after(struct risk_ctx *rc, const struct risk_out *o, int64_t now)
{
	int i;

	for (i = 0; i < o->n; i++) {
		if (o->note[i].warn)
			log_warnx("%s", o->note[i].text);
		else
			log_info("%s", o->note[i].text);
	}
	if (o->dropped > 0)
		log_warnx("%s: %u risk notes did not fit", __func__,
		    o->dropped);
	risk_publish(rc);
	for (i = 0; i < o->n; i++)
		if (o->note[i].kind != RISK_NOTE_LOG)
			risk_action(rc, o->note[i].kind, o->note[i].text);
	risk_act(rc, now);
}

/* ---- REST glue (see common/binance/bn_rest.h) --------------------------------- */

static void
risk_rest_fd(struct svc *s, int fd, uint32_t events, void *rest)
{
	(void)s;
	bn_rest_on_fd(rest, fd, events);
}

static int
risk_rest_add(void *arg, int fd, uint32_t events)
{
	struct svc *s = arg;
	struct risk_ctx *rc = s->priv;

	return svc_watch_fd(s, fd, events, risk_rest_fd, rc->rest);
}

static void
risk_rest_del(void *arg, int fd)
{
	svc_unwatch_fd(arg, fd);
}

static int64_t
risk_backoff(int64_t base, int fails, int64_t cap)
{
	int64_t t = base;

	while (fails-- > 0 && t < cap)
		t *= 2;
	return t < cap ? t : cap;
}

static void
risk_params_symbol(struct risk_ctx *rc, struct bn_params *p)
{
	bn_params_init(p);
	bn_params_add(p, "symbol", rc->s->cfg.symbol);
}

static enum risk_result
risk_result_of(const struct bn_resp *r)
{
	switch (r->outcome) {
	case BN_OUT_OK:
		return RISK_RES_DONE;
	case BN_OUT_UNKNOWN:
		return RISK_RES_UNKNOWN;
	default:
		return RISK_RES_NOT_DONE;
	}
}

/* ---- exchangeInfo: the filters an order is sized with ----------------- */

static int
risk_info_parse(struct risk_ctx *rc, const struct bn_resp *resp)
{
	struct bn_exchange_info *xi;
	struct bn_why why;
	int rv = -1;

	if (resp->outcome != BN_OUT_OK)
		return -1;	/* bn_rest logged it */
	if ((xi = calloc(1, sizeof(*xi))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	if (bn_parse_exchange_info(resp->body, resp->body_len,
	    rc->s->cfg.symbol, xi, &why) == -1)
		log_warnx("exchangeInfo: %s", why.s);
	else {
		rc->flt = xi->f;
		bn_rest_set_limits(rc->rest, xi->weight_1m, xi->orders_10s,
		    xi->orders_1m);
		rv = 0;
	}
	free(xi);
	return rv;
}

static void
risk_info_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;

	(void)r;
	rc->info_busy = false;
	if (risk_info_parse(rc, resp) == -1) {
		rc->errors++;
		rc->info_at = now_mono_ns() + risk_backoff(NS_PER_S,
		    rc->info_fails++, RISK_INFO_BACKOFF_MAX);
		return;
	}
	rc->have_flt = true;
	risk_eval_set_lot(&rc->ev, &rc->flt);
	log_info("exchange filters of %s loaded", rc->s->cfg.symbol);
}

static void
risk_info(struct risk_ctx *rc, int64_t now)
{
	if (rc->have_flt || rc->info_busy || now < rc->info_at ||
	    bn_rest_can_send(rc->rest, 1, 0) != 0)
		return;
	if (bn_rest_request(rc->rest, BN_GET, "/fapi/v1/exchangeInfo",
	    BN_AUTH_NONE, NULL, -1, -1, risk_info_cb, rc, NULL) == 0)
		rc->info_busy = true;
}

/* ---- positionRisk ----------------------------------------------------- */

/* Our symbol's net position in the answer; absent means flat (v3). */
static int
risk_parse_pos(struct risk_ctx *rc, const struct bn_resp *resp,
    struct risk_read *rd, int64_t *update_ms)
{
	struct bn_position ps[RISK_POS_MAX];
	struct bn_why why;
	double biggest = -1;
	int n, i;

	memset(rd, 0, sizeof(*rd));
	*update_ms = 0;
	if (bn_parse_positions(resp->body, resp->body_len, ps, RISK_POS_MAX,
	    &n, &why) == -1) {
		log_warnx("positionRisk: %s", why.s);
		return -1;
	}
	if (n < 0) {
		/* asked for one symbol: a longer list cannot be trusted whole */
		log_warnx("positionRisk: more than %d entries", RISK_POS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcasecmp(ps[i].symbol, rc->s->cfg.symbol) != 0)
			continue;
		/* hedge mode has a LONG and a SHORT (negative) leg */
		rd->position += ps[i].positionAmt;
		if (fabs(ps[i].positionAmt) > biggest) {
			biggest = fabs(ps[i].positionAmt);
			rd->entry = ps[i].entryPrice;
		}
		if (ps[i].markPrice > 0)
			rd->mark = ps[i].markPrice;
		if (ps[i].updateTime > *update_ms)
			*update_ms = ps[i].updateTime;
	}
	return 0;
}

static void
risk_read_failed(struct risk_ctx *rc, int64_t now)
{
	int64_t wait = risk_backoff(risk_interval_ns(rc->s), rc->read_fails++,
	    RISK_BACKOFF_MAX_NS);

	rc->errors++;
	rc->read_block = now + wait;
	if (rc->s->key_refused)
		return;		/* said once already, and stopping */
	if (rc->read_fails == 1 || (rc->read_fails & (rc->read_fails - 1)) == 0)
		log_warnx("position read failed %d time(s); next try in %.1f s",
		    rc->read_fails, wait / 1e9);
}

/* The fills against the exchange: a difference left is a lost fill. */
static void
risk_compare(struct risk_ctx *rc, const struct risk_read *rd,
    int64_t update_ms)
{
	double missed, step = rc->have_flt ? bn_dec_double(&rc->flt.step) :
	    1e-9;

	missed = risk_book_read(&rc->book, rd->position, rd->entry, update_ms);
	if (fabs(missed) > step / 2)
		log_warnx("the exchange's position differed from the one kept "
		    "from fills by %+.8g: a fill did not reach risk (the "
		    "exchange's is used)", missed);
}

static void
risk_read_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;
	struct risk_read rd;
	struct risk_out o;
	int64_t now = now_mono_ns(), update_ms;

	(void)r;
	rc->read_busy = false;
	if (resp->outcome != BN_OUT_OK ||
	    risk_parse_pos(rc, resp, &rd, &update_ms) == -1) {
		risk_read_failed(rc, now);
		return;
	}
	if (rc->read_fails > 0)
		log_info("position read works again after %d failure(s)",
		    rc->read_fails);
	rc->read_fails = 0;
	rc->read_block = 0;
	log_debug("read %llu: position %.8g, entry %.2f, updateTime %lld ms "
	    "(kept from fills: %.8g)", (unsigned long long)rc->read_seq,
	    rd.position, rd.entry, (long long)update_ms, rc->book.pos);
	risk_compare(rc, &rd, update_ms);
	rc->have_pos = true;
	rc->rk.last_check_ns = now_real_ns();
	rc->rk.checks++;
	if (rc->mark <= 0 && rd.mark > 0)
		rc->mark = rd.mark;
	memset(&o, 0, sizeof(o));
	risk_eval_read(&rc->ev, now, rc->read_seq, &rd, &o);
	risk_after(rc, &o, now);
}

static void
risk_read(struct risk_ctx *rc, int64_t now)
{
	struct bn_params p;
	bool due = now >= rc->read_at || risk_eval_wants_read(&rc->ev);

	if (rc->read_busy || !due || now < rc->read_block ||
	    bn_rest_can_send(rc->rest, RISK_READ_WEIGHT, 0) != 0)
		return;
	risk_params_symbol(rc, &p);
	if (bn_rest_request(rc->rest, BN_GET, "/fapi/v2/positionRisk",
	    BN_AUTH_SIGNED, &p, RISK_READ_WEIGHT, 0, risk_read_cb, rc,
	    NULL) != 0)
		return;
	rc->read_busy = true;
	rc->read_seq = risk_eval_read_sent(&rc->ev);
	rc->read_at = now + risk_interval_ns(rc->s);
}

/* ---- wallet balance --------------------------------------------------- */

static void
risk_bal_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;
	struct bn_balance b[RISK_BAL_MAX];
	struct bn_why why;
	int n, i;

	(void)r;
	rc->bal_busy = false;
	if (resp->outcome != BN_OUT_OK)
		return;
	if (bn_parse_balances(resp->body, resp->body_len, b, RISK_BAL_MAX,
	    &n, &why) == -1) {
		log_warnx("balance: %s", why.s);
		return;
	}
	for (i = 0; i < n; i++)
		if (strcmp(b[i].asset, rc->quote) == 0)
			rc->rk.wallet_balance = b[i].balance;
	risk_publish(rc);
}

static void
risk_balance(struct risk_ctx *rc, int64_t now)
{
	/* only while reads work: no point asking a dead exchange twice */
	if (rc->bal_busy || now < rc->bal_at || rc->read_fails > 0 ||
	    rc->rk.checks == 0 || bn_rest_can_send(rc->rest, 5, 0) != 0)
		return;
	if (bn_rest_request(rc->rest, BN_GET, "/fapi/v2/balance",
	    BN_AUTH_SIGNED, NULL, 5, 0, risk_bal_cb, rc, NULL) == 0) {
		rc->bal_busy = true;
		rc->bal_at = now + RISK_BALANCE_EVERY;
	}
}

/* ---- the flatten cycle's requests ------------------------------------- */

/*
 * The cancel of our open orders, one request at a time: GET openOrders,
 * then DELETE batchOrders for ours, 10 a request. What the order service
 * places meanwhile is its own to cancel: it has seen the pause (published
 * before this starts) and cancels its whole ladder, and a reduce-only
 * flatten cannot be undone by a resting order of ours — the read after the
 * order settles and, if needed, the next cycle see what is left.
 */
static enum risk_result
risk_worse(enum risk_result a, enum risk_result b)
{
	if (a == RISK_RES_UNKNOWN || b == RISK_RES_UNKNOWN)
		return RISK_RES_UNKNOWN;
	return a == RISK_RES_NOT_DONE || b == RISK_RES_NOT_DONE ?
	    RISK_RES_NOT_DONE : RISK_RES_DONE;
}

static void
risk_sweep_done(struct risk_ctx *rc)
{
	struct risk_out o;
	int64_t now = now_mono_ns();

	if (rc->sweep_res == RISK_RES_DONE)
		log_info("cancelled %d open orders of ours on %s (%d of others "
		    "left alone)", rc->sweep_n, rc->s->cfg.symbol,
		    rc->sweep_others);
	else
		rc->errors++;
	rc->sweep_listed = false;
	memset(&o, 0, sizeof(o));
	risk_eval_cancel_done(&rc->ev, rc->sweep_res, &o);
	risk_after(rc, &o, now);
}

/* Each element of a batch cancel: gone already (-2011) is fine. */
static enum risk_result
risk_batch_result(const struct risk_ctx *rc, const struct bn_resp *resp,
    int first, int n)
{
	struct bn_batch b;
	enum risk_result res = RISK_RES_DONE;
	int i;

	if (resp->outcome != BN_OUT_OK)
		return risk_result_of(resp);
	if (bn_parse_batch(resp->body, resp->body_len, &b, NULL) == -1 ||
	    b.n < n)
		return RISK_RES_UNKNOWN;
	for (i = 0; i < n; i++)
		if (b.item[i].is_error && b.item[i].err.code != -2011 &&
		    b.item[i].err.code != -2013) {
			log_warnx("cancel of %s refused: %d %s", rc->sweep[first + i],
			    b.item[i].err.code, b.item[i].err.msg);
			res = RISK_RES_NOT_DONE;
		}
	return res;
}

static int	risk_send_batch(struct risk_ctx *rc);

static void
risk_batch_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;
	int len = rc->sweep_n - rc->sweep_i;

	(void)r;
	rc->act_busy = false;
	if (len > RISK_CANCEL_BATCH)
		len = RISK_CANCEL_BATCH;
	rc->sweep_res = risk_worse(rc->sweep_res, risk_batch_result(rc, resp,
	    rc->sweep_i, len));
	rc->sweep_i += len;
	if (rc->sweep_i < rc->sweep_n && rc->rest != NULL &&
	    risk_send_batch(rc) == 0) {
		rc->act_busy = true;
		return;
	}
	if (rc->sweep_i < rc->sweep_n)
		rc->sweep_res = risk_worse(rc->sweep_res, RISK_RES_NOT_DONE);
	risk_sweep_done(rc);
}

static int
risk_send_batch(struct risk_ctx *rc)
{
	const char *ids[RISK_CANCEL_BATCH];
	char json[RISK_CANCEL_BATCH * (PMM_ID_MAX + 4) + 8];
	struct bn_params p;
	int k, len = rc->sweep_n - rc->sweep_i;

	if (len > RISK_CANCEL_BATCH)
		len = RISK_CANCEL_BATCH;
	for (k = 0; k < len; k++)
		ids[k] = rc->sweep[rc->sweep_i + k];
	if (ord_json_cids(ids, len, json, sizeof(json)) == -1)
		return -1;
	risk_params_symbol(rc, &p);
	bn_params_add(&p, "origClientOrderIdList", json);
	return bn_rest_request(rc->rest, BN_DELETE, "/fapi/v1/batchOrders",
	    BN_AUTH_SIGNED, &p, -1, -1, risk_batch_cb, rc, NULL);
}

static void
risk_list_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;
	struct bn_order *os = NULL;
	struct bn_why why;
	int n = 0;

	(void)r;
	rc->act_busy = false;
	rc->sweep_n = rc->sweep_i = rc->sweep_others = 0;
	rc->sweep_res = risk_result_of(resp);
	if (resp->outcome == BN_OUT_OK) {
		if ((os = calloc(RISK_OPEN_MAX, sizeof(*os))) == NULL ||
		    bn_parse_orders(resp->body, resp->body_len, os,
		    RISK_OPEN_MAX, &n, &why) == -1) {
			log_warnx("openOrders answer: %s", os == NULL ?
			    "out of memory" : why.s);
			rc->sweep_res = RISK_RES_NOT_DONE;
			n = 0;
		} else if (n < 0) {
			/* more than we read: the order service has the rest */
			n = RISK_OPEN_MAX;
			rc->sweep_res = RISK_RES_NOT_DONE;
		}
	}
	rc->sweep_n = risk_own_orders(os, n, rc->s->cfg.instance_id,
	    rc->sweep, RISK_OPEN_MAX, &rc->sweep_others);
	free(os);
	if (rc->sweep_n > RISK_OPEN_MAX)
		rc->sweep_n = RISK_OPEN_MAX;
	rc->sweep_listed = true;
	if (rc->sweep_n > 0 && rc->rest != NULL && risk_send_batch(rc) == 0) {
		rc->act_busy = true;
		return;
	}
	if (rc->sweep_n > 0)
		rc->sweep_res = RISK_RES_NOT_DONE;
	risk_sweep_done(rc);
}

static int
risk_send_cancel(struct risk_ctx *rc)
{
	struct bn_params p;

	risk_params_symbol(rc, &p);
	return bn_rest_request(rc->rest, BN_GET, "/fapi/v1/openOrders",
	    BN_AUTH_SIGNED, &p, -1, -1, risk_list_cb, rc, NULL);
}

static void
risk_order_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;
	struct bn_order od;
	struct risk_out o;
	int64_t now = now_mono_ns();

	(void)r;
	rc->act_busy = false;
	if (resp->outcome == BN_OUT_OK && bn_parse_order(resp->body,
	    resp->body_len, &od, NULL) == 0)
		risk_record(rc, RISK_FLATTEN, "flatten order %s: %s %.8g at "
		    "%.2f", rc->cid, od.status_str, od.executedQty,
		    od.avgPrice);
	else if (resp->outcome == BN_OUT_OK)
		risk_record(rc, RISK_FLATTEN, "flatten order %s accepted",
		    rc->cid);
	else if (resp->outcome != BN_OUT_UNKNOWN)
		risk_record(rc, RISK_FLATTEN, "flatten order %s refused: %d %s",
		    rc->cid, resp->code, resp->msg);
	if (resp->outcome != BN_OUT_OK)
		rc->errors++;
	memset(&o, 0, sizeof(o));
	risk_eval_order_done(&rc->ev, now, risk_result_of(resp), &o);
	risk_after(rc, &o, now);
}

static int
risk_send_order(struct risk_ctx *rc)
{
	const struct cfg *c = &rc->s->cfg;
	char qty[BN_NUMLEN];
	struct bn_params p;
	int rv;

	if (risk_cid_make(rc->cid, sizeof(rc->cid), c->instance_id,
	    ++rc->cid_seq) == -1 || bn_fmt_qty(&rc->ev.lot,
	    rc->ev.fl_steps, qty, sizeof(qty)) == -1) {
		log_warnx("%s: cannot build the order (instance id %s)",
		    __func__, c->instance_id);
		return -1;
	}
	risk_params_symbol(rc, &p);
	bn_params_add(&p, "side", rc->ev.fl_side ? "SELL" : "BUY");
	bn_params_add(&p, "type", "MARKET");
	bn_params_add(&p, "quantity", qty);
	bn_params_add(&p, "reduceOnly", "true");
	bn_params_add(&p, "newClientOrderId", rc->cid);
	bn_params_add(&p, "newOrderRespType", "RESULT");
	rv = bn_rest_request(rc->rest, BN_POST, "/fapi/v1/order",
	    BN_AUTH_SIGNED, &p, -1, -1, risk_order_cb, rc, NULL);
	if (rv == 0)
		log_warnx("flatten order %s sent: %s %s %s reduce-only MARKET",
		    rc->cid, rc->ev.fl_side ? "SELL" : "BUY", qty, c->symbol);
	return rv;
}

static void
risk_query_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct risk_ctx *rc = arg;
	enum risk_result res = RISK_RES_UNKNOWN;
	struct bn_order od;
	struct risk_out o;
	int64_t now = now_mono_ns();

	(void)r;
	rc->act_busy = false;
	if (resp->outcome == BN_OUT_OK && bn_parse_order(resp->body,
	    resp->body_len, &od, NULL) == 0) {
		res = RISK_RES_DONE;
		risk_record(rc, RISK_FLATTEN, "flatten order %s found: %s %.8g "
		    "at %.2f", rc->cid, od.status_str, od.executedQty,
		    od.avgPrice);
	} else if (resp->outcome == BN_OUT_REJECTED && resp->code == -2013) {
		res = RISK_RES_NOT_DONE;
		risk_record(rc, RISK_FLATTEN, "flatten order %s was never "
		    "placed", rc->cid);
	} else
		rc->errors++;
	memset(&o, 0, sizeof(o));
	risk_eval_query_done(&rc->ev, now, res, &o);
	risk_after(rc, &o, now);
}

static int
risk_send_query(struct risk_ctx *rc)
{
	struct bn_params p;

	risk_params_symbol(rc, &p);
	bn_params_add(&p, "origClientOrderId", rc->cid);
	return bn_rest_request(rc->rest, BN_GET, "/fapi/v1/order",
	    BN_AUTH_SIGNED, &p, -1, -1, risk_query_cb, rc, NULL);
}

/*
 * Send what the cycle wants now. These go past the governor's soft limit
 * (bn_rest_request still refuses what the hard limit, a 429 back-off or a
 * ban forbid: then the next turn tries again).
 */
static void
risk_act(struct risk_ctx *rc, int64_t now)
{
	enum risk_act a = risk_eval_next(&rc->ev, now);
	int rv = -1;

	if (a == RISK_ACT_NONE || rc->act_busy || rc->rest == NULL)
		return;
	if (a == RISK_ACT_CANCEL_OURS)
		rv = risk_send_cancel(rc);
	else if (a == RISK_ACT_ORDER)
		rv = risk_send_order(rc);
	else if (a == RISK_ACT_QUERY)
		rv = risk_send_query(rc);
	if (rv != 0)
		return;
	rc->act_busy = true;
	risk_eval_sent(&rc->ev, a);
}

/* ---- the loop --------------------------------------------------------- */

/* What the market and orders sections say; no data counts as stale. */
static void
risk_look(struct risk_ctx *rc)
{
	struct shm_market mk;
	struct shm_orders od;

	/* no usable record, or a corrupt one, is stale: no trusted price */
	if (SVC_READ(rc->s, market, &mk) != SHM_OK) {
		rc->stale = true;
	} else {
		rc->stale = mk.stale || mk.recv_ts_ns == 0 || !(mk.mid > 0);
		if (mk.mark_price > 0 || mk.mid > 0)
			rc->mark = mk.mark_price > 0 ? mk.mark_price : mk.mid;
	}
	/* a corrupt orders record accepts nothing: no flatten on it */
	if (SVC_READ(rc->s, orders, &od) != SHM_OK) {
		rc->user_ok = false;
		rc->pos_unchecked = true;
	} else {
		rc->user_ok = od.listen_key_ok;
		rc->pos_unchecked = !od.pos_checked;
	}
}

static void
risk_timer(struct risk_ctx *rc, int64_t now)
{
	int64_t t = bn_rest_timeout_ns(rc->rest), d;

	t = t < 0 ? RISK_TIMER_MAX_NS : t;
	if ((d = rc->read_at - now) < t)
		t = d;
	if (t < RISK_TIMER_MIN_NS)
		t = RISK_TIMER_MIN_NS;
	rc->s->timer_ns = t < RISK_TIMER_MAX_NS ? t : RISK_TIMER_MAX_NS;
}

static void
risk_on_timer(struct svc *s, int64_t now)
{
	struct risk_ctx *rc = s->priv;
	struct risk_view v;
	struct risk_out o;

	if (rc->rest == NULL)
		return;
	bn_rest_on_timeout(rc->rest);
	risk_look(rc);
	memset(&v, 0, sizeof(v));
	v.now_ns = now;
	v.mark = rc->mark;
	v.realized = rc->book.realized;
	v.stale = rc->stale;
	v.user_ok = rc->user_ok;
	v.pos_unchecked = rc->pos_unchecked;
	memset(&o, 0, sizeof(o));
	risk_eval_tick(&rc->ev, &v, &o);
	risk_after(rc, &o, now);
	risk_info(rc, now);
	risk_read(rc, now);
	risk_balance(rc, now);
	s->hb.errors = rc->errors;
	risk_timer(rc, now);
}

/* Every fill on the account, ours included: position between reads. */
static void
risk_on_fill(struct risk_ctx *rc, const struct pmm_fill *f)
{
	const struct cfg *c = &rc->s->cfg;

	log_debug("fill %s %s %.8g at %.2f, trade time %lld ms (last read "
	    "%lld ms)", f->client_id, f->side ? "SELL" : "BUY", f->qty,
	    f->price, (long long)(f->trade_ts_ns / NS_PER_MS),
	    (long long)rc->book.read_ms);
	risk_book_fill(&rc->book, f->side, f->qty, f->price, f->realized_pnl,
	    f->trade_ts_ns / NS_PER_MS);
	if (risk_cid_is(f->client_id, c->instance_id))
		log_info("flatten fill: %s %.8g at %.2f (%s)",
		    f->side ? "SELL" : "BUY", f->qty, f->price, f->client_id);
	/* looks over the limit: ask the exchange now, not at the next check */
	if (rc->mark > 0 && fabs(rc->book.pos) * rc->mark >
	    rc->ev.p.limit_usdt)
		rc->read_at = 0;
	risk_publish(rc);
}

static void
risk_on_msg(struct svc *s, const struct pmm_msg *m)
{
	struct risk_ctx *rc = s->priv;

	if (m->env.type == PMM_MSG_FILL)
		risk_on_fill(rc, &m->u.fill);
}

static void
risk_on_pause(struct svc *s, int paused, const char *reason)
{
	struct risk_ctx *rc = s->priv;
	struct risk_out o;
	int64_t now = now_mono_ns();

	memset(&o, 0, sizeof(o));
	risk_eval_operator(&rc->ev, now, paused != 0, reason, &o);
	risk_after(rc, &o, now);
}

static struct bn_rest *
risk_rest_new(struct svc *s)
{
	struct bn_rest_hooks h = { .arg = s, .add_fd = risk_rest_add,
	    .mod_fd = NULL, .del_fd = risk_rest_del };
	struct bn_rest_opts o;
	struct bn_rest *r;

	memset(&o, 0, sizeof(o));
	o.base_url = s->cfg.rest_url;
	o.api_key = s->keys->api_key;
	o.secret = s->keys->secret_key;
	o.recv_window_ms = s->cfg.exchange.recv_window_ms;
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 2000;
	o.max_conns = 2;
	if ((r = bn_rest_new(&o, &h)) != NULL) {
		svc_share_rate_limits(s, r);
		svc_refuse_bad_keys(s, r);
	}
	return r;
}

/* Continue from what an earlier run published: position, PnL, latches. */
static void
risk_restore(struct risk_ctx *rc, int64_t now)
{
	struct svc *s = rc->s;
	struct risk_params p;
	struct shm_procs pr;
	struct risk_out o;

	memset(&rc->rk, 0, sizeof(rc->rk));
	rc->rk.wallet_balance = NAN;	/* until the first balance read */
	/* an earlier run's figures are ours; NaN ones were never known */
	if (atomic_load(&s->shm->risk.seq) != 0)
		SVC_READ(s, risk, &rc->rk);
	rc->have_pos = isfinite(rc->rk.position) && rc->rk.checks > 0;
	rc->book.pos = rc->have_pos ? rc->rk.position : 0;
	rc->book.entry = isfinite(rc->rk.entry_price) ? rc->rk.entry_price : 0;
	rc->book.realized = rc->rk.realized_pnl;
	risk_params(&s->cfg, &p);
	risk_eval_init(&rc->ev, &p, rc->rk.pause_causes, now);
	if (rc->ev.causes != 0)
		log_warnx("still paused after a restart: %s",
		    risk_eval_reason(&rc->ev));
	memset(&o, 0, sizeof(o));
	/* an operator pause outlives a restart of this service */
	if (SVC_READ(s, procs, &pr) == SHM_OK && pr.operator_paused)
		risk_eval_operator(&rc->ev, now, true, pr.operator_reason, &o);
	risk_after(rc, &o, now);
}

static int
risk_init(struct svc *s)
{
	struct risk_ctx *rc = s->priv;
	int64_t now = now_mono_ns();
	char base[32];

	rc->s = s;
	/* the asset the wallet balance is read in */
	cfg_symbol_assets(s->cfg.symbol, base, sizeof(base), rc->quote,
	    sizeof(rc->quote));
	/* ids unique across runs: microseconds of wall time */
	rc->cid_seq = (uint64_t)(now_real_ns() / 1000);
	rc->stale = true;
	rc->pos_unchecked = true;
	risk_restore(rc, now);
	if ((rc->rest = risk_rest_new(s)) == NULL)
		return -1;
	rc->info_at = rc->read_at = rc->bal_at = now;
	log_info("position limit %.2f USDT, max loss %s, auto resume %s, "
	    "checks every %.1f s", rc->ev.p.limit_usdt,
	    s->cfg.risk.max_loss_usdt > 0 ? "on" : "off",
	    s->cfg.risk.auto_resume_after > 0 ? "on" : "off",
	    s->cfg.refresh.risk_check_interval);
	return 0;
}

static int
risk_on_reload(struct svc *s, const struct cfg *nc)
{
	struct risk_ctx *rc = s->priv;
	struct risk_params p;

	if (strcasecmp(nc->symbol, s->cfg.symbol) != 0 ||
	    strcmp(nc->rest_url, s->cfg.rest_url) != 0) {
		log_warnx("symbol and BINANCE_REST_URL cannot change on "
		    "reload");
		return -1;
	}
	risk_params(nc, &p);
	if (p.limit_usdt != rc->ev.p.limit_usdt ||
	    p.max_loss_usdt != rc->ev.p.max_loss_usdt ||
	    p.auto_resume_ns != rc->ev.p.auto_resume_ns)
		log_info("position limit %.2f -> %.2f USDT, max loss %.2f -> "
		    "%.2f USDT, auto resume %.0f -> %.0f s",
		    rc->ev.p.limit_usdt, p.limit_usdt, rc->ev.p.max_loss_usdt,
		    p.max_loss_usdt, rc->ev.p.auto_resume_ns / 1e9,
		    p.auto_resume_ns / 1e9);
	risk_eval_set_params(&rc->ev, &p);
	return 0;
}

static void
risk_on_stop(struct svc *s)
{
	struct risk_ctx *rc = s->priv;

	risk_publish(rc);
	if (rc->rest != NULL)
		bn_rest_free(rc->rest);	/* aborts what is in flight */
	rc->rest = NULL;
}

static const struct svc_ops risk_ops = {
	.init = risk_init,
	.on_msg = risk_on_msg,
	.on_timer = risk_on_timer,
	.on_reload = risk_on_reload,
	.on_pause = risk_on_pause,
	.on_stop = risk_on_stop,
};

int
main(int argc, char **argv)
{
	struct risk_ctx rc;

	memset(&rc, 0, sizeof(rc));
	return svc_main(SVC_RISK, &risk_ops, &rc, argc, argv);
}
