/*
 * ratelimit.c — Binance's REST rate limits, with the values of the
 * X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-10S/-1M headers.
 *
 * Model (as Binance documents and its headers show it):
 * - request weight is counted per IP in fixed one-minute windows aligned
 *   to the epoch (the header falls to the request's own weight when a new
 *   minute starts); new orders are counted per account in fixed 10-second
 *   and one-minute windows;
 * - a request that takes a counter over its limit is refused with HTTP 429
 *   (-1003 for weight, -1015 for orders) and still counts, as on Binance:
 *   hammering does not earn capacity back;
 * - a client that keeps sending after a 429 within the same minute is
 *   banned: more than ban_after refused requests in a window turn into
 *   HTTP 418 with "-1003 Way too many requests; IP(...) banned until <ms>"
 *   for ban_first_ms (2 min), doubling with each later ban up to ban_max_ms
 *   (3 days). Bans are per IP and remembered until rl_reset().
 * Retry-After says how many seconds until the window (or ban) ends.
 *
 * Entries live in one open-addressing table keyed "i:<ip>" / "a:<key>";
 * idle entries (no traffic for ten minutes, no ban) are dropped when the
 * table is rebuilt to grow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_int.h"

#define RL_KEYLEN	(EXCH_KEYLEN + 3)
#define RL_IDLE_MS	(10 * 60 * 1000LL)

struct rl_ent {
	char	key[RL_KEYLEN];
	bool	used;
	int64_t	last_ms;
	int64_t	w_win;			/* IP: minute index of w */
	int	w;
	int	strikes;		/* refused in w_win */
	int64_t	ban_until_ms;
	int	bans;
	int64_t	o10_win, o1m_win;	/* account */
	int	o10, o1m;
};

struct rl {
	struct exch_rl_limits lim;
	struct rl_ent *tab;
	uint32_t cap;			/* power of two */
	uint32_t n;
};

void
rl_limits_default(struct exch_rl_limits *l)
{
	l->weight_1m = 2400;
	l->orders_10s = 300;
	l->orders_1m = 1200;
	l->ban_after = 10;
	l->ban_first_ms = 2 * 60 * 1000LL;
	l->ban_max_ms = 3 * 24 * 3600 * 1000LL;
}

