/*
 * check_account.c — positions, PnL, fees, margin, leverage, reduce-only
 * and countdownCancelAll: the accounting side of the engine, exact to the
 * cent, with a hand-driven market and a fake clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_fixture.h"
#include "check_run.h"

#define MAKER	0.0002
#define TAKER	0.0005

/* ------------------------------------------------------------------ */
/* account.c on its own                                                */

static struct exch_account acct;
static struct acct_sym asym;

static void
unit_setup(void)
{
	memset(&acct, 0, sizeof(acct));
	acct.wallet = 1000;
	acct.pos[0].leverage = 10;
	asym.spec = exch_spec_builtin("BTCUSDT");
	asym.mark = 60000;
}

START_TEST(test_entry_on_adds)
{
	/* buy 0.010 at 60000, then 0.030 at 60100: entry is the VWAP */
	acct_fill(&acct, 0, &asym, 10, 60000, 0);
	acct_fill(&acct, 0, &asym, 30, 60100, 0);
	ck_assert_int_eq(acct.pos[0].amt, 40);
	ck_assert_near(acct.pos[0].entry, (0.01 * 60000 + 0.03 * 60100) / 0.04,
	    1e-9);
	ck_assert_near(acct.wallet, 1000, 1e-12);
}
END_TEST

START_TEST(test_realized_reduce_flip)
{
	double rp;

	acct_fill(&acct, 0, &asym, 20, 60000, 0);	/* long 0.02 @ 60000 */
	rp = acct_fill(&acct, 0, &asym, -5, 60200, 0);	/* sell 0.005 */
	ck_assert_near(rp, 200 * 0.005, 1e-9);
	ck_assert_near(acct.pos[0].entry, 60000, 1e-9);	/* unchanged */
	ck_assert_int_eq(acct.pos[0].amt, 15);
	/* sell 0.025: closes 0.015 (+ 0.015 x -100) and opens short 0.01 */
	rp = acct_fill(&acct, 0, &asym, -25, 59900, 0);
	ck_assert_near(rp, -100 * 0.015, 1e-9);
	ck_assert_int_eq(acct.pos[0].amt, -10);
	ck_assert_near(acct.pos[0].entry, 59900, 1e-9);
	ck_assert_near(acct.pos[0].cum_realized, 1.0 - 1.5, 1e-9);
	ck_assert_near(acct.wallet, 1000 + 1.0 - 1.5, 1e-9);
	/* short gains when the price falls */
	asym.mark = 59800;
	ck_assert_near(acct_upnl(&acct.pos[0], &asym), 0.01 * 100, 1e-9);
	/* closing flat resets the entry */
	acct_fill(&acct, 0, &asym, 10, 59800, 0.3);
	ck_assert_int_eq(acct.pos[0].amt, 0);
	ck_assert_near(acct.pos[0].entry, 0, 1e-12);
	ck_assert_near(acct.wallet, 1000 - 0.5 + 1.0 - 0.3, 1e-9);
}
END_TEST

START_TEST(test_margin_math)
{
	struct acct_pos *p = &acct.pos[0];

	/* long 0.1: position IM at mark / leverage 10 */
	acct_fill(&acct, 0, &asym, 100, 60000, 0);
	ck_assert_near(acct_position_im(p, &asym), 600, 1e-9);
	/* open sells up to the long close it, they need no margin */
	acct_order_add(p, EXCH_SELL, 100, 6100);
	ck_assert_near(acct_order_im(p, &asym), 0, 1e-9);
	/* buys add to it */
	acct_order_add(p, EXCH_BUY, 50, 2950);
	ck_assert_near(acct_order_im(p, &asym), 295, 1e-9);
	/* sells beyond the position count: the larger side is charged */
	acct_order_add(p, EXCH_SELL, 100, 6100);
	ck_assert_near(acct_order_im(p, &asym), 610, 1e-9);
	ck_assert_near(acct_available(&acct, &asym, 1), 1000 - 600 - 610, 1e-9);
	acct_order_sub(p, EXCH_SELL, 200, 12200);
	acct_order_sub(p, EXCH_BUY, 50, 2950);
	ck_assert_near(acct_order_im(p, &asym), 0, 1e-9);
}
END_TEST

