/*
 * shmck.c — pmmd's watch over the state segment's integrity.
 *
 * Every reader already refuses a copy that fails its checksum (shm.c) and
 * keeps its last good one, but a reader cannot mend a section it does not
 * own. pmmd owns the segment, so it looks at every section a few times a
 * second and has a corrupt one rewritten by its writer:
 *
 *	procs	pmmd's own: republished at once from pmmd's private copy
 *	others	their service republishes on its own schedule (hb every
 *		heartbeat, market every tick, ...); if the section is still
 *		corrupt after heartbeat_timeout, the service is restarted
 *		(SIGTERM, a graceful stop) and its new instance writes it
 *
 * What was found and done is logged, counted, and shown by pmmctl status
 * (segment.corrupt lists the sections that are corrupt right now).
 */
#include <jansson.h>
#include <signal.h>
#include <string.h>

#include "log.h"
#include "pmmd.h"
#include "timeutil.h"

#define SHMCK_PERIOD_NS	(250 * NS_PER_MS)
#define SEC(x)		((int64_t)((x) * 1e9))

/* The sections in a fixed order, with their writer (-1: pmmd). */
static int
shmck_owner(int k)
{
	static const int owner[SHMCK_N] = {
		-1, SVC_MARKET, SVC_ORDER, SVC_RISK,
		SVC_MARKET, SVC_ORDER, SVC_RISK, SVC_LOGGER,
	};

	return owner[k];
}

/* Read section k through pmmd's guard (which logs a corrupt copy). */
static int
shmck_read(struct pmmd *d, int k)
{
	_Alignas(64) unsigned char buf[SHM_COPY_MAX];
	struct shm_state *st = d->shm;

	switch (k) {
	case 0: return SHM_READ(&d->shm_guard, st, procs, buf);
	case 1: return SHM_READ(&d->shm_guard, st, market, buf);
	case 2: return SHM_READ(&d->shm_guard, st, orders, buf);
	case 3: return SHM_READ(&d->shm_guard, st, risk, buf);
	default: return SHM_READ(&d->shm_guard, st, hb[k - 4], buf);
	}
}

static const char *
shmck_name(const struct pmmd *d, int k)
{
	const struct shm_state *st = d->shm;

	switch (k) {
	case 0: return shm_section_name(st, &st->procs.seq);
	case 1: return shm_section_name(st, &st->market.seq);
	case 2: return shm_section_name(st, &st->orders.seq);
	case 3: return shm_section_name(st, &st->risk.seq);
	default: return shm_section_name(st, &st->hb[k - 4].seq);
	}
}

/* Still corrupt past the grace: restart the writer so it rewrites it. */
static void
shmck_restart_writer(struct pmmd *d, int k, int64_t now)
{
	struct proc *p = &d->p[shmck_owner(k)];
	double grace = d->cfg.supervisor.heartbeat_timeout;

	if (now - d->shmck_bad_since[k] < SEC(grace) ||
	    d->shmck_kicked[k] == p->pid)
		return;
	if (p->pid == 0 || p->state != PROC_READY)
		return;		/* a starting writer publishes anyway */
	log_warnx("state segment: %s section still corrupt after %.1f s; "
	    "restarting %s (pid %d) so that it rewrites it",
	    shmck_name(d, k), grace, p->name, (int)p->pid);
	d->shmck_kicked[k] = p->pid;
	d->shm_repairs++;
	kill(p->pid, SIGTERM);
}

static void
shmck_section(struct pmmd *d, int k, int64_t now)
{
	int rc = shmck_read(d, k);

	if (rc == SHM_OK) {
		if (d->shmck_bad_since[k] != 0)
			log_info("state segment: %s section is whole again "
			    "(rewritten by its writer after %.1f s)",
			    shmck_name(d, k),
			    (now - d->shmck_bad_since[k]) / 1e9);
		d->shmck_bad_since[k] = 0;
		d->shmck_kicked[k] = 0;
		return;
	}
	if (rc != SHM_ECORRUPT)
		return;		/* busy: look again next time */
	if (shmck_owner(k) < 0) {
		/* our own: the private copy is the truth, publish it; said
		 * at most every SHM_GUARD_LOG_NS if something keeps at it */
		d->shm_repairs++;
		d->shmck_unlogged++;
		if (now >= d->shmck_log_mono) {
			log_warnx("state segment: procs section corrupt; pmmd "
			    "rewrote it from its own copy (%llu time(s) since "
			    "the last report)",
			    (unsigned long long)d->shmck_unlogged);
			d->shmck_unlogged = 0;
			d->shmck_log_mono = now + SHM_GUARD_LOG_NS;
		}
		proc_publish(d);
		return;
	}
	if (d->shmck_bad_since[k] == 0) {
		d->shmck_bad_since[k] = now;
		log_warnx("state segment: %s section corrupt; waiting up to "
		    "%.1f s for %s to rewrite it", shmck_name(d, k),
		    d->cfg.supervisor.heartbeat_timeout,
		    svc_name(shmck_owner(k)));
	}
	shmck_restart_writer(d, k, now);
}

void
shmck_tick(struct pmmd *d, int64_t now)
{
	int k;

	if (d->shm == NULL || d->stopping || now < d->shmck_next_mono)
		return;
	d->shmck_next_mono = now + SHMCK_PERIOD_NS;
	for (k = 0; k < SHMCK_N; k++)
		shmck_section(d, k, now);
}

/* The sections corrupt right now, for pmmctl status. */
json_t *
shmck_status(struct pmmd *d)
{
	json_t *bad = json_array();
	int k;

	for (k = 0; k < SHMCK_N; k++)
		if (d->shmck_bad_since[k] != 0)
			json_array_append_new(bad,
			    json_string(shmck_name(d, k)));
	return json_pack("{s:s, s:o, s:I, s:I}", "name", d->shm_name,
	    "corrupt", bad, "corrupt_reads", (json_int_t)d->shm_guard.corrupt,
	    "repairs", (json_int_t)d->shm_repairs);
}
