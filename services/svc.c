/*
 * svc.c — the service runtime: start-up handshake with pmmd, the event
 * loop, heartbeats, the bus, reload and stop.
 *
 * Everything a service owns lives in its struct svc; the loop is single
 * threaded and signals arrive through a signalfd, so no handler ever runs
 * in the middle of an update.
 */
#include "svc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "rundir.h"
#include "timeutil.h"

/* epoll tags: kind in the high half, index in the low half */
enum { EV_CTL = 1, EV_SIG, EV_LISTEN, EV_CONN, EV_WATCH };
#define EV_TAG(kind, idx)	(((uint64_t)(kind) << 32) | (uint32_t)(idx))

static int
svc_epoll_add(struct svc *s, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("%s: epoll_ctl add fd %d", __func__, fd);
		return -1;
	}
	return 0;
}

static int
svc_ctl_send(struct svc *s, uint8_t type, struct pmm_msg *m)
{
	msg_stamp(m, type, s->id, s->ctl_seq++);
	if (bus_send(s->ctl_fd, m, &s->ctl_st) == -1) {
		if (errno != EAGAIN)
			log_warn("%s: %s to pmmd", __func__,
			    msg_type_name(type));
		return -1;
	}
	return 0;
}

static void
svc_beat(struct svc *s, int64_t now)
{
	struct pmm_msg m;

	s->hb.beat_ns = now;
	s->hb.beats++;
	s->hb.pid = getpid();
	s->hb.msgs_in = s->in_st.received;
	s->hb.msgs_dropped = s->in_st.malformed + s->in_st.oversized;
	SHM_PUBLISH(&s->shm->hb[s->id], &s->hb);

	memset(&m, 0, sizeof(m));
	m.u.heartbeat.beats = s->hb.beats;
	(void)svc_ctl_send(s, PMM_MSG_HEARTBEAT, &m);
	s->next_beat_ns = now + (int64_t)(s->cfg.supervisor.heartbeat_interval
	    * 1e9);
	log_tick();	/* a log storm that stopped is still counted */
}

/*
 * The config, with the keys in a service that signs (kept in k) and without
 * them in the others (never read). The environment's keys were taken into
 * s->keys at start; a reload finds them there.
 */
static int
svc_load(struct svc *s, struct cfg *c, const char *cfgp, const char *envp,
    struct cfg_keys *k, char *err, size_t errlen)
{
	if (k == NULL)
		return cfg_load_keys(c, cfgp, envp, NULL, CFG_LOAD_NOKEYS, err,
		    errlen);
	if (k != s->keys)
		memcpy(k->env, s->keys->env, sizeof(k->env));
	return cfg_load_keys(c, cfgp, envp, k, CFG_LOAD_KEEP, err, errlen);
}

/* The REST clients were made with the old keys: new ones need a restart. */
static int
svc_keys_changed(const struct svc *s, const struct cfg_keys *nk)
{
	return nk != NULL && (memcmp(nk->api_key, s->keys->api_key,
	    sizeof(nk->api_key)) != 0 || memcmp(nk->secret_key,
	    s->keys->secret_key, sizeof(nk->secret_key)) != 0);
}

/* Re-read the config on pmmd's request; keep the old one if it is bad. */
static void
svc_reload(struct svc *s)
{
	struct cfg *nc;
	struct cfg_keys *nk = NULL;
	char err[CFG_ERRLEN];

	if ((nc = malloc(sizeof(*nc))) == NULL ||
	    (s->keys != NULL && (nk = cfg_keys_new()) == NULL)) {
		log_warn("%s: malloc", __func__);
		free(nc);
		return;
	}
	if (svc_load(s, nc, s->cfg.yaml_path, s->cfg.env_path, nk, err,
	    sizeof(err)) == -1) {
		log_warnx("reload refused, keeping the old config: %s", err);
	} else if (svc_keys_changed(s, nk)) {
		log_warnx("reload refused: the API key or secret changed; "
		    "restart the tree to use new keys");
	} else if (s->ops->on_reload != NULL && s->ops->on_reload(s, nc) == -1) {
		log_warnx("reload refused by %s, keeping the old config",
		    s->name);
	} else {
		s->cfg = *nc;
		log_setlevel(s->cfg.logging.log_level);
		log_info("config reloaded");
	}
	cfg_keys_free(nk);
	free(nc);
}

