/*
 * bus.c — the pmm event bus transport: SOCK_SEQPACKET Unix sockets and the
 * queueing publisher (bus_peer).
 *
 * Why SEQPACKET: it is connection-oriented like a stream (a publisher learns
 * that its subscriber died from EPIPE, the subscriber gets EOF) yet keeps
 * message boundaries like a datagram, so one send(2) is one frame and one
 * recv(2) is one frame. No length prefixes, no reassembly, no partial
 * writes: a frame is delivered whole or not at all.
 *
 * Why the fds are nonblocking: every service runs one event loop, and a
 * slow or hung subscriber must never stall a publisher. The I/O calls
 * themselves pass no MSG_DONTWAIT, so a program that clears O_NONBLOCK on a
 * descriptor (a benchmark, a one-shot tool) gets plain blocking I/O.
 *
 * Why MSG_NOSIGNAL: a dead subscriber must show up as EPIPE and a
 * reconnect, never as a SIGPIPE that kills the publisher. Linux raises
 * SIGPIPE only on stream sockets, but POSIX allows it on any
 * connection-mode socket, so say so explicitly.
 *
 * Delivery guarantee of a bus_peer: frames published while the subscriber
 * is down, restarting or slow are kept in order in a bounded ring and
 * delivered once it accepts again. A frame is taken off the ring only after
 * send(2) accepted it, so a failed send loses nothing. What send(2) already
 * handed to a subscriber that then dies before reading it is lost: there
 * are no acknowledgements. The envelope seq lets a subscriber see any gap.
 */
#include "bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

#define BUS_BACKLOG		16
#define BUS_BACKOFF_MIN_NS	(10 * NS_PER_MS)
#define BUS_BACKOFF_MAX_NS	NS_PER_S
/* frames bus_recv drops in one call before it lets the event loop run */
#define BUS_RECV_DROPS_MAX	64

/* Log the 1st, 2nd, 4th, 8th... event: a flood costs a few lines only. */
static int
bus_log_due(uint64_t count)
{
	return count != 0 && (count & (count - 1)) == 0;
}

static int
bus_addr(struct sockaddr_un *sun, const char *path)
{
	size_t	len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len == 0 || len >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, len);
	return 0;
}

static void
bus_close_keep_errno(int fd)
{
	int	saved = errno;

	close(fd);
	errno = saved;
}

/*
 * A socket file left behind by a crashed predecessor makes bind(2) fail
 * with EADDRINUSE, so it is removed first. Anything that is not a socket is
 * left alone: that path is not ours to delete.
 */
