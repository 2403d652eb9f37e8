/*
 * bt_stats.c — the backtest's summary from running sums (see bt_stats.h
 * for every definition). Nothing grows with the number of mid samples:
 * returns and request windows are folded as each UTC minute / day / 10 s
 * closes, drawdown keeps its running peak, and a fill waits in a queue only
 * until its longest markout horizon has passed.
 */
#include "bt_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define NS		1000000000LL
#define MIN_NS		(60 * NS)
#define DAY_NS		(86400 * NS)
#define W10S_NS		(10 * NS)

static const int64_t bts_horizon[BTS_NHORIZONS] = { 1 * NS, 10 * NS, 60 * NS };

/* Simple returns of equity between closes of fixed UTC windows. */
struct bts_ret {
	int64_t		 width;		/* ns */
	int64_t		 cur;		/* window index of the open window */
	long double	 e_open;	/* equity at the previous close */
	uint64_t	 n;
	long double	 sum, sumsq, down2;
};

/* A fill waiting for its markouts. */
struct bts_pend {
	int64_t		 ts;
	double		 mid;		/* at the fill; NaN when none yet */
	double		 sq;		/* signed qty */
};

/* Fixed-window counter for the rate limits. */
struct bts_win {
	int64_t		 width, cur;
	uint64_t	 weight, orders;
	uint64_t	 max_weight, max_orders;
	bool		 open;
};

struct bts {
	struct bts_summary s;
	int64_t		 start, last;	/* first / latest event time */
	bool		 started, finished;
	uint64_t	 ignored;

	/* marking */
	double		 mid;		/* latest mid; NaN before the first */
	double		 mark;		/* mid, or the last fill price before */
	long double	 q;		/* position: sum of signed fill qty */
	long double	 cash;		/* -sum q p */
	long double	 fees, funding;
	long double	 spread, sum_qm;	/* S and sum q_i m_i */
	long double	 peak;
	long double	 vol_base, vol_quote, maker_quote;

	struct bts_ret	 r1m, r1d;

	/* state samples; |position| integrated between fills */
	int64_t		 st_ts, pos_ts;
	bool		 st_paused, st_limit;
	long double	 pos_area;	/* |pos| * ns */
	int64_t		 paused_ns, limit_ns;

	struct bts_win	 w1m, w10s;

	/* markouts: pend[head .. tail) in a ring of cap (a power of 2);
	 * hzn[k] = the first fill whose horizon k is still open */
	struct bts_pend	*pend;
	uint64_t	 cap, head, tail, hzn[BTS_NHORIZONS];
	long double	 mk_bp[BTS_NHORIZONS], mk_q[BTS_NHORIZONS];
};

static int64_t
bts_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* --- time and equity -------------------------------------------------- */

static void
bts_ret_init(struct bts_ret *r, int64_t width, int64_t start, double capital)
{
	memset(r, 0, sizeof(*r));
	r->width = width;
	r->cur = bts_floor_div(start, width);
	r->e_open = capital;
}

static void
bts_ret_add(struct bts_ret *r, long double ret)
{
	r->n++;
	r->sum += ret;
	r->sumsq += ret * ret;
	if (ret < 0)
		r->down2 += ret * ret;
}

/* Close every window before `idx`: the open one returns e_now / e_open - 1
 * and the empty ones after it return 0 (equity moves only at marks). */
static void
bts_ret_roll(struct bts_ret *r, int64_t idx, long double e_now)
{
	if (idx <= r->cur)
		return;
	bts_ret_add(r, r->e_open != 0 ? e_now / r->e_open - 1 : 0);
	r->n += (uint64_t)(idx - r->cur - 1);	/* zero returns */
	r->e_open = e_now;
	r->cur = idx;
}

static long double
bts_equity(const struct bts *b)
{
	long double e = (long double)b->s.capital + b->cash - b->fees +
	    b->funding;

	if (b->q != 0 && isfinite(b->mark))
		e += b->q * b->mark;
	return e;
}

