/*
 * server.c — pmm-exchange's one event loop: a libwebsockets context with a
 * single vhost on 127.0.0.1 serving HTTP (Binance REST and the /sim admin
 * API) and WebSocket (market and user data streams) on the same port, the
 * timers that step the core, and SIGINT/SIGTERM read through a signalfd.
 *
 * The HTTP transport lives here: a request is collected (path, decoded
 * query fragments, the raw body, the API key header), handed to rest.c or
 * admin.c, and the response is written when the connection is writable —
 * possibly later, when a latency fault is set. Connections stay open
 * between requests (HTTP/1.1 keep-alive).
 */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

/* Per-connection state: an HTTP transaction or a WebSocket session. */
struct wire_pss {
	struct lws		*wsi;
	struct wire_req		*req;
	struct wire_resp	*resp;
	int			 handled;	/* request already answered */
	int			 delaying;	/* latency fault pending */
	lws_sorted_usec_list_t	 sul_delay;	/* latency fault */
	struct ws_sess		*ws;
};

static int	wire_callback(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);
static int	wire_signal_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);

static const struct lws_protocols wire_protocols[] = {
	/* first: serves HTTP and takes WebSocket upgrades with no subprotocol */
	{ "pmm-exchange", wire_callback, sizeof(struct wire_pss), 4096, 0,
	  NULL, 0 },
	{ "pmm-signal", wire_signal_callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static struct wire *
wire_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

int64_t
wire_now_ms(const struct wire *w)
{
	return now_real_ns() / NS_PER_MS + w->fault.skew_ms;
}

/* ---- HTTP transport ------------------------------------------------- */

static void
wire_pss_reset(struct wire_pss *pss)
{
	lws_sul_cancel(&pss->sul_delay);
	pss->delaying = 0;
	if (pss->req != NULL) {
		wire_req_clear(pss->req);
		free(pss->req);
		pss->req = NULL;
	}
	wire_resp_free(pss->resp);
	pss->resp = NULL;
	pss->handled = 0;
}

static enum wire_method
wire_method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return WM_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
		return WM_POST;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
		return WM_PUT;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
		return WM_DELETE;
	return WM_OTHER;
}

/* Copy the decoded query fragments ("k=v" each) out of the header store. */
static int
wire_collect_query(struct lws *wsi, struct wire_req *req)
{
	char	 frag[8192];
	int	 n, i;
	size_t	 total = 0, off = 0;

	for (i = 0; i < 2 * WIRE_MAX_PARAMS; i++) {
		n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		total += (size_t)n + 1;
	}
	if (i == 0)
		return 0;
	req->qfrags = calloc((size_t)i, sizeof(char *));
	req->query = malloc(total + 1);
	if (req->qfrags == NULL || req->query == NULL)
		return -1;
	req->query[0] = '\0';
	for (n = 0; n < i; n++) {
		int len = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
		    WSI_TOKEN_HTTP_URI_ARGS, n);

		if (len < 0)
			len = 0;
		frag[len] = '\0';
		if ((req->qfrags[n] = strdup(frag)) == NULL)
			return -1;
		req->nqfrags++;
		if (off > 0)
			req->query[off++] = '&';
		memcpy(req->query + off, frag, (size_t)len);
		off += (size_t)len;
		req->query[off] = '\0';
	}
	return 0;
}

static struct wire_req *
wire_req_new(struct lws *wsi, const char *uri)
{
	struct wire_req	*req;
	int		 n;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	req->recv_ns = now_real_ns();
	req->method = wire_method_of(wsi);
	snprintf(req->path, sizeof(req->path), "%s", uri ? uri : "/");
	if (lws_get_peer_simple(wsi, req->ip, sizeof(req->ip)) == NULL)
		snprintf(req->ip, sizeof(req->ip), "127.0.0.1");
	if (wire_collect_query(wsi, req) == -1) {
		wire_req_clear(req);
		free(req);
		return NULL;
	}
	req->raw_query = rawcap_query(lws_get_socket_fd(wsi),
	    wire_method_str(req->method), req->path);
	n = lws_hdr_custom_length(wsi, "x-mbx-apikey:", 13);
	if (n > WIRE_APIKEY_MAX)
		req->apikey_state = -1;
	else if (n >= 0 && lws_hdr_custom_copy(wsi, req->apikey,
	    sizeof(req->apikey), "x-mbx-apikey:", 13) >= 0)
		req->apikey_state = 1;
	return req;
}

