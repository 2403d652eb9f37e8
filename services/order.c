/*
 * order.c — the order service: quotes the strategy's ladder on the
 * exchange, keeps the table of its own orders true from REST answers and
 * the user data stream, publishes fills and order events, owns the
 * "orders" section of the state segment, and is stopped first so it can
 * cancel what it placed.
 *
 * Readiness never waits for the exchange: init only builds the REST
 * client and the WebSocket loop, and the exchange start-up runs in the
 * event loop as a sequence of phases (clock, exchangeInfo, a price to
 * check the config at, leverage, listenKey and the user stream, the
 * reconcile of what an earlier run left, the position), each retried with
 * backoff, so an unreachable exchange neither crash-loops the service nor
 * lets it quote. A configuration the exchange's filters refuse stops the
 * service with exit 78, and pmmd stops the tree; so does a position this
 * instance did not leave (ord_pos.c), unless risk.adopt_position. The
 * position is judged only once the fill catch-up has published what
 * happened while nobody listened, and risk acts on it only once it is
 * accepted (the record's pos_checked).
 *
 * Fills nobody heard (this service down, the user stream down) are read
 * back from the trade history once the stream is up (ord_fills.c), and
 * the ledger of what was published is kept in the log directory so a new
 * process neither misses nor repeats one.
 *
 * The hot path is a TICK: strategy, plan, batch JSON, signed request —
 * sent from inside the message handler, before the loop turns again.
 * The decisions are pure modules this file carries out: when to quote and
 * what (quoter.c: refresh, tolerance, pause, staleness, sanity, rejects),
 * the order table, plans, batches and schedules (ord_*.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bn_filters.h"
#include "bn_rest.h"
#include "bn_ws.h"
#include "csvlog.h"
#include "log.h"
#include "ord.h"
#include "ord_rej.h"
#include "pxguard.h"
#include "qstate.h"
#include "quoter.h"
#include "strat.h"
#include "svc_rest.h"
#include "timeutil.h"

#define ORDER_REQ_MAX		48	/* requests of ours in flight */
#define ORDER_REST_CONNS	6
#define ORDER_REST_TIMEOUT_MS	5000
#define ORDER_REST_CONNECT_MS	2000
#define ORDER_TIMER_MIN_NS	NS_PER_MS
#define ORDER_TIMER_MAX_NS	(100 * NS_PER_MS)
#define ORDER_BACKOFF_MIN_NS	(500 * NS_PER_MS)
#define ORDER_BACKOFF_MAX_NS	(30 * NS_PER_S)
/* The user stream must be up this soon after a listenKey, else a new key. */
#define ORDER_STREAM_WAIT_NS	(10 * NS_PER_S)
/* Reconcile rounds at start-up before quoting anyway. */
#define ORDER_RECONCILE_ROUNDS	3
#define ORDER_STOP_BUDGET_NS	(3 * NS_PER_S)
#define ORDER_OPEN_MAX		200	/* openOrders read at once */
/* The start-up position read is judged this long after its answer, and
 * read again this long after a disagreement (ord_pos.c). */
#define ORDER_POS_SETTLE_NS	(300 * NS_PER_MS)
#define ORDER_POS_AGAIN_NS	NS_PER_S
/* The user stream carries what the order table needs, nothing more. */
#define ORDER_USER_EVENTS	"ORDER_TRADE_UPDATE/ACCOUNT_UPDATE"

enum order_phase {
	PH_TIME = 0,		/* reachability, then the clock offset */
	PH_INFO,		/* exchangeInfo: filters and rate limits */
	PH_PRICE,		/* a price to check the configured size at */
	PH_LISTEN_KEY,		/* a listenKey, the user stream opened */
	PH_STREAM,		/* waiting for the user stream to come up */
	PH_OPEN_ORDERS,		/* what an earlier run of ours left */
	PH_RECONCILE,		/* its cancels in flight */
	PH_POSITION,		/* ours, adopted or refused (ord_pos.c) */
	PH_LEVERAGE,		/* only on an account we may trade */
	PH_RUNNING,
};

static const char *const order_phase_names[] = {
	"clock", "exchangeInfo", "price", "listenKey", "user stream",
	"open orders", "reconcile", "position", "leverage", "running",
};

enum order_req_kind {
	RQ_PHASE,		/* a start-up phase's request */
	RQ_PLACE,
	RQ_CANCEL,		/* orders in the table */
	RQ_CANCEL_OTHER,	/* ours, not in the table: reconcile, strays */
	RQ_QUERY,
	RQ_COUNTDOWN,
	RQ_LK_KEEP,
	RQ_LK_NEW,
	RQ_RESYNC,		/* open orders after a user stream gap */
	RQ_TRADES,		/* a page of the trade history */
	RQ_NAME,		/* an order of a recovered fill, by orderId */
};

struct order_ctx;

struct order_req {
	struct order_ctx	*oc;
	bool			 used;
	enum order_req_kind	 kind;
	int			 n;
	int64_t			 oid;		/* RQ_NAME */
	uint64_t		 data_id;	/* RQ_PLACE: market data then */
	char			 cids[ORD_CANCEL_BATCH][PMM_ID_MAX];
};

struct order_rfd {
	int		 fd;
	uint32_t	 ev;
};

struct order_ctx {
	struct svc		*s;
	const struct strat_impl	*impl;
	struct bn_rest		*rest;
	struct bn_ws_loop	*loop;
	struct bn_ws		*user;
	struct order_rfd	 rfd[BN_REST_MAXFD];	/* the client's fds */
	/* the last good copies of the pause flags' sections: a corrupt
	 * copy neither pauses nor resumes us (it is logged, pmmd repairs) */
	struct shm_risk		 seen_risk;
	struct shm_procs	 seen_procs;
	int			 nrfd;
	struct order_req	 req[ORDER_REQ_MAX];

	/* start-up */
	enum order_phase	 phase;
	bool			 phase_busy;
	int64_t			 phase_at_ns;	/* next attempt */
	int64_t			 stream_deadline_ns;
	struct bn_backoff	 backoff;
	unsigned		 phase_fails;
	int			 recon_left, recon_rounds;

	struct bn_filters	 flt;
	struct strat_filters	 sflt;
	struct ord_book		 book;
	struct ord_counts	 cnt;
	struct shm_orders	 rec;
	double			 position;

	/* when to quote and what (quoter.c): the market as last seen, the
	 * refresh schedule, book sanity, the post-only reject memory */
	struct quoter		 q;
	struct qt_plan		 plan;		/* 7 KB, reused by every quote */
	bool			 op_paused;
	char			 op_reason[64];	/* of the PAUSE message */
	/* the last answer was a transport failure: nobody there */
	bool			 unreachable;
	char			 unreach_why[QS_REASON_LEN];
	struct ordr_rate	 rej_rate;	/* post-only rejects, for the CSV */
	struct shm_market	 seen_mkt;	/* for the mark price */
	int64_t			 band_log_ns;

	/* user stream */
	char			 lkey[BN_KEYLEN];
	struct ord_lk		 lk;
	bool			 stream_up, stream_gap, lk_new_busy;
	int64_t			 stream_down_ns;
	struct bn_event		*ev;		/* 33 KB: kept off the stack */

	/* the fill ledger and its catch-up */
	struct ord_fills	 fl;
	struct ord_pos		 pc;		/* the start-up position check */
	bool			 pos_held;	/* an answer waits for the verdict */
	double			 pos_ex;	/* ... the exchange's position */
	char			 fl_path[PATH_MAX];
	char			 seq_path[PATH_MAX];	/* "" = none */
	char			 seq_tmp[PATH_MAX + 8];
	uint64_t		 seq_reserved;	/* ids below it may be used */
	struct bn_backoff	 fl_backoff;
	int64_t			 fl_log_ns;
	int64_t			 fl_retry_ns;	/* a failed save, again at */
	uint64_t		 fl_failures;	/* failed saves in a row */
	uint64_t		 fl_recovered_at;	/* at the catch-up's start */
	int			 fl_names;		/* lookups in flight */

	struct ord_countdown	 cd;
	bool			 cd_armed;	/* by this process, or the dead
						   one a cancel-only run follows */
	bool			 time_reachable;
	uint64_t		 gov_skips, gov_skips_logged;
	int64_t			 gov_log_ns;
	uint64_t		 reject_logs;
	bool			 dirty;		/* shm record to publish */
	bool			 reload;
	/* the stop's cancels as the exchange answered them, for its
	 * last line: asking is not the same as having cancelled */
	struct {
		bool	 on;
		int	 canceled, gone, refused;
	}			 stop;
};

static void	order_quote(struct order_ctx *oc, bool refresh);
static void	order_phase_run(struct order_ctx *oc, int64_t now);
static void	order_fills_save(struct order_ctx *oc);
static void	order_fills_reset(struct order_ctx *oc);

/* ---- the shm record and the bus ------------------------------------------- */

static void
order_publish(struct order_ctx *oc)
{
	ord_to_shm(&oc->book, &oc->rec);
	oc->rec.placed = oc->cnt.placed;
	oc->rec.canceled = oc->cnt.canceled;
	oc->rec.fills = oc->cnt.fills;
	oc->rec.rejects = oc->cnt.rejects;
	oc->rec.listen_key_ok = oc->stream_up;
	SHM_PUBLISH(&oc->s->shm->orders, &oc->rec);
	oc->dirty = false;
}

static void	order_cancel_others(struct order_ctx *oc,
		    const char (*cids)[PMM_ID_MAX], int n);

/*
 * Why we are (not) quoting, for pmmctl status: marked dirty only when it
 * changes, so callers say it as often as they know it (reasons carry no
 * figure that changes every tick).
 */
