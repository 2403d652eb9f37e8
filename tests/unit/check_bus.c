/*
 * check_bus.c — the bus transport over real Unix sockets: listen, connect,
 * send and receive (also across fork), bad frames counted and dropped
 * without losing the good one behind them, and the publisher's queue:
 * in-order delivery after the subscriber starts or restarts, and
 * drop-oldest on overflow.
 *
 * Waits are bounded loops that poll; no assertion depends on speed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "shm.h"
#include "timeutil.h"
#include "check_run.h"

#define WAIT_MS		10000	/* give up on a wait after this long */

static char	tmpdir[64];
static char	sockpath[128];

static void
dir_setup(void)
{
	strcpy(tmpdir, "/tmp/check_bus.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/sub.sock", tmpdir);
}

static void
dir_teardown(void)
{
	unlink(sockpath);
	rmdir(tmpdir);
}

static void
tick(struct pmm_msg *m, uint64_t id)
{
	memset(m, 0, sizeof(*m));
	m->env.type = PMM_MSG_TICK;
	m->u.tick.bid = 60000.0 + (double)id;
	m->u.tick.ask = 60000.5 + (double)id;
	m->u.tick.bid_qty = 1.0;
	m->u.tick.ask_qty = 2.0;
	m->u.tick.update_id = id;
}

static void
wait_readable(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };

	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
}

/* Accept the one pending connection on lfd. */
static int
accept_one(int lfd)
{
	int	fd;

	wait_readable(lfd);
	fd = bus_accept(lfd);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/*
 * Play the subscriber until want frames arrived: service the publisher,
 * accept its (re)connection, read everything. Returns how many arrived.
 */
static int
drain(struct bus_peer *p, int lfd, int *afd, struct pmm_msg *out, int want,
    struct bus_stats *st)
{
	struct pmm_msg	m;
	int		got = 0, i, r;

	for (i = 0; i < WAIT_MS && got < want; i++) {
		bus_peer_service(p);
		if (*afd == -1)
			*afd = bus_accept(lfd);
		if (*afd != -1)
			while (got < want &&
			    (r = bus_recv(*afd, &m, st)) == 1)
				out[got++] = m;
		if (got < want)
			poll(NULL, 0, 1);
	}
	return got;
}

static void
assert_in_order(const struct pmm_msg *m, int n, uint64_t first_seq,
    uint64_t first_id)
{
	int	i;

	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(m[i].env.type, PMM_MSG_TICK);
		ck_assert_uint_eq(m[i].env.seq, first_seq + (uint64_t)i);
		ck_assert_uint_eq(m[i].u.tick.update_id,
		    first_id + (uint64_t)i);
	}
}

/* ---- sockets ---- */

