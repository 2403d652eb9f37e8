/*
 * bench_tick_to_order.c — tick-to-order latency of the pmm tree, seen from
 * the exchange, beside the floor of a minimal client in the same run.
 *
 *   bench_tick_to_order [ticks]        (default 100, ~50 s)
 *
 * Starts its own pmm-exchange (from ../bin beside this program) with the
 * synthetic market paused, and moves the book by hand (POST /sim/book):
 * each tick moves the mid 4 USDT, beyond the tolerance (0.005 % of ~60000
 * = 3 USDT) and inside the first level's offset (0.01 % = 6), so nothing
 * fills. The latency of a tick is the exchange's receive time of the first
 * resulting POST/DELETE /fapi/v1/batchOrders (from GET /sim/requests)
 * minus the time the bench sent the POST /sim/book that made it; both are
 * CLOCK_REALTIME on one machine.
 *
 *  1. floor: a forked single-process client — bn_ws on <symbol>@bookTicker
 *     and one keep-alive libcurl handle with a pre-signed DELETE
 *     batchOrders — sends its pre-built request the moment a bookTicker
 *     shows a new mid, and pre-builds the next one afterwards;
 *  2. pmm: the whole tree (pmmd, market, order, risk, logger) in
 *     refresh_mode tolerance reacting to the same kind of tick: the TICK
 *     crosses the bus, the strategy re-quotes, cancels go out first;
 *  3. the tree's CPU and RSS per process over 5 s of quoting on the live
 *     synthetic market.
 * Prints figures, asserts nothing. The phases run one after the other so
 * the two clients do not compete for this machine's two cores.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bn_parse.h"
#include "bn_rest.h"
#include "bn_sign.h"
#include "bn_ws.h"
#include "log.h"
#include "timeutil.h"

#define KEY		"benchkey"
#define SECRET		"benchsecret"
#define MID0		60000.1		/* the pinned book: 60000.0 / 60000.2 */
#define MOVE		4.0
/*
 * Ticks are paced so the tree stays inside the exchange's limits and its
 * own governor never holds a reaction back: a re-quote of 3 levels is 6
 * orders and 11 weight (one batch cancel, two batch places), and the
 * soft limits are 80 % of 300 orders / 10 s and 2400 weight / min, of
 * which risk's and the countdown's requests take ~360 a minute.
 */
#define PMM_PERIOD_US	450000
#define FLOOR_PERIOD_US	50000
#define QUOTE_SECS	5

struct buf {
	char	*p;
	size_t	 n;
};

/* The bench's own state: one program, one context. */
static struct {
	char		 dir[64];
	char		 bin[4096];
	char		 base[64];
	int		 port;
	pid_t		 exch, pmmd, floor;
	CURL		*h;
	struct buf	 body;
} B;

static void
die(const char *what)
{
	fprintf(stderr, "bench_tick_to_order: %s\n", what);
	if (B.floor > 0)
		kill(B.floor, SIGTERM);
	if (B.pmmd > 0)
		kill(B.pmmd, SIGTERM);
	if (B.exch > 0)
		kill(B.exch, SIGTERM);
	exit(1);
}

static size_t
on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct buf *o = arg;
	char *np = realloc(o->p, o->n + sz * n + 1);

	if (np == NULL)
		return 0;
	o->p = np;
	memcpy(o->p + o->n, d, sz * n);
	o->n += sz * n;
	o->p[o->n] = '\0';
	return sz * n;
}

