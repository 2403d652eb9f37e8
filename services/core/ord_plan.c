/*
 * ord_plan.c — from the strategy's diff to what goes on the wire: which
 * cancels and placements may be sent now, grouped into Binance's batches
 * with their JSON parameters, and the start-up reconcile decision.
 *
 * The rules that keep the book honest live here, not in the I/O code:
 * an order whose placement is unanswered (or of unknown fate) is never
 * cancelled blind — the next evaluation cancels it once it is known — and
 * a rung never has two placements in flight, so a slow answer cannot
 * double the ladder. JSON goes through jansson: no hand-built strings.
 */
#include "ord.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bn_filters.h"

void
ord_plan_make(const struct ord_book *b, const struct strat_out *out,
    int64_t now_ns, struct ord_plan *p)
{
	bool busy[2][STRAT_MAX_LEVELS + 1];
	const struct strat_quote *q;
	const struct ord *o;
	int i, k, room;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < out->n_cancel; i++) {
		k = out->cancel[i];
		if (k < 0 || k >= b->n)
			continue;
		o = &b->o[k];
		if (o->state == ORD_OPEN && !o->unknown &&
		    now_ns >= o->retry_at_ns)
			p->cancel[p->n_cancel++] = k;
		else
			p->held_cancels++;
	}
	memset(busy, 0, sizeof(busy));
	/* cancelled orders keep their slot until the answer */
	room = ORD_MAX - b->n;
	for (i = 0; i < out->n_place; i++) {
		q = &out->place[i];
		if (q->side > STRAT_SELL || q->level < 1 ||
		    q->level > STRAT_MAX_LEVELS || busy[q->side][q->level] ||
		    ord_rung_pending(b, q->side, q->level) || room <= 0) {
			p->held_places++;
			continue;
		}
		busy[q->side][q->level] = true;
		p->place[p->n_place++] = i;
		room--;
	}
}

double
ord_anchor(double anchor, double mid, bool quoting, bool refresh, int n_live)
{
	if (!quoting || !(mid > 0))
		return anchor;
	return refresh || n_live == 0 || !(anchor > 0) ? mid : anchor;
}

int
ord_batch_len(int n, int first, int max)
{
	int left = n - first;

	if (left <= 0 || max <= 0)
		return 0;
	return left < max ? left : max;
}

/* Serialise and free j into out; length or -1. */
static int
ord_json_out(json_t *j, char *out, size_t len)
{
	size_t n;

	if (j == NULL)
		return -1;
	n = json_dumpb(j, out, len, JSON_COMPACT);
	json_decref(j);
	if (n == 0 || n >= len)
		return -1;
	out[n] = '\0';
	return (int)n;
}

static json_t *
ord_json_order(const struct strat_quote *q, const char *symbol,
    const struct bn_filters *f)
{
	char px[BN_NUMLEN], qty[BN_NUMLEN];

	if (bn_fmt_price(f, q->px_ticks, px, sizeof(px)) == -1 ||
	    bn_fmt_qty(f, q->qty_steps, qty, sizeof(qty)) == -1 ||
	    q->px_ticks <= 0 || q->qty_steps <= 0 || q->client_id[0] == '\0')
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "symbol", symbol,
	    "side", q->side == STRAT_SELL ? "SELL" : "BUY",
	    "type", "LIMIT",
	    "timeInForce", "GTX",
	    "quantity", qty,
	    "price", px,
	    "newClientOrderId", q->client_id);
}

int
ord_json_places(const struct strat_quote *const *q, int n,
    const char *symbol, const struct bn_filters *f, char *out, size_t len)
{
	json_t *arr, *o;
	int i;

	if (n < 1 || n > ORD_PLACE_BATCH || (arr = json_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((o = ord_json_order(q[i], symbol, f)) == NULL ||
		    json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return -1;
		}
	}
	return ord_json_out(arr, out, len);
}

int
ord_json_cids(const char *const *cids, int n, char *out, size_t len)
{
	json_t *arr;
	int i;

	if (n < 1 || n > ORD_CANCEL_BATCH || (arr = json_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (cids[i] == NULL || cids[i][0] == '\0' ||
		    json_array_append_new(arr, json_string(cids[i])) == -1) {
			json_decref(arr);
			return -1;
		}
	return ord_json_out(arr, out, len);
}

int
ord_reconcile(const struct bn_order *os, int n, const char *instance,
    char cids[][PMM_ID_MAX], int cap, uint64_t *max_seq, int *foreign)
{
	struct strat_cid id;
	int i, ours = 0;

	*foreign = 0;
	for (i = 0; i < n; i++) {
		if (strat_cid_parse(os[i].clientOrderId, &id) == -1 ||
		    strcmp(id.instance, instance) != 0) {
			(*foreign)++;
			continue;
		}
		if (id.seq > *max_seq)
			*max_seq = id.seq;
		if (ours < cap)
			snprintf(cids[ours], PMM_ID_MAX, "%s",
			    os[i].clientOrderId);
		ours++;
	}
	return ours;
}
