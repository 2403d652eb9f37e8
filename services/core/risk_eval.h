/*
 * risk_eval.h — the risk service's decisions as pure code: inputs in,
 * actions and notes out. No I/O, no clock, no globals: services/risk.c
 * feeds it what the exchange and the state segment say and carries out
 * what it asks for, and tests/unit/check_risk_eval.c drives it with a
 * made-up clock.
 *
 * Two parts:
 *
 * risk_book — the position between two exchange reads, kept from FILL
 * messages (side, qty, price, realized pnl, trade time). A read of
 * positionRisk replaces it. A fill whose trade time is not after the read's
 * updateTime is already inside that read and only counts as "late"; one
 * that arrived while the read was on its way but happened after it is
 * kept on top of it. The difference a read leaves unexplained once the
 * late fills are in is a fill the bus never brought, reported one read
 * later.
 *
 * risk_eval — why the strategy is paused and what to do about it. Each
 * pause cause is kept on its own:
 *
 *	max_loss	latched	realized + unrealized < -max_loss_usdt
 *	limit		latched	|position x mark| > initial_capital x ratio
 *	stale		cond.	market data stale
 *	user_stream	cond.	user data stream down: fills are invisible
 *	operator	pmmctl	pause until pmmctl resume
 *
 * The published pause is their OR; the reason names the first active one
 * in that order. A condition is armed once its feed has been up since the
 * service started: before that the order service is not quoting anyway
 * (no book, no user stream), and a tree started without an exchange
 * should not read "paused" for a feed it never had. A condition clears
 * itself when its cause is gone. A latch clears on pmmctl resume, or
 * auto_resume_after seconds after it latched, and in both cases only once
 * its cause is gone (refused with the reason otherwise). Limits are
 * judged on positions the EXCHANGE reported, never on the fill-kept one:
 * a fill counted twice for a moment must not latch a pause.
 *
 * Closing a position (a "flatten cycle"): cancel our open orders (client
 * ids with this instance's prefix, risk_own_orders(); anyone else's are
 * never touched — the account may have manual orders on the symbol), wait
 * for a position read sent after the cancel completed, send one reduce-only
 * MARKET order (the excess over the limit rounded UP to the market step,
 * or the whole position for max_loss), and wait for the outcome and a read
 * sent after it before anything else may be sent. An outcome that is not
 * known is asked for (query by client id), never resent. A cycle that
 * ended without the order executing waits retry_ns, doubling, before the
 * next one.
 *
 * Nothing is judged or closed before the order service has accepted the
 * position found at start-up (view.pos_unchecked: a position this instance
 * did not leave is refused there, with exit 78, unless the config adopts
 * it; see ord_pos.c). A risk service restarted under a running order
 * service finds it accepted already.
 */
#ifndef PMM_RISK_EVAL_H
#define PMM_RISK_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bn_filters.h"
#include "bn_parse.h"
#include "msg.h"

/* ---- the fill-kept position ------------------------------------------- */

#define RISK_BOOK_RECENT	64	/* fills kept between two reads */

struct risk_fill_rec {
	double		 d;		/* signed qty */
	double		 price;
	int64_t		 ms;		/* trade time, 0 = unknown */
};

struct risk_book {
	double		 pos;		/* signed base quantity */
	double		 entry;		/* average entry price, 0 when flat */
	double		 realized;	/* sum of the fills' realized pnl */
	uint64_t	 fills;
	bool		 have_read;
	bool		 gap_known;	/* read_gap can be judged */
	int64_t		 read_ms;	/* updateTime of the last read */
	double		 read_gap;	/* read - fill-kept, at that read */
	double		 late;		/* signed qty of fills inside it */
	/* fills applied since the last read (to replay those after it) */
	int		 n_recent;
	bool		 recent_lost;	/* more than RISK_BOOK_RECENT */
	struct risk_fill_rec recent[RISK_BOOK_RECENT];
};

/* side 0 buy, 1 sell (as FILL); trade_ms 0 = unknown (counted). */
void	risk_book_fill(struct risk_book *b, int side, double qty,
	    double price, double realized_pnl, int64_t trade_ms);
/*
 * A positionRisk read replaces the position. Returns the signed quantity
 * the PREVIOUS read had that no fill explained (0 when the fills agreed):
 * measured a read later so that fills still on their way count.
 */
double	risk_book_read(struct risk_book *b, double pos, double entry,
	    int64_t update_ms);

/* ---- pause causes and the flatten cycle ------------------------------- */

