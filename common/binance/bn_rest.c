/*
 * bn_rest.c — the Binance REST client: libcurl multi driven by the
 * caller's loop through socket/timer callbacks, request signing, response
 * classification (ok / rejected / not sent / unknown), the clock offset,
 * and the rate-limit governor fed by the X-MBX-* headers.
 */
#include "bn_rest.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "bn_sign.h"
#include "log.h"
#include "secmem.h"
#include "timeutil.h"

#define WIN_1M		60000
#define WIN_10S		10000
#define BN_BODY_MAX	(32 * 1024 * 1024)	/* exchangeInfo is ~2 MB */
#define BN_URL_MAX	(BN_PARAMS_MAX + 512)
#define SYNC_POLL_MS	100

enum req_kind { REQ_USER = 0, REQ_TIME };

struct bn_req {
	struct bn_req	*next;
	struct bn_rest	*r;
	CURL		*easy;
	uint64_t	 id;
	enum bn_method	 method;
	enum req_kind	 kind;
	char		 path[128];
	int		 weight, orders;
	bn_rest_cb	 cb;
	void		*arg;
	char		*body;
	size_t		 len, cap;
	int		 overflow;
	struct bn_rl_hdr hdr;
	int64_t		 t0_mono, t0_real_ms;
	char		 errbuf[CURL_ERROR_SIZE];
	char		 url[BN_URL_MAX];
};

struct bn_fdent {
	int		fd;
	uint32_t	ev;
};

/* The API key and secret, in a page of their own (secmem.h). */
struct bn_rest_keys {
	char	key[128];
	char	secret[128];
	char	hdr[192];	/* "X-MBX-APIKEY: ..." as it is built */
};

struct bn_rest {
	CURLM			*multi;
	struct bn_rest_hooks	 hooks;
	char			 base[256];
	struct bn_rest_keys	*k;	/* excluded from core dumps */
	int			 recv_window_ms;
	long			 timeout_ms, connect_timeout_ms;
	struct curl_slist	*hdr_key, *hdr_anon;

	struct bn_fdent		 fds[BN_REST_MAXFD];
	int			 nfds;
	int64_t			 deadline_ns;	/* curl's timer, mono; -1 */
	int			 pending_drain;

	struct bn_req		*reqs;		/* in flight */
	int			 inflight;
	uint64_t		 next_id;

	int64_t			 offset_ms;
	int			 synced, resyncing;
	struct bn_gov		 gov;
	struct bn_rest_share	 share;		/* holds of other processes */
	bn_rest_auth_cb		 auth_cb;	/* a key or secret refused */
	void			*auth_arg;
};

/* ---- governor --------------------------------------------------------- */

/* Our governor's wait, or a hold another process reported, if longer. */
static int64_t
rest_wait_ms(const struct bn_rest *r, int weight, int orders, int pct)
{
	int64_t now = bn_rest_now_ms(r), mono = now_mono_ns() / NS_PER_MS;
	int64_t wait, b = 0, ban = 0;

	wait = bn_gov_wait_ms(&r->gov, now, mono, weight, orders, pct);
	if (r->share.get != NULL) {
		r->share.get(r->share.arg, &b, &ban);
		if (ban > mono && ban - mono > wait)
			wait = ban - mono;
		if (b > mono && b - mono > wait)
			wait = b - mono;
	}
	return wait;
}

int
bn_gov_class_pct(enum bn_class c)
{
	return c == BN_CLASS_QUOTE ? BN_GOV_QUOTE_PCT : BN_GOV_PROTECT_PCT;
}

static int64_t
win_of(int64_t now, int64_t len)
{
	return now - ((now % len) + len) % len;
}

void
bn_gov_init(struct bn_gov *g)
{
	memset(g, 0, sizeof(*g));
	g->lim_weight_1m = 2400;
	g->lim_orders_10s = 300;
	g->lim_orders_1m = 1200;
	g->w1m_win = g->o10s_win = g->o1m_win = -1;
}

void
bn_gov_set_limits(struct bn_gov *g, int weight_1m, int orders_10s,
    int orders_1m)
{
	if (weight_1m > 0)
		g->lim_weight_1m = weight_1m;
	if (orders_10s > 0)
		g->lim_orders_10s = orders_10s;
	if (orders_1m > 0)
		g->lim_orders_1m = orders_1m;
}

