/*
 * check_bn_parse.c — every payload of the shared examples.json through its
 * parser with its field values asserted, the router, real recorded frames,
 * and malformed variants: every truncation of every payload, missing
 * fields, wrong types, huge numbers, over-long strings and arrays.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bn_parse.h"
#include "check_run.h"

#define EXAMPLES	PMM_SHARED_DATA "/examples.json"
#define RECORDING	PMM_SHARED_DATA "/btcusdt_20240808.gz"

static json_t *examples;	/* loaded once before the forks */

#define NEAR(a, b)	ck_assert_msg(near((a), (b)), "%s = %.12g, want %.12g", \
			    #a, (double)(a), (double)(b))

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1, fabs(b));
}

/* The payload's "json", compact, as the wire would carry it. */
static char *
payload(const char *name, size_t *len)
{
	json_t	*e = json_object_get(json_object_get(examples, name), "json");
	char	*s;

	ck_assert_msg(e != NULL, "no payload %s in examples.json", name);
	s = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(s);
	*len = strlen(s);
	return s;
}

#define SKIP_IF_ABSENT() do {						\
	if (examples == NULL) {						\
		fprintf(stderr, "%s: %s absent, skipped\n", __func__,	\
		    EXAMPLES);						\
		return;							\
	}								\
} while (0)

/* Which parser reads a payload. */
enum kind {
	K_BT, K_TRADE, K_AGG, K_MARK, K_DEPTH, K_EVENT, K_RESULT, K_OU, K_AU,
	K_LKE, K_TL, K_LKEY, K_EMPTY, K_ORDER, K_BATCH, K_ERROR, K_COUNTDOWN,
	K_POS, K_BAL, K_LEV, K_TIME, K_RDEPTH, K_RBT, K_EINFO
};

static union {
	struct bn_book_ticker		bt;
	struct bn_trade			tr;
	struct bn_agg_trade		agg;
	struct bn_mark_price		mark;
	struct bn_depth			depth;
	struct bn_event			ev;
	struct bn_ws_result		res;
	struct bn_order_update		ou;
	struct bn_account_update	au;
	struct bn_listen_key_expired	lke;
	struct bn_trade_lite		tl;
	struct bn_order			order;
	struct bn_batch			batch;
	struct bn_error			err;
	struct bn_countdown		cd;
	struct bn_position		pos[4];
	struct bn_balance		bal[4];
	struct bn_leverage		lev;
	struct bn_exchange_info		ei;
	char				key[BN_KEYLEN];
	int64_t				ms;
} o;

static int
parse(enum kind k, const char *b, size_t n, struct bn_why *w)
{
	int cnt;

	switch (k) {
	case K_BT: return bn_parse_book_ticker(b, n, &o.bt, w);
	case K_TRADE: return bn_parse_trade(b, n, &o.tr, w);
	case K_AGG: return bn_parse_agg_trade(b, n, &o.agg, w);
	case K_MARK: return bn_parse_mark_price(b, n, &o.mark, w);
	case K_DEPTH: return bn_parse_depth(b, n, &o.depth, w);
	case K_EVENT: return bn_parse_event(b, n, &o.ev, w);
	case K_RESULT: return bn_parse_ws_result(b, n, &o.res, w);
	case K_OU: return bn_parse_order_update(b, n, &o.ou, w);
	case K_AU: return bn_parse_account_update(b, n, &o.au, w);
	case K_LKE: return bn_parse_listen_key_expired(b, n, &o.lke, w);
	case K_TL: return bn_parse_trade_lite(b, n, &o.tl, w);
	case K_LKEY: return bn_parse_listen_key(b, n, o.key, sizeof(o.key), w);
	case K_EMPTY: return bn_parse_empty(b, n, w);
	case K_ORDER: return bn_parse_order(b, n, &o.order, w);
	case K_BATCH: return bn_parse_batch(b, n, &o.batch, w);
	case K_ERROR: return bn_parse_error(b, n, &o.err, w);
	case K_COUNTDOWN: return bn_parse_countdown(b, n, &o.cd, w);
	case K_POS: return bn_parse_positions(b, n, o.pos, 4, &cnt, w);
	case K_BAL: return bn_parse_balances(b, n, o.bal, 4, &cnt, w);
	case K_LEV: return bn_parse_leverage(b, n, &o.lev, w);
	case K_TIME: return bn_parse_server_time(b, n, &o.ms, w);
	case K_RDEPTH: return bn_parse_rest_depth(b, n, &o.depth, w);
	case K_RBT: return bn_parse_rest_book_ticker(b, n, NULL, &o.bt, w);
	case K_EINFO:
		return bn_parse_exchange_info(b, n, "BLZUSDT", &o.ei, w);
	}
	return -1;
}

/* Every payload of examples.json and the parser that reads it. */
static const struct {
	const char	*name;
	enum kind	 k;
} tab[] = {
	{ "ws_bookTicker_event_doc", K_BT },
	{ "ws_bookTicker_real_recorded_combined", K_BT },
	{ "ws_trade_real_recorded_combined", K_TRADE },
	{ "ws_markPrice_real_recorded_combined", K_MARK },
	{ "ws_partial_depth_event_doc", K_DEPTH },
	{ "ws_diff_depth_event_doc", K_DEPTH },
	{ "ws_aggTrade_event_doc", K_AGG },
	{ "ws_markPrice_event_doc", K_MARK },
	{ "ws_combined_wrapper_doc", K_EVENT },
	{ "ws_subscribe_request_doc", K_EVENT },
	{ "ws_subscribe_response_doc", K_RESULT },
	{ "ws_list_subscriptions_response_doc", K_RESULT },
	{ "ws_ORDER_TRADE_UPDATE_doc", K_OU },
	{ "ws_ACCOUNT_UPDATE_doc", K_AU },
	{ "ws_listenKeyExpired_doc", K_LKE },
	{ "ws_TRADE_LITE_doc", K_TL },
	{ "rest_listenKey_POST_response_doc", K_LKEY },
	{ "rest_listenKey_PUT_response_doc", K_LKEY },
	{ "rest_listenKey_DELETE_response_doc", K_EMPTY },
	{ "rest_new_order_response_doc", K_ORDER },
	{ "rest_batch_order_real_response_passivbot", K_BATCH },
	{ "rest_cancel_order_response_doc", K_ORDER },
	{ "rest_cancel_all_open_orders_response_doc", K_ERROR },
	{ "rest_batch_cancel_response_doc", K_BATCH },
	{ "rest_batch_place_error_element_doc", K_ERROR },
	{ "rest_countdownCancelAll_response_doc", K_COUNTDOWN },
	{ "rest_positionRisk_v2_element_doc", K_POS },
	{ "rest_positionRisk_v3_element_doc", K_POS },
	{ "rest_balance_v2_element_doc", K_BAL },
	{ "rest_leverage_response_doc", K_LEV },
	{ "rest_time_response_doc", K_TIME },
	{ "rest_ping_response_doc", K_EMPTY },
	{ "rest_depth_response_doc", K_RDEPTH },
	{ "rest_bookTicker_response_doc", K_RBT },
	{ "rest_exchangeInfo_response_doc", K_EINFO },
	{ "error_body_doc", K_ERROR },
	{ "error_-1021_real", K_ERROR },
	{ "error_-1022_real", K_ERROR },
	{ "error_-5022_real", K_ERROR },
	{ "error_-2011_doc", K_ERROR },
	{ "error_-2019_doc", K_ERROR },
	{ "error_-4164_doc", K_ERROR },
	{ "error_-1003_real_ban", K_ERROR },
	{ "error_-1015_real_msg", K_ERROR },
};
#define NTAB	(sizeof(tab) / sizeof(tab[0]))

