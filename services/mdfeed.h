/*
 * mdfeed.h — the market service's feed logic without its I/O: a bookTicker
 * or markPrice frame in, the shared-memory market record and a TICK out;
 * malformed frames counted and logged at most once a minute; the stale
 * flag kept from the time of the last good bookTicker.
 *
 * services/market.c owns the connections and publishes what this returns;
 * bench/bench_md.c and tests/unit/check_mdfeed.c drive it directly.
 */
#ifndef PMM_MDFEED_H
#define PMM_MDFEED_H

#include <stddef.h>
#include <stdint.h>

#include "bn_ws.h"
#include "estim.h"
#include "msg.h"
#include "shm.h"

struct mdf_stats {
	uint64_t	books;		/* bookTickers applied */
	uint64_t	marks;		/* markPrice updates applied */
	uint64_t	malformed;	/* frames dropped as unusable */
	uint64_t	dups;		/* rollover overlap dropped */
	uint64_t	other;		/* well-formed but not ours (symbol...) */
	uint64_t	went_stale;	/* times the feed went stale */
	uint64_t	trades;		/* aggTrades applied */
};

struct mdfeed {
	char		 symbol[32];	/* upper case, as in the config */
	struct shm_market rec;		/* our record, published whole */
	struct bn_stale	 stale;
	int64_t		 last_u;	/* id of the last bookTicker applied */
	int		 dedupe;	/* after a rollover: drop ids <= last_u */
	int64_t		 bad_logged_ns;	/* monotonic; rate limit of the log */
	uint64_t	 bad_unlogged;
	uint32_t	 reconnects_base;	/* from an earlier instance */
	struct mdf_stats st;
	/* sigma, A, k from the mids and aggTrades (estim.h); off unless
	 * mdf_est_init() said otherwise */
	bool		 est_on;
	struct est	 est;
};

/*
 * prev: the record an earlier instance published (prices are kept, the
 * feed starts stale until data flows), or NULL.
 */
void	mdf_init(struct mdfeed *, const char *symbol, double stale_after_s,
	    const struct shm_market *prev);
void	mdf_set_stale_after(struct mdfeed *, double stale_after_s);
/*
 * A bookTicker frame (raw or combined) received at recv_real
 * (CLOCK_REALTIME) / now (CLOCK_MONOTONIC). 1: the record changed and
 * *tick is filled for the bus; 0: dropped (counted; logged if malformed).
 */
int	mdf_on_book(struct mdfeed *, const char *data, size_t len,
	    int64_t recv_real, int64_t now, struct pmm_tick *tick);
/*
 * Feed the estimator (est.h) from here on: every bookTicker's mid and
 * every aggTrade; its results go into the record (est_*) at each sample
 * boundary. -1 if c is unusable (the estimator stays off).
 */
int	mdf_est_init(struct mdfeed *, const struct est_config *c);
/* An aggTrade frame at now (CLOCK_MONOTONIC). 1: the record changed (an
 * estimate moved). */
int	mdf_on_trade(struct mdfeed *, const char *data, size_t len,
	    int64_t now);
/* A markPriceUpdate frame. 1: the record changed. */
int	mdf_on_mark(struct mdfeed *, const char *data, size_t len,
	    int64_t now);
/*
 * The bookTicker connection was replaced (make-before-break): until an id
 * newer than the last applied one arrives, older ones are the overlap of
 * the two connections and are dropped. Otherwise ids are not trusted to
 * only grow (a restarted exchange starts over).
 */
void	mdf_rollover(struct mdfeed *);
/* Total reconnects of this instance's connections. 1: the record changed. */
int	mdf_set_reconnects(struct mdfeed *, uint64_t n);
/* 1 if the feed just went stale (publish the record). */
int	mdf_check_stale(struct mdfeed *, int64_t now);
/* Monotonic time at which the feed would go stale (0: it is stale). */
int64_t	mdf_stale_deadline(const struct mdfeed *);

#endif
