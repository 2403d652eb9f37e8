/*
 * svc.h — the runtime every pmm service shares.
 *
 * A service is started by pmmd with its control channel on fd 3 and its
 * environment (PMM_SVC, PMM_RUNDIR, PMM_SHM, PMM_CONFIG, PMM_ENV_FILE).
 * svc_main() loads the config, maps the state segment, listens on
 * <rundir>/<name>.sock for publishers, says HELLO, runs the service's init,
 * says READY, and then runs one event loop: control messages from pmmd,
 * bus messages from peers, heartbeats, the service's own timer and fds.
 * A dead supervisor (EOF on fd 3, or PR_SET_PDEATHSIG) stops the service.
 */
#ifndef PMM_SVC_H
#define PMM_SVC_H

#include <stdint.h>

#include "bus.h"
#include "cfg.h"
#include "msg.h"
#include "shm.h"

#define SVC_CTL_FD	3
#define SVC_MAX_CONNS	16
#define SVC_MAX_WATCH	16

struct svc;

struct svc_ops {
	/* After the config and segment are ready; -1 aborts start-up. */
	int	(*init)(struct svc *);
	/* A bus message from a peer service (TICK, FILL, ...). */
	void	(*on_msg)(struct svc *, const struct pmm_msg *);
	/* Called every loop iteration with the monotonic time. */
	void	(*on_timer)(struct svc *, int64_t now_ns);
	/* New config validated by svc; return -1 to keep the old one. */
	int	(*on_reload)(struct svc *, const struct cfg *newc);
	/* PAUSE / RESUME from the operator via pmmd. */
	void	(*on_pause)(struct svc *, int paused, const char *reason);
	/* Graceful stop requested: finish up (cancel orders...). */
	void	(*on_stop)(struct svc *);
};

typedef void (*svc_fd_cb)(struct svc *, int fd, uint32_t events, void *arg);

struct svc_watch {
	int		 fd;
	svc_fd_cb	 cb;
	void		*arg;
};

struct svc {
	enum svc_id		 id;
	const char		*name;
	const struct svc_ops	*ops;
	void			*priv;		/* the service's own context */

	struct cfg		 cfg;
	/* the API key and secret, in a service that signs (SVC_SIGNS), in a
	 * page excluded from core dumps; NULL in the others */
	struct cfg_keys		*keys;
	char			 rundir[256];
	struct shm_state	*shm;
	struct shm_guard	 shm_guard;	/* corrupt copies met, logged */

	int			 epfd, sigfd, ctl_fd, listen_fd;
	int			 conns[SVC_MAX_CONNS];	/* inbound peers */
	struct svc_watch	 watch[SVC_MAX_WATCH];
	struct bus_peer		 out[SVC_COUNT];	/* to subscribers */
	struct bus_stats	 in_st;			/* inbound counters */
	struct bus_stats	 ctl_st;
	uint64_t		 ctl_seq;

	struct shm_hb		 hb;		/* our heartbeat record */
	int64_t			 next_beat_ns;
	int64_t			 timer_ns;	/* wanted loop period */
	int			 stopping;
	int			 exit_code;
	int			 key_refused;	/* the exchange refused a key */
};

/*
 * Read a section of the segment, checked: a corrupt copy is logged
 * (rate-limited) and leaves dst as it was -- read into your last good copy
 * to keep using it, or into a safe default. SHM_OK, SHM_EBUSY, SHM_ECORRUPT.
 */
#define SVC_READ(s, sect, dst)	SHM_READ(&(s)->shm_guard, (s)->shm, sect, (dst))

/* The whole life of a service; returns the process exit code. */
int	svc_main(enum svc_id id, const struct svc_ops *ops, void *priv,
	    int argc, char **argv);
/* Publish to every subscriber of m's type (queued while they are down). */
int	svc_publish(struct svc *s, uint8_t type, struct pmm_msg *m);
/* Watch an extra fd (libcurl, libwebsockets...) in the event loop. */
int	svc_watch_fd(struct svc *s, int fd, uint32_t events, svc_fd_cb cb,
	    void *arg);
void	svc_unwatch_fd(struct svc *s, int fd);
/* Ask the loop to stop after this iteration. */
void	svc_stop(struct svc *s, int code);

#endif
