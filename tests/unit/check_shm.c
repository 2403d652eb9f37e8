/*
 * check_shm.c — unit tests of the state segment (common/shm.c).
 *
 * Lifecycle and header checks, a publish/snapshot roundtrip for every
 * section type, all-or-nothing batch updates, readers that never hang
 * (forged half-written sections; a section made to change on every read
 * attempt, deterministically, with page faults), and the kill test the
 * design asks for: a writer process SIGKILLed at random moments, over and
 * over, while reader processes check every snapshot.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "shm.h"
#include "timeutil.h"
#include "check_run.h"

#define KILL_ROUNDS	1000
#define KILL_READERS	2
#define KILL_SEED	0x5eed5eedULL
#define KILL_MAX_DELAY_US 400
#define WAIT_LIMIT_NS	(10 * NS_PER_S)
#define BEING_WRITTEN	0xa5	/* what a writer paints a copy with first */

/*
 * The test's own context. File-static because the SIGSEGV handler of the
 * retry-bound test needs it; every test runs in its own forked process.
 */
static struct {
	char		 name[96];	/* segment of this test run */
	/* retry-bound test: seq on page A, copies on page B */
	long		 pagesz;
	char		*page_a, *page_b;
	_Atomic uint64_t *seq, *sums;
	volatile int	 faults_b;	/* changed by the SIGSEGV handler */
	volatile int	 bumps_left;
} t;

/* ---- helpers ---------------------------------------------------------- */

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* xorshift64*: a seeded, reproducible source of kill delays. */
static uint64_t
rnd_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

static void
names_setup(void)
{
	char inst[48];

	snprintf(inst, sizeof(inst), "check-shm-%d", (int)getpid());
	shm_name(t.name, sizeof(t.name), inst, "/tmp");
}

/* Runs in the runner process, so it also cleans up after failed tests. */
static void
names_teardown(void)
{
	shm_unlink(t.name);
}

static struct shm_state *
create_ok(void)
{
	struct shm_state *st;
	char err[256] = "";

	st = shm_create(t.name, "unit", err, sizeof(err));
	ck_assert_msg(st != NULL, "shm_create: %s", err);
	return st;
}

/* Permissions of the mapping that contains addr, from /proc/self/maps. */
static void
map_perms(const void *addr, char perms[5])
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512], p[5];
	FILE *f;

	strcpy(perms, "?");
	f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 &&
		    a >= lo && a < hi) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
}

/* ---- records whose every byte derives from one counter ------------------ */

/*
 * The expected record for counter c; c == 0 is the zeroed initial state.
 * Checking a snapshot is rebuilding it from its counter and comparing all
 * bytes, which is stronger than any checksum: one stale or torn byte fails.
 */
static void
market_fill(struct shm_market *m, uint64_t c)
{
	memset(m, 0, sizeof(*m));
	if (c == 0)
		return;
	m->bid = (double)c;
	m->bid_qty = (double)c * 2;
	m->ask = (double)c + 1;
	m->ask_qty = (double)c * 3;
	m->mid = (double)c + 0.5;
	m->mark_price = (double)c + 0.25;
	m->exch_ts_ns = (int64_t)(c * 10);
	m->recv_ts_ns = (int64_t)(c * 10 + 1);
	m->update_id = ~c;
	m->updates = c;
	m->stale = (uint32_t)(c & 1);
	m->ws_reconnects = (uint32_t)(c % 100);
	m->md_latency_ms = (double)c * 0.5;
}

static void
orders_fill(struct shm_orders *o, uint64_t c)
{
	struct shm_order_rec *r;
	int i;

	memset(o, 0, sizeof(*o));
	if (c == 0)
		return;
	o->n_open = (uint32_t)(c % (SHM_MAX_ORDERS + 1));
	for (i = 0; i < SHM_MAX_ORDERS; i++) {
		r = &o->open[i];
		memset(r->client_id, 'a' + (int)((c + i) % 26),
		    sizeof(r->client_id) - 1);
		r->order_id = (int64_t)(c * SHM_MAX_ORDERS + i);
		r->price = (double)c + i / 4.0;
		r->qty = i + 1;
		r->filled = (double)(c % 7);
		r->side = i & 1;
		r->level = i % 3 + 1;
		r->status = (uint8_t)((c + i) % 5);
		r->ts_ns = (int64_t)(c * 1000 + i);
	}
	o->last_order_ns = (int64_t)(c * 7);
	o->placed = c;
	o->canceled = c * 2;
	o->fills = c * 3;
	o->rejects = ~c;
	o->order_rtt_ms = (double)c * 0.25;
	o->rate_limit_weight = (int32_t)(c % 2400);
	o->listen_key_ok = (uint32_t)(c & 1);
}

/* 1 when m is exactly the record of its own counter. */
static int
market_ok(const struct shm_market *m)
{
	struct shm_market want;

	market_fill(&want, m->updates);
	return memcmp(&want, m, sizeof(want)) == 0;
}

static int
orders_ok(const struct shm_orders *o)
{
	struct shm_orders want;

	orders_fill(&want, o->placed);
	return memcmp(&want, o, sizeof(want)) == 0;
}

