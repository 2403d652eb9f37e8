/*
 * rundir.c — resolve and create the runtime directory of an instance.
 */
#include "rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int
rundir_resolve(char *buf, size_t len, const char *instance, char *err,
    size_t errlen)
{
	const char *e;
	int n;

	if ((e = getenv("PMM_RUNTIME_DIR")) != NULL && *e != '\0')
		n = snprintf(buf, len, "%s", e);
	else if ((e = getenv("XDG_RUNTIME_DIR")) != NULL && *e != '\0')
		n = snprintf(buf, len, "%s/pmm/%s", e, instance);
	else
		n = snprintf(buf, len, "/run/pmm/%s", instance);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "runtime directory path is too long");
		return -1;
	}
	return 0;
}

/* mkdir -p with mode 0700 for the last component. */
static int
rundir_mkdirs(const char *path, char *err, size_t errlen)
{
	char tmp[4096], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", tmp,
			    strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int
rundir_create(const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (rundir_mkdirs(path, err, errlen) == -1)
		return -1;
	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", path);
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by us (%u)",
		    path, (unsigned)sb.st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((sb.st_mode & 0777) != 0700 && chmod(path, 0700) == -1) {
		snprintf(err, errlen, "chmod 0700 %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
rundir_sock(char *buf, size_t len, const char *dir, const char *name)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	int n;

	if (len < max)
		max = len;
	n = snprintf(buf, max, "%s/%s", dir, name);
	return (n < 0 || (size_t)n >= max) ? -1 : 0;
}
