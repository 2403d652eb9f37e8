/*
 * ord.h — the order service's logic that needs no I/O, so it is unit
 * tested on its own (tests/unit/check_ord_*.c) and the service file
 * (order.c) only moves bytes:
 *
 *   ord_book.c   the table of our orders and its state machine, driven by
 *                REST answers (place, cancel, query) and user-stream
 *                events (ORDER_TRADE_UPDATE), and what each change means
 *                for the bus (FILL, ORDER_EVENT) and the counters;
 *   ord_plan.c   from a strategy diff to requests: which cancels and
 *                places may go now (never a cancel of an order whose
 *                placement is unanswered, never two placements of one rung
 *                in flight, room in the table), grouped into Binance's
 *                batches (5 places, 10 cancels) and their JSON parameters;
 *                the start-up reconcile decision (which open orders an
 *                earlier run of this instance left);
 *   ord_sched.c  the periodic requests: the countdownCancelAll dead man's
 *                switch and the listenKey keepalive;
 *   ord_fills.c  the fill ledger: which trades were published, and the
 *                catch-up that reads back from the trade history the fills
 *                that happened while nobody listened;
 *   ord_pos.c    the start-up position check: is the position on the
 *                account one this instance left (plus its own fills since)?
 *
 * Times are CLOCK_MONOTONIC ns unless a name says real.
 */
#ifndef PMM_ORD_H
#define PMM_ORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bn_parse.h"
#include "msg.h"
#include "shm.h"
#include "strat.h"

#define ORD_MAX			SHM_MAX_ORDERS
#define ORD_PLACE_BATCH		5	/* POST /fapi/v1/batchOrders */
#define ORD_CANCEL_BATCH	10	/* DELETE /fapi/v1/batchOrders */
/* An unknown outcome is asked about again after this long. */
#define ORD_QUERY_RETRY_NS	(1000 * 1000000LL)
/* A cancel answered with neither success nor "gone" is retried no sooner. */
#define ORD_CANCEL_RETRY_NS	(500 * 1000000LL)

/* Where an order is; numerically equal to enum strat_ostate (and what the
 * shm record's status field holds). */
enum ord_state {
	ORD_PENDING = STRAT_OS_PENDING,		/* placement unanswered */
	ORD_OPEN = STRAT_OS_OPEN,		/* resting on the book */
	ORD_CANCELING = STRAT_OS_CANCELING,	/* cancel sent */
};

struct ord {
	char		 cid[PMM_ID_MAX];
	int64_t		 order_id;	/* 0 until the exchange names it */
	uint8_t		 side;		/* enum strat_side */
	uint8_t		 level;
	uint8_t		 state;		/* enum ord_state */
	bool		 unknown;	/* a request's outcome is not known:
					   ask the exchange before acting */
	bool		 announced;	/* PLACED published and counted */
	int64_t		 px_ticks, qty_steps;
	double		 price, qty, filled;
	int64_t		 changed_real_ns;
	int64_t		 query_at_ns;	/* unknown: when to ask (again) */
	int64_t		 retry_at_ns;	/* no new cancel before this */
};

struct ord_book {
	int		 n;
	struct ord	 o[ORD_MAX];
};

/* Cumulative counters, published in the shm record. */
struct ord_counts {
	uint64_t	 placed, canceled, fills, rejects;
};

/*
 * What one answer or event means beyond the table itself: at most one
 * ORDER_EVENT and one FILL to publish, a foreign-to-the-table order of
 * ours to cancel (a stray), and whether the table changed.
 */
struct ord_effect {
	bool			 changed;
	bool			 has_event;
	struct pmm_order_event	 ev;
	bool			 has_fill;
	struct pmm_fill		 fill;
	bool			 stray;		/* ours, open, not in the table */
	char			 stray_cid[PMM_ID_MAX];
	double			 position;	/* ACCOUNT_UPDATE only */
};

/* ---- the table (ord_book.c) --------------------------------------------- */

