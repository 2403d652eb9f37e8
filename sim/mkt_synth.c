/*
 * mkt_synth.c — a seeded, reproducible synthetic outside market for one
 * symbol: bookTicker updates, trades, diff depth with consistent U/u/pu.
 *
 * CALIBRATION. Measured on the real recording btcusdt_20240808.gz (Binance
 * BTCUSDT perpetual, 2024-08-08, 344.8 s, 93,954 messages) with
 * bench/calibrate_market.py:
 *   bookTicker updates     191.7 /s   (mid changes 5.88 /s)
 *   trades                  61.8 /s   in 15.3 bursts/s of 4.05 trades
 *                                      (one taker order each); 54.9 %
 *                                      buyer-maker (sell aggressor)
 *   spread                  1 tick at the median, 94.2 % of updates;
 *                           q99 29 ticks
 *   trade size (BTC)        q10 0.002, q50 0.016, q90 0.265, q99 1.146,
 *                           mean 0.114; lognormal fit mu -4.00 sigma 1.87
 *   top-of-book size (BTC)  q10 0.08, q50 2.68, q90 8.47
 *   mid change (ticks)      q50 4, q90 21, q99 99 when it changes
 *   1-second mid volatility 1.207 bp (sigma of 1-s log returns)
 *   largest 5-second move   0.111 %;  median |60-s move| 7.4 bp
 *   diff depth              19 events/s, 34 levels each (depth@0ms)
 *
 * THE MODEL. Three Poisson clocks drive the book (rates from the figures
 * above, overridable in exch_synth_opts):
 * - quote events (176.4/s; with the trade bursts' own bookTickers that is
 *   the recorded 191.7/s): with probability 3.0/176.4 the price jumps by
 *   a lognormal number of ticks (median 4, sigma 1.29, cut at 3 sigma,
 *   random sign), scaled so that the 1-s volatility is 1.2 bp x vol_mult;
 *   the side the price runs to overshoots by 1 + exponential(10) ticks, so
 *   the spread opens, and each later quote event closes it from one side
 *   with p 0.27 (wide 6-7 % of the time, as recorded; a jump plus its
 *   close make the recorded ~6 mid changes/s). One side's top size is
 *   redrawn (lognormal, median 2.68 BTC). Each emits bookTicker.
 * - trade bursts (61.8/4.05 per s): one aggressor, buyer-maker with
 *   p 0.549, a geometric number of trades (mean 4.05) of lognormal size
 *   (median 0.016, sigma 1.87 BTC), each at the touch; a trade bigger than
 *   the touch sweeps it and continues one tick further (so trades and
 *   price moves stay consistent, and client orders see trade-throughs).
 * - depth flushes (every depth_interval_ms, 100 ms like @depth@100ms):
 *   every changed level since the last flush as one diff, U = first update
 *   id in it, u = last, pu = the previous event's u. bookTicker u uses the
 *   same id sequence (each level change is one id).
 * The book holds depth_levels (20) dense levels per side; levels that fall
 * off the far end are sent as deletions so a client's book stays bounded.
 * Sizes scale with 60000 / start_price so other symbols trade similar
 * notionals; jumps are scaled in basis points.
 *
 * WHAT IT PRODUCES (bench_synth 3600 1.0, seed 1, beside the recording):
 *   bookTicker 191.9/s (191.7), mid changes 7.5/s (5.9), trades 64.1/s
 *   (61.8), spread 1 tick 92.6 % (94.2 %), q99 19 ticks (29), trade size
 *   q50 0.017 (0.016) q90 0.193 (0.265), 1-s sigma 1.25 bp (1.21), largest
 *   5-s move 0.14 % (0.11 %), median |60-s move| 6.3 bp (7.4; the real
 *   market trends a little, the model does not). At vol_mult 2.5: 1-s
 *   sigma 2.96 bp, median |60-s move| 16.4 bp.
 *
 * THE DEFAULT VOLATILITY MULTIPLIER is 2.5 (1-s sigma 3 bp, "a few basis
 * points" as config/config.yaml tells the newcomer). The default bot
 * quotes 3 levels a side at 0.01 % (1 bp) steps around the mid and
 * re-quotes every 5 s. Measured with bench_synth over seeds 1-10: at
 * vol_mult 1 the first fill comes after 0.5-4.5 s and 17-29 fills follow
 * in the first minute, mostly on level 1; at 2.5 the first fill comes
 * after 0.2-2.8 s with 32-50 fills a minute, levels 2 and 3 (2-3 bp away)
 * fill too and the position and PnL visibly move within the minute,
 * while the market still looks like BTCUSDT tick by tick (same rates,
 * spread and sizes). check_mkt asserts a first fill within 60 s for seeds
 * 1-5. Set vol_mult 1 for the calibrated real-world volatility.
 *
 * Same seed and same start time give the same event sequence: the only
 * inputs are the PRNG (xoshiro256**, seeded through splitmix64) and the
 * options; no clock is read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_int.h"

/* calibrated constants (see the banner) */
#define CAL_QUOTE_HZ		191.7
#define CAL_TRADE_HZ		61.8
#define CAL_BURST_TRADES	4.05
#define CAL_JUMP_PER_S		3.0	/* + as many spread closes = 5.9 */
#define CAL_JUMP_MU		1.386	/* ln 4 ticks */
#define CAL_JUMP_SIGMA		1.29
#define CAL_JUMP_ZMAX		3.0
#define CAL_SPREAD_WIDE_MEAN	10.0	/* extra ticks a jump opens */
#define CAL_SPREAD_CLOSE_P	0.27	/* wide 5.8 % of quotes */
#define CAL_TOP_MU		0.985	/* ln 2.68 BTC */
#define CAL_TOP_SIGMA		1.3
#define CAL_DEEP_MU		(-1.2)	/* ln 0.3 BTC */
#define CAL_DEEP_SIGMA		1.5
#define CAL_TRADE_MU		(-4.135)	/* ln 0.016 BTC */
#define CAL_TRADE_SIGMA		1.87
#define CAL_BUYER_MAKER_P	0.549
#define CAL_VOL_BP		1.2	/* 1-s sigma, basis points */
#define CAL_REF_PRICE		60000.0
/*
 * Share of the 1-s variance the jumps must carry: trade sweeps and spread
 * changes add the rest. Tuned with bench/bench_synth.c so the measured
 * 1-s sigma matches CAL_VOL_BP x vol_mult.
 */
