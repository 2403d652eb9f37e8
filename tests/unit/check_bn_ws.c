/*
 * check_bn_ws.c — the Binance WebSocket client: URL building, backoff with
 * jitter (seeded, so exact), the stale watchdog, and real connections:
 * bookTicker frames from a pmm-exchange this test starts, a server-side
 * drop and the reconnect, the make-before-break rollover before the 24 h
 * limit (time moved forward, not waited for), our pings and a missing
 * pong (exchange SIGSTOPped), the user data stream route, fragments /
 * binary / oversized messages from a small libwebsockets server, refused
 * connections with backoff, and TLS verification against a self-signed
 * openssl s_server. Live tests skip with a message when a tool is absent.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bn_ws.h"
#include "timeutil.h"
#include "check_run.h"

#define EXCH_BIN	PMM_BINARY_DIR "/bin/pmm-exchange"
#define DEMO_KEY	"sN6AbwhpNOMIZyGKXiKQSg4ef53s06mcEy8L804XMv3Dmu7RXdZltBGuE7A6hWDd"
#define MAXREC		64

/* Everything one live test needs; reset by the fixture. */
static struct {
	char		 dir[64];		/* scratch directory */
	pid_t		 exch_pid, srv_pid;
	int		 port;
	struct bn_ws_loop *loop;
	struct bn_ws	*ws;
	int64_t		 offset;		/* virtual time ahead of real */
	int		 nmsg, nbad, nup, ndown, nroll;
	int		 msgs_after_mark;	/* counted from a chosen moment */
	size_t		 len[MAXREC];
	char		 head[MAXREC][32];
} tc;

/* ---- pure helpers ---------------------------------------------------------- */

START_TEST(test_stream_names)
{
	char b[64];

	ck_assert_int_eq(bn_ws_stream(b, sizeof(b), "BTCUSDT", "bookTicker"),
	    18);
	ck_assert_str_eq(b, "btcusdt@bookTicker");
	ck_assert_int_gt(bn_ws_stream(b, sizeof(b), "ethusdt", "markPrice@1s"),
	    0);
	ck_assert_str_eq(b, "ethusdt@markPrice@1s");
	ck_assert_int_eq(bn_ws_stream(b, sizeof(b), "BTC/USDT", "bookTicker"),
	    -1);
	ck_assert_int_eq(bn_ws_stream(b, sizeof(b), "BTCUSDT", "book?x=1"), -1);
	ck_assert_int_eq(bn_ws_stream(b, sizeof(b), "", "bookTicker"), -1);
	/* exactly fitting, and one byte short */
	ck_assert_int_eq(bn_ws_stream(b, 19, "BTCUSDT", "bookTicker"), 18);
	ck_assert_int_eq(bn_ws_stream(b, 18, "BTCUSDT", "bookTicker"), -1);
}
END_TEST

START_TEST(test_url_routed)
{
	const char *one[] = { "btcusdt@bookTicker" };
	const char *two[] = { "btcusdt@markPrice@1s", "btcusdt@aggTrade" };
	char b[256];

	ck_assert_int_gt(bn_ws_url(b, sizeof(b), "ws://127.0.0.1:18080",
	    "public", one, 1, 0), 0);
	ck_assert_str_eq(b, "ws://127.0.0.1:18080/public/ws/btcusdt@bookTicker");
	ck_assert_int_gt(bn_ws_url(b, sizeof(b), "wss://fstream.binance.com/",
	    "public", one, 1, 1), 0);
	ck_assert_str_eq(b, "wss://fstream.binance.com/public/stream?streams="
	    "btcusdt@bookTicker");
	ck_assert_int_eq(bn_ws_url(b, sizeof(b), "wss://fstream.binance.com//",
	    "market", two, 2, 0), (int)strlen(b));
	ck_assert_str_eq(b, "wss://fstream.binance.com/market/stream?streams="
	    "btcusdt@markPrice@1s/btcusdt@aggTrade");
	/* no route: the legacy un-routed path */
	ck_assert_int_gt(bn_ws_url(b, sizeof(b), "ws://h:1", NULL, one, 1, 0),
	    0);
	ck_assert_str_eq(b, "ws://h:1/ws/btcusdt@bookTicker");
	/* refused: scheme, empty host, bad route, bad stream, no stream */
	ck_assert_int_eq(bn_ws_url(b, sizeof(b), "http://h", "public", one, 1,
	    0), -1);
	ck_assert_int_eq(bn_ws_url(b, sizeof(b), "wss://", "public", one, 1,
	    0), -1);
	ck_assert_int_eq(bn_ws_url(b, sizeof(b), "ws://h", "pub/lic", one, 1,
	    0), -1);
	ck_assert_int_eq(bn_ws_url(b, sizeof(b), "ws://h", "public",
	    (const char *[]){ "a b" }, 1, 0), -1);
	ck_assert_int_eq(bn_ws_url(b, sizeof(b), "ws://h", "public", one, 0,
	    0), -1);
	/* too small a buffer is an error, never a truncated URL */
	ck_assert_int_eq(bn_ws_url(b, 30, "ws://127.0.0.1:18080", "market",
	    two, 2, 0), -1);
	ck_assert_int_eq(bn_ws_url(b, 40, "ws://127.0.0.1:18080", "market",
	    two, 2, 0), -1);
}
END_TEST