START_TEST(test_liq_break_even)
{
	struct acct_pos *p = &acct.pos[0];
	double lp, bep;

	acct_fill(&acct, 0, &asym, 100, 60000, 0);	/* long 0.1, 1000 USDT */
	lp = acct_liq_price(&acct, 0, &asym, 1);
	/* margin balance = maintenance margin at lp */
	ck_assert_near(1000 + 0.1 * (lp - 60000), 0.1 * lp * 0.004, 1e-6);
	ck_assert(lp < 60000 && lp > 50000);
	bep = acct_break_even(p, TAKER);
	ck_assert_near((bep - 60000) * 0.1, 60000 * 0.1 * TAKER + bep * 0.1 *
	    TAKER, 1e-6);
	acct_fill(&acct, 0, &asym, -200, 60000, 0);	/* short 0.1 */
	lp = acct_liq_price(&acct, 0, &asym, 1);
	ck_assert(lp > 60000);
	ck_assert(acct_break_even(p, TAKER) < 60000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* through the engine                                                  */

static struct tfix *f;

static void
setup(void)
{
	f = tfix_new();
	tfix_book(f, 60000.0, 2, 60000.1, 2);
}

static void
teardown(void)
{
	tfix_free(f);
}

static double
wallet(struct exch_account *a)
{
	struct exch_account_info ai;

	exch_account_info(f->ex, a, &ai);
	return ai.total_wallet_balance;
}

START_TEST(test_fees_exact)
{
	double w0 = wallet(f->a1);
	const struct exch_order_update *u;

	/* taker: buy 0.1 at market -> 0.1 x 60000.1 x 0.05 % */
	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.1, 0);
	u = tfix_last_ou(f, f->a1, EXCH_X_TRADE);
	ck_assert_near(u->commission, 0.1 * 60000.1 * TAKER, 1e-9);
	ck_assert_str_eq(u->commission_asset, "USDT");
	ck_assert_near(wallet(f->a1), w0 - 0.1 * 60000.1 * TAKER, 1e-9);
	/* maker: a resting sell at 60010 filled by a trade-through */
	tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.1, 60010);
	exch_ext_trade(f->ex, 0, 60010.1, 1, false);
	u = tfix_last_ou(f, f->a1, EXCH_X_TRADE);
	ck_assert(u->maker);
	ck_assert_near(u->commission, 0.1 * 60010 * MAKER, 1e-9);
	ck_assert_near(u->realized_pnl, 0.1 * (60010 - 60000.1), 1e-9);
	ck_assert_near(wallet(f->a1), w0 - 0.1 * 60000.1 * TAKER -
	    0.1 * 60010 * MAKER + 0.1 * (60010 - 60000.1), 1e-9);
	ck_assert_near(tfix_pos(f, f->a1), 0, 1e-12);
}
END_TEST

START_TEST(test_position_and_upnl)
{
	struct exch_position p;
	struct exch_err e;
	struct exch_account_info ai;

	tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.2, 60000.1);
	/* add 0.1 more at a different price via a resting bid crossed */
	tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.1, 59990);
	tfix_book(f, 59989.0, 1, 59990.0, 1);
	ck_assert_int_eq(exch_position(f->ex, f->a1, "BTCUSDT", &p, &e), 0);
	ck_assert_near(p.position_amt, 0.3, 1e-12);
	ck_assert_near(p.entry_price, (0.2 * 60000.1 + 0.1 * 59990) / 0.3, 1e-6);
	/* unrealized follows the mark */
	exch_ext_mark(f->ex, 0, 61000);
	exch_position(f->ex, f->a1, "BTCUSDT", &p, &e);
	ck_assert_near(p.mark_price, 61000, 1e-9);
	ck_assert_near(p.unrealized_pnl, 0.3 * (61000 - p.entry_price), 1e-6);
	ck_assert_near(p.notional, 0.3 * 61000, 1e-6);
	ck_assert_int_eq(p.leverage, 20);
	ck_assert_near(p.position_initial_margin, 0.3 * 61000 / 20, 1e-6);
	exch_account_info(f->ex, f->a1, &ai);
	ck_assert_near(ai.total_unrealized_profit, p.unrealized_pnl, 1e-9);
	ck_assert_near(ai.total_margin_balance, ai.total_wallet_balance +
	    p.unrealized_pnl, 1e-9);
	ck_assert_near(ai.available_balance, ai.total_margin_balance -
	    ai.total_initial_margin, 1e-9);
	/* ACCOUNT_UPDATE carried the position after each fill */
	{
		int i;
		const struct exch_user_event *last = NULL;

		for (i = 0; i < f->nuser; i++)
			if (f->user[i].type == EXCH_EV_ACCOUNT_UPDATE &&
			    f->user[i].acct == f->a1)
				last = &f->user[i];
		ck_assert_ptr_nonnull(last);
		ck_assert_str_eq(last->au.reason, "ORDER");
		ck_assert_int_eq(last->au.npos, 1);
		ck_assert_near(last->au.pos[0].pa, 0.3, 1e-12);
		ck_assert_near(last->au.bal[0].wb, ai.total_wallet_balance, 1e-9);
	}
}
END_TEST

