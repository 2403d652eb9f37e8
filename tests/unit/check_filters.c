/*
 * check_filters.c — symbol specs and every order filter error, with the
 * exact code and message a Binance client sees.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_fixture.h"
#include "check_run.h"

static const struct exch_symbol_spec *btc;

static void
setup(void)
{
	btc = exch_spec_builtin("BTCUSDT");
	ck_assert_ptr_nonnull(btc);
}

static struct flt_order
lim(enum exch_side side, double price, double qty)
{
	struct flt_order o;

	memset(&o, 0, sizeof(o));
	o.side = side;
	o.type = EXCH_LIMIT;
	o.price = price;
	o.qty = qty;
	o.mark = 60000;
	return o;
}

/* Expect flt_check to fail with code and, if msg, that message. */
static void
expect(const struct exch_symbol_spec *s, const struct flt_order *o, int code,
    const char *msg)
{
	struct exch_err e;
	int64_t px, lots;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(flt_check(s, o, &px, &lots, &e), -1);
	ck_assert_msg(e.code == code, "want %d got %d (%s)", code, e.code, e.msg);
	ck_assert_int_eq(e.http, 400);
	if (msg != NULL)
		ck_assert_str_eq(e.msg, msg);
}

START_TEST(test_specs)
{
	const struct exch_symbol_spec *eth = exch_spec_builtin("ETHUSDT");

	ck_assert_near(btc->tick_size, 0.1, 1e-12);
	ck_assert_near(btc->step_size, 0.001, 1e-12);
	ck_assert_near(btc->min_qty, 0.001, 1e-12);
	ck_assert_near(btc->min_notional, 100, 1e-12);
	ck_assert_int_eq(btc->max_num_orders, 200);
	ck_assert_near(btc->pct_up, 1.05, 1e-12);
	ck_assert_near(btc->pct_down, 0.95, 1e-12);
	ck_assert_ptr_nonnull(eth);
	ck_assert_near(eth->tick_size, 0.01, 1e-12);
	ck_assert_near(eth->step_size, 0.001, 1e-12);
	ck_assert_near(eth->min_notional, 20, 1e-12);
	ck_assert_ptr_null(exch_spec_builtin("DOGEUSDT"));
	/* brackets: 125x up to 50k notional, 20x up to 100M */
	ck_assert_near(exch_spec_max_notional(btc, 125), 50000, 1e-6);
	ck_assert_near(exch_spec_max_notional(btc, 20), 100000000, 1e-6);
	ck_assert_near(exch_spec_max_notional(btc, 21), 70000000, 1e-6);
	ck_assert_near(exch_spec_bracket(btc, 1000)->maint_margin_ratio, 0.004,
	    1e-12);
	/* cum makes the tiers continuous: mm(50k) the same from both sides */
	{
		const struct exch_bracket *b2 = exch_spec_bracket(btc, 50000);

		ck_assert_near(50000 * b2->maint_margin_ratio - b2->cum,
		    50000 * 0.004, 1e-6);
	}
}
END_TEST

START_TEST(test_units)
{
	int64_t u;

	ck_assert(flt_to_units(61800.2, 0.1, &u));
	ck_assert_int_eq(u, 618002);
	ck_assert(!flt_to_units(61800.25, 0.1, &u));
	ck_assert(flt_to_units(0.003, 0.001, &u));
	ck_assert_int_eq(u, 3);
	ck_assert(!flt_to_units(0.0035, 0.001, &u));
	ck_assert_int_eq(flt_decimals(61800.2), 1);
	ck_assert_int_eq(flt_decimals(0.0015), 4);
	ck_assert_int_eq(flt_decimals(100), 0);
}
END_TEST

START_TEST(test_ok)
{
	struct flt_order o = lim(EXCH_BUY, 60000.1, 0.002);
	struct exch_err e;
	int64_t px, lots;

	ck_assert_int_eq(flt_check(btc, &o, &px, &lots, &e), 0);
	ck_assert_int_eq(px, 600001);
	ck_assert_int_eq(lots, 2);
}
END_TEST

