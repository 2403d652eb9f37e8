/*
 * bn_rest.h — Binance USD-M futures REST client on libcurl's multi
 * interface, driven by the caller's event loop.
 *
 * Non-blocking, HTTP/1.1 keep-alive, TLS verification always on for https.
 * The client never owns a loop: it asks the caller to watch fds through
 * hooks (add/mod/del, epoll event bits) and to call it back when one is
 * ready or when its timer is due. A blocking helper exists for start-up.
 *
 * Hooking into a pmm service (services/svc.h), with the client kept in the
 * service's context (struct ctx *c = s->priv; c->rest):
 *
 *	static void
 *	rest_fd(struct svc *s, int fd, uint32_t ev, void *rest)
 *	{
 *		bn_rest_on_fd(rest, fd, ev);
 *	}
 *	static int
 *	rest_add(void *s, int fd, uint32_t ev)
 *	{
 *		struct ctx *c = ((struct svc *)s)->priv;
 *		return svc_watch_fd(s, fd, ev, rest_fd, c->rest);
 *	}
 *	static void
 *	rest_del(void *s, int fd)
 *	{
 *		svc_unwatch_fd(s, fd);
 *	}
 *	hooks = { .arg = s, .add_fd = rest_add, .mod_fd = NULL,
 *	    .del_fd = rest_del };	(mod_fd NULL: del + add)
 *
 * and in on_timer: bn_rest_on_timeout(c->rest), then make the loop wake in
 * time: t = bn_rest_timeout_ns(c->rest); s->timer_ns = t < 0 ? 100 ms :
 * MAX(t, 1 ms) capped at the usual period. A request starts at once inside
 * bn_rest_request(); the timer only matters for curl's own deadlines.
 * Each connection is one watched fd (max_conns, default 4): svc watches at
 * most SVC_MAX_WATCH fds in all.
 *
 * Requests are async with a completion callback. Signed requests carry
 * every parameter in the query string, in the order given, then
 * recvWindow, timestamp (local ms + clock offset) and signature last, with
 * the API key in X-MBX-APIKEY; POST/PUT/DELETE send an empty body (Binance
 * accepts parameters in the query string for every method). The key and
 * secret are never logged: log lines name the method, path and status.
 *
 * Nothing is ever resent by the client. A request whose fate is not known
 * (timeout or connection lost after sending, 5xx such as 503 "Unknown
 * error" on a non-GET) completes with BN_OUT_UNKNOWN: the caller must ask
 * the exchange (query the order by clientOrderId) before acting again.
 */
#ifndef PMM_BN_REST_H
#define PMM_BN_REST_H

#include <stddef.h>
#include <stdint.h>

#include "bn_parse.h"

#define BN_PARAMS_MAX		4096
#define BN_REST_MAXFD		32
/*
 * Priority classes. Binance counts weight and orders per IP, so a quoting
 * loop that used the whole limit would leave nothing for the requests that
 * keep the account safe. Quoting (placing new orders) may use only
 * BN_GOV_QUOTE_PCT of each limit; protective traffic (cancels, the
 * countdownCancelAll renewal, position and order reads, flatten orders)
 * may go up to BN_GOV_PROTECT_PCT, so it always has the difference
 * reserved and is never starved by quoting.
 */
enum bn_class { BN_CLASS_PROTECT = 0, BN_CLASS_QUOTE };
#define BN_GOV_QUOTE_PCT	60
#define BN_GOV_PROTECT_PCT	95
#define BN_BAN_DEFAULT_MS	(5 * 60 * 1000)	/* 418 with no end given */
/* Binance: bans "scale from 2 minutes to 3 days"; no answer holds longer */
#define BN_BAN_MAX_MS		(3LL * 24 * 3600 * 1000)
/* a 429's windows are 10 s and 1 min: a Retry-After past this is noise */
#define BN_RETRY_AFTER_MAX_MS	(10 * 60 * 1000)
#define BN_REST_WAIT		(-2)	/* request refused by the governor */

enum bn_method { BN_GET = 0, BN_POST, BN_PUT, BN_DELETE };
enum bn_auth { BN_AUTH_NONE = 0, BN_AUTH_KEY, BN_AUTH_SIGNED };

/* Rate-limit headers of one response; -1 when absent. */
struct bn_rl_hdr {
	int	used_weight_1m;
	int	order_count_10s;
	int	order_count_1m;
	int	retry_after_s;
};

/*
 * ---- rate-limit governor (pure state machine) ---------------------------
 * Two clocks: usage windows are the exchange's (server ms: its minute), holds
 * (429 back-off, 418 ban) are deadlines on CLOCK_MONOTONIC ms, so a step of
 * the wall clock (NTP, an operator) neither lengthens nor ends one. A hold is
 * measured once, as a duration from the answer, and anchored on mono_ms.
 */

