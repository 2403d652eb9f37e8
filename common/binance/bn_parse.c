/*
 * bn_parse.c — Binance USD-M payloads into typed structs with jansson.
 *
 * Each payload is described by a table of (key, type, offset, required)
 * read by one loop, so a struct and its JSON stay side by side and every
 * field is checked the same way: strings must fit, numbers-as-strings must
 * be whole finite numbers, ids accept an integer or a digit string.
 */
#include "bn_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

enum fty { F_STR, F_NUM, F_I64, F_INT, F_BOOL };

struct fld {
	const char	*k;
	enum fty	 t;
	size_t		 off;
	size_t		 sz;		/* F_STR: buffer size */
	int		 req;
};

#define FLD(st, key, ty, m, r) \
	{ key, ty, offsetof(struct st, m), sizeof(((struct st *)0)->m), r }
#define NFLD(t)	(sizeof(t) / sizeof((t)[0]))

static void __attribute__((format(printf, 2, 3)))
why_set(struct bn_why *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(why->s, sizeof(why->s), fmt, ap);
	va_end(ap);
}

/* A decimal as Binance writes it; strtod alone would take "nan", "0x1p3". */
static int
str_num(const char *s, double *d)
{
	const char	*p;
	char		*end;
	double		 v;

	if (*s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++)
		if (strchr("0123456789.-+eE", *p) == NULL)
			return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v) || (errno == ERANGE && v != 0))
		return -1;
	*d = v;
	return 0;
}

static int
str_i64(const char *s, int64_t *v)
{
	const char	*p = s;
	char		*end;
	long long	 x;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return -1;
	*v = x;
	return 0;
}

static int
get_num(json_t *v, double *d)
{
	if (json_is_string(v))
		return str_num(json_string_value(v), d);
	if (json_is_number(v)) {
		*d = json_number_value(v);
		return isfinite(*d) ? 0 : -1;
	}
	return -1;
}

