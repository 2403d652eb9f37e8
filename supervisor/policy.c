/*
 * policy.c — restart decisions for a supervised service.
 *
 * The first death in a calm period restarts at once: most crashes are one
 * offs, and a market maker without its order service is blind. Repeated
 * deaths double the wait (backoff_initial, 2x, 4x ... up to backoff_max) so
 * a crash loop does not hammer the exchange with reconnects and
 * reconciliations. A period of one window without deaths is calm again.
 * Reaching max_deaths within the window means restarting does not help:
 * the caller escalates (stops the tree, exits non-zero, lets systemd act).
 */
#include "policy.h"

#include <string.h>

#define NS(s)	((int64_t)((s) * 1e9))

void
policy_configure(struct policy *p, int max_deaths, double window_s,
    double backoff_initial_s, double backoff_max_s)
{
	if (max_deaths < 1)
		max_deaths = 1;
	if (max_deaths > POLICY_TALLY_MAX)
		max_deaths = POLICY_TALLY_MAX;
	p->max_deaths = max_deaths;
	p->window_ns = NS(window_s);
	p->backoff_initial_ns = NS(backoff_initial_s);
	p->backoff_max_ns = NS(backoff_max_s);
}

void
policy_init(struct policy *p, int max_deaths, double window_s,
    double backoff_initial_s, double backoff_max_s)
{
	memset(p, 0, sizeof(*p));
	policy_configure(p, max_deaths, window_s, backoff_initial_s,
	    backoff_max_s);
}

/* Forget deaths older than the window. */
static void
policy_expire(struct policy *p, int64_t now_ns)
{
	while (p->tally_len > 0) {
		int oldest = (p->tally_head - p->tally_len + POLICY_TALLY_MAX) %
		    POLICY_TALLY_MAX;
		if (now_ns - p->tally[oldest] < p->window_ns)
			break;
		p->tally_len--;
	}
}

int
policy_recent(const struct policy *p, int64_t now_ns)
{
	int i, n = 0;

	for (i = 0; i < p->tally_len; i++) {
		int k = (p->tally_head - 1 - i + POLICY_TALLY_MAX) %
		    POLICY_TALLY_MAX;
		if (now_ns - p->tally[k] < p->window_ns)
			n++;
	}
	return n;
}

static int64_t
policy_backoff(const struct policy *p)
{
	int64_t d = p->backoff_initial_ns;
	int i;

	/* streak 1 -> 0, 2 -> initial, 3 -> 2x initial, ... */
	if (p->streak <= 1)
		return 0;
	for (i = 2; i < p->streak && d < p->backoff_max_ns; i++)
		d *= 2;
	return d < p->backoff_max_ns ? d : p->backoff_max_ns;
}

enum policy_verdict
policy_death(struct policy *p, int64_t now_ns, int64_t *delay_ns)
{
	policy_expire(p, now_ns);
	if (p->last_death_ns != 0 && now_ns - p->last_death_ns >= p->window_ns)
		p->streak = 0;
	p->last_death_ns = now_ns;
	p->streak++;
	p->tally[p->tally_head] = now_ns;
	p->tally_head = (p->tally_head + 1) % POLICY_TALLY_MAX;
	if (p->tally_len < POLICY_TALLY_MAX)
		p->tally_len++;

	*delay_ns = 0;
	if (p->tally_len >= p->max_deaths)
		return POLICY_ESCALATE;
	*delay_ns = policy_backoff(p);
	return POLICY_RESTART;
}
