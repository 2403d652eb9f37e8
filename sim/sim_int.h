/*
 * sim_int.h — internals shared by the core files of pmm-exchange
 * (book.c, extbook.c, account.c, filters.c, mkt_synth.c, mkt_replay.c,
 * exch.c) and by their unit tests and benchmarks. The wire side uses
 * exch.h only.
 *
 * Inside the core every price is an integer number of ticks and every
 * quantity an integer number of lots (steps) of its symbol, so matching
 * and filter checks are exact; doubles appear only at the API boundary.
 */
#ifndef PMM_SIM_INT_H
#define PMM_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exch.h"

#define BK_BID	0
#define BK_ASK	1
#define BK_NIL	UINT32_MAX

/* ------------------------------------------------------------------ */
/* Outside market book (extbook.c)                                     */

struct ext_level { int64_t px, qty; };

/*
 * Levels are kept sorted with the best price LAST (bids ascending, asks
 * descending) so the busy end of the book moves without memmove. The top
 * of book comes from bookTicker and may be fresher than the diff-depth
 * levels; liquidity is the top plus the depth levels behind it.
 */
struct ext_book {
	struct ext_level *lv[2];
	int	n[2], cap[2];
	int64_t	last_u;			/* depth: last applied u */
	int64_t	top_px[2], top_qty[2];	/* bookTicker */
	int64_t	top_u;
	int64_t	top_ms;
	bool	top_valid;
};

void	ext_init(struct ext_book *);
void	ext_free(struct ext_book *);
void	ext_clear(struct ext_book *);
/* Set one depth level; qty 0 deletes it. -1 on allocation failure. */
int	ext_set(struct ext_book *, int side, int64_t px, int64_t qty);
/* Quantity resting at px on side in the merged view (top + depth). */
int64_t	ext_qty_at(const struct ext_book *, int side, int64_t px);
/* Quantity of the depth level at px (ignoring the bookTicker top). */
int64_t	ext_qty_at_depth(const struct ext_book *, int side, int64_t px);
/* Best price on side (merged view), false if the side is empty. */
bool	ext_best(const struct ext_book *, int side, int64_t *px, int64_t *qty);
/* Make the top the bookTicker's; depth levels it has crossed are then
 * ignored by the merged view (not deleted: the diff stream owns them). */
void	ext_set_top(struct ext_book *, int64_t bid, int64_t bidq, int64_t ask,
	    int64_t askq, int64_t u, int64_t ms);
/* Top from the depth levels (synthetic and manual books). */
void	ext_top_from_depth(struct ext_book *);

/* Walk the merged liquidity of one side, best first. */
struct ext_iter {
	const struct ext_book *b;
	int	side;
	int	idx;			/* next depth index, counting down */
	bool	top_done;
};
void	ext_iter_init(struct ext_iter *, const struct ext_book *, int side);
bool	ext_iter_next(struct ext_iter *, int64_t *px, int64_t *qty);

/* ------------------------------------------------------------------ */
/* Client order book (book.c)                                          */

#define BK_F_REDUCE	0x01

struct bk_order {
	int64_t	id;
	int64_t	px;			/* ticks; limit price (0 for MARKET) */
	int64_t	qty;			/* remaining lots */
	int64_t	orig;			/* lots */
	int64_t	exec;			/* executed lots */
	int64_t	queue;			/* outside lots ahead at px */
	int64_t	seen;			/* outside lots at px, last accounted */
	double	cum_quote;		/* USDT */
	int64_t	time_ms, update_ms, gtd_ms;
	uint32_t prev, next;		/* FIFO within the level */
	uint32_t aprev, anext;		/* the account's orders (exch.c) */
	uint32_t level;			/* level slot */
	uint32_t self;			/* own pool index */
	uint16_t acct;
	uint8_t	side, type, tif, status, stp, flags;
	bool	resting;
	uint16_t mods;			/* amendments so far (at most 10000) */
	char	cid[EXCH_CIDLEN];
};

struct bk_level {
	int64_t	px;
	int64_t	qty;			/* total lots of client orders */
	uint32_t head, tail;
	uint32_t n;
	uint32_t next_free;
};

struct book;

