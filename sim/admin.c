/*
 * admin.c — pmm-exchange's own API under /sim/ (not Binance's): fault
 * injection for testing clients (dropped or silenced sockets, latency,
 * error bursts, 503s whose outcome the client must find out, clock skew,
 * listenKey expiry), a way to move the market by hand, and inspection —
 * every Binance request is recorded with its receive time so tests and
 * benchmarks can measure a client's reaction time from the exchange's
 * side. Secrets are never recorded: the signature is left out and the API
 * key shows only as "present".
 */
#include "wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"

#define MSG_UNKNOWN	"Unknown error, please check your request or try " \
			"again later."

const char *
wire_method_str(enum wire_method m)
{
	switch (m) {
	case WM_GET:	return "GET";
	case WM_POST:	return "POST";
	case WM_PUT:	return "PUT";
	case WM_DELETE:	return "DELETE";
	default:	return "OTHER";
	}
}

/* ---- recording ------------------------------------------------------------ */

void
admin_record(struct wire *w, const struct wire_req *req,
    const struct wire_resp *resp)
{
	struct wire_reqrec	*rec;
	json_t			*p;
	int			 i;

	if (wire_is_admin(req->path))
		return;		/* the admin API does not record itself */
	rec = &w->reqlog[w->reqlog_head % w->reqlog_cap];
	json_decref(rec->params);
	memset(rec, 0, sizeof(*rec));
	rec->recv_ns = req->recv_ns;
	rec->done_ns = now_real_ns();
	rec->method = req->method;
	rec->status = resp->status;
	rec->apikey = req->apikey_state != 0;
	snprintf(rec->path, sizeof(rec->path), "%.*s",
	    (int)sizeof(rec->path) - 1, req->path);
	p = json_object();
	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].key, "signature") != 0)
			json_object_set_new(p, req->params[i].key,
			    json_string(req->params[i].val));
	rec->params = p;
	w->reqlog_head++;
}

void
admin_free(struct wire *w)
{
	size_t	i;

	if (w->reqlog == NULL)
		return;
	for (i = 0; i < w->reqlog_cap; i++)
		json_decref(w->reqlog[i].params);
	free(w->reqlog);
	w->reqlog = NULL;
}

static json_t *
rec_json(const struct wire_reqrec *rec)
{
	json_t	*j = json_object();

	json_object_set_new(j, "recv_ns", json_integer(rec->recv_ns));
	json_object_set_new(j, "done_ns", json_integer(rec->done_ns));
	json_object_set_new(j, "method", json_string(wire_method_str(rec->method)));
	json_object_set_new(j, "path", json_string(rec->path));
	json_object_set_new(j, "status", json_integer(rec->status));
	if (rec->apikey)
		json_object_set_new(j, "apiKey", json_string("present"));
	json_object_set_new(j, "params", json_incref(rec->params));
	return j;
}

/* GET /sim/requests?since=<ns>[&path=<p>][&limit=<n>] */
static void
adm_requests(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	const char	*path = wire_param(req, "path");
	int64_t		 since = 0, limit = 10000;
	uint64_t	 first, i;
	json_t		*arr = json_array();

	if (wire_param(req, "since") != NULL)
		parse_i64(wire_param(req, "since"), &since);
	if (wire_param(req, "limit") != NULL)
		parse_i64(wire_param(req, "limit"), &limit);
	first = w->reqlog_head > w->reqlog_cap ?
	    w->reqlog_head - w->reqlog_cap : 0;
	for (i = first; i < w->reqlog_head &&
	    (int64_t)json_array_size(arr) < limit; i++) {
		const struct wire_reqrec *rec = &w->reqlog[i % w->reqlog_cap];

		if (rec->recv_ns <= since || (path != NULL &&
		    strcmp(rec->path, path) != 0))
			continue;
		json_array_append_new(arr, rec_json(rec));
	}
	resp_json(r, 200, json_pack("{s:I,s:I,s:o}", "now_ns",
	    (json_int_t)now_real_ns(), "total", (json_int_t)w->reqlog_head,
	    "requests", arr));
}

/* ---- faults ------------------------------------------------------------------ */