START_TEST(test_url_user)
{
	char b[256];

	ck_assert_int_gt(bn_ws_url_user(b, sizeof(b), "wss://fstream.binance"
	    ".com", "pqia91ma19a5s61cv6a81va65sdf19v8a65a1", NULL, 0), 0);
	ck_assert_str_eq(b, "wss://fstream.binance.com/private/ws?listenKey="
	    "pqia91ma19a5s61cv6a81va65sdf19v8a65a1");
	ck_assert_int_gt(bn_ws_url_user(b, sizeof(b), "ws://127.0.0.1:1/",
	    "abc", "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE", 0), 0);
	ck_assert_str_eq(b, "ws://127.0.0.1:1/private/ws?listenKey=abc&events="
	    "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE");
	ck_assert_int_gt(bn_ws_url_user(b, sizeof(b), "ws://127.0.0.1:1",
	    "abc", NULL, 1), 0);
	ck_assert_str_eq(b, "ws://127.0.0.1:1/ws/abc");
	/* a key cannot smuggle parameters into the URL */
	ck_assert_int_eq(bn_ws_url_user(b, sizeof(b), "ws://h", "abc&x=1",
	    NULL, 0), -1);
	ck_assert_int_eq(bn_ws_url_user(b, sizeof(b), "ws://h", "abc",
	    "A&B", 0), -1);
	ck_assert_int_eq(bn_ws_url_user(b, sizeof(b), "ws://h", "", NULL, 0),
	    -1);
}
END_TEST

/* Attempt n waits in [min, min(max, min * 2^(n+1))]; the cap is reached. */
START_TEST(test_backoff_bounds)
{
	const int64_t min = 100 * NS_PER_MS, max = 30 * NS_PER_S;
	struct bn_backoff b;
	int64_t cap, d;
	int n, i;

	for (i = 0; i < 200; i++) {
		bn_backoff_init(&b, min, max, 1000 + (uint64_t)i);
		for (n = 0; n < 16; n++) {
			cap = n >= 9 ? max : min << (n + 1);
			if (cap > max)
				cap = max;
			d = bn_backoff_next(&b);
			ck_assert_msg(d >= min && d <= cap,
			    "attempt %d: %lld not in [%lld, %lld]", n,
			    (long long)d, (long long)min, (long long)cap);
		}
	}
	/* after a reset the delays are small again */
	bn_backoff_reset(&b);
	ck_assert_int_le(bn_backoff_next(&b), 2 * min);
}
END_TEST

/* Jitter is real: spread over the whole window, and seed-determined. */
START_TEST(test_backoff_jitter)
{
	const int64_t min = 100 * NS_PER_MS, max = 30 * NS_PER_S;
	struct bn_backoff a, b;
	int64_t lo = INT64_MAX, hi = 0, d, seq[8];
	int i, n, same = 1;

	for (i = 0; i < 2000; i++) {
		bn_backoff_init(&a, min, max, (uint64_t)i + 1);
		for (n = 0; n < 12; n++)
			d = bn_backoff_next(&a);	/* capped at max */
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ck_assert_int_lt(lo, min + (max - min) / 10);
	ck_assert_int_gt(hi, max - (max - min) / 10);

	bn_backoff_init(&a, min, max, 42);
	bn_backoff_init(&b, min, max, 42);
	for (n = 0; n < 8; n++) {
		seq[n] = bn_backoff_next(&a);
		ck_assert_int_eq(seq[n], bn_backoff_next(&b));
	}
	bn_backoff_init(&b, min, max, 43);
	for (n = 0; n < 8; n++)
		same &= bn_backoff_next(&b) == seq[n];
	ck_assert_msg(!same, "another seed gave the same delays");
	/* a degenerate window still works: min == max */
	bn_backoff_init(&a, min, min, 7);
	for (n = 0; n < 5; n++)
		ck_assert_int_eq(bn_backoff_next(&a), min);
}
END_TEST

START_TEST(test_stale_watchdog)
{
	struct bn_stale s;
	const int64_t t = 1000 * NS_PER_S, after = 5 * NS_PER_S;

	bn_stale_init(&s, after);
	ck_assert_int_eq(s.stale, 1);		/* no data yet */
	ck_assert_int_eq(bn_stale_check(&s, t), 0);	/* already stale */
	ck_assert_int_eq(bn_stale_feed(&s, t), 1);	/* fresh again */
	ck_assert_int_eq(bn_stale_feed(&s, t + NS_PER_S), 0);
	ck_assert_int_eq(bn_stale_deadline(&s), t + NS_PER_S + after);
	ck_assert_int_eq(bn_stale_check(&s, t + NS_PER_S + after - 1), 0);
	ck_assert_int_eq(bn_stale_check(&s, t + NS_PER_S + after), 1);
	ck_assert_int_eq(bn_stale_check(&s, t + 100 * NS_PER_S), 0); /* once */
	ck_assert_int_eq(bn_stale_deadline(&s), 0);
	ck_assert_int_eq(bn_stale_feed(&s, t + 101 * NS_PER_S), 1);
	/* a reload may shorten the limit */
	s.after_ns = NS_PER_S;
	ck_assert_int_eq(bn_stale_check(&s, t + 102 * NS_PER_S), 1);
}
END_TEST

START_TEST(test_defaults)
{
	/* replaced before Binance's 24 h cut, but not needlessly early */
	ck_assert_int_lt(BN_WS_MAX_AGE_NS, 24 * 3600 * NS_PER_S);
	ck_assert_int_ge(BN_WS_MAX_AGE_NS, 23 * 3600 * NS_PER_S);
	ck_assert_int_lt(BN_WS_PONG_TIMEOUT_NS, BN_WS_PING_INTERVAL_NS);
}
END_TEST

/* ---- live fixtures ---------------------------------------------------------- */

static int
read_port(const char *path, double secs)
{
	int64_t end = now_mono_ns() + (int64_t)(secs * NS_PER_S);
	FILE *f;
	int port = 0;

	while (now_mono_ns() < end) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
			if (port > 0)
				return port;
		}
		usleep(20000);
	}
	return -1;
}

