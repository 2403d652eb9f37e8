/*
 * market.c — the market data service.
 *
 * Keeps two Binance streams up with common/binance/bn_ws: <symbol>@bookTicker on
 * the /public route and <symbol>@markPrice@1s on /market (the routes carry
 * different streams, so two connections). Every bookTicker becomes a TICK
 * on the bus to order and risk — sent first, it is what the quoting path
 * waits for — and then the "market" record of the state segment, published
 * whole. No bookTicker for market_stale_after seconds marks the record
 * stale (order stops quoting, risk pauses) until data returns.
 *
 * Readiness does not wait for the exchange: the service says READY once
 * its loop runs, with the feed marked stale, so an exchange that is down
 * does not make the supervisor kill a healthy process as "not ready".
 * The feed logic (parse, record, staleness) is services/mdfeed.c.
 */
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "bn_ws.h"
#include "log.h"
#include "mdfeed.h"
#include "svc.h"
#include "timeutil.h"

#define MARKET_URL_MAX		512
#define MARKET_TIMER_MIN_NS	NS_PER_MS
#define MARKET_TIMER_MAX_NS	(100 * NS_PER_MS)

struct market_ctx {
	struct svc		*s;
	struct mdfeed		 feed;
	struct bn_ws_loop	*loop;
	struct bn_ws		*book, *mark, *trade;
};


static void
market_publish(struct market_ctx *mc)
{
	SHM_PUBLISH(&mc->s->shm->market, &mc->feed.rec);
}

/* The hot path: one bookTicker frame. */
static void
market_on_book(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	int64_t recv = now_real_ns();
	struct market_ctx *mc = arg;
	struct pmm_msg m;

	(void)ws;
	if (mdf_on_book(&mc->feed, data, len, recv, now_mono_ns(),
	    &m.u.tick) != 1)
		return;
	memset(&m.env, 0, sizeof(m.env));
	svc_publish(mc->s, PMM_MSG_TICK, &m);
	market_publish(mc);
}

static void
market_on_mark(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	struct market_ctx *mc = arg;

	(void)ws;
	if (mdf_on_mark(&mc->feed, data, len, now_mono_ns()))
		market_publish(mc);
}

static void
market_on_trade(struct bn_ws *ws, const char *data, size_t len, void *arg)
{
	struct market_ctx *mc = arg;

	(void)ws;
	if (mdf_on_trade(&mc->feed, data, len, now_mono_ns()))
		market_publish(mc);
}

static void
market_on_state(struct bn_ws *ws, enum bn_ws_event ev, const char *why,
    void *arg)
{
	struct market_ctx *mc = arg;
	uint64_t n = 0;

	(void)why;
	if (ws == mc->book && ev == BN_WS_ROLLOVER)
		mdf_rollover(&mc->feed);
	if (mc->book != NULL)
		n += bn_ws_stats(mc->book)->reconnects;
	if (mc->mark != NULL)
		n += bn_ws_stats(mc->mark)->reconnects;
	if (mc->trade != NULL)
		n += bn_ws_stats(mc->trade)->reconnects;
	if (mdf_set_reconnects(&mc->feed, n))
		market_publish(mc);
}

static void
market_ws_readable(struct svc *s, int fd, uint32_t events, void *arg)
{
	struct market_ctx *mc = arg;

	(void)s;
	(void)fd;
	(void)events;
	bn_ws_loop_run(mc->loop, 0);
}

