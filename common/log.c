/*
 * log.c — stderr logging with syslog priority prefixes, rate-limited per
 * call site.
 *
 * The logger state is per process (each pmm program is single-threaded in
 * its event loop), so a file-static context is the process's own context.
 * A whole line is formatted first and written with one write(2) so lines
 * from several processes sharing one stderr never interleave mid-line.
 *
 * No input may make a process write thousands of lines a second to the
 * journal (a missing key once produced one warning per request, 1000 a
 * second). So each call site — its format string — has a token bucket:
 * LOG_RL_BURST lines at once, then one per LOG_RL_REFILL_NS. Lines beyond
 * that are counted, and the last one kept; once LOG_RL_SUMMARY_NS has
 * passed since the first left out (noticed at the next line of any site,
 * or at log_tick()), one line says how many: "<last text> (N lines like
 * this one suppressed in the last T s)". The clock is a function pointer
 * so the unit test drives it by hand.
 */
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"

#define LOG_LINE_MAX	2048
#define LOG_KEEP_MAX	256		/* text kept of a suppressed line */

struct log_site {
	const char	*fmt;		/* the call site; NULL: free slot */
	int		 level;
	int64_t		 tokens_ns;	/* credit, in refill time units */
	int64_t		 last_ns;	/* last use: refill, and eviction */
	uint64_t	 nsupp;		/* left out since supp_ns */
	int64_t		 supp_ns;	/* first left out */
	char		 kept[LOG_KEEP_MAX];	/* the last one left out */
};

static int64_t
log_mono_ns(void)
{
	return now_mono_ns();
}

static struct {
	char		 name[32];
	int		 level;
	int		 tty;
	int64_t		 (*clock)(void);
	struct log_site	 site[LOG_RL_SITES];
} log_ctx = { "pmm", LOG_LVL_INFO, 0, log_mono_ns, { { 0 } } };

void
log_init(const char *procname, int level)
{
	snprintf(log_ctx.name, sizeof(log_ctx.name), "%s", procname);
	log_ctx.level = level;
	log_ctx.tty = isatty(STDERR_FILENO);
}

void
log_setlevel(int level)
{
	log_ctx.level = level;
}

int
log_getlevel(void)
{
	return log_ctx.level;
}

int
log_level_parse(const char *s)
{
	if (strcmp(s, "error") == 0)
		return LOG_LVL_ERROR;
	if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
		return LOG_LVL_WARN;
	if (strcmp(s, "info") == 0)
		return LOG_LVL_INFO;
	if (strcmp(s, "debug") == 0)
		return LOG_LVL_DEBUG;
	return -1;
}

const char *
log_level_name(int level)
{
	switch (level) {
	case LOG_LVL_ERROR:	return "error";
	case LOG_LVL_WARN:	return "warn";
	case LOG_LVL_INFO:	return "info";
	default:		return "debug";
	}
}

/* "<6>order: " or, on a terminal, "12:00:00.000 info  order: ". */
static int
log_prefix(char *line, size_t len, int level)
{
	struct timespec	ts;
	struct tm	tm;

	if (!log_ctx.tty)
		return snprintf(line, len, "<%d>%s: ", level, log_ctx.name);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	return snprintf(line, len, "%02d:%02d:%02d.%03ld %-5s %s: ",
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	    log_level_name(level), log_ctx.name);
}

