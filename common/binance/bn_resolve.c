/*
 * bn_resolve.c — host name lookups off the caller's thread (see
 * bn_resolve.h for why).
 *
 * The answers travel over a SOCK_SEQPACKET socketpair: one answer one
 * packet, no framing to get wrong, and a thread whose resolver outlives
 * the caller gets EPIPE (MSG_NOSIGNAL) instead of writing into freed
 * memory — every thread owns its request and its own descriptor.
 */
#include "bn_resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

struct bn_resolver {
	int		 fd[2];		/* [0] answers read here, [1] written */
	bn_resolve_fn	 fn;
	uint64_t	 seq;
	int		 unanswered;
};

/* What one thread owns. */
struct bn_resolve_job {
	int		 fd;		/* a dup of the writing end */
	bn_resolve_fn	 fn;
	uint64_t	 id;
	char		 host[256];
};

int
bn_resolve_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

int
bn_resolve_getaddrinfo(const char *host, char *addr, size_t alen, char *err,
    size_t elen)
{
	struct addrinfo hints, *res, *ai, *pick = NULL;
	const void *p;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, elen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET && pick == NULL)
			pick = ai;
	for (ai = res; ai != NULL && pick == NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			pick = ai;
	if (pick == NULL) {
		freeaddrinfo(res);
		snprintf(err, elen, "%s: no IPv4 or IPv6 address", host);
		return -1;
	}
	p = pick->ai_family == AF_INET ?
	    (const void *)&((struct sockaddr_in *)pick->ai_addr)->sin_addr :
	    (const void *)&((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
	rc = inet_ntop(pick->ai_family, p, addr, (socklen_t)alen) == NULL;
	freeaddrinfo(res);
	if (rc) {
		snprintf(err, elen, "%s: inet_ntop: %s", host, strerror(errno));
		return -1;
	}
	return 0;
}

struct bn_resolver *
bn_resolver_new(bn_resolve_fn fn)
{
	struct bn_resolver *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, r->fd) == -1) {
		log_warn("%s: socketpair", __func__);
		free(r);
		return NULL;
	}
	r->fn = fn != NULL ? fn : bn_resolve_getaddrinfo;
	return r;
}

void
bn_resolver_free(struct bn_resolver *r)
{
	if (r == NULL)
		return;
	close(r->fd[0]);
	close(r->fd[1]);
	free(r);
}

void
bn_resolver_set_fn(struct bn_resolver *r, bn_resolve_fn fn)
{
	r->fn = fn != NULL ? fn : bn_resolve_getaddrinfo;
}

int
bn_resolver_fd(const struct bn_resolver *r)
{
	return r->fd[0];
}

static void *
bn_resolve_thread(void *arg)
{
	struct bn_resolve_job *j = arg;
	struct bn_resolve_answer a;

	memset(&a, 0, sizeof(a));
	a.id = j->id;
	a.ok = j->fn(j->host, a.addr, sizeof(a.addr), a.err,
	    sizeof(a.err)) == 0;
	/* the caller may be gone: then this fails, and that is all */
	(void)send(j->fd, &a, sizeof(a), MSG_NOSIGNAL);
	close(j->fd);
	free(j);
	return NULL;
}

uint64_t
bn_resolver_start(struct bn_resolver *r, const char *host, char *err,
    size_t elen)
{
	struct bn_resolve_job *j;
	pthread_attr_t at;
	pthread_t th;
	int rc;

	if (r->unanswered >= BN_RESOLVE_MAX) {
		snprintf(err, elen, "%d lookups of %s unanswered",
		    r->unanswered, host);
		return 0;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (size_t)snprintf(j->host, sizeof(j->host), "%s", host) >=
	    sizeof(j->host) || (j->fd = fcntl(r->fd[1], F_DUPFD_CLOEXEC,
	    0)) == -1) {
		snprintf(err, elen, "cannot start a lookup of %.64s: %s", host,
		    j == NULL ? strerror(errno) : "name too long or no fd");
		free(j);
		return 0;
	}
	j->fn = r->fn;
	j->id = ++r->seq;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	rc = pthread_create(&th, &at, bn_resolve_thread, j);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		snprintf(err, elen, "cannot start a lookup thread: %s",
		    strerror(rc));
		close(j->fd);
		free(j);
		return 0;
	}
	r->unanswered++;
	return r->seq;
}

int
bn_resolver_next(struct bn_resolver *r, struct bn_resolve_answer *a)
{
	ssize_t n;

	for (;;) {
		n = recv(r->fd[0], a, sizeof(*a), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(*a))
			return 0;	/* EAGAIN: none waiting */
		r->unanswered--;
		a->addr[sizeof(a->addr) - 1] = '\0';
		a->err[sizeof(a->err) - 1] = '\0';
		return 1;
	}
}
