/*
 * bench_strat.c — what one quoting decision costs.
 *
 * Times strat_eval() (ladder + rounding + quantities + diff + client ids)
 * for 3 and 20 levels per side, in replace mode and in tolerance mode
 * against a full book of open orders, beside a baseline measured in the
 * same run: the raw level prices mid x (1 -/+ k x offset) with no rounding,
 * no quantities and no diff. Then every strategy (simple_mm, skew_mm,
 * avellaneda_mm, glft_mm) in replace mode holding a long position (so the
 * skews and the inventory guard do their work), and the live estimator's
 * updates (services/core/estim.c): a mid between sample boundaries (what
 * most book updates cost), a trade, and a mid that closes a boundary (the
 * sigma update and the A/k fit). The mid moves every call so nothing can
 * be hoisted out of the loop. Prints figures, asserts none.
 *
 * usage: bench_strat [rounds]	(default 7; best and median are shown)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estim.h"
#include "strat.h"
#include "timeutil.h"

#define BENCH_MAX_ROUNDS	31
#define BENCH_ROUND_NS		(40 * NS_PER_MS)
#define BENCH_CHUNK		256

enum bench_kind { BK_RAW, BK_REPLACE, BK_TOLERANCE, BK_EST_MID, BK_EST_TRADE,
	BK_EST_BOUNDARY };

struct bench {
	const struct strat_impl	*impl;
	struct strat_in		 in;
	struct strat_out	 out;
	struct strat_order	 open[STRAT_MAX_OPEN];
	double			 raw[STRAT_MAX_QUOTES];
	double			 sink;
	struct est		 est;
	int64_t			 est_ns;
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
	/* what the inventory-aware strategies read: a long position of
	 * 0.004 BTC against a 1000 USDT limit, the config's defaults */
	b->in.position = b->impl == strat_find("simple_mm", NULL, 0) ? 0 :
	    0.004;
	b->in.cfg.inv.limit_usdt = 1000;
	b->in.cfg.inv.soft_ratio = 0.8;
	b->in.cfg.skew.price_skew_pct = 0.02;
	b->in.cfg.skew.size_skew = 0.5;
	b->in.cfg.as.gamma = 0.1;
	b->in.cfg.as.horizon_s = 1;
	b->in.cfg.glft.gamma = 0.1;
	b->in.est.sigma_bp = 2;
	b->in.est.A = 20;
	b->in.est.k = 1;
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
	switch (kind) {
	case BK_RAW:
		bench_raw(b);
		return;
	case BK_EST_MID:		/* 1 us apart: no boundary */
		est_mid(&b->est, b->est_ns += 1000, b->in.mkt.mid);
		b->sink += est_get(&b->est)->sigma_bp;
		return;
	case BK_EST_TRADE:
		est_trade(&b->est, b->est_ns += 1000, b->in.mkt.mid +
		    ((i & 3) - 1.5), i & 1);
		b->sink += (double)b->est.total_n;
		return;
	case BK_EST_BOUNDARY:
		/* every call closes a sample; one trade a second keeps 300
		 * in the window, so each close runs the A/k fit */
		est_trade(&b->est, b->est_ns + 1, 60000 - (i % 7) * 0.9,
		    true);
		est_mid(&b->est, b->est_ns += NS_PER_S, b->in.mkt.mid);
		b->sink += est_get(&b->est)->A + est_get(&b->est)->ak_live;
		return;
	default:
		break;
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

/* The estimator warmed up on a minute of a moving mid and 3000 trades,
 * so a boundary runs the whole fit. */
static void
bench_est_setup(struct bench *b)
{
	struct est_config c = {
		.live = true, .window_s = 300, .sample_s = 1,
		.depth_step_bp = 0.25, .min_trades = 100, .sigma_bp = 2,
		.A = 20, .k = 1,
	};
	int i;

	est_init(&b->est, &c);
	b->est_ns = NS_PER_S;
	for (i = 0; i < 3000; i++) {
		b->est_ns += 20 * NS_PER_MS;
		est_mid(&b->est, b->est_ns, 60000 + (i % 13) * 0.7);
		est_trade(&b->est, b->est_ns, 60000 + (i % 11) * 0.9 - 4,
		    i & 1);
	}
}

static void
bench_est(struct bench *b, const char *name, enum bench_kind kind,
    int rounds)
{
	double ns[BENCH_MAX_ROUNDS];
	int r;

	bench_est_setup(b);
	for (r = 0; r < rounds; r++)
		ns[r] = bench_round(b, kind);
	qsort(ns, (size_t)rounds, sizeof(ns[0]), bench_cmp);
	printf("%-34s %3s  %9.1f %9.1f\n", name, "-", ns[0],
	    ns[rounds / 2]);
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
	printf("\nper strategy, replace mode, long 0.004 BTC of a 1000 USDT "
	    "limit\n");
	for (i = 0; i < 2; i++) {
		static const char *names[] = { "simple_mm", "skew_mm",
		    "avellaneda_mm", "glft_mm" };
		char what[64];
		size_t j;

		b->impl = strat_find("simple_mm", NULL, 0);
		base = bench_baseline(b, levels[i], rounds);
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			b->impl = strat_find(names[j], NULL, 0);
			snprintf(what, sizeof(what), "strat_eval %s", names[j]);
			bench_run(b, what, BK_REPLACE, levels[i], rounds, base);
		}
	}
	printf("\nlive estimator (estim.c), ns per update\n");
	bench_est(b, "est_mid, between samples", BK_EST_MID, rounds);
	bench_est(b, "est_trade", BK_EST_TRADE, rounds);
	bench_est(b, "est_mid closing a sample, fit, trade", BK_EST_BOUNDARY,
	    rounds);
	printf("(ak_live at the end: %d)\n", est_get(&b->est)->ak_live);
	if (b->sink == 0.12345)
		printf("\n");	/* keeps the results alive */
	free(b);
	return 0;
}