struct book *book_new(uint32_t cap_hint);
void	book_free(struct book *);
/* A zeroed order node that stays put in memory until released. */
struct bk_order *book_alloc(struct book *);
/* Give back a node that never rested (rejected or fully matched). */
void	book_release(struct book *, struct bk_order *);
/* Rest o (px, side, qty, id, acct, cid set) at the back of its level. */
int	book_insert(struct book *, struct bk_order *);
/* Take a resting order out of the book and release it. */
void	book_remove(struct book *, struct bk_order *);
/* Take a resting order out of the book, keeping the node (an amended
 * order goes back in with book_insert(): at the back of its level). */
void	book_unlink(struct book *, struct bk_order *);
struct bk_order *book_find(const struct book *, int64_t id);
struct bk_order *book_find_cid(const struct book *, unsigned acct,
	    const char *cid);
struct bk_order *book_best(const struct book *, int side);
/* Next order in priority order after o (same level FIFO, then worse). */
struct bk_order *book_next(const struct book *, const struct bk_order *);
uint32_t book_count(const struct book *);
/* Resting level at px on side, NULL if none. */
struct bk_level *book_level(const struct book *, int side, int64_t px);
struct bk_order *book_order(const struct book *, uint32_t idx);
/* Iterate all resting orders: idx from 0 while < book_pool_size(). */
uint32_t book_pool_size(const struct book *);
/* Lower a resting order's remaining quantity (fills) keeping level sums. */
void	book_reduce(struct book *, struct bk_order *, int64_t lots);

/*
 * Matching (the fill model is described at the top of book.c). The
 * engine supplies these hooks; book.c decides who trades with whom, at
 * what price and how much, updates qty/exec on the orders and the level
 * sums, and removes filled makers after fill() returns.
 */
struct bk_hooks {
	void	*arg;
	/* Largest number of lots o may still trade (reduce-only caps). */
	int64_t	(*cap)(void *arg, const struct bk_order *o, int64_t lots);
	/* A fill of lots at px. maker or taker is NULL when it is the
	 * outside market. Called after qty/exec were updated. */
	void	(*fill)(void *arg, struct bk_order *maker, struct bk_order *taker,
		    int64_t lots, int64_t px);
	/* Self-trade prevention expired o (maker or taker). */
	void	(*stp_expire)(void *arg, struct bk_order *o);
};

/* What a taker would find: lots available within its limit. */
int64_t	book_taker_liquidity(const struct book *, const struct ext_book *,
	    const struct bk_order *taker, int64_t want);
/* Would the taker trade at all (GTX check)? */
bool	book_taker_crosses(const struct book *, const struct ext_book *,
	    const struct bk_order *taker);
/* Match an incoming order; returns true if STP expired the taker. */
bool	book_match_taker(struct book *, const struct ext_book *,
	    struct bk_order *taker, const struct bk_hooks *);
/* An outside trade of lots at px; buyer_maker = sell aggressor. */
void	book_on_ext_trade(struct book *, int64_t px, int64_t lots,
	    bool buyer_maker, const struct bk_hooks *);
/* The outside top moved: fill client orders it crossed. */
void	book_on_ext_top(struct book *, const struct ext_book *,
	    const struct bk_hooks *);
/* An outside level changed: move queue positions at px (the model). */
void	book_on_ext_level(struct book *, int side, int64_t px, int64_t qty);
/* The queue model (exch.h's enum exch_queue) and its power n >= 1. */
void	book_set_queue_model(struct book *, int model, double power);
/*
 * The queue ahead of an order after its outside level went from seen to
 * qty lots with no trade (cancels): pure, for the engine and its tests.
 */
int64_t	book_queue_after(int model, double power, int64_t front,
	    int64_t seen, int64_t qty);
/* Queue position for an order about to rest at px on side. */
int64_t	book_queue_for(const struct ext_book *, int side, int64_t px);

/* ------------------------------------------------------------------ */
/* Filters (filters.c)                                                 */

/* Convert a double to a whole number of units of size; false if it is
 * not a multiple (within a relative 1e-9). */
bool	flt_to_units(double v, double size, int64_t *units);
/* Decimal places a value needs (0..16). */
int	flt_decimals(double v);