/* Before anything at ts changes equity: close the windows it leaves. */
static void
bts_advance(struct bts *b, int64_t ts)
{
	long double e = bts_equity(b);

	bts_ret_roll(&b->r1m, bts_floor_div(ts, MIN_NS), e);
	bts_ret_roll(&b->r1d, bts_floor_div(ts, DAY_NS), e);
}

/* After an event changed equity: the drawdown on this mark. */
static void
bts_mark(struct bts *b)
{
	long double e = bts_equity(b), dd;

	if (e > b->peak)
		b->peak = e;
	dd = b->peak - e;
	if (dd > b->s.max_dd)
		b->s.max_dd = (double)dd;
	if (b->peak > 0 && dd / b->peak * 100 > b->s.max_dd_pct)
		b->s.max_dd_pct = (double)(dd / b->peak * 100);
}

static void bts_state_until(struct bts *, int64_t);
static void bts_pos_until(struct bts *, int64_t);
static void bts_win_roll(struct bts_win *, int64_t, struct bts_summary *);

/* Every feeder starts here: false when the event is to be dropped. */
static bool
bts_at(struct bts *b, int64_t *ts)
{
	if (b->finished)
		return false;
	if (!b->started) {
		if (b->start == 0)
			b->start = *ts;
		b->started = true;
		b->last = b->start;
		b->st_ts = b->start;
		b->pos_ts = b->start;
		bts_ret_init(&b->r1m, MIN_NS, b->start, b->s.capital);
		bts_ret_init(&b->r1d, DAY_NS, b->start, b->s.capital);
	}
	if (*ts < b->last)
		*ts = b->last;
	b->last = *ts;
	return true;
}

/* --- lifecycle -------------------------------------------------------- */

struct bts *
bts_new(double capital, int64_t start_ns)
{
	struct bts *b;

	if (!(capital > 0) || !isfinite(capital))
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->s.capital = capital;
	b->start = start_ns;
	b->mid = NAN;
	b->mark = NAN;
	b->peak = capital;
	b->w1m.width = MIN_NS;
	b->w10s.width = W10S_NS;
	return b;
}

void
bts_free(struct bts *b)
{
	if (b == NULL)
		return;
	free(b->pend);
	free(b);
}

uint64_t
bts_ignored(const struct bts *b)
{
	return b->ignored;
}

/* --- markouts --------------------------------------------------------- */

static int
bts_pend_push(struct bts *b, int64_t ts, double mid, double sq)
{
	uint64_t i, ncap;
	struct bts_pend *np;

	if (b->tail - b->head == b->cap) {
		ncap = b->cap ? b->cap * 2 : 64;
		if ((np = malloc(ncap * sizeof(*np))) == NULL)
			return -1;
		for (i = b->head; i < b->tail; i++)
			np[i & (ncap - 1)] = b->pend[i & (b->cap - 1)];
		free(b->pend);
		b->pend = np;
		b->cap = ncap;
	}
	b->pend[b->tail & (b->cap - 1)] = (struct bts_pend){ ts, mid, sq };
	b->tail++;
	return 0;
}

/* Horizon k of fill p ends with the mid `then` (the latest at or before
 * p->ts + horizon). A fill with no mid at either end has no move. */
static void
bts_markout(struct bts *b, int k, const struct bts_pend *p, double then)
{
	struct bts_markout *m = &b->s.markout[k];
	long double move;

	if (!isfinite(p->mid) || !isfinite(then)) {
		m->excluded++;
		return;
	}
	move = (long double)then - p->mid;
	m->n++;
	b->mk_q[k] += move * p->sq;
	b->mk_bp[k] += move / p->mid * 1e4L * (p->sq > 0 ? 1 : -1);
}

/* Resolve every horizon that ended before `ts` with the current mid, then
 * drop fills whose longest horizon is done. */
