/*
 * bn_ws.c — WebSocket client for Binance streams on libwebsockets, inside
 * the caller's epoll loop (see bn_ws.h for the API and how a service uses
 * it).
 *
 * How lws runs inside someone else's epoll loop. Debian's libwebsockets
 * 4.1.6 is built without LWS_WITH_EXTERNAL_POLL, and in 4.1 the
 * LWS_CALLBACK_ADD_POLL_FD / DEL_POLL_FD / CHANGE_MODE_POLL_FD callbacks
 * are only compiled in with that option (lib/core-net/pollfd.c wraps every
 * one of them in #if defined(LWS_WITH_EXTERNAL_POLL); a probe against the
 * installed library never receives them). Without them we cannot learn
 * which fds lws wants polled, nor for which events, so lws_service_fd()
 * cannot be fed correctly. What the Debian build does ship is the event
 * library plugins (LWS_WITH_EVLIB_PLUGINS; libwebsockets-evlib-uv is a
 * dependency of libwebsockets-dev), and lws accepts a "foreign" loop. We
 * give it a libuv loop of our own, and libuv is made to be embedded:
 * uv_backend_fd() is its epoll fd, which is itself pollable (readable when
 * any fd inside is ready), and uv_backend_timeout() says when its next
 * timer (lws's timeouts) is due. So the caller watches one fd and one
 * deadline, and bn_ws_loop_run() drives everything with
 * uv_run(UV_RUN_NOWAIT): no thread, no busy polling, no private lws state.
 *
 * Our own timers (reconnect, pings, pong deadline, age rollover) are plain
 * deadlines checked in bn_ws_loop_run() against the time the caller passes,
 * which is what lets the unit tests move time forward by a day.
 *
 * A bn_ws owns two connection slots: the current one and, during an age
 * rollover, its replacement. The replacement is opened first; when its
 * handshake completes it becomes current and the old one is closed
 * politely, so a rollover loses no data (a consumer may see an update
 * twice around the switch; Binance's ids let it tell).
 */
#include "bn_ws.h"
#include "bn_resolve.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <uv.h>

#include "log.h"
#include "timeutil.h"

#define BN_WS_PROTO		"pmm-bn-ws"
#define BN_WS_BUF_INIT		(64 * 1024)
#define BN_WS_CLOSE_GRACE_S	2	/* polite close, then cut */
#define BN_WS_LOG_EVERY_NS	(60 * NS_PER_S)
#define BN_WS_FD_LIMIT		64	/* lws fd table: a few streams each */

/* A host name lookup slower than this is a failed attempt. */
#define BN_WS_RESOLVE_TIMEOUT_NS	(10 * NS_PER_S)

enum conn_state { CS_FREE = 0, CS_RESOLVING, CS_CONNECTING, CS_UP };

struct bn_ws_conn {
	struct bn_ws	*ws;
	struct lws	*wsi;
	enum conn_state	 state;
	int		 retiring;	/* replaced by a rollover */
	int		 want_ping;
	int		 want_close;
	int		 kill;		/* to be dropped at the next tick */
	uint64_t	 resolve_id;	/* CS_RESOLVING: the lookup */
	int64_t		 started_ns, opened_ns;
	int64_t		 next_ping_ns;
	int64_t		 ping_sent_ns;	/* 0: no ping outstanding */
	char		 why[96];	/* how it ended, for the log */
};

struct bn_ws {
	struct bn_ws_loop	*loop;
	struct bn_ws		*next;
	struct bn_ws_opts	 o;
	char			 name[64];
	char			 url[512];
	char			 shown[512];	/* url with the listenKey hidden */
	/* the URL split for lws (lws_parse_uri cuts a copy) */
	char			 split[512];
	char			 path[512];
	const char		*host;
	int			 port, tls;

	struct bn_ws_conn	 c[2];
	int			 cur;		/* index of the current slot */
	int			 rolling;	/* c[!cur] is a replacement */
	int64_t			 retry_at;	/* reconnect due; 0 none */
	int64_t			 roll_at;	/* replacement due; 0 none */
	int			 fast_retry;	/* next reconnect skips backoff */
	struct bn_backoff	 bo;
	uint32_t		 fails;		/* attempts failed in a row */
	int64_t			 down_since;
	int			 ever_up;

	/* reassembly of the current connection's message */
	char			*buf;
	size_t			 blen, bcap;
	int			 assembling, skip, oversize;
	int64_t			 drop_logged_ns;
	uint64_t		 drops_logged;

	int64_t			 last_msg_ns;
	char			 last_err[96];
	struct bn_ws_stats	 st;
};

