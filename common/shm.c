/*
 * shm.c — the state segment: create/attach the POSIX shared-memory object,
 * the two-copy latch that lets one writer publish a section while any number
 * of readers in other processes take consistent snapshots, and the names of
 * services and process states shown by pmmctl.
 *
 * Why the latch is correct
 * ------------------------
 * A section holds seq and copy[2]. Readers use copy[seq & 1]; the single
 * writer only ever writes copy[(seq + 1) & 1], the one readers are not
 * using, and then publishes it with a release store of seq + 1.
 *
 *   writer(s = seq):  fence(release); memcpy(copy[(s+1)&1]); seq = s+1 (release)
 *   reader:           s = seq (acquire); memcpy(copy[s&1]);
 *                     fence(acquire); accept iff seq (relaxed) == s
 *
 * - Ordinary read. The acquire load of seq == s synchronises with the
 *   release store that published s, so every byte of copy[s&1] written
 *   before that store is visible to the reader's memcpy.
 *
 * - Writer killed mid-memcpy. It dies before its seq store, so seq still
 *   names the intact copy; only the unused copy is torn and no reader is
 *   directed to it. There is no lock to leak, no "write in progress" odd
 *   state to get stuck in: a dead writer leaves a valid segment.
 *
 * - A new writer after a dead one. The supervisor reaps the old process
 *   before it starts the new one (one writer per section at any moment),
 *   and the kernel's exit/wait/fork path orders the old writer's stores
 *   before the new writer's loads. The new writer reads seq = s, overwrites
 *   the torn copy[(s+1)&1] completely and publishes s+1. A restarted writer
 *   that wants to continue its counters takes a SHM_SNAPSHOT of its own
 *   section first; that sees the last published record, never the torn one.
 *
 * - A reader racing two consecutive writes. The publish of s+1 writes the
 *   other copy and cannot hurt a reader of copy[s&1]. The publish of s+2
 *   does write copy[s&1], but only after s+1 was stored: the release fence
 *   at the start of the writer orders the earlier seq store before its data
 *   stores. If the reader's memcpy saw any of those data stores, the
 *   writer's release fence synchronises with the reader's acquire fence and
 *   the reader's re-load of seq returns at least s+1: the copy is rejected.
 *   That is also why a reader accepts seq == s only: seq == s+1 at the
 *   re-check does not prove that the s+2 update had not begun.
 *
 * - Never hangs. A reader makes at most SHM_READ_RETRIES attempts and then
 *   returns -1. With no live writer seq cannot move, so the first attempt
 *   succeeds; the bound only matters against a writer that republishes
 *   faster than one copy takes to read.
 *
 * - Integrity. The writer also stores, before its seq store, sum[(s+1)&1]
 *   = shm_copy_sum(s + 1, copy). A reader that saw seq stable at s checks
 *   sum[s&1] against its copy: equal unless something other than the
 *   writer changed the copy, its sum or seq (seq is part of the sum, so a
 *   stray write that flips seq to the other, older copy fails too). The
 *   copy is taken into a private buffer first and reaches the caller only
 *   if it passes, so a caller's last good copy survives a bad read.
 *
 * Caveat: like every seqlock, the reader's memcpy may read bytes that the
 * writer is storing at the same moment. In the C11 model that is a data race
 * on non-atomic memory; in practice memcpy is an opaque call between an
 * acquire load and an acquire fence, so the compiler can neither cache nor
 * move those reads, and the hardware at worst returns a mix of old and new
 * bytes — exactly what the seq re-check rejects. Torn bytes are only ever
 * copied, never interpreted (no pointers, no lengths from a rejected copy).
 * Thread sanitizers report the race; it is the one intended race here.
 * The same argument is Boehm's "Can seqlocks get along with programming
 * language memory models?" (MSPC 2012), minus the odd "busy" state that a
 * one-copy seqlock needs and that a killed writer would leave behind.
 */
#include "shm.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

/* A lock-based "atomic" would use a lock table private to each process. */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
    "shm latch needs lock-free 64-bit atomics to work across processes");
_Static_assert(sizeof(struct shm_state) <= UINT32_MAX,
    "shm_header.size must hold the segment size");

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const svc_names[SVC_COUNT] = {
	[SVC_MARKET] = "market",
	[SVC_ORDER] = "order",
	[SVC_RISK] = "risk",
	[SVC_LOGGER] = "logger",
};

