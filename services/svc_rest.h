/*
 * svc_rest.h — the service runtime's glue for a REST client (svc_rest.c).
 */
#ifndef PMM_SVC_REST_H
#define PMM_SVC_REST_H

#include "bn_rest.h"
#include "svc.h"

/*
 * Share rate-limit holds with the other services through the state
 * segment: a 429 back-off or 418 ban this client receives is published in
 * our heartbeat record, and the holds the others published stop this
 * client too (Binance limits per IP, not per process).
 */
void	svc_share_rate_limits(struct svc *s, struct bn_rest *r);
/*
 * Stop the service with exit 78 (said once, with the setting's name and the
 * exchange's answer) when the exchange refuses the API key or the signature
 * (bn_auth_blame()): no retry can fix that, and pmmd stops the tree.
 */
void	svc_refuse_bad_keys(struct svc *s, struct bn_rest *r);

#endif
