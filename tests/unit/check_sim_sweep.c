/*
 * check_sim_sweep.c — every endpoint pmm-exchange serves, called
 * in-process through the same request handling the server uses
 * (wire_handle, dispatch.c): with its valid sample parameters, without
 * parameters, and with each value broken in every way a client or an
 * attacker might (empty, bad numbers, huge, negative, unknown symbol,
 * invalid UTF-8, very long, JSON garbage). The list comes from the
 * routing tables (wire_endpoints), so a new endpoint is swept without
 * touching this file. Each answer must be JSON of the right shape: a
 * Binance {code, msg} with the HTTP status Binance uses for that code, or
 * the admin API's {ok:false, error}.
 *
 * The last cases are inputs the fuzzer (fuzz/fuzz_sim.c) found.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_sign.h"
#include "exch.h"
#include "timeutil.h"
#include "wire.h"
#include "check_run.h"

#define SW_KEY		"sweepKey0123456789"
#define SW_SECRET	"sweepSecret0123456789"
#define SW_MAXEP	128

struct sw_ep {
	char	kind[8], method[8], path[128], auth[8], sample[1024];
};

struct sweep {
	struct wire	 w;
	struct exch	*ex;
	struct sw_ep	 ep[SW_MAXEP];
	int		 nep;
	int		 calls;
};

static void
sw_collect(void *arg, const struct wire_endpoint *e)
{
	struct sweep	*s = arg;
	struct sw_ep	*d;

	ck_assert_int_lt(s->nep, SW_MAXEP);
	d = &s->ep[s->nep++];
	snprintf(d->kind, sizeof(d->kind), "%s", e->kind);
	snprintf(d->method, sizeof(d->method), "%s", e->method);
	snprintf(d->path, sizeof(d->path), "%s", e->path);
	snprintf(d->auth, sizeof(d->auth), "%s", e->auth);
	snprintf(d->sample, sizeof(d->sample), "%s", e->sample);
}

static struct sweep *
sw_new(void)
{
	struct sweep		*s = calloc(1, sizeof(*s));
	struct exch_opts	 o;
	struct wire_opts	 wo;
	struct exch_cb		 cb = { ws_on_market, ws_on_user, NULL };

	ck_assert_ptr_nonnull(s);
	exch_opts_default(&o);
	o.market = EXCH_MKT_MANUAL;
	ck_assert_int_eq(exch_opts_add_account(&o, SW_KEY, SW_SECRET, 10000),
	    0);
	cb.arg = &s->w;
	ck_assert_ptr_nonnull(s->ex = exch_new(&o, &cb));
	memset(&wo, 0, sizeof(wo));
	wo.iface = "127.0.0.1";
	wo.step_us = 10000;
	ck_assert_int_eq(wire_init_local(&s->w, &wo, s->ex), 0);
	s->w.rl_limits = o.rl;
	wire_endpoints(sw_collect, s);
	return s;
}

static void
sw_free(struct sweep *s)
{
	wire_free(&s->w);
	exch_free(s->ex);
	free(s);
}

/* One request in, its response out (the caller frees it). */
static struct wire_resp *
sw_call(struct sweep *s, const char *method, const char *target,
    const char *body, const char *apikey)
{
	struct wire_req		*req;
	struct wire_resp	*r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	req = wire_req_build(wire_method_parse(method), target, body,
	    body ? strlen(body) : 0, apikey);
	ck_assert_ptr_nonnull(req);
	wire_handle(&s->w, req, r);
	wire_req_free(req);
	s->calls++;
	return r;
}

static const char *
sw_body(const struct wire_resp *r)
{
	return r->body != NULL ? r->body + LWS_PRE : "";
}