void
bn_gov_on_send(struct bn_gov *g, int weight, int orders)
{
	g->inflight_w += weight > 0 ? weight : 0;
	g->inflight_o += orders > 0 ? orders : 0;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

void
bn_gov_on_done(struct bn_gov *g, int64_t now_ms, int64_t mono_ms, int weight,
    int orders, long status, const struct bn_rl_hdr *h, int code,
    const char *msg)
{
	int64_t until;

	g->inflight_w -= weight > 0 ? weight : 0;
	g->inflight_o -= orders > 0 ? orders : 0;
	if (g->inflight_w < 0)
		g->inflight_w = 0;
	if (g->inflight_o < 0)
		g->inflight_o = 0;
	if (h != NULL && h->used_weight_1m >= 0) {
		g->w1m = h->used_weight_1m;
		g->w1m_win = win_of(now_ms, WIN_1M);
	}
	if (h != NULL && h->order_count_10s >= 0) {
		g->o10s = h->order_count_10s;
		g->o10s_win = win_of(now_ms, WIN_10S);
	}
	if (h != NULL && h->order_count_1m >= 0) {
		g->o1m = h->order_count_1m;
		g->o1m_win = win_of(now_ms, WIN_1M);
	}
	if (status == 429) {
		g->n429++;
		if (h != NULL && h->retry_after_s > 0)
			until = now_ms + (h->retry_after_s > BN_RETRY_AFTER_MAX_MS
			    / 1000 ? BN_RETRY_AFTER_MAX_MS :
			    (int64_t)h->retry_after_s * 1000);
		else if ((code == -1015 || orders > 0) &&
		    (msg == NULL || strstr(msg, "MINUTE") == NULL))
			until = win_of(now_ms, WIN_10S) + WIN_10S;
		else
			until = win_of(now_ms, WIN_1M) + WIN_1M;
		/* measured on the server's clock, held on the monotonic */
		g->backoff_until = max64(g->backoff_until,
		    mono_ms + (until - now_ms));
	} else if (status == 418) {
		g->n418++;
		until = bn_parse_ban_until(msg);
		if (until <= now_ms)
			until = h != NULL && h->retry_after_s > 0 ?
			    now_ms + (h->retry_after_s > BN_BAN_MAX_MS / 1000 ?
			    BN_BAN_MAX_MS : (int64_t)h->retry_after_s * 1000) :
			    now_ms + BN_BAN_DEFAULT_MS;
		/* a garbled or hostile "banned until" must not stop us for
		 * years: no longer than Binance's longest ban */
		if (until - now_ms > BN_BAN_MAX_MS)
			until = now_ms + BN_BAN_MAX_MS;
		g->ban_until = max64(g->ban_until, mono_ms + (until - now_ms));
	}
}

/* ms to the end of the window if used + n would pass pct of lim, else 0. */
static int64_t
win_wait(int used, int64_t win, int inflight, int n, int lim, int pct,
    int64_t now, int64_t len)
{
	int64_t cur = win_of(now, len);

	if (n <= 0 || lim <= 0)
		return 0;
	if (win != cur)
		used = 0;		/* counted in a window that is over */
	if ((int64_t)(used + inflight + n) * 100 <= (int64_t)lim * pct)
		return 0;
	return max64(1, cur + len - now);
}

int64_t
bn_gov_wait_ms(const struct bn_gov *g, int64_t now_ms, int64_t mono_ms,
    int weight, int orders, int pct)
{
	int64_t w = 0;

	if (mono_ms < g->ban_until)
		return g->ban_until - mono_ms;
	if (mono_ms < g->backoff_until)
		return g->backoff_until - mono_ms;
	w = max64(w, win_wait(g->w1m, g->w1m_win, g->inflight_w, weight,
	    g->lim_weight_1m, pct, now_ms, WIN_1M));
	w = max64(w, win_wait(g->o10s, g->o10s_win, g->inflight_o, orders,
	    g->lim_orders_10s, pct, now_ms, WIN_10S));
	w = max64(w, win_wait(g->o1m, g->o1m_win, g->inflight_o, orders,
	    g->lim_orders_1m, pct, now_ms, WIN_1M));
	return w;
}

/* ---- parameters and signing ------------------------------------------- */

void
bn_params_init(struct bn_params *p)
{
	p->s[0] = '\0';
	p->len = 0;
	p->overflow = 0;
}

static int
params_put(struct bn_params *p, const char *s, size_t n)
{
	if (p->overflow || p->len + n >= sizeof(p->s)) {
		p->overflow = 1;
		return -1;
	}
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
	return 0;
}

int
bn_params_add(struct bn_params *p, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)val;
	char e[3];

	if ((p->len > 0 && params_put(p, "&", 1) == -1) ||
	    params_put(p, key, strlen(key)) == -1 || params_put(p, "=", 1))
		return -1;
	for (; *v != '\0'; v++) {
		if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
		    (*v >= '0' && *v <= '9') || strchr("-_.~", *v) != NULL) {
			if (params_put(p, (const char *)v, 1) == -1)
				return -1;
			continue;
		}
		e[0] = '%';
		e[1] = hex[*v >> 4];
		e[2] = hex[*v & 15];
		if (params_put(p, e, 3) == -1)
			return -1;
	}
	return 0;
}

int
bn_params_addf(struct bn_params *p, const char *key, const char *fmt, ...)
{
	char	v[BN_PARAMS_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v)) {
		p->overflow = 1;
		return -1;
	}
	return bn_params_add(p, key, v);
}

