/*
 * prom.c — the Prometheus text exposition of the tree's figures (prom.h).
 *
 * Naming follows Prometheus' conventions: one prefix (pmm_), base units in
 * the name (_seconds, _base_qty for the base asset, _quote for amounts in
 * the quote asset), _total for counters, and the labels instance and
 * symbol on everything about the traded symbol. The names people know from
 * trading bots that export metrics (bbgo's position_base_qty,
 * unrealized_profit, open_order_bid/ask_count, trades_total) are kept.
 * A figure nobody knows yet (NaN in the segment, a section not published)
 * has no sample at all: absent, never a made-up 0.
 */
#include "prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qstate.h"
#include "risk_eval.h"
#include "timeutil.h"

/* One render: the buffer, the labels every sample carries, the family. */
struct prom_ctx {
	struct text_buf		*b;
	const struct prom_in	*in;
	char			 base[256];	/* instance="..",symbol=".." */
	const char		*fam, *type, *help;
	int			 fam_said;
};

/* A label value: backslash, double quote and newline escaped. */
static void
prom_esc(char *dst, size_t len, const char *s)
{
	size_t	i = 0;

	for (; *s != '\0' && i + 3 < len; s++) {
		if (*s == '\\' || *s == '"')
			dst[i++] = '\\', dst[i++] = *s;
		else if (*s == '\n')
			dst[i++] = '\\', dst[i++] = 'n';
		else
			dst[i++] = *s;
	}
	dst[i] = '\0';
}

