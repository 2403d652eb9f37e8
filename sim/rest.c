/*
 * rest.c — Binance USD-M REST on pmm-exchange: parameters, the signed
 * request rules, rate-limit accounting, routing, and the public and
 * listenKey endpoints. Trading and account endpoints are in rest_trade.c.
 *
 * A signed request is checked the way Binance does: API key (-2014 format
 * / -2015 unknown), mandatory timestamp and signature (-1102), the
 * timestamp window (-1021), then the HMAC over query string + body
 * (-1022). libwebsockets hands us the query string already %-decoded, so
 * the signature is checked against the re-encodings clients commonly use
 * (none, RFC 3986, form, JavaScript's encodeURIComponent); the body is
 * checked byte for byte as sent.
 */
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bn_sign.h"
#include "log.h"
#include "timeutil.h"

/* ---- responses ------------------------------------------------------- */

/* Body buffers keep LWS_PRE bytes of headroom for lws_write(). */
static void
resp_set_body(struct wire_resp *r, const char *s, size_t len)
{
	free(r->body);
	r->body = malloc(LWS_PRE + len + 1);
	if (r->body == NULL) {
		r->len = 0;
		return;
	}
	memcpy(r->body + LWS_PRE, s, len);
	r->body[LWS_PRE + len] = '\0';
	r->len = len;
}

void
resp_json(struct wire_resp *r, int status, json_t *j)
{
	char	*s;

	r->status = status;
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		resp_set_body(r, "{}", 2);
		json_decref(j);
		return;
	}
	resp_set_body(r, s, strlen(s));
	free(s);
	json_decref(j);
}

void
resp_error(struct wire_resp *r, int status, int code, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp_json(r, status, json_pack("{s:i, s:s}", "code", code, "msg", msg));
}

void
resp_exch_err(struct wire_resp *r, const struct exch_err *e)
{
	resp_error(r, e->http ? e->http : 400, e->code, "%s", e->msg);
}

json_t *
json_err(const struct exch_err *e)
{
	return json_pack("{s:i, s:s}", "code", e->code, "msg", e->msg);
}

/*
 * "%.*f" for prices and quantities, without printf: the values are whole
 * ticks or lots, so scaling by 10^precision lands on an integer and the
 * digits can be written directly (printf's float path was the largest
 * cost of a market data frame). Falls back to exch_fmt() out of range.
 */
int
wire_fmt(char *buf, size_t len, double v, int prec)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12 };
	char		 tmp[32];
	long long	 n;
	int		 i = 0, neg, k = 0;

	if (prec < 0 || prec > 12 || !(fabs(v) * p10[prec] < 9e15) ||
	    len < 32)
		return exch_fmt(buf, len, v, prec);
	n = llround(v * p10[prec]);
	neg = n < 0;
	if (neg)
		n = -n;
	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
		if (i == prec)
			tmp[i++] = '.';
	} while (n > 0 || i <= prec);
	if (tmp[i - 1] == '.')
		tmp[i++] = '0';
	if (neg && !(i == prec + 2 && strspn(tmp, "0.") == (size_t)i))
		buf[k++] = '-';		/* no "-0.00" */
	while (i > 0)
		buf[k++] = tmp[--i];
	buf[k] = '\0';
	return k;
}

/* A price/quantity string with the given decimals. */
json_t *
json_num(double v, int prec)
{
	char	buf[64];
	int	n = wire_fmt(buf, sizeof(buf), v, prec);

	return json_stringn_nocheck(buf, (size_t)n);
}

/* A filter value: as many decimals as it needs, none trailing. */
json_t *
json_dec(double v)
{
	char	buf[64], *p;

	snprintf(buf, sizeof(buf), "%.8f", v);
	if ((p = strchr(buf, '.')) != NULL) {
		p += strlen(p) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	return json_string(buf);
}

/* ---- parameters ------------------------------------------------------- */

void
wire_req_clear(struct wire_req *req)
{
	int	i;

	for (i = 0; i < req->nparams; i++) {
		free(req->params[i].key);
		free(req->params[i].val);
	}
	req->nparams = 0;
	for (i = 0; i < req->nqfrags; i++)
		free(req->qfrags[i]);
	free(req->qfrags);
	req->qfrags = NULL;
	req->nqfrags = 0;
	free(req->query);
	req->query = NULL;
	free(req->raw_query);
	req->raw_query = NULL;
	free(req->body);
	req->body = NULL;
	req->body_len = req->body_cap = 0;
}

const char *
wire_param(const struct wire_req *req, const char *key)
{
	int	i;

	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].key, key) == 0)
			return req->params[i].val;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode one x-www-form-urlencoded token of len bytes into a new string. */
