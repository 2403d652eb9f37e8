/*
 * ctl_report.c — the pure part of `pmmctl report` (see ctl_report.h):
 * metrics CSV rows into time series, the series into gnuplot data files
 * and a script, the history sums and the charts into an HTML page. No
 * I/O, no clock: ctl_report_make.c reads, writes and runs gnuplot.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_report.h"

const char *const rpt_chart_file[RPT_NCHARTS] = {
	"mid.png", "position.png", "pnl.png"
};

/* ---- text ----------------------------------------------------------------- */

/* Text from the CSV (an operator's pause reason, an instance name) in a
 * page: never markup. */
static void
rpt_esc(struct text_buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': text_buf_printf(b, "&lt;"); break;
		case '>': text_buf_printf(b, "&gt;"); break;
		case '&': text_buf_printf(b, "&amp;"); break;
		case '"': text_buf_printf(b, "&quot;"); break;
		case '\'': text_buf_printf(b, "&#39;"); break;
		default: text_buf_printf(b, "%c", *s);
		}
}

/* ---- rows into series ----------------------------------------------------- */

/* A field into a short buffer, cut to fit. */
static void
rpt_cpy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
rpt_init(struct rpt *r, int64_t since_ns, int64_t until_ns,
    const char *instance)
{
	memset(r, 0, sizeof(*r));
	chist_init(&r->h, since_ns, until_ns, instance);
	r->mark = r->mid_last = NAN;
}

void
rpt_free(struct rpt *r)
{
	free(r->mid.p);
	free(r->fills.p);
	free(r->pos.p);
	free(r->pnl.p);
	free(r->q);
	memset(r, 0, sizeof(*r));
}

static struct rpt_pt *
rpt_push(struct rpt *r, struct rpt_series *s, int64_t t)
{
	struct rpt_pt *np;
	size_t cap;
	int i;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		if ((np = realloc(s->p, cap * sizeof(*np))) == NULL) {
			r->oom = 1;
			return NULL;
		}
		s->p = np;
		s->cap = cap;
	}
	np = &s->p[s->n++];
	np->t = t;
	np->seq = r->seq++;
	for (i = 0; i < 5; i++)
		np->v[i] = NAN;
	return np;
}

