/*
 * check_msg.c — the bus codec: every message type round-trips with edge
 * values, and every kind of malformed frame is refused without a crash.
 *
 * Frames to refuse are built here independently of msg.c, with msgpack-c's
 * own sbuffer and packers (including non-minimal encodings msg.c never
 * emits), from a schema table written out again in this file. So a field
 * order or type slip in msg.c's table shows up as a mismatch here.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "log.h"
#include "msg.h"
#include "shm.h"
#include "check_run.h"

/* ---- an independent frame builder ---- */

enum tv_kind { TV_UINT, TV_FIXU64, TV_INT, TV_F64, TV_F32, TV_STR, TV_BIN,
	       TV_BOOL, TV_NIL, TV_ARRAY, TV_MAP, TV_BODY, TV_END };

struct tv {
	int		 kind;
	uint64_t	 u;
	int64_t		 i;
	double		 d;
	const char	*s;
	size_t		 slen;	/* 0: strlen(s) */
};

#define U(v)		{ .kind = TV_UINT, .u = (v) }
#define FIXU(v)		{ .kind = TV_FIXU64, .u = (v) }
#define I(v)		{ .kind = TV_INT, .i = (v) }
#define D(v)		{ .kind = TV_F64, .d = (v) }
#define F32(v)		{ .kind = TV_F32, .d = (v) }
#define S(v)		{ .kind = TV_STR, .s = (v) }
#define SN(v, n)	{ .kind = TV_STR, .s = (v), .slen = (n) }
#define BIN(v)		{ .kind = TV_BIN, .s = (v) }
#define B(v)		{ .kind = TV_BOOL, .u = (v) }
#define NIL		{ .kind = TV_NIL }
#define ARR		{ .kind = TV_ARRAY }	/* [[1]] */
#define MAP		{ .kind = TV_MAP }	/* {1: 2} */
#define BODY		{ .kind = TV_BODY }
#define END		{ .kind = TV_END }

static void
tv_pack(msgpack_packer *pk, const struct tv *v)
{
	size_t	n = v->slen ? v->slen : (v->s ? strlen(v->s) : 0);

	switch (v->kind) {
	case TV_UINT:	msgpack_pack_uint64(pk, v->u); break;
	case TV_FIXU64:	msgpack_pack_fix_uint64(pk, v->u); break;
	case TV_INT:	msgpack_pack_int64(pk, v->i); break;
	case TV_F64:	msgpack_pack_double(pk, v->d); break;
	case TV_F32:	msgpack_pack_float(pk, (float)v->d); break;
	case TV_STR:
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, v->s, n);
		break;
	case TV_BIN:
		msgpack_pack_bin(pk, n);
		msgpack_pack_bin_body(pk, v->s, n);
		break;
	case TV_BOOL:
		if (v->u)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case TV_NIL:	msgpack_pack_nil(pk); break;
	case TV_ARRAY:
		msgpack_pack_array(pk, 1);
		msgpack_pack_array(pk, 1);
		msgpack_pack_uint8(pk, 1);
		break;
	case TV_MAP:
		msgpack_pack_map(pk, 1);
		msgpack_pack_uint8(pk, 1);
		msgpack_pack_uint8(pk, 2);
		break;
	}
}

static size_t
tv_count(const struct tv *v)
{
	size_t	n = 0;

	while (v[n].kind != TV_END)
		n++;
	return n;
}

/* env: the envelope's values, TV_BODY marking where body goes. */
static void
build(msgpack_sbuffer *sb, const struct tv *env, const struct tv *body)
{
	msgpack_packer	pk;
	size_t		i;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, tv_count(env));
	for (i = 0; env[i].kind != TV_END; i++) {
		if (env[i].kind == TV_BODY) {
			msgpack_pack_array(&pk, tv_count(body));
			for (size_t j = 0; body[j].kind != TV_END; j++)
				tv_pack(&pk, &body[j]);
		} else
			tv_pack(&pk, &env[i]);
	}
}

/* A standard envelope for type t around body. */
static void
build_std(msgpack_sbuffer *sb, unsigned t, const struct tv *body)
{
	struct tv	env[] = { U(1), U(t), U(77), U(2), I(-5), BODY, END };

	build(sb, env, body);
}

static int
decode_sb(const msgpack_sbuffer *sb, struct pmm_msg *m, char *err,
    size_t errlen)
{
	return msg_decode(sb->data, sb->size, m, err, errlen);
}

/* ---- the schemas, written out again ---- */

enum { K_U8, K_I32, K_U64, K_I64, K_F64, K_F64FIN, K_BOOL, K_STR };

