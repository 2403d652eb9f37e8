/*
 * check_csvlog.c — the daily metrics CSV writer: RFC 4180 quoting (comma,
 * quote, CR/LF, empty, UTF-8), the header once per file, a new file at
 * LOCAL midnight (also across a DST change), torn-tail repair, exactly 11
 * columns on every row, one write(2) per batch, whole lines from two
 * processes appending at once and from writers SIGKILLed mid-write, and the
 * local timestamp with its offset (TZ set to +05:30 / -03:30 zones).
 *
 * Every file is read back with a small RFC 4180 parser written here, so a
 * quoting mistake shows up as a wrong field, not just a wrong byte.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csvlog.h"
#include "csv_reader.h"
#include "log.h"
#include "timeutil.h"
#include "check_run.h"

static char		 dir[256];
static struct csvlog	*cl;

/* 2026-11-24 00:00:00 +05:30 == 2026-11-23T18:30:00Z */
#define IST_MIDNIGHT	1795458600LL

static void
set_tz(const char *zone, const char *posix)
{
	char path[128];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	/* a POSIX TZ string needs no tzdata: the same rules without it */
	setenv("TZ", access(path, R_OK) == 0 ? zone : posix, 1);
	tzset();
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_csvlog.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cl = calloc(1, sizeof(*cl));
	recs = calloc(MAXREC, sizeof(*recs));
	ck_assert(cl != NULL && recs != NULL);
	log_init("check_csvlog", LOG_LVL_WARN);
	set_tz("Asia/Kolkata", "IST-5:30");
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cl);
	free(recs);
}

static void
file_path(char *buf, size_t len, int day)
{
	snprintf(buf, len, "%s/metrics-%08d.csv", dir, day);
}

static void
assert_header(const struct rec *r)
{
	static const char *h[] = { "timestamp", "instance_id", "env",
	    "metric_name", "value", "unit", "symbol", "side", "level",
	    "sub_type", "details" };
	int i;

	ck_assert_int_eq(r->nf, CSV_NCOLS);
	for (i = 0; i < CSV_NCOLS; i++)
		ck_assert_str_eq(r->f[i], h[i]);
}

static int
count_headers(int n)
{
	int i, h = 0;

	for (i = 0; i < n; i++)
		if (strcmp(recs[i].f[0], "timestamp") == 0)
			h++;
	return h;
}

static int
add(int64_t ts, const char *metric, const char *value, const char *details)
{
	const char *f[CSV_NFIELDS] = { "inst", "sim", metric, value, "USDT",
	    "BTCUSDT", "", "", "", details };

	return csvlog_add(cl, ts, f);
}

/* ---- quoting ------------------------------------------------------------- */

START_TEST(test_field_quoting)
{
	char b[64];

	ck_assert_int_eq(csv_field(b, sizeof(b), "abc"), 3);
	ck_assert_str_eq(b, "abc");
	csv_field(b, sizeof(b), "a,b");
	ck_assert_str_eq(b, "\"a,b\"");
	csv_field(b, sizeof(b), "say \"hi\"");
	ck_assert_str_eq(b, "\"say \"\"hi\"\"\"");
	csv_field(b, sizeof(b), "\"");
	ck_assert_str_eq(b, "\"\"\"\"");
	csv_field(b, sizeof(b), "two\nlines");
	ck_assert_str_eq(b, "\"two\nlines\"");
	csv_field(b, sizeof(b), "cr\r");
	ck_assert_str_eq(b, "\"cr\r\"");
	ck_assert_int_eq(csv_field(b, sizeof(b), ""), 0);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(csv_field(b, sizeof(b), NULL), 0);
	/* UTF-8 passes through untouched and unquoted */
	csv_field(b, sizeof(b), "\xe2\x82\xac p\xc3\xbcnkt");
	ck_assert_str_eq(b, "\xe2\x82\xac p\xc3\xbcnkt");
	csv_field(b, sizeof(b), " spaces kept ");
	ck_assert_str_eq(b, " spaces kept ");
	/* too small: refused, never cut */
	ck_assert_int_eq(csv_field(b, 3, "abc"), -1);
	ck_assert_int_eq(csv_field(b, 6, "a,\"b"), -1);
	ck_assert_int_eq(csv_field(b, 8, "a,\"b"), 7);
}
END_TEST

