/*
 * bt_sweep.c — `pmm-backtest sweep`: the grid, the rows and their order
 * (pure, unit-tested), and bts_sweep_run(), the one place that forks: each
 * point is the backtest program itself run as a child process with the
 * point's --set values, so a point is exactly what a single run of the
 * same command line would give, and a crashed point cannot take the sweep
 * (or the other points) with it.
 */
#include "bt_sweep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bt_stats.h"

#define BTS_CFG_EXIT	78	/* the config's error exit (cfg.h CFG_EXIT) */

/* Set by SIGINT/SIGTERM (bts_sweep_main installs the handler): the sweep
 * stops its points and removes its partial folder. A signal handler's flag
 * is the one global a process may have (design.md). */
static volatile sig_atomic_t bts_sweep_stop;
#define BTS_ERR_SHOW	(16 * 1024)	/* a child's stderr shown at most */

/* Every number of summary.json but the two timestamps, in its order. */
const struct bts_figure bts_figures[] = {
	{ "net_pnl", false }, { "spread_pnl", false },
	{ "inventory_pnl", false }, { "fees_pnl", false },
	{ "funding_pnl", false }, { "return_pct", false },
	{ "sharpe_1m", false }, { "sortino_1m", false },
	{ "sharpe_1d", false }, { "sortino_1d", false },
	{ "max_dd", true }, { "max_dd_pct", true }, { "ret_over_dd", false },
	{ "fills", false }, { "maker_fills", false },
	{ "volume_base", false }, { "volume_quote", false },
	{ "maker_share_pct", false },
	{ "avg_abs_pos", true }, { "max_abs_pos", true },
	{ "at_limit_s", true }, { "at_limit_pct", true },
	{ "paused_s", true }, { "paused_pct", true },
	{ "requests", true }, { "orders", true }, { "weight_total", true },
	{ "weight_1m_max", true }, { "weight_1m_mean", true },
	{ "orders_1m_max", true }, { "orders_1m_mean", true },
	{ "orders_10s_max", true }, { "windows_over_limit", true },
	{ "markout_1s_bp", false }, { "markout_1s_quote", false },
	{ "markout_10s_bp", false }, { "markout_10s_quote", false },
	{ "markout_60s_bp", false }, { "markout_60s_quote", false },
	{ "markout_1s_n", false }, { "markout_10s_n", false },
	{ "markout_60s_n", false },
	{ "markout_1s_excluded", true }, { "markout_10s_excluded", true },
	{ "markout_60s_excluded", true },
	{ "markout_1s_sum_quote", false }, { "markout_10s_sum_quote", false },
	{ "markout_60s_sum_quote", false },
	{ "final_position", false }, { "last_mid", false },
	{ "equity_end", false }, { "fundings", false },
	{ "n_ret_1m", false }, { "n_ret_1d", false },
	{ "duration_s", false }, { "capital", false },
};
const int bts_nfigures = sizeof(bts_figures) / sizeof(bts_figures[0]);

/* What the table shows of each point (the sort figure is added). */
static const char *const bts_table_figs[] = {
	"net_pnl", "return_pct", "sharpe_1m", "max_dd", "fills",
	"maker_share_pct", "markout_1s_bp", "markout_60s_bp", "at_limit_pct",
};
#define BTS_NTABLE	(int)(sizeof(bts_table_figs) / sizeof(bts_table_figs[0]))

static void
bts_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* --- the grid --------------------------------------------------------- */

/* A copy of [s, e) without the spaces around it. */
static char *
bts_trimdup(const char *s, const char *e)
{
	char *r;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if ((r = malloc((size_t)(e - s) + 1)) == NULL)
		return NULL;
	memcpy(r, s, (size_t)(e - s));
	r[e - s] = '\0';
	return r;
}

/* A config key as --set takes it: dotted names of [A-Za-z0-9_]. */
static bool
bts_key_ok(const char *k)
{
	const char *p;
	bool seg = false;

	for (p = k; *p; p++) {
		if (*p == '.') {
			if (!seg)
				return false;
			seg = false;
		} else if (isalnum((unsigned char)*p) || *p == '_')
			seg = true;
		else
			return false;
	}
	return seg;
}

