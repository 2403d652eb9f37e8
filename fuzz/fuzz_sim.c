/*
 * fuzz_sim.c — libFuzzer target for pmm-exchange's request handling: the
 * same wire_handle() the server calls for every HTTP request, and the
 * WebSocket upgrade check, on an in-process exchange (no sockets).
 *
 * Input: up to FZ_MAXREQ requests separated by a line "%%", each as the
 * lines "METHOD", "TARGET" (path?query as sent), "APIKEY" (an empty line
 * for none), then the body (the rest). Two twists get the fuzzer past the
 * authentication: an APIKEY of "!" means the account's own key, and in a
 * target "timestamp=!" becomes the time now and a trailing
 * "&signature=!" the real signature of the query before it. Any input
 * must yield JSON of Binance's shape (or the admin API's) for every
 * request, never a crash, a leak or UB.
 *
 * Each input gets a fresh exchange, so a finding replays exactly and the
 * leak checker sees every allocation of the input given back (one shared
 * exchange grew its request log and made each run a full heap scan).
 *
 * Seed corpus: PMM_FUZZ_SEEDS=<dir> writes a valid request for every
 * endpoint (from the routing tables) and a few broken ones, then exits:
 *	PMM_FUZZ_SEEDS=corpus ./fuzz_sim
 *	./fuzz_sim -max_total_time=60 corpus
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bn_sign.h"
#include "exch.h"
#include "log.h"
#include "timeutil.h"
#include "wire.h"

#define FZ_KEY		"fuzzKey0123456789"
#define FZ_SECRET	"fuzzSecret0123456789"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAXREQ	8

/* The exchange of the input being run. */
static struct {
	struct wire	 w;
	struct exch	*ex;
} fz;

static void
fz_start(void)
{
	struct exch_opts	o;
	struct wire_opts	wo;
	struct exch_cb		cb = { ws_on_market, ws_on_user, &fz.w };

	exch_opts_default(&o);
	o.market = EXCH_MKT_MANUAL;
	if (exch_opts_add_account(&o, FZ_KEY, FZ_SECRET, 10000) == -1 ||
	    (fz.ex = exch_new(&o, &cb)) == NULL)
		abort();
	memset(&wo, 0, sizeof(wo));
	wo.iface = "127.0.0.1";
	wo.step_us = 10000;
	wo.reqlog_cap = 16;	/* a fresh 100000-entry log per input: page faults */
	if (wire_init_local(&fz.w, &wo, fz.ex) == -1)
		abort();
	fz.w.rl_limits = o.rl;
}

static void
fz_stop(void)
{
	wire_free(&fz.w);
	exch_free(fz.ex);
	fz.ex = NULL;
}

/* Next line of the input, NUL-terminated in a copy; NULL at the end. */
static char *
fz_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t	*nl;
	char		*s;

	if (*p >= end)
		return NULL;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL)
		nl = end;
	if ((s = malloc((size_t)(nl - *p) + 1)) == NULL)
		abort();
	memcpy(s, *p, (size_t)(nl - *p));
	s[nl - *p] = '\0';
	*p = nl < end ? nl + 1 : end;
	return s;
}

/* "timestamp=!" becomes the time now, and "...&signature=!" the real
 * signature of what precedes it. */
static char *
fz_sign(char *target)
{
	char	*q, *out, sig[BN_SIG_HEXLEN + 1], *ts;
	size_t	 n, cut;

	if ((ts = strstr(target, "timestamp=!")) != NULL) {
		n = strlen(target) + 24;
		if ((out = malloc(n)) == NULL)
			abort();
		snprintf(out, n, "%.*stimestamp=%lld%s", (int)(ts - target),
		    target, (long long)(now_real_ns() / NS_PER_MS), ts + 11);
		free(target);
		target = out;
	}
	q = strchr(target, '?');
	n = strlen(target);

	if (q == NULL || n < 12 || strcmp(target + n - 12, "&signature=!"))
		return target;
	cut = n - 12;
	if (bn_sign_hex(FZ_SECRET, q + 1, cut - (size_t)(q + 1 - target),
	    sig) == -1)
		return target;
	if ((out = malloc(cut + 12 + BN_SIG_HEXLEN)) == NULL)
		abort();
	memcpy(out, target, cut);
	snprintf(out + cut, 12 + BN_SIG_HEXLEN, "&signature=%s", sig);
	free(target);
	return out;
}

/* What the transport would send: JSON of the right shape. */
static void
fz_check(const struct wire_req *req, const struct wire_resp *r)
{
	json_t	*j;
	int	 admin = wire_is_admin(req->path);

	if (r->body == NULL || r->status < 200 || r->status > 599)
		abort();
	j = json_loads(r->body + LWS_PRE, 0, NULL);
	if (j == NULL)
		abort();
	if (r->status >= 400 && !admin &&
	    (!json_is_integer(json_object_get(j, "code")) ||
	    !json_is_string(json_object_get(j, "msg"))))
		abort();
	if (r->status >= 400 && admin &&
	    !json_is_false(json_object_get(j, "ok")))
		abort();
	json_decref(j);
}

