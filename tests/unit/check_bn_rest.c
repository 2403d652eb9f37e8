/*
 * check_bn_rest.c — the REST client: the signed query against Binance's
 * test vector, parameter encoding, the weight table, the rate-limit
 * governor as a state machine on fake headers and times, and live
 * requests through an epoll loop against a real pmm-exchange started per
 * test (skipped, saying so, when the binary is not built): clock offset,
 * exchangeInfo to filters, a signed place/query/cancel, -1022, the weight
 * header, 503 and timeouts as "unknown", 429/418, and -1021 resync.
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bn_filters.h"
#include "bn_parse.h"
#include "bn_rest.h"
#include "bn_sign.h"
#include "timeutil.h"
#include "check_run.h"

#define VEC_SECRET "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
#define VEC_MSG "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000" \
	"&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
#define VEC_SIG "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"

#define EXCHANGE	PMM_BINARY_DIR "/bin/pmm-exchange"
#define ENV_EXAMPLE	PMM_SOURCE_DIR "/config/.env.example"
#define T0		1700000040000LL	/* a whole minute, in ms */

/* ---- offline: signing, parameters, weights ---------------------------- */

START_TEST(test_sign_vector)
{
	struct bn_params	p;
	char			out[1024];

	bn_params_init(&p);
	bn_params_add(&p, "symbol", "BTCUSDT");
	bn_params_add(&p, "side", "BUY");
	bn_params_add(&p, "type", "LIMIT");
	bn_params_add(&p, "quantity", "1");
	bn_params_addf(&p, "price", "%d", 9000);
	bn_params_add(&p, "timeInForce", "GTC");
	ck_assert_int_eq(bn_sign_query(VEC_SECRET, &p, 5000, 1591702613943LL,
	    out, sizeof(out)), 0);
	/* parameters in order, recvWindow, timestamp, signature last */
	ck_assert_str_eq(out, VEC_MSG "&signature=" VEC_SIG);
	/* too small an output is refused, not cut */
	ck_assert_int_eq(bn_sign_query(VEC_SECRET, &p, 5000, 1591702613943LL,
	    out, strlen(VEC_MSG) + 20), -1);
	/* no parameters: just the three */
	bn_params_init(&p);
	ck_assert_int_eq(bn_sign_query("s", &p, 100, 5, out, sizeof(out)), 0);
	ck_assert(strncmp(out, "recvWindow=100&timestamp=5&signature=", 37)
	    == 0);
	ck_assert_int_eq(strlen(out), 37 + BN_SIG_HEXLEN);
}
END_TEST

START_TEST(test_params_encoding)
{
	struct bn_params	p;
	int			i;

	bn_params_init(&p);
	bn_params_add(&p, "batchOrders", "[{\"a\":\"b c\"},{\"x\":\"1\"}]");
	ck_assert_str_eq(p.s, "batchOrders=%5B%7B%22a%22%3A%22b%20c%22%7D%2C"
	    "%7B%22x%22%3A%221%22%7D%5D");
	ck_assert_int_eq(bn_rest_orders(BN_POST, "/fapi/v1/batchOrders", &p),
	    2);
	bn_params_init(&p);
	bn_params_add(&p, "newClientOrderId", "pmm-1.a_b~c:d/e");
	ck_assert_str_eq(p.s, "newClientOrderId=pmm-1.a_b~c%3Ad%2Fe");
	/* overflow is sticky and refuses signing */
	bn_params_init(&p);
	for (i = 0; i < 1000; i++)
		bn_params_add(&p, "k", "vvvvvvvvvv");
	ck_assert_int_eq(p.overflow, 1);
	ck_assert(p.len < sizeof(p.s));
	{
		char out[8192];

		ck_assert_int_eq(bn_sign_query("s", &p, 1, 1, out,
		    sizeof(out)), -1);
	}
}
END_TEST

START_TEST(test_weights)
{
	struct bn_params p;

	bn_params_init(&p);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/time", NULL), 1);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/exchangeInfo", &p),
	    1);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/depth", &p), 10);
	ck_assert_int_eq(bn_rest_weight(BN_POST, "/fapi/v1/order", &p), 0);
	ck_assert_int_eq(bn_rest_orders(BN_POST, "/fapi/v1/order", &p), 1);
	ck_assert_int_eq(bn_rest_weight(BN_DELETE, "/fapi/v1/order", &p), 1);
	ck_assert_int_eq(bn_rest_orders(BN_DELETE, "/fapi/v1/order", &p), 0);
	ck_assert_int_eq(bn_rest_weight(BN_POST, "/fapi/v1/batchOrders", &p),
	    5);
	ck_assert_int_eq(bn_rest_weight(BN_DELETE, "/fapi/v1/batchOrders", &p),
	    1);
	ck_assert_int_eq(bn_rest_weight(BN_POST, "/fapi/v1/countdownCancelAll",
	    &p), 10);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v2/positionRisk", &p),
	    5);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/openOrders", &p), 40);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/ticker/bookTicker",
	    &p), 5);
	bn_params_add(&p, "symbol", "BTCUSDT");
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/openOrders", &p), 1);
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/ticker/bookTicker",
	    &p), 2);
	bn_params_add(&p, "limit", "1000");
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/depth", &p), 20);
	bn_params_init(&p);
	bn_params_add(&p, "limit", "5");
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/depth", &p), 2);
	bn_params_init(&p);
	bn_params_add(&p, "limit", "100");
	ck_assert_int_eq(bn_rest_weight(BN_GET, "/fapi/v1/depth", &p), 5);
}
END_TEST

/* ---- governor --------------------------------------------------------- */

static struct bn_rl_hdr
hdr(int w, int o10, int o1m, int ra)
{
	struct bn_rl_hdr h = { w, o10, o1m, ra };

	return h;
}