static const char *const proc_state_names[] = {
	[PROC_DOWN] = "down",
	[PROC_STARTING] = "starting",
	[PROC_READY] = "ready",
	[PROC_BACKOFF] = "backoff",
	[PROC_STOPPING] = "stopping",
	[PROC_STOPPED] = "stopped",
	[PROC_FAILED] = "failed",
};

_Static_assert(sizeof(struct shm_procs) <= SHM_COPY_MAX &&
    sizeof(struct shm_market) <= SHM_COPY_MAX &&
    sizeof(struct shm_orders) <= SHM_COPY_MAX &&
    sizeof(struct shm_risk) <= SHM_COPY_MAX &&
    sizeof(struct shm_hb) <= SHM_COPY_MAX, "raise SHM_COPY_MAX");

/* FNV-1a, 32 bits: enough to tell runtime directories apart in a name. */
static uint32_t
shm_fnv32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/*
 * Object names are "/name" with no further slash; an instance name from the
 * config is mapped rather than refused so a typo cannot make pmmd and its
 * children disagree on the name. The runtime directory is resolved first
 * (a symlink or "a/../b" names the same directory, and the same lock).
 */
void
shm_name(char *buf, size_t len, const char *instance, const char *rundir)
{
	char real[PATH_MAX];
	size_t i;

	if (len == 0)
		return;
	if (realpath(rundir, real) == NULL)
		snprintf(real, sizeof(real), "%s", rundir);
	snprintf(buf, len, "/pmm-%s-%u-%08x", instance, (unsigned)getuid(),
	    (unsigned)shm_fnv32(real));
	for (i = 1; i < len && buf[i] != '\0'; i++)
		if (buf[i] == '/')
			buf[i] = '_';
}

static void
shm_header_fill(struct shm_state *st, const char *instance)
{
	struct shm_header *h = &st->hdr;

	h->version = SHM_LAYOUT_VERSION;
	h->size = (uint32_t)sizeof(*st);
	h->created_ns = now_real_ns();
	h->owner_pid = (int32_t)getpid();
	snprintf(h->instance, sizeof(h->instance), "%s", instance);
	/* Magic last: a header with the magic in place is complete. */
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
}

/* The zeroed copy 0 of every section is a valid record at seq 0. */
static void
shm_sums_init(struct shm_state *st)
{
	int i;

#define SHM_SUM0(sect)							\
	atomic_store_explicit(&(sect)->sum[0], shm_copy_sum(0,		\
	    &(sect)->copy[0], sizeof((sect)->copy[0])), memory_order_relaxed)
	SHM_SUM0(&st->procs);
	SHM_SUM0(&st->market);
	SHM_SUM0(&st->orders);
	SHM_SUM0(&st->risk);
	for (i = 0; i < SVC_COUNT; i++)
		SHM_SUM0(&st->hb[i]);
#undef SHM_SUM0
}

struct shm_state *
shm_create(const char *name, const char *instance, char *err, size_t errlen)
{
	struct shm_state *st;
	int fd;

	/* A stale object from a crashed pmmd may have another layout. */
	if (shm_unlink(name) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "shm_unlink %s: %s", name,
		    strerror(errno));
		return NULL;
	}
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "shm_open %s: %s", name, strerror(errno));
		return NULL;
	}
	/* The umask may only remove bits; insist on exactly 0600. */
	if (fchmod(fd, 0600) == -1 ||
	    ftruncate(fd, (off_t)sizeof(*st)) == -1) {
		snprintf(err, errlen, "shm setup %s: %s", name,
		    strerror(errno));
		goto fail;
	}
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (st == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s: %s", name, strerror(errno));
		goto fail;
	}
	close(fd);
	memset(st, 0, sizeof(*st));
	shm_sums_init(st);
	shm_header_fill(st, instance);
	return st;
fail:
	close(fd);
	shm_unlink(name);
	return NULL;
}

/* Refuse a segment made by another build: the layout would not match. */
static int
shm_header_check(const struct shm_state *st, char *err, size_t errlen)
{
	const struct shm_header *h = &st->hdr;
	uint64_t magic;

	magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic != SHM_MAGIC) {
		snprintf(err, errlen, "bad magic %#llx (expected %#llx): "
		    "not a pmm state segment", (unsigned long long)magic,
		    (unsigned long long)SHM_MAGIC);
		return -1;
	}
	if (h->version != SHM_LAYOUT_VERSION) {
		snprintf(err, errlen, "layout version %u, this build "
		    "understands %u", h->version, SHM_LAYOUT_VERSION);
		return -1;
	}
	if (h->size != sizeof(*st)) {
		snprintf(err, errlen, "header size %u, this build expects %zu",
		    h->size, sizeof(*st));
		return -1;
	}
	return 0;
}

