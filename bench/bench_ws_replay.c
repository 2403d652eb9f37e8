/*
 * bench_ws_replay.c — WebSocket delivery rate of pmm-exchange on loopback:
 * the recorded BTCUSDT file replayed as fast as the subscriber reads
 * (--speed max) to one client subscribed to bookTicker, trade and every
 * diff-depth event. Prints frames/s and MB/s; asserts nothing.
 *
 *   bench_ws_replay [file]   (default: PMM_SHARED_DATA/btcusdt_20240808.gz)
 *
 * Starts its own pmm-exchange from ../bin beside this program, paused, and
 * resumes the replay once the subscriber is connected, so the count covers
 * the whole file.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libwebsockets.h>

#include "timeutil.h"

/* every recorded event, then the bookTicker stream alone */
static const char *const passes[] = {
	"/ws/btcusdt@bookTicker/btcusdt@trade/btcusdt@depth@0ms",
	"/ws/btcusdt@bookTicker",
};

static struct {
	pid_t		 pid;
	int		 port;
	int		 connected, closed, failed;
	uint64_t	 frames, bytes;
	int64_t		 first_ns, last_ns;
} b;

static size_t
discard(char *d, size_t sz, size_t n, void *arg)
{
	(void)d;
	(void)arg;
	return sz * n;
}

static int
admin_post(const char *path)
{
	char	 url[256];
	CURL	*h = curl_easy_init();
	long	 code = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", b.port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	return code == 200 ? 0 : -1;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)wsi;
	(void)user;
	(void)in;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		b.connected = 1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		b.last_ns = now_mono_ns();
		if (b.frames == 0)
			b.first_ns = b.last_ns;
		if (lws_is_final_fragment(wsi))
			b.frames++;
		b.bytes += len;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		b.failed = 1;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		b.closed = 1;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "bench", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static int
start_exchange(const char *argv0, const char *file)
{
	char	 exe[4096], pf[64], *slash;
	FILE	*f;
	int	 i;

	snprintf(exe, sizeof(exe), "%s", argv0);
	slash = strrchr(exe, '/');
	snprintf(slash ? slash + 1 : exe, sizeof(exe) - (size_t)(slash ?
	    slash + 1 - exe : 0), "../bin/pmm-exchange");
	snprintf(pf, sizeof(pf), "/tmp/bench_ws.%d.port", (int)getpid());
	unlink(pf);
	if ((b.pid = fork()) == 0) {
		execl(exe, exe, "--replay", file, "--speed", "max", "--paused",
		    "--port", "0", "--port-file", pf, "--log-level", "warn",
		    (char *)NULL);
		perror(exe);
		_exit(127);
	}
	for (i = 0; i < 400 && b.port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &b.port) != 1)
				b.port = 0;
			fclose(f);
		}
	}
	unlink(pf);
	return b.port ? 0 : -1;
}

/* One replay of file to one subscriber of path; prints its figures. */
static void
run_pass(const char *argv0, const char *file, const char *path)
{
	struct lws_context_creation_info	 info;
	struct lws_client_connect_info		 ci;
	struct lws_context			*ctx;
	int64_t					 deadline, ns;
	int					 resumed = 0;

	memset(&b, 0, sizeof(b));
	if (start_exchange(argv0, file) == -1) {
		fprintf(stderr, "bench_ws_replay: pmm-exchange did not start\n");
		return;
	}
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	ctx = lws_create_context(&info);
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = b.port;
	ci.path = path;
	ci.host = ci.origin = "127.0.0.1";
	if (ctx == NULL || lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "bench_ws_replay: cannot connect\n");
		goto out;
	}
	deadline = now_mono_ns() + 120 * NS_PER_S;
	while (!b.failed && !b.closed && now_mono_ns() < deadline) {
		lws_service(ctx, 50);
		if (b.connected && !resumed) {
			if (admin_post("/sim/resume") == -1)
				break;
			resumed = 1;
		}
		/* the replay is over once nothing came for two seconds */
		if (b.frames > 0 && now_mono_ns() - b.last_ns > 2 * NS_PER_S)
			break;
	}
	ns = b.last_ns - b.first_ns;
	printf("%-56s %6llu frames %6.1f MB %6.3f s", path,
	    (unsigned long long)b.frames, b.bytes / 1e6, ns / 1e9);
	if (ns > 0)
		printf("  %7.0f frames/s %5.1f MB/s", b.frames * 1e9 /
		    (double)ns, b.bytes * 1e3 / (double)ns);
	printf("\n");
out:
	if (ctx != NULL)
		lws_context_destroy(ctx);
	kill(b.pid, SIGTERM);
	waitpid(b.pid, NULL, 0);
}

int
main(int argc, char **argv)
{
	const char	*file;
	char		 def[4096];
	size_t		 i;

	snprintf(def, sizeof(def), "%s/btcusdt_20240808.gz", PMM_SHARED_DATA);
	file = argc > 1 ? argv[1] : def;
	if (access(file, R_OK) != 0) {
		printf("bench_ws_replay: skipped, %s is absent\n", file);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("pmm-exchange --replay %s --speed max: WebSocket delivery to "
	    "one loopback subscriber\n", file);
	for (i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
		run_pass(argv[0], file, passes[i]);
	curl_global_cleanup();
	return 0;
}