static const struct {
	unsigned	type;
	unsigned	n;
	int		k[13];
	int		cap[13];	/* K_STR: array size incl. NUL */
} schemas[] = {
	{ PMM_MSG_HELLO, 2, { K_U8, K_I32 }, { 0 } },
	{ PMM_MSG_READY, 0, { 0 }, { 0 } },
	{ PMM_MSG_HEARTBEAT, 1, { K_U64 }, { 0 } },
	{ PMM_MSG_RELOAD, 0, { 0 }, { 0 } },
	{ PMM_MSG_STOP, 0, { 0 }, { 0 } },
	{ PMM_MSG_PAUSE, 1, { K_STR }, { PMM_TEXT_MAX } },
	{ PMM_MSG_RESUME, 0, { 0 }, { 0 } },
	{ PMM_MSG_TICK, 7, { K_F64FIN, K_F64FIN, K_F64FIN, K_F64FIN, K_I64,
	    K_I64, K_U64 }, { 0 } },
	{ PMM_MSG_FILL, 13, { K_STR, K_I64, K_U8, K_U8, K_F64FIN, K_F64FIN,
	    K_F64FIN, K_STR, K_BOOL, K_F64FIN, K_I64, K_I64, K_BOOL },
	    { PMM_ID_MAX, 0, 0, 0, 0, 0, 0, 16 } },
	{ PMM_MSG_ORDER_EVENT, 8, { K_U8, K_STR, K_U8, K_U8, K_F64, K_F64,
	    K_I32, K_STR }, { 0, PMM_ID_MAX, 0, 0, 0, 0, 0, PMM_TEXT_MAX } },
	{ PMM_MSG_RISK_ACTION, 5, { K_U8, K_F64, K_F64, K_F64, K_STR },
	    { 0, 0, 0, 0, PMM_TEXT_MAX } },
	{ PMM_MSG_SVC_EVENT, 5, { K_U8, K_U8, K_I32, K_I32, K_STR },
	    { 0, 0, 0, 0, PMM_TEXT_MAX } },
	{ PMM_MSG_CRASH, 0, { 0 }, { 0 } },
	{ PMM_MSG_FUNDING, 4, { K_F64FIN, K_STR, K_I64, K_F64 },
	    { 0, 16 } },
};
#define NSCHEMAS	(sizeof(schemas) / sizeof(schemas[0]))

static struct tv
valid_value(int kind)
{
	struct tv	v[] = { U(7), I(-5), U(9), I(-11), D(1.5), D(2.5),
	    B(1), S("ab") };

	return v[kind];
}

/* Values each kind must refuse (terminated by TV_END). */
static const struct tv *
wrong_values(int kind)
{
	static const struct tv	u8[] = { S("1"), NIL, D(1.0), I(-1), U(256),
	    B(1), ARR, MAP, BIN("x"), END };
	static const struct tv	i32[] = { S("1"), NIL, D(1.0), U(2147483648u),
	    I(-2147483649LL), B(0), ARR, END };
	static const struct tv	u64[] = { I(-1), S("1"), D(1.0), NIL, B(1),
	    MAP, END };
	static const struct tv	i64[] = { U(9223372036854775808ULL), S("1"),
	    D(1.0), NIL, ARR, END };
	static const struct tv	f64[] = { S("1.5"), B(1), NIL, ARR, MAP,
	    BIN("1"), END };
	static const struct tv	f64fin[] = { S("1.5"), B(1), NIL, ARR,
	    D(NAN), D(INFINITY), D(-INFINITY), F32(NAN), END };
	static const struct tv	bol[] = { U(1), U(0), NIL, S("true"), END };
	static const struct tv	str[] = { U(1), BIN("ab"), NIL, ARR, MAP,
	    SN("a\0b", 3), END };

	switch (kind) {
	case K_U8:	return u8;
	case K_I32:	return i32;
	case K_U64:	return u64;
	case K_I64:	return i64;
	case K_F64:	return f64;
	case K_F64FIN:	return f64fin;
	case K_BOOL:	return bol;
	default:	return str;
	}
}

static void
valid_body(unsigned si, struct tv *body)
{
	unsigned	i;

	for (i = 0; i < schemas[si].n; i++)
		body[i] = valid_value(schemas[si].k[i]);
	body[i] = (struct tv)END;
}

/* ---- sample messages with edge values ---- */

static void
fill_str(char *dst, size_t cap, char c)
{
	memset(dst, c, cap - 1);
	dst[cap - 1] = '\0';
}

