/*
 * rundir.h — where a running instance keeps its sockets.
 *
 * $PMM_RUNTIME_DIR when set, else $XDG_RUNTIME_DIR/pmm/<instance>, else
 * /run/pmm/<instance>. pmmd and pmmctl call the same function so they
 * always agree. The directory is mode 0700: only its owner can reach the
 * control socket and the bus.
 */
#ifndef PMM_RUNDIR_H
#define PMM_RUNDIR_H

#include <stddef.h>

/* 0, or -1 if the path would not fit (err set). */
int	rundir_resolve(char *buf, size_t len, const char *instance,
	    char *err, size_t errlen);
/* Create it (and parents) with mode 0700; refuse one owned by another user. */
int	rundir_create(const char *path, char *err, size_t errlen);
/* buf = <dir>/<name>; -1 if it would not fit in a sockaddr_un path. */
int	rundir_sock(char *buf, size_t len, const char *dir, const char *name);

#endif
