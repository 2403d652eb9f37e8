/*
 * check_quoter.c — when pmm re-quotes (services/quoter.c), on a fake
 * clock with the real strategy (simple_mm) and the real order table: the
 * refresh timer, the tolerance (a mid that moved beyond
 * refresh_tolerance_percent re-quotes, one within does not), a pause
 * cancelling everything and the resume placing a whole new ladder, a
 * stale feed cancelling, a book insane then sane again, no places while
 * the user stream is down, a post-only reject held until a newer tick,
 * PERCENT_PRICE, a reload, and when the timer must look again.
 *
 * The "exchange" here is the test: it moves the plan's orders into the
 * table as the service's answers would (places OPEN, cancels gone).
 */
#include <check.h>
#include <string.h>

#include "bn_filters.h"
#include "ord.h"
#include "quoter.h"
#include "timeutil.h"
#include "check_run.h"

#define INST	"qtest"
#define R0	1700000000000000000LL
#define T0	(1000 * NS_PER_S)
#define MS	NS_PER_MS
#define REFRESH	(5 * NS_PER_S)
#define STALE	(3 * NS_PER_S)

static struct quoter	q;
static struct ord_book	b;
static struct qt_plan	p;
static struct qt_facts	f;

static void
setup(void)
{
	struct bn_filters flt;
	struct strat_filters sf;
	struct qt_config c;
	char err[128];

	memset(&c, 0, sizeof(c));
	c.impl = strat_find("simple_mm", err, sizeof(err));
	ck_assert_ptr_nonnull(c.impl);
	c.instance = INST;
	c.scfg.levels = 2;
	c.scfg.qty_usdt = 200;
	c.scfg.offset_pct = 0.01;
	c.scfg.refresh_mode = CFG_REFRESH_TOLERANCE;
	c.scfg.tolerance_pct = 0.05;
	c.pxg.max_spread_pct = 1;
	c.pxg.max_mark_dev_pct = 2;
	c.pxg.max_jump_pct = 5;
	c.pxg.jump_window_ns = 2 * NS_PER_S;
	c.refresh_ns = REFRESH;
	c.stale_after_ns = STALE;
	qt_init(&q, &c);

	bn_filters_init(&flt, "BTCUSDT");
	ck_assert_int_eq(bn_dec_parse("0.10", &flt.tick), 0);
	ck_assert_int_eq(bn_dec_parse("0.001", &flt.step), 0);
	ck_assert_int_eq(bn_dec_parse("0.001", &flt.raw_min_qty), 0);
	ck_assert_int_eq(bn_dec_parse("100", &flt.min_notional), 0);
	flt.have_price = flt.have_lot = 1;
	ck_assert_int_eq(bn_filters_finish(&flt, err, sizeof(err)), 0);
	ck_assert_int_eq(strat_filters_from_bn(&sf, &flt), 0);
	qt_filters(&q, &flt, &sf);
	q.next_seq = 1;

	ord_book_init(&b);
	memset(&p, 0, sizeof(p));
	memset(&f, 0, sizeof(f));
	f.stream_up = true;
	f.pause_why = "";
}

/* The exchange answers the plan: cancels leave, places rest OPEN. */
static void
fill_table(void)
{
	int i;

	for (i = p.pl.n_cancel - 1; i >= 0; i--)	/* from the end: */
		ord_remove(&b, &b.o[p.pl.cancel[i]]);	/* indices stay valid */
	for (i = 0; i < p.pl.n_place; i++)
		ord_add(&b, &p.out.place[p.pl.place[i]], R0)->state = ORD_OPEN;
}

static void
tick(double bid, double ask, int64_t now, bool moved)
{
	ck_assert_int_eq(qt_on_tick(&q, bid, ask, now), moved);
}

/* A first ladder around 60000 at t, accepted: B1 59994, S1 60006,
 * B2 59988, S2 60012. */
