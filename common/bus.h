/*
 * bus.h — Unix-domain SOCK_SEQPACKET transport for pmm messages.
 *
 * SEQPACKET keeps message boundaries, so one send is one frame and one
 * recv is one frame. Every service listens on <rundir>/<service>.sock;
 * a publisher holds a bus_peer per subscriber. The control channel between
 * pmmd and each child is a socketpair of the same kind, inherited at fork.
 *
 * A bus_peer queues what it could not send (subscriber restarting, socket
 * full) in a bounded ring and delivers it, in order, once the subscriber is
 * back — fills and order events published while the logger was down are
 * not lost. When the ring is full the oldest frame is dropped and counted.
 */
#ifndef PMM_BUS_H
#define PMM_BUS_H

#include <stdint.h>
#include <sys/un.h>

#include "msg.h"

#define BUS_QUEUE_LEN	4096	/* frames a peer buffers while down */

struct bus_stats {
	uint64_t	sent, received;
	uint64_t	malformed;	/* failed to decode */
	uint64_t	oversized;	/* larger than PMM_MSG_MAX */
	uint64_t	dropped;	/* queue overflow */
	uint64_t	reconnects;
};

/* Listening socket, nonblocking, close-on-exec, mode 0600; unlinks first. */
int	 bus_listen(const char *path);
/* Accept one connection (nonblocking, cloexec); -1 with errno on none. */
int	 bus_accept(int lfd);
/* Connect to path; nonblocking, cloexec; -1 with errno on failure. */
int	 bus_connect(const char *path);
/* A connected pair for pmmd <-> child; both ends cloexec and nonblocking. */
int	 bus_pair(int fds[2]);

/*
 * Encode and send one frame. 0 when sent; -1 with errno (EAGAIN when the
 * socket is full, EPIPE/ECONNRESET when the peer is gone).
 */
int	 bus_send(int fd, struct pmm_msg *m, struct bus_stats *st);
/* Send an already-encoded frame. */
int	 bus_send_raw(int fd, const char *frame, size_t len,
	    struct bus_stats *st);
/*
 * Receive one frame. 1: m holds a message; 0: nothing to read (EAGAIN) or
 * a malformed/oversized frame was dropped (counted, logged once per peer);
 * -1: peer closed or error.
 */
int	 bus_recv(int fd, struct pmm_msg *m, struct bus_stats *st);

struct bus_frame {
	uint16_t	len;
	char		data[PMM_MSG_MAX];
};

struct bus_peer {
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 fd;		/* -1 while disconnected */
	uint8_t		 sender;	/* stamped into every envelope */
	uint64_t	 seq;		/* next envelope sequence number */
	int64_t		 next_try_ns;	/* monotonic: next reconnect attempt */
	int64_t		 backoff_ns;
	struct bus_frame *ring;		/* BUS_QUEUE_LEN frames */
	uint32_t	 head, count;
	struct bus_stats st;
};

int	 bus_peer_init(struct bus_peer *p, const char *path, uint8_t sender);
void	 bus_peer_free(struct bus_peer *p);
/*
 * Stamp the envelope (version, sender, seq, ts) and deliver, queueing when
 * the subscriber is down or slow. 0, or -1 only if the frame cannot be
 * encoded.
 */
int	 bus_peer_publish(struct bus_peer *p, struct pmm_msg *m);
/* Reconnect if due and flush the queue; call from the event loop. */
void	 bus_peer_service(struct bus_peer *p);

/* Fill the envelope fields of m (used by direct bus_send callers). */
void	 msg_stamp(struct pmm_msg *m, uint8_t type, uint8_t sender,
	    uint64_t seq);

#endif