static int	wire_http_write(struct lws *, struct wire_pss *);

/*
 * Decide the response and send it at once — or, with a latency fault,
 * when its timer fires. Returns what the lws callback must return.
 */
static int
wire_http_dispatch(struct wire *w, struct lws *wsi, struct wire_pss *pss)
{
	struct wire_resp	*resp;
	struct wire_req		*req = pss->req;

	pss->handled = 1;
	if (req->body_len > 0)
		rawcap_skip(lws_get_socket_fd(wsi), req->body_len);
	if ((resp = calloc(1, sizeof(*resp))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	wire_handle(w, req, resp);
	if (wire_http_respond(w, wsi, resp) == 0)
		return 0;
	return wire_http_write(wsi, pss);
}

static void
wire_delay_done(lws_sorted_usec_list_t *sul)
{
	struct wire_pss *pss = lws_container_of(sul, struct wire_pss,
	    sul_delay);

	pss->delaying = 0;
	lws_callback_on_writable(pss->wsi);
}

/* Record resp; 1 when it may go out now, 0 when a delay holds it. */
int
wire_http_respond(struct wire *w, struct lws *wsi, struct wire_resp *resp)
{
	struct wire_pss	*pss = lws_wsi_user(wsi);
	int		 admin;

	pss->resp = resp;
	admin = wire_is_admin(pss->req->path);
	if (!admin && w->fault.latency_ms > 0) {
		pss->delaying = 1;
		lws_sul_schedule(w->ctx, 0, &pss->sul_delay, wire_delay_done,
		    w->fault.latency_ms * LWS_US_PER_MS);
		return 0;
	}
	return 1;
}

static int
wire_add_int_header(struct lws *wsi, const char *name, long v,
    unsigned char **p, unsigned char *end)
{
	char	val[32];
	int	n = snprintf(val, sizeof(val), "%ld", v);

	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	    (const unsigned char *)val, n, p, end);
}

/* Write headers and body; returns what the lws callback must return. */
static int
wire_http_write(struct lws *wsi, struct wire_pss *pss)
{
	unsigned char		 hbuf[LWS_PRE + 2048];
	unsigned char		*start = hbuf + LWS_PRE, *p = start;
	unsigned char		*end = hbuf + sizeof(hbuf) - 1;
	struct wire_resp	*r = pss->resp;

	if (lws_add_http_common_headers(wsi, (unsigned)r->status,
	    "application/json", r->len, &p, end) ||
	    wire_add_int_header(wsi, "X-MBX-USED-WEIGHT-1M:", r->weight_hdr,
	    &p, end))
		return -1;
	if (r->order_hdrs && (wire_add_int_header(wsi,
	    "X-MBX-ORDER-COUNT-10S:", r->order_10s, &p, end) ||
	    wire_add_int_header(wsi, "X-MBX-ORDER-COUNT-1M:", r->order_1m,
	    &p, end)))
		return -1;
	if (r->retry_after > 0 && wire_add_int_header(wsi, "Retry-After:",
	    r->retry_after, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (lws_write(wsi, (unsigned char *)r->body + LWS_PRE, r->len,
	    LWS_WRITE_HTTP_FINAL) != (int)r->len)
		return -1;
	wire_pss_reset(pss);
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int
wire_http_event(struct wire *w, struct lws *wsi, struct wire_pss *pss,
    enum lws_callback_reasons reason, void *in, size_t len)
{
	struct wire_req	*req;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		wire_pss_reset(pss);
		pss->wsi = wsi;
		if ((pss->req = wire_req_new(wsi, in)) == NULL)
			return -1;
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) &&
		    pss->req->method != WM_GET) {
			char cl[32];

			if (lws_hdr_copy(wsi, cl, sizeof(cl),
			    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && atol(cl) > 0)
				return 0;	/* body follows */
		}
		return wire_http_dispatch(w, wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		req = pss->req;
		if (req == NULL || pss->handled)
			return 0;
		if (req->body_len + len > WIRE_MAX_BODY) {
			req->body_too_big = 1;
			return 0;
		}
		if (req->body_len + len + 1 > req->body_cap) {
			size_t	 cap = (req->body_len + len + 1) * 2;
			char	*nb = realloc(req->body, cap);

			if (nb == NULL)
				return -1;
			req->body = nb;
			req->body_cap = cap;
		}
		memcpy(req->body + req->body_len, in, len);
		req->body_len += len;
		req->body[req->body_len] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->req != NULL && !pss->handled)
			return wire_http_dispatch(w, wsi, pss);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss->resp == NULL || pss->delaying)
			return 0;
		return wire_http_write(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		wire_pss_reset(pss);
		return 0;
	default:
		return 0;
	}
}

/* ---- WebSocket and dispatch ----------------------------------------- */

static int
wire_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct wire	*w = wire_of(wsi);
	struct wire_pss	*pss = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		rawcap_reset((int)(lws_intptr_t)in);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(w, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		rawcap_stop(lws_get_socket_fd(wsi));
		memset(pss, 0, sizeof(*pss));
		pss->wsi = wsi;
		return ws_established(w, wsi, &pss->ws);
	case LWS_CALLBACK_RECEIVE:
		if (pss->ws == NULL)
			return -1;
		return ws_receive(w, pss->ws, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss->ws == NULL)
			return -1;
		return ws_writable(w, pss->ws);
	case LWS_CALLBACK_CLOSED:
		if (pss != NULL && pss->ws != NULL) {
			ws_closed(w, pss->ws);
			pss->ws = NULL;
		}
		return 0;
	case LWS_CALLBACK_HTTP:
	case LWS_CALLBACK_HTTP_BODY:
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
	case LWS_CALLBACK_HTTP_WRITEABLE:
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss == NULL)
			return 0;
		return wire_http_event(w, wsi, pss, reason, in, len);
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/* SIGINT/SIGTERM arrive here through the signalfd adopted as a raw file. */
static int
wire_signal_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct wire		*w;
	struct signalfd_siginfo	 si;

	(void)user;
	(void)in;
	(void)len;
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	w = wire_of(wsi);
	if (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		log_info("signal %u: shutting down", si.ssi_signo);
		w->stop = 1;
		lws_cancel_service(w->ctx);
	}
	return 0;
}

/* ---- timers: the core's clock --------------------------------------- */

/*
 * Only a max-speed replay (due 0: "at once") waits for its subscribers to
 * drain: it has no clock of its own. A timed market (synthetic, a replay
 * at a set speed) runs on, and a subscriber that falls too far behind is
 * closed as a slow consumer (ws.c) — one reader that stops reading must
 * not stop the market for everyone else.
 */
static int
wire_held(struct wire *w)
{
	return exch_next_due_ns(w->ex) == 0 &&
	    ws_backlog(w) >= WIRE_WS_QCAP / 2;
}

static void
wire_step_cb(lws_sorted_usec_list_t *sul)
{
	struct wire	*w = lws_container_of(sul, struct wire, sul_step);
	int64_t		 now = now_real_ns(), due, delay_us;

	if (!w->paused && !wire_held(w) && exch_step(w->ex, now) == -1)
		log_warnx("%s: market step failed", __func__);
	due = exch_next_due_ns(w->ex);
	if (w->paused || wire_held(w))
		delay_us = 1000;	/* wait for subscribers to drain */
	else if (due == INT64_MAX)
		delay_us = w->opts.step_us;
	else {
		delay_us = (due - now_real_ns()) / 1000;
		if (delay_us > w->opts.step_us)
			delay_us = w->opts.step_us;
	}
	if (delay_us < 0)
		delay_us = 0;
	lws_sul_schedule(w->ctx, 0, &w->sul_step, wire_step_cb, delay_us);
}

static void
wire_tick_cb(lws_sorted_usec_list_t *sul)
{
	struct wire *w = lws_container_of(sul, struct wire, sul_tick);

	ws_tick(w, now_real_ns() / NS_PER_MS);
	lws_sul_schedule(w->ctx, 0, &w->sul_tick, wire_tick_cb,
	    WIRE_TICK_MS * LWS_US_PER_MS);
}

/* ---- lifecycle -------------------------------------------------------- */

static int
wire_signals(struct wire *w)
{
	sigset_t		 mask;
	lws_sock_file_fd_type	 fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (w->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_warn("%s: signalfd", __func__);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	fd.filefd = w->sigfd;
	if (lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd,
	    "pmm-signal", NULL) == NULL) {
		log_warnx("%s: cannot watch the signalfd", __func__);
		return -1;
	}
	return 0;
}

/*
 * Why lws could not listen: it logs the errno only as a number, and its
 * clean-up has clobbered errno by the time lws_create_context() returns,
 * so bind the same address the same way (SO_REUSEADDR, as lws does) and
 * report what bind(2) says now. Into buf; "" when the probe binds fine.
 */
static void
wire_listen_why(const struct wire_opts *o, char *buf, size_t len)
{
	struct sockaddr_in	sa;
	int			fd, one = 1;

	buf[0] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->iface, &sa.sin_addr) != 1) {
		snprintf(buf, len, "not an IPv4 address");
		return;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(buf, len, "%s", strerror(errno));
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		snprintf(buf, len, "%s", strerror(errno));
	close(fd);
}