int
bn_sign_query(const char *secret, const struct bn_params *p,
    int recv_window_ms, int64_t timestamp_ms, char *out, size_t outlen)
{
	char	sig[BN_SIG_HEXLEN + 1];
	int	n;

	if (p != NULL && p->overflow)
		return -1;
	n = snprintf(out, outlen, "%s%srecvWindow=%d&timestamp=%lld",
	    p != NULL ? p->s : "", p != NULL && p->len > 0 ? "&" : "",
	    recv_window_ms, (long long)timestamp_ms);
	if (n < 0 || (size_t)n + 11 + BN_SIG_HEXLEN >= outlen)
		return -1;
	if (bn_sign_hex(secret, out, (size_t)n, sig) == -1)
		return -1;
	snprintf(out + n, outlen - (size_t)n, "&signature=%s", sig);
	OPENSSL_cleanse(sig, sizeof(sig));
	return 0;
}

/* The value of key in p's query string, or NULL; *len its length. */
static const char *
param_get(const struct bn_params *p, const char *key, size_t *len)
{
	const char	*s, *amp;
	size_t		 kl = strlen(key);

	if (p == NULL)
		return NULL;
	for (s = p->s; *s != '\0'; s = amp + 1) {
		amp = strchr(s, '&');
		if (amp == NULL)
			amp = s + strlen(s);
		if ((size_t)(amp - s) > kl && strncmp(s, key, kl) == 0 &&
		    s[kl] == '=') {
			*len = (size_t)(amp - s) - kl - 1;
			return s + kl + 1;
		}
		if (*amp == '\0')
			break;
	}
	return NULL;
}

int
bn_rest_weight(enum bn_method m, const char *path, const struct bn_params *p)
{
	static const struct { int m; const char *path; int w; } tab[] = {
		{ BN_POST, "/fapi/v1/order", 0 },
		{ BN_POST, "/fapi/v1/batchOrders", 5 },
		{ -1, "/fapi/v1/countdownCancelAll", 10 },
		{ -1, "/fapi/v2/positionRisk", 5 },
		{ -1, "/fapi/v3/positionRisk", 5 },
		{ -1, "/fapi/v2/account", 5 },
		{ -1, "/fapi/v3/account", 5 },
		{ -1, "/fapi/v2/balance", 5 },
		{ -1, "/fapi/v3/balance", 5 },
	};
	const char	*v;
	size_t		 i, n;
	int		 lim;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if ((tab[i].m == -1 || tab[i].m == (int)m) &&
		    strcmp(path, tab[i].path) == 0)
			return tab[i].w;
	if (strcmp(path, "/fapi/v1/depth") == 0) {
		lim = (v = param_get(p, "limit", &n)) != NULL ? atoi(v) : 500;
		return lim <= 50 ? 2 : lim <= 100 ? 5 : lim <= 500 ? 10 : 20;
	}
	if (strcmp(path, "/fapi/v1/ticker/bookTicker") == 0)
		return param_get(p, "symbol", &n) != NULL ? 2 : 5;
	if (strcmp(path, "/fapi/v1/openOrders") == 0)
		return param_get(p, "symbol", &n) != NULL ? 1 : 40;
	return 1;
}

int
bn_rest_orders(enum bn_method m, const char *path, const struct bn_params *p)
{
	const char	*v, *s;
	size_t		 n;
	int		 k = 0;

	if (m != BN_POST)
		return 0;
	if (strcmp(path, "/fapi/v1/order") == 0)
		return 1;
	if (strcmp(path, "/fapi/v1/batchOrders") != 0 ||
	    (v = param_get(p, "batchOrders", &n)) == NULL)
		return 0;
	/* one encoded '{' per order object */
	for (s = v; (s = strstr(s, "%7B")) != NULL && s < v + n; s += 3)
		k++;
	return k > 0 ? k : 1;
}

const char *
bn_outcome_name(enum bn_outcome o)
{
	static const char *n[] = { "ok", "rejected", "not sent", "unknown" };

	return (unsigned)o < 4 ? n[o] : "?";
}

const char *
bn_method_name(enum bn_method m)
{
	static const char *n[] = { "GET", "POST", "PUT", "DELETE" };

	return (unsigned)m < 4 ? n[m] : "?";
}

/* ---- fds and timer (curl -> caller's loop) ---------------------------- */

static struct bn_fdent *
fd_find(struct bn_rest *r, int fd)
{
	int i;

	for (i = 0; i < r->nfds; i++)
		if (r->fds[i].fd == fd)
			return &r->fds[i];
	return NULL;
}

static void
fd_del(struct bn_rest *r, int fd)
{
	struct bn_fdent *e = fd_find(r, fd);

	if (e == NULL)
		return;
	r->hooks.del_fd(r->hooks.arg, fd);
	*e = r->fds[--r->nfds];
}

