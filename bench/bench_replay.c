/*
 * bench_replay.c — how fast the recorded file is read, parsed and applied
 * by the replay market source, without sockets (WebSocket delivery is
 * measured by bench_ws_replay). Printed beside two baselines:
 *  - read: gunzip + split lines only (the floor);
 *  - jansson: json_loadb of every line, nothing extracted (why the replay
 *    uses libwebsockets' LEJP instead);
 *  - replay: the engine at max speed: LEJP parse, prices to ticks, the
 *    outside book updated, the fill model run, and every market event
 *    (bookTicker, trade + aggTrade, depth diff, markPrice) handed to a
 *    callback as a struct.
 *
 * usage: bench_replay [file (../shared/data/binance/btcusdt_20240808.gz)]
 *        [repeat (3)]
 * The best of `repeat` runs is printed. Says so and exits 0 when the file
 * is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <jansson.h>

#include "exch.h"
#include "timeutil.h"

#ifndef PMM_SHARED_DATA
#define PMM_SHARED_DATA "../shared/data/binance"
#endif

static int64_t fake_now = 1723161600000000000LL;

static int64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* Calls fn on every line; returns lines, or -1 if the file won't open. */
static long
each_line(const char *path, void (*fn)(const char *, size_t, long *),
    long *acc)
{
	gzFile g = gzopen(path, "rb");
	static char buf[1 << 20];
	long n = 0;

	if (g == NULL)
		return -1;
	gzbuffer(g, 1 << 18);
	while (gzgets(g, buf, sizeof(buf)) != NULL) {
		size_t len = strlen(buf);

		n++;
		if (fn != NULL)
			fn(buf, len, acc);
	}
	gzclose(g);
	return n;
}

static void
parse_jansson(const char *line, size_t len, long *acc)
{
	const char *sp = memchr(line, ' ', len);
	json_error_t err;
	json_t *j;

	if (sp == NULL)
		return;
	j = json_loadb(sp + 1, len - (size_t)(sp + 1 - line),
	    JSON_DISABLE_EOF_CHECK, &err);
	if (j != NULL)
		(*acc)++;
	json_decref(j);
}

static void
count_event(void *arg, const struct exch_mkt_event *ev)
{
	(void)ev;
	(*(long *)arg)++;
}

static double
run_replay(const char *path, long *events)
{
	struct exch_opts o;
	struct exch_cb cb = { count_event, NULL, events };
	struct exch *ex;
	int64_t t0;
	double dt;

	exch_opts_default(&o);
	o.nsymbols = 0;
	exch_opts_add_symbol(&o, "BTCUSDT");
	o.market = EXCH_MKT_REPLAY;
	snprintf(o.replay.path, sizeof(o.replay.path), "%s", path);
	o.replay.speed = 0;
	o.replay.max_batch = 4096;
	o.clock = fake_clock;
	*events = 0;
	t0 = now_mono_ns();
	ex = exch_new(&o, &cb);
	if (ex == NULL)
		return -1;
	while (!exch_market_done(ex))
		if (exch_step(ex, fake_now) < 0)
			break;
	dt = (double)(now_mono_ns() - t0) / 1e9;
	exch_free(ex);
	return dt;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] :
	    PMM_SHARED_DATA "/btcusdt_20240808.gz";
	int repeat = argc > 2 ? atoi(argv[2]) : 3, i;
	double best_read = 1e9, best_js = 1e9, best_rp = 1e9;
	long lines = 0, parsed = 0, events = 0;

	if (access(path, R_OK) != 0) {
		printf("bench_replay: %s absent, nothing to measure\n", path);
		return 0;
	}
	for (i = 0; i < repeat; i++) {
		int64_t t0 = now_mono_ns();
		double dt;

		lines = each_line(path, NULL, NULL);
		dt = (double)(now_mono_ns() - t0) / 1e9;
		if (dt < best_read)
			best_read = dt;
		parsed = 0;
		t0 = now_mono_ns();
		each_line(path, parse_jansson, &parsed);
		dt = (double)(now_mono_ns() - t0) / 1e9;
		if (dt < best_js)
			best_js = dt;
		dt = run_replay(path, &events);
		if (dt > 0 && dt < best_rp)
			best_rp = dt;
	}
	printf("replay of %s: %ld lines (best of %d)\n", path, lines, repeat);
	printf("%-44s %8.3f s %10.0f lines/s\n", "read (gunzip + lines)",
	    best_read, lines / best_read);
	printf("%-44s %8.3f s %10.0f lines/s (%ld parsed)\n",
	    "jansson json_loadb, nothing extracted", best_js, lines / best_js,
	    parsed);
	printf("%-44s %8.3f s %10.0f lines/s (%ld events)\n",
	    "replay: LEJP parse + apply + events", best_rp, lines / best_rp,
	    events);
	return 0;
}