static void
ladder(int64_t t)
{
	tick(59999.9, 60000.1, t, false);
	ck_assert_int_eq(qt_due(&q, &f, t), QT_REFRESH);
	qt_eval(&q, &f, &b, true, t, &p);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.pl.n_cancel, 0);
	ck_assert_int_eq(p.state, QS_QUOTING);
	fill_table();
	ck_assert_int_eq(b.n, 4);
}

START_TEST(test_refresh_timer)
{
	ladder(T0);
	ck_assert(q.anchor == 60000);
	ck_assert_int_eq(qt_next_ns(&q), T0 + REFRESH);
	ck_assert_int_eq(qt_due(&q, &f, T0 + REFRESH - 1), QT_IDLE);
	ck_assert_int_eq(qt_due(&q, &f, T0 + REFRESH), QT_REFRESH);
	qt_eval(&q, &f, &b, true, T0 + REFRESH, &p);
	/* tolerance mode: a ladder still where it should be stays */
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(p.pl.n_cancel, 0);
	ck_assert_int_eq(p.out.n_keep, 4);
	ck_assert_int_eq(qt_next_ns(&q), T0 + 2 * REFRESH);
	ck_assert_int_eq(qt_due(&q, &f, T0 + REFRESH + 1), QT_IDLE);
}
END_TEST

START_TEST(test_replace_mode_refresh_replaces)
{
	q.c.scfg.refresh_mode = CFG_REFRESH_REPLACE;
	ladder(T0);
	ck_assert_int_eq(qt_due(&q, &f, T0 + REFRESH), QT_REFRESH);
	qt_eval(&q, &f, &b, true, T0 + REFRESH, &p);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 4);
}
END_TEST

START_TEST(test_tolerance)
{
	int64_t t = T0 + 100 * MS;

	ladder(T0);
	/* 0.01 % is within the 0.05 % tolerance: no refresh, nothing sent */
	tick(60005.9, 60006.1, t, false);
	qt_eval(&q, &f, &b, false, t, &p);
	ck_assert(!p.refresh);
	ck_assert_int_eq(p.pl.n_place + p.pl.n_cancel, 0);
	/* 0.1 % from the anchor: a refresh, every rung moves */
	t += 100 * MS;
	tick(60059.9, 60060.1, t, true);
	qt_eval(&q, &f, &b, true, t, &p);
	ck_assert(p.refresh);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.out.place[p.pl.place[0]].px_ticks, 600539);
	fill_table();
	/* the anchor moved with the refresh, and so did the timer */
	ck_assert(q.anchor == 60060);
	ck_assert_int_eq(qt_next_ns(&q), t + REFRESH);
	tick(60065.9, 60066.1, t + MS, false);
	/* a gap fill (no refresh) keeps the anchor */
	qt_eval(&q, &f, &b, false, t + MS, &p);
	ck_assert(q.anchor == 60060);
	tick(59999.9, 60000.1, t + 2 * MS, true);
}
END_TEST

START_TEST(test_pause_cancels_resume_requotes)
{
	int64_t t = T0 + NS_PER_S;

	ladder(T0);
	/* risk's flag, seen by the timer without a message */
	f.paused = true;
	f.pause_why = "risk: position limit";
	ck_assert_int_eq(qt_due(&q, &f, t), QT_EVAL);
	ck_assert_int_eq(qt_next_ns(&q), t);
	qt_eval(&q, &f, &b, false, t, &p);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(p.out.why, STRAT_WHY_PAUSED);
	ck_assert_int_eq(p.state, QS_PAUSED);
	ck_assert_str_eq(p.reason, "risk: position limit");
	ck_assert(!p.refresh);
	fill_table();
	/* still paused: nothing more to do until the refresh timer */
	ck_assert_int_eq(qt_due(&q, &f, t + MS), QT_IDLE);
	/* resumed: a whole new ladder, as a refresh */
	f.paused = false;
	f.pause_why = "";
	t += NS_PER_S;
	ck_assert_int_eq(qt_due(&q, &f, t), QT_EVAL);
	qt_eval(&q, &f, &b, false, t, &p);
	ck_assert(p.refresh);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.state, QS_QUOTING);
	ck_assert_int_eq(qt_next_ns(&q), t + REFRESH);
}
END_TEST