static int
all_bytes(const void *p, size_t len, int byte)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != byte)
			return 0;
	return 1;
}

/* ---- names and lifecycle ---------------------------------------------- */

START_TEST(test_names)
{
	char buf[96], want[64], other[96], dir[64], link[80];
	int i;

	shm_name(buf, sizeof(buf), "main", "/");
	snprintf(want, sizeof(want), "/pmm-main-%u-", (unsigned)getuid());
	ck_assert_int_eq(strncmp(buf, want, strlen(want)), 0);
	ck_assert_uint_eq(strlen(buf), strlen(want) + 8);	/* 8 hex */
	/* an object name may not contain a second slash */
	shm_name(buf, sizeof(buf), "a/b", "/");
	ck_assert_ptr_null(strchr(buf + 1, '/'));

	/* the runtime directory is part of the identity: two trees of one
	 * instance in two directories never share a segment ... */
	shm_name(buf, sizeof(buf), "main", "/tmp");
	shm_name(other, sizeof(other), "main", "/");
	ck_assert_str_ne(buf, other);
	/* ... and one directory has one name, however it is spelt */
	snprintf(dir, sizeof(dir), "/tmp/check-shm-dir-%d", (int)getpid());
	snprintf(link, sizeof(link), "%s-link", dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(symlink(dir, link), 0);
	shm_name(buf, sizeof(buf), "main", dir);
	shm_name(other, sizeof(other), "main", link);
	unlink(link);
	rmdir(dir);
	ck_assert_str_eq(buf, other);

	for (i = 0; i < SVC_COUNT; i++)
		ck_assert_int_eq(svc_from_name(svc_name(i)), i);
	ck_assert_str_eq(svc_name(SVC_MARKET), "market");
	ck_assert_str_eq(svc_name(SVC_ORDER), "order");
	ck_assert_str_eq(svc_name(SVC_RISK), "risk");
	ck_assert_str_eq(svc_name(SVC_LOGGER), "logger");
	ck_assert_str_eq(svc_name(SVC_COUNT), "?");
	ck_assert_int_eq(svc_from_name("nope"), -1);
	ck_assert_int_eq(svc_from_name(""), -1);

	ck_assert_str_eq(proc_state_name(PROC_DOWN), "down");
	ck_assert_str_eq(proc_state_name(PROC_STARTING), "starting");
	ck_assert_str_eq(proc_state_name(PROC_READY), "ready");
	ck_assert_str_eq(proc_state_name(PROC_BACKOFF), "backoff");
	ck_assert_str_eq(proc_state_name(PROC_STOPPING), "stopping");
	ck_assert_str_eq(proc_state_name(PROC_STOPPED), "stopped");
	ck_assert_str_eq(proc_state_name(PROC_FAILED), "failed");
	ck_assert_str_eq(proc_state_name(PROC_FAILED + 1), "?");
}
END_TEST

START_TEST(test_create_attach)
{
	struct shm_state *st, *rw, *ro;
	struct stat sb;
	char err[256] = "", perms[5];
	int64_t before;
	int fd;

	/* a umask that would strip the owner's write bit must not win */
	umask(0277);
	before = now_real_ns();
	st = create_ok();
	ck_assert(st->hdr.magic == SHM_MAGIC);
	ck_assert_uint_eq(st->hdr.version, SHM_LAYOUT_VERSION);
	ck_assert_uint_eq(st->hdr.size, sizeof(struct shm_state));
	ck_assert_int_eq(st->hdr.owner_pid, getpid());
	ck_assert_str_eq(st->hdr.instance, "unit");
	ck_assert(st->hdr.created_ns >= before);
	ck_assert(atomic_load(&st->market.seq) == 0);

	fd = shm_open(t.name, O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	close(fd);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(sb.st_size, sizeof(struct shm_state));

	rw = shm_attach(t.name, 1, err, sizeof(err));
	ck_assert_msg(rw != NULL, "attach rw: %s", err);
	ro = shm_attach(t.name, 0, err, sizeof(err));
	ck_assert_msg(ro != NULL, "attach ro: %s", err);
	map_perms(ro, perms);
	ck_assert_str_eq(perms, "r--s");
	map_perms(rw, perms);
	ck_assert_str_eq(perms, "rw-s");

	/* all three map the same object */
	rw->procs.copy[0].sup_pid = 4242;
	ck_assert_int_eq(st->procs.copy[0].sup_pid, 4242);
	ck_assert_int_eq(ro->procs.copy[0].sup_pid, 4242);

	shm_detach(ro);
	shm_detach(rw);
	shm_detach(st);
	ck_assert_int_eq(shm_destroy(t.name), 0);
	ck_assert_int_eq(shm_destroy(t.name), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_attach_missing)
{
	char err[256] = "", name[128];

	snprintf(name, sizeof(name), "%s-missing", t.name);
	ck_assert_ptr_null(shm_attach(name, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "No such file") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, name) != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_create_replaces_stale)
{
	struct shm_state *st;
	int fd;

	/* a leftover of another build: wrong size, junk inside */
	fd = shm_open(t.name, O_CREAT | O_RDWR, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 100), 0);
	ck_assert_int_eq(write(fd, "junkjunk", 8), 8);
	close(fd);

	st = create_ok();
	ck_assert(st->hdr.magic == SHM_MAGIC);
	ck_assert(all_bytes(&st->procs.copy, sizeof(st->procs.copy), 0));
	ck_assert(atomic_load(&st->procs.seq) == 0);
	shm_detach(st);
	st = shm_attach(t.name, 0, NULL, 0);
	ck_assert_ptr_nonnull(st);
	shm_detach(st);
}
END_TEST

/* Forge one header field, then expect attach to refuse with reason. */
static void
attach_refused(const char *why)
{
	char err[256] = "";

	ck_assert_ptr_null(shm_attach(t.name, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, why) != NULL, "err \"%s\" lacks \"%s\"",
	    err, why);
	ck_assert_ptr_null(shm_attach(t.name, 1, err, sizeof(err)));
}

START_TEST(test_attach_bad_magic)
{
	struct shm_state *st = create_ok();

	st->hdr.magic = 0x1234;
	attach_refused("magic");
}
END_TEST

START_TEST(test_attach_bad_version)
{
	struct shm_state *st = create_ok();

	st->hdr.version = SHM_LAYOUT_VERSION + 1;
	attach_refused("layout version");
}
END_TEST

START_TEST(test_attach_bad_header_size)
{
	struct shm_state *st = create_ok();

	st->hdr.size = sizeof(struct shm_state) - 64;
	attach_refused("header size");
}
END_TEST

START_TEST(test_attach_bad_object_size)
{
	struct shm_state *st = create_ok();
	int fd;

	fd = shm_open(t.name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, sizeof(*st) + 4096), 0);
	close(fd);
	attach_refused("has size");
}
END_TEST

/* ---- publish / snapshot ----------------------------------------------- */

/* Distinct, non-zero content so a roundtrip cannot pass by accident. */
static void
scribble(void *p, size_t len, unsigned seed)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

START_TEST(test_roundtrip_all_sections)
{
	struct shm_state *st, *ro;
	struct shm_procs procs, procs2;
	struct shm_market mk, mk2;
	struct shm_orders ord, ord2;
	struct shm_risk risk, risk2;
	struct shm_hb hb, hb2;
	unsigned round;
	int i;

	st = create_ok();
	ro = shm_attach(t.name, 0, NULL, 0);
	ck_assert_ptr_nonnull(ro);
	/* initial state: everything reads as zero */
	ck_assert_int_eq(SHM_SNAPSHOT(&ro->orders, &ord2), 0);
	ck_assert(all_bytes(&ord2, sizeof(ord2), 0));

	/* three rounds: both copies get used and the newest always wins */
	for (round = 1; round <= 3; round++) {
		scribble(&procs, sizeof(procs), round);
		scribble(&mk, sizeof(mk), round + 10);
		scribble(&ord, sizeof(ord), round + 20);
		scribble(&risk, sizeof(risk), round + 30);
		SHM_PUBLISH(&st->procs, &procs);
		SHM_PUBLISH(&st->market, &mk);
		SHM_PUBLISH(&st->orders, &ord);
		SHM_PUBLISH(&st->risk, &risk);
		for (i = 0; i < SVC_COUNT; i++) {
			scribble(&hb, sizeof(hb), round * 100 + i);
			SHM_PUBLISH(&st->hb[i], &hb);
		}
		ck_assert_int_eq(SHM_SNAPSHOT(&ro->procs, &procs2), 0);
		ck_assert_int_eq(SHM_SNAPSHOT(&ro->market, &mk2), 0);
		ck_assert_int_eq(SHM_SNAPSHOT(&ro->orders, &ord2), 0);
		ck_assert_int_eq(SHM_SNAPSHOT(&ro->risk, &risk2), 0);
		ck_assert_mem_eq(&procs, &procs2, sizeof(procs));
		ck_assert_mem_eq(&mk, &mk2, sizeof(mk));
		ck_assert_mem_eq(&ord, &ord2, sizeof(ord));
		ck_assert_mem_eq(&risk, &risk2, sizeof(risk));
		for (i = 0; i < SVC_COUNT; i++) {
			scribble(&hb, sizeof(hb), round * 100 + i);
			ck_assert_int_eq(SHM_SNAPSHOT(&ro->hb[i], &hb2), 0);
			ck_assert_mem_eq(&hb, &hb2, sizeof(hb));
		}
		ck_assert(atomic_load(&ro->orders.seq) == round);
	}
	shm_detach(ro);
	shm_detach(st);
}
END_TEST

START_TEST(test_batch_invisible_until_published)
{
	struct shm_state *st;
	struct shm_risk mine, seen;

	st = create_ok();
	memset(&mine, 0, sizeof(mine));
	mine.position = 0.5;
	mine.entry_price = 60000;
	SHM_PUBLISH(&st->risk, &mine);

	/* a batch of changes in the writer's own copy... */
	mine.position = -0.25;
	mine.paused = 1;
	snprintf(mine.pause_reason, sizeof(mine.pause_reason), "limit");
	mine.actions = 7;
	/* ...and an earlier update being half written into the spare copy */
	memset(&st->risk.copy[(atomic_load(&st->risk.seq) + 1) & 1],
	    BEING_WRITTEN, sizeof(mine));
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), 0);
	ck_assert(seen.position == 0.5 && seen.paused == 0);
	ck_assert_str_eq(seen.pause_reason, "");
	ck_assert(seen.actions == 0);

	SHM_PUBLISH(&st->risk, &mine);
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), 0);
	ck_assert_mem_eq(&seen, &mine, sizeof(mine));
}
END_TEST

