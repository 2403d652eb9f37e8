/*
 * rest_trade.c — the SIGNED Binance endpoints of pmm-exchange: orders
 * (single and batch), open orders, the account's history (userTrades,
 * allOrders, income), countdownCancelAll, positions, account, balance and
 * leverage. rest.c has already checked the API key, the
 * timestamp and the signature and counted the request's weight; these
 * handlers turn parameters into core calls and core records into
 * Binance's JSON, numbers as strings where Binance sends strings.
 */
#include "wire.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define CID_RANGE	"^[\\.A-Z\\:/a-z0-9_-]{1,36}$"
#define MSG_UNKNOWN	"Unknown error, please check your request or try " \
			"again later."

/* Where an order's parameters come from: the request or a batch element. */
struct getter {
	const char	*(*get)(void *, const char *);
	void		*arg;
};

static const char *
get_req(void *arg, const char *key)
{
	return wire_param(arg, key);
}

/* Batch elements hold strings, but some clients send numbers/booleans. */
struct elem {
	json_t	*obj;
	char	 buf[16][64];
	int	 n;
};

static const char *
get_elem(void *arg, const char *key)
{
	struct elem	*e = arg;
	json_t		*v = json_object_get(e->obj, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (e->n == 16)
		return NULL;
	if (json_is_integer(v))
		snprintf(e->buf[e->n], 64, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (json_is_real(v))
		snprintf(e->buf[e->n], 64, "%.10g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(e->buf[e->n], 64, "%s", json_is_true(v) ? "true" :
		    "false");
	else
		return "";
	return e->buf[e->n++];
}

static int
err_set(struct exch_err *e, int code, const char *fmt, const char *name)
{
	return exch_err_set(e, 400, code, fmt, name);
}

static int
cid_ok(const char *s)
{
	size_t	n = strlen(s);

	if (n < 1 || n > 36)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr(".:/_-", *s) == NULL)
			return 0;
	return 1;
}

static int
get_dec(struct getter *g, const char *name, double *out, struct exch_err *e)
{
	const char *v = g->get(g->arg, name);

	*out = 0;
	if (v == NULL || *v == '\0')
		return 0;
	if (parse_dec(v, out) == -1)
		return exch_err_set(e, 400, -1100, "Illegal characters found "
		    "in parameter '%s'; legal range is '%s'.", name,
		    "^([0-9]{1,20})(\\.[0-9]{1,20})?$");
	return 0;
}

static int
bad_value(struct exch_err *e, const char *name)
{
	return err_set(e, -1130, "Data sent for paramter '%s' is not valid.",
	    name);
}

/* Parse an order's parameters; -1 with e filled. *result: RESULT type. */
static int
order_parse(struct getter *g, struct exch_order_req *o, int *result,
    struct exch_err *e)
{
	const char	*v;
	int64_t		 gtd;

	memset(o, 0, sizeof(*o));
	*result = 0;
	if ((o->symbol = g->get(g->arg, "symbol")) == NULL || !*o->symbol)
		return err_set(e, -1102, "Mandatory parameter '%s' was not "
		    "sent, was empty/null, or malformed.", "symbol");
	if ((v = g->get(g->arg, "side")) == NULL || !*v)
		return err_set(e, -1102, "Mandatory parameter '%s' was not "
		    "sent, was empty/null, or malformed.", "side");
	if (exch_side_parse(v, &o->side) == -1)
		return exch_err_set(e, 400, -1117, "Invalid side.");
	if ((v = g->get(g->arg, "type")) == NULL || !*v)
		return err_set(e, -1102, "Mandatory parameter '%s' was not "
		    "sent, was empty/null, or malformed.", "type");
	if (exch_otype_parse(v, &o->type) == -1)
		return exch_err_set(e, 400, -1116, "Invalid orderType.");
	if ((v = g->get(g->arg, "timeInForce")) != NULL && *v) {
		if (exch_tif_parse(v, &o->tif) == -1)
			return exch_err_set(e, 400, -1115,
			    "Invalid timeInForce.");
		o->tif_set = true;
	}
	if (get_dec(g, "quantity", &o->quantity, e) == -1 ||
	    get_dec(g, "price", &o->price, e) == -1)
		return -1;
	if ((v = g->get(g->arg, "reduceOnly")) != NULL && *v) {
		if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0)
			return bad_value(e, "reduceOnly");
		o->reduce_only = strcasecmp(v, "true") == 0;
	}
	if ((v = g->get(g->arg, "positionSide")) != NULL && *v &&
	    exch_pside_parse(v, &o->pside) == -1)
		return bad_value(e, "positionSide");
	if ((v = g->get(g->arg, "newClientOrderId")) != NULL && *v) {
		if (!cid_ok(v))
			return exch_err_set(e, 400, -1100, "Illegal characters "
			    "found in parameter '%s'; legal range is '%s'.",
			    "newClientOrderId", CID_RANGE);
		o->client_id = v;
	}
	if ((v = g->get(g->arg, "goodTillDate")) != NULL && *v) {
		if (parse_i64(v, &gtd) == -1 || gtd < 0)
			return exch_err_set(e, 400, -1100, "Illegal characters "
			    "found in parameter '%s'; legal range is '%s'.",
			    "goodTillDate", "^[0-9]{1,20}$");
		o->good_till_ms = gtd;
	}
	if ((v = g->get(g->arg, "selfTradePreventionMode")) != NULL && *v &&
	    exch_stp_parse(v, &o->stp) == -1)
		return bad_value(e, "selfTradePreventionMode");
	if ((v = g->get(g->arg, "newOrderRespType")) != NULL && *v) {
		if (strcmp(v, "RESULT") == 0)
			*result = 1;
		else if (strcmp(v, "ACK") != 0)
			return bad_value(e, "newOrderRespType");
	}
	if ((v = g->get(g->arg, "priceMatch")) != NULL && *v &&
	    strcmp(v, "NONE") != 0)
		return bad_value(e, "priceMatch");
	return 0;
}

