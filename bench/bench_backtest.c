/*
 * bench_backtest.c — how fast pmm-backtest goes, in recorded market events
 * per second of one core's CPU time, from the gzip recording and from its
 * binary form (pmm-backtest convert), each beside the bare cost of reading
 * the same events (the replay source alone, delivering to a sink that
 * counts them). Also: the whole shared recording backtested (wall and CPU
 * time), and a synthetic hour.
 *
 *   read       replay_open + replay_step: the events parsed (gzip: gunzip
 *              and LEJP; binary: records from a mapping) and handed to a
 *              counting sink
 *   engine     the engine alone (pmm-exchange's core): the events applied
 *              to the outside book, the fill model, marks; no services
 *   backtest   bt_run: the engine (outside book, fill model, marks), the
 *              virtual clock, the order side (quoter, order table) and the
 *              risk side on every event, the summary's sums; no CSV
 *
 * Events are the recording's own (bookTicker, trade, depth; 93,954 in the
 * shared file), so both columns count the same thing.
 *
 * usage: bench_backtest [file (../shared/data/binance/btcusdt_20240808.gz)]
 *        [repeat (3)]
 * Prints the best of `repeat` runs; never asserts anything. Says so and
 * exits 0 when the file is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt_convert.h"
#include "bt_run.h"
#include "bt_stats.h"
#include "cfg.h"
#include "log.h"
#include "sim_int.h"

#ifndef PMM_SHARED_DATA
#define PMM_SHARED_DATA "../shared/data/binance"
#endif

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
c_bt(void *arg, int sym, int64_t t, int64_t u, int64_t b, int64_t bq,
    int64_t a, int64_t aq, const char *raw, size_t len)
{
	(void)sym; (void)t; (void)u; (void)b; (void)bq; (void)a; (void)aq;
	(void)raw; (void)len;
	(*(uint64_t *)arg)++;
}

static void
c_trade(void *arg, int sym, int64_t t, int64_t id, int64_t px, int64_t lots,
    bool bm, const char *raw, size_t len)
{
	(void)sym; (void)t; (void)id; (void)px; (void)lots; (void)bm;
	(void)raw; (void)len;
	(*(uint64_t *)arg)++;
}

static void
c_depth(void *arg, int sym, int64_t t, int64_t U, int64_t u, int64_t pu,
    const struct ext_level *b, int nb, const struct ext_level *a, int na,
    bool snap, const char *raw, size_t len)
{
	(void)sym; (void)t; (void)U; (void)u; (void)pu; (void)b; (void)nb;
	(void)a; (void)na; (void)snap; (void)raw; (void)len;
	(*(uint64_t *)arg)++;
}

static void
c_mark(void *arg, int sym, int64_t t, double p, double i, double P,
    double r, int64_t T, const char *raw, size_t len)
{
	(void)sym; (void)t; (void)p; (void)i; (void)P; (void)r; (void)T;
	(void)raw; (void)len;
	(*(uint64_t *)arg)++;
}

/* The bare read: CPU seconds, events counted. */
static double
bench_read(const char *path, uint64_t *events)
{
	struct exch_opts o;
	struct replay *r;
	struct mkt_sink k = { events, c_bt, c_trade, c_depth, c_mark };
	double t0 = cpu_s();

	*events = 0;
	exch_opts_default(&o);
	snprintf(o.replay.path, sizeof(o.replay.path), "%s", path);
	o.replay.speed = 1;
	if ((r = replay_open(&o.replay, o.symbols, o.nsymbols, 0)) == NULL)
		return -1;
	while (replay_step(r, &k) == 0)
		;
	replay_close(r);
	return cpu_s() - t0;
}

static int64_t eng_now;

static int64_t
eng_clock(void *arg)
{
	(void)arg;
	return eng_now;
}

static void
eng_market(void *arg, const struct exch_mkt_event *e)
{
	(void)e;
	(*(uint64_t *)arg)++;
}

/* The engine alone: the replay into the outside book, the fill model and
 * the marks, every line at its own time, no services: CPU seconds. */
static double
bench_engine(const char *path, uint64_t *emitted)
{
	struct exch_opts o;
	struct exch_cb cb = { eng_market, NULL, emitted };
	struct exch *ex;
	double t0 = cpu_s();

	*emitted = 0;
	exch_opts_default(&o);
	o.market = EXCH_MKT_REPLAY;
	snprintf(o.replay.path, sizeof(o.replay.path), "%s", path);
	o.replay.speed = 1;
	o.clock = eng_clock;
	eng_now = 1723161255030314667LL;	/* the shared file's start */
	if ((ex = exch_new(&o, &cb)) == NULL)
		return -1;
	eng_now = exch_replay_first_ns(ex);
	while (!exch_market_done(ex)) {
		eng_now = exch_next_due_ns(ex);
		if (exch_step(ex, eng_now) == -1)
			break;
	}
	exch_free(ex);
	return cpu_s() - t0;
}