static char *
form_decode(const char *s, size_t len)
{
	char	*out, *o;
	size_t	 i;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%' && i + 2 < len &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static int
param_add(struct wire_req *req, char *key, char *val)
{
	if (key == NULL || val == NULL || wire_param(req, key) != NULL ||
	    req->nparams == WIRE_MAX_PARAMS) {
		if (key != NULL && val != NULL && wire_param(req, key) == NULL)
			req->too_many_params = 1;
		free(key);
		free(val);
		return req->too_many_params ? -1 : 0;
	}
	req->params[req->nparams].key = key;
	req->params[req->nparams].val = val;
	req->nparams++;
	return 0;
}

int
rest_parse_params(struct wire_req *req)
{
	const char	*s, *amp, *eq, *end;
	int		 i;

	/* query first: on a clash the query string wins */
	for (i = 0; i < req->nqfrags; i++) {
		s = req->qfrags[i];
		if (*s == '\0')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			if (param_add(req, strdup(s), strdup("")) == -1)
				return -1;
		} else if (param_add(req, strndup(s, (size_t)(eq - s)),
		    strdup(eq + 1)) == -1)
			return -1;
	}
	if (req->body == NULL)
		return 0;
	end = req->body + req->body_len;
	for (s = req->body; s < end; s = amp + 1) {
		amp = memchr(s, '&', (size_t)(end - s));
		if (amp == NULL)
			amp = end;
		if (amp == s)
			continue;
		eq = memchr(s, '=', (size_t)(amp - s));
		if (eq == NULL)
			eq = amp;
		if (param_add(req, form_decode(s, (size_t)(eq - s)),
		    form_decode(eq < amp ? eq + 1 : amp,
		    (size_t)(amp - (eq < amp ? eq + 1 : amp)))) == -1)
			return -1;
	}
	return 0;
}

/* ---- signatures -------------------------------------------------------- */

enum enc_mode { ENC_RAW, ENC_RFC3986, ENC_FORM, ENC_JS, ENC_LOWER, ENC_N };

static int
enc_keep(int c, enum enc_mode m)
{
	if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
		return 1;
	if (m == ENC_JS && strchr("!*'()", c) != NULL && c != '\0')
		return 1;
	return 0;
}

static size_t
enc_append(char *out, size_t off, const char *s, size_t n, enum enc_mode m)
{
	static const char up[] = "0123456789ABCDEF", lo[] = "0123456789abcdef";
	const char	*hex = m == ENC_LOWER ? lo : up;
	size_t		 i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (m == ENC_RAW)
			out[off++] = c == ' ' ? '+' : (char)c;
		else if (enc_keep(c, m))
			out[off++] = (char)c;
		else if (c == ' ' && m == ENC_FORM)
			out[off++] = '+';
		else {
			out[off++] = '%';
			out[off++] = hex[c >> 4];
			out[off++] = hex[c & 15];
		}
	}
	return off;
}

/* The query string re-encoded with mode m, the signature left out. */
static char *
query_encode(const struct wire_req *req, enum enc_mode m, size_t *lenp)
{
	size_t	 cap = 1, off = 0;
	char	*out;
	int	 i;

	for (i = 0; i < req->nqfrags; i++)
		cap += strlen(req->qfrags[i]) * 3 + 1;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	for (i = 0; i < req->nqfrags; i++) {
		const char *f = req->qfrags[i], *eq = strchr(f, '=');

		if (strncmp(f, "signature=", 10) == 0 || *f == '\0')
			continue;
		if (off > 0)
			out[off++] = '&';
		if (eq == NULL) {
			off = enc_append(out, off, f, strlen(f), m);
			continue;
		}
		off = enc_append(out, off, f, (size_t)(eq - f), m);
		out[off++] = '=';
		off = enc_append(out, off, eq + 1, strlen(eq + 1), m);
	}
	out[off] = '\0';
	*lenp = off;
	return out;
}

/* Raw parameters as sent with their signature=... pair cut out. */
static char *
raw_unsigned(const char *b, size_t blen, size_t *lenp)
{
	const char	*end, *p, *q;
	char		*out;
	size_t		 off = 0;

	*lenp = 0;
	if (b == NULL)
		return strdup("");
	end = b + blen;
	if ((out = malloc(blen + 1)) == NULL)
		return NULL;
	for (p = b; p < end; p = q + 1) {
		q = memchr(p, '&', (size_t)(end - p));
		if (q == NULL)
			q = end;
		if ((size_t)(q - p) >= 10 && strncmp(p, "signature=", 10) == 0)
			continue;
		if (off > 0)
			out[off++] = '&';
		memcpy(out + off, p, (size_t)(q - p));
		off += (size_t)(q - p);
	}
	out[off] = '\0';
	*lenp = off;
	return out;
}

static int
rest_sig_ok(const struct wire_req *req, const char *secret, const char *sig)
{
	const char	*parts[2];
	size_t		 lens[2], blen, qlen;
	char		*body, *q;
	int		 m, ok = 0;

	if ((body = raw_unsigned(req->body, req->body_len, &blen)) == NULL)
		return 0;
	/* the query exactly as sent first, then common re-encodings */
	for (m = req->raw_query ? -1 : 0; m < ENC_N && !ok; m++) {
		if (m == -1)
			q = raw_unsigned(req->raw_query, strlen(req->raw_query),
			    &qlen);
		else
			q = query_encode(req, m, &qlen);
		if (q == NULL)
			break;
		parts[0] = q;
		lens[0] = qlen;
		parts[1] = body;
		lens[1] = blen;
		ok = bn_sign_verify_parts(secret, parts, lens, 2, sig);
		free(q);
	}
	free(body);
	return ok;
}