START_TEST(test_tick)
{
	struct flt_order o = lim(EXCH_BUY, 60000.05, 0.01);

	expect(btc, &o, -4014, "Price not increased by tick size.");
	o.price = 60000.055;	/* more decimals than pricePrecision 2 */
	expect(btc, &o, -1111,
	    "Precision is over the maximum defined for this asset.");
}
END_TEST

START_TEST(test_step)
{
	struct exch_symbol_spec s = *btc;
	struct flt_order o = lim(EXCH_BUY, 60000, 0.0015);

	expect(btc, &o, -1111,
	    "Precision is over the maximum defined for this asset.");
	/* a step coarser than the precision: -4023 */
	s.step_size = 0.002;
	s.min_qty = 0.002;
	o.qty = 0.003;
	expect(&s, &o, -4023, "Qty not increased by step size.");
}
END_TEST

START_TEST(test_ranges)
{
	struct flt_order o = lim(EXCH_BUY, 500, 0.5);

	expect(btc, &o, -4013, "Price less than min price.");
	o.price = 5000000;
	o.mark = 0;
	expect(btc, &o, -4002, "Price greater than max price.");
	o = lim(EXCH_BUY, 60000, 0.0);
	expect(btc, &o, -1102, NULL);
	o.qty = -1;
	expect(btc, &o, -4003, "Quantity less than zero.");
	o = lim(EXCH_BUY, -1, 1);
	expect(btc, &o, -4001, "Price less than 0.");
	o = lim(EXCH_BUY, 0, 1);
	expect(btc, &o, -1102, "Mandatory parameter 'price' was not sent, was "
	    "empty/null, or malformed.");
	o = lim(EXCH_BUY, 60000, 1001);
	expect(btc, &o, -4005, "Quantity greater than max quantity.");
	{
		struct exch_symbol_spec s = *btc;

		s.min_qty = 0.01;
		o = lim(EXCH_BUY, 60000, 0.005);
		expect(&s, &o, -4004, "Quantity less than min quantity.");
	}
	/* MARKET_LOT_SIZE: 120 BTC at most */
	o = lim(EXCH_BUY, 0, 121);
	o.type = EXCH_MARKET;
	expect(btc, &o, -4005, NULL);
	o.qty = 1;
	o.price = 60000;
	expect(btc, &o, -1106, "Parameter 'price' sent when not required.");
}
END_TEST

START_TEST(test_min_notional)
{
	struct flt_order o = lim(EXCH_BUY, 60000, 0.001);	/* 60 USDT */
	struct exch_err e;
	int64_t px, lots;

	expect(btc, &o, -4164, "Order's notional must be no smaller than 100 "
	    "(unless you choose reduce only)");
	o.reduce_only = true;
	ck_assert_int_eq(flt_check(btc, &o, &px, &lots, &e), 0);
	o = lim(EXCH_BUY, 60000, 0.002);
	ck_assert_int_eq(flt_check(btc, &o, &px, &lots, &e), 0);
	/* ETH: 20 USDT */
	o = lim(EXCH_BUY, 2600, 0.007);
	o.mark = 2600;
	expect(exch_spec_builtin("ETHUSDT"), &o, -4164, "Order's notional must "
	    "be no smaller than 20 (unless you choose reduce only)");
	/* MARKET notional at the price it would trade */
	o = lim(EXCH_SELL, 0, 0.001);
	o.type = EXCH_MARKET;
	o.last_price = 60000;
	expect(btc, &o, -4164, NULL);
}
END_TEST

START_TEST(test_percent_price)
{
	struct flt_order o = lim(EXCH_BUY, 63000.1, 0.01);	/* > 1.05 x 60000 */
	struct exch_err e;
	int64_t px, lots;

	expect(btc, &o, -4016, "Limit price can't be higher than 63000.00.");
	o.price = 63000;
	ck_assert_int_eq(flt_check(btc, &o, &px, &lots, &e), 0);
	/* a low buy is fine, a low sell is not */
	o.price = 50000;
	ck_assert_int_eq(flt_check(btc, &o, &px, &lots, &e), 0);
	o = lim(EXCH_SELL, 56999.9, 0.01);
	expect(btc, &o, -4024, "Limit price can't be lower than 57000.00.");
	/* MARKET: the best opposite price must be inside the band */
	o = lim(EXCH_BUY, 0, 0.01);
	o.type = EXCH_MARKET;
	o.best_opposite = 63500;
	o.last_price = 63500;
	expect(btc, &o, -4131, "The counterparty's best price does not meet the "
	    "PERCENT_PRICE filter limit");
}
END_TEST

