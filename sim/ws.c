/*
 * ws.c — pmm-exchange's WebSocket side: Binance's market streams and the
 * user data stream, on routed (/public, /market, /private) and legacy
 * paths, raw (/ws/a/b) and combined (/stream?streams=a/b).
 *
 * The core calls ws_on_market()/ws_on_user() for every event; each event
 * is turned into Binance's JSON once (field order as Binance sends it) and
 * the same frame, reference counted, is queued on every session that
 * subscribed. Sessions drain their queues when writable; one that falls
 * WIRE_WS_QCAP frames behind is closed, as Binance drops slow consumers.
 * Diff depth at 100/250/500 ms is batched here from the core's diffs with
 * U/u/pu kept consistent with the REST snapshot's lastUpdateId.
 */
#include "wire.h"

#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"

#define WS_MAX_STREAMS	1024	/* per connection, as on Binance */
#define WS_AGG_LEVELS	2000	/* distinct prices batched per interval */
#define WS_NSPEED	4	/* diff depth: 0 ms (every diff), 100, 250, 500 */
#define WS_MAX_MSG	(256 * 1024)	/* largest client message kept */

enum sk {
	SK_BOOKTICKER,		/* <s>@bookTicker, !bookTicker */
	SK_DEPTH_PARTIAL,	/* <s>@depth<5|10|20>[@100ms|@500ms] */
	SK_DEPTH_DIFF,		/* <s>@depth[@0ms|@100ms|@500ms] */
	SK_AGGTRADE,
	SK_TRADE,
	SK_MARKPRICE,		/* <s>@markPrice[@1s] */
	SK_USER,		/* a listenKey: the user data stream */
	SK_N
};

enum route { RT_LEGACY, RT_PUBLIC, RT_MARKET, RT_PRIVATE };

struct stream {
	enum sk	 kind;
	int	 sym;		/* -1: every symbol (!bookTicker) */
	int	 levels;	/* partial depth */
	int	 speed;		/* index into speeds_ms */
	int	 mute;		/* on the wrong route: listed, never sent */
	char	 name[WIRE_LKEY_LEN + 8];	/* as subscribed; a listenKey fits */
};

static const int speeds_ms[WS_NSPEED] = { 0, 100, 250, 500 };

struct ws_msg {
	int		refs;
	size_t		len;
	unsigned char	buf[];	/* LWS_PRE headroom, then len bytes */
};

struct ws_sess {
	struct ws_sess		*next, *prev;
	struct wire		*w;
	struct lws		*wsi;
	enum route		 route;
	int			 combined;
	struct stream		*subs;
	int			 nsubs;
	/* user data stream */
	int			 user;
	char			 lkey[WIRE_LKEY_LEN + 1];
	unsigned		 events;	/* bit per enum exch_user_ev */
	/* outgoing frames */
	struct ws_msg		**q;
	int			 qhead, qlen;
	int			 closing;
	int			 muted;		/* fault: open but silent */
	int64_t			 born_ms;
	int64_t			 rx_window_ms;
	int			 rx_count;
	char			*rx;		/* a message arriving in pieces */
	size_t			 rxlen;
	int			 rx_dropped;	/* too big: ignore its pieces */
};

struct depth_agg {
	int64_t			 U, u, pu;	/* pu of the first batched diff */
	int64_t			 last_u;	/* u of the last emission */
	int64_t			 T_ms;
	int			 nb, na;
	struct exch_level	*b, *a;
	int64_t			 due_ms;
};

struct ws_hub {
	struct wire_buf		 fb;		/* the frame being written */
	struct depth_agg	 agg[EXCH_SYM_MAX][WS_NSPEED];
	int64_t			 mark3s_ms[EXCH_SYM_MAX];
	int			 nsubs_kind[SK_N];
};

/* ---- frames ---------------------------------------------------------- */

static struct ws_msg *
msg_new(const char *s, size_t len)
{
	struct ws_msg	*m = malloc(sizeof(*m) + LWS_PRE + len);

	if (m == NULL)
		return NULL;
	m->refs = 0;
	m->len = len;
	memcpy(m->buf + LWS_PRE, s, len);
	return m;
}

static void
msg_unref(struct ws_msg *m)
{
	if (m != NULL && --m->refs <= 0)
		free(m);
}