static void
bts_markouts_before(struct bts *b, int64_t ts)
{
	const struct bts_pend *p;
	int k;

	for (k = 0; k < BTS_NHORIZONS; k++) {
		while (b->hzn[k] < b->tail) {
			p = &b->pend[b->hzn[k] & (b->cap - 1)];
			if (p->ts + bts_horizon[k] >= ts)
				break;
			bts_markout(b, k, p, b->mid);
			b->hzn[k]++;
		}
	}
	b->head = b->hzn[BTS_NHORIZONS - 1];
}

/* --- feeders ---------------------------------------------------------- */

void
bts_mid(struct bts *b, int64_t ts, double mid)
{
	if (!(mid > 0) || !isfinite(mid)) {
		b->ignored++;
		return;
	}
	if (!bts_at(b, &ts))
		return;
	bts_advance(b, ts);
	bts_markouts_before(b, ts);
	b->mid = mid;
	b->mark = mid;
	bts_mark(b);
}

static int
bts_level_ix(int level)
{
	return (level >= 1 && level <= BTS_MAX_LEVELS) ? level : 0;
}

void
bts_place(struct bts *b, int64_t ts, int side, int level)
{
	int lv = bts_level_ix(level);

	if (side != BTS_BUY && side != BTS_SELL) {
		b->ignored++;
		return;
	}
	if (!bts_at(b, &ts))
		return;
	b->s.level[lv].placed[side]++;
	if (lv > b->s.levels)
		b->s.levels = lv;
}

void
bts_fill(struct bts *b, const struct bts_fill *f)
{
	int64_t ts = f->ts_ns;
	int lv = bts_level_ix(f->level);
	double sq, m;

	if ((f->side != BTS_BUY && f->side != BTS_SELL) || !(f->price > 0) ||
	    !isfinite(f->price) || !(f->qty > 0) || !isfinite(f->qty) ||
	    !isfinite(f->fee)) {
		b->ignored++;
		return;
	}
	if (!bts_at(b, &ts))
		return;
	bts_advance(b, ts);
	sq = f->side == BTS_BUY ? f->qty : -f->qty;
	m = isfinite(b->mid) ? b->mid : f->price;
	bts_pos_until(b, ts);
	b->q += sq;
	if (fabsl(b->q) > b->s.max_abs_pos)
		b->s.max_abs_pos = (double)fabsl(b->q);
	b->cash -= (long double)sq * f->price;
	b->fees += f->fee;
	b->spread += (long double)sq * (m - f->price);
	b->sum_qm += (long double)sq * m;
	b->vol_base += f->qty;
	b->vol_quote += (long double)f->qty * f->price;
	if (f->maker) {
		b->s.maker_fills++;
		b->maker_quote += (long double)f->qty * f->price;
	}
	b->s.fills++;
	b->s.level[lv].fills[f->side]++;
	if (lv > b->s.levels)
		b->s.levels = lv;
	if (!isfinite(b->mid))
		b->mark = f->price;
	if (bts_pend_push(b, ts, b->mid, sq) < 0) {
		/* out of memory: this fill's markouts are lost, counted */
		for (int k = 0; k < BTS_NHORIZONS; k++)
			b->s.markout[k].excluded++;
	}
	bts_mark(b);
}

void
bts_funding(struct bts *b, int64_t ts, double amount)
{
	if (!isfinite(amount)) {
		b->ignored++;
		return;
	}
	if (!bts_at(b, &ts))
		return;
	bts_advance(b, ts);
	b->funding += amount;
	b->s.fundings++;
	bts_mark(b);
}

/* Integrate |position| up to ts (it only changes at fills). */
static void
bts_pos_until(struct bts *b, int64_t ts)
{
	if (ts <= b->pos_ts)
		return;
	b->pos_area += fabsl(b->q) * (long double)(ts - b->pos_ts);
	b->pos_ts = ts;
}

/* Integrate the current state sample up to ts. */
static void
bts_state_until(struct bts *b, int64_t ts)
{
	int64_t dt = ts - b->st_ts;

	if (dt <= 0)
		return;
	if (b->st_paused)
		b->paused_ns += dt;
	if (b->st_limit)
		b->limit_ns += dt;
	b->st_ts = ts;
}

