/*
 * main.c — pmm-backtest: the production trading core on a virtual clock
 * against recorded or synthetic markets (bt_run.c), and `convert`, the
 * binary form of a recording (bt_convert.c).
 *
 *   pmm-backtest [-c config.yaml] [--replay FILE ... | --synthetic SECONDS
 *                [--seed N]] [--latency SPEC | --latency-file F]
 *                [--queue pessimistic|prob[:N]] [--fees vipN|maker=PCT,...]
 *                [--funding rate=X,interval=S] [--out DIR] [--set key=value ...]
 *   pmm-backtest convert FILE.gz OUT
 *   pmm-backtest sweep ... (bt_sweep.c: a grid of --set values, in parallel)
 *
 * Exit: 0 done, 1 the run failed (a missing or damaged recording, a full
 * disk), 2 usage, 78 the config (the same message as pmmd -n: file, line,
 * key, what is valid), 130 interrupted (SIGINT/SIGTERM: the temporary
 * directory is removed). --out DIR is written into a temporary directory
 * beside it and renamed at the end: DIR is whole or untouched. Output
 * timestamps are UTC on the virtual clock: no wall clock anywhere, so the
 * same input and seed give the same bytes.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bt_convert.h"
#include "bt_run.h"
#include "cfg.h"
#include "ctl_report.h"
#include "log.h"

#include "bt_stats.h"
#include "bt_sweep.h"

#define BT_EXIT_FAIL	1
#define BT_EXIT_USAGE	2
#define BT_MARKER	".pmm-backtest"	/* says a directory is our output */
#define BT_MAX_FILES	1024
#define BT_MAX_SETS	256
#define BT_DEFAULT_CFG	"config/config.yaml"

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: pmm-backtest [-c config.yaml] [--replay FILE ... | --synthetic SECONDS\n"
"                    [--seed N]] [--latency SPEC | --latency-file F]\n"
"                    [--queue pessimistic|prob[:N]] [--fees vipN|maker=PCT,...]\n"
"                    [--funding rate=X,interval=S]\n"
"                    [--out DIR] [--set key=value ...] [--quiet]\n"
"       pmm-backtest convert FILE.gz OUT\n"
"       pmm-backtest sweep [-c config.yaml] --grid 'key=v1,v2,...' [--grid ...]\n"
"                    [--sort FIGURE[:asc|:desc]] [--jobs N] [--out DIR]\n"
"                    [-- <the options above>]   (sweep --help)\n"
"\n"
"  -c FILE           the tree's config (default %s when it exists)\n"
"  --replay FILE ... recordings, played in a row: gzip JSON lines as\n"
"                    recorded, or their binary form (convert)\n"
"  --synthetic S     the seeded synthetic market for S virtual seconds\n"
"  --seed N          synthetic market and latency draws (1)\n"
"  --latency SPEC    entry=MS,response=MS,feed=recorded|MS (1, 1, recorded)\n"
"  --latency-file F  entry and response drawn from F: lines 'ENTRY_MS\n"
"                    RESPONSE_MS' or 'RTT_MS' (half each way), or a live\n"
"                    run's metrics CSV (its order_rtt_ms, half each way)\n"
"  --queue MODEL     pessimistic (default) or prob[:N], N the power (2)\n"
"  --fees SPEC       vipN (Binance's VIP tier 0..9) and/or maker=PCT,taker=PCT\n"
"                    in percent (VIP 0: maker 0.02, taker 0.05)\n"
"  --funding SPEC    rate=X,interval=S: the synthetic market's funding rate\n"
"                    per interval (0.0001) and interval (28800 s); a replay\n"
"                    pays its recorded markPrice rate\n"
"  --out DIR         the metrics CSV, summary.txt and summary.json there\n"
"  --set KEY=VALUE   a config key over the file's, e.g.\n"
"                    order_config.price_offset_percent=0.02 (repeatable)\n"
"  --quiet           no summary on stdout\n", BT_DEFAULT_CFG);
}

struct args {
	const char	*config;
	const char	*files[BT_MAX_FILES];
	int		 nfiles;
	double		 synth_s;
	bool		 synth;
	const char	*sets[BT_MAX_SETS];
	int		 nsets;
	const char	*out;
	bool		 quiet;
	struct bt_run_opts o;
};

