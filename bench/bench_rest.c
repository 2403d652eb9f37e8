/*
 * bench_rest.c — REST round trips against pmm-exchange on loopback from
 * one keep-alive libcurl easy handle: signed order round trips (place a
 * LIMIT order, cancel it) beside the baseline of unsigned GET
 * /fapi/v1/ping in the same run. Prints figures; asserts nothing.
 *
 *   bench_rest [iterations]        (default 2000)
 *
 * Starts its own pmm-exchange (--manual, a port the kernel picks) from
 * ../bin beside this program, or uses PMM_EXCH_URL if set. The exchange's
 * rate limits (300 orders/10 s) are reset through /sim between batches,
 * outside the timed sections.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bn_sign.h"
#include "timeutil.h"

#define KEY	"sN6AbwhpNOMIZyGKXiKQSg4ef53s06mcEy8L804XMv3Dmu7RXdZltBGuE7A6hWDd"
#define SECRET	"1FIzcqSpHJPmSXb8TiRDtJqw9q5CIlANe1LhUdHhxLAmz1KZlmXGKD1CWnGLqa9N"
#define BATCH	200	/* orders between rate-limit resets */

struct buf {
	char	*p;
	size_t	 n;
};

static struct {
	CURL		*h;
	char		 base[128];
	struct buf	 body;
	struct curl_slist *hdrs;
	pid_t		 pid;
} b;

static size_t
on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct buf	*o = arg;
	char		*np = realloc(o->p, o->n + sz * n + 1);

	if (np == NULL)
		return 0;
	o->p = np;
	memcpy(o->p + o->n, d, sz * n);
	o->n += sz * n;
	o->p[o->n] = '\0';
	return sz * n;
}

/* One request on the shared handle; returns the HTTP status. */
static long
call(const char *method, const char *path, const char *query, int sign)
{
	char	 url[2048], q[1536], sig[BN_SIG_HEXLEN + 1];
	long	 code = 0;

	if (sign) {
		snprintf(q, sizeof(q), "%s%stimestamp=%lld", query,
		    *query ? "&" : "", (long long)(now_real_ns() / NS_PER_MS));
		bn_sign_hex(SECRET, q, strlen(q), sig);
		snprintf(url, sizeof(url), "%s%s?%s&signature=%s", b.base, path,
		    q, sig);
	} else
		snprintf(url, sizeof(url), "%s%s%s%s", b.base, path,
		    *query ? "?" : "", query);
	b.body.n = 0;
	curl_easy_setopt(b.h, CURLOPT_URL, url);
	/* a POST says Content-Length: 0, as Binance clients do */
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(b.h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(b.h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(b.h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(b.h, CURLOPT_CUSTOMREQUEST,
		    strcmp(method, "GET") == 0 ? NULL : method);
	}
	if (curl_easy_perform(b.h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(b.h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static int
cmp_i64(const void *a, const void *c)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)c;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, int64_t *lat, int n, int64_t total_ns, int per)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("%-34s %8.0f /s   p50 %6.1f us   p99 %6.1f us   max %7.1f us\n",
	    what, (double)n * per * NS_PER_S / (double)total_ns,
	    lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
}

static int
start_exchange(const char *argv0)
{
	char	 exe[4096], pf[64], *slash;
	FILE	*f;
	int	 port = 0, i;

	snprintf(exe, sizeof(exe), "%s", argv0);
	slash = strrchr(exe, '/');
	snprintf(slash ? slash + 1 : exe, sizeof(exe) - (size_t)(slash ?
	    slash + 1 - exe : 0), "../bin/pmm-exchange");
	snprintf(pf, sizeof(pf), "/tmp/bench_rest.%d.port", (int)getpid());
	unlink(pf);
	if ((b.pid = fork()) == 0) {
		execl(exe, exe, "--manual", "--port", "0", "--port-file", pf,
		    "--log-level", "warn", (char *)NULL);
		perror(exe);
		_exit(127);
	}
	for (i = 0; i < 200 && port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
	}
	unlink(pf);
	if (port == 0) {
		fprintf(stderr, "bench_rest: %s did not start\n", exe);
		return -1;
	}
	snprintf(b.base, sizeof(b.base), "http://127.0.0.1:%d", port);
	return 0;
}

int
main(int argc, char **argv)
{
	int64_t	*lat, t0, total;
	int	 n = argc > 1 ? atoi(argv[1]) : 2000, i;
	json_t	*j;
	long	 code;
	char	 q[256];

	if (n < 10)
		n = 10;
	if ((lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		return 1;
	if (getenv("PMM_EXCH_URL") != NULL)
		snprintf(b.base, sizeof(b.base), "%s", getenv("PMM_EXCH_URL"));
	else if (start_exchange(argv[0]) == -1)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	b.h = curl_easy_init();
	b.hdrs = curl_slist_append(NULL, "X-MBX-APIKEY: " KEY);
	curl_easy_setopt(b.h, CURLOPT_HTTPHEADER, b.hdrs);
	curl_easy_setopt(b.h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(b.h, CURLOPT_WRITEDATA, &b.body);
	curl_easy_setopt(b.h, CURLOPT_TCP_NODELAY, 1L);
	if (call("POST", "/sim/book", "symbol=BTCUSDT&bid=60000.0&ask=60000.1"
	    "&qty=5", 0) != 200) {
		fprintf(stderr, "bench_rest: cannot set the book\n");
		goto out;
	}
	printf("pmm-exchange REST on %s, one keep-alive connection, %d "
	    "iterations\n", b.base, n);

	total = 0;
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0)
			call("POST", "/sim/ratelimit/reset", "", 0);
		t0 = now_mono_ns();
		code = call("GET", "/fapi/v1/ping", "", 0);
		lat[i] = now_mono_ns() - t0;
		total += lat[i];
		if (code != 200) {
			fprintf(stderr, "ping: HTTP %ld\n", code);
			goto out;
		}
	}
	report("GET /fapi/v1/ping (baseline)", lat, n, total, 1);

	total = 0;
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0)
			call("POST", "/sim/ratelimit/reset", "", 0);
		t0 = now_mono_ns();
		code = call("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY"
		    "&type=LIMIT&timeInForce=GTC&quantity=0.010&price=59000.0",
		    1);
		if (code != 200 || (j = json_loads(b.body.p, 0, NULL)) == NULL) {
			fprintf(stderr, "order: HTTP %ld %s\n", code,
			    b.body.p ? b.body.p : "");
			goto out;
		}
		snprintf(q, sizeof(q), "symbol=BTCUSDT&orderId=%lld",
		    (long long)json_integer_value(json_object_get(j,
		    "orderId")));
		json_decref(j);
		code = call("DELETE", "/fapi/v1/order", q, 1);
		lat[i] = now_mono_ns() - t0;
		total += lat[i];
		if (code != 200) {
			fprintf(stderr, "cancel: HTTP %ld %s\n", code, b.body.p);
			goto out;
		}
	}
	report("signed place+cancel pairs", lat, n, total, 1);
	printf("%-34s %8.0f /s\n", "signed order round trips",
	    (double)n * 2 * NS_PER_S / (double)total);
out:
	curl_slist_free_all(b.hdrs);
	curl_easy_cleanup(b.h);
	curl_global_cleanup();
	free(b.body.p);
	free(lat);
	if (b.pid > 0) {
		kill(b.pid, SIGTERM);
		waitpid(b.pid, NULL, 0);
	}
	return 0;
}
