/*
 * check_ord_fills.c — the fill ledger (services/core/ord_fills.c): stream fills
 * move the watermark only while nothing is owed; a catch-up publishes
 * exactly the trades nobody heard, in id order, with their orders named;
 * a fill the stream and the catch-up both see goes out once; a full page
 * asks for the next; a gap during a catch-up leaves one owed; the
 * persisted line brings a new process back to exactly where the old one
 * was, even mid-page; ids that go backwards never silence the stream.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ord.h"
#include "timeutil.h"
#include "check_run.h"

#define INST	"mm1"

static struct bn_user_trade *
page_of(const int64_t *ids, const int64_t *oids, int n)
{
	struct bn_user_trade *t = calloc((size_t)(n > 0 ? n : 1), sizeof(*t));
	int i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < n; i++) {
		t[i].id = ids[i];
		t[i].orderId = oids[i];
		t[i].side = i % 2 ? BN_SIDE_SELL : BN_SIDE_BUY;
		t[i].price = 60000 + i;
		t[i].qty = 0.002;
		t[i].commission = 0.012;
		snprintf(t[i].commissionAsset, sizeof(t[i].commissionAsset),
		    "USDT");
		t[i].realizedPnl = 0.25;
		t[i].maker = 1;
		t[i].time = 1700000000000LL + ids[i];
	}
	return t;
}

/* A ledger that knows safe and owes nothing. */
static void
ledger_at(struct ord_fills *f, int64_t safe)
{
	char line[64];

	ordf_init(f);
	snprintf(line, sizeof(line), "pmm-fills 1 safe=%lld above=\n",
	    (long long)safe);
	ck_assert_int_eq(ordf_load(f, line), 0);
}

/* Drain the page: the ids published, at most cap. */
static int
drain(struct ord_fills *f, const struct ord_book *b, int64_t *out, int cap,
    int *last)
{
	struct pmm_fill fl;
	int n = 0, rc;

	while ((rc = ordf_next(f, b, INST, &fl)) == ORDF_FILL) {
		ck_assert(fl.recovered);
		ck_assert_int_lt(n, cap);
		out[n++] = fl.trade_id;
	}
	*last = rc;
	return n;
}

START_TEST(test_stream_moves_safe)
{
	struct ord_fills f;
	int64_t from;
	int limit;

	ledger_at(&f, 100);
	f.owed = false;
	ck_assert(ordf_stream_fill(&f, 120));
	ck_assert_int_eq(f.safe, 120);
	ck_assert(!ordf_stream_fill(&f, 120));		/* once */
	ck_assert(ordf_stream_fill(&f, 0));		/* no id: let it go */
	/* a gap: the watermark stays, the fill is remembered above it */
	ordf_gap(&f);
	ck_assert(ordf_stream_fill(&f, 130));
	ck_assert_int_eq(f.safe, 120);
	ck_assert_int_eq(f.nabove, 1);
	ck_assert(ordf_due(&f, 0));
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(from, 121);
	ck_assert_int_eq(limit, ORDF_PAGE);
	ck_assert(!ordf_due(&f, 0));			/* under way */
	ordf_free(&f);
}
END_TEST

START_TEST(test_first_run_starts_at_newest)
{
	struct ord_fills f;
	struct ord_book b;
	struct pmm_fill fl;
	int64_t from, id = 5000, oid = 9;
	int limit;

	ordf_init(&f);
	ord_book_init(&b);
	ck_assert(f.owed && !f.known);
	ck_assert_int_eq(ordf_format(&f, (char[64]){0}, 64), -1);
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(from, 0);
	ck_assert_int_eq(limit, 1);
	ck_assert_int_eq(ordf_page(&f, page_of(&id, &oid, 1), 1, 1), 0);
	/* nothing from before the first run is published */
	ck_assert_int_eq(ordf_next(&f, &b, INST, &fl), ORDF_IDLE);
	ck_assert(f.known && !f.owed);
	ck_assert_int_eq(f.safe, 5000);
	ck_assert(ordf_stream_fill(&f, 5001));
	ck_assert_int_eq(f.safe, 5001);
}
END_TEST