void
bts_state(struct bts *b, int64_t ts, double position, bool paused,
    bool at_limit)
{
	if (!isfinite(position)) {
		b->ignored++;
		return;
	}
	if (!bts_at(b, &ts))
		return;
	bts_state_until(b, ts);
	b->st_paused = paused;
	b->st_limit = at_limit;
}

/* Fold the open window into the maxima when ts leaves it (ts = INT64_MAX
 * closes it for good). */
static void
bts_win_roll(struct bts_win *w, int64_t ts, struct bts_summary *s)
{
	int64_t idx = ts == INT64_MAX ? INT64_MAX : bts_floor_div(ts, w->width);
	bool over;

	if (w->open && idx == w->cur)
		return;
	if (w->open) {
		if (w->weight > w->max_weight)
			w->max_weight = w->weight;
		if (w->orders > w->max_orders)
			w->max_orders = w->orders;
		if (w->width == MIN_NS)
			over = w->weight > BTS_LIMIT_WEIGHT_1M ||
			    w->orders > BTS_LIMIT_ORDERS_1M;
		else
			over = w->orders > BTS_LIMIT_ORDERS_10S;
		if (over)
			s->windows_over_limit++;
	}
	w->open = ts != INT64_MAX;
	w->cur = idx;
	w->weight = w->orders = 0;
}

void
bts_request(struct bts *b, int64_t ts, int weight, int orders)
{
	if (weight < 0 || orders < 0) {
		b->ignored++;
		return;
	}
	if (!bts_at(b, &ts))
		return;
	bts_win_roll(&b->w1m, ts, &b->s);
	bts_win_roll(&b->w10s, ts, &b->s);
	b->w1m.weight += (uint64_t)weight;
	b->w1m.orders += (uint64_t)orders;
	b->w10s.weight += (uint64_t)weight;
	b->w10s.orders += (uint64_t)orders;
	b->s.requests++;
	b->s.orders += (uint64_t)orders;
	b->s.weight_total += (uint64_t)weight;
}

/* --- the summary ------------------------------------------------------ */

static double
bts_div(long double a, long double b)
{
	return b != 0 ? (double)(a / b) : NAN;
}

static void
bts_ratios(const struct bts_ret *r, double per_year, double *sharpe,
    double *sortino)
{
	long double n = (long double)r->n, mean, var, dd;

	*sharpe = *sortino = NAN;
	if (r->n < 2)
		return;
	mean = r->sum / n;
	var = (r->sumsq - r->sum * r->sum / n) / (n - 1);
	/* a constant series leaves rounding dust, not a variance: below
	 * 1e-12 of the mean square is taken as none (long double rounding
	 * is ~1e-19 of it) */
	if (var > 1e-12L * (r->sumsq / n))
		*sharpe = (double)(mean / sqrtl(var) * sqrtl(per_year));
	dd = sqrtl(r->down2 / n);
	if (dd > 0)
		*sortino = (double)(mean / dd * sqrtl(per_year));
}

