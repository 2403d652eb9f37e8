/*
 * log.c — stderr logging with syslog priority prefixes.
 *
 * The logger state is per process (each pmm program is single-threaded in
 * its event loop), so a file-static context is the process's own context.
 * A whole line is formatted first and written with one write(2) so lines
 * from several processes sharing one stderr never interleave mid-line.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
	char	name[32];
	int	level;
	int	tty;
} log_ctx = { "pmm", LOG_LVL_INFO, 0 };

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

static void
log_vemit(int level, int with_errno, const char *fmt, va_list ap)
{
	char		 line[2048];
	int		 saved = errno, n, m;
	struct timespec	 ts;
	struct tm	 tm;

	if (level > log_ctx.level)
		return;
	if (log_ctx.tty) {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %-5s %s: ",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_level_name(level), log_ctx.name);
	} else
		n = snprintf(line, sizeof(line), "<%d>%s: ", level, log_ctx.name);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = (m < 0 || (size_t)(n + m) >= sizeof(line) - 64) ?
	    (int)sizeof(line) - 64 : n + m;
	if (with_errno)
		n += snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
	errno = saved;
}

#define LOG_BODY(lvl, err) do {		\
	va_list ap;			\
	va_start(ap, fmt);		\
	log_vemit(lvl, err, fmt, ap);	\
	va_end(ap);			\
} while (0)

void log_warn(const char *fmt, ...)  { LOG_BODY(LOG_LVL_WARN, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN, 0); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LVL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LVL_DEBUG, 0); }
void log_error(const char *fmt, ...) { LOG_BODY(LOG_LVL_ERROR, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, 0);
	exit(1);
}