static int
parse_double(const char *opt, const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(*v) ||
	    *v < lo || *v > hi) {
		fprintf(stderr, "pmm-backtest: %s: bad value '%s' (valid: a "
		    "number from %g to %g)\n", opt, s, lo, hi);
		return -1;
	}
	return 0;
}

static int
parse_queue(const char *s, struct bt_run_opts *o)
{
	if (strcmp(s, "pessimistic") == 0) {
		o->queue = EXCH_QUEUE_PESSIMISTIC;
		return 0;
	}
	if (strcmp(s, "prob") == 0) {
		o->queue = EXCH_QUEUE_PROB;
		return 0;
	}
	if (strncmp(s, "prob:", 5) == 0 &&
	    parse_double("--queue prob:N", s + 5, 1, 100, &o->queue_power) ==
	    0) {
		o->queue = EXCH_QUEUE_PROB;
		return 0;
	}
	fprintf(stderr, "pmm-backtest: --queue: bad value '%s' (valid: "
	    "pessimistic, prob or prob:N with N from 1 to 100)\n", s);
	return -1;
}

/* "vipN" or "tier=N" (Binance's USD-M VIP tiers), then
 * "maker=PCT,taker=PCT" in percent over it; a maker rebate is negative. */
static int
parse_fees(const char *s, struct bt_run_opts *o)
{
	char buf[128], *tok, *save = NULL, *eq;
	double v;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "vip", 3) == 0 && parse_double("--fees vipN",
		    tok + 3, 0, EXCH_FEE_TIERS - 1, &v) == 0 && v == (int)v) {
			(void)exch_fee_tier((int)v, &o->maker_fee,
			    &o->taker_fee);
			continue;
		}
		if ((eq = strchr(tok, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(tok, "maker") == 0 &&
		    parse_double("--fees maker", eq, -0.1, 1, &v) == 0)
			o->maker_fee = v / 100;
		else if (strcmp(tok, "taker") == 0 &&
		    parse_double("--fees taker", eq, 0, 1, &v) == 0)
			o->taker_fee = v / 100;
		else if (strcmp(tok, "tier") == 0 && parse_double("--fees tier",
		    eq, 0, EXCH_FEE_TIERS - 1, &v) == 0 && v == (int)v)
			(void)exch_fee_tier((int)v, &o->maker_fee,
			    &o->taker_fee);
		else
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "pmm-backtest: --fees: bad value '%s' (valid: "
	    "vipN or tier=N (0..9, Binance's VIP tiers), and/or maker=PCT,"
	    "taker=PCT in percent, e.g. vip1 or maker=0.02,taker=0.05)\n", s);
	return -1;
}

enum { OPT_REPLAY = 256, OPT_SYNTH, OPT_SEED, OPT_LATENCY, OPT_LATFILE,
	OPT_QUEUE, OPT_FEES, OPT_FUNDING, OPT_OUT, OPT_SET, OPT_QUIET,
	OPT_HELP };