static int
get_i64(json_t *v, int64_t *x)
{
	if (json_is_integer(v)) {
		*x = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return str_i64(json_string_value(v), x);
	return -1;
}

static int
get_bool(json_t *v, int *b)
{
	const char *s;

	if (json_is_boolean(v)) {
		*b = json_is_true(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (strcmp(s, "true") == 0)
		*b = 1;
	else if (strcmp(s, "false") == 0)
		*b = 0;
	else
		return -1;
	return 0;
}

static int
get_str(json_t *v, char *dst, size_t sz)
{
	size_t n;

	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	if (n >= sz)
		return -1;
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return 0;
}

static int
fld_read(json_t *v, const struct fld *f, void *out)
{
	char	*p = (char *)out + f->off;
	int64_t	 x;

	switch (f->t) {
	case F_STR:
		return get_str(v, p, f->sz);
	case F_NUM:
		return get_num(v, (double *)p);
	case F_I64:
		return get_i64(v, (int64_t *)p);
	case F_INT:
		if (get_i64(v, &x) == -1 || x < -2147483647 || x > 2147483647)
			return -1;
		*(int *)p = (int)x;
		return 0;
	case F_BOOL:
		return get_bool(v, (int *)p);
	}
	return -1;
}

static const char *
fty_name(enum fty t)
{
	static const char *n[] = { "a string that fits", "a decimal number",
	    "an integer", "an integer", "a boolean" };

	return n[t];
}

/* Read every field of tab from obj into out; absent optional ones stay 0. */
static int
fields(json_t *obj, const struct fld *tab, size_t n, void *out,
    const char *what, struct bn_why *why)
{
	json_t	*v;
	size_t	 i;

	if (!json_is_object(obj)) {
		why_set(why, "%s: not a JSON object", what);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, tab[i].k);
		if (v == NULL || json_is_null(v)) {
			if (!tab[i].req)
				continue;
			why_set(why, "%s: missing \"%s\"", what, tab[i].k);
			return -1;
		}
		if (fld_read(v, &tab[i], out) == -1) {
			why_set(why, "%s: \"%s\" is not %s", what, tab[i].k,
			    fty_name(tab[i].t));
			return -1;
		}
	}
	return 0;
}

static json_t *
load(const char *buf, size_t len, const char *what, struct bn_why *why)
{
	json_error_t	 err;
	json_t		*j;

	if (buf == NULL || len == 0) {
		why_set(why, "%s: empty body", what);
		return NULL;
	}
	if ((j = json_loadb(buf, len, 0, &err)) == NULL)
		why_set(why, "%s: bad JSON at byte %d: %s", what, err.position,
		    err.text);
	return j;
}

/* The payload of a combined-stream frame, or the frame itself. */
static json_t *
unwrap(json_t *j, char *stream, size_t slen)
{
	json_t *d = json_object_get(j, "data");
	json_t *s = json_object_get(j, "stream");

	if (stream != NULL && slen > 0)
		stream[0] = '\0';
	if (json_is_object(d) && json_is_string(s)) {
		if (stream != NULL)
			get_str(s, stream, slen);
		return d;
	}
	return j;
}

enum bn_side
bn_side_from_str(const char *s)
{
	if (strcmp(s, "BUY") == 0)
		return BN_SIDE_BUY;
	if (strcmp(s, "SELL") == 0)
		return BN_SIDE_SELL;
	return BN_SIDE_NONE;
}

enum bn_status
bn_status_from_str(const char *s)
{
	static const char *n[] = { "", "NEW", "PARTIALLY_FILLED", "FILLED",
	    "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED" };
	size_t i;

	for (i = 1; i < NFLD(n); i++)
		if (strcmp(s, n[i]) == 0)
			return (enum bn_status)i;
	return BN_ST_UNKNOWN;
}

enum bn_exec
bn_exec_from_str(const char *s)
{
	static const char *n[] = { "", "NEW", "CANCELED", "CALCULATED",
	    "EXPIRED", "TRADE", "AMENDMENT" };
	size_t i;

	for (i = 1; i < NFLD(n); i++)
		if (strcmp(s, n[i]) == 0)
			return (enum bn_exec)i;
	return BN_EX_UNKNOWN;
}

const char *
bn_ev_name(enum bn_ev_type t)
{
	static const char *n[] = { "unknown", "bookTicker", "trade",
	    "aggTrade", "markPriceUpdate", "depthUpdate",
	    "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "listenKeyExpired",
	    "TRADE_LITE", "result", "error" };

	return (size_t)t < NFLD(n) ? n[t] : "?";
}

/* A side field that must be BUY or SELL. */
static int
side_field(json_t *obj, const char *k, int req, enum bn_side *side,
    const char *what, struct bn_why *why)
{
	char	s[16];
	json_t	*v = json_object_get(obj, k);

	*side = BN_SIDE_NONE;
	if (v == NULL && !req)
		return 0;
	if (v == NULL || get_str(v, s, sizeof(s)) == -1 ||
	    (*side = bn_side_from_str(s)) == BN_SIDE_NONE) {
		why_set(why, "%s: \"%s\" is not BUY or SELL", what, k);
		return -1;
	}
	return 0;
}

/* ---- market data ------------------------------------------------------ */

static const struct fld bt_ws[] = {
	FLD(bn_book_ticker, "u", F_I64, u, 0),
	FLD(bn_book_ticker, "E", F_I64, E, 0),
	FLD(bn_book_ticker, "T", F_I64, T, 0),
	FLD(bn_book_ticker, "s", F_STR, s, 1),
	FLD(bn_book_ticker, "b", F_NUM, b, 1),
	FLD(bn_book_ticker, "B", F_NUM, B, 1),
	FLD(bn_book_ticker, "a", F_NUM, a, 1),
	FLD(bn_book_ticker, "A", F_NUM, A, 1),
};

static const struct fld bt_rest[] = {
	FLD(bn_book_ticker, "lastUpdateId", F_I64, u, 0),
	FLD(bn_book_ticker, "time", F_I64, T, 0),
	FLD(bn_book_ticker, "symbol", F_STR, s, 1),
	FLD(bn_book_ticker, "bidPrice", F_NUM, b, 1),
	FLD(bn_book_ticker, "bidQty", F_NUM, B, 1),
	FLD(bn_book_ticker, "askPrice", F_NUM, a, 1),
	FLD(bn_book_ticker, "askQty", F_NUM, A, 1),
};

static const struct fld trade_f[] = {
	FLD(bn_trade, "E", F_I64, E, 0),
	FLD(bn_trade, "T", F_I64, T, 0),
	FLD(bn_trade, "s", F_STR, s, 1),
	FLD(bn_trade, "t", F_I64, t, 1),
	FLD(bn_trade, "p", F_NUM, p, 1),
	FLD(bn_trade, "q", F_NUM, q, 1),
	FLD(bn_trade, "X", F_STR, X, 0),
	FLD(bn_trade, "m", F_BOOL, m, 1),
};

static const struct fld agg_f[] = {
	FLD(bn_agg_trade, "E", F_I64, E, 0),
	FLD(bn_agg_trade, "T", F_I64, T, 0),
	FLD(bn_agg_trade, "s", F_STR, s, 1),
	FLD(bn_agg_trade, "a", F_I64, a, 1),
	FLD(bn_agg_trade, "p", F_NUM, p, 1),
	FLD(bn_agg_trade, "q", F_NUM, q, 1),
	FLD(bn_agg_trade, "f", F_I64, f, 0),
	FLD(bn_agg_trade, "l", F_I64, l, 0),
	FLD(bn_agg_trade, "m", F_BOOL, m, 1),
};

static const struct fld mark_f[] = {
	FLD(bn_mark_price, "E", F_I64, E, 0),
	FLD(bn_mark_price, "T", F_I64, T, 0),
	FLD(bn_mark_price, "s", F_STR, s, 1),
	FLD(bn_mark_price, "p", F_NUM, p, 1),
	FLD(bn_mark_price, "i", F_NUM, i, 0),
	FLD(bn_mark_price, "P", F_NUM, P, 0),
	FLD(bn_mark_price, "r", F_NUM, r, 0),
};

static const struct fld depth_ws[] = {
	FLD(bn_depth, "E", F_I64, E, 0),
	FLD(bn_depth, "T", F_I64, T, 0),
	FLD(bn_depth, "s", F_STR, s, 0),
	FLD(bn_depth, "U", F_I64, U, 0),
	FLD(bn_depth, "u", F_I64, u, 1),
	FLD(bn_depth, "pu", F_I64, pu, 0),
};

static const struct fld depth_rest[] = {
	FLD(bn_depth, "lastUpdateId", F_I64, u, 1),
	FLD(bn_depth, "E", F_I64, E, 0),
	FLD(bn_depth, "T", F_I64, T, 0),
};

static int
obj_book_ticker(json_t *o, struct bn_book_ticker *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(o, bt_ws, NFLD(bt_ws), out, "bookTicker", why);
}

static int
obj_trade(json_t *o, struct bn_trade *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(o, trade_f, NFLD(trade_f), out, "trade", why);
}

static int
obj_agg_trade(json_t *o, struct bn_agg_trade *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(o, agg_f, NFLD(agg_f), out, "aggTrade", why);
}

static int
obj_mark_price(json_t *o, struct bn_mark_price *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(o, mark_f, NFLD(mark_f), out, "markPriceUpdate", why);
}

/* [["7403.89","0.002"], ...] into lv (at most BN_DEPTH_MAX). */
static int
levels(json_t *arr, struct bn_level *lv, int *n, const char *what,
    const char *k, struct bn_why *why)
{
	json_t	*e;
	size_t	 i;

	*n = 0;
	if (!json_is_array(arr)) {
		why_set(why, "%s: \"%s\" is not an array", what, k);
		return -1;
	}
	if (json_array_size(arr) > BN_DEPTH_MAX) {
		why_set(why, "%s: %zu levels in \"%s\", at most %d", what,
		    json_array_size(arr), k, BN_DEPTH_MAX);
		return -1;
	}
	json_array_foreach(arr, i, e) {
		if (!json_is_array(e) || json_array_size(e) < 2 ||
		    get_num(json_array_get(e, 0), &lv[i].px) == -1 ||
		    get_num(json_array_get(e, 1), &lv[i].qty) == -1) {
			why_set(why, "%s: \"%s\"[%zu] is not [price, qty]",
			    what, k, i);
			return -1;
		}
	}
	*n = (int)json_array_size(arr);
	return 0;
}

static int
obj_depth(json_t *o, int rest, struct bn_depth *out, struct bn_why *why)
{
	const char *what = rest ? "depth" : "depthUpdate";

	/* Not memset: the level arrays are 32 KB and counts say what is set. */
	memset(out, 0, offsetof(struct bn_depth, bids));
	if (rest ? fields(o, depth_rest, NFLD(depth_rest), out, what, why) :
	    fields(o, depth_ws, NFLD(depth_ws), out, what, why))
		return -1;
	if (levels(json_object_get(o, rest ? "bids" : "b"), out->bids,
	    &out->nbids, what, rest ? "bids" : "b", why) == -1 ||
	    levels(json_object_get(o, rest ? "asks" : "a"), out->asks,
	    &out->nasks, what, rest ? "asks" : "a", why) == -1)
		return -1;
	return 0;
}

/* ---- user data stream ------------------------------------------------- */

static const struct fld ou_top[] = {
	FLD(bn_order_update, "E", F_I64, E, 0),
	FLD(bn_order_update, "T", F_I64, T, 0),
};

static const struct fld ou_o[] = {
	FLD(bn_order_update, "s", F_STR, s, 1),
	FLD(bn_order_update, "c", F_STR, c, 1),
	FLD(bn_order_update, "o", F_STR, o, 1),
	FLD(bn_order_update, "f", F_STR, f, 0),
	FLD(bn_order_update, "q", F_NUM, q, 1),
	FLD(bn_order_update, "p", F_NUM, p, 1),
	FLD(bn_order_update, "ap", F_NUM, ap, 0),
	FLD(bn_order_update, "sp", F_NUM, sp, 0),
	FLD(bn_order_update, "x", F_STR, x_str, 1),
	FLD(bn_order_update, "X", F_STR, X_str, 1),
	FLD(bn_order_update, "i", F_I64, i, 1),
	FLD(bn_order_update, "l", F_NUM, l, 0),
	FLD(bn_order_update, "z", F_NUM, z, 0),
	FLD(bn_order_update, "L", F_NUM, L, 0),
	FLD(bn_order_update, "N", F_STR, N, 0),
	FLD(bn_order_update, "n", F_NUM, n, 0),
	FLD(bn_order_update, "T", F_I64, trade_T, 0),
	FLD(bn_order_update, "t", F_I64, t, 0),
	FLD(bn_order_update, "b", F_NUM, b, 0),
	FLD(bn_order_update, "a", F_NUM, a, 0),
	FLD(bn_order_update, "m", F_BOOL, m, 0),
	FLD(bn_order_update, "R", F_BOOL, R, 0),
	FLD(bn_order_update, "wt", F_STR, wt, 0),
	FLD(bn_order_update, "ot", F_STR, ot, 0),
	FLD(bn_order_update, "ps", F_STR, ps, 0),
	FLD(bn_order_update, "cp", F_BOOL, cp, 0),
	FLD(bn_order_update, "pP", F_BOOL, pP, 0),
	FLD(bn_order_update, "rp", F_NUM, rp, 0),
	FLD(bn_order_update, "si", F_I64, si, 0),
	FLD(bn_order_update, "ss", F_I64, ss, 0),
	FLD(bn_order_update, "gtd", F_I64, gtd, 0),
	FLD(bn_order_update, "V", F_STR, V, 0),
	FLD(bn_order_update, "pm", F_STR, pm, 0),
};

static int
obj_order_update(json_t *j, struct bn_order_update *out, struct bn_why *why)
{
	const char *what = "ORDER_TRADE_UPDATE";

	memset(out, 0, sizeof(*out));
	if (fields(j, ou_top, NFLD(ou_top), out, what, why) == -1)
		return -1;
	if (!json_is_object(json_object_get(j, "o"))) {
		why_set(why, "%s: \"o\" is not an object", what);
		return -1;
	}
	j = json_object_get(j, "o");
	if (fields(j, ou_o, NFLD(ou_o), out, what, why) == -1 ||
	    side_field(j, "S", 1, &out->side, what, why) == -1)
		return -1;
	out->x = bn_exec_from_str(out->x_str);
	out->X = bn_status_from_str(out->X_str);
	return 0;
}

static const struct fld bal_upd[] = {
	FLD(bn_balance_upd, "a", F_STR, a, 1),
	FLD(bn_balance_upd, "wb", F_NUM, wb, 1),
	FLD(bn_balance_upd, "cw", F_NUM, cw, 0),
	FLD(bn_balance_upd, "bc", F_NUM, bc, 0),
};

static const struct fld pos_upd[] = {
	FLD(bn_position_upd, "s", F_STR, s, 1),
	FLD(bn_position_upd, "pa", F_NUM, pa, 1),
	FLD(bn_position_upd, "ep", F_NUM, ep, 0),
	FLD(bn_position_upd, "bep", F_NUM, bep, 0),
	FLD(bn_position_upd, "cr", F_NUM, cr, 0),
	FLD(bn_position_upd, "up", F_NUM, up, 0),
	FLD(bn_position_upd, "iw", F_NUM, iw, 0),
	FLD(bn_position_upd, "mt", F_STR, mt, 0),
	FLD(bn_position_upd, "ps", F_STR, ps, 0),
};

static const struct fld au_top[] = {
	FLD(bn_account_update, "E", F_I64, E, 0),
	FLD(bn_account_update, "T", F_I64, T, 0),
};

/* Read an optional array of objects, keeping at most BN_ACCT_MAX. */
static int
acct_list(json_t *arr, const struct fld *tab, size_t nt, void *base,
    size_t elsz, int *n, int *trunc, const char *what, struct bn_why *why)
{
	json_t	*e;
	size_t	 i;

	*n = 0;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr)) {
		why_set(why, "%s: not an array", what);
		return -1;
	}
	json_array_foreach(arr, i, e) {
		if (i >= BN_ACCT_MAX) {
			*trunc = 1;
			break;
		}
		if (fields(e, tab, nt, (char *)base + i * elsz, what,
		    why) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
obj_account_update(json_t *j, struct bn_account_update *out,
    struct bn_why *why)
{
	json_t *a;

	memset(out, 0, sizeof(*out));
	if (fields(j, au_top, NFLD(au_top), out, "ACCOUNT_UPDATE", why) == -1)
		return -1;
	a = json_object_get(j, "a");
	if (!json_is_object(a)) {
		why_set(why, "ACCOUNT_UPDATE: \"a\" is not an object");
		return -1;
	}
	if (json_object_get(a, "m") != NULL &&
	    get_str(json_object_get(a, "m"), out->m, sizeof(out->m)) == -1) {
		why_set(why, "ACCOUNT_UPDATE: \"m\" is not a string");
		return -1;
	}
	if (acct_list(json_object_get(a, "B"), bal_upd, NFLD(bal_upd), out->B,
	    sizeof(out->B[0]), &out->nB, &out->truncated,
	    "ACCOUNT_UPDATE balance", why) == -1 ||
	    acct_list(json_object_get(a, "P"), pos_upd, NFLD(pos_upd), out->P,
	    sizeof(out->P[0]), &out->nP, &out->truncated,
	    "ACCOUNT_UPDATE position", why) == -1)
		return -1;
	return 0;
}

static const struct fld lke_f[] = {
	FLD(bn_listen_key_expired, "E", F_I64, E, 0),
	FLD(bn_listen_key_expired, "listenKey", F_STR, listenKey, 0),
};

static int
obj_lke(json_t *j, struct bn_listen_key_expired *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(j, lke_f, NFLD(lke_f), out, "listenKeyExpired", why);
}

static const struct fld tl_f[] = {
	FLD(bn_trade_lite, "E", F_I64, E, 0),
	FLD(bn_trade_lite, "T", F_I64, T, 0),
	FLD(bn_trade_lite, "s", F_STR, s, 1),
	FLD(bn_trade_lite, "q", F_NUM, q, 1),
	FLD(bn_trade_lite, "p", F_NUM, p, 0),
	FLD(bn_trade_lite, "m", F_BOOL, m, 0),
	FLD(bn_trade_lite, "c", F_STR, c, 1),
	FLD(bn_trade_lite, "L", F_NUM, L, 1),
	FLD(bn_trade_lite, "l", F_NUM, l, 1),
	FLD(bn_trade_lite, "t", F_I64, t, 0),
	FLD(bn_trade_lite, "i", F_I64, i, 1),
};

static int
obj_trade_lite(json_t *j, struct bn_trade_lite *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	if (fields(j, tl_f, NFLD(tl_f), out, "TRADE_LITE", why) == -1)
		return -1;
	return side_field(j, "S", 1, &out->side, "TRADE_LITE", why);
}

static int
obj_ws_result(json_t *j, struct bn_ws_result *out, struct bn_why *why)
{
	json_t	*r, *e;
	size_t	 i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j) || get_i64(json_object_get(j, "id"),
	    &out->id) == -1) {
		why_set(why, "result: missing integer \"id\"");
		return -1;
	}
	r = json_object_get(j, "result");
	if (r == NULL) {
		why_set(why, "result: missing \"result\"");
		return -1;
	}
	out->is_null = json_is_null(r);
	if (!json_is_array(r))
		return 0;
	json_array_foreach(r, i, e) {
		if (out->n == BN_WS_RESULT_MAX)
			break;
		if (get_str(e, out->result[out->n], sizeof(out->result[0])) ==
		    0)
			out->n++;
	}
	return 0;
}

static const struct fld err_f[] = {
	FLD(bn_error, "code", F_INT, code, 1),
};

static int
obj_error(json_t *j, struct bn_error *out, struct bn_why *why)
{
	json_t *m;

	memset(out, 0, sizeof(*out));
	if (fields(j, err_f, NFLD(err_f), out, "error", why) == -1)
		return -1;
	m = json_object_get(j, "msg");
	if (m != NULL && !json_is_string(m)) {
		why_set(why, "error: \"msg\" is not a string");
		return -1;
	}
	/* a long message is cut, not refused: it is only ever shown */
	if (m != NULL)
		snprintf(out->msg, sizeof(out->msg), "%s",
		    json_string_value(m));
	return 0;
}

/* ---- routing ---------------------------------------------------------- */

static enum bn_ev_type
ev_by_e(const char *e)
{
	static const struct { const char *e; enum bn_ev_type t; } map[] = {
		{ "bookTicker", BN_EV_BOOK_TICKER },
		{ "trade", BN_EV_TRADE },
		{ "aggTrade", BN_EV_AGG_TRADE },
		{ "markPriceUpdate", BN_EV_MARK_PRICE },
		{ "depthUpdate", BN_EV_DEPTH },
		{ "ORDER_TRADE_UPDATE", BN_EV_ORDER_UPDATE },
		{ "ACCOUNT_UPDATE", BN_EV_ACCOUNT_UPDATE },
		{ "listenKeyExpired", BN_EV_LISTEN_KEY_EXPIRED },
		{ "TRADE_LITE", BN_EV_TRADE_LITE },
	};
	size_t i;

	for (i = 0; i < NFLD(map); i++)
		if (strcmp(e, map[i].e) == 0)
			return map[i].t;
	return BN_EV_UNKNOWN;
}

/* A frame without "e": a subscription answer, an error, or by stream. */
static enum bn_ev_type
ev_by_shape(json_t *d, const char *stream)
{
	if (json_object_get(d, "result") != NULL &&
	    json_object_get(d, "id") != NULL)
		return BN_EV_WS_RESULT;
	if (json_object_get(d, "code") != NULL)
		return BN_EV_ERROR;
	if (strstr(stream, "@bookTicker") != NULL)
		return BN_EV_BOOK_TICKER;
	if (strstr(stream, "@depth") != NULL)
		return BN_EV_DEPTH;
	return BN_EV_UNKNOWN;
}

static int
ev_dispatch(json_t *d, struct bn_event *ev, struct bn_why *why)
{
	switch (ev->type) {
	case BN_EV_BOOK_TICKER:
		return obj_book_ticker(d, &ev->u.bt, why);
	case BN_EV_TRADE:
		return obj_trade(d, &ev->u.trade, why);
	case BN_EV_AGG_TRADE:
		return obj_agg_trade(d, &ev->u.agg, why);
	case BN_EV_MARK_PRICE:
		return obj_mark_price(d, &ev->u.mark, why);
	case BN_EV_DEPTH:
		return obj_depth(d, 0, &ev->u.depth, why);
	case BN_EV_ORDER_UPDATE:
		return obj_order_update(d, &ev->u.ou, why);
	case BN_EV_ACCOUNT_UPDATE:
		return obj_account_update(d, &ev->u.au, why);
	case BN_EV_LISTEN_KEY_EXPIRED:
		return obj_lke(d, &ev->u.lke, why);
	case BN_EV_TRADE_LITE:
		return obj_trade_lite(d, &ev->u.tl, why);
	case BN_EV_WS_RESULT:
		return obj_ws_result(d, &ev->u.res, why);
	case BN_EV_ERROR:
		return obj_error(d, &ev->u.err, why);
	case BN_EV_UNKNOWN:
		break;
	}
	return 0;
}

int
bn_parse_event(const char *buf, size_t len, struct bn_event *ev,
    struct bn_why *why)
{
	json_t	*j, *d, *e;
	int	 rc = -1;

	ev->type = BN_EV_UNKNOWN;
	ev->stream[0] = ev->e[0] = '\0';
	if ((j = load(buf, len, "event", why)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		why_set(why, "event: not a JSON object");
		goto out;
	}
	d = unwrap(j, ev->stream, sizeof(ev->stream));
	e = json_object_get(d, "e");
	if (e != NULL && get_str(e, ev->e, sizeof(ev->e)) == -1) {
		why_set(why, "event: \"e\" is not a short string");
		goto out;
	}
	ev->type = e != NULL ? ev_by_e(ev->e) : ev_by_shape(d, ev->stream);
	rc = ev_dispatch(d, ev, why);
out:
	json_decref(j);
	return rc;
}

/* Load, unwrap a combined frame, and hand the object to one parser. */
#define WS_PARSER(name, type, objfn, what)				\
int									\
name(const char *buf, size_t len, type *out, struct bn_why *why)	\
{									\
	json_t	*j;							\
	int	 rc;							\
									\
	if ((j = load(buf, len, what, why)) == NULL)			\
		return -1;						\
	rc = objfn(unwrap(j, NULL, 0), out, why);			\
	json_decref(j);							\
	return rc;							\
}

WS_PARSER(bn_parse_book_ticker, struct bn_book_ticker, obj_book_ticker,
    "bookTicker")
WS_PARSER(bn_parse_trade, struct bn_trade, obj_trade, "trade")
WS_PARSER(bn_parse_agg_trade, struct bn_agg_trade, obj_agg_trade, "aggTrade")
WS_PARSER(bn_parse_mark_price, struct bn_mark_price, obj_mark_price,
    "markPriceUpdate")
WS_PARSER(bn_parse_order_update, struct bn_order_update, obj_order_update,
    "ORDER_TRADE_UPDATE")
WS_PARSER(bn_parse_account_update, struct bn_account_update,
    obj_account_update, "ACCOUNT_UPDATE")
WS_PARSER(bn_parse_listen_key_expired, struct bn_listen_key_expired, obj_lke,
    "listenKeyExpired")
WS_PARSER(bn_parse_trade_lite, struct bn_trade_lite, obj_trade_lite,
    "TRADE_LITE")
WS_PARSER(bn_parse_ws_result, struct bn_ws_result, obj_ws_result, "result")
WS_PARSER(bn_parse_error, struct bn_error, obj_error, "error")

static int
obj_depth_ws(json_t *j, struct bn_depth *out, struct bn_why *why)
{
	return obj_depth(j, 0, out, why);
}

static int
obj_depth_rest(json_t *j, struct bn_depth *out, struct bn_why *why)
{
	return obj_depth(j, 1, out, why);
}

WS_PARSER(bn_parse_depth, struct bn_depth, obj_depth_ws, "depthUpdate")
WS_PARSER(bn_parse_rest_depth, struct bn_depth, obj_depth_rest, "depth")

/* ---- REST ------------------------------------------------------------- */

int
bn_error_is_success(const struct bn_error *e)
{
	return e->code >= 0;
}

int
bn_parse_empty(const char *buf, size_t len, struct bn_why *why)
{
	json_t	*j;
	int	 rc = 0;

	if ((j = load(buf, len, "empty", why)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		why_set(why, "empty: not a JSON object");
		rc = -1;
	}
	json_decref(j);
	return rc;
}

static const struct fld time_f[] = {
	{ "serverTime", F_I64, 0, sizeof(int64_t), 1 },
};

int
bn_parse_server_time(const char *buf, size_t len, int64_t *ms,
    struct bn_why *why)
{
	json_t	*j;
	int	 rc;

	*ms = 0;
	if ((j = load(buf, len, "time", why)) == NULL)
		return -1;
	rc = fields(j, time_f, NFLD(time_f), ms, "time", why);
	json_decref(j);
	return rc;
}

int
bn_parse_listen_key(const char *buf, size_t len, char *key, size_t keylen,
    struct bn_why *why)
{
	json_t	*j;
	int	 rc = 0;

	if (keylen > 0)
		key[0] = '\0';
	if ((j = load(buf, len, "listenKey", why)) == NULL)
		return -1;
	if (!json_is_object(j) || get_str(json_object_get(j, "listenKey"),
	    key, keylen) == -1 || key[0] == '\0') {
		why_set(why, "listenKey: missing or too long \"listenKey\"");
		rc = -1;
	}
	json_decref(j);
	return rc;
}

static const struct fld order_f[] = {
	FLD(bn_order, "orderId", F_I64, orderId, 1),
	FLD(bn_order, "symbol", F_STR, symbol, 1),
	FLD(bn_order, "clientOrderId", F_STR, clientOrderId, 1),
	FLD(bn_order, "status", F_STR, status_str, 1),
	FLD(bn_order, "type", F_STR, type, 0),
	FLD(bn_order, "origType", F_STR, origType, 0),
	FLD(bn_order, "timeInForce", F_STR, timeInForce, 0),
	FLD(bn_order, "positionSide", F_STR, positionSide, 0),
	FLD(bn_order, "price", F_NUM, price, 0),
	FLD(bn_order, "origQty", F_NUM, origQty, 0),
	FLD(bn_order, "executedQty", F_NUM, executedQty, 0),
	FLD(bn_order, "cumQty", F_NUM, cumQty, 0),
	FLD(bn_order, "cumQuote", F_NUM, cumQuote, 0),
	FLD(bn_order, "avgPrice", F_NUM, avgPrice, 0),
	FLD(bn_order, "stopPrice", F_NUM, stopPrice, 0),
	FLD(bn_order, "activatePrice", F_NUM, activatePrice, 0),
	FLD(bn_order, "priceRate", F_NUM, priceRate, 0),
	FLD(bn_order, "reduceOnly", F_BOOL, reduceOnly, 0),
	FLD(bn_order, "closePosition", F_BOOL, closePosition, 0),
	FLD(bn_order, "priceProtect", F_BOOL, priceProtect, 0),
	FLD(bn_order, "workingType", F_STR, workingType, 0),
	FLD(bn_order, "priceMatch", F_STR, priceMatch, 0),
	FLD(bn_order, "selfTradePreventionMode", F_STR, stp, 0),
	FLD(bn_order, "updateTime", F_I64, updateTime, 0),
	FLD(bn_order, "goodTillDate", F_I64, goodTillDate, 0),
};

static int
obj_order(json_t *j, struct bn_order *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	if (fields(j, order_f, NFLD(order_f), out, "order", why) == -1 ||
	    side_field(j, "side", 0, &out->side, "order", why) == -1)
		return -1;
	out->status = bn_status_from_str(out->status_str);
	return 0;
}

WS_PARSER(bn_parse_order, struct bn_order, obj_order, "order")

int
bn_parse_batch(const char *buf, size_t len, struct bn_batch *out,
    struct bn_why *why)
{
	struct bn_batch_item	*it;
	json_t			*j, *e;
	size_t			 i;
	int			 rc = -1;

	out->n = 0;
	if ((j = load(buf, len, "batch", why)) == NULL)
		return -1;
	if (!json_is_array(j) || json_array_size(j) > BN_BATCH_MAX) {
		why_set(why, "batch: not an array of at most %d", BN_BATCH_MAX);
		goto out;
	}
	json_array_foreach(j, i, e) {
		it = &out->item[i];
		memset(it, 0, sizeof(*it));
		/* an element is an order, or {code,msg} standing in for one */
		it->is_error = json_object_get(e, "code") != NULL &&
		    json_object_get(e, "orderId") == NULL;
		if (it->is_error ? obj_error(e, &it->err, why) :
		    obj_order(e, &it->order, why))
			goto out;
		out->n++;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* An array of objects (or, leniently, one object) through fn. */
static int
array_of(const char *buf, size_t len, void *out, size_t elsz, int cap,
    int *n, int (*fn)(json_t *, void *, struct bn_why *), const char *what,
    struct bn_why *why)
{
	json_t	*j, *e;
	size_t	 i;
	int	 rc = -1;

	*n = 0;
	if ((j = load(buf, len, what, why)) == NULL)
		return -1;
	if (json_is_object(j)) {
		if (cap < 1 || fn(j, out, why) == -1)
			goto out;
		*n = 1;
		rc = 0;
		goto out;
	}
	if (!json_is_array(j)) {
		why_set(why, "%s: not an array", what);
		goto out;
	}
	json_array_foreach(j, i, e) {
		if ((int)i == cap) {
			*n = -1;	/* more than the caller has room for */
			break;
		}
		if (fn(e, (char *)out + i * elsz, why) == -1)
			goto out;
		*n = (int)i + 1;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int
obj_order_v(json_t *j, void *out, struct bn_why *why)
{
	return obj_order(j, out, why);
}

int
bn_parse_orders(const char *buf, size_t len, struct bn_order *out, int cap,
    int *n, struct bn_why *why)
{
	return array_of(buf, len, out, sizeof(*out), cap, n, obj_order_v,
	    "orders", why);
}

static const struct fld ut_f[] = {
	FLD(bn_user_trade, "id", F_I64, id, 1),
	FLD(bn_user_trade, "orderId", F_I64, orderId, 1),
	FLD(bn_user_trade, "symbol", F_STR, symbol, 1),
	FLD(bn_user_trade, "positionSide", F_STR, positionSide, 0),
	FLD(bn_user_trade, "price", F_NUM, price, 1),
	FLD(bn_user_trade, "qty", F_NUM, qty, 1),
	FLD(bn_user_trade, "quoteQty", F_NUM, quoteQty, 0),
	FLD(bn_user_trade, "commission", F_NUM, commission, 0),
	FLD(bn_user_trade, "commissionAsset", F_STR, commissionAsset, 0),
	FLD(bn_user_trade, "realizedPnl", F_NUM, realizedPnl, 0),
	FLD(bn_user_trade, "buyer", F_BOOL, buyer, 0),
	FLD(bn_user_trade, "maker", F_BOOL, maker, 0),
	FLD(bn_user_trade, "time", F_I64, time, 1),
};

static int
obj_user_trade(json_t *j, void *out, struct bn_why *why)
{
	struct bn_user_trade *t = out;
	json_t *side;

	memset(t, 0, sizeof(*t));
	if (fields(j, ut_f, NFLD(ut_f), t, "userTrades", why) == -1)
		return -1;
	side = json_object_get(j, "side");
	t->side = json_is_string(side) ?
	    bn_side_from_str(json_string_value(side)) : BN_SIDE_NONE;
	if (t->side == BN_SIDE_NONE) {
		why_set(why, "userTrades: trade %lld has no side BUY or SELL",
		    (long long)t->id);
		return -1;
	}
	return 0;
}

int
bn_parse_user_trades(const char *buf, size_t len, struct bn_user_trade *out,
    int cap, int *n, struct bn_why *why)
{
	return array_of(buf, len, out, sizeof(*out), cap, n, obj_user_trade,
	    "userTrades", why);
}

static const struct fld cd_f[] = {
	FLD(bn_countdown, "symbol", F_STR, symbol, 1),
	FLD(bn_countdown, "countdownTime", F_I64, countdownTime, 1),
};

static int
obj_countdown(json_t *j, struct bn_countdown *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(j, cd_f, NFLD(cd_f), out, "countdownCancelAll", why);
}

WS_PARSER(bn_parse_countdown, struct bn_countdown, obj_countdown,
    "countdownCancelAll")

static const struct fld pos_f[] = {
	FLD(bn_position, "symbol", F_STR, symbol, 1),
	FLD(bn_position, "positionSide", F_STR, positionSide, 0),
	FLD(bn_position, "positionAmt", F_NUM, positionAmt, 1),
	FLD(bn_position, "entryPrice", F_NUM, entryPrice, 0),
	FLD(bn_position, "breakEvenPrice", F_NUM, breakEvenPrice, 0),
	FLD(bn_position, "markPrice", F_NUM, markPrice, 0),
	FLD(bn_position, "unRealizedProfit", F_NUM, unRealizedProfit, 0),
	FLD(bn_position, "liquidationPrice", F_NUM, liquidationPrice, 0),
	FLD(bn_position, "isolatedMargin", F_NUM, isolatedMargin, 0),
	FLD(bn_position, "notional", F_NUM, notional, 0),
	FLD(bn_position, "isolatedWallet", F_NUM, isolatedWallet, 0),
	FLD(bn_position, "maxNotionalValue", F_NUM, maxNotionalValue, 0),
	FLD(bn_position, "initialMargin", F_NUM, initialMargin, 0),
	FLD(bn_position, "maintMargin", F_NUM, maintMargin, 0),
	FLD(bn_position, "leverage", F_INT, leverage, 0),
	FLD(bn_position, "marginType", F_STR, marginType, 0),
	FLD(bn_position, "marginAsset", F_STR, marginAsset, 0),
	FLD(bn_position, "isAutoAddMargin", F_BOOL, isAutoAddMargin, 0),
	FLD(bn_position, "adl", F_INT, adl, 0),
	FLD(bn_position, "updateTime", F_I64, updateTime, 0),
};

static int
obj_position(json_t *j, void *out, struct bn_why *why)
{
	memset(out, 0, sizeof(struct bn_position));
	return fields(j, pos_f, NFLD(pos_f), out, "positionRisk", why);
}

int
bn_parse_positions(const char *buf, size_t len, struct bn_position *out,
    int cap, int *n, struct bn_why *why)
{
	return array_of(buf, len, out, sizeof(*out), cap, n, obj_position,
	    "positionRisk", why);
}

static const struct fld bal_f[] = {
	FLD(bn_balance, "accountAlias", F_STR, accountAlias, 0),
	FLD(bn_balance, "asset", F_STR, asset, 1),
	FLD(bn_balance, "balance", F_NUM, balance, 1),
	FLD(bn_balance, "crossWalletBalance", F_NUM, crossWalletBalance, 0),
	FLD(bn_balance, "crossUnPnl", F_NUM, crossUnPnl, 0),
	FLD(bn_balance, "availableBalance", F_NUM, availableBalance, 1),
	FLD(bn_balance, "maxWithdrawAmount", F_NUM, maxWithdrawAmount, 0),
	FLD(bn_balance, "marginAvailable", F_BOOL, marginAvailable, 0),
	FLD(bn_balance, "updateTime", F_I64, updateTime, 0),
};

static int
obj_balance(json_t *j, void *out, struct bn_why *why)
{
	memset(out, 0, sizeof(struct bn_balance));
	return fields(j, bal_f, NFLD(bal_f), out, "balance", why);
}

int
bn_parse_balances(const char *buf, size_t len, struct bn_balance *out,
    int cap, int *n, struct bn_why *why)
{
	return array_of(buf, len, out, sizeof(*out), cap, n, obj_balance,
	    "balance", why);
}

static const struct fld lev_f[] = {
	FLD(bn_leverage, "leverage", F_INT, leverage, 1),
	FLD(bn_leverage, "maxNotionalValue", F_NUM, maxNotionalValue, 0),
	FLD(bn_leverage, "symbol", F_STR, symbol, 1),
};

static int
obj_leverage(json_t *j, struct bn_leverage *out, struct bn_why *why)
{
	memset(out, 0, sizeof(*out));
	return fields(j, lev_f, NFLD(lev_f), out, "leverage", why);
}

WS_PARSER(bn_parse_leverage, struct bn_leverage, obj_leverage, "leverage")

int
bn_parse_rest_book_ticker(const char *buf, size_t len, const char *symbol,
    struct bn_book_ticker *out, struct bn_why *why)
{
	json_t	*j, *e, *pick = NULL;
	size_t	 i;
	int	 rc = -1;

	memset(out, 0, sizeof(*out));
	if ((j = load(buf, len, "bookTicker", why)) == NULL)
		return -1;
	if (json_is_object(j))
		pick = j;
	else if (json_is_array(j)) {
		json_array_foreach(j, i, e) {
			if (symbol == NULL || (json_is_string(json_object_get(e,
			    "symbol")) && strcmp(json_string_value(
			    json_object_get(e, "symbol")), symbol) == 0)) {
				pick = e;
				break;
			}
		}
	}
	if (pick == NULL)
		why_set(why, "bookTicker: no entry for %s",
		    symbol ? symbol : "any symbol");
	else
		rc = fields(pick, bt_rest, NFLD(bt_rest), out, "bookTicker",
		    why);
	json_decref(j);
	return rc;
}

/* ---- exchangeInfo ----------------------------------------------------- */

static int
dec_field(json_t *o, const char *k, struct bn_dec *d, const char *ft,
    struct bn_why *why)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || bn_dec_parse(json_string_value(v), d)) {
		why_set(why, "exchangeInfo: %s \"%s\" is not a decimal string",
		    ft, k);
		return -1;
	}
	return 0;
}

static int
dec_to_double(json_t *o, const char *k, double *x, const char *ft,
    struct bn_why *why)
{
	if (get_num(json_object_get(o, k), x) == -1) {
		why_set(why, "exchangeInfo: %s \"%s\" is not a number", ft, k);
		return -1;
	}
	return 0;
}

static int
one_filter(json_t *o, struct bn_filters *f, struct bn_why *why)
{
	const char	*t = json_string_value(json_object_get(o, "filterType"));
	int64_t		 x;

	if (t == NULL)
		return 0;
	if (strcmp(t, "PRICE_FILTER") == 0) {
		f->have_price = 1;
		return dec_field(o, "tickSize", &f->tick, t, why) |
		    dec_field(o, "minPrice", &f->raw_min_price, t, why) |
		    dec_field(o, "maxPrice", &f->raw_max_price, t, why);
	}
	if (strcmp(t, "LOT_SIZE") == 0) {
		f->have_lot = 1;
		return dec_field(o, "stepSize", &f->step, t, why) |
		    dec_field(o, "minQty", &f->raw_min_qty, t, why) |
		    dec_field(o, "maxQty", &f->raw_max_qty, t, why);
	}
	if (strcmp(t, "MARKET_LOT_SIZE") == 0)
		return dec_field(o, "stepSize", &f->mkt_step, t, why) |
		    dec_field(o, "minQty", &f->mkt_min_qty, t, why) |
		    dec_field(o, "maxQty", &f->mkt_max_qty, t, why);
	if (strcmp(t, "MIN_NOTIONAL") == 0)
		return dec_field(o, "notional", &f->min_notional, t, why);
	if (strcmp(t, "PERCENT_PRICE") == 0)
		return dec_to_double(o, "multiplierUp", &f->pct_up, t, why) |
		    dec_to_double(o, "multiplierDown", &f->pct_down, t, why);
	if (strcmp(t, "MAX_NUM_ORDERS") == 0) {
		if (get_i64(json_object_get(o, "limit"), &x) == -1 || x < 0 ||
		    x > 1000000) {
			why_set(why, "exchangeInfo: MAX_NUM_ORDERS \"limit\" "
			    "is not an integer");
			return -1;
		}
		f->max_num_orders = (int)x;
	}
	return 0;
}

static void
rate_limits(json_t *arr, struct bn_exchange_info *out)
{
	const char	*type, *iv;
	json_t		*e;
	int64_t		 n, lim;
	size_t		 i;

	json_array_foreach(arr, i, e) {
		type = json_string_value(json_object_get(e, "rateLimitType"));
		iv = json_string_value(json_object_get(e, "interval"));
		if (type == NULL || iv == NULL ||
		    get_i64(json_object_get(e, "intervalNum"), &n) == -1 ||
		    get_i64(json_object_get(e, "limit"), &lim) == -1 ||
		    lim <= 0 || lim > 1000000000)
			continue;
		if (strcmp(type, "REQUEST_WEIGHT") == 0 &&
		    strcmp(iv, "MINUTE") == 0 && n == 1)
			out->weight_1m = (int)lim;
		else if (strcmp(type, "ORDERS") == 0 &&
		    strcmp(iv, "MINUTE") == 0 && n == 1)
			out->orders_1m = (int)lim;
		else if (strcmp(type, "ORDERS") == 0 &&
		    strcmp(iv, "SECOND") == 0 && n == 10)
			out->orders_10s = (int)lim;
	}
}

static json_t *
find_symbol(json_t *syms, const char *symbol)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(syms, i, e) {
		const char *s = json_string_value(json_object_get(e, "symbol"));

		if (s != NULL && strcmp(s, symbol) == 0)
			return e;
	}
	return NULL;
}

static const struct fld ei_sym[] = {
	FLD(bn_filters, "pricePrecision", F_INT, price_precision, 0),
	FLD(bn_filters, "quantityPrecision", F_INT, qty_precision, 0),
};

static int
obj_exchange_info(json_t *j, const char *symbol, struct bn_exchange_info *out,
    struct bn_why *why)
{
	json_t	*sym, *flt, *e;
	size_t	 i;

	if (!json_is_object(j)) {
		why_set(why, "exchangeInfo: not a JSON object");
		return -1;
	}
	get_i64(json_object_get(j, "serverTime"), &out->serverTime);
	if (json_is_array(json_object_get(j, "rateLimits")))
		rate_limits(json_object_get(j, "rateLimits"), out);
	sym = find_symbol(json_object_get(j, "symbols"), symbol);
	if (sym == NULL) {
		why_set(why, "exchangeInfo: no symbol %s", symbol);
		return -1;
	}
	if (fields(sym, ei_sym, NFLD(ei_sym), &out->f, "exchangeInfo",
	    why) == -1)
		return -1;
	get_str(json_object_get(sym, "status"), out->status,
	    sizeof(out->status));
	flt = json_object_get(sym, "filters");
	if (!json_is_array(flt)) {
		why_set(why, "exchangeInfo: %s has no filters", symbol);
		return -1;
	}
	json_array_foreach(flt, i, e)
		if (one_filter(e, &out->f, why) != 0)
			return -1;
	if (bn_filters_finish(&out->f, why ? why->s : NULL,
	    why ? sizeof(why->s) : 0) == -1)
		return -1;
	return 0;
}

int
bn_parse_exchange_info(const char *buf, size_t len, const char *symbol,
    struct bn_exchange_info *out, struct bn_why *why)
{
	json_t	*j;
	int	 rc;

	memset(out, 0, sizeof(*out));
	bn_filters_init(&out->f, symbol);
	if ((j = load(buf, len, "exchangeInfo", why)) == NULL)
		return -1;
	rc = obj_exchange_info(j, symbol, out, why);
	json_decref(j);
	return rc;
}

int64_t
bn_parse_ban_until(const char *msg)
{
	const char	*p;
	char		*end;
	long long	 v;

	if (msg == NULL || (p = strstr(msg, "banned until ")) == NULL)
		return 0;
	p += strlen("banned until ");
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno == ERANGE || v <= 0)
		return 0;
	return v;
}
