/*
 * mdfeed.c — the market service's feed logic: bookTicker and markPrice
 * frames into the shared-memory market record and a TICK (see mdfeed.h).
 *
 * The hot path is mdf_on_book(): parse, fill the record and the tick. The
 * caller publishes the TICK first and the record second. Nothing here
 * allocates beyond what jansson needs to parse one frame.
 *
 * Parsing is common/binance/bn_parse (the project's parsers for every Binance
 * payload); what is checked here is what a parser cannot know: that the
 * numbers make a book (positive prices, bid not above ask, no negative
 * size) and that the symbol is ours.
 */
#include "mdfeed.h"

#include <ctype.h>
#include <string.h>

#include "bn_parse.h"
#include "log.h"
#include "timeutil.h"

#define MDF_LOG_EVERY_NS	(60 * NS_PER_S)

/* ---- the record ----------------------------------------------------------- */

void
mdf_init(struct mdfeed *f, const char *symbol, double stale_after_s,
    const struct shm_market *prev)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; symbol[i] != '\0' && i < sizeof(f->symbol) - 1; i++)
		f->symbol[i] = (char)toupper((unsigned char)symbol[i]);
	if (prev != NULL) {
		f->rec = *prev;
		f->reconnects_base = prev->ws_reconnects;
	}
	/* an earlier instance's estimates are not ours: none until
	 * mdf_est_init() */
	f->rec.est_sigma_bp = f->rec.est_a = f->rec.est_k = 0;
	f->rec.est_sigma_live = f->rec.est_ak_live = 0;
	f->rec.est_returns = f->rec.est_trades = 0;
	bn_stale_init(&f->stale, (int64_t)(stale_after_s * NS_PER_S));
	f->rec.stale = 1;	/* nothing fresh until data flows */
	f->last_u = -1;
}

void
mdf_set_stale_after(struct mdfeed *f, double stale_after_s)
{
	f->stale.after_ns = (int64_t)(stale_after_s * NS_PER_S);
}

/* One line for the first bad frame, then at most one a minute. */
static void
mdf_bad(struct mdfeed *f, const char *what, const char *why, int64_t now)
{
	f->st.malformed++;
	if (f->bad_logged_ns != 0 && now - f->bad_logged_ns < MDF_LOG_EVERY_NS) {
		f->bad_unlogged++;
		return;
	}
	if (f->bad_unlogged > 0)
		log_warnx("malformed %s dropped: %s (and %llu more in the last "
		    "minute)", what, why, (unsigned long long)f->bad_unlogged);
	else
		log_warnx("malformed %s dropped: %s", what, why);
	f->bad_logged_ns = now;
	f->bad_unlogged = 0;
}

/* The estimates into the record (they change at sample boundaries). */
static int
mdf_est_copy(struct mdfeed *f)
{
	return est_publish(&f->est, &f->rec);
}

int
mdf_est_init(struct mdfeed *f, const struct est_config *c)
{
	f->est_on = est_init(&f->est, c) == 0;
	if (!f->est_on)
		return -1;
	mdf_est_copy(f);
	return 0;
}

int
mdf_on_trade(struct mdfeed *f, const char *data, size_t len, int64_t now)
{
	struct bn_agg_trade at;
	struct bn_why why;

	if (bn_parse_agg_trade(data, len, &at, &why) == -1) {
		mdf_bad(f, "aggTrade", why.s, now);
		return 0;
	}
	if (!(at.p > 0) || !(at.q > 0)) {
		mdf_bad(f, "aggTrade", "price or quantity not positive", now);
		return 0;
	}
	if (strcmp(at.s, f->symbol) != 0) {
		f->st.other++;
		return 0;
	}
	f->st.trades++;
	f->rec.agg_trades++;
	if (!f->est_on)
		return 0;
	est_trade(&f->est, now, at.p, at.m != 0);
	return mdf_est_copy(f);
}

int
mdf_on_book(struct mdfeed *f, const char *data, size_t len, int64_t recv_real,
    int64_t now, struct pmm_tick *t)
{
	struct shm_market *r = &f->rec;
	struct bn_book_ticker bt;
	struct bn_why why;

	if (bn_parse_book_ticker(data, len, &bt, &why) == -1) {
		mdf_bad(f, "bookTicker", why.s, now);
		return 0;
	}
	if (bt.b <= 0 || bt.a <= 0 || bt.b > bt.a || bt.B < 0 || bt.A < 0 ||
	    bt.u <= 0 || bt.E <= 0) {
		mdf_bad(f, "bookTicker", "no update id, time or book", now);
		return 0;
	}
	if (strcmp(bt.s, f->symbol) != 0) {
		f->st.other++;
		return 0;
	}
	if (f->dedupe) {
		if (bt.u <= f->last_u) {
			f->st.dups++;
			return 0;
		}
		f->dedupe = 0;
	}
	f->last_u = bt.u;
	t->bid = r->bid = bt.b;
	t->bid_qty = r->bid_qty = bt.B;
	t->ask = r->ask = bt.a;
	t->ask_qty = r->ask_qty = bt.A;
	t->exch_ts_ns = r->exch_ts_ns = bt.E * NS_PER_MS;
	t->recv_ts_ns = r->recv_ts_ns = recv_real;
	t->update_id = r->update_id = (uint64_t)bt.u;
	r->mid = (bt.b + bt.a) / 2;
	r->updates++;
	if (f->est_on) {
		est_mid(&f->est, now, r->mid);
		mdf_est_copy(f);
	}
	r->md_latency_ms = (double)(recv_real - r->exch_ts_ns) / NS_PER_MS;
	shm_lat_record(&r->md_latency, r->md_latency_ms / 1e3);
	f->st.books++;
	if (bn_stale_feed(&f->stale, now)) {
		r->stale = 0;
		log_info("market data flowing: %s bid %.2f ask %.2f", f->symbol,
		    bt.b, bt.a);
	}
	return 1;
}

int
mdf_on_mark(struct mdfeed *f, const char *data, size_t len, int64_t now)
{
	struct bn_mark_price mp;
	struct bn_why why;

	if (bn_parse_mark_price(data, len, &mp, &why) == -1) {
		mdf_bad(f, "markPrice", why.s, now);
		return 0;
	}
	if (mp.p <= 0) {
		mdf_bad(f, "markPrice", "mark price not positive", now);
		return 0;
	}
	if (strcmp(mp.s, f->symbol) != 0) {
		f->st.other++;
		return 0;
	}
	f->rec.mark_price = mp.p;
	f->st.marks++;
	return 1;
}

void
mdf_rollover(struct mdfeed *f)
{
	f->dedupe = f->last_u >= 0;
}

int
mdf_set_reconnects(struct mdfeed *f, uint64_t n)
{
	uint32_t v = f->reconnects_base + (uint32_t)n;

	if (v == f->rec.ws_reconnects)
		return 0;
	f->rec.ws_reconnects = v;
	return 1;
}

int
mdf_check_stale(struct mdfeed *f, int64_t now)
{
	if (!bn_stale_check(&f->stale, now))
		return 0;
	f->rec.stale = 1;
	f->st.went_stale++;
	log_warnx("market data stale: no %s bookTicker for %.1f s, quoting "
	    "stops until it returns", f->symbol,
	    (double)f->stale.after_ns / NS_PER_S);
	return 1;
}

int64_t
mdf_stale_deadline(const struct mdfeed *f)
{
	return bn_stale_deadline(&f->stale);
}