START_TEST(test_gov_weight)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(1900, -1, -1, -1);

	bn_gov_init(&g);
	ck_assert_int_eq(g.lim_weight_1m, 2400);
	ck_assert_int_eq(g.lim_orders_10s, 300);
	ck_assert_int_eq(g.lim_orders_1m, 1200);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 1, 0, 80), 0);
	bn_gov_on_send(&g, 1, 0);
	ck_assert_int_eq(g.inflight_w, 1);
	bn_gov_on_done(&g, T0 + 1000, T0 + 1000, 1, 0, 200, &h, 0, NULL);
	ck_assert_int_eq(g.inflight_w, 0);
	ck_assert_int_eq(g.w1m, 1900);
	/* 80 % of 2400 is 1920: 20 more fits, 21 waits for the minute */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 1000, T0 + 1000, 20, 0, 80), 0);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 1000, T0 + 1000, 21, 0, 80), 59000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 1000, T0 + 1000, 21, 0, 100), 0);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 1000, T0 + 1000, 501, 0, 100), 59000);
	/* weight-0 requests (order placement) never wait on weight */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 1000, T0 + 1000, 0, 1, 80), 0);
	/* a new minute: the old count no longer applies */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 60000, T0 + 60000, 21, 0, 80), 0);
	/* requests in flight count before their answers come */
	bn_gov_on_send(&g, 1000, 0);
	ck_assert_int_gt(bn_gov_wait_ms(&g, T0 + 60000, T0 + 60000, 1000, 0, 80), 0);
	bn_gov_on_done(&g, T0 + 60001, T0 + 60001, 1000, 0, 200, NULL, 0, NULL);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 60001, T0 + 60001, 1000, 0, 80), 0);
	/* limits from exchangeInfo; 0 keeps the current one */
	bn_gov_set_limits(&g, 6000, 0, 0);
	ck_assert_int_eq(g.lim_weight_1m, 6000);
	ck_assert_int_eq(g.lim_orders_10s, 300);
	h = hdr(4700, -1, -1, -1);
	bn_gov_on_done(&g, T0 + 120000, T0 + 120000, 0, 0, 200, &h, 0, NULL);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 120000, T0 + 120000, 100, 0, 80), 0);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 120000, T0 + 120000, 101, 0, 80), 60000);
}
END_TEST

/*
 * Priority classes: a quoting storm stops at its share of the limits and
 * protective traffic (cancels, reads, a flatten order) still has the rest.
 */
#define QUOTE_W(g, t, w, o)	bn_gov_wait_ms((g), (t), (t), (w), (o), \
				    bn_gov_class_pct(BN_CLASS_QUOTE))
#define PROT_W(g, t, w, o)	bn_gov_wait_ms((g), (t), (t), (w), (o), \
				    bn_gov_class_pct(BN_CLASS_PROTECT))

START_TEST(test_gov_classes)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(1500, -1, -1, -1);
	int			sent = 0, prot = 0;

	ck_assert_int_eq(bn_gov_class_pct(BN_CLASS_QUOTE), BN_GOV_QUOTE_PCT);
	ck_assert_int_eq(bn_gov_class_pct(BN_CLASS_PROTECT),
	    BN_GOV_PROTECT_PCT);
	ck_assert_int_lt(BN_GOV_QUOTE_PCT + 20, BN_GOV_PROTECT_PCT);
	bn_gov_init(&g);	/* 2400 weight / min, 300 orders / 10 s */
	/* batches of 5 post-only orders, none answered yet: quoting stops
	 * at 60 % of the 300 orders, 36 batches */
	while (QUOTE_W(&g, T0, 5, 5) == 0 && sent < 1000) {
		bn_gov_on_send(&g, 5, 5);
		sent++;
	}
	ck_assert_int_eq(sent, 300 * BN_GOV_QUOTE_PCT / 100 / 5);
	ck_assert_int_eq(QUOTE_W(&g, T0 + 2500, 5, 5), 7500);
	/* protective requests go: a cancel, a position read, a flatten */
	ck_assert_int_eq(PROT_W(&g, T0, 1, 0), 0);
	ck_assert_int_eq(PROT_W(&g, T0, 5, 0), 0);
	ck_assert_int_eq(PROT_W(&g, T0, 1, 1), 0);
	/* the exchange reports 1500 of 2400 weight used this minute (the
	 * other processes count too): quoting waits for the next minute,
	 * protection still has up to 95 % */
	bn_gov_on_done(&g, T0 + 100, T0 + 100, 0, 0, 200, &h, 0, NULL);
	ck_assert_int_eq(QUOTE_W(&g, T0 + 100, 1, 0), 59900);
	while (PROT_W(&g, T0 + 100, 5, 0) == 0 && prot < 1000) {
		bn_gov_on_send(&g, 5, 0);
		prot++;
	}
	ck_assert_int_eq(prot, (2400 * BN_GOV_PROTECT_PCT / 100 - 1500 -
	    sent * 5) / 5);
	/* a 429 holds every class: the exchange refuses them all */
	bn_gov_on_done(&g, T0 + 200, T0 + 200, 0, 0, 429, NULL, -1003, "Too many");
	ck_assert_int_gt(PROT_W(&g, T0 + 200, 1, 0), 0);
	ck_assert_int_gt(QUOTE_W(&g, T0 + 200, 1, 0), 0);
}
END_TEST

START_TEST(test_gov_orders)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(10, 240, 900, -1);

	bn_gov_init(&g);
	bn_gov_on_send(&g, 0, 1);
	ck_assert_int_eq(g.inflight_o, 1);
	bn_gov_on_done(&g, T0, T0, 0, 1, 200, &h, 0, NULL);
	ck_assert_int_eq(g.inflight_o, 0);
	/* 240 of 300 in this 10 s: the next order waits for the next 10 s */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 1, 80), 10000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 2500, T0 + 2500, 0, 1, 80), 7500);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 1, 100), 0);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 10000, T0 + 10000, 0, 1, 80), 0);
	/* next 10 s: 960 of 1200 this minute holds it to the minute's end */
	h = hdr(10, 1, 960, -1);
	bn_gov_on_done(&g, T0 + 10000, T0 + 10000, 0, 1, 200, &h, 0, NULL);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 10000, T0 + 10000, 0, 1, 80), 50000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 60000, T0 + 60000, 0, 1, 80), 0);
	/* a batch of 5 counts 5 */
	h = hdr(10, 236, 10, -1);
	bn_gov_on_done(&g, T0 + 60000, T0 + 60000, 0, 0, 200, &h, 0, NULL);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 60000, T0 + 60000, 5, 4, 80), 0);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 60000, T0 + 60000, 5, 5, 80), 10000);
}
END_TEST

