/*
 * bn_parse.h — typed parsers for every Binance USD-M futures payload pmm
 * reads: WebSocket market and user-data events, REST responses and error
 * bodies (jansson underneath).
 *
 * Conventions, the same for every parser:
 *  - Input is a buffer and its length (need not be NUL-terminated).
 *  - Returns 0 and fills *out, or -1 with a one-line reason in why (which
 *    may be NULL). The caller logs the reason once and drops the payload;
 *    nothing here logs or aborts on bad input.
 *  - Prices and quantities arrive as JSON strings ("61800.20"); they are
 *    read with strtod and must be the whole string and finite. A JSON
 *    number is accepted too. Ids and times are integers or digit strings
 *    (listenKeyExpired's E is a string). Booleans may be true/"true".
 *  - Missing required fields, wrong types, truncated JSON and numbers out
 *    of range are errors; unknown extra fields are ignored; optional
 *    fields that are absent read as 0 / "".
 *  - Strings longer than their field are an error (a clientOrderId that
 *    does not fit is not one of ours), except error messages, which are
 *    cut.
 */
#ifndef PMM_BN_PARSE_H
#define PMM_BN_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "bn_filters.h"

/*
 * What became of a REST request, as far as the caller can tell. Here and
 * not in bn_rest.h because the trading core (ord_book.c) judges answers
 * by it without linking the transport.
 */
enum bn_outcome {
	BN_OUT_OK = 0,		/* 2xx: body is the answer */
	BN_OUT_REJECTED,	/* the exchange refused it (4xx, or 5xx on GET) */
	BN_OUT_NOT_SENT,	/* never left (connect/TLS/resolve failed) */
	BN_OUT_UNKNOWN		/* may or may not have been executed */
};

#define BN_WHYLEN	160
#define BN_SYMLEN	24
#define BN_CIDLEN	40	/* clientOrderId: 1..36 chars */
#define BN_ENUMLEN	32	/* NEW, TRAILING_STOP_MARKET, CONTRACT_PRICE */
#define BN_MSGLEN	256
#define BN_KEYLEN	72	/* listenKey: 64 chars */
#define BN_DEPTH_MAX	1000	/* REST depth limit; real diffs reach ~900 */
#define BN_BATCH_MAX	10	/* batch cancel takes 10, batch place 5 */
#define BN_ACCT_MAX	32	/* balances / positions in one ACCOUNT_UPDATE */
#define BN_WS_RESULT_MAX 16

struct bn_why {
	char	s[BN_WHYLEN];
};

enum bn_side { BN_SIDE_NONE = 0, BN_SIDE_BUY, BN_SIDE_SELL };

enum bn_status {
	BN_ST_UNKNOWN = 0, BN_ST_NEW, BN_ST_PARTIALLY_FILLED, BN_ST_FILLED,
	BN_ST_CANCELED, BN_ST_EXPIRED, BN_ST_EXPIRED_IN_MATCH, BN_ST_REJECTED
};

enum bn_exec {
	BN_EX_UNKNOWN = 0, BN_EX_NEW, BN_EX_CANCELED, BN_EX_CALCULATED,
	BN_EX_EXPIRED, BN_EX_TRADE, BN_EX_AMENDMENT
};

/* ---- market data ------------------------------------------------------ */

/* <s>@bookTicker event, and GET /fapi/v1/ticker/bookTicker (u = 0). */
struct bn_book_ticker {
	int64_t	u;		/* order book update id */
	int64_t	E, T;		/* event / transaction time, ms */
	char	s[BN_SYMLEN];
	double	b, B, a, A;	/* bid px, bid qty, ask px, ask qty */
};

/* <s>@trade */
struct bn_trade {
	int64_t	E, T, t;	/* times, trade id */
	char	s[BN_SYMLEN];
	double	p, q;
	char	X[BN_ENUMLEN];	/* MARKET, LIQUIDATION, INSURANCE_FUND ... */
	int	m;		/* buyer is the maker */
};

/* <s>@aggTrade */
struct bn_agg_trade {
	int64_t	E, T, a, f, l;	/* times, agg id, first and last trade id */
	char	s[BN_SYMLEN];
	double	p, q;
	int	m;
};

