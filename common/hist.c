/*
 * hist.c — log-linear latency histogram (see hist.h).
 *
 * Like HdrHistogram with 2 significant binary digits of 6 bits: the bucket
 * of a value is its most significant bit (the "group") and the next 6 bits.
 * Recording is a count-leading-zeros and an increment, cheap enough to call
 * inside the loop being measured.
 */
#include "hist.h"

#include <math.h>
#include <string.h>

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = INT64_MAX;
}

static unsigned
hist_index(uint64_t v)
{
	unsigned	msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	/* v >> shift lies in [HIST_SUB, 2 * HIST_SUB) */
	return HIST_SUB + shift * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

/* Lowest value of bucket i and the width of its range. */
static void
hist_range(unsigned i, uint64_t *lo, uint64_t *width)
{
	unsigned	shift;

	if (i < HIST_SUB) {
		*lo = i;
		*width = 1;
		return;
	}
	shift = (i - HIST_SUB) / HIST_SUB;
	*lo = (uint64_t)(HIST_SUB + (i - HIST_SUB) % HIST_SUB) << shift;
	*width = (uint64_t)1 << shift;
}

void
hist_record(struct hist *h, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	h->b[hist_index((uint64_t)ns)]++;
	h->count++;
	h->sum += (double)ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned	i;

	if (src->count == 0)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

int64_t
hist_percentile(const struct hist *h, double p)
{
	uint64_t	rank, seen = 0, lo, width;
	int64_t		mid;
	unsigned	i;

	if (h->count == 0)
		return 0;
	if (p >= 100.0)
		return h->max;
	if (p <= 0.0)
		return h->min;
	/* the smallest sample with at least p % of samples at or below it */
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	hist_range(i, &lo, &width);
	/* the bucket's middle, but never outside what was recorded */
	mid = (int64_t)(lo + (width - 1) / 2);
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}

double
hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

char *
hist_fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

void
hist_print(FILE *f, const char *label, const struct hist *h)
{
	static const double	 pct[] = { 50, 90, 99, 99.9 };
	static const char	*name[] = { "p50", "p90", "p99", "p99.9" };
	char			 b[32];
	unsigned		 i;

	fprintf(f, "%-28s n=%-8llu", label, (unsigned long long)h->count);
	for (i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		fprintf(f, " %s=%-9s", name[i], hist_fmt_ns(b, sizeof(b),
		    (double)hist_percentile(h, pct[i])));
	fprintf(f, " max=%s\n", hist_fmt_ns(b, sizeof(b), (double)h->max));
}