/* Every field of a risk record derived from k; k == 0 is all zero. */
static void
risk_fill(struct shm_risk *r, uint64_t k)
{
	memset(r, 0, sizeof(*r));
	if (k == 0)
		return;
	r->position = (double)k;
	r->entry_price = (double)k * 2;
	r->realized_pnl = -(double)k;
	r->paused = (uint32_t)(k & 1);
	snprintf(r->pause_reason, sizeof(r->pause_reason), "k=%" PRIu64, k);
	r->checks = k;
	r->actions = k * 3;
}

/* A live writer doing batch updates; the reader sees whole ones only. */
START_TEST(test_batch_concurrent)
{
	struct shm_state *st;
	struct shm_risk r, want;
	uint64_t k, last = 0, reads = 0, bad = 0;
	pid_t pid;
	int status;

	st = create_ok();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (k = 1; k <= 200000; k++) {
			risk_fill(&r, k);
			SHM_PUBLISH(&st->risk, &r);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (SHM_SNAPSHOT(&st->risk, &r) != 0)
			continue;
		reads++;
		risk_fill(&want, r.checks);
		if (memcmp(&want, &r, sizeof(r)) != 0 || r.checks < last)
			bad++;
		last = r.checks;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(bad == 0, "%" PRIu64 " of %" PRIu64 " reads torn",
	    bad, reads);
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &r), 0);
	ck_assert(r.checks == 200000);
}
END_TEST