static void
fault_body(struct wire *w, struct wire_req *req, struct wire_resp *r,
    int status)
{
	int64_t	until;

	switch (status) {
	case 429:
		resp_error(r, 429, -1003, "Too many requests; current limit of "
		    "IP(%s) is %d requests per minute. Please use the websocket "
		    "for live updates to avoid polling the API.", req->ip,
		    w->rl_limits.weight_1m);
		r->retry_after = w->fault.burst_secs > 0 ?
		    w->fault.burst_secs : 60;
		break;
	case 418:
		r->retry_after = w->fault.burst_secs > 0 ?
		    w->fault.burst_secs : 120;
		until = wire_now_ms(w) + (int64_t)r->retry_after * 1000;
		resp_error(r, 418, -1003, "Way too many requests; IP(%s) banned "
		    "until %lld. Please use the websocket for live updates to "
		    "avoid bans.", req->ip, (long long)until);
		break;
	default:
		resp_error(r, status, -1000, MSG_UNKNOWN);
		break;
	}
}

int
admin_fault_pre(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	if (w->fault.burst_left <= 0)
		return 0;
	w->fault.burst_left--;
	fault_body(w, req, r, w->fault.burst_status);
	return 1;
}

static int
get_i64(struct wire_req *req, const char *k, int64_t *v)
{
	const char *s = wire_param(req, k);

	return s == NULL ? -1 : parse_i64(s, v);
}