enum risk_cause {
	RISK_C_MAX_LOSS = 0,
	RISK_C_LIMIT,
	RISK_C_STALE,
	RISK_C_USER_STREAM,
	RISK_C_OPERATOR,
	RISK_C_COUNT
};
#define RISK_C_BIT(c)		(1u << (c))
#define RISK_LATCHED		(RISK_C_BIT(RISK_C_MAX_LOSS) | \
				 RISK_C_BIT(RISK_C_LIMIT))
#define RISK_RETRY_MAX_SHIFT	5	/* retry_ns doubles up to 32 x */

struct risk_params {
	double		 limit_usdt;	/* initial_capital x ratio */
	double		 max_loss_usdt;	/* 0 = off */
	int64_t		 auto_resume_ns;/* 0 = only pmmctl resume */
	int64_t		 retry_ns;	/* first wait after a failed cycle */
};

/* What the exchange said in one positionRisk read. */
struct risk_read {
	double		 position;	/* signed */
	double		 entry;
	double		 mark;		/* its markPrice, a fallback */
};

/* What the state segment says, every loop turn. */
struct risk_view {
	int64_t		 now_ns;	/* monotonic */
	double		 mark;		/* market mark (else mid); 0 = none */
	double		 realized;	/* risk_book.realized */
	bool		 stale;		/* market data stale or absent */
	bool		 user_ok;	/* user data stream up */
	bool		 pos_unchecked;	/* start-up position not accepted yet */
};

enum risk_act {
	RISK_ACT_NONE = 0,
	RISK_ACT_CANCEL_OURS,	/* our open orders: list, then batch cancel */
	RISK_ACT_ORDER,		/* the reduce-only MARKET order of the cycle */
	RISK_ACT_QUERY,		/* GET /fapi/v1/order by its client id */
};

enum risk_fl {
	RISK_FL_IDLE = 0,
	RISK_FL_CANCEL,		/* the cancel of ours to send */
	RISK_FL_CANCELING,	/* ... in flight */
	RISK_FL_READ,		/* waiting for a read sent after the cancel */
	RISK_FL_ORDER,		/* order to send */
	RISK_FL_ORDERING,	/* ... in flight */
	RISK_FL_QUERY,		/* outcome unknown: query to send */
	RISK_FL_QUERYING,	/* ... in flight */
	RISK_FL_SETTLE,		/* done: waiting for a read sent after it */
};

enum risk_result {
	RISK_RES_DONE = 0,	/* the exchange has it (any status) */
	RISK_RES_NOT_DONE,	/* refused / never sent / does not exist */
	RISK_RES_UNKNOWN,	/* may or may not have happened */
};

/* Something to record: a RISK_ACTION (kind) or only a log line. */
#define RISK_NOTE_LOG		0xff
#define RISK_NOTES_MAX		12

struct risk_note {
	uint8_t		 kind;		/* pmm_risk_kind, or RISK_NOTE_LOG */
	bool		 warn;		/* log at warning level */
	char		 text[PMM_TEXT_MAX];
};

struct risk_out {
	int		 n;
	unsigned	 dropped;	/* notes that did not fit */
	struct risk_note note[RISK_NOTES_MAX];
};

struct risk_eval {
	struct risk_params p;
	unsigned	 causes;		/* RISK_C_BIT()s active */
	unsigned	 conds;			/* conditions seen now */
	unsigned	 armed;			/* feeds up once since start */
	int64_t		 since[RISK_C_COUNT];	/* monotonic, when set */
	char		 why[RISK_C_COUNT][PMM_TEXT_MAX];
	int64_t		 now_ns;		/* latest time seen */

	bool		 have_read;
	struct risk_read rd;
	double		 mark;			/* best mark known */
	double		 view_mark;		/* from the view, 0 = none */
	double		 realized;
	bool		 pos_unchecked;		/* from the view */
	bool		 have_lot;
	struct bn_filters lot;			/* market-order lot */

	enum risk_fl	 fl;
	bool		 fl_kill;		/* cycle closes everything */
	uint8_t		 fl_side;		/* 0 buy, 1 sell */
	int64_t		 fl_steps;		/* market steps of the order */
	uint64_t	 reads_sent;
	uint64_t	 fresh_after;		/* a read must be newer */
	int64_t		 retry_at;
	int64_t		 query_at;
	int		 retries;
	uint64_t	 cycles, orders;
};

/*
 * restored: latched cause bits an earlier run published (they survive a
 * restart of the service; their timers restart at now).
 */
