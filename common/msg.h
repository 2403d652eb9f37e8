/*
 * msg.h — the pmm event bus messages and their msgpack codec.
 *
 * A frame is one msgpack array: [version, type, seq, sender, ts_ns, body]
 * where body is an array whose fields are fixed per type (schemas below).
 * Decoding goes through a typed cursor that checks every type and count and
 * rejects trailing bytes, so a malformed frame is refused, never trusted.
 *
 * The type enum is append-only: a number, once shipped, keeps its meaning.
 */
#ifndef PMM_MSG_H
#define PMM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PMM_PROTO_VERSION	1
#define PMM_MSG_MAX		1024	/* largest frame on the bus, bytes */
/* text fields, including NUL: Binance's longest reject (-5022) fits whole */
#define PMM_TEXT_MAX		192
#define PMM_ID_MAX		40	/* client order id, including NUL */

enum pmm_msg_type {
	PMM_MSG_NONE = 0,
	PMM_MSG_HELLO = 1,	/* child->pmmd  [svc u8, pid i32] */
	PMM_MSG_READY = 2,	/* child->pmmd  [] */
	PMM_MSG_HEARTBEAT = 3,	/* child->pmmd  [beats u64] */
	PMM_MSG_RELOAD = 4,	/* pmmd->child  [] re-read the config */
	PMM_MSG_STOP = 5,	/* pmmd->child  [] stop gracefully */
	PMM_MSG_PAUSE = 6,	/* pmmd->risk,order [reason str] */
	PMM_MSG_RESUME = 7,	/* pmmd->risk,order [] */
	PMM_MSG_TICK = 8,	/* market->order,risk [bid f64, bid_qty f64,
				   ask f64, ask_qty f64, exch_ts i64,
				   recv_ts i64, update_id u64] */
	PMM_MSG_FILL = 9,	/* order->risk,logger [client_id str,
				   order_id i64, side u8, level u8, price f64,
				   qty f64, fee f64, fee_asset str, maker bool,
				   realized_pnl f64, trade_ts i64] */
	PMM_MSG_ORDER_EVENT = 10, /* order->logger [kind u8, client_id str,
				   side u8, level u8, price f64, qty f64,
				   code i32, text str] */
	PMM_MSG_RISK_ACTION = 11, /* risk->logger,order [kind u8,
				   position f64, notional f64, limit f64,
				   text str] */
	PMM_MSG_SVC_EVENT = 12,	/* pmmd->logger [svc u8, kind u8, pid i32,
				   status i32, text str] */
	PMM_MSG_CRASH = 13,	/* pmmd->child  [] crash now (pmmctl debug) */
	PMM_MSG_FUNDING = 14,	/* order->logger [amount f64, asset str,
				   funding_ts i64, position f64] */
	PMM_MSG_COUNT
};

/* ORD_BOOK_INSANE / ORD_BOOK_SANE: the order service stopped / resumed
 * quoting on the book's sanity checks (no client id; price = the mid). */
enum pmm_order_kind { ORD_PLACED = 0, ORD_CANCELED, ORD_REJECTED, ORD_EXPIRED,
		      ORD_BOOK_INSANE, ORD_BOOK_SANE };
enum pmm_risk_kind { RISK_PAUSE = 0, RISK_RESUME, RISK_FLATTEN, RISK_KILL };
enum pmm_svc_kind { SVCEV_STARTED = 0, SVCEV_READY, SVCEV_DIED,
		    SVCEV_HUNG, SVCEV_ESCALATED };
#define PMM_SENDER_PMMD	255	/* senders are enum svc_id or this */

struct pmm_env {
	uint8_t		version;
	uint8_t		type;
	uint8_t		sender;
	uint64_t	seq;
	int64_t		ts_ns;		/* realtime at send */
};

struct pmm_hello	{ uint8_t svc; int32_t pid; };
struct pmm_heartbeat	{ uint64_t beats; };
struct pmm_text		{ char text[PMM_TEXT_MAX]; };
struct pmm_tick {
	double		bid, bid_qty, ask, ask_qty;
	int64_t		exch_ts_ns, recv_ts_ns;
	uint64_t	update_id;
};
struct pmm_fill {
	char		client_id[PMM_ID_MAX];
	int64_t		order_id;
	uint8_t		side, level;
	double		price, qty, fee;
	char		fee_asset[16];
	bool		maker;
	double		realized_pnl;
	int64_t		trade_ts_ns;
	int64_t		trade_id;	/* the exchange's, per symbol */
	bool		recovered;	/* read back from the trade history:
					   it happened while nobody listened */
};
/* A funding payment the exchange made (+) or took (-) from the wallet. */
struct pmm_funding {
	double		amount;		/* in asset */
	char		asset[16];
	int64_t		funding_ts_ns;	/* the exchange's event time */
	double		position;	/* the tree's position it was paid on */
};
struct pmm_order_event {
	uint8_t		kind, side, level;
	char		client_id[PMM_ID_MAX];
	double		price, qty;
	int32_t		code;
	char		text[PMM_TEXT_MAX];
};
struct pmm_risk_action {
	uint8_t		kind;
	double		position, notional, limit;
	char		text[PMM_TEXT_MAX];
};
struct pmm_svc_event {
	uint8_t		svc, kind;
	int32_t		pid, status;
	char		text[PMM_TEXT_MAX];
};

struct pmm_msg {
	struct pmm_env	env;
	union {
		struct pmm_hello	hello;
		struct pmm_heartbeat	heartbeat;
		struct pmm_text		pause;
		struct pmm_tick		tick;
		struct pmm_fill		fill;
		struct pmm_funding	funding;
		struct pmm_order_event	order;
		struct pmm_risk_action	risk;
		struct pmm_svc_event	svc;
	} u;
};

/*
 * Encode into buf; returns the length, or -1 if it does not fit in cap or
 * is a frame msg_decode would refuse (unknown type, text without its NUL,
 * a NaN/inf price or quantity in TICK or FILL).
 */
ssize_t		 msg_encode(const struct pmm_msg *m, char *buf, size_t cap);
/*
 * Decode exactly len bytes. Returns 0, or -1 with a one-line reason in err
 * (wrong version, unknown type, wrong field type or count, trailing bytes,
 * text too long). Never reads outside buf; never aborts.
 */
int		 msg_decode(const char *buf, size_t len, struct pmm_msg *m,
		    char *err, size_t errlen);
const char	*msg_type_name(int type);
/*
 * Copy text into a text field of len bytes; what does not fit is cut at a
 * word boundary and marked "...", so a reader never sees half a word.
 */
void		 msg_text(char *dst, size_t len, const char *src);
/* Bitmask of (1 << enum svc_id) that receive a published type. */
unsigned	 msg_subscribers(int type);

#endif
