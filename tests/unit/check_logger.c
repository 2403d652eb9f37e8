/*
 * check_logger.c — the logger's rows (logrow.c) from a state segment the
 * test fills in: every metric of the table in each sample with its unit,
 * empty values while a section was never published, exact values and
 * per-side/level open orders once it is, one row per bus event with side,
 * level, sub_type and details, the event's own timestamp, and no secret
 * from the config anywhere in the file.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvlog.h"
#include "csv_reader.h"
#include "log.h"
#include "logrow.h"
#include "timeutil.h"
#include "check_run.h"

static char		 dir[256], path[300];
static struct csvlog	*cl;
static struct shm_state	*st;
static struct cfg	 c;

/* 2026-11-24T00:00:00+05:30 */
#define TS0	(1795458600LL * NS_PER_S)

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_logger.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/metrics-20261124.csv", dir);
	setenv("TZ", "IST-5:30", 1);
	tzset();
	log_init("check_logger", LOG_LVL_WARN);
	cl = calloc(1, sizeof(*cl));
	st = calloc(1, sizeof(*st));
	recs = calloc(MAXREC, sizeof(*recs));
	ck_assert(cl != NULL && st != NULL && recs != NULL);
	cfg_defaults(&c);
	snprintf(c.instance_id, sizeof(c.instance_id), "mm1");
	snprintf(c.symbol, sizeof(c.symbol), "BTCUSDT");
	c.exchange_env = CFG_ENV_SIM;
	c.order.levels = 3;
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cl);
	free(st);
	free(recs);
}

/* Close the CSV and read it back; returns the number of records. */
static int
read_back(void)
{
	int i, n;

	csvlog_close(cl);
	n = parse_file(path);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(recs[i].nf, CSV_NCOLS);
	return n;
}

/* The first row of metric (and sub_type / side+level if given). */
static const struct rec *
find(int n, const char *metric, const char *sub, const char *side,
    const char *level)
{
	int i;

	for (i = 1; i < n; i++)
		if (strcmp(recs[i].f[3], metric) == 0 &&
		    (sub == NULL || strcmp(recs[i].f[9], sub) == 0) &&
		    (side == NULL || strcmp(recs[i].f[7], side) == 0) &&
		    (level == NULL || strcmp(recs[i].f[8], level) == 0))
			return &recs[i];
	ck_abort_msg("no row for %s %s %s %s", metric, sub ? sub : "",
	    side ? side : "", level ? level : "");
	return NULL;
}

static int
count(int n, const char *metric)
{
	int i, k = 0;

	for (i = 1; i < n; i++)
		k += strcmp(recs[i].f[3], metric) == 0;
	return k;
}

/* Nothing published yet: every metric still has its rows, with a unit,
 * and the sections' values are empty with "no data yet". */
START_TEST(test_sample_no_data)
{
	int n, i, rows;

	rows = logrow_sample(cl, &c, st, NULL, TS0);
	ck_assert_int_gt(rows, 0);
	n = read_back();
	ck_assert_int_eq(n, rows + 1);
	for (i = 0; logrow_metric_name(i) != NULL; i++)
		ck_assert_msg(count(n, logrow_metric_name(i)) > 0, "no %s",
		    logrow_metric_name(i));
	for (i = 1; i < n; i++) {
		ck_assert_str_eq(recs[i].f[0], "2026-11-24T00:00:00.000+05:30");
		ck_assert_str_eq(recs[i].f[1], "mm1");
		ck_assert_str_eq(recs[i].f[2], "sim");
		ck_assert_msg(recs[i].f[5][0] != '\0', "%s has no unit",
		    recs[i].f[3]);
	}
	ck_assert_str_eq(find(n, "mid_price", NULL, NULL, NULL)->f[4], "");
	ck_assert_str_eq(find(n, "mid_price", NULL, NULL, NULL)->f[10],
	    "no data yet");
	ck_assert_str_eq(find(n, "position", NULL, NULL, NULL)->f[4], "");
	ck_assert_str_eq(find(n, "fills", NULL, NULL, NULL)->f[4], "");
	/* 3 levels x 2 sides + the total */
	ck_assert_int_eq(count(n, "open_orders"), 7);
	ck_assert_int_eq(count(n, "service_restarts"), SVC_COUNT);
	/* the logger's own counters are always known */
	ck_assert_str_eq(find(n, "csv_rows_lost", NULL, NULL, NULL)->f[4], "0");
}
END_TEST