START_TEST(test_margin_insufficient)
{
	struct exch_account *poor = exch_account_add(f->ex, "poor", "s", 100);
	struct exch_order_req r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.05,
	    59000);	/* 2950 notional: 147.5 at 20x */
	struct exch_order o;
	struct exch_err e;
	double mx;

	ck_assert_ptr_nonnull(poor);
	ck_assert_str_eq(tfix_reject(f, poor, &r, -2019),
	    "Margin is insufficient.");
	ck_assert_int_eq(exch_leverage_set(f->ex, poor, "BTCUSDT", 50, &mx, &e), 0);
	ck_assert_near(mx, 12000000, 1e-6);
	/* 59 USDT at 50x */
	ck_assert_int_eq(exch_order_place(f->ex, poor, &r, &o, &e), 0);
	/* a second one does not fit beside it */
	tfix_reject(f, poor, &r, -2019);
	/* but a sell does: the larger side is what counts */
	r.side = EXCH_SELL;
	r.price = 61000;
	ck_assert_int_eq(exch_order_place(f->ex, poor, &r, &o, &e), 0);
}
END_TEST

START_TEST(test_reduce_only)
{
	struct exch_order_req r = tfix_req(EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.01,
	    60100);
	struct exch_order o;
	struct exch_err e;

	r.reduce_only = true;
	/* nothing to reduce */
	ck_assert_str_eq(tfix_reject(f, f->a1, &r, -2022),
	    "ReduceOnly Order is rejected.");
	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.05, 0);
	/* a reduce-only BUY would increase the long */
	r.side = EXCH_BUY;
	r.price = 59000;
	tfix_reject(f, f->a1, &r, -2022);
	/* a reduce-only sell bigger than the position rests, and below the
	 * min notional is fine */
	r.side = EXCH_SELL;
	r.price = 60100;
	r.quantity = 0.001;
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	r.quantity = 0.08;
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	/* a trade through fills the first (0.001) and caps the second at 0.049 */
	exch_ext_trade(f->ex, 0, 60100.5, 1, false);
	ck_assert_near(tfix_pos(f, f->a1), 0, 1e-12);
	exch_order_query(f->ex, f->a1, "BTCUSDT", o.order_id, NULL, &o, &e);
	ck_assert_near(o.executed_qty, 0.049, 1e-12);
	/* flat now: the rest of it expired */
	ck_assert_int_eq(o.status, EXCH_ST_EXPIRED);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
	/* reduce-only MARKET closes exactly the position */
	tfix_place(f, f->a1, EXCH_SELL, EXCH_MARKET, EXCH_GTC, 0.03, 0);
	r = tfix_req(EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.05, 0);
	r.reduce_only = true;
	ck_assert_int_eq(exch_order_place(f->ex, f->a1, &r, &o, &e), 0);
	ck_assert_near(o.executed_qty, 0.03, 1e-12);
	ck_assert_int_eq(o.status, EXCH_ST_EXPIRED);
	ck_assert_near(tfix_pos(f, f->a1), 0, 1e-12);
}
END_TEST

START_TEST(test_leverage)
{
	struct exch_err e;
	struct exch_position p;
	double mx = 0;
	const struct exch_user_event *ev;

	ck_assert_int_eq(exch_leverage_set(f->ex, f->a1, "BTCUSDT", 0, &mx, &e),
	    -1);
	ck_assert_int_eq(e.code, -4028);
	ck_assert_str_eq(e.msg, "Leverage 0 is not valid");
	ck_assert_int_eq(exch_leverage_set(f->ex, f->a1, "BTCUSDT", 126, &mx, &e),
	    -1);
	ck_assert_int_eq(exch_leverage_set(f->ex, f->a1, "BTCUSDT", 125, &mx, &e),
	    0);
	ck_assert_near(mx, 50000, 1e-9);
	ev = &f->user[f->nuser - 1];
	ck_assert_int_eq(ev->type, EXCH_EV_ACCOUNT_CONFIG);
	ck_assert_int_eq(ev->cfg.leverage, 125);
	ck_assert_str_eq(ev->cfg.symbol, "BTCUSDT");
	/* a 1 BTC position is more than 125x allows */
	exch_leverage_set(f->ex, f->a1, "BTCUSDT", 10, &mx, &e);
	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 1, 0);
	ck_assert_int_eq(exch_leverage_set(f->ex, f->a1, "BTCUSDT", 125, &mx, &e),
	    -1);
	ck_assert_int_eq(e.code, -2027);
	/* and the margin follows the leverage */
	exch_position(f->ex, f->a1, "BTCUSDT", &p, &e);
	ck_assert_near(p.position_initial_margin, 60000.05 / 10, 1e-6);
	ck_assert_int_eq(exch_leverage_set(f->ex, f->a1, "BTCUSDT", 5, &mx, &e), 0);
	exch_position(f->ex, f->a1, "BTCUSDT", &p, &e);
	ck_assert_near(p.position_initial_margin, 60000.05 / 5, 1e-6);
	ck_assert_int_eq(p.leverage, 5);
	ck_assert_near(p.max_notional, 480000000, 1e-3);
}
END_TEST