/* The shortest text that reads back as the same double. */
static void
prom_num(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

/* The next samples belong to this family; its header waits for one. */
static void
prom_family(struct prom_ctx *x, const char *name, const char *type,
    const char *help)
{
	x->fam = name;
	x->type = type;
	x->help = help;
	x->fam_said = 0;
}

static void
prom_head(struct prom_ctx *x)
{
	if (x->fam_said)
		return;
	text_buf_printf(x->b, "# HELP %s %s\n# TYPE %s %s\n", x->fam, x->help,
	    x->fam, x->type);
	x->fam_said = 1;
}

/* name{base[,labels]} v — nothing when v is not a number (not known). */
static void
prom_val(struct prom_ctx *x, const char *suffix, const char *labels,
    double v)
{
	char	num[40];

	if (!isfinite(v))
		return;
	prom_head(x);
	prom_num(num, sizeof(num), v);
	text_buf_printf(x->b, "%s%s{%s%s%s} %s\n", x->fam, suffix, x->base,
	    labels && *labels ? "," : "", labels ? labels : "", num);
}

/* One family with one sample: the common case. */
static void
prom_gauge(struct prom_ctx *x, const char *name, const char *help,
    int have, double v)
{
	prom_family(x, name, "gauge", help);
	if (have)
		prom_val(x, "", NULL, v);
}

static void
prom_counter(struct prom_ctx *x, const char *name, const char *help,
    int have, uint64_t v)
{
	prom_family(x, name, "counter", help);
	if (have)
		prom_val(x, "", NULL, (double)v);
}

/* A histogram from the segment's per-bucket counts (cumulated here). */
static void
prom_hist(struct prom_ctx *x, const char *labels, const struct shm_lat *h)
{
	char l[160], le[32];
	uint64_t cum = 0;
	int i;

	for (i = 0; i <= SHM_LAT_BUCKETS; i++) {
		cum += h->n[i];
		if (i < SHM_LAT_BUCKETS)
			prom_num(le, sizeof(le), shm_lat_bound(i));
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(l, sizeof(l), "%s%sle=\"%s\"", labels,
		    *labels ? "," : "", le);
		prom_val(x, "_bucket", l, (double)cum);
	}
	prom_val(x, "_sum", labels, h->sum_s);
	prom_val(x, "_count", labels, (double)h->count);
}

/* ---- the families ------------------------------------------------------ */

static void
prom_market(struct prom_ctx *x)
{
	const struct shm_market *m = &x->in->m;
	int book = x->in->have_m && (m->updates > 0 || m->mid > 0);
	double age = (x->in->now_real_ns - m->recv_ts_ns) / 1e9;

	prom_gauge(x, "pmm_mid_price", "(best bid + best ask) / 2, quote "
	    "asset", book, m->mid);
	prom_gauge(x, "pmm_best_bid_price", "best bid, quote asset", book,
	    m->bid);
	prom_gauge(x, "pmm_best_ask_price", "best ask, quote asset", book,
	    m->ask);
	prom_gauge(x, "pmm_spread_price", "best ask - best bid, quote asset",
	    book, m->ask - m->bid);
	prom_gauge(x, "pmm_mark_price", "the exchange's mark price, quote "
	    "asset", book && m->mark_price > 0, m->mark_price);
	prom_gauge(x, "pmm_market_data_stale", "1: no book update for "
	    "market_stale_after seconds (not quoting)", x->in->have_m,
	    m->stale ? 1 : 0);
	prom_gauge(x, "pmm_market_data_age_seconds", "time since the last "
	    "book update was received", book && m->recv_ts_ns > 0, age);
	prom_gauge(x, "pmm_market_data_last_latency_seconds", "local receive time "
	    "- exchange event time of the last book update", book,
	    m->md_latency_ms / 1e3);
	prom_counter(x, "pmm_market_updates_total", "book updates received "
	    "since the market service started", x->in->have_m, m->updates);
	prom_family(x, "pmm_websocket_reconnects_total", "counter",
	    "WebSocket reconnects since the service started");
	if (x->in->have_m)
		prom_val(x, "", "service=\"market\"", m->ws_reconnects);
	prom_family(x, "pmm_market_data_latency_seconds",
	    "histogram", "local receive time - exchange event time of every "
	    "book update");
	if (x->in->have_m)
		prom_hist(x, "", &m->md_latency);
}

static void
prom_position(struct prom_ctx *x)
{
	const struct shm_risk *k = &x->in->k;
	const struct cfg *c = x->in->c;
	double limit = c->initial_capital * c->max_net_position_ratio;
	int h = x->in->have_k;

	prom_gauge(x, "pmm_position_base_qty", "signed net position, base "
	    "asset (+ long, - short)", h, k->position);
	prom_gauge(x, "pmm_position_notional_quote", "position x mark price, "
	    "signed, quote asset", h, k->position_notional);
	prom_gauge(x, "pmm_position_limit_quote", "the risk limit on "
	    "|position notional|: initial_capital x max_net_position_ratio",
	    1, limit);
	prom_gauge(x, "pmm_position_limit_ratio", "|position notional| / "
	    "limit (1 = at the limit)", h && limit > 0,
	    fabs(k->position_notional) / limit);
	prom_gauge(x, "pmm_entry_price", "average entry price of the "
	    "position, quote asset", h, k->entry_price);
	prom_gauge(x, "pmm_unrealized_profit", "unrealised PnL at the mark "
	    "price, quote asset", h, k->unrealized_pnl);
	prom_gauge(x, "pmm_realized_profit", "realised PnL since the tree "
	    "started, quote asset", h, k->realized_pnl);
	prom_gauge(x, "pmm_wallet_balance_quote", "wallet balance in the "
	    "quote asset", h, k->wallet_balance);
	prom_counter(x, "pmm_risk_checks_total", "position reads by the risk "
	    "service", h, k->checks);
}

/* label values: identifiers, not risk_cause_name()'s prose */
static const char *const prom_causes[RISK_C_COUNT] = {
	[RISK_C_MAX_LOSS] = "max_loss", [RISK_C_LIMIT] = "position_limit",
	[RISK_C_STALE] = "market_stale",
	[RISK_C_USER_STREAM] = "user_stream_down",
	[RISK_C_OPERATOR] = "operator",
};

static void
prom_pause(struct prom_ctx *x)
{
	const struct shm_risk *k = &x->in->k;
	int op = x->in->have_p && x->in->p.operator_paused;
	char l[64];
	int i;

	prom_gauge(x, "pmm_strategy_paused", "1: quoting stopped by risk or "
	    "the operator", x->in->have_k || x->in->have_p,
	    (op || k->paused) ? 1 : 0);
	prom_family(x, "pmm_pause_cause", "gauge", "1 for each cause that "
	    "holds the strategy paused now");
	for (i = 0; i < RISK_C_COUNT; i++) {
		snprintf(l, sizeof(l), "cause=\"%s\"", prom_causes[i]);
		if (i == RISK_C_OPERATOR)
			prom_val(x, "", l, (x->in->have_k &&
			    (k->pause_causes & RISK_C_BIT(i))) || op);
		else if (x->in->have_k)
			prom_val(x, "", l,
			    (k->pause_causes & RISK_C_BIT(i)) != 0);
	}
}

/* Open orders: counts per side, and each rung's price and quantity. */
static void
prom_ladder(struct prom_ctx *x)
{
	static const char *side[2] = { "buy", "sell" };
	const struct shm_orders *o = &x->in->o;
	uint32_t i, n = x->in->have_o ? o->n_open : 0, cnt[2] = { 0, 0 };
	char l[64];

	if (n > SHM_MAX_ORDERS)
		n = SHM_MAX_ORDERS;
	for (i = 0; i < n; i++)
		cnt[o->open[i].side != 0]++;
	/* bbgo's open_order_bid_count / _ask_count, as one family: a
	 * _count suffix belongs to histograms and summaries */
	prom_family(x, "pmm_open_orders", "gauge", "open orders by side");
	if (x->in->have_o) {
		prom_val(x, "", "side=\"buy\"", cnt[0]);
		prom_val(x, "", "side=\"sell\"", cnt[1]);
	}
	prom_family(x, "pmm_open_order_price", "gauge", "price of each open "
	    "order by side and level, quote asset");
	for (i = 0; i < n; i++) {
		snprintf(l, sizeof(l), "side=\"%s\",level=\"%u\"",
		    side[o->open[i].side != 0], o->open[i].level);
		prom_val(x, "", l, o->open[i].price);
	}
	prom_family(x, "pmm_open_order_base_qty", "gauge", "quantity left of "
	    "each open order by side and level, base asset");
	for (i = 0; i < n; i++) {
		snprintf(l, sizeof(l), "side=\"%s\",level=\"%u\"",
		    side[o->open[i].side != 0], o->open[i].level);
		prom_val(x, "", l, o->open[i].qty - o->open[i].filled);
	}
}

static void
prom_orders(struct prom_ctx *x)
{
	const struct shm_orders *o = &x->in->o;
	int h = x->in->have_o;

	prom_ladder(x);
	prom_counter(x, "pmm_orders_placed_total", "orders placed", h,
	    o->placed);
	prom_counter(x, "pmm_orders_canceled_total", "orders cancelled", h,
	    o->canceled);
	prom_counter(x, "pmm_order_rejects_total", "orders the exchange "
	    "rejected", h, o->rejects);
	prom_counter(x, "pmm_fills_total", "fills of our orders", h, o->fills);
	prom_gauge(x, "pmm_funding_fee_quote", "funding received (+) or paid "
	    "(-) since the tree started, quote asset", h, o->tally.funding);
	prom_counter(x, "pmm_funding_payments_total", "funding payments "
	    "since the tree started", h, o->tally.fundings);
	prom_gauge(x, "pmm_user_stream_up", "1: the user data stream is "
	    "connected", h, o->listen_key_ok ? 1 : 0);
	prom_gauge(x, "pmm_rate_limit_weight_used", "X-MBX-USED-WEIGHT-1M of "
	    "the last answer (Binance allows 2400 a minute per IP)",
	    h && o->rate_limit_weight >= 0, o->rate_limit_weight);
	prom_gauge(x, "pmm_order_last_round_trip_seconds", "round trip of "
	    "the last REST order request", h, o->order_rtt_ms / 1e3);
	prom_family(x, "pmm_rest_request_duration_seconds", "histogram",
	    "round trip of every REST request, by the service that sent it");
	if (h)
		prom_hist(x, "service=\"order\"", &o->rest_rtt);
}

/* Whether a ladder stands, and if not why (qstate.h's names). */
static void
prom_quoting(struct prom_ctx *x)
{
	const struct shm_orders *o = &x->in->o;
	int h = x->in->have_o;
	char l[64];
	uint32_t i;

	prom_gauge(x, "pmm_quoting", "1: the order service keeps a ladder "
	    "on the book", h, o->quote_state == QS_QUOTING);
	prom_family(x, "pmm_quote_state", "gauge", "1 for the state the "
	    "order service is in: quoting, or why not");
	for (i = 0; h && i < QS_COUNT; i++) {
		snprintf(l, sizeof(l), "state=\"%s\"", quote_state_name(i));
		prom_val(x, "", l, o->quote_state == i);
	}
	prom_gauge(x, "pmm_quote_state_age_seconds", "time since the quote "
	    "state last changed", h && o->quote_since_ns > 0,
	    (x->in->now_real_ns - o->quote_since_ns) / 1e9);
}

/* Counted by the logger from FILL events: reset when it restarts. */
static void
prom_trades(struct prom_ctx *x)
{
	static const char *side[2] = { "buy", "sell" };
	const struct prom_fills *f = x->in->f;
	char l[96];
	int s, mk;

	prom_family(x, "pmm_trades_total", "counter", "our fills by side "
	    "and liquidity, counted by the logger since it started");
	for (s = 0; s < 2; s++)
		for (mk = 0; mk < 2; mk++) {
			snprintf(l, sizeof(l), "side=\"%s\",liquidity=\"%s\"",
			    side[s], mk ? "maker" : "taker");
			prom_val(x, "", l, f->trades[s][mk]);
		}
	prom_family(x, "pmm_trade_volume_base_qty_total", "counter",
	    "filled quantity by side, base asset");
	for (s = 0; s < 2; s++) {
		snprintf(l, sizeof(l), "side=\"%s\"", side[s]);
		prom_val(x, "", l, f->base[s]);
	}
	prom_family(x, "pmm_trade_volume_quote_total", "counter",
	    "filled notional by side, quote asset");
	for (s = 0; s < 2; s++) {
		snprintf(l, sizeof(l), "side=\"%s\"", side[s]);
		prom_val(x, "", l, f->quote[s]);
	}
	prom_family(x, "pmm_fees_total", "counter", "trading fees paid, by "
	    "asset (\"other\": not the quote asset, e.g. BNB)");
	snprintf(l, sizeof(l), "asset=\"%s\"", x->in->quote);
	prom_val(x, "", l, f->fees_quote);
	prom_val(x, "", "asset=\"other\"", f->fees_other);
	prom_counter(x, "pmm_fills_recovered_total", "fills read back from "
	    "the trade history (made while nobody listened)", 1,
	    f->recovered);
}

static const char *const prom_states[] = {
	[PROC_DOWN] = "down", [PROC_STARTING] = "starting",
	[PROC_READY] = "ready", [PROC_BACKOFF] = "backoff",
	[PROC_STOPPING] = "stopping", [PROC_STOPPED] = "stopped",
	[PROC_FAILED] = "failed",
};
#define PROM_NSTATES	(sizeof(prom_states) / sizeof(prom_states[0]))

/* name{service=...} for every service, v(i) from the procs section. */
static void
prom_per_svc(struct prom_ctx *x, const char *name, const char *type,
    const char *help, int which)
{
	const struct shm_proc *p;
	char l[64];
	int i;

	prom_family(x, name, type, help);
	for (i = 0; i < SVC_COUNT && x->in->have_p; i++) {
		p = &x->in->p.p[i];
		snprintf(l, sizeof(l), "service=\"%s\"", svc_name(i));
		prom_val(x, "", l, which == 0 ? p->state == PROC_READY :
		    (double)p->restarts);
	}
}

static void
prom_services(struct prom_ctx *x)
{
	const struct shm_proc *p;
	char l[96];
	size_t s;
	int i;

	prom_per_svc(x, "pmm_service_up", "gauge", "1: the service is "
	    "running and said it is ready", 0);
	prom_per_svc(x, "pmm_service_restarts_total", "counter", "restarts "
	    "of the service by pmmd since the tree started", 1);
	prom_family(x, "pmm_service_state", "gauge", "1 for the state each "
	    "service is in (pmmd's state machine)");
	for (i = 0; i < SVC_COUNT && x->in->have_p; i++)
		for (s = 0; s < PROM_NSTATES; s++) {
			p = &x->in->p.p[i];
			snprintf(l, sizeof(l), "service=\"%s\",state=\"%s\"",
			    svc_name(i), prom_states[s]);
			prom_val(x, "", l, p->state == s);
		}
	prom_gauge(x, "pmm_tree_ready", "1: every service is ready",
	    x->in->have_p, x->in->p.tree_ready != 0);
	prom_family(x, "pmm_heartbeat_age_seconds", "gauge", "time since "
	    "each service's last heartbeat");
	for (i = 0; i < SVC_COUNT; i++) {
		if (!x->in->have_hb[i] || x->in->hb[i].beat_ns == 0)
			continue;
		snprintf(l, sizeof(l), "service=\"%s\"", svc_name(i));
		prom_val(x, "", l, (x->in->now_mono_ns -
		    x->in->hb[i].beat_ns) / 1e9);
	}
	prom_family(x, "pmm_bus_messages_dropped_total", "counter",
	    "bus frames each service dropped (malformed, or queue full)");
	for (i = 0; i < SVC_COUNT; i++) {
		if (!x->in->have_hb[i])
			continue;
		snprintf(l, sizeof(l), "service=\"%s\"", svc_name(i));
		prom_val(x, "", l, x->in->hb[i].msgs_dropped);
	}
}

void
prom_fill(struct prom_fills *f, const struct pmm_fill *fill,
    const char *quote)
{
	int s = fill->side != 0;

	f->trades[s][fill->maker ? 1 : 0]++;
	if (isfinite(fill->qty) && isfinite(fill->price)) {
		f->base[s] += fill->qty;
		f->quote[s] += fill->qty * fill->price;
	}
	if (isfinite(fill->fee)) {
		if (strcmp(fill->fee_asset, quote) == 0)
			f->fees_quote += fill->fee;
		else
			f->fees_other += fill->fee;
	}
	if (fill->recovered)
		f->recovered++;
}

int
prom_render(const struct prom_in *in, struct text_buf *b)
{
	struct prom_ctx x;
	char inst[80], sym[64];

	memset(&x, 0, sizeof(x));
	x.b = b;
	x.in = in;
	prom_esc(inst, sizeof(inst), in->c->instance_id);
	prom_esc(sym, sizeof(sym), in->c->symbol);
	snprintf(x.base, sizeof(x.base), "instance=\"%s\",symbol=\"%s\"",
	    inst, sym);
	b->len = 0;
	b->oom = 0;
	prom_market(&x);
	prom_position(&x);
	prom_pause(&x);
	prom_quoting(&x);
	prom_orders(&x);
	prom_trades(&x);
	prom_services(&x);
	prom_counter(&x, "pmm_metrics_scrapes_total", "scrapes of this "
	    "endpoint since the logger started", 1, in->scrapes);
	return b->oom ? -1 : 0;
}