static void
adm_ok(struct wire_resp *r)
{
	resp_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void
adm_bad(struct wire_resp *r, const char *what)
{
	resp_json(r, 400, json_pack("{s:b,s:s}", "ok", 0, "error", what));
}

static json_t *
fault_json(const struct wire *w)
{
	return json_pack("{s:I,s:i,s:i,s:i,s:b,s:I,s:b}",
	    "latency_ms", (json_int_t)w->fault.latency_ms,
	    "burst_left", w->fault.burst_left,
	    "burst_status", w->fault.burst_status,
	    "unknown_left", w->fault.unknown_left,
	    "unknown_execute", w->fault.unknown_execute,
	    "skew_ms", (json_int_t)w->fault.skew_ms,
	    "paused", w->paused);
}

/* which=market|user|all (all when absent) as ws_drop's mask; 0 if bad. */
static int
fault_which(struct wire_req *req)
{
	const char *s = wire_param(req, "which");

	if (s == NULL || strcmp(s, "all") == 0)
		return 3;
	return strcmp(s, "market") == 0 ? 1 : strcmp(s, "user") == 0 ? 2 : 0;
}

/*
 * One fault setting each; NULL, or what was wrong with the request. A
 * drop or a mute says how many sessions it hit in *hit.
 */
static const char *
flt_latency(struct wire *w, struct wire_req *req, int *hit)
{
	int64_t	v;

	(void)hit;
	if (get_i64(req, "ms", &v) == -1 || v < 0 || v > 600000)
		return "ms: 0..600000";
	w->fault.latency_ms = v;
	return NULL;
}

static const char *
flt_burst(struct wire *w, struct wire_req *req, int *hit)
{
	int64_t	v;

	(void)hit;
	if (get_i64(req, "count", &v) == -1 || v < 0 || v > INT32_MAX)
		return "count: 0..2147483647";
	w->fault.burst_left = (int)v;
	v = 503;
	get_i64(req, "status", &v);
	if (v != 500 && v != 502 && v != 503 && v != 429 && v != 418) {
		w->fault.burst_left = 0;
		return "status: 500|502|503|429|418";
	}
	w->fault.burst_status = (int)v;
	/* short bans and back-offs keep fault tests short */
	v = 0;
	get_i64(req, "secs", &v);
	w->fault.burst_secs = v > 0 && v <= 600 ? (int)v : 0;
	return NULL;
}

static const char *
flt_unknown(struct wire *w, struct wire_req *req, int *hit)
{
	const char	*s;
	int64_t		 v;

	(void)hit;
	if (get_i64(req, "count", &v) == -1 || v < 0 || v > INT32_MAX)
		return "count: 0..2147483647";
	w->fault.unknown_left = (int)v;
	s = wire_param(req, "execute");
	w->fault.unknown_execute = s != NULL && strcmp(s, "true") == 0;
	return NULL;
}

/* A skew beyond a day is no test of a client's clock handling, and the
 * bound keeps wire_now_ms() far from overflowing. */
#define FLT_SKEW_MAX	(86400LL * 1000)

static const char *
flt_skew(struct wire *w, struct wire_req *req, int *hit)
{
	int64_t	v;

	(void)hit;
	if (get_i64(req, "ms", &v) == -1 || v < -FLT_SKEW_MAX ||
	    v > FLT_SKEW_MAX)
		return "ms: -86400000..86400000";
	w->fault.skew_ms = v;
	return NULL;
}

static const char *
flt_drop(struct wire *w, struct wire_req *req, int *hit)
{
	int	i;

	if ((i = fault_which(req)) == 0)
		return "which: market|user|all";
	*hit = ws_drop(w, i);
	return NULL;
}

static const char *
flt_mute(struct wire *w, struct wire_req *req, int *hit)
{
	int	i;

	if ((i = fault_which(req)) == 0)
		return "which: market|user|all";
	*hit = ws_mute(w, i, 1);
	return NULL;
}

static const char *
flt_expire_listenkey(struct wire *w, struct wire_req *req, int *hit)
{
	int	i;

	(void)req;
	(void)hit;
	for (i = 0; i < EXCH_ACCT_MAX; i++)
		if (w->lkeys[i].acct != NULL)
			w->lkeys[i].expires_ms = 0;	/* next tick */
	return NULL;
}

static const char *
flt_clear(struct wire *w, struct wire_req *req, int *hit)
{
	(void)req;
	(void)hit;
	memset(&w->fault, 0, sizeof(w->fault));
	ws_mute(w, 3, 0);
	return NULL;
}

/* POST /sim/fault/<name>; sample as in struct wire_endpoint. */
static const struct fault_route {
	const char	*name;
	const char	*(*set)(struct wire *, struct wire_req *, int *);
	const char	*sample;
} fault_routes[] = {
	{ "latency", flt_latency, "ms=0" },
	{ "burst", flt_burst, "count=0&status=503&secs=1" },
	{ "unknown", flt_unknown, "count=0&execute=false" },
	{ "skew", flt_skew, "ms=0" },
	{ "drop", flt_drop, "which=all" },
	{ "mute", flt_mute, "which=all" },
	{ "expire_listenkey", flt_expire_listenkey, "" },
	{ "clear", flt_clear, "" },
	{ NULL, NULL, NULL }
};

static const char *
fault_set(struct wire *w, struct wire_req *req, const char *what,
    int *hit)
{
	const struct fault_route *f;

	for (f = fault_routes; f->name != NULL; f++)
		if (strcmp(f->name, what) == 0)
			return f->set(w, req, hit);
	return "unknown fault";
}

static void
adm_fault(struct wire *w, struct wire_req *req, struct wire_resp *r,
    const char *what)
{
	const char	*err;
	int		 hit = -1;

	if ((err = fault_set(w, req, what, &hit)) != NULL) {
		adm_bad(r, err);
		return;
	}
	if (hit >= 0)
		resp_json(r, 200, json_pack("{s:b,s:i,s:o}", "ok", 1,
		    strcmp(what, "drop") == 0 ? "dropped" : "muted", hit,
		    "fault", fault_json(w)));
	else
		resp_json(r, 200, json_pack("{s:b,s:o}", "ok", 1, "fault",
		    fault_json(w)));
}

/* ---- market by hand ------------------------------------------------------------ */

static int
adm_symbol(struct wire *w, struct wire_req *req)
{
	const char *s = wire_param(req, "symbol");

	return exch_symbol_index(w->ex, s ? s : "BTCUSDT");
}

/* POST /sim/mid?symbol=&price=: move the market's mid there at once. */
static void
adm_mid(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	double	price;
	int	sym;

	if ((sym = adm_symbol(w, req)) < 0) {
		adm_bad(r, "symbol");
		return;
	}
	if (parse_dec(wire_param(req, "price"), &price) == -1 || price <= 0) {
		adm_bad(r, "price");
		return;
	}
	if (exch_synth_set_mid(w->ex, sym, price) == -1) {
		adm_bad(r, "not with a replayed market");
		return;
	}
	adm_ok(r);
}

/* POST /sim/book?symbol=&bid=&ask=[&qty=]: a one-level book. */
static void
adm_book(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	struct exch_level	b, a;
	double			qty = 1;
	int			sym;

	if ((sym = adm_symbol(w, req)) < 0) {
		adm_bad(r, "symbol");
		return;
	}
	if (parse_dec(wire_param(req, "bid"), &b.price) == -1 ||
	    parse_dec(wire_param(req, "ask"), &a.price) == -1 ||
	    a.price <= b.price) {
		adm_bad(r, "bid < ask");
		return;
	}
	if (wire_param(req, "qty") != NULL &&
	    parse_dec(wire_param(req, "qty"), &qty) == -1) {
		adm_bad(r, "qty");
		return;
	}
	b.qty = a.qty = qty;
	if (exch_ext_book(w->ex, sym, &b, 1, &a, 1) == -1) {
		adm_bad(r, "book rejected");
		return;
	}
	adm_ok(r);
}

/* POST /sim/trade?symbol=&price=&qty=&side=BUY|SELL (the taker's side) */
static void
adm_trade(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	const char	*side = wire_param(req, "side");
	double		 price, qty;
	int		 sym;

	if ((sym = adm_symbol(w, req)) < 0) {
		adm_bad(r, "symbol");
		return;
	}
	if (parse_dec(wire_param(req, "price"), &price) == -1 ||
	    parse_dec(wire_param(req, "qty"), &qty) == -1 || side == NULL) {
		adm_bad(r, "price, qty, side");
		return;
	}
	if (exch_ext_trade(w->ex, sym, price, qty,
	    strcmp(side, "SELL") == 0) == -1) {
		adm_bad(r, "trade rejected");
		return;
	}
	adm_ok(r);
}

/* ---- state ---------------------------------------------------------------------- */

static json_t *
books_json(struct wire *w)
{
	json_t		*arr = json_array();
	struct exch_top	 t;
	struct exch_mark m;
	int		 i;

	for (i = 0; i < exch_nsymbols(w->ex); i++) {
		memset(&t, 0, sizeof(t));
		memset(&m, 0, sizeof(m));
		exch_book_top(w->ex, i, &t);
		exch_mark_get(w->ex, i, &m);
		json_array_append_new(arr, json_pack("{s:s,s:f,s:f,s:f,s:f,"
		    "s:I,s:f}", "symbol", exch_symbol(w->ex, i)->symbol,
		    "bid", t.bid, "bidQty", t.bid_qty, "ask", t.ask,
		    "askQty", t.ask_qty, "updateId", (json_int_t)t.update_id,
		    "mark", m.mark));
	}
	return arr;
}

/* The account's open orders, oldest first as the core lists them. */
static json_t *
open_orders_json(struct wire *w, struct exch_account *a)
{
	struct exch_order	*o;
	struct exch_err		 e;
	json_t			*arr = json_array();
	int			 n, i, cap = exch_open_order_count(w->ex, a, NULL);

	if (cap <= 0 || (o = calloc((size_t)cap, sizeof(*o))) == NULL)
		return arr;
	memset(&e, 0, sizeof(e));
	n = exch_open_orders(w->ex, a, NULL, o, cap, &e);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:o,"
		    "s:o,s:o,s:I}", "orderId", (json_int_t)o[i].order_id,
		    "clientOrderId", o[i].client_id, "symbol", o[i].symbol,
		    "side", exch_side_str(o[i].side),
		    "price", json_num(o[i].price, o[i].price_precision),
		    "origQty", json_num(o[i].orig_qty, o[i].qty_precision),
		    "executedQty", json_num(o[i].executed_qty,
		    o[i].qty_precision), "time", (json_int_t)o[i].time_ms));
	free(o);
	return arr;
}