static void __attribute__((format(printf, 3, 4)))
order_qstate(struct order_ctx *oc, enum quote_state st, const char *fmt, ...)
{
	char reason[QS_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (oc->rec.quote_state == (uint32_t)st &&
	    strcmp(oc->rec.quote_reason, reason) == 0)
		return;
	if (oc->rec.quote_state != (uint32_t)st)
		oc->rec.quote_since_ns = now_real_ns();
	oc->rec.quote_state = (uint32_t)st;
	memcpy(oc->rec.quote_reason, reason, sizeof(oc->rec.quote_reason));
	oc->dirty = true;
}

/* What a table change means outside the table. */
static void
order_apply(struct order_ctx *oc, struct ord_effect *e)
{
	struct pmm_msg m;
	const char (*stray)[PMM_ID_MAX];

	if (e->has_fill && ordf_stream_fill(&oc->fl, e->fill.trade_id)) {
		memset(&m.env, 0, sizeof(m.env));
		m.u.fill = e->fill;
		svc_publish(oc->s, PMM_MSG_FILL, &m);
		ordp_fill(&oc->pc, &oc->fl, &e->fill, oc->s->cfg.instance_id);
		ordf_tally(&oc->rec.tally, &e->fill, oc->s->cfg.symbol);
		oc->dirty = true;
		order_fills_reset(oc);
		order_fills_save(oc);
	} else if (e->has_fill)
		log_debug("fill of trade %lld published already",
		    (long long)e->fill.trade_id);
	if (e->has_event) {
		memset(&m.env, 0, sizeof(m.env));
		m.u.order = e->ev;
		svc_publish(oc->s, PMM_MSG_ORDER_EVENT, &m);
		oc->dirty = true;
	}
	if (e->stray) {
		log_warnx("order %s of ours is open but not in the table: "
		    "cancelling it", e->stray_cid);
		stray = (const char (*)[PMM_ID_MAX])e->stray_cid;
		order_cancel_others(oc, stray, 1);
	}
	if (e->changed) {
		oc->dirty = true;
		/* the diff may want something new now (e.g. a cancel that
		 * waited for an acknowledgement) */
		qt_table_changed(&oc->q, now_mono_ns());
	}
	memset(e, 0, sizeof(*e));
}

/* An order event for an order of ours that is not in the table. */
static void
order_event_other(struct order_ctx *oc, enum pmm_order_kind kind,
    const struct bn_order *o)
{
	struct strat_cid id;
	struct pmm_msg m;

	memset(&m, 0, sizeof(m));
	m.u.order.kind = (uint8_t)kind;
	snprintf(m.u.order.client_id, sizeof(m.u.order.client_id), "%s",
	    o->clientOrderId);
	m.u.order.side = o->side == BN_SIDE_SELL ? STRAT_SELL : STRAT_BUY;
	m.u.order.level = strat_cid_parse(o->clientOrderId, &id) == 0 ?
	    id.level : 0;
	m.u.order.price = o->price;
	m.u.order.qty = o->origQty;
	snprintf(m.u.order.text, sizeof(m.u.order.text), "%s",
	    "not in the order table (an earlier run's, or a stray)");
	svc_publish(oc->s, PMM_MSG_ORDER_EVENT, &m);
}

/* ---- REST client glue (bn_rest.h's banner) ----------------------------------- */

static void
order_rest_fd(struct svc *s, int fd, uint32_t ev, void *arg)
{
	(void)s;
	bn_rest_on_fd(arg, fd, ev);
}

static int
order_rest_add(void *arg, int fd, uint32_t ev)
{
	struct svc *s = arg;
	struct order_ctx *oc = s->priv;

	if (oc->nrfd == BN_REST_MAXFD ||
	    svc_watch_fd(s, fd, ev, order_rest_fd, oc->rest) == -1)
		return -1;
	/* the stop path polls these itself once the loop is gone */
	oc->rfd[oc->nrfd].fd = fd;
	oc->rfd[oc->nrfd++].ev = ev;
	return 0;
}

static void
order_rest_del(void *arg, int fd)
{
	struct svc *s = arg;
	struct order_ctx *oc = s->priv;
	int i;

	for (i = 0; i < oc->nrfd; i++)
		if (oc->rfd[i].fd == fd) {
			oc->rfd[i] = oc->rfd[--oc->nrfd];
			break;
		}
	svc_unwatch_fd(s, fd);
}

static struct order_req *
order_req_get(struct order_ctx *oc, enum order_req_kind kind)
{
	int i;

	for (i = 0; i < ORDER_REQ_MAX; i++)
		if (!oc->req[i].used) {
			memset(&oc->req[i], 0, sizeof(oc->req[i]));
			oc->req[i].used = true;
			oc->req[i].oc = oc;
			oc->req[i].kind = kind;
			return &oc->req[i];
		}
	return NULL;
}

static void
order_req_put(struct order_req *q)
{
	q->used = false;
}

static void	order_quote_state(struct order_ctx *oc);

/*
 * Whether the exchange is there, from every answer: a request that never
 * reached it, or got no answer at all, says not; any HTTP status says it is.
 * While running this is the root cause of whatever else is wrong (a stale
 * market, a stream down, risk's pause), so quote_state says it first.
 */
static void
order_note_reach(struct order_ctx *oc, const struct bn_resp *r)
{
	bool down = r->outcome == BN_OUT_NOT_SENT ||
	    (r->outcome == BN_OUT_UNKNOWN && r->status == 0);

	if (down)
		snprintf(oc->unreach_why, sizeof(oc->unreach_why), "%s: "
		    "exchange not reachable: %.60s", r->path, r->msg);
	else if (r->status == 0)
		return;		/* no news either way */
	if (down == oc->unreachable)
		return;
	oc->unreachable = down;
	if (oc->phase == PH_RUNNING && !oc->s->stopping)
		order_quote_state(oc);
}

static void
order_note_resp(struct order_ctx *oc, const struct bn_resp *r, bool order)
{
	order_note_reach(oc, r);
	if (r->elapsed_ns > 0) {
		shm_lat_record(&oc->rec.rest_rtt, r->elapsed_ns / 1e9);
		oc->dirty = true;
	}
	if (r->hdr.used_weight_1m >= 0) {
		oc->rec.rate_limit_weight = r->hdr.used_weight_1m;
		oc->dirty = true;
	}
	if (order) {
		oc->rec.order_rtt_ms = r->elapsed_ns / 1e6;
		oc->dirty = true;
	}
}

#define ORDER_HOLD_WHY	"rate-limit governor holds quoting requests"

/* Counted, and said once a minute at most: never a log line per round. */
static void
order_gov_skip(struct order_ctx *oc, int64_t wait_ms)
{
	int64_t now = now_mono_ns();

	oc->gov_skips++;
	order_qstate(oc, QS_RATE_LIMIT_HOLD, "%s", ORDER_HOLD_WHY);
	if (wait_ms < 1)
		wait_ms = 1;
	if (wait_ms > SHM_HOLD_MAX_MS)	/* no overflow below, whatever */
		wait_ms = SHM_HOLD_MAX_MS;
	qt_retry_at(&oc->q, now + wait_ms * NS_PER_MS);
	if (now - oc->gov_log_ns >= 60 * NS_PER_S) {
		log_warnx("rate-limit governor: holding requests for %lld ms "
		    "(%" PRIu64 " rounds skipped so far)", (long long)wait_ms,
		    oc->gov_skips);
		oc->gov_log_ns = now;
	}
}

/* Send a signed request with the symbol first; 0, BN_REST_WAIT or -1. */
static int
order_send(struct order_ctx *oc, enum bn_method m, const char *path,
    enum bn_auth auth, struct bn_params *p, bn_rest_cb cb,
    struct order_req *q)
{
	int rc;

	rc = bn_rest_request(oc->rest, m, path, auth, p, -1, -1, cb, q, NULL);
	if (rc != 0)
		order_req_put(q);
	return rc;
}

/* ---- batch answers ------------------------------------------------------------- */

/* What an element of a batch answer, or a batch that failed whole, means. */
struct order_batch_ops {
	const char	*what;
	void		(*item)(struct order_ctx *, struct order_req *, int,
			    const struct bn_batch_item *, int64_t,
			    struct ord_effect *);
	void		(*failed)(struct order_ctx *, const char *,
			    const struct bn_resp *, int64_t,
			    struct ord_effect *);
};

/*
 * Each order of the batch, in order: its element when the answer could be
 * read; asked about when the outcome is unknown (an unreadable answer, one
 * with fewer elements, a timeout or a 503); else the whole batch failed.
 */
static void
order_batch_answer(struct order_ctx *oc, struct order_req *q,
    const struct bn_resp *resp, const struct order_batch_ops *ops)
{
	struct ord_effect e;
	struct bn_batch b;
	struct bn_why why;
	int64_t now = now_mono_ns();
	bool read = false;
	int i;

	memset(&e, 0, sizeof(e));
	order_note_resp(oc, resp, true);
	if (resp->outcome == BN_OUT_OK) {
		read = bn_parse_batch(resp->body, resp->body_len, &b,
		    &why) == 0;
		if (!read)
			log_warnx("%s answer: %s; asking the exchange",
			    ops->what, why.s);
	} else if (resp->outcome == BN_OUT_UNKNOWN)
		log_warnx("%s of %d orders: outcome unknown (%s); asking the "
		    "exchange", ops->what, q->n, resp->msg);
	for (i = 0; i < q->n; i++) {
		if (read && i < b.n)
			ops->item(oc, q, i, &b.item[i], now, &e);
		else if (resp->outcome == BN_OUT_OK ||
		    resp->outcome == BN_OUT_UNKNOWN)
			ord_on_unknown(&oc->book, q->cids[i], now, &e);
		else
			ops->failed(oc, q->cids[i], resp, now, &e);
		order_apply(oc, &e);
	}
}

/* ---- cancels --------------------------------------------------------------- */

static void
order_log_reject(struct order_ctx *oc, const char *what, const char *cid,
    int code, const char *msg)
{
	/* -5022 is the market moving under a post-only order: routine */
	if (code == -5022 || code == -2011) {
		log_debug("%s %s: %d %s", what, cid, code, msg);
		return;
	}
	oc->reject_logs++;
	if (oc->reject_logs <= 10 || (oc->reject_logs & (oc->reject_logs - 1))
	    == 0)
		log_warnx("%s %s refused: %d %s", what, cid, code, msg);
}

static void
order_cancel_item(struct order_ctx *oc, struct order_req *q, int i,
    const struct bn_batch_item *it, int64_t now, struct ord_effect *e)
{
	const char *cid = q->cids[i];

	if (oc->stop.on && q->kind == RQ_CANCEL_OTHER) {
		if (!it->is_error)
			oc->stop.canceled++;
		else if (it->err.code == -2011 || it->err.code == -2013)
			oc->stop.gone++;
		else
			oc->stop.refused++;
	}
	if (it->is_error) {
		if (it->err.code != -2011 && it->err.code != -2013)
			order_log_reject(oc, "cancel", cid, it->err.code,
			    it->err.msg);
		ord_on_cancel_err(&oc->book, cid, it->err.code, it->err.msg,
		    now, e);
		return;
	}
	if (q->kind == RQ_CANCEL_OTHER && ord_find(&oc->book, cid) == NULL) {
		if (it->order.status == BN_ST_CANCELED) {
			oc->cnt.canceled++;
			order_event_other(oc, ORD_CANCELED, &it->order);
			oc->dirty = true;
		}
		return;
	}
	ord_on_cancel_ok(&oc->book, &it->order, now_real_ns(), &oc->cnt, e);
}

static void
order_cancel_failed(struct order_ctx *oc, const char *cid,
    const struct bn_resp *resp, int64_t now, struct ord_effect *e)
{
	if (resp->outcome == BN_OUT_REJECTED)
		ord_on_cancel_err(&oc->book, cid, resp->code, resp->msg, now, e);
	else
		ord_on_cancel_not_sent(&oc->book, cid, now, e);
}

static const struct order_batch_ops order_cancel_ops = {
	"batch cancel", order_cancel_item, order_cancel_failed
};

static void
order_cancel_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;

	(void)r;
	if (oc->stop.on && q->kind == RQ_CANCEL_OTHER &&
	    resp->outcome == BN_OUT_REJECTED)
		oc->stop.refused += q->n;
	order_batch_answer(oc, q, resp, &order_cancel_ops);
	if (oc->phase == PH_RECONCILE && q->kind == RQ_CANCEL_OTHER &&
	    --oc->recon_left <= 0) {
		oc->phase = PH_OPEN_ORDERS;	/* look again */
		oc->phase_busy = false;
	}
	order_req_put(q);
	if (oc->dirty)
		order_publish(oc);
}

/* One DELETE batchOrders for up to ORD_CANCEL_BATCH client ids. */
static int
order_cancel_batch(struct order_ctx *oc, enum order_req_kind kind,
    const char *const *cids, int n)
{
	char json[ORD_CANCEL_BATCH * (PMM_ID_MAX + 4) + 8];
	struct bn_params p;
	struct order_req *q;
	int i, rc;

	if ((q = order_req_get(oc, kind)) == NULL)
		return -1;
	if (ord_json_cids(cids, n, json, sizeof(json)) == -1) {
		order_req_put(q);
		return -1;
	}
	bn_params_init(&p);
	bn_params_add(&p, "symbol", oc->s->cfg.symbol);
	bn_params_add(&p, "origClientOrderIdList", json);
	q->n = n;
	for (i = 0; i < n; i++)
		snprintf(q->cids[i], PMM_ID_MAX, "%s", cids[i]);
	rc = order_send(oc, BN_DELETE, "/fapi/v1/batchOrders", BN_AUTH_SIGNED,
	    &p, order_cancel_cb, q);
	if (rc == 0)
		oc->rec.last_order_ns = now_real_ns();
	return rc;
}

/* Cancel ours that the table does not hold, in batches. */
static void
order_cancel_others(struct order_ctx *oc, const char (*cids)[PMM_ID_MAX],
    int n)
{
	const char *ids[ORD_CANCEL_BATCH];
	int i, k, len;

	for (i = 0; i < n; i += len) {
		len = ord_batch_len(n, i, ORD_CANCEL_BATCH);
		for (k = 0; k < len; k++)
			ids[k] = cids[i + k];
		if (order_cancel_batch(oc, RQ_CANCEL_OTHER, ids, len) != 0)
			log_warnx("could not send the cancel of %d orders of "
			    "ours", len);
		else if (oc->phase == PH_RECONCILE)
			oc->recon_left++;
	}
}

