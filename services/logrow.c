/*
 * logrow.c — the logger's rows: a metric sample from the state segment
 * (market, orders, risk, procs, the logger's own counters) and one row per
 * bus event. Values are plain numbers with ten significant digits (so
 * 60000.1 - 60000.0 reads 0.1, not 0.0999999999985), units are named per
 * row, and nothing from the config is written but instance, env and symbol —
 * the logger never writes secrets because it never writes the config.
 */
#include "logrow.h"
#include "qstate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csvlog.h"

/* Units: the base and quote assets are resolved per symbol. */
enum lr_unit { LU_QUOTE, LU_BASE, LU_MS, LU_COUNT, LU_BOOL, LU_WEIGHT,
	       LU_PID, LU_PER_S, LU_BP, LU_SIGMA, LU_PER_BP, LU_GAMMA,
	       LU_ORDERS };

struct lr_metric {
	const char	*name;
	enum lr_unit	 unit;
};

/* Every metric the sample writes, in the order it writes them. */
static const struct lr_metric lr_metrics[] = {
	{ "mid_price",		LU_QUOTE },
	{ "best_bid",		LU_QUOTE },
	{ "best_ask",		LU_QUOTE },
	{ "spread",		LU_QUOTE },
	{ "mark_price",		LU_QUOTE },
	{ "market_stale",	LU_BOOL },
	{ "md_latency_ms",	LU_MS },
	{ "ws_reconnects",	LU_COUNT },
	{ "est_sigma",		LU_SIGMA },
	{ "est_arrival_a",	LU_PER_S },
	{ "est_arrival_k",	LU_PER_BP },
	{ "position",		LU_BASE },
	{ "position_notional",	LU_QUOTE },
	{ "entry_price",	LU_QUOTE },
	{ "unrealized_pnl",	LU_QUOTE },
	{ "realized_pnl",	LU_QUOTE },
	{ "wallet_balance",	LU_QUOTE },
	{ "strategy_paused",	LU_BOOL },
	{ "open_orders",	LU_COUNT },
	{ "orders_placed",	LU_COUNT },
	{ "orders_canceled",	LU_COUNT },
	{ "fills",		LU_COUNT },
	{ "rejects",		LU_COUNT },
	{ "reject_rate",	LU_PER_S },
	{ "order_rtt_ms",	LU_MS },
	{ "model_gamma",	LU_GAMMA },
	{ "reservation_price",	LU_QUOTE },
	{ "half_spread",	LU_QUOTE },
	{ "quote_skew",		LU_BP },
	{ "inventory_q",	LU_ORDERS },
	{ "rate_limit_weight",	LU_WEIGHT },
	{ "user_stream_up",	LU_BOOL },
	{ "service_up",		LU_BOOL },
	{ "service_restarts",	LU_COUNT },
	{ "csv_torn_repaired",	LU_COUNT },
	{ "csv_rows_lost",	LU_COUNT },
	{ "bus_dropped",	LU_COUNT },
};
#define LR_NMETRICS	(sizeof(lr_metrics) / sizeof(lr_metrics[0]))

/* Everything one row needs besides its own fields. */
struct lr {
	struct csvlog		*cl;
	const struct cfg	*c;
	int64_t			 ts;
	char			 base[16], quote[16];
	int			 rows, rc;
};

#define LR_NODATA	"no data yet"

const char *
logrow_metric_name(int i)
{
	if (i < 0 || (size_t)i >= LR_NMETRICS)
		return NULL;
	return lr_metrics[i].name;
}

static const char *
lr_unit_name(const struct lr *r, enum lr_unit u)
{
	switch (u) {
	case LU_QUOTE:	return r->quote;
	case LU_BASE:	return r->base;
	case LU_MS:	return "ms";
	case LU_COUNT:	return "count";
	case LU_BOOL:	return "bool";
	case LU_WEIGHT:	return "weight";
	case LU_PID:	return "pid";
	case LU_PER_S:	return "per_s";
	case LU_BP:	return "bp";
	case LU_SIGMA:	return "bp_per_sqrt_s";
	case LU_PER_BP:	return "per_bp";
	case LU_GAMMA:	return "per_bp_per_order";
	case LU_ORDERS:	return "orders";
	}
	return "";
}

