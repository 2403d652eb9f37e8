/*
 * timeutil.h — clocks in nanoseconds. CLOCK_REALTIME for wall time that is
 * shown or compared with the exchange, CLOCK_MONOTONIC for intervals.
 */
#ifndef PMM_TIMEUTIL_H
#define PMM_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

#define NS_PER_S	1000000000LL
#define NS_PER_MS	1000000LL

static inline int64_t
time_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static inline int64_t now_real_ns(void) { return time_ns(CLOCK_REALTIME); }
static inline int64_t now_mono_ns(void) { return time_ns(CLOCK_MONOTONIC); }

#endif
