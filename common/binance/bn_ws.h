/*
 * bn_ws.h — WebSocket client for Binance's streams (market data on /public
 * and /market, the user data stream on /private) on libwebsockets, run
 * inside the caller's own epoll loop.
 *
 * Two objects:
 *   struct bn_ws_loop  one per process: the libwebsockets context and the
 *                      event loop it runs on. Exposes ONE pollable fd and a
 *                      deadline; the caller watches the fd (EPOLLIN) and
 *                      calls bn_ws_loop_run() when it is readable and
 *                      whenever its loop turns, and sleeps no longer than
 *                      bn_ws_loop_timeout_ns().
 *   struct bn_ws       one stream connection, kept up for its whole life:
 *                      reconnect with exponential backoff and full jitter,
 *                      our own pings with a pong deadline (a missing pong
 *                      is a dead connection), server pings answered, a
 *                      proactive make-before-break reconnect before
 *                      Binance's 24 h limit, fragments reassembled into
 *                      one message, counters.
 *
 * In a pmm service (services/svc.h):
 *
 *	loop = bn_ws_loop_new(NULL);
 *	svc_watch_fd(s, bn_ws_loop_fd(loop), EPOLLIN, my_fd_cb, loop);
 *	ws = bn_ws_open(loop, &(struct bn_ws_opts){ .url = url,
 *	    .on_msg = my_msg, .arg = ctx });
 *	my_fd_cb:  bn_ws_loop_run(loop, now_mono_ns());
 *	on_timer:  bn_ws_loop_run(loop, now);
 *	           s->timer_ns = min(s->timer_ns, bn_ws_loop_timeout_ns(loop, now));
 *
 * Messages are delivered from inside bn_ws_loop_run(), one complete text
 * message per call, not NUL-terminated. Everything is single-threaded.
 * From a callback, bn_ws_reconnect() and bn_ws_set_url() are fine (e.g. on
 * listenKeyExpired); bn_ws_close() and bn_ws_loop_free() are not.
 * Host names are looked up on a thread of their own (bn_resolve.h) before
 * lws gets the numeric address, so a stalled resolver never stalls the
 * caller's loop: an attempt whose lookup is unanswered after 10 s failed.
 * Create the loop after fork (libwebsockets and OpenSSL are initialised
 * here, in the process that uses them).
 *
 * Times are CLOCK_MONOTONIC ns, passed in by the caller so the timers can
 * be tested without waiting (bn_ws_loop_run(loop, 0) reads the clock).
 */
#ifndef PMM_BN_WS_H
#define PMM_BN_WS_H

#include <stddef.h>
#include <stdint.h>

#include "bn_resolve.h"

#define BN_WS_PING_INTERVAL_NS	(30 * 1000000000LL)
#define BN_WS_PONG_TIMEOUT_NS	(10 * 1000000000LL)
#define BN_WS_BACKOFF_MIN_NS	(100 * 1000000LL)
#define BN_WS_BACKOFF_MAX_NS	(30 * 1000000000LL)
/* Binance closes a connection at 24 h; replace ours ten minutes before. */
#define BN_WS_MAX_AGE_NS	((23 * 3600 + 50 * 60) * 1000000000LL)
/* A connection that lived this long restarts the backoff from the bottom. */
#define BN_WS_STABLE_NS		(10 * 1000000000LL)
#define BN_WS_MAX_MSG		(1024 * 1024)

struct bn_ws_loop;
struct bn_ws;

struct bn_ws_stats {
	uint64_t	attempts;	/* connection attempts started */
	uint64_t	connects;	/* handshakes completed */
	uint64_t	reconnects;	/* handshakes after the first */
	uint64_t	failures;	/* attempts that never got up */
	uint64_t	disconnects;	/* established connections lost */
	uint64_t	rollovers;	/* age-limit replacements completed */
	uint64_t	msgs, bytes;	/* complete messages delivered */
	uint64_t	drops;		/* messages dropped: binary, too large */
	uint64_t	pings, pongs, ping_timeouts;
};

enum bn_ws_event {
	BN_WS_UP,		/* connected (first time or after a loss) */
	BN_WS_ROLLOVER,		/* replaced by a fresh connection, no gap */
	BN_WS_DOWN,		/* lost; a reconnect is scheduled */
};

typedef void	(*bn_ws_msg_cb)(struct bn_ws *, const char *data, size_t len,
		    void *arg);
typedef void	(*bn_ws_state_cb)(struct bn_ws *, enum bn_ws_event,
		    const char *why, void *arg);

struct bn_ws_opts {
	const char	*name;		/* in log lines; default: the path */
	const char	*url;		/* ws[s]://host[:port]/path[?query] */
	bn_ws_msg_cb	 on_msg;
	bn_ws_state_cb	 on_state;	/* may be NULL */
	void		*arg;
	/* 0 picks the default (BN_WS_*); a negative ping interval: no pings */
	int64_t		 ping_interval_ns;
	int64_t		 pong_timeout_ns;
	int64_t		 backoff_min_ns, backoff_max_ns;
	int64_t		 max_age_ns;
	size_t		 max_msg;	/* larger messages are dropped */
	uint64_t	 seed;		/* jitter; 0: seeded from getrandom */
};