struct bn_ws_loop {
	uv_loop_t		 uv;
	void			*foreign[1];
	struct bn_resolver	*res;
	uv_poll_t		 res_poll;	/* its answers wake the loop */
	int			 res_polling;
	struct lws_context	*ctx;
	struct bn_ws		*list;
	int64_t			 now;	/* time of the current run */
};

static int	bn_ws_callback(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);
static void	conn_ended(struct bn_ws_conn *);
static void	loop_resolved(uv_poll_t *, int, int);

static const struct lws_protocols bn_ws_protocols[] = {
	{ BN_WS_PROTO, bn_ws_callback, 0, 16 * 1024, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- backoff and watchdog (pure) ------------------------------------------ */

static uint64_t
bo_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void
bn_backoff_init(struct bn_backoff *b, int64_t min_ns, int64_t max_ns,
    uint64_t seed)
{
	b->min_ns = min_ns > 0 ? min_ns : BN_WS_BACKOFF_MIN_NS;
	b->max_ns = max_ns >= b->min_ns ? max_ns : b->min_ns;
	b->attempt = 0;
	/* splitmix64 step: neighbouring seeds give unrelated sequences */
	seed += 0x9e3779b97f4a7c15ULL;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
	seed ^= seed >> 31;
	b->rng = seed != 0 ? seed : 0x853c49e6748fea9bULL;
}

int64_t
bn_backoff_next(struct bn_backoff *b)
{
	int64_t cap = b->min_ns;
	uint32_t i;

	for (i = 0; i <= b->attempt && cap < b->max_ns; i++)
		cap = cap > b->max_ns / 2 ? b->max_ns : cap * 2;
	if (cap > b->max_ns)
		cap = b->max_ns;
	if (b->attempt < 64)
		b->attempt++;
	return b->min_ns + (int64_t)(bo_rand(&b->rng) %
	    (uint64_t)(cap - b->min_ns + 1));
}

void
bn_backoff_reset(struct bn_backoff *b)
{
	b->attempt = 0;
}

void
bn_stale_init(struct bn_stale *s, int64_t after_ns)
{
	s->after_ns = after_ns;
	s->last_ns = 0;
	s->stale = 1;
}

int
bn_stale_feed(struct bn_stale *s, int64_t now)
{
	s->last_ns = now;
	if (!s->stale)
		return 0;
	s->stale = 0;
	return 1;
}

int
bn_stale_check(struct bn_stale *s, int64_t now)
{
	if (s->stale || now - s->last_ns < s->after_ns)
		return 0;
	s->stale = 1;
	return 1;
}

int64_t
bn_stale_deadline(const struct bn_stale *s)
{
	return s->stale ? 0 : s->last_ns + s->after_ns;
}

/* ---- URLs ----------------------------------------------------------------- */

/* Length of base without trailing slashes; -1 unless ws:// or wss://. */
static int
url_base_len(const char *base)
{
	size_t n;

	if (base == NULL || (strncmp(base, "ws://", 5) != 0 &&
	    strncmp(base, "wss://", 6) != 0))
		return -1;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n <= (size_t)(base[2] == 's' ? 6 : 5) || n > 256)
		return -1;
	return (int)n;
}

/* Stream names and listen keys go into a URL as they are: no escapes. */
static int
url_token_ok(const char *s, const char *extra)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static int
url_done(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
bn_ws_stream(char *buf, size_t len, const char *symbol, const char *kind)
{
	size_t i, n;

	if (!url_token_ok(symbol, "") || !url_token_ok(kind, "@!_") ||
	    (n = strlen(symbol)) + strlen(kind) + 2 > len)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)symbol[i]);
	return url_done(snprintf(buf + n, len - n, "@%s", kind), len - n) == -1 ?
	    -1 : (int)strlen(buf);
}

