/*
 * pxguard.c — the price sanity checks the order service runs on a book
 * before quoting on it: spread, distance from the mark price, jump since
 * the last accepted mid (see pxguard.h for the rules and why).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pxguard.h"

void
pxg_init(struct pxg *g, const struct pxg_config *c)
{
	memset(g, 0, sizeof(*g));
	g->c = *c;
}

void
pxg_set_config(struct pxg *g, const struct pxg_config *c)
{
	g->c = *c;
}

const char *
pxg_verdict_name(enum pxg_verdict v)
{
	switch (v) {
	case PXG_OK:		return "sane";
	case PXG_NO_BOOK:	return "no usable book";
	case PXG_SPREAD:	return "spread too wide";
	case PXG_MARK:		return "mid too far from the mark price";
	case PXG_JUMP:		return "mid jumped";
	}
	return "?";
}

static double
pxg_pct(double a, double b)
{
	return fabs(a - b) / b * 100;
}

/* The reference still counts: accepted within the window. */
static bool
pxg_ref_live(const struct pxg *g, int64_t now)
{
	return g->have_ref && now - g->ref_ns < g->c.jump_window_ns;
}

enum pxg_verdict
pxg_check(struct pxg *g, double bid, double ask, double mark, int64_t now,
    char *why, size_t len)
{
	double mid, d;

	if (len > 0)
		why[0] = '\0';
	if (!isfinite(bid) || !isfinite(ask) || !(bid > 0) || !(ask > bid)) {
		snprintf(why, len, "book unusable: bid %.10g ask %.10g", bid,
		    ask);
		return PXG_NO_BOOK;
	}
	mid = (bid + ask) / 2;
	if ((d = (ask - bid) / mid * 100) > g->c.max_spread_pct) {
		snprintf(why, len, "book failed sanity: spread %.3g%% > max "
		    "%.3g%% (bid %.10g ask %.10g)", d, g->c.max_spread_pct,
		    bid, ask);
		return PXG_SPREAD;
	}
	if (isfinite(mark) && mark > 0 &&
	    (d = pxg_pct(mid, mark)) > g->c.max_mark_dev_pct) {
		snprintf(why, len, "book failed sanity: mid %.10g is %.3g%% "
		    "from mark %.10g > max %.3g%%", mid, d, mark,
		    g->c.max_mark_dev_pct);
		return PXG_MARK;
	}
	if (pxg_ref_live(g, now) &&
	    (d = pxg_pct(mid, g->ref_mid)) > g->c.max_jump_pct) {
		snprintf(why, len, "book failed sanity: mid jumped %.3g%% "
		    "(%.10g -> %.10g) > max %.3g%%", d, g->ref_mid, mid,
		    g->c.max_jump_pct);
		return PXG_JUMP;
	}
	g->have_ref = true;
	g->ref_mid = mid;
	g->ref_ns = now;
	return PXG_OK;
}