static void
bts_summarise(struct bts *b, int64_t end)
{
	struct bts_summary *s = &b->s;
	long double dur_ns = (long double)(end - b->start);
	double dur_min;
	int k, lv;

	s->start_ns = b->start;
	s->end_ns = end;
	s->duration_s = (double)(dur_ns / NS);
	s->last_mid = b->mid;
	s->final_position = (double)b->q;

	s->spread_pnl = (double)b->spread;
	s->inventory_pnl = isfinite(b->mark) ?
	    (double)(b->q * b->mark - b->sum_qm) : 0;
	s->fees_pnl = (double)-b->fees;
	s->funding_pnl = (double)b->funding;
	s->net_pnl = s->spread_pnl + s->inventory_pnl + s->fees_pnl +
	    s->funding_pnl;
	s->return_pct = s->net_pnl / s->capital * 100;
	s->equity_end = s->capital + s->net_pnl;
	s->ret_over_dd = s->max_dd > 0 ? s->net_pnl / s->max_dd : NAN;

	s->n_ret_1m = b->r1m.n;
	s->n_ret_1d = b->r1d.n;
	bts_ratios(&b->r1m, BTS_MINUTES_PER_YEAR, &s->sharpe_1m,
	    &s->sortino_1m);
	bts_ratios(&b->r1d, BTS_DAYS_PER_YEAR, &s->sharpe_1d, &s->sortino_1d);

	s->volume_base = (double)b->vol_base;
	s->volume_quote = (double)b->vol_quote;
	s->maker_share_pct = bts_div(b->maker_quote * 100, b->vol_quote);
	for (lv = 0; lv <= BTS_MAX_LEVELS; lv++) {
		struct bts_level *l = &s->level[lv];

		l->fill_rate = bts_div(l->fills[0] + l->fills[1],
		    l->placed[0] + l->placed[1]);
	}

	s->avg_abs_pos = bts_div(b->pos_area, dur_ns);
	s->at_limit_s = (double)b->limit_ns / NS;
	s->paused_s = (double)b->paused_ns / NS;
	s->at_limit_pct = bts_div((long double)b->limit_ns * 100, dur_ns);
	s->paused_pct = bts_div((long double)b->paused_ns * 100, dur_ns);

	dur_min = (double)(dur_ns / MIN_NS);
	s->weight_1m_max = (double)b->w1m.max_weight;
	s->orders_1m_max = (double)b->w1m.max_orders;
	s->orders_10s_max = (double)b->w10s.max_orders;
	s->weight_1m_mean = bts_div(s->weight_total, dur_min);
	s->orders_1m_mean = bts_div(s->orders, dur_min);

	for (k = 0; k < BTS_NHORIZONS; k++) {
		struct bts_markout *m = &s->markout[k];

		m->horizon_ns = bts_horizon[k];
		m->mean_bp = bts_div(b->mk_bp[k], m->n);
		m->mean_quote = bts_div(b->mk_q[k], m->n);
		m->sum_quote = (double)b->mk_q[k];
	}
}

const struct bts_summary *
bts_finish(struct bts *b, int64_t end)
{
	const struct bts_pend *p;
	int k;

	if (b->finished)
		return &b->s;
	if (!b->started) {	/* nothing fed: an empty run from start_ns */
		int64_t t = b->start ? b->start : end;

		bts_at(b, &t);
	}
	if (end < b->last)
		end = b->last;
	/* the last window of each return series ends at end, exclusive */
	if (end > b->start) {
		bts_advance(b, end - 1);
		bts_ret_roll(&b->r1m, b->r1m.cur + 1, bts_equity(b));
		bts_ret_roll(&b->r1d, b->r1d.cur + 1, bts_equity(b));
	}
	bts_state_until(b, end);
	bts_pos_until(b, end);
	bts_win_roll(&b->w1m, INT64_MAX, &b->s);
	bts_win_roll(&b->w10s, INT64_MAX, &b->s);

	/* horizons that end by `end` see the last mid; the rest are out */
	for (k = 0; k < BTS_NHORIZONS; k++) {
		for (; b->hzn[k] < b->tail; b->hzn[k]++) {
			p = &b->pend[b->hzn[k] & (b->cap - 1)];
			if (p->ts + bts_horizon[k] <= end)
				bts_markout(b, k, p, b->mid);
			else
				b->s.markout[k].excluded++;
		}
	}
	b->head = b->tail;
	bts_summarise(b, end);
	b->finished = true;
	return &b->s;
}

/* --- writers ---------------------------------------------------------- */

/* A number for the text table: "-" when undefined. */
static const char *
bts_fmt(char *buf, size_t len, double v, int prec)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", prec, v == 0 ? 0.0 : v);
	return buf;
}

static void
bts_row(FILE *fp, const char *label, double v, int prec, const char *unit)
{
	char buf[48];

	fprintf(fp, "  %-30s %16s  %s\n", label, bts_fmt(buf, sizeof(buf), v,
	    prec), unit);
}