int
bn_ws_url(char *buf, size_t len, const char *base, const char *route,
    const char *const *streams, int n, int combined)
{
	int bl = url_base_len(base), w, i;
	char rt[32] = "";

	if (bl == -1 || n < 1 || (route != NULL && *route != '\0' &&
	    (!url_token_ok(route, "") || strlen(route) > 16)))
		return -1;
	if (route != NULL && *route != '\0')
		snprintf(rt, sizeof(rt), "/%s", route);
	for (i = 0; i < n; i++)
		if (!url_token_ok(streams[i], "@!_"))
			return -1;
	if (n == 1 && !combined)
		return url_done(snprintf(buf, len, "%.*s%s/ws/%s", bl, base, rt,
		    streams[0]), len);
	if ((w = url_done(snprintf(buf, len, "%.*s%s/stream?streams=", bl,
	    base, rt), len)) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((w += url_done(snprintf(buf + w, len - (size_t)w, "%s%s",
		    i ? "/" : "", streams[i]), len - (size_t)w)) < 0 ||
		    (size_t)w >= len)
			return -1;
	return w;
}

int
bn_ws_url_user(char *buf, size_t len, const char *base,
    const char *listen_key, const char *events, int legacy)
{
	int bl = url_base_len(base);

	if (bl == -1 || !url_token_ok(listen_key, "") ||
	    (events != NULL && !url_token_ok(events, "_/")))
		return -1;
	if (legacy)
		return url_done(snprintf(buf, len, "%.*s/ws/%s", bl, base,
		    listen_key), len);
	return url_done(snprintf(buf, len, "%.*s/private/ws?listenKey=%s%s%s",
	    bl, base, listen_key, events ? "&events=" : "",
	    events ? events : ""), len);
}

/* ---- libwebsockets glue ------------------------------------------------------ */

static void
bn_ws_lws_log(int level, const char *line)
{
	const char *p;
	int n;

	/* drop lws's own timestamp and trailing newline */
	if ((p = strstr(line, "] ")) != NULL)
		line = p + 2;
	n = (int)strcspn(line, "\n");
	if (level & LLL_ERR)
		log_warnx("lws: %.*s", n, line);
	else
		log_debug("lws: %.*s", n, line);
}

struct bn_ws_loop *
bn_ws_loop_new(const char *ca_file)
{
	struct lws_context_creation_info info;
	struct bn_ws_loop *l;
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if ((rc = uv_loop_init(&l->uv)) != 0) {
		log_warnx("%s: uv_loop_init: %s", __func__, uv_strerror(rc));
		free(l);
		return NULL;
	}
	lws_set_log_level(LLL_ERR | (log_getlevel() >= LOG_LVL_DEBUG ?
	    LLL_WARN | LLL_NOTICE : 0), bn_ws_lws_log);
	memset(&info, 0, sizeof(info));
	l->foreign[0] = &l->uv;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = bn_ws_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_LIBUV;
	info.foreign_loops = l->foreign;
	info.client_ssl_ca_filepath = ca_file;
	info.fd_limit_per_thread = BN_WS_FD_LIMIT;
	info.user = l;
	info.pcontext = &l->ctx;
	if ((l->ctx = lws_create_context(&info)) == NULL) {
		log_warnx("%s: cannot create the libwebsockets context (is "
		    "libwebsockets-evlib-uv installed?)", __func__);
		uv_loop_close(&l->uv);
		free(l);
		return NULL;
	}
	if ((l->res = bn_resolver_new(NULL)) == NULL ||
	    uv_poll_init(&l->uv, &l->res_poll, bn_resolver_fd(l->res)) != 0) {
		log_warnx("%s: no host name resolver", __func__);
		bn_resolver_free(l->res);
		l->res = NULL;
		bn_ws_loop_free(l);
		return NULL;
	}
	l->res_polling = 1;
	l->res_poll.data = l;
	uv_poll_start(&l->res_poll, UV_READABLE, loop_resolved);
	l->now = now_mono_ns();
	return l;
}

void
bn_ws_loop_free(struct bn_ws_loop *l)
{
	int i, j;

	if (l == NULL)
		return;
	while (l->list != NULL)
		bn_ws_close(l->list);
	if (l->res_polling) {
		uv_poll_stop(&l->res_poll);
		uv_close((uv_handle_t *)&l->res_poll, NULL);
		l->res_polling = 0;
	}
	/*
	 * On a foreign loop lws closes its handles first and finishes the
	 * destroy when called again after the loop ran; it NULLs l->ctx
	 * (info.pcontext) once it is wholly gone.
	 */
	for (i = 0; i < 100 && l->ctx != NULL; i++) {
		lws_context_destroy(l->ctx);
		for (j = 0; j < 100 && uv_run(&l->uv, UV_RUN_NOWAIT) != 0; j++)
			;
	}
	for (j = 0; j < 100 && uv_run(&l->uv, UV_RUN_NOWAIT) != 0; j++)
		;
	if (l->ctx != NULL || uv_loop_close(&l->uv) != 0)
		log_warnx("%s: libwebsockets did not finish closing", __func__);
	bn_resolver_free(l->res);
	free(l);
}

void
bn_ws_loop_set_resolve_fn(struct bn_ws_loop *l, bn_resolve_fn fn)
{
	bn_resolver_set_fn(l->res, fn);
}

int
bn_ws_loop_fd(const struct bn_ws_loop *l)
{
	return uv_backend_fd(&l->uv);
}

/* ---- connections ------------------------------------------------------------- */

static void
conn_clear(struct bn_ws_conn *c)
{
	struct bn_ws *ws = c->ws;

	memset(c, 0, sizeof(*c));
	c->ws = ws;
}

/* Forget the wsi: it may call back later, with nothing to find. */
static void
conn_detach(struct bn_ws_conn *c, int polite)
{
	if (c->wsi == NULL)
		return;
	lws_set_opaque_user_data(c->wsi, NULL);
	if (polite && c->state == CS_UP) {
		/* the orphan sends a close frame when writable (see callback) */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND,
		    BN_WS_CLOSE_GRACE_S);
		lws_callback_on_writable(c->wsi);
	} else
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	c->wsi = NULL;
}

