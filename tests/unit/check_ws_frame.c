/*
 * check_ws_frame.c — pmm-exchange's market frames written in place
 * (ws_fmt_*, sim/ws.c) must be the very bytes jansson makes of the same
 * event (json_pack + json_dumps, compact, keys in Binance's order), the
 * way ws.c built them before: a subscriber may compare frames byte for
 * byte, and a replay's frames must not change with the speed-up. Values
 * are drawn from a fixed seed over the ranges a book has, plus the edges
 * (negative, zero, huge ids, symbols that need escaping).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "check_run.h"

#define NROUNDS	2000

static const char *const syms[] = {
	"BTCUSDT", "1000PEPEUSDT", "A\"B", "back\\slash", "tab\there",
	"caf\xc3\xa9", "sl/ash", "",
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A value on a grid of 10^-prec, as prices and quantities are. */
static double
grid(uint64_t *s, int prec)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8 };
	int64_t n = (int64_t)(rnd(s) % 20000000000ULL);

	if (rnd(s) % 16 == 0)
		n = 0;
	if (rnd(s) % 32 == 0)
		n = -n;
	return (double)n / p10[prec];
}

static int64_t
id(uint64_t *s)
{
	switch (rnd(s) % 4) {
	case 0: return 0;
	case 1: return -(int64_t)(rnd(s) % 1000);
	case 2: return INT64_MAX - (int64_t)(rnd(s) % 3);
	default: return (int64_t)(rnd(s) >> 2);
	}
}

/* The jansson bytes of j (stolen), as ws.c sent them. */
static char *
dump(json_t *j)
{
	char *s;

	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void
same(struct wire_buf *b, char *want)
{
	ck_assert_uint_eq(b->len, strlen(want));
	ck_assert_msg(memcmp(b->p, want, b->len) == 0, "got %.*s\nwant %s",
	    (int)b->len, b->p, want);
	free(want);
	b->len = 0;
}

static void
event(uint64_t *s, struct exch_mkt_event *e)
{
	memset(e, 0, sizeof(*e));
	e->symbol = syms[rnd(s) % (sizeof(syms) / sizeof(syms[0]))];
	e->price_precision = (int)(rnd(s) % 9);
	e->qty_precision = (int)(rnd(s) % 9);
	e->E_ms = id(s);
	e->T_ms = id(s);
}

START_TEST(test_book_ticker)
{
	struct exch_mkt_event	e;
	struct wire_buf		b = { 0 };
	uint64_t		s = 0x9e3779b97f4a7c15ULL;
	int			i, pp, qp;

	for (i = 0; i < NROUNDS; i++) {
		event(&s, &e);
		pp = e.price_precision;
		qp = e.qty_precision;
		e.bt.u = id(&s);
		e.bt.b = grid(&s, pp);
		e.bt.B = grid(&s, qp);
		e.bt.a = grid(&s, pp);
		e.bt.A = grid(&s, qp);
		ck_assert_int_eq(ws_fmt_book_ticker(&b, &e), 0);
		same(&b, dump(json_pack("{s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:I,s:I}",
		    "e", "bookTicker", "u", (json_int_t)e.bt.u, "s", e.symbol,
		    "b", json_num(e.bt.b, pp), "B", json_num(e.bt.B, qp),
		    "a", json_num(e.bt.a, pp), "A", json_num(e.bt.A, qp),
		    "T", (json_int_t)e.T_ms, "E", (json_int_t)e.E_ms)));
	}
	wire_buf_free(&b);
}
END_TEST

START_TEST(test_trade)
{
	struct exch_mkt_event	e;
	struct wire_buf		b = { 0 };
	uint64_t		s = 0x1234567887654321ULL;
	int			i;

	for (i = 0; i < NROUNDS; i++) {
		event(&s, &e);
		e.trade.t = id(&s);
		e.trade.p = grid(&s, e.price_precision);
		e.trade.q = grid(&s, e.qty_precision);
		e.trade.m = rnd(&s) % 2;
		ck_assert_int_eq(ws_fmt_trade(&b, &e), 0);
		same(&b, dump(json_pack("{s:s,s:I,s:I,s:s,s:I,s:o,s:o,s:s,s:b}",
		    "e", "trade", "E", (json_int_t)e.E_ms, "T",
		    (json_int_t)e.T_ms, "s", e.symbol, "t",
		    (json_int_t)e.trade.t, "p", json_num(e.trade.p,
		    e.price_precision), "q", json_num(e.trade.q,
		    e.qty_precision), "X", "MARKET", "m", e.trade.m)));
	}
	wire_buf_free(&b);
}
END_TEST

static json_t *
levels(const struct exch_level *lv, int n, int pp, int qp)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[o,o]",
		    json_num(lv[i].price, pp), json_num(lv[i].qty, qp)));
	return a;
}