/* Nasty values come back field for field, 11 columns each. */
START_TEST(test_roundtrip_columns)
{
	static const char *vals[] = { "", ",", "\"", "\"\"", "a,b,c",
	    "line1\nline2", "crlf\r\nend", "\xe2\x82\xac\xe2\x9c\x93 \xf0\x9f\x9a\x80",
	    " lead", "x\"y,z\nw", ",,,,,,,,,,,,", "\n" };
	int nv = (int)(sizeof(vals) / sizeof(vals[0])), i, j, n;
	int64_t ts = IST_MIDNIGHT * NS_PER_S + 5 * NS_PER_S;
	char path[300];

	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	for (i = 0; i < nv; i++)
		for (j = 0; j < nv; j++) {
			const char *f[CSV_NFIELDS] = { vals[i], "sim", vals[j],
			    "1.5", vals[(i + j) % nv], "BTCUSDT", "BUY", "3",
			    vals[j], vals[i] };

			ck_assert_int_eq(csvlog_add(cl, ts, f), 0);
		}
	csvlog_close(cl);
	file_path(path, sizeof(path), 20261124);
	n = parse_file(path);
	ck_assert_int_eq(n, 1 + nv * nv);
	assert_header(&recs[0]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(recs[i].nf, CSV_NCOLS);
	for (i = 0; i < nv; i++)
		for (j = 0; j < nv; j++) {
			struct rec *r = &recs[1 + i * nv + j];

			ck_assert_str_eq(r->f[0], "2026-11-24T00:00:05.000+05:30");
			ck_assert_str_eq(r->f[1], vals[i]);
			ck_assert_str_eq(r->f[3], vals[j]);
			ck_assert_str_eq(r->f[5], vals[(i + j) % nv]);
			ck_assert_str_eq(r->f[7], "BUY");
			ck_assert_str_eq(r->f[8], "3");
			ck_assert_str_eq(r->f[9], vals[j]);
			ck_assert_str_eq(r->f[10], vals[i]);
		}
}
END_TEST

/* ---- timestamps ---------------------------------------------------------- */

START_TEST(test_timestamp_offsets)
{
	char b[CSV_TS_MAX];
	int64_t t = (IST_MIDNIGHT - 1) * NS_PER_S + 999999999;

	/* +05:30: 18:29:59.999Z is 23:59:59.999 the day before */
	ck_assert_int_eq(csv_timestamp(b, sizeof(b), t), 29);
	ck_assert_str_eq(b, "2026-11-23T23:59:59.999+05:30");
	csv_timestamp(b, sizeof(b), IST_MIDNIGHT * NS_PER_S + 456000000);
	ck_assert_str_eq(b, "2026-11-24T00:00:00.456+05:30");
	ck_assert_int_eq(csv_local_day(t), 20261123);
	ck_assert_int_eq(csv_local_day(t + 1), 20261124);
	/* UTC */
	setenv("TZ", "UTC0", 1);
	tzset();
	csv_timestamp(b, sizeof(b), IST_MIDNIGHT * NS_PER_S + 7000000);
	ck_assert_str_eq(b, "2026-11-23T18:30:00.007+00:00");
	/* a negative half-hour zone: Newfoundland in winter, -03:30 */
	set_tz("America/St_Johns", "NST3:30");
	csv_timestamp(b, sizeof(b), IST_MIDNIGHT * NS_PER_S);
	ck_assert_str_eq(b, "2026-11-23T15:00:00.000-03:30");
	/* too small a buffer */
	ck_assert_int_eq(csv_timestamp(b, 10, IST_MIDNIGHT * NS_PER_S), -1);
}
END_TEST

/* ---- files --------------------------------------------------------------- */

START_TEST(test_header_once)
{
	int64_t ts = IST_MIDNIGHT * NS_PER_S + NS_PER_S;
	char path[300];
	int n;

	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add(ts, "mid_price", "1", ""), 0);
	csvlog_close(cl);
	ck_assert_uint_eq(cl->headers, 1);
	/* a second writer, and a restart: appended, no second header */
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add(ts + NS_PER_S, "mid_price", "2", ""), 0);
	csvlog_close(cl);
	ck_assert_uint_eq(cl->headers, 0);
	ck_assert_uint_eq(cl->torn_repaired, 0);
	file_path(path, sizeof(path), 20261124);
	n = parse_file(path);
	ck_assert_int_eq(n, 3);
	assert_header(&recs[0]);
	ck_assert_int_eq(count_headers(n), 1);
	ck_assert_str_eq(recs[1].f[4], "1");
	ck_assert_str_eq(recs[2].f[4], "2");
}
END_TEST

