/*
 * bench_history.c — what `pmmctl history` and `pmmctl report` cost over a
 * day of metrics CSV.
 *
 * The day is written by the logger's own row code (services/logrow.c into
 * services/csvlog.c): 86400 one-second samples of a quoting tree (LEVELS
 * levels a side open, every section published, the mid walking) and a fill
 * every 10 s, into one metrics-YYYYMMDD.csv in a temporary directory. Then,
 * in the same run, each timed as the best of REPS:
 *   - the baseline: just reading the lines (getline), no parsing;
 *   - history: what pmmctl history does (ctl_files.c into ctl_history.c,
 *     then the JSON);
 *   - report's reading: the same rows into report's series too
 *     (ctl_report.c: rpt_feed + rpt_finish, and the page's text);
 *   - the whole report with charts (rpt_make: data files, gnuplot, page),
 *     once, when gnuplot is there.
 * Prints figures (rows/s, MB/s), asserts none; the directory is removed.
 *
 * usage: bench_history [seconds=86400] [levels=5] [keep]
 * (keep: leave the CSV and the report in the directory, and say where)
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csvlog.h"
#include "ctl_files.h"
#include "ctl_history.h"
#include "ctl_report.h"
#include "logrow.h"
#include "timeutil.h"

#define REPS	3

struct bench {
	char		 dir[64], csv[PATH_MAX];
	long		 secs;
	int		 levels;
	uint64_t	 rows;
	off_t		 bytes;
};

static void
bench_segment(struct shm_state *st, const struct cfg *c, double mid,
    uint64_t fills)
{
	struct shm_market m;
	struct shm_risk k;
	struct shm_orders o;
	struct shm_procs p;
	int i;

	memset(&m, 0, sizeof(m));
	m.bid = mid - 0.05, m.ask = mid + 0.05, m.mid = mid;
	m.mark_price = mid + 0.3, m.md_latency_ms = 1.5;
	SHM_PUBLISH(&st->market, &m);
	memset(&k, 0, sizeof(k));
	k.position = 0.004, k.position_notional = 0.004 * mid;
	k.entry_price = mid - 2, k.unrealized_pnl = 0.008;
	k.realized_pnl = 1.25, k.wallet_balance = 100001.25;
	SHM_PUBLISH(&st->risk, &k);
	memset(&o, 0, sizeof(o));
	for (i = 0; i < 2 * c->order.levels; i++) {
		o.open[i].side = (uint8_t)(i & 1);
		o.open[i].level = (uint8_t)(i / 2 + 1);
		o.open[i].price = mid + (i & 1 ? 1 : -1) * (i / 2 + 1) * 6.0;
		o.open[i].qty = 0.002;
	}
	o.n_open = (uint32_t)(2 * c->order.levels);
	o.placed = fills * 3, o.canceled = fills * 2, o.fills = fills;
	o.order_rtt_ms = 3.5, o.rate_limit_weight = 40, o.listen_key_ok = 1;
	SHM_PUBLISH(&st->orders, &o);
	memset(&p, 0, sizeof(p));
	for (i = 0; i < SVC_COUNT; i++)
		p.p[i].state = PROC_READY;
	SHM_PUBLISH(&st->procs, &p);
}

static void
bench_fill(struct csvlog *cl, const struct cfg *c, int64_t ts, double mid,
    uint64_t n)
{
	struct pmm_msg m;

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_FILL;
	m.env.ts_ns = ts;
	m.u.fill.side = (uint8_t)(n & 1);
	m.u.fill.level = 1;
	m.u.fill.price = mid + (n & 1 ? 6 : -6);
	m.u.fill.qty = 0.002;
	m.u.fill.fee = 0.024;
	snprintf(m.u.fill.fee_asset, sizeof(m.u.fill.fee_asset), "USDT");
	m.u.fill.maker = true;
	m.u.fill.realized_pnl = n & 1 ? 0.012 : 0;
	m.u.fill.order_id = (int64_t)n + 1000;
	m.u.fill.trade_id = (int64_t)n + 1;
	m.u.fill.trade_ts_ns = ts;
	snprintf(m.u.fill.client_id, sizeof(m.u.fill.client_id),
	    "bench-%c1-%llu", n & 1 ? 'S' : 'B', (unsigned long long)n);
	logrow_event(cl, c, &m, ts);
}

/* A day of CSV as the logger writes it, from local midnight. */
static int
bench_write(struct bench *b)
{
	struct csvlog *cl = calloc(1, sizeof(*cl));
	struct shm_state *st = calloc(1, sizeof(*st));
	struct cfg c;
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 6,
	    .tm_isdst = -1 };
	int64_t t0 = (int64_t)mktime(&tm) * NS_PER_S, ts;
	double mid = 60000;
	uint64_t fills = 0;
	struct stat sb;
	DIR *d;
	struct dirent *e;
	long i;
	int n;

	if (cl == NULL || st == NULL)
		return -1;
	cfg_defaults(&c);
	snprintf(c.instance_id, sizeof(c.instance_id), "bench");
	snprintf(c.symbol, sizeof(c.symbol), "BTCUSDT");
	c.order.levels = b->levels;
	if (csvlog_open(cl, b->dir) == -1)
		return -1;
	for (i = 0; i < b->secs; i++) {
		ts = t0 + i * NS_PER_S;
		/* a walk that stays near 60000 */
		mid += ((i * 7919) % 13 - 6) * 0.1 + (60000 - mid) * 0.001;
		bench_segment(st, &c, mid, fills);
		if ((n = logrow_sample(cl, &c, st, NULL, ts)) < 0)
			return -1;
		b->rows += (uint64_t)n;
		if (i % 10 == 5) {
			bench_fill(cl, &c, ts + 500 * NS_PER_MS, mid, fills++);
			b->rows++;
		}
		if (csvlog_flush(cl) == -1)
			return -1;
	}
	csvlog_close(cl);
	free(cl);
	free(st);
	if ((d = opendir(b->dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "metrics-", 8) == 0)
			snprintf(b->csv, sizeof(b->csv), "%s/%s", b->dir,
			    e->d_name);
	closedir(d);
	if (stat(b->csv, &sb) == -1)
		return -1;
	b->bytes = sb.st_size;
	return 0;
}

