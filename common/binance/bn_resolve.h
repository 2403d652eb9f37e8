/*
 * bn_resolve.h — host name lookups off the caller's thread.
 *
 * Debian's libwebsockets resolves a host name with a blocking getaddrinfo()
 * when a connection starts; a resolver that does not answer would then
 * stall the service's whole loop (and its heartbeat) for the resolver's
 * timeout, every reconnect. So bn_ws looks names up here first and hands
 * lws the numeric address (lws still sends the name in Host and SNI and
 * checks the certificate against it).
 *
 * Each lookup runs on a detached thread that writes one answer into a
 * socket the caller polls (level-triggered, readable while answers wait).
 * A lookup that never returns costs its thread, not the loop: the caller
 * gives up on it by its own deadline and ignores a late answer; at most
 * BN_RESOLVE_MAX lookups may be unanswered at once.
 */
#ifndef PMM_BN_RESOLVE_H
#define PMM_BN_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#define BN_RESOLVE_MAX		4
#define BN_RESOLVE_ADDRLEN	64	/* a numeric IPv4 or IPv6 address */

/* host -> numeric address; 0, or -1 with a reason in err. Thread-safe. */
typedef int	(*bn_resolve_fn)(const char *host, char *addr, size_t alen,
		    char *err, size_t elen);

struct bn_resolve_answer {
	uint64_t	id;
	int		ok;
	char		addr[BN_RESOLVE_ADDRLEN];
	char		err[96];
};

struct bn_resolver;

/* fn NULL: bn_resolve_getaddrinfo. NULL on failure (logged). */
struct bn_resolver	*bn_resolver_new(bn_resolve_fn fn);
/* Lookups still running keep their threads; their answers are dropped. */
void			 bn_resolver_free(struct bn_resolver *);
int			 bn_resolver_fd(const struct bn_resolver *);
/* Lookups started from now on use fn (tests stand in for DNS). */
void			 bn_resolver_set_fn(struct bn_resolver *,
			    bn_resolve_fn fn);
/* Start looking host up: its id, or 0 when it cannot (err says why). */
uint64_t		 bn_resolver_start(struct bn_resolver *,
			    const char *host, char *err, size_t elen);
/* The next answer: 1, or 0 when none is waiting. */
int			 bn_resolver_next(struct bn_resolver *,
			    struct bn_resolve_answer *);
/* Is host a numeric address already (nothing to look up)? */
int			 bn_resolve_literal(const char *host);
/* getaddrinfo(), an IPv4 address preferred (the exchanges' own is). */
int			 bn_resolve_getaddrinfo(const char *host, char *addr,
			    size_t alen, char *err, size_t elen);

#endif