json_t *
order_json(const struct exch_order *o, int with_time)
{
	int	 pp = o->price_precision, qp = o->qty_precision;
	json_t	*j = json_object();

	json_object_set_new(j, "orderId", json_integer(o->order_id));
	json_object_set_new(j, "symbol", json_string(o->symbol));
	json_object_set_new(j, "status",
	    json_string(exch_status_str(o->status)));
	json_object_set_new(j, "clientOrderId", json_string(o->client_id));
	json_object_set_new(j, "price", json_num(o->price, pp));
	json_object_set_new(j, "avgPrice", json_num(o->avg_price, pp));
	json_object_set_new(j, "origQty", json_num(o->orig_qty, qp));
	json_object_set_new(j, "executedQty", json_num(o->executed_qty, qp));
	json_object_set_new(j, "cumQty", json_num(o->executed_qty, qp));
	json_object_set_new(j, "cumQuote", json_num(o->cum_quote, pp));
	json_object_set_new(j, "timeInForce", json_string(exch_tif_str(o->tif)));
	json_object_set_new(j, "type", json_string(exch_otype_str(o->type)));
	json_object_set_new(j, "reduceOnly", json_boolean(o->reduce_only));
	json_object_set_new(j, "closePosition", json_boolean(o->close_position));
	json_object_set_new(j, "side", json_string(exch_side_str(o->side)));
	json_object_set_new(j, "positionSide",
	    json_string(exch_pside_str(o->pside)));
	json_object_set_new(j, "stopPrice", json_num(o->stop_price, pp));
	json_object_set_new(j, "workingType", json_string("CONTRACT_PRICE"));
	json_object_set_new(j, "priceProtect", json_boolean(o->price_protect));
	json_object_set_new(j, "origType",
	    json_string(exch_otype_str(o->type)));
	json_object_set_new(j, "priceMatch", json_string("NONE"));
	json_object_set_new(j, "selfTradePreventionMode",
	    json_string(exch_stp_str(o->stp)));
	json_object_set_new(j, "goodTillDate", json_integer(o->good_till_ms));
	if (with_time)
		json_object_set_new(j, "time", json_integer(o->time_ms));
	json_object_set_new(j, "updateTime", json_integer(o->update_time_ms));
	return j;
}

/* An ACK shows the order as accepted, before any matching. */
static void
order_as_ack(struct exch_order *o)
{
	o->status = EXCH_ST_NEW;
	o->executed_qty = 0;
	o->cum_quote = 0;
	o->avg_price = 0;
	o->update_time_ms = o->time_ms;
}

/* Place one order; the order's JSON or a {code,msg} object. */
static json_t *
order_place(struct wire *w, struct exch_account *a, struct getter *g,
    int *http)
{
	struct exch_order_req	 req;
	struct exch_order	 o;
	struct exch_err		 e;
	int			 result;

	memset(&e, 0, sizeof(e));
	if (order_parse(g, &req, &result, &e) == -1 ||
	    exch_order_place(w->ex, a, &req, &o, &e) == -1) {
		*http = e.http ? e.http : 400;
		return json_err(&e);
	}
	*http = 200;
	if (!result)
		order_as_ack(&o);
	return order_json(&o, 0);
}

/* The 503 "unknown" fault: 1 when this placement must answer 503. */
static int
fault_unknown(struct wire *w, int *execute)
{
	if (w->fault.unknown_left <= 0)
		return 0;
	w->fault.unknown_left--;
	*execute = w->fault.unknown_execute;
	return 1;
}

void
ep_order_new(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct getter	 g = { get_req, req };
	json_t		*j;
	int		 http, unknown, execute = 0;

	unknown = fault_unknown(w, &execute);
	if (unknown && !execute) {
		resp_error(r, 503, -1000, MSG_UNKNOWN);
		return;
	}
	j = order_place(w, a, &g, &http);
	if (unknown) {
		json_decref(j);
		resp_error(r, 503, -1000, MSG_UNKNOWN);
		return;
	}
	resp_json(r, http, j);
}

static int
get_order_ref(struct wire_req *req, struct wire_resp *r, int64_t *id,
    const char **cid)
{
	const char *v = wire_param(req, "orderId");

	*id = 0;
	*cid = wire_param(req, "origClientOrderId");
	if (*cid != NULL && **cid == '\0')
		*cid = NULL;
	if (v != NULL && *v != '\0' && (parse_i64(v, id) == -1 || *id <= 0)) {
		resp_illegal(r, "orderId", "^[0-9]{1,20}$");
		return -1;
	}
	if (*id == 0 && *cid == NULL) {
		resp_error(r, 400, -1102, "Param 'origClientOrderId' or "
		    "'orderId' must be sent, but both were empty/null!");
		return -1;
	}
	return 0;
}

