/*
 * extbook.c — the outside market's order book, as the market source
 * (synthetic generator, replayed recording, or a test) describes it.
 *
 * Two views are kept because the recorded streams keep them: the diff
 * depth levels (what GET /fapi/v1/depth and a client syncing the depth
 * stream see) and the bookTicker top, which Binance publishes more often
 * than depth. Liquidity for matching is the top followed by the depth
 * levels strictly behind it, so a fresh bookTicker is never contradicted
 * by an older depth level.
 *
 * Levels are sorted with the best price last: most changes happen near
 * the top, and there they cost no memmove.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

void
ext_init(struct ext_book *b)
{
	memset(b, 0, sizeof(*b));
}

void
ext_free(struct ext_book *b)
{
	free(b->lv[0]);
	free(b->lv[1]);
	memset(b, 0, sizeof(*b));
}

void
ext_clear(struct ext_book *b)
{
	b->n[0] = b->n[1] = 0;
	b->top_valid = false;
}

/* Is a better than b on side? */
static inline bool
better(int side, int64_t a, int64_t b)
{
	return side == BK_BID ? a > b : a < b;
}

/*
 * Index where px sits or would be inserted, in an array ordered worst
 * first. *found tells which.
 */
static int
ext_find(const struct ext_book *b, int side, int64_t px, bool *found)
{
	const struct ext_level *lv = b->lv[side];
	int lo = 0, hi = b->n[side];

	/* the top is the usual target: check it before searching */
	if (hi > 0 && lv[hi - 1].px == px) {
		*found = true;
		return hi - 1;
	}
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (lv[mid].px == px) {
			*found = true;
			return mid;
		}
		if (better(side, px, lv[mid].px))
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int
ext_set(struct ext_book *b, int side, int64_t px, int64_t qty)
{
	struct ext_level *lv;
	bool found;
	int i = ext_find(b, side, px, &found);

	lv = b->lv[side];
	if (found) {
		if (qty > 0) {
			lv[i].qty = qty;
			return 0;
		}
		memmove(&lv[i], &lv[i + 1], (size_t)(b->n[side] - i - 1) *
		    sizeof(*lv));
		b->n[side]--;
		return 0;
	}
	if (qty <= 0)
		return 0;
	if (b->n[side] == b->cap[side]) {
		int ncap = b->cap[side] ? b->cap[side] * 2 : 256;

		lv = realloc(lv, (size_t)ncap * sizeof(*lv));
		if (lv == NULL)
			return -1;
		b->lv[side] = lv;
		b->cap[side] = ncap;
	}
	memmove(&lv[i + 1], &lv[i], (size_t)(b->n[side] - i) * sizeof(*lv));
	lv[i].px = px;
	lv[i].qty = qty;
	b->n[side]++;
	return 0;
}

int64_t
ext_qty_at(const struct ext_book *b, int side, int64_t px)
{
	bool found;
	int i;

	if (b->top_valid && b->top_qty[side] > 0) {
		if (px == b->top_px[side])
			return b->top_qty[side];
		if (better(side, px, b->top_px[side]))
			return 0;
	}
	i = ext_find(b, side, px, &found);
	return found ? b->lv[side][i].qty : 0;
}

int64_t
ext_qty_at_depth(const struct ext_book *b, int side, int64_t px)
{
	bool found;
	int i = ext_find(b, side, px, &found);

	return found ? b->lv[side][i].qty : 0;
}

bool
ext_best(const struct ext_book *b, int side, int64_t *px, int64_t *qty)
{
	if (b->top_valid && b->top_qty[side] > 0) {
		*px = b->top_px[side];
		*qty = b->top_qty[side];
		return true;
	}
	if (b->n[side] == 0)
		return false;
	*px = b->lv[side][b->n[side] - 1].px;
	*qty = b->lv[side][b->n[side] - 1].qty;
	return true;
}

void
ext_set_top(struct ext_book *b, int64_t bid, int64_t bidq, int64_t ask,
    int64_t askq, int64_t u, int64_t ms)
{
	b->top_px[BK_BID] = bid;
	b->top_qty[BK_BID] = bidq;
	b->top_px[BK_ASK] = ask;
	b->top_qty[BK_ASK] = askq;
	b->top_u = u;
	b->top_ms = ms;
	b->top_valid = true;
}

void
ext_top_from_depth(struct ext_book *b)
{
	int s;

	for (s = 0; s < 2; s++) {
		if (b->n[s] > 0) {
			b->top_px[s] = b->lv[s][b->n[s] - 1].px;
			b->top_qty[s] = b->lv[s][b->n[s] - 1].qty;
		} else {
			b->top_px[s] = 0;
			b->top_qty[s] = 0;
		}
	}
	b->top_valid = b->n[0] > 0 || b->n[1] > 0;
}

void
ext_iter_init(struct ext_iter *it, const struct ext_book *b, int side)
{
	bool found;
	int i;

	it->b = b;
	it->side = side;
	it->top_done = !(b->top_valid && b->top_qty[side] > 0);
	if (it->top_done) {
		it->idx = b->n[side] - 1;
		return;
	}
	/* depth levels strictly behind the top */
	i = ext_find(b, side, b->top_px[side], &found);
	it->idx = i - 1;
}

bool
ext_iter_next(struct ext_iter *it, int64_t *px, int64_t *qty)
{
	const struct ext_book *b = it->b;

	if (!it->top_done) {
		it->top_done = true;
		*px = b->top_px[it->side];
		*qty = b->top_qty[it->side];
		return true;
	}
	if (it->idx < 0)
		return false;
	*px = b->lv[it->side][it->idx].px;
	*qty = b->lv[it->side][it->idx].qty;
	it->idx--;
	return true;
}
