/*
 * check_ord_plan.c — from the strategy's diff to requests
 * (services/core/ord_plan.c): cancels of unanswered placements held back, one
 * placement per rung in flight, room in the table; batches of at most 5
 * places and 10 cancels; the batch JSON Binance reads (post-only LIMIT,
 * every value a string, exact prices from ticks); and the start-up
 * reconcile decision (ours cancelled, others never touched, next seq past
 * what an earlier run used). The last test runs the real strategy on a
 * table through a whole place / acknowledge / refresh cycle.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bn_filters.h"
#include "ord.h"
#include "timeutil.h"
#include "check_run.h"

#define INST	"ordt"
#define R0	1700000000000000000LL
#define T0	(100 * NS_PER_S)

static struct ord_book		b;
static struct strat_out		out;
static struct bn_filters	flt;

static void
setup(void)
{
	char why[128];

	ord_book_init(&b);
	memset(&out, 0, sizeof(out));
	bn_filters_init(&flt, "BTCUSDT");
	ck_assert_int_eq(bn_dec_parse("0.10", &flt.tick), 0);
	ck_assert_int_eq(bn_dec_parse("0.001", &flt.step), 0);
	ck_assert_int_eq(bn_dec_parse("0.001", &flt.raw_min_qty), 0);
	ck_assert_int_eq(bn_dec_parse("100", &flt.min_notional), 0);
	flt.have_price = flt.have_lot = 1;
	ck_assert_int_eq(bn_filters_finish(&flt, why, sizeof(why)), 0);
}

static struct strat_quote
quote(int side, int level, int64_t px, uint64_t seq)
{
	struct strat_quote q;

	memset(&q, 0, sizeof(q));
	q.side = (uint8_t)side;
	q.level = (uint8_t)level;
	q.px_ticks = px;
	q.qty_steps = 3;
	q.price = px / 10.0;
	q.qty = 0.003;
	strat_cid_make(q.client_id, sizeof(q.client_id), INST, side, level,
	    seq);
	return q;
}

static struct ord *
add(int side, int level, int64_t px, uint64_t seq, enum ord_state st)
{
	struct strat_quote q = quote(side, level, px, seq);
	struct ord *o = ord_add(&b, &q, R0);

	o->state = st;
	return o;
}

START_TEST(test_plan_holds)
{
	struct ord_plan p;

	add(STRAT_BUY, 1, 599940, 1, ORD_PENDING);	/* 0: unanswered */
	add(STRAT_BUY, 2, 599880, 2, ORD_OPEN);		/* 1 */
	add(STRAT_SELL, 1, 600060, 3, ORD_OPEN)->retry_at_ns = T0 + 1;
	add(STRAT_SELL, 2, 600120, 4, ORD_OPEN)->unknown = true;
	out.n_cancel = 4;
	out.cancel[0] = 0;
	out.cancel[1] = 1;
	out.cancel[2] = 2;
	out.cancel[3] = 3;
	out.n_place = 3;
	out.place[0] = quote(STRAT_BUY, 1, 599950, 10);	/* rung 1 in flight */
	out.place[1] = quote(STRAT_BUY, 2, 599890, 11);
	out.place[2] = quote(STRAT_SELL, 2, 600130, 12);/* unknown: busy */
	ord_plan_make(&b, &out, T0, &p);
	ck_assert_int_eq(p.n_cancel, 1);
	ck_assert_int_eq(p.cancel[0], 1);
	ck_assert_int_eq(p.held_cancels, 3);
	ck_assert_int_eq(p.n_place, 1);
	ck_assert_int_eq(p.place[0], 1);
	ck_assert_int_eq(p.held_places, 2);
	/* the retry time passed: that cancel may go now */
	ord_plan_make(&b, &out, T0 + 1, &p);
	ck_assert_int_eq(p.n_cancel, 2);
}
END_TEST