START_TEST(test_stale_feed_cancels)
{
	ladder(T0);
	/* market's record says stale, but a tick came within stale_after:
	 * the record lags the tick, nothing is stale */
	f.market_stale = true;
	ck_assert_int_eq(qt_due(&q, &f, T0 + STALE), QT_IDLE);
	ck_assert(!q.stale);
	/* stale_after without a tick: everything cancelled */
	ck_assert_int_eq(qt_due(&q, &f, T0 + STALE + 1), QT_EVAL);
	ck_assert(q.stale);
	qt_eval(&q, &f, &b, false, T0 + STALE + 1, &p);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(p.state, QS_MARKET_STALE);
	ck_assert_str_eq(p.reason, "market data stale");
	fill_table();
	/* a tick ends it: the ladder comes back */
	tick(59999.9, 60000.1, T0 + STALE + 2, false);
	qt_eval(&q, &f, &b, false, T0 + STALE + 2, &p);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.state, QS_QUOTING);
}
END_TEST

START_TEST(test_insane_then_sane)
{
	int64_t t = T0 + 100 * MS;
	struct pmm_msg m;

	f.mark_price = 60000;
	ladder(T0);
	/* a 3 % spread: refused, quoted like no book, said once */
	tick(59000, 60900, t, true);
	qt_eval(&q, &f, &b, true, t, &p);
	ck_assert_int_eq(p.book, QT_BOOK_INSANE);
	ck_assert(p.mid == 59950);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(p.state, QS_BOOK_INSANE);
	ck_assert_ptr_nonnull(strstr(p.reason, "spread"));
	/* the ORDER_EVENT the service publishes (and a backtest writes) */
	qt_book_event(&q, &p, &m);
	ck_assert_int_eq(m.u.order.kind, ORD_BOOK_INSANE);
	ck_assert(m.u.order.price == 59950);
	ck_assert_ptr_nonnull(strstr(m.u.order.text, "spread"));
	fill_table();
	qt_eval(&q, &f, &b, false, t + MS, &p);
	ck_assert_int_eq(p.book, QT_BOOK_SAME);
	/* sane again: a whole new ladder, as a refresh */
	t += NS_PER_S;
	tick(59999.9, 60000.1, t, false);
	qt_eval(&q, &f, &b, false, t, &p);
	ck_assert_int_eq(p.book, QT_BOOK_SANE);
	qt_book_event(&q, &p, &m);
	ck_assert_int_eq(m.u.order.kind, ORD_BOOK_SANE);
	ck_assert_str_eq(m.u.order.text, "");
	ck_assert(p.refresh);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.state, QS_QUOTING);
	ck_assert_int_eq(qt_next_ns(&q), t + REFRESH);
}
END_TEST

START_TEST(test_stream_down_no_places)
{
	int64_t t = T0 + 100 * MS;
	char reason[QS_REASON_LEN];

	f.stream_up = false;
	tick(59999.9, 60000.1, T0, false);
	qt_eval(&q, &f, &b, true, T0, &p);
	ck_assert_int_eq(p.out.n_place, 4);	/* the strategy wants them */
	ck_assert_int_eq(p.pl.n_place, 0);	/* none is sent */
	ck_assert_int_eq(p.state, QS_USER_STREAM_DOWN);
	/* back up: the link alone changes the state, the next evaluation
	 * sends the ladder */
	f.stream_up = true;
	ck_assert_int_eq(qt_state(&q, true, NULL, reason, sizeof(reason)),
	    QS_QUOTING);
	qt_eval(&q, &f, &b, false, t, &p);
	ck_assert_int_eq(p.pl.n_place, 4);
	fill_table();
	/* down again: cancels still go, new orders do not */
	f.stream_up = false;
	tick(60059.9, 60060.1, t + MS, true);
	qt_eval(&q, &f, &b, true, t + MS, &p);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 0);
	/* nobody there says it first */
	ck_assert_int_eq(qt_state(&q, false, "exchange not reachable",
	    reason, sizeof(reason)), QS_EXCHANGE_UNREACHABLE);
	ck_assert_str_eq(reason, "exchange not reachable");
}
END_TEST

