/*
 * check_bt_sweep.c — the sweep: grid parsing (good and malformed), the
 * points of the product, figures and sort orders, rows from summary.json,
 * the CSV and the table, the command line, and the runner itself against a
 * small child program (a shell script that writes a summary.json from its
 * --set values, or fails like a config error): parallel points, one row
 * each, an error passed through once and nothing left behind.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bt_stats.h"
#include "bt_sweep.h"
#include "check_run.h"

static char	err[4096];

START_TEST(test_grid_parse)
{
	struct bts_grid g = { 0 };
	int idx[BTS_GRID_MAX_KEYS];

	ck_assert_int_eq(bts_grid_points(&g), 0);
	ck_assert_int_eq(bts_grid_add(&g, "order_config.levels=1,2,3", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(bts_grid_add(&g, " risk.max_position = 0.5 , 1 ",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(g.nkeys, 2);
	ck_assert_str_eq(g.k[1].key, "risk.max_position");
	ck_assert_str_eq(g.k[1].vals[0], "0.5");
	ck_assert_str_eq(g.k[1].vals[1], "1");
	ck_assert_int_eq(bts_grid_points(&g), 6);
	/* the first key varies slowest */
	bts_grid_point(&g, 0, idx);
	ck_assert(idx[0] == 0 && idx[1] == 0);
	bts_grid_point(&g, 1, idx);
	ck_assert(idx[0] == 0 && idx[1] == 1);
	bts_grid_point(&g, 5, idx);
	ck_assert(idx[0] == 2 && idx[1] == 1);
	/* a single value is a grid of one point per it */
	ck_assert_int_eq(bts_grid_add(&g, "x=7", err, sizeof(err)), 0);
	ck_assert_int_eq(bts_grid_points(&g), 6);
	bts_grid_free(&g);
}
END_TEST