static void
at(int64_t ms)
{
	f->now = T0_NS + ms * 1000000LL;
	exch_step(f->ex, f->now);
}

START_TEST(test_countdown)
{
	struct exch_err e;

	tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 59000);
	tfix_place(f, f->a1, EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.01, 61000);
	tfix_place(f, f->a2, EXCH_SELL, EXCH_LIMIT, EXCH_GTC, 0.01, 61000);
	/* a manual market has nothing else scheduled */
	ck_assert_int_eq(exch_next_due_ns(f->ex), INT64_MAX);
	ck_assert_int_eq(exch_countdown_set(f->ex, f->a1, "BTCUSDT", 1000, &e), 0);
	ck_assert_int_eq(exch_next_due_ns(f->ex), T0_NS + 1000 * 1000000LL);
	at(900);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 2);
	/* renewed at 900 ms: now due at 1900 */
	ck_assert_int_eq(exch_countdown_set(f->ex, f->a1, "BTCUSDT", 1000, &e), 0);
	at(1500);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 2);
	at(1900);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 0);
	ck_assert_int_eq(tfix_count_ou(f, f->a1, EXCH_X_CANCELED), 2);
	/* other accounts are untouched */
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a2, NULL), 1);
	/* fired once: new orders stay */
	tfix_place(f, f->a1, EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 59000);
	at(5000);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 1);
	/* disabled with 0 */
	exch_countdown_set(f->ex, f->a1, "BTCUSDT", 1000, &e);
	exch_countdown_set(f->ex, f->a1, "BTCUSDT", 0, &e);
	at(10000);
	ck_assert_int_eq(exch_open_order_count(f->ex, f->a1, NULL), 1);
	ck_assert_int_eq(exch_countdown_set(f->ex, f->a1, "NOPE", 10, &e), -1);
	ck_assert_int_eq(e.code, -1121);
}
END_TEST

START_TEST(test_deposit)
{
	exch_account_deposit(f->ex, f->a2, 500);
	ck_assert_near(wallet(f->a2), 1000500, 1e-9);
	ck_assert_int_eq(f->user[f->nuser - 1].type, EXCH_EV_ACCOUNT_UPDATE);
	ck_assert_str_eq(f->user[f->nuser - 1].au.reason, "DEPOSIT");
	ck_assert_near(f->user[f->nuser - 1].au.bal[0].bc, 500, 1e-12);
	ck_assert_near(f->user[f->nuser - 1].au.bal[0].wb, 1000500, 1e-9);
	ck_assert_int_eq(f->user[f->nuser - 1].au.npos, 0);
	ck_assert_ptr_eq(exch_account_by_key(f->ex, "key2"), f->a2);
	ck_assert_ptr_null(exch_account_by_key(f->ex, "nope"));
	ck_assert_str_eq(exch_account_secret(f->a2), "secret2");
	/* keys are unique */
	ck_assert_ptr_null(exch_account_add(f->ex, "key1", "x", 1));
}
END_TEST

static Suite *
account_suite(void)
{
	Suite *s = suite_create("account");
	TCase *tc;

	tc = tcase_create("math");
	tcase_add_checked_fixture(tc, unit_setup, NULL);
	tcase_add_test(tc, test_entry_on_adds);
	tcase_add_test(tc, test_realized_reduce_flip);
	tcase_add_test(tc, test_margin_math);
	tcase_add_test(tc, test_liq_break_even);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fees_exact);
	tcase_add_test(tc, test_position_and_upnl);
	tcase_add_test(tc, test_margin_insufficient);
	tcase_add_test(tc, test_reduce_only);
	tcase_add_test(tc, test_leverage);
	tcase_add_test(tc, test_countdown);
	tcase_add_test(tc, test_deposit);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(account_suite());
}