/* ---- value parsers ------------------------------------------------------ */

#define DEC_RANGE	"^([0-9]{1,20})(\\.[0-9]{1,20})?$"

int
parse_dec(const char *s, double *out)
{
	const char	*p = s;
	int		 ndig = 0, nfrac = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (isdigit((unsigned char)*p)) {
		p++;
		ndig++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			nfrac++;
		}
		if (nfrac == 0)
			return -1;
	}
	if (*p != '\0' || ndig == 0 || ndig > 20 || nfrac > 20)
		return -1;
	*out = strtod(s, NULL);
	return 0;
}

int
parse_i64(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return -1;
	if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && s[1] != '\0'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

void
resp_mandatory(struct wire_resp *r, const char *name)
{
	resp_error(r, 400, -1102, "Mandatory parameter '%s' was not sent, was "
	    "empty/null, or malformed.", name);
}

void
resp_illegal(struct wire_resp *r, const char *name, const char *range)
{
	resp_error(r, 400, -1100, "Illegal characters found in parameter "
	    "'%s'; legal range is '%s'.", name, range);
}

/* ---- authentication ------------------------------------------------------ */

static int
apikey_format_ok(const char *k)
{
	size_t	n = strlen(k);

	if (n == 0 || n > WIRE_APIKEY_MAX)
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k))
			return 0;
	return 1;
}

/* API key only (USER_STREAM endpoints and the key part of SIGNED ones). */
static struct exch_account *
rest_key(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	struct exch_account *a;

	if (req->apikey_state != 1 || !apikey_format_ok(req->apikey)) {
		resp_error(r, 401, -2014, "API-key format invalid.");
		return NULL;
	}
	/* real responses name the caller's address */
	if ((a = exch_account_by_key(w->ex, req->apikey)) == NULL)
		resp_error(r, 401, -2015, "Invalid API-key, IP, or permissions "
		    "for action, request ip: %s", req->ip);
	return a;
}

/* The whole SIGNED check; NULL with r filled when it fails. */
static struct exch_account *
rest_signed(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	struct exch_account	*a;
	const char		*sig, *ts, *rw;
	int64_t			 t, win = 5000, now;

	if ((a = rest_key(w, req, r)) == NULL)
		return NULL;
	ts = wire_param(req, "timestamp");
	if (ts == NULL || *ts == '\0') {
		resp_mandatory(r, "timestamp");
		return NULL;
	}
	if (parse_i64(ts, &t) == -1 || t < 0) {
		resp_illegal(r, "timestamp", "^[0-9]{1,20}$");
		return NULL;
	}
	sig = wire_param(req, "signature");
	if (sig == NULL || *sig == '\0') {
		resp_mandatory(r, "signature");
		return NULL;
	}
	if ((rw = wire_param(req, "recvWindow")) != NULL) {
		if (parse_i64(rw, &win) == -1 || win <= 0) {
			resp_illegal(r, "recvWindow", "^[0-9]{1,20}$");
			return NULL;
		}
		if (win > 60000) {
			resp_error(r, 400, -1131, "recvWindow must be less "
			    "than 60000");
			return NULL;
		}
	}
	now = wire_now_ms(w);
	if (t >= now + 1000) {
		resp_error(r, 400, -1021, "Timestamp for this request was "
		    "1000ms ahead of the server's time.");
		return NULL;
	}
	if (now - t > win) {
		resp_error(r, 400, -1021, "Timestamp for this request is "
		    "outside of the recvWindow.");
		return NULL;
	}
	if (!rest_sig_ok(req, exch_account_secret(a), sig)) {
		resp_error(r, 400, -1022, "Signature for this request is not "
		    "valid.");
		return NULL;
	}
	return a;
}

/* ---- public endpoints ---------------------------------------------------- */

static void
ep_ping(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)w;
	(void)req;
	resp_json(r, 200, json_object());
}

static void
ep_time(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	(void)req;
	resp_json(r, 200, json_pack("{s:I}", "serverTime",
	    (json_int_t)wire_now_ms(w)));
}

/* Resolve the mandatory symbol parameter; -1 with r filled. */
int
rest_symbol(struct wire *w, struct wire_req *req, struct wire_resp *r,
    int mandatory)
{
	const char	*s = wire_param(req, "symbol");
	int		 sym;

	if (s == NULL || *s == '\0') {
		if (mandatory)
			resp_mandatory(r, "symbol");
		return mandatory ? -1 : -2;
	}
	if ((sym = exch_symbol_index(w->ex, s)) < 0) {
		resp_error(r, 400, -1121, "Invalid symbol.");
		return -1;
	}
	return sym;
}