typedef int (*order_ref_fn)(struct exch *, struct exch_account *,
    const char *, int64_t, const char *, struct exch_order *,
    struct exch_err *);

/* One order named by orderId or origClientOrderId: fn, then its element. */
static void
order_by_ref(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r, order_ref_fn fn, int full)
{
	struct exch_order	 o;
	struct exch_err		 e;
	const char		*cid;
	int64_t			 id;

	if (rest_symbol(w, req, r, 1) < 0 || get_order_ref(req, r, &id,
	    &cid) == -1)
		return;
	memset(&e, 0, sizeof(e));
	if (fn(w->ex, a, wire_param(req, "symbol"), id, cid, &o, &e) == -1)
		resp_exch_err(r, &e);
	else
		resp_json(r, 200, order_json(&o, full));
}

void
ep_order_cancel(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	order_by_ref(w, a, req, r, exch_order_cancel, 0);
}

void
ep_order_query(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	order_by_ref(w, a, req, r, exch_order_query, 1);
}

/* PUT /fapi/v1/order: the USD-M form needs side, quantity and price. */
static int
modify_parse(struct getter *g, struct exch_modify_req *m, struct exch_err *e)
{
	const char *v;

	if ((v = g->get(g->arg, "side")) == NULL || !*v)
		return err_set(e, -1102, "Mandatory parameter '%s' was not "
		    "sent, was empty/null, or malformed.", "side");
	if (exch_side_parse(v, &m->side) == -1)
		return exch_err_set(e, 400, -1117, "Invalid side.");
	if (get_dec(g, "quantity", &m->quantity, e) == -1 ||
	    get_dec(g, "price", &m->price, e) == -1)
		return -1;
	if (m->quantity <= 0 || m->price <= 0)
		return err_set(e, -1102, "Mandatory parameter '%s' was not "
		    "sent, was empty/null, or malformed.", m->quantity <= 0 ?
		    "quantity" : "price");
	if ((v = g->get(g->arg, "priceMatch")) != NULL && *v &&
	    strcmp(v, "NONE") != 0)
		return bad_value(e, "priceMatch");
	return 0;
}

void
ep_order_modify(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct getter		 g = { get_req, req };
	struct exch_modify_req	 m;
	struct exch_order	 o;
	struct exch_err		 e;

	memset(&m, 0, sizeof(m));
	memset(&e, 0, sizeof(e));
	if (rest_symbol(w, req, r, 1) < 0 || get_order_ref(req, r,
	    &m.order_id, &m.orig_client_id) == -1)
		return;
	m.symbol = wire_param(req, "symbol");
	if (modify_parse(&g, &m, &e) == -1 ||
	    exch_order_modify(w->ex, a, &m, &o, &e) == -1)
		resp_exch_err(r, &e);
	else
		resp_json(r, 200, order_json(&o, 0));
}

void
ep_cancel_all(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct exch_err	e;

	if (rest_symbol(w, req, r, 1) < 0)
		return;
	memset(&e, 0, sizeof(e));
	if (exch_order_cancel_all(w->ex, a, wire_param(req, "symbol"),
	    &e) == -1)
		resp_exch_err(r, &e);
	else
		resp_json(r, 200, json_pack("{s:i,s:s}", "code", 200, "msg",
		    "The operation of cancel all open order is done."));
}

void
ep_batch_new(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	const char	*b = wire_param(req, "batchOrders");
	json_t		*arr, *out, *it;
	struct elem	 el;
	struct getter	 g = { get_elem, &el };
	size_t		 i;
	int		 http, unknown, execute = 0;

	if (b == NULL || *b == '\0') {
		resp_mandatory(r, "batchOrders");
		return;
	}
	arr = json_loads(b, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > 5) {
		json_decref(arr);
		resp_error(r, 400, -1130, "Data sent for paramter '%s' is not "
		    "valid.", "batchOrders");
		return;
	}
	unknown = fault_unknown(w, &execute);
	if (unknown && !execute) {
		json_decref(arr);
		resp_error(r, 503, -1000, MSG_UNKNOWN);
		return;
	}
	out = json_array();
	json_array_foreach(arr, i, it) {
		memset(&el, 0, sizeof(el));
		el.obj = it;
		if (!json_is_object(it))
			json_array_append_new(out, json_pack("{s:i,s:s}",
			    "code", -1130, "msg", "Data sent for paramter "
			    "'batchOrders' is not valid."));
		else
			json_array_append_new(out, order_place(w, a, &g,
			    &http));
	}
	json_decref(arr);
	if (unknown) {
		json_decref(out);
		resp_error(r, 503, -1000, MSG_UNKNOWN);
		return;
	}
	resp_json(r, 200, out);
}

static json_t *
cancel_one(struct wire *w, struct exch_account *a, const char *sym,
    int64_t id, const char *cid)
{
	struct exch_order	o;
	struct exch_err		e;

	memset(&e, 0, sizeof(e));
	if (exch_order_cancel(w->ex, a, sym, id, cid, &o, &e) == -1)
		return json_err(&e);
	return order_json(&o, 0);
}