static void
bts_rowu(FILE *fp, const char *label, uint64_t v, const char *unit)
{
	fprintf(fp, "  %-30s %16llu  %s\n", label, (unsigned long long)v, unit);
}

static void
bts_text_levels(const struct bts_summary *s, FILE *fp)
{
	char buf[48];
	int lv;

	fprintf(fp, "  %-7s %12s %10s %12s %10s %10s\n", "level",
	    "bid placed", "bid fills", "ask placed", "ask fills", "fill rate");
	for (lv = 1; lv <= s->levels; lv++) {
		const struct bts_level *l = &s->level[lv];

		fprintf(fp, "  %-7d %12llu %10llu %12llu %10llu %10s\n", lv,
		    (unsigned long long)l->placed[BTS_BUY],
		    (unsigned long long)l->fills[BTS_BUY],
		    (unsigned long long)l->placed[BTS_SELL],
		    (unsigned long long)l->fills[BTS_SELL],
		    bts_fmt(buf, sizeof(buf), l->fill_rate, 3));
	}
	if (s->level[0].fills[0] + s->level[0].fills[1] > 0)
		fprintf(fp, "  %-7s %12s %10llu %12s %10llu %10s\n", "other",
		    "", (unsigned long long)s->level[0].fills[BTS_BUY], "",
		    (unsigned long long)s->level[0].fills[BTS_SELL], "");
}

static void
bts_text_markouts(const struct bts_summary *s, FILE *fp)
{
	char b1[48], b2[48], b3[48], b4[48];
	int k;

	fprintf(fp, "  %-7s %10s %10s %12s %14s %14s\n", "horizon", "fills",
	    "excluded", "mean bp", "mean quote", "total quote");
	for (k = 0; k < BTS_NHORIZONS; k++) {
		const struct bts_markout *m = &s->markout[k];

		snprintf(b1, sizeof(b1), "+%lld s",
		    (long long)(m->horizon_ns / NS));
		fprintf(fp, "  %-7s %10llu %10llu %12s %14s %14s\n",
		    b1, (unsigned long long)m->n,
		    (unsigned long long)m->excluded,
		    bts_fmt(b4, sizeof(b4), m->mean_bp, 3),
		    bts_fmt(b2, sizeof(b2), m->mean_quote, 6),
		    bts_fmt(b3, sizeof(b3), m->sum_quote, 4));
	}
}