struct bn_gov {
	int	lim_weight_1m, lim_orders_10s, lim_orders_1m;
	/* last reported usage, and the window (start ms) it was counted in */
	int	w1m, o10s, o1m;
	int64_t	w1m_win, o10s_win, o1m_win;
	int	inflight_w, inflight_o;	/* sent, not answered yet */
	int64_t	backoff_until;		/* 429: nothing until then (mono ms) */
	int64_t	ban_until;		/* 418: nothing until then (mono ms) */
	unsigned n429, n418;
};

void	bn_gov_init(struct bn_gov *g);
/* Limits from exchangeInfo; 0 keeps the current (default) value. */
void	bn_gov_set_limits(struct bn_gov *g, int weight_1m, int orders_10s,
	    int orders_1m);
void	bn_gov_on_send(struct bn_gov *g, int weight, int orders);
/*
 * A response: headers update usage; 429 backs off until Retry-After (at
 * most BN_RETRY_AFTER_MAX_MS) or the window's end; 418 stops everything
 * until the ban time in msg ("banned until <ms>"), else Retry-After, else
 * BN_BAN_DEFAULT_MS, never more than BN_BAN_MAX_MS from now.
 */
void	bn_gov_on_done(struct bn_gov *g, int64_t now_ms, int64_t mono_ms,
	    int weight, int orders, long status, const struct bn_rl_hdr *h,
	    int code, const char *msg);
/*
 * 0 when a request of this weight and order count may go now, else the
 * milliseconds to wait. pct is the share of each limit usable (e.g. 80 for
 * the soft check, 100 for the hard one). A ban or back-off blocks all.
 */
int64_t	bn_gov_wait_ms(const struct bn_gov *g, int64_t now_ms, int64_t mono_ms,
	    int weight, int orders, int pct);
/* The share of each limit a class may use (BN_GOV_*_PCT). */
int	bn_gov_class_pct(enum bn_class c);

/* ---- request parameters ----------------------------------------------- */

struct bn_params {
	char	s[BN_PARAMS_MAX];
	size_t	len;
	int	overflow;		/* set once something did not fit */
};

