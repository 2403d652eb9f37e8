/*
 * msg.c — the msgpack codec of the pmm event bus.
 *
 * Every message type is described once, by a table of its body fields
 * (kind and offset in struct pmm_msg). The encoder and the decoder both walk
 * that table, so a schema cannot drift between the two directions.
 *
 * Encoding packs with msgpack-c into the caller's fixed buffer through a
 * write callback: no allocation on the hot path, and a frame that does not
 * fit fails cleanly instead of growing a buffer.
 *
 * Decoding is defensive in three steps:
 *  1. a length scan of the raw bytes (msg_scan) proves the frame is exactly
 *     one complete msgpack object with few enough items. msgpack-c 4.0
 *     allocates count * 24 bytes as soon as it reads an array header, before
 *     it knows whether the items exist, so a 5-byte frame declaring 2^32
 *     items would ask malloc for 96 GB. The scan only measures; msgpack-c
 *     still does the decoding.
 *  2. msgpack_unpack into a zone whose memory is an array on the stack;
 *     the scan's item bound guarantees the zone never needs more, so
 *     decoding never calls malloc.
 *  3. a typed cursor walks the object tree and checks every count, type and
 *     range before a value lands in struct pmm_msg.
 */
#include "msg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "shm.h"

#define MSG_ENV_FIELDS	6	/* version, type, seq, sender, ts, body */
/*
 * Objects a frame may hold: root + envelope + the widest body (FILL, 13)
 * is 20. Anything larger cannot be a valid frame and is refused by the scan,
 * which is also what bounds the decoding zone below.
 */
#define MSG_MAX_OBJECTS	32

/* ---- schemas ---- */

enum msg_kind { MK_U8, MK_I32, MK_U64, MK_I64, MK_F64, MK_F64_FINITE,
		MK_BOOL, MK_STR };

struct msg_field {
	const char	*name;
	uint8_t		 kind;
	uint16_t	 off;	/* offsetof(struct pmm_msg, u.<member>) */
	uint16_t	 cap;	/* sizeof the member; the array size for MK_STR */
};

struct msg_schema {
	const char		*name;
	const struct msg_field	*f;
	uint8_t			 n;
	uint8_t			 wire;	/* 0: not a valid type on the wire */
};

#define MF(kind, member, fname)						\
	{ fname, kind, offsetof(struct pmm_msg, u.member),		\
	  sizeof(((struct pmm_msg *)0)->u.member) }

static const struct msg_field msg_hello_f[] = {
	MF(MK_U8, hello.svc, "svc"),
	MF(MK_I32, hello.pid, "pid"),
};
static const struct msg_field msg_heartbeat_f[] = {
	MF(MK_U64, heartbeat.beats, "beats"),
};
static const struct msg_field msg_pause_f[] = {
	MF(MK_STR, pause.text, "reason"),
};
/*
 * TICK and FILL feed trading decisions: a NaN or infinite price or quantity
 * there is always a bug upstream, so the codec refuses it at both ends.
 * ORDER_EVENT and RISK_ACTION are reports: a price may be unknown (NaN) or
 * a limit unset (inf), so those pass through.
 */