static void
start_exchange(void)
{
	char pf[128], log[128];
	int fd;

	snprintf(pf, sizeof(pf), "%s/port", tc.dir);
	snprintf(log, sizeof(log), "%s/exch.log", tc.dir);
	unlink(pf);
	if ((tc.exch_pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(EXCH_BIN, "pmm-exchange", "--port", "0", "--port-file", pf,
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(tc.exch_pid, 0);
	tc.port = read_port(pf, 20);
	ck_assert_msg(tc.port > 0, "pmm-exchange did not start (see %s)", log);
}

static void
stop_child(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGCONT);
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static void
live_setup(void)
{
	memset(&tc, 0, sizeof(tc));
	snprintf(tc.dir, sizeof(tc.dir), "/tmp/check_bn_ws.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tc.dir));
	signal(SIGPIPE, SIG_IGN);
}

static void
live_teardown(void)
{
	char cmd[128];

	bn_ws_loop_free(tc.loop);
	tc.loop = NULL;
	stop_child(&tc.exch_pid);
	stop_child(&tc.srv_pid);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tc.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tc.dir);
}

/* The skip message goes to the test log; the test then passes vacuously. */
static int
have_exchange(void)
{
	if (access(EXCH_BIN, X_OK) == 0)
		return 1;
	fprintf(stderr, "SKIP: %s not built\n", EXCH_BIN);
	return 0;
}

static void
on_msg(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	int i = tc.nmsg % MAXREC;

	(void)ws;
	(void)arg;
	tc.len[i] = len;
	snprintf(tc.head[i], sizeof(tc.head[i]), "%.*s",
	    (int)(len < 31 ? len : 31), data);
	tc.nmsg++;
	tc.msgs_after_mark++;
}

static void
on_state(struct bn_ws *ws, enum bn_ws_event ev, const char *why, void *arg)
{
	(void)ws;
	(void)why;
	(void)arg;
	if (ev == BN_WS_UP)
		tc.nup++;
	else if (ev == BN_WS_DOWN)
		tc.ndown++;
	else
		tc.nroll++;
}

/* bookTicker frames must be whole JSON documents of the right stream. */
static void
on_book(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	json_t *j = json_loadb(data, len, 0, NULL), *d;

	on_msg(ws, data, len, arg);
	d = json_object_get(j, "data");
	if (j == NULL || !json_is_string(json_object_get(j, "stream")) ||
	    strcmp(json_string_value(json_object_get(j, "stream")),
	    "btcusdt@bookTicker") != 0 || !json_is_integer(json_object_get(d,
	    "u")) || !json_is_string(json_object_get(d, "b")))
		tc.nbad++;
	json_decref(j);
}

typedef int (*cond_fn)(void);

/*
 * Run the client the way a service does: epoll on the loop's fd, sleep no
 * longer than its timeout, run it. Until cond() or secs of real time.
 */
static int
pump(cond_fn cond, double secs)
{
	int64_t end = now_mono_ns() + (int64_t)(secs * NS_PER_S), to;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC), ok = 0;

	ck_assert_int_ge(ep, 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, bn_ws_loop_fd(tc.loop),
	    &ev), 0);
	for (;;) {
		bn_ws_loop_run(tc.loop, now_mono_ns() + tc.offset);
		if (cond != NULL && cond()) {
			ok = 1;
			break;
		}
		if (now_mono_ns() >= end)
			break;
		to = bn_ws_loop_timeout_ns(tc.loop, now_mono_ns() + tc.offset);
		if (to > 50 * NS_PER_MS)
			to = 50 * NS_PER_MS;
		epoll_wait(ep, &ev, 1, (int)((to + NS_PER_MS - 1) / NS_PER_MS));
	}
	close(ep);
	return ok;
}

static const struct bn_ws_stats *
st(void)
{
	return bn_ws_stats(tc.ws);
}

static int c_20msgs(void) { return tc.nmsg >= 20; }
static int c_up(void) { return bn_ws_is_up(tc.ws); }
static int c_reconnected(void)
{
	return st()->reconnects >= 1 && tc.msgs_after_mark >= 5;
}
static int c_rolled(void) { return st()->rollovers >= 1; }
static int c_pongs(void) { return st()->pongs >= 3; }
static int c_down(void) { return tc.ndown >= 1; }
static int c_3fail(void) { return st()->failures >= 3; }
static int c_1fail(void) { return st()->failures >= 1; }
static int c_2attempts(void) { return st()->attempts >= 2; }

static struct bn_ws *
open_ws(const char *path, struct bn_ws_opts *o)
{
	char url[256];

	snprintf(url, sizeof(url), "ws://127.0.0.1:%d%s", tc.port, path);
	if (tc.loop == NULL)
		tc.loop = bn_ws_loop_new(NULL);
	ck_assert_ptr_nonnull(tc.loop);
	o->url = url;
	if (o->on_msg == NULL)
		o->on_msg = on_msg;
	o->on_state = on_state;
	o->name = "test";
	return bn_ws_open(tc.loop, o);
}

/* POST to pmm-exchange's admin/Binance API; returns the HTTP status. */
static long
http_post(const char *path, const char *apikey, char *out, size_t outlen)
{
	char url[256], hdr[128];
	struct curl_slist *h = NULL;
	long code = 0;
	FILE *f;
	CURL *c;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", tc.port, path);
	ck_assert_ptr_nonnull(c = curl_easy_init());
	f = fmemopen(out, outlen, "w");
	ck_assert_ptr_nonnull(f);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	if (apikey != NULL) {
		snprintf(hdr, sizeof(hdr), "X-MBX-APIKEY: %s", apikey);
		h = curl_slist_append(h, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	fclose(f);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

/* ---- live: pmm-exchange ---------------------------------------------------- */

START_TEST(test_live_bookticker)
{
	struct bn_ws_opts o = { .on_msg = on_book };

	if (!have_exchange())
		return;
	start_exchange();
	tc.ws = open_ws("/public/stream?streams=btcusdt@bookTicker", &o);
	ck_assert_ptr_nonnull(tc.ws);
	ck_assert_msg(pump(c_20msgs, 30), "no bookTicker frames: %s",
	    bn_ws_last_error(tc.ws));
	ck_assert_int_eq(tc.nbad, 0);
	ck_assert_int_eq(tc.nup, 1);
	ck_assert_uint_eq(st()->connects, 1);
	ck_assert_uint_eq(st()->reconnects, 0);
	ck_assert_uint_eq(st()->msgs, (uint64_t)tc.nmsg);
	ck_assert_uint_gt(st()->bytes, 20 * 100);
	ck_assert_uint_eq(st()->drops, 0);
	ck_assert_int_gt(bn_ws_last_msg_ns(tc.ws), 0);
	ck_assert_int_eq(bn_ws_is_up(tc.ws), 1);
}
END_TEST

START_TEST(test_live_drop_reconnect)
{
	struct bn_ws_opts o = { .on_msg = on_book, .seed = 1 };
	char body[256] = "";

	if (!have_exchange())
		return;
	start_exchange();
	tc.ws = open_ws("/public/stream?streams=btcusdt@bookTicker", &o);
	ck_assert(pump(c_20msgs, 30));
	ck_assert_int_eq(http_post("/sim/fault/drop?which=market", NULL, body,
	    sizeof(body)), 200);
	ck_assert_msg(strstr(body, "\"dropped\": 1") != NULL ||
	    strstr(body, "\"dropped\":1") != NULL, "drop answered %s", body);
	tc.msgs_after_mark = 0;
	ck_assert_msg(pump(c_reconnected, 30), "no reconnect: %s",
	    bn_ws_last_error(tc.ws));
	ck_assert_int_eq(tc.ndown, 1);
	ck_assert_int_eq(tc.nup, 2);
	ck_assert_uint_eq(st()->disconnects, 1);
	ck_assert_uint_eq(st()->reconnects, 1);
	ck_assert_uint_eq(st()->connects, 2);
	ck_assert_int_eq(tc.nbad, 0);
}
END_TEST

/*
 * The age limit: the replacement is opened at opened + max_age and the old
 * connection closed only once the new one is up — no DOWN event, data
 * keeps flowing. Time is moved forward by a day instead of waited for.
 */
START_TEST(test_live_rollover_24h)
{
	struct bn_ws_opts o = { .ping_interval_ns = -1 };
	int64_t before, after, at;

	if (!have_exchange())
		return;
	start_exchange();
	before = now_mono_ns();
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert(pump(c_up, 30));
	after = now_mono_ns();
	at = bn_ws_rollover_at(tc.ws);
	ck_assert_int_ge(at, before + BN_WS_MAX_AGE_NS);
	ck_assert_int_le(at, after + BN_WS_MAX_AGE_NS);

	/* a second short of it nothing happens */
	tc.offset = at - now_mono_ns() - NS_PER_S;
	pump(NULL, 0.2);
	ck_assert_uint_eq(st()->attempts, 1);
	ck_assert_uint_eq(st()->rollovers, 0);

	/* at it: a second connection, then the switch */
	tc.offset = at - now_mono_ns() + NS_PER_MS;
	ck_assert_msg(pump(c_rolled, 30), "no rollover: %s",
	    bn_ws_last_error(tc.ws));
	ck_assert_uint_eq(st()->attempts, 2);
	ck_assert_uint_eq(st()->connects, 2);
	ck_assert_uint_eq(st()->disconnects, 0);
	ck_assert_int_eq(tc.ndown, 0);
	ck_assert_int_eq(tc.nroll, 1);
	/* the next one is scheduled a full max age after the switch */
	ck_assert_int_ge(bn_ws_rollover_at(tc.ws), at + BN_WS_MAX_AGE_NS);
	tc.msgs_after_mark = 0;
	ck_assert(pump(c_reconnected, 30));	/* still flowing */
	ck_assert_int_eq(tc.ndown, 0);
}
END_TEST

/* A shorter max age from the options is honoured the same way. */
START_TEST(test_live_rollover_override)
{
	struct bn_ws_opts o = { .ping_interval_ns = -1,
	    .max_age_ns = 300 * NS_PER_MS };

	if (!have_exchange())
		return;
	start_exchange();
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert(pump(c_up, 30));
	ck_assert_int_le(bn_ws_rollover_at(tc.ws), now_mono_ns() +
	    300 * NS_PER_MS);
	ck_assert(pump(c_rolled, 30));
	ck_assert_int_eq(tc.ndown, 0);
}
END_TEST

START_TEST(test_live_ping_pong)
{
	struct bn_ws_opts o = { .ping_interval_ns = 100 * NS_PER_MS };

	if (!have_exchange())
		return;
	start_exchange();
	tc.ws = open_ws("/market/ws/btcusdt@markPrice@1s", &o);
	ck_assert_msg(pump(c_pongs, 30), "pings %llu pongs %llu",
	    (unsigned long long)st()->pings, (unsigned long long)st()->pongs);
	ck_assert_uint_ge(st()->pings, st()->pongs);
	ck_assert_uint_eq(st()->ping_timeouts, 0);
	ck_assert_uint_eq(st()->disconnects, 0);
}
END_TEST

/* A server that stops answering: the missing pong kills the connection. */
START_TEST(test_live_pong_timeout)
{
	struct bn_ws_opts o = { .ping_interval_ns = 30 * NS_PER_S,
	    .pong_timeout_ns = 5 * NS_PER_S, .backoff_min_ns = 50 * NS_PER_MS,
	    .backoff_max_ns = 200 * NS_PER_MS };

	if (!have_exchange())
		return;
	start_exchange();
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert(pump(c_up, 30));
	ck_assert_int_eq(kill(tc.exch_pid, SIGSTOP), 0);
	/* the ping falls due; the frozen server cannot answer it */
	tc.offset += 31 * NS_PER_S;
	pump(NULL, 0.2);
	ck_assert_uint_eq(st()->pings, 1);
	ck_assert_uint_eq(st()->pongs, 0);
	ck_assert_uint_eq(st()->ping_timeouts, 0);
	tc.offset += 6 * NS_PER_S;
	ck_assert_msg(pump(c_down, 10), "still up without a pong");
	ck_assert_uint_eq(st()->ping_timeouts, 1);
	ck_assert_str_eq(bn_ws_last_error(tc.ws), "no pong");
	ck_assert_int_eq(kill(tc.exch_pid, SIGCONT), 0);
	tc.msgs_after_mark = 0;
	ck_assert_msg(pump(c_reconnected, 60), "no reconnect: %s",
	    bn_ws_last_error(tc.ws));
}
END_TEST

/* The order service's user data stream: same client, /private route. */
/* bn_ws_reconnect() on a connection that is silent (the exchange frozen):
 * dropped at once, not at its next I/O, and back once the exchange is. */
START_TEST(test_live_reconnect_silent)
{
	struct bn_ws_opts o = { .backoff_min_ns = 50 * NS_PER_MS,
	    .backoff_max_ns = 200 * NS_PER_MS };

	if (!have_exchange())
		return;
	start_exchange();
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert(pump(c_up, 30));
	ck_assert_int_eq(kill(tc.exch_pid, SIGSTOP), 0);
	pump(NULL, 0.1);
	bn_ws_reconnect(tc.ws, "test");
	ck_assert_msg(pump(c_down, 20), "still up after bn_ws_reconnect");
	ck_assert_str_eq(bn_ws_last_error(tc.ws), "test");
	ck_assert_int_eq(kill(tc.exch_pid, SIGCONT), 0);
	tc.msgs_after_mark = 0;
	ck_assert_msg(pump(c_reconnected, 60), "no reconnect: %s",
	    bn_ws_last_error(tc.ws));
}
END_TEST

START_TEST(test_live_user_stream)
{
	struct bn_ws_opts o = { 0 };
	char body[256] = "", url[256], path[200];
	json_t *j;

	if (!have_exchange())
		return;
	start_exchange();
	ck_assert_int_eq(http_post("/fapi/v1/listenKey", DEMO_KEY, body,
	    sizeof(body)), 200);
	j = json_loads(body, 0, NULL);
	ck_assert_msg(json_is_string(json_object_get(j, "listenKey")), "%s",
	    body);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", tc.port);
	ck_assert_int_gt(bn_ws_url_user(path, sizeof(path), url,
	    json_string_value(json_object_get(j, "listenKey")),
	    "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE", 0), 0);
	json_decref(j);
	tc.ws = open_ws(path + strlen(url), &o);
	ck_assert_msg(pump(c_up, 30), "user stream: %s",
	    bn_ws_last_error(tc.ws));
	/* a new key for the next connection, as after listenKeyExpired */
	ck_assert_int_eq(bn_ws_set_url(tc.ws, "http://nope"), -1);
	/* pmm-exchange, like Binance, opens /private without a valid key
	 * (clients may SUBSCRIBE one later), so refuse by path instead */
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/private/nosuch?listenKey="
	    "doesnotexist", tc.port);
	ck_assert_int_eq(bn_ws_set_url(tc.ws, url), 0);
	bn_ws_reconnect(tc.ws, "new listenKey");
	ck_assert_msg(pump(c_1fail, 30), "a refused URL was accepted");
	ck_assert_uint_eq(st()->connects, 1);
	ck_assert_int_eq(tc.ndown, 1);
}
END_TEST

/* Nothing listening: attempts back off, nothing is delivered. */
START_TEST(test_refused_backoff)
{
	struct bn_ws_opts o = { .backoff_min_ns = 20 * NS_PER_MS,
	    .backoff_max_ns = 80 * NS_PER_MS };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* a port that was free a moment ago */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	tc.port = ntohs(sa.sin_port);
	close(s);
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert_ptr_nonnull(tc.ws);
	ck_assert(pump(c_3fail, 30));
	ck_assert_uint_eq(st()->connects, 0);
	ck_assert_uint_ge(st()->attempts, st()->failures);
	ck_assert_int_eq(tc.nup, 0);
	ck_assert_int_eq(tc.nmsg, 0);
	ck_assert_int_eq(bn_ws_is_up(tc.ws), 0);
	ck_assert_str_ne(bn_ws_last_error(tc.ws), "");
	/* while waiting for a retry the loop never asks to sleep past it */
	ck_assert_int_le(bn_ws_loop_timeout_ns(tc.loop, now_mono_ns()),
	    80 * NS_PER_MS);
}
END_TEST

/*
 * An exchange that accepts the connection and never answers the upgrade.
 * lws gives up on the handshake after its own timeout (5 s) with no error
 * callback, only the wsi's destruction: that must count as a failed
 * attempt (and a retry), and closing the stream afterwards (a service
 * stopping) must not touch the freed wsi; nor may closing it while the
 * handshake is still pending. It used to crash in lws_set_timeout.
 */
static int c_nothing(void) { return 0; }

START_TEST(test_close_pending_handshake)
{
	struct bn_ws_opts o = { .backoff_min_ns = 20 * NS_PER_MS,
	    .backoff_max_ns = 40 * NS_PER_MS };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(s, 16), 0);	/* the kernel accepts, */
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	tc.port = ntohs(sa.sin_port);		/* nobody ever answers */

	/* closed while the upgrade request waits for its answer */
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert_ptr_nonnull(tc.ws);
	ck_assert(!pump(c_nothing, 0.3));
	ck_assert_uint_eq(st()->failures, 0);
	bn_ws_close(tc.ws);
	(void)pump(NULL, 0.2);

	/* left alone until lws gives up: a failure, then a retry; closed
	 * after that, and once more with the retry pending */
	tc.ws = open_ws("/public/ws/btcusdt@bookTicker", &o);
	ck_assert_ptr_nonnull(tc.ws);
	ck_assert_msg(pump(c_1fail, 30), "an unanswered upgrade never failed");
	ck_assert_msg(strstr(bn_ws_last_error(tc.ws), "upgrade") != NULL,
	    "%s", bn_ws_last_error(tc.ws));
	ck_assert(pump(c_2attempts, 10));
	ck_assert_uint_eq(st()->connects, 0);
	bn_ws_close(tc.ws);
	tc.ws = NULL;
	(void)pump(NULL, 0.2);
	bn_ws_loop_free(tc.loop);
	tc.loop = NULL;
	close(s);
}
END_TEST

/* ---- live: a scripted libwebsockets server ---------------------------------- */

#define BIG_LEN		(100 * 1024)
#define HUGE_LEN	(300 * 1024)

struct srv_pss { int step; };

static unsigned char *srv_buf;

static int
srv_send(struct lws *wsi, const char *s, size_t len, enum lws_write_protocol p)
{
	memcpy(srv_buf + LWS_PRE, s, len);
	return lws_write(wsi, srv_buf + LWS_PRE, len, p) < (int)len ? -1 : 0;
}

static int
srv_fill(struct lws *wsi, size_t len, char c)
{
	memset(srv_buf + LWS_PRE, c, len);
	srv_buf[LWS_PRE] = '{';
	srv_buf[LWS_PRE + len - 1] = '}';
	return lws_write(wsi, srv_buf + LWS_PRE, len, LWS_WRITE_TEXT) <
	    (int)len ? -1 : 0;
}

/* One step per writable callback; the last closes with "going away". */
static int
srv_step(struct lws *wsi, struct srv_pss *p)
{
	int rc = 0;

	switch (p->step++) {
	case 0:
		rc = srv_send(wsi, "{\"part\":", 8, lws_write_ws_flags(
		    LWS_WRITE_TEXT, 1, 0));
		break;
	case 1:
		rc = srv_send(wsi, "1}", 2, lws_write_ws_flags(LWS_WRITE_TEXT,
		    0, 1));
		break;
	case 2:
		rc = srv_send(wsi, "\x01\x02\x03", 3, LWS_WRITE_BINARY);
		break;
	case 3:
		rc = srv_fill(wsi, BIG_LEN, 'b');
		break;
	case 4:
		rc = srv_fill(wsi, HUGE_LEN, 'h');
		break;
	case 5:
		rc = srv_send(wsi, "{\"end\":1}", 9, LWS_WRITE_TEXT);
		break;
	default:
		lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY,
		    (unsigned char *)"bye", 3);
		return -1;
	}
	lws_callback_on_writable(wsi);
	return rc;
}

static int
srv_cb(struct lws *wsi, enum lws_callback_reasons r, void *user, void *in,
    size_t len)
{
	struct srv_pss *p = user;

	(void)in;
	(void)len;
	switch (r) {
	case LWS_CALLBACK_ESTABLISHED:
		p->step = 0;
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return srv_step(wsi, p);
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols srv_protocols[] = {
	{ "script", srv_cb, sizeof(struct srv_pss), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
srv_child(int wfd)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	int port;

	memset(&info, 0, sizeof(info));
	info.port = 0;
	info.iface = "127.0.0.1";
	info.protocols = srv_protocols;
	lws_set_log_level(LLL_ERR, NULL);
	if ((srv_buf = malloc(LWS_PRE + HUGE_LEN)) == NULL ||
	    (ctx = lws_create_context(&info)) == NULL)
		_exit(1);
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "default"));
	if (write(wfd, &port, sizeof(port)) != sizeof(port))
		_exit(1);
	for (;;)
		lws_service(ctx, 0);
}

static void
start_script_server(void)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	if ((tc.srv_pid = fork()) == 0) {
		close(p[0]);
		srv_child(p[1]);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &tc.port, sizeof(tc.port)),
	    sizeof(tc.port));
	close(p[0]);
}