START_TEST(test_grid_malformed)
{
	static const struct {
		const char *spec, *says;
	} bad[] = {
		{ "order_config.levels", "no '='" },
		{ "=1,2", "not a config key" },
		{ "a b=1", "not a config key" },
		{ "a..b=1", "not a config key" },
		{ "k=", "value 1 is empty" },
		{ "k=1,,2", "value 2 is empty" },
		{ "k=1,", "value 2 is empty" },
		{ "k= , 1", "value 1 is empty" },
	};
	struct bts_grid g = { 0 };
	size_t i;
	char spec[32];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(bts_grid_add(&g, bad[i].spec, err,
		    sizeof(err)), -1);
		ck_assert_msg(strstr(err, bad[i].says) != NULL, "%s: %s",
		    bad[i].spec, err);
		ck_assert_int_eq(g.nkeys, 0);
	}
	ck_assert_int_eq(bts_grid_add(&g, "k=1", err, sizeof(err)), 0);
	ck_assert_int_eq(bts_grid_add(&g, "k=2", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "given twice"));
	/* 100 x 100 = 10000 is the most; one more value is too many */
	bts_grid_free(&g);
	{
		char big[1024] = "a=0";

		for (i = 1; i < 100; i++)
			snprintf(big + strlen(big), sizeof(big) - strlen(big),
			    ",%zu", i);
		ck_assert_int_eq(bts_grid_add(&g, big, err, sizeof(err)), 0);
		big[0] = 'b';
		ck_assert_int_eq(bts_grid_add(&g, big, err, sizeof(err)), 0);
		ck_assert_int_eq(bts_grid_points(&g), 10000);
		ck_assert_int_eq(bts_grid_add(&g, "c=1,2", err, sizeof(err)),
		    -1);
		ck_assert_ptr_nonnull(strstr(err, "more than 10000 points"));
	}
	bts_grid_free(&g);
	for (i = 0; i < BTS_GRID_MAX_KEYS; i++) {
		snprintf(spec, sizeof(spec), "k%zu=1", i);
		ck_assert_int_eq(bts_grid_add(&g, spec, err, sizeof(err)), 0);
	}
	ck_assert_int_eq(bts_grid_add(&g, "one.more=1", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 16 keys"));
	bts_grid_free(&g);
}
END_TEST

START_TEST(test_sort_parse)
{
	struct bts_sort s;

	ck_assert_int_eq(bts_sort_parse("net_pnl", &s, err, sizeof(err)), 0);
	ck_assert_str_eq(bts_figures[s.fig].name, "net_pnl");
	ck_assert(s.desc);
	ck_assert_int_eq(bts_sort_parse("max_dd", &s, err, sizeof(err)), 0);
	ck_assert(!s.desc);			/* lower is better */
	ck_assert_int_eq(bts_sort_parse("max_dd:desc", &s, err, sizeof(err)),
	    0);
	ck_assert(s.desc);
	ck_assert_int_eq(bts_sort_parse("sharpe_1m:asc", &s, err,
	    sizeof(err)), 0);
	ck_assert(!s.desc);
	ck_assert_int_eq(bts_sort_parse("pnl", &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a figure; one of: net_pnl "));
	ck_assert_int_eq(bts_sort_parse("net_pnl:up", &s, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, ":asc or :desc"));
	ck_assert_int_eq(bts_figure_find("start_ns"), -1);
}
END_TEST

/* Every number summary.json holds (but the timestamps) is a figure, and
 * every figure is in it: the two lists cannot drift apart. */
START_TEST(test_figures_match_summary)
{
	struct bts *b = bts_new(1000, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct bts_row r;
	double fig[256];
	int i, nnum = 0;
	const char *p;

	ck_assert_int_lt(bts_nfigures, 256);
	ck_assert_int_eq(bts_write_json(bts_finish(b, 2), fp), 0);
	fclose(fp);
	r.fig = fig;
	ck_assert_int_eq(bts_row_from_json(&r, buf, err, sizeof(err)), 0);
	for (i = 0; i < bts_nfigures; i++)
		ck_assert_msg(strstr(buf, bts_figures[i].name) != NULL,
		    "%s not in summary.json", bts_figures[i].name);
	/* top-level keys: lines indented by exactly two spaces */
	for (p = buf; (p = strstr(p, "\n  \"")) != NULL; p++)
		nnum++;
	/* all but start_ns, end_ns and levels */
	ck_assert_int_eq(nnum, bts_nfigures + 3);
	free(buf);
	bts_free(b);
}
END_TEST

START_TEST(test_row_from_json)
{
	double fig[256];
	struct bts_row r = { 0, fig };
	int f;

	ck_assert_int_eq(bts_row_from_json(&r, "{\"net_pnl\": -1.5, "
	    "\"fills\": 12, \"sharpe_1m\": null}", err, sizeof(err)), 0);
	ck_assert(fig[bts_figure_find("net_pnl")] == -1.5);
	ck_assert(fig[bts_figure_find("fills")] == 12);
	ck_assert(isnan(fig[bts_figure_find("sharpe_1m")]));
	ck_assert(isnan(fig[bts_figure_find("max_dd")]));	/* absent */
	ck_assert_int_eq(bts_row_from_json(&r, "{\"net_pnl\": ", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
	ck_assert_int_eq(bts_row_from_json(&r, "[1]", err, sizeof(err)), -1);
	f = bts_figure_find("capital");
	ck_assert_int_ge(f, 0);
}
END_TEST

/* Five rows; net_pnl 3, NaN, 5, 3, -1 on points 0..4. */
static double	rfig[5][256];
static struct bts_row rows[5];

static void
rows_init(void)
{
	static const double pnl[5] = { 3, NAN, 5, 3, -1 };
	int i, j, f = bts_figure_find("net_pnl"), d = bts_figure_find("max_dd");

	for (i = 0; i < 5; i++) {
		for (j = 0; j < bts_nfigures; j++)
			rfig[i][j] = NAN;
		rfig[i][f] = pnl[i];
		rfig[i][d] = 10 - i;
		rows[i] = (struct bts_row){ i, rfig[i] };
	}
}

START_TEST(test_rows_sort)
{
	struct bts_sort s;
	static const long desc[5] = { 2, 0, 3, 4, 1 };
	static const long asc[5] = { 4, 0, 3, 2, 1 };
	int i;

	rows_init();
	bts_sort_parse("net_pnl", &s, err, sizeof(err));
	bts_rows_sort(rows, 5, &s);
	for (i = 0; i < 5; i++)		/* ties by point, NaN last */
		ck_assert_int_eq(rows[i].point, desc[i]);
	bts_sort_parse("net_pnl:asc", &s, err, sizeof(err));
	bts_rows_sort(rows, 5, &s);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(rows[i].point, asc[i]);
	bts_sort_parse("max_dd", &s, err, sizeof(err));	/* lowest first */
	bts_rows_sort(rows, 5, &s);
	ck_assert_int_eq(rows[0].point, 4);
	ck_assert_int_eq(rows[4].point, 0);
}
END_TEST

START_TEST(test_csv_and_table)
{
	struct bts_grid g = { 0 };
	struct bts_sort s;
	char *buf = NULL, *line2, *p;
	size_t len = 0;
	FILE *fp;
	int lines = 0;

	rows_init();
	bts_grid_add(&g, "a=1,2,3,4,5", err, sizeof(err));
	bts_sort_parse("net_pnl", &s, err, sizeof(err));
	bts_rows_sort(rows, 5, &s);
	fp = open_memstream(&buf, &len);
	ck_assert_int_eq(bts_sweep_write_csv(fp, &g, rows, 5), 0);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "rank,point,a,net_pnl,spread_pnl,"));
	line2 = strchr(buf, '\n') + 1;
	/* point 2 (a=3) first: net_pnl 5, spread_pnl empty, max_dd 8 */
	ck_assert_msg(strncmp(line2, "1,point-002,3,5,,", 17) == 0, "%.40s",
	    line2);
	ck_assert_ptr_nonnull(strstr(buf, "\n5,point-001,2,,"));
	for (p = buf; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 6);
	free(buf);

	fp = open_memstream(&buf, &len);
	bts_sort_parse("max_dd_pct", &s, err, sizeof(err));
	ck_assert_int_eq(bts_sweep_write_table(fp, &g, rows, 5, &s), 0);
	fclose(fp);
	/* header, 5 rows of the same width, and the order it used */
	ck_assert_ptr_nonnull(strstr(buf, "rank  point    "));
	ck_assert_ptr_nonnull(strstr(buf, "max_dd_pct\n"));
	ck_assert_ptr_nonnull(strstr(buf, "   1  point-002"));
	ck_assert_ptr_nonnull(strstr(buf, "sorted by max_dd_pct, lowest "
	    "first\n"));
	{
		char *l = buf, *nl = strchr(l, '\n');
		size_t w = (size_t)(nl - l);
		int i;

		for (i = 0; i < 5; i++) {
			l = nl + 1;
			nl = strchr(l, '\n');
			ck_assert_uint_eq((size_t)(nl - l), w);
		}
	}
	free(buf);
	bts_grid_free(&g);
}
END_TEST

static int
parse(struct bts_sweep_opts *o, const char *const *args)
{
	static char *av[32];
	int n = 0, rc;

	while (args[n] != NULL) {
		av[n] = (char *)args[n];
		n++;
	}
	av[n] = NULL;
	rc = bts_sweep_parse(n, av, o, err, sizeof(err));
	return rc;
}

START_TEST(test_cli)
{
	struct bts_sweep_opts o;
	const char *ok[] = { "sweep", "-c", "cfg.yaml", "--grid", "a=1,2",
	    "--grid=b=x", "--sort", "fills", "--jobs", "3", "--out", "o",
	    "--", "--synthetic", "60", "--set", "c=1", NULL };

	ck_assert_int_eq(parse(&o, ok), 0);
	ck_assert_str_eq(o.config, "cfg.yaml");
	ck_assert_int_eq(bts_grid_points(&o.grid), 2);
	ck_assert_str_eq(bts_figures[o.sort.fig].name, "fills");
	ck_assert_int_eq(o.jobs, 3);
	ck_assert_str_eq(o.out, "o");
	ck_assert_int_eq(o.n_bt_args, 4);
	ck_assert_str_eq(o.bt_args[0], "--synthetic");
	bts_sweep_opts_free(&o);

	{
		const char *a[] = { "sweep", "--grid", "a=1", NULL };

		ck_assert_int_eq(parse(&o, a), 0);
		ck_assert_str_eq(o.out, BTS_SWEEP_DEFAULT_OUT);
		ck_assert_str_eq(bts_figures[o.sort.fig].name, "net_pnl");
		ck_assert_int_ge(o.jobs, 1);
		ck_assert_int_eq(o.n_bt_args, 0);
		bts_sweep_opts_free(&o);
	}
}
END_TEST

START_TEST(test_cli_bad)
{
	static const struct {
		const char *args[8], *says;
	} bad[] = {
		{ { "sweep", NULL }, "a grid with no points" },
		{ { "sweep", "-c", "x.yaml", NULL }, "a grid with no points" },
		{ { "sweep", "--grid", "k", NULL }, "no '='" },
		{ { "sweep", "--grid", "a=1", "--jobs", "0", NULL },
		    "--jobs 0: want a whole number" },
		{ { "sweep", "--grid", "a=1", "--jobs", "2x", NULL },
		    "--jobs 2x" },
		{ { "sweep", "--grid", "a=1", "--sort", "x", NULL },
		    "not a figure" },
		{ { "sweep", "--grid", "a=1", "--frob", NULL },
		    "unknown option --frob" },
		{ { "sweep", "--grid", NULL }, "--grid: needs a value" },
		{ { "sweep", "--grid", "a=1", "--synthetic", NULL },
		    "unknown option --synthetic" },
		{ { "sweep", "--grid", "a=1", "stray", NULL },
		    "unexpected 'stray'" },
		{ { "sweep", "--grid", "a=1", "--", "--out", "x", NULL },
		    "gives each point its own --out" },
		{ { "sweep", "--grid", "a=1", "--", "--set", "a=2", NULL },
		    "a is a grid key" },
		{ { "sweep", "--grid", "a=1", "--", "--set=a=2", NULL },
		    "a is a grid key" },
	};
	struct bts_sweep_opts o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(parse(&o, bad[i].args), -1);
		ck_assert_msg(strstr(err, bad[i].says) != NULL,
		    "case %zu: %s", i, err);
		bts_sweep_opts_free(&o);
	}
}
END_TEST

/* --- the runner against a child that plays the backtest --------------- */

static char	tmpdir[256], child[300], outdir[300];

/* The child: records its arguments, writes summary.json with
 * net_pnl = 10 a + b from --set a=.. --set b=..; a value "bad..." is a
 * config error (78) like the real program's; "crash" dies on a signal. */
static const char child_sh[] =
    "#!/bin/sh\n"
    "all=\"$*\"; out=; a=0; b=0\n"
    "while [ $# -gt 0 ]; do\n"
    "  case \"$1\" in\n"
    "  --out) out=$2; shift;;\n"
    "  --set) case \"$2\" in a=*) a=${2#a=};; b=*) b=${2#b=};; esac; shift;;\n"
    "  esac; shift\n"
    "done\n"
    "case \"$a$b\" in\n"
    "*bad*) echo \"pmm-backtest: --set a=$a: not a number\" >&2; exit 78;;\n"
    "*crash*) kill -SEGV $$;;\n"
    "esac\n"
    "mkdir -p \"$out\" || exit 1\n"
    "echo \"$all\" > \"$out/args\"\n"
    "printf '{\"net_pnl\": %d, \"fills\": %d, \"sharpe_1m\": null}\\n' "
    "$((10 * a + b)) $a > \"$out/" BTS_SUMMARY_JSON "\"\n";

static void
runner_setup(void)
{
	FILE *fp;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_bt_sweep.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(child, sizeof(child), "%s/child.sh", tmpdir);
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	fp = fopen(child, "w");
	fputs(child_sh, fp);
	fclose(fp);
	chmod(child, 0755);
}

static void
runner_teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Run a sweep with stderr captured into *errtext, table into *table. */
static int
run_sweep(const char *const *args, char **table, char **errtext)
{
	struct bts_sweep_opts o;
	size_t tlen = 0;
	FILE *tty = open_memstream(table, &tlen), *ef = tmpfile();
	int saved = dup(2), rc;
	long n;

	ck_assert_int_eq(parse(&o, args), 0);
	o.exe = child;
	fflush(stderr);
	dup2(fileno(ef), 2);
	rc = bts_sweep_run(&o, tty);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(tty);
	n = ftell(ef);
	rewind(ef);
	*errtext = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(*errtext, 1, (size_t)n, ef), (size_t)n);
	fclose(ef);
	bts_sweep_opts_free(&o);
	return rc;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static bool
exists(const char *fmt, const char *a)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), fmt, a);
	return stat(path, &st) == 0;
}