static void
log_write(int level, const char *text)
{
	char	line[LOG_LINE_MAX + 64];
	int	n;

	n = log_prefix(line, sizeof(line), level);
	n += snprintf(line + n, sizeof(line) - n - 1, "%s", text);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

/* The count of what a site left out, and a fresh start for it. */
static void
log_summary(struct log_site *st, int64_t now)
{
	char	text[LOG_KEEP_MAX + 96];

	snprintf(text, sizeof(text), "%s (%llu line%s like this one "
	    "suppressed in the last %.1f s)", st->kept,
	    (unsigned long long)st->nsupp, st->nsupp == 1 ? "" : "s",
	    (double)(now - st->supp_ns) / NS_PER_S);
	log_write(st->level, text);
	st->nsupp = 0;
}

/* Summaries that are due; all of them when force. */
static void
log_flush_due(int64_t now, int force)
{
	struct log_site	*st;

	for (st = log_ctx.site; st < log_ctx.site + LOG_RL_SITES; st++)
		if (st->fmt != NULL && st->nsupp > 0 &&
		    (force || now - st->supp_ns >= LOG_RL_SUMMARY_NS))
			log_summary(st, now);
}

/*
 * The site of fmt, found or made. A full table gives up the site used
 * longest ago (its pending count said first): a storm across more sites
 * than the table holds is still limited per site that stays in it.
 */
static struct log_site *
log_site_get(const char *fmt, int level, int64_t now)
{
	struct log_site	*st, *lru = NULL;

	for (st = log_ctx.site; st < log_ctx.site + LOG_RL_SITES; st++) {
		if (st->fmt == fmt && st->level == level)
			return st;
		if (lru == NULL || st->fmt == NULL ||
		    (lru->fmt != NULL && st->last_ns < lru->last_ns))
			lru = st;
	}
	if (lru->fmt != NULL && lru->nsupp > 0)
		log_summary(lru, now);
	memset(lru, 0, sizeof(*lru));
	lru->fmt = fmt;
	lru->level = level;
	lru->tokens_ns = LOG_RL_BURST * LOG_RL_REFILL_NS;
	lru->last_ns = now;
	return lru;
}

/* 1 when a line of this site may be written now. */
static int
log_admit(struct log_site *st, int64_t now)
{
	int64_t	cap = LOG_RL_BURST * LOG_RL_REFILL_NS;

	if (now > st->last_ns) {
		st->tokens_ns += now - st->last_ns;
		if (st->tokens_ns > cap)
			st->tokens_ns = cap;
	}
	st->last_ns = now;
	if (st->tokens_ns < LOG_RL_REFILL_NS)
		return 0;
	st->tokens_ns -= LOG_RL_REFILL_NS;
	return 1;
}

static void
log_vemit(int level, int with_errno, int limited, const char *fmt,
    va_list ap)
{
	char		 text[LOG_LINE_MAX];
	struct log_site	*st = NULL;
	int		 saved = errno, n;
	int64_t		 now = 0;

	if (level > log_ctx.level)
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0 || n >= (int)sizeof(text) - 64)
		n = n < 0 ? 0 : (int)sizeof(text) - 64;
	if (with_errno)
		snprintf(text + n, sizeof(text) - n, ": %s", strerror(saved));
	if (limited) {
		now = log_ctx.clock();
		log_flush_due(now, 0);
		st = log_site_get(fmt, level, now);
		if (!log_admit(st, now)) {
			if (st->nsupp++ == 0)
				st->supp_ns = now;
			n = strnlen(text, sizeof(st->kept) - 1);
			memcpy(st->kept, text, n);
			st->kept[n] = '\0';
			errno = saved;
			return;
		}
	}
	log_write(level, text);
	errno = saved;
}

void
log_tick(void)
{
	log_flush_due(log_ctx.clock(), 0);
}

void
log_flush(void)
{
	log_flush_due(log_ctx.clock(), 1);
}

void
log_set_clock(int64_t (*clock)(void))
{
	log_ctx.clock = clock != NULL ? clock : log_mono_ns;
}

void
log_reset_limits(void)
{
	memset(log_ctx.site, 0, sizeof(log_ctx.site));
}

#define LOG_BODY(lvl, err, lim) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vemit(lvl, err, lim, fmt, ap);	\
	va_end(ap);				\
} while (0)

void log_warn(const char *fmt, ...)  { LOG_BODY(LOG_LVL_WARN, 1, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN, 0, 1); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LVL_INFO, 0, 1); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LVL_DEBUG, 0, 1); }
void log_error(const char *fmt, ...) { LOG_BODY(LOG_LVL_ERROR, 0, 1); }

/* The last words are never held back, nor what is pending before them. */
void
fatal(const char *fmt, ...)
{
	log_flush();
	LOG_BODY(LOG_LVL_ERROR, 1, 0);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	log_flush();
	LOG_BODY(LOG_LVL_ERROR, 0, 0);
	exit(1);
}