START_TEST(test_depth_and_combined)
{
	static struct exch_level	lv[2][600];
	struct exch_symbol_spec		sp;
	struct exch_mkt_event		e;
	struct wire_buf			b = { 0 }, c = { 0 };
	uint64_t			s = 0xdeadbeefcafef00dULL;
	int64_t				U, u, pu;
	int				i, k, n[2], pp, qp;
	char				*want, name[64];

	for (i = 0; i < NROUNDS / 4; i++) {
		event(&s, &e);
		memset(&sp, 0, sizeof(sp));
		snprintf(sp.symbol, sizeof(sp.symbol), "%s", e.symbol);
		pp = sp.price_precision = e.price_precision;
		qp = sp.qty_precision = e.qty_precision;
		for (k = 0; k < 2; k++) {
			n[k] = (int)(rnd(&s) % 4 == 0 ? 0 : rnd(&s) % 600);
			for (int j = 0; j < n[k]; j++) {
				lv[k][j].price = grid(&s, pp);
				lv[k][j].qty = grid(&s, qp);
			}
		}
		U = id(&s);
		u = id(&s);
		pu = id(&s);
		ck_assert_int_eq(ws_fmt_depth(&b, &sp, e.E_ms, e.T_ms, U, u, pu,
		    lv[0], n[0], lv[1], n[1]), 0);
		want = dump(json_pack("{s:s,s:I,s:I,s:s,s:I,s:I,s:I,s:o,s:o}",
		    "e", "depthUpdate", "E", (json_int_t)e.E_ms, "T",
		    (json_int_t)e.T_ms, "s", sp.symbol, "U", (json_int_t)U,
		    "u", (json_int_t)u, "pu", (json_int_t)pu,
		    "b", levels(lv[0], n[0], pp, qp),
		    "a", levels(lv[1], n[1], pp, qp)));
		/* the combined stream wraps the same event */
		snprintf(name, sizeof(name), "%s@depth@0ms", e.symbol);
		ck_assert_int_eq(ws_fmt_combined(&c, name, b.p, b.len), 0);
		same(&c, dump(json_pack("{s:s,s:o}", "stream", name, "data",
		    json_loads(want, 0, NULL))));
		same(&b, want);
	}
	wire_buf_free(&b);
	wire_buf_free(&c);
}
END_TEST

/* What jansson cannot encode is no frame at all, as before. */
START_TEST(test_not_utf8)
{
	struct exch_mkt_event	e;
	struct wire_buf		b = { 0 };

	memset(&e, 0, sizeof(e));
	e.symbol = "BAD\xff";
	e.price_precision = 2;
	ck_assert_int_eq(ws_fmt_book_ticker(&b, &e), -1);
	ck_assert_ptr_null(json_pack("{s:s}", "s", e.symbol));
	b.len = 0;
	ck_assert_int_eq(ws_fmt_combined(&b, "x\xc3", "{}", 2), -1);
	wire_buf_free(&b);
}
END_TEST

static Suite *
ws_frame_suite(void)
{
	Suite	*s = suite_create("ws_frame");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_book_ticker);
	tcase_add_test(tc, test_trade);
	tcase_add_test(tc, test_depth_and_combined);
	tcase_add_test(tc, test_not_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ws_frame_suite());
}