static const struct msg_field msg_tick_f[] = {
	MF(MK_F64_FINITE, tick.bid, "bid"),
	MF(MK_F64_FINITE, tick.bid_qty, "bid_qty"),
	MF(MK_F64_FINITE, tick.ask, "ask"),
	MF(MK_F64_FINITE, tick.ask_qty, "ask_qty"),
	MF(MK_I64, tick.exch_ts_ns, "exch_ts"),
	MF(MK_I64, tick.recv_ts_ns, "recv_ts"),
	MF(MK_U64, tick.update_id, "update_id"),
};
static const struct msg_field msg_fill_f[] = {
	MF(MK_STR, fill.client_id, "client_id"),
	MF(MK_I64, fill.order_id, "order_id"),
	MF(MK_U8, fill.side, "side"),
	MF(MK_U8, fill.level, "level"),
	MF(MK_F64_FINITE, fill.price, "price"),
	MF(MK_F64_FINITE, fill.qty, "qty"),
	MF(MK_F64_FINITE, fill.fee, "fee"),
	MF(MK_STR, fill.fee_asset, "fee_asset"),
	MF(MK_BOOL, fill.maker, "maker"),
	MF(MK_F64_FINITE, fill.realized_pnl, "realized_pnl"),
	MF(MK_I64, fill.trade_ts_ns, "trade_ts"),
	MF(MK_I64, fill.trade_id, "trade_id"),
	MF(MK_BOOL, fill.recovered, "recovered"),
};
static const struct msg_field msg_funding_f[] = {
	MF(MK_F64_FINITE, funding.amount, "amount"),
	MF(MK_STR, funding.asset, "asset"),
	MF(MK_I64, funding.funding_ts_ns, "funding_ts"),
	MF(MK_F64, funding.position, "position"),
};
static const struct msg_field msg_order_f[] = {
	MF(MK_U8, order.kind, "kind"),
	MF(MK_STR, order.client_id, "client_id"),
	MF(MK_U8, order.side, "side"),
	MF(MK_U8, order.level, "level"),
	MF(MK_F64, order.price, "price"),
	MF(MK_F64, order.qty, "qty"),
	MF(MK_I32, order.code, "code"),
	MF(MK_STR, order.text, "text"),
};
static const struct msg_field msg_risk_f[] = {
	MF(MK_U8, risk.kind, "kind"),
	MF(MK_F64, risk.position, "position"),
	MF(MK_F64, risk.notional, "notional"),
	MF(MK_F64, risk.limit, "limit"),
	MF(MK_STR, risk.text, "text"),
};
static const struct msg_field msg_svc_f[] = {
	MF(MK_U8, svc.svc, "svc"),
	MF(MK_U8, svc.kind, "kind"),
	MF(MK_I32, svc.pid, "pid"),
	MF(MK_I32, svc.status, "status"),
	MF(MK_STR, svc.text, "text"),
};

#define MSG_BODY(a)	a, sizeof(a) / sizeof((a)[0]), 1
#define MSG_EMPTY	NULL, 0, 1

static const struct msg_schema msg_schemas[PMM_MSG_COUNT] = {
	[PMM_MSG_NONE] =	{ "NONE", NULL, 0, 0 },
	[PMM_MSG_HELLO] =	{ "HELLO", MSG_BODY(msg_hello_f) },
	[PMM_MSG_READY] =	{ "READY", MSG_EMPTY },
	[PMM_MSG_HEARTBEAT] =	{ "HEARTBEAT", MSG_BODY(msg_heartbeat_f) },
	[PMM_MSG_RELOAD] =	{ "RELOAD", MSG_EMPTY },
	[PMM_MSG_STOP] =	{ "STOP", MSG_EMPTY },
	[PMM_MSG_PAUSE] =	{ "PAUSE", MSG_BODY(msg_pause_f) },
	[PMM_MSG_RESUME] =	{ "RESUME", MSG_EMPTY },
	[PMM_MSG_TICK] =	{ "TICK", MSG_BODY(msg_tick_f) },
	[PMM_MSG_FILL] =	{ "FILL", MSG_BODY(msg_fill_f) },
	[PMM_MSG_ORDER_EVENT] =	{ "ORDER_EVENT", MSG_BODY(msg_order_f) },
	[PMM_MSG_RISK_ACTION] =	{ "RISK_ACTION", MSG_BODY(msg_risk_f) },
	[PMM_MSG_SVC_EVENT] =	{ "SVC_EVENT", MSG_BODY(msg_svc_f) },
	[PMM_MSG_CRASH] =	{ "CRASH", MSG_EMPTY },
	[PMM_MSG_FUNDING] =	{ "FUNDING", MSG_BODY(msg_funding_f) },
};

static const struct msg_schema *
msg_schema(unsigned type)
{
	if (type >= PMM_MSG_COUNT || !msg_schemas[type].wire)
		return NULL;
	return &msg_schemas[type];
}

const char *
msg_type_name(int type)
{
	if (type < 0 || type >= PMM_MSG_COUNT)
		return "UNKNOWN";
	return msg_schemas[type].name;
}

