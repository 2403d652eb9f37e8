/*
 * exch.h — the core of pmm-exchange: the engine API the wire side calls.
 *
 * The core is pure C with no sockets: symbol specs and filters, accounts
 * with one-way positions, margin and fees, a price-time-priority book of
 * client orders matched against an "outside" market, Binance's rate
 * limits, and two market sources (a seeded synthetic market, or a replay
 * of recorded combined-stream files). The wire side (HTTP/WS server, JSON,
 * signatures) parses requests into the structs below, calls these
 * functions, and turns the results and the callbacks into Binance JSON.
 *
 * Conventions
 * - Prices and quantities cross this API as doubles; the engine keeps them
 *   as integer ticks and lots inside, so a value that is not a multiple of
 *   the tick/step is rejected, never silently rounded. Format them back
 *   with the symbol's precision (exch_fmt()).
 * - Times: *_ms are epoch milliseconds as Binance sends them; *_ns are
 *   epoch nanoseconds. "Now" comes from the clock hook in exch_opts
 *   (CLOCK_REALTIME by default) so tests can drive a fake clock.
 * - Every call that can fail for a client-visible reason fills a
 *   struct exch_err with Binance's HTTP status, code and exact message,
 *   and returns -1. Success returns 0 (or a count).
 * - Callbacks (market data, user data) fire synchronously from inside
 *   exch_step() and from the order calls (a placed order emits its NEW and
 *   TRADE updates before exch_order_place() returns). Callbacks must not
 *   call back into the engine; copy what you need. Pointers in events are
 *   valid only during the callback.
 * - Not thread-safe: one engine, one thread (the wire side's event loop).
 *
 * CHANGES: (notes for the wire side when this API changes; newest first)
 * - exch_mkt_event gained rec_recv_ns/rec_E_ms (a replayed line's own
 *   receive and event times, for feed latency); exch_replay_chain() plays
 *   several recordings in a row; a replay also reads the binary form of
 *   sim/mkt_bin.c, and a truncated gzip fails the step (-1).
 * - Funding: perpetual positions pay or receive funding every
 *   funding_interval_ms (8 h, on the engine clock's epoch grid) at the
 *   mark price, as ACCOUNT_UPDATE "FUNDING_FEE" (balance only, bc = the
 *   payment); funding_rate is the synthetic/manual rate, a replay uses its
 *   recorded markPrice r. markPrice events carry the rate and the engine's
 *   next funding time. exch_income() answers GET /fapi/v1/income
 *   (FUNDING_FEE, COMMISSION, REALIZED_PNL, TRANSFER), income_keep bounds it.
 * - Fees as Binance's VIP tiers: exch_fee_tier(), exch_opts_fee_tier();
 *   maker_fee/taker_fee stay the fees in force (VIP 0 by default).
 * - exch_user_trades() and exch_all_orders() (GET /fapi/v1/userTrades,
 *   /fapi/v1/allOrders); closed orders are now kept per account
 *   (closed_keep per account, was per symbol), fills in trades_keep.
 * - exch_next_due_ns() also reports markPrice and countdown deadlines.
 * - Replayed depth diffs carry their levels (REQUESTS.md 3, fixed in
 *   931616b: LEJP keeps the member's path match inside its arrays).
 * - exch_synth_set_mid() added (REQUESTS.md 1); exch_new() emits nothing
 *   (REQUESTS.md 2, now said at exch_new()).
 * - exch_mkt_event gained raw/raw_len (replayed line's JSON, or NULL).
 */
#ifndef PMM_EXCH_H
#define PMM_EXCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXCH_SYM_MAX		8	/* symbols per engine */
#define EXCH_ACCT_MAX		64	/* accounts per engine */
#define EXCH_SYMLEN		16	/* "BTCUSDT" + NUL, with room */
#define EXCH_CIDLEN		37	/* clientOrderId: 36 chars + NUL */
#define EXCH_KEYLEN		129	/* API key / secret: 128 chars + NUL */
#define EXCH_MSGLEN		256	/* error message */

/* ------------------------------------------------------------------ */
/* Enums, each with Binance's spelling via *_str() and a parser.       */