/* Parse payload `name` with kind k; it must succeed. */
static void
must(const char *name, enum kind k)
{
	struct bn_why	 w = { "" };
	size_t		 len;
	char		*s = payload(name, &len);

	ck_assert_msg(parse(k, s, len, &w) == 0, "%s: %s", name, w.s);
	free(s);
}

START_TEST(test_table_covers_every_payload)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	int		 found;

	SKIP_IF_ABSENT();
	ck_assert_int_eq(json_object_size(examples), NTAB);
	json_object_foreach(examples, key, v) {
		for (found = 0, i = 0; i < NTAB && !found; i++)
			found = strcmp(tab[i].name, key) == 0;
		ck_assert_msg(found, "payload %s has no parser in the test", key);
	}
	for (i = 0; i < NTAB; i++)
		must(tab[i].name, tab[i].k);
}
END_TEST

START_TEST(test_book_ticker)
{
	SKIP_IF_ABSENT();
	must("ws_bookTicker_event_doc", K_BT);
	ck_assert_int_eq(o.bt.u, 400900217);
	ck_assert_int_eq(o.bt.E, 1568014460893LL);
	ck_assert_int_eq(o.bt.T, 1568014460891LL);
	ck_assert_str_eq(o.bt.s, "BNBUSDT");
	NEAR(o.bt.b, 25.3519);
	NEAR(o.bt.B, 31.21);
	NEAR(o.bt.a, 25.3652);
	NEAR(o.bt.A, 40.66);

	must("ws_bookTicker_real_recorded_combined", K_BT);
	ck_assert_int_eq(o.bt.u, 5123107839020LL);
	ck_assert_str_eq(o.bt.s, "BTCUSDT");
	NEAR(o.bt.b, 61800.20);
	NEAR(o.bt.B, 2.507);
	NEAR(o.bt.a, 61800.30);
	NEAR(o.bt.A, 2.510);
	ck_assert_int_eq(o.bt.T, 1723161256313LL);
	ck_assert_int_eq(o.bt.E, 1723161256313LL);
	/* the router sees the stream name and the type */
	must("ws_bookTicker_real_recorded_combined", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_BOOK_TICKER);
	ck_assert_str_eq(o.ev.stream, "btcusdt@bookTicker");
	ck_assert_str_eq(o.ev.e, "bookTicker");
	NEAR(o.ev.u.bt.a, 61800.30);

	must("rest_bookTicker_response_doc", K_RBT);
	ck_assert_str_eq(o.bt.s, "BTCUSDT");
	NEAR(o.bt.b, 4.0);
	NEAR(o.bt.B, 431.0);
	NEAR(o.bt.a, 4.000002);
	NEAR(o.bt.A, 9.0);
	ck_assert_int_eq(o.bt.T, 1589437530011LL);
}
END_TEST

