/*
 * bench_synth.c — measures the synthetic market the way
 * bench/calibrate_market.py measures the real recording, so the two can be
 * compared figure by figure, and how fast the generator runs.
 *
 * usage: bench_synth [seconds of market (3600)] [vol_mult (1.0)] [seed (1)]
 * Prints bookTicker and trade rates, spread and trade-size quantiles,
 * 1-second mid volatility, the largest 5-second move, the median
 * 60-second move, events generated per second of CPU, and for seeds 1-10
 * how long the default bot ladder (3 levels a side at 0.01 % steps,
 * 150 USDT each, replaced every 5 s) waits for its first fill.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exch.h"
#include "timeutil.h"

#define T0	1723161600000000000LL

struct stats {
	int64_t	now;
	long	nbt, ntr, ndepth, nmid_change;
	double	*spread, *size, *mid_at_s;
	long	nspread, nsize, cap_spread, cap_size;
	double	last_mid, tick;
	int64_t	next_s;
	long	nsec, cap_sec;
};

static int64_t
clock_cb(void *arg)
{
	return ((struct stats *)arg)->now;
}

static void
push(double **v, long *n, long *cap, double x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = realloc(*v, (size_t)*cap * sizeof(**v));
		if (*v == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	(*v)[(*n)++] = x;
}

static void
on_market(void *arg, const struct exch_mkt_event *ev)
{
	struct stats *s = arg;
	double mid;

	if (ev->sym != 0)
		return;
	switch (ev->type) {
	case EXCH_EV_BOOK_TICKER:
		s->nbt++;
		mid = (ev->bt.b + ev->bt.a) / 2;
		/* sample the mid at each whole second (last value before it) */
		while ((int64_t)ev->E_ms * 1000000LL >= s->next_s) {
			push(&s->mid_at_s, &s->nsec, &s->cap_sec,
			    s->last_mid > 0 ? s->last_mid : mid);
			s->next_s += 1000000000LL;
		}
		if (s->last_mid > 0 && mid != s->last_mid)
			s->nmid_change++;
		s->last_mid = mid;
		push(&s->spread, &s->nspread, &s->cap_spread,
		    round((ev->bt.a - ev->bt.b) / s->tick));
		break;
	case EXCH_EV_TRADE:
		s->ntr++;
		push(&s->size, &s->nsize, &s->cap_size, ev->trade.q);
		break;
	case EXCH_EV_DEPTH:
		s->ndepth++;
		break;
	default:
		break;
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
q(double *v, long n, double p)
{
	long i = (long)(p * n);

	return v[i < n ? i : n - 1];
}

/* ------------------------------------------------------------------ */
/* the default bot's first minute                                      */

struct bot { int64_t now, first; int fills; };

static int64_t
bot_clock(void *arg)
{
	return ((struct bot *)arg)->now;
}

static void
bot_user(void *arg, const struct exch_user_event *ev)
{
	struct bot *b = arg;

	if (ev->type == EXCH_EV_ORDER_UPDATE && ev->ou.x == EXCH_X_TRADE &&
	    b->fills++ == 0)
		b->first = b->now;
}

static void
bot_quote(struct exch *ex, struct exch_account *a)
{
	struct exch_order_req r;
	struct exch_order out;
	struct exch_err e;
	struct exch_top top;
	double mid;
	int lv;

	exch_order_cancel_all(ex, a, "BTCUSDT", &e);
	if (exch_book_top(ex, 0, &top) == -1)
		return;
	mid = (top.bid + top.ask) / 2;
	memset(&r, 0, sizeof(r));
	r.symbol = "BTCUSDT";
	r.type = EXCH_LIMIT;
	r.tif = EXCH_GTC;
	r.tif_set = true;
	r.quantity = 0.003;
	for (lv = 1; lv <= 3; lv++) {
		r.side = EXCH_BUY;
		r.price = floor(mid * (1 - lv * 0.0001) * 10) / 10;
		exch_order_place(ex, a, &r, &out, &e);
		r.side = EXCH_SELL;
		r.price = ceil(mid * (1 + lv * 0.0001) * 10) / 10;
		exch_order_place(ex, a, &r, &out, &e);
	}
}