/* <s>@markPrice[@1s] markPriceUpdate */
struct bn_mark_price {
	int64_t	E, T;		/* T: next funding time */
	char	s[BN_SYMLEN];
	double	p, i, P, r;	/* mark, index, est. settle price, funding */
};

struct bn_level {
	double	px, qty;
};

/* depthUpdate (partial and diff), and GET /fapi/v1/depth (u = lastUpdateId). */
struct bn_depth {
	int64_t		E, T, U, u, pu;
	char		s[BN_SYMLEN];
	int		nbids, nasks;
	struct bn_level	bids[BN_DEPTH_MAX];
	struct bn_level	asks[BN_DEPTH_MAX];
};

/* ---- user data stream ------------------------------------------------- */

struct bn_order_update {
	int64_t		E, T;		/* event, transaction time */
	char		s[BN_SYMLEN];
	char		c[BN_CIDLEN];	/* clientOrderId */
	enum bn_side	side;		/* S */
	char		o[BN_ENUMLEN];	/* order type */
	char		f[BN_ENUMLEN];	/* time in force */
	double		q, p, ap, sp;	/* qty, price, avg price, stop px */
	enum bn_exec	x;		/* execution type */
	enum bn_status	X;		/* order status */
	char		x_str[BN_ENUMLEN], X_str[BN_ENUMLEN];
	int64_t		i;		/* orderId */
	double		l, z, L;	/* last qty, cum qty, last price */
	char		N[BN_SYMLEN];	/* commission asset ("" when none) */
	double		n;		/* commission */
	int64_t		trade_T, t;	/* o.T trade time, trade id */
	double		b, a;		/* bids / asks notional */
	int		m, R;		/* maker, reduce only */
	char		wt[BN_ENUMLEN], ot[BN_ENUMLEN], ps[BN_ENUMLEN];
	int		cp, pP;		/* close-all, price protect */
	double		rp;		/* realized profit of the trade */
	int64_t		si, ss, gtd;
	char		V[BN_ENUMLEN], pm[BN_ENUMLEN];
};

struct bn_balance_upd {
	char	a[BN_SYMLEN];
	double	wb, cw, bc;
};

struct bn_position_upd {
	char	s[BN_SYMLEN];
	double	pa, ep, bep, cr, up, iw;
	char	mt[16], ps[16];
};

struct bn_account_update {
	int64_t			E, T;
	char			m[BN_ENUMLEN];	/* reason: ORDER, FUNDING_FEE... */
	int			nB, nP;
	int			truncated;	/* more than BN_ACCT_MAX */
	struct bn_balance_upd	B[BN_ACCT_MAX];
	struct bn_position_upd	P[BN_ACCT_MAX];
};

struct bn_listen_key_expired {
	int64_t	E;
	char	listenKey[BN_KEYLEN];
};

struct bn_trade_lite {
	int64_t		E, T, t, i;
	char		s[BN_SYMLEN];
	double		q, p, L, l;
	int		m;
	char		c[BN_CIDLEN];
	enum bn_side	side;
};

/* {"result":null,"id":1} / {"result":["btcusdt@aggTrade"],"id":3} */
struct bn_ws_result {
	int64_t	id;
	int	is_null;
	int	n;			/* strings in result */
	char	result[BN_WS_RESULT_MAX][64];
};

/* ---- REST ------------------------------------------------------------- */

/* {"code":-1121,"msg":"Invalid symbol."}; also {"code":200,...} success. */
struct bn_error {
	int	code;
	char	msg[BN_MSGLEN];
};

/* New order, cancel, query order and batch elements. */
struct bn_order {
	int64_t		orderId;
	char		symbol[BN_SYMLEN];
	char		clientOrderId[BN_CIDLEN];
	enum bn_status	status;
	char		status_str[BN_ENUMLEN];
	enum bn_side	side;
	char		type[BN_ENUMLEN], origType[BN_ENUMLEN];
	char		timeInForce[BN_ENUMLEN], positionSide[BN_ENUMLEN];
	double		price, origQty, executedQty, cumQty, cumQuote;
	double		avgPrice, stopPrice, activatePrice, priceRate;
	int		reduceOnly, closePosition, priceProtect;
	char		workingType[BN_ENUMLEN], priceMatch[BN_ENUMLEN];
	char		stp[BN_ENUMLEN];	/* selfTradePreventionMode */
	int64_t		updateTime, goodTillDate;
};