static void
svc_crash(struct svc *s)
{
	log_warnx("crashing on request (pmmctl debug crash %s)", s->name);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	abort();
}

static void
svc_dispatch_pmmd(struct svc *s, const struct pmm_msg *m)
{
	switch (m->env.type) {
	case PMM_MSG_RELOAD:
		svc_reload(s);
		break;
	case PMM_MSG_STOP:
		log_info("stop requested");
		svc_stop(s, 0);
		break;
	case PMM_MSG_PAUSE:
	case PMM_MSG_RESUME:
		if (s->ops->on_pause != NULL)
			s->ops->on_pause(s, m->env.type == PMM_MSG_PAUSE,
			    m->env.type == PMM_MSG_PAUSE ? m->u.pause.text : "");
		break;
	case PMM_MSG_CRASH:
		svc_crash(s);
		break;
	default:
		log_warnx("%s: unexpected %s from pmmd", __func__,
		    msg_type_name(m->env.type));
	}
}

static void
svc_ctl_readable(struct svc *s)
{
	struct pmm_msg m;
	int r;

	while ((r = bus_recv(s->ctl_fd, &m, &s->ctl_st)) == 1)
		svc_dispatch_pmmd(s, &m);
	if (r == -1) {
		/* pmmd is gone: a service must not run unsupervised */
		log_warnx("supervisor went away, stopping");
		svc_stop(s, 1);
	}
}

static void
svc_accept(struct svc *s)
{
	int fd, i;

	while ((fd = bus_accept(s->listen_fd)) != -1) {
		for (i = 0; i < SVC_MAX_CONNS && s->conns[i] != -1; i++)
			;
		if (i == SVC_MAX_CONNS ||
		    svc_epoll_add(s, fd, EPOLLIN, EV_TAG(EV_CONN, i)) == -1) {
			log_warnx("%s: too many peers, refusing one", __func__);
			close(fd);
			continue;
		}
		s->conns[i] = fd;
	}
}

static void
svc_conn_readable(struct svc *s, int i)
{
	struct pmm_msg m;
	int r;

	while ((r = bus_recv(s->conns[i], &m, &s->in_st)) == 1)
		if (s->ops->on_msg != NULL)
			s->ops->on_msg(s, &m);
	if (r == -1) {
		/* a publisher restarted; it reconnects on its own */
		close(s->conns[i]);
		s->conns[i] = -1;
	}
}

static void
svc_signal(struct svc *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %d, stopping", (int)si.ssi_signo);
			svc_stop(s, 0);
		}
	}
}

static void
svc_event(struct svc *s, const struct epoll_event *ev)
{
	uint32_t kind = ev->data.u64 >> 32, idx = (uint32_t)ev->data.u64;

	switch (kind) {
	case EV_CTL:
		svc_ctl_readable(s);
		break;
	case EV_SIG:
		svc_signal(s);
		break;
	case EV_LISTEN:
		svc_accept(s);
		break;
	case EV_CONN:
		if (idx < SVC_MAX_CONNS && s->conns[idx] != -1)
			svc_conn_readable(s, idx);
		break;
	case EV_WATCH:
		if (idx < SVC_MAX_WATCH && s->watch[idx].fd != -1)
			s->watch[idx].cb(s, s->watch[idx].fd, ev->events,
			    s->watch[idx].arg);
		break;
	}
}

static void
svc_service_peers(struct svc *s)
{
	int i;

	for (i = 0; i < SVC_COUNT; i++)
		if (s->out[i].ring != NULL)
			bus_peer_service(&s->out[i]);
}