/* An existing empty file (touched, or created just before a crash) gets
 * its header; a non-empty one without it does not get one mid-file. */
START_TEST(test_header_existing_files)
{
	int64_t ts = IST_MIDNIGHT * NS_PER_S + NS_PER_S;
	char path[300];
	int fd, n;

	file_path(path, sizeof(path), 20261124);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0644), -1);
	close(fd);
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	add(ts, "mid_price", "1", "");
	csvlog_close(cl);
	n = parse_file(path);
	ck_assert_int_eq(n, 2);
	assert_header(&recs[0]);

	file_path(path, sizeof(path), 20261125);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0644), -1);
	ck_assert_int_eq(write(fd, "a,b,c,d,e,f,g,h,i,j,k\n", 22), 22);
	close(fd);
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	add(ts + 86400 * NS_PER_S, "mid_price", "1", "");
	csvlog_close(cl);
	n = parse_file(path);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(count_headers(n), 0);
	ck_assert_str_eq(recs[0].f[0], "a");
}
END_TEST

/* Local midnight in +05:30 is 18:30 UTC: the row a millisecond before it
 * lands in the 23rd's file, the one at it in the 24th's, each with its
 * header, and a late row for the 23rd goes back to the 23rd's file. */
START_TEST(test_day_rollover_local_midnight)
{
	int64_t mid = IST_MIDNIGHT * NS_PER_S;
	char p23[300], p24[300];
	int n;

	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	add(mid - 2 * NS_PER_S, "mid_price", "a", "");
	add(mid - NS_PER_MS, "mid_price", "b", "");
	add(mid, "mid_price", "c", "");
	add(mid + NS_PER_S, "mid_price", "d", "");
	add(mid - 3 * NS_PER_S, "fill", "late", "queued event");
	csvlog_close(cl);
	ck_assert_uint_eq(cl->headers, 2);
	file_path(p23, sizeof(p23), 20261123);
	file_path(p24, sizeof(p24), 20261124);
	n = parse_file(p23);
	ck_assert_int_eq(n, 4);
	assert_header(&recs[0]);
	ck_assert_str_eq(recs[1].f[4], "a");
	ck_assert_str_eq(recs[2].f[0], "2026-11-23T23:59:59.999+05:30");
	ck_assert_str_eq(recs[3].f[4], "late");
	n = parse_file(p24);
	ck_assert_int_eq(n, 3);
	assert_header(&recs[0]);
	ck_assert_str_eq(recs[1].f[0], "2026-11-24T00:00:00.000+05:30");
	ck_assert_str_eq(recs[2].f[4], "d");
}
END_TEST

/* New York, 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT, a 23 h day.
 * Midnight of the 8th is 05:00Z, of the 9th 04:00Z (1773028800). */
START_TEST(test_day_rollover_dst)
{
	int64_t m9 = 1773028800LL * NS_PER_S, m8 = m9 - 23 * 3600 * NS_PER_S;
	char path[300];
	int n;

	set_tz("America/New_York", "EST5EDT,M3.2.0,M11.1.0");
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	add(m8 - NS_PER_MS, "x", "7th", "");
	add(m8, "x", "8th-start", "");
	add(m9 - NS_PER_MS, "x", "8th-end", "");
	add(m9, "x", "9th", "");
	csvlog_close(cl);
	file_path(path, sizeof(path), 20260308);
	n = parse_file(path);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(recs[1].f[0], "2026-03-08T00:00:00.000-05:00");
	ck_assert_str_eq(recs[2].f[0], "2026-03-08T23:59:59.999-04:00");
	file_path(path, sizeof(path), 20260307);
	ck_assert_int_eq(parse_file(path), 2);
	ck_assert_str_eq(recs[1].f[0], "2026-03-07T23:59:59.999-05:00");
	file_path(path, sizeof(path), 20260309);
	ck_assert_int_eq(parse_file(path), 2);
	ck_assert_str_eq(recs[1].f[0], "2026-03-09T00:00:00.000-04:00");
}
END_TEST

