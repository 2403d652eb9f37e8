/*
 * bench_shm.c — what a state-segment read and write cost.
 *
 * Times SHM_SNAPSHOT and SHM_PUBLISH on the smallest hot section (market)
 * and the largest (orders), alone and against a busy process on the other
 * side of the latch, each beside a plain memcpy of the same size measured in
 * the same run: the latch can only add to a copy, so the gap is its price.
 * The aim is a read in 100 ns or less. Prints figures, asserts none.
 *
 * usage: bench_shm [rounds]	(default 7; best and median are shown)
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "shm.h"
#include "timeutil.h"

#define BENCH_MAX_ROUNDS	31
#define BENCH_ROUND_NS		(30 * NS_PER_MS)	/* one round's length */
#define BENCH_CHUNK		256	/* ops between clock reads */
#define BENCH_PACE_NS		1000	/* paced writer: 1 publish/us */
#define BENCH_TARGET_READ_NS	100.0

/* One latch-protected section, as the SHM_* macros see it. */
struct bench_sect {
	const char	*name;
	_Atomic uint64_t *seq;
	_Atomic uint64_t *sums;
	void		*copies;
	size_t		 size;
};

/* Shared with the background process (anonymous MAP_SHARED page). */
struct bench_bg {
	_Atomic int	 stop;
	_Atomic int	 running;
	_Atomic uint64_t ops;
};

struct bench {
	char		 name[96];
	int		 cpu[2];	/* ours and the peer's; -1: not pinned */
	struct shm_state *st;
	struct bench_bg	*bg;
	int		 rounds;
	unsigned char	*src, *dst;	/* private buffers, largest size */
};

enum bench_op { OP_MEMCPY, OP_SNAPSHOT, OP_PUBLISH };
enum bench_peer { PEER_NONE, PEER_WRITER, PEER_PACED, PEER_READER };

struct bench_result {
	double		best, median;	/* ns per operation */
	uint64_t	ops, fails;	/* fails: snapshots that hit the bound */
	double		peer_mops;	/* background process, Mops/s */
};

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* BENCH_CHUNK operations back to back: what the clock brackets. */
static void
bench_chunk(struct bench *b, const struct bench_sect *s, enum bench_op op,
    uint64_t *fails)
{
	int i;

	for (i = 0; i < BENCH_CHUNK; i++) {
		switch (op) {
		case OP_MEMCPY:
			memcpy(b->dst, b->src, s->size);
			/* the copy must happen every time, like the latch's */
			__asm__ volatile("" ::: "memory");
			break;
		case OP_SNAPSHOT:
			if (shm_latch_read(s->seq, s->sums, s->copies, s->size,
			    b->dst) != 0)
				(*fails)++;
			break;
		case OP_PUBLISH:
			b->src[0] = (unsigned char)i;
			shm_latch_write(s->seq, s->sums, s->copies, s->size, b->src);
			break;
		}
	}
}

/*
 * One round: chunks until BENCH_ROUND_NS have passed, so a slow case
 * (snapshots retrying against a busy writer) cannot stretch the run.
 */
static double
bench_round(struct bench *b, const struct bench_sect *s, enum bench_op op,
    uint64_t *ops, uint64_t *fails)
{
	int64_t t0, t1;
	uint64_t n = 0;

	t0 = now_mono_ns();
	do {
		bench_chunk(b, s, op, fails);
		n += BENCH_CHUNK;
		t1 = now_mono_ns();
	} while (t1 - t0 < BENCH_ROUND_NS);
	*ops += n;
	return (double)(t1 - t0) / (double)n;
}

static void
bench_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		log_warn("sched_setaffinity cpu %d", cpu);
}

/*
 * Contention is only real when the two processes run at the same time:
 * put them on two different CPUs rather than let the scheduler share one.
 */