void	bn_params_init(struct bn_params *p);
/* Append key=value, value percent-encoded (RFC 3986 unreserved kept). */
int	bn_params_add(struct bn_params *p, const char *key, const char *val);
int	bn_params_addf(struct bn_params *p, const char *key,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The signed query string: params, recvWindow, timestamp, then
 * signature=HMAC(secret, all of that). -1 if out is too small.
 */
int	bn_sign_query(const char *secret, const struct bn_params *p,
	    int recv_window_ms, int64_t timestamp_ms, char *out, size_t outlen);

/* Request weight of an endpoint (Binance's table; depth by its limit). */
int	bn_rest_weight(enum bn_method m, const char *path,
	    const struct bn_params *p);
/* Orders an endpoint counts against the order limits (batch: its size). */
int	bn_rest_orders(enum bn_method m, const char *path,
	    const struct bn_params *p);

/* ---- the client ------------------------------------------------------- */

struct bn_rest;

struct bn_rest_hooks {
	void	*arg;
	/* Watch fd for events (EPOLLIN/EPOLLOUT bits); 0 or -1. */
	int	(*add_fd)(void *arg, int fd, uint32_t events);
	/* Change the events; NULL: the client does del_fd then add_fd. */
	int	(*mod_fd)(void *arg, int fd, uint32_t events);
	void	(*del_fd)(void *arg, int fd);
};

struct bn_rest_opts {
	const char	*base_url;	/* http://127.0.0.1:18080, https://... */
	const char	*api_key;	/* may be NULL for public use */
	const char	*secret;
	int		 recv_window_ms;	/* default 5000 */
	int		 timeout_ms;		/* whole request, default 10000 */
	int		 connect_timeout_ms;	/* default 3000 */
	int		 max_conns;		/* to the host, default 4 */
};

struct bn_resp {
	uint64_t	 id;
	enum bn_method	 method;
	const char	*path;
	enum bn_outcome	 outcome;
	long		 status;	/* HTTP status, 0 when none */
	int		 curl_code;	/* CURLE_* */
	int		 code;		/* Binance error code from the body */
	char		 msg[BN_MSGLEN];/* its msg, or the transport error */
	const char	*body;		/* NUL-terminated; valid in the cb */
	size_t		 body_len;
	int64_t		 elapsed_ns;	/* submit to completion (order RTT) */
	struct bn_rl_hdr hdr;
};

typedef void (*bn_rest_cb)(struct bn_rest *, const struct bn_resp *,
    void *arg);

/* NULL with the reason logged. Calls curl_global_init (after fork!). */
struct bn_rest	*bn_rest_new(const struct bn_rest_opts *o,
		    const struct bn_rest_hooks *h);
/* Aborts what is in flight (callbacks are not called) and frees. */
void		 bn_rest_free(struct bn_rest *r);

/*
 * Send a request. weight/orders < 0 take bn_rest_weight()/bn_rest_orders().
 * Returns 0 (cb will be called exactly once, never from inside this call),
 * BN_REST_WAIT when the governor forbids it (banned, backing off after a
 * 429, or the limit would be exceeded; bn_rest_can_send() says how long),
 * or -1 on a local error. *idp (may be NULL) receives the request id.
 */
int	bn_rest_request(struct bn_rest *r, enum bn_method m, const char *path,
	    enum bn_auth auth, const struct bn_params *p, int weight,
	    int orders, bn_rest_cb cb, void *arg, uint64_t *idp);
/* The same for a class: BN_REST_WAIT once its share would be passed. */
int	bn_rest_request_class(struct bn_rest *r, enum bn_class c,
	    enum bn_method m, const char *path, enum bn_auth auth,
	    const struct bn_params *p, int weight, int orders, bn_rest_cb cb,
	    void *arg, uint64_t *idp);

/*
 * Blocking: send and run a private poll loop until this request completes
 * (other requests in flight progress too). out->body is a malloc'd copy
 * the caller releases with bn_resp_release(). Returns 0 when a response
 * (of any outcome) is in out, BN_REST_WAIT or -1 as bn_rest_request().
 */
int	bn_rest_request_sync(struct bn_rest *r, enum bn_method m,
	    const char *path, enum bn_auth auth, const struct bn_params *p,
	    int weight, int orders, struct bn_resp *out);
void	bn_resp_release(struct bn_resp *out);

/*
 * Binance counts weight and bans per IP, so every process behind one IP
 * must honour a 429 back-off or a 418 ban that any of them received.
 * get() returns the latest holds (CLOCK_MONOTONIC ms: one clock for every
 * process on the host, and no wall-clock step moves it) the others reported;
 * put() is told ours whenever a 429 or 418 changes it. Both optional.
 */
struct bn_rest_share {
	void	*arg;
	void	(*get)(void *arg, int64_t *backoff_until, int64_t *ban_until);
	void	(*put)(void *arg, int64_t backoff_until, int64_t ban_until);
};
void	bn_rest_set_share(struct bn_rest *r, const struct bn_rest_share *s);

/*
 * The setting an answer blames, or NULL: -2014 (API-key format invalid) and
 * -2015 (key unknown, IP not allowed, or no permission for the action) name
 * BINANCE_API_KEY, -1022 (signature not valid) BINANCE_SECRET_KEY. Such an
 * answer repeats on every retry: it is a configuration error, not a fault.
 */
const char	*bn_auth_blame(int code);

/*
 * Told of every answer bn_auth_blame() names, before the request's own
 * callback, which still runs; the client then leaves the logging to it.
 * Optional (NULL: such answers are logged as any other refusal).
 */
typedef void (*bn_rest_auth_cb)(void *arg, const char *setting,
    const struct bn_resp *resp);
void	bn_rest_set_auth_hook(struct bn_rest *r, bn_rest_auth_cb cb,
	    void *arg);

/* Event-loop entry points (see the banner). */
void	bn_rest_on_fd(struct bn_rest *r, int fd, uint32_t events);
void	bn_rest_on_timeout(struct bn_rest *r);
/* ns until bn_rest_on_timeout() is due: -1 none, 0 now. */
int64_t	bn_rest_timeout_ns(const struct bn_rest *r);
int	bn_rest_inflight(const struct bn_rest *r);

/*
 * Clock: offset = serverTime - local midpoint of the round trip of
 * GET /fapi/v1/time. bn_rest_sync_time() blocks; a -1021 answer starts an
 * async resync by itself.
 */
int	bn_rest_sync_time(struct bn_rest *r);
int64_t	bn_rest_clock_offset_ms(const struct bn_rest *r);
int	bn_rest_time_synced(const struct bn_rest *r);
/* Local wall clock + offset: the exchange's time now, in ms. */
int64_t	bn_rest_now_ms(const struct bn_rest *r);

/* May a request of the class go now? 0 = yes, else ms to wait. */
int64_t	bn_rest_can_send_class(const struct bn_rest *r, enum bn_class c,
	    int weight, int orders);
/* The protective class (what every caller but quoting uses). */
int64_t	bn_rest_can_send(const struct bn_rest *r, int weight, int orders);
void	bn_rest_set_limits(struct bn_rest *r, int weight_1m, int orders_10s,
	    int orders_1m);
const struct bn_gov *bn_rest_gov(const struct bn_rest *r);

const char	*bn_outcome_name(enum bn_outcome o);
const char	*bn_method_name(enum bn_method m);

#endif