static json_t *
filters_json(const struct exch_symbol_spec *sp)
{
	return json_pack("[{s:s,s:o,s:o,s:o},{s:s,s:o,s:o,s:o},"
	    "{s:s,s:o,s:o,s:o},{s:s,s:i},{s:s,s:i},{s:s,s:o},"
	    "{s:s,s:o,s:o,s:s}]",
	    "filterType", "PRICE_FILTER", "maxPrice", json_dec(sp->max_price),
	    "minPrice", json_dec(sp->min_price), "tickSize",
	    json_dec(sp->tick_size),
	    "filterType", "LOT_SIZE", "maxQty", json_dec(sp->max_qty),
	    "minQty", json_dec(sp->min_qty), "stepSize",
	    json_dec(sp->step_size),
	    "filterType", "MARKET_LOT_SIZE", "maxQty",
	    json_dec(sp->mkt_max_qty), "minQty", json_dec(sp->mkt_min_qty),
	    "stepSize", json_dec(sp->mkt_step_size),
	    "filterType", "MAX_NUM_ORDERS", "limit", sp->max_num_orders,
	    "filterType", "MAX_NUM_ALGO_ORDERS", "limit",
	    sp->max_num_algo_orders,
	    "filterType", "MIN_NOTIONAL", "notional",
	    json_dec(sp->min_notional),
	    "filterType", "PERCENT_PRICE", "multiplierUp",
	    json_num(sp->pct_up, sp->pct_decimal), "multiplierDown",
	    json_num(sp->pct_down, sp->pct_decimal), "multiplierDecimal",
	    sp->pct_decimal == 2 ? "2" : sp->pct_decimal == 3 ? "3" : "4");
}

static json_t *
symbol_json(const struct exch_symbol_spec *sp)
{
	json_t	*j = json_object();

	json_object_set_new(j, "symbol", json_string(sp->symbol));
	json_object_set_new(j, "pair", json_string(sp->symbol));
	json_object_set_new(j, "contractType", json_string("PERPETUAL"));
	json_object_set_new(j, "deliveryDate",
	    json_integer(sp->delivery_date_ms));
	json_object_set_new(j, "onboardDate",
	    json_integer(sp->onboard_date_ms));
	json_object_set_new(j, "status", json_string("TRADING"));
	json_object_set_new(j, "maintMarginPercent",
	    json_num(sp->maint_margin_pct, 4));
	json_object_set_new(j, "requiredMarginPercent",
	    json_num(sp->required_margin_pct, 4));
	json_object_set_new(j, "baseAsset", json_string(sp->base));
	json_object_set_new(j, "quoteAsset", json_string(sp->quote));
	json_object_set_new(j, "marginAsset", json_string(sp->quote));
	json_object_set_new(j, "pricePrecision",
	    json_integer(sp->price_precision));
	json_object_set_new(j, "quantityPrecision",
	    json_integer(sp->qty_precision));
	json_object_set_new(j, "baseAssetPrecision", json_integer(8));
	json_object_set_new(j, "quotePrecision", json_integer(8));
	json_object_set_new(j, "underlyingType", json_string("COIN"));
	json_object_set_new(j, "underlyingSubType", json_pack("[s]", "PoW"));
	json_object_set_new(j, "settlePlan", json_integer(0));
	json_object_set_new(j, "triggerProtect",
	    json_num(sp->trigger_protect, 4));
	json_object_set_new(j, "liquidationFee",
	    json_dec(sp->liquidation_fee));
	json_object_set_new(j, "marketTakeBound",
	    json_dec(sp->market_take_bound));
	json_object_set_new(j, "maxMoveOrderLimit", json_integer(10000));
	json_object_set_new(j, "filters", filters_json(sp));
	json_object_set_new(j, "orderTypes", json_pack("[s,s]", "LIMIT",
	    "MARKET"));
	json_object_set_new(j, "timeInForce", json_pack("[s,s,s,s,s]", "GTC",
	    "IOC", "FOK", "GTX", "GTD"));
	return j;
}

static void
ep_exchange_info(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	const struct exch_rl_limits	*lim = &w->rl_limits;
	json_t				*j, *syms;
	int				 i;

	(void)req;
	syms = json_array();
	for (i = 0; i < exch_nsymbols(w->ex); i++)
		json_array_append_new(syms, symbol_json(exch_symbol(w->ex, i)));
	j = json_object();
	json_object_set_new(j, "timezone", json_string("UTC"));
	json_object_set_new(j, "serverTime", json_integer(wire_now_ms(w)));
	json_object_set_new(j, "futuresType", json_string("U_MARGINED"));
	json_object_set_new(j, "rateLimits", json_pack("[{s:s,s:s,s:i,s:i},"
	    "{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i}]",
	    "rateLimitType", "REQUEST_WEIGHT", "interval", "MINUTE",
	    "intervalNum", 1, "limit", lim->weight_1m,
	    "rateLimitType", "ORDERS", "interval", "MINUTE",
	    "intervalNum", 1, "limit", lim->orders_1m,
	    "rateLimitType", "ORDERS", "interval", "SECOND",
	    "intervalNum", 10, "limit", lim->orders_10s));
	json_object_set_new(j, "exchangeFilters", json_array());
	json_object_set_new(j, "assets", json_pack("[{s:s,s:b,s:s}]",
	    "asset", "USDT", "marginAvailable", 1, "autoAssetExchange", "0"));
	json_object_set_new(j, "symbols", syms);
	resp_json(r, 200, j);
}

