/*
 * bench_md.c — market data figures: what the market service spends on one
 * bookTicker (parse + fill the record, TICK to two bus subscribers, shm
 * publish), timed per message inside the bn_ws callback while a real
 * pmm-exchange streams to us over a WebSocket, and the receive rate. The
 * baselines are the same frames again, afterwards: jansson's load alone
 * and mdfeed's parse + fill alone (no publishing). Prints; asserts nothing.
 *
 *   bench_md [FILE | --synthetic SECS]
 *
 * FILE (default PMM_SHARED_DATA/btcusdt_20240808.gz) is replayed as fast
 * as we read (--speed max); --synthetic streams the seeded synthetic
 * market at its own pace for SECS seconds instead, where the exchange's
 * event time E also gives an E-to-receipt latency (E has 1 ms
 * resolution). The two subscribers are child processes blocked in recv(),
 * as order and risk are in epoll, so the wake-up they cost the sender is
 * counted. pmm-exchange is started from ../bin beside this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bn_ws.h"
#include "bus.h"
#include "hist.h"
#include "log.h"
#include "mdfeed.h"
#include "shm.h"
#include "timeutil.h"

#define ARENA_CAP	(64u << 20)	/* frames kept for the baselines */
#define MAX_FRAMES	200000
#define NSUBS		2		/* order and risk */

static struct {
	pid_t		 exch, subs[NSUBS];
	int		 port;
	char		 dir[64];
	char		 shm[64];
	struct shm_state *st;
	struct bus_peer	 peer[NSUBS];
	struct mdfeed	 feed;
	struct bn_ws_loop *loop;
	struct bn_ws	*ws;
	int		 synthetic;
	/* per-message costs, ns */
	struct hist	 parse, bus, shmp, total, e2r;
	uint64_t	 msgs, ticks;
	int64_t		 first_ns, last_ns;
	/* frames kept for the baselines */
	char		*arena;
	size_t		 used;
	uint32_t	 off[MAX_FRAMES], len[MAX_FRAMES];
	uint32_t	 nframes;
} b;

/* The hot path, as services/market.c runs it, with clocks around. */
static void
on_book(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	int64_t t0 = now_mono_ns(), recv = now_real_ns(), t1, t2, t3;
	struct pmm_msg m;
	int i;

	(void)ws;
	(void)arg;
	if (mdf_on_book(&b.feed, data, len, recv, t0, &m.u.tick) == 1) {
		t1 = now_mono_ns();
		memset(&m.env, 0, sizeof(m.env));
		m.env.type = PMM_MSG_TICK;
		for (i = 0; i < NSUBS; i++)
			bus_peer_publish(&b.peer[i], &m);
		t2 = now_mono_ns();
		SHM_PUBLISH(&b.st->market, &b.feed.rec);
		t3 = now_mono_ns();
		hist_record(&b.parse, t1 - t0);
		hist_record(&b.bus, t2 - t1);
		hist_record(&b.shmp, t3 - t2);
		hist_record(&b.total, t3 - t0);
		if (b.synthetic)
			hist_record(&b.e2r, recv - m.u.tick.exch_ts_ns);
		b.ticks++;
	}
	if (b.msgs++ == 0)
		b.first_ns = t0;
	b.last_ns = t0;
	if (b.nframes < MAX_FRAMES && b.used + len <= ARENA_CAP) {
		memcpy(b.arena + b.used, data, len);
		b.off[b.nframes] = (uint32_t)b.used;
		b.len[b.nframes++] = (uint32_t)len;
		b.used += len;
	}
}

/* A subscriber: says it listens, then reads frames until EOF. */
static void
sub_child(const char *path, int ready)
{
	char buf[PMM_MSG_MAX];
	int lfd, fd;

	if ((lfd = bus_listen(path)) == -1 ||
	    fcntl(lfd, F_SETFL, 0) == -1 ||	/* block in accept and recv */
	    write(ready, "r", 1) != 1)
		_exit(1);
	while ((fd = accept(lfd, NULL, NULL)) == -1 && errno == EINTR)
		;
	if (fd == -1 || fcntl(fd, F_SETFL, 0) == -1)
		_exit(1);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	_exit(0);
}

