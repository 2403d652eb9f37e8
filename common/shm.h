/*
 * shm.h — the state segment every pmm process maps.
 *
 * One POSIX shared-memory object per instance, created by pmmd with mode
 * 0600. A versioned header lets a reader refuse a segment of another build.
 * The body is a set of sections, each with exactly one writer process:
 *
 *	procs	pmmd	process table, tree readiness, operator pause
 *	market	market	best bid/ask, mid, mark, exchange and local times
 *	orders	order	open orders, last order time, order counters
 *	risk	risk	position, PnL, strategy pause and its reason
 *	hb[i]	svc i	heartbeat and message counters of service i
 *
 * No locks cross processes: a process killed while holding one would freeze
 * the others. Each section is a "latch": two copies and a sequence number
 * whose low bit names the copy readers use. A writer fills the copy readers
 * are not using, then publishes it by incrementing the sequence (release).
 * A writer killed mid-update leaves only the unused copy torn; readers keep
 * reading the intact one, and the next writer overwrites the torn copy. A
 * reader copies the active copy and retries if the sequence moved meanwhile,
 * a bounded number of times, so it never hangs.
 *
 * Integrity: the writer stores a 64-bit checksum of each copy (over the
 * bytes and the sequence number that publishes them) beside seq. A reader
 * verifies it and refuses a copy no writer wrote -- a stray write into the
 * segment, a process of another tree, a bug -- with SHM_ECORRUPT, distinct
 * from SHM_EBUSY ("kept changing"). Either way the reader's destination is
 * left untouched, so a caller that reads into its last good copy keeps it.
 * pmmd checks every section and has a corrupt one rewritten (shm_check.c).
 *
 * Batch updates: a writer keeps its own copy of its record, changes as many
 * fields as it likes, and publishes the whole record with SHM_PUBLISH —
 * readers see all of the changes or none of them.
 *
 * No pointers; fixed-size arrays; times in ns (CLOCK_REALTIME for wall
 * time, CLOCK_MONOTONIC for intervals, as each field says).
 */
#ifndef PMM_SHM_H
#define PMM_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_MAGIC		0x31534d4d50ULL	/* "PMMS1" */
#define SHM_LAYOUT_VERSION	10	/* 3: checksums; 4: orders say why not
				 * quoting; 5: hb.lost, hb.pending;
				 * 6: latency histograms; 7: orders.tally,
				 * tick and step;
				 * 8: orders carry the reject rate;
				 * 9: the tally counts funding;
				 * 10: market's estimates, orders' model */
#define SHM_MAX_ORDERS		64
#define SHM_READ_RETRIES	1000
/* The largest copy of any section (checked in shm.c): readers bounce
 * through a buffer this big so a rejected copy never reaches the caller. */
#define SHM_COPY_MAX		8192

/* shm_latch_read's answers */
#define SHM_OK		0
#define SHM_EBUSY	(-1)	/* the section kept changing: try later */
#define SHM_ECORRUPT	(-2)	/* the copy fails its checksum: no writer
				 * wrote it */

/*
 * The longest rate-limit hold a reader takes from another service's record
 * (ms). Binance's longest documented IP ban is 3 days; anything beyond is
 * not a hold any exchange answer produced, and is cut to this.
 */
#define SHM_HOLD_MAX_MS		(3LL * 24 * 3600 * 1000)

enum svc_id { SVC_MARKET = 0, SVC_ORDER, SVC_RISK, SVC_LOGGER, SVC_COUNT };
/* The services that sign requests: the only ones given the API keys. */
#define SVC_SIGNS(id)	((id) == SVC_ORDER || (id) == SVC_RISK)

/* Supervised process states (the s6-like state machine in supervisor/). */
enum proc_state {
	PROC_DOWN = 0,		/* not running, will be started */
	PROC_STARTING,		/* forked, not ready yet */
	PROC_READY,		/* reported ready, heartbeating */
	PROC_BACKOFF,		/* died, waiting before restart */
	PROC_STOPPING,		/* asked to stop */
	PROC_STOPPED,		/* stopped on purpose */
	PROC_FAILED,		/* escalated: tree gave up on it */
};