static json_t *
levels_json(const struct exch_level *lv, int n, int pp, int qp)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[o,o]",
		    json_num(lv[i].price, pp), json_num(lv[i].qty, qp)));
	return a;
}

static int
depth_weight(int limit)
{
	if (limit <= 50)
		return 2;
	if (limit <= 100)
		return 5;
	if (limit <= 500)
		return 10;
	return 20;
}

/* Weight depends on limit, so depth checks its own limit first. */
static int
depth_limit(struct wire_req *req)
{
	static const int ok[] = { 5, 10, 20, 50, 100, 500, 1000 };
	const char	*l = wire_param(req, "limit");
	int64_t		 v;
	size_t		 i;

	if (l == NULL)
		return 500;
	if (parse_i64(l, &v) == -1)
		return -1;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (v == ok[i])
			return (int)v;
	return -1;
}

static void
ep_depth(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	struct exch_level		*bids, *asks;
	const struct exch_symbol_spec	*sp;
	int				 sym, limit, nb = 0, na = 0;
	int64_t				 lu = 0, now;

	if ((sym = rest_symbol(w, req, r, 1)) < 0)
		return;
	if ((limit = depth_limit(req)) < 0) {
		resp_error(r, 400, -1130, "Data sent for paramter 'limit' is "
		    "not valid.");
		return;
	}
	sp = exch_symbol(w->ex, sym);
	bids = calloc((size_t)limit, sizeof(*bids));
	asks = calloc((size_t)limit, sizeof(*asks));
	if (bids == NULL || asks == NULL) {
		free(bids);
		free(asks);
		resp_error(r, 500, -1000, "An unknown error occured while "
		    "processing the request.");
		return;
	}
	exch_depth(w->ex, sym, limit, bids, &nb, asks, &na, &lu);
	now = exch_now_ms(w->ex);
	resp_json(r, 200, json_pack("{s:I,s:I,s:I,s:o,s:o}",
	    "lastUpdateId", (json_int_t)lu, "E", (json_int_t)now,
	    "T", (json_int_t)now,
	    "bids", levels_json(bids, nb, sp->price_precision,
	    sp->qty_precision),
	    "asks", levels_json(asks, na, sp->price_precision,
	    sp->qty_precision)));
	free(bids);
	free(asks);
}

static json_t *
book_ticker_json(struct wire *w, int sym)
{
	const struct exch_symbol_spec	*sp = exch_symbol(w->ex, sym);
	struct exch_top			 t;
	int				 pp = sp->price_precision;
	int				 qp = sp->qty_precision;

	memset(&t, 0, sizeof(t));
	exch_book_top(w->ex, sym, &t);
	return json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:I}",
	    "lastUpdateId", (json_int_t)t.update_id, "symbol", sp->symbol,
	    "bidPrice", json_num(t.bid, pp), "bidQty", json_num(t.bid_qty, qp),
	    "askPrice", json_num(t.ask, pp), "askQty", json_num(t.ask_qty, qp),
	    "time", (json_int_t)(t.time_ms ? t.time_ms : exch_now_ms(w->ex)));
}

static void
ep_book_ticker(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	json_t	*a;
	int	 sym, i;

	if ((sym = rest_symbol(w, req, r, 0)) == -1)
		return;
	if (sym >= 0) {
		resp_json(r, 200, book_ticker_json(w, sym));
		return;
	}
	a = json_array();
	for (i = 0; i < exch_nsymbols(w->ex); i++)
		json_array_append_new(a, book_ticker_json(w, i));
	resp_json(r, 200, a);
}

static json_t *
premium_json(struct wire *w, int sym)
{
	const struct exch_symbol_spec	*sp = exch_symbol(w->ex, sym);
	struct exch_mark		 m;

	memset(&m, 0, sizeof(m));
	exch_mark_get(w->ex, sym, &m);
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:s,s:I,s:I}",
	    "symbol", sp->symbol, "markPrice", json_num(m.mark, 8),
	    "indexPrice", json_num(m.index, 8), "estimatedSettlePrice",
	    json_num(m.est_settle, 8), "lastFundingRate",
	    json_num(m.funding_rate, 8), "interestRate", "0.00010000",
	    "nextFundingTime", (json_int_t)m.next_funding_ms,
	    "time", (json_int_t)(m.time_ms ? m.time_ms : exch_now_ms(w->ex)));
}

static void
ep_premium_index(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	json_t	*a;
	int	 sym, i;

	if ((sym = rest_symbol(w, req, r, 0)) == -1)
		return;
	if (sym >= 0) {
		resp_json(r, 200, premium_json(w, sym));
		return;
	}
	a = json_array();
	for (i = 0; i < exch_nsymbols(w->ex); i++)
		json_array_append_new(a, premium_json(w, i));
	resp_json(r, 200, a);
}