/* ---- places ------------------------------------------------------------------- */

/*
 * What a placement's answer means for its rung's reject memory: a
 * post-only reject (-5022) holds the price until newer market data, an
 * accept (code 0) ends the streak. Other refusals are not the book
 * moving, so they leave it alone.
 */
static void
order_rej_note(struct order_ctx *oc, const char *cid, int code,
    uint64_t data_id, int64_t now)
{
	struct ord *o = ord_find(&oc->book, cid);

	if (o == NULL)
		return;
	qt_on_placed(&oc->q, o->side, o->level, o->px_ticks, code, data_id,
	    now);
	if (code != 0)
		ordr_rate_add(&oc->rej_rate, now, 1);
}

static void
order_place_item(struct order_ctx *oc, struct order_req *q, int i,
    const struct bn_batch_item *it, int64_t now, struct ord_effect *e)
{
	const char *cid = q->cids[i];

	if (it->is_error) {
		order_log_reject(oc, "order", cid, it->err.code, it->err.msg);
		order_rej_note(oc, cid, it->err.code, q->data_id, now);
		ord_on_place_err(&oc->book, cid, it->err.code, it->err.msg,
		    &oc->cnt, e);
		return;
	}
	order_rej_note(oc, cid, 0, q->data_id, now);
	/* the answer names the order; a mismatch would be an exchange bug */
	if (strcmp(it->order.clientOrderId, cid) != 0)
		log_warnx("batch answer for %s names %s", cid,
		    it->order.clientOrderId);
	ord_on_place_ok(&oc->book, &it->order, now_real_ns(), &oc->cnt, e);
}

static void
order_place_failed(struct order_ctx *oc, const char *cid,
    const struct bn_resp *resp, int64_t now, struct ord_effect *e)
{
	(void)now;
	if (resp->outcome == BN_OUT_REJECTED)
		ord_on_place_err(&oc->book, cid, resp->code, resp->msg,
		    &oc->cnt, e);
	else
		ord_on_place_not_sent(&oc->book, cid, e);
}

static const struct order_batch_ops order_place_ops = {
	"batch order", order_place_item, order_place_failed
};

static void
order_place_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;

	(void)r;
	order_batch_answer(oc, q, resp, &order_place_ops);
	order_req_put(q);
	if (oc->dirty)
		order_publish(oc);
}

/* One POST batchOrders; the orders enter the table as PENDING. */
static int
order_place_batch(struct order_ctx *oc, const struct strat_quote *const *qs,
    int n)
{
	char json[ORD_PLACE_BATCH * 256];
	struct bn_params p;
	struct order_req *q;
	int64_t now_real;
	int i, rc;

	if ((q = order_req_get(oc, RQ_PLACE)) == NULL)
		return -1;
	if (ord_json_places(qs, n, oc->s->cfg.symbol, &oc->flt, json,
	    sizeof(json)) == -1) {
		log_warnx("cannot format a batch of %d orders", n);
		order_req_put(q);
		return -1;
	}
	bn_params_init(&p);
	bn_params_add(&p, "batchOrders", json);
	/* quoting: only its share of the limits, the rest is protective */
	rc = bn_rest_request_class(oc->rest, BN_CLASS_QUOTE, BN_POST,
	    "/fapi/v1/batchOrders", BN_AUTH_SIGNED, &p, -1, -1,
	    order_place_cb, q, NULL);
	if (rc != 0) {
		order_req_put(q);
		return rc;
	}
	now_real = now_real_ns();
	q->n = n;
	q->data_id = oc->q.data_id;
	for (i = 0; i < n; i++) {
		snprintf(q->cids[i], PMM_ID_MAX, "%s", qs[i]->client_id);
		ord_add(&oc->book, qs[i], now_real);
	}
	oc->rec.last_order_ns = now_real;
	oc->dirty = true;
	return 0;
}

/* ---- the quoting decision --------------------------------------------------------- */

/* Risk's flag, the operator's flag in pmmd's section, or a PAUSE
 * message; why (may be NULL) gets whose and the reason. */
static bool
order_paused_why(struct order_ctx *oc, char *why, size_t len)
{
	if (why != NULL && len > 0)
		why[0] = '\0';		/* not paused: no reason */
	/* on any error the last good copy stands */
	SVC_READ(oc->s, risk, &oc->seen_risk);
	SVC_READ(oc->s, procs, &oc->seen_procs);
	if (oc->op_paused) {
		if (why != NULL)
			snprintf(why, len, "operator: %s", oc->op_reason);
		return true;
	}
	if (oc->seen_risk.paused) {
		if (why != NULL)
			snprintf(why, len, "risk: %.*s", (int)sizeof(oc->
			    seen_risk.pause_reason), oc->seen_risk.pause_reason);
		return true;
	}
	if (oc->seen_procs.operator_paused) {
		if (why != NULL)
			snprintf(why, len, "operator: %.*s", (int)sizeof(oc->
			    seen_procs.operator_reason),
			    oc->seen_procs.operator_reason);
		return true;
	}
	return false;
}

static void
order_send_cancels(struct order_ctx *oc, const struct ord_plan *pl)
{
	const char *ids[ORD_CANCEL_BATCH];
	struct ord *o[ORD_CANCEL_BATCH];
	int64_t wait, now_real = now_real_ns();
	int i, k, len, rc;

	for (i = 0; i < pl->n_cancel; i += len) {
		len = ord_batch_len(pl->n_cancel, i, ORD_CANCEL_BATCH);
		if ((wait = bn_rest_can_send(oc->rest, 1, 0)) > 0) {
			order_gov_skip(oc, wait);
			return;
		}
		for (k = 0; k < len; k++) {
			o[k] = &oc->book.o[pl->cancel[i + k]];
			ids[k] = o[k]->cid;
		}
		rc = order_cancel_batch(oc, RQ_CANCEL, ids, len);
		if (rc == BN_REST_WAIT) {
			order_gov_skip(oc, bn_rest_can_send(oc->rest, 1, 0));
			return;
		}
		if (rc != 0)
			return;
		for (k = 0; k < len; k++)
			ord_cancel_sent(o[k], now_real);
		oc->dirty = true;
	}
}

static void
order_send_places(struct order_ctx *oc, const struct strat_out *out,
    const struct ord_plan *pl)
{
	const struct strat_quote *qs[ORD_PLACE_BATCH];
	int64_t wait;
	int i, k, len, rc;

	for (i = 0; i < pl->n_place; i += len) {
		len = ord_batch_len(pl->n_place, i, ORD_PLACE_BATCH);
		if ((wait = bn_rest_can_send_class(oc->rest, BN_CLASS_QUOTE, 5,
		    len)) > 0) {
			order_gov_skip(oc, wait);
			return;
		}
		for (k = 0; k < len; k++)
			qs[k] = &out->place[pl->place[i + k]];
		rc = order_place_batch(oc, qs, len);
		if (rc == BN_REST_WAIT) {
			order_gov_skip(oc, bn_rest_can_send_class(oc->rest,
			    BN_CLASS_QUOTE, 5, len));
			return;
		}
		if (rc != 0)
			return;
	}
}

/* What the service knows now, for the quoter; why holds the pause's. */
static void
order_facts(struct order_ctx *oc, struct qt_facts *f, char *why, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->paused = order_paused_why(oc, why, len);
	f->pause_why = why;
	/* on a read error the last good copy stands, and says nothing of
	 * staleness */
	f->market_stale = SVC_READ(oc->s, market, &oc->seen_mkt) == SHM_OK &&
	    oc->seen_mkt.stale;
	f->mark_price = oc->seen_mkt.mark_price;
	f->stream_up = oc->stream_up;
	f->unreachable = oc->unreachable ? oc->unreach_why : NULL;
	f->position = oc->position;
	qt_est_from(&f->est, &oc->seen_mkt, &oc->s->cfg);
	f->real_ns = now_real_ns();
}

/*
 * The quoter's state, unless the rate-limit governor holds quoting now: a
 * hold (a 429's Retry-After, a 418 ban, the weight used up) outlasts the
 * turn that met it, and a tick with nothing to send must not read
 * "quoting" while nothing could go (status flapped once a second).
 */
static void
order_qstate_quoter(struct order_ctx *oc, enum quote_state st,
    const char *reason)
{
	if (st == QS_QUOTING &&
	    bn_rest_can_send_class(oc->rest, BN_CLASS_QUOTE, 1, 0) > 0)
		order_qstate(oc, QS_RATE_LIMIT_HOLD, "%s", ORDER_HOLD_WHY);
	else
		order_qstate(oc, st, "%s", reason);
}

/* The quote state between evaluations (the link changed). */
static void
order_quote_state(struct order_ctx *oc)
{
	char reason[QS_REASON_LEN];
	enum quote_state st;

	st = qt_state(&oc->q, oc->stream_up, oc->unreachable ?
	    oc->unreach_why : NULL, reason, sizeof(reason));
	order_qstate_quoter(oc, st, reason);
}

/* The book's sanity changed: one ORDER_EVENT (a CSV row) and a log line. */
static void
order_event_book(struct order_ctx *oc, const struct qt_plan *p)
{
	bool insane = p->book == QT_BOOK_INSANE;
	struct pmm_msg m;

	qt_book_event(&oc->q, p, &m);
	svc_publish(oc->s, PMM_MSG_ORDER_EVENT, &m);
	if (insane)
		log_warnx("not quoting: %s; our orders cancelled",
		    oc->q.insane_why);
	else
		log_info("book sane again (mid %.10g): quoting", p->mid);
}

/* PERCENT_PRICE drops are counted by the quoter and said here once a
 * minute, never once a tick. */
static void
order_band_log(struct order_ctx *oc, const struct qt_plan *p, int64_t now)
{
	const struct strat_quote *q = &p->out.place[p->first_oob];

	if (now - oc->band_log_ns < 60 * NS_PER_S)
		return;
	log_warnx("%s %d at %.10g is outside PERCENT_PRICE around mark %.10g: "
	    "not sent (%" PRIu64 " so far)", q->side == STRAT_SELL ? "ask" :
	    "bid", q->level, q->price, oc->seen_mkt.mark_price,
	    oc->q.out_of_band);
	oc->band_log_ns = now;
}

static void	order_seq_reserve(struct order_ctx *);

/*
 * Evaluate (quoter.c decides) and send what the plan asks for, at once:
 * cancels first (in replace mode the old ladder leaves before the new
 * arrives), then places. No logging here above debug: this is the tick
 * path.
 */
static void
order_quote(struct order_ctx *oc, bool refresh)
{
	struct qt_plan *p = &oc->plan;
	struct qt_facts f;
	int64_t now = now_mono_ns();
	char why[QS_REASON_LEN + 64];	/* cut to fit in the quote state */

	if (oc->phase != PH_RUNNING || oc->s->stopping)
		return;
	order_facts(oc, &f, why, sizeof(why));
	/* ids past the reservation are never handed out unsaved */
	if (strat_seq_reserve(oc->q.next_seq + STRAT_MAX_QUOTES,
	    oc->seq_reserved) != 0)
		order_seq_reserve(oc);
	qt_eval(&oc->q, &f, &oc->book, refresh, now, p);
	if (qt_model(&oc->rec, &f, p, &oc->s->cfg))
		oc->dirty = true;
	if (p->book != QT_BOOK_SAME)
		order_event_book(oc, p);
	if (p->out_of_band > 0)
		order_band_log(oc, p, now);
	order_qstate_quoter(oc, p->state, p->reason);
	if (p->pl.n_cancel > 0)
		order_send_cancels(oc, &p->pl);
	if (p->pl.n_place > 0)
		order_send_places(oc, &p->out, &p->pl);
	if (oc->dirty)
		order_publish(oc);
}

