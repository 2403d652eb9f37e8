/*
 * logger.c — the logger service: receives events (fills, order events,
 * risk actions, service deaths) over the bus and records them. The daily
 * metrics CSV arrives with the trading work; for now every event is logged.
 */
#include <string.h>

#include "log.h"
#include "svc.h"

struct logger_ctx {
	uint64_t	 events;
};

static void
logger_on_msg(struct svc *s, const struct pmm_msg *m)
{
	struct logger_ctx *lc = s->priv;

	(void)s;
	lc->events++;
	switch (m->env.type) {
	case PMM_MSG_SVC_EVENT:
		log_info("event: service %s %s", svc_name(m->u.svc.svc),
		    m->u.svc.text);
		break;
	case PMM_MSG_RISK_ACTION:
		log_info("event: risk %s", m->u.risk.text);
		break;
	default:
		log_debug("event: %s", msg_type_name(m->env.type));
	}
}

static const struct svc_ops logger_ops = {
	.on_msg = logger_on_msg,
};

int
main(int argc, char **argv)
{
	struct logger_ctx lc;

	memset(&lc, 0, sizeof(lc));
	return svc_main(SVC_LOGGER, &logger_ops, &lc, argc, argv);
}