/* path?params&timestamp=..&signature=.. (params may be empty). */
static char *
sw_signed(const char *path, const char *params, const char *secret)
{
	char	 sig[BN_SIG_HEXLEN + 1], *q, *t;
	size_t	 n = strlen(path) + strlen(params) + 160;

	q = malloc(n);
	t = malloc(n);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(t);
	snprintf(q, n, "%s%stimestamp=%lld", params, *params ? "&" : "",
	    (long long)(now_real_ns() / NS_PER_MS));
	ck_assert_int_eq(bn_sign_hex(secret, q, strlen(q), sig), 0);
	snprintf(t, n, "%s?%s&signature=%s", path, q, sig);
	free(q);
	return t;
}

/*
 * The shape every answer must have. Binance errors: {code<0, msg}, 401
 * for the API-key errors, 404/405/413 with -1000 for the transport's own,
 * 429/418 for rate limits, 400 for everything else.
 */
static void
sw_assert_shape(const struct sw_ep *ep, const char *target,
    const struct wire_resp *r)
{
	json_t		*j = json_loads(sw_body(r), 0, NULL), *c, *m;
	json_int_t	 code;

	ck_assert_msg(j != NULL, "%s %s: not JSON: %s", ep->method, target,
	    sw_body(r));
	ck_assert_msg(r->status == 200 || (r->status >= 400 &&
	    r->status < 500), "%s %s: HTTP %d %s", ep->method, target,
	    r->status, sw_body(r));
	if (r->status == 200) {
		json_decref(j);
		return;
	}
	if (strcmp(ep->kind, "admin") == 0) {
		ck_assert_msg(json_is_false(json_object_get(j, "ok")) &&
		    json_is_string(json_object_get(j, "error")),
		    "%s %s: admin error shape: %s", ep->method, target,
		    sw_body(r));
		json_decref(j);
		return;
	}
	c = json_object_get(j, "code");
	m = json_object_get(j, "msg");
	ck_assert_msg(json_is_integer(c) && json_is_string(m) &&
	    json_integer_value(c) < 0 && json_object_size(j) == 2,
	    "%s %s: not {code, msg}: %s", ep->method, target, sw_body(r));
	code = json_integer_value(c);
	if (code == -2014 || code == -2015)
		ck_assert_int_eq(r->status, 401);
	else if (code == -1003)
		ck_assert(r->status == 429 || r->status == 418);
	else if (r->status == 404 || r->status == 405 || r->status == 413)
		ck_assert_int_eq(code, -1000);
	else
		ck_assert_msg(r->status == 400, "%s %s: HTTP %d for code %lld",
		    ep->method, target, r->status, (long long)code);
	json_decref(j);
}

/* Put the exchange back where every call starts from. */
static void
sw_reset(struct sweep *s)
{
	static const char *const t[] = { "/sim/fault/clear", "/sim/resume",
	    "/sim/ratelimit/reset",
	    "/sim/book?symbol=BTCUSDT&bid=60000&ask=60001&qty=1" };
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct wire_resp *r = sw_call(s, "POST", t[i], NULL, NULL);

		ck_assert_msg(r->status == 200, "%s: %s", t[i], sw_body(r));
		wire_resp_free(r);
	}
}

/* Call ep with params (signed if it needs it); check the answer. */
static int
sw_try(struct sweep *s, const struct sw_ep *ep, const char *params)
{
	struct wire_resp	*r;
	char			*target;
	size_t			 n = strlen(ep->path) + strlen(params) + 2;
	int			 status;

	if (strcmp(ep->kind, "ws") == 0) {
		struct wire_req *req;

		target = malloc(n);
		snprintf(target, n, "%s%s%s", ep->path, *params ? "?" : "",
		    params);
		req = wire_req_build(WM_GET, target, NULL, 0, NULL);
		ck_assert_ptr_nonnull(req);
		status = ws_upgrade_check(&s->w, req) == 0 ? 101 : 400;
		wire_req_free(req);
		free(target);
		return status;
	}
	if (strcmp(ep->auth, "signed") == 0)
		target = sw_signed(ep->path, params, SW_SECRET);
	else {
		target = malloc(n);
		snprintf(target, n, "%s%s%s", ep->path, *params ? "?" : "",
		    params);
	}
	r = sw_call(s, ep->method, target, NULL,
	    strcmp(ep->auth, "none") != 0 ? SW_KEY : NULL);
	sw_assert_shape(ep, target, r);
	status = r->status;
	wire_resp_free(r);
	free(target);
	sw_reset(s);
	return status;
}