static void
fill_segment(void)
{
	struct shm_market m;
	struct shm_risk k;
	struct shm_orders o;
	struct shm_procs p;

	memset(&m, 0, sizeof(m));
	m.bid = 60000.0;
	m.ask = 60000.1;
	m.mid = 60000.05;
	m.mark_price = 60001.5;
	m.updates = 42;
	m.ws_reconnects = 2;
	m.md_latency_ms = 1.25;
	SHM_PUBLISH(&st->market, &m);

	memset(&k, 0, sizeof(k));
	k.position = -0.004;
	k.position_notional = -240.0;
	k.unrealized_pnl = -1.5;
	k.realized_pnl = 3.25;
	k.wallet_balance = 5001.75;
	k.paused = 1;
	snprintf(k.pause_reason, sizeof(k.pause_reason),
	    "max loss, \"hit\"");
	SHM_PUBLISH(&st->risk, &k);

	memset(&o, 0, sizeof(o));
	o.n_open = 3;
	o.open[0].side = 0, o.open[0].level = 1;
	o.open[0].price = 59994.0, o.open[0].qty = 0.002;
	o.open[1].side = 1, o.open[1].level = 1;
	o.open[1].price = 60006.1, o.open[1].qty = 0.002;
	o.open[2].side = 0, o.open[2].level = 1;
	o.open[2].price = 59990.5, o.open[2].qty = 0.003;
	o.placed = 10;
	o.canceled = 7;
	o.fills = 3;
	o.rejects = 1;
	o.reject_rate = 2.5;
	o.order_rtt_ms = 12.5;
	o.rate_limit_weight = 37;
	o.listen_key_ok = 1;
	SHM_PUBLISH(&st->orders, &o);

	memset(&p, 0, sizeof(p));
	p.p[SVC_MARKET].state = PROC_READY;
	p.p[SVC_MARKET].restarts = 2;
	p.p[SVC_ORDER].state = PROC_BACKOFF;
	SHM_PUBLISH(&st->procs, &p);
}