static struct ws_msg *
msg_json(json_t *j)
{
	char		 stack[16384], *heap = NULL;
	size_t		 n;
	struct ws_msg	*m;

	n = json_dumpb(j, stack, sizeof(stack), JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	if (n == 0)
		return NULL;
	if (n > sizeof(stack)) {
		if ((heap = malloc(n)) == NULL)
			return NULL;
		json_dumpb(j, heap, n, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	m = msg_new(heap ? heap : stack, n);
	free(heap);
	return m;
}

/* What is queued is never sent now: let it go at once, so a session on
 * its way out holds neither memory nor a max-speed replay back. */
static void
sess_close(struct ws_sess *s)
{
	if (s->closing)
		return;
	s->closing = 1;
	while (s->qlen > 0) {
		msg_unref(s->q[s->qhead]);
		s->q[s->qhead] = NULL;
		s->qhead = (s->qhead + 1) % WIRE_WS_QCAP;
		s->qlen--;
	}
	lws_callback_on_writable(s->wsi);
}

/* Queue a frame; a session too far behind is closed (slow consumer). */
static void
sess_push(struct ws_sess *s, struct ws_msg *m)
{
	if (s->closing || m == NULL)
		return;
	if (s->muted) {
		s->w->ws_frames_muted++;
		return;
	}
	if (s->qlen == WIRE_WS_QCAP) {
		log_info("ws: closing a slow consumer (%d frames queued)",
		    s->qlen);
		sess_close(s);
		return;
	}
	m->refs++;
	s->q[(s->qhead + s->qlen) % WIRE_WS_QCAP] = m;
	if (s->qlen++ == 0)
		lws_callback_on_writable(s->wsi);
}

/* A frame that nobody kept is freed here. */
static void
msg_done(struct ws_msg *m)
{
	if (m != NULL && m->refs == 0)
		free(m);
}

/* The frame of a jansson value (stolen); NULL when there is none. */
static struct ws_msg *
msg_of(json_t *j)
{
	struct ws_msg *m = j != NULL ? msg_json(j) : NULL;

	json_decref(j);
	return m;
}

/* The frame written in b (rc 0) as a message; b is emptied either way. */
static struct ws_msg *
msg_take(struct wire_buf *b, int rc)
{
	struct ws_msg *m = rc == 0 ? msg_new(b->p, b->len) : NULL;

	b->len = 0;
	return m;
}

static void
sess_send_json(struct ws_sess *s, json_t *j)
{
	struct ws_msg *m = msg_json(j);

	json_decref(j);
	sess_push(s, m);
	msg_done(m);
}

/* ---- market frames written in place ------------------------------------ */

/*
 * bookTicker, trade and diff depth are nearly all of a replay's frames;
 * refilling a jansson object and dumping it cost a third of a max-speed
 * replay (perf), so these frames are written directly: fixed keys as
 * literals, numbers as wire_fmt()/json_num() and jansson print them. The
 * only free-form strings (symbol, stream name) are copied when they need
 * no escaping and left to jansson when they do.
 */
void
wire_buf_free(struct wire_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
wb_put(struct wire_buf *b, const char *s, size_t n)
{
	size_t	 ncap;
	char	*np;

	if (b->cap - b->len < n) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap - b->len < n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			log_warn("%s", __func__);
			return -1;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

#define wb_lit(b, s)	wb_put((b), (s), sizeof(s) - 1)

/* An integer as jansson prints it ("%lld"). */
static int
wb_int(struct wire_buf *b, int64_t v)
{
	char		tmp[24];
	uint64_t	u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t		i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		tmp[--i] = '-';
	return wb_put(b, tmp + i, sizeof(tmp) - i);
}

/* A price or quantity, quoted: the bytes of json_num(v, prec). */
static int
wb_num(struct wire_buf *b, double v, int prec)
{
	char	tmp[66];
	int	n = wire_fmt(tmp + 1, 64, v, prec);

	if (n < 0)
		return -1;
	if (n >= 64)
		n = (int)strlen(tmp + 1);	/* cut, as json_num's buffer */
	tmp[0] = '"';
	tmp[n + 1] = '"';
	return wb_put(b, tmp, (size_t)n + 2);
}

static int
wb_str(struct wire_buf *b, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	json_t			*j;
	char			*enc;
	size_t			 n = 0;
	int			 rc;

	while (u[n] >= 0x20 && u[n] < 0x7f && u[n] != '"' && u[n] != '\\')
		n++;
	if (u[n] == '\0')
		return wb_lit(b, "\"") | wb_put(b, s, n) | wb_lit(b, "\"");
	if ((j = json_string(s)) == NULL)
		return -1;		/* not UTF-8: jansson would refuse too */
	enc = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	if (enc == NULL)
		return -1;
	rc = wb_put(b, enc, strlen(enc));
	free(enc);
	return rc;
}

/* Binance's key order: e,u,s,b,B,a,A,T,E. */
int
ws_fmt_book_ticker(struct wire_buf *b, const struct exch_mkt_event *e)
{
	int	pp = e->price_precision, qp = e->qty_precision, rc;

	rc = wb_lit(b, "{\"e\":\"bookTicker\",\"u\":");
	rc |= wb_int(b, e->bt.u);
	rc |= wb_lit(b, ",\"s\":");
	rc |= wb_str(b, e->symbol);
	rc |= wb_lit(b, ",\"b\":");
	rc |= wb_num(b, e->bt.b, pp);
	rc |= wb_lit(b, ",\"B\":");
	rc |= wb_num(b, e->bt.B, qp);
	rc |= wb_lit(b, ",\"a\":");
	rc |= wb_num(b, e->bt.a, pp);
	rc |= wb_lit(b, ",\"A\":");
	rc |= wb_num(b, e->bt.A, qp);
	rc |= wb_lit(b, ",\"T\":");
	rc |= wb_int(b, e->T_ms);
	rc |= wb_lit(b, ",\"E\":");
	rc |= wb_int(b, e->E_ms);
	rc |= wb_lit(b, "}");
	return rc ? -1 : 0;
}

/* e,E,T,s,t,p,q,X,m */
int
ws_fmt_trade(struct wire_buf *b, const struct exch_mkt_event *e)
{
	int	rc;

	rc = wb_lit(b, "{\"e\":\"trade\",\"E\":");
	rc |= wb_int(b, e->E_ms);
	rc |= wb_lit(b, ",\"T\":");
	rc |= wb_int(b, e->T_ms);
	rc |= wb_lit(b, ",\"s\":");
	rc |= wb_str(b, e->symbol);
	rc |= wb_lit(b, ",\"t\":");
	rc |= wb_int(b, e->trade.t);
	rc |= wb_lit(b, ",\"p\":");
	rc |= wb_num(b, e->trade.p, e->price_precision);
	rc |= wb_lit(b, ",\"q\":");
	rc |= wb_num(b, e->trade.q, e->qty_precision);
	if (e->trade.m)
		rc |= wb_lit(b, ",\"X\":\"MARKET\",\"m\":true}");
	else
		rc |= wb_lit(b, ",\"X\":\"MARKET\",\"m\":false}");
	return rc ? -1 : 0;
}

static int
wb_levels(struct wire_buf *b, const struct exch_level *lv, int n, int pp,
    int qp)
{
	int	i, rc = wb_lit(b, "[");

	for (i = 0; i < n; i++) {
		rc |= i == 0 ? wb_lit(b, "[") : wb_lit(b, ",[");
		rc |= wb_num(b, lv[i].price, pp);
		rc |= wb_lit(b, ",");
		rc |= wb_num(b, lv[i].qty, qp);
		rc |= wb_lit(b, "]");
	}
	return rc | wb_lit(b, "]");
}

/* e,E,T,s,U,u,pu,b,a */
int
ws_fmt_depth(struct wire_buf *b, const struct exch_symbol_spec *sp,
    int64_t E, int64_t T, int64_t U, int64_t u, int64_t pu,
    const struct exch_level *bids, int nb, const struct exch_level *asks,
    int na)
{
	int	pp = sp->price_precision, qp = sp->qty_precision, rc;

	rc = wb_lit(b, "{\"e\":\"depthUpdate\",\"E\":");
	rc |= wb_int(b, E);
	rc |= wb_lit(b, ",\"T\":");
	rc |= wb_int(b, T);
	rc |= wb_lit(b, ",\"s\":");
	rc |= wb_str(b, sp->symbol);
	rc |= wb_lit(b, ",\"U\":");
	rc |= wb_int(b, U);
	rc |= wb_lit(b, ",\"u\":");
	rc |= wb_int(b, u);
	rc |= wb_lit(b, ",\"pu\":");
	rc |= wb_int(b, pu);
	rc |= wb_lit(b, ",\"b\":");
	rc |= wb_levels(b, bids, nb, pp, qp);
	rc |= wb_lit(b, ",\"a\":");
	rc |= wb_levels(b, asks, na, pp, qp);
	rc |= wb_lit(b, "}");
	return rc ? -1 : 0;
}

int
ws_fmt_combined(struct wire_buf *b, const char *stream, const char *data,
    size_t len)
{
	int	rc;

	rc = wb_lit(b, "{\"stream\":");
	rc |= wb_str(b, stream);
	rc |= wb_lit(b, ",\"data\":");
	rc |= wb_put(b, data, len);
	rc |= wb_lit(b, "}");
	return rc ? -1 : 0;
}

/* ---- stream names ------------------------------------------------------ */

static int
parse_speed(const char *s, int *speed)
{
	int	i;

	if (s == NULL) {
		*speed = 2;		/* 250 ms, Binance's default */
		return 0;
	}
	for (i = 0; i < WS_NSPEED; i++) {
		char	buf[16];

		snprintf(buf, sizeof(buf), "%dms", speeds_ms[i]);
		if (strcmp(s, buf) == 0) {
			*speed = i;
			return 0;
		}
	}
	return -1;
}

/* "btcusdt@depth5@100ms" -> struct stream; -1 when not a known stream. */
static int
stream_parse(struct wire *w, const char *name, struct stream *st)
{
	char	 sym[EXCH_SYMLEN], kind[32], *at, *at2, buf[WIRE_LKEY_LEN + 8];
	size_t	 i;

	memset(st, 0, sizeof(*st));
	if (strlen(name) >= sizeof(st->name) || strlen(name) >= sizeof(buf))
		return -1;
	snprintf(st->name, sizeof(st->name), "%s", name);
	if (strchr(name, '@') == NULL && wire_lkey_account(w, name) != NULL) {
		st->kind = SK_USER;
		st->sym = -1;
		return 0;
	}
	if (strcmp(name, "!bookTicker") == 0) {
		st->kind = SK_BOOKTICKER;
		st->sym = -1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", name);
	if ((at = strchr(buf, '@')) == NULL || at == buf ||
	    (size_t)(at - buf) >= sizeof(sym))
		return -1;
	*at++ = '\0';
	for (i = 0; buf[i]; i++)
		sym[i] = (char)toupper((unsigned char)buf[i]);
	sym[i] = '\0';
	if ((st->sym = exch_symbol_index(w->ex, sym)) < 0)
		return -1;
	if ((at2 = strchr(at, '@')) != NULL)
		*at2++ = '\0';
	snprintf(kind, sizeof(kind), "%s", at);
	if (strcmp(kind, "bookTicker") == 0 && at2 == NULL)
		st->kind = SK_BOOKTICKER;
	else if (strcmp(kind, "aggTrade") == 0 && at2 == NULL)
		st->kind = SK_AGGTRADE;
	else if (strcmp(kind, "trade") == 0 && at2 == NULL)
		st->kind = SK_TRADE;
	else if (strcmp(kind, "markPrice") == 0) {
		st->kind = SK_MARKPRICE;
		if (at2 != NULL && strcmp(at2, "1s") != 0)
			return -1;
		st->speed = at2 != NULL;	/* 1 = every second */
	} else if (strcmp(kind, "depth") == 0) {
		st->kind = SK_DEPTH_DIFF;
		return parse_speed(at2, &st->speed);
	} else if (strcmp(kind, "depth5") == 0 || strcmp(kind, "depth10") == 0 ||
	    strcmp(kind, "depth20") == 0) {
		st->kind = SK_DEPTH_PARTIAL;
		st->levels = atoi(kind + 5);
		if (parse_speed(at2, &st->speed) == -1 || st->speed == 0)
			return -1;
	} else
		return -1;
	return 0;
}

/*
 * Which streams each route carries. Binance: @bookTicker, @depth and
 * @trade are /public, @aggTrade and @markPrice /market; a stream asked
 * for on the other route is accepted and silently never delivered. Legacy
 * (unrouted) paths carry everything unless --strict-routes, where they
 * carry /public data only, as Binance's have since 2026-04-23.
 */
static int
stream_on_route(const struct wire *w, const struct stream *st, enum route rt)
{
	int	pub = st->kind == SK_BOOKTICKER || st->kind == SK_TRADE ||
		    st->kind == SK_DEPTH_PARTIAL || st->kind == SK_DEPTH_DIFF;

	if (st->kind == SK_USER)
		return rt == RT_PRIVATE || (rt == RT_LEGACY &&
		    !w->opts.strict_routes);
	switch (rt) {
	case RT_PUBLIC:
		return pub;
	case RT_MARKET:
		return !pub;
	case RT_PRIVATE:
		return 0;
	default:
		return !w->opts.strict_routes || pub;
	}
}

static int
sess_find(const struct ws_sess *s, const char *name)
{
	int	i;

	for (i = 0; i < s->nsubs; i++)
		if (strcmp(s->subs[i].name, name) == 0)
			return i;
	return -1;
}

static int
sess_sub(struct ws_sess *s, const struct stream *st)
{
	struct ws_hub	*h = s->w->hub;

	if (sess_find(s, st->name) >= 0)
		return 0;
	if (s->nsubs == WS_MAX_STREAMS)
		return -1;
	s->subs[s->nsubs] = *st;
	s->subs[s->nsubs].mute = !stream_on_route(s->w, st, s->route);
	if (!s->subs[s->nsubs].mute)
		h->nsubs_kind[st->kind]++;
	if (st->kind == SK_USER && !s->subs[s->nsubs].mute) {
		s->user = 1;	/* one user stream a session: the latest */
		snprintf(s->lkey, sizeof(s->lkey), "%.*s", WIRE_LKEY_LEN,
		    st->name);
	}
	s->nsubs++;
	return 0;
}

static void
sess_unsub(struct ws_sess *s, const char *name)
{
	int	i = sess_find(s, name);

	if (i < 0)
		return;
	if (!s->subs[i].mute)
		s->w->hub->nsubs_kind[s->subs[i].kind]--;
	if (s->subs[i].kind == SK_USER && strcmp(s->lkey, name) == 0)
		s->user = 0;
	s->subs[i] = s->subs[--s->nsubs];
}

/* ---- connection set-up --------------------------------------------------- */

struct ws_target {
	enum route	 route;
	int		 combined;
	char		 streams[2048];	/* '/'-separated */
	char		 lkey[WIRE_LKEY_LEN + 8];
	char		 events[256];
};

/* The value of query argument `name` into out ("" when absent); -1 when it
 * does not fit: a listenKey or stream list cut short would name something
 * else, so the upgrade is refused instead. */
static int
arg_copy(struct lws *wsi, const char *name, char *out, size_t len)
{
	char	buf[2048];
	int	i, n;
	size_t	nl = strlen(name), vl;

	out[0] = '\0';
	for (i = 0; i < 64; i++) {
		n = lws_hdr_copy_fragment(wsi, buf, sizeof(buf),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			return 0;
		if (strncmp(buf, name, nl) == 0 && buf[nl] == '=') {
			vl = strlen(buf + nl + 1);
			if (vl >= len)
				return -1;
			memcpy(out, buf + nl + 1, vl + 1);
			return 0;
		}
	}
	return 0;
}

static unsigned	events_mask(const char *);

/* Where an upgrade's query arguments come from: lws, or a wire_req; both
 * answer like arg_copy(). */
typedef int	(*ws_argfn)(void *src, const char *name, char *out,
		    size_t len);

static int
arg_copy_lws(void *src, const char *name, char *out, size_t len)
{
	return arg_copy(src, name, out, len);
}

static int
arg_copy_req(void *src, const char *name, char *out, size_t len)
{
	const struct wire_req	*req = src;
	size_t			 nl = strlen(name), vl;
	int			 i;

	out[0] = '\0';
	for (i = 0; i < req->nqfrags && i < 64; i++)
		if (strncmp(req->qfrags[i], name, nl) == 0 &&
		    req->qfrags[i][nl] == '=') {
			vl = strlen(req->qfrags[i] + nl + 1);
			if (vl >= len)
				return -1;
			memcpy(out, req->qfrags[i] + nl + 1, vl + 1);
			return 0;
		}
	return 0;
}

/* The upgrade paths: a route prefix, then one of the stream forms. */
static const struct ws_prefix {
	const char	*prefix;
	enum route	 route;
} ws_prefixes[] = {
	{ "/public", RT_PUBLIC },
	{ "/market", RT_MARKET },
	{ "/private", RT_PRIVATE },
	{ "", RT_LEGACY },
};

static const struct ws_form {
	const char	*path;		/* after the prefix */
	const char	*sample;	/* query of a valid upgrade */
} ws_forms[] = {
	{ "/ws", "" },
	{ "/ws/btcusdt@bookTicker/btcusdt@aggTrade", "" },
	{ "/stream", "streams=btcusdt@bookTicker/btcusdt@depth@100ms" },
};

#define WS_NPREFIX	(int)(sizeof(ws_prefixes) / sizeof(ws_prefixes[0]))
#define WS_NFORM	(int)(sizeof(ws_forms) / sizeof(ws_forms[0]))

/* Parse an upgrade request's path into where it goes; -1 = refuse. */
static int
ws_target_parse(const char *uri, ws_argfn arg, void *src,
    struct ws_target *t)
{
	const char	*p = uri;
	size_t		 n;
	int		 i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < WS_NPREFIX; i++) {
		n = strlen(ws_prefixes[i].prefix);
		if (n > 0 && strncmp(p, ws_prefixes[i].prefix, n) == 0 &&
		    p[n] == '/') {
			t->route = ws_prefixes[i].route;
			p += n;
			break;
		}
	}
	if (strcmp(p, "/ws") == 0 || strcmp(p, "/ws/") == 0)
		;
	else if (strncmp(p, "/ws/", 4) == 0)
		snprintf(t->streams, sizeof(t->streams), "%.*s",
		    (int)sizeof(t->streams) - 1, p + 4);
	else if (strcmp(p, "/stream") == 0 || strcmp(p, "/stream/") == 0) {
		t->combined = 1;
		if (arg(src, "streams", t->streams, sizeof(t->streams)) < 0)
			return -1;
	} else
		return -1;
	if (arg(src, "listenKey", t->lkey, sizeof(t->lkey)) < 0 ||
	    arg(src, "events", t->events, sizeof(t->events)) < 0)
		return -1;
	return 0;
}

static int
ws_target_lws(struct lws *wsi, struct ws_target *t)
{
	char	uri[2048];

	memset(t, 0, sizeof(*t));
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
		return -1;
	return ws_target_parse(uri, arg_copy_lws, wsi, t);
}

int
ws_upgrade_check(struct wire *w, const struct wire_req *req)
{
	struct ws_target	 t;
	struct stream		 st;
	char			*tok, *save = NULL;

	if (req->method != WM_GET || ws_target_parse(req->path,
	    arg_copy_req, (void *)(uintptr_t)req, &t) == -1)
		return -1;
	/* what ws_established() would subscribe, parsed the same way */
	if (t.lkey[0] != '\0')
		(void)stream_parse(w, t.lkey, &st);
	for (tok = strtok_r(t.streams, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save))
		(void)stream_parse(w, tok, &st);
	(void)events_mask(t.events);
	return 0;
}

void
ws_endpoints(void (*fn)(void *, const struct wire_endpoint *), void *arg)
{
	struct wire_endpoint	ep;
	char			path[128];
	int			i, k;

	ep.kind = "ws";
	ep.method = "GET";
	ep.auth = "none";
	for (i = 0; i < WS_NPREFIX; i++)
		for (k = 0; k < WS_NFORM; k++) {
			snprintf(path, sizeof(path), "%s%s",
			    ws_prefixes[i].prefix, ws_forms[k].path);
			ep.path = path;
			ep.sample = ws_forms[k].sample;
			fn(arg, &ep);
		}
}

int
ws_filter(struct wire *w, struct lws *wsi)
{
	struct ws_target t;

	if (w->nsessions >= WIRE_MAX_CONNS) {
		log_warnx("ws: refusing a connection: %d open", w->nsessions);
		return -1;
	}
	/* /private without a listenKey is fine: clients SUBSCRIBE one */
	return ws_target_lws(wsi, &t);
}

static unsigned
events_mask(const char *list)
{
	static const char *names[] = { "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE",
	    "ACCOUNT_CONFIG_UPDATE", "TRADE_LITE", "listenKeyExpired" };
	unsigned	 mask = 0;
	size_t		 i;

	if (list == NULL || *list == '\0')
		return ~0u;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *p = strstr(list, names[i]);
		size_t	    n = strlen(names[i]);

		if (p != NULL && (p == list || p[-1] == '/') &&
		    (p[n] == '\0' || p[n] == '/'))
			mask |= 1u << i;
	}
	return mask;
}

#define EVB_ORDER	(1u << 0)
#define EVB_ACCOUNT	(1u << 1)
#define EVB_CONFIG	(1u << 2)
#define EVB_LITE	(1u << 3)

/* Subscribe the streams named in the URL; a listenKey among them is the
 * user data stream (/private/stream?streams=<key>, legacy /ws/<key>). */
static void
sess_url_streams(struct wire *w, struct ws_sess *s, char *list)
{
	struct stream	 st;
	char		*tok, *save = NULL;

	for (tok = strtok_r(list, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save))
		if (stream_parse(w, tok, &st) == 0)
			sess_sub(s, &st);
}

int
ws_established(struct wire *w, struct lws *wsi, struct ws_sess **out)
{
	struct ws_target	 t;
	struct stream		 st;
	struct ws_sess		*s;

	*out = NULL;
	if (ws_target_lws(wsi, &t) == -1)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->q = calloc(WIRE_WS_QCAP, sizeof(*s->q))) == NULL ||
	    (s->subs = calloc(WS_MAX_STREAMS, sizeof(*s->subs))) == NULL) {
		log_warn("%s: calloc", __func__);
		if (s != NULL)
			free(s->q);
		free(s);
		return -1;
	}
	s->w = w;
	s->wsi = wsi;
	s->route = t.route;
	s->combined = t.combined;
	s->born_ms = now_mono_ns() / NS_PER_MS;
	s->events = events_mask(t.events);
	if (t.lkey[0] != '\0' && stream_parse(w, t.lkey, &st) == 0 &&
	    st.kind == SK_USER)
		sess_sub(s, &st);
	sess_url_streams(w, s, t.streams);
	s->next = w->sessions;
	if (w->sessions != NULL)
		w->sessions->prev = s;
	w->sessions = s;
	w->nsessions++;
	*out = s;
	return 0;
}

void
ws_closed(struct wire *w, struct ws_sess *s)
{
	int	i;

	for (i = 0; i < s->nsubs; i++)
		if (!s->subs[i].mute)
			w->hub->nsubs_kind[s->subs[i].kind]--;
	for (i = 0; i < s->qlen; i++)
		msg_unref(s->q[(s->qhead + i) % WIRE_WS_QCAP]);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		w->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	w->nsessions--;
	free(s->rx);
	free(s->q);
	free(s->subs);
	free(s);
}

static void
cork(struct lws *wsi, int on)
{
	int	fd = lws_get_socket_fd(wsi);

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

int
ws_writable(struct wire *w, struct ws_sess *s)
{
	struct ws_msg	*m;
	int		 n = 0, corked;

	if (s->closing) {
		lws_close_reason(s->wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
		return -1;
	}
	/* cork: a burst of small frames leaves in few segments, which
	 * spares the reader most of its wake-ups on a busy stream. It is
	 * lifted whenever it was set, even after one frame (a choked pipe):
	 * a socket left corked holds every later frame up to 200 ms. */
	if ((corked = s->qlen > 1))
		cork(s->wsi, 1);
	while (s->qlen > 0 && n++ < 256) {
		m = s->q[s->qhead];
		if (lws_write(s->wsi, m->buf + LWS_PRE, m->len,
		    LWS_WRITE_TEXT) < (int)m->len) {
			if (corked)
				cork(s->wsi, 0);
			return -1;
		}
		s->q[s->qhead] = NULL;
		s->qhead = (s->qhead + 1) % WIRE_WS_QCAP;
		s->qlen--;
		msg_unref(m);
		w->ws_frames_out++;
		/* lws keeps what the socket did not take and says so here;
		 * lws_send_pipe_choked() would cost a poll(2) per frame */
		if (lws_partial_buffered(s->wsi))
			break;
	}
	if (corked)
		cork(s->wsi, 0);
	if (s->qlen > 0)
		lws_callback_on_writable(s->wsi);
	return 0;
}

int
ws_backlog(const struct wire *w)
{
	const struct ws_sess	*s;
	int			 max = 0;

	for (s = w->sessions; s != NULL; s = s->next)
		if (s->qlen > max)
			max = s->qlen;
	return max;
}

/* which: 1 market sessions, 2 user data sessions, 3 both. */
static int
sess_is(const struct ws_sess *s, int which)
{
	return ((which & 2) && s->user) || ((which & 1) && !s->user);
}

int
ws_drop(struct wire *w, int which)
{
	struct ws_sess	*s;
	int		 n = 0;

	for (s = w->sessions; s != NULL; s = s->next)
		if (!s->closing && sess_is(s, which)) {
			sess_close(s);
			n++;
		}
	return n;
}

/*
 * A connection that went quiet without closing: the sessions open now
 * stay connected and answer pings but are sent nothing more, until they
 * are dropped (or unmuted: on = 0). Sessions opened later are not muted.
 * Lets a test make an event happen that the client cannot hear, at a
 * moment the test picks, whatever the client does meanwhile.
 */
int
ws_mute(struct wire *w, int which, int on)
{
	struct ws_sess	*s;
	int		 n = 0;

	for (s = w->sessions; s != NULL; s = s->next)
		if (!s->closing && s->muted != on && sess_is(s, which)) {
			s->muted = on;
			n++;
		}
	return n;
}

/* ---- requests from the client --------------------------------------------- */

static void
reply_error(struct ws_sess *s, json_t *id, int code, const char *msg)
{
	sess_send_json(s, json_pack("{s:{s:i,s:s},s:O}", "error", "code", code,
	    "msg", msg, "id", id ? id : json_null()));
}

static void
reply_result(struct ws_sess *s, json_t *id, json_t *result)
{
	sess_send_json(s, json_pack("{s:o,s:O}", "result",
	    result ? result : json_null(), "id", id));
}

/* SUBSCRIBE / UNSUBSCRIBE: all names are checked before any is applied. */
static void
ws_sub_request(struct ws_sess *s, json_t *params, json_t *id, int sub)
{
	struct stream	 st;
	json_t		*v;
	size_t		 i;

	if (!json_is_array(params)) {
		reply_error(s, id, 2, "Invalid request: missing field "
		    "`params`");
		return;
	}
	json_array_foreach(params, i, v) {
		if (!json_is_string(v) || (sub && stream_parse(s->w,
		    json_string_value(v), &st) == -1)) {
			reply_error(s, id, 2, "Invalid request: invalid stream");
			return;
		}
	}
	if (sub && s->nsubs + (int)json_array_size(params) > WS_MAX_STREAMS) {
		reply_error(s, id, 2, "Invalid request: too many streams");
		return;
	}
	json_array_foreach(params, i, v) {
		if (!sub)
			sess_unsub(s, json_string_value(v));
		else if (stream_parse(s->w, json_string_value(v), &st) == 0)
			sess_sub(s, &st);
	}
	reply_result(s, id, NULL);
}

static void
ws_property(struct ws_sess *s, json_t *params, json_t *id, int set)
{
	json_t	*name = json_array_get(params, 0);

	if (!json_is_string(name)) {
		reply_error(s, id, 2, "Invalid request: property name must be "
		    "a string");
		return;
	}
	if (strcmp(json_string_value(name), "combined") != 0) {
		reply_error(s, id, 0, "Unknown property");
		return;
	}
	if (!set) {
		reply_result(s, id, json_boolean(s->combined));
		return;
	}
	if (!json_is_boolean(json_array_get(params, 1))) {
		reply_error(s, id, 1, "Invalid value type: expected Boolean");
		return;
	}
	s->combined = json_is_true(json_array_get(params, 1));
	reply_result(s, id, NULL);
}

/* More than WIRE_WS_MSG_PER_S messages in a second: Binance disconnects. */
static int
ws_rate_ok(struct ws_sess *s)
{
	int64_t	now = now_mono_ns() / NS_PER_MS;

	if (now - s->rx_window_ms >= 1000) {
		s->rx_window_ms = now;
		s->rx_count = 0;
	}
	return ++s->rx_count <= WIRE_WS_MSG_PER_S;
}

static int	ws_request(struct ws_sess *, const char *, size_t);

/*
 * Reassemble a message that lws hands over in pieces (fragments, or
 * chunks of a frame larger than the receive buffer). Returns 1 with the
 * whole message in msg and len when it is complete, 0 while it is not.
 */
static int
ws_reassemble(struct ws_sess *s, const char **msg, size_t *len)
{
	int	last = lws_is_final_fragment(s->wsi) &&
		    lws_remaining_packet_payload(s->wsi) == 0;
	char	*nb;

	if (last && s->rxlen == 0 && !s->rx_dropped)
		return 1;		/* the usual case: one piece */
	if (!s->rx_dropped && s->rxlen + *len <= WS_MAX_MSG) {
		if ((nb = realloc(s->rx, s->rxlen + *len)) == NULL)
			s->rx_dropped = 1;
		else {
			s->rx = nb;
			memcpy(s->rx + s->rxlen, *msg, *len);
			s->rxlen += *len;
		}
	} else
		s->rx_dropped = 1;
	if (!last)
		return 0;
	*msg = s->rx;
	*len = s->rxlen;
	return 1;
}

static void
ws_reassembled(struct ws_sess *s)
{
	free(s->rx);
	s->rx = NULL;
	s->rxlen = 0;
	s->rx_dropped = 0;
}

int
ws_receive(struct wire *w, struct ws_sess *s, const char *in, size_t len)
{
	int	dropped;

	(void)w;
	if (!ws_reassemble(s, &in, &len))
		return 0;
	dropped = s->rx_dropped;
	if (!dropped && ws_request(s, in, len) == -1) {
		ws_reassembled(s);
		return -1;
	}
	if (dropped)
		log_info("ws: dropped a message over %d bytes", WS_MAX_MSG);
	ws_reassembled(s);
	return 0;
}

/* One complete client message; -1 closes the connection. */
static int
ws_request(struct ws_sess *s, const char *in, size_t len)
{
	json_t		*j, *id, *params, *res;
	json_error_t	 err;
	const char	*m;
	char		 msg[256];
	int		 i;

	if (!ws_rate_ok(s)) {
		log_info("ws: closing a client over %d messages/s",
		    WIRE_WS_MSG_PER_S);
		lws_close_reason(s->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    (unsigned char *)"Too many requests", 17);
		return -1;
	}
	if ((j = json_loadb(in, len, 0, &err)) == NULL) {
		snprintf(msg, sizeof(msg), "Invalid JSON: %.160s at line %d column "
		    "%d", err.text, err.line, err.column);
		reply_error(s, NULL, 3, msg);
		return 0;
	}
	id = json_object_get(j, "id");
	params = json_object_get(j, "params");
	m = json_string_value(json_object_get(j, "method"));
	if (id != NULL && !json_is_null(id) && (!json_is_integer(id) ||
	    json_integer_value(id) < 0) && !json_is_string(id))
		reply_error(s, NULL, 2, "Invalid request: request ID must be "
		    "an unsigned integer");
	else if (m == NULL)
		reply_error(s, id, 2, "Invalid request: missing field "
		    "`method`");
	else if (strcmp(m, "SUBSCRIBE") == 0 || strcmp(m, "UNSUBSCRIBE") == 0)
		ws_sub_request(s, params, id, m[0] == 'S');
	else if (strcmp(m, "LIST_SUBSCRIPTIONS") == 0) {
		res = json_array();
		for (i = 0; i < s->nsubs; i++)
			json_array_append_new(res,
			    json_string(s->subs[i].name));
		reply_result(s, id, res);
	} else if (strcmp(m, "SET_PROPERTY") == 0 ||
	    strcmp(m, "GET_PROPERTY") == 0)
		ws_property(s, params, id, m[0] == 'S');
	else {
		snprintf(msg, sizeof(msg), "Invalid request: unknown variant "
		    "%.40s, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
		    "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`", m);
		reply_error(s, id, 2, msg);
	}
	json_decref(j);
	return 0;
}

/* ---- fan-out ------------------------------------------------------------ */

struct fan {
	struct wire_buf	*fb;
	struct ws_msg	*raw;		/* the event's frame, made once */
	struct {
		const char	*name;
		struct ws_msg	*msg;
	}		 comb[8];
	int		 ncomb;
};

/* The combined frame for stream name; *kept says the fan owns it. */
static struct ws_msg *
fan_combined(struct fan *f, const char *name, int *kept)
{
	struct ws_msg	*m;
	int		 i;

	*kept = 1;
	for (i = 0; i < f->ncomb; i++)
		if (strcmp(f->comb[i].name, name) == 0)
			return f->comb[i].msg;
	m = msg_take(f->fb, ws_fmt_combined(f->fb, name,
	    (const char *)f->raw->buf + LWS_PRE, f->raw->len));
	if (m != NULL && f->ncomb < 8) {
		f->comb[f->ncomb].name = name;
		f->comb[f->ncomb++].msg = m;
	} else
		*kept = 0;
	return m;
}

static void
fan_push(struct fan *f, struct ws_sess *s, const struct stream *st)
{
	struct ws_msg	*m;
	int		 kept;

	if (s->combined) {
		m = fan_combined(f, st->name, &kept);
		sess_push(s, m);
		if (!kept)
			msg_done(m);
		return;
	}
	sess_push(s, f->raw);
}

static void
fan_done(struct fan *f)
{
	int	i;

	msg_done(f->raw);
	for (i = 0; i < f->ncomb; i++)
		msg_done(f->comb[i].msg);
}

typedef int (*match_fn)(const struct stream *, const void *);

struct match {
	enum sk	kind;
	int	sym;
	int	speed;		/* -1: any */
	int	levels;		/* 0: any */
};

static int
match_std(const struct stream *st, const void *arg)
{
	const struct match *m = arg;

	return !st->mute && st->kind == m->kind &&
	    (st->sym == m->sym || st->sym == -1) &&
	    (m->speed < 0 || st->speed == m->speed) &&
	    (m->levels == 0 || st->levels == m->levels);
}

/* Send the frame raw (NULL: none) to every session with a stream that
 * matches; a frame nobody took is freed. */
static void
fan_out(struct wire *w, struct ws_msg *raw, const struct match *m)
{
	struct fan	 f;
	struct ws_sess	*s;
	int		 i;

	if (raw == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.fb = &w->hub->fb;
	f.raw = raw;
	for (s = w->sessions; s != NULL; s = s->next)
		for (i = 0; i < s->nsubs; i++)
			if (match_std(&s->subs[i], m))
				fan_push(&f, s, &s->subs[i]);
	fan_done(&f);
}

/* ---- market events --------------------------------------------------------- */

static json_t *
agg_trade_json(const struct exch_mkt_event *e)
{
	return json_pack("{s:s,s:I,s:s,s:I,s:o,s:o,s:I,s:I,s:I,s:b}",
	    "e", "aggTrade", "E", (json_int_t)e->E_ms, "s", e->symbol,
	    "a", (json_int_t)e->agg.a,
	    "p", json_num(e->agg.p, e->price_precision),
	    "q", json_num(e->agg.q, e->qty_precision),
	    "f", (json_int_t)e->agg.f, "l", (json_int_t)e->agg.l,
	    "T", (json_int_t)e->T_ms, "m", e->agg.m);
}

static json_t *
mark_json(const struct exch_mkt_event *e)
{
	return json_pack("{s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:I}",
	    "e", "markPriceUpdate", "E", (json_int_t)e->E_ms, "s", e->symbol,
	    "p", json_num(e->mark.p, 8), "P", json_num(e->mark.P, 8),
	    "i", json_num(e->mark.i, 8), "r", json_num(e->mark.r, 8),
	    "T", (json_int_t)e->mark.next_funding_ms);
}

static struct ws_msg *
depth_msg(struct wire *w, const struct exch_symbol_spec *sp, int64_t E,
    int64_t T, int64_t U, int64_t u, int64_t pu, const struct exch_level *b,
    int nb, const struct exch_level *a, int na)
{
	struct wire_buf *fb = &w->hub->fb;

	return msg_take(fb, ws_fmt_depth(fb, sp, E, T, U, u, pu, b, nb, a, na));
}

/* Merge one diff level into a batch kept sorted (bids down, asks up). */
static void
agg_merge(struct exch_level *lv, int *n, const struct exch_level *l, int bid)
{
	int	lo = 0, hi = *n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (lv[mid].price == l->price) {
			lv[mid].qty = l->qty;
			return;
		}
		if (bid ? lv[mid].price > l->price : lv[mid].price < l->price)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n == WS_AGG_LEVELS)
		return;	/* batch full: deep levels are dropped */
	memmove(&lv[lo + 1], &lv[lo], (size_t)(*n - lo) * sizeof(*lv));
	lv[lo] = *l;
	(*n)++;
}

static int
depth_subs(struct wire *w, int sym, int speed)
{
	struct ws_sess	*s;
	int		 i;

	if (w->hub->nsubs_kind[SK_DEPTH_DIFF] == 0)
		return 0;
	for (s = w->sessions; s != NULL; s = s->next)
		for (i = 0; i < s->nsubs; i++)
			if (s->subs[i].kind == SK_DEPTH_DIFF && !s->subs[i].mute &&
			    s->subs[i].sym == sym && s->subs[i].speed == speed)
				return 1;
	return 0;
}

static void
on_depth(struct wire *w, const struct exch_mkt_event *e)
{
	const struct exch_symbol_spec	*sp = exch_symbol(w->ex, e->sym);
	struct depth_agg		*ag;
	struct match			 m = { SK_DEPTH_DIFF, e->sym, 0, 0 };
	int				 k, i;

	if (depth_subs(w, e->sym, 0)) {
		fan_out(w, depth_msg(w, sp, e->E_ms, e->T_ms, e->depth.U,
		    e->depth.u, e->depth.pu, e->depth.b, e->depth.nb,
		    e->depth.a, e->depth.na), &m);
	}
	for (k = 1; k < WS_NSPEED; k++) {
		ag = &w->hub->agg[e->sym][k];
		if (ag->U == 0) {
			ag->U = e->depth.U;
			ag->pu = ag->last_u ? ag->last_u : e->depth.pu;
		}
		ag->u = e->depth.u;
		ag->T_ms = e->T_ms;
		if (!depth_subs(w, e->sym, k)) {
			ag->nb = ag->na = 0;	/* nobody listens: ids only */
			continue;
		}
		for (i = 0; i < e->depth.nb; i++)
			agg_merge(ag->b, &ag->nb, &e->depth.b[i], 1);
		for (i = 0; i < e->depth.na; i++)
			agg_merge(ag->a, &ag->na, &e->depth.a[i], 0);
	}
}

static void
on_mark(struct wire *w, const struct exch_mkt_event *e)
{
	struct match	 m1 = { SK_MARKPRICE, e->sym, 1, 0 };
	struct match	 m3 = { SK_MARKPRICE, e->sym, 0, 0 };
	int64_t		*last3 = &w->hub->mark3s_ms[e->sym];

	fan_out(w, msg_of(mark_json(e)), &m1);
	if (e->E_ms - *last3 >= 2900) {
		*last3 = e->E_ms;
		fan_out(w, msg_of(mark_json(e)), &m3);
	}
}

void
ws_on_market(void *arg, const struct exch_mkt_event *e)
{
	struct wire	*w = arg;
	struct match	 m = { SK_BOOKTICKER, e->sym, -1, 0 };

	if (w->hub == NULL || e->sym < 0 || e->sym >= EXCH_SYM_MAX)
		return;
	switch (e->type) {
	case EXCH_EV_BOOK_TICKER:
		if (w->hub->nsubs_kind[SK_BOOKTICKER])
			fan_out(w, msg_take(&w->hub->fb,
			    ws_fmt_book_ticker(&w->hub->fb, e)), &m);
		break;
	case EXCH_EV_TRADE:
		m.kind = SK_TRADE;
		if (w->hub->nsubs_kind[SK_TRADE])
			fan_out(w, msg_take(&w->hub->fb,
			    ws_fmt_trade(&w->hub->fb, e)), &m);
		break;
	case EXCH_EV_AGG_TRADE:
		m.kind = SK_AGGTRADE;
		if (w->hub->nsubs_kind[SK_AGGTRADE])
			fan_out(w, msg_of(agg_trade_json(e)), &m);
		break;
	case EXCH_EV_DEPTH:
		on_depth(w, e);
		break;
	case EXCH_EV_MARK_PRICE:
		if (w->hub->nsubs_kind[SK_MARKPRICE])
			on_mark(w, e);
		break;
	}
}

void
ws_push_book_tickers(struct wire *w)
{
	struct exch_mkt_event	 e;
	struct exch_top		 t;
	int			 i;

	for (i = 0; i < exch_nsymbols(w->ex); i++) {
		const struct exch_symbol_spec *sp = exch_symbol(w->ex, i);

		if (exch_book_top(w->ex, i, &t) == -1)
			continue;
		memset(&e, 0, sizeof(e));
		e.type = EXCH_EV_BOOK_TICKER;
		e.sym = i;
		e.symbol = sp->symbol;
		e.price_precision = sp->price_precision;
		e.qty_precision = sp->qty_precision;
		e.E_ms = e.T_ms = exch_now_ms(w->ex);
		e.bt.u = t.update_id;
		e.bt.b = t.bid;
		e.bt.B = t.bid_qty;
		e.bt.a = t.ask;
		e.bt.A = t.ask_qty;
		ws_on_market(w, &e);
	}
}

/* ---- the periodic tick: batched depth, partial depth, limits -------------- */

static void
tick_depth(struct wire *w, int sym, int k, int64_t now)
{
	const struct exch_symbol_spec	*sp = exch_symbol(w->ex, sym);
	struct depth_agg		*ag = &w->hub->agg[sym][k];
	struct match			 m = { SK_DEPTH_DIFF, sym, k, 0 };
	static const int		 levels[3] = { 5, 10, 20 };
	struct exch_level		 b[20], a[20];
	int64_t				 lu = 0;
	int				 nb = 0, na = 0, i;

	if (ag->U != 0 && (ag->nb > 0 || ag->na > 0))
		fan_out(w, depth_msg(w, sp, now, ag->T_ms, ag->U, ag->u, ag->pu,
		    ag->b, ag->nb, ag->a, ag->na), &m);
	if (ag->U != 0)
		ag->last_u = ag->u;
	ag->U = 0;
	ag->nb = ag->na = 0;
	if (w->hub->nsubs_kind[SK_DEPTH_PARTIAL] == 0)
		return;
	m.kind = SK_DEPTH_PARTIAL;
	for (i = 0; i < 3; i++) {
		m.levels = levels[i];
		if (exch_depth(w->ex, sym, levels[i], b, &nb, a, &na, &lu) == -1)
			nb = na = 0;
		fan_out(w, depth_msg(w, sp, now, now, lu, lu, ag->last_u ?
		    ag->last_u : lu, b, nb, a, na), &m);
	}
}

static void
tick_limits(struct wire *w, int64_t now)
{
	struct ws_sess	*s;
	int64_t		 mono = now_mono_ns() / NS_PER_MS;
	int		 i;

	for (s = w->sessions; s != NULL; s = s->next)
		if (mono - s->born_ms >= (int64_t)w->opts.ws_max_age_secs *
		    1000)
			sess_close(s);	/* Binance's 24 h connection limit */
	for (i = 0; i < EXCH_ACCT_MAX; i++)
		if (w->lkeys[i].acct != NULL && w->lkeys[i].expires_ms <=
		    now + w->fault.skew_ms) {
			ws_lkey_expired(w, w->lkeys[i].key);
			w->lkeys[i].acct = NULL;
		}
}

void
ws_tick(struct wire *w, int64_t now)
{
	int	sym, k;

	for (sym = 0; sym < exch_nsymbols(w->ex) && sym < EXCH_SYM_MAX; sym++)
		for (k = 1; k < WS_NSPEED; k++) {
			struct depth_agg *ag = &w->hub->agg[sym][k];

			if (now < ag->due_ms)
				continue;
			ag->due_ms = (now / speeds_ms[k] + 1) * speeds_ms[k];
			tick_depth(w, sym, k, now);
		}
	tick_limits(w, now);
}

/* ---- user data ------------------------------------------------------------- */

static json_t *
order_update_json(struct wire *w, const struct exch_user_event *ev)
{
	const struct exch_order_update	*u = &ev->ou;
	const struct exch_order		*o = &u->o;
	int				 pp = o->price_precision;
	int				 qp = o->qty_precision;
	json_t				*j = json_object();

	(void)w;
	json_object_set_new(j, "s", json_string(o->symbol));
	json_object_set_new(j, "c", json_string(o->client_id));
	json_object_set_new(j, "S", json_string(exch_side_str(o->side)));
	json_object_set_new(j, "o", json_string(exch_otype_str(o->type)));
	json_object_set_new(j, "f", json_string(exch_tif_str(o->tif)));
	json_object_set_new(j, "q", json_num(o->orig_qty, qp));
	json_object_set_new(j, "p", json_num(o->price, pp));
	json_object_set_new(j, "ap", json_num(o->avg_price, pp));
	json_object_set_new(j, "sp", json_num(o->stop_price, pp));
	json_object_set_new(j, "x", json_string(exch_exec_str(u->x)));
	json_object_set_new(j, "X", json_string(exch_status_str(o->status)));
	json_object_set_new(j, "i", json_integer(o->order_id));
	json_object_set_new(j, "l", json_num(u->last_qty, qp));
	json_object_set_new(j, "z", json_num(o->executed_qty, qp));
	json_object_set_new(j, "L", json_num(u->last_price, pp));
	json_object_set_new(j, "N", json_string(u->commission_asset ?
	    u->commission_asset : "USDT"));
	json_object_set_new(j, "n", json_num(u->commission, 8));
	json_object_set_new(j, "T", json_integer(ev->T_ms));
	json_object_set_new(j, "t", json_integer(u->trade_id));
	json_object_set_new(j, "b", json_num(u->bids_notional, 8));
	json_object_set_new(j, "a", json_num(u->asks_notional, 8));
	json_object_set_new(j, "m", json_boolean(u->maker));
	json_object_set_new(j, "R", json_boolean(o->reduce_only));
	json_object_set_new(j, "wt", json_string("CONTRACT_PRICE"));
	json_object_set_new(j, "ot", json_string(exch_otype_str(o->type)));
	json_object_set_new(j, "ps", json_string(exch_pside_str(o->pside)));
	json_object_set_new(j, "cp", json_false());
	json_object_set_new(j, "rp", json_num(u->realized_pnl, 8));
	json_object_set_new(j, "pP", json_false());
	json_object_set_new(j, "si", json_integer(0));
	json_object_set_new(j, "ss", json_integer(0));
	json_object_set_new(j, "V", json_string(exch_stp_str(o->stp)));
	json_object_set_new(j, "pm", json_string("NONE"));
	json_object_set_new(j, "gtd", json_integer(o->good_till_ms));
	return json_pack("{s:s,s:I,s:I,s:o}", "e", "ORDER_TRADE_UPDATE",
	    "E", (json_int_t)ev->E_ms, "T", (json_int_t)ev->T_ms, "o", j);
}

static json_t *
trade_lite_json(const struct exch_user_event *ev)
{
	const struct exch_order_update	*u = &ev->ou;
	const struct exch_order		*o = &u->o;

	return json_pack("{s:s,s:I,s:I,s:s,s:o,s:o,s:b,s:s,s:s,s:o,s:o,s:I,"
	    "s:I}", "e", "TRADE_LITE", "E", (json_int_t)ev->E_ms,
	    "T", (json_int_t)ev->T_ms, "s", o->symbol,
	    "q", json_num(o->orig_qty, o->qty_precision),
	    "p", json_num(o->price, o->price_precision), "m", u->maker,
	    "c", o->client_id, "S", exch_side_str(o->side),
	    "L", json_num(u->last_price, o->price_precision),
	    "l", json_num(u->last_qty, o->qty_precision),
	    "t", (json_int_t)u->trade_id, "i", (json_int_t)o->order_id);
}

static json_t *
account_update_json(struct wire *w, const struct exch_user_event *ev)
{
	const struct exch_account_update	*au = &ev->au;
	json_t					*B = json_array(), *P;
	int					 i, s, qp;

	for (i = 0; i < au->nbal; i++)
		json_array_append_new(B, json_pack("{s:s,s:o,s:o,s:o}",
		    "a", au->bal[i].asset, "wb", json_num(au->bal[i].wb, 8),
		    "cw", json_num(au->bal[i].cw, 8),
		    "bc", json_num(au->bal[i].bc, 8)));
	P = json_array();
	for (i = 0; i < au->npos; i++) {
		const struct exch_pos_update *p = &au->pos[i];

		s = exch_symbol_index(w->ex, p->symbol);
		qp = s < 0 ? 3 : exch_symbol(w->ex, s)->qty_precision;
		json_array_append_new(P, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,"
		    "s:s,s:s,s:s}", "s", p->symbol, "pa", json_num(p->pa, qp),
		    "ep", json_dec(p->ep), "bep", json_dec(p->bep),
		    "cr", json_num(p->cr, 8), "up", json_num(p->up, 8),
		    "mt", "cross", "iw", "0", "ps", "BOTH"));
	}
	return json_pack("{s:s,s:I,s:I,s:{s:s,s:o,s:o}}",
	    "e", "ACCOUNT_UPDATE", "E", (json_int_t)ev->E_ms,
	    "T", (json_int_t)ev->T_ms, "a", "m", au->reason ? au->reason :
	    "ORDER", "B", B, "P", P);
}

static json_t *
config_update_json(const struct exch_user_event *ev)
{
	return json_pack("{s:s,s:I,s:I,s:{s:s,s:i}}",
	    "e", "ACCOUNT_CONFIG_UPDATE", "E", (json_int_t)ev->E_ms,
	    "T", (json_int_t)ev->T_ms, "ac", "s", ev->cfg.symbol,
	    "l", ev->cfg.leverage);
}

/* Deliver a user event to the sessions of the account's live listenKey. */
static void
user_fan_out(struct wire *w, struct exch_account *acct, json_t *data,
    unsigned bit)
{
	struct ws_msg	*raw = NULL, *comb = NULL;
	struct ws_sess	*s;
	json_t		*j;

	for (s = w->sessions; s != NULL; s = s->next) {
		if (!s->user || !(s->events & bit) ||
		    wire_lkey_account(w, s->lkey) != acct)
			continue;
		if (!s->combined) {
			if (raw == NULL)
				raw = msg_json(data);
			sess_push(s, raw);
			continue;
		}
		if (comb == NULL) {
			j = json_pack("{s:s,s:O}", "stream", s->lkey, "data",
			    data);
			comb = msg_json(j);
			json_decref(j);
		}
		sess_push(s, comb);
	}
	msg_done(raw);
	msg_done(comb);
	json_decref(data);
}

void
ws_on_user(void *arg, const struct exch_user_event *ev)
{
	struct wire	*w = arg;

	if (w->hub == NULL)
		return;
	switch (ev->type) {
	case EXCH_EV_ORDER_UPDATE:
		user_fan_out(w, ev->acct, order_update_json(w, ev), EVB_ORDER);
		if (ev->ou.x == EXCH_X_TRADE)
			user_fan_out(w, ev->acct, trade_lite_json(ev),
			    EVB_LITE);
		break;
	case EXCH_EV_ACCOUNT_UPDATE:
		user_fan_out(w, ev->acct, account_update_json(w, ev),
		    EVB_ACCOUNT);
		break;
	case EXCH_EV_ACCOUNT_CONFIG:
		user_fan_out(w, ev->acct, config_update_json(ev), EVB_CONFIG);
		break;
	}
}

void
ws_lkey_expired(struct wire *w, const char *key)
{
	struct ws_sess	*s;
	char		 E[24];

	snprintf(E, sizeof(E), "%lld", (long long)wire_now_ms(w));
	for (s = w->sessions; s != NULL; s = s->next) {
		if (!s->user || (key != NULL && strcmp(s->lkey, key) != 0))
			continue;
		sess_send_json(s, json_pack("{s:s,s:s,s:s}", "e",
		    "listenKeyExpired", "E", E, "listenKey", s->lkey));
	}
}

/* ---- lifecycle ----------------------------------------------------------------- */

int
ws_init(struct wire *w)
{
	int	sym, k;

	if ((w->hub = calloc(1, sizeof(*w->hub))) == NULL)
		return -1;
	for (sym = 0; sym < EXCH_SYM_MAX; sym++)
		for (k = 0; k < WS_NSPEED; k++) {
			struct depth_agg *ag = &w->hub->agg[sym][k];

			ag->b = calloc(WS_AGG_LEVELS, sizeof(*ag->b));
			ag->a = calloc(WS_AGG_LEVELS, sizeof(*ag->a));
			if (ag->b == NULL || ag->a == NULL)
				return -1;
		}
	return 0;
}

void
ws_free_all(struct wire *w)
{
	int	sym, k;

	while (w->sessions != NULL)
		ws_closed(w, w->sessions);
	if (w->hub == NULL)
		return;
	wire_buf_free(&w->hub->fb);
	for (sym = 0; sym < EXCH_SYM_MAX; sym++) {
		for (k = 0; k < WS_NSPEED; k++) {
			free(w->hub->agg[sym][k].b);
			free(w->hub->agg[sym][k].a);
		}
	}
	free(w->hub);
	w->hub = NULL;
}