/* An unsigned request to the exchange; the HTTP status, -1 on failure. */
static long
http(const char *method, const char *path)
{
	char url[512];
	long code = 0;

	snprintf(url, sizeof(url), "%s%s", B.base, path);
	B.body.n = 0;
	if (B.body.p != NULL)
		B.body.p[0] = '\0';
	curl_easy_setopt(B.h, CURLOPT_URL, url);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(B.h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(B.h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(B.h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(B.h, CURLOPT_CUSTOMREQUEST, NULL);
	}
	if (curl_easy_perform(B.h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(B.h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", B.dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF || chmod(path, mode) == -1)
		die("cannot write the test files");
}

static void
start_exchange(void)
{
	char exe[4200], pf[128], acct[128];
	FILE *f;
	int i;

	snprintf(exe, sizeof(exe), "%s/pmm-exchange", B.bin);
	snprintf(pf, sizeof(pf), "%s/port", B.dir);
	snprintf(acct, sizeof(acct), "%s/accounts", B.dir);
	write_file("accounts", "account " KEY " " SECRET " 1000000\n", 0600);
	if ((B.exch = fork()) == 0) {
		execl(exe, exe, "--port", "0", "--port-file", pf, "--config",
		    acct, "--seed", "5", "--paused", "--log-level", "warn",
		    (char *)NULL);
		perror(exe);
		_exit(127);
	}
	for (i = 0; i < 400 && B.port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &B.port) != 1)
				B.port = 0;
			fclose(f);
		}
	}
	if (B.port == 0)
		die("pmm-exchange did not start");
	snprintf(B.base, sizeof(B.base), "http://127.0.0.1:%d", B.port);
}

static void
set_mid(double mid)
{
	char path[160];

	snprintf(path, sizeof(path), "/sim/book?symbol=BTCUSDT&bid=%.1f&ask=%.1f",
	    mid - 0.1, mid + 0.1);
	if (http("POST", path) != 200)
		die("POST /sim/book failed");
}

/*
 * The earliest batchOrders request received after since (method NULL:
 * either); 0 and *recv set when there is one.
 */
static int
first_request(int64_t since, const char *method, int64_t *recv)
{
	char path[160];
	json_t *j, *r;
	size_t i;
	int found = 0;
	int64_t first = INT64_MAX;	/* local: GCC -O3 cannot tell *recv is set */

	snprintf(path, sizeof(path), "/sim/requests?since=%lld&path="
	    "/fapi/v1/batchOrders", (long long)since);
	if (http("GET", path) != 200 ||
	    (j = json_loads(B.body.p, 0, NULL)) == NULL)
		return -1;
	json_array_foreach(json_object_get(j, "requests"), i, r) {
		int64_t t = json_integer_value(json_object_get(r, "recv_ns"));
		const char *m = json_string_value(json_object_get(r, "method"));

		if (method != NULL && (m == NULL || strcmp(m, method) != 0))
			continue;
		if (t < first)
			first = t;
		found = 1;
	}
	json_decref(j);
	if (!found)
		return -1;
	*recv = first;
	return 0;
}

/* ---- the floor: a minimal client in its own process ----------------------- */

struct floor {
	CURL		*h;
	struct curl_slist *hdr;
	char		 url[BN_PARAMS_MAX + 512];
	double		 last;
	int		 ready_fd;	/* told once the stream is up */
};

/* The next request, signed now (valid for recvWindow), sent later. */
static void
floor_prebuild(struct floor *f)
{
	struct bn_params p;
	char q[BN_PARAMS_MAX + 256];

	bn_params_init(&p);
	bn_params_add(&p, "symbol", "BTCUSDT");
	bn_params_add(&p, "origClientOrderIdList", "[\"floor-1\"]");
	if (bn_sign_query(SECRET, &p, 60000, now_real_ns() / NS_PER_MS, q,
	    sizeof(q)) == -1)
		_exit(2);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d"
	    "/fapi/v1/batchOrders?%s", B.port, q);
	curl_easy_setopt(f->h, CURLOPT_URL, f->url);
}

static size_t
floor_sink(char *d, size_t sz, size_t n, void *arg)
{
	(void)d;
	(void)arg;
	return sz * n;
}

/* The whole hot path of the floor: parse, compare, send. */
static void
floor_msg(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	struct floor *f = arg;
	struct bn_book_ticker bt;
	double mid;

	(void)ws;
	if (bn_parse_book_ticker(data, len, &bt, NULL) == -1)
		return;
	mid = (bt.b + bt.a) / 2;
	if (f->last > 0 && mid != f->last) {
		curl_easy_perform(f->h);
		floor_prebuild(f);
	}
	f->last = mid;
}

static void
floor_state(struct bn_ws *ws, enum bn_ws_event ev, const char *why,
    void *arg)
{
	struct floor *f = arg;

	(void)ws;
	(void)why;
	if (ev == BN_WS_UP && f->ready_fd != -1) {
		if (write(f->ready_fd, "r", 1) != 1)
			_exit(2);
		close(f->ready_fd);
		f->ready_fd = -1;
	}
}

static void
floor_setup(struct floor *f)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((f->h = curl_easy_init()) == NULL)
		_exit(2);
	f->hdr = curl_slist_append(NULL, "X-MBX-APIKEY: " KEY);
	curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, f->hdr);
	curl_easy_setopt(f->h, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(f->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, floor_sink);
	floor_prebuild(f);
	curl_easy_perform(f->h);	/* the keep-alive connection, warm */
	floor_prebuild(f);
}