/* The connection itself, to a numeric address: lws does the rest. */
static void
conn_connect(struct bn_ws *ws, struct bn_ws_conn *c, const char *addr)
{
	struct lws_client_connect_info ci;

	c->state = CS_CONNECTING;
	memset(&ci, 0, sizeof(ci));
	ci.context = ws->loop->ctx;
	ci.address = addr;
	ci.port = ws->port;
	ci.path = ws->path;
	/* the name, not the address: Host, SNI and the certificate check */
	ci.host = ws->host;
	ci.origin = ws->host;
	ci.ssl_connection = ws->tls ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = BN_WS_PROTO;
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	log_debug("%s: connecting to %s (%s)", ws->name, ws->shown, addr);
	/* on failure lws may already have reported it through the callback */
	if (lws_client_connect_via_info(&ci) == NULL && c->state != CS_FREE) {
		snprintf(c->why, sizeof(c->why), "cannot start the connection");
		c->wsi = NULL;
		conn_ended(c);	/* as if lws had reported it */
	}
}

/* A new attempt: a host name is looked up first, off this thread. */
static void
conn_start(struct bn_ws *ws, int slot, int64_t now)
{
	struct bn_ws_conn *c = &ws->c[slot];

	conn_clear(c);
	c->started_ns = now;
	ws->st.attempts++;
	if (bn_resolve_literal(ws->host)) {
		conn_connect(ws, c, ws->host);
		return;
	}
	c->state = CS_RESOLVING;
	if ((c->resolve_id = bn_resolver_start(ws->loop->res, ws->host,
	    c->why, sizeof(c->why))) == 0)
		conn_ended(c);
}

/* A lookup answered: connect, or count a failed attempt. */
static void
conn_resolved(struct bn_ws_loop *l, const struct bn_resolve_answer *a)
{
	struct bn_ws *ws;
	struct bn_ws_conn *c;
	int i;

	for (ws = l->list; ws != NULL; ws = ws->next)
		for (i = 0; i < 2; i++) {
			c = &ws->c[i];
			if (c->state != CS_RESOLVING || c->resolve_id != a->id)
				continue;
			if (a->ok) {
				conn_connect(ws, c, a->addr);
				return;
			}
			snprintf(c->why, sizeof(c->why), "%s", a->err);
			conn_ended(c);
			return;
		}
	/* a lookup given up on, or a stream closed meanwhile */
}

static void
loop_resolved(uv_poll_t *h, int status, int events)
{
	struct bn_ws_loop *l = h->data;
	struct bn_resolve_answer a;

	(void)status;
	(void)events;
	while (bn_resolver_next(l->res, &a))
		conn_resolved(l, &a);
}

static void
bn_ws_event(struct bn_ws *ws, enum bn_ws_event ev, const char *why)
{
	if (ws->o.on_state != NULL)
		ws->o.on_state(ws, ev, why, ws->o.arg);
}

static void
rx_reset(struct bn_ws *ws)
{
	ws->assembling = ws->skip = ws->oversize = 0;
	ws->blen = 0;
}

/* Handshake done: first connection, a reconnect, or a rollover. */
static void
conn_up(struct bn_ws_conn *c)
{
	struct bn_ws *ws = c->ws;
	int64_t now = ws->loop->now;
	int slot = (int)(c - ws->c), roll = ws->rolling && slot != ws->cur;

	c->state = CS_UP;
	c->opened_ns = now;
	c->next_ping_ns = now + ws->o.ping_interval_ns;
	ws->st.connects++;
	if (ws->ever_up)
		ws->st.reconnects++;
	ws->roll_at = now + ws->o.max_age_ns;
	rx_reset(ws);
	if (roll) {
		/* make before break: the old one stops delivering now */
		ws->c[ws->cur].retiring = 1;
		conn_detach(&ws->c[ws->cur], 1);
		conn_clear(&ws->c[ws->cur]);
		ws->cur = slot;
		ws->rolling = 0;
		ws->st.rollovers++;
		log_info("%s: connection replaced before the 24 h limit",
		    ws->name);
		bn_ws_event(ws, BN_WS_ROLLOVER, "age limit");
		return;
	}
	ws->cur = slot;
	ws->rolling = 0;
	if (!ws->ever_up)
		log_info("%s: connected to %s", ws->name, ws->shown);
	else
		log_info("%s: reconnected after %.1f s down (%u failed "
		    "attempts)", ws->name,
		    (double)(now - ws->down_since) / NS_PER_S, ws->fails);
	ws->ever_up = 1;
	ws->fails = 0;
	bn_ws_event(ws, BN_WS_UP, "connected");
}