static int
fd_set_ev(struct bn_rest *r, int fd, uint32_t ev)
{
	struct bn_fdent *e = fd_find(r, fd);

	if (e != NULL && e->ev == ev)
		return 0;
	if (e != NULL) {
		e->ev = ev;
		if (r->hooks.mod_fd != NULL)
			return r->hooks.mod_fd(r->hooks.arg, fd, ev);
		r->hooks.del_fd(r->hooks.arg, fd);
		return r->hooks.add_fd(r->hooks.arg, fd, ev);
	}
	if (r->nfds == BN_REST_MAXFD) {
		log_warnx("%s: more than %d sockets", __func__, BN_REST_MAXFD);
		return -1;
	}
	if (r->hooks.add_fd(r->hooks.arg, fd, ev) == -1)
		return -1;
	r->fds[r->nfds].fd = fd;
	r->fds[r->nfds].ev = ev;
	r->nfds++;
	return 0;
}

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct bn_rest	*r = userp;
	uint32_t	 ev = 0;

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		fd_del(r, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	/* a socket we cannot watch would hang its transfer: fail it */
	return fd_set_ev(r, s, ev) == -1 ? -1 : 0;
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct bn_rest *r = userp;

	(void)m;
	r->deadline_ns = timeout_ms < 0 ? -1 :
	    now_mono_ns() + (int64_t)timeout_ms * NS_PER_MS;
	return 0;
}

/* ---- request life ----------------------------------------------------- */

static size_t
write_cb(char *p, size_t sz, size_t n, void *ud)
{
	struct bn_req	*q = ud;
	size_t		 len = sz * n, ncap;
	char		*nb;

	if (q->len + len + 1 > BN_BODY_MAX) {
		q->overflow = 1;
		return 0;		/* curl fails the transfer */
	}
	if (q->len + len + 1 > q->cap) {
		ncap = q->cap ? q->cap : 4096;
		while (ncap < q->len + len + 1)
			ncap *= 2;
		if ((nb = realloc(q->body, ncap)) == NULL)
			return 0;
		q->body = nb;
		q->cap = ncap;
	}
	memcpy(q->body + q->len, p, len);
	q->len += len;
	q->body[q->len] = '\0';
	return len;
}

/* "Name: 123\r\n" -> 123 into *v when the name matches. */
static void
hdr_num(const char *b, size_t len, const char *name, int *v)
{
	size_t	nl = strlen(name), i;
	char	num[24];
	int	k = 0;
	long	x;

	if (len <= nl + 1 || strncasecmp(b, name, nl) != 0 || b[nl] != ':')
		return;
	for (i = nl + 1; i < len && (b[i] == ' ' || b[i] == '\t'); i++)
		;
	for (; i < len && b[i] >= '0' && b[i] <= '9' && k < 18; i++)
		num[k++] = b[i];
	if (k == 0)
		return;
	num[k] = '\0';
	x = strtol(num, NULL, 10);
	*v = x > 2000000000 ? 2000000000 : (int)x;
}

static void
hdr_reset(struct bn_rl_hdr *h)
{
	h->used_weight_1m = h->order_count_10s = h->order_count_1m = -1;
	h->retry_after_s = -1;
}

static size_t
header_cb(char *b, size_t sz, size_t n, void *ud)
{
	struct bn_req	*q = ud;
	size_t		 len = sz * n;

	if (len >= 5 && strncmp(b, "HTTP/", 5) == 0) {
		hdr_reset(&q->hdr);	/* a new response (after 100 etc.) */
		return len;
	}
	hdr_num(b, len, "x-mbx-used-weight-1m", &q->hdr.used_weight_1m);
	hdr_num(b, len, "x-mbx-order-count-10s", &q->hdr.order_count_10s);
	hdr_num(b, len, "x-mbx-order-count-1m", &q->hdr.order_count_1m);
	hdr_num(b, len, "retry-after", &q->hdr.retry_after_s);
	return len;
}

static void
req_free(struct bn_req *q)
{
	if (q->easy != NULL)
		curl_easy_cleanup(q->easy);
	free(q->body);
	/* the URL holds a signature: not secret, but no need to linger */
	OPENSSL_cleanse(q->url, sizeof(q->url));
	free(q);
}

static void
req_unlink(struct bn_rest *r, struct bn_req *q)
{
	struct bn_req **pp;

	for (pp = &r->reqs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			r->inflight--;
			return;
		}
}

int64_t
bn_rest_now_ms(const struct bn_rest *r)
{
	return now_real_ns() / NS_PER_MS + r->offset_ms;
}

