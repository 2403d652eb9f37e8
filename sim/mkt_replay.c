/*
 * mkt_replay.c — replays recorded Binance combined-stream files as the
 * outside market: one message a line, "<receive time, ns> <JSON>", gzip
 * or plain (zlib's gzread reads both), at a chosen speed from real time
 * (1x) to as fast as possible.
 *
 * Lines understood: {"stream":"<sym>@bookTicker","data":{...}},
 * "<sym>@trade" and "<sym>@aggTrade", "<sym>@depth..." diffs,
 * "<sym>@markPrice..." (mark, index, settle price, funding rate), and bare REST
 * depth snapshots {"lastUpdateId":..,"bids":..,"asks":..} (these apply to
 * the symbol of the most recent stream line: recordings store them right
 * after subscribing). Anything else is counted and skipped; a malformed
 * line is logged (the first few) and dropped.
 *
 * Timing: line i is due at start + (t_i - t_0) / speed on the engine
 * clock; at max speed (speed 0) every line is due at once, and events are
 * stamped on the 1x timeline start + (t_i - t_0) so their spacing still
 * looks like the recording. Original update and trade ids are kept, so
 * the depth stream's U/u/pu chain is the recorded one. With loop set the
 * file starts over at its end; ids are shifted past the last ones used so
 * they keep increasing (the depth chain breaks there like a real gap, and
 * a client resyncs as it would on Binance).
 *
 * The binary form (`pmm-backtest convert`, layout in mkt_bin.c) is
 * recognised by its magic and read from a mapping instead: the same events
 * on the same timeline, without gunzip or JSON. Several files can follow
 * each other (replay_chain). A gzip file cut short is an error at the cut
 * (zlib says so), never a quiet end of the market.
 *
 * Parsing uses libwebsockets' LEJP, a streaming parser that calls back
 * with each value and its path, instead of jansson: measured on
 * btcusdt_20240808.gz (93,954 lines, 27.8 MB) jansson's json_loadb alone
 * took 0.342 s (245k lines/s) while LEJP with value extraction took
 * 0.159 s, and the end-to-end target is 200k lines/s delivered over a
 * WebSocket. LEJP is a real JSON parser from a Debian library (no
 * hand-written JSON); integers are read with strtoll, prices and
 * quantities by rp_num() (strtod's result, without its cost).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <libwebsockets.h>

#include "log.h"
#include "sim_int.h"

#define RP_MAXBAD_LOG	5
#define RP_NUMLEN	40
#define RP_PROBE_LINES	64	/* a recording shows a frame within these */

/*
 * LEJP matches a path when the value's path starts with it and keeps the
 * match of the member name inside its arrays, so "data.b" is both the
 * bookTicker's bid (a string) and the depth's bid levels (values at
 * array depth 2): the callback tells them apart by ctx->ipos.
 */
enum rp_path {
	RP_STREAM, RP_E, RP_U, RP_UU, RP_PU, RP_B, RP_BQ, RP_A, RP_AQ, RP_T,
	RP_P, RP_Q, RP_M, RP_LUID, RP_SB, RP_SA, RP_PP, RP_I, RP_R, RP_TT,
	RP_EE,
};

static const char *const rp_paths[] = {
	[RP_STREAM] = "stream",
	[RP_E] = "data.e",
	[RP_U] = "data.u",
	[RP_UU] = "data.U",
	[RP_PU] = "data.pu",
	[RP_B] = "data.b",	/* bid price, or the bid levels */
	[RP_BQ] = "data.B",
	[RP_A] = "data.a",	/* ask price, aggTrade id, or the ask levels */
	[RP_AQ] = "data.A",
	[RP_T] = "data.t",
	[RP_P] = "data.p",
	[RP_Q] = "data.q",
	[RP_M] = "data.m",
	[RP_LUID] = "lastUpdateId",
	[RP_SB] = "bids",
	[RP_SA] = "asks",
	[RP_PP] = "data.P",	/* markPrice: estimated settle price */
	[RP_I] = "data.i",	/* markPrice: index price */
	[RP_R] = "data.r",	/* markPrice: funding rate */
	[RP_TT] = "data.T",	/* markPrice: next funding time */
	[RP_EE] = "data.E",	/* event time: feed latency = receive - E */
};

struct rp_levels {
	struct exch_level *raw;		/* as parsed */
	struct ext_level *v;		/* in ticks and lots */
	int	n, cap;
	double	px;			/* price waiting for its quantity */
};