/* Values that break a parameter in every way we could think of. */
static const char *const sw_bad[] = {
	"", "0", "-1", "-0", "1.", ".5", "0.0000000000000000000001",
	"1e309", "NaN", "inf", "-inf", "0x10", "99999999999999999999999999",
	"9223372036854775807", "9223372036854775808",
	"-9223372036854775809", "NOPEUSDT", "btcusdt", "%00", "%FF%FE%FD",
	"%C3%28", "%ED%A0%80", "%E2%82", "null", "true", "[", "[]", "{}",
	"[1,2", "[{}]", "[null]", "[\"x\"]", "%5B%7B%22symbol%22%3A1%7D%5D",
	"%5B1%2C2%2C3%2C4%2C5%2C6%2C7%2C8%2C9%2C10%2C11%5D", "%20",
	"a%26b%3Dc", "+", "LONG",
};

/* params with the value of its k-th pair replaced by v. */
static char *
sw_replace(const char *params, int k, const char *v)
{
	size_t	 n = strlen(params) + strlen(v) + 2;
	char	*out = malloc(n), *cp = strdup(params), *tok, *save = NULL;
	int	 i = 0;

	ck_assert_ptr_nonnull(out);
	out[0] = '\0';
	for (tok = strtok_r(cp, "&", &save); tok != NULL;
	    tok = strtok_r(NULL, "&", &save), i++) {
		char	*eq = strchr(tok, '=');
		size_t	 off = strlen(out);

		if (i != k)
			snprintf(out + off, n - off, "%s%s", off ? "&" : "",
			    tok);
		else
			snprintf(out + off, n - off, "%s%.*s=%s", off ? "&" : "",
			    eq ? (int)(eq - tok) : (int)strlen(tok), tok, v);
	}
	free(cp);
	return out;
}

static int
sw_npairs(const char *params)
{
	int	n = *params != '\0';

	for (; *params; params++)
		n += *params == '&';
	return n;
}

static char *
sw_long(size_t n)
{
	char	*s = malloc(n + 1);

	memset(s, 'A', n);
	s[n] = '\0';
	return s;
}

START_TEST(test_every_endpoint)
{
	struct sweep	*s = sw_new();
	char		*p, *lng = sw_long(20000);
	int		 i, k, b, st;

	ck_assert_int_ge(s->nep, 50);
	sw_reset(s);
	for (i = 0; i < s->nep; i++) {
		const struct sw_ep *ep = &s->ep[i];

		/* valid: a success, except where the sample order is gone */
		st = sw_try(s, ep, ep->sample);
		if (strcmp(ep->kind, "ws") == 0)
			ck_assert_msg(st == 101, "WS %s?%s refused", ep->path,
			    ep->sample);
		else if (strcmp(ep->path, "/fapi/v1/order") != 0 ||
		    strcmp(ep->method, "POST") == 0)
			ck_assert_msg(st == 200, "%s %s?%s: HTTP %d", ep->method,
			    ep->path, ep->sample, st);
		sw_try(s, ep, "");
		sw_try(s, ep, "junk");
		sw_try(s, ep, "%FF%FE=%C3%28");
		p = malloc(strlen(lng) + 8);
		sprintf(p, "symbol=%s", lng);
		sw_try(s, ep, p);
		free(p);
		for (k = 0; k < sw_npairs(ep->sample); k++) {
			for (b = 0; b < (int)(sizeof(sw_bad) /
			    sizeof(sw_bad[0])); b++) {
				p = sw_replace(ep->sample, k, sw_bad[b]);
				sw_try(s, ep, p);
				free(p);
			}
			p = sw_replace(ep->sample, k, lng);
			sw_try(s, ep, p);
			free(p);
		}
	}
	free(lng);
	sw_free(s);
}
END_TEST