static enum lr_unit
lr_unit_of(const char *metric)
{
	size_t i;

	for (i = 0; i < LR_NMETRICS; i++)
		if (strcmp(lr_metrics[i].name, metric) == 0)
			return lr_metrics[i].unit;
	return LU_COUNT;
}

static void
lr_init(struct lr *r, struct csvlog *cl, const struct cfg *c, int64_t ts)
{
	memset(r, 0, sizeof(*r));
	r->cl = cl;
	r->c = c;
	r->ts = ts;
	cfg_symbol_assets(c->symbol, r->base, sizeof(r->base), r->quote,
	    sizeof(r->quote));
}

/* One row; unit NULL means the metric's own unit from the table. */
static void
lr_put(struct lr *r, const char *metric, const char *value, const char *unit,
    const char *symbol, const char *side, const char *level,
    const char *sub, const char *details)
{
	const char *f[CSV_NFIELDS];

	f[CSV_INSTANCE] = r->c->instance_id;
	f[CSV_ENV] = cfg_env_name(r->c->exchange_env);
	f[CSV_METRIC] = metric;
	f[CSV_VALUE] = value;
	f[CSV_UNIT] = unit != NULL ? unit : lr_unit_name(r, lr_unit_of(metric));
	f[CSV_SYMBOL] = symbol;
	f[CSV_SIDE] = side;
	f[CSV_LEVEL] = level;
	f[CSV_SUB_TYPE] = sub;
	f[CSV_DETAILS] = details;
	if (csvlog_add(r->cl, r->ts, f) == -1)
		r->rc = -1;
	else
		r->rows++;
}

static const char *
lr_num(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		return "";
	snprintf(buf, len, "%.10g", v);
	return buf;
}

/* A symbol metric with a number, or empty when the section has no data. */
static void
lr_metric(struct lr *r, const char *metric, int have, double v,
    const char *details)
{
	char b[40];

	/* a writer says "not known yet" with NaN (docs/METRICS.md) */
	have = have && isfinite(v);
	lr_put(r, metric, have ? lr_num(b, sizeof(b), v) : "", NULL,
	    r->c->symbol, "", "", "", have ? details : LR_NODATA);
}

static void
lr_count(struct lr *r, const char *metric, int have, uint64_t v,
    const char *sym, const char *sub, const char *details)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	lr_put(r, metric, have ? b : "", NULL, sym, "", "", sub,
	    have ? details : LR_NODATA);
}

static int
lr_published(const _Atomic uint64_t *seq)
{
	return atomic_load_explicit(seq, memory_order_acquire) != 0;
}

/* An estimate: sub_type live or fallback (warming up), and its sample. */
static void
lr_est(struct lr *r, const char *metric, int have, double v, uint32_t live,
    uint32_t n, const char *what)
{
	char b[40], det[64];

	have = have && v > 0 && isfinite(v);	/* 0: estimator not running */
	snprintf(det, sizeof(det), "%u %s in the window", n, what);
	lr_put(r, metric, have ? lr_num(b, sizeof(b), v) : "", NULL,
	    r->c->symbol, "", "", have ? (live ? "live" : "fallback") : "",
	    have ? det : LR_NODATA);
}

static void
lr_market(struct lr *r, const struct shm_state *st)
{
	struct shm_market m;
	int have, book;

	memset(&m, 0, sizeof(m));
	have = lr_published(&st->market.seq) &&
	    SHM_SNAPSHOT(&st->market, &m) == 0;
	/* the service may publish its state before the first book update */
	book = have && (m.updates > 0 || m.mid > 0);
	lr_metric(r, "mid_price", book, m.mid, "");
	lr_metric(r, "best_bid", book, m.bid, "");
	lr_metric(r, "best_ask", book, m.ask, "");
	lr_metric(r, "spread", book && m.bid > 0 && m.ask > 0, m.ask - m.bid,
	    "");
	lr_metric(r, "mark_price", book && m.mark_price > 0, m.mark_price, "");
	lr_metric(r, "market_stale", have, m.stale ? 1 : 0, "");
	lr_metric(r, "md_latency_ms", book, m.md_latency_ms,
	    "local receive time minus exchange event time");
	lr_est(r, "est_sigma", have, m.est_sigma_bp, m.est_sigma_live,
	    m.est_returns, "returns");
	lr_est(r, "est_arrival_a", have, m.est_a, m.est_ak_live, m.est_trades,
	    "trades");
	lr_est(r, "est_arrival_k", have, m.est_k, m.est_ak_live, m.est_trades,
	    "trades");
	lr_count(r, "ws_reconnects", have, m.ws_reconnects, r->c->symbol, "",
	    "since the market service started");
}

