/*
 * bench_strat.c — what one quoting decision costs.
 *
 * Times strat_eval() (ladder + rounding + quantities + diff + client ids)
 * for 3 and 20 levels per side, in replace mode and in tolerance mode
 * against a full book of open orders, beside a baseline measured in the
 * same run: the raw level prices mid x (1 -/+ k x offset) with no rounding,
 * no quantities and no diff. The mid moves every call so nothing can be
 * hoisted out of the loop. Prints figures, asserts none.
 *
 * usage: bench_strat [rounds]	(default 7; best and median are shown)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"
#include "timeutil.h"

#define BENCH_MAX_ROUNDS	31
#define BENCH_ROUND_NS		(40 * NS_PER_MS)
#define BENCH_CHUNK		256

enum bench_kind { BK_RAW, BK_REPLACE, BK_TOLERANCE };

struct bench {
	const struct strat_impl	*impl;
	struct strat_in		 in;
	struct strat_out	 out;
	struct strat_order	 open[STRAT_MAX_OPEN];
	double			 raw[STRAT_MAX_QUOTES];
	double			 sink;
};

static void
bench_setup(struct bench *b, int levels, enum cfg_refresh mode)
{
	int i;

	memset(&b->in, 0, sizeof(b->in));
	b->in.mkt.bid = 60000.0;
	b->in.mkt.ask = 60000.1;
	b->in.mkt.mid = 60000.05;
	b->in.cfg.levels = levels;
	b->in.cfg.qty_usdt = 150;
	b->in.cfg.offset_pct = 0.01;
	b->in.cfg.refresh_mode = mode;
	b->in.cfg.tolerance_pct = 0.005;
	b->in.flt.tick = 0.1;
	b->in.flt.step = 0.001;
	b->in.flt.min_qty = 0.001;
	b->in.flt.min_notional = 100;
	b->in.instance = "simple_mm";
	b->in.next_seq = strat_seq_seed(now_real_ns());
	b->in.refresh = true;
	b->in.open = b->open;
	/* a full book of open orders sitting where the ladder wants them */
	strat_eval(b->impl, &b->in, &b->out);
	for (i = 0; i < b->out.n_desired; i++) {
		struct strat_order *o = &b->open[i];

		o->side = b->out.desired[i].side;
		o->level = b->out.desired[i].level;
		o->px_ticks = b->out.desired[i].px_ticks;
		o->qty_steps = b->out.desired[i].qty_steps;
		o->state = STRAT_OS_OPEN;
		memcpy(o->client_id, b->out.place[i].client_id,
		    sizeof(o->client_id));
	}
	b->in.n_open = b->out.n_desired;
}

/* The baseline: level prices straight from the formula. */
static void
bench_raw(struct bench *b)
{
	double mid = b->in.mkt.mid, d = b->in.cfg.offset_pct / 100.0;
	int k;

	for (k = 1; k <= b->in.cfg.levels; k++) {
		b->raw[2 * k - 2] = mid * (1.0 - k * d);
		b->raw[2 * k - 1] = mid * (1.0 + k * d);
	}
	b->sink += b->raw[2 * b->in.cfg.levels - 1];
}

static void
bench_once(struct bench *b, enum bench_kind kind, int i)
{
	/* wiggle the mid by up to +-0.2 tick so every call is new work */
	b->in.mkt.mid = 60000.05 + ((i & 7) - 3.5) * 0.05;
	if (kind == BK_RAW) {
		bench_raw(b);
		return;
	}
	strat_eval(b->impl, &b->in, &b->out);
	b->sink += (double)b->out.n_place + (double)b->out.n_keep;
}

/* ns per call for one round of BENCH_ROUND_NS */
static double
bench_round(struct bench *b, enum bench_kind kind)
{
	int64_t t0 = now_mono_ns(), t;
	long n = 0;
	int i;

	do {
		for (i = 0; i < BENCH_CHUNK; i++)
			bench_once(b, kind, i);
		n += BENCH_CHUNK;
		t = now_mono_ns();
	} while (t - t0 < BENCH_ROUND_NS);
	return (double)(t - t0) / (double)n;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
bench_run(struct bench *b, const char *name, enum bench_kind kind,
    int levels, int rounds, double base)
{
	double ns[BENCH_MAX_ROUNDS];
	int r;

	bench_setup(b, levels, kind == BK_TOLERANCE ? CFG_REFRESH_TOLERANCE :
	    CFG_REFRESH_REPLACE);
	bench_once(b, kind, 0);			/* warm caches */
	for (r = 0; r < rounds; r++)
		ns[r] = bench_round(b, kind);
	qsort(ns, (size_t)rounds, sizeof(ns[0]), bench_cmp);
	if (base > 0)
		printf("%-34s %3d  %9.1f %9.1f   x%.1f\n", name, levels, ns[0],
		    ns[rounds / 2], ns[rounds / 2] / base);
	else
		printf("%-34s %3d  %9.1f %9.1f   (baseline)\n", name, levels,
		    ns[0], ns[rounds / 2]);
}

static double
bench_baseline(struct bench *b, int levels, int rounds)
{
	double ns[BENCH_MAX_ROUNDS];
	int r;

	bench_setup(b, levels, CFG_REFRESH_REPLACE);
	for (r = 0; r < rounds; r++)
		ns[r] = bench_round(b, BK_RAW);
	qsort(ns, (size_t)rounds, sizeof(ns[0]), bench_cmp);
	return ns[rounds / 2];
}

int
main(int argc, char **argv)
{
	static const int levels[] = { 3, 20 };
	struct bench *b;
	char err[256];
	double base;
	int rounds = argc > 1 ? atoi(argv[1]) : 7, i;

	if (rounds < 1 || rounds > BENCH_MAX_ROUNDS)
		rounds = 7;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return 1;
	if ((b->impl = strat_find("simple_mm", err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("strategy evaluation, ns per call (%d rounds of %lld ms)\n",
	    rounds, (long long)(BENCH_ROUND_NS / NS_PER_MS));
	printf("%-34s %3s  %9s %9s   %s\n", "what", "lvl", "best", "median",
	    "vs baseline");
	for (i = 0; i < 2; i++) {
		base = bench_baseline(b, levels[i], rounds);
		bench_run(b, "raw level prices (no round/diff)", BK_RAW,
		    levels[i], rounds, 0);
		bench_run(b, "strat_eval replace, full book", BK_REPLACE,
		    levels[i], rounds, base);
		bench_run(b, "strat_eval tolerance, full book", BK_TOLERANCE,
		    levels[i], rounds, base);
	}
	if (b->sink == 0.12345)
		printf("\n");	/* keeps the results alive */
	free(b);
	return 0;
}