/* ---- readers never hang ----------------------------------------------- */

/*
 * A writer died at some point of an update: whatever the parity of seq,
 * the copy it names is intact, and the other is garbage.
 */
START_TEST(test_forged_half_written)
{
	struct shm_state *st;
	struct shm_orders good, seen;
	uint64_t s;

	st = create_ok();
	for (s = 5; s <= 6; s++) {
		orders_fill(&good, s * 11);
		memcpy(&st->orders.copy[s & 1], &good, sizeof(good));
		memset(&st->orders.copy[(s + 1) & 1], BEING_WRITTEN,
		    sizeof(good));
		/* half of the spare copy already holds the next record */
		orders_fill(&seen, s * 11 + 1);
		memcpy(&st->orders.copy[(s + 1) & 1], &seen, sizeof(seen) / 2);
		/* the good copy carries the sum its writer stored */
		atomic_store(&st->orders.sum[s & 1],
		    shm_copy_sum(s, &good, sizeof(good)));
		atomic_store(&st->orders.seq, s);

		ck_assert_int_eq(SHM_SNAPSHOT(&st->orders, &seen), 0);
		ck_assert_mem_eq(&seen, &good, sizeof(good));
		ck_assert(atomic_load(&st->orders.seq) == s);
	}
}
END_TEST

/*
 * Make the section change during every read attempt, deterministically:
 * the copies sit on page B and seq on page A, and page faults let the
 * test act in the middle of the reader's memcpy. A fault on B publishes
 * (seq + 1, as one writer update would) and swaps protection so the
 * reader's re-check of seq faults on A, which swaps it back for the next
 * attempt. Each attempt costs exactly one fault on B. Bumping by one also
 * pins down that seq == s + 1 at the re-check is not accepted.
 */
static void
flip_segv(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;

	(void)uc;
	if (a >= t.page_b && a < t.page_b + t.pagesz) {
		t.faults_b++;
		if (t.bumps_left > 0) {
			t.bumps_left--;
			atomic_fetch_add(t.seq, 1);
			mprotect(t.page_a, t.pagesz, PROT_NONE);
		}
		mprotect(t.page_b, t.pagesz, PROT_READ);
	} else if (a >= t.page_a && a < t.page_a + t.pagesz) {
		mprotect(t.page_a, t.pagesz, PROT_READ | PROT_WRITE);
		mprotect(t.page_b, t.pagesz, PROT_NONE);
	} else {
		signal(sig, SIG_DFL);	/* a real crash: re-fault and die */
	}
}