START_TEST(test_gov_429)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(2400, -1, -1, 7);

	bn_gov_init(&g);
	/* Retry-After wins */
	bn_gov_on_done(&g, T0, T0, 1, 0, 429, &h, -1003, "Too many requests");
	ck_assert_int_eq(g.n429, 1);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), 7000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 6999, T0 + 6999, 0, 0, 100), 1);
	/* usage 2400 still holds weight until the minute ends */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 7000, T0 + 7000, 1, 0, 100), 53000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 7000, T0 + 7000, 0, 0, 100), 0);

	/* no Retry-After: an order 429 waits for the 10 s window */
	bn_gov_init(&g);
	h = hdr(5, -1, -1, -1);
	bn_gov_on_done(&g, T0 + 3000, T0 + 3000, 0, 1, 429, &h, -1015,
	    "Too many new orders; current limit is 300 orders per "
	    "TEN_SECONDS.");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 3000, T0 + 3000, 0, 0, 100), 7000);
	/* ... a per-minute order limit to the minute */
	bn_gov_init(&g);
	bn_gov_on_done(&g, T0 + 3000, T0 + 3000, 0, 1, 429, &h, -1015,
	    "Too many new orders; current limit is 1200 orders per MINUTE.");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 3000, T0 + 3000, 0, 0, 100), 57000);
	/* ... and a weight 429 to the end of the minute */
	bn_gov_init(&g);
	bn_gov_on_done(&g, T0 + 3000, T0 + 3000, 1, 0, 429, &h, -1003, "Too many");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 3000, T0 + 3000, 0, 0, 100), 57000);
}
END_TEST

START_TEST(test_gov_418)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(-1, -1, -1, 30);
	char			msg[160];

	/* the ban's end from the -1003 message */
	bn_gov_init(&g);
	snprintf(msg, sizeof(msg), "Way too many requests; IP(1.2.3.4) banned "
	    "until %lld. Please use the websocket", T0 + 123456);
	bn_gov_on_done(&g, T0, T0, 1, 0, 418, &h, -1003, msg);
	ck_assert_int_eq(g.n418, 1);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), 123456);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 100000, T0 + 100000, 0, 1, 100), 23456);
	/* a 429 meanwhile does not shorten the ban */
	h.retry_after_s = 1;
	bn_gov_on_done(&g, T0 + 100000, T0 + 100000, 1, 0, 429, &h, -1003, "x");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 100000, T0 + 100000, 0, 0, 100), 23456);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 123456, T0 + 123456, 0, 0, 100), 0);
	/* no time in the message: Retry-After */
	bn_gov_init(&g);
	h.retry_after_s = 30;
	bn_gov_on_done(&g, T0, T0, 1, 0, 418, &h, -1003, "banned");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), 30000);
	/* neither: the conservative default */
	bn_gov_init(&g);
	bn_gov_on_done(&g, T0, T0, 1, 0, 418, NULL, 0, NULL);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), BN_BAN_DEFAULT_MS);
	/* a ban time already past falls back too */
	bn_gov_init(&g);
	bn_gov_on_done(&g, T0, T0, 1, 0, 418, NULL, -1003, "banned until 5");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), BN_BAN_DEFAULT_MS);
	/* a ban past Binance's longest (3 days), by message or Retry-After,
	 * is cut to it: a garbled time must not stop trading for years */
	bn_gov_init(&g);
	bn_gov_on_done(&g, T0, T0, 1, 0, 418, NULL, -1003,
	    "banned until 6351628675370622222");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), BN_BAN_MAX_MS);
	bn_gov_init(&g);
	h.retry_after_s = 2000000000;
	bn_gov_on_done(&g, T0, T0, 1, 0, 418, &h, -1003, "banned");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), BN_BAN_MAX_MS);
}
END_TEST

/*
 * Holds run on the monotonic clock: the wall (server) clock stepping back an
 * hour does not lengthen a ban or back-off, stepping forward does not end
 * one early. M0 is an arbitrary monotonic origin, unrelated to T0.
 */
#define M0	5000000LL

START_TEST(test_gov_clock_step)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(-1, -1, -1, -1);
	char			msg[160];

	bn_gov_init(&g);
	snprintf(msg, sizeof(msg), "Way too many requests; IP(1.2.3.4) banned "
	    "until %lld. Please use the websocket", T0 + 120000);
	bn_gov_on_done(&g, T0, M0, 1, 0, 418, &h, -1003, msg);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, M0, 0, 0, 100), 120000);
	/* 1 s later by the monotonic clock, the wall clock 1 h back */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 - 3600000, M0 + 1000, 0, 0,
	    100), 119000);
	/* ... or 1 h ahead: still banned */
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 3600000, M0 + 1000, 0, 0,
	    100), 119000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 - 3600000, M0 + 120000, 0, 0,
	    100), 0);

	/* a 429's Retry-After the same */
	bn_gov_init(&g);
	h.retry_after_s = 7;
	bn_gov_on_done(&g, T0, M0, 1, 0, 429, &h, -1003, "Too many requests");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 - 86400000, M0 + 2000, 0, 0,
	    100), 5000);
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0 + 86400000, M0 + 2000, 0, 0,
	    100), 5000);
}
END_TEST

