/*
 * proc.c — pmmd's process table: spawn, reap, watch heartbeats, restart
 * with the policy, and stop the tree in order.
 *
 * Like nginx's ngx_processes[] and s6-supervise: one slot per service, an
 * explicit state (down, starting, ready, backoff, stopping, stopped,
 * failed), and a log line for every death saying how it died.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pmmd.h"
#include "timeutil.h"

/* Stop the order service first so it can cancel its orders, the logger
 * last so it records everything the others said on the way out. */
static const enum svc_id pmmd_stop_order[SVC_COUNT] = {
	SVC_ORDER, SVC_RISK, SVC_MARKET, SVC_LOGGER
};

#define SEC(x)	((int64_t)((x) * 1e9))

void
proc_table_init(struct pmmd *d)
{
	const struct cfg *c = &d->cfg;
	int i;

	for (i = 0; i < SVC_COUNT; i++) {
		struct proc *p = &d->p[i];

		memset(p, 0, sizeof(*p));
		p->id = i;
		p->name = svc_name(i);
		p->ctl_fd = -1;
		p->last_status = -1;
		p->state = PROC_DOWN;
		policy_init(&p->policy, c->supervisor.max_deaths,
		    c->supervisor.death_window, c->supervisor.backoff_initial,
		    c->supervisor.backoff_max);
	}
}

void
proc_describe_status(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "never");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)%s", WTERMSIG(status),
		    strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else if (WIFEXITED(status))
		snprintf(buf, len, "code %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "status 0x%x", status);
}

void
proc_publish(struct pmmd *d)
{
	struct shm_procs *pr = &d->procs;
	int i, ready = 1;

	for (i = 0; i < SVC_COUNT; i++) {
		const struct proc *p = &d->p[i];
		struct shm_proc *sp = &pr->p[i];

		snprintf(sp->name, sizeof(sp->name), "%s", p->name);
		sp->pid = p->pid;
		sp->state = p->state;
		sp->restarts = p->restarts;
		sp->last_status = p->last_status;
		sp->last_exit_ns = p->last_exit_real;
		sp->started_ns = p->started_real;
		sp->ready_ns = p->ready_real;
		if (p->state != PROC_READY)
			ready = 0;
	}
	pr->tree_ready = ready;
	SHM_PUBLISH(&d->shm->procs, pr);
}

