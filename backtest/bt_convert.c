/*
 * bt_convert.c — `pmm-backtest convert FILE.gz OUT`: a recording into the
 * binary form (sim/mkt_bin.c). The lines are read by the sim's own replay
 * (the same parser, the same ticks and lots a replay would deliver), so a
 * converted file replays exactly the events its source would. Written to
 * a temporary file beside OUT and renamed at the end: OUT is either whole
 * or untouched.
 */
#include "bt_convert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_int.h"

struct cv {
	struct replay		*r;
	const struct exch_symbol_spec *syms;
	struct mkb_writer	 w;
	const char		*tmp;
	int			 sym;		/* -1 until the first event */
	bool			 open, failed, mixed;
	char			*err;
	size_t			 errlen;
};

/* The file's symbol is the first event's; another one is refused. */
static bool
cv_sym(struct cv *c, int sym)
{
	if (c->failed)
		return false;
	if (c->sym < 0) {
		c->sym = sym;
		if (mkb_writer_open(&c->w, c->tmp, c->syms[sym].symbol,
		    c->syms[sym].tick_size, c->syms[sym].step_size) == -1) {
			snprintf(c->err, c->errlen, "%s: %s", c->tmp,
			    strerror(errno));
			c->failed = true;
			return false;
		}
		c->open = true;
	}
	if (sym != c->sym) {
		c->mixed = c->failed = true;
		return false;
	}
	return true;
}

static void
cv_bt(void *arg, int sym, int64_t t, int64_t u, int64_t bid, int64_t bidq,
    int64_t ask, int64_t askq, const char *raw, size_t rawlen)
{
	struct cv *c = arg;
	int64_t recv, e;

	(void)t;
	(void)raw;
	(void)rawlen;
	if (!cv_sym(c, sym))
		return;
	replay_line_times(c->r, &recv, &e);
	mkb_write_bt(&c->w, recv, e, u, bid, bidq, ask, askq);
}

static void
cv_trade(void *arg, int sym, int64_t t, int64_t id, int64_t px, int64_t lots,
    bool buyer_maker, const char *raw, size_t rawlen)
{
	struct cv *c = arg;
	int64_t recv, e;

	(void)t;
	(void)raw;
	(void)rawlen;
	if (!cv_sym(c, sym))
		return;
	replay_line_times(c->r, &recv, &e);
	mkb_write_trade(&c->w, recv, e, id, px, lots, buyer_maker);
}

static void
cv_depth(void *arg, int sym, int64_t t, int64_t U, int64_t u, int64_t pu,
    const struct ext_level *b, int nb, const struct ext_level *a, int na,
    bool snapshot, const char *raw, size_t rawlen)
{
	struct cv *c = arg;
	int64_t recv, e;

	(void)t;
	(void)raw;
	(void)rawlen;
	if (!cv_sym(c, sym))
		return;
	replay_line_times(c->r, &recv, &e);
	mkb_write_depth(&c->w, recv, e, U, u, pu, b, nb, a, na, snapshot);
}

static void
cv_mark(void *arg, int sym, int64_t t, double p, double i, double P,
    double r, int64_t T_ms, const char *raw, size_t rawlen)
{
	struct cv *c = arg;
	int64_t recv, e;

	(void)t;
	(void)raw;
	(void)rawlen;
	if (!cv_sym(c, sym))
		return;
	replay_line_times(c->r, &recv, &e);
	mkb_write_mark(&c->w, recv, e, p, i, P, r, T_ms);
}

int
bt_convert(const char *in, const char *out, struct bt_convert_stats *st,
    char *err, size_t errlen)
{
	struct exch_opts o;
	struct mkt_sink k = { NULL, cv_bt, cv_trade, cv_depth, cv_mark };
	struct cv c;
	char tmp[4096];
	int rc, step;

	memset(st, 0, sizeof(*st));
	memset(&c, 0, sizeof(c));
	c.sym = -1;
	c.err = err;
	c.errlen = errlen;
	err[0] = '\0';
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out,
	    (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", out);
		return -1;
	}
	c.tmp = tmp;
	/* every symbol the engine knows: the file says which it holds */
	exch_opts_default(&o);
	snprintf(o.replay.path, sizeof(o.replay.path), "%s", in);
	o.replay.speed = 1;
	c.syms = o.symbols;
	if ((c.r = replay_open(&o.replay, o.symbols, o.nsymbols, 0)) == NULL) {
		snprintf(err, errlen, "%s: not a usable recording (see above)",
		    in);
		return -1;
	}
	k.arg = &c;
	while ((step = replay_step(c.r, &k)) == 0 && !c.failed)
		;
	replay_stats(c.r, &st->lines, &st->bad);
	st->events = replay_events(c.r);
	replay_close(c.r);
	if (step == -1 && !c.failed)
		snprintf(err, errlen, "%s: damaged after line %llu (see above)",
		    in, (unsigned long long)st->lines);
	else if (c.mixed)
		snprintf(err, errlen, "%s: holds more than one symbol (%s and "
		    "another); the binary form holds one", in,
		    c.syms[c.sym].symbol);
	else if (c.sym < 0)
		snprintf(err, errlen, "%s: no market events in it", in);
	rc = err[0] != '\0' ? -1 : 0;
	if (c.open) {
		st->records = c.w.h.nrec;
		if (mkb_writer_close(&c.w) == -1 && rc == 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0 && rename(tmp, out) == -1) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		rc = -1;
	}
	if (rc == -1 && c.open)
		(void)unlink(tmp);
	return rc;
}