/* "rate=X,interval=S" */
static int
parse_funding(const char *s, struct bt_run_opts *o)
{
	char buf[128], *tok, *save = NULL, *eq;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(tok, "rate") == 0 && parse_double("--funding rate",
		    eq, -0.03, 0.03, &o->funding_rate) == 0)
			o->funding_rate_set = true;
		else if (strcmp(tok, "interval") == 0 && parse_double(
		    "--funding interval", eq, 60, 86400, &o->funding_interval_s) ==
		    0)
			;
		else
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "pmm-backtest: --funding: bad value '%s' (valid: "
	    "rate=X,interval=S, X from -0.03 to 0.03 per interval, S from "
	    "60 to 86400 s)\n", s);
	return -1;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "synthetic", required_argument, NULL, OPT_SYNTH },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "latency", required_argument, NULL, OPT_LATENCY },
		{ "latency-file", required_argument, NULL, OPT_LATFILE },
		{ "queue", required_argument, NULL, OPT_QUEUE },
		{ "fees", required_argument, NULL, OPT_FEES },
		{ "funding", required_argument, NULL, OPT_FUNDING },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "set", required_argument, NULL, OPT_SET },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	double seed;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case OPT_REPLAY:
			/* --replay A B C: the files up to the next option */
			optind--;
			while (optind < argc && argv[optind][0] != '-') {
				if (a->nfiles == BT_MAX_FILES) {
					fprintf(stderr, "pmm-backtest: more "
					    "than %d recordings\n",
					    BT_MAX_FILES);
					return -1;
				}
				a->files[a->nfiles++] = argv[optind++];
			}
			break;
		case OPT_SYNTH:
			if (parse_double("--synthetic", optarg, 1, 366 * 86400.0,
			    &a->synth_s) == -1)
				return -1;
			a->synth = true;
			break;
		case OPT_SEED:
			if (parse_double("--seed", optarg, 0, 9007199254740992.0,
			    &seed) == -1 || seed != floor(seed))
				return -1;
			a->o.seed = (uint64_t)seed;
			a->o.lat.seed = (uint64_t)seed;
			break;
		case OPT_LATENCY:
			if (bt_lat_parse(&a->o.lat, optarg, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "pmm-backtest: %s\n", err);
				return -1;
			}
			break;
		case OPT_LATFILE:
			snprintf(a->o.lat.file, sizeof(a->o.lat.file), "%s",
			    optarg);
			break;
		case OPT_QUEUE:
			if (parse_queue(optarg, &a->o) == -1)
				return -1;
			break;
		case OPT_FEES:
			if (parse_fees(optarg, &a->o) == -1)
				return -1;
			break;
		case OPT_FUNDING:
			if (parse_funding(optarg, &a->o) == -1)
				return -1;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_SET:
			if (a->nsets == BT_MAX_SETS) {
				fprintf(stderr, "pmm-backtest: more than %d "
				    "--set\n", BT_MAX_SETS);
				return -1;
			}
			a->sets[a->nsets++] = optarg;
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pmm-backtest: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	if ((a->nfiles > 0) == a->synth) {
		fprintf(stderr, "pmm-backtest: say which market: --replay "
		    "FILE ... or --synthetic SECONDS\n");
		return -1;
	}
	return 0;
}

/* SIGINT/SIGTERM stop the run; main removes its temporary directory. */
static volatile sig_atomic_t bt_stop;

static void
on_signal(int sig)
{
	(void)sig;
	bt_stop = 1;
}

static void
signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

/* ---- the output directory: whole or untouched ------------------------ */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool
dir_empty(const char *dir)
{
	/* rmdir succeeds on an empty directory only; put it back */
	if (rmdir(dir) == 0) {
		(void)mkdir(dir, 0750);
		return true;
	}
	return false;
}

/* May DIR be written? Absent, empty, or an earlier run's output. */
static int
out_check(const char *out)
{
	char marker[PATH_MAX];
	struct stat st;

	if (stat(out, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "pmm-backtest: --out %s: exists and is not a "
		    "directory\n", out);
		return -1;
	}
	snprintf(marker, sizeof(marker), "%s/%s", out, BT_MARKER);
	if (access(marker, F_OK) == 0 || dir_empty(out))
		return 0;
	fprintf(stderr, "pmm-backtest: --out %s: a directory that is not an "
	    "earlier backtest's output: not replaced (name a new one)\n", out);
	return -1;
}

