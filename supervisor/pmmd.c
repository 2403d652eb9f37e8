/*
 * pmmd.c — the pmm supervisor: entry point and event loop.
 *
 * Order of start-up matters: the config is validated before anything else
 * (so a bad config exits 78 without touching the exchange or the system),
 * then the runtime directory and its lock, the state segment, the control
 * socket, and only then the services. Libraries that open connections
 * (curl, OpenSSL, libwebsockets) are initialised in the children, never
 * here before fork. Signals arrive through a signalfd read by the one
 * event loop, like every other event.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>
#ifdef PMM_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "pmmd.h"
#include "rundir.h"
#include "timeutil.h"

/* epoll tags: kind in the high half, index in the low half */
enum { EV_SIG = 1, EV_CHILD = 2, EV_LISTEN = 3, EV_CLIENT = 4 };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pmmd [-n] [-c config.yaml] [-e env-file]\n"
	    "\n"
	    "The pmm supervisor: starts the market, order, risk and logger\n"
	    "services, restarts any that dies, and serves pmmctl. It runs in\n"
	    "the foreground, as systemd expects.\n"
	    "\n"
	    "  -c FILE   configuration (default: config/config.yaml)\n"
	    "  -e FILE   environment file with the API keys (default: .env)\n"
	    "  -n        validate the configuration, print it with the source\n"
	    "            of every value (secrets masked) and exit\n"
	    "  -h        this help\n"
	    "\n"
	    "Exit status: 0 stopped on request, 2 a service kept dying\n"
	    "(escalation), 78 bad configuration (also when a service finds\n"
	    "it unusable, e.g. an order size below the exchange's filters),\n"
	    "1 other errors.\n"
	    "Runtime directory: $PMM_RUNTIME_DIR, else\n"
	    "$XDG_RUNTIME_DIR/pmm/<instance>, else /run/pmm/<instance>.\n");
}

void
pmmd_notify(struct pmmd *d, const char *state)
{
	(void)d;
#ifdef PMM_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void
pmmd_watchdog(struct pmmd *d, int64_t now)
{
	if (d->watchdog_usec == 0 || now < d->next_watchdog_mono)
		return;
	/* only vouch for the tree while our own loop is turning */
	pmmd_notify(d, "WATCHDOG=1");
	d->next_watchdog_mono = now + d->watchdog_usec * 1000 / 3;
}

/*
 * The outcome of a reload as the unit's status text. `systemctl reload` is
 * a SIGHUP and returns before pmmd has read the file: `systemctl status`
 * is where the operator sees whether the new config was taken.
 */
static void
pmmd_reload_status(struct pmmd *d, const char *msg)
{
	char st[CFG_ERRLEN + 128];

	snprintf(st, sizeof(st), "STATUS=%s", msg);
	pmmd_notify(d, st);
}

/* Keys that cannot change under a running tree. */
static int
pmmd_reload_allowed(const struct cfg *o, const struct cfg *n, char *msg,
    size_t len)
{
	if (strcmp(o->instance_id, n->instance_id) != 0)
		snprintf(msg, len, "instance_id cannot change on reload");
	else if (strcmp(o->symbol, n->symbol) != 0)
		snprintf(msg, len, "symbol cannot change on reload");
	else if (o->exchange_env != n->exchange_env)
		snprintf(msg, len, "EXCHANGE_ENV cannot change on reload");
	else
		return 1;
	strncat(msg, " (restart pmmd); keeping the old config", len -
	    strlen(msg) - 1);
	return 0;
}

/*
 * The config a tree can run with: a named env file that exists, a valid
 * config, and the API keys (from the file or the environment).
 */
static int
pmmd_load(const struct pmmd *d, struct cfg *c, char *err, size_t len)
{
	if (d->env_named && cfg_env_file_check(d->env_path, err, len) == -1)
		return -1;
	/* pmmd only checks the keys are there: it keeps no copy of those in
	 * the file, and those of the environment only to hand them on */
	if (cfg_load_keys(c, d->cfg_path, d->env_path, d->keys, 0, err,
	    len) == -1)
		return -1;
	return cfg_check_keys(c, err, len);
}

int
pmmd_reload(struct pmmd *d, char *msg, size_t len)
{
	struct cfg *nc;
	char err[CFG_ERRLEN];
	struct pmm_msg m;
	int i;

	if ((nc = malloc(sizeof(*nc))) == NULL) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	if (pmmd_load(d, nc, err, sizeof(err)) == -1) {
		snprintf(msg, len, "reload failed, keeping the old config: %s",
		    err);
		log_warnx("%s", msg);
		pmmd_reload_status(d, msg);
		free(nc);
		return -1;
	}
	if (!pmmd_reload_allowed(&d->cfg, nc, msg, len)) {
		log_warnx("reload refused: %s", msg);
		pmmd_reload_status(d, msg);
		free(nc);
		return -1;
	}
	d->cfg = *nc;
	free(nc);
	log_setlevel(d->cfg.logging.log_level);
	for (i = 0; i < SVC_COUNT; i++) {
		policy_configure(&d->p[i].policy, d->cfg.supervisor.max_deaths,
		    d->cfg.supervisor.death_window,
		    d->cfg.supervisor.backoff_initial,
		    d->cfg.supervisor.backoff_max);
		memset(&m, 0, sizeof(m));
		proc_send(d, &d->p[i], PMM_MSG_RELOAD, &m);
	}
	snprintf(msg, len, "config reloaded from %s", d->cfg_path);
	log_info("%s", msg);
	pmmd_reload_status(d, msg);
	return 0;
}

static void
pmmd_signal(struct pmmd *d)
{
	struct signalfd_siginfo si;
	char msg[CFG_ERRLEN + 64];

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			proc_reap(d);
			break;
		case SIGHUP:
			log_info("SIGHUP: reloading %s", d->cfg_path);
			pmmd_reload(d, msg, sizeof(msg));
			break;
		case SIGTERM:
		case SIGINT:
			proc_stop_tree(d, si.ssi_signo == SIGTERM ? "SIGTERM" :
			    "SIGINT");
			break;
		}
	}
}