void
ep_batch_cancel(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	const char	*ids = wire_param(req, "orderIdList");
	const char	*cids = wire_param(req, "origClientOrderIdList");
	const char	*name = ids ? "orderIdList" : "origClientOrderIdList";
	const char	*sym = wire_param(req, "symbol");
	json_t		*arr, *out, *it;
	size_t		 i;

	if (rest_symbol(w, req, r, 1) < 0)
		return;
	if ((ids == NULL || !*ids) && (cids == NULL || !*cids)) {
		resp_error(r, 400, -1102, "Param 'origClientOrderIdList' or "
		    "'orderIdList' must be sent, but both were empty/null!");
		return;
	}
	arr = json_loads(ids ? ids : cids, 0, NULL);
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > 10) {
		json_decref(arr);
		resp_error(r, 400, -1130, "Data sent for paramter '%s' is not "
		    "valid.", name);
		return;
	}
	out = json_array();
	json_array_foreach(arr, i, it) {
		if (ids != NULL && json_is_integer(it))
			json_array_append_new(out, cancel_one(w, a, sym,
			    json_integer_value(it), NULL));
		else if (ids == NULL && json_is_string(it))
			json_array_append_new(out, cancel_one(w, a, sym, 0,
			    json_string_value(it)));
		else
			json_array_append_new(out, json_pack("{s:i,s:s}",
			    "code", -1130, "msg", "Data sent for paramter "
			    "'orderIdList' is not valid."));
	}
	json_decref(arr);
	resp_json(r, 200, out);
}

void
ep_open_orders(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct exch_order	*os;
	struct exch_err		 e;
	const char		*sym = NULL;
	json_t			*arr;
	int			 n, i, s;

	if ((s = rest_symbol(w, req, r, 0)) == -1)
		return;
	if (s >= 0)
		sym = wire_param(req, "symbol");
	n = exch_open_order_count(w->ex, a, sym);
	if ((os = calloc((size_t)n + 1, sizeof(*os))) == NULL) {
		resp_error(r, 500, -1000, MSG_UNKNOWN);
		return;
	}
	memset(&e, 0, sizeof(e));
	if ((n = exch_open_orders(w->ex, a, sym, os, n, &e)) == -1) {
		free(os);
		resp_exch_err(r, &e);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, order_json(&os[i], 1));
	free(os);
	resp_json(r, 200, arr);
}

/* An optional non-negative integer; -1 with r filled when malformed. */
static int
get_opt_i64(struct wire_req *req, struct wire_resp *r, const char *name,
    int64_t *out)
{
	const char	*v = wire_param(req, name);

	*out = -1;
	if (v == NULL || *v == '\0')
		return 0;
	if (parse_i64(v, out) == -1 || *out < 0) {
		resp_illegal(r, name, "^[0-9]{1,20}$");
		return -1;
	}
	return 0;
}

/*
 * The parameters both history endpoints share. For allOrders "orderId"
 * is where the list starts (ids >= it); for userTrades it names one
 * order and "fromId" is where the list starts. Range errors (limit,
 * window, combinations) are the core's.
 */
static int
hist_parse(struct wire *w, struct wire_req *req, struct wire_resp *r,
    int trades, struct exch_hist_query *q)
{
	const char	*l = wire_param(req, "limit");
	int64_t		 v;

	if (rest_symbol(w, req, r, 1) < 0)
		return -1;
	exch_hist_query_init(q, wire_param(req, "symbol"));
	if (get_opt_i64(req, r, "orderId", trades ? &q->order_id :
	    &q->from_id) == -1 || (trades && get_opt_i64(req, r, "fromId",
	    &q->from_id) == -1) || get_opt_i64(req, r, "startTime",
	    &q->start_ms) == -1 || get_opt_i64(req, r, "endTime",
	    &q->end_ms) == -1)
		return -1;
	if (l != NULL && *l != '\0') {
		if (parse_i64(l, &v) == -1) {
			resp_illegal(r, "limit", "^[0-9]{1,20}$");
			return -1;
		}
		/* out of range either way: the core says -1130 */
		q->limit = v < 0 ? -1 : v > EXCH_HIST_LIMIT_MAX ?
		    EXCH_HIST_LIMIT_MAX + 1 : (int)v;
	}
	return 0;
}

/* Binance's element, fields in Binance's order. */
static json_t *
trade_json(const struct exch_trade *t)
{
	int	 pp = t->price_precision, qp = t->qty_precision;
	json_t	*j = json_object();

	json_object_set_new(j, "buyer", json_boolean(t->side == EXCH_BUY));
	json_object_set_new(j, "commission", json_num(t->commission, 8));
	json_object_set_new(j, "commissionAsset", json_string("USDT"));
	json_object_set_new(j, "id", json_integer(t->id));
	json_object_set_new(j, "maker", json_boolean(t->maker));
	json_object_set_new(j, "orderId", json_integer(t->order_id));
	json_object_set_new(j, "price", json_num(t->price, pp));
	json_object_set_new(j, "qty", json_num(t->qty, qp));
	json_object_set_new(j, "quoteQty", json_num(t->quote_qty,
	    pp + qp < 8 ? pp + qp : 8));
	json_object_set_new(j, "realizedPnl", json_num(t->realized_pnl, 8));
	json_object_set_new(j, "side", json_string(exch_side_str(t->side)));
	json_object_set_new(j, "positionSide", json_string("BOTH"));
	json_object_set_new(j, "symbol", json_string(t->symbol));
	json_object_set_new(j, "time", json_integer(t->time_ms));
	return j;
}