static int c_script(void) { return tc.ndown >= 1; }

START_TEST(test_live_fragments)
{
	struct bn_ws_opts o = { .max_msg = 200 * 1024,
	    .backoff_min_ns = 5 * NS_PER_S };

	start_script_server();
	tc.ws = open_ws("/anything", &o);
	ck_assert_msg(pump(c_script, 30), "script did not finish: %s",
	    bn_ws_last_error(tc.ws));
	/* text in two fragments, the 100 KiB one, the end; binary and the
	 * 300 KiB one (over max_msg) dropped */
	ck_assert_int_eq(tc.nmsg, 3);
	ck_assert_str_eq(tc.head[0], "{\"part\":1}");
	ck_assert_uint_eq(tc.len[0], 10);
	ck_assert_uint_eq(tc.len[1], BIG_LEN);
	ck_assert_str_eq(tc.head[1], "{bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	ck_assert_str_eq(tc.head[2], "{\"end\":1}");
	ck_assert_uint_eq(st()->drops, 2);
	ck_assert_uint_eq(st()->msgs, 3);
	ck_assert_msg(strstr(bn_ws_last_error(tc.ws), "code 1001") != NULL,
	    "close reason: %s", bn_ws_last_error(tc.ws));
}
END_TEST

/* ---- live: TLS verification -------------------------------------------------- */

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(s);
	return port;
}