static void
svc_loop(struct svc *s)
{
	struct epoll_event evs[32];
	int64_t now, wait_ns;
	int i, n;

	while (!s->stopping) {
		now = now_mono_ns();
		if (now >= s->next_beat_ns)
			svc_beat(s, now);
		if (s->ops->on_timer != NULL)
			s->ops->on_timer(s, now);
		svc_service_peers(s);
		if (s->stopping)
			break;
		wait_ns = s->next_beat_ns - now_mono_ns();
		if (wait_ns > s->timer_ns)
			wait_ns = s->timer_ns;
		if (wait_ns < 0)
			wait_ns = 0;
		n = epoll_wait(s->epfd, evs, 32, (int)((wait_ns + 999999) /
		    1000000));
		if (n == -1 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++)
			svc_event(s, &evs[i]);
	}
}

/* Environment handed over by pmmd; a service is not run by hand. */
static int
svc_env(struct svc *s, const char **cfgp, const char **envp, const char **shmp)
{
	const char *rd;

	*cfgp = getenv("PMM_CONFIG");
	*envp = getenv("PMM_ENV_FILE");
	*shmp = getenv("PMM_SHM");
	rd = getenv("PMM_RUNDIR");
	if (*cfgp == NULL || *envp == NULL || *shmp == NULL || rd == NULL) {
		log_warnx("PMM_CONFIG, PMM_ENV_FILE, PMM_SHM and PMM_RUNDIR "
		    "must be set: services are started by pmmd");
		return -1;
	}
	snprintf(s->rundir, sizeof(s->rundir), "%s", rd);
	return 0;
}

static int
svc_setup_fds(struct svc *s)
{
	sigset_t mask;
	char path[256];

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);	/* reload arrives from pmmd */
	if ((s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("%s: signalfd/epoll", __func__);
		return -1;
	}
	if (rundir_sock(path, sizeof(path), s->rundir, s->name) == -1 ||
	    strlen(path) + 5 >= sizeof(path)) {
		log_warnx("%s: runtime dir path too long", __func__);
		return -1;
	}
	strcat(path, ".sock");
	if ((s->listen_fd = bus_listen(path)) == -1)
		return -1;
	return svc_epoll_add(s, s->ctl_fd, EPOLLIN, EV_TAG(EV_CTL, 0)) |
	    svc_epoll_add(s, s->sigfd, EPOLLIN, EV_TAG(EV_SIG, 0)) |
	    svc_epoll_add(s, s->listen_fd, EPOLLIN, EV_TAG(EV_LISTEN, 0));
}