/* userTrades (trades) or allOrders: the account's history as an array. */
static void
hist_answer(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r, int trades)
{
	struct exch_hist_query	 q;
	struct exch_err		 e;
	struct exch_trade	*t = NULL;
	struct exch_order	*os = NULL;
	json_t			*arr;
	int			 n, i;

	if (hist_parse(w, req, r, trades, &q) == -1)
		return;
	if (trades ? (t = calloc(EXCH_HIST_LIMIT_MAX, sizeof(*t))) == NULL :
	    (os = calloc(EXCH_HIST_LIMIT_MAX, sizeof(*os))) == NULL) {
		resp_error(r, 500, -1000, MSG_UNKNOWN);
		return;
	}
	memset(&e, 0, sizeof(e));
	n = trades ? exch_user_trades(w->ex, a, &q, t, EXCH_HIST_LIMIT_MAX,
	    &e) : exch_all_orders(w->ex, a, &q, os, EXCH_HIST_LIMIT_MAX, &e);
	if (n == -1)
		resp_exch_err(r, &e);
	else {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, trades ? trade_json(&t[i]) :
			    order_json(&os[i], 1));
		resp_json(r, 200, arr);
	}
	free(t);
	free(os);
}

void
ep_user_trades(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	hist_answer(w, a, req, r, 1);
}

void
ep_all_orders(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	hist_answer(w, a, req, r, 0);
}

/* An optional integer parameter from lo up; -1 with r filled. */
static int
get_opt_int(struct wire_req *req, struct wire_resp *r, const char *name,
    int *out)
{
	const char	*v = wire_param(req, name);
	int64_t		 x;

	if (v == NULL || *v == '\0')
		return 0;
	if (parse_i64(v, &x) == -1) {
		resp_illegal(r, name, "^[0-9]{1,20}$");
		return -1;
	}
	/* out of range either way: the core says -1130 */
	*out = x < 0 ? -1 : x > 1000000000 ? 1000000000 : (int)x;
	return 0;
}

/* Binance's element: tranId a number, tradeId a string ("" if none). */
static json_t *
income_json(const struct exch_income *in)
{
	const char	*type = exch_income_type_str(in->type);
	char		 tid[24] = "";

	if (in->trade_id > 0)
		snprintf(tid, sizeof(tid), "%lld", (long long)in->trade_id);
	return json_pack("{s:s,s:s,s:o,s:s,s:s,s:I,s:I,s:s}", "symbol",
	    in->symbol, "incomeType", type, "income", json_num(in->income, 8),
	    "asset", "USDT", "info", in->trade_id > 0 ? tid : type,
	    "time", (json_int_t)in->time_ms, "tranId",
	    (json_int_t)in->tran_id, "tradeId", tid);
}

/* GET /fapi/v1/income?[symbol][&incomeType][&startTime][&endTime]
 * [&page][&limit] */
void
ep_income(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct exch_income_query q;
	struct exch_income	*in;
	struct exch_err		 e;
	const char		*t = wire_param(req, "incomeType");
	json_t			*arr;
	int			 n, i;

	if (rest_symbol(w, req, r, 0) == -1)
		return;
	exch_income_query_init(&q);
	q.symbol = wire_param(req, "symbol");
	if (t != NULL && *t != '\0' && exch_income_type_parse(t,
	    &q.type) == -1) {
		resp_illegal(r, "incomeType", "TRANSFER, REALIZED_PNL, "
		    "FUNDING_FEE, COMMISSION");
		return;
	}
	if (get_opt_i64(req, r, "startTime", &q.start_ms) == -1 ||
	    get_opt_i64(req, r, "endTime", &q.end_ms) == -1 ||
	    get_opt_int(req, r, "limit", &q.limit) == -1 ||
	    get_opt_int(req, r, "page", &q.page) == -1)
		return;
	if ((in = calloc(EXCH_HIST_LIMIT_MAX, sizeof(*in))) == NULL) {
		resp_error(r, 500, -1000, MSG_UNKNOWN);
		return;
	}
	memset(&e, 0, sizeof(e));
	if ((n = exch_income(w->ex, a, &q, in, EXCH_HIST_LIMIT_MAX,
	    &e)) == -1)
		resp_exch_err(r, &e);
	else {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, income_json(&in[i]));
		resp_json(r, 200, arr);
	}
	free(in);
}

void
ep_countdown(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	const char	*v = wire_param(req, "countdownTime");
	struct exch_err	 e;
	int64_t		 ms;
	char		 buf[32];

	if (rest_symbol(w, req, r, 1) < 0)
		return;
	if (v == NULL || *v == '\0') {
		resp_mandatory(r, "countdownTime");
		return;
	}
	if (parse_i64(v, &ms) == -1 || ms < 0) {
		resp_illegal(r, "countdownTime", "^[0-9]{1,20}$");
		return;
	}
	memset(&e, 0, sizeof(e));
	if (exch_countdown_set(w->ex, a, wire_param(req, "symbol"), ms,
	    &e) == -1) {
		resp_exch_err(r, &e);
		return;
	}
	snprintf(buf, sizeof(buf), "%lld", (long long)ms);
	resp_json(r, 200, json_pack("{s:s,s:s}", "symbol",
	    wire_param(req, "symbol"), "countdownTime", buf));
}