/* Child process: until the parent closes stop_fd. */
static void
floor_run(int ready_fd, int stop_fd)
{
	const char *streams[1] = { "btcusdt@bookTicker" };
	struct bn_ws_loop *loop;
	struct bn_ws_opts o;
	struct floor f;
	struct pollfd pfd[2];
	char url[256], base[64];
	int64_t t;

	memset(&f, 0, sizeof(f));
	f.ready_fd = ready_fd;
	floor_setup(&f);
	snprintf(base, sizeof(base), "ws://127.0.0.1:%d", B.port);
	if ((loop = bn_ws_loop_new(NULL)) == NULL ||
	    bn_ws_url(url, sizeof(url), base, "public", streams, 1, 0) == -1)
		_exit(2);
	memset(&o, 0, sizeof(o));
	o.name = "floor";
	o.url = url;
	o.on_msg = floor_msg;
	o.on_state = floor_state;
	o.arg = &f;
	if (bn_ws_open(loop, &o) == NULL)
		_exit(2);
	for (;;) {
		pfd[0].fd = bn_ws_loop_fd(loop);
		pfd[0].events = POLLIN;
		pfd[1].fd = stop_fd;
		pfd[1].events = POLLIN;
		t = bn_ws_loop_timeout_ns(loop, now_mono_ns());
		if (poll(pfd, 2, (int)(t / NS_PER_MS) + 1) == -1 &&
		    errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
		bn_ws_loop_run(loop, 0);
	}
	bn_ws_loop_free(loop);
	curl_easy_cleanup(f.h);
	curl_slist_free_all(f.hdr);
	_exit(0);
}

static int
floor_start(void)
{
	int ready[2], stop[2];
	char c;

	if (pipe(ready) == -1 || pipe(stop) == -1)
		die("pipe");
	if ((B.floor = fork()) == 0) {
		close(ready[0]);
		close(stop[1]);
		floor_run(ready[1], stop[0]);
	}
	close(ready[1]);
	close(stop[0]);
	if (read(ready[0], &c, 1) != 1)
		die("the floor client did not connect");
	close(ready[0]);
	return stop[1];
}

/* ---- measuring ---------------------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct series {
	int64_t	*v;
	int	 n;
};

static void
report(const char *what, struct series *s)
{
	if (s->n == 0) {
		printf("  %-44s no samples\n", what);
		return;
	}
	qsort(s->v, (size_t)s->n, sizeof(*s->v), cmp_i64);
	printf("  %-44s n %4d  p50 %7.1f us  p99 %7.1f us  max %8.1f us\n",
	    what, s->n, s->v[s->n / 2] / 1e3, s->v[s->n * 99 / 100] / 1e3,
	    s->v[s->n - 1] / 1e3);
}

/*
 * ticks moves of the mid, alternating up and back; each sample is the
 * first batchOrders request (any, and POST) received after the move.
 */
static void
measure(int ticks, int64_t period_us, struct series *any, struct series *post)
{
	int64_t t, r, left;
	int i, k;

	for (i = 0; i < ticks; i++) {
		t = now_real_ns();
		set_mid(i % 2 == 0 ? MID0 + MOVE : MID0);
		for (k = 0; k < 400 && first_request(t, NULL, &r) == -1; k++)
			usleep(5000);
		if (k == 400)
			continue;	/* no reaction: counted by n */
		any->v[any->n++] = r - t;
		if (post != NULL) {
			for (k = 0; k < 100 &&
			    first_request(t, "POST", &r) == -1; k++)
				usleep(2000);
			if (k < 100)
				post->v[post->n++] = r - t;
		}
		if ((left = period_us - (now_real_ns() - t) / 1000) > 0)
			usleep((useconds_t)left);
	}
}

/* ---- the pmm tree ---------------------------------------------------------------- */

static void
tree_files(void)
{
	char text[2048];

	snprintf(text, sizeof(text),
	    "instance_id: bench\n"
	    "symbol: BTCUSDT\n"
	    "initial_capital: 1000000\n"
	    "max_net_position_ratio: 1\n"
	    "market_stale_after: 3600\n"
	    "order_config:\n"
	    "  levels: 3\n"
	    "  quantity_per_order_usdt: 150\n"
	    "  price_offset_percent: 0.01\n"
	    "  refresh_mode: tolerance\n"
	    "  refresh_tolerance_percent: 0.005\n"
	    "refresh_config:\n"
	    "  orderbook_refresh_interval: 3600\n"
	    "logging:\n"
	    "  log_directory: %s/logs\n"
	    "  log_level: warn\n"
	    "risk:\n"
	    "  max_loss_usdt: 0\n"
	    "exchange:\n"
	    "  countdown_cancel_ms: 60000\n", B.dir);
	write_file("config.yaml", text, 0644);
	snprintf(text, sizeof(text), "EXCHANGE_ENV=sim\nBINANCE_API_KEY=" KEY
	    "\nBINANCE_SECRET_KEY=" SECRET "\nBINANCE_REST_URL=%s\n"
	    "BINANCE_WS_URL=ws://127.0.0.1:%d\n", B.base, B.port);
	write_file(".env", text, 0600);
}

static int
open_orders(void)
{
	json_t *j, *a;
	int n = -1;

	if (http("GET", "/sim/state") != 200 ||
	    (j = json_loads(B.body.p, 0, NULL)) == NULL)
		return -1;
	if ((a = json_array_get(json_object_get(j, "accounts"), 0)) != NULL)
		n = (int)json_integer_value(json_object_get(a, "openOrders"));
	json_decref(j);
	return n;
}

static void
tree_start(void)
{
	char exe[4200], cfg[128], env[128], run[128], log[128];
	int i, fd;

	tree_files();
	snprintf(exe, sizeof(exe), "%s/pmmd", B.bin);
	snprintf(cfg, sizeof(cfg), "%s/config.yaml", B.dir);
	snprintf(env, sizeof(env), "%s/.env", B.dir);
	snprintf(run, sizeof(run), "%s/run", B.dir);
	snprintf(log, sizeof(log), "%s/pmmd.log", B.dir);
	if ((B.pmmd = fork()) == 0) {
		setenv("PMM_RUNTIME_DIR", run, 1);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(exe, exe, "-c", cfg, "-e", env, (char *)NULL);
		_exit(127);
	}
	/* quoting: the ladder of 6 is on the book (the frozen book is
	 * pushed again for the market service that connected after it) */
	for (i = 0; i < 600 && open_orders() != 6; i++) {
		if (i % 10 == 0)
			http("POST", "/sim/tick");
		usleep(50000);
	}
	if (i == 600)
		die("the tree did not quote within 30 s (see pmmd.log)");
	usleep(500000);
}

/* ---- CPU and memory of the tree ---------------------------------------------------- */

struct proc {
	pid_t	 pid;
	char	 name[32];
	long	 ticks0, ticks1;
	long	 rss_kb;
};

static long
proc_ticks(pid_t pid, char *name, size_t len)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (name != NULL && (p = strchr(buf, '(')) != NULL)
		snprintf(name, len, "%.*s", (int)strcspn(p + 1, ")"), p + 1);
	/* after "(comm)": state ppid ... utime(14) stime(15) */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	    &st) != 2)
		return -1;
	return (long)(ut + st);
}