START_TEST(test_plan_room_and_duplicates)
{
	struct ord_plan p;
	int i;

	for (i = 0; i < ORD_MAX - 2; i++)
		add(STRAT_BUY, 20, 590000 + i, 100 + (uint64_t)i, ORD_OPEN);
	out.n_place = 4;
	out.place[0] = quote(STRAT_BUY, 1, 599950, 1);
	out.place[1] = quote(STRAT_BUY, 1, 599940, 2);	/* same rung again */
	out.place[2] = quote(STRAT_SELL, 1, 600050, 3);
	out.place[3] = quote(STRAT_SELL, 2, 600110, 4);	/* no room left */
	ord_plan_make(&b, &out, T0, &p);
	ck_assert_int_eq(p.n_place, 2);
	ck_assert_int_eq(p.place[0], 0);
	ck_assert_int_eq(p.place[1], 2);
	ck_assert_int_eq(p.held_places, 2);
}
END_TEST

START_TEST(test_batches)
{
	int first, n, sizes[8], k = 0;

	for (first = 0; (n = ord_batch_len(12, first, ORD_CANCEL_BATCH)) > 0;
	    first += n)
		sizes[k++] = n;
	ck_assert_int_eq(k, 2);
	ck_assert(sizes[0] == 10 && sizes[1] == 2);
	k = 0;
	for (first = 0; (n = ord_batch_len(6, first, ORD_PLACE_BATCH)) > 0;
	    first += n)
		sizes[k++] = n;
	ck_assert_int_eq(k, 2);
	ck_assert(sizes[0] == 5 && sizes[1] == 1);
	ck_assert_int_eq(ord_batch_len(5, 0, ORD_PLACE_BATCH), 5);
	ck_assert_int_eq(ord_batch_len(0, 0, ORD_PLACE_BATCH), 0);
	ck_assert_int_eq(ord_batch_len(3, 5, ORD_PLACE_BATCH), 0);
}
END_TEST

START_TEST(test_json_places)
{
	struct strat_quote q1 = quote(STRAT_BUY, 1, 599940, 7);
	struct strat_quote q2 = quote(STRAT_SELL, 2, 600123, 8);
	const struct strat_quote *qs[6] = { &q1, &q2, &q1, &q1, &q1, &q1 };
	char buf[2048], small[40];
	json_error_t jerr;
	json_t *j, *o;
	int n;

	n = ord_json_places(qs, 2, "BTCUSDT", &flt, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq((int)strlen(buf), n);
	j = json_loads(buf, 0, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_array_size(j), 2);
	o = json_array_get(j, 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "symbol")),
	    "BTCUSDT");
	ck_assert_str_eq(json_string_value(json_object_get(o, "side")), "BUY");
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")),
	    "LIMIT");
	ck_assert_str_eq(json_string_value(json_object_get(o,
	    "timeInForce")), "GTX");
	ck_assert_str_eq(json_string_value(json_object_get(o, "price")),
	    "59994.0");
	ck_assert_str_eq(json_string_value(json_object_get(o, "quantity")),
	    "0.003");
	ck_assert_str_eq(json_string_value(json_object_get(o,
	    "newClientOrderId")), q1.client_id);
	o = json_array_get(j, 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "side")),
	    "SELL");
	ck_assert_str_eq(json_string_value(json_object_get(o, "price")),
	    "60012.3");
	json_decref(j);
	/* Binance takes 5 at most; nothing; a buffer too small */
	ck_assert_int_eq(ord_json_places(qs, 6, "BTCUSDT", &flt, buf,
	    sizeof(buf)), -1);
	ck_assert_int_eq(ord_json_places(qs, 0, "BTCUSDT", &flt, buf,
	    sizeof(buf)), -1);
	ck_assert_int_eq(ord_json_places(qs, 1, "BTCUSDT", &flt, small,
	    sizeof(small)), -1);
	ck_assert_int_gt(ord_json_places(qs, 5, "BTCUSDT", &flt, buf,
	    sizeof(buf)), 0);
	/* a quote without a price or a client id is a bug, not an order */
	q2.px_ticks = 0;
	ck_assert_int_eq(ord_json_places(&qs[1], 1, "BTCUSDT", &flt, buf,
	    sizeof(buf)), -1);
	q1.client_id[0] = '\0';
	ck_assert_int_eq(ord_json_places(qs, 1, "BTCUSDT", &flt, buf,
	    sizeof(buf)), -1);
}
END_TEST