unsigned
msg_subscribers(int type)
{
	switch (type) {
	case PMM_MSG_TICK:
		return 1u << SVC_ORDER | 1u << SVC_RISK;
	case PMM_MSG_FILL:
		return 1u << SVC_RISK | 1u << SVC_LOGGER;
	case PMM_MSG_ORDER_EVENT:
	case PMM_MSG_SVC_EVENT:
	case PMM_MSG_FUNDING:
		return 1u << SVC_LOGGER;
	case PMM_MSG_RISK_ACTION:
		return 1u << SVC_LOGGER | 1u << SVC_ORDER;
	default:
		/* control messages travel on the pmmd <-> child pair */
		return 0;
	}
}

static void
msg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- encoding ---- */

/*
 * The packer's sink: a fixed buffer. Failure is sticky so that a short
 * write followed by a smaller one that fits cannot leave a corrupt frame
 * that looks complete.
 */
struct msg_wbuf {
	char	*buf;
	size_t	 cap, len;
	int	 failed;
};

static int
msg_wbuf_write(void *data, const char *p, size_t n)
{
	struct msg_wbuf	*w = data;

	if (w->failed || n > w->cap - w->len) {
		w->failed = 1;
		return -1;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

/* 0, or -1 for a value the decoder would refuse. */
static int
msg_pack_field(msgpack_packer *pk, const struct msg_field *f,
    const char *base)
{
	const char	*p = base + f->off;
	size_t		 n;

	switch (f->kind) {
	case MK_U8:
		return msgpack_pack_uint8(pk, *(const uint8_t *)p) ? -1 : 0;
	case MK_I32:
		return msgpack_pack_int32(pk, *(const int32_t *)p) ? -1 : 0;
	case MK_U64:
		return msgpack_pack_uint64(pk, *(const uint64_t *)p) ? -1 : 0;
	case MK_I64:
		return msgpack_pack_int64(pk, *(const int64_t *)p) ? -1 : 0;
	case MK_F64_FINITE:
		if (!isfinite(*(const double *)p))
			return -1;
		/* FALLTHROUGH */
	case MK_F64:
		return msgpack_pack_double(pk, *(const double *)p) ? -1 : 0;
	case MK_BOOL:
		return (*(const bool *)p ? msgpack_pack_true(pk) :
		    msgpack_pack_false(pk)) ? -1 : 0;
	case MK_STR:
		/* an unterminated array would be refused as too long */
		n = strnlen(p, f->cap);
		if (n == f->cap)
			return -1;
		if (msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, p, n))
			return -1;
		return 0;
	}
	return -1;
}

ssize_t
msg_encode(const struct pmm_msg *m, char *buf, size_t cap)
{
	const struct msg_schema	*s = msg_schema(m->env.type);
	struct msg_wbuf		 w = { buf, cap, 0, 0 };
	msgpack_packer		 pk;
	uint8_t			 i;

	if (s == NULL)
		return -1;
	msgpack_packer_init(&pk, &w, msg_wbuf_write);
	msgpack_pack_array(&pk, MSG_ENV_FIELDS);
	msgpack_pack_uint8(&pk, m->env.version);
	msgpack_pack_uint8(&pk, m->env.type);
	msgpack_pack_uint64(&pk, m->env.seq);
	msgpack_pack_uint8(&pk, m->env.sender);
	msgpack_pack_int64(&pk, m->env.ts_ns);
	msgpack_pack_array(&pk, s->n);
	for (i = 0; i < s->n; i++)
		if (msg_pack_field(&pk, &s->f[i], (const char *)m) == -1)
			return -1;
	if (w.failed)
		return -1;
	return (ssize_t)w.len;
}

/* ---- decoding, step 1: the length scan ---- */

enum { SC_BAD, SC_FIXED, SC_BODY, SC_ITEMS, SC_PAIRS };

/*
 * Format bytes 0xc0..0xdf from the msgpack spec: header size, width of the
 * big-endian length field at byte 1, and what that length counts.
 */
static const struct {
	uint8_t	hdr, lenw, what;
} msg_scan_rules[32] = {
	{ 1, 0, SC_FIXED },	/* c0 nil */
	{ 0, 0, SC_BAD },	/* c1 never used */
	{ 1, 0, SC_FIXED },	/* c2 false */
	{ 1, 0, SC_FIXED },	/* c3 true */
	{ 2, 1, SC_BODY },	/* c4 bin 8 */
	{ 3, 2, SC_BODY },	/* c5 bin 16 */
	{ 5, 4, SC_BODY },	/* c6 bin 32 */
	{ 3, 1, SC_BODY },	/* c7 ext 8 (+ type byte) */
	{ 4, 2, SC_BODY },	/* c8 ext 16 */
	{ 6, 4, SC_BODY },	/* c9 ext 32 */
	{ 5, 0, SC_FIXED },	/* ca float 32 */
	{ 9, 0, SC_FIXED },	/* cb float 64 */
	{ 2, 0, SC_FIXED },	/* cc uint 8 */
	{ 3, 0, SC_FIXED },	/* cd uint 16 */
	{ 5, 0, SC_FIXED },	/* ce uint 32 */
	{ 9, 0, SC_FIXED },	/* cf uint 64 */
	{ 2, 0, SC_FIXED },	/* d0 int 8 */
	{ 3, 0, SC_FIXED },	/* d1 int 16 */
	{ 5, 0, SC_FIXED },	/* d2 int 32 */
	{ 9, 0, SC_FIXED },	/* d3 int 64 */
	{ 3, 0, SC_FIXED },	/* d4 fixext 1 */
	{ 4, 0, SC_FIXED },	/* d5 fixext 2 */
	{ 6, 0, SC_FIXED },	/* d6 fixext 4 */
	{ 10, 0, SC_FIXED },	/* d7 fixext 8 */
	{ 18, 0, SC_FIXED },	/* d8 fixext 16 */
	{ 2, 1, SC_BODY },	/* d9 str 8 */
	{ 3, 2, SC_BODY },	/* da str 16 */
	{ 5, 4, SC_BODY },	/* db str 32 */
	{ 3, 2, SC_ITEMS },	/* dc array 16 */
	{ 5, 4, SC_ITEMS },	/* dd array 32 */
	{ 3, 2, SC_PAIRS },	/* de map 16 */
	{ 5, 4, SC_PAIRS },	/* df map 32 */
};

/*
 * Size of the object header (plus inline payload) at p and the number of
 * objects nested directly in it. -1 on a reserved byte or a cut header.
 */
static int
msg_scan_one(const uint8_t *p, size_t avail, size_t *size, size_t *items)
{
	uint8_t		b = p[0], hdr, what;
	size_t		n = 0, i;

	*items = 0;
	if (b <= 0x7f || b >= 0xe0) {		/* fixint */
		*size = 1;
		return 0;
	}
	if (b <= 0x8f) {			/* fixmap */
		*size = 1;
		*items = (size_t)(b & 0x0f) * 2;
		return 0;
	}
	if (b <= 0x9f) {			/* fixarray */
		*size = 1;
		*items = b & 0x0f;
		return 0;
	}
	if (b <= 0xbf) {			/* fixstr */
		*size = 1 + (size_t)(b & 0x1f);
		return *size <= avail ? 0 : -1;
	}
	hdr = msg_scan_rules[b - 0xc0].hdr;
	what = msg_scan_rules[b - 0xc0].what;
	if (what == SC_BAD || hdr > avail)
		return -1;
	for (i = 0; i < msg_scan_rules[b - 0xc0].lenw; i++)
		n = n << 8 | p[1 + i];
	*size = hdr;
	if (what == SC_BODY) {
		if (n > avail - hdr)
			return -1;
		*size += n;
	} else if (what == SC_ITEMS)
		*items = n;
	else if (what == SC_PAIRS)
		*items = n * 2;
	return 0;
}

/*
 * Prove buf holds exactly one complete object of at most MSG_MAX_OBJECTS
 * objects: each must still start inside the buffer, so no declared count
 * can exceed the bytes that are really there.
 */
static int
msg_scan(const char *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t	*p = (const uint8_t *)buf;
	size_t		 pos = 0, pending = 1, seen = 0, size, items;

	while (pending > 0) {
		if (pos >= len) {
			msg_err(err, errlen, "truncated frame (%zu bytes)",
			    len);
			return -1;
		}
		if (msg_scan_one(p + pos, len - pos, &size, &items) == -1) {
			msg_err(err, errlen, "truncated or invalid msgpack "
			    "at byte %zu (0x%02x)", pos, p[pos]);
			return -1;
		}
		pos += size;
		pending--;
		if (++seen > MSG_MAX_OBJECTS) {
			msg_err(err, errlen, "more than %d objects",
			    MSG_MAX_OBJECTS);
			return -1;
		}
		if (items > len - pos) {
			msg_err(err, errlen, "container at byte %zu declares "
			    "%zu items, %zu bytes left", pos - size, items,
			    len - pos);
			return -1;
		}
		pending += items;
	}
	if (pos != len) {
		msg_err(err, errlen, "%zu trailing bytes", len - pos);
		return -1;
	}
	return 0;
}

/* ---- decoding, step 3: the typed cursor ---- */

struct msg_cur {
	const msgpack_object	*o;
	uint32_t		 n, i;
	const char		*what;	/* "envelope" or a type name */
	char			*err;
	size_t			 errlen;
};

static const char *
msg_obj_type(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:		return "nil";
	case MSGPACK_OBJECT_BOOLEAN:		return "bool";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:	return "uint";
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:	return "int";
	case MSGPACK_OBJECT_FLOAT32:		return "f32";
	case MSGPACK_OBJECT_FLOAT64:		return "f64";
	case MSGPACK_OBJECT_STR:		return "str";
	case MSGPACK_OBJECT_ARRAY:		return "array";
	case MSGPACK_OBJECT_MAP:		return "map";
	case MSGPACK_OBJECT_BIN:		return "bin";
	case MSGPACK_OBJECT_EXT:		return "ext";
	}
	return "?";
}