struct shm_proc {
	char		name[16];
	int32_t		pid;		/* 0 when not running */
	uint32_t	state;		/* enum proc_state */
	uint32_t	restarts;
	int32_t		last_status;	/* wait(2) status of the last death */
	int64_t		last_exit_ns;	/* realtime; 0 = never died */
	int64_t		started_ns;	/* realtime */
	int64_t		ready_ns;	/* realtime; 0 = not ready */
};

struct shm_procs {			/* writer: pmmd */
	int32_t		sup_pid;
	uint32_t	tree_ready;
	int64_t		sup_started_ns;	/* realtime */
	uint32_t	operator_paused;	/* pmmctl pause */
	char		operator_reason[64];
	struct shm_proc	p[SVC_COUNT];
};

/*
 * A latency histogram small enough to publish with its section: counts
 * per bucket (not cumulative) with these upper bounds in seconds, the last
 * bucket open-ended, and the sum, as Prometheus' histograms want them.
 */
#define SHM_LAT_BUCKETS	13
#define SHM_LAT_BOUNDS	{ 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, \
			  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 }
struct shm_lat {
	uint64_t	n[SHM_LAT_BUCKETS + 1];	/* the last: above 5 s */
	uint64_t	count;
	double		sum_s;
};
/* Count one sample of s seconds (negative: a clock step, counts as 0). */
void	shm_lat_record(struct shm_lat *h, double s);
/* The upper bound of bucket i, seconds (+inf for the last). */
double	shm_lat_bound(int i);

struct shm_market {			/* writer: market */
	double		bid, bid_qty, ask, ask_qty;
	double		mid;
	double		mark_price;
	int64_t		exch_ts_ns;	/* exchange event time E, realtime */
	int64_t		recv_ts_ns;	/* local receive time, realtime */
	uint64_t	update_id;	/* bookTicker u */
	uint64_t	updates;
	uint32_t	stale;		/* no update for market.stale_after */
	uint32_t	ws_reconnects;
	double		md_latency_ms;	/* last recv - E */
	struct shm_lat	md_latency;	/* every book update's recv - E */
	/* live estimates (services/core/estim.c): the configured fallbacks
	 * until each is live; all 0 when the estimator is not running */
	double		est_sigma_bp;	/* mid volatility, bp per sqrt(s) */
	double		est_a;		/* order arrivals at the mid, per s */
	double		est_k;		/* their decay with depth, per bp */
	uint32_t	est_sigma_live, est_ak_live;
	uint32_t	est_returns, est_trades;	/* in the window */
	uint64_t	agg_trades;	/* aggTrade events applied, ever */
};

struct shm_order_rec {
	char		client_id[40];
	int64_t		order_id;
	double		price, qty, filled;
	uint8_t		side;		/* 0 buy, 1 sell */
	uint8_t		level;		/* 1..levels */
	uint8_t		status;
	uint8_t		pad[5];
	int64_t		ts_ns;		/* realtime, last change */
};

/*
 * Every FILL the order service published since pmmd started (the
 * segment's life; an order restart continues the sums from the segment),
 * and every funding payment it heard of (ACCOUNT_UPDATE FUNDING_FEE in
 * the quote asset while the tree held a position). pmmctl status shows
 * them as "since start".
 */
struct shm_fill_tally {
	uint64_t	buys, sells, maker;
	uint64_t	fee_other;	/* fills whose fee was in another asset
					   (BNB): not in fees */
	double		buy_qty, sell_qty;	/* base */
	double		buy_quote, sell_quote;	/* sum of price x qty */
	double		fees;		/* quote asset */
	double		realized;	/* sum of the fills' realizedPnl */
	double		funding;	/* quote asset: + received, - paid */
	uint64_t	fundings;	/* funding payments counted */
};