static void
pmmd_event(struct pmmd *d, const struct epoll_event *ev)
{
	uint32_t kind = ev->data.u64 >> 32, idx = (uint32_t)ev->data.u64;

	switch (kind) {
	case EV_SIG:
		pmmd_signal(d);
		break;
	case EV_CHILD:
		if (idx < SVC_COUNT)
			proc_ctl_readable(d, &d->p[idx]);
		break;
	case EV_LISTEN:
		control_accept(d);
		break;
	case EV_CLIENT:
		if (idx < PMMD_MAX_CLIENTS)
			control_readable(d, idx);
		break;
	}
}

static void
pmmd_loop(struct pmmd *d)
{
	struct epoll_event evs[16];
	int64_t now, next;
	int i, n, ms;

	while (!d->done) {
		now = now_mono_ns();
		proc_tick(d, now);
		shmck_tick(d, now);
		control_tick(d, now);
		log_tick();	/* a log storm that stopped is still counted */
		pmmd_watchdog(d, now);
		if (d->done)
			break;
		next = proc_next_deadline(d, now);
		ms = (int)((next - now_mono_ns() + 999999) / 1000000);
		if (ms < 0)
			ms = 0;
		if (ms > 100)
			ms = 100;	/* stop/hang deadlines need a look too */
		n = epoll_wait(d->epfd, evs, 16, ms);
		if (n == -1 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++)
			pmmd_event(d, &evs[i]);
	}
}