/* Transport failure: was anything sent? If not, it cannot have executed. */
static enum bn_outcome
classify(struct bn_req *q, CURLcode cc, long status)
{
	curl_off_t	pre = 0;
	long		reqsz = 0;

	if (cc != CURLE_OK) {
		curl_easy_getinfo(q->easy, CURLINFO_REQUEST_SIZE, &reqsz);
		curl_easy_getinfo(q->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
		if (reqsz == 0 && (cc == CURLE_COULDNT_CONNECT ||
		    cc == CURLE_COULDNT_RESOLVE_HOST ||
		    cc == CURLE_COULDNT_RESOLVE_PROXY ||
		    cc == CURLE_SSL_CONNECT_ERROR ||
		    cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
		    pre == 0))
			return BN_OUT_NOT_SENT;
		return status >= 400 && status < 500 ? BN_OUT_REJECTED :
		    BN_OUT_UNKNOWN;
	}
	if (status >= 200 && status < 300)
		return BN_OUT_OK;
	if (status >= 500 && q->method != BN_GET)
		return BN_OUT_UNKNOWN;	/* 503 "Unknown error" may have run */
	return BN_OUT_REJECTED;
}

static void	rest_resync(struct bn_rest *r);

/* GET /fapi/v1/time answered: offset from the round trip's midpoint. */
static void
time_done(struct bn_rest *r, struct bn_req *q, const struct bn_resp *resp)
{
	struct bn_why	why;
	curl_off_t	pre = 0, total = 0;
	int64_t		server, mid;

	r->resyncing = 0;
	if (resp->outcome != BN_OUT_OK)
		return;
	if (bn_parse_server_time(resp->body, resp->body_len, &server,
	    &why) == -1) {
		log_warnx("%s: %s", __func__, why.s);
		return;
	}
	/* curl's timers exclude our queueing; pretransfer = request sent */
	curl_easy_getinfo(q->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(q->easy, CURLINFO_TOTAL_TIME_T, &total);
	mid = q->t0_real_ms + (int64_t)(pre + total) / 2000;
	r->offset_ms = server - mid;
	r->synced = 1;
	log_debug("%s: clock offset %lld ms (round trip %lld us)", __func__,
	    (long long)r->offset_ms, (long long)(total - pre));
}

static void
req_log(const struct bn_resp *resp)
{
	if (resp->outcome == BN_OUT_OK) {
		log_debug("%s %s: %ld in %lld us", bn_method_name(resp->method),
		    resp->path, resp->status,
		    (long long)(resp->elapsed_ns / 1000));
		return;
	}
	log_warnx("%s %s: %s, HTTP %ld, code %d: %s",
	    bn_method_name(resp->method), resp->path,
	    bn_outcome_name(resp->outcome), resp->status, resp->code,
	    resp->msg);
}

static void
req_finish(struct bn_rest *r, struct bn_req *q, CURLcode cc)
{
	struct bn_resp	resp;
	struct bn_error	err;
	const char	*blame;
	long		status = 0;

	memset(&resp, 0, sizeof(resp));
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	resp.id = q->id;
	resp.method = q->method;
	resp.path = q->path;
	resp.status = status;
	resp.curl_code = cc;
	resp.body = q->body != NULL ? q->body : "";
	resp.body_len = q->len;
	resp.elapsed_ns = now_mono_ns() - q->t0_mono;
	resp.hdr = q->hdr;
	resp.outcome = classify(q, cc, status);
	if (status >= 400 && bn_parse_error(q->body, q->len, &err, NULL) == 0) {
		resp.code = err.code;
		snprintf(resp.msg, sizeof(resp.msg), "%s", err.msg);
	} else if (cc != CURLE_OK)
		snprintf(resp.msg, sizeof(resp.msg), "%s", q->overflow ?
		    "response too large" : q->errbuf[0] ? q->errbuf :
		    curl_easy_strerror(cc));
	bn_gov_on_done(&r->gov, bn_rest_now_ms(r), now_mono_ns() / NS_PER_MS,
	    q->weight, q->orders, status, &q->hdr, resp.code, resp.msg);
	if ((status == 429 || status == 418) && r->share.put != NULL)
		r->share.put(r->share.arg, r->gov.backoff_until,
		    r->gov.ban_until);
	if (status == 429 || status == 418)
		log_warnx("%s: HTTP %ld: holding requests for %lld ms",
		    q->path, status, (long long)bn_gov_wait_ms(&r->gov,
		    bn_rest_now_ms(r), now_mono_ns() / NS_PER_MS, 0, 0, 100));
	blame = resp.outcome == BN_OUT_REJECTED ? bn_auth_blame(resp.code) :
	    NULL;
	if (blame != NULL && r->auth_cb != NULL)
		r->auth_cb(r->auth_arg, blame, &resp);	/* it says it once */
	else if (q->kind == REQ_USER || resp.outcome != BN_OUT_OK)
		req_log(&resp);
	if (q->kind == REQ_TIME)
		time_done(r, q, &resp);
	else if (resp.code == -1021)
		rest_resync(r);
	if (q->cb != NULL)
		q->cb(r, &resp, q->arg);
	req_free(q);
}

static void
rest_drain(struct bn_rest *r)
{
	struct bn_req	*q;
	CURLMsg		*m;
	CURLcode	 cc;
	CURL		*e;
	int		 left;

	r->pending_drain = 0;
	while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		e = m->easy_handle;
		cc = m->data.result;
		q = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
		curl_multi_remove_handle(r->multi, e);
		if (q == NULL)
			continue;
		req_unlink(r, q);
		req_finish(r, q, cc);
	}
}

void
bn_rest_on_fd(struct bn_rest *r, int fd, uint32_t events)
{
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(r->multi, fd, flags, &running);
	rest_drain(r);
}

void
bn_rest_on_timeout(struct bn_rest *r)
{
	int running;

	if (r->deadline_ns >= 0 && now_mono_ns() >= r->deadline_ns) {
		r->deadline_ns = -1;	/* curl sets the next one itself */
		curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0,
		    &running);
	} else if (!r->pending_drain)
		return;
	rest_drain(r);
}