/* When a failed or lost connection is retried. */
static int64_t
retry_delay(struct bn_ws *ws)
{
	if (ws->fast_retry) {
		ws->fast_retry = 0;
		return 0;
	}
	return bn_backoff_next(&ws->bo);
}

/* A replacement that failed: keep the current one, retry later. */
static void
conn_roll_failed(struct bn_ws *ws, struct bn_ws_conn *c, int64_t now)
{
	ws->rolling = 0;
	ws->st.failures++;
	ws->roll_at = now + bn_backoff_next(&ws->bo);
	log_warnx("%s: replacement connection failed (%s), keeping the "
	    "current one", ws->name, c->why);
	conn_clear(c);
}

/*
 * Every end of a connection comes here once: a failed attempt, a lost or
 * killed connection.
 */
static void
conn_ended(struct bn_ws_conn *c)
{
	struct bn_ws *ws = c->ws;
	int64_t now = ws->loop->now, delay;
	int slot = (int)(c - ws->c), was_up = c->state == CS_UP;

	if (c->wsi != NULL)
		lws_set_opaque_user_data(c->wsi, NULL);
	if (c->retiring || c->state == CS_FREE) {
		conn_clear(c);
		return;
	}
	snprintf(ws->last_err, sizeof(ws->last_err), "%s", c->why);
	if (!was_up && slot != ws->cur) {
		conn_roll_failed(ws, c, now);
		return;
	}
	if (ws->rolling) {
		/* the current one died during a rollover: the replacement
		 * under way is now the reconnect attempt */
		ws->rolling = 0;
		ws->cur = !slot;
	}
	if (was_up) {
		ws->st.disconnects++;
		ws->down_since = now;
		if (now - c->opened_ns >= BN_WS_STABLE_NS)
			bn_backoff_reset(&ws->bo);
	} else {
		ws->st.failures++;
		ws->fails++;
	}
	if (ws->cur == slot) {
		delay = retry_delay(ws);
		ws->retry_at = now + delay;
	} else
		delay = 0;
	if (was_up)
		log_warnx("%s: connection lost (%s), reconnecting in %.2f s",
		    ws->name, c->why, (double)delay / NS_PER_S);
	else if (ws->fails == 1)
		log_warnx("%s: cannot connect to %s (%s), retrying with "
		    "backoff", ws->name, ws->shown, c->why);
	else
		log_debug("%s: attempt %u failed (%s), next in %.2f s",
		    ws->name, ws->fails, c->why, (double)delay / NS_PER_S);
	conn_clear(c);
	if (was_up)
		bn_ws_event(ws, BN_WS_DOWN, "connection lost");
}

static void
rx_drop(struct bn_ws *ws, const char *what)
{
	int64_t now = ws->loop->now;

	ws->st.drops++;
	if (ws->drop_logged_ns != 0 &&
	    now - ws->drop_logged_ns < BN_WS_LOG_EVERY_NS)
		return;
	log_warnx("%s: dropped a %s message (%llu dropped so far)", ws->name,
	    what, (unsigned long long)ws->st.drops);
	ws->drop_logged_ns = now;
}

static int
rx_append(struct bn_ws *ws, const void *in, size_t len)
{
	size_t need = ws->blen + len, cap;
	char *nb;

	if (need > ws->o.max_msg)
		return -1;
	if (need > ws->bcap) {
		for (cap = ws->bcap ? ws->bcap : BN_WS_BUF_INIT; cap < need;
		    cap *= 2)
			;
		if (cap > ws->o.max_msg)
			cap = ws->o.max_msg;
		if ((nb = realloc(ws->buf, cap)) == NULL)
			return -1;
		ws->buf = nb;
		ws->bcap = cap;
	}
	memcpy(ws->buf + ws->blen, in, len);
	ws->blen = need;
	return 0;
}

static void
rx_deliver(struct bn_ws *ws, const char *data, size_t len)
{
	ws->st.msgs++;
	ws->st.bytes += len;
	ws->last_msg_ns = ws->loop->now;
	ws->o.on_msg(ws, data, len, ws->o.arg);
}

