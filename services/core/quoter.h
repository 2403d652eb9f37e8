/*
 * quoter.h — WHEN pmm re-quotes, and what a quote sends: the order
 * service's quoting policy as a pure state machine, so the live service
 * (order.c) and the backtest drive the same code, one on the monotonic
 * clock and the other on a virtual one.
 *
 * The rules, all here:
 *
 *   a tick      records the book; its mid moving more than
 *               refresh_tolerance_percent from the anchor (the mid the
 *               ladder was built around) makes the evaluation a refresh;
 *   the timer   a refresh every orderbook_refresh_interval; an evaluation
 *               at eval_at (a table change, a reject backoff ending, the
 *               governor's hold ending, the feed turning stale, a pause
 *               flipping without a message);
 *   pause       everything cancelled; resume is a whole new ladder;
 *   stale feed  (market's record says stale and no tick for stale_after)
 *               everything cancelled until the next tick;
 *   sanity      a book pxguard refuses is quoted like no book (everything
 *               cancelled, said once); sane again is a whole new ladder;
 *   stream down no new orders while the user data stream is down (cancels
 *               still go);
 *   rejects     a rung the exchange refused post-only (-5022) is not sent
 *               again at that price before newer market data (ord_rej.h);
 *   band        a price outside PERCENT_PRICE around the mark is not sent;
 *   reload      a whole new ladder now.
 *
 * The caller reads the world (shm, the bus, REST answers), hands it in as
 * plain values, and carries out the plan qt_eval() returns: sends the
 * cancels and places, publishes the book event, logs. No I/O, no clock
 * reads (now is an argument, CLOCK_MONOTONIC ns or virtual), no logging,
 * no globals. quoter's fields are the caller's to read, never to write.
 */
#ifndef PMM_QUOTER_H
#define PMM_QUOTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bn_filters.h"
#include "ord.h"
#include "ord_rej.h"
#include "pxguard.h"
#include "qstate.h"
#include "strat.h"

struct qt_config {
	const struct strat_impl	*impl;		/* strategy_name */
	const char		*instance;	/* instance_id (caller's storage) */
	struct strat_config	 scfg;		/* paused: set per evaluation */
	struct pxg_config	 pxg;		/* book sanity limits */
	int64_t			 refresh_ns;	/* orderbook_refresh_interval */
	int64_t			 stale_after_ns;	/* market.stale_after */
};

/* What the service knows at an evaluation, read by it just before. */
struct qt_facts {
	bool		 paused;	/* risk's or the operator's flag */
	const char	*pause_why;	/* whose and why ("" or NULL: none) */
	double		 mark_price;	/* <= 0 or NaN: not known */
	bool		 market_stale;	/* market's record says stale */
	bool		 stream_up;	/* the user data stream */
	const char	*unreachable;	/* NULL, or why the exchange is not */
	double		 position;	/* signed, base asset */
	struct strat_est est;		/* sigma, A, k (avellaneda_mm,
					   glft_mm): estim.c's or fallbacks */
	int64_t		 real_ns;	/* wall clock: a finite AS horizon */
};

struct quoter {
	struct qt_config	 c;
	struct bn_filters	 flt;		/* PERCENT_PRICE band */
	struct strat_filters	 sflt;
	/* the market as last seen */
	double			 bid, ask;
	bool			 have_book, stale;
	int64_t			 last_tick_ns;
	uint64_t		 data_id;	/* books seen: market data age */
	/* the schedule */
	double			 anchor;	/* mid the ladder is built around; 0 none */
	int64_t			 next_refresh_ns;	/* 0: due now */
	int64_t			 eval_at_ns;	/* 0: none wanted */
	/* the seq of the next client id: the caller seeds it, and before an
	 * evaluation makes sure ids up to next_seq + STRAT_MAX_QUOTES may be
	 * handed out (order.c: the reservation file, strat_seq_reserve) */
	uint64_t		 next_seq;
	/* the last evaluation, for the quote state between evaluations */
	bool			 paused;
	char			 pause_why[QS_REASON_LEN];
	enum strat_why		 why;
	int			 held;		/* rungs the reject memory holds */
	/* book sanity */
	struct pxg		 pxg;
	bool			 insane;
	char			 insane_why[QS_REASON_LEN + 64];
	/* post-only rejects per rung, PERCENT_PRICE drops ever */
	struct ordr		 rej;
	uint64_t		 out_of_band;
};