START_TEST(test_cid)
{
	ck_assert(flt_cid_valid("abc.DEF:/_-09"));
	ck_assert(flt_cid_valid("x"));
	ck_assert(!flt_cid_valid(""));
	ck_assert(!flt_cid_valid("has space"));
	ck_assert(!flt_cid_valid("0123456789012345678901234567890123456"));
	ck_assert(flt_cid_valid("012345678901234567890123456789012345"));
}
END_TEST

START_TEST(test_enums)
{
	enum exch_side sd;
	enum exch_tif tif;
	enum exch_otype ot;
	enum exch_stp stp;
	enum exch_pside ps;

	ck_assert_int_eq(exch_side_parse("SELL", &sd), 0);
	ck_assert_int_eq(sd, EXCH_SELL);
	ck_assert_int_eq(exch_side_parse("sell", &sd), -1);
	ck_assert_int_eq(exch_tif_parse("GTX", &tif), 0);
	ck_assert_int_eq(tif, EXCH_GTX);
	ck_assert_int_eq(exch_otype_parse("STOP", &ot), -1);
	ck_assert_int_eq(exch_stp_parse("EXPIRE_BOTH", &stp), 0);
	ck_assert_int_eq(exch_pside_parse("BOTH", &ps), 0);
	ck_assert_str_eq(exch_status_str(EXCH_ST_EXPIRED_IN_MATCH),
	    "EXPIRED_IN_MATCH");
	ck_assert_str_eq(exch_exec_str(EXCH_X_TRADE), "TRADE");
	ck_assert_str_eq(exch_tif_str(EXCH_GTD), "GTD");
}
END_TEST

START_TEST(test_fmt)
{
	char buf[32];

	exch_fmt(buf, sizeof(buf), 61800.2, 2);
	ck_assert_str_eq(buf, "61800.20");
	exch_fmt(buf, sizeof(buf), -0.0000001, 3);
	ck_assert_str_eq(buf, "0.000");
	exch_fmt(buf, sizeof(buf), 0.001 * 3, 3);
	ck_assert_str_eq(buf, "0.003");
}
END_TEST

/* Through the engine: symbol, position side, timeInForce checks. */
START_TEST(test_engine_checks)
{
	struct tfix *f = tfix_new();
	struct exch_order_req r;

	tfix_book(f, 60000.0, 2, 60000.1, 2);
	r = tfix_req(EXCH_BUY, EXCH_LIMIT, EXCH_GTC, 0.01, 59000);
	r.symbol = "FOOUSDT";
	ck_assert_str_eq(tfix_reject(f, f->a1, &r, -1121), "Invalid symbol.");
	r.symbol = "BTCUSDT";
	r.pside = EXCH_PS_LONG;
	ck_assert_str_eq(tfix_reject(f, f->a1, &r, -4061),
	    "Order's position side does not match user's setting.");
	r.pside = EXCH_PS_BOTH;
	r.tif_set = false;
	tfix_reject(f, f->a1, &r, -1102);
	r.tif_set = true;
	r.price = 59000.05;
	tfix_reject(f, f->a1, &r, -4014);
	r.price = 64000;
	tfix_reject(f, f->a1, &r, -4016);
	ck_assert_int_eq(f->nuser, 0);
	tfix_free(f);
}
END_TEST

static Suite *
filters_suite(void)
{
	Suite *s = suite_create("filters");
	TCase *tc = tcase_create("filters");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_specs);
	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_ok);
	tcase_add_test(tc, test_tick);
	tcase_add_test(tc, test_step);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_min_notional);
	tcase_add_test(tc, test_percent_price);
	tcase_add_test(tc, test_cid);
	tcase_add_test(tc, test_enums);
	tcase_add_test(tc, test_fmt);
	tcase_add_test(tc, test_engine_checks);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(filters_suite());
}
