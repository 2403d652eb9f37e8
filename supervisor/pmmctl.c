/*
 * pmmctl.c — inspect and steer a running pmm tree.
 *
 * Like bgpctl: a keyword table maps the command line to one request, pmmd
 * answers with JSON, and the output is either that JSON (--json) or a
 * readable rendering of it. pmmctl finds pmmd's control socket exactly as
 * pmmd does (common/rundir.c), from -i INSTANCE or from the config file.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl_files.h"
#include "ctl_history.h"
#include "ctl_report.h"
#include "rundir.h"

enum ctl_out { OUT_TEXT, OUT_JSON };

struct ctl_cmd {
	const char	*word;
	const char	*sub;		/* second keyword, or NULL */
	const char	*request;	/* line sent to pmmd */
	int		 takes_arg;	/* rest of argv appended */
	void		(*show)(json_t *);
	const char	*help;
};

static void show_status(json_t *);
static void show_config(json_t *);
static void show_ok(json_t *);

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", NULL, "status", 0, show_status,
	    "services, prices, position and pause state" },
	{ "config", NULL, "config", 0, show_config,
	    "the running tree's effective config and each value's source" },
	{ "pause", NULL, "pause", 1, show_ok,
	    "pause the strategy: no new orders, none left open [reason]" },
	{ "resume", NULL, "resume", 0, show_ok,
	    "resume the strategy once the cause of a pause is gone" },
	{ "reload", NULL, "reload", 0, show_ok,
	    "re-read and validate the config; keep the old one if bad" },
	{ "stop", NULL, "stop", 0, show_ok,
	    "stop the tree in order (order service first)" },
	{ "history", NULL, NULL, 1, NULL,
	    "from the metrics CSV: [--since 1h|DATE] [--until ...] [--dir DIR]" },
	{ "report", NULL, NULL, 1, NULL,
	    "charts + HTML page of the CSV: [--since ..] [--until ..] [--dir DIR] "
	    "[--out DIR]" },
	{ "debug", "crash", "crash", 1, show_ok,
	    "make a service crash from the inside: debug crash <service>" },
	{ NULL, NULL, NULL, 0, NULL, NULL }
};

