/*
 * ord_rej.c — the per-rung memory of post-only rejects: a rejected rung
 * waits for newer market data before its price is tried again, and backs
 * off in time when rejects repeat (see ord_rej.h for why).
 */
#include <string.h>

#include "ord_rej.h"

void
ordr_init(struct ordr *g, int64_t base_ns, int64_t max_ns)
{
	memset(g, 0, sizeof(*g));
	g->base_ns = base_ns > 0 ? base_ns : ORDR_BASE_NS;
	g->max_ns = max_ns >= g->base_ns ? max_ns : g->base_ns;
}

/* NULL for a side or level no ladder has (level 0 is risk's flatten). */
static struct ordr_rung *
ordr_rung(struct ordr *g, int side, int level)
{
	if (side < 0 || side > 1 || level < 1 || level > STRAT_MAX_LEVELS)
		return NULL;
	return &g->r[side][level];
}

/* base * 2^(streak - 2) for the second reject on, capped at max. */
static int64_t
ordr_backoff(const struct ordr *g, unsigned streak)
{
	int64_t d = g->base_ns;
	unsigned i;

	if (streak < 2)
		return 0;
	for (i = 2; i < streak && d < g->max_ns; i++)
		d *= 2;
	return d < g->max_ns ? d : g->max_ns;
}

void
ordr_on_reject(struct ordr *g, int side, int level, int64_t px_ticks,
    uint64_t data_id, int64_t now)
{
	struct ordr_rung *r = ordr_rung(g, side, level);

	if (r == NULL)
		return;
	r->rejected = true;
	r->px_ticks = px_ticks;
	r->data_id = data_id;
	if (r->streak < 64)
		r->streak++;
	r->until_ns = now + ordr_backoff(g, r->streak);
}

void
ordr_on_accept(struct ordr *g, int side, int level)
{
	struct ordr_rung *r = ordr_rung(g, side, level);

	if (r != NULL)
		memset(r, 0, sizeof(*r));
}

bool
ordr_may_place(const struct ordr *g, int side, int level, int64_t px_ticks,
    uint64_t data_id, int64_t now)
{
	const struct ordr_rung *r;

	if (side < 0 || side > 1 || level < 1 || level > STRAT_MAX_LEVELS)
		return true;
	r = &g->r[side][level];
	if (!r->rejected)
		return true;
	if (now < r->until_ns)
		return false;
	/* the same price on the same data can only be rejected again */
	return !(px_ticks == r->px_ticks && data_id <= r->data_id);
}

int64_t
ordr_next_ns(const struct ordr *g, int64_t now)
{
	int64_t next = 0;
	int s, l;

	for (s = 0; s < 2; s++)
		for (l = 1; l <= STRAT_MAX_LEVELS; l++) {
			const struct ordr_rung *r = &g->r[s][l];

			if (r->rejected && r->until_ns > now &&
			    (next == 0 || r->until_ns < next))
				next = r->until_ns;
		}
	return next;
}

void
ordr_rate_add(struct ordr_rate *r, int64_t now, unsigned k)
{
	int64_t sec = now / 1000000000LL;
	int i = (int)(sec % ORDR_RATE_SECS);

	if (r->sec[i] != sec) {
		r->sec[i] = sec;
		r->n[i] = 0;
	}
	r->n[i] += k;
}

double
ordr_rate_per_s(const struct ordr_rate *r, int64_t now)
{
	int64_t sec = now / 1000000000LL;
	uint64_t sum = 0;
	int i;

	for (i = 0; i < ORDR_RATE_SECS; i++)
		if (r->sec[i] > sec - ORDR_RATE_SECS && r->sec[i] <= sec)
			sum += r->n[i];
	return (double)sum / ORDR_RATE_SECS;
}
