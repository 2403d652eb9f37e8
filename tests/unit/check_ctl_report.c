/*
 * check_ctl_report.c — `pmmctl report` (supervisor/ctl_report.c and
 * ctl_report_make.c): hand-written CSV rows into series (mid, quotes per
 * level with gaps, fills by side, position with its limit at the mark,
 * PnL sums whose last net is history's), events out of order, torn and
 * foreign lines counted, an empty window, markup from the CSV escaped; and
 * rpt_make's refusals: an unwritable or foreign OUT, a failing gnuplot —
 * never a half-written OUT.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_report.h"
#include "check_run.h"

#define HDR "timestamp,instance_id,env,metric_name,value,unit,symbol,side,level,sub_type,details\n"
#define I ",mm,sim,"
#define T(s) "2026-12-06T08:00:" s "+01:00" I

static const char csv[] = HDR
    T("00.000") "mid_price,60000,USDT,BTCUSDT,,,,\n"
    T("00.000") "mark_price,60000,USDT,BTCUSDT,,,,\n"
    T("00.000") "position,0,BTC,BTCUSDT,,,,\n"
    T("00.000") "unrealized_pnl,0,USDT,BTCUSDT,,,,\n"
    T("00.000") "open_orders,1,count,BTCUSDT,BUY,1,,price=59990 qty=0.002\n"
    T("00.000") "open_orders,0,count,BTCUSDT,BUY,2,,\n"
    T("00.000") "open_orders,1,count,BTCUSDT,SELL,1,,price=60010 qty=0.002\n"
    T("00.000") "open_orders,1,count,BTCUSDT,SELL,2,,price=60020 qty=0.002; price=60021 qty=0.001\n"
    T("00.000") "open_orders,3,count,BTCUSDT,,,total,\n"
    T("01.000") "mid_price,59980,USDT,BTCUSDT,,,,\n"
    T("01.000") "position,0.002,BTC,BTCUSDT,,,,\n"
    T("01.000") "unrealized_pnl,-0.02,USDT,BTCUSDT,,,,\n"
    T("01.000") "open_orders,0,count,BTCUSDT,BUY,1,,\n"
    T("01.000") "open_orders,1,count,BTCUSDT,SELL,1,,price=59995 qty=0.002\n"
    /* an event published before the sample above was written */
    T("00.500") "fill,0.002,BTC,BTCUSDT,BUY,1,maker,price=59990 fee=0.024 USDT realized_pnl=0 order_id=1\n"
    "not, a row of ours\n"
    T("02.000") "fill,0.002,BTC,BTCUSDT,SELL,1,maker,price=59995 fee=0.024 USDT realized_pnl=0.01 order_id=2\n"
    T("02.000") "risk_action,0,BTC,BTCUSDT,,,pause,\"notional=0 limit=1200 reason=operator: <b>lunch</b> & \"\"tea\"\"\"\n"
    T("02.000") "strategy_paused,1,bool,BTCUSDT,,,operator,<script>alert(1)</script>\n"
    T("03.000") "strategy_paused,1,bool,BTCUSDT,,,operator,<script>alert(1)</script>\n"
    T("03.000") "mark_price,60001,USDT,BTCUSDT,,,,\n"
    T("03.000") "position,0,BTC,BTCUSDT,,,,\n"
    T("03.000") "unrealized_pnl,0,USDT,BTCUSDT,,,,\n"
    T("04.0");				/* torn: no line end */