struct flt_order {
	enum exch_side side;
	enum exch_otype type;
	double	price, qty;
	bool	reduce_only;
	double	mark;			/* 0 when unknown */
	double	best_opposite;		/* for MARKET -4131; 0 unknown */
	double	last_price;		/* MARKET notional; 0 unknown */
};
/* Check PRICE_FILTER, LOT_SIZE/MARKET_LOT_SIZE, MIN_NOTIONAL and
 * PERCENT_PRICE; on success px/lots hold the order in ticks/lots. */
int	flt_check(const struct exch_symbol_spec *, const struct flt_order *,
	    int64_t *px, int64_t *lots, struct exch_err *);
/* clientOrderId syntax ^[.A-Z:/a-z0-9_-]{1,36}$ */
bool	flt_cid_valid(const char *);

/* ------------------------------------------------------------------ */
/* Accounts (account.c)                                                */

struct acct_pos {
	int64_t	amt;			/* lots, signed */
	double	entry;			/* price */
	double	cum_realized;
	int	leverage;
	int	open_orders;
	int64_t	buy_lots, sell_lots;	/* resting lots */
	double	buy_notional, sell_notional;	/* USDT at order prices */
	int64_t	update_ms;
	uint32_t ohead;			/* first resting order (pool index) */
	int64_t	countdown_ms;		/* countdownCancelAll, 0 off */
	int64_t	countdown_deadline_ns;
};

/*
 * A bounded history, oldest first: grows by doubling up to max elements,
 * then each push overwrites the oldest. Memory follows use, so an idle
 * account costs nothing and a busy one at most max elements.
 */
struct acct_ring {
	unsigned char *buf;
	size_t	esz;			/* element size */
	int	cap, max;		/* allocated, allowed */
	int	head, n;		/* oldest slot, elements held */
	uint64_t dropped;		/* overwritten (or lost to ENOMEM) */
};

void	acct_ring_init(struct acct_ring *, size_t esz, int max);
void	acct_ring_free(struct acct_ring *);
/* Slot for a new newest element (zeroed); NULL only when max is 0. */
void	*acct_ring_push(struct acct_ring *);
/* Element i, 0 = oldest; NULL out of range. */
void	*acct_ring_at(const struct acct_ring *, int i);

/* One fill of the account: what its ORDER_TRADE_UPDATE carried. */
struct acct_trade {
	int64_t	id;			/* t */
	int64_t	order_id;		/* i */
	int64_t	time_ms;		/* T */
	int64_t	px, lots;		/* L, l in ticks and lots */
	double	commission;		/* n */
	double	rp;			/* rp */
	uint8_t	sym, side;
	bool	maker;			/* m */
};

/* One change of the wallet, as GET /fapi/v1/income lists it. */
struct acct_income {
	int64_t	tran_id;
	int64_t	time_ms;
	int64_t	trade_id;		/* 0 when none */
	double	income;			/* USDT, signed */
	uint8_t	type;			/* enum exch_income_type */
	int8_t	sym;			/* -1: no symbol (TRANSFER) */
};

/* An order that left the book (filled, canceled, expired). */
struct acct_closed {
	struct exch_order o;
	int	sym;
};

struct exch_account {
	int	id;
	char	key[EXCH_KEYLEN];
	char	secret[EXCH_KEYLEN];
	double	wallet;			/* USDT */
	int64_t	update_ms;
	struct acct_pos pos[EXCH_SYM_MAX];
	struct acct_ring trades;	/* struct acct_trade, by id per symbol */
	struct acct_ring closed;	/* struct acct_closed, by closing time */
	struct acct_ring income;	/* struct acct_income, by time */
	int64_t	income_seq;		/* last tranId handed out */
};

/* What the account module needs to know about one symbol. */
struct acct_sym {
	const struct exch_symbol_spec *spec;
	double	mark;
};

/* Fill lots (signed: + buy, - sell) at price; returns the realized PnL
 * (before fees) and updates amount, entry, wallet (pnl - fee). */
double	acct_fill(struct exch_account *, int sym, const struct acct_sym *,
	    int64_t signed_lots, double price, double fee);
/* Settle one funding interval on sym: the position pays
 * amount x mark x rate (receives when that is negative), rounded to the
 * wallet's 8 decimals; the payment (signed, as the wallet sees it) goes
 * to the wallet and is returned. 0 when flat or without a mark. */
double	acct_funding(struct exch_account *, int sym, const struct acct_sym *,
	    double rate);