static void
usage(FILE *fp)
{
	const struct ctl_cmd *c;

	fprintf(fp, "usage: pmmctl [-i instance | -c config.yaml] [-e env-file] "
	    "[--json] command\n\ncommands:\n");
	for (c = ctl_cmds; c->word != NULL; c++)
		fprintf(fp, "  %-7s %-6s %s\n", c->word, c->sub ? c->sub : "",
		    c->help);
	fprintf(fp, "\nThe runtime directory is $PMM_RUNTIME_DIR, else "
	    "$XDG_RUNTIME_DIR/pmm/<instance>,\nelse /run/pmm/<instance>; the "
	    "instance comes from -i or from the config\n(default "
	    "config/config.yaml).\n");
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static double
jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
fmt_age(char *buf, size_t len, double s)
{
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
}

/* Only news: records a service lost or holds back (logger: a full disk). */
static void
show_losses(json_t *svcs)
{
	json_int_t lost, pending;
	json_t *s;
	size_t i;

	json_array_foreach(svcs, i, s) {
		lost = json_integer_value(json_object_get(s, "lost"));
		pending = json_integer_value(json_object_get(s, "pending"));
		if (lost == 0 && pending == 0)
			continue;
		printf("%-8s %" JSON_INTEGER_FORMAT " records lost, %"
		    JSON_INTEGER_FORMAT " waiting to be written (%"
		    JSON_INTEGER_FORMAT " errors; see the log)\n",
		    jstr(s, "name"), lost, pending,
		    json_integer_value(json_object_get(s, "errors")));
	}
}

/* Only news: a section corrupt right now (pmmd is having it rewritten). */
static void
show_segment(json_t *seg)
{
	json_t *bad = json_object_get(seg, "corrupt"), *v;
	size_t i;

	if (json_array_size(bad) == 0)
		return;
	printf("segment  CORRUPT:");
	json_array_foreach(bad, i, v)
		printf(" %s", json_string_value(v) ? json_string_value(v) : "?");
	printf(" (being rewritten; see the log)\n");
}

/* Decimals that show a step of this size (tick 0.1 -> 1), at most 8. */
static int
dec_of(double step, int dflt)
{
	int d;

	if (!(step > 0) || !isfinite(step))
		return dflt;
	for (d = 0; d < 8 && fabs(step * pow(10, d) -
	    round(step * pow(10, d))) > 1e-9 * pow(10, d); d++)
		;
	return d;
}

/* v with d decimals, or "-" when nobody knows it yet. */
static const char *
fmt_fix(char *buf, size_t len, int d, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", d, v == 0 ? 0 : v);	/* no -0.00 */
	return buf;
}

/* Local wall time of a realtime ns stamp, "HH:MM:SS" (date if not today). */
static void
fmt_when(char *buf, size_t len, json_t *ns)
{
	time_t t, now = time(NULL);
	struct tm tm, tn;

	if (!json_is_integer(ns)) {
		snprintf(buf, len, "-");
		return;
	}
	t = (time_t)(json_integer_value(ns) / 1000000000);
	localtime_r(&t, &tm);
	localtime_r(&now, &tn);
	strftime(buf, len, tm.tm_yday == tn.tm_yday && tm.tm_year ==
	    tn.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
}

/*
 * The first question about a market maker: is it quoting, and if not, why
 * (and since when: "exchange unreachable since 09:01:02").
 */
static void
show_quoting(json_t *q)
{
	const char *reason = jstr(q, "reason");
	char when[40], age[32];

	fmt_when(when, sizeof(when), json_object_get(q, "since_ns"));
	fmt_age(age, sizeof(age), jnum(q, "since_s"));
	if (json_is_true(json_object_get(q, "quoting")))
		printf("quoting: yes");
	else if (json_is_object(q))
		printf("quoting: no \u2014 %s%s%s", jstr(q, "state"),
		    *reason ? ": " : "", reason);
	else {
		printf("quoting: unknown (pmmd too old to say)\n");
		return;
	}
	if (strcmp(when, "-") != 0)
		printf(" (for %s, since %s)", age, when);
	printf("\n");
}

/* Each open order, sells from the top down to the buys. */
static void
show_ladder(json_t *lad, int pd, int qd)
{
	char px[32], bp[32], qty[32], age[32];
	json_t *r;
	size_t i, n = json_array_size(lad);
	int k, lv, maxlv = 0;

	if (n == 0) {
		printf("ladder   no open orders\n");
		return;
	}
	printf("ladder   %-4s %3s %14s %10s %12s %7s  %s\n", "SIDE", "LVL",
	    "PRICE", "FROM MID", "QTY", "AGE", "STATUS");
	for (i = 0; i < n; i++) {
		lv = (int)json_integer_value(json_object_get(
		    json_array_get(lad, i), "level"));
		maxlv = lv > maxlv ? lv : maxlv;
	}
	/* sells from the farthest down, then buys from the nearest: the
	 * book as it looks */
	for (k = 0; k < 2 * maxlv; k++) {
		int sell = k < maxlv, want = sell ? maxlv - k : k - maxlv + 1;

		json_array_foreach(lad, i, r) {
			if ((strcmp(jstr(r, "side"), "SELL") == 0) != sell ||
			    json_integer_value(json_object_get(r, "level")) !=
			    want)
				continue;
			fmt_age(age, sizeof(age), jnum(r, "age_s"));
			snprintf(bp, sizeof(bp), isnan(jnum(r, "bp_from_mid")) ?
			    "-" : "%+.1f bp", jnum(r, "bp_from_mid"));
			printf("         %-4s %3d %14s %10s %12s %7s  %s\n",
			    jstr(r, "side"), want,
			    fmt_fix(px, sizeof(px), pd, jnum(r, "price")), bp,
			    fmt_fix(qty, sizeof(qty), qd, jnum(r, "qty")), age,
			    jstr(r, "status"));
		}
	}
}

static void
show_position(json_t *o, int pd, int qd)
{
	char pos[32], en[32], mk[32], nt[32], lim[32], sh[32];
	const char *base = jstr(o, "base_asset");

	printf("position %s %s  entry %s  mark %s  notional %s USDT",
	    fmt_fix(pos, sizeof(pos), qd, jnum(o, "position")),
	    *base ? base : jstr(o, "symbol"),
	    fmt_fix(en, sizeof(en), pd, jnum(o, "entry_price")),
	    fmt_fix(mk, sizeof(mk), pd, jnum(o, "mark_price")),
	    fmt_fix(nt, sizeof(nt), 2, jnum(o, "position_notional")));
	if (!isnan(jnum(o, "position_limit")))
		printf(" = %s%% of the %s USDT limit",
		    fmt_fix(sh, sizeof(sh), 1, jnum(o, "limit_share") * 100),
		    fmt_fix(lim, sizeof(lim), 0, jnum(o, "position_limit")));
	printf("\n");
}

/*
 * The strategy's parameters, what its last quote was built around, and
 * the live estimates (or the fallbacks while they warm up).
 */
static void
show_model(json_t *o, int pd)
{
	json_t *m = json_object_get(o, "model");
	char g[32], r[32], h[32], sk[32], q[32], sg[32], a[32], k[32];

	if (!json_is_object(m))
		return;
	printf("model    %s  gamma %s  reservation %s  half spread %s  skew "
	    "%s bp  q %s orders\n", jstr(m, "strategy"),
	    fmt_fix(g, sizeof(g), 3, jnum(m, "gamma")),
	    fmt_fix(r, sizeof(r), pd + 1, jnum(m, "reservation_price")),
	    fmt_fix(h, sizeof(h), pd + 1, jnum(m, "half_spread")),
	    fmt_fix(sk, sizeof(sk), 2, jnum(m, "skew_bp")),
	    fmt_fix(q, sizeof(q), 2, jnum(m, "q_orders")));
	printf("         sigma %s bp/sqrt(s) (%s, %" JSON_INTEGER_FORMAT
	    " returns)  A %s/s k %s/bp (%s, %" JSON_INTEGER_FORMAT
	    " trades)\n",
	    fmt_fix(sg, sizeof(sg), 3, jnum(m, "sigma_bp")),
	    json_is_true(json_object_get(m, "sigma_live")) ? "live" :
	    "fallback", json_integer_value(json_object_get(m, "est_returns")),
	    fmt_fix(a, sizeof(a), 2, jnum(m, "A")),
	    fmt_fix(k, sizeof(k), 3, jnum(m, "k")),
	    json_is_true(json_object_get(m, "ak_live")) ? "live" : "fallback",
	    json_integer_value(json_object_get(m, "est_trades")));
}

/* Fills, volume and PnL parts since pmmd started. */
static void
show_since_start(json_t *o, int qd)
{
	json_t *t = json_object_get(o, "since_start");
	const char *base = jstr(o, "base_asset");
	char vb[32], vq[32], mk[32], fe[32], fu[32], rp[32], up[32], np[32];
	json_int_t other;

	if (!json_is_object(t))
		return;
	printf("since start  %" JSON_INTEGER_FORMAT " fills (%"
	    JSON_INTEGER_FORMAT " buy, %" JSON_INTEGER_FORMAT " sell), volume "
	    "%s %s = %s USDT, maker %s%%\n",
	    json_integer_value(json_object_get(t, "fills")),
	    json_integer_value(json_object_get(t, "buys")),
	    json_integer_value(json_object_get(t, "sells")),
	    fmt_fix(vb, sizeof(vb), qd, jnum(t, "buy_qty") +
		jnum(t, "sell_qty")), base,
	    fmt_fix(vq, sizeof(vq), 2, jnum(t, "volume_quote")),
	    fmt_fix(mk, sizeof(mk), 0, jnum(t, "maker_share") * 100));
	other = json_integer_value(json_object_get(t, "fees_other_asset"));
	printf("PnL USDT     fees %s%s, funding %s, realized %s, unrealized %s,"
	    " net %s\n",
	    fmt_fix(fe, sizeof(fe), 4, jnum(t, "fees")),
	    other ? " (+ fees of other assets)" : "",
	    fmt_fix(fu, sizeof(fu), 4, jnum(t, "funding")),
	    fmt_fix(rp, sizeof(rp), 4, jnum(t, "realized_pnl")),
	    fmt_fix(up, sizeof(up), 4, jnum(t, "unrealized_pnl")),
	    fmt_fix(np, sizeof(np), 4, jnum(t, "net_pnl")));
}

static void
show_status(json_t *o)
{
	json_t *svcs = json_object_get(o, "services"), *s;
	char up[32], age[32], b[32], a[32], m[32];
	int pd = dec_of(jnum(o, "tick_size"), 2);
	int qd = dec_of(jnum(o, "step_size"), 6);
	size_t i;

	show_quoting(json_object_get(o, "quoting"));
	printf("instance %s  %s on %s  pmmd pid %d  %s\n", jstr(o, "instance"),
	    jstr(o, "symbol"), jstr(o, "env"),
	    (int)json_integer_value(json_object_get(o, "pid")),
	    json_is_true(json_object_get(o, "tree_ready")) ? "ready" :
	    "NOT READY");
	printf("\n%-8s %8s %-9s %8s %8s  %s\n", "SERVICE", "PID", "STATE",
	    "UPTIME", "RESTARTS", "LAST EXIT");
	json_array_foreach(svcs, i, s) {
		fmt_age(up, sizeof(up), jnum(s, "uptime_s"));
		fmt_age(age, sizeof(age), jnum(s, "last_exit_age_s"));
		printf("%-8s %8d %-9s %8s %8d  %s%s%s%s\n", jstr(s, "name"),
		    (int)json_integer_value(json_object_get(s, "pid")),
		    jstr(s, "state"), up,
		    (int)json_integer_value(json_object_get(s, "restarts")),
		    jstr(s, "last_exit"),
		    strcmp(age, "-") ? " (" : "", strcmp(age, "-") ? age : "",
		    strcmp(age, "-") ? " ago)" : "");
	}
	fmt_age(age, sizeof(age), jnum(o, "price_age_ms") / 1000);
	printf("\nmid      %s", isnan(jnum(o, "mid_price")) ? "-" : "");
	if (!isnan(jnum(o, "mid_price")))
		printf("%s (bid %s ask %s, spread %.2f bp, %s old%s)",
		    fmt_fix(m, sizeof(m), pd + 1, jnum(o, "mid_price")),
		    fmt_fix(b, sizeof(b), pd, jnum(o, "best_bid")),
		    fmt_fix(a, sizeof(a), pd, jnum(o, "best_ask")),
		    (jnum(o, "best_ask") - jnum(o, "best_bid")) /
		    jnum(o, "mid_price") * 1e4, age,
		    json_is_true(json_object_get(o, "market_stale")) ?
		    ", STALE" : "");
	printf("\n");
	show_position(o, pd, qd);
	printf("orders   %d open\n",
	    (int)json_integer_value(json_object_get(o, "open_orders")));
	show_ladder(json_object_get(o, "ladder"), pd, qd);
	show_model(o, pd);
	show_since_start(o, qd);
	if (json_is_true(json_object_get(o, "strategy_paused")))
		printf("strategy PAUSED: %s\n", jstr(o, "pause_reason"));
	else
		printf("strategy running\n");
	show_segment(json_object_get(o, "segment"));
	show_losses(svcs);
}

static void
show_config(json_t *o)
{
	printf("# %s (env file %s)\n%s", jstr(o, "config"),
	    jstr(o, "env_file"), jstr(o, "text"));
}

static void
show_ok(json_t *o)
{
	const char *m = jstr(o, "message");

	printf("%s\n", *m ? m : "ok");
}

/*
 * Where the control socket is: -i, else the config's instance_id. A config
 * that does not load (broken after the tree started) must not cut the
 * operator off from the running tree: its instance is still read, and pmmd
 * itself judges the file on `reload`.
 */
static int
ctl_socket_path(char *buf, size_t len, const char *inst, const char *cfgp,
    const char *envp)
{
	char dir[256], err[CFG_ERRLEN], peek[64];
	static struct cfg c;

	if (inst == NULL && getenv("PMM_RUNTIME_DIR") == NULL) {
		if (cfg_load(&c, cfgp, envp, err, sizeof(err)) == 0)
			inst = c.instance_id;
		else {
			cfg_peek_instance(cfgp, peek, sizeof(peek));
			fprintf(stderr, "pmmctl: note: %s\npmmctl: looking for "
			    "instance \"%s\" anyway (-i INSTANCE names it "
			    "directly)\n", err, peek);
			inst = peek;
		}
	}
	if (rundir_resolve(dir, sizeof(dir), inst ? inst : "", err,
	    sizeof(err)) == -1 ||
	    rundir_sock(buf, len, dir, "pmmd.sock") == -1) {
		fprintf(stderr, "pmmctl: %s\n", err);
		return 1;
	}
	/*
	 * A login shell has XDG_RUNTIME_DIR set while a system pmmd (systemd
	 * unit) has not: look in the system location too before giving up.
	 */
	if (access(buf, F_OK) == -1 && getenv("PMM_RUNTIME_DIR") == NULL &&
	    getenv("XDG_RUNTIME_DIR") != NULL) {
		char sys[300];

		snprintf(sys, sizeof(sys), "/run/pmm/%s/pmmd.sock",
		    inst ? inst : "");
		if (access(sys, F_OK) == 0 && strlen(sys) < len)
			snprintf(buf, len, "%s", sys);
	}
	return 0;
}

#define CTL_IO_TIMEOUT_S	10	/* connect, send, answer: each at most */
#define CTL_BUSY_TRIES		50	/* a busy or empty answer is retried */

/* All of buf, through EINTR and short writes; never SIGPIPE. */
static int
ctl_send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * One exchange: connect, send the line, read to EOF. The answer's text in
 * buf; 0, or -1 with a message in err. Timeouts bound every step, so a
 * stuck pmmd makes pmmctl fail, not hang.
 */
static int
ctl_exchange(const char *path, const char *line, char *buf, size_t cap,
    char *err, size_t errlen)
{
	struct timeval tv = { CTL_IO_TIMEOUT_S, 0 };
	struct sockaddr_un sun;
	size_t off = 0;
	ssize_t n;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "cannot reach pmmd at %s: %s", path,
		    strerror(errno));
		close(fd);
		/* a full listen queue (pmmd busy accepting): try again */
		return errno == EAGAIN ? -2 : -1;
	}
	if (ctl_send_all(fd, line, strlen(line)) == -1) {
		/* pmmd may have closed a connection it had no room for */
		snprintf(err, errlen, "sending to pmmd: %s", strerror(errno));
		close(fd);
		return -2;
	}
	for (;;) {
		if (off == cap - 1) {
			snprintf(err, errlen, "answer from pmmd longer than %zu "
			    "bytes", cap - 1);
			close(fd);
			return -1;
		}
		n = read(fd, buf + off, cap - 1 - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "no answer from pmmd: %s",
		    errno == EAGAIN ? "timed out" : strerror(errno));
		close(fd);
		return off == 0 && errno == ECONNRESET ? -2 : -1;
	}
	close(fd);
	buf[off] = '\0';
	return off == 0 ? -2 : 0;
}