/*
 * The per-process loop. ca_file: extra CA bundle for wss:// (NULL: the
 * system store only). Peer certificates and host names are always
 * verified. NULL on failure (logged).
 */
struct bn_ws_loop *bn_ws_loop_new(const char *ca_file);
/* Closes every connection still open; then frees the loop. */
void		 bn_ws_loop_free(struct bn_ws_loop *);
/* Host name lookups use fn from now on (tests stand in for DNS). */
void		 bn_ws_loop_set_resolve_fn(struct bn_ws_loop *, bn_resolve_fn);
/* Readable when there is work: watch it with EPOLLIN (level-triggered). */
int		 bn_ws_loop_fd(const struct bn_ws_loop *);
/* Do what is due: I/O, callbacks, our timers. now 0 = read the clock. */
void		 bn_ws_loop_run(struct bn_ws_loop *, int64_t now);
/* How long the caller may sleep before the next run (>= 0). */
int64_t		 bn_ws_loop_timeout_ns(struct bn_ws_loop *, int64_t now);

/* Start connecting at once. NULL if the options are unusable (logged). */
struct bn_ws	*bn_ws_open(struct bn_ws_loop *, const struct bn_ws_opts *);
/* Close (politely if up) and free; no callback runs for it afterwards. */
void		 bn_ws_close(struct bn_ws *);
/* Use url from the next connection on (e.g. a new listenKey). -1 if bad. */
int		 bn_ws_set_url(struct bn_ws *, const char *url);
/* Drop the connection now and reconnect without backoff. */
void		 bn_ws_reconnect(struct bn_ws *, const char *why);
int		 bn_ws_is_up(const struct bn_ws *);
/* Monotonic time of the last complete message, 0 if none yet. */
int64_t		 bn_ws_last_msg_ns(const struct bn_ws *);
const struct bn_ws_stats *bn_ws_stats(const struct bn_ws *);
const char	*bn_ws_name(const struct bn_ws *);
/* Why the last connection ended or the last attempt failed ("" never). */
const char	*bn_ws_last_error(const struct bn_ws *);
/* When the current connection will be replaced (0: not connected). */
int64_t		 bn_ws_rollover_at(const struct bn_ws *);

/* ---- URLs ----------------------------------------------------------------
 * base is cfg ws_url ("wss://fstream.binance.com", a trailing '/' is fine).
 * All return the length written, or -1 if it does not fit or is invalid.
 */
/* "<symbol lower case>@<kind>", e.g. ("BTCUSDT", "bookTicker"). */
int	bn_ws_stream(char *buf, size_t len, const char *symbol,
	    const char *kind);
/*
 * A routed market URL: route "public" or "market"; one stream gives the
 * raw form <base>/<route>/ws/<s>, several the combined form
 * <base>/<route>/stream?streams=<a>/<b>; combined != 0 forces it for one.
 */
int	bn_ws_url(char *buf, size_t len, const char *base, const char *route,
	    const char *const *streams, int n, int combined);
/*
 * The user data stream: <base>/private/ws?listenKey=<k>[&events=<e>], or
 * the legacy <base>/ws/<k> when legacy != 0.
 */
int	bn_ws_url_user(char *buf, size_t len, const char *base,
	    const char *listen_key, const char *events, int legacy);

/* ---- reconnect backoff -----------------------------------------------------
 * Attempt n waits a uniformly random time in [min, min(max, min * 2^(n+1))]
 * ("full jitter" above a floor, so reconnects never spin): clients that
 * lost the same server spread out instead of returning in lock-step.
 */
struct bn_backoff {
	int64_t		min_ns, max_ns;
	uint32_t	attempt;
	uint64_t	rng;		/* xorshift state, never 0 */
};

void	bn_backoff_init(struct bn_backoff *, int64_t min_ns, int64_t max_ns,
	    uint64_t seed);
int64_t	bn_backoff_next(struct bn_backoff *);
void	bn_backoff_reset(struct bn_backoff *);

/* ---- stale-feed watchdog ---------------------------------------------------
 * Stale when nothing fresh arrived for after_ns; starts stale (no data yet).
 */
struct bn_stale {
	int64_t		after_ns;
	int64_t		last_ns;	/* monotonic, last fresh data; 0 none */
	int		stale;
};

void	bn_stale_init(struct bn_stale *, int64_t after_ns);
/* Fresh data at now; 1 if this ended a stale period. */
int	bn_stale_feed(struct bn_stale *, int64_t now);
/* 1 if the feed just went stale at now (report it once). */
int	bn_stale_check(struct bn_stale *, int64_t now);
/* When bn_stale_check() could next flip (0: already stale). */
int64_t	bn_stale_deadline(const struct bn_stale *);

#endif