struct shm_orders {			/* writer: order */
	uint32_t	n_open;
	uint32_t	pos_checked;	/* the position found at start-up was
					   accepted (ord_pos.c): risk may act */
	struct shm_order_rec open[SHM_MAX_ORDERS];
	int64_t		last_order_ns;	/* realtime */
	uint64_t	placed, canceled, fills, rejects;
	double		order_rtt_ms;	/* last REST round trip */
	int32_t		rate_limit_weight;
	uint32_t	listen_key_ok;	/* user data stream is up */
	uint32_t	quote_state;	/* enum quote_state (qstate.h) */
	uint32_t	pad2;
	int64_t		quote_since_ns;	/* realtime, state last changed */
	char		quote_reason[96];	/* human text, "" when quoting */
	struct shm_lat	rest_rtt;	/* every REST answer's round trip */
	struct shm_fill_tally tally;
	double		tick_size, step_size;	/* the exchange's filters;
						   0 = not read yet */
	double		reject_rate;	/* rejects/s, last 10 s */
	/* what the last quote was built from and around (strat.h's
	 * strat_out); NaN where the strategy has no such figure */
	double		m_gamma;	/* avellaneda_mm / glft_mm gamma */
	double		m_sigma_bp, m_a, m_k;	/* the estimates it used */
	double		m_reservation;	/* price the ladder centres on */
	double		m_half_spread;	/* price units, level 1 */
	double		m_skew_bp;	/* reservation - mid, bp */
	double		m_q_lots;	/* (position - target) in orders */
};

struct shm_risk {			/* writer: risk */
	double		position;	/* signed base qty */
	double		entry_price;
	double		mark_price;
	double		position_notional;
	double		unrealized_pnl, realized_pnl;
	double		wallet_balance;
	uint32_t	paused;
	uint32_t	pause_causes;	/* risk_eval.h causes (outlive a restart) */
	char		pause_reason[96];
	int64_t		paused_since_ns;	/* realtime */
	int64_t		last_check_ns;		/* realtime */
	uint64_t	checks, actions;
};

struct shm_hb {				/* writer: the service itself */
	int64_t		beat_ns;	/* monotonic */
	uint64_t	beats;
	int32_t		pid;
	uint32_t	pad;
	uint64_t	msgs_in, msgs_out, msgs_dropped, errors;
	/* Binance limits and bans per IP: a 429 back-off or 418 ban one
	 * service got holds the others too (CLOCK_MONOTONIC ms deadlines,
	 * comparable across the processes of a host and immune to a wall
	 * clock step; 0 = none) */
	int64_t		rl_backoff_until_ms;
	int64_t		rl_ban_until_ms;
	/* records the service could not keep, and holds back for now
	 * (logger: CSV rows lost, and kept while the disk is full) */
	uint64_t	lost;
	uint64_t	pending;
};

/*
 * A latch-protected section of type T; seq and the two copies' checksums
 * on their own cache line (sum[i] belongs to copy[i]).
 */
#define SHM_SECTION(tag, T)						\
	struct tag {							\
		_Alignas(64) _Atomic uint64_t seq;			\
		_Atomic uint64_t sum[2];				\
		_Alignas(64) T copy[2];					\
	}

SHM_SECTION(shm_procs_sect, struct shm_procs);
SHM_SECTION(shm_market_sect, struct shm_market);
SHM_SECTION(shm_orders_sect, struct shm_orders);
SHM_SECTION(shm_risk_sect, struct shm_risk);
SHM_SECTION(shm_hb_sect, struct shm_hb);

struct shm_header {
	uint64_t	magic;
	uint32_t	version;	/* SHM_LAYOUT_VERSION */
	uint32_t	size;		/* sizeof(struct shm_state) */
	int64_t		created_ns;	/* realtime */
	int32_t		owner_pid;	/* pmmd */
	uint32_t	pad;
	char		instance[64];
};

struct shm_state {
	struct shm_header	hdr;
	struct shm_procs_sect	procs;
	struct shm_market_sect	market;
	struct shm_orders_sect	orders;
	struct shm_risk_sect	risk;
	struct shm_hb_sect	hb[SVC_COUNT];
};