/* What one line says, filled by the LEJP callback. */
struct rp_msg {
	char	stream[64];
	char	e[24];
	int64_t	u, U, pu, t, luid, T, E;
	double	b, B, a, A, p, q, P, i, r;
	bool	m;
	bool	has_luid;
	struct rp_levels lv[2];
	const struct exch_symbol_spec *spec;	/* resolved from stream */
	bool	nomem;
};

struct replay {
	struct exch_replay_opts o;
	const struct exch_symbol_spec *syms;
	int	nsyms;
	gzFile	gz;
	char	*line;
	size_t	cap, len;
	bool	have_line;		/* lookahead holds a line */
	bool	eof;
	int64_t	line_ts;		/* its receive time */
	int64_t	start_ns;		/* engine time of t_0 */
	int64_t	t0;			/* first line's receive time */
	int64_t	loop_shift_ns;		/* timeline added by loops */
	int64_t	id_shift, trade_shift;	/* ids added by loops */
	int64_t	max_u, max_t, last_ts;
	int	cur_sym;		/* symbol of the last stream line */
	uint64_t nlines, nbad;
	uint64_t nevents;		/* delivered to the sink */
	bool	probing;		/* replay_open's look: no warnings */
	struct rp_msg msg;
	/* the binary form: records from a mapping instead of lines */
	bool	bin;
	struct mkb_reader mb;
	const struct mkb_rec *brec;	/* the lookahead record */
	int	bsym;			/* its symbol's index */
	int64_t	line_e_ms;		/* E of the lookahead */
	uint64_t fline;			/* line (record) in the current file */
	bool	fail;			/* the file is damaged: the next
					   step fails, once */
};

/* ------------------------------------------------------------------ */
/* reading lines                                                       */

/* At the end of the lines: an end that is not the stream's is a damaged
 * file (a gzip cut short: zlib's "unexpected end of file"). */
static void
rp_gz_check(struct replay *r)
{
	const char *why;
	int zerr = Z_OK;

	why = gzerror(r->gz, &zerr);
	if (zerr == Z_OK || zerr == Z_STREAM_END)
		return;
	/* zlib's message starts with the path, which is said already */
	if (strncmp(why, r->o.path, strlen(r->o.path)) == 0 &&
	    strncmp(why + strlen(r->o.path), ": ", 2) == 0)
		why += strlen(r->o.path) + 2;
	r->fail = true;
	log_warnx("replay %s: after line %llu: %s (a truncated or damaged "
	    "gzip file)", r->o.path, (unsigned long long)r->fline,
	    zerr == Z_ERRNO ? strerror(errno) : why);
}

/* Read the next non-empty line into r->line; false at the end. */
static bool
rp_read(struct replay *r)
{
	for (;;) {
		r->len = 0;
		for (;;) {
			size_t n;

			if (r->cap - r->len < 2) {
				size_t ncap = r->cap * 2;
				char *nl = realloc(r->line, ncap);

				if (nl == NULL) {
					log_warn("%s", __func__);
					return false;
				}
				r->line = nl;
				r->cap = ncap;
			}
			if (gzgets(r->gz, r->line + r->len, (int)(r->cap - r->len)) ==
			    NULL)
				break;
			n = strlen(r->line + r->len);
			r->len += n;
			if (r->len > 0 && r->line[r->len - 1] == '\n')
				break;
		}
		if (r->len == 0) {
			rp_gz_check(r);
			return false;
		}
		while (r->len > 0 && (r->line[r->len - 1] == '\n' ||
		    r->line[r->len - 1] == '\r'))
			r->line[--r->len] = '\0';
		if (r->len > 0)
			return true;
	}
}

static void
rp_bad(struct replay *r, const char *why)
{
	r->nbad++;
	if (!r->probing && r->nbad <= RP_MAXBAD_LOG)
		log_warnx("replay %s: line %llu dropped: %s%s", r->o.path,
		    (unsigned long long)r->fline, why,
		    r->nbad == RP_MAXBAD_LOG ? " (no more reported)" : "");
}

/* Fill the lookahead: next line and its timestamp. */
static void	rp_bin_advance(struct replay *);

