/*
 * log.h — one logging facility for every pmm program.
 *
 * Lines go to stderr with a syslog priority prefix ("<3>") so journald keeps
 * their level when pmmd runs under systemd; on a terminal the prefix is
 * replaced by a readable level name. Modelled on OpenBSD's log.c:
 * log_warn() appends strerror(errno), log_warnx() does not; fatal()/fatalx()
 * log and exit. Callers prefix messages with __func__ where it helps.
 * Every call site is rate-limited (see log.c): a repeated line costs a
 * count, not a line.
 */
#ifndef PMM_LOG_H
#define PMM_LOG_H

#include <stdarg.h>
#include <stdint.h>

/*
 * Rate limit per call site (format string): LOG_RL_BURST lines at once,
 * then one per LOG_RL_REFILL_NS; the rest are counted and summed up in one
 * line once LOG_RL_SUMMARY_NS has passed since the first left out.
 */
#define LOG_RL_SITES		256	/* more sites than a pmm program has */
#define LOG_RL_BURST		20
#define LOG_RL_REFILL_NS	(2 * 1000000000LL)
#define LOG_RL_SUMMARY_NS	(10 * 1000000000LL)

enum log_level {
	LOG_LVL_ERROR = 3,	/* syslog LOG_ERR */
	LOG_LVL_WARN = 4,	/* LOG_WARNING */
	LOG_LVL_INFO = 6,	/* LOG_INFO */
	LOG_LVL_DEBUG = 7,	/* LOG_DEBUG */
};

/* procname appears on every line ("pmmd", "order", ...). */
void	log_init(const char *procname, int level);
void	log_setlevel(int level);
int	log_getlevel(void);
/* Parse "error|warn|info|debug"; -1 when unknown. */
int	log_level_parse(const char *s);
const char *log_level_name(int level);

/* Write the summaries that are due: call from a periodic timer, so a
 * storm that stopped is still counted. */
void	log_tick(void);
/* Write every pending summary now (before a last line, or exit). */
void	log_flush(void);
/* The clock of the rate limit (monotonic ns); NULL: CLOCK_MONOTONIC. */
void	log_set_clock(int64_t (*clock)(void));
/* Forget every site (tests). */
void	log_reset_limits(void);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
