/*
 * pmmd.h — the supervisor's context and the functions its files share.
 *
 * pmmd.c holds main() and the event loop; proc.c the process table (spawn,
 * reap, heartbeats, restart and stop); control.c the control socket that
 * pmmctl talks to. All state lives in one struct pmmd.
 */
#ifndef PMM_PMMD_H
#define PMM_PMMD_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "bus.h"
#include "cfg.h"
#include "policy.h"
#include "shm.h"

#define PMMD_MAX_CLIENTS	32	/* control connections at once */
#define PMMD_REQ_MAX		512
/* a control client has this long to send its line and take the answer */
#define PMMD_CLIENT_TIMEOUT_NS	(2LL * 1000 * 1000 * 1000)
/* a client silent this long may be dropped to make room for a new one */
#define PMMD_CLIENT_IDLE_NS	(100LL * 1000 * 1000)
#define PMMD_EXIT_ESCALATED	2
#define SHMCK_N			(4 + SVC_COUNT)	/* sections pmmd checks */

struct proc {
	enum svc_id	 id;
	const char	*name;
	pid_t		 pid;
	enum proc_state	 state;
	int		 ctl_fd;	/* our end of the socketpair */
	unsigned	 restarts;
	int		 last_status;	/* wait status; -1 = never died */
	int		 hung;		/* killed by the watchdog */
	int		 cancel_only;	/* order's last run after escalation */
	int64_t		 last_exit_real;
	int64_t		 started_real, ready_real;
	int64_t		 started_mono, last_hb_mono;
	int64_t		 restart_at_mono;	/* PROC_BACKOFF deadline */
	int64_t		 stop_deadline_mono;	/* PROC_STOPPING deadline */
	struct policy	 policy;
	struct bus_stats st;
	uint64_t	 seq;
};

struct ctl_client {
	int		 fd;
	size_t		 len;
	char		 buf[PMMD_REQ_MAX];
	char		*out;		/* the answer still to send, or NULL */
	size_t		 out_len, out_off;
	int64_t		 since_mono;	/* accepted */
};

struct pmmd {
	struct cfg	 cfg;
	/* the keys found in our environment (taken out of it at start), to
	 * pass on to the services that sign; excluded from core dumps */
	struct cfg_keys	*keys;
	char		 cfg_path[PATH_MAX];
	char		 env_path[PATH_MAX];
	int		 env_named;	/* -e given: the file must exist */
	const char	*refused_by;	/* the service that exited 78 */
	char		 bindir[PATH_MAX];
	char		 rundir[256];
	char		 shm_name[128];
	struct shm_state *shm;
	struct shm_procs procs;		/* our section, published whole */
	struct shm_guard shm_guard;	/* corrupt copies pmmd read */
	int64_t		 shmck_next_mono;
	int64_t		 shmck_bad_since[SHMCK_N];	/* mono, 0 = whole */
	pid_t		 shmck_kicked[SHMCK_N];	/* writer restarted for it */
	uint64_t	 shm_repairs;	/* rewrites pmmd did or asked for */
	int64_t		 shmck_log_mono;	/* procs repairs: next line at */
	uint64_t	 shmck_unlogged;	/* procs repairs not said yet */

	int		 epfd, sigfd, ctl_lfd, lock_fd;
	struct ctl_client clients[PMMD_MAX_CLIENTS];
	struct proc	 p[SVC_COUNT];
	struct bus_peer	 logger;	/* service events for the log */

	int		 stopping;	/* stop sequence running */
	int		 stop_stage;	/* index into pmmd_stop_order */
	int		 done;
	int		 exit_code;
	int		 tree_ready;
	int64_t		 started_mono;
	int64_t		 watchdog_usec;	/* systemd WatchdogSec, 0 = off */
	int64_t		 next_watchdog_mono;
};

/* proc.c */
void	 proc_table_init(struct pmmd *d);
int	 proc_spawn(struct pmmd *d, struct proc *p);
void	 proc_reap(struct pmmd *d);
void	 proc_ctl_readable(struct pmmd *d, struct proc *p);
void	 proc_tick(struct pmmd *d, int64_t now);
int	 proc_send(struct pmmd *d, struct proc *p, uint8_t type,
	    struct pmm_msg *m);
void	 proc_stop_tree(struct pmmd *d, const char *why);
void	 proc_publish(struct pmmd *d);
int64_t	 proc_next_deadline(struct pmmd *d, int64_t now);
void	 proc_describe_status(int status, char *buf, size_t len);

/* control.c */
int	 control_listen(struct pmmd *d);
void	 control_accept(struct pmmd *d);
void	 control_readable(struct pmmd *d, int idx);
void	 control_tick(struct pmmd *d, int64_t now);
void	 control_close_all(struct pmmd *d);

/* shmck.c */
struct json_t;
void	 shmck_tick(struct pmmd *d, int64_t now);
struct json_t *shmck_status(struct pmmd *d);

/* pmmd.c */
int	 pmmd_reload(struct pmmd *d, char *msg, size_t len);
void	 pmmd_notify(struct pmmd *d, const char *state);

#endif