static void
bts_grid_key_free(struct bts_grid_key *gk)
{
	int i;

	for (i = 0; i < gk->nvals; i++)
		free(gk->vals[i]);
	free(gk->vals);
	free(gk->key);
	memset(gk, 0, sizeof(*gk));
}

/* Split "v1,v2,..." into gk->vals; -1 on an empty value. */
static int
bts_grid_vals(struct bts_grid_key *gk, const char *list, char *err,
    size_t errlen)
{
	const char *p = list, *c;
	char *v, **nv;

	for (;;) {
		c = strchr(p, ',');
		if (c == NULL)
			c = p + strlen(p);
		if ((v = bts_trimdup(p, c)) == NULL)
			goto oom;
		if (*v == '\0') {
			free(v);
			bts_err(err, errlen, "--grid '%s=%s': value %d is empty "
			    "(want key=v1,v2,...)", gk->key, list,
			    gk->nvals + 1);
			return -1;
		}
		if ((nv = realloc(gk->vals, (size_t)(gk->nvals + 1) *
		    sizeof(*nv))) == NULL) {
			free(v);
			goto oom;
		}
		gk->vals = nv;
		gk->vals[gk->nvals++] = v;
		if (*c == '\0')
			return 0;
		p = c + 1;
	}
oom:
	bts_err(err, errlen, "--grid: out of memory");
	return -1;
}

int
bts_grid_add(struct bts_grid *g, const char *spec, char *err, size_t errlen)
{
	struct bts_grid_key gk = { 0 };
	const char *eq = strchr(spec, '=');
	long pts;
	int i;

	if (eq == NULL) {
		bts_err(err, errlen, "--grid '%s': no '=' (want "
		    "key=v1,v2,..., e.g. order_config.levels=1,2,3)", spec);
		return -1;
	}
	if ((gk.key = bts_trimdup(spec, eq)) == NULL) {
		bts_err(err, errlen, "--grid: out of memory");
		return -1;
	}
	if (!bts_key_ok(gk.key)) {
		bts_err(err, errlen, "--grid '%s': '%s' is not a config key "
		    "(a dotted name such as order_config.levels)", spec,
		    gk.key);
		goto fail;
	}
	for (i = 0; i < g->nkeys; i++) {
		if (strcmp(g->k[i].key, gk.key) == 0) {
			bts_err(err, errlen, "--grid: key %s given twice "
			    "(list all its values in one --grid)", gk.key);
			goto fail;
		}
	}
	if (g->nkeys == BTS_GRID_MAX_KEYS) {
		bts_err(err, errlen, "--grid: more than %d keys",
		    BTS_GRID_MAX_KEYS);
		goto fail;
	}
	if (bts_grid_vals(&gk, eq + 1, err, errlen) < 0)
		goto fail;
	pts = bts_grid_points(g);
	if ((pts ? pts : 1) * gk.nvals > BTS_GRID_MAX_POINTS) {
		bts_err(err, errlen, "--grid: more than %d points",
		    BTS_GRID_MAX_POINTS);
		goto fail;
	}
	g->k[g->nkeys++] = gk;
	return 0;
fail:
	bts_grid_key_free(&gk);
	return -1;
}

long
bts_grid_points(const struct bts_grid *g)
{
	long n = 1;
	int i;

	if (g->nkeys == 0)
		return 0;
	for (i = 0; i < g->nkeys; i++)
		n *= g->k[i].nvals;
	return n;
}

void
bts_grid_point(const struct bts_grid *g, long i, int *idx)
{
	int k;

	for (k = g->nkeys - 1; k >= 0; k--) {
		idx[k] = (int)(i % g->k[k].nvals);
		i /= g->k[k].nvals;
	}
}

void
bts_grid_free(struct bts_grid *g)
{
	int i;

	for (i = 0; i < g->nkeys; i++)
		bts_grid_key_free(&g->k[i]);
	g->nkeys = 0;
}

/* --- figures and rows ------------------------------------------------- */