/* variant 0: extremes and maximum lengths; 1: zeros, minima, empties */
static void
sample(struct pmm_msg *m, unsigned type, int variant)
{
	memset(m, 0, sizeof(*m));
	m->env.version = PMM_PROTO_VERSION;
	m->env.type = (uint8_t)type;
	m->env.seq = variant ? 0 : UINT64_MAX;
	m->env.sender = variant ? 0 : PMM_SENDER_PMMD;
	m->env.ts_ns = variant ? INT64_MIN : INT64_MAX;
	switch (type) {
	case PMM_MSG_HELLO:
		m->u.hello.svc = variant ? 0 : 255;
		m->u.hello.pid = variant ? INT32_MIN : INT32_MAX;
		break;
	case PMM_MSG_HEARTBEAT:
		m->u.heartbeat.beats = variant ? 0 : UINT64_MAX;
		break;
	case PMM_MSG_PAUSE:
		if (!variant)
			fill_str(m->u.pause.text, PMM_TEXT_MAX, 'p');
		break;
	case PMM_MSG_TICK:
		m->u.tick.bid = variant ? -0.0 : DBL_MAX;
		m->u.tick.bid_qty = variant ? 4.9e-324 : DBL_MIN;
		m->u.tick.ask = variant ? -DBL_MAX : 61234.5;
		m->u.tick.ask_qty = variant ? 0.0 : 0.001;
		m->u.tick.exch_ts_ns = variant ? INT64_MIN : INT64_MAX;
		m->u.tick.recv_ts_ns = variant ? -1 : 1723075200123456789LL;
		m->u.tick.update_id = variant ? 0 : UINT64_MAX;
		break;
	case PMM_MSG_FILL:
		if (!variant) {
			fill_str(m->u.fill.client_id, PMM_ID_MAX, 'c');
			fill_str(m->u.fill.fee_asset,
			    sizeof(m->u.fill.fee_asset), 'U');
		}
		m->u.fill.order_id = variant ? INT64_MIN : INT64_MAX;
		m->u.fill.side = variant ? 0 : 255;
		m->u.fill.level = variant ? 255 : 0;
		m->u.fill.price = variant ? -1e-300 : 1e308;
		m->u.fill.qty = variant ? 0.0 : 123.456;
		m->u.fill.fee = variant ? -0.5 : 0.0;
		m->u.fill.maker = !variant;
		m->u.fill.realized_pnl = variant ? -1e9 : 1e9;
		m->u.fill.trade_ts_ns = variant ? INT64_MIN : INT64_MAX;
		m->u.fill.trade_id = variant ? 1 : INT64_MAX;
		m->u.fill.recovered = variant;
		break;
	case PMM_MSG_ORDER_EVENT:
		m->u.order.kind = variant ? ORD_PLACED : ORD_EXPIRED;
		m->u.order.side = variant ? 0 : 255;
		m->u.order.level = 3;
		if (!variant) {
			fill_str(m->u.order.client_id, PMM_ID_MAX, 'o');
			/* UTF-8 text survives byte for byte */
			fill_str(m->u.order.text, PMM_TEXT_MAX, 'e');
			memcpy(m->u.order.text, "\xc3\xa9", 2);
		}
		m->u.order.price = variant ? -INFINITY : NAN;
		m->u.order.qty = variant ? INFINITY : -0.0;
		m->u.order.code = variant ? INT32_MIN : INT32_MAX;
		break;
	case PMM_MSG_RISK_ACTION:
		m->u.risk.kind = variant ? RISK_PAUSE : RISK_KILL;
		m->u.risk.position = variant ? -INFINITY : -0.75;
		m->u.risk.notional = NAN;
		m->u.risk.limit = variant ? 0.0 : INFINITY;
		if (!variant)
			fill_str(m->u.risk.text, PMM_TEXT_MAX, 'r');
		break;
	case PMM_MSG_SVC_EVENT:
		m->u.svc.svc = variant ? SVC_MARKET : SVC_LOGGER;
		m->u.svc.kind = variant ? SVCEV_STARTED : SVCEV_ESCALATED;
		m->u.svc.pid = variant ? -1 : INT32_MAX;
		m->u.svc.status = variant ? INT32_MIN : 0x7f00;
		if (!variant)
			fill_str(m->u.svc.text, PMM_TEXT_MAX, 's');
		break;
	case PMM_MSG_FUNDING:
		m->u.funding.amount = variant ? -0.06000005 : 1e-8;
		fill_str(m->u.funding.asset, 16, variant ? 'U' : 'b');
		m->u.funding.funding_ts_ns = variant ? INT64_MIN :
		    1723190400000000000LL;
		/* a report: the position may be unknown */
		m->u.funding.position = variant ? NAN : -0.25;
		break;
	}
}

static ssize_t
encode_ok(const struct pmm_msg *m, char *buf, size_t cap)
{
	ssize_t	n = msg_encode(m, buf, cap);

	ck_assert_msg(n > 0, "encode %s failed", msg_type_name(m->env.type));
	return n;
}

/* ---- round trips ---- */

START_TEST(test_roundtrip_all_types)
{
	struct pmm_msg	in, out;
	char		buf[PMM_MSG_MAX], err[160];
	unsigned	t;
	ssize_t		n;
	int		v;

	for (t = PMM_MSG_HELLO; t < PMM_MSG_COUNT; t++)
		for (v = 0; v < 2; v++) {
			sample(&in, t, v);
			n = encode_ok(&in, buf, sizeof(buf));
			ck_assert_msg(msg_decode(buf, (size_t)n, &out, err,
			    sizeof(err)) == 0, "%s/%d: %s", msg_type_name(t),
			    v, err);
			/* bitwise: NaN payloads and -0.0 included */
			ck_assert_msg(memcmp(&in, &out, sizeof(in)) == 0,
			    "%s/%d differs after round trip",
			    msg_type_name(t), v);
		}
}
END_TEST

START_TEST(test_roundtrip_values_spot_check)
{
	struct pmm_msg	in, out;
	char		buf[PMM_MSG_MAX];
	ssize_t		n;

	sample(&in, PMM_MSG_FILL, 0);
	n = encode_ok(&in, buf, sizeof(buf));
	ck_assert_int_eq(msg_decode(buf, (size_t)n, &out, NULL, 0), 0);
	ck_assert_uint_eq(strlen(out.u.fill.client_id), PMM_ID_MAX - 1);
	ck_assert_uint_eq(strlen(out.u.fill.fee_asset), 15);
	ck_assert(out.u.fill.maker);
	ck_assert(out.u.fill.price == 1e308);
	ck_assert_int_eq(out.u.fill.order_id, INT64_MAX);
	ck_assert_uint_eq(out.env.seq, UINT64_MAX);
	ck_assert_uint_eq(out.env.sender, PMM_SENDER_PMMD);

	sample(&in, PMM_MSG_RISK_ACTION, 0);
	n = encode_ok(&in, buf, sizeof(buf));
	ck_assert_int_eq(msg_decode(buf, (size_t)n, &out, NULL, 0), 0);
	ck_assert(isnan(out.u.risk.notional));
	ck_assert(isinf(out.u.risk.limit) && out.u.risk.limit > 0);
	ck_assert_uint_eq(out.u.risk.kind, RISK_KILL);
}
END_TEST

