/*
 * policy.h — the restart policy of one supervised service, as a pure state
 * machine (no clocks read, no processes touched) so it can be tested
 * exhaustively. Modelled on s6's death tally and OTP's one_for_one
 * intensity/period: restart at once the first time, back off exponentially
 * on repeats, and escalate after max_deaths deaths within window.
 */
#ifndef PMM_POLICY_H
#define PMM_POLICY_H

#include <stdint.h>

#define POLICY_TALLY_MAX	1000	/* >= the largest max_deaths accepted */

enum policy_verdict {
	POLICY_RESTART,		/* restart after *delay_ns (0 = at once) */
	POLICY_ESCALATE,	/* too many deaths: give up on the tree */
};

struct policy {
	int		max_deaths;	/* deaths within window that escalate */
	int64_t		window_ns;
	int64_t		backoff_initial_ns;
	int64_t		backoff_max_ns;
	/* death tally: monotonic times of recent deaths, a ring */
	int64_t		tally[POLICY_TALLY_MAX];
	int		tally_head, tally_len;
	int		streak;		/* deaths since the last calm period */
	int64_t		last_death_ns;
};

void	policy_init(struct policy *p, int max_deaths, double window_s,
	    double backoff_initial_s, double backoff_max_s);
/* Change limits (config reload) keeping the tally. */
void	policy_configure(struct policy *p, int max_deaths, double window_s,
	    double backoff_initial_s, double backoff_max_s);
/* A death at monotonic time now: what to do, and after how long. */
enum policy_verdict policy_death(struct policy *p, int64_t now_ns,
	    int64_t *delay_ns);
/* Deaths counted within the window ending at now. */
int	policy_recent(const struct policy *p, int64_t now_ns);

#endif
