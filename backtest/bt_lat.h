/*
 * bt_lat.h — the backtest's latencies: how long a market update takes to
 * reach the strategy (feed), an order to reach the book (entry), and the
 * exchange's answer to come back (response).
 *
 *   feed      "recorded": the recording's own receive time minus the
 *             exchange's event time E of each line. The recorder's clock
 *             is not the exchange's (btcusdt_20240808 reads 1.27 s
 *             early), so the offset is removed: latency = (recv - E) -
 *             the smallest (recv - E) seen so far, i.e. the fastest line
 *             counts as instantaneous, causally (nothing from the future).
 *             Or a constant (the synthetic market has no recorded times).
 *   entry,    constants, or drawn (seeded) from a measured distribution:
 *   response  a file of lines "ENTRY_MS RESPONSE_MS", or "RTT_MS" alone
 *             (then half each way); '#' starts a comment. Or the live
 *             logger's metrics CSV of a real run: its order_rtt_ms
 *             samples (the order service's last REST round trip, every
 *             second), half each way.
 *
 * A decision taken at t reaches the book at t + entry and its answer the
 * strategy at t + entry + response. The exchange's user-stream events
 * travel like answers (response). Pure apart from the file loader.
 */
#ifndef PMM_BT_LAT_H
#define PMM_BT_LAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_int.h"

#define BT_LAT_MAX_MS	60000.0		/* a latency beyond a minute is a typo */

struct bt_lat_opts {
	double		 entry_ms, response_ms;	/* constants */
	bool		 feed_recorded;
	double		 feed_ms;		/* constant, or the recorded
						   latency when a line has no E */
	char		 file[4096];		/* "" = the constants */
	uint64_t	 seed;
};

struct bt_lat {
	struct bt_lat_opts o;
	double		*entry, *resp;		/* the distribution, ms */
	size_t		 n;
	struct rng	 rng;
	bool		 have_off;
	int64_t		 off_ns;		/* smallest recv - E so far */
};

/* Defaults: entry 1 ms, response 1 ms, feed recorded (1 ms without E). */
void	bt_lat_defaults(struct bt_lat_opts *o);
/* "entry=MS,response=MS,feed=recorded|MS" (any subset). -1 with err. */
int	bt_lat_parse(struct bt_lat_opts *o, const char *spec, char *err,
	    size_t errlen);
/* Ready to draw: loads o->file if set. -1 with err naming file and line. */
int	bt_lat_init(struct bt_lat *l, const struct bt_lat_opts *o, char *err,
	    size_t errlen);
void	bt_lat_free(struct bt_lat *l);
int64_t	bt_lat_entry(struct bt_lat *l);
int64_t	bt_lat_response(struct bt_lat *l);
/* recv_ns / e_ms of the recorded line, 0 when it has none. */
int64_t	bt_lat_feed(struct bt_lat *l, int64_t recv_ns, int64_t e_ms);

#endif
