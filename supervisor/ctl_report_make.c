/*
 * ctl_report_make.c — rpt_make(), the I/O of `pmmctl report` (see
 * ctl_report.h): read the CSV, write the data, script and page into a
 * temporary directory beside OUT, run gnuplot there, and put the whole
 * directory in OUT's place with one rename — a report is there whole or
 * not at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_files.h"
#include "ctl_report.h"

#define RPT_MARKER	".pmm-report"	/* "this directory is a report" */

static size_t
rpt_sink_feed(void *r, const char *buf, size_t len)
{
	return rpt_feed(r, buf, len);
}

static void
rpt_sink_end(void *r, const char *buf, size_t len)
{
	rpt_feed_end(r, buf, len);
}

static int
rpt_read(struct rpt *r, const struct rpt_opts *o, int *nfiles, char *err,
    size_t errlen)
{
	struct cfile_sink s = { rpt_sink_feed, rpt_sink_end, r };
	int i;

	if (o->dir != NULL)
		return cfile_read_dir(o->dir, &r->h, &s, nfiles, err, errlen) ==
		    -1 && *nfiles == 0 ? -1 : 0;
	for (i = 0; o->files[i] != NULL; i++)
		if (cfile_read(o->files[i], &s, err, errlen) == -1)
			return -1;
	*nfiles = i;
	return 0;
}

/* Every file of a directory we made, then the directory. */
static void
rpt_rmdir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int
rpt_write(const char *dir, const char *name, const struct text_buf *b,
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (b->oom) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) ==
	    -1)
		goto fail;
	while (off < b->len) {
		if ((n = write(fd, b->p + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto fail;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

/* gnuplot's complaint: the first lines of its log. */
static void
rpt_gp_log(const char *dir, char *out, size_t len)
{
	char path[PATH_MAX];
	size_t n = 0;
	FILE *fp;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/gnuplot.log", dir) >=
	    (int)sizeof(path))
		return;		/* the temporary directory's name fits: never */
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(out, 1, len - 1, fp);
		fclose(fp);
	}
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\n')
			out[i] = ' ';
}

/* gnuplot report.gp, in dir, its output in dir/gnuplot.log. */
static int
rpt_run_gnuplot(const char *prog, const char *dir, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)prog, "report.gp", NULL };
	char log[400];
	pid_t pid;
	int rc, st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "gnuplot.log",
	    O_WRONLY | O_CREAT | O_TRUNC, 0640);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run %s: %s (Debian: apt-get "
		    "install gnuplot-nox)", prog, strerror(rc));
		return -1;
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for %s: %s", prog,
			    strerror(errno));
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	rpt_gp_log(dir, log, sizeof(log));
	snprintf(err, errlen, "%s failed (%s %d): %s", prog, WIFEXITED(st) ?
	    "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) :
	    WTERMSIG(st), log[0] ? log : "no output");
	return -1;
}

/* The data files, the script, the charts: each PNG there and not empty. */
static int
rpt_draw(const struct rpt *r, const struct rpt_opts *o, const char *tmp,
    int *ncharts, char *err, size_t errlen)
{
	struct text_buf b = { 0 };
	char path[PATH_MAX];
	const char *name;
	struct stat sb;
	int i, rc = 0;

	*ncharts = 0;
	for (i = 0; rc == 0 && rpt_data(r, i, &name, &b) == 0; i++) {
		rc = rpt_write(tmp, name, &b, err, errlen);
		b.len = 0;
	}
	if (rc == 0) {
		rpt_gnuplot(r, &b);
		rc = rpt_write(tmp, "report.gp", &b, err, errlen);
	}
	text_buf_free(&b);
	if (rc == -1)
		return -1;
	for (i = 0; i < RPT_NCHARTS; i++)
		*ncharts += rpt_has(r, i);
	if (*ncharts == 0)
		return 0;
	if (rpt_run_gnuplot(o->gnuplot ? o->gnuplot : "gnuplot", tmp, err,
	    errlen) == -1)
		return -1;
	/* gnuplot made them under the umask: as private as the CSV */
	for (i = 0; i < RPT_NCHARTS; i++) {
		if (!rpt_has(r, i))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", tmp,
		    rpt_chart_file[i]) >= (int)sizeof(path) ||
		    stat(path, &sb) == -1 || sb.st_size == 0) {
			rpt_gp_log(tmp, path, sizeof(path));
			snprintf(err, errlen, "gnuplot made no %s: %s",
			    rpt_chart_file[i], path[0] ? path : "no output");
			return -1;
		}
		chmod(path, 0640);
	}
	return 0;
}