/* openssl s_server with a fresh self-signed certificate for localhost. */
static int
start_tls_server(char *cert, size_t len)
{
	char cmd[512], key[128], port[16];
	int i, fd;

	if (sh("command -v openssl >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: no openssl command\n");
		return -1;
	}
	snprintf(cert, len, "%s/cert.pem", tc.dir);
	snprintf(key, sizeof(key), "%s/key.pem", tc.dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost -keyout %s -out %s "
	    ">/dev/null 2>&1", key, cert);
	ck_assert_int_eq(sh(cmd), 0);
	tc.port = free_port();
	snprintf(port, sizeof(port), "%d", tc.port);
	if ((tc.srv_pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("openssl", "openssl", "s_server", "-accept", port,
		    "-cert", cert, "-key", key, "-www", "-quiet", (char *)NULL);
		_exit(127);
	}
	/* wait until it listens */
	for (i = 0; i < 200; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
		    .sin_port = htons((uint16_t)tc.port) };
		int s = socket(AF_INET, SOCK_STREAM, 0), ok;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(s);
		if (ok)
			return 0;
		usleep(25000);
	}
	ck_abort_msg("openssl s_server did not start");
	return -1;
}

/*
 * A host name is looked up off the loop: while the lookup hangs the loop
 * keeps running, the attempt fails after 10 s (virtual time) and a retry
 * starts its own lookup; the first lookup's late answer is ignored, the
 * retry's connects — to the name's address, with the name in Host.
 */