static int
cur_fail(struct msg_cur *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cur_fail(struct msg_cur *c, const char *name, const char *fmt, ...)
{
	char	why[96];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	msg_err(c->err, c->errlen, "%s.%s: %s", c->what, name, why);
	return -1;
}

/* The callers check the count first; this guards against a slip. */
static const msgpack_object *
cur_next(struct msg_cur *c, const char *name)
{
	if (c->i >= c->n) {
		cur_fail(c, name, "missing");
		return NULL;
	}
	return &c->o[c->i++];
}

/* A non-negative integer no larger than max. */
static int
cur_uint(struct msg_cur *c, const char *name, uint64_t max, uint64_t *out)
{
	const msgpack_object	*o = cur_next(c, name);

	if (o == NULL)
		return -1;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return cur_fail(c, name, "want uint, got %s", msg_obj_type(o));
	if (o->via.u64 > max)
		return cur_fail(c, name, "%llu out of range",
		    (unsigned long long)o->via.u64);
	*out = o->via.u64;
	return 0;
}

/* A signed integer in [min, max]; msgpack sends >= 0 as "positive". */
static int
cur_sint(struct msg_cur *c, const char *name, int64_t min, int64_t max,
    int64_t *out)
{
	const msgpack_object	*o = cur_next(c, name);

	if (o == NULL)
		return -1;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > (uint64_t)max)
			return cur_fail(c, name, "%llu out of range",
			    (unsigned long long)o->via.u64);
		*out = (int64_t)o->via.u64;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return cur_fail(c, name, "want int, got %s", msg_obj_type(o));
	if (o->via.i64 < min || o->via.i64 > max)
		return cur_fail(c, name, "%lld out of range",
		    (long long)o->via.i64);
	*out = o->via.i64;
	return 0;
}