int
bts_write_text(const struct bts_summary *s, FILE *fp)
{
	fprintf(fp, "PnL (quote currency)\n");
	bts_row(fp, "net PnL", s->net_pnl, 4, "= spread + inventory + fees + funding");
	bts_row(fp, "  spread capture", s->spread_pnl, 4, "sum (mid - price) x signed qty");
	bts_row(fp, "  inventory PnL", s->inventory_pnl, 4, "mid move on the position held");
	bts_row(fp, "  fees", s->fees_pnl, 4, "< 0 paid");
	bts_row(fp, "  funding", s->funding_pnl, 4, "< 0 paid");
	bts_rowu(fp, "funding payments", s->fundings, "");
	bts_row(fp, "capital", s->capital, 2, "");
	bts_row(fp, "equity at end", s->equity_end, 4, "");
	bts_row(fp, "return on capital", s->return_pct, 4, "%");
	fprintf(fp, "risk\n");
	bts_row(fp, "Sharpe, 1-min returns", s->sharpe_1m, 3, "annualised x sqrt(525600)");
	bts_row(fp, "Sortino, 1-min returns", s->sortino_1m, 3, "annualised x sqrt(525600)");
	bts_rowu(fp, "1-min returns", s->n_ret_1m, "UTC minutes");
	bts_row(fp, "Sharpe, daily returns", s->sharpe_1d, 3, "annualised x sqrt(365)");
	bts_row(fp, "Sortino, daily returns", s->sortino_1d, 3, "annualised x sqrt(365)");
	bts_rowu(fp, "daily returns", s->n_ret_1d, "UTC days");
	bts_row(fp, "max drawdown", s->max_dd, 4, "quote");
	bts_row(fp, "max drawdown %", s->max_dd_pct, 4, "% of the peak");
	bts_row(fp, "return / max drawdown", s->ret_over_dd, 3, "");
	fprintf(fp, "trading\n");
	bts_rowu(fp, "fills", s->fills, "");
	bts_rowu(fp, "maker fills", s->maker_fills, "");
	bts_row(fp, "volume", s->volume_base, 6, "base");
	bts_row(fp, "volume", s->volume_quote, 2, "quote");
	bts_row(fp, "maker share", s->maker_share_pct, 2, "% of quote volume");
	bts_text_levels(s, fp);
	fprintf(fp, "inventory\n");
	bts_row(fp, "final position", s->final_position, 6, "base");
	bts_row(fp, "avg |position|", s->avg_abs_pos, 6, "base, time-weighted");
	bts_row(fp, "max |position|", s->max_abs_pos, 6, "base");
	bts_row(fp, "time at the limit", s->at_limit_s, 3, "s");
	bts_row(fp, "time at the limit %", s->at_limit_pct, 2, "% of the run");
	bts_row(fp, "time paused", s->paused_s, 3, "s");
	bts_row(fp, "time paused %", s->paused_pct, 2, "% of the run");
	bts_row(fp, "duration", s->duration_s, 3, "s");
	fprintf(fp, "requests (Binance limits)\n");
	bts_rowu(fp, "requests", s->requests, "");
	bts_rowu(fp, "orders", s->orders, "");
	bts_row(fp, "weight / min, max", s->weight_1m_max, 0, "limit 2400");
	bts_row(fp, "weight / min, mean", s->weight_1m_mean, 2, "");
	bts_row(fp, "orders / min, max", s->orders_1m_max, 0, "limit 1200");
	bts_row(fp, "orders / min, mean", s->orders_1m_mean, 2, "");
	bts_row(fp, "orders / 10 s, max", s->orders_10s_max, 0, "limit 300");
	bts_rowu(fp, "windows over a limit", s->windows_over_limit, "");
	fprintf(fp, "markouts (mid move after a fill, < 0 = adverse selection)\n");
	bts_text_markouts(s, fp);
	return ferror(fp) ? -1 : 0;
}

/* A real for the JSON: null when undefined, no negative zero. */
static json_t *
bts_jreal(double v)
{
	if (!isfinite(v))
		return json_null();
	return json_real(v == 0 ? 0.0 : v);
}

static void
bts_jset(json_t *o, const char *key, double v)
{
	json_object_set_new(o, key, bts_jreal(v));
}