static json_t *
ticker_price_json(struct wire *w, int sym)
{
	const struct exch_symbol_spec	*sp = exch_symbol(w->ex, sym);
	struct exch_last_trade		 t;
	struct exch_top			 top;

	memset(&t, 0, sizeof(t));
	/* before the first trade, the mid stands in for the last price */
	if (exch_trade_last(w->ex, sym, &t) == -1 || t.price <= 0) {
		memset(&top, 0, sizeof(top));
		exch_book_top(w->ex, sym, &top);
		t.price = (top.bid + top.ask) / 2;
		t.time_ms = top.time_ms;
	}
	return json_pack("{s:s,s:o,s:I}", "symbol", sp->symbol,
	    "price", json_num(t.price, sp->price_precision),
	    "time", (json_int_t)(t.time_ms ? t.time_ms : exch_now_ms(w->ex)));
}

static void
ep_ticker_price(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	json_t	*a;
	int	 sym, i;

	if ((sym = rest_symbol(w, req, r, 0)) == -1)
		return;
	if (sym >= 0) {
		resp_json(r, 200, ticker_price_json(w, sym));
		return;
	}
	a = json_array();
	for (i = 0; i < exch_nsymbols(w->ex); i++)
		json_array_append_new(a, ticker_price_json(w, i));
	resp_json(r, 200, a);
}

/* ---- listenKey (USER_STREAM: API key, no signature) ---------------------- */

static struct wire_lkey *
lkey_of(struct wire *w, struct exch_account *a)
{
	int	i = exch_account_id(a);

	if (i < 0 || i >= EXCH_ACCT_MAX)
		return NULL;
	return &w->lkeys[i];
}