static int
qty_prec(struct wire *w, const char *symbol)
{
	int	s = exch_symbol_index(w->ex, symbol);

	return s < 0 ? 3 : exch_symbol(w->ex, s)->qty_precision;
}

static json_t *
position_v2_json(struct wire *w, const struct exch_position *p)
{
	json_t	*j = json_object();
	char	 lev[16];

	snprintf(lev, sizeof(lev), "%d", p->leverage);
	json_object_set_new(j, "symbol", json_string(p->symbol));
	json_object_set_new(j, "positionAmt",
	    json_num(p->position_amt, qty_prec(w, p->symbol)));
	json_object_set_new(j, "entryPrice", json_dec(p->entry_price));
	json_object_set_new(j, "breakEvenPrice",
	    json_dec(p->break_even_price));
	json_object_set_new(j, "markPrice", json_num(p->mark_price, 8));
	json_object_set_new(j, "unRealizedProfit",
	    json_num(p->unrealized_pnl, 8));
	json_object_set_new(j, "liquidationPrice",
	    json_num(p->liquidation_price, 8));
	json_object_set_new(j, "leverage", json_string(lev));
	json_object_set_new(j, "maxNotionalValue", json_dec(p->max_notional));
	json_object_set_new(j, "marginType", json_string("cross"));
	json_object_set_new(j, "isolatedMargin", json_string("0.00000000"));
	json_object_set_new(j, "isAutoAddMargin", json_string("false"));
	json_object_set_new(j, "positionSide", json_string("BOTH"));
	json_object_set_new(j, "notional", json_num(p->notional, 8));
	json_object_set_new(j, "isolatedWallet", json_string("0"));
	json_object_set_new(j, "updateTime", json_integer(p->update_time_ms));
	return j;
}

static json_t *
position_v3_json(struct wire *w, const struct exch_position *p)
{
	json_t	*j = json_object();

	json_object_set_new(j, "symbol", json_string(p->symbol));
	json_object_set_new(j, "positionSide", json_string("BOTH"));
	json_object_set_new(j, "positionAmt",
	    json_num(p->position_amt, qty_prec(w, p->symbol)));
	json_object_set_new(j, "entryPrice", json_dec(p->entry_price));
	json_object_set_new(j, "breakEvenPrice",
	    json_dec(p->break_even_price));
	json_object_set_new(j, "markPrice", json_num(p->mark_price, 8));
	json_object_set_new(j, "unRealizedProfit",
	    json_num(p->unrealized_pnl, 8));
	json_object_set_new(j, "liquidationPrice",
	    json_num(p->liquidation_price, 8));
	json_object_set_new(j, "isolatedMargin", json_string("0"));
	json_object_set_new(j, "notional", json_num(p->notional, 8));
	json_object_set_new(j, "marginAsset", json_string("USDT"));
	json_object_set_new(j, "isolatedWallet", json_string("0"));
	json_object_set_new(j, "initialMargin",
	    json_num(p->initial_margin, 8));
	json_object_set_new(j, "maintMargin", json_num(p->maint_margin, 8));
	json_object_set_new(j, "positionInitialMargin",
	    json_num(p->position_initial_margin, 8));
	json_object_set_new(j, "openOrderInitialMargin",
	    json_num(p->open_order_initial_margin, 8));
	json_object_set_new(j, "adl", json_integer(0));
	json_object_set_new(j, "bidNotional", json_string("0"));
	json_object_set_new(j, "askNotional", json_string("0"));
	json_object_set_new(j, "updateTime", json_integer(p->update_time_ms));
	return j;
}

/* v2 lists every symbol; v3 only those with a position or open orders. */
static void
position_risk(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r, int v3)
{
	struct exch_position	 ps[EXCH_SYM_MAX];
	const char		*sym = NULL;
	json_t			*arr = json_array();
	int			 n, i, s;

	if ((s = rest_symbol(w, req, r, 0)) == -1) {
		json_decref(arr);
		return;
	}
	if (s >= 0)
		sym = exch_symbol(w->ex, s)->symbol;
	n = exch_positions(w->ex, a, ps, EXCH_SYM_MAX);
	for (i = 0; i < n; i++) {
		if (sym != NULL && strcmp(ps[i].symbol, sym) != 0)
			continue;
		if (v3 && ps[i].position_amt == 0 &&
		    exch_open_order_count(w->ex, a, ps[i].symbol) == 0)
			continue;
		json_array_append_new(arr, v3 ? position_v3_json(w, &ps[i]) :
		    position_v2_json(w, &ps[i]));
	}
	resp_json(r, 200, arr);
}

void
ep_position_risk_v2(struct wire *w, struct exch_account *a,
    struct wire_req *req, struct wire_resp *r)
{
	position_risk(w, a, req, r, 0);
}

void
ep_position_risk_v3(struct wire *w, struct exch_account *a,
    struct wire_req *req, struct wire_resp *r)
{
	position_risk(w, a, req, r, 1);
}

/*
 * An asset's updateTime: when its balance last changed. A funded account
 * that never traded says 0 in the core; clients such as ccxt skip assets
 * with updateTime 0 as uninitialised, so it shows the exchange's start.
 */