/* Auth failures have Binance's shape and status on every keyed route. */
START_TEST(test_auth_errors)
{
	struct sweep		*s = sw_new();
	struct wire_resp	*r;
	char			*t;
	int			 i;

	for (i = 0; i < s->nep; i++) {
		const struct sw_ep *ep = &s->ep[i];

		if (strcmp(ep->auth, "none") == 0)
			continue;
		r = sw_call(s, ep->method, ep->path, NULL, NULL);
		sw_assert_shape(ep, ep->path, r);
		ck_assert_int_eq(r->status, 401);
		wire_resp_free(r);
		r = sw_call(s, ep->method, ep->path, NULL, "nobody");
		ck_assert_int_eq(r->status, 401);
		ck_assert_ptr_nonnull(strstr(sw_body(r), "-2015"));
		wire_resp_free(r);
		if (strcmp(ep->auth, "signed") != 0)
			continue;
		t = sw_signed(ep->path, ep->sample, "wrong-secret");
		r = sw_call(s, ep->method, t, NULL, SW_KEY);
		sw_assert_shape(ep, t, r);
		ck_assert_ptr_nonnull(strstr(sw_body(r), "-1022"));
		wire_resp_free(r);
		free(t);
		sw_reset(s);
	}
	sw_free(s);
}
END_TEST

/* The crash: GET premiumIndex with a symbol. */
START_TEST(test_premium_index)
{
	struct sweep		*s = sw_new();
	struct wire_resp	*r;
	json_t			*j;

	r = sw_call(s, "GET", "/fapi/v1/premiumIndex?symbol=BTCUSDT", NULL,
	    NULL);
	ck_assert_int_eq(r->status, 200);
	j = json_loads(sw_body(r), 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "symbol")),
	    "BTCUSDT");
	ck_assert(json_is_string(json_object_get(j, "markPrice")));
	ck_assert(json_is_string(json_object_get(j, "interestRate")));
	ck_assert(json_is_integer(json_object_get(j, "time")));
	ck_assert_int_eq(json_object_size(j), 8);
	json_decref(j);
	wire_resp_free(r);
	sw_free(s);
}
END_TEST

