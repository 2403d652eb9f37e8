/*
 * ctl_files.h — reading the metrics CSV files (docs/METRICS.md) for
 * `pmmctl history` and `pmmctl report`: a directory's metrics-YYYYMMDD.csv
 * files of a window oldest first, or named files, fed in pieces to a
 * record reader (ctl_history.c's chist_feed, ctl_report.c's rpt_feed).
 */
#ifndef PMM_CTL_FILES_H
#define PMM_CTL_FILES_H

#include <stddef.h>

#include "ctl_history.h"

/* Where the bytes go: feed() returns how many it used (whole records);
 * end() gets what is left at the end of a file (a torn last record). */
struct cfile_sink {
	size_t	(*feed)(void *arg, const char *buf, size_t len);
	void	(*end)(void *arg, const char *buf, size_t len);
	void	*arg;
};

/* One file; -1 with err set if it cannot be read. */
int	cfile_read(const char *path, const struct cfile_sink *s, char *err,
	    size_t errlen);
/*
 * Every metrics-YYYYMMDD.csv of dir that may hold rows of window's time
 * window (chist_file_wanted), oldest first; *nfiles says how many were
 * found. -1 with err set (the first error) if dir or a file cannot be
 * read; the files that could are fed all the same.
 */
int	cfile_read_dir(const char *dir, const struct chist *window,
	    const struct cfile_sink *s, int *nfiles, char *err, size_t errlen);

#endif