int64_t
bn_rest_timeout_ns(const struct bn_rest *r)
{
	int64_t left;

	if (r->pending_drain)
		return 0;
	if (r->deadline_ns < 0)
		return -1;
	left = r->deadline_ns - now_mono_ns();
	return left > 0 ? left : 0;
}

int
bn_rest_inflight(const struct bn_rest *r)
{
	return r->inflight;
}

static void
easy_method(CURL *e, enum bn_method m)
{
	switch (m) {
	case BN_GET:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case BN_POST:
	case BN_PUT:
		/* parameters ride in the query string; the body is empty */
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
		if (m == BN_PUT)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		break;
	case BN_DELETE:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	}
}

static int
easy_setup(struct bn_rest *r, struct bn_req *q, enum bn_auth auth)
{
	CURL *e;

	if ((e = q->easy = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)q);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "pmm/0.1");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, auth == BN_AUTH_NONE ?
	    r->hdr_anon : r->hdr_key);
	easy_method(e, q->method);
	return 0;
}

/* The URL: base + path + '?' + (signed) query. */
static int
req_url(struct bn_rest *r, struct bn_req *q, enum bn_auth auth,
    const struct bn_params *p)
{
	char	query[BN_PARAMS_MAX + 256];
	int	n;

	query[0] = '\0';
	if (auth == BN_AUTH_SIGNED) {
		if (bn_sign_query(r->k->secret, p, r->recv_window_ms,
		    bn_rest_now_ms(r), query, sizeof(query)) == -1)
			return -1;
	} else if (p != NULL)
		snprintf(query, sizeof(query), "%s", p->s);
	n = snprintf(q->url, sizeof(q->url), "%s%s%s%s", r->base, q->path,
	    query[0] ? "?" : "", query);
	OPENSSL_cleanse(query, sizeof(query));
	return n < 0 || (size_t)n >= sizeof(q->url) ? -1 : 0;
}