/* A temporary directory beside out (same file system: rename works). */
static int
out_tmp(const char *out, char *tmp, size_t len)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s", out);
	snprintf(b, sizeof(b), "%s", out);
	if ((size_t)snprintf(tmp, len, "%s/.%s.tmp-XXXXXX", dirname(a),
	    basename(b)) >= len || mkdtemp(tmp) == NULL) {
		fprintf(stderr, "pmm-backtest: --out %s: cannot make a "
		    "temporary directory beside it: %s\n", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* The finished tmp becomes out; an earlier output there goes. */
static int
out_commit(const char *tmp, const char *out)
{
	char old[PATH_MAX + 16];
	struct stat st;
	FILE *fp;

	snprintf(old, sizeof(old), "%s/%s", tmp, BT_MARKER);
	if ((fp = fopen(old, "w")) == NULL || fputs("pmm-backtest output\n",
	    fp) == EOF || fclose(fp) != 0)
		goto fail;
	if (stat(out, &st) == 0) {
		snprintf(old, sizeof(old), "%s.old-%ld", tmp, (long)getpid());
		if (rename(out, old) == -1)
			goto fail;
		if (rename(tmp, out) == -1) {
			(void)rename(old, out);
			goto fail;
		}
		rm_tree(old);
		return 0;
	}
	if (rename(tmp, out) == 0)
		return 0;
fail:
	fprintf(stderr, "pmm-backtest: --out %s: %s\n", out, strerror(errno));
	return -1;
}

/* ---- the summary ------------------------------------------------------ */

static void
summary_run(FILE *fp, const struct args *a, const struct bt_result *r)
{
	double span = (double)(r->end_ns - r->start_ns) / 1e9;
	int i;

	fprintf(fp, "market        ");
	if (a->nfiles > 0)
		for (i = 0; i < a->nfiles; i++)
			fprintf(fp, "%s%s", i ? ", " : "", a->files[i]);
	else
		fprintf(fp, "synthetic, seed %llu",
		    (unsigned long long)a->o.seed);
	fprintf(fp, "\nvirtual time  %.1f s, %llu market events, %llu "
	    "requests\n", span, (unsigned long long)r->mkt_events,
	    (unsigned long long)r->requests);
	fprintf(fp, "orders        %llu placed, %llu cancelled, %llu "
	    "rejected, %llu fills\n", (unsigned long long)r->placed,
	    (unsigned long long)r->canceled, (unsigned long long)r->rejects,
	    (unsigned long long)r->fills);
	fprintf(fp, "volume        buy %.8g (%.2f %s), sell %.8g (%.2f)\n",
	    r->buy_qty, r->buy_quote, "USDT", r->sell_qty, r->sell_quote);
	fprintf(fp, "position      %.8g at the end; wallet %.4f USDT (realized "
	    "%.4f, fees %.4f, funding %+.4f in %llu payments)\n", r->position,
	    r->wallet, r->realized, r->fees, r->funding,
	    (unsigned long long)r->fundings);
}

static int
summary_files(const char *dir, const struct args *a,
    const struct bt_result *r, const void *sum)
{
	char path[PATH_MAX];
	FILE *fp;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	summary_run(fp, a, r);
	if (sum != NULL && bts_write_text(sum, fp) == -1)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (sum != NULL) {
		if ((fp = fopen(path, "w")) == NULL)
			return -1;
		if (bts_write_json(sum, fp) == -1)
			rc = -1;
		if (fclose(fp) != 0)
			rc = -1;
	}
	return rc;
}

/* Text into HTML: <, > and & escaped. */
static void
html_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			fputs("&lt;", fp);
		else if (*s == '>')
			fputs("&gt;", fp);
		else if (*s == '&')
			fputs("&amp;", fp);
		else
			fputc(*s, fp);
	}
}

/*
 * The report pmmctl report makes of a session's CSV (ctl_report.c), made
 * of the backtest's own CSV into DIR/report, with the summary on the
 * page. Generated "at" the run's virtual end: the same run, the same page.
 * A report that cannot be made (gnuplot missing) is said, not fatal: the
 * CSV and the summary stand.
 */
static int
report_make(const char *dir, const struct args *a, const struct cfg *c,
    const struct bt_result *r, const void *sum, char *where, size_t wlen)
{
	struct rpt_opts o;
	struct rpt_result res;
	char out[PATH_MAX], err[1024], *text = NULL, *html = NULL;
	size_t tlen = 0, hlen = 0;
	FILE *fp;
	int rc;

	if ((fp = open_memstream(&text, &tlen)) == NULL)
		return -1;
	summary_run(fp, a, r);
	if (sum != NULL)
		(void)bts_write_text(sum, fp);
	fclose(fp);
	if ((fp = open_memstream(&html, &hlen)) == NULL) {
		free(text);
		return -1;
	}
	fputs("<h2>Backtest summary</h2>\n<pre>", fp);
	html_text(fp, text);
	fputs("</pre>\n", fp);
	fclose(fp);
	free(text);
	snprintf(out, sizeof(out), "%s/report", dir);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.out = out;
	o.instance = c->instance_id;
	o.capital = c->initial_capital;
	o.limit_quote = c->initial_capital * c->max_net_position_ratio;
	o.title = "pmm backtest";
	o.extra_html = html;
	rc = rpt_make(&o, r->end_ns, &res, err, sizeof(err));
	free(html);
	if (rc == -1) {
		fprintf(stderr, "pmm-backtest: the report was not made: %s\n",
		    err);
		snprintf(where, wlen, "not made (%s)", err);
		return 0;
	}
	snprintf(where, wlen, "%s/report/index.html", a->out);
	return 0;
}