START_TEST(test_trades_and_mark)
{
	SKIP_IF_ABSENT();
	must("ws_trade_real_recorded_combined", K_TRADE);
	ck_assert_int_eq(o.tr.E, 1723161256322LL);
	ck_assert_int_eq(o.tr.T, 1723161256322LL);
	ck_assert_str_eq(o.tr.s, "BTCUSDT");
	ck_assert_int_eq(o.tr.t, 5266583935LL);
	NEAR(o.tr.p, 61800.30);
	NEAR(o.tr.q, 0.006);
	ck_assert_str_eq(o.tr.X, "MARKET");
	ck_assert_int_eq(o.tr.m, 0);
	must("ws_trade_real_recorded_combined", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_TRADE);

	must("ws_aggTrade_event_doc", K_AGG);
	ck_assert_int_eq(o.agg.E, 123456789);
	ck_assert_str_eq(o.agg.s, "BTCUSDT");
	ck_assert_int_eq(o.agg.a, 5933014);
	NEAR(o.agg.p, 0.001);
	NEAR(o.agg.q, 100);
	ck_assert_int_eq(o.agg.f, 100);
	ck_assert_int_eq(o.agg.l, 105);
	ck_assert_int_eq(o.agg.T, 123456785);
	ck_assert_int_eq(o.agg.m, 1);
	must("ws_aggTrade_event_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_AGG_TRADE);

	must("ws_markPrice_real_recorded_combined", K_MARK);
	ck_assert_int_eq(o.mark.E, 1680652800010LL);
	ck_assert_str_eq(o.mark.s, "BTCUSDT");
	NEAR(o.mark.p, 28155.1);
	NEAR(o.mark.P, 28141.47600845);
	NEAR(o.mark.i, 28165.04857143);
	NEAR(o.mark.r, 0.0000276);
	ck_assert_int_eq(o.mark.T, 1680652800000LL);
	must("ws_markPrice_real_recorded_combined", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_MARK_PRICE);
	ck_assert_str_eq(o.ev.stream, "btcusdt@markPrice@1s");

	must("ws_markPrice_event_doc", K_MARK);
	ck_assert_int_eq(o.mark.E, 1562305380000LL);
	NEAR(o.mark.p, 11794.15);
	NEAR(o.mark.i, 11784.62659091);
	NEAR(o.mark.P, 11784.25641265);
	NEAR(o.mark.r, 0.00038167);
	ck_assert_int_eq(o.mark.T, 1562306400000LL);
}
END_TEST

START_TEST(test_depth)
{
	SKIP_IF_ABSENT();
	must("ws_partial_depth_event_doc", K_DEPTH);
	ck_assert_int_eq(o.depth.E, 1571889248277LL);
	ck_assert_int_eq(o.depth.T, 1571889248276LL);
	ck_assert_str_eq(o.depth.s, "BTCUSDT");
	ck_assert_int_eq(o.depth.U, 390497796);
	ck_assert_int_eq(o.depth.u, 390497878);
	ck_assert_int_eq(o.depth.pu, 390497794);
	ck_assert_int_eq(o.depth.nbids, 5);
	ck_assert_int_eq(o.depth.nasks, 5);
	NEAR(o.depth.bids[0].px, 7403.89);
	NEAR(o.depth.bids[0].qty, 0.002);
	NEAR(o.depth.bids[4].px, 7405.43);
	NEAR(o.depth.asks[4].px, 7407.20);
	NEAR(o.depth.asks[4].qty, 0.175);

	must("ws_diff_depth_event_doc", K_DEPTH);
	ck_assert_int_eq(o.depth.E, 123456789);
	ck_assert_int_eq(o.depth.T, 123456788);
	ck_assert_int_eq(o.depth.U, 157);
	ck_assert_int_eq(o.depth.u, 160);
	ck_assert_int_eq(o.depth.pu, 149);
	ck_assert_int_eq(o.depth.nbids, 1);
	NEAR(o.depth.bids[0].px, 0.0024);
	NEAR(o.depth.bids[0].qty, 10);
	NEAR(o.depth.asks[0].px, 0.0026);
	NEAR(o.depth.asks[0].qty, 100);
	must("ws_diff_depth_event_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_DEPTH);
	ck_assert_int_eq(o.ev.u.depth.pu, 149);

	must("rest_depth_response_doc", K_RDEPTH);
	ck_assert_int_eq(o.depth.u, 1027024);
	ck_assert_int_eq(o.depth.E, 1589436922972LL);
	ck_assert_int_eq(o.depth.T, 1589436922959LL);
	ck_assert_int_eq(o.depth.nbids, 1);
	ck_assert_int_eq(o.depth.nasks, 1);
	NEAR(o.depth.bids[0].px, 4.0);
	NEAR(o.depth.bids[0].qty, 431.0);
	NEAR(o.depth.asks[0].px, 4.000002);
	NEAR(o.depth.asks[0].qty, 12.0);
}
END_TEST

START_TEST(test_ws_misc)
{
	SKIP_IF_ABSENT();
	/* an empty combined frame is valid and unknown */
	must("ws_combined_wrapper_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_UNKNOWN);
	ck_assert_str_eq(o.ev.stream, "<streamName>");
	/* our own SUBSCRIBE request read back: unknown, not an error */
	must("ws_subscribe_request_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_UNKNOWN);

	must("ws_subscribe_response_doc", K_RESULT);
	ck_assert_int_eq(o.res.id, 1);
	ck_assert_int_eq(o.res.is_null, 1);
	ck_assert_int_eq(o.res.n, 0);
	must("ws_subscribe_response_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_WS_RESULT);

	must("ws_list_subscriptions_response_doc", K_RESULT);
	ck_assert_int_eq(o.res.id, 3);
	ck_assert_int_eq(o.res.is_null, 0);
	ck_assert_int_eq(o.res.n, 1);
	ck_assert_str_eq(o.res.result[0], "btcusdt@aggTrade");
}
END_TEST

START_TEST(test_order_trade_update)
{
	SKIP_IF_ABSENT();
	must("ws_ORDER_TRADE_UPDATE_doc", K_OU);
	ck_assert_int_eq(o.ou.E, 1568879465651LL);
	ck_assert_int_eq(o.ou.T, 1568879465650LL);
	ck_assert_str_eq(o.ou.s, "BTCUSDT");
	ck_assert_str_eq(o.ou.c, "TEST");
	ck_assert_int_eq(o.ou.side, BN_SIDE_SELL);
	ck_assert_str_eq(o.ou.o, "TRAILING_STOP_MARKET");
	ck_assert_str_eq(o.ou.f, "GTC");
	NEAR(o.ou.q, 0.001);
	NEAR(o.ou.p, 0);
	NEAR(o.ou.ap, 0);
	NEAR(o.ou.sp, 7103.04);
	ck_assert_int_eq(o.ou.x, BN_EX_NEW);
	ck_assert_int_eq(o.ou.X, BN_ST_NEW);
	ck_assert_int_eq(o.ou.i, 8886774);
	NEAR(o.ou.l, 0);
	NEAR(o.ou.z, 0);
	NEAR(o.ou.L, 0);
	ck_assert_str_eq(o.ou.N, "USDT");
	NEAR(o.ou.n, 0);
	ck_assert_int_eq(o.ou.trade_T, 1568879465650LL);
	ck_assert_int_eq(o.ou.t, 0);
	NEAR(o.ou.b, 0);
	NEAR(o.ou.a, 9.91);
	ck_assert_int_eq(o.ou.m, 0);
	ck_assert_int_eq(o.ou.R, 0);
	ck_assert_str_eq(o.ou.wt, "CONTRACT_PRICE");
	ck_assert_str_eq(o.ou.ot, "TRAILING_STOP_MARKET");
	ck_assert_str_eq(o.ou.ps, "LONG");
	ck_assert_int_eq(o.ou.cp, 0);
	ck_assert_int_eq(o.ou.pP, 0);
	NEAR(o.ou.rp, 0);
	ck_assert_int_eq(o.ou.si, 0);
	ck_assert_int_eq(o.ou.ss, 0);
	ck_assert_str_eq(o.ou.V, "EXPIRE_TAKER");
	ck_assert_str_eq(o.ou.pm, "OPPONENT");
	ck_assert_int_eq(o.ou.gtd, 0);
	must("ws_ORDER_TRADE_UPDATE_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_ORDER_UPDATE);
	ck_assert_int_eq(o.ev.u.ou.i, 8886774);
}
END_TEST

START_TEST(test_account_update)
{
	SKIP_IF_ABSENT();
	must("ws_ACCOUNT_UPDATE_doc", K_AU);
	ck_assert_int_eq(o.au.E, 1564745798939LL);
	ck_assert_int_eq(o.au.T, 1564745798938LL);
	ck_assert_str_eq(o.au.m, "ORDER");
	ck_assert_int_eq(o.au.nB, 2);
	ck_assert_str_eq(o.au.B[0].a, "USDT");
	NEAR(o.au.B[0].wb, 122624.12345678);
	NEAR(o.au.B[0].cw, 100.12345678);
	NEAR(o.au.B[0].bc, 50.12345678);
	ck_assert_str_eq(o.au.B[1].a, "BUSD");
	NEAR(o.au.B[1].bc, -49.12345678);
	ck_assert_int_eq(o.au.nP, 3);
	ck_assert_str_eq(o.au.P[0].ps, "BOTH");
	NEAR(o.au.P[0].cr, 200);
	NEAR(o.au.P[1].pa, 20);
	NEAR(o.au.P[1].ep, 6563.665);
	NEAR(o.au.P[1].up, 2850.212);
	ck_assert_str_eq(o.au.P[1].mt, "isolated");
	NEAR(o.au.P[1].iw, 13200.70726908);
	ck_assert_str_eq(o.au.P[1].ps, "LONG");
	NEAR(o.au.P[2].pa, -10);
	NEAR(o.au.P[2].bep, 6563.6);
	NEAR(o.au.P[2].cr, -45.04);
	NEAR(o.au.P[2].up, -1423.156);
	ck_assert_str_eq(o.au.P[2].ps, "SHORT");
	ck_assert_int_eq(o.au.truncated, 0);
	must("ws_ACCOUNT_UPDATE_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_ACCOUNT_UPDATE);
}
END_TEST

START_TEST(test_listen_key_and_lite)
{
	SKIP_IF_ABSENT();
	/* E is a string here */
	must("ws_listenKeyExpired_doc", K_LKE);
	ck_assert_int_eq(o.lke.E, 1736996475556LL);
	ck_assert_str_eq(o.lke.listenKey,
	    "WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv");
	must("ws_listenKeyExpired_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_LISTEN_KEY_EXPIRED);

	must("ws_TRADE_LITE_doc", K_TL);
	ck_assert_int_eq(o.tl.E, 1721895408092LL);
	ck_assert_int_eq(o.tl.T, 1721895408214LL);
	ck_assert_str_eq(o.tl.s, "BTCUSDT");
	NEAR(o.tl.q, 0.001);
	NEAR(o.tl.p, 0);
	ck_assert_int_eq(o.tl.m, 0);
	ck_assert_str_eq(o.tl.c, "z8hcUoOsqEdKMeKPSABslD");
	ck_assert_int_eq(o.tl.side, BN_SIDE_BUY);
	NEAR(o.tl.L, 64089.20);
	NEAR(o.tl.l, 0.040);
	ck_assert_int_eq(o.tl.t, 109100866);
	ck_assert_int_eq(o.tl.i, 8886774);
	must("ws_TRADE_LITE_doc", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_TRADE_LITE);

	must("rest_listenKey_POST_response_doc", K_LKEY);
	ck_assert_str_eq(o.key,
	    "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1");
	must("rest_listenKey_PUT_response_doc", K_LKEY);
	ck_assert_str_eq(o.key,
	    "3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg");
	must("rest_listenKey_DELETE_response_doc", K_EMPTY);
	must("rest_ping_response_doc", K_EMPTY);
	/* {} is not a listenKey answer */
	ck_assert_int_eq(bn_parse_listen_key("{}", 2, o.key, sizeof(o.key),
	    NULL), -1);
}
END_TEST

START_TEST(test_orders)
{
	SKIP_IF_ABSENT();
	must("rest_new_order_response_doc", K_ORDER);
	ck_assert_int_eq(o.order.orderId, 22542179);
	ck_assert_str_eq(o.order.clientOrderId, "testOrder");
	ck_assert_str_eq(o.order.symbol, "BTCUSDT");
	ck_assert_int_eq(o.order.status, BN_ST_NEW);
	ck_assert_int_eq(o.order.side, BN_SIDE_BUY);
	ck_assert_str_eq(o.order.type, "TRAILING_STOP_MARKET");
	ck_assert_str_eq(o.order.origType, "TRAILING_STOP_MARKET");
	ck_assert_str_eq(o.order.timeInForce, "GTD");
	ck_assert_str_eq(o.order.positionSide, "SHORT");
	NEAR(o.order.origQty, 10);
	NEAR(o.order.price, 0);
	NEAR(o.order.stopPrice, 9300);
	NEAR(o.order.activatePrice, 9020);
	NEAR(o.order.priceRate, 0.3);
	NEAR(o.order.cumQuote, 0);
	ck_assert_int_eq(o.order.reduceOnly, 0);
	ck_assert_int_eq(o.order.closePosition, 0);
	ck_assert_str_eq(o.order.workingType, "CONTRACT_PRICE");
	ck_assert_str_eq(o.order.priceMatch, "NONE");
	ck_assert_str_eq(o.order.stp, "NONE");
	ck_assert_int_eq(o.order.updateTime, 1566818724722LL);
	ck_assert_int_eq(o.order.goodTillDate, 1693207680000LL);

	must("rest_cancel_order_response_doc", K_ORDER);
	ck_assert_int_eq(o.order.orderId, 283194212);
	ck_assert_str_eq(o.order.clientOrderId, "myOrder1");
	ck_assert_int_eq(o.order.status, BN_ST_CANCELED);
	NEAR(o.order.origQty, 11);
	ck_assert_int_eq(o.order.updateTime, 1571110484038LL);

	must("rest_batch_order_real_response_passivbot", K_BATCH);
	ck_assert_int_eq(o.batch.n, 2);
	ck_assert_int_eq(o.batch.item[0].is_error, 1);
	ck_assert_int_eq(o.batch.item[0].err.code, -5022);
	ck_assert(strncmp(o.batch.item[0].err.msg, "Due to the order", 16) == 0);
	ck_assert_int_eq(o.batch.item[1].is_error, 0);
	ck_assert_int_eq(o.batch.item[1].order.orderId, 1405234856);
	ck_assert_str_eq(o.batch.item[1].order.symbol, "PHBUSDT");
	ck_assert_str_eq(o.batch.item[1].order.clientOrderId,
	    "shrtnclsa772eeb9868c4dc98a43aab8fa64");
	NEAR(o.batch.item[1].order.price, 1.124);
	ck_assert_str_eq(o.batch.item[1].order.timeInForce, "GTX");
	ck_assert_int_eq(o.batch.item[1].order.reduceOnly, 1);
	ck_assert_int_eq(o.batch.item[1].order.side, BN_SIDE_BUY);
	ck_assert_int_eq(o.batch.item[1].order.updateTime, 1709419134696LL);

	must("rest_batch_cancel_response_doc", K_BATCH);
	ck_assert_int_eq(o.batch.n, 2);
	ck_assert_int_eq(o.batch.item[0].is_error, 0);
	ck_assert_int_eq(o.batch.item[0].order.orderId, 283194212);
	ck_assert_int_eq(o.batch.item[0].order.status, BN_ST_CANCELED);
	ck_assert_int_eq(o.batch.item[1].is_error, 1);
	ck_assert_int_eq(o.batch.item[1].err.code, -2011);
	ck_assert_str_eq(o.batch.item[1].err.msg, "Unknown order sent.");

	must("rest_countdownCancelAll_response_doc", K_COUNTDOWN);
	ck_assert_str_eq(o.cd.symbol, "BTCUSDT");
	ck_assert_int_eq(o.cd.countdownTime, 100000);
}
END_TEST

START_TEST(test_codes)
{
	static const struct { const char *name; int code; const char *msg; }
	    errs[] = {
		{ "error_body_doc", -1121, "Invalid symbol." },
		{ "error_-1021_real", -1021, "Timestamp for this request is "
		    "outside of the recvWindow." },
		{ "error_-1022_real", -1022, "Signature for this request is "
		    "not valid." },
		{ "error_-5022_real", -5022, NULL },
		{ "error_-2011_doc", -2011, "Unknown order sent." },
		{ "error_-2019_doc", -2019, "Margin is insufficient." },
		{ "error_-4164_doc", -4164, NULL },
		{ "error_-1003_real_ban", -1003, NULL },
		{ "error_-1015_real_msg", -1015, "Too many new orders; current "
		    "limit is 300 orders per TEN_SECONDS." },
		{ "rest_batch_place_error_element_doc", -2022,
		    "ReduceOnly Order is rejected." },
	};
	size_t i;

	SKIP_IF_ABSENT();
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		must(errs[i].name, K_ERROR);
		ck_assert_int_eq(o.err.code, errs[i].code);
		ck_assert_int_eq(bn_error_is_success(&o.err), 0);
		if (errs[i].msg != NULL)
			ck_assert_str_eq(o.err.msg, errs[i].msg);
	}
	must("error_-4164_doc", K_ERROR);
	ck_assert(strstr(o.err.msg, "no smaller than 5.0") != NULL);
	must("error_-1003_real_ban", K_ERROR);
	ck_assert_int_eq(bn_parse_ban_until(o.err.msg), 1615183669840LL);
	must("error_-1003_real_ban", K_EVENT);
	ck_assert_int_eq(o.ev.type, BN_EV_ERROR);
	ck_assert_int_eq(o.ev.u.err.code, -1003);
	/* cancel-all's success body has a positive code */
	must("rest_cancel_all_open_orders_response_doc", K_ERROR);
	ck_assert_int_eq(o.err.code, 200);
	ck_assert_int_eq(bn_error_is_success(&o.err), 1);
	ck_assert_str_eq(o.err.msg,
	    "The operation of cancel all open order is done.");

	ck_assert_int_eq(bn_parse_ban_until("Too many requests."), 0);
	ck_assert_int_eq(bn_parse_ban_until("IP banned until soon"), 0);
	ck_assert_int_eq(bn_parse_ban_until(NULL), 0);
	ck_assert_int_eq(bn_parse_ban_until("banned until 99999999999999999999"
	    "9"), 0);
}
END_TEST

START_TEST(test_account_rest)
{
	const char	*b;
	int		 n;

	SKIP_IF_ABSENT();
	must("rest_positionRisk_v2_element_doc", K_POS);
	ck_assert_str_eq(o.pos[0].symbol, "BTCUSDT");
	NEAR(o.pos[0].positionAmt, 0.001);
	NEAR(o.pos[0].entryPrice, 22185.2);
	NEAR(o.pos[0].breakEvenPrice, 0);
	NEAR(o.pos[0].markPrice, 21123.05052574);
	NEAR(o.pos[0].unRealizedProfit, -1.06214947);
	NEAR(o.pos[0].liquidationPrice, 19731.45529116);
	ck_assert_int_eq(o.pos[0].leverage, 4);
	NEAR(o.pos[0].maxNotionalValue, 100000000);
	ck_assert_str_eq(o.pos[0].marginType, "cross");
	NEAR(o.pos[0].isolatedMargin, 0);
	ck_assert_int_eq(o.pos[0].isAutoAddMargin, 0);
	ck_assert_str_eq(o.pos[0].positionSide, "LONG");
	NEAR(o.pos[0].notional, 21.12305052);
	ck_assert_int_eq(o.pos[0].updateTime, 1655217461579LL);

	must("rest_positionRisk_v3_element_doc", K_POS);
	ck_assert_str_eq(o.pos[0].symbol, "ADAUSDT");
	ck_assert_str_eq(o.pos[0].positionSide, "BOTH");
	NEAR(o.pos[0].positionAmt, 30);
	NEAR(o.pos[0].entryPrice, 0.385);
	NEAR(o.pos[0].breakEvenPrice, 0.385077);
	NEAR(o.pos[0].markPrice, 0.4104759);
	NEAR(o.pos[0].unRealizedProfit, 0.764277);
	NEAR(o.pos[0].notional, 12.314277);
	ck_assert_str_eq(o.pos[0].marginAsset, "USDT");
	NEAR(o.pos[0].initialMargin, 0.61571385);
	NEAR(o.pos[0].maintMargin, 0.0800428);
	ck_assert_int_eq(o.pos[0].adl, 2);
	ck_assert_int_eq(o.pos[0].leverage, 0);		/* v3: absent */
	ck_assert_str_eq(o.pos[0].marginType, "");
	ck_assert_int_eq(o.pos[0].updateTime, 1720736417660LL);

	/* the real answer is an array; more than cap says -1 */
	b = "[{\"symbol\":\"A\",\"positionAmt\":\"1\"},"
	    "{\"symbol\":\"B\",\"positionAmt\":\"-2.5\"}]";
	ck_assert_int_eq(bn_parse_positions(b, strlen(b), o.pos, 4, &n, NULL),
	    0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(o.pos[1].symbol, "B");
	NEAR(o.pos[1].positionAmt, -2.5);
	ck_assert_int_eq(bn_parse_positions(b, strlen(b), o.pos, 1, &n, NULL),
	    0);
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(bn_parse_positions("[]", 2, o.pos, 4, &n, NULL), 0);
	ck_assert_int_eq(n, 0);

	must("rest_balance_v2_element_doc", K_BAL);
	ck_assert_str_eq(o.bal[0].accountAlias, "SgsR");
	ck_assert_str_eq(o.bal[0].asset, "USDT");
	NEAR(o.bal[0].balance, 122607.35137903);
	NEAR(o.bal[0].crossWalletBalance, 23.72469206);
	NEAR(o.bal[0].crossUnPnl, 0);
	NEAR(o.bal[0].availableBalance, 23.72469206);
	NEAR(o.bal[0].maxWithdrawAmount, 23.72469206);
	ck_assert_int_eq(o.bal[0].marginAvailable, 1);
	ck_assert_int_eq(o.bal[0].updateTime, 1617939110373LL);

	must("rest_leverage_response_doc", K_LEV);
	ck_assert_int_eq(o.lev.leverage, 21);
	NEAR(o.lev.maxNotionalValue, 1000000);
	ck_assert_str_eq(o.lev.symbol, "BTCUSDT");

	must("rest_time_response_doc", K_TIME);
	ck_assert_int_eq(o.ms, 1499827319559LL);
}
END_TEST

START_TEST(test_exchange_info)
{
	struct bn_exchange_info	*ei = &o.ei;
	struct bn_why		 w;
	size_t			 len;
	char			*s;

	SKIP_IF_ABSENT();
	must("rest_exchangeInfo_response_doc", K_EINFO);
	ck_assert_int_eq(ei->serverTime, 1565613908500LL);
	ck_assert_int_eq(ei->weight_1m, 2400);
	ck_assert_int_eq(ei->orders_1m, 1200);
	ck_assert_int_eq(ei->orders_10s, 0);
	ck_assert_str_eq(ei->status, "TRADING");
	ck_assert_str_eq(ei->f.symbol, "BLZUSDT");
	ck_assert_int_eq(ei->f.price_precision, 5);
	ck_assert_int_eq(ei->f.qty_precision, 0);
	ck_assert_int_eq(ei->f.tick.units, 1);
	ck_assert_int_eq(ei->f.tick.dp, 4);
	ck_assert_int_eq(ei->f.min_price_ticks, 1);
	ck_assert_int_eq(ei->f.max_price_ticks, 3000000);
	ck_assert_int_eq(ei->f.step.units, 1);
	ck_assert_int_eq(ei->f.step.dp, 0);
	ck_assert_int_eq(ei->f.min_qty_steps, 1);
	ck_assert_int_eq(ei->f.max_qty_steps, 10000000);
	ck_assert_int_eq(ei->f.mkt_max_qty.units, 590119);
	ck_assert_int_eq(ei->f.min_notional.units, 5);
	ck_assert_int_eq(ei->f.min_notional.dp, 0);
	ck_assert_int_eq(ei->f.max_num_orders, 200);
	NEAR(ei->f.pct_up, 1.15);
	NEAR(ei->f.pct_down, 0.85);

	s = payload("rest_exchangeInfo_response_doc", &len);
	ck_assert_int_eq(bn_parse_exchange_info(s, len, "BTCUSDT", ei, &w), -1);
	ck_assert_msg(strstr(w.s, "no symbol BTCUSDT") != NULL, "%s", w.s);
	free(s);
}
END_TEST

/* Every strict prefix of every payload is refused, with a reason. */
START_TEST(test_truncated)
{
	struct bn_why	 w;
	size_t		 i, len, cut;
	char		*s, *c;

	SKIP_IF_ABSENT();
	for (i = 0; i < NTAB; i++) {
		s = payload(tab[i].name, &len);
		for (cut = 0; cut < len; cut++) {
			/* a copy of exactly cut bytes so ASan sees overreads */
			c = malloc(cut + 1);
			memcpy(c, s, cut);
			w.s[0] = '\0';
			ck_assert_msg(parse(tab[i].k, c, cut, &w) == -1,
			    "%s cut at %zu parsed", tab[i].name, cut);
			ck_assert_msg(w.s[0] != '\0', "%s: no reason",
			    tab[i].name);
			free(c);
		}
		free(s);
	}
}
END_TEST

/* Remove each key of a payload in turn: required ones make it fail. */
static void
drop_each(const char *name, enum kind k, const char *inner,
    const char *required)
{
	json_t		*root, *obj, *cp;
	const char	*key;
	json_t		*v;
	struct bn_why	 w;
	char		*s, tag[40];
	int		 rc;

	root = json_object_get(json_object_get(examples, name), "json");
	obj = inner ? json_object_get(root, inner) : root;
	json_object_foreach(obj, key, v) {
		cp = json_deep_copy(root);
		json_object_del(inner ? json_object_get(cp, inner) : cp, key);
		s = json_dumps(cp, JSON_COMPACT);
		rc = parse(k, s, strlen(s), &w);
		snprintf(tag, sizeof(tag), ",%s,", key);
		if (strstr(required, tag) != NULL)
			ck_assert_msg(rc == -1 && strstr(w.s, key) != NULL,
			    "%s without %s: rc %d (%s)", name, key, rc, w.s);
		else
			ck_assert_msg(rc == 0, "%s without optional %s: %s",
			    name, key, w.s);
		free(s);
		json_decref(cp);
	}
}

START_TEST(test_missing_fields)
{
	SKIP_IF_ABSENT();
	drop_each("ws_bookTicker_event_doc", K_BT, NULL, ",s,b,B,a,A,");
	drop_each("ws_trade_real_recorded_combined", K_TRADE, "data",
	    ",s,t,p,q,m,");
	drop_each("ws_ORDER_TRADE_UPDATE_doc", K_OU, "o",
	    ",s,c,S,o,q,p,x,X,i,");
	drop_each("ws_TRADE_LITE_doc", K_TL, NULL, ",s,q,c,S,L,l,i,");
	drop_each("rest_new_order_response_doc", K_ORDER, NULL,
	    ",orderId,symbol,clientOrderId,status,");
	drop_each("rest_positionRisk_v2_element_doc", K_POS, NULL,
	    ",symbol,positionAmt,");
	drop_each("rest_balance_v2_element_doc", K_BAL, NULL,
	    ",asset,balance,availableBalance,");
	drop_each("rest_countdownCancelAll_response_doc", K_COUNTDOWN, NULL,
	    ",symbol,countdownTime,");
	drop_each("rest_leverage_response_doc", K_LEV, NULL,
	    ",leverage,symbol,");
	drop_each("rest_time_response_doc", K_TIME, NULL, ",serverTime,");
	drop_each("ws_diff_depth_event_doc", K_DEPTH, NULL, ",u,b,a,");
	drop_each("rest_depth_response_doc", K_RDEPTH, NULL,
	    ",lastUpdateId,bids,asks,");
	drop_each("error_body_doc", K_ERROR, NULL, ",code,");
}
END_TEST

/* A bookTicker whose "b" is the given JSON text. */
static int
bt_with_b(const char *bval)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"e\":\"bookTicker\",\"u\":1,\"s\":"
	    "\"BTCUSDT\",\"b\":%s,\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}", bval);
	return bn_parse_book_ticker(buf, strlen(buf), &o.bt, NULL);
}

START_TEST(test_wrong_types)
{
	static const char *bad[] = { "\"abc\"", "true", "null", "\"\"",
	    "\"1e999\"", "\"nan\"", "\"inf\"", "\" 1\"", "\"1 \"",
	    "\"0x10\"", "[\"1\"]", "{}", "\"1,5\"", "\"--1\"" };
	static const char *good[] = { "\"61800.20\"", "61800.2", "61800",
	    "\"1e3\"", "\"-0.5\"" };
	struct bn_why	w;
	const char	*b;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bt_with_b(bad[i]) == -1, "b=%s accepted", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(bt_with_b(good[i]) == 0, "b=%s refused", good[i]);
	/* ids: integer or digit string, nothing else */
	b = "{\"e\":\"bookTicker\",\"u\":\"77\",\"s\":\"X\",\"b\":\"1\","
	    "\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}";
	ck_assert_int_eq(bn_parse_book_ticker(b, strlen(b), &o.bt, NULL), 0);
	ck_assert_int_eq(o.bt.u, 77);
	b = "{\"u\":1.5,\"s\":\"X\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\","
	    "\"A\":\"1\"}";
	ck_assert_int_eq(bn_parse_book_ticker(b, strlen(b), &o.bt, &w), -1);
	ck_assert_msg(strstr(w.s, "\"u\"") != NULL, "%s", w.s);
	b = "{\"u\":\"12a\",\"s\":\"X\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\","
	    "\"A\":\"1\"}";
	ck_assert_int_eq(bn_parse_book_ticker(b, strlen(b), &o.bt, NULL), -1);
	/* symbol must be a string */
	b = "{\"s\":5,\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}";
	ck_assert_int_eq(bn_parse_book_ticker(b, strlen(b), &o.bt, NULL), -1);
	/* booleans: true or "true" only */
	b = "{\"e\":\"trade\",\"s\":\"X\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
	    "\"m\":\"yes\"}";
	ck_assert_int_eq(bn_parse_trade(b, strlen(b), &o.tr, NULL), -1);
	b = "{\"e\":\"trade\",\"s\":\"X\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
	    "\"m\":\"true\"}";
	ck_assert_int_eq(bn_parse_trade(b, strlen(b), &o.tr, NULL), 0);
	ck_assert_int_eq(o.tr.m, 1);
	/* a side that is neither */
	b = "{\"e\":\"TRADE_LITE\",\"s\":\"X\",\"q\":\"1\",\"c\":\"a\","
	    "\"S\":\"HOLD\",\"L\":\"1\",\"l\":\"1\",\"i\":1}";
	ck_assert_int_eq(bn_parse_trade_lite(b, strlen(b), &o.tl, &w), -1);
	ck_assert_msg(strstr(w.s, "BUY or SELL") != NULL, "%s", w.s);
	/* not objects at all */
	ck_assert_int_eq(bn_parse_book_ticker("[]", 2, &o.bt, NULL), -1);
	ck_assert_int_eq(bn_parse_book_ticker("null", 4, &o.bt, NULL), -1);
	ck_assert_int_eq(bn_parse_book_ticker("", 0, &o.bt, NULL), -1);
	ck_assert_int_eq(bn_parse_book_ticker(NULL, 5, &o.bt, NULL), -1);
	ck_assert_int_eq(bn_parse_order("\"x\"", 3, &o.order, NULL), -1);
	ck_assert_int_eq(bn_parse_batch("{}", 2, &o.batch, NULL), -1);
	ck_assert_int_eq(bn_parse_event("[1,2]", 5, &o.ev, NULL), -1);
	/* "e" that is not a string */
	ck_assert_int_eq(bn_parse_event("{\"e\":5}", 7, &o.ev, NULL), -1);
	/* bytes after the JSON */
	b = "{\"serverTime\":1}x";
	ck_assert_int_eq(bn_parse_server_time(b, strlen(b), &o.ms, NULL), -1);
	/* the length bounds the read: a valid prefix of a longer buffer */
	ck_assert_int_eq(bn_parse_server_time(b, strlen(b) - 1, &o.ms, NULL),
	    0);
	ck_assert_int_eq(o.ms, 1);
}
END_TEST

START_TEST(test_huge_and_long)
{
	char		 buf[8192], cid[64];
	struct bn_why	 w;
	const char	*b;
	int		 i, n;

	/* an integer past int64 */
	b = "{\"serverTime\":99999999999999999999999}";
	ck_assert_int_eq(bn_parse_server_time(b, strlen(b), &o.ms, &w), -1);
	b = "{\"serverTime\":\"99999999999999999999999\"}";
	ck_assert_int_eq(bn_parse_server_time(b, strlen(b), &o.ms, &w), -1);
	/* a leverage past int */
	b = "{\"leverage\":4294967297,\"symbol\":\"X\"}";
	ck_assert_int_eq(bn_parse_leverage(b, strlen(b), &o.lev, &w), -1);
	/* a huge price that is finite passes; one that is not fails */
	ck_assert_int_eq(bt_with_b("\"1e308\""), 0);
	ck_assert_int_eq(bt_with_b("\"1e309\""), -1);
	ck_assert_int_eq(bt_with_b("1e400"), -1);
	/* a clientOrderId longer than any of ours */
	memset(cid, 'a', 50);
	cid[50] = '\0';
	snprintf(buf, sizeof(buf), "{\"orderId\":1,\"symbol\":\"X\","
	    "\"clientOrderId\":\"%s\",\"status\":\"NEW\"}", cid);
	ck_assert_int_eq(bn_parse_order(buf, strlen(buf), &o.order, &w), -1);
	ck_assert_msg(strstr(w.s, "clientOrderId") != NULL, "%s", w.s);
	/* an error message longer than the field is cut, not refused */
	n = snprintf(buf, sizeof(buf), "{\"code\":-1,\"msg\":\"");
	for (i = 0; i < 1000; i++)
		buf[n++] = 'm';
	snprintf(buf + n, sizeof(buf) - n, "\"}");
	ck_assert_int_eq(bn_parse_error(buf, strlen(buf), &o.err, &w), 0);
	ck_assert_int_eq(strlen(o.err.msg), BN_MSGLEN - 1);
	/* more depth levels than BN_DEPTH_MAX */
	{
		size_t	 cap = 64 + 16 * (BN_DEPTH_MAX + 1);
		char	*big = malloc(cap);
		size_t	 k = (size_t)snprintf(big, cap,
		    "{\"e\":\"depthUpdate\",\"u\":1,\"b\":[");

		for (i = 0; i <= BN_DEPTH_MAX; i++)
			k += (size_t)snprintf(big + k, cap - k,
			    "%s[\"1\",\"2\"]", i ? "," : "");
		k += (size_t)snprintf(big + k, cap - k, "],\"a\":[]}");
		ck_assert_int_eq(bn_parse_depth(big, k, &o.depth, &w), -1);
		ck_assert_msg(strstr(w.s, "levels") != NULL, "%s", w.s);
		free(big);
	}
	/* a level that is not a pair */
	b = "{\"e\":\"depthUpdate\",\"u\":1,\"b\":[[\"1\"]],\"a\":[]}";
	ck_assert_int_eq(bn_parse_depth(b, strlen(b), &o.depth, NULL), -1);
	/* a batch longer than any Binance accepts */
	b = "[{\"code\":-1},{\"code\":-1},{\"code\":-1},{\"code\":-1},"
	    "{\"code\":-1},{\"code\":-1},{\"code\":-1},{\"code\":-1},"
	    "{\"code\":-1},{\"code\":-1},{\"code\":-1}]";
	ck_assert_int_eq(bn_parse_batch(b, strlen(b), &o.batch, NULL), -1);
	/* deep nesting does not crash */
	n = 0;
	for (i = 0; i < 3000; i++)
		buf[n++] = '[';
	buf[n] = '\0';
	ck_assert_int_eq(bn_parse_event(buf, (size_t)n, &o.ev, NULL), -1);
}
END_TEST

START_TEST(test_extra_fields_and_router)
{
	struct bn_why	 w;
	const char	*b;

	/* unknown fields (nested too) are ignored */
	b = "{\"e\":\"bookTicker\",\"zz\":{\"n\":[1,{\"x\":null}]},\"u\":9,"
	    "\"s\":\"ETHUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\","
	    "\"ps\":\"ETHUSDT\",\"st\":1}";
	ck_assert_int_eq(bn_parse_event(b, strlen(b), &o.ev, &w), 0);
	ck_assert_int_eq(o.ev.type, BN_EV_BOOK_TICKER);
	ck_assert_str_eq(o.ev.u.bt.s, "ETHUSDT");
	/* an event we do not use is unknown, not an error */
	b = "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\","
	    "\"k\":{}}}";
	ck_assert_int_eq(bn_parse_event(b, strlen(b), &o.ev, &w), 0);
	ck_assert_int_eq(o.ev.type, BN_EV_UNKNOWN);
	ck_assert_str_eq(o.ev.e, "kline");
	ck_assert_str_eq(o.ev.stream, "btcusdt@kline_1m");
	/* a known event with a bad body fails with the event's name */
	b = "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":1,\"o\":5}";
	ck_assert_int_eq(bn_parse_event(b, strlen(b), &o.ev, &w), -1);
	ck_assert_msg(strstr(w.s, "ORDER_TRADE_UPDATE") != NULL, "%s", w.s);
	/* a depth frame without "e" is routed by its stream name */
	b = "{\"stream\":\"btcusdt@depth5\",\"data\":{\"u\":5,\"b\":[],"
	    "\"a\":[[\"2\",\"3\"]]}}";
	ck_assert_int_eq(bn_parse_event(b, strlen(b), &o.ev, &w), 0);
	ck_assert_int_eq(o.ev.type, BN_EV_DEPTH);
	ck_assert_int_eq(o.ev.u.depth.nasks, 1);
	ck_assert_str_eq(bn_ev_name(BN_EV_ORDER_UPDATE), "ORDER_TRADE_UPDATE");
	/* statuses and executions by name */
	ck_assert_int_eq(bn_status_from_str("PARTIALLY_FILLED"),
	    BN_ST_PARTIALLY_FILLED);
	ck_assert_int_eq(bn_status_from_str("EXPIRED_IN_MATCH"),
	    BN_ST_EXPIRED_IN_MATCH);
	ck_assert_int_eq(bn_status_from_str("WHATEVER"), BN_ST_UNKNOWN);
	ck_assert_int_eq(bn_exec_from_str("TRADE"), BN_EX_TRADE);
	ck_assert_int_eq(bn_exec_from_str("AMENDMENT"), BN_EX_AMENDMENT);
	/* an ACCOUNT_UPDATE with more positions than we keep */
	{
		char	buf[8192];
		int	i, k;

		k = snprintf(buf, sizeof(buf), "{\"e\":\"ACCOUNT_UPDATE\","
		    "\"a\":{\"m\":\"ORDER\",\"P\":[");
		for (i = 0; i < BN_ACCT_MAX + 3; i++)
			k += snprintf(buf + k, sizeof(buf) - k,
			    "%s{\"s\":\"S%d\",\"pa\":\"%d\"}", i ? "," : "", i,
			    i);
		k += snprintf(buf + k, sizeof(buf) - k, "]}}");
		ck_assert_int_eq(bn_parse_account_update(buf, (size_t)k,
		    &o.au, &w), 0);
		ck_assert_int_eq(o.au.nP, BN_ACCT_MAX);
		ck_assert_int_eq(o.au.truncated, 1);
		NEAR(o.au.P[BN_ACCT_MAX - 1].pa, BN_ACCT_MAX - 1);
	}
	/* REST bookTicker without a symbol is an array: pick by symbol */
	b = "[{\"symbol\":\"A\",\"bidPrice\":\"1\",\"bidQty\":\"1\","
	    "\"askPrice\":\"2\",\"askQty\":\"1\",\"time\":1},{\"symbol\":\"B\","
	    "\"bidPrice\":\"3\",\"bidQty\":\"1\",\"askPrice\":\"4\","
	    "\"askQty\":\"1\",\"time\":2}]";
	ck_assert_int_eq(bn_parse_rest_book_ticker(b, strlen(b), "B", &o.bt,
	    &w), 0);
	NEAR(o.bt.b, 3);
	ck_assert_int_eq(bn_parse_rest_book_ticker(b, strlen(b), "C", &o.bt,
	    &w), -1);
}
END_TEST

/* The first frames of the real recording, routed like the market service. */
START_TEST(test_recorded_frames)
{
	static struct bn_event	 ev;
	struct bn_why		 w;
	char			 line[65536], *json;
	FILE			*p;
	int			 n = 0, nbt = 0, ntr = 0, ndp = 0, nsnap = 0;

	if (access(RECORDING, R_OK) != 0) {
		fprintf(stderr, "%s: %s absent, skipped\n", __func__,
		    RECORDING);
		return;
	}
	p = popen("gzip -dc " RECORDING " 2>/dev/null | head -n 5000", "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		ck_assert((json = strchr(line, ' ')) != NULL);
		json++;
		n++;
		/* the recorder's REST depth snapshots sit between frames */
		if (strncmp(json, "{\"lastUpdateId\"", 15) == 0) {
			ck_assert_msg(bn_parse_rest_depth(json, strlen(json),
			    &ev.u.depth, &w) == 0, "line %d: %s", n, w.s);
			ck_assert(ev.u.depth.nbids > 0 && ev.u.depth.nasks > 0);
			nsnap++;
			continue;
		}
		ck_assert_msg(bn_parse_event(json, strlen(json), &ev, &w) == 0,
		    "line %d: %s", n, w.s);
		switch (ev.type) {
		case BN_EV_BOOK_TICKER:
			ck_assert(ev.u.bt.b > 0 && ev.u.bt.a >= ev.u.bt.b);
			nbt++;
			break;
		case BN_EV_TRADE:
			ck_assert(ev.u.trade.p > 0 && ev.u.trade.q > 0);
			ntr++;
			break;
		case BN_EV_DEPTH:
			ck_assert(ev.u.depth.u >= ev.u.depth.U);
			ndp++;
			break;
		default:
			ck_abort_msg("line %d: unexpected %s", n,
			    bn_ev_name(ev.type));
		}
	}
	pclose(p);
	ck_assert_int_eq(n, 5000);
	ck_assert(nbt > 0 && ntr > 0 && ndp > 0 && nsnap > 0);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite	*s = suite_create("bn_parse");
	TCase	*tc = tcase_create("examples");
	TCase	*bad = tcase_create("malformed");

	tcase_add_test(tc, test_table_covers_every_payload);
	tcase_add_test(tc, test_book_ticker);
	tcase_add_test(tc, test_trades_and_mark);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_ws_misc);
	tcase_add_test(tc, test_order_trade_update);
	tcase_add_test(tc, test_account_update);
	tcase_add_test(tc, test_listen_key_and_lite);
	tcase_add_test(tc, test_orders);
	tcase_add_test(tc, test_codes);
	tcase_add_test(tc, test_account_rest);
	tcase_add_test(tc, test_exchange_info);
	tcase_add_test(tc, test_recorded_frames);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tcase_add_test(bad, test_truncated);
	tcase_add_test(bad, test_missing_fields);
	tcase_add_test(bad, test_wrong_types);
	tcase_add_test(bad, test_huge_and_long);
	tcase_add_test(bad, test_extra_fields_and_router);
	tcase_set_timeout(bad, 120);
	suite_add_tcase(s, bad);
	return s;
}

int
main(void)
{
	json_error_t err;
	int rc;

	if (access(EXAMPLES, R_OK) != 0)
		fprintf(stderr, "check_bn_parse: %s absent: payload tests "
		    "skipped\n", EXAMPLES);
	else if ((examples = json_load_file(EXAMPLES, 0, &err)) == NULL) {
		fprintf(stderr, "check_bn_parse: %s: %s\n", EXAMPLES, err.text);
		return EXIT_FAILURE;
	}
	rc = check_run(parse_suite());
	json_decref(examples);
	return rc;
}