START_TEST(test_sample_values)
{
	struct logrow_self self = { .events = 5, .bus_dropped = 4 };
	const struct rec *r;
	int n;

	fill_segment();
	ck_assert_int_gt(logrow_sample(cl, &c, st, &self, TS0 + 1234 *
	    NS_PER_MS), 0);
	n = read_back();
	r = find(n, "mid_price", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[0], "2026-11-24T00:00:01.234+05:30");
	ck_assert_str_eq(r->f[4], "60000.05");
	ck_assert_str_eq(r->f[5], "USDT");
	ck_assert_str_eq(r->f[6], "BTCUSDT");
	ck_assert_str_eq(find(n, "spread", NULL, NULL, NULL)->f[4], "0.1");
	ck_assert_str_eq(find(n, "mark_price", NULL, NULL, NULL)->f[4],
	    "60001.5");
	ck_assert_str_eq(find(n, "market_stale", NULL, NULL, NULL)->f[4], "0");
	ck_assert_str_eq(find(n, "md_latency_ms", NULL, NULL, NULL)->f[4],
	    "1.25");
	ck_assert_str_eq(find(n, "md_latency_ms", NULL, NULL, NULL)->f[5],
	    "ms");
	ck_assert_str_eq(find(n, "ws_reconnects", NULL, NULL, NULL)->f[4], "2");
	r = find(n, "position", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[4], "-0.004");
	ck_assert_str_eq(r->f[5], "BTC");
	ck_assert_str_eq(find(n, "position_notional", NULL, NULL, NULL)->f[4],
	    "-240");
	ck_assert_str_eq(find(n, "realized_pnl", NULL, NULL, NULL)->f[4],
	    "3.25");
	ck_assert_str_eq(find(n, "wallet_balance", NULL, NULL, NULL)->f[4],
	    "5001.75");
	r = find(n, "strategy_paused", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[4], "1");
	ck_assert_str_eq(r->f[5], "bool");
	ck_assert_str_eq(r->f[9], "risk");
	ck_assert_str_eq(r->f[10], "max loss, \"hit\"");
	r = find(n, "open_orders", NULL, "BUY", "1");
	ck_assert_str_eq(r->f[4], "2");
	ck_assert_str_eq(r->f[10],
	    "price=59994 qty=0.002; price=59990.5 qty=0.003");
	ck_assert_str_eq(find(n, "open_orders", NULL, "SELL", "1")->f[4], "1");
	ck_assert_str_eq(find(n, "open_orders", NULL, "SELL", "3")->f[4], "0");
	ck_assert_str_eq(find(n, "open_orders", "total", NULL, NULL)->f[4],
	    "3");
	ck_assert_str_eq(find(n, "orders_placed", NULL, NULL, NULL)->f[4],
	    "10");
	ck_assert_str_eq(find(n, "orders_canceled", NULL, NULL, NULL)->f[4],
	    "7");
	ck_assert_str_eq(find(n, "fills", NULL, NULL, NULL)->f[4], "3");
	ck_assert_str_eq(find(n, "rejects", NULL, NULL, NULL)->f[4], "1");
	ck_assert_str_eq(find(n, "reject_rate", NULL, NULL, NULL)->f[4],
	    "2.5");
	ck_assert_str_eq(find(n, "reject_rate", NULL, NULL, NULL)->f[5],
	    "per_s");
	ck_assert_str_eq(find(n, "order_rtt_ms", NULL, NULL, NULL)->f[4],
	    "12.5");
	ck_assert_str_eq(find(n, "rate_limit_weight", NULL, NULL, NULL)->f[4],
	    "37");
	ck_assert_str_eq(find(n, "service_restarts", "market", NULL,
	    NULL)->f[4], "2");
	ck_assert_str_eq(find(n, "service_up", "market", NULL, NULL)->f[4],
	    "1");
	r = find(n, "service_up", "order", NULL, NULL);
	ck_assert_str_eq(r->f[4], "0");
	ck_assert_str_eq(r->f[10], "backoff");
	ck_assert_str_eq(find(n, "bus_dropped", NULL, NULL, NULL)->f[4], "4");
}
END_TEST

/* An operator pause (pmmd's section) wins over risk's own reason. */
/*
 * A section is published before all of it is known: risk says its state
 * before the first positionRisk or balance read, order before its first
 * answer. Those figures are NaN (-1 for the weight) and must come out as
 * "no data yet", not as the 0 a reader would take for a fact.
 */
START_TEST(test_sample_partly_known)
{
	struct logrow_self self = { 0 };
	struct shm_risk k;
	struct shm_orders o;
	static const char *const unknown[] = { "position",
	    "position_notional", "entry_price", "unrealized_pnl",
	    "wallet_balance", "order_rtt_ms", "rate_limit_weight" };
	const struct rec *r;
	size_t i;
	int n;

	memset(&k, 0, sizeof(k));
	k.position = k.position_notional = k.entry_price = NAN;
	k.unrealized_pnl = k.wallet_balance = k.mark_price = NAN;
	SHM_PUBLISH(&st->risk, &k);
	memset(&o, 0, sizeof(o));
	o.order_rtt_ms = NAN;
	o.rate_limit_weight = -1;
	SHM_PUBLISH(&st->orders, &o);
	ck_assert_int_gt(logrow_sample(cl, &c, st, &self, TS0), 0);
	n = read_back();
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		r = find(n, unknown[i], NULL, NULL, NULL);
		ck_assert_msg(r->f[4][0] == '\0', "%s = %s", unknown[i],
		    r->f[4]);
		ck_assert_str_eq(r->f[10], "no data yet");
	}
	/* known from the start: realized PnL since start, counters */
	ck_assert_str_eq(find(n, "realized_pnl", NULL, NULL, NULL)->f[4], "0");
	ck_assert_str_eq(find(n, "rejects", NULL, NULL, NULL)->f[4], "0");
}
END_TEST