/* ---- torn tails ---------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static const char *row1 = "2026-11-24T00:00:01.000+05:30,inst,sim,mid_price,"
    "1,USDT,BTCUSDT,,,,\n";

static void
check_repair(const char *torn, int want_repairs, const char *note)
{
	int64_t ts = IST_MIDNIGHT * NS_PER_S + 10 * NS_PER_S;
	char path[300], text[4096];
	int i, n;

	file_path(path, sizeof(path), 20261124);
	snprintf(text, sizeof(text), "%s%s%s", CSV_HEADER, row1, torn);
	write_file(path, text);
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add(ts, "mid_price", "after", "x,y"), 0);
	csvlog_close(cl);
	ck_assert_uint_eq(cl->torn_repaired, (uint64_t)want_repairs);
	n = parse_file(path);
	ck_assert_int_eq(count_headers(n), 1);
	for (i = 0; i < n; i++)
		ck_assert_msg(recs[i].nf == CSV_NCOLS,
		    "%s: record %d has %d fields", note, i, recs[i].nf);
	ck_assert_str_eq(recs[n - 1].f[4], "after");
	ck_assert_str_eq(recs[n - 1].f[10], "x,y");
	if (want_repairs)
		ck_assert_int_eq(n, 4);
	/* a second start finds nothing to repair */
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	add(ts, "mid_price", "again", "");
	csvlog_close(cl);
	ck_assert_uint_eq(cl->torn_repaired, 0);
}

START_TEST(test_torn_tail_repair)
{
	/* cut in the middle of a plain field */
	check_repair("2026-11-24T00:00:02.000+05:30,inst,sim,mid_pr", 1,
	    "plain");
	/* cut inside a quoted field holding a comma, a quote and a newline */
	check_repair("2026-11-24T00:00:02.000+05:30,inst,sim,fill,1,BTC,"
	    "BTCUSDT,BUY,1,maker,\"price=1, text=\"\"a\nb", 1, "quoted");
	/* cut right after a doubled quote's first half */
	check_repair("2026-11-24T00:00:02.000+05:30,inst,\"x\"", 1, "dquote");
	/* cut just before the final newline: 11 fields already */
	check_repair("2026-11-24T00:00:02.000+05:30,inst,sim,m,1,u,s,,,,d", 1,
	    "full");
	/* cut inside the timestamp itself */
	check_repair("2026-1", 1, "ts");
	/* clean file: nothing to do */
	check_repair("", 0, "clean");
	/* a complete row whose details end in a quoted newline */
	check_repair("2026-11-24T00:00:02.000+05:30,i,s,m,1,u,s,,,,\"a\n\"\n",
	    0, "quoted-newline");
}
END_TEST

/* A long tail with no recognisable record start: just end the line. */
START_TEST(test_torn_tail_unknown)
{
	char path[300], *junk = malloc(40000);
	size_t len;
	char *t;

	ck_assert_ptr_nonnull(junk);
	memset(junk, 'z', 39999);
	junk[39999] = '\0';
	file_path(path, sizeof(path), 20261124);
	write_file(path, junk);
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	add(IST_MIDNIGHT * NS_PER_S, "m", "v", "");
	csvlog_close(cl);
	ck_assert_uint_eq(cl->torn_repaired, 1);
	t = slurp(path, &len);
	ck_assert_int_eq(t[39999], '\n');
	ck_assert_int_eq(strncmp(t + 40000, "2026-11-24T00:00:00.000+05:30,",
	    30), 0);
	free(t);
	free(junk);
}
END_TEST

/* ---- writes -------------------------------------------------------------- */

