/*
 * check_prom.c — the Prometheus exposition (services/prom.c) from sections
 * the test fills in: exact sample lines with the instance and symbol
 * labels, HELP and TYPE once per family, nothing at all for a figure not
 * known yet (NaN, an unpublished section), label values escaped, the
 * fills the logger counts by side and liquidity, and a buffer that is
 * reused across renders.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "check_run.h"

static struct cfg		c;
static struct prom_in		in;
static struct prom_fills	f;
static struct text_buf		b;

static void
setup(void)
{
	cfg_defaults(&c);
	snprintf(c.instance_id, sizeof(c.instance_id), "mm1");
	c.initial_capital = 1000;
	c.max_net_position_ratio = 0.5;
	memset(&in, 0, sizeof(in));
	memset(&f, 0, sizeof(f));
	memset(&b, 0, sizeof(b));
	in.c = &c;
	in.base = "BTC";
	in.quote = "USDT";
	in.f = &f;
	in.scrapes = 1;
	in.now_real_ns = 1000 * 1000000000LL;
	in.now_mono_ns = 50 * 1000000000LL;
}

static void
teardown(void)
{
	text_buf_free(&b);
}

static const char *
render(void)
{
	ck_assert_int_eq(prom_render(&in, &b), 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_uint_eq(strlen(b.p), b.len);
	return b.p;
}

/* A whole line of the exposition, or its absence. */
static void
has(const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(b.p, want) == NULL && (strncmp(b.p, want + 1,
	    strlen(want + 1)) != 0)) {
		/* check's messages are short: the whole text goes to stderr */
		fprintf(stderr, "%s", b.p);
		ck_abort_msg("missing \"%s\"", line);
	}
}

static void
lacks(const char *text)
{
	ck_assert_msg(strstr(b.p, text) == NULL, "unexpected \"%s\"", text);
}

static int
count(const char *text)
{
	const char *p = b.p;
	int n = 0;

	while ((p = strstr(p, text)) != NULL)
		n++, p++;
	return n;
}

#define L "{instance=\"mm1\",symbol=\"BTCUSDT\""

START_TEST(test_nothing_published)
{
	render();
	/* what the config alone says is known; nothing else has a sample */
	has("pmm_position_limit_quote" L "} 500");
	has("pmm_metrics_scrapes_total" L "} 1");
	lacks("pmm_mid_price{");
	lacks("pmm_position_base_qty{");
	lacks("pmm_service_up{");
	lacks("pmm_open_orders{");
	/* a family without samples says nothing, not even its HELP */
	lacks("# HELP pmm_mid_price ");
}
END_TEST

START_TEST(test_market_and_position)
{
	in.have_m = 1;
	in.m.bid = 60000.0, in.m.ask = 60000.1, in.m.mid = 60000.05;
	in.m.mark_price = 60001.5;
	in.m.updates = 42;
	in.m.recv_ts_ns = in.now_real_ns - 250000000;	/* 0.25 s ago */
	in.m.md_latency_ms = 1.5;
	in.have_k = 1;
	in.k.position = -0.004;
	in.k.position_notional = -240;
	in.k.entry_price = 60010;
	in.k.unrealized_pnl = NAN;		/* not known yet */
	in.k.realized_pnl = 3.25;
	in.k.wallet_balance = NAN;
	in.k.paused = 1;
	in.k.pause_causes = 1u << 1;		/* RISK_C_LIMIT */
	render();
	has("# HELP pmm_mid_price (best bid + best ask) / 2, quote asset\n"
	    "# TYPE pmm_mid_price gauge\npmm_mid_price" L "} 60000.05");
	has("pmm_best_bid_price" L "} 60000");
	has("pmm_mark_price" L "} 60001.5");
	has("pmm_market_data_age_seconds" L "} 0.25");
	has("pmm_market_data_last_latency_seconds" L "} 0.0015");
	has("pmm_market_updates_total" L "} 42");
	has("pmm_websocket_reconnects_total" L ",service=\"market\"} 0");
	has("pmm_position_base_qty" L "} -0.004");
	has("pmm_position_notional_quote" L "} -240");
	has("pmm_position_limit_ratio" L "} 0.48");
	has("pmm_entry_price" L "} 60010");
	has("pmm_realized_profit" L "} 3.25");
	lacks("pmm_unrealized_profit{");
	lacks("pmm_wallet_balance_quote{");
	has("pmm_strategy_paused" L "} 1");
	has("pmm_pause_cause" L ",cause=\"position_limit\"} 1");
	has("pmm_pause_cause" L ",cause=\"max_loss\"} 0");
	ck_assert_int_eq(count("# TYPE pmm_pause_cause gauge\n"), 1);
}
END_TEST