struct rl *
rl_new(const struct exch_rl_limits *lim)
{
	struct rl *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (lim != NULL)
		r->lim = *lim;
	else
		rl_limits_default(&r->lim);
	r->cap = 64;
	r->tab = calloc(r->cap, sizeof(*r->tab));
	if (r->tab == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
rl_free(struct rl *r)
{
	if (r == NULL)
		return;
	free(r->tab);
	free(r);
}

void
rl_reset(struct rl *r)
{
	memset(r->tab, 0, r->cap * sizeof(*r->tab));
	r->n = 0;
}

static uint32_t
rl_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static struct rl_ent *
rl_slot(struct rl_ent *tab, uint32_t cap, const char *key)
{
	uint32_t h = rl_hash(key) & (cap - 1);

	while (tab[h].used && strcmp(tab[h].key, key) != 0)
		h = (h + 1) & (cap - 1);
	return &tab[h];
}

/* Rebuild, dropping idle entries, at a size that leaves room. */
static int
rl_rehash(struct rl *r, int64_t now_ms)
{
	uint32_t live = 0, ncap = r->cap, i;
	struct rl_ent *nt;

	for (i = 0; i < r->cap; i++)
		if (r->tab[i].used && (now_ms - r->tab[i].last_ms < RL_IDLE_MS ||
		    r->tab[i].ban_until_ms > now_ms))
			live++;
	while (live * 2 >= ncap)
		ncap *= 2;
	nt = calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	for (i = 0; i < r->cap; i++) {
		struct rl_ent *e = &r->tab[i];

		if (e->used && (now_ms - e->last_ms < RL_IDLE_MS ||
		    e->ban_until_ms > now_ms))
			*rl_slot(nt, ncap, e->key) = *e;
	}
	free(r->tab);
	r->tab = nt;
	r->cap = ncap;
	r->n = live;
	return 0;
}

static struct rl_ent *
rl_get(struct rl *r, char kind, const char *id, int64_t now_ms, bool create)
{
	char key[RL_KEYLEN];
	struct rl_ent *e;

	snprintf(key, sizeof(key), "%c:%s", kind, id);
	e = rl_slot(r->tab, r->cap, key);
	if (e->used || !create)
		return e->used ? e : NULL;
	if ((r->n + 1) * 4 > r->cap * 3) {
		if (rl_rehash(r, now_ms) == -1) {
			log_warnx("%s: out of memory", __func__);
			return NULL;
		}
		e = rl_slot(r->tab, r->cap, key);
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->used = true;
	e->w_win = e->o10_win = e->o1m_win = -1;
	r->n++;
	return e;
}

/* Move the entry's windows to now, zeroing counters of past windows. */
static void
rl_roll(struct rl_ent *e, int64_t now_ms)
{
	if (e->w_win != now_ms / 60000) {
		e->w_win = now_ms / 60000;
		e->w = 0;
		e->strikes = 0;
	}
	if (e->o10_win != now_ms / 10000) {
		e->o10_win = now_ms / 10000;
		e->o10 = 0;
	}
	if (e->o1m_win != now_ms / 60000) {
		e->o1m_win = now_ms / 60000;
		e->o1m = 0;
	}
	e->last_ms = now_ms;
}

static int
secs_to(int64_t now_ms, int64_t until_ms)
{
	int64_t d = until_ms - now_ms;

	return d <= 0 ? 0 : (int)((d + 999) / 1000);
}

static void
rl_fill(struct rl_ent *ip, struct rl_ent *ac, struct exch_rl_result *out)
{
	memset(out, 0, sizeof(*out));
	out->http = 200;
	out->used_weight_1m = ip != NULL ? ip->w : 0;
	out->order_count_10s = ac != NULL ? ac->o10 : -1;
	out->order_count_1m = ac != NULL ? ac->o1m : -1;
}

static void
rl_banned(const char *ip, const struct rl_ent *e, int64_t now_ms,
    struct exch_rl_result *out)
{
	out->http = 418;
	out->code = -1003;
	out->banned_until_ms = e->ban_until_ms;
	out->retry_after_s = secs_to(now_ms, e->ban_until_ms);
	snprintf(out->msg, sizeof(out->msg), "Way too many requests; IP(%s) "
	    "banned until %lld. Please use the websocket for live updates to "
	    "avoid bans.", ip, (long long)e->ban_until_ms);
}

/* One more refused request from this IP: ban it when it keeps going. */
static void
rl_strike(struct rl *r, const char *ip, struct rl_ent *e, int64_t now_ms,
    struct exch_rl_result *out)
{
	int64_t dur;
	int i;

	if (++e->strikes <= r->lim.ban_after)
		return;
	dur = r->lim.ban_first_ms;
	for (i = 0; i < e->bans && dur < r->lim.ban_max_ms; i++)
		dur *= 2;
	if (dur > r->lim.ban_max_ms)
		dur = r->lim.ban_max_ms;
	e->bans++;
	e->strikes = 0;
	e->ban_until_ms = now_ms + dur;
	log_info("rate limit: IP %s banned for %lld s (ban %d)", ip,
	    (long long)(dur / 1000), e->bans);
	rl_banned(ip, e, now_ms, out);
}

int
rl_request(struct rl *r, const char *ip, const char *account, int weight,
    int orders, int64_t now_ns, struct exch_rl_result *out)
{
	int64_t now_ms = now_ns / 1000000;
	struct rl_ent *e, *a = NULL;

	e = rl_get(r, 'i', ip, now_ms, true);
	if (e == NULL) {
		rl_fill(NULL, NULL, out);
		return 0;	/* out of memory: fail open, already logged */
	}
	rl_roll(e, now_ms);
	if (e->ban_until_ms > now_ms) {
		rl_fill(e, NULL, out);
		rl_banned(ip, e, now_ms, out);
		return -1;
	}
	e->w += weight;
	if (account != NULL && (a = rl_get(r, 'a', account, now_ms, true)) != NULL) {
		rl_roll(a, now_ms);
		a->o10 += orders;
		a->o1m += orders;
	}
	/* rl_get may have moved the table: look the IP up again */
	e = rl_get(r, 'i', ip, now_ms, false);
	rl_fill(e, a, out);
	if (e->w > r->lim.weight_1m) {
		out->http = 429;
		out->code = -1003;
		out->retry_after_s = secs_to(now_ms, (now_ms / 60000 + 1) * 60000);
		snprintf(out->msg, sizeof(out->msg), "Too many requests; current "
		    "limit is %d requests per minute. Please use the websocket "
		    "for live updates to avoid polling the API.", r->lim.weight_1m);
	} else if (a != NULL && orders > 0 && a->o10 > r->lim.orders_10s) {
		out->http = 429;
		out->code = -1015;
		out->retry_after_s = secs_to(now_ms, (now_ms / 10000 + 1) * 10000);
		snprintf(out->msg, sizeof(out->msg), "Too many new orders; current "
		    "limit is %d orders per TEN_SECONDS.", r->lim.orders_10s);
	} else if (a != NULL && orders > 0 && a->o1m > r->lim.orders_1m) {
		out->http = 429;
		out->code = -1015;
		out->retry_after_s = secs_to(now_ms, (now_ms / 60000 + 1) * 60000);
		snprintf(out->msg, sizeof(out->msg), "Too many new orders; current "
		    "limit is %d orders per MINUTE.", r->lim.orders_1m);
	} else {
		return 0;
	}
	rl_strike(r, ip, e, now_ms, out);
	return -1;
}

void
rl_peek(struct rl *r, const char *ip, const char *account, int64_t now_ns,
    struct exch_rl_result *out)
{
	int64_t now_ms = now_ns / 1000000;
	struct rl_ent *e = rl_get(r, 'i', ip, now_ms, false);
	struct rl_ent *a = account ? rl_get(r, 'a', account, now_ms, false) : NULL;
	struct rl_ent ce, ca;

	/* a stale window reads as zero without being written */
	if (e != NULL) {
		ce = *e;
		rl_roll(&ce, now_ms);
		e = &ce;
	}
	if (a != NULL) {
		ca = *a;
		rl_roll(&ca, now_ms);
		a = &ca;
	}
	rl_fill(e, a, out);
	if (account != NULL && a == NULL)
		out->order_count_10s = out->order_count_1m = 0;
	if (e != NULL && e->ban_until_ms > now_ms)
		rl_banned(ip, e, now_ms, out);
}