static int
pmmd_epoll_add(struct pmmd *d, int fd, uint32_t kind)
{
	struct epoll_event ev = { .events = EPOLLIN,
	    .data.u64 = (uint64_t)kind << 32 };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Services live beside pmmd: the build dir, or the install bindir. */
static void
pmmd_find_bindir(struct pmmd *d)
{
	char *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", d->bindir, sizeof(d->bindir) - 1);
	if (n <= 0)
		fatal("readlink /proc/self/exe");
	d->bindir[n] = '\0';
	if ((slash = strrchr(d->bindir, '/')) != NULL)
		*slash = '\0';
}

/* One pmmd per instance: a second one would fight over the segment. */
static int
pmmd_lock(struct pmmd *d)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/pmmd.lock", d->rundir);
	if ((d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("another pmmd is running for instance %s (%s)",
		    d->cfg.instance_id, d->rundir);
		return -1;
	}
	return 0;
}

static int
pmmd_setup(struct pmmd *d)
{
	char err[CFG_ERRLEN];
	sigset_t mask;

	if (rundir_resolve(d->rundir, sizeof(d->rundir), d->cfg.instance_id,
	    err, sizeof(err)) == -1 ||
	    rundir_create(d->rundir, err, sizeof(err)) == -1) {
		log_warnx("runtime directory: %s", err);
		return -1;
	}
	if (pmmd_lock(d) == -1)
		return -1;
	shm_name(d->shm_name, sizeof(d->shm_name), d->cfg.instance_id,
	    d->rundir);
	if ((d->shm = shm_create(d->shm_name, d->cfg.instance_id, err,
	    sizeof(err))) == NULL) {
		log_warnx("state segment: %s", err);
		return -1;
	}
	d->procs.sup_pid = getpid();
	d->procs.sup_started_ns = now_real_ns();

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (d->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("signalfd/epoll");
	if (control_listen(d) == -1 ||
	    pmmd_epoll_add(d, d->sigfd, EV_SIG) == -1 ||
	    pmmd_epoll_add(d, d->ctl_lfd, EV_LISTEN) == -1)
		return -1;

	snprintf(err, sizeof(err), "%s/logger.sock", d->rundir);
	if (bus_peer_init(&d->logger, err, PMM_SENDER_PMMD) == -1)
		return -1;
	setenv("PMM_CONFIG", d->cfg_path, 1);
	setenv("PMM_ENV_FILE", d->env_path, 1);
	setenv("PMM_SHM", d->shm_name, 1);
	setenv("PMM_RUNDIR", d->rundir, 1);
	proc_table_init(d);
	proc_publish(d);
	return 0;
}

static void
pmmd_teardown(struct pmmd *d)
{
	char path[300];

	/* only what we created: a refused second pmmd must not remove the
	 * running one's socket or segment */
	if (d->ctl_lfd != -1) {
		snprintf(path, sizeof(path), "%s/pmmd.sock", d->rundir);
		unlink(path);
	}
	control_close_all(d);
	if (d->logger.ring != NULL)
		bus_peer_free(&d->logger);
	if (d->shm != NULL) {
		shm_detach(d->shm);
		shm_destroy(d->shm_name);
	}
}

/* An absolute path, so children and reloads do not depend on cwd. */
static void
pmmd_abspath(char *dst, size_t len, const char *src)
{
	char cwd[PATH_MAX];
	int n;

	if (src[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		n = snprintf(dst, len, "%s", src);
	else
		n = snprintf(dst, len, "%s/%s", cwd, src);
	if (n < 0 || (size_t)n >= len)
		fatalx("path too long: %s", src);
}

static int
pmmd_config(struct pmmd *d, int check_only)
{
	char err[CFG_ERRLEN], warn[sizeof(d->cfg.warnings)], *w, *end;
	/* logging is not set up yet: priority prefixes by hand, like log.c,
	 * so journald files a refused config as an error, not as info */
	int tty = isatty(STDERR_FILENO);

	if (pmmd_load(d, &d->cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%spmmd: %s\n", tty ? "" : "<3>", err);
		return CFG_EXIT;
	}
	/* one warning a line, each with its priority */
	snprintf(warn, sizeof(warn), "%s", d->cfg.warnings);
	for (w = strtok_r(warn, "\n", &end); w != NULL;
	    w = strtok_r(NULL, "\n", &end))
		fprintf(stderr, "%spmmd: warning: %s\n", tty ? "" : "<4>", w);
	if (check_only) {
		printf("# %s: configuration is valid\n", d->cfg_path);
		cfg_print(&d->cfg, stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct pmmd d;	/* the process's context: too big for a stack */
	const char *cfgp = "config/config.yaml", *envp = ".env";
	int ch, check_only = 0, rc;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((ch = getopt_long(argc, argv, "c:e:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfgp = optarg; break;
		case 'e': envp = optarg; d.env_named = 1; break;
		case 'n': check_only = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	pmmd_abspath(d.cfg_path, sizeof(d.cfg_path), cfgp);
	pmmd_abspath(d.env_path, sizeof(d.env_path), envp);
	/* out of the environment before anything: market and logger must not
	 * inherit the keys, and our stack (in a core) must not hold them */
	if ((d.keys = cfg_keys_new()) == NULL)
		return 1;
	cfg_keys_take_env(d.keys);
	if ((rc = pmmd_config(&d, check_only)) != 0 || check_only) {
		cfg_keys_free(d.keys);
		return rc;
	}

	log_init("pmmd", d.cfg.logging.log_level);
	d.ctl_lfd = d.lock_fd = d.sigfd = d.epfd = -1;
	for (ch = 0; ch < PMMD_MAX_CLIENTS; ch++)
		d.clients[ch].fd = -1;
	d.started_mono = now_mono_ns();
	pmmd_find_bindir(&d);
	if (pmmd_setup(&d) == -1) {
		pmmd_teardown(&d);
		cfg_keys_free(d.keys);
		return 1;
	}
#ifdef PMM_HAVE_SYSTEMD
	{
		uint64_t usec;
		if (sd_watchdog_enabled(0, &usec) > 0)
			d.watchdog_usec = (int64_t)usec;
	}
#endif
	log_info("starting instance %s (%s, %s) in %s", d.cfg.instance_id,
	    d.cfg.symbol, cfg_env_name(d.cfg.exchange_env), d.rundir);
	pmmd_loop(&d);
	pmmd_teardown(&d);
	cfg_keys_free(d.keys);
	log_flush();
	if (d.exit_code == CFG_EXIT)	/* the last line says why */
		log_error("stopped: %s refused the configuration (its message "
		    "above says what to fix); exit %d", d.refused_by ?
		    d.refused_by : "a service", CFG_EXIT);
	else
		log_info("stopped%s", d.exit_code ? " after escalation" : "");
	return d.exit_code;
}