/* ---- unknown outcomes --------------------------------------------------------------- */

static void
order_query_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	struct ord_effect e;
	struct bn_order o;
	struct bn_why why;
	struct ord *left;
	bool have = false;

	(void)r;
	memset(&e, 0, sizeof(e));
	order_note_resp(oc, resp, false);
	if (resp->outcome == BN_OUT_OK) {
		if (bn_parse_order(resp->body, resp->body_len, &o, &why) == 0)
			have = true;
		else
			log_warnx("order query answer: %s", why.s);
	}
	ord_on_query(&oc->book, q->cids[0], resp->outcome, resp->status,
	    resp->code, have ? &o : NULL, now_mono_ns(), now_real_ns(),
	    &oc->cnt, &e);
	if ((left = ord_find(&oc->book, q->cids[0])) == NULL || !left->unknown)
		log_info("order %s: outcome resolved (%s)", q->cids[0],
		    have ? o.status_str : resp->msg);
	order_apply(oc, &e);
	order_req_put(q);
	if (oc->dirty)
		order_publish(oc);
}

static void
order_queries(struct order_ctx *oc, int64_t now)
{
	char cids[8][PMM_ID_MAX];
	struct bn_params p;
	struct order_req *q;
	int i, n;

	n = ord_queries_due(&oc->book, now, cids, 8);
	for (i = 0; i < n; i++) {
		if (bn_rest_can_send(oc->rest, 1, 0) > 0 ||
		    (q = order_req_get(oc, RQ_QUERY)) == NULL)
			return;
		q->n = 1;
		snprintf(q->cids[0], PMM_ID_MAX, "%.*s", PMM_ID_MAX - 1,
		    cids[i]);
		bn_params_init(&p);
		bn_params_add(&p, "symbol", oc->s->cfg.symbol);
		bn_params_add(&p, "origClientOrderId", cids[i]);
		if (order_send(oc, BN_GET, "/fapi/v1/order", BN_AUTH_SIGNED,
		    &p, order_query_cb, q) == 0)
			ord_query_sent(&oc->book, cids[i], now);
	}
}

/* ---- the user data stream -------------------------------------------------------------- */

static void
order_lk_new(struct order_ctx *oc, const char *why);

static void
order_on_account(struct order_ctx *oc, const struct bn_account_update *au)
{
	struct pmm_msg m;
	int i;

	/* funding is paid on the position held before this update */
	memset(&m, 0, sizeof(m));
	if (ordf_funding(&oc->rec.tally, au, oc->s->cfg.symbol, oc->position,
	    &m.u.funding)) {
		log_info("funding %+.8f %s on a position of %g (%.8f since "
		    "start)", m.u.funding.amount, m.u.funding.asset,
		    oc->position, oc->rec.tally.funding);
		svc_publish(oc->s, PMM_MSG_FUNDING, &m);
		oc->dirty = true;
	}
	for (i = 0; i < au->nP; i++)
		if (strcasecmp(au->P[i].s, oc->s->cfg.symbol) == 0 &&
		    (au->P[i].ps[0] == '\0' ||
		    strcmp(au->P[i].ps, "BOTH") == 0))
			oc->position = au->P[i].pa;
}

static void
order_user_msg(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	struct order_ctx *oc = arg;
	struct ord_effect e;
	struct bn_why why;

	(void)ws;
	if (bn_parse_event(data, len, oc->ev, &why) == -1) {
		oc->s->hb.errors++;
		log_warnx("user stream: dropped a malformed event: %s", why.s);
		return;
	}
	memset(&e, 0, sizeof(e));
	switch (oc->ev->type) {
	case BN_EV_ORDER_UPDATE:
		if (strcasecmp(oc->ev->u.ou.s, oc->s->cfg.symbol) != 0)
			return;
		ord_on_update(&oc->book, &oc->ev->u.ou,
		    oc->s->cfg.instance_id, now_real_ns(), &oc->cnt, &e);
		order_apply(oc, &e);
		break;
	case BN_EV_ACCOUNT_UPDATE:
		order_on_account(oc, &oc->ev->u.au);
		break;
	case BN_EV_LISTEN_KEY_EXPIRED:
		order_lk_new(oc, "listenKeyExpired");
		break;
	default:
		break;
	}
	if (oc->dirty)
		order_publish(oc);
}

static void	order_resync(struct order_ctx *oc);

static void
order_user_state(struct bn_ws *ws, enum bn_ws_event ev, const char *why,
    void *arg)
{
	struct order_ctx *oc = arg;

	(void)ws;
	if (ev == BN_WS_ROLLOVER)
		return;
	if (ev == BN_WS_DOWN) {
		if (oc->stream_up)
			log_warnx("user stream down (%s): no new orders until "
			    "it is back", why != NULL ? why : "");
		if (oc->stream_up)
			ordf_gap(&oc->fl);	/* fills may pass unheard */
		oc->stream_up = false;
		oc->stream_down_ns = now_mono_ns();
		if (oc->phase == PH_RUNNING) {
			oc->stream_gap = true;
			order_quote_state(oc);
		}
		order_publish(oc);
		return;
	}
	oc->stream_up = true;
	if (oc->phase == PH_RUNNING)
		order_quote_state(oc);
	order_publish(oc);
	if (oc->phase == PH_STREAM) {
		log_info("user stream up");
		oc->phase = PH_OPEN_ORDERS;
		oc->phase_busy = false;
		oc->phase_at_ns = 0;
	} else if (oc->stream_gap) {
		log_info("user stream back: checking the open orders");
		oc->stream_gap = false;
		order_resync(oc);
	}
}

static int
order_user_url(struct order_ctx *oc, char *url, size_t len)
{
	if (bn_ws_url_user(url, len, oc->s->cfg.ws_url, oc->lkey,
	    ORDER_USER_EVENTS, 0) == -1) {
		log_warnx("cannot build the user stream URL from "
		    "BINANCE_WS_URL %s", oc->s->cfg.ws_url);
		return -1;
	}
	return 0;
}

/* A (new) listenKey: point the stream at it. */
static int
order_user_connect(struct order_ctx *oc)
{
	struct bn_ws_opts o;
	char url[512];

	if (order_user_url(oc, url, sizeof(url)) == -1)
		return -1;
	if (oc->user != NULL) {
		/*
		 * A new connection for the new key, so nothing of the old
		 * one can be mistaken for the new stream's. Never called
		 * from a bn_ws callback.
		 */
		bn_ws_close(oc->user);
		oc->user = NULL;
		if (oc->stream_up) {
			ordf_gap(&oc->fl);
			oc->stream_up = false;
			oc->stream_down_ns = now_mono_ns();
			if (oc->phase == PH_RUNNING)
				oc->stream_gap = true;	/* events may be lost */
			order_publish(oc);
		}
	}
	memset(&o, 0, sizeof(o));
	o.name = "user";
	o.url = url;
	o.on_msg = order_user_msg;
	o.on_state = order_user_state;
	o.arg = oc;
	return (oc->user = bn_ws_open(oc->loop, &o)) == NULL ? -1 : 0;
}

static void
order_lk_new_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	struct bn_why why;

	(void)r;
	order_req_put(q);
	oc->lk_new_busy = false;
	order_note_resp(oc, resp, false);
	if (resp->outcome != BN_OUT_OK || bn_parse_listen_key(resp->body,
	    resp->body_len, oc->lkey, sizeof(oc->lkey), &why) == -1) {
		oc->stream_down_ns = now_mono_ns();	/* try again later */
		return;
	}
	ord_lk_init(&oc->lk, oc->s->cfg.listen_key_refresh_interval,
	    now_mono_ns());
	order_user_connect(oc);
}

/* listenKeyExpired, -1125 or a stream that cannot come back: a new key. */
static void
order_lk_new(struct order_ctx *oc, const char *why)
{
	struct order_req *q;

	if (oc->lk_new_busy || oc->phase < PH_STREAM)
		return;
	log_info("user stream: new listenKey (%s)", why);
	oc->stream_down_ns = now_mono_ns();
	if ((q = order_req_get(oc, RQ_LK_NEW)) == NULL)
		return;
	if (order_send(oc, BN_POST, "/fapi/v1/listenKey", BN_AUTH_KEY, NULL,
	    order_lk_new_cb, q) == 0)
		oc->lk_new_busy = true;
}

static void
order_lk_keep_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;

	(void)r;
	order_req_put(q);
	order_note_resp(oc, resp, false);
	ord_lk_done(&oc->lk, now_mono_ns(), resp->outcome == BN_OUT_OK);
	if (resp->code == -1125)
		order_lk_new(oc, "keepalive: -1125");
}

static void
order_lk_keep(struct order_ctx *oc)
{
	struct order_req *q;

	if ((q = order_req_get(oc, RQ_LK_KEEP)) == NULL)
		return;
	if (order_send(oc, BN_PUT, "/fapi/v1/listenKey", BN_AUTH_KEY, NULL,
	    order_lk_keep_cb, q) == 0)
		ord_lk_sent(&oc->lk);
	else
		ord_lk_done(&oc->lk, now_mono_ns(), false);
}

static void
order_ws_fd(struct svc *s, int fd, uint32_t ev, void *arg)
{
	(void)s;
	(void)fd;
	(void)ev;
	bn_ws_loop_run(arg, 0);
}

/* ---- open orders after a gap in the user stream ----------------------------------------- */

static struct bn_order *
order_parse_open(const struct bn_resp *resp, int *n)
{
	struct bn_order *os;
	struct bn_why why;

	if ((os = calloc(ORDER_OPEN_MAX, sizeof(*os))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if (bn_parse_orders(resp->body, resp->body_len, os, ORDER_OPEN_MAX, n,
	    &why) == -1) {
		log_warnx("openOrders answer: %s", why.s);
		free(os);
		return NULL;
	}
	if (*n < 0)
		*n = ORDER_OPEN_MAX;	/* more than we read: the rest later */
	return os;
}

/* Orders the table believes open but the exchange does not know went
 * while the stream was down; ours the table lacks are cancelled. */
static void
order_resync_apply(struct order_ctx *oc, const struct bn_order *os, int n)
{
	char cids[ORDER_OPEN_MAX][PMM_ID_MAX];
	struct ord *o;
	int i, k, lost = 0, stray = 0;
	bool found;

	for (i = oc->book.n - 1; i >= 0; i--) {
		o = &oc->book.o[i];
		if (o->state == ORD_PENDING || o->unknown)
			continue;
		for (k = 0, found = false; k < n && !found; k++)
			found = strcmp(os[k].clientOrderId, o->cid) == 0;
		if (!found) {
			ord_remove(&oc->book, o);
			lost++;
		}
	}
	for (k = 0; k < n; k++)
		if (strat_cid_ours(os[k].clientOrderId,
		    oc->s->cfg.instance_id) &&
		    ord_find(&oc->book, os[k].clientOrderId) == NULL)
			snprintf(cids[stray++], PMM_ID_MAX, "%s",
			    os[k].clientOrderId);
	if (lost > 0)
		log_warnx("%d orders closed while the user stream was down "
		    "(fills in that gap were not seen here)", lost);
	if (stray > 0)
		order_cancel_others(oc, (const char (*)[PMM_ID_MAX])cids,
		    stray);
	oc->dirty = true;
}

static void
order_resync_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	struct bn_order *os;
	int n = 0;

	(void)r;
	order_req_put(q);
	order_note_resp(oc, resp, false);
	if (resp->outcome != BN_OUT_OK ||
	    (os = order_parse_open(resp, &n)) == NULL) {
		oc->stream_gap = true;	/* try again with the next UP */
		return;
	}
	order_resync_apply(oc, os, n);
	free(os);
	order_publish(oc);
	order_quote(oc, false);
}

static void
order_resync(struct order_ctx *oc)
{
	struct bn_params p;
	struct order_req *q;

	if ((q = order_req_get(oc, RQ_RESYNC)) == NULL)
		return;
	bn_params_init(&p);
	bn_params_add(&p, "symbol", oc->s->cfg.symbol);
	if (order_send(oc, BN_GET, "/fapi/v1/openOrders", BN_AUTH_SIGNED, &p,
	    order_resync_cb, q) != 0)
		oc->stream_gap = true;
}

/* ---- fills nobody heard ------------------------------------------------------- */

/* Said once per reset, where it is noticed. */
static void
order_fills_reset(struct order_ctx *oc)
{
	if (!oc->fl.reset)
		return;
	/* every ./run.sh starts a fresh local exchange: routine there; on
	 * Binance ids never go back, so it means another account or venue */
	if (oc->s->cfg.exchange_env == CFG_ENV_SIM)
		log_info("trade ids restarted (a fresh local exchange): fill "
		    "ledger restarted from trade %lld", (long long)oc->fl.safe);
	else
		log_warnx("trade ids went backwards (another exchange or "
		    "account?): fill ledger restarted from trade %lld",
		    (long long)oc->fl.safe);
	oc->fl.reset = false;
}

/* Write line to tmp and rename it over path; 0, or an errno. */
static int
order_fills_write(const char *path, const char *tmp, const char *line,
    size_t n)
{
	ssize_t w;
	int fd, err = 0;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return errno;
	while (err == 0 && n > 0) {
		if ((w = write(fd, line, n)) > 0) {
			line += w;
			n -= (size_t)w;
		} else if (w == -1 && errno != EINTR)
			err = errno;
		else if (w == 0)
			err = ENOSPC;	/* a file write of 0 bytes: no room */
	}
	if (close(fd) == -1 && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, path) == -1)
		err = errno;
	if (err != 0)
		unlink(tmp);
	return err;
}

