/*
 * csv_reader.h — a small RFC 4180 reader for the unit tests (check_csvlog,
 * check_logger): files are read back field by field, so a quoting mistake
 * shows up as a wrong field, not just a wrong byte. Fails the running
 * check test on a malformed record. Test code only.
 */
#ifndef PMM_CSV_READER_H
#define PMM_CSV_READER_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvlog.h"

#define FMAX	160		/* longest field the reader keeps */
#define MAXREC	40000

struct rec {
	int	 nf;
	char	 f[CSV_NCOLS + 2][FMAX];
};

static struct rec	*recs;		/* calloc(MAXREC) by the test setup */

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "open %s: %s", path, strerror(errno));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Records of a file; fails the test on a malformed one. */
static int
parse_file(const char *path)
{
	size_t len, i = 0, fl;
	char *t = slurp(path, &len);
	int n = 0, inq;
	struct rec *r;

	while (i < len) {
		ck_assert_int_lt(n, MAXREC);
		r = &recs[n++];
		r->nf = 0;
		for (;;) {		/* one field */
			ck_assert_int_lt(r->nf, CSV_NCOLS + 2);
			fl = 0;
			inq = 0;
			if (i < len && t[i] == '"') {
				inq = 1;
				i++;
			}
			for (; i < len; i++) {
				if (inq && t[i] == '"') {
					if (i + 1 < len && t[i + 1] == '"')
						i++;
					else {
						inq = 0;
						continue;
					}
				} else if (!inq && (t[i] == ',' || t[i] == '\n'))
					break;
				else if (!inq)
					ck_assert_msg(t[i] != '"',
					    "stray quote in record %d", n);
				if (fl < FMAX - 1)
					r->f[r->nf][fl++] = t[i];
			}
			ck_assert_msg(!inq, "record %d: quote never closed", n);
			r->f[r->nf++][fl] = '\0';
			ck_assert_msg(i < len, "record %d: no final newline", n);
			if (t[i++] == '\n')
				break;
		}
	}
	free(t);
	return n;
}

#endif