struct shm_state *
shm_attach(const char *name, int writable, char *err, size_t errlen)
{
	struct shm_state *st;
	struct stat sb;
	int fd, prot;

	fd = shm_open(name, writable ? O_RDWR : O_RDONLY, 0);
	if (fd == -1) {
		snprintf(err, errlen, "shm_open %s: %s", name, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "fstat %s: %s", name, strerror(errno));
		close(fd);
		return NULL;
	}
	/* Check before mmap: reading a header past the end would SIGBUS. */
	if ((size_t)sb.st_size != sizeof(*st)) {
		snprintf(err, errlen, "%s has size %lld, this build expects %zu",
		    name, (long long)sb.st_size, sizeof(*st));
		close(fd);
		return NULL;
	}
	prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
	st = mmap(NULL, sizeof(*st), prot, MAP_SHARED, fd, 0);
	close(fd);
	if (st == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s: %s", name, strerror(errno));
		return NULL;
	}
	if (shm_header_check(st, err, errlen) == -1) {
		munmap(st, sizeof(*st));
		return NULL;
	}
	return st;
}

void
shm_detach(struct shm_state *st)
{
	if (st != NULL)
		munmap(st, sizeof(*st));
}

/* ENOENT is returned quietly: a segment already gone is no news. */
int
shm_destroy(const char *name)
{
	if (shm_unlink(name) == 0)
		return 0;
	if (errno != ENOENT)
		log_warn("%s: shm_unlink %s", __func__, name);
	return -1;
}

/*
 * The checksum: four independent multiply-xorshift lanes over 8-byte words
 * (so the multiplies overlap), seeded with seq and the size, folded at the
 * end. Not cryptographic -- it guards against stray writes, not an
 * attacker who can write the segment (and could then write a good sum).
 * ~1 ns per 8 bytes; the market record costs a few ns.
 */
#define SUM_K0	0x9e3779b97f4a7c15ULL
#define SUM_K1	0xc2b2ae3d27d4eb4fULL
#define SUM_K2	0x165667b19e3779f9ULL
#define SUM_K3	0xd6e8feb86659fd93ULL

static inline uint64_t
sum_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * SUM_K0;
	return h ^ (h >> 29);
}

uint64_t
shm_copy_sum(uint64_t seq, const void *copy, size_t size)
{
	const unsigned char *b = copy;
	uint64_t h0 = SUM_K1 ^ seq, h1 = SUM_K2 ^ size, h2 = SUM_K3, h3 = ~seq;
	uint64_t w[4];
	size_t i = 0;

	for (; i + 32 <= size; i += 32) {
		memcpy(w, b + i, 32);
		h0 = sum_mix(h0, w[0]);
		h1 = sum_mix(h1, w[1]);
		h2 = sum_mix(h2, w[2]);
		h3 = sum_mix(h3, w[3]);
	}
	for (; i + 8 <= size; i += 8) {
		memcpy(w, b + i, 8);
		h0 = sum_mix(h0, w[0]);
	}
	if (i < size) {
		w[0] = 0;
		memcpy(w, b + i, size - i);
		h1 = sum_mix(h1, w[0]);
	}
	h0 = sum_mix(h0, h1);
	h2 = sum_mix(h2, h3);
	return sum_mix(h0, h2);
}

void
shm_latch_write(_Atomic uint64_t *seq, _Atomic uint64_t *sums, void *copies,
    size_t size, const void *src)
{
	uint64_t s;

	/* Only this process stores seq, so a relaxed load sees its own. */
	s = atomic_load_explicit(seq, memory_order_relaxed);
	/* Keep the previous publish ahead of these data stores (see top). */
	atomic_thread_fence(memory_order_release);
	memcpy((char *)copies + ((s + 1) & 1) * size, src, size);
	atomic_store_explicit(&sums[(s + 1) & 1], shm_copy_sum(s + 1, src,
	    size), memory_order_relaxed);
	atomic_store_explicit(seq, s + 1, memory_order_release);
}

static inline void
shm_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