int
bts_figure_find(const char *name)
{
	int i;

	for (i = 0; i < bts_nfigures; i++)
		if (strcmp(bts_figures[i].name, name) == 0)
			return i;
	return -1;
}

int
bts_sort_parse(const char *spec, struct bts_sort *s, char *err,
    size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char name[64];
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	int i, off;

	if (n < sizeof(name)) {
		memcpy(name, spec, n);
		name[n] = '\0';
		if ((s->fig = bts_figure_find(name)) >= 0) {
			s->desc = !bts_figures[s->fig].lower_better;
			if (colon == NULL)
				return 0;
			if (strcmp(colon, ":asc") == 0 ||
			    strcmp(colon, ":desc") == 0) {
				s->desc = strcmp(colon, ":desc") == 0;
				return 0;
			}
			bts_err(err, errlen, "--sort %s: the order is :asc "
			    "or :desc", spec);
			return -1;
		}
	}
	off = snprintf(err, errlen, "--sort %s: not a figure; one of:", spec);
	for (i = 0; i < bts_nfigures && off > 0 && (size_t)off < errlen; i++)
		off += snprintf(err + off, errlen - (size_t)off, " %s",
		    bts_figures[i].name);
	return -1;
}

int
bts_row_from_json(struct bts_row *r, const char *text, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je), *v;
	int i;

	if (o == NULL || !json_is_object(o)) {
		bts_err(err, errlen, "line %d: %s", je.line,
		    o ? "not a JSON object" : je.text);
		json_decref(o);
		return -1;
	}
	for (i = 0; i < bts_nfigures; i++) {
		v = json_object_get(o, bts_figures[i].name);
		r->fig[i] = json_is_number(v) ? json_number_value(v) : NAN;
	}
	json_decref(o);
	return 0;
}

/* qsort has no context argument: the comparison is made on copies that
 * carry their key (a local array, not a global). */
struct bts_keyed {
	double		 key;
	long		 point;
	size_t		 ix;
	bool		 desc;
};

static int
bts_keyed_cmp(const void *pa, const void *pb)
{
	const struct bts_keyed *a = pa, *b = pb;
	bool na = isnan(a->key), nb = isnan(b->key);

	if (na != nb)
		return na ? 1 : -1;	/* undefined last, either order */
	if (!na && a->key != b->key)
		return (a->key < b->key) == a->desc ? 1 : -1;
	return (a->point > b->point) - (a->point < b->point);
}

void
bts_rows_sort(struct bts_row *rows, size_t n, const struct bts_sort *s)
{
	struct bts_keyed *k;
	struct bts_row *tmp;
	size_t i;

	if (n < 2 || (k = malloc(n * sizeof(*k))) == NULL)
		return;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL) {
		free(k);
		return;
	}
	for (i = 0; i < n; i++)
		k[i] = (struct bts_keyed){ rows[i].fig[s->fig],
		    rows[i].point, i, s->desc };
	qsort(k, n, sizeof(*k), bts_keyed_cmp);
	for (i = 0; i < n; i++)
		tmp[i] = rows[k[i].ix];
	memcpy(rows, tmp, n * sizeof(*rows));
	free(tmp);
	free(k);
}

void
bts_point_name(char *buf, size_t len, long point)
{
	snprintf(buf, len, "point-%03ld", point);
}

/* --- CSV and table ---------------------------------------------------- */

/* A figure as text: integers without a fraction, others with `digits`
 * significant digits (10 in the CSV, 6 in the table). */