static int
cur_u8(struct msg_cur *c, const char *name, uint8_t *out)
{
	uint64_t	v;

	if (cur_uint(c, name, UINT8_MAX, &v) == -1)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

static int
cur_u64(struct msg_cur *c, const char *name, uint64_t *out)
{
	return cur_uint(c, name, UINT64_MAX, out);
}

static int
cur_i32(struct msg_cur *c, const char *name, int32_t *out)
{
	int64_t	v;

	if (cur_sint(c, name, INT32_MIN, INT32_MAX, &v) == -1)
		return -1;
	*out = (int32_t)v;
	return 0;
}

static int
cur_i64(struct msg_cur *c, const char *name, int64_t *out)
{
	return cur_sint(c, name, INT64_MIN, INT64_MAX, out);
}

/* Any msgpack number: a sender may shrink 2.0 to an int or a float32. */
static int
cur_f64(struct msg_cur *c, const char *name, int finite, double *out)
{
	const msgpack_object	*o = cur_next(c, name);

	if (o == NULL)
		return -1;
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		break;
	default:
		return cur_fail(c, name, "want f64, got %s", msg_obj_type(o));
	}
	if (finite && !isfinite(*out))
		return cur_fail(c, name, "not a finite number");
	return 0;
}

static int
cur_bool(struct msg_cur *c, const char *name, bool *out)
{
	const msgpack_object	*o = cur_next(c, name);

	if (o == NULL)
		return -1;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return cur_fail(c, name, "want bool, got %s", msg_obj_type(o));
	*out = o->via.boolean;
	return 0;
}

