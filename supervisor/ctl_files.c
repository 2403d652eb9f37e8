/*
 * ctl_files.c — the metrics CSV files read in pieces (see ctl_files.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_files.h"

#define CFILE_BUF	(1 << 20)	/* no record of ours is near this */
#define CFILE_MAX	4096		/* files of one directory */

int
cfile_read(const char *path, const struct cfile_sink *s, char *err,
    size_t errlen)
{
	size_t have = 0, used, n;
	char *buf;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(CFILE_BUF)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while ((n = fread(buf + have, 1, CFILE_BUF - have, fp)) > 0) {
		have += n;
		used = s->feed(s->arg, buf, have);
		if (used == 0 && have == CFILE_BUF) {
			/* one "record" of 1 MB: no row of ours, skip it */
			s->end(s->arg, buf, have);
			used = have;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		fclose(fp);
		return -1;
	}
	s->end(s->arg, buf, have);
	free(buf);
	fclose(fp);
	return 0;
}

static int
cfile_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cfile_read_dir(const char *dir, const struct chist *window,
    const struct cfile_sink *s, int *nfiles, char *err, size_t errlen)
{
	char **names, path[PATH_MAX], e1[512];
	struct dirent *e;
	int n = 0, i, rc = 0;
	DIR *d;

	*nfiles = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "log directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((names = calloc(CFILE_MAX, sizeof(*names))) == NULL) {
		closedir(d);
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL && n < CFILE_MAX)
		if (chist_file_wanted(window, e->d_name) &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cfile_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (cfile_read(path, s, e1, sizeof(e1)) == -1 && rc == 0) {
			snprintf(err, errlen, "%s", e1);
			rc = -1;
		}
		free(names[i]);
	}
	free(names);
	*nfiles = n;
	return rc;
}