static const char *
bts_num(char *buf, size_t len, double v, int digits, const char *undef)
{
	if (isnan(v))
		snprintf(buf, len, "%s", undef);
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v);
	else
		snprintf(buf, len, "%.*g", digits, v);
	return buf;
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void
bts_csv_field(FILE *fp, const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

int
bts_sweep_write_csv(FILE *fp, const struct bts_grid *g,
    const struct bts_row *rows, size_t n)
{
	int idx[BTS_GRID_MAX_KEYS], k, f;
	char buf[64];
	size_t i;

	fputs("rank,point", fp);
	for (k = 0; k < g->nkeys; k++) {
		fputc(',', fp);
		bts_csv_field(fp, g->k[k].key);
	}
	for (f = 0; f < bts_nfigures; f++)
		fprintf(fp, ",%s", bts_figures[f].name);
	fputc('\n', fp);
	for (i = 0; i < n; i++) {
		bts_point_name(buf, sizeof(buf), rows[i].point);
		fprintf(fp, "%zu,%s", i + 1, buf);
		bts_grid_point(g, rows[i].point, idx);
		for (k = 0; k < g->nkeys; k++) {
			fputc(',', fp);
			bts_csv_field(fp, g->k[k].vals[idx[k]]);
		}
		for (f = 0; f < bts_nfigures; f++)
			fprintf(fp, ",%s", bts_num(buf, sizeof(buf),
			    rows[i].fig[f], 10, ""));
		fputc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}

/* The table's columns: rank, point, the keys, the figures. */
struct bts_col {
	const char	*head;
	int		 fig;		/* -1: not a figure */
	int		 width;
};

static int
bts_table_cols(const struct bts_grid *g, const struct bts_sort *s,
    struct bts_col *c)
{
	int n = 0, i, f;
	bool have_sort = false;

	for (i = 0; i < g->nkeys; i++)
		c[n++] = (struct bts_col){ g->k[i].key, -1, 0 };
	for (i = 0; i < BTS_NTABLE; i++) {
		f = bts_figure_find(bts_table_figs[i]);
		have_sort |= f == s->fig;
		c[n++] = (struct bts_col){ bts_figures[f].name, f, 0 };
	}
	if (!have_sort)
		c[n++] = (struct bts_col){ bts_figures[s->fig].name, s->fig,
		    0 };
	return n;
}

/* The text of cell (row i, column c). */
static const char *
bts_cell(char *buf, size_t len, const struct bts_grid *g,
    const struct bts_row *r, const struct bts_col *c, int col)
{
	int idx[BTS_GRID_MAX_KEYS];

	if (c->fig >= 0)
		return bts_num(buf, len, r->fig[c->fig], 6, "-");
	bts_grid_point(g, r->point, idx);
	return g->k[col].vals[idx[col]];
}

int
bts_sweep_write_table(FILE *fp, const struct bts_grid *g,
    const struct bts_row *rows, size_t n, const struct bts_sort *s)
{
	struct bts_col c[BTS_GRID_MAX_KEYS + BTS_NTABLE + 1];
	int nc = bts_table_cols(g, s, c), j, w;
	char buf[64], pname[32];
	size_t i;

	for (j = 0; j < nc; j++) {
		c[j].width = (int)strlen(c[j].head);
		for (i = 0; i < n; i++) {
			w = (int)strlen(bts_cell(buf, sizeof(buf), g, &rows[i],
			    &c[j], j));
			if (w > c[j].width)
				c[j].width = w;
		}
	}
	fprintf(fp, "%4s  %-9s", "rank", "point");
	for (j = 0; j < nc; j++)
		fprintf(fp, "  %*s", c[j].width, c[j].head);
	fprintf(fp, "\n");
	for (i = 0; i < n; i++) {
		bts_point_name(pname, sizeof(pname), rows[i].point);
		fprintf(fp, "%4zu  %-9s", i + 1, pname);
		for (j = 0; j < nc; j++)
			fprintf(fp, "  %*s", c[j].width, bts_cell(buf,
			    sizeof(buf), g, &rows[i], &c[j], j));
		fprintf(fp, "\n");
	}
	fprintf(fp, "sorted by %s, %s\n", bts_figures[s->fig].name,
	    s->desc ? "highest first" : "lowest first");
	return ferror(fp) ? -1 : 0;
}

/* --- the command line ------------------------------------------------- */

int
bts_sweep_parse(int argc, char **argv, struct bts_sweep_opts *o, char *err,
    size_t errlen)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "grid", required_argument, NULL, 'g' },
		{ "sort", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sort = BTS_SWEEP_DEFAULT_SORT;
	char *end;
	long v;
	int ch, i, k;

	memset(o, 0, sizeof(*o));
	o->out = BTS_SWEEP_DEFAULT_OUT;
	o->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o->jobs < 1)
		o->jobs = 1;
	optind = 0;	/* GNU: a full re-initialisation */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:", lopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'g':
			if (bts_grid_add(&o->grid, optarg, err, errlen) < 0)
				return -1;
			break;
		case 's':
			sort = optarg;
			break;
		case 'j':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 ||
			    v > 1024) {
				bts_err(err, errlen, "--jobs %s: want a whole "
				    "number 1..1024", optarg);
				return -1;
			}
			o->jobs = (int)v;
			break;
		case 'o':
			if (*optarg == '\0') {
				bts_err(err, errlen, "--out: empty folder name");
				return -1;
			}
			o->out = optarg;
			break;
		case ':':
			bts_err(err, errlen, "%s: needs a value",
			    argv[optind - 1]);
			return -1;
		default:
			bts_err(err, errlen, "unknown option %s (sweep takes "
			    "-c, --grid, --sort, --jobs, --out, then -- and "
			    "the backtest's own options)", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		bts_err(err, errlen, "unexpected '%s': the backtest's own "
		    "options go after --", argv[optind]);
		return -1;
	}
	o->bt_args = argv + optind;
	o->n_bt_args = argc - optind;
	if (bts_grid_points(&o->grid) == 0) {
		bts_err(err, errlen, "a grid with no points: give at least "
		    "one --grid 'key=v1,v2,...'");
		return -1;
	}
	if (bts_sort_parse(sort, &o->sort, err, errlen) < 0)
		return -1;
	/* the sweep owns --out and the grid's keys */
	for (i = 0; i < o->n_bt_args; i++) {
		const char *a = o->bt_args[i], *set = NULL;

		if (strcmp(a, "--out") == 0 || strncmp(a, "--out=", 6) == 0) {
			bts_err(err, errlen, "%s after --: the sweep gives "
			    "each point its own --out (use the sweep's "
			    "--out)", a);
			return -1;
		}
		if (strncmp(a, "--set=", 6) == 0)
			set = a + 6;
		else if (strcmp(a, "--set") == 0 && i + 1 < o->n_bt_args)
			set = o->bt_args[i + 1];
		for (k = 0; set != NULL && k < o->grid.nkeys; k++) {
			size_t kl = strlen(o->grid.k[k].key);

			if (strncmp(set, o->grid.k[k].key, kl) == 0 &&
			    set[kl] == '=') {
				bts_err(err, errlen, "--set %s after --: %s "
				    "is a grid key", set, o->grid.k[k].key);
				return -1;
			}
		}
	}
	return 0;
}