/* Into a fixed array of cap bytes, NUL included; no NUL inside. */
static int
cur_str(struct msg_cur *c, const char *name, char *dst, size_t cap)
{
	const msgpack_object	*o = cur_next(c, name);
	uint32_t		 n;

	if (o == NULL)
		return -1;
	if (o->type != MSGPACK_OBJECT_STR)
		return cur_fail(c, name, "want str, got %s", msg_obj_type(o));
	n = o->via.str.size;
	if (n >= cap)
		return cur_fail(c, name, "%u bytes, max %zu", n, cap - 1);
	if (memchr(o->via.str.ptr, '\0', n) != NULL)
		return cur_fail(c, name, "contains NUL");
	memcpy(dst, o->via.str.ptr, n);
	dst[n] = '\0';
	return 0;
}

static int
cur_field(struct msg_cur *c, const struct msg_field *f, char *base)
{
	void	*p = base + f->off;

	switch (f->kind) {
	case MK_U8:
		return cur_u8(c, f->name, p);
	case MK_I32:
		return cur_i32(c, f->name, p);
	case MK_U64:
		return cur_u64(c, f->name, p);
	case MK_I64:
		return cur_i64(c, f->name, p);
	case MK_F64:
		return cur_f64(c, f->name, 0, p);
	case MK_F64_FINITE:
		return cur_f64(c, f->name, 1, p);
	case MK_BOOL:
		return cur_bool(c, f->name, p);
	case MK_STR:
		return cur_str(c, f->name, p, f->cap);
	}
	return cur_fail(c, f->name, "bad schema");
}

static void
cur_init(struct msg_cur *c, const msgpack_object *arr, const char *what,
    char *err, size_t errlen)
{
	c->o = arr->via.array.ptr;
	c->n = arr->via.array.size;
	c->i = 0;
	c->what = what;
	c->err = err;
	c->errlen = errlen;
}

static int
msg_walk_body(const msgpack_object *body, const struct msg_schema *s,
    struct pmm_msg *m, char *err, size_t errlen)
{
	struct msg_cur	c;
	uint8_t		i;

	if (body->type != MSGPACK_OBJECT_ARRAY) {
		msg_err(err, errlen, "%s: body is %s, not an array", s->name,
		    msg_obj_type(body));
		return -1;
	}
	if (body->via.array.size != s->n) {
		msg_err(err, errlen, "%s: body has %u fields, want %u",
		    s->name, body->via.array.size, s->n);
		return -1;
	}
	cur_init(&c, body, s->name, err, errlen);
	for (i = 0; i < s->n; i++)
		if (cur_field(&c, &s->f[i], (char *)m) == -1)
			return -1;
	return 0;
}