START_TEST(test_operator_pause)
{
	struct shm_procs p;
	const struct rec *r;
	int n;

	memset(&p, 0, sizeof(p));
	p.operator_paused = 1;
	snprintf(p.operator_reason, sizeof(p.operator_reason), "lunch");
	SHM_PUBLISH(&st->procs, &p);
	logrow_sample(cl, &c, st, NULL, TS0);
	n = read_back();
	r = find(n, "strategy_paused", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[4], "1");
	ck_assert_str_eq(r->f[9], "operator");
	ck_assert_str_eq(r->f[10], "lunch");
}
END_TEST

START_TEST(test_events)
{
	struct pmm_msg m;
	const struct rec *r;
	int n;

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_FILL;
	m.env.ts_ns = TS0 + 5 * NS_PER_MS;
	snprintf(m.u.fill.client_id, sizeof(m.u.fill.client_id),
	    "mm1-B2-kx3j9q2p0a");
	m.u.fill.order_id = 123456789;
	m.u.fill.trade_id = 77001;
	m.u.fill.side = 0;
	m.u.fill.level = 2;
	m.u.fill.price = 59988.0;
	m.u.fill.qty = 0.002;
	m.u.fill.fee = 0.024;
	snprintf(m.u.fill.fee_asset, sizeof(m.u.fill.fee_asset), "USDT");
	m.u.fill.maker = true;
	m.u.fill.realized_pnl = 0.5;
	m.u.fill.trade_ts_ns = TS0 + 3 * NS_PER_MS;
	ck_assert_int_eq(logrow_event(cl, &c, &m, TS0 + NS_PER_S), 1);

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_ORDER_EVENT;
	m.env.ts_ns = TS0 + 6 * NS_PER_MS;
	m.u.order.kind = ORD_REJECTED;
	m.u.order.side = 1;
	m.u.order.level = 3;
	m.u.order.price = 60018.1;
	m.u.order.qty = 0.002;
	m.u.order.code = -5022;
	snprintf(m.u.order.client_id, sizeof(m.u.order.client_id),
	    "mm1-S3-kx3j9q2p0b");
	snprintf(m.u.order.text, sizeof(m.u.order.text),
	    "Due to the order could not be executed as maker, \"GTX\"");
	ck_assert_int_eq(logrow_event(cl, &c, &m, TS0 + NS_PER_S), 1);

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_RISK_ACTION;
	m.env.ts_ns = TS0 + 7 * NS_PER_MS;
	m.u.risk.kind = RISK_FLATTEN;
	m.u.risk.position = 0.02;
	m.u.risk.notional = 1200;
	m.u.risk.limit = 1000;
	snprintf(m.u.risk.text, sizeof(m.u.risk.text), "position limit");
	ck_assert_int_eq(logrow_event(cl, &c, &m, TS0 + NS_PER_S), 1);

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_SVC_EVENT;
	m.env.ts_ns = 0;		/* no stamp: the receive time is used */
	m.u.svc.svc = SVC_MARKET;
	m.u.svc.kind = SVCEV_DIED;
	m.u.svc.pid = 4242;
	m.u.svc.status = 9;
	snprintf(m.u.svc.text, sizeof(m.u.svc.text),
	    "pid 4242 exited on signal 9 (Killed)");
	ck_assert_int_eq(logrow_event(cl, &c, &m, TS0 + 8 * NS_PER_MS), 1);

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_FUNDING;
	m.env.ts_ns = TS0 + 9 * NS_PER_MS;
	m.u.funding.amount = -0.06000005;
	snprintf(m.u.funding.asset, sizeof(m.u.funding.asset), "USDT");
	m.u.funding.funding_ts_ns = TS0;
	m.u.funding.position = 0.01;
	ck_assert_int_eq(logrow_event(cl, &c, &m, TS0 + NS_PER_S), 1);

	/* not an event: no row */
	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_TICK;
	ck_assert_int_eq(logrow_event(cl, &c, &m, TS0), 0);

	n = read_back();
	ck_assert_int_eq(n, 6);
	r = find(n, "fill", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[0], "2026-11-24T00:00:00.005+05:30");
	ck_assert_str_eq(r->f[4], "0.002");
	ck_assert_str_eq(r->f[5], "BTC");
	ck_assert_str_eq(r->f[6], "BTCUSDT");
	ck_assert_str_eq(r->f[7], "BUY");
	ck_assert_str_eq(r->f[8], "2");
	ck_assert_str_eq(r->f[9], "maker");
	ck_assert_str_eq(r->f[10], "price=59988 fee=0.024 USDT realized_pnl=0.5 "
	    "order_id=123456789 client_id=mm1-B2-kx3j9q2p0a "
	    "trade_time=2026-11-24T00:00:00.003+05:30 trade_id=77001");
	r = find(n, "order_event", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[7], "SELL");
	ck_assert_str_eq(r->f[8], "3");
	ck_assert_str_eq(r->f[9], "rejected");
	ck_assert_str_eq(r->f[10], "price=60018.1 code=-5022 "
	    "client_id=mm1-S3-kx3j9q2p0b text=Due to the order could not be "
	    "executed as maker, \"GTX\"");
	r = find(n, "risk_action", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[4], "0.02");
	ck_assert_str_eq(r->f[9], "flatten");
	ck_assert_str_eq(r->f[10], "notional=1200 limit=1000 "
	    "reason=position limit");
	r = find(n, "service_event", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[0], "2026-11-24T00:00:00.008+05:30");
	ck_assert_str_eq(r->f[4], "4242");
	ck_assert_str_eq(r->f[5], "pid");
	ck_assert_str_eq(r->f[9], "died");
	ck_assert_str_eq(r->f[10], "service=market status=9 pid 4242 exited "
	    "on signal 9 (Killed)");
	/* a funding payment: signed value in its asset, what it was paid on */
	r = find(n, "funding_fee", NULL, NULL, NULL);
	ck_assert_str_eq(r->f[0], "2026-11-24T00:00:00.009+05:30");
	ck_assert_str_eq(r->f[4], "-0.06000005");
	ck_assert_str_eq(r->f[5], "USDT");
	ck_assert_str_eq(r->f[6], "BTCUSDT");
	ck_assert_str_eq(r->f[9], "paid");
	ck_assert_str_eq(r->f[10], "position=0.01 "
	    "funding_time=2026-11-24T00:00:00.000+05:30");
}
END_TEST

/* Whatever is written, the API keys from the config never are. */
START_TEST(test_no_secrets)
{
	struct pmm_msg m;
	size_t len;
	char *t;

	fill_segment();
	logrow_sample(cl, &c, st, NULL, TS0);
	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_SVC_EVENT;
	logrow_event(cl, &c, &m, TS0);
	read_back();
	t = slurp(path, &len);
	ck_assert_int_gt(len, 1000);
	/* a struct cfg holds no key to write (see check_cfg) */
	free(t);
}
END_TEST

static Suite *
logger_suite(void)
{
	Suite *s = suite_create("logger");
	TCase *tc = tcase_create("rows");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sample_no_data);
	tcase_add_test(tc, test_sample_values);
	tcase_add_test(tc, test_sample_partly_known);
	tcase_add_test(tc, test_operator_pause);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_no_secrets);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(logger_suite());
}