/* pct: the share of each limit this request may fill (its class's). */
static int
rest_submit(struct bn_rest *r, enum bn_method m, const char *path,
    enum bn_auth auth, const struct bn_params *p, int weight, int orders,
    int pct, enum req_kind kind, bn_rest_cb cb, void *arg, uint64_t *idp)
{
	struct bn_req	*q;
	int64_t		 wait;
	int		 running;

	if (weight < 0)
		weight = bn_rest_weight(m, path, p);
	if (orders < 0)
		orders = bn_rest_orders(m, path, p);
	if (p != NULL && p->overflow) {
		log_warnx("%s %s: parameters too long", bn_method_name(m), path);
		return -1;
	}
	if (auth != BN_AUTH_NONE && r->k->key[0] == '\0') {
		log_warnx("%s %s: no API key configured", bn_method_name(m),
		    path);
		return -1;
	}
	if ((wait = rest_wait_ms(r, weight, orders, pct)) > 0) {
		log_debug("%s %s: governor holds it for %lld ms",
		    bn_method_name(m), path, (long long)wait);
		return BN_REST_WAIT;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	q->r = r;
	q->id = ++r->next_id;
	q->method = m;
	q->kind = kind;
	q->weight = weight;
	q->orders = orders;
	q->cb = cb;
	q->arg = arg;
	hdr_reset(&q->hdr);
	snprintf(q->path, sizeof(q->path), "%s", path);
	if (strlen(path) >= sizeof(q->path) || req_url(r, q, auth, p) == -1 ||
	    easy_setup(r, q, auth) == -1) {
		log_warnx("%s %s: cannot build the request", bn_method_name(m),
		    path);
		req_free(q);
		return -1;
	}
	q->t0_mono = now_mono_ns();
	q->t0_real_ms = now_real_ns() / NS_PER_MS;
	if (curl_multi_add_handle(r->multi, q->easy) != CURLM_OK) {
		log_warnx("%s %s: curl_multi_add_handle failed",
		    bn_method_name(m), path);
		req_free(q);
		return -1;
	}
	q->next = r->reqs;
	r->reqs = q;
	r->inflight++;
	bn_gov_on_send(&r->gov, weight, orders);
	if (idp != NULL)
		*idp = q->id;
	/* Start now (a kept-alive connection writes the request at once);
	 * completions are delivered from the loop, never from here. */
	curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	r->pending_drain = 1;
	return 0;
}

int
bn_rest_request(struct bn_rest *r, enum bn_method m, const char *path,
    enum bn_auth auth, const struct bn_params *p, int weight, int orders,
    bn_rest_cb cb, void *arg, uint64_t *idp)
{
	return rest_submit(r, m, path, auth, p, weight, orders, 100, REQ_USER,
	    cb, arg, idp);
}

int
bn_rest_request_class(struct bn_rest *r, enum bn_class c, enum bn_method m,
    const char *path, enum bn_auth auth, const struct bn_params *p,
    int weight, int orders, bn_rest_cb cb, void *arg, uint64_t *idp)
{
	/* protective requests keep the whole limit, as bn_rest_request */
	return rest_submit(r, m, path, auth, p, weight, orders,
	    c == BN_CLASS_QUOTE ? BN_GOV_QUOTE_PCT : 100, REQ_USER, cb, arg,
	    idp);
}

static void
rest_resync(struct bn_rest *r)
{
	if (r->resyncing)
		return;
	log_info("%s: timestamp refused (-1021): syncing the clock", __func__);
	if (rest_submit(r, BN_GET, "/fapi/v1/time", BN_AUTH_NONE, NULL, 1, 0,
	    100, REQ_TIME, NULL, NULL, NULL) == 0)
		r->resyncing = 1;
}

/* ---- blocking helper -------------------------------------------------- */

struct sync_ctx {
	struct bn_resp	*out;
	int		 done;
};

static void
sync_cb(struct bn_rest *r, const struct bn_resp *resp, void *arg)
{
	struct sync_ctx *c = arg;

	(void)r;
	*c->out = *resp;
	c->out->path = NULL;
	c->out->body = NULL;
	if ((c->out->body = malloc(resp->body_len + 1)) != NULL) {
		memcpy((char *)c->out->body, resp->body, resp->body_len);
		((char *)c->out->body)[resp->body_len] = '\0';
	} else
		c->out->body_len = 0;
	c->done = 1;
}

/* poll() over our sockets until *done; the caller's loop is not running. */
static int
sync_loop(struct bn_rest *r, int *done)
{
	struct pollfd	pfd[BN_REST_MAXFD];
	int64_t		t;
	uint32_t	ev;
	int		i, n, ms;

	while (!*done) {
		for (n = 0; n < r->nfds; n++) {
			pfd[n].fd = r->fds[n].fd;
			pfd[n].events = (r->fds[n].ev & EPOLLIN ? POLLIN : 0) |
			    (r->fds[n].ev & EPOLLOUT ? POLLOUT : 0);
			pfd[n].revents = 0;
		}
		t = bn_rest_timeout_ns(r);
		ms = t < 0 ? SYNC_POLL_MS : (int)((t + NS_PER_MS - 1) /
		    NS_PER_MS);
		if (ms > SYNC_POLL_MS)
			ms = SYNC_POLL_MS;
		if (poll(pfd, (nfds_t)n, ms) == -1 && errno != EINTR) {
			log_warn("%s: poll", __func__);
			return -1;
		}
		for (i = 0; i < n && !*done; i++) {
			if (pfd[i].revents == 0)
				continue;
			ev = (pfd[i].revents & POLLIN ? EPOLLIN : 0) |
			    (pfd[i].revents & POLLOUT ? EPOLLOUT : 0) |
			    (pfd[i].revents & POLLERR ? EPOLLERR : 0) |
			    (pfd[i].revents & POLLHUP ? EPOLLHUP : 0);
			bn_rest_on_fd(r, pfd[i].fd, ev);
		}
		bn_rest_on_timeout(r);
	}
	return 0;
}

static int
sync_submit(struct bn_rest *r, enum bn_method m, const char *path,
    enum bn_auth auth, const struct bn_params *p, int weight, int orders,
    enum req_kind kind, struct bn_resp *out)
{
	struct sync_ctx	c = { out, 0 };
	int		rc;

	memset(out, 0, sizeof(*out));
	rc = rest_submit(r, m, path, auth, p, weight, orders, 100, kind, sync_cb,
	    &c, NULL);
	if (rc != 0)
		return rc;
	if (sync_loop(r, &c.done) == -1) {
		/* the request stays in flight; its result goes nowhere */
		return -1;
	}
	out->path = path;
	return 0;
}

int
bn_rest_request_sync(struct bn_rest *r, enum bn_method m, const char *path,
    enum bn_auth auth, const struct bn_params *p, int weight, int orders,
    struct bn_resp *out)
{
	return sync_submit(r, m, path, auth, p, weight, orders, REQ_USER, out);
}

void
bn_resp_release(struct bn_resp *out)
{
	free((char *)out->body);
	out->body = NULL;
	out->body_len = 0;
}

int
bn_rest_sync_time(struct bn_rest *r)
{
	struct bn_resp	resp;
	int		rc;

	rc = sync_submit(r, BN_GET, "/fapi/v1/time", BN_AUTH_NONE, NULL, 1, 0,
	    REQ_TIME, &resp);
	if (rc != 0)
		return -1;
	rc = resp.outcome == BN_OUT_OK && r->synced ? 0 : -1;
	bn_resp_release(&resp);
	if (rc == 0)
		log_info("%s: clock offset %lld ms", __func__,
		    (long long)r->offset_ms);
	return rc;
}

int64_t
bn_rest_clock_offset_ms(const struct bn_rest *r)
{
	return r->offset_ms;
}

int
bn_rest_time_synced(const struct bn_rest *r)
{
	return r->synced;
}

int64_t
bn_rest_can_send_class(const struct bn_rest *r, enum bn_class c, int weight,
    int orders)
{
	return rest_wait_ms(r, weight, orders, bn_gov_class_pct(c));
}

int64_t
bn_rest_can_send(const struct bn_rest *r, int weight, int orders)
{
	return bn_rest_can_send_class(r, BN_CLASS_PROTECT, weight, orders);
}

void
bn_rest_set_share(struct bn_rest *r, const struct bn_rest_share *s)
{
	if (s != NULL)
		r->share = *s;
	else
		memset(&r->share, 0, sizeof(r->share));
}

void
bn_rest_set_auth_hook(struct bn_rest *r, bn_rest_auth_cb cb, void *arg)
{
	r->auth_cb = cb;
	r->auth_arg = arg;
}

const char *
bn_auth_blame(int code)
{
	switch (code) {
	case -2014:
	case -2015:
		return "BINANCE_API_KEY";
	case -1022:
		return "BINANCE_SECRET_KEY";
	default:
		return NULL;
	}
}

void
bn_rest_set_limits(struct bn_rest *r, int weight_1m, int orders_10s,
    int orders_1m)
{
	bn_gov_set_limits(&r->gov, weight_1m, orders_10s, orders_1m);
}

const struct bn_gov *
bn_rest_gov(const struct bn_rest *r)
{
	return &r->gov;
}

/* ---- life ------------------------------------------------------------- */

static struct curl_slist *
headers(struct bn_rest_keys *k)
{
	struct curl_slist	*l = NULL, *t;
	char			*h;

	/* no "Expect: 100-continue" round trip, ever */
	if ((l = curl_slist_append(NULL, "Expect:")) == NULL)
		return NULL;
	if (k != NULL) {
		h = k->hdr;
		snprintf(h, sizeof(k->hdr), "X-MBX-APIKEY: %s", k->key);
		t = curl_slist_append(l, h);
		OPENSSL_cleanse(h, sizeof(k->hdr));
		if (t == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

static void
slist_cleanse(struct curl_slist *l)
{
	for (; l != NULL; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
}

static int
opts_copy(struct bn_rest *r, const struct bn_rest_opts *o)
{
	if (o->base_url == NULL || strlen(o->base_url) >= sizeof(r->base) ||
	    (strncmp(o->base_url, "http://", 7) != 0 &&
	    strncmp(o->base_url, "https://", 8) != 0)) {
		log_warnx("bn_rest_new: base URL must be http(s)://host[:port]");
		return -1;
	}
	snprintf(r->base, sizeof(r->base), "%s", o->base_url);
	/* "https://host/" + "/fapi/..." would double the slash */
	if (r->base[strlen(r->base) - 1] == '/')
		r->base[strlen(r->base) - 1] = '\0';
	if ((o->api_key && strlen(o->api_key) >= sizeof(r->k->key)) ||
	    (o->secret && strlen(o->secret) >= sizeof(r->k->secret))) {
		log_warnx("bn_rest_new: API key or secret too long");
		return -1;
	}
	if ((r->k = secmem_alloc(sizeof(*r->k))) == NULL)
		return -1;
	snprintf(r->k->key, sizeof(r->k->key), "%s", o->api_key ?
	    o->api_key : "");
	snprintf(r->k->secret, sizeof(r->k->secret), "%s", o->secret ?
	    o->secret : "");
	r->recv_window_ms = o->recv_window_ms > 0 ? o->recv_window_ms : 5000;
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	r->connect_timeout_ms = o->connect_timeout_ms > 0 ?
	    o->connect_timeout_ms : 3000;
	return 0;
}

struct bn_rest *
bn_rest_new(const struct bn_rest_opts *o, const struct bn_rest_hooks *h)
{
	struct bn_rest	*r;
	long		 conns = o->max_conns > 0 ? o->max_conns : 4;

	if (h == NULL || h->add_fd == NULL || h->del_fd == NULL) {
		log_warnx("%s: add_fd and del_fd hooks are required", __func__);
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	r->hooks = *h;
	r->deadline_ns = -1;
	bn_gov_init(&r->gov);
	if (opts_copy(r, o) == -1 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		secmem_free(r->k, sizeof(*r->k));
		free(r);
		return NULL;
	}
	r->multi = curl_multi_init();
	r->hdr_anon = headers(NULL);
	r->hdr_key = headers(r->k);
	if (r->multi == NULL || r->hdr_anon == NULL || r->hdr_key == NULL) {
		log_warnx("%s: libcurl initialisation failed", __func__);
		bn_rest_free(r);
		return NULL;
	}
	curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, r);
	curl_multi_setopt(r->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, r);
	curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, conns);
	curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS, conns);
	curl_multi_setopt(r->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	return r;
}

void
bn_rest_free(struct bn_rest *r)
{
	struct bn_req *q;

	if (r == NULL)
		return;
	while ((q = r->reqs) != NULL) {
		r->reqs = q->next;
		curl_multi_remove_handle(r->multi, q->easy);
		req_free(q);
	}
	if (r->multi != NULL)
		curl_multi_cleanup(r->multi);	/* closes sockets: del_fd */
	curl_slist_free_all(r->hdr_anon);
	slist_cleanse(r->hdr_key);	/* it holds the API key */
	curl_slist_free_all(r->hdr_key);
	secmem_free(r->k, sizeof(*r->k));	/* wipes */
	free(r);
	curl_global_cleanup();
}