/* Initial margin of the open orders on one symbol. */
double	acct_order_im(const struct acct_pos *, const struct acct_sym *);
double	acct_position_im(const struct acct_pos *, const struct acct_sym *);
double	acct_upnl(const struct acct_pos *, const struct acct_sym *);
/* Fill an exch_position / exch_account_info. */
void	acct_position(const struct exch_account *, int sym,
	    const struct acct_sym *syms, int nsyms, double taker_fee,
	    struct exch_position *);
void	acct_info(const struct exch_account *, const struct acct_sym *syms,
	    int nsyms, struct exch_account_info *);
/* Available balance (cross): wallet + uPnL - position IM - order IM. */
double	acct_available(const struct exch_account *,
	    const struct acct_sym *syms, int nsyms);
/* Add or remove a resting order's lots in the margin sums. */
void	acct_order_add(struct acct_pos *, int side, int64_t lots, double notional);
void	acct_order_sub(struct acct_pos *, int side, int64_t lots, double notional);
/* Break-even and liquidation price (approximations, see account.c). */
double	acct_break_even(const struct acct_pos *, double taker_fee);
double	acct_liq_price(const struct exch_account *, int sym,
	    const struct acct_sym *syms, int nsyms);

/* ------------------------------------------------------------------ */
/* Market sources (mkt_synth.c, mkt_replay.c)                          */

/* Where a source delivers events; prices in ticks, quantities in lots. */
struct mkt_sink {
	void	*arg;
	void	(*book_ticker)(void *arg, int sym, int64_t t_ns, int64_t u,
		    int64_t bid, int64_t bidq, int64_t ask, int64_t askq,
		    const char *raw, size_t rawlen);
	void	(*trade)(void *arg, int sym, int64_t t_ns, int64_t id,
		    int64_t px, int64_t lots, bool buyer_maker,
		    const char *raw, size_t rawlen);
	/* A diff (U, u, pu) or, with snapshot, a whole book (U = pu = 0). */
	void	(*depth)(void *arg, int sym, int64_t t_ns, int64_t U, int64_t u,
		    int64_t pu, const struct ext_level *b, int nb,
		    const struct ext_level *a, int na, bool snapshot,
		    const char *raw, size_t rawlen);
	/* A recorded markPrice: mark, index, est. settle price, funding
	 * rate and next funding time (ms, as recorded). */
	void	(*mark)(void *arg, int sym, int64_t t_ns, double p, double i,
		    double P, double r, int64_t T_ms, const char *raw,
		    size_t rawlen);
};

struct synth;
struct synth *synth_new(const struct exch_synth_opts *, int sym,
	    const struct exch_symbol_spec *, int64_t start_ns);
void	synth_free(struct synth *);
int64_t	synth_next_ns(const struct synth *);
/* Emit the next event (and the depth batch due with it). */
void	synth_step(struct synth *, const struct mkt_sink *);
/* Move the clocks to t_ns without generating the events in between. */
void	synth_skip(struct synth *, int64_t t_ns);
/* Jump the book to a 1-tick spread at price (admin), publishing it. */
void	synth_set_mid(struct synth *, double price, int64_t t_ns,
	    const struct mkt_sink *);

struct replay;
/* syms: the engine's symbols (lines for others are skipped). */
struct replay *replay_open(const struct exch_replay_opts *,
	    const struct exch_symbol_spec *syms, int nsyms, int64_t start_ns);
void	replay_close(struct replay *);
/* Time the next line is due (engine clock), 0 at max speed, INT64_MAX at
 * the end. */
int64_t	replay_next_ns(const struct replay *);
/* Parse and deliver the next line; 0 ok, 1 end of file, -1 error. The
 * event time is the line's place on the replay timeline. */
int	replay_step(struct replay *, const struct mkt_sink *);
bool	replay_done(const struct replay *);
/* Lines read, lines skipped as malformed. */
void	replay_stats(const struct replay *, uint64_t *lines, uint64_t *bad);
/* Recorded time from the first line to the last one read, ns. */
int64_t	replay_span_ns(const struct replay *);
/* Events delivered (bookTickers, trades, depth updates and snapshots,
 * markPrices). */
uint64_t replay_events(const struct replay *);

/*
 * The recorded line being delivered (call from inside a sink callback):
 * its local receive time (ns) and the exchange's event time E (ms, 0 when
 * the line has none), as recorded, whatever the replay's timeline.
 */