static json_t *
accounts_json(struct wire *w)
{
	struct exch_account_info ai;
	struct exch_position	 ps[EXCH_SYM_MAX];
	json_t			*arr = json_array(), *pos;
	int			 i, n, k;

	for (i = 0; i < exch_naccounts(w->ex); i++) {
		struct exch_account *a = exch_account_at(w->ex, i);

		exch_account_info(w->ex, a, &ai);
		pos = json_array();
		n = exch_positions(w->ex, a, ps, EXCH_SYM_MAX);
		for (k = 0; k < n; k++)
			json_array_append_new(pos, json_pack("{s:s,s:f,s:f,"
			    "s:f,s:i}", "symbol", ps[k].symbol, "amount",
			    ps[k].position_amt, "entryPrice", ps[k].entry_price,
			    "unrealizedPnl", ps[k].unrealized_pnl, "leverage",
			    ps[k].leverage));
		json_array_append_new(arr, json_pack("{s:i,s:f,s:f,s:i,s:o,s:o}",
		    "id", exch_account_id(a), "walletBalance",
		    ai.total_wallet_balance, "availableBalance",
		    ai.available_balance, "openOrders",
		    exch_open_order_count(w->ex, a, NULL), "orders",
		    open_orders_json(w, a), "positions", pos));
	}
	return arr;
}

