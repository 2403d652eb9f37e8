/*
 * logger.c — the logger service: every second a sample of every metric
 * from the state segment, and one row per event received on the bus
 * (fills, order events, risk actions, service deaths and restarts), into
 * <log_directory>/metrics-YYYYMMDD.csv (see csvlog.h and logrow.h).
 *
 * Events are written in the loop iteration after they arrive, so the
 * window in which a SIGKILL can lose a received event is one iteration.
 * Events published while the logger was down wait in the publisher's
 * bus_peer queue and arrive, in order and once, when it is back.
 * log_to_csv false: events are only logged, no file is touched.
 *
 * With metrics.enabled it also serves Prometheus' /metrics (prom.c renders,
 * promhttp.c serves): the logger already reads every section of the
 * segment and hears every fill, and it is not on the order path, so a
 * scrape can never delay a quote.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "csvlog.h"
#include "log.h"
#include "logrow.h"
#include "prom.h"
#include "promhttp.h"
#include "svc.h"
#include "timeutil.h"

#define LOGGER_SAMPLE_NS	NS_PER_S
#define LOGGER_RETRY_NS		(10 * NS_PER_S)	/* reopen a failing dir */

struct logger_ctx {
	struct csvlog		*csv;		/* NULL: not writing CSV */
	struct logrow_self	 self;
	int64_t			 next_sample_ns;	/* monotonic */
	int64_t			 next_summary_ns;	/* monotonic */
	int64_t			 next_open_ns;		/* monotonic */
	int			 reopen;	/* config changed the CSV */

	/* Prometheus */
	struct promhttp		 http;		/* http.d NULL: not serving */
	struct prom_fills	 fills;		/* since this logger started */
	uint64_t		 scrapes;
	int64_t			 next_http_ns;	/* monotonic: retry listen */
	int			 rehttp;	/* config changed the endpoint */
	char			 base[16], quote[16];
	struct svc		*s;
};

static void
logger_csv_close(struct logger_ctx *lc)
{
	if (lc->csv == NULL)
		return;
	csvlog_close(lc->csv);
	free(lc->csv);
	lc->csv = NULL;
}

/* Open the CSV the config asks for; a failure is retried later, since a
 * bad log directory should not stop the tree from trading. */
static void
logger_csv_open(struct svc *s, int64_t now)
{
	struct logger_ctx *lc = s->priv;

	logger_csv_close(lc);
	lc->next_open_ns = now + LOGGER_RETRY_NS;
	if (!s->cfg.logging.log_to_csv)
		return;
	if ((lc->csv = malloc(sizeof(*lc->csv))) == NULL) {
		log_warn("%s: malloc", __func__);
		return;
	}
	if (csvlog_open(lc->csv, s->cfg.logging.log_directory) == -1) {
		log_warnx("metrics CSV off until %s is usable (retrying)",
		    s->cfg.logging.log_directory);
		free(lc->csv);
		lc->csv = NULL;
		return;
	}
	log_info("metrics CSV in %s", s->cfg.logging.log_directory);
}

/* ---- Prometheus -------------------------------------------------------- */

/* Copy section sect into dst if its writer ever published it. */
#define LOGGER_SNAP(sect, dst)						\
	(atomic_load_explicit(&(sect)->seq, memory_order_acquire) != 0 &&	\
	    SHM_SNAPSHOT((sect), (dst)) == 0)

static int
logger_render(void *arg, struct text_buf *b)
{
	struct logger_ctx *lc = arg;
	struct shm_state *st = lc->s->shm;
	struct prom_in in;
	int i;

	memset(&in, 0, sizeof(in));
	in.c = &lc->s->cfg;
	in.base = lc->base;
	in.quote = lc->quote;
	in.have_m = LOGGER_SNAP(&st->market, &in.m);
	in.have_o = LOGGER_SNAP(&st->orders, &in.o);
	in.have_k = LOGGER_SNAP(&st->risk, &in.k);
	in.have_p = LOGGER_SNAP(&st->procs, &in.p);
	for (i = 0; i < SVC_COUNT; i++)
		in.have_hb[i] = LOGGER_SNAP(&st->hb[i], &in.hb[i]);
	in.f = &lc->fills;
	in.scrapes = ++lc->scrapes;
	in.now_real_ns = now_real_ns();
	in.now_mono_ns = now_mono_ns();
	return prom_render(&in, b);
}