static void
load(struct rpt *r, int64_t since, int64_t until, size_t cut)
{
	size_t len = strlen(csv), off = 0, have = 0, k, used;
	char buf[8192];

	rpt_init(r, since, until, "mm");
	while (off < len) {
		k = len - off < cut ? len - off : cut;
		memcpy(buf + have, csv + off, k);
		have += k;
		off += k;
		used = rpt_feed(r, buf, have);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	rpt_feed_end(r, buf, have);
	rpt_finish(r, 0);
}

static char *
text(const struct rpt *r, int which, const char *want_name)
{
	struct text_buf b = { 0 };
	const char *name;

	ck_assert_int_eq(rpt_data(r, which, &name, &b), 0);
	ck_assert_str_eq(name, want_name);
	return b.p ? b.p : strdup("");
}

START_TEST(test_series)
{
	struct rpt r;
	char *t;
	size_t cut = _i == 0 ? 1 << 20 : (size_t)_i;

	load(&r, 0, 0, cut);
	ck_assert_int_eq(r.oom, 0);
	ck_assert_uint_eq(r.h.skipped, 2);	/* foreign + torn */
	ck_assert_uint_eq(r.mid.n, 2);
	ck_assert_int_eq(r.levels, 2);
	ck_assert_uint_eq(r.nq, 2);
	ck_assert_double_eq(r.q[0].px[0][0], 59990);
	ck_assert(isnan(r.q[0].px[0][1]));	/* BUY 2: no order */
	ck_assert_double_eq(r.q[0].px[1][1], 60020);	/* the rung's first */
	ck_assert(isnan(r.q[1].px[0][0]));	/* BUY 1 filled */
	ck_assert_double_eq(r.q[1].px[1][0], 59995);
	ck_assert_uint_eq(r.fills.n, 2);
	ck_assert_double_eq(r.fills.p[0].v[2], 1);
	ck_assert_double_eq(r.limit, 1200);	/* from risk_action */
	ck_assert_uint_eq(r.pos.n, 3);
	/* the limit in base at the mark of each sample */
	ck_assert_double_eq_tol(r.pos.p[1].v[1], 1200 / 60000.0, 1e-12);
	ck_assert_double_eq_tol(r.pos.p[2].v[1], 1200 / 60001.0, 1e-12);
	ck_assert_str_eq(r.quote, "USDT");
	ck_assert_str_eq(r.base, "BTC");
	ck_assert_int_eq(r.utc_off_s, 3600);
	/* PnL in time order: the 00.500 fill comes before the 01 sample */
	ck_assert_uint_eq(r.pnl.n, 5);
	ck_assert_int_eq(r.pnl.p[1].t % 1000000000, 500000000);
	ck_assert_double_eq_tol(r.pnl.p[1].v[2], 0.024, 1e-12);
	ck_assert_double_eq_tol(r.pnl.p[2].v[1], -0.02, 1e-12);
	ck_assert_double_eq_tol(r.pnl.p[2].v[4], -0.044, 1e-12);
	/* the last net is history's net */
	ck_assert_double_eq_tol(r.pnl.p[4].v[4], r.h.realized - r.h.fees +
	    r.h.last_unreal, 1e-12);
	ck_assert_double_eq_tol(r.pnl.p[4].v[4], 0.01 - 0.048, 1e-12);

	t = text(&r, 0, "mid.dat");
	/* local time: 08:00:00+01:00 is 07:00:00 UTC, printed as 08:00 */
	ck_assert_ptr_nonnull(strstr(t, "\n1796544000.000 60000\n"));
	free(t);
	t = text(&r, 1, "quotes.dat");
	ck_assert_ptr_nonnull(strstr(t, "\n1796544000.000 59990 NaN 60010 "
	    "60020\n1796544001.000 NaN NaN 59995 NaN\n"));
	free(t);
	t = text(&r, 2, "buys.dat");
	ck_assert_ptr_nonnull(strstr(t, "\n1796544000.500 59990 0.002\n"));
	ck_assert_ptr_null(strstr(t, "59995"));
	free(t);
	t = text(&r, 3, "sells.dat");
	ck_assert_ptr_nonnull(strstr(t, "59995 0.002\n"));
	free(t);
	rpt_free(&r);
}
END_TEST

static char *
page(struct rpt *r, const char *extra)
{
	struct rpt_opts o;
	struct text_buf b = { 0 };
	json_t *h = chist_json(&r->h, 0, 1);

	memset(&o, 0, sizeof(o));
	o.extra_html = extra;
	rpt_html(r, h, &o, 1796541000LL * 1000000000, &b);
	json_decref(h);
	ck_assert_int_eq(b.oom, 0);
	return b.p;
}

START_TEST(test_html)
{
	struct rpt r;
	struct text_buf b = { 0 };
	char *p;

	load(&r, 0, 0, 1 << 20);
	p = page(&r, "<p id=\"bt\">backtest summary</p>");
	ck_assert_ptr_nonnull(strstr(p, "id=\"h-trades\" data-v=\"2\">2<"));
	ck_assert_ptr_nonnull(strstr(p, "id=\"h-fees\" data-v=\"0.048\">"
	    "0.0480 USDT<"));
	ck_assert_ptr_nonnull(strstr(p, "id=\"h-funding\" data-v=\"\">n/a<"));
	ck_assert_ptr_nonnull(strstr(p, "data-skipped=\"2\""));
	ck_assert_ptr_nonnull(strstr(p, "<span id=\"first\">2026-12-06 "
	    "08:00:00 UTC+01:00</span>"));
	ck_assert_ptr_nonnull(strstr(p, "<span id=\"generated\">2026-12-06 "
	    "08:10:00 UTC+01:00</span>"));
	ck_assert_ptr_nonnull(strstr(p, "<img src=\"mid.png\""));
	ck_assert_ptr_nonnull(strstr(p, "<img src=\"position.png\""));
	ck_assert_ptr_nonnull(strstr(p, "<img src=\"pnl.png\""));
	ck_assert_ptr_nonnull(strstr(p, "<p id=\"bt\">backtest summary</p>"));
	/* the CSV's text is never markup */
	ck_assert_ptr_null(strstr(p, "<script>alert"));
	ck_assert_ptr_nonnull(strstr(p, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	/* nothing from outside the page */
	ck_assert_ptr_null(strstr(p, "http"));
	ck_assert_ptr_null(strstr(p, "<link"));
	free(p);

	rpt_gnuplot(&r, &b);
	ck_assert_ptr_nonnull(strstr(b.p, "set output \"mid.png\""));
	ck_assert_ptr_nonnull(strstr(b.p, "\"buys.dat\""));
	ck_assert_ptr_nonnull(strstr(b.p, "\"sells.dat\""));
	ck_assert_ptr_nonnull(strstr(b.p, "title \"bid 1\""));
	ck_assert_ptr_null(strstr(b.p, "title \"bid 2\""));	/* never quoted */
	ck_assert_ptr_nonnull(strstr(b.p, "title \"ask 2\""));
	/* 1200 is 0.02 BTC, ten times the largest position: a title */
	ck_assert_ptr_nonnull(strstr(b.p, "its limit, +-0.0199997 BTC at the "
	    "mark or more, is off this scale"));
	ck_assert_ptr_null(strstr(b.p, "+limit"));
	text_buf_free(&b);
	/* 60 is 0.001 BTC: lines */
	r.limit = 60;
	for (size_t i = 0; i < r.pos.n; i++)
		r.pos.p[i].v[1] = 60 / r.pos.p[i].v[2];
	rpt_gnuplot(&r, &b);
	ck_assert_ptr_nonnull(strstr(b.p, "+limit (60 notional)"));
	ck_assert_ptr_nonnull(strstr(b.p, "set xlabel \"local time "
	    "(UTC+01:00)\""));
	ck_assert_ptr_null(strstr(b.p, "funding"));	/* none in the CSV */
	text_buf_free(&b);
	rpt_free(&r);
}
END_TEST

START_TEST(test_empty_window)
{
	struct rpt r;
	struct text_buf b = { 0 };
	char *p;
	int c;

	/* a window before every row */
	load(&r, 1000000000LL, 2000000000LL, 1 << 20);
	for (c = 0; c < RPT_NCHARTS; c++)
		ck_assert_int_eq(rpt_has(&r, c), 0);
	p = page(&r, NULL);
	ck_assert_ptr_nonnull(strstr(p, "id=\"empty\""));
	ck_assert_ptr_null(strstr(p, "<img"));
	ck_assert_ptr_null(strstr(p, "id=\"history\""));
	free(p);
	rpt_gnuplot(&r, &b);
	ck_assert_ptr_null(strstr(b.p, "set output"));
	text_buf_free(&b);
	rpt_free(&r);
}
END_TEST

/* Only a position: the other charts are said missing, not drawn empty. */
START_TEST(test_partial)
{
	static const char one[] = HDR T("00.000") "position,0.001,BTC,BTCUSDT,,,,\n";
	struct rpt r;
	char *p;

	rpt_init(&r, 0, 0, NULL);
	ck_assert_uint_eq(rpt_feed(&r, one, strlen(one)), strlen(one));
	rpt_finish(&r, 500);
	ck_assert_int_eq(rpt_has(&r, RPT_POS), 1);
	ck_assert_int_eq(rpt_has(&r, RPT_MID), 0);
	ck_assert(isnan(r.pos.p[0].v[1]));	/* no mark, no mid: no line */
	p = page(&r, NULL);
	ck_assert_ptr_nonnull(strstr(p, "id=\"no-mid\""));
	ck_assert_ptr_nonnull(strstr(p, "id=\"no-pnl\""));
	ck_assert_ptr_nonnull(strstr(p, "<img src=\"position.png\""));
	ck_assert_ptr_null(strstr(p, "<img src=\"mid.png\""));
	free(p);
	rpt_free(&r);
}
END_TEST

/* A day of mid samples is thinned for the chart, its one spike kept. */
START_TEST(test_thin)
{
	struct rpt r;
	char row[160], *t, *p;
	const char *name;
	struct text_buf b = { 0 };
	int i, lines = 0;

	rpt_init(&r, 0, 0, NULL);
	for (i = 0; i < 86400; i++) {
		snprintf(row, sizeof(row), "2026-12-06T%02d:%02d:%02d.000+00:00"
		    I "mid_price,%s,USDT,BTCUSDT,,,,", i / 3600, i / 60 % 60,
		    i % 60, i == 40000 ? "61000" : i == 50000 ? "59000" :
		    i % 2 ? "60000.5" : "60000");
		rpt_record(&r, row, strlen(row));
	}
	rpt_finish(&r, 0);
	ck_assert_uint_eq(r.mid.n, 86400);
	ck_assert_int_eq(rpt_data(&r, 0, &name, &b), 0);
	t = b.p;
	for (p = t; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_int_le(lines, RPT_MAX_POINTS + 2);	/* + header */
	ck_assert_int_ge(lines, RPT_MAX_POINTS / 2);
	ck_assert_ptr_nonnull(strstr(t, " 61000\n"));
	ck_assert_ptr_nonnull(strstr(t, " 59000\n"));
	ck_assert_ptr_nonnull(strstr(t, "\n1796515200.000 60000\n"));	/* first */
	ck_assert_ptr_nonnull(strstr(t, "\n1796601599.000 60000.5\n"));	/* last */
	text_buf_free(&b);
	rpt_free(&r);
}
END_TEST

/* ---- rpt_make: the I/O ---------------------------------------------------- */

static char tdir[64];

static void
mk_tmp(void)
{
	FILE *fp;
	char p[128];

	snprintf(tdir, sizeof(tdir), "/tmp/check_rpt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(p, sizeof(p), "%s/csv", tdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/csv/metrics-20261206.csv", tdir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs(csv, fp);
	fclose(fp);
}

static void
rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Entries of tdir other than csv (a temporary directory left behind). */
static int
leftovers(void)
{
	struct dirent *e;
	DIR *d = opendir(tdir);
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' || strstr(e->d_name, ".tmp-") != NULL;
	closedir(d);
	return n;
}

static int
make(const char *out, const char *gnuplot, int64_t since, char *err)
{
	struct rpt_opts o;
	struct rpt_result res;
	char d[512], od[512];

	ck_assert_int_lt(snprintf(d, sizeof(d), "%s/csv", tdir), sizeof(d));
	ck_assert_int_lt(snprintf(od, sizeof(od), "%s/%s", tdir, out),
	    sizeof(od));
	memset(&o, 0, sizeof(o));
	o.dir = d;
	o.out = out[0] == '/' ? out : od;
	o.gnuplot = gnuplot;
	o.since_ns = since;
	return rpt_make(&o, 1796544600LL * 1000000000, &res, err, 1024);
}

START_TEST(test_make_refusals)
{
	char err[1024], p[160];
	FILE *fp;

	mk_tmp();
	/* out under a regular file: cannot be made */
	snprintf(p, sizeof(p), "%s/csv/metrics-20261206.csv/out", tdir);
	ck_assert_int_eq(make(p, "/bin/true", 0, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "Not a directory"));
	/* a directory with someone's file: never replaced */
	snprintf(p, sizeof(p), "%s/mine", tdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/mine/notes.txt", tdir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fclose(fp);
	ck_assert_int_eq(make("mine", "/bin/true", 0, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no pmm report"));
	ck_assert_int_eq(access(p, F_OK), 0);
	/* gnuplot fails: no OUT, no temporary directory left */
	ck_assert_int_eq(make("out", "/bin/false", 0, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "failed (exit 1)"));
	ck_assert_int_eq(make("out", "/nonexistent/gnuplot", 0, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "gnuplot-nox"));
	snprintf(p, sizeof(p), "%s/out", tdir);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_eq(leftovers(), 2);	/* csv, mine */
	rm_tmp();
}
END_TEST

/* An empty window needs no gnuplot; a second report replaces the first. */
START_TEST(test_make_replace)
{
	char err[1024], p[160];
	int64_t later = 1796547600LL * 1000000000;	/* 09:00+01:00 */

	mk_tmp();
	ck_assert_int_eq(make("out", "/nonexistent/gnuplot", later, err), 0);
	snprintf(p, sizeof(p), "%s/out/index.html", tdir);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/out/mid.dat", tdir);
	ck_assert_int_eq(access(p, F_OK), -1);
	/* an empty directory is fine, and an earlier report is replaced */
	snprintf(p, sizeof(p), "%s/empty", tdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(make("empty", "/nonexistent/gnuplot", later, err), 0);
	ck_assert_int_eq(make("out", "/nonexistent/gnuplot", later, err), 0);
	ck_assert_int_eq(leftovers(), 3);	/* csv, out, empty */
	rm_tmp();
}
END_TEST

static Suite *
ctl_report_suite(void)
{
	Suite *s = suite_create("ctl_report");
	TCase *tc = tcase_create("report");

	tcase_add_loop_test(tc, test_series, 0, 1);
	tcase_add_loop_test(tc, test_series, 7, 60);	/* cut feeds */
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_empty_window);
	tcase_add_test(tc, test_partial);
	tcase_add_test(tc, test_thin);
	tcase_add_test(tc, test_make_refusals);
	tcase_add_test(tc, test_make_replace);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ctl_report_suite());
}