/* One piece of a message; deliver the message when it is complete. */
static void
conn_rx(struct bn_ws_conn *c, struct lws *wsi, const char *in, size_t len)
{
	struct bn_ws *ws = c->ws;
	int done = lws_is_final_fragment(wsi) &&
	    lws_remaining_packet_payload(wsi) == 0;

	if (!ws->assembling) {
		ws->skip = lws_frame_is_binary(wsi);	/* not Binance's */
		if (done && !ws->skip) {
			rx_deliver(ws, in, len);	/* the usual case: no copy */
			return;
		}
		ws->assembling = 1;
		ws->blen = 0;
		ws->oversize = 0;
	}
	if (!ws->skip && !ws->oversize && rx_append(ws, in, len) == -1)
		ws->oversize = 1;
	if (!done)
		return;
	if (ws->skip || ws->oversize)
		rx_drop(ws, ws->skip ? "binary" : "too large");
	else
		rx_deliver(ws, ws->buf, ws->blen);
	rx_reset(ws);
}

static int
conn_writable(struct bn_ws_conn *c, struct lws *wsi)
{
	unsigned char b[LWS_PRE + 16];
	int64_t t;

	if (c->want_close) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	if (!c->want_ping)
		return 0;
	c->want_ping = 0;
	t = c->ping_sent_ns;
	memcpy(b + LWS_PRE, &t, sizeof(t));	/* any payload; echoed back */
	if (lws_write(wsi, b + LWS_PRE, sizeof(t), LWS_WRITE_PING) < 0) {
		snprintf(c->why, sizeof(c->why), "ping write failed");
		return -1;
	}
	c->ws->st.pings++;
	return 0;
}

/* The server's close frame: status code, then an optional reason. */
static void
conn_peer_close(struct bn_ws_conn *c, const unsigned char *in, size_t len)
{
	unsigned code = len >= 2 ? (unsigned)(in[0] << 8 | in[1]) : 0;

	snprintf(c->why, sizeof(c->why), "closed by the server, code %u%s%.*s",
	    code, len > 2 ? ": " : "", len > 2 ? (int)(len - 2 > 60 ? 60 :
	    len - 2) : 0, len > 2 ? (const char *)in + 2 : "");
}

static int
bn_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct bn_ws_conn *c;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
	case LWS_CALLBACK_CLIENT_RECEIVE:
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
	case LWS_CALLBACK_WSI_DESTROY:
		break;
	default:
		return 0;
	}
	if ((c = lws_get_opaque_user_data(wsi)) == NULL) {
		/* an orphan (closed by us): finish it politely */
		if (reason == LWS_CALLBACK_CLIENT_WRITEABLE) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		return 0;
	}
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		conn_up(c);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c->retiring && c->state == CS_UP)
			conn_rx(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		c->ws->st.pongs++;
		c->ping_sent_ns = 0;
		c->next_ping_ns = c->ws->loop->now + c->ws->o.ping_interval_ns;
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return conn_writable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		conn_peer_close(c, in, len);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (in != NULL)
			snprintf(c->why, sizeof(c->why), "%.*s", (int)(len > 0 ?
			    len : strlen(in)), (const char *)in);
		else
			snprintf(c->why, sizeof(c->why), "connection error");
		conn_ended(c);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c->why[0] == '\0')
			snprintf(c->why, sizeof(c->why), "connection closed");
		conn_ended(c);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		/*
		 * A wsi still ours at its end: lws gave up on a handshake
		 * nobody answered (its own timeout) without an error
		 * callback. The wsi is freed after this, so forget it before
		 * anything (bn_ws_close, a kill) touches it, and count the
		 * attempt as failed so the stream retries.
		 */
		c->wsi = NULL;
		if (c->why[0] == '\0')
			snprintf(c->why, sizeof(c->why), "no answer to the "
			    "WebSocket upgrade");
		conn_ended(c);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- timers ------------------------------------------------------------------ */

/*
 * Drop a connection: at the next tick, outside lws's callbacks (a kill
 * from inside one would free the wsi under lws). lws's own asynchronous
 * kill is not used: it waits for the socket's next I/O, which a silent
 * connection (an expired listenKey, a frozen peer) never has.
 */
static void
conn_kill(struct bn_ws_conn *c, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	if (c->state == CS_RESOLVING) {
		conn_ended(c);		/* its late answer is ignored */
		return;
	}
	c->kill = 1;
}

static void
conn_kill_now(struct bn_ws_conn *c)
{
	struct lws *wsi = c->wsi;

	c->kill = 0;
	if (wsi != NULL) {
		/* ours is done with it first: its last callbacks find nothing */
		lws_set_opaque_user_data(wsi, NULL);
		c->wsi = NULL;
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_SYNC);
	}
	if (c->state != CS_FREE)
		conn_ended(c);
}