static int64_t
asset_time(const struct wire *w, const struct exch_account_info *ai)
{
	return ai->update_time_ms ? ai->update_time_ms : w->start_ms;
}

static json_t *
asset_json(const struct wire *w, const struct exch_account_info *ai)
{
	json_t	*j = json_object();

	json_object_set_new(j, "asset", json_string("USDT"));
	json_object_set_new(j, "walletBalance",
	    json_num(ai->total_wallet_balance, 8));
	json_object_set_new(j, "unrealizedProfit",
	    json_num(ai->total_unrealized_profit, 8));
	json_object_set_new(j, "marginBalance",
	    json_num(ai->total_margin_balance, 8));
	json_object_set_new(j, "maintMargin",
	    json_num(ai->total_maint_margin, 8));
	json_object_set_new(j, "initialMargin",
	    json_num(ai->total_initial_margin, 8));
	json_object_set_new(j, "positionInitialMargin",
	    json_num(ai->total_position_initial_margin, 8));
	json_object_set_new(j, "openOrderInitialMargin",
	    json_num(ai->total_open_order_initial_margin, 8));
	json_object_set_new(j, "crossWalletBalance",
	    json_num(ai->total_cross_wallet_balance, 8));
	json_object_set_new(j, "crossUnPnl",
	    json_num(ai->total_cross_un_pnl, 8));
	json_object_set_new(j, "availableBalance",
	    json_num(ai->available_balance, 8));
	json_object_set_new(j, "maxWithdrawAmount",
	    json_num(ai->max_withdraw_amount, 8));
	json_object_set_new(j, "marginAvailable", json_true());
	json_object_set_new(j, "updateTime", json_integer(asset_time(w, ai)));
	return j;
}

static json_t *
account_position_json(struct wire *w, const struct exch_position *p)
{
	json_t	*j = json_object();
	char	 lev[16];

	snprintf(lev, sizeof(lev), "%d", p->leverage);
	json_object_set_new(j, "symbol", json_string(p->symbol));
	json_object_set_new(j, "initialMargin",
	    json_num(p->initial_margin, 8));
	json_object_set_new(j, "maintMargin", json_num(p->maint_margin, 8));
	json_object_set_new(j, "unrealizedProfit",
	    json_num(p->unrealized_pnl, 8));
	json_object_set_new(j, "positionInitialMargin",
	    json_num(p->position_initial_margin, 8));
	json_object_set_new(j, "openOrderInitialMargin",
	    json_num(p->open_order_initial_margin, 8));
	json_object_set_new(j, "leverage", json_string(lev));
	json_object_set_new(j, "isolated", json_false());
	json_object_set_new(j, "entryPrice", json_dec(p->entry_price));
	json_object_set_new(j, "breakEvenPrice",
	    json_dec(p->break_even_price));
	json_object_set_new(j, "maxNotional", json_dec(p->max_notional));
	json_object_set_new(j, "positionSide", json_string("BOTH"));
	json_object_set_new(j, "positionAmt",
	    json_num(p->position_amt, qty_prec(w, p->symbol)));
	json_object_set_new(j, "notional", json_num(p->notional, 8));
	json_object_set_new(j, "isolatedWallet", json_string("0"));
	json_object_set_new(j, "updateTime", json_integer(p->update_time_ms));
	json_object_set_new(j, "bidNotional", json_string("0"));
	json_object_set_new(j, "askNotional", json_string("0"));
	return j;
}

void
ep_account(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct exch_account_info ai;
	struct exch_position	 ps[EXCH_SYM_MAX];
	json_t			*j, *pos;
	int			 n, i;

	(void)req;
	exch_account_info(w->ex, a, &ai);
	j = json_object();
	json_object_set_new(j, "feeTier", json_integer(0));
	json_object_set_new(j, "canTrade", json_true());
	json_object_set_new(j, "canDeposit", json_true());
	json_object_set_new(j, "canWithdraw", json_true());
	json_object_set_new(j, "feeBurn", json_false());
	json_object_set_new(j, "tradeGroupId", json_integer(-1));
	json_object_set_new(j, "updateTime", json_integer(0));
	json_object_set_new(j, "multiAssetsMargin", json_false());
	json_object_set_new(j, "totalInitialMargin",
	    json_num(ai.total_initial_margin, 8));
	json_object_set_new(j, "totalMaintMargin",
	    json_num(ai.total_maint_margin, 8));
	json_object_set_new(j, "totalWalletBalance",
	    json_num(ai.total_wallet_balance, 8));
	json_object_set_new(j, "totalUnrealizedProfit",
	    json_num(ai.total_unrealized_profit, 8));
	json_object_set_new(j, "totalMarginBalance",
	    json_num(ai.total_margin_balance, 8));
	json_object_set_new(j, "totalPositionInitialMargin",
	    json_num(ai.total_position_initial_margin, 8));
	json_object_set_new(j, "totalOpenOrderInitialMargin",
	    json_num(ai.total_open_order_initial_margin, 8));
	json_object_set_new(j, "totalCrossWalletBalance",
	    json_num(ai.total_cross_wallet_balance, 8));
	json_object_set_new(j, "totalCrossUnPnl",
	    json_num(ai.total_cross_un_pnl, 8));
	json_object_set_new(j, "availableBalance",
	    json_num(ai.available_balance, 8));
	json_object_set_new(j, "maxWithdrawAmount",
	    json_num(ai.max_withdraw_amount, 8));
	json_object_set_new(j, "assets", json_pack("[o]", asset_json(w, &ai)));
	pos = json_array();
	n = exch_positions(w->ex, a, ps, EXCH_SYM_MAX);
	for (i = 0; i < n; i++)
		json_array_append_new(pos, account_position_json(w, &ps[i]));
	json_object_set_new(j, "positions", pos);
	resp_json(r, 200, j);
}