static int dns_gate[2] = { -1, -1 };

static int
dns_gated(const char *host, char *addr, size_t alen, char *err, size_t elen)
{
	char b;

	if (read(dns_gate[0], &b, 1) != 1 || strcmp(host, "exchange.test")) {
		snprintf(err, elen, "%s: not known", host);
		return -1;
	}
	snprintf(addr, alen, "127.0.0.1");
	return 0;
}

START_TEST(test_live_slow_dns)
{
	struct bn_ws_opts o = { .on_msg = on_book, .on_state = on_state,
	    .name = "test", .seed = 3 };
	char url[256];

	if (!have_exchange())
		return;
	start_exchange();
	ck_assert_int_eq(pipe(dns_gate), 0);
	tc.loop = bn_ws_loop_new(NULL);
	ck_assert_ptr_nonnull(tc.loop);
	bn_ws_loop_set_resolve_fn(tc.loop, dns_gated);
	snprintf(url, sizeof(url), "ws://exchange.test:%d/public/stream?"
	    "streams=btcusdt@bookTicker", tc.port);
	o.url = url;
	ck_assert_ptr_nonnull(tc.ws = bn_ws_open(tc.loop, &o));
	/* the lookup is held: the loop still runs, nothing is up */
	ck_assert(!pump(c_up, 0.3));
	ck_assert_uint_eq(st()->attempts, 1);
	ck_assert_uint_eq(st()->failures, 0);
	tc.offset += 11 * NS_PER_S;
	ck_assert(pump(c_1fail, 10));
	ck_assert_msg(strstr(bn_ws_last_error(tc.ws), "lookup") != NULL,
	    "%s", bn_ws_last_error(tc.ws));
	ck_assert_msg(pump(c_2attempts, 10), "no retry");
	ck_assert_int_eq(write(dns_gate[1], "ab", 2), 2);
	ck_assert_msg(pump(c_20msgs, 30), "no frames after the lookup: %s",
	    bn_ws_last_error(tc.ws));
	ck_assert_uint_eq(st()->connects, 1);
	ck_assert_int_eq(tc.nup, 1);
	ck_assert_int_eq(tc.nbad, 0);
}
END_TEST