static int
msg_walk(const msgpack_object *root, struct pmm_msg *m, char *err,
    size_t errlen)
{
	const struct msg_schema	*s;
	struct msg_cur		 c;

	if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size == 0) {
		msg_err(err, errlen, "frame is %s, not an envelope array",
		    msg_obj_type(root));
		return -1;
	}
	cur_init(&c, root, "envelope", err, errlen);
	/* the version first: another version may have another layout */
	if (cur_u8(&c, "version", &m->env.version) == -1)
		return -1;
	if (m->env.version != PMM_PROTO_VERSION) {
		msg_err(err, errlen, "wrong protocol version %u (want %d)",
		    m->env.version, PMM_PROTO_VERSION);
		return -1;
	}
	if (c.n != MSG_ENV_FIELDS) {
		msg_err(err, errlen, "envelope has %u fields, want %d", c.n,
		    MSG_ENV_FIELDS);
		return -1;
	}
	if (cur_u8(&c, "type", &m->env.type) == -1)
		return -1;
	if ((s = msg_schema(m->env.type)) == NULL) {
		msg_err(err, errlen, "unknown message type %u", m->env.type);
		return -1;
	}
	if (cur_u64(&c, "seq", &m->env.seq) == -1 ||
	    cur_u8(&c, "sender", &m->env.sender) == -1 ||
	    cur_i64(&c, "ts", &m->env.ts_ns) == -1)
		return -1;
	return msg_walk_body(&c.o[c.i], s, m, err, errlen);
}

/* ---- decoding, step 2: msgpack-c on a stack zone ---- */

int
msg_decode(const char *buf, size_t len, struct pmm_msg *m, char *err,
    size_t errlen)
{
	/* the root lives outside the zone: every other object inside */
	msgpack_object		 arena[MSG_MAX_OBJECTS - 1], root;
	msgpack_zone		 zone;
	msgpack_unpack_return	 r;
	size_t			 off = 0;
	int			 rc;

	memset(m, 0, sizeof(*m));
	if (len > PMM_MSG_MAX) {
		msg_err(err, errlen, "frame of %zu bytes, max %d", len,
		    PMM_MSG_MAX);
		return -1;
	}
	if (msg_scan(buf, len, err, errlen) == -1)
		return -1;
	/*
	 * A zone over the stack array. The scan bounded the objects, so
	 * msgpack_zone_malloc always finds room and never reaches its malloc
	 * path. Should a msgpack-c release ever allocate anyway, the chunks
	 * it chained (to the NULL head) are freed after the walk.
	 */
	memset(&zone, 0, sizeof(zone));
	zone.chunk_size = sizeof(arena);
	zone.chunk_list.ptr = (char *)arena;
	zone.chunk_list.free = sizeof(arena);
	r = msgpack_unpack(buf, len, &off, &zone, &root);
	if (r != MSGPACK_UNPACK_SUCCESS) {
		/* the scan makes this unreachable but for nesting > 32 */
		msg_err(err, errlen, "msgpack rejected the frame (%d)", r);
		rc = -1;
	} else
		rc = msg_walk(&root, m, err, errlen);
	if (zone.chunk_list.head != NULL)	/* unreachable; never leak */
		msgpack_zone_destroy(&zone);
	if (rc == -1)
		memset(m, 0, sizeof(*m));
	return rc;
}

void
msg_text(char *dst, size_t len, const char *src)
{
	size_t	n = strlen(src), cut;

	if (len == 0)
		return;
	if (n < len) {
		memcpy(dst, src, n + 1);
		return;
	}
	if (len < 8) {		/* no room for a word and the mark */
		snprintf(dst, len, "%s", src);
		return;
	}
	/* room for "..." and the NUL; back up to the last space */
	cut = len - 4;
	while (cut > len / 2 && src[cut] != ' ')
		cut--;
	if (src[cut] != ' ')
		cut = len - 4;	/* one long word: cut it anyway */
	while (cut > 0 && src[cut - 1] == ' ')
		cut--;
	memcpy(dst, src, cut);
	memcpy(dst + cut, "...", 4);
}