START_TEST(test_reject_held_until_newer_tick)
{
	int64_t t = T0;
	const struct strat_quote *sq;
	uint64_t sent_with;
	int64_t px = 0;
	int i;

	tick(59999.9, 60000.1, t, false);
	qt_eval(&q, &f, &b, true, t, &p);
	ck_assert_int_eq(p.pl.n_place, 4);
	/* B1 is refused post-only, the others rest */
	sent_with = q.data_id;
	for (i = 0; i < p.pl.n_place; i++) {
		sq = &p.out.place[p.pl.place[i]];
		if (sq->side == STRAT_BUY && sq->level == 1)
			break;
	}
	ck_assert_int_lt(i, p.pl.n_place);
	px = sq->px_ticks;
	qt_on_placed(&q, STRAT_BUY, 1, px, -5022, sent_with, t);
	p.pl.place[i] = p.pl.place[--p.pl.n_place];
	fill_table();
	/* no newer data: the same price is not sent again */
	qt_eval(&q, &f, &b, false, t + MS, &p);
	ck_assert_int_eq(p.out.n_place, 1);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(q.held, 1);
	ck_assert_int_eq(p.state, QS_REJECT_BACKOFF);
	/* the first reject has no time backoff: nothing to wake up for */
	ck_assert_int_eq(qt_next_ns(&q), t + REFRESH);
	/* a newer tick at the same prices: it goes */
	tick(59999.9, 60000.1, t + 2 * MS, false);
	qt_eval(&q, &f, &b, false, t + 2 * MS, &p);
	ck_assert_int_eq(p.pl.n_place, 1);
	ck_assert_int_eq(p.state, QS_QUOTING);
	/* refused again: the streak backs off 250 ms, and the timer is set
	 * to look again when it ends */
	qt_on_placed(&q, STRAT_BUY, 1, px, -5022, q.data_id,
	    t + 3 * MS);
	tick(59999.9, 60000.1, t + 4 * MS, false);
	qt_eval(&q, &f, &b, false, t + 4 * MS, &p);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(qt_next_ns(&q), t + 3 * MS + ORDR_BASE_NS);
	ck_assert_int_eq(qt_due(&q, &f, t + 3 * MS + ORDR_BASE_NS), QT_EVAL);
	qt_eval(&q, &f, &b, false, t + 3 * MS + ORDR_BASE_NS, &p);
	ck_assert_int_eq(p.pl.n_place, 1);
	/* an accept ends the streak */
	qt_on_placed(&q, STRAT_BUY, 1, px, 0, q.data_id, t);
	ck_assert(ordr_may_place(&q.rej, STRAT_BUY, 1, px,
	    q.data_id, t));
}
END_TEST

START_TEST(test_percent_price_band)
{
	/* mark 70000, band 95 %..105 %: the ladder at 60000 is refused */
	q.flt.pct_up = 1.05;
	q.flt.pct_down = 0.95;
	q.c.pxg.max_mark_dev_pct = 50;
	pxg_set_config(&q.pxg, &q.c.pxg);
	f.mark_price = 70000;
	tick(59999.9, 60000.1, T0, false);
	qt_eval(&q, &f, &b, true, T0, &p);
	ck_assert_int_eq(p.out.n_place, 4);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(p.out_of_band, 4);
	ck_assert_int_eq(p.first_oob, 0);
	ck_assert_int_eq(q.out_of_band, 4);
	f.mark_price = 60000;
	qt_eval(&q, &f, &b, false, T0 + MS, &p);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.out_of_band, 0);
}
END_TEST