void
ep_balance(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	struct exch_account_info ai;
	char			 alias[16];
	json_t			*j = json_object();

	(void)req;
	exch_account_info(w->ex, a, &ai);
	snprintf(alias, sizeof(alias), "pmm%d", exch_account_id(a));
	json_object_set_new(j, "accountAlias", json_string(alias));
	json_object_set_new(j, "asset", json_string("USDT"));
	json_object_set_new(j, "balance",
	    json_num(ai.total_wallet_balance, 8));
	json_object_set_new(j, "crossWalletBalance",
	    json_num(ai.total_cross_wallet_balance, 8));
	json_object_set_new(j, "crossUnPnl",
	    json_num(ai.total_cross_un_pnl, 8));
	json_object_set_new(j, "availableBalance",
	    json_num(ai.available_balance, 8));
	json_object_set_new(j, "maxWithdrawAmount",
	    json_num(ai.max_withdraw_amount, 8));
	json_object_set_new(j, "marginAvailable", json_true());
	json_object_set_new(j, "updateTime", json_integer(asset_time(w, &ai)));
	resp_json(r, 200, json_pack("[o]", j));
}

void
ep_leverage(struct wire *w, struct exch_account *a, struct wire_req *req,
    struct wire_resp *r)
{
	const char	*v = wire_param(req, "leverage");
	struct exch_err	 e;
	double		 maxn = 0;
	int64_t		 lev;

	if (rest_symbol(w, req, r, 1) < 0)
		return;
	if (v == NULL || *v == '\0') {
		resp_mandatory(r, "leverage");
		return;
	}
	if (parse_i64(v, &lev) == -1) {
		resp_illegal(r, "leverage", "^[0-9]{1,20}$");
		return;
	}
	memset(&e, 0, sizeof(e));
	if (lev < 1 || lev > 125) {
		resp_error(r, 400, -4028, "Leverage %lld is not valid",
		    (long long)lev);
		return;
	}
	if (exch_leverage_set(w->ex, a, wire_param(req, "symbol"), (int)lev,
	    &maxn, &e) == -1) {
		resp_exch_err(r, &e);
		return;
	}
	resp_json(r, 200, json_pack("{s:I,s:o,s:s}", "leverage",
	    (json_int_t)lev, "maxNotionalValue", json_dec(maxn), "symbol",
	    wire_param(req, "symbol")));
}

static json_t *
brackets_json(const struct exch_symbol_spec *sp)
{
	json_t	*arr = json_array();
	int	 i;

	for (i = 0; i < sp->nbrackets; i++) {
		const struct exch_bracket *b = &sp->brackets[i];

		json_array_append_new(arr, json_pack("{s:i,s:i,s:f,s:f,s:f,"
		    "s:f}", "bracket", i + 1, "initialLeverage",
		    b->initial_leverage, "notionalCap", b->notional_cap,
		    "notionalFloor", b->notional_floor, "maintMarginRatio",
		    b->maint_margin_ratio, "cum", b->cum));
	}
	return json_pack("{s:s,s:o}", "symbol", sp->symbol, "brackets", arr);
}

/* GET /fapi/v1/leverageBracket: an array, or one object for a symbol. */
void
ep_leverage_bracket(struct wire *w, struct exch_account *a,
    struct wire_req *req, struct wire_resp *r)
{
	json_t	*arr;
	int	 sym, i;

	(void)a;
	if ((sym = rest_symbol(w, req, r, 0)) == -1)
		return;
	if (sym >= 0) {
		resp_json(r, 200, brackets_json(exch_symbol(w->ex, sym)));
		return;
	}
	arr = json_array();
	for (i = 0; i < exch_nsymbols(w->ex); i++)
		json_array_append_new(arr, brackets_json(exch_symbol(w->ex, i)));
	resp_json(r, 200, arr);
}

/* GET /fapi/v1/positionSide/dual: the engine runs one-way mode only. */
void
ep_position_mode(struct wire *w, struct exch_account *a,
    struct wire_req *req, struct wire_resp *r)
{
	(void)w;
	(void)a;
	(void)req;
	resp_json(r, 200, json_pack("{s:b}", "dualSidePosition", 0));
}

/* GET /fapi/v1/commissionRate?symbol= */
void
ep_commission_rate(struct wire *w, struct exch_account *a,
    struct wire_req *req, struct wire_resp *r)
{
	int	sym;

	(void)a;
	if ((sym = rest_symbol(w, req, r, 1)) < 0)
		return;
	resp_json(r, 200, json_pack("{s:s,s:o,s:o}", "symbol",
	    exch_symbol(w->ex, sym)->symbol, "makerCommissionRate",
	    json_dec(exch_fee_maker(w->ex)), "takerCommissionRate",
	    json_dec(exch_fee_taker(w->ex))));
}
