/*
 * ord_fills.c — the fill ledger (see ord.h): which of the account's trades
 * have been published as FILL, so that fills nobody listened to (the order
 * service down, the user stream down) are read back from the exchange's
 * trade history, and none is published twice.
 *
 * Trade ids rise per symbol but are not contiguous for one account (they
 * count everybody's trades), so "published" is said as a watermark plus a
 * few exceptions: every id <= safe has been published, and so has every id
 * in above[] (stream fills that arrived while a catch-up was owed). When
 * the stream is up and nothing is owed, each stream fill moves safe.
 * A catch-up reads GET /fapi/v1/userTrades from safe + 1 in pages, names
 * the orders of the trades it must publish (userTrades carries no
 * clientOrderId), publishes them in id order, and then moves safe.
 *
 * The persisted part (safe, above[], and the position those published
 * fills add up to, see ord_pos.c) is a line of text the service writes
 * after every change, so a new process of the service, or of the tree,
 * neither misses nor repeats a fill, and knows the position it left: the
 * position lives in the same line as the watermark so that the two can
 * never disagree after a crash. Only what is in this process's ring
 * of recent ids is dropped from the stream: an exchange whose ids restart
 * (a fresh local exchange) never silences the stream.
 */
#include "ord.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

#define ORDF_MAGIC	"pmm-fills 1"

void
ordf_init(struct ord_fills *f)
{
	memset(f, 0, sizeof(*f));
	f->owed = true;		/* a start is a gap: who knows what passed */
}

void
ordf_free(struct ord_fills *f)
{
	free(f->page);
	f->page = NULL;
	f->walking = false;
	f->page_n = f->page_i = 0;
	f->nnames = 0;
	f->busy = false;
}

/* ---- what has been published ---------------------------------------------- */

static bool
ordf_in_ring(const struct ord_fills *f, int64_t id)
{
	unsigned i, n = f->ring_n < ORDF_RING ? f->ring_n : ORDF_RING;

	for (i = 0; i < n; i++)
		if (f->ring[i] == id)
			return true;
	return false;
}

static bool
ordf_in_above(const struct ord_fills *f, int64_t id)
{
	int i;

	for (i = 0; i < f->nabove; i++)
		if (f->above[i] == id)
			return true;
	return false;
}

/* Forget exceptions the watermark now covers. */
static void
ordf_prune(struct ord_fills *f)
{
	int i, k;

	for (i = k = 0; i < f->nabove; i++)
		if (f->above[i] > f->safe)
			f->above[k++] = f->above[i];
	f->nabove = k;
}

static void
ordf_note(struct ord_fills *f, int64_t id)
{
	f->ring[f->ring_n++ % ORDF_RING] = id;
	if (!f->owed && f->known) {
		if (id > f->safe)
			f->safe = id;
		ordf_prune(f);
	} else if (id > f->safe && !ordf_in_above(f, id)) {
		/* full: the oldest goes; a crash could then repeat it */
		if (f->nabove == ORDF_ABOVE) {
			memmove(f->above, f->above + 1,
			    (ORDF_ABOVE - 1) * sizeof(f->above[0]));
			f->nabove--;
			f->above_lost++;
		}
		f->above[f->nabove++] = id;
	}
	f->dirty = true;
}

bool
ordf_stream_fill(struct ord_fills *f, int64_t trade_id)
{
	if (trade_id <= 0)
		return true;	/* nothing to recognise it by */
	if (ordf_in_ring(f, trade_id))
		return false;
	if (f->known && trade_id <= f->safe && !ordf_in_above(f, trade_id)) {
		/* not seen by this process, yet under the watermark: the ids
		 * went backwards (another exchange, a fresh local one) */
		f->reset = true;
		f->safe = trade_id - 1;
		f->nabove = 0;
	}
	ordf_note(f, trade_id);
	return true;
}

void
ordf_gap(struct ord_fills *f)
{
	f->owed = true;
	f->gen++;
}

/* ---- persistence ------------------------------------------------------------- */