static void
lr_risk(struct lr *r, const struct shm_state *st)
{
	struct shm_risk k;
	struct shm_procs p;
	char why[200];
	int have, havep, op;

	memset(&k, 0, sizeof(k));
	memset(&p, 0, sizeof(p));
	have = lr_published(&st->risk.seq) && SHM_SNAPSHOT(&st->risk, &k) == 0;
	havep = lr_published(&st->procs.seq) &&
	    SHM_SNAPSHOT(&st->procs, &p) == 0;
	lr_metric(r, "position", have, k.position, "signed: + long, - short");
	lr_metric(r, "position_notional", have, k.position_notional, "");
	lr_metric(r, "entry_price", have, k.entry_price, "");
	lr_metric(r, "unrealized_pnl", have, k.unrealized_pnl, "");
	lr_metric(r, "realized_pnl", have, k.realized_pnl, "");
	lr_metric(r, "wallet_balance", have, k.wallet_balance, "");
	/* paused if either risk or the operator (kept by pmmd) says so */
	op = havep && p.operator_paused;
	snprintf(why, sizeof(why), "%s", op ? p.operator_reason :
	    (have && k.paused) ? k.pause_reason : "");
	lr_put(r, "strategy_paused", (have || havep) ?
	    ((op || k.paused) ? "1" : "0") : "", NULL, r->c->symbol, "", "",
	    op ? "operator" : (k.paused ? "risk" : ""),
	    (have || havep) ? why : LR_NODATA);
}

/* One row per side and configured level, plus a total. */
static void
lr_open_orders(struct lr *r, const struct shm_orders *o, int have)
{
	static const char *sides[2] = { "BUY", "SELL" };
	char val[16], lvl[16], det[256], px[40], q[40];
	uint32_t i, n;
	int side, level, cnt, levels = r->c->order.levels;
	size_t dl;

	for (side = 0; side < 2; side++)
		for (level = 1; level <= levels; level++) {
			cnt = 0;
			det[0] = '\0';
			dl = 0;
			n = have ? o->n_open : 0;
			for (i = 0; i < n && i < SHM_MAX_ORDERS; i++) {
				if (o->open[i].side != side ||
				    o->open[i].level != level)
					continue;
				cnt++;
				if (dl < sizeof(det))
					dl += (size_t)snprintf(det + dl,
					    sizeof(det) - dl, "%sprice=%s qty=%s",
					    cnt > 1 ? "; " : "",
					    lr_num(px, sizeof(px), o->open[i].price),
					    lr_num(q, sizeof(q), o->open[i].qty));
			}
			snprintf(val, sizeof(val), "%d", cnt);
			snprintf(lvl, sizeof(lvl), "%d", level);
			lr_put(r, "open_orders", have ? val : "", NULL,
			    r->c->symbol, sides[side], lvl, "",
			    have ? det : LR_NODATA);
		}
	snprintf(val, sizeof(val), "%u", have ? o->n_open : 0);
	lr_put(r, "open_orders", have ? val : "", NULL, r->c->symbol, "", "",
	    "total", have ? "" : LR_NODATA);
}

/* What the last quote was built from (NaN: the strategy has no such). */
static void
lr_model(struct lr *r, const struct shm_orders *o, int have)
{
	lr_metric(r, "model_gamma", have, o->m_gamma,
	    "risk aversion of avellaneda_mm / glft_mm");
	lr_metric(r, "reservation_price", have, o->m_reservation,
	    "price the last ladder was built around");
	lr_metric(r, "half_spread", have, o->m_half_spread,
	    "level 1 distance from the reservation price");
	lr_metric(r, "quote_skew", have, o->m_skew_bp,
	    "reservation price - mid, bp of mid");
	lr_metric(r, "inventory_q", have, o->m_q_lots,
	    "(position - target) in orders of quantity_per_order_usdt");
}