static double
bench_getline(const struct bench *b, uint64_t *lines)
{
	char *line = NULL;
	size_t cap = 0;
	int64_t t = now_mono_ns();
	FILE *fp = fopen(b->csv, "r");

	*lines = 0;
	if (fp == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1)
		(*lines)++;
	fclose(fp);
	free(line);
	return (now_mono_ns() - t) / 1e9;
}

static size_t
bench_hfeed(void *h, const char *buf, size_t len)
{
	return chist_feed(h, buf, len);
}

static void
bench_hend(void *h, const char *buf, size_t len)
{
	chist_feed_end(h, buf, len);
}

/* pmmctl history's work: the files, the sums, the JSON. */
static double
bench_history(const struct bench *b, uint64_t *records)
{
	struct chist h;
	struct cfile_sink s = { bench_hfeed, bench_hend, &h };
	char err[256];
	int64_t t = now_mono_ns();
	int nfiles;
	json_t *o;

	chist_init(&h, 0, 0, "bench");
	if (cfile_read_dir(b->dir, &h, &s, &nfiles, err, sizeof(err)) == -1) {
		fprintf(stderr, "bench_history: %s\n", err);
		return -1;
	}
	o = chist_json(&h, 100000, nfiles);
	json_decref(o);
	*records = h.records;
	return (now_mono_ns() - t) / 1e9;
}

static size_t
bench_rfeed(void *r, const char *buf, size_t len)
{
	return rpt_feed(r, buf, len);
}

static void
bench_rend(void *r, const char *buf, size_t len)
{
	rpt_feed_end(r, buf, len);
}