void		 ord_book_init(struct ord_book *b);
struct ord	*ord_find(struct ord_book *b, const char *cid);
/* A new PENDING order for a quote; NULL when the table is full. */
struct ord	*ord_add(struct ord_book *b, const struct strat_quote *q,
		    int64_t now_real_ns);
void		 ord_remove(struct ord_book *b, struct ord *o);
int		 ord_count_state(const struct ord_book *b, enum ord_state st);
/* Is a placement for this rung in flight (PENDING or unknown)? */
bool		 ord_rung_pending(const struct ord_book *b, int side,
		    int level);

/* REST answers to a placement, one batch element each. */
void	ord_on_place_ok(struct ord_book *b, const struct bn_order *o,
	    int64_t now_real_ns, struct ord_counts *c, struct ord_effect *e);
void	ord_on_place_err(struct ord_book *b, const char *cid, int code,
	    const char *msg, struct ord_counts *c, struct ord_effect *e);
/* Never sent: the order cannot exist; drop it quietly. */
void	ord_on_place_not_sent(struct ord_book *b, const char *cid,
	    struct ord_effect *e);
/* Timeout / 5xx: may exist. Stays PENDING (unknown) until asked. */
void	ord_on_unknown(struct ord_book *b, const char *cid, int64_t now_ns,
	    struct ord_effect *e);

/* A cancel request was sent for o. */
void	ord_cancel_sent(struct ord *o, int64_t now_real_ns);
/* REST answers to a cancel, one batch element each. */
void	ord_on_cancel_ok(struct ord_book *b, const struct bn_order *o,
	    int64_t now_real_ns, struct ord_counts *c, struct ord_effect *e);
void	ord_on_cancel_err(struct ord_book *b, const char *cid, int code,
	    const char *msg, int64_t now_ns, struct ord_effect *e);
/* Refused by the governor or never sent: the order is still open. */
void	ord_on_cancel_not_sent(struct ord_book *b, const char *cid,
	    int64_t now_ns, struct ord_effect *e);

/*
 * The unknown-outcome resolution: what an answer to GET /fapi/v1/order
 * (by origClientOrderId) says about an order whose fate we did not know.
 */
enum ord_resolution {
	ORD_RES_OPEN,		/* it rests on the book: OPEN */
	ORD_RES_GONE,		/* never placed, or filled/cancelled/expired */
	ORD_RES_RETRY,		/* the question failed too: ask again later */
};
enum ord_resolution ord_resolve(int outcome, long http_status, int code,
	    enum bn_status status);
/* Apply an answer to the query: o may be NULL when there is no order. */
void	ord_on_query(struct ord_book *b, const char *cid, int outcome,
	    long http_status, int code, const struct bn_order *o,
	    int64_t now_ns, int64_t now_real_ns, struct ord_counts *c,
	    struct ord_effect *e);
/* Orders whose unknown outcome is due to be asked about; cids copied. */
int	ord_queries_due(const struct ord_book *b, int64_t now_ns,
	    char cids[][PMM_ID_MAX], int cap);
void	ord_query_sent(struct ord_book *b, const char *cid, int64_t now_ns);

/*
 * An ORDER_TRADE_UPDATE of the traded symbol (the caller checks the
 * symbol). Any TRADE execution is a FILL — ours with the level from the
 * client id, anyone else's (e.g. the risk service's MARKET flatten) with
 * level 0 and the side from S.
 */
void	ord_on_update(struct ord_book *b, const struct bn_order_update *u,
	    const char *instance, int64_t now_real_ns, struct ord_counts *c,
	    struct ord_effect *e);

/* The strategy's view: one strat_order per entry, same index. Remaining
 * quantity in steps of step (the LOT_SIZE stepSize). */
int	ord_to_strat(const struct ord_book *b, double step,
	    struct strat_order *out, int cap);
/* The open-orders part of the shm record. */
void	ord_to_shm(const struct ord_book *b, struct shm_orders *rec);

/* ---- requests (ord_plan.c) ---------------------------------------------- */

