/*
 * ord_rej.h — when may a rung the exchange just rejected be sent again?
 *
 * A post-only order (GTX) is rejected (-5022) when it would trade at once:
 * the book has moved past our price and our market feed has not told us
 * yet. Sending the same order again before newer market data can only be
 * rejected again, and doing it at every evaluation is a storm that burns
 * the IP's request weight (issue 12). So, per rung (side and level):
 *
 *   - after a reject at price P, seen while the newest market data was
 *     update U, the rung is not placed at P again until data newer than U
 *     has arrived (a different price may go: the ladder moved for its own
 *     reasons);
 *   - rejects that repeat (a streak: no accepted placement in between)
 *     back off exponentially in time as well: base, 2 base, 4 base, ... up
 *     to max, from the second reject on — a feed that always lags would
 *     otherwise be rejected once per tick;
 *   - an accepted placement ends the streak.
 *
 * Pure: no clock reads (now is an argument), no I/O.
 */
#ifndef PMM_ORD_REJ_H
#define PMM_ORD_REJ_H

#include <stdbool.h>
#include <stdint.h>

#include "strat.h"

#define ORDR_BASE_NS	(250 * 1000000LL)	/* second reject in a row */
#define ORDR_MAX_NS	(10 * 1000000000LL)	/* longest wait */

struct ordr_rung {
	bool		 rejected;	/* the last placement was rejected */
	int64_t		 px_ticks;	/* at this price */
	uint64_t	 data_id;	/* with market data this new */
	unsigned	 streak;	/* rejects without an accept between */
	int64_t		 until_ns;	/* no placement before (backoff) */
};

struct ordr {
	int64_t		 base_ns, max_ns;
	struct ordr_rung r[2][STRAT_MAX_LEVELS + 1];	/* [side][level] */
};

void	ordr_init(struct ordr *g, int64_t base_ns, int64_t max_ns);
/* A post-only reject of the rung's order at px_ticks, with the newest
 * market data known at the time being data_id. */
void	ordr_on_reject(struct ordr *g, int side, int level, int64_t px_ticks,
	    uint64_t data_id, int64_t now);
/* The exchange accepted a placement of the rung. */
void	ordr_on_accept(struct ordr *g, int side, int level);
/* May the rung be placed at px_ticks now, with market data data_id? */
bool	ordr_may_place(const struct ordr *g, int side, int level,
	    int64_t px_ticks, uint64_t data_id, int64_t now);
/* The earliest backoff end after now (0: none): when to look again. */
int64_t	ordr_next_ns(const struct ordr *g, int64_t now);

/*
 * The reject rate, a figure of the CSV: rejects per second over the last
 * ORDR_RATE_SECS whole seconds (one bucket a second, so a storm shows at
 * once and fades within the window).
 */
#define ORDR_RATE_SECS	10

struct ordr_rate {
	int64_t		 sec[ORDR_RATE_SECS];	/* second the bucket counts */
	uint32_t	 n[ORDR_RATE_SECS];
};

void	ordr_rate_add(struct ordr_rate *r, int64_t now, unsigned k);
double	ordr_rate_per_s(const struct ordr_rate *r, int64_t now);

#endif
