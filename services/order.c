/*
 * order.c — the order service: quotes the ladder, owns the "orders"
 * section of the state segment, and is stopped first so it can cancel its
 * orders. This file is the process entry point; the quoting and the REST
 * client arrive with the trading work.
 */
#include <string.h>

#include "log.h"
#include "svc.h"

struct order_ctx {
	struct shm_orders	 ord;
	int			 paused;
	uint64_t		 ticks;
};

static int
order_init(struct svc *s)
{
	struct order_ctx *oc = s->priv;

	SHM_SNAPSHOT(&s->shm->orders, &oc->ord);
	return 0;
}

static void
order_on_msg(struct svc *s, const struct pmm_msg *m)
{
	struct order_ctx *oc = s->priv;

	if (m->env.type == PMM_MSG_TICK)
		oc->ticks++;
}

static void
order_on_pause(struct svc *s, int paused, const char *reason)
{
	struct order_ctx *oc = s->priv;

	oc->paused = paused;
	if (paused)
		log_info("paused: %s", reason);
	else
		log_info("resumed");
}

static const struct svc_ops order_ops = {
	.init = order_init,
	.on_msg = order_on_msg,
	.on_pause = order_on_pause,
};

int
main(int argc, char **argv)
{
	struct order_ctx oc;

	memset(&oc, 0, sizeof(oc));
	return svc_main(SVC_ORDER, &order_ops, &oc, argc, argv);
}