/*
 * What may be sent now for a strategy diff (out was computed from the
 * table through ord_to_strat(), so out->cancel indexes b->o):
 *  - cancels: OPEN orders only — an order whose placement is unanswered
 *    or unknown is cancelled once it is known (the next evaluation);
 *  - places: rungs with no placement in flight, while the table has room
 *    (counting what the cancels will not free yet).
 * Indices into b->o and out->place; counts of what was held back.
 */
struct ord_plan {
	int	 n_cancel;
	int	 cancel[ORD_MAX];
	int	 n_place;
	int	 place[STRAT_MAX_QUOTES];
	int	 held_cancels;		/* pending: wait for the answer */
	int	 held_places;		/* rung busy or table full */
};

void	ord_plan_make(const struct ord_book *b, const struct strat_out *out,
	    int64_t now_ns, struct ord_plan *p);

/*
 * refresh_mode tolerance re-quotes when the mid moves away from the mid
 * the ladder was built around (strat_mid_moved). That anchor moves with a
 * refresh, and with any evaluation that builds a whole ladder from
 * nothing (the first quote, after a pause or a stale market) — else a
 * ladder first placed by a tick would never count as quoted and the mid
 * could never "move". A gap fill of one rung keeps it. 0 = none yet.
 */
double	ord_anchor(double anchor, double mid, bool quoting, bool refresh,
	    int n_live);

/* Batches: how many of n go in the batch starting at `first`. */
int	ord_batch_len(int n, int first, int max);

/*
 * The batchOrders parameter: a JSON array of n (1..5) post-only (GTX)
 * LIMIT orders, every value a string as Binance documents, prices and
 * quantities formatted exactly from ticks and steps. Length written, or
 * -1 when n is out of range, a value cannot be formatted or out is short.
 */
int	ord_json_places(const struct strat_quote *const *q, int n,
	    const char *symbol, const struct bn_filters *f, char *out,
	    size_t len);
/* origClientOrderIdList: a JSON array of 1..10 client ids. */
int	ord_json_cids(const char *const *cids, int n, char *out, size_t len);

/*
 * Start-up reconcile: the open orders of the symbol an earlier run of
 * this instance left (strat_cid_ours) are to be cancelled; anyone else's
 * are never touched. Copies up to cap client ids, counts the others in
 * *foreign, and raises *max_seq to the highest seq seen among ours (the
 * next run's ids must go past it). Returns the number of ours (may exceed
 * cap: the caller asks again).
 */
int	ord_reconcile(const struct bn_order *os, int n, const char *instance,
	    char cids[][PMM_ID_MAX], int cap, uint64_t *max_seq,
	    int *foreign);

/* ---- periodic requests (ord_sched.c) -------------------------------------- */

/*
 * countdownCancelAll: renewed every countdown/3 so a missed renewal or
 * two still leaves orders covered; countdown 0 sends countdownTime 0 once
 * (an earlier run's switch must not cancel this run's orders). A failed
 * renewal is retried after ORD_CD_RETRY_NS, never later than the period.
 */
#define ORD_CD_RETRY_NS	(1000 * 1000000LL)

struct ord_countdown {
	int		 ms;		/* exchange.countdown_cancel_ms */
	int64_t		 next_ns;	/* 0: due now */
	int64_t		 sent_ns;	/* the renewal in flight left then */
	bool		 zero_done;	/* ms == 0: the one "off" was sent */
	bool		 inflight;
};

void	ord_cd_init(struct ord_countdown *cd, int ms);
/* A new countdown value (reload): due at once. */
void	ord_cd_set(struct ord_countdown *cd, int ms);
bool	ord_cd_due(const struct ord_countdown *cd, int64_t now_ns);
void	ord_cd_sent(struct ord_countdown *cd, int64_t now_ns);
void	ord_cd_done(struct ord_countdown *cd, int64_t now_ns, bool ok);
/* When it is next due; INT64_MAX when never. */
int64_t	ord_cd_next(const struct ord_countdown *cd);
int64_t	ord_cd_period_ns(int ms);