/*
 * pmmd answers "busy" when all its control slots are taken, and may close
 * a connection unanswered to make room: both mean "not done, try again",
 * so pmmctl does, with a short growing pause, for a few seconds.
 */
static json_t *
ctl_request(const char *path, const char *req)
{
	static char buf[1 << 20];	/* a config dump is a few KB */
	char line[600], err[512] = "";
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	json_error_t jerr;
	json_t *o;
	int i, rc;

	snprintf(line, sizeof(line), "%s\n", req);
	for (i = 0; i < CTL_BUSY_TRIES; i++) {
		if (i > 0) {
			nanosleep(&pause, NULL);
			if (pause.tv_nsec < 200 * 1000 * 1000)
				pause.tv_nsec *= 2;
		}
		rc = ctl_exchange(path, line, buf, sizeof(buf), err,
		    sizeof(err));
		if (rc == -2) {
			if (err[0] == '\0')
				snprintf(err, sizeof(err), "pmmd closed the "
				    "connection without an answer");
			continue;
		}
		if (rc == -1)
			break;
		if ((o = json_loads(buf, 0, &jerr)) == NULL) {
			snprintf(err, sizeof(err), "bad answer from pmmd: %s",
			    jerr.text);
			break;
		}
		if (!json_is_true(json_object_get(o, "busy")))
			return o;
		snprintf(err, sizeof(err), "%s",
		    json_string_value(json_object_get(o, "error")) ?
		    json_string_value(json_object_get(o, "error")) : "busy");
		json_decref(o);
	}
	fprintf(stderr, "pmmctl: %s\n", err);
	return NULL;
}