/*
 * "/pmm-<instance>-<uid>-<hash>": the object name for an instance run from
 * runtime directory rundir (hash: 8 hex digits of its real path). The lock
 * that makes one pmmd per instance lives in rundir, so the segment follows
 * it: two trees with one instance name and two runtime directories each
 * get their own segment instead of sharing (and unlinking) one.
 */
void		 shm_name(char *buf, size_t len, const char *instance,
		    const char *rundir);
/*
 * pmmd: create (replacing a stale object of the same name), mode 0600,
 * zeroed, header filled. NULL with err set on failure.
 */
struct shm_state *shm_create(const char *name, const char *instance,
		    char *err, size_t errlen);
/* Services and pmmctl: map an existing segment, checking the header. */
struct shm_state *shm_attach(const char *name, int writable,
		    char *err, size_t errlen);
void		 shm_detach(struct shm_state *st);
int		 shm_destroy(const char *name);

/* The latch. Prefer the typed macros below. */
void		 shm_latch_write(_Atomic uint64_t *seq, _Atomic uint64_t *sums,
		    void *copies, size_t size, const void *src);
/*
 * SHM_OK with dst filled; SHM_EBUSY if the section kept changing for
 * SHM_READ_RETRIES; SHM_ECORRUPT if the active copy fails its checksum.
 * dst is written only on SHM_OK.
 */
int		 shm_latch_read(const _Atomic uint64_t *seq,
		    const _Atomic uint64_t *sums, const void *copies,
		    size_t size, void *dst);
/* The checksum of a copy published as seq (exported for tests). */
uint64_t	 shm_copy_sum(uint64_t seq, const void *copy, size_t size);

#define SHM_PUBLISH(sect, src)						\
	shm_latch_write(&(sect)->seq, (sect)->sum, (sect)->copy,	\
	    sizeof((sect)->copy[0]), (src))
#define SHM_SNAPSHOT(sect, dst)						\
	shm_latch_read(&(sect)->seq, (sect)->sum, (sect)->copy,		\
	    sizeof((sect)->copy[0]), (dst))

/*
 * A reader's account of the corrupt copies it met, kept in the reading
 * process's context: SHM_READ logs them (per section at most one line per
 * SHM_GUARD_LOG_NS, with the count since the last line) and counts them.
 */
#define SHM_GUARD_LOG_NS	(10LL * 1000 * 1000 * 1000)
#define SHM_NSECT		(4 + SVC_COUNT)	/* procs..risk, hb[] */
struct shm_guard {
	uint64_t	 corrupt;	/* corrupt copies rejected, ever */
	int64_t		 next_log_ns[SHM_NSECT];	/* monotonic */
	uint64_t	 unlogged[SHM_NSECT];	/* since the last line */
};

int		 shm_read_guarded(struct shm_guard *g,
		    const struct shm_state *st, const _Atomic uint64_t *seq,
		    const _Atomic uint64_t *sums, const void *copies,
		    size_t size, void *dst);
/* SHM_SNAPSHOT that logs a corrupt copy; dst keeps its value on error. */
#define SHM_READ(g, st, sect, dst)					\
	shm_read_guarded((g), (st), &(st)->sect.seq, (st)->sect.sum,	\
	    (st)->sect.copy, sizeof((st)->sect.copy[0]), (dst))
/* The section whose seq this is: 0 procs, 1 market, 2 orders, 3 risk,
 * 4 + i hb[i]; -1 if none. And its name ("market", "hb[order]", ...). */
int		 shm_section_index(const struct shm_state *st,
		    const _Atomic uint64_t *seq);
const char	*shm_section_name(const struct shm_state *st,
		    const _Atomic uint64_t *seq);
/* A hold "until" (ms) from a record, cut to now + SHM_HOLD_MAX_MS. */
int64_t		 shm_hold_clamp(int64_t until_ms, int64_t now_ms);

const char	*svc_name(enum svc_id id);
int		 svc_from_name(const char *name);	/* -1 if unknown */
const char	*proc_state_name(enum proc_state s);

#endif