START_TEST(test_json_cids)
{
	const char *ids[11] = { "a-B1-1", "a-S1-2", "x", "x", "x", "x", "x",
	    "x", "x", "x", "x" };
	char buf[1024];

	ck_assert_int_gt(ord_json_cids(ids, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "[\"a-B1-1\",\"a-S1-2\"]");
	ck_assert_int_gt(ord_json_cids(ids, 10, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ord_json_cids(ids, 11, buf, sizeof(buf)), -1);
	ck_assert_int_eq(ord_json_cids(ids, 0, buf, sizeof(buf)), -1);
	ck_assert_int_eq(ord_json_cids(ids, 2, buf, 10), -1);
}
END_TEST

static struct bn_order
open_order(const char *cid)
{
	struct bn_order o;

	memset(&o, 0, sizeof(o));
	snprintf(o.clientOrderId, sizeof(o.clientOrderId), "%s", cid);
	o.status = BN_ST_NEW;
	return o;
}

START_TEST(test_reconcile)
{
	struct bn_order os[6];
	char cids[2][PMM_ID_MAX], id[PMM_ID_MAX];
	uint64_t seq = 5;
	int foreign = -1, n;

	os[0] = open_order("ordt-B1-10");	/* ours, seq 36 */
	os[1] = open_order("web_abc123");	/* someone's by hand */
	os[2] = open_order("ordt2-S1-zz");	/* another instance */
	strat_cid_make(id, sizeof(id), INST, STRAT_SELL, 3, 1000000);
	os[3] = open_order(id);			/* ours, the highest */
	os[4] = open_order("ordt-X1-1");	/* not an id of ours */
	os[5] = open_order("ordt-S2-1");
	n = ord_reconcile(os, 6, INST, cids, 2, &seq, &foreign);
	ck_assert_int_eq(n, 3);			/* one did not fit */
	ck_assert_int_eq(foreign, 3);
	ck_assert_str_eq(cids[0], "ordt-B1-10");
	ck_assert_str_eq(cids[1], id);
	ck_assert_uint_eq(seq, 1000000);
	/* a seq already past them stays */
	seq = 2000000;
	ck_assert_int_eq(ord_reconcile(os, 6, INST, cids, 2, &seq, &foreign),
	    3);
	ck_assert_uint_eq(seq, 2000000);
	ck_assert_int_eq(ord_reconcile(os, 0, INST, cids, 2, &seq, &foreign),
	    0);
	ck_assert_int_eq(foreign, 0);
}
END_TEST

/* The real strategy on the table: a first ladder, its acknowledgement, a
 * tick (gaps only: nothing to do), a refresh in replace mode (cancel all,
 * place a new ladder, never a second placement of a busy rung). */
START_TEST(test_cycle_with_strategy)
{
	const struct strat_impl *impl = strat_find("simple_mm", NULL, 0);
	struct strat_order so[ORD_MAX];
	struct ord_counts c;
	struct ord_effect e;
	struct bn_order a;
	struct strat_in in;
	struct ord_plan p;
	int i;

	memset(&c, 0, sizeof(c));
	memset(&in, 0, sizeof(in));
	in.mkt.bid = 59999.9;
	in.mkt.ask = 60000.1;
	in.mkt.mid = 60000.0;
	in.cfg.levels = 3;
	in.cfg.qty_usdt = 150;
	in.cfg.offset_pct = 0.01;
	in.cfg.refresh_mode = CFG_REFRESH_REPLACE;
	ck_assert_int_eq(strat_filters_from_bn(&in.flt, &flt), 0);
	in.instance = INST;
	in.next_seq = 100;
	in.refresh = true;
	in.open = so;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ord_plan_make(&b, &out, T0, &p);
	ck_assert_int_eq(p.n_place, 6);
	for (i = 0; i < p.n_place; i++)
		ord_add(&b, &out.place[p.place[i]], R0);
	/* a tick before any answer: every rung busy, nothing more */
	in.refresh = false;
	in.next_seq = out.next_seq;
	in.n_open = ord_to_strat(&b, in.flt.step, so, ORD_MAX);
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ord_plan_make(&b, &out, T0, &p);
	ck_assert_int_eq(p.n_place + p.n_cancel, 0);
	/* a refresh before the answers: still nothing goes out */
	in.refresh = true;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ord_plan_make(&b, &out, T0, &p);
	ck_assert_int_eq(p.n_place + p.n_cancel, 0);
	ck_assert_int_eq(p.held_cancels, 6);
	/* acknowledged */
	for (i = b.n - 1; i >= 0; i--) {
		memset(&e, 0, sizeof(e));
		a = open_order(b.o[i].cid);
		ord_on_place_ok(&b, &a, R0, &c, &e);
	}
	ck_assert_uint_eq(c.placed, 6);
	ck_assert_int_eq(ord_count_state(&b, ORD_OPEN), 6);
	/* the refresh: six cancels and six new rungs, batched 10 and 5+1 */
	in.n_open = ord_to_strat(&b, in.flt.step, so, ORD_MAX);
	in.mkt.bid += 10;
	in.mkt.ask += 10;
	in.mkt.mid += 10;
	ck_assert_int_eq(strat_eval(impl, &in, &out), 0);
	ord_plan_make(&b, &out, T0, &p);
	ck_assert_int_eq(p.n_cancel, 6);
	ck_assert_int_eq(p.n_place, 6);
	ck_assert_int_eq(ord_batch_len(p.n_cancel, 0, ORD_CANCEL_BATCH), 6);
	ck_assert_int_eq(ord_batch_len(p.n_place, 0, ORD_PLACE_BATCH), 5);
	ck_assert_int_eq(ord_batch_len(p.n_place, 5, ORD_PLACE_BATCH), 1);
	/* B1 at 60010 x (1 - 0.0001) = 60003.999, rounded down a tick */
	ck_assert_int_eq(out.place[p.place[0]].side, STRAT_BUY);
	ck_assert_int_eq(out.place[p.place[0]].px_ticks, 600039);
}
END_TEST

START_TEST(test_anchor)
{
	/* the first ladder, even placed by a tick (no refresh), anchors */
	ck_assert(ord_anchor(0, 60000.1, true, false, 0) == 60000.1);
	ck_assert(ord_anchor(0, 60000.1, true, false, 3) == 60000.1);
	/* a gap fill beside live orders keeps the anchor */
	ck_assert(ord_anchor(60000.1, 60002.0, true, false, 5) == 60000.1);
	/* a refresh, or a ladder from nothing (after a pause), moves it */
	ck_assert(ord_anchor(60000.1, 60002.0, true, true, 6) == 60002.0);
	ck_assert(ord_anchor(60000.1, 60009.0, true, false, 0) == 60009.0);
	/* not quoting (paused, stale, bad book): the anchor stays */
	ck_assert(ord_anchor(60000.1, 60009.0, false, true, 0) == 60000.1);
	ck_assert(ord_anchor(0, 0, true, true, 0) == 0);
}
END_TEST

static Suite *
ord_plan_suite(void)
{
	Suite *s = suite_create("ord_plan");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_plan_holds);
	tcase_add_test(tc, test_plan_room_and_duplicates);
	tcase_add_test(tc, test_batches);
	tcase_add_test(tc, test_json_places);
	tcase_add_test(tc, test_json_cids);
	tcase_add_test(tc, test_reconcile);
	tcase_add_test(tc, test_cycle_with_strategy);
	tcase_add_test(tc, test_anchor);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ord_plan_suite());
}