/* report's reading: series and the page, no files written. */
static double
bench_report_read(const struct bench *b, size_t *points)
{
	struct rpt *r = malloc(sizeof(*r));
	struct cfile_sink s = { bench_rfeed, bench_rend, r };
	struct rpt_opts o;
	struct text_buf page = { 0 };
	char err[256];
	int64_t t = now_mono_ns();
	int nfiles;
	json_t *h;

	if (r == NULL)
		return -1;
	rpt_init(r, 0, 0, "bench");
	if (cfile_read_dir(b->dir, &r->h, &s, &nfiles, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "bench_history: %s\n", err);
		return -1;
	}
	rpt_finish(r, 100000);
	memset(&o, 0, sizeof(o));
	h = chist_json(&r->h, 100000, nfiles);
	rpt_html(r, h, &o, t, &page);
	json_decref(h);
	*points = r->mid.n + r->pos.n + r->pnl.n + r->fills.n + r->nq;
	text_buf_free(&page);
	rpt_free(r);
	free(r);
	return (now_mono_ns() - t) / 1e9;
}

static void
bench_report_make(const struct bench *b, int keep)
{
	struct rpt_opts o;
	struct rpt_result res;
	char out[96], err[1024], cmd[160];
	int64_t t = now_mono_ns();

	if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
		printf("report with charts: skipped (no gnuplot)\n");
		return;
	}
	snprintf(out, sizeof(out), "%s/report", b->dir);
	memset(&o, 0, sizeof(o));
	o.dir = b->dir;
	o.out = out;
	o.instance = "bench";
	o.limit_quote = 1000;
	if (rpt_make(&o, (int64_t)time(NULL) * NS_PER_S, &res, err,
	    sizeof(err)) == -1) {
		printf("report with charts: failed: %s\n", err);
		return;
	}
	printf("report with charts (rpt_make: read, %d charts by gnuplot, "
	    "page): %.2f s\n", res.charts, (now_mono_ns() - t) / 1e9);
	if (keep) {
		printf("the report: %s\n", res.index);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", out);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_history: %s failed\n", cmd);
}

int
main(int argc, char **argv)
{
	struct bench b = { .secs = 86400, .levels = 5 };
	double best_gl = 1e9, best_h = 1e9, best_r = 1e9, s;
	uint64_t lines = 0, recs = 0;
	size_t points = 0;
	int64_t t;
	int i, keep;
	char cmd[96];

	if (argc > 1)
		b.secs = atol(argv[1]);
	if (argc > 2)
		b.levels = atoi(argv[2]);
	keep = argc > 3 && strcmp(argv[3], "keep") == 0;
	snprintf(b.dir, sizeof(b.dir), "/tmp/bench_history.XXXXXX");
	if (b.secs < 1 || b.levels < 1 || b.levels > 20 || mkdtemp(b.dir) ==
	    NULL) {
		fprintf(stderr, "usage: bench_history [seconds] [levels 1..20]\n");
		return 64;
	}
	t = now_mono_ns();
	if (bench_write(&b) == -1) {
		fprintf(stderr, "bench_history: writing the CSV failed\n");
		return 1;
	}
	printf("a day of CSV: %ld samples, %d levels a side, a fill every 10 "
	    "s: %llu rows, %.1f MB, written by logrow+csvlog in %.2f s\n",
	    b.secs, b.levels, (unsigned long long)b.rows, b.bytes / 1e6,
	    (now_mono_ns() - t) / 1e9);
	for (i = 0; i < REPS; i++) {
		if ((s = bench_getline(&b, &lines)) >= 0 && s < best_gl)
			best_gl = s;
		if ((s = bench_history(&b, &recs)) >= 0 && s < best_h)
			best_h = s;
		if ((s = bench_report_read(&b, &points)) >= 0 && s < best_r)
			best_r = s;
	}
	printf("baseline getline (lines only): %llu lines in %.3f s = %.0f "
	    "rows/s, %.0f MB/s\n", (unsigned long long)lines, best_gl,
	    lines / best_gl, b.bytes / 1e6 / best_gl);
	printf("pmmctl history (read, sum, JSON): %llu records in %.3f s = "
	    "%.0f rows/s, %.0f MB/s (%.1fx the baseline's time)\n",
	    (unsigned long long)recs, best_h, recs / best_h,
	    b.bytes / 1e6 / best_h, best_h / best_gl);
	printf("pmmctl report's reading (+ series, page text): %.3f s = %.0f "
	    "rows/s (%zu points)\n", best_r, recs / best_r, points);
	bench_report_make(&b, keep);
	if (keep)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", b.dir);
	return system(cmd) == 0 ? 0 : 1;
}