START_TEST(test_catch_up_names_and_dedups)
{
	static const int64_t ids[] = { 101, 103, 105, 107 };
	static const int64_t oids[] = { 7, 8, 8, 9 };
	struct ord_fills f;
	struct ord_book b;
	struct pmm_fill fl;
	int64_t want[8], got[8], from;
	int limit, n, last;

	ledger_at(&f, 100);
	ord_book_init(&b);
	/* order 9 is in the table: its name is known */
	snprintf(b.o[0].cid, sizeof(b.o[0].cid), "mm1-S2-abc");
	b.o[0].order_id = 9;
	b.n = 1;
	/* the stream comes up and hears 105 before the page answers */
	ck_assert(ordf_stream_fill(&f, 105));
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(ordf_page(&f, page_of(ids, oids, 4), 4, limit), 0);
	ck_assert_int_eq(ordf_next(&f, &b, INST, &fl), ORDF_WAIT);
	n = ordf_wanted(&f, &b, want, 8);
	ck_assert_int_eq(n, 2);				/* 7 and 8, once each */
	ck_assert_int_eq(want[0], 7);
	ck_assert_int_eq(want[1], 8);
	ck_assert_int_eq(ordf_wanted(&f, &b, want, 8), 0);	/* asked */
	ordf_named(&f, 7, "mm1-B1-xyz");
	ck_assert_int_eq(ordf_next(&f, &b, INST, &fl), ORDF_FILL);
	ck_assert_int_eq(fl.trade_id, 101);
	ck_assert_str_eq(fl.client_id, "mm1-B1-xyz");
	ck_assert_int_eq(fl.level, 1);
	ck_assert_int_eq(fl.side, STRAT_BUY);
	ck_assert_int_eq(fl.order_id, 7);
	ck_assert(fl.maker && fl.recovered);
	ck_assert_int_eq(fl.trade_ts_ns, (1700000000000LL + 101) * NS_PER_MS);
	ck_assert_double_eq(fl.fee, 0.012);
	ck_assert_str_eq(fl.fee_asset, "USDT");
	ck_assert_double_eq(fl.realized_pnl, 0.25);
	ck_assert_int_eq(ordf_next(&f, &b, INST, &fl), ORDF_WAIT);	/* 8 */
	ordf_named(&f, 8, "");		/* cannot be named: out anyway */
	n = drain(&f, &b, got, 8, &last);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(got[0], 103);			/* 105: the stream's */
	ck_assert_int_eq(got[1], 107);
	ck_assert_int_eq(last, ORDF_DONE);
	ck_assert_int_eq(f.safe, 107);
	ck_assert_int_eq(f.nabove, 0);
	ck_assert(!f.owed && !f.busy);
	/* the stream's late copy of a recovered fill goes out no more */
	ck_assert(!ordf_stream_fill(&f, 107));
	ck_assert(!ordf_stream_fill(&f, 103));
}
END_TEST

START_TEST(test_full_page_asks_more)
{
	struct ord_fills f;
	struct ord_book b;
	int64_t ids[ORDF_PAGE], oids[ORDF_PAGE], got[ORDF_PAGE], from;
	int i, limit, last;

	ledger_at(&f, 0);
	ord_book_init(&b);
	for (i = 0; i < ORDF_PAGE; i++) {
		ids[i] = 10 + 2 * i;
		oids[i] = 500;
	}
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(from, 1);
	ck_assert_int_eq(ordf_page(&f, page_of(ids, oids, ORDF_PAGE),
	    ORDF_PAGE, limit), 0);
	ck_assert_int_eq(drain(&f, &b, got, ORDF_PAGE, &last), 0);
	ck_assert_int_eq(last, ORDF_WAIT);
	ck_assert_int_eq(ordf_wanted(&f, &b, got, 8), 1);
	ck_assert_int_eq(got[0], 500);
	ordf_named(&f, 500, "other-bot-1");
	ck_assert_int_eq(drain(&f, &b, got, ORDF_PAGE, &last), ORDF_PAGE);
	ck_assert_int_eq(got[0], 10);
	ck_assert_int_eq(got[ORDF_PAGE - 1], ids[ORDF_PAGE - 1]);
	ck_assert_int_eq(last, ORDF_MORE);
	ck_assert(f.owed);
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(from, ids[ORDF_PAGE - 1] + 1);
	ck_assert_int_eq(ordf_page(&f, NULL, 0, limit), 0);
	ck_assert_int_eq(drain(&f, &b, got, 1, &last), 0);
	ck_assert_int_eq(last, ORDF_DONE);
	ck_assert(!f.owed);
}
END_TEST