static void
flip_setup(int bumps)
{
	struct sigaction sa;
	char *mem;

	t.pagesz = sysconf(_SC_PAGESIZE);
	mem = mmap(NULL, 2 * t.pagesz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(mem != MAP_FAILED);
	t.page_a = mem;
	t.page_b = mem + t.pagesz;
	t.seq = (_Atomic uint64_t *)t.page_a;
	t.sums = t.seq + 1;		/* beside seq, as in a section */
	atomic_store(t.seq, 4);
	memset(t.page_b, 'x', 64);	/* copy[0]: active at first */
	memset(t.page_b + 64, 'y', 64);	/* copy[1] */
	/* any seq the test bumps to reads a copy with a valid sum */
	atomic_store(&t.sums[0], 0);
	atomic_store(&t.sums[1], shm_copy_sum(9, t.page_b + 64, 64));
	t.faults_b = 0;
	t.bumps_left = bumps;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = flip_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	ck_assert_int_eq(mprotect(t.page_b, t.pagesz, PROT_NONE), 0);
}

START_TEST(test_retry_bound)
{
	char dst[64];

	flip_setup(1 << 30);
	ck_assert_int_eq(shm_latch_read(t.seq, t.sums, t.page_b, 64, dst),
	    SHM_EBUSY);
	ck_assert_int_eq(t.faults_b, SHM_READ_RETRIES);
}
END_TEST

START_TEST(test_retry_then_success)
{
	char dst[64], want[64];

	flip_setup(5);
	ck_assert_int_eq(shm_latch_read(t.seq, t.sums, t.page_b, 64, dst),
	    SHM_OK);
	ck_assert_int_eq(t.faults_b, 6);	/* 5 moved, the 6th held */
	ck_assert(atomic_load(t.seq) == 4 + 5);
	memset(want, 'y', sizeof(want));	/* seq 9 names copy[1] */
	ck_assert_mem_eq(dst, want, sizeof(want));
}
END_TEST

/* ---- integrity: what no writer wrote is refused ------------------------- */

/* A fresh segment reads as zeros everywhere, with no error. */
START_TEST(test_fresh_sections_valid)
{
	struct shm_state *st;
	struct shm_orders o;
	struct shm_procs p;
	struct shm_hb hb;
	int i;

	st = create_ok();
	ck_assert_int_eq(SHM_SNAPSHOT(&st->orders, &o), SHM_OK);
	ck_assert(all_bytes(&o, sizeof(o), 0));
	ck_assert_int_eq(SHM_SNAPSHOT(&st->procs, &p), SHM_OK);
	for (i = 0; i < SVC_COUNT; i++)
		ck_assert_int_eq(SHM_SNAPSHOT(&st->hb[i], &hb), SHM_OK);
}
END_TEST

/*
 * One stray byte in the active copy, a stray sum, or seq flipped to the
 * other copy: each is refused with SHM_ECORRUPT (not SHM_EBUSY), the
 * caller's buffer keeps its last good copy, and the writer's next publish
 * makes the section whole again.
 */
START_TEST(test_corrupt_copy_detected)
{
	struct shm_state *st;
	struct shm_risk good, next, seen;
	unsigned char *b;
	uint64_t s;

	st = create_ok();
	memset(&good, 0, sizeof(good));
	good.position = 0.5;
	SHM_PUBLISH(&st->risk, &good);
	next = good;
	next.position = 0.75;
	SHM_PUBLISH(&st->risk, &next);
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_OK);
	ck_assert_mem_eq(&seen, &next, sizeof(next));

	/* the case: the pause flag overwritten */
	s = atomic_load(&st->risk.seq);
	st->risk.copy[s & 1].paused = 0x41414141;
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_ECORRUPT);
	ck_assert_mem_eq(&seen, &next, sizeof(next));	/* untouched */
	ck_assert_uint_eq(seen.paused, 0);

	/* a single flipped bit anywhere in the copy */
	st->risk.copy[s & 1] = next;
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_OK);
	b = (unsigned char *)&st->risk.copy[s & 1];
	b[sizeof(next) - 1] ^= 0x10;
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_ECORRUPT);
	b[sizeof(next) - 1] ^= 0x10;
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_OK);

	/* the stored sum */
	atomic_fetch_xor(&st->risk.sum[s & 1], 1);
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_ECORRUPT);
	atomic_fetch_xor(&st->risk.sum[s & 1], 1);

	/* seq pointed at the other (older, whole) copy: still refused, the
	 * sum binds each copy to the seq that published it */
	atomic_store(&st->risk.seq, s + 2 - 1);
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_ECORRUPT);

	/* the writer republishes: whole again */
	SHM_PUBLISH(&st->risk, &good);
	ck_assert_int_eq(SHM_SNAPSHOT(&st->risk, &seen), SHM_OK);
	ck_assert_mem_eq(&seen, &good, sizeof(good));
}
END_TEST

/* Random garbage over a whole section: never accepted. */
START_TEST(test_corrupt_random_overwrite)
{
	struct shm_state *st;
	struct shm_hb hb, seen;
	uint64_t x = KILL_SEED, *w;
	size_t i, n;
	int round;

	st = create_ok();
	memset(&hb, 0, sizeof(hb));
	hb.beats = 1;
	for (round = 0; round < 1000; round++) {
		SHM_PUBLISH(&st->hb[SVC_ORDER], &hb);
		w = (uint64_t *)&st->hb[SVC_ORDER].copy[0];
		n = 2 * sizeof(struct shm_hb) / 8;
		for (i = 0; i < n; i++)
			w[i] = rnd_next(&x);
		memset(&seen, 0, sizeof(seen));
		ck_assert_int_eq(SHM_SNAPSHOT(&st->hb[SVC_ORDER], &seen),
		    SHM_ECORRUPT);
		ck_assert_int_eq(seen.rl_ban_until_ms, 0);
	}
}
END_TEST