/* A 429's Retry-After is bounded: its windows are 10 s and a minute. */
START_TEST(test_gov_429_cap)
{
	struct bn_gov		g;
	struct bn_rl_hdr	h = hdr(-1, -1, -1, 2000000000);

	bn_gov_init(&g);
	bn_gov_on_done(&g, T0, T0, 1, 0, 429, &h, -1003, "Too many requests");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100),
	    BN_RETRY_AFTER_MAX_MS);
	h.retry_after_s = 600;		/* at the bound: as said */
	bn_gov_init(&g);
	bn_gov_on_done(&g, T0, T0, 1, 0, 429, &h, -1003, "Too many requests");
	ck_assert_int_eq(bn_gov_wait_ms(&g, T0, T0, 0, 0, 100), 600000);
}
END_TEST

/* ---- a small epoll loop driving the client through its hooks ---------- */

struct loop {
	int		ep;
	int		nadd, nmod, ndel, live;
	int		fds_seen[8], nseen;
	uint32_t	bad_events;
};

static int
lp_add(void *a, int fd, uint32_t ev)
{
	struct loop		*l = a;
	struct epoll_event	 e = { .events = ev, .data.fd = fd };
	int			 i;

	l->nadd++;
	l->live++;
	l->bad_events |= ev & ~(uint32_t)(EPOLLIN | EPOLLOUT);
	for (i = 0; i < l->nseen && l->fds_seen[i] != fd; i++)
		;
	if (i == l->nseen && l->nseen < 8)
		l->fds_seen[l->nseen++] = fd;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e);
}

static int
lp_mod(void *a, int fd, uint32_t ev)
{
	struct loop		*l = a;
	struct epoll_event	 e = { .events = ev, .data.fd = fd };

	l->nmod++;
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &e);
}

static void
lp_del(void *a, int fd)
{
	struct loop *l = a;

	l->ndel++;
	l->live--;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void
lp_run(struct loop *l, struct bn_rest *r, int *done, int max_ms)
{
	struct epoll_event	evs[16];
	int64_t			end = now_mono_ns() + max_ms * NS_PER_MS, t;
	int			i, n, ms;

	while (!*done && now_mono_ns() < end) {
		t = bn_rest_timeout_ns(r);
		ms = t < 0 ? 50 : (int)((t + NS_PER_MS - 1) / NS_PER_MS);
		if (ms > 50)
			ms = 50;
		n = epoll_wait(l->ep, evs, 16, ms);
		for (i = 0; i < n; i++)
			bn_rest_on_fd(r, evs[i].data.fd, evs[i].events);
		bn_rest_on_timeout(r);
	}
}

struct got {
	int		done;
	struct bn_resp	resp;
	char		body[1 << 16];
};

static void
got_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct got *g = arg;

	(void)r;
	ck_assert_int_eq(g->done, 0);		/* exactly once */
	g->resp = *resp;
	snprintf(g->body, sizeof(g->body), "%.*s", (int)resp->body_len,
	    resp->body);
	g->resp.body = g->body;
	g->resp.path = NULL;
	g->done = 1;
}

/* ---- the live exchange fixture ---------------------------------------- */

static struct {
	int		 have;		/* exchange running */
	pid_t		 pid;
	char		 url[64];
	char		 key[128], secret[128];
	struct loop	 lp;
	struct bn_rest	*r;		/* on the epoll loop */
	struct bn_rest	*adm;		/* /sim admin calls, sync only */
} X;

static int
nop_add(void *a, int fd, uint32_t ev)
{
	(void)a;
	(void)fd;
	(void)ev;
	return 0;
}

static void
nop_del(void *a, int fd)
{
	(void)a;
	(void)fd;
}

static int
read_env_keys(void)
{
	char	 line[512];
	FILE	*f = fopen(ENV_EXAMPLE, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "BINANCE_API_KEY=", 16) == 0)
			snprintf(X.key, sizeof(X.key), "%.127s", line + 16);
		else if (strncmp(line, "BINANCE_SECRET_KEY=", 19) == 0)
			snprintf(X.secret, sizeof(X.secret), "%.127s", line + 19);
	}
	fclose(f);
	return X.key[0] && X.secret[0] ? 0 : -1;
}

static struct bn_rest *
client(const char *url, const char *secret, int timeout_ms, int on_loop)
{
	struct bn_rest_opts	o = { .base_url = url, .api_key = X.key,
	    .secret = secret, .recv_window_ms = 5000,
	    .timeout_ms = timeout_ms };
	struct bn_rest_hooks	h = { .arg = &X.lp, .add_fd = lp_add,
	    .mod_fd = lp_mod, .del_fd = lp_del };
	struct bn_rest_hooks	n = { .arg = NULL, .add_fd = nop_add,
	    .mod_fd = NULL, .del_fd = nop_del };

	return bn_rest_new(&o, on_loop ? &h : &n);
}

static void
live_setup(void)
{
	char	pf[] = "/tmp/check_bn_rest.XXXXXX";
	char	buf[32];
	FILE	*f;
	int	fd, i, port = 0;

	memset(&X, 0, sizeof(X));
	if (access(EXCHANGE, X_OK) != 0 || read_env_keys() == -1)
		return;
	if ((fd = mkstemp(pf)) == -1)
		return;
	close(fd);
	unlink(pf);
	if ((X.pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(EXCHANGE, "pmm-exchange", "--port", "0", "--port-file",
		    pf, "--seed", "7", "--log-level", "error", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(X.pid, 0);
	for (i = 0; i < 200 && port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL)
				port = atoi(buf);
			fclose(f);
		}
	}
	unlink(pf);
	ck_assert_msg(port > 0, "pmm-exchange did not report its port");
	snprintf(X.url, sizeof(X.url), "http://127.0.0.1:%d", port);
	X.lp.ep = epoll_create1(EPOLL_CLOEXEC);
	X.r = client(X.url, X.secret, 5000, 1);
	X.adm = client(X.url, X.secret, 5000, 0);
	ck_assert(X.r != NULL && X.adm != NULL);
	X.have = 1;
}

static void
live_teardown(void)
{
	int st;

	bn_rest_free(X.r);
	bn_rest_free(X.adm);
	if (X.pid > 0) {
		kill(X.pid, SIGTERM);
		waitpid(X.pid, &st, 0);
	}
	if (X.lp.ep > 0)
		close(X.lp.ep);
}

#define LIVE() do {							\
	if (!X.have) {							\
		fprintf(stderr, "%s: skipped: no %s (build the "	\
		    "pmm-exchange target) or no %s\n", __func__,	\
		    EXCHANGE, ENV_EXAMPLE);				\
		return;							\
	}								\
} while (0)