enum exch_side { EXCH_BUY = 0, EXCH_SELL = 1 };
enum exch_otype { EXCH_LIMIT = 0, EXCH_MARKET = 1 };
enum exch_tif { EXCH_GTC = 0, EXCH_IOC, EXCH_FOK, EXCH_GTX, EXCH_GTD };
enum exch_status {
	EXCH_ST_NEW = 0,
	EXCH_ST_PARTIALLY_FILLED,
	EXCH_ST_FILLED,
	EXCH_ST_CANCELED,
	EXCH_ST_EXPIRED,
	EXCH_ST_EXPIRED_IN_MATCH,	/* self-trade prevention expired it */
};
/* ORDER_TRADE_UPDATE "x" */
enum exch_exec {
	EXCH_X_NEW = 0,
	EXCH_X_CANCELED,
	EXCH_X_CALCULATED,
	EXCH_X_EXPIRED,
	EXCH_X_TRADE,
	EXCH_X_AMENDMENT,
};
/* selfTradePreventionMode; NONE is the default when not sent. */
enum exch_stp {
	EXCH_STP_NONE = 0,
	EXCH_STP_EXPIRE_TAKER,
	EXCH_STP_EXPIRE_MAKER,
	EXCH_STP_EXPIRE_BOTH,
};
/* positionSide: the engine runs one-way mode, so only BOTH is accepted. */
enum exch_pside { EXCH_PS_BOTH = 0, EXCH_PS_LONG, EXCH_PS_SHORT };

const char *exch_side_str(enum exch_side);
const char *exch_otype_str(enum exch_otype);
const char *exch_tif_str(enum exch_tif);
const char *exch_status_str(enum exch_status);
const char *exch_exec_str(enum exch_exec);
const char *exch_stp_str(enum exch_stp);
const char *exch_pside_str(enum exch_pside);
/* Parsers return 0, or -1 for an unknown spelling (exact, upper case). */
int	exch_side_parse(const char *, enum exch_side *);
int	exch_otype_parse(const char *, enum exch_otype *);
int	exch_tif_parse(const char *, enum exch_tif *);
int	exch_stp_parse(const char *, enum exch_stp *);
int	exch_pside_parse(const char *, enum exch_pside *);

/* ------------------------------------------------------------------ */
/* Errors                                                              */

struct exch_err {
	int	http;			/* 400, 429, 418, ... */
	int	code;			/* Binance code, e.g. -4014 */
	char	msg[EXCH_MSGLEN];	/* Binance's message, exact */
};