static void
proc_event(struct pmmd *d, const struct proc *p, uint8_t kind, int status,
    const char *text)
{
	struct pmm_msg m;

	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_SVC_EVENT;
	m.u.svc.svc = p->id;
	m.u.svc.kind = kind;
	m.u.svc.pid = p->pid;
	m.u.svc.status = status;
	msg_text(m.u.svc.text, sizeof(m.u.svc.text), text);
	bus_peer_publish(&d->logger, &m);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
proc_exec_child(struct pmmd *d, struct proc *p, int fd)
{
	char path[PATH_MAX + 32], arg0[32];
	char *argv[] = { arg0, NULL };
	sigset_t none;
	int i;

	/* A session of its own: a terminal's Ctrl-C (SIGINT to its whole
	 * foreground process group) must reach pmmd alone, which stops the
	 * services in order — order first, to cancel, logger last, to write
	 * it down. The child still dies with pmmd: PR_SET_PDEATHSIG (svc.c)
	 * and the EOF on fd 3 do not depend on the process group. */
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (fd == 3) {
		/* dup2 onto itself would keep close-on-exec */
		int fl = fcntl(fd, F_GETFD);
		fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	} else if (dup2(fd, 3) == -1)
		_exit(127);
	snprintf(arg0, sizeof(arg0), "pmm-%s", p->name);
	snprintf(path, sizeof(path), "%s/pmm-%s", d->bindir, p->name);
	setenv("PMM_SVC", p->name, 1);
	if (p->cancel_only)
		setenv("PMM_CANCEL_ONLY", "1", 1);
	/* keys that came from our environment, to the services that sign
	 * only (they take them out of theirs at once); putenv, not setenv:
	 * no copy of them in this child's heap */
	for (i = 0; SVC_SIGNS(p->id) && i < 2; i++)
		if (d->keys != NULL && d->keys->env[i][0] != '\0')
			putenv(d->keys->env[i]);
	execv(path, argv);
	dprintf(2, "<3>pmmd: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

int
proc_spawn(struct pmmd *d, struct proc *p)
{
	struct epoll_event ev;
	int sv[2];
	pid_t pid;

	if (bus_pair(sv) == -1) {
		log_warn("%s: socketpair for %s", __func__, p->name);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork %s", __func__, p->name);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		proc_exec_child(d, p, sv[1]);
	close(sv[1]);
	p->pid = pid;
	p->ctl_fd = sv[0];
	p->state = PROC_STARTING;
	p->hung = 0;
	p->started_mono = p->last_hb_mono = now_mono_ns();
	p->started_real = now_real_ns();
	p->ready_real = 0;
	ev.events = EPOLLIN;
	ev.data.u64 = ((uint64_t)2 << 32) | p->id;	/* see pmmd.c EV_CHILD */
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, p->ctl_fd, &ev) == -1)
		log_warn("%s: epoll_ctl", __func__);
	log_info("%s started (pid %d)", p->name, (int)pid);
	proc_publish(d);
	return 0;
}

int
proc_send(struct pmmd *d, struct proc *p, uint8_t type, struct pmm_msg *m)
{
	(void)d;
	if (p->ctl_fd == -1)
		return -1;
	msg_stamp(m, type, PMM_SENDER_PMMD, p->seq++);
	if (bus_send(p->ctl_fd, m, &p->st) == -1) {
		log_warn("%s: %s to %s", __func__, msg_type_name(type),
		    p->name);
		return -1;
	}
	return 0;
}

static void
proc_child_msg(struct pmmd *d, struct proc *p, const struct pmm_msg *m)
{
	switch (m->env.type) {
	case PMM_MSG_HELLO:
		if (m->u.hello.svc != p->id || m->u.hello.pid != p->pid)
			log_warnx("%s: hello claims to be %s pid %d", p->name,
			    svc_name(m->u.hello.svc), (int)m->u.hello.pid);
		break;
	case PMM_MSG_READY:
		if (p->state != PROC_STARTING)
			break;
		p->state = PROC_READY;
		p->ready_real = now_real_ns();
		log_info("%s ready (pid %d) in %.1f ms", p->name, (int)p->pid,
		    (now_mono_ns() - p->started_mono) / 1e6);
		proc_event(d, p, SVCEV_READY, 0, "ready");
		proc_publish(d);
		if (d->procs.tree_ready && !d->tree_ready) {
			d->tree_ready = 1;
			log_info("tree ready");
			pmmd_notify(d, "READY=1\nSTATUS=all services ready");
		}
		break;
	case PMM_MSG_HEARTBEAT:
		break;
	default:
		log_warnx("%s: unexpected %s", p->name,
		    msg_type_name(m->env.type));
	}
}

void
proc_ctl_readable(struct pmmd *d, struct proc *p)
{
	struct pmm_msg m;
	int r;

	while (p->ctl_fd != -1 &&
	    (r = bus_recv(p->ctl_fd, &m, &p->st)) != 0) {
		if (r == -1) {
			/* the child is dying; the reaper does the rest */
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->ctl_fd, NULL);
			close(p->ctl_fd);
			p->ctl_fd = -1;
			break;
		}
		p->last_hb_mono = now_mono_ns();
		proc_child_msg(d, p, &m);
	}
}

static void
proc_advance_stop(struct pmmd *d)
{
	struct proc *p;
	struct pmm_msg m;

	while (d->stop_stage < SVC_COUNT) {
		p = &d->p[pmmd_stop_order[d->stop_stage]];
		if (p->pid == 0 && p->id == SVC_ORDER &&
		    p->state == PROC_FAILED && !p->cancel_only) {
			/* the order service died for good: it cannot cancel
			 * its orders, so run it once more to do only that */
			p->cancel_only = 1;
			if (proc_spawn(d, p) == 0) {
				log_warnx("order failed: starting it once more "
				    "to cancel its orders (pid %d)", (int)p->pid);
				p->state = PROC_STOPPING;
				p->stop_deadline_mono = now_mono_ns() +
				    SEC(d->cfg.supervisor.stop_timeout) +
				    SEC(d->cfg.supervisor.ready_timeout);
				return;
			}
		}
		if (p->pid == 0) {
			if (p->state != PROC_FAILED)
				p->state = PROC_STOPPED;
			d->stop_stage++;
			continue;
		}
		if (p->state != PROC_STOPPING) {
			p->state = PROC_STOPPING;
			p->stop_deadline_mono = now_mono_ns() +
			    SEC(d->cfg.supervisor.stop_timeout);
			memset(&m, 0, sizeof(m));
			if (proc_send(d, p, PMM_MSG_STOP, &m) == -1)
				kill(p->pid, SIGTERM);
			log_info("stopping %s (pid %d)", p->name, (int)p->pid);
		}
		return;		/* wait for it to exit */
	}
	proc_publish(d);
	d->done = 1;
}

void
proc_stop_tree(struct pmmd *d, const char *why)
{
	int i;

	if (d->stopping)
		return;
	log_info("stopping the tree: %s", why);
	pmmd_notify(d, "STOPPING=1");
	d->stopping = 1;
	d->stop_stage = 0;
	for (i = 0; i < SVC_COUNT; i++)
		if (d->p[i].state == PROC_BACKOFF || d->p[i].state == PROC_DOWN)
			d->p[i].state = PROC_STOPPED;
	proc_advance_stop(d);
}

static void
proc_died(struct pmmd *d, struct proc *p, int status)
{
	char how[64], text[PMM_TEXT_MAX + 32];
	enum policy_verdict v;
	int64_t delay, now = now_mono_ns();

	proc_describe_status(status, how, sizeof(how));
	if (p->state == PROC_STOPPING)
		log_info("%s (pid %d) stopped, exited on %s", p->name,
		    (int)p->pid, how);
	else
		log_warnx("%s (pid %d) exited on %s%s", p->name, (int)p->pid,
		    how, p->hung ? " after the watchdog killed it" : "");
	snprintf(text, sizeof(text), "pid %d exited on %s%s", (int)p->pid,
	    how, p->hung ? " (hung)" : "");
	proc_event(d, p, SVCEV_DIED, status, text);
	if (p->ctl_fd != -1) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->ctl_fd, NULL);
		close(p->ctl_fd);
		p->ctl_fd = -1;
	}
	p->last_status = status;
	p->last_exit_real = now_real_ns();
	p->pid = 0;
	p->ready_real = 0;

	if (d->stopping) {
		if (p->cancel_only)
			p->state = PROC_FAILED;	/* it was a last errand */
		else if (p->state != PROC_FAILED)
			p->state = PROC_STOPPED;
		proc_advance_stop(d);
		return;
	}
	if (d->tree_ready) {
		d->tree_ready = 0;
		pmmd_notify(d, "STATUS=restarting a service");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == CFG_EXIT) {
		/* the service found the config unusable (e.g. an order size the
		 * exchange's filters refuse): restarting cannot help. An error,
		 * as is the escalation below: the tree stops trading, and
		 * `journalctl -p err` must say why */
		p->state = PROC_FAILED;
		log_error("%s refused the configuration (exit %d); stopping "
		    "the tree", p->name, CFG_EXIT);
		proc_event(d, p, SVCEV_ESCALATED, status, "refused the config");
		d->exit_code = CFG_EXIT;
		d->refused_by = p->name;
		proc_stop_tree(d, "a service refused the configuration");
		return;
	}
	v = policy_death(&p->policy, now, &delay);
	if (v == POLICY_ESCALATE) {
		p->state = PROC_FAILED;
		log_error("%s died %d times in %.0f s: escalating, stopping "
		    "the tree", p->name, p->policy.max_deaths,
		    d->cfg.supervisor.death_window);
		proc_event(d, p, SVCEV_ESCALATED, status, "escalated");
		d->exit_code = PMMD_EXIT_ESCALATED;
		proc_stop_tree(d, "restart limit reached");
		return;
	}
	p->restarts++;
	p->state = PROC_BACKOFF;
	p->restart_at_mono = now + delay;
	if (delay > 0)
		log_info("%s restarts in %.2f s", p->name, delay / 1e9);
	proc_publish(d);
}

