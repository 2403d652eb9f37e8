/*
 * check_account.c — positions, PnL, fees, margin, leverage, reduce-only
 * countdownCancelAll, funding and Binance's fee tiers: the accounting side
 * of the engine, exact to the cent, with a hand-driven market and a fake
 * clock.
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

/* Funding on the position at the mark: payment = -amount x mark x rate,
 * rounded to 8 decimals, into the wallet. */
START_TEST(test_funding_math)
{
	/* long 0.010 at mark 60000, rate 0.01 %: pays 0.06 */
	acct_fill(&acct, 0, &asym, 10, 60000, 0);
	ck_assert_near(acct_funding(&acct, 0, &asym, 0.0001), -0.06, 1e-12);
	ck_assert_near(acct.wallet, 1000 - 0.06, 1e-9);
	/* a negative rate: the long receives 0.01 x 60000 x 0.0003 */
	ck_assert_near(acct_funding(&acct, 0, &asym, -0.0003), 0.18, 1e-12);
	ck_assert_near(acct.wallet, 1000 - 0.06 + 0.18, 1e-9);
	/* flip to short 0.020: receives with a positive rate */
	acct_fill(&acct, 0, &asym, -30, 60000, 0);
	ck_assert_near(acct_funding(&acct, 0, &asym, 0.0001), 0.12, 1e-12);
	/* 8 decimals: 0.001 x 60000.15 x 0.000123 = 0.00738001845 */
	memset(&acct.pos[0], 0, sizeof(acct.pos[0]));
	acct_fill(&acct, 0, &asym, 1, 60000, 0);
	asym.mark = 60000.15;
	ck_assert(acct_funding(&acct, 0, &asym, 0.000123) == -0.00738002);
	/* flat, or no mark yet: nothing */
	acct_fill(&acct, 0, &asym, -1, 60000, 0);
	ck_assert(acct_funding(&acct, 0, &asym, 0.0001) == 0);
	acct_fill(&acct, 0, &asym, 1, 60000, 0);
	asym.mark = 0;
	ck_assert(acct_funding(&acct, 0, &asym, 0.0001) == 0);
}
END_TEST