/* Fill e with a Binance error; msg is printf-style. Returns -1. */
int	exch_err_set(struct exch_err *e, int http, int code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Codes the engine produces (message texts are in exch.c / filters.c,
 * taken from Binance's USD-M error-code page or real responses):
 * -1102 mandatory parameter, -1106 parameter not required, -1111
 * precision, -1121 invalid symbol, -2011 unknown order (cancel), -2013
 * order does not exist (query), -2019 margin, -2022 reduce-only, -2025 max
 * open orders, -4001/-4003 price/qty <= 0, -4002/-4013 price out of
 * range, -4004/-4005 qty out of range, -4014 tick, -4015 client id,
 * -4016/-4024 PERCENT_PRICE for limit prices, -4023 step, -4028 leverage,
 * -4061 position side, -4116 duplicate client id, -4131 PERCENT_PRICE for
 * market orders, -4164 min notional, -5021 FOK, -5022 post-only, -5040 GTD.
 * Rate limits: -1003 (429/418), -1015 (429).
 */

/* ------------------------------------------------------------------ */
/* Symbol specifications (sim/filters.c)                               */

/* One leverage bracket, as GET /fapi/v1/leverageBracket reports it. */
struct exch_bracket {
	int	initial_leverage;
	double	notional_floor;
	double	notional_cap;
	double	maint_margin_ratio;
	double	cum;			/* maintenance amount */
};
#define EXCH_BRACKET_MAX	12

struct exch_symbol_spec {
	char	symbol[EXCH_SYMLEN];	/* "BTCUSDT" */
	char	base[8], quote[8];	/* "BTC", "USDT" */
	int	price_precision;	/* pricePrecision */
	int	qty_precision;		/* quantityPrecision */
	/* PRICE_FILTER */
	double	tick_size, min_price, max_price;
	/* LOT_SIZE */
	double	step_size, min_qty, max_qty;
	/* MARKET_LOT_SIZE */
	double	mkt_step_size, mkt_min_qty, mkt_max_qty;
	/* MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS */
	int	max_num_orders, max_num_algo_orders;
	/* MIN_NOTIONAL */
	double	min_notional;
	/* PERCENT_PRICE */
	double	pct_up, pct_down;
	int	pct_decimal;
	/* exchangeInfo extras */
	double	maint_margin_pct;	/* "maintMarginPercent" */
	double	required_margin_pct;	/* "requiredMarginPercent" */
	double	liquidation_fee;
	double	market_take_bound;
	double	trigger_protect;
	int64_t	onboard_date_ms;
	int64_t	delivery_date_ms;
	/* leverage brackets, highest leverage first */
	int	nbrackets;
	struct exch_bracket brackets[EXCH_BRACKET_MAX];
	/* where the synthetic market starts */
	double	start_price;
};

/* Built-in spec for a known symbol (BTCUSDT, ETHUSDT); NULL if unknown. */
const struct exch_symbol_spec *exch_spec_builtin(const char *symbol);
/* Max notional allowed at a leverage (1..125), from the brackets. */
double	exch_spec_max_notional(const struct exch_symbol_spec *, int leverage);
/* Bracket that applies to a position notional. */
const struct exch_bracket *exch_spec_bracket(const struct exch_symbol_spec *,
	    double notional);
/* printf a price or quantity with the symbol's precision. */
int	exch_fmt(char *buf, size_t len, double v, int precision);

/* ------------------------------------------------------------------ */
/* Rate limits (sim/ratelimit.c)                                       */

/*
 * Binance's model: request weight per IP per minute, new orders per
 * account per 10 s and per minute, in fixed windows aligned to the epoch
 * (a counter resets when its minute / 10 s starts), which is what the
 * X-MBX-* headers show. Over the limit: HTTP 429. A client that keeps
 * sending while limited is banned: HTTP 418 until banned_until, the
 * ban doubling on each repeat from ban_first_ms up to ban_max_ms.
 */
struct exch_rl_limits {
	int	weight_1m;		/* 2400 */
	int	orders_10s;		/* 300 */
	int	orders_1m;		/* 1200 */
	int	ban_after;		/* 429'd requests in one window before a ban (10) */
	int64_t	ban_first_ms;		/* first ban: 2 min */
	int64_t	ban_max_ms;		/* cap: 3 days */
};

struct exch_rl_result {
	int	http;			/* 200 (allowed), 429 or 418 */
	int	code;			/* 0, -1003 or -1015 */
	char	msg[EXCH_MSGLEN];
	/* header values after counting this request */
	int	used_weight_1m;		/* X-MBX-USED-WEIGHT-1M */
	int	order_count_10s;	/* X-MBX-ORDER-COUNT-10S (-1: no account) */
	int	order_count_1m;		/* X-MBX-ORDER-COUNT-1M  (-1: no account) */
	int	retry_after_s;		/* Retry-After header when 429/418 */
	int64_t	banned_until_ms;	/* 418 only */
};

struct rl;
void	rl_limits_default(struct exch_rl_limits *);
struct rl *rl_new(const struct exch_rl_limits *);
void	rl_free(struct rl *);
/*
 * Account one request from ip (and from account, NULL for unsigned
 * endpoints) costing weight and creating orders new orders (0, 1, or the
 * batch size). Returns 0 when allowed, -1 when rejected (out says why).
 */
int	rl_request(struct rl *, const char *ip, const char *account, int weight,
	    int orders, int64_t now_ns, struct exch_rl_result *out);
/* Header values without counting anything (for responses that don't count). */
void	rl_peek(struct rl *, const char *ip, const char *account, int64_t now_ns,
	    struct exch_rl_result *out);
/* Admin/fault injection: forget all counters and bans. */
void	rl_reset(struct rl *);

/* ------------------------------------------------------------------ */
/* Engine options                                                      */

enum exch_mkt_kind {
	EXCH_MKT_SYNTH = 0,	/* seeded synthetic market (sim/mkt_synth.c) */
	EXCH_MKT_REPLAY,	/* recorded file (sim/mkt_replay.c) */
	EXCH_MKT_MANUAL,	/* none: tests/admin drive it with exch_ext_*() */
};

struct exch_synth_opts {
	uint64_t seed;			/* same seed -> same event sequence */
	double	vol_mult;		/* multiplier on the calibrated volatility */
	double	quote_rate_hz;		/* bookTicker updates per second */
	double	trade_rate_hz;		/* trades per second */
	int	depth_levels;		/* levels per side kept in the book */
	int64_t	depth_interval_ms;	/* batch depth diffs (Binance @100ms) */
	int64_t	mark_interval_ms;	/* markPrice cadence (1000 = @1s) */
};

struct exch_replay_opts {
	char	path[4096];		/* "<ns> <combined JSON>" lines, gz or plain */
	double	speed;			/* 1 = real time, 10 = 10x, 0 = max speed */
	bool	loop;			/* start over at the end (ids stay monotonic) */
	int	max_batch;		/* lines per exch_step at max speed (1024) */
};

struct exch_account_opts {
	char	api_key[EXCH_KEYLEN];
	char	secret[EXCH_KEYLEN];
	double	usdt;			/* starting wallet balance */
	int	leverage;		/* starting leverage, all symbols (20) */
};

/*
 * Where a resting order stands in the outside queue at its price when the
 * level shrinks without a trade (cancels): see sim/book.c's fill model, 3.
 */
enum exch_queue {
	EXCH_QUEUE_PESSIMISTIC = 0,	/* cancels are behind us, as far as
					   the level allows */
	EXCH_QUEUE_PROB,		/* a power law of the sizes ahead and
					   behind says how much was ahead */
};

struct exch_opts {
	int	nsymbols;
	struct exch_symbol_spec symbols[EXCH_SYM_MAX];
	int	naccounts;
	struct exch_account_opts accounts[EXCH_ACCT_MAX];
	enum exch_queue queue_model;	/* EXCH_QUEUE_PESSIMISTIC */
	double	queue_power;		/* n of the power law (2) */
	double	maker_fee;		/* 0.0002 (VIP 0), see exch_opts_fee_tier() */
	double	taker_fee;		/* 0.0005 */
	/* Funding: settled at every multiple of funding_interval_ms since the
	 * epoch on the engine clock (8 h: 00:00, 08:00, 16:00 UTC) on each
	 * position at the symbol's mark price. funding_rate is the rate of
	 * the synthetic and manual markets, and of a replay until its
	 * recording gives one (a markPrice line's r). */
	double	funding_rate;		/* 0.0001 = 0.01 % per interval */
	int64_t	funding_interval_ms;	/* 28800000; <= 0 means that */
	enum exch_mkt_kind market;
	struct exch_synth_opts synth;
	struct exch_replay_opts replay;
	struct exch_rl_limits rl;
	int64_t	first_order_id;		/* first orderId handed out */
	int	closed_keep;		/* closed orders kept queryable per account */
	int	trades_keep;		/* fills kept per account (userTrades) */
	int	income_keep;		/* income records kept per account */
	int	max_orders;		/* capacity of the order pool (all books) */
	/* "what time is it": epoch ns. NULL = CLOCK_REALTIME. */
	int64_t	(*clock)(void *arg);
	void	*clock_arg;
};

/* Defaults: BTCUSDT + ETHUSDT, no accounts, fees 0.02%/0.05% (VIP 0),
 * funding 0.01 % every 8 h, synth seed 1. */
void	exch_opts_default(struct exch_opts *);
/* Binance USD-M VIP fee tiers 0..9 (EXCH_FEE_TIERS): maker and taker
 * rates of a tier, -1 out of range; exch_opts_fee_tier() sets both fees
 * of o from it (override either afterwards to depart from the table). */
#define EXCH_FEE_TIERS		10
int	exch_fee_tier(int tier, double *maker, double *taker);
int	exch_opts_fee_tier(struct exch_opts *, int tier);
/* Add a built-in symbol by name; -1 if unknown or full. */
int	exch_opts_add_symbol(struct exch_opts *, const char *symbol);
/* Add an account; -1 if full or a key/secret is too long. */
int	exch_opts_add_account(struct exch_opts *, const char *api_key,
	    const char *secret, double usdt);

/* ------------------------------------------------------------------ */
/* Records the engine hands out                                        */

struct exch_order {
	int64_t	order_id;
	char	client_id[EXCH_CIDLEN];
	char	symbol[EXCH_SYMLEN];
	enum exch_side side;
	enum exch_otype type;		/* also origType */
	enum exch_tif tif;
	enum exch_status status;
	enum exch_stp stp;
	enum exch_pside pside;
	double	price;			/* 0 for MARKET */
	double	orig_qty;
	double	executed_qty;		/* also cumQty */
	double	cum_quote;
	double	avg_price;		/* 0 until filled */
	double	stop_price;		/* always 0 (no stop orders) */
	bool	reduce_only;
	bool	close_position;		/* always false */
	bool	price_protect;		/* always false */
	int64_t	time_ms;		/* creation */
	int64_t	update_time_ms;
	int64_t	good_till_ms;		/* goodTillDate, 0 unless GTD */
	int	price_precision;	/* for formatting */
	int	qty_precision;
};

struct exch_position {
	char	symbol[EXCH_SYMLEN];
	double	position_amt;		/* signed */
	double	entry_price;
	double	break_even_price;
	double	mark_price;
	double	unrealized_pnl;
	double	liquidation_price;	/* approximate, see account.c */
	int	leverage;
	double	max_notional;		/* maxNotionalValue at this leverage */
	double	notional;		/* signed, at mark */
	double	initial_margin;		/* position + open orders */
	double	position_initial_margin;
	double	open_order_initial_margin;
	double	maint_margin;
	double	cum_realized_pnl;	/* since start */
	int64_t	update_time_ms;
	int	price_precision;
	/* marginType "cross", isolatedMargin 0, positionSide "BOTH" */
};

struct exch_account_info {
	double	total_wallet_balance;
	double	total_unrealized_profit;
	double	total_margin_balance;
	double	total_initial_margin;
	double	total_position_initial_margin;
	double	total_open_order_initial_margin;
	double	total_maint_margin;
	double	total_cross_wallet_balance;
	double	total_cross_un_pnl;
	double	available_balance;
	double	max_withdraw_amount;
	int64_t	update_time_ms;
};

/* One fill of an account as GET /fapi/v1/userTrades shows it: id,
 * price, qty, commission, realizedPnl, maker and time are exactly the
 * t, L, l, n, rp, m and T of the fill's ORDER_TRADE_UPDATE. */
struct exch_trade {
	int64_t	id;
	int64_t	order_id;
	char	symbol[EXCH_SYMLEN];
	enum exch_side side;		/* buyer = side == BUY */
	bool	maker;
	double	price, qty, quote_qty;
	double	commission;		/* USDT */
	double	realized_pnl;
	int64_t	time_ms;
	int	price_precision, qty_precision;
};

/* ------------------------------------------------------------------ */
/* Events                                                              */

struct exch_level { double price, qty; };

enum exch_mkt_ev {
	EXCH_EV_BOOK_TICKER = 0,
	EXCH_EV_TRADE,
	EXCH_EV_AGG_TRADE,
	EXCH_EV_DEPTH,			/* diff depth, U/u/pu consistent */
	EXCH_EV_MARK_PRICE,
};

struct exch_mkt_event {
	enum exch_mkt_ev type;
	int	sym;			/* index, see exch_symbol() */
	const char *symbol;		/* "BTCUSDT" */
	int	price_precision, qty_precision;
	int64_t	E_ms, T_ms;		/* event and transaction time (engine clock) */
	/* Replay only: the recorded line's JSON, {"stream":..,"data":{..}}
	 * exactly as in the file (its original ids and times), on the event
	 * of the line's own type (bookTicker, trade, depthUpdate); NULL for
	 * synthetic/manual events and for events the engine derives (the
	 * aggTrade of a trade, markPrice). */
	const char *raw;
	size_t	raw_len;
	/* Replay only (else 0): the line's local receive time (ns) and the
	 * exchange's event time E (ms) as recorded, so recv - E is the
	 * recording's feed latency (plus its clocks' offset). */
	int64_t	rec_recv_ns, rec_E_ms;
	union {
		struct { int64_t u; double b, B, a, A; } bt;
		struct { int64_t t; double p, q; bool m; } trade;	/* X "MARKET" */
		struct { int64_t a, f, l; double p, q; bool m; } agg;
		struct {
			int64_t U, u, pu;
			int	nb, na;
			const struct exch_level *b, *a;	/* qty 0 = delete */
		} depth;
		struct {
			double	p, i, P, r;		/* mark, index, est. settle, funding */
			int64_t	next_funding_ms;
		} mark;
	};
};

enum exch_user_ev {
	EXCH_EV_ORDER_UPDATE = 0,	/* ORDER_TRADE_UPDATE */
	EXCH_EV_ACCOUNT_UPDATE,		/* ACCOUNT_UPDATE */
	EXCH_EV_ACCOUNT_CONFIG,		/* ACCOUNT_CONFIG_UPDATE (leverage) */
};

/* ORDER_TRADE_UPDATE "o": the order (s,c,S,o,f,q,p,ap,X,i,z,T,R,ps,ot,V,gtd)
 * plus the execution fields below. */
struct exch_order_update {
	struct exch_order o;
	enum exch_exec x;
	double	last_qty;		/* l */
	double	last_price;		/* L */
	double	commission;		/* n */
	const char *commission_asset;	/* N ("USDT") */
	int64_t	trade_id;		/* t (0 when not a trade) */
	double	bids_notional;		/* b: open buy notional after the event */
	double	asks_notional;		/* a */
	bool	maker;			/* m */
	double	realized_pnl;		/* rp */
	/* constant for this engine: sp "0", wt "CONTRACT_PRICE", cp false,
	 * pP false, si 0, ss 0, pm "NONE" */
};

struct exch_bal_update { const char *asset; double wb, cw, bc; };
struct exch_pos_update {
	const char *symbol;
	double	pa, ep, bep, cr, up;	/* amount, entry, break-even, cum realized, uPnL */
	int	price_precision;
	/* mt "cross", iw 0, ps "BOTH" */
};

struct exch_account_update {
	const char *reason;		/* m: "ORDER", "DEPOSIT", "FUNDING_FEE", ... */
	int	nbal;
	struct exch_bal_update bal[1];
	int	npos;
	struct exch_pos_update pos[EXCH_SYM_MAX];
};

struct exch_account;

struct exch_user_event {
	enum exch_user_ev type;
	struct exch_account *acct;	/* whose stream gets it */
	int64_t	E_ms, T_ms;
	union {
		struct exch_order_update ou;
		struct exch_account_update au;
		struct { const char *symbol; int leverage; } cfg;
	};
};

struct exch_cb {
	void	(*on_market)(void *arg, const struct exch_mkt_event *);
	void	(*on_user)(void *arg, const struct exch_user_event *);
	void	*arg;
};

/* ------------------------------------------------------------------ */
/* The engine                                                          */

struct exch;

/* NULL (reason logged) on a bad option or an unreadable replay file.
 * exch_new() emits no event: the first come from the first exch_step(). */
struct exch *exch_new(const struct exch_opts *, const struct exch_cb *);
void	exch_free(struct exch *);
/* Replace the callbacks (e.g. once the server is up). */
void	exch_set_cb(struct exch *, const struct exch_cb *);

/* The engine's clock (the hook in exch_opts), epoch ns / ms. */
int64_t	exch_now_ns(const struct exch *);
int64_t	exch_now_ms(const struct exch *);

/*
 * Pump the market up to now_ns: generate (synthetic) or replay the
 * outside-market events due by then, match resting client orders against
 * them, fire expiries (GTD) and countdownCancelAll deadlines, and call the
 * callbacks. At max replay speed one call handles at most max_batch lines.
 * Returns the number of market events emitted, -1 on a fatal error.
 */
int	exch_step(struct exch *, int64_t now_ns);
/* When exch_step() next has work (epoch ns): the next market event, a
 * markPrice, a countdownCancelAll deadline; 0 = call again at once
 * (max-speed replay), INT64_MAX = nothing scheduled. GTD expiries are
 * not included: call exch_step() at least every 100 ms or so anyway. */
int64_t	exch_next_due_ns(const struct exch *);
/* The replay has reached its end (and does not loop). */
bool	exch_market_done(const struct exch *);
/*
 * At the end of a replay, go on with another recording (gzip lines or the
 * binary form) on the same timeline: its own spacing, never before the
 * last event. -1 (logged) if the replay is not done or path unusable.
 */
int	exch_replay_chain(struct exch *, const char *path);
/* The recording's first receive time (ns), 0 without a replay. */
int64_t	exch_replay_first_ns(const struct exch *);

/* Symbols */
int	exch_nsymbols(const struct exch *);
/* Index of an exact, upper-case symbol name, -1 if unknown. */
int	exch_symbol_index(const struct exch *, const char *symbol);
const struct exch_symbol_spec *exch_symbol(const struct exch *, int sym);

/* Accounts */
struct exch_account *exch_account_by_key(struct exch *, const char *api_key);
struct exch_account *exch_account_at(struct exch *, int i);
int	exch_naccounts(const struct exch *);
/* Add an account at run time (admin); NULL if full or the key exists. */
struct exch_account *exch_account_add(struct exch *, const char *api_key,
	    const char *secret, double usdt);
const char *exch_account_key(const struct exch_account *);
const char *exch_account_secret(const struct exch_account *);
int	exch_account_id(const struct exch_account *);
/* Credit (or debit, amount < 0) the wallet; emits ACCOUNT_UPDATE "DEPOSIT". */
int	exch_account_deposit(struct exch *, struct exch_account *, double amount);

/* Orders */
struct exch_order_req {
	const char *symbol;
	enum exch_side side;
	enum exch_otype type;
	enum exch_tif tif;
	bool	tif_set;		/* timeInForce was sent */
	double	quantity;		/* 0 = not sent */
	double	price;			/* 0 = not sent */
	bool	reduce_only;
	enum exch_pside pside;
	const char *client_id;		/* NULL/"" = engine makes one */
	int64_t	good_till_ms;		/* GTD only */
	enum exch_stp stp;
};

/*
 * Place an order. On success out holds the order after immediate
 * matching (status NEW, PARTIALLY_FILLED, FILLED, EXPIRED...), which is
 * what newOrderRespType=RESULT shows; an ACK response shows it as NEW
 * with executedQty 0. ORDER_TRADE_UPDATE/ACCOUNT_UPDATE events fire before
 * this returns. A rejected order creates nothing and emits nothing.
 */
int	exch_order_place(struct exch *, struct exch_account *,
	    const struct exch_order_req *, struct exch_order *out,
	    struct exch_err *);
/* Cancel by orderId (> 0) or origClientOrderId; -2011 if not open. */
int	exch_order_cancel(struct exch *, struct exch_account *,
	    const char *symbol, int64_t order_id, const char *orig_client_id,
	    struct exch_order *out, struct exch_err *);
/*
 * Modify (PUT /fapi/v1/order): a resting LIMIT order gets a new price and
 * quantity, keeps its orderId and clientOrderId, and goes to the BACK of
 * the queue at its (new) price, as Binance re-queues an amended order.
 * Refused, the original stays: -2013 not open, -5027 nothing changes,
 * -5026 past 10000 amendments, a filter or margin failure. The order is
 * cancelled instead when the new quantity is not above what it executed
 * already, or when it is post-only (GTX) and the new price would take; a
 * GTC order at a price that takes trades at once. ORDER_TRADE_UPDATE with
 * execution type AMENDMENT.
 */
struct exch_modify_req {
	const char *symbol;
	int64_t	order_id;		/* > 0, or orig_client_id */
	const char *orig_client_id;
	enum exch_side side;		/* must be the order's */
	double	quantity;
	double	price;
};
int	exch_order_modify(struct exch *, struct exch_account *,
	    const struct exch_modify_req *, struct exch_order *out,
	    struct exch_err *);
/* Cancel all the account's open orders on symbol; returns the count. */
int	exch_order_cancel_all(struct exch *, struct exch_account *,
	    const char *symbol, struct exch_err *);
/* Query an open or recently closed order; -2013 if unknown. */
int	exch_order_query(struct exch *, struct exch_account *,
	    const char *symbol, int64_t order_id, const char *orig_client_id,
	    struct exch_order *out, struct exch_err *);
/* Open orders of the account (symbol NULL = all); returns the count
 * written (at most max), or -1 (unknown symbol). */
int	exch_open_orders(struct exch *, struct exch_account *,
	    const char *symbol, struct exch_order *out, int max,
	    struct exch_err *);
/* Number of open orders (symbol NULL = all). */
int	exch_open_order_count(struct exch *, struct exch_account *,
	    const char *symbol);
/*
 * History queries (GET /fapi/v1/userTrades, GET /fapi/v1/allOrders).
 * A field < 0 was not sent. Both answer in ascending id order:
 * - from_id (userTrades fromId, allOrders orderId): ids >= from_id, the
 *   first limit; userTrades refuses it with start/end (-1128).
 * - start_ms (with or without end_ms): from start_ms, the first limit.
 * - end_ms alone: the last limit at or before end_ms.
 * - nothing: the most recent limit.
 * The time window is at most 7 days (-1127 when start..end is longer);
 * a missing bound is 7 days from the other one, or now - 7 days.
 * order_id (userTrades only): that order's fills only. limit is 1..1000
 * (-1130). Trades are matched on their time, orders on their creation.
 * Returns the count written (at most limit and max), -1 with e filled.
 */
struct exch_hist_query {
	const char *symbol;
	int64_t	order_id;
	int64_t	from_id;
	int64_t	start_ms, end_ms;
	int	limit;
};
#define EXCH_HIST_LIMIT_MAX	1000
#define EXCH_HIST_WINDOW_MS	(7 * 24 * 3600 * 1000LL)

/* A query with nothing set and Binance's default limit (500). */
void	exch_hist_query_init(struct exch_hist_query *, const char *symbol);
int	exch_user_trades(struct exch *, struct exch_account *,
	    const struct exch_hist_query *, struct exch_trade *out, int max,
	    struct exch_err *);
int	exch_all_orders(struct exch *, struct exch_account *,
	    const struct exch_hist_query *, struct exch_order *out, int max,
	    struct exch_err *);

/*
 * Income history (GET /fapi/v1/income): what changed the wallet, one
 * record per funding payment (FUNDING_FEE), per fill (COMMISSION, and
 * REALIZED_PNL when not 0) and per deposit (TRANSFER), in time order.
 * Selection: symbol (NULL/"" = all), type (EXCH_INC_ANY = all), start_ms
 * and end_ms inclusive (< 0 = not sent). With start_ms: the first limit
 * from it; otherwise the last limit up to end_ms (or now), at most 7 days
 * back. limit 1..1000 (-1130), default 100; page (from 1) skips the
 * page - 1 limits before it, in the same direction. Answers oldest first.
 */
enum exch_income_type {
	EXCH_INC_TRANSFER = 0,
	EXCH_INC_REALIZED_PNL,
	EXCH_INC_FUNDING_FEE,
	EXCH_INC_COMMISSION,
	EXCH_INC_ANY,			/* a query's "all types" */
};
const char *exch_income_type_str(enum exch_income_type);
int	exch_income_type_parse(const char *, enum exch_income_type *);

struct exch_income {
	char	symbol[EXCH_SYMLEN];	/* "" for TRANSFER */
	enum exch_income_type type;
	double	income;			/* USDT, signed: < 0 paid */
	int64_t	time_ms;
	int64_t	tran_id;		/* per account, increasing */
	int64_t	trade_id;		/* the fill's t; 0 when none */
};

struct exch_income_query {
	const char *symbol;
	enum exch_income_type type;
	int64_t	start_ms, end_ms;
	int	limit;
	int	page;			/* 1.. */
};
#define EXCH_INCOME_LIMIT_DEFAULT	100

void	exch_income_query_init(struct exch_income_query *);
int	exch_income(struct exch *, struct exch_account *,
	    const struct exch_income_query *, struct exch_income *out, int max,
	    struct exch_err *);

/*
 * countdownCancelAll: cancel all the account's orders on symbol unless
 * called again within countdown_ms; 0 disables. Deadlines fire from
 * exch_step().
 */
int	exch_countdown_set(struct exch *, struct exch_account *,
	    const char *symbol, int64_t countdown_ms, struct exch_err *);

/* Account state */
int	exch_position(struct exch *, struct exch_account *, const char *symbol,
	    struct exch_position *out, struct exch_err *);
/* All symbols' positions (including flat ones); returns the count. */
int	exch_positions(struct exch *, struct exch_account *,
	    struct exch_position *out, int max);
void	exch_account_info(struct exch *, struct exch_account *,
	    struct exch_account_info *out);
/* Leverage 1..125 (-4028 otherwise); max_notional gets maxNotionalValue.
 * -2027 when the position's notional exceeds what the new leverage
 * allows. Emits ACCOUNT_CONFIG_UPDATE. */
int	exch_leverage_set(struct exch *, struct exch_account *,
	    const char *symbol, int leverage, double *max_notional,
	    struct exch_err *);
double	exch_fee_maker(const struct exch *);
double	exch_fee_taker(const struct exch *);

/* Public market state (the outside market) */
struct exch_top {
	double	bid, bid_qty, ask, ask_qty;
	int64_t	update_id;		/* last u */
	int64_t	time_ms;
};
struct exch_last_trade {
	double	price, qty;
	int64_t	id, time_ms;
	bool	buyer_maker;
};
struct exch_mark {
	double	mark, index, est_settle, funding_rate;
	int64_t	next_funding_ms, time_ms;
};
/* -1 when the symbol index is invalid or the book is still empty. */
int	exch_book_top(struct exch *, int sym, struct exch_top *out);
/* Best limit levels per side; *lastUpdateId from the last applied diff. */
int	exch_depth(struct exch *, int sym, int limit, struct exch_level *bids,
	    int *nb, struct exch_level *asks, int *na, int64_t *last_update_id);
int	exch_trade_last(struct exch *, int sym, struct exch_last_trade *out);
int	exch_mark_get(struct exch *, int sym, struct exch_mark *out);

/*
 * Drive the outside market by hand (EXCH_MKT_MANUAL, tests, admin
 * endpoint). Each emits the matching market events and runs the fill
 * model exactly like a synthetic or replayed event would.
 */
/* Replace the whole outside book. */
int	exch_ext_book(struct exch *, int sym, const struct exch_level *bids,
	    int nb, const struct exch_level *asks, int na);
/* Outside trade: buyer_maker true = a seller took the bid. */
int	exch_ext_trade(struct exch *, int sym, double price, double qty,
	    bool buyer_maker);
int	exch_ext_mark(struct exch *, int sym, double mark);
/*
 * Move the market's mid to price at once (admin, benchmarks): the
 * synthetic generator continues from there; a manual book is shifted.
 * Publishes bookTicker, a depth diff and markPrice (mark = price) and
 * runs the fill model. -1 for a replayed market or a bad symbol/price.
 */
int	exch_synth_set_mid(struct exch *, int sym, double price);

/* The engine's rate limiter (configured from exch_opts.rl). */
struct rl *exch_rl(struct exch *);

#endif