/* msg.c's bytes equal a frame packed field by field from this file's table */
START_TEST(test_encoder_matches_independent_packing)
{
	struct pmm_msg	m;
	msgpack_sbuffer	sb;
	char		buf[PMM_MSG_MAX];
	struct tv	env[] = { U(1), U(PMM_MSG_TICK), U(42), U(SVC_MARKET),
	    I(1723075200000000000LL), BODY, END };
	struct tv	body[] = { D(61000.1), D(2.5), D(61000.2), D(0.75),
	    I(1723075199999000000LL), I(1723075200000000000LL), U(123456789),
	    END };
	ssize_t		n;

	memset(&m, 0, sizeof(m));
	m.env = (struct pmm_env){ PMM_PROTO_VERSION, PMM_MSG_TICK,
	    SVC_MARKET, 42, 1723075200000000000LL };
	m.u.tick = (struct pmm_tick){ 61000.1, 2.5, 61000.2, 0.75,
	    1723075199999000000LL, 1723075200000000000LL, 123456789 };
	n = encode_ok(&m, buf, sizeof(buf));
	build(&sb, env, body);
	ck_assert_uint_eq((size_t)n, sb.size);
	ck_assert(memcmp(buf, sb.data, sb.size) == 0);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Literal bytes from the msgpack spec, with non-minimal encodings. */
START_TEST(test_handwritten_bytes)
{
	static const char hb[] = {
		(char)0x96,		/* array of 6 */
		0x01,			/* version */
		0x03,			/* HEARTBEAT */
		(char)0xcd, 0x01, 0x00,	/* seq 256 as uint16 */
		0x01,			/* sender: order */
		(char)0xff,		/* ts -1 (negative fixint) */
		(char)0x91,		/* body: array of 1 */
		(char)0xcf, 0, 0, 0, 0, 0, 0, 0, 0x2a,	/* beats 42, uint64 */
	};
	static const char pause[] = {
		(char)0x96, 0x01, 0x06, 0x00, (char)0xcc, (char)0xff,	/* sender 255 */
		(char)0xd3, 0, 0, 0, 0, 0, 0, 0, 0x05,	/* ts 5 as int64 */
		(char)0xdc, 0x00, 0x01,	/* body: array 16 of 1 */
		(char)0xd9, 0x03, 'a', 'b', 'c',	/* str 8 */
	};
	static const char bad_bool[] = {
		(char)0x96, 0x01, 0x09, 0x01, 0x01, 0x00, (char)0x9d,
		(char)0xa1, 'x', 0x01, 0x00, 0x00, 0x01, 0x01, 0x00,
		(char)0xa0, 0x01 /* maker as int 1, not a bool */, 0x00, 0x00,
		0x07, (char)0xc2,
	};
	struct pmm_msg	m;
	char		err[160];

	ck_assert_int_eq(msg_decode(hb, sizeof(hb), &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.env.type, PMM_MSG_HEARTBEAT);
	ck_assert_uint_eq(m.env.seq, 256);
	ck_assert_uint_eq(m.env.sender, SVC_ORDER);
	ck_assert_int_eq(m.env.ts_ns, -1);
	ck_assert_uint_eq(m.u.heartbeat.beats, 42);

	ck_assert_int_eq(msg_decode(pause, sizeof(pause), &m, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(m.env.sender, 255);
	ck_assert_int_eq(m.env.ts_ns, 5);
	ck_assert_str_eq(m.u.pause.text, "abc");

	ck_assert_int_eq(msg_decode(bad_bool, sizeof(bad_bool), &m, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "maker") != NULL, "err: %s", err);
}
END_TEST

/* Numbers in other encodings are accepted where they are exact. */
START_TEST(test_accepts_other_number_encodings)
{
	msgpack_sbuffer	sb;
	struct pmm_msg	m;
	char		err[160];
	struct tv	tick[] = { F32(2.5), U(61000), I(-3), FIXU(7),
	    I(INT64_MIN), FIXU(INT64_MAX), FIXU(UINT64_MAX), END };
	struct tv	hello[] = { FIXU(255), I(INT32_MIN), END };
	struct tv	hello2[] = { U(0), U(INT32_MAX), END };

	build_std(&sb, PMM_MSG_TICK, tick);
	ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) == 0, "%s", err);
	ck_assert(m.u.tick.bid == 2.5);
	ck_assert(m.u.tick.bid_qty == 61000.0);
	ck_assert(m.u.tick.ask == -3.0);
	ck_assert(m.u.tick.ask_qty == 7.0);
	ck_assert_int_eq(m.u.tick.exch_ts_ns, INT64_MIN);
	ck_assert_int_eq(m.u.tick.recv_ts_ns, INT64_MAX);
	ck_assert_uint_eq(m.u.tick.update_id, UINT64_MAX);
	ck_assert_uint_eq(m.env.seq, 77);
	ck_assert_int_eq(m.env.ts_ns, -5);
	msgpack_sbuffer_destroy(&sb);

	build_std(&sb, PMM_MSG_HELLO, hello);
	ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(m.u.hello.svc, 255);
	ck_assert_int_eq(m.u.hello.pid, INT32_MIN);
	msgpack_sbuffer_destroy(&sb);

	build_std(&sb, PMM_MSG_HELLO, hello2);
	ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(m.u.hello.pid, INT32_MAX);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* ---- refusals ---- */

START_TEST(test_valid_bodies_accepted)
{
	msgpack_sbuffer	sb;
	struct pmm_msg	m;
	struct tv	body[14];
	char		err[160];
	unsigned	si;

	/* the control for test_wrong_field_types: only one field differs */
	for (si = 0; si < NSCHEMAS; si++) {
		valid_body(si, body);
		build_std(&sb, schemas[si].type, body);
		ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) == 0,
		    "%s: %s", msg_type_name(schemas[si].type), err);
		ck_assert_uint_eq(m.env.type, schemas[si].type);
		msgpack_sbuffer_destroy(&sb);
	}
}
END_TEST

START_TEST(test_wrong_field_types)
{
	msgpack_sbuffer	 sb;
	struct pmm_msg	 m;
	struct tv	 body[14];
	const struct tv	*bad;
	char		 err[160];
	unsigned	 si, pos, w, tried = 0;

	for (si = 0; si < NSCHEMAS; si++)
		for (pos = 0; pos < schemas[si].n; pos++) {
			bad = wrong_values(schemas[si].k[pos]);
			for (w = 0; bad[w].kind != TV_END; w++) {
				valid_body(si, body);
				body[pos] = bad[w];
				build_std(&sb, schemas[si].type, body);
				strcpy(err, "");
				ck_assert_msg(decode_sb(&sb, &m, NULL, 0) == -1 &&
				    decode_sb(&sb, &m, err, sizeof(err)) == -1,
				    "%s field %u: wrong value %u accepted",
				    msg_type_name(schemas[si].type), pos, w);
				ck_assert(err[0] != '\0');
				/* a refused frame leaves nothing behind */
				ck_assert_uint_eq(m.env.type, 0);
				msgpack_sbuffer_destroy(&sb);
				tried++;
			}
		}
	ck_assert_uint_gt(tried, 150);
}
END_TEST

START_TEST(test_wrong_body_count)
{
	msgpack_sbuffer	sb;
	struct pmm_msg	m;
	struct tv	body[15];
	char		err[160];
	unsigned	si, n;

	for (si = 0; si < NSCHEMAS; si++) {
		/* one field missing (when there is one) and one extra */
		for (n = schemas[si].n ? schemas[si].n - 1 : 1;
		    n <= schemas[si].n + 1; n += 2) {
			valid_body(si, body);
			if (n > schemas[si].n)
				body[n - 1] = (struct tv)U(1);
			body[n] = (struct tv)END;
			build_std(&sb, schemas[si].type, body);
			ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) ==
			    -1, "%s with %u fields accepted",
			    msg_type_name(schemas[si].type), n);
			ck_assert_msg(strstr(err, "fields") != NULL, "%s",
			    err);
			msgpack_sbuffer_destroy(&sb);
		}
	}
}
END_TEST