int
wire_init_local(struct wire *w, const struct wire_opts *o, struct exch *ex)
{
	memset(w, 0, sizeof(*w));
	w->opts = *o;
	w->ex = ex;
	w->sigfd = -1;
	w->paused = o->paused;
	w->start_ms = now_real_ns() / NS_PER_MS;
	w->retry.secs_since_valid_ping = (uint16_t)o->ws_ping_secs;
	w->retry.secs_since_valid_hangup = (uint16_t)o->ws_hangup_secs;
	w->reqlog_cap = o->reqlog_cap > 0 ? o->reqlog_cap : WIRE_REQLOG_CAP;
	if ((w->reqlog = calloc(w->reqlog_cap, sizeof(*w->reqlog))) == NULL ||
	    ws_init(w) == -1) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	return 0;
}

int
wire_init(struct wire *w, const struct wire_opts *o, struct exch *ex)
{
	struct lws_context_creation_info info;

	if (wire_init_local(w, o, ex) == -1)
		return -1;
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = o->port;
	info.iface = o->iface;
	info.protocols = wire_protocols;
	info.user = w;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.max_http_header_data = 16384;
	info.keepalive_timeout = 60;
	info.timeout_secs = 30;
	info.fd_limit_per_thread = 1024;
	info.retry_and_idle_policy = &w->retry;
	if ((w->ctx = lws_create_context(&info)) == NULL) {
		char why[128];

		wire_listen_why(o, why, sizeof(why));
		log_warnx("cannot listen on %s:%d: %s", o->iface, o->port,
		    why[0] != '\0' ? why : "libwebsockets could not start "
		    "(see its message above)");
		return -1;
	}
	w->vh = lws_get_vhost_by_name(w->ctx, "default");
	if (w->vh == NULL || wire_signals(w) == -1)
		return -1;
	lws_sul_schedule(w->ctx, 0, &w->sul_step, wire_step_cb, 0);
	lws_sul_schedule(w->ctx, 0, &w->sul_tick, wire_tick_cb,
	    WIRE_TICK_MS * LWS_US_PER_MS);
	log_info("listening on http://%s:%d and ws://%s:%d", o->iface,
	    lws_get_vhost_listen_port(w->vh), o->iface,
	    lws_get_vhost_listen_port(w->vh));
	return 0;
}

int
wire_port(const struct wire *w)
{
	return lws_get_vhost_listen_port(w->vh);
}

int
wire_run(struct wire *w)
{
	while (!w->stop)
		if (lws_service(w->ctx, 0) < 0) {
			log_warnx("%s: lws_service failed", __func__);
			return -1;
		}
	return 0;
}

void
wire_free(struct wire *w)
{
	if (w->ctx != NULL) {
		lws_sul_cancel(&w->sul_step);
		lws_sul_cancel(&w->sul_tick);
		lws_context_destroy(w->ctx);
		w->ctx = NULL;
	}
	ws_free_all(w);
	admin_free(w);
	if (w->sigfd != -1)
		close(w->sigfd);
	w->sigfd = -1;
}
