/*
 * book.c — the client order book of one symbol and the matching of
 * client orders against the outside market (and against each other).
 *
 * THE FILL MODEL (quoted in the docs; keep it in sync with the code)
 *
 * pmm-exchange has two kinds of liquidity: the OUTSIDE market (synthetic
 * or replayed: bookTicker top, diff-depth levels and trades), and CLIENT
 * orders placed through the API. Client orders never move the outside
 * market: they do not appear in the public depth/bookTicker streams,
 * their fills are not published as public trades, and liquidity a client
 * takes from the outside book is not removed from it (the next outside
 * update describes the book as the real market saw it, without us).
 *
 * 1. An incoming client order (taker) walks the opposite side best price
 *    first, up to its limit price (MARKET: no limit). At each price the
 *    outside quantity trades first (it was there before the client), then
 *    resting client orders in time order. Fills against the outside are
 *    at the outside level's price; fills against a client order are at
 *    that order's price. Outside liquidity is the bookTicker top followed
 *    by the depth levels behind it (synthetic books carry 20 levels, a
 *    replay the recorded depth). Taker fee for the incoming order, maker
 *    fee for a resting client order it hits.
 *    - GTX (post-only) that would trade anything is rejected with -5022
 *      and no order is created.
 *    - FOK that cannot be filled completely from what the walk would find
 *      is rejected with -5021; nothing trades.
 *    - IOC and MARKET trade what they can; the rest EXPIRES.
 *    - Self-trade: with selfTradePreventionMode NONE a client may trade
 *      with its own resting order; EXPIRE_TAKER/MAKER/BOTH expire the
 *      taker's remainder and/or the resting order (EXPIRED_IN_MATCH).
 *
 * 2. A resting client order fills as a MAKER at its own price when:
 *    a) the outside market TRADES THROUGH or AT it: an outside sell
 *       (buyer-maker) trade at a price <= a client bid, or an outside buy
 *       trade at a price >= a client ask. The trade's quantity is shared
 *       out best price first, then time order; a trade that printed at a
 *       WORSE price than the client's (trade-through) proves the client's
 *       level was swept, so the client fills without waiting. A trade AT
 *       the client's price first consumes the outside quantity that was
 *       queued ahead of the client at that price (see 3): partial fills
 *       are limited by the trade's size.
 *    b) the outside best price CROSSES it: outside ask <= client bid, or
 *       outside bid >= client ask. The client order then fills completely
 *       at its own price (a real seller at that ask would have hit the
 *       better client bid first).
 *
 * 3. Queue position: a client order joins the BACK of the queue at its
 *    price. Its "queue ahead" is the outside quantity resting at that
 *    price when it arrives (0 inside the spread). Outside trades at the
 *    price reduce it (and the level with them). When the outside level
 *    shrinks WITHOUT a trade (cancels: a new bookTicker/depth quantity
 *    below what trades explain), the queue model says how much of the
 *    decrease d was ahead of us (exch_opts.queue_model):
 *    - pessimistic (default): cancels are behind us as far as the level
 *      allows: queue = min(queue, level quantity). We never move forward
 *      faster than the level itself shrinks.
 *    - probabilistic (hftbacktest's ProbQueueModel family, after
 *      Rigtorp's estimator): with front = queue ahead and back = the
 *      level's last quantity behind us, the share of d ahead is
 *      f(front) / (f(front) + f(back)), f(x) = x^n; a decrease larger
 *      than back was ahead for the excess at least. queue = front - that
 *      share, within 0 .. the new level quantity.
 *    Binance's order modify (not served here) would put the order at the
 *    back again.
 *
 * 4. Reduce-only orders only trade up to the position they reduce; the
 *    engine caps every fill through the cap() hook.
 *
 * Data structure: orders live in a chunked pool (stable addresses, free
 * list, no malloc per order), found by orderId and by (account,
 * clientOrderId) through open-addressing hash tables; each price has a
 * level with an intrusive FIFO of its orders; per side the levels are an
 * array sorted with the best price last, so the busy end moves without
 * memmove. Add and cancel are O(1) apart from a binary search over the
 * few price levels a side has.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_int.h"

#define CHUNK_SHIFT	12
#define CHUNK		(1u << CHUNK_SHIFT)

struct cid_slot { uint32_t idx, tag; };

struct book {
	/* order pool */
	struct bk_order **chunks;
	uint32_t nchunks;
	uint32_t free_head;
	uint32_t count;			/* resting orders */
	/* levels: pool + per side sorted slot arrays (best last) */
	struct bk_level *lv;
	uint32_t lv_cap, lv_free;
	uint32_t *ord[2];
	uint32_t nord[2], cap_ord[2];
	/* orderId -> pool index */
	uint32_t *idh;
	uint32_t id_mask;
	/* (acct, clientOrderId) -> pool index */
	struct cid_slot *cidh;
	uint32_t cid_mask;
	/* the queue model (fill model 3) */
	int qmodel;
	double qpower;
};