START_TEST(test_gap_during_catch_up)
{
	static const int64_t ids[] = { 201 };
	static const int64_t oids[] = { 3 };
	struct ord_fills f;
	struct ord_book b;
	int64_t got[4], from;
	int limit, last;

	ledger_at(&f, 200);
	ord_book_init(&b);
	ordf_page_req(&f, &from, &limit);
	ordf_gap(&f);			/* the stream fell while it was asked */
	ck_assert_int_eq(ordf_page(&f, page_of(ids, oids, 1), 1, limit), 0);
	ordf_wanted(&f, &b, got, 4);
	ordf_named(&f, 3, "x");
	ck_assert_int_eq(drain(&f, &b, got, 4, &last), 1);
	ck_assert_int_eq(last, ORDF_DONE);
	ck_assert_int_eq(f.safe, 201);
	ck_assert(f.owed);		/* another round, from 202 */
	ck_assert(ordf_due(&f, 0));
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(from, 202);
	ordf_free(&f);
}
END_TEST

START_TEST(test_failure_retries_later)
{
	struct ord_fills f;
	int64_t from;
	int limit;

	ledger_at(&f, 10);
	ordf_page_req(&f, &from, &limit);
	ordf_failed(&f, 5 * NS_PER_S);
	ck_assert(!ordf_due(&f, 5 * NS_PER_S - 1));
	ck_assert(ordf_due(&f, 5 * NS_PER_S));
	/* an answer that is not ascending is refused, not half-published */
	{
		static const int64_t ids[] = { 20, 15 };
		static const int64_t oids[] = { 1, 1 };

		ordf_page_req(&f, &from, &limit);
		ck_assert_int_eq(ordf_page(&f, page_of(ids, oids, 2), 2,
		    limit), -1);
		ck_assert_int_eq(f.safe, 10);
	}
}
END_TEST

START_TEST(test_persisted_line)
{
	struct ord_fills f, g;
	struct ord_book b;
	char line[ORDF_LINE_MAX];
	static const int64_t ids[] = { 301, 302, 303 };
	static const int64_t oids[] = { 4, 4, 4 };
	struct pmm_fill fl;
	int64_t from, got[4];
	int limit, last, i;

	ledger_at(&f, 300);
	ord_book_init(&b);
	ck_assert(ordf_stream_fill(&f, 310));	/* owed: kept above */
	ck_assert(ordf_stream_fill(&f, 312));
	ordf_page_req(&f, &from, &limit);
	ck_assert_int_eq(ordf_page(&f, page_of(ids, oids, 3), 3, limit), 0);
	ordf_wanted(&f, &b, got, 4);
	ordf_named(&f, 4, "mm1-B1-q");
	ck_assert_int_eq(ordf_next(&f, &b, INST, &fl), ORDF_FILL);
	ck_assert_int_eq(fl.trade_id, 301);
	/* the process dies here: a new one reads the line */
	ck_assert_int_gt(ordf_format(&f, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "pmm-fills 1 safe=301 above=310,312\n");
	ordf_init(&g);
	ck_assert_int_eq(ordf_load(&g, line), 0);
	ordf_page_req(&g, &from, &limit);
	ck_assert_int_eq(from, 302);
	{
		static const int64_t ids2[] = { 302, 303, 310, 311, 312 };
		static const int64_t oids2[] = { 4, 4, 5, 5, 5 };

		ck_assert_int_eq(ordf_page(&g, page_of(ids2, oids2, 5), 5,
		    limit), 0);
	}
	ordf_wanted(&g, &b, got, 4);
	ordf_named(&g, 4, "mm1-B1-q");
	ordf_named(&g, 5, "mm1-S1-r");
	i = drain(&g, &b, got, 4, &last);
	ck_assert_int_eq(i, 3);
	ck_assert_int_eq(got[0], 302);
	ck_assert_int_eq(got[1], 303);
	ck_assert_int_eq(got[2], 311);	/* 310 and 312 were out already */
	ck_assert_int_eq(last, ORDF_DONE);
	ck_assert_int_eq(g.safe, 312);
	ordf_free(&f);

	/* lines this program did not write are refused whole */
	ordf_init(&g);
	ck_assert_int_eq(ordf_load(&g, ""), -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 2 safe=1 above=\n"), -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=-1 above=\n"), -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=9 above=3\n"), -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=9 above=12,x\n"),
	    -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=9 abv=\n"), -1);
	ck_assert(!g.known);
}
END_TEST

