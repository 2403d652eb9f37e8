/*
 * market.c — the market data service.
 *
 * Owns the "market" section of the state segment and publishes TICKs to
 * order and risk. This file is the process entry point; the WebSocket feed
 * itself arrives with the trading work, on top of the service runtime.
 */
#include <string.h>

#include "svc.h"

struct market_ctx {
	struct shm_market	 mkt;	/* our record, published whole */
};

static int
market_init(struct svc *s)
{
	struct market_ctx *mc = s->priv;

	/* continue from what an earlier instance published */
	SHM_SNAPSHOT(&s->shm->market, &mc->mkt);
	return 0;
}

static const struct svc_ops market_ops = {
	.init = market_init,
};

int
main(int argc, char **argv)
{
	struct market_ctx mc;

	memset(&mc, 0, sizeof(mc));
	return svc_main(SVC_MARKET, &market_ops, &mc, argc, argv);
}
