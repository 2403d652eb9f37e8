/*
 * svc_rest.c — what a service that talks to the exchange adds to the
 * service runtime (svc.c): its REST client shares rate-limit holds with the
 * other services through the state segment, and a key the exchange refuses
 * stops the service as a configuration error. Apart from svc.c so that a
 * service that never talks to the exchange (the logger) links no libcurl.
 */
#include "svc_rest.h"

#include "log.h"
#include "shm.h"
#include "timeutil.h"

static void
svc_rl_get(void *arg, int64_t *backoff_until, int64_t *ban_until)
{
	struct svc *s = arg;
	struct shm_hb hb;
	/* the holds are CLOCK_MONOTONIC ms: one clock for the host */
	int64_t now_ms = now_mono_ns() / NS_PER_MS, b, ban;
	int i;

	*backoff_until = *ban_until = 0;
	for (i = 0; i < SVC_COUNT; i++) {
		if (i == (int)s->id || SVC_READ(s, hb[i], &hb) != SHM_OK)
			continue;
		/* bounded: no record makes a hold longer than Binance's
		 * longest ban, nor overflows a caller's arithmetic */
		b = shm_hold_clamp(hb.rl_backoff_until_ms, now_ms);
		ban = shm_hold_clamp(hb.rl_ban_until_ms, now_ms);
		if (b > *backoff_until)
			*backoff_until = b;
		if (ban > *ban_until)
			*ban_until = ban;
	}
}

static void
svc_rl_put(void *arg, int64_t backoff_until, int64_t ban_until)
{
	struct svc *s = arg;

	s->hb.rl_backoff_until_ms = backoff_until;
	s->hb.rl_ban_until_ms = ban_until;
	/* at once, not at the next heartbeat: the others may send meanwhile */
	SHM_PUBLISH(&s->shm->hb[s->id], &s->hb);
}

/*
 * The exchange refused our key or signature: no retry can change that, so
 * it is a configuration error (exit 78, and pmmd stops the tree). Said once,
 * with the setting's name and the exchange's answer, never the value.
 */
static void
svc_auth_refused(void *arg, const char *setting, const struct bn_resp *resp)
{
	struct svc *s = arg;

	if (s->key_refused)
		return;
	s->key_refused = 1;
	log_error("the exchange refused %s: %s %s answered HTTP %ld, code %d: "
	    "%s; stopping (exit %d, a configuration error)", setting,
	    bn_method_name(resp->method), resp->path, resp->status,
	    resp->code, resp->msg, CFG_EXIT);
	svc_stop(s, CFG_EXIT);
}

void
svc_share_rate_limits(struct svc *s, struct bn_rest *r)
{
	struct bn_rest_share sh = { .arg = s, .get = svc_rl_get,
	    .put = svc_rl_put };

	bn_rest_set_share(r, &sh);
}

void
svc_refuse_bad_keys(struct svc *s, struct bn_rest *r)
{
	bn_rest_set_auth_hook(r, svc_auth_refused, s);
}
