/*
 * dispatch.c — pmm-exchange's request handling without the transport.
 * server.c receives a request through libwebsockets and hands it here;
 * tests and the fuzzer build the same request in-process from its parts
 * (wire_req_build) and get the same answer, byte for byte, because there
 * is only this one path from a request to its response.
 *
 * Also the list of every endpoint the sim serves, taken from the routing
 * tables themselves (rest.c, admin.c, ws.c): --list-endpoints prints it
 * and the endpoint sweep walks it, so a new route cannot be left out.
 */
#include "wire.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

/*
 * The admin API is /sim and below; one test for it everywhere, so that
 * "/simple" is a Binance path (404 {code, msg}) that is recorded and
 * delayed like any other (the fuzzer found the three checks disagreeing).
 */
int
wire_is_admin(const char *path)
{
	return strncmp(path, "/sim", 4) == 0 &&
	    (path[4] == '\0' || path[4] == '/');
}

void
wire_handle(struct wire *w, struct wire_req *req, struct wire_resp *resp)
{
	int	admin = wire_is_admin(req->path);

	if (req->body_too_big)
		resp_error(resp, 413, -1000, "Request body too large.");
	else if (rest_parse_params(req) == -1)
		resp_error(resp, 400, -1101, "Too many parameters sent "
		    "for this endpoint.");
	else if (admin)
		admin_handle(w, req, resp);
	else if (admin_fault_pre(w, req, resp) == 0 &&
	    rest_handle(w, req, resp) == -1)
		resp_error(resp, 404, -1000, "Not found.");
	admin_record(w, req, resp);
}

void
wire_resp_free(struct wire_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r);
}

void
wire_req_free(struct wire_req *req)
{
	if (req == NULL)
		return;
	wire_req_clear(req);
	free(req);
}

static int
dsp_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %-decode n bytes of s (and '+' to ' ' in arguments), as lws does. */
static char *
dsp_decode(const char *s, size_t n, int arg)
{
	char	*out, *o;
	size_t	 i;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    dsp_hex(s[i + 1]) >= 0 && dsp_hex(s[i + 2]) >= 0) {
			*o++ = (char)(dsp_hex(s[i + 1]) << 4 |
			    dsp_hex(s[i + 2]));
			i += 2;
		} else if (arg && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Split a raw query on '&' into decoded fragments, '&'-joined in query. */
static int
dsp_query(struct wire_req *req, const char *q)
{
	const char	*p, *amp;
	size_t		 n = 1, off = 0, len;
	char		*f;

	for (p = q; *p; p++)
		n += *p == '&';
	if ((req->qfrags = calloc(n, sizeof(char *))) == NULL ||
	    (req->query = malloc(strlen(q) + 1)) == NULL)
		return -1;
	req->query[0] = '\0';
	for (p = q; ; p = amp + 1) {
		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if ((f = dsp_decode(p, len, 1)) == NULL)
			return -1;
		req->qfrags[req->nqfrags++] = f;
		if (off > 0)
			req->query[off++] = '&';
		memcpy(req->query + off, f, strlen(f));
		off += strlen(f);
		req->query[off] = '\0';
		if (amp == NULL)
			break;
	}
	return 0;
}

struct wire_req *
wire_req_build(enum wire_method m, const char *target, const char *body,
    size_t body_len, const char *apikey)
{
	struct wire_req	*req;
	const char	*qm = strchr(target, '?');
	size_t		 plen = qm ? (size_t)(qm - target) : strlen(target);
	char		*path;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	req->recv_ns = now_real_ns();
	req->method = m;
	snprintf(req->ip, sizeof(req->ip), "127.0.0.1");
	if ((path = dsp_decode(target, plen, 0)) == NULL)
		goto fail;
	snprintf(req->path, sizeof(req->path), "%s", *path ? path : "/");
	free(path);
	if (qm != NULL && qm[1] != '\0' && (dsp_query(req, qm + 1) == -1 ||
	    (req->raw_query = strdup(qm + 1)) == NULL))
		goto fail;
	if (body_len > WIRE_MAX_BODY)
		req->body_too_big = 1;	/* the transport stops storing it */
	else if (body != NULL && body_len > 0) {
		if ((req->body = malloc(body_len + 1)) == NULL)
			goto fail;
		memcpy(req->body, body, body_len);
		req->body[body_len] = '\0';
		req->body_len = req->body_cap = body_len;
	}
	if (apikey != NULL && strlen(apikey) > WIRE_APIKEY_MAX)
		req->apikey_state = -1;
	else if (apikey != NULL) {
		snprintf(req->apikey, sizeof(req->apikey), "%s", apikey);
		req->apikey_state = 1;
	}
	return req;
fail:
	wire_req_free(req);
	return NULL;
}

enum wire_method
wire_method_parse(const char *s)
{
	static const enum wire_method all[] = { WM_GET, WM_POST, WM_PUT,
	    WM_DELETE };
	size_t	i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, wire_method_str(all[i])) == 0)
			return all[i];
	return WM_OTHER;
}

void
wire_endpoints(void (*fn)(void *, const struct wire_endpoint *), void *arg)
{
	rest_endpoints(fn, arg);
	admin_endpoints(fn, arg);
	ws_endpoints(fn, arg);
}

static void
dsp_print(void *arg, const struct wire_endpoint *ep)
{
	fprintf(arg, "%s\t%s\t%s\t%s\t%s\n", ep->kind, ep->method, ep->path,
	    ep->auth, ep->sample[0] != '\0' ? ep->sample : "-");
}

void
wire_endpoints_print(FILE *f)
{
	fprintf(f, "# kind\tmethod\tpath\tauth\tsample (a valid parameter "
	    "set, form encoded; signed: add timestamp and signature)\n");
	wire_endpoints(dsp_print, f);
}