START_TEST(test_string_lengths)
{
	msgpack_sbuffer	sb;
	struct pmm_msg	m;
	struct tv	body[14];
	char		s[PMM_TEXT_MAX + 2], err[160];
	unsigned	si, pos;
	int		cap;

	for (si = 0; si < NSCHEMAS; si++)
		for (pos = 0; pos < schemas[si].n; pos++) {
			if (schemas[si].k[pos] != K_STR)
				continue;
			cap = schemas[si].cap[pos];
			/* the longest that fits is accepted ... */
			memset(s, 'z', sizeof(s));
			valid_body(si, body);
			body[pos] = (struct tv)SN(s, (size_t)cap - 1);
			build_std(&sb, schemas[si].type, body);
			ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) ==
			    0, "%s: %s", msg_type_name(schemas[si].type), err);
			msgpack_sbuffer_destroy(&sb);
			/* ... one byte more is not */
			body[pos] = (struct tv)SN(s, (size_t)cap);
			build_std(&sb, schemas[si].type, body);
			ck_assert_int_eq(decode_sb(&sb, &m, err, sizeof(err)),
			    -1);
			ck_assert_msg(strstr(err, "max") != NULL, "%s", err);
			msgpack_sbuffer_destroy(&sb);
		}
}
END_TEST

START_TEST(test_envelope_refusals)
{
	static const struct tv	ok_body[] = { U(5), END };
	struct tv		envs[][8] = {
		{ U(0), U(3), U(1), U(1), I(1), BODY, END },	/* version 0 */
		{ U(2), U(3), U(1), U(1), I(1), BODY, END },	/* version 2 */
		{ U(255), U(3), U(1), U(1), I(1), BODY, END },
		{ S("1"), U(3), U(1), U(1), I(1), BODY, END },
		{ I(-1), U(3), U(1), U(1), I(1), BODY, END },
		{ U(1), U(0), U(1), U(1), I(1), BODY, END },	/* type NONE */
		{ U(1), U(PMM_MSG_COUNT), U(1), U(1), I(1), BODY, END },
		{ U(1), U(200), U(1), U(1), I(1), BODY, END },
		{ U(1), U(259), U(1), U(1), I(1), BODY, END },
		{ U(1), U(3), I(-1), U(1), I(1), BODY, END },	/* seq < 0 */
		{ U(1), U(3), D(1.0), U(1), I(1), BODY, END },
		{ U(1), U(3), U(1), U(256), I(1), BODY, END },	/* sender */
		{ U(1), U(3), U(1), I(-1), I(1), BODY, END },
		{ U(1), U(3), U(1), U(1), U(1ULL << 63), BODY, END },
		{ U(1), U(3), U(1), U(1), S("now"), BODY, END },
		{ U(1), U(3), U(1), U(1), I(1), MAP, END },	/* body map */
		{ U(1), U(3), U(1), U(1), I(1), NIL, END },
		{ U(1), U(3), U(1), U(1), I(1), END },		/* 5 fields */
		{ U(1), U(3), U(1), U(1), I(1), BODY, U(0), END },
		{ U(1), END },
		{ END },
	};
	msgpack_sbuffer		sb;
	struct pmm_msg		m;
	char			err[160];
	size_t			i;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		build(&sb, envs[i], ok_body);
		ck_assert_msg(decode_sb(&sb, &m, err, sizeof(err)) == -1,
		    "envelope %zu accepted", i);
		msgpack_sbuffer_destroy(&sb);
	}
	/* and the same envelope, correct, is accepted */
	build_std(&sb, PMM_MSG_HEARTBEAT, ok_body);
	ck_assert_int_eq(decode_sb(&sb, &m, err, sizeof(err)), 0);
	msgpack_sbuffer_destroy(&sb);
	/* the reasons name the problem */
	build(&sb, envs[1], ok_body);
	decode_sb(&sb, &m, err, sizeof(err));
	ck_assert_msg(strstr(err, "version") != NULL, "%s", err);
	msgpack_sbuffer_destroy(&sb);
	build(&sb, envs[7], ok_body);
	decode_sb(&sb, &m, err, sizeof(err));
	ck_assert_msg(strstr(err, "type") != NULL, "%s", err);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_not_an_array)
{
	static const char *frames[] = {
		"\x80",			/* {} */
		"\x81\x01\x02",		/* {1: 2} */
		"\x05",			/* 5 */
		"\xa5hello",		/* "hello" */
		"\xc0",			/* nil */
		"\x90",			/* [] */
		"\xc3",			/* true */
	};
	static const size_t lens[] = { 1, 3, 1, 6, 1, 1, 1 };
	struct pmm_msg	m;
	char		err[160];
	size_t		i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		ck_assert_msg(msg_decode(frames[i], lens[i], &m, err,
		    sizeof(err)) == -1, "frame %zu accepted", i);
	ck_assert_int_eq(msg_decode("", 0, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(msg_decode(NULL, 0, &m, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_truncated_every_length)
{
	struct pmm_msg	in, out;
	char		buf[PMM_MSG_MAX], *cut, err[160];
	unsigned	t;
	ssize_t		n, len;

	for (t = PMM_MSG_HELLO; t < PMM_MSG_COUNT; t++) {
		sample(&in, t, 0);
		n = encode_ok(&in, buf, sizeof(buf));
		for (len = 0; len < n; len++) {
			/* a heap copy of exactly len bytes: ASan sees overreads */
			cut = malloc(len ? (size_t)len : 1);
			memcpy(cut, buf, (size_t)len);
			ck_assert_msg(msg_decode(cut, (size_t)len, &out, err,
			    sizeof(err)) == -1, "%s cut at %zd accepted",
			    msg_type_name(t), len);
			free(cut);
		}
	}
}
END_TEST

START_TEST(test_trailing_bytes)
{
	struct pmm_msg	in, out;
	char		buf[PMM_MSG_MAX * 2], err[160];
	ssize_t		n;

	sample(&in, PMM_MSG_TICK, 0);
	n = encode_ok(&in, buf, PMM_MSG_MAX);
	buf[n] = (char)0xc0;		/* one nil after the frame */
	ck_assert_int_eq(msg_decode(buf, (size_t)n + 1, &out, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "trailing") != NULL, "%s", err);
	buf[n] = 0;
	ck_assert_int_eq(msg_decode(buf, (size_t)n + 1, &out, err,
	    sizeof(err)), -1);
	/* two whole frames in one buffer are not one frame */
	memcpy(buf + n, buf, (size_t)n);
	ck_assert_int_eq(msg_decode(buf, (size_t)n * 2, &out, err,
	    sizeof(err)), -1);
	/* and the frame alone is fine */
	ck_assert_int_eq(msg_decode(buf, (size_t)n, &out, err,
	    sizeof(err)), 0);
}
END_TEST

START_TEST(test_nested_garbage)
{
	char		buf[PMM_MSG_MAX + 64], err[160];
	struct pmm_msg	m;
	size_t		i;
	/* an array claiming 2^32-1 items: must not allocate, must refuse */
	static const char huge_arr[] = "\xdd\xff\xff\xff\xff";
	static const char huge_map[] = "\xdf\xff\xff\xff\xff";
	static const char huge_body[] = "\x96\x01\x08\x01\x00\x00"
	    "\xdd\x7f\xff\xff\xff";
	static const char huge_str[] = "\x96\x01\x06\x01\x00\x00\x91"
	    "\xdb\xff\xff\xff\xf0" "abc";
	static const char reserved[] = "\x96\x01\x03\x01\x00\x00\x91\xc1";
	static const char ext[] = "\x96\x01\x03\x01\x00\x00\x91\xd4\x01\x02";

	ck_assert_int_eq(msg_decode(huge_arr, 5, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(msg_decode(huge_map, 5, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(msg_decode(huge_body, 11, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(msg_decode(huge_str, 15, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(msg_decode(reserved, 8, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(msg_decode(ext, 10, &m, err, sizeof(err)), -1);

	/* 200 nested arrays */
	for (i = 0; i < 200; i++)
		buf[i] = (char)0x91;
	buf[i++] = 0x01;
	ck_assert_int_eq(msg_decode(buf, i, &m, err, sizeof(err)), -1);
	/* 20 nested arrays: small enough for msgpack, still not a frame */
	ck_assert_int_eq(msg_decode(buf + 181, 20, &m, err, sizeof(err)), -1);

	/* a body field that is itself a deep structure */
	memcpy(buf, "\x96\x01\x06\x01\x00\x00\x91", 7);
	for (i = 7; i < 27; i++)
		buf[i] = (char)0x91;
	buf[i++] = (char)0xa1;
	buf[i++] = 'x';
	ck_assert_int_eq(msg_decode(buf, i, &m, err, sizeof(err)), -1);

	/* a frame over PMM_MSG_MAX, even if its structure were fine */
	memcpy(buf, "\x96\x01\x06\x01\x00\x00\x91\xda\x04\x00", 10);
	memset(buf + 10, 'a', 1024);
	ck_assert_int_eq(msg_decode(buf, 1034, &m, err, sizeof(err)), -1);

	/* an array of 600 nils: many objects, every one present */
	buf[0] = (char)0xdc;
	buf[1] = 0x02;
	buf[2] = 0x58;
	memset(buf + 3, 0xc0, 600);
	ck_assert_int_eq(msg_decode(buf, 603, &m, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_error_buffer_small_or_null)
{
	struct pmm_msg	m;
	char		err[4] = "xyz";

	ck_assert_int_eq(msg_decode("\x05", 1, &m, NULL, 0), -1);
	ck_assert_int_eq(msg_decode("\x05", 1, &m, err, 0), -1);
	ck_assert_str_eq(err, "xyz");
	ck_assert_int_eq(msg_decode("\x05", 1, &m, err, sizeof(err)), -1);
	ck_assert_uint_eq(strlen(err), 3);
}
END_TEST

/* ---- encoding failures ---- */

START_TEST(test_encode_buffer_too_small)
{
	struct pmm_msg	m;
	char		full[PMM_MSG_MAX], buf[PMM_MSG_MAX + 16];
	char		fill[PMM_MSG_MAX + 16];
	unsigned	t;
	ssize_t		n, cap;

	memset(fill, 0x5a, sizeof(fill));
	for (t = PMM_MSG_HELLO; t < PMM_MSG_COUNT; t++) {
		sample(&m, t, 0);
		n = encode_ok(&m, full, sizeof(full));
		for (cap = 0; cap < n; cap++) {
			memset(buf, 0x5a, sizeof(buf));
			ck_assert_int_eq(msg_encode(&m, buf, (size_t)cap), -1);
			/* nothing written past cap (one assertion per cap:
			 * check reports each one through a pipe) */
			ck_assert_msg(memcmp(buf + cap, fill,
			    sizeof(buf) - (size_t)cap) == 0,
			    "type %u: msg_encode wrote past cap %zd", t, cap);
		}
		ck_assert_int_eq(msg_encode(&m, buf, (size_t)n), n);
		ck_assert(memcmp(buf, full, (size_t)n) == 0);
	}
}
END_TEST

START_TEST(test_encode_refuses_what_decode_would)
{
	struct pmm_msg	m;
	char		buf[PMM_MSG_MAX];

	sample(&m, PMM_MSG_TICK, 0);
	m.env.type = PMM_MSG_NONE;
	ck_assert_int_eq(msg_encode(&m, buf, sizeof(buf)), -1);
	m.env.type = PMM_MSG_COUNT;
	ck_assert_int_eq(msg_encode(&m, buf, sizeof(buf)), -1);

	/* a text array with no NUL in it */
	sample(&m, PMM_MSG_FILL, 0);
	memset(m.u.fill.client_id, 'c', PMM_ID_MAX);
	ck_assert_int_eq(msg_encode(&m, buf, sizeof(buf)), -1);
	sample(&m, PMM_MSG_FILL, 0);
	memset(m.u.fill.fee_asset, 'U', sizeof(m.u.fill.fee_asset));
	ck_assert_int_eq(msg_encode(&m, buf, sizeof(buf)), -1);

	/* non-finite prices in TICK and FILL, but fine in RISK_ACTION */
	sample(&m, PMM_MSG_TICK, 0);
	m.u.tick.ask = NAN;
	ck_assert_int_eq(msg_encode(&m, buf, sizeof(buf)), -1);
	sample(&m, PMM_MSG_FILL, 0);
	m.u.fill.qty = INFINITY;
	ck_assert_int_eq(msg_encode(&m, buf, sizeof(buf)), -1);
	sample(&m, PMM_MSG_RISK_ACTION, 0);
	ck_assert_int_gt(msg_encode(&m, buf, sizeof(buf)), 0);
}
END_TEST

/* ---- routing and names ---- */

START_TEST(test_subscribers)
{
	unsigned	t;

	ck_assert_uint_eq(msg_subscribers(PMM_MSG_TICK),
	    1u << SVC_ORDER | 1u << SVC_RISK);
	ck_assert_uint_eq(msg_subscribers(PMM_MSG_FILL),
	    1u << SVC_RISK | 1u << SVC_LOGGER);
	ck_assert_uint_eq(msg_subscribers(PMM_MSG_ORDER_EVENT),
	    1u << SVC_LOGGER);
	ck_assert_uint_eq(msg_subscribers(PMM_MSG_RISK_ACTION),
	    1u << SVC_LOGGER | 1u << SVC_ORDER);
	ck_assert_uint_eq(msg_subscribers(PMM_MSG_SVC_EVENT),
	    1u << SVC_LOGGER);
	ck_assert_uint_eq(msg_subscribers(PMM_MSG_FUNDING),
	    1u << SVC_LOGGER);
	/* nobody subscribes to control messages or to their own market */
	for (t = 0; t < PMM_MSG_TICK; t++)
		ck_assert_uint_eq(msg_subscribers((int)t), 0);
	ck_assert_uint_eq(msg_subscribers(PMM_MSG_CRASH), 0);
	ck_assert_uint_eq(msg_subscribers(-1), 0);
	ck_assert_uint_eq(msg_subscribers(999), 0);
	for (t = 0; t < PMM_MSG_COUNT; t++)
		ck_assert_uint_eq(msg_subscribers((int)t) & 1u << SVC_MARKET,
		    0);
}
END_TEST

/* Text fields: whole when they fit, cut between words when not. */
START_TEST(test_text_clip)
{
	/* Binance's -5022, the longest reject the order service sees */
	static const char rej[] = "code -5022: Due to the order could not be "
	    "executed as maker, the Post Only order will be rejected. The "
	    "order will not be recorded in the order history";
	char f[PMM_TEXT_MAX], small[24], tiny[6];

	msg_text(f, sizeof(f), rej);
	ck_assert_str_eq(f, rej);
	msg_text(small, sizeof(small), "price not a multiple of the tick");
	ck_assert_str_eq(small, "price not a multiple...");
	msg_text(small, sizeof(small), "abcdefghijklmnopqrstuvwxyz0123");
	ck_assert_str_eq(small, "abcdefghijklmnopqrst...");
	msg_text(small, sizeof(small), "exactly twenty-three ch");
	ck_assert_str_eq(small, "exactly twenty-three ch");
	msg_text(tiny, sizeof(tiny), "longer than six");
	ck_assert_str_eq(tiny, "longe");
}
END_TEST

START_TEST(test_type_names)
{
	unsigned	t, u;

	ck_assert_str_eq(msg_type_name(PMM_MSG_TICK), "TICK");
	ck_assert_str_eq(msg_type_name(PMM_MSG_ORDER_EVENT), "ORDER_EVENT");
	ck_assert_str_eq(msg_type_name(-1), "UNKNOWN");
	ck_assert_str_eq(msg_type_name(PMM_MSG_COUNT), "UNKNOWN");
	for (t = 0; t < PMM_MSG_COUNT; t++)
		for (u = t + 1; u < PMM_MSG_COUNT; u++)
			ck_assert_str_ne(msg_type_name((int)t),
			    msg_type_name((int)u));
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite	*s = suite_create("msg");
	TCase	*tc;

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip_all_types);
	tcase_add_test(tc, test_roundtrip_values_spot_check);
	tcase_add_test(tc, test_encoder_matches_independent_packing);
	tcase_add_test(tc, test_handwritten_bytes);
	tcase_add_test(tc, test_accepts_other_number_encodings);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_valid_bodies_accepted);
	tcase_add_test(tc, test_wrong_field_types);
	tcase_add_test(tc, test_wrong_body_count);
	tcase_add_test(tc, test_string_lengths);
	tcase_add_test(tc, test_envelope_refusals);
	tcase_add_test(tc, test_not_an_array);
	tcase_add_test(tc, test_truncated_every_length);
	tcase_add_test(tc, test_trailing_bytes);
	tcase_add_test(tc, test_nested_garbage);
	tcase_add_test(tc, test_error_buffer_small_or_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_encode_buffer_too_small);
	tcase_add_test(tc, test_encode_refuses_what_decode_would);
	suite_add_tcase(s, tc);

	tc = tcase_create("routing");
	tcase_add_test(tc, test_subscribers);
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_text_clip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	log_init("check_msg", LOG_LVL_WARN);
	return check_run(msg_suite());
}