static void
logger_http_fd(struct svc *s, int fd, uint32_t events, void *arg)
{
	struct logger_ctx *lc = arg;

	(void)s, (void)fd, (void)events;
	promhttp_run(&lc->http);
}

/* Where a scraper finds us, for an ephemeral port above all. */
static void
logger_http_addr_file(struct svc *s, const char *url)
{
	char path[512], tmp[520];
	int fd;

	if (snprintf(path, sizeof(path), "%s/metrics.addr", s->rundir) >=
	    (int)sizeof(path))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (url == NULL) {
		unlink(path);
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return;
	if (write(fd, url, strlen(url)) != (ssize_t)strlen(url) ||
	    write(fd, "\n", 1) != 1 || close(fd) == -1 ||
	    rename(tmp, path) == -1)
		log_warn("%s", tmp);
}

static void
logger_http_stop(struct svc *s)
{
	struct logger_ctx *lc = s->priv;

	if (lc->http.d == NULL)
		return;
	svc_unwatch_fd(s, lc->http.fd);
	promhttp_stop(&lc->http);
	logger_http_addr_file(s, NULL);
}

/* Serve /metrics as the config says; a failure is retried later. */
static void
logger_http_start(struct svc *s, int64_t now)
{
	struct logger_ctx *lc = s->priv;
	const char *a = s->cfg.metrics.listen_address;
	char err[256], url[128];

	logger_http_stop(s);
	lc->next_http_ns = now + LOGGER_RETRY_NS;
	if (!s->cfg.metrics.enabled)
		return;
	if (promhttp_start(&lc->http, a, s->cfg.metrics.port, logger_render,
	    lc, err, sizeof(err)) == -1) {
		log_warnx("metrics endpoint off (retrying): %s", err);
		return;
	}
	if (svc_watch_fd(s, lc->http.fd, EPOLLIN, logger_http_fd, lc) == -1) {
		promhttp_stop(&lc->http);
		return;
	}
	snprintf(url, sizeof(url), strchr(a, ':') ? "http://[%s]:%d/metrics" :
	    "http://%s:%d/metrics", a, lc->http.port);
	logger_http_addr_file(s, url);
	log_info("metrics endpoint %s", url);
}

static int
logger_init(struct svc *s)
{
	struct logger_ctx *lc = s->priv;
	int64_t now = now_mono_ns();

	lc->s = s;
	cfg_symbol_assets(s->cfg.symbol, lc->base, sizeof(lc->base), lc->quote,
	    sizeof(lc->quote));
	logger_csv_open(s, now);
	logger_http_start(s, now);
	lc->next_sample_ns = now;
	return 0;
}

static void
logger_sample(struct svc *s)
{
	struct logger_ctx *lc = s->priv;

	lc->self.bus_dropped = s->in_st.malformed + s->in_st.oversized;
	if (logrow_sample(lc->csv, &s->cfg, s->shm, &lc->self,
	    now_real_ns()) == -1)
		s->hb.errors++;
}

/* Every logging.summary_interval s a line for `journalctl -f`: how it goes. */
static void
logger_summary(struct svc *s, int64_t now)
{
	struct logger_ctx *lc = s->priv;
	struct shm_state *st = s->shm;
	int64_t every = (int64_t)s->cfg.logging.summary_interval * NS_PER_S;
	struct shm_market m;
	struct shm_orders o;
	struct shm_risk k;
	struct shm_procs p;
	char line[512];
	int hm, ho, hk, hp;

	if (every <= 0 || now < lc->next_summary_ns)
		return;
	if (lc->next_summary_ns == 0) {		/* the first after a minute */
		lc->next_summary_ns = now + every;
		return;
	}
	lc->next_summary_ns = now + every;
	memset(&o, 0, sizeof(o));
	hm = LOGGER_SNAP(&st->market, &m);
	ho = LOGGER_SNAP(&st->orders, &o);
	hk = LOGGER_SNAP(&st->risk, &k);
	hp = LOGGER_SNAP(&st->procs, &p);
	logrow_summary(line, sizeof(line), lc->base, &m, hm, &o, ho, &k, hk,
	    hp && p.p[SVC_ORDER].state == PROC_READY);
	log_info("%s", line);
}

static void
logger_on_timer(struct svc *s, int64_t now)
{
	struct logger_ctx *lc = s->priv;

	logger_summary(s, now);

	if (lc->rehttp || (lc->http.d == NULL && s->cfg.metrics.enabled &&
	    now >= lc->next_http_ns)) {
		lc->rehttp = 0;
		logger_http_start(s, now);
	}
	promhttp_run(&lc->http);	/* expires idle scrapers too */

	if (lc->reopen || (lc->csv == NULL && s->cfg.logging.log_to_csv &&
	    now >= lc->next_open_ns)) {
		lc->reopen = 0;
		logger_csv_open(s, now);
	}
	if (lc->csv == NULL)
		return;
	if (now >= lc->next_sample_ns) {
		logger_sample(s);
		lc->next_sample_ns += LOGGER_SAMPLE_NS;
		/* after a stall, sample again in a second, not in a burst */
		if (lc->next_sample_ns <= now)
			lc->next_sample_ns = now + LOGGER_SAMPLE_NS;
	}
	/* events received last iteration, and this sample: one write */
	if (csvlog_flush(lc->csv) == -1)
		s->hb.errors++;
	/* in the heartbeat record: pmmctl status shows them */
	s->hb.lost = lc->csv->rows_lost;
	s->hb.pending = lc->csv->pending;
}

static void
logger_on_msg(struct svc *s, const struct pmm_msg *m)
{
	struct logger_ctx *lc = s->priv;

	switch (m->env.type) {
	case PMM_MSG_SVC_EVENT:
		log_info("event: service %s %s", svc_name(m->u.svc.svc),
		    m->u.svc.text);
		break;
	case PMM_MSG_RISK_ACTION:
		log_info("event: risk %s", m->u.risk.text);
		break;
	case PMM_MSG_FILL:
		prom_fill(&lc->fills, &m->u.fill, lc->quote);
		break;
	default:
		log_debug("event: %s", msg_type_name(m->env.type));
	}
	if (lc->csv == NULL)
		return;
	switch (logrow_event(lc->csv, &s->cfg, m, now_real_ns())) {
	case 1:
		lc->self.events++;
		break;
	case -1:
		s->hb.errors++;
		break;
	}
}

/* Called before svc adopts newc: remember to reopen with it. */
static int
logger_on_reload(struct svc *s, const struct cfg *newc)
{
	struct logger_ctx *lc = s->priv;

	if (newc->logging.log_to_csv != s->cfg.logging.log_to_csv ||
	    strcmp(newc->logging.log_directory,
	    s->cfg.logging.log_directory) != 0)
		lc->reopen = 1;
	if (newc->metrics.enabled != s->cfg.metrics.enabled ||
	    newc->metrics.port != s->cfg.metrics.port ||
	    strcmp(newc->metrics.listen_address,
	    s->cfg.metrics.listen_address) != 0)
		lc->rehttp = 1;
	return 0;
}

static void
logger_on_stop(struct svc *s)
{
	logger_http_stop(s);
	logger_csv_close(s->priv);
}

static const struct svc_ops logger_ops = {
	.init = logger_init,
	.on_msg = logger_on_msg,
	.on_timer = logger_on_timer,
	.on_reload = logger_on_reload,
	.on_stop = logger_on_stop,
};

int
main(int argc, char **argv)
{
	struct logger_ctx lc;

	memset(&lc, 0, sizeof(lc));
	return svc_main(SVC_LOGGER, &logger_ops, &lc, argc, argv);
}
