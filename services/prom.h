/*
 * prom.h — the tree's figures in Prometheus' text exposition format.
 *
 * Pure: a snapshot of the state segment's sections plus what the logger
 * counted from the bus (fills) in, one exposition text out. No I/O, no
 * clock: the caller passes the times. The logger serves the text on
 * /metrics (services/promhttp.c); the metric names and labels are listed
 * in docs/METRICS.md ("Prometheus").
 */
#ifndef PMM_PROM_H
#define PMM_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "msg.h"
#include "shm.h"
#include "text.h"

/* What the logger counts from FILL events since it started. */
struct prom_fills {
	uint64_t	trades[2][2];		/* [side][maker] */
	double		base[2], quote[2];	/* volume per side */
	double		fees_quote;		/* fees paid in the quote asset */
	double		fees_other;		/* in any other asset (BNB...) */
	uint64_t	recovered;		/* read back from trade history */
};

/* Sections of the segment; have_* says the writer published it. */
struct prom_in {
	const struct cfg	*c;
	const char		*base, *quote;	/* assets of the symbol */
	struct shm_market	 m;
	struct shm_orders	 o;
	struct shm_risk		 k;
	struct shm_procs	 p;
	struct shm_hb		 hb[SVC_COUNT];
	int			 have_m, have_o, have_k, have_p;
	int			 have_hb[SVC_COUNT];
	const struct prom_fills	*f;
	uint64_t		 scrapes;	/* this one included */
	int64_t			 now_real_ns, now_mono_ns;
};

/* Count one FILL into f (quote is the symbol's quote asset). */
void	prom_fill(struct prom_fills *f, const struct pmm_fill *fill,
	    const char *quote);
/* The whole exposition for in; 0, or -1 when out of memory. */
int	prom_render(const struct prom_in *in, struct text_buf *b);

#endif
