/*
 * csvlog.c — daily metrics CSV files: RFC 4180 rows, one write(2) per
 * batch on an O_APPEND descriptor, a file per local day, the header on a
 * new file, and repair of a torn last record left by a killed writer.
 * See csvlog.h for the guarantees and why they hold.
 */
#include "csvlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"
#include "timeutil.h"

#define CSV_TAIL	16384	/* bytes read back to find a torn record */
#define CSV_LOCK_TRIES	200	/* x 1 ms, then go on without the lock */
#define CSV_TORN_NOTE	"torn row repaired"
#define CSV_FILE_MODE	0640	/* rows show PnL and balances */
#define CSV_DIR_MODE	0750
#define CSV_WARN_NS	(60 * NS_PER_S)	/* a failing file, said again */

/* ---- fields and timestamps ---------------------------------------------- */

/*
 * Text from outside (an exchange's reject message, a pause reason) may hold
 * terminal escapes or invalid UTF-8: a field is made printable first, so a
 * reader's `cat` or spreadsheet shows text, not what the bytes would do.
 */
int
csv_field(char *dst, size_t cap, const char *s)
{
	char *clean = NULL;
	size_t n = 0;
	int rc;

	if (s == NULL)
		s = "";
	if (!text_is_clean(s, TEXT_KEEP_NEWLINES)) {
		if ((clean = malloc(strlen(s) + 1)) == NULL)
			return -1;
		text_clean(clean, strlen(s) + 1, s, TEXT_KEEP_NEWLINES);
		rc = csv_field(dst, cap, clean);
		free(clean);
		return rc;
	}
	if (strpbrk(s, ",\"\r\n") == NULL) {
		n = strlen(s);
		if (n + 1 > cap)
			return -1;
		memcpy(dst, s, n + 1);
		return (int)n;
	}
	if (cap < 3)
		return -1;
	dst[n++] = '"';
	for (; *s != '\0'; s++) {
		if (n + (*s == '"' ? 2 : 1) + 2 > cap)
			return -1;
		if (*s == '"')
			dst[n++] = '"';
		dst[n++] = *s;
	}
	dst[n++] = '"';
	dst[n] = '\0';
	return (int)n;
}

/* Seconds and milliseconds of a realtime ns value, floored. */
static void
csv_split(int64_t ts_ns, time_t *sec, int *ms)
{
	int64_t s = ts_ns / NS_PER_S, rem = ts_ns % NS_PER_S;

	if (rem < 0) {
		s--;
		rem += NS_PER_S;
	}
	*sec = (time_t)s;
	*ms = (int)(rem / NS_PER_MS);
}