/* May OUT be replaced? Absent, empty, or an earlier report. */
static int
rpt_out_ok(const char *out, int *exists, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat sb;
	int n = 0;
	DIR *d;

	*exists = 0;
	if (lstat(out, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		return -1;
	}
	*exists = 1;
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory", out);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/" RPT_MARKER, out);
	if (access(path, F_OK) == 0)
		return 0;
	if ((d = opendir(out)) == NULL) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	if (n > 0) {
		snprintf(err, errlen, "%s exists and is no pmm report (no "
		    RPT_MARKER "): not replacing it; name a new or empty "
		    "directory", out);
		return -1;
	}
	return 0;
}

/* tmp (a complete report) becomes out; an earlier out is removed. */
static int
rpt_publish(const char *tmp, const char *out, int exists, char *err,
    size_t errlen)
{
	if (chmod(tmp, 0750) == -1)
		goto fail;
	if (!exists) {
		if (rename(tmp, out) == -1)
			goto fail;
		return 0;
	}
	/* one step: out is the old report or the new one, never neither */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) == -1)
		goto fail;
	rpt_rmdir(tmp);			/* the old report, now here */
	return 0;
fail:
	snprintf(err, errlen, "cannot put the report in %s: %s", out,
	    strerror(errno));
	return -1;
}

/* A fresh directory beside out (same file system: rename works). */
static int
rpt_tmpdir(const char *out, char *tmp, size_t len, char *err, size_t errlen)
{
	const char *slash = strrchr(out, '/');
	int n;

	if (slash == NULL)
		n = snprintf(tmp, len, ".%s.tmp-XXXXXX", out);
	else
		n = snprintf(tmp, len, "%.*s/.%s.tmp-XXXXXX",
		    (int)(slash - out), out, slash + 1);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "%s: name too long", out);
		return -1;
	}
	if (mkdtemp(tmp) == NULL) {
		snprintf(err, errlen, "cannot write the report to %s: %s", out,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
rpt_build(struct rpt *r, const struct rpt_opts *o, int64_t now_ns,
    const char *tmp, struct rpt_result *res, char *err, size_t errlen)
{
	struct text_buf b = { 0 };
	json_t *hist;
	int rc;

	if (r->h.first_ns != 0 && rpt_draw(r, o, tmp, &res->charts, err,
	    errlen) == -1)
		return -1;
	if ((hist = chist_json(&r->h, o->capital, res->files)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rpt_html(r, hist, o, now_ns, &b);
	json_decref(hist);
	rc = rpt_write(tmp, "index.html", &b, err, errlen);
	b.len = 0;
	text_buf_printf(&b, "made by pmmctl report; this directory is replaced "
	    "whole by the next one\n");
	if (rc == 0)
		rc = rpt_write(tmp, RPT_MARKER, &b, err, errlen);
	text_buf_free(&b);
	return rc;
}

int
rpt_make(const struct rpt_opts *o, int64_t now_ns, struct rpt_result *res,
    char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct rpt *r;
	int exists, rc = -1;

	memset(res, 0, sizeof(*res));
	if (o->out == NULL || o->out[0] == '\0' ||
	    (o->dir == NULL) == (o->files == NULL)) {
		snprintf(err, errlen, "report: an output directory and either "
		    "a CSV directory or a list of files, please");
		return -1;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rpt_init(r, o->since_ns, o->until_ns, o->instance);
	if (rpt_out_ok(o->out, &exists, err, errlen) == -1 ||
	    rpt_read(r, o, &res->files, err, errlen) == -1)
		goto done;
	rpt_finish(r, o->limit_quote);
	if (r->oom) {
		snprintf(err, errlen, "out of memory reading the CSV");
		goto done;
	}
	if (rpt_tmpdir(o->out, tmp, sizeof(tmp), err, errlen) == -1)
		goto done;
	if (rpt_build(r, o, now_ns, tmp, res, err, errlen) == -1 ||
	    rpt_publish(tmp, o->out, exists, err, errlen) == -1) {
		rpt_rmdir(tmp);
		goto done;
	}
	snprintf(res->index, sizeof(res->index), "%s/index.html", o->out);
	res->records = r->h.records;
	res->skipped = r->h.skipped;
	res->empty = r->h.first_ns == 0;
	rc = 0;
done:
	rpt_free(r);
	free(r);
	return rc;
}