/* Nothing but what the test itself put there. */
static int
entries(const char *dir)
{
	char cmd[600], buf[16];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), p));
	pclose(p);
	return atoi(buf);
}

START_TEST(test_run_grid)
{
	const char *args[] = { "sweep", "-c", "my.yaml", "--grid", "a=1,3,2",
	    "--grid", "b=0,5", "--jobs", "3", "--out", outdir, "--",
	    "--synthetic", "60", NULL };
	char *table, *errs, *csv, path[600], line[512];
	FILE *fp;
	size_t len = 0;

	runner_setup();
	ck_assert_int_eq(run_sweep(args, &table, &errs), 0);
	ck_assert_str_eq(errs, "");
	/* six points, each its own folder; the stage renamed away */
	ck_assert(exists("%s/point-000/summary.json", outdir));
	ck_assert(exists("%s/point-005/summary.json", outdir));
	ck_assert(!exists("%s/point-006", outdir));
	ck_assert(exists("%s/sweep.csv", outdir));
	ck_assert_int_eq(entries(tmpdir), 2);	/* child.sh, out */
	/* the child got the config, the backtest args, the point's --set
	 * values and its own --out */
	snprintf(path, sizeof(path), "%s/point-003/args", outdir);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	fclose(fp);
	ck_assert_msg(strncmp(line, "-c my.yaml --synthetic 60 --set a=3 "
	    "--set b=5 --out ", 50) == 0, "%s", line);
	ck_assert_ptr_nonnull(strstr(line, "/point-003\n"));
	/* sorted by net_pnl = 10a + b, highest first: a=3,b=5 (point 3) */
	snprintf(path, sizeof(path), "%s/sweep.csv", outdir);
	fp = fopen(path, "r");
	csv = NULL;
	ck_assert_int_gt(getdelim(&csv, &len, '\0', fp), 0);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(csv, "rank,point,a,b,net_pnl,"));
	ck_assert_msg(strstr(csv, "\n1,point-003,3,5,35,") != NULL, "%s", csv);
	ck_assert_ptr_nonnull(strstr(csv, "\n2,point-002,3,0,30,"));
	ck_assert_ptr_nonnull(strstr(csv, "\n6,point-000,1,0,10,"));
	ck_assert_int_eq(count(csv, "\n"), 7);
	ck_assert_ptr_nonnull(strstr(table, "   1  point-003"));
	ck_assert_ptr_nonnull(strstr(table, "6 points in "));
	free(csv);
	free(table);
	free(errs);

	/* the same --out again: refused, the first sweep's results kept */
	ck_assert_int_eq(run_sweep(args, &table, &errs), 73);
	ck_assert_ptr_nonnull(strstr(errs, "exists and is not an empty"));
	ck_assert(exists("%s/sweep.csv", outdir));
	free(table);
	free(errs);
	runner_teardown();
}
END_TEST