/* SHM_READ counts every corrupt read and logs at most one line a period. */
START_TEST(test_guard_counts_and_rate_limits)
{
	struct shm_state *st;
	struct shm_guard g;
	struct shm_market m;
	uint64_t s;
	int i;

	st = create_ok();
	memset(&g, 0, sizeof(g));
	memset(&m, 0, sizeof(m));
	SHM_PUBLISH(&st->market, &m);
	s = atomic_load(&st->market.seq);
	st->market.copy[s & 1].mid = 30106;
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(SHM_READ(&g, st, market, &m), SHM_ECORRUPT);
	ck_assert_uint_eq(g.corrupt, 5);
	/* the first was logged, the other four wait for the next line */
	ck_assert_uint_eq(g.unlogged[1], 4);
	ck_assert(g.next_log_ns[1] > now_mono_ns());
	/* another section has its own line */
	SHM_PUBLISH(&st->risk, &(struct shm_risk){ .position = 1 });
	st->risk.copy[atomic_load(&st->risk.seq) & 1].paused = 1;
	ck_assert_int_eq(SHM_READ(&g, st, risk, &(struct shm_risk){ 0 }),
	    SHM_ECORRUPT);
	ck_assert_uint_eq(g.unlogged[3], 0);
	ck_assert_uint_eq(g.corrupt, 6);
	ck_assert(m.mid == 0);
	ck_assert_str_eq(shm_section_name(st, &st->market.seq), "market");
	ck_assert_str_eq(shm_section_name(st, &st->hb[SVC_RISK].seq),
	    "hb[risk]");
}
END_TEST

/* Holds from a record are bounded: no overflow in anyone's arithmetic. */
START_TEST(test_hold_clamp)
{
	int64_t now = 1765000000000LL;

	ck_assert_int_eq(shm_hold_clamp(0, now), 0);
	ck_assert_int_eq(shm_hold_clamp(-5, now), 0);
	ck_assert_int_eq(shm_hold_clamp(now + 1000, now), now + 1000);
	ck_assert_int_eq(shm_hold_clamp(now + SHM_HOLD_MAX_MS, now),
	    now + SHM_HOLD_MAX_MS);
	/* the hold: 6351628675370622222 ms */
	ck_assert_int_eq(shm_hold_clamp(6351628675370622222LL, now),
	    now + SHM_HOLD_MAX_MS);
	ck_assert_int_eq(shm_hold_clamp(INT64_MAX, now), now + SHM_HOLD_MAX_MS);
}
END_TEST

/* ---- the kill test ---------------------------------------------------- */

/* Shared by the parent, the writers and the readers (anonymous mapping). */
struct kill_reader {
	_Atomic uint64_t ack;		/* last dead generation read */
	uint64_t	 reads;		/* successful snapshot pairs */
	uint64_t	 overlapped;	/* seq moved while reading */
	uint64_t	 live_fail;	/* retry bound hit, writer alive */
	uint64_t	 dead_reads;	/* reads wholly while no writer */
	uint64_t	 dead_fail;	/* retry bound hit, no writer: a hang */
	uint64_t	 torn;
	uint64_t	 corrupt;	/* checksum refused: must never be */
	uint64_t	 backwards;
	uint64_t	 first_bad;	/* counter of the first bad record */
};

struct kill_ctl {
	/* (generation << 1) | writer alive, set by the parent */
	_Atomic uint64_t	wstate;
	_Atomic int		stop;
	struct kill_reader	r[KILL_READERS];
};

/* What a kill left in the spare copy of the orders section. */
enum kill_hit {
	HIT_IDLE,		/* between updates: an older whole record */
	HIT_MARKED,		/* painted "being written", copy not begun */
	HIT_MID_COPY,		/* killed inside memcpy: torn */
	HIT_UNPUBLISHED,	/* copy done, seq store not: whole, newer */
	HIT_N
};

/* A writer paints the spare copy, then publishes; loops until killed. */
static void __attribute__((noreturn))
kill_writer(const char *name)
{
	struct shm_state *st;
	struct shm_orders o;
	struct shm_market m;
	uint64_t c, s;

	st = shm_attach(name, 1, NULL, 0);
	if (st == NULL)
		_exit(2);
	/* continue from the last published record, as a restart would */
	if (SHM_SNAPSHOT(&st->orders, &o) != 0 || !orders_ok(&o))
		_exit(3);
	for (c = o.placed + 1;; c++) {
		orders_fill(&o, c);
		market_fill(&m, c);
		/* the paint is part of the update: order it after seq */
		atomic_thread_fence(memory_order_release);
		s = atomic_load_explicit(&st->orders.seq, memory_order_relaxed);
		memset(&st->orders.copy[(s + 1) & 1], BEING_WRITTEN, sizeof(o));
		SHM_PUBLISH(&st->orders, &o);
		atomic_thread_fence(memory_order_release);
		s = atomic_load_explicit(&st->market.seq, memory_order_relaxed);
		memset(&st->market.copy[(s + 1) & 1], BEING_WRITTEN, sizeof(m));
		SHM_PUBLISH(&st->market, &m);
	}
}