static void
lr_orders(struct lr *r, const struct shm_state *st)
{
	struct shm_orders o;
	char b[40];
	int have;

	memset(&o, 0, sizeof(o));
	have = lr_published(&st->orders.seq) &&
	    SHM_SNAPSHOT(&st->orders, &o) == 0;
	lr_open_orders(r, &o, have);
	lr_count(r, "orders_placed", have, o.placed, r->c->symbol, "",
	    "cumulative");
	lr_count(r, "orders_canceled", have, o.canceled, r->c->symbol, "",
	    "cumulative");
	lr_count(r, "fills", have, o.fills, r->c->symbol, "", "cumulative");
	lr_count(r, "rejects", have, o.rejects, r->c->symbol, "",
	    "cumulative");
	lr_metric(r, "reject_rate", have, o.reject_rate,
	    "rejected orders per second, last 10 s");
	lr_metric(r, "order_rtt_ms", have, o.order_rtt_ms,
	    "last REST round trip");
	lr_model(r, &o, have);
	have = have && o.rate_limit_weight >= 0;	/* -1: no answer yet */
	lr_put(r, "rate_limit_weight", have ? lr_num(b, sizeof(b),
	    o.rate_limit_weight) : "", NULL, "", "", "", "",
	    have ? "X-MBX-USED-WEIGHT-1M of the last response" : LR_NODATA);
	lr_count(r, "user_stream_up", have, o.listen_key_ok ? 1 : 0, "", "",
	    "");

}

static void
lr_procs(struct lr *r, const struct shm_state *st)
{
	struct shm_procs p;
	int i, have;

	memset(&p, 0, sizeof(p));
	have = lr_published(&st->procs.seq) &&
	    SHM_SNAPSHOT(&st->procs, &p) == 0;
	for (i = 0; i < SVC_COUNT; i++)
		lr_count(r, "service_up", have, p.p[i].state == PROC_READY, "",
		    svc_name(i), proc_state_name(p.p[i].state));
	for (i = 0; i < SVC_COUNT; i++)
		lr_count(r, "service_restarts", have, p.p[i].restarts, "",
		    svc_name(i), "since pmmd started");
}

static void
lr_self(struct lr *r, const struct logrow_self *self)
{
	lr_count(r, "csv_torn_repaired", 1, r->cl->torn_repaired, "", "",
	    "torn rows closed when opening a file, this logger");
	lr_count(r, "csv_rows_lost", 1, r->cl->rows_lost, "", "",
	    "rows a failed write lost, this logger");
	lr_count(r, "bus_dropped", 1, self != NULL ? self->bus_dropped : 0,
	    "", "", "malformed or oversized frames the logger received");
}

int
logrow_sample(struct csvlog *cl, const struct cfg *c,
    const struct shm_state *st, const struct logrow_self *self, int64_t ts_ns)
{
	struct lr r;

	lr_init(&r, cl, c, ts_ns);
	lr_market(&r, st);
	lr_risk(&r, st);
	lr_orders(&r, st);
	lr_procs(&r, st);
	lr_self(&r, self);
	return r.rc == -1 ? -1 : r.rows;
}

/* ---- events -------------------------------------------------------------- */

static const char *
lr_side(uint8_t side)
{
	return side == 0 ? "BUY" : side == 1 ? "SELL" : "";
}

static const char *
lr_level(char *buf, size_t len, uint8_t level)
{
	if (level == 0)
		return "";
	snprintf(buf, len, "%u", level);
	return buf;
}