static int
start_subs(void)
{
	char path[128], c;
	int i, p[2];

	for (i = 0; i < NSUBS; i++) {
		snprintf(path, sizeof(path), "%s/sub%d.sock", b.dir, i);
		if (pipe(p) == -1)
			return -1;
		if ((b.subs[i] = fork()) == 0) {
			close(p[0]);
			sub_child(path, p[1]);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1 ||
		    bus_peer_init(&b.peer[i], path, SVC_MARKET) == -1 ||
		    b.peer[i].fd == -1) {
			close(p[0]);
			fprintf(stderr, "bench_md: subscriber %d not there\n", i);
			return -1;
		}
		close(p[0]);
	}
	return 0;
}

static int
admin_post(const char *path)
{
	char url[256];
	CURL *h = curl_easy_init();
	long code = 0;
	FILE *devnull = fopen("/dev/null", "w");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", b.port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (devnull != NULL)
		fclose(devnull);
	return code == 200 ? 0 : -1;
}

static int
start_exchange(const char *file)
{
	char exe[4096], pf[128];
	ssize_t n;
	FILE *f;
	int i;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 32)) <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(strrchr(exe, '/') + 1, 32, "../bin/pmm-exchange");
	snprintf(pf, sizeof(pf), "%s/port", b.dir);
	if ((b.exch = fork()) == 0) {
		if (file != NULL)
			execl(exe, exe, "--replay", file, "--speed", "max",
			    "--paused", "--port", "0", "--port-file", pf,
			    "--log-level", "warn", (char *)NULL);
		else
			execl(exe, exe, "--synthetic", "--port", "0",
			    "--port-file", pf, "--log-level", "warn",
			    (char *)NULL);
		perror(exe);
		_exit(127);
	}
	for (i = 0; i < 400 && b.port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &b.port) != 1)
				b.port = 0;
			fclose(f);
		}
	}
	return b.port != 0 ? 0 : -1;
}

/* Run the client like a service until idle_s without frames, or max_s. */
static void
pump(double idle_s, double max_s, int resume)
{
	int64_t start = now_mono_ns(), now, to;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	epoll_ctl(ep, EPOLL_CTL_ADD, bn_ws_loop_fd(b.loop), &ev);
	for (;;) {
		now = now_mono_ns();
		bn_ws_loop_run(b.loop, now);
		if (resume && bn_ws_is_up(b.ws)) {
			if (admin_post("/sim/resume") == -1)
				fprintf(stderr, "bench_md: resume failed\n");
			resume = 0;
		}
		if (now - start > (int64_t)(max_s * NS_PER_S) ||
		    (b.msgs > 0 && now - b.last_ns > (int64_t)(idle_s *
		    NS_PER_S)))
			break;
		to = bn_ws_loop_timeout_ns(b.loop, now);
		if (to > 50 * NS_PER_MS)
			to = 50 * NS_PER_MS;
		epoll_wait(ep, &ev, 1, (int)((to + NS_PER_MS - 1) / NS_PER_MS));
	}
	close(ep);
}

/* The same frames again: jansson alone, then parse + fill alone. */
static void
baselines(struct hist *load, struct hist *feed)
{
	struct mdfeed f;
	struct pmm_tick t;
	json_t *j;
	int64_t t0, t1;
	uint32_t i;

	for (i = 0; i < b.nframes; i++) {
		t0 = now_mono_ns();
		j = json_loadb(b.arena + b.off[i], b.len[i], 0, NULL);
		t1 = now_mono_ns();
		json_decref(j);
		hist_record(load, t1 - t0);
	}
	mdf_init(&f, "BTCUSDT", 5, NULL);
	for (i = 0; i < b.nframes; i++) {
		t0 = now_mono_ns();
		mdf_on_book(&f, b.arena + b.off[i], b.len[i], t0, t0, &t);
		t1 = now_mono_ns();
		hist_record(feed, t1 - t0);
	}
}