/* A batch of rows is one write(2); the counters say so. */
START_TEST(test_one_write_per_batch)
{
	int64_t ts = IST_MIDNIGHT * NS_PER_S;
	char path[300];
	struct stat st;
	int i;

	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	for (i = 0; i < 100; i++)
		add(ts + i, "m", "v", "d");
	file_path(path, sizeof(path), 20261124);
	/* only the header is on disk until the flush */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)strlen(CSV_HEADER));
	ck_assert_uint_eq(cl->pending, 100);
	ck_assert_int_eq(csvlog_flush(cl), 0);
	ck_assert_uint_eq(cl->writes, 1);
	ck_assert_uint_eq(cl->rows, 100);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_gt(st.st_size, 100 * 50);
	/* a batch larger than CSV_BATCH_MAX goes out in whole-row writes */
	for (i = 0; i < 2000; i++)
		add(ts + i, "m", "v", "details long enough to fill the "
		    "buffer more quickly than short rows would");
	csvlog_close(cl);
	ck_assert_uint_eq(cl->rows, 2100);
	ck_assert_uint_gt(cl->writes, 2);
	ck_assert_int_eq(parse_file(path), 2101);
}
END_TEST

/* Two processes append 10k rows each to the same file, in batches that
 * span pages: every line whole, every row there, one header. */
START_TEST(test_two_writers)
{
	int64_t ts = IST_MIDNIGHT * NS_PER_S + 60 * NS_PER_S;
	int w, i, n, st, got[2] = { 0, 0 }, last[2] = { -1, -1 };
	char path[300], seq[16], who[4];
	pid_t pid[2];

	for (w = 0; w < 2; w++) {
		if ((pid[w] = fork()) == 0) {
			snprintf(who, sizeof(who), "w%d", w);
			if (csvlog_open(cl, dir) == -1)
				_exit(2);
			for (i = 0; i < 10000; i++) {
				const char *f[CSV_NFIELDS] = { who, "sim",
				    "mid_price", seq, "USDT", "BTCUSDT", "BUY",
				    "1", "x", "padding, \"quoted\" to make "
				    "batches cross page boundaries" };

				snprintf(seq, sizeof(seq), "%d", i);
				if (csvlog_add(cl, ts + i, f) == -1)
					_exit(3);
				if (i % 40 == 39 && csvlog_flush(cl) == -1)
					_exit(4);
			}
			csvlog_close(cl);
			_exit(cl->rows == 10000 ? 0 : 5);
		}
		ck_assert_int_gt(pid[w], 0);
	}
	for (w = 0; w < 2; w++) {
		ck_assert_int_eq(waitpid(pid[w], &st, 0), pid[w]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "writer %d status %d", w, st);
	}
	file_path(path, sizeof(path), 20261124);
	n = parse_file(path);
	ck_assert_int_eq(n, 20001);
	assert_header(&recs[0]);
	for (i = 1; i < n; i++) {
		ck_assert_int_eq(recs[i].nf, CSV_NCOLS);
		w = recs[i].f[1][1] - '0';
		ck_assert(w == 0 || w == 1);
		ck_assert_int_eq(atoi(recs[i].f[4]), last[w] + 1);
		last[w]++;
		got[w]++;
		ck_assert_str_eq(recs[i].f[10],
		    "padding, \"quoted\" to make batches cross page boundaries");
	}
	ck_assert_int_eq(got[0], 10000);
	ck_assert_int_eq(got[1], 10000);
}
END_TEST

/*
 * Writers SIGKILLed at random moments while writing big batches; after
 * each kill a new writer opens the file (repairing what it must) and
 * appends. Whatever the kills cut, every record parses with 11 fields.
 */