static void
rp_advance(struct replay *r)
{
	char *end;

	r->have_line = false;
	if (r->bin) {
		rp_bin_advance(r);
		return;
	}
	while (!r->eof && !r->fail) {
		if (!rp_read(r)) {
			if (!r->o.loop || r->nlines == 0) {
				r->eof = true;
				return;
			}
			/* start over, keeping time and ids moving forward */
			gzrewind(r->gz);
			r->loop_shift_ns += r->last_ts - r->t0 + 1000000;
			r->id_shift = r->max_u + 1;
			r->trade_shift = r->max_t + 1;
			continue;
		}
		r->nlines++;
		r->fline++;
		errno = 0;
		r->line_ts = strtoll(r->line, &end, 10);
		if (errno != 0 || end == r->line || *end != ' ') {
			rp_bad(r, "no timestamp");
			continue;
		}
		if (r->nlines == 1)
			r->t0 = r->line_ts;
		r->last_ts = r->line_ts;
		r->have_line = true;
		return;
	}
}

/* ------------------------------------------------------------------ */
/* parsing                                                             */

static int
lv_push(struct rp_levels *l, double px, double qty, bool *nomem)
{
	if (l->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 256;
		struct exch_level *nr = realloc(l->raw, (size_t)ncap * sizeof(*nr));
		struct ext_level *nv;

		if (nr == NULL) {
			*nomem = true;
			return -1;
		}
		l->raw = nr;
		nv = realloc(l->v, (size_t)ncap * sizeof(*nv));
		if (nv == NULL) {
			*nomem = true;
			return -1;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->raw[l->n].price = px;
	l->raw[l->n].qty = qty;
	l->n++;
	return 0;
}

/*
 * A recorded price or quantity ("61800.20") as a double, the same double
 * strtod() gives: while the digits fit in 15 (under 2^53) and the decimals
 * are few (10^n exact), digits / 10^n is one correctly rounded IEEE
 * division, which is strtod's result; anything else (sign, exponent, more
 * digits) goes to strtod. strtod was 6 % of a max-speed replay's profile.
 */
static double
rp_num(const char *s)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	const char	*p;
	uint64_t	 m = 0;
	int		 nd = 0, dec = -1;

	for (p = s;; p++) {
		if (*p >= '0' && *p <= '9') {
			if (++nd > 15)
				return strtod(s, NULL);
			m = m * 10 + (uint64_t)(*p - '0');
			if (dec >= 0)
				dec++;
		} else if (*p == '.' && dec < 0)
			dec = 0;
		else
			break;
	}
	if (*p != '\0' || nd == 0)
		return strtod(s, NULL);
	return dec > 0 ? (double)m / p10[dec] : (double)m;
}

/* Copy a value that may be longer than its field (then it is cut). */
static void
copy_val(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

static signed char
rp_cb(struct lejp_ctx *ctx, char reason)
{
	struct rp_msg *m = ctx->user;
	const char *v = ctx->buf;

	if (!(reason & LEJP_FLAG_CB_IS_VALUE) || ctx->path_match == 0)
		return 0;
	switch (ctx->path_match - 1) {
	case RP_STREAM:
		copy_val(m->stream, sizeof(m->stream), v);
		break;
	case RP_E:
		copy_val(m->e, sizeof(m->e), v);
		break;
	case RP_U: m->u = strtoll(v, NULL, 10); break;
	case RP_UU: m->U = strtoll(v, NULL, 10); break;
	case RP_PU: m->pu = strtoll(v, NULL, 10); break;
	case RP_T: m->t = strtoll(v, NULL, 10); break;
	case RP_EE: m->E = strtoll(v, NULL, 10); break;
	case RP_BQ: m->B = rp_num(v); break;
	case RP_AQ: m->A = rp_num(v); break;
	case RP_P: m->p = rp_num(v); break;
	case RP_Q: m->q = rp_num(v); break;
	case RP_PP: m->P = rp_num(v); break;
	case RP_I: m->i = rp_num(v); break;
	case RP_R: m->r = strtod(v, NULL); break;	/* may be negative */
	case RP_TT: m->T = strtoll(v, NULL, 10); break;
	case RP_M: m->m = reason == LEJPCB_VAL_TRUE; break;
	case RP_LUID:
		m->luid = strtoll(v, NULL, 10);
		m->has_luid = true;
		break;
	case RP_B:
	case RP_A:
	case RP_SB:
	case RP_SA: {
		int pm = ctx->path_match - 1;
		int side = (pm == RP_B || pm == RP_SB) ? BK_BID : BK_ASK;
		struct rp_levels *l = &m->lv[side];

		if (ctx->ipos == 0) {		/* a scalar: bookTicker, aggTrade */
			if (pm == RP_B)
				m->b = rp_num(v);
			else if (pm == RP_A)
				m->a = rp_num(v);
			break;
		}
		if (ctx->ipos != 2)
			break;
		if (ctx->i[1] == 0)
			l->px = rp_num(v);
		else if (lv_push(l, l->px, rp_num(v), &m->nomem) == -1)
			return -1;
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Symbol index of a stream name "btcusdt@..." (case-insensitive). */
static int
rp_stream_sym(const struct replay *r, const char *stream)
{
	const char *at = strchr(stream, '@');
	size_t n = at ? (size_t)(at - stream) : strlen(stream);
	int i;

	for (i = 0; i < r->nsyms; i++)
		if (strlen(r->syms[i].symbol) == n &&
		    strncasecmp(r->syms[i].symbol, stream, n) == 0)
			return i;
	return -1;
}

static int64_t
ticks(double v, double size)
{
	return llround(v / size);
}

/* Levels in ticks and lots, now that the symbol is known. */
static void
rp_convert(struct rp_levels *l, const struct exch_symbol_spec *s)
{
	int i;

	for (i = 0; i < l->n; i++) {
		l->v[i].px = ticks(l->raw[i].price, s->tick_size);
		l->v[i].qty = ticks(l->raw[i].qty, s->step_size);
	}
}

/* Event time of the current line. */
static int64_t
rp_event_ns(const struct replay *r)
{
	int64_t dt = r->line_ts - r->t0 + r->loop_shift_ns;

	if (r->o.speed > 0)
		return r->start_ns + (int64_t)((double)dt / r->o.speed);
	return r->start_ns + dt;
}

static int
rp_deliver(struct replay *r, const struct mkt_sink *k, const char *json,
    size_t jlen)
{
	struct rp_msg *m = &r->msg;
	int sym = m->stream[0] ? rp_stream_sym(r, m->stream) : r->cur_sym;
	const struct exch_symbol_spec *s;
	int64_t t = rp_event_ns(r);

	if (sym < 0)
		return 0;	/* another symbol: not ours */
	s = &r->syms[sym];
	if (m->stream[0])
		r->cur_sym = sym;
	if (!m->stream[0] && m->has_luid) {
		rp_convert(&m->lv[0], s);
		rp_convert(&m->lv[1], s);
		r->nevents++;
		k->depth(k->arg, sym, t, 0, m->luid + r->id_shift, 0, m->lv[0].v,
		    m->lv[0].n, m->lv[1].v, m->lv[1].n, true, json, jlen);
		if (m->luid + r->id_shift > r->max_u)
			r->max_u = m->luid + r->id_shift;
		return 0;
	}
	if (strcmp(m->e, "bookTicker") == 0) {
		if (m->b <= 0 || m->a <= 0) {
			rp_bad(r, "bookTicker without prices");
			return 0;
		}
		r->nevents++;
		k->book_ticker(k->arg, sym, t, m->u + r->id_shift,
		    ticks(m->b, s->tick_size), ticks(m->B, s->step_size),
		    ticks(m->a, s->tick_size), ticks(m->A, s->step_size), json,
		    jlen);
		if (m->u + r->id_shift > r->max_u)
			r->max_u = m->u + r->id_shift;
	} else if (strcmp(m->e, "trade") == 0 || strcmp(m->e, "aggTrade") == 0) {
		int64_t id = (strcmp(m->e, "trade") == 0 ? m->t : (int64_t)m->a) +
		    r->trade_shift;

		if (m->p <= 0 || m->q <= 0) {
			rp_bad(r, "trade without price or quantity");
			return 0;
		}
		r->nevents++;
		k->trade(k->arg, sym, t, id, ticks(m->p, s->tick_size),
		    ticks(m->q, s->step_size), m->m, json, jlen);
		if (id > r->max_t)
			r->max_t = id;
	} else if (strcmp(m->e, "markPriceUpdate") == 0) {
		if (m->p <= 0) {
			rp_bad(r, "markPrice without a price");
			return 0;
		}
		r->nevents++;
		if (k->mark != NULL)
			k->mark(k->arg, sym, t, m->p, m->i, m->P, m->r, m->T,
			    json, jlen);
	} else if (strcmp(m->e, "depthUpdate") == 0) {
		rp_convert(&m->lv[0], s);
		rp_convert(&m->lv[1], s);
		r->nevents++;
		k->depth(k->arg, sym, t, m->U + r->id_shift, m->u + r->id_shift,
		    m->pu + r->id_shift, m->lv[0].v, m->lv[0].n, m->lv[1].v,
		    m->lv[1].n, false, json, jlen);
		if (m->u + r->id_shift > r->max_u)
			r->max_u = m->u + r->id_shift;
	}
	return 0;
}


/* ------------------------------------------------------------------ */
/* the binary form                                                     */

/* The next record into the lookahead (the loop as for lines). */
static void
rp_bin_advance(struct replay *r)
{
	char err[256];
	const struct mkb_rec *rec;

	for (;;) {
		err[0] = '\0';
		rec = mkb_peek(&r->mb, err, sizeof(err));
		if (rec != NULL)
			break;
		if (err[0] != '\0') {
			r->fail = true;
			log_warnx("replay %s: %s", r->o.path, err);
			return;
		}
		if (!r->o.loop || r->nlines == 0) {
			r->eof = true;
			return;
		}
		r->mb.i = 0;
		r->loop_shift_ns += r->last_ts - r->t0 + 1000000;
		r->id_shift = r->max_u + 1;
		r->trade_shift = r->max_t + 1;
	}
	r->brec = rec;
	r->nlines++;
	r->fline++;
	r->line_ts = rec->recv_ns;
	r->line_e_ms = rec->e_ms;
	if (r->nlines == 1)
		r->t0 = r->line_ts;
	r->last_ts = r->line_ts;
	r->have_line = true;
}

static void
rp_bin_deliver(struct replay *r, const struct mkt_sink *k)
{
	const struct mkb_rec *m = r->brec;
	const struct ext_level *lv = (const struct ext_level *)(m + 1);
	int64_t t = rp_event_ns(r), id;
	int sym = r->bsym;

	r->nevents++;
	switch (m->type) {
	case MKB_BOOK_TICKER:
		k->book_ticker(k->arg, sym, t, m->v[0] + r->id_shift, m->v[1],
		    m->v[2], m->v[3], m->v[4], NULL, 0);
		if (m->v[0] + r->id_shift > r->max_u)
			r->max_u = m->v[0] + r->id_shift;
		break;
	case MKB_TRADE:
		id = m->v[0] + r->trade_shift;
		k->trade(k->arg, sym, t, id, m->v[1], m->v[2],
		    (m->flags & MKB_F_BUYER_MAKER) != 0, NULL, 0);
		if (id > r->max_t)
			r->max_t = id;
		break;
	case MKB_MARK:
		if (k->mark != NULL)
			k->mark(k->arg, sym, t, mkb_double(m->v[0]),
			    mkb_double(m->v[1]), mkb_double(m->v[2]),
			    mkb_double(m->v[3]), m->v[4], NULL, 0);
		break;
	default:	/* depth: mkb_peek checked its levels are there */
		if (m->type == MKB_DEPTH)
			k->depth(k->arg, sym, t, m->v[0] + r->id_shift,
			    m->v[1] + r->id_shift, m->v[2] + r->id_shift, lv,
			    (int)m->v[3], lv + m->v[3], (int)m->v[4], false,
			    NULL, 0);
		else
			k->depth(k->arg, sym, t, 0, m->v[1] + r->id_shift, 0,
			    lv, (int)m->v[3], lv + m->v[3], (int)m->v[4], true,
			    NULL, 0);
		if (m->v[1] + r->id_shift > r->max_u)
			r->max_u = m->v[1] + r->id_shift;
		break;
	}
	mkb_skip(&r->mb, m);
}

/* Sizes that agree within a relative 1e-9 (they were printed and read). */
static bool
rp_same_size(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fabs(b);
}

/* Open a binary recording: its symbol and sizes must be the engine's. */
static bool
rp_bin_open(struct replay *r)
{
	char err[512];
	const struct mkb_header *h;
	int i;

	if (mkb_open(&r->mb, r->o.path, err, sizeof(err)) == -1) {
		log_warnx("replay %s", err);
		return false;
	}
	h = r->mb.hdr;
	r->bin = true;
	r->bsym = -1;
	for (i = 0; i < r->nsyms; i++)
		if (strcmp(r->syms[i].symbol, h->symbol) == 0)
			r->bsym = i;
	if (r->bsym < 0) {
		log_warnx("replay %s: a recording of %s, which the exchange "
		    "does not list", r->o.path, h->symbol);
		return false;
	}
	if (!rp_same_size(h->tick, r->syms[r->bsym].tick_size) ||
	    !rp_same_size(h->step, r->syms[r->bsym].step_size)) {
		log_warnx("replay %s: counted in tick %.10g and step %.10g, "
		    "the exchange's %s has %.10g and %.10g: convert it again",
		    r->o.path, h->tick, h->step, h->symbol,
		    r->syms[r->bsym].tick_size, r->syms[r->bsym].step_size);
		return false;
	}
	if (h->nrec == 0) {
		log_warnx("replay %s: no events", r->o.path);
		return false;
	}
	rp_advance(r);
	return !r->fail;
}

/* ------------------------------------------------------------------ */

static bool	rp_probe(struct replay *);

struct replay *
replay_open(const struct exch_replay_opts *o, const struct exch_symbol_spec *syms,
    int nsyms, int64_t start_ns)
{
	struct replay *r = calloc(1, sizeof(*r));
	bool stamped;

	if (r == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	r->o = *o;
	if (r->o.max_batch <= 0)
		r->o.max_batch = 1024;
	if (r->o.speed < 0)
		r->o.speed = 0;
	r->syms = syms;
	r->nsyms = nsyms;
	r->start_ns = start_ns;
	r->cap = 1 << 16;
	r->line = malloc(r->cap);
	if (r->line == NULL) {
		log_warn("%s", __func__);
		free(r);
		return NULL;
	}
	if (mkb_is_binary(o->path)) {
		if (!rp_bin_open(r)) {
			replay_close(r);
			return NULL;
		}
		return r;
	}
	r->gz = gzopen(o->path, "rb");
	if (r->gz == NULL) {
		log_warn("replay: %s", o->path);
		free(r->line);
		free(r);
		return NULL;
	}
	gzbuffer(r->gz, 1 << 18);
	r->probing = true;
	rp_advance(r);
	r->probing = false;
	stamped = r->have_line;
	if (r->fail) {
		replay_close(r);
		return NULL;
	}
	if (!stamped || !rp_probe(r)) {
		log_warnx("replay %s: not gzip JSON lines of Binance stream "
		    "frames: %s", o->path, !stamped ? "no line starts "
		    "with a nanosecond timestamp" : "none of its first lines "
		    "is '<ns> {\"stream\":\"btcusdt@...\",\"data\":{...}}' "
		    "for a symbol the exchange lists");
		replay_close(r);
		return NULL;
	}
	return r;
}

void
replay_close(struct replay *r)
{
	if (r == NULL)
		return;
	if (r->gz != NULL)
		gzclose(r->gz);
	mkb_close(&r->mb);
	free(r->msg.lv[0].v);
	free(r->msg.lv[1].v);
	free(r->msg.lv[0].raw);
	free(r->msg.lv[1].raw);
	free(r->line);
	free(r);
}

int64_t
replay_next_ns(const struct replay *r)
{
	if (r->fail)
		return 0;	/* due at once: the step says it failed */
	if (!r->have_line)
		return INT64_MAX;
	if (r->o.speed <= 0)
		return 0;
	return rp_event_ns(r);
}

bool
replay_done(const struct replay *r)
{
	return !r->have_line && !r->fail;
}

void
replay_stats(const struct replay *r, uint64_t *lines, uint64_t *bad)
{
	*lines = r->nlines;
	*bad = r->nbad;
}

/* Parse the lookahead line into r->msg; NULL, or why it is malformed
 * (*nomem set when parsing ran out of memory). */
static const char *
rp_parse(struct replay *r, bool *nomem)
{
	struct rp_msg *m = &r->msg;
	struct lejp_ctx ctx;
	const char *json;
	size_t jlen;
	int rc;

	json = strchr(r->line, ' ') + 1;
	jlen = r->len - (size_t)(json - r->line);
	/* reset the message but keep the level buffers */
	m->stream[0] = m->e[0] = '\0';
	m->u = m->U = m->pu = m->t = m->luid = m->T = m->E = 0;
	m->b = m->B = m->a = m->A = m->p = m->q = m->P = m->i = m->r = 0;
	m->m = m->has_luid = m->nomem = false;
	m->lv[0].n = m->lv[1].n = 0;
	lejp_construct(&ctx, rp_cb, m, rp_paths, (unsigned char)(sizeof(rp_paths) /
	    sizeof(rp_paths[0])));
	rc = lejp_parse(&ctx, (const unsigned char *)json, (int)jlen);
	lejp_destruct(&ctx);
	*nomem = m->nomem;
	if (rc < 0 && rc != LEJP_CONTINUE)
		return lejp_error_to_string(rc);
	if (rc == LEJP_CONTINUE)
		return "truncated JSON";
	return NULL;
}

/*
 * Does the file look like a recording? Within its first RP_PROBE_LINES
 * lines there must be one "<ns> <JSON>" line whose JSON is a combined
 * stream frame of one of our symbols (or a depth snapshot). Anything else
 * (a README, a CSV, a binary) is refused at start instead of serving an
 * empty 0.00/0.00 book. Leaves the file rewound, as after gzopen().
 */
static bool
rp_probe(struct replay *r)
{
	struct rp_msg *m = &r->msg;
	bool good = false, nomem;
	int i;

	r->probing = true;
	for (i = 0; i < RP_PROBE_LINES && r->have_line && !good; i++) {
		if (rp_parse(r, &nomem) == NULL && ((m->stream[0] &&
		    m->e[0] && rp_stream_sym(r, m->stream) >= 0) ||
		    m->has_luid))
			good = true;
		else
			rp_advance(r);
	}
	r->probing = false;
	if (!good)
		return false;
	gzrewind(r->gz);
	r->eof = false;
	r->nlines = r->nbad = 0;
	r->t0 = r->last_ts = r->loop_shift_ns = 0;
	r->fline = 0;
	r->id_shift = r->trade_shift = r->max_u = r->max_t = 0;
	r->cur_sym = 0;
	r->nevents = 0;
	rp_advance(r);
	return true;
}

int
replay_step(struct replay *r, const struct mkt_sink *k)
{
	const char *why, *json;
	bool nomem;

	if (r->fail) {
		/* said once (-1); from then on the market has ended, so a
		 * server does not spin on it */
		r->fail = false;
		r->have_line = false;
		r->eof = true;
		return -1;
	}
	if (!r->have_line)
		return 1;
	if (r->bin) {
		rp_bin_deliver(r, k);
		rp_advance(r);
		return 0;
	}
	why = rp_parse(r, &nomem);
	if (nomem) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	json = strchr(r->line, ' ') + 1;
	if (why != NULL)
		rp_bad(r, why);
	else
		rp_deliver(r, k, json, r->len - (size_t)(json - r->line));
	rp_advance(r);
	return 0;
}

int64_t
replay_span_ns(const struct replay *r)
{
	return r->last_ts - r->t0;
}

uint64_t
replay_events(const struct replay *r)
{
	return r->nevents;
}

int64_t
replay_first_ns(const struct replay *r)
{
	return r->t0;
}

void
replay_line_times(const struct replay *r, int64_t *recv_ns, int64_t *e_ms)
{
	*recv_ns = r->line_ts;
	*e_ms = r->bin ? r->line_e_ms : r->msg.E;
}

/* Move n's source (file, lookahead) into r, and r's old one into n. */
static void
rp_swap_source(struct replay *r, struct replay *n)
{
	struct replay tmp = *r;

	memcpy(r->o.path, n->o.path, sizeof(r->o.path));
	r->gz = n->gz;
	r->line = n->line;
	r->cap = n->cap;
	r->len = n->len;
	r->have_line = n->have_line;
	r->eof = n->eof;
	r->line_ts = n->line_ts;
	r->bin = n->bin;
	r->mb = n->mb;
	r->brec = n->brec;
	r->bsym = n->bsym;
	r->line_e_ms = n->line_e_ms;
	r->fline = n->fline;
	r->fail = n->fail;
	n->gz = tmp.gz;
	n->line = tmp.line;
	n->mb = tmp.mb;
}

int
replay_chain(struct replay *r, const char *path)
{
	struct exch_replay_opts o = r->o;
	struct replay *n;
	int64_t last = r->last_ts;

	snprintf(o.path, sizeof(o.path), "%s", path);
	o.loop = false;
	if ((n = replay_open(&o, r->syms, r->nsyms, r->start_ns)) == NULL)
		return -1;
	rp_swap_source(r, n);
	replay_close(n);
	/* its own spacing, but never before what was delivered already */
	if (r->line_ts <= last)
		r->loop_shift_ns += last - r->line_ts + 1000000;
	r->last_ts = r->line_ts;
	r->nlines++;
	return 0;
}