static void
ws_tick(struct bn_ws *ws, int64_t now)
{
	struct bn_ws_conn *c;
	int i;

	for (i = 0; i < 2; i++) {
		c = &ws->c[i];
		if (c->kill)
			conn_kill_now(c);
		else if (c->state == CS_RESOLVING &&
		    now - c->started_ns >= BN_WS_RESOLVE_TIMEOUT_NS)
			conn_kill(c, "host name lookup unanswered for 10 s");
	}
	c = &ws->c[ws->cur];
	if (c->state == CS_FREE) {
		if (ws->retry_at != 0 && now >= ws->retry_at) {
			ws->retry_at = 0;
			conn_start(ws, ws->cur, now);
		}
		return;
	}
	if (c->state != CS_UP)
		return;
	if (ws->o.ping_interval_ns > 0) {
		if (c->ping_sent_ns != 0 &&
		    now - c->ping_sent_ns >= ws->o.pong_timeout_ns) {
			ws->st.ping_timeouts++;
			c->ping_sent_ns = 0;
			conn_kill(c, "no pong");
			return;
		}
		if (c->ping_sent_ns == 0 && now >= c->next_ping_ns) {
			c->ping_sent_ns = now;
			c->want_ping = 1;
			lws_callback_on_writable(c->wsi);
		}
	}
	if (!ws->rolling && ws->roll_at != 0 && now >= ws->roll_at) {
		ws->rolling = 1;
		ws->roll_at = 0;
		log_info("%s: connection is %.1f h old, opening its "
		    "replacement", ws->name,
		    (double)(now - c->opened_ns) / 3600 / NS_PER_S);
		conn_start(ws, !ws->cur, now);
	}
}

void
bn_ws_loop_run(struct bn_ws_loop *l, int64_t now)
{
	struct bn_ws *ws, *next;

	l->now = now != 0 ? now : now_mono_ns();
	uv_run(&l->uv, UV_RUN_NOWAIT);
	for (ws = l->list; ws != NULL; ws = next) {
		next = ws->next;
		ws_tick(ws, l->now);
	}
}

static int64_t
ws_deadline(const struct bn_ws *ws)
{
	const struct bn_ws_conn *c = &ws->c[ws->cur];
	int64_t d = INT64_MAX;

	if (c->kill || ws->c[!ws->cur].kill)
		return 0;
	if (c->state == CS_FREE)
		return ws->retry_at != 0 ? ws->retry_at : INT64_MAX;
	if (ws->c[!ws->cur].state == CS_RESOLVING)
		d = ws->c[!ws->cur].started_ns + BN_WS_RESOLVE_TIMEOUT_NS;
	if (c->state == CS_RESOLVING)
		return c->started_ns + BN_WS_RESOLVE_TIMEOUT_NS;
	if (c->state != CS_UP)
		return d;	/* lws times the handshake itself */
	if (ws->o.ping_interval_ns > 0 && (c->ping_sent_ns != 0 ?
	    c->ping_sent_ns + ws->o.pong_timeout_ns : c->next_ping_ns) < d)
		d = c->ping_sent_ns != 0 ? c->ping_sent_ns +
		    ws->o.pong_timeout_ns : c->next_ping_ns;
	if (!ws->rolling && ws->roll_at != 0 && ws->roll_at < d)
		d = ws->roll_at;
	return d;
}

int64_t
bn_ws_loop_timeout_ns(struct bn_ws_loop *l, int64_t now)
{
	const struct bn_ws *ws;
	int64_t d = INT64_MAX, t;
	int ms = uv_backend_timeout(&l->uv);

	if (now == 0)
		now = now_mono_ns();
	if (ms >= 0)
		d = now + ms * NS_PER_MS;
	for (ws = l->list; ws != NULL; ws = ws->next)
		if ((t = ws_deadline(ws)) < d)
			d = t;
	return d <= now ? 0 : d - now;
}

/* ---- streams ------------------------------------------------------------------ */

/*
 * The URL as logs may show it: a listenKey lets anyone read the account's
 * orders and fills for an hour, so its value is replaced by "***" both as
 * a listenKey= parameter and as the legacy /ws/<key> path.
 */
static void
ws_redact(char *dst, size_t len, const char *url)
{
	const char *k = strstr(url, "listenKey="), *v, *end;

	if (k != NULL)
		v = k + strlen("listenKey=");
	else if ((k = strstr(url, "/ws/")) != NULL &&
	    strcspn(k + 4, "/?&@") >= 32)
		v = k + 4;	/* legacy user stream: /ws/<listenKey> */
	else {
		snprintf(dst, len, "%s", url);
		return;
	}
	end = v + strcspn(v, "&/?");
	snprintf(dst, len, "%.*s***%s", (int)(v - url), url, end);
}