START_TEST(test_tls_verify)
{
	struct bn_ws_opts o = { .backoff_min_ns = 5 * NS_PER_S };
	char cert[128], url[128], err_untrusted[96];

	if (start_tls_server(cert, sizeof(cert)) == -1)
		return;
	snprintf(url, sizeof(url), "wss://localhost:%d/ws/x", tc.port);
	tc.loop = bn_ws_loop_new(NULL);
	o.url = url;
	o.on_msg = on_msg;
	tc.ws = bn_ws_open(tc.loop, &o);
	ck_assert(pump(c_1fail, 30));
	ck_assert_uint_eq(st()->connects, 0);
	snprintf(err_untrusted, sizeof(err_untrusted), "%s",
	    bn_ws_last_error(tc.ws));
	bn_ws_loop_free(tc.loop);

	/* the same server, its certificate trusted: TLS passes, and what
	 * fails is the WebSocket upgrade (s_server answers plain HTTP) */
	tc.loop = bn_ws_loop_new(cert);
	tc.ws = bn_ws_open(tc.loop, &o);
	ck_assert(pump(c_1fail, 30));
	ck_assert_uint_eq(st()->connects, 0);
	ck_assert_msg(strstr(bn_ws_last_error(tc.ws), "101") != NULL,
	    "trusted: %s", bn_ws_last_error(tc.ws));
	ck_assert_msg(strstr(err_untrusted, "101") == NULL,
	    "untrusted got as far as the upgrade: %s", err_untrusted);
}
END_TEST