static int
bus_unlink_stale(const char *path)
{
	struct stat	sb;

	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(sb.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

int
bus_listen(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	if (bus_addr(&sun, path) == -1) {
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	if (bus_unlink_stale(path) == -1) {
		log_warn("%s: cannot replace %s", __func__, path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	/*
	 * bind(2) creates the file under the umask. The run directory is
	 * 0700 already; chmod makes the socket private even where it is not,
	 * before listen(2) lets anyone connect.
	 */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, BUS_BACKLOG) == -1) {
		log_warn("%s: %s", __func__, path);
		bus_close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
bus_accept(int lfd)
{
	int	fd;

	do {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd == -1 && errno == EINTR);
	return fd;
}

/* Failure is routine (the subscriber is not up yet): not logged here. */
int
bus_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	if (bus_addr(&sun, path) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/*
	 * A Unix connect completes at once or fails (EAGAIN when the
	 * listener's backlog is full); there is no EINPROGRESS to wait for.
	 */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		bus_close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
bus_pair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, fds) == -1) {
		log_warn("%s: socketpair", __func__);
		return -1;
	}
	return 0;
}

void
msg_stamp(struct pmm_msg *m, uint8_t type, uint8_t sender, uint64_t seq)
{
	m->env.version = PMM_PROTO_VERSION;
	m->env.type = type;
	m->env.sender = sender;
	m->env.seq = seq;
	m->env.ts_ns = now_real_ns();
}

int
bus_send_raw(int fd, const char *frame, size_t len, struct bus_stats *st)
{
	ssize_t	n;

	do {
		n = send(fd, frame, len, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != len) {		/* SEQPACKET is atomic; be sure */
		errno = EMSGSIZE;
		return -1;
	}
	if (st != NULL)
		st->sent++;
	return 0;
}

int
bus_send(int fd, struct pmm_msg *m, struct bus_stats *st)
{
	char	buf[PMM_MSG_MAX];
	ssize_t	n;

	if ((n = msg_encode(m, buf, sizeof(buf))) == -1) {
		log_warnx("%s: cannot encode %s frame", __func__,
		    msg_type_name(m->env.type));
		errno = EINVAL;
		return -1;
	}
	return bus_send_raw(fd, buf, (size_t)n, st);
}

static void
bus_drop_log(int fd, const struct bus_stats *st, const char *what,
    const char *why)
{
	uint64_t	dropped = st->malformed + st->oversized;

	if (bus_log_due(dropped))
		log_warnx("bus fd %d: dropped %s frame: %s (%llu dropped from "
		    "this peer)", fd, what, why, (unsigned long long)dropped);
}

/*
 * Drop bad frames and keep reading, so one bad frame neither ends the
 * connection nor hides the good frame behind it from an edge-triggered
 * caller; bounded, so a flood cannot starve the event loop.
 */
int
bus_recv(int fd, struct pmm_msg *m, struct bus_stats *st)
{
	char			buf[PMM_MSG_MAX + 1], err[160];
	struct bus_stats	local;
	ssize_t			n;
	int			drops = 0;

	if (st == NULL) {
		memset(&local, 0, sizeof(local));
		st = &local;
	}
	while (drops < BUS_RECV_DROPS_MAX) {
		/* MSG_TRUNC: n is the frame's real size even if it is cut */
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (n == 0) {		/* EOF (an empty frame reads the same) */
			errno = EPIPE;
			return -1;
		}
		if (n > PMM_MSG_MAX) {
			st->oversized++;
			snprintf(err, sizeof(err), "%zd bytes, max %d", n,
			    PMM_MSG_MAX);
			bus_drop_log(fd, st, "oversized", err);
		} else if (msg_decode(buf, (size_t)n, m, err,
		    sizeof(err)) == -1) {
			st->malformed++;
			bus_drop_log(fd, st, "malformed", err);
		} else {
			st->received++;
			return 1;
		}
		drops++;
	}
	return 0;
}

/* ---- bus_peer: a publisher's connection to one subscriber ---- */

static void
bus_peer_lost(struct bus_peer *p, int err)
{
	/* debug, not news: subscribers go away on every restart and stop,
	 * pmmd reports a death that was not asked for, and a loss of frames
	 * (queue full) is a warning of its own */
	log_debug("bus %s: subscriber lost (%s), queueing", p->path,
	    strerror(err));
	close(p->fd);
	p->fd = -1;
	p->next_try_ns = now_mono_ns() + p->backoff_ns;
}

/*
 * Exponential backoff (10 ms .. 1 s): a restarted subscriber is usually
 * back within milliseconds, and one that is down for long costs a connect
 * attempt per second at most.
 */
static int
bus_peer_connect(struct bus_peer *p, int64_t now)
{
	int	fd;

	if ((fd = bus_connect(p->path)) == -1) {
		log_debug("bus %s: connect: %s", p->path, strerror(errno));
		p->next_try_ns = now + p->backoff_ns;
		p->backoff_ns *= 2;
		if (p->backoff_ns > BUS_BACKOFF_MAX_NS)
			p->backoff_ns = BUS_BACKOFF_MAX_NS;
		return -1;
	}
	p->fd = fd;
	p->backoff_ns = BUS_BACKOFF_MIN_NS;
	return 0;
}

/* 0 when sent; -1 when not (the connection is closed if it broke). */
static int
bus_peer_send(struct bus_peer *p, const char *frame, size_t len)
{
	if (bus_send_raw(p->fd, frame, len, &p->st) == 0)
		return 0;
	/* full socket or short of kernel memory: try again later */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return -1;
	/* EPIPE, ECONNRESET, ENOTCONN, or anything unforeseen: reconnect */
	bus_peer_lost(p, errno);
	return -1;
}

/*
 * Append at the tail. When full, the oldest frame goes: the newest state
 * is what a returning subscriber needs, and the counter records the loss.
 */
static void
bus_peer_push(struct bus_peer *p, const char *frame, size_t len)
{
	struct bus_frame	*f;

	if (p->count == BUS_QUEUE_LEN) {
		p->head = (p->head + 1) % BUS_QUEUE_LEN;
		p->count--;
		p->st.dropped++;
		if (bus_log_due(p->st.dropped))
			log_warnx("bus %s: queue full, dropped the oldest "
			    "frame (%llu dropped)", p->path,
			    (unsigned long long)p->st.dropped);
	}
	f = &p->ring[(p->head + p->count) % BUS_QUEUE_LEN];
	memcpy(f->data, frame, len);
	f->len = (uint16_t)len;
	p->count++;
}

/* Send from the head, in order, until empty or the socket is full. */
static void
bus_peer_flush(struct bus_peer *p)
{
	struct bus_frame	*f;

	while (p->count > 0 && p->fd != -1) {
		f = &p->ring[p->head];
		if (bus_peer_send(p, f->data, f->len) == -1)
			return;
		p->head = (p->head + 1) % BUS_QUEUE_LEN;
		p->count--;
	}
}

int
bus_peer_init(struct bus_peer *p, const char *path, uint8_t sender)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (strlen(path) >= sizeof(p->path)) {
		log_warnx("%s: socket path too long: %s", __func__, path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p->path, path, strlen(path) + 1);
	p->sender = sender;
	p->seq = 1;
	p->backoff_ns = BUS_BACKOFF_MIN_NS;
	/*
	 * Allocated once (4 MB of address space; pages are only touched when
	 * a backlog really builds up), so publishing never allocates.
	 */
	if ((p->ring = calloc(BUS_QUEUE_LEN, sizeof(*p->ring))) == NULL) {
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	/* the subscriber may not be up yet: service() keeps trying */
	bus_peer_connect(p, now_mono_ns());
	return 0;
}

void
bus_peer_free(struct bus_peer *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	free(p->ring);
	p->ring = NULL;
	p->head = p->count = 0;
}

int
bus_peer_publish(struct bus_peer *p, struct pmm_msg *m)
{
	char	buf[PMM_MSG_MAX];
	ssize_t	n;

	if (p->ring == NULL) {
		log_warnx("%s: %s: peer not initialised", __func__, p->path);
		return -1;
	}
	msg_stamp(m, m->env.type, p->sender, p->seq);
	if ((n = msg_encode(m, buf, sizeof(buf))) == -1) {
		log_warnx("bus %s: cannot encode %s frame", p->path,
		    msg_type_name(m->env.type));
		return -1;
	}
	/* only numbers that were really published, so a gap means a loss */
	p->seq++;
	/* the fast path: nothing queued ahead of this frame */
	if (p->count == 0 && p->fd != -1) {
		if (bus_peer_send(p, buf, (size_t)n) == 0)
			return 0;
		bus_peer_push(p, buf, (size_t)n);
		return 0;
	}
	/* behind queued frames, to keep the order; then make progress */
	bus_peer_push(p, buf, (size_t)n);
	bus_peer_flush(p);
	return 0;
}

void
bus_peer_service(struct bus_peer *p)
{
	int64_t	now;

	if (p->ring == NULL)
		return;
	if (p->fd == -1) {
		now = now_mono_ns();
		if (now < p->next_try_ns || bus_peer_connect(p, now) == -1)
			return;
		p->st.reconnects++;
		log_info("bus %s: connected, %u queued frames to deliver",
		    p->path, p->count);
	}
	bus_peer_flush(p);
}
