/*
 * risk.c — the risk service: owns the position and the strategy pause flag
 * (the "risk" section of the state segment). An operator pause arrives
 * from pmmd; pmmd also keeps it in its own section so a restarted risk
 * service comes back paused. Position checks arrive with the trading work.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "svc.h"
#include "timeutil.h"

struct risk_ctx {
	struct shm_risk	 rk;
};

static void
risk_set_pause(struct svc *s, int paused, const char *reason)
{
	struct risk_ctx *rc = s->priv;
	struct pmm_msg m;

	if (rc->rk.paused == (uint32_t)paused &&
	    (!paused || strcmp(rc->rk.pause_reason, reason) == 0))
		return;
	rc->rk.paused = paused;
	snprintf(rc->rk.pause_reason, sizeof(rc->rk.pause_reason), "%s",
	    paused ? reason : "");
	rc->rk.paused_since_ns = paused ? now_real_ns() : 0;
	SHM_PUBLISH(&s->shm->risk, &rc->rk);

	memset(&m, 0, sizeof(m));
	m.u.risk.kind = paused ? RISK_PAUSE : RISK_RESUME;
	m.u.risk.position = rc->rk.position;
	m.u.risk.notional = rc->rk.position_notional;
	m.u.risk.limit = s->cfg.initial_capital * s->cfg.max_net_position_ratio;
	snprintf(m.u.risk.text, sizeof(m.u.risk.text), "%s",
	    paused ? reason : "resumed");
	svc_publish(s, PMM_MSG_RISK_ACTION, &m);
	log_info("strategy %s%s%s", paused ? "paused: " : "resumed",
	    paused ? "" : "", paused ? reason : "");
}

static int
risk_init(struct svc *s)
{
	struct risk_ctx *rc = s->priv;
	struct shm_procs pr;

	SHM_SNAPSHOT(&s->shm->risk, &rc->rk);
	/* an operator pause outlives a restart of this service */
	if (SHM_SNAPSHOT(&s->shm->procs, &pr) == 0 && pr.operator_paused)
		risk_set_pause(s, 1, pr.operator_reason);
	return 0;
}

static void
risk_on_pause(struct svc *s, int paused, const char *reason)
{
	char why[96];

	snprintf(why, sizeof(why), "operator: %s", reason);
	risk_set_pause(s, paused, why);
}

static const struct svc_ops risk_ops = {
	.init = risk_init,
	.on_pause = risk_on_pause,
};

int
main(int argc, char **argv)
{
	struct risk_ctx rc;

	memset(&rc, 0, sizeof(rc));
	return svc_main(SVC_RISK, &risk_ops, &rc, argc, argv);
}
