/*
 * qstate.h — why the order service is or is not quoting.
 *
 * The order service is the only one that knows whether a ladder stands on
 * the book, and an operator's first question is "why not?". It writes one
 * of these states, with a line of human text, into its section of the
 * state segment (shm_orders.quote_state / quote_reason); pmmd reports it in
 * `pmmctl status` and tools read the names from --json.
 *
 * The numbers are stored in the segment: APPEND ONLY, never renumber.
 * A zeroed record reads as QS_STARTING, which is what it is.
 */
#ifndef PMM_QSTATE_H
#define PMM_QSTATE_H

#include <stdint.h>

enum quote_state {
	QS_STARTING = 0,	/* exchange start-up phases (reason: which) */
	QS_QUOTING,		/* a ladder is wanted and being kept */
	QS_PAUSED,		/* risk or the operator paused */
	QS_MARKET_STALE,	/* no usable market data */
	QS_USER_STREAM_DOWN,	/* blind to our orders: no new ones */
	QS_BOOK_INSANE,		/* the book failed the price sanity checks */
	QS_RATE_LIMIT_HOLD,	/* the governor holds quoting requests */
	QS_EXCHANGE_UNREACHABLE,	/* requests fail at transport level */
	QS_KEY_REJECTED,	/* -2014 / -2015 / -1022: keys refused */
	QS_STOPPING,		/* the service is stopping */
	QS_ORDER_DOWN,		/* set by readers: order is not running */
	QS_REJECT_BACKOFF,	/* rungs rejected, waiting for new data */
	QS_COUNT
};

#define QS_REASON_LEN	96

static inline const char *
quote_state_name(uint32_t s)
{
	static const char *const names[QS_COUNT] = {
		"starting", "quoting", "paused", "market_stale",
		"user_stream_down", "book_insane", "rate_limit_hold",
		"exchange_unreachable", "key_rejected", "stopping",
		"order_down", "reject_backoff",
	};

	return s < QS_COUNT ? names[s] : "unknown";
}

#endif