START_TEST(test_next_deadline)
{
	ladder(T0);
	ck_assert_int_eq(qt_next_ns(&q), T0 + REFRESH);
	/* the governor: look again when its hold ends, the soonest wins */
	qt_retry_at(&q, T0 + 300 * MS);
	qt_retry_at(&q, T0 + 400 * MS);
	ck_assert_int_eq(qt_next_ns(&q), T0 + 300 * MS);
	qt_retry_at(&q, T0 + 200 * MS);
	ck_assert_int_eq(qt_next_ns(&q), T0 + 200 * MS);
	/* a table change does not pull a wanted evaluation in */
	qt_table_changed(&q, T0 + 10 * MS);
	ck_assert_int_eq(qt_next_ns(&q), T0 + 200 * MS);
	ck_assert_int_eq(qt_due(&q, &f, T0 + 199 * MS), QT_IDLE);
	ck_assert_int_eq(qt_due(&q, &f, T0 + 200 * MS), QT_EVAL);
	qt_eval(&q, &f, &b, false, T0 + 200 * MS, &p);
	ck_assert_int_eq(qt_next_ns(&q), T0 + REFRESH);
	/* ... but wants one now when none is */
	qt_table_changed(&q, T0 + 210 * MS);
	ck_assert_int_eq(qt_next_ns(&q), T0 + 210 * MS);
	/* the refresh wins when it is sooner */
	qt_eval(&q, &f, &b, false, T0 + 210 * MS, &p);
	qt_retry_at(&q, T0 + 2 * REFRESH);
	ck_assert_int_eq(qt_next_ns(&q), T0 + REFRESH);
	ck_assert_int_eq(qt_due(&q, &f, T0 + REFRESH), QT_REFRESH);
}
END_TEST

START_TEST(test_reconfig_new_ladder_now)
{
	struct qt_config c;

	ladder(T0);
	c = q.c;
	c.scfg.offset_pct = 0.1;
	c.refresh_ns = 2 * REFRESH;
	qt_reconfig(&q, &c);
	ck_assert_int_eq(qt_next_ns(&q), 0);
	ck_assert_int_eq(qt_due(&q, &f, T0 + MS), QT_REFRESH);
	qt_eval(&q, &f, &b, true, T0 + MS, &p);
	ck_assert_int_eq(p.pl.n_cancel, 4);
	ck_assert_int_eq(p.pl.n_place, 4);
	ck_assert_int_eq(p.out.place[p.pl.place[0]].px_ticks, 599400);
	ck_assert_int_eq(qt_next_ns(&q), T0 + MS + 2 * REFRESH);
}
END_TEST

START_TEST(test_no_book_yet)
{
	char reason[QS_REASON_LEN];

	qt_eval(&q, &f, &b, true, T0, &p);
	ck_assert_int_eq(p.pl.n_place, 0);
	ck_assert_int_eq(p.state, QS_MARKET_STALE);
	ck_assert_str_eq(p.reason, "no market data yet");
	ck_assert_int_eq(qt_state(&q, true, NULL, reason, sizeof(reason)),
	    QS_MARKET_STALE);
}
END_TEST

static Suite *
quoter_suite(void)
{
	Suite *s = suite_create("quoter");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_refresh_timer);
	tcase_add_test(tc, test_replace_mode_refresh_replaces);
	tcase_add_test(tc, test_tolerance);
	tcase_add_test(tc, test_pause_cancels_resume_requotes);
	tcase_add_test(tc, test_stale_feed_cancels);
	tcase_add_test(tc, test_insane_then_sane);
	tcase_add_test(tc, test_stream_down_no_places);
	tcase_add_test(tc, test_reject_held_until_newer_tick);
	tcase_add_test(tc, test_percent_price_band);
	tcase_add_test(tc, test_next_deadline);
	tcase_add_test(tc, test_reconfig_new_ladder_now);
	tcase_add_test(tc, test_no_book_yet);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(quoter_suite());
}