/* Split ws->url into host, port, path for lws. */
static int
ws_parse_url(struct bn_ws *ws, const char *url)
{
	const char *prot, *ads, *path;
	int port;

	if (url == NULL || strlen(url) >= sizeof(ws->url) ||
	    url_base_len(url) == -1) {
		log_warnx("%s: unusable URL (want ws:// or wss://, < %zu "
		    "bytes)", ws->name, sizeof(ws->url));
		return -1;
	}
	snprintf(ws->url, sizeof(ws->url), "%s", url);
	ws_redact(ws->shown, sizeof(ws->shown), url);
	snprintf(ws->split, sizeof(ws->split), "%s", url);
	if (lws_parse_uri(ws->split, &prot, &ads, &port, &path) != 0 ||
	    *ads == '\0') {
		log_warnx("%s: cannot parse %s", ws->name, ws->shown);
		return -1;
	}
	ws->tls = strcmp(prot, "wss") == 0;
	ws->host = ads;
	ws->port = port;
	snprintf(ws->path, sizeof(ws->path), "/%s", path);
	return 0;
}

static void
ws_defaults(struct bn_ws_opts *o)
{
	if (o->ping_interval_ns == 0)
		o->ping_interval_ns = BN_WS_PING_INTERVAL_NS;
	if (o->pong_timeout_ns <= 0)
		o->pong_timeout_ns = BN_WS_PONG_TIMEOUT_NS;
	if (o->backoff_min_ns <= 0)
		o->backoff_min_ns = BN_WS_BACKOFF_MIN_NS;
	if (o->backoff_max_ns <= 0)
		o->backoff_max_ns = BN_WS_BACKOFF_MAX_NS;
	if (o->max_age_ns <= 0)
		o->max_age_ns = BN_WS_MAX_AGE_NS;
	if (o->max_msg == 0)
		o->max_msg = BN_WS_MAX_MSG;
	if (o->seed == 0 && getrandom(&o->seed, sizeof(o->seed),
	    GRND_NONBLOCK) != sizeof(o->seed))
		o->seed = (uint64_t)now_mono_ns() ^ (uint64_t)getpid() << 32;
}

struct bn_ws *
bn_ws_open(struct bn_ws_loop *l, const struct bn_ws_opts *o)
{
	struct bn_ws *ws;

	if (o->on_msg == NULL) {
		log_warnx("%s: no message callback", __func__);
		return NULL;
	}
	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	ws->loop = l;
	ws->o = *o;
	ws->o.url = ws->o.name = NULL;	/* not kept: the caller's memory */
	ws_defaults(&ws->o);
	snprintf(ws->name, sizeof(ws->name), "%s", o->name ? o->name : "ws");
	ws->c[0].ws = ws->c[1].ws = ws;
	if (ws_parse_url(ws, o->url) == -1) {
		free(ws);
		return NULL;
	}
	bn_backoff_init(&ws->bo, ws->o.backoff_min_ns, ws->o.backoff_max_ns,
	    ws->o.seed);
	ws->next = l->list;
	l->list = ws;
	conn_start(ws, 0, l->now);
	return ws;
}

void
bn_ws_close(struct bn_ws *ws)
{
	struct bn_ws **pp;
	int i;

	if (ws == NULL)
		return;
	for (pp = &ws->loop->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ws) {
			*pp = ws->next;
			break;
		}
	for (i = 0; i < 2; i++)
		conn_detach(&ws->c[i], 1);
	free(ws->buf);
	free(ws);
}

int
bn_ws_set_url(struct bn_ws *ws, const char *url)
{
	char old[sizeof(ws->url)];

	snprintf(old, sizeof(old), "%s", ws->url);
	if (ws_parse_url(ws, url) == 0)
		return 0;
	(void)ws_parse_url(ws, old);
	return -1;
}

void
bn_ws_reconnect(struct bn_ws *ws, const char *why)
{
	struct bn_ws_conn *c = &ws->c[ws->cur];

	ws->fast_retry = 1;
	if (c->state == CS_FREE) {
		ws->retry_at = ws->loop->now;	/* skip a pending backoff */
		ws->fast_retry = 0;
		return;
	}
	log_info("%s: reconnecting: %s", ws->name, why);
	conn_kill(c, why);
}

int
bn_ws_is_up(const struct bn_ws *ws)
{
	return ws->c[ws->cur].state == CS_UP;
}

int64_t
bn_ws_last_msg_ns(const struct bn_ws *ws)
{
	return ws->last_msg_ns;
}

const struct bn_ws_stats *
bn_ws_stats(const struct bn_ws *ws)
{
	return &ws->st;
}

const char *
bn_ws_last_error(const struct bn_ws *ws)
{
	return ws->last_err;
}

const char *
bn_ws_name(const struct bn_ws *ws)
{
	return ws->name;
}

int64_t
bn_ws_rollover_at(const struct bn_ws *ws)
{
	return bn_ws_is_up(ws) ? ws->roll_at : 0;
}