enum qt_due { QT_IDLE = 0, QT_EVAL, QT_REFRESH };
enum qt_book { QT_BOOK_SAME = 0, QT_BOOK_INSANE, QT_BOOK_SANE };

/* One evaluation's outcome: what to send and what to say. */
struct qt_plan {
	struct strat_out	 out;		/* the strategy's answer */
	struct ord_plan		 pl;		/* to send now: cancels index the
						   table, places index out.place */
	bool			 refresh;	/* it was a refresh */
	enum quote_state	 state;		/* for pmmctl status */
	char			 reason[QS_REASON_LEN];
	enum qt_book		 book;		/* sanity changed: say it once */
	double			 mid;		/* ... at this mid */
	int			 out_of_band;	/* places dropped (PERCENT_PRICE) */
	int			 first_oob;	/* out.place index of the first */
};

/*
 * The sigma, A, k the strategy gets: the market record's (the market
 * service's estimator: its fallbacks until live), else the config's
 * fallbacks (no estimator running, an older record).
 */
void	qt_est_from(struct strat_est *e, const struct shm_market *m,
	    const struct cfg *c);

/*
 * What an evaluation was built from and around, into the order record
 * (pmmctl status' model, the CSV's model rows): gamma of the strategy
 * (NaN for those without), the estimates it used, and its strat_out
 * reservation, half spread, skew and q. True when it is worth publishing
 * now: the ladder was re-priced (a refresh or a placement) — the figures
 * follow the mid, and the tick path need not publish every tick.
 */
bool	qt_model(struct shm_orders *r, const struct qt_facts *f,
	    const struct qt_plan *p, const struct cfg *c);

void	qt_init(struct quoter *q, const struct qt_config *c);
/* New config (reload): the sanity reference stays; a new ladder now. */
void	qt_reconfig(struct quoter *q, const struct qt_config *c);
/* The symbol's filters (exchangeInfo). */
void	qt_filters(struct quoter *q, const struct bn_filters *f,
	    const struct strat_filters *sf);

/* A new best bid/ask: true when its mid moved beyond the tolerance from
 * the anchor, so the evaluation it prompts is a refresh. */
bool	qt_on_tick(struct quoter *q, double bid, double ask, int64_t now);
/*
 * The timer: notes a stale feed or a pause flip, then says whether to
 * evaluate now and whether that is a refresh. The stale fact is polled:
 * a caller on a virtual clock calls this when its market turns stale
 * (last_tick_ns + c.stale_after_ns).
 */
enum qt_due qt_due(struct quoter *q, const struct qt_facts *f, int64_t now);
/* Evaluate: strategy, plan, filters, quote state. b is the order table
 * as it is now (read only); p (about 7 KB) is the caller's. */
void	qt_eval(struct quoter *q, const struct qt_facts *f,
	    const struct ord_book *b, bool refresh, int64_t now,
	    struct qt_plan *p);
/* When the timer must look again (refresh or eval_at, absolute). */
int64_t	qt_next_ns(const struct quoter *q);

/* The table changed, so the diff may want something new (a cancel that
 * waited for an acknowledgement): an evaluation now, unless one is wanted
 * already (a reject backoff's end stands as it is). */
void	qt_table_changed(struct quoter *q, int64_t now);
/* Look again no later than t (the governor's hold ending). */
void	qt_retry_at(struct quoter *q, int64_t t);
/* The answer to a placement of the rung at px_ticks: code 0 accepted,
 * -5022 post-only rejected (held until data newer than data_id, the
 * data_id when it was sent); other refusals are not the book moving. */
void	qt_on_placed(struct quoter *q, int side, int level, int64_t px_ticks,
	    int code, uint64_t data_id, int64_t now);

/* The ORDER_EVENT a sanity change (p->book != QT_BOOK_SAME) publishes:
 * book_insane with why, or book_sane, at the plan's mid. */
void	qt_book_event(const struct quoter *q, const struct qt_plan *p,
	    struct pmm_msg *m);

/* The quote state as of the last evaluation, with the link as it is
 * now (stream_up, unreachable: NULL or why); reason gets its line. */
enum quote_state qt_state(const struct quoter *q, bool stream_up,
	    const char *unreachable, char *reason, size_t len);

#endif