/* The whole backtest: CPU and wall seconds. */
static int
bench_run(const struct cfg *c, const char *path, double synth_s,
    double *cpu, double *wall, struct bt_result *res)
{
	struct bt_run_opts o;
	const char *files[1] = { path };
	char err[1024];
	double c0 = cpu_s(), w0 = wall_s();

	bt_run_defaults(&o);
	o.cfg = c;
	o.files = files;
	o.nfiles = path != NULL ? 1 : 0;
	o.synth_s = synth_s;
	if (bt_run(&o, res, err, sizeof(err)) == -1) {
		fprintf(stderr, "bench_backtest: %s\n", err);
		bts_free(res->stats);
		return -1;
	}
	*cpu = cpu_s() - c0;
	*wall = wall_s() - w0;
	bts_free(res->stats);
	return 0;
}

static void
row(const char *what, uint64_t events, double cpu)
{
	printf("  %-34s %10llu events  %8.3f s CPU  %10.0f events/s\n", what,
	    (unsigned long long)events, cpu, cpu > 0 ? events / cpu : 0);
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : PMM_SHARED_DATA
	    "/btcusdt_20240808.gz";
	int rep = argc > 2 ? atoi(argv[2]) : 3, i, k;
	char bin[] = "/tmp/bench_backtest.XXXXXX";
	const char *src[2];
	struct bt_convert_stats st;
	struct bt_result res, rec = { 0 };
	struct cfg c;
	char err[1024];
	double best_r[2] = { 1e9, 1e9 }, best_b[2] = { 1e9, 1e9 };
	double best_e[2] = { 1e9, 1e9 };
	uint64_t emitted = 0;
	double best_w[2] = { 1e9, 1e9 }, t, w, syn_c = 1e9, syn_w = 1e9;
	uint64_t ev = 0, syn_ev = 0;
	int fd;

	log_init("bench_backtest", LOG_LVL_ERROR);
	setenv("TZ", "UTC0", 1);
	if (access(path, R_OK) != 0) {
		printf("bench_backtest: %s is absent, nothing measured\n", path);
		return 0;
	}
	if (rep < 1)
		rep = 1;
	cfg_defaults(&c);
	if ((fd = mkstemp(bin)) == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	if (bt_convert(path, bin, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "bench_backtest: %s\n", err);
		unlink(bin);
		return 1;
	}
	src[0] = path;
	src[1] = bin;
	for (i = 0; i < rep; i++)
		for (k = 0; k < 2; k++) {
			if ((t = bench_read(src[k], &ev)) >= 0 && t < best_r[k])
				best_r[k] = t;
			if ((t = bench_engine(src[k], &emitted)) >= 0 &&
			    t < best_e[k])
				best_e[k] = t;
			if (bench_run(&c, src[k], 0, &t, &w, &res) == 0) {
				if (t < best_b[k])
					best_b[k] = t;
				if (w < best_w[k])
					best_w[k] = w;
				rec = res;
			}
			if (bench_run(&c, NULL, 3600, &t, &w, &res) == 0 &&
			    t < syn_c) {
				syn_c = t;
				syn_w = w;
				syn_ev = res.mkt_events;
			}
		}
	unlink(bin);
	printf("pmm-backtest speed, one core, best of %d (default config)\n",
	    rep);
	printf("%s: %llu events, %.1f s of market; binary form %llu "
	    "records (%.1f MB)\n", path, (unsigned long long)ev,
	    (double)(rec.end_ns - rec.start_ns) / 1e9,
	    (unsigned long long)st.records, st.records * 64 / 1e6);
	row("gzip JSON lines: read", ev, best_r[0]);
	row("gzip JSON lines: engine alone", ev, best_e[0]);
	row("gzip JSON lines: backtest", ev, best_b[0]);
	row("binary form: read", ev, best_r[1]);
	row("binary form: engine alone", ev, best_e[1]);
	row("binary form: backtest", ev, best_b[1]);
	printf("  the recording backtested: %.3f s CPU, %.3f s wall (gzip); "
	    "%.3f s CPU, %.3f s wall (binary)\n", best_b[0], best_w[0],
	    best_b[1], best_w[1]);
	printf("  synthetic market, 1 h virtual: %llu engine events, %.3f s "
	    "CPU (%.0f events/s), %.3f s wall\n", (unsigned long long)syn_ev,
	    syn_c, syn_c > 0 ? syn_ev / syn_c : 0, syn_w);
	return 0;
}