/* A finite number filling the whole field; -1 if not that. */
static int
rpt_num(const char *s, double *v)
{
	char *end;

	if (*s == '\0')
		return -1;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

/* One open_orders row: the price of that side's level at that sample
 * (all rows of a sample carry its one timestamp). */
static void
rpt_quote_row(struct rpt *r, char f[][CHIST_FMAX], int64_t ts)
{
	struct rpt_quote *q;
	double cnt, px;
	int side, level, i, j;
	size_t cap;

	if (strcmp(f[CHIST_SIDE], "BUY") == 0)
		side = 0;
	else if (strcmp(f[CHIST_SIDE], "SELL") == 0)
		side = 1;
	else
		return;				/* the total row */
	level = atoi(f[CHIST_LEVEL]);
	if (level < 1 || level > RPT_LEVELS)
		return;
	if (r->nq == 0 || r->q[r->nq - 1].t != ts) {
		if (r->nq == r->capq) {
			cap = r->capq ? r->capq * 2 : 1024;
			if ((q = realloc(r->q, cap * sizeof(*q))) == NULL) {
				r->oom = 1;
				return;
			}
			r->q = q;
			r->capq = cap;
		}
		q = &r->q[r->nq++];
		q->t = ts;
		for (i = 0; i < 2; i++)
			for (j = 0; j < RPT_LEVELS; j++)
				q->px[i][j] = NAN;
	}
	if (level > r->levels)
		r->levels = level;
	/* the first order of the rung: "price=60000.1 qty=0.002[; ...]" */
	if (rpt_num(f[CHIST_VALUE], &cnt) == 0 && cnt > 0 &&
	    chist_detail(f[CHIST_DETAILS], "price", &px) == 0)
		r->q[r->nq - 1].px[side][level - 1] = px;
}

static void
rpt_row(struct rpt *r, char f[][CHIST_FMAX], int64_t ts, double dreal,
    double dfee)
{
	const char *m = f[CHIST_METRIC];
	struct rpt_pt *p;
	double v, px;

	if (strcmp(m, "mid_price") == 0 && rpt_num(f[CHIST_VALUE], &v) == 0) {
		if ((p = rpt_push(r, &r->mid, ts)) != NULL)
			p->v[0] = v;
		r->mid_last = v;
		rpt_cpy(r->quote, sizeof(r->quote), f[CHIST_UNIT]);
	} else if (strcmp(m, "mark_price") == 0 &&
	    rpt_num(f[CHIST_VALUE], &v) == 0)
		r->mark = v;
	else if (strcmp(m, "position") == 0 &&
	    rpt_num(f[CHIST_VALUE], &v) == 0) {
		if ((p = rpt_push(r, &r->pos, ts)) != NULL) {
			p->v[0] = v;
			p->v[2] = isnan(r->mark) ? r->mid_last : r->mark;
		}
		rpt_cpy(r->base, sizeof(r->base), f[CHIST_UNIT]);
	} else if (strcmp(m, "unrealized_pnl") == 0 &&
	    rpt_num(f[CHIST_VALUE], &v) == 0) {
		if ((p = rpt_push(r, &r->pnl, ts)) != NULL)
			p->v[1] = v;
	} else if (strcmp(m, "funding_fee") == 0 &&
	    rpt_num(f[CHIST_VALUE], &v) == 0) {
		if ((p = rpt_push(r, &r->pnl, ts)) != NULL)
			p->v[3] = v;
	} else if (strcmp(m, "fill") == 0 &&
	    rpt_num(f[CHIST_VALUE], &v) == 0 &&
	    chist_detail(f[CHIST_DETAILS], "price", &px) == 0) {
		if ((p = rpt_push(r, &r->fills, ts)) != NULL) {
			p->v[0] = px;
			p->v[1] = v;
			p->v[2] = f[CHIST_SIDE][0] == 'B' ? 1 : -1;
		}
		if ((p = rpt_push(r, &r->pnl, ts)) != NULL) {
			p->v[0] = dreal;
			p->v[2] = dfee;
		}
	} else if (strcmp(m, "open_orders") == 0)
		rpt_quote_row(r, f, ts);
	else if (strcmp(m, "risk_action") == 0 &&
	    chist_detail(f[CHIST_DETAILS], "limit", &v) == 0 && v > 0)
		r->limit = v;
}

void
rpt_record(struct rpt *r, const char *rec, size_t len)
{
	char f[CHIST_NCOLS + 1][CHIST_FMAX];
	double real = r->h.realized, fee = r->h.fees;
	int64_t ts;
	const char *o;

	/* the history sums decide what counts (and what a fill's fee is:
	 * only one in the quote asset); the charts follow them */
	if (!chist_take(&r->h, rec, len, f, &ts))
		return;
	if (!r->have_off) {
		o = f[CHIST_TS] + 23;		/* "+01:00" */
		r->utc_off_s = (o[0] == '-' ? -1 : 1) * ((o[1] - '0') * 36000 +
		    (o[2] - '0') * 3600 + (o[4] - '0') * 600 + (o[5] - '0') * 60);
		r->have_off = 1;
		rpt_cpy(r->inst, sizeof(r->inst), f[CHIST_INST]);
		rpt_cpy(r->env, sizeof(r->env), f[CHIST_ENV]);
	}
	if (r->symbol[0] == '\0' && f[CHIST_SYMBOL][0] != '\0')
		rpt_cpy(r->symbol, sizeof(r->symbol), f[CHIST_SYMBOL]);
	rpt_row(r, f, ts, r->h.realized - real, r->h.fees - fee);
}

static void
rpt_rec_cb(void *arg, const char *rec, size_t len)
{
	rpt_record(arg, rec, len);
}

size_t
rpt_feed(struct rpt *r, const char *buf, size_t len)
{
	return chist_scan(buf, len, rpt_rec_cb, r);
}

void
rpt_feed_end(struct rpt *r, const char *buf, size_t len)
{
	chist_feed_end(&r->h, buf, len);
}

static int
rpt_pt_cmp(const void *a, const void *b)
{
	const struct rpt_pt *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
rpt_q_cmp(const void *a, const void *b)
{
	const struct rpt_quote *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

static void
rpt_sort(struct rpt_series *s)
{
	if (s->n > 1)
		qsort(s->p, s->n, sizeof(*s->p), rpt_pt_cmp);
}

void
rpt_finish(struct rpt *r, double limit_quote)
{
	double real = 0, unreal = NAN, fees = 0, fund = 0;
	struct rpt_pt *p;
	size_t i;

	rpt_sort(&r->mid);
	rpt_sort(&r->fills);
	rpt_sort(&r->pos);
	rpt_sort(&r->pnl);
	if (r->nq > 1)
		qsort(r->q, r->nq, sizeof(*r->q), rpt_q_cmp);
	if (limit_quote > 0)
		r->limit = limit_quote;
	/* the limit is on the notional: in base it moves with the mark */
	for (i = 0; i < r->pos.n; i++) {
		p = &r->pos.p[i];
		p->v[1] = r->limit > 0 && p->v[2] > 0 ? r->limit / p->v[2] :
		    NAN;
	}
	/* sums from the window's start: the last point's net is history's */
	for (i = 0; i < r->pnl.n; i++) {
		p = &r->pnl.p[i];
		if (!isnan(p->v[0]))
			real += p->v[0];
		if (!isnan(p->v[2]))
			fees += p->v[2];
		if (!isnan(p->v[3]))
			fund += p->v[3];
		if (!isnan(p->v[1]))
			unreal = p->v[1];
		p->v[0] = real;
		p->v[1] = unreal;
		p->v[2] = fees;
		p->v[3] = fund;
		p->v[4] = real - fees + fund + (isnan(unreal) ? 0 : unreal);
	}
}

int
rpt_has(const struct rpt *r, enum rpt_chart c)
{
	switch (c) {
	case RPT_MID: return r->mid.n > 0;
	case RPT_POS: return r->pos.n > 0;
	case RPT_PNL: return r->pnl.n > 0;
	default: return 0;
	}
}

/* ---- gnuplot -------------------------------------------------------------- */

enum { D_MID, D_QUOTES, D_BUYS, D_SELLS, D_POS, D_PNL, D_N };
static const char *const rpt_dat[D_N] = {
	"mid.dat", "quotes.dat", "buys.dat", "sells.dat", "position.dat",
	"pnl.dat"
};

/* Seconds in the rows' local time: gnuplot prints times as UTC. */
static double
rpt_x(const struct rpt *r, int64_t t)
{
	return (double)t / 1e9 + r->utc_off_s;
}

static void
rpt_val(struct text_buf *b, double v)
{
	if (isnan(v))
		text_buf_printf(b, " NaN");
	else
		text_buf_printf(b, " %.10g", v);
}

static void
rpt_pt_line(const struct rpt *r, const struct rpt_pt *p, int nv,
    struct text_buf *b)
{
	int k;

	text_buf_printf(b, "%.3f", rpt_x(r, p->t));
	for (k = 0; k < nv; k++)
		rpt_val(b, p->v[k]);
	text_buf_printf(b, "\n");
}

/* The fills of one side (1 buy, -1 sell): every one. */
static void
rpt_fills_dat(const struct rpt *r, int side, struct text_buf *b)
{
	size_t i;

	for (i = 0; i < r->fills.n; i++)
		if (r->fills.p[i].v[2] == side)
			rpt_pt_line(r, &r->fills.p[i], 2, b);
}

/*
 * A sampled series: every point up to RPT_MAX_POINTS, else the points
 * holding the least and the largest v[key] of each of RPT_MAX_POINTS / 2
 * equal time buckets, in time order (and the last point): a chart 1100
 * pixels wide shows no more, loses no spike, and gnuplot draws a day in a
 * second instead of a quarter of a minute.
 */
static void
rpt_series_dat(const struct rpt *r, const struct rpt_series *s, int nv,
    int key, struct text_buf *b)
{
	int64_t t0, span, bucket, cur = -1;
	size_t i, lo = 0, hi = 0;

	if (s->n <= RPT_MAX_POINTS) {
		for (i = 0; i < s->n; i++)
			rpt_pt_line(r, &s->p[i], nv, b);
		return;
	}
	t0 = s->p[0].t;
	span = s->p[s->n - 1].t - t0 + 1;
	for (i = 0; i <= s->n; i++) {
		bucket = i < s->n ? (int64_t)((double)(s->p[i].t - t0) /
		    span * (RPT_MAX_POINTS / 2)) : -2;
		if (bucket != cur && cur != -1) {
			rpt_pt_line(r, &s->p[lo < hi ? lo : hi], nv, b);
			if (lo != hi)
				rpt_pt_line(r, &s->p[lo < hi ? hi : lo], nv,
				    b);
		}
		if (i == s->n)
			break;
		if (bucket != cur) {
			cur = bucket;
			lo = hi = i;
		}
		/* NaN (unknown) never wins: a known value is kept */
		if (s->p[i].v[key] < s->p[lo].v[key] || isnan(s->p[lo].v[key]))
			lo = i;
		if (s->p[i].v[key] > s->p[hi].v[key] || isnan(s->p[hi].v[key]))
			hi = i;
	}
	if (lo != s->n - 1 && hi != s->n - 1)
		rpt_pt_line(r, &s->p[s->n - 1], nv, b);
}

/* The quote samples: every one up to RPT_MAX_POINTS, else evenly spaced
 * ones (the ladder follows the mid, which is drawn in full). */
static void
rpt_quotes_dat(const struct rpt *r, struct text_buf *b)
{
	size_t j, step = (r->nq + RPT_MAX_POINTS - 1) / RPT_MAX_POINTS;
	int s, l;

	if (step == 0)
		step = 1;
	for (j = 0; j < r->nq; j += step) {
		text_buf_printf(b, "%.3f", rpt_x(r, r->q[j].t));
		for (s = 0; s < 2; s++)
			for (l = 0; l < r->levels; l++)
				rpt_val(b, r->q[j].px[s][l]);
		text_buf_printf(b, "\n");
	}
}

int
rpt_data(const struct rpt *r, int i, const char **name, struct text_buf *b)
{
	if (i < 0 || i >= D_N)
		return -1;
	*name = rpt_dat[i];
	switch (i) {
	case D_MID:
		text_buf_printf(b, "# time mid\n");
		rpt_series_dat(r, &r->mid, 1, 0, b);
		break;
	case D_QUOTES:
		text_buf_printf(b, "# time bid1..bid%d ask1..ask%d\n", r->levels,
		    r->levels);
		rpt_quotes_dat(r, b);
		break;
	case D_BUYS:
	case D_SELLS:
		text_buf_printf(b, "# time price qty\n");
		rpt_fills_dat(r, i == D_BUYS ? 1 : -1, b);
		break;
	case D_POS:
		text_buf_printf(b, "# time position limit_base\n");
		rpt_series_dat(r, &r->pos, 2, 0, b);
		break;
	case D_PNL:
		text_buf_printf(b, "# time realized unrealized fees funding "
		    "net\n");
		rpt_series_dat(r, &r->pnl, 5, 4, b);
		break;
	}
	return 0;
}

static size_t
rpt_count_side(const struct rpt *r, int side)
{
	size_t i, n = 0;

	for (i = 0; i < r->fills.n; i++)
		n += r->fills.p[i].v[2] == side;
	return n;
}

/* Any quote of that side and level in the window? */
static int
rpt_has_quote(const struct rpt *r, int side, int level)
{
	size_t j;

	for (j = 0; j < r->nq; j++)
		if (!isnan(r->q[j].px[side][level]))
			return 1;
	return 0;
}

static void
rpt_gp_mid(const struct rpt *r, struct text_buf *b)
{
	static const char *const col[2] = { "#2a7fbf", "#d0502a" };
	int s, l;

	text_buf_printf(b, "set output \"mid.png\"\nset title \"Mid price, our "
	    "quotes and fills\"\nset ylabel \"price (%s)\"\nplot "
	    "\"mid.dat\" using 1:2 with lines lw 2 lc rgb \"#222222\" "
	    "title \"mid\"", r->quote[0] ? r->quote : "quote");
	for (s = 0; s < 2; s++)
		for (l = 0; l < r->levels; l++) {
			if (!rpt_has_quote(r, s, l))
				continue;
			text_buf_printf(b, ", \\\n  \"quotes.dat\" using 1:%d "
			    "with steps lw %s lc rgb \"%s\" title \"%s %d\"",
			    2 + s * r->levels + l, l == 0 ? "1.5" : "0.7",
			    col[s], s == 0 ? "bid" : "ask", l + 1);
		}
	if (rpt_count_side(r, 1) > 0)
		text_buf_printf(b, ", \\\n  \"buys.dat\" using 1:2 with points "
		    "pt 9 ps 1.6 lc rgb \"#138a36\" title \"our buys\"");
	if (rpt_count_side(r, -1) > 0)
		text_buf_printf(b, ", \\\n  \"sells.dat\" using 1:2 with points "
		    "pt 11 ps 1.6 lc rgb \"#c0122b\" title \"our sells\"");
	text_buf_printf(b, "\n");
}

/* Is the limit line so far from the position that drawing it would
 * flatten the position into the zero line? Then the title gives it. */
static int
rpt_limit_far(const struct rpt *r, double *lim)
{
	double maxp = 0, minl = INFINITY;
	size_t i;

	for (i = 0; i < r->pos.n; i++) {
		if (fabs(r->pos.p[i].v[0]) > maxp)
			maxp = fabs(r->pos.p[i].v[0]);
		if (r->pos.p[i].v[1] < minl)
			minl = r->pos.p[i].v[1];
	}
	*lim = minl;
	return isfinite(minl) && minl > 5 * maxp;
}

static void
rpt_gp_pos(const struct rpt *r, struct text_buf *b)
{
	double lim = NAN;
	int far = r->limit > 0 && rpt_limit_far(r, &lim);

	if (far)
		text_buf_printf(b, "set output \"position.png\"\nset title "
		    "\"Position (its limit, +-%.6g %s at the mark or more, is "
		    "off this scale)\"\n", lim, r->base[0] ? r->base : "base");
	else
		text_buf_printf(b, "set output \"position.png\"\nset title "
		    "\"Position%s\"\n", r->limit > 0 ? " and its limit at the "
		    "mark" : "");
	text_buf_printf(b, "set ylabel \"position (%s)\"\nplot \"position.dat\" "
	    "using 1:2 with steps lw 2 lc rgb \"#2a7fbf\" title \"position\"",
	    r->base[0] ? r->base : "base");
	if (r->limit > 0 && !far)
		text_buf_printf(b, ", \\\n  \"position.dat\" using 1:3 with "
		    "lines dt 2 lw 1.5 lc rgb \"#c0122b\" title \"+limit "
		    "(%.10g notional)\", \\\n  \"position.dat\" using "
		    "1:(-$3) with lines dt 2 lw 1.5 lc rgb \"#c0122b\" title "
		    "\"-limit\"", r->limit);
	text_buf_printf(b, ", \\\n  0 with lines lc rgb \"#888888\" notitle\n");
}

static void
rpt_gp_pnl(const struct rpt *r, struct text_buf *b)
{
	text_buf_printf(b, "set output \"pnl.png\"\nset title \"PnL since the "
	    "window's start\"\nset ylabel \"%s\"\nplot \"pnl.dat\" using 1:2 "
	    "with steps lw 1.5 lc rgb \"#2a7fbf\" title \"realized\", \\\n"
	    "  \"pnl.dat\" using 1:3 with lines lw 1.5 lc rgb \"#e09b00\" "
	    "title \"unrealized\", \\\n  \"pnl.dat\" using 1:4 with steps "
	    "lw 1.5 lc rgb \"#c0122b\" title \"fees paid\", \\\n",
	    r->quote[0] ? r->quote : "quote");
	if (r->h.have_funding)
		text_buf_printf(b, "  \"pnl.dat\" using 1:5 with steps lw 1.5 "
		    "lc rgb \"#7a3fbf\" title \"funding\", \\\n");
	text_buf_printf(b, "  \"pnl.dat\" using 1:6 with lines lw 2.5 lc rgb "
	    "\"#138a36\" title \"net\", \\\n  0 with lines lc rgb "
	    "\"#888888\" notitle\n");
}

void
rpt_gnuplot(const struct rpt *r, struct text_buf *b)
{
	int64_t span = r->h.last_ns - r->h.first_ns;
	int off = r->utc_off_s < 0 ? -r->utc_off_s : r->utc_off_s;

	text_buf_printf(b, "# made by pmmctl report (supervisor/ctl_report.c)\n"
	    "set terminal pngcairo size 1100,440 font \"DejaVu Sans,10\"\n"
	    "set datafile missing \"NaN\"\nset xdata time\nset timefmt "
	    "\"%%s\"\nset format x \"%s\"\nset xlabel \"local time (UTC%c"
	    "%02d:%02d)\"\nset grid\nset key outside right top\n"
	    "set format y \"%%.10g\"\n",
	    span > 86400LL * 1000000000 ? "%m-%d %H:%M" : "%H:%M:%S",
	    r->utc_off_s < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
	if (rpt_has(r, RPT_MID))
		rpt_gp_mid(r, b);
	if (rpt_has(r, RPT_POS))
		rpt_gp_pos(r, b);
	if (rpt_has(r, RPT_PNL))
		rpt_gp_pnl(r, b);
}

/* ---- the page ------------------------------------------------------------- */

/* "2026-12-06 08:12:25" at the rows' UTC offset, and the offset. */
static void
rpt_when(const struct rpt *r, struct text_buf *b, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000) + r->utc_off_s;
	int off = r->utc_off_s < 0 ? -r->utc_off_s : r->utc_off_s;
	char s[40];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	text_buf_printf(b, "%s UTC%c%02d:%02d", s, r->utc_off_s < 0 ? '-' : '+',
	    off / 3600, off % 3600 / 60);
}

/* One figure of the history table: the text as pmmctl history prints
 * it, the full value in data-v (for a program reading the page). */
static void
rpt_fig(struct text_buf *b, json_t *hist, const char *key, const char *label,
    int decimals, const char *unit)
{
	json_t *v = json_object_get(hist, key);

	text_buf_printf(b, "<tr><th>%s</th><td id=\"h-%s\"", label, key);
	if (json_is_integer(v))
		text_buf_printf(b, " data-v=\"%lld\">%lld",
		    (long long)json_integer_value(v),
		    (long long)json_integer_value(v));
	else if (json_is_number(v))
		text_buf_printf(b, " data-v=\"%.15g\">%.*f",
		    json_number_value(v), decimals, json_number_value(v));
	else {
		text_buf_printf(b, " data-v=\"\">n/a</td></tr>\n");
		return;
	}
	text_buf_printf(b, "%s%s</td></tr>\n", unit[0] ? " " : "", unit);
}

static void
rpt_table(const struct rpt *r, json_t *hist, struct text_buf *b)
{
	const char *q = r->quote[0] ? r->quote : "quote";
	const char *bs = r->base[0] ? r->base : "base";
	json_t *why;
	size_t i;

	text_buf_printf(b, "<h2>History</h2>\n<table id=\"history\">\n");
	rpt_fig(b, hist, "trades", "Trades", 0, "");
	rpt_fig(b, hist, "buys", "Buys", 0, "");
	rpt_fig(b, hist, "sells", "Sells", 0, "");
	rpt_fig(b, hist, "maker", "Maker fills", 0, "");
	rpt_fig(b, hist, "buy_qty", "Bought", 6, bs);
	rpt_fig(b, hist, "sell_qty", "Sold", 6, bs);
	rpt_fig(b, hist, "volume_quote", "Volume", 2, q);
	rpt_fig(b, hist, "avg_buy_price", "Average buy price", 2, q);
	rpt_fig(b, hist, "avg_sell_price", "Average sell price", 2, q);
	rpt_fig(b, hist, "fees", "Fees", 4, q);
	rpt_fig(b, hist, "funding", "Funding", 4, q);
	rpt_fig(b, hist, "realized_pnl", "Realized PnL", 4, q);
	rpt_fig(b, hist, "unrealized_pnl", "Unrealized PnL (last)", 4, q);
	rpt_fig(b, hist, "net_pnl", "Net PnL", 4, q);
	rpt_fig(b, hist, "initial_capital", "Initial capital", 0, q);
	rpt_fig(b, hist, "return_pct", "Return", 3, "%");
	rpt_fig(b, hist, "max_abs_position", "Max |position|", 6, bs);
	rpt_fig(b, hist, "pauses", "Pauses", 0, "");
	rpt_fig(b, hist, "paused_s", "Time paused", 1, "s");
	rpt_fig(b, hist, "restarts", "Restarts (services that died)", 0, "");
	text_buf_printf(b, "</table>\n");
	why = json_object_get(hist, "pause_reasons");
	if (json_array_size(why) == 0)
		return;
	text_buf_printf(b, "<h3>Paused, by reason</h3>\n<table id=\"pauses\">\n");
	for (i = 0; i < json_array_size(why); i++) {
		json_t *w = json_array_get(why, i);

		text_buf_printf(b, "<tr><th>");
		rpt_esc(b, json_string_value(json_object_get(w, "reason")) ?
		    json_string_value(json_object_get(w, "reason")) : "");
		text_buf_printf(b, "</th><td>%.1f s</td></tr>\n",
		    json_number_value(json_object_get(w, "seconds")));
	}
	text_buf_printf(b, "</table>\n");
}

static const char *const rpt_caption[RPT_NCHARTS] = {
	"The mid price, our quotes per side and level (a gap: no order on "
	    "that rung) and our fills (buys &#9650;, sells &#9660;).",
	"The position, and the limit on its notional in base at the mark "
	    "price of the moment.",
	"PnL summed from the window's start: realized (fills), unrealized "
	    "(the last sample), fees paid, net = realized - fees + funding + "
	    "unrealized.",
};
static const char *const rpt_missing[RPT_NCHARTS] = {
	"No mid_price samples in this window: no price chart.",
	"No position samples in this window: no position chart.",
	("No fills and no unrealized_pnl samples in this window: no PnL "
	    "chart."),
};

static void
rpt_charts(const struct rpt *r, struct text_buf *b)
{
	int c;

	text_buf_printf(b, "<h2>Charts</h2>\n");
	for (c = 0; c < RPT_NCHARTS; c++) {
		if (!rpt_has(r, c)) {
			text_buf_printf(b, "<p class=\"note\" id=\"no-%.*s\">%s"
			    "</p>\n", (int)strcspn(rpt_chart_file[c], "."),
			    rpt_chart_file[c], rpt_missing[c]);
			continue;
		}
		text_buf_printf(b, "<figure><img src=\"%s\" alt=\"%s\" "
		    "width=\"1100\" height=\"440\"><figcaption>%s"
		    "</figcaption></figure>\n", rpt_chart_file[c],
		    rpt_chart_file[c], rpt_caption[c]);
	}
	if (r->limit <= 0 && rpt_has(r, RPT_POS))
		text_buf_printf(b, "<p class=\"note\">The position limit is not "
		    "known (no config and no risk_action row): no limit "
		    "lines.</p>\n");
}

/* The images' state for a program reading the page (a headless browser):
 * body data-images = loaded | broken | none. */
static const char rpt_script[] =
    "<script>\n"
    "addEventListener('load', function () {\n"
    "  var im = document.images, ok = true, i;\n"
    "  for (i = 0; i < im.length; i++)\n"
    "    if (!im[i].complete || im[i].naturalWidth === 0) ok = false;\n"
    "  document.body.setAttribute('data-image-count', im.length);\n"
    "  document.body.setAttribute('data-images', im.length === 0 ? 'none' :\n"
    "      ok ? 'loaded' : 'broken');\n"
    "});\n"
    "</script>\n";

static const char rpt_css[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:1.5em 2em;"
    "color:#222;background:#fff}\n"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;"
    "margin-top:1.5em;border-bottom:1px solid #ccc}\n"
    ".meta{color:#555}.note{color:#8a5a00}.warn{color:#b00020;"
    "font-weight:bold}\n"
    "table{border-collapse:collapse}th{text-align:left;font-weight:normal;"
    "padding:2px 1.5em 2px 0}td{text-align:right;padding:2px 0;"
    "font-variant-numeric:tabular-nums}\n"
    "figure{margin:1em 0}img{max-width:100%;height:auto;"
    "border:1px solid #ddd}figcaption{color:#555;font-size:.9em}\n";

void
rpt_html(const struct rpt *r, json_t *hist, const struct rpt_opts *o,
    int64_t now_ns, struct text_buf *b)
{
	const char *title = o->title ? o->title : "pmm report";
	int empty = r->h.first_ns == 0;

	text_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\">\n<title>");
	rpt_esc(b, title);
	text_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body "
	    "data-images=\"pending\">\n<h1>", rpt_css);
	rpt_esc(b, title);
	text_buf_printf(b, "</h1>\n<p class=\"meta\">");
	if (!empty) {
		text_buf_printf(b, "instance <b id=\"instance\">");
		rpt_esc(b, r->inst);
		text_buf_printf(b, "</b> &middot; ");
		rpt_esc(b, r->env);
		text_buf_printf(b, " &middot; ");
		rpt_esc(b, r->symbol);
		text_buf_printf(b, "<br>\nrows from <span id=\"first\">");
		rpt_when(r, b, r->h.first_ns);
		text_buf_printf(b, "</span> to <span id=\"last\">");
		rpt_when(r, b, r->h.last_ns);
		text_buf_printf(b, "</span><br>\n");
	}
	text_buf_printf(b, "window <span id=\"window\">");
	if (r->h.since_ns)
		rpt_when(r, b, r->h.since_ns);
	else
		text_buf_printf(b, "the first row");
	text_buf_printf(b, " .. ");
	if (r->h.until_ns)
		rpt_when(r, b, r->h.until_ns);
	else
		text_buf_printf(b, "the last row");
	text_buf_printf(b, "</span> &middot; generated <span id=\"generated\">");
	rpt_when(r, b, now_ns);
	text_buf_printf(b, "</span></p>\n<p id=\"records\" data-records=\"%llu\" "
	    "data-skipped=\"%llu\"%s>%llu CSV records read, %llu skipped (torn "
	    "or foreign lines)%s</p>\n", (unsigned long long)r->h.records,
	    (unsigned long long)r->h.skipped, r->h.skipped ? " class=\"warn\"" :
	    "", (unsigned long long)r->h.records,
	    (unsigned long long)r->h.skipped, r->h.other_instance ?
	    ", rows of other instances left out" : "");
	if (empty) {
		text_buf_printf(b, "<p id=\"empty\" class=\"warn\">No row in "
		    "this window: nothing to show.</p>\n");
	} else
		rpt_table(r, hist, b);
	if (o->extra_html)
		text_buf_printf(b, "<div id=\"extra\">\n%s\n</div>\n",
		    o->extra_html);
	if (!empty)
		rpt_charts(r, b);
	text_buf_printf(b, "%s</body>\n</html>\n", rpt_script);
}