/*
 * The ledger line, written whole (rename) after every change. A failed
 * save (a full disk) keeps the ledger dirty: order_on_timer tries again
 * every second until it succeeds, or a later run would publish again the
 * fills this one published meanwhile.
 */
static void
order_fills_save(struct order_ctx *oc)
{
	char line[ORDF_LINE_MAX], tmp[PATH_MAX + 8];
	int64_t now = now_mono_ns();
	int n, err;

	if (!oc->fl.dirty || oc->fl_path[0] == '\0' ||
	    (n = ordf_format(&oc->fl, line, sizeof(line))) < 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", oc->fl_path);
	if ((err = order_fills_write(oc->fl_path, tmp, line, (size_t)n)) == 0) {
		oc->fl.dirty = false;
		if (oc->fl_failures > 0)
			log_info("fill ledger %s saved again after %llu failed "
			    "attempts", oc->fl_path,
			    (unsigned long long)oc->fl_failures);
		oc->fl_failures = 0;
		return;
	}
	oc->fl_failures++;
	oc->fl_retry_ns = now + NS_PER_S;
	/* the ledger still works in memory; said once a minute at most */
	if (now - oc->fl_log_ns >= 60 * NS_PER_S) {
		log_warnx("fill ledger %s: %s; retrying every second (%llu "
		    "failed attempts so far)", oc->fl_path, strerror(err),
		    (unsigned long long)oc->fl_failures);
		oc->fl_log_ns = now;
	}
}

/*
 * Client ids unique across a clock step: "reserved N" in
 * <log_directory>/.seq-<instance>-<env>, written before an id at or past
 * the last reservation is handed out (once per STRAT_SEQ_BLOCK orders).
 */
static void
order_seq_reserve(struct order_ctx *oc)
{
	char line[64];
	uint64_t r;
	int n, err;

	if (oc->seq_path[0] == '\0' ||
	    (r = strat_seq_reserve(oc->q.next_seq, oc->seq_reserved)) == 0)
		return;
	n = snprintf(line, sizeof(line), "reserved %llu\n",
	    (unsigned long long)r);
	snprintf(oc->seq_tmp, sizeof(oc->seq_tmp), "%s.tmp", oc->seq_path);
	if ((err = order_fills_write(oc->seq_path, oc->seq_tmp, line,
	    (size_t)n)) != 0) {
		log_warnx("%s: %s: client ids rely on the clock alone",
		    oc->seq_path, strerror(err));
		oc->seq_path[0] = '\0';
		return;
	}
	oc->seq_reserved = r;
}

/* The first seq of this run: past the clock and past what was reserved. */
static void
order_seq_load(struct order_ctx *oc)
{
	const struct cfg *c = &oc->s->cfg;
	unsigned long long r = 0;
	FILE *fp;

	oc->seq_reserved = 0;
	if (snprintf(oc->seq_path, sizeof(oc->seq_path), "%s/.seq-%s-%s",
	    c->logging.log_directory, c->instance_id,
	    cfg_env_name(c->exchange_env)) >= (int)sizeof(oc->seq_path))
		oc->seq_path[0] = '\0';
	else if ((fp = fopen(oc->seq_path, "re")) != NULL) {
		if (fscanf(fp, "reserved %llu", &r) != 1)
			log_warnx("%s is not one this program wrote; ids "
			    "start from the clock", oc->seq_path);
		fclose(fp);
	}
	oc->q.next_seq = strat_seq_start(now_real_ns(), r);
	if (r > strat_seq_seed(now_real_ns()))
		log_info("client ids start at the reservation of an earlier "
		    "run (%llu), past the clock: it stepped back", r);
	order_seq_reserve(oc);
}

static void
order_fills_load(struct order_ctx *oc)
{
	const struct cfg *c = &oc->s->cfg;
	char line[ORDF_LINE_MAX];
	ssize_t n;
	int fd;

	if (snprintf(oc->fl_path, sizeof(oc->fl_path), "%s/.fills-%s-%s",
	    c->logging.log_directory, c->instance_id,
	    cfg_env_name(c->exchange_env)) >= (int)sizeof(oc->fl_path) ||
	    csv_mkdirs(c->logging.log_directory) == -1) {
		log_warn("fill ledger in %s: fills while the service is down "
		    "will not be read back", c->logging.log_directory);
		oc->fl_path[0] = '\0';
		return;
	}
	if ((fd = open(oc->fl_path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("fill ledger %s", oc->fl_path);
		return;		/* a first run: it starts from now */
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	line[n > 0 ? n : 0] = '\0';
	if (ordf_load(&oc->fl, line) == -1)
		log_warnx("fill ledger %s is not one this program wrote; "
		    "starting it from the newest trade", oc->fl_path);
}

static void	order_fills_step(struct order_ctx *oc);

static void
order_fills_failed(struct order_ctx *oc, const char *what,
    const struct bn_resp *resp)
{
	int64_t wait = bn_backoff_next(&oc->fl_backoff);

	log_warnx("fill catch-up: %s: %s (%d %s); again in %.1f s", what,
	    bn_outcome_name(resp->outcome), resp->code, resp->msg, wait / 1e9);
	ordf_failed(&oc->fl, now_mono_ns() + wait);
}

static void
order_name_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	struct bn_order o;
	struct bn_why why;
	int64_t oid = q->oid;

	(void)r;
	order_req_put(q);
	order_note_resp(oc, resp, false);
	oc->fl_names--;
	if (!oc->fl.walking)
		return;		/* the page was given up */
	if (resp->outcome == BN_OUT_OK && bn_parse_order(resp->body,
	    resp->body_len, &o, &why) == 0 && o.orderId == oid)
		ordf_named(&oc->fl, oid, o.clientOrderId);
	else if (resp->outcome == BN_OUT_REJECTED)
		ordf_named(&oc->fl, oid, "");	/* published without one */
	else {
		order_fills_failed(oc, "order lookup", resp);
		return;
	}
	order_fills_step(oc);
}

/* Ask for the orders the page's fills need named; -1 to try later. */
static int
order_fills_names(struct order_ctx *oc)
{
	int64_t ids[8];
	struct bn_params p;
	struct order_req *q;
	int i, n;

	n = ordf_wanted(&oc->fl, &oc->book, ids, 8);
	for (i = 0; i < n; i++) {
		if ((q = order_req_get(oc, RQ_NAME)) == NULL)
			return -1;
		q->oid = ids[i];
		bn_params_init(&p);
		bn_params_add(&p, "symbol", oc->s->cfg.symbol);
		bn_params_addf(&p, "orderId", "%lld", (long long)ids[i]);
		if (order_send(oc, BN_GET, "/fapi/v1/order", BN_AUTH_SIGNED,
		    &p, order_name_cb, q) != 0)
			return -1;
		oc->fl_names++;
	}
	return n > 0 ? 0 : -1;
}

static void
order_fills_page_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	struct bn_user_trade *t;
	struct bn_why why;
	int n = 0, limit = q->n;

	(void)r;
	order_req_put(q);
	order_note_resp(oc, resp, false);
	if (resp->outcome != BN_OUT_OK) {
		order_fills_failed(oc, "userTrades", resp);
		return;
	}
	snprintf(why.s, sizeof(why.s), "more trades than asked for");
	if ((t = calloc((size_t)limit, sizeof(*t))) == NULL ||
	    bn_parse_user_trades(resp->body, resp->body_len, t, limit, &n,
	    &why) == -1 || n < 0) {
		free(t);
		t = NULL;
	} else if (ordf_page(&oc->fl, t, n, limit) == -1)
		snprintf(why.s, sizeof(why.s), "trades not in ascending order");
	else
		why.s[0] = '\0';
	if (why.s[0] != '\0') {
		log_warnx("fill catch-up: userTrades answer unusable: %s",
		    why.s);
		ordf_failed(&oc->fl, now_mono_ns() +
		    bn_backoff_next(&oc->fl_backoff));
		return;
	}
	order_fills_step(oc);
}

static void
order_fills_ask(struct order_ctx *oc)
{
	struct bn_params p;
	struct order_req *q;
	int64_t from;
	int limit;

	if (oc->s->stopping || bn_rest_can_send(oc->rest, 5, 0) > 0 ||
	    (q = order_req_get(oc, RQ_TRADES)) == NULL)
		return;		/* the timer comes back */
	ordf_page_req(&oc->fl, &from, &limit);
	q->n = limit;
	bn_params_init(&p);
	bn_params_add(&p, "symbol", oc->s->cfg.symbol);
	if (from > 0)
		bn_params_addf(&p, "fromId", "%lld", (long long)from);
	bn_params_addf(&p, "limit", "%d", limit);
	if (order_send(oc, BN_GET, "/fapi/v1/userTrades", BN_AUTH_SIGNED, &p,
	    order_fills_page_cb, q) != 0)
		ordf_failed(&oc->fl, now_mono_ns() + 100 * NS_PER_MS);
}

static void
order_fills_done(struct order_ctx *oc)
{
	uint64_t n = oc->fl.recovered - oc->fl_recovered_at;

	bn_backoff_reset(&oc->fl_backoff);
	if (n > 0)
		log_info("fill catch-up: %" PRIu64 " fills nobody heard read "
		    "back from the trade history", n);
	order_fills_reset(oc);
}

/* Publish what the page allows, then ask for what it lacks. */
static void
order_fills_step(struct order_ctx *oc)
{
	struct pmm_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	for (;;) {
		while ((rc = ordf_next(&oc->fl, &oc->book,
		    oc->s->cfg.instance_id, &m.u.fill)) == ORDF_FILL) {
			memset(&m.env, 0, sizeof(m.env));
			svc_publish(oc->s, PMM_MSG_FILL, &m);
			ordp_fill(&oc->pc, &oc->fl, &m.u.fill,
			    oc->s->cfg.instance_id);
			ordf_tally(&oc->rec.tally, &m.u.fill,
			    oc->s->cfg.symbol);
			oc->cnt.fills++;
			oc->dirty = true;
			order_fills_save(oc);	/* each: none repeated */
		}
		order_fills_save(oc);
		if (rc != ORDF_WAIT || oc->fl_names > 0)
			break;
		if (order_fills_names(oc) == -1) {
			ordf_failed(&oc->fl, now_mono_ns() + 500 * NS_PER_MS);
			return;
		}
	}
	if (rc == ORDF_MORE)
		order_fills_ask(oc);
	else if (rc == ORDF_DONE)
		order_fills_done(oc);
}

/* Once the user stream is up, whatever passed before it is read back. */
static void
order_fills_run(struct order_ctx *oc, int64_t now)
{
	if (!oc->stream_up || oc->phase <= PH_STREAM || oc->s->stopping ||
	    !ordf_due(&oc->fl, now))
		return;
	oc->fl_recovered_at = oc->fl.recovered;
	order_fills_ask(oc);
}

/* ---- the dead man's switch ---------------------------------------------------------------- */

static void
order_cd_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	bool ok = resp->outcome == BN_OUT_OK;

	(void)r;
	order_req_put(q);
	order_note_resp(oc, resp, false);
	if (!ok && oc->cd.ms > 0)
		log_warnx("countdownCancelAll not renewed: %s", resp->msg);
	if (ok && oc->cd.ms == 0)
		oc->cd_armed = false;
	ord_cd_done(&oc->cd, now_mono_ns(), ok);
}

static void
order_countdown(struct order_ctx *oc, int64_t now)
{
	struct bn_params p;
	struct order_req *q;

	if (bn_rest_can_send(oc->rest, 10, 0) > 0 ||
	    (q = order_req_get(oc, RQ_COUNTDOWN)) == NULL)
		return;
	bn_params_init(&p);
	bn_params_add(&p, "symbol", oc->s->cfg.symbol);
	bn_params_addf(&p, "countdownTime", "%d", oc->cd.ms);
	if (order_send(oc, BN_POST, "/fapi/v1/countdownCancelAll",
	    BN_AUTH_SIGNED, &p, order_cd_cb, q) == 0) {
		ord_cd_sent(&oc->cd, now);
		/* may be armed from here on, whatever the answer says */
		if (oc->cd.ms > 0)
			oc->cd_armed = true;
	} else
		ord_cd_done(&oc->cd, now, false);
}

/* ---- start-up phases ------------------------------------------------------------------------ */

static void
order_phase_next(struct order_ctx *oc, enum order_phase next)
{
	if (oc->phase_fails > 0)
		log_info("exchange start-up: %s done after %u failed "
		    "attempts", order_phase_names[oc->phase], oc->phase_fails);
	oc->phase = next;
	oc->phase_busy = false;
	oc->phase_at_ns = 0;
	oc->phase_fails = 0;
	bn_backoff_reset(&oc->backoff);
	if (next < PH_RUNNING)
		order_qstate(oc, QS_STARTING, "start-up: %s",
		    order_phase_names[next]);
}

/* A failed phase request: try again later; said once per phase. */
static void
order_phase_fail(struct order_ctx *oc, const char *why)
{
	int64_t wait = bn_backoff_next(&oc->backoff);

	oc->phase_busy = false;
	oc->phase_at_ns = now_mono_ns() + wait;
	if (oc->rec.quote_state == QS_STARTING)
		order_qstate(oc, QS_STARTING, "start-up: %s failed (%.60s), "
		    "retrying", order_phase_names[oc->phase], why);
	if (oc->phase_fails++ == 0 || log_getlevel() >= LOG_LVL_DEBUG)
		log_warnx("exchange start-up: %s failed (%s); retrying with "
		    "backoff, not quoting", order_phase_names[oc->phase], why);
}

/*
 * A failed start-up request in quote_state: a key the exchange refuses
 * and an exchange that does not answer are told apart from the rest,
 * which stays "starting" with the phase's reason.
 */
static void
order_qstate_fail(struct order_ctx *oc, const struct bn_resp *resp)
{
	const char *ph = order_phase_names[oc->phase];

	if (resp->code == -2014 || resp->code == -2015 || resp->code == -1022)
		order_qstate(oc, QS_KEY_REJECTED, "%s: exchange refused the "
		    "API key: %d %.50s", ph, resp->code, resp->msg);
	else if (resp->outcome == BN_OUT_NOT_SENT ||
	    (resp->outcome == BN_OUT_UNKNOWN && resp->status == 0))
		order_qstate(oc, QS_EXCHANGE_UNREACHABLE, "%s: exchange not "
		    "reachable: %.60s", ph, resp->msg);
	else
		order_qstate(oc, QS_STARTING, "start-up: %s failed: HTTP %ld "
		    "%d", ph, resp->status, resp->code);
}

/* Fail on anything but a readable 2xx; 1 when the caller may go on. */
static int
order_phase_ok(struct order_ctx *oc, const struct bn_resp *resp)
{
	char why[BN_MSGLEN + 128];

	order_note_resp(oc, resp, false);
	if (resp->outcome == BN_OUT_OK)
		return 1;
	order_qstate_fail(oc, resp);
	snprintf(why, sizeof(why), "%s, HTTP %ld, code %d: %s%s",
	    bn_outcome_name(resp->outcome), resp->status, resp->code,
	    resp->msg, resp->code == -2014 || resp->code == -2015 ||
	    resp->code == -1022 ? " — check BINANCE_API_KEY and "
	    "BINANCE_SECRET_KEY" : "");
	order_phase_fail(oc, why);
	return 0;
}

/* The config against the filters at mid: exit 78 when it cannot work
 * (logged as an error: the tree stops on it). */
static int
order_check_config(struct order_ctx *oc, double mid)
{
	const struct cfg *c = &oc->s->cfg;
	char msg[512];

	switch (bn_filters_check_size(&oc->flt, c->order.quantity_per_order_usdt,
	    c->order.levels, mid, msg, sizeof(msg))) {
	case -1:
		log_error("%s", msg);
		return -1;
	case 1:
		log_warnx("%s", msg);
		break;
	}
	if (strat_check(&oc->q.c.scfg, &oc->sflt, mid, msg,
	    sizeof(msg)) == -1) {
		log_error("%s", msg);
		return -1;
	}
	return 0;
}

/*
 * The clock: an async GET /fapi/v1/time first proves the exchange
 * answers, then (from the timer, outside any callback) the client's
 * blocking sync measures the offset — it cannot hang on a dead host.
 */
static void
order_ph_time(struct order_ctx *oc)
{
	oc->time_reachable = false;
	if (bn_rest_sync_time(oc->rest) == -1) {
		order_phase_fail(oc, "no usable server time");
		return;
	}
	order_phase_next(oc, PH_INFO);
}

static void
order_ph_info(struct order_ctx *oc, const struct bn_resp *resp)
{
	struct bn_exchange_info info;
	struct bn_why why;

	if (bn_parse_exchange_info(resp->body, resp->body_len,
	    oc->s->cfg.symbol, &info, &why) == -1) {
		order_phase_fail(oc, why.s);
		return;
	}
	if (strcmp(info.status, "TRADING") != 0) {
		order_phase_fail(oc, "symbol not TRADING");
		return;
	}
	oc->flt = info.f;
	if (strat_filters_from_bn(&oc->sflt, &oc->flt) == -1) {
		order_phase_fail(oc, "no usable tick or step size");
		return;
	}
	qt_filters(&oc->q, &oc->flt, &oc->sflt);
	bn_rest_set_limits(oc->rest, info.weight_1m, info.orders_10s,
	    info.orders_1m);
	/* pmmctl status rounds prices and quantities to these */
	oc->rec.tick_size = oc->sflt.tick;
	oc->rec.step_size = oc->sflt.step;
	oc->dirty = true;
	log_info("%s: tick %g, step %g, min notional %g; limits %d weight/min, "
	    "%d orders/10 s", oc->s->cfg.symbol, oc->sflt.tick, oc->sflt.step,
	    oc->sflt.min_notional, info.weight_1m, info.orders_10s);
	order_phase_next(oc, PH_PRICE);
}

static void
order_ph_price(struct order_ctx *oc, const struct bn_resp *resp)
{
	struct bn_book_ticker bt;
	struct bn_why why;

	if (bn_parse_rest_book_ticker(resp->body, resp->body_len,
	    oc->s->cfg.symbol, &bt, &why) == -1 || !(bt.b > 0) ||
	    !(bt.a > bt.b)) {
		order_phase_fail(oc, "no usable bookTicker");
		return;
	}
	if (order_check_config(oc, (bt.b + bt.a) / 2) == -1) {
		svc_stop(oc->s, CFG_EXIT);
		return;
	}
	order_phase_next(oc, PH_LISTEN_KEY);
}

static void
order_ph_open(struct order_ctx *oc, const struct bn_resp *resp)
{
	char cids[ORDER_OPEN_MAX][PMM_ID_MAX];
	struct bn_order *os;
	uint64_t max_seq = 0;
	int n = 0, ours, foreign;

	if ((os = order_parse_open(resp, &n)) == NULL) {
		order_phase_fail(oc, "unreadable openOrders");
		return;
	}
	ours = ord_reconcile(os, n, oc->s->cfg.instance_id, cids,
	    ORDER_OPEN_MAX, &max_seq, &foreign);
	free(os);
	if (max_seq >= oc->q.next_seq) {
		oc->q.next_seq = max_seq + 1;
		order_seq_reserve(oc);
	}
	if (ours == 0 || ++oc->recon_rounds > ORDER_RECONCILE_ROUNDS) {
		if (ours > 0)
			log_warnx("reconcile: %d orders of ours still open "
			    "after %d rounds; going on", ours,
			    ORDER_RECONCILE_ROUNDS);
		if (foreign > 0)
			log_info("reconcile: %d orders of others left alone",
			    foreign);
		order_phase_next(oc, PH_POSITION);
		return;
	}
	log_info("reconcile: cancelling %d orders left by an earlier run of "
	    "%s (%d of others left alone)", ours, oc->s->cfg.instance_id,
	    foreign);
	order_phase_next(oc, PH_RECONCILE);
	oc->phase_busy = true;	/* the cancels' answers move us on */
	oc->recon_left = 0;
	order_cancel_others(oc, (const char (*)[PMM_ID_MAX])cids,
	    ours < ORDER_OPEN_MAX ? ours : ORDER_OPEN_MAX);
	if (oc->recon_left == 0) {
		oc->phase = PH_OPEN_ORDERS;
		order_phase_fail(oc, "reconcile cancels not sent");
	}
}

/* No TICK yet (e.g. a restart while the market is quiet): start from the
 * market record when it is fresh. */
static void
order_book_from_shm(struct order_ctx *oc)
{
	struct shm_market mk;

	if (oc->q.have_book || SVC_READ(oc->s, market, &mk) != SHM_OK ||
	    mk.stale || !(mk.bid > 0) || !(mk.ask > mk.bid))
		return;
	qt_on_tick(&oc->q, mk.bid, mk.ask, now_mono_ns());
}

/* The exchange's position at start-up: ours, adopted, or refused. */
static void
order_ph_position(struct order_ctx *oc, const struct bn_resp *resp)
{
	struct bn_position ps[8];
	struct bn_why why;
	int i, n = 0;

	if (bn_parse_positions(resp->body, resp->body_len, ps, 8, &n,
	    &why) == -1) {
		order_phase_fail(oc, why.s);
		return;
	}
	oc->pos_ex = 0;
	for (i = 0; i < n; i++)
		if (strcasecmp(ps[i].symbol, oc->s->cfg.symbol) == 0)
			oc->pos_ex += ps[i].positionAmt;
	/* judged a moment later: a fill the read holds may still be on its
	 * way down the user stream, and must cross it (ord_pos.c) */
	oc->pos_held = true;
	oc->phase_busy = false;
	oc->phase_at_ns = now_mono_ns() + ORDER_POS_SETTLE_NS;
}

static void
order_pos_verdict(struct order_ctx *oc)
{
	const struct cfg *c = &oc->s->cfg;
	enum ordp_verdict v;
	char msg[PMM_TEXT_MAX * 3];

	oc->pos_held = false;
	v = ordp_check(&oc->pc, oc->pos_ex, oc->sflt.step,
	    c->risk.adopt_position, c->symbol, msg, sizeof(msg));
	ordp_apply(&oc->pc, &oc->fl, v, oc->pos_ex);
	order_fills_save(oc);
	switch (v) {
	case ORDP_AGAIN:
		oc->phase_busy = false;
		oc->phase_at_ns = now_mono_ns() + ORDER_POS_AGAIN_NS;
		return;
	case ORDP_REFUSE:
		log_warnx("%s", msg);
		svc_stop(oc->s, CFG_EXIT);
		return;
	case ORDP_ADOPT:
		log_warnx("%s", msg);
		break;
	default:
		log_info("%s", msg);
		break;
	}
	oc->position = oc->pos_ex;
	oc->rec.pos_checked = 1;
	oc->dirty = true;
	order_phase_next(oc, PH_LEVERAGE);
}

/* The last phase done: quote. */
static void
order_ph_ready(struct order_ctx *oc)
{
	const struct cfg *c = &oc->s->cfg;

	order_phase_next(oc, PH_RUNNING);
	order_book_from_shm(oc);
	log_info("exchange ready: position %g, next order seq %" PRIu64
	    "; quoting %d levels a side", oc->position, oc->q.next_seq,
	    c->order.levels);
	ord_cd_init(&oc->cd, c->exchange.countdown_cancel_ms);
	order_quote(oc, true);
}

static void
order_phase_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct order_req *q = arg;
	struct order_ctx *oc = q->oc;
	struct bn_why why;

	(void)r;
	order_req_put(q);
	if (oc->s->stopping || !order_phase_ok(oc, resp))
		return;
	switch (oc->phase) {
	case PH_TIME:
		oc->time_reachable = true;
		oc->phase_busy = false;
		break;
	case PH_INFO:
		order_ph_info(oc, resp);
		break;
	case PH_PRICE:
		order_ph_price(oc, resp);
		break;
	case PH_LEVERAGE:
		order_ph_ready(oc);
		break;
	case PH_LISTEN_KEY:
		if (bn_parse_listen_key(resp->body, resp->body_len, oc->lkey,
		    sizeof(oc->lkey), &why) == -1 ||
		    order_user_connect(oc) == -1) {
			order_phase_fail(oc, "no usable listenKey");
			break;
		}
		ord_lk_init(&oc->lk, oc->s->cfg.listen_key_refresh_interval,
		    now_mono_ns());
		order_phase_next(oc, PH_STREAM);
		oc->stream_deadline_ns = now_mono_ns() + ORDER_STREAM_WAIT_NS;
		if (oc->stream_up)	/* a stream that was up already */
			order_phase_next(oc, PH_OPEN_ORDERS);
		break;
	case PH_OPEN_ORDERS:
		order_ph_open(oc, resp);
		break;
	case PH_POSITION:
		order_ph_position(oc, resp);
		break;
	default:
		break;
	}
	if (oc->dirty)
		order_publish(oc);
}