/* Every point has the same bad value: its error is shown once, the exit
 * is the child's 78, and no folder is left behind. */
START_TEST(test_run_config_error)
{
	const char *args[] = { "sweep", "--grid", "a=bad,bad2,bad3,bad4",
	    "--grid", "b=1,2", "--jobs", "2", "--out", outdir, NULL };
	char *table, *errs;

	runner_setup();
	ck_assert_int_eq(run_sweep(args, &table, &errs), 78);
	ck_assert_int_eq(count(errs, "not a number"), 1);
	ck_assert_ptr_nonnull(strstr(errs, "point-00"));
	ck_assert_ptr_nonnull(strstr(errs, "exited with status 78"));
	ck_assert_ptr_null(strstr(table, "points in"));
	ck_assert(!exists("%s", outdir));
	ck_assert_int_eq(entries(tmpdir), 1);	/* child.sh only */
	free(table);
	free(errs);

	/* an empty --out folder is allowed, and is left as it was */
	ck_assert_int_eq(mkdir(outdir, 0755), 0);
	ck_assert_int_eq(run_sweep(args, &table, &errs), 78);
	ck_assert(exists("%s", outdir));
	ck_assert_int_eq(entries(outdir), 0);
	ck_assert_int_eq(entries(tmpdir), 2);
	free(table);
	free(errs);
	runner_teardown();
}
END_TEST

