/*
 * bench_tree.c — figures for the supervisor tree:
 *   - time from SIGKILL of a service to its replacement reporting ready,
 *     the first time (a calm restart, no backoff), per service;
 *   - resident memory of the whole idle tree (RSS and PSS);
 *   - the memory of the Prometheus endpoint: the logger of a second tree
 *     with metrics.enabled, after 20 scrapes, beside the first tree's
 *     logger (metrics off);
 * and, in the same run, the floor it is compared with: fork + exec of a
 * trivial program until it exits (/bin/true), which is what any respawn
 * costs at least.
 *
 * It starts a real pmmd from the build tree with a temporary config and
 * runtime directory, reads the process table from the state segment, and
 * prints; it never passes or fails on a time.
 *
 *   build/bench/bench_tree [rounds]       (default 10 rounds per service)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "hist.h"
#include "shm.h"
#include "timeutil.h"

struct bench {
	char		 dir[PATH_MAX];
	char		 pmmd[PATH_MAX];
	char		 instance[32];
	pid_t		 pid;
	struct shm_state *shm;
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_tree: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		die(path);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static void
bench_setup(struct bench *b, int metrics)
{
	char path[PATH_MAX + 32], text[PATH_MAX + 512];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", b->pmmd, sizeof(b->pmmd) - 32);
	if (n <= 0)
		die("readlink");
	b->pmmd[n] = '\0';
	if ((slash = strrchr(b->pmmd, '/')) == NULL)
		die("exe path");
	strcpy(slash, "/../bin/pmmd");
	snprintf(b->dir, sizeof(b->dir), "/tmp/pmm-bench.XXXXXX");
	if (mkdtemp(b->dir) == NULL)
		die("mkdtemp");
	snprintf(b->instance, sizeof(b->instance), "bench%d", (int)getpid());
	/* a 1 s window and a wait between kills: every restart is a first one */
	snprintf(text, sizeof(text),
	    "instance_id: %s\nlogging:\n  log_directory: %s/logs\n"
	    "  log_level: warn\nsupervisor:\n  max_deaths: 1000\n"
	    "  death_window: 1\n  heartbeat_interval: 0.2\n%s",
	    b->instance, b->dir, metrics ? "metrics:\n  enabled: true\n"
	    "  port: 0\n" : "");
	snprintf(path, sizeof(path), "%s/config.yaml", b->dir);
	write_file(path, text, 0644);
	snprintf(path, sizeof(path), "%s/.env", b->dir);
	/* keys, or pmmd refuses to start (exit 78); an exchange on port 1,
	 * where nobody listens: the tree is up and idle, touching nothing */
	write_file(path, "EXCHANGE_ENV=sim\nBINANCE_API_KEY=benchkey\n"
	    "BINANCE_SECRET_KEY=benchsecret\n"
	    "BINANCE_REST_URL=http://127.0.0.1:1\n"
	    "BINANCE_WS_URL=ws://127.0.0.1:1\n", 0600);
	snprintf(path, sizeof(path), "%s/run", b->dir);
	setenv("PMM_RUNTIME_DIR", path, 1);
}

static void
bench_start(struct bench *b)
{
	char cfg[PATH_MAX + 32], env[PATH_MAX + 32], name[128], err[256];
	int64_t deadline = now_mono_ns() + 30 * NS_PER_S;
	struct shm_procs pr;

	snprintf(cfg, sizeof(cfg), "%s/config.yaml", b->dir);
	snprintf(env, sizeof(env), "%s/.env", b->dir);
	if ((b->pid = fork()) == -1)
		die("fork");
	if (b->pid == 0) {
		char log[PATH_MAX + 32];
		int fd;

		/* keep the deaths pmmd logs out of the figures */
		snprintf(log, sizeof(log), "%s/pmmd.log", b->dir);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(b->pmmd, "pmmd", "-c", cfg, "-e", env, (char *)NULL);
		_exit(127);
	}
	while (now_mono_ns() < deadline) {
		/* named after the runtime dir pmmd creates: look it up then */
		shm_name(name, sizeof(name), b->instance,
		    getenv("PMM_RUNTIME_DIR"));
		if (b->shm == NULL)
			b->shm = shm_attach(name, 0, err, sizeof(err));
		if (b->shm != NULL && SHM_SNAPSHOT(&b->shm->procs, &pr) == 0 &&
		    pr.tree_ready)
			return;
		usleep(10000);
	}
	fprintf(stderr, "bench_tree: tree not ready in 30 s\n");
	kill(b->pid, SIGTERM);
	exit(1);
}

/* SIGKILL service i; ns until its replacement said READY. */
static int64_t
bench_restart(struct bench *b, int i)
{
	struct shm_procs pr;
	int64_t t0, deadline;
	int32_t old;

	SHM_SNAPSHOT(&b->shm->procs, &pr);
	old = pr.p[i].pid;
	t0 = now_real_ns();
	kill(old, SIGKILL);
	deadline = now_mono_ns() + 30 * NS_PER_S;
	while (now_mono_ns() < deadline) {
		if (SHM_SNAPSHOT(&b->shm->procs, &pr) == 0 &&
		    pr.p[i].pid != old && pr.p[i].state == PROC_READY &&
		    pr.p[i].ready_ns > t0)
			return pr.p[i].ready_ns - t0;
		usleep(200);
	}
	return -1;
}

static long
status_kb(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	long kb = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(fp);
	return kb;
}

