/*
 * ord_sched.c — the order service's periodic requests as small state
 * machines on the monotonic clock: the countdownCancelAll dead man's
 * switch (renewed every countdown/3, so one lost renewal still leaves the
 * orders covered; "off" sent once) and the listenKey keepalive. Pure
 * arithmetic, so the schedule is tested without waiting.
 */
#include "ord.h"

#include "timeutil.h"

int64_t
ord_cd_period_ns(int ms)
{
	return ms > 0 ? (int64_t)ms * NS_PER_MS / 3 : 0;
}

void
ord_cd_init(struct ord_countdown *cd, int ms)
{
	cd->ms = ms > 0 ? ms : 0;
	cd->next_ns = 0;
	cd->sent_ns = 0;
	cd->zero_done = false;
	cd->inflight = false;
}

void
ord_cd_set(struct ord_countdown *cd, int ms)
{
	bool inflight = cd->inflight;
	int64_t sent = cd->sent_ns;

	/* a renewal in flight stays in flight: its answer ends it */
	ord_cd_init(cd, ms);
	cd->inflight = inflight;
	cd->sent_ns = sent;
}

bool
ord_cd_due(const struct ord_countdown *cd, int64_t now_ns)
{
	if (cd->inflight || now_ns < cd->next_ns)
		return false;
	return cd->ms > 0 || !cd->zero_done;
}

void
ord_cd_sent(struct ord_countdown *cd, int64_t now_ns)
{
	cd->inflight = true;
	cd->sent_ns = now_ns;
}

void
ord_cd_done(struct ord_countdown *cd, int64_t now_ns, bool ok)
{
	int64_t period = ord_cd_period_ns(cd->ms);

	cd->inflight = false;
	if (ok) {
		/* the exchange restarted the countdown when it got it */
		cd->next_ns = cd->sent_ns + period;
		cd->zero_done = cd->ms == 0;
		return;
	}
	cd->next_ns = now_ns + (period > 0 && period < ORD_CD_RETRY_NS ?
	    period : ORD_CD_RETRY_NS);
}

int64_t
ord_cd_next(const struct ord_countdown *cd)
{
	if (cd->ms == 0 && cd->zero_done)
		return INT64_MAX;
	return cd->next_ns;
}

void
ord_lk_init(struct ord_lk *k, int interval_s, int64_t now_ns)
{
	k->interval_ns = (int64_t)(interval_s > 0 ? interval_s : 1800) *
	    NS_PER_S;
	k->next_ns = now_ns + k->interval_ns;
	k->inflight = false;
}

bool
ord_lk_due(const struct ord_lk *k, int64_t now_ns)
{
	return !k->inflight && now_ns >= k->next_ns;
}

void
ord_lk_sent(struct ord_lk *k)
{
	k->inflight = true;
}

void
ord_lk_done(struct ord_lk *k, int64_t now_ns, bool ok)
{
	k->inflight = false;
	k->next_ns = now_ns + (ok ? k->interval_ns : ORD_LK_RETRY_NS);
}