START_TEST(test_ids_backwards)
{
	struct ord_fills f;

	ledger_at(&f, 900000);
	f.owed = false;
	/* a fresh local exchange counts from 1 again: heard, not dropped */
	ck_assert(ordf_stream_fill(&f, 12));
	ck_assert(f.reset);
	ck_assert_int_eq(f.safe, 12);
	ck_assert(ordf_stream_fill(&f, 13));
	ck_assert_int_eq(f.safe, 13);
	ck_assert(!ordf_stream_fill(&f, 12));
}
END_TEST

START_TEST(test_above_is_bounded)
{
	struct ord_fills f;
	char line[ORDF_LINE_MAX];
	int i;

	ledger_at(&f, 1);
	for (i = 0; i < ORDF_ABOVE + 5; i++)
		ck_assert(ordf_stream_fill(&f, 100 + i));
	ck_assert_int_eq(f.nabove, ORDF_ABOVE);
	ck_assert_int_eq(f.above_lost, 5);
	ck_assert_int_eq(f.above[0], 105);
	ck_assert_int_gt(ordf_format(&f, line, sizeof(line)), 0);
	ordf_init(&f);
	ck_assert_int_eq(ordf_load(&f, line), 0);
	ck_assert_int_eq(f.nabove, ORDF_ABOVE);
}
END_TEST

START_TEST(test_names_make_room)
{
	struct ord_fills f;
	struct ord_book b;
	int64_t ids[ORDF_NAMES + 3], oids[ORDF_NAMES + 3], want[8], got[128];
	int64_t from;
	int i, n, last, total = 0, rounds = 0;

	ledger_at(&f, 0);
	ord_book_init(&b);
	for (i = 0; i < ORDF_NAMES + 3; i++) {
		ids[i] = 1 + i;
		oids[i] = 1000 + i;	/* every fill its own order */
	}
	ordf_page_req(&f, &from, &n);
	ck_assert_int_eq(ordf_page(&f, page_of(ids, oids, ORDF_NAMES + 3),
	    ORDF_NAMES + 3, ORDF_PAGE), 0);
	do {
		while ((n = ordf_wanted(&f, &b, want, 8)) > 0)
			for (i = 0; i < n; i++)
				ordf_named(&f, want[i], "n");
		total += drain(&f, &b, got, 128, &last);
		ck_assert_int_lt(++rounds, 20);
	} while (last == ORDF_WAIT);
	ck_assert_int_eq(last, ORDF_DONE);
	ck_assert_int_eq(total, ORDF_NAMES + 3);
}
END_TEST

/* The since-start tally pmmctl status shows: sides, maker, fees by asset. */
START_TEST(test_tally)
{
	struct shm_fill_tally t;
	struct pmm_fill f;

	memset(&t, 0, sizeof(t));
	memset(&f, 0, sizeof(f));
	f.side = 0; f.price = 100; f.qty = 0.5; f.fee = 0.01; f.maker = true;
	f.realized_pnl = 0;
	snprintf(f.fee_asset, sizeof(f.fee_asset), "USDT");
	ordf_tally(&t, &f, "BTCUSDT");
	f.side = 1; f.price = 110; f.qty = 0.25; f.fee = 0.02; f.maker = false;
	f.realized_pnl = 2.5;
	ordf_tally(&t, &f, "BTCUSDT");
	/* a fee in BNB is counted apart, never added to the USDT fees */
	snprintf(f.fee_asset, sizeof(f.fee_asset), "BNB");
	f.fee = 0.001; f.realized_pnl = NAN;
	ordf_tally(&t, &f, "BTCUSDT");
	ck_assert_uint_eq(t.buys, 1);
	ck_assert_uint_eq(t.sells, 2);
	ck_assert_uint_eq(t.maker, 1);
	ck_assert_uint_eq(t.fee_other, 1);
	ck_assert_double_eq_tol(t.buy_qty, 0.5, 1e-12);
	ck_assert_double_eq_tol(t.sell_qty, 0.5, 1e-12);
	ck_assert_double_eq_tol(t.buy_quote, 50, 1e-9);
	ck_assert_double_eq_tol(t.sell_quote, 55, 1e-9);
	ck_assert_double_eq_tol(t.fees, 0.03, 1e-12);
	ck_assert_double_eq_tol(t.realized, 2.5, 1e-12);
}
END_TEST