START_TEST(test_operator_pause)
{
	in.have_p = 1;
	in.p.operator_paused = 1;
	render();
	has("pmm_strategy_paused" L "} 1");
	has("pmm_pause_cause" L ",cause=\"operator\"} 1");
	/* risk's section unknown: its causes are not made up */
	lacks("cause=\"position_limit\"");
}
END_TEST

START_TEST(test_orders_and_services)
{
	in.have_o = 1;
	in.o.n_open = 3;
	in.o.open[0].side = 0, in.o.open[0].level = 1;
	in.o.open[0].price = 59994, in.o.open[0].qty = 0.002;
	in.o.open[1].side = 1, in.o.open[1].level = 1;
	in.o.open[1].price = 60006.1, in.o.open[1].qty = 0.003;
	in.o.open[1].filled = 0.001;
	in.o.open[2].side = 0, in.o.open[2].level = 2;
	in.o.open[2].price = 59988, in.o.open[2].qty = 0.002;
	in.o.placed = 10, in.o.canceled = 7, in.o.fills = 3, in.o.rejects = 1;
	in.o.rate_limit_weight = -1;		/* no answer yet */
	in.o.order_rtt_ms = 12.5;
	in.o.tally.funding = -0.18000015;
	in.o.tally.fundings = 3;
	in.have_p = 1;
	in.p.tree_ready = 1;
	in.p.p[SVC_MARKET].state = PROC_READY;
	in.p.p[SVC_ORDER].state = PROC_BACKOFF;
	in.p.p[SVC_ORDER].restarts = 2;
	in.have_hb[SVC_RISK] = 1;
	in.hb[SVC_RISK].beat_ns = in.now_mono_ns - 500000000;
	in.hb[SVC_RISK].msgs_dropped = 4;
	render();
	has("pmm_open_orders" L ",side=\"buy\"} 2");
	has("pmm_open_orders" L ",side=\"sell\"} 1");
	has("pmm_open_order_price" L ",side=\"sell\",level=\"1\"} 60006.1");
	has("pmm_open_order_base_qty" L ",side=\"sell\",level=\"1\"} 0.002");
	has("pmm_open_order_price" L ",side=\"buy\",level=\"2\"} 59988");
	has("pmm_orders_placed_total" L "} 10");
	has("pmm_order_rejects_total" L "} 1");
	has("pmm_order_last_round_trip_seconds" L "} 0.0125");
	has("pmm_funding_fee_quote" L "} -0.18000015");
	has("pmm_funding_payments_total" L "} 3");
	lacks("pmm_rate_limit_weight_used{");
	has("pmm_service_up" L ",service=\"market\"} 1");
	has("pmm_service_up" L ",service=\"order\"} 0");
	has("pmm_service_restarts_total" L ",service=\"order\"} 2");
	has("pmm_service_state" L ",service=\"order\",state=\"backoff\"} 1");
	has("pmm_service_state" L ",service=\"order\",state=\"ready\"} 0");
	has("pmm_heartbeat_age_seconds" L ",service=\"risk\"} 0.5");
	has("pmm_bus_messages_dropped_total" L ",service=\"risk\"} 4");
	lacks("pmm_heartbeat_age_seconds" L ",service=\"order\"}");
	has("pmm_tree_ready" L "} 1");
	/* zeroed quote state reads as "starting" (qstate.h) */
	has("pmm_quoting" L "} 0");
	has("pmm_quote_state" L ",state=\"starting\"} 1");
	has("pmm_quote_state" L ",state=\"quoting\"} 0");
}
END_TEST