void
bts_sweep_opts_free(struct bts_sweep_opts *o)
{
	bts_grid_free(&o->grid);
}

/* --- running the points ----------------------------------------------- */

struct bts_job {
	pid_t		 pid;		/* 0: a free slot */
	long		 point;
	FILE		*err;		/* the child's stderr (a tmpfile) */
};

static int
bts_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void
bts_rmtree(const char *dir)
{
	nftw(dir, bts_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
bts_argv_free(char **av)
{
	char **p;

	if (av == NULL)
		return;
	for (p = av; *p; p++)
		free(*p);
	free(av);
}

/* exe [-c config] <bt args> --set k=v ... --out stage/point-NNN */
static char **
bts_point_argv(const struct bts_sweep_opts *o, long point, const char *stage)
{
	int idx[BTS_GRID_MAX_KEYS], n = 0, i, cap;
	char pname[32], **av;

	cap = 4 + o->n_bt_args + 2 * o->grid.nkeys + 2;
	if ((av = calloc((size_t)cap, sizeof(*av))) == NULL)
		return NULL;
	av[n++] = strdup(o->exe);
	if (o->config != NULL) {
		av[n++] = strdup("-c");
		av[n++] = strdup(o->config);
	}
	for (i = 0; i < o->n_bt_args; i++)
		av[n++] = strdup(o->bt_args[i]);
	bts_grid_point(&o->grid, point, idx);
	for (i = 0; i < o->grid.nkeys; i++) {
		av[n++] = strdup("--set");
		if (asprintf(&av[n++], "%s=%s", o->grid.k[i].key,
		    o->grid.k[i].vals[idx[i]]) < 0)
			av[n - 1] = NULL;
	}
	av[n++] = strdup("--out");
	bts_point_name(pname, sizeof(pname), point);
	if (asprintf(&av[n++], "%s/%s", stage, pname) < 0)
		av[n - 1] = NULL;
	for (i = 0; i < n; i++) {
		if (av[i] == NULL) {	/* out of memory somewhere */
			while (i < n)
				free(av[i++]);
			bts_argv_free(av);
			return NULL;
		}
	}
	return av;
}

/* In the child between fork and exec: the parent's handlers (a test
 * harness's, a program's) must not run here, so every signal is back to
 * its default before the mask the parent blocked is lifted. */
static void
bts_child_signals(const sigset_t *old)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);	/* EINVAL for KILL/STOP */
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Fork and exec one point; its stdout goes nowhere (the summary is in its
 * folder), its stderr into j->err for a failure to show. */
static int
bts_spawn(const struct bts_sweep_opts *o, const char *stage, long point,
    struct bts_job *j)
{
	char **av = bts_point_argv(o, point, stage);
	sigset_t all, old;
	int nul;

	if (av == NULL || (j->err = tmpfile()) == NULL) {
		bts_argv_free(av);
		return -1;
	}
	fflush(NULL);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((j->pid = fork()) == 0) {
		bts_child_signals(&old);
		if ((nul = open("/dev/null", O_RDWR)) >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
		}
		dup2(fileno(j->err), STDERR_FILENO);
		execv(av[0], av);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", av[0],
		    strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	bts_argv_free(av);
	if (j->pid < 0) {
		fclose(j->err);
		j->err = NULL;
		j->pid = 0;
		return -1;
	}
	j->point = point;
	return 0;
}

/* The whole of a small file, NUL-terminated; NULL if unreadable. */
static char *
bts_slurp(FILE *fp, size_t max)
{
	char *buf;
	size_t n;

	if ((buf = malloc(max + 1)) == NULL)
		return NULL;
	n = fread(buf, 1, max, fp);
	buf[n] = '\0';
	return buf;
}

static int
bts_read_row(const char *stage, struct bts_row *r, char *err, size_t errlen)
{
	char path[PATH_MAX], pname[32], *text, jerr[256];
	FILE *fp = NULL;
	int rc;

	bts_point_name(pname, sizeof(pname), r->point);
	if (snprintf(path, sizeof(path), "%s/%s/%s", stage, pname,
	    BTS_SUMMARY_JSON) >= (int)sizeof(path))
		errno = ENAMETOOLONG;
	else
		fp = fopen(path, "r");
	if (fp == NULL) {
		bts_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = bts_slurp(fp, 1 << 20);
	fclose(fp);
	if (text == NULL) {
		bts_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = bts_row_from_json(r, text, jerr, sizeof(jerr));
	free(text);
	if (rc < 0)
		bts_err(err, errlen, "%s: %s", path, jerr);
	return rc;
}

/* A point failed: say which, pass its stderr through once. */
static void
bts_report_failure(const struct bts_sweep_opts *o, const struct bts_job *j,
    int st)
{
	int idx[BTS_GRID_MAX_KEYS], i;
	char pname[32], *text;

	bts_point_name(pname, sizeof(pname), j->point);
	bts_grid_point(&o->grid, j->point, idx);
	fprintf(stderr, "pmm-backtest sweep: %s (", pname);
	for (i = 0; i < o->grid.nkeys; i++)
		fprintf(stderr, "%s%s=%s", i ? " " : "", o->grid.k[i].key,
		    o->grid.k[i].vals[idx[i]]);
	if (WIFEXITED(st))
		fprintf(stderr, ") exited with status %d; the sweep stops:\n",
		    WEXITSTATUS(st));
	else
		fprintf(stderr, ") killed by signal %d; the sweep stops:\n",
		    WTERMSIG(st));
	rewind(j->err);
	if ((text = bts_slurp(j->err, BTS_ERR_SHOW)) != NULL) {
		fputs(text, stderr);
		if (*text && text[strlen(text) - 1] != '\n')
			fputc('\n', stderr);
		free(text);
	}
}

/* OUT must not exist, or be an empty folder (rename(2) replaces an empty
 * folder): a sweep's results never mix with another's. */
static int
bts_out_free(const char *out)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (lstat(out, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode) || (d = opendir(out)) == NULL) {
		errno = EEXIST;
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	if (n > 0) {
		errno = EEXIST;
		return -1;
	}
	return 0;
}

struct bts_run {
	const struct bts_sweep_opts *o;
	char		 stage[PATH_MAX];
	struct bts_job	*jobs;
	struct bts_row	*rows;
	long		 npts, next, nrows;
	int		 running, rc;
};

/* Reap one child; the first failure stops the sweep (the running points
 * are terminated, by their own pids). */
static void
bts_reap(struct bts_run *r)
{
	struct bts_job *j = NULL;
	char err[PATH_MAX + 512];
	pid_t pid;
	int st, i;

	if ((pid = waitpid(-1, &st, 0)) < 0) {
		if (errno != EINTR) {	/* no child left: cannot happen */
			r->running = 0;
			r->rc = r->rc ? r->rc : 1;
		}
		return;
	}
	for (i = 0; i < r->o->jobs; i++)
		if (r->jobs[i].pid == pid)
			j = &r->jobs[i];
	if (j == NULL)
		return;
	r->running--;
	if (r->rc == 0) {
		struct bts_row *row = &r->rows[r->nrows];

		row->point = j->point;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			bts_report_failure(r->o, j, st);
			r->rc = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
		} else if (bts_read_row(r->stage, row, err, sizeof(err)) < 0) {
			fprintf(stderr, "pmm-backtest sweep: %s\n", err);
			r->rc = 1;
		} else
			r->nrows++;
		if (r->rc != 0)
			for (i = 0; i < r->o->jobs; i++)
				if (r->jobs[i].pid > 0 && &r->jobs[i] != j)
					kill(r->jobs[i].pid, SIGTERM);
	}
	fclose(j->err);
	j->err = NULL;
	j->pid = 0;
}

static int
bts_launch(struct bts_run *r)
{
	int i;

	for (i = 0; i < r->o->jobs; i++)
		if (r->jobs[i].pid == 0)
			break;
	if (bts_spawn(r->o, r->stage, r->next, &r->jobs[i]) < 0) {
		fprintf(stderr, "pmm-backtest sweep: cannot start a point: "
		    "%s\n", strerror(errno));
		return -1;
	}
	r->next++;
	r->running++;
	return 0;
}

/* Interrupted: stop the running points (by their pids) and fail. */
static void
bts_interrupted(struct bts_run *r)
{
	int i;

	fprintf(stderr, "pmm-backtest sweep: interrupted; stopping %d "
	    "point%s and removing %s\n", r->running, r->running == 1 ? "" :
	    "s", r->stage);
	for (i = 0; i < r->o->jobs; i++)
		if (r->jobs[i].pid > 0)
			kill(r->jobs[i].pid, SIGTERM);
	r->rc = 130;
}

/* sweep.csv into the stage, then the stage becomes OUT. */
static int
bts_finish_out(struct bts_run *r)
{
	char path[PATH_MAX];
	FILE *fp;

	if (snprintf(path, sizeof(path), "%s/%s", r->stage, BTS_SWEEP_CSV) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if ((fp = fopen(path, "w")) == NULL)
		goto fail;
	if (bts_sweep_write_csv(fp, &r->o->grid, r->rows,
	    (size_t)r->nrows) < 0) {
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0)
		goto fail;
	if (rename(r->stage, r->o->out) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "pmm-backtest sweep: %s: %s\n", path,
	    strerror(errno));
	return -1;
}

int
bts_sweep_run(const struct bts_sweep_opts *o, FILE *tty)
{
	struct bts_run r = { .o = o };
	struct timespec t0, t1;
	double *figs = NULL, secs;
	long i;

	r.npts = bts_grid_points(&o->grid);
	if (bts_out_free(o->out) < 0) {
		fprintf(stderr, "pmm-backtest sweep: --out %s: %s (give a "
		    "new folder: a sweep's results never mix with "
		    "another's)\n", o->out, errno == EEXIST ?
		    "exists and is not an empty folder" : strerror(errno));
		return 73;	/* EX_CANTCREAT */
	}
	snprintf(r.stage, sizeof(r.stage), "%s.partial-%ld", o->out,
	    (long)getpid());
	r.jobs = calloc((size_t)o->jobs, sizeof(*r.jobs));
	r.rows = calloc((size_t)r.npts, sizeof(*r.rows));
	figs = malloc((size_t)r.npts * (size_t)bts_nfigures * sizeof(*figs));
	if (r.jobs == NULL || r.rows == NULL || figs == NULL ||
	    mkdir(r.stage, 0755) < 0) {
		fprintf(stderr, "pmm-backtest sweep: %s: %s\n", r.stage,
		    strerror(errno));
		r.rc = 73;
		goto out;
	}
	for (i = 0; i < r.npts; i++)
		r.rows[i].fig = figs + i * bts_nfigures;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (r.running > 0 || (r.rc == 0 && r.next < r.npts)) {
		if (bts_sweep_stop && r.rc == 0)
			bts_interrupted(&r);
		while (r.rc == 0 && r.next < r.npts && r.running < o->jobs)
			if (bts_launch(&r) < 0)
				r.rc = 1;
		if (r.running > 0)
			bts_reap(&r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bts_rows_sort(r.rows, (size_t)r.nrows, &o->sort);
	if (r.rc == 0 && bts_finish_out(&r) < 0)
		r.rc = 1;
	if (r.rc != 0) {
		bts_rmtree(r.stage);
		goto out;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	bts_sweep_write_table(tty, &o->grid, r.rows, (size_t)r.nrows,
	    &o->sort);
	fprintf(tty, "%ld points in %.3f s (%.2f points/s, %d jobs); "
	    "%s/%s and %s/point-NNN/\n", r.npts, secs,
	    secs > 0 ? (double)r.npts / secs : 0.0, o->jobs, o->out,
	    BTS_SWEEP_CSV, o->out);
	fflush(tty);
out:
	free(figs);
	free(r.rows);
	free(r.jobs);
	return r.rc;
}

static void
bts_sweep_usage(FILE *fp)
{
	fprintf(fp, "usage: pmm-backtest sweep [-c config.yaml] --grid "
	    "'key=v1,v2,...' [--grid ...]\n"
	    "           [--sort FIGURE[:asc|:desc]] [--jobs N] [--out DIR] "
	    "[-- <backtest options>]\n"
	    "Runs one backtest per point of the grid (--set key=value each), "
	    "--jobs at a time\n(default: the number of cores), and writes "
	    "DIR/%s (default DIR: %s) sorted\nby FIGURE (default %s; any "
	    "number of %s).\n", BTS_SWEEP_CSV, BTS_SWEEP_DEFAULT_OUT,
	    BTS_SWEEP_DEFAULT_SORT, BTS_SUMMARY_JSON);
}

static void
bts_on_signal(int sig)
{
	(void)sig;
	bts_sweep_stop = 1;
}

/* Without SA_RESTART: the wait for a child returns EINTR at once. */
static void
bts_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bts_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int
bts_sweep_main(int argc, char **argv)
{
	struct bts_sweep_opts o;
	char err[4096], exe[PATH_MAX];
	ssize_t n;
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			bts_sweep_usage(stdout);
			return 0;
		}
	}
	if (bts_sweep_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "pmm-backtest sweep: %s\n", err);
		bts_sweep_usage(stderr);
		bts_sweep_opts_free(&o);
		return BTS_EXIT_USAGE;
	}
	/* the program itself, as it is now (not argv[0], not $PATH) */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0) {
		fprintf(stderr, "pmm-backtest sweep: /proc/self/exe: %s\n",
		    strerror(errno));
		bts_sweep_opts_free(&o);
		return 1;
	}
	exe[n] = '\0';
	o.exe = exe;
	bts_catch_signals();
	rc = bts_sweep_run(&o, stdout);
	bts_sweep_opts_free(&o);
	return rc;
}