/*
 * Funding: an ACCOUNT_UPDATE FUNDING_FEE in the quote asset counts while
 * the tree holds a position; flat, it is another symbol's (the cross
 * update names none); other reasons and other assets never count.
 */
START_TEST(test_funding)
{
	struct shm_fill_tally t;
	struct bn_account_update au;
	struct pmm_funding fu;

	memset(&t, 0, sizeof(t));
	memset(&au, 0, sizeof(au));
	snprintf(au.m, sizeof(au.m), "FUNDING_FEE");
	au.E = 1723190400001;
	au.T = 1723190400000;
	au.nB = 1;
	snprintf(au.B[0].a, sizeof(au.B[0].a), "USDT");
	au.B[0].wb = 999.94;
	au.B[0].bc = -0.06000005;
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", 0.01, &fu), 1);
	ck_assert(fu.amount == -0.06000005);
	ck_assert_str_eq(fu.asset, "USDT");
	ck_assert_int_eq(fu.funding_ts_ns, 1723190400000LL * 1000000);
	ck_assert(fu.position == 0.01);
	/* a short receives */
	au.B[0].bc = 0.12;
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", -0.02, &fu), 1);
	ck_assert_double_eq_tol(t.funding, 0.12 - 0.06000005, 1e-12);
	ck_assert_uint_eq(t.fundings, 2);
	/* flat: not ours; unknown position: not counted */
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", 0, &fu), 0);
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", NAN, &fu), 0);
	/* another asset, another reason, no change: nothing */
	snprintf(au.B[0].a, sizeof(au.B[0].a), "BNB");
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", 0.01, &fu), 0);
	snprintf(au.B[0].a, sizeof(au.B[0].a), "USDT");
	snprintf(au.m, sizeof(au.m), "ORDER");
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", 0.01, &fu), 0);
	snprintf(au.m, sizeof(au.m), "FUNDING_FEE");
	au.B[0].bc = 0;
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", 0.01, &fu), 0);
	/* the quote asset's balance among several */
	au.nB = 2;
	snprintf(au.B[0].a, sizeof(au.B[0].a), "BNB");
	au.B[0].bc = 1;
	snprintf(au.B[1].a, sizeof(au.B[1].a), "USDT");
	au.B[1].bc = -0.5;
	au.T = 0;	/* no T: the event time */
	ck_assert_int_eq(ordf_funding(&t, &au, "BTCUSDT", 1, &fu), 1);
	ck_assert(fu.amount == -0.5);
	ck_assert_int_eq(fu.funding_ts_ns, 1723190400001LL * 1000000);
	ck_assert_double_eq_tol(t.funding, 0.12 - 0.06000005 - 0.5, 1e-12);
	ck_assert_uint_eq(t.fundings, 3);
}
END_TEST

static Suite *
ord_fills_suite(void)
{
	Suite *s = suite_create("ord_fills");
	TCase *tc = tcase_create("ledger");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stream_moves_safe);
	tcase_add_test(tc, test_first_run_starts_at_newest);
	tcase_add_test(tc, test_catch_up_names_and_dedups);
	tcase_add_test(tc, test_full_page_asks_more);
	tcase_add_test(tc, test_gap_during_catch_up);
	tcase_add_test(tc, test_failure_retries_later);
	tcase_add_test(tc, test_persisted_line);
	tcase_add_test(tc, test_ids_backwards);
	tcase_add_test(tc, test_above_is_bounded);
	tcase_add_test(tc, test_names_make_room);
	tcase_add_test(tc, test_tally);
	tcase_add_test(tc, test_funding);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ord_fills_suite());
}