void
proc_reap(struct pmmd *d)
{
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < SVC_COUNT; i++)
			if (d->p[i].pid == pid)
				break;
		if (i == SVC_COUNT) {
			log_debug("reaped unknown child %d", (int)pid);
			continue;
		}
		proc_died(d, &d->p[i], status);
	}
}

/* A hung service is a crashed service: kill it, the reaper restarts it. */
static void
proc_check_hang(struct pmmd *d, struct proc *p, int64_t now)
{
	const struct cfg *c = &d->cfg;

	if (p->hung || p->pid == 0)
		return;
	if (p->state == PROC_STARTING &&
	    now - p->started_mono > SEC(c->supervisor.ready_timeout)) {
		log_warnx("%s (pid %d) not ready after %.1f s, killing it",
		    p->name, (int)p->pid, c->supervisor.ready_timeout);
	} else if (p->state == PROC_READY &&
	    now - p->last_hb_mono > SEC(c->supervisor.heartbeat_timeout)) {
		log_warnx("%s (pid %d) hung: no heartbeat for %.1f s, killing "
		    "it", p->name, (int)p->pid,
		    (now - p->last_hb_mono) / 1e9);
	} else
		return;
	p->hung = 1;
	proc_event(d, p, SVCEV_HUNG, 0, p->state == PROC_STARTING ?
	    "not ready in time, killed" : "no heartbeat, killed");
	kill(p->pid, SIGKILL);
}

void
proc_tick(struct pmmd *d, int64_t now)
{
	int i;

	for (i = 0; i < SVC_COUNT; i++) {
		struct proc *p = &d->p[i];

		if (p->state == PROC_STOPPING && p->pid != 0 &&
		    now > p->stop_deadline_mono && !p->hung) {
			log_warnx("%s (pid %d) did not stop in %.1f s, killing "
			    "it", p->name, (int)p->pid,
			    d->cfg.supervisor.stop_timeout);
			p->hung = 1;
			kill(p->pid, SIGKILL);
		}
		if (d->stopping)
			continue;
		if (p->state == PROC_DOWN ||
		    (p->state == PROC_BACKOFF && now >= p->restart_at_mono)) {
			if (proc_spawn(d, p) == -1) {
				p->state = PROC_BACKOFF;
				p->restart_at_mono = now + SEC(1);
			}
		} else
			proc_check_hang(d, p, now);
	}
	bus_peer_service(&d->logger);
}

int64_t
proc_next_deadline(struct pmmd *d, int64_t now)
{
	int64_t next = now + SEC(d->cfg.supervisor.heartbeat_interval);
	int i;

	for (i = 0; i < SVC_COUNT; i++) {
		const struct proc *p = &d->p[i];

		if (p->state == PROC_BACKOFF && p->restart_at_mono < next)
			next = p->restart_at_mono;
	}
	return next;
}