static const struct ctl_cmd *
ctl_match(int argc, char **argv, int *used)
{
	const struct ctl_cmd *c;

	for (c = ctl_cmds; c->word != NULL; c++) {
		if (strcmp(argv[0], c->word) != 0)
			continue;
		if (c->sub == NULL) {
			*used = 1;
			return c;
		}
		if (argc > 1 && strcmp(argv[1], c->sub) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

/* A word that is no command: say so, with the likely one. */
static int
ctl_unknown(int argc, char **argv)
{
	const struct ctl_cmd *c, *near = NULL;
	size_t best = SIZE_MAX;

	for (c = ctl_cmds; c->word != NULL; c++)
		if (cfg_near(argv[0], c->word, &best))
			near = c;
	if (strcmp(argv[0], "debug") == 0)
		fprintf(stderr, "pmmctl: debug needs a subcommand: debug crash "
		    "<service>%s%s\n", argc > 1 ? ", not " : "",
		    argc > 1 ? argv[1] : "");
	else if (near != NULL)
		fprintf(stderr, "pmmctl: unknown command \"%s\" (did you mean "
		    "\"%s\"?)\n", argv[0], near->word);
	else
		fprintf(stderr, "pmmctl: unknown command \"%s\"\n", argv[0]);
	fprintf(stderr, "(pmmctl --help lists the commands)\n");
	return 64;
}

static int
ctl_is_json(const char *a)
{
	return strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0;
}

/*
 * The words after the command: a reason or a service name for the commands
 * that take one, nothing for the others. --json may follow the command
 * ("pmmctl status --json"); any other option there is a mistake, never
 * silently ignored.
 */
static int
ctl_args(const struct ctl_cmd *cmd, int argc, char **argv, enum ctl_out *out,
    char *req, size_t len)
{
	int i;

	snprintf(req, len, "%s", cmd->request);
	for (i = 0; i < argc; i++) {
		if (ctl_is_json(argv[i]) && (!cmd->takes_arg || i == argc - 1)) {
			*out = OUT_JSON;
			continue;
		}
		if (!cmd->takes_arg) {
			fprintf(stderr, "pmmctl: %s: %s \"%s\"\n", cmd->word,
			    argv[i][0] == '-' ? "unknown option" :
			    "takes no argument, got", argv[i]);
			return 64;
		}
		strncat(req, " ", len - strlen(req) - 1);
		strncat(req, argv[i], len - strlen(req) - 1);
	}
	for (char *p = req; *p; p++)	/* one request is one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return 0;
}

/* ---- history: the CSV files, no pmmd needed --------------------------------- */

struct ctl_hist_opts {
	const char	*since, *until, *dir, *out;
	int		 json;
	/* resolved */
	int64_t		 since_ns, until_ns;
	const char	*inst;
	double		 capital, limit;
	char		 symbol[32];
};

/*
 * history's and report's options, and the log directory: -d/--dir DIR,
 * else the config's logging.log_directory. Rows of the config's instance
 * only (-i names another; with -d and no -c, every instance of DIR
 * counts). 0, or the exit status.
 */
static int
ctl_hist_args(struct ctl_hist_opts *op, const char *what, const char *cfgp,
    int cfg_given, const char *envp, int argc, char **argv)
{
	static struct cfg c;
	char err[CFG_ERRLEN];
	int64_t now = (int64_t)time(NULL) * 1000000000LL;
	int i, rep = strcmp(what, "report") == 0;

	for (i = 0; i < argc; i++) {
		if (!rep && ctl_is_json(argv[i]))
			op->json = 1;
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			op->since = argv[++i];
		else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc)
			op->until = argv[++i];
		else if ((strcmp(argv[i], "-d") == 0 ||
		    strcmp(argv[i], "--dir") == 0) && i + 1 < argc)
			op->dir = argv[++i];
		else if (rep && strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			op->out = argv[++i];
		else {
			fprintf(stderr, "pmmctl: %s: unknown or incomplete "
			    "option \"%s\" (--since 1h|DATE, --until ..., "
			    "--dir DIR, %s)\n", what, argv[i], rep ?
			    "--out DIR" : "--json");
			return 64;
		}
	}
	if ((op->since && chist_parse_when(op->since, now, &op->since_ns) ==
	    -1) || (op->until && chist_parse_when(op->until, now,
	    &op->until_ns) == -1)) {
		fprintf(stderr, "pmmctl: %s: \"%s\" is no time: say 90s, "
		    "30m, 1h, 2d or 2026-12-06[T08:00[:00]]\n", what,
		    op->since && chist_parse_when(op->since, now,
		    &op->since_ns) == -1 ? op->since : op->until);
		return 64;
	}
	if ((op->dir == NULL || cfg_given) &&
	    cfg_load(&c, cfgp, envp, err, sizeof(err)) == 0) {
		op->capital = c.initial_capital;
		op->limit = c.initial_capital * c.max_net_position_ratio;
		snprintf(op->symbol, sizeof(op->symbol), "%s", c.symbol);
		if (op->inst == NULL)
			op->inst = c.instance_id;
		if (op->dir == NULL)
			op->dir = c.logging.log_directory;
	} else if (op->dir == NULL || cfg_given) {
		fprintf(stderr, "pmmctl: %s\npmmctl: %s needs the config "
		    "(-c) or the log directory (--dir DIR)\n", err, what);
		return 78;
	}
	return 0;
}

static size_t
ctl_hist_feed(void *h, const char *buf, size_t len)
{
	return chist_feed(h, buf, len);
}

static void
ctl_hist_end(void *h, const char *buf, size_t len)
{
	chist_feed_end(h, buf, len);
}

static void
show_history(json_t *o)
{
	char a[40], b[40], c[32], d[32], e[40];
	json_t *r;
	size_t i;

	fmt_when(a, sizeof(a), json_object_get(o, "first_ns"));
	fmt_when(b, sizeof(b), json_object_get(o, "last_ns"));
	printf("history  %s .. %s  (%d files, %" JSON_INTEGER_FORMAT
	    " records, %" JSON_INTEGER_FORMAT " skipped)\n", a, b,
	    (int)json_integer_value(json_object_get(o, "files")),
	    json_integer_value(json_object_get(o, "records")),
	    json_integer_value(json_object_get(o, "skipped")));
	printf("trades   %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
	    " buy, %" JSON_INTEGER_FORMAT " sell, %" JSON_INTEGER_FORMAT
	    " maker)\n", json_integer_value(json_object_get(o, "trades")),
	    json_integer_value(json_object_get(o, "buys")),
	    json_integer_value(json_object_get(o, "sells")),
	    json_integer_value(json_object_get(o, "maker")));
	printf("volume   buy %s sell %s base, %s USDT\n",
	    fmt_fix(a, sizeof(a), 6, jnum(o, "buy_qty")),
	    fmt_fix(b, sizeof(b), 6, jnum(o, "sell_qty")),
	    fmt_fix(c, sizeof(c), 2, jnum(o, "volume_quote")));
	printf("average  buy %s  sell %s\n",
	    fmt_fix(a, sizeof(a), 2, jnum(o, "avg_buy_price")),
	    fmt_fix(b, sizeof(b), 2, jnum(o, "avg_sell_price")));
	printf("PnL USDT fees %s, funding %s, realized %s, unrealized %s, "
	    "net %s\n", fmt_fix(a, sizeof(a), 4, jnum(o, "fees")),
	    isnan(jnum(o, "funding")) ? "n/a (no funding_fee row)" :
	    fmt_fix(b, sizeof(b), 4, jnum(o, "funding")),
	    fmt_fix(c, sizeof(c), 4, jnum(o, "realized_pnl")),
	    fmt_fix(d, sizeof(d), 4, jnum(o, "unrealized_pnl")),
	    fmt_fix(e, sizeof(e), 4, jnum(o, "net_pnl")));
	printf("return   %s%% of %s USDT initial capital\n",
	    fmt_fix(a, sizeof(a), 3, jnum(o, "return_pct")),
	    fmt_fix(b, sizeof(b), 0, jnum(o, "initial_capital")));
	printf("position max |%s| base\n",
	    fmt_fix(a, sizeof(a), 6, jnum(o, "max_abs_position")));
	fmt_age(a, sizeof(a), jnum(o, "paused_s"));
	printf("paused   %" JSON_INTEGER_FORMAT " times, %s\n",
	    json_integer_value(json_object_get(o, "pauses")), a);
	json_array_foreach(json_object_get(o, "pause_reasons"), i, r) {
		fmt_age(a, sizeof(a), jnum(r, "seconds"));
		printf("         %8s  %s\n", a, jstr(r, "reason"));
	}
	printf("restarts %" JSON_INTEGER_FORMAT " (services that died)\n",
	    json_integer_value(json_object_get(o, "restarts")));
	if (json_integer_value(json_object_get(o, "other_instances")) > 0)
		printf("(%" JSON_INTEGER_FORMAT " rows of other instances "
		    "left out)\n", json_integer_value(json_object_get(o,
		    "other_instances")));
}

/* The window's sums from the log directory. */
static int
ctl_history(const char *cfgp, int cfg_given, const char *envp,
    const char *inst, int argc, char **argv, int json)
{
	struct ctl_hist_opts op = { .json = json, .inst = inst };
	struct cfile_sink sink = { ctl_hist_feed, ctl_hist_end, NULL };
	char err[1024];
	struct chist h;
	json_t *o;
	int nfiles = 0, rc;

	if ((rc = ctl_hist_args(&op, "history", cfgp, cfg_given, envp, argc,
	    argv)) != 0)
		return rc;
	chist_init(&h, op.since_ns, op.until_ns, op.inst);
	sink.arg = &h;
	if (cfile_read_dir(op.dir, &h, &sink, &nfiles, err, sizeof(err)) == -1) {
		fprintf(stderr, "pmmctl: %s\n", err);
		rc = nfiles == 0;
	}
	o = chist_json(&h, op.capital, nfiles);
	if (op.json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		printf("%s\n", s);
		free(s);
	} else
		show_history(o);
	json_decref(o);
	return rc;
}

/* Charts and a page of the window (ctl_report.h), in --out DIR. */
static int
ctl_report(const char *cfgp, int cfg_given, const char *envp,
    const char *inst, int argc, char **argv)
{
	struct ctl_hist_opts op = { .inst = inst, .out = "pmm-report" };
	struct rpt_opts ro;
	struct rpt_result res;
	char err[1024], title[160];
	int rc;

	if ((rc = ctl_hist_args(&op, "report", cfgp, cfg_given, envp, argc,
	    argv)) != 0)
		return rc;
	snprintf(title, sizeof(title), "pmm report%s%s%s%s",
	    op.inst ? " — " : "", op.inst ? op.inst : "",
	    op.symbol[0] ? " " : "", op.symbol);
	memset(&ro, 0, sizeof(ro));
	ro.dir = op.dir;
	ro.out = op.out;
	ro.since_ns = op.since_ns;
	ro.until_ns = op.until_ns;
	ro.instance = op.inst;
	ro.capital = op.capital;
	ro.limit_quote = op.limit;
	ro.title = title;
	if (rpt_make(&ro, (int64_t)time(NULL) * 1000000000LL, &res, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "pmmctl: report: %s\n", err);
		return 1;
	}
	printf("report: %s\n", res.index);
	if (res.empty)
		printf("(no row in the window: the page says so, no chart)\n");
	else
		printf("(%d charts; %d files, %llu CSV records, %llu skipped)\n",
		    res.charts, res.files, (unsigned long long)res.records,
		    (unsigned long long)res.skipped);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *inst = NULL, *cfgp = "config/config.yaml", *envp = ".env";
	enum ctl_out out = OUT_TEXT;
	const struct ctl_cmd *cmd;
	char path[256], req[512], err[CFG_ERRLEN];
	json_t *o;
	int i, used, rc, env_named = 0, cfg_given = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (ctl_is_json(argv[i]))
			out = OUT_JSON;
		else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
			inst = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cfgp = argv[++i];
			cfg_given = 1;
		}
		else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
			envp = argv[++i];
			env_named = 1;
		}
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			int valued = argv[i][1] != '\0' && argv[i][2] == '\0' &&
			    strchr("ice", argv[i][1]) != NULL;

			fprintf(stderr, "pmmctl: %s \"%s\"\n", valued ?
			    "missing the value of" : "unknown option", argv[i]);
			usage(stderr);
			return 64;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 64;
	}
	if ((cmd = ctl_match(argc - i, argv + i, &used)) == NULL)
		return ctl_unknown(argc - i, argv + i);
	i += used;
	/* these read files: they work on a stopped tree */
	if (strcmp(cmd->word, "history") == 0)
		return ctl_history(cfgp, cfg_given, envp, inst, argc - i,
		    argv + i, out == OUT_JSON);
	if (strcmp(cmd->word, "report") == 0)
		return ctl_report(cfgp, cfg_given, envp, inst, argc - i,
		    argv + i);
	if ((rc = ctl_args(cmd, argc - i, argv + i, &out, req,
	    sizeof(req))) != 0)
		return rc;
	/* a file named on the command line is one the operator meant */
	if (env_named && cfg_env_file_check(envp, err, sizeof(err)) == -1) {
		fprintf(stderr, "pmmctl: %s\n", err);
		return CFG_EXIT;
	}
	if ((rc = ctl_socket_path(path, sizeof(path), inst, cfgp, envp)) != 0)
		return rc;
	if ((o = ctl_request(path, req)) == NULL)
		return 1;
	rc = json_is_true(json_object_get(o, "ok")) ? 0 : 1;
	if (out == OUT_JSON) {
		char *s = json_dumps(o, JSON_INDENT(2) |
		    JSON_REAL_PRECISION(15));
		printf("%s\n", s);
		free(s);
	} else if (rc != 0)
		fprintf(stderr, "pmmctl: %s\n", jstr(o, "error"));
	else
		cmd->show(o);
	json_decref(o);
	return rc;
}
