/*
 * promhttp.h — the /metrics HTTP endpoint, inside a service's loop.
 *
 * libmicrohttpd (Debian's) does the HTTP; it runs without a thread of its
 * own, on an epoll fd the service watches, so a scrape is served between
 * two turns of the logger's loop and never races it. Only GET (and HEAD)
 * of /metrics answers 200; a few connections at a time, each with a short
 * timeout, so a stuck client cannot hold the endpoint.
 */
#ifndef PMM_PROMHTTP_H
#define PMM_PROMHTTP_H

#include <stddef.h>

#include "prom.h"

/* Fills b with the current exposition; -1 when it cannot. */
typedef int	(*promhttp_render_fn)(void *arg, struct text_buf *b);

struct promhttp {
	struct MHD_Daemon	*d;
	int			 fd;		/* epoll fd to watch, -1 */
	int			 port;		/* the bound one */
	promhttp_render_fn	 render;
	void			*arg;
	struct text_buf		 buf;		/* reused across scrapes */
};

/*
 * Listen on addr:port (port 0: the kernel picks; h->port says which).
 * -1 with err filled when the address cannot be bound.
 */
int	promhttp_start(struct promhttp *h, const char *addr, int port,
	    promhttp_render_fn render, void *arg, char *err, size_t errlen);
/* Serve whatever is ready (call when fd is readable, and now and then). */
void	promhttp_run(struct promhttp *h);
void	promhttp_stop(struct promhttp *h);

#endif