START_TEST(test_listen_connect_send_recv)
{
	struct bus_stats	sst = { 0 }, rst = { 0 };
	struct pmm_msg		m, got;
	struct stat		sb;
	int			lfd, cfd, afd;

	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(stat(sockpath, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(lfd, F_GETFD) & FD_CLOEXEC);

	/* nothing pending yet */
	ck_assert_int_eq(bus_accept(lfd), -1);
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);

	cfd = bus_connect(sockpath);
	ck_assert_int_ge(cfd, 0);
	ck_assert(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	afd = accept_one(lfd);
	ck_assert(fcntl(afd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(afd, F_GETFD) & FD_CLOEXEC);

	tick(&m, 7);
	msg_stamp(&m, PMM_MSG_TICK, SVC_MARKET, 1);
	ck_assert_int_eq(bus_send(cfd, &m, &sst), 0);
	ck_assert_uint_eq(sst.sent, 1);
	wait_readable(afd);
	ck_assert_int_eq(bus_recv(afd, &got, &rst), 1);
	ck_assert(memcmp(&m, &got, sizeof(m)) == 0);
	ck_assert_uint_eq(rst.received, 1);
	ck_assert_int_gt(got.env.ts_ns, 0);
	ck_assert_uint_eq(got.env.version, PMM_PROTO_VERSION);
	/* and nothing more */
	ck_assert_int_eq(bus_recv(afd, &got, &rst), 0);

	/* the other way too: the connection is two-way */
	ck_assert_int_eq(bus_send(afd, &m, &rst), 0);
	wait_readable(cfd);
	ck_assert_int_eq(bus_recv(cfd, &got, &sst), 1);

	/* EOF when the publisher goes away */
	close(cfd);
	ck_assert_int_eq(bus_recv(afd, &got, &rst), -1);
	/* and EPIPE, not SIGPIPE, for a sender whose peer went away */
	cfd = bus_connect(sockpath);
	ck_assert_int_ge(cfd, 0);
	close(accept_one(lfd));
	ck_assert_int_eq(bus_send(cfd, &m, &sst), -1);
	ck_assert(errno == EPIPE || errno == ECONNRESET);
	close(cfd);
	close(afd);
	close(lfd);
}
END_TEST

START_TEST(test_listen_replaces_stale_socket_only)
{
	int	lfd, fd;

	/* a socket file left behind by a dead listener */
	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	close(lfd);
	ck_assert_int_eq(access(sockpath, F_OK), 0);
	fd = bus_connect(sockpath);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	fd = bus_connect(sockpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	close(lfd);

	/* a regular file is not ours to remove */
	unlink(sockpath);
	fd = open(sockpath, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(bus_listen(sockpath), -1);
	ck_assert_int_eq(access(sockpath, F_OK), 0);
	unlink(sockpath);
}
END_TEST

START_TEST(test_connect_failures)
{
	char	longpath[200];

	ck_assert_int_eq(bus_connect(sockpath), -1);
	ck_assert_int_eq(errno, ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(bus_connect(longpath), -1);
	ck_assert_int_eq(bus_listen(longpath), -1);
}
END_TEST

START_TEST(test_pair)
{
	struct pmm_msg	m, got;
	int		fds[2];

	ck_assert_int_eq(bus_pair(fds), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
		ck_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
	}
	memset(&m, 0, sizeof(m));
	msg_stamp(&m, PMM_MSG_HELLO, SVC_RISK, 1);
	m.u.hello.svc = SVC_RISK;
	m.u.hello.pid = 4242;
	ck_assert_int_eq(bus_send(fds[1], &m, NULL), 0);
	ck_assert_int_eq(bus_recv(fds[0], &got, NULL), 1);
	ck_assert_int_eq(got.u.hello.pid, 4242);
	msg_stamp(&m, PMM_MSG_STOP, PMM_SENDER_PMMD, 1);
	ck_assert_int_eq(bus_send(fds[0], &m, NULL), 0);
	ck_assert_int_eq(bus_recv(fds[1], &got, NULL), 1);
	ck_assert_uint_eq(got.env.type, PMM_MSG_STOP);
	ck_assert_uint_eq(got.env.sender, PMM_SENDER_PMMD);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

#define FORK_N	2000

/* A child process publishes; the parent receives every frame in order. */
START_TEST(test_across_fork)
{
	static struct pmm_msg	got[FORK_N];
	struct bus_stats	st = { 0 };
	struct pmm_msg		m;
	struct pollfd		pfd;
	pid_t			pid;
	int			lfd, afd, n = 0, r = 0, status;

	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int	fd = bus_connect(sockpath);

		if (fd == -1)
			_exit(2);
		for (int i = 0; i < FORK_N; i++) {
			tick(&m, (uint64_t)i);
			msg_stamp(&m, PMM_MSG_TICK, SVC_MARKET,
			    (uint64_t)i + 1);
			while (bus_send(fd, &m, NULL) == -1) {
				if (errno != EAGAIN)
					_exit(3);
				pfd = (struct pollfd){ fd, POLLOUT, 0 };
				poll(&pfd, 1, WAIT_MS);
			}
		}
		_exit(0);
	}
	afd = accept_one(lfd);
	while (n < FORK_N) {
		wait_readable(afd);
		while (n < FORK_N && (r = bus_recv(afd, &got[n], &st)) == 1)
			n++;
		ck_assert_int_ne(r, -1);
	}
	assert_in_order(got, FORK_N, 1, 0);
	ck_assert_uint_eq(st.received, FORK_N);
	ck_assert_uint_eq(st.malformed + st.oversized, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(afd);
	close(lfd);
}
END_TEST

/* ---- bad frames ---- */

static FILE	*errlog;

/* Send this test process's log lines to a file captured() reads. */
static void
capture_stderr(void)
{
	errlog = tmpfile();
	ck_assert_ptr_nonnull(errlog);
	ck_assert_int_eq(dup2(fileno(errlog), STDERR_FILENO), STDERR_FILENO);
}

static const char *
captured(void)
{
	static char	buf[8192];
	ssize_t		n;

	n = pread(fileno(errlog), buf, sizeof(buf) - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

static void
send_raw_ok(int fd, const char *frame, size_t len)
{
	ck_assert_int_eq(bus_send_raw(fd, frame, len, NULL), 0);
}

START_TEST(test_bad_frames_dropped_good_one_arrives)
{
	static char		big[PMM_MSG_MAX * 3];
	struct bus_stats	st = { 0 };
	struct pmm_msg		m, got;
	char			good[PMM_MSG_MAX];
	ssize_t			n;
	int			fds[2];

	ck_assert_int_eq(bus_pair(fds), 0);
	memset(big, 0xc0, sizeof(big));
	send_raw_ok(fds[1], big, sizeof(big));		/* oversized */
	send_raw_ok(fds[1], big, PMM_MSG_MAX + 1);	/* by one byte */
	send_raw_ok(fds[1], "\x96\x02\x08\x00\x00\x00", 6); /* bad version */
	send_raw_ok(fds[1], "hello", 5);		/* not msgpack */
	tick(&m, 99);
	msg_stamp(&m, PMM_MSG_TICK, SVC_MARKET, 5);
	n = msg_encode(&m, good, sizeof(good));
	ck_assert_int_gt(n, 0);
	send_raw_ok(fds[1], good, (size_t)n);
	/* a frame of exactly PMM_MSG_MAX bytes is not oversized */
	send_raw_ok(fds[1], big, PMM_MSG_MAX);

	capture_stderr();
	ck_assert_int_eq(bus_recv(fds[0], &got, &st), 1);
	/* MSG_TRUNC: the log tells the frame's real size */
	ck_assert_ptr_nonnull(strstr(captured(), "3072 bytes"));
	ck_assert_uint_eq(got.u.tick.update_id, 99);
	ck_assert_uint_eq(st.oversized, 2);
	ck_assert_uint_eq(st.malformed, 2);
	ck_assert_uint_eq(st.received, 1);
	/* the connection is still good; the max-size frame is malformed */
	ck_assert_int_eq(bus_recv(fds[0], &got, &st), 0);
	ck_assert_uint_eq(st.oversized, 2);
	ck_assert_uint_eq(st.malformed, 3);
	send_raw_ok(fds[1], good, (size_t)n);
	ck_assert_int_eq(bus_recv(fds[0], &got, &st), 1);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A flood is logged at 1, 2, 4, 8... drops, not once per frame. */
START_TEST(test_bad_frames_logged_rarely)
{
	struct bus_stats	 st = { 0 };
	struct pmm_msg		 got;
	const char		*p;
	int			 fds[2], lines = 0, i;

	ck_assert_int_eq(bus_pair(fds), 0);
	capture_stderr();
	for (i = 0; i < 40; i++)
		send_raw_ok(fds[1], "\x05", 1);
	ck_assert_int_eq(bus_recv(fds[0], &got, &st), 0);
	ck_assert_uint_eq(st.malformed, 40);
	for (p = captured(); (p = strstr(p, "dropped malformed")) != NULL; p++)
		lines++;
	ck_assert_int_eq(lines, 6);	/* 1 2 4 8 16 32 */
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* One call drops a bounded number, then yields; the next call goes on. */
START_TEST(test_bad_flood_bounded_per_call)
{
	struct bus_stats	st = { 0 };
	struct pmm_msg		m, got;
	int			fds[2], i, r, calls = 0;

	ck_assert_int_eq(bus_pair(fds), 0);
	for (i = 0; i < 100; i++)
		send_raw_ok(fds[1], "\xc1", 1);
	tick(&m, 5);
	msg_stamp(&m, PMM_MSG_TICK, SVC_MARKET, 1);
	ck_assert_int_eq(bus_send(fds[1], &m, NULL), 0);
	while ((r = bus_recv(fds[0], &got, &st)) == 0 && calls < 10)
		calls++;
	ck_assert_int_eq(r, 1);
	ck_assert_int_ge(calls, 1);
	ck_assert_uint_eq(st.malformed, 100);
	ck_assert_uint_eq(got.u.tick.update_id, 5);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* ---- the publisher's queue ---- */

#define QN	300

START_TEST(test_peer_queues_until_subscriber_listens)
{
	static struct pmm_msg	got[QN];
	struct bus_stats	st = { 0 };
	struct bus_peer		p;
	struct pmm_msg		m;
	int			lfd, afd = -1, i;

	ck_assert_int_eq(bus_peer_init(&p, sockpath, SVC_MARKET), 0);
	ck_assert_int_eq(p.fd, -1);
	for (i = 0; i < QN; i++) {
		tick(&m, (uint64_t)i);
		ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
		/* publish stamped the caller's envelope */
		ck_assert_uint_eq(m.env.seq, (uint64_t)i + 1);
		ck_assert_uint_eq(m.env.sender, SVC_MARKET);
		ck_assert_uint_eq(m.env.version, PMM_PROTO_VERSION);
	}
	ck_assert_uint_eq(p.count, QN);
	ck_assert_uint_eq(p.st.sent, 0);
	bus_peer_service(&p);		/* still nobody there */
	ck_assert_uint_eq(p.count, QN);

	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(drain(&p, lfd, &afd, got, QN, &st), QN);
	assert_in_order(got, QN, 1, 0);
	ck_assert_uint_eq(p.count, 0);
	ck_assert_uint_eq(p.st.sent, QN);
	ck_assert_uint_eq(p.st.dropped, 0);
	ck_assert_uint_eq(p.st.reconnects, 1);
	bus_peer_free(&p);
	close(afd);
	close(lfd);
}
END_TEST

START_TEST(test_peer_subscriber_restart)
{
	static struct pmm_msg	got[QN];
	struct bus_stats	st = { 0 };
	struct bus_peer		p;
	struct pmm_msg		m;
	int			lfd, afd = -1, i;

	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bus_peer_init(&p, sockpath, SVC_ORDER), 0);
	ck_assert_int_ge(p.fd, 0);	/* connected at once */
	for (i = 0; i < 10; i++) {
		tick(&m, (uint64_t)i);
		ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
	}
	ck_assert_uint_eq(p.count, 0);	/* sent directly */
	ck_assert_int_eq(drain(&p, lfd, &afd, got, 10, &st), 10);
	assert_in_order(got, 10, 1, 0);

	/* the subscriber dies: its connection and its listener close */
	close(afd);
	afd = -1;
	close(lfd);
	for (i = 10; i < 10 + QN; i++) {
		tick(&m, (uint64_t)i);
		ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
	}
	ck_assert_int_eq(p.fd, -1);	/* the first send saw EPIPE */
	ck_assert_uint_eq(p.count, QN);	/* ... and lost nothing */
	bus_peer_service(&p);
	ck_assert_uint_eq(p.count, QN);

	/* it comes back on the same path */
	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(drain(&p, lfd, &afd, got, QN, &st), QN);
	assert_in_order(got, QN, 11, 10);
	ck_assert_uint_eq(p.count, 0);
	ck_assert_uint_eq(p.st.dropped, 0);
	ck_assert_uint_ge(p.st.reconnects, 1);
	bus_peer_free(&p);
	close(afd);
	close(lfd);
}
END_TEST

/*
 * The subscriber is there but not reading: the socket fills, then the ring.
 * Once it reads a little, a new frame must still queue behind the old ones.
 */
START_TEST(test_peer_slow_subscriber)
{
	static struct pmm_msg	got[QN + 50];
	struct bus_stats	st = { 0 };
	struct bus_peer		p;
	struct pmm_msg		m;
	int			lfd, afd, i, n, small = 1;

	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bus_peer_init(&p, sockpath, SVC_MARKET), 0);
	ck_assert_int_ge(p.fd, 0);
	/* a tiny send buffer makes the socket fill after a few frames */
	ck_assert_int_eq(setsockopt(p.fd, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	for (i = 0; i < QN; i++) {
		tick(&m, (uint64_t)i);
		ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
	}
	ck_assert_int_ge(p.fd, 0);	/* full is not broken */
	ck_assert_uint_gt(p.count, 0);
	ck_assert_uint_lt(p.count, QN);

	/* the subscriber reads a few, which makes room in the socket */
	afd = accept_one(lfd);
	for (n = 0; n < 3; n++)
		ck_assert_int_eq(bus_recv(afd, &got[n], &st), 1);
	for (i = QN; i < QN + 50; i++) {
		tick(&m, (uint64_t)i);
		ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
	}
	ck_assert_int_eq(drain(&p, lfd, &afd, got + n, QN + 50 - n, &st),
	    QN + 50 - n);
	assert_in_order(got, QN + 50, 1, 0);
	ck_assert_uint_eq(p.st.dropped, 0);
	ck_assert_uint_eq(p.st.reconnects, 0);
	bus_peer_free(&p);
	close(afd);
	close(lfd);
}
END_TEST

#define EXTRA	10

START_TEST(test_peer_overflow_drops_oldest)
{
	static struct pmm_msg	got[BUS_QUEUE_LEN];
	struct bus_stats	st = { 0 };
	struct bus_peer		p;
	struct pmm_msg		m;
	int			lfd, afd = -1, i;

	ck_assert_int_eq(bus_peer_init(&p, sockpath, SVC_MARKET), 0);
	for (i = 0; i < BUS_QUEUE_LEN + EXTRA; i++) {
		tick(&m, (uint64_t)i);
		ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
	}
	ck_assert_uint_eq(p.count, BUS_QUEUE_LEN);
	ck_assert_uint_eq(p.st.dropped, EXTRA);
	/* the head is now the oldest survivor */
	ck_assert_int_eq(msg_decode(p.ring[p.head].data, p.ring[p.head].len,
	    &m, NULL, 0), 0);
	ck_assert_uint_eq(m.u.tick.update_id, EXTRA);

	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(drain(&p, lfd, &afd, got, BUS_QUEUE_LEN, &st),
	    BUS_QUEUE_LEN);
	/* seq numbers were given at publish: the gap shows the loss */
	assert_in_order(got, BUS_QUEUE_LEN, EXTRA + 1, EXTRA);
	ck_assert_uint_eq(p.count, 0);
	ck_assert_uint_eq(p.st.dropped, EXTRA);
	bus_peer_free(&p);
	close(afd);
	close(lfd);
}
END_TEST

/* Backoff doubles from 10 ms to 1 s, and resets on success. */
START_TEST(test_peer_backoff)
{
	struct bus_peer	p;
	int64_t		prev;
	int		lfd, i;

	ck_assert_int_eq(bus_peer_init(&p, sockpath, SVC_RISK), 0);
	ck_assert_int_eq(p.fd, -1);
	ck_assert_int_eq(p.backoff_ns, 20 * NS_PER_MS);	/* 10 ms used */
	for (i = 0; i < 12; i++) {
		prev = p.backoff_ns;
		p.next_try_ns = 0;		/* due now */
		bus_peer_service(&p);
		ck_assert_int_eq(p.fd, -1);
		ck_assert_int_eq(p.backoff_ns,
		    prev * 2 > NS_PER_S ? NS_PER_S : prev * 2);
	}
	ck_assert_int_eq(p.backoff_ns, NS_PER_S);
	/* not due: no attempt, so no change */
	lfd = bus_listen(sockpath);
	ck_assert_int_ge(lfd, 0);
	p.next_try_ns = INT64_MAX;
	bus_peer_service(&p);
	ck_assert_int_eq(p.fd, -1);
	p.next_try_ns = 0;
	bus_peer_service(&p);
	ck_assert_int_ge(p.fd, 0);
	ck_assert_int_eq(p.backoff_ns, 10 * NS_PER_MS);
	ck_assert_uint_eq(p.st.reconnects, 1);
	bus_peer_free(&p);
	ck_assert_int_eq(p.fd, -1);
	ck_assert_ptr_null(p.ring);
	close(lfd);
}
END_TEST

START_TEST(test_peer_refuses_unencodable)
{
	struct bus_peer	p;
	struct pmm_msg	m;

	ck_assert_int_eq(bus_peer_init(&p, sockpath, SVC_MARKET), 0);
	memset(&m, 0, sizeof(m));
	m.env.type = PMM_MSG_COUNT;
	ck_assert_int_eq(bus_peer_publish(&p, &m), -1);
	ck_assert_uint_eq(p.count, 0);
	/* a refused frame does not use up a sequence number */
	tick(&m, 1);
	ck_assert_int_eq(bus_peer_publish(&p, &m), 0);
	ck_assert_uint_eq(m.env.seq, 1);
	bus_peer_free(&p);
}
END_TEST

static Suite *
bus_suite(void)
{
	Suite	*s = suite_create("bus");
	TCase	*tc;

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_listen_connect_send_recv);
	tcase_add_test(tc, test_listen_replaces_stale_socket_only);
	tcase_add_test(tc, test_connect_failures);
	tcase_add_test(tc, test_pair);
	tcase_add_test(tc, test_across_fork);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad frames");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_frames_dropped_good_one_arrives);
	tcase_add_test(tc, test_bad_frames_logged_rarely);
	tcase_add_test(tc, test_bad_flood_bounded_per_call);
	suite_add_tcase(s, tc);

	tc = tcase_create("peer");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_peer_queues_until_subscriber_listens);
	tcase_add_test(tc, test_peer_subscriber_restart);
	tcase_add_test(tc, test_peer_slow_subscriber);
	tcase_add_test(tc, test_peer_overflow_drops_oldest);
	tcase_add_test(tc, test_peer_backoff);
	tcase_add_test(tc, test_peer_refuses_unencodable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* a test writing to a subscriber that is gone must see EPIPE */
	signal(SIGPIPE, SIG_DFL);
	log_init("check_bus", LOG_LVL_WARN);
	return check_run(bus_suite());
}