/* ---- subcommands ------------------------------------------------------ */

static int
cmd_convert(int argc, char **argv)
{
	struct bt_convert_stats st;
	char err[1024];

	if (argc != 3) {
		fprintf(stderr, "usage: pmm-backtest convert FILE.gz OUT\n");
		return BT_EXIT_USAGE;
	}
	if (bt_convert(argv[1], argv[2], &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "pmm-backtest: convert: %s\n", err);
		return BT_EXIT_FAIL;
	}
	printf("%s: %llu lines (%llu malformed, dropped), %llu events in "
	    "%llu records of 64 bytes\n", argv[2], (unsigned long long)st.lines,
	    (unsigned long long)st.bad, (unsigned long long)st.events,
	    (unsigned long long)st.records);
	return 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct args a;
	struct cfg cfg;
	struct bt_result r;
	char err[CFG_ERRLEN + 512], tmp[PATH_MAX] = "", where[1200] = "";
	const void *sum = NULL;
	int i, rc;

	/* before the temporary directory exists: a signal never leaves it */
	signals_catch();
	memset(&a, 0, sizeof(a));
	bt_run_defaults(&a.o);
	if (parse_args(argc, argv, &a) == -1) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	if (a.config == NULL && access(BT_DEFAULT_CFG, R_OK) == 0)
		a.config = BT_DEFAULT_CFG;
	if (cfg_load_set(&cfg, a.config, NULL, a.sets, a.nsets,
	    CFG_LOAD_NOKEYS, err, sizeof(err)) == -1) {
		fprintf(stderr, "pmm-backtest: %s\n", err);
		return CFG_EXIT;
	}
	/* a recording that is not there is said before anything runs */
	for (i = 0; i < a.nfiles; i++)
		if (access(a.files[i], R_OK) == -1) {
			fprintf(stderr, "pmm-backtest: --replay %s: %s\n",
			    a.files[i], strerror(errno));
			return BT_EXIT_FAIL;
		}
	if (a.out != NULL && (out_check(a.out) == -1 ||
	    out_tmp(a.out, tmp, sizeof(tmp)) == -1))
		return BT_EXIT_FAIL;
	a.o.cfg = &cfg;
	a.o.files = a.files;
	a.o.nfiles = a.nfiles;
	a.o.synth_s = a.synth_s;
	a.o.out_dir = a.out != NULL ? tmp : NULL;
	a.o.stop = &bt_stop;
	rc = bt_run(&a.o, &r, err, sizeof(err));
	if (rc == 0 && r.stats != NULL)
		sum = bts_finish(r.stats, r.end_ns);
	if (rc == 0 && a.out != NULL && summary_files(tmp, &a, &r, sum) == -1) {
		snprintf(err, sizeof(err), "--out %s: cannot write the summary: "
		    "%s", a.out, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && a.out != NULL && report_make(tmp, &a, &cfg, &r, sum,
	    where, sizeof(where)) == -1) {
		snprintf(err, sizeof(err), "--out %s: cannot make the report: "
		    "%s", a.out, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && a.out != NULL && out_commit(tmp, a.out) == -1)
		rc = -2;
	if (rc == -1)
		fprintf(stderr, "pmm-backtest: %s\n", err);
	if (rc != 0 && tmp[0] != '\0')
		rm_tree(tmp);
	if (rc == 0 && !a.quiet) {
		summary_run(stdout, &a, &r);
		if (sum != NULL)
			bts_write_text(sum, stdout);
		if (a.out != NULL)
			printf("report        %s: metrics CSV, summary.txt, "
			    "summary.json; the page %s\n", a.out, where);
	}
	bts_free(r.stats);
	if (bt_stop)
		return 128 + SIGINT;	/* as the shell says it */
	return rc == 0 ? 0 : BT_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	/* the CSV's local dates and times are the virtual clock's, in UTC,
	 * whatever the machine's zone: the same run, the same bytes */
	setenv("TZ", "UTC0", 1);
	tzset();
	log_init("pmm-backtest", LOG_LVL_WARN);
	if (argc > 1 && strcmp(argv[1], "convert") == 0)
		return cmd_convert(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "sweep") == 0)
		return bts_sweep_main(argc - 1, argv + 1);
	return cmd_run(argc, argv);
}
