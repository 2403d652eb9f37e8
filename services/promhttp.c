/*
 * promhttp.c — the /metrics endpoint on libmicrohttpd (promhttp.h).
 *
 * MHD runs in its "external epoll" mode: no thread, one epoll fd that the
 * service's loop watches, MHD_run() when it is readable and on every loop
 * turn (which also expires idle connections). Everything an answer needs
 * is rendered from the state segment at the moment of the scrape.
 */
#include "promhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define PROMHTTP_CONNS		8	/* Prometheus needs one */
#define PROMHTTP_TIMEOUT_S	10	/* an idle or half-sent request */
#define PROMHTTP_MEM		(32 * 1024)	/* per connection */
#define PROMHTTP_CTYPE		"text/plain; version=0.0.4; charset=utf-8"

static void
promhttp_log(void *arg, const char *fmt, va_list ap)
{
	char	msg[256];

	(void)arg;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx("metrics endpoint: %s", msg);
}

static enum MHD_Result
promhttp_answer(struct MHD_Connection *c, unsigned code, const char *body,
    size_t len)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    code == MHD_HTTP_OK ? PROMHTTP_CTYPE : "text/plain");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
promhttp_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	static const char notfound[] = "only /metrics here\n";
	static const char badmethod[] = "GET /metrics\n";
	static const char failed[] = "cannot render the metrics\n";
	struct promhttp *h = cls;

	(void)version, (void)upload, (void)state;
	/* a body is never wanted: drop it rather than buffer it */
	if (upload_len != NULL && *upload_len != 0) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return promhttp_answer(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    badmethod, sizeof(badmethod) - 1);
	if (strcmp(url, "/metrics") != 0)
		return promhttp_answer(c, MHD_HTTP_NOT_FOUND, notfound,
		    sizeof(notfound) - 1);
	if (h->render(h->arg, &h->buf) == -1)
		return promhttp_answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    failed, sizeof(failed) - 1);
	return promhttp_answer(c, MHD_HTTP_OK, h->buf.p, h->buf.len);
}

/* addr:port as a sockaddr MHD can bind; -1 if addr is no IP address. */
static int
promhttp_addr(const char *addr, int port, struct sockaddr_storage *ss,
    unsigned *flags)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*flags |= MHD_USE_IPv6;
		return 0;
	}
	return -1;
}

int
promhttp_start(struct promhttp *h, const char *addr, int port,
    promhttp_render_fn render, void *arg, char *err, size_t errlen)
{
	const union MHD_DaemonInfo	*di;
	struct sockaddr_storage		 ss;
	unsigned			 flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->render = render;
	h->arg = arg;
	if (promhttp_addr(addr, port, &ss, &flags) == -1) {
		snprintf(err, errlen, "%s is not an IP address", addr);
		return -1;
	}
	errno = 0;
	h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL,
	    promhttp_request, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)PROMHTTP_CONNS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PROMHTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PROMHTTP_MEM,
	    MHD_OPTION_EXTERNAL_LOGGER, promhttp_log, NULL,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", addr, port,
		    errno ? strerror(errno) : "libmicrohttpd refused");
		return -1;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	h->fd = di ? di->epoll_fd : -1;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : port;
	if (h->fd == -1) {
		snprintf(err, errlen, "libmicrohttpd gave no epoll fd");
		promhttp_stop(h);
		return -1;
	}
	return 0;
}

void
promhttp_run(struct promhttp *h)
{
	if (h->d != NULL)
		MHD_run(h->d);
}

void
promhttp_stop(struct promhttp *h)
{
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	h->d = NULL;
	h->fd = -1;
	text_buf_free(&h->buf);
}