static void
kill_check(struct kill_reader *kr, int ok, uint64_t c, uint64_t *last)
{
	if (!ok) {
		if (kr->torn++ == 0)
			kr->first_bad = c;
	} else if (c < *last) {
		if (kr->backwards++ == 0)
			kr->first_bad = c;
	} else {
		*last = c;
	}
}

/* Snapshot both sections forever; judge each read. */
static void __attribute__((noreturn))
kill_reader(const char *name, struct kill_ctl *ctl, int idx)
{
	struct kill_reader *kr = &ctl->r[idx];
	struct shm_state *st;
	struct shm_orders o;
	struct shm_market m;
	uint64_t w0, w1, s0, s1, last_o = 0, last_m = 0;
	int ro, rm, dead;

	st = shm_attach(name, 0, NULL, 0);
	if (st == NULL)
		_exit(2);
	while (!atomic_load(&ctl->stop)) {
		w0 = atomic_load(&ctl->wstate);
		s0 = atomic_load(&st->orders.seq);
		ro = SHM_SNAPSHOT(&st->orders, &o);
		rm = SHM_SNAPSHOT(&st->market, &m);
		s1 = atomic_load(&st->orders.seq);
		w1 = atomic_load(&ctl->wstate);
		dead = w0 == w1 && (w0 & 1) == 0;
		kr->overlapped += s0 != s1;
		kr->corrupt += (ro == SHM_ECORRUPT) + (rm == SHM_ECORRUPT);
		if (ro == 0)
			kill_check(kr, orders_ok(&o), o.placed, &last_o);
		if (rm == 0)
			kill_check(kr, market_ok(&m), m.updates, &last_m);
		if (ro == 0 && rm == 0)
			kr->reads++;
		if (!dead) {
			kr->live_fail += (ro != 0) + (rm != 0);
			continue;
		}
		kr->dead_reads++;
		kr->dead_fail += (ro != 0) + (rm != 0);
		if (ro == 0 && rm == 0)
			atomic_store(&kr->ack, w0 >> 1);
	}
	_exit(0);
}

static pid_t
kill_spawn_reader(const char *name, struct kill_ctl *ctl, int idx)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		kill_reader(name, ctl, idx);
	}
	return pid;
}

static pid_t
kill_spawn_writer(const char *name)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		kill_writer(name);
	}
	return pid;
}

/* Wait until the new writer has published at least once. */
static void
kill_wait_progress(struct shm_state *st, uint64_t from)
{
	int64_t deadline = now_mono_ns() + WAIT_LIMIT_NS;

	while (atomic_load(&st->orders.seq) == from) {
		ck_assert_msg(now_mono_ns() < deadline, "writer made no progress");
		sleep_us(10);
	}
}

/* With no writer, every reader must complete a read (no hang, no -1). */
static void
kill_wait_dead_reads(struct kill_ctl *ctl, uint64_t gen)
{
	int64_t deadline = now_mono_ns() + WAIT_LIMIT_NS;
	int i;

	for (i = 0; i < KILL_READERS; i++)
		while (atomic_load(&ctl->r[i].ack) < gen) {
			ck_assert_msg(now_mono_ns() < deadline, "reader %d made "
			    "no read while the writer was dead", i);
			sleep_us(10);
		}
}

/* After a kill: the active copies are whole; classify the spare one. */
static enum kill_hit
kill_inspect(struct shm_state *st)
{
	const struct shm_orders *act, *spare;
	const struct shm_market *mact;
	uint64_t s;

	s = atomic_load(&st->market.seq);
	mact = &st->market.copy[s & 1];
	ck_assert_msg(market_ok(mact), "active market copy torn");
	s = atomic_load(&st->orders.seq);
	act = &st->orders.copy[s & 1];
	spare = &st->orders.copy[(s + 1) & 1];
	ck_assert_msg(orders_ok(act), "active orders copy torn");
	if (all_bytes(spare, sizeof(*spare), BEING_WRITTEN))
		return HIT_MARKED;
	if (!orders_ok(spare))
		return HIT_MID_COPY;
	if (spare->placed == act->placed + 1)
		return HIT_UNPUBLISHED;
	ck_assert_msg(spare->placed < act->placed, "spare copy ahead");
	return HIT_IDLE;
}

static void
kill_report(const struct kill_ctl *ctl, const uint64_t hits[HIT_N],
    uint64_t counter)
{
	const struct kill_reader *kr;
	int i;

	fprintf(stderr, "kill test: seed %#llx, %d kills: between updates %"
	    PRIu64 ", after paint %" PRIu64 ", mid-memcpy %" PRIu64
	    ", before publish %" PRIu64 "; final counter %" PRIu64 "\n",
	    (unsigned long long)KILL_SEED, KILL_ROUNDS, hits[HIT_IDLE],
	    hits[HIT_MARKED], hits[HIT_MID_COPY], hits[HIT_UNPUBLISHED],
	    counter);
	for (i = 0; i < KILL_READERS; i++) {
		kr = &ctl->r[i];
		fprintf(stderr, "  reader %d: %" PRIu64 " reads (%" PRIu64
		    " overlapped a publish), %" PRIu64 " bound hits live, %"
		    PRIu64 " reads with no writer (%" PRIu64 " failed), %"
		    PRIu64 " torn, %" PRIu64 " backwards\n", i, kr->reads,
		    kr->overlapped, kr->live_fail, kr->dead_reads,
		    kr->dead_fail, kr->torn, kr->backwards);
	}
}