static int
svc_start(struct svc *s)
{
	const char *cfgp, *envp, *shmp;
	char err[CFG_ERRLEN];
	struct pmm_msg m;

	/* a dead supervisor takes its children with it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (svc_env(s, &cfgp, &envp, &shmp) == -1)
		return 64;
	if (getppid() == 1)
		return 1;
	/* our copy out of the environment at once (pmmd passes the keys to
	 * the services that sign, and to them only) */
	if (SVC_SIGNS(s->id) && (s->keys = cfg_keys_new()) == NULL)
		return 1;
	cfg_keys_take_env(s->keys);
	if (svc_load(s, &s->cfg, cfgp, envp, s->keys, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return CFG_EXIT;
	}
	/* pmmd checked the keys, but the .env may have changed since; the
	 * services that sign must not send a request per tick without them */
	if (SVC_SIGNS(s->id) &&
	    cfg_check_keys(&s->cfg, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return CFG_EXIT;
	}
	log_setlevel(s->cfg.logging.log_level);
	if ((s->shm = shm_attach(shmp, 1, err, sizeof(err))) == NULL) {
		log_warnx("state segment: %s", err);
		return 1;
	}
	/* continue our counters; a corrupt record starts them from zero */
	SVC_READ(s, hb[s->id], &s->hb);
	if (svc_setup_fds(s) == -1)
		return 1;
	memset(&m, 0, sizeof(m));
	m.u.hello.svc = s->id;
	m.u.hello.pid = getpid();
	svc_ctl_send(s, PMM_MSG_HELLO, &m);
	if (s->ops->init != NULL && s->ops->init(s) == -1)
		return 1;
	svc_beat(s, now_mono_ns());
	memset(&m, 0, sizeof(m));
	svc_ctl_send(s, PMM_MSG_READY, &m);
	log_info("ready (pid %d)", (int)getpid());
	return 0;
}

int
svc_main(enum svc_id id, const struct svc_ops *ops, void *priv, int argc,
    char **argv)
{
	struct svc *s;
	int i, rc;

	(void)argc;
	(void)argv;
	log_init(svc_name(id), LOG_LVL_INFO);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->id = id;
	s->name = svc_name(id);
	s->ops = ops;
	s->priv = priv;
	s->ctl_fd = SVC_CTL_FD;
	s->listen_fd = s->sigfd = s->epfd = -1;
	s->timer_ns = 100 * NS_PER_MS;
	for (i = 0; i < SVC_MAX_CONNS; i++)
		s->conns[i] = -1;
	for (i = 0; i < SVC_MAX_WATCH; i++)
		s->watch[i].fd = -1;
	for (i = 0; i < SVC_COUNT; i++)
		s->out[i].fd = -1;

	if ((rc = svc_start(s)) == 0) {
		svc_loop(s);
		if (s->ops->on_stop != NULL)
			s->ops->on_stop(s);
		svc_service_peers(s);	/* last flush of queued events */
		rc = s->exit_code;
	}
	log_flush();
	for (i = 0; i < SVC_COUNT; i++)
		if (s->out[i].ring != NULL)
			bus_peer_free(&s->out[i]);
	if (s->shm != NULL)
		shm_detach(s->shm);
	cfg_keys_free(s->keys);
	free(s);
	return rc;
}

static struct bus_peer *
svc_peer(struct svc *s, int to)
{
	char path[256];

	if (s->out[to].ring != NULL)
		return &s->out[to];
	if (rundir_sock(path, sizeof(path), s->rundir, svc_name(to)) == -1 ||
	    strlen(path) + 5 >= sizeof(path))
		return NULL;
	strcat(path, ".sock");
	if (bus_peer_init(&s->out[to], path, s->id) == -1)
		return NULL;
	return &s->out[to];
}

int
svc_publish(struct svc *s, uint8_t type, struct pmm_msg *m)
{
	unsigned subs = msg_subscribers(type);
	struct bus_peer *p;
	int i, rc = 0;

	m->env.type = type;
	for (i = 0; i < SVC_COUNT; i++) {
		if (!(subs & (1u << i)) || i == (int)s->id)
			continue;
		if ((p = svc_peer(s, i)) == NULL ||
		    bus_peer_publish(p, m) == -1)
			rc = -1;
	}
	s->hb.msgs_out++;
	return rc;
}

int
svc_watch_fd(struct svc *s, int fd, uint32_t events, svc_fd_cb cb, void *arg)
{
	int i;

	for (i = 0; i < SVC_MAX_WATCH && s->watch[i].fd != -1; i++)
		;
	if (i == SVC_MAX_WATCH) {
		log_warnx("%s: too many watched fds", __func__);
		return -1;
	}
	if (svc_epoll_add(s, fd, events, EV_TAG(EV_WATCH, i)) == -1)
		return -1;
	s->watch[i].fd = fd;
	s->watch[i].cb = cb;
	s->watch[i].arg = arg;
	return 0;
}

void
svc_unwatch_fd(struct svc *s, int fd)
{
	int i;

	for (i = 0; i < SVC_MAX_WATCH; i++) {
		if (s->watch[i].fd != fd)
			continue;
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
		s->watch[i].fd = -1;
	}
}

void
svc_stop(struct svc *s, int code)
{
	s->stopping = 1;
	if (s->exit_code == 0)	/* a later plain STOP keeps the reason */
		s->exit_code = code;
}