static pid_t
proc_ppid(pid_t pid)
{
	char path[64], buf[1024], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

static long
proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* pmmd and its children. */
static int
tree_procs(struct proc *ps, int cap)
{
	struct dirent *de;
	DIR *d;
	int n = 0;
	pid_t pid;

	ps[n++].pid = B.pmmd;
	if ((d = opendir("/proc")) == NULL)
		return n;
	while ((de = readdir(d)) != NULL && n < cap) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (proc_ppid(pid) == B.pmmd)
			ps[n++].pid = pid;
	}
	closedir(d);
	return n;
}

static void
tree_usage(void)
{
	struct proc ps[8];
	long hz = sysconf(_SC_CLK_TCK), rss = 0, dt = 0;
	int64_t t0, t1;
	int i, n;

	memset(ps, 0, sizeof(ps));
	n = tree_procs(ps, 8);
	if (http("POST", "/sim/resume") != 200)
		die("POST /sim/resume");
	t0 = now_mono_ns();
	for (i = 0; i < n; i++)
		ps[i].ticks0 = proc_ticks(ps[i].pid, ps[i].name,
		    sizeof(ps[i].name));
	sleep(QUOTE_SECS);
	for (i = 0; i < n; i++) {
		ps[i].ticks1 = proc_ticks(ps[i].pid, NULL, 0);
		ps[i].rss_kb = proc_rss_kb(ps[i].pid);
	}
	t1 = now_mono_ns();
	printf("\ntree while quoting the live synthetic market for %.1f s "
	    "(%d open orders at the end):\n", (t1 - t0) / 1e9, open_orders());
	for (i = 0; i < n; i++) {
		printf("  %-14s pid %6d  cpu %5.1f %%  rss %6ld kB\n",
		    ps[i].name, (int)ps[i].pid, (ps[i].ticks1 - ps[i].ticks0) *
		    100.0 / hz / ((t1 - t0) / 1e9), ps[i].rss_kb);
		dt += ps[i].ticks1 - ps[i].ticks0;
		rss += ps[i].rss_kb;
	}
	printf("  %-14s             cpu %5.1f %%  rss %6ld kB\n", "total",
	    dt * 100.0 / hz / ((t1 - t0) / 1e9), rss);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 ? -1 : 0;
}