static void
lr_fill(struct lr *r, const struct pmm_fill *f)
{
	char q[40], px[40], fee[40], pnl[40], lvl[8], tt[CSV_TS_MAX], det[320];

	if (f->trade_ts_ns <= 0 || csv_timestamp(tt, sizeof(tt),
	    f->trade_ts_ns) == -1)
		tt[0] = '\0';
	snprintf(det, sizeof(det), "price=%s fee=%s %s realized_pnl=%s "
	    "order_id=%lld client_id=%s trade_time=%s trade_id=%lld%s",
	    lr_num(px, sizeof(px), f->price), lr_num(fee, sizeof(fee), f->fee),
	    f->fee_asset, lr_num(pnl, sizeof(pnl), f->realized_pnl),
	    (long long)f->order_id, f->client_id, tt, (long long)f->trade_id,
	    f->recovered ? " recovered=trade_history" : "");
	lr_put(r, "fill", lr_num(q, sizeof(q), f->qty), r->base, r->c->symbol,
	    lr_side(f->side), lr_level(lvl, sizeof(lvl), f->level),
	    f->maker ? "maker" : "taker", det);
}

/* A funding payment: value signed (+ received), in its own asset. */
static void
lr_funding(struct lr *r, const struct pmm_funding *fu)
{
	char v[40], pos[40], tt[CSV_TS_MAX], det[160];

	if (fu->funding_ts_ns <= 0 || csv_timestamp(tt, sizeof(tt),
	    fu->funding_ts_ns) == -1)
		tt[0] = '\0';
	snprintf(det, sizeof(det), "position=%s funding_time=%s",
	    lr_num(pos, sizeof(pos), fu->position), tt);
	lr_put(r, "funding_fee", lr_num(v, sizeof(v), fu->amount),
	    fu->asset[0] ? fu->asset : r->quote, r->c->symbol, "", "",
	    fu->amount < 0 ? "paid" : "received", det);
}

static void
lr_order(struct lr *r, const struct pmm_order_event *o)
{
	static const char *kinds[] = { [ORD_PLACED] = "placed",
	    [ORD_CANCELED] = "canceled", [ORD_REJECTED] = "rejected",
	    [ORD_EXPIRED] = "expired", [ORD_BOOK_INSANE] = "book_insane",
	    [ORD_BOOK_SANE] = "book_sane" };
	char q[40], px[40], lvl[8], kind[16], det[PMM_TEXT_MAX + 160];

	if (o->kind < sizeof(kinds) / sizeof(kinds[0]))
		snprintf(kind, sizeof(kind), "%s", kinds[o->kind]);
	else
		snprintf(kind, sizeof(kind), "kind %u", o->kind);
	snprintf(det, sizeof(det), "price=%s code=%d client_id=%s%s%s",
	    lr_num(px, sizeof(px), o->price), (int)o->code, o->client_id,
	    o->text[0] ? " text=" : "", o->text);
	lr_put(r, "order_event", lr_num(q, sizeof(q), o->qty), r->base,
	    r->c->symbol, lr_side(o->side), lr_level(lvl, sizeof(lvl),
	    o->level), kind, det);
}

static void
lr_risk_action(struct lr *r, const struct pmm_risk_action *a)
{
	static const char *kinds[] = { [RISK_PAUSE] = "pause",
	    [RISK_RESUME] = "resume", [RISK_FLATTEN] = "flatten",
	    [RISK_KILL] = "kill" };
	char pos[40], no[40], li[40], kind[16], det[PMM_TEXT_MAX + 160];

	if (a->kind < sizeof(kinds) / sizeof(kinds[0]))
		snprintf(kind, sizeof(kind), "%s", kinds[a->kind]);
	else
		snprintf(kind, sizeof(kind), "kind %u", a->kind);
	snprintf(det, sizeof(det), "notional=%s limit=%s reason=%s",
	    lr_num(no, sizeof(no), a->notional), lr_num(li, sizeof(li),
	    a->limit), a->text);
	lr_put(r, "risk_action", lr_num(pos, sizeof(pos), a->position),
	    r->base, r->c->symbol, "", "", kind, det);
}