void	replay_line_times(const struct replay *, int64_t *recv_ns,
	    int64_t *e_ms);
/* Receive time of the first line (ns): the recording's t_0. */
int64_t	replay_first_ns(const struct replay *);
/*
 * Go on with another recording (several files in a row): at the end of
 * the current one, path is opened and replayed on the same timeline —
 * its own spacing kept, and never before the last line delivered. 0, or
 * -1 (logged) when path is not a recording.
 */
int	replay_chain(struct replay *, const char *path);

/* ------------------------------------------------------------------ */
/* The binary form of a recording (mkt_bin.c; layout at its top)       */

#define MKB_MAGIC	"PMMMKT1"	/* 8 bytes with its NUL */
#define MKB_VERSION	1
#define MKB_HEADER_SIZE	128
#define MKB_REC_SIZE	64
#define MKB_LV_PER_REC	4
#define MKB_LV_MAX	100000		/* levels per side of one record */

enum mkb_type {
	MKB_BOOK_TICKER = 1,
	MKB_TRADE = 2,
	MKB_DEPTH = 3,
	MKB_SNAPSHOT = 4,
	MKB_LEVELS = 5,
	MKB_MARK = 6,
};
#define MKB_F_BUYER_MAKER	0x01

struct mkb_header {
	char	magic[8];
	uint32_t version;
	uint32_t rec_size;
	char	symbol[16];
	double	tick, step;
	uint64_t nrec;			/* records after the header */
	uint64_t nevents;		/* market events among them */
	int64_t	first_ns, last_ns;	/* receive times */
	uint8_t	pad[48];
};

struct mkb_rec {
	int64_t	recv_ns;
	int64_t	e_ms;
	uint8_t	type;			/* enum mkb_type */
	uint8_t	flags;
	uint8_t	pad[6];
	int64_t	v[5];
};

struct mkb_reader {
	void	*map;
	size_t	len;
	const struct mkb_header *hdr;
	const struct mkb_rec *rec;
	uint64_t n, i;			/* records, next one */
};

/* Does the file start with the binary form's magic? */
bool	mkb_is_binary(const char *path);
/* Map and check a file; -1 with err naming the file and what is wrong. */
int	mkb_open(struct mkb_reader *, const char *path, char *err,
	    size_t errlen);
void	mkb_close(struct mkb_reader *);
/* The next whole event record (NULL at the end, or with err set when
 * the file is damaged there), and past it. */
const struct mkb_rec *mkb_peek(const struct mkb_reader *, char *err,
	    size_t errlen);
void	mkb_skip(struct mkb_reader *, const struct mkb_rec *);
/* A double stored as its bits in a record's v[]. */
double	mkb_double(int64_t bits);

struct mkb_writer {
	FILE	*fp;
	struct mkb_header h;
	bool	failed;
};
int	mkb_writer_open(struct mkb_writer *, const char *path,
	    const char *symbol, double tick, double step);
void	mkb_write_bt(struct mkb_writer *, int64_t recv_ns, int64_t e_ms,
	    int64_t u, int64_t bid, int64_t bidq, int64_t ask, int64_t askq);
void	mkb_write_trade(struct mkb_writer *, int64_t recv_ns, int64_t e_ms,
	    int64_t id, int64_t px, int64_t lots, bool buyer_maker);
void	mkb_write_depth(struct mkb_writer *, int64_t recv_ns, int64_t e_ms,
	    int64_t U, int64_t u, int64_t pu, const struct ext_level *b, int nb,
	    const struct ext_level *a, int na, bool snapshot);
void	mkb_write_mark(struct mkb_writer *, int64_t recv_ns, int64_t e_ms,
	    double p, double i, double P, double r, int64_t T_ms);
/* Header with its counts, flush, fsync, close: 0, or -1 (errno). */
int	mkb_writer_close(struct mkb_writer *);

/* Small seeded PRNG (xoshiro256**), shared by synth and tests. */
struct rng { uint64_t s[4]; };
void	rng_seed(struct rng *, uint64_t seed);
uint64_t rng_next(struct rng *);
double	rng_unit(struct rng *);		/* [0, 1) */
double	rng_normal(struct rng *);
double	rng_exp(struct rng *, double mean);

#endif