/* One request of the input: [p, end) holds its lines and body. */
static void
fz_request(const uint8_t *p, const uint8_t *end)
{
	char			*method, *target, *key;
	struct wire_req		*req;
	struct wire_resp	*r;

	method = fz_line(&p, end);
	target = fz_line(&p, end);
	key = fz_line(&p, end);
	if (method == NULL || target == NULL || key == NULL)
		goto out;
	target = fz_sign(target);
	req = wire_req_build(wire_method_parse(method), target,
	    (const char *)p, (size_t)(end - p), strcmp(key, "!") == 0 ?
	    FZ_KEY : *key ? key : NULL);
	if (req == NULL)
		abort();
	(void)ws_upgrade_check(&fz.w, req);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	wire_handle(&fz.w, req, r);
	fz_check(req, r);
	wire_resp_free(r);
	wire_req_free(req);
	/* the market moves between requests, as on the server */
	exch_step(fz.ex, now_real_ns());
out:
	free(method);
	free(target);
	free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size, *sep;
	int		 n;

	fz_start();
	for (n = 0; n < FZ_MAXREQ && p < end; n++) {
		sep = memmem(p, (size_t)(end - p), "\n%%\n", 4);
		fz_request(p, sep ? sep : end);
		p = sep ? sep + 4 : end;
	}
	fz_stop();
	return 0;
}

/* ---- seeds ------------------------------------------------------------ */

struct fz_seeds {
	const char	*dir;
	int		 n;
};

static void
fz_seed_write(struct fz_seeds *s, const char *method, const char *target,
    const char *key, const char *body)
{
	char	path[1024], buf[8192];
	int	fd, n;

	n = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%s", method, target, key,
	    body);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	snprintf(path, sizeof(path), "%s/seed-%03d", s->dir, s->n++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, buf, (size_t)n) != n) {
		perror(path);
		exit(1);
	}
	close(fd);
}

static void
fz_seed_ep(void *arg, const struct wire_endpoint *ep)
{
	struct fz_seeds	*s = arg;
	const char	*key = strcmp(ep->auth, "none") == 0 ? "" : "!";
	char		 t[4096];
	int		 sig = strcmp(ep->auth, "signed") == 0;

	snprintf(t, sizeof(t), "%s?%s%stimestamp=!&signature=!", ep->path,
	    ep->sample, *ep->sample ? "&" : "");
	if (!sig && *ep->sample == '\0')
		snprintf(t, sizeof(t), "%s", ep->path);
	else if (!sig)
		snprintf(t, sizeof(t), "%s?%s", ep->path, ep->sample);
	fz_seed_write(s, ep->method, t, key, "");
	/* the same parameters in a form body */
	if (strcmp(ep->method, "GET") != 0 && *ep->sample != '\0') {
		snprintf(t, sizeof(t), "%s", ep->path);
		fz_seed_write(s, ep->method, t, key, ep->sample);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = getenv("PMM_FUZZ_SEEDS");
	struct fz_seeds	 s = { dir, 0 };

	(void)argc;
	(void)argv;
	log_init("fuzz_sim", LOG_LVL_ERROR);
	if (dir == NULL || *dir == '\0')
		return 0;
	wire_endpoints(fz_seed_ep, &s);
	fz_seed_write(&s, "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=%FF",
	    "", "");
	fz_seed_write(&s, "POST", "/fapi/v1/order", "toolongkey",
	    "symbol=BTCUSDT&side=BUY&quantity=1e400");
	fz_seed_write(&s, "DELETE", "/sim/fault/burst?count=-1", "", "");
	fz_seed_write(&s, "POST", "/sim/book?symbol=BTCUSDT&bid=60000&ask=60001",
	    "", "\n%%\nPOST\n/fapi/v1/order?symbol=BTCUSDT&side=BUY&type=LIMIT&"
	    "timeInForce=GTC&quantity=0.002&price=60000&newClientOrderId=f1&"
	    "timestamp=!&signature=!\n!\n\n%%\nPOST\n/sim/trade?symbol=BTCUSDT&"
	    "price=60000&qty=1&side=SELL\n\n\n%%\nGET\n/fapi/v1/userTrades?"
	    "symbol=BTCUSDT&timestamp=!&signature=!\n!\n\n%%\nDELETE\n"
	    "/fapi/v1/allOpenOrders?symbol=BTCUSDT&timestamp=!&signature=!\n!\n");
	exit(0);
}
