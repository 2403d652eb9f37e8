/*
 * csvlog.h — daily metrics CSV files that a kill never leaves unreadable.
 *
 * Rows go to <dir>/metrics-YYYYMMDD.csv, the LOCAL date of each row's own
 * timestamp, so a file holds exactly one local day and a new one starts at
 * local midnight. Every file starts with the header, written when the file
 * is found empty; never a second one in the middle. Fields are quoted per
 * RFC 4180 (a field with a comma, quote, CR or LF is quoted, its quotes
 * doubled); records end with LF.
 *
 * Rows are built in memory and a batch goes out with ONE write(2) on an
 * O_APPEND descriptor, so writers sharing a file (several instances, an
 * old and a new logger) never interleave inside a line. A writer killed in
 * the middle of a write can still leave a torn last record (the kernel may
 * stop a write to a file between pages on SIGKILL, and a full disk cuts
 * writes short): on opening a file that does not end on a record boundary
 * the torn record is closed (open quote closed, missing fields added empty,
 * LF) so everything after it parses, and that repair is counted and logged.
 *
 * An advisory flock() keeps that start-up check (and the header of a new
 * file) from racing a concurrent writer's append. It is only ever tried
 * with LOCK_NB and a bounded wait, and the kernel drops it when its holder
 * dies, so a killed or stopped writer can never freeze another.
 */
#ifndef PMM_CSVLOG_H
#define PMM_CSVLOG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_NCOLS	11
#define CSV_HEADER	"timestamp,instance_id,env,metric_name,value,unit," \
			"symbol,side,level,sub_type,details\n"
#define CSV_BATCH_MAX	65536	/* bytes of rows per write(2) */
#define CSV_TS_MAX	40	/* "2026-11-24T01:02:03.456+05:30" + NUL */

/* The ten fields after the timestamp, in column order. */
enum csv_col {
	CSV_INSTANCE = 0, CSV_ENV, CSV_METRIC, CSV_VALUE, CSV_UNIT, CSV_SYMBOL,
	CSV_SIDE, CSV_LEVEL, CSV_SUB_TYPE, CSV_DETAILS, CSV_NFIELDS
};

struct csvlog {
	char		 dir[PATH_MAX];
	char		 path[PATH_MAX];	/* the open file, "" if none */
	int		 fd;
	int		 day;		/* YYYYMMDD of the open file, 0 none */
	int64_t		 day_lo_ns;	/* [lo, hi): realtime span of day */
	int64_t		 day_hi_ns;
	size_t		 len;		/* bytes waiting in buf */
	uint32_t	 pending;	/* rows waiting in buf */
	int64_t		 ts_sec;	/* second cached in ts_head */
	char		 ts_head[CSV_TS_MAX];	/* "YYYY-MM-DDTHH:MM:SS" */
	char		 ts_off[8];		/* "+05:30" */
	/* counters */
	uint64_t	 rows;		/* written */
	uint64_t	 writes;	/* write(2) calls that wrote rows */
	uint64_t	 files;		/* files opened */
	uint64_t	 headers;	/* headers written */
	uint64_t	 torn_repaired;	/* torn records closed at open */
	uint64_t	 errors;	/* failed writes/opens */
	uint64_t	 rows_lost;	/* rows dropped: no room kept for them */
	uint64_t	 rows_late;	/* rows written after a failed write */
	int		 warned;	/* a failing file was logged once */
	int		 failing;	/* the last write failed: rows kept */
	int		 check_tail;	/* a cut write may have left a torn row */
	int64_t		 next_warn_ns;	/* monotonic: failing, said again at */
	char		 buf[CSV_BATCH_MAX];
};

/*
 * Prepare to write into dir (created, mode 0750, if missing; parents 0755).
 * Files are created 0640 (an existing one is narrowed to that): rows hold
 * PnL and balances.
 * No file is opened until the first row. -1 (logged) if dir is unusable.
 */
int	 csvlog_open(struct csvlog *cl, const char *dir);
/* Flush and close. */
void	 csvlog_close(struct csvlog *cl);
/*
 * Queue one row stamped ts_ns (CLOCK_REALTIME). f[] holds CSV_NFIELDS
 * strings (NULL = empty). A row for another local day than the open file
 * flushes the batch and switches files. A full batch is flushed first.
 * 0, or -1 when the row cannot be written (too long, file unusable).
 */
int	 csvlog_add(struct csvlog *cl, int64_t ts_ns, const char *const *f);
/*
 * Write the queued rows with one write(2). 0, or -1: the rows stay queued
 * (up to CSV_BATCH_MAX bytes) for the next flush, and a write cut short
 * (a full disk) is cut back to the last whole row first, so a row is never
 * left torn; said in the log with the real errno, rate-limited.
 */
int	 csvlog_flush(struct csvlog *cl);

/*
 * One RFC 4180 field into dst (NUL-terminated); returns its length, or -1
 * if it does not fit in cap.
 */
int	 csv_field(char *dst, size_t cap, const char *s);
/* Local ISO 8601 with milliseconds and offset: 2026-11-24T01:02:03.456+05:30 */
int	 csv_timestamp(char *buf, size_t len, int64_t ts_ns);
/* mkdir -p (parents 0755, dir itself 0750); -1 with errno set. */
int	 csv_mkdirs(const char *dir);
/* Local calendar day of ts_ns as YYYYMMDD. */
int	 csv_local_day(int64_t ts_ns);

#endif