/* A request on the loop, waited for; asserts it was accepted. */
static void
call(struct bn_rest *r, enum bn_method m, const char *path,
    enum bn_auth auth, const struct bn_params *p, struct got *g)
{
	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(bn_rest_request(r, m, path, auth, p, -1, -1, got_cb,
	    g, NULL), 0);
	ck_assert_int_eq(g->done, 0);	/* never completed from inside */
	lp_run(&X.lp, r, &g->done, 15000);
	ck_assert_msg(g->done, "%s %s never completed", bn_method_name(m),
	    path);
}

/* POST /sim/<what>?<query> through the admin client. */
static void
sim(const char *what, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	struct bn_params	p;
	struct bn_resp		resp;
	char			path[96];

	bn_params_init(&p);
	if (k1 != NULL)
		bn_params_add(&p, k1, v1);
	if (k2 != NULL)
		bn_params_add(&p, k2, v2);
	snprintf(path, sizeof(path), "/sim/%s", what);
	ck_assert_int_eq(bn_rest_request_sync(X.adm, BN_POST, path,
	    BN_AUTH_NONE, &p, 0, 0, &resp), 0);
	ck_assert_msg(resp.status == 200, "%s: HTTP %ld %s", path, resp.status,
	    resp.body);
	bn_resp_release(&resp);
}

static void
filters(struct bn_filters *f)
{
	struct bn_exchange_info	ei;
	struct bn_resp		resp;
	struct bn_why		why;

	ck_assert_int_eq(bn_rest_request_sync(X.adm, BN_GET,
	    "/fapi/v1/exchangeInfo", BN_AUTH_NONE, NULL, -1, -1, &resp), 0);
	ck_assert_int_eq(resp.outcome, BN_OUT_OK);
	ck_assert_msg(bn_parse_exchange_info(resp.body, resp.body_len,
	    "BTCUSDT", &ei, &why) == 0, "%s", why.s);
	bn_resp_release(&resp);
	*f = ei.f;
}

/* The best bid, once the synthetic market has one. */
static double
best_bid(void)
{
	struct bn_book_ticker	bt;
	struct bn_params	p;
	struct bn_resp		resp;
	int			i;

	bn_params_init(&p);
	bn_params_add(&p, "symbol", "BTCUSDT");
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(bn_rest_request_sync(X.adm, BN_GET,
		    "/fapi/v1/ticker/bookTicker", BN_AUTH_NONE, &p, -1, -1,
		    &resp), 0);
		ck_assert_int_eq(bn_parse_rest_book_ticker(resp.body,
		    resp.body_len, "BTCUSDT", &bt, NULL), 0);
		bn_resp_release(&resp);
		if (bt.b > 0)
			return bt.b;
		usleep(50000);
	}
	ck_abort_msg("no bid from the synthetic market");
	return 0;
}

/* A passive BUY 1 % under the bid, for ~150 USDT. */
static void
order_params(struct bn_params *p, const char *cid)
{
	struct bn_filters	f;
	char			px[BN_NUMLEN], qty[BN_NUMLEN];
	int64_t			t;

	filters(&f);
	t = bn_price_ticks_floor(&f, best_bid() * 0.99);
	bn_fmt_price(&f, t, px, sizeof(px));
	bn_fmt_qty(&f, bn_qty_for_notional(&f, 150, t), qty, sizeof(qty));
	bn_params_init(p);
	bn_params_add(p, "symbol", "BTCUSDT");
	bn_params_add(p, "side", "BUY");
	bn_params_add(p, "type", "LIMIT");
	bn_params_add(p, "timeInForce", "GTC");
	bn_params_add(p, "quantity", qty);
	bn_params_add(p, "price", px);
	bn_params_add(p, "newClientOrderId", cid);
}

static void
by_cid(struct bn_params *p, const char *cid)
{
	bn_params_init(p);
	bn_params_add(p, "symbol", "BTCUSDT");
	bn_params_add(p, "origClientOrderId", cid);
}

START_TEST(test_live_time)
{
	LIVE();
	ck_assert_int_eq(bn_rest_time_synced(X.r), 0);
	ck_assert_int_eq(bn_rest_sync_time(X.r), 0);
	ck_assert_int_eq(bn_rest_time_synced(X.r), 1);
	/* same machine, same clock: the offset is the round trip's noise */
	ck_assert_msg(llabs(bn_rest_clock_offset_ms(X.r)) < 500,
	    "offset %lld", (long long)bn_rest_clock_offset_ms(X.r));
	ck_assert(llabs(bn_rest_now_ms(X.r) - now_real_ns() / NS_PER_MS) <
	    500);
}
END_TEST