/* The request of the current phase. */
static void
order_phase_send(struct order_ctx *oc)
{
	const struct cfg *c = &oc->s->cfg;
	const char *path = NULL;
	enum bn_method m = BN_GET;
	enum bn_auth auth = BN_AUTH_NONE;
	struct bn_params p;
	struct order_req *q;
	int rc;

	bn_params_init(&p);
	switch (oc->phase) {
	case PH_TIME:
		path = "/fapi/v1/time";
		break;
	case PH_INFO:
		path = "/fapi/v1/exchangeInfo";
		break;
	case PH_PRICE:
		path = "/fapi/v1/ticker/bookTicker";
		bn_params_add(&p, "symbol", c->symbol);
		break;
	case PH_LEVERAGE:
		path = "/fapi/v1/leverage";
		m = BN_POST;
		auth = BN_AUTH_SIGNED;
		bn_params_add(&p, "symbol", c->symbol);
		bn_params_addf(&p, "leverage", "%d", c->leverage);
		break;
	case PH_LISTEN_KEY:
		path = "/fapi/v1/listenKey";
		m = BN_POST;
		auth = BN_AUTH_KEY;
		break;
	case PH_OPEN_ORDERS:
		path = "/fapi/v1/openOrders";
		auth = BN_AUTH_SIGNED;
		bn_params_add(&p, "symbol", c->symbol);
		break;
	case PH_POSITION:
		path = "/fapi/v2/positionRisk";
		auth = BN_AUTH_SIGNED;
		bn_params_add(&p, "symbol", c->symbol);
		ordp_read_sent(&oc->pc);
		break;
	default:
		return;
	}
	if ((q = order_req_get(oc, RQ_PHASE)) == NULL)
		return;
	oc->phase_busy = true;
	rc = order_send(oc, m, path, auth, &p, order_phase_cb, q);
	if (rc != 0)
		order_phase_fail(oc, rc == BN_REST_WAIT ? "rate limit" :
		    "request not sent");
}