static Suite *
bn_ws_suite(void)
{
	Suite *s = suite_create("bn_ws");
	TCase *tp = tcase_create("pure"), *tl = tcase_create("live");

	tcase_add_test(tp, test_stream_names);
	tcase_add_test(tp, test_url_routed);
	tcase_add_test(tp, test_url_user);
	tcase_add_test(tp, test_backoff_bounds);
	tcase_add_test(tp, test_backoff_jitter);
	tcase_add_test(tp, test_stale_watchdog);
	tcase_add_test(tp, test_defaults);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(tl, live_setup, live_teardown);
	tcase_set_timeout(tl, 120);
	tcase_add_test(tl, test_live_bookticker);
	tcase_add_test(tl, test_live_drop_reconnect);
	tcase_add_test(tl, test_live_rollover_24h);
	tcase_add_test(tl, test_live_rollover_override);
	tcase_add_test(tl, test_live_ping_pong);
	tcase_add_test(tl, test_live_pong_timeout);
	tcase_add_test(tl, test_live_reconnect_silent);
	tcase_add_test(tl, test_live_user_stream);
	tcase_add_test(tl, test_refused_backoff);
	tcase_add_test(tl, test_close_pending_handshake);
	tcase_add_test(tl, test_live_fragments);
	tcase_add_test(tl, test_live_slow_dns);
	tcase_add_test(tl, test_tls_verify);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	return check_run(bn_ws_suite());
}