/* Bodies: form parameters, oversized, and too many parameters. */
START_TEST(test_bodies)
{
	struct sweep		*s = sw_new();
	struct wire_resp	*r;
	char			*big = sw_long(WIRE_MAX_BODY + 1), q[2048];
	int			 i, off;

	r = sw_call(s, "POST", "/fapi/v1/order", big, SW_KEY);
	ck_assert_int_eq(r->status, 413);
	wire_resp_free(r);
	off = snprintf(q, sizeof(q), "/fapi/v1/ping?");
	for (i = 0; i < WIRE_MAX_PARAMS + 1; i++)
		off += snprintf(q + off, sizeof(q) - (size_t)off, "%sp%d=1",
		    i ? "&" : "", i);
	r = sw_call(s, "GET", q, NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	ck_assert_ptr_nonnull(strstr(sw_body(r), "-1101"));
	wire_resp_free(r);
	r = sw_call(s, "PUT", "/fapi/v1/ping", NULL, NULL);
	ck_assert_int_eq(r->status, 405);
	wire_resp_free(r);
	r = sw_call(s, "GET", "/fapi/v9/nothing", NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	wire_resp_free(r);
	r = sw_call(s, "GET", "/sim/nothing", NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	wire_resp_free(r);
	free(big);
	sw_free(s);
}
END_TEST

/* Admin values out of range are refused, not wrapped or overflowed. */
START_TEST(test_admin_bounds)
{
	static const char *const t[] = {
		"/sim/fault/skew?ms=9223372036854775807",
		"/sim/fault/skew?ms=-9223372036854775807",
		"/sim/fault/burst?count=99999999999",
		"/sim/fault/unknown?count=4294967296",
	};
	struct sweep		*s = sw_new();
	struct wire_resp	*r;
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = sw_call(s, "POST", t[i], NULL, NULL);
		ck_assert_msg(r->status == 400, "%s: %d", t[i], r->status);
		wire_resp_free(r);
	}
	/* the sweep's UBSan findings: llround of a price past int64 ticks */
	r = sw_call(s, "POST", "/sim/book?symbol=BTCUSDT&bid=60000&ask=60001",
	    NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	wire_resp_free(r);
	r = sw_call(s, "POST", "/sim/mid?price=99999999999999999999999999",
	    NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	wire_resp_free(r);
	r = sw_call(s, "POST", "/sim/book?bid=1&ask=99999999999999999999999999",
	    NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	wire_resp_free(r);
	r = sw_call(s, "POST", "/sim/trade?price=99999999999999999999999999&"
	    "qty=1&side=SELL", NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	wire_resp_free(r);
	/* ... and a countdown past the end of int64 nanoseconds: accepted,
	 * never fires (UBSan caught the deadline's overflow) */
	{
		char *t = sw_signed("/fapi/v1/countdownCancelAll",
		    "symbol=BTCUSDT&countdownTime=9223372036854775807", SW_SECRET);

		r = sw_call(s, "POST", t, NULL, SW_KEY);
		ck_assert_int_eq(r->status, 200);
		wire_resp_free(r);
		free(t);
	}
	ck_assert_int_ge(exch_step(s->ex, now_real_ns()), 0);
	r = sw_call(s, "GET", "/fapi/v1/time", NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	wire_resp_free(r);
	sw_free(s);
}
END_TEST

/*
 * Fuzzer findings (fuzz/fuzz_sim.c), kept as cases.
 * 1. "/sim" followed by other bytes was a Binance path to the router (404
 *    {code, msg}) but an admin path to the request log and the latency
 *    fault: not recorded, never delayed, and the shapes disagreed.
 */
START_TEST(test_fuzz_findings)
{
	struct sweep		*s = sw_new();
	struct wire_resp	*r;
	json_t			*j;

	r = sw_call(s, "POST", "/sim\xff\xff\xff/fault/latency?ms=0", NULL,
	    NULL);
	ck_assert_int_eq(r->status, 404);
	ck_assert_ptr_nonnull(strstr(sw_body(r), "\"code\":-1000"));
	wire_resp_free(r);
	r = sw_call(s, "GET", "/simple", NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	wire_resp_free(r);
	r = sw_call(s, "GET", "/sim/requests?since=0", NULL, NULL);
	j = json_loads(sw_body(r), 0, NULL);
	ck_assert_ptr_nonnull(j);
	/* both Binance-path requests are in the log, the admin ones not */
	ck_assert_int_eq(json_array_size(json_object_get(j, "requests")), 2);
	json_decref(j);
	wire_resp_free(r);
	ck_assert(wire_is_admin("/sim"));
	ck_assert(wire_is_admin("/sim/state"));
	ck_assert(!wire_is_admin("/simple"));
	ck_assert(!wire_is_admin("/si"));
	sw_free(s);
}
END_TEST

static Suite *
sim_sweep_suite(void)
{
	Suite	*s = suite_create("sim_sweep");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_premium_index);
	tcase_add_test(tc, test_every_endpoint);
	tcase_add_test(tc, test_auth_errors);
	tcase_add_test(tc, test_bodies);
	tcase_add_test(tc, test_admin_bounds);
	tcase_add_test(tc, test_fuzz_findings);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(sim_sweep_suite());
}