int
ordf_format(const struct ord_fills *f, char *buf, size_t len)
{
	size_t off;
	int i, n;

	if (!f->known)
		return -1;
	n = snprintf(buf, len, ORDF_MAGIC " safe=%" PRId64 " above=",
	    f->safe);
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = (size_t)n;
	for (i = 0; i < f->nabove; i++) {
		n = snprintf(buf + off, len - off, "%s%" PRId64, i ? "," : "",
		    f->above[i]);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	if (f->pos_known) {
		/* 15 digits: exact for any lot, and float noise is gone */
		n = snprintf(buf + off, len - off, " pos=%.15g", f->pos);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	if (off + 2 > len)
		return -1;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (int)off;
}

static int
ordf_parse_i64(const char **p, int64_t *v)
{
	char *end;
	long long x;

	if (**p < '0' || **p > '9')
		return -1;
	x = strtoll(*p, &end, 10);
	if (x < 0 || x == LLONG_MAX)
		return -1;
	*v = x;
	*p = end;
	return 0;
}

/* " pos=<decimal>" at the end of the line; absent in older ledgers. */
static int
ordf_parse_pos(const char *p, bool *known, double *pos)
{
	char *end;
	double v;

	*known = false;
	if (*p == '\n' || *p == '\0')
		return 0;
	if (strncmp(p, " pos=", 5) != 0)
		return -1;
	p += 5;
	if (!((*p >= '0' && *p <= '9') || *p == '-'))
		return -1;
	v = strtod(p, &end);
	if (end == p || !isfinite(v) || (*end != '\n' && *end != '\0'))
		return -1;
	*known = true;
	*pos = v;
	return 0;
}

int
ordf_load(struct ord_fills *f, const char *text)
{
	const char *p = text;
	int64_t safe, id, above[ORDF_ABOVE];
	double pos = 0;
	bool pos_known;
	int n = 0;

	if (strncmp(p, ORDF_MAGIC " safe=", sizeof(ORDF_MAGIC " safe=") - 1))
		return -1;
	p += sizeof(ORDF_MAGIC " safe=") - 1;
	if (ordf_parse_i64(&p, &safe) == -1 || strncmp(p, " above=", 7))
		return -1;
	p += 7;
	while (*p != '\n' && *p != '\0' && *p != ' ') {
		if (n == ORDF_ABOVE || ordf_parse_i64(&p, &id) == -1 ||
		    id <= safe)
			return -1;
		above[n++] = id;
		if (*p == ',')
			p++;
		else if (*p != '\n' && *p != '\0' && *p != ' ')
			return -1;
	}
	if (ordf_parse_pos(p, &pos_known, &pos) == -1)
		return -1;
	f->safe = safe;
	f->pos_known = pos_known;
	f->pos = pos_known ? pos : 0;
	memcpy(f->above, above, (size_t)n * sizeof(above[0]));
	f->nabove = n;
	f->known = true;
	return 0;
}

/* ---- the catch-up --------------------------------------------------------------------- */

bool
ordf_due(const struct ord_fills *f, int64_t now_ns)
{
	return f->owed && !f->busy && now_ns >= f->retry_at_ns;
}

void
ordf_page_req(struct ord_fills *f, int64_t *from_id, int *limit)
{
	f->busy = true;
	f->gen_at_start = f->gen;
	if (!f->known) {
		*from_id = 0;	/* the newest trade: where a first run starts */
		*limit = 1;
		return;
	}
	*from_id = f->safe + 1;
	*limit = ORDF_PAGE;
}

void
ordf_failed(struct ord_fills *f, int64_t retry_at_ns)
{
	ordf_free(f);
	f->retry_at_ns = retry_at_ns;
}

/* Done with the trades up to max: they are all published now. */
static void
ordf_covered(struct ord_fills *f, int64_t max)
{
	int i;

	if (max > f->safe)
		f->safe = max;
	if (f->gen == f->gen_at_start) {
		/* the stream was up throughout: it has the rest */
		for (i = 0; i < f->nabove; i++)
			if (f->above[i] > f->safe)
				f->safe = f->above[i];
		f->owed = false;
	}
	ordf_prune(f);
	f->dirty = true;
}

int
ordf_page(struct ord_fills *f, struct bn_user_trade *t, int n, int limit)
{
	int i;

	ordf_free(f);
	f->busy = true;
	if (!f->known) {
		/* a first run publishes nothing from before it started */
		f->safe = n > 0 ? t[n - 1].id : 0;
		f->known = true;
		free(t);
		ordf_covered(f, f->safe);
		f->busy = false;
		return 0;
	}
	for (i = 1; i < n; i++)
		if (t[i].id <= t[i - 1].id) {
			free(t);
			return -1;	/* not the ascending list asked for */
		}
	f->page = t;
	f->walking = true;
	f->page_n = n;
	f->page_i = 0;
	f->page_full = n >= limit;
	return 0;
}

static struct ordf_name *
ordf_name_find(struct ord_fills *f, int64_t order_id)
{
	int i;

	for (i = 0; i < f->nnames; i++)
		if (f->names[i].order_id == order_id)
			return &f->names[i];
	return NULL;
}

static bool
ordf_skip(const struct ord_fills *f, int64_t id)
{
	return id <= f->safe || ordf_in_above(f, id) || ordf_in_ring(f, id);
}

/* The name of an order in the table, or one looked up; NULL if unknown. */
static const char *
ordf_cid(struct ord_fills *f, const struct ord_book *b, int64_t order_id)
{
	const struct ordf_name *nm;
	int i;

	for (i = 0; i < b->n; i++)
		if (b->o[i].order_id == order_id)
			return b->o[i].cid;
	nm = ordf_name_find(f, order_id);
	return nm != NULL && nm->done ? nm->cid : NULL;
}

/* Does a fill still to publish belong to this order? */
static bool
ordf_page_needs(const struct ord_fills *f, int64_t order_id)
{
	int i;

	for (i = f->page_i; i < f->page_n; i++)
		if (f->page[i].orderId == order_id &&
		    !ordf_skip(f, f->page[i].id))
			return true;
	return false;
}

/* Full: forget the names of orders whose fills are out already. */
static void
ordf_names_compact(struct ord_fills *f)
{
	int i, k;

	for (i = k = 0; i < f->nnames; i++)
		if (!f->names[i].done ||
		    ordf_page_needs(f, f->names[i].order_id))
			f->names[k++] = f->names[i];
	f->nnames = k;
}

int
ordf_wanted(struct ord_fills *f, const struct ord_book *b, int64_t *ids,
    int cap)
{
	const struct bn_user_trade *t;
	int i, n = 0;

	if (f->nnames == ORDF_NAMES)
		ordf_names_compact(f);
	for (i = f->page_i; i < f->page_n && n < cap; i++) {
		t = &f->page[i];
		if (ordf_skip(f, t->id) || ordf_cid(f, b, t->orderId) != NULL ||
		    ordf_name_find(f, t->orderId) != NULL)
			continue;
		if (f->nnames == ORDF_NAMES)
			break;
		f->names[f->nnames].order_id = t->orderId;
		f->names[f->nnames].done = false;
		f->names[f->nnames++].cid[0] = '\0';
		ids[n++] = t->orderId;
	}
	return n;
}

void
ordf_named(struct ord_fills *f, int64_t order_id, const char *cid)
{
	struct ordf_name *nm = ordf_name_find(f, order_id);

	if (nm == NULL)
		return;
	snprintf(nm->cid, sizeof(nm->cid), "%s", cid != NULL ? cid : "");
	nm->done = true;
}

static void
ordf_to_fill(const struct bn_user_trade *t, const char *cid,
    const char *instance, struct pmm_fill *out)
{
	struct strat_cid id;

	memset(out, 0, sizeof(*out));
	snprintf(out->client_id, sizeof(out->client_id), "%s", cid);
	out->order_id = t->orderId;
	out->side = t->side == BN_SIDE_SELL ? STRAT_SELL : STRAT_BUY;
	out->level = strat_cid_parse(cid, &id) == 0 &&
	    strcmp(id.instance, instance) == 0 ? (uint8_t)id.level : 0;
	out->price = t->price;
	out->qty = t->qty;
	out->fee = t->commission;
	snprintf(out->fee_asset, sizeof(out->fee_asset), "%.*s",
	    (int)sizeof(out->fee_asset) - 1, t->commissionAsset);
	out->maker = t->maker != 0;
	out->realized_pnl = t->realizedPnl;
	out->trade_ts_ns = t->time * NS_PER_MS;
	out->trade_id = t->id;
	out->recovered = true;
}

/*
 * The page holds every trade from safe + 1 on, in order: once one is
 * published or found published, all up to it are.
 */
static void
ordf_advance(struct ord_fills *f, int64_t id)
{
	if (id > f->safe)
		f->safe = id;
	ordf_prune(f);
	f->page_i++;
	f->dirty = true;
}

int
ordf_next(struct ord_fills *f, const struct ord_book *b, const char *instance,
    struct pmm_fill *out)
{
	const struct bn_user_trade *t;
	const char *cid;
	int64_t max;

	while (f->page_i < f->page_n) {
		t = &f->page[f->page_i];
		if (ordf_skip(f, t->id)) {
			ordf_advance(f, t->id);
			continue;
		}
		if ((cid = ordf_cid(f, b, t->orderId)) == NULL)
			return ORDF_WAIT;
		ordf_to_fill(t, cid, instance, out);
		f->ring[f->ring_n++ % ORDF_RING] = t->id;
		ordf_advance(f, t->id);
		f->recovered++;
		return ORDF_FILL;
	}
	if (!f->walking)
		return ORDF_IDLE;
	max = f->page_n > 0 ? f->page[f->page_n - 1].id : 0;
	if (f->page_full) {
		/* more to read from here */
		ordf_free(f);
		f->retry_at_ns = 0;
		return ORDF_MORE;
	}
	ordf_covered(f, max);
	ordf_free(f);
	return ORDF_DONE;
}

void
ordf_tally(struct shm_fill_tally *t, const struct pmm_fill *f,
    const char *symbol)
{
	size_t sl = strlen(symbol), al = strlen(f->fee_asset);

	if (f->side == 0) {
		t->buys++;
		t->buy_qty += f->qty;
		t->buy_quote += f->price * f->qty;
	} else {
		t->sells++;
		t->sell_qty += f->qty;
		t->sell_quote += f->price * f->qty;
	}
	if (f->maker)
		t->maker++;
	/* a fee in BNB is no USDT: kept apart rather than summed wrong */
	if (f->fee == 0 || (al > 0 && al <= sl &&
	    strcmp(symbol + sl - al, f->fee_asset) == 0))
		t->fees += f->fee;
	else
		t->fee_other++;
	if (isfinite(f->realized_pnl))
		t->realized += f->realized_pnl;
}

int
ordf_funding(struct shm_fill_tally *t, const struct bn_account_update *au,
    const char *symbol, double position, struct pmm_funding *out)
{
	size_t sl = strlen(symbol), al;
	int i;

	if (strcmp(au->m, "FUNDING_FEE") != 0 || !isfinite(position) ||
	    position == 0)
		return 0;
	for (i = 0; i < au->nB; i++) {
		al = strlen(au->B[i].a);
		if (al == 0 || al > sl || strcmp(symbol + sl - al,
		    au->B[i].a) != 0 || !isfinite(au->B[i].bc) ||
		    au->B[i].bc == 0)
			continue;
		t->funding += au->B[i].bc;
		t->fundings++;
		memset(out, 0, sizeof(*out));
		out->amount = au->B[i].bc;
		/* quote assets are short (USDT, USDC, FDUSD): cut, not
		 * overrun, should one ever be longer than the field */
		snprintf(out->asset, sizeof(out->asset), "%.*s",
		    (int)sizeof(out->asset) - 1, au->B[i].a);
		out->funding_ts_ns = (au->T > 0 ? au->T : au->E) * NS_PER_MS;
		out->position = position;
		return 1;
	}
	return 0;
}