static void
order_phase_run(struct order_ctx *oc, int64_t now)
{
	if (oc->phase == PH_STREAM && !oc->stream_up &&
	    now >= oc->stream_deadline_ns) {
		/* the key may be refused: start over from a new one */
		oc->phase = PH_LISTEN_KEY;
		order_phase_fail(oc, "user stream did not come up");
		return;
	}
	if (oc->phase_busy || now < oc->phase_at_ns || oc->phase == PH_STREAM ||
	    oc->phase == PH_RECONCILE)
		return;
	if (oc->phase == PH_POSITION && oc->pos_held) {
		order_pos_verdict(oc);
		return;
	}
	/* the position is judged once every fill nobody heard is published */
	if (oc->phase == PH_POSITION && (!oc->fl.known || oc->fl.owed))
		return;
	if (oc->phase == PH_TIME && oc->time_reachable)
		order_ph_time(oc);
	else
		order_phase_send(oc);
}

/* ---- the loop ------------------------------------------------------------------------------------ */

static void
order_running(struct order_ctx *oc, int64_t now)
{
	char why[QS_REASON_LEN + 64];
	struct qt_facts f;

	if (ord_cd_due(&oc->cd, now))
		order_countdown(oc, now);
	if (ord_lk_due(&oc->lk, now))
		order_lk_keep(oc);
	if (!oc->stream_up && !oc->lk_new_busy &&
	    now - oc->stream_down_ns > ORDER_STREAM_WAIT_NS)
		order_lk_new(oc, "user stream down for long");
	order_queries(oc, now);
	/* the refresh timer, and what changed without a message (a stale
	 * feed, a pause flag): quoter.c decides */
	order_facts(oc, &f, why, sizeof(why));
	switch (qt_due(&oc->q, &f, now)) {
	case QT_REFRESH:
		order_quote(oc, true);
		break;
	case QT_EVAL:
		order_quote(oc, false);
		break;
	default:
		break;
	}
}

static int64_t
order_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* How long the loop may sleep: nothing of ours may be late. */
static void
order_set_timer(struct order_ctx *oc, int64_t now)
{
	int64_t t = ORDER_TIMER_MAX_NS, r;

	if ((r = bn_rest_timeout_ns(oc->rest)) >= 0)
		t = order_min(t, r);
	if (oc->loop != NULL)
		t = order_min(t, bn_ws_loop_timeout_ns(oc->loop, now));
	if (oc->phase < PH_RUNNING && !oc->phase_busy)
		t = order_min(t, oc->phase_at_ns - now);
	if (oc->phase == PH_RUNNING) {
		t = order_min(t, qt_next_ns(&oc->q) - now);
		if (!oc->cd.inflight)
			t = order_min(t, ord_cd_next(&oc->cd) - now);
	}
	if (t < ORDER_TIMER_MIN_NS)
		t = ORDER_TIMER_MIN_NS;
	oc->s->timer_ns = t;
}

/* The quoter's settings from the config. */
static void
order_qt_config(struct order_ctx *oc, const struct cfg *c,
    struct qt_config *qc)
{
	memset(qc, 0, sizeof(*qc));
	qc->impl = oc->impl;
	qc->instance = oc->s->cfg.instance_id;	/* fixed for the run */
	strat_config_from_cfg(&qc->scfg, c, false);
	qc->pxg.max_spread_pct = c->order.max_spread_percent;
	qc->pxg.max_mark_dev_pct = c->order.max_mark_deviation_percent;
	qc->pxg.max_jump_pct = c->order.max_mid_jump_percent;
	qc->pxg.jump_window_ns = (int64_t)(c->order.mid_jump_window *
	    NS_PER_S);
	qc->refresh_ns = (int64_t)(c->refresh.orderbook_refresh_interval *
	    NS_PER_S);
	qc->stale_after_ns = (int64_t)(c->market.stale_after * NS_PER_S);
}

static void
order_apply_reload(struct order_ctx *oc)
{
	const struct cfg *c = &oc->s->cfg;
	struct qt_config qc;

	oc->reload = false;
	order_qt_config(oc, c, &qc);
	qt_reconfig(&oc->q, &qc);	/* a new ladder now */
	if (oc->cd.ms != (c->exchange.countdown_cancel_ms > 0 ?
	    c->exchange.countdown_cancel_ms : 0))
		ord_cd_set(&oc->cd, c->exchange.countdown_cancel_ms);
	oc->lk.interval_ns = (int64_t)c->listen_key_refresh_interval *
	    NS_PER_S;
}

/* The reject rate moves with time as well as with rejects. */
static void
order_rej_rate(struct order_ctx *oc, int64_t now)
{
	double r = ordr_rate_per_s(&oc->rej_rate, now);

	if (r != oc->rec.reject_rate) {
		oc->rec.reject_rate = r;
		oc->dirty = true;
	}
}

static void
order_on_timer(struct svc *s, int64_t now)
{
	struct order_ctx *oc = s->priv;

	if (oc->rest == NULL)
		return;
	bn_rest_on_timeout(oc->rest);
	if (oc->loop != NULL)
		bn_ws_loop_run(oc->loop, now);
	if (oc->reload)
		order_apply_reload(oc);
	if (oc->phase < PH_RUNNING)
		order_phase_run(oc, now);
	else
		order_running(oc, now);
	order_fills_run(oc, now);
	if (oc->fl.dirty && oc->fl_failures > 0 && now >= oc->fl_retry_ns)
		order_fills_save(oc);
	order_rej_rate(oc, now);
	if (oc->dirty)
		order_publish(oc);
	order_set_timer(oc, now);
}

static void
order_on_msg(struct svc *s, const struct pmm_msg *m)
{
	struct order_ctx *oc = s->priv;
	bool refresh;

	switch (m->env.type) {
	case PMM_MSG_TICK:
		refresh = qt_on_tick(&oc->q, m->u.tick.bid, m->u.tick.ask,
		    now_mono_ns());
		if (oc->phase == PH_RUNNING)
			order_quote(oc, refresh);
		break;
	case PMM_MSG_RISK_ACTION:
		/* risk has published its flag already: look at it now */
		order_quote(oc, false);
		break;
	default:
		break;
	}
}

static void
order_on_pause(struct svc *s, int paused, const char *reason)
{
	struct order_ctx *oc = s->priv;

	oc->op_paused = paused;
	snprintf(oc->op_reason, sizeof(oc->op_reason), "%s",
	    reason != NULL ? reason : "");
	if (paused)
		log_info("paused: %s; cancelling our orders", reason);
	else
		log_info("resumed");
	order_quote(oc, false);
}