static void
stop(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	waitpid(*pid, &st, 0);
	*pid = 0;
}

int
main(int argc, char **argv)
{
	struct series fl, any, post;
	char exe[4000], *slash;
	ssize_t n;
	int ticks = argc > 1 ? atoi(argv[1]) : 100, stop_fd, st;

	if (ticks < 2)
		ticks = 2;
	log_init("bench_tick_to_order", LOG_LVL_WARN);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		die("readlink /proc/self/exe");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(B.bin, sizeof(B.bin), "%s/../bin", exe);
	snprintf(B.dir, sizeof(B.dir), "/tmp/bench_t2o.XXXXXX");
	if (mkdtemp(B.dir) == NULL)
		die("mkdtemp");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	B.h = curl_easy_init();
	curl_easy_setopt(B.h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(B.h, CURLOPT_WRITEDATA, &B.body);
	curl_easy_setopt(B.h, CURLOPT_TCP_NODELAY, 1L);
	fl.v = calloc((size_t)ticks, sizeof(int64_t));
	any.v = calloc((size_t)ticks, sizeof(int64_t));
	post.v = calloc((size_t)ticks, sizeof(int64_t));
	fl.n = any.n = post.n = 0;
	if (fl.v == NULL || any.v == NULL || post.v == NULL)
		die("calloc");

	start_exchange();
	set_mid(MID0);
	printf("bench_tick_to_order: %d ticks of %.0f USDT around %.1f "
	    "(exchange on port %d)\n", ticks, MOVE, MID0, B.port);

	stop_fd = floor_start();
	set_mid(MID0 + 1);	/* warm-up: the floor learns the mid */
	usleep(100000);
	set_mid(MID0);
	usleep(100000);
	measure(ticks, FLOOR_PERIOD_US, &fl, NULL);
	close(stop_fd);
	waitpid(B.floor, &st, 0);
	B.floor = 0;

	tree_start();
	measure(ticks, PMM_PERIOD_US, &any, &post);

	printf("\ntick (POST /sim/book sent) -> first batchOrders received by "
	    "the exchange:\n");
	report("floor: one process, pre-built DELETE", &fl);
	report("pmm tree: first cancel/new order", &any);
	report("pmm tree: first new order (POST)", &post);
	if (fl.n > 0 && any.n > 0)
		printf("  ratio pmm/floor: p50 %.2fx  p99 %.2fx\n",
		    (double)any.v[any.n / 2] / (double)fl.v[fl.n / 2],
		    (double)any.v[any.n * 99 / 100] /
		    (double)fl.v[fl.n * 99 / 100]);
	tree_usage();
	stop(&B.pmmd);
	stop(&B.exch);
	curl_easy_cleanup(B.h);
	nftw(B.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(B.body.p);
	free(fl.v);
	free(any.v);
	free(post.v);
	return 0;
}
