/*
 * logrow.h — what the logger writes: the metric rows sampled from the
 * state segment every second, and one row per bus event (fill, order
 * event, risk action, service event). Kept apart from logger.c's main()
 * so the unit tests build the same rows from a segment they fill in.
 *
 * Every metric and its unit is listed in docs/METRICS.md; the table in
 * logrow.c is the source of truth (logrow_metric_name() walks it).
 */
#ifndef PMM_LOGROW_H
#define PMM_LOGROW_H

#include <stdint.h>

#include "cfg.h"
#include "csvlog.h"
#include "msg.h"
#include "shm.h"

/* Counters of the logger itself, written as metrics too. */
struct logrow_self {
	uint64_t	 events;	/* bus events recorded */
	uint64_t	 bus_dropped;	/* malformed/oversized frames */
};

/*
 * One sample of every metric at ts_ns (realtime). A section its writer
 * never published yet gives rows with an empty value and "no data yet".
 * Returns the rows queued, or -1 if the CSV refused one.
 */
int		 logrow_sample(struct csvlog *cl, const struct cfg *c,
		    const struct shm_state *st, const struct logrow_self *self,
		    int64_t ts_ns);
/*
 * The row for a bus event, stamped with the time it was published (so an
 * event queued while the logger was down keeps its own time). 1 when a
 * row was queued, 0 for a type that is not an event, -1 on a CSV error.
 */
int		 logrow_event(struct csvlog *cl, const struct cfg *c,
		    const struct pmm_msg *m, int64_t now_ns);
/*
 * The summary line for the log (logging.summary_interval): mid, spread,
 * quoting or why not, position, fills, net PnL; "-" for what nobody
 * published yet. order_up: the order service is running (else its
 * quote state is stale and the line says so).
 */
void		 logrow_summary(char *buf, size_t len, const char *base,
		    const struct shm_market *m, int have_m,
		    const struct shm_orders *o, int have_o,
		    const struct shm_risk *k, int have_k, int order_up);
/* Metric names in table order, NULL past the end (docs and tests). */
const char	*logrow_metric_name(int i);

#endif