/*
 * listenKey keepalive every interval seconds; a failure is retried after
 * ORD_LK_RETRY_NS; -1125 (unknown key) means a new key is needed.
 */
#define ORD_LK_RETRY_NS	(5000 * 1000000LL)

struct ord_lk {
	int64_t		 interval_ns;
	int64_t		 next_ns;
	bool		 inflight;
};

void	ord_lk_init(struct ord_lk *k, int interval_s, int64_t now_ns);
bool	ord_lk_due(const struct ord_lk *k, int64_t now_ns);
void	ord_lk_sent(struct ord_lk *k);
void	ord_lk_done(struct ord_lk *k, int64_t now_ns, bool ok);


/* ---- the fill ledger (ord_fills.c) ------------------------------------------ */

#define ORDF_ABOVE	64	/* published above the watermark, kept */
#define ORDF_RING	1024	/* ids this process published, recent */
#define ORDF_PAGE	1000	/* userTrades' largest page */
#define ORDF_NAMES	64	/* orders named per page */
#define ORDF_LINE_MAX	(64 + ORDF_ABOVE * 21)

struct ordf_name {
	int64_t		 order_id;
	bool		 done;
	char		 cid[PMM_ID_MAX];	/* "" when it cannot be named */
};

struct ord_fills {
	/* persisted */
	bool			 known;		/* safe means something */
	int64_t			 safe;		/* every id <= safe published */
	int64_t			 above[ORDF_ABOVE];
	int			 nabove;
	bool			 pos_known;	/* pos means something */
	double			 pos;		/* the position left (ord_pos.c) */
	bool			 dirty;		/* to be written */
	/* this process */
	int64_t			 ring[ORDF_RING];
	unsigned		 ring_n;
	bool			 owed;		/* a catch-up is due */
	bool			 busy;		/* a catch-up is under way */
	bool			 reset;		/* ids went backwards (said once) */
	uint64_t		 gen, gen_at_start;	/* gaps counted */
	int64_t			 retry_at_ns;
	uint64_t		 recovered, above_lost;
	/* the page being published */
	struct bn_user_trade	*page;		/* owned */
	bool			 walking;	/* a page (maybe empty) */
	int			 page_n, page_i;
	bool			 page_full;
	struct ordf_name	 names[ORDF_NAMES];
	int			 nnames;
};

enum { ORDF_IDLE, ORDF_FILL, ORDF_WAIT, ORDF_MORE, ORDF_DONE };

void	ordf_init(struct ord_fills *f);
void	ordf_free(struct ord_fills *f);
/* A fill from the user stream: false when it was published already. */
bool	ordf_stream_fill(struct ord_fills *f, int64_t trade_id);
/* The stream went down (or a process starts): a catch-up is owed. */
void	ordf_gap(struct ord_fills *f);
/* The persisted line; -1 when there is nothing to persist yet. */
int	ordf_format(const struct ord_fills *f, char *buf, size_t len);
int	ordf_load(struct ord_fills *f, const char *text);
bool	ordf_due(const struct ord_fills *f, int64_t now_ns);
/* The page to ask for: fromId (0: none, the newest trades) and limit. */
void	ordf_page_req(struct ord_fills *f, int64_t *from_id, int *limit);
void	ordf_failed(struct ord_fills *f, int64_t retry_at_ns);
/* The answer, t malloc'd (owned from here): -1 if not ascending by id. */
int	ordf_page(struct ord_fills *f, struct bn_user_trade *t, int n,
	    int limit);
/* Orders whose clientOrderId the page needs (each asked once). */
int	ordf_wanted(struct ord_fills *f, const struct ord_book *b,
	    int64_t *ids, int cap);
/* An order's name, "" or NULL when it cannot be known. */
void	ordf_named(struct ord_fills *f, int64_t order_id, const char *cid);
/*
 * The next thing to do: ORDF_FILL (out to publish), ORDF_WAIT (names
 * outstanding), ORDF_MORE (ask for the next page), ORDF_DONE (caught up),
 * ORDF_IDLE (no page).
 */
