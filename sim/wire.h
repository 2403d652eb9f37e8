/*
 * wire.h — the wire side of pmm-exchange: the libwebsockets server that
 * speaks Binance's REST and WebSocket protocols on loopback and drives the
 * core (exch.h) from its one event loop.
 *
 * Modules: server.c (lws context, event loop, timers, the HTTP transport),
 * rest.c (Binance REST endpoints), ws.c (market and user data streams),
 * admin.c (/sim/... fault injection and inspection). One struct wire holds
 * everything; there is no other mutable state.
 */
#ifndef PMM_SIM_WIRE_H
#define PMM_SIM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "exch.h"

#define WIRE_MAX_BODY		(256 * 1024)	/* larger bodies: 413 */
#define WIRE_MAX_PARAMS		64
#define WIRE_MAX_CONNS		512	/* WebSocket sessions at once */
#define WIRE_MAX_SUBS		200	/* streams per WebSocket session */
#define WIRE_WS_QCAP		8192	/* queued frames before a session
					   counts as a slow consumer */
#define WIRE_WS_MSG_PER_S	10	/* incoming WS messages per second */
#define WIRE_REQLOG_CAP		100000	/* requests kept for /sim/requests */
#define WIRE_APIKEY_MAX		128
#define WIRE_TICK_MS		50	/* depth batching / chores timer */
#define WIRE_LKEY_LEN		64	/* listenKey characters */
#define WIRE_LKEY_TTL_MS	(60 * 60 * 1000LL)

struct wire_opts {
	int		 port;
	const char	*iface;		/* "127.0.0.1" */
	int		 ws_ping_secs;	/* server PING after this idle time */
	int		 ws_hangup_secs;/* close after this long without pong */
	int		 ws_max_age_secs;/* Binance closes after 24 h */
	int		 step_us;	/* longest sleep between core steps */
	int		 paused;	/* start with the market stopped */
	int		 strict_routes;	/* legacy WS paths: /public data only */
	int		 reqlog_cap;	/* requests kept; 0: WIRE_REQLOG_CAP
					   (the fuzzer keeps a few) */
};

enum wire_method { WM_OTHER = 0, WM_GET, WM_POST, WM_PUT, WM_DELETE };

struct wire_param {
	char	*key;
	char	*val;
};

/* One HTTP request as received; owned by its connection. */
struct wire_req {
	enum wire_method	 method;
	char			 path[256];
	int64_t			 recv_ns;	/* CLOCK_REALTIME */
	char			*query;		/* decoded args, '&'-joined */
	char			*raw_query;	/* as sent, or NULL if unknown */
	char			**qfrags;	/* decoded "k=v" fragments */
	int			 nqfrags;
	char			*body;		/* raw body bytes + NUL */
	size_t			 body_len;
	size_t			 body_cap;
	int			 body_too_big;
	struct wire_param	 params[WIRE_MAX_PARAMS];
	int			 nparams;
	int			 too_many_params;
	char			 ip[48];
	char			 apikey[WIRE_APIKEY_MAX + 1];
	int			 apikey_state;	/* 0 absent, 1 present, -1 bad */
};

/* A response waiting for its connection to be writable. */
struct wire_resp {
	int		 status;
	char		*body;
	size_t		 len;
	int		 weight_hdr;		/* X-MBX-USED-WEIGHT-1M */
	int		 order_hdrs;		/* add the ORDER-COUNT headers */
	int		 order_10s;
	int		 order_1m;
	int		 retry_after;		/* seconds, 0 = none */
};

/* Fault injection, set through /sim/fault/... (admin.c). */
struct wire_fault {
	int64_t		 latency_ms;	/* added to each Binance response */
	int		 burst_left;	/* next N Binance requests fail */
	int		 burst_status;	/* 500, 502, 503, 429 or 418 */
	int		 burst_secs;	/* 429 Retry-After / 418 ban; 0: 60 / 120 */
	int		 unknown_left;	/* next N order placements: 503 */
	int		 unknown_execute;/* ... and the order is placed anyway */
	int64_t		 skew_ms;	/* added to the server's clock */
};

struct wire_reqrec {
	int64_t		 recv_ns;
	int64_t		 done_ns;
	enum wire_method method;
	int		 status;
	int		 apikey;	/* 1 when an API key header was sent */
	char		 path[96];
	json_t		*params;	/* never the signature */
};

struct ws_sess;
struct ws_msg;
struct ws_hub;

struct wire {
	struct wire_opts	 opts;
	struct exch		*ex;
	struct lws_context	*ctx;
	struct lws_vhost	*vh;
	int			 stop;
	int			 paused;	/* market not stepped */
	int			 sigfd;
	lws_retry_bo_t		 retry;		/* ping / hangup policy */
	lws_sorted_usec_list_t	 sul_step;
	lws_sorted_usec_list_t	 sul_tick;
	uint64_t		 rng;		/* listenKey generator state */

