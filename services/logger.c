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
 */
#include <stdlib.h>
#include <string.h>

#include "csvlog.h"
#include "log.h"
#include "logrow.h"
#include "svc.h"
#include "timeutil.h"

#define LOGGER_SAMPLE_NS	NS_PER_S
#define LOGGER_RETRY_NS		(10 * NS_PER_S)	/* reopen a failing dir */

struct logger_ctx {
	struct csvlog		*csv;		/* NULL: not writing CSV */
	struct logrow_self	 self;
	int64_t			 next_sample_ns;	/* monotonic */
	int64_t			 next_open_ns;		/* monotonic */
	int			 reopen;	/* config changed the CSV */
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

static int
logger_init(struct svc *s)
{
	struct logger_ctx *lc = s->priv;
	int64_t now = now_mono_ns();

	logger_csv_open(s, now);
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

static void
logger_on_timer(struct svc *s, int64_t now)
{
	struct logger_ctx *lc = s->priv;

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
	return 0;
}

static void
logger_on_stop(struct svc *s)
{
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