static void
lr_svc(struct lr *r, const struct pmm_svc_event *e)
{
	static const char *kinds[] = { [SVCEV_STARTED] = "started",
	    [SVCEV_READY] = "ready", [SVCEV_DIED] = "died",
	    [SVCEV_HUNG] = "hung", [SVCEV_ESCALATED] = "escalated" };
	char pid[16], kind[16], det[PMM_TEXT_MAX + 64];

	if (e->kind < sizeof(kinds) / sizeof(kinds[0]))
		snprintf(kind, sizeof(kind), "%s", kinds[e->kind]);
	else
		snprintf(kind, sizeof(kind), "kind %u", e->kind);
	snprintf(pid, sizeof(pid), "%d", (int)e->pid);
	snprintf(det, sizeof(det), "service=%s status=%d %s",
	    svc_name(e->svc), (int)e->status, e->text);
	lr_put(r, "service_event", pid, lr_unit_name(r, LU_PID), "", "", "",
	    kind, det);
}

int
logrow_event(struct csvlog *cl, const struct cfg *c, const struct pmm_msg *m,
    int64_t now_ns)
{
	struct lr r;

	lr_init(&r, cl, c, m->env.ts_ns > 0 ? m->env.ts_ns : now_ns);
	switch (m->env.type) {
	case PMM_MSG_FILL:
		lr_fill(&r, &m->u.fill);
		break;
	case PMM_MSG_FUNDING:
		lr_funding(&r, &m->u.funding);
		break;
	case PMM_MSG_ORDER_EVENT:
		lr_order(&r, &m->u.order);
		break;
	case PMM_MSG_RISK_ACTION:
		lr_risk_action(&r, &m->u.risk);
		break;
	case PMM_MSG_SVC_EVENT:
		lr_svc(&r, &m->u.svc);
		break;
	default:
		return 0;
	}
	return r.rc == -1 ? -1 : 1;
}

/* Decimals that show a tick (0.1 -> 1), 2 when not known. */
static int
lr_decimals(double tick)
{
	int d;

	if (!(tick > 0) || !isfinite(tick))
		return 2;
	for (d = 0; d < 8 && fabs(tick * pow(10, d) - round(tick * pow(10, d))) >
	    1e-9 * pow(10, d); d++)
		;
	return d;
}

void
logrow_summary(char *buf, size_t len, const char *base,
    const struct shm_market *m, int have_m, const struct shm_orders *o,
    int have_o, const struct shm_risk *k, int have_k, int order_up)
{
	char mid[48] = "-", q[QS_REASON_LEN + 48], pos[48] = "-", pnl[32] = "-";
	int pd = have_o ? lr_decimals(o->tick_size) : 2;
	const struct shm_fill_tally *t = &o->tally;
	double up;

	if (have_m && m->recv_ts_ns != 0 && m->mid > 0)
		snprintf(mid, sizeof(mid), "%.*f spread %.*f (%.2f bp)%s",
		    pd + 1, m->mid, pd, m->ask - m->bid,
		    (m->ask - m->bid) / m->mid * 1e4, m->stale ? " STALE" : "");
	if (!have_o || !order_up)
		snprintf(q, sizeof(q), "not quoting: order service down");
	else if (o->quote_state == QS_QUOTING)
		snprintf(q, sizeof(q), "quoting %u orders", o->n_open);
	else
		snprintf(q, sizeof(q), "not quoting: %s%s%.*s",
		    quote_state_name(o->quote_state),
		    o->quote_reason[0] ? ": " : "",
		    (int)sizeof(o->quote_reason), o->quote_reason);
	if (have_k && isfinite(k->position))
		snprintf(pos, sizeof(pos), "%.6g %s", k->position, base);
	if (have_k && isfinite(k->realized_pnl)) {
		up = isfinite(k->unrealized_pnl) ? k->unrealized_pnl : 0;
		snprintf(pnl, sizeof(pnl), "%.4f USDT",
		    k->realized_pnl + up - (have_o ? t->fees - t->funding : 0));
	}
	snprintf(buf, len, "summary: mid %s, %s, position %s, fills %llu "
	    "(%llu buy, %llu sell), net PnL %s", mid, q, pos,
	    have_o ? (unsigned long long)(t->buys + t->sells) : 0ULL,
	    have_o ? (unsigned long long)t->buys : 0ULL,
	    have_o ? (unsigned long long)t->sells : 0ULL, pnl);
}
