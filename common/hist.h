/*
 * hist.h — a fixed-size latency histogram for benchmarks and counters.
 *
 * Samples are int64 nanoseconds. Buckets are log-linear: exact below 64 ns,
 * then 64 buckets per power of two, so any percentile is within 1/64
 * (1.6 %) of the true sample. The struct has no pointers and needs no
 * allocation: put it on the stack, in a context struct or in shared memory.
 */
#ifndef PMM_HIST_H
#define PMM_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS	6
#define HIST_SUB	(1 << HIST_SUB_BITS)
/* exact bucket per value below HIST_SUB, then one group per msb 6..62 */
#define HIST_BUCKETS	(HIST_SUB + (63 - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t	count;
	int64_t		min, max;
	double		sum;
	uint64_t	b[HIST_BUCKETS];
};

void	 hist_init(struct hist *h);
/* Negative samples (a clock step) count as 0. */
void	 hist_record(struct hist *h, int64_t ns);
void	 hist_merge(struct hist *dst, const struct hist *src);
/* The sample at percentile p (0..100], 0 when empty; 100 is the max. */
int64_t	 hist_percentile(const struct hist *h, double p);
double	 hist_mean(const struct hist *h);
/* "label  n=…  p50 … p90 … p99 … p99.9 … max …" with unit-scaled times. */
void	 hist_print(FILE *f, const char *label, const struct hist *h);
/* "1.23us", "850ns", "12.0ms" into buf. */
char	*hist_fmt_ns(char *buf, size_t len, double ns);

#endif