static int
order_on_reload(struct svc *s, const struct cfg *nc)
{
	struct order_ctx *oc = s->priv;
	struct strat_config sc;
	char err[512];

	if (strcmp(nc->rest_url, s->cfg.rest_url) != 0 ||
	    strcmp(nc->ws_url, s->cfg.ws_url) != 0) {
		/* the keys: svc_reload() */
		log_warnx("exchange URLs cannot change on reload");
		return -1;
	}
	if (strat_find(nc->strategy_name, err, sizeof(err)) != oc->impl) {
		log_warnx("strategy_name cannot change on reload");
		return -1;
	}
	strat_config_from_cfg(&sc, nc, false);
	if (oc->phase > PH_PRICE && oc->q.have_book &&
	    strat_check(&sc, &oc->sflt, (oc->q.bid + oc->q.ask) / 2, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	oc->reload = true;	/* svc installs nc after we return */
	return 0;
}

/* ---- stop: cancel what we placed, within a bounded time ------------------------------------------ */

/* Poll the client's own fds (the service loop has ended) until nothing
 * is in flight or the deadline passes. */
static void
order_drain(struct order_ctx *oc, int64_t deadline)
{
	struct pollfd pfd[BN_REST_MAXFD];
	int64_t now, t;
	int i, n, ms;

	while (bn_rest_inflight(oc->rest) > 0 &&
	    (now = now_mono_ns()) < deadline) {
		for (n = 0; n < oc->nrfd; n++) {
			pfd[n].fd = oc->rfd[n].fd;
			pfd[n].events = (oc->rfd[n].ev & EPOLLIN ? POLLIN : 0) |
			    (oc->rfd[n].ev & EPOLLOUT ? POLLOUT : 0);
			pfd[n].revents = 0;
		}
		t = bn_rest_timeout_ns(oc->rest);
		if (t < 0 || t > deadline - now)
			t = deadline - now;
		ms = (int)((t + NS_PER_MS - 1) / NS_PER_MS);
		if (poll(pfd, (nfds_t)n, ms > 50 ? 50 : ms) == -1 &&
		    errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				bn_rest_on_fd(oc->rest, pfd[i].fd,
				    (pfd[i].revents & POLLIN ? EPOLLIN : 0) |
				    (pfd[i].revents & POLLOUT ? EPOLLOUT : 0) |
				    (pfd[i].revents & (POLLERR | POLLHUP) ?
				    EPOLLERR : 0));
		bn_rest_on_timeout(oc->rest);
	}
}

static bool
order_cid_in(const char (*cids)[PMM_ID_MAX], int n, const char *cid)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(cids[i], cid) == 0)
			return true;
	return false;
}

/* Our open orders on the exchange (ids in cids, up to cap); -1 when the
 * exchange could not say. */
static int
order_stop_list(struct order_ctx *oc, char cids[][PMM_ID_MAX], int cap)
{
	struct bn_resp resp;
	struct bn_order *os = NULL;
	struct bn_params p;
	uint64_t seq = 0;
	int n, nos = 0, foreign;

	bn_params_init(&p);
	bn_params_add(&p, "symbol", oc->s->cfg.symbol);
	if (bn_rest_request_sync(oc->rest, BN_GET, "/fapi/v1/openOrders",
	    BN_AUTH_SIGNED, &p, -1, -1, &resp) == 0) {
		if (resp.outcome == BN_OUT_OK)
			os = order_parse_open(&resp, &nos);
		bn_resp_release(&resp);
	}
	if (os == NULL)
		return -1;
	n = ord_reconcile(os, nos, oc->s->cfg.instance_id, cids, cap, &seq,
	    &foreign);
	free(os);
	return n;
}

/*
 * The dead man's switch cancels every order of the symbol when it fires,
 * a person's too: once nothing of ours is left open, a clean stop turns
 * it off. Anything of ours still open (or not known) keeps it armed: then
 * it is the only thing that will cancel ours.
 */
static void
order_stop_countdown(struct order_ctx *oc, int64_t deadline)
{
	char cids[1][PMM_ID_MAX];
	struct bn_resp resp;
	struct bn_params p;
	int left = -1;

	/* not armed by us (a refused start, a countdown of 0) */
	if (!oc->cd_armed)
		return;
	/* two quick requests, or none: the stop must stay bounded */
	if (bn_rest_inflight(oc->rest) == 0 &&
	    deadline - now_mono_ns() > NS_PER_S)
		left = order_stop_list(oc, cids, 1);
	if (left != 0) {
		log_warnx("stopped with %s orders of ours open: "
		    "countdownCancelAll stays armed and will cancel every "
		    "order of %s, anyone's", left < 0 ? "perhaps" : "some",
		    oc->s->cfg.symbol);
		return;
	}
	bn_params_init(&p);
	bn_params_add(&p, "symbol", oc->s->cfg.symbol);
	bn_params_add(&p, "countdownTime", "0");
	if (bn_rest_request_sync(oc->rest, BN_POST,
	    "/fapi/v1/countdownCancelAll", BN_AUTH_SIGNED, &p, -1, -1,
	    &resp) == 0) {
		if (resp.outcome != BN_OUT_OK)
			log_warnx("countdownCancelAll not turned off (%d %s): "
			    "it will cancel every order of %s, anyone's",
			    resp.code, resp.msg, oc->s->cfg.symbol);
		bn_resp_release(&resp);
	}
}

/* What the exchange answered to the stop's cancels: an order it did not
 * confirm gone may still be open (until the countdown removes it). */
static void
order_stop_report(struct order_ctx *oc, int n)
{
	int unanswered = n - oc->stop.canceled - oc->stop.gone -
	    oc->stop.refused;

	if (n == 0) {
		log_info("stopped: no order of ours was open");
		return;
	}
	if (unanswered > 0 || oc->stop.refused > 0)
		log_warnx("stopped: asked the exchange to cancel %d orders of "
		    "ours: %d cancelled, %d already gone, %d refused, %d "
		    "without an answer (left to the exchange's countdown)", n,
		    oc->stop.canceled, oc->stop.gone, oc->stop.refused,
		    unanswered);
	else
		log_info("stopped: the exchange confirmed all %d orders of "
		    "ours gone: %d cancelled, %d already filled or cancelled",
		    n, oc->stop.canceled, oc->stop.gone);
}

/* Everything of ours: the table (whatever its state) and what the
 * exchange lists. */
static void
order_stop_cancel(struct order_ctx *oc, int64_t deadline)
{
	char cids[ORDER_OPEN_MAX + ORD_MAX][PMM_ID_MAX];
	int i, n;

	if ((n = order_stop_list(oc, cids, ORDER_OPEN_MAX)) < 0)
		n = 0;
	if (n > ORDER_OPEN_MAX)
		n = ORDER_OPEN_MAX;
	for (i = 0; i < oc->book.n; i++)
		if (!order_cid_in(cids, n, oc->book.o[i].cid))
			snprintf(cids[n++], PMM_ID_MAX, "%s",
			    oc->book.o[i].cid);
	memset(&oc->stop, 0, sizeof(oc->stop));
	oc->stop.on = true;
	if (n > 0)
		order_cancel_others(oc, (const char (*)[PMM_ID_MAX])cids, n);
	order_drain(oc, deadline);
	order_stop_report(oc, n);
	order_stop_countdown(oc, deadline);
}

static void
order_on_stop(struct svc *s)
{
	struct order_ctx *oc = s->priv;
	int64_t deadline = now_mono_ns() + ORDER_STOP_BUDGET_NS;

	if (oc->rest == NULL)
		return;
	/* answers in flight first: a placement landing after our cancel
	 * would outlive us */
	order_drain(oc, now_mono_ns() + NS_PER_S);
	if (oc->phase >= PH_OPEN_ORDERS)
		order_stop_cancel(oc, deadline);
	oc->book.n = 0;
	oc->stream_up = false;
	order_qstate(oc, QS_STOPPING, "order service stopped");
	order_publish(oc);
	if (oc->loop != NULL) {
		svc_unwatch_fd(s, bn_ws_loop_fd(oc->loop));
		bn_ws_loop_free(oc->loop);
		oc->loop = NULL;
		oc->user = NULL;
	}
	bn_rest_free(oc->rest);
	oc->rest = NULL;
	free(oc->ev);
	oc->ev = NULL;
	order_fills_save(oc);
	ordf_free(&oc->fl);
}

/* ---- start ---------------------------------------------------------------------------------------- */

static int
order_init(struct svc *s)
{
	struct order_ctx *oc = s->priv;
	struct bn_rest_hooks h = { s, order_rest_add, NULL, order_rest_del };
	struct bn_rest_opts o;
	struct qt_config qc;
	char err[512];

	oc->s = s;
	/* continue the counters of an earlier instance; its orders are
	 * reconciled against the exchange, not trusted */
	/* nothing measured yet is "no data" (NaN, -1), never a 0 */
	oc->rec.order_rtt_ms = NAN;
	oc->rec.rate_limit_weight = -1;
	if (atomic_load(&s->shm->orders.seq) != 0)
		SVC_READ(s, orders, &oc->rec);
	oc->cnt.placed = oc->rec.placed;
	oc->cnt.canceled = oc->rec.canceled;
	oc->cnt.fills = oc->rec.fills;
	oc->cnt.rejects = oc->rec.rejects;
	ord_book_init(&oc->book);
	order_qstate(oc, QS_STARTING, "start-up: %s", order_phase_names[0]);
	order_publish(oc);
	ordf_init(&oc->fl);
	order_fills_load(oc);
	ordp_init(&oc->pc, &oc->fl);
	bn_backoff_init(&oc->fl_backoff, ORDER_BACKOFF_MIN_NS,
	    ORDER_BACKOFF_MAX_NS, 0);
	if ((oc->impl = strat_find(s->cfg.strategy_name, err,
	    sizeof(err))) == NULL ||
	    !strat_instance_ok(s->cfg.instance_id)) {
		log_warnx("%s", oc->impl == NULL ? err : "instance_id is not "
		    "usable in client order ids (1..20 of A-Z a-z 0-9 _ -)");
		svc_stop(s, CFG_EXIT);
		return 0;
	}
	order_qt_config(oc, &s->cfg, &qc);
	qt_init(&oc->q, &qc);
	order_seq_load(oc);	/* the quoter's first client id */
	bn_backoff_init(&oc->backoff, ORDER_BACKOFF_MIN_NS,
	    ORDER_BACKOFF_MAX_NS, 0);
	ord_cd_init(&oc->cd, 0);
	oc->cd.zero_done = true;	/* nothing before the start-up ends */
	oc->lk.next_ns = INT64_MAX;
	memset(&o, 0, sizeof(o));
	o.base_url = s->cfg.rest_url;
	o.api_key = s->keys->api_key;
	o.secret = s->keys->secret_key;
	o.recv_window_ms = s->cfg.exchange.recv_window_ms;
	o.timeout_ms = ORDER_REST_TIMEOUT_MS;
	o.connect_timeout_ms = ORDER_REST_CONNECT_MS;
	o.max_conns = ORDER_REST_CONNS;
	if ((oc->ev = calloc(1, sizeof(*oc->ev))) == NULL ||
	    (oc->rest = bn_rest_new(&o, &h)) == NULL ||
	    (oc->loop = bn_ws_loop_new(NULL)) == NULL ||
	    svc_watch_fd(s, bn_ws_loop_fd(oc->loop), EPOLLIN, order_ws_fd,
	    oc->loop) == -1)
		return -1;
	svc_share_rate_limits(s, oc->rest);
	svc_refuse_bad_keys(s, oc->rest);
	if (getenv("PMM_CANCEL_ONLY") != NULL) {
		/*
		 * pmmd escalated after this service kept dying: it starts us
		 * once more only to cancel what our dead predecessors left, so
		 * the tree does not stop with orders on the book (the
		 * exchange's countdown is the fallback if this fails too).
		 */
		log_warnx("cancel-only run: cancelling our orders on %s",
		    s->cfg.symbol);
		bn_rest_sync_time(oc->rest);
		oc->phase = PH_OPEN_ORDERS;
		oc->cd_armed = s->cfg.exchange.countdown_cancel_ms > 0;
		svc_stop(s, 0);
		return 0;
	}
	log_info("%s on %s: starting up against %s", s->cfg.instance_id,
	    s->cfg.symbol, s->cfg.rest_url);
	return 0;
}

static const struct svc_ops order_ops = {
	.init = order_init,
	.on_msg = order_on_msg,
	.on_timer = order_on_timer,
	.on_reload = order_on_reload,
	.on_pause = order_on_pause,
	.on_stop = order_on_stop,
};

int
main(int argc, char **argv)
{
	static struct order_ctx oc;

	return svc_main(SVC_ORDER, &order_ops, &oc, argc, argv);
}