static void
lkey_make(struct wire *w, char *out)
{
	static const char cs[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789";
	int	i;

	if (w->rng == 0)
		w->rng = (uint64_t)now_real_ns() | 1;
	for (i = 0; i < WIRE_LKEY_LEN; i++) {
		/* xorshift64*: keys need only be unguessable by accident */
		w->rng ^= w->rng >> 12;
		w->rng ^= w->rng << 25;
		w->rng ^= w->rng >> 27;
		out[i] = cs[(w->rng * 2685821657736338717ULL >> 33) % 62];
	}
	out[WIRE_LKEY_LEN] = '\0';
}

static void
ep_listen_key(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	struct exch_account	*a;
	struct wire_lkey	*k;
	int64_t			 now = wire_now_ms(w);

	if ((a = rest_key(w, req, r)) == NULL || (k = lkey_of(w, a)) == NULL)
		return;
	if (k->acct != NULL && k->expires_ms <= now) {
		ws_lkey_expired(w, k->key);
		k->acct = NULL;
	}
	switch (req->method) {
	case WM_POST:
		if (k->acct == NULL) {
			k->acct = a;
			lkey_make(w, k->key);
		}
		k->expires_ms = now + WIRE_LKEY_TTL_MS;
		resp_json(r, 200, json_pack("{s:s}", "listenKey", k->key));
		return;
	case WM_PUT:
		if (k->acct == NULL) {
			resp_error(r, 400, -1125, "This listenKey does not "
			    "exist.");
			return;
		}
		k->expires_ms = now + WIRE_LKEY_TTL_MS;
		resp_json(r, 200, json_pack("{s:s}", "listenKey", k->key));
		return;
	default:
		if (k->acct != NULL) {
			ws_lkey_expired(w, k->key);
			k->acct = NULL;
			k->key[0] = '\0';
		}
		resp_json(r, 200, json_object());
		return;
	}
}

/* The account behind a live listenKey, or NULL. */
struct exch_account *
wire_lkey_account(struct wire *w, const char *key)
{
	int	i;

	for (i = 0; i < EXCH_ACCT_MAX; i++)
		if (w->lkeys[i].acct != NULL &&
		    strcmp(w->lkeys[i].key, key) == 0 &&
		    w->lkeys[i].expires_ms > wire_now_ms(w))
			return w->lkeys[i].acct;
	return NULL;
}

/* ---- routing --------------------------------------------------------------- */

enum auth { AUTH_NONE, AUTH_KEY, AUTH_SIGNED };

/*
 * The Binance REST surface. sample is a valid parameter set for the route
 * (without timestamp and signature): --list-endpoints prints it, and the
 * endpoint sweep (check_sim_sweep, integration/sim_sweep) calls every
 * route with it, without it and with each value broken, so a route added
 * here is swept without touching the tests.
 */
struct route {
	enum wire_method method;
	const char	*path;
	enum auth	 auth;
	int		 weight;	/* -1: the handler's own rule */
	int		 orders;	/* counts against order limits */
	void		(*fn)(struct wire *, struct wire_req *,
			    struct wire_resp *);
	void		(*fn_acct)(struct wire *, struct exch_account *,
			    struct wire_req *, struct wire_resp *);
	const char	*sample;
};

#define S_ORDER	"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&" \
		"quantity=0.002&price=59000&newClientOrderId=sweep-1"
#define S_BATCH	"batchOrders=%5B%7B%22symbol%22%3A%22BTCUSDT%22%2C%22side" \
		"%22%3A%22SELL%22%2C%22type%22%3A%22LIMIT%22%2C%22timeInForce" \
		"%22%3A%22GTC%22%2C%22quantity%22%3A%220.002%22%2C%22price%22" \
		"%3A%2261000%22%7D%5D"

static const struct route routes[] = {
	{ WM_GET, "/fapi/v1/ping", AUTH_NONE, 1, 0, ep_ping, NULL, "" },
	{ WM_GET, "/fapi/v1/time", AUTH_NONE, 1, 0, ep_time, NULL, "" },
	{ WM_GET, "/fapi/v1/exchangeInfo", AUTH_NONE, 1, 0, ep_exchange_info,
	  NULL, "" },
	{ WM_GET, "/fapi/v1/depth", AUTH_NONE, -1, 0, ep_depth, NULL,
	  "symbol=BTCUSDT&limit=5" },
	{ WM_GET, "/fapi/v1/ticker/bookTicker", AUTH_NONE, -1, 0,
	  ep_book_ticker, NULL, "symbol=BTCUSDT" },
	{ WM_GET, "/fapi/v1/premiumIndex", AUTH_NONE, 1, 0, ep_premium_index,
	  NULL, "symbol=BTCUSDT" },
	{ WM_POST, "/fapi/v1/listenKey", AUTH_KEY, 1, 0, ep_listen_key, NULL,
	  "" },
	{ WM_PUT, "/fapi/v1/listenKey", AUTH_KEY, 1, 0, ep_listen_key, NULL,
	  "" },
	{ WM_DELETE, "/fapi/v1/listenKey", AUTH_KEY, 1, 0, ep_listen_key,
	  NULL, "" },
	{ WM_POST, "/fapi/v1/order", AUTH_SIGNED, 0, 1, NULL, ep_order_new,
	  S_ORDER },
	{ WM_DELETE, "/fapi/v1/order", AUTH_SIGNED, 1, 0, NULL,
	  ep_order_cancel, "symbol=BTCUSDT&origClientOrderId=sweep-1" },
	{ WM_GET, "/fapi/v1/order", AUTH_SIGNED, 1, 0, NULL, ep_order_query,
	  "symbol=BTCUSDT&origClientOrderId=sweep-1" },
	{ WM_PUT, "/fapi/v1/order", AUTH_SIGNED, 1, 1, NULL, ep_order_modify,
	  "symbol=BTCUSDT&origClientOrderId=sweep-1&side=BUY&quantity=0.01&"
	  "price=59000" },
	{ WM_DELETE, "/fapi/v1/allOpenOrders", AUTH_SIGNED, 1, 0, NULL,
	  ep_cancel_all, "symbol=BTCUSDT" },
	{ WM_POST, "/fapi/v1/batchOrders", AUTH_SIGNED, 5, -1, NULL,
	  ep_batch_new, S_BATCH },
	{ WM_DELETE, "/fapi/v1/batchOrders", AUTH_SIGNED, 1, 0, NULL,
	  ep_batch_cancel, "symbol=BTCUSDT&orderIdList=%5B1%2C2%5D" },
	{ WM_GET, "/fapi/v1/openOrders", AUTH_SIGNED, -1, 0, NULL,
	  ep_open_orders, "symbol=BTCUSDT" },
	{ WM_GET, "/fapi/v1/userTrades", AUTH_SIGNED, 5, 0, NULL,
	  ep_user_trades, "symbol=BTCUSDT&limit=10" },
	{ WM_GET, "/fapi/v1/allOrders", AUTH_SIGNED, 5, 0, NULL,
	  ep_all_orders, "symbol=BTCUSDT&limit=10" },
	{ WM_GET, "/fapi/v1/income", AUTH_SIGNED, 30, 0, NULL, ep_income,
	  "incomeType=FUNDING_FEE&limit=10" },
	{ WM_POST, "/fapi/v1/countdownCancelAll", AUTH_SIGNED, 10, 0, NULL,
	  ep_countdown, "symbol=BTCUSDT&countdownTime=0" },
	{ WM_GET, "/fapi/v2/positionRisk", AUTH_SIGNED, 5, 0, NULL,
	  ep_position_risk_v2, "symbol=BTCUSDT" },
	{ WM_GET, "/fapi/v3/positionRisk", AUTH_SIGNED, 5, 0, NULL,
	  ep_position_risk_v3, "symbol=BTCUSDT" },
	{ WM_GET, "/fapi/v2/account", AUTH_SIGNED, 5, 0, NULL, ep_account,
	  "" },
	{ WM_GET, "/fapi/v3/account", AUTH_SIGNED, 5, 0, NULL, ep_account,
	  "" },
	{ WM_GET, "/fapi/v2/balance", AUTH_SIGNED, 5, 0, NULL, ep_balance,
	  "" },
	{ WM_GET, "/fapi/v3/balance", AUTH_SIGNED, 5, 0, NULL, ep_balance,
	  "" },
	{ WM_POST, "/fapi/v1/leverage", AUTH_SIGNED, 1, 0, NULL, ep_leverage,
	  "symbol=BTCUSDT&leverage=5" },
	{ WM_GET, "/fapi/v1/leverageBracket", AUTH_SIGNED, 1, 0, NULL,
	  ep_leverage_bracket, "symbol=BTCUSDT" },
	{ WM_GET, "/fapi/v1/positionSide/dual", AUTH_SIGNED, 30, 0, NULL,
	  ep_position_mode, "" },
	{ WM_GET, "/fapi/v1/commissionRate", AUTH_SIGNED, 20, 0, NULL,
	  ep_commission_rate, "symbol=BTCUSDT" },
	{ WM_GET, "/fapi/v1/ticker/price", AUTH_NONE, -1, 0, ep_ticker_price,
	  NULL, "symbol=BTCUSDT" },
	{ WM_OTHER, NULL, AUTH_NONE, 0, 0, NULL, NULL, NULL }
};

/* Every route, for the endpoint list (dispatch.c). */
void
rest_endpoints(void (*fn)(void *, const struct wire_endpoint *), void *arg)
{
	static const char *auth[] = { "none", "key", "signed" };
	const struct route	*rt;
	struct wire_endpoint	 ep;

	for (rt = routes; rt->path != NULL; rt++) {
		ep.kind = "rest";
		ep.method = wire_method_str(rt->method);
		ep.path = rt->path;
		ep.auth = auth[rt->auth];
		ep.sample = rt->sample;
		fn(arg, &ep);
	}
}

/* Request weight of the routes whose weight depends on parameters. */
static int
route_weight(const struct route *rt, struct wire_req *req)
{
	const char *s = wire_param(req, "symbol");

	if (rt->weight >= 0)
		return rt->weight;
	if (rt->fn == ep_depth)
		return depth_weight(depth_limit(req) < 0 ? 500 :
		    depth_limit(req));
	if (rt->fn == ep_book_ticker)
		return s != NULL ? 2 : 5;
	if (rt->fn == ep_ticker_price)
		return s != NULL ? 1 : 2;
	return s != NULL ? 1 : 40;	/* openOrders */
}

static int
route_orders(const struct route *rt, struct wire_req *req)
{
	const char	*b;
	json_t		*j;
	int		 n;

	if (rt->orders >= 0)
		return rt->orders;
	if ((b = wire_param(req, "batchOrders")) == NULL ||
	    (j = json_loads(b, 0, NULL)) == NULL)
		return 0;
	n = json_is_array(j) ? (int)json_array_size(j) : 0;
	json_decref(j);
	return n > 5 ? 0 : n;
}

/* Count the request; 0 allowed, -1 with the 429/418 response in r. */
static int
rest_rate(struct wire *w, const struct route *rt, struct wire_req *req,
    struct wire_resp *r)
{
	struct exch_rl_result	 o;
	const char		*acct = NULL;

	if (rt->auth != AUTH_NONE && req->apikey_state == 1 &&
	    exch_account_by_key(w->ex, req->apikey) != NULL)
		acct = req->apikey;
	memset(&o, 0, sizeof(o));
	if (rl_request(exch_rl(w->ex), req->ip, acct, route_weight(rt, req),
	    acct ? route_orders(rt, req) : 0, now_real_ns(), &o) == -1) {
		resp_error(r, o.http, o.code, "%s", o.msg);
		r->retry_after = o.retry_after_s;
		r->weight_hdr = o.used_weight_1m;
		return -1;
	}
	r->weight_hdr = o.used_weight_1m;
	if (rt->orders != 0 && o.order_count_10s >= 0) {
		r->order_hdrs = 1;
		r->order_10s = o.order_count_10s;
		r->order_1m = o.order_count_1m;
	}
	return 0;
}

int
rest_handle(struct wire *w, struct wire_req *req, struct wire_resp *r)
{
	const struct route	*rt, *found = NULL;
	struct exch_account	*a = NULL;
	struct exch_rl_result	 o;
	int			 path_known = 0;

	for (rt = routes; rt->path != NULL; rt++) {
		if (strcmp(rt->path, req->path) != 0)
			continue;
		path_known = 1;
		if (rt->method == req->method) {
			found = rt;
			break;
		}
	}
	if (found == NULL) {
		if (!path_known)
			return -1;
		rl_peek(exch_rl(w->ex), req->ip, NULL, now_real_ns(), &o);
		r->weight_hdr = o.used_weight_1m;
		resp_error(r, 405, -1000, "Method not allowed.");
		return 0;
	}
	if (rest_rate(w, found, req, r) == -1)
		return 0;
	if (found->auth == AUTH_SIGNED &&
	    (a = rest_signed(w, req, r)) == NULL)
		return 0;
	if (found->fn != NULL)
		found->fn(w, req, r);
	else
		found->fn_acct(w, a, req, r);
	return 0;
}