int	ordf_next(struct ord_fills *f, const struct ord_book *b,
	    const char *instance, struct pmm_fill *out);
/*
 * Count a published fill into the since-start tally (pmmctl status): a fee
 * counts in fees when paid in the symbol's quote asset (symbol ends with
 * fee_asset), else in fee_other.
 */
void	ordf_tally(struct shm_fill_tally *t, const struct pmm_fill *f,
	    const char *symbol);
/*
 * A funding payment: an ACCOUNT_UPDATE "FUNDING_FEE" whose balance in the
 * symbol's quote asset changed by bc, while the tree held position (not
 * 0). Binance's update for a cross position names no symbol, so a
 * payment that comes while the tree is flat is another symbol's and is
 * not counted. Counts bc into t->funding and fills out (the FUNDING bus
 * event); returns 1, or 0 when there is nothing of ours to count.
 */
int	ordf_funding(struct shm_fill_tally *t,
	    const struct bn_account_update *au, const char *symbol,
	    double position, struct pmm_funding *out);

/* ---- the position at start-up (ord_pos.c) ------------------------------------ */

/*
 * pmm may only trade a position it can call its own. The fill ledger keeps
 * the position that the fills it published add up to (ord_fills.pos, in
 * the same line as the watermark). At start-up, once the catch-up has
 * published every trade made while nobody listened, one positionRisk read
 * is judged (ordp_check):
 *
 *   flat                                  accepted (a fresh exchange, or
 *                                         everything was closed)
 *   = left + our own fills since          accepted: what this instance left,
 *                                         moved only by its own orders (the
 *                                         ladder that filled while it was
 *                                         dead, risk's flatten)
 *   anything else, risk.adopt_position    adopted, said in a warning
 *   anything else                         refused: one line, exit 78
 *
 * "Our own" is a client id of this instance (the ladder's or risk's);
 * everybody else's trades since (manual, another program, a liquidation)
 * make the position one this instance did not leave. A read that a fill
 * crossed (published between the read's request and the decision) is not
 * judged but repeated; a disagreement is read again ORDP_READS times before
 * a refusal, so a fill still on its way is never refused. Once accepted,
 * every published fill moves the ledger's position, whoever made it: the
 * tree watched it happen, and risk limits it.
 */
#define ORDP_READS	3	/* disagreeing reads before a refusal */
#define ORDP_CROSSED	20	/* crossed reads before judging anyway */

struct ord_pos {
	bool		 checked;	/* accepted in this process */
	bool		 left_known;
	double		 left;		/* the ledger's position at load */
	double		 ours, others;	/* fills published before the check */
	uint64_t	 fills, fills_at_read;
	int		 reads, crossed;
};

enum ordp_verdict {
	ORDP_FLAT,		/* accepted */
	ORDP_OURS,		/* accepted */
	ORDP_ADOPT,		/* accepted by the config */
	ORDP_AGAIN,		/* read again */
	ORDP_REFUSE,		/* stop with exit 78 */
};

/* After ordf_load(). */
void	ordp_init(struct ord_pos *p, const struct ord_fills *f);
/* Every FILL published (stream or catch-up): before the check it is
 * counted, after it the ledger's position moves (f->dirty). */
void	ordp_fill(struct ord_pos *p, struct ord_fills *f,
	    const struct pmm_fill *fill, const char *instance);
/* A positionRisk request is sent for the check. */
void	ordp_read_sent(struct ord_pos *p);
/*
 * The exchange's position pos (signed) against what was left; step is the
 * LOT_SIZE step (half a step is "equal"). One line in msg for the log.
 */
enum ordp_verdict ordp_check(struct ord_pos *p, double pos, double step,
	    bool adopt, const char *symbol, char *msg, size_t len);
/* The verdict applied to the ledger: accepted (FLAT, OURS, ADOPT) makes pos
 * the ledger's; a refusal keeps what was left plus our own fills since. */
void	ordp_apply(struct ord_pos *p, struct ord_fills *f,
	    enum ordp_verdict v, double pos);

#endif