static void
adm_state(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)req;
	resp_json(r, 200, json_pack("{s:I,s:o,s:o,s:o,s:i,s:i,s:I,s:I,s:b}",
	    "now_ns", (json_int_t)now_real_ns(), "books", books_json(w),
	    "accounts", accounts_json(w), "fault", fault_json(w),
	    "ws_sessions", w->nsessions, "ws_backlog", ws_backlog(w),
	    "ws_frames_out",
	    (json_int_t)w->ws_frames_out, "ws_frames_muted",
	    (json_int_t)w->ws_frames_muted, "market_done",
	    exch_market_done(w->ex)));
}

static void
adm_tick(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)req;
	ws_push_book_tickers(w);
	adm_ok(r);
}

static void
adm_pause(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)req;
	w->paused = 1;
	adm_ok(r);
}

static void
adm_resume(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)req;
	w->paused = 0;
	adm_ok(r);
}

static void
adm_rl_reset(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)req;
	rl_reset(exch_rl(w->ex));
	adm_ok(r);
}

/* The admin API; /sim/fault/<name> is routed through fault_routes. */
static const struct adm_route {
	enum wire_method method;
	const char	*path;
	void		(*fn)(struct wire *, struct wire_req *,
			    struct wire_resp *);
	const char	*sample;
} adm_routes[] = {
	{ WM_GET, "/sim/requests", adm_requests, "since=0&limit=10" },
	{ WM_GET, "/sim/state", adm_state, "" },
	{ WM_POST, "/sim/mid", adm_mid, "symbol=BTCUSDT&price=60000" },
	{ WM_POST, "/sim/book", adm_book,
	  "symbol=BTCUSDT&bid=60000&ask=60001&qty=1" },
	{ WM_POST, "/sim/trade", adm_trade,
	  "symbol=BTCUSDT&price=60000&qty=0.001&side=SELL" },
	{ WM_POST, "/sim/tick", adm_tick, "" },
	{ WM_POST, "/sim/pause", adm_pause, "" },
	{ WM_POST, "/sim/resume", adm_resume, "" },
	{ WM_POST, "/sim/ratelimit/reset", adm_rl_reset, "" },
	{ WM_OTHER, NULL, NULL, NULL }
};

void
admin_endpoints(void (*fn)(void *, const struct wire_endpoint *), void *arg)
{
	const struct adm_route		*a;
	const struct fault_route	*f;
	struct wire_endpoint		 ep;
	char				 path[64];

	ep.kind = "admin";
	ep.auth = "none";
	for (a = adm_routes; a->path != NULL; a++) {
		ep.method = wire_method_str(a->method);
		ep.path = a->path;
		ep.sample = a->sample;
		fn(arg, &ep);
	}
	for (f = fault_routes; f->name != NULL; f++) {
		snprintf(path, sizeof(path), "/sim/fault/%s", f->name);
		ep.method = "POST";
		ep.path = path;
		ep.sample = f->sample;
		fn(arg, &ep);
	}
}

int
admin_handle(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	const struct adm_route	*a;
	const char		*p = req->path;

	if (strncmp(p, "/sim/fault/", 11) == 0 && req->method == WM_POST) {
		adm_fault(w, req, r, p + 11);
		return 0;
	}
	for (a = adm_routes; a->path != NULL; a++)
		if (strcmp(p, a->path) == 0 && req->method == a->method) {
			a->fn(w, req, r);
			return 0;
		}
	resp_json(r, 404, json_pack("{s:b,s:s}", "ok", 0, "error",
	    "unknown admin endpoint"));
	return 0;
}