START_TEST(test_kill_writer_mid_update)
{
	struct shm_state *st;
	struct kill_ctl *ctl;
	struct shm_orders o;
	uint64_t rnd = KILL_SEED, hits[HIT_N] = { 0 }, gen, from;
	uint64_t overlapped = 0;
	pid_t readers[KILL_READERS], w;
	int i, status;

	prctl(PR_SET_TIMERSLACK, 1UL);	/* short sleeps mean short */
	st = create_ok();
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(ctl != MAP_FAILED);
	memset(ctl, 0, sizeof(*ctl));
	for (i = 0; i < KILL_READERS; i++)
		readers[i] = kill_spawn_reader(t.name, ctl, i);

	for (gen = 1; gen <= KILL_ROUNDS; gen++) {
		/* alive before fork: no read may count as "no writer" */
		atomic_store(&ctl->wstate, gen << 1 | 1);
		from = atomic_load(&st->orders.seq);
		w = kill_spawn_writer(t.name);
		kill_wait_progress(st, from);
		sleep_us((long)(rnd_next(&rnd) % (KILL_MAX_DELAY_US + 1)));
		ck_assert_int_eq(kill(w, SIGKILL), 0);
		ck_assert_int_eq(waitpid(w, &status, 0), w);
		ck_assert_msg(WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL, "writer exited by itself "
		    "(status %#x)", status);
		hits[kill_inspect(st)]++;
		atomic_store(&ctl->wstate, gen << 1);
		kill_wait_dead_reads(ctl, gen);
	}

	atomic_store(&ctl->stop, 1);
	for (i = 0; i < KILL_READERS; i++) {
		ck_assert_int_eq(waitpid(readers[i], &status, 0), readers[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "reader %d status %#x", i, status);
	}
	ck_assert_int_eq(SHM_SNAPSHOT(&st->orders, &o), 0);
	kill_report(ctl, hits, o.placed);

	for (i = 0; i < KILL_READERS; i++) {
		ck_assert_msg(ctl->r[i].torn == 0, "reader %d: %" PRIu64
		    " torn reads (first counter %" PRIu64 ")", i,
		    ctl->r[i].torn, ctl->r[i].first_bad);
		ck_assert_msg(ctl->r[i].corrupt == 0, "reader %d: %" PRIu64
		    " checksum failures of a copy a writer published", i,
		    ctl->r[i].corrupt);
		ck_assert_msg(ctl->r[i].backwards == 0, "reader %d: counter "
		    "went backwards to %" PRIu64, i, ctl->r[i].first_bad);
		ck_assert_msg(ctl->r[i].dead_fail == 0, "reader %d: %" PRIu64
		    " reads failed with no writer alive", i,
		    ctl->r[i].dead_fail);
		ck_assert(ctl->r[i].dead_reads >= KILL_ROUNDS);
		ck_assert(ctl->r[i].reads > ctl->r[i].dead_reads);
		overlapped += ctl->r[i].overlapped;
	}
	/* reads really raced with publishes */
	ck_assert(overlapped > 0);
	/* every writer published at least once, continuing the count */
	ck_assert(orders_ok(&o) && o.placed >= KILL_ROUNDS);
	/* the test proves something only if kills landed mid-update */
	ck_assert_msg(hits[HIT_MID_COPY] > 0, "no kill landed inside memcpy");
}
END_TEST

static Suite *
shm_suite(void)
{
	Suite *s = suite_create("shm");
	TCase *tc;

	tc = tcase_create("lifecycle");
	tcase_add_unchecked_fixture(tc, names_setup, names_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_create_attach);
	tcase_add_test(tc, test_attach_missing);
	tcase_add_test(tc, test_create_replaces_stale);
	tcase_add_test(tc, test_attach_bad_magic);
	tcase_add_test(tc, test_attach_bad_version);
	tcase_add_test(tc, test_attach_bad_header_size);
	tcase_add_test(tc, test_attach_bad_object_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("latch");
	tcase_add_unchecked_fixture(tc, names_setup, names_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip_all_sections);
	tcase_add_test(tc, test_batch_invisible_until_published);
	tcase_add_test(tc, test_batch_concurrent);
	tcase_add_test(tc, test_forged_half_written);
	tcase_add_test(tc, test_retry_bound);
	tcase_add_test(tc, test_retry_then_success);
	tcase_add_test(tc, test_fresh_sections_valid);
	tcase_add_test(tc, test_corrupt_copy_detected);
	tcase_add_test(tc, test_corrupt_random_overwrite);
	tcase_add_test(tc, test_guard_counts_and_rate_limits);
	tcase_add_test(tc, test_hold_clamp);
	suite_add_tcase(s, tc);

	tc = tcase_create("kill");
	tcase_add_unchecked_fixture(tc, names_setup, names_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_kill_writer_mid_update);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	log_init("check_shm", LOG_LVL_WARN);
	return check_run(shm_suite());
}