static void
bts_jint(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *
bts_json_levels(const struct bts_summary *s)
{
	json_t *a = json_array(), *o;
	int lv;

	for (lv = 0; lv <= s->levels; lv++) {
		const struct bts_level *l = &s->level[lv];

		if (lv == 0 && l->fills[0] + l->fills[1] + l->placed[0] +
		    l->placed[1] == 0)
			continue;
		o = json_object();
		bts_jint(o, "level", (uint64_t)lv);
		bts_jint(o, "bid_placed", l->placed[BTS_BUY]);
		bts_jint(o, "bid_fills", l->fills[BTS_BUY]);
		bts_jint(o, "ask_placed", l->placed[BTS_SELL]);
		bts_jint(o, "ask_fills", l->fills[BTS_SELL]);
		bts_jset(o, "fill_rate", l->fill_rate);
		json_array_append_new(a, o);
	}
	return a;
}

/* Flat: every scalar figure is a top-level key (sweep sorts by any). */
static json_t *
bts_json(const struct bts_summary *s)
{
	static const char *const hname[BTS_NHORIZONS] = { "1s", "10s", "60s" };
	json_t *o = json_object();
	char key[48];
	int k;

	json_object_set_new(o, "start_ns", json_integer(s->start_ns));
	json_object_set_new(o, "end_ns", json_integer(s->end_ns));
	bts_jset(o, "duration_s", s->duration_s);
	bts_jset(o, "capital", s->capital);
	bts_jset(o, "net_pnl", s->net_pnl);
	bts_jset(o, "spread_pnl", s->spread_pnl);
	bts_jset(o, "inventory_pnl", s->inventory_pnl);
	bts_jset(o, "fees_pnl", s->fees_pnl);
	bts_jset(o, "funding_pnl", s->funding_pnl);
	bts_jint(o, "fundings", s->fundings);
	bts_jset(o, "return_pct", s->return_pct);
	bts_jset(o, "equity_end", s->equity_end);
	bts_jset(o, "final_position", s->final_position);
	bts_jset(o, "last_mid", s->last_mid);
	bts_jset(o, "sharpe_1m", s->sharpe_1m);
	bts_jset(o, "sortino_1m", s->sortino_1m);
	bts_jint(o, "n_ret_1m", s->n_ret_1m);
	bts_jset(o, "sharpe_1d", s->sharpe_1d);
	bts_jset(o, "sortino_1d", s->sortino_1d);
	bts_jint(o, "n_ret_1d", s->n_ret_1d);
	bts_jset(o, "max_dd", s->max_dd);
	bts_jset(o, "max_dd_pct", s->max_dd_pct);
	bts_jset(o, "ret_over_dd", s->ret_over_dd);
	bts_jint(o, "fills", s->fills);
	bts_jint(o, "maker_fills", s->maker_fills);
	bts_jset(o, "volume_base", s->volume_base);
	bts_jset(o, "volume_quote", s->volume_quote);
	bts_jset(o, "maker_share_pct", s->maker_share_pct);
	bts_jset(o, "avg_abs_pos", s->avg_abs_pos);
	bts_jset(o, "max_abs_pos", s->max_abs_pos);
	bts_jset(o, "at_limit_s", s->at_limit_s);
	bts_jset(o, "at_limit_pct", s->at_limit_pct);
	bts_jset(o, "paused_s", s->paused_s);
	bts_jset(o, "paused_pct", s->paused_pct);
	bts_jint(o, "requests", s->requests);
	bts_jint(o, "orders", s->orders);
	bts_jint(o, "weight_total", s->weight_total);
	bts_jset(o, "weight_1m_max", s->weight_1m_max);
	bts_jset(o, "weight_1m_mean", s->weight_1m_mean);
	bts_jset(o, "orders_1m_max", s->orders_1m_max);
	bts_jset(o, "orders_1m_mean", s->orders_1m_mean);
	bts_jset(o, "orders_10s_max", s->orders_10s_max);
	bts_jint(o, "windows_over_limit", s->windows_over_limit);
	for (k = 0; k < BTS_NHORIZONS; k++) {
		const struct bts_markout *m = &s->markout[k];

		snprintf(key, sizeof(key), "markout_%s_n", hname[k]);
		bts_jint(o, key, m->n);
		snprintf(key, sizeof(key), "markout_%s_excluded", hname[k]);
		bts_jint(o, key, m->excluded);
		snprintf(key, sizeof(key), "markout_%s_bp", hname[k]);
		bts_jset(o, key, m->mean_bp);
		snprintf(key, sizeof(key), "markout_%s_quote", hname[k]);
		bts_jset(o, key, m->mean_quote);
		snprintf(key, sizeof(key), "markout_%s_sum_quote", hname[k]);
		bts_jset(o, key, m->sum_quote);
	}
	json_object_set_new(o, "levels", bts_json_levels(s));
	return o;
}

int
bts_write_json(const struct bts_summary *s, FILE *fp)
{
	json_t *o = bts_json(s);
	int rc;

	if (o == NULL)
		return -1;
	rc = json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(12));
	json_decref(o);
	if (rc == 0 && fputc('\n', fp) == EOF)
		rc = -1;
	return rc == 0 && !ferror(fp) ? 0 : -1;
}