/* One element of GET /fapi/v1/userTrades: a fill of the account. */
struct bn_user_trade {
	int64_t		id;		/* the stream's o.t for this fill */
	int64_t		orderId;
	char		symbol[BN_SYMLEN];
	enum bn_side	side;
	char		positionSide[BN_ENUMLEN];
	double		price, qty, quoteQty, commission, realizedPnl;
	char		commissionAsset[BN_SYMLEN];
	int		buyer, maker;
	int64_t		time;		/* ms */
};

/* One element of a batch answer: an order, or {code,msg} in its place. */
struct bn_batch_item {
	int		is_error;
	struct bn_error	err;
	struct bn_order	order;
};

struct bn_batch {
	int			n;
	struct bn_batch_item	item[BN_BATCH_MAX];
};

struct bn_countdown {
	char	symbol[BN_SYMLEN];
	int64_t	countdownTime;		/* echoed as a string */
};

/* GET /fapi/v2|v3/positionRisk element (v3 has no leverage/marginType). */
struct bn_position {
	char	symbol[BN_SYMLEN];
	char	positionSide[16];
	double	positionAmt, entryPrice, breakEvenPrice, markPrice;
	double	unRealizedProfit, liquidationPrice, isolatedMargin, notional;
	double	isolatedWallet, maxNotionalValue;
	double	initialMargin, maintMargin;
	int	leverage;		/* 0 when absent (v3) */
	char	marginType[16];		/* "" when absent (v3) */
	char	marginAsset[16];
	int	isAutoAddMargin;
	int	adl;
	int64_t	updateTime;
};

/* GET /fapi/v2/balance element */
struct bn_balance {
	char	accountAlias[32];
	char	asset[BN_SYMLEN];
	double	balance, crossWalletBalance, crossUnPnl, availableBalance;
	double	maxWithdrawAmount;
	int	marginAvailable;
	int64_t	updateTime;
};

struct bn_leverage {
	int	leverage;
	double	maxNotionalValue;
	char	symbol[BN_SYMLEN];
};

/* What pmm needs from GET /fapi/v1/exchangeInfo, for one symbol. */
struct bn_exchange_info {
	int64_t			serverTime;
	int			weight_1m;	/* REQUEST_WEIGHT per minute */
	int			orders_10s;	/* ORDERS per 10 s (0: absent) */
	int			orders_1m;	/* ORDERS per minute */
	char			status[BN_ENUMLEN];	/* TRADING ... */
	struct bn_filters	f;
};

/* ---- routed WebSocket events ------------------------------------------ */

enum bn_ev_type {
	BN_EV_UNKNOWN = 0,	/* valid JSON we do not use: ignore */
	BN_EV_BOOK_TICKER, BN_EV_TRADE, BN_EV_AGG_TRADE, BN_EV_MARK_PRICE,
	BN_EV_DEPTH, BN_EV_ORDER_UPDATE, BN_EV_ACCOUNT_UPDATE,
	BN_EV_LISTEN_KEY_EXPIRED, BN_EV_TRADE_LITE, BN_EV_WS_RESULT,
	BN_EV_ERROR		/* {"code":..,"msg":..} on a socket */
};

struct bn_event {
	enum bn_ev_type	type;
	char		stream[64];	/* combined stream name, "" when raw */
	char		e[BN_ENUMLEN];	/* the "e" field, "" when none */
	union {
		struct bn_book_ticker		bt;
		struct bn_trade			trade;
		struct bn_agg_trade		agg;
		struct bn_mark_price		mark;
		struct bn_depth			depth;
		struct bn_order_update		ou;
		struct bn_account_update	au;
		struct bn_listen_key_expired	lke;
		struct bn_trade_lite		tl;
		struct bn_ws_result		res;
		struct bn_error			err;
	} u;
};

/*
 * Any WebSocket frame, raw ({"e":...}) or combined ({"stream":..,
 * "data":{...}}), routed by "e" (and a depth frame without "e" by its
 * stream name). An event we do not know is BN_EV_UNKNOWN with e set, and
 * returns 0. struct bn_event is ~33 KB (the depth book): keep it off small
 * stacks.
 */
int	bn_parse_event(const char *buf, size_t len, struct bn_event *ev,
	    struct bn_why *why);