/* One point of many crashes: the sweep stops, says which point and how,
 * and removes the partial results. */
START_TEST(test_run_crash)
{
	const char *args[] = { "sweep", "--grid", "a=1,2,crash,4,5",
	    "--jobs", "1", "--out", outdir, NULL };
	char *table, *errs;

	runner_setup();
	ck_assert_int_eq(run_sweep(args, &table, &errs), 128 + 11);
	ck_assert_ptr_nonnull(strstr(errs, "point-002 (a=crash) killed by "
	    "signal 11"));
	ck_assert(!exists("%s", outdir));
	ck_assert_int_eq(entries(tmpdir), 1);
	free(table);
	free(errs);
	runner_teardown();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bt_sweep");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_grid_parse);
	tcase_add_test(tc, test_grid_malformed);
	tcase_add_test(tc, test_sort_parse);
	tcase_add_test(tc, test_figures_match_summary);
	tcase_add_test(tc, test_row_from_json);
	tcase_add_test(tc, test_rows_sort);
	tcase_add_test(tc, test_csv_and_table);
	tcase_add_test(tc, test_cli);
	tcase_add_test(tc, test_cli_bad);
	tcase_add_test(tc, test_run_grid);
	tcase_add_test(tc, test_run_config_error);
	tcase_add_test(tc, test_run_crash);
	suite_add_tcase(s, tc);
	return check_run(s);
}