START_TEST(test_killed_writers_leave_parseable_file)
{
	int64_t ts = IST_MIDNIGHT * NS_PER_S;
	struct timespec d;
	char path[300];
	int k, i, n, st;
	pid_t pid;

	srand(12345);
	for (k = 0; k < 25; k++) {
		if ((pid = fork()) == 0) {
			if (csvlog_open(cl, dir) == -1)
				_exit(2);
			/* four writes of ~40 KB each, then wait for the kill */
			for (i = 0; i < 1200; i++) {
				add(ts + i, "m", "v", "a, \"b\"\nc, a row of "
				    "some length to fill pages quickly .....");
				if (i % 300 == 299)
					csvlog_flush(cl);
			}
			for (;;)
				pause();
		}
		ck_assert_int_gt(pid, 0);
		d.tv_sec = 0;
		d.tv_nsec = (rand() % 1500) * 1000L;
		nanosleep(&d, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_int_eq(csvlog_open(cl, dir), 0);
		ck_assert_int_eq(add(ts, "m", "after-kill", ""), 0);
		csvlog_close(cl);
	}
	file_path(path, sizeof(path), 20261124);
	n = parse_file(path);
	ck_assert_int_gt(n, 25);
	ck_assert_int_eq(count_headers(n), 1);
	for (i = 0; i < n; i++)
		ck_assert_msg(recs[i].nf == CSV_NCOLS, "record %d: %d fields",
		    i, recs[i].nf);
}
END_TEST

START_TEST(test_bad_dir_and_long_rows)
{
	static char big[CSV_BATCH_MAX];
	char sub[300];

	ck_assert_int_eq(csvlog_open(cl, ""), -1);
	ck_assert_int_eq(csvlog_open(cl, "/proc/no/such/dir"), -1);
	/* nested directories are created */
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	ck_assert_int_eq(csvlog_open(cl, sub), 0);
	memset(big, 'x', sizeof(big) - 1);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "v", big), -1);
	ck_assert_uint_eq(cl->rows_lost, 1);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "v", "ok"), 0);
	csvlog_close(cl);
	ck_assert_uint_eq(cl->rows, 1);
}
END_TEST

/* ---- permissions, outside text, a full disk ------------------------------- */

/* Rows show PnL and balances: files 0640, an older 0644 one narrowed. */
START_TEST(test_file_mode)
{
	char path[600], sub[300];
	struct stat st;
	int fd;

	umask(022);
	snprintf(sub, sizeof(sub), "%s/logs", dir);
	ck_assert_int_eq(csvlog_open(cl, sub), 0);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0750);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "1", ""), 0);
	csvlog_close(cl);
	snprintf(path, sizeof(path), "%s/metrics-20261124.csv", sub);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);

	/* a file an older pmm made world-readable */
	file_path(path, sizeof(path), 20261125);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add((IST_MIDNIGHT + 86400) * NS_PER_S, "m", "1", ""),
	    0);
	csvlog_close(cl);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
}
END_TEST

/* Terminal escapes and invalid UTF-8 never reach the file raw. */
START_TEST(test_field_sanitised)
{
	char b[128], path[300];
	int n;

	csv_field(b, sizeof(b), "\x1b[2J\x1b[31mred\xff");
	ck_assert_str_eq(b, "?[2J?[31mred?");
	csv_field(b, sizeof(b), "a,\x1b\nb");	/* quoted, LF kept */
	ck_assert_str_eq(b, "\"a,?\nb\"");
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "strategy_paused", "1",
	    "\x1b]0;pwned\x07\xc3\x28"), 0);
	csvlog_close(cl);
	file_path(path, sizeof(path), 20261124);
	n = parse_file(path);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(recs[1].f[10], "?]0;pwned?" "?(");
}
END_TEST