#define CAL_JUMP_VAR_SHARE	1.18

#define SYN_MAXLV	256
#define SYN_MAXPEND	4096

struct synth {
	struct exch_synth_opts o;
	int	sym;
	const struct exch_symbol_spec *spec;
	struct rng rng;
	int64_t	t_quote, t_burst, t_depth;	/* next events, ns */
	double	quote_gap_ns, burst_gap_ns;	/* mean gaps */
	double	jump_p;				/* per quote event */
	double	jump_scale;			/* lognormal ticks -> own ticks */
	double	size_scale;			/* BTC sizes -> own sizes */
	int	nlv;
	int64_t	bid, ask;			/* top prices, ticks */
	int64_t	bq[SYN_MAXLV], aq[SYN_MAXLV];	/* level k: bid - k, ask + k */
	int64_t	u, last_u;			/* update ids */
	int64_t	trade_id;
	/* changes since the last depth flush (px -> qty, last write wins) */
	struct ext_level pend[2][SYN_MAXPEND];
	int	npend[2];
	int64_t	pend_U;
	struct ext_level out[2][SYN_MAXPEND];
};

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256** seeded with splitmix64                           */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double
rng_normal(struct rng *r)
{
	double u1 = rng_unit(r), u2 = rng_unit(r);

	/* Box-Muller; 1 - u keeps log() away from 0 */
	return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

double
rng_exp(struct rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

static double
rng_lognormal(struct rng *r, double mu, double sigma)
{
	return exp(mu + sigma * rng_normal(r));
}

/* ------------------------------------------------------------------ */
/* book bookkeeping                                                    */

static int64_t
lots_of(struct synth *s, double base_qty)
{
	int64_t l = llround(base_qty * s->size_scale / s->spec->step_size);

	return l < 1 ? 1 : l;
}

static int64_t
top_size(struct synth *s)
{
	return lots_of(s, rng_lognormal(&s->rng, CAL_TOP_MU, CAL_TOP_SIGMA));
}

static int64_t
deep_size(struct synth *s)
{
	return lots_of(s, rng_lognormal(&s->rng, CAL_DEEP_MU, CAL_DEEP_SIGMA));
}

/* Record that px on side now holds qty (0 = gone) for the next diff. */
static void
pend(struct synth *s, int side, int64_t px, int64_t qty)
{
	struct ext_level *p = s->pend[side];
	int i;

	if (s->npend[0] + s->npend[1] == 0)
		s->pend_U = s->u + 1;
	s->u++;
	for (i = s->npend[side] - 1; i >= 0; i--)
		if (p[i].px == px) {
			p[i].qty = qty;
			return;
		}
	if (s->npend[side] == SYN_MAXPEND)
		return;		/* cannot happen between 100 ms flushes */
	p[s->npend[side]].px = px;
	p[s->npend[side]].qty = qty;
	s->npend[side]++;
}

/*
 * Move the best price of side to npx (ticks). Levels that the new top
 * passed are deleted (or, when the top moves out, created with fresh
 * sizes); levels pushed beyond the depth are deleted.
 */
static void
move_top(struct synth *s, int side, int64_t npx)
{
	int64_t *q = side == BK_BID ? s->bq : s->aq;
	int64_t opx = side == BK_BID ? s->bid : s->ask;
	int64_t d = side == BK_BID ? npx - opx : opx - npx;	/* >0: better */
	int64_t dir = side == BK_BID ? -1 : 1;			/* deeper */
	int n = s->nlv, k;

	if (d == 0)
		return;
	if (d > 0) {
		/* better: shift deeper, fresh levels in front */
		for (k = n - 1; k >= 0; k--) {
			if (k - d >= 0) {
				q[k] = q[k - d];
			} else {
				q[k] = k == 0 ? top_size(s) : deep_size(s);
				pend(s, side, npx + dir * k, q[k]);
			}
		}
		for (k = 0; k < d && k < n; k++)	/* fell off the end */
			pend(s, side, opx + dir * (n - 1 - k), 0);
	} else {
		int64_t back = -d;

		for (k = 0; k < back && k < n; k++)	/* swept or pulled */
			pend(s, side, opx + dir * k, 0);
		for (k = 0; k < n; k++) {
			if (k + back < n) {
				q[k] = q[k + back];
			} else {
				q[k] = deep_size(s);
				pend(s, side, npx + dir * k, q[k]);
			}
		}
	}
	if (side == BK_BID)
		s->bid = npx;
	else
		s->ask = npx;
}

static void
emit_ticker(struct synth *s, const struct mkt_sink *k, int64_t t)
{
	k->book_ticker(k->arg, s->sym, t, s->u, s->bid, s->bq[0], s->ask,
	    s->aq[0], NULL, 0);
}

/* ------------------------------------------------------------------ */
/* events                                                              */

/* Jump size: lognormal, its tail cut at 3 sigma (the recording's largest
 * mid moves are transient spread spikes, not lasting jumps). */
static int64_t
jump_ticks(struct synth *s)
{
	double z = rng_normal(&s->rng);
	int64_t jt;

	if (z > CAL_JUMP_ZMAX)
		z = CAL_JUMP_ZMAX;
	jt = llround(exp(CAL_JUMP_MU + CAL_JUMP_SIGMA * z) * s->jump_scale);
	return jt < 1 ? 1 : jt;
}

static void
quote_event(struct synth *s, const struct mkt_sink *k)
{
	struct rng *r = &s->rng;

	if (rng_unit(r) < s->jump_p) {
		int64_t jt = jump_ticks(s);
		int64_t wide = 1 + (int64_t)rng_exp(r, CAL_SPREAD_WIDE_MEAN);

		if (wide >= s->nlv)
			wide = s->nlv - 1;
		/* the side the price runs to moves first and overshoots: the
		 * spread opens, to close again over the next quotes */
		if (rng_unit(r) < 0.5) {
			move_top(s, BK_ASK, s->ask + jt + wide - 1);
			move_top(s, BK_BID, s->bid + jt);
		} else {
			move_top(s, BK_BID, s->bid - jt - wide + 1);
			move_top(s, BK_ASK, s->ask - jt);
		}
	} else if (s->ask - s->bid > 1 && rng_unit(r) < CAL_SPREAD_CLOSE_P) {
		/* refill the gap from one side */
		if (rng_unit(r) < 0.5)
			move_top(s, BK_ASK, s->bid + 1);
		else
			move_top(s, BK_BID, s->ask - 1);
	}
	if (rng_unit(r) < 0.5) {
		s->bq[0] = top_size(s);
		pend(s, BK_BID, s->bid, s->bq[0]);
	} else {
		s->aq[0] = top_size(s);
		pend(s, BK_ASK, s->ask, s->aq[0]);
	}
	emit_ticker(s, k, s->t_quote);
	s->t_quote += (int64_t)rng_exp(r, s->quote_gap_ns) + 1;
}

static void
burst_event(struct synth *s, const struct mkt_sink *k)
{
	struct rng *r = &s->rng;
	bool bm = rng_unit(r) < CAL_BUYER_MAKER_P;	/* seller aggresses */
	int side = bm ? BK_BID : BK_ASK;		/* the side it hits */
	int64_t *q = bm ? s->bq : s->aq;
	double p_more = 1.0 - 1.0 / CAL_BURST_TRADES;

	do {
		int64_t lots = lots_of(s, rng_lognormal(r, CAL_TRADE_MU,
		    CAL_TRADE_SIGMA));

		while (lots > 0) {
			int64_t px = bm ? s->bid : s->ask;
			int64_t take = lots < q[0] ? lots : q[0];

			k->trade(k->arg, s->sym, s->t_burst, ++s->trade_id, px,
			    take, bm, NULL, 0);
			lots -= take;
			q[0] -= take;
			if (q[0] > 0) {
				pend(s, side, px, q[0]);
				break;
			}
			/* swept: the next level becomes the touch */
			move_top(s, side, bm ? s->bid - 1 : s->ask + 1);
		}
	} while (rng_unit(r) < p_more);
	emit_ticker(s, k, s->t_burst);
	s->t_burst += (int64_t)rng_exp(r, s->burst_gap_ns) + 1;
}

/* Publish the changes since the last flush as one diff at time t. */
static void
depth_flush(struct synth *s, const struct mkt_sink *k, int64_t t)
{
	int side;

	if (s->npend[0] + s->npend[1] == 0)
		return;
	for (side = 0; side < 2; side++)
		memcpy(s->out[side], s->pend[side],
		    (size_t)s->npend[side] * sizeof(struct ext_level));
	k->depth(k->arg, s->sym, t, s->pend_U, s->u, s->last_u, s->out[0],
	    s->npend[0], s->out[1], s->npend[1], false, NULL, 0);
	s->last_u = s->u;
	s->npend[0] = s->npend[1] = 0;
}

static void
depth_event(struct synth *s, const struct mkt_sink *k)
{
	depth_flush(s, k, s->t_depth);
	s->t_depth += s->o.depth_interval_ms * 1000000LL;
}

void
synth_set_mid(struct synth *s, double price, int64_t t_ns,
    const struct mkt_sink *k)
{
	int64_t bid = (int64_t)floor(price / s->spec->tick_size + 1e-9);

	if (bid < s->nlv + 1)
		bid = s->nlv + 1;
	/* the side moving away first, so the book never crosses */
	if (bid > s->bid) {
		move_top(s, BK_ASK, bid + 1);
		move_top(s, BK_BID, bid);
	} else {
		move_top(s, BK_BID, bid);
		move_top(s, BK_ASK, bid + 1);
	}
	emit_ticker(s, k, t_ns);
	depth_flush(s, k, t_ns);
}

/* ------------------------------------------------------------------ */

static void
synth_opts_fill(struct exch_synth_opts *o)
{
	if (o->vol_mult <= 0)
		o->vol_mult = 2.5;
	/* trade bursts publish a bookTicker too: together they make 191.7/s */
	if (o->quote_rate_hz <= 0)
		o->quote_rate_hz = CAL_QUOTE_HZ - CAL_TRADE_HZ / CAL_BURST_TRADES;
	if (o->trade_rate_hz <= 0)
		o->trade_rate_hz = CAL_TRADE_HZ;
	if (o->depth_levels <= 1 || o->depth_levels > SYN_MAXLV)
		o->depth_levels = 20;
	if (o->depth_interval_ms <= 0)
		o->depth_interval_ms = 100;
}

struct synth *
synth_new(const struct exch_synth_opts *opts, int sym,
    const struct exch_symbol_spec *spec, int64_t start_ns)
{
	struct synth *s = calloc(1, sizeof(*s));
	double ticks_per_bp, jump_var, want_var;
	int64_t px;
	int k;

	if (s == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	s->o = *opts;
	synth_opts_fill(&s->o);
	s->sym = sym;
	s->spec = spec;
	rng_seed(&s->rng, s->o.seed * 1000003ULL + (uint64_t)sym);
	s->nlv = s->o.depth_levels;
	s->quote_gap_ns = 1e9 / s->o.quote_rate_hz;
	s->burst_gap_ns = 1e9 * CAL_BURST_TRADES / s->o.trade_rate_hz;
	s->jump_p = fmin(1.0, CAL_JUMP_PER_S / s->o.quote_rate_hz);
	/* scale jumps so their variance per second is the wanted share */
	ticks_per_bp = spec->start_price * 1e-4 / spec->tick_size;
	want_var = pow(CAL_VOL_BP * s->o.vol_mult * ticks_per_bp, 2) *
	    CAL_JUMP_VAR_SHARE;
	/* E[J^2] of the lognormal; the 3-sigma cut is left to the share */
	jump_var = CAL_JUMP_PER_S * exp(2 * CAL_JUMP_MU +
	    2 * CAL_JUMP_SIGMA * CAL_JUMP_SIGMA);
	s->jump_scale = sqrt(want_var / jump_var);
	s->size_scale = CAL_REF_PRICE / spec->start_price;
	px = llround(spec->start_price / spec->tick_size);
	s->bid = px;
	s->ask = px + 1;
	s->u = 1000000000LL + (int64_t)(rng_next(&s->rng) % 1000000);
	s->last_u = s->u;
	s->trade_id = 100000000LL;
	for (k = 0; k < s->nlv; k++) {
		s->bq[k] = k == 0 ? top_size(s) : deep_size(s);
		s->aq[k] = k == 0 ? top_size(s) : deep_size(s);
		pend(s, BK_BID, s->bid - k, s->bq[k]);
		pend(s, BK_ASK, s->ask + k, s->aq[k]);
	}
	s->t_quote = start_ns + (int64_t)rng_exp(&s->rng, s->quote_gap_ns);
	s->t_burst = start_ns + (int64_t)rng_exp(&s->rng, s->burst_gap_ns);
	/* the first flush publishes the initial book straight away */
	s->t_depth = start_ns;
	return s;
}

void
synth_free(struct synth *s)
{
	free(s);
}

void
synth_skip(struct synth *s, int64_t t_ns)
{
	if (s->t_quote < t_ns)
		s->t_quote = t_ns;
	if (s->t_burst < t_ns)
		s->t_burst = t_ns;
	if (s->t_depth < t_ns)
		s->t_depth = t_ns;
}

int64_t
synth_next_ns(const struct synth *s)
{
	int64_t t = s->t_quote;

	if (s->t_burst < t)
		t = s->t_burst;
	if (s->t_depth < t)
		t = s->t_depth;
	return t;
}

void
synth_step(struct synth *s, const struct mkt_sink *k)
{
	/* on a tie: depth first (it covers what came before), then quotes */
	if (s->t_depth <= s->t_quote && s->t_depth <= s->t_burst)
		depth_event(s, k);
	else if (s->t_quote <= s->t_burst)
		quote_event(s, k);
	else
		burst_event(s, k);
}