/* Histograms: buckets cumulated, +Inf = count, the sum in seconds. */
START_TEST(test_histograms)
{
	in.have_o = 1;
	in.o.quote_state = 1;				/* QS_QUOTING */
	shm_lat_record(&in.o.rest_rtt, 0.0004);		/* le 0.0005 */
	shm_lat_record(&in.o.rest_rtt, 0.003);		/* le 0.005 */
	shm_lat_record(&in.o.rest_rtt, 0.003);
	shm_lat_record(&in.o.rest_rtt, 9);		/* above 5 s */
	shm_lat_record(&in.o.rest_rtt, -1);		/* a clock step: 0 */
	in.have_m = 1;
	shm_lat_record(&in.m.md_latency, 0.0012);
	render();
	has("# TYPE pmm_rest_request_duration_seconds histogram");
	has("pmm_rest_request_duration_seconds_bucket" L ",service=\"order\","
	    "le=\"0.0005\"} 2");
	has("pmm_rest_request_duration_seconds_bucket" L ",service=\"order\","
	    "le=\"0.0025\"} 2");
	has("pmm_rest_request_duration_seconds_bucket" L ",service=\"order\","
	    "le=\"0.005\"} 4");
	has("pmm_rest_request_duration_seconds_bucket" L ",service=\"order\","
	    "le=\"5\"} 4");
	has("pmm_rest_request_duration_seconds_bucket" L ",service=\"order\","
	    "le=\"+Inf\"} 5");
	has("pmm_rest_request_duration_seconds_sum" L ",service=\"order\"} "
	    "9.0064");
	has("pmm_rest_request_duration_seconds_count" L ",service=\"order\"} "
	    "5");
	has("pmm_market_data_latency_seconds_bucket" L ","
	    "le=\"0.001\"} 0");
	has("pmm_market_data_latency_seconds_bucket" L ","
	    "le=\"0.0025\"} 1");
	has("pmm_quoting" L "} 1");
	has("pmm_quote_state" L ",state=\"quoting\"} 1");
}
END_TEST

START_TEST(test_fills)
{
	struct pmm_fill x;

	memset(&x, 0, sizeof(x));
	x.side = 0, x.maker = true, x.price = 60000, x.qty = 0.002;
	x.fee = 0.024, snprintf(x.fee_asset, sizeof(x.fee_asset), "USDT");
	prom_fill(&f, &x, "USDT");
	x.side = 1, x.maker = false, x.price = 60010, x.qty = 0.001;
	x.fee = 0.001, snprintf(x.fee_asset, sizeof(x.fee_asset), "BNB");
	x.recovered = true;
	prom_fill(&f, &x, "USDT");
	render();
	has("pmm_trades_total" L ",side=\"buy\",liquidity=\"maker\"} 1");
	has("pmm_trades_total" L ",side=\"buy\",liquidity=\"taker\"} 0");
	has("pmm_trades_total" L ",side=\"sell\",liquidity=\"taker\"} 1");
	has("pmm_trade_volume_base_qty_total" L ",side=\"buy\"} 0.002");
	has("pmm_trade_volume_quote_total" L ",side=\"buy\"} 120");
	has("pmm_trade_volume_quote_total" L ",side=\"sell\"} 60.01");
	has("pmm_fees_total" L ",asset=\"USDT\"} 0.024");
	has("pmm_fees_total" L ",asset=\"other\"} 0.001");
	has("pmm_fills_recovered_total" L "} 1");
}
END_TEST

/* Label values are escaped; the same buffer serves the next render. */
START_TEST(test_escape_and_reuse)
{
	size_t first;

	snprintf(c.instance_id, sizeof(c.instance_id), "a\"b\\c");
	render();
	has("pmm_position_limit_quote{instance=\"a\\\"b\\\\c\","
	    "symbol=\"BTCUSDT\"} 500");
	first = b.len;
	render();
	ck_assert_uint_eq(b.len, first);
	ck_assert_int_eq(count("# TYPE pmm_position_limit_quote gauge"), 1);
}
END_TEST

static Suite *
prom_suite(void)
{
	Suite *s = suite_create("prom");
	TCase *tc = tcase_create("render");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nothing_published);
	tcase_add_test(tc, test_market_and_position);
	tcase_add_test(tc, test_operator_pause);
	tcase_add_test(tc, test_orders_and_services);
	tcase_add_test(tc, test_fills);
	tcase_add_test(tc, test_histograms);
	tcase_add_test(tc, test_escape_and_reuse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(prom_suite());
}