/* Hot path: one bookTicker, raw or combined, without the router. */
int	bn_parse_book_ticker(const char *buf, size_t len,
	    struct bn_book_ticker *out, struct bn_why *why);
int	bn_parse_trade(const char *buf, size_t len, struct bn_trade *out,
	    struct bn_why *why);
int	bn_parse_agg_trade(const char *buf, size_t len,
	    struct bn_agg_trade *out, struct bn_why *why);
int	bn_parse_mark_price(const char *buf, size_t len,
	    struct bn_mark_price *out, struct bn_why *why);
int	bn_parse_depth(const char *buf, size_t len, struct bn_depth *out,
	    struct bn_why *why);
int	bn_parse_order_update(const char *buf, size_t len,
	    struct bn_order_update *out, struct bn_why *why);
int	bn_parse_account_update(const char *buf, size_t len,
	    struct bn_account_update *out, struct bn_why *why);
int	bn_parse_listen_key_expired(const char *buf, size_t len,
	    struct bn_listen_key_expired *out, struct bn_why *why);
int	bn_parse_trade_lite(const char *buf, size_t len,
	    struct bn_trade_lite *out, struct bn_why *why);
int	bn_parse_ws_result(const char *buf, size_t len,
	    struct bn_ws_result *out, struct bn_why *why);

/* REST bodies. */
int	bn_parse_error(const char *buf, size_t len, struct bn_error *out,
	    struct bn_why *why);
/* 1 when a {code,msg} body means success (cancel-all's code 200). */
int	bn_error_is_success(const struct bn_error *e);
/* {} (ping, DELETE listenKey): 0 when the body is an object. */
int	bn_parse_empty(const char *buf, size_t len, struct bn_why *why);
int	bn_parse_server_time(const char *buf, size_t len, int64_t *ms,
	    struct bn_why *why);
int	bn_parse_listen_key(const char *buf, size_t len, char *key,
	    size_t keylen, struct bn_why *why);
int	bn_parse_order(const char *buf, size_t len, struct bn_order *out,
	    struct bn_why *why);
/* Batch place / cancel: an array of orders and {code,msg} elements. */
int	bn_parse_batch(const char *buf, size_t len, struct bn_batch *out,
	    struct bn_why *why);
/* GET /fapi/v1/openOrders: up to cap orders, *n set (-1 if more). */
int	bn_parse_orders(const char *buf, size_t len, struct bn_order *out,
	    int cap, int *n, struct bn_why *why);
int	bn_parse_countdown(const char *buf, size_t len,
	    struct bn_countdown *out, struct bn_why *why);
/* positionRisk: an array (or one element); up to cap, *n set. */
/* GET /fapi/v1/userTrades: an array; *n = -1 when it holds over cap. */
int	bn_parse_user_trades(const char *buf, size_t len,
	    struct bn_user_trade *out, int cap, int *n, struct bn_why *why);
int	bn_parse_positions(const char *buf, size_t len,
	    struct bn_position *out, int cap, int *n, struct bn_why *why);
int	bn_parse_balances(const char *buf, size_t len, struct bn_balance *out,
	    int cap, int *n, struct bn_why *why);
int	bn_parse_leverage(const char *buf, size_t len,
	    struct bn_leverage *out, struct bn_why *why);
/* GET /fapi/v1/ticker/bookTicker: an object, or an array (symbol picks). */
int	bn_parse_rest_book_ticker(const char *buf, size_t len,
	    const char *symbol, struct bn_book_ticker *out,
	    struct bn_why *why);
/* GET /fapi/v1/depth: u = lastUpdateId. */
int	bn_parse_rest_depth(const char *buf, size_t len, struct bn_depth *out,
	    struct bn_why *why);
/* exchangeInfo: rate limits and the named symbol's filters (finished). */
int	bn_parse_exchange_info(const char *buf, size_t len,
	    const char *symbol, struct bn_exchange_info *out,
	    struct bn_why *why);

/* "... banned until 1700000000000 ..." -> that ms time, or 0. */
int64_t	bn_parse_ban_until(const char *msg);

enum bn_side	bn_side_from_str(const char *s);
enum bn_status	bn_status_from_str(const char *s);
enum bn_exec	bn_exec_from_str(const char *s);
const char	*bn_ev_name(enum bn_ev_type t);

#endif