/* Binance's USD-M VIP table: the ends, a middle tier, out of range. */
START_TEST(test_fee_tiers)
{
	struct exch_opts o;
	double mk, tk;

	ck_assert_int_eq(exch_fee_tier(0, &mk, &tk), 0);
	ck_assert(mk == 0.0002 && tk == 0.0005);
	ck_assert_int_eq(exch_fee_tier(3, &mk, &tk), 0);
	ck_assert(mk == 0.00012 && tk == 0.00032);
	ck_assert_int_eq(exch_fee_tier(9, &mk, &tk), 0);
	ck_assert(mk == 0 && tk == 0.00017);
	ck_assert_int_eq(exch_fee_tier(10, &mk, &tk), -1);
	ck_assert_int_eq(exch_fee_tier(-1, &mk, &tk), -1);
	/* the defaults are VIP 0 */
	exch_opts_default(&o);
	ck_assert(o.maker_fee == 0.0002 && o.taker_fee == 0.0005);
	ck_assert_int_eq(exch_opts_fee_tier(&o, 8), 0);
	ck_assert(o.maker_fee == 0.00002 && o.taker_fee == 0.0002);
	ck_assert_int_eq(exch_opts_fee_tier(&o, 12), -1);
	ck_assert(o.maker_fee == 0.00002 && o.taker_fee == 0.0002);
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
	/* a manual market has nothing else scheduled but the next funding */
	ck_assert_int_eq(exch_next_due_ns(f->ex), T0_NS + 8 * 3600 * 1000000000LL);
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

#define H8_MS		(8 * 3600 * 1000LL)
#define MARK0		60000.05	/* the fixture book's mid */

/* The FUNDING_FEE ACCOUNT_UPDATEs of account a, in order. */
static int
fundings(struct exch_account *a, const struct exch_user_event **out, int max)
{
	int i, n = 0;

	for (i = 0; i < f->nuser; i++)
		if (f->user[i].type == EXCH_EV_ACCOUNT_UPDATE &&
		    f->user[i].acct == a &&
		    strcmp(f->user[i].au.reason, "FUNDING_FEE") == 0 && n < max)
			out[n++] = &f->user[i];
	return n;
}

/* Long pays, short receives, flat hears nothing; one ms early nothing. */
START_TEST(test_funding_long_short_flat)
{
	const struct exch_user_event *ev[4];
	struct exch_account *flat = exch_account_add(f->ex, "flat", "s", 1000);
	double w1, w2, wf = wallet(flat);

	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	tfix_place(f, f->a2, EXCH_SELL, EXCH_MARKET, EXCH_GTC, 0.2, 0);
	w1 = wallet(f->a1);
	w2 = wallet(f->a2);
	at(H8_MS - 1);
	ck_assert_int_eq(fundings(f->a1, ev, 4), 0);
	ck_assert(wallet(f->a1) == w1);
	at(H8_MS);
	/* 0.5 x 60000.05 x 0.0001 = 3.0000025 */
	ck_assert_int_eq(fundings(f->a1, ev, 4), 1);
	ck_assert_near(ev[0]->au.bal[0].bc, -3.0000025, 1e-12);
	ck_assert_near(ev[0]->au.bal[0].wb, w1 - 3.0000025, 1e-9);
	ck_assert_near(wallet(f->a1), w1 - 3.0000025, 1e-9);
	ck_assert_int_eq(ev[0]->au.npos, 0);	/* cross: balance only */
	ck_assert_int_eq(ev[0]->E_ms, T0_NS / 1000000 + H8_MS);
	ck_assert_int_eq(ev[0]->T_ms, T0_NS / 1000000 + H8_MS);
	/* 0.2 x 60000.05 x 0.0001 = 1.200001 */
	ck_assert_int_eq(fundings(f->a2, ev, 4), 1);
	ck_assert_near(ev[0]->au.bal[0].bc, 1.200001, 1e-12);
	ck_assert_near(wallet(f->a2), w2 + 1.200001, 1e-9);
	ck_assert_int_eq(fundings(flat, ev, 4), 0);
	ck_assert(wallet(flat) == wf);
	/* once per boundary */
	at(H8_MS + 1000);
	ck_assert_int_eq(fundings(f->a1, ev, 4), 1);
}
END_TEST

/*
 * Exactly at the boundary: funding is settled on the position held just
 * before anything stamped at that instant. An order at 08:00:00.000 that
 * closes a long still pays; one that opens a position there does not.
 */
START_TEST(test_funding_boundary)
{
	const struct exch_user_event *ev[4];

	f->now = T0_NS + (H8_MS - 1000) * 1000000LL;
	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	f->now = T0_NS + H8_MS * 1000000LL;	/* no exch_step in between */
	tfix_place(f, f->a1, EXCH_SELL, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	tfix_place(f, f->a2, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	ck_assert_int_eq(fundings(f->a1, ev, 4), 1);
	ck_assert_near(ev[0]->au.bal[0].bc, -3.0000025, 1e-12);
	ck_assert_int_eq(fundings(f->a2, ev, 4), 0);
	at(2 * H8_MS - 1);
	ck_assert_int_eq(fundings(f->a2, ev, 4), 0);
	at(2 * H8_MS);
	ck_assert_int_eq(fundings(f->a1, ev, 4), 1);	/* flat since */
	ck_assert_int_eq(fundings(f->a2, ev, 4), 1);
}
END_TEST

/* A clock that jumps three intervals settles each of them; the mark and
 * the rate in force at each settlement count. */
START_TEST(test_funding_intervals)
{
	const struct exch_user_event *ev[8];
	struct exch_mark m;
	int i;

	tfix_place(f, f->a2, EXCH_SELL, EXCH_MARKET, EXCH_GTC, 0.2, 0);
	at(3 * H8_MS + 5);
	ck_assert_int_eq(fundings(f->a2, ev, 8), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_near(ev[i]->au.bal[0].bc, 1.200001, 1e-12);
		ck_assert_int_eq(ev[i]->E_ms, T0_NS / 1000000 + (i + 1) * H8_MS);
	}
	/* the next one at a new mark */
	exch_ext_mark(f->ex, 0, 61000);
	at(4 * H8_MS);
	ck_assert_int_eq(fundings(f->a2, ev, 8), 4);
	ck_assert_near(ev[3]->au.bal[0].bc, 0.2 * 61000 * 0.0001, 1e-12);
	/* markPrice says the rate and the next funding time */
	ck_assert_int_eq(exch_mark_get(f->ex, 0, &m), 0);
	ck_assert(m.funding_rate == 0.0001);
	ck_assert_int_eq(m.next_funding_ms, T0_NS / 1000000 + 5 * H8_MS);
	ck_assert_int_eq(f->mkt[f->nmkt - 1].type, EXCH_EV_MARK_PRICE);
	ck_assert(f->mkt[f->nmkt - 1].mark.r == 0.0001);
	ck_assert_int_eq(f->mkt[f->nmkt - 1].mark.next_funding_ms,
	    T0_NS / 1000000 + 4 * H8_MS);
}
END_TEST

/* The options: interval, rate (negative: longs receive), fee tier. */
START_TEST(test_funding_options)
{
	const struct exch_user_event *ev[8];
	struct exch_opts o;
	const struct exch_order_update *u;

	tfix_free(f);
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->now = T0_NS + 2500 * 1000000LL;
	tfix_opts(f, &o);
	o.funding_interval_ms = 5000;
	o.funding_rate = -0.0002;
	ck_assert_int_eq(exch_opts_fee_tier(&o, 3), 0);
	tfix_start_opts(f, &o);
	ck_assert(exch_fee_maker(f->ex) == 0.00012);
	ck_assert(exch_fee_taker(f->ex) == 0.00032);
	tfix_book(f, 60000.0, 2, 60000.1, 2);
	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	u = tfix_last_ou(f, f->a1, EXCH_X_TRADE);
	ck_assert_near(u->commission, 0.5 * 60000.1 * 0.00032, 1e-9);
	ck_assert_int_eq(exch_next_due_ns(f->ex), T0_NS + 5000 * 1000000LL);
	at(4999);
	ck_assert_int_eq(fundings(f->a1, ev, 8), 0);
	at(5000);
	ck_assert_int_eq(fundings(f->a1, ev, 8), 1);
	/* 0.5 x 60000.05 x 0.0002 = 6.000005, received */
	ck_assert_near(ev[0]->au.bal[0].bc, 6.000005, 1e-12);
	at(15000);
	ck_assert_int_eq(fundings(f->a1, ev, 8), 3);
	ck_assert_int_eq(ev[2]->E_ms, T0_NS / 1000000 + 15000);
	/* flat, a jump of a year of 5 s intervals is one step, and the next
	 * boundary is the first after it */
	tfix_place(f, f->a1, EXCH_SELL, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	at(365 * 24 * 3600 * 1000LL + 2500);
	ck_assert_int_eq(fundings(f->a1, ev, 8), 3);
	ck_assert_int_eq(exch_next_due_ns(f->ex), T0_NS +
	    (365 * 24 * 3600 * 1000LL + 5000) * 1000000LL);
}
END_TEST

/*
 * A replay: the recording's markPrice sets the mark and the funding rate
 * (r), is served as recorded, and the engine stops deriving the mark from
 * the mid. Lines at 0, 1 and 3 s of a recording whose replay starts 2 s
 * before 08:00 UTC on the engine's clock: the 08:00 settlement comes with
 * the line at 3 s, at the recorded mark and rate.
 */
START_TEST(test_funding_replay)
{
	static const char *lines[] = {
	    "1000000000000 {\"stream\":\"btcusdt@bookTicker\",\"data\":{"
	    "\"e\":\"bookTicker\",\"u\":1,\"s\":\"BTCUSDT\",\"b\":"
	    "\"60000.00\",\"B\":\"5\",\"a\":\"60000.10\",\"A\":\"5\","
	    "\"T\":1000,\"E\":1000}}",
	    "1001000000000 {\"stream\":\"btcusdt@markPrice@1s\",\"data\":{"
	    "\"e\":\"markPriceUpdate\",\"E\":1001000,\"s\":\"BTCUSDT\","
	    "\"p\":\"60100.00000000\",\"P\":\"60090.5\",\"i\":"
	    "\"60095.25\",\"r\":\"-0.00030000\",\"T\":1001000}}",
	    "1003000000000 {\"stream\":\"btcusdt@bookTicker\",\"data\":{"
	    "\"e\":\"bookTicker\",\"u\":2,\"s\":\"BTCUSDT\",\"b\":"
	    "\"60000.00\",\"B\":\"5\",\"a\":\"60000.10\",\"A\":\"5\","
	    "\"T\":1003000,\"E\":1003000}}",
	};
	char path[] = "/tmp/check_account_replay_XXXXXX";
	const struct exch_user_event *ev[4];
	const struct exch_mkt_event *mk = NULL;
	struct exch_opts o;
	struct exch_mark m;
	int fd, i;
	FILE *fp;
	int64_t start = T0_NS + (H8_MS - 2000) * 1000000LL;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	for (i = 0; i < 3; i++)
		fprintf(fp, "%s\n", lines[i]);
	fclose(fp);
	tfix_free(f);
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->now = start;
	tfix_opts(f, &o);
	o.market = EXCH_MKT_REPLAY;
	snprintf(o.replay.path, sizeof(o.replay.path), "%s", path);
	o.replay.speed = 1;
	tfix_start_opts(f, &o);
	exch_step(f->ex, f->now);
	tfix_place(f, f->a1, EXCH_BUY, EXCH_MARKET, EXCH_GTC, 0.5, 0);
	f->now = start + 1000 * 1000000LL;
	exch_step(f->ex, f->now);
	for (i = 0; i < f->nmkt; i++)
		if (f->mkt[i].type == EXCH_EV_MARK_PRICE)
			mk = &f->mkt[i];
	ck_assert_ptr_nonnull(mk);
	ck_assert(mk->mark.p == 60100 && mk->mark.i == 60095.25 &&
	    mk->mark.P == 60090.5 && mk->mark.r == -0.0003);
	ck_assert_int_eq(mk->mark.next_funding_ms, T0_NS / 1000000 + H8_MS);
	ck_assert_int_eq(exch_mark_get(f->ex, 0, &m), 0);
	ck_assert(m.mark == 60100 && m.funding_rate == -0.0003);
	f->now = start + 1999 * 1000000LL;
	exch_step(f->ex, f->now);
	ck_assert_int_eq(fundings(f->a1, ev, 4), 0);
	f->now = start + 3000 * 1000000LL;
	exch_step(f->ex, f->now);
	/* the long receives 0.5 x 60100 x 0.0003 = 9.015 */
	ck_assert_int_eq(fundings(f->a1, ev, 4), 1);
	ck_assert_near(ev[0]->au.bal[0].bc, 9.015, 1e-12);
	ck_assert_int_eq(ev[0]->E_ms, T0_NS / 1000000 + H8_MS);
	/* the mid did not replace the recorded mark */
	ck_assert_int_eq(exch_mark_get(f->ex, 0, &m), 0);
	ck_assert(m.mark == 60100);
	remove(path);
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
	tcase_add_test(tc, test_funding_math);
	tcase_add_test(tc, test_fee_tiers);
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
	tcase_add_test(tc, test_funding_long_short_flat);
	tcase_add_test(tc, test_funding_boundary);
	tcase_add_test(tc, test_funding_intervals);
	tcase_add_test(tc, test_funding_options);
	tcase_add_test(tc, test_funding_replay);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(account_suite());
}