START_TEST(test_live_exchange_info)
{
	struct bn_exchange_info	 ei;
	struct bn_why		 why;
	struct got		*g = calloc(1, sizeof(*g));
	const struct bn_gov	*gov = bn_rest_gov(X.r);

	LIVE();
	call(X.r, BN_GET, "/fapi/v1/exchangeInfo", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	ck_assert_int_eq(g->resp.status, 200);
	ck_assert_msg(bn_parse_exchange_info(g->resp.body, g->resp.body_len,
	    "BTCUSDT", &ei, &why) == 0, "%s", why.s);
	ck_assert_int_gt(ei.f.tick.units, 0);
	ck_assert_int_gt(ei.f.step.units, 0);
	ck_assert_int_gt(ei.weight_1m, 0);
	bn_rest_set_limits(X.r, ei.weight_1m, ei.orders_10s, ei.orders_1m);
	ck_assert_int_eq(gov->lim_weight_1m, ei.weight_1m);
	/* the weight header reached the governor */
	ck_assert_int_ge(g->resp.hdr.used_weight_1m, 1);
	ck_assert_int_eq(gov->w1m, g->resp.hdr.used_weight_1m);
	ck_assert_int_ge(gov->w1m_win, 0);
	ck_assert_int_eq(gov->inflight_w, 0);
	ck_assert_int_eq(bn_rest_can_send(X.r, 1, 0), 0);
	/* hooks: only IN/OUT asked for, and nothing left watched */
	ck_assert_int_gt(X.lp.nadd, 0);
	ck_assert_int_eq(X.lp.bad_events, 0);
	ck_assert_int_eq(bn_rest_inflight(X.r), 0);
	free(g);
}
END_TEST

START_TEST(test_live_order_cycle)
{
	struct bn_params	 p;
	struct bn_order		 ord;
	struct bn_why		 why;
	struct got		*g = calloc(1, sizeof(*g));
	int64_t			 id;
	int			 w0;

	LIVE();
	ck_assert_int_eq(bn_rest_sync_time(X.r), 0);
	order_params(&p, "bnrest-cycle-1");
	call(X.r, BN_POST, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_msg(g->resp.outcome == BN_OUT_OK, "HTTP %ld %s",
	    g->resp.status, g->body);
	ck_assert_int_gt(g->resp.elapsed_ns, 0);
	ck_assert_msg(bn_parse_order(g->body, strlen(g->body), &ord, &why) ==
	    0, "%s", why.s);
	ck_assert_str_eq(ord.clientOrderId, "bnrest-cycle-1");
	ck_assert_int_eq(ord.status, BN_ST_NEW);
	ck_assert_int_eq(ord.side, BN_SIDE_BUY);
	id = ord.orderId;
	/* the order count headers fed the governor */
	ck_assert_int_eq(g->resp.hdr.order_count_10s, 1);
	ck_assert_int_eq(bn_rest_gov(X.r)->o10s, 1);
	ck_assert_int_eq(bn_rest_gov(X.r)->inflight_o, 0);
	w0 = bn_rest_gov(X.r)->w1m;

	by_cid(&p, "bnrest-cycle-1");
	call(X.r, BN_GET, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	ck_assert_int_eq(bn_parse_order(g->body, strlen(g->body), &ord, NULL),
	    0);
	ck_assert_int_eq(ord.orderId, id);
	ck_assert_int_eq(ord.status, BN_ST_NEW);
	ck_assert_int_gt(bn_rest_gov(X.r)->w1m, w0);

	call(X.r, BN_DELETE, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	ck_assert_int_eq(bn_parse_order(g->body, strlen(g->body), &ord, NULL),
	    0);
	ck_assert_int_eq(ord.status, BN_ST_CANCELED);
	/* cancelling again: -2011, rejected, nothing unknown about it */
	call(X.r, BN_DELETE, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_REJECTED);
	ck_assert_int_eq(g->resp.status, 400);
	ck_assert_int_eq(g->resp.code, -2011);
	/* one kept-alive connection served every request */
	ck_assert_int_eq(X.lp.nseen, 1);
	ck_assert_int_eq(X.lp.live, 0);
	free(g);
}
END_TEST

/* What the auth hook was told. */
struct auth_seen {
	int		 calls;
	const char	*setting;
	int		 code;
	int		 cb_done;	/* the request's callback had run */
	struct got	*g;
};

static void
auth_hook(void *arg, const char *setting, const struct bn_resp *resp)
{
	struct auth_seen *a = arg;

	a->calls++;
	a->setting = setting;
	a->code = resp->code;
	a->cb_done = a->g->done;
}

START_TEST(test_auth_blame)
{
	ck_assert_str_eq(bn_auth_blame(-2014), "BINANCE_API_KEY");
	ck_assert_str_eq(bn_auth_blame(-2015), "BINANCE_API_KEY");
	ck_assert_str_eq(bn_auth_blame(-1022), "BINANCE_SECRET_KEY");
	ck_assert_ptr_null(bn_auth_blame(-1021));	/* the clock: retried */
	ck_assert_ptr_null(bn_auth_blame(-2011));
	ck_assert_ptr_null(bn_auth_blame(0));
}
END_TEST

START_TEST(test_live_bad_secret)
{
	struct bn_rest		*bad;
	struct got		*g = calloc(1, sizeof(*g));
	struct auth_seen	 a = { .g = g };

	LIVE();
	bad = client(X.url, "not-the-secret", 5000, 1);
	bn_rest_set_auth_hook(bad, auth_hook, &a);
	call(bad, BN_GET, "/fapi/v2/balance", BN_AUTH_SIGNED, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_REJECTED);
	ck_assert_int_eq(g->resp.status, 400);
	ck_assert_int_eq(g->resp.code, -1022);
	ck_assert_str_eq(g->resp.msg, "Signature for this request is not "
	    "valid.");
	/* the hook heard it first, and named the secret */
	ck_assert_int_eq(a.calls, 1);
	ck_assert_str_eq(a.setting, "BINANCE_SECRET_KEY");
	ck_assert_int_eq(a.code, -1022);
	ck_assert_int_eq(a.cb_done, 0);
	/* a public request of the same client is no business of the hook */
	call(bad, BN_GET, "/fapi/v1/time", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	ck_assert_int_eq(a.calls, 1);
	/* the good secret works on the same endpoint */
	call(X.r, BN_GET, "/fapi/v2/balance", BN_AUTH_SIGNED, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	bn_rest_free(bad);
	free(g);
}
END_TEST

/* 503 after the order was placed: unknown, and the query finds it. */
START_TEST(test_live_503_unknown)
{
	struct bn_params	 p;
	struct bn_order		 ord;
	struct got		*g = calloc(1, sizeof(*g));

	LIVE();
	order_params(&p, "bnrest-503");
	sim("fault/unknown", "count", "1", "execute", "true");
	call(X.r, BN_POST, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.status, 503);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_UNKNOWN);
	by_cid(&p, "bnrest-503");
	call(X.r, BN_GET, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	ck_assert_int_eq(bn_parse_order(g->body, strlen(g->body), &ord, NULL),
	    0);
	ck_assert_str_eq(ord.clientOrderId, "bnrest-503");
	/* a 503 on a GET is a plain failure: nothing to find out */
	sim("fault/burst", "count", "1", "status", "503");
	call(X.r, BN_GET, "/fapi/v1/time", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_REJECTED);
	free(g);
}
END_TEST

/* The answer comes after our timeout: unknown, yet the order exists. */
START_TEST(test_live_timeout_unknown)
{
	struct bn_rest		*slow;
	struct bn_params	 p;
	struct got		*g = calloc(1, sizeof(*g));

	LIVE();
	slow = client(X.url, X.secret, 400, 1);
	order_params(&p, "bnrest-slow");
	sim("fault/latency", "ms", "1500", NULL, NULL);
	call(slow, BN_POST, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_UNKNOWN);
	ck_assert_int_eq(g->resp.curl_code, CURLE_OPERATION_TIMEDOUT);
	ck_assert_int_eq(g->resp.status, 0);
	sim("fault/clear", NULL, NULL, NULL, NULL);
	by_cid(&p, "bnrest-slow");
	call(X.r, BN_GET, "/fapi/v1/order", BN_AUTH_SIGNED, &p, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	bn_rest_free(slow);
	free(g);
}
END_TEST

/* Nobody listening: the request never left, so it did not happen. */
START_TEST(test_not_sent)
{
	struct sockaddr_in	 sa = { .sin_family = AF_INET };
	socklen_t		 sl = sizeof(sa);
	struct bn_rest		*r;
	struct got		*g = calloc(1, sizeof(*g));
	char			 url[64];
	int			 s;

	X.lp.ep = epoll_create1(EPOLL_CLOEXEC);
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	close(s);		/* a port nobody listens on */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	r = client(url, "s", 2000, 1);
	ck_assert_ptr_nonnull(r);
	call(r, BN_POST, "/fapi/v1/order", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_NOT_SENT);
	ck_assert_int_eq(g->resp.curl_code, CURLE_COULDNT_CONNECT);
	ck_assert(g->resp.msg[0] != '\0');
	bn_rest_free(r);
	close(X.lp.ep);
	free(g);
}
END_TEST

START_TEST(test_live_429)
{
	struct got	*g = calloc(1, sizeof(*g));
	int64_t		 w;

	LIVE();
	ck_assert_int_eq(bn_rest_sync_time(X.r), 0);
	sim("fault/burst", "count", "1", "status", "429");
	call(X.r, BN_GET, "/fapi/v1/time", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.status, 429);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_REJECTED);
	ck_assert_int_eq(g->resp.hdr.retry_after_s, 60);
	ck_assert_int_eq(bn_rest_gov(X.r)->n429, 1);
	w = bn_rest_can_send(X.r, 1, 0);
	ck_assert_msg(w > 55000 && w <= 60000, "wait %lld", (long long)w);
	/* and the client itself holds requests back */
	ck_assert_int_eq(bn_rest_request(X.r, BN_GET, "/fapi/v1/time",
	    BN_AUTH_NONE, NULL, -1, -1, got_cb, g, NULL), BN_REST_WAIT);
	free(g);
}
END_TEST

START_TEST(test_live_418)
{
	struct got	*g = calloc(1, sizeof(*g));
	int64_t		 w;

	LIVE();
	ck_assert_int_eq(bn_rest_sync_time(X.r), 0);
	sim("fault/burst", "count", "1", "status", "418");
	call(X.r, BN_GET, "/fapi/v1/ping", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.status, 418);
	ck_assert_int_eq(g->resp.code, -1003);
	ck_assert_int_eq(bn_rest_gov(X.r)->n418, 1);
	/* the exchange said "banned until now + 120 s" */
	w = bn_rest_can_send(X.r, 0, 0);
	ck_assert_msg(w > 110000 && w <= 121000, "wait %lld", (long long)w);
	/* everything stops: orders and weight-free requests too */
	ck_assert_int_eq(bn_rest_request(X.r, BN_POST, "/fapi/v1/order",
	    BN_AUTH_SIGNED, NULL, -1, -1, got_cb, g, NULL), BN_REST_WAIT);
	ck_assert_int_eq(bn_rest_request(X.r, BN_DELETE,
	    "/fapi/v1/allOpenOrders", BN_AUTH_SIGNED, NULL, -1, -1, got_cb, g,
	    NULL), BN_REST_WAIT);
	free(g);
}
END_TEST

/* Holds shared between processes (Binance limits per IP). */
struct share_rec {
	int64_t	get_backoff, get_ban;	/* what "the others" report */
	int64_t	put_backoff, put_ban;	/* what we were told */
	int	puts;
};

static void
share_get(void *arg, int64_t *b, int64_t *ban)
{
	struct share_rec *sr = arg;

	*b = sr->get_backoff;
	*ban = sr->get_ban;
}

static void
share_put(void *arg, int64_t b, int64_t ban)
{
	struct share_rec *sr = arg;

	sr->put_backoff = b;
	sr->put_ban = ban;
	sr->puts++;
}

START_TEST(test_share_holds_others)
{
	struct share_rec sr = { 0 };
	struct bn_rest_share sh = { .arg = &sr, .get = share_get,
	    .put = share_put };
	struct bn_rest *r = client("http://127.0.0.1:9", "s", 1000, 0);
	struct got *g = calloc(1, sizeof(*g));
	int64_t w;

	ck_assert_ptr_nonnull(r);
	bn_rest_set_share(r, &sh);
	ck_assert_int_eq(bn_rest_can_send(r, 1, 0), 0);
	/* another process was banned for 10 s: we hold too (the shared
	 * holds are CLOCK_MONOTONIC ms) */
	sr.get_ban = now_mono_ns() / NS_PER_MS + 10000;
	w = bn_rest_can_send(r, 1, 0);
	ck_assert_msg(w > 9000 && w <= 10000, "wait %lld", (long long)w);
	ck_assert_int_eq(bn_rest_request(r, BN_GET, "/fapi/v1/ping",
	    BN_AUTH_NONE, NULL, -1, -1, got_cb, g, NULL), BN_REST_WAIT);
	/* a back-off another one got, longer than nothing, also holds */
	sr.get_ban = 0;
	sr.get_backoff = now_mono_ns() / NS_PER_MS + 3000;
	w = bn_rest_can_send(r, 0, 0);
	ck_assert_msg(w > 2000 && w <= 3000, "wait %lld", (long long)w);
	/* expired holds are ignored */
	sr.get_backoff = now_mono_ns() / NS_PER_MS - 1;
	ck_assert_int_eq(bn_rest_can_send(r, 1, 0), 0);
	ck_assert_int_eq(sr.puts, 0);
	bn_rest_free(r);
	free(g);
}
END_TEST

START_TEST(test_live_418_shared)
{
	struct share_rec sr = { 0 };
	struct bn_rest_share sh = { .arg = &sr, .get = share_get,
	    .put = share_put };
	struct got *g = calloc(1, sizeof(*g));

	LIVE();
	ck_assert_int_eq(bn_rest_sync_time(X.r), 0);
	bn_rest_set_share(X.r, &sh);
	sim("fault/burst", "count", "1", "status", "418");
	call(X.r, BN_GET, "/fapi/v1/ping", BN_AUTH_NONE, NULL, g);
	ck_assert_int_eq(g->resp.status, 418);
	/* our ban is told to the others at once */
	ck_assert_int_eq(sr.puts, 1);
	ck_assert_int_eq(sr.put_ban, bn_rest_gov(X.r)->ban_until);
	ck_assert_int_gt(sr.put_ban, now_mono_ns() / NS_PER_MS + 100000);
	bn_rest_set_share(X.r, NULL);
	free(g);
}
END_TEST

/* The exchange's clock jumps: -1021, the client resyncs by itself. */
START_TEST(test_live_resync)
{
	struct got	*g = calloc(1, sizeof(*g));
	int		 i, done = 0;

	LIVE();
	ck_assert_int_eq(bn_rest_sync_time(X.r), 0);
	sim("fault/skew", "ms", "20000", NULL, NULL);
	call(X.r, BN_GET, "/fapi/v2/balance", BN_AUTH_SIGNED, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_REJECTED);
	ck_assert_int_eq(g->resp.code, -1021);
	/* the resync runs on the loop: wait for the offset to move */
	for (i = 0; i < 500 && llabs(bn_rest_clock_offset_ms(X.r) - 20000) >
	    500; i++)
		lp_run(&X.lp, X.r, &done, 20);
	ck_assert_msg(llabs(bn_rest_clock_offset_ms(X.r) - 20000) <= 500,
	    "offset %lld", (long long)bn_rest_clock_offset_ms(X.r));
	call(X.r, BN_GET, "/fapi/v2/balance", BN_AUTH_SIGNED, NULL, g);
	ck_assert_int_eq(g->resp.outcome, BN_OUT_OK);
	free(g);
}
END_TEST

START_TEST(test_new_refuses)
{
	struct bn_rest_opts	o = { .base_url = "ftp://x" };
	struct bn_rest_hooks	h = { .add_fd = nop_add, .del_fd = nop_del };
	struct bn_rest		*r;
	struct got		 *g = calloc(1, sizeof(*g));

	ck_assert_ptr_null(bn_rest_new(&o, &h));
	o.base_url = NULL;
	ck_assert_ptr_null(bn_rest_new(&o, &h));
	o.base_url = "http://127.0.0.1:1/";
	h.add_fd = NULL;
	ck_assert_ptr_null(bn_rest_new(&o, &h));
	h.add_fd = nop_add;
	r = bn_rest_new(&o, &h);
	ck_assert_ptr_nonnull(r);
	/* signed without a key: refused locally */
	ck_assert_int_eq(bn_rest_request(r, BN_GET, "/fapi/v2/balance",
	    BN_AUTH_SIGNED, NULL, -1, -1, got_cb, g, NULL), -1);
	ck_assert_int_eq(bn_rest_inflight(r), 0);
	ck_assert_int_eq(bn_rest_timeout_ns(r), -1);
	bn_rest_free(r);
	free(g);
}
END_TEST

static Suite *
rest_suite(void)
{
	Suite	*s = suite_create("bn_rest");
	TCase	*tc = tcase_create("offline");
	TCase	*lv = tcase_create("live");

	tcase_add_test(tc, test_sign_vector);
	tcase_add_test(tc, test_params_encoding);
	tcase_add_test(tc, test_weights);
	tcase_add_test(tc, test_auth_blame);
	tcase_add_test(tc, test_gov_weight);
	tcase_add_test(tc, test_gov_orders);
	tcase_add_test(tc, test_gov_classes);
	tcase_add_test(tc, test_gov_429);
	tcase_add_test(tc, test_gov_418);
	tcase_add_test(tc, test_gov_429_cap);
	tcase_add_test(tc, test_gov_clock_step);
	tcase_add_test(tc, test_share_holds_others);
	tcase_add_test(tc, test_new_refuses);
	tcase_add_test(tc, test_not_sent);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(lv, live_setup, live_teardown);
	tcase_add_test(lv, test_live_time);
	tcase_add_test(lv, test_live_exchange_info);
	tcase_add_test(lv, test_live_order_cycle);
	tcase_add_test(lv, test_live_bad_secret);
	tcase_add_test(lv, test_live_503_unknown);
	tcase_add_test(lv, test_live_timeout_unknown);
	tcase_add_test(lv, test_live_429);
	tcase_add_test(lv, test_live_418);
	tcase_add_test(lv, test_live_418_shared);
	tcase_add_test(lv, test_live_resync);
	tcase_set_timeout(lv, 60);
	suite_add_tcase(s, lv);
	return s;
}

int
main(void)
{
	if (access(EXCHANGE, X_OK) != 0)
		fprintf(stderr, "check_bn_rest: %s not built: live tests "
		    "skipped\n", EXCHANGE);
	return check_run(rest_suite());
}