static void
report(const char *what)
{
	const struct bn_ws_stats *s = bn_ws_stats(b.ws);
	struct hist load, feed;
	double secs = (double)(b.last_ns - b.first_ns) / NS_PER_S;

	hist_init(&load);
	hist_init(&feed);
	baselines(&load, &feed);
	printf("bench_md: %s -> bn_ws -> market hot path (this machine)\n",
	    what);
	printf("received %llu frames, %llu bytes in %.3f s: %.0f frames/s, "
	    "%.1f MB/s; %llu ticks published, %llu malformed, %llu "
	    "reconnects\n", (unsigned long long)s->msgs,
	    (unsigned long long)s->bytes, secs,
	    secs > 0 ? (double)s->msgs / secs : 0.0,
	    secs > 0 ? (double)s->bytes / secs / 1e6 : 0.0,
	    (unsigned long long)b.ticks,
	    (unsigned long long)b.feed.st.malformed,
	    (unsigned long long)s->reconnects);
	printf("\nper message, live (inside the WebSocket callback):\n");
	hist_print(stdout, "  parse+fill (mdfeed)", &b.parse);
	hist_print(stdout, "  TICK to 2 subscribers", &b.bus);
	hist_print(stdout, "  shm publish", &b.shmp);
	hist_print(stdout, "  total", &b.total);
	printf("\nbaseline, the same frames parsed only (warm loop):\n");
	hist_print(stdout, "  json_loadb+decref", &load);
	hist_print(stdout, "  parse+fill (mdfeed)", &feed);
	if (b.synthetic) {
		printf("\nexchange E to our receipt (E has 1 ms resolution):\n");
		hist_print(stdout, "  E -> recv", &b.e2r);
	}
}

static void
cleanup(void)
{
	char cmd[128];
	int i;

	if (b.loop != NULL)
		bn_ws_loop_free(b.loop);
	for (i = 0; i < NSUBS; i++)
		if (b.peer[i].ring != NULL)
			bus_peer_free(&b.peer[i]);	/* subscribers see EOF */
	for (i = 0; i < NSUBS; i++)
		if (b.subs[i] > 0)
			waitpid(b.subs[i], NULL, 0);
	if (b.exch > 0) {
		kill(b.exch, SIGTERM);
		waitpid(b.exch, NULL, 0);
	}
	if (b.st != NULL) {
		shm_detach(b.st);
		shm_destroy(b.shm);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", b.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_md: could not remove %s\n", b.dir);
	free(b.arena);
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	char def[4096], url[256], err[256], inst[32], what[4200];
	double secs = 10;
	struct bn_ws_opts o;

	snprintf(def, sizeof(def), "%s/btcusdt_20240808.gz", PMM_SHARED_DATA);
	if (argc > 1 && strcmp(argv[1], "--synthetic") == 0) {
		b.synthetic = 1;
		if (argc > 2)
			secs = atof(argv[2]);
	} else {
		file = argc > 1 ? argv[1] : def;
		if (access(file, R_OK) != 0) {
			printf("bench_md: skipped, %s is absent (try "
			    "--synthetic)\n", file);
			return 0;
		}
	}
	log_init("bench_md", LOG_LVL_WARN);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	hist_init(&b.parse);
	hist_init(&b.bus);
	hist_init(&b.shmp);
	hist_init(&b.total);
	hist_init(&b.e2r);
	snprintf(b.dir, sizeof(b.dir), "/tmp/bench_md.XXXXXX");
	snprintf(inst, sizeof(inst), "benchmd%d", (int)getpid());
	shm_name(b.shm, sizeof(b.shm), inst, "/");
	if (mkdtemp(b.dir) == NULL || (b.arena = malloc(ARENA_CAP)) == NULL ||
	    (b.st = shm_create(b.shm, inst, err, sizeof(err))) == NULL ||
	    start_subs() == -1 || start_exchange(file) == -1) {
		fprintf(stderr, "bench_md: set-up failed %s\n", err);
		cleanup();
		return 1;
	}
	mdf_init(&b.feed, "BTCUSDT", 5, NULL);
	if ((b.loop = bn_ws_loop_new(NULL)) == NULL) {
		cleanup();
		return 1;
	}
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/public/stream?streams="
	    "btcusdt@bookTicker", b.port);
	memset(&o, 0, sizeof(o));
	o.name = "bench";
	o.url = url;
	o.on_msg = on_book;
	b.ws = bn_ws_open(b.loop, &o);
	if (file != NULL) {
		pump(2, 300, 1);
		snprintf(what, sizeof(what), "replay of %s at max speed", file);
	} else {
		pump(secs, secs, 0);
		snprintf(what, sizeof(what), "synthetic market for %.0f s",
		    secs);
	}
	report(what);
	cleanup();
	curl_global_cleanup();
	return 0;
}