void	risk_eval_init(struct risk_eval *ev, const struct risk_params *p,
	    unsigned restored, int64_t now_ns);
/* New limits (config reload); a latch whose cause is gone stays latched. */
void	risk_eval_set_params(struct risk_eval *ev, const struct risk_params *p);
/* The symbol's filters (exchangeInfo): needed to size an order. */
void	risk_eval_set_lot(struct risk_eval *ev, const struct bn_filters *f);

/* Every loop turn: conditions, mark moves, auto resume, cycle start. */
void	risk_eval_tick(struct risk_eval *ev, const struct risk_view *v,
	    struct risk_out *o);
/* pmmctl pause (reason) / resume. */
void	risk_eval_operator(struct risk_eval *ev, int64_t now_ns, bool pause,
	    const char *reason, struct risk_out *o);

/* Reads: number each one sent; hand back the answers with that number. */
uint64_t risk_eval_read_sent(struct risk_eval *ev);
void	risk_eval_read(struct risk_eval *ev, int64_t now_ns, uint64_t seq,
	    const struct risk_read *rd, struct risk_out *o);
/* Does the cycle wait for a read (send one now, not at the next check)? */
bool	risk_eval_wants_read(const struct risk_eval *ev);

/* The request to send now, if any; then say it was sent. */
enum risk_act risk_eval_next(const struct risk_eval *ev, int64_t now_ns);
void	risk_eval_sent(struct risk_eval *ev, enum risk_act a);
void	risk_eval_cancel_done(struct risk_eval *ev, enum risk_result r,
	    struct risk_out *o);
void	risk_eval_order_done(struct risk_eval *ev, int64_t now_ns,
	    enum risk_result r, struct risk_out *o);
void	risk_eval_query_done(struct risk_eval *ev, int64_t now_ns,
	    enum risk_result r, struct risk_out *o);

bool	risk_eval_paused(const struct risk_eval *ev);
/* The reason of the first active cause, "" when running. */
const char *risk_eval_reason(const struct risk_eval *ev);
/*
 * Risk's record in the state segment from what it knows: the position book
 * (have_pos: the exchange said a position once; NaN until then, so a
 * reader shows "no data", never a made-up 0), the mark (<= 0: unknown)
 * and the verdicts. paused_since_ns moves to now_real when the pause flag
 * flips. The risk service and the backtest both publish what this fills.
 */
struct shm_risk;
void	risk_record_fill(struct shm_risk *k, const struct risk_book *book,
	    bool have_pos, double mark, const struct risk_eval *ev,
	    int64_t now_real);
const char *risk_cause_name(enum risk_cause c);
/* Is the cause of a latch gone (it could be cleared now)? */
bool	risk_eval_cause_gone(const struct risk_eval *ev, enum risk_cause c);

/* ---- arithmetic ------------------------------------------------------- */

/*
 * Market steps to sell (long) or buy (short) so that |position| x mark is
 * back within limit: (|position| - limit / mark) rounded UP to the step
 * (MARKET_LOT_SIZE when the filters have it, else LOT_SIZE), at least the
 * minimum quantity, at most the position (rounded up: reduce-only never
 * flips it) and the maximum quantity. 0 when already inside or bad input.
 */
int64_t	risk_excess_steps(const struct bn_filters *f, double position,
	    double mark, double limit);
/* The whole position in market steps (bounded the same way). */
int64_t	risk_close_steps(const struct bn_filters *f, double position);
/* The market-order view of f: step, min and max from MARKET_LOT_SIZE. */
void	risk_market_lot(const struct bn_filters *f, struct bn_filters *out);

/*
 * Client id of a risk order: "<instance>-X-<seq base 36>", at most 36 of
 * [A-Za-z0-9_-]. The order service's ids are "<instance>-<B|S><level>-..."
 * so neither mistakes the other's orders for its own. Length or -1.
 */
int	risk_cid_make(char *buf, size_t len, const char *instance,
	    uint64_t seq);
bool	risk_cid_is(const char *cid, const char *instance);

/*
 * Which open orders are this instance's: the order service's ladder ids
 * (strat_cid_ours) and risk's own (risk_cid_is); nothing else, not even an
 * id that merely starts with "<instance>-" (another instance may be named
 * "<instance>-2"). Copies up to cap client ids, counts the others in
 * *others; returns the number of ours (may exceed cap).
 */
int	risk_own_orders(const struct bn_order *os, int n, const char *instance,
	    char cids[][PMM_ID_MAX], int cap, int *others);

#endif
