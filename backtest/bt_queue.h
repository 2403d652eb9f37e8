/*
 * bt_queue.h — the backtest's virtual clock: a queue of what is due when.
 *
 * Everything that travels in a backtest (a market update on its way to the
 * strategy, an order on its way to the book, the exchange's answer on its
 * way back) is an event stamped with the virtual time it arrives. The
 * queue hands them out in time order; events due at the same nanosecond
 * come out in the order they were pushed (a sequence number breaks the
 * tie), so a run is the same run every time. Pure: no clock, no I/O.
 */
#ifndef PMM_BT_QUEUE_H
#define PMM_BT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bt_ev {
	int64_t		 t;		/* virtual ns it is due */
	uint64_t	 seq;		/* push order (ties) */
	int		 kind;		/* the driver's */
	union {
		struct {
			double	 bid, bidq, ask, askq;
			int64_t	 exch_ns;	/* exchange event time */
			int64_t	 u;		/* update id */
		} tick;
		struct { double price; } mark;
		struct { double price; bool buyer_maker; } trade;
		void	*p;		/* owned by the event's handler */
	} u;
};

struct bt_queue {
	struct bt_ev	*h;		/* binary min-heap on (t, seq) */
	size_t		 n, cap;
	uint64_t	 seq;
};

void	btq_init(struct bt_queue *q);
/* Frees the heap only: payloads behind u.p are the caller's. */
void	btq_free(struct bt_queue *q);
/* Queue ev (its t and kind set; seq is assigned). -1 out of memory. */
int	btq_push(struct bt_queue *q, const struct bt_ev *ev);
/* The earliest event, false when empty. */
bool	btq_pop(struct bt_queue *q, struct bt_ev *out);
/* When the earliest is due, INT64_MAX when empty. */
int64_t	btq_next(const struct bt_queue *q);
size_t	btq_len(const struct bt_queue *q);

/*
 * One ordered channel (a TCP connection: a WebSocket stream, the REST
 * answers on one connection): what leaves later never arrives earlier,
 * whatever each message's own latency. Returns the arrival time of a
 * message sent at t with latency lat, and remembers it.
 */
struct bt_chan {
	int64_t		 last;
};
int64_t	btc_arrival(struct bt_chan *c, int64_t t, int64_t lat);

#endif