/* File size limited: writes past it are cut short, like on a full disk. */
static void
limit_file_size(off_t lim)
{
	struct rlimit rl = { (rlim_t)lim, RLIM_INFINITY };

	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/*
 * A write cut short (a full disk) never leaves a torn row: the file is cut
 * back, the rows are kept and written once there is room, in order and
 * whole; and once the kept batch is full, further rows are counted lost.
 */
START_TEST(test_short_write_kept_not_torn)
{
	char path[300], val[16];
	struct stat st;
	off_t size0;
	int i, n, lost_rows;

	signal(SIGXFSZ, SIG_IGN);	/* a write past the limit: EFBIG */
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "0", ""), 0);
	ck_assert_int_eq(csvlog_flush(cl), 0);
	file_path(path, sizeof(path), 20261124);
	ck_assert_int_eq(stat(path, &st), 0);
	size0 = st.st_size;

	/* room for one and a half rows: the batch of 10 is cut short */
	limit_file_size(size0 + 100);
	for (i = 1; i <= 10; i++) {
		snprintf(val, sizeof(val), "%d", i);
		ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", val, ""), 0);
	}
	ck_assert_int_eq(csvlog_flush(cl), -1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, size0);		/* cut back */
	ck_assert_uint_eq(cl->pending, 10);		/* kept */
	ck_assert_uint_eq(cl->rows_lost, 0);
	ck_assert_uint_eq(cl->errors, 1);
	/* still no room: still kept, the file unchanged */
	ck_assert_int_eq(csvlog_flush(cl), -1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, size0);

	/* room again: everything, in order */
	limit_file_size((off_t)RLIM_INFINITY);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "11", ""), 0);
	ck_assert_int_eq(csvlog_flush(cl), 0);
	ck_assert_uint_eq(cl->pending, 0);
	n = parse_file(path);
	ck_assert_int_eq(n, 1 + 12);
	for (i = 1; i < n; i++) {
		ck_assert_int_eq(recs[i].nf, CSV_NCOLS);
		snprintf(val, sizeof(val), "%d", i - 1);
		ck_assert_str_eq(recs[i].f[4], val);
	}

	/* a long outage: the kept batch is bounded, the excess counted */
	ck_assert_int_eq(stat(path, &st), 0);
	limit_file_size(st.st_size);
	lost_rows = 0;
	for (i = 0; i < 5000; i++)
		if (add(IST_MIDNIGHT * NS_PER_S, "m", "x", "padding padding "
		    "padding padding padding") == -1)
			lost_rows++;
	ck_assert_int_gt(lost_rows, 0);
	ck_assert_uint_eq(cl->rows_lost, (uint64_t)lost_rows);
	ck_assert_uint_eq(cl->pending + lost_rows, 5000);
	ck_assert_int_le(cl->len, CSV_BATCH_MAX);
	limit_file_size((off_t)RLIM_INFINITY);
	ck_assert_int_eq(csvlog_flush(cl), 0);
	csvlog_close(cl);
	n = parse_file(path);
	ck_assert_int_eq(n, 13 + 5000 - lost_rows);
}
END_TEST

/* Without the exclusive lock a cut write cannot be cut back: the whole
 * rows stay, the torn one is closed before anything follows it. */
START_TEST(test_short_write_torn_closed_first)
{
	char path[300];
	struct stat st;
	int n, fd, i;

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(csvlog_open(cl, dir), 0);
	ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "0", ""), 0);
	ck_assert_int_eq(csvlog_flush(cl), 0);
	file_path(path, sizeof(path), 20261124);
	/* another process holds the lock for longer than we wait */
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	if (fork() == 0) {
		int f2 = open(path, O_RDONLY);

		flock(f2, LOCK_EX);
		sleep(3);
		_exit(0);
	}
	usleep(200 * 1000);
	ck_assert_int_eq(stat(path, &st), 0);
	limit_file_size(st.st_size + 100);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(add(IST_MIDNIGHT * NS_PER_S, "m", "1", ""), 0);
	ck_assert_int_eq(csvlog_flush(cl), -1);
	ck_assert_uint_eq(cl->pending, 2);	/* one row went out whole */
	limit_file_size((off_t)RLIM_INFINITY);
	wait(NULL);
	ck_assert_int_eq(csvlog_flush(cl), 0);
	csvlog_close(cl);
	close(fd);
	n = parse_file(path);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(recs[i].nf, CSV_NCOLS);
	ck_assert_uint_eq(cl->torn_repaired, 1);
	ck_assert_uint_eq(cl->rows, 4);
}
END_TEST

static Suite *
csvlog_suite(void)
{
	Suite *s = suite_create("csvlog");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_field_quoting);
	tcase_add_test(tc, test_roundtrip_columns);
	tcase_add_test(tc, test_timestamp_offsets);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_header_once);
	tcase_add_test(tc, test_header_existing_files);
	tcase_add_test(tc, test_day_rollover_local_midnight);
	tcase_add_test(tc, test_day_rollover_dst);
	tcase_add_test(tc, test_torn_tail_repair);
	tcase_add_test(tc, test_torn_tail_unknown);
	tcase_add_test(tc, test_one_write_per_batch);
	tcase_add_test(tc, test_bad_dir_and_long_rows);
	tcase_add_test(tc, test_file_mode);
	tcase_add_test(tc, test_field_sanitised);
	tcase_add_test(tc, test_short_write_kept_not_torn);
	tcase_add_test(tc, test_short_write_torn_closed_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_writers);
	tcase_add_test(tc, test_killed_writers_leave_parseable_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(csvlog_suite());
}