static inline struct bk_order *
node(const struct book *b, uint32_t i)
{
	return &b->chunks[i >> CHUNK_SHIFT][i & (CHUNK - 1)];
}

static inline bool
better(int side, int64_t a, int64_t b)
{
	return side == BK_BID ? a > b : a < b;
}

/* ------------------------------------------------------------------ */
/* pool                                                                */

static int
pool_grow(struct book *b)
{
	struct bk_order **nc, *c;
	uint32_t base = b->nchunks * CHUNK, i;

	nc = realloc(b->chunks, (b->nchunks + 1) * sizeof(*nc));
	if (nc == NULL)
		return -1;
	b->chunks = nc;
	c = calloc(CHUNK, sizeof(*c));
	if (c == NULL)
		return -1;
	b->chunks[b->nchunks++] = c;
	/* thread the new nodes onto the free list, lowest index first */
	for (i = 0; i < CHUNK; i++) {
		c[i].self = base + i;
		c[i].next = i + 1 < CHUNK ? base + i + 1 : b->free_head;
	}
	b->free_head = base;
	return 0;
}

struct bk_order *
book_alloc(struct book *b)
{
	struct bk_order *o;
	uint32_t self;

	if (b->free_head == BK_NIL && pool_grow(b) == -1) {
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	o = node(b, b->free_head);
	b->free_head = o->next;
	self = o->self;
	memset(o, 0, sizeof(*o));
	o->self = self;
	o->prev = o->next = o->level = BK_NIL;
	o->aprev = o->anext = BK_NIL;
	return o;
}

void
book_release(struct book *b, struct bk_order *o)
{
	o->resting = false;
	o->id = 0;
	o->next = b->free_head;
	b->free_head = o->self;
}

uint32_t
book_pool_size(const struct book *b)
{
	return b->nchunks * CHUNK;
}

struct bk_order *
book_order(const struct book *b, uint32_t idx)
{
	if (idx >= b->nchunks * CHUNK)
		return NULL;
	return node(b, idx);
}

uint32_t
book_count(const struct book *b)
{
	return b->count;
}

/* ------------------------------------------------------------------ */
/* hash tables (linear probing, backward-shift deletion)               */

static inline uint32_t
id_hash(int64_t id, uint32_t mask)
{
	return (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

static uint32_t
cid_tag(unsigned acct, const char *cid)
{
	uint32_t h = 2166136261u ^ (acct * 0x9E3779B1u);

	while (*cid) {
		h ^= (unsigned char)*cid++;
		h *= 16777619u;
	}
	return h;
}

static int id_put(struct book *, uint32_t idx);
static int cid_put(struct book *, uint32_t idx);

/* Rebuild both tables at twice the size (called when half full). */
static int
hash_grow(struct book *b)
{
	uint32_t nsize = (b->id_mask + 1) * 2, i, n = b->nchunks * CHUNK;
	uint32_t *oidh = b->idh;
	struct cid_slot *ocid = b->cidh;

	b->idh = malloc(nsize * sizeof(*b->idh));
	b->cidh = malloc(nsize * sizeof(*b->cidh));
	if (b->idh == NULL || b->cidh == NULL) {
		free(b->idh);
		free(b->cidh);
		b->idh = oidh;
		b->cidh = ocid;
		return -1;
	}
	memset(b->idh, 0xff, nsize * sizeof(*b->idh));
	memset(b->cidh, 0xff, nsize * sizeof(*b->cidh));
	b->id_mask = b->cid_mask = nsize - 1;
	free(oidh);
	free(ocid);
	for (i = 0; i < n; i++) {
		struct bk_order *o = node(b, i);

		if (o->resting) {
			id_put(b, i);
			cid_put(b, i);
		}
	}
	return 0;
}

static int
id_put(struct book *b, uint32_t idx)
{
	uint32_t h = id_hash(node(b, idx)->id, b->id_mask);

	while (b->idh[h] != BK_NIL)
		h = (h + 1) & b->id_mask;
	b->idh[h] = idx;
	return 0;
}

static void
id_del(struct book *b, uint32_t idx)
{
	uint32_t h = id_hash(node(b, idx)->id, b->id_mask), j, k;

	while (b->idh[h] != idx) {
		if (b->idh[h] == BK_NIL)
			return;
		h = (h + 1) & b->id_mask;
	}
	/* shift later members of the cluster back over the hole */
	for (j = h;;) {
		b->idh[h] = BK_NIL;
		for (;;) {
			j = (j + 1) & b->id_mask;
			if (b->idh[j] == BK_NIL)
				return;
			k = id_hash(node(b, b->idh[j])->id, b->id_mask);
			/* move j to h unless k lies cyclically in (h, j] */
			if (h <= j ? (h < k && k <= j) : (h < k || k <= j))
				continue;
			break;
		}
		b->idh[h] = b->idh[j];
		h = j;
	}
}

static int
cid_put(struct book *b, uint32_t idx)
{
	struct bk_order *o = node(b, idx);
	uint32_t tag = cid_tag(o->acct, o->cid);
	uint32_t h = tag & b->cid_mask;

	while (b->cidh[h].idx != BK_NIL)
		h = (h + 1) & b->cid_mask;
	b->cidh[h].idx = idx;
	b->cidh[h].tag = tag;
	return 0;
}

static void
cid_del(struct book *b, uint32_t idx)
{
	struct bk_order *o = node(b, idx);
	uint32_t h = cid_tag(o->acct, o->cid) & b->cid_mask, j, k;

	while (b->cidh[h].idx != idx) {
		if (b->cidh[h].idx == BK_NIL)
			return;
		h = (h + 1) & b->cid_mask;
	}
	for (j = h;;) {
		b->cidh[h].idx = BK_NIL;
		for (;;) {
			j = (j + 1) & b->cid_mask;
			if (b->cidh[j].idx == BK_NIL)
				return;
			k = b->cidh[j].tag & b->cid_mask;
			if (h <= j ? (h < k && k <= j) : (h < k || k <= j))
				continue;
			break;
		}
		b->cidh[h] = b->cidh[j];
		h = j;
	}
}

struct bk_order *
book_find(const struct book *b, int64_t id)
{
	uint32_t h = id_hash(id, b->id_mask);

	while (b->idh[h] != BK_NIL) {
		struct bk_order *o = node(b, b->idh[h]);

		if (o->id == id)
			return o;
		h = (h + 1) & b->id_mask;
	}
	return NULL;
}

struct bk_order *
book_find_cid(const struct book *b, unsigned acct, const char *cid)
{
	uint32_t tag = cid_tag(acct, cid);
	uint32_t h = tag & b->cid_mask;

	while (b->cidh[h].idx != BK_NIL) {
		if (b->cidh[h].tag == tag) {
			struct bk_order *o = node(b, b->cidh[h].idx);

			if (o->acct == acct && strcmp(o->cid, cid) == 0)
				return o;
		}
		h = (h + 1) & b->cid_mask;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* price levels                                                        */

/* Position of px in ord[side] (worst first); *found says if it is there. */
static uint32_t
lv_find(const struct book *b, int side, int64_t px, bool *found)
{
	const uint32_t *ord = b->ord[side];
	uint32_t lo = 0, hi = b->nord[side];

	if (hi > 0 && b->lv[ord[hi - 1]].px == px) {
		*found = true;
		return hi - 1;
	}
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int64_t mpx = b->lv[ord[mid]].px;

		if (mpx == px) {
			*found = true;
			return mid;
		}
		if (better(side, px, mpx))
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static uint32_t
lv_alloc(struct book *b)
{
	uint32_t i;

	if (b->lv_free == BK_NIL) {
		uint32_t ncap = b->lv_cap ? b->lv_cap * 2 : 256;
		struct bk_level *nl = realloc(b->lv, ncap * sizeof(*nl));

		if (nl == NULL)
			return BK_NIL;
		b->lv = nl;
		for (i = b->lv_cap; i < ncap; i++)
			nl[i].next_free = i + 1 < ncap ? i + 1 : BK_NIL;
		b->lv_free = b->lv_cap;
		b->lv_cap = ncap;
	}
	i = b->lv_free;
	b->lv_free = b->lv[i].next_free;
	return i;
}

/* Slot of the level at px on side, created if missing. */
static uint32_t
lv_get(struct book *b, int side, int64_t px)
{
	bool found;
	uint32_t pos = lv_find(b, side, px, &found), slot;
	struct bk_level *l;

	if (found)
		return b->ord[side][pos];
	if (b->nord[side] == b->cap_ord[side]) {
		uint32_t ncap = b->cap_ord[side] ? b->cap_ord[side] * 2 : 64;
		uint32_t *no = realloc(b->ord[side], ncap * sizeof(*no));

		if (no == NULL)
			return BK_NIL;
		b->ord[side] = no;
		b->cap_ord[side] = ncap;
	}
	slot = lv_alloc(b);
	if (slot == BK_NIL)
		return BK_NIL;
	l = &b->lv[slot];
	l->px = px;
	l->qty = 0;
	l->head = l->tail = BK_NIL;
	l->n = 0;
	memmove(&b->ord[side][pos + 1], &b->ord[side][pos],
	    (b->nord[side] - pos) * sizeof(uint32_t));
	b->ord[side][pos] = slot;
	b->nord[side]++;
	return slot;
}

static void
lv_drop(struct book *b, int side, uint32_t slot)
{
	bool found;
	uint32_t pos = lv_find(b, side, b->lv[slot].px, &found);

	if (found) {
		memmove(&b->ord[side][pos], &b->ord[side][pos + 1],
		    (b->nord[side] - pos - 1) * sizeof(uint32_t));
		b->nord[side]--;
	}
	b->lv[slot].next_free = b->lv_free;
	b->lv_free = slot;
}

struct bk_level *
book_level(const struct book *b, int side, int64_t px)
{
	bool found;
	uint32_t pos = lv_find(b, side, px, &found);

	return found ? &b->lv[b->ord[side][pos]] : NULL;
}

/* ------------------------------------------------------------------ */
/* the book                                                            */

struct book *
book_new(uint32_t cap_hint)
{
	struct book *b = calloc(1, sizeof(*b));
	uint32_t size = 1024;

	if (b == NULL)
		return NULL;
	while (size < cap_hint * 2)
		size *= 2;
	b->free_head = BK_NIL;
	b->lv_free = BK_NIL;
	b->idh = malloc(size * sizeof(*b->idh));
	b->cidh = malloc(size * sizeof(*b->cidh));
	if (b->idh == NULL || b->cidh == NULL) {
		book_free(b);
		return NULL;
	}
	memset(b->idh, 0xff, size * sizeof(*b->idh));
	memset(b->cidh, 0xff, size * sizeof(*b->cidh));
	b->id_mask = b->cid_mask = size - 1;
	b->qmodel = EXCH_QUEUE_PESSIMISTIC;
	b->qpower = 2;
	return b;
}

void
book_set_queue_model(struct book *b, int model, double power)
{
	b->qmodel = model;
	b->qpower = power >= 1 ? power : 1;
}

void
book_free(struct book *b)
{
	uint32_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nchunks; i++)
		free(b->chunks[i]);
	free(b->chunks);
	free(b->lv);
	free(b->ord[0]);
	free(b->ord[1]);
	free(b->idh);
	free(b->cidh);
	free(b);
}

int
book_insert(struct book *b, struct bk_order *o)
{
	uint32_t slot;
	struct bk_level *l;

	if ((b->count + 1) * 2 > b->id_mask + 1 && hash_grow(b) == -1) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	slot = lv_get(b, o->side, o->px);
	if (slot == BK_NIL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	l = &b->lv[slot];
	o->level = slot;
	o->next = BK_NIL;
	o->prev = l->tail;
	if (l->tail != BK_NIL)
		node(b, l->tail)->next = o->self;
	else
		l->head = o->self;
	l->tail = o->self;
	l->n++;
	l->qty += o->qty;
	o->resting = true;
	id_put(b, o->self);
	cid_put(b, o->self);
	b->count++;
	return 0;
}

void
book_unlink(struct book *b, struct bk_order *o)
{
	struct bk_level *l;

	if (!o->resting)
		return;
	l = &b->lv[o->level];
	if (o->prev != BK_NIL)
		node(b, o->prev)->next = o->next;
	else
		l->head = o->next;
	if (o->next != BK_NIL)
		node(b, o->next)->prev = o->prev;
	else
		l->tail = o->prev;
	l->qty -= o->qty;
	if (--l->n == 0)
		lv_drop(b, o->side, o->level);
	id_del(b, o->self);
	cid_del(b, o->self);
	b->count--;
	o->resting = false;
	o->prev = o->next = BK_NIL;
}

void
book_remove(struct book *b, struct bk_order *o)
{
	book_unlink(b, o);
	book_release(b, o);
}

void
book_reduce(struct book *b, struct bk_order *o, int64_t lots)
{
	o->qty -= lots;
	o->exec += lots;
	if (o->resting)
		b->lv[o->level].qty -= lots;
}

struct bk_order *
book_best(const struct book *b, int side)
{
	uint32_t n = b->nord[side];

	if (n == 0)
		return NULL;
	return node(b, b->lv[b->ord[side][n - 1]].head);
}

struct bk_order *
book_next(const struct book *b, const struct bk_order *o)
{
	bool found;
	uint32_t pos;

	if (o->next != BK_NIL)
		return node(b, o->next);
	pos = lv_find(b, o->side, o->px, &found);
	if (!found || pos == 0)
		return NULL;
	return node(b, b->lv[b->ord[o->side][pos - 1]].head);
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

int64_t
book_queue_for(const struct ext_book *x, int side, int64_t px)
{
	return ext_qty_at(x, side, px);
}

static inline bool
within(const struct bk_order *t, int64_t px)
{
	if (t->type == EXCH_MARKET)
		return true;
	return t->side == EXCH_BUY ? px <= t->px : px >= t->px;
}

static inline bool
stp_applies(const struct bk_order *t, const struct bk_order *m)
{
	return t->stp != EXCH_STP_NONE && m->acct == t->acct;
}

static inline int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

bool
book_taker_crosses(const struct book *b, const struct ext_book *x,
    const struct bk_order *t)
{
	int os = !t->side;
	int64_t px, qty;

	if (ext_best(x, os, &px, &qty) && within(t, px))
		return true;
	return b->nord[os] > 0 &&
	    within(t, b->lv[b->ord[os][b->nord[os] - 1]].px);
}

int64_t
book_taker_liquidity(const struct book *b, const struct ext_book *x,
    const struct bk_order *t, int64_t want)
{
	int os = !t->side;
	struct ext_iter it;
	int64_t px, qty, got = 0;
	uint32_t i;

	ext_iter_init(&it, x, os);
	while (got < want && ext_iter_next(&it, &px, &qty) && within(t, px))
		got += qty;
	for (i = b->nord[os]; got < want && i-- > 0;) {
		const struct bk_level *l = &b->lv[b->ord[os][i]];
		uint32_t k;

		if (!within(t, l->px))
			break;
		for (k = l->head; k != BK_NIL && got < want; k = node(b, k)->next)
			if (!stp_applies(t, node(b, k)))
				got += node(b, k)->qty;
	}
	return got;
}

/* Trade the taker against the outside level (px, *avail). */
static void
take_outside(struct bk_order *t, int64_t px, int64_t *avail, int64_t cap,
    const struct bk_hooks *h)
{
	int64_t lots = min64(cap, *avail);

	t->qty -= lots;
	t->exec += lots;
	*avail -= lots;
	h->fill(h->arg, NULL, t, lots, px);
}

/*
 * Trade the taker against the client level at ord index pos. Returns
 * true if STP expired the taker.
 */
static bool
take_level(struct book *b, struct bk_order *t, uint32_t slot,
    const struct bk_hooks *h)
{
	uint32_t k = b->lv[slot].head;

	while (k != BK_NIL && t->qty > 0) {
		struct bk_order *m = node(b, k);
		int64_t lots;

		k = m->next;
		if (stp_applies(t, m)) {
			if (t->stp == EXCH_STP_EXPIRE_TAKER)
				return true;
			h->stp_expire(h->arg, m);
			book_remove(b, m);
			if (t->stp == EXCH_STP_EXPIRE_BOTH)
				return true;
			continue;
		}
		lots = min64(h->cap(h->arg, t, t->qty), m->qty);
		lots = min64(lots, h->cap(h->arg, m, lots));
		if (lots <= 0) {
			if (h->cap(h->arg, t, t->qty) <= 0)
				break;
			continue;	/* a capped reduce-only maker */
		}
		book_reduce(b, m, lots);
		t->qty -= lots;
		t->exec += lots;
		h->fill(h->arg, m, t, lots, m->px);
		if (m->qty == 0)
			book_remove(b, m);
	}
	return false;
}

bool
book_match_taker(struct book *b, const struct ext_book *x,
    struct bk_order *t, const struct bk_hooks *h)
{
	int os = !t->side;
	struct ext_iter it;
	int64_t epx = 0, eqty = 0;
	bool have_ext;
	uint32_t pos = b->nord[os];

	ext_iter_init(&it, x, os);
	have_ext = ext_iter_next(&it, &epx, &eqty);
	while (t->qty > 0) {
		int64_t cap = h->cap(h->arg, t, t->qty);
		bool have_cl = pos > 0;
		int64_t cpx = have_cl ? b->lv[b->ord[os][pos - 1]].px : 0;

		if (cap <= 0)
			break;
		if (have_ext && (!have_cl || !better(os, cpx, epx))) {
			/* outside first at an equal price: it was there before */
			if (!within(t, epx))
				break;
			take_outside(t, epx, &eqty, cap, h);
			if (eqty == 0)
				have_ext = ext_iter_next(&it, &epx, &eqty);
			continue;
		}
		if (!have_cl || !within(t, cpx))
			break;
		if (take_level(b, t, b->ord[os][pos - 1], h))
			return true;
		/* the level is gone or partly skipped: either way move on */
		pos--;
		if (pos > b->nord[os])
			pos = b->nord[os];
	}
	return false;
}

/*
 * Share an outside trade of lots at px among the client orders on side
 * (the side the aggressor hit), best price first, then time order.
 */
void
book_on_ext_trade(struct book *b, int64_t px, int64_t lots, bool buyer_maker,
    const struct bk_hooks *h)
{
	int side = buyer_maker ? BK_BID : BK_ASK;
	int64_t used = 0;
	uint32_t pos = b->nord[side];

	while (pos > 0 && used < lots) {
		uint32_t slot = b->ord[side][pos - 1];
		int64_t lpx = b->lv[slot].px;
		bool at = lpx == px;
		uint32_t k = b->lv[slot].head;

		if (better(side, px, lpx))
			break;	/* the trade did not reach this level */
		/* at the trade's price every order's queue moves, filled or not */
		while (k != BK_NIL && (used < lots || at)) {
			struct bk_order *o = node(b, k);
			int64_t avail = lots - used, fill;

			k = o->next;
			if (at) {
				/* volume first passes the outside queue ahead */
				avail -= o->queue;
				o->queue = o->queue > lots ? o->queue - lots : 0;
				/* the level lost it too: not a cancel later */
				o->seen = o->seen > lots ? o->seen - lots : 0;
			}
			if (avail <= 0)
				continue;
			fill = min64(min64(avail, o->qty), h->cap(h->arg, o, o->qty));
			if (fill <= 0)
				continue;
			book_reduce(b, o, fill);
			used += fill;
			h->fill(h->arg, o, NULL, fill, o->px);
			if (o->qty == 0)
				book_remove(b, o);
		}
		pos--;
		if (pos > b->nord[side])
			pos = b->nord[side];
	}
}

/* Fill every client order on side that the outside price opx crosses. */
static void
cross_side(struct book *b, int side, int64_t opx, const struct bk_hooks *h)
{
	uint32_t pos = b->nord[side];

	while (pos > 0) {
		uint32_t slot = b->ord[side][pos - 1];
		uint32_t k = b->lv[slot].head;

		/* a bid is crossed by an ask at or below it, and vice versa */
		if (better(side, opx, b->lv[slot].px))
			break;
		while (k != BK_NIL) {
			struct bk_order *o = node(b, k);
			int64_t fill;

			k = o->next;
			fill = min64(o->qty, h->cap(h->arg, o, o->qty));
			if (fill <= 0)
				continue;
			book_reduce(b, o, fill);
			h->fill(h->arg, o, NULL, fill, o->px);
			if (o->qty == 0)
				book_remove(b, o);
		}
		pos--;
		if (pos > b->nord[side])
			pos = b->nord[side];
	}
}

/* Shrink the queues of the client orders near the top of side. */
static void
requeue_side(struct book *b, const struct ext_book *x, int side)
{
	uint32_t pos = b->nord[side], seen = 0;

	while (pos > 0 && seen++ < 16) {
		struct bk_level *l = &b->lv[b->ord[side][--pos]];

		book_on_ext_level(b, side, l->px, ext_qty_at(x, side, l->px));
	}
}

void
book_on_ext_top(struct book *b, const struct ext_book *x,
    const struct bk_hooks *h)
{
	int64_t px, qty;

	if (ext_best(x, BK_ASK, &px, &qty))
		cross_side(b, BK_BID, px, h);
	if (ext_best(x, BK_BID, &px, &qty))
		cross_side(b, BK_ASK, px, h);
	requeue_side(b, x, BK_BID);
	requeue_side(b, x, BK_ASK);
}

int64_t
book_queue_after(int model, double power, int64_t front, int64_t seen,
    int64_t qty)
{
	int64_t d = seen - qty, back = seen > front ? seen - front : 0;
	double ff, fb, ahead;

	if (model == EXCH_QUEUE_PROB && d > 0 && front > 0) {
		ff = pow((double)front, power);
		fb = pow((double)back, power);
		ahead = d * ff / (ff + fb);
		if (ahead < (double)(d - back))
			ahead = (double)(d - back);
		front -= (int64_t)llround(ahead);
		if (front < 0)
			front = 0;
	}
	return front < qty ? front : qty;
}

void
book_on_ext_level(struct book *b, int side, int64_t px, int64_t qty)
{
	struct bk_level *l = book_level(b, side, px);
	uint32_t k;

	if (l == NULL)
		return;
	for (k = l->head; k != BK_NIL; k = node(b, k)->next) {
		struct bk_order *o = node(b, k);

		o->queue = book_queue_after(b->qmodel, b->qpower, o->queue,
		    o->seen, qty);
		o->seen = qty;
	}
}