	struct wire_fault	 fault;

	struct wire_reqrec	*reqlog;	/* ring of reqlog_cap */
	uint64_t		 reqlog_cap;
	uint64_t		 reqlog_head;	/* total ever recorded */

	/* one listenKey per account, as on Binance */
	struct wire_lkey {
		struct exch_account	*acct;
		char			 key[WIRE_LKEY_LEN + 1];
		int64_t			 expires_ms;
	}			 lkeys[EXCH_ACCT_MAX];

	struct ws_sess		*sessions;	/* doubly linked list */
	int			 nsessions;
	uint64_t		 ws_frames_out;
	uint64_t		 ws_frames_muted;	/* withheld by a mute */
	struct ws_hub		*hub;		/* ws.c's state */
	struct exch_rl_limits	 rl_limits;	/* shown in exchangeInfo */
	int64_t			 start_ms;	/* when the exchange started */
};

/*
 * One endpoint the sim serves, for --list-endpoints and the endpoint
 * sweep: kind "rest" (Binance), "admin" (/sim/...) or "ws" (a WebSocket
 * upgrade path); auth "none", "key" (X-MBX-APIKEY) or "signed"; sample a
 * valid parameter string (form encoded, no timestamp/signature).
 */
struct wire_endpoint {
	const char	*kind;
	const char	*method;
	const char	*path;
	const char	*auth;
	const char	*sample;
};

/* server.c */
int	 wire_init(struct wire *, const struct wire_opts *, struct exch *);
/* The state wire_init() sets up, without the lws context: requests can
 * then be answered in-process with wire_handle() (tests, the fuzzer). */
int	 wire_init_local(struct wire *, const struct wire_opts *,
	    struct exch *);
int	 wire_run(struct wire *);
int	 wire_port(const struct wire *);
void	 wire_free(struct wire *);
int64_t	 wire_now_ms(const struct wire *);	/* with clock skew */
/* Record resp for the request being served; 1 = send it now. */
int	 wire_http_respond(struct wire *, struct lws *, struct wire_resp *);

/* dispatch.c: request handling without the transport */
/* Answer req into resp (which starts zeroed) and record it for
 * /sim/requests; the transport then writes resp. */
void	 wire_handle(struct wire *, struct wire_req *, struct wire_resp *);
int	 wire_is_admin(const char *path);	/* /sim and below */
/* A request from its parts as libwebsockets would hand it over: target is
 * "path?query" as sent (%-escapes and '+' decoded the way lws does),
 * body the raw bytes, apikey the X-MBX-APIKEY header or NULL. */
struct wire_req *wire_req_build(enum wire_method, const char *target,
	    const char *body, size_t body_len, const char *apikey);
void	 wire_req_free(struct wire_req *);
void	 wire_resp_free(struct wire_resp *);
/* Every endpoint: REST routes, /sim/ admin, WebSocket upgrade paths. */
void	 wire_endpoints(void (*)(void *, const struct wire_endpoint *),
	    void *);
void	 wire_endpoints_print(FILE *);
enum wire_method wire_method_parse(const char *);

/* rest.c */
void	 rest_endpoints(void (*)(void *, const struct wire_endpoint *),
	    void *);
/* Fill resp for a Binance request; 0, or -1 when the path is unknown. */
int	 rest_handle(struct wire *, struct wire_req *, struct wire_resp *);
const char *wire_param(const struct wire_req *, const char *key);
void	 resp_json(struct wire_resp *, int status, json_t *);	/* steals */
void	 resp_error(struct wire_resp *, int status, int code, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));
/* Parse "k=v&k2=v2" (form encoded) into req->params; query first. */
int	 rest_parse_params(struct wire_req *);
void	 wire_req_clear(struct wire_req *);
void	 resp_exch_err(struct wire_resp *, const struct exch_err *);
void	 resp_mandatory(struct wire_resp *, const char *name);
void	 resp_illegal(struct wire_resp *, const char *name, const char *range);
json_t	*json_err(const struct exch_err *);
json_t	*json_num(double v, int precision);	/* "123.40" */
int	 wire_fmt(char *, size_t, double v, int precision);
json_t	*json_dec(double v);			/* "0.1", no trailing 0 */
int	 parse_dec(const char *, double *);	/* Binance's decimal rule */
int	 parse_i64(const char *, int64_t *);
/* Symbol index; -1 with r filled, -2 when optional and absent. */
int	 rest_symbol(struct wire *, struct wire_req *, struct wire_resp *,
	    int mandatory);
struct exch_account *wire_lkey_account(struct wire *, const char *key);