static void
bench_pick_cpus(struct bench *b)
{
	cpu_set_t set;
	int i, n = 0;

	b->cpu[0] = b->cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return;
	for (i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			b->cpu[n++] = i;
	if (n < 2) {
		b->cpu[0] = b->cpu[1] = -1;
		return;
	}
	bench_pin(b->cpu[0]);
}

/* The paced writer's wait: spin, a sleep would be far too coarse. */
static void
bench_spin_until(int64_t t)
{
	while (now_mono_ns() < t)
		;
}

/*
 * The process on the other side: publishes (flat out or paced) or
 * snapshots until told to stop; its op count is published as it goes so
 * the rate covers only the measured window.
 */
static void __attribute__((noreturn))
bench_peer_loop(struct bench *b, const struct bench_sect *s,
    enum bench_peer peer)
{
	unsigned char *buf;
	int64_t next = now_mono_ns();
	uint64_t n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	bench_pin(b->cpu[1]);
	buf = calloc(1, s->size);
	if (buf == NULL)
		_exit(1);
	atomic_store(&b->bg->running, 1);
	while (!atomic_load_explicit(&b->bg->stop, memory_order_relaxed)) {
		if (peer == PEER_READER) {
			(void)shm_latch_read(s->seq, s->sums, s->copies, s->size, buf);
		} else {
			buf[0] = (unsigned char)n;
			shm_latch_write(s->seq, s->sums, s->copies, s->size, buf);
		}
		if (peer == PEER_PACED)
			bench_spin_until(next += BENCH_PACE_NS);
		if (++n % 64 == 0)
			atomic_store_explicit(&b->bg->ops, n,
			    memory_order_relaxed);
	}
	_exit(0);
}

static pid_t
bench_peer_start(struct bench *b, const struct bench_sect *s,
    enum bench_peer peer)
{
	pid_t pid;

	atomic_store(&b->bg->stop, 0);
	atomic_store(&b->bg->running, 0);
	atomic_store(&b->bg->ops, 0);
	pid = fork();
	if (pid == -1)
		fatal("fork");
	if (pid == 0)
		bench_peer_loop(b, s, peer);
	while (!atomic_load(&b->bg->running))
		usleep(100);
	return pid;
}

static void
bench_peer_stop(struct bench *b, pid_t pid)
{
	int status;

	atomic_store(&b->bg->stop, 1);
	if (waitpid(pid, &status, 0) != pid)
		fatal("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fatalx("background process failed (status %#x)", status);
}

static struct bench_result
bench_measure(struct bench *b, const struct bench_sect *s, enum bench_op op,
    enum bench_peer peer)
{
	struct bench_result r = { 0 };
	double ns[BENCH_MAX_ROUNDS];
	uint64_t peer0, peer1;
	int64_t t0, t1;
	pid_t pid = 0;
	int i;

	if (peer != PEER_NONE)
		pid = bench_peer_start(b, s, peer);
	bench_round(b, s, op, &r.ops, &r.fails);  /* warm caches and TLB */
	r.ops = r.fails = 0;
	peer0 = atomic_load(&b->bg->ops);
	t0 = now_mono_ns();
	for (i = 0; i < b->rounds; i++)
		ns[i] = bench_round(b, s, op, &r.ops, &r.fails);
	t1 = now_mono_ns();
	peer1 = atomic_load(&b->bg->ops);
	if (peer != PEER_NONE) {
		bench_peer_stop(b, pid);
		r.peer_mops = (double)(peer1 - peer0) * 1e3 / (double)(t1 - t0);
	}
	qsort(ns, b->rounds, sizeof(ns[0]), bench_cmp_double);
	r.best = ns[0];
	r.median = ns[b->rounds / 2];
	return r;
}

static void
bench_row(struct bench *b, const struct bench_sect *s, const char *label,
    enum bench_op op, enum bench_peer peer)
{
	struct bench_result r = bench_measure(b, s, op, peer);
	char fails[32] = "", peer_rate[32] = "";

	if (op == OP_SNAPSHOT)
		snprintf(fails, sizeof(fails), "%.3f%%", 100.0 *
		    (double)r.fails / (double)r.ops);
	if (peer != PEER_NONE)
		snprintf(peer_rate, sizeof(peer_rate), "%.1f", r.peer_mops);
	printf("%-7s %6zu  %-32s %8.1f %8.1f %9s %9s\n", s->name, s->size,
	    label, r.best, r.median, fails, peer_rate);
	fflush(stdout);
}

static void
bench_section(struct bench *b, const struct bench_sect *s)
{
	bench_row(b, s, "memcpy (baseline)", OP_MEMCPY, PEER_NONE);
	bench_row(b, s, "SHM_SNAPSHOT", OP_SNAPSHOT, PEER_NONE);
	bench_row(b, s, "SHM_PUBLISH", OP_PUBLISH, PEER_NONE);
	bench_row(b, s, "SHM_SNAPSHOT, writer 1 pub/us", OP_SNAPSHOT,
	    PEER_PACED);
	bench_row(b, s, "SHM_SNAPSHOT, writer flat out", OP_SNAPSHOT,
	    PEER_WRITER);
	bench_row(b, s, "SHM_PUBLISH, reader flat out", OP_PUBLISH,
	    PEER_READER);
}

static void
bench_setup(struct bench *b, int rounds)
{
	char err[256], inst[48];

	b->rounds = rounds;
	bench_pick_cpus(b);
	snprintf(inst, sizeof(inst), "bench-%d", (int)getpid());
	shm_name(b->name, sizeof(b->name), inst, "/");
	b->st = shm_create(b->name, inst, err, sizeof(err));
	if (b->st == NULL)
		fatalx("%s", err);
	b->bg = mmap(NULL, sizeof(*b->bg), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b->bg == MAP_FAILED)
		fatal("mmap");
	b->src = calloc(1, sizeof(struct shm_orders));
	b->dst = calloc(1, sizeof(struct shm_orders));
	if (b->src == NULL || b->dst == NULL)
		fatal("calloc");
	memset(b->src, 0x5a, sizeof(struct shm_orders));
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct bench_sect market, orders;
	int rounds = argc > 1 ? atoi(argv[1]) : 7;

	log_init("bench_shm", LOG_LVL_INFO);
	if (rounds < 1 || rounds > BENCH_MAX_ROUNDS)
		fatalx("rounds must be 1..%d", BENCH_MAX_ROUNDS);
	bench_setup(&b, rounds);
	market = (struct bench_sect){ "market", &b.st->market.seq,
	    b.st->market.sum, b.st->market.copy, sizeof(b.st->market.copy[0]) };
	orders = (struct bench_sect){ "orders", &b.st->orders.seq,
	    b.st->orders.sum, b.st->orders.copy, sizeof(b.st->orders.copy[0]) };

	printf("bench_shm: ns per operation, best and median of %d rounds "
	    "of %lld ms; us on cpu %d, peer on cpu %d\n", rounds,
	    (long long)(BENCH_ROUND_NS / NS_PER_MS), b.cpu[0], b.cpu[1]);
	printf("%-7s %6s  %-32s %8s %8s %9s %9s\n", "section", "bytes",
	    "operation", "best", "median", "fails", "peer Mop/s");
	bench_section(&b, &market);
	bench_section(&b, &orders);
	printf("aim: SHM_SNAPSHOT <= %.0f ns. fails: snapshots that gave up "
	    "after %d attempts.\npeer: the other process's rate in the same "
	    "window (the real market feed is ~200 updates/s).\n",
	    BENCH_TARGET_READ_NS, SHM_READ_RETRIES);

	shm_detach(b.st);
	shm_destroy(b.name);
	free(b.src);
	free(b.dst);
	return 0;
}