/* "YYYY-MM-DDTHH:MM:SS" and "+hh:mm" for a local time. */
static int
csv_head(time_t sec, char *head, size_t hlen, char *off, size_t olen)
{
	struct tm tm;
	long g;

	if (localtime_r(&sec, &tm) == NULL ||
	    strftime(head, hlen, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	/* strftime's %z has no colon; ISO 8601's extended form does */
	g = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
	if (g >= 100 * 3600)
		return -1;
	snprintf(off, olen, "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+',
	    (int)(g / 3600), (int)(g % 3600 / 60));
	return 0;
}

int
csv_timestamp(char *buf, size_t len, int64_t ts_ns)
{
	char head[CSV_TS_MAX], off[8];
	time_t sec;
	int ms, n;

	csv_split(ts_ns, &sec, &ms);
	if (csv_head(sec, head, sizeof(head), off, sizeof(off)) == -1)
		return -1;
	n = snprintf(buf, len, "%s.%03d%s", head, ms, off);
	return (n < 0 || (size_t)n >= len) ? -1 : n;
}

/* The cached form: rows of one sample share their second. */
static int
csvlog_stamp(struct csvlog *cl, char *buf, size_t len, int64_t ts_ns)
{
	time_t sec;
	int ms, n;

	csv_split(ts_ns, &sec, &ms);
	if ((int64_t)sec != cl->ts_sec || cl->ts_head[0] == '\0') {
		if (csv_head(sec, cl->ts_head, sizeof(cl->ts_head), cl->ts_off,
		    sizeof(cl->ts_off)) == -1)
			return -1;
		cl->ts_sec = (int64_t)sec;
	}
	n = snprintf(buf, len, "%s.%03d%s", cl->ts_head, ms, cl->ts_off);
	return (n < 0 || (size_t)n >= len) ? -1 : n;
}

int
csv_local_day(int64_t ts_ns)
{
	struct tm tm;
	time_t sec;
	int ms;

	csv_split(ts_ns, &sec, &ms);
	if (localtime_r(&sec, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/* [lo, hi) in realtime ns of the local day holding ts_ns (DST-proof). */
static int
csv_day_span(int64_t ts_ns, int64_t *lo, int64_t *hi)
{
	struct tm tm;
	time_t sec, a, b;
	int ms;

	csv_split(ts_ns, &sec, &ms);
	if (localtime_r(&sec, &tm) == NULL)
		return -1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	a = mktime(&tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	b = mktime(&tm);
	if (a == (time_t)-1 || b == (time_t)-1 || b <= a)
		return -1;
	*lo = (int64_t)a * NS_PER_S;
	*hi = (int64_t)b * NS_PER_S;
	return 0;
}

/* ---- the file ------------------------------------------------------------ */

int
csv_mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -1;
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	if (mkdir(p, CSV_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Bounded, non-blocking flock: 0 locked, -1 not (go on regardless). */
static int
csv_lock(int fd, int op)
{
	struct timespec ms = { 0, NS_PER_MS };
	int i;

	for (i = 0; i < CSV_LOCK_TRIES; i++) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		nanosleep(&ms, NULL);
	}
	return -1;
}

static int
csv_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Does a record start at p (a timestamp "YYYY-MM-DDT")? */
static int
csv_record_start(const char *p, const char *end)
{
	static const char pat[] = "dddd-dd-ddT";
	size_t i;

	if (end - p < (long)sizeof(pat) - 1)
		return 0;
	for (i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !csv_is_digit(p[i]) : p[i] != pat[i])
			return 0;
	return 1;
}

/*
 * What must be appended to close the torn record in t[0..n) whose first
 * record starts at t[start], into fix; 0 when the data ends cleanly.
 */
static size_t
csv_closing(const char *t, size_t start, size_t n, char *fix, size_t cap)
{
	int inq = 0, fields = 1, clean = 1;
	size_t i, f = 0;

	for (i = start; i < n; i++) {
		clean = 0;
		if (inq) {
			if (t[i] == '"') {
				if (i + 1 < n && t[i + 1] == '"')
					i++;
				else
					inq = 0;
			}
		} else if (t[i] == '"')
			inq = 1;
		else if (t[i] == ',')
			fields++;
		else if (t[i] == '\n') {
			fields = 1;
			clean = 1;
		}
	}
	if (clean)
		return 0;
	if (inq)
		fix[f++] = '"';
	if (fields < CSV_NCOLS) {
		for (; fields < CSV_NCOLS && f < cap - 1; fields++)
			fix[f++] = ',';
		f += (size_t)snprintf(fix + f, cap - f, "%s", CSV_TORN_NOTE);
	}
	fix[f++] = '\n';
	return f;
}

/* Find where the last whole record in the tail starts; -1 if unknown. */
static long
csv_sync(const char *t, size_t n, int at_file_start)
{
	size_t i;

	for (i = n; i > 0; i--)
		if (t[i - 1] == '\n' && csv_record_start(t + i, t + n))
			return (long)i;
	if (at_file_start)
		return 0;
	return -1;
}

/* 0 when the file ends on a record boundary (now), -1 if it could not
 * be closed (quiet: the caller says it, rate-limited). */
static int
csvlog_repair(struct csvlog *cl, off_t size, int quiet)
{
	char tail[CSV_TAIL], fix[64];
	off_t off = size > CSV_TAIL ? size - CSV_TAIL : 0;
	ssize_t n;
	size_t f;
	long sync;

	if (size == 0)
		return 0;
	if ((n = pread(cl->fd, tail, (size_t)(size - off), off)) <= 0)
		return -1;
	if ((sync = csv_sync(tail, (size_t)n, off == 0)) == -1) {
		/* no record start in sight: at least end the line */
		if (tail[n - 1] == '\n')
			return 0;
		fix[0] = '\n';
		f = 1;
	} else if ((f = csv_closing(tail, (size_t)sync, (size_t)n, fix,
	    sizeof(fix))) == 0)
		return 0;
	if (write(cl->fd, fix, f) != (ssize_t)f) {
		if (!quiet)
			log_warn("%s: repairing the torn end of %s", __func__,
			    cl->path);
		return -1;
	}
	cl->torn_repaired++;
	log_warnx("%s ended in a torn row (a writer was killed mid-write or "
	    "the disk was full): closed it so later rows parse", cl->path);
	return 0;
}

/* Under the lock: header on an empty file, else repair a torn end. */
static void
csvlog_prepare(struct csvlog *cl)
{
	char head[sizeof(CSV_HEADER)];
	size_t hl = strlen(CSV_HEADER);
	struct stat st;
	int locked;

	locked = csv_lock(cl->fd, LOCK_EX) == 0;
	if (!locked)
		log_warnx("%s: %s stays locked by another writer; checking "
		    "it anyway", __func__, cl->path);
	if (fstat(cl->fd, &st) == -1) {
		log_warn("%s: fstat %s", __func__, cl->path);
	} else if (st.st_size == 0) {
		if (write(cl->fd, CSV_HEADER, hl) == (ssize_t)hl)
			cl->headers++;
		else
			log_warn("%s: header of %s", __func__, cl->path);
	} else {
		if (pread(cl->fd, head, hl, 0) != (ssize_t)hl ||
		    memcmp(head, CSV_HEADER, hl) != 0)
			log_warnx("%s does not start with the metrics header; "
			    "appending without one (never mid-file)", cl->path);
		if (csvlog_repair(cl, st.st_size, 0) == -1)
			cl->check_tail = 1;	/* again before the next write */
	}
	if (locked)
		flock(cl->fd, LOCK_UN);
}

/* A file of ours readable by others (an older pmm made it 0644): 0640. */
static void
csvlog_narrow(struct csvlog *cl)
{
	struct stat st;

	if (fstat(cl->fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 0777 & ~CSV_FILE_MODE) != 0 &&
	    fchmod(cl->fd, st.st_mode & 0777 & CSV_FILE_MODE) == -1)
		log_warn("%s: chmod %s", __func__, cl->path);
}

static int
csvlog_switch(struct csvlog *cl, int64_t ts_ns)
{
	if (cl->fd != -1) {
		close(cl->fd);
		cl->fd = -1;
	}
	cl->day = 0;
	cl->path[0] = '\0';
	if (csv_day_span(ts_ns, &cl->day_lo_ns, &cl->day_hi_ns) == -1)
		return -1;
	cl->day = csv_local_day(ts_ns);
	if (snprintf(cl->path, sizeof(cl->path), "%s/metrics-%08d.csv",
	    cl->dir, cl->day) >= (int)sizeof(cl->path)) {
		cl->path[0] = '\0';
		return -1;
	}
	if ((cl->fd = open(cl->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    CSV_FILE_MODE)) == -1) {
		if (!cl->warned++)
			log_warn("%s: open %s", __func__, cl->path);
		cl->errors++;
		cl->day = 0;
		return -1;
	}
	cl->warned = 0;
	cl->files++;
	csvlog_narrow(cl);
	csvlog_prepare(cl);
	return 0;
}

int
csvlog_open(struct csvlog *cl, const char *dir)
{
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->ts_sec = -1;
	tzset();
	if (dir == NULL || dir[0] == '\0' ||
	    snprintf(cl->dir, sizeof(cl->dir), "%s", dir) >=
	    (int)sizeof(cl->dir)) {
		log_warnx("%s: bad log directory", __func__);
		return -1;
	}
	if (csv_mkdirs(cl->dir) == -1) {
		log_warn("%s: mkdir %s", __func__, cl->dir);
		return -1;
	}
	return 0;
}

void
csvlog_close(struct csvlog *cl)
{
	if (csvlog_flush(cl) == -1) {
		cl->rows_lost += cl->pending;
		log_warnx("metrics CSV %s: %u rows lost on close (%llu in all)",
		    cl->path, cl->pending, (unsigned long long)cl->rows_lost);
		cl->len = 0;
		cl->pending = 0;
	}
	if (cl->fd != -1)
		close(cl->fd);
	cl->fd = -1;
	cl->day = 0;
}

/* Drop the first k bytes (whole rows, now in the file) from the batch. */
static void
csvlog_consume(struct csvlog *cl, size_t k)
{
	uint32_t rows = 0;
	size_t i;

	for (i = 0; i < k; i++)
		rows += cl->buf[i] == '\n';
	memmove(cl->buf, cl->buf + k, cl->len - k);
	cl->len -= k;
	cl->pending -= rows;
	cl->rows += rows;
	if (cl->failing)
		cl->rows_late += rows;
}

/* All of the batch, through EINTR and short writes: bytes written; errno
 * set when fewer than len. */
static size_t
csvlog_write_all(struct csvlog *cl)
{
	size_t off = 0;
	ssize_t n;

	while (off < cl->len) {
		n = write(cl->fd, cl->buf + off, cl->len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == 0) {
			errno = ENOSPC;	/* a file write of nothing: no room */
			break;
		} else if (errno != EINTR)
			break;
	}
	return off;
}

/*
 * A write cut short put w bytes of the batch in the file. Cut them off
 * again (we hold the exclusive lock: nobody appended after us), so the
 * whole batch can go out later. Without the lock, or if that fails, keep
 * what went out whole and remember that the tail may be torn: the next
 * flush closes it before it writes.
 */
static void
csvlog_cut_back(struct csvlog *cl, int locked, off_t size0, size_t w)
{
	size_t whole = w;

	if (w == 0)
		return;
	if (locked && size0 >= 0 && ftruncate(cl->fd, size0) == 0)
		return;
	while (whole > 0 && cl->buf[whole - 1] != '\n')
		whole--;
	csvlog_consume(cl, whole);
	if (whole < w)
		cl->check_tail = 1;
}

/* Said at the first failure and then once a minute, with the real errno. */
static void
csvlog_warn(struct csvlog *cl, int err)
{
	int64_t now = now_mono_ns();

	if (cl->failing && now < cl->next_warn_ns)
		return;
	cl->next_warn_ns = now + CSV_WARN_NS;
	log_warnx("metrics CSV %s: write failed: %s; %u rows (%zu bytes) kept "
	    "to be written when it works again, %llu rows lost so far",
	    cl->path, strerror(err), cl->pending, cl->len,
	    (unsigned long long)cl->rows_lost);
}

int
csvlog_flush(struct csvlog *cl)
{
	struct stat st;
	off_t size0 = -1;
	size_t w;
	int locked, err;

	if (cl->len == 0)
		return 0;
	if (cl->fd == -1) {
		cl->rows_lost += cl->pending;
		cl->len = 0;
		cl->pending = 0;
		return -1;
	}
	/* exclusive: a write cut short is cut back before anyone appends */
	locked = csv_lock(cl->fd, LOCK_EX) == 0;
	if (fstat(cl->fd, &st) == 0)
		size0 = st.st_size;
	if (cl->check_tail) {
		/* no row may follow a torn one: close it first, or wait */
		if (size0 < 0 || csvlog_repair(cl, size0, 1) == -1) {
			err = errno;
			cl->errors++;
			csvlog_warn(cl, err);
			cl->failing = 1;
			if (locked)
				flock(cl->fd, LOCK_UN);
			return -1;
		}
		cl->check_tail = 0;
		if (fstat(cl->fd, &st) == 0)
			size0 = st.st_size;
	}
	w = csvlog_write_all(cl);
	err = errno;
	if (w == cl->len) {
		cl->writes++;
		csvlog_consume(cl, w);
		if (cl->failing)
			log_info("metrics CSV %s writable again: %llu kept rows "
			    "written late, %llu rows lost in all", cl->path,
			    (unsigned long long)cl->rows_late,
			    (unsigned long long)cl->rows_lost);
		cl->failing = 0;
		cl->rows_late = 0;
		cl->warned = 0;
	} else {
		cl->errors++;
		csvlog_cut_back(cl, locked, size0, w);
		csvlog_warn(cl, err);
		cl->failing = 1;
	}
	if (locked)
		flock(cl->fd, LOCK_UN);
	return cl->len == 0 ? 0 : -1;
}

/* Append one record at buf[len]; -1 if it does not fit in what is left. */
static int
csvlog_render(struct csvlog *cl, int64_t ts_ns, const char *const *f)
{
	size_t at = cl->len, cap = CSV_BATCH_MAX;
	int i, n;

	if ((n = csvlog_stamp(cl, cl->buf + at, cap - at, ts_ns)) < 0)
		return -1;
	at += (size_t)n;
	for (i = 0; i < CSV_NFIELDS; i++) {
		if (cap - at < 2)
			return -1;
		cl->buf[at++] = ',';
		if ((n = csv_field(cl->buf + at, cap - at, f[i])) < 0)
			return -1;
		at += (size_t)n;
	}
	if (cap - at < 1)
		return -1;
	cl->buf[at++] = '\n';
	cl->len = at;
	cl->pending++;
	return 0;
}

int
csvlog_add(struct csvlog *cl, int64_t ts_ns, const char *const *f)
{
	if (cl->fd == -1 || ts_ns < cl->day_lo_ns || ts_ns >= cl->day_hi_ns) {
		if (csvlog_flush(cl) == -1) {
			/* they belong to the old day's file: not the new one */
			cl->rows_lost += cl->pending;
			cl->len = 0;
			cl->pending = 0;
		}
		if (csvlog_switch(cl, ts_ns) == -1) {
			cl->rows_lost++;
			return -1;
		}
	}
	if (csvlog_render(cl, ts_ns, f) == 0)
		return 0;
	csvlog_flush(cl);
	if (csvlog_render(cl, ts_ns, f) == 0)
		return 0;
	/* no room: the batch kept from failed writes is full (counted and
	 * said by csvlog_flush), or the row alone is too long */
	if (cl->len == 0)
		log_warnx("%s: a row longer than %d bytes dropped", __func__,
		    CSV_BATCH_MAX);
	cl->rows_lost++;
	return -1;
}