/* The logger's RSS and PSS, kB. */
static void
bench_logger_kb(struct bench *b, long *rss, long *pss)
{
	struct shm_procs pr;

	SHM_SNAPSHOT(&b->shm->procs, &pr);
	*rss = status_kb(pr.p[SVC_LOGGER].pid, "status", "VmRSS:");
	*pss = status_kb(pr.p[SVC_LOGGER].pid, "smaps_rollup", "Pss:");
}

static size_t
bench_sink(char *p, size_t sz, size_t n, void *arg)
{
	*(size_t *)arg += sz * n;
	(void)p;
	return sz * n;
}

/*
 * A second tree with the endpoint on (port 0: metrics.addr says where),
 * scraped 20 times, then its logger's memory beside the first's.
 */
static void
bench_endpoint(long off_rss, long off_pss)
{
	struct bench m;
	char path[PATH_MAX + 32], url[256] = "";
	int64_t deadline = now_mono_ns() + 30 * NS_PER_S;
	size_t bytes = 0;
	long rss, pss;
	FILE *fp;
	CURL *c;
	int i, st, ok = 0;

	memset(&m, 0, sizeof(m));
	bench_setup(&m, 1);
	bench_start(&m);
	snprintf(path, sizeof(path), "%s/metrics.addr",
	    getenv("PMM_RUNTIME_DIR"));
	while (url[0] == '\0' && now_mono_ns() < deadline) {
		if ((fp = fopen(path, "r")) != NULL) {
			if (fgets(url, sizeof(url), fp) == NULL)
				url[0] = '\0';
			fclose(fp);
		}
		usleep(20000);
	}
	url[strcspn(url, "\n")] = '\0';
	if ((c = curl_easy_init()) != NULL && url[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_sink);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
		for (i = 0; i < 20; i++)
			ok += curl_easy_perform(c) == CURLE_OK;
		curl_easy_cleanup(c);
	}
	bench_logger_kb(&m, &rss, &pss);
	printf("\nthe Prometheus endpoint (%s): %d/20 scrapes, %zu bytes "
	    "each\n  logger RSS %ld kB, PSS %ld kB with metrics on; %ld kB, "
	    "%ld kB off: %+ld kB RSS\n", url[0] ? url : "no metrics.addr", ok,
	    ok ? bytes / (size_t)ok : 0, rss, pss, off_rss, off_pss,
	    rss - off_rss);
	kill(m.pid, SIGTERM);
	waitpid(m.pid, &st, 0);
	printf("(its pmmd log and config: %s)\n", m.dir);
}

static void
bench_memory(struct bench *b)
{
	struct shm_procs pr;
	long rss, pss, trss = 0, tpss = 0;
	int i;

	SHM_SNAPSHOT(&b->shm->procs, &pr);
	printf("\nresident memory of the idle tree\n");
	printf("  %-8s %8s %10s %10s\n", "process", "pid", "RSS kB", "PSS kB");
	rss = status_kb(b->pid, "status", "VmRSS:");
	pss = status_kb(b->pid, "smaps_rollup", "Pss:");
	printf("  %-8s %8d %10ld %10ld\n", "pmmd", (int)b->pid, rss, pss);
	trss += rss;
	tpss += pss;
	for (i = 0; i < SVC_COUNT; i++) {
		rss = status_kb(pr.p[i].pid, "status", "VmRSS:");
		pss = status_kb(pr.p[i].pid, "smaps_rollup", "Pss:");
		printf("  %-8s %8d %10ld %10ld\n", svc_name(i),
		    (int)pr.p[i].pid, rss, pss);
		trss += rss;
		tpss += pss;
	}
	printf("  %-8s %8s %10ld %10ld   (aim: <= 30 MB in total)\n", "total",
	    "", trss, tpss);
}

/* The floor: fork + exec + exit of a trivial program. */
static void
bench_floor(int rounds)
{
	struct hist h;
	int i, st;

	hist_init(&h);
	for (i = 0; i < rounds * 4; i++) {
		int64_t t0 = now_mono_ns();
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(p, &st, 0);
		hist_record(&h, now_mono_ns() - t0);
	}
	hist_print(stdout, "floor: fork+exec+exit of /bin/true", &h);
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct hist all, one[SVC_COUNT];
	int rounds = argc > 1 ? atoi(argv[1]) : 10, r, i;
	int64_t ns;
	long lrss, lpss;

	memset(&b, 0, sizeof(b));
	if (rounds < 1)
		rounds = 1;
	bench_setup(&b, 0);
	bench_start(&b);
	bench_memory(&b);
	bench_logger_kb(&b, &lrss, &lpss);

	printf("\nSIGKILL -> replacement ready (first restart, no backoff), "
	    "%d rounds per service\n", rounds);
	hist_init(&all);
	for (i = 0; i < SVC_COUNT; i++)
		hist_init(&one[i]);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < SVC_COUNT; i++) {
			if ((ns = bench_restart(&b, i)) < 0) {
				fprintf(stderr, "bench_tree: %s never came "
				    "back\n", svc_name(i));
				kill(b.pid, SIGTERM);
				return 1;
			}
			hist_record(&one[i], ns);
			hist_record(&all, ns);
		}
		usleep(1100000);	/* let the death window go calm */
	}
	for (i = 0; i < SVC_COUNT; i++)
		hist_print(stdout, svc_name(i), &one[i]);
	hist_print(stdout, "all services (aim: <= 200 ms)", &all);
	bench_floor(rounds);

	kill(b.pid, SIGTERM);
	waitpid(b.pid, &r, 0);
	printf("(pmmd log and config: %s)\n", b.dir);
	bench_endpoint(lrss, lpss);
	return 0;
}
