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
#define SHM_LAYOUT_VERSION	2	/* 2: hb carries rate-limit holds */
#define SHM_MAX_ORDERS		64
#define SHM_READ_RETRIES	1000

enum svc_id { SVC_MARKET = 0, SVC_ORDER, SVC_RISK, SVC_LOGGER, SVC_COUNT };

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

struct shm_orders {			/* writer: order */
	uint32_t	n_open;
	uint32_t	pad;
	struct shm_order_rec open[SHM_MAX_ORDERS];
	int64_t		last_order_ns;	/* realtime */
	uint64_t	placed, canceled, fills, rejects;
	double		order_rtt_ms;	/* last REST round trip */
	int32_t		rate_limit_weight;
	uint32_t	listen_key_ok;	/* user data stream is up */
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
	 * service got holds the others too (server ms, 0 = none) */
	int64_t		rl_backoff_until_ms;
	int64_t		rl_ban_until_ms;
};

/* A latch-protected section of type T; seq on its own cache line. */
#define SHM_SECTION(tag, T)						\
	struct tag {							\
		_Alignas(64) _Atomic uint64_t seq;			\
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

/* "/pmm-<instance>-<uid>": the object name for an instance. */
void		 shm_name(char *buf, size_t len, const char *instance);
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
void		 shm_latch_write(_Atomic uint64_t *seq, void *copies,
		    size_t size, const void *src);
/* 0 on success, -1 if the section kept changing for SHM_READ_RETRIES. */
int		 shm_latch_read(const _Atomic uint64_t *seq, const void *copies,
		    size_t size, void *dst);

#define SHM_PUBLISH(sect, src)						\
	shm_latch_write(&(sect)->seq, (sect)->copy,			\
	    sizeof((sect)->copy[0]), (src))
#define SHM_SNAPSHOT(sect, dst)						\
	shm_latch_read(&(sect)->seq, (sect)->copy,			\
	    sizeof((sect)->copy[0]), (dst))

const char	*svc_name(enum svc_id id);
int		 svc_from_name(const char *name);	/* -1 if unknown */
const char	*proc_state_name(enum proc_state s);

#endif