static struct bn_ws *
market_open(struct market_ctx *mc, const char *route, const char *kind,
    bn_ws_msg_cb cb)
{
	const struct cfg *c = &mc->s->cfg;
	char stream[96], url[MARKET_URL_MAX];
	const char *streams[1] = { stream };
	struct bn_ws_opts o;

	if (bn_ws_stream(stream, sizeof(stream), c->symbol, kind) == -1 ||
	    bn_ws_url(url, sizeof(url), c->ws_url, route, streams, 1, 1) ==
	    -1) {
		log_warnx("cannot build the %s stream URL from BINANCE_WS_URL "
		    "%s and symbol %s", kind, c->ws_url, c->symbol);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.name = kind;
	o.url = url;
	o.on_msg = cb;
	o.on_state = market_on_state;
	o.arg = mc;
	log_info("%s stream: %s", kind, url);
	return bn_ws_open(mc->loop, &o);
}

static int
market_init(struct svc *s)
{
	struct market_ctx *mc = s->priv;
	struct shm_market prev;
	struct est_config ec;

	mc->s = s;
	/* continue from what an earlier instance published, marked stale */
	memset(&prev, 0, sizeof(prev));
	SVC_READ(s, market, &prev);
	mdf_init(&mc->feed, s->cfg.symbol, s->cfg.market.stale_after, &prev);
	est_config_from_cfg(&ec, &s->cfg);
	if (mdf_est_init(&mc->feed, &ec) == -1)
		log_warnx("estimator settings unusable: fallbacks only");
	market_publish(mc);
	if ((mc->loop = bn_ws_loop_new(NULL)) == NULL ||
	    svc_watch_fd(s, bn_ws_loop_fd(mc->loop), EPOLLIN,
	    market_ws_readable, mc) == -1)
		return -1;
	if ((mc->book = market_open(mc, "public", "bookTicker",
	    market_on_book)) == NULL ||
	    (mc->mark = market_open(mc, "market", "markPrice@1s",
	    market_on_mark)) == NULL)
		return -1;
	if (s->cfg.estimator.live && (mc->trade = market_open(mc, "market",
	    "aggTrade", market_on_trade)) == NULL)
		return -1;
	return 0;
}

/* Every loop turn: lws's and our timers, staleness, the next wake-up. */
static void
market_on_timer(struct svc *s, int64_t now)
{
	struct market_ctx *mc = s->priv;
	int64_t t, d;

	if (mc->loop == NULL)
		return;
	bn_ws_loop_run(mc->loop, now);
	if (mdf_check_stale(&mc->feed, now))
		market_publish(mc);
	s->hb.errors = mc->feed.st.malformed + bn_ws_stats(mc->book)->drops +
	    bn_ws_stats(mc->mark)->drops +
	    (mc->trade != NULL ? bn_ws_stats(mc->trade)->drops : 0);
	t = bn_ws_loop_timeout_ns(mc->loop, now);
	if ((d = mdf_stale_deadline(&mc->feed)) != 0 && d - now < t)
		t = d - now;
	if (t < MARKET_TIMER_MIN_NS)
		t = MARKET_TIMER_MIN_NS;
	s->timer_ns = t < MARKET_TIMER_MAX_NS ? t : MARKET_TIMER_MAX_NS;
}

static int
market_on_reload(struct svc *s, const struct cfg *nc)
{
	struct market_ctx *mc = s->priv;
	struct est_config ec;

	/* pmmd refuses these already; a stream cannot change under us */
	if (strcmp(nc->ws_url, s->cfg.ws_url) != 0 ||
	    strcasecmp(nc->symbol, s->cfg.symbol) != 0) {
		log_warnx("BINANCE_WS_URL and symbol cannot change on reload");
		return -1;
	}
	if (nc->estimator.live != s->cfg.estimator.live) {
		log_warnx("estimator.live cannot change on reload (it opens or "
		    "closes the aggTrade stream): restart the tree");
		return -1;
	}
	if (nc->market.stale_after != s->cfg.market.stale_after)
		log_info("market_stale_after %.1f s -> %.1f s",
		    s->cfg.market.stale_after, nc->market.stale_after);
	mdf_set_stale_after(&mc->feed, nc->market.stale_after);
	if (memcmp(&nc->estimator, &s->cfg.estimator,
	    sizeof(nc->estimator)) != 0) {
		log_info("estimator settings changed: warming up again");
		est_config_from_cfg(&ec, nc);
		mdf_est_init(&mc->feed, &ec);
		market_publish(mc);
	}
	return 0;
}

/* Stopping on purpose: say the data is no longer live, then close. */
static void
market_on_stop(struct svc *s)
{
	struct market_ctx *mc = s->priv;

	mc->feed.rec.stale = 1;
	market_publish(mc);
	if (mc->loop == NULL)
		return;
	svc_unwatch_fd(s, bn_ws_loop_fd(mc->loop));
	bn_ws_loop_free(mc->loop);	/* closes both streams */
	mc->loop = NULL;
	mc->book = mc->mark = mc->trade = NULL;
}

static const struct svc_ops market_ops = {
	.init = market_init,
	.on_timer = market_on_timer,
	.on_reload = market_on_reload,
	.on_stop = market_on_stop,
};

int
main(int argc, char **argv)
{
	struct market_ctx mc;

	memset(&mc, 0, sizeof(mc));
	return svc_main(SVC_MARKET, &market_ops, &mc, argc, argv);
}