int
shm_latch_read(const _Atomic uint64_t *seq, const _Atomic uint64_t *sums,
    const void *copies, size_t size, void *dst)
{
	_Alignas(64) unsigned char tmp[SHM_COPY_MAX];
	uint64_t s, sum;
	int i;

	if (size > sizeof(tmp))
		return SHM_ECORRUPT;	/* no section is that big */
	for (i = 0; i < SHM_READ_RETRIES; i++) {
		s = atomic_load_explicit(seq, memory_order_acquire);
		memcpy(tmp, (const char *)copies + (s & 1) * size, size);
		sum = atomic_load_explicit(&sums[s & 1], memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(seq, memory_order_relaxed) != s) {
			shm_cpu_relax();
			continue;
		}
		/* seq held: the copy and sum are what was there, whole */
		if (shm_copy_sum(s, tmp, size) != sum)
			return SHM_ECORRUPT;
		memcpy(dst, tmp, size);
		return SHM_OK;
	}
	return SHM_EBUSY;
}

int
shm_section_index(const struct shm_state *st, const _Atomic uint64_t *seq)
{
	int i;

	if (seq == &st->procs.seq)
		return 0;
	if (seq == &st->market.seq)
		return 1;
	if (seq == &st->orders.seq)
		return 2;
	if (seq == &st->risk.seq)
		return 3;
	for (i = 0; i < SVC_COUNT; i++)
		if (seq == &st->hb[i].seq)
			return 4 + i;
	return -1;
}

const char *
shm_section_name(const struct shm_state *st, const _Atomic uint64_t *seq)
{
	static const char *const names[SHM_NSECT] = {
		"procs", "market", "orders", "risk",
		"hb[market]", "hb[order]", "hb[risk]", "hb[logger]",
	};
	int k = shm_section_index(st, seq);

	return k < 0 ? "?" : names[k];
}

int
shm_read_guarded(struct shm_guard *g, const struct shm_state *st,
    const _Atomic uint64_t *seq, const _Atomic uint64_t *sums,
    const void *copies, size_t size, void *dst)
{
	int64_t now;
	int rc, k;

	rc = shm_latch_read(seq, sums, copies, size, dst);
	if (rc != SHM_ECORRUPT)
		return rc;
	g->corrupt++;
	if ((k = shm_section_index(st, seq)) < 0)
		return rc;
	g->unlogged[k]++;
	now = now_mono_ns();
	if (now >= g->next_log_ns[k]) {
		log_warnx("state segment: %s section holds a copy no writer "
		    "wrote (checksum mismatch at seq %llu), not used "
		    "(%llu such reads since the last report)",
		    shm_section_name(st, seq),
		    (unsigned long long)atomic_load_explicit(seq,
		    memory_order_relaxed), (unsigned long long)g->unlogged[k]);
		g->unlogged[k] = 0;
		g->next_log_ns[k] = now + SHM_GUARD_LOG_NS;
	}
	return rc;
}

int64_t
shm_hold_clamp(int64_t until_ms, int64_t now_ms)
{
	if (until_ms <= 0)
		return 0;
	if (now_ms > 0 && until_ms - now_ms > SHM_HOLD_MAX_MS)
		return now_ms + SHM_HOLD_MAX_MS;
	return until_ms;
}

const char *
svc_name(enum svc_id id)
{
	if ((unsigned)id >= SVC_COUNT)
		return "?";
	return svc_names[id];
}

int
svc_from_name(const char *name)
{
	int i;

	for (i = 0; i < SVC_COUNT; i++)
		if (strcmp(svc_names[i], name) == 0)
			return i;
	return -1;
}

const char *
proc_state_name(enum proc_state s)
{
	if ((unsigned)s >= NITEMS(proc_state_names))
		return "?";
	return proc_state_names[s];
}

static const double shm_lat_bounds[SHM_LAT_BUCKETS] = SHM_LAT_BOUNDS;

void
shm_lat_record(struct shm_lat *h, double s)
{
	int	i;

	if (!(s > 0))		/* negative, or NaN: a clock step */
		s = 0;
	for (i = 0; i < SHM_LAT_BUCKETS && s > shm_lat_bounds[i]; i++)
		;
	h->n[i]++;
	h->count++;
	h->sum_s += s;
}

double
shm_lat_bound(int i)
{
	return i >= 0 && i < SHM_LAT_BUCKETS ? shm_lat_bounds[i] : INFINITY;
}