static void
bot_minute(double vol)
{
	uint64_t seed;

	printf("default ladder on the synthetic market, vol_mult %.2f:\n", vol);
	for (seed = 1; seed <= 10; seed++) {
		struct bot b = { T0, 0, 0 };
		struct exch_cb cb = { NULL, bot_user, &b };
		struct exch_opts o;
		struct exch *ex;
		int t;

		exch_opts_default(&o);
		o.synth.seed = seed;
		o.synth.vol_mult = vol;
		o.clock = bot_clock;
		o.clock_arg = &b;
		exch_opts_add_account(&o, "bot", "s", 5000);
		if ((ex = exch_new(&o, &cb)) == NULL)
			return;
		for (t = 0; t < 600; t++) {
			b.now += 100000000LL;
			exch_step(ex, b.now);
			if (t % 50 == 0)
				bot_quote(ex, exch_account_by_key(ex, "bot"));
		}
		if (b.fills > 0)
			printf("  seed %2llu: first fill after %5.1f s, %2d fills in "
			    "60 s\n", (unsigned long long)seed,
			    (double)(b.first - T0) / 1e9, b.fills);
		else
			printf("  seed %2llu: no fill in 60 s\n",
			    (unsigned long long)seed);
		exch_free(ex);
	}
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3600;
	double vol = argc > 2 ? atof(argv[2]) : 1.0;
	struct stats st;
	struct exch_opts o;
	struct exch_cb cb = { on_market, NULL, &st };
	struct exch *ex;
	double sum = 0, sum2 = 0, max5 = 0, *m60, cpu;
	long i, n;
	int64_t c0;

	memset(&st, 0, sizeof(st));
	st.now = T0;
	st.next_s = T0 + 1000000000LL;
	exch_opts_default(&o);
	o.nsymbols = 0;
	exch_opts_add_symbol(&o, "BTCUSDT");
	o.synth.vol_mult = vol;
	o.synth.seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	o.clock = clock_cb;
	o.clock_arg = &st;
	st.tick = o.symbols[0].tick_size;
	ex = exch_new(&o, &cb);
	if (ex == NULL)
		return 1;
	c0 = now_mono_ns();
	for (i = 0; i < (long)(secs * 10); i++) {
		st.now += 100000000LL;
		exch_step(ex, st.now);
	}
	cpu = (double)(now_mono_ns() - c0) / 1e9;
	qsort(st.spread, (size_t)st.nspread, sizeof(double), cmp);
	qsort(st.size, (size_t)st.nsize, sizeof(double), cmp);
	for (i = 1; i < st.nsec; i++) {
		double r = log(st.mid_at_s[i] / st.mid_at_s[i - 1]) * 1e4;

		sum += r;
		sum2 += r * r;
	}
	n = st.nsec - 1;
	for (i = 5; i < st.nsec; i++)
		max5 = fmax(max5, fabs(log(st.mid_at_s[i] / st.mid_at_s[i - 5])) *
		    100);
	m60 = calloc((size_t)st.nsec, sizeof(double));
	for (i = 60; i < st.nsec; i++)
		m60[i - 60] = fabs(log(st.mid_at_s[i] / st.mid_at_s[i - 60])) * 1e4;
	qsort(m60, (size_t)(st.nsec > 60 ? st.nsec - 60 : 0), sizeof(double), cmp);
	printf("synthetic BTCUSDT, %.0f s of market, vol_mult %.2f, seed %llu\n",
	    secs, vol, (unsigned long long)o.synth.seed);
	printf("%-26s %12s %12s\n", "figure", "synthetic", "real 08-08");
	printf("%-26s %12.1f %12.1f\n", "bookTicker /s", st.nbt / secs, 191.7);
	printf("%-26s %12.2f %12.2f\n", "mid changes /s", st.nmid_change / secs,
	    5.88);
	printf("%-26s %12.1f %12.1f\n", "trades /s", st.ntr / secs, 61.8);
	printf("%-26s %12.1f %12s\n", "depth diffs /s", st.ndepth / secs,
	    "19 (0ms)");
	printf("%-26s %12.0f %12d\n", "spread median (ticks)",
	    q(st.spread, st.nspread, 0.5), 1);
	for (i = 0; i < st.nspread && st.spread[i] <= 1; i++)
		;
	printf("%-26s %12.3f %12.3f\n", "spread 1 tick share",
	    (double)i / (double)st.nspread, 0.942);
	printf("%-26s %12.0f %12d\n", "spread q99 (ticks)",
	    q(st.spread, st.nspread, 0.99), 29);
	printf("%-26s %12.3f %12.3f\n", "trade qty q50", q(st.size, st.nsize, 0.5),
	    0.016);
	printf("%-26s %12.3f %12.3f\n", "trade qty q90", q(st.size, st.nsize, 0.9),
	    0.265);
	printf("%-26s %12.3f %12.3f\n", "1-s mid sigma (bp)",
	    sqrt(sum2 / n - (sum / n) * (sum / n)), 1.207);
	printf("%-26s %12.3f %12.3f\n", "max |5-s move| (%)", max5, 0.111);
	printf("%-26s %12.2f %12.2f\n", "median |60-s move| (bp)",
	    st.nsec > 61 ? q(m60, st.nsec - 60, 0.5) : 0.0, 7.44);
	printf("generator: %.0f market events in %.3f s CPU = %.0f events/s "
	    "(%.0fx real time)\n", (double)(st.nbt + 2 * st.ntr + st.ndepth),
	    cpu, (st.nbt + 2 * st.ntr + st.ndepth) / cpu, secs / cpu);
	exch_free(ex);
	bot_minute(vol);
	free(m60);
	free(st.spread);
	free(st.size);
	free(st.mid_at_s);
	return 0;
}