/* rest_trade.c: SIGNED endpoints, called after the signature check */
#define REST_EP(name) void name(struct wire *, struct exch_account *, \
	    struct wire_req *, struct wire_resp *)
REST_EP(ep_order_new);
REST_EP(ep_order_cancel);
REST_EP(ep_order_query);
REST_EP(ep_order_modify);
REST_EP(ep_cancel_all);
REST_EP(ep_batch_new);
REST_EP(ep_batch_cancel);
REST_EP(ep_open_orders);
REST_EP(ep_user_trades);
REST_EP(ep_all_orders);
REST_EP(ep_income);
REST_EP(ep_countdown);
REST_EP(ep_position_risk_v2);
REST_EP(ep_position_risk_v3);
REST_EP(ep_account);
REST_EP(ep_balance);
REST_EP(ep_leverage);
REST_EP(ep_leverage_bracket);
REST_EP(ep_position_mode);
REST_EP(ep_commission_rate);
/* JSON of an order as the REST order endpoints return it. */
json_t	*order_json(const struct exch_order *, int with_time);

/* rawcap.c: the raw request line behind lws's decoded URI */
char	*rawcap_query(int fd, const char *method, const char *path);
void	 rawcap_reset(int fd);		/* a new connection on fd */
void	 rawcap_skip(int fd, size_t n);	/* a body of n bytes was read */
void	 rawcap_stop(int fd);		/* fd became a WebSocket */
const char *wire_method_str(enum wire_method);

/* admin.c */
int	 admin_handle(struct wire *, struct wire_req *, struct wire_resp *);
void	 admin_endpoints(void (*)(void *, const struct wire_endpoint *),
	    void *);
/* Fault that replaces the response before any work is done; 1 if set. */
int	 admin_fault_pre(struct wire *, struct wire_req *, struct wire_resp *);
void	 admin_record(struct wire *, const struct wire_req *,
	    const struct wire_resp *);
void	 admin_free(struct wire *);

/* ws.c */
int	 ws_filter(struct wire *, struct lws *);	/* upgrade: 0 = accept */
/* The same decision for an in-process request: 0 = the path upgrades. */
int	 ws_upgrade_check(struct wire *, const struct wire_req *);
void	 ws_endpoints(void (*)(void *, const struct wire_endpoint *), void *);
int	 ws_established(struct wire *, struct lws *, struct ws_sess **);
int	 ws_receive(struct wire *, struct ws_sess *, const char *, size_t);
int	 ws_writable(struct wire *, struct ws_sess *);
void	 ws_closed(struct wire *, struct ws_sess *);
/* The core's callbacks (exch_cb) with arg = the struct wire. */
void	 ws_on_market(void *, const struct exch_mkt_event *);
void	 ws_on_user(void *, const struct exch_user_event *);
/* Periodic: batched depth, markPrice@1s, 24 h limit, key expiry. */
void	 ws_tick(struct wire *, int64_t now_ms);
int	 ws_init(struct wire *);
/* listenKey is gone (expired or deleted): tell its sessions. */
void	 ws_lkey_expired(struct wire *, const char *key);
/* Push a bookTicker for every symbol now (admin /sim/tick). */
void	 ws_push_book_tickers(struct wire *);
/* Close sessions: which = 1 market, 2 user, 3 both. Returns count. */
int	 ws_drop(struct wire *, int which);
/* Silence (on = 1) the open sessions (same which) until dropped, or
 * unsilence them (on = 0). Returns how many changed. */
int	 ws_mute(struct wire *, int which, int on);
/* Max queue fill over sessions, for max-speed replay back-pressure. */
int	 ws_backlog(const struct wire *);
void	 ws_free_all(struct wire *);

/*
 * The busiest market frames written straight into a buffer, the same bytes
 * json_dumpb(JSON_COMPACT | JSON_PRESERVE_ORDER) makes of the event's
 * object (check_ws_frame holds them to that). Each appends to b and
 * returns 0, or -1 (out of memory, or a string jansson cannot encode).
 */
struct wire_buf {
	char	*p;
	size_t	 len, cap;
};
void	 wire_buf_free(struct wire_buf *);
int	 ws_fmt_book_ticker(struct wire_buf *, const struct exch_mkt_event *);
int	 ws_fmt_trade(struct wire_buf *, const struct exch_mkt_event *);
int	 ws_fmt_depth(struct wire_buf *, const struct exch_symbol_spec *,
	    int64_t E, int64_t T, int64_t U, int64_t u, int64_t pu,
	    const struct exch_level *b, int nb, const struct exch_level *a,
	    int na);
/* {"stream":<stream>,"data":<data>} around an encoded event */
int	 ws_fmt_combined(struct wire_buf *, const char *stream,
	    const char *data, size_t len);

#endif
