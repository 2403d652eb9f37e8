/*
 * log.h — one logging facility for every pmm program.
 *
 * Lines go to stderr with a syslog priority prefix ("<3>") so journald keeps
 * their level when pmmd runs under systemd; on a terminal the prefix is
 * replaced by a readable level name. Modelled on OpenBSD's log.c:
 * log_warn() appends strerror(errno), log_warnx() does not; fatal()/fatalx()
 * log and exit. Callers prefix messages with __func__ where it helps.
 */
#ifndef PMM_LOG_H
#define PMM_LOG_H

#include <stdarg.h>

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
